#!/usr/bin/env python3
"""cmpi against mpi4py with more ranks than cores (the yield mode).

    python3 benchmarks/oversubscribed.py [--mpi mpich] [--np 3] [--runs 3]

Runs the same small job (Barrier, allreduce of an int, Bcast of 8 KiB,
Win.Fence + Put + Fence) under both bindings, alternating launch by launch
(cmpi mpi4py cmpi mpi4py ...), and prints the median of each per-call
time and the ratio mpi4py/cmpi.  mpi4py comes from
benchmarks/.venv-mpi4py-<mpi> (made by compare.py).  On a 2-core machine
the default 3 ranks oversubscribe it: MPICH's blocking calls never yield,
so mpi4py waits for a scheduler tick at every step, while cmpi polls and
yields (see README, "More ranks than cores").
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

JOB = r"""
import array, json, sys, time
if sys.argv[1] == "mpi4py":
    from mpi4py import MPI
else:
    from cmpi import MPI
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
buf = array.array("i", [0] * size)
win = MPI.Win.Create(buf, disp_unit=4, comm=comm)
payload = bytearray(8192)
one = array.array("i", [1])

def per_call(fn, n):
    comm.Barrier()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n * 1e6

def fence_round():
    win.Fence()
    win.Put(one, (rank + 1) % size, target=rank)
    win.Fence()

n = int(sys.argv[2])
out = {
    "Barrier": per_call(comm.Barrier, n),
    "allreduce(int)": per_call(lambda: comm.allreduce(rank), n),
    "Bcast 8 KiB": per_call(lambda: comm.Bcast(payload), n),
    "Fence+Put+Fence": per_call(fence_round, max(1, n // 4)),
}
win.Free()
if rank == 0:
    print("RESULT " + json.dumps(out), flush=True)
"""


def launcher(mpi):
    if mpi == "mpich":
        return ["mpiexec.mpich"], {}
    return ["mpiexec", "--oversubscribe"], {
        "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mpi", default="mpich", choices=["mpich", "openmpi"])
    ap.add_argument("--np", type=int, default=3)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    pythons = {
        "cmpi": ROOT / ".venv" / args.mpi / "bin" / "python",
        "mpi4py": HERE / f".venv-mpi4py-{args.mpi}" / "bin" / "python",
    }
    for name, py in pythons.items():
        if not py.exists():
            sys.exit(f"{py} is missing: run tools/setup.sh {args.mpi} (cmpi) "
                     f"and benchmarks/compare.py --mpi {args.mpi} once (mpi4py)")
    job = Path("/tmp") / "cmpi-oversubscribed-job.py"
    job.write_text(JOB)
    cmd, env_extra = launcher(args.mpi)
    env = dict(os.environ, **env_extra)
    results = {name: [] for name in pythons}
    for run in range(args.runs):
        for name, py in pythons.items():
            proc = subprocess.run(
                cmd + ["-n", str(args.np), str(py), str(job), name, str(args.calls)],
                capture_output=True, text=True, env=env, timeout=600)
            line = next((l for l in proc.stdout.splitlines() if l.startswith("RESULT ")), None)
            if proc.returncode != 0 or line is None:
                sys.exit(f"{name} run failed:\n{proc.stdout}\n{proc.stderr}")
            results[name].append(json.loads(line[7:]))
    print(f"{args.mpi}, {args.np} ranks, {os.cpu_count()} cores, medians of {args.runs} "
          f"alternating launches (us per call)")
    print(f"{'call':20s} {'cmpi':>10s} {'mpi4py':>10s} {'mpi4py/cmpi':>12s}")
    for call in results["cmpi"][0]:
        c = statistics.median(r[call] for r in results["cmpi"])
        m = statistics.median(r[call] for r in results["mpi4py"])
        print(f"{call:20s} {c:10.1f} {m:10.1f} {m / c:12.1f}")


if __name__ == "__main__":
    main()
