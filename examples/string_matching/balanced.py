#!/usr/bin/env python3
"""String matching, balanced: the left strings are cut into many small chunks
that rank 0 hands out as ranks become free (dynamic scheduling with lowercase
send/recv), so no rank idles while another still has a long chunk.

Rank 0 works on chunks too, and between two of its own chunks answers the
other ranks.  Each rank holds two chunks ahead, so it never waits for rank 0
to finish a chunk before getting the next one.  Rank 0 shows the progress:
a bar on a terminal, otherwise a line at each further 10 %.

    mpiexec -n 4 python -m cmpi balanced.py [--repeat N] [--chunk ROWS] ...
    srun --mpi=pmix python -u -m cmpi balanced.py
"""

import argparse
import os
import sys
import time
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import strmatch as sm  # noqa: E402  (sets the BLAS threads before NumPy)
import dynamic  # noqa: E402

from mpi4py import MPI  # noqa: E402  (run under `python -m cmpi`: this is cmpi)


def chunks(n, size, rows=None):
    """(start, stop) ranges: about 16 per rank, at least 1 row each."""
    if rows is None:
        rows = max(1, -(-n // (16 * size)))
    return [(a, min(n, a + rows)) for a in range(0, n, rows)]


def main(argv=None):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    parser = sm.add_arguments(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--chunk", type=int, default=None,
                        help="left rows per chunk (default: about 16 chunks per rank)")
    args = parser.parse_args(argv)

    data = sm.load(args) if rank == 0 else None
    comm.Barrier()
    t0 = time.perf_counter()
    what, li, ls, ri, rs = comm.bcast(data, root=0)
    matcher = sm.Matcher(rs, args.threshold, args.kernel, args.workers)
    tasks = chunks(len(ls), size, args.chunk)

    total = sm.Result()
    progress = sm.Progress(len(ls) * len(rs), args.progress if rank == 0 else "none")

    def work(task):
        a, b = task
        return matcher.match(ls[a:b], offset=a)

    def on_result(task, result):
        total.merge(result)
        progress.add((task[1] - task[0]) * len(rs))

    dynamic.run(comm, tasks, work, on_result)
    if rank == 0:
        elapsed = time.perf_counter() - t0
        sm.report("balanced (dynamic chunks)", what, size, matcher.workers,
                  args.kernel, li, ls, ri, rs, total, elapsed, args.threshold)


if __name__ == "__main__":
    main()
