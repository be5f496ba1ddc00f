"""Large arrays inside objects: the memory they are received into.

cmpi receives out-of-band buffers of 1 MiB or more into 2 MiB-aligned
blocks (huge pages where the kernel has them) that go back to a small
per-process cache when the array owning one is freed, and that the next
receive takes again (csrc/pickle.c, cmpi_oob_recv_buffer).  What a user
sees must not change: every received array owns its memory, stays intact
after later receives, and is writable or read-only as pickle makes it; and
the cache stays bounded, so memory is given back.  The cache's state is
read through MPI.pickle._recv_cache(), private and cmpi's only.
"""

import gc
import pickle

import numpy as np
import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import allok, ring

MiB = 1 << 20
# the cache's bounds (csrc/pickle.c): CMPI_BIGMEM_CACHE_BLOCKS/_BYTES
CACHE_BLOCKS, CACHE_BYTES = 4, 64 * MiB


def big(value, nbytes=3 * MiB, dtype="f8"):
    return np.full(nbytes // np.dtype(dtype).itemsize, value, dtype=dtype)


def exchange(comm, obj, tag=31):
    """Send obj around the ring, return what arrived (works on 1 rank)."""
    _, _, dest, source = ring(comm)
    req = comm.isend(obj, dest=dest, tag=tag)
    got = comm.recv(source=source, tag=tag)
    req.wait()
    return got


def recv_cache():
    gc.collect()
    return MPI.pickle._recv_cache()  # type: ignore[attr-defined]


def test_received_arrays_stay_intact_after_later_receives():
    comm = MPI.COMM_WORLD
    rank, size, _, source = ring(comm)
    kept = []
    for i in range(8):
        got = exchange(comm, {"i": i, "a": big(1000 * rank + i)})
        kept.append(got)
        if i % 2:
            # dropped ones give their memory back: the next receive may
            # take it, never the memory of an array still held
            del kept[-2]["a"]
    arrays = [(got["i"], got["a"]) for got in kept if "a" in got]
    ok = all(bool(np.all(a == 1000 * source + i)) and a.flags.writeable for i, a in arrays)
    # writing into one received array changes no other
    arrays[0][1][:] = -1
    ok &= all(bool(np.all(a == 1000 * source + i)) for i, a in arrays[1:])
    assert allok(ok)


@pytest.mark.parametrize("readonly", [False, True], ids=["writable", "readonly"])
def test_writable_as_pickle_gives(readonly):
    comm = MPI.COMM_WORLD
    a = big(7.0)
    if readonly:
        a.flags.writeable = False
    bufs: list[pickle.PickleBuffer] = []
    data = pickle.dumps(a, protocol=5, buffer_callback=bufs.append)
    expect = pickle.loads(data, buffers=[bytearray(b.raw()) for b in bufs])
    got = exchange(comm, a)
    ok = (got.flags.writeable == expect.flags.writeable and got.dtype == expect.dtype
          and got.shape == expect.shape and np.array_equal(got, expect))
    assert allok(ok)


def test_collectives_keep_received_arrays():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    bc = [comm.bcast(big(i) if rank == i % size else None, root=i % size) for i in range(4)]
    ag = [comm.allgather(big(10 * rank + i, nbytes=2 * MiB)) for i in range(3)]
    ok = all(bool(np.all(a == i)) for i, a in enumerate(bc))
    ok &= all(bool(np.all(a[r] == 10 * r + i)) for i, a in enumerate(ag) for r in range(size))
    assert allok(ok)


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's receive-memory cache")
def test_receive_memory_cache_bounded_and_reused():
    comm = MPI.COMM_WORLD
    before = recv_cache()
    for i in range(10):
        got = exchange(comm, big(i, nbytes=4 * MiB))
        aligned = got.ctypes.data % (2 * MiB) == 0
        del got
    mid = recv_cache()
    # one message's memory in circulation: taken again, not mapped anew
    reused = mid["reused"] - before["reused"] >= 8
    held = [exchange(comm, big(i, nbytes=4 * MiB)) for i in range(CACHE_BLOCKS + 4)]
    while_held = recv_cache()
    intact = all(bool(np.all(a == i)) for i, a in enumerate(held))
    del held
    after = recv_cache()
    # blocks larger than the whole cache are unmapped when freed
    huge = exchange(comm, big(1, nbytes=CACHE_BYTES + 2 * MiB))
    huge_ok = bool(huge[0] == 1 and huge[-1] == 1)
    del huge
    last = recv_cache()
    ok = (aligned and reused and intact and huge_ok
          and while_held["mapped"] >= CACHE_BLOCKS + 4
          and after["cached"] <= CACHE_BLOCKS and after["cached_bytes"] <= CACHE_BYTES
          # nothing more held than before: every other block is cached
          and after["mapped"] - after["cached"] <= before["mapped"] - before["cached"]
          and last["mapped"] - last["cached"] <= before["mapped"] - before["cached"]
          and last["cached_bytes"] <= CACHE_BYTES)
    assert allok(ok), (before, mid, while_held, after, last)


@pytest.mark.skipif(MPI.Query_thread() != MPI.THREAD_MULTIPLE,
                    reason="several threads receiving need THREAD_MULTIPLE")
def test_threads_receiving_large_arrays():
    """Threads receive, keep some and drop others: memory freed in one thread
    and taken in another never belongs to two arrays at once."""
    import threading

    comm = MPI.COMM_WORLD
    _, _, dest, source = ring(comm)
    nthreads, rounds = 3, 6
    kept: dict[int, list] = {}
    errors: list[str] = []

    def work(t):
        try:
            mine = []
            for i in range(rounds):
                req = comm.isend(big(100 * t + i, nbytes=2 * MiB), dest=dest, tag=40 + t)
                got = comm.recv(source=source, tag=40 + t)
                req.wait()
                if i % 2 == 0:
                    mine.append((i, got))
            kept[t] = mine
        except Exception as e:  # reported below, on the main thread
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(nthreads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ok = not errors and all(bool(np.all(a == 100 * t + i))
                            for t in range(nthreads) for i, a in kept.get(t, [(None, None)]))
    assert allok(ok), errors
