"""MPI.buffer / MPI.memory, Alloc_mem/Free_mem, Get_address, Aint_add,
Aint_diff.  All local calls: every rank runs the same checks."""

import array

import numpy as np
import pytest

from mpiimpl import MPI


def test_alias():
    assert MPI.memory is MPI.buffer


def test_allocate():
    b = MPI.buffer.allocate(16, clear=True)
    assert len(b) == 16 and b.nbytes == 16 and not b.readonly
    assert b.tobytes() == bytes(16)
    assert b.address != 0
    b[0] = 255
    b[-1] = 7
    assert b[0] == 255 and b[15] == 7
    b[2:5] = b"abc"
    assert b.tobytes()[2:5] == b"abc"
    assert bytes(b[2:5]) == b"abc"
    a = np.frombuffer(b, dtype="u1")
    assert a[2] == ord("a")
    a[3] = ord("Z")  # the array writes the same memory
    assert b[3] == ord("Z")
    assert MPI.buffer.allocate(0).nbytes == 0
    assert bytes(MPI.buffer.allocate(0)) == b""


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_allocate_clear_touches_no_memory():
    # clear=True is calloc (the kernel's zero pages, as in mpi4py), not a
    # memset of every byte: 1 GiB cleared leaves the resident size alone,
    # and the memory reads as zeros where it is touched.
    before = resident_bytes()
    b = MPI.buffer.allocate(1 << 30, clear=True)
    assert resident_bytes() - before < (64 << 20)
    assert b[0] == 0 and b[(1 << 30) - 1] == 0 and b[1 << 29] == 0
    b[1 << 29] = 9
    assert b[1 << 29] == 9
    owner = b.obj
    assert owner is not None and not isinstance(owner, (bytes, bytearray))
    # as in mpi4py, obj exports the same memory (mpi4py's testAllocate)
    with memoryview(owner) as ov:  # type: ignore[arg-type]  # the stub's union
        assert ov.nbytes == b.nbytes and ov[1 << 29] == 9
    for size in (0, 1, 2):
        small = MPI.buffer.allocate(size)
        with memoryview(small.obj) as sv:  # type: ignore[arg-type]
            assert sv.nbytes == small.nbytes == size
    view = memoryview(b)
    b.release()  # the export keeps the memory until it goes
    assert view[1 << 29] == 9
    view.release()


def test_frombuffer():
    src = bytearray(b"hello")
    b = MPI.buffer.frombuffer(src)
    assert b.obj is src and not b.readonly and b.tobytes() == b"hello"
    b[0] = ord("j")
    assert src == bytearray(b"jello")
    r = MPI.buffer.frombuffer(src, readonly=True)
    assert r.readonly
    with pytest.raises(TypeError):
        r[0] = 1
    arr = np.arange(4, dtype="i4")
    b = MPI.buffer.frombuffer(arr)
    assert b.nbytes == 16 and b.address == arr.ctypes.data
    # a read-only object gives a read-only buffer only when asked
    with pytest.raises(BufferError):
        MPI.buffer.frombuffer(b"abc")
    assert MPI.buffer.frombuffer(b"abc", readonly=True).readonly
    assert MPI.buffer(b"abc").readonly
    assert not MPI.buffer(bytearray(3)).readonly
    with pytest.raises(TypeError):
        MPI.buffer.frombuffer(42)
    assert MPI.buffer().nbytes == 0


def test_fromaddress():
    arr = np.arange(8, dtype="u1")
    b = MPI.buffer.fromaddress(arr.ctypes.data, arr.nbytes)
    assert b.tobytes() == arr.tobytes() and b.obj is None
    b[1] = 100
    assert arr[1] == 100
    r = MPI.buffer.fromaddress(arr.ctypes.data, 4, readonly=True)
    assert r.readonly and len(r) == 4
    assert MPI.buffer.fromaddress(0, 0).nbytes == 0
    with pytest.raises(ValueError):
        MPI.buffer.fromaddress(0, 8)
    with pytest.raises(ValueError):
        MPI.buffer.fromaddress(arr.ctypes.data, -1)
    with pytest.raises(TypeError):
        MPI.buffer.fromaddress("x", 1)


def test_toreadonly_cast_slices():
    b = MPI.buffer.allocate(8, clear=True)
    r = b.toreadonly()
    assert r.readonly and r.address == b.address
    m = b.cast("i")
    assert isinstance(m, memoryview) and len(m) == 2
    m[1] = 5
    assert np.frombuffer(b, dtype="i4")[1] == 5
    m.release()
    s = b[2:6]
    assert s.nbytes == 4 and s.address == b.address + 2
    assert b[8:].nbytes == 0
    with pytest.raises(IndexError):
        b[::2]
    with pytest.raises(IndexError):
        b[8]
    with pytest.raises(ValueError):
        b[0] = 256
    with pytest.raises(ValueError):
        b[0:2] = b"abc"
    with pytest.raises(TypeError):
        b["x"]  # type: ignore[call-overload]


def test_release():
    b = MPI.buffer.allocate(8)
    b[:] = 7
    a = np.frombuffer(b, dtype="u1")
    # as in mpi4py, release() empties the buffer even while an array uses
    # its memory; the memory itself lives until the array goes
    b.release()
    assert b.nbytes == 0 and len(b) == 0 and b.obj is None
    assert b.address == 0 and not b.readonly
    assert a.tolist() == [7] * 8
    del a
    b.release()
    assert b.nbytes == 0


def test_alloc_free_mem():
    mem = MPI.Alloc_mem(64)
    assert isinstance(mem, MPI.buffer) and mem.nbytes == 64
    a = np.frombuffer(mem, dtype="f8")
    a[:] = 1.5
    assert mem.tobytes() == np.full(8, 1.5).tobytes()
    with pytest.raises(BufferError):
        MPI.Free_mem(mem)
    del a
    MPI.Free_mem(mem)
    assert mem.nbytes == 0
    with pytest.raises(MPI.Exception):
        MPI.Free_mem(mem)  # already freed
    with pytest.raises(MPI.Exception):
        MPI.Free_mem(MPI.buffer.allocate(4))  # not from Alloc_mem
    with pytest.raises(TypeError):
        MPI.Free_mem(bytearray(4))
    info = MPI.Info.Create()
    mem = MPI.Alloc_mem(8, info)
    MPI.Free_mem(mem)
    info.Free()
    MPI.Free_mem(MPI.Alloc_mem(0))
    with pytest.raises(TypeError):
        MPI.Alloc_mem(8, info="nope")
    with pytest.raises(MPI.Exception) as e:  # MPI's class, as mpi4py raises
        MPI.Alloc_mem(-1)
    assert e.value.Get_error_class() == MPI.ERR_ARG


def test_get_address():
    arr = np.zeros(4, dtype="i8")
    assert MPI.Get_address(arr) == arr.ctypes.data
    a = array.array("i", [1, 2, 3])
    assert MPI.Get_address(a) == a.buffer_info()[0]
    assert MPI.Get_address(MPI.BOTTOM) == 0
    with pytest.raises(TypeError):
        MPI.Get_address(42)


def test_aint():
    arr = np.zeros(4, dtype="i8")
    base = MPI.Get_address(arr)
    assert MPI.Aint_add(base, 8) == MPI.Get_address(arr[1:])
    assert MPI.Aint_diff(MPI.Get_address(arr[3:]), base) == 24
    assert MPI.Aint_add(base=100, disp=-4) == 96
    assert MPI.Aint_diff(addr1=10, addr2=4) == 6
    # an integral float converts, as in mpi4py (Cython's __int__)
    assert MPI.Aint_add(1.0, 2) == 3
    with pytest.raises(TypeError):
        MPI.Aint_add("1", 2)
