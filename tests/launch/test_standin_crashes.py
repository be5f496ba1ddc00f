"""Crashes the API fuzzer found once the stand-ins were implemented, each
run as a real job under mpiexec with a timeout, so that a regression fails
the test instead of killing the suite:

* MPICH 4.0 segfaults in MPI_Error_string/MPI_Error_class on a dynamic
  error code it did not make, once a program has added an error class
  (Add_error_class): cmpi answers such a code itself.
* Open MPI 4.1 segfaults after Win.Flush(PROC_NULL) inside Lock_all: the
  sync calls refuse PROC_NULL with MPI.Exception(ERR_RANK).
* MPICH 4.0 segfaults in MPI_Psend_init/MPI_Precv_init on PROC_NULL (where
  the library has partitioned communication): refused the same way.

Without the fixes each program dies on a signal (exit status 139 or the
like) instead of printing its DONE line.
"""

import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

ERROR_CODES = r'''
from cmpi import MPI
errclass = MPI.Add_error_class()
code = MPI.Add_error_code(errclass)
for bad in (2**31 - 1, -1, errclass + 1 if errclass & (1 << 30) else 1 << 30):
    try:
        MPI.Get_error_string(bad)  # a negative code is ERR_ARG, as in mpi4py
    except MPI.Exception:
        assert bad < 0
    str(MPI.Exception(bad))
    try:
        MPI.Get_error_class(bad)
    except MPI.Exception:
        pass
assert MPI.Get_error_class(code) == errclass
print("DONE", flush=True)
'''

WIN_FLUSH = r'''
from cmpi import MPI
win = MPI.Win.Allocate(8, comm=MPI.COMM_WORLD)
win.Lock_all()
for sync in (win.Flush, win.Flush_local):
    try:
        sync(MPI.PROC_NULL)
        raise SystemExit("PROC_NULL accepted")
    except MPI.Exception as exc:
        assert exc.Get_error_class() == MPI.ERR_RANK, exc
        assert "PROC_NULL" in str(exc), exc
win.Unlock_all()
win.Free()
print("DONE", flush=True)
'''

PARTITIONED = r'''
from cmpi import MPI
comm = MPI.COMM_WORLD
for init in (comm.Psend_init, comm.Precv_init):
    try:
        init(bytearray(8), 2, MPI.PROC_NULL)
        raise SystemExit("PROC_NULL accepted")
    except NotImplementedError:
        pass  # the library has no partitioned communication
    except MPI.Exception as exc:
        assert exc.Get_error_class() == MPI.ERR_RANK, exc
print("DONE", flush=True)
'''


def _run(tmp_path, name, program):
    script = tmp_path / f"{name}.py"
    script.write_text(textwrap.dedent(program))
    job = lu.mpirun(2, [str(script)], timeout=90)
    assert not job.timed_out, job
    assert job.out.count("DONE") == 2, job
    job.check_ok()


def test_unknown_dynamic_error_code(tmp_path):
    _run(tmp_path, "codes", ERROR_CODES)


def test_win_sync_proc_null(tmp_path):
    _run(tmp_path, "flush", WIN_FLUSH)


def test_partitioned_proc_null(tmp_path):
    _run(tmp_path, "part", PARTITIONED)
