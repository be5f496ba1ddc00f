#!/usr/bin/env python3
"""Run cmpi's whole test suite: for each configuration (an MPI library and
a Python, built by tools/setup.sh; default: Debian's Open MPI and MPICH),

  * tests/mpi    under mpiexec at 1, 2, 3 and 4 ranks: every rank runs every
                 test; a test fails if it fails on any rank;
  * tests/launch once, under plain pytest: tests that start MPI jobs
                 themselves (the seed examples, the ``python -m cmpi`` runner).

Every run has a time limit, and inside it every test has a watchdog
(tests/mpi/conftest.py), so a deadlock fails fast and names the test.
Prints a table of results and ends with ``N passed, N failed, N skipped``.

    python tests/run_suite.py [--mpi CONFIG ...] [--np 1 2 3 4] [-k EXPR]
                              [--launch FILE ...] [--check-collectives]

``--launch test_runner.py test_seeds.py`` runs only those files of
tests/launch (the ones that apply to a configuration tested at 2 ranks).
``--check-collectives`` runs tests/mpi with cmpi's collective-consistency
checker on (``CMPI_CHECK_COLLECTIVES=1``): a correct program, which every
test is, must see no mismatch.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import launcher  # noqa: E402

RUN_TIMEOUT = int(os.environ.get("CMPI_RUN_TIMEOUT", "900"))
# tests/launch starts many jobs of its own (2 GiB messages, faults, use
# cases, task pools, spawn), each with its own time limit.
LAUNCH_TIMEOUT = int(os.environ.get("CMPI_LAUNCH_TIMEOUT", "2400"))


def junit_outcomes(path):
    """{test id: 'passed'|'failed'|'skipped'} from one JUnit XML file."""
    out = {}
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, FileNotFoundError):
        return None
    for case in root.iter("testcase"):
        tid = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            out[tid] = "failed"
        elif case.find("skipped") is not None:
            out[tid] = out.get(tid, "skipped")
        else:
            out[tid] = "passed" if out.get(tid) != "failed" else "failed"
    return out


def merge_ranks(reports):
    """A test passed if it passed on every rank that ran it."""
    merged = {}
    for rep in reports:
        for tid, outcome in rep.items():
            prev = merged.get(tid)
            if prev == "failed" or outcome == "failed":
                merged[tid] = "failed"
            elif prev == "passed" or outcome == "passed":
                merged[tid] = "passed"
            else:
                merged[tid] = "skipped"
    return merged


def count(outcomes):
    c = {"passed": 0, "failed": 0, "skipped": 0}
    for o in outcomes.values():
        c[o] += 1
    return c


def run_job(cmd, env, label, limit=RUN_TIMEOUT):
    print(f"\n=== {label}: {' '.join(cmd)}", flush=True)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, env=env, timeout=limit, cwd=HERE.parent)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = "timeout"
        print(f"!!! {label}: killed after {limit} s", flush=True)
    return code, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mpi", nargs="*", default=list(launcher.FLAVORS))
    ap.add_argument("--np", nargs="*", type=int, default=[1, 2, 3, 4])
    ap.add_argument("-k", default=None, help="pytest -k expression")
    ap.add_argument("--no-launch", action="store_true", help="skip tests/launch")
    ap.add_argument("--launch", nargs="*", default=None, metavar="FILE",
                    help="only these files of tests/launch")
    ap.add_argument("--check-collectives", action="store_true",
                    help="run tests/mpi with CMPI_CHECK_COLLECTIVES=1")
    opts = ap.parse_args()
    for config in opts.mpi:
        if not Path(launcher.python(config)).is_relative_to(launcher.venv(config)):
            sys.exit(f"run_suite: no .venv/{config}: run tools/setup.sh {config} first")
    launch = ([str(HERE / "launch" / f) for f in opts.launch] if opts.launch
              else [str(HERE / "launch")])

    # mpi4py's checked sdist (its MPI.pyi drives tests/mpi/test_keyword_args):
    # fetched once here, so the ranks of every configuration find it cached
    # instead of each running pip download with its own interpreter.
    sys.path.insert(0, str(HERE / "differential"))
    try:
        import reference
        reference.sdist()
    except (Exception, SystemExit) as exc:
        print(f"run_suite: mpi4py's sdist not fetched ({exc}); tests that need it will say so",
              flush=True)
    finally:
        del sys.path[0]

    extra = ["-k", opts.k] if opts.k else []
    outroot = Path(tempfile.mkdtemp(prefix="cmpi-tests-"))
    rows, failures, total = [], [], {"passed": 0, "failed": 0, "skipped": 0}
    broken = []
    for flavor in opts.mpi:
        py = launcher.python(flavor)
        env = launcher.mpi_env(flavor)
        mpi_env = dict(env, CMPI_CHECK_COLLECTIVES="1") if opts.check_collectives else env
        for n in opts.np:
            label = f"{flavor} np={n}"
            outdir = outroot / f"{flavor}-np{n}"
            cmd = launcher.mpiexec(n, flavor) + [
                py, str(HERE / "mpi_pytest.py"), str(outdir),
                "-q", "-x" if os.environ.get("CMPI_TEST_FAILFAST") else "-q",
                str(HERE / "mpi"), *extra,
            ]
            code, secs = run_job(cmd, mpi_env, label)
            reports = [junit_outcomes(outdir / f"rank{r}.xml") for r in range(n)]
            missing = [r for r, rep in enumerate(reports) if rep is None]
            merged = merge_ranks([r for r in reports if r])
            c = count(merged)
            if missing or code not in (0,):
                broken.append(f"{label}: exit {code}, no report from ranks {missing}" if missing else f"{label}: exit {code}")
                for r in range(1, n):
                    log = outdir / f"rank{r}.log"
                    if log.exists() and "failed" in log.read_text(errors="replace")[-2000:]:
                        print(f"--- rank {r} log tail ({label}):")
                        print(log.read_text(errors="replace")[-3000:])
            rows.append((label, c, secs, code))
            failures += [f"{label}: {t}" for t, o in sorted(merged.items()) if o == "failed"]
            for k in total:
                total[k] += c[k]
        if not opts.no_launch:
            label = f"{flavor} launch"
            outdir = outroot / f"{flavor}-launch"
            xml = outdir / "launch.xml"
            cmd = [py, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                   f"--junitxml={xml}", *launch, *extra]
            code, secs = run_job(cmd, env, label, LAUNCH_TIMEOUT)
            merged = junit_outcomes(xml) or {}
            if not merged or code not in (0, 1):
                broken.append(f"{label}: exit {code}")
            c = count(merged)
            rows.append((label, c, secs, code))
            failures += [f"{label}: {t}" for t, o in sorted(merged.items()) if o == "failed"]
            for k in total:
                total[k] += c[k]

    print("\n=== cmpi test summary")
    print(f"{'run':<22}{'passed':>8}{'failed':>8}{'skipped':>9}{'seconds':>9}  exit")
    for label, c, secs, code in rows:
        print(f"{label:<22}{c['passed']:>8}{c['failed']:>8}{c['skipped']:>9}{secs:>9.1f}  {code}")
    if failures:
        print("\nfailed tests:")
        for f in failures:
            print("  " + f)
    if broken:
        print("\nruns that did not finish cleanly:")
        for b in broken:
            print("  " + b)
    shutil.rmtree(outroot, ignore_errors=True)
    nfail = total["failed"] + len(broken)
    print(f"\n{total['passed']} passed, {nfail} failed, {total['skipped']} skipped")
    sys.exit(1 if nfail else 0)


if __name__ == "__main__":
    main()
