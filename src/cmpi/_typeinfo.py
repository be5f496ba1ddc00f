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

``_typedict``, ``_typedict_c``, ``_typedict_f``, ``_typecode(datatype)``
    mpi4py's private type maps, which programs use to find the MPI
    datatype of a NumPy or ``array`` typecode (``MPI._typedict['d']``):
    typecode -> predefined datatype (all, C, Fortran), and a datatype's
    typecode or None.  Built from ``Datatype.fromcode``/``tocode`` and the
    Fortran datatypes, leaving out those the MPI library lacks.

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


# The keys of mpi4py's maps.  A code Datatype.fromcode does not read
# itself names the code it stands for.
_TYPEDICT_CODES = (
    "? b h i l q B H I L Q f d g Zf Zd F D Zg G i1 i2 i4 i8 f4 f8 f16 c8 "
    "c16 c32 b1 u1 u2 u4 u8 n N p P c a S S1 s U U1 u w M m"
).split()
_TYPEDICT_ALIASES = {"1s": "s", "1u": "u", "1w": "w", "M8": "M", "m8": "m"}
_TYPEDICT_C_CODES = (
    "? b h i l q B H I L Q f d g F D G b1 i1 i2 i4 i8 u1 u2 u4 u8 f4 c8 f8 "
    "c16 f16 c32"
).split()
_TYPEDICT_F_NAMES = {
    "l": "LOGICAL", "i": "INTEGER", "r": "REAL", "s": "REAL",
    "d": "DOUBLE_PRECISION", "c": "COMPLEX", "z": "DOUBLE_COMPLEX",
    "l1": "LOGICAL1", "l2": "LOGICAL2", "l4": "LOGICAL4", "l8": "LOGICAL8",
    "i1": "INTEGER1", "i2": "INTEGER2", "i4": "INTEGER4", "i8": "INTEGER8",
    "r4": "REAL4", "r8": "REAL8", "r16": "REAL16",
    "c8": "COMPLEX8", "c16": "COMPLEX16", "c32": "COMPLEX32",
}


def _typedicts(MPI):
    """(all, C, Fortran) typecode -> datatype maps, without the datatypes
    the MPI library lacks (DATATYPE_NULL or no such name)."""

    def fromcode(code):
        try:
            datatype = MPI.Datatype.fromcode(code)
        except (ValueError, KeyError, TypeError):
            return None
        return datatype if _valid(MPI, datatype) else None

    codes = _TYPEDICT_CODES + list(_TYPEDICT_ALIASES)
    every = {}
    for code in codes:
        datatype = fromcode(_TYPEDICT_ALIASES.get(code, code))
        if datatype is not None:
            every[code] = datatype
    c_only = {code: every[code] for code in _TYPEDICT_C_CODES if code in every}
    fortran = {}
    for code, name in _TYPEDICT_F_NAMES.items():
        datatype = getattr(MPI, name, None)
        if datatype is not None and _valid(MPI, datatype):
            fortran[code] = datatype
    return every, c_only, fortran


def _typecode(datatype):
    """_typecode(datatype)

    Return the typecode of a predefined MPI datatype, or of a duplicate of
    one (None if it has none)."""
    from . import MPI

    if not isinstance(datatype, MPI.Datatype):
        raise TypeError(
            f"datatype must be a Datatype, not {type(datatype).__name__}")
    try:
        return datatype.tocode()
    except (ValueError, KeyError, MPI.Exception):
        return None


def install(module):
    """Give ``module`` (cmpi.MPI) what it lacks of the above."""
    if not hasattr(module, "_typealign"):
        module._typealign = _typealign
    if not hasattr(module, "_typecode"):
        module._typecode = _typecode
    if not hasattr(module, "_typedict"):
        every, c_only, fortran = _typedicts(module)
        module._typedict = every
        module._typedict_c = c_only
        module._typedict_f = fortran
    datatype = getattr(module, "Datatype", None)
    if datatype is not None and not hasattr(datatype, "Get_value_index"):
        try:
            datatype.Get_value_index = staticmethod(Get_value_index)
        except TypeError:
            pass
