"""One batch of the API-wide fuzzer: run under mpiexec by tests/fuzz/fuzz_api.py.

    mpiexec -n N python fuzz_api_worker.py SEED START COUNT LOGDIR

Every rank makes the same call sequence: call ``i`` is drawn from a
``random.Random`` seeded with (SEED, i) alone, over a pool of handles that
every rank builds the same way, so a batch can start at any call and both
ranks of a 2-rank batch make the same calls with the same arguments.

Each call is written to LOGDIR/rank<R>.log (``S i text``) before it is made
and its outcome after (``E i class``), so a crash names its call.  Two
watchdogs:

  * soft: a thread sends this process SIGINT when a call has run longer than
    its limit.  cmpi's own Ctrl-C handling then applies: a polled wait
    raises KeyboardInterrupt (outcome ``interrupted``), a call MPI cannot
    interrupt ends the job with cmpi's "KeyboardInterrupt in ...: aborting
    the job" message (status 130), which the driver reads.
  * hard: faulthandler.dump_traceback_later(exit=True) ends the process
    with a Python stack if neither works (a call that holds the GIL, or one
    that ignores SIGINT).

Whether an interrupted call was a documented blocking one is the driver's
decision (BLOCKING in fuzz_api.py); the worker only records what happened.
"""

import array
import faulthandler
import math
import os
import random
import signal
import sys
import threading
import time

import numpy as np

from cmpi import MPI

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fuzz_api_rules as rules  # noqa: E402

COMM = MPI.COMM_WORLD
RANK = COMM.Get_rank()
SIZE = COMM.Get_size()


# -- the callables, found by introspection --------------------------------------


def parse_signature(text):
    """[(name, required)] from a text signature ``($self, a, b=0, *, c=1)``."""
    if not text or "(" not in text:
        return None
    inner = text[text.index("(") + 1 : text.rindex(")")]
    params, depth, cur = [], 0, ""
    for ch in inner:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            params.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        params.append(cur.strip())
    out = []
    for p in params:
        if p.startswith("$") or p in ("/", "*") or p.startswith("**"):
            continue
        if p.startswith("*"):
            out.append((p.lstrip("*"), False, True))
            continue
        name = p.split("=")[0].split(":")[0].strip()
        out.append((name, "=" not in p, False))
    return out


def signature_of(obj):
    text = getattr(obj, "__text_signature__", None)
    if not text:
        doc = (getattr(obj, "__doc__", None) or "").split("\n", 1)[0]
        text = doc if "(" in doc else None
    return parse_signature(text) or []


def enumerate_callables():
    """Every public callable of cmpi.MPI: (qualified name, kind, owner,
    attribute, parameters).  kind: 'function' (module level), 'ctor' (a
    class called), 'method' (self from the pool), 'classmethod',
    'property' (get, set or delete with a hostile value), 'pickle' (the
    methods of MPI.pickle)."""
    found = []
    for name in sorted(dir(MPI)):
        if name.startswith("_"):
            continue
        obj = getattr(MPI, name)
        if isinstance(obj, type):
            found.append((name, "ctor", obj, None, signature_of(obj)))
            copies = getattr(MPI, "_method_copies", {}).get(obj, ())  # fuzzed in the base
            for attr in sorted(vars(obj)):
                if attr.startswith("_") or attr in copies:
                    continue
                raw = vars(obj)[attr]
                kind = type(raw).__name__
                qual = f"{name}.{attr}"
                if kind == "method_descriptor":
                    found.append((qual, "method", obj, attr, signature_of(raw)))
                elif kind in ("classmethod_descriptor", "classmethod", "staticmethod"):
                    found.append((qual, "classmethod", obj, attr, signature_of(getattr(obj, attr))))
                elif kind in ("getset_descriptor", "member_descriptor", "property"):
                    found.append((qual, "property", obj, attr, []))
        elif callable(obj) and type(obj).__name__ == "builtin_function_or_method":
            found.append((name, "function", None, name, signature_of(obj)))
    for attr in ("dumps", "loads", "dumps_oob", "loads_oob"):
        if hasattr(MPI.pickle, attr):
            found.append((f"pickle.{attr}", "pickle", None, attr, signature_of(getattr(MPI.pickle, attr))))
    return [c for c in found if c[0] not in rules.NEVER_CALL]


# -- the pool of handles ---------------------------------------------------------


def build_pool(tmpdir):
    """Handles of every kind: valid, null, freed.  Built the same way on
    every rank (collective constructors on COMM_WORLD are made by all)."""
    pool = {}

    def add(kind, label, obj):
        pool.setdefault(kind, []).append((label, obj))

    world_dup = COMM.Dup()
    self_dup = MPI.COMM_SELF.Dup()
    freed_comm = MPI.COMM_SELF.Dup()
    freed_comm.Free()
    add("comm", "COMM_WORLD", MPI.COMM_WORLD)
    add("comm", "COMM_SELF", MPI.COMM_SELF)
    add("comm", "COMM_NULL", MPI.COMM_NULL)
    add("comm", "world_dup", world_dup)
    add("comm", "self_dup", self_dup)
    add("comm", "freed_comm", freed_comm)
    add("comm", "cart", COMM.Create_cart([SIZE], periods=[True]))
    add("comm", "graph", COMM.Create_graph([1] * SIZE, list(range(SIZE))) if True else None)
    add("comm", "distgraph", COMM.Create_dist_graph_adjacent([RANK], [RANK]))
    if SIZE == 2:
        local = COMM.Split(RANK, 0)
        add("comm", "intercomm", local.Create_intercomm(0, COMM, 1 - RANK, 77))
        local.Free()
    add("comm", "Intercomm()", MPI.Intercomm())

    g = COMM.Get_group()
    freed_group = COMM.Get_group()
    freed_group.Free()
    add("group", "world_group", g)
    add("group", "GROUP_EMPTY", MPI.GROUP_EMPTY)
    add("group", "GROUP_NULL", MPI.GROUP_NULL)
    add("group", "freed_group", freed_group)

    vec = MPI.INT.Create_vector(2, 1, 2)  # left uncommitted
    contig = MPI.DOUBLE.Create_contiguous(2).Commit()
    freed_dt = MPI.INT.Dup()
    freed_dt.Free()
    struct = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT, MPI.DOUBLE]).Commit()
    for label, dt in [("INT", MPI.INT), ("DOUBLE", MPI.DOUBLE), ("BYTE", MPI.BYTE),
                      ("INT_INT", MPI.INT_INT), ("LB", getattr(MPI, "LB", MPI.DATATYPE_NULL)),
                      ("DATATYPE_NULL", MPI.DATATYPE_NULL), ("uncommitted_vector", vec),
                      ("contig2", contig), ("freed_dt", freed_dt), ("struct", struct)]:
        add("datatype", label, dt)

    user_op = MPI.Op.Create(lambda a, b, dt: None, commute=True)
    freed_op = MPI.Op.Create(lambda a, b, dt: None)
    freed_op.Free()
    for label, op in [("SUM", MPI.SUM), ("MAXLOC", MPI.MAXLOC), ("REPLACE", MPI.REPLACE),
                      ("NO_OP", MPI.NO_OP), ("OP_NULL", MPI.OP_NULL), ("user_op", user_op),
                      ("freed_op", freed_op)]:
        add("op", label, op)

    info = MPI.Info.Create()
    info.Set("key", "value")
    freed_info = MPI.Info.Create()
    freed_info.Free()
    for label, i in [("INFO_NULL", MPI.INFO_NULL), ("INFO_ENV", MPI.INFO_ENV),
                     ("info", info), ("freed_info", freed_info)]:
        add("info", label, i)

    user_eh = MPI.COMM_SELF.Create_errhandler(lambda comm, code: None)
    freed_eh = MPI.COMM_SELF.Create_errhandler(lambda comm, code: None)
    freed_eh.Free()
    # ERRORS_ARE_FATAL and ERRORS_ABORT are left out: they end the job by
    # design (rules.NEVER_VALUE).
    for label, e in [("ERRORS_RETURN", MPI.ERRORS_RETURN), ("ERRHANDLER_NULL", MPI.ERRHANDLER_NULL),
                     ("user_errhandler", user_eh), ("freed_errhandler", freed_eh)]:
        add("errhandler", label, e)

    pending_recv = self_dup.Irecv(bytearray(8), 0, rules.NEVER_TAG)
    done_req = MPI.COMM_SELF.Isend(b"", MPI.PROC_NULL)
    done_req.Wait()
    pers = MPI.COMM_SELF.Send_init(b"abc", MPI.PROC_NULL)
    greq = MPI.Grequest.Start(lambda status: None, lambda: None, lambda completed: None)
    for label, r in [("REQUEST_NULL", MPI.REQUEST_NULL), ("pending_irecv", pending_recv),
                     ("completed_request", done_req), ("prequest", pers), ("grequest", greq)]:
        add("request", label, r)

    for label, m in [("MESSAGE_NULL", MPI.MESSAGE_NULL), ("MESSAGE_NO_PROC", MPI.MESSAGE_NO_PROC)]:
        add("message", label, m)
    add("status", "Status()", MPI.Status())

    wmem = np.zeros(16, dtype="i4")
    try:
        win = MPI.Win.Create(wmem, disp_unit=4, comm=MPI.COMM_SELF)
    except MPI.Exception:  # Open MPI 4.1 cannot on COMM_SELF
        win = MPI.Win.Create(wmem, disp_unit=4, comm=COMM) if SIZE > 1 else MPI.WIN_NULL
    win_alloc = MPI.Win.Allocate(64, comm=MPI.COMM_SELF)
    freed_win = MPI.Win.Allocate(8, comm=MPI.COMM_SELF)
    freed_win.Free()
    for label, w in [("win", win), ("win_alloc", win_alloc), ("WIN_NULL", MPI.WIN_NULL),
                     ("freed_win", freed_win)]:
        add("win", label, w)
    pool["_keep"] = [("wmem", wmem)]

    path = os.path.join(tmpdir, f"pool-{RANK}.dat")
    f = MPI.File.Open(MPI.COMM_SELF, path, MPI.MODE_RDWR | MPI.MODE_CREATE)
    f.Write_at(0, bytearray(64))
    closed = MPI.File.Open(MPI.COMM_SELF, path + ".closed", MPI.MODE_RDWR | MPI.MODE_CREATE)
    closed.Close()
    for label, fh in [("file", f), ("FILE_NULL", MPI.FILE_NULL), ("closed_file", closed)]:
        add("file", label, fh)

    add("session", "SESSION_NULL", MPI.SESSION_NULL)
    add("memory", "Alloc_mem(16)", MPI.Alloc_mem(16))
    add("memory", "memory(bytearray)", MPI.memory(bytearray(16)))
    add("pickle", "MPI.pickle", MPI.pickle)
    add("pickle", "Pickle()", MPI.Pickle())
    return pool, [world_dup, self_dup]


# -- hostile values --------------------------------------------------------------

INTS = [0, 1, 2, 3, -1, -2, 7, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**32, 2**63 - 1,
        2**63, -(2**63) - 1, 2**64, 10**30, True]
FLOATS = [math.nan, math.inf, -math.inf, 0.5, -0.0, 1e300]
STRINGS = ["", "x", "INT", "i", "d", "\x00", "é" * 3, "a" * 300, "key", "w", "native"]
# rules.MAX_MESSAGE caps every buffer (see its comment).


def buffers(rng):
    """(label, fresh buffer): every layout a buffer can come in."""
    kind = rng.randrange(20)
    if kind == 0:
        return "bytearray(0)", bytearray(0)
    if kind == 1:
        return "bytearray(8)", bytearray(8)
    if kind == 2:
        return "bytearray(64)", bytearray(64)
    if kind == 3:
        return "bytes(8)", bytes(8)
    if kind == 4:
        return "memoryview(bytearray(16))[::2]", memoryview(bytearray(16))[::2]
    if kind == 5:
        return "np.zeros(3)", np.zeros(3)
    if kind == 6:
        return "np.zeros(8, 'i4')", np.zeros(8, "i4")
    if kind == 7:
        return "np.zeros((4, 4), order='F')", np.zeros((4, 4), order="F")
    if kind == 8:
        return "np.zeros((4, 4))[:, ::2]", np.zeros((4, 4))[:, ::2]
    if kind == 9:
        return "np.zeros(0)", np.zeros(0)
    if kind == 10:
        a = np.zeros(4)
        a.setflags(write=False)
        return "read-only np.zeros(4)", a
    if kind == 11:
        return "array('i', [0]*4)", array.array("i", [0] * 4)
    if kind == 12:
        return "np.zeros(3, 'U2')", np.zeros(3, "U2")
    if kind == 13:
        return "np.zeros(2, 'i4,f8')", np.zeros(2, "i4,f8")
    if kind == 14:
        return "np.zeros(4, 'c16')", np.zeros(4, "c16")
    if kind == 15:
        return "np.zeros((), 'f8')", np.zeros((), "f8")
    if kind == 16:
        return "np.zeros(4, 'f2')", np.zeros(4, "f2")
    if kind == 17:
        return "np.zeros(8)[::-1]", np.zeros(8)[::-1]
    if kind == 18:
        return "np.zeros((2, 3)).T", np.zeros((2, 3)).T
    return f"bytearray({rules.MAX_MESSAGE})", bytearray(rules.MAX_MESSAGE)


def message_spec(rng, pool):
    """(label, a message spec, often malformed)."""
    bl, buf = buffers(rng)
    dl, dt = pick(rng, pool, "datatype")
    forms = [
        (f"[{bl}]", lambda: [buf]),
        (f"[{bl}, -1]", lambda: [buf, -1]),
        ("[None, 8, INT]", lambda: [None, 8, MPI.INT]),
        (f"[{bl}, (1, 2), INT]", lambda: [buf, (1, 2), MPI.INT]),
        (f"[{bl}, {dl}]", lambda: [buf, dt]),
        (f"[{bl}, 2, {dl}]", lambda: [buf, 2, dt]),
        (f"[{bl}, 2**40, INT]", lambda: [buf, 2**40, MPI.INT]),
        (f"[{bl}, (2, -1), INT]", lambda: [buf, (2, -1), MPI.INT]),
        (f"[{bl}, 'x']", lambda: [buf, "x"]),
        (f"[{bl}, 1, 0, {dl}]", lambda: [buf, 1, 0, dt]),
        (f"[{bl}, [1], [0], {dl}]", lambda: [buf, [1], [0], dt]),
        (f"[{bl}, ([1, 1], [0, 1]), INT]", lambda: [buf, ([1, 1], [0, 1]), MPI.INT]),
        (f"[{bl}, [1, 2]]", lambda: [buf, [1, 2]]),
        (f"({bl}, 3, 'i')", lambda: (buf, 3, "i")),
        (f"[{bl}, None, None]", lambda: [buf, None, None]),
        (f"[{bl}, 1, 2, 3, 4, 5]", lambda: [buf, 1, 2, 3, 4, 5]),
        (f"[{bl}, [-1], None, INT]", lambda: [buf, [-1], None, MPI.INT]),
        (f"[{bl}, [2**40], [0], INT]", lambda: [buf, [2**40], [0], MPI.INT]),
        ("[IN_PLACE, 1, INT]", lambda: [MPI.IN_PLACE, 1, MPI.INT]),
        (f"[{bl}, [0]*SIZE, [0]*SIZE, [INT]*SIZE]",
         lambda: [buf, [0] * SIZE, [0] * SIZE, [MPI.INT] * SIZE]),
        (bl, lambda: buf),
        (bl, lambda: buf),
    ]
    label, make = rng.choice(forms)
    return label, make()


def pick(rng, pool, kind):
    return rng.choice(pool[kind])


HANDLE_KINDS = ["comm", "group", "datatype", "op", "info", "errhandler", "request",
                "message", "status", "win", "file", "session", "memory", "pickle"]


def any_value(rng, pool):
    """(label, value) from every kind of value there is."""
    k = rng.randrange(14)
    if k <= 2:
        v = rng.choice(INTS)
        return repr(v), v
    if k == 3:
        v = rng.choice(FLOATS)
        return repr(v), v
    if k == 4:
        v = rng.choice(STRINGS)
        return repr(v[:12]), v
    if k in (5, 6, 7):
        return pick(rng, pool, rng.choice(HANDLE_KINDS))
    if k == 8:
        return buffers(rng)
    if k == 9:
        return message_spec(rng, pool)
    if k == 10:
        return rng.choice([
            ("None", None), ("[]", []), ("()", ()), ("{}", {}), ("[1]", [1]),
            ("[0, 0, 1]", [0, 0, 1]), ("[-1]", [-1]), ("[(0, 0, 1)]", [(0, 0, 1)]),
            ("[(0, 2**31, 1)]", [(0, 2**31, 1)]), ("[[0, 1, 1]]", [[0, 1, 1]]),
            ("(1, 2)", (1, 2)), ("{'a': 1}", {"a": 1}), ("object()", object()),
            ("b'abc'", b"abc"), ("b''", b""), ("1+2j", 1 + 2j), ("range(3)", range(3)),
            ("np.int64(3)", np.int64(3)), ("np.float64(nan)", np.float64("nan")),
            ("[None]", [None]), ("[2**40]", [2**40]), ("[MPI.INT]*3", [MPI.INT] * 3),
        ])
    if k == 11:
        return rng.choice([
            ("BOTTOM", MPI.BOTTOM), ("IN_PLACE", MPI.IN_PLACE), ("UNWEIGHTED", MPI.UNWEIGHTED),
            ("WEIGHTS_EMPTY", MPI.WEIGHTS_EMPTY), ("ANY_SOURCE", MPI.ANY_SOURCE),
            ("ANY_TAG", MPI.ANY_TAG), ("PROC_NULL", MPI.PROC_NULL), ("ROOT", MPI.ROOT),
            ("UNDEFINED", MPI.UNDEFINED), ("Ellipsis", ...),
        ])
    if k == 12:
        return rng.choice([
            ("lambda *a, **k: None", lambda *a, **k: None),
            ("raising function", rules.raising),
            ("print", print),
        ])
    return "None", None


#: Parameter names that ask for a kind of value; anything else gets any value.
NAME_KINDS = {
    "comm": "comm", "peer_comm": "comm", "group": "group", "group1": "group", "group2": "group",
    "datatype": "datatype", "oldtype": "datatype", "etype": "datatype", "filetype": "datatype",
    "origin_datatype": "datatype", "target_datatype": "datatype", "op": "op",
    "info": "info", "errhandler": "errhandler", "request": "request", "status": "status",
    "win": "win", "file": "file", "message": "message",
}
BUF_NAMES = {"buf", "sendbuf", "recvbuf", "origin", "result", "compare", "obj", "base",
             "inbuf", "outbuf", "mem", "memory", "buffer", "target"}
RANK_NAMES = {"dest", "source", "root", "rank", "target_rank", "local_leader",
              "remote_leader", "sendtag", "recvtag", "tag", "key", "color", "index"}


def value_for(rng, pool, pname):
    """A value for parameter ``pname``: half the time one of its kind."""
    if rng.random() < 0.5:
        return any_value(rng, pool)
    if pname in NAME_KINDS:
        return pick(rng, pool, NAME_KINDS[pname])
    if pname in BUF_NAMES:
        return message_spec(rng, pool) if rng.random() < 0.6 else buffers(rng)
    if pname in ("requests", "array_of_requests"):
        n = rng.randrange(4)
        items = [pick(rng, pool, "request") for _ in range(n)]
        if rng.random() < 0.2:
            items.append(any_value(rng, pool))
        return "[" + ", ".join(l for l, _ in items) + "]", [v for _, v in items]
    if pname in ("statuses",):
        return rng.choice([("[Status()]", [MPI.Status()]), ("[]", []), ("None", None), ("[1]", [1])])
    if pname in RANK_NAMES:
        v = rng.choice([0, 1, -1, MPI.PROC_NULL, MPI.ANY_SOURCE, MPI.ANY_TAG, SIZE, 2**31, -(2**40)])
        return repr(v), v
    return any_value(rng, pool)


# -- one call ---------------------------------------------------------------------


def make_call(rng, callables, pool):
    """(text, thunk) for the next call."""
    qual, kind, owner, attr, params = rng.choice(callables)
    if kind == "property":
        sl, target = self_for(rng, pool, owner)
        op = rng.randrange(4)
        if op <= 1:
            return f"{sl}.{attr}", lambda: getattr(target, attr), qual
        if op == 2:
            vl, v = any_value(rng, pool)
            return f"{sl}.{attr} = {vl}", lambda: setattr(target, attr, v), qual
        return f"del {sl}.{attr}", lambda: delattr(target, attr), qual
    required = [p for p in params if p[1]]
    n = rng.choice([len(required)] * 3 + list(range(len(required), len(params) + 1)))
    r = rng.random()
    if r < 0.06:
        n = max(0, n - 1)
    elif r < 0.12:
        n += rng.randrange(1, 3)
    args, texts, kwargs = [], [], {}
    for j in range(n):
        pname = params[j][0] if j < len(params) else f"extra{j}"
        label, v = value_for(rng, pool, pname)
        if j < len(params) and not params[j][2] and rng.random() < 0.15:
            kwargs[pname] = v
            texts.append(f"{pname}={label}")
        else:
            if kwargs:  # positional after keyword: make it a keyword too
                kwargs[pname] = v
                texts.append(f"{pname}={label}")
            else:
                args.append(v)
                texts.append(label)
    r = rng.random()
    if r < 0.04:
        kwargs["bogus"] = 1
        texts.append("bogus=1")
    elif r < 0.07 and params and args:
        kwargs[params[0][0]] = args[0]  # given twice
        texts.append(f"{params[0][0]}=<again>")
    argtext = ", ".join(texts)
    if kind == "function":
        fn = getattr(MPI, attr)
        return f"MPI.{attr}({argtext})", lambda: fn(*args, **kwargs), qual
    if kind == "pickle":
        fn = getattr(MPI.pickle, attr)
        return f"MPI.pickle.{attr}({argtext})", lambda: fn(*args, **kwargs), qual
    if kind == "ctor":
        return f"MPI.{qual}({argtext})", lambda: owner(*args, **kwargs), qual
    if kind == "classmethod":
        fn = getattr(owner, attr)
        return f"MPI.{qual}({argtext})", lambda: fn(*args, **kwargs), qual
    sl, target = self_for(rng, pool, owner)
    unbound = getattr(owner, attr)
    return f"{sl}.{attr}({argtext})  [{qual}]", lambda: unbound(target, *args, **kwargs), qual


def self_for(rng, pool, owner):
    """An instance for a method of ``owner``: mostly of its class (valid,
    null or freed), sometimes of another."""
    fits = [(l, o) for kind in HANDLE_KINDS for l, o in pool[kind] if isinstance(o, owner)]
    if owner is MPI.Exception:
        fits = [("Exception(ERR_ARG)", MPI.Exception(MPI.ERR_ARG))]
    if not fits or rng.random() < 0.05:
        return any_value(rng, pool)
    return rng.choice(fits)


# -- watchdogs ----------------------------------------------------------------------


class Watchdog(threading.Thread):
    """Sends this process SIGINT once a call has run past its limit."""

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
    """A SIGINT sent just as the call returned is handled here."""
    try:
        for _ in range(20000):
            pass
        time.sleep(0.01)
    except KeyboardInterrupt:
        pass


def planted_failures():
    """CMPI_FUZZ_PLANT="crash:3,hang:7": calls that crash or hang on purpose,
    to show the driver reports them (tests/launch/test_fuzz_api.py)."""
    planted = {}
    for item in filter(None, os.environ.get("CMPI_FUZZ_PLANT", "").split(",")):
        what, i = item.split(":")
        if what == "crash":
            import ctypes

            planted[int(i)] = ("planted crash()", lambda: ctypes.string_at(0), "planted")
        else:
            planted[int(i)] = ("planted hang()", ignore_interrupts_forever, "planted")
    return planted


def complete_collective(qual, result):
    """Test a nonblocking collective's request until it completes, for at
    most rules.COMPLETE_SECONDS, so that an error MPI finds while
    progressing it is this call's (fuzz_api_rules.NONBLOCKING_COLLECTIVES).
    A request still pending then (the ranks disagreed, and a peer never
    started it) is dropped, as before."""
    name = qual.rpartition(".")[2]
    if name not in rules.NONBLOCKING_COLLECTIVES:
        return
    if not isinstance(result, MPI.Request) or result == MPI.REQUEST_NULL:
        return
    deadline = time.monotonic() + rules.COMPLETE_SECONDS
    while not result.Test():
        if time.monotonic() > deadline:
            return
        time.sleep(0.0005)


def ignore_interrupts_forever():
    while True:
        try:
            time.sleep(1)
        except KeyboardInterrupt:
            pass


def main():
    seed, start, count, logdir = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    os.chdir(logdir)  # File.Open/Delete of fuzzed names stay in here
    log = os.open(os.path.join(logdir, f"rank{RANK}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def write(line):
        os.write(log, (line + "\n").encode("utf-8", "backslashreplace"))

    harness = COMM.Dup()  # never in the pool: only the harness uses it
    pool, _ = build_pool(logdir)
    callables = enumerate_callables()
    write(f"B {start} {count} callables={len(callables)}")
    dog = Watchdog()
    dog.start()
    planted = planted_failures()
    mine = np.zeros(1, "i4")
    both = np.zeros(SIZE, "i4")
    codes = {"ok": 0, "exc": 1, "interrupted": 2}
    only = os.environ.get("CMPI_FUZZ_ONLY")  # "a-b,c,...": narrowing a replay
    keep = None
    if only:
        keep = set()
        for part in only.split(","):
            a, _, b = part.partition("-")
            keep.update(range(int(a), int(b or a) + 1))
    for i in range(start, start + count):
        if keep is not None and i not in keep:
            continue
        rng = random.Random(seed * 1_000_003 + i)
        text, thunk, qual = make_call(rng, callables, pool)
        if i in planted:
            text, thunk, qual = planted[i]
        write(f"S {i} {text}")
        limit = rules.SOFT_BLOCKING if qual in rules.BLOCKING else rules.SOFT_OTHER
        faulthandler.dump_traceback_later(rules.HARD_LIMIT, exit=True)
        outcome = "ok"
        truncated = 0
        try:
            try:
                dog.arm(limit)
                result = thunk()
                complete_collective(qual, result)
                del result
            finally:
                fired = dog.disarm()
                if fired:
                    absorb_late_interrupt()
        except KeyboardInterrupt:
            outcome = "interrupted"
        except BaseException as exc:  # noqa: BLE001 - every exception is an outcome
            if isinstance(exc, SystemExit):
                outcome = "exc:SystemExit"
            else:
                outcome = f"exc:{type(exc).__name__}"
            truncated = int(isinstance(exc, MPI.Exception) and
                            exc.Get_error_class() == MPI.ERR_TRUNCATE)
        write(f"E {i} {outcome}")
        if SIZE > 1:
            # lockstep: both ranks finish call i before either starts i+1, so
            # a collective never waits for a rank that is merely behind
            mine[0] = codes.get(outcome.split(":")[0], 1) + 10 * truncated
            harness.Allgather(mine, both)
            truncated = int(both.max() >= 10)
        if truncated:
            # MPI reported a truncated message: in a collective (whose
            # sizes a rank cannot check against its peers') the library may
            # already have written past the receive buffer, so this process
            # makes no more calls (fuzz_api_rules.TRUNCATED).
            faulthandler.cancel_dump_traceback_later()
            write(f"T {i}")
            break
        if SIZE > 1:
            if len(set(both.tolist())) > 1:
                # The ranks disagree: one raised where the other went on.
                # In a collective (an argument only the root checks) that
                # leaves their communicator's collectives out of step, and
                # every later collective on it would hang: end the batch;
                # the next one starts at the next call with a fresh pool.
                faulthandler.cancel_dump_traceback_later()
                write(f"D {i} {both.tolist()}")
                break
        faulthandler.cancel_dump_traceback_later()
    write("END")
    # Messages the fuzzed calls sent and nobody received: take them, so that
    # no synchronous send is left waiting at exit.
    status = MPI.Status()
    for label, comm in pool["comm"]:
        try:
            while comm.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status):
                comm.Recv(bytearray(status.Get_count(MPI.BYTE)), status.Get_source(), status.Get_tag())
        except Exception:  # noqa: BLE001 - a null or freed communicator
            pass
    # Windows left for MPI_Finalize abort MPICH 4.0 (UCX: "destroying inuse
    # region", SIGABRT): MPI wants every window freed first, so the harness
    # frees the pool's (a program that leaks a Win.Create window hits the
    # same; reported in the fuzzer's README paragraph).
    for label, w in pool["win"]:
        # end whatever epoch a fuzzed call opened, or Free refuses
        for end_epoch in (w.Unlock_all, lambda: w.Unlock(RANK), w.Complete, w.Test, w.Free):
            try:
                end_epoch()
            except Exception:  # noqa: BLE001 - null, freed, or no such epoch
                pass
    harness.Barrier()
    write("EXIT")


if __name__ == "__main__":
    main()
