"""The variants of the differential test: every public callable of mpi4py
4.1.2's ``MPI`` (from its own MPI.pyi, so the reference API decides what
is public), each called with systematically varied arguments.

A variant is Python source text evaluated by tests/differential/worker.py
under either binding in the same namespace (``MPI``, ``np``, ``array``,
``SIZE``, ``RANK``, helper classes ``Index``/``Int``, and the fresh
objects named in ``SELF``), so both bindings make exactly the same call
and the text itself is the variant's name in the report.

Generation is deterministic: the stub fixes the callables and their
parameters, the tables below fix the values, and the one sampled choice
(which buffer layouts a callable with several buffer parameters gets) is
drawn from ``random.Random(SEED)`` keyed by the callable's name.
"""

import ast
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fuzz"))
import fuzz_api_rules as fuzz_rules  # noqa: E402

SEED = 17

#: The instance a method is called on, per class: a name the worker binds
#: to a fresh object for each variant that mentions it (worker.FRESH).
SELF = {
    "Comm": "comm", "Intracomm": "comm", "Topocomm": "cart", "Cartcomm": "cart",
    "Graphcomm": "graph", "Distgraphcomm": "distgraph", "Intercomm": "inter",
    "Group": "group", "Datatype": "dt", "Op": "op", "Info": "info", "Errhandler": "eh",
    "Request": "req", "Prequest": "preq", "Grequest": "greq", "Message": "msg",
    "Status": "status", "Win": "win", "File": "fh", "buffer": "mem",
    "Pickle": "pickle", "Exception": "exc",
}

#: Never called, with the reason (besides the fuzzer's NEVER_CALL).
NEVER = dict(fuzz_rules.NEVER_CALL)
NEVER.update({
    "Session": "MPI sessions: Open MPI 4.1 aborts in MPI_Session_init, MPICH 4.0 starts a second MPI",
    "Comm.Abort": "ends the job by design",
    "Comm.Call_errhandler": "calls ERRORS_ARE_FATAL when that is the handler",
    "Win.Call_errhandler": "as Comm.Call_errhandler",
    "File.Call_errhandler": "as Comm.Call_errhandler",
    "Detach_buffer": "process-wide buffer state, covered by Attach_buffer variants",
    "Intercomm.Merge": "covered by the fuzzer; collective over two groups",
    "Intracomm.Create_intercomm": "needs a peer communicator and a remote leader: covered by tests/mpi",
    "Comm.Disconnect": "collective over the remote group; Free covers the local side",
    "Win.Start": "opens an access epoch that only a peer's Post lets the harness close",
    "Win.Post": "opens an exposure epoch that only a peer's Start/Complete lets the harness close",
})

#: Collective calls of a communicator: run at 2 ranks too (both ranks
#: making the same call); point-to-point calls run at 1 rank, where a
#: message to oneself needs no peer.
COLLECTIVE = set()
for _q in fuzz_rules.BLOCKING:
    if fuzz_rules.BLOCKING[_q].startswith("collective") and _q.split(".")[0] in (
            "Comm", "Intracomm", "Topocomm", "Cartcomm"):
        COLLECTIVE.add(_q.split(".")[1])
for _name in list(COLLECTIVE):
    if _name[0].isupper() and _name not in ("Free", "Dup", "Set_info", "Sub"):
        COLLECTIVE.add("I" + _name[0].lower() + _name[1:])
        COLLECTIVE.add(_name + "_init")
COLLECTIVE.update({"Ibarrier", "Barrier_init", "Iexscan", "Iscan"})

#: Point-to-point calls that receive: a variant first sends the
#: calling rank two 8-byte messages (tags 0 and 1) on its fresh
#: communicator, so that a valid receive finds one and returns.
RECEIVING = {"Recv", "recv", "Probe", "probe", "Mprobe", "mprobe", "Improbe", "improbe",
             "Iprobe", "iprobe", "Sendrecv", "sendrecv", "Sendrecv_replace", "Irecv",
             "irecv", "Recv_init", "Isendrecv", "Isendrecv_replace"}
#: Point-to-point calls that send: a variant first posts two receives
#: (any source, any tag), so that a synchronous send is matched.
SENDING = {"Send", "send", "Ssend", "ssend", "Bsend", "bsend", "Rsend", "Isend", "isend",
           "Issend", "issend", "Ibsend", "ibsend", "Irsend", "Send_init", "Ssend_init",
           "Bsend_init", "Rsend_init", "Sendrecv", "sendrecv", "Sendrecv_replace",
           "Isendrecv", "Isendrecv_replace", "Psend_init"}

RANK_NAMES = {"dest", "source", "root", "rank", "target_rank", "remote_leader",
              "local_leader", "target", "rank1", "rank2"}
TAG_NAMES = {"tag", "sendtag", "recvtag"}


def int_values(base):
    """Every form an integer argument comes in, around a valid ``base``."""
    return [
        f"{base}", f"{bool(base)}", f"{float(base)!r}", f"{base + 0.5!r}",
        f"np.int32({base})", f"np.int64({base})", f"np.uint8({base})", f"np.float64({float(base)!r})",
        f"Index({base})", f"Int({base})", "None", "-1", "-7", "SIZE", "2**31", "2**63",
        f"'{base}'", "[0]",
    ]


BUFFERS = [
    "bytes(8)", "bytearray(8)", "memoryview(bytes(8))", "memoryview(bytearray(8))",
    "array.array('i', [0, 0])", "np.zeros(2, 'i4')", "np.zeros(1, 'f8')", "np.zeros(8, 'u1')",
    "np.zeros(2, 'f4')", "np.zeros(1, 'c8')", "np.zeros(8, '?')", "np.zeros(1, 'i8')",
    "np.zeros(4, 'i2')", "np.zeros(2, 'U1')", "np.zeros((), 'f8')", "np.zeros(0)",
    "np.zeros(4, 'i4')[::2]", "np.zeros((2, 2), 'i2', order='F')",
    "[bytearray(8), MPI.BYTE]", "[bytearray(8), 8, MPI.BYTE]", "[bytearray(8), 2, MPI.INT]",
    "[bytearray(8), (8, 0), MPI.BYTE]", "[bytearray(8), 9, MPI.BYTE]",
    "[bytearray(8), 2.0, MPI.INT]", "[bytearray(8), 1.5, MPI.INT]",
    "[bytearray(8), ([8], [0]), MPI.BYTE]", "[bytearray(8), ([4, 4, 4], [0]), MPI.BYTE]",
    "[bytearray(8), 'i']", "[bytearray(8), 'q']", "[bytearray(8), None, MPI.BYTE]",
    "[bytearray(8)]", "(bytearray(8), MPI.BYTE)", "None", "1", "'abc'", "MPI.BOTTOM",
    "MPI.IN_PLACE",
]
#: Buffers for a vector or w-form message spec (one block per rank).
VBUFFERS = BUFFERS + [
    "[bytearray(8 * SIZE), ([8] * SIZE, [8 * i for i in range(SIZE)]), MPI.BYTE]",
    "[bytearray(8 * SIZE), ([8] * SIZE, None), MPI.BYTE]",
    "[bytearray(8 * SIZE), ([8] * (SIZE + 1), [0] * (SIZE + 1)), MPI.BYTE]",
    "[bytearray(8 * SIZE), [8] * SIZE, [8 * i for i in range(SIZE)], MPI.BYTE]",
    "[bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT]",
    "[bytearray(8 * SIZE), ([1.5] * SIZE, None), MPI.INT]",
    "[bytearray(8 * SIZE), [8] * SIZE, [8 * i for i in range(SIZE)], [MPI.BYTE] * SIZE]",
    "[bytearray(8 * SIZE), ([8] * SIZE, [8 * i for i in range(SIZE)]), [MPI.BYTE] * SIZE]",
    "[bytearray(8 * SIZE), [8], [0], [MPI.BYTE]]",
]
#: How many buffer variants a buffer parameter gets (a seeded sample per
#: callable, so that the whole run stays within a few minutes on two
#: cores): FIRST for a callable's first buffer parameter, SAMPLE for the
#: others.  Integer parameters get every value.
FIRST = 14
SAMPLE = 5


def kind_of(annotation, name):
    """The value kind of a parameter, from its stub annotation and name."""
    a = annotation.replace(" ", "")
    parts = set(a.split("|")) - {"None"}
    if any(p.startswith("BufSpec") or p in ("Buffer", "InPlace") for p in parts):
        return "vbuffer" if any(p in ("BufSpecV", "BufSpecW") for p in parts) else "buffer"
    if name in ("obj", "sendobj", "data") and "Any" in parts:
        return "object"
    if parts == {"int"} or parts == {"int", "Datatype"} and name == "count":
        return "int"
    if parts == {"bool"}:
        return "bool"
    if parts & {"str", "AnyStr", "PathLike[AnyStr]", "str|PathLike[AnyStr]"} or a.startswith("str"):
        return "str"
    for handle in ("Datatype", "Op", "Info", "Comm", "Intracomm", "Group", "Status",
                   "Errhandler", "Request", "Win", "File", "Message"):
        if handle in parts:
            return handle.lower() if handle != "Intracomm" else "comm"
    if any(p.startswith("Sequence[Request]") or p.startswith("Sequence[Status]") for p in parts):
        return "requests" if "Request" in a else "statuses"
    if any(p.startswith("Sequence[int]") or p.startswith("Sequence[bool]") for p in parts):
        return "ints"
    if any(p.startswith("Sequence[Datatype]") for p in parts):
        return "datatypes"
    if any(p.startswith("Callable") for p in parts):
        return "callable"
    if "float" in parts:
        return "float"
    return "any"


def base_value(kind, name):
    """A valid value of ``kind`` for parameter ``name``."""
    if kind in ("buffer", "vbuffer"):
        if name in ("recvbuf",):
            return "bytearray(8 * SIZE)"
        if name in ("sendbuf",) and kind == "vbuffer":
            return "bytearray(8 * SIZE)"
        return "bytearray(8)"
    if kind == "int":
        if name in RANK_NAMES or name in TAG_NAMES or name in ("disp", "offset", "errorcode",
                                                               "index", "keyval", "color", "key"):
            return "0"
        return "1"
    if kind == "bool":
        return "True"
    if kind == "float":
        return "1.0"
    if kind == "str":
        return {"key": "'k'", "value": "'v'", "datarep": "'native'", "name": "'n'",
                "filename": "'diff.dat'", "mode": "'r'"}.get(name, "'x'")
    if kind == "object":
        return "[1, 'a']"
    if kind == "ints":
        if name in ("periods", "reorder", "remain_dims"):
            return "[True]"
        if name in ("dims", "sizes", "gsizes", "psizes"):
            return "[SIZE]"
        return "[0]"
    if kind == "datatypes":
        return "[MPI.INT]"
    if kind == "requests":
        return "[req]"
    if kind == "statuses":
        return "[MPI.Status()]"
    if kind == "callable":
        return "lambda *args: None"
    return {"datatype": "MPI.INT", "op": "MPI.SUM", "info": "MPI.INFO_NULL", "comm": "comm",
            "group": "group", "status": "MPI.Status()", "errhandler": "MPI.ERRORS_RETURN",
            "request": "req", "win": "win", "file": "fh", "message": "msg"}.get(kind, "1")


def values_of(kind, name, base, rng):
    """The variants of one parameter."""
    if kind == "int":
        return int_values(int(base) if base.lstrip("-").isdigit() else 0)
    if kind == "buffer":
        return BUFFERS
    if kind == "vbuffer":
        return VBUFFERS
    if kind == "bool":
        return ["True", "0", "1", "None", "'x'", "2.5", "np.bool_(True)"]
    if kind == "float":
        return ["1.0", "1", "None", "'x'", "float('nan')"]
    if kind == "str":
        return [base, "1", "None", "b'x'", "''"]
    if kind == "object":
        return ["None", "42", "b'x'", "bytearray(3)", "np.arange(3)"]
    if kind == "ints":
        return [base, "[1.0]", "[0.5]", "[np.int32(1)]", "[None]", "None", "1", "[2**31]",
                "[-1]", "(1,)", "[Index(1)]", "[]", "'1'"]
    if kind == "datatypes":
        return [base, "[None]", "None", "[MPI.DATATYPE_NULL]", "MPI.INT", "['i']"]
    if kind == "requests":
        return [base, "[]", "[MPI.REQUEST_NULL]", "None", "req", "[1]", "(req,)"]
    if kind == "statuses":
        return [base, "[]", "None", "[1]"]
    if kind == "callable":
        return [base, "None", "1"]
    handles = {
        "datatype": ["MPI.INT", "MPI.DATATYPE_NULL", "None", "1", "'i'", "MPI.SUM"],
        "op": ["MPI.SUM", "MPI.OP_NULL", "None", "1", "lambda a, b: a", "MPI.INT"],
        "info": ["MPI.INFO_NULL", "info", "None", "1", "{'a': '1'}", "MPI.INT"],
        "comm": ["comm", "MPI.COMM_NULL", "None", "1", "MPI.INT"],
        "group": ["group", "MPI.GROUP_EMPTY", "MPI.GROUP_NULL", "None", "1"],
        "status": ["MPI.Status()", "None", "1", "[MPI.Status()]"],
        "errhandler": ["MPI.ERRORS_RETURN", "MPI.ERRHANDLER_NULL", "None", "1"],
        "request": ["req", "MPI.REQUEST_NULL", "None", "1"],
        "win": ["win", "MPI.WIN_NULL", "None", "1"],
        "file": ["fh", "MPI.FILE_NULL", "None", "1"],
        "message": ["msg", "MPI.MESSAGE_NULL", "MPI.MESSAGE_NO_PROC", "None", "1"],
    }
    return handles.get(kind, ["None", "1", "'x'", "[0]"])


def default_text(node):
    """A stub default as source text in the worker's namespace, or None."""
    if node is None:
        return None
    text = ast.unparse(node)
    if text == "...":
        return None
    if re.fullmatch(r"[A-Z][A-Z0-9_]+", text):
        return f"MPI.{text}"
    return text


def never_called(qual):
    """Why ``qual`` is never called, or None."""
    attr = qual.split(".")[-1]
    if attr in ("f2py", "fromint", "fromhandle", "fromaddress"):
        return "raw handle or address: any value is taken as one by design (crashes both)"
    return NEVER.get(qual) or NEVER.get(qual.split(".")[0])


def parse_stub(path):
    """[(qualname, kind, owner class, attr, [(name, annotation, default,
    keyword_only, positional_only)])] for every public callable."""
    tree = ast.parse(Path(path).read_text())
    found = []

    def params_of(fn, skip_self):
        a = fn.args
        out = []
        posonly = [(p, True) for p in a.posonlyargs]
        plain = [(p, False) for p in a.args]
        allpos = posonly + plain
        defaults = [None] * (len(allpos) - len(a.defaults)) + list(a.defaults)
        for (p, po), d in list(zip(allpos, defaults))[1 if skip_self else 0:]:
            out.append((p.arg, ast.unparse(p.annotation) if p.annotation else "Any",
                        d, False, po))
        for p, d in zip(a.kwonlyargs, a.kw_defaults):
            out.append((p.arg, ast.unparse(p.annotation) if p.annotation else "Any",
                        d, True, False))
        return out

    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            found.append((node.name, "function", None, node.name, params_of(node, False)))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            seen = set()
            for item in node.body:
                if not isinstance(item, ast.FunctionDef):
                    continue
                decos = {ast.unparse(d) for d in item.decorator_list}
                name = item.name
                if name in seen or "overload" in decos and name.startswith("__"):
                    continue
                if name == "__init__" or name == "__new__":
                    if "__ctor__" in seen:
                        continue
                    seen.add("__ctor__")
                    found.append((node.name, "ctor", node.name, None, params_of(item, True)))
                    continue
                if name.startswith("_") or any(d.endswith(".setter") for d in decos):
                    continue
                seen.add(name)
                qual = f"{node.name}.{name}"
                if "property" in decos:
                    found.append((qual, "property", node.name, name, []))
                elif "classmethod" in decos or "staticmethod" in decos:
                    found.append((qual, "classmethod", node.name, name, params_of(item, True)))
                else:
                    found.append((qual, "method", node.name, name, params_of(item, True)))
    return [c for c in found if not never_called(c[0])]


# -- the variants of one callable ---------------------------------------------------


def call_prefix(kind, owner, attr):
    if kind == "function":
        return f"MPI.{attr}"
    if kind == "ctor":
        return f"MPI.{owner}"
    if kind == "classmethod":
        return f"MPI.{owner}.{attr}"
    if kind == "pickle":
        return f"pickle.{attr}"
    return f"{SELF[owner]}.{attr}"


def render(prefix, positional, keywords):
    args = list(positional) + [f"{k}={v}" for k, v in keywords]
    return f"{prefix}({', '.join(args)})"


def variants_of(callable_, rng):
    """[(call text, note)] for one callable: the base call in positional
    and keyword form, then one parameter at a time through its values."""
    qual, kind, owner, attr, params = callable_
    prefix = call_prefix(kind, owner, attr)
    if kind == "property":
        return [(f"{SELF[owner]}.{attr}", "get")]
    required = [p for p in params if p[2] is None and not p[0].startswith("*")]
    kinds = {p[0]: kind_of(p[1], p[0]) for p in params}
    base = {p[0]: base_value(kinds[p[0]], p[0]) for p in params}
    out = []
    req_names = [p[0] for p in required]
    pos_req = [p[0] for p in required if not p[3]]
    kw_req = [p[0] for p in required if p[3]]
    base_pos = [base[n] for n in pos_req]
    base_kw = [(n, base[n]) for n in kw_req]
    out.append((render(prefix, base_pos, base_kw), "base"))
    if pos_req and not any(p[4] for p in required):
        out.append((render(prefix, [], [(n, base[n]) for n in req_names]), "keywords"))
    # every parameter passed, positionally where its default is known
    full = []
    for p in params:
        d = default_text(p[2]) if p[2] is not None else base[p[0]]
        if d is None or p[3]:
            break
        full.append(d)
    if len(full) > len(pos_req):
        out.append((render(prefix, full, base_kw), "positional with defaults"))
    if required:
        out.append((render(prefix, base_pos[:-1], base_kw) if pos_req else
                    render(prefix, [], base_kw[:-1]), "missing last required"))
    out.append((render(prefix, base_pos, base_kw + [("bogus", "1")]), "unknown keyword"))
    nbuf = 0
    for i, p in enumerate(params):
        name, ann, default, kwonly, posonly = p
        k = kinds[name]
        if k in ("buffer", "vbuffer"):
            nbuf += 1
        vals = values_of(k, name, base[name], rng)
        if k in ("buffer", "vbuffer"):
            n = FIRST if nbuf == 1 else SAMPLE
            vals = sorted(rng.sample(vals, min(n, len(vals))), key=vals.index)
        for v in vals:
            if name in req_names and not kwonly and not posonly:
                pos = [v if n == name else base[n] for n in pos_req]
                out.append((render(prefix, pos, base_kw), f"{k}:{name}={v}"))
            elif posonly:
                continue
            else:
                kws = [(n, v if n == name else base[n]) for n, _ in base_kw]
                if name not in kw_req:
                    kws.append((name, v))
                out.append((render(prefix, base_pos, kws), f"{k}:{name}={v}"))
    seen, unique = set(), []
    for text, note in out:
        if text not in seen:
            seen.add(text)
            unique.append((text, note))
    return unique


def setup_of(qual):
    """Statements a variant runs before its call (see RECEIVING, SENDING)."""
    name = qual.split(".")[-1]
    cls = qual.split(".")[0]
    lines = []
    if cls in ("Comm", "Intracomm") and name in SENDING:
        lines.append("post_receives(comm)")
    if cls in ("Comm", "Intracomm") and name in RECEIVING:
        lines.append("post_sends(comm)")
    if cls == "Message" and name in ("probe", "Probe", "iprobe", "Iprobe"):
        lines.append("post_sends(comm)")
    if cls == "File" and name.endswith("_end"):
        # a split collective's end needs its begin (mpi4py crashes without)
        offset = "0, " if "_at_" in name else ""
        lines.append(f"fh.{name[:-4]}_begin({offset}bytearray(8))")
    if cls == "Grequest" and name not in ("Complete", "complete"):
        # a generalized request completes when told (mpi4py crashes on a
        # second Complete, and a wait on an incomplete one never returns)
        lines.append("greq.Complete()")
    return "; ".join(lines)


def generate(stub):
    """Every variant: dicts with id, qual, np (rank counts), setup, call."""
    callables = parse_stub(stub)
    variants = []
    for c in callables:
        qual, kind, owner = c[0], c[1], c[2]
        rng = random.Random(f"{SEED}:{qual}")
        name = qual.split(".")[-1]
        if owner == "Intercomm" and kind == "method":
            nps = (2,)
        elif owner in ("Comm", "Intracomm", "Topocomm", "Cartcomm") and name in COLLECTIVE:
            nps = (1, 2)
        else:
            nps = (1,)
        setup = setup_of(qual)
        for text, note in variants_of(c, rng):
            for n in nps:
                if n == 2 and len(nps) > 1 and note.split(":")[0] in ("buffer", "vbuffer"):
                    continue  # buffer layouts are a local matter: 1 rank covers them
                variants.append({"id": f"np={n} {text}", "qual": qual, "np": n,
                                 "setup": setup, "call": text, "note": note})
    return callables, variants


if __name__ == "__main__":
    import collections

    sys.path.insert(0, str(HERE))
    import reference

    callables, vs = generate(reference.stub_path())
    per = collections.Counter(v["np"] for v in vs)
    print(f"{len(callables)} callables, {len(vs)} variants: {dict(per)}")
    for v in vs[: int(sys.argv[1]) if len(sys.argv) > 1 else 20]:
        print(v["id"], "   #", v["setup"])
