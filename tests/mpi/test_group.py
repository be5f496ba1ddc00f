"""MPI.Group: sizes and ranks, subsets, set operations, translation,
comparison, and clear errors for ranks outside the group."""

import pytest

from mpiimpl import MPI


@pytest.fixture
def world_group():
    g = MPI.COMM_WORLD.Get_group()
    yield g
    g.Free()


def test_size_rank(world_group):
    assert world_group.Get_size() == MPI.COMM_WORLD.size == world_group.size
    assert world_group.Get_rank() == MPI.COMM_WORLD.rank == world_group.rank
    assert MPI.GROUP_EMPTY.Get_size() == 0
    assert MPI.GROUP_EMPTY.Get_rank() == MPI.UNDEFINED
    assert not MPI.GROUP_NULL


def test_incl_excl(world_group):
    size, rank = world_group.size, world_group.rank
    evens = world_group.Incl(list(range(0, size, 2)))
    odds = world_group.Excl(list(range(0, size, 2)))
    try:
        assert evens.size == (size + 1) // 2 and odds.size == size // 2
        assert evens.rank == (rank // 2 if rank % 2 == 0 else MPI.UNDEFINED)
        assert odds.rank == (rank // 2 if rank % 2 == 1 else MPI.UNDEFINED)
        u = MPI.Group.Union(evens, odds)
        i = MPI.Group.Intersection(evens, odds)
        d = MPI.Group.Difference(world_group, odds)
        assert u.size == size and i.size == 0
        assert MPI.Group.Compare(d, evens) == MPI.IDENT
        assert u.Compare(world_group) in (MPI.IDENT, MPI.SIMILAR)
        for g in (u, i, d):
            g.Free()
    finally:
        evens.Free()
        odds.Free()


def test_range_incl_excl(world_group):
    size = world_group.size
    last = size - 1
    r = world_group.Range_incl([(0, last, 1)])
    rev = world_group.Range_incl([(last, 0, -1)])
    none = world_group.Range_excl([(0, last, 1)])
    try:
        assert r.Compare(world_group) == MPI.IDENT
        assert rev.Compare(world_group) == (MPI.IDENT if size == 1 else MPI.SIMILAR)
        assert rev.Translate_ranks([0], world_group) == [last]
        assert none.size == 0
    finally:
        for g in (r, rev, none):
            g.Free()


def test_translate_compare(world_group):
    size = world_group.size
    rev = world_group.Incl(list(reversed(range(size))))
    try:
        assert world_group.Translate_ranks(list(range(size)), rev) == \
            list(reversed(range(size)))
        assert world_group.Translate_ranks(None, rev) == list(reversed(range(size)))
        assert MPI.GROUP_EMPTY.Translate_ranks([], world_group) == []
        self_group = MPI.COMM_SELF.Get_group()
        tr = world_group.Translate_ranks(list(range(size)), self_group)
        assert tr == [0 if r == world_group.rank else MPI.UNDEFINED for r in range(size)]
        assert world_group.Compare(world_group) == MPI.IDENT
        assert self_group.Compare(world_group) == (MPI.IDENT if size == 1 else MPI.UNEQUAL)
        self_group.Free()
    finally:
        rev.Free()


def test_dup_and_free(world_group):
    g = world_group.Dup()
    assert g.Compare(world_group) == MPI.IDENT
    g.Free()
    assert g == MPI.GROUP_NULL
    with pytest.raises(MPI.Exception):
        MPI.GROUP_EMPTY.Free()


def test_ranks_outside_the_group(world_group):
    size = world_group.size
    for call in (lambda: world_group.Incl([size]),
                 lambda: world_group.Excl([-1]),
                 lambda: world_group.Incl([0, size + 3]),
                 lambda: world_group.Translate_ranks([size], world_group),
                 lambda: world_group.Range_incl([(0, size, 1)]),
                 lambda: world_group.Range_excl([(-1, 0, 1)])):
        with pytest.raises(MPI.Exception) as e:
            call()
        assert e.value.Get_error_class() == MPI.ERR_RANK
        assert "rank" in str(e.value)
    with pytest.raises(MPI.Exception) as e:
        world_group.Range_incl([(0, 0, 0)])
    with pytest.raises(TypeError):
        world_group.Incl(None)
    with pytest.raises(TypeError):
        MPI.Group.Union(world_group, 3)  # type: ignore[arg-type]


def test_range_arguments_must_be_triples():
    # A flat triple, or bare ranks, used to be a SystemError from C.
    g = MPI.COMM_SELF.Get_group()
    try:
        with pytest.raises(TypeError, match="ranks"):
            g.Range_incl([0, 0, 1])
        with pytest.raises(TypeError, match="ranks"):
            g.Range_excl([0])
        with pytest.raises((TypeError, ValueError), match="ranks"):
            g.Range_incl([(0, 0, 1, 1)])  # type: ignore[list-item]
        with pytest.raises(TypeError):
            g.Range_incl([(0, "0", 1)])  # type: ignore[list-item]
        # any 3-sequence is a range
        g2 = g.Range_incl([[0, 0, 1]])  # type: ignore[list-item]
        assert g2.Get_size() == 1
        g2.Free()
    finally:
        g.Free()
