"""``python -m cmpi --check-collectives``: the collective-consistency checker.

Each mismatched program runs at 2 to 4 ranks under mpiexec with a time
limit; every rank catches ``cmpi.CollectiveMismatchError`` and prints its
message, which must name both sides (each rank's call and its file:line).
A rank that never reaches a collective is reported by the others within
the check's timeout.  Correct programs give the same output with the
checker on as off.
"""

import re
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

pytestmark = pytest.mark.skipif(
    lu.REFERENCE, reason="CMPI_TEST_RUNNER set: the checker is cmpi's own")

TIMEOUT = 60
#: check timeout given to the jobs, and the time they may take in all
CHECK_TIMEOUT = 3
LIMIT = 25

PRELUDE = """\
import sys
from array import array
import cmpi
from cmpi import MPI
comm = MPI.COMM_WORLD
rank = comm.Get_rank()
try:
{body}
except cmpi.CollectiveMismatchError as exc:
    assert isinstance(exc, MPI.Exception)
    assert exc.Get_error_class() == MPI.ERR_OTHER
    print(f"rank {{rank}} caught: {{exc}}", flush=True)
else:
    print(f"rank {{rank}} not caught", flush=True)
"""

# case -> (body, the text naming rank 0's call, the text naming rank 1's)
CASES = {
    "collective": ("""\
        if rank == 0:
            comm.bcast(1, root=0)
        else:
            comm.Barrier()
""", "rank 0: bcast(root=0) at job.py:9", "rank 1: Barrier() at job.py:11"),
    "root": ("""\
        comm.bcast(rank, root=0 if rank == 0 else 1)
""", "rank 0: bcast(root=0) at job.py:8", "rank 1: bcast(root=1) at job.py:8"),
    "op": ("""\
        comm.reduce(rank, op=MPI.MAX if rank == 0 else MPI.SUM, root=0)
""", "rank 0: reduce(root=0, op=MAX) at job.py:8", "rank 1: reduce(root=0, op=SUM) at job.py:8"),
    "count": ("""\
        data = array("d", [1.0] * (4 if rank == 0 else 5))
        comm.Allreduce(MPI.IN_PLACE, data)
""", "rank 0: Allreduce(op=SUM, bytes=32) at job.py:9",
        "rank 1: Allreduce(op=SUM, bytes=40) at job.py:9"),
    "sequence": ("""\
        comm.barrier()
        if rank == 0:
            comm.Barrier()
        print(comm.bcast("x" if rank == 0 else None, root=0))
""", "rank 0: Barrier() at job.py:10", "rank 1: bcast(root=0) at job.py:11"),
}


def write_job(tmp_path, body):
    code = PRELUDE.format(body=textwrap.indent(textwrap.dedent(body), " " * 4))
    path = tmp_path / "job.py"
    path.write_text(code)
    return path


def check_env():
    return lu.job_env({"CMPI_CHECK_TIMEOUT": str(CHECK_TIMEOUT)})


@pytest.mark.parametrize("n", [2, 3, 4])
@pytest.mark.parametrize("case", sorted(CASES))
def test_mismatch_reported_on_every_rank(tmp_path, case, n):
    body, first, second = CASES[case]
    script = write_job(tmp_path, body)
    job = lu.mpirun(n, ["--check-collectives", str(script)], timeout=TIMEOUT,
                    env=check_env())
    assert not job.timed_out, f"job hung\n{job}"
    assert job.elapsed < LIMIT, f"took {job.elapsed:.1f} s\n{job}"
    assert job.returncode == 0, job
    # ranks print at once: look in the output without line breaks (lu.flat)
    for rank in range(n):
        pattern = (re.escape(f"rank {rank} caught: collective mismatch on MPI_COMM_WORLD ")
                   + r"\(call \d+\): " + re.escape(f"{first}; {second}"))
        assert re.search(pattern, job.out), f"rank {rank}\n{job}"
    assert job.out.count(" caught: ") == n, job


def test_environment_variable_enables_checker(tmp_path):
    body, first, second = CASES["root"]
    script = write_job(tmp_path, body)
    env = dict(check_env(), CMPI_CHECK_COLLECTIVES="1")
    job = lu.mpirun(2, [str(script)], timeout=TIMEOUT, env=env)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode == 0, job
    assert job.out.count("caught: collective mismatch") == 2, job


NO_COLLECTIVE = """\
    import time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    if comm.Get_rank() == comm.Get_size() - 1:
        time.sleep(40)
    else:
        comm.Barrier()
"""


@pytest.mark.parametrize("n", [2, 3])
def test_rank_that_never_arrives_is_reported(tmp_path, n):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(NO_COLLECTIVE))
    job = lu.mpirun(n, ["--check-collectives", str(script)], timeout=TIMEOUT,
                    env=check_env())
    assert not job.timed_out, f"job hung\n{job}"
    assert job.elapsed < LIMIT, f"took {job.elapsed:.1f} s\n{job}"
    assert job.returncode != 0, job
    assert "cmpi.CollectiveMismatchError: collective check timed out on MPI_COMM_WORLD" in job.err, job
    assert f"not every rank reached a collective on it within {CHECK_TIMEOUT} s" in job.err, job
    assert "is in Barrier() at job.py:7" in job.err, job


CORRECT = """\
    import cmpi
    from array import array
    from cmpi import MPI, _collcheck
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    out = []
    out.append(comm.bcast(rank + 10, root=size - 1))
    out.append(comm.allreduce(rank, op=MPI.MAX))
    out.append(comm.reduce(rank, root=0))
    out.append(comm.gather(rank, root=1 % size))
    out.append(comm.scatter(list(range(size)) if rank == 0 else None, root=0))
    out.append(comm.allgather(rank))
    out.append(comm.alltoall([rank] * size))
    out.append(comm.scan(rank))
    out.append(comm.exscan(rank))
    comm.barrier()
    a = array("d", [rank] * 3)
    b = array("d", [0] * 3)
    comm.Allreduce(a, b)
    out.append(list(b))
    comm.Allreduce(MPI.IN_PLACE, a, op=MPI.MIN)
    out.append(list(a))
    c = array("i", [rank] * 2)
    comm.Bcast([c, MPI.INT], root=0)
    out.append(list(c))
    d = array("i", [0] * 2)
    comm.Reduce(c if rank else MPI.IN_PLACE, c if rank == 0 else d, root=0)
    out.append(list(c))
    g = array("i", [0] * size)
    comm.Allgather(array("i", [rank]), g)
    out.append(list(g))
    comm.Gather(array("i", [rank]), g if rank == 0 else None, root=0)
    r1 = array("d", [0.0])
    req = comm.Iallreduce(array("d", [1.0]), r1)
    req2 = comm.Ibarrier()
    req3 = comm.Ibcast(c, root=0)
    MPI.Request.Waitall([req, req2, req3])
    out.append(list(r1))
    # a nonblocking collective must not wait for the others: rank 0 waits
    # for rank 1's synchronous send, which rank 1 makes before its Ibarrier
    if rank == 0:
        req = comm.Ibarrier()
        out.append(comm.recv(source=1, tag=77))
        req.Wait()
    elif rank == 1:
        comm.ssend("after Ibarrier", dest=0, tag=77)
        comm.Ibarrier().Wait()
    else:
        comm.Ibarrier().Wait()
    rsb = array("i", [0])
    comm.Reduce_scatter_block(array("i", [1] * size), rsb)
    out.append(list(rsb))
    dup = comm.Dup()
    out.append(dup.allreduce(1))
    half = comm.Split(rank % 2, rank)
    out.append(half.allgather(rank))
    if size > 1:
        inter = half.Create_intercomm(0, comm, 1 if rank % 2 == 0 else 0)
        out.append(inter.bcast(rank if inter.Get_rank() == 0 else None,
                               root=(MPI.ROOT if inter.Get_rank() == 0 else MPI.PROC_NULL)
                               if rank % 2 == 0 else 0))
        out.append(inter.allgather(rank))
        merged = inter.Merge(rank % 2 == 1)
        out.append(merged.allreduce(1))
        merged.Free()
        inter.Free()
    cart = comm.Create_cart([size], periods=[True])
    out.append(cart.neighbor_allgather(rank))
    nb = array("i", [0, 0])
    cart.Neighbor_allgather(array("i", [rank]), nb)
    out.append(list(nb))
    cart.Free()
    half.Free()
    dup.Free()
    try:
        preq = comm.Allreduce_init(array("d", [2.0]), r1)
    except (NotImplementedError, MPI.Exception):
        pass
    else:
        preq.Start()
        preq.Wait()
        preq.Free()
        out.append(list(r1))
    everything = comm.gather(out, root=0)
    if rank == 0:
        print(f"checked={_collcheck.enabled()}")
        for r, result in enumerate(everything):
            print(f"rank {r}: {result}")
"""


@pytest.mark.parametrize("n", [2, 3, 4])
def test_correct_program_same_with_checker(tmp_path, n):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(CORRECT))
    off = lu.mpirun(n, [str(script)], timeout=TIMEOUT)
    off.check_ok()
    on = lu.mpirun(n, ["--check-collectives", str(script)], timeout=TIMEOUT, env=check_env())
    on.check_ok()
    assert off.stdout.startswith("checked=False\n"), off
    assert on.stdout.startswith("checked=True\n"), on
    assert on.stdout.count("\nrank ") == n, on
    assert on.stdout.split("\n", 1)[1] == off.stdout.split("\n", 1)[1], f"{off}\n{on}"
