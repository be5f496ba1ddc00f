"""Process topologies (Cartesian, graph, distributed graph), Compute_dims,
neighbor queries and the neighborhood collectives."""

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import mpi_library_has

WORLD = MPI.COMM_WORLD


def test_compute_dims():
    assert MPI.Compute_dims(6, 2) == [3, 2]
    assert MPI.Compute_dims(6, [0, 0]) == [3, 2]
    assert MPI.Compute_dims(12, [0, 3, 0]) == [2, 3, 2]
    assert MPI.Compute_dims(1, 3) == [1, 1, 1]
    assert MPI.Compute_dims(WORLD.size, 1) == [WORLD.size]
    with pytest.raises(MPI.Exception):
        MPI.Compute_dims(7, [2, 0])  # 7 is not a multiple of 2
    with pytest.raises(MPI.Exception):
        MPI.Compute_dims(4, [-1, 0])
    with pytest.raises(MPI.Exception):
        MPI.Compute_dims(0, 2)


def test_cart_periodic_ring():
    size, rank = WORLD.size, WORLD.rank
    cart = WORLD.Create_cart([size], periods=[True])
    try:
        assert isinstance(cart, MPI.Cartcomm) and isinstance(cart, MPI.Topocomm)
        assert cart.Get_topology() == MPI.CART and cart.is_topo
        assert cart.Get_dim() == cart.ndim == cart.dim == 1
        assert cart.Get_topo() == ([size], [True], [rank])
        assert cart.dims == [size] and cart.periods == [True]
        assert cart.coords == [rank] == cart.Get_coords(rank)
        assert cart.Get_cart_rank([rank]) == rank
        assert cart.Get_cart_rank([rank + size]) == rank  # periodic wraps
        src, dst = cart.Shift(0, 1)
        assert (src, dst) == ((rank - 1) % size, (rank + 1) % size)
        assert cart.degrees == (2, 2) and cart.indegree == cart.outdegree == 2
        assert cart.inedges == [src, dst] == cart.outedges
        assert cart.inoutedges == ([src, dst], [src, dst])
        # a Cartesian communicator is a working communicator
        assert cart.allreduce(1) == size
    finally:
        cart.Free()


def test_cart_2d_and_sub():
    size, rank = WORLD.size, WORLD.rank
    dims = MPI.Compute_dims(size, 2)
    cart = WORLD.Create_cart(dims, periods=[False, False], reorder=False)
    try:
        coords = cart.Get_coords(cart.rank)
        assert cart.Get_cart_rank(coords) == cart.rank
        assert coords == [cart.rank // dims[1], cart.rank % dims[1]]
        src, dst = cart.Shift(1, 1)
        assert src == (MPI.PROC_NULL if coords[1] == 0 else cart.rank - 1)
        assert dst == (MPI.PROC_NULL if coords[1] == dims[1] - 1 else cart.rank + 1)
        row = cart.Sub([False, True])
        col = cart.Sub([True, False])
        try:
            assert isinstance(row, MPI.Cartcomm)
            assert row.size == dims[1] and col.size == dims[0]
            assert row.dims == [dims[1]] and col.coords == [coords[0]]
            assert row.allreduce(1) == dims[1]
        finally:
            row.Free()
            col.Free()
    finally:
        cart.Free()


def test_cart_leftover_ranks_get_comm_null():
    size = WORLD.size
    cart = WORLD.Create_cart([1])  # one process in the grid
    try:
        if WORLD.rank == 0:
            assert cart and cart.size == 1
        else:
            assert cart == MPI.COMM_NULL and isinstance(cart, MPI.Cartcomm)
    finally:
        if cart:
            cart.Free()
    assert size >= 1


def test_cart_bad_input():
    size = WORLD.size
    with pytest.raises(MPI.Exception) as e:
        WORLD.Create_cart([size + 1])
    assert e.value.Get_error_class() == MPI.ERR_DIMS
    assert "dims" in str(e.value)
    with pytest.raises(MPI.Exception) as e:
        WORLD.Create_cart([0])
    assert e.value.Get_error_class() == MPI.ERR_DIMS
    with pytest.raises(ValueError):
        WORLD.Create_cart([size], periods=[True, False])
    with pytest.raises(TypeError):
        WORLD.Create_cart("ab")
    cart = WORLD.Create_cart([size], periods=[False])
    try:
        with pytest.raises(MPI.Exception) as e:
            cart.Get_coords(size)
        assert e.value.Get_error_class() == MPI.ERR_RANK
        with pytest.raises(MPI.Exception):
            cart.Get_cart_rank([size])  # outside a non-periodic dimension
        with pytest.raises(MPI.Exception):
            cart.Get_cart_rank([0, 0])
        with pytest.raises(MPI.Exception):
            cart.Shift(1, 1)
        with pytest.raises(MPI.Exception):
            cart.Sub([True, True])
    finally:
        cart.Free()
    with pytest.raises(TypeError):
        MPI.Cartcomm(WORLD)  # WORLD has no topology (as in mpi4py)


def test_cart_map():
    rank = WORLD.Cart_map([WORLD.size], [True])
    assert rank == WORLD.rank or 0 <= rank < WORLD.size


def ring_graph(size):
    index, edges = [], []
    for i in range(size):
        nb = sorted({(i - 1) % size, (i + 1) % size} - {i}) if size > 1 else []
        edges += nb
        index.append(len(edges))
    return index, edges


def test_graph():
    size, rank = WORLD.size, WORLD.rank
    index, edges = ring_graph(size)
    graph = WORLD.Create_graph(index, edges)
    try:
        assert isinstance(graph, MPI.Graphcomm)
        assert graph.Get_topology() == MPI.GRAPH
        assert graph.Get_dims() == (size, len(edges)) == graph.dims
        assert graph.nnodes == size and graph.nedges == len(edges)
        assert graph.Get_topo() == (index, edges) == graph.topo
        assert graph.index == index and graph.edges == edges
        mine = edges[(index[rank - 1] if rank else 0):index[rank]]
        assert graph.Get_neighbors(rank) == mine == graph.neighbors
        assert graph.Get_neighbors_count(rank) == len(mine) == graph.nneighbors
        assert graph.inedges == mine == graph.outedges
        with pytest.raises(MPI.Exception):
            graph.Get_neighbors(size)
    finally:
        graph.Free()
    with pytest.raises(MPI.Exception) as e:
        WORLD.Create_graph([1] * size, [size] * 1 if size else [])
    assert e.value.Get_error_class() == MPI.ERR_RANK
    with pytest.raises(MPI.Exception):
        WORLD.Create_graph([2, 1][:size] if size > 1 else [5], [0, 0])


def test_dist_graph_adjacent():
    size, rank = WORLD.size, WORLD.rank
    sources = [(rank - 1) % size]
    dests = [(rank + 1) % size]
    dg = WORLD.Create_dist_graph_adjacent(sources, dests)
    wg = WORLD.Create_dist_graph_adjacent(sources, dests, sourceweights=[5],
                                          destweights=[7])
    try:
        assert isinstance(dg, MPI.Distgraphcomm)
        assert dg.Get_topology() == MPI.DIST_GRAPH
        assert dg.Get_dist_neighbors_count() == (1, 1, False)
        assert dg.Get_dist_neighbors() == (sources, dests, None)
        assert dg.inoutedges == (sources, dests)
        assert wg.Get_dist_neighbors_count() == (1, 1, True)
        assert wg.Get_dist_neighbors() == (sources, dests, ([5], [7]))
    finally:
        dg.Free()
        wg.Free()
    with pytest.raises(MPI.Exception) as e:
        WORLD.Create_dist_graph_adjacent([size], [0])
    assert e.value.Get_error_class() == MPI.ERR_RANK
    with pytest.raises(ValueError):
        WORLD.Create_dist_graph_adjacent([0], [0], sourceweights=[1, 2], destweights=[1])


def test_dist_graph():
    size, rank = WORLD.size, WORLD.rank
    # rank 0 describes the whole ring: i -> i+1
    if rank == 0:
        src, deg, dst = list(range(size)), [1] * size, [(i + 1) % size for i in range(size)]
    else:
        src, deg, dst = [], [], []
    dg = WORLD.Create_dist_graph(src, deg, dst, weights=None)
    try:
        s, d, w = dg.Get_dist_neighbors()
        assert s == [(rank - 1) % size] and d == [(rank + 1) % size] and w is None
    finally:
        dg.Free()
    with pytest.raises(ValueError):
        WORLD.Create_dist_graph([0], [2], [0])


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
            elif inedges.count(s) == 1:
                # (with a neighbor listed twice -- small periodic grids --
                # MPICH 4.0 and Open MPI pair the blocks differently)
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
    finally:
        topo.Free()


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
