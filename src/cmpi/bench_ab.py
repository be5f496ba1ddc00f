"""In-process A/B benchmark: cmpi against mpi4py (and C) in the same processes.

Run with cmpi's interpreter, mpi4py importable (built against the same MPI
library), under the MPI launcher::

    PYTHONPATH=<mpi4py's site-packages> mpiexec -n 2 python -m cmpi.bench ab
    python3 benchmarks/ab.py [--mpi openmpi] [--np 2 4]   # both, + results file

Timings on these machines drift by 30% or more between launches, so two
bindings are never compared launch against launch here: both are imported
into the same MPI processes (mpi4py initializes MPI, cmpi then uses the same
library), and each round times the same operation with the same buffers,
mpi4py then cmpi, back to back.  Drift hits both alike; a row's ratio is the
median of its per-round ratios.  With ``--c-loop`` (a small shared library of
C loops, benchmarks/abloop.c, which benchmarks/ab.py builds with the MPI's
own mpicc) the C figure of the large-buffer rows is timed in the same
processes too.

Point-to-point rows run between ranks 0 and 1 (other ranks wait); collective
rows on every rank, timed as the slowest rank's time per call.
"""

import argparse
import ctypes
import json
import statistics
import sys
import time

SMALL_DICT = {"a": 7, "b": 3.14}
MiB = 1 << 20


def _pingpong_buf(comm, rank, buf, iters):
    peer = 1 - rank
    Send, Recv = comm.Send, comm.Recv
    t0 = time.perf_counter()
    if rank == 0:
        for _ in range(iters):
            Send(buf, peer, 1)
            Recv(buf, peer, 1)
    else:
        for _ in range(iters):
            Recv(buf, peer, 1)
            Send(buf, peer, 1)
    return time.perf_counter() - t0


def _pingpong_obj(comm, rank, obj, iters):
    peer = 1 - rank
    send, recv = comm.send, comm.recv
    t0 = time.perf_counter()
    if rank == 0:
        for _ in range(iters):
            send(obj, peer, 1)
            recv(source=peer, tag=1)
    else:
        for _ in range(iters):
            recv(source=peer, tag=1)
            send(obj, peer, 1)
    return time.perf_counter() - t0


def _pingpong_nb(comm, rank, obj, iters):
    peer = 1 - rank
    isend, irecv = comm.isend, comm.irecv
    t0 = time.perf_counter()
    if rank == 0:
        for _ in range(iters):
            isend(obj, peer, 1).wait()
            irecv(source=peer, tag=1).wait()
    else:
        for _ in range(iters):
            irecv(source=peer, tag=1).wait()
            isend(obj, peer, 1).wait()
    return time.perf_counter() - t0


def _get_rank(comm, rank, _arg, iters):
    Get_rank = comm.Get_rank
    t0 = time.perf_counter()
    for _ in range(iters):
        Get_rank()
        Get_rank()
    return time.perf_counter() - t0


def _coll(method, make_args):
    def run(comm, rank, arg, iters):
        fn = getattr(comm, method)
        args = make_args(comm, arg)
        t0 = time.perf_counter()
        for _ in range(iters):
            fn(*args)
        return time.perf_counter() - t0
    return run


def _module(comm):
    return sys.modules[type(comm).__module__]


def _scatter_args(comm, obj):
    return ([obj] * comm.Get_size() if comm.Get_rank() == 0 else None,)


# name, kind ("p2p" runs on ranks 0 and 1, "local" on rank 0, "coll" on all),
# timer, payload factory, iterations per round, operations per iteration
# (a ping-pong iteration is a round trip: two one-way messages), C loop
# (name in abloop.c and how to call it) or None, the issue-18 goal.
def _rows(np):
    def nd(n, dtype="uint8"):
        return lambda: np.zeros(n, dtype)
    rows = [
        ("Send/Recv 8 B", "p2p", _pingpong_buf, nd(8), 3000, 2, ("ab_pingpong", 8),
         "<= 0.5"),
        ("send/recv small dict", "p2p", _pingpong_obj, lambda: dict(SMALL_DICT), 3000, 2,
         None, "<= 0.5"),
        ("send/recv int", "p2p", _pingpong_obj, lambda: 5, 3000, 2, None, "<= 0.5"),
        ("isend/irecv/wait int", "p2p", _pingpong_nb, lambda: 5, 2000, 2, None, "<= 0.5"),
        ("Get_rank (2 calls)", "local", _get_rank, lambda: None, 20000, 1, None, "<= 1.0"),
        ("send 8-byte ndarray", "p2p", _pingpong_obj, nd(8), 2000, 2, None, "<= 0.2"),
        ("send 16 MiB ndarray", "p2p", _pingpong_obj, nd(16 * MiB), 6, 2,
         ("ab_pingpong", 16 * MiB), ">= 0.8 of C"),
        ("Send/Recv 8 KiB", "p2p", _pingpong_buf, nd(8192), 1500, 2,
         ("ab_pingpong", 8192), "C - 3%"),
        ("Send/Recv 64 KiB", "p2p", _pingpong_buf, nd(65536), 400, 2,
         ("ab_pingpong", 65536), "C - 3%"),
        ("Send/Recv 1 MiB", "p2p", _pingpong_buf, nd(MiB), 40, 2,
         ("ab_pingpong", MiB), "C - 3%"),
        ("Send/Recv 16 MiB", "p2p", _pingpong_buf, nd(16 * MiB), 6, 2,
         ("ab_pingpong", 16 * MiB), "C - 3%"),
        ("bcast small dict", "coll", _coll("bcast", lambda c, o: (o, 0)),
         lambda: dict(SMALL_DICT), 2000, 1, None, "<= 0.5"),
        ("gather small dict", "coll", _coll("gather", lambda c, o: (o, 0)),
         lambda: dict(SMALL_DICT), 2000, 1, None, "<= 0.5"),
        ("allgather small dict", "coll", _coll("allgather", lambda c, o: (o,)),
         lambda: dict(SMALL_DICT), 2000, 1, None, "<= 0.5"),
        ("scatter small dict", "coll", _coll("scatter", _scatter_args),
         lambda: dict(SMALL_DICT), 2000, 1, None, "<= 0.5"),
        ("allreduce float", "coll", _coll("allreduce", lambda c, o: (o,)),
         lambda: 1.5, 2000, 1, None, "<= 0.5"),
        ("reduce float", "coll", _coll("reduce", lambda c, o: (o,)),
         lambda: 1.5, 2000, 1, None, "<= 0.5"),
        ("Bcast 1 MiB", "coll", _coll("Bcast", lambda c, b: (b, 0)), nd(MiB), 60, 1,
         ("ab_bcast", MiB), "C - 3%"),
        ("Allreduce 1 Mi doubles", "coll",
         _coll("Allreduce", lambda c, b: (_module(c).IN_PLACE, b)), nd(MiB, "float64"), 20, 1,
         ("ab_allreduce", MiB), "C - 3%"),
    ]
    return rows


def _load_c(path):
    if not path:
        return None
    lib = ctypes.CDLL(path)
    for name in ("ab_pingpong", "ab_bcast", "ab_allreduce"):
        fn = getattr(lib, name)
        fn.restype = ctypes.c_double
        fn.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    return lib


def _c_time(lib, spec, buf, iters):
    name, count = spec
    return getattr(lib, name)(buf.ctypes.data, count, iters)


def run(args):
    import numpy as np
    from mpi4py import MPI as A  # initializes MPI first: cmpi then shares it
    from cmpi import MPI as B

    ca, cb = A.COMM_WORLD, B.COMM_WORLD
    rank, size = ca.Get_rank(), ca.Get_size()
    if size < 2:
        raise SystemExit("cmpi.bench ab: run with at least 2 ranks")
    lib = _load_c(args.c_loop)
    only = [s.strip() for s in args.rows.split(",")] if args.rows else None
    rows = [r for r in _rows(np) if not only or any(o in r[0] for o in only)]
    results = []
    for name, kind, timer, make, iters, ops, cspec, goal in rows:
        iters = max(1, int(iters * args.scale))
        per_round = []  # (mpi4py s/op, cmpi s/op, C s/op or None)
        for rnd in range(args.rounds + 1):  # round 0 warms up, not counted
            payload = make()
            times = []
            for comm in (ca, cb):
                comm.Barrier()
                if kind == "coll" or rank < (1 if kind == "local" else 2):
                    t = timer(comm, rank, payload, iters)
                else:
                    t = 0.0
                times.append(t)
            ct = None
            if lib is not None and cspec is not None:
                ca.Barrier()
                ct = _c_time(lib, cspec, payload, iters)
            # The slowest rank's time (idle ranks report 0).
            times = [ca.allreduce(t, op=A.MAX) for t in times]
            if ct is not None:
                ct = ca.allreduce(ct, op=A.MAX)
            if rnd:
                n = iters * ops
                per_round.append((times[0] / n, times[1] / n,
                                  None if ct is None else ct / n))
        med = statistics.median
        row = {
            "row": name,
            "mpi4py_us": med(m for m, _, _ in per_round) * 1e6,
            "cmpi_us": med(c for _, c, _ in per_round) * 1e6,
            "cmpi_over_mpi4py": med(c / m for m, c, _ in per_round),
            "goal": goal,
        }
        if per_round[0][2] is not None:
            row["c_us"] = med(x for _, _, x in per_round) * 1e6
            row["c_over_cmpi"] = med(x / c for _, c, x in per_round)
            row["c_over_mpi4py"] = med(x / m for m, _, x in per_round)
        results.append(row)
        if rank == 0 and args.verbose:
            print(f"# {name}: {row['cmpi_over_mpi4py']:.2f}", flush=True)
    if rank == 0:
        print(format_table(results, size, B.Get_library_version()))
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"bench": "ab", "ranks": size, "rounds": args.rounds,
                           "library": B.Get_library_version().strip(),
                           "rows": results}, f, indent=1)


def format_table(results, size, library):
    lib = library.strip().splitlines()[0] if library.strip() else "?"
    out = [f"### {size} ranks, {lib}", "",
           "| call | mpi4py us | cmpi us | cmpi / mpi4py | C us | "
           "cmpi bandwidth / C | C / mpi4py | goal |",
           "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        c = f"{r['c_us']:.2f}" if "c_us" in r else ""
        cr = f"{r['c_over_cmpi']:.2f}" if "c_over_cmpi" in r else ""
        # the floor: what a binding that cost nothing would score
        cm = f"{r['c_over_mpi4py']:.2f}" if "c_over_mpi4py" in r else ""
        out.append(f"| {r['row']} | {r['mpi4py_us']:.2f} | {r['cmpi_us']:.2f} | "
                   f"{r['cmpi_over_mpi4py']:.2f} | {c} | {cr} | {cm} | {r['goal']} |")
    return "\n".join(out)


def add_parser(sub):
    p = sub.add_parser("ab", help="in-process A/B: cmpi against mpi4py (and C) "
                       "in the same MPI processes (needs mpi4py importable)")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiply every row's iterations")
    p.add_argument("--rows", help="comma list of row-name fragments to run")
    p.add_argument("--c-loop", metavar="SO",
                   help="benchmarks/abloop.c built as a shared library")
    p.add_argument("-v", "--verbose", action="store_true")
    return p
