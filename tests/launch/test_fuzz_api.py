"""The API-wide fuzzer (tests/fuzz/fuzz_api.py) for the configuration under
test: every public callable of cmpi.MPI with hostile values, at 1 rank and
at 2 ranks, 10,000 calls per MPI by default (``CMPI_FUZZ_SCALE``
multiplies them), with a fresh seed each run (printed;
``CMPI_FUZZ_SEED=N`` replays one).  A crash or an unexplained hang fails
the test, naming the call, its arguments, the MPI, the seed and the
command that replays it.

tests/run_suite.py runs tests/launch for Open MPI and MPICH; the
portability matrix runs only the launch files it names (Makefile
MATRIX_LAUNCH), so the fuzzer adds its ~1 minute per MPI to the main suite
only.  A self-check shows the driver fails on a planted crash and a
planted hang.
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

sys.path.insert(0, str(lu.TESTS / "fuzz"))
import fuzz_api  # noqa: E402

pytestmark = pytest.mark.skipif(lu.REFERENCE, reason="fuzzes cmpi's own API")

CONFIG = lu.launcher.config()
SEED = fuzz_api.fresh_seed()


@pytest.mark.parametrize("nranks", [1, 2])
def test_fuzz_api(nranks):
    lines = []

    def log(text):
        print(text)
        lines.append(text)

    print(f"cmpi API fuzzer: seed {SEED} (CMPI_FUZZ_SEED={SEED} replays it)")
    calls = fuzz_api.CALLS_PER_MPI // 2
    result = fuzz_api.fuzz(CONFIG, nranks, SEED, calls, log=log)
    figures = os.environ.get("CMPI_FUZZ_FIGURES")
    if figures:  # one line per run, for the README's figures
        with open(figures, "a") as f:
            f.write(result.summary().replace("\n", " ") + "\n")
    assert not result.failures, "\n".join(lines)
    # every call position ran (a job that died early resumes after its call)
    assert result.calls >= calls, result.summary()
    assert result.callables >= 500, result.summary()


def test_fuzzer_reports_planted_crash_and_hang(monkeypatch):
    """The driver's classification, on planted failures: a segfault in a
    call and a call that never returns (not a documented blocking one)
    each fail with the call named."""
    plant = lu.TESTS / "fuzz" / "fuzz_api_worker.py"
    assert plant.exists()
    monkeypatch.setenv("CMPI_FUZZ_PLANT", "crash:3,hang:7")
    monkeypatch.setenv("CMPI_FUZZ_HARD_LIMIT", "3")
    result = fuzz_api.fuzz(CONFIG, 1, 12345, 10, log=print)
    text = "\n".join(result.failures)
    assert "CRASH in call 3" in text and "planted crash" in text, text
    assert "HANG in call 7" in text and "planted hang" in text, text
    assert result.calls == 10, result.summary()


# -- what the fuzzer found, fixed: each runs in its own job with a timeout ------

CANCEL_TWICE = """\
from cmpi import MPI
comm = MPI.COMM_SELF.Dup()
req = comm.Irecv(bytearray(8), 0, 32000)
req.Cancel()
req.Cancel()      # Open MPI 4.1 segfaulted here (found by the fuzzer)
req.cancel()
assert req.Test()
req.Wait(status := MPI.Status())
assert status.Is_cancelled()
comm.Free()
print("<cancel twice: ok>")
"""


def test_cancel_twice_does_not_crash(tmp_path):
    script = tmp_path / "cancel_twice.py"
    script.write_text(CANCEL_TWICE)
    job = lu.mpirun_plain(1, [str(script)], timeout=60)
    job.check_ok()
    assert "<cancel twice: ok>" in job.out, job


HUGE_STATUS_COUNT = """\
from cmpi import MPI
s = MPI.Status()
for set_it in (lambda: setattr(s, "count", 2**63 - 1),
               lambda: s.Set_elements(MPI.INT, 2**62)):
    try:
        set_it()            # MPICH 4.0 aborted (an assertion) here
    except OverflowError as exc:
        print(f"<refused: {exc}>")
s.Set_elements(MPI.INT, 2**31)
assert s.Get_elements(MPI.INT) == 2**31
print("<huge status count: ok>")
"""


def test_huge_status_count_raises(tmp_path):
    script = tmp_path / "huge_count.py"
    script.write_text(HUGE_STATUS_COUNT)
    job = lu.mpirun_plain(1, [str(script)], timeout=60)
    job.check_ok()
    assert job.out.count("<refused:") == 2 and "<huge status count: ok>" in job.out, job
