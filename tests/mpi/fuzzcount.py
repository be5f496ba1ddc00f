"""Generated-case counts of the property-based (hypothesis) fuzz tests.

Each fuzz test adds the cases it ran; the last fuzz test
(test_fuzz_pickle.py::test_fuzz_case_count) sums them over the ranks,
prints the total and checks it reaches ``MINIMUM`` per run of tests/mpi.

The cases of a test that fuzzes on COMM_SELF are split over the ranks (each
rank a different seed), so a run at any number of ranks generates about the
same number of distinct cases; a test whose cases all ranks share (they
communicate over COMM_WORLD) counts its cases once.
"""

import os

from mpiimpl import MPI

# Quotas below total 12,800 cases; a run of tests/mpi generates them times
# CMPI_FUZZ_SCALE, by default 0.2 (2,560 cases): `make test` runs tests/mpi
# ten times (1-4 ranks under each MPI, and the two ASan runs), which makes
# over 25,000 cases per CI run, each run printing its own count, at a cost
# of ~10 s per run.  CMPI_FUZZ_SCALE=1 makes one run generate all 12,800.
SCALE = float(os.environ.get("CMPI_FUZZ_SCALE") or 0.2)
MINIMUM = int(10_000 * SCALE)
RANK = MPI.COMM_WORLD.Get_rank()
SIZE = MPI.COMM_WORLD.Get_size()

#: test name -> cases generated on this rank (split tests) or per run
#: (shared tests, counted on rank 0 only)
COUNTS = {}  # type: ignore[var-annotated]
#: the tests every full run must have run, with their per-run quota
QUOTAS = {}  # type: ignore[var-annotated]


def quota(name, per_run, shared=False):
    """Examples this rank generates for test ``name`` (``per_run`` in all)."""
    per_run = max(1, int(per_run * SCALE))
    QUOTAS[name] = per_run
    COUNTS.setdefault(name, 0)
    return per_run if shared else max(1, -(-per_run // SIZE))


def add(name, shared=False):
    if not shared or RANK == 0:
        COUNTS[name] = COUNTS.get(name, 0) + 1
