"""The machinery under cmpi.futures: a manager thread on the caller's side,
a serving loop on each worker, and the messages between them.

Wire protocol, on one communicator (an intracommunicator whose rank
``root`` is the caller, or the intercommunicator of a spawn):

root -> worker, tag TAG_TASKS
    ``(batch_id, tasks)``: a batch, ``tasks`` a list of
    ``(fn, args, kwargs_or_None)``; or a control tuple whose first item is
    a string: ``("init", pickled (initializer, initargs), options)``, ``("stop",)``
    (the executor is shut down; a static worker waits for the next one),
    ``("exit",)`` (leave the serving loop).
worker -> root, tag TAG_RESULTS
    ``(batch_id, results, errors, busy_seconds)``: ``results`` a list in
    task order, ``errors`` None or ``{index: (exception, traceback_text)}``;
    or ``("ready", pid, host, error)`` in answer to ``init``, or
    ``("lost", error)`` for a batch that did not unpickle.

Speed comes from few messages per task: a batch holds as many tasks as
fit in a few milliseconds of the worker's measured time per task (and
about 1 MiB of payload), each worker has up to DEPTH batches in flight, so it
finds its next batch waiting when it sends its results (which are also
its request for more), and idle workers are simply the ones whose slots
are free: uneven tasks balance by themselves.  The lowercase calls pickle
with protocol 5, so NumPy arrays travel out of band without copies.  All
sends are nonblocking (isend): a blocking send of a large message waits
for its receive, and two of them, root to worker and back, would wait for
each other.
"""

import collections
import itertools
import os
import pickle
import socket
import sys
import threading
import time
import traceback
from concurrent.futures import BrokenExecutor

TAG_TASKS = 1
TAG_RESULTS = 2

#: Batches in flight per worker: one running, one waiting behind it.
DEPTH = 2
#: A batch holds about this much work, by the worker's measured time of
#: the batch's function ...
BATCH_SECONDS = 0.004
#: ... and at most this many tasks and about this many payload bytes
#: (measured: 64 KiB tasks ran 3-4x faster in 1 MiB batches than in
#: 4 MiB ones, 1 MiB tasks 1.5x; 256 KiB batches were slower again).
BATCH_ITEMS = 512
BATCH_BYTES = 1 << 20
#: Longest sleep between two polls of an idle manager or worker.
BACKOFF = 0.001
#: Longest time an idle manager or worker polls without sleeping after
#: moving data (see spin_seconds).
SPIN_MAX = 0.005
#: ... sleeping this long between polls then (measured with 3 workers on
#: 2 cores: 50 us sleeps were slower than giving up the GIL only).
HOT_SLEEP = 0


def env_get(name, default=None):
    """``CMPI_FUTURES_<name>``, else mpi4py's ``MPI4PY_FUTURES_<name>``."""
    for prefix in ("CMPI_FUTURES_", "MPI4PY_FUTURES_"):
        value = os.environ.get(prefix + name)
        if value is not None and value.strip() != "":
            return value.strip()
    return default


def backoff_seconds():
    return float(env_get("BACKOFF", BACKOFF))


class RemoteTraceback(Exception):
    """The formatted traceback of an exception raised in a worker; set as
    the ``__cause__`` of the exception re-raised in the caller."""

    def __init__(self, tb):
        super().__init__(tb)
        self.tb = tb

    def __str__(self):
        return self.tb


def _where():
    mpi = sys.modules.get("cmpi.MPI")
    try:
        rank = mpi.COMM_WORLD.Get_rank() if mpi is not None else 0
    except Exception:
        rank = "?"
    return f"worker rank {rank}, pid {os.getpid()}, host {socket.gethostname()}"


def wrap_exception(exc):
    """(exception, text) to send back; the exception replaced by one that
    pickles when it does not."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next  # the pool's own frames
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    text = f'\n"""\nTraceback from {_where()}:\n{text}"""'
    try:
        pickle.loads(pickle.dumps(exc, pickle.HIGHEST_PROTOCOL))
    except Exception:
        exc = RuntimeError(f"{type(exc).__qualname__}: {exc} "
                           "(the worker's exception could not be pickled)")
    return exc, text


def unwrap_exception(pair):
    exc, text = pair
    exc.__cause__ = RemoteTraceback(text)
    return exc


# ------------------------------------------------------------------ worker


def spin_seconds(nbytes):
    """How long to keep polling without sleeping after moving ``nbytes``.

    A large message moves in pieces, and shared-memory transports need
    the sender to enter MPI for each: a process asleep in its backoff
    would hold the other side's receive up by a sleep per piece."""
    return min(SPIN_MAX, 1e-4 + nbytes / 2e8)


def value_nbytes(value):
    try:
        return memoryview(value).nbytes
    except TypeError:
        return 64


def recv_polling(comm, source, tag, backoff, spin=1e-4):
    """comm.recv(source, tag), waiting by probes: for ``spin`` seconds
    back to back (the GIL given up at each), then with a growing sleep,
    so an idle process leaves the CPU to the busy ones."""
    msg = comm.improbe(source, tag)
    if msg is None:
        delay = 0.0
        until = time.monotonic() + spin
        while msg is None:
            if delay == 0.0 and time.monotonic() < until:
                time.sleep(HOT_SLEEP)
            else:
                delay = min(2 * delay or 2e-5, backoff)
                time.sleep(delay)
            msg = comm.improbe(source, tag)
    return msg.recv()


def run_batch(tasks):
    results = []
    errors = None
    t0 = time.perf_counter()
    for i, (fn, args, kwargs) in enumerate(tasks):
        try:
            results.append(fn(*args, **kwargs) if kwargs else fn(*args))
        except BaseException as exc:  # the caller decides what is fatal
            results.append(None)
            if errors is None:
                errors = {}
            errors[i] = wrap_exception(exc)
    return results, errors, time.perf_counter() - t0


def send_results(comm, root, reply, pending):
    """Start sending a reply; its request joins ``pending``.  Never a
    blocking send: the root may be sending us the next batch meanwhile,
    and two blocking sends of large messages wait for each other."""
    try:
        pending.append(comm.isend(reply, dest=root, tag=TAG_RESULTS))
        return
    except Exception:
        pass
    # Some result does not pickle: send that one as the task's error.
    bid, results, errors, busy = reply
    errors = dict(errors or {})
    for i, value in enumerate(results):
        try:
            pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            results[i] = None
            errors[i] = wrap_exception(exc)
    pending.append(comm.isend((bid, results, errors, busy), dest=root, tag=TAG_RESULTS))


def reap(pending):
    """Drop the completed requests of ``pending``."""
    if pending:
        pending[:] = [req for req in pending if not req.Test()]


def import_main(spec):
    """Make the caller's ``__main__`` importable here, as ``__mp_main__``
    (its ``if __name__ == "__main__":`` part does not run), so functions
    pickled by reference to ``__main__`` are found."""
    if not spec:
        return
    import types

    kind, target = spec
    if kind == "path":
        mod = types.ModuleType("__mp_main__")
        mod.__file__ = target
        mod.__builtins__ = __builtins__
        sys.modules["__mp_main__"] = mod
        directory = os.path.dirname(os.path.abspath(target))
        if directory not in sys.path:
            sys.path.insert(0, directory)
        with open(target, "rb") as f:
            code = compile(f.read(), target, "exec")
        exec(code, mod.__dict__)
    else:
        import importlib

        if "" not in sys.path:
            sys.path.insert(0, "")
        mod = importlib.import_module(target)
        sys.modules["__mp_main__"] = mod
    sys.modules["__main__"] = mod


def main_spec():
    """How a worker finds this process's ``__main__`` (None: it cannot)."""
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    if name and name != "__main__" and name.split(".")[0] != "cmpi":
        return ("module", name[:-len(".__main__")] if name.endswith(".__main__") else name)
    path = getattr(main, "__file__", None)
    if path and os.path.exists(path) and not os.path.basename(path).startswith("<"):
        return ("path", os.path.abspath(path))
    return None


def apply_options(options):
    if options.get("env"):
        os.environ.update({str(k): str(v) for k, v in dict(options["env"]).items()})
    for entry in options.get("path") or ():
        if entry not in sys.path:
            sys.path.append(entry)
    if options.get("wdir"):
        os.chdir(options["wdir"])
    if options.get("main_spec"):
        import_main(options["main_spec"])
    if options.get("globals"):
        main = sys.modules["__main__"]
        for k, v in dict(options["globals"]).items():
            setattr(main, k, v)


_comm_workers = None


def get_comm_workers():
    return _comm_workers


def serve(comm, root, workers_comm=None, once=False, apply_main=True):
    """The worker's loop: run batches until told to exit.

    ``once``: return when the executor shuts down (``stop``) as well,
    as spawned workers and MPICommExecutor's do.  Returns True if told
    to exit."""
    global _comm_workers
    if workers_comm is not None:
        _comm_workers = workers_comm
    backoff = backoff_seconds()
    init_error = None
    main_done = not apply_main
    pending = []
    spin = 1e-4
    while True:
        try:
            msg = recv_polling(comm, root, TAG_TASKS, backoff, spin)
        except Exception as exc:
            # A batch that does not unpickle here (a function this process
            # cannot import): the root fails the oldest batch it sent us.
            reap(pending)
            pending.append(comm.isend(("lost", wrap_exception(exc)), dest=root,
                                      tag=TAG_RESULTS))
            continue
        kind = msg[0]
        if kind.__class__ is int:
            if init_error is not None:
                errors = {i: init_error for i in range(len(msg[1]))}
                reply = (kind, [None] * len(msg[1]), errors, 0.0)
            else:
                reply = (kind,) + run_batch(msg[1])
            reap(pending)
            send_results(comm, root, reply, pending)
            results = reply[1]
            spin = spin_seconds(value_nbytes(results[0]) * len(results) if results else 0)
        elif kind == "init":
            _, blob, options = msg
            init_error = None
            err = None
            try:
                if not main_done or options.get("env") or options.get("path"):
                    if main_done:
                        options = dict(options, main_spec=None)
                    apply_options(options)
                    main_done = True
                # unpickled only now: it may live in the program's __main__
                initializer, initargs = pickle.loads(blob)
                if initializer is not None:
                    initializer(*initargs)
            except BaseException as exc:
                err = init_error = wrap_exception(exc)
            pending.append(comm.isend(("ready", os.getpid(), socket.gethostname(), err),
                                      dest=root, tag=TAG_RESULTS))
        elif kind == "stop":
            init_error = None
            reap(pending)
            if once:
                return False
        elif kind == "exit":
            reap(pending)
            return True


# ------------------------------------------------------------------ caller


class Source:
    """Pending work of one submit or one map, handed out in slices."""

    __slots__ = ("fn", "items", "kwargs", "cursor", "owner", "lock", "star", "queued", "chunk")

    def __init__(self, owner, fn, items, kwargs=None, star=True, chunk=1):
        self.owner = owner
        self.chunk = max(1, int(chunk))
        self.fn = fn
        self.items = items      # list of argument tuples (star) or values
        self.kwargs = kwargs
        self.cursor = 0
        self.star = star
        self.lock = threading.Lock()
        self.queued = True

    def remaining(self):
        return len(self.items) - self.cursor

    def take(self, k):
        """(first index, tasks) for up to k tasks."""
        with self.lock:
            start = self.cursor
            stop = min(start + k, len(self.items))
            self.cursor = stop
            items = self.items[start:stop]
        fn, kwargs = self.fn, self.kwargs
        if self.star:
            return start, [(fn, a, kwargs) for a in items]
        return start, [(fn, (a,), kwargs) for a in items]


class FutureOwner:
    """The owner of one submit: its future."""

    __slots__ = ("future",)

    def __init__(self, future):
        self.future = future

    def cancelled(self):
        return self.future.cancelled()

    def begin(self):
        return self.future.set_running_or_notify_cancel()

    def deliver(self, start, results, errors, offset, count=1):
        if errors and offset in errors:
            self.future.set_exception(unwrap_exception(errors[offset]))
        else:
            self.future.set_result(results[offset])

    def fail(self, start, count, exc):
        try:
            self.future.set_exception(exc)
        except Exception:
            pass

    def forget(self):
        self.future.cancel()


class MapJob:
    """The owner of one map: results by index, for an iterator to yield."""

    def __init__(self, n, unordered, progress=None):
        self.cond = threading.Condition(threading.Lock())
        self.results = [None] * n
        self.have = bytearray(n)
        self.errors = {}
        self.ready = collections.deque()
        self.unordered = unordered
        self.done = 0
        self.total = n
        self.cancel_flag = False
        self.failure = None
        self.progress = progress
        self.on_complete = None

    def grow(self, k):
        with self.cond:
            self.results.extend([None] * k)
            self.have.extend(bytes(k))
            self.total += k

    def cancelled(self):
        return self.cancel_flag

    def begin(self):
        return not self.cancel_flag

    def deliver(self, start, results, errors, offset, count):
        with self.cond:
            self.results[start:start + count] = results[offset:offset + count]
            self.have[start:start + count] = b"\x01" * count
            if errors:
                for i, pair in errors.items():
                    if offset <= i < offset + count:
                        self.errors[start + i - offset] = pair
            if self.unordered:
                self.ready.extend(range(start, start + count))
            self.done += count
            self.cond.notify_all()
        if self.progress is not None:
            self.progress.update(count)
        if self.on_complete is not None and self.done >= self.total:
            self.on_complete(self)

    def fail(self, start, count, exc):
        with self.cond:
            if self.failure is None:
                self.failure = exc
            self.cond.notify_all()
        if self.progress is not None:
            self.progress.close()
        if self.on_complete is not None:
            self.on_complete(self)

    def forget(self):
        self.cancel_flag = True
        if self.progress is not None:
            self.progress.close()

    def wait_index(self, index, deadline):
        """Wait until result ``index`` (or any, for index None) is in."""
        with self.cond:
            while True:
                if index is None:
                    if self.ready:
                        return self.ready.popleft()
                elif self.have[index]:
                    return index
                if self.failure is not None:
                    raise self.failure
                if deadline is None:
                    self.cond.wait()
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError()
                    self.cond.wait(left)

    def take_result(self, index):
        pair = self.errors.pop(index, None)
        if pair is not None:
            raise unwrap_exception(pair)
        value = self.results[index]
        self.results[index] = None
        return value


def approx_nbytes(task):
    """Payload estimate of one task, from its buffers (cheap, rough)."""
    total = 64
    for a in task[1]:
        try:
            total += memoryview(a).nbytes
        except TypeError:
            total += 64
    return total


def _fn_key(fn):
    try:
        hash(fn)
        return fn
    except TypeError:
        return id(fn)


def _proc_alive(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        state = data[data.rindex(b")") + 2:data.rindex(b")") + 3]
        return state not in (b"Z", b"X")
    except FileNotFoundError:
        return False
    except Exception:
        return True


#: Batch ids, unique in the process: a late reply never matches the
#: batch of another pool using the same workers.
_batch_ids = itertools.count()

#: Managers whose thread runs: waited for at exit, before MPI finalizes.
running = set()


def shutdown_all():
    for manager in list(running):
        manager.stop()
        manager.join()


class Manager:
    """The caller's side of a pool: the queue of pending work and the
    thread that moves it to the workers and the results back.

    ``transport`` sends to and polls from the workers (MPI or threads)."""

    def __init__(self, transport, initializer=None, initargs=(), options=None):
        self.transport = transport
        self.workers = list(transport.workers)
        self.initializer = initializer
        self.initargs = tuple(initargs)
        self.options = options or {}
        self.queue = collections.deque()
        self.wake = threading.Event()
        self.ready = threading.Event()
        self.inflight = {}
        # batch ids sent to each worker, oldest first
        self.sent_to = {w: collections.deque() for w in self.workers}
        self.slots = collections.deque()
        # seconds per task, by function: how many tasks make a batch
        self.task_times = {}
        self.spin_until = 0.0
        self.shutting_down = False
        self.broken = None
        self.info = {}
        self.thread = None
        self.lock = threading.Lock()
        # the manager pops from the queue; so does a cancelling shutdown
        self.qlock = threading.RLock()
        self.finished = threading.Event()
        self.closed = False

    # -- called by the executor, in the caller's threads

    def start(self):
        with self.lock:
            if self.thread is None:
                running.add(self)
                self.thread = threading.Thread(target=self._run, name="cmpi.futures manager",
                                               daemon=True)
                self.thread.start()

    def put(self, source):
        with self.qlock:
            if self.broken is not None:
                raise BrokenExecutor(self.broken)
            if self.closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self.queue.append(source)
        self.wake.set()

    def requeue(self, source):
        with source.lock:
            if source.queued:
                return
            source.queued = True
        self.put(source)

    def stop(self, cancel=False):
        self.shutting_down = True
        if cancel:
            self.cancel_pending()
        self.wake.set()

    def cancel_pending(self):
        with self.qlock:
            self._cancel_pending()

    def _cancel_pending(self):
        while True:
            try:
                source = self.queue.popleft()
            except IndexError:
                break
            source.queued = False
            source.owner.forget()

    def join(self):
        if self.thread is not None and self.thread is not threading.current_thread():
            self.thread.join()

    # -- the manager thread

    def _run(self):
        try:
            self._bootup()
            self._loop()
        except BaseException as exc:  # never leave futures pending
            self._break(f"the pool's manager failed: {type(exc).__name__}: {exc}", exc)
        finally:
            try:
                self.transport.close(self.broken is not None)
            except Exception:
                pass
            self.ready.set()
            self.finished.set()
            running.discard(self)

    def _bootup(self):
        transport = self.transport
        options = self.options
        blob = transport.pack_init(self.initializer, self.initargs)
        for w in self.workers:
            transport.send(w, ("init", blob, options))
        waiting = set(self.workers)
        errors = []
        last_check = time.monotonic()
        backoff = backoff_seconds()
        delay = 0.0
        while waiting:
            got = transport.poll()
            if got is None:
                delay = min(2 * delay or 2e-5, backoff)
                self.wake.wait(delay)
                self.wake.clear()
                now = time.monotonic()
                if now - last_check > 0.2:
                    last_check = now
                    transport.check_alive(waiting)
                continue
            w, reply = got
            _, pid, host, err = reply
            self.info[w] = (pid, host)
            waiting.discard(w)
            if err is not None:
                errors.append((w, err))
        if errors:
            w, err = errors[0]
            exc = unwrap_exception(err)
            self._break(f"initializer failed in worker {w}: {type(exc).__name__}: {exc}", exc)
            return
        for _ in range(DEPTH):
            self.slots.extend(self.workers)
        self.ready.set()

    def _loop(self):
        transport = self.transport
        backoff = backoff_seconds()
        delay = 0.0
        last_check = time.monotonic()
        while self.broken is None:
            got = transport.poll()
            busy = False
            while got is not None:
                self._handle(*got)
                busy = True
                got = transport.poll()
            if self.queue and self.slots:
                with self.qlock:
                    busy = self._dispatch() or busy
            if busy:
                delay = 0.0
                continue
            if self.shutting_down and not self.inflight:
                with self.qlock:
                    if not self._has_pending():
                        self.closed = True
                        return
            if delay < 4e-5:
                # a short spin, the GIL given up at each step
                delay += 2e-6
                time.sleep(0)
                continue
            if time.monotonic() < self.spin_until:
                time.sleep(HOT_SLEEP)
                continue
            delay = min(2 * delay, backoff)
            if self.wake.wait(delay):
                self.wake.clear()
                delay = 0.0
            now = time.monotonic()
            if self.inflight and now - last_check > 0.25:
                last_check = now
                busy_workers = {entry[0] for entry in self.inflight.values()}
                transport.check_alive(busy_workers)

    def _has_pending(self):
        while self.queue:
            source = self.queue[0]
            if source.remaining() > 0:
                if not source.owner.cancelled():
                    return True
                self._discard_head()
            else:
                self._drop_head()
        return False

    def _discard_head(self):
        """Drop the first source, cancelled: none of its items will run."""
        source = self.queue.popleft()
        with source.lock:
            source.queued = False
            source.cursor = len(source.items)

    def _drop_head(self):
        source = self.queue.popleft()
        with source.lock:
            source.queued = False
            again = source.remaining() > 0
        if again:  # a lazy map grew meanwhile
            self.requeue(source)

    def _batch_size(self, key, per_item_bytes):
        per_task = self.task_times.get(key)
        if per_task is None:
            k = 1  # a new function: measure before batching
        else:
            k = int(BATCH_SECONDS / max(per_task, 1e-7))
        k = min(k, BATCH_ITEMS, max(1, BATCH_BYTES // max(per_item_bytes, 1)))
        return max(k, 1)

    def _dispatch(self):
        sent = False
        queue = self.queue
        while self.slots and queue:
            segments = []
            tasks = []
            budget = None
            fn = key = None
            nbytes = 0
            while queue:
                source = queue[0]
                left = source.remaining()
                if left <= 0:
                    self._drop_head()
                    continue
                if budget is not None and source.fn is not fn:
                    break
                if not source.owner.begin():
                    self._discard_head()
                    continue
                if budget is None:
                    # later sources of the same function fill what the
                    # first leaves of the batch
                    fn = source.fn
                    key = _fn_key(fn)
                    probe = source.items[source.cursor]
                    nbytes = approx_nbytes((None, probe if source.star else (probe,)))
                    budget = self._batch_size(key, nbytes)
                    share = (left + len(queue) - 1) // (2 * len(self.workers))
                    chunk = source.chunk
                    budget = max(1, min(budget, max(share, chunk)))
                    if chunk > 1:
                        budget = max(chunk, budget - budget % chunk)
                k = min(budget - len(tasks), left)
                start, part = source.take(k)
                segments.append((source.owner, start, len(part)))
                tasks.extend(part)
                if len(tasks) >= budget:
                    break
            if not tasks:
                break
            w = self.slots.popleft()
            bid = next(_batch_ids)
            try:
                self.transport.send(w, (bid, tasks))
            except Exception as exc:
                if isinstance(exc, (pickle.PicklingError, TypeError, AttributeError)) or "pickle" in str(exc):
                    self.slots.appendleft(w)
                    self._send_singly(segments, tasks)
                    continue
                for owner, start, count in segments:
                    owner.fail(start, count, exc)
                raise
            self.inflight[bid] = (w, segments, key)
            self.sent_to[w].append(bid)
            sent = True
            if nbytes > 4096:
                self.spin_until = max(self.spin_until,
                                      time.monotonic() + spin_seconds(nbytes * len(tasks)))
        return sent

    def _send_singly(self, segments, tasks):
        """A batch did not pickle: fail the tasks that do not, resend the rest."""
        i = 0
        for owner, start, count in segments:
            for j in range(count):
                task = tasks[i]
                i += 1
                try:
                    pickle.dumps(task, pickle.HIGHEST_PROTOCOL)
                except Exception as exc:
                    owner.deliver(start + j, [None], {0: (exc, "(the task could not be pickled)")}, 0, 1)
                    continue
                w = self.slots.popleft() if self.slots else self.workers[0]
                bid = next(_batch_ids)
                self.transport.send(w, (bid, [task]))
                self.inflight[bid] = (w, [(owner, start + j, 1)], None)
                self.sent_to[w].append(bid)

    def _handle(self, w, reply):
        bid = reply[0]
        if bid.__class__ is not int:
            if bid == "lost":
                self._lost(w, reply[1])
            return
        _, results, errors, busy = reply
        entry = self.inflight.pop(bid, None)
        if entry is None:  # a reply to a pool that broke before
            return
        self.sent_to[w].remove(bid)
        self.slots.append(w)
        n = len(results)
        if n:
            nbytes = value_nbytes(results[0])
            if nbytes > 4096:
                self.spin_until = max(self.spin_until,
                                      time.monotonic() + spin_seconds(nbytes * n))
        key = entry[2]
        if n and key is not None:
            per = busy / n
            old = self.task_times.get(key)
            self.task_times[key] = per if old is None else 0.5 * (old + per)
        offset = 0
        for owner, start, count in entry[1]:
            if not owner.cancelled():
                owner.deliver(start, results, errors, offset, count)
            offset += count

    def _lost(self, w, pair):
        """Worker ``w`` could not unpickle a batch: MPI keeps the order of
        messages, so it is the oldest one we sent it still unanswered."""
        if not self.sent_to[w]:
            return
        bid = self.sent_to[w].popleft()
        entry = self.inflight.pop(bid, None)
        self.slots.append(w)
        if entry is None:
            return
        for owner, start, count in entry[1]:
            errors = {i: pair for i in range(count)}
            owner.deliver(start, [None] * count, errors, 0, count)

    def _break(self, message, cause=None):
        if self.broken is not None:
            return
        self.broken = message
        exc = BrokenExecutor(message)
        if cause is not None:
            exc.__cause__ = cause
        for entry in self.inflight.values():
            for owner, start, count in entry[1]:
                owner.fail(start, count, exc)
        self.inflight.clear()
        with self.qlock:
            while self.queue:
                source = self.queue.popleft()
                source.queued = False
                source.owner.fail(0, 0, exc)
        self.ready.set()

    def worker_died(self, w, how):
        held = sum(c for entry in self.inflight.values() if entry[0] == w
                   for (_, _, c) in entry[1])
        pid, host = self.info.get(w, ("?", "?"))
        self._break(f"worker {w} (pid {pid} on {host}) {how} while holding {held} task(s); "
                    "the pool is shut down")


class MPITransport:
    """Workers reached through lowercase point-to-point on ``comm``."""

    def __init__(self, comm, workers, on_close=None):
        from cmpi import MPI

        self.MPI = MPI
        self.comm = comm
        self.workers = list(workers)
        self.status = MPI.Status()
        self.on_close = on_close
        self.manager = None
        self.local_host = socket.gethostname()
        self.pending = []

    def pack_init(self, initializer, initargs):
        # unpickled by the worker after it has imported the program's
        # __main__, where the initializer may live
        return pickle.dumps((initializer, initargs), pickle.HIGHEST_PROTOCOL)

    def send(self, w, obj):
        # never a blocking send: a worker busy with a long task would hold
        # up the whole pool until it posts its receive
        req = self.comm.isend(obj, dest=w, tag=TAG_TASKS)
        if not req.Test():
            self.pending.append(req)

    def poll(self):
        if self.pending:
            reap(self.pending)
        msg = self.comm.improbe(self.MPI.ANY_SOURCE, TAG_RESULTS, self.status)
        if msg is None:
            return None
        source = self.status.Get_source()
        return source, msg.recv()

    def check_alive(self, workers):
        m = self.manager
        for w in workers:
            pid, host = m.info.get(w, (None, None)) if m else (None, None)
            if pid is None or host != self.local_host:
                continue
            if not _proc_alive(pid):
                m.worker_died(w, "died")
                return

    def close(self, broken):
        if self.on_close is not None:
            self.on_close(self, broken)


class ThreadTransport:
    """Workers that are threads of this process (ThreadPoolExecutor)."""

    def __init__(self, n):
        import queue

        self.workers = list(range(n))
        self.inboxes = [queue.SimpleQueue() for _ in self.workers]
        self.outbox = queue.SimpleQueue()
        self.manager = None
        self.threads = [threading.Thread(target=self._work, args=(w,), daemon=True,
                                         name=f"cmpi.futures worker {w}")
                        for w in self.workers]
        for t in self.threads:
            t.start()

    def _work(self, w):
        inbox = self.inboxes[w]
        init_error = None
        while True:
            msg = inbox.get()
            kind = msg[0]
            if kind.__class__ is int:
                if init_error is not None:
                    reply = (kind, [None] * len(msg[1]),
                             {i: init_error for i in range(len(msg[1]))}, 0.0)
                else:
                    reply = (kind,) + run_batch(msg[1])
            elif kind == "init":
                err = None
                try:
                    initializer, initargs = msg[1]
                    if initializer is not None:
                        initializer(*initargs)
                except BaseException as exc:
                    err = init_error = wrap_exception(exc)
                reply = ("ready", os.getpid(), socket.gethostname(), err)
            else:
                return
            self.outbox.put((w, reply))
            if self.manager is not None:
                self.manager.wake.set()

    def pack_init(self, initializer, initargs):
        return (initializer, initargs)

    def send(self, w, obj):
        self.inboxes[w].put(obj)

    def poll(self):
        try:
            return self.outbox.get_nowait()
        except Exception:
            return None

    def check_alive(self, workers):
        pass

    def close(self, broken):
        for box in self.inboxes:
            box.put(("exit",))
