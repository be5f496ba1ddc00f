"""MPI.Status: defaults, accessors, and statuses filled by receives/probes."""

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import ring


def test_status_defaults():
    s = MPI.Status()
    assert s.source == MPI.ANY_SOURCE
    assert s.tag == MPI.ANY_TAG
    assert s.error == MPI.SUCCESS
    assert s.Get_source() == MPI.ANY_SOURCE
    assert s.Get_tag() == MPI.ANY_TAG
    assert s.Get_error() == MPI.SUCCESS
    assert s.Get_count() == 0
    assert s.Get_count(MPI.INT) == 0
    assert s.Get_elements(MPI.BYTE) == 0
    assert s.count == 0
    assert s.Is_cancelled() is False
    assert s.cancelled is False


def test_status_setters():
    s = MPI.Status()
    s.Set_source(3)
    s.Set_tag(42)
    s.Set_error(MPI.ERR_OTHER)
    assert (s.Get_source(), s.Get_tag(), s.Get_error()) == (3, 42, MPI.ERR_OTHER)
    s.source = 1
    s.tag = 7
    s.error = MPI.SUCCESS
    assert (s.source, s.tag, s.error) == (1, 7, MPI.SUCCESS)
    s.Set_elements(MPI.BYTE, 24)
    assert s.Get_count(MPI.BYTE) == 24
    assert s.Get_count(MPI.INT) == 6
    assert s.Get_count(MPI.DOUBLE) == 3
    assert s.Get_elements(MPI.INT) == 6
    s.Set_cancelled(True)
    assert s.Is_cancelled() is True


def test_status_copy():
    s = MPI.Status()
    s.source, s.tag = 2, 5
    t = MPI.Status(s)
    assert (t.source, t.tag) == (2, 5)
    t.source = 0
    assert s.source == 2


def test_status_get_count_undefined():
    s = MPI.Status()
    s.Set_elements(MPI.BYTE, 5)
    assert s.Get_count(MPI.INT) == MPI.UNDEFINED


def test_status_from_sendrecv(comm):
    rank, size, dest, source = ring(comm)
    sbuf = np.arange(5, dtype="i") + rank
    rbuf = np.zeros(5, dtype="i")
    s = MPI.Status()
    comm.Sendrecv(sbuf, dest, 100 + rank, rbuf, MPI.ANY_SOURCE, MPI.ANY_TAG, s)
    assert s.Get_source() == source
    assert s.Get_tag() == 100 + source
    assert s.Get_count(MPI.INT) == 5
    assert s.Get_count(MPI.BYTE) == 20
    assert s.Get_elements(MPI.INT) == 5
    assert s.count == 20
    assert s.error == MPI.SUCCESS
    assert not s.Is_cancelled()
    assert rbuf.tolist() == (np.arange(5) + source).tolist()


def test_status_from_recv(comm):
    rank, size, dest, source = ring(comm)
    req = comm.Isend(np.arange(3, dtype="d"), dest, 7)
    s = MPI.Status()
    rbuf = np.zeros(3)
    comm.Recv(rbuf, MPI.ANY_SOURCE, MPI.ANY_TAG, s)
    req.Wait()
    assert (s.source, s.tag) == (source, 7)
    assert s.Get_count(MPI.DOUBLE) == 3


def test_status_from_obj_recv(comm):
    rank, size, dest, source = ring(comm)
    req = comm.isend({"r": rank}, dest, 8)
    s = MPI.Status()
    obj = comm.recv(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=s)
    req.wait()
    assert obj == {"r": source}
    assert s.Get_source() == source
    assert s.Get_tag() == 8
    assert s.Get_count(MPI.BYTE) > 0


def test_status_from_probe(comm):
    rank, size, dest, source = ring(comm)
    req = comm.Isend(np.arange(6, dtype="i"), dest, 9)
    s = MPI.Status()
    comm.Probe(MPI.ANY_SOURCE, 9, s)
    n = s.Get_count(MPI.INT)
    src = s.Get_source()
    rbuf = np.zeros(n, dtype="i")
    comm.Recv(rbuf, src, 9)
    req.Wait()
    assert (src, s.tag, n) == (source, 9, 6)
    assert rbuf.tolist() == list(range(6))


def test_status_from_iprobe(comm):
    rank, size, dest, source = ring(comm)
    req = comm.Isend(np.arange(4, dtype="i"), dest, 10)
    s = MPI.Status()
    while not comm.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, s):
        pass
    got = (s.source, s.tag, s.Get_count(MPI.INT))
    comm.Recv(np.zeros(4, dtype="i"), s.source, s.tag)
    req.Wait()
    assert got == (source, 10, 4)


def test_status_from_wait(comm):
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(2, dtype="i")
    rreq = comm.Irecv(rbuf, MPI.ANY_SOURCE, MPI.ANY_TAG)
    sreq = comm.Isend(np.array([rank, -rank], dtype="i"), dest, 11)
    s = MPI.Status()
    rreq.Wait(s)
    sreq.Wait()
    assert (s.source, s.tag, s.Get_count(MPI.INT)) == (source, 11, 2)
    assert rbuf.tolist() == [source, -source]


def test_status_proc_null():
    s = MPI.Status()
    buf = np.full(3, 7, dtype="i")
    MPI.COMM_WORLD.Recv(buf, MPI.PROC_NULL, 0, s)
    assert s.source == MPI.PROC_NULL
    assert s.tag == MPI.ANY_TAG
    assert s.Get_count(MPI.INT) == 0
    assert buf.tolist() == [7, 7, 7]


@pytest.mark.parametrize("name", ["source", "tag", "error", "count", "cancelled"])
def test_status_attributes_cannot_be_deleted(name):
    # source/tag/error used to return NULL without an exception (SystemError)
    s = MPI.Status()
    with pytest.raises((AttributeError, TypeError)):
        delattr(s, name)


def _status_calls(comm):
    """Every call taking status=, in a form that completes at once."""
    return [
        ("Iprobe", lambda st: comm.Iprobe(status=st)),
        ("iprobe", lambda st: comm.iprobe(status=st)),
        ("Improbe", lambda st: comm.Improbe(status=st)),
        ("improbe", lambda st: comm.improbe(status=st)),
        ("Message.Iprobe", lambda st: MPI.Message.Iprobe(comm, status=st)),
        ("Message.iprobe", lambda st: MPI.Message.iprobe(comm, status=st)),
        ("Test", lambda st: MPI.REQUEST_NULL.Test(status=st)),
        ("test", lambda st: MPI.Request().test(status=st)),
        ("Wait", lambda st: MPI.REQUEST_NULL.Wait(status=st)),
        ("Get_status", lambda st: MPI.REQUEST_NULL.Get_status(status=st)),
        ("get_status", lambda st: MPI.REQUEST_NULL.get_status(status=st)),
        ("Testany", lambda st: MPI.Request.Testany([], status=st)),
        ("Waitany", lambda st: MPI.Request.Waitany([], status=st)),
        ("Recv", lambda st: comm.Recv(bytearray(1), MPI.PROC_NULL, status=st)),
        ("recv", lambda st: comm.recv(None, MPI.PROC_NULL, status=st)),
    ]


@pytest.mark.parametrize("bad", [1, [], MPI.INT, MPI.COMM_SELF], ids=repr)
def test_status_argument_checked_up_front(bad):
    # Calls that wrote nothing used to accept any object as status.
    for name, call in _status_calls(MPI.COMM_SELF):
        with pytest.raises(TypeError, match="status") as info:
            call(bad)
        assert type(bad).__name__ in str(info.value), name
    for name, call in _status_calls(MPI.COMM_SELF):
        call(None)
        call(MPI.Status())
