"""Message specifications: [buf, count, displ, datatype] and friends."""

import array

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import ring, stray_guard


def exchange(comm, sendspec, recvspec, tag=0):
    rank, size, dest, source = ring(comm)
    comm.Sendrecv(sendspec, dest, tag, recvspec, source, tag)


def test_plain_buffer():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(4, dtype="i")
    exchange(comm, np.arange(4, dtype="i") + rank, rbuf)
    assert rbuf.tolist() == [source, source + 1, source + 2, source + 3]


@pytest.mark.parametrize("form", ["list", "tuple"])
def test_buf_datatype(form):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    wrap = list if form == "list" else tuple
    rbuf = np.zeros(4, dtype="i")
    exchange(comm, wrap([np.arange(4, dtype="i") + rank, MPI.INT]), wrap([rbuf, MPI.INT]))
    assert rbuf.tolist() == [source + i for i in range(4)]


def test_buf_count_datatype():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    rbuf = np.full(6, -1, dtype="i")
    exchange(comm, [np.arange(6, dtype="i") + rank, 3, MPI.INT], [rbuf, 3, MPI.INT])
    assert rbuf.tolist() == [source, source + 1, source + 2, -1, -1, -1]


def test_buf_count_displ_tuple():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    rbuf = np.full(6, -1, dtype="d")
    exchange(comm, [np.arange(6, dtype="d") + rank, (2, 3), MPI.DOUBLE], [rbuf, (2, 1), MPI.DOUBLE])
    assert rbuf.tolist() == [-1, source + 3, source + 4, -1, -1, -1]


def test_buf_count_displ_datatype():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    rbuf = np.full(6, -1, dtype="i8")
    exchange(comm, [np.arange(6, dtype="i8") + rank, 2, 4, MPI.INT64_T], [rbuf, 2, 0, MPI.INT64_T])
    assert rbuf.tolist() == [source + 4, source + 5, -1, -1, -1, -1]


def test_buf_count_only():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    rbuf = np.full(5, -1, dtype="f4")
    exchange(comm, [np.arange(5, dtype="f4") + rank, 2], [rbuf, 2])
    assert rbuf.tolist() == [source, source + 1, -1, -1, -1]


@pytest.mark.parametrize(
    "code,dtype",
    [("i", "i4"), ("d", "f8"), ("f", "f4"), ("b", "i1"), ("B", "u1"), ("h", "i2"), ("q", "i8"), ("l", "i8"), ("c", "S1")],
)
def test_typecode_strings(code, dtype):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    if dtype == "S1":
        sbuf = np.frombuffer(bytes([65 + rank] * 3), dtype="S1").copy()
        rbuf = np.zeros(3, dtype="S1")
        expect = [bytes([65 + source])] * 3
    else:
        sbuf = np.arange(3, dtype=dtype) + rank
        rbuf = np.zeros(3, dtype=dtype)
        expect = [source, source + 1, source + 2]
    s = MPI.Status()
    comm.Sendrecv([sbuf, code], dest, 1, [rbuf, code], source, 1, s)
    assert rbuf.tolist() == expect
    assert s.Get_count(MPI.BYTE) == 3 * np.dtype(dtype).itemsize


@pytest.mark.parametrize(
    "make,datatype",
    [
        (lambda n: np.arange(n, dtype="i4"), "INT"),
        (lambda n: np.arange(n, dtype="f8"), "DOUBLE"),
        (lambda n: np.arange(n, dtype="f4"), "FLOAT"),
        (lambda n: np.arange(n, dtype="i8"), "INT64_T"),
        (lambda n: np.arange(n, dtype="c16"), "C_DOUBLE_COMPLEX"),
        (lambda n: np.arange(n, dtype="u2"), "UINT16_T"),
        (lambda n: array.array("d", range(n)), "DOUBLE"),
        (lambda n: array.array("i", range(n)), "INT"),
        (lambda n: bytearray(n), "BYTE"),
    ],
)
def test_inferred_datatype(make, datatype):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    dt = getattr(MPI, datatype)
    req = comm.Isend(make(5), dest, 2)
    s = MPI.Status()
    comm.Probe(source, 2, s)
    rbuf = make(5)
    comm.Recv(rbuf, source, 2)
    req.Wait()
    assert s.Get_count(dt) == 5


def test_explicit_datatype_overrides_format():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    sbuf = np.arange(4, dtype="f8") + rank
    rbuf = np.zeros(4, dtype="f8")
    # send the doubles as raw bytes, receive them as doubles
    exchange(comm, [sbuf, 32, MPI.BYTE], [rbuf, MPI.DOUBLE])
    assert rbuf.tolist() == [source + i for i in range(4)]


def test_none_buffer_empty_message():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    s = MPI.Status()
    comm.Sendrecv([None, MPI.INT], dest, 3, [None, MPI.INT], source, 3, s)
    assert s.Get_count(MPI.INT) == 0
    assert s.source == source


def test_none_where_unused():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    ok = []
    for root in range(size):
        rbuf = np.zeros(size, dtype="i") if rank == root else None
        comm.Gather(np.array([rank], dtype="i"), rbuf, root)
        if rank == root:
            ok.append(rbuf.tolist() == list(range(size)))  # type: ignore[union-attr]
        rbuf = np.zeros(size, dtype="i") if rank == root else [None, MPI.INT]  # type: ignore[assignment]
        comm.Gather(np.array([rank * 2], dtype="i"), rbuf if rank == root else [None, MPI.INT], root)
        if rank == root:
            ok.append(rbuf.tolist() == [2 * r for r in range(size)])  # type: ignore[union-attr]
        sbuf = np.arange(size, dtype="i") * 3 if rank == root else None
        out = np.zeros(1, dtype="i")
        comm.Scatter(sbuf, out, root)
        ok.append(out[0] == 3 * rank)
        sbuf = [np.arange(size, dtype="d"), MPI.DOUBLE] if rank == root else [None, MPI.DOUBLE]  # type: ignore[assignment]
        out = np.zeros(1)
        comm.Scatter(sbuf, out, root)
        ok.append(out[0] == rank)
    assert all(ok)


def test_in_place():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    buf = np.array([rank, 1], dtype="i")
    comm.Allreduce(MPI.IN_PLACE, buf, MPI.SUM)
    assert buf.tolist() == [size * (size - 1) // 2, size]
    buf = np.array([rank], dtype="d")
    comm.Allreduce(MPI.IN_PLACE, [buf, MPI.DOUBLE], op=MPI.MAX)
    assert buf[0] == size - 1


def test_typed_vector_specs():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [r + 1 for r in range(size)]
    displs = [sum(counts[:r]) for r in range(size)]
    total = sum(counts)
    rbuf = np.full(total, -1, dtype="i")
    comm.Allgatherv([np.full(rank + 1, rank, dtype="i"), MPI.INT], [rbuf, (counts, displs), MPI.INT])
    assert rbuf.tolist() == [r for r in range(size) for _ in range(r + 1)]
    rbuf = np.full(total, -1, dtype="i")
    comm.Allgatherv(np.full(rank + 1, rank, dtype="i"), [rbuf, counts])
    assert rbuf.tolist() == [r for r in range(size) for _ in range(r + 1)]


@pytest.mark.parametrize(
    "spec",
    [
        lambda b: [b, -1, MPI.INT],
        lambda b: [b, 1, 0, MPI.INT, 99],
        lambda b: [b],
    ],
    ids=["negative-count", "five-items", "one-item"],
)
def test_bad_spec_raises(spec):
    comm = MPI.COMM_SELF
    buf = np.zeros(4, dtype="i")
    with stray_guard(comm) as guard:
        with pytest.raises((ValueError, TypeError)):
            comm.Send(spec(buf), 0, 20)
    assert guard.strays == 0


def test_unknown_typecode_raises():
    comm = MPI.COMM_SELF
    with stray_guard(comm) as guard:
        with pytest.raises((KeyError, ValueError, TypeError)):
            comm.Send([np.zeros(4, dtype="i"), "z"], 0, 21)
    assert guard.strays == 0


@pytest.mark.parametrize(
    "spec",
    [
        lambda b: [b, 10, MPI.INT],
        lambda b: [b, (3, 2), MPI.INT],
        lambda b: [b, 2, 3, MPI.INT],
        lambda b: [b, 3, MPI.DOUBLE],
    ],
    ids=["count", "count-displ", "count-displ-4", "datatype-extent"],
)
def test_count_beyond_buffer_raises(spec):
    # cmpi checks that count (and displacement) fit the buffer; mpi4py
    # does not (it would read past the end), so this is cmpi-only.
    comm = MPI.COMM_SELF
    buf = np.zeros(4, dtype="i")
    if not IS_CMPI:
        return
    with stray_guard(comm) as guard:
        with pytest.raises((ValueError, MPI.Exception)):
            comm.Send(spec(buf), 0, 22)
    assert guard.strays == 0
    rbuf = np.zeros(4, dtype="i")
    with pytest.raises((ValueError, MPI.Exception)):
        req = comm.Irecv(spec(rbuf), 0, 22)
        req.Cancel()
        req.Wait()
