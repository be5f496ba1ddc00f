"""Micro-benchmarks for cmpi (and, with ``--impl mpi4py``, for mpi4py).

Run under the MPI launcher::

    mpiexec -n 2 python -m cmpi.bench helloworld
    mpiexec -n 2 python -m cmpi.bench ringtest -n 1024 -l 1000
    mpiexec -n 2 python -m cmpi.bench pingpong [--quick] [--modes buf,obj,ndarray,isend]
    mpiexec -n 4 python -m cmpi.bench coll [--quick] [--calls bcast,allreduce,...]
    mpiexec -n 2 python -m cmpi.bench --impl mpi4py pingpong --json out.json
    python -m cmpi.bench futures --mpi4py-python /path/to/mpi4py/python
    PYTHONPATH=<mpi4py site-packages> mpiexec -n 2 python -m cmpi.bench ab

The same file runs as a plain script (``python src/cmpi/bench.py ...``), so
it measures mpi4py with exactly the code that measures cmpi.  Every figure
is the median over repetitions of a timed loop that follows a warm-up; the
one-way latency of a ping-pong is half a round trip, its bandwidth the
message size divided by that.  Collectives report the slowest rank's time
per call.  ``--json FILE`` (rank 0) writes every figure with the raw
repetitions; ``benchmarks/compare.py`` merges those files across launches
and implementations (see benchmarks/README.md).

Buffers: one 2 MiB-aligned 64 MiB numpy array, touched once, whose slices
are the messages (numpy madvises arrays of 4 MiB and more to transparent
huge pages), matching benchmarks/pingpong.c, which allocates its buffer the
same way; ``Isend`` mode receives into the upper half.

``cgloop`` is the loop that ``benchmarks/compare.py --callgrind`` runs
under valgrind: a sleep schedule so no busy-polling is counted, phases
of N and 2N iterations for a control loop and the measured loop, each
bracketed by callgrind client requests made through a tiny C helper.
"""

import os
import sys

# Run as a script (mpi4py's side of a comparison), this file's folder is
# sys.path[0], and cmpi's typing.py there would shadow the standard library's.
if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import argparse
import gc
import json
import socket
import statistics
import time

MiB = 1 << 20
SIZES = [0, 8, 64, 1024, 8192, 65536, MiB, 16 * MiB]
QUICK_SIZES = [0, 8, 65536, MiB, 16 * MiB]
SMALL_OBJ = {'a': 7, 'b': 3.14}
MODES = ["buf", "obj", "ndarray", "isend"]
COLL_CALLS = ["barrier", "bcast", "allreduce", "gather", "scatter",
              "Bcast_1Ki", "Bcast_1Mi", "Allreduce_1Ki", "Allreduce_1Mi",
              "bcast_16Mi"]


def import_mpi(impl):
    if impl == "mpi4py":
        from mpi4py import MPI
    else:
        from cmpi import MPI
    return MPI


def iters_for(nbytes, quick):
    """Round trips per repetition; benchmarks/pingpong.c uses the same."""
    if nbytes <= 1024:
        n = 2000
    elif nbytes <= 65536:
        n = 500
    elif nbytes <= MiB:
        n = 100
    else:
        n = 20
    return max(n // 4, 5) if quick else n


def warmup_for(iters):
    return max(iters // 10, 2)


def aligned_buffer(np, nbytes=64 * MiB, align=2 * MiB):
    raw = np.empty(nbytes + align, dtype=np.uint8)
    off = (-raw.ctypes.data) % align
    buf = raw[off:off + nbytes]
    buf[:] = 1
    return buf


class Bench:
    def __init__(self, MPI, impl, args):
        self.MPI = MPI
        self.impl = impl
        self.args = args
        self.comm = MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        self.results = []

    def emit(self, rec):
        self.results.append(rec)
        if self.rank == 0:
            print(format_row(rec), flush=True)

    def write_json(self, bench):
        if self.rank != 0 or not self.args.json:
            return
        MPI = self.MPI
        doc = {
            "impl": self.impl,
            "bench": bench,
            "np": self.size,
            "mpi": MPI.Get_library_version().strip().splitlines()[0],
            "host": socket.gethostname(),
            "quick": bool(getattr(self.args, "quick", False)),
            "results": self.results,
        }
        with open(self.args.json, "w") as f:
            json.dump(doc, f, indent=1)


def format_header(kind):
    if kind == "pingpong":
        return f"{'mode':<8} {'bytes':>10} {'iters':>6} {'lat_us':>10} {'MB/s':>10}"
    return f"{'call':<14} {'np':>3} {'bytes':>10} {'iters':>6} {'us/call':>10} {'MB/s':>10}"


def format_row(r):
    if r["bench"] == "pingpong":
        return (f"{r['mode']:<8} {r['bytes']:>10} {r['iters']:>6} "
                f"{r['lat_us']:>10.3f} {r['bw_MBps']:>10.1f}")
    return (f"{r['call']:<14} {r['np']:>3} {r['bytes']:>10} {r['iters']:>6} "
            f"{r['us']:>10.3f} {r['bw_MBps']:>10.1f}")


# ---------------------------------------------------------------- hello/ring

def cmd_helloworld(b):
    MPI = b.MPI
    name = MPI.Get_processor_name()
    sys.stdout.write(f"Hello, World! I am process {b.rank} of {b.size} on {name}.\n")
    sys.stdout.flush()


def cmd_ringtest(b):
    import numpy as np
    MPI, comm, a = b.MPI, b.comm, b.args
    n, loops = a.size, a.loops
    msg = np.zeros(n, dtype=np.uint8)
    nxt, prv = (b.rank + 1) % b.size, (b.rank - 1) % b.size

    def ring(count):
        comm.Barrier()
        t0 = MPI.Wtime()
        for _ in range(count):
            if b.rank == 0:
                comm.Send(msg, dest=nxt, tag=7)
                comm.Recv(msg, source=prv, tag=7)
            else:
                comm.Recv(msg, source=prv, tag=7)
                comm.Send(msg, dest=nxt, tag=7)
        return MPI.Wtime() - t0

    if b.size < 2:
        if b.rank == 0:
            print("ringtest needs at least 2 processes")
        return
    ring(a.skip)
    t = ring(loops)
    if b.rank == 0:
        per = t / loops * 1e6
        print(f"time for {loops} loops = {t:.6f} seconds ({b.size} processes, "
              f"{n} bytes)\ntime per loop = {per:.3f} us", flush=True)
        b.results.append({"bench": "ringtest", "bytes": n, "loops": loops,
                          "np": b.size, "us_per_loop": per})
    b.write_json("ringtest")


# ------------------------------------------------------------------ pingpong

def pingpong_loop(b, mode, n, buf, rbuf):
    """Returns a function(iters) -> seconds for ``iters`` round trips."""
    MPI, comm, rank = b.MPI, b.comm, b.rank
    Wtime = MPI.Wtime
    if mode == "buf":
        s = buf[:n]
        Send, Recv = comm.Send, comm.Recv
        if rank == 0:
            def run(k):
                t0 = Wtime()
                for _ in range(k):
                    Send(s, dest=1, tag=0)
                    Recv(s, source=1, tag=0)
                return Wtime() - t0
        else:
            def run(k):
                t0 = Wtime()
                for _ in range(k):
                    Recv(s, source=0, tag=0)
                    Send(s, dest=0, tag=0)
                return Wtime() - t0
    elif mode == "isend":
        s, r = buf[:n], rbuf[:n]
        Isend, Irecv = comm.Isend, comm.Irecv
        if rank == 0:
            def run(k):
                t0 = Wtime()
                for _ in range(k):
                    rq = Irecv(r, source=1, tag=0)
                    sq = Isend(s, dest=1, tag=0)
                    sq.Wait()
                    rq.Wait()
                return Wtime() - t0
        else:
            def run(k):
                t0 = Wtime()
                for _ in range(k):
                    rq = Irecv(r, source=0, tag=0)
                    rq.Wait()
                    sq = Isend(s, dest=0, tag=0)
                    sq.Wait()
                return Wtime() - t0
    else:
        obj = SMALL_OBJ if mode == "obj" else buf[:n]
        send, recv = comm.send, comm.recv
        if rank == 0:
            def run(k):
                t0 = Wtime()
                for _ in range(k):
                    send(obj, dest=1, tag=0)
                    recv(source=1, tag=0)
                return Wtime() - t0
        else:
            def run(k):
                t0 = Wtime()
                for _ in range(k):
                    x = recv(source=0, tag=0)
                    send(x, dest=0, tag=0)
                return Wtime() - t0
    return run


def cmd_pingpong(b):
    import numpy as np
    a = b.args
    if b.size < 2:
        raise SystemExit("pingpong needs 2 processes")
    buf = aligned_buffer(np)
    rbuf = buf[32 * MiB:]
    sizes = ([int(x) for x in a.sizes.split(",")] if a.sizes
             else QUICK_SIZES if a.quick else SIZES)
    reps = a.reps or (3 if a.quick else 5)
    if b.rank == 0:
        print(f"# {b.impl} pingpong, {b.MPI.Get_library_version().splitlines()[0].strip()}")
        print(format_header("pingpong"), flush=True)
    import pickle
    for mode in a.modes.split(","):
        msizes = [len(pickle.dumps(SMALL_OBJ, pickle.HIGHEST_PROTOCOL))] \
            if mode == "obj" else sizes
        for n in msizes:
            iters = iters_for(n, a.quick)
            if b.rank > 1:
                b.comm.Barrier()
                for _ in range(reps):
                    b.comm.Barrier()
                continue
            run = pingpong_loop(b, mode, n, buf, rbuf)
            b.comm.Barrier()
            run(warmup_for(iters))
            times = []
            for _ in range(reps):
                b.comm.Barrier()
                times.append(run(iters) / (2 * iters) * 1e6)
            if b.rank == 0:
                lat = statistics.median(times)
                b.emit({"bench": "pingpong", "mode": mode, "bytes": n,
                        "iters": iters, "lat_us": lat,
                        "bw_MBps": (n / lat if lat > 0 else 0.0),
                        "reps_us": times})
    b.write_json("pingpong")


# --------------------------------------------------------------- collectives

def coll_loop(b, call, buf):
    import numpy as np
    MPI, comm, rank, size = b.MPI, b.comm, b.rank, b.size
    Wtime = MPI.Wtime
    if call == "barrier":
        op, nbytes = (lambda: comm.Barrier()), 0
    elif call == "bcast":
        obj = SMALL_OBJ if rank == 0 else None
        op, nbytes = (lambda: comm.bcast(obj, root=0)), 0
    elif call == "allreduce":
        op, nbytes = (lambda: comm.allreduce(1, op=MPI.SUM)), 0
    elif call == "gather":
        op, nbytes = (lambda: comm.gather(SMALL_OBJ, root=0)), 0
    elif call == "scatter":
        seq = [SMALL_OBJ] * size if rank == 0 else None
        op, nbytes = (lambda: comm.scatter(seq, root=0)), 0
    elif call == "bcast_16Mi":
        arr = buf[:16 * MiB].view(np.float64)
        obj = {'a': arr} if rank == 0 else None
        op, nbytes = (lambda: comm.bcast(obj, root=0)), 16 * MiB
    else:
        name, count = call.split("_")
        count = 1024 if count == "1Ki" else MiB
        s = buf[:8 * count].view(np.float64)
        r = buf[32 * MiB:32 * MiB + 8 * count].view(np.float64)
        nbytes = 8 * count
        if name == "Bcast":
            op = lambda: comm.Bcast(s, root=0)
        else:
            op = lambda: comm.Allreduce(s, r, op=MPI.SUM)

    def run(k):
        t0 = Wtime()
        for _ in range(k):
            op()
        return Wtime() - t0
    return run, nbytes


def coll_iters(call, quick):
    if call.endswith("_1Mi"):
        n = 50
    elif call == "bcast_16Mi":
        n = 10
    elif call.endswith("_1Ki"):
        n = 1000
    else:
        n = 2000
    return max(n // 4, 3) if quick else n


def cmd_coll(b):
    import numpy as np
    a = b.args
    buf = aligned_buffer(np)
    reps = a.reps or (3 if a.quick else 5)
    if b.rank == 0:
        print(f"# {b.impl} collectives, {b.size} ranks, "
              f"{b.MPI.Get_library_version().splitlines()[0].strip()}")
        print(format_header("coll"), flush=True)
    for call in a.calls.split(","):
        iters = coll_iters(call, a.quick)
        run, nbytes = coll_loop(b, call, buf)
        b.comm.Barrier()
        run(warmup_for(iters))
        times = []
        for _ in range(reps):
            b.comm.Barrier()
            t = run(iters) / iters * 1e6
            times.append(b.comm.allreduce(t, op=b.MPI.MAX))
        if b.rank == 0:
            us = statistics.median(times)
            b.emit({"bench": "coll", "call": call, "np": b.size,
                    "bytes": nbytes, "iters": iters, "us": us,
                    "bw_MBps": (nbytes / us if us > 0 else 0.0),
                    "reps_us": times})
    b.write_json("coll")


# ------------------------------------------------------- callgrind loop

def cmd_cgloop(b):
    """Sleep-scheduled loop for instruction counts under callgrind.

    Each rank, per iteration i: send; sleep until t0+(i+1/2)P; receive;
    sleep until t0+(i+1)P, so every message has arrived before its receive
    starts and no busy-polling is counted.  Phases: control N, control 2N,
    measured N, measured 2N, each dumped separately by callgrind
    (``CALLGRIND_DUMP_STATS_AT``, via ``--helper``, a small C library);
    compare.py takes (2N - N) / N for each and subtracts the control.
    """
    import ctypes
    import numpy as np
    a = b.args
    MPI, comm = b.MPI, b.comm
    peer = 1 - b.rank
    lib = ctypes.CDLL(a.helper)
    lib.cg_begin.argtypes = []
    lib.cg_end.argtypes = [ctypes.c_char_p]
    P = a.period / 1000.0
    sleep, now = time.sleep, time.monotonic
    buf = np.zeros(8, dtype=np.uint8)
    obj = dict(SMALL_OBJ)
    misses = [0]

    def until(t):
        d = t - now()
        if d > 0:
            sleep(d)
        else:
            misses[0] += 1

    Send, Recv, send, recv = comm.Send, comm.Recv, comm.send, comm.recv
    t0 = 0.0

    # The measured loops differ from the control only by the two MPI calls.
    def loop_send(k):
        nonlocal_t0 = t0
        for j in range(k):
            Send(buf, dest=peer, tag=0)
            until(nonlocal_t0 + (j + 0.5) * P)
            Recv(buf, source=peer, tag=0)
            until(nonlocal_t0 + (j + 1) * P)

    def loop_obj(k):
        nonlocal_t0 = t0
        for j in range(k):
            send(obj, dest=peer, tag=0)
            until(nonlocal_t0 + (j + 0.5) * P)
            recv(source=peer, tag=0)
            until(nonlocal_t0 + (j + 1) * P)

    def loop_ctl(k):
        nonlocal_t0 = t0
        for j in range(k):
            until(nonlocal_t0 + (j + 0.5) * P)
            until(nonlocal_t0 + (j + 1) * P)

    # Collectives: for allreduce and Allreduce, rank 1 enters each call half
    # a period before rank 0, so rank 0 finds everything it needs already
    # there and never spins (compare.py counts rank 0 only).  For bcast the
    # root (rank 0) enters first: its small send completes at once, and
    # rank 1 finds the message there, so both ranks count.
    big = np.ones(MiB, dtype=np.float64)  # 1 Mi doubles
    bigout = np.empty_like(big)
    # (at j + 1/4 and j + 1/2 of each period: two sleeps per iteration, as
    # in the control loop)
    lag = 0.5 if b.rank == (1 if a.mode == "bcast" else 0) else 0.25

    def coll_loop(call):
        def run(k):
            nonlocal_t0 = t0
            for j in range(k):
                until(nonlocal_t0 + (j + lag) * P)
                call()
                until(nonlocal_t0 + (j + 1) * P)
        return run

    SUM = MPI.SUM
    coll_calls = {
        "bcast": lambda: comm.bcast(obj, root=0),
        "allreduce": lambda: comm.allreduce(1, op=SUM),
        "Allreduce_1Mi": lambda: comm.Allreduce(big, bigout, op=SUM),
    }

    if a.mode in coll_calls:
        loop = coll_loop(coll_calls[a.mode])
    else:
        loop = loop_send if a.mode == "Send" else loop_obj
    N = a.iters
    # Warm-up at a slow pace while valgrind translates the code, then
    # a few iterations at the real pace so the interpreter specialises.
    comm.Barrier()
    t0 = now() + 0.2
    saveP, P = P, 0.5
    loop(3)
    P = saveP
    loop_ctl(3)
    comm.Barrier()
    t0 = now() + 0.2
    loop(40)
    gc.collect()
    gc.freeze()
    out = {}
    for label, fn, k in (("ctl_N", loop_ctl, N), ("ctl_2N", loop_ctl, 2 * N),
                         (f"{a.mode}_N", loop, N), (f"{a.mode}_2N", loop, 2 * N)):
        comm.Barrier()
        t0 = now() + 0.2
        misses[0] = 0
        lib.cg_begin()
        fn(k)
        lib.cg_end(label.encode())
        out[label] = misses[0]
    comm.Barrier()
    if b.rank == 0:
        print(json.dumps({"misses": out}), flush=True)


# ------------------------------------------------------------------ futures

FUT_SIZES = [8, 1024, 65536, MiB]


def identity(x):
    return x


def sleep_for(seconds):
    time.sleep(seconds)
    return seconds


def fut_payload(nbytes):
    """bytes below 64 KiB, a NumPy array from there (the 1 MiB target)."""
    if nbytes < 65536:
        return b"x" * nbytes
    import numpy as np
    return np.ones(nbytes, dtype=np.uint8)


def fut_tasks(nbytes, quick):
    n = 20000 if nbytes <= 1024 else 4000 if nbytes <= 65536 else 1000
    return max(n // 5, 50) if quick else n


def cmd_futures_run(args):
    """Inside ``mpiexec -n W+1 python -m <impl>.futures bench.py futures-run``:
    tasks/s of map(identity, data) for each size, then the uneven load."""
    from mpi4py.futures import MPIPoolExecutor
    out = {"sizes": {}}
    with MPIPoolExecutor() as ex:
        workers = ex.num_workers
        list(ex.map(identity, [b"w"] * 2000))
        for nbytes in [int(x) for x in args.sizes.split(",")]:
            n = fut_tasks(nbytes, args.quick)
            # distinct objects: a pickle of repeated ones would hold one copy
            distinct = [fut_payload(nbytes) for _ in range(min(n, max(64, (16 * MiB) // max(nbytes, 1))))]
            data = [distinct[i % len(distinct)] for i in range(n)]
            list(ex.map(identity, data[:max(n // 10, 10)]))
            t0 = time.perf_counter()
            res = list(ex.map(identity, data))
            dt = time.perf_counter() - t0
            assert len(res) == n
            out["sizes"][str(nbytes)] = n / dt
        if args.uneven:
            import random
            rng = random.Random(12345)
            times = [rng.uniform(0.001, 0.050) for _ in range(args.uneven)]
            t0 = time.perf_counter()
            list(ex.map(sleep_for, times))
            dt = time.perf_counter() - t0
            ideal = sum(times) / workers
            out["uneven"] = {"tasks": len(times), "elapsed": dt, "ideal": ideal,
                             "ratio": dt / ideal}
    out["workers"] = workers
    print("BENCH " + json.dumps(out), flush=True)


def _fut_launch(args, impl, python, workers):
    import subprocess
    env = dict(os.environ)
    if args.mpi == "openmpi":
        for k, v in (("OMPI_ALLOW_RUN_AS_ROOT", "1"), ("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"),
                     ("OMPI_MCA_rmaps_base_oversubscribe", "1"),
                     ("OMPI_MCA_mpi_yield_when_idle", "1"), ("OMPI_MCA_pml", "ob1"),
                     ("OMPI_MCA_btl", "self,vader,tcp")):
            env.setdefault(k, v)
        launcher = ["mpiexec.openmpi", "--oversubscribe", "-n", str(workers + 1)]
    else:
        launcher = ["mpiexec.mpich", "-n", str(workers + 1)]
    cmd = launcher + [python, "-m", f"{impl}.futures", os.path.abspath(__file__),
                      "futures-run", "--sizes", args.sizes]
    if args.quick:
        cmd.append("--quick")
    if args.uneven:
        cmd += ["--uneven", str(args.uneven)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env,
                          timeout=args.timeout)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line[6:])
    raise RuntimeError(f"{impl} futures benchmark failed ({proc.returncode}):\n"
                       f"{proc.stdout}\n{proc.stderr}")


def cmd_futures(args):
    """Launch cmpi's and mpi4py's pools alternately, run by run; report
    the median tasks/s of each and their ratio."""
    impls = [("cmpi", args.cmpi_python or sys.executable)]
    if args.mpi4py_python:
        impls.append(("mpi4py", args.mpi4py_python))
    sizes = [int(x) for x in args.sizes.split(",")]
    table = {}
    print(f"# futures: tasks/s of list(executor.map(identity, data)), chunksize=1, "
          f"static workers (python -m <impl>.futures), {args.mpi}, "
          f"median of {args.reps} alternating runs", flush=True)
    for w in [int(x) for x in args.workers.split(",")]:
        for rep in range(args.reps):
            order = impls if rep % 2 == 0 else impls[::-1]
            for impl, python in order:
                r = _fut_launch(args, impl, python, w)
                table.setdefault((impl, w), []).append(r)
                print(f"# run {rep + 1}/{args.reps}, {w} worker(s), {impl}: "
                      + ", ".join(f"{k} B {v:.0f}/s" for k, v in r["sizes"].items())
                      + (f", uneven {r['uneven']['ratio']:.3f}" if "uneven" in r else ""),
                      flush=True)
    hdr = f"{'bytes':>8} {'workers':>7} " + " ".join(f"{i + ' t/s':>12}" for i, _ in impls)
    if len(impls) > 1:
        hdr += f" {'ratio':>6}"
    print(hdr)
    rows = []
    for w in [int(x) for x in args.workers.split(",")]:
        for n in sizes:
            meds = [statistics.median(r["sizes"][str(n)] for r in table[(i, w)]) for i, _ in impls]
            line = f"{n:>8} {w:>7} " + " ".join(f"{m:>12.0f}" for m in meds)
            if len(meds) > 1:
                line += f" {meds[0] / meds[1]:>6.2f}"
            print(line, flush=True)
            rows.append({"bytes": n, "workers": w,
                         **{i: m for (i, _), m in zip(impls, meds)}})
    if args.uneven:
        print(f"# uneven load: {args.uneven} tasks sleeping 1-50 ms; elapsed / (total work / workers)")
        for w in [int(x) for x in args.workers.split(",")]:
            parts = []
            for i, _ in impls:
                ratio = statistics.median(r["uneven"]["ratio"] for r in table[(i, w)])
                parts.append(f"{i} {ratio:.3f}")
            print(f"workers {w}: " + ", ".join(parts), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bench": "futures", "mpi": args.mpi, "rows": rows,
                       "raw": {f"{i}/{w}": v for (i, w), v in table.items()}}, f, indent=1)


# ---------------------------------------------------------------------- main

def bench_ab():
    """The in-process A/B module (cmpi.bench_ab), also when run as a script."""
    try:
        from cmpi import bench_ab as mod
    except ImportError:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import bench_ab as mod
        del sys.path[0]
    return mod


def parse(argv):
    p = argparse.ArgumentParser(prog="python -m cmpi.bench",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--impl", choices=["cmpi", "mpi4py"], default="cmpi",
                   help="binding to measure (default cmpi)")
    p.add_argument("--json", metavar="FILE", help="write results (rank 0)")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("helloworld", help="each rank greets")
    r = sub.add_parser("ringtest", help="pass a message around the ring")
    r.add_argument("-n", "--size", type=int, default=1, help="message bytes")
    r.add_argument("-l", "--loops", type=int, default=1000)
    r.add_argument("-s", "--skip", type=int, default=100, help="warm-up loops")
    pp = sub.add_parser("pingpong", help="ranks 0 and 1: latency, bandwidth")
    pp.add_argument("--modes", default=",".join(MODES),
                    help="comma list of buf,obj,ndarray,isend")
    pp.add_argument("--sizes", help="comma list of byte counts")
    pp.add_argument("--quick", action="store_true")
    pp.add_argument("--reps", type=int, default=0)
    c = sub.add_parser("coll", help="collectives, time per call (slowest rank)")
    c.add_argument("--calls", default=",".join(COLL_CALLS),
                   help="comma list of " + ",".join(COLL_CALLS))
    c.add_argument("--quick", action="store_true")
    c.add_argument("--reps", type=int, default=0)
    g = sub.add_parser("cgloop", help="instruction-count loop (see compare.py)")
    g.add_argument("--mode", choices=["Send", "send", "bcast", "allreduce", "Allreduce_1Mi"],
                   default="Send")
    g.add_argument("--iters", type=int, default=100)
    g.add_argument("--period", type=float, default=20.0, help="ms")
    g.add_argument("--helper", required=True, help="path of libcgtoggle.so")
    f = sub.add_parser("futures", help="task pools: tasks/s, cmpi next to mpi4py "
                       "(launches its own jobs; not under mpiexec)")
    f.add_argument("--mpi", choices=["openmpi", "mpich"], default="openmpi")
    f.add_argument("--mpi4py-python", help="interpreter with mpi4py (same MPI) to compare")
    f.add_argument("--cmpi-python", help="interpreter with cmpi (default: this one)")
    f.add_argument("--workers", default="1,2,3", help="comma list of worker counts")
    f.add_argument("--sizes", default=",".join(map(str, FUT_SIZES)), help="payload bytes")
    f.add_argument("--reps", type=int, default=3)
    f.add_argument("--uneven", type=int, default=150,
                   help="tasks of the uneven-load run (0: skip)")
    f.add_argument("--quick", action="store_true")
    f.add_argument("--timeout", type=float, default=600)
    bench_ab().add_parser(sub)
    fr = sub.add_parser("futures-run", help=argparse.SUPPRESS)
    fr.add_argument("--sizes", default=",".join(map(str, FUT_SIZES)))
    fr.add_argument("--quick", action="store_true")
    fr.add_argument("--uneven", type=int, default=0)
    return p.parse_args(argv)


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.cmd == "ab":
        return bench_ab().run(args)
    if args.cmd in ("futures", "futures-run"):
        return (cmd_futures if args.cmd == "futures" else cmd_futures_run)(args)
    MPI = import_mpi(args.impl)
    b = Bench(MPI, args.impl, args)
    {"helloworld": cmd_helloworld, "ringtest": cmd_ringtest,
     "pingpong": cmd_pingpong, "coll": cmd_coll,
     "cgloop": cmd_cgloop}[args.cmd](b)


if __name__ == "__main__":
    main()
