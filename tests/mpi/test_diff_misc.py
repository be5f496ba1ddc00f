"""Arguments refused as mpi4py refuses them (issue 17, the differential
test's miscellaneous rows): the same exception type, and the same MPI error
class where mpi4py raises one itself or gets it from Open MPI."""

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI

OPEN_MPI = "Open MPI" in MPI.Get_library_version()


def error_class(excinfo):
    return excinfo.value.Get_error_class()


def test_attach_buffer_checks_the_argument_first():
    # a TypeError for what is no buffer, even while one is attached
    MPI.Attach_buffer(bytearray(MPI.BSEND_OVERHEAD + 64))
    try:
        for bad in ("abc", [bytearray(8), 2, MPI.INT], (bytearray(8), MPI.BYTE)):
            with pytest.raises(TypeError):
                MPI.Attach_buffer(bad)
        with pytest.raises(MPI.Exception) as e:
            MPI.Attach_buffer(bytearray(8))
        if IS_CMPI:  # Open MPI answers with an internal code
            assert error_class(e) == MPI.ERR_BUFFER
            assert "already attached" in str(e.value)
    finally:
        MPI.Detach_buffer()


def test_pcontrol_levels():
    for level in (-1, -7, 3):
        with pytest.raises(MPI.Exception) as e:
            MPI.Pcontrol(level)
        assert error_class(e) == MPI.ERR_ARG
        if IS_CMPI:
            assert f"level={level}" in str(e.value)
    for level in (0, 2, 1):
        MPI.Pcontrol(level)


def test_alloc_mem_negative_size():
    if not IS_CMPI and not OPEN_MPI:
        pytest.skip("mpi4py passes the size to MPI: the class is Open MPI's")
    with pytest.raises(MPI.Exception) as e:
        MPI.Alloc_mem(-1)
    assert error_class(e) == MPI.ERR_ARG
    if IS_CMPI:
        assert "size=-1" in str(e.value)


def test_get_error_string_negative_code():
    if not IS_CMPI and not OPEN_MPI:
        pytest.skip("mpi4py passes the code to MPI: the class is Open MPI's")
    for code in (-1, -7):
        with pytest.raises(MPI.Exception) as e:
            MPI.Get_error_string(code)
        assert error_class(e) == MPI.ERR_ARG
    assert MPI.Get_error_string(MPI.SUCCESS)


def test_info_get_nthkey_past_the_keys():
    if not IS_CMPI and not OPEN_MPI:
        pytest.skip("mpi4py passes n to MPI: the classes are Open MPI's")
    info = MPI.Info.Create()
    try:
        info.Set("a", "1")
        assert info.Get_nthkey(0) == "a"
        with pytest.raises(MPI.Exception) as e:
            info.Get_nthkey(1)
        assert error_class(e) == MPI.ERR_INFO_KEY
        with pytest.raises(MPI.Exception) as e:
            info.Get_nthkey(-1)
        assert error_class(e) == MPI.ERR_ARG
    finally:
        info.Free()


def test_iagree_strided_flag_is_a_buffer_error():
    with pytest.raises(BufferError):
        MPI.COMM_SELF.Iagree(np.zeros(4, "i4")[::2])


@pytest.mark.parametrize("method", ["Range_incl", "Range_excl"])
def test_group_ranges_unpack_strings(method):
    group = MPI.COMM_WORLD.Get_group()
    try:
        with pytest.raises(ValueError):  # 'x' unpacks to one value, not three
            getattr(group, method)("x")
        with pytest.raises(TypeError):  # 'xyz' unpacks to three non-integers
            getattr(group, method)(["xyz"])
    finally:
        group.Free()


def test_buffer_cast_shape_none():
    mem = MPI.Alloc_mem(8)
    try:
        with pytest.raises(TypeError):  # as memoryview.cast(format, None)
            mem.cast("B", shape=None)
        assert mem.cast("B").nbytes == 8
        assert mem.cast("B", [8]).shape == (8,)
    finally:
        MPI.Free_mem(mem)


def test_buffer_automatic_constant():
    # MPI-4.1's MPI_BUFFER_AUTOMATIC, a sentinel as BOTTOM and IN_PLACE are
    import pickle

    auto = MPI.BUFFER_AUTOMATIC
    assert isinstance(auto, MPI.BufferAutomaticType)
    assert MPI.BufferAutomaticType() == auto
    assert auto == int(auto) and not auto != int(auto) and auto != None  # noqa: E711
    assert hash(auto) == hash(int(auto)) and bool(auto) == bool(int(auto))
    assert repr(auto) == "BUFFER_AUTOMATIC" == auto.__reduce__()
    assert memoryview(auto).nbytes == 0 and memoryview(auto).obj is None
    assert MPI.Get_address(auto) == auto
    assert pickle.loads(pickle.dumps(auto)) == auto
    with pytest.raises(TypeError):
        auto + 1  # type: ignore[operator]
    if IS_CMPI:  # MPI.Attach_buffer never hands MPI the sentinel's address
        with pytest.raises(TypeError):
            MPI.Attach_buffer(auto)
