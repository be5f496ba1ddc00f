"""MPICommExecutor on the communicators of the running job (every rank
takes part: the root gets the executor, the others serve it)."""

import time

import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import allok

if IS_CMPI:
    from cmpi import futures
else:
    from mpi4py import futures  # type: ignore[attr-defined, no-redef]


def square(x):
    return x * x


def owner_rank(x):
    time.sleep(0.001)
    return MPI.COMM_WORLD.Get_rank()


def fails(x):
    raise ValueError(f"bad {x}")


@pytest.mark.parametrize("root", ["first", "last"])
def test_map_results(comm, root):
    root = 0 if root == "first" else comm.Get_size() - 1
    ok = True
    with futures.MPICommExecutor(comm, root=root) as ex:
        if ex is not None:
            ok &= comm.Get_rank() == root
            ok &= list(ex.map(square, range(300))) == [x * x for x in range(300)]
            ok &= sorted(ex.map(square, range(50), unordered=True)) == [x * x for x in range(50)]
            ok &= ex.submit(square, 12).result() == 144
        else:
            ok &= comm.Get_rank() != root
    assert allok(ok)


def test_workers_share_work():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    ok = True
    with futures.MPICommExecutor(comm, root=0) as ex:
        if ex is not None:
            ranks = set(ex.map(owner_rank, range(40 * size)))
            ok &= ranks == (set(range(1, size)) if size > 1 else {0})
    assert allok(ok)


def test_worker_exception():
    comm = MPI.COMM_WORLD
    ok = True
    with futures.MPICommExecutor(comm, root=0) as ex:
        if ex is not None:
            exc = ex.submit(fails, 5).exception()
            ok &= isinstance(exc, ValueError) and str(exc) == "bad 5"
            if IS_CMPI:
                ok &= "fails" in str(exc.__cause__)
    assert allok(ok)


def test_unused_executor():
    """Leaving the block without a task lets the other ranks go."""
    with futures.MPICommExecutor(MPI.COMM_WORLD, root=0):
        pass
    MPI.COMM_WORLD.Barrier()
