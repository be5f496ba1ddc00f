/*
 * objcodec.c -- cmpi's own encoding of the objects people send most, for
 * the lowercase calls: exact None, bool, int (64-bit), float, str, bytes,
 * tuple, list and dict of them, exact NumPy arrays (contiguous, plain
 * dtype, below the out-of-band threshold) and NumPy scalars.  Encoding and
 * decoding them here skips pickle's generic machinery (and NumPy's
 * __reduce_ex__), which is most of the cost of a small lowercase call.
 * Anything else anywhere in an object sends the whole object through
 * pickle, exactly as before (pickle.c decides; objcodec only answers "not
 * mine").
 *
 * A message starts with OBJCODEC_MAGIC, which no pickle starts with
 * (protocols 2 and up start with 0x80, 0 and 1 with an ASCII opcode, and
 * 0xFA is no opcode), then the format's version byte; the receiver checks
 * both.  Every read is bounds-checked: a corrupt message raises
 * pickle.UnpicklingError, as a corrupt pickle does.
 *
 * The decoded object equals what pickle's round trip gives, types
 * included: which is why an object shared twice within the message (a
 * list, dict, tuple or array seen twice: pickle keeps the sharing, and a
 * list holding itself) goes to pickle, and why a str that UTF-8 cannot
 * hold (lone surrogates) or an int beyond 64 bits does too.
 */

#define OBJCODEC_MAGIC 0xFA
#define OBJCODEC_VERSION 1
/* the largest message the codec makes (see enc_reserve) */
#define OBJCODEC_MAX_MESSAGE ((Py_ssize_t)16 << 20)
/* Nesting deeper than this goes to pickle (and a message claiming it is
 * refused): neither side recurses without a bound. */
#define OBJCODEC_MAX_DEPTH 32
#define OBJCODEC_MAX_NDIM 64
/* Entries the dtype caches may hold: beyond it, lookups still work but
 * nothing new is remembered. */
#define OBJCODEC_CACHE_MAX 256

enum {
    TAG_NONE = 'N',
    TAG_TRUE = 'T',
    TAG_FALSE = 'F',
    TAG_INT = 'i',    /* int64, little-endian */
    TAG_FLOAT = 'f',  /* IEEE double, little-endian bits */
    TAG_STR = 's',    /* u32 length, UTF-8 */
    TAG_BYTES = 'b',  /* u32 length, bytes */
    TAG_TUPLE = 't',  /* u32 count, items */
    TAG_LIST = 'l',   /* u32 count, items */
    TAG_DICT = 'd',   /* u32 count, key value pairs */
    TAG_ARRAY = 'a',  /* dtype, flags, ndim, shape, u64 nbytes, data */
    TAG_SCALAR = 'n', /* dtype, u64 nbytes, data */
};

#define ARRAY_FORTRAN 1
#define ARRAY_READONLY 2

/* ------------------------------------------------------------------ */
/* Encoding */

typedef struct {
    cmpi_state *st;
    char *buf;
    Py_ssize_t len, cap;
    Py_ssize_t array_limit; /* arrays of this many bytes or more: pickle */
    /* containers met so far (pointers), an open-addressing set */
    void **seen;
    Py_ssize_t nseen, seencap;
    char stackbuf[CMPI_OBJMSG_STACK];
    void *stackseen[64];
} objenc;

/* 1: encoded; 0: not this codec's (no exception); -1: error. */
static int
enc_object(objenc *e, PyObject *o, int depth);

/* Room for `more` bytes: 0, or -1 on error, or 1 when the message would
 * pass OBJCODEC_MAX_MESSAGE.  Large data gains nothing here (the codec
 * copies it twice, pickle once, and out-of-band arrays not at all), so such
 * an object goes to pickle and its proven large-message paths. */
static int
enc_reserve(objenc *e, Py_ssize_t more)
{
    if (more > OBJCODEC_MAX_MESSAGE - e->len) {
        return 1;
    }
    if (e->cap - e->len >= more) {
        return 0;
    }
    if (more > PY_SSIZE_T_MAX / 2 - e->len) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t cap = 2 * (e->len + more);
    char *nb = PyMem_Malloc((size_t)cap);
    if (nb == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memcpy(nb, e->buf, (size_t)e->len);
    if (e->buf != e->stackbuf) {
        PyMem_Free(e->buf);
    }
    e->buf = nb;
    e->cap = cap;
    return 0;
}

static inline void
put_u64(char *p, unsigned long long v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (char)(v >> (8 * i));
    }
}

static inline void
put_u32(char *p, unsigned long v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (char)(v >> (8 * i));
    }
}

static int
enc_tag_u64(objenc *e, char tag, unsigned long long v)
{
    int room = enc_reserve(e, 9);
    if (room != 0) {
        return room < 0 ? -1 : 0;
    }
    e->buf[e->len] = tag;
    put_u64(e->buf + e->len + 1, v);
    e->len += 9;
    return 1;
}

/* tag, u32 length, then n bytes of data (NULL: the caller fills them) */
static int
enc_sized(objenc *e, char tag, const char *data, Py_ssize_t n)
{
    if (n > 0xFFFFFFFFLL) {
        return 0;
    }
    int room = enc_reserve(e, 5 + n);
    if (room != 0) {
        return room < 0 ? -1 : 0;
    }
    e->buf[e->len] = tag;
    put_u32(e->buf + e->len + 1, (unsigned long)n);
    if (data != NULL && n > 0) {
        memcpy(e->buf + e->len + 5, data, (size_t)n);
    }
    e->len += 5 + n;
    return 1;
}

/* Remember container o: 0 if it was already met (pickle keeps that
 * sharing, and it is how a container holding itself shows), 1 if new. */
static int
enc_first_visit(objenc *e, PyObject *o)
{
    if (2 * (e->nseen + 1) > e->seencap) {
        Py_ssize_t cap = 2 * e->seencap;
        void **ns = PyMem_Calloc((size_t)cap, sizeof(void *));
        if (ns == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < e->seencap; i++) {
            void *p = e->seen[i];
            if (p != NULL) {
                size_t h = ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ULL;
                size_t j = h & (size_t)(cap - 1);
                while (ns[j] != NULL) {
                    j = (j + 1) & (size_t)(cap - 1);
                }
                ns[j] = p;
            }
        }
        if (e->seen != e->stackseen) {
            PyMem_Free(e->seen);
        }
        e->seen = ns;
        e->seencap = cap;
    }
    size_t h = ((uintptr_t)o >> 4) * 0x9E3779B97F4A7C15ULL;
    size_t j = h & (size_t)(e->seencap - 1);
    while (e->seen[j] != NULL) {
        if (e->seen[j] == (void *)o) {
            return 0;
        }
        j = (j + 1) & (size_t)(e->seencap - 1);
    }
    e->seen[j] = o;
    e->nseen++;
    return 1;
}

static int
enc_items(objenc *e, char tag, PyObject *seq, int depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int r = enc_sized(e, tag, NULL, 0);
    if (r <= 0) {
        return r;
    }
    if (n > 0xFFFFFFFFLL) {
        return 0;
    }
    put_u32(e->buf + e->len - 4, (unsigned long)n);
    for (Py_ssize_t i = 0; i < n; i++) {
        /* a finalizer run by an allocation could change the list: then
         * the count written is wrong, and pickle takes over */
        if (PySequence_Fast_GET_SIZE(seq) != n) {
            return 0;
        }
        PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
        r = enc_object(e, item, depth + 1);
        Py_DECREF(item);
        if (r <= 0) {
            return r;
        }
    }
    return 1;
}

static int
enc_dict(objenc *e, PyObject *d, int depth)
{
    Py_ssize_t n = PyDict_GET_SIZE(d), pos = 0;
    PyObject *k, *v;
    int r = enc_sized(e, TAG_DICT, NULL, 0);
    if (r <= 0) {
        return r;
    }
    if (n > 0xFFFFFFFFLL) {
        return 0;
    }
    put_u32(e->buf + e->len - 4, (unsigned long)n);
    /* Only this codec's C code and NumPy's run while it walks the dict,
     * but a finalizer run by an allocation could still change it: then
     * pickle takes over. */
    Py_ssize_t done = 0;
    while (PyDict_Next(d, &pos, &k, &v)) {
        if (PyDict_GET_SIZE(d) != n || ++done > n) {
            return 0;
        }
        Py_INCREF(k);
        Py_INCREF(v);
        r = enc_object(e, k, depth + 1);
        if (r > 0) {
            r = enc_object(e, v, depth + 1);
        }
        Py_DECREF(k);
        Py_DECREF(v);
        if (r <= 0) {
            return r;
        }
    }
    if (done != n) {
        return 0;
    }
    return 1;
}

/* NumPy, once the program has imported it (this codec never imports it on
 * the sending side): 1 with st->objcodec_ndarray/_generic set, 0 if NumPy
 * is not loaded. */
static int
objcodec_numpy_types(cmpi_state *st)
{
    if (st->objcodec_ndarray != NULL) {
        return 1;
    }
    PyObject *name = PyUnicode_FromString("numpy");
    if (name == NULL) {
        return -1;
    }
    PyObject *np = PyImport_GetModule(name);
    Py_DECREF(name);
    if (np == NULL) {
        return PyErr_Occurred() ? -1 : 0;
    }
    PyObject *nd = PyObject_GetAttrString(np, "ndarray");
    PyObject *gen = nd ? PyObject_GetAttrString(np, "generic") : NULL;
    Py_DECREF(np);
    if (gen == NULL || !PyType_Check(nd) || !PyType_Check(gen)) {
        Py_XDECREF(nd);
        Py_XDECREF(gen);
        PyErr_Clear();
        return 0;
    }
    st->objcodec_ndarray = nd;
    st->objcodec_generic = gen;
    return 1;
}

/* A dtype string this codec sends and accepts: byte order, a kind of
 * fixed-size plain data, the item size.  (Not datetimes: pickle turns a
 * non-native datetime array native, and the codec does not copy quirks.) */
static int
objcodec_descr_ok(const char *s, Py_ssize_t n)
{
    if (n < 3 || n > 32 || s[0] == '\0' || strchr("<>|=", s[0]) == NULL ||
        s[1] == '\0' || strchr("biufcSU", s[1]) == NULL) {
        return 0;
    }
    for (Py_ssize_t i = 2; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* The dtype string of `dtype` if this codec carries it (a new bytes
 * object), Py_None if not; NULL on error.  `scalar_type`: for a NumPy
 * scalar, its type, which must be the dtype's own (a subclass: pickle). */
static PyObject *
objcodec_describe(PyObject *dtype, PyObject *scalar_type)
{
    PyObject *kind = NULL, *fields = NULL, *sub = NULL, *meta = NULL;
    PyObject *str = NULL, *type = NULL, *back = NULL, *res = NULL;
    kind = PyObject_GetAttrString(dtype, "kind");
    fields = kind ? PyObject_GetAttrString(dtype, "fields") : NULL;
    sub = fields ? PyObject_GetAttrString(dtype, "subdtype") : NULL;
    meta = sub ? PyObject_GetAttrString(dtype, "metadata") : NULL;
    str = meta ? PyObject_GetAttrString(dtype, "str") : NULL;
    type = str ? PyObject_GetAttrString(dtype, "type") : NULL;
    if (type == NULL) {
        goto done;
    }
    res = Py_NewRef(Py_None);
    if (!PyUnicode_Check(kind) || !PyUnicode_Check(str) || fields != Py_None ||
        sub != Py_None || meta != Py_None) {
        goto done;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(str, &n);
    if (s == NULL) {
        goto done;
    }
    if (!objcodec_descr_ok(s, n)) {
        goto done;
    }
    if (scalar_type != NULL &&
        (type != scalar_type || strchr("biufc", s[1]) == NULL)) {
        goto done;
    }
    /* the string must give this very dtype back */
    PyObject *np_name = PyUnicode_FromString("numpy");
    PyObject *np = np_name ? PyImport_GetModule(np_name) : NULL;
    Py_XDECREF(np_name);
    back = np ? PyObject_CallMethod(np, "dtype", "O", str) : NULL;
    Py_XDECREF(np);
    if (back == NULL) {
        goto done;
    }
    int same = PyObject_RichCompareBool(back, dtype, Py_EQ);
    if (same < 0) {
        goto done;
    }
    if (same) {
        Py_SETREF(res, PyBytes_FromStringAndSize(s, n));
    }
done:
    if (PyErr_Occurred() && !PyErr_ExceptionMatches(PyExc_MemoryError)) {
        /* an odd dtype: pickle's business */
        PyErr_Clear();
        Py_XSETREF(res, Py_NewRef(Py_None));
    }
    Py_XDECREF(kind);
    Py_XDECREF(fields);
    Py_XDECREF(sub);
    Py_XDECREF(meta);
    Py_XDECREF(str);
    Py_XDECREF(type);
    Py_XDECREF(back);
    return res;
}

/* The dtype string for an array's dtype or a NumPy scalar's type (key):
 * a new reference to bytes, to Py_None (not carried), or NULL with an
 * exception.  The cache maps key -> (key, descr); a hit counts only when
 * it is the very key object, since dtypes that compare equal may still
 * differ (metadata).  `o` is the array's dtype or the scalar. */
static PyObject *
objcodec_descr_of(cmpi_state *st, PyObject *key, PyObject *o, int scalar)
{
    if (st->objcodec_descrs == NULL) {
        st->objcodec_descrs = PyDict_New();
        if (st->objcodec_descrs == NULL) {
            return NULL;
        }
    }
    PyObject *hit = PyDict_GetItemWithError(st->objcodec_descrs, key);
    if (hit != NULL && PyTuple_GET_ITEM(hit, 0) == key) {
        return Py_NewRef(PyTuple_GET_ITEM(hit, 1));
    }
    PyErr_Clear(); /* an unhashable dtype would be odd: no cache */
    PyObject *dtype = o;
    if (scalar) {
        dtype = PyObject_GetAttr(o, st->objcodec_str_dtype);
        if (dtype == NULL) {
            PyErr_Clear();
            return Py_NewRef(Py_None);
        }
    }
    PyObject *descr = objcodec_describe(dtype, scalar ? key : NULL);
    if (scalar) {
        Py_DECREF(dtype);
    }
    if (descr == NULL) {
        return NULL;
    }
    if (hit == NULL &&
        PyDict_GET_SIZE(st->objcodec_descrs) < OBJCODEC_CACHE_MAX) {
        PyObject *entry = PyTuple_Pack(2, key, descr);
        if (entry == NULL ||
            PyDict_SetItem(st->objcodec_descrs, key, entry) < 0) {
            PyErr_Clear(); /* not remembered: described again next time */
        }
        Py_XDECREF(entry);
    }
    return descr;
}

/* An exact ndarray or NumPy scalar: dtype string, then (arrays) layout
 * flags and shape, then the bytes. */
static int
enc_numpy(objenc *e, PyObject *o, int scalar)
{
    cmpi_state *st = e->st;
    PyObject *descr;
    if (scalar) {
        /* keyed by the scalar's type: its dtype is fixed (kinds biufc) */
        descr = objcodec_descr_of(st, (PyObject *)Py_TYPE(o), o, 1);
    }
    else {
        PyObject *dtype = PyObject_GetAttr(o, st->objcodec_str_dtype);
        if (dtype == NULL) {
            PyErr_Clear();
            return 0;
        }
        descr = objcodec_descr_of(st, dtype, dtype, 0);
        Py_DECREF(dtype);
    }
    if (descr == NULL) {
        return -1;
    }
    if (descr == Py_None) {
        Py_DECREF(descr);
        return 0;
    }

    Py_buffer view;
    /* no PyBUF_FORMAT: NumPy would build a format string for it */
    if (PyObject_GetBuffer(o, &view, scalar ? PyBUF_SIMPLE : PyBUF_STRIDES) <
        0) {
        PyErr_Clear();
        Py_DECREF(descr);
        return 0;
    }
    int r = 0, flags = 0;
    Py_ssize_t ndim = scalar ? 0 : view.ndim;
    if (view.len >= e->array_limit || ndim > OBJCODEC_MAX_NDIM ||
        PyBytes_GET_SIZE(descr) > 255) {
        goto release;
    }
    if (!scalar) {
        if (PyBuffer_IsContiguous(&view, 'C')) {
            flags = 0;
        }
        else if (PyBuffer_IsContiguous(&view, 'F')) {
            flags = ARRAY_FORTRAN;
        }
        else {
            goto release; /* pickle copies it into C order */
        }
        if (view.readonly) {
            flags |= ARRAY_READONLY;
        }
    }
    Py_ssize_t dlen = PyBytes_GET_SIZE(descr);
    r = enc_reserve(e, 1 + 1 + dlen + 2 + 8 * ndim + 8 + view.len);
    if (r != 0) {
        r = r < 0 ? -1 : 0;
        goto release;
    }
    char *p = e->buf + e->len;
    *p++ = scalar ? TAG_SCALAR : TAG_ARRAY;
    *p++ = (char)dlen;
    memcpy(p, PyBytes_AS_STRING(descr), (size_t)dlen);
    p += dlen;
    if (!scalar) {
        *p++ = (char)flags;
        *p++ = (char)ndim;
        for (Py_ssize_t i = 0; i < ndim; i++) {
            put_u64(p, (unsigned long long)view.shape[i]);
            p += 8;
        }
    }
    put_u64(p, (unsigned long long)view.len);
    p += 8;
    if (view.len > 0) {
        memcpy(p, view.buf, (size_t)view.len);
    }
    p += view.len;
    e->len = p - e->buf;
    r = 1;
release:
    PyBuffer_Release(&view);
    Py_DECREF(descr);
    return r;
}

static int
enc_object(objenc *e, PyObject *o, int depth)
{
    PyTypeObject *t = Py_TYPE(o);
    if (depth > OBJCODEC_MAX_DEPTH) {
        return 0;
    }
    if (o == Py_None || t == &PyBool_Type) {
        int room = enc_reserve(e, 1);
        if (room != 0) {
            return room < 0 ? -1 : 0;
        }
        e->buf[e->len++] = o == Py_None   ? TAG_NONE
                           : o == Py_True ? TAG_TRUE
                                          : TAG_FALSE;
        return 1;
    }
    if (t == &PyLong_Type) {
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow) {
            return 0; /* beyond 64 bits: pickle */
        }
        if (v == -1 && PyErr_Occurred()) {
            return -1;
        }
        return enc_tag_u64(e, TAG_INT, (unsigned long long)v);
    }
    if (t == &PyFloat_Type) {
        double d = PyFloat_AS_DOUBLE(o);
        unsigned long long bits;
        memcpy(&bits, &d, 8);
        return enc_tag_u64(e, TAG_FLOAT, bits);
    }
    if (t == &PyUnicode_Type) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        if (s == NULL) {
            PyErr_Clear(); /* lone surrogates: pickle */
            return 0;
        }
        return enc_sized(e, TAG_STR, s, n);
    }
    if (t == &PyBytes_Type) {
        return enc_sized(e, TAG_BYTES, PyBytes_AS_STRING(o),
                         PyBytes_GET_SIZE(o));
    }
    if (t == &PyTuple_Type || t == &PyList_Type || t == &PyDict_Type) {
        int fresh = 1;
        if (t != &PyTuple_Type || PyTuple_GET_SIZE(o) > 0) {
            fresh = enc_first_visit(e, o);
        }
        if (fresh <= 0) {
            return fresh;
        }
        if (t == &PyDict_Type) {
            return enc_dict(e, o, depth);
        }
        return enc_items(e, t == &PyList_Type ? TAG_LIST : TAG_TUPLE, o,
                         depth);
    }
    int np = objcodec_numpy_types(e->st);
    if (np <= 0) {
        return np;
    }
    if (t == (PyTypeObject *)e->st->objcodec_ndarray) {
        int fresh = enc_first_visit(e, o);
        if (fresh <= 0) {
            return fresh;
        }
        return enc_numpy(e, o, 0);
    }
    if (PyType_IsSubtype(t, (PyTypeObject *)e->st->objcodec_generic)) {
        return enc_numpy(e, o, 1);
    }
    return 0;
}

/* Encode obj into e (its message in e->buf[0:e->len]): 1, or 0 when obj
 * is not this codec's (no exception: pickle it), or -1 on error.  Arrays
 * of `threshold` bytes or more are left to pickle, which sends them out of
 * band.  objenc_release(e) after, whatever the result. */
static int
objenc_run(objenc *e, cmpi_state *st, PyObject *obj, Py_ssize_t threshold)
{
    e->st = st;
    e->buf = e->stackbuf;
    e->len = 2;
    e->cap = (Py_ssize_t)sizeof(e->stackbuf);
    e->array_limit = threshold >= 0 ? threshold : 64 * 1024;
    e->seen = e->stackseen;
    e->nseen = 0;
    e->seencap = (Py_ssize_t)(sizeof(e->stackseen) / sizeof(void *));
    memset(e->stackseen, 0, sizeof(e->stackseen));
    e->buf[0] = (char)OBJCODEC_MAGIC;
    e->buf[1] = OBJCODEC_VERSION;
    return enc_object(e, obj, 0);
}

static void
objenc_release(objenc *e)
{
    if (e->buf != e->stackbuf) {
        PyMem_Free(e->buf);
    }
    if (e->seen != e->stackseen) {
        PyMem_Free(e->seen);
    }
}

/* The message for obj, a new bytes object; NULL without an exception when
 * obj is not this codec's (pickle it), NULL with one on error. */
static PyObject *
cmpi_objcodec_encode(cmpi_state *st, PyObject *obj, Py_ssize_t threshold)
{
    objenc e;
    PyObject *res = NULL;
    if (objenc_run(&e, st, obj, threshold) > 0) {
        res = PyBytes_FromStringAndSize(e.buf, e.len);
    }
    objenc_release(&e);
    return res;
}

/* The same into m, for a caller that sends it before it returns (a
 * blocking send): no bytes object made and freed per message.  1, 0 or
 * -1 as objenc_run; on 1, cmpi_objmsg_release(m) after the send. */
static int
cmpi_objcodec_encode_msg(cmpi_state *st, PyObject *obj, Py_ssize_t threshold,
                         cmpi_objmsg *m)
{
    objenc e;
    int r = objenc_run(&e, st, obj, threshold);
    if (r > 0) {
        m->len = e.len;
        if (e.buf == e.stackbuf) {
            memcpy(m->stackbuf, e.buf, (size_t)e.len);
            m->buf = m->stackbuf;
        }
        else { /* the grown buffer is m's now */
            m->buf = e.buf;
            e.buf = e.stackbuf;
        }
    }
    objenc_release(&e);
    return r;
}

static void
cmpi_objmsg_release(cmpi_objmsg *m)
{
    if (m->buf != m->stackbuf) {
        PyMem_Free(m->buf);
    }
}

/* ------------------------------------------------------------------ */
/* Decoding */

typedef struct {
    cmpi_state *st;
    const unsigned char *p, *end;
} objdec;

/* pickle.UnpicklingError (new reference), the exception a corrupt pickle
 * raises; an exception already set stays set. */
static PyObject *
objcodec_unpickling_error(void)
{
    PyObject *pending = PyErr_GetRaisedException_compat();
    PyObject *mod = PyImport_ImportModule("pickle");
    PyObject *exc =
            mod ? PyObject_GetAttrString(mod, "UnpicklingError") : NULL;
    Py_XDECREF(mod);
    if (pending != NULL) {
        PyErr_Clear();
        PyErr_SetRaisedException_compat(pending);
    }
    return exc;
}

static PyObject *
dec_fail(const char *what)
{
    PyObject *exc = objcodec_unpickling_error();
    if (exc != NULL) {
        PyErr_Format(exc, "corrupt cmpi object message: %s", what);
        Py_DECREF(exc);
    }
    return NULL;
}

static int
dec_need(objdec *d, Py_ssize_t n)
{
    if (n < 0 || d->end - d->p < n) {
        dec_fail("truncated");
        return -1;
    }
    return 0;
}

static unsigned long long
get_u64(const unsigned char *p)
{
    unsigned long long v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static unsigned long
get_u32(const unsigned char *p)
{
    return (unsigned long)p[0] | (unsigned long)p[1] << 8 |
           (unsigned long)p[2] << 16 | (unsigned long)p[3] << 24;
}

/* A length or count of the message, checked against what is left (each
 * item takes at least `unit` bytes). */
static int
dec_count(objdec *d, Py_ssize_t unit, Py_ssize_t *n)
{
    if (dec_need(d, 4) < 0) {
        return -1;
    }
    unsigned long v = get_u32(d->p);
    d->p += 4;
    if ((unsigned long long)v * (unsigned long long)unit >
        (unsigned long long)(d->end - d->p)) {
        dec_fail("truncated");
        return -1;
    }
    *n = (Py_ssize_t)v;
    return 0;
}

static PyObject *
dec_object(objdec *d, int depth);

/* The dtype for a dtype string of the message: validated, cached. */
static PyObject *
dec_dtype(objdec *d)
{
    cmpi_state *st = d->st;
    if (dec_need(d, 1) < 0) {
        return NULL;
    }
    Py_ssize_t n = d->p[0];
    d->p++;
    if (dec_need(d, n) < 0) {
        return NULL;
    }
    const char *s = (const char *)d->p;
    d->p += n;
    if (!objcodec_descr_ok(s, n)) {
        return dec_fail("bad dtype");
    }
    if (st->objcodec_dtypes == NULL) {
        st->objcodec_dtypes = PyDict_New();
        if (st->objcodec_dtypes == NULL) {
            return NULL;
        }
    }
    PyObject *key = PyBytes_FromStringAndSize(s, n);
    if (key == NULL) {
        return NULL;
    }
    PyObject *dt = PyDict_GetItemWithError(st->objcodec_dtypes, key);
    if (dt != NULL || PyErr_Occurred()) {
        Py_DECREF(key);
        return Py_XNewRef(dt);
    }
    PyObject *numpy = PyImport_ImportModule("numpy");
    dt = numpy ? PyObject_CallMethod(numpy, "dtype", "s#", s, n) : NULL;
    Py_XDECREF(numpy);
    if (dt == NULL) {
        Py_DECREF(key);
        return NULL;
    }
    if (PyDict_GET_SIZE(st->objcodec_dtypes) < OBJCODEC_CACHE_MAX &&
        PyDict_SetItem(st->objcodec_dtypes, key, dt) < 0) {
        Py_CLEAR(dt);
    }
    Py_DECREF(key);
    return dt;
}

static PyObject *
dec_numpy(objdec *d, int scalar)
{
    PyObject *dt = NULL, *shape = NULL, *data = NULL;
    PyObject *itemsize = NULL, *res = NULL;
    int flags = 0;
    int have = objcodec_numpy_types(d->st);
    if (have == 0) {
        /* the receiving side imports NumPy, as pickle would */
        PyObject *numpy = PyImport_ImportModule("numpy");
        if (numpy == NULL) {
            return NULL;
        }
        Py_DECREF(numpy);
        have = objcodec_numpy_types(d->st);
    }
    if (have <= 0) {
        return have < 0 ? NULL : dec_fail("numpy.ndarray not found");
    }
    dt = dec_dtype(d);
    if (dt == NULL) {
        goto done;
    }
    Py_ssize_t ndim = 0;
    if (!scalar) {
        if (dec_need(d, 2) < 0) {
            goto done;
        }
        flags = d->p[0];
        ndim = d->p[1];
        d->p += 2;
        if ((flags & ~(ARRAY_FORTRAN | ARRAY_READONLY)) != 0 ||
            ndim > OBJCODEC_MAX_NDIM) {
            dec_fail("bad array header");
            goto done;
        }
        if (dec_need(d, 8 * ndim + 8) < 0) {
            goto done;
        }
    }
    else if (dec_need(d, 8) < 0) {
        goto done;
    }
    itemsize = PyObject_GetAttrString(dt, "itemsize");
    if (itemsize == NULL) {
        goto done;
    }
    unsigned long long total = (unsigned long long)PyLong_AsSsize_t(itemsize);
    if (total == 0 || total > 0x7FFFFFFFULL) {
        dec_fail("bad dtype");
        goto done;
    }
    shape = PyTuple_New(ndim);
    if (shape == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < ndim; i++) {
        unsigned long long dim = get_u64(d->p);
        d->p += 8;
        if (dim > 0x7FFFFFFFFFFFULL ||
            (dim != 0 && total > 0x7FFFFFFFFFFFFFFFULL / dim)) {
            dec_fail("bad array shape");
            goto done;
        }
        total *= dim;
        PyObject *v = PyLong_FromUnsignedLongLong(dim);
        if (v == NULL) {
            goto done;
        }
        PyTuple_SET_ITEM(shape, i, v);
    }
    unsigned long long nbytes = get_u64(d->p);
    d->p += 8;
    if (nbytes != total) {
        dec_fail("array size mismatch");
        goto done;
    }
    if (dec_need(d, (Py_ssize_t)nbytes) < 0) {
        goto done;
    }
    /* the array owns a copy, writable unless the sender's was not (as
     * pickle's bytes or bytearray) */
    data = scalar || (flags & ARRAY_READONLY)
                   ? PyBytes_FromStringAndSize((const char *)d->p,
                                               (Py_ssize_t)nbytes)
                   : PyByteArray_FromStringAndSize((const char *)d->p,
                                                   (Py_ssize_t)nbytes);
    d->p += nbytes;
    if (data == NULL) {
        goto done;
    }
    PyObject *ndarray = d->st->objcodec_ndarray;
    PyObject *zero = PyLong_FromLong(0);
    PyObject *order =
            zero ? PyUnicode_FromString(flags & ARRAY_FORTRAN ? "F" : "C")
                 : NULL;
    if (order != NULL) {
        PyObject *args[6] = {shape, dt, data, zero, Py_None, order};
        res = PyObject_Vectorcall(ndarray, args, 6, NULL);
    }
    Py_XDECREF(order);
    Py_XDECREF(zero);
    if (res != NULL && scalar) {
        PyObject *empty = PyTuple_New(0);
        Py_SETREF(res, empty ? PyObject_GetItem(res, empty) : NULL);
        Py_XDECREF(empty);
    }
done:
    Py_XDECREF(dt);
    Py_XDECREF(shape);
    Py_XDECREF(data);
    Py_XDECREF(itemsize);
    return res;
}

static PyObject *
dec_object(objdec *d, int depth)
{
    if (depth > OBJCODEC_MAX_DEPTH) {
        return dec_fail("nested too deep");
    }
    if (dec_need(d, 1) < 0) {
        return NULL;
    }
    int tag = *d->p++;
    Py_ssize_t n;
    PyObject *o;
    switch (tag) {
        case TAG_NONE: return Py_NewRef(Py_None);
        case TAG_TRUE: return Py_NewRef(Py_True);
        case TAG_FALSE: return Py_NewRef(Py_False);
        case TAG_INT:
        case TAG_FLOAT: {
            if (dec_need(d, 8) < 0) {
                return NULL;
            }
            unsigned long long bits = get_u64(d->p);
            d->p += 8;
            if (tag == TAG_INT) {
                return PyLong_FromLongLong((long long)bits);
            }
            double v;
            memcpy(&v, &bits, 8);
            return PyFloat_FromDouble(v);
        }
        case TAG_STR:
        case TAG_BYTES:
            if (dec_count(d, 1, &n) < 0) {
                return NULL;
            }
            o = tag == TAG_STR
                        ? PyUnicode_DecodeUTF8((const char *)d->p, n, "strict")
                        : PyBytes_FromStringAndSize((const char *)d->p, n);
            d->p += n;
            return o;
        case TAG_TUPLE:
        case TAG_LIST:
            if (dec_count(d, 1, &n) < 0) {
                return NULL;
            }
            o = tag == TAG_TUPLE ? PyTuple_New(n) : PyList_New(n);
            if (o == NULL) {
                return NULL;
            }
            for (Py_ssize_t i = 0; i < n; i++) {
                PyObject *item = dec_object(d, depth + 1);
                if (item == NULL) {
                    Py_DECREF(o);
                    return NULL;
                }
                if (tag == TAG_TUPLE) {
                    PyTuple_SET_ITEM(o, i, item);
                }
                else {
                    PyList_SET_ITEM(o, i, item);
                }
            }
            return o;
        case TAG_DICT:
            if (dec_count(d, 2, &n) < 0) {
                return NULL;
            }
            o = PyDict_New();
            if (o == NULL) {
                return NULL;
            }
            for (Py_ssize_t i = 0; i < n; i++) {
                PyObject *k = dec_object(d, depth + 1);
                PyObject *v = k ? dec_object(d, depth + 1) : NULL;
                int rc = v ? PyDict_SetItem(o, k, v) : -1;
                Py_XDECREF(k);
                Py_XDECREF(v);
                if (rc < 0) {
                    Py_DECREF(o);
                    return NULL;
                }
            }
            return o;
        case TAG_ARRAY:
        case TAG_SCALAR: return dec_numpy(d, tag == TAG_SCALAR);
        default: return dec_fail("unknown item tag");
    }
}

/* Whether buf[0:n] is a message of this codec (rather than a pickle). */
static inline int
cmpi_objcodec_is_message(const char *buf, Py_ssize_t n)
{
    return n >= 1 && (unsigned char)buf[0] == OBJCODEC_MAGIC;
}

/* The object of the message buf[0:n]; pickle.UnpicklingError if it is
 * corrupt (an exception other than MemoryError raised while building it
 * becomes the UnpicklingError's cause). */
static PyObject *
cmpi_objcodec_decode(cmpi_state *st, const char *buf, Py_ssize_t n)
{
    if (n < 2) {
        return dec_fail("truncated");
    }
    if ((unsigned char)buf[1] != OBJCODEC_VERSION) {
        PyObject *exc = objcodec_unpickling_error();
        if (exc != NULL) {
            PyErr_Format(exc,
                         "cmpi object message of format version %d: this "
                         "cmpi reads version %d (sender and receiver run "
                         "different cmpi versions)",
                         (unsigned char)buf[1], OBJCODEC_VERSION);
            Py_DECREF(exc);
        }
        return NULL;
    }
    objdec d = {st, (const unsigned char *)buf + 2,
                (const unsigned char *)buf + n};
    PyObject *o = dec_object(&d, 0);
    if (o != NULL && d.p != d.end) {
        Py_CLEAR(o);
        dec_fail("trailing bytes");
    }
    if (o == NULL && !PyErr_ExceptionMatches(PyExc_MemoryError)) {
        PyObject *exc = objcodec_unpickling_error();
        if (exc == NULL) {
            return NULL;
        }
        if (!PyErr_ExceptionMatches(exc)) {
            PyObject *cause = PyErr_GetRaisedException_compat();
            PyErr_Format(exc, "corrupt cmpi object message: %S", cause);
            PyObject *err = PyErr_GetRaisedException_compat();
            PyException_SetCause(err, cause); /* steals cause */
            PyErr_SetRaisedException_compat(err);
        }
        Py_DECREF(exc);
    }
    return o;
}

#undef OBJCODEC_MAGIC
#undef OBJCODEC_VERSION
#undef OBJCODEC_MAX_MESSAGE
#undef OBJCODEC_MAX_DEPTH
#undef OBJCODEC_MAX_NDIM
#undef OBJCODEC_CACHE_MAX
#undef ARRAY_FORTRAN
#undef ARRAY_READONLY
