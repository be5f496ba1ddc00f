"""fromhandle/fromint/f2py with garbage values (issue 16, item 7).

``MPI.Comm.fromhandle(3)`` crashed in the first MPI call made on the
handle (mpi4py too).  A raw handle is the caller's to vouch for, but what
is cheap to check is checked: 0, small, misaligned and unmapped pointers
(Open MPI), and MPICH integer handles whose bits name another kind of
object, raise ValueError; null and real handles, predefined or created,
still convert.  Run in a singleton subprocess with a timeout, so that a
regression fails this test instead of killing the suite.
"""

import sys
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

PROGRAM = r'''
from mpi4py import MPI

CLASSES = {MPI.Comm: MPI.COMM_NULL, MPI.Datatype: MPI.DATATYPE_NULL,
           MPI.Request: MPI.REQUEST_NULL, MPI.Message: MPI.MESSAGE_NULL,
           MPI.Group: MPI.GROUP_NULL, MPI.Info: MPI.INFO_NULL,
           MPI.Errhandler: MPI.ERRHANDLER_NULL, MPI.Op: MPI.OP_NULL,
           MPI.Win: MPI.WIN_NULL, MPI.File: MPI.FILE_NULL}
for cls, null in CLASSES.items():
    assert cls.fromhandle(null.handle) == null, cls
    for bad in (0, 1, 3, 8, 4095, 0x7FF000000000 + 8):
        if bad == null.handle:
            continue
        try:
            obj = cls.fromhandle(bad)
        except ValueError as e:
            assert "not a valid" in str(e), e
        else:
            raise SystemExit(f"BAD {cls.__name__}.fromhandle({bad}) -> {obj!r}")
# MPICH-family integer handles of another kind: Comm from a Datatype's
if MPI.Get_library_version().startswith("MPICH"):
    for cls, other in ((MPI.Comm, MPI.INT), (MPI.Datatype, MPI.COMM_WORLD),
                       (MPI.Request, MPI.SUM)):
        for conv, val in (("fromhandle", other.handle),
                          ("fromint", other.toint())):
            try:
                getattr(cls, conv)(val)
            except ValueError:
                pass
            else:
                raise SystemExit(f"BAD {cls.__name__}.{conv}({val})")
# created handles still convert
dup = MPI.COMM_WORLD.Dup()
vec = MPI.INT.Create_vector(2, 1, 2).Commit()
grp = MPI.COMM_WORLD.Get_group()
info = MPI.Info.Create()
req = MPI.COMM_SELF.Irecv(bytearray(1), 0, 5)
for obj in (dup, vec, grp, info, req, MPI.COMM_WORLD, MPI.INT, MPI.SUM):
    cls = type(obj)
    base = next(c for c in CLASSES if isinstance(obj, c))
    assert base.fromhandle(obj.handle) == obj, obj
    assert base.fromint(obj.toint()) == obj, obj
assert MPI.Comm.fromhandle(dup.handle).Get_size() == 1
MPI.COMM_SELF.Send(b"x", 0, 5)
req.Wait()
for obj in (dup, vec, grp, info):
    obj.Free()
print("FROMHANDLE OK", flush=True)
'''


def test_fromhandle_refuses_garbage(tmp_path):
    script = tmp_path / "fromhandle.py"
    script.write_text(textwrap.dedent(PROGRAM))
    job = lu.mpirun(None, [str(script)], timeout=60)
    job.check_ok()
    assert "FROMHANDLE OK" in job.out, job
