"""Request.Waitsome / Testsome (and lowercase waitsome / testsome), the
MPI-4.1 Request.Get_status_any / all / some, and cancelling receives.

mpi4py 4.1 semantics checked here:

* Waitsome/Testsome return the list of completed indices, ``None`` when
  every request is null (MPI's outcount UNDEFINED); Testsome returns ``[]``
  when nothing has completed yet.  ``statuses[k]`` describes
  ``requests[indices[k]]``.
* waitsome/testsome return ``(indices, objects)``: objects aligned with
  indices, ``(None, None)`` when every request is null.
* Get_status_any/all/some need MPI 4.1: on Open MPI 4.1 and MPICH 4.0
  they raise NotImplementedError (cmpi's message names the MPI function).
"""

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import ring


def check_not_implemented(exc, name):
    if IS_CMPI:
        assert name in str(exc), f"message {str(exc)!r} does not name {name}"


def test_waitsome(comm):
    rank, size, dest, source = ring(comm)
    tags = [20, 21, 22, 23]
    rbufs = [np.zeros(3, dtype="i") for _ in tags]
    reqs = [comm.Irecv(b, source, t) for b, t in zip(rbufs, tags)]
    reqs.insert(1, MPI.REQUEST_NULL)  # a null request is never reported
    sreqs = [comm.Isend(np.array([rank, t, 0], dtype="i"), dest, t) for t in reversed(tags)]
    seen, pairs, rounds = [], [], 0  # type: ignore[var-annotated]
    while True:
        statuses = [MPI.Status() for _ in reqs]
        idx = MPI.Request.Waitsome(reqs, statuses)
        if idx is None:
            break
        rounds += 1
        assert isinstance(idx, list) and len(idx) >= 1
        seen.extend(idx)
        pairs.extend((i, statuses[k].tag, statuses[k].source) for k, i in enumerate(idx))
    MPI.Request.Waitall(sreqs)
    assert sorted(seen) == [0, 2, 3, 4]  # each exactly once
    expect_tag = {0: 20, 2: 21, 3: 22, 4: 23}
    for i, tag, src in pairs:
        assert tag == expect_tag[i] and src == source
    assert all(r == MPI.REQUEST_NULL for r in reqs)
    for b, t in zip(rbufs, tags):
        assert b.tolist() == [source, t, 0]
    assert 1 <= rounds <= 4


def test_waitsome_without_statuses(comm):
    rank, size, dest, source = ring(comm)
    rbuf = np.zeros(2)
    reqs = [comm.Irecv(rbuf, source, 24)]
    sreq = comm.Isend(np.full(2, float(rank)), dest, 24)
    idx = MPI.Request.Waitsome(reqs)
    sreq.Wait()
    assert idx == [0]
    assert rbuf.tolist() == [float(source)] * 2


def test_testsome_polling(comm):
    rank, size, dest, source = ring(comm)
    rbufs = [np.zeros(2, dtype="i") for _ in range(3)]
    reqs = [comm.Irecv(b, source, 30 + i) for i, b in enumerate(rbufs)]
    seen = []
    sreqs = [comm.Isend(np.array([rank, i], dtype="i"), dest, 30 + i) for i in range(3)]
    while True:
        idx = MPI.Request.Testsome(reqs)
        if idx is None:
            break
        seen.extend(idx)
    MPI.Request.Waitall(sreqs)
    assert sorted(seen) == [0, 1, 2]
    assert [b.tolist() for b in rbufs] == [[source, i] for i in range(3)]


def test_testsome_nothing_completed():
    comm = MPI.COMM_SELF
    buf = np.zeros(1)
    reqs = [comm.Irecv(buf, 0, 35), MPI.REQUEST_NULL]
    lreqs = [comm.irecv(source=0, tag=36)]
    first = MPI.Request.Testsome(reqs)
    lfirst = MPI.Request.testsome(lreqs)
    for r in (reqs[0], lreqs[0]):
        r.Cancel()
        r.Wait()
    assert first == []
    assert lfirst == ([], [])


def test_all_null():
    reqs = [MPI.REQUEST_NULL, MPI.Request()]
    assert MPI.Request.Waitsome(reqs) is None
    assert MPI.Request.Testsome(reqs) is None
    assert MPI.Request.waitsome(reqs) == (None, None)
    assert MPI.Request.testsome(reqs) == (None, None)
    assert MPI.Request.Waitsome([]) is None
    assert MPI.Request.waitsome([]) == (None, None)


def test_lowercase_waitsome(comm):
    rank, size, dest, source = ring(comm)
    reqs = [comm.irecv(source=source, tag=40 + i) for i in range(3)]
    sreqs = [comm.isend({"i": i, "rank": rank}, dest, 40 + i) for i in (2, 0, 1)]
    got = {}
    while True:
        result = MPI.Request.waitsome(reqs)
        assert isinstance(result, tuple) and len(result) == 2
        idx, objs = result
        if idx is None:
            assert objs is None
            break
        assert len(idx) == len(objs) >= 1  # type: ignore[arg-type]
        for i, o in zip(idx, objs):  # type: ignore[arg-type]
            assert i not in got
            got[i] = o
    done = MPI.Request.waitsome(sreqs)
    MPI.Request.waitall(sreqs)
    assert got == {i: {"i": i, "rank": source} for i in range(3)}
    assert done[0] is None or all(o is None for o in done[1])  # type: ignore[union-attr]


def test_lowercase_testsome(comm):
    rank, size, dest, source = ring(comm)
    reqs = [comm.irecv(source=source, tag=50), comm.irecv(source=source, tag=51)]
    sreqs = [comm.isend(("a", rank), dest, 50), comm.isend(("b", rank), dest, 51)]
    got = {}
    statuses = [MPI.Status(), MPI.Status()]
    while True:
        idx, objs = MPI.Request.testsome(reqs, statuses)
        if idx is None:
            break
        for k, (i, o) in enumerate(zip(idx, objs)):  # type: ignore[arg-type]
            got[i] = (o, statuses[k].tag)
    MPI.Request.waitall(sreqs)
    assert got == {0: (("a", source), 50), 1: (("b", source), 51)}


def _get_status(name, *args):
    """Call Request.<name>; None when the library lacks the MPI-4.1 call."""
    try:
        return True, getattr(MPI.Request, name)(*args)
    except NotImplementedError as exc:
        fn = {"Get_status_any": "MPI_Request_get_status_any",
              "Get_status_all": "MPI_Request_get_status_all",
              "Get_status_some": "MPI_Request_get_status_some"}[name]
        check_not_implemented(exc, fn)
        return False, None


def test_get_status_any_all_some(comm):
    for name in ("Get_status_any", "Get_status_all", "Get_status_some"):
        assert hasattr(MPI.Request, name)
        assert hasattr(MPI.Request, name.lower())
    rank, size, dest, source = ring(comm)
    rbufs = [np.zeros(1, dtype="i") for _ in range(2)]
    reqs = [comm.Irecv(b, source, 60 + i) for i, b in enumerate(rbufs)]
    sreqs = [comm.Isend(np.array([rank * 10 + i], dtype="i"), dest, 60 + i) for i in range(2)]
    MPI.Request.Waitall(sreqs)
    results = {}
    # poll: every request completes eventually; none is freed by the calls
    ok, _ = _get_status("Get_status_all", reqs)
    if ok:
        while True:
            ok, flag = _get_status("Get_status_all", reqs, [MPI.Status(), MPI.Status()])
            if flag:
                break
        results["all"] = flag
        s = MPI.Status()
        results["any"] = _get_status("Get_status_any", reqs, s)[1]
        results["any_tag"] = s.tag
        results["some"] = _get_status("Get_status_some", reqs)[1]
        results["alive"] = [bool(r) for r in reqs]
    MPI.Request.Waitall(reqs)
    assert [b[0] for b in rbufs] == [source * 10, source * 10 + 1]
    if results:
        assert results["all"] is True
        idx, flag = results["any"]
        assert flag is True and idx in (0, 1) and results["any_tag"] == 60 + idx
        assert sorted(results["some"]) == [0, 1]
        assert results["alive"] == [True, True]


def test_get_status_with_null_requests():
    reqs = [MPI.REQUEST_NULL]
    ok, res = _get_status("Get_status_any", reqs)
    if ok:
        assert res == (MPI.UNDEFINED, True)
        assert _get_status("Get_status_all", reqs)[1] is True
        assert _get_status("Get_status_some", reqs)[1] is None


def test_cancel_pending_irecv():
    comm = MPI.COMM_SELF
    buf = np.full(3, -1)
    req = comm.Irecv(buf, 0, 70)
    req.Cancel()
    s = MPI.Status()
    req.Wait(s)
    r1 = (s.Is_cancelled(), s.cancelled, req == MPI.REQUEST_NULL, buf.tolist())
    # the tag is free again: a new message goes to a new receive
    rreq = comm.Irecv(buf, 0, 70)
    sreq = comm.Isend(np.array([1, 2, 3]), 0, 70)
    s2 = MPI.Status()
    rreq.Wait(s2)
    sreq.Wait()
    assert r1 == (True, True, True, [-1, -1, -1])
    assert s2.Is_cancelled() is False
    assert buf.tolist() == [1, 2, 3]


def test_cancel_pending_lowercase_irecv():
    comm = MPI.COMM_SELF
    req = comm.irecv(source=0, tag=71)
    req.cancel()
    s = MPI.Status()
    obj = req.wait(s)
    cancelled = s.Is_cancelled()
    req2 = comm.irecv(source=0, tag=71)
    sreq = comm.isend("after", 0, 71)
    got = req2.wait()
    sreq.wait()
    assert cancelled is True
    assert obj is None
    assert got == "after"


def test_cancel_with_test_loop(comm):
    rank, size, dest, source = ring(comm)
    buf = np.zeros(2)
    req = comm.Irecv(buf, source, 72)  # nobody sends on tag 72
    req.Cancel()
    s = MPI.Status()
    while not req.Test(s):
        pass
    assert s.Is_cancelled() is True


def test_cancel_completed_receive_has_no_effect(comm):
    rank, size, dest, source = ring(comm)
    buf = np.zeros(2, dtype="i")
    req = comm.Irecv(buf, source, 73)
    sreq = comm.Isend(np.array([rank, 73], dtype="i"), dest, 73)
    while not req.Get_status():
        pass
    req.Cancel()
    s = MPI.Status()
    req.Wait(s)
    sreq.Wait()
    assert s.Is_cancelled() is False
    assert (s.source, s.tag) == (source, 73)
    assert buf.tolist() == [source, 73]
