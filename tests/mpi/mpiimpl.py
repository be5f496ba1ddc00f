"""Import policy for the MPI test suite.

``from mpiimpl import MPI`` gives ``cmpi.MPI`` unless ``CMPI_TEST_IMPL`` is
``mpi4py``, in which case the reference ``mpi4py.MPI`` is tested instead, so
that every test doubles as a compatibility check against mpi4py.
"""

import os

IMPL = os.environ.get("CMPI_TEST_IMPL", "cmpi")
if IMPL == "mpi4py":
    from mpi4py import MPI
elif IMPL == "cmpi":
    from cmpi import MPI
else:
    raise ImportError(f"CMPI_TEST_IMPL={IMPL!r}: expected 'cmpi' or 'mpi4py'")

#: True when testing cmpi; guards the few checks where cmpi promises more
#: than the reference (e.g. a count larger than the buffer is rejected).
IS_CMPI = MPI.__name__.startswith("cmpi")

__all__ = ["MPI", "IMPL", "IS_CMPI"]
