#!/usr/bin/env python3
"""Write src/cmpi/MPI.pyi from the built module's own text signatures.

The stub is generated, then committed; tests/launch/test_stubs.py
regenerates it and compares (every public name, every parameter, every
type), and type-checks examples/ and tests/mpi/ against it with mypy, so
it is regenerated whenever the API grows:

    .venv/openmpi/bin/python tools/gen_stubs.py > src/cmpi/MPI.pyi

A method or attribute whose type is not in the tables below stops the
generator with its name, rather than being typed ``-> None``.
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
    "partitions": "int", "partition": "int", "partition_low": "int", "partition_high": "int",
    "errorclass": "int", "string": "str", "trace_events": "int", "exact": "bool",
}
# Return annotations, as mpi4py 4.x's own MPI.pyi gives them (checked
# against what cmpi returns).  Every method needs one: a method missing
# here stops the generator (no silent "-> None"), so a new method is added
# to this table when it is added to the module.  RETURNS_BY_TYPE names
# apply in every class; RETURNS_IN_CLASS ("Class.name") wins over them
# where classes differ (Comm.Probe vs Message.Probe).
PARAM_TYPES_IN_CLASS = {
    "Info.key": "str", "._comm_lock.key": "Hashable | None", "Comm.Agree.flag": "int", "Comm.Iagree.flag": "Buffer",
    "Prequest.Pready_list.partitions": "Sequence[int]", "._typecode.datatype": "Datatype",
}

RETURNS_BY_TYPE = {
    "None": """
        Accumulate Allgather Allgatherv Allreduce Alltoall Alltoallv Alltoallw Attach
        Attach_buffer Barrier Bcast Bsend Call_errhandler Cancel Close Close_port
        Compare_and_swap Complete Delete Delete_attr Detach Disconnect Exscan Fence
        Fetch_and_op Finalize Flush Flush_all Flush_local Flush_local_all Free Free_mem
        Gather Gatherv Get_accumulate Lock Lock_all Neighbor_allgather Neighbor_allgatherv
        Neighbor_alltoall Neighbor_alltoallv Neighbor_alltoallw Pcontrol Post Preallocate
        Publish_name Put Read Read_all Read_all_begin Read_all_end Read_at Read_at_all
        Read_at_all_begin Read_at_all_end Read_ordered Read_ordered_begin Read_ordered_end
        Read_shared Recv Reduce Reduce_local Reduce_scatter Reduce_scatter_block
        Register_datarep Rsend Scan Scatter Scatterv Seek Seek_shared Send Sendrecv
        Sendrecv_replace Set Set_atomicity Set_attr Set_cancelled Set_elements
        Set_errhandler Set_error Set_info Set_name Set_size Set_source Set_tag Set_view
        Ssend Startall Sync Unlock Unlock_all Unpublish_name Write Write_all
        Write_all_begin Write_all_end Write_at Write_at_all Write_at_all_begin
        Write_at_all_end Write_ordered Write_ordered_begin Write_ordered_end Write_shared
        barrier bsend cancel clear complete free release send ssend update
        Add_error_string Pready Pready_list Pready_range
    """,
    "NoReturn": "Abort",
    "Literal[True]": "Wait Waitall",
    "bool": """
        Get_atomicity Get_status Get_status_all Is_cancelled Is_commutative Is_finalized
        Is_initialized Is_inter Is_intra Is_revoked Is_thread_main Test Testall
        get_status get_status_all Parrived
    """,
    "int": """
        Ack_failed Agree Aint_add Aint_diff Cart_map Compare Create_keyval Free_keyval
        Get_address Get_amode Get_byte_offset Get_cart_rank Get_count Get_dim
        Get_dist_neighbors_count Get_elements Get_error Get_error_class Get_error_code
        Get_neighbors_count Get_nkeys Get_num_psets Get_position Get_position_shared
        Get_rank Get_remote_size Get_size Get_source Get_tag Get_topology Get_type_extent
        Graph_map Init_thread Pack Pack_external Pack_external_size Pack_size
        Query_thread Unpack Unpack_external Waitany py2f toint
        Add_error_class Add_error_code
    """,
    "float": "Wtick Wtime",
    "str": """
        Get_error_string Get_library_version Get_name Get_nth_pset Get_nthkey
        Get_processor_name Lookup_name Open_port pop tocode
    """,
    "str | None": "get",
    "bytes": "dumps tobytes",
    "memoryview": "cast tomemory",
    "buffer": "Alloc_mem allocate fromaddress frombuffer toreadonly",
    "Any": "allreduce bcast exscan loads loads_oob recv scan scatter sendrecv wait",
    "Any | None": "reduce",
    "Buffer | None": "Detach_buffer",
    "list[Any]": "allgather alltoall neighbor_allgather neighbor_alltoall waitall",
    "list[Any] | None": "gather",
    "list[int]": "Compute_dims Get_coords Get_neighbors Translate_ranks",
    "list[int] | None": "Get_status_some Testsome Waitsome get_status_some",
    "list[str]": "keys values",
    "list[tuple[str, str]]": "items",
    "tuple[int, int]": "Get_abi_version Get_dims Get_extent Get_true_extent Get_version Shift",
    "tuple[int, bool]": "Get_status_any Testany get_status_any",
    "tuple[int, int, int, int, int]": "Get_envelope",
    "tuple[list[int], list[int], list[int], list[Datatype]]": "Get_contents",
    "tuple[list[int], list[int], tuple[list[int], list[int]] | None]": "Get_dist_neighbors",
    "tuple[int, Datatype, Datatype, str]": "Get_view",
    "tuple[Datatype, str, dict[str, Any]]": "decode",
    "tuple[bytes, list[buffer]]": "dumps_oob",
    "tuple[buffer, int]": "Shared_query",
    "tuple[str, str]": "popitem",
    "tuple[str, tuple[int, int, int]]": "get_vendor",
    "tuple[bool, Any | None]": "test",
    "tuple[bool, list[Any] | None]": "testall",
    "tuple[int, Any]": "waitany",
    "tuple[int, bool, Any | None]": "testany",
    "tuple[list[int] | None, list[Any] | None]": "testsome waitsome",
    "Self": """
        Allocate Allocate_shared Clone Commit Create_contiguous Create_darray Create_dup
        Create_dynamic Create_env Create_f90_complex Create_f90_integer Create_f90_real
        Create_from_session_pset Create_hindexed Create_hindexed_block Create_hvector
        Create_indexed Create_indexed_block Create_resized Create_struct Create_subarray
        Create_vector Difference Dup Dup_with_info Excl Get_value_index Incl Intersect
        Intersection Match_size Open Range_excl Range_incl Resized Split Union copy
    """,
    "tuple[Self, Request]": "Idup Idup_with_info",
    "Request": """
        Iagree Iallgather Iallgatherv Iallreduce Ialltoall Ialltoallv Ialltoallw Ibarrier
        Ibcast Ibsend Iexscan Igather Igatherv Ineighbor_allgather Ineighbor_allgatherv
        Ineighbor_alltoall Ineighbor_alltoallv Ineighbor_alltoallw Iread Iread_all
        Iread_at Iread_at_all Iread_shared Irecv Ireduce Ireduce_scatter
        Ireduce_scatter_block Irsend Iscan Iscatter Iscatterv Isend Isendrecv
        Isendrecv_replace Issend Iwrite Iwrite_all Iwrite_at Iwrite_at_all Iwrite_shared
        Raccumulate Rget Rget_accumulate Rput ibsend irecv isend issend
    """,
    # mpi4py's stub says Request for Bsend_init/Rsend_init/Ssend_init; the
    # object is a Prequest (cmpi and mpi4py alike), which is a Request.
    "Prequest": """
        Allgather_init Allgatherv_init Allreduce_init Alltoall_init Alltoallv_init
        Alltoallw_init Barrier_init Bcast_init Bsend_init Exscan_init Gather_init
        Gatherv_init Neighbor_allgather_init Neighbor_allgatherv_init
        Neighbor_alltoall_init Neighbor_alltoallv_init Neighbor_alltoallw_init Recv_init
        Reduce_init Reduce_scatter_block_init Reduce_scatter_init Rsend_init Scan_init
        Scatter_init Scatterv_init Send_init Ssend_init Psend_init Precv_init
    """,
    "Message": "Mprobe mprobe",
    "Message | None": "Improbe improbe",
    "Group": "Get_failed Get_group Get_remote_group",
    "Info": "Get_abi_fortran_info Get_abi_info Get_info Get_pset_info",
    "Errhandler": "Create_errhandler Get_errhandler",
    "Comm": "Shrink Split_type",
    "tuple[Comm, Request]": "Ishrink",
    "Intracomm": "Create_from_group Create_from_groups Create_group Merge",
    "Intercomm": "Accept Connect Create_intercomm Get_parent Join Spawn Spawn_multiple",
    "Cartcomm": "Create_cart Sub",
    "Graphcomm": "Create_graph",
    "Distgraphcomm": "Create_dist_graph Create_dist_graph_adjacent",
    "Datatype": "fromcode",
    "int | Any | None": "Get_attr",
}
RETURNS_IN_CLASS = {
    "Comm.Create": "Comm", "Op.Create": "Self", "Info.Create": "Self", "Win.Create": "Self",
    "Session.Create_group": "Group",
    "Info.Get": "str | None", "Win.Get": "None",
    "Cartcomm.Get_topo": "tuple[list[int], list[int], list[int]]",
    "Graphcomm.Get_topo": "tuple[list[int], list[int]]",
    "Session.Init": "Self", "Init": "None",
    "Comm.Probe": "Literal[True]", "Comm.probe": "Literal[True]",
    "Comm.Iprobe": "bool", "Comm.iprobe": "bool",
    "Message.Probe": "Self", "Message.probe": "Self",
    "Message.Iprobe": "Self | None", "Message.iprobe": "Self | None",
    "Prequest.Start": "None", "Win.Start": "None", "Grequest.Start": "Grequest",
    "Status.py2f": "list[int]", "Status.f2py": "Self",
    "Win.tomemory": "buffer",
}
# mpi4py's private module helpers that cmpi also offers (mpi4py.util and
# mpi4py's tests use them): typed, the rest of "_" names stay out.
PRIVATE_FUNCTIONS = {
    "_set_abort_status": "None", "_comm_lock": "Lock", "_comm_lock_table": "dict[Hashable, Lock]",
    "_commctx_intra": "tuple[Intracomm, int]",
    "_commctx_inter": "tuple[Intercomm, int, Intracomm, bool]",
    "_typecode": "str | None", "_typealign": "int | None", "_datatype_create": "Datatype",
    "_datatype_decode": "tuple[Datatype, str, dict[str, Any]]", "_sizeof": "int",
    "_addressof": "int", "_handleof": "int",
    # cmpi's own: the profile and timeline (csrc/profile.c, cmpi.profile)
    "_prof_install": "int", "_prof_start": "None", "_prof_stop": "None", "_prof_reset": "None",
    "_prof_sampling": "bool",
    "_prof_data": "dict[str, tuple[int, int, int, int, int]]",
    "_prof_trace": "tuple[list[tuple[str, int, int, int, int, int, str | None]], int]",
}
RETURNS_IN_CLASS.update(PRIVATE_FUNCTIONS)
# mpi4py's private type maps (programs use MPI._typedict), typed as there.
PRIVATE_DATA = {
    "_typedict": "dict[str, Datatype]", "_typedict_c": "dict[str, Datatype]",
    "_typedict_f": "dict[str, Datatype]",
    # cmpi's own: each subclass's copies of its inherited methods (MPI.c)
    "_method_copies": "dict[type, frozenset[str]]",
}
# Handle conversions answer an object of the class that defines them.
RETURNS_OF_CLASS = ("f2py", "fromhandle", "fromint")
RETURNS = {name: ann for ann, names in RETURNS_BY_TYPE.items() for name in names.split()}


def return_type(cname, name):
    """The return annotation of ``cname.name`` (cname "" at module level)."""
    key = f"{cname}.{name}" if cname else name
    if key in RETURNS_IN_CLASS:
        return RETURNS_IN_CLASS[key]
    if cname and name in RETURNS_OF_CLASS:
        return cname
    if name in RETURNS:
        return RETURNS[name]
    sys.exit(f"gen_stubs.py: no return type for {key}: add it to RETURNS_BY_TYPE or RETURNS_IN_CLASS")


# Attribute (property) types, as in mpi4py 4.x's MPI.pyi; a property missing
# here stops the generator, as a method missing from RETURNS_BY_TYPE does.
PROPS = {
    "rank": "int", "size": "int", "name": "str", "is_inter": "bool", "is_intra": "bool",
    "topology": "int", "handle": "int", "remote_size": "int", "source": "int", "tag": "int",
    "error": "int", "count": "int", "cancelled": "bool", "extent": "int", "lb": "int",
    "ub": "int", "is_predefined": "bool", "is_commutative": "bool", "error_code": "int",
    "error_class": "int", "error_string": "str", "group": "Group", "true_lb": "int",
    "true_ub": "int", "true_extent": "int", "PROTOCOL": "int | None", "THRESHOLD": "int",
    "amode": "int", "atomicity": "bool", "combiner": "int", "dim": "int", "ndim": "int",
    "flavor": "int", "model": "int", "group_rank": "int", "group_size": "int",
    "indegree": "int", "outdegree": "int", "nedges": "int", "nneighbors": "int",
    "nnodes": "int", "is_named": "bool", "is_topo": "bool", "remote_group": "Group",
    "info": "Info", "typechar": "str", "typestr": "str", "coords": "list[int]",
    "edges": "list[int]", "index": "list[int]", "inedges": "list[int]",
    "neighbors": "list[int]", "outedges": "list[int]", "periods": "list[int]",
    "envelope": "tuple[int, int, int, int, int]", "attrs": "tuple[int, int, int]",
    "degrees": "tuple[int, int]",
    "contents": "tuple[list[int], list[int], list[int], list[Datatype]]",
    "inoutedges": "tuple[list[int], list[int]]",
    "address": "int", "obj": "Buffer | None", "nbytes": "int", "readonly": "bool",
    "format": "str", "itemsize": "int",
}
PROPS_IN_CLASS = {
    "Cartcomm.dims": "list[int]", "Graphcomm.dims": "tuple[int, int]",
    "Cartcomm.topo": "tuple[list[int], list[int], list[int]]",
    "Graphcomm.topo": "tuple[list[int], list[int]]",
}


def prop_type(cname, name):
    key = f"{cname}.{name}"
    if key in PROPS_IN_CLASS:
        return PROPS_IN_CLASS[key]
    if name in PROPS:
        return PROPS[name]
    sys.exit(f"gen_stubs.py: no type for the attribute {key}: add it to PROPS or PROPS_IN_CLASS")


SETTABLE = {("Comm", "name"), ("Datatype", "name"), ("Win", "name"),
            ("Status", "count"), ("Status", "cancelled"), ("Status", "source"), ("Status", "tag"), ("Status", "error"),
            ("Pickle", "PROTOCOL"), ("Pickle", "THRESHOLD")}


# Protocol methods, written when the class has them: Info is a mapping of
# str to str, buffer a sequence of bytes (ints) that exports its memory.
DUNDERS = {
    "Exception": [
        ("__int__", "def __int__(self) -> int: ..."),
        ("__lt__", "def __lt__(self, other: int) -> bool: ..."),
        ("__le__", "def __le__(self, other: int) -> bool: ..."),
        ("__gt__", "def __gt__(self, other: int) -> bool: ..."),
        ("__ge__", "def __ge__(self, other: int) -> bool: ..."),
    ],
    "Info": [
        ("__len__", "def __len__(self) -> int: ..."),
        ("__iter__", "def __iter__(self) -> Iterator[str]: ..."),
        ("__contains__", "def __contains__(self, key: object) -> bool: ..."),
        ("__getitem__", "def __getitem__(self, key: str) -> str: ..."),
        ("__setitem__", "def __setitem__(self, key: str, value: str) -> None: ..."),
        ("__delitem__", "def __delitem__(self, key: str) -> None: ..."),
    ],
    "BottomType": [
        ("__hash__", "def __hash__(self) -> int: ..."),
        ("__eq__", "def __eq__(self, other: object, /) -> bool: ..."),
        ("__ne__", "def __ne__(self, other: object, /) -> bool: ..."),
        ("__buffer__", "def __buffer__(self, flags: int, /) -> memoryview: ..."),
        ("__bool__", "def __bool__(self) -> bool: ..."),
        ("__int__", "def __int__(self) -> int: ..."),
        ("__index__", "def __index__(self) -> int: ..."),
    ],
    "InPlaceType": [
        ("__hash__", "def __hash__(self) -> int: ..."),
        ("__eq__", "def __eq__(self, other: object, /) -> bool: ..."),
        ("__ne__", "def __ne__(self, other: object, /) -> bool: ..."),
        ("__buffer__", "def __buffer__(self, flags: int, /) -> memoryview: ..."),
        ("__bool__", "def __bool__(self) -> bool: ..."),
        ("__int__", "def __int__(self) -> int: ..."),
    ],
    "BufferAutomaticType": [
        ("__hash__", "def __hash__(self) -> int: ..."),
        ("__eq__", "def __eq__(self, other: object, /) -> bool: ..."),
        ("__ne__", "def __ne__(self, other: object, /) -> bool: ..."),
        ("__buffer__", "def __buffer__(self, flags: int, /) -> memoryview: ..."),
        ("__bool__", "def __bool__(self) -> bool: ..."),
        ("__int__", "def __int__(self) -> int: ..."),
    ],
    "buffer": [
        ("__len__", "def __len__(self) -> int: ..."),
        ("__buffer__", "def __buffer__(self, flags: int, /) -> memoryview: ..."),
        ("__getitem__", "@overload\n    def __getitem__(self, item: int, /) -> int: ...\n"
                        "    @overload\n    def __getitem__(self, item: slice, /) -> buffer: ..."),
        ("__setitem__", "def __setitem__(self, item: int | slice, value: Any, /) -> None: ..."),
        ("__delitem__", "def __delitem__(self, item: int | slice, /) -> None: ..."),
    ],
}


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


def fmt_param(p, cname="", fname=""):
    name, eq, default = p.partition("=")
    name = name.strip()
    if name.startswith("$"):  # the bound first argument: self, or the class
        return "self"
    if name in ("self", "cls", "*args", "**kwargs") or name.startswith("*"):
        return name
    ann = PARAM_TYPES_IN_CLASS.get(f"{cname}.{fname}.{name}") or PARAM_TYPES_IN_CLASS.get(f"{cname}.{name}")
    ann = ann or PARAM_TYPES.get(name, "Any")
    if eq:
        default = default.strip()
        if default.startswith("cmpi.MPI.") or not re.match(r"^[-\d.]+$|^None$", default):
            default = "..."
        if default == "None" and "None" not in ann:
            ann += " | None"
        return f"{name}: {ann} = {default}"
    return f"{name}: {ann}"


def emit_function(cname, name, obj, indent="", kind="method"):
    params = [fmt_param(p, cname, name) for p in signature_text(obj)]
    if kind == "method" and (not params or params[0] != "self"):
        params.insert(0, "self")
    if kind == "classmethod":
        params = ["cls"] + [p for p in params if p not in ("self", "cls")]
    if kind == "function":
        params = [p for p in params if p != "self"]
    ret = return_type(cname, name)
    deco = f"{indent}@classmethod\n" if kind == "classmethod" else ""
    return f"{deco}{indent}def {name}({', '.join(params)}) -> {ret}: ...\n"


def main():
    out = [
        '"""Type stubs for cmpi.MPI (generated by tools/gen_stubs.py)."""\n\n',
        "from collections.abc import Hashable, Iterator\n",
        "from threading import Lock\n",
        "from typing import Any, Callable, Literal, NoReturn, Sequence, overload\n",
        "from typing_extensions import Self\n\n",
        "from .typing import Buffer\n\n",
        "BufSpec = Any\n",
        "InPlace = InPlaceType\n\n",
    ]
    classes = [n for n in dir(MPI) if isinstance(getattr(MPI, n), type)]
    # MPI.memory is MPI.buffer (mpi4py's old name): an alias, not a class.
    aliases = [n for n in classes if getattr(MPI, n).__name__ != n]
    classes = [n for n in classes if n not in aliases]
    order = ["Exception", "Pickle", "Datatype", "Op", "Status", "Request", "Prequest", "Message",
             "Group", "Comm", "Intracomm",
             "Intercomm", "BottomType", "InPlaceType", "BufferAutomaticType"]
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
        if cname not in ("BottomType", "InPlaceType", "BufferAutomaticType"):
            params = [fmt_param(p) for p in signature_text(cls) if p.strip()]
            params = [p for p in params if p not in ("self", "cls")]
            out.append(f"    def __init__(self{''.join(', ' + p for p in params)}) -> None: ...\n")
        copies = MPI._method_copies.get(cls, ())  # inherited: stubbed in the base
        for name, attr in sorted(vars(cls).items()):
            if name.startswith("_") or _stand_in(attr) or name in copies:
                continue
            if isinstance(attr, classmethod) or type(attr).__name__ == "classmethod_descriptor":
                out.append(emit_function(cname, name, getattr(cls, name), "    ", "classmethod"))
            elif callable(attr):
                out.append(emit_function(cname, name, attr, "    "))
            else:
                ann = prop_type(cname, name)
                out.append("    @property\n")
                out.append(f"    def {name}(self) -> {ann}: ...\n")
                if (cname, name) in SETTABLE:
                    out.append(f"    @{name}.setter\n")
                    out.append(f"    def {name}(self, value: {ann}) -> None: ...\n")
        for dunder, text in DUNDERS.get(cname, ()):
            # __buffer__ is a Python attribute only from 3.12 on.
            if dunder == "__buffer__" or getattr(cls, dunder, None) is not None:
                out.append(f"    {text}\n")
        if cname in ("Comm", "Datatype", "Op", "Request"):
            out.append("    def __eq__(self, other: object) -> bool: ...\n")
            out.append("    def __ne__(self, other: object) -> bool: ...\n")
            out.append("    def __bool__(self) -> bool: ...\n")
        if cname == "Op":
            out.append("    def __call__(self, x: Any, y: Any) -> Any: ...\n")
        out.append("\n")
    for name in aliases:
        out.append(f"{name} = {getattr(MPI, name).__name__}\n")
    for name in sorted(dir(MPI)):
        if name in PRIVATE_DATA:
            out.append(f"{name}: {PRIVATE_DATA[name]}\n")
            continue
        if name.startswith("_") and name not in PRIVATE_FUNCTIONS or name in classes or name in aliases:
            continue
        value = getattr(MPI, name)
        if _stand_in(value):
            continue
        if callable(value) and not isinstance(value, (MPI.Op,)):
            out.append(emit_function("", name, value, "", "function"))
        else:
            out.append(f"{name}: {type(value).__name__}\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
