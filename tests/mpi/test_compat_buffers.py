"""Message specifications, MPI.buffer and related details that behave as
in mpi4py 4.1 (what mpi4py's own test suite checks): vector counts and
displacements, Alltoallw forms, None as an empty buffer, per-rank counts of
block collectives, matching reduction buffers, DLPack objects as locations,
MPI.buffer's release/fill/toreadonly, MESSAGE_NO_PROC and the
per-communicator lock table.  Every rank runs the same checks; the
collectives use every rank of COMM_WORLD."""

import sys
import threading

import numpy as np
import pytest

from mpiimpl import MPI

from test_buffer_foreign import DLPackOnly

WORLD = MPI.COMM_WORLD
SIZE = WORLD.Get_size()
RANK = WORLD.Get_rank()


# ---- vector specifications ------------------------------------------


def test_vector_count_pair_is_counts_and_stride():
    # [buf, (count, displ), type] with two ints: `count` for every rank, the
    # blocks `displ` elements apart
    count, stride = 2, 3
    sbuf = np.full(count, RANK, dtype="i")
    rbuf = np.full(stride * SIZE, -1, dtype="i")
    WORLD.Allgatherv([sbuf, count, MPI.INT], [rbuf, (count, stride), MPI.INT])
    for r in range(SIZE):
        row = rbuf[r * stride : (r + 1) * stride]
        assert list(row[:count]) == [r] * count
        assert list(row[count:]) == [-1] * (stride - count)


def test_vector_count_none_displ_and_numpy_counts():
    sbuf = bytearray(b"abc")
    rbuf = bytearray(4)
    MPI.COMM_SELF.Alltoallv([sbuf, np.array([3])], [rbuf, (3, np.array([1]))])
    assert rbuf[1:] == sbuf
    rbuf = bytearray(4)
    count = np.array([3])[0]  # a NumPy integer scalar
    MPI.COMM_SELF.Alltoallv([sbuf, count], [rbuf, (3, [np.array([1])[0]])])
    assert rbuf[1:] == sbuf
    rbuf = bytearray(3)
    MPI.COMM_SELF.Alltoallv([sbuf, (np.array(3), None)], [rbuf, np.array(3)])
    assert rbuf == sbuf
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Alltoallv([sbuf, np.array([3.5])], [rbuf, 3])


def test_vector_bad_specs():
    empty = [None, 0, [0], "B"]
    buf = bytearray(5)
    with pytest.raises(ValueError):  # five items
        MPI.COMM_SELF.Alltoallv([buf, 0, [0], "i", None], empty)
    with pytest.raises(ValueError):  # 5 bytes are no whole number of ints
        MPI.COMM_SELF.Alltoallv([buf, None, [0], "i"], empty)
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Alltoallv([buf, None, [0], MPI.DATATYPE_NULL], empty)


def test_alltoallw_forms():
    sbuf = bytearray(b"abc")
    rbuf = bytearray(3)
    MPI.COMM_SELF.Alltoallw([sbuf, [3], [0], [MPI.CHAR]], [rbuf, ([3], [0]), [MPI.CHAR]])
    assert rbuf == sbuf
    # no counts: one element per rank; no displacements: one after another
    rbuf = bytearray(3)
    MPI.COMM_SELF.Alltoallw([sbuf, None, None, [MPI.CHAR]], [rbuf, [MPI.CHAR]])
    assert rbuf == b"a\0\0"
    # DLPack objects are buffers here too
    src, dst = np.arange(3, dtype="i"), np.zeros(3, dtype="i")
    MPI.COMM_SELF.Alltoallw(
        [DLPackOnly(src), [3], [0], [MPI.INT]], [DLPackOnly(dst), [3], [0], [MPI.INT]]
    )
    assert list(dst) == [0, 1, 2]


def test_alltoallw_bad_forms():
    sbuf, rbuf = bytearray(4), bytearray(4)
    ok = [rbuf, [0], [0], [MPI.BYTE]]
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Alltoallw([sbuf], ok)
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Alltoallw([sbuf, [0], [0], [MPI.BYTE], None], ok)
    with pytest.raises(ValueError):  # BOTTOM needs counts and displacements
        MPI.COMM_SELF.Alltoallw([MPI.BOTTOM, None, [0], [MPI.BYTE]], ok)
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Alltoallw([MPI.BOTTOM, [0], None, [MPI.BYTE]], ok)
    # only one of counts and displacements given: mpi4py takes len(None)
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Alltoallw([sbuf, None, [0], [MPI.BYTE]], ok)
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Alltoallw([sbuf, [0], None, [MPI.BYTE]], ok)
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Alltoallw([sbuf, ([0], None), [MPI.BYTE]], ok)
    # datatypes: a sequence of Datatype, one per rank (not one for all, not a typecode)
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Alltoallw([sbuf, [0], [0], MPI.BYTE], ok)
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Alltoallw(ok, [rbuf, "b"])
    with pytest.raises(TypeError):
        MPI.COMM_SELF.Alltoallw([sbuf, ([0], [0]), ["b"]], ok)


# ---- simple specifications ------------------------------------------


def test_simple_bad_specs():
    empty = [None, 0, "B"]
    buf = bytearray(8)

    def sendrecv(smsg):
        MPI.COMM_SELF.Sendrecv(smsg, 0, 0, empty, 0, 0)

    with pytest.raises(ValueError):  # five items
        sendrecv([buf, 0, 0, "i", None])
    with pytest.raises(ValueError):  # None holds no element
        sendrecv([None, 1, 0, "i"])
    with pytest.raises(ValueError):
        sendrecv([buf, 0, 1, MPI.DATATYPE_NULL])
    t = MPI.INT.Create_resized(0, -4).Commit()
    try:
        with pytest.raises(ValueError):  # a negative extent and no count
            sendrecv([buf, None, t])
        with pytest.raises(ValueError):  # ... or a displacement
            sendrecv([buf, 0, 1, t])
    finally:
        t.Free()


def test_numpy_count_in_pair():
    sbuf = np.arange(4, dtype="i")
    rbuf = np.zeros(4, dtype="i")
    MPI.COMM_SELF.Sendrecv([sbuf, np.int64(2)], 0, 0, [rbuf, np.int64(2)], 0, 0)
    assert list(rbuf) == [0, 1, 0, 0]


def test_foreign_byte_order_refused():
    other = ">" if sys.byteorder == "little" else "<"
    sbuf = np.zeros(3, dtype=other + "i4")
    rbuf = np.zeros(3, dtype=other + "i4")
    with pytest.raises(BufferError):
        MPI.COMM_SELF.Sendrecv(sbuf, 0, 0, rbuf, 0, 0)
    MPI.COMM_SELF.Sendrecv([sbuf, MPI.INT], 0, 0, [rbuf, MPI.INT], 0, 0)


def test_none_is_an_empty_buffer():
    comm = MPI.COMM_SELF
    comm.Sendrecv(None, MPI.PROC_NULL, 0, None, MPI.PROC_NULL, 0)
    comm.Send(None, MPI.PROC_NULL)
    comm.Recv(None, MPI.PROC_NULL)
    req = comm.Send_init(None, MPI.PROC_NULL)
    req.Start()
    req.Wait()
    req.Free()
    # where a collective sends from this rank, None is a TypeError (mpi4py 4)
    with pytest.raises(TypeError):
        comm.Bcast(None, root=0)


# ---- collectives ----------------------------------------------------


def test_block_count_is_per_rank():
    # as in mpi4py, a count in a Gather/Scatter/Allgather/Alltoall message
    # is the count per rank
    k = 2
    sbuf = np.full(SIZE * k, RANK, dtype="i")
    rbuf = np.full(SIZE * k, -1, dtype="i")
    WORLD.Alltoall([sbuf, k, MPI.INT], [rbuf, k, MPI.INT])
    assert list(rbuf) == [r for r in range(SIZE) for _ in range(k)]
    rbuf = np.full(SIZE * k, -1, dtype="i")
    WORLD.Allgather([sbuf, k, MPI.INT], [rbuf, k, MPI.INT])
    assert list(rbuf) == [r for r in range(SIZE) for _ in range(k)]
    with pytest.raises(ValueError):  # room for fewer than SIZE blocks
        WORLD.Allgather([sbuf, k, MPI.INT], [rbuf, k + 1, MPI.INT])


def test_reduce_buffers_must_match():
    sbuf = np.zeros(2, dtype="i")
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Reduce([sbuf, 1, MPI.INT], [np.zeros(2, "f4"), 1, MPI.FLOAT], root=0)
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Reduce([sbuf, 1, MPI.INT], [np.zeros(2, "i"), 2, MPI.INT], root=0)
    with pytest.raises(ValueError):
        MPI.COMM_SELF.Reduce_scatter(
            [sbuf, 1, MPI.INT], [np.zeros(2, "f4"), 1, MPI.FLOAT], [1]
        )
    with pytest.raises(ValueError):  # IN_PLACE: recvbuf holds all counts
        MPI.COMM_SELF.Reduce_scatter(MPI.IN_PLACE, [np.zeros(2, "i"), 1, MPI.INT], [2])
    with pytest.raises(ValueError):
        MPI.SUM.Reduce_local([sbuf, 1, MPI.INT], [np.zeros(2, "h"), 1, MPI.SHORT])
    with pytest.raises(ValueError):
        MPI.SUM.Reduce_local([sbuf, 1, MPI.INT], [np.zeros(2, "i"), 2, MPI.INT])


# ---- memory -----------------------------------------------------------


def test_get_address_of_none_and_dlpack():
    base = MPI.Get_address(None)
    assert MPI.Aint_add(base, 0) == base and MPI.Aint_diff(base, base) == 0
    a = np.arange(4, dtype="i")
    assert MPI.Get_address(DLPackOnly(a)) == MPI.Get_address(a)
    buf = MPI.buffer(DLPackOnly(a))
    assert buf.address == a.ctypes.data and buf.nbytes == 16


def test_dlpack_capsule_not_consumed():
    a = np.arange(4, dtype="i")
    capsule = a.__dlpack__()

    class Same:
        def __dlpack_device__(self):
            return (1, 0)

        def __dlpack__(self, **kwargs):
            return capsule

    MPI.Get_address(Same())
    MPI.Get_address(Same())  # the same capsule again: still usable
    del capsule


def test_attach_dlpack_buffer():
    mem = np.zeros(1 << 12, dtype="u1")
    obj = DLPackOnly(mem)
    MPI.Attach_buffer(obj)
    try:
        MPI.COMM_SELF.Bsend(None, MPI.PROC_NULL)
    finally:
        assert MPI.Detach_buffer() is obj


def test_buffer_details():
    with pytest.raises(TypeError):
        MPI.buffer(None)
    empty = MPI.buffer()
    assert empty.address == 0 and empty.obj is None
    empty[:] = 0  # an int fills a slice
    for n in (0, 1, 2):
        assert MPI.buffer.allocate(n).address != 0
    b = MPI.buffer.allocate(4)
    b[:] = 9
    assert b.tobytes() == b"\x09" * 4
    b[1:3] = 0
    assert b.tobytes() == b"\x09\0\0\x09"
    with pytest.raises(ValueError):
        b[:] = 256
    with pytest.raises(NotImplementedError):
        del b[0]
    obj = bytearray(b"abc")
    ro = MPI.buffer.frombuffer(obj).toreadonly()
    assert ro.readonly and ro.obj is obj


def test_buffer_release_with_live_view():
    obj = bytearray(b"xyz")
    buf = MPI.buffer.frombuffer(obj, readonly=True)
    m = memoryview(buf)
    buf.release()
    assert buf.address == 0 and buf.nbytes == 0 and not buf.readonly
    assert m.tobytes() == b"xyz"  # the view's memory is still there
    m.release()
    mem = MPI.Alloc_mem(8)
    m = memoryview(mem)
    with pytest.raises(BufferError):  # MPI memory: never freed under a view
        MPI.Free_mem(mem)
    m.release()
    MPI.Free_mem(mem)


# ---- messages and locks -----------------------------------------------


def test_message_no_proc_constant_stays():
    noproc = MPI.MESSAGE_NO_PROC
    noproc.Recv(None)
    assert noproc and noproc == MPI.MESSAGE_NO_PROC
    noproc.Irecv(None).Wait()
    assert noproc
    assert noproc.recv() is None
    copy = MPI.Message(MPI.MESSAGE_NO_PROC)
    assert copy
    copy.Recv(None)
    assert copy == MPI.MESSAGE_NULL


def test_comm_lock_table():
    comm = WORLD.Dup()
    try:
        table = MPI._comm_lock_table(comm)
        assert isinstance(table, dict) and "bcast" not in table
        comm.bcast(None, root=0)
        assert isinstance(table["bcast"], type(threading.Lock()))
        lock = MPI._comm_lock(comm, "x")
        assert MPI._comm_lock(comm, "x") is lock and table["x"] is lock
        assert MPI._comm_lock_table(comm) is table
    finally:
        comm.Free()
