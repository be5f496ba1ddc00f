"""Dynamic processes: Spawn / Spawn_multiple of Python children that use
cmpi, Get_parent, Disconnect; Open_port / Accept / Connect; and
ERRORS_ABORT ending a job.

MPICH 4.0.2 as packaged by Debian (ch4:ucx) cannot create processes or
open ports on this machine: MPI_Comm_spawn and MPI_Open_port fail inside
the library (the same in a C program).  There the tests check that cmpi
reports it as an MPI.Exception instead of hanging or crashing.
"""

import re
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

FLAVOR = lu.launcher.flavor()
# spawning is slow on Open MPI 4.1 (a new job per Spawn)
TIMEOUT = 180

CHILD = """\
import os, sys
from cmpi import MPI
parent = MPI.Comm.Get_parent()
assert isinstance(parent, MPI.Intercomm) and parent
size = parent.Get_remote_size()
n = parent.recv(source=0, tag=1)
world = MPI.COMM_WORLD
payload = "z" * 100000  # large: travels on the shadow communicator
parent.send((sys.argv[1:], world.rank, world.size, os.getcwd(), n, payload),
            dest=0, tag=2)
parent.Disconnect()
assert parent == MPI.COMM_NULL
"""

PARENT = """\
import sys
from cmpi import MPI
child = sys.argv[1]
info = MPI.Info.Create()
info.Set("wdir", sys.argv[2])
codes = []
ic = MPI.COMM_SELF.Spawn(sys.executable, args=[child, "a", "b"], maxprocs=2,
                         info=info, errcodes=codes)
info.Free()
assert isinstance(ic, MPI.Intercomm)
assert ic.Get_remote_size() == 2 and ic.Get_size() == 1, ic.Get_remote_size()
assert codes == [MPI.SUCCESS] * 2, codes
for r in range(2):
    ic.send(40 + r, dest=r, tag=1)
got = sorted(ic.recv(source=r, tag=2)[:5] for r in range(2))
ic.Disconnect()
print("SPAWN", got)
codes = []
ic = MPI.COMM_SELF.Spawn_multiple([sys.executable, sys.executable],
                                  args=[[child, "x"], [child, "y"]],
                                  maxprocs=[1, 1], errcodes=codes)
for r in range(2):
    ic.send(50 + r, dest=r, tag=1)
got = sorted(ic.recv(source=r, tag=2)[:5] for r in range(2))
ic.Disconnect()
print("MULTIPLE", repr((codes, got)))
assert MPI.Comm.Get_parent() == MPI.COMM_NULL
"""

ROOT_ONLY = """\
import pathlib, sys
from cmpi import MPI
world = MPI.COMM_WORLD
child = pathlib.Path(sys.argv[1])  # an os.PathLike argument
codes = []
if world.rank == 0:
    ic = world.Spawn(sys.executable, [child, "r"], 2, errcodes=codes)
else:  # command, args and maxprocs matter at the root only
    ic = world.Spawn(None, None, -1, errcodes=codes)
for r in range(2):
    if world.rank == 0:
        ic.send(60 + r, dest=r, tag=1)
got = sorted(ic.recv(source=r, tag=2)[:5] for r in range(2)) if world.rank == 0 else None
ic.Disconnect()
codes2 = []
if world.rank == 0:
    ic = world.Spawn_multiple([sys.executable] * 2, [[child, "m"], [child, "n"]],
                              1, MPI.INFO_NULL, errcodes=codes2)
else:
    ic = world.Spawn_multiple(None, None, -1, errcodes=codes2)
if world.rank == 0:
    for r in range(2):
        ic.send(70 + r, dest=r, tag=1)
    got2 = sorted(ic.recv(source=r, tag=2)[:5] for r in range(2))
ic.Disconnect()
if world.rank == 0:
    print(f"ROOT-ONLY {(codes, got, codes2, got2)!r} END")
else:
    print(f"OTHER {(codes, codes2)!r} END")
"""

PARENT_MPICH = """\
import sys
from cmpi import MPI
try:
    MPI.COMM_SELF.Spawn(sys.executable, args=["-c", "pass"], maxprocs=1)
except MPI.Exception as e:
    print("SPAWN-ERROR", e.Get_error_class() != MPI.SUCCESS)
try:
    MPI.Open_port()
except MPI.Exception as e:
    print("PORT-ERROR", e.Get_error_class() != MPI.SUCCESS)
"""

PORTS = """\
from cmpi import MPI
world = MPI.COMM_WORLD
assert world.size == 2
port = MPI.Open_port() if world.rank == 0 else None
port = world.bcast(port, root=0)
if world.rank == 0:
    ic = MPI.COMM_SELF.Accept(port)
else:
    ic = MPI.COMM_SELF.Connect(port)
assert ic.Is_inter() and ic.Get_remote_size() == 1
other = ic.sendrecv(("hi", world.rank, "p" * 80000), dest=0, source=0)
assert other[1] == 1 - world.rank and len(other[2]) == 80000
merged = ic.Merge(high=world.rank == 1)
assert merged.rank == world.rank and merged.allreduce(1) == 2
merged.Free()
ic.Disconnect()
if world.rank == 0:
    MPI.Close_port(port)
print(f"PORTS-OK {world.rank}")
"""

JOIN = """\
import socket
from cmpi import MPI
world = MPI.COMM_WORLD
if world.rank == 0:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    world.bcast(server.getsockname()[1], root=0)
    conn, _ = server.accept()
else:
    port = world.bcast(None, root=0)
    conn = socket.create_connection(("127.0.0.1", port))
ic = MPI.Comm.Join(conn.fileno())
assert isinstance(ic, MPI.Intercomm) and ic.Get_remote_size() == 1
other = ic.sendrecv(world.rank, dest=0, source=0)
ic.Disconnect()
conn.close()
print(f"JOIN-OK {world.rank} {other}")
"""

ABORT = """\
import time
from cmpi import MPI
world = MPI.COMM_WORLD
if world.rank == 1:
    world.Set_errhandler(MPI.ERRORS_ABORT)
    t = MPI.INT.Create_contiguous(2)  # never committed: MPI reports an error
    world.Send([bytearray(8), 1, t], dest=0)
    print("NOT-ABORTED", flush=True)
else:
    time.sleep(30)
"""


def write(tmp_path, name, code):
    p = tmp_path / name
    p.write_text(textwrap.dedent(code))
    return str(p)


@pytest.mark.skipif(FLAVOR != "openmpi", reason="Open MPI only (see module doc)")
def test_spawn_and_spawn_multiple(tmp_path):
    child = write(tmp_path, "child.py", CHILD)
    parent = write(tmp_path, "parent.py", PARENT)
    wdir = tmp_path / "wd"
    wdir.mkdir()
    job = lu.mpirun_plain(1, [parent, child, str(wdir)], timeout=TIMEOUT)
    assert job.returncode == 0 and not job.timed_out, job
    spawned = [line for line in job.stdout.splitlines() if line.startswith("SPAWN ")]
    assert spawned, job
    got = eval(spawned[0][len("SPAWN "):])
    assert got == [(["a", "b"], 0, 2, str(wdir), 40), (["a", "b"], 1, 2, str(wdir), 41)]
    multiple = [line for line in job.stdout.splitlines() if line.startswith("MULTIPLE ")]
    assert multiple, job
    codes, got = eval(multiple[0][len("MULTIPLE "):])
    assert codes == [[0], [0]]
    assert [g[0] for g in got] == [["x"], ["y"]]
    assert [(g[1], g[2]) for g in got] == [(0, 2), (1, 2)]  # one child world


@pytest.mark.skipif(FLAVOR != "openmpi", reason="Open MPI only (see module doc)")
def test_spawn_arguments_at_root_only(tmp_path):
    child = write(tmp_path, "child.py", CHILD)
    parent = write(tmp_path, "parent.py", ROOT_ONLY)
    job = lu.mpirun_plain(2, [parent, child], timeout=TIMEOUT)
    assert job.returncode == 0 and not job.timed_out, job
    # both ranks print: their lines may run together (launchutil.flat)
    out = lu.flat(job.stdout)
    root = re.findall(r"ROOT-ONLY (.*?) END", out)
    assert root, job
    codes, got, codes2, got2 = eval(root[0])
    assert codes == [0, 0] and codes2 == [[0], [0]]
    assert [g[0] for g in got] == [["r"], ["r"]] and [g[4] for g in got] == [60, 61]
    assert [g[0] for g in got2] == [["m"], ["n"]]
    # elsewhere maxprocs was -1: no error codes to report
    assert "OTHER ([], []) END" in out, job


@pytest.mark.skipif(FLAVOR != "openmpi", reason="Open MPI only (see module doc)")
def test_ports_accept_connect(tmp_path):
    prog = write(tmp_path, "ports.py", PORTS)
    job = lu.mpirun_plain(2, [prog], timeout=TIMEOUT)
    assert job.returncode == 0 and not job.timed_out, job
    assert sorted(re.findall(r"PORTS-OK (\d)", lu.flat(job.stdout))) == ["0", "1"], job


@pytest.mark.skipif(FLAVOR != "openmpi", reason="Open MPI only (see module doc)")
def test_join(tmp_path):
    prog = write(tmp_path, "join.py", JOIN)
    job = lu.mpirun_plain(2, [prog], timeout=TIMEOUT)
    assert job.returncode == 0 and not job.timed_out, job
    assert sorted(re.findall(r"JOIN-OK \d \d", lu.flat(job.stdout))) == ["JOIN-OK 0 1", "JOIN-OK 1 0"], job


@pytest.mark.skipif(FLAVOR != "mpich", reason="documents MPICH 4.0.2 here")
def test_mpich_reports_missing_dynamic_processes(tmp_path):
    prog = write(tmp_path, "parent.py", PARENT_MPICH)
    job = lu.mpirun_plain(1, [prog], timeout=TIMEOUT)
    assert job.returncode == 0 and not job.timed_out, job
    assert "SPAWN-ERROR True" in job.stdout and "PORT-ERROR True" in job.stdout


def test_errors_abort_ends_the_job(tmp_path):
    prog = write(tmp_path, "abort.py", ABORT)
    job = lu.mpirun_plain(2, [prog], timeout=60)
    assert not job.timed_out, job
    assert job.returncode != 0, job
    assert "NOT-ABORTED" not in job.stdout
    assert job.elapsed < 25, job
