#!/usr/bin/env python3
"""Summarize one memory-checking run of tests/mpi (run-asan.sh, run-valgrind.sh).

    summarize.py asan|valgrind OUTDIR NRANKS LOGDIR

OUTDIR holds the per-rank JUnit reports written by tests/mpi_pytest.py;
LOGDIR the checker's own log files (ASan/UBSan ``log_path`` files, one per
process that reported anything; valgrind ``--log-file`` files, one per
process).  Prints the tests' outcome and every report, and exits 1 when a
test failed, a rank wrote no report, or the checker reported anything.
"""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from run_suite import count, junit_outcomes, merge_ranks  # noqa: E402


def asan_reports(logdir):
    """Every sanitizer report file (ASan, UBSan and LSan write one only when
    they have something to say)."""
    found = []
    for path in sorted(Path(logdir).glob("*")):
        text = path.read_text(errors="replace").strip()
        if text:
            found.append((path.name, text))
    return found


def valgrind_reports(logdir):
    """Valgrind log files whose ERROR SUMMARY is not zero, or that never
    reached one (the process died under valgrind)."""
    found, processes = [], 0
    for path in sorted(Path(logdir).glob("*")):
        text = path.read_text(errors="replace")
        # Only the Python processes: valgrind logs nothing else here, but a
        # helper started by the MPI library (e.g. a shell) would have no
        # summary worth reporting.
        processes += 1
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if m is None:
            found.append((path.name, "no ERROR SUMMARY (process died?)\n" + text[-4000:]))
        elif int(m.group(1)):
            found.append((path.name, text))
    return found, processes


def main():
    kind, outdir, nranks, logdir = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    reports = [junit_outcomes(outdir / f"rank{r}.xml") for r in range(nranks)]
    missing = [r for r, rep in enumerate(reports) if rep is None]
    merged = merge_ranks([r for r in reports if r])
    c = count(merged)
    failed = sorted(t for t, o in merged.items() if o == "failed")
    if kind == "asan":
        found, processes = asan_reports(logdir), None
    else:
        found, processes = valgrind_reports(logdir)

    for name, text in found:
        print(f"\n----- {kind} report: {name}")
        print(text)
    print(f"\n=== {kind} summary")
    print(f"tests: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped on {nranks} ranks")
    for t in failed:
        print("  failed: " + t)
    if missing:
        print(f"  no test report from ranks {missing} (a rank died?)")
    if processes is not None:
        print(f"valgrind logs: {processes} processes checked")
    print(f"{kind} reports: {len(found)}")
    bad = bool(found or failed or missing or not merged)
    print(f"{kind}: {'FAILED' if bad else 'clean'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
