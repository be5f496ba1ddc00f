"""The neighborhood collectives of every kind of topology (neighbor.c):
Neighbor_allgather(v), Neighbor_alltoall(v/w), their nonblocking and
persistent forms, and the pickling neighbor_allgather / neighbor_alltoall."""

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import INTEL_PERSISTENT_UNRELIABLE, mpi_library_has
from test_topology import ring_graph

WORLD = MPI.COMM_WORLD


def topologies():
    size = WORLD.size
    yield "cart", WORLD.Create_cart([size], periods=[True])
    yield "cart-open", WORLD.Create_cart([size], periods=[False])
    index, edges = ring_graph(size)
    yield "graph", WORLD.Create_graph(index, edges)
    r = WORLD.rank
    yield "dist", WORLD.Create_dist_graph_adjacent(
        [(r - 1) % size, (r + 2) % size], [(r + 1) % size, (r - 2) % size])


def _expected_from(topo, inedges, value_of):
    return [None if s == MPI.PROC_NULL else value_of(s) for s in inedges]


@pytest.mark.parametrize("kind", ["cart", "cart-open", "graph", "dist"])
def test_neighbor_allgather_alltoall(kind):
    topo = None
    made = list(topologies())
    for name, t in made:
        if name != kind:
            t.Free()
        else:
            topo = t
    try:
        rank = topo.rank  # type: ignore[union-attr]
        inedges, outedges = topo.inoutedges  # type: ignore[union-attr]
        nin, nout = len(inedges), len(outedges)
        # buffers
        sbuf = np.array([rank, rank * 10], dtype="i")
        rbuf = np.full(2 * nin, -1, dtype="i")
        topo.Neighbor_allgather(sbuf, rbuf)  # type: ignore[union-attr]
        for i, s in enumerate(inedges):
            exp = [-1, -1] if s == MPI.PROC_NULL else [s, s * 10]
            assert list(rbuf[2 * i:2 * i + 2]) == exp
        sbuf = np.array([rank * 100 + j for j in range(nout)], dtype="d")
        rbuf = np.full(nin, -1.0)
        topo.Neighbor_alltoall(sbuf, rbuf)  # type: ignore[union-attr]
        # what I receive from in-neighbor s is the block s sent to me
        for i, s in enumerate(inedges):
            if s == MPI.PROC_NULL:
                assert rbuf[i] == -1
            elif inedges.count(s) == 1 or kind == "cart":
                # (a graph's neighbor listed twice: MPICH 4.0 and Open MPI
                # pair its blocks differently; a Cartesian grid's pair as
                # the standard says, test_cart_of_one_or_two_per_dimension)
                assert rbuf[i] == s * 100 + _sender_index(topo, inedges, i, s)
            else:
                assert rbuf[i] // 100 == s
        # vector variants: two elements to each neighbor, one block each
        counts = [2] * nout
        sbuf = np.concatenate([np.full(c, rank, dtype="i") for c in counts]) if nout else np.zeros(0, "i")
        rcounts = [2] * nin
        rbuf = np.full(sum(rcounts), -1, dtype="i")
        topo.Neighbor_alltoallv([sbuf, counts], [rbuf, rcounts])  # type: ignore[union-attr]
        pos = 0
        for i, s in enumerate(inedges):
            if s != MPI.PROC_NULL:
                assert list(rbuf[pos:pos + rcounts[i]]) == [s] * rcounts[i]
            pos += rcounts[i]
        rbuf = np.full(2 * nin, -1, dtype="i")
        topo.Neighbor_allgatherv(np.array([rank, rank], "i"), [rbuf, [2] * nin])  # type: ignore[union-attr]
        assert all(rbuf[2 * i] == s for i, s in enumerate(inedges) if s != MPI.PROC_NULL)
        # objects
        got = topo.neighbor_allgather({"from": rank})  # type: ignore[union-attr]
        assert got == _expected_from(topo, inedges, lambda s: {"from": s})
        got = topo.neighbor_alltoall([(rank, j, "x" * 50000) for j in range(nout)])  # type: ignore[union-attr]
        assert len(got) == nin
        for i, s in enumerate(inedges):
            if s == MPI.PROC_NULL:
                assert got[i] is None
            else:
                assert got[i][0] == s and len(got[i][2]) == 50000
                if kind == "cart":
                    assert got[i][1] == _sender_index(topo, inedges, i, s)
        # nonblocking: the request keeps the buffers alive
        sbuf = np.array([rank] * max(nout, 1), dtype="l")[:nout]
        rbuf = np.full(nin, -1, dtype="l")
        req = topo.Ineighbor_alltoall(sbuf, rbuf)  # type: ignore[union-attr]
        del sbuf
        req.Wait()
        assert all(rbuf[i] == s for i, s in enumerate(inedges) if s != MPI.PROC_NULL)
        rbuf = np.full(nin, -1, dtype="l")
        req = topo.Ineighbor_allgatherv(np.array([rank], "l"), [rbuf, [1] * nin])  # type: ignore[union-attr]
        req.Wait()
        assert all(rbuf[i] == s for i, s in enumerate(inedges) if s != MPI.PROC_NULL)
        req = topo.Ineighbor_allgather(np.array([rank], "l"), rbuf)  # type: ignore[union-attr]
        MPI.Request.Waitall([req])
        rbuf2 = np.full(nin, -1, dtype="l")
        req = topo.Ineighbor_alltoallv([np.array([rank] * nout, "l"), [1] * nout],  # type: ignore[union-attr]
                                       [rbuf2, [1] * nin])
        req.Wait()
        assert list(rbuf2) == list(rbuf)
    finally:
        topo.Free()  # type: ignore[union-attr]


def _outedges_of(topo, peer):
    """The outgoing neighbor list of rank ``peer`` (from its own view)."""
    allout = topo.allgather(topo.outedges)
    return allout[peer]


def _which(topo, inedges, i, s):
    """Index among repeated edges: the k-th time s appears in my inedges
    pairs with the k-th time I appear in s's outedges."""
    return [j for j in range(i) if inedges[j] == s].__len__()


def _sender_index(topo, inedges, i, s):
    """Which of s's outgoing blocks arrives as my i-th incoming block."""
    if isinstance(topo, MPI.Cartcomm):
        # per dimension: my source's "+1" block and my dest's "-1" block
        return i ^ 1
    peer_out = _outedges_of(topo, s)
    return [k for k, d in enumerate(peer_out) if d == topo.rank][_which(topo, inedges, i, s)]


def test_neighbor_alltoallw():
    size, rank = WORLD.size, WORLD.rank
    topo = WORLD.Create_dist_graph_adjacent([(rank - 1) % size], [(rank + 1) % size])
    try:
        sbuf = np.array([rank, rank + 0.5])
        rbuf = np.zeros(2)
        topo.Neighbor_alltoallw([sbuf, [2], [0], [MPI.DOUBLE]],
                                [rbuf, [2], [0], [MPI.DOUBLE]])
        src = (rank - 1) % size
        assert list(rbuf) == [src, src + 0.5]
        rbuf = np.zeros(2)
        req = topo.Ineighbor_alltoallw([sbuf, ([2], [0]), [MPI.DOUBLE]],
                                       [rbuf, ([2], [0]), [MPI.DOUBLE]])
        req.Wait()
        assert list(rbuf) == [src, src + 0.5]
        with pytest.raises(ValueError):
            topo.Neighbor_alltoallw([sbuf, [3], [0], [MPI.DOUBLE]],
                                    [rbuf, [2], [0], [MPI.DOUBLE]])
        # one Datatype where mpi4py takes the len() of a sequence of them
        with pytest.raises(TypeError):
            topo.Neighbor_alltoallw([sbuf, [2], [0], [MPI.DOUBLE]], (rbuf, MPI.DOUBLE))
    finally:
        topo.Free()


def _cart_pairs(dims):
    """A periodic grid of these dims over groups of WORLD of that many
    processes (the ranks left over get a grid of their own size on one
    dimension), or None at the ranks left out."""
    n = int(np.prod(dims))
    group = WORLD.rank // n
    sub = WORLD.Split(group, WORLD.rank)
    if sub.size != n:
        dims = [sub.size] + [1] * (len(dims) - 1)
    cart = sub.Create_cart(dims, periods=[True] * len(dims))
    sub.Free()
    return cart


@pytest.mark.parametrize("dims", [[1], [2], [2, 1], [1, 3], [2, 2]])
def test_cart_of_one_or_two_per_dimension(dims):
    # Where a periodic dimension has one or two processes, a process's
    # two neighbours in it are one process, and the standard (MPI-4.0,
    # errata to 3.1) pairs the blocks there as everywhere: block s of
    # the sender lands in block s ^ 1 of the receiver.  MPICH 4.0 (every
    # form) and Open MPI 4.1 (the nonblocking ones) put it in block s.
    cart = _cart_pairs(dims)
    try:
        rank, nd = cart.rank, cart.ndim
        nbrs = [p for d in range(nd) for p in cart.Shift(d, 1)]
        n = len(nbrs)
        want = [100.0 * nbrs[r] + (r ^ 1) for r in range(n)]
        sent = np.array([100.0 * rank + s for s in range(n)])

        def each_form(call, specs):
            got = []
            forms = [call, "I" + call[0].lower() + call[1:]]
            if mpi_library_has("MPI_Neighbor_alltoall_init") and not INTEL_PERSISTENT_UNRELIABLE:
                forms.append(call + "_init")
            for form in forms:
                rbuf = np.full(2 * n, -1.0)
                r = getattr(cart, form)(*specs(rbuf))
                if form.endswith("_init"):
                    for _ in range(2):
                        rbuf[:] = -1.0
                        r.Start()
                        r.Wait()
                    r.Free()
                elif r is not None:
                    r.Wait()
                got.append((form, rbuf.tolist()))
            return got

        # Neighbor_alltoall: one double a block
        for form, rbuf in each_form("Neighbor_alltoall", lambda rbuf: (sent, rbuf[:n])):
            assert rbuf[:n] == want and rbuf[n:] == [-1.0] * n, form
        # Neighbor_alltoallv: block r of the receive buffer at 2 * r + 1
        for form, rbuf in each_form("Neighbor_alltoallv", lambda rbuf: (
                [sent, [1] * n, list(range(n)), MPI.DOUBLE],
                [rbuf, [1] * n, [2 * r + 1 for r in range(n)], MPI.DOUBLE])):
            assert rbuf[1::2] == want and rbuf[0::2] == [-1.0] * n, form
        # Neighbor_alltoallw: the same in bytes
        for form, rbuf in each_form("Neighbor_alltoallw", lambda rbuf: (
                [sent, [1] * n, [8 * s for s in range(n)], [MPI.DOUBLE] * n],
                [rbuf, [1] * n, [16 * r + 8 for r in range(n)], [MPI.DOUBLE] * n])):
            assert rbuf[1::2] == want and rbuf[0::2] == [-1.0] * n, form
        # the object form
        got = cart.neighbor_alltoall([(rank, s) for s in range(n)])
        assert got == [(nbrs[r], r ^ 1) for r in range(n)]
    finally:
        cart.Free()


@pytest.mark.skipif(MPI.Get_library_version().startswith("Intel"),
                    reason="Intel MPI 2021.18's persistent neighbor allgather "
                    "hung in Wait in the whole 2-rank suite (CI twice; never "
                    "alone)")
def test_neighbor_persistent():
    size, rank = WORLD.size, WORLD.rank
    topo = WORLD.Create_cart([size], periods=[True])
    try:
        sbuf = np.array([rank], "i")
        rbuf = np.full(2, -1, "i")
        if mpi_library_has("MPI_Neighbor_allgather_init"):
            req = topo.Neighbor_allgather_init(sbuf, rbuf)
            for it in range(2):
                sbuf[0] = rank + it
                req.Start()
                req.Wait()
                assert list(rbuf) == [(rank - 1) % size + it, (rank + 1) % size + it]
            req.Free()
        else:
            with pytest.raises(NotImplementedError, match="MPI_Neighbor_allgather_init"):
                topo.Neighbor_allgather_init(sbuf, rbuf)
    finally:
        topo.Free()


def test_neighbor_bad_input():
    size = WORLD.size
    topo = WORLD.Create_cart([size], periods=[True])
    try:
        with pytest.raises(ValueError):
            topo.Neighbor_allgather(np.zeros(1, "i"), np.zeros(3, "i"))
        with pytest.raises(ValueError):
            topo.Neighbor_alltoall(np.zeros(3, "i"), np.zeros(2, "i"))
        # one rank fails to pickle: it raises, its neighbors raise too,
        # and nobody hangs
        hears_0 = 0 in topo.inedges
        if topo.rank == 0:
            with pytest.raises(Exception):  # pickling a lambda
                topo.neighbor_allgather(lambda: 0)
            with pytest.raises(ValueError):
                topo.neighbor_alltoall([1, 2, 3])
        elif hears_0:
            with pytest.raises(MPI.Exception, match="neighbor rank 0"):
                topo.neighbor_allgather(1)
            with pytest.raises(MPI.Exception, match="neighbor rank 0"):
                topo.neighbor_alltoall([1, 2])
        else:
            assert len(topo.neighbor_allgather(1)) == 2
            assert len(topo.neighbor_alltoall([1, 2])) == 2
    finally:
        topo.Free()
    with pytest.raises(TypeError):
        MPI.Topocomm(WORLD)  # WORLD has no topology (as in mpi4py)
