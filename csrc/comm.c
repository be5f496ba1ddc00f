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
    CMPI_NOGIL(ierr = MPI_Comm_dup(h, shadow));
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
comm_set_handle(CommObject *c, MPI_Comm handle)
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

static CMPI_NOINLINE int
comm_null_error(CommObject *c)
{
    cmpi_raise_msg(c->st, MPI_ERR_COMM,
                   "invalid communicator: the communicator is COMM_NULL "
                   "(freed, or never created)");
    return -1;
}

static int
cmpi_comm_check(CommObject *c)
{
    if (CMPI_UNLIKELY(c->ob_mpi == MPI_COMM_NULL))
        return comm_null_error(c);
    return 0;
}

/* A new communicator made by cmpi: failures on it raise, never abort. */
static PyObject *
cmpi_comm_wrap_new(CommObject *parent, PyTypeObject *type, MPI_Comm h)
{
    if (h != MPI_COMM_NULL) {
        MPI_Comm_set_errhandler(h, MPI_ERRORS_RETURN);
        if (cmpi_shadow_create(parent->st, h) < 0) {
            MPI_Comm_free(&h);
            return NULL;
        }
    }
    PyObject *c = cmpi_comm_new(parent->st, type, h, 0);
    if (c == NULL && h != MPI_COMM_NULL)
        MPI_Comm_free(&h);
    return c;
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
            PyErr_Format(PyExc_TypeError, "expected an %s",
                         inter ? "intercommunicator" : "intracommunicator");
            return NULL;
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

static PyObject *
Comm_richcompare(CommObject *self, PyObject *other, int op)
{
    if ((op != Py_EQ && op != Py_NE) ||
        !PyObject_TypeCheck(other, self->st->Comm_Type))
        Py_RETURN_NOTIMPLEMENTED;
    int eq = self->ob_mpi == ((CommObject *)other)->ob_mpi;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t
Comm_hash(CommObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
}

static int
Comm_bool(CommObject *self)
{
    return self->ob_mpi != MPI_COMM_NULL;
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
    if (cmpi_comm_check(self) < 0)
        return NULL;
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
    CMPI_NOGIL(ierr = MPI_Comm_dup(self->ob_mpi, &h));
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
    CMPI_NOGIL(ierr = MPI_Comm_split(self->ob_mpi, color, key, &h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_comm_wrap_new(self, Py_TYPE(self), h);
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
    CMPI_NOGIL(ierr = MPI_Comm_free(&h));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    comm_set_handle(self, MPI_COMM_NULL);
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
    CMPI_NOGIL(ierr = MPI_Abort(self->ob_mpi, code));
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

CMPI_DOC(Comm_Get_attr_doc, "Get_attr($self, keyval)",
         "Retrieve attribute value by key.");
static PyObject *
Comm_Get_attr(CommObject *self, PyObject *arg)
{
    int keyval, flag = 0;
    void *value = NULL;
    if (cmpi_comm_check(self) < 0 || cmpi_as_int(arg, &keyval, "keyval") < 0)
        return NULL;
    int ierr = MPI_Comm_get_attr(self->ob_mpi, keyval, &value, &flag);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    if (!flag || value == NULL)
        Py_RETURN_NONE;
    /* The predefined attributes are all integers. */
    if (keyval == MPI_TAG_UB || keyval == MPI_HOST || keyval == MPI_IO ||
        keyval == MPI_WTIME_IS_GLOBAL || keyval == MPI_UNIVERSE_SIZE ||
        keyval == MPI_APPNUM || keyval == MPI_LASTUSEDCODE)
        return PyLong_FromLong(*(int *)value);
    return PyLong_FromVoidPtr(value);
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
        CMPI_P2P_METHODS CMPI_COLL_METHODS CMPI_GROUP_COMM_METHODS
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
        CMPI_INTRA_COLL_METHODS{NULL, NULL, 0, NULL},
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
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Intercomm_getset[] = {
        {"remote_size", (getter)Intercomm_get_remote_size, NULL,
         "Number of remote processes.", NULL},
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
    comm_set_handle((CommObject *)st->COMM_SELF, MPI_COMM_SELF);
    comm_set_handle((CommObject *)st->COMM_WORLD, MPI_COMM_WORLD);
}
