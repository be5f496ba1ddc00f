/*
 * datatype.c -- MPI.Datatype and the predefined datatypes.
 */
#include "cmpi.h"

/* Optional Fortran types: absent from some MPI builds (MPICH has no
 * LOGICALn); mpi4py then exposes them as DATATYPE_NULL, and so do we. */
/* A datatype that decode() handed out: freed when the object goes. */
#define CMPI_DT_TEMP 0x100u

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
/* Fortran kinds and MPI-4.1/5.0 fixed-size floating types that an MPI
 * library may lack: DATATYPE_NULL then, as in mpi4py. */
#ifndef MPI_LOGICAL16
#define MPI_LOGICAL16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_INTEGER16
#define MPI_INTEGER16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_REAL2
#define MPI_REAL2 MPI_DATATYPE_NULL
#endif
#ifndef MPI_REAL16
#define MPI_REAL16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_COMPLEX4
#define MPI_COMPLEX4 MPI_DATATYPE_NULL
#endif
#ifndef MPI_COMPLEX32
#define MPI_COMPLEX32 MPI_DATATYPE_NULL
#endif
#ifndef MPI_FLOAT16_T
#define MPI_FLOAT16_T MPI_DATATYPE_NULL
#endif
#ifndef MPI_FLOAT32_T
#define MPI_FLOAT32_T MPI_DATATYPE_NULL
#endif
#ifndef MPI_FLOAT64_T
#define MPI_FLOAT64_T MPI_DATATYPE_NULL
#endif
#ifndef MPI_BFLOAT16_T
#define MPI_BFLOAT16_T MPI_DATATYPE_NULL
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
    if ((self->flags & CMPI_DT_TEMP) && self->ob_mpi != MPI_DATATYPE_NULL) {
        int finalized = 1;
        MPI_Finalized(&finalized);
        if (!finalized)
            MPI_Type_free(&self->ob_mpi);
    }
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Datatype_richcompare, Datatype_bool, CMPI_HK_DATATYPE)

static Py_hash_t
Datatype_hash(DatatypeObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
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
    if (self->ob_mpi == MPI_DATATYPE_NULL) /* MPI has no name for it */
        return PyUnicode_FromString("MPI_DATATYPE_NULL");
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
/* More than INT_MAX elements: MPI-4's large-count constructor, or else
 * a struct of a vector of INT_MAX-element blocks and the remainder. */
static PyObject *
contiguous_big(DatatypeObject *self, MPI_Count count)
{
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    int ierr;
#if CMPI_HAVE_TYPE_CONTIGUOUS_C
    ierr = MPI_Type_contiguous_c(count, self->ob_mpi, &dt);
#else
    MPI_Aint lb = 0, extent = 0;
    MPI_Datatype parts[2] = {MPI_DATATYPE_NULL, MPI_DATATYPE_NULL};
    MPI_Count q = count / INT_MAX, r = count % INT_MAX;
    if (q > INT_MAX)
        return PyErr_Format(PyExc_OverflowError,
                            "count=%lld is too large for this MPI library",
                            (long long)count);
    ierr = MPI_Type_get_extent(self->ob_mpi, &lb, &extent);
    if (ierr == MPI_SUCCESS)
        ierr = MPI_Type_vector((int)q, INT_MAX, INT_MAX, self->ob_mpi,
                               &parts[0]);
    if (ierr == MPI_SUCCESS)
        ierr = MPI_Type_contiguous((int)r, self->ob_mpi, &parts[1]);
    if (ierr == MPI_SUCCESS) {
        int blocks[2] = {1, 1};
        MPI_Aint displs[2] = {0, (MPI_Aint)(q * INT_MAX) * extent};
        ierr = MPI_Type_create_struct(2, blocks, displs, parts, &dt);
    }
    for (int i = 0; i < 2; i++) {
        if (parts[i] != MPI_DATATYPE_NULL)
            MPI_Type_free(&parts[i]);
    }
#endif
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_datatype_new(self->st, dt, 0);
}

static PyObject *
Datatype_Create_contiguous(DatatypeObject *self, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"count", NULL};
    PyObject *a[1] = {NULL};
    int count;
    if (cmpi_parse("Create_contiguous", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    if (PyLong_Check(a[0])) {
        long long big = PyLong_AsLongLong(a[0]);
        if (big == -1 && PyErr_Occurred())
            return NULL;
        if (big > INT_MAX)
            return contiguous_big(self, (MPI_Count)big);
    }
    if (cmpi_as_int(a[0], &count, "count") < 0)
        return NULL;
    MPI_Datatype dt;
    int ierr = MPI_Type_contiguous(count, self->ob_mpi, &dt);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return cmpi_datatype_new(self->st, dt, 0);
}

/* A sequence of integers as a C array (PyMem); *n gets its length. */
static int
cmpi_int_array(PyObject *obj, int **out, int *n, const char *what)
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
        cmpi_int_array(a[0], &bl, &nb, "blocklengths") < 0 ||
        cmpi_int_array(a[1], &dp, &nd, "displacements") < 0)
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
        cmpi_int_array(a[0], &bl, &nb, "blocklengths") < 0 ||
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
        cmpi_int_array(a[1], &dp, &nd, "displacements") < 0)
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
Datatype_Set_name(DatatypeObject *self, PyObject *arg);

static int
Datatype_set_name(DatatypeObject *self, PyObject *v, void *Py_UNUSED(c))
{
    if (v == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete name");
        return -1;
    }
    PyObject *r = Datatype_Set_name(self, v);
    Py_XDECREF(r);
    return r ? 0 : -1;
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
    return PyBool_FromLong(combiner == MPI_COMBINER_NAMED ||
                           combiner == MPI_COMBINER_F90_INTEGER ||
                           combiner == MPI_COMBINER_F90_REAL ||
                           combiner == MPI_COMBINER_F90_COMPLEX);
}

/* ---------------------------------------------------------------------
 * More constructors: hindexed_block, struct, subarray, darray, f90.
 */

/* A sequence of Datatype objects (or typecodes) as a C array (PyMem). */
static int
dtype_array(cmpi_state *st, PyObject *obj, MPI_Datatype **out, int *n)
{
    PyObject *seq = PySequence_Fast(obj, "datatypes: expected a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    MPI_Datatype *arr = PyMem_New(MPI_Datatype, len > 0 ? len : 1);
    if (arr == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (cmpi_dtype_from_object(st, item, &arr[i]) < 0) {
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

/* ValueError unless every entry of arr[0..n) is >= lo. */
static int
check_min(const int *arr, int n, int lo, const char *what)
{
    for (int i = 0; i < n; i++) {
        if (arr[i] < lo) {
            PyErr_Format(PyExc_ValueError, "%s[%d]=%d, expected >= %d", what,
                         i, arr[i], lo);
            return -1;
        }
    }
    return 0;
}

static int
check_same_length(int n1, const char *w1, int n2, const char *w2)
{
    if (n1 == n2)
        return 0;
    PyErr_Format(PyExc_ValueError, "%s and %s differ in length (%d != %d)", w1,
                 w2, n1, n2);
    return -1;
}

CMPI_DOC(Datatype_Create_hindexed_block_doc,
         "Create_hindexed_block($self, blocklength, displacements)",
         "Create an indexed datatype with constant-sized blocks and "
         "displacements in bytes.");
static PyObject *
Datatype_Create_hindexed_block(DatatypeObject *self, PyObject *const *args,
                               Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"blocklength", "displacements", NULL};
    PyObject *a[2] = {NULL, NULL};
    int blocklength, nd = 0, ierr;
    MPI_Aint *dp = NULL;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_hindexed_block", args, nargs, kwnames, kw, 2, a) <
                0 ||
        cmpi_as_int(a[0], &blocklength, "blocklength") < 0 ||
        aint_array(a[1], &dp, &nd) < 0)
        goto done;
    if (blocklength < 0) {
        PyErr_Format(PyExc_ValueError, "negative blocklength %d", blocklength);
        goto done;
    }
    ierr = MPI_Type_create_hindexed_block(nd, blocklength, dp, self->ob_mpi,
                                          &dt);
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(dp);
    return res;
}

CMPI_DOC(Datatype_Create_struct_doc,
         "Create_struct($type, blocklengths, displacements, datatypes)",
         "Create a general composite (struct) datatype.");
static PyObject *
Datatype_Create_struct(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"blocklengths", "displacements",
                                     "datatypes", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int *bl = NULL, nb = 0, nd = 0, nt = 0, ierr;
    MPI_Aint *dp = NULL;
    MPI_Datatype *types = NULL, dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL)
        return NULL;
    if (cmpi_parse("Create_struct", args, nargs, kwnames, kw, 3, a) < 0 ||
        cmpi_int_array(a[0], &bl, &nb, "blocklengths") < 0 ||
        aint_array(a[1], &dp, &nd) < 0 ||
        dtype_array(st, a[2], &types, &nt) < 0)
        goto done;
    if (check_same_length(nb, "blocklengths", nd, "displacements") < 0 ||
        check_same_length(nb, "blocklengths", nt, "datatypes") < 0 ||
        check_min(bl, nb, 0, "blocklengths") < 0)
        goto done;
    for (int i = 0; i < nt; i++) {
        if (types[i] == MPI_DATATYPE_NULL) {
            cmpi_raise_msg(st, MPI_ERR_TYPE, "datatypes[%d] is DATATYPE_NULL",
                           i);
            goto done;
        }
    }
    ierr = MPI_Type_create_struct(nb, bl, dp, types, &dt);
    if (ierr != MPI_SUCCESS)
        cmpi_raise(st, ierr);
    else
        res = cmpi_datatype_new(st, dt, 0);
done:
    PyMem_Free(bl);
    PyMem_Free(dp);
    PyMem_Free(types);
    return res;
}

static int
check_order(int order)
{
    if (order == MPI_ORDER_C || order == MPI_ORDER_FORTRAN)
        return 0;
    PyErr_Format(PyExc_ValueError,
                 "order=%d, expected ORDER_C or ORDER_FORTRAN", order);
    return -1;
}

CMPI_DOC_NOSIG(
        Datatype_Create_subarray_doc,
        "Create_subarray(self, sizes, subsizes, starts, order=ORDER_C)",
        "Create a datatype for a subarray of a multidimensional array.");
static PyObject *
Datatype_Create_subarray(DatatypeObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"sizes", "subsizes", "starts", "order",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int *sizes = NULL, *subsizes = NULL, *starts = NULL;
    int n1 = 0, n2 = 0, n3 = 0, order, ierr;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_subarray", args, nargs, kwnames, kw, 3, a) < 0 ||
        cmpi_int_array(a[0], &sizes, &n1, "sizes") < 0 ||
        cmpi_int_array(a[1], &subsizes, &n2, "subsizes") < 0 ||
        cmpi_int_array(a[2], &starts, &n3, "starts") < 0 ||
        cmpi_opt_int(a[3], &order, MPI_ORDER_C, "order") < 0)
        goto done;
    if (check_same_length(n1, "sizes", n2, "subsizes") < 0 ||
        check_same_length(n1, "sizes", n3, "starts") < 0 ||
        check_order(order) < 0)
        goto done;
    if (n1 < 1) {
        PyErr_SetString(PyExc_ValueError, "sizes: at least one dimension");
        goto done;
    }
    /* MPICH accepts a subarray that does not fit in the array. */
    for (int i = 0; i < n1; i++) {
        if (sizes[i] < 1 || subsizes[i] < 1 || subsizes[i] > sizes[i] ||
            starts[i] < 0 || starts[i] > sizes[i] - subsizes[i]) {
            PyErr_Format(PyExc_ValueError,
                         "dimension %d: subsize %d at start %d does not fit "
                         "in size %d",
                         i, subsizes[i], starts[i], sizes[i]);
            goto done;
        }
    }
    ierr = MPI_Type_create_subarray(n1, sizes, subsizes, starts, order,
                                    self->ob_mpi, &dt);
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(sizes);
    PyMem_Free(subsizes);
    PyMem_Free(starts);
    return res;
}

CMPI_DOC_NOSIG(
        Datatype_Create_darray_doc,
        "Create_darray(self, size, rank, gsizes, distribs, dargs, psizes, "
        "order=ORDER_C)",
        "Create a datatype for a distributed array on Cartesian process "
        "grids.");
static PyObject *
Datatype_Create_darray(DatatypeObject *self, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"size",  "rank",   "gsizes", "distribs",
                                     "dargs", "psizes", "order",  NULL};
    PyObject *a[7] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int *gsizes = NULL, *distribs = NULL, *dargs = NULL, *psizes = NULL;
    int size, rank, n1 = 0, n2 = 0, n3 = 0, n4 = 0, order, ierr;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_darray", args, nargs, kwnames, kw, 6, a) < 0 ||
        cmpi_as_int(a[0], &size, "size") < 0 ||
        cmpi_as_int(a[1], &rank, "rank") < 0 ||
        cmpi_int_array(a[2], &gsizes, &n1, "gsizes") < 0 ||
        cmpi_int_array(a[3], &distribs, &n2, "distribs") < 0 ||
        cmpi_int_array(a[4], &dargs, &n3, "dargs") < 0 ||
        cmpi_int_array(a[5], &psizes, &n4, "psizes") < 0 ||
        cmpi_opt_int(a[6], &order, MPI_ORDER_C, "order") < 0)
        goto done;
    if (check_same_length(n1, "gsizes", n2, "distribs") < 0 ||
        check_same_length(n1, "gsizes", n3, "dargs") < 0 ||
        check_same_length(n1, "gsizes", n4, "psizes") < 0 ||
        check_order(order) < 0 || check_min(gsizes, n1, 1, "gsizes") < 0 ||
        check_min(psizes, n4, 1, "psizes") < 0)
        goto done;
    if (size < 1 || rank < 0 || rank >= size) {
        PyErr_Format(PyExc_ValueError, "rank=%d is not in a group of size=%d",
                     rank, size);
        goto done;
    }
    long long prod = 1;
    for (int i = 0; i < n4 && prod <= size; i++) prod *= psizes[i];
    if (prod != size) {
        PyErr_Format(PyExc_ValueError, "the product of psizes is not size=%d",
                     size);
        goto done;
    }
    for (int i = 0; i < n2; i++) {
        if (distribs[i] != MPI_DISTRIBUTE_BLOCK &&
            distribs[i] != MPI_DISTRIBUTE_CYCLIC &&
            distribs[i] != MPI_DISTRIBUTE_NONE) {
            PyErr_Format(PyExc_ValueError,
                         "distribs[%d]=%d is not a DISTRIBUTE_ constant", i,
                         distribs[i]);
            goto done;
        }
        if (dargs[i] != MPI_DISTRIBUTE_DFLT_DARG && dargs[i] < 1) {
            PyErr_Format(PyExc_ValueError,
                         "dargs[%d]=%d, expected >= 1 or DISTRIBUTE_DFLT_DARG",
                         i, dargs[i]);
            goto done;
        }
    }
    ierr = MPI_Type_create_darray(size, rank, n1, gsizes, distribs, dargs,
                                  psizes, order, self->ob_mpi, &dt);
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(gsizes);
    PyMem_Free(distribs);
    PyMem_Free(dargs);
    PyMem_Free(psizes);
    return res;
}

/* Fortran 90 parameterized types are predefined: never freed. */
static PyObject *
new_f90(PyTypeObject *cls, int ierr, MPI_Datatype dt)
{
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL)
        return NULL;
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return cmpi_datatype_new(st, dt, CMPI_CONST);
}

CMPI_DOC(Datatype_Create_f90_integer_doc, "Create_f90_integer($type, r)",
         "Return a bounded integer datatype.");
static PyObject *
Datatype_Create_f90_integer(PyTypeObject *cls, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"r", NULL};
    PyObject *a[1] = {NULL};
    int r;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_f90_integer", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &r, "r") < 0)
        return NULL;
    int ierr = MPI_Type_create_f90_integer(r, &dt);
    return new_f90(cls, ierr, dt);
}

CMPI_DOC(Datatype_Create_f90_real_doc, "Create_f90_real($type, p, r)",
         "Return a bounded real datatype.");
static PyObject *
Datatype_Create_f90_real(PyTypeObject *cls, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"p", "r", NULL};
    PyObject *a[2] = {NULL, NULL};
    int p, r;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_f90_real", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &p, "p") < 0 || cmpi_as_int(a[1], &r, "r") < 0)
        return NULL;
    int ierr = MPI_Type_create_f90_real(p, r, &dt);
    return new_f90(cls, ierr, dt);
}

CMPI_DOC(Datatype_Create_f90_complex_doc, "Create_f90_complex($type, p, r)",
         "Return a bounded complex datatype.");
static PyObject *
Datatype_Create_f90_complex(PyTypeObject *cls, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"p", "r", NULL};
    PyObject *a[2] = {NULL, NULL};
    int p, r;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_f90_complex", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &p, "p") < 0 || cmpi_as_int(a[1], &r, "r") < 0)
        return NULL;
    int ierr = MPI_Type_create_f90_complex(p, r, &dt);
    return new_f90(cls, ierr, dt);
}

/* ---------------------------------------------------------------------
 * Decoding: envelope, contents, decode().
 */

static int
is_named_combiner(int combiner)
{
    return combiner == MPI_COMBINER_NAMED ||
           combiner == MPI_COMBINER_F90_INTEGER ||
           combiner == MPI_COMBINER_F90_REAL ||
           combiner == MPI_COMBINER_F90_COMPLEX;
}

static const char *
combiner_name(int combiner)
{
    static const struct {
        int value;
        const char *name;
    } names[] = {
            {MPI_COMBINER_NAMED, "NAMED"},
            {MPI_COMBINER_DUP, "DUP"},
            {MPI_COMBINER_CONTIGUOUS, "CONTIGUOUS"},
            {MPI_COMBINER_VECTOR, "VECTOR"},
            {MPI_COMBINER_HVECTOR, "HVECTOR"},
            {MPI_COMBINER_INDEXED, "INDEXED"},
            {MPI_COMBINER_HINDEXED, "HINDEXED"},
            {MPI_COMBINER_INDEXED_BLOCK, "INDEXED_BLOCK"},
            {MPI_COMBINER_HINDEXED_BLOCK, "HINDEXED_BLOCK"},
            {MPI_COMBINER_STRUCT, "STRUCT"},
            {MPI_COMBINER_SUBARRAY, "SUBARRAY"},
            {MPI_COMBINER_DARRAY, "DARRAY"},
            {MPI_COMBINER_RESIZED, "RESIZED"},
            {MPI_COMBINER_F90_INTEGER, "F90_INTEGER"},
            {MPI_COMBINER_F90_REAL, "F90_REAL"},
            {MPI_COMBINER_F90_COMPLEX, "F90_COMPLEX"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].value == combiner)
            return names[i].name;
    }
    return NULL;
}

/* A Datatype object for a handle MPI_Type_get_contents returned: named
 * ones are constants; derived ones are the caller's to free (or, with
 * `temp`, freed with the object). */
static PyObject *
wrap_contents_type(cmpi_state *st, MPI_Datatype dt, int temp)
{
    int ni, na, nd, combiner = MPI_COMBINER_NAMED;
    MPI_Type_get_envelope(dt, &ni, &na, &nd, &combiner);
    if (is_named_combiner(combiner))
        return cmpi_datatype_new(st, dt, CMPI_CONST);
    return cmpi_datatype_new(st, dt, temp ? CMPI_DT_TEMP : 0);
}

/* Free the derived handles of a get_contents result (on an error path). */
static void
free_contents_types(MPI_Datatype *d, int n)
{
    for (int k = 0; k < n; k++) {
        int ni, na, nd, combiner = MPI_COMBINER_NAMED;
        if (d[k] == MPI_DATATYPE_NULL)
            continue;
        MPI_Type_get_envelope(d[k], &ni, &na, &nd, &combiner);
        if (!is_named_combiner(combiner))
            MPI_Type_free(&d[k]);
    }
}

typedef struct {
    int ni, na, nd, combiner;
    int *i;
    MPI_Aint *a;
    MPI_Datatype *d;
} contents;

static void
contents_release(contents *c)
{
    PyMem_Free(c->i);
    PyMem_Free(c->a);
    PyMem_Free(c->d);
}

/* The envelope and contents of a derived datatype. */
static int
contents_get(DatatypeObject *self, contents *c)
{
    memset(c, 0, sizeof(*c));
    int ierr = MPI_Type_get_envelope(self->ob_mpi, &c->ni, &c->na, &c->nd,
                                     &c->combiner);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    if (c->combiner == MPI_COMBINER_NAMED) {
        /* Erroneous in MPI: Open MPI says MPI_ERR_INTERN, MPICH
         * MPI_ERR_TYPE; say the same on both. */
        cmpi_raise_msg(self->st, MPI_ERR_TYPE,
                       "a named datatype has no contents");
        return -1;
    }
    c->i = PyMem_New(int, c->ni + 1);
    c->a = PyMem_New(MPI_Aint, c->na + 1);
    c->d = PyMem_New(MPI_Datatype, c->nd + 1);
    if (c->i == NULL || c->a == NULL || c->d == NULL) {
        contents_release(c);
        PyErr_NoMemory();
        return -1;
    }
    ierr = MPI_Type_get_contents(self->ob_mpi, c->ni, c->na, c->nd, c->i, c->a,
                                 c->d);
    if (ierr != MPI_SUCCESS) {
        contents_release(c);
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

static PyObject *
int_list(const int *p, int n)
{
    PyObject *l = PyList_New(n > 0 ? n : 0);
    for (int k = 0; l != NULL && k < n; k++) {
        PyObject *v = PyLong_FromLong(p[k]);
        if (v == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, k, v);
    }
    return l;
}

static PyObject *
aint_list(const MPI_Aint *p, int n)
{
    PyObject *l = PyList_New(n > 0 ? n : 0);
    for (int k = 0; l != NULL && k < n; k++) {
        PyObject *v = PyLong_FromSsize_t((Py_ssize_t)p[k]);
        if (v == NULL)
            Py_CLEAR(l);
        else
            PyList_SET_ITEM(l, k, v);
    }
    return l;
}

/* Datatype objects for d[0..n); on failure the remaining handles are
 * freed. */
static PyObject *
dtype_list(cmpi_state *st, MPI_Datatype *d, int n, int temp)
{
    PyObject *l = PyList_New(n);
    if (l == NULL) {
        free_contents_types(d, n);
        return NULL;
    }
    for (int k = 0; k < n; k++) {
        PyObject *o = wrap_contents_type(st, d[k], temp);
        if (o == NULL) {
            free_contents_types(d + k, n - k);
            Py_DECREF(l);
            return NULL;
        }
        PyList_SET_ITEM(l, k, o);
    }
    return l;
}

CMPI_DOC(Datatype_Get_envelope_doc, "Get_envelope($self)",
         "Return the number of input arguments used to create a datatype: "
         "(num_integers, num_addresses, num_large_counts, num_datatypes, "
         "combiner).");
static PyObject *
Datatype_Get_envelope(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    int ni = 0, na = 0, nd = 0, combiner = MPI_COMBINER_NAMED;
    int ierr = MPI_Type_get_envelope(self->ob_mpi, &ni, &na, &nd, &combiner);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return Py_BuildValue("(iiiii)", ni, na, 0, nd, combiner);
}

CMPI_DOC(Datatype_Get_contents_doc, "Get_contents($self)",
         "Return the input arguments used to create a datatype: (integers, "
         "addresses, large_counts, datatypes).  Derived datatypes in the "
         "result are new and should be freed.");
static PyObject *
Datatype_Get_contents(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    contents c;
    PyObject *li = NULL, *la = NULL, *lc = NULL, *ld = NULL;
    if (contents_get(self, &c) < 0)
        return NULL;
    ld = dtype_list(self->st, c.d, c.nd, 0);
    if (ld == NULL)
        goto error;
    li = int_list(c.i, c.ni);
    la = aint_list(c.a, c.na);
    lc = PyList_New(0);
    if (li == NULL || la == NULL || lc == NULL)
        goto error;
    contents_release(&c);
    return Py_BuildValue("(NNNN)", li, la, lc, ld);
error:
    contents_release(&c);
    Py_XDECREF(li);
    Py_XDECREF(la);
    Py_XDECREF(lc);
    Py_XDECREF(ld);
    return NULL;
}

/* Build a dict from alternating "key", object pairs (the objects are
 * stolen; a NULL object fails the whole call). */
static PyObject *
params_dict(int n, ...)
{
    va_list va;
    PyObject *d = PyDict_New();
    va_start(va, n);
    for (int k = 0; k < n; k++) {
        const char *key = va_arg(va, const char *);
        PyObject *val = va_arg(va, PyObject *);
        if (val == NULL || d == NULL || PyDict_SetItemString(d, key, val) < 0)
            Py_CLEAR(d);
        Py_XDECREF(val);
    }
    va_end(va);
    return d;
}

/* decode()'s parameters for a combiner, from MPI's int/address arrays. */
static PyObject *
decode_params(const contents *c, PyObject *types)
{
    const int *i = c->i;
    const MPI_Aint *a = c->a;
    int n;
    if (c->combiner == MPI_COMBINER_DUP)
        return PyDict_New();
    if (c->combiner == MPI_COMBINER_CONTIGUOUS)
        return params_dict(1, "count", PyLong_FromLong(i[0]));
    if (c->combiner == MPI_COMBINER_VECTOR)
        return params_dict(3, "count", PyLong_FromLong(i[0]), "blocklength",
                           PyLong_FromLong(i[1]), "stride",
                           PyLong_FromLong(i[2]));
    if (c->combiner == MPI_COMBINER_HVECTOR)
        return params_dict(3, "count", PyLong_FromLong(i[0]), "blocklength",
                           PyLong_FromLong(i[1]), "stride",
                           PyLong_FromSsize_t(a[0]));
    if (c->combiner == MPI_COMBINER_INDEXED)
        return params_dict(2, "blocklengths", int_list(i + 1, i[0]),
                           "displacements", int_list(i + 1 + i[0], i[0]));
    if (c->combiner == MPI_COMBINER_HINDEXED)
        return params_dict(2, "blocklengths", int_list(i + 1, i[0]),
                           "displacements", aint_list(a, i[0]));
    if (c->combiner == MPI_COMBINER_INDEXED_BLOCK)
        return params_dict(2, "blocklength", PyLong_FromLong(i[1]),
                           "displacements", int_list(i + 2, i[0]));
    if (c->combiner == MPI_COMBINER_HINDEXED_BLOCK)
        return params_dict(2, "blocklength", PyLong_FromLong(i[1]),
                           "displacements", aint_list(a, i[0]));
    if (c->combiner == MPI_COMBINER_STRUCT)
        return params_dict(3, "blocklengths", int_list(i + 1, i[0]),
                           "displacements", aint_list(a, i[0]), "datatypes",
                           Py_NewRef(types));
    if (c->combiner == MPI_COMBINER_SUBARRAY) {
        n = i[0];
        return params_dict(4, "sizes", int_list(i + 1, n), "subsizes",
                           int_list(i + 1 + n, n), "starts",
                           int_list(i + 1 + 2 * n, n), "order",
                           PyLong_FromLong(i[1 + 3 * n]));
    }
    if (c->combiner == MPI_COMBINER_DARRAY) {
        n = i[2];
        return params_dict(7, "size", PyLong_FromLong(i[0]), "rank",
                           PyLong_FromLong(i[1]), "gsizes", int_list(i + 3, n),
                           "distribs", int_list(i + 3 + n, n), "dargs",
                           int_list(i + 3 + 2 * n, n), "psizes",
                           int_list(i + 3 + 3 * n, n), "order",
                           PyLong_FromLong(i[3 + 4 * n]));
    }
    if (c->combiner == MPI_COMBINER_RESIZED)
        return params_dict(2, "lb", PyLong_FromSsize_t(a[0]), "extent",
                           PyLong_FromSsize_t(a[1]));
    if (c->combiner == MPI_COMBINER_F90_INTEGER)
        return params_dict(1, "r", PyLong_FromLong(i[0]));
    if (c->combiner == MPI_COMBINER_F90_REAL ||
        c->combiner == MPI_COMBINER_F90_COMPLEX)
        return params_dict(2, "p", PyLong_FromLong(i[0]), "r",
                           PyLong_FromLong(i[1]));
    PyErr_Format(PyExc_ValueError, "unknown combiner value %d", c->combiner);
    return NULL;
}

CMPI_DOC(Datatype_decode_doc, "decode($self)",
         "Convenience method for decoding a datatype: return (basetype, "
         "combiner name, params), where Create_<combiner>(**params) on "
         "basetype rebuilds it.");
static PyObject *
Datatype_decode(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    int ni = 0, na = 0, nd = 0, combiner = MPI_COMBINER_NAMED;
    int ierr = MPI_Type_get_envelope(self->ob_mpi, &ni, &na, &nd, &combiner);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    if (combiner == MPI_COMBINER_NAMED)
        return Py_BuildValue("(Os{})", (PyObject *)self, "NAMED");
    const char *name = combiner_name(combiner);
    if (name == NULL) {
        PyErr_Format(PyExc_ValueError, "unknown combiner value %d", combiner);
        return NULL;
    }
    contents c;
    PyObject *types = NULL, *base = NULL, *params = NULL;
    if (contents_get(self, &c) < 0)
        return NULL;
    types = dtype_list(self->st, c.d, c.nd, 1);
    if (types == NULL)
        goto error;
    if (combiner != MPI_COMBINER_STRUCT && c.nd == 1)
        base = Py_NewRef(PyList_GET_ITEM(types, 0));
    else
        base = cmpi_datatype_new(self->st, MPI_DATATYPE_NULL, CMPI_CONST);
    if (base == NULL)
        goto error;
    params = decode_params(&c, types);
    if (params == NULL)
        goto error;
    contents_release(&c);
    Py_DECREF(types);
    return Py_BuildValue("(NsN)", base, name, params);
error:
    contents_release(&c);
    Py_XDECREF(types);
    Py_XDECREF(base);
    return NULL;
}

static PyObject *
Datatype_get_envelope(DatatypeObject *self, void *Py_UNUSED(c))
{
    return Datatype_Get_envelope(self, NULL);
}

static PyObject *
Datatype_get_contents(DatatypeObject *self, void *Py_UNUSED(c))
{
    return Datatype_Get_contents(self, NULL);
}

static PyObject *
Datatype_get_combiner(DatatypeObject *self, void *Py_UNUSED(c))
{
    int ni, na, nd, combiner = MPI_COMBINER_NAMED;
    int ierr = MPI_Type_get_envelope(self->ob_mpi, &ni, &na, &nd, &combiner);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(combiner);
}

static PyObject *
Datatype_get_is_named(DatatypeObject *self, void *Py_UNUSED(c))
{
    int ni, na, nd, combiner = MPI_COMBINER_NAMED;
    int ierr = MPI_Type_get_envelope(self->ob_mpi, &ni, &na, &nd, &combiner);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyBool_FromLong(combiner == MPI_COMBINER_NAMED);
}

/* ---------------------------------------------------------------------
 * Pack and Unpack.
 */

/* MPI_Pack_size and friends crash in Open MPI on an uncommitted datatype:
 * ask MPI itself, with an empty MPI_Pack (both MPIs check commitment
 * there), before any call that does not check. */
static int
check_committed(cmpi_state *st, MPI_Datatype dt)
{
    char in = 0, out = 0;
    int pos = 0;
    if (dt == MPI_DATATYPE_NULL) {
        cmpi_raise_msg(st, MPI_ERR_TYPE, "the datatype is DATATYPE_NULL");
        return -1;
    }
    int ierr = MPI_Pack(&in, 0, dt, &out, 0, &pos, MPI_COMM_SELF);
    if (ierr != MPI_SUCCESS) {
        int cls = MPI_ERR_TYPE;
        MPI_Error_class(ierr, &cls);
        cmpi_raise_msg(st, cls,
                       "the datatype is not usable here: not committed? "
                       "(call Commit() first)");
        return -1;
    }
    return 0;
}

/* The unpacked side of Pack/Unpack, in self's datatype: a buffer holds
 * as many whole elements as fit (as in mpi4py); [buf, count],
 * [buf, count, displ] or [buf, (count, displ)] give the count, and a
 * datatype there, if any, must be self.  Every byte the elements touch
 * must lie inside the buffer. */
static int
pack_msg(DatatypeObject *self, PyObject *spec, cmpi_msg *m, int recv,
         const char *what)
{
    cmpi_state *st = self->st;
    PyObject *buf = spec, *ocount = NULL, *odispl = NULL, *otype = NULL;
    PyObject *norm = NULL;
    int rc = -1;
    m->view.obj = NULL;
    if (PyList_Check(spec) || PyTuple_Check(spec)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(spec);
        PyObject **items = PySequence_Fast_ITEMS(spec);
        if (n < 2 || n > 4)
            return cmpi_msg_parse(st, spec, m, recv); /* its error */
        buf = items[0];
        if (n == 2) {
            if (PyObject_TypeCheck(items[1], st->Datatype_Type) ||
                PyUnicode_Check(items[1]))
                otype = items[1];
            else
                ocount = items[1];
        }
        else {
            ocount = items[1];
            otype = items[n - 1];
            if (n == 4)
                odispl = items[2];
        }
        if (otype == Py_None)
            otype = NULL;
        if (ocount == Py_None)
            ocount = NULL;
        if (otype != NULL) {
            MPI_Datatype t;
            if (cmpi_dtype_from_object(st, otype, &t) < 0)
                return -1;
            if (t != self->ob_mpi) {
                PyErr_Format(PyExc_ValueError,
                             "%s: the message datatype must be the datatype "
                             "being packed",
                             what);
                return -1;
            }
        }
    }
    if (buf == Py_None || buf == st->BOTTOM) {
        PyErr_Format(PyExc_TypeError, "%s: a buffer is required", what);
        return -1;
    }
    if (ocount == NULL) {
        /* As many whole elements as the buffer holds. */
        Py_buffer v;
        MPI_Aint lb = 0, extent = 0;
        if (cmpi_get_buffer(buf, &v, PyBUF_ANY_CONTIGUOUS) < 0)
            return -1;
        Py_ssize_t len = v.len;
        PyBuffer_Release(&v);
        int ierr = MPI_Type_get_extent(self->ob_mpi, &lb, &extent);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(st, ierr);
            return -1;
        }
        Py_ssize_t count = extent > 0 ? len / (Py_ssize_t)extent : 0;
        norm = Py_BuildValue("[OnO]", buf, count, (PyObject *)self);
    }
    else if (odispl != NULL) {
        norm = Py_BuildValue("[OOOO]", buf, ocount, odispl, (PyObject *)self);
    }
    else {
        norm = Py_BuildValue("[OOO]", buf, ocount, (PyObject *)self);
    }
    if (norm == NULL)
        return -1;
    if (cmpi_msg_parse(st, norm, m, recv) < 0)
        goto done;
    if (m->view.obj == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: a buffer is required", what);
        goto done;
    }
    int tsize = 0;
    CMPI_CHK(st, MPI_Type_size(self->ob_mpi, &tsize));
    /* A type without data touches nothing, and its true bounds may be
     * sentinels (Open MPI: a lower bound of 2**63-1) that overflow here. */
    if (m->count > 0 && tsize > 0) {
        MPI_Aint tlb = 0, textent = 0, lb = 0, extent = 0;
        CMPI_CHK(st, MPI_Type_get_true_extent(self->ob_mpi, &tlb, &textent));
        CMPI_CHK(st, MPI_Type_get_extent(self->ob_mpi, &lb, &extent));
        long long span = (long long)(m->count - 1) * extent;
        long long lo = (long long)tlb + (span < 0 ? span : 0);
        long long hi = (long long)tlb + textent + (span > 0 ? span : 0);
        long long off = (char *)m->addr - (char *)m->view.buf;
        if (off + lo < 0 || off + hi > (long long)m->view.len) {
            PyErr_Format(PyExc_ValueError,
                         "%s: %d elements of the datatype span bytes %lld to "
                         "%lld of a buffer of %zd bytes",
                         what, m->count, off + lo, off + hi, m->view.len);
            goto error;
        }
    }
    rc = 0;
    goto done;
error:
    cmpi_msg_release(m);
done:
    Py_DECREF(norm);
    return rc;
}

/* The packed side: a plain contiguous buffer of bytes. */
static int
packed_buffer(PyObject *obj, Py_buffer *view, int writable, const char *what)
{
    int flags = PyBUF_ANY_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (cmpi_get_buffer(obj, view, flags) == 0)
        return 0;
    if (!cmpi_is_exporter(obj)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s: expected a buffer, got %.100s",
                     what, Py_TYPE(obj)->tp_name);
    }
    else if (writable && PyErr_ExceptionMatches(PyExc_BufferError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s: a writable buffer is required, got a read-only "
                     "%.100s",
                     what, Py_TYPE(obj)->tp_name);
    }
    return -1;
}

static int
comm_arg(cmpi_state *st, PyObject *obj, MPI_Comm *comm)
{
    if (!PyObject_TypeCheck(obj, st->Comm_Type)) {
        PyErr_Format(PyExc_TypeError, "comm: expected a Comm, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (cmpi_comm_check((CommObject *)obj) < 0)
        return -1;
    *comm = ((CommObject *)obj)->ob_mpi;
    return 0;
}

static int
position_arg(PyObject *obj, Py_ssize_t size, MPI_Aint *out)
{
    if (PyFloat_Check(obj) || !PyIndex_Check(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "position must be an integer, not "
                     "%.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t v = PyNumber_AsSsize_t(obj, PyExc_OverflowError);
    if (v == -1 && PyErr_Occurred())
        return -1;
    if (v < 0 || v > size) {
        PyErr_Format(PyExc_ValueError,
                     "position=%zd is outside a packed buffer of %zd bytes", v,
                     size);
        return -1;
    }
    *out = (MPI_Aint)v;
    return 0;
}

#if defined(MPICH_VERSION) || defined(MPI_ABI_VERSION)
/* Does `dt` mix different basic types?  *first is the first basic type
 * seen (MPI_DATATYPE_NULL before any).  -1 if MPI fails. */
static int
mixes_basic_types(MPI_Datatype dt, MPI_Datatype *first)
{
    int ni, na, nd, combiner, mixed = 0;
    if (MPI_Type_get_envelope(dt, &ni, &na, &nd, &combiner) != MPI_SUCCESS)
        return -1;
    if (is_named_combiner(combiner)) {
        if (*first == MPI_DATATYPE_NULL)
            *first = dt;
        return *first != dt;
    }
    int *i = PyMem_New(int, ni + 1);
    MPI_Aint *a = PyMem_New(MPI_Aint, na + 1);
    MPI_Datatype *d = PyMem_New(MPI_Datatype, nd + 1);
    if (i == NULL || a == NULL || d == NULL ||
        MPI_Type_get_contents(dt, ni, na, nd, i, a, d) != MPI_SUCCESS) {
        mixed = -1;
        nd = 0;
    }
    for (int k = 0; k < nd && mixed == 0; k++)
        mixed = mixes_basic_types(d[k], first);
    if (nd > 0)
        free_contents_types(d, nd);
    PyMem_Free(i);
    PyMem_Free(a);
    PyMem_Free(d);
    return mixed;
}
#endif

/* MPICH 4.0 and 5.0 die (SIGILL) sizing external32 data of a datatype that
 * mixes basic types, and Intel MPI 2021 packs such data in native byte
 * order: refuse those there instead. */
static int
check_external(cmpi_state *st, MPI_Datatype dt)
{
    if (check_committed(st, dt) < 0)
        return -1;
#if defined(MPICH_VERSION) || defined(MPI_ABI_VERSION)
    MPI_Datatype first = MPI_DATATYPE_NULL;
    if (
#ifdef MPI_ABI_VERSION
            /* ABI build: the library is known only at run time, and MPICH
             * 5.0 behind libmpi_abi.so still dies here. */
            strcmp(cmpi_abi_vendor(NULL), "MPICH") == 0 &&
#endif
            mixes_basic_types(dt, &first) != 0) {
#ifdef I_MPI_VERSION
        cmpi_raise_msg(st, MPI_ERR_UNSUPPORTED_DATAREP,
                       "Intel MPI " I_MPI_VERSION
                       " packs a datatype that "
                       "mixes basic types in native byte order, not in "
                       "external32 (MPI_Pack_external): refused");
#else
        cmpi_raise_msg(st, MPI_ERR_UNSUPPORTED_DATAREP,
                       "%s cannot pack a datatype that mixes basic types in "
                       "external32 (MPI_Pack_external crashes)",
                       cmpi_library_name());
#endif
        return -1;
    }
#endif
    return 0;
}

static int
datarep_arg(PyObject *obj, const char **out)
{
    const char *s = PyUnicode_Check(obj) ? PyUnicode_AsUTF8(obj) : NULL;
    if (s == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_TypeError, "datarep must be a str, not %.100s",
                         Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (strcmp(s, "external32") != 0) {
        PyErr_Format(PyExc_ValueError,
                     "datarep=%R: the only portable representation is "
                     "'external32'",
                     obj);
        return -1;
    }
    *out = s;
    return 0;
}

static int
count_arg(PyObject *obj, int *out)
{
    if (cmpi_as_int(obj, out, "count") < 0)
        return -1;
    if (*out < 0) {
        PyErr_Format(PyExc_ValueError, "negative count %d", *out);
        return -1;
    }
    return 0;
}

static CMPI_NOINLINE PyObject *
truncated(cmpi_state *st, const char *what, MPI_Aint need, MPI_Aint pos,
          Py_ssize_t size)
{
    return cmpi_raise_msg(st, MPI_ERR_TRUNCATE,
                          "%s: %zd packed bytes at position %zd do not fit "
                          "in %zd bytes",
                          what, (Py_ssize_t)need, (Py_ssize_t)pos, size);
}

CMPI_DOC(Datatype_Pack_doc, "Pack($self, inbuf, outbuf, position, comm)",
         "Pack into contiguous memory according to datatype; return the "
         "new position.");
static PyObject *
Datatype_Pack(DatatypeObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"inbuf", "outbuf", "position", "comm",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer out = {.obj = NULL};
    MPI_Comm comm;
    MPI_Aint pos;
    PyObject *res = NULL;
    int size = 0, ipos, ierr;
    if (cmpi_parse("Pack", args, nargs, kwnames, kw, 4, a) < 0 ||
        comm_arg(st, a[3], &comm) < 0 ||
        check_committed(st, self->ob_mpi) < 0 ||
        pack_msg(self, a[0], &m, CMPI_MSG_SEND, "inbuf") < 0 ||
        packed_buffer(a[1], &out, 1, "outbuf") < 0 ||
        position_arg(a[2], out.len, &pos) < 0)
        goto done;
    CMPI_CHK(st, MPI_Pack_size(m.count, self->ob_mpi, comm, &size));
    if (out.len > INT_MAX || size > out.len - pos) {
        if (out.len > INT_MAX)
            PyErr_SetString(PyExc_OverflowError,
                            "outbuf: more than 2**31-1 bytes");
        else
            truncated(st, "outbuf", size, pos, out.len);
        goto done;
    }
    ipos = (int)pos;
    CMPI_NOGIL(ierr = MPI_Pack(m.addr, m.count, self->ob_mpi, out.buf,
                               (int)out.len, &ipos, comm));
    CMPI_CHK(st, ierr);
    res = PyLong_FromLong(ipos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (out.obj != NULL)
        PyBuffer_Release(&out);
    return res;
}

CMPI_DOC(Datatype_Unpack_doc, "Unpack($self, inbuf, position, outbuf, comm)",
         "Unpack from contiguous memory according to datatype; return the "
         "new position.");
static PyObject *
Datatype_Unpack(DatatypeObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"inbuf", "position", "outbuf", "comm",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer in = {.obj = NULL};
    MPI_Comm comm;
    MPI_Aint pos;
    PyObject *res = NULL;
    int size = 0, ipos, ierr;
    if (cmpi_parse("Unpack", args, nargs, kwnames, kw, 4, a) < 0 ||
        comm_arg(st, a[3], &comm) < 0 ||
        check_committed(st, self->ob_mpi) < 0 ||
        packed_buffer(a[0], &in, 0, "inbuf") < 0 ||
        position_arg(a[1], in.len, &pos) < 0 ||
        pack_msg(self, a[2], &m, CMPI_MSG_RECV, "outbuf") < 0)
        goto done;
    CMPI_CHK(st, MPI_Pack_size(m.count, self->ob_mpi, comm, &size));
    if (in.len > INT_MAX || size > in.len - pos) {
        if (in.len > INT_MAX)
            PyErr_SetString(PyExc_OverflowError,
                            "inbuf: more than 2**31-1 bytes");
        else
            truncated(st, "inbuf", size, pos, in.len);
        goto done;
    }
    ipos = (int)pos;
    CMPI_NOGIL(ierr = MPI_Unpack(in.buf, (int)in.len, &ipos, m.addr, m.count,
                                 self->ob_mpi, comm));
    CMPI_CHK(st, ierr);
    res = PyLong_FromLong(ipos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (in.obj != NULL)
        PyBuffer_Release(&in);
    return res;
}

CMPI_DOC(Datatype_Pack_size_doc, "Pack_size($self, count, comm)",
         "Return an upper bound on the bytes Pack needs for count items.");
static PyObject *
Datatype_Pack_size(DatatypeObject *self, PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"count", "comm", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Comm comm;
    int count, size = 0;
    if (cmpi_parse("Pack_size", args, nargs, kwnames, kw, 2, a) < 0 ||
        count_arg(a[0], &count) < 0 || comm_arg(self->st, a[1], &comm) < 0 ||
        check_committed(self->st, self->ob_mpi) < 0)
        return NULL;
    int ierr = MPI_Pack_size(count, self->ob_mpi, comm, &size);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(size);
}

CMPI_DOC(Datatype_Pack_external_doc,
         "Pack_external($self, datarep, inbuf, outbuf, position)",
         "Pack into portable (datarep) contiguous memory; return the new "
         "position.");
static PyObject *
Datatype_Pack_external(DatatypeObject *self, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"datarep", "inbuf", "outbuf", "position",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer out = {.obj = NULL};
    const char *datarep;
    MPI_Aint pos, size = 0;
    PyObject *res = NULL;
    int ierr;
    if (cmpi_parse("Pack_external", args, nargs, kwnames, kw, 4, a) < 0 ||
        datarep_arg(a[0], &datarep) < 0 ||
        check_external(st, self->ob_mpi) < 0 ||
        pack_msg(self, a[1], &m, CMPI_MSG_SEND, "inbuf") < 0 ||
        packed_buffer(a[2], &out, 1, "outbuf") < 0 ||
        position_arg(a[3], out.len, &pos) < 0)
        goto done;
    CMPI_CHK(st, MPI_Pack_external_size((char *)datarep, m.count, self->ob_mpi,
                                        &size));
    if (size > (MPI_Aint)out.len - pos) {
        truncated(st, "outbuf", size, pos, out.len);
        goto done;
    }
    CMPI_NOGIL(ierr = MPI_Pack_external((char *)datarep, m.addr, m.count,
                                        self->ob_mpi, out.buf,
                                        (MPI_Aint)out.len, &pos));
    CMPI_CHK(st, ierr);
    res = PyLong_FromSsize_t((Py_ssize_t)pos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (out.obj != NULL)
        PyBuffer_Release(&out);
    return res;
}

CMPI_DOC(Datatype_Unpack_external_doc,
         "Unpack_external($self, datarep, inbuf, position, outbuf)",
         "Unpack from portable (datarep) contiguous memory; return the new "
         "position.");
static PyObject *
Datatype_Unpack_external(DatatypeObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"datarep", "inbuf", "position", "outbuf",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = self->st;
    cmpi_msg m = {.view = {.obj = NULL}};
    Py_buffer in = {.obj = NULL};
    const char *datarep;
    MPI_Aint pos, size = 0;
    PyObject *res = NULL;
    int ierr;
    if (cmpi_parse("Unpack_external", args, nargs, kwnames, kw, 4, a) < 0 ||
        datarep_arg(a[0], &datarep) < 0 ||
        check_external(st, self->ob_mpi) < 0 ||
        packed_buffer(a[1], &in, 0, "inbuf") < 0 ||
        position_arg(a[2], in.len, &pos) < 0 ||
        pack_msg(self, a[3], &m, CMPI_MSG_RECV, "outbuf") < 0)
        goto done;
    CMPI_CHK(st, MPI_Pack_external_size((char *)datarep, m.count, self->ob_mpi,
                                        &size));
    if (size > (MPI_Aint)in.len - pos) {
        truncated(st, "inbuf", size, pos, in.len);
        goto done;
    }
    CMPI_NOGIL(ierr = MPI_Unpack_external((char *)datarep, in.buf,
                                          (MPI_Aint)in.len, &pos, m.addr,
                                          m.count, self->ob_mpi));
    CMPI_CHK(st, ierr);
    res = PyLong_FromSsize_t((Py_ssize_t)pos);
    goto done;
error:
done:
    cmpi_msg_release(&m);
    if (in.obj != NULL)
        PyBuffer_Release(&in);
    return res;
}

CMPI_DOC(Datatype_Pack_external_size_doc,
         "Pack_external_size($self, datarep, count)",
         "Return the bytes Pack_external needs for count items.");
static PyObject *
Datatype_Pack_external_size(DatatypeObject *self, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"datarep", "count", NULL};
    PyObject *a[2] = {NULL, NULL};
    const char *datarep;
    int count;
    MPI_Aint size = 0;
    if (cmpi_parse("Pack_external_size", args, nargs, kwnames, kw, 2, a) < 0 ||
        datarep_arg(a[0], &datarep) < 0 || count_arg(a[1], &count) < 0 ||
        check_external(self->st, self->ob_mpi) < 0)
        return NULL;
    int ierr = MPI_Pack_external_size((char *)datarep, count, self->ob_mpi,
                                      &size);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromSsize_t((Py_ssize_t)size);
}

/* ---------------------------------------------------------------------
 * Typecodes: fromcode(), tocode(), typechar, typestr.
 */

/* The character code of `kind` ('b'ool, 'i'nt, 'u'nsigned, 'f'loat,
 * 'c'omplex) with `size` bytes, or NULL. */
static const char *
kind_char(char kind, MPI_Count size)
{
    if (kind == 'b')
        return size == 1 ? "?" : kind_char('i', size);
    if (kind == 'i' || kind == 'u') {
        static const char *const s[] = {"b", "h", "i", "l", "q"};
        static const char *const u[] = {"B", "H", "I", "L", "Q"};
        const char *const *t = kind == 'i' ? s : u;
        if (size == 1)
            return t[0];
        if (size == sizeof(short))
            return t[1];
        if (size == sizeof(int))
            return t[2];
        if (size == sizeof(long))
            return t[3];
        if (size == sizeof(long long))
            return t[4];
        return NULL;
    }
    if (kind == 'f' || kind == 'c') {
        MPI_Count n = kind == 'c' ? size / 2 : size;
        if (n == sizeof(float))
            return kind == 'f' ? "f" : "F";
        if (n == sizeof(double))
            return kind == 'f' ? "d" : "D";
        if (n == sizeof(long double))
            return kind == 'f' ? "g" : "G";
    }
    return NULL;
}

/* NumPy's type string for kind and size: "i4", "f8", "b1", ... */
static PyObject *
kind_str(char kind, MPI_Count size)
{
    if (kind == 'b' && size != 1)
        kind = 'i';
    return PyUnicode_FromFormat("%c%lld", kind, (long long)size);
}

/* A character code's kind (for its type string); 0 when it has none. */
static char
char_kind(char c)
{
    if (c == '?')
        return 'b';
    if (strchr("bhilqp", c))
        return 'i';
    if (strchr("BHILQP", c))
        return 'u';
    if (strchr("fdg", c))
        return 'f';
    if (strchr("FDG", c))
        return 'c';
    return 0;
}

typedef struct {
    const char *chr; /* character code, NULL when computed from kind */
    char kind;       /* NumPy kind: its size comes from MPI_Type_size */
    int bystr;       /* tocode() gives the type string, not the char */
} typeinfo;

/* What a named datatype is, in NumPy's terms; 0 if unknown. */
static int
named_typeinfo(MPI_Datatype dt, typeinfo *ti)
{
    static const struct {
        MPI_Datatype dt;
        typeinfo ti;
    } table[] = {
            {MPI_PACKED, {"B", 0, 0}},
            {MPI_BYTE, {"B", 0, 0}},
            {MPI_AINT, {"p", 0, 0}},
            {MPI_OFFSET, {"p", 0, 0}},
            {MPI_COUNT, {"p", 0, 0}},
            {MPI_CHAR, {"c", 0, 0}},
            {MPI_WCHAR, {"U", 0, 0}},
            {MPI_SIGNED_CHAR, {"b", 0, 0}},
            {MPI_SHORT, {"h", 0, 0}},
            {MPI_INT, {"i", 0, 0}},
            {MPI_LONG, {"l", 0, 0}},
            {MPI_LONG_LONG, {"q", 0, 0}},
            {MPI_UNSIGNED_CHAR, {"B", 0, 0}},
            {MPI_UNSIGNED_SHORT, {"H", 0, 0}},
            {MPI_UNSIGNED, {"I", 0, 0}},
            {MPI_UNSIGNED_LONG, {"L", 0, 0}},
            {MPI_UNSIGNED_LONG_LONG, {"Q", 0, 0}},
            {MPI_FLOAT, {"f", 0, 0}},
            {MPI_DOUBLE, {"d", 0, 0}},
            {MPI_LONG_DOUBLE, {"g", 0, 0}},
            {MPI_C_BOOL, {"?", 0, 1}},
            {MPI_INT8_T, {NULL, 'i', 1}},
            {MPI_INT16_T, {NULL, 'i', 1}},
            {MPI_INT32_T, {NULL, 'i', 1}},
            {MPI_INT64_T, {NULL, 'i', 1}},
            {MPI_UINT8_T, {NULL, 'u', 1}},
            {MPI_UINT16_T, {NULL, 'u', 1}},
            {MPI_UINT32_T, {NULL, 'u', 1}},
            {MPI_UINT64_T, {NULL, 'u', 1}},
            {MPI_C_COMPLEX, {"F", 0, 0}},
            {MPI_C_FLOAT_COMPLEX, {"F", 0, 0}},
            {MPI_C_DOUBLE_COMPLEX, {"D", 0, 0}},
            {MPI_C_LONG_DOUBLE_COMPLEX, {"G", 0, 0}},
            {MPI_CXX_BOOL, {"?", 0, 0}},
            {MPI_CXX_FLOAT_COMPLEX, {"F", 0, 0}},
            {MPI_CXX_DOUBLE_COMPLEX, {"D", 0, 0}},
            {MPI_CXX_LONG_DOUBLE_COMPLEX, {"G", 0, 0}},
            {MPI_CHARACTER, {"c", 0, 0}},
            {MPI_LOGICAL, {NULL, 'b', 0}},
            {MPI_INTEGER, {NULL, 'i', 0}},
            {MPI_REAL, {NULL, 'f', 0}},
            {MPI_DOUBLE_PRECISION, {NULL, 'f', 0}},
            {MPI_COMPLEX, {NULL, 'c', 0}},
            {MPI_DOUBLE_COMPLEX, {NULL, 'c', 0}},
            {MPI_LOGICAL1, {NULL, 'b', 1}},
            {MPI_LOGICAL2, {NULL, 'b', 1}},
            {MPI_LOGICAL4, {NULL, 'b', 1}},
            {MPI_LOGICAL8, {NULL, 'b', 1}},
            {MPI_INTEGER1, {NULL, 'i', 1}},
            {MPI_INTEGER2, {NULL, 'i', 1}},
            {MPI_INTEGER4, {NULL, 'i', 1}},
            {MPI_INTEGER8, {NULL, 'i', 1}},
            {MPI_REAL4, {NULL, 'f', 1}},
            {MPI_REAL8, {NULL, 'f', 1}},
            {MPI_COMPLEX8, {NULL, 'c', 1}},
            {MPI_COMPLEX16, {NULL, 'c', 1}},
            {MPI_LOGICAL16, {NULL, 'b', 1}},
            {MPI_INTEGER16, {NULL, 'i', 1}},
            {MPI_REAL2, {NULL, 'f', 1}},
            {MPI_REAL16, {NULL, 'f', 1}},
            {MPI_COMPLEX4, {NULL, 'c', 1}},
            {MPI_COMPLEX32, {NULL, 'c', 1}},
    };
    if (dt == MPI_DATATYPE_NULL)
        return 0;
    for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
        if (table[k].dt == dt) {
            *ti = table[k].ti;
            return 1;
        }
    }
    return 0;
}

enum {
    TC_CHAR,
    TC_STR,
    TC_CODE
};

/* typechar, typestr or tocode() of a datatype.  Datatypes NumPy has no
 * scalar for are 'V' (void) of their extent; tocode() refuses them. */
static PyObject *
type_code(cmpi_state *st, MPI_Datatype dt, int what)
{
    typeinfo ti = {NULL, 0, 0};
    MPI_Count size = 0, lb = 0, extent = 0;
    int ni, na, nd, combiner = MPI_COMBINER_NAMED, ierr;
    if (dt == MPI_DATATYPE_NULL) {
        if (what == TC_CODE)
            goto nocode;
        return PyUnicode_FromString("");
    }
    if (!named_typeinfo(dt, &ti)) {
        ierr = MPI_Type_get_envelope(dt, &ni, &na, &nd, &combiner);
        if (ierr != MPI_SUCCESS)
            return cmpi_raise(st, ierr);
        if (combiner == MPI_COMBINER_DUP) {
            MPI_Datatype base = MPI_DATATYPE_NULL;
            int i0 = 0;
            MPI_Aint a0 = 0;
            ierr = MPI_Type_get_contents(dt, 0, 0, 1, &i0, &a0, &base);
            if (ierr != MPI_SUCCESS)
                return cmpi_raise(st, ierr);
            PyObject *r = type_code(st, base, what);
            free_contents_types(&base, 1);
            return r;
        }
        if (combiner == MPI_COMBINER_F90_INTEGER)
            ti.kind = 'i';
        else if (combiner == MPI_COMBINER_F90_REAL)
            ti.kind = 'f';
        else if (combiner == MPI_COMBINER_F90_COMPLEX)
            ti.kind = 'c';
    }
    ierr = MPI_Type_size_x(dt, &size);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    if (ti.chr == NULL && ti.kind != 0)
        ti.chr = kind_char(ti.kind, size);
    if (ti.chr == NULL) {
        if (what == TC_CODE)
            goto nocode;
        ierr = MPI_Type_get_extent_x(dt, &lb, &extent);
        if (ierr != MPI_SUCCESS)
            return cmpi_raise(st, ierr);
        if (what == TC_CHAR)
            return PyUnicode_FromString("V");
        /* a Fortran kind with no C type of its size: "f16", "i16" ... */
        if (ti.kind != 0 && size > 0 && size == extent)
            return kind_str(ti.kind, size);
        return PyUnicode_FromFormat("V%lld", (long long)extent);
    }
    if (what == TC_CHAR || (what == TC_CODE && !ti.bystr))
        return PyUnicode_FromString(ti.chr);
    if (ti.kind != 0)
        return kind_str(ti.kind, size);
    if (ti.chr[0] == 'c')
        return PyUnicode_FromString("S1");
    if (ti.chr[0] == 'U')
        return PyUnicode_FromString("U1");
    return kind_str(char_kind(ti.chr[0]), size);
nocode:
    PyErr_SetString(PyExc_ValueError,
                    "cannot map to character code or type string");
    return NULL;
}

CMPI_DOC(Datatype_tocode_doc, "tocode($self)",
         "Get character code or type string from predefined MPI datatype.");
static PyObject *
Datatype_tocode(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    return type_code(self->st, self->ob_mpi, TC_CODE);
}

CMPI_DOC(Datatype_fromcode_doc, "fromcode($type, code)",
         "Get predefined MPI datatype from character code or type string.");
static PyObject *
Datatype_fromcode(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"code", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("fromcode", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    if (PyUnicode_Check(a[0])) {
        PyObject *t = PyDict_GetItemWithError(st->typecodes, a[0]);
        if (t != NULL)
            return Py_NewRef(t);
        if (PyErr_Occurred())
            return NULL;
    }
    PyErr_Format(PyExc_ValueError, "cannot map code %R to MPI datatype", a[0]);
    return NULL;
}

static PyObject *
Datatype_get_typechar(DatatypeObject *self, void *Py_UNUSED(c))
{
    return type_code(self->st, self->ob_mpi, TC_CHAR);
}

static PyObject *
Datatype_get_typestr(DatatypeObject *self, void *Py_UNUSED(c))
{
    return type_code(self->st, self->ob_mpi, TC_STR);
}

CMPI_DOC(Datatype_Create_dup_doc, "Create_dup($self)",
         "Duplicate a datatype (alias of Dup).");
CMPI_DOC(Datatype_Resized_doc, "Resized($self, lb, extent)",
         "Create a datatype with a new lower bound and extent (alias of "
         "Create_resized).");

#ifndef MPI_TYPECLASS_LOGICAL /* MPI-4.1 */
#define MPI_TYPECLASS_LOGICAL MPI_UNDEFINED
#endif

CMPI_DOC(Datatype_Match_size_doc, "Match_size($type, typeclass, size)",
         "Find a datatype matching a specified size in bytes.");
static PyObject *
Datatype_Match_size(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const kw[] = {"typeclass", "size", NULL};
    PyObject *a[2] = {NULL, NULL};
    int typeclass, size;
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Match_size", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &typeclass, "typeclass") < 0 ||
        cmpi_as_int(a[1], &size, "size") < 0)
        return NULL;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_match_size(typeclass, size, &dt);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(st, ierr);
    return cmpi_datatype_new(st, dt, CMPI_CONST);
}

CMPI_DOC(Datatype_Get_value_index_doc, "Get_value_index($type, value, index)",
         "Return a predefined pair datatype (as for MINLOC and MAXLOC) of "
         "value and index, or DATATYPE_NULL if there is none.");
static PyObject *
Datatype_Get_value_index(PyTypeObject *cls, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"value", "index", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Get_value_index", args, nargs, kwnames, kw, 2, a) < 0)
        return NULL;
    MPI_Datatype t[2];
    for (int i = 0; i < 2; i++) {
        if (!PyObject_TypeCheck(a[i], st->Datatype_Type)) {
            PyErr_Format(PyExc_TypeError, "%s must be a Datatype, not %.100s",
                         kw[i], Py_TYPE(a[i])->tp_name);
            return NULL;
        }
        t[i] = ((DatatypeObject *)a[i])->ob_mpi;
        if (t[i] == MPI_DATATYPE_NULL)
            return cmpi_raise_msg(st, MPI_ERR_TYPE,
                                  "invalid datatype: %s is DATATYPE_NULL",
                                  kw[i]);
    }
    /* MPI-4.1's MPI_Type_get_value_index: the predefined pair types */
    static const struct {
        MPI_Datatype value, index, pair;
    } pairs[] = {
            {MPI_FLOAT, MPI_INT, MPI_FLOAT_INT},
            {MPI_DOUBLE, MPI_INT, MPI_DOUBLE_INT},
            {MPI_LONG, MPI_INT, MPI_LONG_INT},
            {MPI_INT, MPI_INT, MPI_2INT},
            {MPI_SHORT, MPI_INT, MPI_SHORT_INT},
            {MPI_LONG_DOUBLE, MPI_INT, MPI_LONG_DOUBLE_INT},
            {MPI_REAL, MPI_REAL, MPI_2REAL},
            {MPI_DOUBLE_PRECISION, MPI_DOUBLE_PRECISION,
             MPI_2DOUBLE_PRECISION},
            {MPI_INTEGER, MPI_INTEGER, MPI_2INTEGER},
    };
    MPI_Datatype pair = MPI_DATATYPE_NULL;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        if (pairs[i].value == t[0] && pairs[i].index == t[1] &&
            pairs[i].value != MPI_DATATYPE_NULL) {
            pair = pairs[i].pair;
            break;
        }
    }
    return cmpi_datatype_new(st, pair, CMPI_CONST);
}

static PyMethodDef Datatype_methods[] = {
        {"Match_size", FN(Datatype_Match_size), CLSFASTKW,
         Datatype_Match_size_doc},
        {"Get_value_index", FN(Datatype_Get_value_index), CLSFASTKW,
         Datatype_Get_value_index_doc},
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
        {"Create_contiguous", FN(Datatype_Create_contiguous), FASTKW,
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
        {"Create_hindexed_block", FN(Datatype_Create_hindexed_block), FASTKW,
         Datatype_Create_hindexed_block_doc},
        {"Create_struct", FN(Datatype_Create_struct), CLSFASTKW,
         Datatype_Create_struct_doc},
        {"Create_subarray", FN(Datatype_Create_subarray), FASTKW,
         Datatype_Create_subarray_doc},
        {"Create_darray", FN(Datatype_Create_darray), FASTKW,
         Datatype_Create_darray_doc},
        {"Create_f90_integer", FN(Datatype_Create_f90_integer), CLSFASTKW,
         Datatype_Create_f90_integer_doc},
        {"Create_f90_real", FN(Datatype_Create_f90_real), CLSFASTKW,
         Datatype_Create_f90_real_doc},
        {"Create_f90_complex", FN(Datatype_Create_f90_complex), CLSFASTKW,
         Datatype_Create_f90_complex_doc},
        {"Get_envelope", (PyCFunction)Datatype_Get_envelope, METH_NOARGS,
         Datatype_Get_envelope_doc},
        {"Get_contents", (PyCFunction)Datatype_Get_contents, METH_NOARGS,
         Datatype_Get_contents_doc},
        {"decode", (PyCFunction)Datatype_decode, METH_NOARGS,
         Datatype_decode_doc},
        {"Pack", FN(Datatype_Pack), FASTKW, Datatype_Pack_doc},
        {"Unpack", FN(Datatype_Unpack), FASTKW, Datatype_Unpack_doc},
        {"Pack_size", FN(Datatype_Pack_size), FASTKW, Datatype_Pack_size_doc},
        {"Pack_external", FN(Datatype_Pack_external), FASTKW,
         Datatype_Pack_external_doc},
        {"Unpack_external", FN(Datatype_Unpack_external), FASTKW,
         Datatype_Unpack_external_doc},
        {"Pack_external_size", FN(Datatype_Pack_external_size), FASTKW,
         Datatype_Pack_external_size_doc},
        {"tocode", (PyCFunction)Datatype_tocode, METH_NOARGS,
         Datatype_tocode_doc},
        {"fromcode", FN(Datatype_fromcode), CLSFASTKW, Datatype_fromcode_doc},
        /* mpi4py's aliases */
        {"Create_dup", (PyCFunction)Datatype_Dup, METH_NOARGS,
         Datatype_Create_dup_doc},
        {"Resized", FN(Datatype_Create_resized), FASTKW, Datatype_Resized_doc},
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
        {"name", (getter)Datatype_get_name, (setter)Datatype_set_name,
         "Print name.", NULL},
        {"handle", (getter)Datatype_get_handle, NULL, "MPI handle.", NULL},
        {"is_predefined", (getter)Datatype_get_is_predefined, NULL,
         "Is a predefined datatype.", NULL},
        {"is_named", (getter)Datatype_get_is_named, NULL,
         "Is a named datatype.", NULL},
        {"combiner", (getter)Datatype_get_combiner, NULL, "Combiner.", NULL},
        {"envelope", (getter)Datatype_get_envelope, NULL, "Envelope.", NULL},
        {"contents", (getter)Datatype_get_contents, NULL, "Contents.", NULL},
        {"typechar", (getter)Datatype_get_typechar, NULL, "Character code.",
         NULL},
        {"typestr", (getter)Datatype_get_typestr, NULL, "Type string.", NULL},
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
            {"LOGICAL16", MPI_LOGICAL16},
            {"INTEGER16", MPI_INTEGER16},
            {"REAL2", MPI_REAL2},
            {"REAL16", MPI_REAL16},
            {"COMPLEX4", MPI_COMPLEX4},
            {"COMPLEX32", MPI_COMPLEX32},
            {"FLOAT16_T", MPI_FLOAT16_T},
            {"FLOAT32_T", MPI_FLOAT32_T},
            {"FLOAT64_T", MPI_FLOAT64_T},
            {"BFLOAT16_T", MPI_BFLOAT16_T},
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
            /* more of mpi4py's codes (NumPy's and PEP 3118's) */
            {"a", MPI_CHAR},
            {"s", MPI_CHAR},
            {"S", MPI_CHAR},
            {"S1", MPI_CHAR},
            {"U", MPI_WCHAR},
            {"U1", MPI_WCHAR},
            {"w", MPI_WCHAR},
            {"u", MPI_UINT16_T},
            {"p", MPI_AINT},
            {"n", MPI_COUNT},
            {"P", MPI_UNSIGNED_LONG},
            {"N", MPI_UNSIGNED_LONG},
            {"m", MPI_INT64_T},
            {"M", MPI_INT64_T},
            {sizeof(long double) == 16 ? "f16" : "f12", MPI_LONG_DOUBLE},
            {sizeof(long double) == 16 ? "c32" : "c24",
             MPI_C_LONG_DOUBLE_COMPLEX},
    };
    static const struct {
        const char *name;
        int value;
    } ints[] = {
            {"ORDER_C", MPI_ORDER_C},
            {"ORDER_FORTRAN", MPI_ORDER_FORTRAN},
            {"ORDER_F", MPI_ORDER_FORTRAN},
            {"DISTRIBUTE_NONE", MPI_DISTRIBUTE_NONE},
            {"DISTRIBUTE_BLOCK", MPI_DISTRIBUTE_BLOCK},
            {"DISTRIBUTE_CYCLIC", MPI_DISTRIBUTE_CYCLIC},
            {"DISTRIBUTE_DFLT_DARG", MPI_DISTRIBUTE_DFLT_DARG},
            {"TYPECLASS_LOGICAL", MPI_TYPECLASS_LOGICAL},
            {"TYPECLASS_INTEGER", MPI_TYPECLASS_INTEGER},
            {"TYPECLASS_REAL", MPI_TYPECLASS_REAL},
            {"TYPECLASS_COMPLEX", MPI_TYPECLASS_COMPLEX},
            {"COMBINER_NAMED", MPI_COMBINER_NAMED},
            {"COMBINER_DUP", MPI_COMBINER_DUP},
            {"COMBINER_CONTIGUOUS", MPI_COMBINER_CONTIGUOUS},
            {"COMBINER_VECTOR", MPI_COMBINER_VECTOR},
            {"COMBINER_HVECTOR", MPI_COMBINER_HVECTOR},
            {"COMBINER_INDEXED", MPI_COMBINER_INDEXED},
            {"COMBINER_HINDEXED", MPI_COMBINER_HINDEXED},
            {"COMBINER_INDEXED_BLOCK", MPI_COMBINER_INDEXED_BLOCK},
            {"COMBINER_HINDEXED_BLOCK", MPI_COMBINER_HINDEXED_BLOCK},
            {"COMBINER_STRUCT", MPI_COMBINER_STRUCT},
            {"COMBINER_SUBARRAY", MPI_COMBINER_SUBARRAY},
            {"COMBINER_DARRAY", MPI_COMBINER_DARRAY},
            {"COMBINER_RESIZED", MPI_COMBINER_RESIZED},
            {"COMBINER_F90_INTEGER", MPI_COMBINER_F90_INTEGER},
            {"COMBINER_F90_REAL", MPI_COMBINER_F90_REAL},
            {"COMBINER_F90_COMPLEX", MPI_COMBINER_F90_COMPLEX},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (PyModule_AddIntConstant(m, ints[i].name, ints[i].value) < 0)
            return -1;
    }

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
