"""Exact NumPy arrays as messages: read from the array's own fields.

buffer.c reads an exact ndarray's data, shape, dtype and flags directly
once its dtype has been seen through the buffer protocol; these tests
check that this path gives what the buffer protocol gives: the same data,
the same datatype, the same errors, no reference left behind.  Each case
runs its message twice or more, so the second run takes the cached path.
"""
import sys

import numpy as np
import pytest

from mpiimpl import MPI

SELF = MPI.COMM_SELF

DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
          "uint64", "float32", "float64", "complex64", "complex128", "bool",
          "S1", "longdouble"]


def roundtrip(send, recv, comm=SELF):
    req = comm.Irecv(recv, source=0, tag=11)
    comm.Send(send, dest=0, tag=11)
    status = MPI.Status()
    req.Wait(status)
    return status


@pytest.mark.parametrize("dtype", DTYPES)
def test_dtypes_twice_same_as_buffer_protocol(dtype):
    a = (np.arange(12) % 7).astype(dtype)
    for _ in range(3):
        b = np.zeros_like(a)
        status = roundtrip(a, b)
        assert (a == b).all()
        assert status.Get_count(MPI.BYTE) == a.nbytes
        # the element count through the datatype the buffer protocol gives
        expect = MPI.Datatype.fromcode(a.dtype.char) if a.dtype.char != "S" \
            else MPI.CHAR
        assert status.Get_count(expect) == a.size


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(), (0,), (3, 4), (2, 3, 4), (5, 0, 2)])
def test_layouts(order, shape):
    a = np.arange(int(np.prod(shape)), dtype="f8").reshape(shape, order=order)
    for _ in range(2):
        b = np.full(shape, -1.0, order=order)
        status = roundtrip(a, b)
        assert (a == b).all()
        assert status.Get_count(MPI.DOUBLE) == a.size


def test_more_dtypes_than_the_cache_holds():
    kinds = ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f4", "f8",
             "c8", "c16", "?"]
    for _ in range(2):
        for k in kinds:
            a = np.arange(5).astype(k)
            b = np.zeros_like(a)
            roundtrip(a, b)
            assert (a == b).all(), k


def test_equal_dtypes_that_are_other_objects():
    # a dtype with metadata is its own object with the same format
    dt = np.dtype("f8", metadata={"unit": "m"})
    for _ in range(2):
        a = np.arange(4, dtype=dt)
        b = np.zeros(4, dtype=dt)
        roundtrip(a, b)
        assert (a == b).all()


def test_no_reference_left_behind():
    a = np.arange(8, dtype="i4")
    b = np.zeros(8, dtype="i4")
    roundtrip(a, b)
    before = sys.getrefcount(a), sys.getrefcount(b)
    for _ in range(50):
        roundtrip(a, b)
        SELF.Sendrecv(a, 0, 3, b, 0, 3)
    assert (sys.getrefcount(a), sys.getrefcount(b)) == before


def test_pending_request_keeps_the_array():
    b = np.zeros(16, dtype="f8")
    roundtrip(np.ones(16), b)  # dtype seen
    req = SELF.Irecv(b, source=0, tag=5)
    ref = sys.getrefcount(b)
    del b
    a = np.arange(16, dtype="f8")
    SELF.Send(a, dest=0, tag=5)
    req.Wait()
    assert ref >= 3  # the request holds the receive buffer


def test_read_only_receive_buffer_raises_every_time():
    a = np.zeros(4)
    roundtrip(np.ones(4), a)
    a.flags.writeable = False
    errors = set()
    for _ in range(2):
        with pytest.raises((ValueError, BufferError)) as info:
            SELF.Recv(a, source=MPI.PROC_NULL)
        errors.add((type(info.value), str(info.value)))
    assert len(errors) == 1
    SELF.Send(a, dest=MPI.PROC_NULL)  # sending from it is fine


def test_broadcast_view_warns_like_the_buffer_protocol():
    # np.broadcast_to arrays are read-only; writable views of broadcast
    # arrays warn on write: either way the same as an export asks
    a = np.broadcast_to(np.arange(3.0), (2, 3))
    with pytest.raises((ValueError, BufferError)):
        SELF.Recv(a, source=MPI.PROC_NULL)


def test_not_contiguous_raises_every_time():
    a = np.arange(12.0)
    roundtrip(a, np.zeros(12))
    for _ in range(2):
        with pytest.raises(BufferError):
            SELF.Send(a[::2], dest=MPI.PROC_NULL)


def test_non_native_byte_order_raises_every_time():
    other = ">f8" if sys.byteorder == "little" else "<f8"
    a = np.zeros(3, dtype=other)
    for _ in range(2):
        with pytest.raises(BufferError):
            SELF.Send(a, dest=MPI.PROC_NULL)
    SELF.Send([a, MPI.BYTE], dest=MPI.PROC_NULL)


def test_dtype_seen_only_with_a_datatype_given():
    # [array, datatype] alone teaches buffer.c an array's dtype too, also
    # one whose format names no MPI datatype (a structured or a byte-swapped
    # one): typed messages then read the array's fields, and an untyped one
    # still raises as the buffer protocol makes it
    other = ">f8" if sys.byteorder == "little" else "<f8"
    pair = np.dtype([("a", "i4"), ("b", "f8")], align=True)
    pair_type = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT, MPI.DOUBLE]).Commit()
    try:
        cases: list[tuple[np.dtype, MPI.Datatype, type[Exception] | None]] = [
            (np.dtype("u2"), MPI.UNSIGNED_SHORT, None),
            (np.dtype(other), MPI.BYTE, BufferError),
            (pair, pair_type, TypeError)]
        for dtype, mpitype, error in cases:
            a = np.zeros(5, dtype=dtype)
            for field in (a.dtype.names or [None]):
                (a if field is None else a[field])[:] = np.arange(1, 6)
            for _ in range(3):
                b = np.zeros_like(a)
                status = roundtrip([a, mpitype], [b, mpitype])
                assert (a == b).all()
                count = a.nbytes // mpitype.Get_extent()[1]
                assert status.Get_count(MPI.BYTE) == count * mpitype.Get_size()
                with pytest.raises(ValueError):
                    SELF.Send([a, count + 1, mpitype], dest=MPI.PROC_NULL)
            if error is None:
                b = np.zeros_like(a)
                roundtrip(a, b)
                assert (a == b).all()
            else:
                for _ in range(2):
                    with pytest.raises(error):
                        SELF.Send(a, dest=MPI.PROC_NULL)
    finally:
        pair_type.Free()


def test_subclass_goes_through_the_buffer_protocol():
    class Sub(np.ndarray):
        pass
    a = np.arange(6.0).view(Sub)
    for _ in range(2):
        b = np.zeros(6).view(Sub)
        roundtrip(a, b)
        assert (np.asarray(a) == np.asarray(b)).all()


def test_explicit_datatype_and_count():
    a = np.arange(10, dtype="i4")
    for _ in range(2):
        b = np.zeros(10, dtype="i4")
        roundtrip([a, 4, MPI.INT], [b, 4, MPI.INT])
        assert (b[:4] == a[:4]).all() and (b[4:] == 0).all()
        with pytest.raises(ValueError):
            SELF.Send([a, 11, MPI.INT], dest=MPI.PROC_NULL)


def test_vector_collective_with_arrays():
    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    for _ in range(2):
        send = np.full(rank + 1, rank, dtype="i8")
        recv = np.zeros(size * (size + 1) // 2, dtype="i8")
        counts = [r + 1 for r in range(size)]
        comm.Allgatherv(send, [recv, counts])
        expect = np.concatenate([np.full(r + 1, r) for r in range(size)])
        assert (recv == expect).all()


def test_keywords_built_at_run_time():
    # not interned: found by their bytes
    dest = "".join(["de", "st"])
    a = np.arange(3.0)
    b = np.zeros(3)
    req = SELF.Irecv(b, **{"".join(["sour", "ce"]): 0})
    SELF.Send(a, **{dest: 0})
    req.Wait()
    assert (a == b).all()
    with pytest.raises(TypeError, match="unexpected keyword argument 'dst'"):
        SELF.Send(a, **{"".join(["ds", "t"]): 0})


def test_rank_after_free_and_dup():
    comm = MPI.COMM_WORLD.Dup()
    assert comm.Get_rank() == comm.rank == MPI.COMM_WORLD.Get_rank()
    copy = MPI.Comm(comm)
    assert copy.Get_rank() == comm.rank
    comm.Free()
    for c in (comm, copy):
        with pytest.raises(MPI.Exception):
            c.Get_rank()
        with pytest.raises(MPI.Exception):
            c.rank
    assert MPI.COMM_SELF.Get_rank() == 0


def test_unaligned_arrays_either_order():
    # an unaligned array's format differs ('=q'): never cached, never read
    # from its fields
    for first_aligned in (True, False):
        for _ in range(2):
            raw = bytearray(8 * 6 + 1)
            un = np.frombuffer(raw, dtype="i8", offset=1, count=6)
            assert not un.flags.aligned
            al = np.arange(6, dtype="i8")
            pairs = [(al, un), (un, al)] if first_aligned else [(un, al), (al, un)]
            for src, dst in pairs:
                dst[:] = 0
                src[:] = np.arange(6) * 3
                roundtrip(src, dst)
                assert (dst == np.arange(6) * 3).all()
