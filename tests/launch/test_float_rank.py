"""A rank computed as a float, as unmodified mpi4py programs compute it
(``size / 2`` is a float in Python 3): ``Send``, ``send`` and
``bcast(root=...)`` take an integral float as mpi4py does (Cython converts
with ``__int__``), in a real job at 2 ranks under the MPI library under
test.  A fractional rank, which mpi4py truncates, is cmpi's ValueError
naming the argument and its value (README, differences from mpi4py).
"""

import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

PROGRAM = textwrap.dedent("""
    from mpi4py import MPI
    import numpy as np

    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    half = size / 2                      # 1.0 at 2 ranks: a float
    lines = []                           # printed by rank 0 only: no interleaving
    buf = np.zeros(4, dtype="i")
    if rank == 0:
        buf[:] = [1, 2, 3, 4]
        comm.Send(buf, half, 7.0)        # dest and tag as floats
        comm.send({"a": 1}, dest=half, tag=np.float64(3.0))
    elif rank == 1:
        comm.Recv(buf, source=half - 1, tag=7.0)
        obj = comm.recv(source=np.float64(0.0), tag=3.0)
        lines.append(f"recv {buf.tolist()} {obj}")
    got = comm.bcast(rank * 10 if rank == 1 else None, root=half)
    lines.append(f"rank {rank} bcast {got}")
    if MPI.__name__.startswith("cmpi"):
        for call in (lambda: comm.Send(buf, size / 4, 0),
                     lambda: comm.send(None, dest=0.5),
                     lambda: comm.bcast(None, root=half / 2)):
            try:
                call()
            except ValueError as exc:
                lines.append(f"rank {rank} ValueError: {exc}")
            else:
                lines.append(f"rank {rank} accepted a fractional rank")
    every = comm.gather(lines, root=0)
    if rank == 0:
        print("\\n".join(line for ls in every for line in ls), flush=True)
""")


def test_float_rank_send_bcast(tmp_path):
    prog = tmp_path / "float_rank.py"
    prog.write_text(PROGRAM)
    job = lu.mpirun(2, [str(prog)], timeout=120)
    assert job.returncode == 0, job
    out = job.stdout
    assert "recv [1, 2, 3, 4] {'a': 1}" in out, job
    assert "rank 0 bcast 10" in out and "rank 1 bcast 10" in out, job
    if not lu.REFERENCE:
        for r in (0, 1):
            assert f"rank {r} ValueError: dest=0.5 is not an integer" in out, job
            assert f"rank {r} ValueError: root=0.5 is not an integer" in out, job
        assert "accepted a fractional rank" not in out, job
