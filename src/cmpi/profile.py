"""cmpi's MPI profile and timeline.

``python -m cmpi --profile job.py`` (also ``CMPI_PROFILE=1`` or
``cmpi.rc.profile = True``): every rank counts, per MPI call name
(``Comm.send``, ``Comm.Allreduce``, ``Win.Put``, ``Request.Wait``, ...),
the calls, the seconds inside them, the seconds of those spent waiting,
and the payload bytes sent and received.  At exit rank 0 gathers every
rank's figures, prints one table to stderr and writes them all to
``cmpi-profile.json`` (``CMPI_PROFILE_FILE``).  A rank that is aborted,
terminated (SIGTERM) or reported hanging writes its own figures to
``cmpi-profile.rank<N>.json``.  While it runs, each rank also keeps its
counters in ``cmpi-profile.rank<N>.live``, a file mapped into its memory
(the counters are written there as they change, at no extra cost), so a
rank killed without warning (MPICH's launcher sends SIGKILL to every rank
when one calls MPI_Abort) leaves its figures as of the moment it died; a
rank removes that file once its figures are in the report or in its
``.json`` file.  The table says which ranks' figures are partial.

``python -m cmpi --trace out.json`` (``CMPI_TRACE=out.json``,
``cmpi.rc.trace``) records every MPI call as an event and writes them, one
track per rank, in the Chrome trace event format (Perfetto,
chrome://tracing); a rank keeps at most ``CMPI_TRACE_EVENTS`` events
(default 1,000,000; the oldest are dropped, and the file says so).

``with cmpi.profiling() as region:`` counts only inside the region;
``region.data()`` gives this rank's figures for it.

``python -m cmpi.profile report FILE... [--plot out.png]`` prints the
table again from ``cmpi-profile.json`` or from per-rank files, and draws
per-rank bars of compute, MPI and wait time (matplotlib).

``cmpi.profile(name, *, path=None, logfile=None)``, the loader of an MPI
profiling library (mpi4py's MPE/VT hook), is still callable after this
module is imported: the module calls it.
"""

import json
import os
import socket
import statistics
import sys
import time
import types

from cmpi import _jobsafety

__all__ = ["profiling", "Region", "rank_record", "format_table", "merge_document",
           "load_records", "write_trace", "plot", "main"]

VERSION = 1
DEFAULT_TRACE_EVENTS = 1_000_000
#: seconds rank 0 waits at exit for the other ranks' figures
DEFAULT_GATHER_TIMEOUT = 30.0
_TAG_RECORD = 1

# Whole-job state of this process (enable() sets it).
_job = None
# Depth of active profiling() regions, and whether they started counting.
_regions = {"depth": 0, "started": False}


# ---------------------------------------------------------------- figures

def _figures(raw):
    """``MPI._prof_data()`` (name -> (calls, time_ns, wait_ns, sent,
    received)) as the JSON record's ``calls`` dict."""
    calls = {}
    for name, (count, time_ns, wait_ns, sent, received) in sorted(raw.items()):
        if count == 0:
            continue
        calls[name] = {"calls": int(count), "time_s": time_ns / 1e9, "wait_s": wait_ns / 1e9,
                       "bytes_sent": int(sent), "bytes_received": int(received)}
    return calls


def _difference(after, before):
    """Per-name difference of two ``_prof_data()`` snapshots."""
    out = {}
    for name, values in after.items():
        old = before.get(name, (0, 0, 0, 0, 0))
        out[name] = tuple(a - b for a, b in zip(values, old))
    return out


def rank_record(raw, wall_s, rank, size, host=None, pid=None):
    """One rank's figures as ``cmpi-profile.json`` holds them."""
    return {"rank": int(rank), "size": int(size),
            "host": socket.gethostname() if host is None else host,
            "pid": os.getpid() if pid is None else int(pid),
            "wall_s": float(wall_s),
            "timing": "exact" if _exact_timing() else "sampled", "calls": _figures(raw)}


def merge_document(records, missing=(), size=None):
    """The merged file's document: every rank's record, and which ranks
    did not answer."""
    records = sorted(records, key=lambda r: r["rank"])
    if size is None:
        size = max([r.get("size", 0) for r in records] + [len(records)])
    known = {r["rank"] for r in records}
    missing = sorted(set(missing) | {r for r in range(size) if r not in known})
    partial = [r["rank"] for r in records if r.get("reason")]
    return {"version": VERSION, "ranks": records, "missing": missing, "partial": partial,
            "complete": not missing and not partial}


# ---------------------------------------------------------------- table

def _seconds(value):
    if value == 0:
        return "0 s"
    if value >= 100:
        return f"{value:.0f} s"
    if value >= 1:
        return f"{value:.2f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.2f} ms"
    return f"{value * 1e6:.1f} us"


def _bytes(value):
    if value < 1024:
        return f"{value} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    return str(value)  # not reached


def call_rows(records):
    """Per call name, over ranks (a rank that never made the call counts as
    0 s): (name, calls, time sum, min, median, max, wait sum, sent,
    received), by time sum, largest first."""
    names = sorted({name for r in records for name in r["calls"]})
    rows = []
    for name in names:
        figs = [r["calls"].get(name) for r in records]
        times = [f["time_s"] if f else 0.0 for f in figs]
        present = [f for f in figs if f]
        rows.append((name, sum(f["calls"] for f in present), sum(times), min(times),
                     statistics.median(times), max(times), sum(f["wait_s"] for f in present),
                     sum(f["bytes_sent"] for f in present),
                     sum(f["bytes_received"] for f in present)))
    rows.sort(key=lambda row: (-row[2], row[0]))
    return rows


def rank_totals(record):
    """(wall, time in MPI, time waiting) of one rank, in seconds."""
    calls = record["calls"].values()
    return (record["wall_s"], sum(f["time_s"] for f in calls),
            sum(f["wait_s"] for f in calls))


def _timing_note(records):
    """How the records' times were taken (as each rank's file says; files
    without the entry: as this process would take them)."""
    kinds = {r.get("timing") or ("exact" if _exact_timing() else "sampled") for r in records}
    if kinds == {"exact"}:
        return "exact times"
    return "times sampled" if kinds == {"sampled"} else "times sampled on some ranks"


def format_table(records, missing=()):
    """The profile table, as rank 0 prints it at exit."""
    records = sorted(records, key=lambda r: r["rank"])
    header = ("call", "calls", "time sum", "min", "median", "max", "wait sum", "sent",
              "received")
    lines = []
    for (name, calls, total, low, mid, high, wait, sent, received) in call_rows(records):
        lines.append((name, str(calls), _seconds(total), _seconds(low), _seconds(mid),
                      _seconds(high), _seconds(wait), _bytes(sent), _bytes(received)))
    widths = [max(len(row[i]) for row in [header] + lines) for i in range(len(header))]

    def line(row):
        return "  ".join([row[0].ljust(widths[0])]
                         + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])])

    totals = [rank_totals(r) for r in records]
    wall = sum(t[0] for t in totals)
    in_mpi = sum(t[1] for t in totals)
    waiting = sum(t[2] for t in totals)
    out = [f"cmpi profile: {len(records)} rank{'s' if len(records) != 1 else ''}"
           f", wall time {_seconds(max((t[0] for t in totals), default=0.0))} (longest rank)"]
    partial = [r for r in records if r.get("reason")]
    if partial:
        out.append("partial ranks (figures up to where each ended, not at its exit): "
                   + ", ".join(f"{r['rank']} ({r['reason']})" for r in partial))
    if missing:
        out.append(f"missing ranks (no figures): {', '.join(map(str, sorted(missing)))}")
    out.append(line(header))
    out.extend(line(row) for row in lines)
    if wall > 0:
        out.append(f"time in MPI: {100 * in_mpi / wall:.1f}% of the ranks' wall time "
                   f"(waiting: {100 * waiting / wall:.1f}%; "
                   f"{_timing_note(records)})")
    if records:
        worst = max(zip(records, totals), key=lambda pair: (pair[1][2], -pair[0]["rank"]))
        record, (rank_wall, _, rank_wait) = worst
        share = f" ({100 * rank_wait / rank_wall:.1f}% of its wall time)" if rank_wall > 0 else ""
        out.append(f"rank that waited most: rank {record['rank']} on {record['host']}, "
                   f"{_seconds(rank_wait)}{share}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- files

def load_records(paths):
    """Records and missing ranks from merged files and/or per-rank files:
    (records, missing).  A rank found twice keeps its last record."""
    by_rank = {}
    missing = set()
    size = 0
    for path in paths:
        if _is_live(path):
            doc = read_live(path)
        else:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        if "ranks" in doc:
            for record in doc["ranks"]:
                by_rank[record["rank"]] = record
                size = max(size, record.get("size", 0))
            missing.update(doc.get("missing", ()))
        elif "rank" in doc and "calls" in doc:
            by_rank[doc["rank"]] = doc
            size = max(size, doc.get("size", 0))
        else:
            raise ValueError(f"{path}: not a cmpi profile file")
    missing.update(r for r in range(size) if r not in by_rank)
    missing.difference_update(by_rank)
    return [by_rank[r] for r in sorted(by_rank)], sorted(missing)


LIVE_MAGIC = b"CMPILIV1"
# prof_live_head in csrc/profile.c: magic, header_len, nwrappers, names_len,
# data_offset, updated_ns (CLOCK_REALTIME), ns_per_tick
_LIVE_HEAD = "=8sIIIIqd"
#: the reason of a record read from a live file: the process ended without
#: writing its figures (figures as of its last update)
LIVE_REASON = "killed"


def _is_live(path):
    try:
        with open(path, "rb") as f:
            return f.read(len(LIVE_MAGIC)) == LIVE_MAGIC
    except OSError:
        return False


def read_live(path):
    """A rank's record from its live file (``MPI._prof_live``): the
    counters as they were when the process last wrote them."""
    import struct

    with open(path, "rb") as f:
        data = f.read()
    head_size = struct.calcsize(_LIVE_HEAD)
    (magic, header_len, n, names_len, offset, updated_ns,
     ns_per_tick) = struct.unpack_from(_LIVE_HEAD, data)
    if magic != LIVE_MAGIC or len(data) < offset + 8 * 7 * n:
        raise ValueError(f"{path}: not a cmpi profile live file (or cut short)")
    header = json.loads(data[head_size:head_size + header_len])
    names = data[head_size + header_len:head_size + header_len + names_len]
    names = names.decode("utf-8").split("\n")[:n]
    counts = struct.unpack_from(f"={5 * n}q", data, offset)
    sampled = struct.unpack_from(f"={2 * n}q", data, offset + 40 * n)
    raw = {}
    for i, name in enumerate(names):
        calls, time_t, wait_t, sent, received = counts[5 * i:5 * i + 5]
        figures = (calls, round(time_t * ns_per_tick) + sampled[2 * i],
                   round(wait_t * ns_per_tick) + sampled[2 * i + 1], sent, received)
        old = raw.get(name, (0, 0, 0, 0, 0))
        raw[name] = tuple(a + b for a, b in zip(old, figures))
    # the sampler stamps the file at each tick; with exact timing only
    # the kernel's write-back does (the file's time)
    end_ns = max(updated_ns, os.stat(path).st_mtime_ns if header.get("timing") == "exact"
                 else 0)
    record = {"rank": header["rank"], "size": header["size"], "host": header["host"],
              "pid": header["pid"], "wall_s": max(end_ns - header["t0_ns"], 0) / 1e9,
              "timing": header.get("timing", "sampled"), "calls": _figures(raw),
              "version": VERSION, "reason": LIVE_REASON}
    return record


def live_path(rank, path=None):
    """``cmpi-profile.rank<N>.live`` beside the merged file."""
    stem, _ = os.path.splitext(rank_path(rank, path))
    return stem + ".live"


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def _write_json(path, document):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def profile_path():
    return os.environ.get("CMPI_PROFILE_FILE", "").strip() or "cmpi-profile.json"


def rank_path(rank, path=None):
    """``cmpi-profile.rank<N>.json`` beside the merged file."""
    stem, ext = os.path.splitext(profile_path() if path is None else path)
    return f"{stem}.rank{rank}{ext or '.json'}"


# ---------------------------------------------------------------- trace

def write_rank_trace(path, events, dropped, rank, host, offset_ns):
    """One rank's events as lines of JSON (a header, then one event per
    line, start in wall-clock ns): what rank 0 merges.  Returns the
    earliest start (wall ns) or None."""
    earliest = None
    with open(path, "w", encoding="utf-8") as f:
        f.write(json.dumps({"rank": rank, "host": host, "dropped": int(dropped)}) + "\n")
        for name, start, duration, peer, tag, nbytes, comm in events:
            start += offset_ns
            if earliest is None or start < earliest:
                earliest = start
            f.write(json.dumps([name, start, duration, peer, tag, nbytes, comm]) + "\n")
    return earliest


def _read_rank_trace(path):
    with open(path, encoding="utf-8") as f:
        header = json.loads(f.readline())
        events = [json.loads(line) for line in f if line.strip()]
    return header, events


def write_trace(out_path, rank_files, origin_ns=None, other=None):
    """Merge per-rank event files (write_rank_trace) into one Chrome trace
    event file: one process (track) per rank, complete events ("X") with
    microsecond times from the earliest event of the job.  Reads one
    rank's file at a time."""
    if origin_ns is None:
        origin_ns = 0
        starts = []
        for path in rank_files:
            with open(path, encoding="utf-8") as f:
                f.readline()
                for line in f:
                    if line.strip():
                        starts.append(json.loads(line)[1])
        origin_ns = min(starts, default=0)
    other = dict(other or {})
    dropped_total = 0
    tmp = f"{out_path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write('{"displayTimeUnit": "ns", "traceEvents": [\n')
        first = True

        def emit(event):
            nonlocal first
            out.write(("" if first else ",\n") + json.dumps(event))
            first = False

        for path in rank_files:
            header, events = _read_rank_trace(path)
            rank = header["rank"]
            emit({"ph": "M", "name": "process_name", "pid": rank, "tid": 0,
                  "args": {"name": f"rank {rank} ({header['host']})"}})
            emit({"ph": "M", "name": "process_sort_index", "pid": rank, "tid": 0,
                  "args": {"sort_index": rank}})
            # parents before the calls they contain
            events.sort(key=lambda e: (e[1], -e[2]))
            if header["dropped"]:
                dropped_total += header["dropped"]
                ts = (events[0][1] - origin_ns) / 1e3 if events else 0.0
                emit({"ph": "i", "s": "p", "name": f"{header['dropped']} events dropped",
                      "pid": rank, "tid": 0, "ts": ts,
                      "args": {"dropped": header["dropped"]}})
            for name, start, duration, peer, tag, nbytes, comm in events:
                args = {"bytes": nbytes}
                if peer != -1:
                    args["peer"] = peer
                if tag != -1:
                    args["tag"] = tag
                if comm is not None:
                    args["comm"] = comm
                emit({"ph": "X", "name": name, "cat": "mpi", "pid": rank, "tid": 0,
                      "ts": (start - origin_ns) / 1e3, "dur": duration / 1e3, "args": args})
            del events
        if dropped_total:
            other["dropped_events"] = dropped_total
            other["note"] = (f"{dropped_total} events were dropped: each rank keeps its last "
                             f"CMPI_TRACE_EVENTS events")
        out.write('\n], "otherData": ' + json.dumps(other) + "}\n")
    os.replace(tmp, out_path)


def check_trace(document):
    """Problems of a Chrome trace document (empty when none): per rank,
    events sorted by start and every two events either disjoint or one
    inside the other."""
    problems = []
    by_pid = {}
    for event in document["traceEvents"]:
        if event.get("ph") == "X":
            by_pid.setdefault(event["pid"], []).append(event)
    for pid, events in by_pid.items():
        stack = []
        last = float("-inf")
        for event in events:
            start, end = event["ts"], event["ts"] + event["dur"]
            if start < last:
                problems.append(f"rank {pid}: {event['name']} at {start} out of order")
            last = start
            while stack and stack[-1] <= start:
                stack.pop()
            if stack and end > stack[-1] + 1e-3:
                problems.append(f"rank {pid}: {event['name']} at {start} overlaps its parent")
            stack.append(end)
    return problems


# ---------------------------------------------------------------- plot

def plot(records, path):
    """Per-rank stacked bars of compute / MPI (not waiting) / wait time, to
    ``path`` (matplotlib, Agg).  Raises ImportError without matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = sorted(records, key=lambda r: r["rank"])
    ranks = [r["rank"] for r in records]
    compute, busy, wait = [], [], []
    for record in records:
        wall, in_mpi, waiting = rank_totals(record)
        wait.append(waiting)
        busy.append(max(in_mpi - waiting, 0.0))
        compute.append(max(wall - in_mpi, 0.0))
    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(ranks) + 2.5), 3.6), dpi=100)
    labels = [str(r) for r in ranks]
    ax.bar(labels, compute, label="compute", color="#4c72b0")
    ax.bar(labels, busy, bottom=compute, label="MPI (not waiting)", color="#dd8452")
    ax.bar(labels, wait, bottom=[c + b for c, b in zip(compute, busy)], label="MPI waiting",
           color="#c44e52")
    ax.set_xlabel("rank")
    ax.set_ylabel("seconds")
    ax.set_title("cmpi profile: where each rank's time went")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------- region

class Region:
    """Figures of a ``cmpi.profiling()`` region on this rank."""

    def __init__(self):
        self._before = None
        self._raw = None
        self._t0 = 0
        self.wall_s = 0.0

    def raw(self):
        """name -> (calls, time_ns, wait_ns, bytes_sent, bytes_received)."""
        if self._raw is not None:
            return dict(self._raw)
        return _difference(_mpi()._prof_data(), self._before)

    def data(self):
        """name -> {"calls", "time_s", "wait_s", "bytes_sent",
        "bytes_received"}, for the calls made in the region (so far, while
        it is still open)."""
        return _figures(self.raw())


class profiling:
    """``with cmpi.profiling() as region:``: count this rank's MPI calls
    in the region only; ``region.data()`` gives the figures.  Works
    with or without ``--profile``, and nested; prints nothing."""

    def __init__(self):
        self._region = Region()
        self._started = False

    def __enter__(self):
        mpi = _mpi()
        mpi._prof_install()
        if not _counting():
            mpi._prof_start(0, exact=_exact_timing())
            self._started = True
            _regions["started"] = True
        _regions["depth"] += 1
        self._region._before = mpi._prof_data()
        self._region._t0 = time.monotonic_ns()
        return self._region

    def __exit__(self, *exc):
        mpi = _mpi()
        self._region._raw = _difference(mpi._prof_data(), self._region._before)
        self._region.wall_s = (time.monotonic_ns() - self._region._t0) / 1e9
        _regions["depth"] -= 1
        if self._started:
            mpi._prof_stop()
            _regions["started"] = False
        return False


def _mpi():
    from cmpi import MPI

    return MPI


def _counting():
    return _regions["started"] or (_job is not None and _job["counting"])


# ---------------------------------------------------------------- whole job

def _int_env(name, default):
    raw = os.environ.get(name, "").strip().replace("_", "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


def _exact_timing():
    """CMPI_PROFILE_TIMING=exact: a clock read per call instead of sampling."""
    return os.environ.get("CMPI_PROFILE_TIMING", "").strip().lower() == "exact"


def _float_env(name, default):
    """A number of seconds from the environment; default when unset, not a
    number, or negative."""
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value >= 0 else default


def _gather_timeout():
    return _float_env("CMPI_PROFILE_TIMEOUT", DEFAULT_GATHER_TIMEOUT) or DEFAULT_GATHER_TIMEOUT


def enable(rank, size, profile=True, trace=None):
    """Profile the whole job (rc.profile / rc.trace).  Called by
    cmpi._jobsafety.install while cmpi.MPI is being imported, before all
    its classes exist: the calls are wrapped, the private communicator of
    the exit report is made and counting starts as soon as the import has
    finished."""
    global _job
    if _job is not None:
        return
    if trace is True:
        trace = "cmpi-trace.json"
    _job = {"profile": bool(profile), "trace": os.fspath(trace) if trace else None,
            "rank": rank, "size": size, "host": socket.gethostname(), "comm": None,
            "counting": False, "t0": time.monotonic_ns(), "done": False}
    _after_import(_start_job)
    import atexit

    atexit.register(_at_exit)
    _install_sigterm()


def _start_counting():
    mpi = sys.modules["cmpi.MPI"]
    events = _int_env("CMPI_TRACE_EVENTS", DEFAULT_TRACE_EVENTS) if _job["trace"] else 0
    mpi._prof_reset()
    mpi._prof_start(events, exact=_exact_timing())
    _job["counting"] = True
    _job["t0"] = time.monotonic_ns()
    if _job["profile"]:
        _open_live(mpi, time.time_ns())


def _open_live(mpi, t0_ns):
    """This rank's counters into its live file (the last run's files of
    this rank go)."""
    rank = _job["rank"]
    _remove(rank_path(rank))
    header = {"rank": rank, "size": _job["size"], "host": _job["host"], "pid": os.getpid(),
              "t0_ns": t0_ns, "timing": "exact" if _exact_timing() else "sampled"}
    try:
        mpi._prof_live(live_path(rank), json.dumps(header).encode())
        _job["live"] = live_path(rank)
    except Exception as exc:
        sys.stderr.write(f"cmpi: profile: cannot keep this rank's figures in a file while "
                         f"it runs (a killed rank then leaves none): {exc!r}\n")


def _drop_live():
    """The live file is no longer needed: the figures are elsewhere."""
    path = _job.pop("live", None) if _job is not None else None
    if path:
        _remove(path)


def _after_import(action):
    """Run ``action`` once cmpi.MPI has finished importing, on the thread
    that imports it (the private communicator's Dup is collective: every
    rank makes it at the same point, right after its import).  A profile
    function (sys.setprofile) watches for the import's end, and removes
    itself.  When another profiler is active (cProfile), ``action`` runs
    at once instead: the classes cmpi.MPI makes after COMM_WORLD (Win,
    File, Info, Session) are then not counted, and the communicator is
    made at exit."""
    if sys.getprofile() is not None:
        action(early=True)
        return

    seen = []

    def watch(frame, event, arg):
        if event not in ("call", "return"):
            return  # importlib pops and puts back the module in C calls
        module = sys.modules.get("cmpi.MPI")
        if module is None:
            if seen:  # the import failed: nothing to wait for
                sys.setprofile(None)
            return
        if not seen:
            seen.append(True)
        # importlib marks the spec while the module executes
        initializing = getattr(getattr(module, "__spec__", None), "_initializing", None)
        if initializing or (initializing is None and not hasattr(module, "Session")):
            return
        sys.setprofile(None)
        action()

    sys.setprofile(watch)


def _start_job(early=False):
    mpi = sys.modules["cmpi.MPI"]
    try:
        mpi._prof_install()
    except Exception as exc:
        sys.stderr.write(f"cmpi: profile: cannot wrap the MPI calls: {exc!r}\n")
        return
    if early:
        _job["pending"] = _make_private_comm
    elif _job["size"] > 1:
        _make_private_comm()
    _start_counting()


def _make_private_comm():
    mpi = sys.modules["cmpi.MPI"]
    try:
        comm = mpi.COMM_WORLD.Dup()
        comm.Set_name("cmpi profile")
        _job["comm"] = comm
    except Exception as exc:
        sys.stderr.write(f"cmpi: profile: cannot make its communicator: {exc!r}\n")


def _my_record():
    mpi = sys.modules["cmpi.MPI"]
    wall = (time.monotonic_ns() - _job["t0"]) / 1e9
    return rank_record(mpi._prof_data(), wall, _job["rank"], _job["size"], _job["host"])


def write_partial(reason, record=None):
    """This rank's figures so far to ``cmpi-profile.rank<N>.json`` (abort,
    SIGTERM, hang report).  Never raises."""
    if _job is None or not _job["profile"] or _job["done"]:
        return None
    if record is None and not _job["counting"]:
        return None
    try:
        record = _my_record() if record is None else record
        record["version"] = VERSION
        record["reason"] = reason
        path = rank_path(_job["rank"])
        _write_json(path, record)
        if reason != "hang report":  # the process ends: the .json is the last word
            _drop_live()
        if reason == "abort":
            stem, _ = os.path.splitext(profile_path())
            sys.stderr.write(f"cmpi: profile: the job is aborted: each rank's figures so far "
                             f"are in {stem}.rank<N>.json or .live; "
                             f"python -m cmpi.profile report shows them\n")
        return path
    except Exception as exc:  # the caller is already ending the process
        try:
            sys.stderr.write(f"cmpi: profile: cannot write this rank's figures: {exc!r}\n")
        except Exception:
            pass
        return None


def _install_sigterm():
    """On SIGTERM, write this rank's figures, then do what SIGTERM did
    before (the program's handler, or the default: end the process)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except Exception:
        return

    def on_sigterm(signum, frame):
        write_partial("SIGTERM")
        if callable(previous):
            return previous(signum, frame)
        if previous == signal.SIG_IGN:
            return None
        # A launcher that sees a rank end kills the others at once (MPICH's
        # Hydra does, whatever its options): when every rank was signalled,
        # a rank blocked in MPI, whose handler runs at the wait's next
        # signal check, needs a moment to write its file too.
        time.sleep(_float_env("CMPI_PROFILE_SIGTERM_GRACE", 0.5))
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return None

    on_sigterm.cmpi_profile = True
    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except Exception:
        pass


def _at_exit():
    """The whole-job report: rank 0 gathers every rank's figures (and
    trace) on the private communicator, prints the table and writes the
    files."""
    if _job is None or _job["done"] or not _job["counting"]:
        return
    mpi = sys.modules["cmpi.MPI"]
    record = _my_record()
    events, dropped = mpi._prof_trace() if _job["trace"] else (None, 0)
    offset = time.time_ns() - time.monotonic_ns()
    mpi._prof_stop()
    _job["counting"] = False
    if _jobsafety._mpi() is None:
        # the program finalized MPI: no report, this rank's own file
        write_partial("MPI finalized by the program", record)
        _job["done"] = True
        return
    _job["done"] = True
    trace_meta = None
    if _job["trace"]:
        path = f"{_job['trace']}.rank{_job['rank']}"
        earliest = write_rank_trace(path, events, dropped, _job["rank"], _job["host"], offset)
        del events
        trace_meta = {"file": path, "earliest": earliest, "dropped": int(dropped)}
    if _job["size"] > 1 and _job["comm"] is None and _job.get("pending"):
        _job.pop("pending")()  # another profiler was active at import
    comm = _job["comm"]
    if _job["size"] > 1 and comm is None:
        return
    if _job["rank"] != 0:
        comm.send((record, trace_meta), dest=0, tag=_TAG_RECORD)
        _drop_live()
        return
    answers = {0: (record, trace_meta)}
    if _job["size"] > 1:
        answers.update(_collect(comm, mpi, _job["size"]))
    records = [answers[r][0] for r in sorted(answers)]
    late = [r for r in range(_job["size"]) if r not in answers]
    if _job["profile"]:
        records += _left_behind(late)
    missing = sorted(set(range(_job["size"])) - {r["rank"] for r in records})
    records.sort(key=lambda r: r["rank"])
    try:
        if _job["profile"]:
            sys.stdout.flush()
            text = format_table(records, missing)
            if late:
                text += (f"(ranks {', '.join(map(str, late))} sent nothing within "
                         f"{_gather_timeout():g} s: CMPI_PROFILE_TIMEOUT)\n")
            sys.stderr.write(text)
            sys.stderr.flush()
            _write_json(profile_path(), merge_document(records, missing, _job["size"]))
            _drop_live()
        if _job["trace"]:
            metas = [answers[r][1] for r in sorted(answers) if answers[r][1]]
            starts = [m["earliest"] for m in metas if m["earliest"] is not None]
            other = {"cmpi": "MPI calls per rank", "ranks": _job["size"],
                     "missing_ranks": missing}
            write_trace(_job["trace"], [m["file"] for m in metas],
                        min(starts, default=0), other)
            for meta in metas:
                try:
                    os.remove(meta["file"])
                except OSError:
                    pass
    except Exception as exc:
        sys.stderr.write(f"cmpi: profile: cannot write the report: {exc!r}\n")


def _left_behind(ranks):
    """Records of ranks that sent nothing at exit but left figures on a
    shared file system: their .json (abort, SIGTERM) or their live file."""
    found = []
    for rank in ranks:
        for path in (rank_path(rank), live_path(rank)):
            if os.path.exists(path):
                try:
                    got, _ = load_records([path])
                except (OSError, ValueError, KeyError):
                    continue
                if got and got[0]["rank"] == rank:
                    if got[0].get("reason") == LIVE_REASON:  # perhaps still running
                        got[0]["reason"] = "no answer at exit: its live file"
                    found.append(got[0])
                    break
    return found


def _collect(comm, mpi, size):
    """Rank 0: the other ranks' (record, trace) as they arrive, until all
    have or the timeout has passed."""
    answers = {}
    deadline = time.monotonic() + _gather_timeout()
    status = mpi.Status()
    while len(answers) < size - 1 and time.monotonic() < deadline:
        if comm.Iprobe(source=mpi.ANY_SOURCE, tag=_TAG_RECORD, status=status):
            source = status.Get_source()
            answers[source] = comm.recv(source=source, tag=_TAG_RECORD)
        else:
            time.sleep(0.001)
    return answers


# ---------------------------------------------------------------- cmpi.profile()

class _CallableModule(types.ModuleType):
    """``import cmpi.profile`` makes ``cmpi.profile`` this module: calling
    it still loads a profiling library, as mpi4py's ``profile`` does."""

    def __call__(self, name, *, path=None, logfile=None):
        import cmpi

        return cmpi._load_profiler(name, path=path, logfile=logfile)


def _callable_module():
    import cmpi

    _CallableModule.__call__.__doc__ = cmpi._load_profiler.__doc__
    sys.modules[__name__].__class__ = _CallableModule


# ---------------------------------------------------------------- CLI

USAGE = """\
usage: python -m cmpi.profile report [FILE...] [--plot out.png]
  FILE      cmpi-profile.json, or the per-rank files cmpi-profile.rank<N>.json
            and .live (what the ranks of an aborted or killed job leave);
            none: cmpi-profile.json (CMPI_PROFILE_FILE) if it exists, else
            its per-rank files
  --plot P  also draw per-rank bars of compute / MPI / wait time to P (matplotlib)
"""


def _default_files():
    """The merged file if there is one, else the per-rank files beside
    where it would be."""
    import glob

    merged = profile_path()
    if os.path.exists(merged):
        return [merged]
    stem, ext = os.path.splitext(merged)
    found = glob.glob(glob.escape(stem) + ".rank*" + (ext or ".json"))
    found += glob.glob(glob.escape(stem) + ".rank*.live")
    return sorted(found)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if argv else 2
    if argv[0] != "report":
        sys.stderr.write(f"cmpi.profile: unknown command {argv[0]!r}\n{USAGE}")
        return 2
    files, plot_path = [], None
    rest = argv[1:]
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--plot" or arg.startswith("--plot="):
            if "=" in arg:
                plot_path = arg.split("=", 1)[1]
            elif i + 1 < len(rest):
                i += 1
                plot_path = rest[i]
            else:
                sys.stderr.write(f"cmpi.profile: --plot needs a file name\n{USAGE}")
                return 2
        elif arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            return 0
        else:
            files.append(arg)
        i += 1
    if not files:
        files = _default_files()
    if not files:
        sys.stderr.write(f"cmpi.profile: no {profile_path()} nor per-rank files here\n{USAGE}")
        return 2
    try:
        records, missing = load_records(files)
    except (OSError, ValueError, KeyError) as exc:
        sys.stderr.write(f"cmpi.profile: {exc}\n")
        return 1
    sys.stdout.write(format_table(records, missing))
    if plot_path:
        try:
            plot(records, plot_path)
        except ImportError:
            sys.stderr.write("cmpi.profile: --plot needs matplotlib, which is not installed "
                             "(pip install matplotlib)\n")
            return 2
        sys.stdout.write(f"plot written to {plot_path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
else:
    _callable_module()
