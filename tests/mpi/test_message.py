"""Matched probe: Comm.Mprobe / Improbe / mprobe / improbe, MPI.Message
(Recv, Irecv, recv, irecv, the Probe/Iprobe/probe/iprobe class methods),
MESSAGE_NULL and MESSAGE_NO_PROC.

A matched message is removed from the matching queue: no other probe or
receive can take it, and only Message.Recv & co. receive it.  Receiving
it turns the Message into MESSAGE_NULL.
"""

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import ring, same


def arr(rank, n, dtype="f8"):
    return (np.arange(n) * 3 + rank).astype(dtype)


def test_message_constants():
    assert isinstance(MPI.MESSAGE_NULL, MPI.Message)
    assert isinstance(MPI.MESSAGE_NO_PROC, MPI.Message)
    assert not MPI.MESSAGE_NULL
    assert MPI.MESSAGE_NO_PROC  # a real message (from PROC_NULL)
    assert MPI.MESSAGE_NULL != MPI.MESSAGE_NO_PROC
    assert MPI.Message() == MPI.MESSAGE_NULL
    assert MPI.Message(MPI.MESSAGE_NO_PROC) == MPI.MESSAGE_NO_PROC


def test_mprobe_recv(comm):
    rank, size, dest, source = ring(comm)
    n = 5 + rank
    sreq = comm.Isend(arr(rank, n), dest, 1)
    s = MPI.Status()
    msg = comm.Mprobe(source, 1, s)
    kind, truth = type(msg), bool(msg)
    count = s.Get_count(MPI.DOUBLE)
    rbuf = np.zeros(count)
    s2 = MPI.Status()
    msg.Recv(rbuf, s2)
    sreq.Wait()
    assert issubclass(kind, MPI.Message) and truth
    assert (s.source, s.tag, count) == (source, 1, 5 + source)
    assert (s2.source, s2.tag, s2.Get_count(MPI.DOUBLE)) == (source, 1, count)
    assert np.array_equal(rbuf, arr(source, 5 + source))
    assert msg == MPI.MESSAGE_NULL and not msg


def test_mprobe_keywords_and_irecv(comm):
    rank, size, dest, source = ring(comm)
    n = 1 << 16  # 512 KiB: rendezvous
    sreq = comm.Isend(arr(rank, n), dest, 2)
    s = MPI.Status()
    msg = comm.Mprobe(source=source, tag=2, status=s)
    rbuf = np.zeros(s.Get_count(MPI.DOUBLE))
    rreq = msg.Irecv(buf=rbuf)
    after_irecv = msg == MPI.MESSAGE_NULL
    rs = MPI.Status()
    rreq.Wait(rs)
    sreq.Wait()
    assert isinstance(rreq, MPI.Request)
    assert after_irecv
    assert (rs.source, rs.tag) == (source, 2)
    assert np.array_equal(rbuf, arr(source, n))


def test_mprobe_any_source_any_tag(comm):
    rank, size, dest, source = ring(comm)
    sreq = comm.Isend(arr(rank, 4), dest, 3 + rank)
    s = MPI.Status()
    msg = comm.Mprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, s)
    rbuf = np.zeros(4)
    msg.Recv(rbuf)
    sreq.Wait()
    assert (s.source, s.tag) == (source, 3 + source)
    assert np.array_equal(rbuf, arr(source, 4))


def test_improbe_loop(comm):
    rank, size, dest, source = ring(comm)
    sreq = comm.Isend(arr(rank, 6, "i4"), dest, 4)
    s = MPI.Status()
    while True:
        msg = comm.Improbe(source, 4, s)
        if msg is not None:
            break
    rbuf = np.zeros(6, dtype="i4")
    msg.Recv([rbuf, MPI.INT])
    sreq.Wait()
    assert (s.source, s.tag, s.Get_count(MPI.INT)) == (source, 4, 6)
    assert np.array_equal(rbuf, arr(source, 6, "i4"))


def test_improbe_nothing_pending():
    comm = MPI.COMM_SELF
    assert comm.Improbe(0, 777) is None
    assert comm.improbe(0, 777) is None
    assert MPI.Message.Iprobe(comm, 0, 777) is None
    assert MPI.Message.iprobe(comm, 0, 777) is None


def test_matched_message_leaves_the_queue(comm):
    # Two messages with the same envelope: matched probes take them in
    # order, and once both are matched no probe sees them any more.
    rank, size, dest, source = ring(comm)
    s1 = comm.Isend(np.array([rank, 1], dtype="i"), dest, 5)
    s2 = comm.Isend(np.array([rank, 2], dtype="i"), dest, 5)
    m1 = comm.Mprobe(source, 5)
    m2 = comm.Mprobe(source, 5)
    still_visible = comm.Iprobe(source, 5)
    b2 = np.zeros(2, dtype="i")
    b1 = np.zeros(2, dtype="i")
    m2.Recv(b2)  # out of order: the match is already made
    m1.Recv(b1)
    MPI.Request.Waitall([s1, s2])
    assert still_visible is False
    assert b1.tolist() == [source, 1] and b2.tolist() == [source, 2]


def test_mprobe_lowercase(comm):
    rank, size, dest, source = ring(comm)
    obj = {"rank": rank, "list": list(range(rank + 2)), "arr": arr(rank, 3)}
    sreq = comm.isend(obj, dest, 6)
    s = MPI.Status()
    msg = comm.mprobe(source, 6, s)
    kind = type(msg)
    rs = MPI.Status()
    got = msg.recv(rs)
    sreq.wait()
    assert issubclass(kind, MPI.Message)
    assert s.source == source and s.tag == 6
    assert (rs.source, rs.tag) == (source, 6)
    assert same(got, {"rank": source, "list": list(range(source + 2)), "arr": arr(source, 3)})
    assert msg == MPI.MESSAGE_NULL


def test_mprobe_lowercase_irecv(comm):
    rank, size, dest, source = ring(comm)
    sreq = comm.isend(("tuple", rank), dest=dest, tag=7)
    msg = comm.mprobe(source=source, tag=7)
    rreq = msg.irecv()
    assert isinstance(rreq, MPI.Request)
    got = rreq.wait()
    sreq.wait()
    assert got == ("tuple", source)


def test_improbe_lowercase_loop(comm):
    rank, size, dest, source = ring(comm)
    sreq = comm.isend([rank] * 3, dest, 8)
    while True:
        msg = comm.improbe(source, 8)
        if msg is not None:
            break
    got = msg.recv()
    sreq.wait()
    assert got == [source] * 3


@pytest.mark.parametrize("nbytes", [0, 100, 40_000, 3 << 20])
def test_mprobe_lowercase_sizes(comm, nbytes):
    # the matched message carries the whole object, whatever its size
    rank, size, dest, source = ring(comm)
    blob = bytes([rank % 256]) * nbytes
    sreq = comm.isend({"r": rank, "blob": blob}, dest, 9)
    msg = comm.mprobe(source, 9)
    if nbytes % 2:
        got = msg.irecv().wait()
    else:
        got = msg.recv()
    sreq.wait()
    assert got["r"] == source
    assert got["blob"] == bytes([source % 256]) * nbytes


def test_message_probe_classmethods(comm):
    rank, size, dest, source = ring(comm)
    sreqs = [comm.Isend(arr(rank, 2), dest, 10), comm.isend(("obj", rank), dest, 11)]
    s = MPI.Status()
    m1 = MPI.Message.Probe(comm, source, 10, s)
    b = np.zeros(2)
    m1.Recv(b)
    while True:
        m2 = MPI.Message.iprobe(comm, source=source, tag=11)
        if m2 is not None:
            break
    got = m2.recv()
    sreqs2 = [comm.isend("again", dest, 12), comm.Isend(arr(rank, 3), dest, 13)]
    got2 = MPI.Message.probe(comm, source, 12).recv()
    while True:
        m4 = MPI.Message.Iprobe(comm, source, 13)
        if m4 is not None:
            break
    b4 = np.zeros(3)
    m4.Recv(b4)
    MPI.Request.waitall(sreqs + sreqs2)
    assert s.source == source and s.tag == 10
    assert np.array_equal(b, arr(source, 2))
    assert got == ("obj", source)
    assert got2 == "again"
    assert np.array_equal(b4, arr(source, 3))


def test_proc_null_gives_message_no_proc():
    comm = MPI.COMM_WORLD
    s = MPI.Status()
    m = comm.Mprobe(MPI.PROC_NULL, 3, s)
    assert m == MPI.MESSAGE_NO_PROC
    assert (s.source, s.tag, s.Get_count(MPI.BYTE)) == (MPI.PROC_NULL, MPI.ANY_TAG, 0)
    assert comm.Improbe(MPI.PROC_NULL) == MPI.MESSAGE_NO_PROC
    assert comm.mprobe(MPI.PROC_NULL) == MPI.MESSAGE_NO_PROC
    assert comm.improbe(MPI.PROC_NULL) == MPI.MESSAGE_NO_PROC
    assert MPI.Message.Probe(comm, MPI.PROC_NULL) == MPI.MESSAGE_NO_PROC
    assert MPI.Message.iprobe(comm, MPI.PROC_NULL) == MPI.MESSAGE_NO_PROC


def test_receive_from_message_no_proc():
    comm = MPI.COMM_WORLD
    buf = np.full(3, 7)
    s = MPI.Status()
    m = comm.Mprobe(MPI.PROC_NULL)
    m.Recv(buf, s)
    r1 = (m == MPI.MESSAGE_NULL, s.source, s.tag, s.Get_count(MPI.BYTE), buf.tolist())
    m = comm.Mprobe(MPI.PROC_NULL)
    s = MPI.Status()
    m.Irecv(buf).Wait(s)
    r2 = (m == MPI.MESSAGE_NULL, s.source, s.tag, s.Get_count(MPI.BYTE))
    m = comm.mprobe(MPI.PROC_NULL)
    s = MPI.Status()
    obj = m.recv(s)
    r3 = (obj, m == MPI.MESSAGE_NULL, s.source, s.tag, s.Get_count(MPI.BYTE))
    m = comm.mprobe(MPI.PROC_NULL)
    obj = m.irecv().wait()
    r4 = (obj, m == MPI.MESSAGE_NULL)
    P, A = MPI.PROC_NULL, MPI.ANY_TAG
    assert r1 == (True, P, A, 0, [7, 7, 7])
    assert r2 == (True, P, A, 0)
    assert r3 == (None, True, P, A, 0)
    assert r4 == (None, True)


@pytest.mark.skipif(not IS_CMPI, reason="Open MPI aborts the process on MPI_Mrecv(MPI_MESSAGE_NULL)")
def test_message_received_twice_raises():
    comm = MPI.COMM_SELF
    sreq = comm.Isend(np.arange(3.0), 0, 14)
    m = comm.Mprobe(0, 14)
    buf = np.zeros(3)
    m.Recv(buf)
    sreq.Wait()
    with pytest.raises(MPI.Exception):
        m.Recv(buf)
    with pytest.raises(MPI.Exception):
        m.Irecv(buf)
    sreq = comm.isend("x", 0, 15)
    m = comm.mprobe(0, 15)
    assert m.recv() == "x"
    sreq.wait()
    with pytest.raises(MPI.Exception):
        m.recv()
    with pytest.raises(MPI.Exception):
        m.irecv()
    with pytest.raises(MPI.Exception):
        MPI.MESSAGE_NULL.Recv(buf)
    with pytest.raises(MPI.Exception):
        MPI.Message().recv()
    assert buf.tolist() == [0.0, 1.0, 2.0]


def test_mprobe_then_cancelled_nothing_else_matches(comm):
    # a receive posted after the match cannot steal the matched message
    rank, size, dest, source = ring(comm)
    sreq = comm.Isend(arr(rank, 2), dest, 16)
    msg = comm.Mprobe(source, 16)
    other = np.zeros(2)
    rreq = comm.Irecv(other, source, 16)
    mine = np.zeros(2)
    msg.Recv(mine)
    sreq.Wait()
    stolen = rreq.Test()
    if not stolen:
        rreq.Cancel()
        rs = MPI.Status()
        rreq.Wait(rs)
        cancelled = rs.Is_cancelled()
    assert np.array_equal(mine, arr(source, 2))
    assert not stolen and cancelled
