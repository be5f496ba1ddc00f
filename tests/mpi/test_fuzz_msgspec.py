"""Property-based fuzzing (hypothesis) of buffer message specs and derived
datatypes: random buffers (bytes, bytearray, array.array, NumPy arrays of
random dtypes, shapes and layouts, non-contiguous ones included), random
specs ``buf``, ``[buf, dt]``, ``[buf, count]``, ``[buf, count, dt]``,
``[buf, (count, displ), dt]``, ``[buf, count, displ, dt]`` and vector specs
``[buf, counts, displs, dt]``, random derived datatype trees.

Every case either round-trips exactly, as an independent model of the
spec predicts, or raises TypeError/ValueError/BufferError/KeyError/
MPI.Exception; the model also says which cases must raise (a count or a
datatype reaching outside the buffer, a too-small receive buffer).

The cases run on COMM_SELF, each rank its own seed and its share of the
cases, so a case that raises on one rank can never leave another waiting.
Receives are posted after the matching send (Open MPI 4.1's self transport
truncates a too-long message silently when the receive was posted first).
"""

from array import array

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import fuzzcount
from mpiimpl import IS_CMPI, MPI

RANK = fuzzcount.RANK
OPEN_MPI = "Open MPI" in MPI.Get_library_version()
INTEL_MPI = "Intel(R) MPI" in MPI.Get_library_version()
CLEAR = (TypeError, ValueError, BufferError, KeyError, OverflowError, MPI.Exception)
TAG = 91


def fuzz_settings(n):
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# -- buffers -------------------------------------------------------------------

NP_DTYPES = ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8", "c8", "c16"]
ARRAY_CODES = ["b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d"]


@st.composite
def buffers(draw):
    """(buffer object, raw bytes in memory order or None if the buffer is
    not contiguous, writable)."""
    kind = draw(st.sampled_from(["bytes", "bytearray", "array", "numpy", "numpy", "numpy"]))
    if kind in ("bytes", "bytearray"):
        data = draw(st.binary(max_size=64))
        obj = bytes(data) if kind == "bytes" else bytearray(data)
        return obj, bytes(data)
    if kind == "array":
        code = draw(st.sampled_from(ARRAY_CODES))
        n = draw(st.integers(0, 16))
        raw = draw(st.binary(min_size=n * array(code).itemsize, max_size=n * array(code).itemsize))
        obj = array(code)  # type: ignore[assignment]
        obj.frombytes(raw)  # type: ignore[union-attr]
        return obj, raw
    dtype = np.dtype(draw(st.sampled_from(NP_DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=0, max_size=3)))
    n = int(np.prod(shape)) if shape else 1
    raw = draw(st.binary(min_size=n * dtype.itemsize, max_size=n * dtype.itemsize))
    arr = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    layout = draw(st.sampled_from(["C", "C", "F", "T", "step"]))
    if layout == "F":
        arr = np.asfortranarray(arr)
    elif layout == "T":
        arr = arr.T
    elif layout == "step" and arr.ndim >= 1:
        arr = arr[::2]
    if arr.flags.c_contiguous or arr.flags.f_contiguous:
        mem = arr.tobytes(order="A" if not arr.flags.c_contiguous else "C")
    else:
        mem = None
    return arr, mem


# -- datatypes with a model of their type map ------------------------------------

BASES = [("BYTE", 1), ("SHORT", 2), ("INT", 4), ("DOUBLE", 8), ("C_DOUBLE_COMPLEX", 16)]


@st.composite
def datatypes(draw):
    """(recipe, extent, [(offset, length)] chunks of one element); the
    recipe builds the MPI datatype: predefined, a typecode string,
    contiguous, vector (stride possibly 0 or negative), resized (extent
    possibly smaller than the data, zero or negative), hindexed (possibly at
    a negative displacement)."""
    name, size = draw(st.sampled_from(BASES))
    kind = draw(st.sampled_from(["named", "named", "code", "contiguous", "vector", "resized", "hindexed"]))
    if kind == "named":
        return ("named", name), size, [(0, size)]
    if kind == "code":
        code = {"BYTE": "B", "SHORT": "h", "INT": "i", "DOUBLE": "d", "C_DOUBLE_COMPLEX": "D"}[name]
        return ("code", code), size, [(0, size)]
    if kind == "contiguous":
        k = draw(st.integers(0, 4))
        return ("contiguous", name, k), k * size, [(i * size, size) for i in range(k)]
    if kind == "vector":
        # Open MPI 4.1 lays out a vector with a negative stride as if the
        # stride were positive (its library bug, not cmpi's): no negative
        # strides there.
        stride = draw(st.integers(0 if OPEN_MPI else -2, 4))
        # two blocks of one element, ``stride`` elements apart
        offs = sorted([0, stride * size])
        lb, ub = offs[0], offs[1] + size
        return ("vector", name, stride), ub - lb, [(0, size), (stride * size, size)]
    if kind == "resized":
        ext = draw(st.integers(-16, 24))
        return ("resized", name, ext), ext, [(0, size)]
    # one block at a byte displacement: lb = disp, extent = size
    disp = draw(st.integers(-8, 16))
    return ("hindexed", name, disp), size, [(disp, size)]


def build(recipe):
    """(datatype or typecode string, needs Free)."""
    if recipe[0] == "named":
        return getattr(MPI, recipe[1]), False
    if recipe[0] == "code":
        return recipe[1], False
    base = getattr(MPI, recipe[1])
    if recipe[0] == "contiguous":
        dt = base.Create_contiguous(recipe[2])
    elif recipe[0] == "vector":
        dt = base.Create_vector(2, 1, recipe[2])
    elif recipe[0] == "resized":
        dt = base.Create_resized(0, recipe[2])
    else:
        dt = base.Create_hindexed([1], [recipe[2]])
    return dt.Commit(), True


# -- the model -----------------------------------------------------------------


class MustRaise(Exception):
    pass


class EitherWay(Exception):
    """A case whose outcome the model does not predict: any clear
    exception or any success is fine (it must still not crash)."""


def touched(extent, chunks, displ, count):
    """Byte ranges (start, stop), in message order, that ``count`` elements
    starting ``displ`` elements in touch."""
    out = []
    for i in range(count):
        base = (displ + i) * extent
        for off, ln in chunks:
            if ln:
                out.append((base + off, base + off + ln))
    return out


def model(mem, nbytes, itemsize, form, extent, chunks, count, displ):
    """Expected message bytes for a send spec, or MustRaise.  ``mem`` is the
    buffer's bytes (None: not contiguous)."""
    if mem is None:
        raise MustRaise("not contiguous")
    if count is not None and (count < 0) or displ < 0:
        raise MustRaise("negative")
    if extent is None:  # inferred from the buffer's format
        extent = itemsize
    if extent < 0 and (count is None or displ != 0):
        # as in mpi4py: no count follows from the length, and no
        # displacement names a place in the buffer
        raise MustRaise("negative extent")
    if count is None:
        if extent <= 0:
            count = 0
        else:
            if nbytes % extent or displ > nbytes // extent:
                raise MustRaise("no whole number of elements")
            count = nbytes // extent - displ
    if count > 10**6:
        if any(ln for _, ln in chunks):
            raise MustRaise("count far beyond the buffer")
        raise EitherWay("zero-size datatype, huge count")
    ranges = touched(extent, chunks, displ, count)
    if ranges:
        lo = min(a for a, b in ranges)
        hi = max(b for a, b in ranges)
        if lo < 0 or hi > nbytes:
            raise MustRaise("outside the buffer")
    elif extent > 0 and displ + count > nbytes // extent:
        raise MustRaise("displacement past the end")
    return b"".join(mem[a:b] for a, b in ranges), ranges


def make_spec(buf, form, dt, count, displ):
    if form == "buf":
        return buf
    if form == "buf-dt":
        return [buf, dt]
    if form == "buf-count":
        return [buf, count]
    if form == "buf-count-dt":
        return (buf, count, dt)
    if form == "buf-(count,displ)-dt":
        return [buf, (count, displ), dt]
    return [buf, count, displ, dt]


FORMS = ["buf", "buf-dt", "buf-count", "buf-count-dt", "buf-(count,displ)-dt", "buf-count-displ-dt"]


def drain(comm):
    status = MPI.Status()
    n = 0
    while comm.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status):
        comm.Recv([bytearray(status.Get_count(MPI.BYTE)), MPI.BYTE], status.Get_source(), status.Get_tag())
        n += 1
    return n


def itemsize_of(buf):
    if isinstance(buf, (bytes, bytearray)):
        return 1
    return buf.itemsize


def case_p2p(bufinfo, form, dtinfo, count, displ, rslack, rdispl, use_sendrecv):
    """Send a random spec to self; receive into a byte buffer.  Returns a
    string describing a wrong outcome, or None."""
    comm = MPI.COMM_SELF
    buf, mem = bufinfo
    recipe, extent, chunks = dtinfo
    if form in ("buf", "buf-count"):
        recipe, extent, chunks = None, None, [(0, itemsize_of(buf))]
    nbytes = len(mem) if mem is not None else buf.nbytes
    if form in ("buf", "buf-dt"):
        count_arg, displ_arg = None, 0
    elif form in ("buf-count", "buf-count-dt"):
        count_arg, displ_arg = count, 0
    else:
        count_arg, displ_arg = count, displ
    if count_arg is not None and count_arg > 10**6 and extent is not None and extent <= 0:
        # Elements stacked on one spot: a valid spec for a message of
        # terabytes, which MPI would really try to send.
        return None
    either = False
    try:
        expect, ranges = model(mem, nbytes, itemsize_of(buf), form, extent, chunks, count_arg, displ_arg)
        must_raise = None
    except MustRaise as e:
        expect, must_raise = None, str(e)
    except EitherWay:
        expect, must_raise, either = None, None, True
    dt, free = build(recipe) if recipe is not None else (None, False)
    try:
        spec = make_spec(buf, form, dt, count_arg, displ_arg)
        rcap = max(0, (len(expect) if expect is not None else 16) + rslack)
        rbuf = np.full(rdispl + rcap, 0xEE, dtype="u1")
        rspec = [rbuf, (rcap, rdispl), MPI.BYTE]
        status = MPI.Status()
        try:
            if use_sendrecv and rslack >= 0:
                comm.Sendrecv(spec, 0, TAG, rspec, 0, TAG, status)
            else:
                req = comm.Isend(spec, 0, TAG)
                try:
                    comm.Recv(rspec, 0, TAG, status)
                except CLEAR:
                    # MPICH completes a send to self only once it is
                    # received: receive it before waiting
                    drain(comm)
                    req.Wait()
                    raise
                req.Wait()
        except CLEAR as exc:
            drain(comm)
            if must_raise is not None or either:
                return None
            if len(expect) > rcap and isinstance(exc, MPI.Exception):
                return None  # truncation reported
            return f"unexpected {type(exc).__name__}: {exc}"
        strays = drain(comm)
        if either:
            return None
        if must_raise is not None:
            if not IS_CMPI and must_raise != "not contiguous":
                return None  # mpi4py does not check bounds
            return f"accepted a spec that must raise ({must_raise})"
        if strays:
            return f"{strays} stray messages"
        if len(expect) > rcap:
            return f"silent truncation: {len(expect)} bytes into {rcap}"
        got = rbuf.tobytes()
        want = b"\xee" * rdispl + expect + b"\xee" * (len(rbuf) - rdispl - len(expect))
        if got != want:
            return f"received {got[:64]!r}..., expected {want[:64]!r}..."
        if status.Get_count(MPI.BYTE) != len(expect):
            return f"status count {status.Get_count(MPI.BYTE)} != {len(expect)}"
        return None
    finally:
        if free:
            dt.Free()  # type: ignore[union-attr]


P2P_PARTS = 4
P2P = -(-fuzzcount.quota("msgspec-p2p", 3300) // P2P_PARTS)


@fuzz_settings(P2P)
@given(
    bufinfo=buffers(),
    form=st.sampled_from(FORMS),
    dtinfo=datatypes(),
    count=st.one_of(st.integers(0, 24), st.integers(-2, 2), st.just(2**40)),
    displ=st.one_of(st.integers(0, 8), st.just(-1)),
    rslack=st.integers(-8, 8),
    rdispl=st.integers(0, 4),
    use_sendrecv=st.booleans(),
)
def fuzz_p2p_specs(bufinfo, form, dtinfo, count, displ, rslack, rdispl, use_sendrecv):
    fuzzcount.add("msgspec-p2p")
    problem = case_p2p(bufinfo, form, dtinfo, count, displ, rslack, rdispl, use_sendrecv)
    assert problem is None, problem


@pytest.mark.parametrize("part", range(P2P_PARTS))
def test_fuzz_p2p_specs(part):
    # in parts, each well inside the per-test watchdog; each rank and part
    # its own seed
    seed(1000 + 100 * part + RANK)(fuzz_p2p_specs)()


# -- receive with a derived datatype: the writes stay on the type map ------------

RECV_PARTS = 2
RECV = -(-fuzzcount.quota("msgspec-recv-typed", 1700) // RECV_PARTS)


@fuzz_settings(RECV)
@given(
    nbytes=st.integers(0, 96),
    dtinfo=datatypes(),
    count=st.integers(0, 12),
    displ=st.integers(0, 4),
    vector=st.booleans(),
)
def fuzz_recv_typed(nbytes, dtinfo, count, displ, vector):
    """Receive into ``[buf, (count, displ), dt]`` (or, through Allgatherv,
    ``[buf, [count], [displ], dt]``): the bytes on the type map change, and
    only those; a spec reaching outside the buffer raises."""
    fuzzcount.add("msgspec-recv-typed")
    comm = MPI.COMM_SELF
    recipe, extent, chunks = dtinfo
    if recipe[0] == "hindexed":
        size = dict(BASES)[recipe[1]]
        extent, chunks = size, [(recipe[2], size)]
    if recipe[0] == "code" and vector:
        return  # a typecode string is no datatype for a vector spec's slot
    ranges = touched(extent, chunks, displ, count)
    # No bytes touched (count 0, empty type): a displacement past the end
    # may be refused or not, the buffer must stay as it is.
    inside = all(0 <= a and b <= nbytes for a, b in ranges) or not ranges
    # Writes through an overlapping type map (vector stride 0, resized
    # smaller than its data) are undefined: check only that they stay inside.
    cover = [i for a, b in ranges for i in range(a, b)]
    overlap = len(cover) != len(set(cover))
    msg = (np.arange(len(cover)) % 255 + 1).astype("u1")
    rbuf = np.zeros(nbytes, dtype="u1")
    dt, free = build(recipe)
    try:
        try:
            if vector and not OPEN_MPI:
                # MPICH 4.0 puts a one-rank Allgatherv's block at
                # displacement 0 whatever displs says (seen here; to be
                # reported upstream): the typed receive is fuzzed there
                # through Recv only.
                vector = False
            if vector:
                comm.Allgatherv([msg, MPI.BYTE], [rbuf, [count], [displ], dt])
            else:
                req = comm.Isend([msg, MPI.BYTE], 0, TAG)
                try:
                    comm.Recv([rbuf, (count, displ), dt], 0, TAG)
                except CLEAR:
                    # MPICH completes a send to self only once it is
                    # received: receive it before waiting
                    drain(comm)
                    req.Wait()
                    raise
                req.Wait()
        except CLEAR as exc:
            drain(comm)
            if not inside or isinstance(dt, str) or not ranges:
                return
            if vector and recipe[0] == "code":
                return
            if INTEL_MPI and overlap and "Intel MPI" in str(exc):
                return  # refused: Intel MPI writes past overlapping types
            raise AssertionError(f"unexpected {type(exc).__name__}: {exc}") from exc
        assert drain(comm) == 0
        if not IS_CMPI:
            return
        assert inside, f"accepted a receive outside the buffer: {recipe} count={count} displ={displ} nbytes={nbytes}"
        want = np.zeros(nbytes, dtype="u1")
        for i, pos in enumerate(cover):
            want[pos] = msg[i]
        if not overlap:
            assert rbuf.tobytes() == want.tobytes(), (recipe, count, displ)
        else:
            untouched = np.ones(nbytes, bool)
            untouched[cover] = False
            assert not rbuf[untouched].any()
    finally:
        if free:
            dt.Free()


@pytest.mark.parametrize("part", range(RECV_PARTS))
def test_fuzz_recv_typed(part):
    # in parts, each well inside the per-test watchdog; each rank and part
    # its own seed
    seed(2000 + 100 * part + RANK)(fuzz_recv_typed)()


# -- vector specs through the v-collectives on COMM_SELF --------------------------

VEC_PARTS = 2
VEC = -(-fuzzcount.quota("msgspec-vector", 1700) // VEC_PARTS)


@fuzz_settings(VEC)
@given(
    dtype=st.sampled_from(["i1", "i2", "i4", "f8"]),
    n=st.integers(0, 24),
    counts=st.lists(st.integers(-1, 12), min_size=0, max_size=2),
    displs=st.one_of(st.none(), st.lists(st.integers(-1, 12), min_size=0, max_size=2)),
    sendcount=st.integers(0, 12),
    call=st.sampled_from(["Gatherv", "Scatterv", "Allgatherv", "Alltoallv"]),
    typed=st.booleans(),
)
def fuzz_vector_specs(dtype, n, counts, displs, sendcount, call, typed):
    """``[buf, counts, displs, dt]`` on a one-rank communicator: exactly one
    count and displacement are valid; the block must fit the buffer and
    hold the message; then the data lands at the displacement."""
    fuzzcount.add("msgspec-vector")
    comm = MPI.COMM_SELF
    dt = {"i1": MPI.SIGNED_CHAR, "i2": MPI.SHORT, "i4": MPI.INT, "f8": MPI.DOUBLE}[dtype]
    big = np.full(n, -7, dtype=dtype)
    small = (np.arange(sendcount) + 1).astype(dtype)
    vspec_buf = big
    spec_items = [vspec_buf, counts] if displs is None else [vspec_buf, (counts, displs)]
    if typed:
        spec_items = [vspec_buf, (counts, displs) if displs is not None else counts, dt]
    vspec = spec_items
    d = 0 if displs is None else (displs[0] if len(displs) == 1 else None)
    valid = (
        len(counts) == 1
        and counts[0] >= 0
        and (displs is None or len(displs) == 1)
        and d is not None
        and d >= 0
        and d + counts[0] <= n
    )
    try:
        if call == "Gatherv":
            comm.Gatherv(small, vspec, root=0)
        elif call == "Allgatherv":
            comm.Allgatherv(small, vspec)
        elif call == "Scatterv":
            out = np.full(sendcount, -7, dtype=dtype)
            comm.Scatterv(vspec, out, root=0)
        else:
            out = np.full(n, -7, dtype=dtype)
            ospec = [out, counts] if displs is None else [out, (counts, displs)]
            comm.Alltoallv(vspec, ospec)
    except CLEAR as exc:
        drain(comm)
        if not valid:
            return
        if call in ("Gatherv", "Allgatherv") and counts[0] < sendcount:
            assert isinstance(exc, MPI.Exception)  # truncated
            return
        if call == "Scatterv" and counts[0] > sendcount:
            assert isinstance(exc, MPI.Exception)
            return
        raise AssertionError(f"unexpected {type(exc).__name__}: {exc}") from exc
    assert drain(comm) == 0
    if not IS_CMPI:
        return
    assert valid, f"{call} accepted counts={counts} displs={displs} for {n} elements"
    c = counts[0]
    if call == "Allgatherv" and not OPEN_MPI:
        return  # MPICH 4.0 ignores a one-rank Allgatherv's displacement (see above)
    if call in ("Gatherv", "Allgatherv"):
        # A block smaller than the rank's own contribution: both MPI
        # libraries copy the local block of an Allgatherv on one rank
        # without the truncation check (the count mismatch is erroneous MPI,
        # and a check on one rank only would leave the others waiting), so
        # only what lands where is checked: inside the block, nothing past.
        want = np.full(n, -7, dtype=dtype)
        want[d : d + min(c, sendcount)] = small[: min(c, sendcount)]
        assert big.tobytes() == want.tobytes()
    elif call == "Scatterv":
        # MPICH, like both libraries for Allgatherv above, copies a too-big
        # block on one rank without the truncation check: check the landing.
        k = min(c, sendcount)
        assert out[:k].tobytes() == big[d : d + k].tobytes()
        assert (out[k:] == -7).all()
    else:
        assert out[d : d + c].tobytes() == big[d : d + c].tobytes()


@pytest.mark.parametrize("part", range(VEC_PARTS))
def test_fuzz_vector_specs(part):
    # in parts, each well inside the per-test watchdog; each rank and part
    # its own seed
    seed(3000 + 100 * part + RANK)(fuzz_vector_specs)()


# -- random derived datatype trees: Pack/Unpack, decode, Get_contents -------------

LEAVES = ["BYTE", "SHORT", "INT", "DOUBLE"]


def tree_strategy():
    leaf = st.tuples(st.just("leaf"), st.sampled_from(LEAVES))

    def extend(children):
        small = st.integers(0, 3)
        return st.one_of(
            st.tuples(st.just("contiguous"), small, children),
            st.tuples(st.just("vector"), small, st.integers(1, 2), st.integers(-3, 4), children),
            st.tuples(st.just("hvector"), small, st.integers(1, 2), st.integers(-16, 32), children),
            st.tuples(st.just("indexed"), st.lists(st.tuples(st.integers(0, 2), st.integers(0, 6)), max_size=3), children),
            st.tuples(st.just("indexed_block"), st.integers(0, 2), st.lists(st.integers(0, 6), max_size=3), children),
            st.tuples(st.just("hindexed"), st.lists(st.tuples(st.integers(0, 2), st.integers(-8, 40)), max_size=3), children),
            st.tuples(st.just("struct"), st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40), children), min_size=1, max_size=3)),
            st.tuples(st.just("subarray"), st.lists(st.tuples(st.integers(1, 4), st.integers(0, 4), st.integers(0, 3)), min_size=1, max_size=2), st.booleans(), children),
            st.tuples(st.just("resized"), st.integers(-8, 8), st.integers(-8, 48), children),
            st.tuples(st.just("dup"), children),
        )

    return st.recursive(leaf, extend, max_leaves=4)


def build_tree(node, made):
    """The datatype for ``node``; every created datatype goes to ``made``."""
    kind = node[0]
    if kind == "leaf":
        return getattr(MPI, node[1])
    if kind == "struct":
        blocks = node[1]
        types = [build_tree(b[2], made) for b in blocks]
        dt = MPI.Datatype.Create_struct([b[0] for b in blocks], [b[1] for b in blocks], types)
    else:
        base = build_tree(node[-1], made)
        if kind == "contiguous":
            dt = base.Create_contiguous(node[1])
        elif kind == "vector":
            dt = base.Create_vector(node[1], node[2], node[3])
        elif kind == "hvector":
            dt = base.Create_hvector(node[1], node[2], node[3])
        elif kind == "indexed":
            dt = base.Create_indexed([b for b, d in node[1]], [d for b, d in node[1]])
        elif kind == "indexed_block":
            dt = base.Create_indexed_block(node[1], node[2])
        elif kind == "hindexed":
            dt = base.Create_hindexed([b for b, d in node[1]], [d for b, d in node[1]])
        elif kind == "subarray":
            sizes = [s for s, _, _ in node[1]]
            subsizes = [min(u, s) for s, u, _ in node[1]]
            starts = [min(o, s - u) for (s, _, o), u in zip(node[1], subsizes)]
            order = MPI.ORDER_C if node[2] else MPI.ORDER_FORTRAN
            dt = base.Create_subarray(sizes, subsizes, starts, order=order)
        elif kind == "resized":
            dt = base.Create_resized(node[1], node[2])
        else:
            dt = base.Dup()
    made.append(dt)
    return dt


TREES_PARTS = 2
TREES = -(-fuzzcount.quota("datatype-trees", 2200) // TREES_PARTS)


@fuzz_settings(TREES)
@given(tree=tree_strategy(), count=st.integers(0, 3), fill=st.integers(0, 255))
def fuzz_datatype_trees(tree, count, fill):
    fuzzcount.add("datatype-trees")
    comm = MPI.COMM_SELF
    made = []  # type: ignore[var-annotated]
    try:
        try:
            dt = build_tree(tree, made)
        except CLEAR:
            return  # e.g. a subarray start past its size: refused at creation
        dt.Commit()
        size, (lb, extent), (tlb, text) = dt.Get_size(), dt.Get_extent(), dt.Get_true_extent()
        assert size >= 0
        if size == 0:
            # no data: the true bounds are meaningless (Open MPI reports
            # sentinels), packing moves nothing
            src = np.zeros(8, dtype="u1")
            try:
                assert dt.Pack([src, count, dt], bytearray(8), 0, comm) == 0
            except CLEAR:
                pass  # e.g. refused for its (empty) span at a negative extent
            return
        assert text > 0 and abs(tlb) < 1 << 20 and abs(extent) < 1 << 20
        # A buffer that holds ``count`` elements: the true span, from 0.
        span = 0 if count == 0 or text == 0 else max(tlb + text, (count - 1) * extent + tlb + text)
        start = min(tlb, (count - 1) * extent + tlb) if count and text else 0
        nbytes = max(span, 0) + 8
        src = (np.arange(nbytes) * 7 + fill).astype("u1")
        packed = bytearray(dt.Pack_size(count, comm))
        try:
            pos = dt.Pack([src, count, dt], packed, 0, comm)
        except CLEAR:
            # only a type map that starts before the buffer may be refused
            assert start < 0 or not IS_CMPI, f"Pack refused an in-bounds type {tree}"
            return
        assert start >= 0 or not IS_CMPI, f"Pack read before the buffer: {tree}"
        assert pos == size * count, (pos, size, count)
        # Unpack into zeros and pack again: the same bytes (unless the type
        # map overlaps, where which write wins is undefined).
        out = np.zeros(nbytes, dtype="u1")
        if INTEL_MPI and IS_CMPI and size > text and count > 0:
            # Intel MPI writes past such an overlapping type: refused
            with pytest.raises(MPI.Exception, match="Intel MPI"):
                dt.Unpack(packed, 0, [out, count, dt], comm)
            assert not out.any()
            return
        assert dt.Unpack(packed, 0, [out, count, dt], comm) == pos
        again = bytearray(len(packed))
        dt.Pack([out, count, dt], again, 0, comm)
        ones = np.zeros(nbytes, dtype="u1")
        dt.Unpack(bytearray(b"\xff" * len(packed)), 0, [ones, count, dt], comm)
        if int(np.count_nonzero(ones)) == size * count:  # no overlap
            assert again[:pos] == packed[:pos], tree
        # decode rebuilds an equivalent type
        if not dt.is_predefined:
            base, combiner, params = dt.decode()
            ints, addrs, *rest = dt.Get_contents()
            for t in rest[-1]:
                if not t.is_predefined:
                    t.Free()
            assert isinstance(combiner, str) and isinstance(params, dict)
            if not base.is_predefined:
                base.Free()
            env = dt.Get_envelope()
            assert env[-1] == dt.combiner
    finally:
        for t in reversed(made):
            t.Free()



@pytest.mark.parametrize("part", range(TREES_PARTS))
def test_fuzz_datatype_trees(part):
    # in parts, each well inside the per-test watchdog; each rank and part
    # its own seed
    seed(4000 + 100 * part + RANK)(fuzz_datatype_trees)()