"""Executors: MPIPoolExecutor, MPICommExecutor, and their thread and
process variants."""

import atexit
import itertools
import os
import sys
import threading
import time
from concurrent.futures import Executor, Future

from cmpi import MPI  # initialized before the exit hook below is registered

from . import _core
from ._progress import make_progress

__all__ = ["MPIPoolExecutor", "MPICommExecutor", "ThreadPoolExecutor",
           "ProcessPoolExecutor", "get_comm_workers"]


# ------------------------------------------------------------ static world

class _StaticWorld:
    """The workers of ``python -m cmpi.futures``: ranks 1..N-1 of a
    duplicate of COMM_WORLD, shared by the executors the program makes
    (one at a time)."""

    def __init__(self, comm):
        self.comm = comm
        self.workers = list(range(1, comm.Get_size()))
        self.lock = threading.Lock()
        self.session = threading.Semaphore(1)


_static_world = None
def _shutdown_all():
    """Let the pools still running finish their work (at a program's end,
    before MPI is finalized), even those of executors no longer referenced."""
    _core.shutdown_all()


atexit.register(_shutdown_all)


def _set_static_world(comm):
    global _static_world
    _static_world = _StaticWorld(comm) if comm is not None else None


def _max_workers_default():
    value = _core.env_get("MAX_WORKERS")
    if value is not None:
        return int(value)
    try:
        universe = MPI.COMM_WORLD.Get_attr(MPI.UNIVERSE_SIZE)
        if universe:
            return max(int(universe) - MPI.COMM_WORLD.Get_size(), 1)
    except Exception:
        pass
    return 1


def _check_threads(MPI):
    level = MPI.Query_thread()
    if level < MPI.THREAD_SERIALIZED:
        raise RuntimeError(
            "cmpi.futures needs MPI initialized with at least THREAD_SERIALIZED "
            f"(it runs MPI calls on a manager thread); MPI provides level {level}. "
            "Leave cmpi.rc.thread_level at 'multiple' (the default).")


def _spawn(max_workers, python_exe, python_args, mpi_info):
    _check_threads(MPI)
    if not hasattr(MPI.Comm, "Spawn") and not hasattr(MPI.Intracomm, "Spawn"):
        raise NotImplementedError(
            "MPIPoolExecutor without static workers needs MPI.Intracomm.Spawn, "
            "which this cmpi build lacks; run the program with "
            "`mpiexec -n N python -m cmpi.futures prog.py` instead")
    kwargs = {}
    info = None
    if mpi_info:
        if not hasattr(MPI, "Info"):
            raise NotImplementedError("mpi_info needs MPI.Info, which this cmpi build lacks")
        info = MPI.Info.Create()
        for k, v in dict(mpi_info).items():
            info.Set(k, v)
        kwargs["info"] = info
    args = list(python_args or ()) + ["-m", "cmpi.futures.server"]
    try:
        comm = MPI.COMM_SELF.Spawn(python_exe or sys.executable, args=args,
                                   maxprocs=max_workers, **kwargs)
    except MPI.Exception as exc:
        exc.add_note(f"cmpi.futures: spawning {max_workers} worker(s) failed; static "
                     "workers need no Spawn: mpiexec -n <1 + workers> python -m "
                     "cmpi.futures prog.py")
        raise
    finally:
        if info is not None:
            info.Free()
    return comm


class MPIPoolExecutor(Executor):
    """An executor running calls on a pool of MPI worker processes.

    Workers are the other ranks of the job under
    ``mpiexec -n N python -m cmpi.futures prog.py`` (static), or else
    ``max_workers`` processes started with ``Spawn``.  Idle workers take
    the next tasks, so uneven tasks balance by themselves.
    """

    Future = Future
    _use_static = True

    def __init__(self, max_workers=None, initializer=None, initargs=(), **kwargs):
        if max_workers is not None:
            max_workers = int(max_workers)
            if max_workers <= 0:
                raise ValueError("max_workers must be greater than 0")
        if initializer is not None and not callable(initializer):
            raise TypeError("initializer must be a callable")
        self._max_workers = max_workers
        self._initializer = initializer
        self._initargs = tuple(initargs)
        self._options = kwargs
        self._manager = None
        self._lock = threading.Lock()
        self._shutdown = False

    # -- pool life

    def _make_transport(self):
        options = self._options
        world = _static_world if self._use_static else None
        if world is not None:
            _check_threads(MPI)
            world.session.acquire()
            workers = world.workers
            if self._max_workers is not None:
                workers = workers[:self._max_workers]

            def release(transport, broken):
                for w in workers:
                    try:
                        transport.comm.send(("stop",), dest=w, tag=_core.TAG_TASKS)
                    except Exception:
                        pass
                world.session.release()
            return _core.MPITransport(world.comm, workers, on_close=release), {}
        n = self._max_workers or _max_workers_default()
        comm = _spawn(n, options.get("python_exe"), options.get("python_args"),
                      options.get("mpi_info"))
        workers = list(range(comm.Get_remote_size()))

        def finish(transport, broken):
            for w in workers:
                try:
                    transport.comm.send(("exit",), dest=w, tag=_core.TAG_TASKS)
                except Exception:
                    pass
            if not broken:
                try:
                    transport.comm.Disconnect()
                except Exception:
                    pass
        setup = {k: options[k] for k in ("env", "path", "wdir", "globals") if options.get(k)}
        if options.get("main", True):
            setup["main_spec"] = _core.main_spec()
        setup.setdefault("path", list(sys.path))
        return _core.MPITransport(comm, workers, on_close=finish), setup

    def _start(self):
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._manager is None:
                transport, setup = self._make_transport()
                m = _core.Manager(transport, self._initializer, self._initargs, setup)
                transport.manager = m
                self._manager = m
                m.start()
            return self._manager

    def bootup(self, wait=True):
        """Start the workers now (rather than at the first submit);
        with ``wait``, return when they are ready.  Returns self."""
        m = self._start()
        if wait:
            m.ready.wait()
        return self

    @property
    def num_workers(self):
        """Number of worker processes."""
        return len(self._start().workers)

    def shutdown(self, wait=True, *, cancel_futures=False):
        """Let pending work finish (or cancel it), then stop the workers."""
        with self._lock:
            self._shutdown = True
            m = self._manager
        if m is None:
            return
        m.stop(cancel=cancel_futures)
        if wait:
            m.join()

    # -- work

    def submit(self, fn, /, *args, **kwargs):
        """Schedule ``fn(*args, **kwargs)``; returns its Future."""
        m = self._start()
        future = Future()
        m.put(_core.Source(_core.FutureOwner(future), fn, [args], kwargs or None))
        return future

    def map(self, fn, *iterables, timeout=None, chunksize=1, buffersize=None,
            unordered=False, progress=None):
        """``fn`` applied to the items of ``iterables``, as an iterator.

        ``timeout`` bounds the whole iteration (seconds from this call);
        ``chunksize`` the smallest group of items sent together;
        ``buffersize`` how many items are taken from the iterables ahead of
        the consumer; ``unordered`` yields results as they complete;
        ``progress`` (or CMPI_PROGRESS=1) shows a progress display.
        """
        return self._map(fn, zip(*iterables), timeout, chunksize, buffersize,
                         unordered, progress, star=True)

    def starmap(self, fn, iterable, timeout=None, chunksize=1, buffersize=None,
                unordered=False, progress=None):
        """Like map, with each item of ``iterable`` a tuple of arguments."""
        return self._map(fn, iter(iterable), timeout, chunksize, buffersize,
                         unordered, progress, star=True)

    def _map(self, fn, items, timeout, chunksize, buffersize, unordered, progress, star):
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        if buffersize is not None:
            if not isinstance(buffersize, int):
                raise TypeError("buffersize must be an integer or None")
            if buffersize < 1:
                raise ValueError("buffersize must be None or > 0")
        deadline = None if timeout is None else time.monotonic() + timeout
        if buffersize is None:
            data = [tuple(a) for a in items]
            rest = None
        else:
            data = [tuple(a) for a in itertools.islice(items, buffersize)]
            rest = items
        m = self._start()
        bar = make_progress(progress, None if rest is not None else len(data))
        job = _core.MapJob(len(data), unordered, bar)
        source = _core.Source(job, fn, data, None, star=True, chunk=chunksize)
        m.put(source)
        return _map_results(m, job, source, rest, deadline)

    def _map_all(self, fn, iterable, chunksize=1):
        """A Future for the list of ``fn(*args)`` over ``iterable`` (it
        fails with the exception of the first item that failed)."""
        data = [tuple(a) for a in iterable]
        future = Future()
        future.set_running_or_notify_cancel()
        job = _core.MapJob(len(data), False, None)

        def complete(job):
            if future.done():
                return
            if job.failure is not None:
                future.set_exception(job.failure)
            elif job.errors:
                future.set_exception(_core.unwrap_exception(job.errors[min(job.errors)]))
            else:
                future.set_result(job.results)
        job.on_complete = complete
        if not data:
            future.set_result([])
            return future
        m = self._start()
        m.put(_core.Source(job, fn, data, None, star=True, chunk=chunksize))
        return future

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.shutdown(wait=True)
        return False


def _map_results(manager, job, source, rest, deadline):
    """The generator map returns: results in order (or as they come)."""
    yielded = 0
    try:
        while yielded < job.total:
            index = job.wait_index(None if job.unordered else yielded, deadline)
            value = job.take_result(index)
            yielded += 1
            if rest is not None:
                more = next(rest, _END)
                if more is _END:
                    rest = None
                else:
                    _append(manager, job, source, [tuple(more)])
            yield value
        if job.progress is not None:
            job.progress.close()
    finally:
        if yielded < job.total:
            job.forget()


_END = object()


def _append(manager, job, source, items):
    job.grow(len(items))
    with source.lock:
        source.items.extend(items)
    manager.requeue(source)


class ThreadPoolExecutor(MPIPoolExecutor):
    """MPIPoolExecutor's interface, with threads of this process as workers."""

    def _make_transport(self):
        n = self._max_workers or min(32, (os.cpu_count() or 1) + 4)
        return _core.ThreadTransport(n), {}


class ProcessPoolExecutor(MPIPoolExecutor):
    """MPIPoolExecutor that always spawns its worker processes."""

    _use_static = False


class _CommPoolExecutor(MPIPoolExecutor):
    def __init__(self, comm, root, workers, **kwargs):
        super().__init__(**kwargs)
        self._comm = comm
        self._root_workers = workers

    def shutdown(self, wait=True, *, cancel_futures=False):
        with self._lock:
            never_started = self._manager is None and not self._shutdown
            self._shutdown = True
        if never_started:
            # the workers wait for a first message: let them go
            for w in self._root_workers:
                self._comm.send(("exit",), dest=w, tag=_core.TAG_TASKS)
            return
        super().shutdown(wait, cancel_futures=cancel_futures)

    def _make_transport(self):
        _check_threads(MPI)
        workers = self._root_workers

        def finish(transport, broken):
            for w in workers:
                try:
                    transport.comm.send(("exit",), dest=w, tag=_core.TAG_TASKS)
                except Exception:
                    pass
        return _core.MPITransport(self._comm, workers, on_close=finish), {}


class MPICommExecutor:
    """Context manager for an executor on an existing communicator: its
    ``root`` gets an executor whose workers are the other ranks, which
    serve until the root leaves the ``with`` block and then get None.

    ::

        with MPICommExecutor(MPI.COMM_WORLD, root=0) as executor:
            if executor is not None:
                results = list(executor.map(f, data))
    """

    def __init__(self, comm=None, root=0, **kwargs):
        if comm is None:
            comm = MPI.COMM_WORLD
        if comm.Is_inter():
            raise ValueError("expecting an intracommunicator")
        if root < 0 or root >= comm.Get_size():
            raise ValueError("expecting a root in range(comm.Get_size())")
        self._comm = comm
        self._root = root
        self._options = kwargs
        self._executor = None

    def __enter__(self):
        if self._executor is not None:
            raise RuntimeError("MPICommExecutor is not reentrant")
        comm, root = self._comm, self._root
        size = comm.Get_size()
        if size == 1:
            options = dict(self._options)
            options.setdefault("max_workers", 1)
            self._executor = ThreadPoolExecutor(**options)
            return self._executor
        dup = comm.Dup()
        rank = dup.Get_rank()
        workers_comm = dup.Split(0 if rank != root else MPI.UNDEFINED, rank)
        if rank == root:
            workers = [r for r in range(size) if r != root]
            self._dup = dup
            self._executor = _CommPoolExecutor(dup, root, workers, **self._options)
            return self._executor
        try:
            _core.serve(dup, root, workers_comm, once=True, apply_main=False)
        finally:
            workers_comm.Free()
            dup.Free()
        return None

    def __exit__(self, *args):
        executor = self._executor
        if executor is None:
            return False
        self._executor = None
        executor.shutdown(wait=True)
        dup = getattr(self, "_dup", None)
        if dup is not None:
            self._dup = None
            dup.Free()
        return False


def get_comm_workers():
    """In a worker: an intracommunicator of all the pool's workers."""
    comm = _core.get_comm_workers()
    if comm is None:
        return MPI.COMM_NULL
    return comm
