#!/usr/bin/env python3
"""String matching, the trainings' MPI version (their 6-9): rank 0 reads the
data and broadcasts it, every rank matches one contiguous chunk of the left
strings against all right strings, and rank 0 gathers the results.

The chunks hold equal numbers of rows (the last one takes the remainder), but
not equal work: matching costs depend on the strings, so some ranks finish
early and wait.  balanced.py hands out work as ranks become free.

    mpiexec -n 4 python -m cmpi static.py [--repeat N] ...
    srun --mpi=pmix python -u -m cmpi static.py
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strmatch as sm  # noqa: E402  (sets the BLAS threads before NumPy)

from mpi4py import MPI  # noqa: E402  (run under `python -m cmpi`: this is cmpi)


def main(argv=None):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    args = sm.add_arguments(argparse.ArgumentParser(description=__doc__)).parse_args(argv)

    data = sm.load(args) if rank == 0 else None
    comm.Barrier()
    t0 = time.perf_counter()
    what, li, ls, ri, rs = comm.bcast(data, root=0)

    chunk = len(ls) // size
    start = rank * chunk
    stop = len(ls) if rank == size - 1 else start + chunk

    t1 = time.perf_counter()
    matcher = sm.Matcher(rs, args.threshold, args.kernel, args.workers)
    local = matcher.match(ls[start:stop], offset=start)
    busy = time.perf_counter() - t1

    results = comm.gather((local, busy, stop - start), root=0)
    if rank == 0:
        elapsed = time.perf_counter() - t0
        total = sm.Result()
        for res, _, _ in results:
            total.merge(res)
        sm.report("static split", what, size, matcher.workers, args.kernel,
                  li, ls, ri, rs, total, elapsed, args.threshold)
        busy_times = [b for _, b, _ in results]
        sys.stdout.write("rank compute times: "
                         + " ".join(f"{b:.2f}" for b in busy_times)
                         + f" s (rows per rank {results[0][2]}..{results[-1][2]})\n")


if __name__ == "__main__":
    main()
