"""How ranks wait when they outnumber the cores (rc.yield_when_idle).

MPI's blocking calls busy-poll; MPICH's never yield.  With more ranks on a
node than cores, a rank then waits for the scheduler to preempt a spinning
one (a 4 ms tick) at every step, and collectives and RMA synchronization
become thousands of times slower.  With MPICH, cmpi detects the
oversubscription from the launcher's environment and then yields (Open MPI
yields by itself): its waits yield the core,
blocking collectives run as polled nonblocking ones, and (MPICH) the calls
it cannot poll run under a timer whose signal yields.  These tests check
the decision and that the modes work; never timings.
"""

import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

FLAVOR = lu.launcher.flavor()
TIMEOUT = 120

pytestmark = pytest.mark.skipif(
    lu.REFERENCE, reason="CMPI_TEST_RUNNER set: checks specific to cmpi")

REPORT = """\
import json
from mpi4py import MPI
print("MODE " + json.dumps(MPI._wait_mode()), flush=True)
"""

# Collectives, point to point, RMA synchronization, communicator
# constructors and a Ctrl-C-free sleep in another thread: all must work
# (and give the right answers) in whichever mode the job runs.
WORKLOAD = """\
import array, json, threading, time
from mpi4py import MPI
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
slept = []
sleeper = threading.Thread(target=lambda: (time.sleep(0.3), slept.append(1)))
sleeper.start()
for i in range(20):
    assert comm.allreduce(rank + i) == sum(range(size)) + size * i
    assert comm.bcast(("x" * 500, i) if rank == 0 else None) == ("x" * 500, i)
    comm.Barrier()
sub = comm.Split(rank % 2, rank)
dup = sub.Dup()
assert dup.allgather(rank) == list(range(rank % 2, size, 2))
dup.Free(); sub.Free()
buf = array.array("i", [0] * size)
win = MPI.Win.Create(buf, disp_unit=buf.itemsize, comm=comm)
for i in range(30):
    win.Fence()
    win.Put(array.array("i", [rank + i]), (rank + 1) % size, target=rank)
    win.Fence()
    assert buf[(rank - 1) % size] == (rank - 1) % size + i
win.Lock(0)
win.Accumulate(array.array("i", [1]), 0, target=0, op=MPI.SUM)
win.Unlock(0)
comm.Barrier()
win.Free()
if size > 1:
    if rank == 0:
        comm.send(list(range(1000)), dest=1)
    elif rank == 1:
        assert comm.recv(source=0) == list(range(1000))
sleeper.join()
assert slept == [1]
print(f"OK {rank} " + json.dumps(MPI._wait_mode()), flush=True)
"""


def cores():
    return len(os.sched_getaffinity(0))


def modes(job, n, tag="MODE"):
    """The dicts the ranks printed after `tag` (lines of different ranks
    may run together: see launchutil.flat)."""
    found = re.findall(tag + r" (?:\d+ )?(\{[^}]*\})", lu.flat(job.stdout))
    assert len(found) == n, job
    return [json.loads(text) for text in found]


def run(tmp_path, n, code, extra=None):
    script = tmp_path / "job.py"
    script.write_text(code)
    env = lu.job_env(extra)
    env.pop("CMPI_YIELD_WHEN_IDLE", None)
    env.pop("CMPI_RC_YIELD_WHEN_IDLE", None)
    if extra:
        env.update(extra)
    return lu.mpirun(n, [str(script)], timeout=TIMEOUT, env=env)


def test_decided_from_ranks_per_node_and_cores(tmp_path):
    """Automatic: yield exactly when the job has more ranks here than
    cores (this process's affinity, or the node's when bound to one), and
    only with MPICH: Open MPI yields by itself when oversubscribed."""
    n = cores() + 1
    if n > 8:
        pytest.skip(f"{cores()} cores: oversubscribing would need {n} ranks")
    job = run(tmp_path, n, REPORT)
    job.check_ok()
    mpich = FLAVOR == "mpich"
    for mode in modes(job, n):
        assert mode["yield_when_idle"] is mpich and mode["collectives_poll"] is mpich
        # MPICH's own blocking calls get the yielding timer
        assert (mode["tick_signal"] > 0) is mpich
    job = run(tmp_path, 2 if cores() >= 2 else 1, REPORT)
    job.check_ok()
    for mode in modes(job, 2 if cores() >= 2 else 1):
        assert mode == {"yield_when_idle": False, "collectives_poll": False,
                        "tick_signal": 0}


@pytest.mark.parametrize("setting", ["0", "1"])
def test_forced_by_the_environment(tmp_path, setting):
    """Forced on or off, with either MPI library; rc.yield_when_idle is
    the same option."""
    job = run(tmp_path, 2, REPORT, {"CMPI_YIELD_WHEN_IDLE": setting})
    job.check_ok()
    for mode in modes(job, 2):
        assert mode["yield_when_idle"] is (setting == "1")
        assert mode["collectives_poll"] is (setting == "1")
        assert (mode["tick_signal"] > 0) is (setting == "1" and FLAVOR == "mpich")


@pytest.mark.parametrize("setting", ["0", "1"])
def test_workload_correct_in_both_modes(tmp_path, setting):
    n = 3
    job = run(tmp_path, n, WORKLOAD, {"CMPI_YIELD_WHEN_IDLE": setting})
    job.check_ok()
    for mode in modes(job, n, "OK"):
        assert mode["yield_when_idle"] is (setting == "1")
