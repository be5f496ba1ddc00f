"""cmpi.futures: task pools, as jobs started here (static workers under
``python -m cmpi.futures``, MPICommExecutor under ``python -m cmpi``,
spawned workers where the build has Spawn).

Each job prints ``CHECK <name> <ok|detail>`` lines; a test asserts on them,
so a failing check names itself.  Every job has a timeout.
"""

import os
import re
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

FLAVOR = lu.launcher.flavor()
TIMEOUT = 90

cmpi_only = pytest.mark.skipif(
    lu.REFERENCE, reason="CMPI_TEST_RUNNER set: checks specific to cmpi")


def write(path, code):
    path.write_text(textwrap.dedent(code))
    return path


def futures_job(n, args, env=None, timeout=TIMEOUT, **kw):
    """``mpiexec -n n python -m cmpi.futures args...``"""
    prefix = [] if n is None else lu.launcher.mpiexec(n)
    return lu.run(prefix + [lu.python(), "-m", "cmpi.futures"] + list(args),
                  env=lu.job_env(env), timeout=timeout, **kw)


def checks(job):
    """{name: detail} of the job's ``CHECK`` lines."""
    found = {}
    # ranks' lines may interleave (print writes the newline separately)
    for piece in job.stdout.split("CHECK ")[1:]:
        name, _, rest = piece.partition(" ")
        found[name] = rest.split("\n")[0].strip()
    return found


def assert_checks(job, names):
    job.check_ok()
    found = checks(job)
    for name in names:
        assert found.get(name) == "ok", f"check {name}: {found.get(name)!r}\n{job}"


# -- static workers: the executor's behaviour ---------------------------------

STATIC = """\
    import os, sys, time
    from mpi4py import MPI
    from mpi4py.futures import (MPIPoolExecutor, as_completed, wait, FIRST_COMPLETED,
                                ALL_COMPLETED, CancelledError, get_comm_workers)

    def check(name, cond, detail=""):
        print(f"CHECK {name} {'ok' if cond else 'FAILED ' + str(detail)}", flush=True)

    def square(x):
        return x * x

    def add(a, b, c=0):
        return a + b + c

    def rank_of(x):
        time.sleep(0.002)
        return MPI.COMM_WORLD.Get_rank()

    def nap(t):
        time.sleep(t)
        return t

    def fail_on(x, bad):
        if x == bad:
            raise KeyError(f"task {x} is bad")
        return x

    def workers_size():
        return get_comm_workers().Get_size()

    if __name__ == "__main__":
        def only_here(x):
            return x

        nworkers = MPI.COMM_WORLD.Get_size() - 1
        with MPIPoolExecutor() as ex:
            check("num_workers", ex.num_workers == nworkers, ex.num_workers)
            check("submit", ex.submit(add, 1, 2, c=3).result() == 6)
            data = list(range(1000))
            check("map_order", list(ex.map(square, data)) == [x * x for x in data])
            check("map_two_iterables", list(ex.map(add, [1, 2, 3], [10, 20])) == [11, 22])
            check("starmap", list(ex.starmap(add, [(1, 2), (3, 4)])) == [3, 7])
            check("map_empty", list(ex.map(square, [])) == [])
            un = list(ex.map(nap, [0.2, 0.0, 0.0, 0.0], unordered=True))
            check("unordered_set", sorted(un) == [0.0, 0.0, 0.0, 0.2], un)
            if nworkers > 1:
                check("unordered_early", un[0] == 0.0, un)
            else:
                check("unordered_early", True)
            for cs in (1, 3, 7, 2000):
                got = list(ex.map(square, data, chunksize=cs))
                check(f"chunksize_{cs}", got == [x * x for x in data])
            check("buffersize", list(ex.map(square, iter(range(50)), buffersize=4))
                  == [x * x for x in range(50)])
            # every worker takes part (idle workers pull work)
            ranks = set(ex.map(rank_of, range(60 * nworkers)))
            check("all_workers", ranks == set(range(1, nworkers + 1)), ranks)
            fs = [ex.submit(square, i) for i in range(20)]
            check("as_completed", sorted(f.result() for f in as_completed(fs))
                  == [i * i for i in range(20)])
            done, _ = wait(fs, return_when=ALL_COMPLETED)
            check("wait", len(done) == 20)
            # timeout of map: from the call, over the whole iteration
            t0 = time.monotonic()
            try:
                list(ex.map(nap, [0.0] + [1.5] * nworkers, timeout=0.5))
                check("map_timeout", False, "no TimeoutError")
            except TimeoutError:
                dt = time.monotonic() - t0
                check("map_timeout", 0.4 < dt < 1.4, dt)
            try:
                ex.submit(nap, 1.0).result(timeout=0.1)
                check("result_timeout", False, "no TimeoutError")
            except TimeoutError:
                check("result_timeout", True)
            # exceptions: re-raised in the caller, the remote traceback attached
            f = ex.submit(fail_on, 3, 3)
            exc = f.exception()
            cause = str(exc.__cause__)
            check("exception_type", isinstance(exc, KeyError), repr(exc))
            check("remote_traceback", "fail_on" in cause and "Traceback from worker rank" in cause
                  and "task 3 is bad" in cause and type(exc.__cause__).__name__ == "RemoteTraceback",
                  cause)
            it = ex.map(fail_on, range(10), [4] * 10)
            got = [next(it) for _ in range(4)]
            try:
                next(it)
                check("map_exception", False, "no exception")
            except KeyError as e:
                check("map_exception", got == [0, 1, 2, 3] and "task 4" in str(e), (got, e))
            f = ex.submit(lambda: 1)   # does not pickle: fails its future only
            check("unpicklable_task", f.exception() is not None, f)
            check("after_unpicklable", ex.submit(square, 5).result() == 25)
            # defined where the workers' import of the program does not
            # run: the batch does not unpickle there, its tasks fail
            exc = ex.submit(only_here, 1).exception()
            check("unimportable_fn", isinstance(exc, AttributeError) and "only_here" in str(exc), exc)
            check("after_unimportable", list(ex.map(square, range(30))) == [x * x for x in range(30)])
            check("comm_workers", ex.submit(workers_size).result() == nworkers)
            # cancellation: queued tasks can be cancelled, running ones not
            ex.submit(square, 0).result()
            fs = [ex.submit(nap, 0.3) for _ in range(2 * nworkers + 6)]
            time.sleep(0.1)
            cancelled = [f.cancel() for f in fs]
            check("cancel_some", any(cancelled) and not all(cancelled), cancelled)
            ok = True
            for f, c in zip(fs, cancelled):
                if c:
                    ok &= f.cancelled()
                    try:
                        f.result()
                        ok = False
                    except CancelledError:
                        pass
                else:
                    ok &= f.result() == 0.3
            check("cancel_results", ok)
        # shutdown(cancel_futures=True): queued work never runs
        ex = MPIPoolExecutor()
        fs = [ex.submit(nap, 0.2) for _ in range(4 * nworkers + 8)]
        time.sleep(0.1)
        ex.shutdown(wait=True, cancel_futures=True)
        states = [f.cancelled() for f in fs]
        check("shutdown_cancel", any(states) and all(f.done() for f in fs), states)
        try:
            ex.submit(square, 1)
            check("submit_after_shutdown", False)
        except RuntimeError:
            check("submit_after_shutdown", True)
        # a second executor in the same program gets the same workers
        with MPIPoolExecutor(max_workers=1) as ex2:
            check("second_executor", list(ex2.map(square, range(5))) == [0, 1, 4, 9, 16])
            check("max_workers", ex2.num_workers == 1)
        print("CHECK end ok", flush=True)
"""

STATIC_CHECKS = [
    "num_workers", "submit", "map_order", "map_two_iterables", "starmap", "map_empty",
    "unordered_set", "unordered_early", "chunksize_1", "chunksize_3", "chunksize_7",
    "chunksize_2000", "buffersize", "all_workers", "as_completed", "wait", "map_timeout",
    "result_timeout", "exception_type", "remote_traceback", "map_exception",
    "unpicklable_task", "after_unpicklable", "unimportable_fn", "after_unimportable",
    "comm_workers", "cancel_some",
    "cancel_results", "shutdown_cancel", "submit_after_shutdown", "second_executor",
    "max_workers", "end",
]


@cmpi_only
@pytest.mark.parametrize("n", [2, 3, 4])
def test_static_pool(tmp_path, n):
    prog = write(tmp_path / "prog.py", STATIC)
    job = futures_job(n, [str(prog)])
    assert_checks(job, STATIC_CHECKS)


INIT = """\
    import os
    from mpi4py.futures import MPIPoolExecutor, BrokenExecutor

    def check(name, cond, detail=""):
        print(f"CHECK {name} {'ok' if cond else 'FAILED ' + str(detail)}", flush=True)

    def bad_init():
        raise ZeroDivisionError("initializer says no")

    def set_env(value):
        os.environ["CMPI_TEST_INIT"] = value

    def get_env(_=None):
        return os.environ.get("CMPI_TEST_INIT")

    if __name__ == "__main__":
        with MPIPoolExecutor(initializer=bad_init) as ex:
            f = ex.submit(get_env)
            exc = f.exception()
            check("init_broken", isinstance(exc, BrokenExecutor), repr(exc))
            check("init_message", "initializer" in str(exc) and "initializer says no" in str(exc), exc)
            check("init_cause", "bad_init" in str(getattr(exc.__cause__, "__cause__", "")),
                  repr(exc.__cause__))
            try:
                ex.submit(get_env)
                check("init_submit_after", False)
            except BrokenExecutor:
                check("init_submit_after", True)
        with MPIPoolExecutor(initializer=set_env, initargs=("yes",)) as ex:
            check("init_ok", set(ex.map(get_env, range(20))) == {"yes"})
        print("CHECK end ok", flush=True)
"""


@cmpi_only
@pytest.mark.parametrize("n", [2, 3])
def test_initializer(tmp_path, n):
    prog = write(tmp_path / "prog.py", INIT)
    job = futures_job(n, [str(prog)])
    assert_checks(job, ["init_broken", "init_message", "init_cause",
                        "init_submit_after", "init_ok", "end"])


# -- a worker that dies -------------------------------------------------------

KILL = """\
    import os, signal, time
    from mpi4py.futures import MPIPoolExecutor, BrokenExecutor

    def task(x):
        if x == 7:
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(0.02)
        return x

    if __name__ == "__main__":
        t0 = time.monotonic()
        with MPIPoolExecutor() as ex:
            try:
                list(ex.map(task, range(40)))
                print("NO ERROR", flush=True)
            except BrokenExecutor as exc:
                print(f"BROKEN after {time.monotonic() - t0:.2f} s: {exc}", flush=True)
            time.sleep(30)   # the launcher ends the job well before this
"""


@cmpi_only
@pytest.mark.parametrize("n", [2, 3])
def test_killed_worker(tmp_path, n):
    """A worker killed mid-task never hangs the caller.

    Open MPI: the pool's liveness check fails the futures with
    BrokenExecutor naming the worker, then mpiexec ends the job with a
    non-zero status.  MPICH: its launcher ends the whole job at once,
    reporting the signal.  Either way the job ends fast and non-zero."""
    prog = write(tmp_path / "prog.py", KILL)
    job = futures_job(n, [str(prog)], timeout=60)
    assert not job.timed_out, f"the job hung\n{job}"
    assert job.returncode != 0, job
    assert job.elapsed < 25, job
    assert "NO ERROR" not in job.out, job
    if FLAVOR == "openmpi":
        assert re.search(r"BROKEN after [0-9.]+ s: worker \d \(pid \d+ on \S+\) died while "
                         r"holding \d+ task", job.out), job
        assert "signal 9" in job.err, job
    else:
        assert "signal 9" in job.out + job.err or "Killed" in job.out + job.err, job


SEGV = """\
    import ctypes
    from mpi4py.futures import MPIPoolExecutor

    def crash(x):
        if x == 2:
            ctypes.string_at(0)
        return x

    if __name__ == "__main__":
        with MPIPoolExecutor() as ex:
            print(list(ex.map(crash, range(6))), flush=True)
"""


@cmpi_only
def test_segfaulting_worker(tmp_path):
    """A worker that segfaults: its Python traceback is printed (the
    faulthandler) and the job ends, non-zero, without hanging."""
    prog = write(tmp_path / "prog.py", SEGV)
    job = futures_job(2, [str(prog)], timeout=60)
    assert not job.timed_out, f"the job hung\n{job}"
    assert job.returncode != 0, job
    assert "Segmentation fault" in job.err or "signal 11" in job.out + job.err, job
    assert "in crash" in job.err, job


# -- progress ----------------------------------------------------------------

PROGRESS = """\
    import time
    from mpi4py.futures import MPIPoolExecutor

    def nap(x):
        time.sleep(0.01)
        return x

    if __name__ == "__main__":
        with MPIPoolExecutor() as ex:
            print(f"CHECK sum {'ok' if sum(ex.map(nap, range(120), progress=True)) == 7140 else 'bad'}",
                  flush=True)
"""


@cmpi_only
def test_progress_lines(tmp_path):
    """stderr not a terminal (a batch job): periodic plain lines."""
    prog = write(tmp_path / "prog.py", PROGRESS)
    job = futures_job(3, [str(prog)], env={"CMPI_PROGRESS_INTERVAL": "0.2"})
    assert_checks(job, ["sum"])
    lines = [ln for ln in job.stderr.splitlines() if ln.startswith("progress:")]
    assert len(lines) >= 2, job
    assert "\r" not in job.stderr, job
    assert re.search(r"progress: 120/120 tasks \(100%\), [0-9.]+ tasks/s", lines[-1]), job
    counts = [int(re.match(r"progress: (\d+)/120", ln).group(1)) for ln in lines]
    assert counts == sorted(counts) and counts[0] < 120, counts


def test_progress_off_by_default(tmp_path):
    prog = write(tmp_path / "prog.py", PROGRESS.replace("progress=True", "progress=None"))
    job = futures_job(2, [str(prog)])
    assert_checks(job, ["sum"])
    assert "progress:" not in job.stderr, job
    job = futures_job(2, [str(prog)], env={"CMPI_PROGRESS": "lines",
                                           "CMPI_PROGRESS_INTERVAL": "0.2"})
    assert "progress: 120/120" in job.stderr, job


def run_in_pty(cmd, env, timeout=TIMEOUT):
    """Run cmd with a pseudo-terminal as its controlling terminal and
    stderr; returns (returncode, terminal bytes, stdout)."""
    import pty
    import select
    import subprocess
    import time

    master, slave = pty.openpty()

    def child():
        import fcntl
        import struct
        import termios
        os.setsid()
        fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))

    proc = subprocess.Popen(cmd, stdin=slave, stdout=subprocess.PIPE, stderr=slave,
                            env=env, preexec_fn=child)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            out += data
        elif proc.poll() is not None:
            break
    if proc.poll() is None:
        lu._kill_tree(proc)
    stdout = proc.stdout.read().decode()
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, out.decode(errors="replace"), stdout


SINGLETON_PROGRESS = """\
    import time
    from cmpi import MPI
    from cmpi.futures import MPICommExecutor

    def nap(x):
        time.sleep(0.005)
        return x

    with MPICommExecutor(MPI.COMM_SELF) as ex:
        print(f"CHECK sum {'ok' if sum(ex.map(nap, range(200), progress=True)) == 19900 else 'bad'}",
              flush=True)
"""


@cmpi_only
@pytest.mark.parametrize("form", ["plain", "auto"])
def test_progress_terminal(tmp_path, form):
    """stderr a terminal: one line redrawn in place ('\\r'); with tqdm
    installed, "auto" is tqdm's bar."""
    has_tqdm = lu.run([lu.python(), "-c", "import tqdm"], timeout=60).returncode == 0
    prog = write(tmp_path / "prog.py", SINGLETON_PROGRESS)
    env = lu.job_env({"CMPI_PROGRESS": form})
    rc, term, stdout = run_in_pty([lu.python(), str(prog)], env)
    assert rc == 0, (term, stdout)
    assert "CHECK sum ok" in stdout, (term, stdout)
    assert term.count("\r") >= 3, term
    if form == "plain" or not has_tqdm:
        assert re.search(r"\rprogress: 200/200 tasks \(100%\)", term), term
        assert "progress: 0/200" in term, term
    else:  # tqdm's bar
        assert "progress:" not in term, term
        assert re.search(r"100%\|[^\r]*\| 200/200 \[", term), term


@cmpi_only
def test_progress_terminal_under_mpiexec(tmp_path):
    """Under mpiexec on a terminal: Open MPI's ranks keep the session's
    terminal and the bar is drawn there; MPICH's do not, and periodic
    lines come through the launcher."""
    prog = write(tmp_path / "prog.py", PROGRESS)
    env = lu.job_env({"CMPI_PROGRESS": "plain", "CMPI_PROGRESS_INTERVAL": "0.2"})
    cmd = lu.launcher.mpiexec(3) + [lu.python(), "-m", "cmpi.futures", str(prog)]
    rc, term, stdout = run_in_pty(cmd, env)
    assert rc == 0, (term, stdout)
    assert "CHECK sum ok" in stdout, (term, stdout)
    assert "progress: 120/120 tasks (100%)" in term, term
    if FLAVOR == "openmpi":
        assert re.search(r"\rprogress: \d+/120", term), term


# -- MPICommExecutor, the command line, the mpi4py names ----------------------

COMM = """\
    from mpi4py import MPI
    from mpi4py.futures import MPICommExecutor, get_comm_workers

    def check(name, cond, detail=""):
        print(f"CHECK {name} {'ok' if cond else 'FAILED ' + str(detail)}", flush=True)

    def square(x):
        return x * x

    def where(x):
        return MPI.COMM_WORLD.Get_rank()

    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    for root in (0, size - 1):
        with MPICommExecutor(comm, root=root) as ex:
            if ex is not None:
                check(f"root_{root}_is_root", comm.Get_rank() == root)
                check(f"root_{root}_map", list(ex.map(square, range(100))) == [x * x for x in range(100)])
                ranks = set(ex.map(where, range(50)))
                check(f"root_{root}_workers", root not in ranks and ranks <= set(range(size)), ranks)
    # an executor that is never used still lets the workers go
    with MPICommExecutor(comm, root=0) as ex:
        pass
    comm.Barrier()
    check(f"rank_{comm.Get_rank()}_end", True)
"""


@pytest.mark.parametrize("n", [2, 3, 4])
def test_comm_executor(tmp_path, n):
    prog = write(tmp_path / "prog.py", COMM)
    job = lu.mpirun(n, [str(prog)], timeout=TIMEOUT)
    names = ["root_0_is_root", "root_0_map", "root_0_workers", f"root_{n - 1}_is_root",
             f"root_{n - 1}_map", f"root_{n - 1}_workers"]
    assert_checks(job, names + [f"rank_{r}_end" for r in range(n)])


def test_comm_executor_single(tmp_path):
    """One process: the root runs the tasks itself (in a thread)."""
    prog = write(tmp_path / "prog.py", COMM)
    job = lu.mpirun(None, [str(prog)], timeout=TIMEOUT)
    assert_checks(job, ["root_0_map", "rank_0_end"])


@cmpi_only
def test_command_line_modes(tmp_path):
    mod = write(tmp_path / "futmod.py", """\
        import sys
        from mpi4py.futures import MPIPoolExecutor

        def cube(x):
            return x ** 3

        if __name__ == "__main__":
            with MPIPoolExecutor() as ex:
                print(f"CHECK module {'ok' if list(ex.map(cube, [1, 2])) == [1, 8] else 'bad'}")
            print(f"CHECK argv {'ok' if sys.argv[1:] == ['a', 'b'] else sys.argv}")
    """)
    env = {"PYTHONPATH": str(tmp_path)}
    job = futures_job(2, ["-m", "futmod", "a", "b"], env=env, cwd=str(tmp_path))
    assert_checks(job, ["module", "argv"])
    cmd = ("from mpi4py.futures import MPIPoolExecutor\n"
           "import operator, sys\n"
           "with MPIPoolExecutor() as ex:\n"
           "    r = list(ex.map(operator.neg, range(4)))\n"
           "print('CHECK command', 'ok' if r == [0, -1, -2, -3] and sys.argv == ['-c', 'z'] else r)\n")
    job = futures_job(3, ["-c", cmd, "z"])
    assert_checks(job, ["command"])
    job = futures_job(2, [str(mod), "a", "b"])
    assert_checks(job, ["module", "argv"])


@cmpi_only
def test_unclosed_executor(tmp_path):
    """An executor neither shut down nor referenced any more: its work is
    finished at the program's end, and the job exits cleanly."""
    prog = write(tmp_path / "prog.py", """\
        import time
        from mpi4py.futures import MPIPoolExecutor

        def nap(t):
            time.sleep(t)
            print(f"CHECK ran_{t} ok", flush=True)

        if __name__ == "__main__":
            ex = MPIPoolExecutor()
            ex.submit(nap, 0.3)
            ex.submit(nap, 0.2)
            del ex
    """)
    job = futures_job(3, [str(prog)], timeout=60)
    assert_checks(job, ["ran_0.3", "ran_0.2"])


@cmpi_only
def test_program_error_aborts_job(tmp_path):
    prog = write(tmp_path / "prog.py", """\
        from mpi4py.futures import MPIPoolExecutor
        with MPIPoolExecutor() as ex:
            list(ex.map(abs, [1, 2]))
        raise ValueError("program failed")
    """)
    job = futures_job(3, [str(prog)], timeout=60)
    assert not job.timed_out, job
    assert job.returncode != 0, job
    assert "[rank 0] ValueError: program failed" in job.err, job


@cmpi_only
def test_names_and_aliases():
    code = textwrap.dedent("""\
        import cmpi
        cmpi.install_as_mpi4py()
        import mpi4py.futures, mpi4py.util.pool, cmpi.futures, cmpi.util.pool
        import concurrent.futures as cf
        assert mpi4py.futures is cmpi.futures
        assert mpi4py.util.pool is cmpi.util.pool
        for name in ["Future", "Executor", "wait", "FIRST_COMPLETED", "FIRST_EXCEPTION",
                     "ALL_COMPLETED", "as_completed", "CancelledError", "TimeoutError",
                     "InvalidStateError", "BrokenExecutor", "MPIPoolExecutor",
                     "MPICommExecutor", "ThreadPoolExecutor", "ProcessPoolExecutor",
                     "get_comm_workers", "collect", "compose"]:
            assert name in cmpi.futures.__all__ and hasattr(cmpi.futures, name), name
        assert cmpi.futures.Future is cf.Future and cmpi.futures.wait is cf.wait
        assert issubclass(cmpi.futures.MPIPoolExecutor, cf.Executor)
        for name in ["Pool", "ThreadPool", "AsyncResult", "ApplyResult", "MapResult"]:
            assert hasattr(cmpi.util.pool, name), name
        print("CHECK names ok")
    """)
    job = lu.run([lu.python(), "-c", code], timeout=60)
    assert_checks(job, ["names"])


# -- local executors and helpers (one process) --------------------------------

LOCAL = """\
    import time
    from cmpi.futures import ThreadPoolExecutor, collect, compose, Future
    from cmpi.util.pool import ThreadPool

    def check(name, cond, detail=""):
        print(f"CHECK {name} {'ok' if cond else 'FAILED ' + str(detail)}", flush=True)

    def fails(x):
        raise OSError(x)

    with ThreadPoolExecutor(max_workers=3) as ex:
        check("thread_map", list(ex.map(abs, range(-5, 5))) == [abs(x) for x in range(-5, 5)])
        fs = [ex.submit(pow, 2, i) for i in range(8)]
        check("collect", collect(fs).result(timeout=10) == [2 ** i for i in range(8)])
        bad = collect([ex.submit(abs, -1), ex.submit(fails, "x")])
        check("collect_error", isinstance(bad.exception(timeout=10), OSError))
        c = compose(ex.submit(pow, 3, 2), lambda r: r + 1)
        check("compose_result", c.result(timeout=10) == 10)
        c = compose(ex.submit(fails, "y"), None, lambda e: "handled " + str(e))
        check("compose_except", c.result(timeout=10) == "handled y")
        c = compose(ex.submit(fails, "z"), None, lambda e: ValueError("converted"))
        check("compose_except_exc", isinstance(c.exception(timeout=10), ValueError))
        base = Future()
        c = compose(base)
        c.cancel()
        check("compose_cancel", base.cancelled())
        check("thread_exc_cause", "fails" in str(ex.submit(fails, 1).exception().__cause__))
    with ThreadPool(2) as p:
        check("threadpool", p.map(abs, [-1, -2]) == [1, 2])
    print("CHECK end ok", flush=True)
"""


@cmpi_only
def test_local_executors(tmp_path):
    prog = write(tmp_path / "prog.py", LOCAL)
    job = lu.run([lu.python(), str(prog)], timeout=60)
    assert_checks(job, ["thread_map", "collect", "collect_error", "compose_result",
                        "compose_except", "compose_except_exc", "compose_cancel",
                        "thread_exc_cause", "threadpool", "end"])


# -- multiprocessing.Pool's interface -----------------------------------------

POOL = """\
    import time
    from mpi4py.util.pool import Pool

    def check(name, cond, detail=""):
        print(f"CHECK {name} {'ok' if cond else 'FAILED ' + str(detail)}", flush=True)

    def square(x):
        return x * x

    def nap(t):
        time.sleep(t)
        return t

    def fails(x):
        raise ArithmeticError(f"no {x}")

    def init(v):
        global VALUE
        VALUE = v

    def value(_):
        return VALUE

    if __name__ == "__main__":
        with Pool(initializer=init, initargs=(42,)) as p:
            check("apply", p.apply(pow, (2, 5)) == 32)
            check("apply_kwds", p.apply(int, ("ff",), {"base": 16}) == 255)
            r = p.apply_async(square, (9,))
            check("apply_async", r.get(timeout=30) == 81 and r.ready() and r.successful())
            check("map", p.map(square, range(100)) == [x * x for x in range(100)])
            check("map_chunks", p.map(square, range(100), chunksize=7) == [x * x for x in range(100)])
            got = []
            r = p.map_async(square, range(10), callback=got.append)
            check("map_async", r.get(timeout=30) == [x * x for x in range(10)])
            r.wait(5)
            time.sleep(0.1)
            check("map_async_callback", got == [[x * x for x in range(10)]], got)
            check("imap", list(p.imap(square, range(20))) == [x * x for x in range(20)])
            check("imap_unordered", sorted(p.imap_unordered(square, range(20))) == [x * x for x in range(20)])
            check("starmap", p.starmap(pow, [(2, 3), (3, 2)]) == [8, 9])
            check("starmap_async", p.starmap_async(pow, [(2, 2)]).get(timeout=30) == [4])
            check("istarmap", list(p.istarmap(pow, [(2, 1), (5, 2)])) == [2, 25])
            check("initializer", set(p.map(value, range(10))) == {42})
            errs = []
            r = p.apply_async(fails, (1,), error_callback=errs.append)
            try:
                r.get(timeout=30)
                check("apply_error", False)
            except ArithmeticError as e:
                check("apply_error", "no 1" in str(e) and not r.successful())
            time.sleep(0.1)
            check("error_callback", len(errs) == 1 and isinstance(errs[0], ArithmeticError), errs)
            try:
                p.map(fails, range(3))
                check("map_error", False)
            except ArithmeticError as e:
                check("map_error", "no 0" in str(e), e)
            r = p.apply_async(nap, (1.0,))
            try:
                r.get(timeout=0.1)
                check("get_timeout", False)
            except TimeoutError:
                check("get_timeout", True)
            try:
                r.successful()
                check("not_ready", False)
            except ValueError:
                check("not_ready", True)
        p = Pool()
        r = p.map_async(square, range(30))
        p.close()
        try:
            p.apply(square, (1,))
            check("closed", False)
        except ValueError:
            check("closed", True)
        p.join()
        check("close_join", r.get(timeout=1) == [x * x for x in range(30)])
        p = Pool()
        try:
            p.join()
            check("join_running", False)
        except ValueError:
            check("join_running", True)
        p.terminate()
        p.join()
        print("CHECK end ok", flush=True)
"""

POOL_CHECKS = ["apply", "apply_kwds", "apply_async", "map", "map_chunks", "map_async",
               "map_async_callback", "imap", "imap_unordered", "starmap", "starmap_async",
               "istarmap", "initializer", "apply_error", "error_callback", "map_error",
               "get_timeout", "not_ready", "closed", "close_join", "join_running", "end"]


@cmpi_only
@pytest.mark.parametrize("n", [2, 4])
def test_pool(tmp_path, n):
    prog = write(tmp_path / "prog.py", POOL)
    job = futures_job(n, [str(prog)])
    assert_checks(job, POOL_CHECKS)


# -- spawned workers ----------------------------------------------------------

SPAWN_PROBE = """\
import sys
from cmpi import MPI
if not hasattr(MPI.Intracomm, "Spawn"):
    print("NO-SPAWN-API")
    sys.exit(0)
parent = MPI.Comm.Get_parent()
if parent == MPI.COMM_NULL:
    try:
        ic = MPI.COMM_SELF.Spawn(sys.executable, args=[__file__], maxprocs=1)
    except MPI.Exception as exc:
        print("SPAWN-FAILS " + str(exc).replace(chr(10), " "))
        sys.exit(0)
    print("SPAWN-OK " + str(ic.recv(source=0)))
    ic.Disconnect()
else:
    parent.send("child", dest=0)
    parent.Disconnect()
"""


def _spawn_skip_reason(tmp_path):
    """Why spawned mode cannot run here (None: it can)."""
    probe = write(tmp_path / "spawn_probe.py", SPAWN_PROBE)
    job = lu.run(lu.launcher.mpiexec(1) + [lu.python(), str(probe)], timeout=60)
    if "SPAWN-OK child" in job.stdout:
        return None
    if "NO-SPAWN-API" in job.stdout:
        return "this cmpi build has no MPI.Intracomm.Spawn"
    if "SPAWN-FAILS" in job.stdout:
        # MPICH 4.0 as installed here fails every MPI_Comm_spawn, a plain
        # C program's too ("Error in spawn call")
        return "MPI_Comm_spawn fails in this MPI installation: " + job.stdout.strip()[:300]
    raise AssertionError(f"spawn probe failed\n{job}")


SPAWNED = """\
    import os
    from mpi4py import MPI
    from mpi4py.futures import MPIPoolExecutor, ProcessPoolExecutor, get_comm_workers

    def check(name, cond, detail=""):
        print(f"CHECK {name} {'ok' if cond else 'FAILED ' + str(detail)}", flush=True)

    def square(x):
        return x * x

    def setenv(v):
        os.environ["CMPI_SPAWN_TEST"] = v

    def getenv():
        return os.environ.get("CMPI_SPAWN_TEST")

    def info(_):
        return MPI.Comm.Get_parent() != MPI.COMM_NULL, get_comm_workers().Get_size(), os.getpid()

    def fails(x):
        raise LookupError(x)

    if __name__ == "__main__":
        with MPIPoolExecutor(max_workers=2) as ex:
            check("spawn_workers", ex.num_workers == 2, ex.num_workers)
            check("spawn_map", list(ex.map(square, range(200))) == [x * x for x in range(200)])
            infos = set(ex.map(info, range(40)))
            check("spawn_children", all(p and s == 2 for p, s, _ in infos)
                  and os.getpid() not in {pid for _, _, pid in infos}, infos)
            exc = ex.submit(fails, "k").exception()
            check("spawn_exception", isinstance(exc, LookupError) and "fails" in str(exc.__cause__))
        # a second pool: new workers
        with ProcessPoolExecutor(max_workers=1, initializer=setenv, initargs=("v",)) as ex:
            check("process_pool", list(ex.map(square, range(10))) == [x * x for x in range(10)]
                  and ex.submit(getenv).result() == "v")
        print("CHECK end ok", flush=True)
"""


@cmpi_only
def test_spawned_pool(tmp_path):
    reason = _spawn_skip_reason(tmp_path)
    if reason:
        pytest.skip(reason)
    prog = write(tmp_path / "prog.py", SPAWNED)
    job = lu.run(lu.launcher.mpiexec(1) + [lu.python(), "-m", "cmpi", str(prog)],
                 timeout=TIMEOUT)
    assert_checks(job, ["spawn_workers", "spawn_map", "spawn_children", "spawn_exception",
                        "process_pool", "end"])


@cmpi_only
def test_killed_spawned_worker(tmp_path):
    """A spawned worker killed mid-task: the job ends, non-zero, without
    hanging (Open MPI ends the parent's job too once its peer is gone)."""
    reason = _spawn_skip_reason(tmp_path)
    if reason:
        pytest.skip(reason)
    prog = write(tmp_path / "prog.py", KILL.replace("MPIPoolExecutor()", "MPIPoolExecutor(max_workers=2)"))
    job = lu.run(lu.launcher.mpiexec(1) + [lu.python(), "-m", "cmpi", str(prog)], timeout=60)
    assert not job.timed_out, f"the job hung\n{job}"
    assert job.returncode != 0, job
    assert job.elapsed < 25, job
    assert "NO ERROR" not in job.out, job
    assert "signal 9" in job.out + job.err or "BROKEN" in job.out, job
