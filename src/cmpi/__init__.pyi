import os
from typing import Any

from . import MPI as MPI
from ._collcheck import CollectiveMismatchError as CollectiveMismatchError
from .profile import profiling as profiling

__version__: str

class Rc:
    initialize: bool
    threads: bool
    thread_level: str
    finalize: bool | None
    abort_on_error: bool
    hang_timeout: float | None
    hang_abort: bool
    check_collectives: bool
    profile: bool
    trace: str | None
    yield_when_idle: bool | None

    fast_reduce: bool
    recv_mprobe: bool
    irecv_bufsz: int
    errors: str
    def __init__(self, **kwargs: Any) -> None: ...
    def __call__(self, **kwargs: Any) -> None: ...

rc: Rc

def install_as_mpi4py() -> None: ...
def get_include() -> str: ...
def get_config() -> dict[str, Any]: ...
def profile(name: str, *, path: str | os.PathLike[str] | list[str] | None = None, logfile: str | None = None) -> None: ...
