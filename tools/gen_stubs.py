#!/usr/bin/env python3
"""Write src/cmpi/MPI.pyi from the built module's own text signatures.

The stub is generated, then committed; tests/launch/test_stubs.py checks
that it still matches the module (every public name, every parameter), so
it is regenerated whenever the API grows:

    .venv/openmpi/bin/python tools/gen_stubs.py > src/cmpi/MPI.pyi
"""

import inspect
import re
import sys

from cmpi import MPI

# Parameter name -> annotation, return annotations by method name.
PARAM_TYPES = {
    "buf": "BufSpec", "sendbuf": "BufSpec | InPlace", "recvbuf": "BufSpec | None",
    "obj": "Any", "sendobj": "Any", "dest": "int", "source": "int", "tag": "int",
    "sendtag": "int", "recvtag": "int", "status": "Status | None", "root": "int",
    "op": "Op | Callable[[Any, Any], Any]", "comm": "Comm", "datatype": "Datatype | str",
    "requests": "Sequence[Request]", "statuses": "list[Status] | None", "color": "int",
    "key": "int", "info": "Any", "errorcode": "int", "required": "int", "name": "str",
    "keyval": "int", "count": "int", "flag": "bool", "error": "int", "level": "int",
    "ierr": "int", "request": "Request | None", "x": "Any", "y": "Any",
    "dumps": "Callable[..., bytes]", "loads": "Callable[..., Any]", "protocol": "int",
    "threshold": "int", "data": "Any", "message": "Message | None",
    "group": "Group", "group1": "Group", "group2": "Group", "ranks": "Sequence[int]",
    "function": "Callable[[Any, Any, Datatype], None]", "commute": "bool",
    "blocklength": "int", "blocklengths": "Sequence[int]", "displacements": "Sequence[int]",
    "stride": "int", "lb": "int", "extent": "int", "recvcounts": "Sequence[int] | None",
}
RETURNS = {
    "Get_rank": "int", "Get_size": "int", "Get_name": "str", "Dup": "Self", "Clone": "Self",
    "Split": "Self", "Compare": "int", "Is_inter": "bool", "Is_intra": "bool",
    "Get_topology": "int", "Get_attr": "int | None", "Abort": "NoReturn",
    "recv": "Any", "sendrecv": "Any", "isend": "Request", "issend": "Request",
    "irecv": "Request", "Isend": "Request", "Issend": "Request", "Irecv": "Request",
    "Probe": "Literal[True]", "Iprobe": "bool", "probe": "Literal[True]", "iprobe": "bool",
    "bcast": "Any", "gather": "list[Any] | None", "scatter": "Any", "allgather": "list[Any]",
    "alltoall": "list[Any]", "reduce": "Any | None", "allreduce": "Any", "scan": "Any",
    "exscan": "Any", "Wait": "Literal[True]", "Test": "bool", "Get_status": "bool",
    "wait": "Any", "test": "tuple[bool, Any | None]", "Waitall": "Literal[True]",
    "Testall": "bool", "Waitany": "int", "Testany": "tuple[int, bool]",
    "waitall": "list[Any]", "testall": "tuple[bool, list[Any] | None]",
    "waitany": "tuple[int, Any]", "testany": "tuple[int, bool, Any | None]",
    "Get_source": "int", "Get_tag": "int", "Get_error": "int", "Get_count": "int",
    "Get_elements": "int", "Is_cancelled": "bool", "Get_size_dt": "int",
    "Get_extent": "tuple[int, int]", "Commit": "Self", "Create_contiguous": "Datatype",
    "Is_commutative": "bool", "Get_error_code": "int", "Get_error_class": "int",
    "Get_error_string": "str", "Init_thread": "int", "Is_initialized": "bool",
    "Is_finalized": "bool", "Query_thread": "int", "Is_thread_main": "bool",
    "Get_version": "tuple[int, int]", "Get_library_version": "str",
    "Get_processor_name": "str", "Wtime": "float", "Wtick": "float",
    "get_vendor": "tuple[str, tuple[int, int, int]]", "Get_remote_size": "int",
    "Get_group": "Group", "Create": "Any", "Create_group": "Self", "Incl": "Group",
    "Excl": "Group", "Range_incl": "Group", "Range_excl": "Group", "Union": "Group",
    "Intersection": "Group", "Difference": "Group", "Translate_ranks": "list[int]",
    "Create_vector": "Datatype", "Create_hvector": "Datatype", "Create_indexed": "Datatype",
    "Create_hindexed": "Datatype", "Create_indexed_block": "Datatype",
    "Create_resized": "Datatype", "Get_true_extent": "tuple[int, int]",
    "dumps": "bytes", "loads": "Any", "bsend": "None", "ibsend": "Request",
    "Ibsend": "Request", "Irsend": "Request", "Isendrecv": "Request",
    "Isendrecv_replace": "Request", "Send_init": "Prequest", "Bsend_init": "Prequest",
    "Ssend_init": "Prequest", "Rsend_init": "Prequest", "Recv_init": "Prequest",
    "Mprobe": "Message", "Improbe": "Message | None", "mprobe": "Message",
    "improbe": "Message | None", "Waitsome": "list[int] | None",
    "Testsome": "list[int] | None", "waitsome": "tuple[list[int] | None, list[Any] | None]",
    "testsome": "tuple[list[int] | None, list[Any] | None]",
    "Get_status_any": "tuple[int, bool]", "Get_status_all": "bool",
    "Get_status_some": "list[int] | None", "Detach_buffer": "Any",
}
PROPS = {
    "rank": "int", "size": "int", "name": "str", "is_inter": "bool", "is_intra": "bool",
    "topology": "int", "handle": "int", "remote_size": "int", "source": "int", "tag": "int",
    "error": "int", "count": "int", "cancelled": "bool", "extent": "int", "lb": "int",
    "ub": "int", "is_predefined": "bool", "is_commutative": "bool", "error_code": "int",
    "error_class": "int", "error_string": "str", "group": "Group", "true_lb": "int",
    "true_ub": "int", "true_extent": "int", "PROTOCOL": "int | None", "THRESHOLD": "int",
}
SETTABLE = {("Comm", "name"), ("Status", "source"), ("Status", "tag"), ("Status", "error"),
            ("Pickle", "PROTOCOL"), ("Pickle", "THRESHOLD")}


def _stand_in(obj):
    """A name cmpi lacks, answered by NotImplementedError (cmpi/_mpi4py_api.py)."""
    return getattr(getattr(obj, "fget", obj), "__cmpi_missing__", False)


def signature_text(obj):
    """(params, is_class_method) from __text_signature__ or the doc line."""
    text = getattr(obj, "__text_signature__", None)
    if text is None:
        first = (obj.__doc__ or "").splitlines()[0]
        m = re.match(r"\w+(\(.*\))", first)
        text = m.group(1) if m else "($self, *args, **kwargs)"
    params = [p.strip() for p in text.strip("()").split(",") if p.strip()]
    params = [p for p in params if p not in ("/",)]
    return params


def fmt_param(p):
    name, eq, default = p.partition("=")
    name = name.strip().lstrip("$")
    if name in ("self", "cls", "*args", "**kwargs") or name.startswith("*"):
        return name
    ann = PARAM_TYPES.get(name, "Any")
    if eq:
        default = default.strip()
        if default.startswith("cmpi.MPI.") or not re.match(r"^[-\d.]+$|^None$", default):
            default = "..."
        if default == "None" and "None" not in ann:
            ann += " | None"
        return f"{name}: {ann} = {default}"
    return f"{name}: {ann}"


def emit_function(name, obj, indent="", kind="method"):
    params = [fmt_param(p) for p in signature_text(obj)]
    if kind == "method" and (not params or params[0] != "self"):
        params.insert(0, "self")
    if kind == "classmethod":
        params = ["cls"] + [p for p in params if p not in ("self", "cls")]
    ret = RETURNS.get(name, "None")
    deco = f"{indent}@classmethod\n" if kind == "classmethod" else ""
    return f"{deco}{indent}def {name}({', '.join(params)}) -> {ret}: ...\n"


def main():
    out = [
        '"""Type stubs for cmpi.MPI (generated by tools/gen_stubs.py)."""\n\n',
        "from typing import Any, Callable, Literal, NoReturn, Sequence\n",
        "from typing_extensions import Self\n\n",
        "BufSpec = Any\n",
        "InPlace = InPlaceType\n\n",
    ]
    classes = [n for n in dir(MPI) if isinstance(getattr(MPI, n), type)]
    order = ["Exception", "Pickle", "Datatype", "Op", "Status", "Request", "Prequest", "Message",
             "Group", "Comm", "Intracomm",
             "Intercomm", "BottomType", "InPlaceType"]
    classes = [c for c in order if c in classes] + [c for c in classes if c not in order]
    for cname in classes:
        cls = getattr(MPI, cname)
        base = cls.__base__.__name__
        if base == "RuntimeError" or base == "int":
            pass
        elif base == "object":
            base = ""
        out.append(f"class {cname}{'(' + base + ')' if base else ''}:\n")
        sig = getattr(cls, "__text_signature__", None) or ""
        if cname not in ("BottomType", "InPlaceType"):
            params = [fmt_param(p) for p in signature_text(cls) if p.strip()]
            params = [p for p in params if p not in ("self", "cls")]
            out.append(f"    def __init__(self{''.join(', ' + p for p in params)}) -> None: ...\n")
        body = 0
        for name, attr in sorted(vars(cls).items()):
            if name.startswith("_") or _stand_in(attr):
                continue
            body += 1
            if isinstance(attr, classmethod) or type(attr).__name__ == "classmethod_descriptor":
                out.append(emit_function(name, getattr(cls, name), "    ", "classmethod"))
            elif callable(attr):
                out.append(emit_function(name, attr, "    "))
            else:
                ann = PROPS.get(name, "Any")
                out.append("    @property\n")
                out.append(f"    def {name}(self) -> {ann}: ...\n")
                if (cname, name) in SETTABLE:
                    out.append(f"    @{name}.setter\n")
                    out.append(f"    def {name}(self, value: {ann}) -> None: ...\n")
        if cname in ("Comm", "Datatype", "Op", "Request"):
            out.append("    def __eq__(self, other: object) -> bool: ...\n")
            out.append("    def __ne__(self, other: object) -> bool: ...\n")
            out.append("    def __bool__(self) -> bool: ...\n")
        if cname == "Op":
            out.append("    def __call__(self, x: Any, y: Any) -> Any: ...\n")
        if not body and cname in ("BottomType", "InPlaceType"):
            out.append("    ...\n")
        out.append("\n")
    for name in sorted(dir(MPI)):
        if name.startswith("_") or name in classes:
            continue
        value = getattr(MPI, name)
        if _stand_in(value):
            continue
        if callable(value) and not isinstance(value, (MPI.Op,)):
            out.append(emit_function(name, value, "", "function"))
        else:
            out.append(f"{name}: {type(value).__name__}\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
