"""The use cases (examples/string_matching, examples/grid_search) as users run
them: under mpiexec at 2 and 4 ranks, for the MPI library under test.

String matching: the serial, static and balanced versions agree with each
other, find exactly the planted near-duplicates in generated data (N*N times
as many with --repeat N), and find the trainings' 677 pairs on their data
(``lu.trainings_data()``: a folder named or present but incomplete fails,
only a machine without one skips).  The kernel is checked against the
definition of the ratio (a plain longest-common-subsequence reference)
including pairs exactly at the threshold.  Grid search --quick: both schedulers train every
combination and agree on every accuracy.
"""

import csv
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

SM = lu.ROOT / "examples" / "string_matching"
GS = lu.ROOT / "examples" / "grid_search"
OPENMPI = lu.launcher.flavor() == "openmpi"
TIMEOUT = 240 if OPENMPI else 420        # MPICH busy-polls on 2 shared cores

ROWS, PLANTED = 700, 25
GEN = ["--generate", "--rows", str(ROWS), "--planted", str(PLANTED), "--seed", "3",
       "--progress", "lines"]


def have_examples_requirements():
    job = lu.run([lu.python(), "-c", "import rapidfuzz, xgboost, sklearn, pandas"], timeout=120)
    return job.returncode == 0


pytestmark = pytest.mark.skipif(not have_examples_requirements(),
                                reason="tools/setup-examples.sh not run")


def parse(job):
    """(count, top-10 lines, pairs compared) from a string-matching run."""
    job.check_ok()
    text = job.stdout
    m = re.search(r"^pairs with ratio > 0\.8: (\d+)$", text, re.M)
    assert m, f"no count line\n{job}"
    top = re.findall(r"^ +\d+\. \d\.\d{4} .*$", text, re.M)
    pairs = int(re.search(r"^pairs compared: ([\d,]+)$", text, re.M).group(1).replace(",", ""))
    assert re.search(r"^time: [\d.]+ s  pairs/s: [\d,]+$", text, re.M), job
    return int(m.group(1)), top, pairs


def serial(*args, timeout=TIMEOUT):
    return lu.run([lu.python(), str(SM / "serial.py"), *args], timeout=timeout)


def parallel(version, n, *args, env=None):
    return lu.mpirun(n, [str(SM / f"{version}.py"), *args], timeout=TIMEOUT,
                     env=lu.job_env(env))


@pytest.fixture(scope="module")
def generated_serial():
    return parse(serial(*GEN))


def test_generated_serial_finds_planted(generated_serial):
    count, top, pairs = generated_serial
    assert count == PLANTED
    assert pairs == ROWS * ROWS
    assert len(top) == 10


@pytest.mark.parametrize("n", [2, 4])
@pytest.mark.parametrize("version", ["static", "balanced"])
def test_generated_parallel_agrees_with_serial(version, n, generated_serial):
    job = parallel(version, n, *GEN)
    assert parse(job) == generated_serial, job
    assert f"{n} rank(s)" in job.stdout
    if version == "balanced":
        assert "progress: 100%" in job.stderr, job


def test_generated_repeat_multiplies_by_n_squared():
    count, _, pairs = parse(parallel("balanced", 2, *GEN, "--repeat", "3"))
    assert count == PLANTED * 9
    assert pairs == (3 * ROWS) ** 2


def test_kernels_agree_on_generated(generated_serial):
    assert parse(serial(*GEN, "--kernel", "cdist")) == generated_serial


def test_threads_from_slurm_cpus_per_task():
    job = lu.run([lu.python(), str(SM / "serial.py"), *GEN],
                 env=lu.job_env({"SLURM_CPUS_PER_TASK": "2"}), timeout=TIMEOUT)
    job.check_ok()
    assert "1 rank(s) x 2 thread(s)" in job.stdout, job


@pytest.mark.parametrize("runner", ["serial", "serial-cdist", "static-2", "balanced-2",
                                    "static-4", "balanced-4"])
def test_trainings_data_677(runner):
    env = {"STRMATCH_DATA": lu.trainings_data()}
    if runner.startswith("serial"):
        extra = ["--kernel", "cdist"] if runner.endswith("cdist") else []
        job = lu.run([lu.python(), str(SM / "serial.py"), *extra],
                     env=lu.job_env(env), timeout=TIMEOUT)
    else:
        version, n = runner.split("-")
        job = parallel(version, int(n), env=env)
    count, top, pairs = parse(job)
    assert "the trainings' data" in job.stdout
    assert pairs == 1725 * 1725
    assert count == 677, job
    assert len(top) == 10


def test_ratio_definition_and_threshold():
    """The kernels count exactly the pairs with 2*LCS/(len a + len b) > 0.8,
    checked against a plain dynamic-programming LCS, with pairs built to sit
    exactly at 0.8 (which must not count) and just above it."""
    code = r'''
import random, sys
sys.path.insert(0, sys.argv[1])
import strmatch as sm

def lcs(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]

rng = random.Random(5)
left, right = [], []
for _ in range(150):
    a = "".join(rng.choice("abcde ") for _ in range(rng.randint(0, 30)))
    b = list(a)
    for _ in range(rng.randint(0, 6)):
        if b and rng.random() < 0.5:
            del b[rng.randrange(len(b))]
        else:
            b.insert(rng.randrange(len(b) + 1), rng.choice("abcdef"))
    left.append(a); right.append("".join(b))
# exactly 0.8: LCS 4 of 5 + 5; just above: LCS 9 of 10 + 11
left += ["abcde", "abcdefghij"]; right += ["abcdx", "abcdefghiXY"]
want = sum(1 for a in left for b in right
           if (1.0 if not a and not b else 2 * lcs(a, b) / (len(a) + len(b))) > 0.8)
for kernel in ("filtered", "cdist"):
    got = sm.Matcher(right, kernel=kernel, block_pairs=5000).match(left).count
    assert got == want, (kernel, got, want)
assert sm.Matcher(["abcdx"]).match(["abcde"]).count == 0
assert sm.Matcher(["abcdefghiXY"]).match(["abcdefghij"]).count == 1
print("ok", want)
'''
    job = lu.run([lu.python(), "-c", code, str(SM)], timeout=TIMEOUT)
    job.check_ok()
    assert job.stdout.startswith("ok "), job


def test_generator_lengths_and_planted_count():
    code = r'''
import statistics, sys
sys.path.insert(0, sys.argv[1])
import strmatch as sm
li, l, ri, r = sm.generate(rows=1725, planted=40, seed=9)
lengths = [len(s) for s in l + r]
print(min(lengths), max(lengths), statistics.median(lengths))
'''
    job = lu.run([lu.python(), "-c", code, str(SM)], timeout=TIMEOUT)
    job.check_ok()
    lo, hi, med = map(float, job.stdout.split())
    assert lo >= 35 and hi <= 232, job.stdout
    assert 105 <= med <= 130, job.stdout


def read_results(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("n", [2, 4])
def test_grid_search_quick_schedulers_agree(n, tmp_path):
    accuracy = {}
    for scheduler in ("static", "dynamic"):
        out = tmp_path / f"{scheduler}.csv"
        job = lu.mpirun(n, [str(GS / "grid_search.py"), "--quick", "--scheduler", scheduler,
                            "--out", str(out)], timeout=TIMEOUT + 120)
        job.check_ok()
        assert f"{n} rank(s)" in job.stdout and "best: combination=" in job.stdout, job
        rows = read_results(out)
        assert sorted(int(r["combination"]) for r in rows) == list(range(8)), rows
        assert {int(r["rank"]) for r in rows} <= set(range(n))
        for r in rows:
            assert 0.5 < float(r["accuracy"]) <= 1.0, r
        accuracy[scheduler] = {r["combination"]: r["accuracy"] for r in rows}
        best = max(rows, key=lambda r: (float(r["accuracy"]), -int(r["combination"])))
        assert f"best: combination={best['combination']}," in job.stdout, job
    # the same models on the same data: the scheduler changes nothing but who trains them
    assert accuracy["static"] == accuracy["dynamic"]
