"""In-process A/B of the lowercase send/recv on the objects csrc/objcodec.c
encodes, and a few it leaves to pickle: mpi4py and cmpi in the same two
processes, the same objects, back to back in each round; the ratio is the
median of the per-round ratios (the method of ../shared/bench/README.md,
which keeps machine-state drift out of the comparison).

    PYTHONPATH=<mpi4py site-packages> mpiexec -n 2 -x PYTHONPATH \\
        .venv/openmpi/bin/python benchmarks/ab_objects.py [--rounds 7]

Timings only: nothing here is a pass/fail test.
"""

import argparse
import statistics
import time

import numpy as np
from cmpi import MPI as B
from mpi4py import MPI as A

OBJECTS = {
    "int": 5,
    "float": 2.5,
    "str 16": "abcdefghijklmnop",
    "small dict": {"a": 7, "b": 3.14},
    "tuple of 3": (1, "x", None),
    "list of 100 floats": [float(i) for i in range(100)],
    "dict of 10 lists": {str(i): [i, i + 0.5] for i in range(10)},
    "ndarray 8 B": np.zeros(8, np.uint8),
    "ndarray 1 KiB f8": np.zeros(128),
    "ndarray F 4x4": np.asfortranarray(np.zeros((4, 4))),
    "numpy float64": np.float64(1.5),
    "pickle: big int": 2**80,
    "pickle: complex": 1 + 2j,
}


def pingpong(comm, obj, n):
    rank = comm.Get_rank()
    peer = 1 - rank
    comm.Barrier()
    t0 = time.perf_counter()
    for _ in range(n):
        if rank == 0:
            comm.send(obj, peer, 1)
            comm.recv(source=peer, tag=1)
        else:
            comm.recv(source=peer, tag=1)
            comm.send(obj, peer, 1)
    return (time.perf_counter() - t0) / n / 2 * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--iters", type=int, default=2000)
    args = parser.parse_args()
    ca, cb = A.COMM_WORLD, B.COMM_WORLD
    times = {}
    for _ in range(args.rounds):
        for name, obj in OBJECTS.items():
            ta = pingpong(ca, obj, args.iters)
            tb = pingpong(cb, obj, args.iters)
            times.setdefault(name, []).append((tb, ta))
    if ca.Get_rank() == 0:
        print(f"{'send/recv of':22} {'cmpi us':>9} {'mpi4py us':>9} {'cmpi/mpi4py':>11}"
              f"   (one way; medians of {args.rounds} rounds)")
        for name, v in times.items():
            print(f"{name:22} {statistics.median(x for x, _ in v):9.2f} "
                  f"{statistics.median(y for _, y in v):9.2f} "
                  f"{statistics.median(x / y for x, y in v):11.2f}")


if __name__ == "__main__":
    main()
