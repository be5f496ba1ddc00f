# Type stub of cmpi._collcheck (the collective-consistency checker).
from cmpi import MPI

__all__ = ["CollectiveMismatchError", "enable", "enabled"]

class CollectiveMismatchError(MPI.Exception):
    message: str
    def __init__(self, message: str) -> None: ...

def enabled() -> bool: ...
def enable() -> None: ...
