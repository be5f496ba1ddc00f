"""Attribute caching with Python objects: Create_keyval, Set_attr,
Get_attr, Delete_attr, Free_keyval, and the copy/delete callbacks."""

import pytest

from mpiimpl import MPI


def test_set_get_delete():
    deleted = []
    kv = MPI.Comm.Create_keyval(delete_fn=lambda c, k, v: deleted.append(v))
    comm = MPI.COMM_SELF.Dup()
    try:
        assert comm.Get_attr(kv) is None
        value = {"a": [1, 2, 3]}
        comm.Set_attr(kv, value)
        assert comm.Get_attr(kv) is value
        comm.Set_attr(kv, "second")  # the old value is deleted
        assert deleted == [value]
        comm.Delete_attr(kv)
        assert deleted == [value, "second"]
        assert comm.Get_attr(kv) is None
        comm.Set_attr(kv, 7)
    finally:
        comm.Free()  # deletes the remaining attribute
        assert MPI.Comm.Free_keyval(kv) == MPI.KEYVAL_INVALID
    assert deleted == [value, "second", 7]


def test_copy_on_dup(comm):
    copies = []

    def copy_fn(c, k, v):
        copies.append(v)
        return v + 1

    kv_copy = MPI.Comm.Create_keyval(copy_fn=copy_fn)
    kv_share = MPI.Comm.Create_keyval(copy_fn=True)
    kv_none = MPI.Comm.Create_keyval()
    kv_skip = MPI.Comm.Create_keyval(copy_fn=lambda c, k, v: NotImplemented)
    base = comm.Dup()
    obj = object()
    try:
        base.Set_attr(kv_copy, 10)
        base.Set_attr(kv_share, obj)
        base.Set_attr(kv_none, "no copy")
        base.Set_attr(kv_skip, "skipped")
        dup = base.Dup()
        clone = base.Clone()
        try:
            assert dup.Get_attr(kv_copy) == 11
            assert dup.Get_attr(kv_share) is obj
            assert dup.Get_attr(kv_none) is None
            assert dup.Get_attr(kv_skip) is None
            assert clone.Get_attr(kv_copy) == 11
        finally:
            dup.Free()
            clone.Free()
        # once per duplicate: the internal shadow communicator copies nothing
        assert copies == [10, 10]
    finally:
        base.Free()
        for kv in (kv_copy, kv_share, kv_none, kv_skip):
            MPI.Comm.Free_keyval(kv)


def test_nopython():
    kv = MPI.Comm.Create_keyval(nopython=True)
    comm = MPI.COMM_SELF.Dup()
    try:
        comm.Set_attr(kv, 12345)
        assert comm.Get_attr(kv) == 12345
        with pytest.raises(TypeError):
            comm.Set_attr(kv, "not an int")
    finally:
        comm.Free()
        MPI.Comm.Free_keyval(kv)


def test_predefined_attrs():
    assert MPI.COMM_WORLD.Get_attr(MPI.TAG_UB) >= 32767  # type: ignore[operator]
    assert MPI.COMM_WORLD.Get_attr(MPI.WTIME_IS_GLOBAL) in (0, 1, None)


def test_invalid_keyval():
    comm = MPI.COMM_SELF
    with pytest.raises(MPI.Exception) as e:
        comm.Get_attr(MPI.KEYVAL_INVALID)
    assert e.value.Get_error_class() == MPI.ERR_KEYVAL
    with pytest.raises(MPI.Exception):
        comm.Set_attr(MPI.KEYVAL_INVALID, 1)
    with pytest.raises(MPI.Exception):
        MPI.Comm.Free_keyval(MPI.KEYVAL_INVALID)
    kv = MPI.Comm.Create_keyval()
    MPI.Comm.Free_keyval(kv)
    with pytest.raises(MPI.Exception):
        MPI.Comm.Free_keyval(kv)
    with pytest.raises(TypeError):
        MPI.Comm.Create_keyval(copy_fn=42)
    with pytest.raises(TypeError):
        MPI.Comm.Create_keyval(delete_fn="x")


def test_delete_fn_error_is_reported(monkeypatch):
    import sys
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))

    failures = [ValueError("bad delete")]

    def bad_delete(c, k, v):
        if failures:  # fails once; the attribute then stays until Free
            raise failures.pop()

    kv = MPI.Comm.Create_keyval(delete_fn=bad_delete)
    comm = MPI.COMM_SELF.Dup()
    try:
        comm.Set_attr(kv, 1)
        with pytest.raises(MPI.Exception):
            comm.Delete_attr(kv)
    finally:
        comm.Free()
        MPI.Comm.Free_keyval(kv)
    assert seen and isinstance(seen[0], ValueError)
