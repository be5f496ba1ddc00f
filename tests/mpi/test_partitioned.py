"""Partitioned point-to-point (MPI-4): Psend_init, Precv_init, Pready,
Pready_range, Pready_list, Parrived.  Where the MPI library lacks them
(Open MPI 4.1), each is a stand-in whose NotImplementedError names the
missing MPI function."""

import array

import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import mpi_library_has, ring

HAVE = mpi_library_has("MPI_Psend_init", "MPI_Precv_init", "MPI_Pready",
                       "MPI_Pready_range", "MPI_Pready_list", "MPI_Parrived")


@pytest.mark.skipif(HAVE, reason="the MPI library has partitioned communication")
def test_stand_ins_name_the_missing_function():
    comm = MPI.COMM_WORLD
    buf = array.array("i", [0] * 4)
    with pytest.raises(NotImplementedError, match="MPI_Psend_init"):
        comm.Psend_init(buf, 2, 0)
    with pytest.raises(NotImplementedError, match="MPI_Precv_init"):
        comm.Precv_init(buf, 2, 0)
    req = comm.Send_init(buf, MPI.PROC_NULL)
    try:
        for name, args, function in (("Pready", (0,), "MPI_Pready"),
                                     ("Pready_range", (0, 1), "MPI_Pready_range"),
                                     ("Pready_list", ([0],), "MPI_Pready_list"),
                                     ("Parrived", (0,), "MPI_Parrived")):
            with pytest.raises(NotImplementedError, match=function):
                getattr(req, name)(*args)
    finally:
        req.Free()


needs_partitioned = pytest.mark.skipif(not HAVE, reason="the MPI library lacks partitioned communication")


@needs_partitioned
@pytest.mark.parametrize("mark", ["Pready", "Pready_range", "Pready_list"])
def test_ring_exchange(mark):
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    parts, n = 4, 12
    sbuf = array.array("i", [rank * 100 + i for i in range(n)])
    rbuf = array.array("i", [-1] * n)
    sreq = comm.Psend_init(sbuf, parts, dest, tag=5)
    rreq = comm.Precv_init(rbuf, parts, source, tag=5)
    try:
        for round_ in range(2):  # persistent: started again
            for i in range(n):
                sbuf[i] = rank * 100 + i + round_
            MPI.Prequest.Startall([rreq, sreq])
            if mark == "Pready":
                for p in reversed(range(parts)):
                    sreq.Pready(p)
            elif mark == "Pready_range":
                sreq.Pready_range(0, parts - 1)
            else:
                sreq.Pready_list(list(range(parts)))
            while not rreq.Parrived(parts - 1):
                pass
            MPI.Request.Waitall([sreq, rreq])
            assert list(rbuf) == [source * 100 + i + round_ for i in range(n)]
    finally:
        sreq.Free()
        rreq.Free()


@needs_partitioned
def test_explicit_count_is_per_partition():
    comm = MPI.COMM_WORLD
    rank, size, dest, source = ring(comm)
    sbuf = array.array("d", [rank + 0.5] * 6)
    rbuf = array.array("d", [0.0] * 6)
    sreq = comm.Psend_init([sbuf, 3, MPI.DOUBLE], 2, dest, tag=6)
    rreq = comm.Precv_init([rbuf, 3, MPI.DOUBLE], 2, source, tag=6)
    try:
        MPI.Prequest.Startall([rreq, sreq])
        sreq.Pready_range(0, 1)
        MPI.Request.Waitall([sreq, rreq])
        assert list(rbuf) == [source + 0.5] * 6
    finally:
        sreq.Free()
        rreq.Free()


@needs_partitioned
def test_errors():
    comm = MPI.COMM_WORLD
    buf = array.array("i", [0] * 7)
    with pytest.raises(ValueError, match="not a multiple"):
        comm.Psend_init(buf, 2, 0)
    with pytest.raises(MPI.Exception) as info:
        comm.Psend_init(buf, 1, comm.Get_size())
    assert info.value.Get_error_class() == MPI.ERR_RANK
    if IS_CMPI:
        with pytest.raises(MPI.Exception, match="partitions=0"):
            comm.Psend_init(buf, 0, 0)
    # Pready on a request that is not partitioned, or not started
    req = comm.Send_init(buf, MPI.PROC_NULL)
    try:
        with pytest.raises(MPI.Exception) as info:
            req.Pready(0)
        assert info.value.Get_error_class() == MPI.ERR_REQUEST
    finally:
        req.Free()
    # PROC_NULL is refused (MPICH 4.0 crashes on it)
    for init in (comm.Psend_init, comm.Precv_init):
        with pytest.raises(MPI.Exception, match="PROC_NULL") as info:
            init(array.array("i", [0] * 4), 2, MPI.PROC_NULL)
        assert info.value.Get_error_class() == MPI.ERR_RANK
    # A partitioned send is matched at init time (Open MPI 5 sends its setup
    # message then), so it gets its receive: an unmatched one would leave a
    # message on COMM_WORLD for a later test's ANY_TAG receive.
    rank = comm.Get_rank()
    sreq = comm.Psend_init(array.array("i", [0] * 4), 2, rank, tag=7)
    rreq = comm.Precv_init(array.array("i", [0] * 4), 2, rank, tag=7)
    try:
        with pytest.raises(MPI.Exception) as info:
            sreq.Pready(0)
        assert info.value.Get_error_class() == MPI.ERR_REQUEST
    finally:
        sreq.Free()
        rreq.Free()
    with pytest.raises(MPI.Exception):
        sreq.Pready(0)  # freed
