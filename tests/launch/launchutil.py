"""Helpers for tests/launch: start MPI jobs as subprocesses, never hang.

These tests run under plain pytest (not under mpiexec); every test starts
its own ``mpiexec`` (or a bare singleton interpreter) with a timeout.

By default jobs run under cmpi's runner, ``<python> -m cmpi``, where
``<python>`` is ``launcher.python()`` (the venv of the MPI flavour under
test).  ``CMPI_TEST_RUNNER`` overrides the runner command, e.g.
``CMPI_TEST_RUNNER="python -m mpi4py"`` to check the tests themselves
against a reference mpi4py; a leading word ``python`` is replaced by
``launcher.python()``.  Checks that only make sense for cmpi (the
``[rank N] `` prefix, ``MPI is cmpi.MPI``...) are skipped in that mode.
"""

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
SEEDS = ROOT / "examples" / "seeds"

if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

import launcher  # noqa: E402  (tests/launcher.py)

DEFAULT_TIMEOUT = 120

#: True when the tests run against a runner other than cmpi's own.
REFERENCE = bool(os.environ.get("CMPI_TEST_RUNNER", "").strip())


#: The trainings' data (examples/string_matching), beside the checkout.
DATA_FILES = ("left_data.tsv", "right_data.tsv")
SHARED_DATA = ROOT.parent / "shared" / "data"


def trainings_data():
    """The folder of the trainings' data: the one ``STRMATCH_DATA`` names,
    else ``../shared/data`` beside the checkout (the test environment has
    it).  Skips the test only when neither is there at all (a user's machine
    without the shared tree); a folder that is named or present but lacks a
    file fails it, so that a wrong path cannot pass as "no data"."""
    import pytest

    named = os.environ.get("STRMATCH_DATA")
    if named:
        folder, source = Path(named), "STRMATCH_DATA"
    elif SHARED_DATA.is_dir():
        folder, source = SHARED_DATA, "the shared tree"
    else:
        pytest.skip(f"the trainings' data is not on this machine (no STRMATCH_DATA, no {SHARED_DATA})")
    missing = [name for name in DATA_FILES if not (folder / name).is_file()]
    if missing:
        pytest.fail(f"the trainings' data is not where {source} says: {folder} lacks {', '.join(missing)}")
    return str(folder)


def python():
    """Plain interpreter of the flavour under test."""
    return launcher.python()


def runner():
    """Command prefix that runs a Python program the mpi4py way."""
    spec = os.environ.get("CMPI_TEST_RUNNER", "").strip()
    if not spec:
        return [python(), "-m", "cmpi"]
    words = shlex.split(spec)
    if words[0] == "python":
        words[0] = python()
    return words


def job_env(extra=None):
    env = launcher.mpi_env()
    if extra:
        env.update(extra)
    return env


def flat(text):
    """Output with line breaks removed.

    Ranks print concurrently; with PYTHONUNBUFFERED=1 ``print`` writes the
    text and the newline separately, so one rank's line may be split by
    another's (and ``print(a, b)`` writes ``a``, `` `` and ``b`` separately:
    test programs print single f-strings).  Each text written arrives in
    one piece, so an expected text is looked for in the output with
    newlines removed.
    """
    return text.replace("\r", "").replace("\n", "")


class Job:
    def __init__(self, cmd, returncode, stdout, stderr, elapsed, timed_out):
        self.cmd = cmd
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.timed_out = timed_out
        self.out = flat(stdout)
        self.err = flat(stderr)

    def __str__(self):
        return (f"$ {shlex.join(self.cmd)}\n"
                f"exit status {self.returncode}"
                f"{' (TIMED OUT)' if self.timed_out else ''}"
                f" after {self.elapsed:.1f} s\n"
                f"--- stdout ---\n{self.stdout}\n--- stderr ---\n{self.stderr}")

    __repr__ = __str__

    def check_ok(self):
        assert not self.timed_out, f"job timed out\n{self}"
        assert self.returncode == 0, f"job failed\n{self}"


def _descendants(pid):
    """PIDs of all live descendants of ``pid`` (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _signal_all(proc, pids, sig):
    try:
        os.killpg(proc.pid, sig)
    except OSError:
        pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def _kill_tree(proc):
    """Stop a job we started: TERM its group and descendants, then KILL."""
    pids = set(_descendants(proc.pid))
    _signal_all(proc, pids, signal.SIGTERM)
    try:
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        pass
    if proc.poll() is None:
        pids.update(_descendants(proc.pid))
    _signal_all(proc, pids, signal.SIGKILL)


def run(cmd, *, timeout=DEFAULT_TIMEOUT, env=None, cwd=None):
    """Run ``cmd`` with a timeout; on timeout kill it and all it started."""
    env = job_env() if env is None else env
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                            text=True, errors="replace", start_new_session=True)
    timed_out = False
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_tree(proc)
        stdout, stderr = proc.communicate()
    elapsed = time.monotonic() - start
    return Job(cmd, proc.returncode, stdout, stderr, elapsed, timed_out)


def mpirun(n, args, **kw):
    """``mpiexec -n n <runner> args...``; ``n=None``: no mpiexec (singleton)."""
    prefix = [] if n is None else launcher.mpiexec(n)
    return run(prefix + runner() + list(args), **kw)


def mpirun_plain(n, args, **kw):
    """Like :func:`mpirun` but with the plain interpreter (no runner)."""
    prefix = [] if n is None else launcher.mpiexec(n)
    return run(prefix + [python()] + list(args), **kw)
