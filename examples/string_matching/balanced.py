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
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strmatch as sm  # noqa: E402  (sets the BLAS threads before NumPy)

from mpi4py import MPI  # noqa: E402  (run under `python -m cmpi`: this is cmpi)

TASK, RESULT = 1, 2
AHEAD = 2           # chunks each worker holds: one running, one queued


def chunks(n, size, rows=None):
    """(start, stop) ranges: about 16 per rank, at least 1 row each."""
    if rows is None:
        rows = max(1, -(-n // (16 * size)))
    return [(a, min(n, a + rows)) for a in range(0, n, rows)]


def coordinator(comm, matcher, left, tasks, progress):
    """Rank 0: hand out chunks, match some itself, collect every result."""
    size = comm.Get_size()
    todo = deque(tasks)
    total = sm.Result()
    outstanding = 0                 # chunks handed to workers, not yet back
    pairs_per_row = len(matcher.right)

    def reply(dest):
        nonlocal outstanding
        task = todo.popleft() if todo else None
        comm.send(task, dest=dest, tag=TASK)
        if task is not None:
            outstanding += 1

    for _ in range(AHEAD):
        for worker in range(1, size):
            reply(worker)

    status = MPI.Status()

    def collect(block):
        nonlocal outstanding
        while outstanding and (block or comm.iprobe(source=MPI.ANY_SOURCE, tag=RESULT,
                                                    status=status)):
            src = status.Get_source() if not block else MPI.ANY_SOURCE
            res, rows = comm.recv(source=src, tag=RESULT, status=status)
            outstanding -= 1
            total.merge(res)
            progress.add(rows * pairs_per_row)
            reply(status.Get_source())

    while todo:
        collect(block=False)
        if not todo:
            break
        a, b = todo.pop()          # rank 0 takes from the back
        total.merge(matcher.match(left[a:b], offset=a))
        progress.add((b - a) * pairs_per_row)
    collect(block=True)
    return total


def worker(comm, matcher, left):
    """Other ranks: match the chunks rank 0 sends until it sends None."""
    queued = deque(comm.recv(source=0, tag=TASK) for _ in range(AHEAD))
    pending = deque()                # irecvs for the replies to our results
    while True:
        if not queued:
            queued.append(pending.popleft().wait())
        task = queued.popleft()
        if task is None:
            break
        a, b = task
        res = matcher.match(left[a:b], offset=a)
        comm.send((res, b - a), dest=0, tag=RESULT)
        pending.append(comm.irecv(source=0, tag=TASK))
    # rank 0 answers every result; once it answered None it has no more
    # chunks, so the replies still on their way are None too
    for req in pending:
        req.wait()
    for task in queued:
        assert task is None, task


def main(argv=None):
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    parser = sm.add_arguments(argparse.ArgumentParser(description=__doc__))
    parser.add_argument("--chunk", type=int, default=None,
                        help="left rows per chunk (default: about 16 chunks per rank)")
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "none"),
                        default="auto")
    args = parser.parse_args(argv)

    data = sm.load(args) if rank == 0 else None
    comm.Barrier()
    t0 = time.perf_counter()
    what, li, ls, ri, rs = comm.bcast(data, root=0)
    matcher = sm.Matcher(rs, args.threshold, args.kernel, args.workers)
    tasks = chunks(len(ls), size, args.chunk)

    if rank == 0:
        progress = sm.Progress(len(ls) * len(rs), args.progress)
        if size == 1:
            total = sm.Result()
            for a, b in tasks:
                total.merge(matcher.match(ls[a:b], offset=a))
                progress.add((b - a) * len(rs))
        else:
            total = coordinator(comm, matcher, ls, tasks, progress)
        elapsed = time.perf_counter() - t0
        sm.report("balanced (dynamic chunks)", what, size, matcher.workers,
                  args.kernel, li, ls, ri, rs, total, elapsed, args.threshold)
    else:
        worker(comm, matcher, ls)


if __name__ == "__main__":
    main()
