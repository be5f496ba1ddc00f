"""The lowercase calls' own encoding of common objects (csrc/objcodec.c):
every object arrives exactly as pickle's round trip makes it, types, dtypes,
byte orders, layouts, writeability and sharing included; objects the codec
does not carry, a swapped ``MPI.pickle`` and a non-default protocol go
through pickle; a corrupt or truncated message raises
``pickle.UnpicklingError`` and never crashes.

Under mpi4py (``CMPI_TEST_IMPL=mpi4py``) the equality tests run as well
(they hold for any binding); the wire-format checks are cmpi's own.
"""

import collections
import math
import pickle
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from mpiimpl import IS_CMPI, MPI

RANK = MPI.COMM_WORLD.Get_rank()
SIZE = MPI.COMM_WORLD.Get_size()
MAGIC = 0xFA

DTYPES = ["i1", "u1", "<i2", ">i2", "<i4", ">u4", "<i8", ">i8", "<f2", "<f4", ">f4", "<f8", ">f8",
          "<c8", ">c16", "?", "S3", "<U2", ">U1", "<M8[s]", ">m8[ms]", "g"]  # datetimes: pickle
SCALARS = [np.int8, np.uint16, np.int32, np.int64, np.longlong, np.uint64, np.float16, np.float32,
           np.float64, np.longdouble, np.complex64, np.complex128, np.bool_]


def describe(x):
    """Everything of x that pickle's round trip keeps, as comparable data."""
    t = type(x)
    if isinstance(x, np.ndarray):
        return (t, x.dtype.str, x.dtype, x.shape, x.flags.c_contiguous, x.flags.f_contiguous,
                x.flags.writeable, x.tobytes(order="A"))
    if isinstance(x, np.generic):
        return (t, x.dtype.str, x.tobytes())
    if isinstance(x, float):
        return (t, math.copysign(1.0, x), repr(x))
    if isinstance(x, (list, tuple)):
        return (t, [describe(y) for y in x])
    if isinstance(x, dict):
        return (t, [(describe(k), describe(v)) for k, v in x.items()])
    return (t, x)


def ref(obj):
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    n = draw(st.integers(0, 12))
    raw = bytes(draw(st.binary(min_size=n * dtype.itemsize, max_size=n * dtype.itemsize)))
    arr = np.frombuffer(raw, dtype=dtype).copy()
    layout = draw(st.sampled_from(["flat", "2d", "F", "step", "0d", "ro"]))
    if layout == "2d" and n % 2 == 0:
        arr = arr.reshape(2, n // 2)
    elif layout == "F" and n % 2 == 0:
        arr = np.asfortranarray(arr.reshape(2, n // 2))
    elif layout == "step":
        arr = arr[::2]
    elif layout == "0d" and n:
        arr = arr[0:1].reshape(())
    elif layout == "ro":
        arr.flags.writeable = False
    return arr


@st.composite
def numpy_scalars(draw):
    t = draw(st.sampled_from(SCALARS))
    raw = draw(st.binary(min_size=np.dtype(t).itemsize, max_size=np.dtype(t).itemsize))
    return np.frombuffer(raw, dtype=t)[0]


leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.text(st.characters(codec=None), max_size=4),  # lone surrogates included
    st.binary(max_size=16),
    arrays(),
    numpy_scalars(),
)


def objects():
    return st.recursive(
        leaves,
        lambda kids: st.one_of(
            st.lists(kids, max_size=4),
            st.tuples(kids, kids),
            st.builds(tuple, st.lists(kids, max_size=3)),
            st.dictionaries(st.one_of(st.text(max_size=4), st.integers(), st.none(), st.booleans()),
                            kids, max_size=4),
        ),
        max_leaves=8,
    )


def same_as_pickle(got, obj):
    return describe(got) == describe(ref(obj))


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(obj=objects(), how=st.sampled_from(["isend", "sendrecv", "bcast", "allgather", "loads"]))
def check_self(obj, how):
    comm = MPI.COMM_SELF
    if how == "isend":
        req = comm.isend(obj, dest=0, tag=11)
        got = comm.recv(source=0, tag=11)
        req.wait()
    elif how == "sendrecv":
        got = comm.sendrecv(obj, dest=0, sendtag=12, source=0, recvtag=12)
    elif how == "bcast":
        got = comm.bcast(obj, root=0)
    elif how == "allgather":
        got = comm.allgather(obj)[0]
    else:  # what a send put on the wire, received as bytes
        got = MPI.pickle.loads(raw_message(obj))
    assert describe(got) == describe(ref(obj)), how


def raw_message(obj, comm=MPI.COMM_SELF, tag=13):
    """The bytes a lowercase send of obj puts on the wire (small objects)."""
    req = comm.isend(obj, dest=0, tag=tag)
    status = MPI.Status()
    comm.Probe(source=0, tag=tag, status=status)
    buf = bytearray(status.Get_count(MPI.BYTE))
    comm.Recv(buf, source=0, tag=tag)
    req.wait()
    return bytes(buf)


def test_property_self():
    seed(1800 + RANK)(check_self)()


CASES = 120
world_failures: list = []


@settings(max_examples=CASES, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(obj=objects())
def check_world(obj):
    # every rank draws the same objects (same seed): they check what they
    # receive against their own copy, and make the same calls
    comm = MPI.COMM_WORLD
    failures = world_failures
    if SIZE > 1:
        if RANK == 0:
            comm.send(obj, dest=1, tag=21)
        elif RANK == 1:
            if not same_as_pickle(comm.recv(source=0, tag=21), obj):
                failures.append(("send/recv", repr(obj)[:200]))
    got = comm.bcast(obj if RANK == 0 else None, root=0)
    if not same_as_pickle(got, obj):
        failures.append(("bcast", repr(obj)[:200]))


def test_property_world():
    world_failures.clear()
    seed(1900)(check_world)()
    counts = MPI.COMM_WORLD.allgather(len(world_failures))
    assert not world_failures, world_failures[:3]
    assert sum(counts) == 0


class DictSub(dict):
    pass


class IntSub(int):
    pass


def special_objects():
    shared = [1, 2]
    selfref: list = [1]
    selfref.append(selfref)
    tup = (1, "a")
    arr = np.arange(3)
    deep: object = 0
    for _ in range(100):
        deep = [deep]
    return {
        "dict subclass": DictSub(a=1),
        "int subclass": IntSub(5),
        "OrderedDict": collections.OrderedDict([("b", 1), ("a", 2)]),
        "list holding itself": selfref,
        "shared list": [shared, shared],
        "shared tuple": [tup, tup],
        "shared array": {"x": arr, "y": arr},
        "huge int": [2**64, -(2**200)],
        "lone surrogate": "\udc80x",
        "deep nesting": deep,
        "array subclass": np.ma.masked_array([1, 2], mask=[False, True]),
        "object array": np.array([1, "a"], dtype=object),
        "structured array": np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]),
        "datetime64 scalar": np.datetime64("2020-01-01"),
        "complex": 1 + 2j,
        "set": {1, 2},
        "big array in a dict": {"a": np.zeros(MPI.pickle.THRESHOLD if IS_CMPI else 1 << 18, "u1")},
    }


def structure(x, memo=None):
    """describe(), plus which containers are the same object."""
    memo = {} if memo is None else memo
    if isinstance(x, (list, tuple, dict, np.ndarray)) and not (isinstance(x, tuple) and not x):
        if id(x) in memo:
            return ("shared", memo[id(x)])
        memo[id(x)] = len(memo)
    if isinstance(x, (list, tuple)):
        return (type(x), [structure(y, memo) for y in x])
    if isinstance(x, dict):
        return (type(x), [(structure(k, memo), structure(v, memo)) for k, v in x.items()])
    if isinstance(x, np.ma.MaskedArray):
        return (type(x), x.tolist(), x.mask.tolist())
    if isinstance(x, np.ndarray) and x.dtype.names:
        return (type(x), x.dtype, x.tobytes())
    if isinstance(x, np.ndarray) and x.dtype.hasobject:
        return (type(x), x.tolist())
    return describe(x)


@pytest.mark.parametrize("name", list(special_objects()))
def test_special_objects(name):
    obj = special_objects()[name]
    comm = MPI.COMM_SELF
    req = comm.isend(obj, dest=0, tag=31)
    got = comm.recv(source=0, tag=31)
    req.wait()
    want = ref(obj)
    assert type(got) is type(want)
    assert structure(got) == structure(want)
    if name == "int subclass":
        assert got == 5
    if SIZE > 1:
        comm = MPI.COMM_WORLD
        got = comm.bcast(obj if RANK == 0 else None, root=0)
        assert structure(got) == structure(want)


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's wire format")
def test_small_objects_take_the_codec():
    obj: object
    for obj in [7, 2.5, None, True, "é", b"x", (1, [2.0]), {"a": 7, "b": 3.14}, np.arange(3),
                np.float64(1.5), np.int32(-2)]:
        msg = raw_message(obj)
        assert msg[0] == MAGIC and msg[1] == 1, obj
        assert describe(MPI.pickle.loads(msg)) == describe(ref(obj))
    for obj in [1 + 2j, {1}, 2**64, "\udc80", np.arange(10)[::2], DictSub(), IntSub(1)]:
        assert raw_message(obj)[0] == 0x80, obj
    # past 16 MiB an object goes to pickle (it travels as an envelope and
    # pieces then, whatever its form): either side of the limit arrives whole
    for n in (15 << 20, 17 << 20):
        big = {"blob": bytes(range(256)) * (n // 256), "n": n}
        assert MPI.COMM_SELF.sendrecv(big, dest=0, source=0) == big
    # MPI.pickle.dumps stays pickle's
    assert MPI.pickle.dumps({"a": 1})[0] == 0x80


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's wire format")
def test_custom_pickle_or_protocol_takes_pickle():
    obj = {"a": 7, "b": [1.5, None]}
    saved = MPI.pickle.PROTOCOL
    try:
        MPI.pickle.PROTOCOL = 4
        msg = raw_message(obj)
        assert msg[0] == 0x80 and msg[1] == 4
        assert MPI.COMM_SELF.sendrecv(obj, dest=0, source=0) == obj
    finally:
        MPI.pickle.PROTOCOL = saved
    calls = []

    def dumps(o, protocol=None):
        calls.append("dumps")
        return pickle.dumps(o, protocol)

    def loads(b):
        calls.append("loads")
        return pickle.loads(b)

    MPI.pickle.__init__(dumps, loads)  # type: ignore[misc]
    try:
        assert MPI.COMM_SELF.sendrecv(obj, dest=0, source=0) == obj
        assert calls == ["dumps", "loads"]
        # the user's loads gets the message as it is, whatever it starts with
        req = MPI.COMM_SELF.Isend(b"\xfa\x01N", dest=0, tag=41)
        with pytest.raises(pickle.UnpicklingError):
            MPI.COMM_SELF.recv(source=0, tag=41)
        req.Wait()
    finally:
        MPI.pickle.__init__()  # type: ignore[misc]
    assert raw_message(obj)[0] == MAGIC


def corrupt_messages(rng):
    good = [raw_message(o) for o in [{"a": 7, "b": 3.14}, [1, "xé", b"yz", (None, True)],
                                     np.arange(6.0).reshape(2, 3), np.float32(2), {"k": np.array(["ab"])},
                                     [[[[1]]]], ""]]
    yield b"\xfa"
    yield b"\xfa\x02N"  # unknown version
    yield b"\xfa\x01"
    yield b"\xfa\x01" + b"l\x01\x00\x00\x00" * 200 + b"N"  # deeper than allowed
    yield b"\xfa\x01NN"  # trailing bytes
    yield b"\xfa\x01a\x03|O8\x00\x01" + b"\x01" + b"\0" * 7 + b"\x08" + b"\0" * 7 + b"\0" * 8  # object dtype
    yield b"\xfa\x01l\xff\xff\xff\xff"  # a count beyond the message
    for msg in good:
        for cut in range(1, len(msg)):
            yield msg[:cut]
    for _ in range(3000):
        msg = bytearray(rng.choice(good))
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(2, len(msg)) if len(msg) > 2 else 1
            op = rng.randrange(3)
            if op == 0:
                msg[i] = rng.randrange(256)
            elif op == 1:
                del msg[i]
            else:
                msg.insert(i, rng.randrange(256))
        yield bytes(msg)
    for _ in range(2000):
        yield b"\xfa\x01" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's wire format")
def test_corrupt_messages_raise():
    rng = random.Random(18 + RANK)
    decoded = refused = 0
    for msg in corrupt_messages(rng):
        for via in ("loads", "recv"):
            try:
                if via == "loads":
                    MPI.pickle.loads(msg)
                else:
                    req = MPI.COMM_SELF.Isend(msg, dest=0, tag=51)
                    try:
                        MPI.COMM_SELF.recv(source=0, tag=51)
                    finally:
                        req.Wait()
                decoded += 1
            except pickle.UnpicklingError as exc:
                if msg[:2] == b"\xfa\x02":
                    assert "version 2" in str(exc)
                refused += 1
            except MemoryError:
                refused += 1
    assert refused > 1000 and decoded > 0
    assert not MPI.COMM_SELF.Iprobe(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG)


def bytes_for_message_of(length):
    """A bytes object whose codec message is `length` bytes long (its
    header's length measured on a small one: larger messages go out as an
    envelope and pieces, which raw_message would see instead)."""
    head = len(raw_message(b"x" * 300)) - 300
    obj = b"x" * (length - head)
    if length <= 30000:
        assert len(raw_message(obj)) == length
    return obj


# A blocking send of a small codec message goes out from the caller's
# stack, and a blocking receive of a small message lands on its stack
# (csrc/p2p_obj.c, CMPI_OBJMSG_STACK = 512 bytes); past the eager limit
# (32 KiB) the message goes as a pickle's stream would.
@pytest.mark.skipif(not IS_CMPI, reason="cmpi's wire format")
@pytest.mark.parametrize("length", [12, 511, 512, 513, 1024, 32768, 32769, 70000])
def test_blocking_send_recv_either_side_of_the_stack_limit(length):
    obj = bytes_for_message_of(length)
    comm = MPI.COMM_WORLD
    for payload in (obj, [obj, 7]):  # the list: a container around it
        if SIZE == 1:
            req = comm.isend(payload, dest=0, tag=61)
            got = comm.recv(source=0, tag=61)
            req.wait()
        elif RANK == 0:
            comm.send(payload, dest=1, tag=61)
            got = comm.recv(source=1, tag=62)
        elif RANK == 1:
            got = comm.recv(source=0, tag=61)
            comm.send(got, dest=0, tag=62)
        else:
            got = payload
        assert describe(got) == describe(payload)


def test_custom_loads_may_keep_what_it_was_given():
    # a small message is received on the stack: what a user's loads gets
    # must be its own copy, still whole after later receives
    kept = []

    def loads(b):
        kept.append(b)
        return pickle.loads(b)

    MPI.pickle.__init__(pickle.dumps, loads)  # type: ignore[misc]
    try:
        for i in range(3):
            req = MPI.COMM_SELF.isend({"i": i, "s": "y" * i}, dest=0, tag=63)
            assert MPI.COMM_SELF.recv(source=0, tag=63) == {"i": i, "s": "y" * i}
            req.wait()
    finally:
        MPI.pickle.__init__()  # type: ignore[misc]
    assert [pickle.loads(bytes(b)) for b in kept] == [{"i": i, "s": "y" * i} for i in range(3)]
