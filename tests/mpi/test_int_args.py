# This file passes floats, NumPy scalars and objects with __int__ or
# __index__ where the stubs (like mpi4py's) say int: that is what it tests.
# mypy: disable-error-code="arg-type,list-item"
"""Integer arguments as mpi4py converts them, and the range checks that name
what is wrong.

A lone integer argument (rank, tag, root, count, size, displacement,
offset, keyval, index, color...) takes what mpi4py's Cython code takes: an
int or bool, an object with ``__index__`` (NumPy integer scalars), and an
object with ``__int__`` whose value is integral (``size / 2``, NumPy
floats, Fraction).  mpi4py truncates a fractional value; cmpi raises
ValueError naming the argument and its value (README, differences from
mpi4py), checked only under cmpi.  Items of integer sequences (ranks of
Group.Incl, dims of Create_cart) and the integers of message
specifications take ``__index__`` only, in both.

Out-of-range ranks, roots and tags raise MPI.Exception with mpi4py's error
class; under cmpi, with the message cmpi documents (``invalid rank:
dest=5, the communicator has 1 rank``), so that removing cmpi's own check
fails here even though MPI's bare error would carry the same class.
"""

import decimal
import fractions
import os
import tempfile
from typing import Any, Callable

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI


class IntOnly:
    """An object with __int__ only, no arithmetic (mpi4py converts it; so
    does cmpi, which cannot tell a fractional part here)."""

    def __init__(self, v):
        self.v = v

    def __int__(self):
        return self.v


class IndexOnly:
    """An object with __index__ only."""

    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


def as_bool(v):
    """bool for 0 and 1 (mpi4py takes it: bool is an int), else the int."""
    return bool(v) if v in (0, 1) else v


#: Every form of an integer `v` that a lone integer argument takes.
KINDS: list[tuple[str, Callable[[int], Any]]] = [
    ("int", int), ("int32", np.int32), ("int64", np.int64),
    ("intp", np.intp), ("float", float), ("float64", np.float64),
    ("float32", np.float32), ("__int__", IntOnly), ("bool", as_bool)]
#: Fraction has __int__ from Python 3.11; before, both bindings refuse it
FRACTION_HAS_INT = hasattr(fractions.Fraction, "__int__")
if FRACTION_HAS_INT:
    KINDS.append(("Fraction", fractions.Fraction))
if IS_CMPI:
    # mpi4py's Cython converts a lone int argument with __int__ only; cmpi
    # takes __index__ too, as Python's own integer APIs do
    KINDS.append(("__index__", IndexOnly))
CONVS = [conv for _, conv in KINDS]
IDS = [name for name, _ in KINDS]


def as_kinds(v):
    return [conv(v) for conv in CONVS]


def plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


def raises_fraction(name, value, call):
    """Under cmpi, `call` raises ValueError 'name=value is not an integer'."""
    if not IS_CMPI:
        return
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == f"{name}={value!r} is not an integer"


def ring(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    return rank, size, (rank + 1) % size, (rank - 1) % size


# ---------------------------------------------------------------- p2p


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_p2p_buf_kinds(conv):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    tag = conv(1)
    tagv = int(tag)
    sbuf = np.arange(4, dtype="i") + rank
    rbuf = np.zeros(4, dtype="i")
    req = comm.Isend(sbuf, conv(dest), tag)
    comm.Recv(rbuf, source=conv(source), tag=tag)
    req.Wait()
    assert rbuf.tolist() == (np.arange(4) + source).tolist()
    rbuf[:] = 0
    comm.Sendrecv(sbuf, dest=conv(dest), sendtag=tagv,
                  recvbuf=rbuf, source=conv(source), recvtag=tag)
    assert rbuf.tolist() == (np.arange(4) + source).tolist()


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_p2p_obj_kinds(conv):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    req = comm.isend(("x", rank), conv(dest), tag=conv(1))
    got = comm.recv(source=conv(source), tag=conv(1))
    req.wait()
    assert got == ("x", source)
    got = comm.sendrecv(rank, dest=conv(dest), source=conv(source))
    assert got == source


def test_p2p_size_over_2():
    # the case that started it: a rank computed with true division
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    peer = (rank + size / 2) % size  # a float; integral at even sizes
    if size % 2:
        peer = float(rank)
    n = np.zeros(1, dtype="i")
    got = comm.sendrecv(rank, dest=peer, source=peer)
    assert got == int(peer)
    comm.Sendrecv(np.array([rank], dtype="i"), peer, 0, n, peer, 0)
    assert n[0] == int(peer)


def test_p2p_fractional():
    comm = MPI.COMM_WORLD
    buf = np.zeros(1, dtype="i")
    raises_fraction("dest", 0.5, lambda: comm.Send(buf, 0.5))
    raises_fraction("dest", np.float64(0.5), lambda: comm.Isend(buf, np.float64(0.5)))
    raises_fraction("tag", 1.5, lambda: comm.send(None, dest=MPI.PROC_NULL, tag=1.5))
    raises_fraction("source", 2.5, lambda: comm.Recv(buf, source=2.5))
    raises_fraction("tag", 0.25, lambda: comm.Irecv(buf, MPI.PROC_NULL, tag=0.25))
    if FRACTION_HAS_INT:
        raises_fraction("source", fractions.Fraction(1, 2),
                        lambda: comm.Probe(source=fractions.Fraction(1, 2)))
    else:
        with pytest.raises(TypeError):
            comm.Probe(source=fractions.Fraction(0))
    raises_fraction("dest", -0.5, lambda: comm.Ssend(buf, dest=-0.5))
    if IS_CMPI:
        with pytest.raises(ValueError, match=r"^dest=nan is not an integer$"):
            comm.Send(buf, float("nan"))
        with pytest.raises(OverflowError, match=r"^dest=inf is not an integer$"):
            comm.send(None, float("inf"))
    else:  # mpi4py: Python's own int(float) errors
        with pytest.raises(ValueError):
            comm.Send(buf, float("nan"))
        with pytest.raises(OverflowError):
            comm.send(None, float("inf"))


def test_message_spec_integers_take_index_only():
    # a 0-d NumPy float array has __index__'s slot but refuses it: a count
    # or displacement of a message spec is then a TypeError, in both
    # (mpi4py's testCountNumPyZeroDim), where a lone argument converts it
    comm = MPI.COMM_SELF
    sbuf, rbuf = bytearray(b"xabc"), bytearray(3)
    comm.Alltoallv([sbuf, (3, [np.array(1)])], [rbuf, np.array(3)])
    assert rbuf == sbuf[1:]
    with pytest.raises(TypeError):
        comm.Alltoallv([sbuf, (3, [np.array(1.0)])], [rbuf, np.array(3)])
    with pytest.raises(TypeError):
        comm.Alltoallv([sbuf, (3, [np.array(1)])], [rbuf, np.array(3.0)])


def test_other_numbers():
    # 0-d NumPy arrays and Decimal convert as mpi4py converts them; their
    # fractional values are cmpi's ValueError, found by subtraction
    comm = MPI.COMM_WORLD
    for v in (np.array(0), np.array(0.0), np.array(0, dtype="f4"), decimal.Decimal(0),
              np.longdouble(0.0)):
        comm.send(None, dest=MPI.PROC_NULL, tag=v)
        assert comm.Split(v, v).Get_size() == comm.Get_size()
    fractional: list[Any] = [np.array(0.5), np.float32(0.5), decimal.Decimal("0.5"),
                             np.longdouble(0.5)]
    for f in fractional:
        raises_fraction("tag", f, lambda: comm.send(None, dest=MPI.PROC_NULL, tag=f))
    try:  # older NumPy converts a 1-element array (deprecated), newer refuses
        int(np.array([0]))
    except TypeError:
        with pytest.raises(TypeError):
            comm.send(None, dest=MPI.PROC_NULL, tag=np.array([0]))
    else:
        comm.send(None, dest=MPI.PROC_NULL, tag=np.array([0]))
    with pytest.raises(ValueError):
        comm.send(None, dest=MPI.PROC_NULL, tag=decimal.Decimal("NaN"))


@pytest.mark.parametrize("bad", ["1", None, b"1", 1j, [1]])
def test_p2p_not_integers(bad):
    comm = MPI.COMM_WORLD
    buf = np.zeros(1, dtype="i")
    with pytest.raises(TypeError):
        comm.Send(buf, bad)
    with pytest.raises(TypeError):
        comm.send(None, dest=MPI.PROC_NULL, tag=bad)
    with pytest.raises(TypeError):
        comm.Recv(buf, MPI.PROC_NULL, tag=bad)


def test_p2p_too_large():
    comm = MPI.COMM_WORLD
    buf = np.zeros(1, dtype="i")
    for big in (2**31, 2**40, -2**31 - 1, 2**70, float(2**40)):
        with pytest.raises(OverflowError):
            comm.Send(buf, big)
        with pytest.raises(OverflowError):
            comm.send(None, dest=MPI.PROC_NULL, tag=big)


# ---------------------------------------------------------------- collectives


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_coll_root_kinds(conv):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    root = size - 1
    r = conv(root)
    assert comm.bcast(rank if rank == root else None, root=r) == root
    buf = np.array([rank], dtype="i")
    comm.Bcast(buf, r)
    assert buf[0] == root
    out = np.zeros(1, dtype="i") if rank == root else None
    comm.Reduce(np.array([1], dtype="i"), out, op=MPI.SUM, root=r)
    if out is not None:
        assert out[0] == size
    got = comm.gather(rank, root=r)
    assert got == (list(range(size)) if rank == root else None)
    assert comm.scatter(list(range(size)) if rank == root else None, r) == rank


def test_coll_root_size_over_2():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    root = size / 2 if size % 2 == 0 else (size - 1) / 2
    assert comm.bcast("hi" if comm.rank == int(root) else None, root=root) == "hi"


def test_coll_root_fractional():
    comm = MPI.COMM_WORLD
    raises_fraction("root", 0.5, lambda: comm.bcast(None, root=0.5))
    raises_fraction("root", np.float64(0.5), lambda: comm.Bcast(np.zeros(1), np.float64(0.5)))
    raises_fraction("root", 0.5, lambda: comm.gather(None, root=0.5))
    raises_fraction("root", 0.5, lambda: comm.Reduce(np.zeros(1), np.zeros(1), root=0.5))
    comm.Barrier()


# ---------------------------------------------------------------- range checks


def check_error(call, err_class, message):
    """`call` raises MPI.Exception of `err_class`; under cmpi, `message`
    opens its text (cmpi's own check, before MPI sees the argument)."""
    with pytest.raises(MPI.Exception) as info:
        call()
    assert info.value.Get_error_class() == err_class, str(info.value)
    if IS_CMPI:
        assert str(info.value).startswith(message), str(info.value)


def test_range_dest_source():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    buf = np.zeros(1, dtype="i")
    has = f"the communicator has {plural(size, 'rank')}"
    for bad in (size, size + 3, -7):
        check_error(lambda: comm.Send(buf, bad), MPI.ERR_RANK,
                    f"invalid rank: dest={bad}, {has}")
        check_error(lambda: comm.send(None, dest=float(bad)), MPI.ERR_RANK,
                    f"invalid rank: dest={bad}, {has}")
        check_error(lambda: comm.Recv(buf, source=bad), MPI.ERR_RANK,
                    f"invalid rank: source={bad}, {has}")
        check_error(lambda: comm.recv(None, np.int64(bad)), MPI.ERR_RANK,
                    f"invalid rank: source={bad}, {has}")
    comm.Barrier()


def test_range_tags():
    comm = MPI.COMM_WORLD
    buf = np.zeros(1, dtype="i")
    tag_ub = int(comm.Get_attr(MPI.TAG_UB))
    for bad in (-5, MPI.ANY_TAG):
        check_error(lambda: comm.Send(buf, MPI.PROC_NULL, bad), MPI.ERR_TAG,
                    f"invalid tag: tag={bad}, a send tag must be in 0..{tag_ub}")
        check_error(lambda: comm.send(None, MPI.PROC_NULL, tag=float(bad)), MPI.ERR_TAG,
                    f"invalid tag: tag={bad}, a send tag must be in 0..{tag_ub}")
    check_error(lambda: comm.Recv(buf, MPI.PROC_NULL, -5), MPI.ERR_TAG,
                f"invalid tag: tag=-5, a receive tag must be ANY_TAG or in 0..{tag_ub}")
    rbuf = np.zeros(1, dtype="i")
    check_error(lambda: comm.Sendrecv(buf, MPI.PROC_NULL, sendtag=-5, recvbuf=rbuf,
                                      source=MPI.PROC_NULL), MPI.ERR_TAG,
                f"invalid tag: sendtag=-5, a send tag must be in 0..{tag_ub}")
    check_error(lambda: comm.Sendrecv(buf, MPI.PROC_NULL, recvbuf=rbuf,
                                      source=MPI.PROC_NULL, recvtag=-5), MPI.ERR_TAG,
                "invalid tag: recvtag=-5, a receive tag must be ANY_TAG")
    check_error(lambda: comm.sendrecv(None, MPI.PROC_NULL, sendtag=-5,
                                      source=MPI.PROC_NULL), MPI.ERR_TAG,
                "invalid tag: sendtag=-5, a send tag")
    check_error(lambda: comm.Sendrecv_replace(buf, MPI.PROC_NULL, source=MPI.PROC_NULL,
                                              recvtag=-5), MPI.ERR_TAG,
                "invalid tag: recvtag=-5, a receive tag")
    if tag_ub < 2**31 - 1:
        check_error(lambda: comm.Send(buf, MPI.PROC_NULL, tag_ub + 1), MPI.ERR_TAG,
                    f"invalid tag: tag={tag_ub + 1}, a send tag must be in 0..{tag_ub}")
    comm.Barrier()


def test_range_root():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    has = f"the communicator has {plural(size, 'rank')}"
    for bad in (size, -1, float(size + 1)):
        b = int(bad)
        check_error(lambda: comm.bcast(None, root=bad), MPI.ERR_ROOT,
                    f"invalid root: root={b}, {has}")
        check_error(lambda: comm.Bcast(np.zeros(1), bad), MPI.ERR_ROOT,
                    f"invalid root: root={b}, {has}")
    comm.Barrier()


# ---------------------------------------------------------------- Win


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_win_kinds(conv):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    # 64 bytes: MPICH 4.0 misplaces a Put into an 8-byte Allocate window
    # with disp_unit 1 (seen with plain ints too; not an argument issue)
    win = MPI.Win.Allocate(conv(64), disp_unit=conv(1), comm=comm)
    try:
        win.Lock(conv(dest))
        win.Put(np.array([rank + 1], dtype="i"), conv(dest), target=4)
        win.Unlock(conv(dest))
        comm.Barrier()
        # read back through RMA (MPICH's separate memory model makes a
        # plain load of the local window a race)
        got, res = np.zeros(1, dtype="i"), np.zeros(1, dtype="i")
        win.Lock(dest, MPI.LOCK_SHARED)
        win.Get(got, conv(dest), target=4)
        win.Fetch_and_op(np.array([0], dtype="i"), res, conv(dest),
                         target_disp=conv(4), op=MPI.NO_OP)
        win.Unlock(dest)
        assert got[0] == rank + 1 and res[0] == rank + 1
        comm.Barrier()
    finally:
        win.Free()


def test_win_fractional_and_range():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    raises_fraction("size", 8.5, lambda: MPI.Win.Allocate(8.5, comm=MPI.COMM_SELF))
    win = MPI.Win.Allocate(8, comm=comm)
    try:
        buf = np.zeros(1, dtype="i")
        raises_fraction("target_rank", 0.5, lambda: win.Put(buf, 0.5))
        check_error(lambda: win.Put(buf, size), MPI.ERR_RANK,
                    f"invalid rank: target_rank={size}")
        with pytest.raises(TypeError):
            win.Put(buf, 0, target=(0, 1.0, MPI.INT))  # __index__ only, as mpi4py
    finally:
        win.Free()


# ---------------------------------------------------------------- File


def test_file_offsets():
    fd, path = tempfile.mkstemp(prefix="cmpi-intargs-")
    os.close(fd)
    f = MPI.File.Open(MPI.COMM_SELF, path, MPI.MODE_RDWR | MPI.MODE_DELETE_ON_CLOSE)
    try:
        f.Write_at(0, np.arange(4, dtype="i"))
        for off in as_kinds(4):
            out = np.zeros(1, dtype="i")
            f.Read_at(off, out)
            assert out[0] == 1
            f.Seek(off)
            assert f.Get_position() == 4
        f.Set_size(12.0)
        assert f.Get_size() == 12
        raises_fraction("offset", 4.5, lambda: f.Read_at(4.5, np.zeros(1, dtype="i")))
        raises_fraction("offset", 1.5, lambda: f.Seek(1.5))
        raises_fraction("size", 2.5, lambda: f.Set_size(2.5))
        with pytest.raises(TypeError):
            f.Seek("4")
    finally:
        f.Close()
        if os.path.exists(path):
            os.unlink(path)


# ---------------------------------------------------------------- Group, Comm


def test_group_items_index_only():
    comm = MPI.COMM_WORLD
    group = comm.Get_group()
    try:
        for r in (0, np.int64(0), False, IndexOnly(0)):
            sub = group.Incl([r])
            assert sub.Get_size() == 1
            sub.Free()
        for bad in (0.0, np.float64(0.0), IntOnly(0), "0", None):
            with pytest.raises(TypeError):
                group.Incl([bad])
        size = group.Get_size()
        check_error(lambda: group.Incl([size]), MPI.ERR_RANK,
                    f"invalid rank: ranks[0]={size}")
    finally:
        group.Free()


@pytest.mark.parametrize("conv", CONVS, ids=IDS)
def test_comm_split_kinds(conv):
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    color = conv(rank % 2)
    new = comm.Split(color, conv(0))
    try:
        assert new.Get_size() == len(range(rank % 2, comm.Get_size(), 2))
    finally:
        new.Free()
    raises_fraction("color", 0.5, lambda: comm.Split(0.5, 0))
    comm.Barrier()


# ---------------------------------------------------------------- topology


def test_cart_kinds():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    cart = comm.Create_cart([size], periods=[True])
    try:
        for conv in CONVS:
            d, disp = conv(0), conv(1)
            assert cart.Shift(d, disp) == cart.Shift(0, 1)
            assert cart.Get_coords(conv(0)) == [0]
        raises_fraction("direction", 0.5, lambda: cart.Shift(0.5, 1))
        for bad in (float(size), np.float64(size), IntOnly(size)):
            with pytest.raises(TypeError):  # dims items: __index__ only
                comm.Create_cart([bad])
    finally:
        cart.Free()
    assert MPI.Compute_dims(float(size), 1) == [size]
    assert MPI.Compute_dims(size, np.int64(1)) == [size]
    raises_fraction("nnodes", 1.5, lambda: MPI.Compute_dims(1.5, 1))


# ---------------------------------------------------------------- Info, keyval


def test_info_keyval_kinds():
    comm = MPI.COMM_WORLD
    info = MPI.Info.Create()
    try:
        info["a"] = "1"
        for n in as_kinds(0):
            assert info.Get_nthkey(n) == "a"
        raises_fraction("n", 0.5, lambda: info.Get_nthkey(0.5))
    finally:
        info.Free()
    tag_ub = comm.Get_attr(MPI.TAG_UB)
    for kv in (float(MPI.TAG_UB), np.int64(MPI.TAG_UB), IntOnly(MPI.TAG_UB)):
        assert comm.Get_attr(kv) == tag_ub
    raises_fraction("keyval", MPI.TAG_UB + 0.5, lambda: comm.Get_attr(MPI.TAG_UB + 0.5))


# ---------------------------------------------------------------- Datatype,
# memory, Status, pack


def test_datatype_kinds():
    for conv in CONVS:
        n = conv(3)
        t = MPI.INT.Create_contiguous(n)
        assert t.Get_size() == 12
        t.Free()
        t = MPI.INT.Create_vector(n, conv(1), 2)
        assert t.Get_size() == 12
        t.Free()
        t = MPI.INT.Create_hvector(2, 1, conv(8))
        assert t.Get_extent() == (0, 12)
        t.Free()
        t = MPI.INT.Create_resized(conv(0), conv(8))
        assert t.Get_extent() == (0, 8)
        t.Free()
    t = MPI.Datatype.Create_struct([1], [np.int64(4)], [MPI.INT])
    assert t.Get_extent() == (4, 4)
    t.Free()
    with pytest.raises(TypeError):  # displacements: __index__ only, as mpi4py
        MPI.Datatype.Create_struct([1], [4.0], [MPI.INT])
    raises_fraction("count", 2.5, lambda: MPI.INT.Create_contiguous(2.5))
    raises_fraction("stride", 0.5, lambda: MPI.INT.Create_hvector(2, 1, 0.5))
    raises_fraction("extent", 4.5, lambda: MPI.INT.Create_resized(0, 4.5))


def test_memory_status_pack_kinds():
    for n in as_kinds(8):
        assert len(MPI.buffer.allocate(n)) == 8
        assert MPI.Aint_add(n, 2) == 10
    raises_fraction("nbytes", 8.5, lambda: MPI.buffer.allocate(8.5))
    raises_fraction("disp", 0.5, lambda: MPI.Aint_add(8, 0.5))
    st = MPI.Status()
    for n in as_kinds(3):
        st.Set_elements(MPI.BYTE, n)
        assert st.Get_elements(MPI.BYTE) == 3
    raises_fraction("count", 1.5, lambda: st.Set_elements(MPI.BYTE, 1.5))
    out = bytearray(8)
    for pos in as_kinds(4):
        assert MPI.BYTE.Pack(bytearray(b"x"), out, pos, MPI.COMM_SELF) == 5
    raises_fraction("position", 0.5,
                    lambda: MPI.BYTE.Pack(bytearray(b"x"), out, 0.5, MPI.COMM_SELF))
    b = MPI.buffer(bytearray(2))
    b[0] = 7.0
    b[1] = np.int64(9)
    assert bytes(b) == b"\x07\x09"
    raises_fraction("byte value", 7.5, lambda: b.__setitem__(0, 7.5))


def test_message_spec_index_only():
    # counts and displacements inside a message take __index__ only, as
    # mpi4py (which does not parse a message for PROC_NULL: send to self)
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    buf, rbuf = bytearray(b"abcd"), bytearray(4)
    comm.Sendrecv([buf, np.int64(4), MPI.BYTE], rank, 0,
                  [rbuf, IndexOnly(4), MPI.BYTE], rank, 0)
    assert rbuf == buf
    for bad in (4.0, np.float64(4.0), IntOnly(4), "4"):
        with pytest.raises(TypeError):
            comm.Isend([buf, bad, MPI.BYTE], rank, 0)
