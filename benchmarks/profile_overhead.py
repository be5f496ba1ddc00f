"""What the profile and the trace cost (issue 19), in the same processes.

    mpiexec -n 2 python benchmarks/profile_overhead.py [--iters 100000] [--rounds 5]

Times an 8-byte Send/Recv ping-pong and an 8-byte Allreduce: first with
the wrappers not installed, then, after MPI._prof_install(), rounds that
alternate profile off / profile on (sampled time) / trace on / profile
on with exact timing (drift on these machines is
large between launches, small between neighbouring rounds; the order of
the modes turns from round to round).  Each round also times
COMM_SELF.Send to PROC_NULL on its own: the wrapper's cost per call,
free of the other rank's noise.  Prints the
median per-round ratio against "off" for each mode, the ratio of the best
rounds (the least disturbed by other processes), and the cost of one
clock_gettime(CLOCK_MONOTONIC) read as time.monotonic_ns sees it.

"bare" rounds put the original methods back in MPI.Comm for the round,
so that never installed is timed in the same processes too.

--pair MODE times only the ping-pong, bare against MODE, in blocks of
--iters round trips (bare, MODE, MODE, bare each round), for a machine
whose speed drifts within seconds.  2026-12-07, after the sampled
trampolines (profile.c), a slow day (bare round trip 1.2-2.5 us), 200
rounds of 5,000 round trips, the median ratio of each run (its quartiles
about 0.02 either side):

                   Open MPI                       MPICH
    off            1.007                          0.998
    profile        1.058, 1.050, 1.041, 1.055*    1.036, 1.036
    trace          1.134                          1.078

(*: sampler at 1 tick a second, CMPI_PROFILE_INTERVAL=1000000: the
sampler's own ticks cost nothing visible.)  In instructions the profile
adds 157 a Send + Recv pair on either MPI (3.9% of MPICH's, 4.2% of Open
MPI's; benchmarks/profile_callgrind.py).

2026-12-08, the same code, a fast day (bare round trip 1.02-1.10 us,
Allreduce 0.60 us), --pair, 200 rounds of 5,000 round trips:

                   Open MPI                               MPICH
    profile        1.021, 1.028, 1.030, 1.029, 1.024      1.019, 1.008, 1.019
    trace          1.138, 1.136, 1.141                    1.080

and two runs of --rounds 7 on Open MPI (against bare): profile 1.037 and
1.039 (Allreduce 1.049, 1.085), trace 1.173 and 1.176 (Allreduce 1.159,
1.142), exact 1.130 and 1.150; per call (Send to PROC_NULL) profile +5 ns,
exact +29 to +32 ns (two TSC reads, 8.6 ns each here), trace +45 to
+49 ns.  On a fast day the profile is well within its 5%, and the trace,
whose cost per call is fixed, is at or past its 15%.

2026-12-06, after the direct methods (profile.c), quiet, 3 runs of
--rounds 7, median of the runs' median ratios against bare (lowest-highest):

                   ping-pong                      Allreduce
                   Open MPI        MPICH          Open MPI      MPICH
    installed+off  1.000 (0.997-   1.001 (0.992-  0.999-1.011   0.996-1.019
                          1.009)          1.010)
    profile        1.034 (1.026-   1.059 (1.050-  1.038         1.032
                          1.040)          1.059)
    trace          1.063 (1.050-   1.087 (1.079-  1.090         1.063
                          1.073)          1.100)
    exact timing   1.044 (1.042-   1.064 (1.031-  1.059         1.048
                          1.055)          1.078)

(against installed+off, MPICH's profile is 1.048 (1.045-1.059); round trip
1.24 us on Open MPI, 0.80 us on MPICH.)  Earlier figures, against the
wrapper objects installed and off (which then cost 316 instructions a
Send + Recv pair themselves):

Measured on the two-core development machine, quiet (2 ranks, 3 runs of
the defaults; the median of the runs' median ratios, lowest-highest in
brackets; round trip 0.64 us on Open MPI, 0.57 us on MPICH; sampler at its
default 100 ticks a second):

                   ping-pong                      per call (Send to PROC_NULL)
                   Open MPI        MPICH          Open MPI      MPICH
    profile        1.047 (1.043-   1.067 (1.046-  +3.3 ns       +3.9 ns
                          1.047)          1.079)  (2.4-4.7)     (3.5-5.2)
    trace          1.072 (1.065-   1.092 (1.087-  +11.2 ns      +12.0 ns
                          1.077)          1.122)  (10.8-13.9)   (10.8-12.5)
    exact timing   1.057 (1.053-   1.071 (1.063-  +6.1 ns       +8.0 ns
                          1.059)          1.101)  (4.7-7.3)     (7.6-8.8)

(Allreduce: profile 1.061 / 1.016, trace 1.079 / 1.043, exact 1.068 /
1.026.)  Before the sampler and the counter clock, profile and trace cost
x1.27-1.32 on the ping-pong and 36-49 ns per call.  At 1000 sampler ticks
a second (CMPI_PROFILE_INTERVAL=1000) the profile cost x1.06-1.09 on the
same quiet machine: both ranks spin on both cores, and each tick takes a
core from a rank for a moment.  Callgrind
(benchmarks/profile_callgrind.py: a profiled Send + Recv pair at 2 ranks, no receive waiting, wrappers installed): MPICH off 4,215
instructions a pair, profile +246 before 2026-12-06, +149 since; Open MPI
off 3,909, +217 before, +150 since.  On Open MPI's COMM_SELF (a send to
self, which MPICH cannot run in one loop) +215 before (wrappers 72,
MPI_Get_count 44, the Send's byte hook 43, the status hook 29, the peer
hook 10, the hooks' tests 17), +150 since: the received bytes read from
the status's own fields where mpi.h shows them (Open MPI _ucount, MPICH
count_lo/count_hi_and_cancelled; MPI_Get_count only past INT_MAX bytes or
with the standard ABI), Recv's peer and status hooks as one call,
MPI_BYTE tested first in the byte hook, and the sampled wrapper no longer
zeroing the exact-timing fields nor emptying the communicator-name cache
(only the trace uses it, and _prof_start empties it).  Off is unchanged.
The counters live in a mapped file (the live file) through a pointer in
each wrapper: +2 instructions a pair, included above.  Never installed, a
call has only the hooks' one test each, unchanged by the profile.
"""

import argparse
import statistics
import time

from cmpi import MPI


def pingpong(comm, buf, iters):
    rank = comm.Get_rank()
    Send, Recv = comm.Send, comm.Recv
    comm.Barrier()
    t0 = time.perf_counter()
    if rank == 0:
        for _ in range(iters):
            Send(buf, 1, 1)
            Recv(buf, 1, 1)
    elif rank == 1:
        for _ in range(iters):
            Recv(buf, 0, 1)
            Send(buf, 0, 1)
    t = time.perf_counter() - t0
    return comm.allreduce(t, op=MPI.MAX) / iters


def allreduce(comm, buf, out, iters):
    Allreduce = comm.Allreduce
    comm.Barrier()
    t0 = time.perf_counter()
    for _ in range(iters):
        Allreduce(buf, out, MPI.SUM)
    t = time.perf_counter() - t0
    return comm.allreduce(t, op=MPI.MAX) / iters


def per_call(buf, iters):
    """ns per COMM_SELF.Send to PROC_NULL: the wrapper's own cost, without
    the other rank's (or the network's) noise."""
    Send = MPI.COMM_SELF.Send  # (bound now: the wrapper once installed)
    t0 = time.perf_counter()
    for _ in range(iters):
        Send(buf, MPI.PROC_NULL, 0)
    return (time.perf_counter() - t0) / iters * 1e9


# mode: (profile on, trace ring size, exact timing)
MODES = {"off": (None, 0, False), "profile": (True, 0, False),
         "trace": (True, 1000000, False), "exact": (True, 0, True)}


def paired(mode, iters, rounds):
    """Bare against one mode, on the ping-pong only, in blocks short
    enough that the machine's drift between the two is small: each round
    times bare, mode, mode, bare (so a steady drift cancels within the
    round) and gives one ratio; prints the median ratio and its quartiles.
    """
    comm = MPI.COMM_WORLD
    buf = bytearray(8)
    cls = type(comm)
    used = ("Send", "Recv", "Barrier")
    originals = {name: vars(cls)[name] for name in used}
    MPI._prof_install()
    installed = {name: vars(cls)[name] for name in used}
    on, ring, exact = MODES[mode]

    def timed(bare):
        if bare:
            for name, f in originals.items():
                setattr(cls, name, f)
        elif on:
            MPI._prof_reset()
            MPI._prof_start(ring, exact=exact)
        t = pingpong(comm, buf, iters)
        MPI._prof_stop()
        if bare:
            for name, f in installed.items():
                setattr(cls, name, f)
        return t

    timed(True)  # warm up
    timed(False)
    ratios, bare_t = [], []
    for _ in range(rounds):
        b1 = timed(True)
        m1 = timed(False)
        m2 = timed(False)
        b2 = timed(True)
        ratios.append((m1 + m2) / (b1 + b2))
        bare_t.append((b1 + b2) / 2)
    if comm.Get_rank() == 0:
        q1, q2, q3 = statistics.quantiles(ratios, n=4)
        print(f"pingpong, {rounds} rounds of bare/{mode}/{mode}/bare,"
              f" {iters} round trips a block: bare"
              f" {statistics.median(bare_t) * 1e6:.3f} us (best"
              f" {min(bare_t) * 1e6:.3f}); {mode} against bare: median"
              f" {q2:.3f}, quartiles {q1:.3f}-{q3:.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pair", choices=tuple(MODES),
                    help="time only the ping-pong, bare against this mode,"
                    " in short blocks: bare, mode, mode, bare each round"
                    " (try --iters 5000 --rounds 200 on a noisy machine)")
    args = ap.parse_args()
    if args.pair:
        return paired(args.pair, args.iters, args.rounds)
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    buf, out = bytearray(8), bytearray(8)
    n = args.iters
    k = 200000
    t0 = time.perf_counter()
    for _ in range(k):
        time.monotonic_ns()
    clock_ns = (time.perf_counter() - t0) / k * 1e9
    pingpong(comm, buf, n // 10)  # warm up
    base = {"pingpong": [pingpong(comm, buf, n) for _ in range(args.rounds)],
            "allreduce": [allreduce(comm, buf, out, n)
                          for _ in range(args.rounds)]}
    # "bare": the original methods put back for the round (the profile
    # installs direct methods in the dicts of MPI.Comm and of its
    # subclasses, which hold copies of its methods: MPI.c), so that never
    # installed is timed in the same rounds as the others
    used = ("Send", "Recv", "Allreduce", "Barrier")
    cls = type(comm)
    originals = {name: vars(cls)[name] for name in used}
    MPI._prof_install()
    installed = {name: vars(cls)[name] for name in used}
    modes = dict(MODES, bare=(None, 0, False))
    times = {(b, m): [] for b in list(base) + ["per_call"] for m in modes}
    order = list(modes.items())
    for r in range(args.rounds):
        # a different order each round: no mode always follows another
        k = r % len(order)
        for m, (on, ring, exact) in order[k:] + order[:k]:
            if m == "bare":
                for name, f in originals.items():
                    setattr(cls, name, f)
            if on:
                MPI._prof_reset()
                MPI._prof_start(ring, exact=exact)
            times["pingpong", m].append(pingpong(comm, buf, n))
            times["allreduce", m].append(allreduce(comm, buf, out, n))
            times["per_call", m].append(per_call(buf, n))
            MPI._prof_stop()
            if m == "bare":
                for name, f in installed.items():
                    setattr(cls, name, f)
    if rank == 0:
        print(f"time.monotonic_ns(): {clock_ns:.1f} ns per call "
              "(Python call included)")
        for b in base:
            off = times[b, "off"]
            print(f"{b}: not installed {statistics.median(base[b]) * 1e6:.3f}"
                  f" us, installed+off {statistics.median(off) * 1e6:.3f} us")
            bare = times[b, "bare"]
            print(f"  bare     {statistics.median(bare) * 1e6:.3f} us"
                  " (the original methods, in the same rounds)")
            for m in ("off", "profile", "trace", "exact"):
                ratios = [x / y for x, y in zip(times[b, m], off)]
                to_bare = [x / y for x, y in zip(times[b, m], bare)]
                print(f"  {m:8s} {statistics.median(times[b, m]) * 1e6:.3f} us"
                      f"  median ratio {statistics.median(ratios):.3f}"
                      f" (against bare {statistics.median(to_bare):.3f}),"
                      f" best {min(times[b, m]) * 1e6:.3f} us against"
                      f" {min(off) * 1e6:.3f} us:"
                      f" {min(times[b, m]) / min(off):.3f}"
                      f" (bare {min(times[b, m]) / min(bare):.3f})")
        off = times["per_call", "off"]
        bare = times["per_call", "bare"]
        print(f"per call (COMM_SELF.Send to PROC_NULL, rank 0): installed+off"
              f" {statistics.median(off):.1f} ns, bare"
              f" {statistics.median(bare):.1f} ns (median of the rounds'"
              f" differences {statistics.median([x - y for x, y in zip(off, bare)]):+.1f} ns)")
        for m in ("profile", "trace", "exact"):
            extra = [x - y for x, y in zip(times["per_call", m], off)]
            print(f"  {m:8s} +{statistics.median(extra):.1f} ns per call"
                  f" (median of the rounds' differences; best round"
                  f" +{min(times['per_call', m]) - min(off):.1f} ns)")


if __name__ == "__main__":
    main()
