"""Collective communication of buffers."""

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import INTEL_PERSISTENT_UNRELIABLE

DTYPES = ["int8", "int32", "int64", "uint8", "uint32", "uint64", "float32", "float64", "complex64", "complex128"]


def test_barrier(comm):
    assert comm.Barrier() is None


def test_bcast(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    results = []
    for root in range(size):
        for dtype in ("int32", "float64", "complex128", "bool"):
            buf = np.arange(7).astype(dtype) if rank == root else np.zeros(7, dtype=dtype)
            if rank == root and dtype != "bool":
                buf += root
            comm.Bcast(buf, root=root)
            results.append((root, dtype, buf))
    for root, dtype, buf in results:
        want = np.arange(7).astype(dtype)
        if dtype != "bool":
            want += root
        assert np.array_equal(buf, want), (root, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bcast_dtypes(dtype):
    comm = MPI.COMM_WORLD
    buf = np.arange(5, dtype=dtype) if comm.Get_rank() == 0 else np.zeros(5, dtype=dtype)
    comm.Bcast(buf)
    assert np.array_equal(buf, np.arange(5, dtype=dtype))


def test_scatter_gather(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    ok = []
    for root in range(size):
        sbuf = np.arange(size * 3, dtype="d").reshape(size, 3) + root if rank == root else None
        rbuf = np.zeros(3)
        comm.Scatter(sbuf, rbuf, root=root)
        ok.append(rbuf.tolist() == [rank * 3 + i + root for i in range(3)])
        gbuf = np.zeros((size, 3)) if rank == root else None
        comm.Gather(rbuf * 2, gbuf, root=root)
        if rank == root:
            ok.append(np.array_equal(gbuf, (np.arange(size * 3).reshape(size, 3) + root) * 2))  # type: ignore[arg-type]
    assert all(ok)


def test_allgather_alltoall(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    rbuf = np.zeros((size, 2), dtype="i")
    comm.Allgather(np.array([rank, -rank], dtype="i"), rbuf)
    assert rbuf.tolist() == [[r, -r] for r in range(size)]
    sbuf = np.array([[rank, dst] for dst in range(size)], dtype="i8")
    rbuf = np.zeros((size, 2), dtype="i8")
    comm.Alltoall(sbuf, rbuf)
    assert rbuf.tolist() == [[src, rank] for src in range(size)]


def test_vector_collectives(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [r + 1 for r in range(size)]
    displs = [sum(counts[:r]) for r in range(size)]
    total = sum(counts)
    ok = []
    for root in range(size):
        rbuf = np.full(total, -1, dtype="i") if rank == root else None
        comm.Gatherv(np.full(rank + 1, rank, dtype="i"), [rbuf, (counts, displs), MPI.INT] if rank == root else None, root)
        if rank == root:
            ok.append(rbuf.tolist() == [r for r in range(size) for _ in range(r + 1)])  # type: ignore[union-attr]
        sbuf = np.arange(total, dtype="i") if rank == root else None
        out = np.zeros(rank + 1, dtype="i")
        comm.Scatterv([sbuf, (counts, displs), MPI.INT] if rank == root else None, out, root)
        ok.append(out.tolist() == list(range(displs[rank], displs[rank] + rank + 1)))
    # Alltoallv: rank r sends (dst + 1) items of value r to dst
    scounts = [d + 1 for d in range(size)]
    sdispls = [sum(scounts[:d]) for d in range(size)]
    rcounts = [rank + 1] * size
    rdispls = [s * (rank + 1) for s in range(size)]
    sbuf = np.full(sum(scounts), rank, dtype="d")
    rbuf = np.full(sum(rcounts), -1.0)
    comm.Alltoallv([sbuf, (scounts, sdispls), MPI.DOUBLE], [rbuf, (rcounts, rdispls), MPI.DOUBLE])
    ok.append(rbuf.tolist() == [float(s) for s in range(size) for _ in range(rank + 1)])
    assert all(ok)


def each_form(comm, name, make_message):
    """Run the collective `name` on comm blocking, nonblocking and (MPI-4;
    not on Intel MPI: mpitestutil) persistent, each with fresh buffers from
    make_message() -> (sendbuf spec, receive array, recvbuf spec); return
    each form's receive array."""
    forms = [name, "I" + name[0].lower() + name[1:]]
    if MPI.Get_version() >= (4, 0) and not INTEL_PERSISTENT_UNRELIABLE:
        forms.append(name + "_init")
    got = []
    for form in forms:
        sspec, rbuf, rspec = make_message()
        r = getattr(comm, form)(sspec, rspec)
        if form.endswith("_init"):
            r.Start()
            r.Wait()
            r.Free()
        elif r is not None:
            r.Wait()
        got.append(rbuf.tolist())
    return got


def test_allgatherv_of_one_process_keeps_the_displacement():
    # MPICH 4.0.2's Allgatherv and Iallgatherv on a communicator of one
    # process write the block at the start of the receive buffer, ignoring
    # its displacement; the result must be MPI's specified one everywhere.
    one = MPI.COMM_WORLD.Split(MPI.COMM_WORLD.Get_rank(), 0)
    try:
        for comm in (MPI.COMM_SELF, one):
            for dt in (MPI.DOUBLE, None):
                def message():
                    rbuf = np.full(4, -1.0)
                    rspec = [rbuf, ([2], [1]), dt] if dt else [rbuf, ([2], [1])]
                    return np.array([5.0, 6.0]), rbuf, rspec
                got = each_form(comm, "Allgatherv", message)
                assert got == [[-1.0, 5.0, 6.0, -1.0]] * len(got), (comm, dt)
    finally:
        one.Free()


def test_alltoallw_of_one_process_reads_displacements_in_bytes():
    # Open MPI 4.1.4's Alltoallw on a communicator of one process took the
    # byte displacement 8 for 8 doubles (bytes 64 on): outside these
    # 3-double buffers, it read and wrote other memory.
    one = MPI.COMM_WORLD.Split(MPI.COMM_WORLD.Get_rank(), 0)
    try:
        for comm in (MPI.COMM_SELF, one):
            def message():
                rbuf = np.full(3, -1.0)
                return ([np.array([1.0, 2.0, 3.0]), [2], [8], [MPI.DOUBLE]], rbuf,
                        [rbuf, [2], [8], [MPI.DOUBLE]])
            got = each_form(comm, "Alltoallw", message)
            assert got == [[-1.0, 2.0, 3.0]] * len(got), comm
    finally:
        one.Free()


OPS_BY_KIND = {
    "i": ["SUM", "PROD", "MAX", "MIN", "LAND", "LOR", "LXOR", "BAND", "BOR", "BXOR"],
    "u": ["SUM", "PROD", "MAX", "MIN", "LAND", "LOR", "LXOR", "BAND", "BOR", "BXOR"],
    "f": ["SUM", "PROD", "MAX", "MIN"],
    "c": ["SUM", "PROD"],
    "b": ["LAND", "LOR", "LXOR"],
}

NP_OPS = {
    "SUM": np.add,
    "PROD": np.multiply,
    "MAX": np.maximum,
    "MIN": np.minimum,
    "LAND": np.logical_and,
    "LOR": np.logical_or,
    "LXOR": np.logical_xor,
    "BAND": np.bitwise_and,
    "BOR": np.bitwise_or,
    "BXOR": np.bitwise_xor,
}

CASES = [(d, op) for d in DTYPES + ["bool"] for op in OPS_BY_KIND[np.dtype(d).kind]]


def contribution(dtype, rank, n=6):
    base = np.array([rank + 1, 2, rank % 2, 3 * rank + 1, 1, rank * rank % 7][:n])
    if dtype == "bool":
        return base % 2 == 1
    out = base.astype(dtype)
    if np.dtype(dtype).kind == "c":
        out = out + 1j * np.arange(n)
    return out.astype(dtype)


def expect(dtype, op, ranks):
    vals = [contribution(dtype, r) for r in ranks]
    acc = vals[0]
    for v in vals[1:]:
        acc = NP_OPS[op](acc, v)
    return np.asarray(acc).astype(dtype)


@pytest.mark.parametrize("dtype,op", CASES, ids=[f"{d}-{o}" for d, o in CASES])
def test_allreduce_ops(dtype, op):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    rbuf = np.zeros(6, dtype=dtype)
    comm.Allreduce(contribution(dtype, rank), rbuf, op=getattr(MPI, op))
    want = expect(dtype, op, range(size))
    if np.dtype(dtype).kind in "fc":
        assert np.allclose(rbuf, want)
    else:
        assert np.array_equal(rbuf.astype(bool) if op.startswith("L") else rbuf, want.astype(bool) if op.startswith("L") else want)


@pytest.mark.parametrize("op", ["SUM", "MAX", "MIN", "PROD", "BXOR"])
def test_reduce_every_root(op):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    want = expect("int64", op, range(size))
    ok = []
    for root in range(size):
        rbuf = np.zeros(6, dtype="i8") if rank == root else None
        comm.Reduce(contribution("int64", rank), rbuf, op=getattr(MPI, op), root=root)
        if rank == root:
            ok.append(np.array_equal(rbuf, want))  # type: ignore[arg-type]
    assert all(ok)


@pytest.mark.parametrize("op", ["SUM", "PROD", "MAX", "MIN", "BOR"])
def test_scan_exscan(op):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    sbuf = contribution("int32", rank)
    rbuf = np.zeros(6, dtype="i")
    comm.Scan(sbuf, rbuf, op=getattr(MPI, op))
    ebuf = np.full(6, -99, dtype="i")
    comm.Exscan(sbuf, ebuf, op=getattr(MPI, op))
    assert np.array_equal(rbuf, expect("int32", op, range(rank + 1)))
    if rank > 0:
        assert np.array_equal(ebuf, expect("int32", op, range(rank)))


def test_reduce_scatter(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    sbuf = np.arange(size * 2, dtype="i") + rank
    rbuf = np.zeros(2, dtype="i")
    comm.Reduce_scatter_block(sbuf, rbuf, op=MPI.SUM)
    base = size * (size - 1) // 2
    assert rbuf.tolist() == [size * (2 * rank + i) + base for i in range(2)]
    counts = [r + 1 for r in range(size)]
    sbuf = np.ones(sum(counts), dtype="d") * (rank + 1)
    rbuf = np.zeros(rank + 1)
    comm.Reduce_scatter(sbuf, rbuf, counts, op=MPI.SUM)
    assert rbuf.tolist() == [size * (size + 1) / 2] * (rank + 1)


def test_maxloc_minloc_pairs():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    # value: rank % 2 (ties), location: rank
    pairs = np.array([[rank % 2, rank], [-rank, rank]], dtype="i")
    out = np.zeros((2, 2), dtype="i")
    comm.Allreduce([pairs, MPI.INT_INT], [out, MPI.INT_INT], op=MPI.MAXLOC)
    maxv = 1 if size > 1 else 0
    assert out.tolist() == [[maxv, 1 if size > 1 else 0], [0, 0]]
    comm.Allreduce([pairs, MPI.INT_INT], [out, MPI.INT_INT], op=MPI.MINLOC)
    assert out.tolist() == [[0, 0], [-(size - 1), size - 1]]
    dt = np.dtype([("v", "f8"), ("i", "i4")], align=True)
    assert dt.itemsize == MPI.DOUBLE_INT.Get_extent()[1]
    d = np.zeros(1, dtype=dt)
    d["v"], d["i"] = float(rank % 3), rank
    o = np.zeros(1, dtype=dt)
    comm.Allreduce([d, MPI.DOUBLE_INT], [o, MPI.DOUBLE_INT], op=MPI.MAXLOC)
    assert (float(o["v"][0]), int(o["i"][0])) == (float(min(size - 1, 2)), min(size - 1, 2))


def test_in_place_reduce_allreduce(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    ok = []
    for root in range(size):
        if rank == root:
            buf = np.array([rank, 1], dtype="i8")
            comm.Reduce(MPI.IN_PLACE, buf, op=MPI.SUM, root=root)
            ok.append(buf.tolist() == [size * (size - 1) // 2, size])
        else:
            comm.Reduce(np.array([rank, 1], dtype="i8"), None, op=MPI.SUM, root=root)
    buf = np.array([rank + 1.0])
    comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.PROD)
    ok.append(buf[0] == float(np.prod(np.arange(1, size + 1))))
    buf = np.array([rank], dtype="i")
    comm.Scan(MPI.IN_PLACE, buf, op=MPI.SUM)
    ok.append(buf[0] == rank * (rank + 1) // 2)
    assert all(ok)


def test_in_place_gather_scatter(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    ok = []
    for root in range(size):
        if rank == root:
            rbuf = np.full(size, -1, dtype="i")
            rbuf[rank] = 100 + rank
            comm.Gather(MPI.IN_PLACE, rbuf, root=root)
            ok.append(rbuf.tolist() == [100 + r for r in range(size)])
        else:
            comm.Gather(np.array([100 + rank], dtype="i"), None, root=root)
        if rank == root:
            sbuf = np.arange(size, dtype="i") * 5
            comm.Scatter(sbuf, MPI.IN_PLACE, root=root)
            ok.append(sbuf.tolist() == [5 * r for r in range(size)])
        else:
            out = np.zeros(1, dtype="i")
            comm.Scatter(None, out, root=root)
            ok.append(out[0] == 5 * rank)
    assert all(ok)


def test_in_place_allgather_alltoall(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    buf = np.full(size, -1, dtype="i")
    buf[rank] = rank * 3
    comm.Allgather(MPI.IN_PLACE, buf)
    assert buf.tolist() == [3 * r for r in range(size)]
    buf = np.array([rank * 10 + d for d in range(size)], dtype="i")
    comm.Alltoall(MPI.IN_PLACE, buf)
    assert buf.tolist() == [s * 10 + rank for s in range(size)]


def test_invalid_root_raises_self():
    comm = MPI.COMM_SELF
    buf = np.zeros(3)
    for root in (1, 5, -7):
        with pytest.raises(MPI.Exception) as info:
            comm.Bcast(buf, root=root)
        assert info.value.Get_error_class() == MPI.ERR_ROOT
    with pytest.raises(MPI.Exception) as info:
        comm.Reduce(np.ones(3), buf, op=MPI.SUM, root=1)
    assert info.value.Get_error_class() == MPI.ERR_ROOT
    with pytest.raises(MPI.Exception) as info:
        comm.Gather(np.ones(1), buf[:1], root=2)
    assert info.value.Get_error_class() == MPI.ERR_ROOT


def test_wrong_buffer_type_raises_self():
    comm = MPI.COMM_SELF
    with pytest.raises(TypeError):
        comm.Bcast([1, 2, 3], root=0)
    with pytest.raises(TypeError):
        comm.Bcast(None, root=0)  # as in mpi4py 4: [None, 0, dt] is empty
    with pytest.raises(TypeError):
        comm.Allreduce(5, np.zeros(1), op=MPI.SUM)
    with pytest.raises((TypeError, ValueError, BufferError)):
        comm.Allreduce(np.zeros(2), b"\x00" * 16, op=MPI.SUM)


def test_ialltoallw_on_a_topology_of_more_neighbours_than_processes():
    # Open MPI 4.1 reads as many datatypes of a nonblocking alltoallw on a
    # communicator with a topology as it has neighbours: a Cartesian grid
    # of one process with three periodic dimensions has six, and it read
    # (and crashed) past the arrays of one.
    one = MPI.COMM_WORLD.Split(MPI.COMM_WORLD.Get_rank(), 0)
    topos = [one.Create_cart([1, 1, 1], periods=[True] * 3),
             one.Create_dist_graph_adjacent([0, 0, 0], [0, 0, 0, 0])]
    try:
        for topo in topos:
            sbuf, rbuf = np.array([1.0, 2.0, 3.0]), np.full(3, -1.0)
            r = topo.Ialltoallw([sbuf, [2], [8], [MPI.DOUBLE]], [rbuf, [2], [0], [MPI.DOUBLE]])
            r.Wait()
            assert rbuf.tolist() == [2.0, 3.0, -1.0], topo
    finally:
        for topo in topos:
            topo.Free()
        one.Free()
