"""Type aliases for annotating code that uses :mod:`cmpi.MPI` (as
:mod:`mpi4py.typing`): what a buffer is, what a message specification
may be, and the integer kinds MPI uses for sizes and offsets."""

from typing import Any, Dict, List, Protocol, Sequence, SupportsIndex, Tuple, TypeVar, Union

from .MPI import BottomType, Datatype, InPlaceType

__all__ = [
    "SupportsBuffer",
    "SupportsDLPack",
    "SupportsCAI",
    "Buffer",
    "Bottom",
    "InPlace",
    "Aint",
    "Count",
    "Displ",
    "Offset",
    "TypeSpec",
    "BufSpec",
    "BufSpecB",
    "BufSpecV",
    "BufSpecW",
    "TargetSpec",
]


class SupportsBuffer(Protocol):
    """An object exposing its memory through Python's buffer protocol."""

    def __buffer__(self, flags: int, /) -> memoryview: ...


class SupportsDLPack(Protocol):
    """An array exchanged through DLPack (``__dlpack__``)."""

    def __dlpack__(self, /, *, stream: Any = None) -> object: ...

    def __dlpack_device__(self) -> Tuple[int, int]: ...


class SupportsCAI(Protocol):
    """An array describing itself with ``__cuda_array_interface__``."""

    @property
    def __cuda_array_interface__(self) -> Dict[str, Any]: ...


#: Anything cmpi can send from or receive into.
Buffer = Union[SupportsBuffer, SupportsDLPack, SupportsCAI]
#: ``MPI.BOTTOM`` (absolute addresses), or None.
Bottom = Union[BottomType, None]
#: ``MPI.IN_PLACE``, or None.
InPlace = Union[InPlaceType, None]
#: An address-sized integer.
Aint = SupportsIndex
#: A count of elements.
Count = SupportsIndex
#: A displacement, in elements.
Displ = SupportsIndex
#: A file offset.
Offset = SupportsIndex
#: A datatype, or a NumPy/struct type code standing for one.
TypeSpec = Union[Datatype, str]
#: A buffer, optionally with a count and/or a datatype.
BufSpec = Union[
    Buffer,
    Tuple[Buffer, Count],
    Tuple[Buffer, TypeSpec],
    Tuple[Buffer, Count, TypeSpec],
    Tuple[Bottom, Count, Datatype],
    List[Any],
]
#: A buffer split in equal blocks, one per process.
BufSpecB = Union[
    Buffer,
    Tuple[Buffer, Count],
    Tuple[Buffer, TypeSpec],
    Tuple[Buffer, Count, TypeSpec],
    List[Any],
]
#: A buffer with per-process counts and displacements.
BufSpecV = Union[
    Buffer,
    Tuple[Buffer, Sequence[Count]],
    Tuple[Buffer, Tuple[Sequence[Count], Sequence[Displ]]],
    Tuple[Buffer, TypeSpec],
    Tuple[Buffer, Sequence[Count], TypeSpec],
    Tuple[Buffer, Tuple[Sequence[Count], Sequence[Displ]], TypeSpec],
    Tuple[Buffer, Sequence[Count], Sequence[Displ], TypeSpec],
    Tuple[Bottom, Tuple[Sequence[Count], Sequence[Displ]], Datatype],
    Tuple[Bottom, Sequence[Count], Sequence[Displ], Datatype],
    List[Any],
]
#: A buffer with per-process counts, displacements (bytes) and datatypes.
BufSpecW = Union[
    Tuple[Buffer, Sequence[Datatype]],
    Tuple[Buffer, Tuple[Sequence[Count], Sequence[Displ]], Sequence[Datatype]],
    Tuple[Buffer, Sequence[Count], Sequence[Displ], Sequence[Datatype]],
    Tuple[Bottom, Tuple[Sequence[Count], Sequence[Displ]], Sequence[Datatype]],
    Tuple[Bottom, Sequence[Count], Sequence[Displ], Sequence[Datatype]],
    List[Any],
]
#: Where a one-sided operation acts in the target's window.
TargetSpec = Union[
    Displ,
    Tuple[()],
    Tuple[Displ],
    Tuple[Displ, Count],
    Tuple[Displ, Count, Datatype],
    List[Any],
]

#: A type variable, used by cmpi.util.sync's annotations.
T = TypeVar("T")
S = TypeVar("S")
U = TypeVar("U")
V = TypeVar("V")
