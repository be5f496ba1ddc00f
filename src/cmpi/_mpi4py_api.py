"""Every name of mpi4py's MPI module exists in cmpi.MPI.

``mpi4py-api.txt`` lists the public names of mpi4py 4.1.2's ``MPI``
module (generated from its type stub by tools/mpi4py_api_names.py).  When
``cmpi.MPI`` has been initialized, ``fill(module)`` looks each of them up
and, for those cmpi does not define, installs a stand-in that raises
``NotImplementedError`` naming the MPI function, instead of letting the
program fail with an ``AttributeError``:

- a missing function or method becomes a function that raises;
- a missing property becomes a property that raises when read;
- a missing class or constant is answered by the module's ``__getattr__``,
  which raises when the name is looked up.

Only names absent after initialization are filled, so nothing cmpi
implements is ever shadowed.  ``missing()`` lists the filled names.
"""

import os

_FILLED = []


def _c_int(value, name):
    """``value`` as a C int, converted as cmpi's integer arguments are: an
    int, an object with ``__index__`` or ``__int__``, an integral float; a
    fractional part raises ValueError, a value past a C int OverflowError."""
    if isinstance(value, bool) or not isinstance(value, int):
        kind = type(value)
        if isinstance(value, (str, bytes)) or not (
                hasattr(kind, "__index__") or hasattr(kind, "__float__")
                or hasattr(kind, "__int__")):
            raise TypeError(f"{name} must be an integer, not {kind.__name__}")
        if hasattr(kind, "__index__"):
            value = kind.__index__(value)
        elif hasattr(kind, "__float__"):
            number = float(value)
            if not number.is_integer():
                raise ValueError(f"{name}={value!r} is not an integer")
            value = int(number)
        else:
            value = int(value)
    if not -(2**31) <= value < 2**31:
        raise OverflowError(f"{name}={value} does not fit in a C int")
    return value


# The arguments of the stand-ins for functions the MPI library lacks,
# checked before NotImplementedError as where the library has them (and as
# mpi4py checks them): the signature refuses a missing or unknown argument,
# the body converts the values.
def _no_arguments():
    pass


def _self_only(self):
    pass


def _errorclass(errorclass):
    _c_int(errorclass, "errorclass")


def _errorcode(errorcode):
    _c_int(errorcode, "errorcode")


_CHECKS = {
    "Remove_error_class": _errorclass,
    "Remove_error_code": _errorcode,
    "Remove_error_string": _errorcode,
    "Flush_buffer": _no_arguments,
    "Iflush_buffer": _no_arguments,
    "Get_hw_resource_info": _no_arguments,
    "Comm.Flush_buffer": _self_only,
    "Comm.Iflush_buffer": _self_only,
    "Comm.Revoke": _self_only,
}

# Where a name's MPI function is not simply "MPI_" + the name (module
# level) or "MPI_<Class>_<name>" (class level).
_MPI_FUNCTION = {
    "Compute_dims": "MPI_Dims_create",
    "Get_abi_version": "MPI_Abi_get_version",
    "Get_abi_info": "MPI_Abi_get_info",
    "Get_abi_fortran_info": "MPI_Abi_get_fortran_info",
    "Iflush_buffer": "MPI_Buffer_iflush",
    "Flush_buffer": "MPI_Buffer_flush",
    "Intracomm.Create_cart": "MPI_Cart_create",
    "Intracomm.Create_graph": "MPI_Graph_create",
    "Intracomm.Create_dist_graph": "MPI_Dist_graph_create",
    "Intracomm.Create_dist_graph_adjacent": "MPI_Dist_graph_create_adjacent",
    "Intracomm.Create_intercomm": "MPI_Intercomm_create",
    "Intracomm.Create_from_group": "MPI_Comm_create_from_group",
    "Intracomm.Cart_map": "MPI_Cart_map",
    "Intracomm.Graph_map": "MPI_Graph_map",
    "Intracomm.Spawn": "MPI_Comm_spawn",
    "Intracomm.Spawn_multiple": "MPI_Comm_spawn_multiple",
    "Intracomm.Accept": "MPI_Comm_accept",
    "Intracomm.Connect": "MPI_Comm_connect",
    "Intercomm.Create_from_groups": "MPI_Intercomm_create_from_groups",
    "Intercomm.Merge": "MPI_Intercomm_merge",
    "Intercomm.Get_remote_group": "MPI_Comm_remote_group",
    "Comm.Flush_buffer": "MPI_Comm_flush_buffer",
    "Comm.Iflush_buffer": "MPI_Comm_iflush_buffer",
    "Group.Create_from_session_pset": "MPI_Group_from_session_pset",
    "Session.Create_group": "MPI_Group_from_session_pset",
    "Datatype.Get_value_index": "MPI_Type_get_value_index",
    "Datatype.Match_size": "MPI_Type_match_size",
    "Status.tomemory": None,
}

_COMM_FAMILY = {"Comm", "Intracomm", "Intercomm", "Topocomm"}
_COMM_OWN = (
    "Get_", "Set_", "Create_", "Free_", "Delete_", "Call_", "Dup", "Idup", "Split",
    "Revoke", "Is_", "Ack_", "Agree", "Iagree", "Shrink", "Ishrink", "Disconnect", "Join",
)
_PREFIX = {
    "Datatype": "MPI_Type_",
    "Cartcomm": "MPI_Cart_",
    "Graphcomm": "MPI_Graph_",
    "Distgraphcomm": "MPI_Dist_graph_",
    "Grequest": "MPI_Grequest_",
}


def mpi_function(owner, name):
    """The MPI function behind mpi4py's ``owner.name`` (owner None: module
    level); None for Python-level conveniences with no single function."""
    key = f"{owner}.{name}" if owner else name
    if key in _MPI_FUNCTION:
        return _MPI_FUNCTION[key]
    if name.startswith("_") or name[0].islower():
        return None
    if owner is None:
        return "MPI_" + name
    if owner in _COMM_FAMILY:
        if name.startswith(_COMM_OWN):
            return "MPI_Comm_" + name.lower()
        return "MPI_" + name
    if owner == "Prequest":  # partitioned communication: MPI_Pready ...
        return "MPI_" + name
    lower = name.lower()
    if owner in ("Cartcomm", "Graphcomm", "Distgraphcomm"):
        lower = lower.removeprefix("get_").removeprefix("dist_")
    prefix = _PREFIX.get(owner, f"MPI_{owner}_")
    return prefix + lower


def _message(qualname, function):
    if function:
        return f"MPI.{qualname}: {function} is not available in cmpi"
    return f"MPI.{qualname} is not available in cmpi"


def _raiser(qualname, function):
    message = _message(qualname, function)
    check = _CHECKS.get(qualname)

    def missing(*args, **kwargs):
        if check is not None:
            import inspect

            try:
                bound = inspect.signature(check).bind(*args, **kwargs)
            except TypeError as exc:  # named after the stand-in, not the check
                raise TypeError(f"{qualname}(): {exc}") from None
            check(*bound.args, **bound.kwargs)
        raise NotImplementedError(message)

    missing.__name__ = qualname.rpartition(".")[2]
    missing.__qualname__ = qualname
    missing.__doc__ = (
        f"{missing.__name__}(*args, **kwargs)\n\n"
        f"Not available in cmpi: raises NotImplementedError ({function or qualname})."
    )
    missing.__cmpi_missing__ = True
    missing.__cmpi_checks_arguments__ = check is not None
    return missing


def _names():
    path = os.path.join(os.path.dirname(__file__), "mpi4py-api.txt")
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                kind, name = line.split()
                yield kind, name


def fill(module):
    """Give ``module`` (cmpi.MPI) a stand-in for each mpi4py name it lacks."""
    from . import _typeinfo

    _typeinfo.install(module)  # Python implementations come first
    absent = {}  # module-level classes and constants: raised by __getattr__
    for kind, name in _names():
        owner, _, attr = name.rpartition(".")
        if not owner:
            if hasattr(module, name):
                continue
            _FILLED.append(name)
            if kind == "function":
                setattr(module, name, _raiser(name, mpi_function(None, name)))
            else:
                absent[name] = _message(name, None)
            continue
        cls = getattr(module, owner, None)
        if cls is None or hasattr(cls, attr):
            continue  # an absent class is already reported as a whole
        _FILLED.append(name)
        stand_in = _raiser(name, mpi_function(owner, attr))
        if kind == "attribute":
            stand_in = property(stand_in, doc=stand_in.__doc__)
        try:
            setattr(cls, attr, stand_in)
        except TypeError:
            pass  # an immutable type; the AttributeError stays
    if absent:
        previous = module.__dict__.get("__getattr__")

        def __getattr__(name):
            if name in absent:
                raise NotImplementedError(absent[name])
            if previous is not None:
                return previous(name)
            raise AttributeError(f"module 'cmpi.MPI' has no attribute {name!r}")

        module.__getattr__ = __getattr__


def missing():
    """The mpi4py names cmpi.MPI lacks, each answered by NotImplementedError."""
    return list(_FILLED)
