"""MPI.Info: the MPI calls, the dict interface, the predefined objects and
bad input.  Info calls are local, so every rank runs the same checks."""

import pytest

from mpiimpl import MPI
from mpitestutil import mpi_library_has


@pytest.fixture
def info():
    i = MPI.Info.Create()
    yield i
    i.free()


def test_predefined():
    assert isinstance(MPI.INFO_NULL, MPI.Info)
    assert not MPI.INFO_NULL
    assert MPI.INFO_ENV
    assert MPI.Info() == MPI.INFO_NULL
    assert MPI.Info(MPI.INFO_ENV) == MPI.INFO_ENV
    assert MPI.INFO_NULL != MPI.INFO_ENV
    # INFO_ENV may be empty or hold keys such as "command"; all are str.
    for k, v in MPI.INFO_ENV.items():
        assert isinstance(k, str) and isinstance(v, str)
    assert len(MPI.INFO_ENV) == MPI.INFO_ENV.Get_nkeys()


def test_create_set_get(info):
    assert info and len(info) == 0 and info.Get_nkeys() == 0
    info.Set("a", "1")
    info.Set(key="b", value="two")
    assert info.Get("a") == "1"
    assert info.Get("b") == "two"
    assert info.Get("missing") is None
    assert info.Get_nkeys() == 2
    assert [info.Get_nthkey(i) for i in range(2)] == ["a", "b"]
    info.Set("a", "one")  # replaces, key keeps its place
    assert info.Get("a") == "one" and info.Get_nkeys() == 2
    info.Delete("a")
    assert info.Get("a") is None and info.Get_nkeys() == 1


def test_create_items():
    for items in ({"x": "1", "y": "2"}, [("x", "1"), ("y", "2")]):
        i = MPI.Info.Create(items)
        assert dict(i.items()) == {"x": "1", "y": "2"}
        j = MPI.Info.Create(items=i)
        assert j.items() == i.items() and j != i
        i.Free()
        j.Free()
        assert i == MPI.INFO_NULL and not j


def test_long_value(info):
    value = "v" * (MPI.MAX_INFO_VAL - 1)
    info["long"] = value
    assert info["long"] == value


def test_dict_interface(info):
    info["k1"] = "v1"
    info["k2"] = "v2"
    assert "k1" in info and "nope" not in info
    assert info["k1"] == "v1"
    assert list(info) == ["k1", "k2"]
    assert info.keys() == ["k1", "k2"]
    assert info.values() == ["v1", "v2"]
    assert info.items() == [("k1", "v1"), ("k2", "v2")]
    assert info.get("k2") == "v2"
    assert info.get("nope") is None
    assert info.get("nope", "dflt") == "dflt"
    with pytest.raises(KeyError):
        info["nope"]
    with pytest.raises(KeyError):
        del info["nope"]
    del info["k1"]
    assert "k1" not in info and len(info) == 1
    info.update({"a": "1"}, b="2")
    info.update([("c", "3")])
    info.update(items={"d": "4"})
    assert info.keys() == ["k2", "a", "b", "c", "d"]
    assert info.pop("a") == "1"
    assert info.pop("a", "gone") == "gone"
    with pytest.raises(KeyError):
        info.pop("a")
    assert info.popitem() == ("d", "4")
    c = info.copy()
    try:
        assert c.items() == info.items() and c != info
        c["only-in-copy"] = "x"
        assert "only-in-copy" not in info
    finally:
        c.Free()
    info.clear()
    assert len(info) == 0 and info.items() == []
    with pytest.raises(KeyError):
        info.popitem()


def test_dup(info):
    info["k"] = "v"
    d = info.Dup()
    try:
        assert d != info and d.items() == [("k", "v")]
        d["k"] = "w"
        assert info["k"] == "v"
    finally:
        d.Free()


def test_null_mapping():
    null = MPI.INFO_NULL
    assert len(null) == 0
    assert "k" not in null
    assert list(null) == [] and null.keys() == [] and null.items() == []
    assert null.get("k", "d") == "d"
    assert null.pop("k", "d") == "d"
    assert not null.copy()
    null.clear()
    with pytest.raises(KeyError):
        null["k"]
    with pytest.raises(KeyError):
        null["k"] = "v"
    with pytest.raises(KeyError):
        null.popitem()


def test_null_calls_raise():
    for call in (
        lambda: MPI.INFO_NULL.Get("k"),
        lambda: MPI.INFO_NULL.Set("k", "v"),
        lambda: MPI.INFO_NULL.Delete("k"),
        lambda: MPI.INFO_NULL.Get_nkeys(),
        lambda: MPI.INFO_NULL.Dup(),
        lambda: MPI.INFO_NULL.Free(),
    ):
        with pytest.raises(MPI.Exception) as e:
            call()
        assert e.value.Get_error_class() == MPI.ERR_INFO


def test_bad_input(info):
    with pytest.raises(TypeError):
        info.Set("k", 1)
    with pytest.raises(TypeError):
        info.Set(1, "v")
    with pytest.raises(TypeError):
        info[1] = "v"
    with pytest.raises(TypeError):
        MPI.Info.Create([("a",)])
    with pytest.raises(TypeError):
        MPI.Info.Create(42)
    with pytest.raises(TypeError):
        MPI.Info(42)
    with pytest.raises(MPI.Exception) as e:
        info.Delete("never-set")
    # MPICH 4.0, late in a full tests/mpi run, returns a bare ERR_BUFFER
    # for some failing calls (see test_msgspec_bounds.test_long_error_string;
    # not understood yet).
    assert e.value.Get_error_class() in (MPI.ERR_INFO_NOKEY,) + (
        (MPI.ERR_BUFFER,) if "MPICH" in MPI.Get_library_version() else ())
    with pytest.raises(MPI.Exception) as e:
        info.Set("k" * (MPI.MAX_INFO_KEY + 1), "v")
    assert e.value.Get_error_class() == MPI.ERR_INFO_KEY
    with pytest.raises(MPI.Exception):
        info.Get_nthkey(0)
    assert len(info) == 0


def test_free_predefined():
    with pytest.raises(MPI.Exception):
        MPI.INFO_ENV.Free()
    assert MPI.INFO_ENV
    MPI.INFO_ENV.free()  # a no-op on a predefined object
    assert MPI.INFO_ENV


def test_create_env():
    try:
        env = MPI.Info.Create_env()
    except NotImplementedError as e:
        assert not mpi_library_has("MPI_Info_create_env")
        assert "MPI_Info_create_env" in str(e)
        return
    try:
        assert env and env != MPI.INFO_ENV
    finally:
        env.Free()
    env = MPI.Info.Create_env(["prog", "-x"])
    env.Free()
