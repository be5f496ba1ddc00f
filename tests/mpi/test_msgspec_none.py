"""None as a buffer in the message specs of the (neighborhood) collectives.

[None, count, ...] with a nonzero count once crashed the vector and ``w``
forms (MPI got a NULL address), and a bare None receive buffer made
Neighbor_allgatherv/alltoallv block forever at one rank.  Each case runs
in a singleton child process with a timeout, so a crash or a hang fails
the test instead of killing the suite.  Only rank 0 starts the child."""

import json
import os
import subprocess
import sys

import pytest

from mpiimpl import MPI

HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = r"""
import json, sys
import numpy as np
from mpiimpl import MPI
INT = MPI.INT
topo = MPI.COMM_SELF.Create_cart([1], periods=[True])  # 2 in, 2 out
W = MPI.COMM_SELF
a = np.zeros(3, "i")
a2 = np.zeros(2, "i")
sw = [np.zeros(2, "i"), [1, 1], [0, 4], [INT, INT]]
cases = {
    # [None, nonzero count, ...]: ValueError on every path
    "nb_allgatherv_none8": lambda: topo.Neighbor_allgatherv(a, [None, 8, INT]),
    "nb_allgatherv_none_cd": lambda: topo.Neighbor_allgatherv(
        a, [None, ([8, 8], [0, 8]), INT]),
    "inb_allgatherv_none8": lambda: topo.Ineighbor_allgatherv(
        a, [None, 8, INT]).Wait(),
    "nb_alltoallv_none8": lambda: topo.Neighbor_alltoallv(a2, [None, 8, INT]),
    "nb_alltoallv_send_none8": lambda: topo.Neighbor_alltoallv(
        [None, 8, INT], [np.zeros(16, "i"), 8, INT]),
    "nb_alltoallw_none": lambda: topo.Neighbor_alltoallw(
        sw, [None, [1, 1], [0, 4], [INT, INT]]),
    "inb_alltoallw_none": lambda: topo.Ineighbor_alltoallw(
        sw, [None, [1, 1], [0, 4], [INT, INT]]).Wait(),
    "nb_allgather_none8": lambda: topo.Neighbor_allgather(a, [None, 8, INT]),
    "allgatherv_none8": lambda: W.Allgatherv(a, [None, 8, INT]),
    "alltoallv_none8": lambda: W.Alltoallv(a, [None, 8, INT]),
    "gatherv_none8": lambda: W.Gatherv(a, [None, 8, INT], root=0),
    "scatterv_none8": lambda: W.Scatterv([None, 8, INT], a, root=0),
    "alltoallw_none": lambda: W.Alltoallw(
        [np.zeros(1, "i"), [1], [0], [INT]], [None, [1], [0], [INT]]),
    "allgather_none8": lambda: W.Allgather(a, [None, 8, INT]),
    # a bare None receive buffer where every rank receives: TypeError
    "nb_allgatherv_recv_none": lambda: topo.Neighbor_allgatherv(a, None),
    "nb_alltoallv_recv_none": lambda: topo.Neighbor_alltoallv(a2, None),
    "nb_allgather_recv_none": lambda: topo.Neighbor_allgather(a, None),
    "nb_alltoall_recv_none": lambda: topo.Neighbor_alltoall(a2, None),
    "nb_alltoallw_recv_none": lambda: topo.Neighbor_alltoallw(sw, None),
    "inb_allgatherv_recv_none": lambda: topo.Ineighbor_allgatherv(
        a, None).Wait(),
    "allgather_recv_none": lambda: W.Allgather(a, None),
    "allgatherv_recv_none": lambda: W.Allgatherv(a, None),
    "alltoall_recv_none": lambda: W.Alltoall(a, None),
    "alltoallv_recv_none": lambda: W.Alltoallv(a, None),
    "gather_root_recv_none": lambda: W.Gather(a, None, root=0),
    "gatherv_root_recv_none": lambda: W.Gatherv(a, None, root=0),
    "allreduce_recv_none": lambda: W.Allreduce(a, None),
    "reduce_root_recv_none": lambda: W.Reduce(a, None, root=0),
    "reduce_scatter_block_recv_none": lambda: W.Reduce_scatter_block(a, None),
    # None with zero counts stays an empty message
    "nb_allgatherv_none0": lambda: topo.Neighbor_allgatherv(
        [None, 0, INT], [None, 0, INT]),
    "nb_alltoallw_none0": lambda: topo.Neighbor_alltoallw(
        [None, [0, 0], [0, 0], [INT, INT]], [None, [0, 0], [0, 0], [INT, INT]]),
}
if hasattr(topo, "Neighbor_allgatherv_init"):
    def init():
        topo.Neighbor_allgatherv_init(a, [None, 8, INT]).Free()
    cases["nb_allgatherv_init_none8"] = init
    def init_none():
        topo.Neighbor_allgatherv_init(a, None).Free()
    cases["nb_allgatherv_init_recv_none"] = init_none
out = {}
for name, fn in cases.items():
    try:
        fn()
        out[name] = "ok"
    except NotImplementedError:
        out[name] = "NotImplementedError"
    except Exception as e:
        out[name] = type(e).__name__
    print(json.dumps([name, out[name]]), flush=True)
"""

EXPECT_VALUE = [
    "nb_allgatherv_none8", "nb_allgatherv_none_cd", "inb_allgatherv_none8",
    "nb_alltoallv_none8", "nb_alltoallv_send_none8", "nb_alltoallw_none",
    "inb_alltoallw_none", "nb_allgather_none8", "allgatherv_none8",
    "alltoallv_none8", "gatherv_none8", "scatterv_none8", "alltoallw_none",
    "allgather_none8", "nb_allgatherv_init_none8",
]
EXPECT_TYPE = [
    "nb_allgatherv_recv_none", "nb_alltoallv_recv_none",
    "nb_allgather_recv_none", "nb_alltoall_recv_none",
    "nb_alltoallw_recv_none", "inb_allgatherv_recv_none",
    "allgather_recv_none", "allgatherv_recv_none", "alltoall_recv_none",
    "alltoallv_recv_none", "gather_root_recv_none", "gatherv_root_recv_none",
    "allreduce_recv_none", "reduce_root_recv_none",
    "reduce_scatter_block_recv_none",
    "nb_allgatherv_init_recv_none",
]
EXPECT_OK = ["nb_allgatherv_none0", "nb_alltoallw_none0"]


def singleton_env():
    """The environment without the launcher's variables: the child is an
    MPI singleton of its own, not a rank of this job."""
    drop = ("OMPI_COMM_WORLD", "OMPI_MCA_ess", "OMPI_MCA_orte", "OMPI_MCA_pmix",
            "PMIX_", "PMI_", "HYDRA_", "MPIR_", "OMPI_FILE_LOCATION",
            "OMPI_UNIVERSE", "OMPI_APP", "OMPI_FIRST", "OMPI_NUM_APP",
            "OMPI_ARGV", "OMPI_MCA_initial", "OMPI_MCA_orte_", "MPI_LOCAL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="module")
def results():
    if MPI.COMM_WORLD.rank != 0:
        pytest.skip("the child runs on rank 0 only")
    try:
        p = subprocess.run([sys.executable, "-c", CHILD], env=singleton_env(),
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout
        pytest.fail(f"the child hung after: {out!r}")
    res = dict(json.loads(line) for line in p.stdout.splitlines()
               if line.startswith("["))
    res["__rc__"] = p.returncode
    res["__err__"] = p.stderr[-2000:]
    return res


def check(results, name, want):
    if name not in results:
        if name.endswith("_init_none8") or name.endswith("_init_recv_none"):
            pytest.skip("no persistent neighborhood collectives")
        pytest.fail(f"{name}: the child died (rc={results['__rc__']}) "
                    f"before reporting: {results['__err__']}")
    got = results[name]
    if got == "NotImplementedError" and "_init_" in name:
        pytest.skip("persistent neighborhood collectives not in this MPI")
    assert got == want, name


@pytest.mark.parametrize("name", EXPECT_VALUE)
def test_none_with_count_is_valueerror(results, name):
    check(results, name, "ValueError")


@pytest.mark.parametrize("name", EXPECT_TYPE)
def test_none_recvbuf_is_typeerror(results, name):
    check(results, name, "TypeError")


@pytest.mark.parametrize("name", EXPECT_OK)
def test_none_with_zero_counts_is_empty(results, name):
    check(results, name, "ok")
