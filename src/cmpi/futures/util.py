"""Combinators on futures: collect many into one, compose with hooks."""

import threading
from concurrent.futures import Future, InvalidStateError

__all__ = ["collect", "compose"]


def _settle(new, fn, *args):
    try:
        value = fn(*args)
    except BaseException as exc:
        new.set_exception(exc)
    else:
        new.set_result(value)


def compose(future, resulthook=None, excepthook=None):
    """A new future for ``future``'s outcome passed through hooks.

    On success its result is ``resulthook(result)`` (or the result); on
    failure, ``excepthook(exception)``: an exception it returns is the new
    future's exception, any other value its result.  Cancelling the new
    future cancels ``future``.
    """
    new = Future()

    def done(f):
        try:
            outcome(f)
        except InvalidStateError:  # the new future was cancelled meanwhile
            pass

    def outcome(f):
        if new.done():
            return
        if f.cancelled():
            new.cancel()
            return
        exc = f.exception()
        if exc is None:
            if resulthook is None:
                new.set_result(f.result())
            else:
                _settle(new, resulthook, f.result())
        elif excepthook is None:
            new.set_exception(exc)
        else:
            try:
                value = excepthook(exc)
            except BaseException as err:
                new.set_exception(err)
                return
            if isinstance(value, BaseException):
                new.set_exception(value)
            else:
                new.set_result(value)

    def cancelled(f):
        if f.cancelled():
            future.cancel()

    new.add_done_callback(cancelled)
    future.add_done_callback(done)
    return new


def collect(fs):
    """A new future whose result is the list of the results of ``fs``,
    in order; it fails with the first exception among them, and
    cancelling it cancels them."""
    fs = list(fs)
    new = Future()
    if not fs:
        new.set_result([])
        return new
    lock = threading.Lock()
    left = [len(fs)]

    def done(f):
        if new.done():
            return
        if f.cancelled():
            new.cancel()
            return
        exc = f.exception()
        if exc is not None:
            with lock:
                if not new.done():
                    try:
                        new.set_exception(exc)
                    except InvalidStateError:
                        pass
            return
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if last and not new.done():
            try:
                new.set_result([g.result() for g in fs])
            except InvalidStateError:
                pass

    def cancelled(f):
        if f.cancelled():
            for g in fs:
                g.cancel()

    new.add_done_callback(cancelled)
    for f in fs:
        f.add_done_callback(done)
    return new
