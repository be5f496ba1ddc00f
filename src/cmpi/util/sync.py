"""Synchronization across the processes of a communicator (as
:mod:`mpi4py.util.sync`).

- :class:`Sequential`: a region the processes enter one at a time, in rank
  order (point-to-point messages).
- :class:`Counter`: a shared integer, atomically fetched and incremented.
- :class:`Mutex`: a lock, optionally recursive.
- :class:`Condition`: a condition variable over a mutex.
- :class:`Semaphore`: a counting semaphore, bounded by default.

Counter, Mutex, Condition and Semaphore keep their state in MPI windows
(one-sided communication with passive-target locks, MPI_Fetch_and_op and
MPI_Compare_and_swap), so a process needs no cooperation from the others
to use them.  Creating and freeing them is collective over the
communicator.
"""

import array
import time

from .. import MPI

__all__ = ["Sequential", "Counter", "Mutex", "Condition", "Semaphore"]

try:
    _INFO_NULL = MPI.INFO_NULL
except NotImplementedError:  # a cmpi without MPI.Info: resolved at use
    _INFO_NULL = None

# Back-off between polls of a contended lock: short, growing to 1 ms.
_POLL_MIN = 1e-6
_POLL_MAX = 1e-3


def _sleep(delay):
    time.sleep(delay)
    return min(delay * 2, _POLL_MAX)


class Sequential:
    """A region executed by one process at a time, in rank order:
    ``with Sequential(comm): ...``.  Rank r enters once rank r-1 left."""

    def __init__(self, comm, tag=0):
        self.comm = comm
        self.tag = tag

    def __enter__(self):
        self.begin()
        return self

    def __exit__(self, *exc):
        self.end()

    def begin(self):
        """Wait for the previous rank to leave the region."""
        comm, tag = self.comm, self.tag
        rank = comm.Get_rank()
        if rank > 0:
            comm.Recv([None, 0, MPI.BYTE], rank - 1, tag)

    def end(self):
        """Let the next rank enter the region."""
        comm, tag = self.comm, self.tag
        rank, size = comm.Get_rank(), comm.Get_size()
        if rank < size - 1:
            comm.Send([None, 0, MPI.BYTE], rank + 1, tag)


class _Shared:
    """``count`` integers of type ``typecode`` in a window at ``root``."""

    def __init__(self, count, typecode, comm, info, root, initial):
        self._comm = comm
        self._root = root
        self._typecode = typecode
        rank = comm.Get_rank()
        self._local = None
        if comm.Get_size() == 1:
            # One process: its own memory is the shared memory; no window.
            self._local = array.array(typecode, [initial] * count)
            self._win = True
            return
        itemsize = array.array(typecode).itemsize
        if info is None:
            info = MPI.INFO_NULL
        # MPI-allocated memory (MPI_Win_allocate): Open MPI's default
        # one-sided component refuses to expose user memory
        # (MPI_Win_create) on some transports.  Only the root has any.
        size = count * itemsize if rank == root else 0
        self._win = MPI.Win.Allocate(size, itemsize, info, comm)
        if rank == root:
            values = array.array(typecode, [initial] * count)
            self._win.Lock(root, MPI.LOCK_EXCLUSIVE)
            self._win.Put(values, root)
            self._win.Unlock(root)
        comm.Barrier()

    @property
    def freed(self):
        return self._win is None

    def _window(self):
        if self._win is None:
            raise RuntimeError("the synchronization object has been freed")
        return self._win

    def fetch_and_op(self, value, index=0, op=MPI.SUM):
        """Atomically apply ``op`` with ``value`` at ``index``; the old value."""
        win = self._window()
        if self._local is not None:
            old = self._local[index]
            if op == MPI.SUM:
                self._local[index] = old + value
            elif op == MPI.REPLACE:
                self._local[index] = value
            elif op != MPI.NO_OP:
                raise ValueError("unsupported operation")
            return old
        # Both buffers stay referenced until Unlock completes the operation.
        origin = array.array(self._typecode, [value])
        result = array.array(self._typecode, [0])
        win.Lock(self._root, MPI.LOCK_EXCLUSIVE)
        try:
            win.Fetch_and_op(origin, result, self._root, index, op)
        finally:
            win.Unlock(self._root)
        return result[0]

    def compare_and_swap(self, new, compare, index=0):
        """Atomically store ``new`` at ``index`` if it holds ``compare``; the
        value found there."""
        win = self._window()
        if self._local is not None:
            old = self._local[index]
            if old == compare:
                self._local[index] = new
            return old
        origin = array.array(self._typecode, [new])
        expect = array.array(self._typecode, [compare])
        result = array.array(self._typecode, [0])
        win.Lock(self._root, MPI.LOCK_EXCLUSIVE)
        try:
            win.Compare_and_swap(origin, expect, result, self._root, index)
        finally:
            win.Unlock(self._root)
        return result[0]

    def free(self):
        if self._win is not None:
            win, self._win = self._win, None
            if self._local is None:
                win.Free()


class Counter:
    """A shared counter: ``next()`` returns the current value and advances
    it by ``step`` (or ``incr``), atomically, whoever calls it."""

    def __init__(self, start=0, step=1, *, typecode="i", comm=MPI.COMM_SELF, info=_INFO_NULL, root=0):
        self._step = step
        self._shared = _Shared(1, typecode, comm, info, root, start)

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def next(self, incr=None):
        """The current value; the counter advances by ``incr`` (default:
        the step)."""
        if self._shared.freed:
            raise RuntimeError("the counter has been freed")
        return self._shared.fetch_and_op(self._step if incr is None else incr)

    def free(self):
        """Free the counter's window (collective; safe to repeat)."""
        self._shared.free()


_FREE = -1


class Mutex:
    """A lock held by one process at a time.  A recursive mutex can be
    acquired again by its holder, and is released after as many releases."""

    def __init__(self, *, recursive=False, comm=MPI.COMM_SELF, info=_INFO_NULL):
        self._comm = comm
        self._rank = comm.Get_rank()
        self._recursive = bool(recursive)
        self._held = 0
        self._owner = _Shared(1, "i", comm, info, 0, _FREE)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    def _check(self):
        if self._owner.freed:
            raise RuntimeError("the mutex has been freed")

    def acquire(self, blocking=True):
        """Acquire the mutex, waiting for it if ``blocking``; whether it
        was acquired."""
        self._check()
        if self._held:
            if not self._recursive:
                raise RuntimeError("cannot acquire a mutex already held")
            self._held += 1
            return True
        delay = _POLL_MIN
        while True:
            if self._owner.compare_and_swap(self._rank, _FREE) == _FREE:
                self._held = 1
                return True
            if not blocking:
                return False
            delay = _sleep(delay)

    def release(self):
        """Release the mutex (once, for a recursive one)."""
        self._check()
        if not self._held:
            raise RuntimeError("cannot release an unheld mutex")
        self._held -= 1
        if not self._held:
            self._owner.compare_and_swap(_FREE, self._rank)

    def locked(self):
        """Whether this process holds the mutex (as mpi4py: another
        process holding it does not make it locked here)."""
        self._check()
        return self._held > 0

    def count(self):
        """How many times this process holds the mutex (recursive only)."""
        self._check()
        if not self._recursive:
            raise RuntimeError("count() is for recursive mutexes")
        return self._held

    def free(self):
        """Free the mutex (collective; safe to repeat).  A holder releases
        it first, so that processes waiting for it can get to the free."""
        if self._held and not self._owner.freed:
            self._owner.compare_and_swap(_FREE, self._rank)
        self._held = 0
        self._owner.free()


class Condition:
    """A condition variable: holders of its mutex wait for a notification
    with ``wait()``; ``notify(n)`` wakes up to ``n`` waiters, oldest first."""

    _TAG = 0x5C0D

    def __init__(self, mutex=None, *, recursive=True, comm=MPI.COMM_SELF, info=_INFO_NULL):
        if mutex is None:
            self._mutex = Mutex(recursive=recursive, comm=comm, info=info)
            self._own_mutex = True
        else:
            self._mutex = mutex
            self._own_mutex = False
            comm = mutex._comm  # the condition lives where its mutex does
        self._comm = comm.Dup()
        size = comm.Get_size()
        # Waiting list at rank 0: per rank, 0 (not waiting) or its ticket;
        # slot `size` is the next ticket.  Only the mutex holder touches it.
        self._queue = _Shared(size + 1, "i", comm, info, 0, 0)
        self._queue_len = size

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    def _check(self, held=True):
        if self._queue.freed:
            raise RuntimeError("the condition has been freed")
        if held and not self._mutex._held:
            raise RuntimeError("the condition's mutex is not held")

    def acquire(self, blocking=True):
        """Acquire the underlying mutex."""
        self._check(held=False)
        return self._mutex.acquire(blocking)

    def release(self):
        """Release the underlying mutex."""
        self._check(held=False)
        self._mutex.release()

    def locked(self):
        """Whether the underlying mutex is held."""
        self._check(held=False)
        return self._mutex.locked()

    def _read_queue(self):
        win = self._queue._window()
        if self._queue._local is not None:
            return array.array("i", self._queue._local)
        buf = array.array("i", [0] * (self._queue_len + 1))
        win.Lock(0, MPI.LOCK_EXCLUSIVE)
        try:
            win.Get(buf, 0)
        finally:
            win.Unlock(0)
        return buf

    def _write(self, index, value):
        win = self._queue._window()
        if self._queue._local is not None:
            self._queue._local[index] = value
            return
        win.Lock(0, MPI.LOCK_EXCLUSIVE)
        try:
            win.Put(array.array("i", [value]), 0, (index, 1, MPI.INT))
        finally:
            win.Unlock(0)

    def wait(self):
        """Release the mutex, wait to be notified, acquire it again."""
        self._check()
        rank = self._comm.Get_rank()
        ticket = self._queue.fetch_and_op(1, self._queue_len) + 1
        self._write(rank, ticket)
        held, self._mutex._held = self._mutex._held, 1
        self._mutex.release()
        self._comm.Recv([None, 0, MPI.BYTE], MPI.ANY_SOURCE, self._TAG)
        self._mutex.acquire()
        self._mutex._held = held
        return True

    def wait_for(self, predicate):
        """Wait until ``predicate()`` is true; its last result."""
        self._check()
        result = predicate()
        while not result:
            self.wait()
            result = predicate()
        return result

    def notify(self, n=1):
        """Wake up to ``n`` waiters; how many were woken."""
        self._check()
        queue = self._read_queue()
        waiting = sorted((t, r) for r, t in enumerate(queue[: self._queue_len]) if t > 0)
        woken = 0
        for _, rank in waiting[: max(0, n)]:
            self._write(rank, 0)
            self._comm.Send([None, 0, MPI.BYTE], rank, self._TAG)
            woken += 1
        return woken

    def notify_all(self):
        """Wake every waiter; how many were woken."""
        return self.notify(self._queue_len)

    def free(self):
        """Free the condition (collective; safe to repeat)."""
        if self._queue.freed:
            return
        if self._mutex._held and not self._mutex._owner.freed:
            # Let the processes waiting for the mutex get to the free.
            self._mutex._held = 1
            self._mutex.release()
        self._queue.free()
        self._comm.Free()
        if self._own_mutex:
            self._mutex.free()


class Semaphore:
    """A counting semaphore: ``acquire()`` takes one unit, waiting while
    there is none; ``release(n)`` gives ``n`` back.  A bounded semaphore
    refuses to hold more than its initial value."""

    def __init__(self, value=1, *, bounded=True, comm=MPI.COMM_SELF, info=_INFO_NULL):
        if value < 0:
            raise ValueError("the semaphore's initial value must be >= 0")
        self._value = value
        self._bounded = bool(bounded)
        self._counter = Counter(value, comm=comm, info=info)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()

    def acquire(self, blocking=True):
        """Take one unit, waiting for one if ``blocking``; whether taken."""
        shared = self._counter._shared
        delay = _POLL_MIN
        current = shared.fetch_and_op(0, op=MPI.NO_OP)
        while True:
            if current > 0:
                # take it only if nobody changed the count meanwhile: the
                # count never goes below zero, not even for a moment
                found = shared.compare_and_swap(current - 1, current)
                if found == current:
                    return True
                current = found
                continue
            if not blocking:
                return False
            delay = _sleep(delay)
            current = shared.fetch_and_op(0, op=MPI.NO_OP)

    def release(self, n=1):
        """Give back ``n`` units (n >= 1)."""
        if n < 1:
            raise ValueError("release(n) needs n >= 1")
        if not self._bounded:
            self._counter.next(n)
            return
        # bounded: check and add atomically, so that the count never
        # exceeds the bound, not even for a moment
        shared = self._counter._shared
        current = shared.fetch_and_op(0, op=MPI.NO_OP)
        while True:
            if current + n > self._value:
                raise ValueError("semaphore released too many times")
            found = shared.compare_and_swap(current + n, current)
            if found == current:
                return
            current = found

    def free(self):
        """Free the semaphore (collective; safe to repeat)."""
        self._counter.free()
