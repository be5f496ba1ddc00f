"""Instructions the profile adds to an 8-byte Send + Recv pair (callgrind).

    cc -O2 -shared -fPIC -o /tmp/libcgtoggle.so benchmarks/cgtoggle.c
    CMPI_PROFILE_INTERVAL=1000000 mpiexec -n 2 valgrind -q --tool=callgrind \\
        --collect-atstart=no --callgrind-out-file=cg.%p \\
        python benchmarks/profile_callgrind.py [--lib /tmp/libcgtoggle.so]
    python benchmarks/profile_callgrind.py --sum cg.<pid of rank 0>

Rank 0 counts its instructions over batches of 16 Send + Recv pairs:
first never installed (bare), then with the wrappers installed: profile
off, on (sampled), off, on.  No receive
waits (a waiting receive spins, and the spin would be counted): rank 1
sends the batch's 16 messages before a Barrier, rank 0 sends its 16
before rank 1 receives them (eager, 8 bytes).  Each batch is one callgrind
dump; --sum prints per mode the median over batches of instructions per
pair.  The sampler ticks once a second (CMPI_PROFILE_INTERVAL) so that
its thread adds nothing to a batch.

2026-12-06, 50 batches per mode (every batch of a mode within a few
instructions): MPICH 4.0 off 4,217 before and 4,215 after, profile +246
before and +149 after the cuts of that day (benchmarks/profile_overhead.py's
header lists them); Open MPI 4.1 off 3,910 / 3,909, profile +217 / +150.
Measured against bare, the installed wrapper objects themselves had cost
+316 a pair (MPICH: bare 4,041, off 4,357, profile 4,506): the interpreter's
generic call of an object it cannot specialize, then the original
descriptor's own call.  Since the direct methods (profile.c: a method
descriptor of its own per instance method, calling a trampoline), 20
batches: MPICH bare 4,041, off 4,097 (+56), profile 4,258 (+217 over bare,
5.4%); Open MPI bare 3,777, off 3,833 (+56), profile 3,995 (+218, 5.8%).
Bare is the commit before's (MPICH 4,042, Open MPI 3,769: a few
instructions of code placement in the area files).  A first version
inlined prof_direct into each of the 1,024 trampolines: that used up
GCC's inlining budget for the whole module, cmpi_as_int, cmpi_wait ...
stopped being inlined everywhere, and bare cost 4,142 (+100).

2026-12-07, 20 batches, after the sampled profile's hooks began adding
bytes straight to the wrapper's counters, one load picked a call's path,
the usual calling convention skipped the switch and the hooks' slow parts
became tail calls: MPICH bare 4,066, off 4,116 (+50), profile 4,253 (+187,
4.6%; it was +217 the day before, on a bare of 4,066); Open MPI bare
3,777, off 3,827 (+50), profile 3,964 (+187, 4.95%).

2026-12-07 afternoon, 20 batches.  First a stopped profile began pointing
the direct methods that take METH_FASTCALL | METH_KEYWORDS at the
original's own C function (profile.c, prof_direct_set): off cost nothing
(MPICH bare 4,066, off 4,066; Open MPI 3,777 both), profile unchanged
(+187).  Of those 187 (MPICH, per pair): the trampolines and prof_direct
50, prof_call_sampled 76, the Send's byte hook 25 and the Recv's status
hook 24, the hooks' tests in Comm_Send and Comm_Recv 12.  Then the
sampled profile pointed them at trampolines of their own
(prof_direct_sampled: no test of the mode nor of the calling convention,
one call instead of two): MPICH profile 4,224 (+157, 3.9%); Open MPI
bare 3,778, profile 3,935 (+157, 4.2%).
"""

import argparse
import ctypes
import glob
import statistics

BATCH = 16
MODES = ("bare", "off", "profile", "off2", "profile2")


def run(lib, batches):
    from cmpi import MPI

    cg = ctypes.CDLL(lib)
    buf = bytearray(8)
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()

    def loop(collect):
        Send, Recv, Barrier = comm.Send, comm.Recv, comm.Barrier
        for _ in range(batches):
            if rank == 1:
                for _ in range(BATCH):
                    Send(buf, 0, 1)
            Barrier()
            if rank == 0:
                if collect:
                    cg.cg_begin()
                for _ in range(BATCH):
                    Send(buf, 1, 2)
                    Recv(buf, 1, 1)
                if collect:
                    cg.cg_end(b"batch")
            Barrier()
            if rank == 1:
                for _ in range(BATCH):
                    Recv(buf, 0, 2)

    for mode in MODES:
        if mode == "off":
            MPI._prof_install()
        if mode.startswith("profile"):
            MPI._prof_reset()
            MPI._prof_start(0)
        loop(False)  # warm up
        loop(True)
        MPI._prof_stop()


def summarize(prefix, batches):
    totals = {}
    for path in glob.glob(glob.escape(prefix) + ".*"):
        dump = path.rsplit(".", 1)[1]
        if not dump.isdigit():
            continue
        with open(path) as f:
            for line in f:
                if line.startswith(("totals:", "summary:")):
                    totals[int(dump)] = int(line.split()[1])
                    break
    for k, mode in enumerate(MODES):
        per_pair = [totals[i] / BATCH for i in range(k * batches + 1, (k + 1) * batches + 1)
                    if i in totals]
        if per_pair:
            print(f"{mode:9s} {statistics.median(per_pair):8.1f} instructions a pair "
                  f"(median of {len(per_pair)} batches, min {min(per_pair):.1f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default="/tmp/libcgtoggle.so")
    ap.add_argument("--batches", type=int, default=50)
    ap.add_argument("--sum", metavar="PREFIX", help="print the figures of cg.<pid>.*")
    args = ap.parse_args()
    if args.sum:
        summarize(args.sum, args.batches)
    else:
        run(args.lib, args.batches)


if __name__ == "__main__":
    main()
