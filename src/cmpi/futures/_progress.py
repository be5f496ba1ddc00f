"""Progress display for map: tqdm on a terminal when it is installed, a
plain one-line display on a terminal otherwise, and a line every
CMPI_PROGRESS_INTERVAL seconds (default 10) when there is no terminal
(batch jobs).

``progress=True`` or ``CMPI_PROGRESS=1`` turns it on; ``CMPI_PROGRESS=bar``
or ``=lines`` forces a form, ``=plain`` or ``=tqdm`` the bar's kind.  Under
mpiexec a rank's stderr is a pipe to the launcher even when the job runs on
a terminal; the display then goes to the session's terminal (/dev/tty) if
the rank has one (Open MPI), else lines (MPICH's launcher, which forwards
whole lines).
Updates come from the pool's manager thread and are rate-limited, so a
display costs nothing per task.
"""

import os
import sys
import threading
import time


def _choice(progress):
    if progress is None:
        value = os.environ.get("CMPI_PROGRESS", "").strip().lower()
        if value in ("", "0", "false", "no", "off"):
            return None
        return value if value in _KINDS else "auto"
    if progress is False:
        return None
    if isinstance(progress, str) and progress.lower() in _KINDS:
        return progress.lower()
    # progress=True: the environment may still pick the form
    value = os.environ.get("CMPI_PROGRESS", "").strip().lower()
    return value if value in _KINDS else "auto"


_KINDS = ("auto", "bar", "lines", "plain", "tqdm")


def _open_terminal():
    """The session's terminal, when stderr is not one: ranks started by
    mpiexec write to a pipe to the launcher even when a person watches
    the job on a terminal (Open MPI's ranks keep that terminal)."""
    try:
        return open("/dev/tty", "w")
    except OSError:
        return None


def _interval():
    try:
        return float(os.environ.get("CMPI_PROGRESS_INTERVAL", "10"))
    except ValueError:
        return 10.0


def _isatty(stream):
    try:
        return stream.isatty()
    except Exception:
        return False


def make_progress(progress, total, desc="tasks"):
    """A display for ``total`` tasks (None: unknown), or None.

    ``progress`` (or CMPI_PROGRESS): True/"auto" picks the form, "bar"
    forces a one-line bar on stderr, "lines" periodic lines, "plain" and
    "tqdm" the bar's implementation."""
    kind = _choice(progress)
    if kind is None:
        return None
    stream = sys.stderr
    if kind == "lines":
        return _Plain(total, stream, False, _interval())
    tty = _isatty(stream)
    if not tty and kind != "bar":
        terminal = _open_terminal()
        if terminal is not None:
            stream, tty = terminal, True
    if kind == "bar":
        tty = True
    if not tty:
        return _Plain(total, stream, False, _interval())
    if kind != "plain":
        try:
            import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            return _Tqdm(tqdm, total, stream)
    return _Plain(total, stream, True, 0.1)


def _hms(seconds):
    seconds = int(seconds + 0.5)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class _Plain:
    def __init__(self, total, stream, tty, interval):
        self.total = total
        self.stream = stream
        self.tty = tty
        self.interval = interval
        self.done = 0
        self.t0 = time.monotonic()
        self.last = self.t0
        self.closed = False
        self.width = 0
        self.lock = threading.Lock()
        if tty:
            self._render(self.t0)

    def _line(self, now):
        elapsed = now - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total:
            pct = 100.0 * self.done / self.total
            left = (self.total - self.done) / rate if rate > 0 else None
            eta = _hms(left) if left is not None else "?"
            return (f"progress: {self.done}/{self.total} tasks ({pct:3.0f}%), "
                    f"{rate:.1f} tasks/s, elapsed {_hms(elapsed)}, left {eta}")
        return f"progress: {self.done} tasks, {rate:.1f} tasks/s, elapsed {_hms(elapsed)}"

    def _render(self, now, final=False):
        self.last = now
        text = self._line(now)
        try:
            if self.tty:
                pad = max(self.width - len(text), 0)
                self.width = len(text)
                self.stream.write("\r" + text + " " * pad + ("\n" if final else ""))
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
        except Exception:
            pass

    def update(self, n):
        with self.lock:
            if self.closed:
                return
            self.done += n
            now = time.monotonic()
            if self.total is not None and self.done >= self.total:
                self.closed = True
                self._render(now, final=True)
            elif now - self.last >= self.interval:
                self._render(now)

    def close(self):
        with self.lock:
            if not self.closed:
                self.closed = True
                self._render(time.monotonic(), final=True)


class _Tqdm:
    def __init__(self, tqdm, total, stream):
        try:
            width = os.get_terminal_size(stream.fileno()).columns
        except Exception:
            width = 0
        # a terminal that reports no size would get a bar of width 0
        sizing = {"dynamic_ncols": True} if width > 0 else {"ncols": 80}
        self.bar = tqdm.tqdm(total=total, unit="task", file=stream, **sizing)
        self.pending = 0
        self.last = time.monotonic()
        self.closed = False
        self.lock = threading.Lock()

    def update(self, n):
        with self.lock:
            if self.closed:
                return
            self.pending += n
            now = time.monotonic()
            if now - self.last >= 0.1 or (self.bar.total is not None and
                                           self.bar.n + self.pending >= self.bar.total):
                self.bar.update(self.pending)
                self.pending = 0
                self.last = now
                if self.bar.total is not None and self.bar.n >= self.bar.total:
                    self.closed = True
                    self.bar.close()

    def close(self):
        with self.lock:
            if not self.closed:
                self.closed = True
                if self.pending:
                    self.bar.update(self.pending)
                self.bar.close()
