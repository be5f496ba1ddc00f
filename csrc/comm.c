/*
 * comm.c -- MPI.Comm, MPI.Intracomm, MPI.Intercomm and the predefined
 * communicators.  The point-to-point and collective methods live in
 * p2p.c and coll.c; their method-table entries are assembled here.
 */
#include "cmpi.h"

/* Every communicator cmpi creates gets a shadow: a private duplicate,
 * cached on it as an MPI attribute, that carries the payloads of large
 * lowercase messages (p2p.c).  It is made when the communicator is made,
 * since duplicating is collective. */
static int
shadow_delete(MPI_Comm Py_UNUSED(comm), int Py_UNUSED(keyval), void *value,
              void *Py_UNUSED(extra))
{
    free(value);
    return MPI_SUCCESS;
}

/* Set while cmpi duplicates a communicator into its shadow (the copy
 * callbacks of Python keyvals then copy nothing).  Per thread: the
 * callbacks run in the thread that called MPI_Comm_dup. */
static _Thread_local int cmpi_making_shadow = 0;

static MPI_Comm
cmpi_shadow_of(cmpi_state *st, MPI_Comm h)
{
    MPI_Comm *shadow = NULL;
    int flag = 0;
    if (h == MPI_COMM_NULL || st->shadow_keyval == MPI_KEYVAL_INVALID)
        return MPI_COMM_NULL;
    if (MPI_Comm_get_attr(h, st->shadow_keyval, &shadow, &flag) !=
                MPI_SUCCESS ||
        !flag || shadow == NULL)
        return MPI_COMM_NULL;
    return *shadow;
}

static int
cmpi_shadow_create(cmpi_state *st, MPI_Comm h)
{
    if (h == MPI_COMM_NULL || st->shadow_keyval == MPI_KEYVAL_INVALID)
        return 0;
    MPI_Comm *shadow = malloc(sizeof(MPI_Comm));
    if (shadow == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int ierr;
    /* the user's cached attributes are not copied onto the shadow */
    cmpi_making_shadow = 1;
    CMPI_NOGIL_CALL("Dup", h, ierr = MPI_Comm_dup(h, shadow));
    cmpi_making_shadow = 0;
    if (ierr == MPI_SUCCESS) {
        MPI_Comm_set_errhandler(*shadow, MPI_ERRORS_RETURN);
        ierr = MPI_Comm_set_attr(h, st->shadow_keyval, shadow);
    }
    if (ierr != MPI_SUCCESS) {
        free(shadow);
        cmpi_raise(st, ierr);
        return -1;
    }
    return 0;
}

static void
cmpi_shadow_free(cmpi_state *st, MPI_Comm h)
{
    MPI_Comm shadow = cmpi_shadow_of(st, h);
    if (shadow != MPI_COMM_NULL) {
        MPI_Comm_free(&shadow);
        MPI_Comm_delete_attr(h, st->shadow_keyval);
    }
}

static int
cmpi_shadow_keyval_init(cmpi_state *st)
{
    int ierr = MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN, shadow_delete,
                                      &st->shadow_keyval, NULL);
    if (ierr != MPI_SUCCESS) {
        st->shadow_keyval = MPI_KEYVAL_INVALID;
        cmpi_raise(st, ierr);
        return -1;
    }
    return 0;
}

/* Wrap an MPI communicator handle in a new Python object of `type`.  The
 * sizes are cached: a communicator's groups never change. */
static PyObject *
cmpi_comm_new(cmpi_state *st, PyTypeObject *type, MPI_Comm handle,
              unsigned flags)
{
    CommObject *c = (CommObject *)type->tp_alloc(type, 0);
    if (c == NULL)
        return NULL;
    c->ob_mpi = handle;
    c->flags = flags;
    c->st = st;
    c->size = c->peers = 0;
    c->inter = 0;
    c->shadow = cmpi_shadow_of(st, handle);
    if (handle != MPI_COMM_NULL) {
        int ierr = MPI_Comm_size(handle, &c->size);
        if (ierr == MPI_SUCCESS)
            ierr = MPI_Comm_test_inter(handle, &c->inter);
        c->peers = c->size;
        if (ierr == MPI_SUCCESS && c->inter)
            ierr = MPI_Comm_remote_size(handle, &c->peers);
        if (ierr != MPI_SUCCESS) {
            Py_DECREF(c);
            return cmpi_raise(st, ierr);
        }
    }
    return (PyObject *)c;
}

/* Refresh the cached sizes after the handle changed (Free, assignment). */
static void
cmpi_comm_set_handle(CommObject *c, MPI_Comm handle)
{
    c->ob_mpi = handle;
    c->shadow = cmpi_shadow_of(c->st, handle);
    c->size = c->peers = c->inter = 0;
    if (handle != MPI_COMM_NULL) {
        MPI_Comm_size(handle, &c->size);
        MPI_Comm_test_inter(handle, &c->inter);
        c->peers = c->size;
        if (c->inter)
            MPI_Comm_remote_size(handle, &c->peers);
    }
}

static int
cmpi_comm_check(CommObject *c)
{
    return cmpi_handle_check((PyObject *)c, CMPI_HK_COMM);
}

/* A new communicator made by cmpi: failures on it raise, never abort,
 * and it gets its shadow.  Every constructor goes through here.  Collective
 * over `h` (the shadow is a duplicate). */
static PyObject *
cmpi_comm_wrap_st(cmpi_state *st, PyTypeObject *type, MPI_Comm h)
{
    if (h != MPI_COMM_NULL) {
        MPI_Comm_set_errhandler(h, MPI_ERRORS_RETURN);
        if (cmpi_shadow_create(st, h) < 0) {
            MPI_Comm_free(&h);
            return NULL;
        }
    }
    PyObject *c = cmpi_comm_new(st, type, h, 0);
    if (c == NULL && h != MPI_COMM_NULL) {
        cmpi_shadow_free(st, h);
        MPI_Comm_free(&h);
    }
    return c;
}

static PyObject *
cmpi_comm_wrap_new(CommObject *parent, PyTypeObject *type, MPI_Comm h)
{
    return cmpi_comm_wrap_st(parent->st, type, h);
}

/* The Python type that matches what a communicator is. */
static PyTypeObject *
cmpi_comm_type_for(cmpi_state *st, MPI_Comm h)
{
    int inter = 0, topo = MPI_UNDEFINED;
    if (h == MPI_COMM_NULL)
        return st->Comm_Type;
    MPI_Comm_test_inter(h, &inter);
    if (inter)
        return st->Intercomm_Type;
    MPI_Topo_test(h, &topo);
    if (topo == MPI_CART)
        return st->Cartcomm_Type;
    if (topo == MPI_GRAPH)
        return st->Graphcomm_Type;
    if (topo == MPI_DIST_GRAPH)
        return st->Distgraphcomm_Type;
    return st->Intracomm_Type;
}

static PyObject *
Comm_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"comm", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Comm", kwlist, &other))
        return NULL;
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL)
        return NULL;
    MPI_Comm h = MPI_COMM_NULL;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Comm_Type)) {
            PyErr_Format(PyExc_TypeError, "expected a Comm, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        h = ((CommObject *)other)->ob_mpi;
        int inter = ((CommObject *)other)->inter;
        if (h != MPI_COMM_NULL &&
            ((inter && PyType_IsSubtype(type, st->Intracomm_Type)) ||
             (!inter && PyType_IsSubtype(type, st->Intercomm_Type)))) {
            PyErr_Format(
                    PyExc_TypeError, "expected an %s",
                    inter ? "intracommunicator, got an intercommunicator"
                          : "intercommunicator, got an intracommunicator");
            return NULL;
        }
        if (h != MPI_COMM_NULL && !inter &&
            PyType_IsSubtype(type, st->Topocomm_Type)) {
            int topo = MPI_UNDEFINED, want = MPI_UNDEFINED;
            const char *what = "a topology communicator";
            MPI_Topo_test(h, &topo);
            if (PyType_IsSubtype(type, st->Cartcomm_Type)) {
                want = MPI_CART;
                what = "a Cartesian communicator";
            }
            else if (PyType_IsSubtype(type, st->Graphcomm_Type)) {
                want = MPI_GRAPH;
                what = "a graph communicator";
            }
            else if (PyType_IsSubtype(type, st->Distgraphcomm_Type)) {
                want = MPI_DIST_GRAPH;
                what = "a distributed graph communicator";
            }
            if (topo == MPI_UNDEFINED ||
                (want != MPI_UNDEFINED && topo != want)) {
                PyErr_Format(PyExc_TypeError,
                             "expected %s, got a communicator %s", what,
                             topo == MPI_UNDEFINED ? "with no topology"
                                                   : "of another topology");
                return NULL;
            }
        }
    }
    return cmpi_comm_new(st, type, h, 0);
}

static void
Comm_dealloc(CommObject *self)
{
    /* User communicators are not freed implicitly (MPI_Comm_free is
     * collective); Free() does it. */
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Comm_richcompare, Comm_bool, CMPI_HK_COMM)

static Py_hash_t
Comm_hash(CommObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
}

static PyObject *
Comm_repr(CommObject *self)
{
    const char *tn = strrchr(Py_TYPE(self)->tp_name, '.');
    tn = tn ? tn + 1 : Py_TYPE(self)->tp_name;
    if (self->ob_mpi == MPI_COMM_NULL)
        return PyUnicode_FromFormat("<%s: COMM_NULL>", tn);
    if (self->ob_mpi == MPI_COMM_WORLD)
        return PyUnicode_FromFormat("<%s: COMM_WORLD>", tn);
    if (self->ob_mpi == MPI_COMM_SELF)
        return PyUnicode_FromFormat("<%s: COMM_SELF>", tn);
    return PyUnicode_FromFormat("<%s object at %p>", tn, self);
}

CMPI_DOC(Comm_Get_rank_doc, "Get_rank($self)",
         "Return the rank of this process in a communicator.");
static PyObject *
Comm_Get_rank(CommObject *self, PyObject *Py_UNUSED(a))
{
    int rank;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    int ierr = MPI_Comm_rank(self->ob_mpi, &rank);
    if (CMPI_UNLIKELY(ierr != MPI_SUCCESS))
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(rank);
}

CMPI_DOC(Comm_Get_size_doc, "Get_size($self)",
         "Return the number of processes in a communicator.");
static PyObject *
Comm_Get_size(CommObject *self, PyObject *Py_UNUSED(a))
{
    if (cmpi_comm_check(self) < 0)
        return NULL;
    return PyLong_FromLong(self->size);
}

static PyObject *
Comm_get_rank(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Get_rank(self, NULL);
}

static PyObject *
Comm_get_size(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Get_size(self, NULL);
}

CMPI_DOC(Comm_Get_name_doc, "Get_name($self)",
         "Get the print name for this communicator.");
static PyObject *
Comm_Get_name(CommObject *self, PyObject *Py_UNUSED(a))
{
    char name[MPI_MAX_OBJECT_NAME + 1];
    int len = 0;
    if (self->ob_mpi == MPI_COMM_NULL) /* MPI has no name for it */
        return PyUnicode_FromString("MPI_COMM_NULL");
    int ierr = MPI_Comm_get_name(self->ob_mpi, name, &len);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyUnicode_FromStringAndSize(name, len);
}

CMPI_DOC(Comm_Set_name_doc, "Set_name($self, name)",
         "Set the print name for this communicator.");
static PyObject *
Comm_Set_name(CommObject *self, PyObject *arg)
{
    if (cmpi_comm_check(self) < 0)
        return NULL;
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL)
        return NULL;
    int ierr = MPI_Comm_set_name(self->ob_mpi, (char *)name);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

static PyObject *
Comm_get_name(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Get_name(self, NULL);
}

static int
Comm_set_name(CommObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete name");
        return -1;
    }
    PyObject *r = Comm_Set_name(self, value);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

CMPI_DOC(Comm_Dup_doc, "Dup($self, info=None)", "Duplicate a communicator.");
static PyObject *
Comm_Dup(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    MPI_Comm h;
    int ierr;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Dup", args, nargs, kwnames, kw, 0, a) < 0)
        return NULL;
    CMPI_NOGIL_CALL("Dup", self->ob_mpi,
                    ierr = MPI_Comm_dup(self->ob_mpi, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, Py_TYPE(self), h);
}

CMPI_DOC(Comm_Clone_doc, "Clone($self)",
         "Clone an existing communicator (same as Dup).");
static PyObject *
Comm_Clone(CommObject *self, PyObject *Py_UNUSED(a))
{
    return Comm_Dup(self, NULL, 0, NULL);
}

CMPI_DOC(Comm_Split_doc, "Split($self, color=0, key=0)",
         "Split communicator by color and key.");
static PyObject *
Comm_Split(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"color", "key", NULL};
    PyObject *a[2] = {NULL, NULL};
    int color, key, ierr;
    MPI_Comm h;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Split", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_opt_int(a[0], &color, 0, "color") < 0 ||
        cmpi_opt_int(a[1], &key, 0, "key") < 0)
        return NULL;
    if (color < 0 && color != MPI_UNDEFINED) {
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "invalid color: color=%d, must be >= 0 or UNDEFINED",
                       color);
        return NULL;
    }
    CMPI_NOGIL_CALL("Split", self->ob_mpi,
                    ierr = MPI_Comm_split(self->ob_mpi, color, key, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, cmpi_comm_plain_type(self), h);
}

CMPI_DOC(Comm_Free_doc, "Free($self)", "Free a communicator.");
static PyObject *
Comm_Free(CommObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    if (self->flags & CMPI_CONST)
        return cmpi_raise_msg(self->st, MPI_ERR_COMM,
                              "cannot free a predefined communicator");
    MPI_Comm h = self->ob_mpi;
    cmpi_shadow_free(self->st, h);
    cmpi_comm_locks_forget(self->st, h);
    CMPI_NOGIL(ierr = MPI_Comm_free(&h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    cmpi_comm_set_handle(self, MPI_COMM_NULL);
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Compare_doc, "Compare($self, comm)",
         "Compare two communicators: IDENT, CONGRUENT, SIMILAR or UNEQUAL.");
static PyObject *
Comm_Compare(CommObject *self, PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, self->st->Comm_Type)) {
        PyErr_Format(PyExc_TypeError, "expected a Comm, got %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    int result;
    int ierr = MPI_Comm_compare(self->ob_mpi, ((CommObject *)arg)->ob_mpi,
                                &result);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(result);
}

CMPI_DOC(Comm_Abort_doc, "Abort($self, errorcode=0)",
         "Terminate the MPI execution environment.");
static PyObject *
Comm_Abort(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"errorcode", NULL};
    PyObject *a[1] = {NULL};
    int code;
    if (cmpi_parse("Abort", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_opt_int(a[0], &code, 0, "errorcode") < 0)
        return NULL;
    /* Output written so far must not be lost with the process. */
    PyObject *r =
            PyObject_CallMethod(PySys_GetObject("stdout"), "flush", NULL);
    Py_XDECREF(r);
    r = PyObject_CallMethod(PySys_GetObject("stderr"), "flush", NULL);
    Py_XDECREF(r);
    PyErr_Clear();
    int ierr;
    CMPI_NOGIL(ierr = cmpi_abort_job(self->ob_mpi, code));
    return cmpi_raise(self->st, ierr);
}

CMPI_DOC(Comm_Is_inter_doc, "Is_inter($self)",
         "Return whether the communicator is an intercommunicator.");
static PyObject *
Comm_Is_inter(CommObject *self, PyObject *Py_UNUSED(a))
{
    if (cmpi_comm_check(self) < 0)
        return NULL;
    return PyBool_FromLong(self->inter);
}

CMPI_DOC(Comm_Is_intra_doc, "Is_intra($self)",
         "Return whether the communicator is an intracommunicator.");
static PyObject *
Comm_Is_intra(CommObject *self, PyObject *Py_UNUSED(a))
{
    if (cmpi_comm_check(self) < 0)
        return NULL;
    return PyBool_FromLong(!self->inter);
}

static PyObject *
Comm_get_is_inter(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Is_inter(self, NULL);
}

static PyObject *
Comm_get_is_intra(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Is_intra(self, NULL);
}

CMPI_DOC(Comm_Get_topology_doc, "Get_topology($self)",
         "Return the type of topology (if any) associated with a "
         "communicator.");
static PyObject *
Comm_Get_topology(CommObject *self, PyObject *Py_UNUSED(a))
{
    int topo;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    int ierr = MPI_Topo_test(self->ob_mpi, &topo);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(topo);
}

static PyObject *
Comm_get_topology(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Get_topology(self, NULL);
}

static PyObject *
Comm_get_handle(CommObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

CMPI_DOC(Intercomm_Get_remote_size_doc, "Get_remote_size($self)",
         "Intercommunicator remote size.");
static PyObject *
Intercomm_Get_remote_size(CommObject *self, PyObject *Py_UNUSED(a))
{
    if (cmpi_comm_check(self) < 0)
        return NULL;
    return PyLong_FromLong(self->peers);
}

static PyObject *
Intercomm_get_remote_size(CommObject *self, void *Py_UNUSED(c))
{
    return Intercomm_Get_remote_size(self, NULL);
}

/* ---------------------------------------------------------------------
 * More ways to make a communicator.  Each goes through cmpi_comm_wrap_*,
 * so the new communicator has its shadow.
 */

CMPI_DOC(Comm_Dup_with_info_doc, "Dup_with_info($self, info)",
         "Duplicate a communicator with hints.");
static PyObject *
Comm_Dup_with_info(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    MPI_Info info;
    MPI_Comm h;
    int ierr;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Dup_with_info", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_info_arg(self->st, a[0], &info) < 0)
        return NULL;
    CMPI_NOGIL_CALL("Dup_with_info", self->ob_mpi,
                    ierr = MPI_Comm_dup_with_info(self->ob_mpi, info, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, Py_TYPE(self), h);
}

/* Idup: the duplicate is made at once, and the request returned is
 * already complete.  A nonblocking MPI_Comm_idup would leave the new
 * communicator unusable until completion, but cmpi must attach its shadow
 * (a duplicate of it) as it is made. */
static PyObject *
idup_impl(CommObject *self, PyObject *info_o)
{
    MPI_Info info;
    MPI_Comm h;
    int ierr;
    if (cmpi_info_arg(self->st, info_o, &info) < 0)
        return NULL;
    if (info == MPI_INFO_NULL)
        CMPI_NOGIL_CALL("Dup", self->ob_mpi,
                        ierr = MPI_Comm_dup(self->ob_mpi, &h));
    else
        CMPI_NOGIL_CALL("Dup_with_info", self->ob_mpi,
                        ierr = MPI_Comm_dup_with_info(self->ob_mpi, info, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    PyObject *c = cmpi_comm_wrap_new(self, Py_TYPE(self), h);
    if (c == NULL)
        return NULL;
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        Py_DECREF(c);
        return NULL;
    }
    PyObject *res = PyTuple_Pack(2, c, (PyObject *)r);
    Py_DECREF(c);
    Py_DECREF(r);
    return res;
}

CMPI_DOC(Comm_Idup_doc, "Idup($self, info=None)",
         "Nonblocking duplicate a communicator; return (comm, request).  "
         "In cmpi the duplicate is complete when Idup returns.");
static PyObject *
Comm_Idup(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Idup", args, nargs, kwnames, kw, 0, a) < 0)
        return NULL;
    return idup_impl(self, a[0]);
}

CMPI_DOC(Comm_Idup_with_info_doc, "Idup_with_info($self, info)",
         "Nonblocking duplicate a communicator with hints; return (comm, "
         "request).");
static PyObject *
Comm_Idup_with_info(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Idup_with_info", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    return idup_impl(self, a[0]);
}

CMPI_DOC_NOSIG(
        Comm_Split_type_doc,
        "Split_type(self, split_type, key=0, info=INFO_NULL)",
        "Split communicator by split type (COMM_TYPE_SHARED: the processes "
        "that can share memory).");
static PyObject *
Comm_Split_type(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"split_type", "key", "info", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int split_type, key, ierr;
    MPI_Info info;
    MPI_Comm h;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Split_type", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &split_type, "split_type") < 0 ||
        cmpi_opt_int(a[1], &key, 0, "key") < 0 ||
        cmpi_info_arg(self->st, a[2], &info) < 0)
        return NULL;
    CMPI_NOGIL_CALL("Split_type", self->ob_mpi,
                    ierr = MPI_Comm_split_type(self->ob_mpi, split_type, key,
                                               info, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, cmpi_comm_plain_type(self), h);
}

CMPI_DOC_NOSIG(Intracomm_Create_from_group_doc,
               "Create_from_group(group, stringtag='org.mpi4py', "
               "info=INFO_NULL, errhandler=None)",
               "Create a communicator from a group, collective over the group "
               "only (MPI-4).");
static PyObject *
Intracomm_Create_from_group(PyTypeObject *cls, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"group", "stringtag", "info",
                                     "errhandler", NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    MPI_Group g;
    MPI_Info info;
    MPI_Errhandler eh = MPI_ERRORS_RETURN;
    const char *tag = "org.mpi4py";
    if (st == NULL ||
        cmpi_parse("Create_from_group", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_group_arg(st, a[0], &g, "group") < 0 ||
        cmpi_info_arg(st, a[2], &info) < 0)
        return NULL;
    if (a[1] != NULL && (tag = PyUnicode_AsUTF8(a[1])) == NULL)
        return NULL;
    if (a[3] != NULL && a[3] != Py_None &&
        cmpi_errhandler_arg(st, a[3], &eh) < 0)
        return NULL;
#if CMPI_HAVE_COMM_CREATE_FROM_GROUP
    MPI_Comm h;
    int ierr;
    CMPI_NOGIL_CALL("Comm.Create_from_group", MPI_COMM_NULL,
                    ierr = MPI_Comm_create_from_group(g, tag, info, eh, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return cmpi_comm_wrap_st(st, st->Intracomm_Type, h);
#else
    (void)g;
    (void)eh;
    return cmpi_not_implemented("MPI_Comm_create_from_group");
#endif
}

CMPI_DOC_NOSIG(Intercomm_Create_from_groups_doc,
               "Create_from_groups(local_group, local_leader, remote_group, "
               "remote_leader, stringtag='org.mpi4py', info=INFO_NULL, "
               "errhandler=None)",
               "Create an intercommunicator from a local and a remote group "
               "(MPI-4).");
static PyObject *
Intercomm_Create_from_groups(PyTypeObject *cls, PyObject *const *args,
                             Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {
            "local_group", "local_leader", "remote_group", "remote_leader",
            "stringtag",   "info",         "errhandler",   NULL};
    PyObject *a[7] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    MPI_Group lg, rg;
    MPI_Info info;
    MPI_Errhandler eh = MPI_ERRORS_RETURN;
    int ll, rl;
    const char *tag = "org.mpi4py";
    if (st == NULL ||
        cmpi_parse("Create_from_groups", args, nargs, kwnames, kw, 4, a) < 0 ||
        cmpi_group_arg(st, a[0], &lg, "local_group") < 0 ||
        cmpi_as_int(a[1], &ll, "local_leader") < 0 ||
        cmpi_group_arg(st, a[2], &rg, "remote_group") < 0 ||
        cmpi_as_int(a[3], &rl, "remote_leader") < 0 ||
        cmpi_info_arg(st, a[5], &info) < 0)
        return NULL;
    if (a[4] != NULL && (tag = PyUnicode_AsUTF8(a[4])) == NULL)
        return NULL;
    if (a[6] != NULL && a[6] != Py_None &&
        cmpi_errhandler_arg(st, a[6], &eh) < 0)
        return NULL;
#if CMPI_HAVE_INTERCOMM_CREATE_FROM_GROUPS
    MPI_Comm h;
    int ierr;
    CMPI_NOGIL_CALL("Intercomm.Create_from_groups", MPI_COMM_NULL,
                    ierr = MPI_Intercomm_create_from_groups(
                            lg, ll, rg, rl, tag, info, eh, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return cmpi_comm_wrap_st(st, st->Intercomm_Type, h);
#else
    (void)lg;
    (void)rg;
    (void)ll;
    (void)rl;
    (void)eh;
    return cmpi_not_implemented("MPI_Intercomm_create_from_groups");
#endif
}

CMPI_DOC(Comm_Set_info_doc, "Set_info($self, info)",
         "Set new values for the hints associated with a communicator.");
static PyObject *
Comm_Set_info(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    MPI_Info info;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Set_info", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_info_arg(self->st, a[0], &info) < 0)
        return NULL;
    int ierr = MPI_Comm_set_info(self->ob_mpi, info);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Get_info_doc, "Get_info($self)",
         "Return the current hints for a communicator (a new Info).");
static PyObject *
Comm_Get_info(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Info info = MPI_INFO_NULL;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    int ierr = MPI_Comm_get_info(self->ob_mpi, &info);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_info_new(self->st, info);
}

static PyObject *
Comm_get_info(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Get_info(self, NULL);
}

static int
Comm_set_info_attr(CommObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete info");
        return -1;
    }
    PyObject *args[1] = {value};
    PyObject *r = Comm_Set_info(self, args, 1, NULL);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* ---------------------------------------------------------------------
 * Intercommunicators.
 */

CMPI_DOC(Intracomm_Create_intercomm_doc,
         "Create_intercomm($self, local_leader, peer_comm, remote_leader, "
         "tag=0)",
         "Create an intercommunicator from this (local) intracommunicator "
         "and a remote group reached through peer_comm.");
static PyObject *
Intracomm_Create_intercomm(CommObject *self, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"local_leader", "peer_comm",
                                     "remote_leader", "tag", NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int ll, rl, tag, ierr, rank = 0;
    MPI_Comm h, peer = MPI_COMM_NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Create_intercomm", args, nargs, kwnames, kw, 3, a) < 0 ||
        cmpi_as_int(a[0], &ll, "local_leader") < 0 ||
        cmpi_as_int(a[2], &rl, "remote_leader") < 0 ||
        cmpi_opt_int(a[3], &tag, 0, "tag") < 0)
        return NULL;
    if (!PyObject_TypeCheck(a[1], self->st->Comm_Type)) {
        PyErr_Format(PyExc_TypeError, "peer_comm must be a Comm, not %.100s",
                     Py_TYPE(a[1])->tp_name);
        return NULL;
    }
    if ((unsigned)ll >= (unsigned)self->size)
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: local_leader=%d, the "
                              "communicator has %d rank%s",
                              ll, self->size, self->size == 1 ? "" : "s");
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (rank == ll) {
        /* peer_comm and remote_leader matter at the local leader only */
        CommObject *pc = (CommObject *)a[1];
        if (cmpi_comm_check(pc) < 0 ||
            cmpi_check_dest(pc, rl, "remote_leader"))
            return NULL;
        peer = pc->ob_mpi;
        if (rl == MPI_PROC_NULL)
            return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                                  "invalid rank: remote_leader=PROC_NULL");
    }
    else if (((CommObject *)a[1])->ob_mpi != MPI_COMM_NULL) {
        peer = ((CommObject *)a[1])->ob_mpi;
    }
    if (cmpi_check_send_tag(self, tag) < 0)
        return NULL;
    CMPI_NOGIL_CALL(
            "Create_intercomm", self->ob_mpi,
            ierr = MPI_Intercomm_create(self->ob_mpi, ll, peer, rl, tag, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, self->st->Intercomm_Type, h);
}

CMPI_DOC(Intercomm_Merge_doc, "Merge($self, high=False)",
         "Merge an intercommunicator into an intracommunicator; the group "
         "passing high=True is ordered after the other.");
static PyObject *
Intercomm_Merge(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"high", NULL};
    PyObject *a[1] = {NULL};
    int high = 0, ierr;
    MPI_Comm h;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Merge", args, nargs, kwnames, kw, 0, a) < 0)
        return NULL;
    if (a[0] != NULL && (high = PyObject_IsTrue(a[0])) < 0)
        return NULL;
    CMPI_NOGIL_CALL("Merge", self->ob_mpi,
                    ierr = MPI_Intercomm_merge(self->ob_mpi, high, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, self->st->Intracomm_Type, h);
}

CMPI_DOC(Intercomm_Get_remote_group_doc, "Get_remote_group($self)",
         "Access the remote group associated with the intercommunicator.");
static PyObject *
Intercomm_Get_remote_group(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Group g;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    int ierr = MPI_Comm_remote_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_group_new(self->st, self->st->Group_Type, g, 0);
}

static PyObject *
Intercomm_get_remote_group(CommObject *self, void *Py_UNUSED(c))
{
    return Intercomm_Get_remote_group(self, NULL);
}

/* ---------------------------------------------------------------------
 * Attribute caching with Python objects.
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
        if (k->keyval == keyval)
            return k;
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
    if (c == NULL)
        return NULL;
    c->ob_mpi = h;
    c->flags = CMPI_CONST;
    c->st = st;
    c->shadow = MPI_COMM_NULL;
    MPI_Comm_size(h, &c->size);
    MPI_Comm_test_inter(h, &c->inter);
    c->peers = c->size;
    if (c->inter)
        MPI_Comm_remote_size(h, &c->peers);
    return (PyObject *)c;
}

static PyObject *
keyval_value(cmpi_keyval *k, void *value)
{
    if (k == NULL || k->nopython)
        return PyLong_FromVoidPtr(value);
    return Py_NewRef((PyObject *)value);
}

static int
keyval_copy_cb(MPI_Comm old, int keyval, void *extra, void *in, void *out,
               int *flag)
{
    cmpi_keyval *k = extra;
    *flag = 0;
    if (cmpi_making_shadow || k->copy_fn == Py_None || !Py_IsInitialized())
        return MPI_SUCCESS;
    int ierr = MPI_SUCCESS;
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *r = NULL, *c = NULL, *v = NULL;
    if (k->copy_fn == Py_True) {
        r = keyval_value(k, in);
    }
    else {
        c = cmpi_comm_borrowed(k->st, old);
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
keyval_delete_cb(MPI_Comm comm, int keyval, void *value, void *extra)
{
    cmpi_keyval *k = extra;
    /* at MPI_Finalize after the interpreter is gone: nothing to call */
    if (!Py_IsInitialized())
        return MPI_SUCCESS;
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
        PyObject *c = cmpi_comm_borrowed(k->st, comm);
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
        if (st->keyval_failed == NULL)
            st->keyval_failed = PySet_New(NULL);
        PyObject *a = PyLong_FromVoidPtr(value);
        if (st->keyval_failed == NULL || a == NULL ||
            PySet_Add(st->keyval_failed, a) < 0)
            PyErr_Clear();
        Py_XDECREF(a);
    }
    else if (!k->nopython) {
        Py_DECREF((PyObject *)value);
    }
    PyGILState_Release(gil);
    return ierr;
}

CMPI_DOC(Comm_Create_keyval_doc,
         "Create_keyval(copy_fn=None, delete_fn=None, nopython=False)",
         "Create a new attribute key for communicators.  copy_fn(comm, "
         "keyval, value) gives the value for a duplicate (None: not copied, "
         "True: the same object, NotImplemented: not copied); "
         "delete_fn(comm, keyval, value) runs when a value is deleted.");
static PyObject *
Comm_Create_keyval(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const kw[] = {"copy_fn", "delete_fn", "nopython", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    int nopython = 0;
    if (st == NULL ||
        cmpi_parse("Create_keyval", args, nargs, kwnames, kw, 0, a) < 0)
        return NULL;
    PyObject *copy_fn = a[0] ? a[0] : Py_None;
    PyObject *delete_fn = a[1] ? a[1] : Py_None;
    if (copy_fn == Py_False)
        copy_fn = Py_None;
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
    if (a[2] != NULL && (nopython = PyObject_IsTrue(a[2])) < 0)
        return NULL;
    cmpi_keyval *k = PyMem_RawCalloc(1, sizeof(*k));
    if (k == NULL)
        return PyErr_NoMemory();
    k->nopython = nopython;
    k->copy_fn = Py_NewRef(copy_fn);
    k->delete_fn = Py_NewRef(delete_fn);
    k->st = st;
    int ierr = MPI_Comm_create_keyval(keyval_copy_cb, keyval_delete_cb,
                                      &k->keyval, k);
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

static int
keyval_check(cmpi_state *st, int keyval)
{
    if (keyval == MPI_KEYVAL_INVALID) {
        cmpi_raise_msg(st, MPI_ERR_KEYVAL, "invalid keyval: KEYVAL_INVALID");
        return -1;
    }
    return 0;
}

CMPI_DOC(Comm_Free_keyval_doc, "Free_keyval(keyval)",
         "Free an attribute key for communicators; return KEYVAL_INVALID.");
static PyObject *
Comm_Free_keyval(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const kw[] = {"keyval", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    int keyval;
    if (st == NULL ||
        cmpi_parse("Free_keyval", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &keyval, "keyval") < 0 || keyval_check(st, keyval))
        return NULL;
    cmpi_keyval *k = keyval_find(keyval);
    if (k == NULL)
        return cmpi_raise_msg(st, MPI_ERR_KEYVAL,
                              "invalid keyval: keyval=%d was not made by "
                              "Create_keyval, or is freed already",
                              keyval);
    int ierr = MPI_Comm_free_keyval(&keyval);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    k->keyval = MPI_KEYVAL_INVALID; /* its number may be reused */
    return PyLong_FromLong(MPI_KEYVAL_INVALID);
}

CMPI_DOC(Comm_Set_attr_doc, "Set_attr($self, keyval, attrval)",
         "Store an attribute value associated with a key.");
static PyObject *
Comm_Set_attr(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"keyval", "attrval", NULL};
    PyObject *a[2] = {NULL, NULL};
    int keyval;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Set_attr", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &keyval, "keyval") < 0 ||
        keyval_check(self->st, keyval) < 0)
        return NULL;
    cmpi_keyval *k = keyval_find(keyval);
    void *value;
    if (k == NULL || k->nopython) {
        value = PyLong_AsVoidPtr(a[1]);
        if (value == NULL && PyErr_Occurred())
            return NULL;
    }
    else {
        value = Py_NewRef(a[1]);
    }
    int ierr = MPI_Comm_set_attr(self->ob_mpi, keyval, value);
    if (ierr != MPI_SUCCESS) {
        if (k != NULL && !k->nopython)
            Py_DECREF(a[1]);
        if (PyErr_Occurred()) /* from the delete_fn of the old value */
            return NULL;
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Delete_attr_doc, "Delete_attr($self, keyval)",
         "Delete an attribute value associated with a key.");
static PyObject *
Comm_Delete_attr(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const kw[] = {"keyval", NULL};
    PyObject *a[1] = {NULL};
    int keyval;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Delete_attr", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &keyval, "keyval") < 0 ||
        keyval_check(self->st, keyval) < 0)
        return NULL;
    int ierr = MPI_Comm_delete_attr(self->ob_mpi, keyval);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Get_attr_doc, "Get_attr($self, keyval)",
         "Retrieve attribute value by key (None if not set).");
static PyObject *
Comm_Get_attr(CommObject *self, PyObject *arg)
{
    int keyval, flag = 0;
    void *value = NULL;
    if (cmpi_comm_check(self) < 0 || cmpi_as_int(arg, &keyval, "keyval") < 0 ||
        keyval_check(self->st, keyval) < 0)
        return NULL;
    int ierr = MPI_Comm_get_attr(self->ob_mpi, keyval, &value, &flag);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    if (!flag)
        Py_RETURN_NONE;
    /* The predefined attributes are all integers. */
    if (keyval == MPI_TAG_UB || keyval == MPI_HOST || keyval == MPI_IO ||
        keyval == MPI_WTIME_IS_GLOBAL || keyval == MPI_UNIVERSE_SIZE ||
        keyval == MPI_APPNUM || keyval == MPI_LASTUSEDCODE)
        return value ? PyLong_FromLong(*(int *)value) : Py_NewRef(Py_None);
    return keyval_value(keyval_find(keyval), value);
}

/* ---------------------------------------------------------------------
 * Dynamic processes.
 *
 * The intercommunicator between parent and children gets its shadow like
 * any other: the parent duplicates it when Spawn returns, and a child
 * duplicates its parent communicator as cmpi initializes MPI
 * (cmpi_dynproc_after_init).  So children must be cmpi programs: a child
 * that never initializes cmpi leaves the parent waiting in Spawn.
 */

static int
cmpi_dynproc_after_init(cmpi_state *st)
{
    MPI_Comm parent = MPI_COMM_NULL;
    if (MPI_Comm_get_parent(&parent) != MPI_SUCCESS || parent == MPI_COMM_NULL)
        return 0;
    MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
    if (cmpi_shadow_of(st, parent) != MPI_COMM_NULL)
        return 0;
    return cmpi_shadow_create(st, parent);
}

CMPI_DOC(Comm_Get_parent_doc, "Get_parent()",
         "Return the parent intercommunicator of a process started by "
         "Spawn (COMM_NULL if it was not).");
static PyObject *
Comm_Get_parent(PyTypeObject *cls, PyObject *Py_UNUSED(a))
{
    cmpi_state *st = cmpi_type_state(cls);
    MPI_Comm parent = MPI_COMM_NULL;
    if (st == NULL)
        return NULL;
    int ierr = MPI_Comm_get_parent(&parent);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return cmpi_comm_new(st, st->Intercomm_Type, parent, 0);
}

CMPI_DOC(Comm_Disconnect_doc, "Disconnect($self)",
         "Disconnect from a communicator: wait for its pending "
         "communication, then free it.");
static PyObject *
Comm_Disconnect(CommObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    if (self->flags & CMPI_CONST)
        return cmpi_raise_msg(self->st, MPI_ERR_COMM,
                              "cannot disconnect a predefined communicator");
    /* Large-object payloads still in flight must arrive first: Open MPI
     * disconnects in a runtime fence that does not progress them. */
    cmpi_detached_complete(1);
    MPI_Comm h = self->ob_mpi;
    MPI_Comm shadow = cmpi_shadow_of(self->st, h);
    if (shadow != MPI_COMM_NULL) {
        CMPI_NOGIL(MPI_Comm_disconnect(&shadow));
        MPI_Comm_delete_attr(h, self->st->shadow_keyval);
    }
    CMPI_NOGIL_CALL("Disconnect", h, ierr = MPI_Comm_disconnect(&h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    cmpi_comm_set_handle(self, MPI_COMM_NULL);
    Py_RETURN_NONE;
}

/* A command or argument: str, bytes or os.PathLike, as bytes to keep
 * while MPI reads it (a new reference), or NULL with an exception. */
static PyObject *
spawn_string(PyObject *obj, const char *what, Py_ssize_t i)
{
    PyObject *p = PyOS_FSPath(obj);
    if (p == NULL) {
        PyErr_Clear();
        if (i < 0)
            PyErr_Format(PyExc_TypeError,
                         "%s must be a str or a path, not %.100s", what,
                         Py_TYPE(obj)->tp_name);
        else
            PyErr_Format(PyExc_TypeError,
                         "%s[%zd] must be a str or a path, not %.100s", what,
                         i, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    if (PyUnicode_Check(p)) {
        PyObject *b = PyUnicode_AsUTF8String(p);
        Py_DECREF(p);
        return b;
    }
    return p; /* bytes */
}

/* NULL-terminated argv from a sequence of str (None: MPI_ARGV_NULL);
 * *keep holds what it points to. */
static char **
argv_from(PyObject *obj, PyObject **keep, const char *what)
{
    *keep = NULL;
    if (obj == NULL || obj == Py_None)
        return MPI_ARGV_NULL;
    if (PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a sequence of str, not a single string",
                     what);
        return NULL;
    }
    PyObject *seq = PySequence_Fast(obj, "args must be a sequence of str");
    if (seq == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *bytes = PyBytes_FromStringAndSize(
            NULL, (n + 1) * (Py_ssize_t)sizeof(char *));
    PyObject *strs = PyList_New(n);
    if (bytes == NULL || strs == NULL)
        goto error;
    char **argv = (char **)PyBytes_AS_STRING(bytes);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = spawn_string(PySequence_Fast_GET_ITEM(seq, i), what, i);
        if (b == NULL)
            goto error;
        PyList_SET_ITEM(strs, i, b);
        argv[i] = PyBytes_AS_STRING(b);
    }
    argv[n] = NULL;
    Py_DECREF(seq);
    *keep = Py_BuildValue("(NN)", bytes, strs);
    return *keep ? argv : NULL;
error:
    Py_DECREF(seq);
    Py_XDECREF(bytes);
    Py_XDECREF(strs);
    return NULL;
}

static int
errcodes_store(PyObject *list, const int *codes, int n)
{
    PyObject *l = PyList_New(n);
    if (l == NULL)
        return -1;
    for (int i = 0; i < n; i++) {
        PyObject *v = PyLong_FromLong(codes[i]);
        if (v == NULL) {
            Py_DECREF(l);
            return -1;
        }
        PyList_SET_ITEM(l, i, v);
    }
    int rc = PySequence_SetSlice(list, 0, PY_SSIZE_T_MAX, l);
    Py_DECREF(l);
    return rc;
}

/* Error codes start as SUCCESS: an MPI library may fill them at the root
 * only. */
static int *
errcodes_new(int n)
{
    int *codes = PyMem_New(int, n > 0 ? n : 1);
    if (codes == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (int i = 0; i < n; i++) codes[i] = MPI_SUCCESS;
    return codes;
}

CMPI_DOC_NOSIG(
        Intracomm_Spawn_doc,
        "Spawn(self, command, args=None, maxprocs=1, "
        "info=INFO_NULL, root=0, errcodes=None)",
        "Spawn instances of a single MPI application; return the "
        "intercommunicator to them.  command, args and maxprocs matter at "
        "the root only.  errcodes, a list, receives one error code per "
        "process.");
static PyObject *
Intracomm_Spawn(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"command", "args",     "maxprocs", "info",
                                     "root",    "errcodes", NULL};
    PyObject *a[6] = {NULL};
    PyObject *keep = NULL, *ckeep = NULL, *res = NULL;
    int maxprocs = 1, root, rank = 0, ierr;
    MPI_Info info;
    MPI_Comm h;
    int *codes = NULL;
    char **argv = MPI_ARGV_NULL;
    char *command = "";
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Spawn", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[4], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (rank == root) {
        if (cmpi_opt_int(a[2], &maxprocs, 1, "maxprocs") < 0 ||
            cmpi_info_arg(self->st, a[3], &info) < 0)
            return NULL;
        if (maxprocs < 1)
            return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                                  "invalid maxprocs: maxprocs=%d, must be "
                                  ">= 1",
                                  maxprocs);
        if ((ckeep = spawn_string(a[0], "command", -1)) == NULL)
            return NULL;
        command = PyBytes_AS_STRING(ckeep);
        argv = argv_from(a[1], &keep, "args");
        if (argv == NULL && PyErr_Occurred())
            goto done;
    }
    else {
        /* ignored by MPI here: anything goes (None, -1, ...) */
        info = MPI_INFO_NULL;
        if (a[2] == NULL || cmpi_opt_int(a[2], &maxprocs, 1, "maxprocs") < 0)
            maxprocs = a[2] == NULL ? 1 : 0;
        PyErr_Clear();
        if (maxprocs < 0)
            maxprocs = 0;
    }
    int want_codes = a[5] != NULL && a[5] != Py_None;
    if (want_codes && (codes = errcodes_new(maxprocs)) == NULL)
        goto done;
    CMPI_NOGIL(ierr = MPI_Comm_spawn(command, argv, maxprocs, info, root,
                                     self->ob_mpi, &h,
                                     want_codes ? codes
                                                : MPI_ERRCODES_IGNORE));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = cmpi_comm_wrap_new(self, self->st->Intercomm_Type, h);
    if (res != NULL && want_codes && errcodes_store(a[5], codes, maxprocs) < 0)
        Py_CLEAR(res);
done:
    PyMem_Free(codes);
    Py_XDECREF(keep);
    Py_XDECREF(ckeep);
    return res;
}

/* What Spawn_multiple passes MPI: count programs, each with its command,
 * argv, maxprocs and info. */
typedef struct {
    int count, total, argvs_null;
    char **commands;
    char ***argvs;
    int *maxprocs;
    MPI_Info *infos;
    PyObject *keeps;
} spawn_multi;

static void
spawn_multi_clear(spawn_multi *sm)
{
    PyMem_Free(sm->commands);
    PyMem_Free(sm->argvs);
    PyMem_Free(sm->maxprocs);
    PyMem_Free(sm->infos);
    Py_CLEAR(sm->keeps);
    memset(sm, 0, sizeof(*sm));
}

/* obj: None (dflt), a single value (for every program) or a sequence of
 * `count` items; *item receives the i-th (borrowed) or NULL for None. */
static int
spawn_multi_len(PyObject *obj, int count, const char *what)
{
    Py_ssize_t n = PySequence_Size(obj);
    if (n < 0)
        return -1;
    if (n != count) {
        PyErr_Format(PyExc_ValueError,
                     "Spawn_multiple: %s has %zd entries, expected one per "
                     "command (%d)",
                     what, n, count);
        return -1;
    }
    return 0;
}

static int
spawn_multi_parse(cmpi_state *st, PyObject *const a[4], spawn_multi *sm)
{
    PyObject *cmd = a[0], *argsobj = a[1], *mp = a[2], *info = a[3];
    memset(sm, 0, sizeof(*sm));
    if (cmd == NULL || PyUnicode_Check(cmd) || PyBytes_Check(cmd) ||
        !PySequence_Check(cmd)) {
        PyErr_Format(PyExc_ValueError,
                     "Spawn_multiple: command must be a sequence of "
                     "commands, not %.100s",
                     cmd ? Py_TYPE(cmd)->tp_name : "nothing");
        return -1;
    }
    Py_ssize_t n = PySequence_Size(cmd);
    if (n < 0)
        return -1;
    if (n < 1 || n > INT_MAX / 2) {
        PyErr_SetString(PyExc_ValueError,
                        "Spawn_multiple: command must name at least one "
                        "program");
        return -1;
    }
    int count = sm->count = (int)n;
    sm->commands = PyMem_New(char *, count);
    sm->argvs = PyMem_New(char **, count);
    sm->maxprocs = PyMem_New(int, count);
    sm->infos = PyMem_New(MPI_Info, count);
    sm->keeps = PyList_New(0);
    if (!sm->commands || !sm->argvs || !sm->maxprocs || !sm->infos ||
        !sm->keeps) {
        PyErr_NoMemory();
        goto error;
    }
    sm->argvs_null = argsobj == NULL || argsobj == Py_None;
    if (!sm->argvs_null &&
        (PyUnicode_Check(argsobj) || PyBytes_Check(argsobj))) {
        PyErr_SetString(PyExc_ValueError,
                        "Spawn_multiple: args must be a sequence of "
                        "argument lists, not a string");
        goto error;
    }
    if (!sm->argvs_null && spawn_multi_len(argsobj, count, "args") < 0)
        goto error;
    int mp_seq = mp != NULL && mp != Py_None && !PyLong_Check(mp) &&
                 !PyIndex_Check(mp);
    if (mp_seq && spawn_multi_len(mp, count, "maxprocs") < 0)
        goto error;
    int info_seq = info != NULL && (PyList_Check(info) || PyTuple_Check(info));
    if (info_seq && spawn_multi_len(info, count, "info") < 0)
        goto error;
    for (int i = 0; i < count; i++) {
        PyObject *item = PySequence_GetItem(cmd, i), *keep = NULL;
        if (item == NULL)
            goto error;
        PyObject *b = spawn_string(item, "command", i);
        Py_DECREF(item);
        if (b == NULL)
            goto error;
        int rc = PyList_Append(sm->keeps, b);
        Py_DECREF(b);
        if (rc < 0)
            goto error;
        sm->commands[i] = PyBytes_AS_STRING(b);
        sm->argvs[i] = MPI_ARGV_NULL;
        if (!sm->argvs_null) {
            if ((item = PySequence_GetItem(argsobj, i)) == NULL)
                goto error;
            sm->argvs[i] = argv_from(item, &keep, "args[i]");
            Py_DECREF(item);
            if (sm->argvs[i] == NULL && PyErr_Occurred())
                goto error;
            if (keep != NULL) {
                rc = PyList_Append(sm->keeps, keep);
                Py_DECREF(keep);
                if (rc < 0)
                    goto error;
            }
        }
        item = mp_seq ? PySequence_GetItem(mp, i) : Py_XNewRef(mp);
        if (mp_seq && item == NULL)
            goto error;
        rc = cmpi_opt_int(item == Py_None ? NULL : item, &sm->maxprocs[i], 1,
                          "maxprocs");
        Py_XDECREF(item);
        if (rc < 0)
            goto error;
        if (sm->maxprocs[i] < 1) {
            cmpi_raise_msg(st, MPI_ERR_ARG,
                           "invalid maxprocs: maxprocs[%d]=%d, must be >= 1",
                           i, sm->maxprocs[i]);
            goto error;
        }
        if (sm->maxprocs[i] > INT_MAX - sm->total) {
            PyErr_SetString(PyExc_OverflowError,
                            "Spawn_multiple: too many processes");
            goto error;
        }
        sm->total += sm->maxprocs[i];
        if (info_seq) {
            if ((item = PySequence_GetItem(info, i)) == NULL)
                goto error;
            rc = cmpi_info_arg(st, item, &sm->infos[i]);
            Py_DECREF(item);
        }
        else {
            rc = cmpi_info_arg(st, info, &sm->infos[i]);
        }
        if (rc < 0)
            goto error;
    }
    return 0;
error:
    spawn_multi_clear(sm);
    return -1;
}

CMPI_DOC_NOSIG(Intracomm_Spawn_multiple_doc,
               "Spawn_multiple(self, command, args=None, maxprocs=None, "
               "info=INFO_NULL, root=0, errcodes=None)",
               "Spawn instances of several MPI applications; return the "
               "intercommunicator to them.  args, maxprocs and info are "
               "None, one value for every command, or one per command; "
               "they matter at the root only.");
static PyObject *
Intracomm_Spawn_multiple(CommObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"command", "args",     "maxprocs", "info",
                                     "root",    "errcodes", NULL};
    PyObject *a[6] = {NULL};
    PyObject *res = NULL;
    int root, rank = 0, ierr;
    int *codes = NULL;
    spawn_multi sm;
    MPI_Comm h;
    /* what a non-root process passes: MPI ignores it */
    char *dummy_cmd[1] = {""};
    int dummy_mp[1] = {1};
    MPI_Info dummy_info[1] = {MPI_INFO_NULL};
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Spawn_multiple", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[4], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (spawn_multi_parse(self->st, a, &sm) < 0) {
        if (rank == root)
            return NULL;
        PyErr_Clear(); /* not the root: arguments are ignored */
    }
    int use = sm.count > 0;
    int want_codes = a[5] != NULL && a[5] != Py_None;
    if (want_codes && (codes = errcodes_new(sm.total)) == NULL)
        goto done;
    CMPI_NOGIL(ierr = MPI_Comm_spawn_multiple(
                       use ? sm.count : 1, use ? sm.commands : dummy_cmd,
                       !use || sm.argvs_null ? MPI_ARGVS_NULL : sm.argvs,
                       use ? sm.maxprocs : dummy_mp,
                       use ? sm.infos : dummy_info, root, self->ob_mpi, &h,
                       want_codes ? codes : MPI_ERRCODES_IGNORE));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = cmpi_comm_wrap_new(self, self->st->Intercomm_Type, h);
    if (res != NULL && want_codes) {
        /* one list of codes per command */
        PyObject *outer = PyList_New(sm.count);
        int off = 0;
        for (int i = 0; outer && i < sm.count; i++) {
            PyObject *l = PyList_New(sm.maxprocs[i]);
            if (l == NULL) {
                Py_CLEAR(outer);
                break;
            }
            for (int j = 0; j < sm.maxprocs[i]; j++)
                PyList_SET_ITEM(l, j, PyLong_FromLong(codes[off + j]));
            off += sm.maxprocs[i];
            PyList_SET_ITEM(outer, i, l);
        }
        if (outer == NULL ||
            PySequence_SetSlice(a[5], 0, PY_SSIZE_T_MAX, outer) < 0)
            Py_CLEAR(res);
        Py_XDECREF(outer);
    }
done:
    PyMem_Free(codes);
    spawn_multi_clear(&sm);
    return res;
}

/* Which side of a connection a call is: the one that accepts it on a
 * port, or the one that connects to that port. */
enum port_side {
    PORT_ACCEPT,
    PORT_CONNECT
};

static PyObject *
accept_connect(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames, const char *fname, enum port_side side)
{
    static const char *const kw[] = {"port_name", "info", "root", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int root, ierr;
    MPI_Info info;
    MPI_Comm h;
    int rank = 0;
    const char *port = "";
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[2], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (rank == root) {
        if (cmpi_info_arg(self->st, a[1], &info) < 0 ||
            (port = PyUnicode_AsUTF8(a[0])) == NULL)
            return NULL;
    }
    else {
        /* port_name and info matter at the root only (None elsewhere) */
        info = MPI_INFO_NULL;
    }
    if (side == PORT_ACCEPT)
        CMPI_NOGIL(ierr = MPI_Comm_accept(port, info, root, self->ob_mpi,
                                          &h));
    else
        CMPI_NOGIL(ierr = MPI_Comm_connect(port, info, root, self->ob_mpi,
                                           &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, self->st->Intercomm_Type, h);
}

CMPI_COMM_METHOD(Intracomm, Accept, CMPI_DOC_NOSIG,
                 "(self, port_name, info=INFO_NULL, root=0)",
                 "Accept a request to form a new intercommunicator.",
                 accept_connect, PORT_ACCEPT)

CMPI_COMM_METHOD(Intracomm, Connect, CMPI_DOC_NOSIG,
                 "(self, port_name, info=INFO_NULL, root=0)",
                 "Make a request to form a new intercommunicator.",
                 accept_connect, PORT_CONNECT)

CMPI_DOC(Comm_Join_doc, "Join(fd)",
         "Interconnect two processes connected by a socket.");
static PyObject *
Comm_Join(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"fd", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    int fd, ierr;
    MPI_Comm h;
    if (st == NULL || cmpi_parse("Join", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &fd, "fd") < 0)
        return NULL;
    CMPI_NOGIL(ierr = MPI_Comm_join(fd, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return cmpi_comm_wrap_st(st, st->Intercomm_Type, h);
}

/* ------------------------------------------------------------------ */
/* Fault tolerance (ULFM).  Neither MPI library cmpi builds against has
 * the ULFM extensions, so these behave as on an MPI where no process ever
 * fails (as mpi4py's fallbacks do): no failed processes, Agree is a
 * bitwise-AND reduction, Shrink a duplicate.  Revoke stays unavailable. */

CMPI_DOC(Comm_Is_revoked_doc, "Is_revoked($self)",
         "Indicate whether the communicator has been revoked (never, as "
         "Revoke is unavailable).");
static PyObject *
Comm_Is_revoked(CommObject *self, PyObject *Py_UNUSED(a))
{
    if (cmpi_comm_check(self) < 0)
        return NULL;
    Py_RETURN_FALSE;
}

CMPI_DOC(Comm_Get_failed_doc, "Get_failed($self)",
         "Return the group of failed processes known locally (empty: no "
         "process failures are detected without ULFM).");
static PyObject *
Comm_Get_failed(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Group g, empty;
    int ierr;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    ierr = MPI_Comm_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    ierr = MPI_Group_incl(g, 0, NULL, &empty);
    MPI_Group_free(&g);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_group_new(self->st, self->st->Group_Type, empty, 0);
}

CMPI_DOC(Comm_Ack_failed_doc, "Ack_failed($self, num_to_ack=None)",
         "Acknowledge up to num_to_ack (None: all) locally known failures; "
         "return how many are acknowledged (0: no failures are detected "
         "without ULFM).");
static PyObject *
Comm_Ack_failed(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"num_to_ack", NULL};
    PyObject *a[1] = {NULL};
    int num = 0;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Ack_failed", args, nargs, kwnames, kw, 0, a) < 0)
        return NULL;
    if (a[0] != NULL && a[0] != Py_None &&
        cmpi_as_int(a[0], &num, "num_to_ack") < 0)
        return NULL;
    if (num < 0)
        return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                              "invalid num_to_ack: %d, must be >= 0", num);
    return PyLong_FromLong(0);
}

/* Without ULFM, agreement is a bitwise-AND reduction on the
 * communicator's shadow: ULFM programs overlap Iagree with other
 * collectives on the same communicator (mpi4py's tests post Iagree on
 * one rank before a Barrier that the others enter first), which on the
 * communicator itself would pair the wrong nonblocking operations. */
static MPI_Comm
agree_comm(CommObject *self)
{
    return self->shadow != MPI_COMM_NULL ? self->shadow : self->ob_mpi;
}

/* Bitwise AND of every process's flag, over both groups of an
 * intercommunicator (an intercommunicator reduction yields the remote
 * group's: a second one with those results yields the local group's). */
static int
agree_flag(CommObject *self, int *flag)
{
    int ierr, remote = 0, local = 0;
    MPI_Comm comm = agree_comm(self);
    if (!self->inter) {
        CMPI_COLL(ierr, comm, "Agree", MPI_Allreduce, MPI_Iallreduce,
                  (MPI_IN_PLACE, flag, 1, MPI_INT, MPI_BAND, comm));
        return ierr;
    }
    CMPI_COLL(ierr, comm, "Agree", MPI_Allreduce, MPI_Iallreduce,
              (flag, &remote, 1, MPI_INT, MPI_BAND, comm));
    if (ierr != MPI_SUCCESS)
        return ierr;
    CMPI_COLL(ierr, comm, "Agree", MPI_Allreduce, MPI_Iallreduce,
              (&remote, &local, 1, MPI_INT, MPI_BAND, comm));
    if (ierr == MPI_SUCCESS)
        *flag = remote & local;
    return ierr;
}

CMPI_DOC(Comm_Agree_doc, "Agree($self, flag)",
         "Return the bitwise AND of the integer flag over all processes "
         "(collective).");
static PyObject *
Comm_Agree(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"flag", NULL};
    PyObject *a[1] = {NULL};
    int flag, ierr;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Agree", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &flag, "flag") < 0)
        return NULL;
    ierr = agree_flag(self, &flag);
    if (ierr == CMPI_WAIT_RAISED)
        return NULL;
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(flag);
}

CMPI_DOC(Comm_Iagree_doc, "Iagree($self, flag)",
         "Nonblocking Agree: flag is a writable buffer of one C int, "
         "replaced by the bitwise AND over all processes when the returned "
         "request completes.  On an intercommunicator the agreement is "
         "complete when Iagree returns.");
static PyObject *
Comm_Iagree(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const kw[] = {"flag", NULL};
    PyObject *a[1] = {NULL};
    Py_buffer view;
    int ierr;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Iagree", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    if (!PyObject_CheckBuffer(a[0])) {
        PyErr_Format(PyExc_TypeError,
                     "Iagree: flag must be a writable buffer of one C int, "
                     "not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    if (PyObject_GetBuffer(a[0], &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) <
        0)
        return NULL;
    if (view.len != (Py_ssize_t)sizeof(int)) {
        PyErr_Format(PyExc_ValueError,
                     "Iagree: flag must hold one C int (%zu bytes), not %zd "
                     "bytes",
                     sizeof(int), view.len);
        PyBuffer_Release(&view);
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    int *flag = (int *)view.buf;
    if (self->inter) {
        int v;
        memcpy(&v, flag, sizeof(int));
        ierr = agree_flag(self, &v);
        if (ierr == MPI_SUCCESS)
            memcpy(flag, &v, sizeof(int));
        PyBuffer_Release(&view);
    }
    else {
        ierr = MPI_Iallreduce(MPI_IN_PLACE, flag, 1, MPI_INT, MPI_BAND,
                              agree_comm(self), &r->ob_mpi);
        if (ierr == MPI_SUCCESS)
            r->views[r->nviews++] = view; /* held until completion */
        else
            PyBuffer_Release(&view);
    }
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(r);
        if (ierr == CMPI_WAIT_RAISED)
            return NULL;
        return cmpi_raise(self->st, ierr);
    }
    return (PyObject *)r;
}

CMPI_DOC(Comm_Shrink_doc, "Shrink($self)",
         "Return a communicator of the processes that have not failed (a "
         "duplicate: no failures are detected without ULFM).");
static PyObject *
Comm_Shrink(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Comm h;
    int ierr;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    CMPI_NOGIL_CALL("Shrink", self->ob_mpi,
                    ierr = MPI_Comm_dup(self->ob_mpi, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, cmpi_comm_plain_type(self), h);
}

CMPI_DOC(Comm_Ishrink_doc, "Ishrink($self)",
         "Nonblocking Shrink; return (comm, request).  The communicator is "
         "made when Ishrink returns; the request completes when every "
         "process has made it.");
static PyObject *
Comm_Ishrink(CommObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    PyObject *c = Comm_Shrink(self, NULL);
    if (c == NULL)
        return NULL;
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        Py_DECREF(c);
        return NULL;
    }
    ierr = MPI_Ibarrier(((CommObject *)c)->ob_mpi, &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(r);
        Py_DECREF(c);
        return cmpi_raise(self->st, ierr);
    }
    PyObject *res = PyTuple_Pack(2, c, (PyObject *)r);
    Py_DECREF(c);
    Py_DECREF(r);
    return res;
}

#define CMPI_ULFM_METHODS                                                     \
    {"Is_revoked", (PyCFunction)Comm_Is_revoked, METH_NOARGS,                 \
     Comm_Is_revoked_doc},                                                    \
            {"Get_failed", (PyCFunction)Comm_Get_failed, METH_NOARGS,         \
             Comm_Get_failed_doc},                                            \
            {"Ack_failed", FN(Comm_Ack_failed), FASTKW, Comm_Ack_failed_doc}, \
            {"Agree", FN(Comm_Agree), FASTKW, Comm_Agree_doc},                \
            {"Iagree", FN(Comm_Iagree), FASTKW, Comm_Iagree_doc},             \
            {"Shrink", (PyCFunction)Comm_Shrink, METH_NOARGS,                 \
             Comm_Shrink_doc},                                                \
            {"Ishrink", (PyCFunction)Comm_Ishrink, METH_NOARGS,               \
             Comm_Ishrink_doc},

/* Module functions: ports and names. */

CMPI_DOC_NOSIG(Open_port_doc, "Open_port(info=INFO_NULL)",
               "Return an address that can be used to establish connections "
               "between groups of MPI processes.");
static PyObject *
mod_Open_port(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_get_state(m);
    char port[MPI_MAX_PORT_NAME + 1];
    MPI_Info info;
    if (cmpi_parse("Open_port", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_info_arg(st, a[0], &info) < 0)
        return NULL;
    memset(port, 0, sizeof(port));
    int ierr = MPI_Open_port(info, port);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return PyUnicode_FromString(port);
}

CMPI_DOC(Close_port_doc, "Close_port(port_name)", "Close a port.");
static PyObject *
mod_Close_port(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"port_name", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_get_state(m);
    if (cmpi_parse("Close_port", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    const char *port = PyUnicode_AsUTF8(a[0]);
    if (port == NULL)
        return NULL;
    int ierr = MPI_Close_port(port);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    Py_RETURN_NONE;
}

/* Publish_name makes a service name known, Unpublish_name withdraws it. */
enum name_action {
    NAME_PUBLISH,
    NAME_UNPUBLISH
};

static PyObject *
name_service(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, enum name_action action)
{
    int publish = action == NAME_PUBLISH;
    static const char *const kw[] = {"service_name", "port_name", "info",
                                     NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    const char *fname = publish ? "Publish_name" : "Unpublish_name";
    cmpi_state *st = cmpi_get_state(m);
    MPI_Info info;
    int ierr;
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_info_arg(st, a[2], &info) < 0)
        return NULL;
    const char *service = PyUnicode_AsUTF8(a[0]);
    const char *port = service ? PyUnicode_AsUTF8(a[1]) : NULL;
    if (port == NULL)
        return NULL;
    if (publish)
        CMPI_NOGIL(ierr = MPI_Publish_name(service, info, port));
    else
        CMPI_NOGIL(ierr = MPI_Unpublish_name(service, info, port));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC_NOSIG(Publish_name_doc,
               "Publish_name(service_name, port_name, info=INFO_NULL)",
               "Publish a service name.");
static PyObject *
mod_Publish_name(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return name_service(m, args, nargs, kwnames, NAME_PUBLISH);
}

CMPI_DOC_NOSIG(Unpublish_name_doc,
               "Unpublish_name(service_name, port_name, info=INFO_NULL)",
               "Unpublish a service name.");
static PyObject *
mod_Unpublish_name(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    return name_service(m, args, nargs, kwnames, NAME_UNPUBLISH);
}

CMPI_DOC_NOSIG(Lookup_name_doc, "Lookup_name(service_name, info=INFO_NULL)",
               "Lookup a port name given a service name.");
static PyObject *
mod_Lookup_name(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"service_name", "info", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_get_state(m);
    char port[MPI_MAX_PORT_NAME + 1];
    MPI_Info info;
    int ierr;
    if (cmpi_parse("Lookup_name", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_info_arg(st, a[1], &info) < 0)
        return NULL;
    const char *service = PyUnicode_AsUTF8(a[0]);
    if (service == NULL)
        return NULL;
    memset(port, 0, sizeof(port));
    CMPI_NOGIL(ierr = MPI_Lookup_name(service, info, port));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return PyUnicode_FromString(port);
}

#define CMPI_DYNPROC_MODULE_METHODS                                           \
    {"Open_port", FN(mod_Open_port), FASTKW, Open_port_doc},                  \
            {"Close_port", FN(mod_Close_port), FASTKW, Close_port_doc},       \
            {"Publish_name", FN(mod_Publish_name), FASTKW, Publish_name_doc}, \
            {"Unpublish_name", FN(mod_Unpublish_name), FASTKW,                \
             Unpublish_name_doc},                                             \
            {"Lookup_name", FN(mod_Lookup_name), FASTKW, Lookup_name_doc},

static PyObject *
Comm_get_is_topo(CommObject *self, void *Py_UNUSED(c))
{
    int topo = MPI_UNDEFINED;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    if (!self->inter)
        MPI_Topo_test(self->ob_mpi, &topo);
    return PyBool_FromLong(topo != MPI_UNDEFINED);
}

static PyMethodDef Comm_methods[] = {
        {"Get_rank", (PyCFunction)Comm_Get_rank, METH_NOARGS,
         Comm_Get_rank_doc},
        {"Get_size", (PyCFunction)Comm_Get_size, METH_NOARGS,
         Comm_Get_size_doc},
        {"Get_name", (PyCFunction)Comm_Get_name, METH_NOARGS,
         Comm_Get_name_doc},
        {"Set_name", (PyCFunction)Comm_Set_name, METH_O, Comm_Set_name_doc},
        {"Dup", FN(Comm_Dup), FASTKW, Comm_Dup_doc},
        {"Clone", (PyCFunction)Comm_Clone, METH_NOARGS, Comm_Clone_doc},
        {"Split", FN(Comm_Split), FASTKW, Comm_Split_doc},
        {"Free", (PyCFunction)Comm_Free, METH_NOARGS, Comm_Free_doc},
        {"Compare", (PyCFunction)Comm_Compare, METH_O, Comm_Compare_doc},
        {"Abort", FN(Comm_Abort), FASTKW, Comm_Abort_doc},
        {"Is_inter", (PyCFunction)Comm_Is_inter, METH_NOARGS,
         Comm_Is_inter_doc},
        {"Is_intra", (PyCFunction)Comm_Is_intra, METH_NOARGS,
         Comm_Is_intra_doc},
        {"Get_topology", (PyCFunction)Comm_Get_topology, METH_NOARGS,
         Comm_Get_topology_doc},
        {"Get_attr", (PyCFunction)Comm_Get_attr, METH_O, Comm_Get_attr_doc},
        {"Set_attr", FN(Comm_Set_attr), FASTKW, Comm_Set_attr_doc},
        {"Delete_attr", FN(Comm_Delete_attr), FASTKW, Comm_Delete_attr_doc},
        {"Create_keyval", FN(Comm_Create_keyval), CLSFASTKW,
         Comm_Create_keyval_doc},
        {"Free_keyval", FN(Comm_Free_keyval), CLSFASTKW, Comm_Free_keyval_doc},
        {"Dup_with_info", FN(Comm_Dup_with_info), FASTKW,
         Comm_Dup_with_info_doc},
        {"Idup", FN(Comm_Idup), FASTKW, Comm_Idup_doc},
        {"Idup_with_info", FN(Comm_Idup_with_info), FASTKW,
         Comm_Idup_with_info_doc},
        {"Split_type", FN(Comm_Split_type), FASTKW, Comm_Split_type_doc},
        {"Set_info", FN(Comm_Set_info), FASTKW, Comm_Set_info_doc},
        {"Get_info", (PyCFunction)Comm_Get_info, METH_NOARGS,
         Comm_Get_info_doc},
        {"Get_parent", (PyCFunction)Comm_Get_parent, METH_NOARGS | METH_CLASS,
         Comm_Get_parent_doc},
        {"Disconnect", (PyCFunction)Comm_Disconnect, METH_NOARGS,
         Comm_Disconnect_doc},
        {"Join", FN(Comm_Join), CLSFASTKW, Comm_Join_doc},
        CMPI_ULFM_METHODS CMPI_ERRHANDLER_COMM_METHODS CMPI_P2P_METHODS
                CMPI_COLL_METHODS CMPI_GROUP_COMM_METHODS
                        CMPI_MESSAGE_COMM_METHODS{NULL, NULL, 0, NULL},
};

static PyGetSetDef Comm_getset[] = {
        {"rank", (getter)Comm_get_rank, NULL, "Rank of this process.", NULL},
        {"size", (getter)Comm_get_size, NULL, "Number of processes.", NULL},
        {"name", (getter)Comm_get_name, (setter)Comm_set_name, "Print name.",
         NULL},
        {"is_inter", (getter)Comm_get_is_inter, NULL, "Is intercommunicator.",
         NULL},
        {"is_intra", (getter)Comm_get_is_intra, NULL, "Is intracommunicator.",
         NULL},
        {"topology", (getter)Comm_get_topology, NULL, "Topology type.", NULL},
        {"handle", (getter)Comm_get_handle, NULL, "MPI handle.", NULL},
        {"group", (getter)Comm_get_group, NULL, "Group.", NULL},
        {"is_topo", (getter)Comm_get_is_topo, NULL, "Is a topology.", NULL},
        {"info", (getter)Comm_get_info, (setter)Comm_set_info_attr, "Hints.",
         NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Comm_doc, "Comm(comm=None)\n--\n\nCommunication context.");

static PyType_Slot Comm_slots[] = {
        {Py_tp_doc, (void *)Comm_doc}, {Py_tp_new, Comm_new},
        {Py_tp_dealloc, Comm_dealloc}, {Py_tp_richcompare, Comm_richcompare},
        {Py_tp_hash, Comm_hash},       {Py_tp_repr, Comm_repr},
        {Py_nb_bool, Comm_bool},       {Py_tp_methods, Comm_methods},
        {Py_tp_getset, Comm_getset},   {0, NULL},
};

static PyType_Spec Comm_spec = {
        .name = "cmpi.MPI.Comm",
        .basicsize = sizeof(CommObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Comm_slots,
};

static PyMethodDef Intracomm_methods[] = {
        {"Create_intercomm", FN(Intracomm_Create_intercomm), FASTKW,
         Intracomm_Create_intercomm_doc},
        {"Create_from_group", FN(Intracomm_Create_from_group), CLSFASTKW,
         Intracomm_Create_from_group_doc},
        {"Spawn", FN(Intracomm_Spawn), FASTKW, Intracomm_Spawn_doc},
        {"Spawn_multiple", FN(Intracomm_Spawn_multiple), FASTKW,
         Intracomm_Spawn_multiple_doc},
        {"Accept", FN(Intracomm_Accept), FASTKW, Intracomm_Accept_doc},
        {"Connect", FN(Intracomm_Connect), FASTKW, Intracomm_Connect_doc},
        CMPI_TOPO_INTRA_METHODS CMPI_INTRA_COLL_METHODS{NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Intracomm_doc, "Intracomm(comm=None)\n--\n\nIntracommunicator.");

static PyType_Slot Intracomm_slots[] = {
        {Py_tp_doc, (void *)Intracomm_doc},
        {Py_tp_methods, Intracomm_methods},
        {0, NULL},
};

static PyType_Spec Intracomm_spec = {
        .name = "cmpi.MPI.Intracomm",
        .basicsize = sizeof(CommObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Intracomm_slots,
};

static PyMethodDef Intercomm_methods[] = {
        {"Get_remote_size", (PyCFunction)Intercomm_Get_remote_size,
         METH_NOARGS, Intercomm_Get_remote_size_doc},
        {"Get_remote_group", (PyCFunction)Intercomm_Get_remote_group,
         METH_NOARGS, Intercomm_Get_remote_group_doc},
        {"Merge", FN(Intercomm_Merge), FASTKW, Intercomm_Merge_doc},
        {"Create_from_groups", FN(Intercomm_Create_from_groups), CLSFASTKW,
         Intercomm_Create_from_groups_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Intercomm_getset[] = {
        {"remote_size", (getter)Intercomm_get_remote_size, NULL,
         "Number of remote processes.", NULL},
        {"remote_group", (getter)Intercomm_get_remote_group, NULL,
         "Remote group.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Intercomm_doc, "Intercomm(comm=None)\n--\n\nIntercommunicator.");

static PyType_Slot Intercomm_slots[] = {
        {Py_tp_doc, (void *)Intercomm_doc},
        {Py_tp_methods, Intercomm_methods},
        {Py_tp_getset, Intercomm_getset},
        {0, NULL},
};

static PyType_Spec Intercomm_spec = {
        .name = "cmpi.MPI.Intercomm",
        .basicsize = sizeof(CommObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Intercomm_slots,
};

static int
cmpi_comm_init(PyObject *m, cmpi_state *st)
{
    st->Comm_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Comm_spec, NULL);
    if (st->Comm_Type == NULL || PyModule_AddType(m, st->Comm_Type) < 0)
        return -1;
    st->Intracomm_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Intracomm_spec, (PyObject *)st->Comm_Type);
    if (st->Intracomm_Type == NULL ||
        PyModule_AddType(m, st->Intracomm_Type) < 0)
        return -1;
    st->Intercomm_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Intercomm_spec, (PyObject *)st->Comm_Type);
    if (st->Intercomm_Type == NULL ||
        PyModule_AddType(m, st->Intercomm_Type) < 0)
        return -1;
    return 0;
}

/* The predefined communicators exist only once MPI is initialized. */
static int
cmpi_comm_init_constants(PyObject *m, cmpi_state *st)
{
    st->COMM_NULL =
            cmpi_comm_new(st, st->Comm_Type, MPI_COMM_NULL, CMPI_CONST);
    if (st->COMM_NULL == NULL ||
        PyModule_AddObjectRef(m, "COMM_NULL", st->COMM_NULL) < 0)
        return -1;
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    int live = initialized && !finalized;
    st->COMM_SELF =
            cmpi_comm_new(st, st->Intracomm_Type,
                          live ? MPI_COMM_SELF : MPI_COMM_NULL, CMPI_CONST);
    st->COMM_WORLD =
            cmpi_comm_new(st, st->Intracomm_Type,
                          live ? MPI_COMM_WORLD : MPI_COMM_NULL, CMPI_CONST);
    if (st->COMM_SELF == NULL || st->COMM_WORLD == NULL)
        return -1;
    if (PyModule_AddObjectRef(m, "COMM_SELF", st->COMM_SELF) < 0 ||
        PyModule_AddObjectRef(m, "COMM_WORLD", st->COMM_WORLD) < 0)
        return -1;
    return 0;
}

/* After a late MPI.Init(): give the predefined objects their handles. */
static void
cmpi_comm_constants_attach(cmpi_state *st)
{
    cmpi_comm_set_handle((CommObject *)st->COMM_SELF, MPI_COMM_SELF);
    cmpi_comm_set_handle((CommObject *)st->COMM_WORLD, MPI_COMM_WORLD);
}
