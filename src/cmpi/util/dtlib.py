"""Convert between NumPy dtypes and MPI datatypes (as ``mpi4py.util.dtlib``).

``from_numpy_dtype(dtype)`` builds a new MPI datatype (not committed; the
caller commits and frees it) that describes one item of ``dtype``: basic
types map to a duplicate of the matching predefined datatype, structured
dtypes to a struct resized to the dtype's itemsize (padding included),
subarray dtypes to a subarray of their base, strings to contiguous
characters.  ``to_numpy_dtype(datatype)`` goes the other way, for
predefined datatypes and for the derived ones NumPy can describe.
"""

import numpy as np

__all__ = ["from_numpy_dtype", "to_numpy_dtype"]


def _mpi():
    from .. import MPI

    return MPI


def _free_all(types):
    for t in types:
        if t and not t.is_predefined:
            t.Free()


def from_numpy_dtype(dtype):
    """Convert a NumPy datatype to a new MPI datatype."""
    MPI = _mpi()
    dtype = np.dtype(dtype)
    if dtype.fields:
        return _from_structured(MPI, dtype)
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        inner = from_numpy_dtype(base)
        try:
            if len(shape) == 0:
                return inner.Dup()
            if 0 in shape or len(shape) == 1:
                return inner.Create_contiguous(int(np.prod(shape)))
            return inner.Create_subarray(list(shape), list(shape), [0] * len(shape))
        finally:
            _free_all([inner])
    if not dtype.isnative and dtype.itemsize > 1:
        raise ValueError(f"NumPy datatype {dtype} has a non-native byte order")
    kind = dtype.kind
    if kind in "SUV":
        unit = {"S": MPI.CHAR, "U": MPI.WCHAR, "V": MPI.BYTE}[kind]
        count = dtype.itemsize // unit.Get_size()
        return unit.Dup() if count == 1 else unit.Create_contiguous(count)
    try:
        base = MPI.Datatype.fromcode(dtype.char)
    except ValueError:
        raise ValueError(f"cannot map NumPy datatype {dtype} to MPI") from None
    if base.Get_size() != dtype.itemsize:
        raise ValueError(f"cannot map NumPy datatype {dtype} to MPI")
    return base.Dup()


def _from_structured(MPI, dtype):
    fields = [dtype.fields[name] for name in dtype.names]
    types, displs = [], []
    try:
        for field in fields:
            types.append(from_numpy_dtype(field[0]))
            displs.append(int(field[1]))
        struct = MPI.Datatype.Create_struct([1] * len(types), displs, types)
    finally:
        _free_all(types)
    try:
        return struct.Create_resized(0, dtype.itemsize)
    finally:
        struct.Free()


def _pair_types(MPI):
    pairs = {}
    for name, first, second in [
        ("SHORT_INT", "h", "i"),
        ("INT_INT", "i", "i"),
        ("LONG_INT", "l", "i"),
        ("FLOAT_INT", "f", "i"),
        ("DOUBLE_INT", "d", "i"),
        ("LONG_DOUBLE_INT", "g", "i"),
        ("TWOINTEGER", "INTEGER", "INTEGER"),
        ("TWOREAL", "REAL", "REAL"),
        ("TWODOUBLE_PRECISION", "DOUBLE_PRECISION", "DOUBLE_PRECISION"),
    ]:
        dt = getattr(MPI, name, None)
        if dt is None or not dt:
            continue
        codes = []
        for part in (first, second):
            if len(part) > 1:
                part = getattr(MPI, part, None)
                if part is None or not part:
                    break
                part = part.typestr
            codes.append(part)
        else:
            pairs[dt] = np.dtype([("f0", codes[0]), ("f1", codes[1])], align=True)
    return pairs


def _named(MPI, datatype):
    char = datatype.typechar
    if char == "V":
        pair = _pair_types(MPI).get(datatype)
        if pair is None or pair.itemsize != datatype.Get_extent()[1]:
            raise ValueError(f"cannot convert MPI datatype {datatype} to NumPy")
        return pair
    return np.dtype(datatype.typestr)


def _record(names, formats, offsets, itemsize):
    """A structured dtype with explicit offsets, aligned when it can be."""
    spec = {"names": names, "formats": formats, "offsets": offsets, "itemsize": itemsize}
    try:
        return np.dtype(dict(spec, aligned=True))
    except ValueError:  # a packed layout
        return np.dtype(spec)


def _blocks(base, extent, blocklengths, displacements, itemsize):
    """A structured dtype: one field per block of `base` items."""
    names, formats, offsets = [], [], []
    for i, (bl, dp) in enumerate(zip(blocklengths, displacements)):
        names.append(f"f{i}")
        formats.append((base, (bl,)) if bl != 1 else base)
        offsets.append(dp * extent)
    lo = min(offsets) if offsets else 0
    if lo < 0:
        raise ValueError("cannot convert MPI datatype with negative displacements to NumPy")
    return _record(names, formats, offsets, itemsize)


def to_numpy_dtype(datatype):
    """Convert an MPI datatype to a NumPy datatype."""
    MPI = _mpi()
    if not datatype:
        raise ValueError("cannot convert DATATYPE_NULL to NumPy")
    basetype, combiner, params = datatype.decode()
    if combiner == "NAMED" or combiner.startswith("F90_"):
        return _named(MPI, datatype)
    lb, extent = datatype.Get_extent()
    if combiner == "DUP":
        return to_numpy_dtype(basetype)
    if combiner == "STRUCT":
        names, formats, offsets = [], [], []
        for i, (bl, dp, dt) in enumerate(
            zip(params["blocklengths"], params["displacements"], params["datatypes"])
        ):
            sub = to_numpy_dtype(dt)
            names.append(f"f{i}")
            formats.append((sub, (bl,)) if bl != 1 else sub)
            offsets.append(dp)
        if lb != 0 or (offsets and min(offsets) < 0):
            raise ValueError("cannot convert MPI struct datatype with a negative lower bound to NumPy")
        # Open MPI may report an extent short of the last field when a
        # field is itself resized; NumPy needs room for every field.
        end = max((o + np.dtype(f).itemsize for o, f in zip(offsets, formats)), default=0)
        return _record(names, formats, offsets, max(extent, end))
    base = to_numpy_dtype(basetype)
    bext = basetype.Get_extent()[1]
    if combiner == "CONTIGUOUS":
        return np.dtype((base, (params["count"],)))
    if combiner in ("VECTOR", "HVECTOR"):
        count, bl, stride = params["count"], params["blocklength"], params["stride"]
        step = stride * bext if combiner == "VECTOR" else stride
        return _blocks(base, 1, [bl] * count, [i * step for i in range(count)], extent)
    if combiner in ("INDEXED", "HINDEXED"):
        unit = bext if combiner == "INDEXED" else 1
        return _blocks(base, unit, params["blocklengths"], params["displacements"], extent)
    if combiner in ("INDEXED_BLOCK", "HINDEXED_BLOCK"):
        unit = bext if combiner == "INDEXED_BLOCK" else 1
        displs = params["displacements"]
        return _blocks(base, unit, [params["blocklength"]] * len(displs), displs, extent)
    if combiner == "SUBARRAY":
        sizes, subsizes, starts = params["sizes"], params["subsizes"], params["starts"]
        if sizes == subsizes and not any(starts):
            shape = sizes if params["order"] == MPI.ORDER_C else sizes[::-1]
            return np.dtype((base, tuple(shape)))
        raise ValueError("cannot convert a partial subarray MPI datatype to NumPy")
    if combiner == "RESIZED":
        if params["lb"] == 0 and extent >= datatype.true_ub and datatype.true_lb >= 0:
            if base.fields:
                names = list(base.names)
                return _record(
                    names,
                    [base.fields[n][0] for n in names],
                    [base.fields[n][1] for n in names],
                    extent,
                )
            return np.dtype({"names": ["f0"], "formats": [base], "offsets": [0], "itemsize": extent})
        raise ValueError("cannot convert a resized MPI datatype with a nonzero lower bound to NumPy")
    raise ValueError(f"cannot convert MPI datatype ({combiner}) to NumPy")
