#!/usr/bin/env python3
"""API-wide fuzzer: every public callable of cmpi.MPI called with hostile
values, at 1 rank and at 2 ranks (both ranks making the same calls), each
batch a job under mpiexec with a per-call watchdog (fuzz_api_worker.py).

Outcome of each call: a Python exception, success, or a documented
blocking call interrupted by the watchdog (fuzz_api_rules.BLOCKING).  A
crash (signal, abort, an exit without a Python exception) or an
unexplained hang is a failure naming the call, its arguments, the MPI and
the seed; the next batch starts at the call after it.

    python tests/fuzz/fuzz_api.py [--mpi openmpi] [--np 1 2] [--calls N]

Each run draws a fresh seed and prints it; ``CMPI_FUZZ_SEED=N`` replays
one;
``CMPI_FUZZ_ONLY=a-b,c`` makes a job's worker run only those calls of its
batch (narrowing a replay to the calls that matter);
``CMPI_FUZZ_SCALE`` multiplies the number of calls as it does for the
property-based fuzzers (tests/mpi/fuzzcount.py, default 0.2): 50,000 calls
per MPI times the scale, so 10,000 by default, half at each rank count.
tests/launch/test_fuzz_api.py runs it for the configuration under test.
"""

import argparse
import collections
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(HERE))
import fuzz_api_rules as rules  # noqa: E402
import launcher  # noqa: E402

WORKER = HERE / "fuzz_api_worker.py"
SCALE = float(os.environ.get("CMPI_FUZZ_SCALE") or 0.2)
CALLS_PER_MPI = int(50_000 * SCALE)
#: Calls per job: a job costs ~1 s to start at 2 ranks; the pool's
#: handles get freed by the calls, so a fresh pool now and then keeps
#: valid handles in play.
BATCH = 2500


def fresh_seed():
    """CMPI_FUZZ_SEED if set, else a fresh one ("random" also draws one)."""
    env = os.environ.get("CMPI_FUZZ_SEED", "")
    if env and env != "random":
        return int(env)
    return secrets.randbelow(2**31)


class Result:
    def __init__(self, config, nranks, seed):
        self.config, self.nranks, self.seed = config, nranks, seed
        self.outcomes = collections.Counter()  # class -> calls (per rank)
        self.exceptions = collections.Counter()  # exception type -> calls
        self.calls = 0  # call positions made (every rank makes each)
        self.failures = []  # text
        self.known = []  # text
        self.blocked_killed = 0  # documented blocking calls that ended the job
        self.jobs = 0
        self.diverged = 0  # batches ended because the ranks' outcomes differed
        self.truncated = 0  # batches ended after MPI reported a truncation
        self.seconds = 0.0
        self.callables = 0

    def summary(self):
        o = self.outcomes
        return (f"{self.config} np={self.nranks} seed={self.seed}: {self.calls} calls "
                f"({self.calls * self.nranks} rank-calls over {self.callables} callables, "
                f"{self.jobs} jobs, {self.diverged} ended on diverging ranks, "
                f"{self.truncated} after a truncation, "
                f"{self.seconds:.0f} s): "
                f"{o['exception']} exceptions, {o['success']} successes, "
                f"{o['blocking']} blocking interrupted, "
                f"{len(self.failures)} crashes/hangs, {len(self.known)} known\n    exceptions: "
                + ", ".join(f"{n} {t}" for t, n in self.exceptions.most_common()))


def parse_log(path):
    """{i: text}, {i: outcome}, flags seen ('END', 'EXIT')."""
    started, ended, flags = {}, {}, set()
    header = None
    if not path.exists():
        return started, ended, flags, header
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("S "):
            _, i, text = line.split(" ", 2)
            started[int(i)] = text
        elif line.startswith("E "):
            _, i, outcome = line.split(" ", 2)
            ended[int(i)] = outcome
        elif line.startswith("B "):
            header = line
        elif line.startswith("D "):
            flags.add("DIVERGED")
        elif line.startswith("T "):
            flags.add("TRUNCATED")
        elif line in ("END", "EXIT"):
            flags.add(line)
    return started, ended, flags, header


def qualname(text):
    """Class.method of a logged call text."""
    m = re.search(r"\[([\w.]+)\]$", text)
    if m:
        return m.group(1)
    m = re.match(r"MPI\.(?:pickle\.)?([\w.]+)\(", text)
    if m:
        return m.group(1)
    m = re.match(r"(?:del )?[^.]+\.(\w+)", text)
    return m.group(1) if m else text


def run_job(result, start, count, workdir):
    """One batch; returns the index to continue from."""
    for f in workdir.iterdir():
        if f.is_dir():
            shutil.rmtree(f, ignore_errors=True)
        else:
            f.unlink()
    cmd = launcher.mpiexec(result.nranks, result.config) + [
        launcher.python(result.config), "-X", "faulthandler", str(WORKER),
        str(result.seed), str(start), str(count), str(workdir)]
    env = launcher.mpi_env(result.config)
    # the hang timeout would print a report for each interrupted wait
    env.pop("CMPI_HANG_TIMEOUT", None)
    env["PYTHONUNBUFFERED"] = "1"
    # the job ends within HARD_LIMIT of its slowest call; past that, it hangs
    limit = 120 + count * 0.05
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                            cwd=workdir, start_new_session=True, text=True, errors="replace")
    try:
        out, _ = proc.communicate(timeout=limit)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, 9)
        out, _ = proc.communicate()
    result.seconds += time.monotonic() - t0
    result.jobs += 1
    logs = [parse_log(workdir / f"rank{r}.log") for r in range(result.nranks)]
    for _, _, _, header in logs:
        if header:
            result.callables = int(header.rsplit("=", 1)[1])
    # count outcomes of finished calls
    last = start - 1
    for started, ended, _, _ in logs:
        for i, outcome in ended.items():
            cls = ("blocking" if outcome == "interrupted" else
                   "exception" if outcome.startswith("exc") else "success")
            if outcome == "interrupted" and qualname(started[i]) not in rules.BLOCKING:
                # The watchdog interrupted a call that should not block.  A
                # known hang class (one that returns after seconds, such as
                # MPICH's Get_elements on a huge count) is excluded here as
                # it is when the job is killed.
                desc = (f"HANG (interrupted, not a documented blocking call) "
                        f"{where(result, start)}: {started[i]}")
                known = known_classes(qualname(started[i]), "hang", out)
                if known:
                    result.known.append(f"{known[0][2]}: {desc}")
                else:
                    result.failures.append(desc)
                cls = "hang"
            result.outcomes[cls] += 1
            if cls == "exception":
                result.exceptions[outcome[4:]] += 1
        if started:
            last = max(last, max(started))
    positions = last - start + 1
    all_done = all("END" in flags for _, _, flags, _ in logs)
    truncated = (any("TRUNCATED" in flags for _, _, flags, _ in logs) or
                 re.search(rules.TRUNCATED_OUTPUT, out) is not None)
    if all_done and all("EXIT" in flags for _, _, flags, _ in logs) and proc.returncode == 0 \
            and not timed_out:
        result.calls += positions
        if truncated:
            result.truncated += 1
            return last + 1
        if any("DIVERGED" in flags for _, _, flags, _ in logs):
            result.diverged += 1
            return last + 1
        return start + count
    # The job ended early, or did not end.  The call in flight on some rank
    # is the one to blame.
    inflight = sorted({(i, started[i]) for started, ended, _, _ in logs
                       for i in started if i not in ended})
    tail = "\n    ".join(out.strip().splitlines()[-12:])
    if all_done:
        reason = "timed out" if timed_out else f"exit status {proc.returncode}"
        kind = "hang" if timed_out else "crash"
        known = [k for k in rules.KNOWN if k[0] == "<exit>" and k[1] == kind
                 and (len(k) < 4 or re.search(k[3], out))]
        text = f"after the last call ({reason}) {where(result, start)}\n    {tail}"
        if truncated:
            known = [("<exit>", kind, rules.TRUNCATED)]
        if known:
            result.known.append(f"{known[0][2]}: {text}")
        else:
            result.failures.append(f"EXIT FAILURE {text}")
        result.calls += positions
        if truncated:
            result.truncated += 1
            return last + 1
        if any("DIVERGED" in flags for _, _, flags, _ in logs):
            result.diverged += 1
            return last + 1
        return start + count
    if not inflight:
        text = (f"JOB FAILED outside any call (exit {proc.returncode}, "
                f"timed out {timed_out}) {where(result, start)}\n    {tail}")
        # a known class that ends a job between calls (an error MPI reports
        # while progressing an earlier nonblocking call)
        known = [k for k in rules.KNOWN if k[0] == "<job>" and len(k) > 3 and re.search(k[3], out)]
        if truncated:
            known = [("<job>", "crash", rules.TRUNCATED)]
        if known:
            result.known.append(f"{known[0][2]}: {text}")
        else:
            result.failures.append(text)
        result.calls += positions
        # nothing started: the batch cannot run (its pool failed); skip it
        return last + 1 if last >= start else start + count
    i, text = inflight[0]
    qual = qualname(text)
    interrupted = "KeyboardInterrupt in" in out or "aborting the job" in out
    hard = "Timeout (0:00:" in out  # faulthandler's dump_traceback_later
    result.calls += i - start + 1
    if (interrupted or hard or timed_out) and qual in rules.BLOCKING:
        result.outcomes["blocking"] += 1
        result.blocked_killed += 1
        return i + 1
    kind = "hang" if (interrupted or hard or timed_out) else "crash"
    known = known_classes(qual, kind, out)
    if truncated:
        known = [(qual, kind, rules.TRUNCATED)]
    desc = (f"{kind.upper()} in call {i} {where(result, start)}: {text}\n"
            f"    (exit {proc.returncode}{', timed out' if timed_out else ''})\n    {tail}")
    if known:
        result.known.append(f"{known[0][2]}: {desc}")
    else:
        result.failures.append(desc)
    return i + 1


def known_classes(qual, kind, out):
    """The rules.KNOWN entries that a `kind` ("crash" or "hang") in call
    `qual`, with job output `out`, belongs to."""
    return [k for k in rules.KNOWN if k[0] in (qual, "*") and k[1] == kind
            and (len(k) < 4 or re.search(k[3], out))]


def where(result, start):
    """Where a failure happened, and how to replay its job (a job builds
    its pool before its first call, so the replay starts there)."""
    return (f"[{result.config} np={result.nranks} seed={result.seed}; replay: "
            f"CMPI_FUZZ_SEED={result.seed} python tests/fuzz/fuzz_api.py "
            f"--mpi {result.config} --np {result.nranks} --start {start} --calls {BATCH}]")


def fuzz(config, nranks, seed, ncalls, start=0, log=print):
    result = Result(config, nranks, seed)
    workdir = Path(tempfile.mkdtemp(prefix=f"cmpi-fuzz-{config}-np{nranks}-"))
    try:
        i, end = start, start + ncalls
        while i < end:
            i = run_job(result, i, min(BATCH, end - i), workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log(result.summary())
    for f in result.failures:
        log("  FAILURE " + f)
    for k in result.known:
        log("  known (excluded) " + k)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mpi", default=launcher.config())
    ap.add_argument("--np", nargs="*", type=int, default=[1, 2])
    ap.add_argument("--calls", type=int, default=CALLS_PER_MPI,
                    help="calls per MPI, split over the rank counts")
    ap.add_argument("--start", type=int, default=0, help="first call (a replay)")
    opts = ap.parse_args()
    seed = fresh_seed()
    print(f"cmpi API fuzzer: seed {seed} (CMPI_FUZZ_SEED={seed} replays it)", flush=True)
    results = [fuzz(opts.mpi, n, seed, opts.calls // len(opts.np), opts.start) for n in opts.np]
    sys.exit(1 if any(r.failures for r in results) else 0)


if __name__ == "__main__":
    main()
