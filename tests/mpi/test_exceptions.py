"""MPI.Exception, error classes, and MPI failures surfacing as exceptions."""

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import drain, stray_guard

ERR_NAMES = [
    "ERR_BUFFER", "ERR_COUNT", "ERR_TYPE", "ERR_TAG", "ERR_COMM", "ERR_RANK",
    "ERR_REQUEST", "ERR_ROOT", "ERR_GROUP", "ERR_OP", "ERR_TOPOLOGY",
    "ERR_DIMS", "ERR_ARG", "ERR_UNKNOWN", "ERR_TRUNCATE", "ERR_OTHER",
    "ERR_INTERN", "ERR_IN_STATUS", "ERR_PENDING",
]


def test_exception_is_runtime_error():
    assert issubclass(MPI.Exception, RuntimeError)
    assert issubclass(MPI.Exception, Exception)


@pytest.mark.parametrize("name", ["ERR_RANK", "ERR_TAG", "ERR_TRUNCATE", "ERR_OTHER"])
def test_exception_from_code(name):
    code = getattr(MPI, name)
    exc = MPI.Exception(code)
    assert exc.Get_error_code() == code
    assert exc.Get_error_class() == code
    assert exc.error_code == code
    assert exc.error_class == code
    text = MPI.Get_error_string(code)
    assert isinstance(text, str) and text
    assert exc.Get_error_string() == text
    assert exc.error_string == text
    assert str(exc) == text
    assert int(exc) == code
    assert exc == code


def test_exception_default_success():
    exc = MPI.Exception()
    assert exc.Get_error_code() == MPI.SUCCESS
    assert exc.Get_error_class() == MPI.SUCCESS


def test_exception_raise_catch():
    with pytest.raises(MPI.Exception) as info:
        raise MPI.Exception(MPI.ERR_ARG)
    assert info.value.Get_error_class() == MPI.ERR_ARG
    with pytest.raises(RuntimeError):
        raise MPI.Exception(MPI.ERR_ARG)


def test_error_constants():
    assert MPI.SUCCESS == 0
    values = [getattr(MPI, name) for name in ERR_NAMES]
    assert all(type(v) is int for v in values)
    assert len(set(values)) == len(values)
    assert all(0 < v <= MPI.ERR_LASTCODE for v in values)
    for v in values:
        assert MPI.Get_error_class(v) == v
        assert isinstance(MPI.Get_error_string(v), str)
        assert MPI.Get_error_string(v)
    assert MPI.Get_error_class(MPI.SUCCESS) == MPI.SUCCESS


def test_error_strings_distinct():
    strings = {MPI.Get_error_string(getattr(MPI, n)) for n in ("ERR_RANK", "ERR_TAG", "ERR_COMM")}
    assert len(strings) == 3


def test_send_invalid_rank_raises():
    comm = MPI.COMM_WORLD
    buf = np.arange(4, dtype="i")
    with pytest.raises(MPI.Exception) as info:
        comm.Send(buf, comm.Get_size(), 0)
    assert info.value.Get_error_class() == MPI.ERR_RANK
    with pytest.raises(MPI.Exception) as info:
        comm.Send(buf, -7, 0)
    assert info.value.Get_error_class() == MPI.ERR_RANK


def test_recv_invalid_rank_raises():
    comm = MPI.COMM_WORLD
    buf = np.zeros(4, dtype="i")
    with pytest.raises(MPI.Exception) as info:
        comm.Recv(buf, comm.Get_size(), 0)
    assert info.value.Get_error_class() == MPI.ERR_RANK


def test_send_invalid_tag_raises():
    comm = MPI.COMM_SELF
    buf = np.arange(4, dtype="i")
    tag_ub = MPI.COMM_WORLD.Get_attr(MPI.TAG_UB)
    with stray_guard(comm) as guard:
        with pytest.raises(MPI.Exception) as info:
            comm.Send(buf, 0, -5)
        assert info.value.Get_error_class() == MPI.ERR_TAG
        if tag_ub < 2**31 - 1:  # type: ignore[operator]
            with pytest.raises(MPI.Exception) as info:
                comm.Send(buf, 0, tag_ub + 1)  # type: ignore[operator]
            assert info.value.Get_error_class() == MPI.ERR_TAG
    assert guard.strays == 0


def test_recv_truncate_raises_and_keeps_tail():
    comm = MPI.COMM_SELF
    sreq = comm.Isend(np.arange(8, dtype="i"), 0, 11)
    buf = np.full(10, -1, dtype="i")
    try:
        with pytest.raises(MPI.Exception) as info:
            comm.Recv(buf[:4], 0, 11)
    finally:
        drain(comm, 11, sreq=sreq)
        sreq.Wait()
    assert info.value.Get_error_class() == MPI.ERR_TRUNCATE
    assert buf[4:].tolist() == [-1] * 6


def test_recv_truncate_explicit_count():
    comm = MPI.COMM_SELF
    sreq = comm.Isend([np.arange(8, dtype="d"), MPI.DOUBLE], 0, 12)
    buf = np.full(8, -1.0)
    try:
        with pytest.raises(MPI.Exception) as info:
            comm.Recv([buf, 3, MPI.DOUBLE], 0, 12)
    finally:
        drain(comm, 12, sreq=sreq)
        sreq.Wait()
    assert info.value.Get_error_class() == MPI.ERR_TRUNCATE
    assert buf[3:].tolist() == [-1.0] * 5


def test_comm_null_raises():
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_NULL.Get_rank()
    assert info.value.Get_error_class() == MPI.ERR_COMM
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_NULL.Get_size()
    assert info.value.Get_error_class() == MPI.ERR_COMM


def test_datatype_null_raises():
    with pytest.raises(MPI.Exception) as info:
        MPI.DATATYPE_NULL.Get_size()
    assert info.value.Get_error_class() == MPI.ERR_TYPE


def test_comm_still_usable_after_error():
    comm = MPI.COMM_WORLD
    with pytest.raises(MPI.Exception):
        comm.Send(np.zeros(1), comm.Get_size(), 0)
    assert comm.allreduce(1) == comm.Get_size()
