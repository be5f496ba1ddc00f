"""Reduction operations called on Python objects, and Op handles."""

import numpy as np

from mpiimpl import MPI


def test_arith():
    assert MPI.SUM(2, 3) == 5
    assert MPI.SUM(1.5, 2.25) == 3.75
    assert MPI.SUM([1], [2]) == [1, 2]
    assert MPI.SUM("a", "b") == "ab"
    assert MPI.PROD(3, 4) == 12
    assert MPI.MAX(3, 4) == 4 and MPI.MAX(4, 3) == 4
    assert MPI.MIN(3, 4) == 3 and MPI.MIN(4, 3) == 3
    assert MPI.MAX("a", "b") == "b"


def test_logical():
    assert MPI.LAND(1, 2) is True or MPI.LAND(1, 2) == 2
    assert not MPI.LAND(1, 0)
    assert not MPI.LAND(0, 1)
    assert MPI.LOR(0, 3)
    assert not MPI.LOR(0, 0)
    assert MPI.LXOR(1, 0)
    assert not MPI.LXOR(1, 5)
    assert not MPI.LXOR(0, 0)
    assert bool(MPI.LAND(True, True)) is True


def test_bitwise():
    assert MPI.BAND(6, 3) == 2
    assert MPI.BOR(6, 3) == 7
    assert MPI.BXOR(6, 3) == 5
    assert MPI.BOR(2**70, 1) == 2**70 + 1


def test_loc():
    assert MPI.MAXLOC((3, 0), (5, 1)) == (5, 1)
    assert MPI.MAXLOC((5, 1), (3, 0)) == (5, 1)
    assert MPI.MINLOC((3, 0), (5, 1)) == (3, 0)
    assert MPI.MINLOC((5, 1), (3, 0)) == (3, 0)
    # ties take the lower index, whatever the argument order
    assert MPI.MAXLOC((5, 3), (5, 1)) == (5, 1)
    assert MPI.MAXLOC((5, 1), (5, 3)) == (5, 1)
    assert MPI.MINLOC((1, 3), (1, 1)) == (1, 1)
    assert MPI.MINLOC((1, 1), (1, 3)) == (1, 1)


def test_replace_noop():
    assert MPI.REPLACE(1, 2) == 2
    assert MPI.REPLACE("a", None) is None
    assert MPI.NO_OP(1, 2) == 1
    assert MPI.NO_OP("a", None) == "a"


def test_numpy_arrays():
    a, b = np.array([1, 5]), np.array([3, 4])
    assert MPI.SUM(a, b).tolist() == [4, 9]
    assert MPI.PROD(a, b).tolist() == [3, 20]


def test_handles():
    assert MPI.SUM
    assert not MPI.OP_NULL
    assert MPI.SUM == MPI.SUM
    assert MPI.SUM != MPI.PROD
    assert MPI.Op(MPI.SUM) == MPI.SUM
    assert MPI.Op() == MPI.OP_NULL
    for name in ("SUM", "PROD", "MAX", "MIN", "LAND", "LOR", "LXOR", "BAND", "BOR", "BXOR", "MAXLOC", "MINLOC", "REPLACE", "NO_OP"):
        op = getattr(MPI, name)
        assert isinstance(op, MPI.Op)
        assert op.is_predefined is True
        if name not in ("REPLACE", "NO_OP"):  # MPICH: not commutative
            assert op.Is_commutative() is True
            assert op.is_commutative is True


def test_user_op_create():
    def mysum(inbuf, inoutbuf, datatype):
        a = np.frombuffer(inbuf, dtype="i")
        b = np.frombuffer(inoutbuf, dtype="i")
        b += a

    op = MPI.Op.Create(mysum, commute=True)
    try:
        comm = MPI.COMM_WORLD
        rank, size = comm.Get_rank(), comm.Get_size()
        rbuf = np.zeros(3, dtype="i")
        comm.Allreduce(np.array([rank, 1, 2], dtype="i"), rbuf, op=op)
        commutative = op.Is_commutative()
    finally:
        op.Free()
    assert rbuf.tolist() == [size * (size - 1) // 2, size, 2 * size]
    assert commutative is True
    assert op == MPI.OP_NULL
