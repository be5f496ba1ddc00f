"""Communication calls that raise what mpi4py 4.1.2 raises when their
arguments are wrong (issue 17, the differential test's findings): the
order in which the arguments are read decides which error a call with
several wrong ones raises.  Runs under both bindings (mpiimpl); every
rank makes the same calls on its own duplicate of COMM_WORLD."""

from typing import Any

import pytest

from mpiimpl import MPI

WORLD = MPI.COMM_WORLD
SIZE = WORLD.Get_size()


@pytest.fixture
def comm():
    c = WORLD.Dup()
    yield c
    c.Free()


@pytest.fixture
def cart():
    c = WORLD.Create_cart([SIZE], periods=[False])
    yield c
    c.Free()


PERSISTENT = ["Barrier_init", "Bcast_init", "Gather_init", "Gatherv_init",
              "Scatter_init", "Scatterv_init", "Allgather_init", "Allgatherv_init",
              "Alltoall_init", "Alltoallv_init", "Alltoallw_init", "Allreduce_init",
              "Reduce_init", "Reduce_scatter_init", "Reduce_scatter_block_init",
              "Scan_init", "Exscan_init"]


@pytest.mark.parametrize("name", PERSISTENT)
def test_persistent_collective_info_none_is_type_error(comm, name):
    # mpi4py's parser refuses info=None before it reads a buffer, even
    # buffers too small for the call, and where the library lacks the call
    args: tuple = (bytearray(8), bytearray(8 * SIZE))
    if name == "Barrier_init":
        args = ()
    elif name == "Bcast_init":
        args = (bytearray(8),)
    with pytest.raises(TypeError):
        getattr(comm, name)(*args, info=None)


@pytest.mark.parametrize("name", ["Sendrecv", "Isendrecv"])
@pytest.mark.parametrize("kwargs", [{"dest": -7}, {"dest": SIZE}, {"sendtag": -7},
                                    {"source": -7}, {"source": SIZE},
                                    {"recvtag": -7}])
def test_sendrecv_missing_recvbuf_before_ranks(comm, name, kwargs):
    # mpi4py reads both messages before MPI sees the ranks and tags: a
    # missing receive buffer is its TypeError, not ERR_RANK/ERR_TAG
    args = {"dest": 0, **kwargs}
    with pytest.raises(TypeError):
        getattr(comm, name)(bytearray(8), **args)


@pytest.mark.parametrize("name", ["Sendrecv", "Isendrecv"])
def test_sendrecv_int_and_send_errors_before_missing_recvbuf(comm, name):
    with pytest.raises(OverflowError):
        getattr(comm, name)(bytearray(8), 2**31)
    with pytest.raises(ValueError):
        getattr(comm, name)([bytearray(8)], 0)


@pytest.mark.parametrize("name", ["Reduce_scatter", "Ireduce_scatter"])
def test_reduce_scatter_recvcounts_as_mpi4py(comm, name):
    call = getattr(comm, name)
    send, recv = bytearray(8), bytearray(8 * SIZE)
    for bad in (1, "1", [0.5] * SIZE, [1.0] * SIZE, [None] * SIZE, [1.0]):
        with pytest.raises(TypeError):
            call(send, recv, recvcounts=bad)
    with pytest.raises(ValueError):
        call(send, recv, recvcounts=[2**31] * SIZE)
    with pytest.raises(ValueError):
        call(send, recv, recvcounts=[1] * (SIZE + 1))
    # IN_PLACE (or None, which mpi4py reads as IN_PLACE) needs the counts
    for sendbuf in (MPI.IN_PLACE, None):
        with pytest.raises(TypeError):
            call(sendbuf, recv)


def test_scan_exscan_none_sendbuf_is_in_place(comm):
    # mpi4py reads a None send buffer as IN_PLACE in Scan and Exscan
    buf = bytearray(8)
    comm.Scan(None, [buf, MPI.INT])
    comm.Exscan(None, [buf, MPI.INT])
    comm.Iexscan(None, [buf, MPI.INT]).Wait()
    comm.Ireduce_scatter_block(None, [bytearray(4 * SIZE), MPI.INT]).Wait()


def test_none_send_buffer_is_type_error(comm, cart):
    with pytest.raises(TypeError):
        comm.Bcast(None)
    with pytest.raises(TypeError):
        comm.Ibcast(None)
    # at the root only: elsewhere Scatter's send buffer is not read
    self_comm = MPI.COMM_SELF.Dup()
    try:
        with pytest.raises(TypeError):
            self_comm.Scatter(None, bytearray(8))
        with pytest.raises(TypeError):
            self_comm.Scatterv(None, bytearray(8))
    finally:
        self_comm.Free()
    with pytest.raises(TypeError):
        cart.Ineighbor_allgather(None, bytearray(8 * SIZE))
    with pytest.raises(TypeError):
        cart.Neighbor_alltoallv(None, bytearray(8 * SIZE))
    with pytest.raises(TypeError):
        cart.Neighbor_allgather_init(None, bytearray(8 * SIZE))


def test_alltoallw_reads_the_receive_message_first(comm, cart):
    # both messages wrong: the receive message's error (a bare buffer is
    # a list of the wrong length: ValueError), as mpi4py reads it first
    bad_send = [bytearray(8), 1.5, MPI.INT]
    with pytest.raises(ValueError):
        comm.Alltoallw(bad_send, bytearray(8 * SIZE))
    with pytest.raises(ValueError):
        comm.Ialltoallw(bad_send, bytearray(8 * SIZE))
    with pytest.raises(ValueError):
        cart.Neighbor_alltoallw([bytearray(8), 2, MPI.INT], bytearray(8 * SIZE))
    # a w-message without a length is a TypeError
    for recv in (MPI.BOTTOM, MPI.IN_PLACE):
        with pytest.raises(TypeError):
            cart.Neighbor_alltoallw(bytearray(8 * SIZE), recv)


def test_vector_counts_items_before_length(cart):
    # a float count is a TypeError even in a list of the wrong length
    with pytest.raises(TypeError):
        cart.Neighbor_alltoallv(bytearray(8 * SIZE),
                                [bytearray(8 * SIZE), ([2.0] * 3, None), MPI.INT])


def test_neighbor_alltoall_none_sends_none(cart):
    # mpi4py sends None to every outgoing neighbor (a ring: two of them,
    # PROC_NULL at the ends, which give None too)
    assert cart.neighbor_alltoall(None) == [None, None]


def test_vector_message_splits_unevenly_as_mpi4py():
    # without counts, the first len % n peers get one element more (here
    # one element over two PROC_NULL neighbors: no message, no mismatch)
    cart = MPI.COMM_SELF.Create_cart([1], periods=[False])
    try:
        cart.Neighbor_alltoallv(bytearray(16), [bytearray(8), "d"])
        cart.Neighbor_alltoallv([bytearray(8), "q"], bytearray(16))
    finally:
        cart.Free()


def test_grequest_kwargs_is_read_as_dict():
    for bad, exc in (("x", ValueError), (1, TypeError), ([0], TypeError)):
        with pytest.raises(exc):
            MPI.Grequest.Start(kwargs=bad)
    seen = []
    req = MPI.Grequest.Start(lambda status, **kw: seen.append(kw), kwargs=[("a", 1)])
    req.Complete()
    req.Wait()
    assert seen == [{"a": 1}]


def test_get_status_some_fills_and_checks_statuses():
    # as Testsome: statuses must be a list (or sequence) of Status, and the
    # complete requests' statuses are filled in; where the library lacks
    # MPI_Request_get_status_some, mpi4py raises NotImplementedError
    # a receive from PROC_NULL: complete at once, with source PROC_NULL
    req = MPI.COMM_SELF.Irecv(bytearray(0), MPI.PROC_NULL)
    try:
        bad: Any
        for bad in (1, "x", [0]):
            with pytest.raises((TypeError, NotImplementedError)):
                MPI.Request.Get_status_some([req], statuses=bad)
        statuses: list = []
        try:
            done = MPI.Request.Get_status_some([req], statuses=statuses)
        except NotImplementedError:
            return
        assert done == [0] and len(statuses) == 1
        assert statuses[0].source == MPI.PROC_NULL
    finally:
        req.Wait()
