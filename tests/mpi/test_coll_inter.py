"""Collectives on an intercommunicator: COMM_WORLD split into two groups
(even and odd ranks) joined by Create_intercomm.  The root of a rooted
collective passes root=MPI.ROOT, the other ranks of its group PROC_NULL,
and the remote group the root's rank in its group."""

import numpy as np
import pytest

from mpiimpl import MPI


@pytest.fixture
def inter():
    world = MPI.COMM_WORLD
    if world.Get_size() < 2:
        pytest.skip("an intercommunicator needs two groups (2+ ranks)")
    color = world.Get_rank() % 2
    local = world.Split(color, world.Get_rank())
    # leaders: world rank 0 (even group) and world rank 1 (odd group)
    ic = local.Create_intercomm(0, world, 1 - color, tag=7)
    yield ic, color
    ic.Free()
    local.Free()


def roles(ic, color, root_color=0, root=0):
    """root argument of this rank for a collective rooted at `root` of the
    group `root_color`."""
    if color == root_color:
        return MPI.ROOT if ic.Get_rank() == root else MPI.PROC_NULL
    return root


def test_bcast_inter(inter):
    ic, color = inter
    big = np.arange(100_000, dtype="f8")  # out of band
    for root_color in (0, 1):
        r = roles(ic, color, root_color)
        obj = {"from": root_color, "a": big} if r == MPI.ROOT else None
        got = ic.bcast(obj, root=r)
        if color == root_color:
            assert got is None
        else:
            assert got["from"] == root_color and np.array_equal(got["a"], big)


def test_bcast_inter_every_root_and_size(inter):
    """Small, large and out-of-band objects from every root of both groups,
    then a buffer collective.  The root group's PROC_NULL ranks never learn
    the object's size, so every rank must make the same collective calls
    whatever it is: a skipped call pairs the later nonblocking collectives
    (which cmpi uses when ranks outnumber cores) with the wrong ones."""
    ic, color = inter
    objs = [None, 7, "x" * 100, list(range(2000)), {"a": np.arange(5000)}]
    for obj in objs:
        for root_color in (0, 1):
            nroots = ic.Get_size() if color == root_color else ic.Get_remote_size()
            for root in range(nroots):
                r = roles(ic, color, root_color, root)
                got = ic.bcast(obj if r == MPI.ROOT else None, root=r)
                if color == root_color:
                    assert got is None
                elif isinstance(obj, dict):
                    assert np.array_equal(got["a"], obj["a"])
                else:
                    assert got == obj
    total = np.zeros(1, "i")
    ic.Allreduce(np.array([1], "i"), total)
    assert total[0] == ic.Get_remote_size()


def test_gather_scatter_inter(inter):
    ic, color = inter
    rank, rsize = ic.Get_rank(), ic.Get_remote_size()
    r = roles(ic, color, 0)
    got = ic.gather((color, rank, np.full(3, rank)), root=r)
    if r == MPI.ROOT:
        assert [g[:2] for g in got] == [(1, i) for i in range(rsize)]
        assert all((g[2] == i).all() for i, g in enumerate(got))
    else:
        assert got is None
    parts = [{"to": i, "x": np.arange(20_000) + i} for i in range(rsize)] if r == MPI.ROOT else None
    part = ic.scatter(parts, root=r)
    if color == 1:
        assert part["to"] == rank and part["x"][0] == rank
    else:
        assert part is None


def test_allgather_alltoall_inter(inter):
    ic, color = inter
    rank, rsize = ic.Get_rank(), ic.Get_remote_size()
    got = ic.allgather((color, rank))
    assert got == [(1 - color, i) for i in range(rsize)]
    out = [(color, rank, dst, np.full(9000, dst)) for dst in range(rsize)]
    back = ic.alltoall(out)
    assert [b[:3] for b in back] == [(1 - color, src, rank) for src in range(rsize)]
    assert all((b[3] == rank).all() for b in back)


def test_reduce_allreduce_inter(inter):
    ic, color = inter
    rsize = ic.Get_remote_size()
    remote_world = [2 * i + (1 - color) for i in range(rsize)]  # remote world ranks
    mine = MPI.COMM_WORLD.Get_rank()
    assert ic.allreduce(mine, op=MPI.SUM) == sum(remote_world)
    r = roles(ic, color, 1)
    got = ic.reduce(mine, op=MPI.MAX, root=r)
    if r == MPI.ROOT:
        assert got == max(remote_world)
    else:
        assert got is None


def test_buffer_collectives_inter(inter):
    ic, color = inter
    rank, rsize = ic.Get_rank(), ic.Get_remote_size()
    r = roles(ic, color, 0)
    buf = np.arange(5, dtype="i") if r == MPI.ROOT else np.zeros(5, "i")
    ic.Bcast(buf, root=r)
    if color == 1:
        assert buf.tolist() == list(range(5))
    out = np.zeros(rsize, "i")
    ic.Allgather(np.array([rank + 100 * color], "i"), out)
    assert out.tolist() == [i + 100 * (1 - color) for i in range(rsize)]
    total = np.zeros(1, "i")
    ic.Allreduce(np.array([1], "i"), total)
    assert total[0] == rsize
    req = ic.Iallreduce(np.array([2], "i"), total)
    req.Wait()
    assert total[0] == 2 * rsize


def test_vector_collectives_inter_none_where_nothing_is_received(inter):
    # The root group of a rooted intercommunicator collective receives
    # nothing: None is its receive buffer (as in mpi4py's own tests), and
    # only the ranks that receive must give one.
    ic, color = inter
    rsize = ic.Get_remote_size()
    r = roles(ic, color, 0)
    if color == 0:
        send = np.arange(rsize, dtype="i") + 10
        ic.Scatterv([send, [1] * rsize, list(range(rsize)), MPI.INT] if r == MPI.ROOT else None,
                    None, root=r)
    else:
        got = np.zeros(1, "i")
        ic.Scatterv(None, got, root=r)
        assert got[0] == 10 + ic.Get_rank()
    if color == 0:
        out = np.zeros(rsize, "i")
        ic.Gatherv(None, [out, [1] * rsize, list(range(rsize)), MPI.INT] if r == MPI.ROOT else None,
                   root=r)
        if r == MPI.ROOT:
            assert out.tolist() == [20 + i for i in range(rsize)]
    else:
        ic.Gatherv(np.array([20 + ic.Get_rank()], "i"), None, root=r)


def test_unpicklable_at_inter_root_raises_everywhere(inter):
    ic, color = inter
    r = roles(ic, color, 0)
    if r == MPI.ROOT:
        with pytest.raises(Exception):
            ic.bcast(lambda: None, root=r)
    elif color == 1:
        with pytest.raises(MPI.Exception):
            ic.bcast(None, root=r)
    else:
        assert ic.bcast(None, root=r) is None
    # the same for scatter; and both leave the intercommunicator in step
    parts = [lambda: None] * ic.Get_remote_size() if r == MPI.ROOT else None
    if r == MPI.ROOT:
        with pytest.raises(Exception):
            ic.scatter(parts, root=r)
    elif color == 1:
        with pytest.raises(MPI.Exception):
            ic.scatter(None, root=r)
    else:
        assert ic.scatter(None, root=r) is None
    r = roles(ic, color, 1)
    got = ic.bcast("after" if r == MPI.ROOT else None, root=r)
    assert got == (None if color == 1 else "after")
