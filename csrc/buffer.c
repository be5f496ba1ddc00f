/*
 * buffer.c -- message specifications: turn what the user passed to an
 * uppercase call (a buffer, or [buf, datatype], [buf, count, datatype],
 * [buf, (count, displ), datatype], [buf, count, displ, datatype]) into an
 * address, a count and an MPI datatype.  This is the only place that
 * parses them.
 */
#include "cmpi.h"

/* Native struct-module format characters and the MPI type of each. */
static MPI_Datatype
native_format_datatype(const char *f)
{
    switch (f[0]) {
        case '1':
            /* one-character strings, NumPy's S1 ('1s') and U1 ('1w', UCS4:
             * MPI_WCHAR where wchar_t has 4 bytes), as mpi4py maps them */
            if (f[1] == 's' && f[2] == '\0') {
                return MPI_CHAR;
            }
            if (f[1] == 'w' && f[2] == '\0') {
                return MPI_WCHAR;
            }
            break;
        case '?': return MPI_C_BOOL;
        case 'c': return MPI_CHAR;
        case 'b': return MPI_SIGNED_CHAR;
        case 'B': return MPI_UNSIGNED_CHAR;
        case 'h': return MPI_SHORT;
        case 'H': return MPI_UNSIGNED_SHORT;
        case 'i': return MPI_INT;
        case 'I': return MPI_UNSIGNED;
        case 'l': return MPI_LONG;
        case 'L': return MPI_UNSIGNED_LONG;
        case 'q': return MPI_LONG_LONG;
        case 'Q': return MPI_UNSIGNED_LONG_LONG;
        case 'n': return MPI_AINT;
        case 'f': return MPI_FLOAT;
        case 'd': return MPI_DOUBLE;
        case 'g': return MPI_LONG_DOUBLE;
        case 'Z':
            switch (f[1]) {
                case 'f': return MPI_C_FLOAT_COMPLEX;
                case 'd': return MPI_C_DOUBLE_COMPLEX;
                case 'g': return MPI_C_LONG_DOUBLE_COMPLEX;
            }
            break;
    }
    return MPI_DATATYPE_NULL;
}

/* Standard-size formats ('<', '=', '!', '>' prefixes): by kind and size. */
static MPI_Datatype
sized_format_datatype(const char *f, Py_ssize_t itemsize)
{
    char kind = f[0];
    if (kind == 'Z') {
        if (f[1] == 'f' && itemsize == 8) {
            return MPI_C_FLOAT_COMPLEX;
        }
        if (f[1] == 'd' && itemsize == 16) {
            return MPI_C_DOUBLE_COMPLEX;
        }
        return MPI_DATATYPE_NULL;
    }
    if (kind && strchr("bhilqn", kind)) {
        switch (itemsize) {
            case 1: return MPI_INT8_T;
            case 2: return MPI_INT16_T;
            case 4: return MPI_INT32_T;
            case 8: return MPI_INT64_T;
        }
    }
    if (kind && strchr("BHILQN", kind)) {
        switch (itemsize) {
            case 1: return MPI_UINT8_T;
            case 2: return MPI_UINT16_T;
            case 4: return MPI_UINT32_T;
            case 8: return MPI_UINT64_T;
        }
    }
    if (kind == 'f' && itemsize == 4) {
        return MPI_FLOAT;
    }
    if (kind == 'd' && itemsize == 8) {
        return MPI_DOUBLE;
    }
    if (kind == '?' && itemsize == 1) {
        return MPI_C_BOOL;
    }
    if (kind == 'c' && itemsize == 1) {
        return MPI_CHAR;
    }
    return MPI_DATATYPE_NULL;
}

/* The MPI datatype that matches a buffer's format (MPI_BYTE if it has
 * none).  Raises TypeError for formats no MPI type matches. */
static int
cmpi_buffer_datatype(cmpi_state *Py_UNUSED(st), const Py_buffer *view,
                     MPI_Datatype *dt)
{
    const char *f = view->format;
    if (f == NULL || (f[0] == 'B' && f[1] == '\0')) {
        *dt = f == NULL ? MPI_BYTE : MPI_UNSIGNED_CHAR;
        return 0;
    }
    MPI_Datatype t = MPI_DATATYPE_NULL;
    const int little = (*(const char *)&(const int){1} == 1);
    switch (f[0]) {
        case '@': t = native_format_datatype(f + 1); break;
        case '=': t = sized_format_datatype(f + 1, view->itemsize); break;
        case '<':
            t = little ? sized_format_datatype(f + 1, view->itemsize)
                       : MPI_DATATYPE_NULL;
            break;
        case '>':
        case '!':
            t = little ? MPI_DATATYPE_NULL
                       : sized_format_datatype(f + 1, view->itemsize);
            break;
        default: t = native_format_datatype(f); break;
    }
    if (t != MPI_DATATYPE_NULL) {
        int size = 0;
        MPI_Type_size(t, &size);
        if (size == view->itemsize) {
            *dt = t;
            return 0;
        }
    }
    if ((f[0] == '<' && !little) || ((f[0] == '>' || f[0] == '!') && little)) {
        PyErr_Format(PyExc_BufferError,
                     "message: the buffer format '%s' is not in the native "
                     "byte order; pass the datatype explicitly, e.g. "
                     "[buf, MPI.INT]",
                     f);
        return -1;
    }
    PyErr_Format(PyExc_TypeError,
                 "message: no MPI datatype matches the buffer format '%s' "
                 "(item size %zd); pass the datatype explicitly, e.g. "
                 "[buf, MPI.BYTE]",
                 f, view->itemsize);
    return -1;
}

/* A Datatype object or a typecode string ('i', 'd', 'f8', ...). */
static int
cmpi_dtype_from_object(cmpi_state *st, PyObject *obj, MPI_Datatype *dt)
{
    if (CMPI_LIKELY(PyObject_TypeCheck(obj, st->Datatype_Type))) {
        *dt = ((DatatypeObject *)obj)->ob_mpi;
        return 0;
    }
    if (PyUnicode_Check(obj)) {
        PyObject *t = PyDict_GetItemWithError(st->typecodes, obj);
        if (t != NULL) {
            *dt = ((DatatypeObject *)t)->ob_mpi;
            return 0;
        }
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_KeyError,
                         "message: unknown typecode %R for a datatype", obj);
        }
        return -1;
    }
    PyErr_Format(PyExc_TypeError,
                 "message: expected a Datatype or a typecode string, got "
                 "%.100s",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

/* A datatype argument outside a message spec (Status.Get_count,
 * File.Set_view, Datatype.Create_struct...): a Datatype, as mpi4py takes
 * it; typecode strings and None are TypeError there as in mpi4py. */
static int
cmpi_dtype_arg(cmpi_state *st, PyObject *obj, MPI_Datatype *dt,
               const char *what)
{
    if (CMPI_LIKELY(PyObject_TypeCheck(obj, st->Datatype_Type))) {
        *dt = ((DatatypeObject *)obj)->ob_mpi;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "%s must be a Datatype, not %.100s", what,
                 Py_TYPE(obj)->tp_name);
    return -1;
}

/* The same, for data to move: the datatype must be committed (checked
 * once per object, see CMPI_DT_UNVERIFIED).  Typecodes name predefined
 * types. */
static int
cmpi_dtype_for_data(cmpi_state *st, PyObject *obj, MPI_Datatype *dt)
{
    if (CMPI_LIKELY(PyObject_TypeCheck(obj, st->Datatype_Type))) {
        DatatypeObject *d = (DatatypeObject *)obj;
        if (CMPI_UNLIKELY(d->flags & CMPI_DT_UNVERIFIED) &&
            d->ob_mpi != MPI_DATATYPE_NULL) {
            if (cmpi_datatype_check_committed(st, d->ob_mpi,
                                              "message: the datatype") < 0) {
                return -1;
            }
            d->flags &= ~CMPI_DT_UNVERIFIED;
        }
        *dt = d->ob_mpi;
        return 0;
    }
    return cmpi_dtype_from_object(st, obj, dt);
}

/* Read a predefined datatype's facts into its object.  NULL when MPI
 * refuses one of the queries: the caller then asks MPI itself, and
 * raises what MPI says. */
static CMPI_NOINLINE const cmpi_type_facts *
msg_type_facts_read(DatatypeObject *d)
{
    cmpi_type_facts f;
    MPI_Aint lb;
    f.handle = d->ob_mpi;
    if (f.handle == MPI_DATATYPE_NULL ||
        MPI_Type_size(f.handle, &f.size) != MPI_SUCCESS ||
        MPI_Type_get_extent(f.handle, &lb, &f.extent) != MPI_SUCCESS ||
        MPI_Type_get_true_extent(f.handle, &f.true_lb, &f.true_extent) !=
                MPI_SUCCESS) {
        return NULL;
    }
    d->facts = f;
    d->flags |= CMPI_DT_FACTS;
    return &d->facts;
}

/* The facts of the datatype `dt` that a message names by `otype`, when
 * otype is the object of a predefined datatype; else NULL, and the
 * message asks MPI (a derived datatype's handle may be freed and then
 * reused by another one, so nothing is kept of it). */
static inline const cmpi_type_facts *
msg_type_facts(cmpi_state *st, PyObject *otype, MPI_Datatype dt)
{
    if (otype == NULL || !PyObject_TypeCheck(otype, st->Datatype_Type)) {
        return NULL;
    }
    DatatypeObject *d = (DatatypeObject *)otype;
    if (CMPI_LIKELY(d->flags & CMPI_DT_FACTS)) {
        return d->facts.handle == dt ? &d->facts : NULL;
    }
    if (!(d->flags & CMPI_CONST) || d->ob_mpi != dt) {
        return NULL;
    }
    return msg_type_facts_read(d);
}

/* ------------------------------------------------------------------ */
/* Arrays that do not export the buffer protocol but describe their memory
 * with DLPack (__dlpack__) or the CUDA array interface
 * (__cuda_array_interface__), as mpi4py accepts: their memory becomes a
 * Py_buffer whose owner keeps it alive.  Like mpi4py, cmpi hands the
 * address to MPI whatever the device; device memory needs an MPI library
 * built to accept it. */

/* The DLPack ABI (dlpack.h, versions 0.x and 1.x). */
typedef struct {
    int32_t device_type, device_id;
} cmpi_DLDevice;
typedef struct {
    uint8_t code, bits;
    uint16_t lanes;
} cmpi_DLDataType;
typedef struct {
    void *data;
    cmpi_DLDevice device;
    int32_t ndim;
    cmpi_DLDataType dtype;
    int64_t *shape, *strides;
    uint64_t byte_offset;
} cmpi_DLTensor;
typedef struct cmpi_DLManagedTensor {
    cmpi_DLTensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct cmpi_DLManagedTensor *);
} cmpi_DLManagedTensor;
typedef struct cmpi_DLManagedTensorVersioned {
    uint32_t major, minor;
    void *manager_ctx;
    void (*deleter)(struct cmpi_DLManagedTensorVersioned *);
    uint64_t flags;
    cmpi_DLTensor dl_tensor;
} cmpi_DLManagedTensorVersioned;
#define CMPI_DL_READ_ONLY ((uint64_t)1)

/* The struct format of a DLPack or array-interface element type: kind 'i'
 * (signed), 'u' (unsigned), 'f' (real), 'c' (complex), 'b' (bool). */
static const char *
element_format(char kind, Py_ssize_t size)
{
    switch (kind) {
        case 'i':
            return size == 1   ? "b"
                   : size == 2 ? "h"
                   : size == 4 ? "i"
                   : size == 8 ? "q"
                               : NULL;
        case 'u':
            return size == 1   ? "B"
                   : size == 2 ? "H"
                   : size == 4 ? "I"
                   : size == 8 ? "Q"
                               : NULL;
        case 'f':
            return size == 4                                 ? "f"
                   : size == 8                               ? "d"
                   : size == (Py_ssize_t)sizeof(long double) ? "g"
                                                             : NULL;
        case 'c':
            if (size == 2 * (Py_ssize_t)sizeof(long double)) {
                return "Zg";
            }
            return size == 8 ? "Zf" : size == 16 ? "Zd" : NULL;
        case 'b': return size == 1 ? "?" : NULL;
    }
    return NULL;
}

/* Whether shape/strides (in elements) describe C- or Fortran-contiguous
 * memory; len receives the element count. */
static int
dense_layout(int ndim, const int64_t *shape, const int64_t *strides,
             Py_ssize_t *len)
{
    Py_ssize_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0) {
            return 0;
        }
        n *= (Py_ssize_t)shape[i];
    }
    *len = n;
    if (strides == NULL || n == 0) {
        return 1;
    }
    int64_t expect = 1;
    int c = 1, f = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        if (shape[i] != 1 && strides[i] != expect) {
            c = 0;
        }
        expect *= shape[i];
    }
    expect = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] != 1 && strides[i] != expect) {
            f = 0;
        }
        expect *= shape[i];
    }
    return c || f;
}

static int
fill_foreign_view(Py_buffer *view, PyObject *owner, void *addr,
                  Py_ssize_t nitems, Py_ssize_t itemsize, const char *format,
                  int readonly, int flags, const char *what)
{
    if (readonly && (flags & PyBUF_WRITABLE)) {
        PyErr_Format(PyExc_BufferError, "%s: buffer is not writable", what);
        return -1;
    }
    if (PyBuffer_FillInfo(view, owner, addr, nitems * itemsize, readonly,
                          PyBUF_SIMPLE | (flags & PyBUF_WRITABLE)) < 0) {
        return -1;
    }
    view->format = (char *)format;
    view->itemsize = itemsize;
    return 0;
}

static int
dlpack_view(PyObject *obj, Py_buffer *view, int flags, int *device)
{
    PyObject *dev = PyObject_CallMethod(obj, "__dlpack_device__", NULL);
    if (dev == NULL) {
        return -1;
    }
    long devtype = 0;
    if (!PyTuple_Check(dev) || PyTuple_GET_SIZE(dev) != 2 ||
        !PyLong_Check(PyTuple_GET_ITEM(dev, 0)) ||
        !PyLong_Check(PyTuple_GET_ITEM(dev, 1)) ||
        ((devtype = PyLong_AsLong(PyTuple_GET_ITEM(dev, 0))) == -1 &&
         PyErr_Occurred())) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyTuple_Check(dev) && PyTuple_GET_SIZE(dev) != 2
                                    ? PyExc_ValueError
                                    : PyExc_TypeError,
                            "dlpack: __dlpack_device__() must return a "
                            "(device_type, device_id) tuple");
        }
        Py_DECREF(dev);
        return -1;
    }
    Py_DECREF(dev);
    *device = !(devtype == 1 || devtype == 3 || devtype == 11);
    /* stream: None for host memory (kDLCPU=1, kDLCUDAHost=3,
     * kDLROCMHost=11), -1 (no synchronization) for device memory. */
    PyObject *stream = (devtype == 1 || devtype == 3 || devtype == 11)
                               ? Py_None
                               : PyLong_FromLong(-1);
    if (stream == NULL) {
        return -1;
    }
    PyObject *meth = PyObject_GetAttrString(obj, "__dlpack__");
    PyObject *cap = NULL, *args = NULL, *kw = NULL;
    if (meth == NULL) {
        goto done;
    }
    args = PyTuple_New(0);
    kw = Py_BuildValue("{s:O,s:(ii)}", "stream", stream, "max_version", 1, 0);
    if (args == NULL || kw == NULL) {
        goto done;
    }
    cap = PyObject_Call(meth, args, kw);
    if (cap == NULL && PyErr_ExceptionMatches(PyExc_TypeError)) {
        /* A producer of DLPack before 1.0: no max_version. */
        PyErr_Clear();
        if (PyDict_DelItemString(kw, "max_version") == 0) {
            cap = PyObject_Call(meth, args, kw);
        }
    }
done:
    Py_XDECREF(meth);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    if (stream != Py_None) {
        Py_DECREF(stream);
    }
    if (cap == NULL) {
        return -1;
    }
    if (!PyCapsule_CheckExact(cap)) {
        PyErr_SetString(PyExc_BufferError,
                        "dlpack: __dlpack__() did not return a capsule");
        Py_DECREF(cap);
        return -1;
    }
    const char *name = PyCapsule_GetName(cap);
    int versioned = name != NULL && strcmp(name, "dltensor_versioned") == 0;
    if (name == NULL || (!versioned && strcmp(name, "dltensor") != 0)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_BufferError,
                        "dlpack: expected a 'dltensor' capsule (already "
                        "consumed?)");
        Py_DECREF(cap);
        return -1;
    }
    void *p = PyCapsule_GetPointer(cap, name);
    if (p == NULL) {
        Py_DECREF(cap);
        return -1;
    }
    cmpi_DLTensor *t;
    int readonly = 0;
    if (versioned) {
        cmpi_DLManagedTensorVersioned *mt = p;
        if (mt->major != 1) {
            Py_DECREF(cap);
            PyErr_Format(PyExc_BufferError,
                         "dlpack: unsupported DLPack version %u.%u",
                         (unsigned)mt->major, (unsigned)mt->minor);
            return -1;
        }
        t = &mt->dl_tensor;
        readonly = (mt->flags & CMPI_DL_READ_ONLY) != 0;
    }
    else {
        t = &((cmpi_DLManagedTensor *)p)->dl_tensor;
    }
    /* The tensor is only read here, never consumed: the capsule goes at
     * the end (its destructor calls the producer's deleter), and the
     * view holds the array itself, which owns the memory. */
    PyObject *owner = obj;
    /* An element is `lanes` values of `bits` bits; two real lanes are a
     * complex number, other vectors travel as bytes. */
    Py_ssize_t itemsize = (Py_ssize_t)t->dtype.bits * t->dtype.lanes / 8;
    Py_ssize_t nitems = 0;
    char kind = 0;
    switch (t->dtype.code) {
        case 0: kind = 'i'; break;
        case 1: kind = 'u'; break;
        case 2: kind = t->dtype.lanes == 2 ? 'c' : 'f'; break;
        case 5: kind = 'c'; break;
        case 6: kind = 'b'; break;
    }
    if (t->dtype.lanes != 1 && !(t->dtype.code == 2 && t->dtype.lanes == 2)) {
        kind = 0;
    }
    const char *format = element_format(kind, itemsize);
    int rc = -1;
    if (t->dtype.bits % 8 != 0 || itemsize == 0) {
        PyErr_Format(PyExc_BufferError,
                     "dlpack: unsupported data type (code %d, %d bits, %d "
                     "lanes)",
                     t->dtype.code, t->dtype.bits, t->dtype.lanes);
    }
    else if (t->ndim < 0 || (t->ndim > 0 && t->shape == NULL) ||
             !dense_layout(t->ndim, t->shape, t->strides, &nitems)) {
        PyErr_SetString(PyExc_BufferError, "dlpack: buffer is not contiguous");
    }
    else {
        rc = fill_foreign_view(view, owner, (char *)t->data + t->byte_offset,
                               nitems, itemsize, format ? format : "B",
                               readonly, flags, "dlpack");
        if (rc == 0 && format == NULL) {
            view->format = NULL; /* bytes: the caller's datatype decides */
        }
    }
    Py_DECREF(cap);
    return rc;
}

static int
cai_view(PyObject *obj, Py_buffer *view, int flags, int *device)
{
    *device = 1;
    PyObject *cai = PyObject_GetAttrString(obj, "__cuda_array_interface__");
    if (cai == NULL) {
        return -1;
    }
    int rc = -1;
    if (!PyDict_Check(cai)) {
        PyErr_SetString(PyExc_TypeError,
                        "__cuda_array_interface__ must be a dict");
        goto done;
    }
    PyObject *data = PyDict_GetItemString(cai, "data");
    PyObject *shape = PyDict_GetItemString(cai, "shape");
    PyObject *typestr = PyDict_GetItemString(cai, "typestr");
    PyObject *strides = PyDict_GetItemString(cai, "strides");
    PyObject *mask = PyDict_GetItemString(cai, "mask");
    if (data == NULL || shape == NULL || typestr == NULL) {
        PyErr_SetString(PyExc_KeyError,
                        data == NULL ? "__cuda_array_interface__: 'data'"
                        : shape == NULL
                                ? "__cuda_array_interface__: 'shape'"
                                : "__cuda_array_interface__: 'typestr'");
        goto done;
    }
    if (!PyTuple_Check(data) || !PyTuple_Check(shape) ||
        !PyUnicode_Check(typestr)) {
        PyErr_SetString(PyExc_TypeError,
                        "__cuda_array_interface__: expected 'data' (ptr, "
                        "readonly), 'shape' tuple and 'typestr'");
        goto done;
    }
    if (PyTuple_GET_SIZE(data) != 2) {
        PyErr_SetString(PyExc_ValueError,
                        "__cuda_array_interface__: 'data' must be a pair "
                        "(ptr, readonly)");
        goto done;
    }
    if (mask != NULL && mask != Py_None) {
        PyErr_SetString(PyExc_BufferError,
                        "__cuda_array_interface__: masked arrays are not "
                        "supported");
        goto done;
    }
    const char *ts = PyUnicode_AsUTF8(typestr);
    if (ts == NULL) {
        goto done;
    }
    const int little = (*(const char *)&(const int){1} == 1);
    if (strlen(ts) < 3 || (ts[0] == '<' && !little) ||
        (ts[0] == '>' && little) || !strchr("<>|", ts[0])) {
        PyErr_Format(PyExc_BufferError,
                     "__cuda_array_interface__: unsupported typestr '%s'", ts);
        goto done;
    }
    char *end = NULL;
    long isz = strtol(ts + 2, &end, 10);
    if (end == ts + 2 || *end != '\0' || isz <= 0) {
        PyErr_Format(PyExc_ValueError,
                     "__cuda_array_interface__: bad item size in typestr "
                     "'%s'",
                     ts);
        goto done;
    }
    Py_ssize_t itemsize = (Py_ssize_t)isz;
    const char *format = element_format(ts[1], itemsize);
    PyObject *descr = PyDict_GetItemString(cai, "descr");
    if (descr != NULL && descr != Py_None) {
        if (!PyList_Check(descr)) {
            PyErr_SetString(PyExc_TypeError,
                            "__cuda_array_interface__: 'descr' must be a "
                            "list");
            goto done;
        }
        /* a record type: its data travels as bytes */
        int plain = PyList_GET_SIZE(descr) == 1;
        if (plain) {
            PyObject *f = PyList_GET_ITEM(descr, 0);
            plain = PyTuple_Check(f) && PyTuple_GET_SIZE(f) == 2 &&
                    PyObject_RichCompareBool(PyTuple_GET_ITEM(f, 1), typestr,
                                             Py_EQ) == 1;
            if (PyErr_Occurred()) {
                goto done;
            }
        }
        if (!plain &&
            PyErr_WarnEx(PyExc_RuntimeWarning,
                         "__cuda_array_interface__: 'descr' describes a "
                         "record type; its data is sent as bytes",
                         1) < 0) {
            goto done;
        }
        if (!plain) {
            format = NULL;
        }
    }
    void *addr = PyLong_AsVoidPtr(PyTuple_GET_ITEM(data, 0));
    if (addr == NULL && PyErr_Occurred()) {
        goto done;
    }
    int readonly = PyObject_IsTrue(PyTuple_GET_ITEM(data, 1));
    if (readonly < 0) {
        goto done;
    }
    int ndim = (int)PyTuple_GET_SIZE(shape);
    int64_t dims[64], steps[64];
    if (ndim > 64) {
        PyErr_SetString(PyExc_BufferError,
                        "__cuda_array_interface__: too many dimensions");
        goto done;
    }
    int has_strides = strides != NULL && strides != Py_None;
    if (has_strides &&
        (!PyTuple_Check(strides) || PyTuple_GET_SIZE(strides) != ndim)) {
        PyErr_SetString(PyExc_TypeError,
                        "__cuda_array_interface__: bad 'strides'");
        goto done;
    }
    for (int i = 0; i < ndim; i++) {
        dims[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(shape, i));
        if (has_strides) {
            steps[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(strides, i));
        }
        if (PyErr_Occurred()) {
            goto done;
        }
        if (has_strides && dims[i] == 1) {
            steps[i] = 0; /* the stride of a dimension of 1 is never used */
        }
        else if (has_strides) {
            if (itemsize == 0 || steps[i] % itemsize != 0) {
                PyErr_SetString(PyExc_BufferError,
                                "__cuda_array_interface__: buffer is not "
                                "contiguous");
                goto done;
            }
            steps[i] /= itemsize;
        }
    }
    Py_ssize_t nitems = 0;
    if (itemsize <= 0 ||
        !dense_layout(ndim, dims, has_strides ? steps : NULL, &nitems)) {
        PyErr_SetString(PyExc_BufferError,
                        "__cuda_array_interface__: buffer is not contiguous");
        goto done;
    }
    rc = fill_foreign_view(view, obj, addr, nitems, itemsize,
                           format ? format : "B", readonly, flags,
                           "__cuda_array_interface__");
    if (rc == 0 && format == NULL) {
        view->format = NULL;
    }
done:
    Py_DECREF(cai);
    return rc;
}

/* PyObject_GetBuffer, widened to DLPack and CUDA-array-interface arrays;
 * *device tells whether the memory is on a device (not host memory). */
static int
cmpi_get_buffer_dev(PyObject *obj, Py_buffer *view, int flags, int *device)
{
    *device = 0;
    if (CMPI_LIKELY(PyObject_CheckBuffer(obj))) {
        return PyObject_GetBuffer(obj, view, flags);
    }
    int has = PyObject_HasAttrString(obj, "__dlpack__");
    if (has) {
        return dlpack_view(obj, view, flags, device);
    }
    if (PyObject_HasAttrString(obj, "__cuda_array_interface__")) {
        return cai_view(obj, view, flags, device);
    }
    return PyObject_GetBuffer(obj, view, flags); /* raises the TypeError */
}

/* NumPy refuses a contiguous export of a strided array with ValueError
 * ("ndarray is not contiguous"); Python's own exporters (memoryview) and
 * mpi4py raise BufferError for a buffer that cannot be exported as asked,
 * so that ValueError becomes a BufferError with the same message. */
static CMPI_NOINLINE int
export_refused(PyObject *obj)
{
    PyObject *et, *ev, *tb;
    Py_buffer probe;
    if (!PyErr_ExceptionMatches(PyExc_ValueError) ||
        !PyObject_CheckBuffer(obj)) {
        return -1;
    }
    PyErr_Fetch(&et, &ev, &tb);
    if (PyObject_GetBuffer(obj, &probe, PyBUF_STRIDES) < 0) {
        PyErr_Clear();
        PyErr_Restore(et, ev, tb);
        return -1;
    }
    int contiguous = PyBuffer_IsContiguous(&probe, 'A');
    PyBuffer_Release(&probe);
    if (contiguous) { /* refused for another reason: keep it */
        PyErr_Restore(et, ev, tb);
        return -1;
    }
    PyErr_NormalizeException(&et, &ev, &tb);
    if (ev != NULL) {
        PyErr_Format(PyExc_BufferError, "%S", ev);
    }
    else {
        PyErr_SetString(PyExc_BufferError, "the buffer is not contiguous");
    }
    Py_XDECREF(et);
    Py_XDECREF(ev);
    Py_XDECREF(tb);
    return -1;
}

/* Whether `obj` exports a read-only buffer (so that a failed writable
 * export was refused for that, not for its layout).  Any pending
 * exception is kept. */
static int
cmpi_exporter_read_only(PyObject *obj)
{
    PyObject *et, *ev, *tb;
    Py_buffer probe;
    PyErr_Fetch(&et, &ev, &tb);
    int read_only = 0;
    if (PyObject_GetBuffer(obj, &probe, PyBUF_STRIDES) == 0) {
        read_only = probe.readonly;
        PyBuffer_Release(&probe);
    }
    else {
        PyErr_Clear();
    }
    PyErr_Restore(et, ev, tb);
    return read_only;
}

/* MPI.BOTTOM and MPI.IN_PLACE export an empty buffer at their MPI address,
 * as mpi4py's do, but MPI reads that address as the constant itself (an
 * IN_PLACE where MPI does not allow it fails, or worse): message buffers and
 * the other plain buffers refuse them, and the arguments that take them
 * test for them by identity first. */
static int
cmpi_get_buffer(PyObject *obj, Py_buffer *view, int flags)
{
    int device;
    PyBufferProcs *procs = Py_TYPE(obj)->tp_as_buffer;
    if (CMPI_UNLIKELY(procs != NULL &&
                      procs->bf_getbuffer == cmpi_sentinel_getbuffer)) {
        PyErr_Format(PyExc_TypeError, "%R cannot be used as a buffer here",
                     obj);
        return -1;
    }
    if (CMPI_LIKELY(cmpi_get_buffer_dev(obj, view, flags, &device) == 0)) {
        return 0;
    }
    return export_refused(obj);
}

/* Whether `obj` exports memory: the buffer protocol, DLPack or the CUDA
 * array interface. */
static int
cmpi_is_exporter(PyObject *obj)
{
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb); /* the attribute checks would clear it */
    int exporter = PyObject_CheckBuffer(obj) ||
                   PyObject_HasAttrString(obj, "__dlpack__") ||
                   PyObject_HasAttrString(obj, "__cuda_array_interface__");
    PyErr_Restore(et, ev, tb);
    return exporter;
}

static void
cmpi_msg_release(cmpi_msg *m)
{
    if (m->view.obj != NULL) {
        PyBuffer_Release(&m->view);
    }
    if (m->big != MPI_DATATYPE_NULL) {
        MPI_Type_free(&m->big);
    }
}

/* The request now owns the message's buffer, until it completes.  A big
 * type may go now: MPI keeps what a posted operation needs. */
static void
cmpi_msg_give(RequestObject *r, cmpi_msg *m)
{
    if (m->view.obj != NULL) {
        r->views[r->nviews++] = m->view;
    }
    m->view.obj = NULL;
    if (m->big != MPI_DATATYPE_NULL) {
        MPI_Type_free(&m->big);
    }
}

/* `count` elements of `base` (extent `extent`) as one element of a derived
 * type, for counts beyond the C int of the MPI-3 API: blocks of 2**26
 * elements, then the rest, resized to exactly count * extent so that
 * collectives place consecutive pieces end to end.  So no message has a
 * size limit. */
static int
cmpi_big_type(cmpi_state *st, MPI_Datatype base, MPI_Aint extent,
              MPI_Aint count, MPI_Datatype *out)
{
    const MPI_Aint chunk = (MPI_Aint)1 << 26;
    MPI_Datatype block, t, sized;
    MPI_Aint q = count / chunk, r = count % chunk;
    if (q > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "message: count too large");
        return -1;
    }
    int ierr = MPI_Type_contiguous((int)chunk, base, &block);
    if (ierr != MPI_SUCCESS) {
        goto error;
    }
    if (r == 0) {
        ierr = MPI_Type_contiguous((int)q, block, &t);
    }
    else {
        int lens[2] = {(int)q, (int)r};
        MPI_Aint displs[2] = {0, q * chunk * extent};
        MPI_Datatype types[2] = {block, base};
        ierr = MPI_Type_create_struct(2, lens, displs, types, &t);
    }
    MPI_Type_free(&block);
    if (ierr != MPI_SUCCESS) {
        goto error;
    }
    ierr = MPI_Type_create_resized(t, 0, count * extent, &sized);
    MPI_Type_free(&t);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Type_commit(&sized);
    }
    if (ierr != MPI_SUCCESS) {
        goto error;
    }
    *out = sized;
    return 0;
error:
    cmpi_raise(st, ierr);
    return -1;
}

static int
msg_big_type(cmpi_state *st, cmpi_msg *m, MPI_Aint count)
{
    MPI_Datatype t;
    if (cmpi_big_type(st, m->dtype, m->extent, count, &t) < 0) {
        return -1;
    }
    m->base = m->dtype;
    m->nbig = count;
    m->big = m->dtype = t;
    m->count = 1;
    return 0;
}

static CMPI_NOINLINE int
msg_not_a_buffer(PyObject *buf, int recv)
{
    if (PyErr_ExceptionMatches(PyExc_BufferError) && recv &&
        PyObject_CheckBuffer(buf) && cmpi_exporter_read_only(buf)) {
        PyErr_Clear();
        PyErr_Format(PyExc_BufferError,
                     "message: a receive buffer must be writable, got a "
                     "read-only %.100s",
                     Py_TYPE(buf)->tp_name);
        return -1;
    }
    if (cmpi_is_exporter(buf)) {
        return -1; /* keep the exporter's own explanation */
    }
    PyErr_Clear();
    PyErr_Format(PyExc_TypeError,
                 "message: expected a buffer (NumPy array, bytes, bytearray, "
                 "array.array, memoryview) or a list [buf, count, datatype], "
                 "got %.100s",
                 Py_TYPE(buf)->tp_name);
    return -1;
}

static int
msg_count_arg(PyObject *obj, MPI_Aint *out, const char *what)
{
    if (PyFloat_Check(obj) || !PyIndex_Check(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "message: %s must be an integer, not "
                     "%.100s",
                     what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t v = PyNumber_AsSsize_t(obj, PyExc_OverflowError);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (v < 0) {
        PyErr_Format(PyExc_ValueError, "message: negative %s %zd", what, v);
        return -1;
    }
    *out = (MPI_Aint)v;
    return 0;
}

/* None as a message buffer, on every path (cmpi_msg_parse,
 * cmpi_msgv_parse, cmpi_msgw_parse and neighbor.c's nb_msgw_parse):
 *
 * - None inside a list ([None, 0, INT], [None, (counts, displs), INT],
 *   [None, counts, displs, types]) is an empty buffer with no address.
 *   It is valid only when every count is zero; a nonzero count is the
 *   ValueError of msg_none_count, whichever call parses it, for MPI would
 *   otherwise read or write through a NULL address.
 * - A bare None in place of a whole message means "no buffer".  That is
 *   valid where MPI uses no buffer at this rank: the receive buffer of
 *   Gather(v) and Reduce at a non-root rank, the send buffer of
 *   Scatter(v) at a non-root rank, None meaning IN_PLACE where coll_buf.c
 *   allows that (sendbuf of Allgather(v), Alltoall(v), Allreduce, and of
 *   Gather(v)/Reduce at the root; recvbuf of Scatter(v) at the root),
 *   and, for point-to-point calls, an empty message.  As the receive
 *   buffer of a collective that receives at this rank it is a TypeError
 *   (cmpi_recvbuf_required), as in mpi4py: Allgather(v), Alltoall(v,w),
 *   Gather(v) and Reduce at the root, Scatter(v) off the root, Allreduce,
 *   Scan, Exscan, Reduce_scatter(_block) and the five neighborhood
 *   collectives, blocking, nonblocking and persistent alike.  An empty
 *   receive buffer there cannot hold what the other ranks send, and some
 *   MPI libraries (Open MPI 4.1 at one rank with a periodic Cartesian
 *   topology) then block forever on the truncation instead of reporting
 *   it.  [None, 0, datatype] still says "receive nothing" explicitly. */
static CMPI_NOINLINE int
msg_none_count(MPI_Aint count)
{
    PyErr_Format(PyExc_ValueError,
                 "message: count=%zd with None as the buffer",
                 (Py_ssize_t)count);
    return -1;
}

/* Every count must be zero when the buffer is None. */
static int
cmpi_none_counts(const int *counts, int n)
{
    for (int i = 0; i < n; i++) {
        if (counts[i] != 0) {
            return msg_none_count(counts[i]);
        }
    }
    return 0;
}

/* A collective that receives at this rank needs a receive buffer. */
static int
cmpi_recvbuf_required(const char *fname, PyObject *spec)
{
    if (spec != Py_None) {
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s: recvbuf=None, but this call receives at every rank; "
                 "give a buffer (or [None, 0, datatype] for nothing)",
                 fname);
    return -1;
}

/* A buffer a collective sends from at this rank (Bcast's at the root,
 * Scatter's at the root, a neighborhood collective's): a bare None is
 * not the empty message there, but a TypeError, as in mpi4py 4 (where
 * None is not IN_PLACE, mpi4py refuses a None message). */
static int
cmpi_sendbuf_required(const char *fname, const char *name, PyObject *spec)
{
    if (spec != Py_None) {
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s: %s=None, but this call sends from this rank; give a "
                 "buffer (or [None, 0, datatype] for nothing)",
                 fname, name);
    return -1;
}

/* The bytes that `count` elements of `dtype`, starting `displ` elements
 * into a buffer of `len` bytes, read or write must all lie inside it.
 * Comparing count * extent with the length is not enough for a derived
 * datatype: its data can start before the buffer (a negative true lower
 * bound) or reach past its extent (resized smaller than its true
 * extent), and a zero or negative extent stacks elements on one spot or
 * backwards. */
static int
msg_check_footprint(cmpi_state *st, MPI_Datatype dtype,
                    const cmpi_type_facts *facts, MPI_Aint extent,
                    MPI_Aint len, MPI_Aint displ, MPI_Aint count,
                    const char *what)
{
    MPI_Aint tlb, text;
    int size;
    if (count <= 0) {
        return 0;
    }
    /* A type without data touches nothing; its true bounds may be
     * sentinels (Open MPI reports a lower bound near 2**63). */
    if (facts != NULL) {
        if (facts->true_lb == 0 && facts->true_extent == extent &&
            facts->size == extent && extent > 0 && displ >= 0 &&
            displ <= len / extent && count <= len / extent - displ) {
            /* a predefined type whose elements fill their extent, the
             * elements inside the buffer: the check of a message that
             * names no datatype */
            return 0;
        }
        size = facts->size;
        tlb = facts->true_lb;
        text = facts->true_extent;
    }
    else {
        CMPI_CHK(st, MPI_Type_size(dtype, &size));
        if (size != 0) {
            CMPI_CHK(st, MPI_Type_get_true_extent(dtype, &tlb, &text));
        }
    }
    if (size == 0) {
        return 0;
    }
    if (text <= 0) {
        return 0;
    }
    const MPI_Aint limit = PY_SSIZE_T_MAX / 4;
    MPI_Aint mag = extent < 0 ? -extent : extent;
    if (tlb > limit || tlb < -limit || text > limit ||
        (mag > 0 && (count > limit / mag || displ > limit / mag))) {
        PyErr_Format(PyExc_ValueError, "message: %scount %zd too large", what,
                     (Py_ssize_t)count);
        return -1;
    }
    MPI_Aint first = displ * extent, last = (displ + count - 1) * extent;
    MPI_Aint lo = (first < last ? first : last) + tlb;
    MPI_Aint hi = (first < last ? last : first) + tlb + text;
    if (lo < 0 || hi > len) {
        PyErr_Format(PyExc_ValueError,
                     "message: %scount=%zd of the datatype at displacement "
                     "%zd touches bytes %zd to %zd, outside the buffer of "
                     "%zd bytes",
                     what, (Py_ssize_t)count, (Py_ssize_t)displ,
                     (Py_ssize_t)lo, (Py_ssize_t)hi, (Py_ssize_t)len);
        return -1;
    }
    return 0;
error:
    return -1;
}

#ifdef I_MPI_VERSION
/* Intel MPI 2021 writes past the data of a datatype whose entries overlap
 * when it receives or unpacks into it (an hvector of 3 doubles 1 byte
 * apart: 24 bytes written where the true extent is 10), corrupting the
 * heap.  A type whose size exceeds its true extent must overlap: refused
 * for receiving. */
static int
msg_check_intel_overlap(cmpi_state *st, MPI_Datatype dtype)
{
    int size;
    MPI_Aint tlb, text;
    CMPI_CHK(st, MPI_Type_size(dtype, &size));
    if (size == 0) {
        return 0;
    }
    CMPI_CHK(st, MPI_Type_get_true_extent(dtype, &tlb, &text));
    if (size > text) {
        cmpi_raise_msg(st, MPI_ERR_TYPE,
                       "Intel MPI " I_MPI_VERSION
                       " writes past the data of "
                       "a datatype whose entries overlap (size %d, true "
                       "extent %zd) when receiving or unpacking (MPI_Recv, "
                       "MPI_Unpack...) into it: refused",
                       size, (Py_ssize_t)text);
        return -1;
    }
    return 0;
error:
    return -1;
}
#endif

/* ------------------------------------------------------------------ */
/* Exact NumPy arrays, read from the array's own fields.
 *
 * NumPy's buffer export allocates, fills and compares a buffer-info
 * record on every call, and with PyBUF_FORMAT builds the format string
 * too: about 770 instructions, more than the rest of cmpi's Send.  An
 * exact ndarray keeps its data pointer, shape, dtype and flags at fixed
 * places of NumPy's C ABI (PyArrayObject_fields, the same in NumPy 1 and
 * 2), so a message reads them there.  A dtype's MPI datatype and item
 * size are the ones its format string gave the first time an array of
 * it went through the buffer protocol, remembered by the dtype object's
 * identity (array_descrs holds those dtypes, so none is freed and another
 * made at its address).  The view holds a reference to the array, as
 * NumPy's own export does; NumPy has no release hook (checked before
 * this is used), so PyBuffer_Release ends it like any other view. */
typedef struct {
    PyObject_HEAD
    char *data;
    int nd;
    Py_ssize_t *dimensions;
    Py_ssize_t *strides;
    PyObject *base;
    PyObject *descr;
    int flags;
} cmpi_ndarray_fields;
#define CMPI_NPY_C_CONTIGUOUS 0x0001u
#define CMPI_NPY_F_CONTIGUOUS 0x0002u
#define CMPI_NPY_ALIGNED 0x0100u
#define CMPI_NPY_WRITEABLE 0x0400u
#define CMPI_NPY_WARN_ON_WRITE 0x80000000u

/* Fill *view for the exact ndarray `buf` as a contiguous export would
 * (writable if `recv`), and give its dtype's MPI datatype: 1, or 0 when
 * the buffer protocol must decide (not contiguous, not writable as
 * asked, a dtype not seen yet, or one whose format names no MPI datatype
 * when the message gives none: `typed` says whether it does).  Never
 * fails. */
static inline int
msg_array_view(cmpi_state *st, PyObject *buf, int recv, int typed,
               Py_buffer *view, MPI_Datatype *dt)
{
    const cmpi_ndarray_fields *a = (const cmpi_ndarray_fields *)buf;
    unsigned flags = (unsigned)a->flags;
    /* (an unaligned array's format is a sized one, '=l' rather than 'l',
     * which maps to another MPI datatype: the buffer protocol decides) */
    if (!(flags & (CMPI_NPY_C_CONTIGUOUS | CMPI_NPY_F_CONTIGUOUS)) ||
        !(flags & CMPI_NPY_ALIGNED) ||
        (recv && (!(flags & CMPI_NPY_WRITEABLE) ||
                  (flags & CMPI_NPY_WARN_ON_WRITE)))) {
        return 0;
    }
    int i = 0, n = st->array_ncached;
    while (i < n && st->array_cache[i].descr != a->descr) {
        i++;
    }
    if (i == n || (!typed && st->array_cache[i].dtype == MPI_DATATYPE_NULL)) {
        return 0;
    }
    Py_ssize_t len = st->array_cache[i].itemsize;
    for (int d = 0; d < a->nd; d++) {
        len *= a->dimensions[d];
    }
    view->buf = a->data;
    view->obj = Py_NewRef(buf);
    view->len = len;
    view->itemsize = st->array_cache[i].itemsize;
    view->readonly = !(flags & CMPI_NPY_WRITEABLE);
    view->ndim = 1;
    view->format = NULL;
    view->shape = NULL;
    view->strides = NULL;
    view->suboffsets = NULL;
    view->internal = NULL;
    *dt = st->array_cache[i].dtype;
    return 1;
}

/* Is `type` numpy.ndarray, whose fields msg_array_view may read? */
static CMPI_NOINLINE int
msg_array_type_ok(PyTypeObject *type)
{
    if (strcmp(type->tp_name, "numpy.ndarray") != 0 ||
        type->tp_basicsize < (Py_ssize_t)sizeof(cmpi_ndarray_fields) ||
        type->tp_as_buffer == NULL ||
        type->tp_as_buffer->bf_releasebuffer != NULL) {
        return 0;
    }
    PyObject *name = PyUnicode_FromString("numpy");
    PyObject *np = name ? PyImport_GetModule(name) : NULL;
    Py_XDECREF(name);
    PyObject *nd = np ? PyObject_GetAttrString(np, "ndarray") : NULL;
    Py_XDECREF(np);
    Py_XDECREF(nd);
    PyErr_Clear();
    return nd == (PyObject *)type;
}

/* The exact ndarray `buf` was exported with its format, which gave the
 * MPI datatype dt (MPI_DATATYPE_NULL: it names none; such an array is
 * read from its fields only for messages that give their datatype):
 * remember that for its dtype.  Nothing is remembered when it cannot be
 * (the cache full, no memory). */
static CMPI_NOINLINE void
msg_array_learn(cmpi_state *st, PyObject *buf, const Py_buffer *view,
                MPI_Datatype dt)
{
    PyTypeObject *type = Py_TYPE(buf);
    if ((st->ndarray_type != NULL && type != st->ndarray_type) ||
        view->format == NULL || view->itemsize <= 0 ||
        st->array_ncached == (int)Py_ARRAY_LENGTH(st->array_cache)) {
        return;
    }
    if (st->ndarray_type == NULL) {
        if (!msg_array_type_ok(type)) {
            return;
        }
        st->ndarray_type = (PyTypeObject *)Py_NewRef(type);
    }
    if (type != st->ndarray_type) {
        return;
    }
    if (st->array_descrs == NULL) {
        st->array_ncached = 0; /* (none can be left but after a clear) */
        st->array_descrs = PyList_New(0);
        if (st->array_descrs == NULL) {
            PyErr_Clear();
            return;
        }
    }
    const cmpi_ndarray_fields *a = (const cmpi_ndarray_fields *)buf;
    if (!((unsigned)a->flags & CMPI_NPY_ALIGNED)) {
        return; /* its format is not that of the dtype's aligned arrays */
    }
    PyObject *descr = a->descr;
    for (int i = 0; i < st->array_ncached; i++) {
        if (st->array_cache[i].descr == descr) {
            return;
        }
    }
    if (PyList_Append(st->array_descrs, descr) < 0) {
        PyErr_Clear();
        return;
    }
    int i = st->array_ncached++;
    st->array_cache[i].descr = descr;
    st->array_cache[i].dtype = dt;
    st->array_cache[i].itemsize = view->itemsize;
}

/* msg_array_learn for an array exported with its format for a message
 * that gave its own datatype: the format's MPI datatype, or
 * MPI_DATATYPE_NULL when it names none (then learnt too, so that the
 * next such message does not ask again). */
static CMPI_NOINLINE void
msg_array_learn_format(cmpi_state *st, PyObject *buf, const Py_buffer *view)
{
    /* msg_array_learn's own refusals, made first and cheaply: this runs
     * for every typed message of a buffer that is no learnable array (a
     * bytearray, a full cache), and the format lookup below is not free */
    PyTypeObject *type = Py_TYPE(buf);
    if (st->array_ncached == (int)Py_ARRAY_LENGTH(st->array_cache)) {
        return;
    }
    if (st->ndarray_type == NULL) {
        /* (its fields are read only once msg_array_learn checked the
         * type) */
        if (strcmp(type->tp_name, "numpy.ndarray") != 0) {
            return;
        }
    }
    else if (type != st->ndarray_type ||
             !((unsigned)((const cmpi_ndarray_fields *)buf)->flags &
               CMPI_NPY_ALIGNED)) {
        return;
    }
    MPI_Datatype dt;
    if (cmpi_buffer_datatype(st, view, &dt) < 0) {
        PyErr_Clear();
        dt = MPI_DATATYPE_NULL;
    }
    msg_array_learn(st, buf, view, dt);
}

/* Export `buf` for a message (writable if `recv`; `typed`: the message
 * gives its datatype): from an exact ndarray's own fields when they
 * suffice, else through the buffer protocol.  1 when the array's MPI
 * datatype came with it (*array_dtype), 0 for a view from the buffer
 * protocol, -1 with an exception. */
static inline int
msg_export(cmpi_state *st, PyObject *buf, int recv, int typed, Py_buffer *view,
           MPI_Datatype *array_dtype)
{
    if (Py_TYPE(buf) == st->ndarray_type &&
        msg_array_view(st, buf, recv, typed, view, array_dtype)) {
        return 1;
    }
    int flags = PyBUF_ANY_CONTIGUOUS | PyBUF_FORMAT;
    if (recv) {
        flags |= PyBUF_WRITABLE;
    }
    if (CMPI_UNLIKELY(cmpi_get_buffer(buf, view, flags) < 0)) {
        return msg_not_a_buffer(buf, recv);
    }
    return 0;
}

/* The datatype and extent of an exported message buffer: *dt as given
 * (`given`), the array's (array_dtype not NULL), or the one the view's
 * format names, then remembered for an exact ndarray's dtype.  0, or -1
 * with an exception. */
static int
msg_view_datatype(cmpi_state *st, PyObject *buf, int given,
                  const cmpi_type_facts *facts,
                  const MPI_Datatype *array_dtype, const Py_buffer *view,
                  MPI_Datatype *dt, MPI_Aint *extent)
{
    if (given) {
        if (facts != NULL) {
            *extent = facts->extent;
        }
        else {
            MPI_Aint lb;
            int ierr = MPI_Type_get_extent(*dt, &lb, extent);
            if (CMPI_UNLIKELY(ierr != MPI_SUCCESS)) {
                cmpi_raise(st, ierr);
                return -1;
            }
        }
        if (array_dtype == NULL && view->format != NULL) {
            /* [array, datatype] alone must not keep an array on the
             * buffer protocol (NumPy's export with its format: about 320
             * instructions a call) */
            msg_array_learn_format(st, buf, view);
        }
    }
    else if (array_dtype != NULL) {
        *dt = *array_dtype;
        *extent = view->itemsize;
    }
    else {
        if (cmpi_buffer_datatype(st, view, dt) < 0) {
            return -1;
        }
        *extent = view->format == NULL ? 1 : view->itemsize;
        msg_array_learn(st, buf, view, *dt);
    }
    return 0;
}

static int
cmpi_msg_parse(cmpi_state *st, PyObject *spec, cmpi_msg *m, int recv)
{
    PyObject *buf = spec, *ocount = NULL, *odispl = NULL, *otype = NULL;
    m->view.obj = NULL;
    m->addr = NULL;
    m->count = 0;
    m->counted = 0;
    m->dtype = MPI_BYTE;
    m->extent = 1;
    m->big = MPI_DATATYPE_NULL;

    if (PyList_Check(spec) || PyTuple_Check(spec)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
        PyObject **items = PySequence_Fast_ITEMS(spec);
        switch (n) {
            case 2:
                buf = items[0];
                if (PyObject_TypeCheck(items[1], st->Datatype_Type) ||
                    PyUnicode_Check(items[1])) {
                    otype = items[1];
                }
                else {
                    ocount = items[1];
                }
                break;
            case 3:
                buf = items[0];
                ocount = items[1];
                otype = items[2];
                break;
            case 4:
                buf = items[0];
                ocount = items[1];
                odispl = items[2];
                otype = items[3];
                break;
            default:
                PyErr_Format(
                        PyExc_ValueError,
                        "message: expected a buffer or a list [buf, "
                        "datatype], [buf, count, datatype] or [buf, count, "
                        "displ, datatype], got a %.50s of length %zd",
                        Py_TYPE(spec)->tp_name, n);
                return -1;
        }
        if (ocount != NULL && PyTuple_Check(ocount)) {
            if (PyTuple_GET_SIZE(ocount) != 2 || odispl != NULL) {
                PyErr_SetString(PyExc_TypeError,
                                "message: expected (count, displ)");
                return -1;
            }
            odispl = PyTuple_GET_ITEM(ocount, 1);
            ocount = PyTuple_GET_ITEM(ocount, 0);
        }
        if (ocount == Py_None) {
            ocount = NULL;
        }
        if (odispl == Py_None) {
            odispl = NULL;
        }
        if (otype == Py_None) {
            otype = NULL;
        }
    }

    m->counted = ocount != NULL;
    if (otype != NULL && cmpi_dtype_for_data(st, otype, &m->dtype) < 0) {
        return -1;
    }
    const cmpi_type_facts *facts = msg_type_facts(st, otype, m->dtype);
    if (m->dtype == MPI_DATATYPE_NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "message: datatype is DATATYPE_NULL");
        return -1;
    }

    if (buf == Py_None || buf == st->BOTTOM) {
        /* None is an empty buffer, as in mpi4py */
        MPI_Aint count = 0;
        if (ocount != NULL && msg_count_arg(ocount, &count, "count") < 0) {
            return -1;
        }
        if (buf == Py_None && count > 0) {
            return msg_none_count(count);
        }
        if (count > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError,
                            "message: count exceeds 2**31-1");
            return -1;
        }
        m->addr = buf == Py_None ? NULL : MPI_BOTTOM;
        m->count = (int)count;
        return 0;
    }

    MPI_Datatype array_dtype = MPI_DATATYPE_NULL;
    int array =
            msg_export(st, buf, recv, otype != NULL, &m->view, &array_dtype);
    if (CMPI_UNLIKELY(array < 0)) {
        return -1;
    }
    if (msg_view_datatype(st, buf, otype != NULL, facts,
                          array ? &array_dtype : NULL, &m->view, &m->dtype,
                          &m->extent) < 0) {
        goto error;
    }

    MPI_Aint len = (MPI_Aint)m->view.len, displ = 0, count;
    if (odispl != NULL && msg_count_arg(odispl, &displ, "displacement") < 0) {
        goto error;
    }
    if (m->extent <= 0) {
        /* a negative extent: no count follows from the length, and no
         * displacement names a place in the buffer */
        count = 0;
        if (m->extent < 0 && (ocount == NULL || displ != 0)) {
            PyErr_Format(PyExc_ValueError,
                         "message: the datatype has extent %zd; give a count "
                         "and no displacement",
                         (Py_ssize_t)m->extent);
            goto error;
        }
        if (ocount != NULL && msg_count_arg(ocount, &count, "count") < 0) {
            goto error;
        }
    }
    else if (ocount != NULL) {
        if (msg_count_arg(ocount, &count, "count") < 0) {
            goto error;
        }
        /* With a datatype given, msg_check_footprint below checks the bytes
         * the elements really touch, which may lie within the extent. */
        if ((otype == NULL || count == 0) &&
            (displ + count) > len / m->extent) {
            PyErr_Format(PyExc_ValueError,
                         "message: count=%zd with displacement %zd needs %zd "
                         "bytes, but the buffer has only %zd",
                         (Py_ssize_t)count, (Py_ssize_t)displ,
                         (Py_ssize_t)((displ + count) * m->extent),
                         (Py_ssize_t)len);
            goto error;
        }
    }
    else {
        if (len % m->extent != 0) {
            PyErr_Format(PyExc_ValueError,
                         "message: buffer length %zd is not a multiple of "
                         "the datatype extent %zd",
                         (Py_ssize_t)len, (Py_ssize_t)m->extent);
            goto error;
        }
        if (displ > len / m->extent) {
            PyErr_Format(PyExc_ValueError,
                         "message: displacement %zd is past the end of a "
                         "buffer of %zd elements",
                         (Py_ssize_t)displ, (Py_ssize_t)(len / m->extent));
            goto error;
        }
        count = len / m->extent - displ;
    }
    if (otype != NULL && msg_check_footprint(st, m->dtype, facts, m->extent,
                                             len, displ, count, "") < 0) {
        goto error;
    }
#ifdef I_MPI_VERSION
    if (recv == CMPI_MSG_RECV && otype != NULL && count > 0 &&
        msg_check_intel_overlap(st, m->dtype) < 0) {
        goto error;
    }
#endif
    m->addr = (char *)m->view.buf + displ * m->extent;
    if (count > INT_MAX) {
        return msg_big_type(st, m, count) < 0 ? (cmpi_msg_release(m), -1) : 0;
    }
    m->count = (int)count;
    return 0;
error:
    cmpi_msg_release(m);
    return -1;
}

/* ------------------------------------------------------------------ */
/* Vector message specifications, for Gatherv, Scatterv, Allgatherv,
 * Alltoallv: buf, [buf, counts], [buf, (counts, displs)], [buf, dt],
 * [buf, counts, dt], [buf, (counts, displs), dt],
 * [buf, counts, displs, dt].  counts may be one int for every rank;
 * displs default to the running sum of counts. */

/* Whether `obj` stands for one integer (an int, a NumPy integer scalar or
 * zero-dimensional array) rather than a sequence of them. */
static int
msgv_is_scalar(PyObject *obj)
{
    if (PyLong_Check(obj)) {
        return 1;
    }
    if (PyFloat_Check(obj) || !PyIndex_Check(obj)) {
        return 0;
    }
    if (!PySequence_Check(obj)) {
        return 1;
    }
    Py_ssize_t n = PyObject_Length(obj); /* fails for a 0-d array */
    if (n < 0) {
        PyErr_Clear();
        return 1;
    }
    return 0;
}

/* What cmpi_msgv_ints reads, which decides what one integer for all
 * ranks means: the same count for each, or a stride between them. */
enum cmpi_msgv_ints_kind {
    CMPI_MSGV_COUNTS,
    CMPI_MSGV_DISPLS
};

/* Counts or displacements for n ranks: one integer for all ranks (as
 * displacements: a stride, rank i at i * v), or a sequence of n of
 * them. */
static int
cmpi_msgv_ints(PyObject *obj, int n, int *out, const char *what,
               enum cmpi_msgv_ints_kind kind)
{
    int stride = kind == CMPI_MSGV_DISPLS;
    if (msgv_is_scalar(obj)) {
        int v;
        if (cmpi_item_as_int(obj, &v, what) < 0) {
            return -1;
        }
        if (v < 0) {
            PyErr_Format(PyExc_ValueError, "message: negative %s %d", what, v);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            long long x = stride ? (long long)v * i : v;
            if (x > INT_MAX) {
                PyErr_Format(PyExc_OverflowError, "message: %s exceed 2**31-1",
                             what);
                return -1;
            }
            out[i] = (int)x;
        }
        return 0;
    }
    PyObject *seq = PySequence_Fast(obj,
                                    "message: counts and displacements "
                                    "must be integers or sequences");
    if (seq == NULL) {
        return -1;
    }
    /* the items before the length, as mpi4py reads them: a wrong item is
     * its error whatever the length */
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < len; i++) {
        int v;
        if (cmpi_item_as_int(PySequence_Fast_GET_ITEM(seq, i), &v, what) < 0) {
            Py_DECREF(seq);
            return -1;
        }
        if (v < 0) {
            PyErr_Format(PyExc_ValueError, "message: negative %s %d at %zd",
                         what, v, i);
            Py_DECREF(seq);
            return -1;
        }
        if (i < n) {
            out[i] = v;
        }
    }
    Py_DECREF(seq);
    if (len != n) {
        PyErr_Format(PyExc_ValueError,
                     "message: %s has %zd entries, expected one per rank "
                     "(%d)",
                     what, len, n);
        return -1;
    }
    return 0;
}

static void
cmpi_msgv_release(cmpi_msgv *m)
{
    if (m->view.obj != NULL) {
        PyBuffer_Release(&m->view);
    }
    PyMem_Free(m->counts);
    m->counts = m->displs = NULL;
}

static int
cmpi_msgv_parse(cmpi_state *st, PyObject *spec, cmpi_msgv *m, int size,
                int recv)
{
    PyObject *buf = spec, *ocounts = NULL, *odispls = NULL, *otype = NULL;
    memset(m, 0, sizeof(*m));
    m->dtype = MPI_BYTE;
    m->extent = 1;
    if (PyList_Check(spec) || PyTuple_Check(spec)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
        PyObject **items = PySequence_Fast_ITEMS(spec);
        buf = n > 0 ? items[0] : NULL;
        if (n == 2) {
            PyObject *x = items[1];
            if (PyObject_TypeCheck(x, st->Datatype_Type) ||
                PyUnicode_Check(x)) {
                otype = x;
            }
            else {
                ocounts = x;
            }
        }
        else if (n == 3) {
            ocounts = items[1];
            otype = items[2];
        }
        else if (n == 4) {
            ocounts = items[1];
            odispls = items[2];
            otype = items[3];
        }
        else {
            PyErr_Format(PyExc_ValueError,
                         "message: expected a buffer or a list [buf, counts, "
                         "displs, datatype], got a list of length %zd",
                         n);
            return -1;
        }
        /* as in mpi4py, a pair in the counts' place is (counts, displs) */
        if (ocounts != NULL && PyTuple_Check(ocounts) && odispls == NULL &&
            PyTuple_GET_SIZE(ocounts) == 2) {
            odispls = PyTuple_GET_ITEM(ocounts, 1);
            ocounts = PyTuple_GET_ITEM(ocounts, 0);
        }
        if (ocounts == Py_None) {
            ocounts = NULL;
        }
        if (odispls == Py_None) {
            odispls = NULL;
        }
        if (otype == Py_None) {
            otype = NULL;
        }
    }
    m->counts = PyMem_New(int, 2 * (size_t)(size > 0 ? size : 1));
    if (m->counts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    m->displs = m->counts + size;
    if (otype != NULL && cmpi_dtype_for_data(st, otype, &m->dtype) < 0) {
        goto error;
    }
    const cmpi_type_facts *facts = msg_type_facts(st, otype, m->dtype);
    if (m->dtype == MPI_DATATYPE_NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "message: datatype is DATATYPE_NULL");
        goto error;
    }
    if (buf == Py_None || buf == st->BOTTOM) {
        /* None is an empty buffer, as in mpi4py */
        m->addr = buf == Py_None ? NULL : MPI_BOTTOM;
        if (ocounts == NULL) {
            for (int i = 0; i < size; i++) {
                m->counts[i] = m->displs[i] = 0;
            }
            return 0;
        }
        if (cmpi_msgv_ints(ocounts, size, m->counts, "counts",
                           CMPI_MSGV_COUNTS) < 0) {
            goto error;
        }
        if (buf == Py_None && cmpi_none_counts(m->counts, size) < 0) {
            goto error;
        }
        goto displs;
    }
    MPI_Datatype array_dtype = MPI_DATATYPE_NULL;
    int array =
            msg_export(st, buf, recv, otype != NULL, &m->view, &array_dtype);
    if (array < 0) {
        goto error;
    }
    m->addr = m->view.buf;
    if (msg_view_datatype(st, buf, otype != NULL, facts,
                          array ? &array_dtype : NULL, &m->view, &m->dtype,
                          &m->extent) < 0) {
        goto error;
    }
    MPI_Aint nitems = m->extent > 0 ? (MPI_Aint)m->view.len / m->extent : 0;
    if (ocounts == NULL) {
        if (m->extent < 0 ||
            (m->extent > 0 && (MPI_Aint)m->view.len % m->extent != 0)) {
            PyErr_Format(PyExc_ValueError,
                         "message: a buffer of %zd bytes is no whole number "
                         "of elements of extent %zd; give the counts",
                         m->view.len, (Py_ssize_t)m->extent);
            goto error;
        }
        /* split as mpi4py splits: the first nitems % size ranks take one
         * element more */
        for (int i = 0; i < size; i++) {
            m->counts[i] = (int)(nitems / size + (nitems % size > i));
        }
    }
    else if (cmpi_msgv_ints(ocounts, size, m->counts, "counts",
                            CMPI_MSGV_COUNTS) < 0) {
        goto error;
    }
displs:
    if (odispls != NULL) {
        if (cmpi_msgv_ints(odispls, size, m->displs, "displs",
                           CMPI_MSGV_DISPLS) < 0) {
            goto error;
        }
    }
    else {
        long long sum = 0;
        for (int i = 0; i < size; i++) {
            if (sum > INT_MAX) {
                PyErr_SetString(PyExc_OverflowError,
                                "message: displacements exceed 2**31-1");
                goto error;
            }
            m->displs[i] = (int)sum;
            sum += m->counts[i];
        }
    }
    /* With a datatype given, msg_check_footprint below checks the bytes
     * each block really touches. */
    if (m->view.obj != NULL && m->extent > 0 && otype == NULL) {
        MPI_Aint n = (MPI_Aint)m->view.len / m->extent;
        for (int i = 0; i < size; i++) {
            if ((MPI_Aint)m->displs[i] + m->counts[i] > n) {
                PyErr_Format(PyExc_ValueError,
                             "message: rank %d's block (displacement %d, "
                             "count %d) runs past the end of a buffer of %zd "
                             "elements",
                             i, m->displs[i], m->counts[i], (Py_ssize_t)n);
                goto error;
            }
        }
    }
    if (m->view.obj != NULL && otype != NULL) {
        for (int i = 0; i < size; i++) {
            if (msg_check_footprint(st, m->dtype, facts, m->extent,
                                    (MPI_Aint)m->view.len, m->displs[i],
                                    m->counts[i], "block ") < 0) {
                goto error;
            }
        }
    }
    return 0;
error:
    cmpi_msgv_release(m);
    return -1;
}

/* An Alltoallw message: [buf, counts, displs, datatypes],
 * [buf, (counts, displs), datatypes] or [buf, datatypes], displacements in
 * bytes and a sequence of one Datatype per rank, as mpi4py reads it: one
 * Datatype for all, a typecode, or only one of counts and displacements is
 * a TypeError there, and here.  Counts, displacements and datatypes share
 * one PyMem block (m->counts), which a request can hold until the
 * operation completes. */
static int
cmpi_msgw_parse(cmpi_state *st, PyObject *spec, cmpi_msgv *m, int size,
                int ntypes, int recv)
{
    PyObject *buf = NULL, *ocounts = NULL, *odispls = NULL, *otypes = NULL;
    memset(m, 0, sizeof(*m));
    m->dtype = MPI_DATATYPE_NULL;
    /* not a list: ValueError as a list of the wrong length, as in mpi4py
     * (which reads a buffer here as a sequence of the wrong length) */
    if (!PyList_Check(spec) && !PyTuple_Check(spec)) {
        PyErr_Format(PyExc_ValueError,
                     "message: expected [buf, counts, displs, datatypes], "
                     "[buf, (counts, displs), datatypes] or [buf, "
                     "datatypes], got %.100s",
                     Py_TYPE(spec)->tp_name);
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
    PyObject **items = PySequence_Fast_ITEMS(spec);
    if (n == 4) {
        buf = items[0];
        ocounts = items[1];
        odispls = items[2];
        otypes = items[3];
    }
    else if (n == 3) {
        buf = items[0];
        ocounts = items[1];
        otypes = items[2];
        if (PyTuple_Check(ocounts) && PyTuple_GET_SIZE(ocounts) == 2) {
            odispls = PyTuple_GET_ITEM(ocounts, 1);
            ocounts = PyTuple_GET_ITEM(ocounts, 0);
        }
    }
    else if (n == 2) {
        buf = items[0];
        otypes = items[1];
    }
    else {
        PyErr_Format(PyExc_ValueError,
                     "message: expected [buf, counts, displs, datatypes], "
                     "[buf, (counts, displs), datatypes] or [buf, "
                     "datatypes], got a list of length %zd",
                     n);
        return -1;
    }
    /* exactly one of counts and displacements given as None */
    int one_none = n > 2 && (ocounts == Py_None) != (odispls == Py_None);
    if (ocounts == Py_None) {
        ocounts = NULL;
    }
    if (odispls == Py_None) {
        odispls = NULL;
    }
    /* BOTTOM without counts or displacements is a ValueError first, as
     * in mpi4py; otherwise mpi4py reads counts, then displacements, then
     * datatypes, and takes the len() of each one given: the TypeErrors
     * below come in that order, after the ValueError of a wrong length */
    int bottom = buf == Py_None || buf == st->BOTTOM;
    if (bottom && (ocounts == NULL || odispls == NULL)) {
        PyErr_SetString(PyExc_ValueError,
                        "message: with BOTTOM or None as the buffer, give "
                        "the counts and the displacements");
        return -1;
    }
    if (one_none && ocounts == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "message: counts is None: give both counts and "
                        "displacements, or neither");
        return -1;
    }
    if (ntypes < size) {
        ntypes = size;
    }
    m->counts = PyMem_Malloc(2 * sizeof(int) * (size_t)size +
                             sizeof(MPI_Datatype) *
                                     (size_t)(ntypes > 0 ? ntypes : 1));
    if (m->counts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    /* 2 * size ints keep the datatypes after them 8-byte aligned */
    m->displs = m->counts + size;
    m->types = (MPI_Datatype *)(m->displs + size);
    for (int i = size; i < ntypes; i++) {
        m->types[i] = MPI_BYTE;
    }
    if (ocounts == NULL) {
        for (int i = 0; i < size; i++) {
            m->counts[i] = 1;
        }
    }
    else if (cmpi_msgv_ints(ocounts, size, m->counts, "counts",
                            CMPI_MSGV_COUNTS) < 0) {
        goto error;
    }
    if (one_none) {
        PyErr_SetString(PyExc_TypeError,
                        "message: displs is None: give both counts and "
                        "displacements, or neither");
        goto error;
    }
    if (odispls != NULL && cmpi_msgv_ints(odispls, size, m->displs, "displs",
                                          CMPI_MSGV_DISPLS) < 0) {
        goto error;
    }
    if (PyObject_TypeCheck(otypes, st->Datatype_Type) ||
        PyUnicode_Check(otypes)) {
        PyErr_Format(PyExc_TypeError,
                     "message: datatypes must be a sequence of Datatype, "
                     "one per rank, not %.100s",
                     Py_TYPE(otypes)->tp_name);
        goto error;
    }
    {
        PyObject *seq = PySequence_Fast(otypes,
                                        "message: datatypes must be a "
                                        "Datatype or a sequence of them");
        if (seq == NULL) {
            goto error;
        }
        if (PySequence_Fast_GET_SIZE(seq) != size) {
            PyErr_Format(PyExc_ValueError,
                         "message: datatypes has %zd entries, expected one "
                         "per rank (%d)",
                         PySequence_Fast_GET_SIZE(seq), size);
            Py_DECREF(seq);
            goto error;
        }
        for (int i = 0; i < size; i++) {
            PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
            if (!PyObject_TypeCheck(t, st->Datatype_Type)) {
                PyErr_Format(PyExc_TypeError,
                             "message: datatypes[%d] must be a Datatype, "
                             "not %.100s",
                             i, Py_TYPE(t)->tp_name);
                Py_DECREF(seq);
                goto error;
            }
            if (cmpi_dtype_for_data(st, t, &m->types[i]) < 0) {
                Py_DECREF(seq);
                goto error;
            }
        }
        Py_DECREF(seq);
    }
    if (odispls == NULL) {
        /* the blocks one after the other, in bytes */
        long long sum = 0;
        for (int i = 0; i < size; i++) {
            MPI_Aint lb, extent;
            if (sum > INT_MAX) {
                PyErr_SetString(PyExc_OverflowError,
                                "message: displacements exceed 2**31-1");
                goto error;
            }
            m->displs[i] = (int)sum;
            CMPI_CHK(st, MPI_Type_get_extent(m->types[i], &lb, &extent));
            sum += (long long)m->counts[i] * extent;
        }
    }
    if (bottom) {
        if (buf == Py_None && cmpi_none_counts(m->counts, size) < 0) {
            goto error;
        }
        m->addr = buf == Py_None ? NULL : MPI_BOTTOM;
        return 0;
    }
    int flags = PyBUF_ANY_CONTIGUOUS;
    if (recv) {
        flags |= PyBUF_WRITABLE;
    }
    if (cmpi_get_buffer(buf, &m->view, flags) < 0) {
        msg_not_a_buffer(buf, recv);
        goto error;
    }
    m->addr = m->view.buf;
    for (int i = 0; i < size; i++) {
        MPI_Aint lb, extent, tlb, textent;
        if (m->counts[i] == 0) {
            continue;
        }
        CMPI_CHK(st, MPI_Type_get_extent(m->types[i], &lb, &extent));
        CMPI_CHK(st, MPI_Type_get_true_extent(m->types[i], &tlb, &textent));
        MPI_Aint end = m->displs[i] + (MPI_Aint)(m->counts[i] - 1) * extent +
                       tlb + textent;
        if (end > (MPI_Aint)m->view.len) {
            PyErr_Format(PyExc_ValueError,
                         "message: rank %d's block (displacement %d bytes, "
                         "count %d) runs past the end of a buffer of %zd "
                         "bytes",
                         i, m->displs[i], m->counts[i], m->view.len);
            goto error;
        }
    }
    return 0;
error:
    cmpi_msgv_release(m);
    return -1;
}

#undef CMPI_NPY_C_CONTIGUOUS
#undef CMPI_NPY_F_CONTIGUOUS
#undef CMPI_NPY_ALIGNED
#undef CMPI_NPY_WRITEABLE
#undef CMPI_NPY_WARN_ON_WRITE
