"""Helpers for the fault tests: start a job in the background, wait until
its ranks are running, inject a fault, and time how long the launcher takes
to exit.  Every wait is bounded; whatever a test started is killed by PID
at the end.
"""

import fcntl
import os
import pty
import re
import signal
import subprocess
import tempfile
import termios
import time

import launchutil as lu

#: Measured times to exit, "test: seconds", appended when CMPI_FAULT_TIMES
#: names a file (tests/run_suite.py prints nothing of it; the report does).
TIMES_FILE = os.environ.get("CMPI_FAULT_TIMES")


def record(name, seconds):
    print(f"time to exit: {name}: {seconds:.2f} s")
    if TIMES_FILE:
        with open(TIMES_FILE, "a") as f:
            f.write(f"{lu.launcher.flavor()} {name} {seconds:.2f}\n")


class BackgroundJob:
    """A launcher started with its output in files (so that nothing blocks
    on a full pipe while the test waits for the job)."""

    def __init__(self, cmd, env=None, tty=False):
        """``tty``: the job runs on a pseudo-terminal of its own (stdin), as
        the foreground process group of a new session, so that a Ctrl-C
        typed there (``os.write(job.tty, b"\\x03")``) reaches it the way a
        terminal's does."""
        self.cmd = cmd
        self.tty = None
        self._dir = tempfile.TemporaryDirectory(prefix="cmpi-fault-")
        self.out_path = os.path.join(self._dir.name, "out")
        self.err_path = os.path.join(self._dir.name, "err")
        self._out = open(self.out_path, "w")
        self._err = open(self.err_path, "w")
        stdin, preexec = subprocess.DEVNULL, None
        if tty:
            self.tty, stdin = pty.openpty()

            def preexec():  # the pty becomes the new session's terminal
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        try:
            self.proc = subprocess.Popen(
                cmd, stdout=self._out, stderr=self._err, stdin=stdin,
                env=lu.job_env() if env is None else env, start_new_session=True,
                preexec_fn=preexec)
        finally:
            if tty:
                os.close(stdin)
        self.started = time.monotonic()

    def output(self):
        with open(self.out_path, errors="replace") as f:
            out = f.read()
        with open(self.err_path, errors="replace") as f:
            err = f.read()
        return out, err

    def wait_for(self, pattern, count=1, timeout=60):
        """Wait until ``pattern`` occurs ``count`` times in stdout; returns
        the matches (a failing assertion if the job ended or took too long)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.findall(pattern, self.output()[0])
            if len(found) >= count:
                return found
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"job did not print {pattern!r} x{count} in {timeout} s\n{self}")

    def wait_exit(self, timeout):
        """Seconds until the launcher exited, or None if it did not within
        ``timeout`` (then it is killed)."""
        start = time.monotonic()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic() - start

    def kill(self, pids=()):
        """Kill the launcher's session, its descendants and ``pids``."""
        if self.proc.poll() is None:
            lu._kill_tree(self.proc)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self._out.close()
        self._err.close()
        if self.tty is not None:
            os.close(self.tty)
            self.tty = None

    def __str__(self):
        out, err = self.output()
        return (f"$ {' '.join(self.cmd)}\nexit status {self.proc.poll()}\n"
                f"--- stdout ---\n{out}\n--- stderr ---\n{err}")

    __repr__ = __str__


def alive(pid):
    """Is ``pid`` a live process (not a zombie)?"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, timeout=5):
    """PIDs still alive after up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [p for p in pids if alive(p)]
        if not left:
            return []
        time.sleep(0.05)
    return [p for p in pids if alive(p)]
