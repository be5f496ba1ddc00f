"""cmpi.futures: run calls on a pool of MPI processes, mpi4py.futures' API.

``MPIPoolExecutor`` is a ``concurrent.futures.Executor``.  Its workers are
the other ranks of ``mpiexec -n N python -m cmpi.futures prog.py`` (rank 0
runs the program), or processes it spawns.  ``MPICommExecutor`` turns the
ranks of an existing communicator into a pool for its root.
``map(..., progress=True)`` shows a progress display.
"""

from concurrent.futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    BrokenExecutor,
    CancelledError,
    Executor,
    Future,
    InvalidStateError,
    TimeoutError,
    as_completed,
    wait,
)

from .pool import (
    MPICommExecutor,
    MPIPoolExecutor,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    get_comm_workers,
)
from .util import collect, compose

__all__ = [
    "Future",
    "Executor",
    "wait",
    "FIRST_COMPLETED",
    "FIRST_EXCEPTION",
    "ALL_COMPLETED",
    "as_completed",
    "CancelledError",
    "TimeoutError",
    "InvalidStateError",
    "BrokenExecutor",
    "MPIPoolExecutor",
    "MPICommExecutor",
    "ThreadPoolExecutor",
    "ProcessPoolExecutor",
    "get_comm_workers",
    "collect",
    "compose",
]
