"""``python -m cmpi --profile`` / ``--trace``: cmpi's MPI profile and timeline.

Launched jobs (2 and 4 ranks, under each MPI, with time limits): a known
program's counts and bytes are exact in ``cmpi-profile.json`` and rank 0
prints the table once; the trace loads with ``json``, has one track per
rank and its events nest properly; a rank that raises (the job aborts) and
ranks that are sent SIGTERM leave ``cmpi-profile.rank<N>.json``, the ranks
such an abort kills leave their ``.live`` files (or ``.json``, when the
launcher's SIGTERM came first);
``python -m cmpi.profile report`` reads both kinds of file (and ``--plot``
draws when matplotlib is installed); ``cmpi.profiling()`` counts only its
region; ``cmpi.profile(name)``, mpi4py's loader of profiling libraries,
still works before and after ``import cmpi.profile``.

The formatting (table, median, JSON, trace) is also tested without MPI, on
hand-made per-rank figures.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

pytestmark = pytest.mark.skipif(
    lu.REFERENCE, reason="CMPI_TEST_RUNNER set: the profile is cmpi's own")

TIMEOUT = 60
N_SENDS = 5
MSG_BYTES = 1000

KNOWN = f"""\
from array import array
from cmpi import MPI
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
buf = bytearray({MSG_BYTES})
if rank == 0:
    for dest in range(1, size):
        for i in range({N_SENDS}):
            comm.Send([buf, MPI.BYTE], dest=dest, tag=7)
else:
    for i in range({N_SENDS}):
        comm.Recv([buf, MPI.BYTE], source=0, tag=7)
if rank == 0:
    comm.send({{"a": list(range(10))}}, dest=size - 1, tag=8)
elif rank == size - 1:
    comm.recv(source=0, tag=8)
comm.bcast("hello" if rank == 0 else None, root=0)
a = array("d", [1.0] * 4)
b = array("d", [0.0] * 4)
comm.Allreduce(a, b)
print(f"done {{rank}}", flush=True)
"""


def _job(tmp_path, code, name="job.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def _report(*args, cwd=None):
    return lu.run([lu.python(), "-m", "cmpi.profile", "report", *map(str, args)],
                  timeout=TIMEOUT, cwd=cwd)


# ---------------------------------------------------------------- with MPI

@pytest.mark.parametrize("n", [2, 4])
def test_profile_counts_exact(tmp_path, n):
    script = _job(tmp_path, KNOWN)
    job = lu.mpirun(n, ["--profile", str(script)], timeout=TIMEOUT, cwd=tmp_path)
    job.check_ok()
    assert job.stderr.count("cmpi profile: ") == 1, job
    assert "rank that waited most: rank " in job.err, job
    doc = json.loads((tmp_path / "cmpi-profile.json").read_text())
    assert doc["version"] == 1 and doc["complete"] and doc["missing"] == [], doc
    ranks = {r["rank"]: r for r in doc["ranks"]}
    assert sorted(ranks) == list(range(n))
    for rank, record in ranks.items():
        assert record["pid"] > 0 and record["host"] and record["wall_s"] > 0
        calls = record["calls"]
        for name in ("Comm.Allreduce", "Comm.bcast"):
            assert calls[name]["calls"] == 1, (rank, name, calls)
        assert calls["Comm.Allreduce"]["bytes_sent"] == 32, calls
        assert calls["Comm.Allreduce"]["bytes_received"] == 32, calls
        if rank == 0:
            send = calls["Comm.Send"]
            assert send["calls"] == N_SENDS * (n - 1), send
            assert send["bytes_sent"] == N_SENDS * MSG_BYTES * (n - 1), send
            assert send["bytes_received"] == 0, send
            assert "Comm.Recv" not in calls
        else:
            recv = calls["Comm.Recv"]
            assert recv["calls"] == N_SENDS, recv
            assert recv["bytes_received"] == N_SENDS * MSG_BYTES, recv
            assert recv["bytes_sent"] == 0, recv
            assert "Comm.Send" not in calls
        for figs in calls.values():
            assert 0 <= figs["wait_s"] <= figs["time_s"] + 1e-6, figs
    # a pickled object: what one rank sends the other receives
    sent = ranks[0]["calls"]["Comm.send"]
    received = ranks[n - 1]["calls"]["Comm.recv"]
    assert sent["calls"] == received["calls"] == 1
    assert sent["bytes_sent"] == received["bytes_received"] > 0, (sent, received)
    # the report prints the same table again
    again = _report(tmp_path / "cmpi-profile.json")
    again.check_ok()
    assert "Comm.Send" in again.stdout and "Comm.Allreduce" in again.stdout, again


@pytest.mark.parametrize("n", [2, 4])
def test_trace_chrome_format(tmp_path, n):
    from cmpi.profile import check_trace

    script = _job(tmp_path, KNOWN)
    out = tmp_path / "trace.json"
    job = lu.mpirun(n, ["--trace", str(out), str(script)], timeout=TIMEOUT, cwd=tmp_path)
    job.check_ok()
    assert "cmpi profile: " not in job.stderr, job  # --trace alone prints no table
    doc = json.loads(out.read_text())
    assert doc["displayTimeUnit"] == "ns"
    events = doc["traceEvents"]
    names = {e["pid"]: e["args"]["name"] for e in events if e.get("name") == "process_name"}
    assert sorted(names) == list(range(n)), names
    assert all(names[r].startswith(f"rank {r} (") for r in names), names
    calls = [e for e in events if e["ph"] == "X"]
    assert {e["pid"] for e in calls} == set(range(n))
    assert min(e["ts"] for e in calls) == 0
    assert check_trace(doc) == [], check_trace(doc)[:5]
    sends = [e for e in calls if e["pid"] == 0 and e["name"] == "Comm.Send"]
    assert len(sends) == N_SENDS * (n - 1), len(sends)
    assert all(e["args"]["bytes"] == MSG_BYTES and e["args"]["tag"] == 7 for e in sends), sends[:2]
    assert {e["args"]["peer"] for e in sends} == set(range(1, n))
    assert all(e["args"].get("comm") == "MPI_COMM_WORLD" for e in sends), sends[:2]
    assert "dropped_events" not in doc["otherData"]
    assert not list(tmp_path.glob("trace.json.rank*")), "rank files left behind"


def test_trace_ring_drops_oldest(tmp_path):
    script = _job(tmp_path, KNOWN)
    out = tmp_path / "trace.json"
    env = lu.job_env({"CMPI_TRACE_EVENTS": "3"})
    job = lu.mpirun(2, ["--trace", str(out), str(script)], timeout=TIMEOUT, cwd=tmp_path,
                    env=env)
    job.check_ok()
    doc = json.loads(out.read_text())
    per_rank = {}
    for e in doc["traceEvents"]:
        if e["ph"] == "X":
            per_rank[e["pid"]] = per_rank.get(e["pid"], 0) + 1
    assert per_rank and max(per_rank.values()) <= 3, per_rank
    assert doc["otherData"]["dropped_events"] > 0, doc["otherData"]
    assert [e for e in doc["traceEvents"] if e["ph"] == "i" and "dropped" in e["name"]]


ABORTS = """\
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    buf = bytearray(100)
    if rank == 0:
        comm.Send([buf, MPI.BYTE], dest=1, tag=1)
    elif rank == 1:
        comm.Recv([buf, MPI.BYTE], source=0, tag=1)
        raise RuntimeError("planted failure")
    comm.Barrier()
"""


def test_profile_survives_exception_abort(tmp_path):
    script = _job(tmp_path, ABORTS)
    job = lu.mpirun(2, ["--profile", str(script)], timeout=TIMEOUT, cwd=tmp_path)
    assert not job.timed_out, job
    assert job.returncode != 0, job
    assert "planted failure" in job.err, job
    record = json.loads((tmp_path / "cmpi-profile.rank1.json").read_text())
    assert record["rank"] == 1 and record["reason"] == "abort", record
    assert record["calls"]["Comm.Recv"]["calls"] == 1
    assert record["calls"]["Comm.Recv"]["bytes_received"] == 100
    report = _report(*sorted(tmp_path.glob("cmpi-profile.rank*.json")))
    report.check_ok()
    assert "Comm.Recv" in report.stdout, report


BLOCKED_AT_ABORT = """\
    import time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    buf = bytearray(64)
    for i in range(3):
        comm.Bcast([buf, MPI.BYTE], root=0)
    comm.Barrier()
    if rank == 1:
        time.sleep(0.3)   # the others are blocked by now
        raise RuntimeError("planted failure")
    elif rank == 0:
        comm.recv(source=1, tag=99)   # in the polling wait
    else:
        comm.Barrier()                # in a blocking collective
"""


@pytest.mark.parametrize("n", [2, 3])
def test_profile_of_ranks_killed_by_another_ranks_abort(tmp_path, n):
    # MPICH's launcher SIGKILLs the other ranks; Open MPI's sends SIGTERM
    # and SIGKILL soon after, often before a rank blocked in MPI runs its
    # handler: every rank's figures must be on disk all the same.
    script = _job(tmp_path, BLOCKED_AT_ABORT)
    job = lu.mpirun(n, ["--profile", str(script)], timeout=TIMEOUT, cwd=tmp_path)
    assert not job.timed_out, job
    assert job.returncode != 0, job
    assert "planted failure" in job.err, job
    assert "python -m cmpi.profile report" in job.err, job
    report = _report(cwd=tmp_path)  # no file named: the per-rank files
    report.check_ok()
    from cmpi.profile import load_records

    files = sorted(tmp_path.glob("cmpi-profile.rank*"))
    records, missing = load_records(files)
    assert missing == [] and [r["rank"] for r in records] == list(range(n)), files
    for record in records:
        calls = record["calls"]
        assert calls["Comm.Bcast"]["calls"] == 3, record
        assert calls["Comm.Bcast"]["bytes_sent" if record["rank"] == 0
                                   else "bytes_received"] == 3 * 64, record
        assert calls["Comm.Barrier"]["calls"] == 1, record
        assert record["reason"] in ("abort", "SIGTERM", "killed"), record
        assert record["wall_s"] > 0, record
    assert records[1]["reason"] == "abort"
    line = [x for x in report.stdout.splitlines() if x.startswith("partial ranks")]
    assert line and all(f"{r['rank']} ({r['reason']})" in line[0] for r in records), report
    assert "missing ranks" not in report.stdout, report


TERMINATED = """\
    import os, sys, time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    buf = bytearray(64)
    for i in range(3):
        comm.Bcast([buf, MPI.BYTE], root=0)
    with open(os.path.join(sys.argv[1], f"ready.{rank}"), "w") as f:
        f.write(str(os.getpid()))
    if rank == 0:
        time.sleep(50)           # in Python
    else:
        comm.recv(source=0, tag=99)   # in a blocking MPI wait
"""


def test_profile_survives_sigterm(tmp_path):
    n = 2
    script = _job(tmp_path, TERMINATED)
    cmd = lu.launcher.mpiexec(n) + lu.runner() + ["--profile", str(script), str(tmp_path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=lu.job_env(), cwd=tmp_path,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        ready = [tmp_path / f"ready.{r}" for r in range(n)]
        while not all(p.exists() and p.read_text() for p in ready):
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        time.sleep(0.3)
        for path in ready:
            os.kill(int(path.read_text()), signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            lu._kill_tree(proc)
            proc.communicate()
    assert proc.returncode != 0
    for rank in range(n):
        path = tmp_path / f"cmpi-profile.rank{rank}.json"
        assert path.exists(), f"rank {rank} wrote nothing\n{stderr}"
        record = json.loads(path.read_text())
        assert record["reason"] == "SIGTERM", record
        assert record["calls"]["Comm.Bcast"]["calls"] == 3, record
    report = _report(*sorted(tmp_path.glob("cmpi-profile.rank*.json")))
    report.check_ok()
    assert "Comm.Bcast" in report.stdout, report


REGION = """\
    import json
    import cmpi
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    comm.Barrier()
    with cmpi.profiling() as outer:
        comm.allreduce(rank)
        with cmpi.profiling() as inner:
            comm.Barrier()
        comm.allreduce(rank)
    comm.Barrier()
    outer_data, inner_data = outer.data(), inner.data()
    assert set(inner_data) == {"Comm.Barrier"}, inner_data
    assert inner_data["Comm.Barrier"]["calls"] == 1, inner_data
    assert outer_data["Comm.allreduce"]["calls"] == 2, outer_data
    assert outer_data["Comm.Barrier"]["calls"] == 1, outer_data
    print(f"rank {rank} region ok", flush=True)
"""


def test_profiling_region_counts_only_the_region(tmp_path):
    script = _job(tmp_path, REGION)
    job = lu.mpirun(2, [str(script)], timeout=TIMEOUT, cwd=tmp_path)
    job.check_ok()
    assert job.out.count("region ok") == 2, job
    assert "cmpi profile: " not in job.stderr, job
    assert not (tmp_path / "cmpi-profile.json").exists()


def test_environment_and_rc_enable_profile(tmp_path):
    script = _job(tmp_path, KNOWN)
    env = lu.job_env({"CMPI_PROFILE": "1", "CMPI_PROFILE_FILE": str(tmp_path / "p.json")})
    job = lu.mpirun_plain(2, [str(script)], timeout=TIMEOUT, cwd=tmp_path, env=env)
    job.check_ok()
    assert job.stderr.count("cmpi profile: ") == 1, job
    assert json.loads((tmp_path / "p.json").read_text())["complete"]


LOADER = """\
    import ctypes.util, inspect, sys
    import cmpi
    def check(fn):
        try:
            fn("cmpi-no-such-profiler")
        except ValueError as exc:
            assert "not found" in str(exc), exc
        else:
            raise AssertionError("no ValueError")
        assert ctypes.util.find_library("m")
        assert fn("m") is None  # found by the linker's search, loaded
        assert str(inspect.signature(fn)) == "(name, *, path=None, logfile=None)"
    check(cmpi.profile)
    import cmpi.profile
    check(cmpi.profile)
    assert cmpi.profile.format_table
    import mpi4py
    check(mpi4py.profile)
    print("loader ok", flush=True)
"""


def test_profile_function_still_callable(tmp_path):
    script = _job(tmp_path, LOADER)
    job = lu.mpirun(None, [str(script)], timeout=TIMEOUT, cwd=tmp_path)
    job.check_ok()
    assert "loader ok" in job.out, job


def test_help_lists_options():
    job = lu.run([lu.python(), "-m", "cmpi", "--help"], timeout=TIMEOUT)
    job.check_ok()
    assert "--profile" in job.stdout and "--trace FILE" in job.stdout, job


# ---------------------------------------------------------------- without MPI

def _records():
    from cmpi.profile import rank_record

    return [
        rank_record({"Comm.Send": (10, 2_000_000, 1_000_000, 800, 0),
                     "Comm.Allreduce": (3, 5_000_000, 4_000_000, 24, 24)}, 1.0, 0, 3, "h0", 11),
        rank_record({"Comm.Recv": (10, 30_000_000, 25_000_000, 0, 800),
                     "Comm.Allreduce": (3, 1_000_000, 0, 24, 24)}, 2.0, 1, 3, "h1", 12),
        rank_record({"Comm.Allreduce": (3, 9_000_000, 8_000_000, 24, 24),
                     "Comm.Barrier": (0, 0, 0, 0, 0)}, 1.5, 2, 3, "h2", 13),
    ]


def test_table_from_hand_made_figures():
    from cmpi.profile import call_rows, format_table

    records = _records()
    rows = {row[0]: row for row in call_rows(records)}
    assert "Comm.Barrier" not in rows  # no calls: left out
    name, calls, total, low, mid, high, wait, sent, received = rows["Comm.Allreduce"]
    assert (calls, sent, received) == (9, 72, 72)
    assert (low, mid, high) == (0.001, 0.005, 0.009)
    assert total == pytest.approx(0.015) and wait == pytest.approx(0.012)
    # a rank without the call counts as 0 s
    assert rows["Comm.Send"][3:6] == (0.0, 0.0, 0.002)
    assert [row[0] for row in call_rows(records)] == ["Comm.Recv", "Comm.Allreduce", "Comm.Send"]
    text = format_table(records)
    assert text.count("\n") == 7, text
    assert "3 ranks, wall time 2.00 s" in text
    in_mpi = (2 + 5 + 30 + 1 + 9) / 1000 / 4.5
    assert f"time in MPI: {100 * in_mpi:.1f}%" in text, text
    assert "rank that waited most: rank 1 on h1, 25.00 ms (1.2% of its wall time)" in text, text


def test_table_says_how_times_were_taken(monkeypatch):
    from cmpi.profile import format_table

    monkeypatch.delenv("CMPI_PROFILE_TIMING", raising=False)
    assert "; times sampled)" in format_table(_records())
    monkeypatch.setenv("CMPI_PROFILE_TIMING", "exact")
    assert "; exact times)" in format_table(_records())


def test_json_documents_and_report(tmp_path):
    from cmpi.profile import load_records, merge_document

    records = _records()
    doc = merge_document(records[:2], size=3)
    assert doc["missing"] == [2] and doc["complete"] is False
    merged = tmp_path / "cmpi-profile.json"
    merged.write_text(json.dumps(doc))
    part = dict(records[2], version=1, reason="SIGTERM")
    (tmp_path / "cmpi-profile.rank2.json").write_text(json.dumps(part))
    got, missing = load_records([merged])
    assert [r["rank"] for r in got] == [0, 1] and missing == [2]
    got, missing = load_records([merged, tmp_path / "cmpi-profile.rank2.json"])
    assert [r["rank"] for r in got] == [0, 1, 2] and missing == []
    job = _report(merged)
    job.check_ok()
    assert "missing ranks (no figures): 2" in job.stdout, job
    bad = tmp_path / "other.json"
    bad.write_text("{}")
    job = _report(bad)
    assert job.returncode == 1 and "not a cmpi profile file" in job.stderr, job


def test_report_plot(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (tools/setup.sh openmpi installs it)")
    from cmpi.profile import merge_document

    merged = tmp_path / "cmpi-profile.json"
    merged.write_text(json.dumps(merge_document(_records())))
    png = tmp_path / "out.png"
    job = _report(merged, "--plot", png)
    job.check_ok()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_trace_writer_from_hand_made_events(tmp_path):
    from cmpi.profile import check_trace, write_rank_trace, write_trace

    files = []
    for rank, offset in ((0, 1_000_000_000), (1, 1_000_500_000)):
        events = [("Comm.Recv", 3000, 1000, 1 - rank, 5, 8, "MPI_COMM_WORLD"),
                  ("Comm.bcast", 10_000, 5000, 0, -1, 40, None),
                  ("Comm.Bcast", 11_000, 2000, 0, -1, 40, "MPI_COMM_WORLD")]
        path = tmp_path / f"t.json.rank{rank}"
        write_rank_trace(str(path), reversed(events), 7 if rank else 0, rank, f"h{rank}", offset)
        files.append(str(path))
    write_trace(str(tmp_path / "t.json"), files)
    doc = json.loads((tmp_path / "t.json").read_text())
    assert check_trace(doc) == []
    calls = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert calls[0]["ts"] == 0.0 and calls[0]["dur"] == 1.0
    assert calls[0]["args"] == {"bytes": 8, "peer": 1, "tag": 5, "comm": "MPI_COMM_WORLD"}
    assert [e["ts"] for e in calls if e["pid"] == 1][0] == 500.0  # aligned on wall time
    assert doc["otherData"]["dropped_events"] == 7
    # an overlap that is not a nesting is found
    calls[2]["dur"] = 100.0
    assert check_trace(doc)


LATE = """\
    import time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    comm.Barrier()
    if comm.Get_rank() == 1:
        time.sleep(6)   # longer than CMPI_PROFILE_TIMEOUT
"""


def test_rank_that_never_arrives_does_not_hang_exit(tmp_path):
    script = _job(tmp_path, LATE)
    env = lu.job_env({"CMPI_PROFILE_TIMEOUT": "2"})
    job = lu.mpirun(2, ["--profile", str(script)], timeout=TIMEOUT, cwd=tmp_path, env=env)
    job.check_ok()
    assert "sent nothing within 2 s" in job.err, job
    doc = json.loads((tmp_path / "cmpi-profile.json").read_text())
    assert doc["complete"] is False, doc
    # rank 1's figures as of rank 0's exit, from its live file (the ranks
    # share a file system here), marked partial
    assert doc["missing"] == [] and doc["partial"] == [1], doc
    assert "partial ranks" in job.err and "1 (no answer at exit: its live file)" in job.err, job
    assert doc["ranks"][1]["calls"]["Comm.Barrier"]["calls"] == 1, doc


HANGS = """\
    import time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    comm.Barrier()
    if comm.Get_rank() == 0:
        time.sleep(30)
    else:
        comm.recv(source=0, tag=5)
"""


def test_hang_report_writes_rank_file(tmp_path):
    script = _job(tmp_path, HANGS)
    job = lu.mpirun(2, ["--profile", "--hang-timeout", "1", "--hang-abort", str(script)],
                    timeout=TIMEOUT, cwd=tmp_path)
    assert not job.timed_out, job
    assert "still waiting after" in job.err, job
    record = json.loads((tmp_path / "cmpi-profile.rank1.json").read_text())
    assert record["reason"] == "hang report", record
    assert record["calls"]["Comm.Barrier"]["calls"] == 1, record
