/*
 * grequest.c -- MPI.Grequest: generalized requests.
 */
#include "cmpi.h"

/* MPI.Grequest: generalized requests.  Start() registers C callbacks
 * with MPI_Grequest_start; each calls the Python function given for it
 * (with the GIL: MPI may call them from a wait that released it).  An
 * exception in a callback is printed and becomes the callback's error
 * code: an MPI.Exception's error class, else MPI_ERR_OTHER. */

typedef struct {
    PyObject *query, *free, *cancel, *args, *kwargs;
    cmpi_state *st;
} greq_ctx;

/* Python is gone (MPI frees a request at exit): no callback can run. */
static int
greq_no_python(void)
{
    return !Py_IsInitialized() || cmpi_python_finalizing();
}

static int
cmpi_callback_error(cmpi_state *st)
{
    int code = MPI_ERR_OTHER;
    PyObject *exc = PyErr_GetRaisedException_compat();
    if (exc == NULL) {
        return code;
    }
    if (PyObject_TypeCheck(exc, st->Exception_Type)) {
        long v = PyLong_AsLong(exc);
        if (v == -1 && PyErr_Occurred()) {
            PyErr_Clear();
        }
        else if (v != MPI_SUCCESS) {
            code = (int)v;
        }
    }
    PyErr_DisplayException_compat(exc);
    Py_DECREF(exc);
    return code;
}

static int
greq_call(greq_ctx *c, PyObject *fn, PyObject *first)
{
    if (fn == NULL || fn == Py_None) {
        return MPI_SUCCESS;
    }
    PyObject *args = c->args ? c->args : NULL;
    Py_ssize_t n = args ? PyTuple_GET_SIZE(args) : 0;
    PyObject *full = PyTuple_New(n + (first ? 1 : 0));
    if (full == NULL) {
        return cmpi_callback_error(c->st);
    }
    Py_ssize_t k = 0;
    if (first) {
        PyTuple_SET_ITEM(full, k++, Py_NewRef(first));
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(full, k++, Py_NewRef(PyTuple_GET_ITEM(args, i)));
    }
    PyObject *r = PyObject_Call(fn, full, c->kwargs);
    Py_DECREF(full);
    if (r == NULL) {
        return cmpi_callback_error(c->st);
    }
    Py_DECREF(r);
    return MPI_SUCCESS;
}

static int
greq_query_fn(void *extra, MPI_Status *status)
{
    greq_ctx *c = extra;
    if (greq_no_python()) {
        return MPI_SUCCESS;
    }
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = MPI_SUCCESS;
    MPI_Status_set_elements(status, MPI_BYTE, 0);
    MPI_Status_set_cancelled(status, 0);
    status->MPI_SOURCE = MPI_ANY_SOURCE;
    status->MPI_TAG = MPI_ANY_TAG;
    status->MPI_ERROR = MPI_SUCCESS;
    if (c->query != NULL && c->query != Py_None) {
        StatusObject *so = (StatusObject *)PyObject_CallNoArgs(
                (PyObject *)c->st->Status_Type);
        if (so == NULL) {
            ierr = cmpi_callback_error(c->st);
        }
        else {
            so->ob_mpi = *status;
            ierr = greq_call(c, c->query, (PyObject *)so);
            if (ierr == MPI_SUCCESS) {
                *status = so->ob_mpi;
            }
            Py_DECREF(so);
        }
    }
    PyGILState_Release(g);
    return ierr;
}

static int
greq_free_fn(void *extra)
{
    greq_ctx *c = extra;
    if (greq_no_python()) {
        return MPI_SUCCESS;
    }
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = greq_call(c, c->free, NULL);
    Py_CLEAR(c->query);
    Py_CLEAR(c->free);
    Py_CLEAR(c->cancel);
    Py_CLEAR(c->args);
    Py_CLEAR(c->kwargs);
    PyMem_RawFree(c);
    PyGILState_Release(g);
    return ierr;
}

static int
greq_cancel_fn(void *extra, int complete)
{
    greq_ctx *c = extra;
    if (greq_no_python()) {
        return MPI_SUCCESS;
    }
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = greq_call(c, c->cancel, complete ? Py_True : Py_False);
    PyGILState_Release(g);
    return ierr;
}

CMPI_DOC(Grequest_Start_doc,
         "Start($type, query_fn=None, free_fn=None, cancel_fn=None, "
         "args=None, kwargs=None)",
         "Create and return a user-defined (generalized) request.");
static PyObject *
Grequest_Start(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"query_fn", "free_fn", "cancel_fn",
                                     "args",     "kwargs",  NULL};
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Start", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    static const char *const what[] = {"query_fn", "free_fn", "cancel_fn"};
    for (int i = 0; i < 3; i++) {
        if (a[i] != NULL && a[i] != Py_None && !PyCallable_Check(a[i])) {
            PyErr_Format(PyExc_TypeError, "%s must be callable or None",
                         what[i]);
            return NULL;
        }
    }
    PyObject *targs = NULL, *tkw = NULL;
    if (a[3] != NULL && a[3] != Py_None) {
        targs = PySequence_Tuple(a[3]);
        if (targs == NULL) {
            return NULL;
        }
    }
    if (a[4] != NULL && a[4] != Py_None) {
        /* dict(kwargs), as mpi4py: a mapping or a sequence of pairs, and
         * dict's own TypeError/ValueError for anything else */
        tkw = PyObject_CallOneArg((PyObject *)&PyDict_Type, a[4]);
        if (tkw == NULL) {
            Py_XDECREF(targs);
            return NULL;
        }
    }
    RequestObject *r = (RequestObject *)PyObject_CallNoArgs((PyObject *)cls);
    greq_ctx *c = PyMem_RawCalloc(1, sizeof(greq_ctx));
    if (r == NULL || c == NULL) {
        Py_XDECREF(r);
        PyMem_RawFree(c);
        Py_XDECREF(targs);
        Py_XDECREF(tkw);
        return c == NULL ? PyErr_NoMemory() : NULL;
    }
    c->query = Py_XNewRef(a[0]);
    c->free = Py_XNewRef(a[1]);
    c->cancel = Py_XNewRef(a[2]);
    c->args = targs;
    c->kwargs = tkw;
    c->st = st;
    int ierr = MPI_Grequest_start(greq_query_fn, greq_free_fn, greq_cancel_fn,
                                  c, &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        Py_CLEAR(c->query);
        Py_CLEAR(c->free);
        Py_CLEAR(c->cancel);
        Py_CLEAR(c->args);
        Py_CLEAR(c->kwargs);
        PyMem_RawFree(c);
        Py_DECREF(r);
        return cmpi_raise(st, ierr);
    }
    return (PyObject *)r;
}

/* MPI_Grequest_complete may be called once per request, on a request
 * not yet freed: a second call, or one on REQUEST_NULL (waited for,
 * freed), crashes Open MPI.  The request object (and, for a copy, its
 * owner) remembers the completion so that both raise instead. */
#define CMPI_GREQ_COMPLETED 0x20u

static int
greq_complete(RequestObject *self, const char *fname)
{
    RequestObject *o = (RequestObject *)self->owner;
    if (self->ob_mpi == MPI_REQUEST_NULL) {
        cmpi_raise_msg(self->st, MPI_ERR_REQUEST,
                       "Grequest.%s: the request is REQUEST_NULL (already "
                       "completed and waited for, or freed)",
                       fname);
        return -1;
    }
    if ((self->flags & CMPI_GREQ_COMPLETED) ||
        (o != NULL && (o->flags & CMPI_GREQ_COMPLETED) &&
         o->ob_mpi == self->ob_mpi)) {
        cmpi_raise_msg(self->st, MPI_ERR_REQUEST,
                       "Grequest.%s: the request was already completed "
                       "(Complete may be called once)",
                       fname);
        return -1;
    }
    int ierr = MPI_Grequest_complete(self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    self->flags |= CMPI_GREQ_COMPLETED;
    if (o != NULL && o->ob_mpi == self->ob_mpi) {
        o->flags |= CMPI_GREQ_COMPLETED;
    }
    return 0;
}

CMPI_DOC(Grequest_Complete_doc, "Complete($self)",
         "Notify that a user-defined request is complete.");
static PyObject *
Grequest_Complete(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if (greq_complete(self, "Complete") < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Grequest_complete_doc, "complete($self, obj=None)",
         "Notify that a user-defined request is complete; `obj` is what "
         "wait() and test() return.");
static PyObject *
Grequest_complete(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"obj", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("complete", args, nargs, kwnames, kw, 0, a) < 0 ||
        greq_complete(self, "complete") < 0) {
        return NULL;
    }
    Py_XSETREF(self->result, Py_NewRef(a[0] ? a[0] : Py_None));
    Py_RETURN_NONE;
}

static PyMethodDef Grequest_methods[] = {
        {"Start", FN(Grequest_Start), CLSFASTKW, Grequest_Start_doc},
        {"Complete", (PyCFunction)Grequest_Complete, METH_NOARGS,
         Grequest_Complete_doc},
        {"complete", FN(Grequest_complete), FASTKW, Grequest_complete_doc},
        {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Grequest_doc,
             "Grequest(request=None)\n--\n\nGeneralized request handler.");

static PyType_Slot Grequest_slots[] = {
        {Py_tp_doc, (void *)Grequest_doc},
        {Py_tp_methods, Grequest_methods},
        {0, NULL},
};

static PyType_Spec Grequest_spec = {
        .name = "cmpi.MPI.Grequest",
        .basicsize = sizeof(RequestObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Grequest_slots,
};

/* After cmpi_request_init: Grequest derives from Request. */
static int
cmpi_grequest_init(PyObject *m, cmpi_state *st)
{
    st->Grequest_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Grequest_spec, (PyObject *)st->Request_Type);
    if (st->Grequest_Type == NULL ||
        PyModule_AddType(m, st->Grequest_Type) < 0) {
        return -1;
    }
    return 0;
}
