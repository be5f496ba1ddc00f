"""Convert between NumPy dtypes and MPI datatypes (as ``mpi4py.util.dtlib``).

``from_numpy_dtype(dtype)`` builds a new MPI datatype (not committed; the
caller commits and frees it) describing one item of ``dtype``: a basic
type maps to a duplicate of the matching predefined datatype, a
structured dtype to a struct (resized to the dtype's itemsize when
padding makes it longer), a subarray dtype to a contiguous or subarray
datatype of its base, a one-character string to ``CHAR``.

``to_numpy_dtype(datatype)`` goes the other way for predefined datatypes
(value-index pairs become aligned two-field structs) and the derived ones
NumPy can describe: contiguous, full subarrays, vectors, indexed and
struct datatypes (the last three as structured dtypes with a field per
block, aligned when the layout allows it).  When NumPy is missing it
returns the specification NumPy would be given: a type code, a
``(spec, shape)`` tuple, or a dict of names, formats, offsets, itemsize
and aligned.
"""

from .. import MPI
from .. import _typeinfo

try:
    from numpy import dtype as _np_dtype
except ImportError:  # pragma: no cover
    _np_dtype = None

__all__ = ["from_numpy_dtype", "to_numpy_dtype"]


def _free_all(types):
    for t in types:
        if t != MPI.DATATYPE_NULL and not t.is_predefined:
            t.Free()


# --- NumPy -> MPI ---------------------------------------------------------


def from_numpy_dtype(dtype):
    """Convert a NumPy datatype to a new MPI datatype."""
    if _np_dtype is None:
        raise RuntimeError("NumPy is not available")
    dtype = _np_dtype(dtype)
    if dtype.hasobject:
        raise ValueError(f"cannot map NumPy datatype {dtype} (Python objects) to MPI")
    if dtype.fields is not None:
        return _from_structured(dtype)
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        inner = from_numpy_dtype(base)
        try:
            if len(shape) == 1:
                return inner.Create_contiguous(shape[0])
            if 0 in shape:
                return inner.Create_contiguous(0)
            return inner.Create_subarray(list(shape), list(shape), [0] * len(shape))
        finally:
            _free_all([inner])
    if not dtype.isnative:
        raise ValueError(f"cannot map NumPy datatype {dtype} (non-native byte order) to MPI")
    if dtype.kind == "V":
        raise ValueError(f"cannot map NumPy datatype {dtype} (raw bytes) to MPI")
    if dtype.kind in "SU":
        unit = MPI.CHAR if dtype.kind == "S" else MPI.WCHAR
        count = dtype.itemsize // unit.Get_size()
        return unit.Dup() if count == 1 else unit.Create_contiguous(count)
    for code in (dtype.char, dtype.str[1:]):
        try:
            base = MPI.Datatype.fromcode(code)
        except ValueError:
            continue
        if base.Get_size() == dtype.itemsize:
            return base.Dup()
    raise ValueError(f"cannot map NumPy datatype {dtype} to MPI")


def _from_structured(dtype):
    types, displs = [], []
    try:
        for name in dtype.names:
            field = dtype.fields[name]
            types.append(from_numpy_dtype(field[0]))
            displs.append(field[1])
        struct = MPI.Datatype.Create_struct([1] * len(types), displs, types)
    finally:
        _free_all(types)
    lb, extent = struct.Get_extent()
    if lb == 0 and extent == dtype.itemsize:
        return struct
    try:
        return struct.Create_resized(0, dtype.itemsize)
    finally:
        struct.Free()


# --- MPI -> NumPy ---------------------------------------------------------


def to_numpy_dtype(datatype):
    """Convert an MPI datatype to a NumPy datatype."""
    spec = _spec(datatype)
    if _np_dtype is None:
        return spec
    return _np_dtype(spec)


def _spec_itemsize(spec):
    if _np_dtype is not None:
        return _np_dtype(spec).itemsize
    if isinstance(spec, dict):
        return spec["itemsize"]
    if isinstance(spec, tuple):
        n = 1
        for s in spec[1]:
            n *= s
        return _spec_itemsize(spec[0]) * n
    return MPI.Datatype.fromcode(spec).extent


def _spec_alignment(spec):
    if isinstance(spec, dict):
        if not spec.get("aligned"):
            return 1
        return max((_spec_alignment(f) for f in spec["formats"]), default=1)
    if isinstance(spec, tuple):
        return _spec_alignment(spec[0])
    try:
        return _typeinfo.char_alignment(MPI.Datatype.fromcode(spec).typechar) or 1
    except ValueError:
        return 1


def _record(names, formats, offsets, itemsize):
    """A structured spec with explicit offsets, aligned when it can be."""
    spec = {"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize}
    if _np_dtype is not None:
        try:
            _np_dtype(spec, align=True)
            aligned = True
        except ValueError:  # a packed layout
            aligned = False
    else:
        aligns = [_spec_alignment(f) for f in formats]
        aligned = all(o % a == 0 for o, a in zip(offsets, aligns)) and itemsize % max(aligns, default=1) == 0
    spec["aligned"] = aligned
    return spec


def _blocks(formats, offsets, datatype):
    """A structured spec of fields at byte offsets, sized as the datatype."""
    lb, extent = datatype.Get_extent()
    if lb < 0 or any(o < 0 for o in offsets):
        raise ValueError(f"cannot convert MPI datatype {datatype} (negative displacements) to NumPy")
    end = max((o + _spec_itemsize(f) for o, f in zip(offsets, formats)), default=0)
    names = [f"f{i}" for i in range(len(formats))]
    return _record(names, formats, offsets, max(extent, end))


def _block(spec, count):
    return spec if count == 1 else (spec, (count,))


def _named(datatype):
    parts = _typeinfo.pair_parts(MPI, datatype)
    if parts is not None:
        value, index = (_named(p) for p in parts)
        align = _typeinfo.char_alignment(parts[1].typechar) or 1
        size = parts[0].extent
        offset = (size + align - 1) // align * align
        return _record(["f0", "f1"], [value, index], [0, offset], datatype.extent)
    try:
        return datatype.tocode()
    except ValueError:
        pass
    typestr = datatype.typestr
    if not typestr or typestr.startswith("V"):
        raise ValueError(f"cannot convert MPI datatype {datatype} to NumPy")
    return typestr


def _spec(datatype):
    if not isinstance(datatype, MPI.Datatype):
        raise TypeError(f"expected an MPI.Datatype, not {type(datatype).__name__}")
    if datatype == MPI.DATATYPE_NULL:
        raise ValueError("cannot convert DATATYPE_NULL to NumPy")
    combiner = datatype.combiner
    if datatype.is_named or combiner in (
        MPI.COMBINER_F90_INTEGER,
        MPI.COMBINER_F90_REAL,
        MPI.COMBINER_F90_COMPLEX,
    ):
        return _named(datatype)
    basetype, _, params = datatype.decode()  # what decode() gives frees itself
    return _derived(datatype, combiner, basetype, params)


def _derived(datatype, combiner, basetype, params):
    if combiner == MPI.COMBINER_DUP:
        return _spec(basetype)
    if combiner == MPI.COMBINER_STRUCT:
        formats = [_block(_spec(t), n) for t, n in zip(params["datatypes"], params["blocklengths"])]
        return _blocks(formats, list(params["displacements"]), datatype)
    base = _spec(basetype)
    bext = basetype.extent
    if combiner == MPI.COMBINER_CONTIGUOUS:
        return (base, (params["count"],))
    if combiner in (MPI.COMBINER_VECTOR, MPI.COMBINER_HVECTOR):
        count, blen, stride = params["count"], params["blocklength"], params["stride"]
        if combiner == MPI.COMBINER_VECTOR:
            stride *= bext
        return _blocks([_block(base, blen)] * count, [i * stride for i in range(count)], datatype)
    if combiner in (MPI.COMBINER_INDEXED, MPI.COMBINER_HINDEXED):
        unit = bext if combiner == MPI.COMBINER_INDEXED else 1
        formats = [_block(base, n) for n in params["blocklengths"]]
        return _blocks(formats, [d * unit for d in params["displacements"]], datatype)
    if combiner in (MPI.COMBINER_INDEXED_BLOCK, MPI.COMBINER_HINDEXED_BLOCK):
        unit = bext if combiner == MPI.COMBINER_INDEXED_BLOCK else 1
        displs = params["displacements"]
        formats = [_block(base, params["blocklength"])] * len(displs)
        return _blocks(formats, [d * unit for d in displs], datatype)
    if combiner == MPI.COMBINER_SUBARRAY:
        sizes, subsizes, starts = params["sizes"], params["subsizes"], params["starts"]
        if list(sizes) != list(subsizes) or any(starts):
            raise ValueError(f"cannot convert MPI datatype {datatype} (a partial subarray) to NumPy")
        shape = tuple(sizes) if params["order"] == MPI.ORDER_C else tuple(sizes)[::-1]
        return (base, shape)
    if combiner == MPI.COMBINER_RESIZED:
        lb, extent = datatype.Get_extent()
        if lb == 0 and isinstance(base, dict):
            formats, offsets = base["formats"], base["offsets"]
            end = max((o + _spec_itemsize(f) for o, f in zip(offsets, formats)), default=0)
            if extent >= end:
                return _record(base["names"], formats, offsets, extent)
        if lb == 0 and extent == bext and basetype.lb == 0:
            return base
        raise ValueError(f"cannot convert MPI datatype {datatype} (resized) to NumPy")
    raise ValueError(f"cannot convert MPI datatype {datatype} to NumPy")
