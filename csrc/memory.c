/*
 * memory.c -- MPI.buffer (alias MPI.memory): a flat byte buffer over
 * memory owned by another object, by MPI (Alloc_mem, a window) or by
 * nobody (fromaddress); Alloc_mem/Free_mem; Get_address, Aint_add and
 * Aint_diff.
 *
 * No view is left pointing at freed memory: a buffer that has exported
 * its memory (a NumPy array made from it, a slice of it) and is released
 * keeps what owns the memory until the exports are gone, and memory from
 * Alloc_mem is not freed (nor released) while exports exist.
 */
#include "cmpi.h"

typedef struct {
    PyObject_HEAD
    char *buf;
    Py_ssize_t len;
    int readonly;
    int mpimem;      /* from MPI_Alloc_mem: Free_mem may free it */
    Py_buffer view;  /* view.obj != NULL: the memory of another object */
    PyObject *owner; /* else what keeps the memory alive (a Win), or NULL */
    Py_ssize_t exports;
    cmpi_state *st;
    int device; /* memory on a device: Python cannot read it */
    /* What a release() with live exports let go of: kept until the last
     * export goes, so no view points at freed memory. */
    Py_buffer held;
    PyObject *held_owner;
} BufferObject;

/* Address of empty buffers: NumPy and memoryview prefer non-NULL. */
static char cmpi_buffer_empty[1];

static BufferObject *
buffer_alloc(cmpi_state *st, PyTypeObject *type)
{
    BufferObject *b = (BufferObject *)type->tp_alloc(type, 0);
    if (b == NULL) {
        return NULL;
    }
    b->buf = cmpi_buffer_empty;
    b->len = 0;
    b->readonly = 0;
    b->mpimem = 0;
    b->view.obj = NULL;
    b->owner = NULL;
    b->exports = 0;
    b->st = st;
    b->device = 0;
    b->held.obj = NULL;
    b->held_owner = NULL;
    return b;
}

/* A buffer over [addr, addr+n) kept alive by `owner` (may be NULL). */
CMPI_UNUSED static PyObject *
cmpi_buffer_new(cmpi_state *st, void *addr, Py_ssize_t n,
                enum cmpi_buffer_access access, PyObject *owner)
{
    BufferObject *b = buffer_alloc(st, st->Buffer_Type);
    if (b == NULL) {
        return NULL;
    }
    b->buf = (addr == NULL || n == 0) ? cmpi_buffer_empty : (char *)addr;
    b->len = n;
    b->readonly = access == CMPI_BUFFER_READONLY;
    b->owner = Py_XNewRef(owner);
    return (PyObject *)b;
}

/* A buffer over the memory another object exports (read-only if asked,
 * or if the exporter allows no more). */
static PyObject *
buffer_from_object(cmpi_state *st, PyTypeObject *type, PyObject *obj,
                   enum cmpi_buffer_access access)
{
    int readonly = access == CMPI_BUFFER_READONLY;
    BufferObject *b = buffer_alloc(st, type);
    if (b == NULL) {
        return NULL;
    }
    int flags = PyBUF_ANY_CONTIGUOUS | (readonly ? 0 : PyBUF_WRITABLE);
    if (cmpi_get_buffer_dev(obj, &b->view, flags, &b->device) < 0) {
        b->view.obj = NULL;
        Py_DECREF(b);
        if (!cmpi_is_exporter(obj)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "expected an object with the buffer interface, got "
                         "%.100s",
                         Py_TYPE(obj)->tp_name);
        }
        return NULL;
    }
    b->buf = b->view.buf != NULL ? (char *)b->view.buf : cmpi_buffer_empty;
    b->len = b->view.len;
    b->readonly = readonly || b->view.readonly;
    return (PyObject *)b;
}

static void
buffer_drop(BufferObject *self)
{
    if (self->view.obj != NULL) {
        PyBuffer_Release(&self->view);
    }
    Py_CLEAR(self->owner);
    self->buf = cmpi_buffer_empty;
    self->len = 0;
    self->readonly = 0;
    self->mpimem = 0;
    self->device = 0;
}

static void
buffer_drop_held(BufferObject *self)
{
    if (self->held.obj != NULL) {
        PyBuffer_Release(&self->held);
    }
    Py_CLEAR(self->held_owner);
}

static int
buffer_check_host(BufferObject *self)
{
    if (self->device) {
        PyErr_SetString(PyExc_BufferError,
                        "the buffer is device memory: Python cannot access "
                        "it");
        return -1;
    }
    return 0;
}

static int
buffer_check_unexported(BufferObject *self, const char *what)
{
    if (self->exports > 0) {
        PyErr_Format(PyExc_BufferError,
                     "%s: the buffer has %zd active export%s (arrays or "
                     "views made from it); release them first",
                     what, self->exports, self->exports == 1 ? "" : "s");
        return -1;
    }
    return 0;
}

static PyObject *
Buffer_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"buf", NULL};
    PyObject *obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:buffer", kwlist, &obj)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    if (obj == NULL) {
        return (PyObject *)buffer_alloc(st, type);
    }
    /* writable if the object allows it, else read-only */
    PyObject *b = buffer_from_object(st, type, obj, CMPI_BUFFER_WRITABLE);
    if (b == NULL && PyErr_ExceptionMatches(PyExc_BufferError)) {
        PyErr_Clear();
        b = buffer_from_object(st, type, obj, CMPI_BUFFER_READONLY);
    }
    return b;
}

static int
Buffer_traverse(BufferObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->view.obj);
    Py_VISIT(self->owner);
    Py_VISIT(self->held.obj);
    Py_VISIT(self->held_owner);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

/* Breaks buffer -> owner (a window) -> ... -> buffer, and cycles through
 * the object whose memory this is.  Only while nothing exports the
 * memory: an export in the same garbage (a memoryview over this buffer)
 * may still point at it; a later collection, once that export is gone,
 * lets go.  Memory from Alloc_mem holds no Python object and stays as it
 * is.  A method called after a clear sees an empty buffer. */
static int
Buffer_clear(BufferObject *self)
{
    if (self->exports == 0 &&
        (self->view.obj != NULL || self->owner != NULL)) {
        buffer_drop(self);
    }
    return 0;
}

static void
Buffer_dealloc(BufferObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    buffer_drop(self);
    buffer_drop_held(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static int
Buffer_getbuffer(BufferObject *self, Py_buffer *view, int flags)
{
    if (buffer_check_host(self) < 0) {
        return -1;
    }
    if (PyBuffer_FillInfo(view, (PyObject *)self, self->buf, self->len,
                          self->readonly, flags) < 0) {
        return -1;
    }
    self->exports++;
    return 0;
}

static void
Buffer_releasebuffer(BufferObject *self, Py_buffer *Py_UNUSED(view))
{
    if (--self->exports == 0) {
        buffer_drop_held(self);
    }
}

static Py_ssize_t
Buffer_length(BufferObject *self)
{
    return self->len;
}

static int
buffer_index(BufferObject *self, PyObject *key, Py_ssize_t *i)
{
    Py_ssize_t k = PyNumber_AsSsize_t(key, PyExc_IndexError);
    if (k == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (k < 0) {
        k += self->len;
    }
    if (k < 0 || k >= self->len) {
        PyErr_SetString(PyExc_IndexError, "buffer index out of range");
        return -1;
    }
    *i = k;
    return 0;
}

static int
buffer_slice(BufferObject *self, PyObject *key, Py_ssize_t *start,
             Py_ssize_t *n)
{
    Py_ssize_t stop, step;
    if (PySlice_Unpack(key, start, &stop, &step) < 0) {
        return -1;
    }
    *n = PySlice_AdjustIndices(self->len, start, &stop, step);
    if (step != 1) {
        PyErr_SetString(PyExc_IndexError,
                        "buffer slices must be contiguous (step 1)");
        return -1;
    }
    return 0;
}

static PyObject *
Buffer_subscript(BufferObject *self, PyObject *key)
{
    if (buffer_check_host(self) < 0) {
        return NULL;
    }
    if (PyIndex_Check(key)) {
        Py_ssize_t i;
        if (buffer_index(self, key, &i) < 0) {
            return NULL;
        }
        return PyLong_FromLong((unsigned char)self->buf[i]);
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, n;
        if (buffer_slice(self, key, &start, &n) < 0) {
            return NULL;
        }
        /* the slice holds an export of this buffer: memory stays put */
        BufferObject *b = buffer_alloc(self->st, Py_TYPE(self));
        if (b == NULL) {
            return NULL;
        }
        if (Buffer_getbuffer(self, &b->view, PyBUF_SIMPLE) < 0) {
            b->view.obj = NULL;
            Py_DECREF(b);
            return NULL;
        }
        b->buf = self->buf + start;
        b->len = n;
        b->readonly = self->readonly;
        return (PyObject *)b;
    }
    PyErr_Format(PyExc_TypeError,
                 "buffer indices must be integers or slices, not %.100s",
                 Py_TYPE(key)->tp_name);
    return NULL;
}

static int
Buffer_ass_subscript(BufferObject *self, PyObject *key, PyObject *value)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_NotImplementedError,
                        "cannot delete buffer items");
        return -1;
    }
    if (buffer_check_host(self) < 0) {
        return -1;
    }
    if (self->readonly) {
        PyErr_SetString(PyExc_TypeError, "cannot modify a read-only buffer");
        return -1;
    }
    if (PyIndex_Check(key)) {
        Py_ssize_t i;
        int v;
        if (buffer_index(self, key, &i) < 0 ||
            cmpi_as_int(value, &v, "byte value") < 0) {
            return -1;
        }
        if (v < 0 || v > 255) {
            PyErr_Format(PyExc_ValueError,
                         "byte value must be in range(0, 256), got %d", v);
            return -1;
        }
        self->buf[i] = (char)v;
        return 0;
    }
    if (PySlice_Check(key)) {
        Py_ssize_t start, n;
        Py_buffer src;
        if (buffer_slice(self, key, &start, &n) < 0) {
            return -1;
        }
        if (PyIndex_Check(value)) {
            /* an integer fills the slice with that byte */
            long v = PyLong_AsLong(value);
            if (v == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (v < 0 || v > 255) {
                PyErr_Format(PyExc_ValueError,
                             "byte value must be in range(0, 256), got %ld",
                             v);
                return -1;
            }
            if (n) {
                memset(self->buf + start, (int)v, (size_t)n);
            }
            return 0;
        }
        if (PyObject_GetBuffer(value, &src, PyBUF_ANY_CONTIGUOUS) < 0) {
            return -1;
        }
        if (src.len != n) {
            PyErr_Format(PyExc_ValueError,
                         "buffer slice assignment: the slice has %zd bytes, "
                         "the value %zd",
                         n, src.len);
            PyBuffer_Release(&src);
            return -1;
        }
        if (n) {
            memmove(self->buf + start, src.buf, (size_t)n);
        }
        PyBuffer_Release(&src);
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "buffer indices must be integers or slices, not %.100s",
                 Py_TYPE(key)->tp_name);
    return -1;
}

CMPI_DOC(Buffer_allocate_doc, "allocate(nbytes, clear=False)",
         "Allocate a new buffer of `nbytes` bytes (zeroed if `clear`).");
static PyObject *
Buffer_allocate(PyObject *Py_UNUSED(cls), PyObject *const *args,
                Py_ssize_t nargs, PyObject *kwnames);

CMPI_DOC(Buffer_frombuffer_doc, "frombuffer(obj, readonly=False)",
         "A buffer over the memory of `obj` (an object with the buffer "
         "interface, DLPack or the CUDA array interface), read-only if asked "
         "or if `obj` is.");
static PyObject *
Buffer_frombuffer(PyObject *Py_UNUSED(cls), PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames);

CMPI_DOC(Buffer_fromaddress_doc,
         "fromaddress(address, nbytes, readonly=False)",
         "A buffer over `nbytes` bytes at the integer `address` (memory the "
         "caller keeps valid).");
static PyObject *
Buffer_fromaddress(PyObject *Py_UNUSED(cls), PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames);

static int
nbytes_arg(PyObject *obj, Py_ssize_t *out)
{
    Py_ssize_t n;
    if (cmpi_as_ssize(obj, &n, "nbytes") < 0) {
        return -1;
    }
    if (n < 0) {
        PyErr_Format(PyExc_ValueError, "nbytes must be >= 0, got %zd", n);
        return -1;
    }
    *out = n;
    return 0;
}

static void
rawmem_free(PyObject *capsule)
{
    PyMem_RawFree(PyCapsule_GetPointer(capsule, "cmpi.memory"));
}

static PyObject *
Buffer_allocate(PyObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"nbytes", "clear", NULL};
    PyObject *a[2] = {NULL, NULL};
    Py_ssize_t n;
    int clear = 0;
    cmpi_state *st = cmpi_type_state((PyTypeObject *)cls);
    if (st == NULL ||
        cmpi_parse("allocate", args, nargs, kwnames, kw, 1, a) < 0 ||
        nbytes_arg(a[0], &n) < 0 ||
        (a[1] != NULL && (clear = PyObject_IsTrue(a[1])) < 0)) {
        return NULL;
    }
    /* The memory is owned by a capsule, so that clear=True is calloc: the
     * kernel's zero pages, not a memset of every byte (4 GiB took 3 s).
     * The buffer's `obj` is a second buffer over that memory holding the
     * capsule: as in mpi4py, `obj` exports the memory (memoryview(obj)). */
    /* even 0 bytes get an address of their own, as in mpi4py */
    size_t size = n > 0 ? (size_t)n : 1;
    void *mem = clear ? PyMem_RawCalloc(size, 1) : PyMem_RawMalloc(size);
    if (mem == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *owner = PyCapsule_New(mem, "cmpi.memory", rawmem_free);
    if (owner == NULL) {
        PyMem_RawFree(mem);
        return NULL;
    }
    BufferObject *exporter = buffer_alloc(st, (PyTypeObject *)cls);
    if (exporter == NULL) {
        Py_DECREF(owner);
        return NULL;
    }
    exporter->buf = (char *)mem;
    exporter->len = n;
    exporter->owner = owner; /* the reference made above */
    BufferObject *b = buffer_alloc(st, (PyTypeObject *)cls);
    if (b != NULL) {
        b->buf = (char *)mem;
        b->len = n;
        b->owner = Py_NewRef((PyObject *)exporter);
    }
    Py_DECREF(exporter);
    return (PyObject *)b;
}

static PyObject *
Buffer_frombuffer(PyObject *cls, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"obj", "readonly", NULL};
    PyObject *a[2] = {NULL, NULL};
    int readonly = 0;
    cmpi_state *st = cmpi_type_state((PyTypeObject *)cls);
    if (st == NULL ||
        cmpi_parse("frombuffer", args, nargs, kwnames, kw, 1, a) < 0 ||
        (a[1] != NULL && (readonly = PyObject_IsTrue(a[1])) < 0)) {
        return NULL;
    }
    return buffer_from_object(
            st, (PyTypeObject *)cls, a[0],
            readonly ? CMPI_BUFFER_READONLY : CMPI_BUFFER_WRITABLE);
}

static PyObject *
Buffer_fromaddress(PyObject *cls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const kw[] = {"address", "nbytes", "readonly", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    Py_ssize_t n;
    int readonly = 0;
    cmpi_state *st = cmpi_type_state((PyTypeObject *)cls);
    if (st == NULL ||
        cmpi_parse("fromaddress", args, nargs, kwnames, kw, 2, a) < 0 ||
        nbytes_arg(a[1], &n) < 0 ||
        (a[2] != NULL && (readonly = PyObject_IsTrue(a[2])) < 0)) {
        return NULL;
    }
    if (!PyLong_Check(a[0])) {
        PyErr_Format(PyExc_TypeError, "address must be an int, not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    void *addr = PyLong_AsVoidPtr(a[0]);
    if (addr == NULL && PyErr_Occurred()) {
        return NULL;
    }
    if (addr == NULL && n > 0) {
        PyErr_Format(PyExc_ValueError, "address is NULL but nbytes is %zd", n);
        return NULL;
    }
    BufferObject *b = buffer_alloc(st, (PyTypeObject *)cls);
    if (b == NULL) {
        return NULL;
    }
    b->buf = addr != NULL ? (char *)addr : cmpi_buffer_empty;
    b->len = n;
    b->readonly = readonly;
    return (PyObject *)b;
}

static PyObject *
Buffer_get_address(BufferObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr(self->buf == cmpi_buffer_empty ? NULL
                                                             : self->buf);
}

static PyObject *
Buffer_get_nbytes(BufferObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromSsize_t(self->len);
}

static PyObject *
Buffer_get_readonly(BufferObject *self, void *Py_UNUSED(c))
{
    return PyBool_FromLong(self->readonly);
}

/* The object whose memory this is (borrowed), or NULL. */
static PyObject *
buffer_obj(BufferObject *self)
{
    return self->owner ? self->owner : self->view.obj;
}

static PyObject *
Buffer_get_obj(BufferObject *self, void *Py_UNUSED(c))
{
    PyObject *o = buffer_obj(self);
    return Py_NewRef(o ? o : Py_None);
}

static PyObject *
Buffer_get_format(BufferObject *Py_UNUSED(self), void *Py_UNUSED(c))
{
    return PyUnicode_FromString("B");
}

static PyObject *
Buffer_get_itemsize(BufferObject *Py_UNUSED(self), void *Py_UNUSED(c))
{
    return PyLong_FromLong(1);
}

CMPI_DOC(Buffer_tobytes_doc, "tobytes($self, order=None)",
         "Return a copy of the memory as bytes.");
static PyObject *
Buffer_tobytes(BufferObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"order", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("tobytes", args, nargs, kwnames, kw, 0, a) < 0 ||
        buffer_check_host(self) < 0) {
        return NULL;
    }
    return PyBytes_FromStringAndSize(self->buf, self->len);
}

CMPI_DOC(Buffer_toreadonly_doc, "toreadonly($self)",
         "Return a read-only buffer over the same memory.");
static PyObject *
Buffer_toreadonly(BufferObject *self, PyObject *Py_UNUSED(a))
{
    BufferObject *b = buffer_alloc(self->st, Py_TYPE(self));
    if (b == NULL) {
        return NULL;
    }
    if (Buffer_getbuffer(self, &b->view, PyBUF_SIMPLE) < 0) {
        b->view.obj = NULL;
        Py_DECREF(b);
        return NULL;
    }
    b->buf = self->buf;
    b->len = self->len;
    b->readonly = 1;
    b->device = self->device;
    /* obj is this buffer's obj, not this buffer */
    b->owner = Py_XNewRef(buffer_obj(self));
    return (PyObject *)b;
}

CMPI_DOC(Buffer_cast_doc, "cast($self, format, shape=...)",
         "Return a memoryview of the memory cast to `format` (and "
         "`shape`).");
static PyObject *
Buffer_cast(BufferObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const kw[] = {"format", "shape", NULL};
    PyObject *a[2] = {NULL, NULL};
    if (cmpi_parse("cast", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    PyObject *mv = PyMemoryView_FromObject((PyObject *)self);
    if (mv == NULL) {
        return NULL;
    }
    /* a shape given, None included, goes to memoryview.cast as in mpi4py
     * (whose default is ...): shape=None is memoryview's TypeError */
    PyObject *r = a[1] == NULL
                          ? PyObject_CallMethod(mv, "cast", "O", a[0])
                          : PyObject_CallMethod(mv, "cast", "OO", a[0], a[1]);
    Py_DECREF(mv);
    return r;
}

CMPI_DOC(Buffer_release_doc, "release($self)",
         "Release the underlying memory (the buffer becomes empty).  Arrays "
         "or views still using the memory keep it until they go; memory "
         "from Alloc_mem cannot be released while they exist.");
static PyObject *
Buffer_release(BufferObject *self, PyObject *Py_UNUSED(a))
{
    if (self->exports > 0) {
        if (self->mpimem) {
            return buffer_check_unexported(self, "release()"), NULL;
        }
        /* the exports keep the memory until they go */
        buffer_drop_held(self);
        self->held = self->view;
        self->view.obj = NULL;
        self->held_owner = self->owner;
        self->owner = NULL;
    }
    buffer_drop(self);
    Py_RETURN_NONE;
}

static PyObject *
Buffer_repr(BufferObject *self)
{
    return PyUnicode_FromFormat("<MPI.buffer address=%p nbytes=%zd%s>",
                                self->len ? (void *)self->buf : NULL,
                                self->len, self->readonly ? " readonly" : "");
}

static PyMethodDef Buffer_methods[] = {
        {"allocate", FN(Buffer_allocate), CLSFASTKW, Buffer_allocate_doc},
        {"frombuffer", FN(Buffer_frombuffer), CLSFASTKW,
         Buffer_frombuffer_doc},
        {"fromaddress", FN(Buffer_fromaddress), CLSFASTKW,
         Buffer_fromaddress_doc},
        {"tobytes", FN(Buffer_tobytes), FASTKW, Buffer_tobytes_doc},
        {"toreadonly", (PyCFunction)Buffer_toreadonly, METH_NOARGS,
         Buffer_toreadonly_doc},
        {"cast", FN(Buffer_cast), FASTKW, Buffer_cast_doc},
        {"release", (PyCFunction)Buffer_release, METH_NOARGS,
         Buffer_release_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Buffer_getset[] = {
        {"address", (getter)Buffer_get_address, NULL,
         "Address of the memory (an int).", NULL},
        {"nbytes", (getter)Buffer_get_nbytes, NULL, "Size in bytes.", NULL},
        {"readonly", (getter)Buffer_get_readonly, NULL,
         "Whether the memory is read-only.", NULL},
        {"obj", (getter)Buffer_get_obj, NULL,
         "The object whose memory this is, or None.", NULL},
        {"format", (getter)Buffer_get_format, NULL,
         "Struct format of an item ('B').", NULL},
        {"itemsize", (getter)Buffer_get_itemsize, NULL, "Size of an item (1).",
         NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Buffer_doc,
             "buffer(buf=None)\n--\n\n"
             "Memory buffer: a flat, byte-addressed view of "
             "memory, with the buffer interface.");

/* Iterating gives the bytes as ints, like bytes and memoryview do. */
static PyObject *
Buffer_iter(PyObject *self)
{
    PyObject *mv = PyMemoryView_FromObject(self);
    if (mv == NULL) {
        return NULL;
    }
    PyObject *bytes = PyObject_CallMethod(mv, "cast", "s", "B");
    Py_DECREF(mv);
    if (bytes == NULL) {
        return NULL;
    }
    PyObject *it = PyObject_GetIter(bytes);
    Py_DECREF(bytes);
    return it;
}

static PyType_Slot Buffer_slots[] = {
        {Py_tp_doc, (void *)Buffer_doc},
        {Py_tp_new, Buffer_new},
        {Py_tp_dealloc, Buffer_dealloc},
        {Py_tp_traverse, Buffer_traverse},
        {Py_tp_clear, Buffer_clear},
        {Py_tp_repr, Buffer_repr},
        {Py_bf_getbuffer, Buffer_getbuffer},
        {Py_bf_releasebuffer, Buffer_releasebuffer},
        {Py_mp_length, Buffer_length},
        {Py_sq_length, Buffer_length},
        {Py_tp_iter, Buffer_iter},
        {Py_mp_subscript, Buffer_subscript},
        {Py_mp_ass_subscript, Buffer_ass_subscript},
        {Py_tp_methods, Buffer_methods},
        {Py_tp_getset, Buffer_getset},
        {0, NULL},
};

static PyType_Spec Buffer_spec = {
        .name = "cmpi.MPI.buffer",
        .basicsize = sizeof(BufferObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
        .slots = Buffer_slots,
};

/* ---- module functions ---- */

CMPI_DOC_NOSIG(Alloc_mem_doc, "Alloc_mem(size, info=INFO_NULL)",
               "Allocate memory with MPI_Alloc_mem (for one-sided "
               "communication); free it with Free_mem().");
static PyObject *
mod_Alloc_mem(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"size", "info", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_get_state(m);
    Py_ssize_t n;
    MPI_Info info;
    void *base = NULL;
    if (cmpi_parse("Alloc_mem", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_ssize(a[0], &n, "size") < 0 ||
        cmpi_info_arg(st, a[1], &info) < 0) {
        return NULL;
    }
    if (n < 0) { /* MPI's class for it, as mpi4py raises */
        return cmpi_raise_msg(st, MPI_ERR_ARG,
                              "invalid argument: size=%zd, must be >= 0", n);
    }
    int ierr = MPI_Alloc_mem((MPI_Aint)n, info, &base);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    BufferObject *b = (BufferObject *)cmpi_buffer_new(
            st, base, n, CMPI_BUFFER_WRITABLE, NULL);
    if (b == NULL) {
        MPI_Free_mem(base);
        return NULL;
    }
    b->buf = (char *)base; /* even for size 0: Free_mem gets it back */
    b->mpimem = 1;
    return (PyObject *)b;
}

CMPI_DOC(Free_mem_doc, "Free_mem(mem)",
         "Free memory allocated with Alloc_mem(); the buffer becomes "
         "empty.");
static PyObject *
mod_Free_mem(PyObject *m, PyObject *arg)
{
    cmpi_state *st = cmpi_get_state(m);
    if (!PyObject_TypeCheck(arg, st->Buffer_Type)) {
        PyErr_Format(PyExc_TypeError, "mem must be an MPI.buffer, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    BufferObject *b = (BufferObject *)arg;
    if (!b->mpimem) {
        return cmpi_raise_msg(st, MPI_ERR_BASE,
                              "invalid base: this buffer was not allocated "
                              "by Alloc_mem (or is already freed)");
    }
    if (buffer_check_unexported(b, "Free_mem()") < 0) {
        return NULL;
    }
    int ierr = MPI_Free_mem(b->buf);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    buffer_drop(b);
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(mod_Free_mem, PyObject, "Free_mem", "mem")

CMPI_DOC(Get_address_doc, "Get_address(location)",
         "Return the address of a buffer's memory (or of BOTTOM, or of None: "
         "the null address) as an int.");
static PyObject *
mod_Get_address(PyObject *m, PyObject *arg)
{
    cmpi_state *st = cmpi_get_state(m);
    void *p = MPI_BOTTOM;
    Py_buffer view;
    view.obj = NULL;
    if (arg == Py_None) {
        p = NULL;
    }
    else if (arg == st->IN_PLACE) {
        p = MPI_IN_PLACE; /* mpi4py gives its address too */
    }
    else if (arg == st->BUFFER_AUTOMATIC) { /* its address, as mpi4py */
#ifdef MPI_BUFFER_AUTOMATIC
        p = MPI_BUFFER_AUTOMATIC;
#else
        p = NULL;
#endif
    }
    else if (arg != st->BOTTOM) {
        if (cmpi_get_buffer(arg, &view, PyBUF_SIMPLE) < 0) {
            if (!cmpi_is_exporter(arg)) {
                PyErr_Clear();
                PyErr_Format(PyExc_TypeError,
                             "location must be a buffer, None or BOTTOM, "
                             "not "
                             "%.100s",
                             Py_TYPE(arg)->tp_name);
            }
            return NULL;
        }
        /* an empty MPI.buffer over no memory (a dynamic window's) */
        p = view.buf == cmpi_buffer_empty ? MPI_BOTTOM : view.buf;
    }
    MPI_Aint addr = 0;
    int ierr = MPI_Get_address(p, &addr);
    if (view.obj != NULL) {
        PyBuffer_Release(&view);
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return PyLong_FromSsize_t((Py_ssize_t)addr);
}

CMPI_ONE_ARG_KW(mod_Get_address, PyObject, "Get_address", "location")

static int
aint_arg(PyObject *obj, MPI_Aint *out, const char *what)
{
    Py_ssize_t v;
    if (cmpi_as_ssize(obj, &v, what) < 0) {
        return -1;
    }
    *out = (MPI_Aint)v;
    return 0;
}

CMPI_DOC(Aint_add_doc, "Aint_add(base, disp)",
         "Return the address `base` plus the displacement `disp`.");
static PyObject *
mod_Aint_add(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"base", "disp", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Aint base, disp;
    if (cmpi_parse("Aint_add", args, nargs, kwnames, kw, 2, a) < 0 ||
        aint_arg(a[0], &base, "base") < 0 ||
        aint_arg(a[1], &disp, "disp") < 0) {
        return NULL;
    }
    return PyLong_FromSsize_t((Py_ssize_t)MPI_Aint_add(base, disp));
}

CMPI_DOC(Aint_diff_doc, "Aint_diff(addr1, addr2)",
         "Return the difference of two addresses, addr1 - addr2.");
static PyObject *
mod_Aint_diff(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"addr1", "addr2", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Aint a1, a2;
    if (cmpi_parse("Aint_diff", args, nargs, kwnames, kw, 2, a) < 0 ||
        aint_arg(a[0], &a1, "addr1") < 0 || aint_arg(a[1], &a2, "addr2") < 0) {
        return NULL;
    }
    return PyLong_FromSsize_t((Py_ssize_t)MPI_Aint_diff(a1, a2));
}

#define CMPI_MEMORY_METHODS                                                   \
    {"Alloc_mem", FN(mod_Alloc_mem), FASTKW, Alloc_mem_doc},                  \
            {"Free_mem", FN(mod_Free_mem_kw), FASTKW, Free_mem_doc},          \
            {"Get_address", FN(mod_Get_address_kw), FASTKW, Get_address_doc}, \
            {"Aint_add", FN(mod_Aint_add), FASTKW, Aint_add_doc},             \
            {"Aint_diff", FN(mod_Aint_diff), FASTKW, Aint_diff_doc},

static int
cmpi_memory_init(PyObject *m, cmpi_state *st)
{
    st->Buffer_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Buffer_spec, NULL);
    if (st->Buffer_Type == NULL || PyModule_AddType(m, st->Buffer_Type) < 0) {
        return -1;
    }
    return PyModule_AddObjectRef(m, "memory", (PyObject *)st->Buffer_Type);
}
