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
        if (f[1] == 'f' && itemsize == 8)
            return MPI_C_FLOAT_COMPLEX;
        if (f[1] == 'd' && itemsize == 16)
            return MPI_C_DOUBLE_COMPLEX;
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
    if (kind == 'f' && itemsize == 4)
        return MPI_FLOAT;
    if (kind == 'd' && itemsize == 8)
        return MPI_DOUBLE;
    if (kind == '?' && itemsize == 1)
        return MPI_C_BOOL;
    if (kind == 'c' && itemsize == 1)
        return MPI_CHAR;
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
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_KeyError,
                         "message: unknown typecode %R for a datatype", obj);
        return -1;
    }
    PyErr_Format(PyExc_TypeError,
                 "message: expected a Datatype or a typecode string, got "
                 "%.100s",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

static void
cmpi_msg_release(cmpi_msg *m)
{
    if (m->view.obj != NULL)
        PyBuffer_Release(&m->view);
    if (m->big != MPI_DATATYPE_NULL)
        MPI_Type_free(&m->big);
}

/* The request now owns the message's buffer, until it completes.  A big
 * type may go now: MPI keeps what a posted operation needs. */
static void
cmpi_msg_give(RequestObject *r, cmpi_msg *m)
{
    if (m->view.obj != NULL)
        r->views[r->nviews++] = m->view;
    m->view.obj = NULL;
    if (m->big != MPI_DATATYPE_NULL)
        MPI_Type_free(&m->big);
}

/* count elements of dtype as one element of a derived type, for counts
 * beyond the C int of the MPI-3 API: blocks of 2**26 elements, then the
 * rest.  So no message has a size limit. */
static int
msg_big_type(cmpi_state *st, cmpi_msg *m, MPI_Aint count)
{
    const MPI_Aint chunk = (MPI_Aint)1 << 26;
    MPI_Datatype block, t;
    int ierr = MPI_Type_contiguous((int)chunk, m->dtype, &block);
    if (ierr != MPI_SUCCESS)
        goto error;
    MPI_Aint q = count / chunk, r = count % chunk;
    if (q > INT_MAX) {
        MPI_Type_free(&block);
        PyErr_SetString(PyExc_OverflowError, "message: count too large");
        return -1;
    }
    if (r == 0) {
        ierr = MPI_Type_contiguous((int)q, block, &t);
    }
    else {
        int lens[2] = {(int)q, (int)r};
        MPI_Aint displs[2] = {0, q * chunk * m->extent};
        MPI_Datatype types[2] = {block, m->dtype};
        ierr = MPI_Type_create_struct(2, lens, displs, types, &t);
    }
    MPI_Type_free(&block);
    if (ierr == MPI_SUCCESS)
        ierr = MPI_Type_commit(&t);
    if (ierr != MPI_SUCCESS)
        goto error;
    m->big = m->dtype = t;
    m->count = 1;
    return 0;
error:
    cmpi_raise(st, ierr);
    return -1;
}

static CMPI_NOINLINE int
msg_not_a_buffer(PyObject *buf, int recv)
{
    if (PyErr_ExceptionMatches(PyExc_BufferError) && recv &&
        PyObject_CheckBuffer(buf)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "message: a receive buffer must be writable, got a "
                     "read-only %.100s",
                     Py_TYPE(buf)->tp_name);
        return -1;
    }
    if (PyObject_CheckBuffer(buf))
        return -1; /* keep the exporter's own explanation */
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
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < 0) {
        PyErr_Format(PyExc_ValueError, "message: negative %s %zd", what, v);
        return -1;
    }
    *out = (MPI_Aint)v;
    return 0;
}

/* The bytes that `count` elements of `dtype`, starting `displ` elements
 * into a buffer of `len` bytes, read or write must all lie inside it.
 * Comparing count * extent with the length is not enough for a derived
 * datatype: its data can start before the buffer (a negative true lower
 * bound) or reach past its extent (resized smaller than its true
 * extent), and a zero or negative extent stacks elements on one spot or
 * backwards. */
static int
msg_check_footprint(cmpi_state *st, MPI_Datatype dtype, MPI_Aint extent,
                    MPI_Aint len, MPI_Aint displ, MPI_Aint count,
                    const char *what)
{
    MPI_Aint tlb, text;
    int size;
    if (count <= 0)
        return 0;
    /* A type without data touches nothing; its true bounds may be
     * sentinels (Open MPI reports a lower bound near 2**63). */
    CMPI_CHK(st, MPI_Type_size(dtype, &size));
    if (size == 0)
        return 0;
    CMPI_CHK(st, MPI_Type_get_true_extent(dtype, &tlb, &text));
    if (text <= 0)
        return 0;
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

static int
cmpi_msg_parse(cmpi_state *st, PyObject *spec, cmpi_msg *m, int recv,
               int null_ok)
{
    PyObject *buf = spec, *ocount = NULL, *odispl = NULL, *otype = NULL;
    int listed = 0;
    m->view.obj = NULL;
    m->addr = NULL;
    m->count = 0;
    m->dtype = MPI_BYTE;
    m->extent = 1;
    m->big = MPI_DATATYPE_NULL;

    if (PyList_Check(spec) || PyTuple_Check(spec)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
        PyObject **items = PySequence_Fast_ITEMS(spec);
        listed = 1;
        switch (n) {
            case 2:
                buf = items[0];
                if (PyLong_Check(items[1]) || PyTuple_Check(items[1]))
                    ocount = items[1];
                else
                    otype = items[1];
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
                        PyExc_TypeError,
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
        if (ocount == Py_None)
            ocount = NULL;
        if (odispl == Py_None)
            odispl = NULL;
        if (otype == Py_None)
            otype = NULL;
    }

    if (otype != NULL && cmpi_dtype_from_object(st, otype, &m->dtype) < 0)
        return -1;

    if (buf == Py_None || buf == st->BOTTOM) {
        if (buf == Py_None && !null_ok && !listed) {
            PyErr_SetString(PyExc_TypeError,
                            "message: a buffer is required here, got None");
            return -1;
        }
        MPI_Aint count = 0;
        if (ocount != NULL && msg_count_arg(ocount, &count, "count") < 0)
            return -1;
        if (count > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError,
                            "message: count exceeds 2**31-1");
            return -1;
        }
        m->addr = buf == Py_None ? NULL : MPI_BOTTOM;
        m->count = (int)count;
        return 0;
    }

    int flags = PyBUF_ANY_CONTIGUOUS | PyBUF_FORMAT;
    if (recv)
        flags |= PyBUF_WRITABLE;
    if (CMPI_UNLIKELY(PyObject_GetBuffer(buf, &m->view, flags) < 0))
        return msg_not_a_buffer(buf, recv);

    if (otype == NULL) {
        if (cmpi_buffer_datatype(st, &m->view, &m->dtype) < 0)
            goto error;
        m->extent = m->view.format == NULL ? 1 : m->view.itemsize;
    }
    else {
        MPI_Aint lb;
        CMPI_CHK(st, MPI_Type_get_extent(m->dtype, &lb, &m->extent));
        if (m->dtype == MPI_DATATYPE_NULL) {
            PyErr_SetString(PyExc_ValueError,
                            "message: datatype is DATATYPE_NULL");
            goto error;
        }
    }

    MPI_Aint len = (MPI_Aint)m->view.len, displ = 0, count;
    if (odispl != NULL && msg_count_arg(odispl, &displ, "displacement") < 0)
        goto error;
    if (m->extent <= 0) {
        count = 0;
        if (ocount != NULL && msg_count_arg(ocount, &count, "count") < 0)
            goto error;
    }
    else if (ocount != NULL) {
        if (msg_count_arg(ocount, &count, "count") < 0)
            goto error;
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
    if (otype != NULL && msg_check_footprint(st, m->dtype, m->extent, len,
                                             displ, count, "") < 0)
        goto error;
    m->addr = (char *)m->view.buf + displ * m->extent;
    if (count > INT_MAX)
        return msg_big_type(st, m, count) < 0 ? (cmpi_msg_release(m), -1) : 0;
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

static int
msgv_ints(PyObject *obj, int n, int *out, const char *what)
{
    if (PyLong_Check(obj)) {
        int v;
        if (cmpi_as_int(obj, &v, what) < 0)
            return -1;
        for (int i = 0; i < n; i++) out[i] = v;
        return 0;
    }
    PyObject *seq = PySequence_Fast(obj,
                                    "message: counts and displacements "
                                    "must be integers or sequences");
    if (seq == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError,
                     "message: %s has %zd entries, expected one per rank "
                     "(%d)",
                     what, PySequence_Fast_GET_SIZE(seq), n);
        Py_DECREF(seq);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (cmpi_as_int(PySequence_Fast_GET_ITEM(seq, i), &out[i], what) < 0) {
            Py_DECREF(seq);
            return -1;
        }
        if (out[i] < 0) {
            PyErr_Format(PyExc_ValueError, "message: negative %s %d at %d",
                         what, out[i], i);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static void
cmpi_msgv_release(cmpi_msgv *m)
{
    if (m->view.obj != NULL)
        PyBuffer_Release(&m->view);
    PyMem_Free(m->counts);
    m->counts = m->displs = NULL;
}

static int
cmpi_msgv_parse(cmpi_state *st, PyObject *spec, cmpi_msgv *m, int size,
                int recv, int null_ok)
{
    PyObject *buf = spec, *ocounts = NULL, *odispls = NULL, *otype = NULL;
    int listed = 0;
    memset(m, 0, sizeof(*m));
    m->dtype = MPI_BYTE;
    m->extent = 1;
    if (PyList_Check(spec) || PyTuple_Check(spec)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
        PyObject **items = PySequence_Fast_ITEMS(spec);
        listed = 1;
        buf = n > 0 ? items[0] : NULL;
        if (n == 2) {
            PyObject *x = items[1];
            if (PyObject_TypeCheck(x, st->Datatype_Type) || PyUnicode_Check(x))
                otype = x;
            else
                ocounts = x;
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
            PyErr_Format(PyExc_TypeError,
                         "message: expected a buffer or a list [buf, counts, "
                         "displs, datatype], got a list of length %zd",
                         n);
            return -1;
        }
        if (ocounts != NULL && PyTuple_Check(ocounts) && odispls == NULL &&
            PyTuple_GET_SIZE(ocounts) == 2 &&
            !PyLong_Check(PyTuple_GET_ITEM(ocounts, 0))) {
            odispls = PyTuple_GET_ITEM(ocounts, 1);
            ocounts = PyTuple_GET_ITEM(ocounts, 0);
        }
        if (ocounts == Py_None)
            ocounts = NULL;
        if (odispls == Py_None)
            odispls = NULL;
        if (otype == Py_None)
            otype = NULL;
    }
    m->counts = PyMem_New(int, 2 * (size_t)(size > 0 ? size : 1));
    if (m->counts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    m->displs = m->counts + size;
    if (otype != NULL && cmpi_dtype_from_object(st, otype, &m->dtype) < 0)
        goto error;
    if (buf == Py_None || buf == st->BOTTOM) {
        if (buf == Py_None && !null_ok && !listed) {
            PyErr_SetString(PyExc_TypeError,
                            "message: a buffer is required here, got None");
            goto error;
        }
        m->addr = buf == Py_None ? NULL : MPI_BOTTOM;
        if (ocounts == NULL) {
            for (int i = 0; i < size; i++) m->counts[i] = m->displs[i] = 0;
            return 0;
        }
        if (msgv_ints(ocounts, size, m->counts, "counts") < 0)
            goto error;
        goto displs;
    }
    int flags = PyBUF_ANY_CONTIGUOUS | PyBUF_FORMAT;
    if (recv)
        flags |= PyBUF_WRITABLE;
    if (PyObject_GetBuffer(buf, &m->view, flags) < 0) {
        msg_not_a_buffer(buf, recv);
        goto error;
    }
    m->addr = m->view.buf;
    if (otype == NULL) {
        if (cmpi_buffer_datatype(st, &m->view, &m->dtype) < 0)
            goto error;
        m->extent = m->view.format == NULL ? 1 : m->view.itemsize;
    }
    else {
        MPI_Aint lb;
        CMPI_CHK(st, MPI_Type_get_extent(m->dtype, &lb, &m->extent));
    }
    MPI_Aint nitems = m->extent > 0 ? (MPI_Aint)m->view.len / m->extent : 0;
    if (ocounts == NULL) {
        if (size <= 0 || nitems % size != 0) {
            PyErr_Format(PyExc_ValueError,
                         "message: buffer of %zd elements does not split "
                         "evenly over %d ranks; give the counts",
                         (Py_ssize_t)nitems, size);
            goto error;
        }
        for (int i = 0; i < size; i++) m->counts[i] = (int)(nitems / size);
    }
    else if (msgv_ints(ocounts, size, m->counts, "counts") < 0) {
        goto error;
    }
displs:
    if (odispls != NULL) {
        if (msgv_ints(odispls, size, m->displs, "displs") < 0)
            goto error;
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
        for (int i = 0; i < size; i++)
            if (msg_check_footprint(st, m->dtype, m->extent,
                                    (MPI_Aint)m->view.len, m->displs[i],
                                    m->counts[i], "block ") < 0)
                goto error;
    }
    return 0;
error:
    cmpi_msgv_release(m);
    return -1;
}
