"""Point-to-point communication of pickled Python objects."""

import threading

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import ring, same, stray_guard

OBJECTS = [
    None,
    True,
    False,
    0,
    7,
    -3,
    2**100,
    -(2**70) + 1,
    3.14,
    float("inf"),
    float("nan"),
    1 + 2j,
    "",
    "héllo wörld ☃",
    b"",
    b"\x00bytes\xff",
    bytearray(b"ba"),
    [],
    [1, "a", None, 2.5],
    (1, (2, (3,))),
    {"a": 1, 2: [3, 4], (5, 6): {"x": None}},
    {1, 2, 3},
    frozenset({"f"}),
    {"nested": [{"k": [1, 2, {"deep": (b"x", 3j)}]}]},
    np.arange(10),
    np.zeros((3, 4), dtype=np.complex128),
    np.array([], dtype=np.float32),
    np.float64(2.5),
    range(3, 9, 2),
    Ellipsis,
]


def payload(obj, rank):
    """Tag a test object with the sender's rank, so misrouting is visible."""
    return (rank, obj)


def test_send_recv_ring(comm):
    rank, size, dest, source = ring(comm)
    results = []
    for obj in OBJECTS:
        req = comm.isend(payload(obj, rank), dest, 1)
        got = comm.recv(source=source, tag=1)
        req.wait()
        results.append(got)
    for obj, got in zip(OBJECTS, results):
        assert same(got, payload(obj, source)), (obj, got)


def test_blocking_send_recv_pairs(comm):
    # Blocking send/recv between neighbours in a ring: even ranks send
    # first, odd ranks receive first; at size 1 send to self (eager) first.
    rank, size, dest, source = ring(comm)
    obj = {"from": rank, "data": list(range(50))}
    if size == 1:  # a blocking send to self may block (MPICH): not portable
        req = comm.isend(obj, dest=0, tag=2)
        got = comm.recv(source=0, tag=2)
        req.wait()
    elif rank % 2 == 0:
        comm.send(obj, dest=dest, tag=2)
        got = comm.recv(source=source, tag=2)
    else:
        got = comm.recv(source=source, tag=2)
        comm.send(obj, dest=dest, tag=2)
    assert got == {"from": source, "data": list(range(50))}


def test_sendrecv_ring(comm):
    rank, size, dest, source = ring(comm)
    for obj in OBJECTS[::3]:
        got = comm.sendrecv(payload(obj, rank), dest=dest, sendtag=3, source=source, recvtag=3)
        assert same(got, payload(obj, source))


def test_sendrecv_status_anysource(comm):
    rank, size, dest, source = ring(comm)
    s = MPI.Status()
    got = comm.sendrecv(rank, dest, 4, None, MPI.ANY_SOURCE, MPI.ANY_TAG, s)
    assert got == source
    assert (s.source, s.tag) == (source, 4)


def test_ssend(comm):
    rank, size, dest, source = ring(comm)
    partner = rank ^ 1
    got = None
    if partner < size:
        if rank % 2 == 0:
            comm.ssend(["ssend", rank], dest=partner, tag=5)
            got = comm.recv(source=partner, tag=5)
        else:
            got = comm.recv(source=partner, tag=5)
            comm.ssend(["ssend", rank], dest=partner, tag=5)
        assert got == ["ssend", partner]


def test_issend(comm):
    rank, size, dest, source = ring(comm)
    req = comm.issend(("issend", rank), dest, 6)
    got = comm.recv(source=source, tag=6)
    req.wait()
    assert got == ("issend", source)


def test_recv_status(comm):
    rank, size, dest, source = ring(comm)
    req = comm.isend("s" * (rank + 1), dest, 7)
    s = MPI.Status()
    got = comm.recv(None, MPI.ANY_SOURCE, MPI.ANY_TAG, s)
    req.wait()
    assert got == "s" * (source + 1)
    assert s.Get_source() == source and s.Get_tag() == 7


def test_any_source_any_tag(comm):
    rank, size, dest, source = ring(comm)
    req = comm.isend(rank, dest, 100 + rank)
    s = MPI.Status()
    got = comm.recv(source=MPI.ANY_SOURCE, tag=MPI.ANY_TAG, status=s)
    req.wait()
    assert got == source
    assert s.tag == 100 + source


def test_probe(comm):
    rank, size, dest, source = ring(comm)
    req = comm.isend([rank] * 10, dest, 8)
    s = MPI.Status()
    assert comm.probe(MPI.ANY_SOURCE, 8, s) is True
    got = comm.recv(source=s.source, tag=s.tag)
    req.wait()
    assert s.source == source
    assert got == [source] * 10


def test_iprobe(comm):
    rank, size, dest, source = ring(comm)
    assert comm.iprobe(source=source, tag=999) is False
    req = comm.isend(rank, dest, 9)
    s = MPI.Status()
    while not comm.iprobe(source, 9, s):
        pass
    got = comm.recv(source=source, tag=9)
    req.wait()
    assert got == source
    assert (s.source, s.tag) == (source, 9)


def test_large_object(comm):
    rank, size, dest, source = ring(comm)
    big = np.full(10 * 2**20 // 8, float(rank))  # 10 MB
    obj = {"big": big, "rank": rank, "text": "x" * 2**20}
    got = comm.sendrecv(obj, dest=dest, source=source)
    assert got["rank"] == source
    assert got["big"].shape == big.shape
    assert np.all(got["big"] == float(source))
    assert got["text"] == "x" * 2**20


def test_proc_null():
    comm = MPI.COMM_WORLD
    assert comm.send("x", dest=MPI.PROC_NULL) is None  # type: ignore[func-returns-value]
    assert comm.recv(source=MPI.PROC_NULL) is None
    s = MPI.Status()
    assert comm.recv(source=MPI.PROC_NULL, status=s) is None
    assert s.source == MPI.PROC_NULL
    assert comm.sendrecv("y", dest=MPI.PROC_NULL, source=MPI.PROC_NULL) is None
    assert comm.ssend("z", dest=MPI.PROC_NULL) is None  # type: ignore[func-returns-value]
    assert comm.isend(1, MPI.PROC_NULL).wait() is None
    assert comm.irecv(source=MPI.PROC_NULL).wait() is None
    assert comm.probe(source=MPI.PROC_NULL) is True
    assert comm.iprobe(source=MPI.PROC_NULL) is True


IDENTITY = lambda a: a  # noqa: E731  (module level: pickle names the type)


def _gen():
    yield 1


def _unpicklables():
    return [threading.Lock(), IDENTITY, _gen()]


@pytest.mark.parametrize("method", ["send", "isend", "ssend", "sendrecv"])
def test_unpicklable_raises(method):
    comm = MPI.COMM_SELF
    for obj in _unpicklables():
        with stray_guard(comm) as guard:
            with pytest.raises(Exception) as info:
                if method == "sendrecv":
                    comm.sendrecv(obj, dest=0, sendtag=30, source=0, recvtag=31)
                else:
                    req = getattr(comm, method)(obj, dest=0, tag=30)
                    if req is not None:
                        req.wait()
        assert guard.strays == 0  # nothing was sent
        assert not isinstance(info.value, MPI.Exception)
        assert type(obj).__name__ in str(info.value), str(info.value)


def test_unpicklable_in_container():
    comm = MPI.COMM_SELF
    with stray_guard(comm) as guard:
        with pytest.raises(Exception) as info:
            comm.send({"ok": 1, "bad": threading.Lock()}, dest=0, tag=31)
    assert "lock" in str(info.value)
    assert guard.strays == 0


def test_invalid_dest_raises():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    for call in (
        lambda: comm.send(1, dest=size),
        lambda: comm.send(1, dest=-9),
        lambda: comm.isend(1, dest=size),
        lambda: comm.ssend(1, dest=size),
    ):
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() == MPI.ERR_RANK


def test_invalid_source_raises():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    with pytest.raises(MPI.Exception) as info:
        comm.recv(source=size)
    assert info.value.Get_error_class() == MPI.ERR_RANK
    with pytest.raises(MPI.Exception) as info:
        comm.probe(source=size)
    assert info.value.Get_error_class() == MPI.ERR_RANK


def test_invalid_tag_raises():
    comm = MPI.COMM_SELF
    with stray_guard(comm) as guard:
        with pytest.raises(MPI.Exception) as info1:
            comm.send(1, dest=0, tag=-5)
        with pytest.raises(MPI.Exception) as info2:
            comm.isend(1, dest=0, tag=-5)
    assert info1.value.Get_error_class() == MPI.ERR_TAG
    assert info2.value.Get_error_class() == MPI.ERR_TAG
    assert guard.strays == 0


def test_keyword_arguments():
    comm = MPI.COMM_SELF
    req = comm.isend(obj="kw", dest=0, tag=32)
    s = MPI.Status()
    got = comm.recv(buf=None, source=0, tag=32, status=s)
    req.wait(status=None)
    assert got == "kw"
    got = comm.sendrecv(sendobj=[1], dest=0, sendtag=33, recvbuf=None, source=0, recvtag=33, status=None)
    assert got == [1]


def test_irecvs_in_flight_together_each_get_their_own_message():
    # irecv() given no buffer borrows one kept receive buffer while nothing
    # else holds it (csrc/p2p_obj.c, irecv_buffer): irecvs posted together,
    # messages of changing sizes completed in changing orders, and one
    # dropped while pending (its buffer stays held for good) each still get
    # their own message
    comm = MPI.COMM_SELF
    for rnd in range(4):
        msgs = [{"i": i, "round": rnd, "s": "z" * (300 * i * (rnd + 1))} for i in range(3)]
        reqs = [comm.irecv(source=0, tag=70 + i) for i in range(3)]
        sends = [comm.isend(m, dest=0, tag=70 + i) for i, m in enumerate(msgs)]
        for i in ([2, 0, 1] if rnd % 2 else [0, 1, 2]):
            assert reqs[i].wait() == msgs[i]
        for s in sends:
            s.wait()
        # one alone after a long one: nothing of the long one shows
        req = comm.irecv(source=0, tag=73)
        comm.isend(rnd, dest=0, tag=73).wait()
        assert req.wait() == rnd
    dropped = comm.irecv(source=0, tag=74)
    del dropped
    req = comm.irecv(source=0, tag=75)
    comm.isend("to the dropped one", dest=0, tag=74).wait()
    comm.isend("to the waited one", dest=0, tag=75).wait()
    assert req.wait() == "to the waited one"
