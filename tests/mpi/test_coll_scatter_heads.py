"""scatter of small objects travels in the heads (one MPI_Scatter): every
mix of small, large, out-of-band and failing pieces gives what the two-call
path gives, from every root."""
import numpy as np
import pytest

from mpiimpl import MPI

COMM = MPI.COMM_WORLD


def pieces(kind, n):
    if kind == "small":
        return [{"a": i, "b": 3.14} for i in range(n)]
    if kind == "edge":  # around the 48 bytes a head holds
        return [b"x" * (30 + 4 * i) for i in range(n)]
    if kind == "mixed":
        return [("x" * (10 if i % 2 else 200), i) for i in range(n)]
    if kind == "arrays":
        return [np.arange(i + 1) for i in range(n)]
    if kind == "big":
        return [np.arange(50000) * i for i in range(n)]
    return [None] * n


@pytest.mark.parametrize("kind", ["small", "edge", "mixed", "arrays", "big",
                                  "none"])
def test_scatter_every_root(kind):
    rank, size = COMM.Get_rank(), COMM.Get_size()
    for root in range(size):
        for _ in range(2):
            expect = pieces(kind, size)
            got = COMM.scatter(expect if rank == root else None, root=root)
            if isinstance(got, np.ndarray):
                assert (got == expect[rank]).all()
            else:
                assert got == expect[rank]


def test_scatter_failure_then_small():
    rank, size = COMM.Get_rank(), COMM.Get_size()
    bad = [lambda: 1] * size if rank == 0 else None
    with pytest.raises(Exception):
        COMM.scatter(bad, root=0)
    assert COMM.scatter(list(range(size)) if rank == 0 else None) == rank
