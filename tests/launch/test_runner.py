"""``python -m cmpi``: the runner that executes unmodified mpi4py programs.

Checks: a failing rank aborts the whole job quickly, with its traceback
prefixed ``[rank N] ``; ``-c``, ``-m`` and script modes with their
``sys.argv``; exit statuses; ``import mpi4py`` resolving to cmpi (also via
``cmpi.install_as_mpi4py()`` in a plain interpreter); singleton runs.
"""

import os
import re
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

FLAVOR = lu.launcher.flavor()
TIMEOUT = 60
LIBRARY = {"openmpi": "Open MPI", "mpich": "MPICH", "impi": "Intel(R) MPI"}[FLAVOR]

cmpi_only = pytest.mark.skipif(
    lu.REFERENCE, reason="CMPI_TEST_RUNNER set: checks specific to cmpi")


def write(path, code):
    path.write_text(textwrap.dedent(code))
    return path


def nospace(text):
    return re.sub(r"\s+", "", text)


# -- a failing rank -----------------------------------------------------------

FAIL_BARRIER = """\
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    if comm.Get_rank() == 2:
        raise ValueError("boom")
    comm.barrier()
    print(f"rank {comm.Get_rank()} passed the barrier")
"""

FAIL_RECV = """\
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    if rank == 2:
        raise ValueError("boom")
    elif rank == 0:
        comm.recv(source=2)
    else:
        comm.recv(source=0)
    print(f"rank {rank} got a message")
"""


@pytest.mark.parametrize("code", [FAIL_BARRIER, FAIL_RECV], ids=["barrier", "recv"])
def test_exception_on_one_rank_aborts_job(tmp_path, code):
    script = write(tmp_path / "fail.py", code)
    start = time.monotonic()
    job = lu.mpirun(4, [str(script)], timeout=TIMEOUT)
    wall = time.monotonic() - start
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    assert wall < 10, f"took {wall:.1f} s to abort (limit 10 s)\n{job}"
    assert "ValueError: boom" in job.err, job
    assert "passed the barrier" not in job.out and "got a message" not in job.out, job
    if not lu.REFERENCE:
        # every traceback line of rank 2 is prefixed; lines of other
        # processes may interleave, so look at the first and the last
        assert "[rank 2] Traceback (most recent call last):" in job.err, job
        assert re.search(r"\[rank 2\] .*ValueError: boom", job.err), job
        assert "[rank 0] Traceback" not in job.err, job


def test_exit_code_of_one_rank_aborts_job(tmp_path):
    script = write(tmp_path / "exit1.py", """\
        import sys
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        if comm.Get_rank() == 1:
            sys.exit(5)
        comm.barrier()
    """)
    start = time.monotonic()
    job = lu.mpirun(3, [str(script)], timeout=TIMEOUT)
    wall = time.monotonic() - start
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    assert wall < 10, f"took {wall:.1f} s to abort (limit 10 s)\n{job}"


# -- program modes ------------------------------------------------------------

def test_dash_c_size():
    job = lu.mpirun(2, ["-c", "from mpi4py import MPI; print(MPI.COMM_WORLD.Get_size())"],
                    timeout=TIMEOUT)
    job.check_ok()
    assert nospace(job.stdout) == "22", job


def test_dash_c_ranks():
    job = lu.mpirun(2, ["-c", "from mpi4py import MPI; "
                        "print('rank=%d' % MPI.COMM_WORLD.Get_rank())"],
                    timeout=TIMEOUT)
    job.check_ok()
    assert sorted(re.findall(r"rank=\d", job.out)) == ["rank=0", "rank=1"], job


@cmpi_only
def test_mpi4py_resolves_to_cmpi():
    code = ("import sys, mpi4py; from mpi4py import MPI; import cmpi, cmpi.MPI; "
            "assert MPI is cmpi.MPI, MPI; "
            "import mpi4py.MPI as M2; assert M2 is cmpi.MPI, M2; "
            "print(f'resolved {MPI.__name__} {MPI.COMM_WORLD.Get_rank()}')")
    job = lu.mpirun(2, ["-c", code], timeout=TIMEOUT)
    job.check_ok()
    assert job.out.count("resolved cmpi.MPI ") == 2, job


def test_library_matches_flavor():
    code = ("from mpi4py import MPI; "
            "print('LIB<' + MPI.Get_library_version().splitlines()[0] + '>')")
    job = lu.mpirun(2, ["-c", code], timeout=TIMEOUT)
    job.check_ok()
    assert job.out.count("LIB<") == 2, job
    assert f"LIB<{LIBRARY}" in job.out, f"expected {LIBRARY}\n{job}"


PROBE = """\
    import os, sys
    from mpi4py import MPI
    rank = MPI.COMM_WORLD.Get_rank()
    print(f"<rank={rank} name={__name__} argv0={os.path.basename(sys.argv[0])} "
          f"args={sys.argv[1:]!r}>")
"""


def test_dash_m_module(tmp_path):
    write(tmp_path / "cmpi_probe_mod.py", PROBE)
    env = lu.job_env()
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(tmp_path), env.get("PYTHONPATH", "")] if p)
    job = lu.mpirun(2, ["-m", "cmpi_probe_mod", "x", "y"], timeout=TIMEOUT,
                    env=env)
    job.check_ok()
    for rank in (0, 1):
        line = (f"<rank={rank} name=__main__ argv0=cmpi_probe_mod.py "
                f"args=['x', 'y']>")
        assert job.out.count(line) == 1, f"missing {line!r}\n{job}"


def test_script_with_arguments(tmp_path):
    script = write(tmp_path / "script.py", PROBE + """\
    assert sys.argv[0] == %r, sys.argv
    """ % str(tmp_path / "script.py"))
    job = lu.mpirun(2, [str(script), "arg1", "arg2"], timeout=TIMEOUT)
    job.check_ok()
    for rank in (0, 1):
        line = f"<rank={rank} name=__main__ argv0=script.py args=['arg1', 'arg2']>"
        assert job.out.count(line) == 1, f"missing {line!r}\n{job}"


def test_script_directory_on_sys_path(tmp_path):
    # like "python script.py": the script's directory comes first on sys.path
    write(tmp_path / "cmpi_sibling_helper.py", "VALUE = 41\n")
    script = write(tmp_path / "main.py", """\
        import cmpi_sibling_helper
        from mpi4py import MPI
        print(f"<value={cmpi_sibling_helper.VALUE + MPI.COMM_WORLD.Get_size() - 1}>")
    """)
    job = lu.mpirun(2, [str(script)], timeout=TIMEOUT, cwd="/")
    job.check_ok()
    assert job.out.count("<value=42>") == 2, job


def test_missing_script_fails(tmp_path):
    job = lu.mpirun(2, [str(tmp_path / "no_such_script.py")], timeout=TIMEOUT)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job


# -- exit statuses ------------------------------------------------------------

def test_success_exits_zero(tmp_path):
    script = write(tmp_path / "ok.py", """\
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        total = comm.allreduce(comm.Get_rank() + 1)
        print(f"<total={total}>")
    """)
    job = lu.mpirun(3, [str(script)], timeout=TIMEOUT)
    job.check_ok()
    assert job.out.count("<total=6>") == 3, job


def test_sys_exit_zero_exits_zero(tmp_path):
    script = write(tmp_path / "exit0.py", """\
        import sys
        from mpi4py import MPI
        MPI.COMM_WORLD.barrier()
        sys.exit(0)
    """)
    job = lu.mpirun(2, [str(script)], timeout=TIMEOUT)
    job.check_ok()


def test_sys_exit_nonzero_on_all_ranks(tmp_path):
    script = write(tmp_path / "exit3.py", """\
        import sys
        from mpi4py import MPI
        MPI.COMM_WORLD.barrier()
        sys.exit(3)
    """)
    job = lu.mpirun(2, [str(script)], timeout=TIMEOUT)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job  # 3 preferably; any failure status is accepted


# -- cmpi.install_as_mpi4py() in a plain interpreter --------------------------

INSTALL = """\
    import sys
    import cmpi
    cmpi.install_as_mpi4py()
    from mpi4py import MPI
    import cmpi.MPI
    assert MPI is cmpi.MPI, MPI
    import mpi4py.MPI
    assert mpi4py.MPI is cmpi.MPI, mpi4py.MPI
    comm = MPI.COMM_WORLD
    total = comm.allreduce(1, op=MPI.SUM)
    print(f"<installed rank={comm.Get_rank()} size={comm.Get_size()} total={total}>")
"""


@cmpi_only
@pytest.mark.parametrize("n", [None, 2], ids=["singleton", "mpiexec2"])
def test_install_as_mpi4py(tmp_path, n):
    script = write(tmp_path / "install.py", INSTALL)
    job = lu.mpirun_plain(n, [str(script)], timeout=TIMEOUT)
    job.check_ok()
    size = n or 1
    for rank in range(size):
        assert job.out.count(f"<installed rank={rank} size={size} total={size}>") == 1, job


# -- singleton (no mpiexec) ---------------------------------------------------

def test_singleton_dash_c():
    code = ("from mpi4py import MPI; c = MPI.COMM_WORLD; "
            "print(f'<size={c.Get_size()} rank={c.Get_rank()} "
            "bcast={c.bcast(7, root=0)}>')")
    job = lu.mpirun(None, ["-c", code], timeout=TIMEOUT)
    job.check_ok()
    assert "<size=1 rank=0 bcast=7>" in job.out, job


def test_singleton_script(tmp_path):
    script = write(tmp_path / "single.py", PROBE)
    job = lu.mpirun(None, [str(script), "a"], timeout=TIMEOUT)
    job.check_ok()
    assert "<rank=0 name=__main__ argv0=single.py args=['a']>" in job.out, job


def test_singleton_exception_fails(tmp_path):
    job = lu.mpirun(None, ["-c", "raise ValueError('boom')"], timeout=TIMEOUT)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    assert "ValueError: boom" in job.err, job


# -- mpi4py's own entry points under the alias --------------------------------
# runpy runs a module with ``-m`` through its loader's get_code, which the
# alias must provide (it once failed on every rank with AttributeError:
# '_Mpi4pyAlias' object has no attribute 'get_code').

FUTURES_PROG = """\
    import sys
    from mpi4py.futures import MPIPoolExecutor

    def square(x):
        return x * x

    if __name__ == "__main__":
        with MPIPoolExecutor() as ex:
            print(f"<squares={list(ex.map(square, range(6)))} "
                  f"workers={ex.num_workers} args={sys.argv[1:]}>")
"""


def test_dash_m_mpi4py_futures(tmp_path):
    prog = write(tmp_path / "prog.py", FUTURES_PROG)
    job = lu.mpirun(3, ["-m", "mpi4py.futures", str(prog), "x"], timeout=TIMEOUT)
    job.check_ok()
    assert job.out.count("<squares=[0, 1, 4, 9, 16, 25] workers=2 args=['x']>") == 1, job


THREAD_PROBE = """\
    import sys
    from mpi4py import MPI
    import mpi4py
    print(f"<rank={MPI.COMM_WORLD.Get_rank()} threads={mpi4py.rc.threads!r} "
          f"level={MPI.Query_thread()} single={MPI.THREAD_SINGLE} args={sys.argv[1:]}>")
"""


def test_dash_m_mpi4py_rc(tmp_path):
    prog = write(tmp_path / "prog.py", THREAD_PROBE)
    job = lu.mpirun(2, ["-m", "mpi4py", "-rc", "threads=0", str(prog), "a"],
                    timeout=TIMEOUT)
    job.check_ok()
    for rank in (0, 1):
        line = f"<rank={rank} threads=0 level=0 single=0 args=['a']>"
        assert job.out.count(line) == 1, f"missing {line!r}\n{job}"


@pytest.mark.parametrize("form", [["-rc", "threads=False,thread_level='single'"],
                                  ["--rc=threads=False"], ["--rc", "threads=False"]],
                         ids=["dash", "equals", "double-dash"])
def test_runner_rc_option(tmp_path, form):
    prog = write(tmp_path / "prog.py", THREAD_PROBE)
    job = lu.mpirun(None, form + [str(prog)], timeout=TIMEOUT)
    job.check_ok()
    assert "<rank=0 threads=False level=0 single=0 args=[]>" in job.out, job


@cmpi_only
@pytest.mark.parametrize("args", [["threads=0"], ["threads"], ["nosuchoption=1"], []],
                         ids=["no-program", "no-value", "unknown", "missing"])
def test_runner_rc_option_errors(tmp_path, args):
    job = lu.mpirun(None, ["-rc"] + args, timeout=TIMEOUT)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode not in (0, None), job
    assert "usage:" in job.err, job


@pytest.mark.parametrize("option", ["--version", "-version"])
def test_dash_m_mpi4py_version(option):
    job = lu.mpirun(None, ["-m", "mpi4py", option], timeout=TIMEOUT)
    job.check_ok()
    if lu.REFERENCE:
        assert re.fullmatch(r"mpi4py \d+\.\d+\.\d+\S*\n", job.stdout), job
    else:
        source = (lu.ROOT / "src" / "cmpi" / "__init__.py").read_text()
        version = re.search(r'^__version__ = "([^"]+)"', source, re.M).group(1)
        assert job.stdout == f"cmpi {version}\n", job


def test_dash_m_mpi4py_modes(tmp_path):
    write(tmp_path / "cmpi_probe_mod.py", PROBE)
    script = write(tmp_path / "script.py", PROBE)
    env = lu.job_env()
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(tmp_path), env.get("PYTHONPATH", "")] if p)
    runs = {
        "mpi4py -m": (["-m", "mpi4py", "-m", "cmpi_probe_mod", "p"],
                      "<rank=0 name=__main__ argv0=cmpi_probe_mod.py args=['p']>"),
        "mpi4py -c": (["-m", "mpi4py", "-c", PROBE.replace("    ", ""), "q"],
                      "<rank=0 name=__main__ argv0=-c args=['q']>"),
        "mpi4py.run": (["-m", "mpi4py.run", str(script), "r"],
                       "<rank=0 name=__main__ argv0=script.py args=['r']>"),
    }
    for name, (args, line) in runs.items():
        job = lu.mpirun(None, args, timeout=TIMEOUT, env=env)
        job.check_ok()
        assert line in job.out, f"{name}: missing {line!r}\n{job}"


@cmpi_only
def test_rc_before_futures(tmp_path):
    """-rc reaches MPI through ``python -m cmpi -rc ... -m mpi4py.futures``;
    ``python -m cmpi.futures -rc`` is refused, not ignored: importing the
    package has initialized MPI already."""
    prog = write(tmp_path / "prog.py", THREAD_PROBE)
    job = lu.mpirun(None, ["-rc", "threads=False", "-m", "mpi4py.futures", str(prog)],
                    timeout=TIMEOUT)
    job.check_ok()
    assert "<rank=0 threads=False level=0 single=0 args=[]>" in job.out, job
    job = lu.run([lu.python(), "-m", "cmpi.futures", "-rc", "threads=False", str(prog)],
                 timeout=TIMEOUT)
    assert job.returncode == 2 and "-rc comes too late here" in job.err, job
    assert "<rank=" not in job.out, job
