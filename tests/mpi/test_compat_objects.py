"""mpi4py's object model: handle conversions, pickling of handles, free(),
MPI.Session, MPI.Grequest, and the smaller behaviours mpi4py's own suite
checks (Exception ordering, Translate_ranks defaults, Status setters...)."""

import copy
import ctypes
import gc
import pickle
import weakref
from array import array
from typing import Any

import numpy as np
import pytest

from mpiimpl import MPI, IS_CMPI
from mpitestutil import mpi_library_has

NULLS = [
    MPI.DATATYPE_NULL, MPI.REQUEST_NULL, MPI.INFO_NULL, MPI.ERRHANDLER_NULL,
    MPI.SESSION_NULL, MPI.GROUP_NULL, MPI.WIN_NULL, MPI.OP_NULL, MPI.FILE_NULL,
    MPI.MESSAGE_NULL, MPI.COMM_NULL,
]
CONSTANTS = NULLS + [
    MPI.INT, MPI.DOUBLE, MPI.INFO_ENV, MPI.ERRORS_RETURN, MPI.ERRORS_ARE_FATAL,
    MPI.ERRORS_ABORT, MPI.GROUP_EMPTY, MPI.SUM, MPI.MAXLOC, MPI.MESSAGE_NO_PROC,
    MPI.COMM_SELF, MPI.COMM_WORLD,
]


@pytest.mark.parametrize("obj", CONSTANTS, ids=repr)
def test_handle_conversions_round_trip(obj):
    cls = type(obj)
    assert cls.fromhandle(obj.handle) == obj
    assert type(cls.fromhandle(obj.handle)) is cls
    assert cls.fromint(obj.toint()) == obj
    f = obj.py2f()
    if f != -1:
        assert cls.f2py(f) == obj


@pytest.mark.parametrize("obj", CONSTANTS, ids=repr)
def test_ctypes_view_of_handle(obj):
    size = MPI._sizeof(obj)
    assert size == MPI._sizeof(type(obj))
    ctype = {4: ctypes.c_uint32, 8: ctypes.c_uint64}[size]
    value = ctype.from_address(MPI._addressof(obj)).value
    if obj is not MPI.ERRORS_ABORT:  # may be emulated: no handle stored
        assert value == MPI._handleof(obj)
    with pytest.raises(TypeError):
        MPI._sizeof(None)


@pytest.mark.parametrize("obj", CONSTANTS, ids=repr)
def test_pickle_predefined_by_name(obj):
    for copier in (lambda o: pickle.loads(pickle.dumps(o)), copy.copy, copy.deepcopy):
        assert copier(obj) is obj
        clone = copier(type(obj)(obj))
        assert clone is not obj
        assert clone == obj
        assert type(clone) is type(obj)


def test_pickle_derived_datatypes():
    vec = MPI.INT.Create_vector(2, 3, 4)
    indexed = MPI.INT.Create_indexed([1, 2], [0, 3])
    types = [
        vec,
        MPI.DOUBLE.Create_contiguous(5),
        MPI.Datatype.Create_struct([1, 2], [0, 16], [vec, MPI.DOUBLE]),
        indexed.Create_resized(0, 64),
        MPI.BYTE.Dup(),
    ]
    indexed.Free()
    for t in types:
        u = pickle.loads(pickle.dumps(t))
        assert u != t
        assert u.envelope == t.envelope
        assert u.decode()[1:] == t.decode()[1:] or u.combiner == MPI.COMBINER_STRUCT
        assert (u.size, u.extent, u.lb) == (t.size, t.extent, t.lb)
        u.Free()
    for t in types:
        t.Free()


def test_pickle_info_status_op():
    info = MPI.Info.Create({"a": "1", "b": "2"})
    clone = pickle.loads(pickle.dumps(info))
    assert clone != info and clone.items() == info.items()
    clone.Free()
    info.Free()
    s = MPI.Status()
    s.source, s.tag, s.error = 3, 4, MPI.ERR_ARG
    t = pickle.loads(pickle.dumps(s))
    assert (t.source, t.tag, t.error) == (3, 4, MPI.ERR_ARG)
    op = MPI.Op.Create(_add, True)
    op2 = pickle.loads(pickle.dumps(op))
    assert op2 != op and op2.Is_commutative()
    assert op2([1], [2]) == [3]
    op.Free()
    op2.Free()


def _add(a, b, dt=None):
    if dt is None:
        return [x + y for x, y in zip(a, b)]
    return None


def test_pickle_refuses_local_handles():
    dup = MPI.COMM_SELF.Dup()
    group = dup.Get_group()
    for obj in (dup, group):
        with pytest.raises(ValueError):
            pickle.dumps(obj)
    group.Free()
    dup.Free()


def test_user_op_called_on_objects():
    op = MPI.Op.Create(_add)
    assert op([1, 2], [3, 4]) == [4, 6]
    assert MPI.Op(op)([1], [1]) == [2]  # a copy finds the function
    op.Free()
    assert MPI.MINLOC([[1], 2], [[1], 1])[1] == 1
    assert MPI.MAXLOC(([5], 0), ([2], 1))[1] == 0


def test_free_is_safe():
    for obj in CONSTANTS:
        obj.free()  # type: ignore[attr-defined]
        assert bool(obj) == (obj not in NULLS)
    for obj in (MPI.INT.Dup(), MPI.Info.Create(), MPI.COMM_SELF.Dup(),
                MPI.COMM_SELF.Get_group(), MPI.Op.Create(_add)):
        assert obj
        obj.free()
        assert not obj
        obj.free()


def test_exception_orders_as_code():
    success = MPI.Exception(MPI.SUCCESS)
    exc = MPI.Exception(MPI.ERR_OTHER)
    assert success <= MPI.ERR_OTHER <= MPI.Exception(MPI.ERR_LASTCODE)
    assert exc > success and exc >= MPI.ERR_OTHER  # type: ignore[operator]
    assert MPI.Exception(-1) == MPI.ERR_UNKNOWN
    assert MPI.ERR_ERRHANDLER in (MPI.ERR_ERRHANDLER, MPI.ERR_ARG)


def test_status_setters_and_memory():
    s = MPI.Status()
    s.count = 7
    assert s.count == 7
    s.cancelled = True
    assert s.cancelled is True
    s.source = 11
    mem = s.tomemory()
    assert mem.nbytes == MPI._sizeof(s) and mem.format == "i"
    mem[list(mem).index(11)] = 333
    assert s.source == 333
    s.source = 11
    f = s.py2f()
    assert len(f) == MPI.F_STATUS_SIZE and f[MPI.F_SOURCE] == 11
    assert MPI.Status.f2py(f).source == 11

    class MyStatus(MPI.Status):
        pass

    assert MyStatus(s).source == 11


def test_translate_ranks_defaults():
    world = MPI.COMM_WORLD.Get_group()
    self_group = MPI.COMM_SELF.Get_group()
    assert self_group.Translate_ranks() == [world.Get_rank()]
    assert world.Translate_ranks([MPI.PROC_NULL], self_group) == [MPI.PROC_NULL]
    self_group.Free()
    world.Free()


def test_null_names():
    assert MPI.DATATYPE_NULL.Get_name() == "MPI_DATATYPE_NULL"
    assert MPI.COMM_NULL.Get_name() == "MPI_COMM_NULL"


def test_request_copy_takes_over():
    req = MPI.COMM_SELF.Isend([bytearray(4), MPI.BYTE], MPI.PROC_NULL)
    copy_ = MPI.Request(req)
    del req
    copy_.Wait()
    preq = MPI.COMM_SELF.Send_init([bytearray(4), MPI.BYTE], MPI.PROC_NULL)
    clone = MPI.Prequest(preq)
    del preq
    for _ in range(3):
        clone.Start()
        clone.Wait()
    clone.Free()


def test_grequest_callbacks():
    log = []

    def query(status):
        status.source, status.tag = 3, 7

    greq = MPI.Grequest.Start(query, lambda: log.append("free"),
                              lambda done: log.append(("cancel", done)))  # type: ignore[arg-type]
    assert not greq.Test()
    greq.Cancel()
    greq.Complete()
    st = MPI.Status()
    greq.Wait(st)
    assert (st.source, st.tag) == (3, 7)
    assert log == [("cancel", False), "free"]
    greq = MPI.Grequest.Start()
    greq.complete(42)
    assert greq.wait() == 42
    greq = MPI.Grequest.Start()
    with pytest.raises(TypeError):
        MPI.Prequest(greq)
    greq.Complete()
    greq.Wait()


def test_grequest_callback_exception_becomes_error():
    def query(_status):
        raise MPI.Exception(MPI.ERR_BUFFER)

    greq = MPI.Grequest.Start(query)
    greq.Complete()
    with pytest.raises(MPI.Exception) as info:
        greq.Wait()
    assert info.value.Get_error_class() == MPI.ERR_BUFFER


def test_session():
    assert not MPI.SESSION_NULL
    assert MPI.Session() == MPI.SESSION_NULL
    try:
        session = MPI.Session.Init()
    except NotImplementedError as exc:
        assert not mpi_library_has("MPI_Session_init")
        assert "MPI_Session_init" in str(exc)
        return
    assert session
    names = [session.Get_nth_pset(i) for i in range(session.Get_num_psets())]
    assert "mpi://SELF" in names
    group = session.Create_group("mpi://SELF")
    assert group.Get_size() == 1
    group.Free()
    with pytest.raises(ValueError):
        pickle.dumps(session)
    session.Finalize()
    assert not session


def test_datatype_extras():
    assert MPI.Datatype.Get_value_index(MPI.INT, MPI.INT) == MPI.INT_INT
    assert MPI.Datatype.Get_value_index(MPI.DOUBLE, MPI.FLOAT) == MPI.DATATYPE_NULL
    with pytest.raises(MPI.Exception):
        MPI.Datatype.Get_value_index(MPI.DATATYPE_NULL, MPI.INT)
    assert MPI.Datatype.Match_size(MPI.TYPECLASS_REAL, 8).size == 8
    big = (1 << 31) + 10
    t = MPI.BYTE.Create_contiguous(big)
    assert t.size == big
    t.Free()
    name = MPI.INT.name
    MPI.INT.name = name
    assert MPI.INT.name == name


def test_file_group_props(tmp_path_factory):
    comm = MPI.COMM_SELF
    path = str(tmp_path_factory.mktemp("f") / "x")
    f = MPI.File.Open(comm, path, MPI.MODE_CREATE | MPI.MODE_RDWR | MPI.MODE_DELETE_ON_CLOSE)
    assert (f.group_size, f.group_rank) == (1, 0)
    with pytest.raises(ValueError):
        pickle.dumps(f)
    f.Close()


def test_abi_fallbacks():
    assert MPI.Get_abi_version() >= (1, 0) or MPI.Get_abi_version() == (-1, -1)
    info = MPI.Get_abi_info()
    assert int(info.Get("mpi_aint_size")) == MPI.AINT.Get_size()  # type: ignore[arg-type]
    info.Free()
    MPI.Get_abi_fortran_info()


def test_python_errhandlers_call_their_own_function():
    comm = MPI.COMM_SELF.Dup()
    seen = []
    handlers = [MPI.Comm.Create_errhandler(lambda c, e, i=i: seen.append(i))
                for i in range(12)]
    try:
        for i, eh in enumerate(handlers):
            comm.Set_errhandler(eh)
            comm.Call_errhandler(MPI.ERR_OTHER)
            comm.Set_errhandler(MPI.ERRORS_RETURN)
        assert seen == list(range(12))
    finally:
        for eh in handlers:
            eh.Free()
        comm.Free()


def test_free_of_predefined_copy_forgets_it():
    for obj in (MPI.INT, MPI.COMM_WORLD, MPI.SUM, MPI.GROUP_EMPTY, MPI.INFO_ENV):
        clone = type(obj)(obj)  # type: ignore[arg-type]
        clone.free()
        assert not clone
        assert obj


# Comparison and truth of every handle class: == and != compare handles,
# an object of another class is never equal (NotImplemented, then Python's
# identity fallback), ordering is a TypeError, and only the null handle is
# false.  Each case: (an object, an equal one, a different one, the null).
def _handle_cases(tmp_path):
    made: list[tuple[Any, Any, Any, Any]] = []
    cleanup: list[Any] = []
    world, self_ = MPI.COMM_WORLD, MPI.COMM_SELF
    made.append((MPI.INT, MPI.Datatype(MPI.INT), MPI.DOUBLE, MPI.DATATYPE_NULL))
    made.append((MPI.SUM, MPI.Op(MPI.SUM), MPI.PROD, MPI.OP_NULL))
    group = world.Get_group()
    cleanup.append(group.Free)
    made.append((group, MPI.Group(group), MPI.GROUP_EMPTY, MPI.GROUP_NULL))
    info = MPI.Info.Create()
    cleanup.append(info.Free)
    made.append((info, MPI.Info(info), MPI.INFO_ENV, MPI.INFO_NULL))
    made.append((MPI.ERRORS_RETURN, MPI.Errhandler(MPI.ERRORS_RETURN),
                 MPI.ERRORS_ARE_FATAL, MPI.ERRHANDLER_NULL))
    # ERRORS_ABORT may be emulated by cmpi (no MPI handle): still true,
    # equal to its copies only
    made.append((MPI.ERRORS_ABORT, MPI.Errhandler(MPI.ERRORS_ABORT),
                 MPI.ERRORS_RETURN, MPI.ERRHANDLER_NULL))
    # a Comm equals an Intracomm with the same handle
    made.append((world, MPI.Comm(world), self_, MPI.COMM_NULL))
    made.append((MPI.Intracomm(self_), self_, world, MPI.COMM_NULL))
    send = self_.Send_init(bytearray(1), MPI.PROC_NULL)
    recv = self_.Recv_init(bytearray(1), MPI.PROC_NULL)
    cleanup += [send.Free, recv.Free]
    # an inactive persistent request is still a request: true
    made.append((send, MPI.Request(send), recv, MPI.REQUEST_NULL))
    made.append((MPI.MESSAGE_NO_PROC, MPI.Message(MPI.MESSAGE_NO_PROC),
                 MPI.MESSAGE_NULL, MPI.MESSAGE_NULL))
    # Win.Allocate: Open MPI 4.1 cannot Create a window of one process
    win = MPI.Win.Allocate(8, comm=self_)
    win2 = MPI.Win.Allocate(8, comm=self_)
    cleanup += [win.Free, win2.Free]
    made.append((win, MPI.Win(win), win2, MPI.WIN_NULL))
    amode = MPI.MODE_CREATE | MPI.MODE_RDWR | MPI.MODE_DELETE_ON_CLOSE
    f = MPI.File.Open(self_, str(tmp_path / "a"), amode)
    g = MPI.File.Open(self_, str(tmp_path / "b"), amode)
    cleanup += [f.Close, g.Close]
    made.append((f, MPI.File(f), g, MPI.FILE_NULL))
    try:
        session = MPI.Session.Init()
    except NotImplementedError:
        pass
    else:
        cleanup.append(session.Finalize)
        made.append((session, MPI.Session(session), MPI.SESSION_NULL,
                     MPI.SESSION_NULL))
    return made, cleanup


def test_handles_compare_and_test_true(tmp_path):
    made, cleanup = _handle_cases(tmp_path)
    try:
        for a, same, other, null in made:
            cls = type(null)
            assert a == same and not (a != same), a
            assert same == a and not (same != a), a
            assert a != other and not (a == other), a
            assert a != null and null == cls() and not (null != cls()), a
            assert a == a and null == null
            assert bool(a) and bool(same) and not null and not cls(), a
            for alien in (1, "x", None, object(), MPI.Status(), MPI.BOTTOM):
                assert a.__eq__(alien) is NotImplemented, (a, alien)
                assert a.__ne__(alien) is NotImplemented, (a, alien)
                assert not (a == alien) and a != alien, (a, alien)
            with pytest.raises(TypeError):
                a < same  # noqa: B015
            with pytest.raises(TypeError):
                a >= null  # noqa: B015
        # handles of other classes are never equal, even null ones
        nulls = [null for _, _, _, null in made]
        for x in nulls:
            for y in nulls:
                if type(x) is not type(y) and not isinstance(x, type(y)):
                    assert x != y and not (x == y), (x, y)
                    assert x.__eq__(y) is NotImplemented
        assert MPI.COMM_WORLD != MPI.GROUP_EMPTY and MPI.INT != MPI.SUM
    finally:
        for free in reversed(cleanup):
            free()


def test_status_compares_whole_struct():
    s, t = MPI.Status(), MPI.Status()
    assert s == t and not (s != t)
    t.source = 3
    assert s != t and not (s == t)
    s.source = 3
    assert s == t
    t.error = MPI.ERR_ARG
    assert s != t
    assert s.__eq__(MPI.COMM_WORLD) is NotImplemented
    assert s != 1 and not (s == "x")
    with pytest.raises(TypeError):
        s < t  # type: ignore[operator]  # noqa: B015


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's own error texts")
def test_null_handle_errors_name_the_handle(tmp_path):
    cases = [
        (lambda: MPI.COMM_NULL.Barrier(), MPI.ERR_COMM,
         "invalid communicator: the communicator is COMM_NULL (freed, or never created)"),
        (lambda: MPI.COMM_NULL.Send(bytearray(1), 0), MPI.ERR_COMM,
         "invalid communicator: the communicator is COMM_NULL (freed, or never created)"),
        (lambda: MPI.Comm().bcast(1), MPI.ERR_COMM,
         "invalid communicator: the communicator is COMM_NULL (freed, or never created)"),
        (lambda: MPI.INFO_NULL.Get_nkeys(), MPI.ERR_INFO,
         "invalid info: the info is INFO_NULL (freed, or never created)"),
        (lambda: MPI.MESSAGE_NULL.Recv(bytearray(1)), MPI.ERR_REQUEST,
         "invalid message: MESSAGE_NULL (a matched message can be received only once)"),
        (lambda: MPI.WIN_NULL.Fence(), MPI.ERR_WIN,
         "invalid window: the window is WIN_NULL (freed, or never created)"),
        (lambda: MPI.FILE_NULL.Get_size(), MPI.ERR_FILE,
         "invalid file: the file is FILE_NULL (closed, or never opened)"),
    ]
    if mpi_library_has("MPI_Session_init"):
        cases.append((lambda: MPI.SESSION_NULL.Get_num_psets(), MPI.ERR_SESSION,
                      "invalid session: the session is SESSION_NULL"))
    for call, errclass, text in cases:
        with pytest.raises(MPI.Exception) as info:
            call()
        assert info.value.Get_error_class() == errclass, text
        assert str(info.value).startswith(text + " ("), str(info.value)


# -- weak references (mpi4py's testWeakRef) -----------------------------------

WEAKREF_CONSTANTS = [MPI.Status()] + CONSTANTS + [
    MPI.Prequest(MPI.REQUEST_NULL), MPI.Grequest(MPI.REQUEST_NULL), MPI.Intercomm(),
    MPI.Cartcomm(), MPI.Graphcomm(), MPI.Distgraphcomm(), MPI.Exception(MPI.ERR_OTHER),
]


@pytest.mark.parametrize("obj", WEAKREF_CONSTANTS, ids=repr)
def test_weak_references_to_handles(obj):
    ref = weakref.ref(obj)
    assert ref() is obj
    assert ref in weakref.getweakrefs(obj)
    proxy = weakref.proxy(obj)
    assert proxy in weakref.getweakrefs(obj)
    assert bool(proxy) == bool(obj)


def test_weak_references_die_with_their_objects(tmp_path):
    """A dying handle object clears its weak references and runs their
    callbacks (the dealloc of every type calls PyObject_ClearWeakRefs)."""
    self_ = MPI.COMM_SELF
    comm = self_.Dup()
    dtype = MPI.INT.Create_contiguous(2).Commit()
    request = self_.Irecv(bytearray(8), source=0, tag=5)
    self_.Send(bytearray(8), dest=0, tag=5)
    win = MPI.Win.Allocate(8, comm=self_)
    fh = MPI.File.Open(self_, str(tmp_path / "weak"), MPI.MODE_CREATE | MPI.MODE_RDWR)
    sent = self_.isend("x", dest=0, tag=6)  # a blocking send to self can wait (MPICH)
    message = self_.mprobe(source=0, tag=6)
    made = {
        "comm": comm, "group": comm.Get_group(), "dtype": dtype, "request": request,
        "win": win, "file": fh, "message": message, "info": MPI.Info.Create(),
        "op": MPI.Op.Create(lambda a, b, t: None), "status": MPI.Status(),
        "errhandler": MPI.ERRORS_RETURN.__class__(MPI.ERRORS_RETURN),
        "exception": MPI.Exception(MPI.ERR_OTHER),
    }
    dead: list[str] = []

    def watch(name, obj):
        return weakref.ref(obj, lambda ref: dead.append(name))

    refs = {name: watch(name, obj) for name, obj in made.items()}
    assert all(ref() is made[name] for name, ref in refs.items())
    # free what needs freeing through copies that hold no weak reference
    request.Wait()
    message.recv()
    sent.wait()
    type(comm)(comm).Free()
    type(dtype)(dtype).Free()
    type(win)(win).Free()
    type(fh)(fh).Close()
    del comm, dtype, request, win, fh, message, made
    gc.collect()
    assert sorted(dead) == sorted(refs), dead
    assert all(ref() is None for ref in refs.values())


class _CommWithSlot(MPI.Intracomm):
    pass


def test_weak_reference_to_subclass_instance():
    comm = _CommWithSlot(MPI.COMM_WORLD)
    ref = weakref.ref(comm)
    assert ref() is comm
    del comm
    gc.collect()
    assert ref() is None


# -- MPI.BOTTOM and MPI.IN_PLACE (mpi4py's testConstants) ---------------------

@pytest.mark.parametrize("name", ["BOTTOM", "IN_PLACE"])
def test_address_constants_behave_as_mpi4py(name):
    constant = getattr(MPI, name)
    value = int(constant)
    assert constant == constant and constant == value and value == constant
    assert constant != None and not (constant != value)  # noqa: E711
    assert constant != 0.5 and not (constant == str(value))
    assert constant == np.intp(value) and not (constant != np.intp(value))
    assert hash(constant) == hash(value)
    assert bool(constant) == bool(value)
    assert type(constant)() is constant
    assert type(constant)(1, x=2) is constant
    assert repr(constant) == str(constant) == name
    assert constant.__reduce__() == name
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        assert pickle.loads(pickle.dumps(constant, protocol)) is constant
    assert not isinstance(constant, int)
    with pytest.raises(TypeError):
        constant + 1
    with pytest.raises(TypeError):
        constant < 1
    assert MPI.Get_address(constant) == constant


@pytest.mark.parametrize("name", ["BOTTOM", "IN_PLACE"])
def test_address_constants_export_an_empty_buffer(name):
    constant = getattr(MPI, name)
    view = memoryview(constant)
    assert (view.nbytes, len(view), view.obj, view.readonly) == (0, 0, None, False)
    assert (view.format, view.itemsize, view.shape, view.ndim) == ("B", 1, (0,), 1)
    assert bytes(constant) == b"" and bytearray(constant) == bytearray()
    mem = MPI.buffer(constant)
    # MPI.buffer's address is unsigned (MPICH's IN_PLACE is -1)
    assert len(mem) == 0 and not mem.readonly
    assert ctypes.c_void_p(mem.address).value == ctypes.c_void_p(int(constant)).value


def test_only_bottom_is_an_index():
    import operator

    assert operator.index(MPI.BOTTOM) == int(MPI.BOTTOM)
    assert [7, 8][MPI.BOTTOM] == 7
    with pytest.raises(TypeError):
        operator.index(MPI.IN_PLACE)  # type: ignore[arg-type]


def test_address_constants_still_special_in_messages():
    """The constants export a buffer, yet message buffers never take them
    as one: MPI would read IN_PLACE's address as the constant where it does
    not allow it (a plain buffer there), so cmpi refuses it before MPI."""
    comm = MPI.COMM_SELF
    data = array("i", [1, 2, 3])
    comm.Allreduce(MPI.IN_PLACE, data, op=MPI.SUM)
    assert list(data) == [1, 2, 3]
    out = array("i", [0, 0, 0])
    absolute = MPI.INT.Create_hindexed([3], [MPI.Get_address(out)]).Commit()
    try:
        comm.Sendrecv(array("i", [4, 5, 6]), dest=0, sendtag=2,
                      recvbuf=[MPI.BOTTOM, 1, absolute], source=0, recvtag=2)
    finally:
        absolute.Free()
    assert list(out) == [4, 5, 6]
    refused = [
        lambda: comm.Send(MPI.IN_PLACE, dest=MPI.PROC_NULL),
        lambda: comm.Recv(MPI.IN_PLACE, source=MPI.PROC_NULL),
        lambda: comm.Bcast(MPI.IN_PLACE),
        lambda: comm.Bcast([MPI.IN_PLACE, 2, MPI.INT]),
        lambda: comm.Allgatherv(data[:1], [MPI.IN_PLACE, ([1], [0]), MPI.INT]),
        lambda: comm.Reduce_scatter_block(data, MPI.IN_PLACE),
        lambda: MPI.SUM.Reduce_local(MPI.IN_PLACE, data),
        lambda: comm.Isend(MPI.IN_PLACE, dest=MPI.PROC_NULL),
        lambda: MPI.INT.Pack(MPI.IN_PLACE, bytearray(8), 0, comm),
    ]
    for call in refused:
        with pytest.raises(TypeError) as info:
            call()
        if IS_CMPI:
            assert str(info.value) == "IN_PLACE cannot be used as a buffer here"
