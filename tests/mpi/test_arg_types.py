"""Argument types as mpi4py 4.1.2 takes or refuses them (issue 17's
differential test): the same value gives the same outcome class under
both bindings (every test here runs under mpi4py too, CMPI_TEST_IMPL)."""

from typing import Any

import pytest

from mpiimpl import MPI, IS_CMPI


# -- strings: a str, or bytes as mpi4py's asmpistr takes --------------------------


@pytest.mark.parametrize("kind", ["comm", "datatype", "win"])
def test_set_name_takes_bytes(kind):
    obj: Any
    if kind == "comm":
        obj = MPI.COMM_SELF.Dup()
    elif kind == "datatype":
        obj = MPI.INT.Dup()
    else:
        obj = MPI.Win.Allocate(8, comm=MPI.COMM_SELF)
    try:
        obj.Set_name(b"by-bytes")
        assert obj.Get_name() == "by-bytes"
        with pytest.raises(TypeError):
            obj.Set_name(1)
    finally:
        obj.Free()


def test_info_keys_and_values_take_bytes():
    info = MPI.Info.Create()
    try:
        info.Set(b"k", b"v")  # type: ignore[arg-type]
        assert info.Get("k") == "v"
        assert info.Get(b"k") == "v"  # type: ignore[arg-type]
        assert info.get(b"k") == "v"  # type: ignore[arg-type]
        del info[b"k"]  # type: ignore[arg-type]
        assert info.Get("k") is None
        with pytest.raises(KeyError):
            info.pop(b"k")  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            info.Set(1, "v")  # type: ignore[arg-type]
    finally:
        info.Free()


def test_datarep_takes_bytes():
    assert MPI.INT.Pack_external_size(b"external32", 1) == 4


# -- None where mpi4py takes None, and only there -------------------------------


def test_info_none_only_where_mpi4py_takes_it():
    comm = MPI.COMM_SELF
    for dup in (comm.Dup(), comm.Dup(info=None), comm.Idup(None)[0], comm.Dup(info=MPI.INFO_NULL)):
        dup.Free()
    assert MPI.Info(None) == MPI.INFO_NULL
    with pytest.raises(TypeError):
        comm.Dup(info=1)
    with pytest.raises(TypeError):
        comm.Idup(info=2)
    with pytest.raises(TypeError):
        comm.Dup_with_info(None)
    with pytest.raises(TypeError):
        comm.Split_type(MPI.COMM_TYPE_SHARED, info=None)
    with pytest.raises(TypeError):
        MPI.Alloc_mem(1, info=None)
    with pytest.raises(TypeError):
        MPI.Win.Allocate(8, comm=comm, info=None)


def test_dup_with_an_info_uses_it():
    info = MPI.Info.Create()
    try:
        dup = MPI.COMM_SELF.Dup(info=info)
        dup.Free()
    finally:
        info.Free()


@pytest.mark.parametrize("call", [
    lambda c, s, r: c.Allreduce(s, r, op=None),
    lambda c, s, r: c.Reduce(s, r, op=None),
    lambda c, s, r: c.Scan(s, r, op=None),
    lambda c, s, r: c.Reduce_scatter_block(s, r, op=None),
    lambda c, s, r: c.Iallreduce(s, r, op=None).Wait(),
], ids=["Allreduce", "Reduce", "Scan", "Reduce_scatter_block", "Iallreduce"])
def test_buffer_reduction_op_none_is_type_error(call):
    import array
    comm = MPI.COMM_WORLD
    send = array.array("i", [1])
    recv = array.array("i", [0])
    with pytest.raises(TypeError):
        call(comm, send, recv)


def test_object_reduction_op_none_is_type_error():
    comm = MPI.COMM_WORLD
    if comm.Get_size() == 1 and not IS_CMPI:
        pytest.skip("mpi4py calls the op, and fails on None, only with 2 ranks or more")
    with pytest.raises(TypeError):
        comm.allreduce(1, op=None)  # type: ignore[arg-type]


# -- a datatype argument is a Datatype (typecodes belong to message specs) ----------


def test_datatype_arguments_refuse_typecodes_and_none():
    status = MPI.Status()
    assert status.Get_count() == 0
    with pytest.raises(TypeError):
        status.Get_count(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        status.Get_elements("i")
    with pytest.raises(TypeError):
        status.Set_elements("i", 1)
    with pytest.raises(TypeError):
        MPI.Datatype.Create_struct([1], [0], ["i"])
    dt = MPI.Datatype.Create_struct([1], [0], [MPI.INT])
    dt.Free()


def test_special_request_not_made_from_a_plain_one():
    req = MPI.COMM_SELF.Isend(bytearray(0), MPI.PROC_NULL)
    try:
        with pytest.raises(TypeError):
            MPI.Grequest(req)
        with pytest.raises(TypeError):
            MPI.Prequest(req)
        assert MPI.Prequest(MPI.REQUEST_NULL) == MPI.REQUEST_NULL
    finally:
        req.Wait()

    # a subclass is made from its base's instances (mpi4py's test_subclass)
    class MyPrequest(MPI.Prequest):
        pass

    preq = MPI.COMM_SELF.Send_init(bytearray(1), MPI.PROC_NULL)
    try:
        mine = MyPrequest(preq)
        assert type(mine) is MyPrequest and mine == preq
    finally:
        preq.Free()


def test_topology_arguments_as_mpi4py_takes_them():
    comm = MPI.COMM_SELF
    with pytest.raises(TypeError):
        comm.Create_cart([1], periods=1)
    cart = comm.Create_cart([1], periods=[1])
    cart.Free()
    # a bool is that value for every dimension (mpi4py's testCartMap)
    for flag in (True, False):
        cart = comm.Create_cart([1, 1], periods=flag)
        assert cart.periods == [flag, flag]
        cart.Free()
        assert comm.Cart_map([1, 1], flag) == 0
    with pytest.raises(TypeError):
        comm.Create_dist_graph([0], [0], None)
    graph = comm.Create_dist_graph_adjacent(None, None)
    graph.Free()


def test_bcast_needs_its_object():
    with pytest.raises(TypeError):
        MPI.COMM_WORLD.bcast()  # type: ignore[call-arg]
    assert MPI.COMM_WORLD.bcast(None) is None


# -- the exception type mpi4py gives for the same bad argument ----------------------


@pytest.mark.parametrize("call", [
    lambda: MPI.INT.Create_subarray([1], [2], [0]),
    lambda: MPI.INT.Create_subarray([1], [1], [0], order=7),
    lambda: MPI.INT.Create_darray(1, 5, [1], [MPI.DISTRIBUTE_BLOCK], [MPI.DISTRIBUTE_DFLT_DARG], [1]),
    lambda: MPI.INT.Create_darray(1, 0, [1], [77], [MPI.DISTRIBUTE_DFLT_DARG], [1]),
    lambda: MPI.INT.Create_darray(1, 0, [1], [MPI.DISTRIBUTE_BLOCK], [0], [1]),
    lambda: MPI.INT.Create_darray(1, 0, [1], [MPI.DISTRIBUTE_BLOCK], [MPI.DISTRIBUTE_DFLT_DARG], [2]),
    lambda: MPI.INT.Create_hindexed_block(-1, [0]),
    lambda: MPI.Datatype.Create_struct([-1], [0], [MPI.INT]),
], ids=["subarray-fit", "subarray-order", "darray-rank", "darray-distrib", "darray-darg",
        "darray-psizes", "hindexed_block", "struct"])
def test_derived_datatype_bad_values_are_err_arg(call):
    with pytest.raises(MPI.Exception) as info:
        call()
    assert info.value.Get_error_class() == MPI.ERR_ARG


def test_buffers_that_cannot_be_exported_are_buffer_errors():
    np = pytest.importorskip("numpy")
    comm = MPI.COMM_SELF
    strided = np.zeros(4, "i4")[::2]
    with pytest.raises(BufferError):
        comm.Send(strided, MPI.PROC_NULL)
    with pytest.raises(BufferError):
        comm.Recv(strided, MPI.PROC_NULL)
    with pytest.raises(BufferError):
        comm.Recv(bytes(8), MPI.PROC_NULL)
    with pytest.raises(BufferError):
        comm.Irecv(memoryview(bytes(8)), MPI.PROC_NULL)
    with pytest.raises(BufferError):
        comm.Allreduce(bytearray(4), memoryview(bytes(4)))
    with pytest.raises(BufferError):
        MPI.INT.Unpack(bytearray(8), 0, bytes(8), comm)
    with pytest.raises(BufferError):
        MPI.Win.Create(bytes(8), comm=comm)


def test_point_to_point_none_only_with_proc_null():
    comm = MPI.COMM_SELF
    comm.Send(None, MPI.PROC_NULL)
    comm.Recv(None, MPI.PROC_NULL)
    comm.Sendrecv(None, MPI.PROC_NULL, 0, None, MPI.PROC_NULL, 0)
    # persistent forms (never started) and self-contained exchanges: a
    # regression cannot leave this test waiting for a message
    for make in (lambda: comm.Recv_init(None, 0), lambda: comm.Send_init(None, 0)):
        try:
            req = make()
        except TypeError:
            continue
        req.Free()
        pytest.fail("None with a real peer was taken")
    with pytest.raises(TypeError):  # recvbuf defaults to None
        comm.Sendrecv(bytearray(8), 0)
    with pytest.raises(TypeError):
        comm.Sendrecv_replace(None, 0)


def test_w_message_that_is_not_a_list_is_value_error():
    # mpi4py reads the buffer as a sequence of the wrong length
    comm = MPI.COMM_SELF
    with pytest.raises(ValueError):
        comm.Alltoallw(bytearray(8), bytearray(8))
    cart = comm.Create_cart([1], periods=[True])
    try:
        with pytest.raises(ValueError):
            cart.Neighbor_alltoallw(bytearray(16), bytearray(16))
    finally:
        cart.Free()


def test_one_character_string_arrays_are_buffers():
    np = pytest.importorskip("numpy")
    comm = MPI.COMM_SELF
    for dtype in ("U1", "S1"):
        send = np.array(["a", "b"], dtype)
        recv = np.zeros(2, dtype)
        comm.Sendrecv(send, 0, recvbuf=recv, source=0)
        assert list(recv) == list(send)
