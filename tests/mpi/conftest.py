"""Fixtures for the suite that runs under ``mpiexec -n N python -m pytest``.

Every rank runs pytest, so every rank must collect the same tests in the
same order and make the same collective calls.  Tests therefore adapt to the
communicator size instead of skipping on some ranks, and do their local
assertions after the communication is over.
"""

import faulthandler
import os
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mpiimpl import MPI  # noqa: E402

# The whole suite through the profile's wrappers (issue 19): "1" installs
# them, "trace" also counts and traces every call from the start, "sampled"
# counts them (the default profile's path: bytes go straight to the
# counters).
if os.environ.get("CMPI_PROFILE_INSTALL_FIRST") and hasattr(MPI, "_prof_install"):
    MPI._prof_install()
    if os.environ["CMPI_PROFILE_INSTALL_FIRST"] == "trace":
        MPI._prof_start(64)  # the ring test_profile_counts expects
    elif os.environ["CMPI_PROFILE_INSTALL_FIRST"] == "sampled":
        MPI._prof_start()

TIMEOUT = float(os.environ.get("CMPI_TEST_TIMEOUT") or 60)


def pytest_report_header(config):
    return f"MPI implementation under test: {MPI.__name__} ({MPI.Get_library_version().splitlines()[0].strip()})"


@pytest.fixture(autouse=True)
def _watchdog(request):
    """Kill this rank with exit status 124 when a test runs too long.

    Blocking MPI calls release the GIL, so the timer thread gets to run even
    when the main thread is stuck in a receive or a collective.
    """
    rank = MPI.COMM_WORLD.Get_rank()
    nodeid = request.node.nodeid
    capman = request.config.pluginmanager.getplugin("capturemanager")

    def expire():
        # pytest redirects fd 2 into a temporary file: give it back first,
        # otherwise the message would vanish with the process.
        try:
            if capman is not None:
                capman.suspend_global_capture(in_=False)
        except Exception:  # pragma: no cover - best effort only
            pass
        err = sys.__stderr__
        try:
            err.write(f"TIMEOUT: {nodeid} on rank {rank}\n")  # type: ignore[union-attr]
            err.flush()  # type: ignore[union-attr]
            faulthandler.dump_traceback(file=err, all_threads=True)  # type: ignore[arg-type]
            err.flush()  # type: ignore[union-attr]
        finally:
            os._exit(124)

    timer = threading.Timer(TIMEOUT, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


@pytest.fixture(params=["WORLD", "SELF", "DUP", "SPLIT"])
def comm(request):
    """COMM_WORLD, COMM_SELF, a Dup of world and a Split of world by rank % 2."""
    kind = request.param
    if kind == "WORLD":
        yield MPI.COMM_WORLD
    elif kind == "SELF":
        yield MPI.COMM_SELF
    else:
        world = MPI.COMM_WORLD
        if kind == "DUP":
            c = world.Dup()
        else:
            c = world.Split(world.Get_rank() % 2, world.Get_rank())
        try:
            yield c
        finally:
            c.Free()
