"""Prints one line per rank and exits non-zero unless the world has the size
the test asked for (argv[1]).  A launcher with the wrong PMI plugin starts N
independent copies of rank 0 in worlds of size 1, and exits 0 without this."""
import sys

from mpi4py import MPI  # cmpi under `python -m cmpi`

expected = int(sys.argv[1])
comm = MPI.COMM_WORLD
total = comm.allreduce(1)
ok = comm.Get_size() == expected and total == expected
# one write per line: ranks' lines must not interleave
sys.stdout.write(f"world rank {comm.Get_rank()} size {comm.Get_size()} expected {expected} "
                 f"host {MPI.Get_processor_name()} ok={ok}\n")
sys.stdout.flush()
sys.exit(0 if ok else 1)
