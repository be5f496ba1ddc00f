"""Send modes: buffered (Bsend, Ibsend, bsend, ibsend and the buffer that
backs them), ready (Rsend, Irsend) and the MPI-4 nonblocking
Isendrecv / Isendrecv_replace.

Notes on the libraries:

* Open MPI 4.1 has no MPI_Isendrecv(_replace) and neither library has the
  MPI-4.1 per-communicator buffers (MPI_Comm_attach_buffer ...): there the
  methods exist and raise NotImplementedError (cmpi's message names the
  missing MPI function; mpi4py's message is empty).
* MPICH 4.0.2's MPI_Isendrecv(_replace) leave the status unset (source and
  tag 0) and never complete when both peers are PROC_NULL, so neither is
  checked here.
* MPICH may block a standard-mode send to self until the receive is posted:
  receives are always posted first.
"""

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import mpi_library_has, ring

BUFSIZE = 1 << 20


class attached:
    """Attach a bsend buffer of ``nbytes`` (+ overhead) for a block."""

    def __init__(self, nbytes=BUFSIZE, nmsgs=8):
        self.buf = bytearray(nbytes + nmsgs * MPI.BSEND_OVERHEAD)

    def __enter__(self):
        MPI.Attach_buffer(self.buf)
        return self.buf

    def __exit__(self, *exc):
        # Detach waits until every buffered message has been transmitted:
        # every test posts its receives before sending, so it returns.
        self.detached = MPI.Detach_buffer()
        return False


def pattern(rank, n, dtype="f8", k=0):
    return (np.arange(n) * (rank + 1) + 1000 * k).astype(dtype)


def check_not_implemented(exc, *names):
    """A NotImplementedError from cmpi names the missing MPI function."""
    if IS_CMPI:
        msg = str(exc)
        assert any(n in msg for n in names), f"message {msg!r} does not name any of {names}"


# -- buffered mode ------------------------------------------------------------


def test_bsend_overhead():
    assert isinstance(MPI.BSEND_OVERHEAD, int)
    assert MPI.BSEND_OVERHEAD >= 0


def test_attach_detach_returns_buffer():
    buf = bytearray(4096 + MPI.BSEND_OVERHEAD)
    MPI.Attach_buffer(buf)
    out = MPI.Detach_buffer()
    assert out is not None
    assert len(memoryview(out).cast("B")) == len(buf)  # type: ignore[arg-type]
    # attach again after the detach: the buffer is free to reuse
    MPI.Attach_buffer(out)
    again = MPI.Detach_buffer()
    assert len(memoryview(again).cast("B")) == len(buf)  # type: ignore[arg-type]


def test_attach_numpy_buffer():
    comm = MPI.COMM_SELF
    mem = np.zeros(8192 + 4 * MPI.BSEND_OVERHEAD, dtype="u1")
    MPI.Attach_buffer(mem)
    try:
        rbuf = np.zeros(16, dtype="i4")
        rreq = comm.Irecv(rbuf, 0, 3)
        comm.Bsend(np.arange(16, dtype="i4"), 0, 3)
        rreq.Wait()
    finally:
        MPI.Detach_buffer()
    assert rbuf.tolist() == list(range(16))


def test_bsend_ring(comm):
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(100)
    with attached():
        rreq = comm.Irecv(rbuf, source, 1)
        comm.Bsend(pattern(rank, 100), dest, 1)
        # keyword form
        rbuf2 = np.zeros(7, dtype="i")
        rreq2 = comm.Irecv(rbuf2, source, 2)
        comm.Bsend(buf=pattern(rank, 7, "i"), dest=dest, tag=2)
        MPI.Request.Waitall([rreq, rreq2])
    assert np.array_equal(rbuf, pattern(source, 100))
    assert np.array_equal(rbuf2, pattern(source, 7, "i"))


def test_bsend_many_before_receive(comm):
    # Bsend returns once the data is copied out: several messages may be
    # sent before the peer receives any of them.
    rank, size, dest, source = ring(comm)
    got = []
    with attached(nmsgs=16):
        for k in range(5):
            comm.Bsend(pattern(rank, 50, k=k), dest, 4)
        for k in range(5):
            rbuf = np.zeros(50)
            comm.Recv(rbuf, source, 4)
            got.append(rbuf)
    for k, rbuf in enumerate(got):
        assert np.array_equal(rbuf, pattern(source, 50, k=k)), k


def test_bsend_default_tag():
    comm = MPI.COMM_SELF
    rbuf = np.zeros(3)
    s = MPI.Status()
    with attached():
        rreq = comm.Irecv(rbuf, 0, MPI.ANY_TAG)
        comm.Bsend(np.ones(3), 0)
        rreq.Wait(s)
    assert s.tag == 0
    assert rbuf.tolist() == [1.0] * 3


def test_ibsend(comm):
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(33, dtype="i8")
    with attached():
        rreq = comm.Irecv(rbuf, source, 5)
        sreq = comm.Ibsend(pattern(rank, 33, "i8"), dest, 5)
        assert isinstance(sreq, MPI.Request)
        MPI.Request.Waitall([sreq, rreq])
    assert np.array_equal(rbuf, pattern(source, 33, "i8"))


def test_bsend_lowercase(comm):
    rank, size, dest, source = ring(comm)
    obj = {"rank": rank, "data": list(range(rank + 5)), "arr": pattern(rank, 10)}
    with attached():
        comm.bsend(obj, dest=dest, tag=6)
        got = comm.recv(source=source, tag=6)
    assert got["rank"] == source and got["data"] == list(range(source + 5))
    assert np.array_equal(got["arr"], pattern(source, 10))


def test_ibsend_lowercase(comm):
    rank, size, dest, source = ring(comm)
    with attached():
        sreq = comm.ibsend(("x", rank), dest, 7)
        assert isinstance(sreq, MPI.Request)
        got = comm.recv(source=source, tag=7)
        assert sreq.wait() is None
    assert got == ("x", source)


# A failed Bsend is checked on a private communicator: Open MPI's ob1
# gives the failed send a sequence number all the same, so every later
# message to self on that communicator waits forever behind the missing one.


def test_bsend_without_buffer_raises():
    comm = MPI.COMM_SELF.Dup()
    errors = []
    try:
        for call in (lambda: comm.Bsend(np.arange(1000.0), 0, 40),
                     lambda: comm.Ibsend(np.arange(1000.0), 0, 40).Wait(),
                     lambda: comm.bsend("x" * 1000, 0, 40)):
            with pytest.raises(MPI.Exception) as info:
                call()
            errors.append(info.value.Get_error_class())
        stray = comm.Iprobe(0, 40)
    finally:
        comm.Free()
    assert errors == [MPI.ERR_BUFFER] * 3
    assert not stray


def test_ibsend_lowercase_large_without_buffer_raises_at_call():
    # A large object used to go out in standard-mode pieces behind a small
    # buffered envelope: no ERR_BUFFER, and a request that completed.
    comm = MPI.COMM_SELF.Dup()
    errors = []
    try:
        for call in (lambda: comm.ibsend(b"z" * (1 << 20), 0, 42),
                     lambda: comm.bsend(b"z" * (1 << 20), 0, 42),
                     lambda: comm.ibsend(np.arange(1 << 17), 0, 42)):
            with pytest.raises(MPI.Exception) as info:
                call()
            errors.append(info.value.Get_error_class())
        stray = comm.Iprobe(0, 42)
    finally:
        comm.Free()
    assert errors == [MPI.ERR_BUFFER] * 3
    assert not stray


def test_ibsend_lowercase_large_with_buffer(comm):
    rank, size, dest, source = ring(comm)
    obj = {"rank": rank, "arr": pattern(rank, 1 << 15)}
    with attached(nbytes=1 << 19, nmsgs=1):
        sreq = comm.ibsend(obj, dest, 43)
        got = comm.recv(source=source, tag=43)
        assert sreq.wait() is None
    assert got["rank"] == source
    assert np.array_equal(got["arr"], pattern(source, 1 << 15))


def test_bsend_buffer_too_small_raises():
    comm = MPI.COMM_SELF.Dup()
    try:
        with attached(nbytes=256, nmsgs=1):
            with pytest.raises(MPI.Exception) as info:
                comm.Bsend(np.arange(1000.0), 0, 41)
            with pytest.raises(MPI.Exception) as info2:
                comm.bsend(b"y" * 10000, 0, 41)
        stray = comm.Iprobe(0, 41)
    finally:
        comm.Free()
    assert info.value.Get_error_class() == MPI.ERR_BUFFER
    assert info2.value.Get_error_class() == MPI.ERR_BUFFER
    assert not stray


def test_bsend_buffer_reused_after_messages_leave(comm):
    # A buffer that only holds one message at a time is enough for a
    # sequence of Bsends when each is received before the next is sent.
    rank, size, dest, source = ring(comm)
    n = 512
    out = []
    with attached(nbytes=n * 8, nmsgs=1):
        for k in range(4):
            rbuf = np.zeros(n)
            rreq = comm.Irecv(rbuf, source, 8)
            comm.Bsend(pattern(rank, n, k=k), dest, 8)
            rreq.Wait()
            comm.Barrier()  # the peer's message has left our buffer too
            out.append(rbuf)
    for k, rbuf in enumerate(out):
        assert np.array_equal(rbuf, pattern(source, n, k=k))


def test_comm_attach_buffer(comm):
    # MPI-4.1: none of the libraries here have it; accept either a working
    # per-communicator buffer or NotImplementedError naming the function.
    assert hasattr(comm, "Attach_buffer") and hasattr(comm, "Detach_buffer")
    rank, size, dest, source = ring(comm)
    buf = bytearray(4096 + 4 * MPI.BSEND_OVERHEAD)
    try:
        comm.Attach_buffer(buf)
    except NotImplementedError as exc:
        check_not_implemented(exc, "MPI_Comm_attach_buffer")
        with pytest.raises(NotImplementedError) as info:
            comm.Detach_buffer()
        check_not_implemented(info.value, "MPI_Comm_detach_buffer")
        return
    rbuf = np.zeros(10)
    rreq = comm.Irecv(rbuf, source, 9)
    comm.Bsend(pattern(rank, 10), dest, 9)
    rreq.Wait()
    out = comm.Detach_buffer()
    assert len(memoryview(out).cast("B")) == len(buf)
    assert np.array_equal(rbuf, pattern(source, 10))


# -- ready mode ---------------------------------------------------------------


def test_rsend(comm):
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(20, dtype="i4")
    rreq = comm.Irecv(rbuf, source, 10)
    comm.Barrier()  # every receive is posted before any ready send starts
    comm.Rsend(pattern(rank, 20, "i4"), dest, 10)
    rreq.Wait()
    rbuf2 = np.zeros(3)
    rreq = comm.Irecv(rbuf2, source, 11)
    comm.Barrier()
    comm.Rsend(buf=pattern(rank, 3), dest=dest, tag=11)
    rreq.Wait()
    assert np.array_equal(rbuf, pattern(source, 20, "i4"))
    assert np.array_equal(rbuf2, pattern(source, 3))


def test_irsend(comm):
    rank, size, dest, source = ring(comm)
    n = 1 << 16  # 512 KiB: large enough for a rendezvous
    rbuf = np.zeros(n)
    rreq = comm.Irecv(rbuf, source, 12)
    comm.Barrier()
    sreq = comm.Irsend(pattern(rank, n), dest, 12)
    assert isinstance(sreq, MPI.Request)
    MPI.Request.Waitall([rreq, sreq])
    assert np.array_equal(rbuf, pattern(source, n))


def test_send_modes_proc_null():
    comm = MPI.COMM_WORLD
    buf = np.arange(4.0)
    with attached():
        comm.Bsend(buf, MPI.PROC_NULL, 13)
        comm.Ibsend(buf, MPI.PROC_NULL, 13).Wait()
        comm.bsend("obj", MPI.PROC_NULL, 13)
        comm.ibsend("obj", MPI.PROC_NULL, 13).wait()
    comm.Rsend(buf, MPI.PROC_NULL, 13)
    comm.Irsend(buf, MPI.PROC_NULL, 13).Wait()
    assert buf.tolist() == [0.0, 1.0, 2.0, 3.0]


# -- nonblocking sendrecv (MPI-4) ---------------------------------------------


def _isendrecv(comm, *args, **kwargs):
    """Call comm.Isendrecv; None when the library lacks MPI_Isendrecv."""
    try:
        return comm.Isendrecv(*args, **kwargs)
    except NotImplementedError as exc:
        check_not_implemented(exc, "MPI_Isendrecv")
        assert not IS_CMPI or not mpi_library_has("MPI_Isendrecv")
        return None


def test_isendrecv(comm):
    assert hasattr(comm, "Isendrecv")
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(40)
    req = _isendrecv(comm, pattern(rank, 40), dest, 20, rbuf, source, 20)
    if req is None:
        return
    assert isinstance(req, MPI.Request)
    req.Wait()
    # keyword form, large message
    n = 1 << 16
    rbuf2 = np.zeros(n, dtype="i4")
    req = comm.Isendrecv(sendbuf=pattern(rank, n, "i4"), dest=dest, sendtag=21,
                         recvbuf=rbuf2, source=source, recvtag=21)
    while not req.Test():
        pass
    assert np.array_equal(rbuf, pattern(source, 40))
    assert np.array_equal(rbuf2, pattern(source, n, "i4"))


def test_isendrecv_defaults(comm):
    # sendtag=0, source=ANY_SOURCE, recvtag=ANY_TAG: only `source` sends to
    # this rank, so the wildcard receive gets its message.
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(5, dtype="i")
    req = _isendrecv(comm, pattern(rank, 5, "i"), dest, recvbuf=rbuf)
    if req is None:
        return
    req.Wait()
    assert np.array_equal(rbuf, pattern(source, 5, "i"))


def test_isendrecv_replace(comm):
    assert hasattr(comm, "Isendrecv_replace")
    rank, size, dest, source = ring(comm)
    buf = pattern(rank, 64, "i8")
    try:
        req = comm.Isendrecv_replace(buf, dest, 22, source, 22)
    except NotImplementedError as exc:
        check_not_implemented(exc, "MPI_Isendrecv_replace")
        assert not IS_CMPI or not mpi_library_has("MPI_Isendrecv_replace")
        return
    assert isinstance(req, MPI.Request)
    req.Wait()
    buf2 = pattern(rank, 9)
    req = comm.Isendrecv_replace(buf=buf2, dest=dest, sendtag=23, source=source, recvtag=23)
    req.Wait()
    buf3 = pattern(rank, 3, "i4")
    comm.Isendrecv_replace(buf3, dest).Wait()  # defaults: tag 0, any source/tag
    assert np.array_equal(buf, pattern(source, 64, "i8"))
    assert np.array_equal(buf2, pattern(source, 9))
    assert np.array_equal(buf3, pattern(source, 3, "i4"))


def test_isendrecv_one_side_proc_null():
    comm = MPI.COMM_SELF
    rbuf = np.full(3, -1.0)
    req = _isendrecv(comm, np.arange(3.0), MPI.PROC_NULL, 24, rbuf, 0, 24)
    if req is None:
        return
    sreq = comm.Isend(np.arange(3.0) + 5, 0, 24)
    MPI.Request.Waitall([req, sreq])
    rbuf2 = np.full(3, -1.0)
    rreq = comm.Irecv(rbuf2, 0, 25)
    req = comm.Isendrecv(np.arange(3.0) + 7, 0, 25, np.full(3, -2.0), MPI.PROC_NULL, 25)
    MPI.Request.Waitall([req, rreq])
    assert rbuf.tolist() == [5.0, 6.0, 7.0]
    assert rbuf2.tolist() == [7.0, 8.0, 9.0]
