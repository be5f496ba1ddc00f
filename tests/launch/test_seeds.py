"""The training programs (examples/seeds) run unchanged under ``python -m cmpi``.

Each example is launched with ``mpiexec -n N <python> -m cmpi example.py``
at the rank counts the trainings use (scaled down where oversubscribing
two cores would only make the test slow), and its output is checked,
order-independently, against what the trainings show.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

FLAVOR = lu.launcher.flavor()
OPENMPI = FLAVOR == "openmpi"
# The trainings launch these at 128 (point_point2, 1_mpi_simple) and 10
# (collective_comm*) ranks.  Open MPI yields when idle, so 8/10 ranks on 2
# cores are fine; MPICH busy-polls and crawls when oversubscribed.
MANY = 8 if OPENMPI else 4
TEN = 10 if OPENMPI else 4

BCAST = "{'key1': [7, 2.72, (2+3j)], 'key2': ('abc', 'xyz')}"
DICT = "{'a': 7, 'b': 3.14}"


def run_seed(name, n, *args, timeout=lu.DEFAULT_TIMEOUT):
    script = lu.SEEDS / name
    assert script.exists(), script
    job = lu.mpirun(n, [str(script), *args], timeout=timeout)
    job.check_ok()
    return job


def expect(job, text, count=1):
    found = job.out.count(text)
    assert found == count, f"expected {count} x {text!r}, found {found}\n{job}"


def test_seed_files_present():
    names = ["point_point.py", "point_point2.py", "collective_comm1.py",
             "collective_comm2.py", "collective_comm3.py", "slices_sum.py",
             "hello.py", "0_mpi_simple.py", "1_mpi_simple.py",
             "2_mpi_sum.py", "3_mpi_np.py"]
    for name in names:
        text = (lu.SEEDS / name).read_text()
        assert "from mpi4py import MPI" in text, name
        assert text.startswith("#"), f"{name}: missing provenance comment"


def test_point_point():
    job = run_seed("point_point.py", 2)
    expect(job, "rank 0 sends data")
    expect(job, f"rank 1 receives {DICT}")


@pytest.mark.parametrize("n", [2, MANY])
def test_point_point2(n):
    job = run_seed("point_point2.py", n)
    expect(job, "rank 0 sends data")
    for i in range(1, n):
        expect(job, f"rank {i} receives {DICT}")
    expect(job, "receives", n - 1)


def test_collective_comm1_bcast():
    n = TEN
    job = run_seed("collective_comm1.py", n)
    for i in range(n):
        expect(job, f"rank {i} has {BCAST}")
    expect(job, " has ", n)


def test_collective_comm2_scatter():
    n = TEN
    job = run_seed("collective_comm2.py", n)
    for i in range(n):
        # "rank 1 has 4" must not be the start of "rank 1 has 49": every
        # printed text is followed by the next rank's text or the end
        line = f"rank {i} has {(i + 1) ** 2}"
        assert (job.out + "rank ").count(line + "rank ") == 1, \
            f"expected {line!r} once\n{job}"
    expect(job, " has ", n)


def test_collective_comm3_gather():
    n = TEN
    job = run_seed("collective_comm3.py", n)
    expect(job, f"rank 0 has {[(i + 1) ** 2 for i in range(n)]}")
    for i in range(1, n):
        expect(job, f"rank {i} has None")
    expect(job, " has ", n)
    assert "AssertionError" not in job.err, job


def test_slices_sum():
    n = 4
    job = run_seed("slices_sum.py", n)
    data = list(range(10 * n))
    expect(job, f"has created data: {data}")
    for i in range(1, n):
        chunk = data[10 * i:10 * (i + 1)]
        expect(job, f"Process 0 sent data slice {chunk} to process {i}")
        expect(job, f"Process {i} on ")
        expect(job, f"received data slice: {chunk}")
        expect(job, f"Process {i} computed its result: {sum(chunk)}")
        expect(job, f"Process {i} sent result back to process 0")
        expect(job, f"Process 0 received result from process {i}")
    expect(job, f"Process 0 computed its result: {sum(data[:10])}")
    expect(job, f"Final aggregated result: {sum(data)}")
    # rank 0 prints the final result after it received every result
    last = max(job.out.index(f"Process 0 received result from process {i}")
               for i in range(1, n))
    assert job.out.index("Final aggregated result") > last, job


def test_hello():
    n = 4
    job = run_seed("hello.py", n)
    for i in range(n):
        expect(job, f"Hello from rank {i} out of {n}")
    expect(job, "Hello", n)


def test_0_mpi_simple():
    job = run_seed("0_mpi_simple.py", 2)
    expect(job, "Rank 1 received value: 42")
    expect(job, "Rank 0 received result: 84")


@pytest.mark.parametrize("n", [2, MANY])
def test_1_mpi_simple(n):
    job = run_seed("1_mpi_simple.py", n)
    for i in range(1, n):
        expect(job, f"Rank {i} received value: {42 + i}")
        expect(job, f"Rank 0 received result: {2 * (42 + i)} from rank {i}")
    expect(job, "received", 2 * (n - 1))
    # rank 0 receives from 1, 2, ... in order
    positions = [job.out.index(f"from rank {i}") for i in range(1, n)]
    assert positions == sorted(positions), job


def test_2_mpi_sum():
    job = run_seed("2_mpi_sum.py", 4)
    expect(job, "Total sum is: 4950")
    assert job.stdout.strip() == "Total sum is: 4950", job


def test_3_mpi_np():
    n = 4
    job = run_seed("3_mpi_np.py", n)
    expect(job, "Standard communication (list, bcast/scatter/gather): ")
    expect(job, "Buffered communication (NumPy, Bcast/Scatter/Gather): ")
    expect(job, "results match: True")
    assert "results match: False" not in job.out, job


def test_3_mpi_np_not_divisible():
    # 1001 is not divisible by 4 ranks: the example rounds it up to 1004
    job = run_seed("3_mpi_np.py", 4, "1001")
    expect(job, "Data size 1001 is not divisible by 4 processes, using 1004 instead")
    expect(job, "of 1004 elements")
    expect(job, "results match: True")
