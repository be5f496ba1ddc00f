"""One batch of differential variants under one binding, run under mpiexec
by tests/differential/run.py:

    mpiexec -n N python worker.py BINDING VARIANTS.json START COUNT LOGDIR

BINDING is ``cmpi`` (``from cmpi import MPI``) or ``mpi4py`` (``from
mpi4py import MPI``, the reference); everything else is the same text
evaluated the same way.  Each variant's start and outcome go to
LOGDIR/rank<R>.log (``S i`` before the call, ``E i outcome`` after), so a
crash or a call that never returns names its variant: the driver resumes
after it.  Watchdogs as in tests/fuzz/fuzz_api_worker.py: SIGINT once a
call has run past SOFT seconds (cmpi's polled waits raise
KeyboardInterrupt: outcome ``blocks``), faulthandler ends the process
past HARD (mpi4py's waits cannot be interrupted; the driver reads the
"Timeout" dump as ``blocks`` too).

Outcomes: ``ok:<summary>`` (the result's type, and its value where it is
a plain value both bindings must agree on), ``exc:<type>`` (with the MPI
error class name for MPI.Exception), ``blocks``; the driver adds
``crash``.
"""

import array  # noqa: F401 - used by variant texts
import faulthandler
import json
import os
import re
import signal
import sys
import threading
import time

import numpy as np

if sys.argv[1] == "mpi4py":
    from mpi4py import MPI
else:
    from cmpi import MPI

SOFT = float(os.environ.get("CMPI_DIFF_SOFT", "1.0"))
HARD = float(os.environ.get("CMPI_DIFF_HARD", "2.0"))

HARNESS = MPI.COMM_WORLD.Dup()  # only the harness uses it (lockstep)
BASE = MPI.COMM_WORLD.Dup()  # fresh objects are made from it
RANK = BASE.Get_rank()
SIZE = BASE.Get_size()
#: Error classes an MPI library lacks share a value with another (Open MPI
#: 4.1 gives ERR_ABI, ERR_PROC_ABORTED... ERR_OTHER's or ERR_LASTCODE's
#: value): a class is named by its oldest name, the same in both bindings.
NEWER_NAMES = {"ERR_ABI", "ERR_PROC_ABORTED", "ERR_VALUE_TOO_LARGE", "ERR_SESSION",
               "ERR_ERRHANDLER", "ERR_LASTCODE", "ERR_PROC_FAILED_PENDING", "ERR_REVOKED"}
ERROR_NAMES = {}
for _name in sorted((n for n in dir(MPI) if n.startswith("ERR_")),
                    key=lambda n: (n in NEWER_NAMES, n)):
    if isinstance(getattr(MPI, _name), int):
        ERROR_NAMES.setdefault(getattr(MPI, _name), _name)


class Index:
    """An object with ``__index__`` only (as numpy integers have)."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

    def __repr__(self):
        return f"Index({self.value})"


class Int:
    """An object with ``__int__`` only (Cython's conversion takes it)."""

    def __init__(self, value):
        self.value = value

    def __int__(self):
        return self.value

    def __repr__(self):
        return f"Int({self.value})"


PENDING = []
#: The sends to self post_sends and the msg fixture started: completed in
#: teardown once the variant's communicator is drained.  Nonblocking,
#: because MPICH 4.0.2 (ch4:ucx) at one rank never returns from a blocking
#: send to self, however small (plain C too).
SENDS = []


def post_sends(comm):
    """Two messages to the calling rank (tags 0 and 1) for a receive to find."""
    SENDS.append(comm.Isend(bytearray(8), RANK, 0))
    SENDS.append(comm.Isend(bytearray(8), RANK, 1))


def post_receives(comm):
    """Two receives (any source, any tag) for a synchronous send to match."""
    for _ in range(2):
        PENDING.append(comm.Irecv(bytearray(64), MPI.ANY_SOURCE, MPI.ANY_TAG))


def _graph():
    index = list(range(1, SIZE + 1))
    edges = [(r + 1) % SIZE for r in range(SIZE)]
    return BASE.Create_graph(index, edges)


def _inter():
    local = BASE.Split(RANK, 0)
    try:
        return local.Create_intercomm(0, BASE, 1 - RANK, 77)
    finally:
        local.Free()


def _message(ns):
    comm = fresh(ns, "comm")
    SENDS.append(comm.Isend(bytearray(8), RANK, 5))
    return comm.Mprobe(RANK, 5)


def _info():
    info = MPI.Info.Create()
    info.Set("k", "v")
    return info


def _preq():
    # started and completed once: MPICH 4.0.2 hangs every later persistent
    # collective after a never-started Send_init to PROC_NULL is freed
    # (plain C too), and variants free this request
    preq = MPI.COMM_SELF.Send_init(bytearray(0), MPI.PROC_NULL)
    preq.Start()
    preq.Wait()
    return preq


def _greq():
    return MPI.Grequest.Start(lambda status: None, lambda: None, lambda completed: None)


def _file():
    path = os.path.join(LOGDIR, f"file-{RANK}.dat")
    fh = MPI.File.Open(MPI.COMM_SELF, path, MPI.MODE_RDWR | MPI.MODE_CREATE)
    fh.Write_at(0, bytearray(64))
    return fh


#: The objects a variant may name, made fresh for each variant that
#: names them and released after it.
FRESH = {
    "comm": lambda ns: BASE.Dup(),
    # not periodic: at 1 rank a periodic ring makes the rank its own
    # neighbour twice, and Open MPI 4.1's neighbour collectives on it die
    "cart": lambda ns: BASE.Create_cart([SIZE], periods=[False]),
    "graph": lambda ns: _graph(),
    "distgraph": lambda ns: BASE.Create_dist_graph_adjacent([RANK], [RANK]),
    "inter": lambda ns: _inter(),
    # the group of the variant's own communicator where it names one:
    # MPICH 4.0.2 segfaults in MPI_Comm_create_group at 2 ranks given the
    # group of another, congruent communicator (plain C too)
    "group": lambda ns: ns.get("comm", BASE).Get_group(),
    "dt": lambda ns: MPI.INT.Dup(),
    "op": lambda ns: MPI.Op.Create(lambda a, b, t: None, commute=True),
    "info": lambda ns: _info(),
    "eh": lambda ns: BASE.Get_errhandler(),
    "req": lambda ns: MPI.COMM_SELF.Isend(bytearray(0), MPI.PROC_NULL),
    "preq": lambda ns: _preq(),
    "greq": lambda ns: _greq(),
    "msg": _message,
    "status": lambda ns: MPI.Status(),
    "win": lambda ns: MPI.Win.Allocate(64, 1, comm=BASE),
    "fh": lambda ns: _file(),
    "mem": lambda ns: MPI.buffer(bytearray(16)),
    "pickle": lambda ns: MPI.pickle,
    "exc": lambda ns: MPI.Exception(MPI.ERR_ARG),
}


def fresh(ns, name):
    if name not in ns:
        ns[name] = FRESH[name](ns)
    return ns[name]


def namespace(text):
    ns = {"MPI": MPI, "np": np, "array": array, "SIZE": SIZE, "RANK": RANK,
          "Index": Index, "Int": Int, "post_sends": post_sends,
          "post_receives": post_receives}
    words = set(re.split(r"[^\w]+", text))
    for name in FRESH:
        if name in words:
            fresh(ns, name)
    return ns


HANDLE_TYPES = (MPI.Comm, MPI.Datatype, MPI.Info, MPI.Group, MPI.Op, MPI.Win, MPI.File,
                MPI.Request, MPI.Errhandler, MPI.Message)
#: Predefined and null handles: never freed (mpi4py passes a freed or null
#: handle on to MPI, where it is fatal or a crash).
PREDEFINED = [getattr(MPI, n) for n in dir(MPI) if isinstance(getattr(MPI, n), HANDLE_TYPES)]


def predefined(obj):
    for p in PREDEFINED:
        if type(p) is type(obj) or isinstance(obj, type(p)):
            try:
                if obj == p:
                    return True
            except Exception:  # noqa: BLE001
                return True
    return False


def release(obj, patient=False):
    """Free what a variant made (a window or file left open makes MPI_Finalize
    abort under MPICH); every error is ignored: the object may be null,
    predefined, or freed by the variant itself."""
    if not isinstance(obj, HANDLE_TYPES) or predefined(obj):
        return
    if isinstance(obj, MPI.Win):
        for end_epoch in (obj.Unlock_all, lambda: obj.Unlock(RANK), obj.Complete, obj.Wait,
                          obj.Free):
            try:
                end_epoch()
            except Exception:  # noqa: BLE001
                pass
        return
    if isinstance(obj, MPI.Request):
        try:
            # a nonblocking collective (Idup) completes by progress, and
            # cancelling it is erroneous (Open MPI's wait then never
            # returns): give it a moment before cancelling what is left
            for _ in range(100 if patient else 0):
                if obj.Test():
                    return
                time.sleep(0.001)
            if not obj.Test():
                if isinstance(obj, MPI.Grequest):
                    obj.Complete()  # or the wait below never returns
                else:
                    obj.Cancel()
                obj.Wait()
        except Exception:  # noqa: BLE001
            pass
    for method in ("Close", "Free"):
        if isinstance(obj, (MPI.File, MPI.Comm, MPI.Datatype, MPI.Info, MPI.Group, MPI.Op)):
            if obj in (MPI.COMM_WORLD, MPI.COMM_SELF):
                return
            try:
                getattr(obj, method)()
            except Exception:  # noqa: BLE001
                pass


def teardown(ns, result):
    while PENDING:
        release(PENDING.pop())
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    # a message the variant matched and returned (Mprobe, Message.Probe...)
    # is received below: its send to self completes only then (MPICH 4.0.2
    # at one rank sends nothing eagerly), and cancelling a matched send
    # fails.  Picked out before anything is released: looking at the items
    # after mpi4py's Ireduce_scatter_block request was released crashed
    # Open MPI 4.1 runs (1 rank)
    matched = [item for item in items if isinstance(item, MPI.Message) and not predefined(item)]
    # requests first: a pending Idup's request before its communicator
    items.sort(key=lambda item: not isinstance(item, MPI.Request))
    made = [ns[name] for name in FRESH if name in ns]
    for item in items:
        # a copy of a fresh object (MPI.Comm(comm)) shares its handle:
        # freeing both would free it twice
        if not any((isinstance(item, type(m)) or isinstance(m, type(item))) and item == m
                   for m in made):
            release(item, patient=True)
    for name in reversed(list(FRESH)):
        if name in ns and name != "comm":
            release(ns[name])
    if "comm" in ns:
        # drain what the variant sent and nobody received
        comm = ns["comm"]
        status = MPI.Status()
        if not predefined(comm):
            try:
                while comm.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status):
                    comm.Recv(bytearray(status.Get_count(MPI.BYTE)), status.Get_source(),
                              status.Get_tag())
            except Exception:  # noqa: BLE001
                pass
    for item in matched:
        try:
            item.Recv(bytearray(64))
        except Exception:  # noqa: BLE001
            pass
    msg = ns.get("msg")
    pending = [r for r in SENDS if not r.Test()]
    # its send still pending: the fixture's Mprobe matched the message, so
    # no drain finds it (a message a failed receive consumed is left alone:
    # mpi4py keeps its stale handle, and receiving it again crashes)
    if pending and isinstance(msg, MPI.Message) and not predefined(msg):
        try:
            msg.Recv(bytearray(64))
        except Exception:  # noqa: BLE001
            pass
    while SENDS:  # received by the variant or drained above
        release(SENDS.pop())
    if "comm" in ns:
        release(ns["comm"])


PLAIN = (bool, str, type(None))


def summary(value, depth=0):
    """The part of a result both bindings must agree on: its type name, and
    its value where that is a plain value (small integers, strings, bools,
    None; not floats, addresses or handle numbers, which differ by run)."""
    name = type(value).__name__
    if isinstance(value, PLAIN):
        return repr(value)[:60]
    if isinstance(value, int) and not isinstance(value, bool):
        return repr(value) if abs(value) < 2**16 and name == "int" else name
    if isinstance(value, (bytes, bytearray)):
        return f"{name}[{len(value)}]"
    if isinstance(value, (list, tuple)) and depth < 2:
        items = [summary(v, depth + 1) for v in value[:6]]
        more = ", ..." if len(value) > 6 else ""
        return f"{name}[{', '.join(items)}{more}]"
    return name


def outcome_of(exc):
    if isinstance(exc, MPI.Exception):
        try:
            cls = exc.Get_error_class()
            return f"exc:MPI.Exception({ERROR_NAMES.get(cls, cls)})"
        except Exception:  # noqa: BLE001
            return "exc:MPI.Exception(?)"
    return f"exc:{type(exc).__name__}"


class Watchdog(threading.Thread):
    """Sends this process SIGINT once a call has run past its limit (as
    tests/fuzz/fuzz_api_worker.py's, which imports cmpi and so cannot be
    shared with the mpi4py run)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.lock = threading.Lock()
        self.deadline = None
        self.fired = False

    def arm(self, seconds):
        with self.lock:
            self.deadline = time.monotonic() + seconds
            self.fired = False

    def disarm(self):
        with self.lock:
            self.deadline = None
            return self.fired

    def run(self):
        while True:
            time.sleep(0.02)
            with self.lock:
                if self.deadline is not None and time.monotonic() > self.deadline:
                    self.deadline = None
                    self.fired = True
                    os.kill(os.getpid(), signal.SIGINT)


def absorb_late_interrupt():
    """A SIGINT sent just as the call returned is taken here."""
    try:
        time.sleep(0.05)
    except KeyboardInterrupt:
        pass


LOGDIR = None


def main():
    global LOGDIR
    path, start, count, LOGDIR = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    os.chdir(LOGDIR)  # files a variant creates stay in here
    variants = json.loads(open(path).read())
    log = os.open(os.path.join(LOGDIR, f"rank{RANK}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                  0o644)

    def write(line):
        os.write(log, (line + "\n").encode("utf-8", "backslashreplace"))

    dog = Watchdog()
    dog.start()
    for i in range(start, min(start + count, len(variants))):
        v = variants[i]
        write(f"S {i}")
        result = None
        ns = {}
        faulthandler.dump_traceback_later(HARD, exit=True)
        try:
            try:
                dog.arm(SOFT)
                ns = namespace(v["setup"] + " " + v["call"])
                if v["setup"]:
                    exec(v["setup"], ns)
                result = eval(v["call"], ns)
                outcome = "ok:" + summary(result)
            finally:
                if dog.disarm():
                    absorb_late_interrupt()
        except KeyboardInterrupt:
            outcome = "blocks"
        except BaseException as exc:  # noqa: BLE001 - every exception is an outcome
            outcome = outcome_of(exc)
        faulthandler.dump_traceback_later(HARD, exit=True)
        try:
            teardown(ns, result)
        except BaseException:  # noqa: BLE001 - a late interrupt
            pass
        del result, ns
        write(f"E {i} {outcome}")
        if SIZE > 1:
            HARNESS.Barrier()  # lockstep: both ranks finish variant i first
        faulthandler.cancel_dump_traceback_later()
    write("END")
    HARNESS.Barrier()
    write("EXIT")


if __name__ == "__main__":
    main()
