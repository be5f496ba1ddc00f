"""Lowercase collectives of an object whose pickle is over 64 MiB, small
enough to run everywhere (test_bigmsg.py's 2.125 GiB runs need 16 GiB).

Such a pickle travels point to point beside the collective, as the first
of its object's out-of-band buffers, and buffers of 1 MiB or more are
received into reused huge-page memory that an ``MPI.buffer`` owns, not a
``bytearray``: the root of a gather (and the receivers of scatter and
alltoall) then read the stream from that buffer.  Reading it as a
bytearray crashed the process (exit 139) before the fix.
"""

import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402
from test_bigmsg import PROGRAM  # noqa: E402

NBYTES = 80_000_000  # a pickle above the 64 MiB in-band limit


@pytest.mark.parametrize("mode", ["gather_object", "scatter_object", "alltoall_object",
                                  "bcast_object", "send_object"])
def test_streamed_object(tmp_path, mode):
    script = tmp_path / "streamed.py"
    script.write_text(textwrap.dedent(PROGRAM))
    job = lu.mpirun(2, [str(script), mode, str(NBYTES)], timeout=120)
    job.check_ok()
    assert " OK" in job.out and "BAD" not in job.out, job
    assert f"RESULT rank 0 {mode} DONE" in job.out, job
