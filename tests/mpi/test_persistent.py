"""Persistent requests: Send_init, Bsend_init, Ssend_init, Rsend_init,
Recv_init, Prequest.Start / Startall, reuse, inactive state and Free.

An inactive persistent request (never started, or completed) stays a
valid, truthy request: Wait/Test on it return at once with an empty status;
only Free() turns it into REQUEST_NULL.
"""

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import ring

SEND_KINDS = ["Send_init", "Bsend_init", "Ssend_init", "Rsend_init"]


class attached:
    def __init__(self, nbytes=1 << 20):
        self.buf = bytearray(nbytes + 16 * MPI.BSEND_OVERHEAD)

    def __enter__(self):
        MPI.Attach_buffer(self.buf)

    def __exit__(self, *exc):
        MPI.Detach_buffer()
        return False


class nothing:
    def __enter__(self):
        pass

    def __exit__(self, *exc):
        return False


def values(rank, n, k, dtype="f8"):
    return (np.arange(n) + 100 * rank + 10000 * k).astype(dtype)


def test_init_returns_prequest(comm):
    rank, size, dest, source = ring(comm)
    buf = np.zeros(4)
    reqs = [getattr(comm, kind)(buf, dest, 1) for kind in SEND_KINDS]
    reqs.append(comm.Recv_init(buf, source, 1))
    types = [type(r) for r in reqs]
    truthy = [bool(r) for r in reqs]
    for r in reqs:
        r.Free()
    freed = [r == MPI.REQUEST_NULL for r in reqs]
    assert all(issubclass(t, MPI.Prequest) for t in types), types
    assert all(issubclass(t, MPI.Request) for t in types)
    assert truthy == [True] * 5
    assert freed == [True] * 5


@pytest.mark.parametrize("kind", SEND_KINDS)
def test_reuse_loop(comm, kind):
    rank, size, dest, source = ring(comm)
    n = 37
    sbuf = np.zeros(n)
    rbuf = np.zeros(n)
    got, active = [], []
    with attached() if kind == "Bsend_init" else nothing():
        rreq = comm.Recv_init(rbuf, source, 2)
        sreq = getattr(comm, kind)(sbuf, dest, 2)
        for k in range(3):
            sbuf[:] = values(rank, n, k)  # new contents for every start
            rreq.Start()
            if kind == "Rsend_init":
                comm.Barrier()  # every receive started before any ready send
            sreq.Start()
            MPI.Request.Waitall([rreq, sreq])
            got.append(rbuf.copy())
            active.append((bool(rreq), bool(sreq)))
        rreq.Free()
        sreq.Free()
    for k in range(3):
        assert np.array_equal(got[k], values(source, n, k)), k
    assert active == [(True, True)] * 3
    assert rreq == MPI.REQUEST_NULL and sreq == MPI.REQUEST_NULL


def test_keyword_arguments(comm):
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(5, dtype="i")
    rreq = comm.Recv_init(buf=rbuf, source=source, tag=3)
    sreq = comm.Send_init(buf=values(rank, 5, 0, "i"), dest=dest, tag=3)
    s = MPI.Status()
    rreq.Start()
    sreq.Start()
    sreq.Wait()
    rreq.Wait(status=s)
    rreq.Free()
    sreq.Free()
    assert np.array_equal(rbuf, values(source, 5, 0, "i"))
    assert (s.source, s.tag) == (source, 3)


def test_recv_init_defaults(comm):
    # source=ANY_SOURCE, tag=ANY_TAG; Send_init's tag defaults to 0
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(3)
    rreq = comm.Recv_init(rbuf)
    sreq = comm.Send_init(values(rank, 3, 1), dest)
    s = MPI.Status()
    rreq.Start()
    sreq.Start()
    sreq.Wait()
    rreq.Wait(s)
    rreq.Free()
    sreq.Free()
    assert (s.source, s.tag) == (source, 0)
    assert np.array_equal(rbuf, values(source, 3, 1))


def test_startall(comm):
    rank, size, dest, source = ring(comm)
    n = 8
    sbufs = [np.zeros(n, dtype="i8") for _ in range(3)]
    rbufs = [np.zeros(n, dtype="i8") for _ in range(3)]
    reqs = [comm.Recv_init(b, source, 10 + i) for i, b in enumerate(rbufs)]
    reqs += [comm.Send_init(b, dest, 10 + i) for i, b in enumerate(sbufs)]
    got = []
    for k in range(3):
        for i, b in enumerate(sbufs):
            b[:] = values(rank, n, k * 3 + i, "i8")
        MPI.Prequest.Startall(reqs)
        if k == 1:
            while not MPI.Request.Testall(reqs):
                pass
        else:
            MPI.Request.Waitall(reqs)
        got.append([b.copy() for b in rbufs])
    for r in reqs:
        r.Free()
    for k in range(3):
        for i in range(3):
            assert np.array_equal(got[k][i], values(source, n, k * 3 + i, "i8")), (k, i)
    assert all(r == MPI.REQUEST_NULL for r in reqs)


def test_startall_with_waitany(comm):
    rank, size, dest, source = ring(comm)
    rbufs = [np.zeros(2, dtype="i") for _ in range(2)]
    rreqs = [comm.Recv_init(b, source, 20 + i) for i, b in enumerate(rbufs)]
    sreqs = [comm.Send_init(np.array([rank, i], dtype="i"), dest, 20 + i) for i in range(2)]
    MPI.Prequest.Startall(rreqs)
    MPI.Prequest.Startall(sreqs)
    seen = []
    for _ in range(2):
        idx = MPI.Request.Waitany(rreqs)
        seen.append(idx)
    # both persistent receives are now inactive but not null
    assert MPI.Request.Waitany(rreqs) == MPI.UNDEFINED
    MPI.Request.Waitall(sreqs)
    for r in rreqs + sreqs:
        r.Free()
    assert sorted(seen) == [0, 1]
    assert [b.tolist() for b in rbufs] == [[source, 0], [source, 1]]


def test_inactive_request_completes_at_once():
    comm = MPI.COMM_SELF
    rreq = comm.Recv_init(np.zeros(3), 0, 30)
    s = MPI.Status()
    s.source, s.tag = 5, 5
    rreq.Wait(s)  # never started: returns with an empty status
    empty = (s.source, s.tag, s.Get_count(MPI.DOUBLE))
    flag = rreq.Test()
    still = bool(rreq) and rreq != MPI.REQUEST_NULL
    rreq.Free()
    assert empty == (MPI.ANY_SOURCE, MPI.ANY_TAG, 0)
    assert flag is True
    assert still


def test_start_while_active_raises():
    comm = MPI.COMM_SELF
    rreq = comm.Recv_init(np.zeros(3), 0, 31)
    rreq.Start()
    raised = None
    if IS_CMPI:
        # MPI leaves this undefined: Open MPI accepts it, MPICH raises
        try:
            rreq.Start()
        except MPI.Exception as exc:
            raised = exc
    rreq.Cancel()
    s = MPI.Status()
    rreq.Wait(s)
    rreq.Free()
    assert s.Is_cancelled()
    if IS_CMPI:
        assert raised is not None, "Start() of an active persistent request did not raise"
        assert raised.Get_error_class() == MPI.ERR_REQUEST


def test_startall_with_active_request_raises():
    if not IS_CMPI:
        return
    comm = MPI.COMM_SELF
    r1 = comm.Recv_init(np.zeros(3), 0, 32)
    r2 = comm.Recv_init(np.zeros(3), 0, 33)
    r1.Start()
    with pytest.raises(MPI.Exception):
        MPI.Prequest.Startall([r2, r1])
    # r2 must not have been started either: an inactive request tests
    # complete at once, a started receive (nothing is sent) does not
    r2_inactive = r2.Test()
    for r in (r1,) if r2_inactive else (r1, r2):
        r.Cancel()
        r.Wait()
    r1.Free()
    r2.Free()
    assert r2_inactive, "Startall started some requests before raising"


def test_cancel_then_restart():
    comm = MPI.COMM_SELF
    rbuf = np.zeros(4)
    rreq = comm.Recv_init(rbuf, 0, 34)
    rreq.Start()
    rreq.Cancel()
    s = MPI.Status()
    rreq.Wait(s)
    cancelled = s.Is_cancelled()
    rreq.Start()
    sreq = comm.Isend(np.arange(4.0), 0, 34)
    s2 = MPI.Status()
    rreq.Wait(s2)
    sreq.Wait()
    rreq.Free()
    assert cancelled is True
    assert s2.Is_cancelled() is False and s2.tag == 34
    assert rbuf.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_ssend_init_completes_after_match(comm):
    # a started Ssend_init does not complete before the receive matches
    rank, size, dest, source = ring(comm)
    sreq = comm.Ssend_init(values(rank, 4, 0), dest, 35)
    sreq.Start()
    done_early = sreq.Test()
    comm.Barrier()
    rbuf = np.zeros(4)
    comm.Recv(rbuf, source, 35)
    sreq.Wait()
    sreq.Free()
    assert done_early is False
    assert np.array_equal(rbuf, values(source, 4, 0))


def test_persistent_large_message(comm):
    rank, size, dest, source = ring(comm)
    n = 1 << 17  # 1 MiB: rendezvous protocol
    sbuf = np.empty(n)
    rbuf = np.empty(n)
    rreq = comm.Recv_init(rbuf, source, 36)
    sreq = comm.Send_init(sbuf, dest, 36)
    ok = []
    for k in range(2):
        sbuf[:] = values(rank, n, k)
        MPI.Prequest.Startall([rreq, sreq])
        MPI.Request.Waitall([rreq, sreq])
        ok.append(bool(np.array_equal(rbuf, values(source, n, k))))
    rreq.Free()
    sreq.Free()
    assert ok == [True, True]


def test_proc_null_persistent():
    comm = MPI.COMM_WORLD
    buf = np.full(3, 7.0)
    reqs = [comm.Send_init(buf, MPI.PROC_NULL, 37), comm.Recv_init(buf, MPI.PROC_NULL, 37)]
    for _ in range(2):
        MPI.Prequest.Startall(reqs)
        MPI.Request.Waitall(reqs)
    for r in reqs:
        r.Free()
    assert buf.tolist() == [7.0] * 3


def test_free_inactive_and_null():
    comm = MPI.COMM_SELF
    req = comm.Send_init(np.zeros(1), 0, 38)
    req.Free()
    assert req == MPI.REQUEST_NULL and not req
    assert isinstance(req, MPI.Prequest)
