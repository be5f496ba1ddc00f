"""Predefined and simple derived datatypes."""

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import drain

SIZES = {
    "CHAR": 1,
    "SIGNED_CHAR": 1,
    "UNSIGNED_CHAR": 1,
    "BYTE": 1,
    "SHORT": 2,
    "UNSIGNED_SHORT": 2,
    "INT": 4,
    "UNSIGNED": 4,
    "LONG": 8,
    "UNSIGNED_LONG": 8,
    "LONG_LONG": 8,
    "UNSIGNED_LONG_LONG": 8,
    "FLOAT": 4,
    "DOUBLE": 8,
    "C_BOOL": 1,
    "INT8_T": 1,
    "INT16_T": 2,
    "INT32_T": 4,
    "INT64_T": 8,
    "UINT8_T": 1,
    "UINT16_T": 2,
    "UINT32_T": 4,
    "UINT64_T": 8,
    "C_FLOAT_COMPLEX": 8,
    "C_DOUBLE_COMPLEX": 16,
    "WCHAR": 4,
    "AINT": 8,
    "OFFSET": 8,
    "COUNT": 8,
}


@pytest.mark.parametrize("name", list(SIZES))
def test_predefined_sizes(name):
    dt = getattr(MPI, name)
    assert isinstance(dt, MPI.Datatype)
    assert dt
    assert dt.Get_size() == SIZES[name]
    assert dt.size == SIZES[name]
    assert dt.Get_extent() == (0, SIZES[name])
    assert dt.extent == SIZES[name]
    assert dt.lb == 0 and dt.ub == SIZES[name]
    assert dt.Get_true_extent() == (0, SIZES[name])


@pytest.mark.parametrize(
    "name", ["INT", "DOUBLE", "BYTE", "CHAR", "FLOAT", "LONG", "C_DOUBLE_COMPLEX", "INT64_T"]
)
def test_predefined_names(name):
    dt = getattr(MPI, name)
    assert dt.Get_name() == "MPI_" + name
    assert dt.name == "MPI_" + name


def test_pair_types():
    assert MPI.INT_INT.Get_size() == 8
    assert MPI.TWOINT == MPI.INT_INT
    assert MPI.DOUBLE_INT.Get_size() == 12
    assert MPI.DOUBLE_INT.Get_extent()[1] == 16
    assert MPI.FLOAT_INT.Get_size() == 8


def test_complex_alias():
    assert MPI.COMPLEX.Get_size() == 8 or MPI.COMPLEX == MPI.DATATYPE_NULL
    assert MPI.DOUBLE_COMPLEX.Get_size() == 16 or MPI.DOUBLE_COMPLEX == MPI.DATATYPE_NULL


def test_equality_and_null():
    assert MPI.INT == MPI.INT
    assert MPI.INT != MPI.DOUBLE
    assert MPI.Datatype(MPI.INT) == MPI.INT
    assert MPI.Datatype() == MPI.DATATYPE_NULL
    assert not MPI.DATATYPE_NULL
    assert MPI.INT
    assert isinstance(MPI.DATATYPE_NULL, MPI.Datatype)
    assert MPI.INT != None  # noqa: E711


def test_null_raises():
    with pytest.raises(MPI.Exception) as info:
        MPI.DATATYPE_NULL.Get_extent()
    assert info.value.Get_error_class() == MPI.ERR_TYPE


def test_contiguous_and_vector():
    comm = MPI.COMM_SELF
    cont = MPI.INT.Create_contiguous(3).Commit()
    vec = MPI.DOUBLE.Create_vector(3, 1, 2).Commit()
    try:
        cont_info = (cont.Get_size(), cont.Get_extent(), bool(cont))
        vec_info = (vec.Get_size(), vec.Get_extent())
        sbuf = np.arange(6, dtype="i")
        rbuf = np.zeros(6, dtype="i")
        comm.Sendrecv([sbuf, 2, cont], 0, 50, [rbuf, 2, cont], 0, 50)
        dsrc = np.arange(6, dtype="d")
        ddst = np.full(6, -1.0)
        comm.Sendrecv([dsrc, 1, vec], 0, 51, [ddst, 1, vec], 0, 51)
    finally:
        drain(comm, 50)
        drain(comm, 51)
        cont.Free()
        vec.Free()
    assert cont_info == (12, (0, 12), True)
    assert vec_info == (24, (0, 40))
    assert rbuf.tolist() == list(range(6))
    assert ddst.tolist() == [0.0, -1.0, 2.0, -1.0, 4.0, -1.0]
    assert cont == MPI.DATATYPE_NULL and vec == MPI.DATATYPE_NULL


def test_dup_free():
    dt = MPI.DOUBLE.Dup()
    try:
        info = (dt.Get_size(), dt == MPI.DOUBLE, bool(dt))
    finally:
        dt.Free()
    assert info == (8, False, True)
    assert dt == MPI.DATATYPE_NULL
