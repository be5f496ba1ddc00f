"""Collective-consistency checker (``python -m cmpi --check-collectives``,
``CMPI_CHECK_COLLECTIVES=1`` or ``cmpi.rc.check_collectives = True``).

When enabled, the collective methods of ``MPI.Comm`` and its subclasses are
replaced by wrappers.  Before the real call, the ranks of the communicator
agree on what MPI requires them to agree on:

- the collective's name (``Bcast``, ``bcast``, ``Ibcast`` and
  ``Bcast_init`` are different collectives),
- the call's sequence number on that communicator,
- the root (``Bcast``, ``Reduce``, ``Gather[v]``, ``Scatter[v]`` and their
  object forms),
- the reduction operation (a predefined op by name; any other op is
  "user op"),
- for intracommunicator ``Bcast``, ``Reduce``, ``Allreduce``,
  ``Reduce_scatter_block``, ``Scan`` and ``Exscan`` (blocking, nonblocking
  and persistent): the number of bytes of the message (count times the
  datatype's size), which equal type signatures always give.

On intercommunicators the name, sequence number and op are compared (the
root arguments legitimately differ between the two groups).

The exchange is one ``Iallreduce(MAX)`` of four int64 ``[h, -h, b, -b]`` on a
private communicator (a ``Split`` of the user's with one colour, made at
its first checked call after an ``Ibarrier`` on it that the timeout bounds; for an
intercommunicator, its ``Merge``), where ``h`` is a 62-bit
hash of the record and ``b`` the message's bytes: the ranks agree iff
``max(h) == -max(-h)`` and ``max(b) == -max(-b)`` (a rank that cannot
tell its size sends the smallest int64 for both, and is left out).  Only on a
mismatch do the ranks gather each other's full description to build the
message of ``CollectiveMismatchError``, raised on every rank.  A rank
waits at most ``CMPI_CHECK_TIMEOUT`` seconds (default 5) for the others;
then it raises ``CollectiveMismatchError`` saying that not every rank
reached a collective on that communicator.

Nonblocking collectives (``I...``) are checked without blocking: their
check completes at the next checked collective on the same communicator
(or its ``Free``), so that a correct program that relies on a nonblocking
collective not waiting for the other ranks still runs.
"""

import hashlib
import inspect
import operator
import os
import sys
import time
from array import array

from cmpi import MPI

__all__ = ["CollectiveMismatchError", "enable", "enabled"]


class CollectiveMismatchError(MPI.Exception):
    """The ranks of a communicator called different collectives, or the
    same collective with different roots, ops or counts (raised on every
    rank by the collective-consistency checker)."""

    __module__ = "cmpi"

    def __init__(self, message):
        super().__init__(MPI.ERR_OTHER)
        self.message = message

    def __str__(self):
        return self.message

    def __repr__(self):
        return f"CollectiveMismatchError({self.message!r})"


def _timeout():
    raw = os.environ.get("CMPI_CHECK_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else 5.0
    except ValueError:
        value = 5.0
    return value if value > 0 else 5.0


# name -> (root (position, keyword) or None, op (position, keyword) or None,
#          how the message's bytes are found: None, "buf", "recv", "reduce",
#          "rsb")
_ROOT1 = (1, "root")
_ROOT2 = (2, "root")
_ROOT3 = (3, "root")
_OP1 = (1, "op")
_OP2 = (2, "op")
_OP3 = (3, "op")


def _family(names, root=None, op=None, size=None):
    return {name: (root, op, size) for name in names}


def _forms(base):
    """The blocking, nonblocking and persistent forms of a collective."""
    _NONBLOCKING.add("I" + base.lower())
    return [base, "I" + base.lower(), base + "_init"]


_NONBLOCKING = set()


_SPECS = {}
_SPECS.update(_family(_forms("Barrier")))
_SPECS.update(_family(_forms("Bcast"), root=_ROOT1, size="buf"))
for _base in ("Gather", "Gatherv", "Scatter", "Scatterv"):
    _SPECS.update(_family(_forms(_base), root=_ROOT2))
for _base in ("Allgather", "Allgatherv", "Alltoall", "Alltoallv", "Alltoallw",
              "Neighbor_allgather", "Neighbor_allgatherv", "Neighbor_alltoall",
              "Neighbor_alltoallv", "Neighbor_alltoallw"):
    _SPECS.update(_family(_forms(_base)))
_SPECS.update(_family(_forms("Reduce"), root=_ROOT3, op=_OP2, size="reduce"))
_SPECS.update(_family(_forms("Allreduce"), op=_OP2, size="recv"))
_SPECS.update(_family(_forms("Scan") + _forms("Exscan"), op=_OP2, size="recv"))
_SPECS.update(_family(_forms("Reduce_scatter_block"), op=_OP2, size="rsb"))
_SPECS.update(_family(_forms("Reduce_scatter"), op=_OP3))
# object forms
_SPECS.update(_family(["barrier", "allgather", "alltoall",
                       "neighbor_allgather", "neighbor_alltoall"]))
_SPECS.update(_family(["bcast", "gather", "scatter"], root=_ROOT1))
_SPECS.update(_family(["reduce"], root=(2, "root"), op=_OP1))
_SPECS.update(_family(["allreduce", "scan", "exscan"], op=_OP1))
# communicator constructors that every rank of the communicator calls
_SPECS.update(_family(["Dup", "Dup_with_info", "Idup", "Idup_with_info", "Split",
                       "Split_type", "Create", "Create_cart", "Create_graph",
                       "Create_dist_graph", "Create_dist_graph_adjacent", "Merge",
                       "Sub"]))
del _base

_FREE_NAMES = ("Free", "free", "Disconnect")

# Filled at the first use: enable() runs while cmpi.MPI is still being
# imported, before Op.py2f exists.
_PREDEFINED_OPS = {}
_OP_NAMES = ("MAX", "MIN", "SUM", "PROD", "LAND", "BAND", "LOR", "BOR", "LXOR", "BXOR",
             "MAXLOC", "MINLOC", "REPLACE", "NO_OP")

_UNKNOWN = -(2**63)  # the size of a message that cannot be read
_originals = {}  # name -> the real method
_abandoned = []  # requests of checks that timed out, never freed
_keyval = None
_enabled = False
_here = os.path.normcase(os.path.abspath(__file__))


class _State:
    """What the checker keeps per user communicator (as an MPI attribute,
    so that it goes with the communicator)."""

    __slots__ = ("shadow", "seq", "pending", "skip", "inter", "broken")

    def __init__(self, comm):
        self.inter = comm.Is_inter()
        self.skip = not self.inter and comm.Get_size() == 1
        self.shadow = None
        self.seq = 0
        self.pending = []
        self.broken = None


def _argument(args, kwargs, where, default):
    pos, name = where
    if len(args) > pos:
        return args[pos]
    return kwargs.get(name, default)


def _rank_value(value):
    """A root as MPI will read it (an object with __index__ or __int__ is
    that int), as text; what is not an int is named by its type, so that
    the ranks compare the same text for the same argument."""
    if isinstance(value, int):
        return str(int(value))
    try:
        return str(operator.index(value))
    except Exception:
        pass
    try:
        return f"{type(value).__name__}:{int(value)}"
    except Exception:
        return f"<{type(value).__name__}>"


def _op_name(op):
    if not _PREDEFINED_OPS:
        for name in _OP_NAMES:
            predefined = getattr(MPI, name, None)
            if isinstance(predefined, MPI.Op):
                _PREDEFINED_OPS[predefined.py2f()] = name
    if isinstance(op, MPI.Op):
        try:
            return _PREDEFINED_OPS.get(op.py2f(), "user op")
        except Exception:
            return "user op"
    return "user op"


def _nbytes(spec):
    """Bytes of a buffer message spec, or None when not known."""
    if spec is None or isinstance(spec, type(MPI.IN_PLACE)) or spec is MPI.BOTTOM:
        return None
    count = dtype = None
    buf = spec
    if isinstance(spec, (list, tuple)):
        if not spec:
            return None
        buf = spec[0]
        for item in spec[1:]:
            if isinstance(item, MPI.Datatype):
                dtype = item
            elif isinstance(item, str):
                try:
                    dtype = MPI.Datatype.fromcode(item)
                except Exception:
                    return None
            elif isinstance(item, int) and not isinstance(item, bool):
                count = item
            elif isinstance(item, (list, tuple)) and item and isinstance(item[0], int):
                count = item[0]
            elif item is not None:
                return None
    try:
        view = memoryview(buf)
        nbytes, itemsize = view.nbytes, view.itemsize
    except Exception:
        if count is None or dtype is None:
            return None
        nbytes = itemsize = None
    try:
        if dtype is not None:
            if count is None:
                extent = dtype.Get_extent()[1]
                if extent <= 0:
                    return None
                count = nbytes // extent
            return count * dtype.Get_size()
    except Exception:
        return None
    if count is not None:
        return count * itemsize
    return nbytes


def _message_bytes(kind, comm, args, kwargs):
    if kind is None:
        return None
    if kind == "buf":
        return _nbytes(_argument(args, kwargs, (0, "buf"), None))
    sendbuf = _argument(args, kwargs, (0, "sendbuf"), None)
    recvbuf = _argument(args, kwargs, (1, "recvbuf"), None)
    in_place = isinstance(sendbuf, type(MPI.IN_PLACE))
    if kind == "recv":
        return _nbytes(recvbuf)
    if kind == "reduce":
        # None as the send buffer is IN_PLACE too
        return _nbytes(recvbuf if in_place or sendbuf is None else sendbuf)
    # Reduce_scatter_block: in place, the receive buffer holds every block
    n = _nbytes(recvbuf)
    if n is not None and in_place:
        size = comm.Get_size()
        return n // size if size else None
    return n


def _caller(frame):
    while frame is not None and os.path.normcase(os.path.abspath(
            frame.f_code.co_filename)) == _here:
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def _comm_name(comm):
    try:
        name = comm.Get_name()
    except Exception:
        name = ""
    return name or "a communicator"


def _state(comm):
    try:
        state = comm.Get_attr(_keyval)
    except MPI.Exception:
        return None  # COMM_NULL or a freed communicator: MPI will say
    if state is None:
        state = _State(comm)
        comm.Set_attr(_keyval, state)
    return state


def _wait(request, state, comm, what):
    """Poll ``request`` until it completes or the timeout passes: the
    first millisecond without a pause (the others usually arrive within
    microseconds, and a rank that gives up its core may wait a whole time
    slice to get it back), then yielding the core between polls, after
    10 ms sleeping 1 ms, so Ctrl-C gets through."""
    for _ in range(64):
        if request.Test():
            return
    start = time.monotonic()
    deadline = start + _timeout()
    busy_until = start + 0.001
    spin_until = start + 0.01
    while not request.Test():
        now = time.monotonic()
        if now > deadline:
            state.broken = (
                f"collective check timed out on {_comm_name(comm)}: not every rank "
                f"reached a collective on it within {_timeout():g} s; "
                f"rank {MPI.COMM_WORLD.Get_rank()} (of COMM_WORLD) is in {what}")
            # MPI may still write into the check's buffers: keep them.
            _abandoned.append(request)
            raise CollectiveMismatchError(state.broken)
        if now < busy_until:
            continue
        if now < spin_until:
            os.sched_yield()
        else:
            time.sleep(0.001)


def _make_shadow(comm, state, what):
    # Dup and Merge block until every rank calls them (cmpi's Idup is a
    # Dup too), so an Ibarrier polled with the timeout comes first: once
    # it completes, every rank is here and the Split cannot hang.
    _wait(_originals["Ibarrier"](comm), state, comm, what)
    # Split (not Dup): the user's attribute copy callbacks must not run.
    if state.inter:
        return _originals["Merge"](comm, False)
    return _originals["Split"](comm, 0, comm.Get_rank())


def _check(comm, name, args, kwargs, frame, nonblocking):
    state = _state(comm)
    if state is None or state.skip:
        return
    if state.broken is not None:
        raise CollectiveMismatchError(state.broken)
    # Earlier nonblocking checks complete first, in the order started (and
    # before this call takes a number, so a mismatch they find leaves every
    # rank's count the same).
    while state.pending:
        entry = state.pending.pop(0)
        _finish(comm, state, entry)
    root_at, op_at, size_kind = _SPECS[name]
    state.seq += 1
    parts = [name]
    shown = []
    if root_at is not None:
        root = _rank_value(_argument(args, kwargs, root_at, 0))
        shown.append(f"root={root}")
        parts.append("root=inter" if state.inter else f"root={root}")
    if op_at is not None:
        op = _op_name(_argument(args, kwargs, op_at, MPI.SUM))
        shown.append(f"op={op}")
        parts.append(f"op={op}")
    nbytes = None
    if size_kind is not None and not state.inter:
        nbytes = _message_bytes(size_kind, comm, args, kwargs)
        if nbytes is not None:
            shown.append(f"bytes={nbytes}")
    parts.append(f"seq={state.seq}")
    record = " ".join(parts)
    desc = f"{name}({', '.join(shown)}) at {_caller(frame)}"
    digest = hashlib.blake2b(record.encode(), digest_size=8).digest()
    h = int.from_bytes(digest, "little") >> 2
    if state.shadow is None:
        state.shadow = _make_shadow(comm, state, desc)
    # The sizes are compared apart from the hash: a rank that cannot tell
    # its size (a buffer without the buffer protocol) sends the smallest
    # int64 for both, which MAX ignores, and the others still compare.
    if nbytes is None:
        send = array("q", [h, -h, _UNKNOWN, _UNKNOWN])
    else:
        send = array("q", [h, -h, nbytes, -nbytes])
    recv = array("q", [0, 0, 0, 0])
    request = _originals["Iallreduce"](state.shadow, send, recv, MPI.MAX)
    entry = (request, send, recv, h, state.seq, desc)
    if nonblocking:
        state.pending.append(entry)
    else:
        _finish(comm, state, entry)


def _finish(comm, state, entry):
    request, _send, recv, h, seq, desc = entry
    try:
        _wait(request, state, comm, desc)
    except CollectiveMismatchError:
        _abandoned.append(entry)  # buffers MPI may still write into
        raise
    if recv[0] == -recv[1] and (recv[2] == -recv[3] or recv[3] == _UNKNOWN):
        return
    # Disagreement: every rank learns every rank's description.
    descs = _originals["allgather"](state.shadow, (MPI.COMM_WORLD.Get_rank(), desc))
    if state.inter:
        lines = [f"world rank {world}: {d}" for world, d in descs]
    else:
        lines = [f"rank {rank}: {d}" for rank, (_world, d) in enumerate(descs)]
    # Every rank took part in both exchanges: the communicator can go on.
    raise CollectiveMismatchError(f"collective mismatch on {_comm_name(comm)} (call {seq}): "
                                  + "; ".join(lines))


def _copy_doc(wrapper, name, real):
    """The wrapper shows the real method's signature and docstring (a C
    method's text signature is not in its __doc__: it goes first, as the
    other methods' docstrings start)."""
    wrapper.__name__ = real.__name__
    wrapper.__qualname__ = getattr(real, "__qualname__", name)
    wrapper.__wrapped__ = real
    doc = real.__doc__ or ""
    try:
        signature = inspect.signature(real)
    except (TypeError, ValueError):
        signature = None
    if signature is not None:
        params = list(signature.parameters.values())[1:]  # without self
        wrapper.__signature__ = signature
        first = doc.lstrip().splitlines()[0] if doc.strip() else ""
        if not first.startswith(name + "("):
            doc = f"{name}{signature.replace(parameters=params)}\n\n{doc}"
    wrapper.__doc__ = doc
    return wrapper


def _wrap(name, real):
    nonblocking = name in _NONBLOCKING

    def checked(self, *args, **kwargs):
        _check(self, name, args, kwargs, sys._getframe(1), nonblocking)
        return real(self, *args, **kwargs)

    return _copy_doc(checked, name, real)


def _wrap_free(name, real):
    def freeing(self, *args, **kwargs):
        try:
            state = self.Get_attr(_keyval)
        except Exception:
            state = None
        if state is not None and state.shadow is not None:
            # The pending checks' requests must complete before their
            # communicator goes (and a mismatch they found is reported).
            while state.pending:
                entry = state.pending.pop(0)
                _finish(self, state, entry)
            shadow, state.shadow = state.shadow, None
            try:
                _originals["Free"](shadow)
            except Exception:
                pass
        return real(self, *args, **kwargs)

    return _copy_doc(freeing, name, real)


_CLASSES = ("Comm", "Intracomm", "Intercomm", "Topocomm", "Cartcomm", "Graphcomm",
            "Distgraphcomm")


def enabled():
    """Whether the checker's wrappers are installed."""
    return _enabled


def enable():
    """Install the wrappers (once).  MPI must be initialized.  Called by
    cmpi._jobsafety.install while cmpi.MPI is still being imported: only
    its classes may be used here."""
    global _enabled, _keyval
    if _enabled:
        return
    _keyval = MPI.Comm.Create_keyval()
    for cls_name in _CLASSES:
        cls = getattr(MPI, cls_name, None)
        if cls is None:
            continue
        for name, real in list(vars(cls).items()):
            if name in _SPECS:
                _originals.setdefault(name, real)
                setattr(cls, name, _wrap(name, real))
            elif name in _FREE_NAMES:
                _originals.setdefault(name, real)
                setattr(cls, name, _wrap_free(name, real))
    _enabled = True
