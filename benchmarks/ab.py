#!/usr/bin/env python3
"""The in-process A/B benchmark (``python -m cmpi.bench ab``), with its results file.

    python3 benchmarks/ab.py [--mpi openmpi|mpich] [--np 2 4] [--rounds 7]

Sets up benchmarks/.venv-mpi4py-<mpi> if missing (mpi4py built from source
against the same MPI, as compare.py does), builds benchmarks/abloop.c (the
C loops) with the MPI's mpicc, then runs ``python -m cmpi.bench ab`` with
cmpi's interpreter and mpi4py on PYTHONPATH at each rank count, and writes
the tables to benchmarks/results/ab-<mpi>.md (and the raw JSON next to it).
Both bindings and C are timed inside the same MPI processes, back to back,
round after round; see src/cmpi/bench_ab.py.  Timings never go into tests.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))
from compare import cmpi_python, launcher, mpi4py_python  # noqa: E402
from launcher import mpi_env  # noqa: E402


def build_loop(mpi):
    out = HERE / "build"
    out.mkdir(exist_ok=True)
    so = out / f"abloop.{mpi}.so"
    src = HERE / "abloop.c"
    if not so.exists() or so.stat().st_mtime < src.stat().st_mtime:
        subprocess.run([f"mpicc.{mpi}", "-O2", "-Wall", "-shared", "-fPIC",
                        "-o", str(so), str(src)], check=True)
    return str(so)


def site_packages(python):
    return subprocess.run(
        [python, "-c", "import mpi4py, os; print(os.path.dirname(os.path.dirname(mpi4py.__file__)))"],
        capture_output=True, text=True, check=True).stdout.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mpi", choices=["openmpi", "mpich"], default="openmpi")
    p.add_argument("--np", type=int, nargs="+", default=[2, 4])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--rows", help="comma list of row-name fragments")
    p.add_argument("--out", help="results file (default benchmarks/results/ab-<mpi>.md)")
    args = p.parse_args()
    m4 = mpi4py_python(args.mpi)
    so = build_loop(args.mpi)
    env = dict(mpi_env(args.mpi), PYTHONPATH=site_packages(m4))
    out = Path(args.out or HERE / "results" / f"ab-{args.mpi}.md")
    out.parent.mkdir(exist_ok=True)
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip()
    version = subprocess.run([m4, "-c", "import mpi4py; print(mpi4py.__version__)"],
                             capture_output=True, text=True).stdout.strip()
    parts = [f"# In-process A/B: cmpi against mpi4py {version} and C ({args.mpi})", "",
             f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
             f"cmpi at {rev}, {os.cpu_count()} cores; regenerate with "
             f"`python3 benchmarks/ab.py --mpi {args.mpi}`.",
             "Per row: medians over rounds of the time per one-way message or per call "
             "(slowest rank); `cmpi / mpi4py` is the median of the per-round ratios "
             "(lower is better), `cmpi bandwidth / C` the median of C time / cmpi time "
             "(higher is better; C's loops are benchmarks/abloop.c, timed in the same "
             "processes).", ""]
    raw = {}
    for n in args.np:
        js = out.with_name(f"ab-{args.mpi}-np{n}.json")
        cmd = launcher(args.mpi, n) + [cmpi_python(args.mpi), "-m", "cmpi.bench",
                                       "--json", str(js), "ab", "--rounds", str(args.rounds),
                                       "--scale", str(args.scale), "--c-loop", so]
        if args.rows:
            cmd += ["--rows", args.rows]
        print("#", " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3600)
        if proc.returncode:
            sys.exit(f"ab at {n} ranks failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        print(proc.stdout, flush=True)
        parts += [proc.stdout.strip(), ""]
        raw[n] = json.loads(js.read_text())
    out.write_text("\n".join(parts))
    print(f"# wrote {out}")


if __name__ == "__main__":
    main()
