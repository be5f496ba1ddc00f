"""Datatype helpers written in Python, installed into ``cmpi.MPI``.

``_typealign(datatype)``
    The alignment in bytes of a predefined datatype (the C alignment of
    its type; for a value-index pair such as ``DOUBLE_INT``, that of the
    pair's C struct), following duplicates; None for other derived
    datatypes, whose alignment depends on how they are used.

``Datatype.Get_value_index(value, index)``
    The predefined value-index pair datatype of ``value`` and ``index``
    (``MPI_Type_get_value_index`` appeared in MPI 4.1; the libraries cmpi
    builds against may lack it): ``DATATYPE_NULL`` when there is none.

``_mpi4py_api.fill`` installs them when the compiled module lacks them.
"""

import ctypes

# C alignment of the types behind NumPy-style character codes.
_CTYPES = {
    "?": ctypes.c_bool,
    "c": ctypes.c_char,
    "S": ctypes.c_char,
    "U": ctypes.c_wchar,
    "b": ctypes.c_byte,
    "h": ctypes.c_short,
    "i": ctypes.c_int,
    "l": ctypes.c_long,
    "q": ctypes.c_longlong,
    "p": ctypes.c_ssize_t,
    "B": ctypes.c_ubyte,
    "H": ctypes.c_ushort,
    "I": ctypes.c_uint,
    "L": ctypes.c_ulong,
    "Q": ctypes.c_ulonglong,
    "P": ctypes.c_size_t,
    "f": ctypes.c_float,
    "d": ctypes.c_double,
    "g": ctypes.c_longdouble,
}
# a complex number aligns as its real part; half floats on 2 bytes
for _c, _r in (("F", "f"), ("D", "d"), ("G", "g")):
    _CTYPES[_c] = _CTYPES[_r]
del _c, _r


def char_alignment(char):
    """C alignment of a character code ('i', 'd', 'F' ...); None if unknown."""
    if char == "e":
        return 2
    ctype = _CTYPES.get(char)
    return None if ctype is None else ctypes.alignment(ctype)


# (pair datatype, value datatype, index datatype), by name
_PAIRS = (
    ("SHORT_INT", "SHORT", "INT"),
    ("INT_INT", "INT", "INT"),
    ("LONG_INT", "LONG", "INT"),
    ("FLOAT_INT", "FLOAT", "INT"),
    ("DOUBLE_INT", "DOUBLE", "INT"),
    ("LONG_DOUBLE_INT", "LONG_DOUBLE", "INT"),
    ("TWOINTEGER", "INTEGER", "INTEGER"),
    ("TWOREAL", "REAL", "REAL"),
    ("TWODOUBLE_PRECISION", "DOUBLE_PRECISION", "DOUBLE_PRECISION"),
)


def _valid(MPI, datatype):
    return datatype is not None and datatype != MPI.DATATYPE_NULL


_PAIR_CACHE = []


def _pair_table(MPI):
    """[(pair, value, index)] of the pair datatypes this MPI has (cached)."""
    if not _PAIR_CACHE:
        for names in _PAIRS:
            p, v, i = (getattr(MPI, n, None) for n in names)
            if _valid(MPI, p) and _valid(MPI, v) and _valid(MPI, i):
                _PAIR_CACHE.append((p, v, i))
        _PAIR_CACHE.append(None)  # computed, even if empty
    return _PAIR_CACHE[:-1]


def pair_parts(MPI, datatype):
    """``(value, index)`` datatypes of a predefined pair datatype, else None."""
    if datatype.typechar != "V":
        return None
    for p, v, i in _pair_table(MPI):
        if datatype == p:
            return v, i
    return None


def _base(MPI, datatype):
    while not datatype.is_named and datatype.combiner == MPI.COMBINER_DUP:
        datatype = datatype.decode()[0]
    return datatype


def _named_alignment(MPI, datatype):
    parts = pair_parts(MPI, datatype)
    if parts is not None:
        aligns = [_named_alignment(MPI, p) for p in parts]
        return None if None in aligns else max(aligns)
    return char_alignment(datatype.typechar)


def _typealign(datatype):
    """_typealign(datatype)

    Return the alignment of a predefined MPI datatype (None if unknown)."""
    from . import MPI

    datatype = _base(MPI, datatype)
    if not datatype.is_named:
        return None
    return _named_alignment(MPI, datatype)


def Get_value_index(value, index):
    """Get_value_index(value, index)

    Return a predefined pair datatype for the value and index datatypes
    (DATATYPE_NULL when there is none)."""
    from . import MPI

    for p, v, i in _pair_table(MPI):
        if value == v and index == i:
            return p
    return MPI.DATATYPE_NULL


def install(module):
    """Give ``module`` (cmpi.MPI) what it lacks of the above."""
    if not hasattr(module, "_typealign"):
        module._typealign = _typealign
    datatype = getattr(module, "Datatype", None)
    if datatype is not None and not hasattr(datatype, "Get_value_index"):
        try:
            datatype.Get_value_index = staticmethod(Get_value_index)
        except TypeError:
            pass
