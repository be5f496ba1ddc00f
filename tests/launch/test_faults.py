"""Fault tests: a job never hangs silently.

Each test starts a real job (the MPI flavour under test), injects a fault
and asserts both the outcome and a bound on the time the launcher takes to
exit; the time is printed (``pytest -s``) and appended to
``$CMPI_FAULT_TIMES`` when set.  Programs use ``from cmpi import MPI`` and
run with the plain interpreter unless the test is about ``python -m cmpi``,
so that the defaults (abort on error) are what is checked.
"""

import os
import re
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import faultutil as fu  # noqa: E402
import launchutil as lu  # noqa: E402

FLAVOR = lu.launcher.flavor()
OTHER = {"openmpi": "mpich", "mpich": "openmpi"}[FLAVOR]

pytestmark = pytest.mark.skipif(lu.REFERENCE, reason="checks cmpi's own behaviour")


def write(path, code):
    path.write_text(textwrap.dedent(code))
    return str(path)


def plain(n, args):
    return lu.launcher.mpiexec(n) + [lu.python()] + list(args)


def runner(n, args):
    return lu.launcher.mpiexec(n) + [lu.python(), "-m", "cmpi"] + list(args)


# Every rank prints its pid once it runs, then loops over a collective.
LOOP = """\
    import os, sys, time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    sys.stdout.write(f"<ready rank={comm.rank} pid={os.getpid()}>\\n")
    sys.stdout.flush()
    while True:
        comm.allreduce(1)
        time.sleep(0.02)
"""

# Every rank blocks in a receive that never matches.
BLOCKED = """\
    import os, sys
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    sys.stdout.write(f"<ready rank={comm.rank} pid={os.getpid()}>\\n")
    sys.stdout.flush()
    comm.recv(source=(comm.rank + 1) % comm.size, tag=5)
"""


def ready_pids(job, n, timeout=90):
    found = job.wait_for(r"<ready rank=(\d+) pid=(\d+)>", n, timeout)
    return {int(r): int(p) for r, p in found}


# -- an exception on one rank ------------------------------------------------

RAISE_IN_COLLECTIVE = """\
    import time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    comm.barrier()
    if comm.rank == 2:
        time.sleep(0.2)          # the others are inside the allreduce
        raise ValueError("boom on rank 2")
    comm.allreduce(comm.rank)
    print(f"rank {comm.rank} passed the allreduce")
"""


def test_raise_inside_collective_aborts_job(tmp_path):
    script = write(tmp_path / "raise.py", RAISE_IN_COLLECTIVE)
    job = lu.run(plain(4, [script]), timeout=60)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    assert "passed the allreduce" not in job.out, job
    assert "[rank 2] Traceback (most recent call last):" in job.err, job
    assert re.search(r"\[rank 2\] ValueError: boom on rank 2", job.err), job
    assert "[rank 0] Traceback" not in job.err, job
    fu.record("raise-in-collective-4-ranks", job.elapsed)
    assert job.elapsed < 10, f"took {job.elapsed:.1f} s (limit 10 s)\n{job}"


def test_abort_on_error_off_restores_plain_behaviour(tmp_path):
    script = write(tmp_path / "raise_late.py", """\
        from cmpi import MPI
        comm = MPI.COMM_WORLD
        comm.barrier()
        if comm.rank == 1:
            raise ValueError("late failure")
        print(f"<rank {comm.rank} finished>")
    """)
    env = lu.job_env({"CMPI_RC_ABORT_ON_ERROR": "0"})
    job = lu.run(plain(3, [script]), timeout=60, env=env)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    # no abort: the other ranks finish, and the traceback is Python's own
    assert "<rank 0 finished>" in job.out and "<rank 2 finished>" in job.out, job
    assert "ValueError: late failure" in job.err, job
    assert "[rank 1]" not in job.err, job


def test_size_one_world_is_not_aborted(tmp_path):
    script = write(tmp_path / "raise1.py", """\
        from cmpi import MPI
        assert MPI.COMM_WORLD.size == 1
        raise ValueError("alone")
    """)
    job = lu.run([lu.python(), script], timeout=60)
    assert job.returncode == 1, job
    assert "ValueError: alone" in job.err and "[rank 0]" not in job.err, job
    assert "MPI_Abort" not in job.err and "MPI_ABORT" not in job.err, job


def test_uncaught_exception_in_thread_aborts_job(tmp_path):
    script = write(tmp_path / "thread.py", """\
        import threading
        from cmpi import MPI
        comm = MPI.COMM_WORLD
        def work():
            if comm.rank == 1:
                raise RuntimeError("worker died")
        t = threading.Thread(target=work, name="worker")
        t.start(); t.join()
        comm.recv(source=1 - comm.rank)   # rank 0 would wait forever
    """)
    job = lu.run(plain(2, [script]), timeout=60)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    assert "[rank 1] uncaught exception in thread worker:" in job.err, job
    assert "[rank 1] RuntimeError: worker died" in job.err, job


# -- a rank killed ------------------------------------------------------------

def test_sigkill_one_rank_ends_job(tmp_path):
    script = write(tmp_path / "loop.py", LOOP)
    job = fu.BackgroundJob(plain(4, [script]))
    pids = {}
    try:
        pids = ready_pids(job, 4)
        time.sleep(0.3)
        os.kill(pids[3], signal.SIGKILL)
        took = job.wait_exit(60)
        assert took is not None, f"job still running 60 s after SIGKILL\n{job}"
        assert job.proc.returncode != 0, job
        left = fu.wait_gone(pids.values(), 10)
        assert not left, f"ranks left running: {left}\n{job}"
        fu.record("sigkill-one-rank-4-ranks", took)
        assert took < 30, f"took {took:.1f} s (limit 30 s)\n{job}"
    finally:
        job.kill(pids.values())


def test_sigterm_prints_where_the_rank_was(tmp_path):
    script = write(tmp_path / "blocked.py", BLOCKED)
    job = fu.BackgroundJob(plain(2, [script]))
    pids = {}
    try:
        pids = ready_pids(job, 2)
        time.sleep(0.5)
        os.kill(pids[1], signal.SIGTERM)
        took = job.wait_exit(60)
        assert took is not None, f"job still running after SIGTERM\n{job}"
        assert job.proc.returncode != 0, job
        err = job.output()[1]
        assert "[rank 1] cmpi: terminated by SIGTERM; Python stack:" in err, job
        assert re.search(r'File ".*blocked\.py", line 6', err), job
        fu.record("sigterm-one-rank-2-ranks", took)
    finally:
        job.kill(pids.values())


# -- a deadlock ---------------------------------------------------------------

DEADLOCK = """\
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    def stuck():
        if comm.rank == 0:
            comm.recv(source=1, tag=11)
        elif comm.rank == 1:
            comm.Recv(bytearray(4), source=0, tag=12)
        else:
            comm.barrier()
    stuck()
"""


def test_deadlock_reported_and_aborted(tmp_path):
    script = write(tmp_path / "deadlock.py", DEADLOCK)
    env = lu.job_env({"CMPI_HANG_TIMEOUT": "2", "CMPI_HANG_ABORT": "1"})
    job = lu.run(plain(3, [script]), timeout=60, env=env)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    err = job.err
    assert "[rank 0] cmpi: still waiting after 2." in err, job
    assert "in comm.recv(source=1, tag=11) on COMM_WORLD" in err, job
    assert "in comm.Recv(source=0, tag=12) on COMM_WORLD" in err, job
    assert "in comm.Barrier() on COMM_WORLD" in err, job
    # the Python stack, down to the line that called
    assert re.search(r'\[rank 0\]   File ".*deadlock\.py", line 5, in stuck', err), job
    assert "aborting the job (hang_abort)" in err, job
    fu.record("deadlock-hang-timeout-2-abort-3-ranks", job.elapsed)
    assert job.elapsed < 15, f"took {job.elapsed:.1f} s (limit 15 s)\n{job}"


def test_hang_report_without_abort_lets_job_finish(tmp_path):
    script = write(tmp_path / "slow.py", """\
        import time
        from cmpi import MPI
        comm = MPI.COMM_WORLD
        if comm.rank == 0:
            time.sleep(2.5)
            comm.send("late", dest=1, tag=3)
        else:
            print("<got " + comm.recv(source=0, tag=3) + ">")
    """)
    job = lu.run(runner(2, ["--hang-timeout", "1", script]), timeout=60)
    job.check_ok()
    assert "<got late>" in job.out, job
    assert job.err.count("cmpi: still waiting") == 1, job
    assert "[rank 1] cmpi: still waiting after 1." in job.err, job
    assert "comm.recv(source=0, tag=3) on COMM_WORLD" in job.err, job


# -- Ctrl-C -------------------------------------------------------------------

def wrapped(n, args):
    """``python -m cmpi.mpiexec <launcher arguments> ...``: the launcher
    wrapper that makes Ctrl-C end the job with status 130 (the launcher
    command of the flavour under test comes in through CMPI_MPIEXEC)."""
    cmd = lu.launcher.mpiexec(n)
    env = lu.job_env({"CMPI_MPIEXEC": cmd[0]})
    return [lu.python(), "-m", "cmpi.mpiexec"] + cmd[1:] + [lu.python()] + list(args), env


# Every rank waits in a collective that never completes, with no hang
# timeout: MPI's own blocking call, which polls nothing.  The last rank waits
# in a barrier on another communicator, the others in an allreduce.
IN_COLLECTIVE = """\
    import os, sys
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    other = comm.Dup()
    sys.stdout.write(f"<ready rank={comm.rank} pid={os.getpid()}>\\n")
    sys.stdout.flush()
    def stuck():
        if comm.rank == comm.size - 1:
            other.barrier()
        comm.allreduce(comm.rank)
    stuck()
"""


def ctrl_c(job, how):
    """Ctrl-C to the launcher: typed at its terminal (SIGINT to the
    terminal's foreground process group), or ``kill -INT`` of its pid."""
    if how == "tty":
        os.write(job.tty, b"\x03")
    else:
        job.proc.send_signal(signal.SIGINT)


@pytest.mark.parametrize("program", ["recv", "collective"])
@pytest.mark.parametrize("how", ["kill", "tty"])
def test_ctrl_c_to_launcher_ends_job(tmp_path, how, program):
    """Under the launcher wrapper ``python -m cmpi.mpiexec``, Ctrl-C ends
    the job with status 130 within 10 s and leaves no rank behind."""
    script = write(tmp_path / "prog.py", BLOCKED if program == "recv" else IN_COLLECTIVE)
    cmd, env = wrapped(4, ["-m", "cmpi", script])
    job = fu.BackgroundJob(cmd, env=env, tty=how == "tty")
    pids = {}
    try:
        pids = ready_pids(job, 4)
        time.sleep(0.5)
        ctrl_c(job, how)
        took = job.wait_exit(30)
        assert took is not None, f"job still running 30 s after Ctrl-C\n{job}"
        left = fu.wait_gone(pids.values(), 5)
        assert not left, f"ranks left running: {left}\n{job}"
        assert job.proc.returncode == 130, job
        err = job.output()[1]
        if FLAVOR == "mpich":
            # hydra forwards SIGINT: the ranks raise KeyboardInterrupt (in
            # Python, or in the receive's polling wait), or cmpi's watcher
            # reports the collective they are stuck in; the job is aborted
            # with status 130
            assert re.search(r"\[rank \d\] KeyboardInterrupt", err), job
            if program == "collective":
                assert re.search(r"KeyboardInterrupt in comm\.(allreduce|[Bb]arrier)\(\) on ", err), job
        else:
            # Open MPI's mpirun terminates the ranks (SIGTERM: they print
            # their stacks); the wrapper turns its status 1 into 130
            assert "cmpi: terminated by SIGTERM" in err, job
        fu.record(f"ctrl-c-launcher-wrapper-{how}-{program}-4-ranks", took)
        assert took < 10, f"took {took:.1f} s (limit 10 s)\n{job}"
    finally:
        job.kill(pids.values())


def test_ctrl_c_to_plain_launcher(tmp_path):
    """The plain launcher: MPICH's hydra forwards SIGINT (status 130);
    Open MPI's mpirun terminates the ranks and exits with 1 (it fixes that
    status when the signal arrives and cannot forward SIGINT: hence the
    wrapper).  Either way the job ends within 10 s with no rank left."""
    script = write(tmp_path / "blocked.py", BLOCKED)
    job = fu.BackgroundJob(runner(4, [script]))
    pids = {}
    try:
        pids = ready_pids(job, 4)
        time.sleep(0.5)
        job.proc.send_signal(signal.SIGINT)
        took = job.wait_exit(30)
        assert took is not None, f"job still running 30 s after Ctrl-C\n{job}"
        left = fu.wait_gone(pids.values(), 5)
        assert not left, f"ranks left running: {left}\n{job}"
        err = job.output()[1]
        if FLAVOR == "mpich":
            assert job.proc.returncode == 130, job
            assert re.search(r"\[rank \d\] KeyboardInterrupt", err), job
        else:
            assert job.proc.returncode == 1, job
            assert "cmpi: terminated by SIGTERM" in err, job
        fu.record("ctrl-c-plain-launcher-4-ranks", took)
        assert took < 10, f"took {took:.1f} s (limit 10 s)\n{job}"
    finally:
        job.kill(pids.values())


@pytest.mark.parametrize("hang_timeout", [None, "60"])
def test_ctrl_c_to_rank_in_collective_aborts_job(tmp_path, hang_timeout):
    """SIGINT to a rank waiting in a collective the others never join: MPI's
    blocking call (no hang timeout) cannot see it, nor can a polled
    nonblocking collective (hang timeout) be given up; cmpi reports the call
    and its stack and aborts the job with status 130."""
    script = write(tmp_path / "coll.py", IN_COLLECTIVE)
    env = lu.job_env()
    env.pop("CMPI_HANG_TIMEOUT", None)
    if hang_timeout:
        env["CMPI_HANG_TIMEOUT"] = hang_timeout
    job = fu.BackgroundJob(plain(4, [script]), env=env)
    pids = {}
    try:
        pids = ready_pids(job, 4)
        time.sleep(0.5)
        os.kill(pids[0], signal.SIGINT)
        took = job.wait_exit(30)
        assert took is not None, f"job still running 30 s after SIGINT\n{job}"
        left = fu.wait_gone(pids.values(), 5)
        assert not left, f"ranks left running: {left}\n{job}"
        assert job.proc.returncode == 130, job
        err = job.output()[1]
        assert ("[rank 0] KeyboardInterrupt in comm.allreduce() on COMM_WORLD: "
                "the MPI call cannot be interrupted; aborting the job") in err, job
        # the call's Python stack, whether MPI's blocking call was
        # interrupted (the watcher thread) or a polled one (with a hang
        # timeout, or when ranks outnumber cores under MPICH)
        assert re.search(r'\[rank 0\]   File ".*coll\.py", line 10, in stuck', err), job
        name = "polled" if hang_timeout else "blocking"
        fu.record(f"ctrl-c-rank-in-{name}-collective-4-ranks", took)
        assert took < 10, f"took {took:.1f} s (limit 10 s)\n{job}"
    finally:
        job.kill(pids.values())


def test_sigint_to_rank_raises_keyboardinterrupt(tmp_path):
    script = write(tmp_path / "interrupted.py", """\
        import os, sys
        from cmpi import MPI
        comm = MPI.COMM_WORLD
        sys.stdout.write(f"<ready rank={comm.rank} pid={os.getpid()}>\\n")
        sys.stdout.flush()
        buf = bytearray(8)
        try:
            if comm.rank == 0:
                comm.Recv(buf, source=1, tag=7)
        except KeyboardInterrupt:
            print("<interrupted in Recv>")
        comm.Send(b"12345678", dest=1 - comm.rank, tag=8)
        comm.Recv(buf, source=1 - comm.rank, tag=8)
        print(f"<rank {comm.rank} still works: {bytes(buf)!r}>")
    """)
    job = fu.BackgroundJob(plain(2, [script]))
    pids = {}
    try:
        pids = ready_pids(job, 2)
        time.sleep(0.5)
        os.kill(pids[0], signal.SIGINT)
        took = job.wait_exit(30)
        assert took is not None, f"job still running\n{job}"
        out = lu.flat(job.output()[0])
        assert job.proc.returncode == 0, job
        assert "<interrupted in Recv>" in out, job
        assert "<rank 0 still works: b'12345678'>" in out, job
        assert "<rank 1 still works: b'12345678'>" in out, job
    finally:
        job.kill(pids.values())


# -- output -------------------------------------------------------------------

def test_tag_output(tmp_path):
    script = write(tmp_path / "hello.py", """\
        import sys
        from mpi4py import MPI
        r = MPI.COMM_WORLD.rank
        print(f"hello from {r}")
        sys.stdout.write("two\\nlines\\n")
        print(f"error line {r}", file=sys.stderr)
    """)
    job = lu.run(runner(2, ["--tag-output", script]), timeout=60)
    job.check_ok()
    for r in (0, 1):
        assert f"[rank {r}] hello from {r}\n" in job.stdout, job
        assert f"[rank {r}] two\n" in job.stdout, job
        assert f"[rank {r}] lines\n" in job.stdout, job
        assert f"[rank {r}] error line {r}\n" in job.stderr, job


def test_output_is_line_buffered_under_runner(tmp_path):
    # A line printed before a long wait is visible while the job runs.
    script = write(tmp_path / "progress.py", """\
        import time
        from mpi4py import MPI
        print(f"<progress {MPI.COMM_WORLD.rank}>")
        time.sleep(30)
    """)
    env = lu.job_env()
    env.pop("PYTHONUNBUFFERED", None)
    job = fu.BackgroundJob(runner(2, [script]), env=env)
    try:
        job.wait_for(r"<progress \d>", 2, timeout=25)
    finally:
        job.kill()



@pytest.mark.parametrize("reader", ["slow", "absent"])
def test_abort_waits_for_output_to_be_read(tmp_path, reader):
    """A launcher that handles the abort before reading the rank's pipe
    loses the message explaining it; cmpi waits (at most a second) until the
    pipe is read.  Here the pipe is this test's, read late or never."""
    import subprocess

    script = write(tmp_path / "abort.py", """\
        import sys
        from cmpi import MPI
        print("about to abort", flush=True)
        sys.stderr.write("the reason for the abort\\n")
        sys.stderr.flush()
        MPI.COMM_WORLD.Abort(3)
    """)
    proc = subprocess.Popen([lu.python(), script], env=lu.job_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"about to abort\n"
        if reader == "slow":
            time.sleep(0.5)
            # still waiting, with the message queued in the pipe
            assert proc.poll() is None
            err = proc.stderr.read().decode()
            assert "the reason for the abort\n" in err, err
            assert proc.wait(timeout=30) != 0
        else:
            # nobody reads: the abort goes ahead after the bounded wait
            start = time.monotonic()
            assert proc.wait(timeout=30) != 0
            assert time.monotonic() - start < 20
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

# -- launch mismatch ----------------------------------------------------------

def test_launch_mismatch_warns(tmp_path):
    """cmpi built against the other MPI, started by this flavour's mpiexec:
    every process sees a world of 1, and says why."""
    other_python = lu.launcher.python(OTHER)
    if other_python == sys.executable:
        pytest.skip(f"no .venv/{OTHER}")
    script = write(tmp_path / "size.py", """\
        from cmpi import MPI
        print(f"<size {MPI.COMM_WORLD.size}>")
    """)
    cmd = lu.launcher.mpiexec(2) + [other_python, script]
    job = lu.run(cmd, timeout=60)
    assert not job.timed_out, job
    assert job.out.count("<size 1>") == 2, job
    assert job.err.count("cmpi: warning:") == 2, job
    assert "MPI reports a world of 1 process" in job.err, job
    wanted = {"openmpi": "mpiexec.openmpi", "mpich": "mpiexec.mpich"}[OTHER]
    assert f"Start the job with {wanted}" in job.err, job


def test_no_mismatch_warning_when_sizes_agree(tmp_path):
    job = lu.run(plain(2, ["-c", "from cmpi import MPI; print(MPI.COMM_WORLD.size)"]),
                 timeout=60)
    job.check_ok()
    assert "cmpi: warning" not in job.err, job
