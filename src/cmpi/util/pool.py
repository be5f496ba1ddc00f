"""``multiprocessing.Pool``'s interface on top of cmpi.futures.

``Pool(processes)`` runs its tasks on an MPIPoolExecutor (static workers
under ``python -m cmpi.futures``, else spawned ones); ``ThreadPool`` on
threads of this process.  Extra keyword arguments go to the executor.
"""

import threading
import warnings
import weakref

from .. import futures

__all__ = ["Pool", "ThreadPool", "AsyncResult", "ApplyResult", "MapResult"]


class Pool:
    """A pool of MPI worker processes with multiprocessing.Pool's methods."""

    Executor = futures.MPIPoolExecutor

    def __init__(self, processes=None, initializer=None, initargs=(), **kwargs):
        for name in ("maxtasksperchild", "context"):
            if kwargs.pop(name, None) is not None:
                warnings.warn(f"argument {name!r} is not supported", UserWarning, stacklevel=2)
        self.executor = self.Executor(processes, initializer=initializer,
                                      initargs=initargs, **kwargs)
        self._state = "run"
        self._pending = weakref.WeakSet()  # results terminate() gives up on

    def _track(self, result):
        self._pending.add(result)
        return result

    def _check(self):
        if self._state != "run":
            raise ValueError("Pool not running")

    def apply(self, func, args=(), kwds={}):
        """``func(*args, **kwds)`` on a worker; waits for the result."""
        return self.apply_async(func, args, kwds).get()

    def apply_async(self, func, args=(), kwds={}, callback=None, error_callback=None):
        """Like apply, returning an ApplyResult at once."""
        self._check()
        future = self.executor.submit(func, *args, **kwds)
        return self._track(ApplyResult(future, callback, error_callback))

    def map(self, func, iterable, chunksize=None):
        """``[func(x) for x in iterable]``, computed by the workers."""
        return self.map_async(func, iterable, chunksize).get()

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        """Like map, returning a MapResult at once."""
        self._check()
        future = self.executor._map_all(func, ((x,) for x in iterable), chunksize or 1)
        return self._track(MapResult(future, callback, error_callback))

    def imap(self, func, iterable, chunksize=1):
        """Like map, as an iterator over the results in order."""
        self._check()
        return self.executor.map(func, iterable, chunksize=chunksize)

    def imap_unordered(self, func, iterable, chunksize=1):
        """Like imap, results in the order they complete."""
        self._check()
        return self.executor.map(func, iterable, chunksize=chunksize, unordered=True)

    def starmap(self, func, iterable, chunksize=None):
        """``[func(*args) for args in iterable]``, computed by the workers."""
        return self.starmap_async(func, iterable, chunksize).get()

    def starmap_async(self, func, iterable, chunksize=None, callback=None, error_callback=None):
        """Like starmap, returning a MapResult at once."""
        self._check()
        future = self.executor._map_all(func, iterable, chunksize or 1)
        return self._track(MapResult(future, callback, error_callback))

    def istarmap(self, func, iterable, chunksize=1):
        """Like starmap, as an iterator over the results in order."""
        self._check()
        return self.executor.starmap(func, iterable, chunksize=chunksize)

    def istarmap_unordered(self, func, iterable, chunksize=1):
        """Like istarmap, results in the order they complete."""
        self._check()
        return self.executor.starmap(func, iterable, chunksize=chunksize, unordered=True)

    def close(self):
        """Take no more tasks; the workers stop once the queued ones are done."""
        if self._state == "run":
            self._state = "close"
            self.executor.shutdown(wait=False)

    def terminate(self):
        """Stop at once: queued tasks are cancelled."""
        self._state = "terminate"
        self.executor.shutdown(wait=False, cancel_futures=True)
        for result in list(self._pending):
            result._terminate()

    def join(self):
        """Wait for the workers to stop (after close or terminate)."""
        if self._state == "run":
            raise ValueError("Pool is still running")
        self.executor.shutdown(wait=True)

    def __enter__(self):
        self._check()
        return self

    def __exit__(self, *args):
        self.terminate()
        self.join()


class ThreadPool(Pool):
    """Pool whose workers are threads of this process."""

    Executor = futures.ThreadPoolExecutor


class AsyncResult:
    """The pending result of an *_async call.

    A result the pool's ``terminate()`` gave up on (its task cancelled or
    never finished) is ready and not successful, and ``get()`` raises
    TimeoutError, as with multiprocessing.
    """

    def __init__(self, future, callback=None, error_callback=None):
        self.future = future
        self._event = threading.Event()
        self._terminated = False

        def done(f):
            self._event.set()
            if f.cancelled():
                return
            exc = f.exception()
            if exc is None:
                if callback is not None:
                    callback(f.result())
            elif error_callback is not None:
                error_callback(exc)

        future.add_done_callback(done)

    def _terminate(self):
        if not self.future.done():
            self._terminated = True
        self._event.set()

    def _given_up(self):
        return self._terminated or self.future.cancelled()

    def get(self, timeout=None):
        """The result, once ready (TimeoutError after ``timeout`` seconds,
        or at once if the pool was terminated before the call completed)."""
        self.wait(timeout)
        if not self._event.is_set() or self._given_up():
            raise TimeoutError
        return self.future.result()

    def wait(self, timeout=None):
        """Wait at most ``timeout`` seconds for the result."""
        self._event.wait(timeout)

    def ready(self):
        """Whether the call has completed (or the pool was terminated)."""
        return self._event.is_set()

    def successful(self):
        """Whether the call completed without an exception (ValueError if
        it has not completed yet)."""
        if not self._event.is_set():
            raise ValueError(f"{self!r} not ready")
        if self._given_up():
            return False
        return self.future.exception() is None


class ApplyResult(AsyncResult):
    """AsyncResult of apply_async."""


class MapResult(AsyncResult):
    """AsyncResult of map_async and starmap_async."""
