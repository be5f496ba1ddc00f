#!/usr/bin/env python3
"""``make demo``: the string-matching use case at 2 and 4 ranks, next to the
trainings' figures.

Runs balanced.py under mpiexec (cmpi built against the chosen MPI) on the
trainings' data when it is there (``../shared/data`` beside the repository,
or the folder ``STRMATCH_DATA`` names), else on generated sentences, shows
its progress, and prints its result and a table of times beside the
trainings' table.

    python examples/string_matching/demo.py [--mpi openmpi|mpich] [--np 2 4] [--repeat N]
                                            [--profile DIR]

``--profile DIR`` (``make demo-profile``) runs each job with cmpi's profile
and timeline (``python -m cmpi --profile --trace``) and leaves in DIR, per
rank count N, ``cmpi-profile-npN.json``, ``trace-npN.json``, the table
``profile-npN.txt`` and the per-rank picture ``profile-npN.png``
(``python -m cmpi.profile report --plot``).
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def mpi_env(flavor):
    env = dict(os.environ)
    if flavor == "openmpi":
        # root and more ranks than cores need Open MPI's consent; yielding
        # keeps idle ranks from spinning on the shared cores
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
        env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
        env.setdefault("OMPI_MCA_mpi_yield_when_idle", "1")
    return env


def launcher(flavor, n):
    if flavor == "openmpi":
        return ["mpiexec.openmpi", "--oversubscribe", "-n", str(n)]
    return ["mpiexec.mpich", "-n", str(n)]


def _python(flavor):
    python = ROOT / ".venv" / flavor / "bin" / "python"
    return python if python.exists() else Path(sys.executable)


def run(flavor, n, extra, progress, profile_dir=None):
    python = _python(flavor)
    env = mpi_env(flavor)
    runner = []
    if profile_dir is not None:
        runner = ["--profile", "--trace", str(profile_dir / f"trace-np{n}.json")]
        env["CMPI_PROFILE_FILE"] = str(profile_dir / f"cmpi-profile-np{n}.json")
    cmd = launcher(flavor, n) + [str(python), "-u", "-m", "cmpi", *runner,
                                 str(HERE / "balanced.py"), "--progress", progress, *extra]
    print(f"\n$ {' '.join(cmd)}", flush=True)
    t0 = time.perf_counter()
    # progress goes to stderr, straight to the terminal; the result is read
    # from stdout and shown as it comes
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    out = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        out.append(line)
    try:
        proc.wait(timeout=3600)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"demo: {cmd[0]} exited with status {proc.returncode}")
    text = "".join(out)
    count = int(re.search(r"pairs with ratio > [0-9.]+: (\d+)", text).group(1))
    secs = float(re.search(r"^time: ([0-9.]+) s", text, re.M).group(1))
    pairs = int(re.search(r"pairs compared: ([0-9,]+)", text).group(1).replace(",", ""))
    data = re.search(r"^data: (.*):", text, re.M).group(1)
    if profile_dir is not None:
        report(flavor, n, profile_dir)
    return {"n": n, "count": count, "secs": secs, "pairs": pairs, "wall": wall, "data": data}


def report(flavor, n, profile_dir):
    """The profile's table to profile-npN.txt and its picture to
    profile-npN.png (python -m cmpi.profile report --plot)."""
    cmd = [str(_python(flavor)), "-m", "cmpi.profile", "report",
           str(profile_dir / f"cmpi-profile-np{n}.json"),
           "--plot", str(profile_dir / f"profile-np{n}.png")]
    print(f"$ {' '.join(cmd)}", flush=True)
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"demo: the profile report failed (status {done.returncode})")
    table = "".join(line for line in done.stdout.splitlines(keepends=True)
                    if not line.startswith("plot written to"))
    (profile_dir / f"profile-np{n}.txt").write_text(table)
    sys.stdout.write(done.stdout)


def table(results, flavor):
    sys.path.insert(0, str(HERE))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from strmatch import TRAININGS

    rows = [("the trainings (MeluXina)", "", "", "", "", "")]
    for version, pairs, nodes, tasks, cpus, secs in TRAININGS:
        rows.append((f"  {version}", f"{pairs:,}", str(nodes), str(tasks), str(cpus),
                     f"{secs:,.2f}"))
    rows.append((f"cmpi on this machine (2 cores, {flavor})", "", "", "", "", ""))
    for r in results:
        rows.append((f"  balanced.py, {r['count']:,} matches", f"{r['pairs']:,}", "1",
                     str(r["n"]), "1", f"{r['secs']:,.2f}"))
    head = ("version", "pairs", "nodes", "tasks", "cpus/task", "seconds")
    widths = [max(len(row[i]) for row in rows + [head]) for i in range(6)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mpi", choices=("openmpi", "mpich"), default="openmpi")
    p.add_argument("--np", type=int, nargs="+", default=[2, 4])
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--profile", metavar="DIR", type=Path, default=None,
                   help="run with cmpi's profile and timeline, results in DIR")
    args, extra = p.parse_known_args(argv)
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    if args.repeat > 1:
        extra += ["--repeat", str(args.repeat)]
    progress = "bar" if sys.stderr.isatty() else "lines"
    results = [run(args.mpi, n, extra, progress, args.profile) for n in args.np]
    print(f"\nString matching, Levenshtein ratio > 0.8 over all pairs; data: {results[0]['data']}")
    print(table(results, args.mpi))
    counts = {r["count"] for r in results}
    if len(counts) != 1:
        raise SystemExit(f"demo: the runs disagree on the count: {sorted(counts)}")


if __name__ == "__main__":
    main()
