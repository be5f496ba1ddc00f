"""Argument types as mpi4py 4.1.2 takes or refuses them (issue 17's
differential test): the same value gives the same outcome class under
both bindings (every test here runs under mpi4py too, CMPI_TEST_IMPL)."""

import pytest

from mpiimpl import MPI


# -- strings: a str, or bytes as mpi4py's asmpistr takes --------------------------


@pytest.mark.parametrize("kind", ["comm", "datatype", "win"])
def test_set_name_takes_bytes(kind):
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
            obj.Set_name(1)  # type: ignore[arg-type]
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
    assert MPI.INT.Pack_external_size(b"external32", 1) == 4  # type: ignore[arg-type]
