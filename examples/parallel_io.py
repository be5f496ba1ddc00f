"""Parallel I/O: every rank writes its slice of one NumPy array into a
single file with one collective write; rank 0 then reads the file back and
checks it.

This is the pattern the trainings recommend for output: do not let every
process open and write its own file, and do not funnel all data through one
rank; let a parallel I/O library (here MPI-IO) put each rank's part at its
place in one shared file.

    mpiexec -n 4 python -m cmpi examples/parallel_io.py [elements-per-rank] [path]
"""

import os
import sys
import tempfile

import numpy as np
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000  # elements per rank
if len(sys.argv) > 2:
    path = sys.argv[2]
else:
    # One name for all ranks: rank 0 picks it, everyone else is told.
    path = None
    if rank == 0:
        fd, path = tempfile.mkstemp(prefix="parallel_io-", suffix=".dat")
        os.close(fd)
    path = comm.bcast(path, root=0)

# This rank's slice of the global array 0, 1, ..., size*n - 1.
local = np.arange(rank * n, (rank + 1) * n, dtype="f8")

amode = MPI.MODE_WRONLY | MPI.MODE_CREATE
fh = MPI.File.Open(comm, path, amode)
fh.Set_size(0)  # in case the file existed and was longer
offset = rank * local.nbytes  # where this slice goes, in bytes
fh.Write_at_all(offset, local)  # collective: MPI-IO may merge the writes
fh.Close()

if rank == 0:
    data = np.fromfile(path, dtype="f8")
    expected = np.arange(size * n, dtype="f8")
    ok = data.shape == expected.shape and np.array_equal(data, expected)
    print(f"{size} ranks wrote {data.nbytes} bytes into {os.path.basename(path)}: "
          f"{'OK' if ok else 'MISMATCH'}")
    if len(sys.argv) <= 2:
        os.remove(path)
    if not ok:
        sys.exit(1)
