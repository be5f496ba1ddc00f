"""Communicator management beyond Dup/Split: Clone, Dup_with_info, Idup,
Split_type, Create/Create_group, Create_from_group (MPI-4), is_topo."""

import numpy as np
import pytest

from mpiimpl import MPI
from mpitestutil import mpi_library_has


def _check_usable(c, comm):
    """c is a working copy of comm: same group, new context, objects and
    large (shadow) messages both work."""
    assert c.Get_size() == comm.Get_size() and c.Get_rank() == comm.Get_rank()
    assert MPI.Comm.Compare(c, comm) == MPI.CONGRUENT
    assert c.allreduce(1) == comm.Get_size()
    big = c.bcast(np.arange(100000) if c.rank == 0 else None, root=0)
    assert big.sum() == np.arange(100000).sum()


def test_clone(comm):
    c = comm.Clone()
    try:
        assert type(c) is type(comm)
        _check_usable(c, comm)
    finally:
        c.Free()


def test_dup_with_info(comm):
    c = comm.Dup_with_info(MPI.INFO_NULL)
    d = comm.Dup(None)
    try:
        _check_usable(c, comm)
        _check_usable(d, comm)
    finally:
        c.Free()
        d.Free()


def test_idup(comm):
    res = comm.Idup()
    assert isinstance(res, tuple) and len(res) == 2
    c, req = res
    assert isinstance(req, MPI.Request)
    req.Wait()
    try:
        assert type(c) is type(comm)
        _check_usable(c, comm)
    finally:
        c.Free()


def test_split_type(comm):
    shared = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.rank)
    none = comm.Split_type(MPI.UNDEFINED)
    try:
        # a single machine: everybody shares memory
        assert shared.Get_size() == comm.Get_size()
        assert shared.Get_rank() == comm.Get_rank()
        assert shared.allreduce(shared.rank) == sum(range(comm.size))
        assert none == MPI.COMM_NULL
    finally:
        shared.Free()


def test_comm_type_constants():
    for name in ("COMM_TYPE_SHARED", "COMM_TYPE_HW_GUIDED",
                 "COMM_TYPE_HW_UNGUIDED", "COMM_TYPE_RESOURCE_GUIDED"):
        assert isinstance(getattr(MPI, name), int)


def test_create_and_create_group(comm):
    group = comm.Get_group()
    sub = group.Incl([0])
    try:
        c1 = comm.Create(sub)
        c2 = comm.Create_group(sub, tag=3) if comm.rank == 0 else MPI.COMM_NULL
        if comm.rank == 0:
            assert c1.Get_size() == 1 and c2.Get_size() == 1
            assert c1.bcast("x" * 50000) == "x" * 50000
            c1.Free()
            c2.Free()
        else:
            assert c1 == MPI.COMM_NULL
    finally:
        sub.Free()
        group.Free()


def test_create_from_group():
    group = MPI.COMM_WORLD.Get_group()
    try:
        if mpi_library_has("MPI_Comm_create_from_group"):
            c = MPI.Intracomm.Create_from_group(group, stringtag="cmpi-test")
            try:
                assert isinstance(c, MPI.Intracomm)
                assert c.Get_size() == MPI.COMM_WORLD.size
                assert c.allreduce(1) == c.size
            finally:
                c.Free()
        else:
            with pytest.raises(NotImplementedError, match="MPI_Comm_create_from_group"):
                MPI.Intracomm.Create_from_group(group)
    finally:
        group.Free()


def test_is_topo_and_types(comm):
    assert comm.is_topo is False
    assert comm.Get_topology() == MPI.UNDEFINED
    assert comm.Is_intra() and not comm.Is_inter()


def test_free_null_and_predefined():
    with pytest.raises(MPI.Exception):
        MPI.COMM_WORLD.Free()
    with pytest.raises(MPI.Exception):
        MPI.COMM_NULL.Dup()
    with pytest.raises(MPI.Exception):
        MPI.COMM_NULL.Idup()
    with pytest.raises(MPI.Exception):
        MPI.COMM_SELF.Disconnect()
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Dup_with_info(42)


def test_info_hints(comm):
    dup = comm.Dup()
    try:
        info = MPI.Info.Create()
        info.Set("mpi_assert_no_any_tag", "true")
        dup.Set_info(info)
        got = dup.Get_info()
        assert isinstance(got, MPI.Info)
        # a library may drop hints it does not know; what it keeps is a str
        assert all(isinstance(v, str) for v in got.values())
        got.Free()
        d2 = dup.Dup_with_info(info)
        d3, req = dup.Idup_with_info(info)
        req.Wait()
        try:
            _check_usable(d2, comm)
            _check_usable(d3, comm)
            i2 = d2.info
            assert isinstance(i2, MPI.Info)
            i2.Free()
        finally:
            d2.Free()
            d3.Free()
        dup.info = info  # the property sets too
        info.Free()
        with pytest.raises(TypeError):
            dup.Set_info("not an info")
    finally:
        dup.Free()
