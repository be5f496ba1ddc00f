"""Reference cycles through MPI objects are collected, not leaked.

Every type whose instances hold Python objects is tracked by the garbage
collector, and its traverse and clear break the cycles its references
close.  Each test makes one such cycle, drops it without the explicit call
that used to be the only way to break it (``Win.Free()``,
``buffer.release()``), runs ``gc.collect()`` and checks that the objects
are gone, and that MPI's side is left sane: a window dropped without
``Free()`` keeps its handle and its memory (``MPI_Win_free`` is collective;
mpi4py leaves the handle too), so a second reference made before can still
use the window and free it.
"""

import gc
import sys
import weakref

import numpy as np
import pytest

from mpiimpl import MPI, IS_CMPI


def count(cls):
    """Live instances of exactly ``cls`` after a full collection."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is cls)


def allocate(kind):
    """A window over 16 bytes of MPI memory, on COMM_SELF (no peers)."""
    if kind == "allocate":
        return MPI.Win.Allocate(16, 1, comm=MPI.COMM_SELF)
    try:
        return MPI.Win.Allocate_shared(16, 1, comm=MPI.COMM_SELF)
    except NotImplementedError:  # pragma: no cover - MPI without MPI-3 shm
        pytest.skip("no Win.Allocate_shared")


def memory_of(win, kind):
    """A buffer over the window's memory, as tomemory() or Shared_query
    give it: it keeps the window alive (its owner), and the window lists
    it (Free empties it)."""
    if kind == "allocate":
        return win.tomemory()
    mem, _ = win.Shared_query(0)
    return mem


@pytest.mark.parametrize("kind", ["allocate", "shared"])
def test_win_memory_cycle(kind):
    """win -> buffers it gave -> buffer -> win, dropped without Free()."""
    before = count(MPI.Win)
    win = allocate(kind)
    keep = MPI.Win(win)  # the same handle, outside the cycle
    mem = memory_of(win, kind)
    if IS_CMPI:
        assert gc.is_tracked(win) and gc.is_tracked(mem)
    mem[0] = 7
    assert count(MPI.Win) == before + 2
    del win, mem
    assert count(MPI.Win) == before + 1
    # The handle was not freed: its memory is still the window's.
    again = memory_of(keep, kind)
    assert again[0] == 7
    del again
    keep.Free()
    del keep
    assert count(MPI.Win) == before


@pytest.mark.parametrize("kind", ["allocate", "shared"])
def test_win_memory_cycle_freed(kind):
    """After Free() the cycle is already broken, and the buffer empty."""
    before = count(MPI.Win)
    win = allocate(kind)
    mem = memory_of(win, kind)
    win.Free()
    assert len(mem) == 0
    del win, mem
    assert count(MPI.Win) == before


def test_win_memory_cycle_with_export():
    """A memoryview over the window's buffer in the same garbage: collected
    too, and the memory it pointed at was never freed under it."""
    before = count(MPI.Win)
    win = MPI.Win.Allocate(16, 1, comm=MPI.COMM_SELF)
    keep = MPI.Win(win)
    mem = win.tomemory()
    view = memoryview(mem)
    view[1] = 9
    holder = [view, win]
    holder.append(holder)  # the list is garbage only with the rest
    del win, mem, view, holder
    assert count(MPI.Win) == before + 1
    assert keep.tomemory()[1] == 9
    keep.Free()


def test_win_many_dropped_cycles_collected():
    """Dropping such windows in a loop leaves no Win or buffer behind (each
    iteration frees its handle through a second reference).  Every instance
    of a heap type holds its type: the types' reference counts count the
    instances left, tracked by the collector or not."""
    gc.collect()
    refs0 = sys.getrefcount(MPI.Win), sys.getrefcount(MPI.buffer)
    # 10 rounds, not more: each full collection of the suite's heap takes
    # some 160 ms, and one leaked Win or buffer a round already shows as 10
    for _ in range(10):
        win = MPI.Win.Allocate(8, 1, comm=MPI.COMM_SELF)
        keep = MPI.Win(win)
        mem = win.tomemory()
        del win, mem
        gc.collect()
        keep.Free()
        del keep
    gc.collect()
    assert (sys.getrefcount(MPI.Win), sys.getrefcount(MPI.buffer)) == refs0


@pytest.mark.skipif(not IS_CMPI, reason="mpi4py's buffer is not GC-tracked")
def test_buffer_exporter_cycle():
    """An object holding a buffer over its own memory: array -> its
    __dict__ -> buffer -> the exported array."""

    class Array(np.ndarray):
        mem: MPI.buffer

    a = np.zeros(16, dtype="u1").view(Array)
    a.mem = MPI.buffer(a)
    a.mem[3] = 5
    assert a[3] == 5
    assert gc.is_tracked(a.mem)
    ref = weakref.ref(a)
    del a
    gc.collect()
    assert ref() is None


@pytest.mark.skipif(not IS_CMPI, reason="mpi4py's buffer is not GC-tracked")
def test_buffer_exporter_cycle_released():
    """release() breaks the same cycle by hand, as before."""

    class Array(np.ndarray):
        mem: MPI.buffer

    a = np.zeros(16, dtype="u1").view(Array)
    a.mem = MPI.buffer(a)
    ref = weakref.ref(a)
    a.mem.release()
    del a
    assert ref() is None


def test_buffer_without_references_untouched_by_gc():
    """Memory from Alloc_mem holds no Python object: a collection leaves it
    as it is, and Free_mem still frees it."""
    mem = MPI.Alloc_mem(32)
    mem[0] = 1
    gc.collect()
    assert len(mem) == 32 and mem[0] == 1
    MPI.Free_mem(mem)
    assert len(mem) == 0
