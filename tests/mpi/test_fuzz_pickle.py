"""Property-based fuzzing (hypothesis) of the pickle path: random nested
objects (dicts, lists, tuples, scalars, strings, bytes) holding NumPy arrays
of random dtypes, layouts and sizes around the out-of-band threshold,
through MPI.pickle, send/recv, sendrecv, bcast, gather, scatter, allgather,
alltoall: every object arrives equal (same types, dtypes, shapes, values).

``test_fuzz_pickle_self`` runs on COMM_SELF, each rank its own seed and
share.  ``test_fuzz_pickle_world`` communicates over COMM_WORLD: every rank
draws the same cases (the same seed, no shrinking, failures recorded instead
of raised inside the example), so all ranks make the same calls.  The last
test prints the number of generated cases of all fuzz tests and checks it.
"""

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import fuzzcount
from mpiimpl import MPI
from mpitestutil import same

RANK, SIZE = fuzzcount.RANK, fuzzcount.SIZE
THRESHOLD = getattr(getattr(MPI, "pickle", None), "THRESHOLD", 65536) or 65536
DTYPES = ["i1", "u1", "i2", "i4", "u4", "i8", "f4", "f8", "c8", "c16", "?", "S3", "U2", "<f8", ">i4"]


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    near = draw(st.booleans())
    if near:  # just below, at or above the out-of-band threshold
        nbytes = THRESHOLD + draw(st.integers(-2, 2)) * dtype.itemsize
    else:
        nbytes = draw(st.integers(0, 64)) * dtype.itemsize
    n = max(nbytes // dtype.itemsize, 0)
    seedv = draw(st.integers(0, 2**31 - 1))
    raw = np.random.default_rng(seedv).integers(0, 256, n * dtype.itemsize, dtype=np.uint8)
    arr = np.frombuffer(raw.tobytes(), dtype=dtype).copy()
    if dtype.kind == "f" or dtype.kind == "c":
        arr = np.nan_to_num(arr)  # NaN != NaN would spoil the comparison
    layout = draw(st.sampled_from(["flat", "2d", "F", "step", "0d"]))
    if layout == "2d" and n % 2 == 0:
        arr = arr.reshape(2, n // 2)
    elif layout == "F" and n % 2 == 0:
        arr = np.asfortranarray(arr.reshape(2, n // 2))
    elif layout == "step":
        arr = arr[::2]
    elif layout == "0d" and n:
        arr = arr[0:1].reshape(())
    return arr


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.binary(max_size=40),
)


def objects():
    return st.recursive(
        st.one_of(scalars, arrays()),
        lambda kids: st.one_of(
            st.lists(kids, max_size=4),
            st.tuples(kids, kids),
            st.dictionaries(st.text(max_size=6), kids, max_size=4),
        ),
        max_leaves=6,
    )


def count_big(obj):
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes >= THRESHOLD // 2)
    if isinstance(obj, (list, tuple)):
        return sum(count_big(x) for x in obj)
    if isinstance(obj, dict):
        return sum(count_big(x) for x in obj.values())
    return 0


SELF_PARTS = 2
SELF_N = -(-fuzzcount.quota("pickle-self", 2200) // SELF_PARTS)


@settings(max_examples=SELF_N, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(obj=objects(), how=st.sampled_from(["dumps", "sendrecv", "isend", "bcast", "gather", "scatter", "allgather", "alltoall"]))
def fuzz_pickle_self(obj, how):
    fuzzcount.add("pickle-self")
    comm = MPI.COMM_SELF
    # The reference is what the standard pickle makes of obj (NumPy itself
    # turns a non-contiguous big-endian array native-endian, for one).
    ref = pickle.loads(pickle.dumps(obj, protocol=5))
    if how == "dumps":
        got = MPI.pickle.loads(MPI.pickle.dumps(obj))
    elif how == "sendrecv":
        got = comm.sendrecv(obj, dest=0, source=0)
    elif how == "isend":
        req = comm.isend(obj, dest=0, tag=5)
        got = comm.recv(source=0, tag=5)
        req.wait()
    elif how == "bcast":
        got = comm.bcast(obj, root=0)
    elif how == "gather":
        got = comm.gather(obj, root=0)[0]  # type: ignore[index]
    elif how == "scatter":
        got = comm.scatter([obj], root=0)
    elif how == "allgather":
        got = comm.allgather(obj)[0]
    else:
        got = comm.alltoall([obj])[0]
    assert same(got, ref), how
    assert not comm.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG)


@pytest.mark.parametrize("part", range(SELF_PARTS))
def test_fuzz_pickle_self(part):
    seed(5000 + 100 * part + RANK)(fuzz_pickle_self)()


WORLD_PARTS = 2
WORLD_N = -(-fuzzcount.quota("pickle-world", 1700, shared=True) // WORLD_PARTS)
world_failures = []  # type: ignore[var-annotated]


@settings(
    max_examples=WORLD_N,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(obj=objects(), root=st.integers(0, 63), how=st.sampled_from(["bcast", "sendrecv", "allgather", "alltoall", "gather"]))
def fuzz_world_case(obj, root, how):
    fuzzcount.add("pickle-world", shared=True)
    comm = MPI.COMM_WORLD
    root %= SIZE
    dest, source = (RANK + 1) % SIZE, (RANK - 1) % SIZE
    # All ranks hold the same obj (same seeded draw), so each can check
    # what it receives against its own copy, as the standard pickle
    # round-trips it.
    ref = pickle.loads(pickle.dumps(obj, protocol=5))
    try:
        if how == "bcast":
            ok = same(comm.bcast(obj if RANK == root else None, root=root), ref)
        elif how == "sendrecv":
            ok = same(comm.sendrecv(obj, dest=dest, source=source), ref)
        elif how == "allgather":
            ok = all(same(x, ref) for x in comm.allgather(obj))
        elif how == "alltoall":
            ok = all(same(x, ref) for x in comm.alltoall([obj] * SIZE))
        else:
            got = comm.gather(obj, root=root)
            ok = got is None if RANK != root else all(same(x, ref) for x in got)  # type: ignore[union-attr]
    except Exception as exc:  # recorded, not raised: the other ranks go on
        ok = False
        obj = f"{type(exc).__name__}: {exc}"
    if not ok:
        world_failures.append((how, root, repr(obj)[:200]))


@pytest.mark.parametrize("part", range(WORLD_PARTS))
def test_fuzz_pickle_world(part):
    # the same seed on every rank: the same cases, the same calls
    seed(6000 + 100 * part)(fuzz_world_case)()
    failures = MPI.COMM_WORLD.allgather(len(world_failures))
    assert not world_failures, world_failures[:3]
    assert sum(failures) == 0, f"failures on ranks: {failures}"


def test_fuzz_case_count(request):
    """Sum the generated cases of every fuzz test over the ranks; print the
    total; a full run must reach fuzzcount.MINIMUM."""
    comm = MPI.COMM_WORLD
    names = sorted(fuzzcount.QUOTAS)
    mine = [fuzzcount.COUNTS.get(n, 0) for n in names]
    totals = comm.allreduce(np.array(mine, dtype="i8"), op=MPI.SUM) if names else []
    by_test = dict(zip(names, (int(t) for t in totals)))
    total = sum(by_test.values())
    if RANK == 0:
        capman = request.config.pluginmanager.getplugin("capturemanager")
        line = f"\nfuzz cases generated: {total} ({', '.join(f'{k} {v}' for k, v in by_test.items())})\n"
        if capman is not None:
            with capman.global_and_fixture_disabled():
                print(line, flush=True)
        else:
            print(line)
    # Checked when every fuzz test ran (not under -k selections).
    if len(names) >= 6 and all(by_test[n] > 0 for n in names):
        assert total >= sum(fuzzcount.QUOTAS.values()) * 9 // 10, by_test
        assert total >= fuzzcount.MINIMUM, by_test
