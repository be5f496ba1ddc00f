/*
 * status.c -- MPI.Status: the envelope of a received message.
 */
#include "cmpi.h"

static PyObject *
Status_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"status", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Status", kwlist,
                                     &other)) {
        return NULL;
    }
    StatusObject *self = (StatusObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    cmpi_status_clear(&self->ob_mpi);
    if (other != NULL && other != Py_None) {
        cmpi_state *st = cmpi_type_state(type);
        if (st == NULL || !PyObject_TypeCheck(other, st->Status_Type)) {
            Py_DECREF(self);
            PyErr_Format(PyExc_TypeError, "expected a Status, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        self->ob_mpi = ((StatusObject *)other)->ob_mpi;
    }
    return (PyObject *)self;
}

static void
Status_dealloc(StatusObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    tp->tp_free(self);
    Py_DECREF(tp);
}

/* A `status=` argument must be absent, None or an MPI.Status: every
 * call checks it before doing anything, whether or not it gets written. */
static int
cmpi_status_check(cmpi_state *st, PyObject *status)
{
    if (status == NULL || status == Py_None) {
        return 0;
    }
    if (CMPI_UNLIKELY(!PyObject_TypeCheck(status, st->Status_Type))) {
        PyErr_Format(PyExc_TypeError,
                     "status must be an MPI.Status, not "
                     "%.100s",
                     Py_TYPE(status)->tp_name);
        return -1;
    }
    return 0;
}

/* Copy `s` into the user's Status object, if one was passed. */
static int
cmpi_status_store(cmpi_state *st, PyObject *status, const MPI_Status *s)
{
    if (status == NULL || status == Py_None) {
        return 0;
    }
    if (cmpi_status_check(st, status) < 0) {
        return -1;
    }
    ((StatusObject *)status)->ob_mpi = *s;
    return 0;
}

static int
status_datatype(cmpi_state *st, PyObject *obj, MPI_Datatype *dt)
{
    if (obj == NULL) {
        *dt = MPI_BYTE;
        return 0;
    }
    return cmpi_dtype_arg(st, obj, dt, "datatype");
}

CMPI_DOC(Status_Get_source_doc, "Get_source($self)", "Get message source.");
static PyObject *
Status_Get_source(StatusObject *self, PyObject *Py_UNUSED(a))
{
    return PyLong_FromLong(self->ob_mpi.MPI_SOURCE);
}

CMPI_DOC(Status_Set_source_doc, "Set_source($self, source)",
         "Set message source.");
static PyObject *
Status_Set_source(StatusObject *self, PyObject *arg)
{
    if (cmpi_as_int(arg, &self->ob_mpi.MPI_SOURCE, "source") < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Status_Set_source, StatusObject, "Set_source", "source")

CMPI_DOC(Status_Get_tag_doc, "Get_tag($self)", "Get message tag.");
static PyObject *
Status_Get_tag(StatusObject *self, PyObject *Py_UNUSED(a))
{
    return PyLong_FromLong(self->ob_mpi.MPI_TAG);
}

CMPI_DOC(Status_Set_tag_doc, "Set_tag($self, tag)", "Set message tag.");
static PyObject *
Status_Set_tag(StatusObject *self, PyObject *arg)
{
    if (cmpi_as_int(arg, &self->ob_mpi.MPI_TAG, "tag") < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Status_Set_tag, StatusObject, "Set_tag", "tag")

CMPI_DOC(Status_Get_error_doc, "Get_error($self)", "Get message error.");
static PyObject *
Status_Get_error(StatusObject *self, PyObject *Py_UNUSED(a))
{
    return PyLong_FromLong(self->ob_mpi.MPI_ERROR);
}

CMPI_DOC(Status_Set_error_doc, "Set_error($self, error)",
         "Set message error.");
static PyObject *
Status_Set_error(StatusObject *self, PyObject *arg)
{
    if (cmpi_as_int(arg, &self->ob_mpi.MPI_ERROR, "error") < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Status_Set_error, StatusObject, "Set_error", "error")

/* What status_count counts: whole items of the datatype (Get_count) or
 * the basic elements they are made of (Get_elements, whose datatype
 * argument is required). */
enum status_unit {
    STATUS_ITEMS,
    STATUS_ELEMENTS
};

static PyObject *
status_count(StatusObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, enum status_unit unit)
{
    int elements = unit == STATUS_ELEMENTS;
    static const char *const kw[] = {"datatype", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_state_of((PyObject *)self);
    if (st == NULL) {
        return NULL;
    }
    if (cmpi_parse(elements ? "Get_elements" : "Get_count", args, nargs,
                   kwnames, kw, elements, a) < 0) {
        return NULL;
    }
    MPI_Datatype dt;
    if (status_datatype(st, a[0], &dt) < 0) {
        return NULL;
    }
    MPI_Count count = 0;
    int ierr;
    if (elements) {
        ierr = MPI_Get_elements_x(&self->ob_mpi, dt, &count);
    }
    else {
        int c = 0;
        ierr = MPI_Get_count(&self->ob_mpi, dt, &c);
        count = c;
        if (ierr == MPI_SUCCESS && c == MPI_UNDEFINED) {
            /* More than 2**31-1 items, or not a whole number of them: the
             * byte count decides, as MPI-4's MPI_Get_count_c would. */
            MPI_Count bytes = 0, size = 0;
            ierr = MPI_Get_elements_x(&self->ob_mpi, MPI_BYTE, &bytes);
            if (ierr == MPI_SUCCESS) {
                ierr = MPI_Type_size_x(dt, &size);
            }
            if (ierr == MPI_SUCCESS && size > 0 && bytes % size == 0) {
                count = bytes / size;
            }
        }
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return PyLong_FromLongLong((long long)count);
}

CMPI_DOC_NOSIG(Status_Get_count_doc, "Get_count(self, datatype=BYTE)",
               "Get the number of top level elements.");
static PyObject *
Status_Get_count(StatusObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return status_count(self, args, nargs, kwnames, STATUS_ITEMS);
}

CMPI_DOC(Status_Get_elements_doc, "Get_elements($self, datatype)",
         "Get the number of basic elements in a datatype.");
static PyObject *
Status_Get_elements(StatusObject *self, PyObject *const *args,
                    Py_ssize_t nargs, PyObject *kwnames)
{
    return status_count(self, args, nargs, kwnames, STATUS_ELEMENTS);
}

/* MPICH 4.0 aborts the process (an assertion) when count elements of dt
 * make MPI_COUNT_MAX bytes or more; no status can describe that many, so
 * refuse it here (found by the API fuzzer: status.count = 2**63 - 1). */
static int
status_count_fits(MPI_Datatype dt, long long count)
{
    MPI_Count size = 0;
    if (MPI_Type_size_x(dt, &size) != MPI_SUCCESS || size <= 0) {
        return 0; /* MPI judges the datatype */
    }
    if (count > (LLONG_MAX - 1) / size) {
        PyErr_Format(PyExc_OverflowError,
                     "count %lld of a %lld-byte datatype exceeds the largest "
                     "byte count a status holds",
                     count, (long long)size);
        return -1;
    }
    return 0;
}

CMPI_DOC(Status_Set_elements_doc, "Set_elements($self, datatype, count)",
         "Set the number of elements in a status.");
static PyObject *
Status_Set_elements(StatusObject *self, PyObject *const *args,
                    Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"datatype", "count", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_state_of((PyObject *)self);
    if (st == NULL ||
        cmpi_parse("Set_elements", args, nargs, kwnames, kw, 2, a) < 0) {
        return NULL;
    }
    MPI_Datatype dt;
    long long count;
    if (cmpi_as_llong(a[1], &count, "count") < 0) {
        return NULL;
    }
    if (status_datatype(st, a[0], &dt) < 0 ||
        status_count_fits(dt, count) < 0) {
        return NULL;
    }
    int ierr = MPI_Status_set_elements_x(&self->ob_mpi, dt, (MPI_Count)count);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Status_Is_cancelled_doc, "Is_cancelled($self)",
         "Test to see if a request was cancelled.");
static PyObject *
Status_Is_cancelled(StatusObject *self, PyObject *Py_UNUSED(a))
{
    int flag = 0;
    int ierr = MPI_Test_cancelled(&self->ob_mpi, &flag);
    if (ierr != MPI_SUCCESS) {
        cmpi_state *st = cmpi_state_of((PyObject *)self);
        return st ? cmpi_raise(st, ierr) : NULL;
    }
    return PyBool_FromLong(flag);
}

CMPI_DOC(Status_Set_cancelled_doc, "Set_cancelled($self, flag)",
         "Set the cancelled state associated with a status.");
static PyObject *
Status_Set_cancelled(StatusObject *self, PyObject *arg)
{
    int flag = PyObject_IsTrue(arg);
    if (flag < 0) {
        return NULL;
    }
    int ierr = MPI_Status_set_cancelled(&self->ob_mpi, flag);
    if (ierr != MPI_SUCCESS) {
        cmpi_state *st = cmpi_state_of((PyObject *)self);
        return st ? cmpi_raise(st, ierr) : NULL;
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Status_Set_cancelled, StatusObject, "Set_cancelled", "flag")

static PyObject *
Status_get_source(StatusObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromLong(self->ob_mpi.MPI_SOURCE);
}

static int
Status_set_source(StatusObject *self, PyObject *v, void *Py_UNUSED(c))
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete source");
        return -1;
    }
    return cmpi_as_int(v, &self->ob_mpi.MPI_SOURCE, "source");
}

static PyObject *
Status_get_tag(StatusObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromLong(self->ob_mpi.MPI_TAG);
}

static int
Status_set_tag(StatusObject *self, PyObject *v, void *Py_UNUSED(c))
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete tag");
        return -1;
    }
    return cmpi_as_int(v, &self->ob_mpi.MPI_TAG, "tag");
}

static PyObject *
Status_get_error(StatusObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromLong(self->ob_mpi.MPI_ERROR);
}

static int
Status_set_error(StatusObject *self, PyObject *v, void *Py_UNUSED(c))
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete error");
        return -1;
    }
    return cmpi_as_int(v, &self->ob_mpi.MPI_ERROR, "error");
}

static PyObject *
Status_get_count(StatusObject *self, void *Py_UNUSED(c))
{
    return Status_Get_count(self, NULL, 0, NULL);
}

static int
Status_set_count(StatusObject *self, PyObject *v, void *Py_UNUSED(c))
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete count");
        return -1;
    }
    long long n;
    if (cmpi_as_llong(v, &n, "count") < 0) {
        return -1;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "count must be >= 0");
        return -1;
    }
    if (status_count_fits(MPI_BYTE, n) < 0) {
        return -1;
    }
    int ierr =
            MPI_Status_set_elements_x(&self->ob_mpi, MPI_BYTE, (MPI_Count)n);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(cmpi_type_state(Py_TYPE(self)), ierr);
        return -1;
    }
    return 0;
}

static PyObject *
Status_get_cancelled(StatusObject *self, void *Py_UNUSED(c))
{
    return Status_Is_cancelled(self, NULL);
}

static int
Status_set_cancelled(StatusObject *self, PyObject *v, void *Py_UNUSED(c))
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete cancelled");
        return -1;
    }
    int flag = PyObject_IsTrue(v);
    if (flag < 0) {
        return -1;
    }
    int ierr = MPI_Status_set_cancelled(&self->ob_mpi, flag);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(cmpi_type_state(Py_TYPE(self)), ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Status_tomemory_doc, "tomemory($self)",
         "Memory view of the underlying MPI_Status as C ints (read and "
         "write).");
static PyObject *
Status_tomemory(StatusObject *self, PyObject *Py_UNUSED(a))
{
    PyObject *buf =
            cmpi_buffer_new(cmpi_type_state(Py_TYPE(self)), &self->ob_mpi,
                            (Py_ssize_t)sizeof(MPI_Status),
                            CMPI_BUFFER_WRITABLE, (PyObject *)self);
    if (buf == NULL) {
        return NULL;
    }
    PyObject *mv = PyMemoryView_FromObject(buf);
    Py_DECREF(buf);
    if (mv == NULL) {
        return NULL;
    }
    /* MPI_Status is a struct of C ints in both libraries */
    PyObject *ints = PyObject_CallMethod(mv, "cast", "s", "i");
    Py_DECREF(mv);
    return ints;
}

static PyObject *
Status_richcompare(StatusObject *self, PyObject *other, int op)
{
    if ((op != Py_EQ && op != Py_NE) ||
        !PyObject_TypeCheck(other, Py_TYPE(self))) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    int eq = memcmp(&self->ob_mpi, &((StatusObject *)other)->ob_mpi,
                    sizeof(MPI_Status)) == 0;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static PyMethodDef Status_methods[] = {
        {"Get_source", (PyCFunction)Status_Get_source, METH_NOARGS,
         Status_Get_source_doc},
        {"Set_source", FN(Status_Set_source_kw), FASTKW,
         Status_Set_source_doc},
        {"Get_tag", (PyCFunction)Status_Get_tag, METH_NOARGS,
         Status_Get_tag_doc},
        {"Set_tag", FN(Status_Set_tag_kw), FASTKW, Status_Set_tag_doc},
        {"Get_error", (PyCFunction)Status_Get_error, METH_NOARGS,
         Status_Get_error_doc},
        {"Set_error", FN(Status_Set_error_kw), FASTKW, Status_Set_error_doc},
        {"Get_count", (PyCFunction)(void (*)(void))Status_Get_count,
         METH_FASTCALL | METH_KEYWORDS, Status_Get_count_doc},
        {"Get_elements", (PyCFunction)(void (*)(void))Status_Get_elements,
         METH_FASTCALL | METH_KEYWORDS, Status_Get_elements_doc},
        {"Set_elements", (PyCFunction)(void (*)(void))Status_Set_elements,
         METH_FASTCALL | METH_KEYWORDS, Status_Set_elements_doc},
        {"Is_cancelled", (PyCFunction)Status_Is_cancelled, METH_NOARGS,
         Status_Is_cancelled_doc},
        {"Set_cancelled", FN(Status_Set_cancelled_kw), FASTKW,
         Status_Set_cancelled_doc},
        {"tomemory", (PyCFunction)Status_tomemory, METH_NOARGS,
         Status_tomemory_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Status_getset[] = {
        {"source", (getter)Status_get_source, (setter)Status_set_source,
         "Message source.", NULL},
        {"tag", (getter)Status_get_tag, (setter)Status_set_tag, "Message tag.",
         NULL},
        {"error", (getter)Status_get_error, (setter)Status_set_error,
         "Message error.", NULL},
        {"count", (getter)Status_get_count, (setter)Status_set_count,
         "Byte count.", NULL},
        {"cancelled", (getter)Status_get_cancelled,
         (setter)Status_set_cancelled, "Cancelled state.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Status_doc, "Status(status=None)\n--\n\nStatus object.");

static PyMemberDef Status_members[] = {
        CMPI_WEAKLIST_MEMBER(StatusObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Status_slots[] = {
        {Py_tp_members, Status_members},
        {Py_tp_doc, (void *)Status_doc},
        {Py_tp_new, Status_new},
        {Py_tp_dealloc, Status_dealloc},
        {Py_tp_richcompare, Status_richcompare},
        {Py_tp_methods, Status_methods},
        {Py_tp_getset, Status_getset},
        {0, NULL},
};

static PyType_Spec Status_spec = {
        .name = "cmpi.MPI.Status",
        .basicsize = sizeof(StatusObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Status_slots,
};

static int
cmpi_status_init(PyObject *m, cmpi_state *st)
{
    st->Status_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Status_spec, NULL);
    if (st->Status_Type == NULL || PyModule_AddType(m, st->Status_Type) < 0) {
        return -1;
    }
    return 0;
}
