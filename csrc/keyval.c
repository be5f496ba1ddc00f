/*
 * keyval.c -- attribute caching with Python objects on communicators,
 * datatypes and windows: Comm.Create_keyval, Free_keyval, Set_attr,
 * Get_attr and Delete_attr, and the same on Datatype and Win.
 */
#include "cmpi.h"

/* Attribute caching with Python objects.
 *
 * A keyval made by Create_keyval carries a cmpi_keyval as its extra
 * state: the Python copy and delete functions.  The attribute value MPI
 * stores is a strong reference to the Python object (or, with
 * nopython=True, a plain integer).  MPI calls the copy callback on
 * Dup/Clone and the delete callback on Delete_attr, Set_attr (the old
 * value) and Free.
 */
typedef struct cmpi_keyval {
    int keyval;
    enum cmpi_keyval_kind kind;
    int nopython;
    PyObject *copy_fn;   /* None, True (share), or callable */
    PyObject *delete_fn; /* None or callable */
    cmpi_state *st;
    struct cmpi_keyval *next;
} cmpi_keyval;

/* Process-global like MPI's keyvals.  Entries are never freed: MPI may
 * call back with one after Free_keyval while attributes remain. */
static cmpi_keyval *cmpi_keyvals = NULL;

static cmpi_keyval *
keyval_find(int keyval)
{
    for (cmpi_keyval *k = cmpi_keyvals; k != NULL; k = k->next) {
        if (k->keyval == keyval) {
            return k;
        }
    }
    return NULL;
}

/* A Comm object for a callback: a borrowed handle (no attribute calls:
 * MPI may hold its attribute lock while it calls back). */
static PyObject *
cmpi_comm_borrowed(cmpi_state *st, MPI_Comm h)
{
    PyTypeObject *type = cmpi_comm_type_for(st, h);
    CommObject *c = (CommObject *)type->tp_alloc(type, 0);
    if (c == NULL) {
        return NULL;
    }
    c->ob_mpi = h;
    c->flags = CMPI_CONST;
    c->st = st;
    c->shadow = MPI_COMM_NULL;
    MPI_Comm_size(h, &c->size);
    MPI_Comm_test_inter(h, &c->inter);
    c->peers = c->size;
    if (c->inter) {
        MPI_Comm_remote_size(h, &c->peers);
    }
    return (PyObject *)c;
}

/* The object a callback gets for the handle `h` points to: a borrowed
 * communicator, datatype or window (predefined-like: never freed by it). */
static PyObject *
keyval_owner(cmpi_keyval *k, const void *h)
{
    switch (k->kind) {
        case CMPI_KEYVAL_TYPE:
            return cmpi_datatype_new(k->st, *(const MPI_Datatype *)h,
                                     CMPI_CONST);
        case CMPI_KEYVAL_WIN:
            return cmpi_win_alloc(k->st, k->st->Win_Type, *(const MPI_Win *)h,
                                  CMPI_CONST);
        default: return cmpi_comm_borrowed(k->st, *(const MPI_Comm *)h);
    }
}

static PyObject *
keyval_value(cmpi_keyval *k, void *value)
{
    if (k == NULL || k->nopython) {
        return PyLong_FromVoidPtr(value);
    }
    return Py_NewRef((PyObject *)value);
}

/* The Python value of an attribute of `keyval` (win.c's Get_attr, for the
 * keyvals that are not predefined). */
static PyObject *
cmpi_keyval_value(int keyval, void *value)
{
    return keyval_value(keyval_find(keyval), value);
}

/* MPI's copy callback of every kind: `old` points to the handle copied. */
static int
keyval_copy(const void *old, int keyval, void *extra, void *in, void *out,
            int *flag)
{
    cmpi_keyval *k = extra;
    *flag = 0;
    if (cmpi_making_shadow || k->copy_fn == Py_None || !Py_IsInitialized()) {
        return MPI_SUCCESS;
    }
    int ierr = MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *r = NULL, *c = NULL, *v = NULL;
    if (k->copy_fn == Py_True) {
        r = keyval_value(k, in);
    }
    else {
        c = keyval_owner(k, old);
        v = c ? keyval_value(k, in) : NULL;
        r = v ? PyObject_CallFunction(k->copy_fn, "OiO", c, keyval, v) : NULL;
    }
    if (r == NULL) {
        PyErr_WriteUnraisable(k->copy_fn);
        ierr = MPI_ERR_OTHER;
    }
    else if (r != Py_NotImplemented) {
        if (k->nopython) {
            void *p = PyLong_AsVoidPtr(r);
            if (p == NULL && PyErr_Occurred()) {
                PyErr_WriteUnraisable(k->copy_fn);
                ierr = MPI_ERR_OTHER;
            }
            else {
                *(void **)out = p;
                *flag = 1;
            }
        }
        else {
            *(void **)out = Py_NewRef(r);
            *flag = 1;
        }
    }
    Py_XDECREF(r);
    Py_XDECREF(v);
    Py_XDECREF(c);
    PyGILState_Release(gil);
    return ierr;
}

/* Attribute values whose delete_fn raised: MPI (Open MPI) keeps such an
 * attribute and calls the delete function again when the communicator is
 * freed; that second time the value is let go without calling delete_fn
 * again, so Free() succeeds.  st->keyval_failed is the set of the values'
 * addresses. */

static int
keyval_copy_cb(MPI_Comm old, int keyval, void *extra, void *in, void *out,
               int *flag)
{
    return keyval_copy(&old, keyval, extra, in, out, flag);
}

static int
keyval_type_copy_cb(MPI_Datatype old, int keyval, void *extra, void *in,
                    void *out, int *flag)
{
    return keyval_copy(&old, keyval, extra, in, out, flag);
}

static int
keyval_win_copy_cb(MPI_Win old, int keyval, void *extra, void *in, void *out,
                   int *flag)
{
    return keyval_copy(&old, keyval, extra, in, out, flag);
}

/* MPI's delete callback of every kind: `h` points to the handle. */
static int
keyval_delete(const void *h, int keyval, void *value, void *extra)
{
    cmpi_keyval *k = extra;
    /* at MPI_Finalize after the interpreter is gone: nothing to call */
    if (!Py_IsInitialized()) {
        return MPI_SUCCESS;
    }
    int ierr = MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    cmpi_state *st = k->st;
    PyObject *addr = st->keyval_failed ? PyLong_FromVoidPtr(value) : NULL;
    int again = addr ? PySet_Discard(st->keyval_failed, addr) : 0;
    if (again < 0) {
        PyErr_Clear();
        again = 0;
    }
    if (k->delete_fn != Py_None && !again) {
        PyObject *c = keyval_owner(k, h);
        PyObject *v = c ? keyval_value(k, value) : NULL;
        PyObject *r =
                v ? PyObject_CallFunction(k->delete_fn, "OiO", c, keyval, v)
                  : NULL;
        if (r == NULL) {
            PyErr_WriteUnraisable(k->delete_fn);
            ierr = MPI_ERR_OTHER;
        }
        Py_XDECREF(r);
        Py_XDECREF(v);
        Py_XDECREF(c);
    }
    Py_XDECREF(addr);
    if (ierr != MPI_SUCCESS && !k->nopython) {
        /* the attribute stays: so does its value, until the next call */
        if (st->keyval_failed == NULL) {
            st->keyval_failed = PySet_New(NULL);
        }
        PyObject *a = PyLong_FromVoidPtr(value);
        if (st->keyval_failed == NULL || a == NULL ||
            PySet_Add(st->keyval_failed, a) < 0) {
            PyErr_Clear();
        }
        Py_XDECREF(a);
    }
    else if (!k->nopython) {
        Py_DECREF((PyObject *)value);
    }
    PyGILState_Release(gil);
    return ierr;
}

static int
keyval_delete_cb(MPI_Comm comm, int keyval, void *value, void *extra)
{
    return keyval_delete(&comm, keyval, value, extra);
}

static int
keyval_type_delete_cb(MPI_Datatype type, int keyval, void *value, void *extra)
{
    return keyval_delete(&type, keyval, value, extra);
}

static int
keyval_win_delete_cb(MPI_Win win, int keyval, void *value, void *extra)
{
    return keyval_delete(&win, keyval, value, extra);
}

/* The MPI calls of each kind, on the handle `h` points to. */
static int
keyval_mpi_create(enum cmpi_keyval_kind kind, cmpi_keyval *k)
{
    switch (kind) {
        case CMPI_KEYVAL_TYPE:
            return MPI_Type_create_keyval(
                    keyval_type_copy_cb, keyval_type_delete_cb, &k->keyval, k);
        case CMPI_KEYVAL_WIN:
            return MPI_Win_create_keyval(keyval_win_copy_cb,
                                         keyval_win_delete_cb, &k->keyval, k);
        default:
            return MPI_Comm_create_keyval(keyval_copy_cb, keyval_delete_cb,
                                          &k->keyval, k);
    }
}

static int
keyval_mpi_free(enum cmpi_keyval_kind kind, int *keyval)
{
    switch (kind) {
        case CMPI_KEYVAL_TYPE: return MPI_Type_free_keyval(keyval);
        case CMPI_KEYVAL_WIN: return MPI_Win_free_keyval(keyval);
        default: return MPI_Comm_free_keyval(keyval);
    }
}

static int
keyval_mpi_set(enum cmpi_keyval_kind kind, const void *h, int keyval,
               void *value)
{
    switch (kind) {
        case CMPI_KEYVAL_TYPE:
            return MPI_Type_set_attr(*(const MPI_Datatype *)h, keyval, value);
        case CMPI_KEYVAL_WIN:
            return MPI_Win_set_attr(*(const MPI_Win *)h, keyval, value);
        default: return MPI_Comm_set_attr(*(const MPI_Comm *)h, keyval, value);
    }
}

static int
keyval_mpi_get(enum cmpi_keyval_kind kind, const void *h, int keyval,
               void *value, int *flag)
{
    switch (kind) {
        case CMPI_KEYVAL_TYPE:
            return MPI_Type_get_attr(*(const MPI_Datatype *)h, keyval, value,
                                     flag);
        case CMPI_KEYVAL_WIN:
            return MPI_Win_get_attr(*(const MPI_Win *)h, keyval, value, flag);
        default:
            return MPI_Comm_get_attr(*(const MPI_Comm *)h, keyval, value,
                                     flag);
    }
}

static int
keyval_mpi_delete(enum cmpi_keyval_kind kind, const void *h, int keyval)
{
    switch (kind) {
        case CMPI_KEYVAL_TYPE:
            return MPI_Type_delete_attr(*(const MPI_Datatype *)h, keyval);
        case CMPI_KEYVAL_WIN:
            return MPI_Win_delete_attr(*(const MPI_Win *)h, keyval);
        default: return MPI_Comm_delete_attr(*(const MPI_Comm *)h, keyval);
    }
}

CMPI_DOC(Comm_Create_keyval_doc,
         "Create_keyval(copy_fn=None, delete_fn=None, nopython=False)",
         "Create a new attribute key for communicators.  copy_fn(comm, "
         "keyval, value) gives the value for a duplicate (None: not copied, "
         "True: the same object, NotImplemented: not copied); "
         "delete_fn(comm, keyval, value) runs when a value is deleted.");
static PyObject *
cmpi_keyval_create(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames, enum cmpi_keyval_kind kind)
{
    static const char *const kw[] = {"copy_fn", "delete_fn", "nopython", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    int nopython = 0;
    if (st == NULL ||
        cmpi_parse("Create_keyval", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    PyObject *copy_fn = a[0] ? a[0] : Py_None;
    PyObject *delete_fn = a[1] ? a[1] : Py_None;
    if (copy_fn == Py_False) {
        copy_fn = Py_None;
    }
    if (copy_fn != Py_None && copy_fn != Py_True &&
        !PyCallable_Check(copy_fn)) {
        PyErr_Format(PyExc_TypeError,
                     "copy_fn must be callable, True or None, not %.100s",
                     Py_TYPE(copy_fn)->tp_name);
        return NULL;
    }
    if (delete_fn != Py_None && !PyCallable_Check(delete_fn)) {
        PyErr_Format(PyExc_TypeError,
                     "delete_fn must be callable or None, not %.100s",
                     Py_TYPE(delete_fn)->tp_name);
        return NULL;
    }
    if (a[2] != NULL && (nopython = PyObject_IsTrue(a[2])) < 0) {
        return NULL;
    }
    cmpi_keyval *k = PyMem_RawCalloc(1, sizeof(*k));
    if (k == NULL) {
        return PyErr_NoMemory();
    }
    k->kind = kind;
    k->nopython = nopython;
    k->copy_fn = Py_NewRef(copy_fn);
    k->delete_fn = Py_NewRef(delete_fn);
    k->st = st;
    int ierr = keyval_mpi_create(kind, k);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(k->copy_fn);
        Py_DECREF(k->delete_fn);
        PyMem_RawFree(k);
        return cmpi_raise(st, ierr);
    }
    k->next = cmpi_keyvals;
    cmpi_keyvals = k;
    return PyLong_FromLong(k->keyval);
}

static PyObject *
Comm_Create_keyval(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    return cmpi_keyval_create(cls, args, nargs, kwnames, CMPI_KEYVAL_COMM);
}

static int
keyval_check(cmpi_state *st, int keyval)
{
    if (keyval == MPI_KEYVAL_INVALID) {
        cmpi_raise_msg(st, MPI_ERR_KEYVAL, "invalid keyval: KEYVAL_INVALID");
        return -1;
    }
    return 0;
}

static PyObject *
cmpi_keyval_free(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames, enum cmpi_keyval_kind kind)
{
    static const char *const kw[] = {"keyval", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    int keyval;
    if (st == NULL ||
        cmpi_parse("Free_keyval", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &keyval, "keyval") < 0 || keyval_check(st, keyval)) {
        return NULL;
    }
    cmpi_keyval *k = keyval_find(keyval);
    if (k != NULL && k->kind != kind) {
        static const char *const owners[] = {"Comm", "Datatype", "Win"};
        return cmpi_raise_msg(st, MPI_ERR_KEYVAL,
                              "invalid keyval: keyval=%d was made by "
                              "%s.Create_keyval, not %s.Create_keyval",
                              keyval, owners[k->kind], owners[kind]);
    }
    if (k == NULL) {
        return cmpi_raise_msg(st, MPI_ERR_KEYVAL,
                              "invalid keyval: keyval=%d was not made by "
                              "Create_keyval, or is freed already",
                              keyval);
    }
    int ierr = keyval_mpi_free(kind, &keyval);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    k->keyval = MPI_KEYVAL_INVALID; /* its number may be reused */
    return PyLong_FromLong(MPI_KEYVAL_INVALID);
}

CMPI_DOC(Comm_Free_keyval_doc, "Free_keyval(keyval)",
         "Free an attribute key for communicators; return KEYVAL_INVALID.");
static PyObject *
Comm_Free_keyval(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return cmpi_keyval_free(cls, args, nargs, kwnames, CMPI_KEYVAL_COMM);
}

/* Set_attr of every kind, on the handle `h` points to. */
static PyObject *
cmpi_keyval_set_attr(cmpi_state *st, enum cmpi_keyval_kind kind, const void *h,
                     PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    static const char *const kw[] = {"keyval", "attrval", NULL};
    PyObject *a[2] = {NULL, NULL};
    int keyval;
    if (cmpi_parse("Set_attr", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &keyval, "keyval") < 0 ||
        keyval_check(st, keyval) < 0) {
        return NULL;
    }
    cmpi_keyval *k = keyval_find(keyval);
    void *value;
    if (k == NULL || k->nopython) {
        value = PyLong_AsVoidPtr(a[1]);
        if (value == NULL && PyErr_Occurred()) {
            return NULL;
        }
    }
    else {
        value = Py_NewRef(a[1]);
    }
    int ierr = keyval_mpi_set(kind, h, keyval, value);
    if (ierr != MPI_SUCCESS) {
        if (k != NULL && !k->nopython) {
            Py_DECREF(a[1]);
        }
        if (PyErr_Occurred()) { /* from the delete_fn of the old value */
            return NULL;
        }
        return cmpi_raise(st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Set_attr_doc, "Set_attr($self, keyval, attrval)",
         "Store an attribute value associated with a key.");
static PyObject *
Comm_Set_attr(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    return cmpi_keyval_set_attr(self->st, CMPI_KEYVAL_COMM, &self->ob_mpi,
                                args, nargs, kwnames);
}

/* Delete_attr of every kind, on the handle `h` points to. */
static PyObject *
cmpi_keyval_delete_attr(cmpi_state *st, enum cmpi_keyval_kind kind,
                        const void *h, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames)
{
    static const char *const kw[] = {"keyval", NULL};
    PyObject *a[1] = {NULL};
    int keyval;
    if (cmpi_parse("Delete_attr", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &keyval, "keyval") < 0 ||
        keyval_check(st, keyval) < 0) {
        return NULL;
    }
    int ierr = keyval_mpi_delete(kind, h, keyval);
    if (ierr != MPI_SUCCESS) {
        if (PyErr_Occurred()) { /* from the delete_fn */
            return NULL;
        }
        return cmpi_raise(st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Delete_attr_doc, "Delete_attr($self, keyval)",
         "Delete an attribute value associated with a key.");
static PyObject *
Comm_Delete_attr(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    return cmpi_keyval_delete_attr(self->st, CMPI_KEYVAL_COMM, &self->ob_mpi,
                                   args, nargs, kwnames);
}

/* Get_attr of a datatype or window for a keyval Create_keyval made (or
 * none): the value, or None if not set. */
static PyObject *
cmpi_keyval_get_attr(cmpi_state *st, enum cmpi_keyval_kind kind, const void *h,
                     PyObject *arg)
{
    int keyval, flag = 0;
    void *value = NULL;
    if (cmpi_as_int(arg, &keyval, "keyval") < 0 ||
        keyval_check(st, keyval) < 0) {
        return NULL;
    }
    int ierr = keyval_mpi_get(kind, h, keyval, &value, &flag);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    if (!flag) {
        Py_RETURN_NONE;
    }
    return keyval_value(keyval_find(keyval), value);
}

CMPI_DOC(Comm_Get_attr_doc, "Get_attr($self, keyval)",
         "Retrieve attribute value by key (None if not set).");
static PyObject *
Comm_Get_attr(CommObject *self, PyObject *arg)
{
    int keyval, flag = 0;
    void *value = NULL;
    if (cmpi_comm_check(self) < 0 || cmpi_as_int(arg, &keyval, "keyval") < 0 ||
        keyval_check(self->st, keyval) < 0) {
        return NULL;
    }
    int ierr = MPI_Comm_get_attr(self->ob_mpi, keyval, &value, &flag);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (!flag) {
        Py_RETURN_NONE;
    }
    /* The predefined attributes are all integers. */
    if (keyval == MPI_TAG_UB || keyval == MPI_HOST || keyval == MPI_IO ||
        keyval == MPI_WTIME_IS_GLOBAL || keyval == MPI_UNIVERSE_SIZE ||
        keyval == MPI_APPNUM || keyval == MPI_LASTUSEDCODE) {
        return value ? PyLong_FromLong(*(int *)value) : Py_NewRef(Py_None);
    }
    return keyval_value(keyval_find(keyval), value);
}

CMPI_ONE_ARG_KW(Comm_Get_attr, CommObject, "Get_attr", "keyval")
