"""Collective communication of pickled Python objects."""

import functools
import operator
import threading

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import same

OBJECTS = [
    None,
    42,
    -(2**90),
    2.5,
    3 - 4j,
    "text ☃",
    b"\x00\xff",
    [1, [2, [3]]],
    (None, True),
    {"k": {"n": [1, 2]}, 3: 4.0},
    np.arange(6).reshape(2, 3),
]


def test_barrier(comm):
    assert comm.barrier() is None


def test_bcast(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    results = []
    for root in range(size):
        obj = [root, OBJECTS] if rank == root else None
        results.append(comm.bcast(obj, root=root))
    for root, got in enumerate(results):
        assert same(got, [root, OBJECTS])


def test_bcast_kinds():
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    results = [comm.bcast(obj if rank == 0 else "junk", 0) for obj in OBJECTS]
    assert all(same(a, b) for a, b in zip(results, OBJECTS))


def test_scatter(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    results = []
    for root in range(size):
        seq = [(root, r, OBJECTS[r % len(OBJECTS)]) for r in range(size)] if rank == root else None
        results.append(comm.scatter(seq, root=root))
    for root, got in enumerate(results):
        assert same(got, (root, rank, OBJECTS[rank % len(OBJECTS)]))


def test_gather(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    results = [comm.gather({"r": rank, "root": root}, root=root) for root in range(size)]
    for root, got in enumerate(results):
        if rank == root:
            assert got == [{"r": r, "root": root} for r in range(size)]
        else:
            assert got is None


def test_allgather(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    got = comm.allgather((rank, "x" * rank))
    assert got == [(r, "x" * r) for r in range(size)]


def mixed_object(rank, shift):
    """Objects whose pickles travel in the header (small), in band (a few
    KiB) or out of band (an array), depending on rank and shift."""
    kind = (rank + shift) % 3
    if kind == 0:
        return rank
    if kind == 1:
        return "s" * (1000 + rank)
    return {"a": np.full(5000 + rank, rank, dtype=np.int32)}


@pytest.mark.parametrize("shift", [0, 1, 2])
def test_gather_mixed_sizes(comm, shift):
    rank, size = comm.Get_rank(), comm.Get_size()
    expect = [mixed_object(r, shift) for r in range(size)]
    assert same(comm.allgather(mixed_object(rank, shift)), expect)
    for root in range(size):
        got = comm.gather(mixed_object(rank, shift), root=root)
        assert same(got, expect) if rank == root else got is None
    # every rank small but one: the header-only allgather must not be taken
    small = [r if r != size - 1 else "x" * 4000 for r in range(size)]
    assert comm.allgather(small[rank]) == small
    assert comm.allreduce(rank) == size * (size - 1) // 2


def test_scatter_alltoall_none_sends_none(comm):
    # as in mpi4py: None at the sending rank stands for [None] * size
    rank, size = comm.Get_rank(), comm.Get_size()
    assert comm.alltoall(None) == [None] * size
    for root in range(size):
        assert comm.scatter(None, root=root) is None
    assert comm.alltoall(iter(range(size))) == [rank] * size


def test_alltoall(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    got = comm.alltoall([(rank, dst) for dst in range(size)])
    assert got == [(src, rank) for src in range(size)]


def test_big_bcast_gather(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    big = np.full(3 * 2**20 // 8, float(rank))  # 3 MB per rank
    got = comm.bcast(big if rank == 0 else None, root=0)
    gathered = comm.allgather(big[:10] if rank else big)
    assert got.shape == big.shape and np.all(got == 0.0)
    assert [float(g[0]) for g in gathered] == [float(r) for r in range(size)]
    assert gathered[0].shape == big.shape


def rank_value(op_name, rank):
    if op_name in ("MAXLOC", "MINLOC"):
        return ((rank * 7) % 3, rank)  # ties: several ranks share a value
    if op_name in ("LAND", "LOR", "LXOR"):
        return rank % 2 == 0
    if op_name in ("BAND", "BOR", "BXOR"):
        return (rank + 1) * 5
    if op_name == "PROD":
        return rank + 2
    return rank * 3 - 1


PY_OPS = {
    "SUM": operator.add,
    "PROD": operator.mul,
    "MAX": max,
    "MIN": min,
    "LAND": lambda a, b: bool(a and b),
    "LOR": lambda a, b: bool(a or b),
    "LXOR": lambda a, b: bool(a) != bool(b),
    "BAND": operator.and_,
    "BOR": operator.or_,
    "BXOR": operator.xor,
    "MAXLOC": lambda a, b: a if (a[0] > b[0] or (a[0] == b[0] and a[1] < b[1])) else b,
    "MINLOC": lambda a, b: a if (a[0] < b[0] or (a[0] == b[0] and a[1] < b[1])) else b,
    "REPLACE": lambda a, b: b,
    "NO_OP": lambda a, b: a,
}
COMMUTATIVE = [k for k in PY_OPS if k not in ("REPLACE", "NO_OP")]


def expected(op_name, ranks):
    return functools.reduce(PY_OPS[op_name], [rank_value(op_name, r) for r in ranks])  # type: ignore[call-overload]


@pytest.mark.parametrize("op_name", list(PY_OPS))
def test_allreduce_ops(op_name):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    got = comm.allreduce(rank_value(op_name, rank), op=getattr(MPI, op_name))
    want = expected(op_name, range(size))
    if op_name in ("LAND", "LOR", "LXOR"):
        assert bool(got) == want
    else:
        assert got == want


@pytest.mark.parametrize("op_name", COMMUTATIVE)
def test_reduce_ops_every_root(op_name):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    op = getattr(MPI, op_name)
    results = [comm.reduce(rank_value(op_name, rank), op=op, root=root) for root in range(size)]
    want = expected(op_name, range(size))
    for root, got in enumerate(results):
        if rank == root:
            assert (bool(got) == want) if op_name in ("LAND", "LOR", "LXOR") else (got == want)
        else:
            assert got is None


@pytest.mark.parametrize("op_name", ["SUM", "PROD", "MAX", "MIN", "BXOR", "MAXLOC", "MINLOC"])
def test_scan_exscan_ops(op_name):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    op = getattr(MPI, op_name)
    scanned = comm.scan(rank_value(op_name, rank), op=op)
    exscanned = comm.exscan(rank_value(op_name, rank), op=op)
    assert scanned == expected(op_name, range(rank + 1))
    if rank == 0:
        assert exscanned is None
    else:
        assert exscanned == expected(op_name, range(rank))


def test_reduce_default_sum(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    total = comm.reduce(rank + 1)
    assert comm.allreduce(rank + 1) == size * (size + 1) // 2
    assert comm.scan(1) == rank + 1
    if rank == 0:
        assert total == size * (size + 1) // 2
    else:
        assert total is None


def test_reduce_objects(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    # SUM on Python objects uses '+': lists concatenate, in rank order
    got = comm.allreduce([rank], op=MPI.SUM)
    assert got == list(range(size))
    got = comm.allreduce(np.array([rank, 1.0]), op=MPI.SUM)
    assert got.tolist() == [size * (size - 1) / 2, float(size)]
    got = comm.allreduce(2**70 * rank, op=MPI.MAX)
    assert got == 2**70 * (size - 1)


def test_callable_op(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    got = comm.allreduce(str(rank), op=lambda a, b: a + b)
    assert got == "".join(str(r) for r in range(size))
    got = comm.allreduce(rank * 10, op=lambda a, b: max(a, b))
    assert got == (size - 1) * 10
    got = comm.reduce({rank}, op=lambda a, b: a | b, root=0)
    if rank == 0:
        assert got == set(range(size))
    got = comm.scan([rank], op=lambda a, b: a + b)
    assert got == list(range(rank + 1))
    got = comm.exscan(rank + 1, op=operator.mul)
    if rank > 0:
        assert got == functools.reduce(operator.mul, range(1, rank + 1))


@pytest.mark.parametrize("payload", ["array", "bytes"])
def test_allreduce_large_objects_keep_rank_order(comm, payload):
    """Large objects (out-of-band arrays, or pickles over 256 KiB in all)
    are reduced along a tree at 3+ ranks: the result must still be the
    rank-order fold, for a non-commutative operation too."""
    rank, size = comm.Get_rank(), comm.Get_size()
    if payload == "array":
        mine = {"tag": [rank], "a": np.full(40000, rank, dtype=np.int64)}
    else:
        mine = {"tag": [rank], "a": bytes([rank]) * 100000}

    def concat(x, y):  # associative, not commutative: tags record the order
        return {"tag": x["tag"] + y["tag"], "a": x["a"] + y["a"]}

    for _ in range(2):  # the shadow's point-to-point traffic pairs up again
        got = comm.allreduce(mine, op=concat)
        assert got["tag"] == list(range(size))
        if payload == "array":
            assert got["a"].dtype == np.int64 and got["a"].shape == (40000,)
            assert (got["a"] == sum(range(size))).all()
        else:
            assert got["a"] == b"".join(bytes([r]) * 100000 for r in range(size))
    total = comm.allreduce(np.full(100000, rank + 1.0), op=MPI.SUM)
    assert (total == size * (size + 1) / 2).all()
    assert mine["tag"] == [rank]  # the sender's object is untouched


def test_allreduce_large_failing_op_raises_everywhere(comm):
    rank, size = comm.Get_rank(), comm.Get_size()
    if size < 3:
        pytest.skip("the tree runs at 3 or more ranks")
    obj = np.full(50000, rank)

    def bad(x, y):
        if rank == 0:
            raise ZeroDivisionError("op failed on rank 0")
        return x + y

    with pytest.raises((ZeroDivisionError, MPI.Exception)) as info:
        comm.allreduce(obj, op=bad)
    if rank == 0:
        assert info.type is ZeroDivisionError
    else:
        assert "failed on another rank" in str(info.value)
    # the communicator still works afterwards
    assert comm.allreduce(rank) == size * (size - 1) // 2
    assert (comm.allreduce(obj, op=MPI.SUM) == sum(range(size))).all()


def test_wrong_length_raises_self():
    comm = MPI.COMM_SELF
    with pytest.raises(ValueError):
        comm.scatter([1, 2], root=0)
    with pytest.raises(ValueError):
        comm.alltoall([1, 2])
    with pytest.raises(ValueError):
        comm.alltoall([])
    with pytest.raises(TypeError):
        comm.scatter(5, root=0)
    assert comm.scatter(["ok"], root=0) == "ok"
    assert comm.alltoall(("ok",)) == ["ok"]


def test_invalid_root_raises_self():
    comm = MPI.COMM_SELF
    for call in (
        lambda: comm.bcast(1, root=1),
        lambda: comm.gather(1, root=5),
        lambda: comm.scatter([1], root=-9),
        lambda: comm.reduce(1, root=1),
    ):
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() == MPI.ERR_ROOT


def test_unpicklable_collective_self():
    comm = MPI.COMM_SELF
    lock = threading.Lock()
    for call in (
        lambda: comm.bcast(lock, root=0),
        lambda: comm.gather(lock, root=0),
        lambda: comm.allgather(lock),
        lambda: comm.allreduce(lock, op=lambda a, b: a),
    ):
        try:
            call()
        except MPI.Exception:  # pragma: no cover
            raise
        except Exception as exc:
            assert "lock" in str(exc)
        else:
            # a single-rank allreduce/allgather may legitimately skip pickling
            pass
    with pytest.raises(Exception) as info:
        comm.bcast(lock, root=0)
    assert "lock" in str(info.value)
