"""Point-to-point communication of buffer-like objects."""

import array

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import drain, ring, stray_guard

DTYPES = [
    "int8", "int16", "int32", "int64",
    "uint8", "uint16", "uint32", "uint64",
    "float32", "float64", "complex64", "complex128", "bool",
]
TYPECODES = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"]


def values(dtype, n, rank):
    a = (np.arange(n) + 3 * rank) % 100
    if dtype == "bool":
        return (a % 3 == 0)
    out = a.astype(dtype)
    if np.dtype(dtype).kind == "c":
        out = out + 1j * out[::-1]
    return out.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_send_recv_dtypes(dtype):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    sbuf = values(dtype, 17, rank)
    rbuf = np.zeros(17, dtype=dtype)
    req = comm.Isend(sbuf, dest, 1)
    comm.Recv(rbuf, source, 1)
    req.Wait()
    assert np.array_equal(rbuf, values(dtype, 17, source))


def test_send_recv_comms(comm):
    rank, size, dest, source = ring(comm)
    results = []
    for dtype in ("int32", "float64", "complex128", "bool"):
        rbuf = np.zeros(5, dtype=dtype)
        rreq = comm.Irecv(rbuf, source, 2)
        if size == 1:
            sreq = comm.Isend(values(dtype, 5, rank), dest, 2)
            sreq.Wait()
        else:
            comm.Send(values(dtype, 5, rank), dest, 2)
        rreq.Wait()
        results.append((dtype, rbuf))
    for dtype, rbuf in results:
        assert np.array_equal(rbuf, values(dtype, 5, source))


def test_sendrecv(comm):
    rank, size, dest, source = ring(comm)
    sbuf = values("float64", 9, rank)
    rbuf = np.zeros(9)
    s = MPI.Status()
    comm.Sendrecv(sbuf, dest, 3, rbuf, source, 3, s)
    assert np.array_equal(rbuf, values("float64", 9, source))
    assert s.source == source
    # keyword form
    rbuf2 = np.zeros(9)
    comm.Sendrecv(sendbuf=sbuf, dest=dest, sendtag=4, recvbuf=rbuf2, source=source, recvtag=4, status=None)
    assert np.array_equal(rbuf2, rbuf)


def test_sendrecv_replace(comm):
    rank, size, dest, source = ring(comm)
    buf = values("int64", 6, rank)
    comm.Sendrecv_replace(buf, dest, 5, source, 5)
    assert np.array_equal(buf, values("int64", 6, source))


def test_ssend_pairs(comm):
    rank, size, dest, source = ring(comm)
    partner = rank ^ 1
    rbuf = np.zeros(4, dtype="i")
    if partner < size:
        if rank % 2 == 0:
            comm.Ssend(np.full(4, rank, dtype="i"), partner, 6)
            comm.Recv(rbuf, partner, 6)
        else:
            comm.Recv(rbuf, partner, 6)
            comm.Ssend(np.full(4, rank, dtype="i"), partner, 6)
        assert rbuf.tolist() == [partner] * 4


def test_issend(comm):
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(3, dtype="u2")
    req = comm.Issend(np.full(3, rank + 1, dtype="u2"), dest, 7)
    comm.Recv(rbuf, source, 7)
    req.Wait()
    assert rbuf.tolist() == [source + 1] * 3


def test_probe_iprobe(comm):
    rank, size, dest, source = ring(comm)
    n = rank + 2
    req = comm.Isend(np.arange(n, dtype="f8"), dest, 8)
    s = MPI.Status()
    comm.Probe(source, 8, s)
    count = s.Get_count(MPI.DOUBLE)
    s2 = MPI.Status()
    flag = comm.Iprobe(source, 8, s2)
    rbuf = np.zeros(count)
    comm.Recv(rbuf, source, 8)
    req.Wait()
    assert count == source + 2
    assert flag is True and s2.Get_count(MPI.DOUBLE) == count
    assert rbuf.tolist() == list(range(count))


@pytest.mark.parametrize("code", TYPECODES)
def test_array_array(code):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    sbuf = array.array(code, [(i + rank) % 100 for i in range(8)])
    rbuf = array.array(code, [0] * 8)
    req = comm.Isend(sbuf, dest, 9)
    comm.Recv(rbuf, source, 9)
    req.Wait()
    assert rbuf.tolist() == [(i + source) % 100 for i in range(8)]


def test_bytearray_bytes_memoryview(comm):
    rank, size, dest, source = ring(comm)
    expect = bytes((i * 7 + source) % 256 for i in range(64))
    data = bytes((i * 7 + rank) % 256 for i in range(64))
    out = []
    for sbuf in (data, bytearray(data), memoryview(data), memoryview(bytearray(data))):
        rbuf = bytearray(64)
        req = comm.Isend(sbuf, dest, 10)
        comm.Recv(rbuf, source, 10)
        req.Wait()
        out.append(bytes(rbuf))
    mv_target = bytearray(64)
    req = comm.Isend(data, dest, 11)
    comm.Recv(memoryview(mv_target), source, 11)
    req.Wait()
    out.append(bytes(mv_target))
    assert out == [expect] * 5


def test_numpy_views(comm):
    # contiguous slices and memoryviews of numpy arrays send/receive in place
    rank, size, dest, source = ring(comm)
    big = np.full(20, -1, dtype="i")
    req = comm.Isend(np.arange(20, dtype="i")[5:10] + rank, dest, 12)
    comm.Recv(memoryview(big)[5:10], source, 12)
    req.Wait()
    assert big[:5].tolist() == [-1] * 5 and big[10:].tolist() == [-1] * 10
    assert big[5:10].tolist() == [5 + source + i for i in range(5)]
    two_d = np.zeros((3, 4))
    req = comm.Isend(np.ones((3, 4)) * rank, dest, 13)
    comm.Recv(two_d, source, 13)
    req.Wait()
    assert np.all(two_d == source)


def test_large_buffer(comm):
    rank, size, dest, source = ring(comm)
    n = 1 << 20  # 8 MB of doubles
    rbuf = np.empty(n)
    comm.Sendrecv(np.full(n, float(rank)), dest, 14, rbuf, source, 14)
    assert rbuf[0] == source and rbuf[-1] == source and np.all(rbuf == source)


def test_proc_null():
    comm = MPI.COMM_WORLD
    buf = np.full(4, 9, dtype="i")
    comm.Send(buf, MPI.PROC_NULL)
    comm.Ssend(buf, MPI.PROC_NULL)
    s = MPI.Status()
    comm.Recv(buf, MPI.PROC_NULL, MPI.ANY_TAG, s)
    assert buf.tolist() == [9] * 4
    assert s.source == MPI.PROC_NULL
    comm.Sendrecv(buf, MPI.PROC_NULL, 0, buf, MPI.PROC_NULL, 0)
    assert buf.tolist() == [9] * 4
    comm.Probe(MPI.PROC_NULL)
    assert comm.Iprobe(MPI.PROC_NULL) is True


# None is no bad buffer: it is an empty one, as in mpi4py
BAD_BUFFERS = [[1, 2, 3], 5, "text", 3.5, {"a": 1}, object()]


@pytest.mark.parametrize("bad", BAD_BUFFERS, ids=lambda b: type(b).__name__)
def test_send_wrong_type_raises(bad):
    comm = MPI.COMM_SELF
    with stray_guard(comm) as guard:
        with pytest.raises(TypeError):
            comm.Send(bad, 0, 40)
        with pytest.raises(TypeError):
            req = comm.Isend(bad, 0, 40)
            req.Wait()
    assert guard.strays == 0


@pytest.mark.parametrize("bad", BAD_BUFFERS, ids=lambda b: type(b).__name__)
def test_recv_wrong_type_raises(bad):
    comm = MPI.COMM_SELF
    sreq = comm.Isend(np.arange(4, dtype="i"), 0, 41)
    try:
        with pytest.raises(TypeError):
            comm.Recv(bad, 0, 41)
    finally:
        drained = drain(comm, 41, sreq=sreq)
        sreq.Wait()
    assert drained == 1  # the message was not consumed by the failed call


def test_recv_readonly_raises():
    comm = MPI.COMM_SELF
    target = b"\x00" * 16
    sreq = comm.Isend(np.arange(4, dtype="i"), 0, 42)
    try:
        with pytest.raises((TypeError, ValueError, BufferError)):
            comm.Recv(target, 0, 42)
        with pytest.raises((TypeError, ValueError, BufferError)):
            comm.Recv(memoryview(bytearray(16)).toreadonly(), 0, 42)
        ro = np.zeros(4, dtype="i")
        ro.flags.writeable = False
        with pytest.raises((TypeError, ValueError, BufferError)):
            comm.Recv(ro, 0, 42)
    finally:
        drained = drain(comm, 42, sreq=sreq)
        sreq.Wait()
    assert drained == 1
    assert target == b"\x00" * 16
    assert ro.tolist() == [0, 0, 0, 0]


def test_recv_noncontiguous_raises():
    comm = MPI.COMM_SELF
    buf = np.zeros(10)
    sreq = comm.Isend(np.arange(5, dtype="d"), 0, 43)
    try:
        with pytest.raises((TypeError, ValueError, BufferError)):
            comm.Recv(buf[::2], 0, 43)
    finally:
        drained = drain(comm, 43, sreq=sreq)
        sreq.Wait()
    assert drained == 1
    assert buf.tolist() == [0.0] * 10


def test_irecv_wrong_type_raises():
    comm = MPI.COMM_SELF
    with pytest.raises(TypeError):
        req = comm.Irecv([0, 0], 0, 44)
        req.Cancel()
        req.Wait()
    with pytest.raises((TypeError, ValueError, BufferError)):
        req = comm.Irecv(b"abcd", 0, 44)
        req.Cancel()
        req.Wait()
