"""examples/parallel_io.py and examples/shared_memory.py run under
``python -m cmpi`` at 2 and 4 ranks and report correct results."""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

EXAMPLES = lu.ROOT / "examples"


@pytest.mark.parametrize("n", [2, 4])
def test_parallel_io(n, tmp_path):
    path = tmp_path / "out.dat"
    job = lu.mpirun(n, [str(EXAMPLES / "parallel_io.py"), "250", str(path)])
    job.check_ok()
    assert f"{n} ranks wrote {n * 250 * 8} bytes into out.dat: OK" in job.out, job
    assert "MISMATCH" not in job.out
    # The file is what the example says: the global array, in order.
    import numpy as np

    data = np.fromfile(path, dtype="f8")
    assert np.array_equal(data, np.arange(n * 250, dtype="f8"))


@pytest.mark.parametrize("n", [2, 4])
def test_parallel_io_temporary_file(n):
    job = lu.mpirun(n, [str(EXAMPLES / "parallel_io.py")])
    job.check_ok()
    m = re.search(r"into (parallel_io-\S+\.dat): OK", job.out)
    assert m, job
    assert not (Path("/tmp") / m.group(1)).exists(), "temporary file left behind"


@pytest.mark.parametrize("n", [2, 4])
def test_shared_memory(n):
    job = lu.mpirun(n, [str(EXAMPLES / "shared_memory.py"), "6"])
    job.check_ok()
    total = sum(r * 6 + 2.5 for r in range(n))
    for r in range(n):
        assert f"rank {r} of {n} sees the shared array: sum {total:.1f} OK" in job.out, job
    assert "MISMATCH" not in job.out
