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


def valgrind_errors(text):
    """The error blocks of one valgrind log, as lists of lines."""
    blocks, cur = [], None
    for line in text.splitlines():
        body = re.sub(r"^==\d+== ?", "", line)
        if re.match(r"(Invalid|Conditional|Use of uninit|Syscall param|Mismatched|"
                    r"Source and destination|Argument|.* are definitely lost)", body):
            cur = [body]
            blocks.append(cur)
        elif cur is not None and body.strip():
            if body.startswith((" ", "\t")) or body.startswith("{") or body.startswith("}"):
                cur.append(body)
            else:
                cur = None
        else:
            cur = None
    return blocks


def is_cmpi(block):
    """An error counts as cmpi's when cmpi's code is anywhere in its stack."""
    return any("MPI.cpython" in l or "/csrc/" in l for l in block)


def valgrind_reports(logdir):
    """Valgrind log files whose ERROR SUMMARY is not zero, or that never
    reached one although the process ran (it died under valgrind).  A log
    that stops right after its header is a child the process forked only to
    exec another program (not traced), and is not a finding."""
    found, processes, ncmpi = [], 0, 0
    for path in sorted(Path(logdir).glob("*")):
        text = path.read_text(errors="replace")
        m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
        if m is None:
            if text.rstrip().splitlines()[-1].rstrip("= 0123456789") == "":
                continue
            processes += 1
            found.append((path.name, "no ERROR SUMMARY (process died?)\n" + text[-4000:]))
            continue
        processes += 1
        if int(m.group(1)):
            blocks = valgrind_errors(text)
            mine = [b for b in blocks if is_cmpi(b)]
            ncmpi += len(mine)
            found.append((path.name, f"{len(mine)} of {len(blocks)} error contexts have cmpi "
                          f"(MPI.cpython*.so, csrc/) in their stack; the others must be "
                          f"suppressed in tests/memcheck/valgrind.supp\n" + text))
    return found, processes, ncmpi


def main():
    kind, outdir, nranks, logdir = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    reports = [junit_outcomes(outdir / f"rank{r}.xml") for r in range(nranks)]
    missing = [r for r, rep in enumerate(reports) if rep is None]
    merged = merge_ranks([r for r in reports if r])
    c = count(merged)
    failed = sorted(t for t, o in merged.items() if o == "failed")
    if kind == "asan":
        found, processes, ncmpi = asan_reports(logdir), None, None
    else:
        found, processes, ncmpi = valgrind_reports(logdir)

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
        print(f"valgrind logs: {processes} Python processes checked")
        print(f"valgrind error contexts with cmpi in the stack: {ncmpi}")
    print(f"{kind} reports: {len(found)}")
    bad = bool(found or failed or missing or not merged)
    print(f"{kind}: {'FAILED' if bad else 'clean'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
