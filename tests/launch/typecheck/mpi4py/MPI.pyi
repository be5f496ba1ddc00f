# See __init__.pyi: ``mpi4py.MPI`` is ``cmpi.MPI`` for the type check.
from cmpi.MPI import *
