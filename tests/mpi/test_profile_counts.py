"""The C side of the MPI profile and timeline (issue 19): MPI._prof_install
wraps every public callable, MPI._prof_start/_prof_stop/_prof_reset drive
the counters, MPI._prof_data and MPI._prof_trace read them.

Every test counts only its own calls (reset, start, the known program,
stop in a finally) and checks the figures exactly; time and wait are
sampled by default (a sampler thread), so the tests that check time
relations count with exact timing (_prof_start(exact=True)), and those
of the sampler check what sampling guarantees; the wrappers stay
installed for the rest of the process, so everything after this file runs
through them.
"""

import array
import inspect
import os
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

from conftest import TIMEOUT as WATCHDOG_SECONDS
from mpiimpl import IS_CMPI, MPI

pytestmark = pytest.mark.skipif(not IS_CMPI, reason="cmpi's own profile API")

if IS_CMPI:
    from cmpi import _collcheck

    #: --check-collectives: the checker's wrappers, installed first, are
    #: wrapped in turn, so a collective's figures include the checker's own
    #: exchange, and its calls (Get_attr, ...) are counted and traced too
    CHECKING = _collcheck.enabled()
else:
    CHECKING = False

N = 5
#: every test starts the ring with this size (the ring is made once)
RING = 64


#: CMPI_PROFILE_INSTALL_FIRST=trace (conftest.py) counts the whole suite:
#: these tests leave it counting
_SUITE_COUNTS = os.environ.get("CMPI_PROFILE_INSTALL_FIRST") == "trace"


@pytest.fixture(autouse=True)
def _installed():
    MPI._prof_install()
    MPI._prof_stop()
    MPI._prof_reset()
    yield
    MPI._prof_stop()
    if _SUITE_COUNTS:
        MPI._prof_start(RING)


class profiled:
    """Count (and trace) the calls of the with-block only."""

    def __init__(self, trace=0, exact=False):
        self.trace = trace
        self.exact = exact

    def __enter__(self):
        MPI._prof_reset()
        MPI._prof_start(self.trace, exact=self.exact)
        return self

    def __exit__(self, *exc):
        MPI._prof_stop()
        self.data = MPI._prof_data()
        self.events, self.dropped = MPI._prof_trace()


def partner(comm):
    """Pairs (0, 1), (2, 3), ...: even ranks send, odd ranks receive; a
    rank without a partner talks to PROC_NULL."""
    rank, size = comm.Get_rank(), comm.Get_size()
    other = rank ^ 1
    return rank, (other if other < size else MPI.PROC_NULL)


def check_times(data):
    for name, (calls, time_ns, wait_ns, sent, received) in data.items():
        assert calls > 0 and 0 <= wait_ns <= time_ns, (name, data[name])
        assert sent >= 0 and received >= 0, (name, data[name])


def test_install_is_idempotent():
    assert MPI._prof_install() == 0
    # instance methods of the C classes are direct methods (method
    # descriptors calling a trampoline); the rest keep a wrapper object
    assert type(MPI.Comm.__dict__["Get_rank"]).__name__ == "method_descriptor"
    assert type(MPI.__dict__["Wtime"]).__name__ == "_profiled_call"


def test_bound_methods_follow_start_and_stop():
    """While the profile is stopped, a direct method calls the original's C
    function itself; a method bound before _prof_start is counted after it,
    and one bound while counting is not counted once it stops."""
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank
    with profiled() as p:
        assert rank() == comm.rank
        size = comm.Get_size  # METH_NOARGS: always the trampoline
        barrier = comm.Barrier  # METH_FASTCALL | METH_KEYWORDS: switched
        barrier()
    assert p.data["Comm.Get_rank"][0] == 1
    assert p.data["Comm.Barrier"][0] == 1
    MPI._prof_reset()
    barrier()
    size()
    with profiled() as p:
        pass
    assert "Comm.Barrier" not in p.data and "Comm.Get_size" not in p.data
    with profiled() as p:
        barrier()
        barrier()
    assert p.data["Comm.Barrier"][0] == 2


def test_every_method_is_direct():
    """No instance method of a C class is left in a wrapper object (which
    happens past profile.c's PROF_DIRECT_MAX trampolines: raise it)."""
    kept = [f"{cls.__name__}.{k}" for cls in vars(MPI).values()
            if isinstance(cls, type) for k, v in vars(cls).items()
            if type(v).__name__ == "_profiled_method"
            and type(v.__wrapped__).__name__ == "method_descriptor"]
    assert not kept


def test_direct_methods_called_wrongly_raise_as_the_originals():
    comm: Any = MPI.COMM_WORLD
    comm_class: Any = MPI.Comm
    cases = [
        (lambda: comm.Get_rank(1), "takes no arguments"),  # METH_NOARGS
        (lambda: comm.Get_rank(x=1), "takes no keyword arguments"),
        (lambda: comm_class.Get_rank(5), "Comm' objects"),  # self's class
        (lambda: comm_class.Get_rank(), "needs an argument"),
        (lambda: comm.Send(), "buf"),  # METH_FASTCALL | METH_KEYWORDS
    ]
    with profiled() as p:
        for call, words in cases:
            with pytest.raises(TypeError, match=words):
                call()
        assert comm.Get_rank() == comm.rank
    assert p.data["Comm.Get_rank"][0] == 3


@pytest.mark.parametrize("m", [0, 8, 100000])
def test_send_recv_bytes(m):
    comm = MPI.COMM_WORLD
    rank, other = partner(comm)
    buf = bytearray(m)
    with profiled(exact=True) as p:
        for _ in range(N):
            if rank % 2 == 0:
                comm.Send(buf, other, 3)
            else:
                comm.Recv(buf, other, 3)
    comm.Barrier()
    check_times(p.data)
    moved = 0 if other == MPI.PROC_NULL else N * m
    if rank % 2 == 0:
        assert p.data["Comm.Send"][0] == N
        assert p.data["Comm.Send"][3:] == (moved, 0)
        assert "Comm.Recv" not in p.data
    else:
        assert p.data["Comm.Recv"][0] == N
        assert p.data["Comm.Recv"][3:] == (0, moved)


@pytest.mark.parametrize("m", [0, 8, 1000])
def test_send_recv_objects(m):
    # a bytearray goes through pickle (bytes would take cmpi's objcodec)
    comm = MPI.COMM_WORLD
    rank, other = partner(comm)
    obj = bytearray(b"x" * m)
    size = len(MPI.pickle.dumps(obj))
    got = []
    with profiled(exact=True) as p:
        for _ in range(N):
            if rank % 2 == 0:
                comm.send(obj, other, 4)
            else:
                got.append(comm.recv(None, other, 4))
    comm.Barrier()
    check_times(p.data)
    moved = 0 if other == MPI.PROC_NULL else N * size
    if rank % 2 == 0:
        assert p.data["Comm.send"][0] == N
        assert p.data["Comm.send"][3:] == (moved, 0)
    else:
        assert p.data["Comm.recv"][0] == N
        assert p.data["Comm.recv"][3:] == (0, moved)
        assert got == [obj if other != MPI.PROC_NULL else None] * N


def test_large_object_counts_match():
    # above the out-of-band threshold the object travels as a stream and
    # its buffer: what one side counts sent, the other counts received
    comm = MPI.COMM_WORLD
    rank, other = partner(comm)
    obj = bytearray(300000)
    with profiled() as p:
        if rank % 2 == 0:
            comm.send(obj, other, 5)
        else:
            comm.recv(None, other, 5)
    mine = p.data.get("Comm.send", p.data.get("Comm.recv"))[3:]
    theirs = comm.sendrecv(mine, other, 6, None, other, 6)
    if other != MPI.PROC_NULL:
        assert sum(mine) >= 300000
        assert mine[::-1] == theirs
    else:
        assert mine == (0, 0)


def test_isend_irecv_wait():
    comm = MPI.COMM_WORLD
    rank, other = partner(comm)
    buf = bytearray(40)
    with profiled(exact=True) as p:
        reqs = []
        for _ in range(N):
            if rank % 2 == 0:
                reqs.append(comm.Isend(buf, other, 7))
            else:
                reqs.append(comm.Irecv(bytearray(40), other, 7))
        for r in reqs:
            r.Wait()
    comm.Barrier()
    check_times(p.data)
    moved = 0 if other == MPI.PROC_NULL else N * 40
    # a nonblocking call counts its message when it posts it
    name = "Comm.Isend" if rank % 2 == 0 else "Comm.Irecv"
    assert p.data[name][0] == N
    assert p.data[name][3:] == ((moved, 0) if rank % 2 == 0 else (0, moved))
    assert p.data["Request.Wait"][0] == N
    assert p.data["Request.Wait"][3:] == (0, 0)


def test_sendrecv():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    dest, source = (rank + 1) % size, (rank - 1) % size
    rbuf = bytearray(24)
    with profiled(RING, exact=True) as p:
        for i in range(N):
            comm.Sendrecv(bytearray(24), dest, i, rbuf, source, i)
    check_times(p.data)
    assert p.data["Comm.Sendrecv"][0] == N
    assert p.data["Comm.Sendrecv"][3:] == (N * 24, N * 24)
    events = [e for e in p.events if e[0] == "Comm.Sendrecv"]
    assert [(e[3], e[4], e[5]) for e in events] == [
        (source, i, 48) for i in range(N)]


def test_collectives():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    obj = bytearray(b"y" * 100)
    psize = len(MPI.pickle.dumps(obj))
    with profiled(exact=True) as p:
        comm.Bcast(bytearray(64), 0)
        comm.bcast(obj if rank == 0 else None, 0)
        comm.Allreduce(array.array("d", [1.0] * 10),
                       array.array("d", [0.0] * 10), MPI.SUM)
        comm.Gather(bytearray(16), bytearray(16 * size), 0)
        comm.gather(obj, 0)
        comm.allreduce(bytearray(b"ab"), MPI.SUM)
    comm.Barrier()
    check_times(p.data)
    root = rank == 0
    two = len(MPI.pickle.dumps(bytearray(b"ab")))
    expected = {
        "Comm.Bcast": (64, 0) if root else (0, 64),
        "Comm.bcast": (psize, 0) if root else (0, psize),
        "Comm.Allreduce": (80, 80),
        "Comm.Gather": (16, 16 * size) if root else (16, 0),
        "Comm.gather": (psize, (size - 1) * psize) if root else (psize, 0),
        "Comm.allreduce": (two, (size - 1) * two),
    }
    for name, (sent, received) in expected.items():
        calls, _, _, got_sent, got_received = p.data[name]
        assert calls == 1, (name, p.data[name])
        if CHECKING and size > 1:  # plus the checker's exchange
            assert got_sent >= sent and got_received >= received, name
        else:
            assert (got_sent, got_received) == (sent, received), name
    if not CHECKING:
        assert set(p.data) == set(expected), p.data


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "sampled"])
def test_wait_is_counted(exact):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    # sampled every 10 ms: a 200 ms block is sampled within a few ticks (more
    # on a loaded machine: the tolerance is wide)
    block = 0.05 if exact else 0.2
    with profiled(exact=exact) as p:
        if rank == 0:
            time.sleep(block)
        comm.Barrier()
    calls, time_ns, wait_ns = p.data["Comm.Barrier"][:3]
    assert calls == 1 and wait_ns <= time_ns
    if rank != 0 and not CHECKING:  # (the checker waits in its own calls)
        # blocked for rank 0
        assert wait_ns >= block * 0.4e9, p.data
        assert time_ns <= block * 1e9 + 300_000_000, p.data
    assert "Comm.Barrier" in p.data


def test_sampler_times_a_blocking_call():
    # Request.Wait runs the Grequest's query, which sleeps 200 ms: the
    # sampler gives the time to Wait (the innermost profiled call), and
    # the Wtime the query calls gets at most a tick or two

    def query(status):
        MPI.Wtime()
        time.sleep(0.2)
        status.Set_source(0)
        status.Set_tag(0)
        status.Set_cancelled(False)
        status.Set_elements(MPI.BYTE, 0)

    with profiled() as p:
        req = MPI.Grequest.Start(query, None, None)
        req.Complete()
        t0 = time.monotonic_ns()
        req.Wait()
        t1 = time.monotonic_ns()
    wait_time = p.data["Request.Wait"][1]
    assert 150_000_000 <= wait_time <= t1 - t0 + 50_000_000, (p.data, t1 - t0)
    assert p.data["MPI.Wtime"][1] <= 50_000_000, p.data
    assert p.data["Grequest.Start"][1] <= 50_000_000, p.data


def _samplers():
    """How many of this process's threads are the profile's sampler (it
    names itself; other threads, MPI's or a finished test's, come and go)."""
    count = 0
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                count += f.read().strip() == "cmpi-sampler"
        except OSError:  # the thread ended meanwhile
            pass
    return count


def _samplers_settle(expected):
    # a joined thread can stay listed in /proc for a moment after it ends
    deadline = time.monotonic() + 2.0
    while _samplers() != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return _samplers()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sampler_thread_runs_while_counting_only():
    assert not MPI._prof_sampling()
    assert _samplers_settle(0) == 0
    MPI._prof_start(0)
    try:
        assert MPI._prof_sampling()
        assert _samplers_settle(1) == 1
    finally:
        MPI._prof_stop()
    assert not MPI._prof_sampling()
    assert _samplers_settle(0) == 0
    MPI._prof_start(0, exact=True)  # exact timing: no sampler
    try:
        assert not MPI._prof_sampling() and _samplers() == 0
    finally:
        MPI._prof_stop()
    MPI._prof_start(RING)  # tracing samples too
    try:
        assert MPI._prof_sampling()
    finally:
        MPI._prof_stop()
    assert not MPI._prof_sampling() and _samplers_settle(0) == 0


@pytest.mark.parametrize("value", ["10", "2000000", "abc", "1e9"])
def test_sampler_interval_out_of_range(monkeypatch, value):
    monkeypatch.setenv("CMPI_PROFILE_INTERVAL", value)
    with pytest.raises(ValueError, match="CMPI_PROFILE_INTERVAL"):
        MPI._prof_start(0)
    assert not MPI._prof_sampling()
    MPI._prof_start(0, exact=True)  # (exact timing does not sample)
    MPI._prof_stop()


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "sampled"])
def test_trace_clock_is_monotonic_ns(exact):
    # the trace's counter ticks, calibrated, are time.monotonic_ns(): each
    # event starts and ends between the readings taken around its call
    # (within the calibration's error: a few us)

    slack = 5_000
    around = []
    with profiled(RING, exact=exact) as p:
        for _ in range(20):
            a = time.monotonic_ns()
            MPI.Wtime()
            b = time.monotonic_ns()
            around.append((a, b))
        time.sleep(0.002)
        a = time.monotonic_ns()
        MPI.Wtime()
        b = time.monotonic_ns()
        around.append((a, b))
    ev = [e for e in p.events if e[0] == "MPI.Wtime"]
    assert len(ev) == len(around)
    for (a, b), e in zip(around, ev):
        assert a - slack <= e[1] <= b + slack, (a, b, e)
        assert e[1] + e[2] <= b + slack, (a, b, e)
        assert 0 <= e[2] <= b - a + slack, (a, b, e)


def test_trace_events():
    comm = MPI.COMM_WORLD
    rank, other = partner(comm)
    mine = MPI.COMM_WORLD.Dup()
    mine.Set_name("profiled comm")
    before = time.monotonic_ns()
    with profiled(RING) as p:
        for i in range(3):
            if rank % 2 == 0:
                mine.Send(bytearray(10 + i), other, 20 + i)
            else:
                mine.Recv(bytearray(10 + i), MPI.ANY_SOURCE, MPI.ANY_TAG)
        if not CHECKING:  # (the checker's exchange would fill the ring)
            mine.Barrier()
        MPI.Wtime()
    after = time.monotonic_ns()
    mine.Free()
    assert p.dropped == 0
    # (the checker's own calls, nested in the Barrier, left out)
    ours = {"Comm.Send", "Comm.Recv", "Comm.Barrier", "MPI.Wtime"}
    ev = [e for e in p.events if e[0] in ours]
    assert [e[0] for e in ev] == (
        ["Comm.Send" if rank % 2 == 0 else "Comm.Recv"] * 3
        + ["Comm.Barrier"] * (not CHECKING) + ["MPI.Wtime"])
    for name, start, dur, peer, tag, nbytes, comm_name in ev:
        assert before <= start and start + dur <= after
        assert dur >= 0
    starts = [e[1] for e in ev]
    assert starts == sorted(starts)
    # none of these calls nests in another: they never overlap
    for a, b in zip(ev, ev[1:]):
        assert a[1] + a[2] <= b[1]
    for i, e in enumerate(ev[:3]):
        if other == MPI.PROC_NULL:
            assert e[5] == 0
        else:
            assert (e[3], e[4], e[5]) == (other, 20 + i, 10 + i)
        assert e[6] == "profiled comm"
    if not CHECKING:
        assert ev[3][3:6] == (-1, -1, 0) and ev[3][6] == "profiled comm"
    assert ev[-1][3:7] == (-1, -1, 0, None)


def test_trace_nesting():
    # a Python callback called by an MPI call: its MPI calls are events
    # inside the outer one's
    seen = []

    def query(status):
        MPI.Wtime()
        status.Set_source(0)
        status.Set_tag(0)
        status.Set_cancelled(False)
        status.Set_elements(MPI.BYTE, 0)
        seen.append(1)

    with profiled(RING) as p:
        req = MPI.Grequest.Start(query, None, None)
        req.Complete()
        req.Wait()
    assert seen
    ev = p.events
    outer = [e for e in ev if e[0] == "Request.Wait"]
    inner = [e for e in ev if e[0] == "MPI.Wtime"]
    assert len(outer) == 1 and len(inner) == 1
    o, i = outer[0], inner[0]
    assert o[1] <= i[1] and i[1] + i[2] <= o[1] + o[2]
    # events in start order, and an event that starts inside another ends
    # inside it
    stack: list[Any] = []
    for e in ev:
        while stack and stack[-1][1] + stack[-1][2] <= e[1]:
            stack.pop()
        if stack:
            assert e[1] + e[2] <= stack[-1][1] + stack[-1][2], ev
        stack.append(e)


def test_trace_ring_drops_oldest():
    extra = 10
    with profiled(RING) as p:
        for _ in range(RING + extra):
            MPI.Wtime()
    assert p.dropped == extra
    assert len(p.events) == RING
    assert p.data["MPI.Wtime"][0] == RING + extra


def test_trace_off_and_empty():
    with profiled() as p:  # counting only
        MPI.Wtime()
    assert p.events == [] and p.dropped == 0
    MPI._prof_reset()
    assert MPI._prof_trace() == ([], 0)
    assert MPI._prof_data() == {}
    with pytest.raises(ValueError):
        MPI._prof_start(-1)


def test_stopped_counts_nothing():
    MPI._prof_reset()
    MPI.COMM_WORLD.Barrier()
    MPI.Wtime()
    assert MPI._prof_data() == {}


def test_wrappers_look_like_the_originals():
    f: Any
    for f, name, qualname in [
            (MPI.Comm.Send, "Send", "Comm.Send"),
            (MPI.Comm.Bcast, "Bcast", "Comm.Bcast"),
            (MPI.Wtime, "Wtime", "Wtime"),
            (MPI.COMM_WORLD.Send, "Send", "Comm.Send")]:
        if not hasattr(f, "__wrapped__"):
            # a direct method: a method descriptor of its own, with the
            # original's name, docstring and class
            # (bound, a builtin method's qualified name is its self's
            # class's: Intracomm.Send, as without the profile)
            assert f.__name__ == name
            assert f.__qualname__ == (qualname if inspect.ismethoddescriptor(f)
                                      else f"{type(f.__self__).__name__}.{name}")
            assert f.__text_signature__.startswith("($self, buf")
            assert f.__doc__ and f.__doc__ != f.__text_signature__
            continue
        # what was there before: the original (or the checker's wrapper)
        real = f.__wrapped__
        assert real is not f
        assert f.__name__ == name and f.__qualname__ == qualname
        assert f.__doc__ == real.__doc__
        assert inspect.signature(f) == inspect.signature(
            real.__get__(MPI.COMM_WORLD) if inspect.ismethod(f) else real)
    send: Any = MPI.Comm.Send
    assert send.__text_signature__ == "($self, buf, dest, tag=0)"
    assert str(inspect.signature(MPI.COMM_WORLD.Send)) == "(buf, dest, tag=0)"
    assert send.__objclass__ is MPI.Comm
    # pickled by name, as the originals are
    import pickle
    assert pickle.loads(pickle.dumps(MPI.Wtime)) is MPI.Wtime
    assert pickle.loads(pickle.dumps(MPI.Comm.Send)) is MPI.Comm.Send
    # properties stay properties
    assert isinstance(MPI.COMM_WORLD.rank, int)
    assert "_prof_install" in vars(MPI) and "Send" in dir(MPI.Comm)


def test_subclass_binding():
    class MyRequest(MPI.Request):
        pass

    class MyComm(MPI.Intracomm):
        pass

    mine: Any = MyRequest.Waitall
    theirs: Any = MPI.Request.Waitall
    assert mine.__self__ is MyRequest
    assert theirs.__self__ is MPI.Request
    # a classmethod's signature, bound to its class, loses no parameter
    real = inspect.unwrap(theirs)
    assert inspect.signature(theirs) == inspect.signature(real)
    assert str(inspect.signature(theirs)) == "(requests, statuses=None)"
    assert str(inspect.signature(MPI.Comm.Get_parent)) == "()"
    with profiled() as p:
        assert MyRequest.Waitall([]) is True
        c = MyComm(MPI.COMM_WORLD)
        c.Barrier()
        MPI.Comm.Barrier(c)  # the unbound form
    assert p.data["Request.Waitall"][0] == 1
    assert p.data["Comm.Barrier"][0] == 2


def test_exceptions_pass_through():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    with profiled() as p:
        with pytest.raises(MPI.Exception) as on:
            comm.Send(bytearray(8), size + 5, 0)
    MPI._prof_stop()
    with pytest.raises(MPI.Exception) as off:
        comm.Send(bytearray(8), size + 5, 0)
    assert type(on.value) is type(off.value)
    assert on.value.Get_error_class() == off.value.Get_error_class()
    assert str(on.value) == str(off.value)
    assert p.data["Comm.Send"][0] == 1
    with profiled() as p:
        with pytest.raises(TypeError):
            MPI.Comm.Send(object(), bytearray(8), 0, 0)  # type: ignore[arg-type]
    # a direct method's descriptor refuses the wrong self before the
    # profile sees the call; a wrapper object counts it
    wrapped = hasattr(MPI.Comm.Send, "__wrapped__")
    assert p.data.get("Comm.Send", (0,))[0] == (1 if wrapped else 0)


def test_composes_with_a_python_wrapper():
    # the collective checker replaces Comm methods with Python functions
    # calling what was there (setattr): installed after the profile
    calls = []
    # (COMM_WORLD's class has its own copy of Comm.Barrier: MPI.c)
    cls = type(MPI.COMM_WORLD)
    real = cls.__dict__["Barrier"]

    def checked(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    setattr(cls, "Barrier", checked)
    try:
        with profiled() as p:
            MPI.COMM_WORLD.Barrier()
    finally:
        setattr(cls, "Barrier", real)
    assert calls == [1]
    assert p.data["Comm.Barrier"][0] == 1


#: A singleton child gets three quarters of this rank's watchdog, so that
#: subprocess.run kills a child that hangs before the watchdog ends the
#: rank and leaves the child running on the cores.
SINGLETON_TIMEOUT = 0.75 * WATCHDOG_SECONDS


def run_singleton(code, timeout=SINGLETON_TIMEOUT):
    """Run `code` in a fresh singleton MPI process (launcher variables
    dropped); it must print OK."""
    drop = ("OMPI_", "PMIX_", "PMI_", "HYDRA_", "MPIR_", "OPAL_", "ORTE_",
            "PRTE_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    p = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                       timeout=timeout, capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip().endswith("OK"), (
        f"rc={p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr[-3000:]}")


def test_composes_with_the_checker_installed_first():
    # the other order, in a fresh process: the checker's Python wrappers
    # are wrapped in turn, and both still work
    run_singleton("""
        from cmpi import MPI, _collcheck
        _collcheck.enable()
        assert MPI._prof_install() > 0
        c = MPI.COMM_WORLD.Dup()
        MPI._prof_start()
        c.Barrier()
        x = c.bcast(7, 0)
        MPI._prof_stop()
        d = MPI._prof_data()
        assert x == 7, x
        assert d["Comm.Barrier"][0] == 1, d
        assert d["Comm.bcast"][0] == 1, d
        c.Free()
        print("OK")
    """)


def test_live_file_given_up_while_a_call_waits():
    # The sampled profile's calls add their bytes straight to the counters,
    # which live in the live file's mapping once it is kept: another thread
    # that gives the file up while the main thread waits inside recv must
    # not unmap memory the recv then adds to (it faulted before the
    # mapping was kept until no call was in flight).  recv, not Recv:
    # MPICH 4.0's MPI_Recv of a send to self from another thread may never
    # return (test_threads.py).
    run_singleton("""
        import os, sys, tempfile, threading, time
        from cmpi import MPI
        comm = MPI.COMM_SELF.Dup()
        path = os.path.join(tempfile.mkdtemp(), "live")
        MPI._prof_install()
        MPI._prof_reset()
        MPI._prof_start()
        MPI._prof_live(path, b"{}")
        main = threading.get_ident()
        def other():
            # until the main thread is at its recv, then a moment more
            # for it to wait inside
            while sys._current_frames()[main].f_code.co_name != "waiting":
                time.sleep(0.01)
            time.sleep(0.2)
            MPI._prof_live(None, b"")    # the live file given up
            comm.send(b"x" * 100, 0, 5)
        def waiting():
            return comm.recv(None, 0, 5)
        t = threading.Thread(target=other)
        t.start()
        assert waiting() == b"x" * 100
        t.join()
        # after the switch, counted (a Send to self before its Recv may
        # never return in an MPICH singleton: Sendrecv)
        comm.Sendrecv(bytearray(10), 0, 6, bytearray(10), 0, 6)
        MPI._prof_live(path, b"{}")      # a new one, then given up with
        MPI._prof_live(None, b"")        # no call in flight: unmapped
        MPI._prof_stop()
        d = MPI._prof_data()
        assert d["Comm.recv"][0] == 1, d["Comm.recv"]
        assert d["Comm.send"][0] == 1, d["Comm.send"]
        assert d["Comm.Sendrecv"][0] == 1, d["Comm.Sendrecv"]
        assert d["Comm.Sendrecv"][3:] == (10, 10), d["Comm.Sendrecv"]
        comm.Free()
        print("OK")
    """)


def test_subclass_open_behaves_the_same():
    # File.Open on a subclass gives the subclass, profiled or not
    run_singleton("""
        import os, tempfile
        from cmpi import MPI
        class MyFile(MPI.File):
            pass
        path = os.path.join(tempfile.mkdtemp(), "f")
        def kind():
            f = MyFile.Open(MPI.COMM_SELF, path,
                            MPI.MODE_CREATE | MPI.MODE_RDWR)
            t = type(f)
            f.Close()
            return t
        before = kind()
        MPI._prof_install()
        MPI._prof_start()
        after = kind()
        MPI._prof_stop()
        assert before is after, (before, after)
        assert MPI._prof_data()["File.Open"][0] == 1
        print("OK")
    """)


def test_other_threads_are_counted():
    # calls from another thread count (calls and time), with no trace
    # event and no bytes; the main thread's own calls are unaffected
    import threading

    def work():
        for _ in range(10):
            MPI.Wtime()
            MPI.COMM_SELF.Send(bytearray(8), MPI.PROC_NULL, 0)

    with profiled(RING) as p:
        t = threading.Thread(target=work)
        t.start()
        t.join()
        MPI.COMM_SELF.Send(bytearray(8), MPI.PROC_NULL, 1)
    assert p.data["MPI.Wtime"][0] == 10
    assert p.data["Comm.Send"][0] == 11
    assert p.data["Comm.Send"][3:] == (0, 0)
    assert [e[0] for e in p.events] == ["Comm.Send"]
    assert p.events[0][3:5] == (MPI.PROC_NULL, 1)


def check_bytes(p, expected, exact_set=True):
    """Each call of `expected` made once, with exactly these bytes (at
    least, under the collective checker, whose exchange adds to them)."""
    size = MPI.COMM_WORLD.Get_size()
    for name, (sent, received) in expected.items():
        calls, _, _, got_sent, got_received = p.data[name]
        assert calls == 1, (name, p.data[name])
        if CHECKING and size > 1:
            assert got_sent >= sent and got_received >= received, name
        else:
            assert (got_sent, got_received) == (sent, received), (
                name, p.data[name], (sent, received))
    if exact_set and not CHECKING:
        assert set(p.data) == set(expected), p.data


def prefix(counts):
    return [sum(counts[:i]) for i in range(len(counts))]


def test_vector_collectives():
    # rank i contributes i + 1 doubles; Alltoall(v/w) moves r + j + 1
    # elements from rank r to rank j (the same both ways)
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    root = rank == 0
    counts = [i + 1 for i in range(size)]
    displs = prefix(counts)
    total, mine = sum(counts), counts[rank]

    def d(n, v=0.0):
        return array.array("d", [v] * n)

    sc = [rank + j + 1 for j in range(size)]
    # Alltoallw: what goes to rank j is of j's type (DOUBLE for even
    # ranks, INT for odd ones), so both sides' type signatures agree
    types = [MPI.DOUBLE if j % 2 == 0 else MPI.INT for j in range(size)]
    width = [8 if j % 2 == 0 else 4 for j in range(size)]
    sbytes = [sc[j] * width[j] for j in range(size)]
    rbytes = [sc[j] * width[rank] for j in range(size)]
    wsend, wrecv = bytearray(sum(sbytes)), bytearray(sum(rbytes))
    with profiled(exact=True) as p:
        comm.Gatherv(d(mine, 1.0),
                     [d(total), (counts, displs), MPI.DOUBLE] if root else None,
                     0)
        comm.Scatterv([d(total), (counts, displs), MPI.DOUBLE] if root
                      else None, d(mine), 0)
        comm.Allgatherv(d(mine), [d(total), (counts, displs), MPI.DOUBLE])
        comm.Alltoallv([array.array("i", [0] * sum(sc)), (sc, prefix(sc)),
                        MPI.INT],
                       [array.array("i", [0] * sum(sc)), (sc, prefix(sc)),
                        MPI.INT])
        comm.Alltoallw([wsend, sc, prefix(sbytes), types],
                       [wrecv, sc, prefix(rbytes), [types[rank]] * size])
        comm.Reduce_scatter(d(total, 1.0), d(mine), counts, MPI.SUM)
        comm.Reduce_scatter_block(d(2 * size, 1.0), d(2), MPI.SUM)
        comm.Ialltoallv([array.array("i", [0] * sum(sc)), (sc, prefix(sc)),
                         MPI.INT],
                        [array.array("i", [0] * sum(sc)), (sc, prefix(sc)),
                         MPI.INT]).Wait()
    comm.Barrier()
    check_times(p.data)
    check_bytes(p, {
        "Comm.Gatherv": (8 * mine, 8 * total if root else 0),
        "Comm.Scatterv": (8 * total if root else 0, 8 * mine),
        "Comm.Allgatherv": (8 * mine, 8 * total),
        "Comm.Alltoallv": (4 * sum(sc), 4 * sum(sc)),
        "Comm.Alltoallw": (sum(sbytes), sum(rbytes)),
        "Comm.Reduce_scatter": (8 * total, 8 * mine),
        "Comm.Reduce_scatter_block": (16 * size, 16),
        "Comm.Ialltoallv": (4 * sum(sc), 4 * sum(sc)),
        "Request.Wait": (0, 0),
    })


def test_vector_collectives_in_place():
    # IN_PLACE sends nothing of its own, as Allgather's; Gatherv's receive
    # spec counts at the root only, Scatterv's send spec too
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    root = rank == 0
    counts = [2] * size
    displs = prefix(counts)
    buf = array.array("d", [0.0] * 2 * size)
    with profiled(exact=True) as p:
        comm.Allgatherv(MPI.IN_PLACE, [buf, (counts, displs), MPI.DOUBLE])
        if root:
            comm.Gatherv(MPI.IN_PLACE, [buf, (counts, displs), MPI.DOUBLE])
            comm.Scatterv([buf, (counts, displs), MPI.DOUBLE], MPI.IN_PLACE)
        else:
            comm.Gatherv(array.array("d", [1.0, 2.0]), None)
            comm.Scatterv(None, array.array("d", [0.0, 0.0]))
    comm.Barrier()
    check_bytes(p, {
        "Comm.Allgatherv": (0, 16 * size),
        "Comm.Gatherv": (0, 16 * size) if root else (16, 0),
        "Comm.Scatterv": (16 * size, 0) if root else (0, 16),
    })


@pytest.mark.parametrize("periodic", [True, False],
                         ids=["periodic", "ends"])
def test_neighbor_collectives(periodic):
    # a ring (or a line: its ends' outer neighbours are PROC_NULL, which
    # move nothing): one block to and from each neighbour
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    cart = comm.Create_cart([size], periods=[periodic])
    real = 2 if periodic else (rank > 0) + (rank < size - 1)
    obj = bytearray(b"z" * 30)
    psize = len(MPI.pickle.dumps(obj))
    try:
        with profiled(exact=True) as p:
            cart.Neighbor_alltoall(array.array("i", [rank] * 6),
                                   array.array("i", [0] * 6))
            cart.Neighbor_allgather(array.array("d", [1.0] * 2),
                                    array.array("d", [0.0] * 4))
            cart.Neighbor_alltoallv(
                [array.array("i", [0] * 5), ([2, 3], [0, 2]), MPI.INT],
                [array.array("i", [0] * 5), ([3, 2], [0, 3]), MPI.INT])
            cart.Ineighbor_allgather(array.array("d", [1.0] * 2),
                                     array.array("d", [0.0] * 4)).Wait()
            got = cart.neighbor_allgather(obj)
    finally:
        cart.Free()
    assert got.count(obj) == real
    check_bytes(p, {
        "Topocomm.Neighbor_alltoall": (12 * real, 12 * real),
        "Topocomm.Neighbor_allgather": (16 * real, 16 * real),
        # (to the left neighbour 2 ints, to the right 3: from the left its
        # 3, from the right its 2)
        "Topocomm.Neighbor_alltoallv": (
            4 * (2 * (rank > 0 or periodic) + 3 * (rank < size - 1 or periodic)),
            4 * (3 * (rank > 0 or periodic) + 2 * (rank < size - 1 or periodic))),
        "Topocomm.Ineighbor_allgather": (16 * real, 16 * real),
        "Request.Wait": (0, 0),
        "Topocomm.neighbor_allgather": (psize * real, psize * real),
    }, exact_set=False)


def test_scatter_alltoall_objects():
    # the pickles, as gather and allgather count them: a rank's own
    # pickle to itself counts as sent, not received
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    root = rank == 0

    def obj(n):
        return bytearray(b"s" * (10 + n))

    def psize(n):
        return len(MPI.pickle.dumps(obj(n)))

    with profiled(exact=True) as p:
        got = comm.scatter([obj(i) for i in range(size)] if root else None, 0)
        many = comm.alltoall([obj(j) for j in range(size)])
    comm.Barrier()
    assert got == obj(rank) and many == [obj(rank)] * size
    every = sum(psize(j) for j in range(size))
    check_bytes(p, {
        "Comm.scatter": (every, 0) if root else (0, psize(rank)),
        "Comm.alltoall": (every, (size - 1) * psize(rank)),
    })


def test_persistent_requests_count_each_start():
    # *_init counts nothing; each Start moves the message once.  (To this
    # rank itself, not to PROC_NULL: on MPICH 4.0.2 a freed persistent
    # send to PROC_NULL hangs every later persistent collective, in C too.)
    comm = MPI.COMM_SELF
    sbuf, rbuf = bytearray(b"p" * 32), bytearray(32)
    with profiled(RING, exact=True) as p:
        rreq = comm.Recv_init(rbuf, 0, 9)
        sreq = comm.Send_init(sbuf, 0, 9)
        for _ in range(2):
            rreq.Start()
            sreq.Start()
            MPI.Request.Waitall([rreq, sreq])
        MPI.Prequest.Startall([rreq, sreq])
        MPI.Request.Waitall([rreq, sreq])
        rreq.Free()
        sreq.Free()
    assert rbuf == sbuf
    assert p.data["Comm.Send_init"][3:] == (0, 0)
    assert p.data["Comm.Recv_init"][3:] == (0, 0)
    assert p.data["Prequest.Start"][0] == 4
    assert p.data["Prequest.Start"][3:] == (2 * 32, 2 * 32)
    assert p.data["Prequest.Startall"][3:] == (32, 32)
    assert p.data["Request.Waitall"][3:] == (0, 0)
    starts = [e for e in p.events if e[0] == "Prequest.Start"]
    assert [(e[3], e[4], e[5]) for e in starts] == [(0, 9, 32)] * 4


def test_persistent_collective_counts_each_start():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    counts = [1] * size
    with profiled(exact=True) as p:
        try:
            req = comm.Bcast_init(bytearray(40), 0)
            vreq = comm.Allgatherv_init(
                array.array("d", [1.0]),
                [array.array("d", [0.0] * size), (counts, prefix(counts)),
                 MPI.DOUBLE])
        except NotImplementedError:  # MPI before 4.0
            pytest.skip("no persistent collectives in this MPI")
        for _ in range(2):
            MPI.Prequest.Startall([req, vreq])
            MPI.Request.Waitall([req, vreq])
        req.Free()
        vreq.Free()
    comm.Barrier()
    if not (CHECKING and size > 1):  # (its exchange stays with *_init)
        assert p.data["Comm.Bcast_init"][3:] == (0, 0)
        assert p.data["Comm.Allgatherv_init"][3:] == (0, 0)
    bcast = (40, 0) if rank == 0 else (0, 40)
    assert p.data["Prequest.Startall"][3:] == (
        2 * (bcast[0] + 8), 2 * (bcast[1] + 8 * size))


def test_split_file_collective_counts_at_begin(tmp_path):
    comm = MPI.COMM_WORLD
    path = str(tmp_path / f"split{comm.Get_rank()}")
    f = MPI.File.Open(MPI.COMM_SELF, path, MPI.MODE_CREATE | MPI.MODE_RDWR)
    buf = bytearray(b"w" * 48)
    try:
        with profiled(exact=True) as p:
            f.Write_at_all_begin(0, buf)
            f.Write_at_all_end(buf)
            f.Read_all_begin(buf)
            f.Read_all_end(buf)
    finally:
        f.Close()
    check_bytes(p, {
        "File.Write_at_all_begin": (48, 0),
        "File.Write_at_all_end": (0, 0),
        "File.Read_all_begin": (0, 48),
        "File.Read_all_end": (0, 0),
    })
