/*
 * datatype.c -- MPI.Datatype and the predefined datatypes.
 */
#include "cmpi.h"

/* Optional Fortran types: absent from some MPI builds (MPICH has no
 * LOGICALn); mpi4py then exposes them as DATATYPE_NULL, and so do we. */
#ifndef MPI_LOGICAL1
#define MPI_LOGICAL1 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL2
#define MPI_LOGICAL2 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL4
#define MPI_LOGICAL4 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL8
#define MPI_LOGICAL8 MPI_DATATYPE_NULL
#endif

static PyObject *
cmpi_datatype_new(cmpi_state *st, MPI_Datatype dt, unsigned flags)
{
    DatatypeObject *self = PyObject_New(DatatypeObject, st->Datatype_Type);
    if (self == NULL)
        return NULL;
    self->ob_mpi = dt;
    self->flags = flags;
    self->st = st;
    return (PyObject *)self;
}

static PyObject *
Datatype_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"datatype", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Datatype", kwlist,
                                     &other))
        return NULL;
    cmpi_state *st = cmpi_type_state(type);
    MPI_Datatype h = MPI_DATATYPE_NULL;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Datatype_Type)) {
            PyErr_Format(PyExc_TypeError, "expected a Datatype, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        h = ((DatatypeObject *)other)->ob_mpi;
    }
    DatatypeObject *self = (DatatypeObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->ob_mpi = h;
    self->flags = 0;
    self->st = st;
    return (PyObject *)self;
}

static void
Datatype_dealloc(DatatypeObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
Datatype_richcompare(DatatypeObject *self, PyObject *other, int op)
{
    if ((op != Py_EQ && op != Py_NE) ||
        !PyObject_TypeCheck(other, self->st->Datatype_Type))
        Py_RETURN_NOTIMPLEMENTED;
    int eq = self->ob_mpi == ((DatatypeObject *)other)->ob_mpi;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t
Datatype_hash(DatatypeObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
}

static int
Datatype_bool(DatatypeObject *self)
{
    return self->ob_mpi != MPI_DATATYPE_NULL;
}

static PyObject *
Datatype_repr(DatatypeObject *self)
{
    char name[MPI_MAX_OBJECT_NAME + 1] = "";
    int len = 0;
    if (self->ob_mpi != MPI_DATATYPE_NULL)
        MPI_Type_get_name(self->ob_mpi, name, &len);
    if (len > 4 && strncmp(name, "MPI_", 4) == 0 && (self->flags & CMPI_CONST))
        return PyUnicode_FromFormat("<%s: %s>", "Datatype", name + 4);
    return PyUnicode_FromFormat("<Datatype object at %p>", self);
}

CMPI_DOC(Datatype_Get_size_doc, "Get_size($self)",
         "Return the number of bytes occupied by entries in the datatype.");
static PyObject *
Datatype_Get_size(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Count size = 0;
    int ierr = MPI_Type_size_x(self->ob_mpi, &size);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLongLong((long long)size);
}

CMPI_DOC(Datatype_Get_extent_doc, "Get_extent($self)",
         "Return lower bound and extent of datatype.");
static PyObject *
Datatype_Get_extent(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return Py_BuildValue("(LL)", (long long)lb, (long long)extent);
}

CMPI_DOC(Datatype_Get_name_doc, "Get_name($self)",
         "Get the print name for this datatype.");
static PyObject *
Datatype_Get_name(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    char name[MPI_MAX_OBJECT_NAME + 1];
    int len = 0;
    int ierr = MPI_Type_get_name(self->ob_mpi, name, &len);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyUnicode_FromStringAndSize(name, len);
}

CMPI_DOC(Datatype_Set_name_doc, "Set_name($self, name)",
         "Set the print name for this datatype.");
static PyObject *
Datatype_Set_name(DatatypeObject *self, PyObject *arg)
{
    const char *name = PyUnicode_AsUTF8(arg);
    if (name == NULL)
        return NULL;
    int ierr = MPI_Type_set_name(self->ob_mpi, (char *)name);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Datatype_Dup_doc, "Dup($self)", "Duplicate a datatype.");
static PyObject *
Datatype_Dup(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Datatype dt;
    int ierr = MPI_Type_dup(self->ob_mpi, &dt);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_datatype_new(self->st, dt, 0);
}

CMPI_DOC(Datatype_Commit_doc, "Commit($self)", "Commit the datatype.");
static PyObject *
Datatype_Commit(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    int ierr = MPI_Type_commit(&self->ob_mpi);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return Py_NewRef(self);
}

CMPI_DOC(Datatype_Free_doc, "Free($self)", "Free the datatype.");
static PyObject *
Datatype_Free(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    if (self->flags & CMPI_CONST)
        return cmpi_raise_msg(self->st, MPI_ERR_TYPE,
                              "cannot free a predefined datatype");
    int ierr = MPI_Type_free(&self->ob_mpi);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Datatype_Create_contiguous_doc, "Create_contiguous($self, count)",
         "Create a contiguous datatype.");
static PyObject *
Datatype_Create_contiguous(DatatypeObject *self, PyObject *arg)
{
    int count;
    if (cmpi_as_int(arg, &count, "count") < 0)
        return NULL;
    MPI_Datatype dt;
    int ierr = MPI_Type_contiguous(count, self->ob_mpi, &dt);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_datatype_new(self->st, dt, 0);
}

/* A sequence of integers as a C array (PyMem); *n gets its length. */
static int
int_array(PyObject *obj, int **out, int *n, const char *what)
{
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of integers");
    if (seq == NULL)
        return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    int *arr = PyMem_New(int, len > 0 ? len : 1);
    if (arr == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        if (cmpi_as_int(PySequence_Fast_GET_ITEM(seq, i), &arr[i], what) < 0) {
            PyMem_Free(arr);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *out = arr;
    *n = (int)len;
    return 0;
}

static int
aint_array(PyObject *obj, MPI_Aint **out, int *n)
{
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of integers");
    if (seq == NULL)
        return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    MPI_Aint *arr = PyMem_New(MPI_Aint, len > 0 ? len : 1);
    if (arr == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        arr[i] = (MPI_Aint)PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i));
        if (arr[i] == -1 && PyErr_Occurred()) {
            PyMem_Free(arr);
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    *out = arr;
    *n = (int)len;
    return 0;
}

static PyObject *
new_derived(DatatypeObject *self, int ierr, MPI_Datatype dt)
{
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_datatype_new(self->st, dt, 0);
}

CMPI_DOC(Datatype_Create_vector_doc,
         "Create_vector($self, count, blocklength, stride)",
         "Create a vector (strided) datatype.");
static PyObject *
Datatype_Create_vector(DatatypeObject *self, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"count", "blocklength", "stride", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int count, blocklength, stride;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_vector", args, nargs, kwnames, kw, 3, a) < 0 ||
        cmpi_as_int(a[0], &count, "count") < 0 ||
        cmpi_as_int(a[1], &blocklength, "blocklength") < 0 ||
        cmpi_as_int(a[2], &stride, "stride") < 0)
        return NULL;
    int ierr = MPI_Type_vector(count, blocklength, stride, self->ob_mpi, &dt);
    return new_derived(self, ierr, dt);
}

CMPI_DOC(Datatype_Create_hvector_doc,
         "Create_hvector($self, count, blocklength, stride)",
         "Create a vector (strided) datatype with a stride in bytes.");
static PyObject *
Datatype_Create_hvector(DatatypeObject *self, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"count", "blocklength", "stride", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int count, blocklength;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_hvector", args, nargs, kwnames, kw, 3, a) < 0 ||
        cmpi_as_int(a[0], &count, "count") < 0 ||
        cmpi_as_int(a[1], &blocklength, "blocklength") < 0)
        return NULL;
    Py_ssize_t stride = PyLong_AsSsize_t(a[2]);
    if (stride == -1 && PyErr_Occurred())
        return NULL;
    int ierr = MPI_Type_create_hvector(count, blocklength, (MPI_Aint)stride,
                                       self->ob_mpi, &dt);
    return new_derived(self, ierr, dt);
}

CMPI_DOC(Datatype_Create_indexed_doc,
         "Create_indexed($self, blocklengths, displacements)",
         "Create an indexed datatype.");
static PyObject *
Datatype_Create_indexed(DatatypeObject *self, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"blocklengths", "displacements", NULL};
    PyObject *a[2] = {NULL, NULL};
    int *bl = NULL, *dp = NULL, nb = 0, nd = 0, ierr;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_indexed", args, nargs, kwnames, kw, 2, a) < 0 ||
        int_array(a[0], &bl, &nb, "blocklengths") < 0 ||
        int_array(a[1], &dp, &nd, "displacements") < 0)
        goto done;
    if (nb != nd) {
        PyErr_SetString(PyExc_ValueError,
                        "blocklengths and displacements differ in length");
        goto done;
    }
    ierr = MPI_Type_indexed(nb, bl, dp, self->ob_mpi, &dt);
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(bl);
    PyMem_Free(dp);
    return res;
}

CMPI_DOC(Datatype_Create_hindexed_doc,
         "Create_hindexed($self, blocklengths, displacements)",
         "Create an indexed datatype with displacements in bytes.");
static PyObject *
Datatype_Create_hindexed(DatatypeObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"blocklengths", "displacements", NULL};
    PyObject *a[2] = {NULL, NULL};
    int *bl = NULL, nb = 0, nd = 0, ierr;
    MPI_Aint *dp = NULL;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_hindexed", args, nargs, kwnames, kw, 2, a) < 0 ||
        int_array(a[0], &bl, &nb, "blocklengths") < 0 ||
        aint_array(a[1], &dp, &nd) < 0)
        goto done;
    if (nb != nd) {
        PyErr_SetString(PyExc_ValueError,
                        "blocklengths and displacements differ in length");
        goto done;
    }
    ierr = MPI_Type_create_hindexed(nb, bl, dp, self->ob_mpi, &dt);
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(bl);
    PyMem_Free(dp);
    return res;
}

CMPI_DOC(Datatype_Create_indexed_block_doc,
         "Create_indexed_block($self, blocklength, displacements)",
         "Create an indexed datatype with constant-sized blocks.");
static PyObject *
Datatype_Create_indexed_block(DatatypeObject *self, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"blocklength", "displacements", NULL};
    PyObject *a[2] = {NULL, NULL};
    int blocklength, *dp = NULL, nd = 0, ierr;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_indexed_block", args, nargs, kwnames, kw, 2, a) <
                0 ||
        cmpi_as_int(a[0], &blocklength, "blocklength") < 0 ||
        int_array(a[1], &dp, &nd, "displacements") < 0)
        goto done;
    ierr = MPI_Type_create_indexed_block(nd, blocklength, dp, self->ob_mpi,
                                         &dt);
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(dp);
    return res;
}

CMPI_DOC(Datatype_Create_resized_doc, "Create_resized($self, lb, extent)",
         "Create a datatype with a new lower bound and extent.");
static PyObject *
Datatype_Create_resized(DatatypeObject *self, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"lb", "extent", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_resized", args, nargs, kwnames, kw, 2, a) < 0)
        return NULL;
    Py_ssize_t lb = PyLong_AsSsize_t(a[0]);
    if (lb == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t extent = PyLong_AsSsize_t(a[1]);
    if (extent == -1 && PyErr_Occurred())
        return NULL;
    int ierr = MPI_Type_create_resized(self->ob_mpi, (MPI_Aint)lb,
                                       (MPI_Aint)extent, &dt);
    return new_derived(self, ierr, dt);
}

CMPI_DOC(Datatype_Get_true_extent_doc, "Get_true_extent($self)",
         "Return the true lower bound and extent of a datatype.");
static PyObject *
Datatype_Get_true_extent(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_true_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return Py_BuildValue("(LL)", (long long)lb, (long long)extent);
}

static PyObject *
true_extent_part(DatatypeObject *self, int which)
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_true_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    long long v = which == 0 ? lb : which == 1 ? extent : lb + extent;
    return PyLong_FromLongLong(v);
}

static PyObject *
Datatype_get_true_lb(DatatypeObject *self, void *Py_UNUSED(c))
{
    return true_extent_part(self, 0);
}

static PyObject *
Datatype_get_true_extent(DatatypeObject *self, void *Py_UNUSED(c))
{
    return true_extent_part(self, 1);
}

static PyObject *
Datatype_get_true_ub(DatatypeObject *self, void *Py_UNUSED(c))
{
    return true_extent_part(self, 2);
}

static PyObject *
Datatype_get_size(DatatypeObject *self, void *Py_UNUSED(c))
{
    return Datatype_Get_size(self, NULL);
}

static PyObject *
extent_part(DatatypeObject *self, int which)
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    long long v = which == 0 ? lb : which == 1 ? extent : lb + extent;
    return PyLong_FromLongLong(v);
}

static PyObject *
Datatype_get_lb(DatatypeObject *self, void *Py_UNUSED(c))
{
    return extent_part(self, 0);
}

static PyObject *
Datatype_get_extent(DatatypeObject *self, void *Py_UNUSED(c))
{
    return extent_part(self, 1);
}

static PyObject *
Datatype_get_ub(DatatypeObject *self, void *Py_UNUSED(c))
{
    return extent_part(self, 2);
}

static PyObject *
Datatype_get_name(DatatypeObject *self, void *Py_UNUSED(c))
{
    return Datatype_Get_name(self, NULL);
}

static PyObject *
Datatype_get_handle(DatatypeObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

static PyObject *
Datatype_get_is_predefined(DatatypeObject *self, void *Py_UNUSED(c))
{
    int ni, na, nd, combiner;
    if (self->ob_mpi == MPI_DATATYPE_NULL)
        Py_RETURN_TRUE;
    int ierr = MPI_Type_get_envelope(self->ob_mpi, &ni, &na, &nd, &combiner);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyBool_FromLong(combiner == MPI_COMBINER_NAMED);
}

static PyMethodDef Datatype_methods[] = {
        {"Get_size", (PyCFunction)Datatype_Get_size, METH_NOARGS,
         Datatype_Get_size_doc},
        {"Get_extent", (PyCFunction)Datatype_Get_extent, METH_NOARGS,
         Datatype_Get_extent_doc},
        {"Get_name", (PyCFunction)Datatype_Get_name, METH_NOARGS,
         Datatype_Get_name_doc},
        {"Set_name", (PyCFunction)Datatype_Set_name, METH_O,
         Datatype_Set_name_doc},
        {"Dup", (PyCFunction)Datatype_Dup, METH_NOARGS, Datatype_Dup_doc},
        {"Commit", (PyCFunction)Datatype_Commit, METH_NOARGS,
         Datatype_Commit_doc},
        {"Free", (PyCFunction)Datatype_Free, METH_NOARGS, Datatype_Free_doc},
        {"Create_contiguous", (PyCFunction)Datatype_Create_contiguous, METH_O,
         Datatype_Create_contiguous_doc},
        {"Create_vector", FN(Datatype_Create_vector), FASTKW,
         Datatype_Create_vector_doc},
        {"Create_hvector", FN(Datatype_Create_hvector), FASTKW,
         Datatype_Create_hvector_doc},
        {"Create_indexed", FN(Datatype_Create_indexed), FASTKW,
         Datatype_Create_indexed_doc},
        {"Create_hindexed", FN(Datatype_Create_hindexed), FASTKW,
         Datatype_Create_hindexed_doc},
        {"Create_indexed_block", FN(Datatype_Create_indexed_block), FASTKW,
         Datatype_Create_indexed_block_doc},
        {"Create_resized", FN(Datatype_Create_resized), FASTKW,
         Datatype_Create_resized_doc},
        {"Get_true_extent", (PyCFunction)Datatype_Get_true_extent, METH_NOARGS,
         Datatype_Get_true_extent_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Datatype_getset[] = {
        {"size", (getter)Datatype_get_size, NULL, "Size (in bytes).", NULL},
        {"extent", (getter)Datatype_get_extent, NULL, "Extent.", NULL},
        {"lb", (getter)Datatype_get_lb, NULL, "Lower bound.", NULL},
        {"ub", (getter)Datatype_get_ub, NULL, "Upper bound.", NULL},
        {"true_lb", (getter)Datatype_get_true_lb, NULL, "True lower bound.",
         NULL},
        {"true_extent", (getter)Datatype_get_true_extent, NULL, "True extent.",
         NULL},
        {"true_ub", (getter)Datatype_get_true_ub, NULL, "True upper bound.",
         NULL},
        {"name", (getter)Datatype_get_name, NULL, "Print name.", NULL},
        {"handle", (getter)Datatype_get_handle, NULL, "MPI handle.", NULL},
        {"is_predefined", (getter)Datatype_get_is_predefined, NULL,
         "Is a predefined datatype.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Datatype_doc, "Datatype(datatype=None)\n--\n\nDatatype object.");

static PyType_Slot Datatype_slots[] = {
        {Py_tp_doc, (void *)Datatype_doc},
        {Py_tp_new, Datatype_new},
        {Py_tp_dealloc, Datatype_dealloc},
        {Py_tp_richcompare, Datatype_richcompare},
        {Py_tp_hash, Datatype_hash},
        {Py_tp_repr, Datatype_repr},
        {Py_nb_bool, Datatype_bool},
        {Py_tp_methods, Datatype_methods},
        {Py_tp_getset, Datatype_getset},
        {0, NULL},
};

static PyType_Spec Datatype_spec = {
        .name = "cmpi.MPI.Datatype",
        .basicsize = sizeof(DatatypeObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Datatype_slots,
};

static int
cmpi_datatype_init(PyObject *m, cmpi_state *st)
{
    st->Datatype_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Datatype_spec, NULL);
    if (st->Datatype_Type == NULL ||
        PyModule_AddType(m, st->Datatype_Type) < 0)
        return -1;

    static const struct {
        const char *name;
        MPI_Datatype dt;
    } named[] = {
            {"DATATYPE_NULL", MPI_DATATYPE_NULL},
            {"PACKED", MPI_PACKED},
            {"BYTE", MPI_BYTE},
            {"AINT", MPI_AINT},
            {"OFFSET", MPI_OFFSET},
            {"COUNT", MPI_COUNT},
            {"CHAR", MPI_CHAR},
            {"WCHAR", MPI_WCHAR},
            {"SIGNED_CHAR", MPI_SIGNED_CHAR},
            {"SHORT", MPI_SHORT},
            {"INT", MPI_INT},
            {"LONG", MPI_LONG},
            {"LONG_LONG", MPI_LONG_LONG},
            {"UNSIGNED_CHAR", MPI_UNSIGNED_CHAR},
            {"UNSIGNED_SHORT", MPI_UNSIGNED_SHORT},
            {"UNSIGNED", MPI_UNSIGNED},
            {"UNSIGNED_LONG", MPI_UNSIGNED_LONG},
            {"UNSIGNED_LONG_LONG", MPI_UNSIGNED_LONG_LONG},
            {"FLOAT", MPI_FLOAT},
            {"DOUBLE", MPI_DOUBLE},
            {"LONG_DOUBLE", MPI_LONG_DOUBLE},
            {"C_BOOL", MPI_C_BOOL},
            {"INT8_T", MPI_INT8_T},
            {"INT16_T", MPI_INT16_T},
            {"INT32_T", MPI_INT32_T},
            {"INT64_T", MPI_INT64_T},
            {"UINT8_T", MPI_UINT8_T},
            {"UINT16_T", MPI_UINT16_T},
            {"UINT32_T", MPI_UINT32_T},
            {"UINT64_T", MPI_UINT64_T},
            {"C_COMPLEX", MPI_C_COMPLEX},
            {"C_FLOAT_COMPLEX", MPI_C_FLOAT_COMPLEX},
            {"C_DOUBLE_COMPLEX", MPI_C_DOUBLE_COMPLEX},
            {"C_LONG_DOUBLE_COMPLEX", MPI_C_LONG_DOUBLE_COMPLEX},
            {"CXX_BOOL", MPI_CXX_BOOL},
            {"CXX_FLOAT_COMPLEX", MPI_CXX_FLOAT_COMPLEX},
            {"CXX_DOUBLE_COMPLEX", MPI_CXX_DOUBLE_COMPLEX},
            {"CXX_LONG_DOUBLE_COMPLEX", MPI_CXX_LONG_DOUBLE_COMPLEX},
            {"SHORT_INT", MPI_SHORT_INT},
            {"INT_INT", MPI_2INT},
            {"TWOINT", MPI_2INT},
            {"LONG_INT", MPI_LONG_INT},
            {"FLOAT_INT", MPI_FLOAT_INT},
            {"DOUBLE_INT", MPI_DOUBLE_INT},
            {"LONG_DOUBLE_INT", MPI_LONG_DOUBLE_INT},
            {"CHARACTER", MPI_CHARACTER},
            {"LOGICAL", MPI_LOGICAL},
            {"INTEGER", MPI_INTEGER},
            {"REAL", MPI_REAL},
            {"DOUBLE_PRECISION", MPI_DOUBLE_PRECISION},
            {"COMPLEX", MPI_COMPLEX},
            {"DOUBLE_COMPLEX", MPI_DOUBLE_COMPLEX},
            {"LOGICAL1", MPI_LOGICAL1},
            {"LOGICAL2", MPI_LOGICAL2},
            {"LOGICAL4", MPI_LOGICAL4},
            {"LOGICAL8", MPI_LOGICAL8},
            {"INTEGER1", MPI_INTEGER1},
            {"INTEGER2", MPI_INTEGER2},
            {"INTEGER4", MPI_INTEGER4},
            {"INTEGER8", MPI_INTEGER8},
            {"REAL4", MPI_REAL4},
            {"REAL8", MPI_REAL8},
            {"COMPLEX8", MPI_COMPLEX8},
            {"COMPLEX16", MPI_COMPLEX16},
            {"TWOINT", MPI_2INT},
            {"TWOFLOAT", MPI_2REAL},
            {"TWODOUBLE", MPI_2DOUBLE_PRECISION},
            {"TWOINTEGER", MPI_2INTEGER},
            {"TWOREAL", MPI_2REAL},
            {"TWODOUBLE_PRECISION", MPI_2DOUBLE_PRECISION},
            /* mpi4py's aliases */
            {"UNSIGNED_INT", MPI_UNSIGNED},
            {"SIGNED_SHORT", MPI_SHORT},
            {"SIGNED_INT", MPI_INT},
            {"SIGNED_LONG", MPI_LONG},
            {"SIGNED_LONG_LONG", MPI_LONG_LONG},
            {"BOOL", MPI_C_BOOL},
            {"SINT8_T", MPI_INT8_T},
            {"SINT16_T", MPI_INT16_T},
            {"SINT32_T", MPI_INT32_T},
            {"SINT64_T", MPI_INT64_T},
            {"F_BOOL", MPI_LOGICAL},
            {"F_INT", MPI_INTEGER},
            {"F_FLOAT", MPI_REAL},
            {"F_DOUBLE", MPI_DOUBLE_PRECISION},
            {"F_COMPLEX", MPI_COMPLEX},
            {"F_FLOAT_COMPLEX", MPI_COMPLEX},
            {"F_DOUBLE_COMPLEX", MPI_DOUBLE_COMPLEX},
    };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (cmpi_add(m, named[i].name,
                     cmpi_datatype_new(st, named[i].dt, CMPI_CONST)) < 0)
            return -1;
    }

    /* Typecodes accepted where a datatype is expected, as in mpi4py. */
    static const struct {
        const char *code;
        MPI_Datatype dt;
    } codes[] = {
            {"?", MPI_C_BOOL},
            {"c", MPI_CHAR},
            {"b", MPI_SIGNED_CHAR},
            {"h", MPI_SHORT},
            {"i", MPI_INT},
            {"l", MPI_LONG},
            {"q", MPI_LONG_LONG},
            {"B", MPI_UNSIGNED_CHAR},
            {"H", MPI_UNSIGNED_SHORT},
            {"I", MPI_UNSIGNED},
            {"L", MPI_UNSIGNED_LONG},
            {"Q", MPI_UNSIGNED_LONG_LONG},
            {"f", MPI_FLOAT},
            {"d", MPI_DOUBLE},
            {"g", MPI_LONG_DOUBLE},
            {"F", MPI_C_FLOAT_COMPLEX},
            {"D", MPI_C_DOUBLE_COMPLEX},
            {"G", MPI_C_LONG_DOUBLE_COMPLEX},
            {"Zf", MPI_C_FLOAT_COMPLEX},
            {"Zd", MPI_C_DOUBLE_COMPLEX},
            {"Zg", MPI_C_LONG_DOUBLE_COMPLEX},
            {"b1", MPI_C_BOOL},
            {"i1", MPI_INT8_T},
            {"i2", MPI_INT16_T},
            {"i4", MPI_INT32_T},
            {"i8", MPI_INT64_T},
            {"u1", MPI_UINT8_T},
            {"u2", MPI_UINT16_T},
            {"u4", MPI_UINT32_T},
            {"u8", MPI_UINT64_T},
            {"f4", MPI_FLOAT},
            {"f8", MPI_DOUBLE},
            {"c8", MPI_C_FLOAT_COMPLEX},
            {"c16", MPI_C_DOUBLE_COMPLEX},
    };
    st->typecodes = PyDict_New();
    if (st->typecodes == NULL)
        return -1;
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        PyObject *o = cmpi_datatype_new(st, codes[i].dt, CMPI_CONST);
        if (o == NULL)
            return -1;
        int rc = PyDict_SetItemString(st->typecodes, codes[i].code, o);
        Py_DECREF(o);
        if (rc < 0)
            return -1;
    }
    return 0;
}
