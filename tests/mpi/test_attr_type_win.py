"""Attribute caching on datatypes and windows (Datatype.Create_keyval,
Win.Create_keyval, Set_attr, Get_attr, Delete_attr, Free_keyval): the
same machinery and semantics as on communicators (test_keyval.py)."""

import pytest

from mpiimpl import IS_CMPI, MPI


def test_datatype_set_get_delete():
    deleted = []
    kv = MPI.Datatype.Create_keyval(delete_fn=lambda t, k, v: deleted.append((t, k, v)))
    dtype = MPI.INT.Dup()
    try:
        assert dtype.Get_attr(kv) is None
        value = {"a": [1, 2, 3]}
        dtype.Set_attr(kv, value)
        assert dtype.Get_attr(kv) is value
        dtype.Set_attr(kv, "second")  # the old value is deleted
        assert [v for _, _, v in deleted] == [value]
        assert isinstance(deleted[0][0], MPI.Datatype) and deleted[0][1] == kv
        dtype.Delete_attr(kv)
        assert dtype.Get_attr(kv) is None
        dtype.Set_attr(kv, 7)
    finally:
        dtype.Free()  # deletes the remaining attribute
        assert MPI.Datatype.Free_keyval(kv) == MPI.KEYVAL_INVALID
    assert [v for _, _, v in deleted] == [value, "second", 7]


def test_datatype_copy_on_dup():
    copies = []

    def copy_fn(t, k, v):
        copies.append(v)
        return v + 1

    kv_copy = MPI.Datatype.Create_keyval(copy_fn=copy_fn)
    kv_share = MPI.Datatype.Create_keyval(copy_fn=True)
    kv_none = MPI.Datatype.Create_keyval()
    base = MPI.DOUBLE.Dup()
    obj = object()
    try:
        base.Set_attr(kv_copy, 10)
        base.Set_attr(kv_share, obj)
        base.Set_attr(kv_none, "no copy")
        dup = base.Dup()
        try:
            assert dup.Get_attr(kv_copy) == 11
            assert dup.Get_attr(kv_share) is obj
            assert dup.Get_attr(kv_none) is None
        finally:
            dup.Free()
        assert copies == [10]
    finally:
        base.Free()
        for kv in (kv_copy, kv_share, kv_none):
            MPI.Datatype.Free_keyval(kv)


def test_datatype_predefined_and_nopython():
    kv = MPI.Datatype.Create_keyval(nopython=True)
    try:
        MPI.INT.Set_attr(kv, 42)  # MPI allows attributes on predefined types
        assert MPI.INT.Get_attr(kv) == 42
        with pytest.raises(TypeError):
            MPI.INT.Set_attr(kv, "not an integer")
        MPI.INT.Delete_attr(kv)
        assert MPI.INT.Get_attr(kv) is None
    finally:
        MPI.Datatype.Free_keyval(kv)


def test_invalid_keyvals():
    with pytest.raises(MPI.Exception) as info:
        MPI.INT.Set_attr(MPI.KEYVAL_INVALID, 1)
    assert info.value.Get_error_class() == MPI.ERR_KEYVAL
    kv = MPI.Datatype.Create_keyval()
    MPI.Datatype.Free_keyval(kv)
    with pytest.raises(MPI.Exception):
        MPI.Datatype.Free_keyval(MPI.KEYVAL_INVALID)
    comm_kv = MPI.Comm.Create_keyval()
    try:
        # a communicator's keyval is no datatype's
        with pytest.raises(MPI.Exception) as info:
            MPI.Datatype.Free_keyval(comm_kv)
        assert info.value.Get_error_class() == MPI.ERR_KEYVAL
        if IS_CMPI:
            assert "made by Comm.Create_keyval, not Datatype.Create_keyval" in str(info.value)
    finally:
        MPI.Comm.Free_keyval(comm_kv)


# MPICH 4.0: once a datatype's delete callback has failed (MPI_Type_delete_attr
# returned its error), later Bsend errors in the same process come back as
# ERR_OTHER instead of ERR_BUFFER (tests/mpi/test_p2p_modes.py, full suite):
# the library's state, not cmpi's; Open MPI runs it.
@pytest.mark.skipif(MPI.get_vendor()[0] == "MPICH",
                    reason="MPICH 4.0 is left returning ERR_OTHER for later errors")
def test_delete_fn_error_is_reported(monkeypatch):
    import sys

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))
    failures = [ValueError("from delete_fn")]

    def delete_fn(t, k, v):
        if failures:  # fails once; the attribute then stays until Free
            raise failures.pop()

    kv = MPI.Datatype.Create_keyval(delete_fn=delete_fn)
    dtype = MPI.INT.Dup()
    try:
        dtype.Set_attr(kv, "x")
        with pytest.raises(MPI.Exception):
            dtype.Delete_attr(kv)
    finally:
        dtype.Free()
        MPI.Datatype.Free_keyval(kv)
    assert seen and isinstance(seen[0], ValueError)


def test_win_attributes():
    comm = MPI.COMM_WORLD
    deleted = []
    kv = MPI.Win.Create_keyval(delete_fn=lambda w, k, v: deleted.append((type(w), v)))
    win = MPI.Win.Allocate(8, comm=comm)
    try:
        assert win.Get_attr(kv) is None
        value = ["window", comm.Get_rank()]
        win.Set_attr(kv, value)
        assert win.Get_attr(kv) is value
        # the predefined attributes are still answered
        assert win.Get_attr(MPI.WIN_SIZE) == 8
        assert win.Get_attr(MPI.WIN_DISP_UNIT) == 1
        win.Set_attr(kv, "second")
        win.Delete_attr(kv)
        assert win.Get_attr(kv) is None
        win.Set_attr(kv, 3)
    finally:
        win.Free()  # deletes the remaining attribute
        assert MPI.Win.Free_keyval(kv) == MPI.KEYVAL_INVALID
    assert [v for _, v in deleted] == [value, "second", 3]
    assert all(issubclass(t, MPI.Win) for t, _ in deleted)


def test_win_null_attr():
    kv = MPI.Win.Create_keyval()
    try:
        with pytest.raises(MPI.Exception):
            MPI.WIN_NULL.Set_attr(kv, 1)
    finally:
        MPI.Win.Free_keyval(kv)
