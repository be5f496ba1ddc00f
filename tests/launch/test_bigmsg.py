"""Messages above 2 GiB between two ranks: a 2.125 GiB NumPy array with
Send/Recv and with send/recv, a pickled 2.125 GiB object with send/recv,
bcast, gather, scatter and alltoall, and an Allreduce of 2.125 Gi elements
(128 MiB past 2**31: a count an int cannot hold, and a second piece
wherever a message is cut at 2**31-1; 2.5 GiB took a sixth longer for
nothing more).

Each case is its own ``mpiexec -n 2`` job (see launchutil), so a failure or
a crash in one does not hide the others.  The data are not compared in
full (that would double the memory): the receiver checks the size, values
sampled around the 2 GiB and 4 GiB boundaries and a checksum of the whole
array.  ``CMPI_BIGMSG_BYTES`` sets the size (default 2.125 GiB), e.g. to
check the logic quickly with small messages.  mpi4py 4.1 on Open MPI 4.1
(no large-count MPI-4 calls) fails some of these: expected there.
"""

import os
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

NBYTES = int(os.environ.get("CMPI_BIGMSG_BYTES", str((2 << 30) + (128 << 20))))
TIMEOUT = 300
GIB = 1 << 30


def available_memory():
    """Bytes of memory available: MemAvailable, else free pages (sysconf)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


NEEDED = max(16 * GIB if NBYTES >= 2 * GIB else 0, 6 * NBYTES)
pytestmark = pytest.mark.skipif(
    available_memory() < NEEDED,
    reason=f"needs {NEEDED / GIB:.1f} GiB of available memory for {NBYTES / GIB:.2f} GiB "
           f"messages, the machine has {available_memory() / GIB:.1f} GiB")

PROGRAM = r'''
import sys
import numpy as np
from mpi4py import MPI

MODE, N = sys.argv[1], int(sys.argv[2])
comm = MPI.COMM_WORLD
rank = comm.Get_rank()
assert comm.Get_size() == 2
BLOCK = 1 << 20


def block():
    return (np.arange(BLOCK, dtype=np.int64) * 31 % 251).astype(np.uint8)


def make():
    a = np.empty(N, dtype=np.uint8)
    b = block()
    for off in range(0, N, BLOCK):
        a[off:off + BLOCK] = b[:N - off]
    return a


def expected_sum():
    b = block().astype(np.uint64)
    full, rest = divmod(N, BLOCK)
    return int(b.sum()) * full + int(b[:rest].sum())


def positions():
    cand = [0, 1, N // 2, N - 2, N - 1]
    for edge in (1 << 31, 1 << 32):
        cand += [edge - 1, edge, edge + 1]
    return sorted({p for p in cand if 0 <= p < N})


def check(buf, what):
    a = np.frombuffer(buf, dtype=np.uint8) if not isinstance(buf, np.ndarray) else buf
    problems = []
    if a.size != N:
        problems.append(f"size {a.size} != {N}")
    else:
        for p in positions():
            want = (p % BLOCK) * 31 % 251
            if a[p] != want:
                problems.append(f"a[{p}] = {a[p]} != {want}")
        s = int(a.sum(dtype=np.uint64))
        if s != expected_sum():
            problems.append(f"checksum {s} != {expected_sum()}")
    status = "OK" if not problems else "BAD " + "; ".join(problems[:5])
    print(f"RESULT rank {rank} {what} {status}", flush=True)
    return not problems


ok = True
if MODE == "Send":
    if rank == 0:
        comm.Send(make(), dest=1, tag=1)
    else:
        a = np.zeros(N, dtype=np.uint8)
        s = MPI.Status()
        comm.Recv(a, source=0, tag=1, status=s)
        count = s.Get_count(MPI.BYTE)
        if count != N:
            print(f"RESULT rank 1 count BAD {count} != {N}", flush=True)
            ok = False
        ok = check(a, "Send/Recv") and ok
elif MODE == "send_array":
    if rank == 0:
        comm.send(make(), dest=1, tag=2)
    else:
        a = comm.recv(source=0, tag=2)
        ok = isinstance(a, np.ndarray) and a.dtype == np.uint8
        ok = check(a, "send/recv array") and ok
elif MODE == "send_object":
    if rank == 0:
        blob = make().tobytes()
        comm.send({"blob": blob, "n": N, "tail": "end"}, dest=1, tag=3)
    else:
        obj = comm.recv(source=0, tag=3)
        ok = obj["n"] == N and obj["tail"] == "end" and isinstance(obj["blob"], bytes)
        ok = check(obj["blob"], "send/recv object") and ok
elif MODE == "bcast_object":
    obj = {"blob": make().tobytes(), "n": N, "tail": "end"} if rank == 0 else None
    obj = comm.bcast(obj, root=0)
    ok = obj["n"] == N and obj["tail"] == "end"
    ok = check(obj["blob"], "bcast object") and ok
elif MODE == "gather_object":
    # rank 1's object alone is over 2 GiB: it cannot travel in a Gatherv
    got = comm.gather({"blob": make().tobytes()} if rank == 1 else None, root=0)
    if rank == 0:
        ok = got[0] is None and isinstance(got[1]["blob"], bytes)
        ok = check(got[1]["blob"], "gather object") and ok
elif MODE == "scatter_object":
    parts = [None, {"blob": make().tobytes()}] if rank == 0 else None
    part = comm.scatter(parts, root=0)
    if rank == 1:
        ok = check(part["blob"], "scatter object")
elif MODE == "alltoall_object":
    out = [None, {"blob": make().tobytes()}] if rank == 0 else [None, None]
    got = comm.alltoall(out)
    if rank == 1:
        ok = got[1] is None and check(got[0]["blob"], "alltoall object")
elif MODE == "Allreduce":
    # more than 2**31-1 elements: reduced in pieces
    r = np.zeros(N, dtype=np.uint8)
    comm.Allreduce(make(), r, op=MPI.MAX)
    ok = check(r, "Allreduce")
comm.Barrier()
if rank == 0:
    print(f"RESULT rank 0 {MODE} DONE", flush=True)
sys.exit(0 if ok else 3)
'''


# A large object's gather, scatter and alltoall send its pickle point to
# point (cmpi's out-of-band exchange, the path send_object takes), so they
# depend on no MPI library's large-count collectives: they run under Open
# MPI only (50 s less per MPICH run) unless CMPI_BIGMSG_ALL=1.  bcast_object
# broadcasts the stream with a large-count derived type: every library.
P2P_ONLY = pytest.mark.skipif(
    lu.launcher.flavor() != "openmpi" and os.environ.get("CMPI_BIGMSG_ALL") != "1",
    reason="travels point to point as send_object does: run under Open MPI "
           "(CMPI_BIGMSG_ALL=1 runs it here)")


@pytest.mark.parametrize("mode", [
    "Send", "send_array", "send_object", "bcast_object",
    pytest.param("gather_object", marks=P2P_ONLY), pytest.param("scatter_object", marks=P2P_ONLY),
    pytest.param("alltoall_object", marks=P2P_ONLY), "Allreduce"])
def test_big_message(tmp_path, mode):
    script = tmp_path / "bigmsg.py"
    script.write_text(textwrap.dedent(PROGRAM))
    job = lu.mpirun(2, [str(script), mode, str(NBYTES)], timeout=TIMEOUT)
    job.check_ok()
    if mode == "gather_object":
        assert "RESULT rank 0" in job.out and "BAD" not in job.out, job
    elif mode in ("Send", "send_array", "send_object", "scatter_object", "alltoall_object"):
        assert "RESULT rank 1" in job.out and "BAD" not in job.out, job
    else:
        assert job.out.count(" OK") >= 2 and "BAD" not in job.out, job
    assert f"RESULT rank 0 {mode} DONE" in job.out, job
