"""Communicator handles: predefined ones, Dup/Split/Free, Compare, names."""

import pytest

from mpiimpl import MPI


def test_predefined():
    world, self_ = MPI.COMM_WORLD, MPI.COMM_SELF
    assert isinstance(world, MPI.Intracomm) and isinstance(world, MPI.Comm)
    assert isinstance(self_, MPI.Intracomm)
    assert isinstance(MPI.COMM_NULL, MPI.Comm)
    assert world and self_
    assert not MPI.COMM_NULL
    assert self_.Get_size() == 1 and self_.Get_rank() == 0
    assert self_.size == 1 and self_.rank == 0


def test_rank_size():
    world = MPI.COMM_WORLD
    assert world.Get_rank() == world.rank
    assert world.Get_size() == world.size
    assert 0 <= world.rank < world.size


def test_names():
    assert MPI.COMM_WORLD.Get_name() == "MPI_COMM_WORLD"
    assert MPI.COMM_WORLD.name == "MPI_COMM_WORLD"
    assert MPI.COMM_SELF.Get_name() == "MPI_COMM_SELF"
    c = MPI.COMM_WORLD.Dup()
    try:
        c.Set_name("my-comm")
        first = c.Get_name()
        c.name = "renamed"
        second = c.name
    finally:
        c.Free()
    assert first == "my-comm"
    assert second == "renamed"


def test_equality():
    world = MPI.COMM_WORLD
    assert world == MPI.COMM_WORLD
    assert world != MPI.COMM_SELF
    assert world != MPI.COMM_NULL
    assert MPI.Comm(world) == world
    assert MPI.Intracomm(world) == world
    assert MPI.Comm() == MPI.COMM_NULL
    assert not MPI.Comm()
    assert not (world == None)  # noqa: E711
    assert world != 0


def test_dup(comm):
    dup = comm.Dup()
    try:
        info = (type(dup), dup.Get_size(), dup.Get_rank(), dup == comm, bool(dup))
        cmp = MPI.Comm.Compare(comm, dup)
        total = dup.allreduce(1)
    finally:
        dup.Free()
    assert issubclass(info[0], MPI.Intracomm)
    assert info[1:] == (comm.Get_size(), comm.Get_rank(), False, True)
    assert cmp == MPI.CONGRUENT
    assert total == comm.Get_size()
    assert dup == MPI.COMM_NULL and not dup


def test_clone(comm):
    clone = comm.Clone()
    try:
        cmp = comm.Compare(clone)
        size = clone.Get_size()
    finally:
        clone.Free()
    assert cmp == MPI.CONGRUENT
    assert size == comm.Get_size()


def test_compare():
    world, self_ = MPI.COMM_WORLD, MPI.COMM_SELF
    size = world.Get_size()
    assert world.Compare(world) == MPI.IDENT
    assert MPI.Comm.Compare(self_, self_) == MPI.IDENT
    assert world.Compare(self_) == (MPI.CONGRUENT if size == 1 else MPI.UNEQUAL)
    rev = world.Split(0, -world.Get_rank())
    try:
        cmp_rev = world.Compare(rev)
        rev_rank = rev.Get_rank()
    finally:
        rev.Free()
    assert cmp_rev == (MPI.CONGRUENT if size == 1 else MPI.SIMILAR)
    assert rev_rank == size - 1 - world.Get_rank()


def test_split():
    world = MPI.COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    sub = world.Split(color=rank % 2, key=rank)
    try:
        got = (sub.Get_size(), sub.Get_rank(), sub.allgather(rank))
    finally:
        sub.Free()
    members = [r for r in range(size) if r % 2 == rank % 2]
    assert got == (len(members), members.index(rank), members)


def test_split_undefined():
    world = MPI.COMM_WORLD
    rank = world.Get_rank()
    color = 0 if rank % 2 == 0 else MPI.UNDEFINED
    sub = world.Split(color, rank)
    if color == MPI.UNDEFINED:
        assert sub == MPI.COMM_NULL
        assert not sub
    else:
        try:
            n = sub.Get_size()
        finally:
            sub.Free()
        assert n == (world.Get_size() + 1) // 2


def test_free_then_null():
    c = MPI.COMM_WORLD.Dup()
    assert c != MPI.COMM_NULL
    c.Free()
    assert c == MPI.COMM_NULL
    assert not c
    with pytest.raises(MPI.Exception) as info:
        c.Free()
    assert info.value.Get_error_class() == MPI.ERR_COMM


def test_inter_intra(comm):
    assert comm.Is_intra() is True
    assert comm.Is_inter() is False
    assert comm.is_intra is True
    assert comm.is_inter is False


def test_group_and_create():
    world = MPI.COMM_WORLD
    group = world.Get_group()
    try:
        gsize, grank = group.Get_size(), group.Get_rank()
        new = world.Create(group)
        try:
            cmp = world.Compare(new)
        finally:
            new.Free()
    finally:
        group.Free()
    assert (gsize, grank) == (world.Get_size(), world.Get_rank())
    assert cmp == MPI.CONGRUENT
    assert group == MPI.GROUP_NULL


def test_hashable_or_not_consistent():
    # mpi4py handles define __eq__; whatever hashing policy is used,
    # equal handles must not hash differently.
    a, b = MPI.COMM_WORLD, MPI.Comm(MPI.COMM_WORLD)
    try:
        ha, hb = hash(a), hash(b)
    except TypeError:
        return
    assert ha == hb


def test_comm_errhandler_returns():
    # failures on COMM_WORLD/COMM_SELF and on derived comms raise
    dup = MPI.COMM_WORLD.Dup()
    try:
        with pytest.raises(MPI.Exception) as info:
            dup.send(1, dest=dup.Get_size())
    finally:
        dup.Free()
    assert info.value.Get_error_class() == MPI.ERR_RANK


def test_split_create_shrink_give_plain_class():
    # mpi4py: Create, Split, Split_type and Shrink make a plain Intracomm
    # (no topology, no Python subclass); Dup keeps type(self).
    class MyComm(MPI.Intracomm):
        pass

    world = MPI.COMM_WORLD
    cart = world.Create_cart([world.Get_size()])
    mine = MyComm(world)
    made: list[MPI.Comm] = []
    try:
        for parent in (cart, mine):
            made.append(parent.Split(0, parent.Get_rank()))
            made.append(parent.Split_type(MPI.COMM_TYPE_SHARED))
            made.append(parent.Create(parent.Get_group()))
            made.append(parent.Shrink())
            assert all(type(c) is MPI.Intracomm for c in made[-4:]), made
        made.append(cart.Dup())
        assert type(made[-1]) is MPI.Cartcomm
        made.append(mine.Dup())
        assert type(made[-1]) is MyComm
    finally:
        for c in made:
            c.Free()
        cart.Free()
