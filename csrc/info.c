/*
 * info.c -- MPI.Info: (key, value) hints passed to MPI, with the mapping
 * interface of a dict of str, and cmpi_info_arg(), which every call taking
 * an `info` argument uses to read it.
 */
#include "cmpi.h"

/* An info object cmpi created (Create, Dup, copy, Get_info ...): freed
 * when the last reference goes, since freeing an info is a local call. */
#define INFO_OWNED 0x100u

static PyObject *
info_new(cmpi_state *st, PyTypeObject *type, MPI_Info h, unsigned flags)
{
    InfoObject *self = (InfoObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = h;
    self->flags = flags;
    self->st = st;
    return (PyObject *)self;
}

/* A new Info owning handle `h` (freed with the object).  On failure the
 * handle is freed here. */
CMPI_UNUSED static PyObject *
cmpi_info_new(cmpi_state *st, MPI_Info h)
{
    PyObject *info = info_new(st, st->Info_Type, h,
                              h == MPI_INFO_NULL ? 0 : INFO_OWNED);
    if (info == NULL && h != MPI_INFO_NULL) {
        MPI_Info_free(&h);
    }
    return info;
}

/* An info argument (missing: INFO_NULL).  None is refused with TypeError,
 * as mpi4py refuses it: only Dup, Idup and Info() take None, and handle it
 * themselves. */
CMPI_UNUSED static int
cmpi_info_arg(cmpi_state *st, PyObject *obj, MPI_Info *out)
{
    if (obj == NULL) {
        *out = MPI_INFO_NULL;
        return 0;
    }
    if (CMPI_LIKELY(PyObject_TypeCheck(obj, st->Info_Type))) {
        *out = ((InfoObject *)obj)->ob_mpi;
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "info must be an Info (or INFO_NULL), not %.100s",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

static PyObject *
Info_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"info", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Info", kwlist, &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    MPI_Info h = MPI_INFO_NULL;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Info_Type)) {
            PyErr_Format(PyExc_TypeError, "expected an Info, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        h = ((InfoObject *)other)->ob_mpi;
        /* Two objects now name the handle: neither frees it when
         * collected (Free() still does), so none can free it under the
         * other. */
        ((InfoObject *)other)->flags &= ~INFO_OWNED;
    }
    PyObject *self = info_new(st, type, h, 0);
    if (self != NULL && other != NULL && other != Py_None) {
        cmpi_handle_link(self, other, CMPI_HK_INFO);
    }
    return self;
}

static void
Info_dealloc(InfoObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_INFO);
    if ((self->flags & INFO_OWNED) && self->ob_mpi != MPI_INFO_NULL) {
        int finalized = 1;
        MPI_Finalized(&finalized);
        if (!finalized) {
            MPI_Info_free(&self->ob_mpi);
        }
    }
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Info_richcompare, Info_bool, CMPI_HK_INFO)

static int
info_check(InfoObject *self)
{
    return cmpi_handle_check((PyObject *)self, CMPI_HK_INFO);
}

/* A key or value as a C string, with MPI's length limit checked here so
 * the error names it. */
static const char *
info_str(InfoObject *self, PyObject *obj, const char *what, int maxlen)
{
    if (!PyUnicode_Check(obj) && !PyBytes_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "info %s must be a str, not %.100s",
                     what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    Py_ssize_t n;
    const char *s = cmpi_as_mpistr(obj, &n, what);
    if (s == NULL) {
        return NULL;
    }
    if ((Py_ssize_t)strlen(s) != n) {
        PyErr_Format(PyExc_ValueError, "info %s contains a NUL character",
                     what);
        return NULL;
    }
    if (n > maxlen) {
        cmpi_raise_msg(self->st,
                       maxlen == MPI_MAX_INFO_KEY ? MPI_ERR_INFO_KEY
                                                  : MPI_ERR_INFO_VALUE,
                       "info %s of %zd characters is too long: the limit is "
                       "%d",
                       what, n, maxlen);
        return NULL;
    }
    return s;
}

static const char *
info_key(InfoObject *self, PyObject *key)
{
    return info_str(self, key, "key", MPI_MAX_INFO_KEY);
}

/* The value of `key`, or *out = NULL when the key is not set. */
static int
info_lookup(InfoObject *self, const char *key, PyObject **out)
{
    int flag = 0, ierr;
    char *buf = NULL;
    *out = NULL;
#if CMPI_HAVE_INFO_GET_STRING
    char probe[1];
    int buflen = 0;
    ierr = MPI_Info_get_string(self->ob_mpi, key, &buflen, probe, &flag);
    if (ierr != MPI_SUCCESS) {
        goto error;
    }
    if (!flag) {
        return 0;
    }
    buf = PyMem_Malloc((size_t)buflen + 1);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    ierr = MPI_Info_get_string(self->ob_mpi, key, &buflen, buf, &flag);
#else
    int vlen = 0;
    ierr = MPI_Info_get_valuelen(self->ob_mpi, key, &vlen, &flag);
    if (ierr != MPI_SUCCESS) {
        goto error;
    }
    if (!flag) {
        return 0;
    }
    buf = PyMem_Malloc((size_t)vlen + 1);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buf[vlen] = '\0';
    ierr = MPI_Info_get(self->ob_mpi, key, vlen, buf, &flag);
#endif
    if (ierr != MPI_SUCCESS) {
        goto error;
    }
    if (flag) {
        *out = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)strlen(buf), "replace");
    }
    PyMem_Free(buf);
    return (flag && *out == NULL) ? -1 : 0;
error:
    PyMem_Free(buf);
    cmpi_raise(self->st, ierr);
    return -1;
}

static int
info_set(InfoObject *self, PyObject *key, PyObject *value)
{
    const char *k, *v;
    if (info_check(self) < 0 || (k = info_key(self, key)) == NULL ||
        (v = info_str(self, value, "value", MPI_MAX_INFO_VAL)) == NULL) {
        return -1;
    }
    int ierr = MPI_Info_set(self->ob_mpi, k, v);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

static int
info_nkeys(InfoObject *self, int *n)
{
    int ierr = MPI_Info_get_nkeys(self->ob_mpi, n);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

static PyObject *
info_nthkey(InfoObject *self, int n)
{
    char key[MPI_MAX_INFO_KEY + 1];
    key[0] = '\0';
    int ierr = MPI_Info_get_nthkey(self->ob_mpi, n, key);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    key[MPI_MAX_INFO_KEY] = '\0';
    return PyUnicode_DecodeUTF8(key, (Py_ssize_t)strlen(key), "replace");
}

/* Update from a mapping (anything with keys()) or pairs. */
static int
info_update(InfoObject *self, PyObject *items)
{
    PyObject *it = NULL, *item = NULL, *keys = NULL;
    int rc = -1;
    if (PyObject_HasAttrString(items, "keys")) {
        keys = PyObject_CallMethod(items, "keys", NULL);
        if (keys == NULL || (it = PyObject_GetIter(keys)) == NULL) {
            goto done;
        }
        while ((item = PyIter_Next(it)) != NULL) {
            PyObject *value = PyObject_GetItem(items, item);
            int r = value ? info_set(self, item, value) : -1;
            Py_XDECREF(value);
            Py_CLEAR(item);
            if (r < 0) {
                goto done;
            }
        }
    }
    else {
        if ((it = PyObject_GetIter(items)) == NULL) {
            goto done;
        }
        while ((item = PyIter_Next(it)) != NULL) {
            PyObject *k, *v;
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
                PyObject *t = PySequence_Tuple(item);
                if (t == NULL || PyTuple_GET_SIZE(t) != 2) {
                    Py_XDECREF(t);
                    PyErr_Format(PyExc_TypeError,
                                 "info items must be (key, value) pairs, "
                                 "got %.100s",
                                 Py_TYPE(item)->tp_name);
                    goto done;
                }
                Py_SETREF(item, t);
            }
            k = PyTuple_GET_ITEM(item, 0);
            v = PyTuple_GET_ITEM(item, 1);
            if (info_set(self, k, v) < 0) {
                goto done;
            }
            Py_CLEAR(item);
        }
    }
    rc = PyErr_Occurred() ? -1 : 0;
done:
    Py_XDECREF(item);
    Py_XDECREF(it);
    Py_XDECREF(keys);
    return rc;
}

CMPI_DOC(Info_Create_doc, "Create(items=None)",
         "Create a new info object, holding `items` (an Info, a mapping or "
         "(key, value) pairs) if given.");
static PyObject *
Info_Create(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const kw[] = {"items", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Create", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    MPI_Info h;
    int ierr = MPI_Info_create(&h);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    PyObject *info = info_new(st, cls, h, INFO_OWNED);
    if (info == NULL) {
        MPI_Info_free(&h);
        return NULL;
    }
    if (a[0] != NULL && a[0] != Py_None &&
        info_update((InfoObject *)info, a[0]) < 0) {
        Py_CLEAR(info);
    }
    return info;
}

CMPI_DOC(Info_Create_env_doc, "Create_env(args=None)",
         "Create a new info object like INFO_ENV, as MPI would make it for "
         "the command line `args` (MPI-4).");
static PyObject *
Info_Create_env(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"args", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Create_env", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    /* the arguments are checked where the library lacks the call too, as
     * mpi4py does before reaching it */
    PyObject *seq = NULL, *info = NULL;
    char **argv = NULL;
    int argc = 0;
    if (a[0] != NULL && a[0] != Py_None) {
        seq = PySequence_Fast(a[0], "args must be a sequence of str");
        if (seq == NULL) {
            return NULL;
        }
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        if (n >= INT_MAX) {
            PyErr_SetString(PyExc_ValueError, "args: too many arguments");
            goto done;
        }
        argc = (int)n;
        argv = PyMem_New(char *, (size_t)n + 1);
        if (argv == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *s = PySequence_Fast_GET_ITEM(seq, i);
            if (!PyUnicode_Check(s)) {
                PyErr_Format(PyExc_TypeError,
                             "args[%zd] must be a str, not %.100s", i,
                             Py_TYPE(s)->tp_name);
                goto done;
            }
            argv[i] = (char *)PyUnicode_AsUTF8(s);
            if (argv[i] == NULL) {
                goto done;
            }
        }
        argv[n] = NULL;
    }
#if CMPI_HAVE_INFO_CREATE_ENV
    MPI_Info h;
    int ierr = MPI_Info_create_env(argc, argv, &h);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        goto done;
    }
    info = info_new(st, cls, h, INFO_OWNED);
    if (info == NULL) {
        MPI_Info_free(&h);
    }
#else
    (void)argc;
    cmpi_not_implemented("MPI_Info_create_env");
#endif
done:
    PyMem_Free(argv);
    Py_XDECREF(seq);
    return info;
}

CMPI_DOC(Info_Free_doc, "Free($self)", "Free an info object.");
static PyObject *
Info_Free(InfoObject *self, PyObject *Py_UNUSED(a))
{
    if (info_check(self) < 0) {
        return NULL;
    }
    if ((self->flags & CMPI_CONST) || self->ob_mpi == MPI_INFO_ENV) {
        return cmpi_raise_msg(self->st, MPI_ERR_INFO,
                              "cannot free a predefined info object");
    }
    int ierr = MPI_Info_free(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    self->ob_mpi = MPI_INFO_NULL;
    cmpi_handle_freed((PyObject *)self, CMPI_HK_INFO, NULL);
    Py_RETURN_NONE;
}

CMPI_DOC(Info_free_doc, "free($self)",
         "Call Free() if the info object is neither null nor predefined.");
static PyObject *
Info_free(InfoObject *self, PyObject *Py_UNUSED(a))
{
    if (self->ob_mpi == MPI_INFO_NULL || (self->flags & CMPI_CONST)) {
        Py_RETURN_NONE;
    }
    if (self->ob_mpi == MPI_INFO_ENV) { /* a copy of INFO_ENV: forget it */
        self->ob_mpi = MPI_INFO_NULL;
        self->flags &= ~INFO_OWNED;
        Py_RETURN_NONE;
    }
    return Info_Free(self, NULL);
}

CMPI_DOC(Info_Dup_doc, "Dup($self)",
         "Duplicate an info object: same pairs, same key order.");
static PyObject *
Info_Dup(InfoObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Info h;
    if (info_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Info_dup(self->ob_mpi, &h);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    PyObject *info = info_new(self->st, Py_TYPE(self), h, INFO_OWNED);
    if (info == NULL) {
        MPI_Info_free(&h);
    }
    return info;
}

CMPI_DOC(Info_Get_doc, "Get($self, key)",
         "Return the value of `key`, or None if it is not set.");
static PyObject *
Info_Get(InfoObject *self, PyObject *key)
{
    const char *k;
    PyObject *value;
    if (info_check(self) < 0 || (k = info_key(self, key)) == NULL ||
        info_lookup(self, k, &value) < 0) {
        return NULL;
    }
    return value ? value : Py_NewRef(Py_None);
}

CMPI_ONE_ARG_KW(Info_Get, InfoObject, "Get", "key")

CMPI_DOC(Info_Set_doc, "Set($self, key, value)",
         "Set `key` to `value`, replacing any previous value.");
static PyObject *
Info_Set(InfoObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    static const char *const kw[] = {"key", "value", NULL};
    PyObject *a[2] = {NULL, NULL};
    if (cmpi_parse("Set", args, nargs, kwnames, kw, 2, a) < 0 ||
        info_set(self, a[0], a[1]) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Info_Delete_doc, "Delete($self, key)",
         "Remove `key` and its value (MPI.Exception ERR_INFO_NOKEY if it is "
         "not set).");
static PyObject *
Info_Delete(InfoObject *self, PyObject *key)
{
    const char *k;
    if (info_check(self) < 0 || (k = info_key(self, key)) == NULL) {
        return NULL;
    }
    int ierr = MPI_Info_delete(self->ob_mpi, k);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Info_Delete, InfoObject, "Delete", "key")

CMPI_DOC(Info_Get_nkeys_doc, "Get_nkeys($self)",
         "Return the number of keys set.");
static PyObject *
Info_Get_nkeys(InfoObject *self, PyObject *Py_UNUSED(a))
{
    int n;
    if (info_check(self) < 0 || info_nkeys(self, &n) < 0) {
        return NULL;
    }
    return PyLong_FromLong(n);
}

CMPI_DOC(Info_Get_nthkey_doc, "Get_nthkey($self, n)",
         "Return the n-th key set (counting from 0).");
static PyObject *
Info_Get_nthkey(InfoObject *self, PyObject *arg)
{
    int n, nkeys;
    if (info_check(self) < 0 || cmpi_as_int(arg, &n, "n") < 0 ||
        info_nkeys(self, &nkeys) < 0) {
        return NULL;
    }
    if (n < 0) {
        return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                              "invalid argument: n=%d, the info has %d "
                              "key%s",
                              n, nkeys, nkeys == 1 ? "" : "s");
    }
    if (n >= nkeys) { /* no such key: Open MPI's class, as in mpi4py */
        return cmpi_raise_msg(self->st, MPI_ERR_INFO_KEY,
                              "invalid info key: n=%d, the info has %d "
                              "key%s",
                              n, nkeys, nkeys == 1 ? "" : "s");
    }
    return info_nthkey(self, n);
}

CMPI_ONE_ARG_KW(Info_Get_nthkey, InfoObject, "Get_nthkey", "n")

/* ---- the mapping interface ---- */

static Py_ssize_t
Info_length(InfoObject *self)
{
    int n = 0;
    if (self->ob_mpi == MPI_INFO_NULL) {
        return 0;
    }
    if (info_nkeys(self, &n) < 0) {
        return -1;
    }
    return n;
}

static int
Info_contains(InfoObject *self, PyObject *key)
{
    const char *k;
    PyObject *value;
    if (self->ob_mpi == MPI_INFO_NULL) {
        return 0;
    }
    if ((k = info_key(self, key)) == NULL ||
        info_lookup(self, k, &value) < 0) {
        return -1;
    }
    Py_XDECREF(value);
    return value != NULL;
}

static PyObject *
Info_subscript(InfoObject *self, PyObject *key)
{
    const char *k;
    PyObject *value = NULL;
    if (self->ob_mpi != MPI_INFO_NULL) {
        if ((k = info_key(self, key)) == NULL ||
            info_lookup(self, k, &value) < 0) {
            return NULL;
        }
    }
    if (value == NULL) {
        PyErr_SetObject(PyExc_KeyError, key);
    }
    return value;
}

static int
Info_ass_subscript(InfoObject *self, PyObject *key, PyObject *value)
{
    if (self->ob_mpi == MPI_INFO_NULL) {
        PyErr_SetObject(PyExc_KeyError, key);
        return -1;
    }
    if (value != NULL) {
        return info_set(self, key, value);
    }
    int has = Info_contains(self, key);
    if (has <= 0) {
        if (has == 0) {
            PyErr_SetObject(PyExc_KeyError, key);
        }
        return -1;
    }
    int ierr = MPI_Info_delete(self->ob_mpi, info_key(self, key));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

enum {
    INFO_KEYS,
    INFO_VALUES,
    INFO_ITEMS
};

static PyObject *
info_list(InfoObject *self, int what)
{
    int n = 0;
    if (self->ob_mpi != MPI_INFO_NULL && info_nkeys(self, &n) < 0) {
        return NULL;
    }
    PyObject *list = PyList_New(n);
    for (int i = 0; list != NULL && i < n; i++) {
        PyObject *key = info_nthkey(self, i), *value = NULL, *entry;
        if (key == NULL) {
            goto error;
        }
        if (what != INFO_KEYS) {
            if (info_lookup(self, PyUnicode_AsUTF8(key), &value) < 0) {
                Py_DECREF(key);
                goto error;
            }
            if (value == NULL) {
                value = Py_NewRef(Py_None);
            }
        }
        if (what == INFO_KEYS) {
            entry = key;
        }
        else if (what == INFO_VALUES) {
            Py_DECREF(key);
            entry = value;
        }
        else {
            entry = PyTuple_Pack(2, key, value);
            Py_DECREF(key);
            Py_DECREF(value);
            if (entry == NULL) {
                goto error;
            }
        }
        PyList_SET_ITEM(list, i, entry);
    }
    return list;
error:
    Py_DECREF(list);
    return NULL;
}

static PyObject *
Info_iter(InfoObject *self)
{
    PyObject *keys = info_list(self, INFO_KEYS);
    if (keys == NULL) {
        return NULL;
    }
    PyObject *it = PyObject_GetIter(keys);
    Py_DECREF(keys);
    return it;
}

CMPI_DOC(Info_keys_doc, "keys($self)", "Return the list of keys.");
static PyObject *
Info_keys(InfoObject *self, PyObject *Py_UNUSED(a))
{
    return info_list(self, INFO_KEYS);
}

CMPI_DOC(Info_values_doc, "values($self)", "Return the list of values.");
static PyObject *
Info_values(InfoObject *self, PyObject *Py_UNUSED(a))
{
    return info_list(self, INFO_VALUES);
}

CMPI_DOC(Info_items_doc, "items($self)",
         "Return the list of (key, value) pairs.");
static PyObject *
Info_items(InfoObject *self, PyObject *Py_UNUSED(a))
{
    return info_list(self, INFO_ITEMS);
}

CMPI_DOC(Info_get_doc, "get($self, key, default=None)",
         "Return the value of `key`, or `default` if it is not set.");
static PyObject *
Info_get(InfoObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    static const char *const kw[] = {"key", "default", NULL};
    PyObject *a[2] = {NULL, NULL}, *value = NULL;
    const char *k;
    if (cmpi_parse("get", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (self->ob_mpi != MPI_INFO_NULL) {
        if ((k = info_key(self, a[0])) == NULL ||
            info_lookup(self, k, &value) < 0) {
            return NULL;
        }
    }
    if (value != NULL) {
        return value;
    }
    return Py_NewRef(a[1] ? a[1] : Py_None);
}

CMPI_DOC(Info_update_doc, "update($self, items=(), **kwds)",
         "Set the pairs of `items` (an Info, a mapping or (key, value) "
         "pairs), then those given as keywords.");
static PyObject *
Info_update_method(InfoObject *self, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    PyObject *items = nargs > 0 ? args[0] : NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError,
                     "update() takes at most 1 positional argument (%zd "
                     "given)",
                     nargs);
        return NULL;
    }
    if (self->ob_mpi == MPI_INFO_NULL) {
        PyErr_SetString(PyExc_KeyError, "update(): the info is INFO_NULL");
        return NULL;
    }
    /* `items` may come as a keyword too; other keywords are pairs. */
    Py_ssize_t kw_items = -1;
    for (Py_ssize_t i = 0; items == NULL && i < nkw; i++) {
        if (PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(kwnames, i),
                                             "items") == 0) {
            kw_items = i;
            items = args[nargs + i];
        }
    }
    if (items != NULL && info_update(self, items) < 0) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, i);
        if (i != kw_items && info_set(self, key, args[nargs + i]) < 0) {
            return NULL;
        }
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Info_pop_doc, "pop($self, key, *default)",
         "Remove `key` and return its value; return `default` if given and "
         "the key is not set, else raise KeyError.");
static PyObject *
Info_pop(InfoObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    PyObject *value = NULL;
    const char *k = NULL;
    /* pop(key=...), as mpi4py's pop(key, *default) allows (no default
     * can follow a keyword) */
    PyObject *key_kw = NULL;
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        static const char *const names[] = {"key", NULL};
        if (cmpi_parse("pop", args, nargs, kwnames, names, 1, &key_kw) < 0) {
            return NULL;
        }
        args = &key_kw;
        nargs = 1;
    }
    if (nargs < 1 || nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "pop() takes 1 or 2 arguments (%zd given)", nargs);
        return NULL;
    }
    if (self->ob_mpi != MPI_INFO_NULL) {
        if ((k = info_key(self, args[0])) == NULL ||
            info_lookup(self, k, &value) < 0) {
            return NULL;
        }
    }
    if (value != NULL) {
        int ierr = MPI_Info_delete(self->ob_mpi, k);
        if (ierr != MPI_SUCCESS) {
            Py_DECREF(value);
            return cmpi_raise(self->st, ierr);
        }
        return value;
    }
    if (nargs == 2) {
        return Py_NewRef(args[1]);
    }
    PyErr_SetObject(PyExc_KeyError, args[0]);
    return NULL;
}

CMPI_DOC(Info_popitem_doc, "popitem($self)",
         "Remove the last key set and return its (key, value) pair.");
static PyObject *
Info_popitem(InfoObject *self, PyObject *Py_UNUSED(a))
{
    int n = 0;
    if (self->ob_mpi != MPI_INFO_NULL && info_nkeys(self, &n) < 0) {
        return NULL;
    }
    if (n == 0) {
        PyErr_SetString(PyExc_KeyError, "popitem(): info is empty");
        return NULL;
    }
    PyObject *key = info_nthkey(self, n - 1), *value = NULL, *res = NULL;
    if (key == NULL || info_lookup(self, PyUnicode_AsUTF8(key), &value) < 0) {
        goto done;
    }
    int ierr = MPI_Info_delete(self->ob_mpi, PyUnicode_AsUTF8(key));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = PyTuple_Pack(2, key, value ? value : Py_None);
done:
    Py_XDECREF(key);
    Py_XDECREF(value);
    return res;
}

CMPI_DOC(Info_copy_doc, "copy($self)",
         "Return a new info object with the same pairs.");
static PyObject *
Info_copy(InfoObject *self, PyObject *Py_UNUSED(a))
{
    if (self->ob_mpi == MPI_INFO_NULL) {
        return info_new(self->st, Py_TYPE(self), MPI_INFO_NULL, 0);
    }
    return Info_Dup(self, NULL);
}

CMPI_DOC(Info_clear_doc, "clear($self)", "Remove every pair.");
static PyObject *
Info_clear(InfoObject *self, PyObject *Py_UNUSED(a))
{
    int n = 0;
    if (self->ob_mpi == MPI_INFO_NULL) {
        Py_RETURN_NONE;
    }
    if (info_nkeys(self, &n) < 0) {
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        char key[MPI_MAX_INFO_KEY + 1];
        key[0] = '\0';
        int ierr = MPI_Info_get_nthkey(self->ob_mpi, 0, key);
        if (ierr == MPI_SUCCESS) {
            ierr = MPI_Info_delete(self->ob_mpi, key);
        }
        if (ierr != MPI_SUCCESS) {
            return cmpi_raise(self->st, ierr);
        }
    }
    Py_RETURN_NONE;
}

static PyObject *
Info_get_handle(InfoObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

static PyObject *
Info_repr(InfoObject *self)
{
    if (self->ob_mpi == MPI_INFO_NULL) {
        return PyUnicode_FromString("<MPI.Info: INFO_NULL>");
    }
    if (self->ob_mpi == MPI_INFO_ENV) {
        return PyUnicode_FromString("<MPI.Info: INFO_ENV>");
    }
    PyObject *items = info_list(self, INFO_ITEMS);
    if (items == NULL) {
        return NULL;
    }
    PyObject *r = PyUnicode_FromFormat("<MPI.Info: %R>", items);
    Py_DECREF(items);
    return r;
}

static PyMethodDef Info_methods[] = {
        {"Create", FN(Info_Create), CLSFASTKW, Info_Create_doc},
        {"Create_env", FN(Info_Create_env), CLSFASTKW, Info_Create_env_doc},
        {"Free", (PyCFunction)Info_Free, METH_NOARGS, Info_Free_doc},
        {"free", (PyCFunction)Info_free, METH_NOARGS, Info_free_doc},
        {"Dup", (PyCFunction)Info_Dup, METH_NOARGS, Info_Dup_doc},
        {"Get", FN(Info_Get_kw), FASTKW, Info_Get_doc},
        {"Set", FN(Info_Set), FASTKW, Info_Set_doc},
        {"Delete", FN(Info_Delete_kw), FASTKW, Info_Delete_doc},
        {"Get_nkeys", (PyCFunction)Info_Get_nkeys, METH_NOARGS,
         Info_Get_nkeys_doc},
        {"Get_nthkey", FN(Info_Get_nthkey_kw), FASTKW, Info_Get_nthkey_doc},
        {"keys", (PyCFunction)Info_keys, METH_NOARGS, Info_keys_doc},
        {"values", (PyCFunction)Info_values, METH_NOARGS, Info_values_doc},
        {"items", (PyCFunction)Info_items, METH_NOARGS, Info_items_doc},
        {"get", FN(Info_get), FASTKW, Info_get_doc},
        {"update", FN(Info_update_method), FASTKW, Info_update_doc},
        {"pop", FN(Info_pop), FASTKW, Info_pop_doc},
        {"popitem", (PyCFunction)Info_popitem, METH_NOARGS, Info_popitem_doc},
        {"copy", (PyCFunction)Info_copy, METH_NOARGS, Info_copy_doc},
        {"clear", (PyCFunction)Info_clear, METH_NOARGS, Info_clear_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Info_getset[] = {
        {"handle", (getter)Info_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Info_doc,
             "Info(info=None)\n--\n\n"
             "Info object: (key, value) string pairs, usable as a dict.");

static PyMemberDef Info_members[] = {
        CMPI_WEAKLIST_MEMBER(InfoObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Info_slots[] = {
        {Py_tp_members, Info_members},
        {Py_tp_doc, (void *)Info_doc},
        {Py_tp_new, Info_new},
        {Py_tp_dealloc, Info_dealloc},
        {Py_tp_richcompare, Info_richcompare},
        {Py_tp_repr, Info_repr},
        {Py_tp_iter, Info_iter},
        {Py_nb_bool, Info_bool},
        {Py_mp_length, Info_length},
        {Py_mp_subscript, Info_subscript},
        {Py_mp_ass_subscript, Info_ass_subscript},
        {Py_sq_contains, Info_contains},
        {Py_tp_methods, Info_methods},
        {Py_tp_getset, Info_getset},
        {0, NULL},
};

static PyType_Spec Info_spec = {
        .name = "cmpi.MPI.Info",
        .basicsize = sizeof(InfoObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Info_slots,
};

static int
cmpi_info_init(PyObject *m, cmpi_state *st)
{
    st->Info_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Info_spec, NULL);
    if (st->Info_Type == NULL || PyModule_AddType(m, st->Info_Type) < 0) {
        return -1;
    }
    if (cmpi_add(m, "INFO_NULL",
                 info_new(st, st->Info_Type, MPI_INFO_NULL, CMPI_CONST)) < 0 ||
        cmpi_add(m, "INFO_ENV",
                 info_new(st, st->Info_Type, MPI_INFO_ENV, CMPI_CONST)) < 0) {
        return -1;
    }
    return 0;
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef INFO_OWNED
