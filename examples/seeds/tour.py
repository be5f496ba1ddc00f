#!/usr/bin/env python3
"""Run every training example under ``python -m cmpi`` and show its output.

    python examples/seeds/tour.py [--mpi openmpi|mpich] [--np N] [EXAMPLE ...]

Each example is launched as ``mpiexec -n N <python> -m cmpi example.py``,
with the launcher, interpreter and environment of tests/launcher.py for the
chosen MPI library (``--mpi``, default ``$CMPI_MPI`` or openmpi).  Examples
that need two ranks get at least two.  ``--runner`` replaces
``python -m cmpi`` (a leading ``python`` means the flavour's interpreter),
e.g. ``--runner "python -m mpi4py"`` to compare with a real mpi4py.
Exits non-zero if any example fails.
"""

import argparse
import importlib.util
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def load_launcher():
    path = ROOT / "tests" / "launcher.py"
    spec = importlib.util.spec_from_file_location("cmpi_tests_launcher", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)
    return module


launcher = load_launcher()

# (file, minimum ranks, extra arguments), in the order of the trainings
EXAMPLES = [
    ("point_point.py", 2, []),
    ("point_point2.py", 1, []),
    ("collective_comm1.py", 1, []),
    ("collective_comm2.py", 1, []),
    ("collective_comm3.py", 1, []),
    ("slices_sum.py", 1, []),
    ("hello.py", 1, []),
    ("0_mpi_simple.py", 2, []),
    ("1_mpi_simple.py", 1, []),
    ("2_mpi_sum.py", 1, []),
    ("3_mpi_np.py", 1, []),
]


def run(cmd, env, timeout):
    """Run a job, output and stderr merged; on timeout stop all of it."""
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace",
                            start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
        return output, proc.returncode
    except subprocess.TimeoutExpired:
        for sig, grace in ((signal.SIGTERM, 3), (signal.SIGKILL, None)):
            try:
                os.killpg(proc.pid, sig)
            except OSError:
                pass
            try:
                proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                pass
        output, _ = proc.communicate()
        return output, f"timed out after {timeout:g} s"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mpi", choices=launcher.FLAVORS,
                        default=os.environ.get("CMPI_MPI", "openmpi"),
                        help="MPI library (default: $CMPI_MPI or openmpi)")
    parser.add_argument("--np", type=int, default=4, metavar="N",
                        help="number of ranks (default: 4)")
    parser.add_argument("--runner", default="python -m cmpi",
                        help='runner command (default: "python -m cmpi")')
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds allowed per example (default: 120)")
    parser.add_argument("examples", nargs="*", metavar="EXAMPLE",
                        help="run only these (e.g. hello or hello.py)")
    args = parser.parse_args(argv)
    if args.np < 1:
        parser.error("--np must be at least 1")

    python = launcher.python(args.mpi)
    runner = shlex.split(args.runner)
    if runner and runner[0] == "python":
        runner[0] = python
    env = launcher.mpi_env(args.mpi)

    known = {name: (name, least, extra) for name, least, extra in EXAMPLES}
    selected = EXAMPLES
    if args.examples:
        selected = []
        for name in args.examples:
            name = name if name.endswith(".py") else name + ".py"
            if name not in known:
                parser.error(f"unknown example {name!r}; "
                             f"choose from {', '.join(known)}")
            selected.append(known[name])

    failed = []
    start_all = time.monotonic()
    for name, least, extra in selected:
        n = max(args.np, least)
        cmd = (launcher.mpiexec(n, args.mpi) + runner
               + [str(HERE / name)] + extra)
        print(f"=== {name} ({n} rank{'' if n == 1 else 's'}, {args.mpi})", flush=True)
        print(f"$ {shlex.join(cmd)}", flush=True)
        start = time.monotonic()
        try:
            output, status = run(cmd, env, args.timeout)
        except OSError as exc:
            output, status = "", f"could not start: {exc}"
        elapsed = time.monotonic() - start
        sys.stdout.write(output if output.endswith("\n") or not output
                         else output + "\n")
        if status == 0:
            print(f"--- ok ({elapsed:.1f} s)\n", flush=True)
        else:
            if isinstance(status, int):
                status = f"exit status {status}"
            print(f"--- FAILED: {status} ({elapsed:.1f} s)\n", flush=True)
            failed.append(name)

    total = time.monotonic() - start_all
    passed = len(selected) - len(failed)
    summary = (f"tour: {passed}/{len(selected)} examples passed "
               f"({args.mpi}, --np {args.np}, {total:.1f} s)")
    if failed:
        summary += f"; failed: {', '.join(failed)}"
    print(summary, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
