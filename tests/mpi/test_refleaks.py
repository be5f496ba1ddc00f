"""Reference and memory leaks: every public call that handles Python objects,
repeated many times, must leave memory flat.

Release builds of CPython have no ``sys.gettotalrefcount``, so each check
measures four things across the second half of the loop (the first half
fills caches such as cached keyword tuples, free lists, NumPy's small-block
cache):

* ``sys.getallocatedblocks()``: every leaked small object is one more
  pymalloc block;
* tracemalloc's traced memory (over the first 1,000 calls of the half
  only, as tracing is slow): a leaked object of any kind and size (a bytes,
  a buffer, a Status) stays allocated;
* ``len(gc.get_objects())``: leaked containers (lists, dicts, tuples);
* ``sys.getrefcount`` of the objects the call is given (buffers, the message
  object, datatypes, the op, the communicator, None/True/False): an extra
  ``Py_INCREF`` of an argument leaks no memory but grows its count.

``sys.gettotalrefcount()`` is checked too when the interpreter has it
(a debug build).  Every rank runs the same loops, so the collective calls
match.  ``N`` is 10,000 (``CMPI_REFLEAK_N`` overrides it) for local calls,
``N / 5`` for calls that communicate (see N_COMM).
"""

import gc
import os
import pickle
import sys
import tracemalloc
import weakref
from array import array

import numpy as np
import pytest

from mpiimpl import MPI

# MPICH busy-polls when ranks outnumber the cores: at 3-4 ranks on this
# 2-core machine its collectives are too slow for thousands of calls per test
# within the watchdog.  These checks run at 1-2 ranks under MPICH and at 1-3
# under Open MPI.  At 4 ranks they took 136 s of the 265 s of Open MPI's
# whole tests/mpi run, for no branch of cmpi's that 3 ranks leave untaken:
# the only size test in cmpi's collectives is the large-object allreduce's
# tree (from 3 ranks), whose sending and receiving branches 3 ranks take.
_SIZE = MPI.COMM_WORLD.Get_size()
pytestmark = [
    pytest.mark.skipif(
        _SIZE > 2 and "MPICH" in MPI.Get_library_version(),
        reason="MPICH with more ranks than cores: too slow for the leak loops"),
    pytest.mark.skipif(
        _SIZE > 3, reason="leak loops run at 1-3 ranks: cmpi's collectives branch on size only below 3"),
]

N = int(os.environ.get("CMPI_REFLEAK_N") or 10000)
# Calls that communicate run 2,000 times, not 10,000: on the 2-core test
# machine with 3-4 oversubscribed ranks a message or a collective costs
# 0.1-1 ms, so 10,000 would take minutes per test.  A leak of one object per
# call still shows: 1,000 measured calls leave 16 KB or 1,000 blocks.
# With more ranks than cores (3-4 ranks here), MPICH's busy-polling makes each
# collective slower still: the count shrinks with the number of ranks.
N_COMM = max(N // 5 // max(1, MPI.COMM_WORLD.Get_size() - 1), 100)
WARMUP = 20
WARM_MIN = 1000
TRACED = 1000
OBJ_SLACK = 50
REF_SLACK = 20


def mem_slack(n):
    """Traced bytes that ``n`` calls may leave behind (caches that grow in
    steps, e.g. NumPy's, tracemalloc's own bookkeeping); one leaked object
    per call is at least 16 bytes, so ``n`` calls leak at least ``16 n``
    (small leaks also show in the pymalloc block count)."""
    return max(32 * 1024, min(40 * 1024, 4 * n))


def assert_flat(fn, *watch, n=None):
    """Call ``fn()`` ``n`` times (default ``N``); assert that the second half
    of the calls grew nothing.  The first half reaches the steady state of
    every cache (keyword tuples, free lists, NumPy's small-block cache)."""
    n = N if n is None else n
    half = n // 2
    quarter = half // 2
    traced = min(TRACED, half)
    watch = (None, True, False, MPI.COMM_WORLD, MPI.COMM_SELF) + watch
    # At least WARM_MIN calls: with 4 ranks on 2 cores a collective's loop
    # (half = 333 calls) had not yet settled (pymalloc blocks still grew by
    # ~100 over the next 333 calls, then stopped: not a leak).
    for _ in range(WARMUP + max(half, WARM_MIN)):
        fn()
    gc.collect()
    total0 = sys.gettotalrefcount() if hasattr(sys, "gettotalrefcount") else 0
    refs0 = [sys.getrefcount(o) for o in watch]
    objs0 = len(gc.get_objects())
    # tracemalloc multiplies the cost of a call by 10 or more, so it watches
    # only the first ``traced`` calls of the second half; the counts of
    # objects, blocks and references watch all of it.
    tracemalloc.start()
    try:
        # What one call keeps until the next replaces it (a large send's
        # pickle stream, held until MPI completes the send) was allocated
        # before tracing started: once replaced it would count as growth.
        # A few calls under tracing first put it among the traced memory.
        for _ in range(3):
            fn()
        mem0 = tracemalloc.get_traced_memory()[0]
        for _ in range(traced):
            fn()
        gc.collect()
        mem1 = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # (asserted below, once every rank is through the windows' collective
    # agreement: a rank failing here would leave the others waiting in it)
    traced_growth = mem1 - mem0
    # pymalloc's block count (0 under PYTHONMALLOC=malloc): any leaked object
    # of up to 512 bytes is one more block.  Counted untraced, over windows
    # of ``quarter`` calls: a leak grows every window, whereas what settles
    # late grows the first ones only.  Two windows, and up to two more
    # while none has stayed under the limit: with more ranks than cores a
    # communicating call's first few hundred calls are not always enough to
    # reach every steady state, and a test run alone (test_reduce_allreduce_
    # scan_exscan at 3 ranks) kept growing for about 2,500 calls, by 75 and
    # 13 blocks over two windows of 500, then by 1 a window.
    # Every rank takes as many windows as the others (fn may be a
    # collective): they agree through a buffer Allreduce, which makes no
    # Python object.
    gc.collect()
    limit = max(25, quarter // 10)
    settled = np.zeros(1, dtype=np.intc)
    blocks = [sys.getallocatedblocks()]
    while True:
        for _ in range(quarter):
            fn()
        gc.collect()
        blocks.append(sys.getallocatedblocks())
        growth = [b - a for a, b in zip(blocks, blocks[1:])]
        settled[0] = len(growth) >= 2 and min(growth) < limit
        MPI.COMM_WORLD.Allreduce(MPI.IN_PLACE, settled, op=MPI.MIN)
        if len(growth) == 4 or settled[0]:
            break
    calls = traced + len(growth) * quarter
    assert traced_growth < mem_slack(traced), f"traced memory grew by {traced_growth} bytes over {traced} calls"
    assert min(growth) < limit, (
        f"memory blocks grew by {', '.join(map(str, growth))} over "
        f"{len(growth)} windows of {quarter} calls")
    objs1 = len(gc.get_objects())
    refs1 = [sys.getrefcount(o) for o in watch]
    total1 = sys.gettotalrefcount() if hasattr(sys, "gettotalrefcount") else 0
    assert objs1 - objs0 < OBJ_SLACK, f"{objs1 - objs0} more GC-tracked objects after {calls} calls"
    for o, r0, r1 in zip(watch, refs0, refs1):
        assert abs(r1 - r0) < REF_SLACK, f"refcount of {o!r:.60} went {r0} -> {r1} over {calls} calls"
    if hasattr(sys, "gettotalrefcount"):
        assert total1 - total0 < half // 10, f"total refcount grew by {total1 - total0}"


def test_assert_flat_catches_a_leak():
    # one small object kept every other call: under the traced-memory
    # check's slack, so the block count must catch it, in every window
    kept = []
    calls = iter(range(10**9))

    def leak():
        if next(calls) % 2:
            kept.append(object())

    with pytest.raises(AssertionError, match="memory blocks grew by .* over 4 windows"):
        assert_flat(leak, n=2000)


def ring(comm=MPI.COMM_WORLD):
    rank, size = comm.Get_rank(), comm.Get_size()
    return (rank + 1) % size, (rank - 1) % size


OBJ = {"a": [1, 2.5, "x"], "b": (None, True), "c": b"bytes" * 3}
TAG = 71


# -- point to point, Python objects ------------------------------------------


def test_send_recv_self():
    comm = MPI.COMM_SELF
    status = MPI.Status()

    def step():
        req = comm.irecv(source=0, tag=TAG)
        comm.send(OBJ, dest=0, tag=TAG)
        assert req.wait(status) == OBJ

    assert_flat(step, OBJ, status, comm, n=N_COMM)


def test_isend_recv_ring():
    comm = MPI.COMM_WORLD
    dest, source = ring()

    def step():
        req = comm.isend(OBJ, dest=dest, tag=TAG)
        got = comm.recv(source=source, tag=TAG)
        req.wait()
        assert got == OBJ

    assert_flat(step, OBJ, n=N_COMM)


def test_sendrecv():
    comm = MPI.COMM_WORLD
    dest, source = ring()
    status = MPI.Status()

    def step():
        got = comm.sendrecv(OBJ, dest=dest, sendtag=TAG, source=source, recvtag=TAG, status=status)
        assert got == OBJ and status.Get_source() == source

    assert_flat(step, OBJ, status, n=N_COMM)


def test_probe_mprobe_message_recv():
    comm = MPI.COMM_WORLD
    dest, source = ring()
    status = MPI.Status()

    def step():
        req = comm.isend(OBJ, dest=dest, tag=TAG)
        comm.probe(source=source, tag=TAG, status=status)
        assert status.Get_count() > 0
        msg = comm.mprobe(source=source, tag=TAG)
        assert msg.recv(status) == OBJ
        req.wait()

    assert_flat(step, OBJ, status, n=N_COMM)


def test_iprobe_improbe_nothing_pending():
    comm = MPI.COMM_WORLD
    status = MPI.Status()

    def step():
        assert comm.iprobe(source=MPI.ANY_SOURCE, tag=TAG, status=status) is False
        assert comm.improbe(source=MPI.ANY_SOURCE, tag=TAG, status=status) is None

    # An unsuccessful probe makes Open MPI (mpi_yield_when_idle, as the
    # suite runs it) give up the CPU, which on a loaded machine costs up to
    # milliseconds: 2,000 calls, not 10,000.
    assert_flat(step, status, n=N_COMM)
    comm.barrier()


def test_irecv_waitall_testall():
    comm = MPI.COMM_WORLD
    dest, source = ring()
    objs = [OBJ, 7, "seven"]
    statuses = [MPI.Status() for _ in objs]

    def step():
        recvs = [comm.irecv(source=source, tag=TAG + i) for i in range(3)]
        sends = [comm.isend(o, dest=dest, tag=TAG + i) for i, o in enumerate(objs)]
        assert MPI.Request.waitall(recvs, statuses) == objs
        flag, _ = MPI.Request.testall(sends)
        if not flag:
            MPI.Request.waitall(sends)

    assert_flat(step, *objs, *statuses, n=N_COMM)


def test_waitany_testany_waitsome_test():
    comm = MPI.COMM_WORLD
    dest, source = ring()

    def step():
        recvs = [comm.irecv(source=source, tag=TAG + i) for i in range(3)]
        sends = [comm.isend(i, dest=dest, tag=TAG + i) for i in range(3)]
        got = []
        idx, obj = MPI.Request.waitany(recvs)
        got.append(obj)
        while len(got) < 3:
            idx, flag, obj = MPI.Request.testany(recvs)
            if flag:
                got.append(obj)
            indices, objs = MPI.Request.waitsome(recvs)
            if indices:
                got += objs  # type: ignore[arg-type]
        assert sorted(got) == [0, 1, 2]
        for s in sends:
            flag, _ = s.test()
            if not flag:
                s.wait()

    assert_flat(step, n=N_COMM)


def test_status_objects():
    status = MPI.Status()

    def step():
        s = MPI.Status(status)
        s.Set_source(3)
        s.Set_tag(4)
        s.Set_error(MPI.SUCCESS)
        s.Set_elements(MPI.BYTE, 5)
        assert (s.source, s.tag, s.error) == (3, 4, MPI.SUCCESS)
        assert s.Get_count(MPI.BYTE) == 5 and s.Get_elements(MPI.BYTE) == 5
        assert s.Is_cancelled() is False
        assert s == s

    assert_flat(step, status, MPI.BYTE)


# -- collectives, Python objects ---------------------------------------------


def test_bcast_gather_scatter():
    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    items = [(i, "x" * i) for i in range(size)]

    def step():
        assert comm.bcast(OBJ, root=0) == OBJ
        g = comm.gather(rank, root=0)
        assert g == (list(range(size)) if rank == 0 else None)
        assert comm.scatter(items if rank == 0 else None, root=0) == items[rank]

    assert_flat(step, OBJ, items, n=N_COMM)


def test_allgather_alltoall():
    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    out = [(rank, j) for j in range(size)]

    def step():
        assert comm.allgather(OBJ) == [OBJ] * size
        assert comm.alltoall(out) == [(j, rank) for j in range(size)]

    assert_flat(step, OBJ, out, n=N_COMM)


def test_reduce_allreduce_scan_exscan():
    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    total = size * (size - 1) // 2

    def step():
        assert comm.reduce(rank, op=MPI.SUM, root=0) == (total if rank == 0 else None)
        assert comm.allreduce(rank, op=MPI.MAX) == size - 1
        assert comm.allreduce([rank], op=MPI.SUM) == list(range(size))
        assert comm.scan(rank) == rank * (rank + 1) // 2
        ex = comm.exscan(rank)
        assert ex == (None if rank == 0 else rank * (rank - 1) // 2)
        comm.barrier()

    assert_flat(step, MPI.SUM, MPI.MAX, n=N_COMM)


# -- pickle --------------------------------------------------------------------


def test_pickle_dumps_loads():
    pick = MPI.pickle
    arr = np.arange(10.0)

    def step():
        data = pick.dumps(OBJ)
        assert pick.loads(data) == OBJ
        assert np.array_equal(pick.loads(pick.dumps(arr)), arr)

    assert_flat(step, OBJ, arr, pick)


def test_large_object_out_of_band():
    # Arrays above the out-of-band threshold travel in separate messages.
    comm = MPI.COMM_WORLD
    dest, source = ring()
    big = {"x": np.arange(20000, dtype="f8"), "y": [np.ones(9000, "i4")]}

    def step():
        got = comm.sendrecv(big, dest=dest, source=source)
        assert np.array_equal(got["x"], big["x"])  # type: ignore[arg-type]
        got = comm.bcast(big, root=0)
        assert got["y"][0].shape == (9000,)

    # 250 KB sent and received per call: 2,000 calls, not 10,000, to keep the
    # test short; a leaked array would be 500 KB per call.
    assert_flat(step, big, big["x"], n=N_COMM)


# -- buffers -------------------------------------------------------------------


def test_buffers_send_recv():
    comm = MPI.COMM_WORLD
    dest, source = ring()
    sbufs = [np.arange(16, dtype="i4"), bytearray(b"abcdefgh"), array("d", [1.5, 2.5])]
    rbufs = [np.empty(16, dtype="i4"), bytearray(8), array("d", [0.0, 0.0])]
    status = MPI.Status()

    def step():
        for i, (sb, rb) in enumerate(zip(sbufs, rbufs)):
            req = comm.Isend(sb, dest=dest, tag=TAG + i)
            comm.Recv(rb, source=source, tag=TAG + i, status=status)
            req.Wait()
        r = comm.Irecv([rbufs[0], 4, MPI.INT], source=source, tag=TAG)
        comm.Send([sbufs[0], 4, MPI.INT], dest=dest, tag=TAG)
        r.Wait(status)
        comm.Sendrecv([sbufs[0], (4, 2), MPI.INT], dest, TAG, [rbufs[0], (4, 2), MPI.INT], source, TAG)

    assert_flat(step, *sbufs, *rbufs, status, MPI.INT, n=N_COMM)


def test_buffers_collectives():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    a = np.arange(4, dtype="f8")
    b = np.empty(4 * size, dtype="f8")
    c = np.empty(4, dtype="f8")
    counts, displs = [4] * size, [4 * i for i in range(size)]

    def step():
        comm.Bcast(a, root=0)
        comm.Allgather(a, b)
        comm.Allgatherv(a, [b, counts, displs, MPI.DOUBLE])
        comm.Allreduce(a, c, op=MPI.SUM)
        comm.Reduce(a, c, op=MPI.SUM, root=0)
        comm.Alltoall(b, b.copy())
        comm.Scatter(b, c, root=0)
        comm.Gatherv(a, [b, counts, displs, MPI.DOUBLE], root=0)

    assert_flat(step, a, b, c, counts, displs, MPI.DOUBLE, MPI.SUM, n=N_COMM)


def test_pack_unpack():
    comm = MPI.COMM_SELF
    src = np.arange(8, dtype="i4")
    dst = np.empty(8, dtype="i4")
    packed = bytearray(MPI.INT.Pack_size(8, comm))

    def step():
        pos = MPI.INT.Pack(src, packed, 0, comm)
        assert pos == len(packed)
        assert MPI.INT.Unpack(packed, 0, dst, comm) == pos

    assert_flat(step, src, dst, packed, MPI.INT)


# -- datatypes and ops ---------------------------------------------------------


def test_datatype_create_decode_free():
    base = MPI.DOUBLE

    def step():
        vec = base.Create_vector(2, 1, 3)
        idx = MPI.INT.Create_indexed([1, 2], [0, 3])
        st = MPI.Datatype.Create_struct([1, 2], [0, 8], [MPI.INT, vec])
        res = st.Create_resized(0, 64).Commit()
        assert res.Get_envelope()[-1] == MPI.COMBINER_RESIZED
        types = st.Get_contents()[-1]
        assert len(types) == 2
        for t in types:
            if not t.is_predefined:
                t.Free()
        inner, combiner, params = vec.decode()
        assert combiner == "VECTOR" and params["count"] == 2
        assert res.envelope
        # contents, like Get_contents, gives new handles the caller frees
        # (unfreed, MPICH counted 22,000 leaked handles at exit)
        contents = res.contents
        assert contents
        for t in contents[-1]:
            if not t.is_predefined:
                t.Free()
        for t in (vec, idx, st, res):
            t.Free()

    assert_flat(step, base, MPI.INT)


def test_weak_references_to_handles():
    """Handle objects with live weak references (and proxies, and callbacks)
    die cleanly: their dealloc clears the references, nothing stays."""
    comm = MPI.COMM_WORLD
    dead: list = []

    def step():
        status = MPI.Status()
        dtype = MPI.INT.Dup()
        group = comm.Get_group()
        info = MPI.Info.Create()
        exc = MPI.Exception(MPI.ERR_OTHER)
        refs = [weakref.ref(status, dead.append), weakref.ref(dtype), weakref.proxy(group),
                weakref.ref(info), weakref.ref(exc), weakref.ref(comm)]
        assert refs[0]() is status
        dtype.Free()
        group.Free()
        info.Free()
        del status, dtype, group, info, exc
        assert refs[0]() is None and refs[-1]() is comm
        dead.clear()

    assert_flat(step, comm, MPI.INT)


def test_op_create_user_reduce():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()

    def add(inbuf, inoutbuf, datatype):
        a = np.frombuffer(inbuf, dtype="i4")
        b = np.frombuffer(inoutbuf, dtype="i4")
        b += a

    src = np.ones(4, dtype="i4")
    dst = np.empty(4, dtype="i4")

    def step():
        op = MPI.Op.Create(add, commute=True)
        comm.Allreduce(src, dst, op=op)
        assert dst[0] == size
        op.Free()

    assert_flat(step, add, src, dst, n=N_COMM)


# -- error paths ---------------------------------------------------------------


def test_error_paths():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    buf = bytearray(8)
    caught = {}

    def expect(exc, fn, *args, **kw):
        try:
            fn(*args, **kw)
        except exc as e:
            caught[exc] = type(e)
        else:
            raise AssertionError(f"{fn} did not raise {exc}")

    def step():
        expect(TypeError, comm.Send, object(), 0)
        expect((KeyError, TypeError), comm.Send, [buf, "no-such-type"], 0)
        expect((ValueError, MPI.Exception), comm.Send, [buf, 99, MPI.BYTE], 0)
        expect((ValueError, MPI.Exception), comm.send, 1, dest=size + 3)
        expect((ValueError, MPI.Exception), comm.recv, source=size + 3)
        expect(TypeError, comm.bcast, 1, root="zero")
        expect((ValueError, MPI.Exception), MPI.INT.Create_vector, -1, 1, 1)
        expect(TypeError, MPI.Datatype.Create_struct, [1], [0], [object()])
        expect(pickle.UnpicklingError, MPI.pickle.loads, b"\x80\x05junk")
        expect(TypeError, MPI.Request.waitall, [1, 2])

    assert_flat(step, buf)
