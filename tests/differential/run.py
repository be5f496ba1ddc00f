#!/usr/bin/env python3
"""Differential test: the same calls, with the same arguments, against
cmpi and against the real mpi4py 4.1.2, comparing outcome classes.

    python tests/differential/run.py [--mpi openmpi] [--np 1 2] [--update]
                                     [-k SUBSTRING]

Every public callable of mpi4py's ``MPI`` (from its MPI.pyi) gets a
generated set of argument variants (variants.py); each binding runs them
in worker processes (worker.py) under ``mpiexec``: at 1 rank, and the
collective ones at 2 ranks too, both ranks making the same call.  A
variant's outcome is ``ok:<result summary>``, ``exc:<type>``, ``blocks``
(still waiting past the watchdog) or ``crash`` (the process died; the
driver resumes after it).  The variants whose outcomes differ are
classified by classified.py and written to report.md (report-<mpi>.md
for other MPIs) with ``--update``; without it, the run is compared with
the committed report and the changes are listed: a variant whose
outcome pair or class changed, and every unclassified difference that is
not in the committed report.  Exit status 1 on such a change.

The reference interpreter comes from reference.py (built once into
build/differential/; ``CMPI_DIFF_MPI4PY_PYTHON`` names another).  Its
outcomes are cached there too, keyed by the variant list, the worker and
the interpreter.  ``--update`` also records them in
mpi4py-outcomes-<mpi>.json.gz (committed, keyed by the variant list, the
worker and mpi4py's version): while that key matches, a run (CI) runs only
cmpi and needs no mpi4py build.
tests/launch/test_differential.py runs this for the configuration under
test when its report is committed.
"""

import argparse
import collections
import concurrent.futures
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
ROOT = TESTS.parent
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(HERE))
import classified  # noqa: E402
import launcher  # noqa: E402
import reference  # noqa: E402
import variants as variants_mod  # noqa: E402

WORKER = HERE / "worker.py"
BINDINGS = ("mpi4py", "cmpi")


def report_path(mpi):
    return HERE / ("report.md" if mpi == "openmpi" else f"report-{mpi}.md")


def parse_log(path):
    started, ended, flags = set(), {}, set()
    if not path.exists():
        return started, ended, flags
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("S "):
            started.add(int(line[2:]))
        elif line.startswith("E "):
            _, i, outcome = line.split(" ", 2)
            ended[int(i)] = outcome
        elif line in ("END", "EXIT"):
            flags.add(line)
    return started, ended, flags


def run_binding(binding, python, config, nranks, vlist, workdir, log):
    """{index: outcome per rank joined by ' / ' when the ranks differ}."""
    path = workdir / f"variants-np{nranks}.json"
    path.write_text(json.dumps(vlist))
    outcomes = {}
    env = launcher.mpi_env(config)
    env.pop("CMPI_HANG_TIMEOUT", None)
    env["PYTHONUNBUFFERED"] = "1"
    start, jobs, t0 = 0, 0, time.monotonic()
    while start < len(vlist):
        jobdir = workdir / f"{binding}-np{nranks}-{jobs}"
        jobdir.mkdir()
        count = len(vlist) - start
        cmd = launcher.mpiexec(nranks, config) + [
            python, "-X", "faulthandler", str(WORKER), binding, str(path), str(start),
            str(count), str(jobdir)]
        limit = 120 + count * 0.05
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                                cwd=jobdir, start_new_session=True, text=True,
                                errors="replace")
        try:
            out, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            out, _ = proc.communicate()
            out += "\nTimeout (job limit)"
        except BaseException:  # interrupted: leave no job behind
            os.killpg(proc.pid, 9)
            raise
        jobs += 1
        logs = [parse_log(jobdir / f"rank{r}.log") for r in range(nranks)]
        last = start - 1
        for i in range(start, len(vlist)):
            per_rank = [ended.get(i) for _, ended, _ in logs]
            if all(o is None for o in per_rank):
                break
            last = i
        inflight = None
        if not all("EXIT" in flags for _, _, flags in logs) or proc.returncode != 0:
            # the job died in a variant (or after the last one)
            pending = [i for started, ended, _ in logs for i in started if i not in ended]
            inflight = min(pending) if pending else None
        for i in range(start, (inflight if inflight is not None else last + 1)):
            outcomes[i] = join([ended.get(i, "?") for _, ended, _ in logs])
        if inflight is None:
            if last + 1 < len(vlist) and last + 1 == start:
                log(f"[differential] {binding} np={nranks}: job failed outside any variant "
                    f"at {start}:\n{out[-2000:]}")
                for i in range(start, len(vlist)):
                    outcomes[i] = "job-failed"
                break
            start = last + 1
            continue
        blocked = "Timeout (" in out or "KeyboardInterrupt in" in out or "aborting the job" in out
        per_rank = []
        for started, ended, _ in logs:
            if inflight in ended:
                per_rank.append(ended[inflight])
            elif inflight in started:
                per_rank.append("blocks" if blocked else "crash")
            else:
                per_rank.append("blocks" if blocked else "crash")
        outcomes[inflight] = join(per_rank)
        if "crash" in per_rank:
            tail = "\n    ".join(out.strip().splitlines()[-6:])
            log(f"[differential] {binding} np={nranks} CRASH in {vlist[inflight]['id']}\n    {tail}")
        start = inflight + 1
    log(f"[differential] {binding} np={nranks}: {len(vlist)} variants, {jobs} jobs, "
        f"{time.monotonic() - t0:.0f} s")
    return outcomes


def cached_reference(python, config, nranks, vlist, workdir, log):
    """mpi4py's outcomes, computed once per variant list, worker and
    reference build: they do not depend on cmpi, and mpi4py crashing on
    invalid input costs a job restart each (most of a run's time)."""
    key = hashlib.sha256(json.dumps(vlist, sort_keys=True).encode()
                         + WORKER.read_bytes() + str(Path(python).resolve()).encode()
                         + config.encode() + str(nranks).encode()).hexdigest()[:16]
    cache = reference.BUILD / f"mpi4py-outcomes-{config}-np{nranks}-{key}.json"
    if cache.exists():
        return {int(k): v for k, v in json.loads(cache.read_text()).items()}
    got = run_binding("mpi4py", python, config, nranks, vlist, workdir, log)
    if "job-failed" not in got.values() and len(got) == len(vlist):
        reference.BUILD.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(got))
    return got


def recorded_path(mpi):
    """mpi4py's outcomes as the last --update recorded them (committed)."""
    return HERE / f"mpi4py-outcomes-{mpi}.json.gz"


def recorded_key(mpi, nranks, vlist):
    """What mpi4py's outcomes depend on: the variants (from mpi4py's checked
    MPI.pyi), the worker, mpi4py's version and the MPI library family."""
    return hashlib.sha256(json.dumps(vlist, sort_keys=True).encode() + WORKER.read_bytes()
                          + f"{reference.VERSION} {mpi} {nranks}".encode()).hexdigest()[:16]


def recorded_reference(mpi, nranks, vlist):
    """{index: outcome} of mpi4py from the committed record when it was
    made for exactly these variants and this worker, else None.  The CI
    check then runs cmpi alone, without building mpi4py (minutes per MPI);
    any change to the variants or the worker makes it run mpi4py again."""
    path = recorded_path(mpi)
    if not path.exists():
        return None
    entry = json.loads(gzip.decompress(path.read_bytes())).get(f"np{nranks}")
    if not entry or entry.get("key") != recorded_key(mpi, nranks, vlist):
        return None
    try:
        return {i: entry["outcomes"][v["id"]] for i, v in enumerate(vlist)}
    except KeyError:
        return None


def write_recorded(mpi, rows):
    """Record mpi4py's outcomes of a whole run (--update)."""
    _, vlist = variants_mod.generate(reference.stub_path())
    data = {}
    for n in sorted({v["np"] for v, _, _ in rows}):
        part = [v for v in vlist if v["np"] == n]
        data[f"np{n}"] = {"key": recorded_key(mpi, n, part),
                          "outcomes": {v["id"]: ref for v, ref, _ in rows if v["np"] == n}}
    text = json.dumps(data, sort_keys=True, indent=0).encode()
    recorded_path(mpi).write_bytes(gzip.compress(text, mtime=0))


def join(per_rank):
    return per_rank[0] if len(set(per_rank)) == 1 else " / ".join(per_rank)


def run_all(config, nps, select=None, log=print):
    """[(variant, mpi4py outcome, cmpi outcome)] and the callables."""
    mpi = launcher.family_of(config)
    cmpi_python = launcher.python(config)
    callables, vlist = variants_mod.generate(reference.stub_path())
    rows = []
    workdir = Path(tempfile.mkdtemp(prefix=f"cmpi-diff-{config}-"))
    try:
        for n in nps:
            part = [v for v in vlist if v["np"] == n]
            recorded = recorded_reference(mpi, n, part)
            if select:
                keep = [i for i, v in enumerate(part) if select in v["id"]]
                recorded = recorded and {j: recorded[i] for j, i in enumerate(keep)}
                part = [part[i] for i in keep]
            if recorded is not None:
                log(f"[differential] mpi4py np={n}: {len(part)} outcomes from "
                    f"{recorded_path(mpi).name}")
            # the two bindings run side by side: each job is one process
            # per rank, mostly waiting on process start-up
            with concurrent.futures.ThreadPoolExecutor(len(BINDINGS)) as pool:
                futures = {
                    "cmpi": pool.submit(run_binding, "cmpi", cmpi_python, config, n,
                                        part, workdir, log)}
                if recorded is None:
                    futures["mpi4py"] = pool.submit(
                        cached_reference, reference.python(mpi, log=log), config, n, part,
                        workdir, log)
                got = {b: f.result() for b, f in futures.items()}
            got.setdefault("mpi4py", recorded)
            for i, v in enumerate(part):
                rows.append((v, got["mpi4py"].get(i, "?"), got["cmpi"].get(i, "?")))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return callables, rows


#: Callables whose result is a number MPI assigns (a keyval, an error code
#: or class, the Fortran index of the worker's duplicated communicator): its
#: value depends on what ran before in the worker, so both bindings agree
#: when both return an int.
ASSIGNED_NUMBER = re.compile(
    r"^(Comm|Datatype|Win)\.Create_keyval$|^Add_error_(class|code)$"
    r"|^Comm\.(py2f|toint)$")


def outcome_class(outcome, qual=None):
    """What must agree: 'ok' results compare by summary, exceptions by type
    (an MPI-assigned number by type only)."""
    if qual is not None and ASSIGNED_NUMBER.search(qual) and re.match(r"^ok:-?\d+$", outcome):
        return "ok:int"
    return outcome


def differences(rows):
    """{variant id: (mpi4py, cmpi, class, reason)} for every classified
    variant (fixed ones included) and every differing one."""
    out = {}
    for v, ref, got in rows:
        # an MPI-assigned number is reported by type, so that the committed
        # report does not change with the order the variants ran in
        ref, got = outcome_class(ref, v["qual"]), outcome_class(got, v["qual"])
        differ = ref != got
        cls, reason = classified.classify(v["id"], ref, got)
        if cls == "fixed" and not differ:
            out[v["id"]] = (ref, got, "fixed", reason)
        elif differ:
            if cls == "fixed":  # it differs again: a regression, unless
                # it is what another library answers (MPICH for a fix made
                # against Open MPI)
                other = classified.classify_differing_fixed(v["id"], ref, got)
                cls, reason = other or ("unclassified", f"REGRESSED (was fixed: {reason})")
            out[v["id"]] = (ref, got, cls, reason)
    return out


ROW = re.compile(r"^\| `(?P<id>.*)` \| `(?P<ref>.*)` \| `(?P<got>.*)` \| (?P<cls>[\w-]+) \|")


def read_report(path):
    """{variant id: (mpi4py, cmpi, class)} from a committed report."""
    rows = {}
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        m = ROW.match(line)
        if m:
            rows[m["id"]] = (m["ref"], m["got"], m["cls"])
    return rows


def write_report(path, config, callables, rows, diffs):
    by_qual = collections.defaultdict(list)
    quals = {v["id"]: v["qual"] for v, _, _ in rows}
    for vid, entry in diffs.items():
        by_qual[quals[vid]].append((vid, entry))
    counts = collections.Counter(e[2] for e in diffs.values())
    nvar = collections.Counter(v["np"] for v, _, _ in rows)
    agree = sum(1 for v, r, g in rows
                if outcome_class(r, v["qual"]) == outcome_class(g, v["qual"]))
    lines = [
        f"# Differential test against mpi4py {reference.VERSION} ({config})",
        "",
        f"Regenerate with `python tests/differential/run.py --mpi {config} --update`;",
        "tests/launch/test_differential.py fails when a variant's outcome pair or class",
        "changes against this file, or an unclassified difference appears.",
        "Classes come from tests/differential/classified.py.",
        "",
        f"{len(callables)} callables, {len(rows)} variants "
        f"({', '.join(f'{n} at {k} rank(s)' for k, n in sorted(nvar.items()))}): "
        f"{agree} agree, {len(rows) - agree} differ.",
        "",
        "| class | variants |",
        "| --- | --- |",
    ]
    for cls in ("fixed", "stricter", "mpi4py-bug", "library", "unclassified"):
        if cls != "library" or counts.get(cls):  # a class Open MPI's report lacks
            lines.append(f"| {cls} | {counts.get(cls, 0)} |")
    lines += ["", "Outcomes: `ok:<result summary>`, `exc:<exception type>` (with the MPI "
              "error class), `blocks` (still waiting after the watchdog), `crash`; "
              "`A / B` when the ranks differ.", ""]
    for qual in sorted(by_qual):
        lines += [f"## {qual}", "", "| variant | mpi4py | cmpi | class | why |",
                  "| --- | --- | --- | --- | --- |"]
        for vid, (ref, got, cls, reason) in sorted(by_qual[qual]):
            lines.append(f"| `{vid}` | `{ref}` | `{got}` | {cls} | {reason} |")
        lines.append("")
    path.write_text("\n".join(lines))


def same_bug(old, new):
    """An mpi4py bug that returns garbage (memory read past an array)
    returns other garbage each run: only its outcome kind must stay."""
    return (old[2] == new[2] == "mpi4py-bug" and old[1] == new[1]
            and old[0].split(":")[0] == new[0].split(":")[0])


def compare(committed, diffs):
    """Changes of the run against the committed report (text lines)."""
    changes = []
    for vid, (ref, got, cls, reason) in sorted(diffs.items()):
        old = committed.get(vid)
        if old is None:
            if cls == "unclassified":
                changes.append(f"NEW unclassified difference: {vid}: mpi4py {ref}, cmpi {got}")
            elif cls != "fixed":
                changes.append(f"NEW {cls} difference: {vid}: mpi4py {ref}, cmpi {got}")
        elif old != (ref, got, cls) and not same_bug(old, (ref, got, cls)):
            changes.append(f"CHANGED {vid}: was mpi4py {old[0]}, cmpi {old[1]} ({old[2]}); "
                           f"now mpi4py {ref}, cmpi {got} ({cls})")
    for vid, old in sorted(committed.items()):
        if vid not in diffs:
            changes.append(f"GONE {vid}: was mpi4py {old[0]}, cmpi {old[1]} ({old[2]}); "
                           "the outcomes agree now (classify it as fixed)")
    return changes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mpi", default=launcher.config())
    ap.add_argument("--np", nargs="*", type=int, default=[1, 2])
    ap.add_argument("--update", action="store_true", help="write the report")
    ap.add_argument("-k", default=None, help="only variants whose text contains this")
    opts = ap.parse_args()
    callables, rows = run_all(opts.mpi, opts.np, opts.k)
    # every outcome, for a look beyond the differences
    reference.BUILD.mkdir(parents=True, exist_ok=True)
    (reference.BUILD / f"last-{opts.mpi}.json").write_text(json.dumps(
        [{"id": v["id"], "mpi4py": r, "cmpi": g} for v, r, g in rows], indent=0))
    diffs = differences(rows)
    path = report_path(launcher.family_of(opts.mpi))
    counts = collections.Counter(e[2] for e in diffs.values())
    print(f"[differential] {len(rows)} variants; differences by class: {dict(counts)}")
    if opts.update:
        if opts.k or opts.np != [1, 2]:
            sys.exit("--update needs the whole run (no -k, --np 1 2)")
        write_report(path, opts.mpi, callables, rows, diffs)
        write_recorded(launcher.family_of(opts.mpi), rows)
        print(f"[differential] wrote {path.relative_to(ROOT)} and "
              f"{recorded_path(launcher.family_of(opts.mpi)).relative_to(ROOT)}")
        return
    committed = read_report(path)
    if committed is None:
        for vid, (ref, got, cls, reason) in sorted(diffs.items()):
            print(f"  {cls}: {vid}: mpi4py {ref}, cmpi {got}")
        return
    if opts.k:
        ids = {v["id"] for v, _, _ in rows}
        committed = {k: v for k, v in committed.items() if k in ids}
    changes = compare(committed, diffs)
    for c in changes:
        print("  " + c)
    sys.exit(1 if changes else 0)


if __name__ == "__main__":
    main()
