"""A message spec with a derived datatype must stay inside its buffer:
the bytes its elements touch, not count * extent, decide (found by
tests/mpi/test_fuzz_msgspec.py)."""

import re

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import MPICH_50, stray_guard


def outside_types():
    vector = MPI.INT.Create_vector(2, 1, 4)
    resized = vector.Create_resized(0, 4)
    vector.Free()
    return [
        # true extent 20 bytes, extent resized down to 4
        resized,
        # data 4 bytes before the buffer
        MPI.INT.Create_hindexed([1], [-4]),
        # negative extent: elements stacked backwards from the start
        MPI.INT.Create_resized(0, -4),
    ]


@pytest.mark.parametrize("which", range(3))
def test_derived_datatype_outside_buffer_raises(which):
    if not IS_CMPI:  # mpi4py does not check buffer bounds
        return
    comm = MPI.COMM_SELF
    made = outside_types()
    for other in made[:which] + made[which + 1:]:
        other.Free()
    dt = made[which].Commit()
    count = 3 if which == 2 else 1
    try:
        with stray_guard(comm) as guard:
            with pytest.raises(ValueError):
                comm.Send([np.arange(4, dtype="i4"), count, dt], 0, 30)
        assert guard.strays == 0
        rbuf = np.zeros(4, dtype="i4")
        with pytest.raises(ValueError):
            comm.Irecv([rbuf, count, dt], 0, 30)
        with pytest.raises(ValueError):
            comm.Allgatherv([np.arange(4, dtype="i4"), count, dt], [rbuf, [count], [0], dt])
    finally:
        dt.Free()


def test_derived_datatype_inside_buffer_beyond_extent_count():
    # Two elements of a type of extent 16 whose data is its first 4 bytes
    # touch bytes 0-4 and 16-20: a 20-byte buffer is enough.
    comm = MPI.COMM_SELF
    dt = MPI.INT.Create_resized(0, 16).Commit()
    try:
        sbuf = np.arange(5, dtype="i4")
        rbuf = np.full(5, -1, dtype="i4")
        comm.Sendrecv([sbuf, 2, dt], 0, 31, [rbuf, 2, dt], 0, 31)
        assert rbuf.tolist() == [0, -1, -1, -1, 4]
    finally:
        dt.Free()


@pytest.mark.skipif(MPICH_50, reason="MPICH 5.0.2 (native and ABI library "
                    "alike) does not detect a truncated Gather(v) on COMM_SELF: "
                    "it returns MPI_SUCCESS and copies recvcount items")
def test_long_error_string():
    # MPICH's error stack for a truncated Gatherv fills MPI_MAX_ERROR_STRING
    # without a NUL: turning it into a str must neither crash nor overrun.
    comm = MPI.COMM_SELF
    if re.match(r"MPICH Version:\s+5\.", MPI.Get_library_version()):
        pytest.skip("MPICH 5.0 does not detect the truncation in MPI_Gatherv to self (copies 1 of the 2 bytes, no error)")
    sbuf, rbuf = np.ones(2, "i1"), np.zeros(1, "i1")
    with pytest.raises(MPI.Exception) as info:
        comm.Gatherv(sbuf, [rbuf, [1]], root=0)
    text = str(info.value)
    assert 0 < len(text) <= MPI.MAX_ERROR_STRING
    assert info.value.Get_error_string() == text or IS_CMPI is False
    # MPICH 4.0 reports this truncation as a bare ERR_BUFFER ("Invalid buffer
    # pointer", no error stack) late in a full tests/mpi run at 1 rank, with
    # distinct, valid buffers; not understood yet.  The string handling is
    # what this test is about.
    allowed = {MPI.ERR_TRUNCATE} | ({MPI.ERR_BUFFER} if "MPICH" in MPI.Get_library_version() else set())
    assert info.value.Get_error_class() in allowed, (text, sbuf.ctypes.data, rbuf.ctypes.data)


def test_predefined_datatype_bounds_hold_at_every_message():
    # A predefined datatype's size and extents are read from MPI at its
    # first message and kept in its object: the first message and every
    # later one, point to point and vector, must be checked alike.
    if not IS_CMPI:  # mpi4py does not check a count against the buffer
        return
    comm = MPI.COMM_SELF
    sbuf, rbuf = np.arange(4, dtype="f8"), np.zeros(4, dtype="f8")
    for dt in (MPI.DOUBLE, MPI.Datatype(MPI.DOUBLE), MPI.INT64_T):
        for _ in range(3):
            with stray_guard(comm) as guard:
                with pytest.raises(ValueError, match="outside the buffer of 32 bytes"):
                    comm.Send([sbuf, 5, dt], 0, 32)
            assert guard.strays == 0
            with pytest.raises(ValueError, match="outside the buffer"):
                comm.Irecv([rbuf, (2, 3), dt], 0, 32)
            with pytest.raises(ValueError, match="outside the buffer"):
                comm.Allgatherv([sbuf, 1, dt], [rbuf, [1], [4], dt])
            rbuf[:] = 0
            comm.Sendrecv([sbuf, 2, dt], 0, 32, [rbuf, (2, 1), dt], 0, 32)
            assert rbuf.tolist() == [0.0, 0.0, 1.0, 0.0]
            comm.Allgatherv([sbuf[1:], 1, dt], [rbuf, [1], [3], dt])
            assert rbuf.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_derived_datatype_extents_not_kept_across_free():
    # A freed derived datatype's handle may come back for the next one
    # (MPICH reuses handles): its extent must be read again, not kept.
    comm = MPI.COMM_SELF
    sbuf = np.arange(8, dtype="i4")
    for extent, expected in ((16, [0, -1, -1, -1, 4, -1, -1, -1]),
                             (8, [0, -1, 2, -1, -1, -1, -1, -1])):
        dt = MPI.INT.Create_resized(0, extent).Commit()
        try:
            rbuf = np.full(8, -1, dtype="i4")
            for _ in range(2):
                comm.Sendrecv([sbuf, 2, dt], 0, 33, [rbuf, 2, dt], 0, 33)
            assert rbuf.tolist() == expected
        finally:
            dt.Free()
