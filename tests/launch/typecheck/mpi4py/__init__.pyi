# Type-checking only (tests/launch/test_stubs.py): programs written for
# mpi4py run on cmpi unchanged (``python -m cmpi``), so mypy reads their
# ``from mpi4py import MPI`` as cmpi's own stub.
from cmpi import *
