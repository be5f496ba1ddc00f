"""Nonblocking (I...) and persistent (..._init) buffer collectives,
Alltoallw, and Op.Reduce_local."""

import gc
import re

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import mpi_library_has, skip_intel_persistent

#: MPI-4 persistent collectives: MPICH 4 and Open MPI 5 have them, Open
#: MPI 4.1 does not.
HAVE_PERSISTENT = mpi_library_has("MPI_Bcast_init", "MPI_Barrier_init", "MPI_Allreduce_init")


def started(comm, name, *args, **kwargs):
    """Start the nonblocking form of collective `name` and wait for it."""
    req = getattr(comm, name)(*args, **kwargs)
    assert isinstance(req, MPI.Request)
    return req


def test_ibarrier(comm):
    req = comm.Ibarrier()
    req.Wait()
    assert req == MPI.REQUEST_NULL


def test_ibcast_every_root(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    bufs = []
    reqs = []
    for root in range(size):
        buf = np.arange(9, dtype="i8") * (root + 1) if rank == root else np.zeros(9, "i8")
        reqs.append(comm.Ibcast(buf, root=root))
        bufs.append(buf)
    MPI.Request.Waitall(reqs)
    for root, buf in enumerate(bufs):
        assert buf.tolist() == (np.arange(9) * (root + 1)).tolist()


def test_igather_iscatter_iallgather_ialltoall(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    root = size - 1
    gbuf = np.full((size, 2), -1, "d") if rank == root else None
    r1 = comm.Igather(np.array([rank, rank + 0.5]), gbuf, root=root)
    sbuf = np.arange(size * 3, dtype="i").reshape(size, 3) if rank == root else None
    rbuf = np.zeros(3, "i")
    r2 = comm.Iscatter(sbuf, rbuf, root=root)
    abuf = np.zeros(size, "i")
    r3 = comm.Iallgather(np.array([rank * 10], "i"), abuf)
    tbuf = np.zeros(size, "i")
    r4 = comm.Ialltoall(np.array([rank * 100 + d for d in range(size)], "i"), tbuf)
    MPI.Request.Waitall([r1, r2, r3, r4])
    if rank == root:
        assert gbuf.tolist() == [[r, r + 0.5] for r in range(size)]  # type: ignore[union-attr]
    assert rbuf.tolist() == [rank * 3, rank * 3 + 1, rank * 3 + 2]
    assert abuf.tolist() == [r * 10 for r in range(size)]
    assert tbuf.tolist() == [s * 100 + rank for s in range(size)]


def test_ireductions(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    send = np.array([rank + 1, 2 * rank], "i8")
    red = np.zeros(2, "i8")
    allr = np.zeros(2, "i8")
    scan = np.zeros(2, "i8")
    exscan = np.full(2, -7, "i8")
    reqs = [
        comm.Ireduce(send, red if rank == 0 else None, op=MPI.SUM, root=0),
        comm.Iallreduce(send, allr, op=MPI.MAX),
        comm.Iscan(send, scan),
        comm.Iexscan(send, exscan, op=MPI.SUM),
    ]
    MPI.Request.Waitall(reqs)
    if rank == 0:
        assert red.tolist() == [size * (size + 1) // 2, size * (size - 1)]
    assert allr.tolist() == [size, 2 * (size - 1)]
    assert scan.tolist() == [(rank + 1) * (rank + 2) // 2, rank * (rank + 1)]
    if rank > 0:
        assert exscan.tolist() == [rank * (rank + 1) // 2, rank * (rank - 1)]


def test_iallreduce_in_place(comm):
    size = comm.Get_size()
    buf = np.ones(5, "f8")
    comm.Iallreduce(MPI.IN_PLACE, buf).Wait()
    assert buf.tolist() == [float(size)] * 5


def test_ivector_collectives(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [r + 1 for r in range(size)]
    displs = [sum(counts[:r]) for r in range(size)]
    total = sum(counts)
    mine = np.full(rank + 1, rank, "i")
    ag = np.zeros(total, "i")
    r1 = comm.Iallgatherv(mine, [ag, (counts, displs), MPI.INT])
    g = np.zeros(total, "i") if rank == 0 else None
    r2 = comm.Igatherv(mine, [g, counts, displs, MPI.INT] if rank == 0 else None, root=0)
    src = np.repeat(np.arange(size, dtype="i"), counts) if rank == 0 else None
    got = np.zeros(rank + 1, "i")
    r3 = comm.Iscatterv([src, counts, displs, MPI.INT] if rank == 0 else None, got, root=0)
    a2a_s = np.array([rank * 10 + d for d in range(size) for _ in range(d + 1)], "i")
    scounts = [d + 1 for d in range(size)]
    rcounts = [rank + 1] * size
    a2a_r = np.zeros((rank + 1) * size, "i")
    r4 = comm.Ialltoallv([a2a_s, scounts], [a2a_r, rcounts])
    MPI.Request.Waitall([r1, r2, r3, r4])
    want = np.repeat(np.arange(size), counts).tolist()
    assert ag.tolist() == want
    if rank == 0:
        assert g.tolist() == want  # type: ignore[union-attr]
    assert got.tolist() == [rank] * (rank + 1)
    assert a2a_r.tolist() == [s * 10 + rank for s in range(size) for _ in range(rank + 1)]


def test_ireduce_scatter(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    send = np.arange(2 * size, dtype="i8")
    block = np.zeros(2, "i8")
    r1 = comm.Ireduce_scatter_block(send, block)
    counts = [1] * size
    vec = np.zeros(1, "i8")
    r2 = comm.Ireduce_scatter(np.arange(size, dtype="i8"), vec, counts)
    MPI.Request.Waitall([r1, r2])
    assert block.tolist() == [2 * rank * size, (2 * rank + 1) * size]
    assert vec.tolist() == [rank * size]


def test_request_keeps_buffers_alive(comm):
    """Dropping every reference to the buffers of a started collective
    must not free them before the request completes."""
    rank, size = comm.Get_rank(), comm.Get_size()
    recv = np.zeros(size * 1000, "i8")
    req = comm.Iallgather(np.full(1000, rank, "i8"), recv)
    view = memoryview(recv)
    del recv
    gc.collect()
    req.Wait()
    got = np.frombuffer(view, "i8").reshape(size, 1000)
    assert all((got[r] == r).all() for r in range(size))


def test_alltoallw(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    # send one int64 and one float64 to each rank, described per rank
    send = np.zeros(size, dtype=[("i", "i8"), ("d", "f8")])
    send["i"] = [rank * 100 + d for d in range(size)]
    send["d"] = [rank + d / 10 for d in range(size)]
    recv = np.zeros_like(send)
    counts = [2] * size
    displs = [16 * d for d in range(size)]
    pair = MPI.INT64_T.Create_contiguous(2).Commit()  # 16 bytes, copied raw
    try:
        types = [MPI.INT64_T] * size
        comm.Alltoallw([send, counts, displs, types], [recv, (counts, displs), types])
        assert recv["i"].tolist() == [s * 100 + rank for s in range(size)]
        assert recv["d"].tolist() == [s + rank / 10 for s in range(size)]
        recv2 = np.zeros_like(send)
        ones = [1] * size
        comm.Ialltoallw([send, ones, displs, [pair] * size], [recv2, ones, displs, [pair] * size]).Wait()
        assert recv2.tobytes() == recv.tobytes()
    finally:
        pair.Free()


def test_alltoallw_bad_spec(comm):
    size = comm.Get_size()
    buf = np.zeros(size, "i8")
    with pytest.raises((TypeError, ValueError)):
        comm.Alltoallw([buf, [1] * size], [buf, [1] * size])
    if MPI.__name__.startswith("cmpi"):
        # a block past the end of the buffer is caught before MPI sees it
        with pytest.raises(ValueError, match="past the end"):
            comm.Alltoallw([buf, [size + 1] * size, [0] * size, [MPI.INT64_T] * size], [buf, [1] * size, [8 * r for r in range(size)], [MPI.INT64_T] * size])


@pytest.mark.skipif(HAVE_PERSISTENT, reason="the MPI library has persistent collectives")
def test_persistent_collectives_missing(comm):
    buf = np.zeros(3)
    for call in (lambda: comm.Bcast_init(buf), lambda: comm.Barrier_init(), lambda: comm.Allreduce_init(buf, np.zeros(3))):
        with pytest.raises(NotImplementedError, match=rf"MPI_\w+_init is not available in {re.escape(MPI.get_vendor()[0])} [\d.]+ \(it implements MPI \d\.\d\)"):
            call()


@skip_intel_persistent
@pytest.mark.skipif(not HAVE_PERSISTENT, reason="MPI-4 persistent collectives missing")
def test_persistent_collectives(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    buf = np.zeros(4, "i8")
    total = np.zeros(4, "i8")
    bcast = comm.Bcast_init(buf, root=0)
    allred = comm.Allreduce_init(buf, total, op=MPI.SUM)
    barrier = comm.Barrier_init()
    assert isinstance(bcast, MPI.Prequest)
    try:
        for step in range(3):
            if rank == 0:
                buf[:] = np.arange(4) + step
            bcast.Start()
            bcast.Wait()
            assert buf.tolist() == (np.arange(4) + step).tolist()
            MPI.Prequest.Startall([allred, barrier])
            MPI.Request.Waitall([allred, barrier])
            assert total.tolist() == ((np.arange(4) + step) * size).tolist()
    finally:
        for r in (bcast, allred, barrier):
            r.Free()


@skip_intel_persistent
@pytest.mark.skipif(not HAVE_PERSISTENT, reason="MPI-4 persistent collectives missing")
def test_persistent_gather_alltoallw(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    out = np.zeros(size, "i")
    req = comm.Allgather_init(np.array([rank], "i"), out)
    req.Start()
    req.Wait()
    req.Free()
    assert out.tolist() == list(range(size))
    send = np.arange(size, dtype="i8") + 10 * rank
    recv = np.zeros(size, "i8")
    ones, displs = [1] * size, [8 * r for r in range(size)]
    req = comm.Alltoallw_init([send, ones, displs, [MPI.INT64_T] * size], [recv, ones, displs, [MPI.INT64_T] * size])
    req.Start()
    req.Wait()
    req.Free()
    assert recv.tolist() == [10 * s + rank for s in range(size)]


@pytest.mark.parametrize("dtype", ["i4", "i8", "f4", "f8", "c16"])
def test_reduce_local(dtype):
    a = np.arange(1, 6).astype(dtype)
    b = (np.arange(5) * 3).astype(dtype)
    MPI.SUM.Reduce_local(a, b)
    assert b.tolist() == (np.arange(1, 6) + np.arange(5) * 3).astype(dtype).tolist()
    if dtype[0] != "c":
        c = np.full(5, 3).astype(dtype)
        MPI.MAX.Reduce_local(a, c)
        assert c.tolist() == np.maximum(np.arange(1, 6), 3).astype(dtype).tolist()


def test_reduce_local_user_op():
    def absmax(inbuf, inoutbuf, datatype):
        x = np.frombuffer(inbuf, "f8")
        y = np.frombuffer(inoutbuf, "f8")
        np.copyto(y, np.maximum(np.abs(x), np.abs(y)))

    op = MPI.Op.Create(absmax, commute=True)
    try:
        b = np.array([1.0, -5.0, 2.0])
        op.Reduce_local(np.array([-3.0, 4.0, -1.0]), b)
        assert b.tolist() == [3.0, 5.0, 2.0]
    finally:
        op.Free()


def test_reduce_local_mismatch():
    with pytest.raises(ValueError):
        MPI.SUM.Reduce_local(np.zeros(3), np.zeros(4))
    with pytest.raises(BufferError):  # read-only, as in mpi4py
        MPI.SUM.Reduce_local(np.zeros(3), b"abc")
