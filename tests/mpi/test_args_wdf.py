"""Arguments of the topology constructors, Cartcomm, Datatype, File and Win
checked as mpi4py checks them (issue 17, differential report): the same
exception type for the same bad argument, and the checks in mpi4py's order.
Each test runs under both bindings where the behaviour is mpi4py's."""

import numpy as np
import pytest

from mpiimpl import MPI, IS_CMPI

OPEN_MPI = "Open MPI" in MPI.Get_library_version()


def error_class(excinfo):
    return excinfo.value.Get_error_class()


# ---- topology ----


def test_graph_edges_past_index_are_unused():
    # index [0]: one node without neighbours; MPI reads no edge at all, so
    # an entry that is no rank is not looked at (cmpi refused it)
    comm = MPI.COMM_WORLD
    graph = comm.Create_graph([0], [comm.size + 5])
    if comm.rank > 0:  # outside the one-node graph
        assert graph == MPI.COMM_NULL
        return
    try:
        assert graph.Get_topo() == ([0], [])
    finally:
        graph.Free()
    assert isinstance(comm.Graph_map([0], [-1]), int)


def test_dist_graph_lengths_before_ranks():
    # one source of degree 0 but one destination: the lengths disagree,
    # which mpi4py reports (ValueError) before MPI sees the bad rank
    comm = MPI.COMM_WORLD
    with pytest.raises(ValueError):
        comm.Create_dist_graph([-1], [0], [0])
    with pytest.raises(ValueError):
        comm.Create_dist_graph([0], [0], [comm.size])


def test_cart_periods_are_ints_and_lengths_valueerror():
    cart = MPI.COMM_WORLD.Create_cart([MPI.COMM_WORLD.size], periods=[True])
    try:
        dims, periods, coords = cart.Get_topo()
        assert periods == [1] and type(periods[0]) is int
        assert type(cart.periods[0]) is int
        with pytest.raises(ValueError):
            cart.Get_cart_rank([])
        with pytest.raises(ValueError):
            cart.Sub([])
    finally:
        cart.Free()


def test_compute_dims_nnodes_error_class():
    with pytest.raises(MPI.Exception) as e:
        MPI.Compute_dims(-1, [1])
    if IS_CMPI or OPEN_MPI:  # MPICH's own check says ERR_ARG
        assert error_class(e) == MPI.ERR_DIMS


# ---- Datatype ----


MPICH = "MPICH" in MPI.Get_library_version()


def test_datatype_count_past_c_int():
    """A count, block length, displacement or size past C int: where the
    library has MPI-4's large-count constructors (MPICH 4) both bindings
    build the type with them, and it decodes to what was asked; elsewhere
    (Open MPI 4.1) both raise ERR_ARG.  All or none."""
    dt = MPI.INT
    big = 2**31
    cases = [
        (lambda: dt.Create_vector(big, 1, 1),
         {"count": big, "blocklength": 1, "stride": 1}),
        (lambda: dt.Create_vector(1, big, 1),
         {"count": 1, "blocklength": big, "stride": 1}),
        (lambda: dt.Create_hvector(big, 1, 4),
         {"count": big, "blocklength": 1, "stride": 4}),
        (lambda: dt.Create_indexed([big], [0]),
         {"blocklengths": [big], "displacements": [0]}),
        (lambda: dt.Create_indexed([1], [big]),
         {"blocklengths": [1], "displacements": [big]}),
        (lambda: dt.Create_hindexed([big], [0]),
         {"blocklengths": [big], "displacements": [0]}),
        (lambda: dt.Create_indexed_block(big, [0]),
         {"blocklength": big, "displacements": [0]}),
        (lambda: dt.Create_hindexed_block(big, [0]),
         {"blocklength": big, "displacements": [0]}),
        (lambda: MPI.Datatype.Create_struct([big], [0], [dt]),
         {"blocklengths": [big], "displacements": [0], "datatypes": [dt]}),
        (lambda: dt.Create_subarray([big], [1], [0]),
         {"sizes": [big], "subsizes": [1], "starts": [0], "order": MPI.ORDER_C}),
    ]
    built = []
    for make, params in cases:
        try:
            t = make()
        except MPI.Exception as e:
            assert e.Get_error_class() == MPI.ERR_ARG
            built.append(False)
            continue
        assert t.decode()[2] == params
        t.Free()
        built.append(True)
    try:
        packed = dt.Pack_size(big, MPI.COMM_SELF)
        assert packed >= big * dt.size
        built.append(True)
    except MPI.Exception as e:
        assert e.Get_error_class() == MPI.ERR_ARG
        built.append(False)
    assert all(built) or not any(built), built
    if MPICH:
        assert all(built)
    if OPEN_MPI and MPI.Get_version() < (4, 0):
        assert not any(built)
    with pytest.raises(OverflowError):  # past MPI_Count
        dt.Create_vector(2**63, 1, 1)
    if IS_CMPI:  # the fit check, in the large form too (MPICH makes none)
        with pytest.raises(MPI.Exception):
            dt.Create_subarray([big], [big + 1], [0])


def test_pack_spec_of_another_datatype_typeerror():
    with pytest.raises(TypeError):
        MPI.INT.Pack([bytearray(8), "q"], bytearray(8), 0, MPI.COMM_SELF)
    with pytest.raises(TypeError):
        MPI.INT.Unpack(bytearray(8), 0, [bytearray(8), MPI.BYTE], MPI.COMM_SELF)


# ---- File ----


def test_file_comm_null_and_none_buffer(tmp_path):
    with pytest.raises(TypeError):
        MPI.File.Open(MPI.COMM_NULL, str(tmp_path / "x"))
    path = str(tmp_path / f"f{MPI.COMM_WORLD.rank}")
    f = MPI.File.Open(MPI.COMM_SELF, path, MPI.MODE_RDWR | MPI.MODE_CREATE)
    try:
        for call in (
            lambda: f.Write(None),
            lambda: f.Write_all(None),
            lambda: f.Iread(None),
            lambda: f.Iwrite_at(0, None),
            lambda: f.Read_at_all_begin(0, None),
        ):
            with pytest.raises(TypeError):
                call()
        f.Write_all_begin(np.zeros(1, "i4"))
        with pytest.raises(TypeError):
            f.Write_all_end(None)
        f.Write_all_end(np.zeros(1, "i4"))
    finally:
        f.Close()


# ---- Win ----


def test_win_creation_arguments():
    for make in (
        lambda: MPI.Win.Allocate(8, comm=MPI.COMM_NULL),
        lambda: MPI.Win.Allocate_shared(8, comm=MPI.COMM_NULL),
        lambda: MPI.Win.Create(bytearray(8), comm=MPI.COMM_NULL),
        lambda: MPI.Win.Create_dynamic(comm=MPI.COMM_NULL),
    ):
        with pytest.raises(TypeError):
            make()
    for make, cls in (
        (lambda: MPI.Win.Allocate(-1, comm=MPI.COMM_SELF), MPI.ERR_SIZE),
        (lambda: MPI.Win.Create(bytearray(8), -1, comm=MPI.COMM_SELF), MPI.ERR_DISP),
        (lambda: MPI.Win.Create(bytearray(8), 2**31, comm=MPI.COMM_SELF), MPI.ERR_ARG),
        (lambda: MPI.Win.Allocate(8, 2**31, comm=MPI.COMM_SELF), MPI.ERR_ARG),
    ):
        with pytest.raises(MPI.Exception) as e:
            make()
        assert error_class(e) == cls
    with pytest.raises(BufferError):
        MPI.Win.Create(np.zeros(4, "i4")[::2], comm=MPI.COMM_SELF)


def test_win_detach_needs_writable_buffer():
    try:
        win = MPI.Win.Create_dynamic(comm=MPI.COMM_WORLD)
    except MPI.Exception:  # Open MPI 4.1 needs two processes for it
        assert MPI.COMM_WORLD.size == 1 and OPEN_MPI
        pytest.skip("no dynamic window over one process")
    try:
        with pytest.raises(BufferError):
            win.Detach(bytes(8))
        with pytest.raises(BufferError):
            win.Detach(np.zeros(4, "i4")[::2])
    finally:
        win.Free()


def test_win_atomics_check_buffers_before_rank():
    win = MPI.Win.Allocate(8, comm=MPI.COMM_SELF)
    try:
        win.Lock(0)
        # eight bytes are not one element: ValueError before the bad rank
        with pytest.raises(ValueError):
            win.Fetch_and_op(bytearray(8), bytearray(8), -1)
        with pytest.raises(ValueError):
            win.Compare_and_swap(bytearray(8), bytearray(8), bytearray(8), 5)
        with pytest.raises(TypeError):
            win.Fetch_and_op(1, bytearray(8), 0)
        with pytest.raises(TypeError):
            win.Compare_and_swap(None, bytearray(4), bytearray(4), 0)
        with pytest.raises(BufferError):
            win.Fetch_and_op(np.zeros(4, "i4")[::2], np.zeros(1, "i4"), 0)
        with pytest.raises(TypeError):
            win.Put(None, 0)
        with pytest.raises(TypeError):
            win.Raccumulate(None, 0)
        # one element each: the target rank is checked then
        with pytest.raises(MPI.Exception) as e:
            win.Fetch_and_op(np.zeros(1, "i4"), np.zeros(1, "i4"), 5)
        if IS_CMPI:
            assert error_class(e) == MPI.ERR_RANK
        res = np.zeros(1, "i4")
        win.Fetch_and_op(np.ones(1, "i4"), res, 0)
        win.Unlock(0)
    finally:
        win.Free()
