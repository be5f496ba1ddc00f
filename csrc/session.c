/*
 * session.c -- MPI.Session (MPI-4 sessions).
 *
 * With an MPI-4 library (MPICH 4) the methods call MPI; with an older one
 * (Open MPI 4.1) MPI.Session and MPI.SESSION_NULL exist, as objects and
 * as a handle class, but every call raises NotImplementedError.
 */
#include "cmpi.h"

#if CMPI_HAVE_SESSION
typedef MPI_Session cmpi_session_t;
#define CMPI_SESSION_NULL MPI_SESSION_NULL
#else
typedef void *cmpi_session_t;
#define CMPI_SESSION_NULL NULL
#endif

typedef struct {
    PyObject_HEAD
    cmpi_session_t ob_mpi;
    unsigned flags;
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} SessionObject;

static PyObject *
session_new(cmpi_state *st, PyTypeObject *type, cmpi_session_t h,
            unsigned flags)
{
    SessionObject *s = (SessionObject *)type->tp_alloc(type, 0);
    if (s == NULL) {
        return NULL;
    }
    s->ob_mpi = h;
    s->flags = flags;
    s->st = st;
    return (PyObject *)s;
}

static PyObject *
Session_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"session", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Session", kwlist,
                                     &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    cmpi_session_t h = CMPI_SESSION_NULL;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Session_Type)) {
            PyErr_Format(PyExc_TypeError, "expected a Session, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        h = ((SessionObject *)other)->ob_mpi;
    }
    PyObject *self = session_new(st, type, h, 0);
    if (self != NULL && other != NULL && other != Py_None) {
        cmpi_handle_link(self, other, CMPI_HK_SESSION);
    }
    return self;
}

static void
Session_dealloc(SessionObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_SESSION);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Session_richcompare, Session_bool, CMPI_HK_SESSION)

static PyObject *
Session_get_handle(SessionObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

#ifndef CMPI_HAVE_SESSION
/* NotImplementedError naming the MPI function of method `what`
 * ("Get_num_psets": MPI_Session_get_num_psets). */
static PyObject *
session_missing(const char *what)
{
    char name[64];
    if (strcmp(what, "Create_group") == 0) {
        return cmpi_not_implemented("MPI_Group_from_session_pset");
    }
    PyOS_snprintf(name, sizeof(name), "MPI_Session_%s", what);
    for (char *p = name + strlen("MPI_Session_"); *p; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char)(*p - 'A' + 'a');
        }
    }
    return cmpi_not_implemented(name);
}
#endif

CMPI_DOC_NOSIG(Session_Init_doc, "Init(info=INFO_NULL, errhandler=None)",
               "Create a new session.");
static PyObject *
Session_Init(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"info", "errhandler", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL || cmpi_parse("Init", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
#ifdef CMPI_HAVE_SESSION
    MPI_Info info;
    if (cmpi_info_arg(st, a[0], &info) < 0) {
        return NULL;
    }
    MPI_Errhandler eh = MPI_ERRORS_RETURN;
    if (a[1] != NULL && a[1] != Py_None) {
        if (!PyObject_TypeCheck(a[1], st->Errhandler_Type)) {
            PyErr_Format(PyExc_TypeError,
                         "errhandler must be an Errhandler, not %.100s",
                         Py_TYPE(a[1])->tp_name);
            return NULL;
        }
        eh = ((ErrhandlerObject *)a[1])->ob_mpi;
    }
    MPI_Session h = MPI_SESSION_NULL;
    int ierr;
    CMPI_NOGIL(ierr = MPI_Session_init(info, eh, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return session_new(st, cls, h, 0);
#else
    return session_missing("Init");
#endif
}

#ifdef CMPI_HAVE_SESSION
#define SESSION_CHECK(self, what) CMPI_HANDLE_CHECK(self, CMPI_HK_SESSION)
#else
#define SESSION_CHECK(self, what)     \
    do {                              \
        (void)(self);                 \
        return session_missing(what); \
    } while (0)
#endif

CMPI_DOC(Session_Finalize_doc, "Finalize($self)", "Finalize a session.");
static PyObject *
Session_Finalize(SessionObject *self, PyObject *Py_UNUSED(a))
{
    SESSION_CHECK(self, "Finalize");
#ifdef CMPI_HAVE_SESSION
    int ierr;
    CMPI_NOGIL(ierr = MPI_Session_finalize(&self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_handle_freed((PyObject *)self, CMPI_HK_SESSION, NULL);
    Py_RETURN_NONE;
#endif
}

CMPI_DOC(Session_free_doc, "free($self)", "Call Finalize if not null.");
static PyObject *
Session_free(SessionObject *self, PyObject *Py_UNUSED(a))
{
    if (self->ob_mpi == CMPI_SESSION_NULL || (self->flags & CMPI_CONST)) {
        Py_RETURN_NONE;
    }
    return Session_Finalize(self, NULL);
}

CMPI_DOC_NOSIG(Session_Get_num_psets_doc, "Get_num_psets(info=INFO_NULL)",
               "Number of available process sets.");
static PyObject *
Session_Get_num_psets(SessionObject *self, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("Get_num_psets", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    SESSION_CHECK(self, "Get_num_psets");
#ifdef CMPI_HAVE_SESSION
    MPI_Info info;
    if (cmpi_info_arg(self->st, a[0], &info) < 0) {
        return NULL;
    }
    int n = 0;
    int ierr = MPI_Session_get_num_psets(self->ob_mpi, info, &n);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(n);
#endif
}

CMPI_DOC_NOSIG(Session_Get_nth_pset_doc, "Get_nth_pset(n, info=INFO_NULL)",
               "Name of the n-th process set.");
static PyObject *
Session_Get_nth_pset(SessionObject *self, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"n", "info", NULL};
    PyObject *a[2] = {NULL, NULL};
    if (cmpi_parse("Get_nth_pset", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    int n;
    if (cmpi_as_int(a[0], &n, "n") < 0) {
        return NULL;
    }
    SESSION_CHECK(self, "Get_nth_pset");
#ifdef CMPI_HAVE_SESSION
    MPI_Info info;
    if (cmpi_info_arg(self->st, a[1], &info) < 0) {
        return NULL;
    }
    int len = 0;
    int ierr = MPI_Session_get_nth_pset(self->ob_mpi, info, n, &len, NULL);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    char *name = PyMem_Malloc((size_t)len + 1);
    if (name == NULL) {
        return PyErr_NoMemory();
    }
    ierr = MPI_Session_get_nth_pset(self->ob_mpi, info, n, &len, name);
    PyObject *r = NULL;
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
    }
    else {
        r = PyUnicode_FromString(name);
    }
    PyMem_Free(name);
    return r;
#endif
}

CMPI_DOC(Session_Get_info_doc, "Get_info($self)",
         "Return the current hints for a session.");
static PyObject *
Session_Get_info(SessionObject *self, PyObject *Py_UNUSED(a))
{
    SESSION_CHECK(self, "Get_info");
#ifdef CMPI_HAVE_SESSION
    MPI_Info info = MPI_INFO_NULL;
    int ierr = MPI_Session_get_info(self->ob_mpi, &info);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_info_new(self->st, info);
#endif
}

static int
pset_arg(PyObject *obj, const char **out)
{
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "pset_name must be a str, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    *out = PyUnicode_AsUTF8(obj);
    return *out ? 0 : -1;
}

CMPI_DOC(Session_Get_pset_info_doc, "Get_pset_info($self, pset_name)",
         "Return the current hints for a process set.");
static PyObject *
Session_Get_pset_info(SessionObject *self, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"pset_name", NULL};
    PyObject *a[1] = {NULL};
    const char *name;
    if (cmpi_parse("Get_pset_info", args, nargs, kwnames, kw, 1, a) < 0 ||
        pset_arg(a[0], &name) < 0) {
        return NULL;
    }
    SESSION_CHECK(self, "Get_pset_info");
#ifdef CMPI_HAVE_SESSION
    MPI_Info info = MPI_INFO_NULL;
    int ierr = MPI_Session_get_pset_info(self->ob_mpi, name, &info);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_info_new(self->st, info);
#endif
}

static PyObject *
session_group(cmpi_state *st, PyTypeObject *gtype, PyObject *session,
              PyObject *pset)
{
    const char *name;
    if (!PyObject_TypeCheck(session, st->Session_Type)) {
        PyErr_Format(PyExc_TypeError, "session must be a Session, not %.100s",
                     Py_TYPE(session)->tp_name);
        return NULL;
    }
    if (pset_arg(pset, &name) < 0) {
        return NULL;
    }
    SessionObject *self = (SessionObject *)session;
    SESSION_CHECK(self, "Create_group");
#ifdef CMPI_HAVE_SESSION
    MPI_Group g = MPI_GROUP_NULL;
    int ierr = MPI_Group_from_session_pset(self->ob_mpi, name, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return cmpi_group_new(st, gtype, g, 0);
#else
    (void)gtype;
#endif
}

CMPI_DOC(Session_Create_group_doc, "Create_group($self, pset_name)",
         "Create a new group from session and process set.");
static PyObject *
Session_Create_group(SessionObject *self, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"pset_name", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("Create_group", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    return session_group(self->st, self->st->Group_Type, (PyObject *)self,
                         a[0]);
}

CMPI_DOC(Group_Create_from_session_pset_doc,
         "Create_from_session_pset($type, session, pset_name)",
         "Create a new group from session and process set.");
static PyObject *
Group_Create_from_session_pset(PyTypeObject *cls, PyObject *const *args,
                               Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"session", "pset_name", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL || cmpi_parse("Create_from_session_pset", args, nargs,
                                 kwnames, kw, 2, a) < 0) {
        return NULL;
    }
    return session_group(st, cls, a[0], a[1]);
}

#ifdef CMPI_HAVE_SESSION
static PyObject *
cmpi_session_borrowed(cmpi_state *st, MPI_Session h)
{
    return session_new(st, st->Session_Type, h, CMPI_CONST);
}
#endif

CMPI_DOC(Session_Create_errhandler_doc, "Create_errhandler(errhandler_fn)",
         "Create a new error handler for sessions; errhandler_fn is called "
         "as errhandler_fn(session, error_code).");
static PyObject *
Session_Create_errhandler(PyTypeObject *cls, PyObject *const *args,
                          Py_ssize_t nargs, PyObject *kwnames)
{
#ifdef CMPI_HAVE_SESSION
    return cmpi_errhandler_create(cls, args, nargs, kwnames,
                                  ERRHANDLER_OF_SESSION);
#else
    /* the argument is checked as where the library has sessions */
    static const char *const kw[] = {"errhandler_fn", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("Create_errhandler", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    (void)cls;
    if (!PyCallable_Check(a[0])) {
        PyErr_Format(PyExc_TypeError,
                     "errhandler_fn must be callable, not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    return session_missing("Create_errhandler");
#endif
}

CMPI_DOC(Session_Get_errhandler_doc, "Get_errhandler($self)",
         "Get the error handler for a session.");
static PyObject *
Session_Get_errhandler(SessionObject *self, PyObject *Py_UNUSED(a))
{
    SESSION_CHECK(self, "Get_errhandler");
#ifdef CMPI_HAVE_SESSION
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
    int ierr = MPI_Session_get_errhandler(self->ob_mpi, &eh);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_errhandler_new(self->st, eh, 0);
#endif
}

CMPI_DOC(Session_Set_errhandler_doc, "Set_errhandler($self, errhandler)",
         "Set the error handler for a session.");
static PyObject *
Session_Set_errhandler(SessionObject *self, PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, self->st->Errhandler_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "errhandler must be an Errhandler, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    SESSION_CHECK(self, "Set_errhandler");
#ifdef CMPI_HAVE_SESSION
    int ierr = MPI_Session_set_errhandler(self->ob_mpi,
                                          ((ErrhandlerObject *)arg)->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
#endif
}

CMPI_ONE_ARG_KW(Session_Set_errhandler, SessionObject, "Set_errhandler",
                "errhandler")

CMPI_DOC(Session_Call_errhandler_doc, "Call_errhandler($self, errorcode)",
         "Call the error handler installed on a session.");
static PyObject *
Session_Call_errhandler(SessionObject *self, PyObject *arg)
{
    int code;
    if (cmpi_as_int(arg, &code, "errorcode") < 0) {
        return NULL;
    }
    SESSION_CHECK(self, "Call_errhandler");
#ifdef CMPI_HAVE_SESSION
    int ierr = MPI_Session_call_errhandler(self->ob_mpi, code);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
#endif
}

CMPI_ONE_ARG_KW(Session_Call_errhandler, SessionObject, "Call_errhandler",
                "errorcode")

static PyObject *
Session_enter(PyObject *self, PyObject *Py_UNUSED(a))
{
    return Py_NewRef(self);
}

static PyObject *
Session_exit(SessionObject *self, PyObject *Py_UNUSED(args))
{
    return Session_free(self, NULL);
}

static PyMethodDef Session_methods[] = {
        {"Init", FN(Session_Init), CLSFASTKW, Session_Init_doc},
        {"Finalize", (PyCFunction)Session_Finalize, METH_NOARGS,
         Session_Finalize_doc},
        {"free", (PyCFunction)Session_free, METH_NOARGS, Session_free_doc},
        {"Get_num_psets", FN(Session_Get_num_psets), FASTKW,
         Session_Get_num_psets_doc},
        {"Get_nth_pset", FN(Session_Get_nth_pset), FASTKW,
         Session_Get_nth_pset_doc},
        {"Get_info", (PyCFunction)Session_Get_info, METH_NOARGS,
         Session_Get_info_doc},
        {"Get_pset_info", FN(Session_Get_pset_info), FASTKW,
         Session_Get_pset_info_doc},
        {"Create_group", FN(Session_Create_group), FASTKW,
         Session_Create_group_doc},
        {"Create_errhandler", FN(Session_Create_errhandler), CLSFASTKW,
         Session_Create_errhandler_doc},
        {"Get_errhandler", (PyCFunction)Session_Get_errhandler, METH_NOARGS,
         Session_Get_errhandler_doc},
        {"Set_errhandler", FN(Session_Set_errhandler_kw), FASTKW,
         Session_Set_errhandler_doc},
        {"Call_errhandler", FN(Session_Call_errhandler_kw), FASTKW,
         Session_Call_errhandler_doc},
        {"__enter__", (PyCFunction)Session_enter, METH_NOARGS, NULL},
        {"__exit__", (PyCFunction)Session_exit, METH_VARARGS, NULL},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Session_getset[] = {
        {"handle", (getter)Session_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Session_doc, "Session(session=None)\n--\n\nSession context.");

static PyMemberDef Session_members[] = {
        CMPI_WEAKLIST_MEMBER(SessionObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Session_slots[] = {
        {Py_tp_members, Session_members},
        {Py_tp_doc, (void *)Session_doc},
        {Py_tp_new, Session_new},
        {Py_tp_dealloc, Session_dealloc},
        {Py_tp_richcompare, Session_richcompare},
        {Py_nb_bool, Session_bool},
        {Py_tp_methods, Session_methods},
        {Py_tp_getset, Session_getset},
        {0, NULL},
};

static PyType_Spec Session_spec = {
        .name = "cmpi.MPI.Session",
        .basicsize = sizeof(SessionObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Session_slots,
};

static PyMethodDef Group_session_methods[] = {
        {"Create_from_session_pset", FN(Group_Create_from_session_pset),
         FASTKW, Group_Create_from_session_pset_doc},
        {NULL, NULL, 0, NULL},
};

static int
cmpi_session_init(PyObject *m, cmpi_state *st)
{
    st->Session_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Session_spec, NULL);
    if (st->Session_Type == NULL ||
        PyModule_AddType(m, st->Session_Type) < 0) {
        return -1;
    }
    if (cmpi_add(m, "SESSION_NULL",
                 session_new(st, st->Session_Type, CMPI_SESSION_NULL,
                             CMPI_CONST)) < 0) {
        return -1;
    }
    PyObject *descr =
            PyDescr_NewClassMethod(st->Group_Type, &Group_session_methods[0]);
    if (descr == NULL) {
        return -1;
    }
    int rc = PyObject_SetAttrString((PyObject *)st->Group_Type,
                                    "Create_from_session_pset", descr);
    Py_DECREF(descr);
    return rc;
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef SESSION_CHECK
