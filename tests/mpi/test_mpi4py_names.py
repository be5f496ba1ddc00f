"""mpi4py names that programs use beyond the documented API: the private
type maps (``MPI._typedict['d']`` finds the datatype of a NumPy typecode),
``_typecode``, and the constants mpi4py defines whatever the library has
(``DISP_CUR``, ``WIN_FLAVOR``, MPI-4.x lengths, the fault-tolerance error
classes), with mpi4py's stand-in values where the library lacks them."""

import pytest

from mpiimpl import MPI


def test_typedict_common_codes():
    td = MPI._typedict
    assert td["d"] == MPI.DOUBLE and td["f8"] == MPI.DOUBLE
    assert td["i"] == MPI.INT and td["i4"] == MPI.INT32_T
    assert td["q"] == MPI.LONG_LONG and td["Q"] == MPI.UNSIGNED_LONG_LONG
    assert td["b1"] == MPI.C_BOOL and td["u1"] == MPI.UINT8_T
    assert td["D"] == MPI.C_DOUBLE_COMPLEX and td["c16"] == MPI.C_DOUBLE_COMPLEX
    assert td["c"] == MPI.CHAR and td["p"] == MPI.AINT


def test_typedict_values_are_what_fromcode_gives():
    # every entry a predefined, non-null datatype of the code it is keyed by
    aliases = {"1s": "s", "1u": "u", "1w": "w", "M8": "M", "m8": "m"}
    assert len(MPI._typedict) > 40
    for code, datatype in MPI._typedict.items():
        assert isinstance(datatype, MPI.Datatype), code
        assert datatype != MPI.DATATYPE_NULL, code
        assert datatype == MPI.Datatype.fromcode(aliases.get(code, code)), code


def test_typedict_c_is_the_c_subset():
    assert len(MPI._typedict_c) > 20
    for code, datatype in MPI._typedict_c.items():
        assert MPI._typedict[code] == datatype, code
    assert "n" not in MPI._typedict_c and "S" not in MPI._typedict_c


def test_typedict_f_fortran_types():
    tf = MPI._typedict_f
    assert tf["i"] == MPI.INTEGER and tf["d"] == MPI.DOUBLE_PRECISION
    assert tf["r"] == MPI.REAL == tf["s"] and tf["z"] == MPI.DOUBLE_COMPLEX
    for code, datatype in tf.items():
        assert datatype != MPI.DATATYPE_NULL, code


def test_typecode():
    assert MPI._typecode(MPI.DOUBLE) == "d"
    assert MPI._typecode(MPI.INT) == "i"
    assert MPI._typecode(MPI.UNSIGNED_CHAR) == "B"
    dup = MPI.DOUBLE.Dup()
    vector = MPI.DOUBLE.Create_vector(2, 1, 2)
    try:
        assert MPI._typecode(dup) == "d"
        assert MPI._typecode(vector) is None
    finally:
        dup.Free()
        vector.Free()
    assert MPI._typecode(MPI.DOUBLE_INT) is None
    with pytest.raises(TypeError):
        MPI._typecode(None)  # type: ignore[arg-type]


def test_constant_other_names():
    assert MPI.WIN_FLAVOR == MPI.WIN_CREATE_FLAVOR
    assert MPI.DISP_CUR == MPI.DISPLACEMENT_CURRENT
    assert isinstance(MPI.COMBINER_VALUE_INDEX, int)
    assert MPI.MAX_PSET_NAME_LEN >= 1 and MPI.MAX_STRINGTAG_LEN >= 1


def test_fault_tolerance_error_classes():
    codes = (MPI.ERR_REVOKED, MPI.ERR_PROC_FAILED, MPI.ERR_PROC_FAILED_PENDING)
    assert all(isinstance(c, int) for c in codes)
    if any(c != MPI.ERR_UNKNOWN for c in codes):
        # the library has them: three classes of their own
        assert len(set(codes)) == 3 and MPI.ERR_UNKNOWN not in codes
