/*
 * pickle.c -- Python objects to bytes and back for the lowercase calls,
 * and MPI.pickle, through which a user can swap in dill or cloudpickle.
 *
 * With the standard pickle and protocol 5, buffers of at least THRESHOLD
 * bytes (NumPy arrays, bytearrays, ...) are taken out of band: they are
 * not copied into the pickle stream but sent from their own memory, and
 * received into memory the unpickled object then owns (p2p_obj.c, coll_obj.c).
 */
#include "cmpi.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Buffers smaller than this are pickled in band: below it, one message
 * with a copy is cheaper than several messages without.  Measured on the
 * send/recv ping-pong of a dict holding an array (2 ranks, Open MPI,
 * shared memory): out of band costs the same at 16 KiB, 0.88x at 64 KiB,
 * 0.4x from 128 KiB.  (mpi4py's default is 256 KiB.)  The environment
 * variables CMPI_PICKLE_THRESHOLD or MPI4PY_PICKLE_THRESHOLD override. */
#define CMPI_PICKLE_THRESHOLD (64 * 1024)

static Py_ssize_t
default_threshold(void)
{
    const char *env = getenv("CMPI_PICKLE_THRESHOLD");
    if (env == NULL) {
        env = getenv("MPI4PY_PICKLE_THRESHOLD");
    }
    if (env != NULL && *env != '\0') {
        char *end;
        long long v = strtoll(env, &end, 10);
        if (*end == '\0') {
            return (Py_ssize_t)v;
        }
    }
    return CMPI_PICKLE_THRESHOLD;
}

typedef struct {
    PyObject_HEAD
    PyObject *dumps;
    PyObject *loads;
    PyObject *protocol; /* int */
    Py_ssize_t threshold;
    int standard; /* dumps/loads are the pickle module's own */
    /* ... and the protocol the default: objcodec.c encodes what it can */
    int fast;
    cmpi_state *st;
} PickleObject;

static PickleObject *
pickle_of(cmpi_state *st)
{
    return (PickleObject *)st->pickle;
}

/* Whether the lowercase calls send objects as objcodec.c's messages (the
 * standard pickle at its standard protocol); *threshold then tells which
 * arrays go to pickle instead, out of band. */
static int
cmpi_pickle_uses_codec(cmpi_state *st, Py_ssize_t *threshold)
{
    PickleObject *p = pickle_of(st);
    *threshold = p->threshold;
    return p->fast;
}

/* Whether MPI.pickle.loads is the standard one, which takes objcodec.c's
 * messages as objcodec.c decodes them. */
static int
cmpi_pickle_loads_is_standard(cmpi_state *st)
{
    return pickle_of(st)->loads == st->stdlib_loads;
}

/* buffer_callback for protocol 5, bound to (list, threshold): small
 * buffers go in band (a true return value), large ones are collected into
 * the list, out of band. */
static PyObject *
oob_callback(PyObject *bound, PyObject *picklebuffer)
{
    PyObject *list = PyTuple_GET_ITEM(bound, 0);
    Py_ssize_t threshold = PyLong_AsSsize_t(PyTuple_GET_ITEM(bound, 1));
    Py_buffer view;
    if (PyObject_GetBuffer(picklebuffer, &view, PyBUF_ANY_CONTIGUOUS) < 0) {
        /* not contiguous: let pickle serialize it in band */
        PyErr_Clear();
        Py_RETURN_TRUE;
    }
    Py_ssize_t len = view.len;
    PyBuffer_Release(&view);
    if (len < threshold || PyList_GET_SIZE(list) >= CMPI_MAX_OOB_BUFFERS) {
        Py_RETURN_TRUE;
    }
    if (PyList_Append(list, picklebuffer) < 0) {
        return NULL;
    }
    Py_RETURN_FALSE;
}

static PyMethodDef oob_callback_def = {"_oob_append", oob_callback, METH_O,
                                       NULL};

/* Objects that hold no buffer worth sending out of band: scalars, and
 * small flat containers of them.  Pickling them without a buffer_callback
 * saves building the callback's objects on the hot path. */
static inline int
oob_scalar(PyObject *o)
{
    PyTypeObject *t = Py_TYPE(o);
    return o == Py_None || t == &PyLong_Type || t == &PyFloat_Type ||
           t == &PyUnicode_Type || t == &PyBool_Type || t == &PyComplex_Type ||
           t == &PyBytes_Type;
}

static int
oob_pointless(PyObject *o)
{
    if (oob_scalar(o)) {
        return 1;
    }
    if (PyDict_CheckExact(o) && PyDict_GET_SIZE(o) <= 16) {
        Py_ssize_t pos = 0;
        PyObject *k, *v;
        while (PyDict_Next(o, &pos, &k, &v)) {
            if (!oob_scalar(k) || !oob_scalar(v)) {
                return 0;
            }
        }
        return 1;
    }
    if ((PyList_CheckExact(o) || PyTuple_CheckExact(o)) &&
        PySequence_Fast_GET_SIZE(o) <= 16) {
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(o); i++) {
            if (!oob_scalar(PySequence_Fast_GET_ITEM(o, i))) {
                return 0;
            }
        }
        return 1;
    }
    return 0;
}

/* Receive memory for large out-of-band buffers.  A fresh 16 MiB block
 * from malloc is 4096 page faults (and as many zeroed pages) on the first
 * write, which made a lowercase send of a 16 MiB array run at half of C's
 * Send bandwidth.  So blocks of CMPI_BIGMEM_MIN bytes or more are mapped
 * 2 MiB-aligned with MADV_HUGEPAGE (8 faults for 16 MiB where the kernel
 * has huge pages), and when the object that owns one is freed the block
 * goes back to a small per-process cache, bounded in count and bytes,
 * that the next receive takes it from: already faulted in.  A block is
 * only ever in the cache or owned by exactly one object (the received
 * array's base), so nothing a user holds is reused under them.  The cache
 * is changed only with the GIL held (capsule destructors run with it). */
#define CMPI_BIGMEM_MIN (1024 * 1024)
#define CMPI_BIGMEM_ALIGN ((size_t)2 * 1024 * 1024)
#define CMPI_BIGMEM_CACHE_BLOCKS 4
#define CMPI_BIGMEM_CACHE_BYTES ((size_t)64 * 1024 * 1024)

static struct {
    void *addr[CMPI_BIGMEM_CACHE_BLOCKS]; /* oldest first */
    size_t size[CMPI_BIGMEM_CACHE_BLOCKS];
    int count;
    size_t bytes;
    /* for MPI.pickle._recv_cache(), which the tests read */
    Py_ssize_t mapped; /* blocks mapped and not unmapped yet */
    Py_ssize_t reused; /* receives served from the cache */
} bigmem;

static void *
bigmem_map(size_t size)
{
#if defined(MAP_ANONYMOUS)
    /* Map one alignment more than asked, then unmap the ends around the
     * aligned middle. */
    size_t span = size + CMPI_BIGMEM_ALIGN;
    char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    uintptr_t start = ((uintptr_t)p + CMPI_BIGMEM_ALIGN - 1) &
                      ~(uintptr_t)(CMPI_BIGMEM_ALIGN - 1);
    size_t head = start - (uintptr_t)p;
    size_t tail = span - head - size;
    if (head > 0) {
        munmap(p, head);
    }
    if (tail > 0) {
        munmap((char *)start + size, tail);
    }
#if defined(MADV_HUGEPAGE)
    /* advice only: without huge pages the block is still reused */
    (void)madvise((void *)start, size, MADV_HUGEPAGE);
#endif
    return (void *)start;
#else
    return PyMem_RawMalloc(size);
#endif
}

static void
bigmem_unmap(void *addr, size_t size)
{
#if defined(MAP_ANONYMOUS)
    munmap(addr, size);
#else
    (void)size;
    PyMem_RawFree(addr);
#endif
    bigmem.mapped--;
}

static void
bigmem_cache_drop_oldest(void)
{
    bigmem_unmap(bigmem.addr[0], bigmem.size[0]);
    bigmem.bytes -= bigmem.size[0];
    bigmem.count--;
    memmove(bigmem.addr, bigmem.addr + 1, sizeof(void *) * bigmem.count);
    memmove(bigmem.size, bigmem.size + 1, sizeof(size_t) * bigmem.count);
}

/* Destructor of the capsule that owns a block: back to the cache (the
 * newest blocks kept, the oldest unmapped to make room), or unmapped. */
static void
bigmem_release(PyObject *capsule)
{
    void *addr = PyCapsule_GetPointer(capsule, "cmpi.recvmem");
    size_t size = (size_t)(uintptr_t)PyCapsule_GetContext(capsule);
    if (addr == NULL) {
        PyErr_Clear();
        return;
    }
    if (size > CMPI_BIGMEM_CACHE_BYTES) {
        bigmem_unmap(addr, size);
        return;
    }
    while (bigmem.count > 0 &&
           (bigmem.count == CMPI_BIGMEM_CACHE_BLOCKS ||
            bigmem.bytes + size > CMPI_BIGMEM_CACHE_BYTES)) {
        bigmem_cache_drop_oldest();
    }
    bigmem.addr[bigmem.count] = addr;
    bigmem.size[bigmem.count] = size;
    bigmem.count++;
    bigmem.bytes += size;
}

/* A block of at least n bytes (n >= CMPI_BIGMEM_MIN): the smallest cached
 * one that is no more than twice the size, or a new mapping. */
static void *
bigmem_take(size_t n, size_t *size)
{
    size_t need = (n + CMPI_BIGMEM_ALIGN - 1) & ~(CMPI_BIGMEM_ALIGN - 1);
    int best = -1;
    for (int i = 0; i < bigmem.count; i++) {
        if (bigmem.size[i] >= need && bigmem.size[i] / 2 <= need &&
            (best < 0 || bigmem.size[i] < bigmem.size[best])) {
            best = i;
        }
    }
    if (best >= 0) {
        void *addr = bigmem.addr[best];
        *size = bigmem.size[best];
        bigmem.bytes -= *size;
        bigmem.count--;
        memmove(bigmem.addr + best, bigmem.addr + best + 1,
                sizeof(void *) * (bigmem.count - best));
        memmove(bigmem.size + best, bigmem.size + best + 1,
                sizeof(size_t) * (bigmem.count - best));
        bigmem.reused++;
        return addr;
    }
    void *addr = bigmem_map(need);
    if (addr == NULL && bigmem.count > 0) {
        /* out of address space or memory: give the cache back, retry */
        while (bigmem.count > 0) {
            bigmem_cache_drop_oldest();
        }
        addr = bigmem_map(need);
    }
    if (addr != NULL) {
        bigmem.mapped++;
    }
    *size = need;
    return addr;
}

/* A new object exporting n writable bytes at *addr, for a receive to fill
 * and the unpickled object then to own: a bytearray below CMPI_BIGMEM_MIN,
 * else an MPI.buffer over a block from the cache above. */
static PyObject *
cmpi_oob_recv_buffer(cmpi_state *st, Py_ssize_t n, char **addr)
{
    if (n < CMPI_BIGMEM_MIN) {
        PyObject *b = PyByteArray_FromStringAndSize(NULL, n);
        *addr = b ? PyByteArray_AS_STRING(b) : NULL;
        return b;
    }
    size_t size;
    void *mem = bigmem_take((size_t)n, &size);
    if (mem == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *owner = PyCapsule_New(mem, "cmpi.recvmem", bigmem_release);
    if (owner == NULL) {
        bigmem_unmap(mem, size);
        return NULL;
    }
    if (PyCapsule_SetContext(owner, (void *)(uintptr_t)size) < 0) {
        PyCapsule_SetDestructor(owner, NULL);
        Py_DECREF(owner);
        bigmem_unmap(mem, size);
        return NULL;
    }
    PyObject *b = cmpi_buffer_new(st, mem, n, CMPI_BUFFER_WRITABLE, owner);
    Py_DECREF(owner);
    *addr = mem;
    return b;
}

/* pickle.dumps(obj, protocol) -> bytes.  With *buffers non-NULL and the
 * standard pickle at protocol 5, large buffers are collected into a new
 * list in *buffers instead (NULL when there were none). */
static PyObject *
cmpi_dumps_oob(cmpi_state *st, PyObject *obj, PyObject **buffers)
{
    PickleObject *p = pickle_of(st);
    PyObject *data;
    if (buffers != NULL) {
        *buffers = NULL;
    }
    if (p->fast) {
        data = cmpi_objcodec_encode(st, obj, p->threshold);
        if (data != NULL || PyErr_Occurred()) {
            return data;
        }
    }
    if (buffers != NULL && p->standard && p->threshold >= 0 &&
        PyLong_AsLong(p->protocol) >= 5 && !oob_pointless(obj)) {
        PyObject *list = PyList_New(0);
        if (list == NULL) {
            return NULL;
        }
        PyObject *bound = Py_BuildValue("(On)", list, p->threshold);
        PyObject *cb =
                bound ? PyCFunction_New(&oob_callback_def, bound) : NULL;
        Py_XDECREF(bound);
        if (cb == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyObject *args[3] = {obj, p->protocol, cb};
        data = PyObject_Vectorcall(p->dumps, args, 2, st->kw_buffer_callback);
        Py_DECREF(cb);
        if (data == NULL || PyList_GET_SIZE(list) == 0) {
            Py_DECREF(list);
        }
        else {
            *buffers = list;
        }
    }
    else {
        /* protocol None: a custom dumps is called with the object alone */
        PyObject *args[2] = {obj, p->protocol};
        data = PyObject_Vectorcall(p->dumps, args,
                                   p->protocol == Py_None ? 1 : 2, NULL);
    }
    if (CMPI_UNLIKELY(data == NULL)) {
        if (buffers != NULL) {
            Py_CLEAR(*buffers);
        }
        return NULL;
    }
    if (CMPI_UNLIKELY(!PyBytes_CheckExact(data))) {
        /* a user-supplied dumps may return any bytes-like object */
        PyObject *b = PyBytes_FromObject(data);
        Py_DECREF(data);
        return b;
    }
    return data;
}

/* pickle.loads(buf[0:n], buffers=buffers) */
static PyObject *
cmpi_loads_oob(cmpi_state *st, const char *buf, Py_ssize_t n,
               PyObject *buffers)
{
    PickleObject *p = pickle_of(st);
    /* A message of objcodec.c's rather than a pickle (it never has
     * out-of-band buffers): the standard loads would refuse it (its
     * leading byte is no pickle opcode); a custom loads gets it as it is. */
    if (p->loads == st->stdlib_loads && cmpi_objcodec_is_message(buf, n)) {
        return cmpi_objcodec_decode(st, buf, n);
    }
    PyObject *mv = PyMemoryView_FromMemory((char *)buf, n, PyBUF_READ);
    if (mv == NULL) {
        return NULL;
    }
    PyObject *obj;
    if (buffers != NULL) {
        PyObject *args[2] = {mv, buffers};
        obj = PyObject_Vectorcall(p->loads, args, 1, st->kw_buffers);
    }
    else {
        obj = PyObject_CallOneArg(p->loads, mv);
    }
    if (CMPI_UNLIKELY(Py_REFCNT(mv) > 1)) {
        /* The loads kept the view (a custom one that returns it, or a
         * traceback holding it), but the memory is a receive buffer that
         * is reused or freed next: released, the view raises instead of
         * showing whatever is there later. */
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        PyObject *t = PyObject_CallMethod(mv, "release", NULL);
        Py_XDECREF(t);
        PyErr_Clear();
        PyErr_Restore(et, ev, tb);
    }
    Py_DECREF(mv);
    return obj;
}

static PyObject *
cmpi_loads(cmpi_state *st, const char *buf, Py_ssize_t n)
{
    return cmpi_loads_oob(st, buf, n, NULL);
}

/* loads(data) for a bytes object holding exactly the pickle: no view. */
static PyObject *
cmpi_loads_bytes(cmpi_state *st, PyObject *data)
{
    if (pickle_of(st)->loads == st->stdlib_loads &&
        cmpi_objcodec_is_message(PyBytes_AS_STRING(data),
                                 PyBytes_GET_SIZE(data))) {
        return cmpi_objcodec_decode(st, PyBytes_AS_STRING(data),
                                    PyBytes_GET_SIZE(data));
    }
    return PyObject_CallOneArg(pickle_of(st)->loads, data);
}

/* Message sizes are C ints in the MPI-3 API. */
static int
cmpi_size_to_int(Py_ssize_t n, int *out)
{
    if (CMPI_UNLIKELY(n > INT_MAX)) {
        PyErr_Format(PyExc_OverflowError,
                     "message of %zd bytes exceeds the 2**31-1 byte limit of "
                     "this operation",
                     n);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* ------------------------------------------------------------------ */
/* MPI.pickle */

static int
pickle_configure(PickleObject *self, PyObject *dumps, PyObject *loads,
                 PyObject *protocol, PyObject *threshold)
{
    cmpi_state *st = self->st;
    if (dumps == NULL || dumps == Py_None) {
        dumps = st->stdlib_dumps;
    }
    if (loads == NULL || loads == Py_None) {
        loads = st->stdlib_loads;
    }
    if (!PyCallable_Check(dumps) || !PyCallable_Check(loads)) {
        PyErr_SetString(PyExc_TypeError, "dumps and loads must be callable");
        return -1;
    }
    if (protocol == NULL || protocol == Py_None) {
        protocol = dumps == st->stdlib_dumps ? st->stdlib_protocol : Py_None;
    }
    else if (!PyLong_Check(protocol)) {
        PyErr_Format(PyExc_TypeError,
                     "PROTOCOL must be an int or None, not %.100s",
                     Py_TYPE(protocol)->tp_name);
        return -1;
    }
    else {
        /* pickle's own range: up to HIGHEST_PROTOCOL, any negative value
         * meaning the highest (mpi4py's suite sets -2) */
        int overflow = 0;
        long p = PyLong_AsLongAndOverflow(protocol, &overflow);
        long hi = PyLong_AsLong(st->stdlib_protocol);
        if (p == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (overflow || p < INT_MIN || p > hi) {
            PyErr_Format(PyExc_ValueError,
                         "PROTOCOL must be at most %ld (negative: the "
                         "highest) or None, not %R",
                         hi, protocol);
            return -1;
        }
    }
    Py_ssize_t thr = default_threshold();
    if (threshold != NULL && threshold != Py_None) {
        if (!PyLong_Check(threshold)) {
            PyErr_Format(PyExc_TypeError,
                         "THRESHOLD must be an int or None, not %.100s",
                         Py_TYPE(threshold)->tp_name);
            return -1;
        }
        thr = PyLong_AsSsize_t(threshold);
        if (thr == -1 && PyErr_Occurred()) {
            return -1;
        }
    }
    Py_XSETREF(self->dumps, Py_NewRef(dumps));
    Py_XSETREF(self->loads, Py_NewRef(loads));
    Py_XSETREF(self->protocol, Py_NewRef(protocol));
    self->threshold = thr;
    self->standard = dumps == st->stdlib_dumps && loads == st->stdlib_loads &&
                     PyLong_Check(protocol);
    self->fast = self->standard && protocol == st->stdlib_protocol;
    return 0;
}

static int
Pickle_init(PickleObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"dumps", "loads", "protocol", "threshold", NULL};
    PyObject *dumps = NULL, *loads = NULL, *protocol = NULL, *threshold = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|OOOO:Pickle", kwlist,
                                     &dumps, &loads, &protocol, &threshold)) {
        return -1;
    }
    return pickle_configure(self, dumps, loads, protocol, threshold);
}

static PyObject *
Pickle_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    PickleObject *self = (PickleObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->st = st;
    (void)args;
    (void)kwds;
    if (pickle_configure(self, NULL, NULL, NULL, NULL) < 0) {
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

static int
Pickle_traverse(PickleObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->dumps);
    Py_VISIT(self->loads);
    Py_VISIT(self->protocol);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static int
Pickle_clear(PickleObject *self)
{
    Py_CLEAR(self->dumps);
    Py_CLEAR(self->loads);
    Py_CLEAR(self->protocol);
    return 0;
}

static void
Pickle_dealloc(PickleObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Pickle_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_DOC(Pickle_dumps_doc, "dumps($self, obj)",
         "Serialize an object to bytes, as the lowercase calls do.");
static PyObject *
Pickle_dumps(PickleObject *self, PyObject *obj)
{
    PyObject *args[2] = {obj, self->protocol};
    return PyObject_Vectorcall(self->dumps, args,
                               self->protocol == Py_None ? 1 : 2, NULL);
}

CMPI_ONE_ARG_KW(Pickle_dumps, PickleObject, "dumps", "obj")

CMPI_DOC(Pickle_loads_doc, "loads($self, data)",
         "Deserialize an object from bytes, as the lowercase calls do.");
static PyObject *
Pickle_loads(PickleObject *self, PyObject *data)
{
    /* what a lowercase send of objcodec.c's sent, received as bytes */
    if (self->loads == self->st->stdlib_loads && PyObject_CheckBuffer(data)) {
        Py_buffer view;
        if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE) < 0) {
            PyErr_Clear();
        }
        else {
            PyObject *res = NULL;
            int mine = cmpi_objcodec_is_message(view.buf, view.len);
            if (mine) {
                res = cmpi_objcodec_decode(self->st, view.buf, view.len);
            }
            PyBuffer_Release(&view);
            if (mine) {
                return res;
            }
        }
    }
    return PyObject_CallOneArg(self->loads, data);
}

CMPI_ONE_ARG_KW(Pickle_loads, PickleObject, "loads", "data")

static PyObject *
Pickle_get_PROTOCOL(PickleObject *self, void *Py_UNUSED(c))
{
    return Py_NewRef(self->protocol);
}

static int
Pickle_set_PROTOCOL(PickleObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete PROTOCOL");
        return -1;
    }
    Py_ssize_t thr = self->threshold;
    if (pickle_configure(self, self->dumps, self->loads, value, NULL) < 0) {
        return -1;
    }
    self->threshold = thr;
    return 0;
}

static PyObject *
Pickle_get_THRESHOLD(PickleObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromSsize_t(self->threshold);
}

static int
Pickle_set_THRESHOLD(PickleObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete THRESHOLD");
        return -1;
    }
    if (value == Py_None) { /* as in mpi4py: back to the default */
        self->threshold = default_threshold();
        return 0;
    }
    if (!PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "THRESHOLD must be an int or None, not %.100s",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    Py_ssize_t thr = PyLong_AsSsize_t(value);
    if (thr == -1 && PyErr_Occurred()) {
        return -1;
    }
    self->threshold = thr;
    return 0;
}

/* buffer_callback of dumps_oob: every contiguous buffer of at least
 * `threshold` bytes goes out of band, into the list. */
static PyObject *
oob_collect(PyObject *bound, PyObject *picklebuffer)
{
    PyObject *list = PyTuple_GET_ITEM(bound, 0);
    Py_ssize_t threshold = PyLong_AsSsize_t(PyTuple_GET_ITEM(bound, 1));
    Py_buffer view;
    if (PyObject_GetBuffer(picklebuffer, &view, PyBUF_ANY_CONTIGUOUS) < 0) {
        PyErr_Clear();
        Py_RETURN_TRUE;
    }
    Py_ssize_t len = view.len;
    PyBuffer_Release(&view);
    if (len < threshold) {
        Py_RETURN_TRUE;
    }
    if (PyList_Append(list, picklebuffer) < 0) {
        return NULL;
    }
    Py_RETURN_FALSE;
}

static PyMethodDef oob_collect_def = {"_oob_collect", oob_collect, METH_O,
                                      NULL};

CMPI_DOC(Pickle_dumps_oob_doc, "dumps_oob($self, obj)",
         "Serialize an object with pickle protocol 5: return the pickle and "
         "the list of its buffers of at least THRESHOLD bytes, kept out of "
         "band (not copied), as MPI.buffer objects.");
static PyObject *
Pickle_dumps_oob(PickleObject *self, PyObject *obj)
{
    PyObject *list = PyList_New(0), *bound = NULL, *cb = NULL, *kw = NULL;
    PyObject *proto = NULL, *data = NULL, *res = NULL, *buffer_type = NULL;
    if (list == NULL) {
        return NULL;
    }
    bound = Py_BuildValue("(On)", list, self->threshold);
    cb = bound ? PyCFunction_New(&oob_collect_def, bound) : NULL;
    kw = cb ? Py_BuildValue("{s:O}", "buffer_callback", cb) : NULL;
    /* Out-of-band buffers need protocol 5 at least. */
    long level = self->protocol == Py_None ? 5 : PyLong_AsLong(self->protocol);
    if (kw == NULL || (level == -1 && PyErr_Occurred())) {
        goto done;
    }
    proto = PyLong_FromLong(level < 5 ? 5 : level);
    if (proto == NULL) {
        goto done;
    }
    PyObject *args = PyTuple_Pack(2, obj, proto);
    if (args == NULL) {
        goto done;
    }
    data = PyObject_Call(self->dumps, args, kw);
    Py_DECREF(args);
    if (data == NULL) {
        goto done;
    }
    /* MPI.buffer when the module has it; memoryview otherwise. */
    PyObject *mod = PyImport_ImportModule("cmpi.MPI");
    if (mod != NULL) {
        buffer_type = PyObject_GetAttrString(mod, "buffer");
        Py_DECREF(mod);
    }
    if (buffer_type == NULL || !PyType_Check(buffer_type)) {
        PyErr_Clear();
        Py_CLEAR(buffer_type);
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *pb = PyList_GET_ITEM(list, i);
        PyObject *wrapped = buffer_type ? PyObject_CallOneArg(buffer_type, pb)
                                        : PyMemoryView_FromObject(pb);
        if (wrapped == NULL) {
            goto done;
        }
        PyList_SET_ITEM(list, i, wrapped); /* steals; drops pb */
        Py_DECREF(pb);
    }
    res = PyTuple_Pack(2, data, list);
done:
    Py_XDECREF(buffer_type);
    Py_XDECREF(data);
    Py_XDECREF(proto);
    Py_XDECREF(kw);
    Py_XDECREF(cb);
    Py_XDECREF(bound);
    Py_DECREF(list);
    return res;
}

CMPI_ONE_ARG_KW(Pickle_dumps_oob, PickleObject, "dumps_oob", "obj")

CMPI_DOC(Pickle_loads_oob_doc, "loads_oob($self, data, buffers)",
         "Deserialize an object from a pickle and its out-of-band buffers.");
static PyObject *
Pickle_loads_oob(PickleObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const names[] = {"data", "buffers", NULL};
    PyObject *a[2] = {NULL, NULL};
    if (cmpi_parse("loads_oob", args, nargs, kwnames, names, 2, a) < 0) {
        return NULL;
    }
    PyObject *kw = Py_BuildValue("{s:O}", "buffers", a[1]);
    PyObject *pos = kw ? PyTuple_Pack(1, a[0]) : NULL;
    PyObject *res = pos ? PyObject_Call(self->loads, pos, kw) : NULL;
    Py_XDECREF(pos);
    Py_XDECREF(kw);
    return res;
}

/* Private, for the tests: the state of the large receive-memory cache. */
static PyObject *
Pickle_recv_cache(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(a))
{
    return Py_BuildValue("{s:i,s:n,s:n,s:n}", "cached", bigmem.count,
                         "cached_bytes", (Py_ssize_t)bigmem.bytes, "mapped",
                         bigmem.mapped, "reused", bigmem.reused);
}

static PyMethodDef Pickle_methods[] = {
        {"dumps", FN(Pickle_dumps_kw), FASTKW, Pickle_dumps_doc},
        {"loads", FN(Pickle_loads_kw), FASTKW, Pickle_loads_doc},
        {"dumps_oob", FN(Pickle_dumps_oob_kw), FASTKW, Pickle_dumps_oob_doc},
        {"loads_oob", FN(Pickle_loads_oob), FASTKW, Pickle_loads_oob_doc},
        {"_recv_cache", (PyCFunction)Pickle_recv_cache, METH_NOARGS, NULL},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Pickle_getset[] = {
        {"PROTOCOL", (getter)Pickle_get_PROTOCOL, (setter)Pickle_set_PROTOCOL,
         "Pickle protocol used by the lowercase calls.", NULL},
        {"THRESHOLD", (getter)Pickle_get_THRESHOLD,
         (setter)Pickle_set_THRESHOLD,
         "Buffers of at least this many bytes travel out of band (protocol "
         "5, standard pickle); -1 disables that.",
         NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Pickle_doc,
             "Pickle(dumps=None, loads=None, protocol=None, threshold=None)\n"
             "--\n\n"
             "Serialization of the lowercase calls.  MPI.pickle is the "
             "instance they use: MPI.pickle.__init__(dill.dumps, dill.loads) "
             "swaps in another pickler.");

static PyType_Slot Pickle_slots[] = {
        {Py_tp_doc, (void *)Pickle_doc},
        {Py_tp_new, Pickle_new},
        {Py_tp_init, Pickle_init},
        {Py_tp_traverse, Pickle_traverse},
        {Py_tp_clear, Pickle_clear},
        {Py_tp_dealloc, Pickle_dealloc},
        {Py_tp_methods, Pickle_methods},
        {Py_tp_getset, Pickle_getset},
        {0, NULL},
};

static PyType_Spec Pickle_spec = {
        .name = "cmpi.MPI.Pickle",
        .basicsize = sizeof(PickleObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
        .slots = Pickle_slots,
};

static int
cmpi_pickle_init(PyObject *m, cmpi_state *st)
{
    PyObject *pickle = PyImport_ImportModule("pickle");
    if (pickle == NULL) {
        return -1;
    }
    st->stdlib_dumps = PyObject_GetAttrString(pickle, "dumps");
    st->stdlib_loads = PyObject_GetAttrString(pickle, "loads");
    st->stdlib_protocol = PyObject_GetAttrString(pickle, "HIGHEST_PROTOCOL");
    Py_DECREF(pickle);
    if (!st->stdlib_dumps || !st->stdlib_loads || !st->stdlib_protocol) {
        return -1;
    }
    st->objcodec_str_dtype = PyUnicode_InternFromString("dtype");
    if (st->objcodec_str_dtype == NULL) {
        return -1;
    }
    /* interned: the callee matches keyword names by identity first */
    PyObject *n1 = PyUnicode_InternFromString("buffer_callback");
    PyObject *n2 = PyUnicode_InternFromString("buffers");
    st->kw_buffer_callback = n1 ? PyTuple_Pack(1, n1) : NULL;
    st->kw_buffers = n2 ? PyTuple_Pack(1, n2) : NULL;
    Py_XDECREF(n1);
    Py_XDECREF(n2);
    if (!st->kw_buffer_callback || !st->kw_buffers) {
        return -1;
    }
    st->Pickle_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Pickle_spec, NULL);
    if (st->Pickle_Type == NULL || PyModule_AddType(m, st->Pickle_Type) < 0) {
        return -1;
    }
    st->pickle = PyObject_CallNoArgs((PyObject *)st->Pickle_Type);
    if (st->pickle == NULL ||
        PyModule_AddObjectRef(m, "pickle", st->pickle) < 0) {
        return -1;
    }
    return 0;
}
