"""Shared memory: the ranks of one node share one NumPy array through an
MPI window allocated with Win.Allocate_shared.

Rank 0 of the node allocates the whole array; the others allocate nothing
and ask Shared_query(0) where it is, so every rank gets a NumPy view of the
same physical memory.  Each rank fills its own part, the ranks
synchronize, and each then reads what the others wrote, with no message
passing.

    mpiexec -n 4 python -m cmpi examples/shared_memory.py [elements-per-rank]
"""

import sys

import numpy as np
from mpi4py import MPI

world = MPI.COMM_WORLD
n = int(sys.argv[1]) if len(sys.argv) > 1 else 10  # elements per rank

# Shared memory works only between processes of one node.  Split the world
# into per-node communicators; an MPI without COMM_TYPE_SHARED (or an old
# binding) gets COMM_WORLD, which is fine when every rank is on one node.
if hasattr(MPI, "COMM_TYPE_SHARED") and hasattr(world, "Split_type"):
    node = world.Split_type(MPI.COMM_TYPE_SHARED)
else:
    node = world
rank, size = node.Get_rank(), node.Get_size()

itemsize = MPI.DOUBLE.Get_size()
nbytes = size * n * itemsize if rank == 0 else 0
win = MPI.Win.Allocate_shared(nbytes, itemsize, comm=node)
buf, unit = win.Shared_query(0)  # rank 0's memory, mapped into this process
assert unit == itemsize
array = np.ndarray(buffer=buf, dtype="f8", shape=(size, n))

win.Fence()
array[rank, :] = rank + np.arange(n) / n  # write my row directly
win.Fence()  # everyone's writes are now visible to everyone

total = array.sum()
expected = sum(r * n + (n - 1) / 2 for r in range(size))
ok = np.isclose(total, expected) and np.allclose(array[:, 0], np.arange(size))
print(f"rank {rank} of {size} sees the shared array: sum {total:.1f} "
      f"{'OK' if ok else 'MISMATCH'}")

del array, buf  # no views of the window memory may outlive the window
win.Free()
if node is not world:
    node.Free()
