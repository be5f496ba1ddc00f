/*
 * pack.c -- Datatype.Pack, Unpack and their size queries, in the native
 * and the external32 representations.
 */
#include "cmpi.h"

/* The unpacked side of Pack/Unpack, in self's datatype: a buffer holds
 * as many whole elements as fit (as in mpi4py); [buf, count],
 * [buf, count, displ] or [buf, (count, displ)] give the count, and a
 * datatype there, if any, must be self.  Every byte the elements touch
 * must lie inside the buffer. */
static int
pack_msg(DatatypeObject *self, PyObject *spec, cmpi_msg *m, int recv,
         const char *what)
{
    cmpi_state *st = self->st;
    PyObject *buf = spec, *ocount = NULL, *odispl = NULL, *otype = NULL;
    PyObject *norm = NULL;
    int rc = -1;
    m->view.obj = NULL;
    if (PyList_Check(spec) || PyTuple_Check(spec)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
        PyObject **items = PySequence_Fast_ITEMS(spec);
        if (n < 2 || n > 4) {
            return cmpi_msg_parse(st, spec, m, recv); /* its error */
        }
        buf = items[0];
        if (n == 2) {
            if (PyObject_TypeCheck(items[1], st->Datatype_Type) ||
                PyUnicode_Check(items[1])) {
                otype = items[1];
            }
            else {
                ocount = items[1];
            }
        }
        else {
            ocount = items[1];
            otype = items[n - 1];
            if (n == 4) {
                odispl = items[2];
            }
        }
        if (otype == Py_None) {
            otype = NULL;
        }
        if (ocount == Py_None) {
            ocount = NULL;
        }
        if (otype != NULL) {
            MPI_Datatype t;
            if (cmpi_dtype_from_object(st, otype, &t) < 0) {
                return -1;
            }
            if (t != self->ob_mpi) { /* TypeError: mpi4py takes no spec */
                PyErr_Format(PyExc_TypeError,
                             "%s: the message datatype must be the datatype "
                             "being packed",
                             what);
                return -1;
            }
        }
    }
    if (buf == Py_None || buf == st->BOTTOM) {
        PyErr_Format(PyExc_TypeError, "%s: a buffer is required", what);
        return -1;
    }
    if (ocount == NULL) {
        /* As many whole elements as the buffer holds. */
        Py_buffer v;
        MPI_Aint lb = 0, extent = 0;
        if (cmpi_get_buffer(buf, &v, PyBUF_ANY_CONTIGUOUS) < 0) {
            return -1;
        }
        Py_ssize_t len = v.len;
        PyBuffer_Release(&v);
        int ierr = MPI_Type_get_extent(self->ob_mpi, &lb, &extent);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(st, ierr);
            return -1;
        }
        Py_ssize_t count = extent > 0 ? len / (Py_ssize_t)extent : 0;
        norm = Py_BuildValue("[OnO]", buf, count, (PyObject *)self);
    }
    else if (odispl != NULL) {
        norm = Py_BuildValue("[OOOO]", buf, ocount, odispl, (PyObject *)self);
    }
    else {
        norm = Py_BuildValue("[OOO]", buf, ocount, (PyObject *)self);
    }
    if (norm == NULL) {
        return -1;
    }
    if (cmpi_msg_parse(st, norm, m, recv) < 0) {
        goto done;
    }
    if (m->view.obj == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: a buffer is required", what);
        goto done;
    }
    int tsize = 0;
    CMPI_CHK(st, MPI_Type_size(self->ob_mpi, &tsize));
    /* A type without data touches nothing, and its true bounds may be
     * sentinels (Open MPI: a lower bound of 2**63-1) that overflow here. */
    if (m->count > 0 && tsize > 0) {
        MPI_Aint tlb = 0, textent = 0, lb = 0, extent = 0;
        CMPI_CHK(st, MPI_Type_get_true_extent(self->ob_mpi, &tlb, &textent));
        CMPI_CHK(st, MPI_Type_get_extent(self->ob_mpi, &lb, &extent));
        long long span = (long long)(m->count - 1) * extent;
        long long lo = (long long)tlb + (span < 0 ? span : 0);
        long long hi = (long long)tlb + textent + (span > 0 ? span : 0);
        long long off = (char *)m->addr - (char *)m->view.buf;
        if (off + lo < 0 || off + hi > (long long)m->view.len) {
            PyErr_Format(PyExc_ValueError,
                         "%s: %d elements of the datatype span bytes %lld to "
                         "%lld of a buffer of %zd bytes",
                         what, m->count, off + lo, off + hi, m->view.len);
            goto error;
        }
    }
    rc = 0;
    goto done;
error:
    cmpi_msg_release(m);
done:
    Py_DECREF(norm);
    return rc;
}

/* How a call uses its packed side: Unpack reads it, Pack writes it. */
enum packed_access {
    PACKED_READ,
    PACKED_WRITE
};

/* The packed side: a plain contiguous buffer of bytes. */
static int
packed_buffer(PyObject *obj, Py_buffer *view, enum packed_access access,
              const char *what)
{
    int writable = access == PACKED_WRITE;
    int flags = PyBUF_ANY_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (cmpi_get_buffer(obj, view, flags) == 0) {
        return 0;
    }
    if (!cmpi_is_exporter(obj)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected a buffer, got %.100s",
                     what, Py_TYPE(obj)->tp_name);
    }
    else if (writable && PyErr_ExceptionMatches(PyExc_BufferError) &&
             cmpi_exporter_read_only(obj)) {
        PyErr_Clear();
        PyErr_Format(PyExc_BufferError,
                     "%s: a writable buffer is required, got a read-only "
                     "%.100s",
                     what, Py_TYPE(obj)->tp_name);
    }
    return -1;
}

static int
comm_arg(cmpi_state *st, PyObject *obj, MPI_Comm *comm)
{
    if (!PyObject_TypeCheck(obj, st->Comm_Type)) {
        PyErr_Format(PyExc_TypeError, "comm: expected a Comm, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (cmpi_comm_check((CommObject *)obj) < 0) {
        return -1;
    }
    *comm = ((CommObject *)obj)->ob_mpi;
    return 0;
}

static int
position_arg(PyObject *obj, Py_ssize_t size, MPI_Aint *out)
{
    Py_ssize_t v;
    if (cmpi_as_ssize(obj, &v, "position") < 0) {
        return -1;
    }
    if (v < 0 || v > size) {
        PyErr_Format(PyExc_ValueError,
                     "position=%zd is outside a packed buffer of %zd bytes", v,
                     size);
        return -1;
    }
    *out = (MPI_Aint)v;
    return 0;
}

#if defined(MPICH_VERSION) || defined(MPI_ABI_VERSION)
/* Does `dt` mix different basic types?  *first is the first basic type
 * seen (MPI_DATATYPE_NULL before any).  -1 if MPI fails. */
static int
mixes_basic_types(MPI_Datatype dt, MPI_Datatype *first)
{
    int ni, na, nc, nd, combiner, mixed = 0;
    if (cmpi_type_envelope(dt, &ni, &na, &nc, &nd, &combiner) != MPI_SUCCESS) {
        return -1;
    }
    if (cmpi_is_named_combiner(combiner)) {
        if (*first == MPI_DATATYPE_NULL) {
            *first = dt;
        }
        return *first != dt;
    }
    cmpi_type_contents c;
    if (cmpi_type_contents_get(dt, &c) != MPI_SUCCESS) {
        PyErr_Clear(); /* a MemoryError: the caller reports -1 its own way */
        return -1;
    }
    for (int k = 0; k < c.nd && mixed == 0; k++) {
        mixed = mixes_basic_types(c.d[k], first);
    }
    cmpi_free_contents_types(c.d, c.nd);
    cmpi_type_contents_release(&c);
    return mixed;
}
#endif

/* MPICH 4.0 and 5.0 die (SIGILL) sizing external32 data of a datatype that
 * mixes basic types, and Intel MPI 2021 packs such data in native byte
 * order: refuse those there instead. */
static int
check_external(cmpi_state *st, MPI_Datatype dt)
{
    if (cmpi_datatype_check_committed(st, dt, "the datatype") < 0) {
        return -1;
    }
#if defined(MPICH_VERSION) || defined(MPI_ABI_VERSION)
    MPI_Datatype first = MPI_DATATYPE_NULL;
    if (
#ifdef MPI_ABI_VERSION
            /* ABI build: the library is known only at run time, and MPICH
             * 5.0 behind libmpi_abi.so still dies here. */
            strcmp(cmpi_abi_vendor(NULL), "MPICH") == 0 &&
#endif
            mixes_basic_types(dt, &first) != 0) {
#ifdef I_MPI_VERSION
        cmpi_raise_msg(st, MPI_ERR_UNSUPPORTED_DATAREP,
                       "Intel MPI " I_MPI_VERSION
                       " packs a datatype that "
                       "mixes basic types in native byte order, not in "
                       "external32 (MPI_Pack_external): refused");
#else
        cmpi_raise_msg(st, MPI_ERR_UNSUPPORTED_DATAREP,
                       "%s cannot pack a datatype that mixes basic types in "
                       "external32 (MPI_Pack_external crashes)",
                       cmpi_library_name());
#endif
        return -1;
    }
#endif
    return 0;
}

static int
datarep_arg(PyObject *obj, const char **out)
{
    Py_ssize_t len;
    const char *s = cmpi_as_mpistr(obj, &len, "datarep");
    if (s == NULL) {
        return -1;
    }
    if (strcmp(s, "external32") != 0) {
        PyErr_Format(PyExc_ValueError,
                     "datarep=%R: the only portable representation is "
                     "'external32'",
                     obj);
        return -1;
    }
    *out = s;
    return 0;
}

static int
count_arg(PyObject *obj, int *out)
{
    if (cmpi_as_int(obj, out, "count") < 0) {
        return -1;
    }
    if (*out < 0) {
        PyErr_Format(PyExc_ValueError, "negative count %d", *out);
        return -1;
    }
    return 0;
}

static CMPI_NOINLINE PyObject *
truncated(cmpi_state *st, const char *what, MPI_Aint need, MPI_Aint pos,
          Py_ssize_t size)
{
    return cmpi_raise_msg(st, MPI_ERR_TRUNCATE,
                          "%s: %zd packed bytes at position %zd do not fit "
                          "in %zd bytes",
                          what, (Py_ssize_t)need, (Py_ssize_t)pos, size);
}

CMPI_DOC(Datatype_Pack_doc, "Pack($self, inbuf, outbuf, position, comm)",
         "Pack into contiguous memory according to datatype; return the "
         "new position.");
static PyObject *
Datatype_Pack(DatatypeObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"inbuf", "outbuf", "position", "comm",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer out = {.obj = NULL};
    MPI_Comm comm;
    MPI_Aint pos;
    PyObject *res = NULL;
    int size = 0, ipos, ierr;
    if (cmpi_parse("Pack", args, nargs, kwnames, kw, 4, a) < 0 ||
        comm_arg(st, a[3], &comm) < 0 ||
        cmpi_datatype_check_committed(st, self->ob_mpi, "the datatype") < 0 ||
        pack_msg(self, a[0], &m, CMPI_MSG_SEND, "inbuf") < 0 ||
        packed_buffer(a[1], &out, PACKED_WRITE, "outbuf") < 0 ||
        position_arg(a[2], out.len, &pos) < 0) {
        goto done;
    }
    CMPI_CHK(st, MPI_Pack_size(m.count, self->ob_mpi, comm, &size));
    if (out.len > INT_MAX || size > out.len - pos) {
        if (out.len > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError,
                            "outbuf: more than 2**31-1 bytes");
        }
        else {
            truncated(st, "outbuf", size, pos, out.len);
        }
        goto done;
    }
    ipos = (int)pos;
    CMPI_NOGIL(ierr = MPI_Pack(m.addr, m.count, self->ob_mpi, out.buf,
                               (int)out.len, &ipos, comm));
    CMPI_CHK(st, ierr);
    res = PyLong_FromLong(ipos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (out.obj != NULL) {
        PyBuffer_Release(&out);
    }
    return res;
}

CMPI_DOC(Datatype_Unpack_doc, "Unpack($self, inbuf, position, outbuf, comm)",
         "Unpack from contiguous memory according to datatype; return the "
         "new position.");
static PyObject *
Datatype_Unpack(DatatypeObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"inbuf", "position", "outbuf", "comm",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer in = {.obj = NULL};
    MPI_Comm comm;
    MPI_Aint pos;
    PyObject *res = NULL;
    int size = 0, ipos, ierr;
    if (cmpi_parse("Unpack", args, nargs, kwnames, kw, 4, a) < 0 ||
        comm_arg(st, a[3], &comm) < 0 ||
        cmpi_datatype_check_committed(st, self->ob_mpi, "the datatype") < 0 ||
        packed_buffer(a[0], &in, PACKED_READ, "inbuf") < 0 ||
        position_arg(a[1], in.len, &pos) < 0 ||
        pack_msg(self, a[2], &m, CMPI_MSG_RECV, "outbuf") < 0) {
        goto done;
    }
    CMPI_CHK(st, MPI_Pack_size(m.count, self->ob_mpi, comm, &size));
    if (in.len > INT_MAX || size > in.len - pos) {
        if (in.len > INT_MAX) {
            PyErr_SetString(PyExc_OverflowError,
                            "inbuf: more than 2**31-1 bytes");
        }
        else {
            truncated(st, "inbuf", size, pos, in.len);
        }
        goto done;
    }
    ipos = (int)pos;
    CMPI_NOGIL(ierr = MPI_Unpack(in.buf, (int)in.len, &ipos, m.addr, m.count,
                                 self->ob_mpi, comm));
    CMPI_CHK(st, ierr);
    res = PyLong_FromLong(ipos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (in.obj != NULL) {
        PyBuffer_Release(&in);
    }
    return res;
}

CMPI_DOC(Datatype_Pack_size_doc, "Pack_size($self, count, comm)",
         "Return an upper bound on the bytes Pack needs for count items.");
static PyObject *
Datatype_Pack_size(DatatypeObject *self, PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"count", "comm", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Comm comm;
    int count, size = 0, is_big = 0;
    Py_ssize_t big = 0;
    if (cmpi_parse("Pack_size", args, nargs, kwnames, kw, 2, a) < 0) {
        return NULL;
    }
    if (count_arg(a[0], &count) < 0) {
        /* past C int: MPI_Pack_size_c, as mpi4py (MPI_Count), or ERR_ARG
         * where the library lacks it (Open MPI 4.1); past MPI_Count,
         * OverflowError */
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
            return NULL;
        }
        PyErr_Clear();
        if (cmpi_as_ssize(a[0], &big, "count") < 0) {
            return NULL;
        }
#if CMPI_HAVE_PACK_SIZE_C
        is_big = 1;
#else
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "invalid argument: count=%zd does not fit in a C int",
                       big);
        return NULL;
#endif
    }
    if (comm_arg(self->st, a[1], &comm) < 0 ||
        cmpi_datatype_check_committed(self->st, self->ob_mpi, "the datatype") <
                0) {
        return NULL;
    }
#if CMPI_HAVE_PACK_SIZE_C
    if (is_big) {
        MPI_Count big_size = 0;
        int ierr =
                MPI_Pack_size_c((MPI_Count)big, self->ob_mpi, comm, &big_size);
        if (ierr != MPI_SUCCESS) {
            return cmpi_raise(self->st, ierr);
        }
        return PyLong_FromLongLong((long long)big_size);
    }
#endif
    (void)is_big;
    int ierr = MPI_Pack_size(count, self->ob_mpi, comm, &size);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(size);
}

CMPI_DOC(Datatype_Pack_external_doc,
         "Pack_external($self, datarep, inbuf, outbuf, position)",
         "Pack into portable (datarep) contiguous memory; return the new "
         "position.");
static PyObject *
Datatype_Pack_external(DatatypeObject *self, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"datarep", "inbuf", "outbuf", "position",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer out = {.obj = NULL};
    const char *datarep;
    MPI_Aint pos, size = 0;
    PyObject *res = NULL;
    int ierr;
    if (cmpi_parse("Pack_external", args, nargs, kwnames, kw, 4, a) < 0 ||
        datarep_arg(a[0], &datarep) < 0 ||
        check_external(st, self->ob_mpi) < 0 ||
        pack_msg(self, a[1], &m, CMPI_MSG_SEND, "inbuf") < 0 ||
        packed_buffer(a[2], &out, PACKED_WRITE, "outbuf") < 0 ||
        position_arg(a[3], out.len, &pos) < 0) {
        goto done;
    }
    CMPI_CHK(st, MPI_Pack_external_size((char *)datarep, m.count, self->ob_mpi,
                                        &size));
    if (size > (MPI_Aint)out.len - pos) {
        truncated(st, "outbuf", size, pos, out.len);
        goto done;
    }
    CMPI_NOGIL(ierr = MPI_Pack_external((char *)datarep, m.addr, m.count,
                                        self->ob_mpi, out.buf,
                                        (MPI_Aint)out.len, &pos));
    CMPI_CHK(st, ierr);
    res = PyLong_FromSsize_t((Py_ssize_t)pos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (out.obj != NULL) {
        PyBuffer_Release(&out);
    }
    return res;
}

CMPI_DOC(Datatype_Unpack_external_doc,
         "Unpack_external($self, datarep, inbuf, position, outbuf)",
         "Unpack from portable (datarep) contiguous memory; return the new "
         "position.");
static PyObject *
Datatype_Unpack_external(DatatypeObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"datarep", "inbuf", "position", "outbuf",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer in = {.obj = NULL};
    const char *datarep;
    MPI_Aint pos, size = 0;
    PyObject *res = NULL;
    int ierr;
    if (cmpi_parse("Unpack_external", args, nargs, kwnames, kw, 4, a) < 0 ||
        datarep_arg(a[0], &datarep) < 0 ||
        check_external(st, self->ob_mpi) < 0 ||
        packed_buffer(a[1], &in, PACKED_READ, "inbuf") < 0 ||
        position_arg(a[2], in.len, &pos) < 0 ||
        pack_msg(self, a[3], &m, CMPI_MSG_RECV, "outbuf") < 0) {
        goto done;
    }
    CMPI_CHK(st, MPI_Pack_external_size((char *)datarep, m.count, self->ob_mpi,
                                        &size));
    if (size > (MPI_Aint)in.len - pos) {
        truncated(st, "inbuf", size, pos, in.len);
        goto done;
    }
    CMPI_NOGIL(ierr = MPI_Unpack_external((char *)datarep, in.buf,
                                          (MPI_Aint)in.len, &pos, m.addr,
                                          m.count, self->ob_mpi));
    CMPI_CHK(st, ierr);
    res = PyLong_FromSsize_t((Py_ssize_t)pos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (in.obj != NULL) {
        PyBuffer_Release(&in);
    }
    return res;
}

CMPI_DOC(Datatype_Pack_external_size_doc,
         "Pack_external_size($self, datarep, count)",
         "Return the bytes Pack_external needs for count items.");
static PyObject *
Datatype_Pack_external_size(DatatypeObject *self, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"datarep", "count", NULL};
    PyObject *a[2] = {NULL, NULL};
    const char *datarep;
    int count;
    MPI_Aint size = 0;
    if (cmpi_parse("Pack_external_size", args, nargs, kwnames, kw, 2, a) < 0 ||
        datarep_arg(a[0], &datarep) < 0 || count_arg(a[1], &count) < 0 ||
        check_external(self->st, self->ob_mpi) < 0) {
        return NULL;
    }
    int ierr = MPI_Pack_external_size((char *)datarep, count, self->ob_mpi,
                                      &size);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromSsize_t((Py_ssize_t)size);
}
