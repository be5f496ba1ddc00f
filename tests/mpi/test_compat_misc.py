"""Small mpi4py 4.x behaviours that mpi4py's own test suite relies on:
Pickle.dumps_oob/loads_oob, THRESHOLD=None, Message.free, the newer
predefined datatypes (DATATYPE_NULL where the MPI library lacks them)."""

import numpy as np
import pytest

from mpiimpl import MPI


@pytest.mark.parametrize("threshold", [-1, 0, 64, 256])
@pytest.mark.parametrize("nbytes", [0, 32, 64, 512])
def test_dumps_oob_splits_at_threshold(threshold, nbytes):
    pickle = MPI.Pickle()
    pickle.THRESHOLD = threshold
    obj = np.zeros(nbytes // 4, dtype="i4") + 7
    data, bufs = pickle.dumps_oob(obj)
    assert type(data) is bytes and type(bufs) is list
    assert len(bufs) == (1 if obj.nbytes >= threshold else 0)
    back = pickle.loads_oob(data, bufs)
    assert np.array_equal(back, obj)


def test_dumps_oob_needs_no_protocol_5_setting():
    pickle = MPI.Pickle()
    pickle.PROTOCOL = 2
    pickle.THRESHOLD = 0
    data, bufs = pickle.dumps_oob(np.arange(4))
    assert len(bufs) == 1


def test_threshold_none_is_default():
    pickle = MPI.Pickle()
    default = pickle.THRESHOLD
    pickle.THRESHOLD = 5
    pickle.THRESHOLD = None  # type: ignore[assignment]
    assert pickle.THRESHOLD == default


def test_message_free():
    msg = MPI.Message(MPI.MESSAGE_NO_PROC)
    assert msg
    msg.free()
    assert not msg and msg == MPI.MESSAGE_NULL
    msg.free()
    assert not msg
    for _ in range(2):
        MPI.MESSAGE_NO_PROC.free()
        assert MPI.MESSAGE_NO_PROC  # a predefined message stays


def test_message_free_keeps_a_matched_message():
    # free() forgets nothing of a matched message: MPI cannot free one,
    # and its sender waits until it is received
    comm = MPI.COMM_SELF.Dup()
    sent = comm.Isend(bytearray(b"abcdefgh"), 0, 3)  # nonblocking: MPICH 4.0.2 at 1 rank
    msg = comm.Mprobe(0, 3)
    msg.free()
    assert msg and msg != MPI.MESSAGE_NULL
    buf = bytearray(8)
    msg.Recv(buf)
    sent.Wait()
    assert buf == b"abcdefgh" and not msg
    comm.Free()


@pytest.mark.parametrize(
    "name",
    ["FLOAT16_T", "FLOAT32_T", "FLOAT64_T", "BFLOAT16_T", "LOGICAL16",
     "INTEGER16", "REAL2", "REAL16", "COMPLEX4", "COMPLEX32"],
)
def test_newer_datatypes_exist(name):
    dt = getattr(MPI, name)
    assert isinstance(dt, MPI.Datatype)
    if dt != MPI.DATATYPE_NULL:
        size = dt.Get_size()
        if size == 0 and "Open MPI" in MPI.Get_library_version():
            # Open MPI defines every Fortran type but gives those its
            # Fortran compiler lacks size 0 (the 5.0 wheel: COMPLEX32).
            pytest.skip(f"Open MPI defines MPI_{name} with size 0: its Fortran compiler lacks the type")
        assert size > 0
