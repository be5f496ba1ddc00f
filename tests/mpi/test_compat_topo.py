"""Topology constructors, neighborhood counts, Spawn arguments and the ULFM
methods as mpi4py 4.1 accepts them (issue 6)."""

import array

import numpy as np
import pytest

from mpiimpl import MPI

WORLD = MPI.COMM_WORLD


def ring(size, leading_zero):
    index, edges = [0], []
    for i in range(size):
        edges += [(i - 1) % size, (i + 1) % size]
        index.append(len(edges))
    return (index if leading_zero else index[1:]), edges


@pytest.mark.parametrize("leading_zero", [False, True])
def test_graph_index_with_leading_zero(leading_zero):
    size, rank = WORLD.size, WORLD.rank
    index, edges = ring(size, leading_zero)
    graph = WORLD.Create_graph(index, edges)
    try:
        assert graph.nnodes == size and graph.nedges == 2 * size
        assert graph.index == ring(size, False)[0]
        assert graph.neighbors == [(rank - 1) % size, (rank + 1) % size]
    finally:
        graph.Free()
    assert WORLD.Graph_map(index, edges) in (rank, MPI.UNDEFINED)


def test_graph_one_node_on_self():
    graph = MPI.COMM_SELF.Create_graph([0, 1], [0])
    try:
        assert graph.dims == (1, 1) and graph.index == [1] and graph.edges == [0]
    finally:
        graph.Free()


def test_graph_more_nodes_than_processes_is_an_error():
    size = WORLD.size
    with pytest.raises(MPI.Exception):
        WORLD.Create_graph([1] * (size + 1), [0] * (size + 1))


def test_dist_graph_adjacent_none_and_weights():
    size, rank = WORLD.size, WORLD.rank
    topo = WORLD.Create_dist_graph_adjacent(None, None)
    try:
        assert topo.Get_dist_neighbors_count() == (0, 0, False)
        assert topo.Get_dist_neighbors() == ([], [], None)
    finally:
        topo.Free()
    dests = [(rank + 1) % size]
    topo = WORLD.Create_dist_graph_adjacent(None, dests, None, MPI.UNWEIGHTED)
    try:
        assert topo.Get_dist_neighbors_count() == (0, 1, False)
        assert topo.Get_dist_neighbors() == ([], dests, None)
    finally:
        topo.Free()
    topo = WORLD.Create_dist_graph_adjacent([], [], MPI.WEIGHTS_EMPTY, MPI.WEIGHTS_EMPTY)
    try:
        assert topo.Get_dist_neighbors_count() == (0, 0, True)
        assert topo.Get_dist_neighbors() == ([], [], ([], []))
    finally:
        topo.Free()
    with pytest.raises(ValueError):
        WORLD.Create_dist_graph_adjacent([rank], [rank], MPI.WEIGHTS_EMPTY, MPI.WEIGHTS_EMPTY)


def test_topology_constructors_check_the_kind():
    with pytest.raises(TypeError):
        MPI.Topocomm(MPI.COMM_SELF)
    with pytest.raises(TypeError):
        MPI.Cartcomm(MPI.COMM_WORLD)
    cart = MPI.COMM_SELF.Create_cart([1])
    graph = MPI.COMM_SELF.Create_graph([1], [0])
    dist = MPI.COMM_SELF.Create_dist_graph([], [], [])
    try:
        for kind, comm in ((MPI.Cartcomm, cart), (MPI.Graphcomm, graph), (MPI.Distgraphcomm, dist)):
            assert type(kind(comm)) is kind and kind(comm) == comm
            assert MPI.Topocomm(comm) == comm
            for other in (MPI.Cartcomm, MPI.Graphcomm, MPI.Distgraphcomm):
                if other is not kind:
                    with pytest.raises(TypeError):
                        other(comm)
        assert MPI.Cartcomm(MPI.COMM_NULL) == MPI.COMM_NULL
    finally:
        cart.Free()
        graph.Free()
        dist.Free()


def test_neighbor_explicit_count_is_per_neighbor():
    size, rank = WORLD.size, WORLD.rank
    sources = [(rank - 1) % size, (rank - 2) % size]
    dests = [(rank + 1) % size, (rank + 2) % size]
    topo = WORLD.Create_dist_graph_adjacent(sources, dests)
    try:
        sbuf = np.array([rank * 10 + i for i in range(6)], dtype="i")
        rbuf = np.full(6, -1, dtype="i")
        # [buf, 3, type]: 3 elements to/from each of the 2 neighbors
        topo.Neighbor_alltoall([sbuf, 3, MPI.INT], [rbuf, 3, MPI.INT])
        expect = []
        for j, s in enumerate(sources):
            # the block s sends on its out-edge to me (the j-th, to itself)
            k = j if size == 1 else [(s + 1) % size, (s + 2) % size].index(rank)
            expect += [s * 10 + 3 * k + i for i in range(3)]

        def blocks(values):
            # edges repeated between two processes (size < 3) may pair in
            # any order
            b = [values[i : i + 3] for i in range(0, 6, 3)]
            return sorted(b) if size < 3 else b
        assert blocks(rbuf.tolist()) == blocks(expect)
        rbuf[:] = -1
        topo.Neighbor_allgather([sbuf, 2, MPI.INT], [rbuf, 2, MPI.INT])
        assert rbuf[:4].tolist() == [sources[0] * 10, sources[0] * 10 + 1, sources[1] * 10, sources[1] * 10 + 1]
        assert rbuf[4:].tolist() == [-1, -1]
        # a bare buffer is split among the neighbors
        rbuf[:] = -1
        topo.Neighbor_alltoall(sbuf, rbuf)
        assert blocks(rbuf.tolist()) == blocks(expect)
        with pytest.raises(ValueError):
            topo.Neighbor_alltoall([sbuf, 3, MPI.INT], [rbuf, 4, MPI.INT])
        with pytest.raises(ValueError):
            topo.Neighbor_alltoall(sbuf, rbuf[:5])
    finally:
        topo.Free()


def test_ulfm_without_failures(comm):
    assert comm.Is_revoked() is False
    failed = comm.Get_failed()
    assert MPI.Group.Compare(failed, MPI.GROUP_EMPTY) in (MPI.IDENT, MPI.CONGRUENT)
    failed.Free()
    assert comm.Ack_failed() == 0 and comm.Ack_failed(comm.size) == 0
    rank = comm.rank
    assert comm.Agree(0b1011 if rank == 0 else 0b1101) == (0b1011 if comm.size == 1 else 0b1001)
    flag = array.array("i", [0b110 if rank == 0 else 0b011])
    comm.Iagree(flag).Wait()
    assert flag[0] == (0b110 if comm.size == 1 else 0b010)
    with pytest.raises(TypeError):
        comm.Iagree(0)
    with pytest.raises(ValueError):
        comm.Iagree(bytearray(8))
    shrink = comm.Shrink()
    assert (shrink.size, shrink.rank) == (comm.size, comm.rank)
    assert MPI.Comm.Compare(shrink, comm) == MPI.CONGRUENT
    shrink.Free()
    shrink, request = comm.Ishrink()
    request.Wait()
    assert not request and (shrink.size, shrink.rank) == (comm.size, comm.rank)
    shrink.Free()


def test_iagree_overlaps_other_collectives(comm):
    """ULFM programs overlap Iagree with other collectives: here (as in
    mpi4py's test_ulfm) each rank in turn posts Iagree before a Barrier
    that the others enter first.  cmpi's agreement runs on the
    communicator's shadow, so the two never pair up wrongly."""
    rank = comm.rank
    for root in range(comm.size):
        flag = array.array("i", [0b1011 if rank == root else 0b1101])
        comm.Barrier()
        if rank == root:
            request = comm.Iagree(flag)
            comm.Barrier()
        else:
            comm.Barrier()
            request = comm.Iagree(flag)
        request.Wait()
        assert flag[0] == (0b1011 if comm.size == 1 else 0b1001)


@pytest.mark.skipif(WORLD.size < 2, reason="an intercommunicator needs 2 ranks")
def test_ulfm_agree_on_intercomm():
    size, rank = WORLD.size, WORLD.rank
    low = rank < size // 2
    local = WORLD.Split(int(low), rank)
    inter = local.Create_intercomm(0, WORLD, size // 2 if low else 0)
    try:
        # one process (world rank 0, in the low group) clears bit 0
        value = 0b110 if rank == 0 else 0b111
        assert inter.Agree(value) == 0b110
        flag = array.array("i", [value])
        inter.Iagree(flag).Wait()
        assert flag[0] == 0b110
        shrink = inter.Shrink()
        assert shrink.Is_inter() and shrink.Get_remote_size() == inter.Get_remote_size()  # type: ignore[attr-defined]
        shrink.Free()
    finally:
        inter.Free()
        local.Free()


def test_spawn_multiple_argument_forms_are_checked_at_root():
    comm = MPI.COMM_SELF
    with pytest.raises(ValueError):  # a single command is not a sequence of them
        comm.Spawn_multiple("python3", [["x"]], [1], [MPI.INFO_NULL])
    with pytest.raises(ValueError):
        comm.Spawn_multiple(["a"], [["x"], ["y"]], [1], [MPI.INFO_NULL])
    with pytest.raises(ValueError):
        comm.Spawn_multiple(["a"], [["x"]], [1, 1], MPI.INFO_NULL)
    with pytest.raises(ValueError):
        comm.Spawn_multiple(["a"], [["x"]], 1, [MPI.INFO_NULL] * 2)
    with pytest.raises(TypeError):
        comm.Spawn(3)
    with pytest.raises(MPI.Exception):
        comm.Spawn("python3", None, 0)


@pytest.mark.skipif(WORLD.size < 3, reason="needs a group of 2 connecting to 1")
def test_connect_port_name_at_root_only():
    rank = WORLD.rank
    port = None
    try:
        port = MPI.Open_port() if rank == 0 else None
        ok = True
    except MPI.Exception:  # MPICH 4.0.2 here cannot open ports
        ok = False
    if not all(WORLD.allgather(ok)):
        if port:
            MPI.Close_port(port)
        pytest.skip("the MPI library cannot open ports")
    sub = WORLD.Split(int(rank == 0), rank)
    try:
        if rank == 0:
            WORLD.send(port, dest=1)
            ic = sub.Accept(port)
            MPI.Close_port(port)
        else:
            port = WORLD.recv(source=0) if rank == 1 else None  # None elsewhere
            ic = sub.Connect(port, root=0)
        assert ic.Get_remote_size() == (WORLD.size - 1 if rank == 0 else 1)
        assert ic.allreduce(rank) == (0 if rank else sum(range(1, WORLD.size)))
        ic.Disconnect()
    finally:
        sub.Free()
