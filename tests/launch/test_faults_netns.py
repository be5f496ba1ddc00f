"""Fault tests across three simulated nodes.

The nodes are network namespaces joined by a bridge (tests/cluster/), the
job is launched through the ssh stand-in ``netns-rsh``: Open MPI's mpirun
with ``btl tcp,self`` (tests/cluster/mpirun-netns.sh), or MPICH's hydra
mpiexec (mpiexec-mpich-netns.sh).  Ranks: 2 on host 1, 1 each on hosts 2
and 3; faults are injected on host 3.  Needs root, ``ip`` and ``nsenter``.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import faultutil as fu  # noqa: E402
import launchutil as lu  # noqa: E402

FLAVOR = lu.launcher.flavor()
CLUSTER = lu.ROOT / "tests" / "cluster"
# A prefix of our own, so that other users of tests/cluster (and a run for
# the other MPI) keep their namespaces.
PREFIX = f"cf{os.getpid() % 100000}h"
SUBNET = "10.79.0"
HOSTS = [f"{PREFIX}{i}" for i in (1, 2, 3)]

pytestmark = [
    pytest.mark.skipif(lu.REFERENCE, reason="checks cmpi's own behaviour"),
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(not (shutil.which("ip") and shutil.which("nsenter")
                            and shutil.which("unshare")),
                       reason="needs iproute2 and util-linux"),
]


def cluster_env():
    env = lu.job_env({"NETNS_PREFIX": PREFIX, "NETNS_SUBNET": SUBNET})
    # TCP between the fake hosts, even between the ranks of one host
    env["OMPI_MCA_btl"] = "tcp,self"
    env.pop("OMPI_MCA_btl_tcp_if_include", None)
    return env


@pytest.fixture(scope="module")
def hosts():
    env = cluster_env()
    up = subprocess.run([str(CLUSTER / "netns-up.sh"), "3"], env=env,
                        capture_output=True, text=True, timeout=60)
    if up.returncode != 0:
        subprocess.run([str(CLUSTER / "netns-down.sh")], env=env, timeout=60)
        pytest.skip(f"netns-up.sh failed: {up.stdout}{up.stderr}")
    try:
        yield HOSTS
    finally:
        subprocess.run([str(CLUSTER / "netns-down.sh")], env=env,
                       capture_output=True, timeout=60)


@pytest.fixture
def workdir():
    # Every fake host has its own /tmp: programs live in /var/tmp.
    path = tempfile.mkdtemp(prefix="cmpi-netns-", dir="/var/tmp")
    try:
        yield Path(path)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def launch_cmd(args, n=4):
    spread = [f"{HOSTS[0]}:2", f"{HOSTS[1]}:1", f"{HOSTS[2]}:1"]
    if FLAVOR == "openmpi":
        return [str(CLUSTER / "mpirun-netns.sh"), "--host", ",".join(spread),
                "-n", str(n)] + list(args)
    return [str(CLUSTER / "mpiexec-mpich-netns.sh"), "-hosts", ",".join(spread),
            "-n", str(n)] + list(args)


def write(path, code):
    path.write_text(textwrap.dedent(code))
    return str(path)


def netns_pids(host):
    out = subprocess.run(["ip", "netns", "pids", host], capture_output=True,
                         text=True, timeout=10).stdout
    return [int(p) for p in out.split()]


READY = textwrap.dedent("""\
    import os, sys, time
    from cmpi import MPI
    comm = MPI.COMM_WORLD
    name = MPI.Get_processor_name()
    sys.stdout.write(f"<ready rank={comm.rank} pid={os.getpid()} host={name}>\\n")
    sys.stdout.flush()
""")

LOOP = READY + textwrap.dedent("""\
    while True:
        comm.allreduce(1)
        time.sleep(0.02)
""")


def start(workdir, code, args=(), env=None):
    script = write(workdir / "job.py", code)
    job = fu.BackgroundJob(launch_cmd([lu.python(), script, *args]),
                           env=env or cluster_env())
    found = job.wait_for(r"<ready rank=(\d+) pid=(\d+) host=(\w+)>", 4, timeout=90)
    return job, {int(r): (int(p), h) for r, p, h in found}


def test_ranks_spread_over_hosts(hosts, workdir):
    job, ranks = start(workdir, READY + "comm.barrier()\n")
    try:
        assert job.wait_exit(60) is not None, job
        assert job.proc.returncode == 0, job
        assert sorted(h for _, h in ranks.values()) == sorted(
            [hosts[0], hosts[0], hosts[1], hosts[2]]), job
    finally:
        job.kill()


def test_raise_inside_collective(hosts, workdir):
    script = write(workdir / "raise.py", """\
        import time
        from cmpi import MPI
        comm = MPI.COMM_WORLD
        comm.barrier()
        if comm.rank == 3:
            time.sleep(0.2)
            raise ValueError("boom on the third host")
        comm.allreduce(comm.rank)
        print(f"rank {comm.rank} passed the allreduce")
    """)
    job = lu.run(launch_cmd([lu.python(), script]), timeout=60, env=cluster_env())
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    assert "passed the allreduce" not in job.out, job
    assert "[rank 3] ValueError: boom on the third host" in job.err, job
    fu.record("netns-raise-in-collective", job.elapsed)
    assert job.elapsed < 10, f"took {job.elapsed:.1f} s (limit 10 s)\n{job}"


def test_sigkill_rank_on_host3(hosts, workdir):
    job, ranks = start(workdir, LOOP)
    try:
        pid, host = ranks[3]
        assert host == hosts[2]
        time.sleep(0.3)
        os.kill(pid, signal.SIGKILL)
        took = job.wait_exit(60)
        assert took is not None, f"job still running 60 s after SIGKILL\n{job}"
        assert job.proc.returncode != 0, job
        left = fu.wait_gone([p for p, _ in ranks.values()], 10)
        assert not left, f"ranks left running: {left}\n{job}"
        fu.record("netns-sigkill-rank", took)
        assert took < 30, f"took {took:.1f} s (limit 30 s)\n{job}"
    finally:
        job.kill([p for p, _ in ranks.values()])


def test_deadlock_reported_and_aborted(hosts, workdir):
    script = write(workdir / "deadlock.py", """\
        from cmpi import MPI
        comm = MPI.COMM_WORLD
        if comm.rank == 3:
            comm.recv(source=0, tag=11)
        else:
            comm.barrier()
    """)
    env = cluster_env()
    env.update(CMPI_HANG_TIMEOUT="2", CMPI_HANG_ABORT="1")
    job = lu.run(launch_cmd([lu.python(), script]), timeout=60, env=env)
    assert not job.timed_out, f"job hung\n{job}"
    assert job.returncode != 0, job
    assert "[rank 3] cmpi: still waiting after 2." in job.err, job
    assert "comm.recv(source=0, tag=11) on COMM_WORLD" in job.err, job
    assert "comm.Barrier() on COMM_WORLD" in job.err, job
    fu.record("netns-deadlock-hang-abort", job.elapsed)
    assert job.elapsed < 15, f"took {job.elapsed:.1f} s (limit 15 s)\n{job}"


def test_ctrl_c(hosts, workdir):
    job, ranks = start(workdir, LOOP)
    pids = [p for p, _ in ranks.values()]
    try:
        time.sleep(0.3)
        # what a terminal does: SIGINT to the launcher's process group
        os.killpg(job.proc.pid, signal.SIGINT)
        took = job.wait_exit(30)
        assert took is not None, f"job still running 30 s after Ctrl-C\n{job}"
        assert job.proc.returncode != 0, job
        left = fu.wait_gone(pids, 5)
        assert not left, f"ranks left running: {left}\n{job}"
        fu.record("netns-ctrl-c", took)
        assert took < 10, f"took {took:.1f} s (limit 10 s)\n{job}"
    finally:
        job.kill(pids)


def test_kill_whole_host(hosts, workdir):
    """Host 3 crashes: every process in its namespace (daemon and rank)
    is killed, so the kernel closes its connections."""
    job, ranks = start(workdir, LOOP)
    pids = [p for p, _ in ranks.values()]
    try:
        time.sleep(0.3)
        victims = netns_pids(hosts[2])
        assert ranks[3][0] in victims, victims
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        took = job.wait_exit(60)
        assert took is not None, f"job still running 60 s after host 3 died\n{job}"
        assert job.proc.returncode != 0, job
        left = fu.wait_gone(pids, 10)
        assert not left, f"ranks left running: {left}\n{job}"
        fu.record("netns-kill-host", took)
        assert took < 30, f"took {took:.1f} s (limit 30 s)\n{job}"
    finally:
        job.kill(pids)


@pytest.mark.skipif(FLAVOR != "openmpi",
                    reason="only Open MPI's OOB keepalives detect a silent link loss")
def test_cut_link_to_host(hosts, workdir):
    """Host 3's switch port goes down (silently: its processes live on).
    mpirun-netns.sh's keepalive settings end the job in about 11 s."""
    job, ranks = start(workdir, LOOP)
    pids = [p for p, _ in ranks.values()]
    port = f"p-{hosts[2]}"
    try:
        time.sleep(0.3)
        subprocess.run(["ip", "-n", f"{PREFIX}sw", "link", "set", port, "down"],
                       check=True, timeout=10)
        took = job.wait_exit(45)
        assert took is not None, f"job still running 45 s after the link was cut\n{job}"
        assert job.proc.returncode != 0, job
        fu.record("netns-cut-link", took)
        assert took < 30, f"took {took:.1f} s (limit 30 s)\n{job}"
    finally:
        subprocess.run(["ip", "-n", f"{PREFIX}sw", "link", "set", port, "up"],
                       timeout=10)
        # the ranks cut off on host 3 are still running: ours, by PID
        job.kill(pids + netns_pids(hosts[2]))
