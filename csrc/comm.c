/*
 * comm.c -- MPI.Comm, MPI.Intracomm, MPI.Intercomm and the predefined
 * communicators: making, comparing and freeing them, intercommunicators,
 * and ULFM's fault-tolerance calls.  The point-to-point, collective,
 * attribute and dynamic-process methods live in p2p_buf.c, p2p_obj.c,
 * coll_buf.c, coll_obj.c, keyval.c and dynproc.c; the method tables here
 * assemble their entries.
 */
#include "cmpi.h"

/* Every communicator cmpi creates gets a shadow: a private duplicate,
 * cached on it as an MPI attribute, that carries the payloads of large
 * lowercase messages (p2p_obj.c).  It is made when the communicator is made,
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
    if (h == MPI_COMM_NULL || st->shadow_keyval == MPI_KEYVAL_INVALID) {
        return MPI_COMM_NULL;
    }
    if (MPI_Comm_get_attr(h, st->shadow_keyval, &shadow, &flag) !=
                MPI_SUCCESS ||
        !flag || shadow == NULL) {
        return MPI_COMM_NULL;
    }
    return *shadow;
}

static int
cmpi_shadow_create(cmpi_state *st, MPI_Comm h)
{
    if (h == MPI_COMM_NULL || st->shadow_keyval == MPI_KEYVAL_INVALID) {
        return 0;
    }
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
    if (c == NULL) {
        return NULL;
    }
    c->ob_mpi = handle;
    c->flags = flags;
    c->st = st;
    c->size = c->peers = 0;
    c->inter = 0;
    c->shadow = cmpi_shadow_of(st, handle);
    if (handle != MPI_COMM_NULL) {
        int ierr = MPI_Comm_size(handle, &c->size);
        if (ierr == MPI_SUCCESS) {
            ierr = MPI_Comm_test_inter(handle, &c->inter);
        }
        c->peers = c->size;
        if (ierr == MPI_SUCCESS && c->inter) {
            ierr = MPI_Comm_remote_size(handle, &c->peers);
        }
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
    c->rank_of = (MPI_Comm)0; /* a handle value may be reused: ask again */
    c->shadow = cmpi_shadow_of(c->st, handle);
    c->size = c->peers = c->inter = 0;
    if (handle != MPI_COMM_NULL) {
        MPI_Comm_size(handle, &c->size);
        MPI_Comm_test_inter(handle, &c->inter);
        c->peers = c->size;
        if (c->inter) {
            MPI_Comm_remote_size(handle, &c->peers);
        }
    }
}

static void
comm_forget(PyObject *copy)
{
    cmpi_comm_set_handle((CommObject *)copy, MPI_COMM_NULL);
}

static void
cmpi_comm_freed(CommObject *c)
{
    cmpi_comm_set_handle(c, MPI_COMM_NULL);
    cmpi_handle_freed((PyObject *)c, CMPI_HK_COMM, comm_forget);
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
    if (h == MPI_COMM_NULL) {
        return st->Comm_Type;
    }
    MPI_Comm_test_inter(h, &inter);
    if (inter) {
        return st->Intercomm_Type;
    }
    MPI_Topo_test(h, &topo);
    if (topo == MPI_CART) {
        return st->Cartcomm_Type;
    }
    if (topo == MPI_GRAPH) {
        return st->Graphcomm_Type;
    }
    if (topo == MPI_DIST_GRAPH) {
        return st->Distgraphcomm_Type;
    }
    return st->Intracomm_Type;
}

static PyObject *
Comm_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"comm", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Comm", kwlist, &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
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
    PyObject *c = cmpi_comm_new(st, type, h, 0);
    if (c != NULL && other != NULL && other != Py_None) {
        cmpi_handle_link(c, other, CMPI_HK_COMM);
    }
    return c;
}

static void
Comm_dealloc(CommObject *self)
{
    /* User communicators are not freed implicitly (MPI_Comm_free is
     * collective); Free() does it. */
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_COMM);
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
    if (self->ob_mpi == MPI_COMM_NULL) {
        return PyUnicode_FromFormat("<%s: COMM_NULL>", tn);
    }
    if (self->ob_mpi == MPI_COMM_WORLD) {
        return PyUnicode_FromFormat("<%s: COMM_WORLD>", tn);
    }
    if (self->ob_mpi == MPI_COMM_SELF) {
        return PyUnicode_FromFormat("<%s: COMM_SELF>", tn);
    }
    return PyUnicode_FromFormat("<%s object at %p>", tn, self);
}

CMPI_DOC(Comm_Get_rank_doc, "Get_rank($self)",
         "Return the rank of this process in a communicator.");
static PyObject *
Comm_Get_rank(CommObject *self, PyObject *Py_UNUSED(a))
{
    /* A communicator's rank never changes: asked once per handle.  A
     * handle that changes (freed, assigned) is another rank_of. */
    if (CMPI_LIKELY(self->rank_of == self->ob_mpi)) {
        return PyLong_FromLong(self->rank);
    }
    int rank;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Comm_rank(self->ob_mpi, &rank);
    if (CMPI_UNLIKELY(ierr != MPI_SUCCESS)) {
        return cmpi_raise(self->st, ierr);
    }
    self->rank = rank;
    self->rank_of = self->ob_mpi;
    return PyLong_FromLong(rank);
}

CMPI_DOC(Comm_Get_size_doc, "Get_size($self)",
         "Return the number of processes in a communicator.");
static PyObject *
Comm_Get_size(CommObject *self, PyObject *Py_UNUSED(a))
{
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
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
    if (self->ob_mpi == MPI_COMM_NULL) { /* MPI has no name for it */
        return PyUnicode_FromString("MPI_COMM_NULL");
    }
    int ierr = MPI_Comm_get_name(self->ob_mpi, name, &len);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyUnicode_FromStringAndSize(name, len);
}

CMPI_DOC(Comm_Set_name_doc, "Set_name($self, name)",
         "Set the print name for this communicator.");
static PyObject *
Comm_Set_name(CommObject *self, PyObject *arg)
{
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    Py_ssize_t len;
    const char *name = cmpi_as_mpistr(arg, &len, "name");
    if (name == NULL) {
        return NULL;
    }
    int ierr = MPI_Comm_set_name(self->ob_mpi, (char *)name);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Comm_Set_name, CommObject, "Set_name", "name")

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
    MPI_Info info = MPI_INFO_NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Dup", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    /* as mpi4py: info=None (the default) or INFO_NULL is MPI_Comm_dup, an
     * Info MPI_Comm_dup_with_info, anything else a TypeError */
    if (a[0] != NULL && a[0] != Py_None &&
        cmpi_info_arg(self->st, a[0], &info) < 0) {
        return NULL;
    }
    if (info != MPI_INFO_NULL) {
        CMPI_NOGIL_CALL("Dup", self->ob_mpi,
                        ierr = MPI_Comm_dup_with_info(self->ob_mpi, info, &h));
    }
    else {
        CMPI_NOGIL_CALL("Dup", self->ob_mpi,
                        ierr = MPI_Comm_dup(self->ob_mpi, &h));
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
        cmpi_opt_int(a[1], &key, 0, "key") < 0) {
        return NULL;
    }
    if (color < 0 && color != MPI_UNDEFINED) {
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "invalid color: color=%d, must be >= 0 or UNDEFINED",
                       color);
        return NULL;
    }
    CMPI_NOGIL_CALL("Split", self->ob_mpi,
                    ierr = MPI_Comm_split(self->ob_mpi, color, key, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, cmpi_comm_plain_type(self), h);
}

CMPI_DOC(Comm_Free_doc, "Free($self)", "Free a communicator.");
static PyObject *
Comm_Free(CommObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    if (self->flags & CMPI_CONST) {
        return cmpi_raise_msg(self->st, MPI_ERR_COMM,
                              "cannot free a predefined communicator");
    }
    MPI_Comm h = self->ob_mpi;
    cmpi_shadow_free(self->st, h);
    cmpi_comm_locks_forget(self->st, h);
    CMPI_NOGIL(ierr = MPI_Comm_free(&h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_comm_freed(self);
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
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(result);
}

CMPI_ONE_ARG_KW(Comm_Compare, CommObject, "Compare", "comm")

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
        cmpi_opt_int(a[0], &code, 0, "errorcode") < 0) {
        return NULL;
    }
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
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    return PyBool_FromLong(self->inter);
}

CMPI_DOC(Comm_Is_intra_doc, "Is_intra($self)",
         "Return whether the communicator is an intracommunicator.");
static PyObject *
Comm_Is_intra(CommObject *self, PyObject *Py_UNUSED(a))
{
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
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
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Topo_test(self->ob_mpi, &topo);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
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
        cmpi_info_arg(self->st, a[0], &info) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Dup_with_info", self->ob_mpi,
                    ierr = MPI_Comm_dup_with_info(self->ob_mpi, info, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
    if (cmpi_info_arg(self->st, info_o, &info) < 0) {
        return NULL;
    }
    if (info == MPI_INFO_NULL) {
        CMPI_NOGIL_CALL("Dup", self->ob_mpi,
                        ierr = MPI_Comm_dup(self->ob_mpi, &h));
    }
    else {
        CMPI_NOGIL_CALL("Dup_with_info", self->ob_mpi,
                        ierr = MPI_Comm_dup_with_info(self->ob_mpi, info, &h));
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    PyObject *c = cmpi_comm_wrap_new(self, Py_TYPE(self), h);
    if (c == NULL) {
        return NULL;
    }
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
        cmpi_parse("Idup", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    return idup_impl(self, a[0] == Py_None ? NULL : a[0]);
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
        cmpi_parse("Idup_with_info", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
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
        cmpi_info_arg(self->st, a[2], &info) < 0) {
        return NULL;
    }
#if defined(OPEN_MPI) && OMPI_MAJOR_VERSION < 5
    /* Open MPI 4.1 segfaults in MPI_Comm_split_type on any
     * intercommunicator, whatever the split type (found by the API fuzzer;
     * 5.0 splits both groups).  Every rank of the communicator takes this
     * branch, so none is left waiting. */
    if (self->inter) {
        return cmpi_raise_msg(self->st, MPI_ERR_COMM,
                              "Split_type on an intercommunicator is not "
                              "supported by Open MPI %d.%d (it crashes the "
                              "process); split each group's intracommunicator "
                              "and join them with Create_intercomm, or use "
                              "Open MPI 5",
                              OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION);
    }
#endif
    CMPI_NOGIL_CALL("Split_type", self->ob_mpi,
                    ierr = MPI_Comm_split_type(self->ob_mpi, split_type, key,
                                               info, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, cmpi_comm_plain_type(self), h);
}

/* The stringtag of Create_from_group(s): a str or, as mpi4py takes,
 * bytes (the argument outlives the call, and so does the pointer). */
static int
comm_stringtag(PyObject *obj, const char **out)
{
    if (obj == NULL) {
        return 0;
    }
    if (PyBytes_Check(obj)) {
        char *s;
        if (PyBytes_AsStringAndSize(obj, &s, NULL) < 0) {
            return -1;
        }
        *out = s;
        return 0;
    }
    *out = PyUnicode_AsUTF8(obj);
    return *out == NULL ? -1 : 0;
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
        cmpi_info_arg(st, a[2], &info) < 0) {
        return NULL;
    }
    if (comm_stringtag(a[1], &tag) < 0) {
        return NULL;
    }
    if (a[3] != NULL && a[3] != Py_None &&
        cmpi_errhandler_arg(st, a[3], &eh) < 0) {
        return NULL;
    }
#if CMPI_HAVE_COMM_CREATE_FROM_GROUP
    MPI_Comm h;
    int ierr;
    CMPI_NOGIL_CALL("Comm.Create_from_group", MPI_COMM_NULL,
                    ierr = MPI_Comm_create_from_group(g, tag, info, eh, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return cmpi_comm_wrap_st(st, st->Intracomm_Type, h);
#else
    (void)g;
    (void)eh;
    return cmpi_not_implemented("MPI_Comm_create_from_group");
#endif
}

#if CMPI_HAVE_INTERCOMM_CREATE_FROM_GROUPS
/* Each leader a rank of its group, and the caller in the local group
   (null groups are left to MPI, which refuses them). */
static int
groups_leaders_check(cmpi_state *st, MPI_Group lg, int ll, MPI_Group rg,
                     int rl)
{
    int lsize, rsize, me;
    if (lg == MPI_GROUP_NULL || rg == MPI_GROUP_NULL) {
        return 0;
    }
    if (MPI_Group_size(lg, &lsize) != MPI_SUCCESS ||
        MPI_Group_size(rg, &rsize) != MPI_SUCCESS ||
        MPI_Group_rank(lg, &me) != MPI_SUCCESS) {
        return 0;
    }
    if (me == MPI_UNDEFINED) {
        cmpi_raise_msg(st, MPI_ERR_GROUP,
                       "invalid local_group: the calling process is not "
                       "in it");
        return -1;
    }
    if ((unsigned)ll >= (unsigned)lsize) {
        cmpi_raise_msg(st, MPI_ERR_RANK,
                       "invalid rank: local_leader=%d, local_group has %d "
                       "process%s",
                       ll, lsize, lsize == 1 ? "" : "es");
        return -1;
    }
    if ((unsigned)rl >= (unsigned)rsize) {
        cmpi_raise_msg(st, MPI_ERR_RANK,
                       "invalid rank: remote_leader=%d, remote_group has %d "
                       "process%s",
                       rl, rsize, rsize == 1 ? "" : "es");
        return -1;
    }
    return 0;
}
#endif

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
        cmpi_info_arg(st, a[5], &info) < 0) {
        return NULL;
    }
    if (comm_stringtag(a[4], &tag) < 0) {
        return NULL;
    }
    if (a[6] != NULL && a[6] != Py_None &&
        cmpi_errhandler_arg(st, a[6], &eh) < 0) {
        return NULL;
    }
#if CMPI_HAVE_INTERCOMM_CREATE_FROM_GROUPS
    MPI_Comm h;
    int ierr;
    /* MPICH 4.0.2 does not check these: a leader outside its group or a
       caller outside the local group crashes it (plain C too) */
    if (groups_leaders_check(st, lg, ll, rg, rl) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Intercomm.Create_from_groups", MPI_COMM_NULL,
                    ierr = MPI_Intercomm_create_from_groups(
                            lg, ll, rg, rl, tag, info, eh, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
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
        cmpi_info_arg(self->st, a[0], &info) < 0) {
        return NULL;
    }
    int ierr = MPI_Comm_set_info(self->ob_mpi, info);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Get_info_doc, "Get_info($self)",
         "Return the current hints for a communicator (a new Info).");
static PyObject *
Comm_Get_info(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Info info = MPI_INFO_NULL;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Comm_get_info(self->ob_mpi, &info);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
        cmpi_opt_int(a[3], &tag, 0, "tag") < 0) {
        return NULL;
    }
    if (!PyObject_TypeCheck(a[1], self->st->Comm_Type)) {
        PyErr_Format(PyExc_TypeError, "peer_comm must be a Comm, not %.100s",
                     Py_TYPE(a[1])->tp_name);
        return NULL;
    }
    if ((unsigned)ll >= (unsigned)self->size) {
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: local_leader=%d, the "
                              "communicator has %d rank%s",
                              ll, self->size, self->size == 1 ? "" : "s");
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (rank == ll) {
        /* peer_comm and remote_leader matter at the local leader only */
        CommObject *pc = (CommObject *)a[1];
        if (cmpi_comm_check(pc) < 0 ||
            cmpi_check_dest(pc, rl, "remote_leader")) {
            return NULL;
        }
        peer = pc->ob_mpi;
        if (rl == MPI_PROC_NULL) {
            return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                                  "invalid rank: remote_leader=PROC_NULL");
        }
    }
    else if (((CommObject *)a[1])->ob_mpi != MPI_COMM_NULL) {
        peer = ((CommObject *)a[1])->ob_mpi;
    }
    if (cmpi_check_send_tag(self, tag) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL(
            "Create_intercomm", self->ob_mpi,
            ierr = MPI_Intercomm_create(self->ob_mpi, ll, peer, rl, tag, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
        cmpi_parse("Merge", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    if (a[0] != NULL && (high = PyObject_IsTrue(a[0])) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Merge", self->ob_mpi,
                    ierr = MPI_Intercomm_merge(self->ob_mpi, high, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, self->st->Intracomm_Type, h);
}

CMPI_DOC(Intercomm_Get_remote_group_doc, "Get_remote_group($self)",
         "Access the remote group associated with the intercommunicator.");
static PyObject *
Intercomm_Get_remote_group(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Group g;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Comm_remote_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_group_new(self->st, self->st->Group_Type, g, 0);
}

static PyObject *
Intercomm_get_remote_group(CommObject *self, void *Py_UNUSED(c))
{
    return Intercomm_Get_remote_group(self, NULL);
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
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
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
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    ierr = MPI_Comm_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    ierr = MPI_Group_incl(g, 0, NULL, &empty);
    MPI_Group_free(&g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
        cmpi_parse("Ack_failed", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    if (a[0] != NULL && a[0] != Py_None &&
        cmpi_as_int(a[0], &num, "num_to_ack") < 0) {
        return NULL;
    }
    if (num < 0) {
        return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                              "invalid num_to_ack: %d, must be >= 0", num);
    }
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
    if (ierr != MPI_SUCCESS) {
        return ierr;
    }
    CMPI_COLL(ierr, comm, "Agree", MPI_Allreduce, MPI_Iallreduce,
              (&remote, &local, 1, MPI_INT, MPI_BAND, comm));
    if (ierr == MPI_SUCCESS) {
        *flag = remote & local;
    }
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
        cmpi_as_int(a[0], &flag, "flag") < 0) {
        return NULL;
    }
    ierr = agree_flag(self, &flag);
    if (ierr == CMPI_WAIT_RAISED) {
        return NULL;
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
        cmpi_parse("Iagree", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (!PyObject_CheckBuffer(a[0])) {
        PyErr_Format(PyExc_TypeError,
                     "Iagree: flag must be a writable buffer of one C int, "
                     "not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    /* cmpi_get_buffer: a strided flag is a BufferError, as in mpi4py */
    if (cmpi_get_buffer(a[0], &view, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS) <
        0) {
        return NULL;
    }
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
        if (ierr == MPI_SUCCESS) {
            memcpy(flag, &v, sizeof(int));
        }
        PyBuffer_Release(&view);
    }
    else {
        ierr = MPI_Iallreduce(MPI_IN_PLACE, flag, 1, MPI_INT, MPI_BAND,
                              agree_comm(self), &r->ob_mpi);
        if (ierr == MPI_SUCCESS) {
            r->views[r->nviews++] = view; /* held until completion */
        }
        else {
            PyBuffer_Release(&view);
        }
    }
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(r);
        if (ierr == CMPI_WAIT_RAISED) {
            return NULL;
        }
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
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Shrink", self->ob_mpi,
                    ierr = MPI_Comm_dup(self->ob_mpi, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
    if (c == NULL) {
        return NULL;
    }
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

static PyObject *
Comm_get_is_topo(CommObject *self, void *Py_UNUSED(c))
{
    int topo = MPI_UNDEFINED;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    if (!self->inter) {
        MPI_Topo_test(self->ob_mpi, &topo);
    }
    return PyBool_FromLong(topo != MPI_UNDEFINED);
}

static PyMethodDef Comm_methods[] = {
        {"Get_rank", (PyCFunction)Comm_Get_rank, METH_NOARGS,
         Comm_Get_rank_doc},
        {"Get_size", (PyCFunction)Comm_Get_size, METH_NOARGS,
         Comm_Get_size_doc},
        {"Get_name", (PyCFunction)Comm_Get_name, METH_NOARGS,
         Comm_Get_name_doc},
        {"Set_name", FN(Comm_Set_name_kw), FASTKW, Comm_Set_name_doc},
        {"Dup", FN(Comm_Dup), FASTKW, Comm_Dup_doc},
        {"Clone", (PyCFunction)Comm_Clone, METH_NOARGS, Comm_Clone_doc},
        {"Split", FN(Comm_Split), FASTKW, Comm_Split_doc},
        {"Free", (PyCFunction)Comm_Free, METH_NOARGS, Comm_Free_doc},
        {"Compare", FN(Comm_Compare_kw), FASTKW, Comm_Compare_doc},
        {"Abort", FN(Comm_Abort), FASTKW, Comm_Abort_doc},
        {"Is_inter", (PyCFunction)Comm_Is_inter, METH_NOARGS,
         Comm_Is_inter_doc},
        {"Is_intra", (PyCFunction)Comm_Is_intra, METH_NOARGS,
         Comm_Is_intra_doc},
        {"Get_topology", (PyCFunction)Comm_Get_topology, METH_NOARGS,
         Comm_Get_topology_doc},
        {"Get_attr", FN(Comm_Get_attr_kw), FASTKW, Comm_Get_attr_doc},
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
        {"Psend_init", FN(Comm_Psend_init), FASTKW, Comm_Psend_init_doc},
        {"Precv_init", FN(Comm_Precv_init), FASTKW, Comm_Precv_init_doc},
        CMPI_ULFM_METHODS CMPI_ERRHANDLER_COMM_METHODS CMPI_P2P_BUF_METHODS
                CMPI_P2P_OBJ_METHODS CMPI_COLL_BUF_METHODS
                        CMPI_COLL_OBJ_METHODS CMPI_GROUP_COMM_METHODS
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

static PyMemberDef Comm_members[] = {
        CMPI_WEAKLIST_MEMBER(CommObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Comm_slots[] = {
        {Py_tp_doc, (void *)Comm_doc},
        {Py_tp_new, Comm_new},
        {Py_tp_dealloc, Comm_dealloc},
        {Py_tp_richcompare, Comm_richcompare},
        {Py_tp_hash, Comm_hash},
        {Py_tp_repr, Comm_repr},
        {Py_nb_bool, Comm_bool},
        {Py_tp_methods, Comm_methods},
        {Py_tp_getset, Comm_getset},
        {Py_tp_members, Comm_members},
        {0, NULL},
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
        CMPI_TOPO_INTRA_METHODS CMPI_INTRA_COLL_BUF_METHODS
                CMPI_INTRA_COLL_OBJ_METHODS{NULL, NULL, 0, NULL},
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
    if (st->Comm_Type == NULL || PyModule_AddType(m, st->Comm_Type) < 0) {
        return -1;
    }
    st->Intracomm_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Intracomm_spec, (PyObject *)st->Comm_Type);
    if (st->Intracomm_Type == NULL ||
        PyModule_AddType(m, st->Intracomm_Type) < 0) {
        return -1;
    }
    st->Intercomm_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Intercomm_spec, (PyObject *)st->Comm_Type);
    if (st->Intercomm_Type == NULL ||
        PyModule_AddType(m, st->Intercomm_Type) < 0) {
        return -1;
    }
    return 0;
}

/* The predefined communicators exist only once MPI is initialized. */
static int
cmpi_comm_init_constants(PyObject *m, cmpi_state *st)
{
    st->COMM_NULL =
            cmpi_comm_new(st, st->Comm_Type, MPI_COMM_NULL, CMPI_CONST);
    if (st->COMM_NULL == NULL ||
        PyModule_AddObjectRef(m, "COMM_NULL", st->COMM_NULL) < 0) {
        return -1;
    }
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
    if (st->COMM_SELF == NULL || st->COMM_WORLD == NULL) {
        return -1;
    }
    if (PyModule_AddObjectRef(m, "COMM_SELF", st->COMM_SELF) < 0 ||
        PyModule_AddObjectRef(m, "COMM_WORLD", st->COMM_WORLD) < 0) {
        return -1;
    }
    return 0;
}

/* After a late MPI.Init(): give the predefined objects their handles. */
static void
cmpi_comm_constants_attach(cmpi_state *st)
{
    cmpi_comm_set_handle((CommObject *)st->COMM_SELF, MPI_COMM_SELF);
    cmpi_comm_set_handle((CommObject *)st->COMM_WORLD, MPI_COMM_WORLD);
}
