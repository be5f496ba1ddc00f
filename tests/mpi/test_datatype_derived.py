"""Derived datatypes: every constructor moving real data, decoding
(envelope, contents, decode), Pack/Unpack, typecodes, the NumPy dtype
conversions of util.dtlib, and bad input."""

import numpy as np
import pytest

from mpiimpl import MPI, IS_CMPI
from mpitestutil import ON_MPI_ABI, ring, stray_guard

if IS_CMPI:
    from cmpi.util.dtlib import from_numpy_dtype, to_numpy_dtype
else:
    from mpi4py.util.dtlib import from_numpy_dtype, to_numpy_dtype  # type: ignore[no-redef]

N = 32  # int32 items in every test array: more than any case spans

BLOCK, CYCLIC = MPI.DISTRIBUTE_BLOCK, MPI.DISTRIBUTE_CYCLIC
DFLT = MPI.DISTRIBUTE_DFLT_DARG

# name, factory, count, the int32 indices one message of `count` items
# touches, and decode()'s (combiner name, params).
CASES = [
    ("contiguous", lambda: MPI.INT.Create_contiguous(5), 1, range(5),
     ("CONTIGUOUS", {"count": 5})),
    ("vector", lambda: MPI.INT.Create_vector(3, 2, 4), 1, [0, 1, 4, 5, 8, 9],
     ("VECTOR", {"count": 3, "blocklength": 2, "stride": 4})),
    ("hvector", lambda: MPI.INT.Create_hvector(3, 2, 16), 1, [0, 1, 4, 5, 8, 9],
     ("HVECTOR", {"count": 3, "blocklength": 2, "stride": 16})),
    ("indexed", lambda: MPI.INT.Create_indexed([2, 1, 3], [0, 5, 9]), 1,
     [0, 1, 5, 9, 10, 11],
     ("INDEXED", {"blocklengths": [2, 1, 3], "displacements": [0, 5, 9]})),
    ("hindexed", lambda: MPI.INT.Create_hindexed([2, 1, 3], [0, 20, 36]), 1,
     [0, 1, 5, 9, 10, 11],
     ("HINDEXED", {"blocklengths": [2, 1, 3], "displacements": [0, 20, 36]})),
    ("indexed_block", lambda: MPI.INT.Create_indexed_block(2, [1, 6, 9]), 1,
     [1, 2, 6, 7, 9, 10],
     ("INDEXED_BLOCK", {"blocklength": 2, "displacements": [1, 6, 9]})),
    ("hindexed_block", lambda: MPI.INT.Create_hindexed_block(2, [4, 24, 36]), 1,
     [1, 2, 6, 7, 9, 10],
     ("HINDEXED_BLOCK", {"blocklength": 2, "displacements": [4, 24, 36]})),
    ("struct", lambda: MPI.Datatype.Create_struct([2, 1], [0, 16], [MPI.INT, MPI.INT]), 1,
     [0, 1, 4],
     ("STRUCT", {"blocklengths": [2, 1], "displacements": [0, 16],
                 "datatypes": [MPI.INT, MPI.INT]})),
    ("subarray_c", lambda: MPI.INT.Create_subarray([4, 5], [2, 3], [1, 1]), 1,
     [6, 7, 8, 11, 12, 13],
     ("SUBARRAY", {"sizes": [4, 5], "subsizes": [2, 3], "starts": [1, 1],
                   "order": MPI.ORDER_C})),
    ("subarray_f", lambda: MPI.INT.Create_subarray([4, 5], [2, 3], [1, 1], order=MPI.ORDER_F), 1,
     [5, 6, 9, 10, 13, 14],
     ("SUBARRAY", {"sizes": [4, 5], "subsizes": [2, 3], "starts": [1, 1],
                   "order": MPI.ORDER_FORTRAN})),
    ("darray_block", lambda: MPI.INT.Create_darray(4, 1, [8], [BLOCK], [DFLT], [4]), 1,
     [2, 3],
     ("DARRAY", {"size": 4, "rank": 1, "gsizes": [8], "distribs": [BLOCK],
                 "dargs": [DFLT], "psizes": [4], "order": MPI.ORDER_C})),
    ("darray_cyclic", lambda: MPI.INT.Create_darray(2, 1, [8], [CYCLIC], [1], [2]), 1,
     [1, 3, 5, 7],
     ("DARRAY", {"size": 2, "rank": 1, "gsizes": [8], "distribs": [CYCLIC],
                 "dargs": [1], "psizes": [2], "order": MPI.ORDER_C})),
    ("darray_2d", lambda: MPI.INT.Create_darray(4, 3, [4, 4], [BLOCK, BLOCK], [DFLT, DFLT], [2, 2]),
     1, [10, 11, 14, 15],
     ("DARRAY", {"size": 4, "rank": 3, "gsizes": [4, 4], "distribs": [BLOCK, BLOCK],
                 "dargs": [DFLT, DFLT], "psizes": [2, 2], "order": MPI.ORDER_C})),
    ("resized", lambda: MPI.INT.Create_resized(0, 8), 3, [0, 2, 4],
     ("RESIZED", {"lb": 0, "extent": 8})),
    ("dup", lambda: MPI.INT.Dup(), 3, range(3), ("DUP", {})),
]
IDS = [c[0] for c in CASES]


def free(*types):
    for t in types:
        if t and not t.is_predefined:
            t.Free()


def expected(src, indices):
    out = np.zeros_like(src)
    idx = list(indices)
    out[idx] = src[idx]
    return out


@pytest.mark.parametrize("name,factory,count,indices,dec", CASES, ids=IDS)
def test_constructor_sendrecv_self(name, factory, count, indices, dec):
    dt = factory().Commit()
    src = np.arange(1, N + 1, dtype="i")
    dst = np.zeros(N, dtype="i")
    MPI.COMM_SELF.Sendrecv([src, count, dt], 0, 7, [dst, count, dt], 0, 7)
    free(dt)
    assert np.array_equal(dst, expected(src, indices))


def test_constructors_ring(comm):
    # One test per communicator, every constructor in it: keeps the run
    # short when ranks outnumber cores.
    rank, size, dest, source = ring(comm)
    src = np.arange(N, dtype="i") + 100 * (rank + 1)
    theirs = np.arange(N, dtype="i") + 100 * (source + 1)
    bad = []
    for name, factory, count, indices, _ in CASES:
        dt = factory().Commit()
        dst = np.zeros(N, dtype="i")
        comm.Sendrecv([src, count, dt], dest, 8, [dst, count, dt], source, 8)
        free(dt)
        if not np.array_equal(dst, expected(theirs, indices)):
            bad.append(name)
    assert bad == []


@pytest.mark.parametrize("name,factory,count,indices,dec", CASES, ids=IDS)
def test_decode_envelope_contents(name, factory, count, indices, dec):
    dt = factory()
    combiner, params = dec
    base, cname, got = dt.decode()
    assert cname == combiner
    assert got == params
    assert dt.combiner == getattr(MPI, "COMBINER_" + combiner)
    assert not dt.is_named and not dt.is_predefined
    env = dt.Get_envelope()
    assert len(env) == 5 and env[-1] == dt.combiner
    assert dt.envelope == env
    ints, addrs, counts, types = dt.Get_contents()
    assert (len(ints), len(addrs), len(types)) == (env[0], env[1], env[3])
    assert len(counts) == env[2]
    if combiner == "STRUCT":
        assert base == MPI.DATATYPE_NULL
        assert types == [MPI.INT, MPI.INT]
        again = MPI.Datatype.Create_struct(**got)
    else:
        assert base == MPI.INT and types == [MPI.INT]
        again = getattr(base, "Create_" + combiner.lower())(**got)
    assert again.decode()[1:] == (cname, got)
    assert again.Get_extent() == dt.Get_extent()
    assert again.Get_size() == dt.Get_size()
    free(*[t for t in types if t != MPI.INT])
    free(again, dt)


def test_decode_named():
    base, name, params = MPI.DOUBLE.decode()
    assert base == MPI.DOUBLE and name == "NAMED" and params == {}
    assert MPI.DOUBLE.Get_envelope() == (0, 0, 0, 0, MPI.COMBINER_NAMED)
    assert MPI.DOUBLE.combiner == MPI.COMBINER_NAMED
    assert MPI.DOUBLE.is_named and MPI.DOUBLE.is_predefined
    with pytest.raises(MPI.Exception):
        MPI.DOUBLE.Get_contents()


def test_decode_nested():
    inner = MPI.DOUBLE.Create_vector(2, 1, 3)
    outer = inner.Create_contiguous(4)
    base, name, params = outer.decode()
    assert name == "CONTIGUOUS" and params == {"count": 4}
    assert base.decode()[1:] == ("VECTOR", {"count": 2, "blocklength": 1, "stride": 3})
    assert base.decode()[0] == MPI.DOUBLE
    del base
    free(outer, inner)


def test_decode_large_count():
    """A datatype of more than 2**31-1 elements: MPI-4 libraries build it
    with MPI_Type_contiguous_c and keep the count among the large counts,
    where MPICH refuses the int-count envelope and contents calls; others
    build a struct of a vector and a remainder.  Either way every
    introspection answers, and decode() gives back what rebuilds it."""
    count = 2**31 + 2**21
    big = MPI.BYTE.Create_contiguous(count)
    assert big.size == count
    assert not big.is_named and not big.is_predefined
    ni, na, nc, nd, combiner = big.Get_envelope()
    assert combiner == big.combiner
    ints, addrs, larges, types = big.Get_contents()
    assert (len(ints), len(addrs), len(larges), len(types)) == (ni, na, nc, nd)
    for t in types:
        if not t.is_predefined:
            t.Free()
    base, name, params = big.decode()
    if combiner == MPI.COMBINER_CONTIGUOUS:
        assert nc == 1 and larges == [count]
        assert (base, name, params) == (MPI.BYTE, "CONTIGUOUS", {"count": count})
        dup = big.Dup()
        assert dup.decode()[1] == "DUP" and dup.decode()[0].size == count
        dup.Free()
    else:
        assert name == "STRUCT" and base == MPI.DATATYPE_NULL
        assert sum(t.size for t in params["datatypes"]) == count
    # a resized big type decodes its int-count wrapper and its base
    wide = big.Create_resized(0, 8)
    wbase, wname, wparams = wide.decode()
    assert (wname, wparams) == ("RESIZED", {"lb": 0, "extent": 8})
    assert wbase.size == count
    del wbase
    free(wide, big)


def test_constants():
    assert MPI.ORDER_F == MPI.ORDER_FORTRAN != MPI.ORDER_C
    assert len({MPI.DISTRIBUTE_BLOCK, MPI.DISTRIBUTE_CYCLIC, MPI.DISTRIBUTE_NONE}) == 3
    if ON_MPI_ABI:
        # mpi_abi.h makes it 19, next to DISTRIBUTE_NONE..CYCLIC (16..18)
        assert MPI.DISTRIBUTE_DFLT_DARG == 19
    else:
        assert MPI.DISTRIBUTE_DFLT_DARG < 0
    names = ["NAMED", "DUP", "CONTIGUOUS", "VECTOR", "HVECTOR", "INDEXED", "HINDEXED",
             "INDEXED_BLOCK", "HINDEXED_BLOCK", "STRUCT", "SUBARRAY", "DARRAY",
             "RESIZED", "F90_INTEGER", "F90_REAL", "F90_COMPLEX"]
    values = [getattr(MPI, "COMBINER_" + n) for n in names]
    assert all(isinstance(v, int) for v in values)
    assert len(set(values)) == len(values)


def test_f90_types():
    t = MPI.Datatype.Create_f90_integer(9)
    assert t.Get_size() >= 4
    assert t.combiner == MPI.COMBINER_F90_INTEGER
    assert t.decode()[1:] == ("F90_INTEGER", {"r": 9})
    assert t.is_predefined and not t.is_named
    r = MPI.Datatype.Create_f90_real(6, 30)
    assert r.decode()[1:] == ("F90_REAL", {"p": 6, "r": 30})
    c = MPI.Datatype.Create_f90_complex(6, 30)
    assert c.decode()[1:] == ("F90_COMPLEX", {"p": 6, "r": 30})
    assert c.Get_size() == 2 * r.Get_size()


# ---------------------------------------------------------------------
# Pack and Unpack


def test_pack_unpack_roundtrip():
    comm = MPI.COMM_SELF
    vec = MPI.INT.Create_vector(3, 1, 2).Commit()  # extent 20 bytes: 5 ints
    src = np.arange(10, dtype="i")  # two vector items
    assert vec.Pack_size(2, comm) >= 24
    packed = bytearray(vec.Pack_size(2, comm) + MPI.DOUBLE.Pack_size(1, comm))
    pos = vec.Pack(src, packed, 0, comm)
    assert pos == 24
    pos = MPI.DOUBLE.Pack(np.array([2.5]), packed, pos, comm)
    assert pos == 32
    assert np.array_equal(np.frombuffer(packed[:24], dtype="i"), [0, 2, 4, 5, 7, 9])
    out = np.full(10, -1, dtype="i")
    d = np.zeros(1)
    pos = vec.Unpack(packed, 0, out, comm)
    assert pos == 24
    pos = MPI.DOUBLE.Unpack(packed, pos, d, comm)
    assert pos == 32 and d[0] == 2.5
    assert np.array_equal(out, [0, -1, 2, -1, 4, 5, -1, 7, -1, 9])
    free(vec)


def test_pack_external_roundtrip():
    src = np.arange(6, dtype="i")
    assert MPI.INT.Pack_external_size("external32", 6) == 24
    buf = bytearray(24)
    assert MPI.INT.Pack_external("external32", src, buf, 0) == 24
    assert bytes(buf) == src.astype(">i4").tobytes()
    out = np.zeros(6, dtype="i")
    assert MPI.INT.Unpack_external("external32", buf, 0, out) == 24
    assert np.array_equal(out, src)


def test_pack_external_struct():
    unpadded = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT, MPI.DOUBLE])
    s = unpadded.Create_resized(0, 16).Commit()
    unpadded.Free()
    version = MPI.Get_library_version()
    if "MPICH" in version or "Intel(R) MPI" in version:
        # MPICH 4.0 and 5.0 die sizing this in external32, Intel MPI 2021
        # packs it in native byte order; cmpi refuses instead.
        with pytest.raises(MPI.Exception):
            s.Pack_external_size("external32", 2)
        with pytest.raises(MPI.Exception) as e:
            s.Pack_external("external32", bytearray(32), bytearray(24), 0)
        free(s)
        if IS_CMPI:
            assert "MPI_Pack_external" in str(e.value)
            assert ("MPICH" if "MPICH" in version else "Intel MPI") in str(e.value)
        return
    rec = np.zeros(2, dtype=np.dtype([("a", "i4"), ("b", "f8")], align=True))
    rec["a"], rec["b"] = [1, 2], [0.5, -1.0]
    n = s.Pack_external_size("external32", 2)
    assert n == 24
    buf = bytearray(n)
    assert s.Pack_external("external32", rec, buf, 0) == n
    assert bytes(buf[:12]) == np.array([1], ">i4").tobytes() + np.array([0.5], ">f8").tobytes()
    back = np.zeros_like(rec)
    assert s.Unpack_external("external32", buf, 0, back) == n
    assert np.array_equal(back, rec)
    free(s)


@pytest.mark.skipif(not IS_CMPI, reason="cmpi also takes [buf, count] specs")
def test_pack_message_spec():
    src = np.arange(10, dtype="i")
    buf = bytearray(40)
    assert MPI.INT.Pack([src, 3], buf, 0, MPI.COMM_SELF) == 12
    assert MPI.INT.Pack([src, (2, 4), MPI.INT], buf, 12, MPI.COMM_SELF) == 20
    assert np.array_equal(np.frombuffer(buf[:20], "i"), [0, 1, 2, 4, 5])
    out = np.zeros(10, dtype="i")
    assert MPI.INT.Unpack(buf, 0, [out, 5, 5, "i"], MPI.COMM_SELF) == 20
    assert np.array_equal(out[5:], [0, 1, 2, 4, 5])
    with pytest.raises(TypeError):  # mpi4py's type for a list here
        MPI.INT.Pack([src, 3, MPI.DOUBLE], buf, 0, MPI.COMM_SELF)


# ---------------------------------------------------------------------
# Typecodes

CODES = [("i", MPI.INT, "i", "i4"), ("d", MPI.DOUBLE, "d", "f8"), ("b", MPI.SIGNED_CHAR, "b", "i1"),
         ("B", MPI.UNSIGNED_CHAR, "B", "u1"), ("q", MPI.LONG_LONG, "q", "i8"),
         ("F", MPI.C_FLOAT_COMPLEX, "F", "c8"), ("D", MPI.C_DOUBLE_COMPLEX, "D", "c16"),
         ("i4", MPI.INT32_T, "i", "i4"), ("u8", MPI.UINT64_T, "L", "u8"),
         ("b1", MPI.C_BOOL, "?", "b1"), ("f8", MPI.DOUBLE, "d", "f8"), ("c", MPI.CHAR, "c", "S1"),
         ("p", MPI.AINT, "p", "i8")]


@pytest.mark.parametrize("code,dt,char,tstr", CODES, ids=[c[0] for c in CODES])
def test_typecodes(code, dt, char, tstr):
    assert MPI.Datatype.fromcode(code) == dt
    assert dt.typechar == char
    assert dt.typestr == tstr
    assert MPI.Datatype.fromcode(dt.tocode()) == dt


def test_typecodes_derived_and_bad():
    v = MPI.INT.Create_vector(2, 3, 4)
    assert v.typechar == "V" and v.typestr == "V%d" % v.extent
    with pytest.raises(ValueError):
        v.tocode()
    d = MPI.INT.Dup()
    assert d.tocode() == "i"
    assert MPI.INT_INT.typechar == "V"
    with pytest.raises(ValueError):
        MPI.INT_INT.tocode()
    for bad in ["x", "i9", 5, None]:
        with pytest.raises(ValueError):
            MPI.Datatype.fromcode(bad)
    free(v, d)


# ---------------------------------------------------------------------
# NumPy dtypes (util.dtlib)

PADDED = np.dtype([("a", "i1"), ("b", "f8"), ("c", "i2")], align=True)
PACKED = np.dtype([("a", "i1"), ("b", "f8"), ("c", "i2")])
OFFSETS = np.dtype({"names": ["x", "y"], "formats": ["i4", "f4"], "offsets": [8, 0], "itemsize": 16})
NESTED = np.dtype([("p", [("q", "i2"), ("r", "(3,)f4")]), ("s", "u1"), ("t", "(2,2)f8")])
DTYPES = {"i4": np.dtype("i4"), "f8": np.dtype("f8"), "c16": np.dtype("c16"), "bool": np.dtype("?"),
          "u2": np.dtype("u2"), "sub": np.dtype("(2,3)i4"), "padded": PADDED, "packed": PACKED,
          "offsets": OFFSETS, "nested": NESTED}


def sample(dtype, n, seed):
    """(raw bytes, the same memory as `dtype`): NumPy will not export a
    buffer of a dtype whose fields are out of order, so messages use the
    raw bytes."""
    raw = ((np.arange(n * dtype.itemsize) * 7 + seed) % 251).astype(np.uint8)
    if dtype.kind == "b":
        raw %= 2
    if dtype.subdtype is not None:  # a view cannot have a subarray dtype
        return raw, raw.view(dtype.subdtype[0]).reshape((n,) + dtype.shape)
    return raw, raw.view(dtype)


def normalized(arr):
    # Padding bytes are not part of the MPI datatype: compare fields only.
    if arr.dtype.names is None:
        return arr.tolist()
    return [normalized(arr[name]) for name in arr.dtype.names]


@pytest.mark.parametrize("key", list(DTYPES))
def test_dtlib_sendrecv_self(key):
    dtype = DTYPES[key]
    dt = from_numpy_dtype(dtype).Commit()
    assert dt.extent == dtype.itemsize  # type: ignore[attr-defined]
    raw, src = sample(dtype, 5, 3)
    rdst = np.zeros_like(raw)
    MPI.COMM_SELF.Sendrecv([raw, 5, dt], 0, 9, [rdst, 5, dt], 0, 9)
    dst = rdst.view(src.dtype).reshape(src.shape)
    back = to_numpy_dtype(dt)
    free(dt)
    assert normalized(dst) == normalized(src)
    assert back.itemsize == dtype.itemsize  # type: ignore[attr-defined]
    if dtype.names:  # type: ignore[attr-defined]
        assert [back.fields[n][1] for n in back.names] == [dtype.fields[n][1] for n in dtype.names]  # type: ignore[attr-defined]


def test_dtlib_ring(comm):
    rank, size, dest, source = ring(comm)
    bad = []
    for key in ["padded", "nested", "offsets"]:
        dtype = DTYPES[key]
        dt = from_numpy_dtype(dtype).Commit()
        raw, src = sample(dtype, 4, rank)
        rdst = np.zeros_like(raw)
        comm.Sendrecv([raw, 4, dt], dest, 10, [rdst, 4, dt], source, 10)
        free(dt)
        if normalized(rdst.view(dtype)) != normalized(sample(dtype, 4, source)[1]):
            bad.append(key)
    assert bad == []


def test_dtlib_to_numpy():
    assert to_numpy_dtype(MPI.INT) == np.dtype("i4")
    assert to_numpy_dtype(MPI.DOUBLE) == np.dtype("f8")
    assert to_numpy_dtype(MPI.C_DOUBLE_COMPLEX) == np.dtype("c16")
    di = to_numpy_dtype(MPI.DOUBLE_INT)
    assert di.itemsize == MPI.DOUBLE_INT.extent and di.fields["f1"][1] == 8
    c = MPI.DOUBLE.Create_contiguous(3)
    assert to_numpy_dtype(c) == np.dtype(("f8", (3,)))
    v = MPI.INT.Create_vector(2, 2, 3)
    nv = to_numpy_dtype(v)
    assert nv.itemsize == v.extent == 20
    assert [nv.fields[n][1] for n in nv.names] == [0, 12]
    s = MPI.Datatype.Create_struct([1, 2], [0, 8], [MPI.INT, MPI.DOUBLE])
    ns = to_numpy_dtype(s)
    assert ns.itemsize == s.extent
    assert ns.fields["f1"][0] == np.dtype(("f8", (2,))) and ns.fields["f1"][1] == 8
    sub = MPI.INT.Create_subarray([4, 5], [2, 3], [1, 1])
    with pytest.raises(ValueError):
        to_numpy_dtype(sub)
    free(c, v, s, sub)


def test_dtlib_bad():
    with pytest.raises(ValueError):
        from_numpy_dtype(np.dtype(">i4" if np.little_endian else "<i4"))
    with pytest.raises(ValueError):
        from_numpy_dtype(np.dtype("O"))


# ---------------------------------------------------------------------
# Bad input raises, never crashes


def test_uncommitted_send_raises():
    comm = MPI.COMM_SELF
    v = MPI.INT.Create_vector(2, 1, 2)
    buf = np.zeros(8, dtype="i")
    with stray_guard(comm, 11) as guard:
        with pytest.raises(MPI.Exception):
            comm.Send([buf, 1, v], 0, 11)
    assert guard.strays == 0
    with pytest.raises(MPI.Exception):
        comm.Irecv([buf, 1, v], 0, 11)
    with pytest.raises(MPI.Exception):
        v.Pack(buf, bytearray(64), 0, comm)
    free(v)


@pytest.mark.skipif(not IS_CMPI, reason="Open MPI crashes on these in mpi4py")
def test_uncommitted_pack_size_raises():
    v = MPI.INT.Create_vector(2, 1, 2)
    with pytest.raises(MPI.Exception):
        v.Pack_size(1, MPI.COMM_SELF)
    with pytest.raises(MPI.Exception):
        v.Pack_external_size("external32", 1)
    free(v)


@pytest.mark.skipif(not IS_CMPI, reason="Open MPI crashes on these in mpi4py")
def test_uncommitted_in_collectives_raises(comm):
    # Open MPI 4.1 segfaulted in Allgather and Neighbor_allgather given an
    # uncommitted receive type; every rank raises before MPI is called.
    v = MPI.INT.Create_vector(2, 1, 2)
    copy = MPI.Datatype(v)  # as uncommitted as what it copies
    size = comm.Get_size()
    rbuf = np.zeros(4 * size, dtype="i")
    graph = comm.Create_dist_graph_adjacent([comm.Get_rank()], [comm.Get_rank()])
    calls = [
        lambda: comm.Allgather(np.zeros(2, "i"), [rbuf, 1, v]),
        lambda: comm.Gather([np.zeros(4, "i"), 1, copy], [rbuf, 2, MPI.INT], root=0),
        lambda: comm.Bcast([rbuf, 1, v]),
        lambda: comm.Alltoallw([rbuf, [1] * size, [0] * size, [v] * size],
                               [rbuf, [1] * size, [0] * size, [MPI.INT] * size]),
        lambda: graph.Neighbor_allgather(np.zeros(2, "i"), [rbuf, 1, 0, v]),
        lambda: comm.Ibcast([rbuf, 1, copy]),
    ]
    for call in calls:
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() == MPI.ERR_TYPE
        assert "Commit()" in str(info.value)
    copy.Commit()  # commits the one handle: the original passes now
    comm.Allgather(np.full(2, comm.Get_rank(), "i"), [rbuf, 1, v])
    assert rbuf[: 3 * size : 3].tolist() == list(range(size))  # extent: 3 ints
    graph.Free()
    free(v)


def test_bad_constructor_arguments():
    with pytest.raises(MPI.Exception):
        MPI.INT.Create_contiguous(-1)
    with pytest.raises(MPI.Exception):
        MPI.INT.Create_vector(-2, 1, 1)
    with pytest.raises(ValueError):
        MPI.INT.Create_indexed([1, 2], [0])
    with pytest.raises(ValueError):
        MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT])
    with pytest.raises(ValueError):
        MPI.INT.Create_subarray([4], [2, 3], [1])
    with pytest.raises((ValueError, MPI.Exception)):
        MPI.INT.Create_subarray([4], [5], [0])
    with pytest.raises((ValueError, MPI.Exception)):
        MPI.INT.Create_subarray([4], [2], [3])
    with pytest.raises((ValueError, MPI.Exception)):
        MPI.INT.Create_hindexed_block(-1, [0])
    with pytest.raises((ValueError, MPI.Exception)):
        MPI.INT.Create_darray(4, 5, [8], [BLOCK], [DFLT], [4])
    with pytest.raises((ValueError, MPI.Exception)):
        MPI.INT.Create_darray(4, 1, [8], [BLOCK], [DFLT], [3])
    with pytest.raises(TypeError):
        MPI.INT.Create_vector(1, 1)  # type: ignore[call-arg]
    with pytest.raises(MPI.Exception):
        MPI.INT.Free()
    with pytest.raises(MPI.Exception):
        MPI.DATATYPE_NULL.Get_envelope()


def test_bad_pack_arguments():
    comm = MPI.COMM_SELF
    src = np.arange(10, dtype="i")
    with pytest.raises(MPI.Exception):
        MPI.INT.Pack(src, bytearray(100), 90, comm)  # 40 bytes do not fit
    with pytest.raises(MPI.Exception):
        MPI.INT.Unpack(bytearray(10), 0, np.zeros(10, "i"), comm)
    with pytest.raises((TypeError, BufferError)):
        MPI.INT.Pack(src, bytes(100), 0, comm)
    with pytest.raises(TypeError):
        MPI.INT.Pack(src, bytearray(100), 0, None)  # type: ignore[arg-type]
    with pytest.raises(MPI.Exception):
        MPI.INT.Pack_external("external32", src, bytearray(8), 0)


@pytest.mark.skipif(not IS_CMPI, reason="mpi4py leaves these to MPI (or to memory)")
def test_bad_pack_arguments_checked():
    comm = MPI.COMM_SELF
    src = np.arange(10, dtype="i")
    with pytest.raises(ValueError):
        MPI.INT.Pack(src, bytearray(100), -1, comm)
    with pytest.raises(ValueError):
        MPI.INT.Unpack(bytearray(100), 101, np.zeros(2, "i"), comm)
    with pytest.raises(ValueError):
        MPI.INT.Pack_size(-1, comm)
    with pytest.raises(ValueError):
        MPI.INT.Pack_external_size("native", 1)
    r = MPI.INT.Create_resized(0, 1).Commit()  # 40 items of it read 43 bytes
    with pytest.raises(ValueError):
        r.Pack(src.view("u1"), bytearray(200), 0, comm)
    with pytest.raises(ValueError):
        r.Unpack(bytearray(200), 0, np.zeros(40, "u1"), comm)
    free(r)
