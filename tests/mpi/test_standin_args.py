"""Calls the MPI library may lack (the MPI-4 persistent collectives,
persistent neighborhood collectives, Isendrecv and partitioned
communication: Open MPI 4.1 has none of them) check their arguments as
their available form does, and only then raise NotImplementedError, where
the MPI call would be made: a bad argument raises what the blocking form
raises, as in mpi4py built on the same library (issue 17).  Where the
library has them (MPICH 4), the same good calls work."""

import re
from typing import Any

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import mpi_library_has

HAVE_PERSISTENT = mpi_library_has("MPI_Bcast_init", "MPI_Allreduce_init", "MPI_Gather_init",
                                  "MPI_Alltoallw_init", "MPI_Reduce_scatter_init")
HAVE_NEIGHBOR_INIT = mpi_library_has("MPI_Neighbor_alltoall_init")
HAVE_ISENDRECV = mpi_library_has("MPI_Isendrecv", "MPI_Isendrecv_replace")
HAVE_PARTITIONED = mpi_library_has("MPI_Psend_init", "MPI_Pready")


def raised(call):
    """The exception type `call` raises (None if it returns)."""
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the type is the result
        return type(exc)
    return None


def bufs(comm):
    size = comm.Get_size()
    return np.zeros(2, "i4"), np.zeros(2 * size, "i4")


def bad_argument_pairs(comm):
    """(persistent call, its blocking form), both given the same bad
    argument, bad on every rank: each raises before communicating."""
    s, r = bufs(comm)
    size = comm.Get_size()
    return [
        ("Bcast_init str", lambda: comm.Bcast_init("abc"), lambda: comm.Bcast("abc")),
        ("Bcast_init bogus", lambda: comm.Bcast_init(s, bogus=1), lambda: comm.Bcast(s, bogus=1)),
        ("Allreduce_init op", lambda: comm.Allreduce_init(s, s.copy(), op=1),
         lambda: comm.Allreduce(s, s.copy(), op=1)),
        ("Allreduce_init read-only recvbuf", lambda: comm.Allreduce_init(s, bytes(8)),
         lambda: comm.Allreduce(s, bytes(8))),
        ("Reduce_init str sendbuf", lambda: comm.Reduce_init("abc", r),
         lambda: comm.Reduce("abc", r)),
        ("Gather_init int sendbuf", lambda: comm.Gather_init(1, r), lambda: comm.Gather(1, r)),
        ("Scatterv_init recvbuf", lambda: comm.Scatterv_init([r, ([2] * size, None), MPI.INT], "abc"),
         lambda: comm.Scatterv([r, ([2] * size, None), MPI.INT], "abc")),
        ("Alltoallw_init int", lambda: comm.Alltoallw_init(1, r), lambda: comm.Alltoallw(1, r)),
        ("Reduce_scatter_init counts", lambda: comm.Reduce_scatter_init(r, r, recvcounts="x"),
         lambda: comm.Reduce_scatter(r, r, recvcounts="x")),
        ("Isendrecv int sendbuf", lambda: MPI.COMM_SELF.Isendrecv(1, 0, recvbuf=bytearray(8)),
         lambda: MPI.COMM_SELF.Sendrecv(1, 0, recvbuf=bytearray(8))),
        ("Isendrecv_replace read-only", lambda: MPI.COMM_SELF.Isendrecv_replace(bytes(8), 0),
         lambda: MPI.COMM_SELF.Sendrecv_replace(bytes(8), 0)),
        ("Psend_init int buffer", lambda: MPI.COMM_SELF.Psend_init(1, 2, 0),
         lambda: MPI.COMM_SELF.Send_init(1, 0)),
        ("Precv_init read-only", lambda: MPI.COMM_SELF.Precv_init(bytes(8), 2, 0),
         lambda: MPI.COMM_SELF.Recv_init(bytes(8), 0)),
    ]


def test_bad_argument_raises_as_the_blocking_form(comm):
    for name, persistent, blocking in bad_argument_pairs(comm):
        expected = raised(blocking)
        assert expected is not None and expected is not NotImplementedError, name
        assert raised(persistent) is expected, name


def test_bad_info_raises_type_error(comm):
    s, r = bufs(comm)
    for call in (lambda: comm.Barrier_init(info=1),
                 lambda: comm.Bcast_init(s, info=MPI.INT),
                 lambda: comm.Allgather_init(s, r, info={"a": "1"}),
                 lambda: MPI.COMM_SELF.Psend_init(bytearray(8), 2, 0, info=1)):
        with pytest.raises(TypeError):
            call()


def test_bad_partition_raises_type_error():
    # not to PROC_NULL: MPICH 4.0.2 then hangs in the next persistent
    # collective once this request is freed (in C too)
    req: Any = MPI.COMM_SELF.Send_init(bytearray(0), 0)  # Any: wrong types on purpose
    try:
        for call in (lambda: req.Pready("1"), lambda: req.Pready_range(1, None),
                     lambda: req.Pready_list(None), lambda: req.Parrived([0])):
            with pytest.raises(TypeError):
                call()
        with pytest.raises(OverflowError):
            req.Pready(2**63)
    finally:
        req.Free()


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's own checks: mpi4py passes these to MPI unchecked")
def test_cmpi_checks_come_first(comm):
    """cmpi's rank, root, count and integer checks run where the library
    lacks the call too: the error is the one the available form raises."""
    s, r = bufs(comm)
    size = comm.Get_size()
    for persistent, blocking in (
            (lambda: comm.Gather_init(s, r, root=size), lambda: comm.Gather(s, r, root=size)),
            (lambda: comm.Bcast_init(s, root=0.5), lambda: comm.Bcast(s, root=0.5)),
            (lambda: comm.Allreduce_init([bytearray(8), 9, MPI.BYTE], bytearray(8)),
             lambda: comm.Allreduce([bytearray(8), 9, MPI.BYTE], bytearray(8))),
            (lambda: MPI.COMM_SELF.Isendrecv(bytearray(8), 5, recvbuf=bytearray(8)),
             lambda: MPI.COMM_SELF.Sendrecv(bytearray(8), 5, recvbuf=bytearray(8))),
            (lambda: MPI.COMM_SELF.Psend_init(bytearray(8), 2, 0, tag=-7),
             lambda: MPI.COMM_SELF.Send_init(bytearray(8), 0, tag=-7))):
        expected = raised(blocking)
        assert expected not in (None, NotImplementedError)
        assert raised(persistent) is expected
    with pytest.raises(MPI.Exception, match="dest=5, the communicator has 1 rank"):
        MPI.COMM_SELF.Isendrecv(bytearray(8), 5, recvbuf=bytearray(8))
    with pytest.raises(MPI.Exception) as info:
        MPI.COMM_SELF.Psend_init(bytearray(8), 0, 0)
    assert info.value.Get_error_class() == MPI.ERR_ARG


def missing(function):
    """pytest.raises for the NotImplementedError naming `function` (cmpi's
    names it; mpi4py's has no message)."""
    return pytest.raises(NotImplementedError, match=re.escape(function) if IS_CMPI else None)


def test_good_persistent_collective(comm):
    """A good call: NotImplementedError naming the MPI function where the
    library lacks it, with every buffer released; a working request where
    it has it."""
    size = comm.Get_size()
    send = bytearray(np.full(2, comm.Get_rank() + 1, "i4").tobytes())
    recv = bytearray(8)
    if not HAVE_PERSISTENT:
        with missing("MPI_Allreduce_init"):
            comm.Allreduce_init([send, MPI.INT], [recv, MPI.INT], op=MPI.SUM)
        with missing("MPI_Gather_init"):
            comm.Gather_init(send, bytearray(8 * size), root=0, info=MPI.INFO_NULL)
        # no export left behind: a bytearray with one cannot be resized
        send.extend(b"\0" * 8)
        recv.extend(b"\0" * 8)
        return
    req = comm.Allreduce_init([send, MPI.INT], [recv, MPI.INT], op=MPI.SUM)
    req.Start()
    req.Wait()
    req.Free()
    assert list(np.frombuffer(recv, "i4")) == [size * (size + 1) // 2] * 2


def test_good_neighbor_collective(comm):
    size = comm.Get_size()
    cart = comm.Create_cart([size], periods=[True])
    try:
        send, recv = bytearray(8), bytearray(8 * 2)
        if not HAVE_NEIGHBOR_INIT:
            with missing("MPI_Neighbor_allgather_init"):
                cart.Neighbor_allgather_init([send, 2, MPI.INT], [recv, 2, MPI.INT])
            with pytest.raises(TypeError):
                cart.Neighbor_allgather_init("abc", recv)
            send.extend(b"\0")
            recv.extend(b"\0")
            return
        req = cart.Neighbor_allgather_init([send, 2, MPI.INT], [recv, 2, MPI.INT])
        req.Start()
        req.Wait()
        req.Free()
    finally:
        cart.Free()


def test_good_isendrecv():
    send, recv = bytearray(b"abcdefgh"), bytearray(8)
    if not HAVE_ISENDRECV:
        with missing("MPI_Isendrecv"):
            MPI.COMM_SELF.Isendrecv(send, 0, recvbuf=recv, source=0)
        with missing("MPI_Isendrecv_replace"):
            MPI.COMM_SELF.Isendrecv_replace(recv, 0, source=0)
        send.extend(b"\0")
        recv.extend(b"\0")
        return
    MPI.COMM_SELF.Isendrecv(send, 0, recvbuf=recv, source=0).Wait()
    assert recv == send


def test_good_partitioned():
    buf = bytearray(8)
    if not HAVE_PARTITIONED:
        with missing("MPI_Psend_init"):
            MPI.COMM_SELF.Psend_init(buf, 2, 0)
        with missing("MPI_Precv_init"):
            MPI.COMM_SELF.Precv_init(buf, 2, 0, tag=0, info=MPI.INFO_NULL)
        buf.extend(b"\0")
        return
    recv = MPI.COMM_SELF.Precv_init(bytearray(8), 2, 0, tag=0)
    send = MPI.COMM_SELF.Psend_init(buf, 2, 0, tag=0)
    MPI.Prequest.Startall([recv, send])
    send.Pready_range(0, 1)
    MPI.Request.Waitall([send, recv])
    send.Free()
    recv.Free()


def test_other_standins_check_arguments():
    """Stand-ins for MPI-4 and MPI-4.1 calls outside the collectives:
    their signature and argument types are checked first."""
    mpi: Any = MPI  # stand-ins cmpi's stubs do not declare
    self_comm: Any = MPI.COMM_SELF
    for call, error in ((lambda: mpi.Remove_error_class(), TypeError),
                        (lambda: mpi.Remove_error_class("1"), TypeError),
                        (lambda: mpi.Remove_error_code(1, bogus=1), TypeError),
                        (lambda: mpi.Remove_error_string(2**31), OverflowError),
                        (lambda: mpi.Flush_buffer(bogus=1), TypeError),
                        (lambda: self_comm.Iflush_buffer(bogus=1), TypeError),
                        (lambda: self_comm.Revoke(bogus=1), TypeError),
                        (lambda: MPI.Info.Create_env(args=1), TypeError),
                        (lambda: MPI.Info.Create_env(args=[0]), TypeError),
                        (lambda: MPI.COMM_SELF.Attach_buffer(bytes(8)), BufferError)):
        with pytest.raises(error):
            call()
    if not mpi_library_has("MPI_Remove_error_class"):
        with pytest.raises(NotImplementedError):
            mpi.Remove_error_class(1)
    if not mpi_library_has("MPI_Info_create_env"):
        with missing("MPI_Info_create_env"):
            MPI.Info.Create_env(["prog"])


def test_create_from_group_bytes_stringtag():
    """mpi4py takes the stringtag as bytes too."""
    group = MPI.COMM_SELF.Get_group()
    try:
        if not mpi_library_has("MPI_Comm_create_from_group"):
            with missing("MPI_Comm_create_from_group"):
                MPI.Intracomm.Create_from_group(group, stringtag=b"cmpi.test")
            return
        comm = MPI.Intracomm.Create_from_group(group, stringtag=b"cmpi.test")
        assert comm.Get_size() == 1
        comm.Free()
    finally:
        group.Free()
