"""Run pytest on one rank of an MPI job (started by tests/run_suite.py).

Every rank runs the same tests.  Each rank writes a JUnit XML report of its
own; rank 0 also prints pytest's terminal report, the other ranks write
theirs to a log file beside the XML, so the job's output stays readable.

    mpiexec -n N python tests/mpi_pytest.py OUTDIR [pytest args...]
"""

import os
import sys


def world_rank():
    for var in ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"):
        if var in os.environ:
            return int(os.environ[var])
    return 0


def main():
    outdir, args = sys.argv[1], sys.argv[2:]
    rank = world_rank()
    os.makedirs(outdir, exist_ok=True)
    xml = os.path.join(outdir, f"rank{rank}.xml")
    if rank != 0:
        log = open(os.path.join(outdir, f"rank{rank}.log"), "w")
        os.dup2(log.fileno(), 1)
        sys.stdout = os.fdopen(1, "w", buffering=1)
    # pytest keeps each test module with its asserts rewritten as a .pyc in
    # tests/*/__pycache__, unless bytecode writing is off, as it is where
    # PYTHONDONTWRITEBYTECODE is set (CI machines): then every rank of every
    # run rewrote all of tests/mpi again, about 5 s of CPU per rank (twice
    # that at 4 ranks on 2 cores, fifty times that under valgrind).  Each
    # rank writes its own file and renames it into place, so ranks that
    # write at once do not clash.
    sys.dont_write_bytecode = False
    import pytest

    code = pytest.main(["-p", "no:cacheprovider", "--color=no", f"--junitxml={xml}", *args])
    sys.stdout.flush()
    # Exit codes: 0 all passed, 1 some failed, 5 nothing collected.
    sys.exit(0 if code in (0, 1, 5) else int(code))


if __name__ == "__main__":
    main()
