/*
 * datatype_derived.c -- the constructors of derived datatypes:
 * Create_contiguous, vector, hvector, indexed, hindexed, indexed_block,
 * hindexed_block, struct, subarray, darray, resized and the Fortran 90
 * parameterized types.
 */
#include "cmpi.h"

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
    if (q > INT_MAX) {
        return PyErr_Format(PyExc_OverflowError,
                            "count=%lld is too large for this MPI library",
                            (long long)count);
    }
    ierr = MPI_Type_get_extent(self->ob_mpi, &lb, &extent);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Type_vector((int)q, INT_MAX, INT_MAX, self->ob_mpi,
                               &parts[0]);
    }
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Type_contiguous((int)r, self->ob_mpi, &parts[1]);
    }
    if (ierr == MPI_SUCCESS) {
        int blocks[2] = {1, 1};
        MPI_Aint displs[2] = {0, (MPI_Aint)(q * INT_MAX) * extent};
        ierr = MPI_Type_create_struct(2, blocks, displs, parts, &dt);
    }
    for (int i = 0; i < 2; i++) {
        if (parts[i] != MPI_DATATYPE_NULL) {
            MPI_Type_free(&parts[i]);
        }
    }
#endif
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_datatype_new(self->st, dt, 0);
}

static PyObject *
Datatype_Create_contiguous(DatatypeObject *self, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"count", NULL};
    PyObject *a[1] = {NULL};
    int count;
    if (cmpi_parse("Create_contiguous", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (PyLong_Check(a[0])) {
        long long big = PyLong_AsLongLong(a[0]);
        if (big == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (big > INT_MAX) {
            return contiguous_big(self, (MPI_Count)big);
        }
    }
    if (cmpi_as_int(a[0], &count, "count") < 0) {
        return NULL;
    }
    MPI_Datatype dt;
    int ierr = MPI_Type_contiguous(count, self->ob_mpi, &dt);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_datatype_new(self->st, dt, 0);
}

/* A sequence of integers as a C array (PyMem) of elements `size` bytes
 * wide, each converted by `item` (which raises and returns -1 on failure);
 * *n gets its length.  The int, MPI_Count and MPI_Aint arrays below. */
typedef int (*seq_item_fn)(PyObject *item, void *slot, const char *what);

static int
seq_to_array(PyObject *obj, size_t size, seq_item_fn item, void **out, int *n,
             const char *what)
{
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of integers");
    if (seq == NULL) {
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    char *arr = PyMem_Malloc((len > 0 ? (size_t)len : 1) * size);
    if (arr == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        if (item(PySequence_Fast_GET_ITEM(seq, i), arr + (size_t)i * size,
                 what) < 0) {
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
int_item(PyObject *obj, void *slot, const char *what)
{
    return cmpi_item_as_int(obj, (int *)slot, what);
}

static int
cmpi_int_array(PyObject *obj, int **out, int *n, const char *what)
{
    void *arr;
    if (seq_to_array(obj, sizeof(int), int_item, &arr, n, what) < 0) {
        return -1;
    }
    *out = arr;
    return 0;
}

/* A count past C int that MPI_Count holds (the counts, block lengths and
 * sizes mpi4py takes as MPI_Count; not darray's distribution arguments,
 * which it takes as int): mpi4py 4.1.2 passes it to
 * MPI-4's large-count constructor, or, where the library lacks it (Open
 * MPI 4.1), refuses it with ERR_ARG; cmpi calls the int form and raises
 * ERR_ARG too.  One past MPI_Count stays Python's OverflowError, as in
 * mpi4py.  Called when converting `obj` (a number or a sequence of them)
 * raised; returns -1. */
static int
dt_count_overflow(cmpi_state *st, PyObject *obj, const char *what)
{
    if (!PyErr_ExceptionMatches(PyExc_OverflowError)) {
        return -1;
    }
    PyObject *exc = PyErr_GetRaisedException_compat();
    int is_seq = PySequence_Check(obj) && !PyUnicode_Check(obj) &&
                 !PyBytes_Check(obj);
    PyObject *seq = is_seq ? PySequence_Fast(obj, "") : NULL;
    Py_ssize_t n = seq ? PySequence_Fast_GET_SIZE(seq) : 1;
    PyErr_Clear();
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *num =
                PyNumber_Long(seq ? PySequence_Fast_GET_ITEM(seq, i) : obj);
        if (num == NULL) {
            PyErr_Clear();
            continue;
        }
        int overflow;
        long long v = PyLong_AsLongLongAndOverflow(num, &overflow);
        Py_DECREF(num);
        if (overflow != 0) {
            break; /* past MPI_Count: keep the OverflowError */
        }
        if (v > INT_MAX || v < INT_MIN) {
            Py_XDECREF(seq);
            Py_DECREF(exc);
            cmpi_raise_msg(st, MPI_ERR_ARG,
                           "invalid argument: %s: %lld does not fit in a C "
                           "int",
                           what, v);
            return -1;
        }
    }
    Py_XDECREF(seq);
    PyErr_SetRaisedException_compat(exc);
    return -1;
}
#define DT_INT(st, obj, out, what) \
    (cmpi_as_int(obj, out, what) < 0 ? dt_count_overflow(st, obj, what) : 0)
#define DT_INT_ARRAY(st, obj, out, n, what)                                   \
    (cmpi_int_array(obj, out, n, what) < 0 ? dt_count_overflow(st, obj, what) \
                                           : 0)

/* The arguments MPI-4.0's large-count constructors take as MPI_Count (a
 * count, block length, stride, displacement or size): past C int, the
 * constructor is called in its large-count form where the library has it
 * (MPICH 4, as mpi4py does), and refused with ERR_ARG elsewhere.  *big is
 * set, and 0 returned, when obj (or an item of it) is past C int and the
 * large-count form will take it: the constructor then parses its
 * arguments again as MPI_Count (past MPI_Count, OverflowError). */
static int
dt_count_big(cmpi_state *st, PyObject *obj, const char *what, int *big)
{
#if CMPI_HAVE_TYPE_CREATE_C
    (void)st, (void)obj, (void)what;
    if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
        PyErr_Clear();
        *big = 1;
        return 0;
    }
    return -1;
#else
    (void)big;
    return dt_count_overflow(st, obj, what);
#endif
}
#define DT_COUNT(st, obj, out, what, big) \
    (cmpi_as_int(obj, out, what) < 0 ? dt_count_big(st, obj, what, big) : 0)
#define DT_COUNT_ARRAY(st, obj, out, n, what, big)                            \
    (cmpi_int_array(obj, out, n, what) < 0 ? dt_count_big(st, obj, what, big) \
                                           : 0)

#if CMPI_HAVE_TYPE_CREATE_C
static PyObject *
new_derived(DatatypeObject *self, int ierr, MPI_Datatype dt);
static int
check_same_length(int n1, const char *w1, int n2, const char *w2);
static int
check_order(cmpi_state *st, int order);

static int
count_scalar(PyObject *obj, MPI_Count *out, const char *what)
{
    long long v;
    if (cmpi_as_llong(obj, &v, what) < 0) {
        return -1;
    }
    *out = (MPI_Count)v;
    return 0;
}

static int
count_item(PyObject *obj, void *slot, const char *what)
{
    return count_scalar(obj, (MPI_Count *)slot, what);
}

static int
count_array(PyObject *obj, MPI_Count **out, int *n, const char *what)
{
    void *arr;
    if (seq_to_array(obj, sizeof(MPI_Count), count_item, &arr, n, what) < 0) {
        return -1;
    }
    *out = arr;
    return 0;
}

/* The large-count forms of the constructors below, with their checks,
 * from the same arguments (a). */
enum dt_large_kind {
    DT_VECTOR,
    DT_HVECTOR,
    DT_INDEXED,
    DT_HINDEXED,
    DT_INDEXED_BLOCK,
    DT_HINDEXED_BLOCK,
    DT_SUBARRAY
};

static PyObject *
derived_large(DatatypeObject *self, enum dt_large_kind kind, PyObject **a)
{
    MPI_Count c0 = 0, c1 = 0, c2 = 0;
    MPI_Count *v0 = NULL, *v1 = NULL, *v2 = NULL;
    int n0 = 0, n1 = 0, n2 = 0, ierr = MPI_SUCCESS, order = MPI_ORDER_C;
    MPI_Datatype dt = MPI_DATATYPE_NULL, old = self->ob_mpi;
    PyObject *res = NULL;
    switch (kind) {
        case DT_VECTOR:
        case DT_HVECTOR:
            if (count_scalar(a[0], &c0, "count") < 0 ||
                count_scalar(a[1], &c1, "blocklength") < 0 ||
                count_scalar(a[2], &c2, "stride") < 0) {
                goto done;
            }
            ierr = kind == DT_VECTOR
                           ? MPI_Type_vector_c(c0, c1, c2, old, &dt)
                           : MPI_Type_create_hvector_c(c0, c1, c2, old, &dt);
            break;
        case DT_INDEXED:
        case DT_HINDEXED:
            if (count_array(a[0], &v0, &n0, "blocklengths") < 0 ||
                count_array(a[1], &v1, &n1, "displacements") < 0) {
                goto done;
            }
            if (n0 != n1) {
                PyErr_SetString(PyExc_ValueError,
                                "blocklengths and "
                                "displacements differ in "
                                "length");
                goto done;
            }
            ierr = kind == DT_INDEXED
                           ? MPI_Type_indexed_c(n0, v0, v1, old, &dt)
                           : MPI_Type_create_hindexed_c(n0, v0, v1, old, &dt);
            break;
        case DT_INDEXED_BLOCK:
        case DT_HINDEXED_BLOCK:
            if (count_scalar(a[0], &c0, "blocklength") < 0 ||
                count_array(a[1], &v1, &n1, "displacements") < 0) {
                goto done;
            }
            if (c0 < 0) {
                cmpi_raise_msg(self->st, MPI_ERR_ARG,
                               "negative blocklength %lld", (long long)c0);
                goto done;
            }
            ierr = kind == DT_INDEXED_BLOCK ? MPI_Type_create_indexed_block_c(
                                                      n1, c0, v1, old, &dt)
                                            : MPI_Type_create_hindexed_block_c(
                                                      n1, c0, v1, old, &dt);
            break;
        case DT_SUBARRAY:
            if (count_array(a[0], &v0, &n0, "sizes") < 0 ||
                count_array(a[1], &v1, &n1, "subsizes") < 0 ||
                count_array(a[2], &v2, &n2, "starts") < 0 ||
                cmpi_opt_int(a[3], &order, MPI_ORDER_C, "order") < 0 ||
                check_same_length(n0, "sizes", n1, "subsizes") < 0 ||
                check_same_length(n0, "sizes", n2, "starts") < 0 ||
                check_order(self->st, order) < 0) {
                goto done;
            }
            for (int i = 0; i < n0; i++) {
                if (v0[i] < 1 || v1[i] < 1 || v1[i] > v0[i] || v2[i] < 0 ||
                    v2[i] > v0[i] - v1[i]) {
                    cmpi_raise_msg(self->st, MPI_ERR_ARG,
                                   "dimension %d: subsize %lld at start %lld "
                                   "does not fit in size %lld",
                                   i, (long long)v1[i], (long long)v2[i],
                                   (long long)v0[i]);
                    goto done;
                }
            }
            ierr = MPI_Type_create_subarray_c(n0, v0, v1, v2, order, old, &dt);
            break;
    }
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(v0);
    PyMem_Free(v1);
    PyMem_Free(v2);
    return res;
}
#else
#define derived_large(self, kind, a) NULL
#endif

static int
aint_item(PyObject *obj, void *slot, const char *what)
{
    (void)what;
    /* __index__, as mpi4py: NumPy integers, no floats */
    Py_ssize_t v = PyNumber_AsSsize_t(obj, PyExc_OverflowError);
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    *(MPI_Aint *)slot = (MPI_Aint)v;
    return 0;
}

static int
aint_array(PyObject *obj, MPI_Aint **out, int *n)
{
    void *arr;
    if (seq_to_array(obj, sizeof(MPI_Aint), aint_item, &arr, n, NULL) < 0) {
        return -1;
    }
    *out = arr;
    return 0;
}

static PyObject *
new_derived(DatatypeObject *self, int ierr, MPI_Datatype dt)
{
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
    int count, blocklength, stride, big = 0;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_vector", args, nargs, kwnames, kw, 3, a) < 0 ||
        DT_COUNT(self->st, a[0], &count, "count", &big) < 0 ||
        DT_COUNT(self->st, a[1], &blocklength, "blocklength", &big) < 0 ||
        DT_COUNT(self->st, a[2], &stride, "stride", &big) < 0) {
        return NULL;
    }
    if (big) {
        return derived_large(self, DT_VECTOR, a);
    }
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
    int count, blocklength, big = 0;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    if (cmpi_parse("Create_hvector", args, nargs, kwnames, kw, 3, a) < 0 ||
        DT_COUNT(self->st, a[0], &count, "count", &big) < 0 ||
        DT_COUNT(self->st, a[1], &blocklength, "blocklength", &big) < 0) {
        return NULL;
    }
    if (big) {
        return derived_large(self, DT_HVECTOR, a);
    }
    Py_ssize_t stride;
    if (cmpi_as_ssize(a[2], &stride, "stride") < 0) {
        return NULL;
    }
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
    int *bl = NULL, *dp = NULL, nb = 0, nd = 0, ierr, big = 0;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_indexed", args, nargs, kwnames, kw, 2, a) < 0 ||
        DT_COUNT_ARRAY(self->st, a[0], &bl, &nb, "blocklengths", &big) < 0 ||
        DT_COUNT_ARRAY(self->st, a[1], &dp, &nd, "displacements", &big) < 0) {
        goto done;
    }
    if (big) {
        res = derived_large(self, DT_INDEXED, a);
        goto done;
    }
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
    int *bl = NULL, nb = 0, nd = 0, ierr, big = 0;
    MPI_Aint *dp = NULL;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_hindexed", args, nargs, kwnames, kw, 2, a) < 0 ||
        DT_COUNT_ARRAY(self->st, a[0], &bl, &nb, "blocklengths", &big) < 0 ||
        aint_array(a[1], &dp, &nd) < 0) {
        goto done;
    }
    if (big) {
        res = derived_large(self, DT_HINDEXED, a);
        goto done;
    }
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
    int blocklength, *dp = NULL, nd = 0, ierr, big = 0;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_indexed_block", args, nargs, kwnames, kw, 2, a) <
                0 ||
        DT_COUNT(self->st, a[0], &blocklength, "blocklength", &big) < 0 ||
        DT_COUNT_ARRAY(self->st, a[1], &dp, &nd, "displacements", &big) < 0) {
        goto done;
    }
    if (big) {
        res = derived_large(self, DT_INDEXED_BLOCK, a);
        goto done;
    }
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
    if (cmpi_parse("Create_resized", args, nargs, kwnames, kw, 2, a) < 0) {
        return NULL;
    }
    Py_ssize_t lb, extent;
    if (cmpi_as_ssize(a[0], &lb, "lb") < 0 ||
        cmpi_as_ssize(a[1], &extent, "extent") < 0) {
        return NULL;
    }
    int ierr = MPI_Type_create_resized(self->ob_mpi, (MPI_Aint)lb,
                                       (MPI_Aint)extent, &dt);
    return new_derived(self, ierr, dt);
}

/* A sequence of Datatype objects as a C array (PyMem). */
static int
dtype_array(cmpi_state *st, PyObject *obj, MPI_Datatype **out, int *n)
{
    PyObject *seq = PySequence_Fast(obj, "datatypes: expected a sequence");
    if (seq == NULL) {
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    MPI_Datatype *arr = PyMem_New(MPI_Datatype, len > 0 ? len : 1);
    if (arr == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(seq, i);
        if (cmpi_dtype_arg(st, item, &arr[i], "a datatypes item") < 0) {
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

/* MPI.Exception (ERR_ARG, as MPI itself reports it) unless every entry
 * of arr[0..n) is >= lo. */
static int
check_min(cmpi_state *st, const int *arr, int n, int lo, const char *what)
{
    for (int i = 0; i < n; i++) {
        if (arr[i] < lo) {
            cmpi_raise_msg(st, MPI_ERR_ARG, "%s[%d]=%d, expected >= %d", what,
                           i, arr[i], lo);
            return -1;
        }
    }
    return 0;
}

static int
check_same_length(int n1, const char *w1, int n2, const char *w2)
{
    if (n1 == n2) {
        return 0;
    }
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
    int blocklength, nd = 0, ierr, big = 0;
    MPI_Aint *dp = NULL;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_hindexed_block", args, nargs, kwnames, kw, 2, a) <
                0 ||
        DT_COUNT(self->st, a[0], &blocklength, "blocklength", &big) < 0 ||
        aint_array(a[1], &dp, &nd) < 0) {
        goto done;
    }
    if (big) {
        res = derived_large(self, DT_HINDEXED_BLOCK, a);
        goto done;
    }
    if (blocklength < 0) {
        cmpi_raise_msg(self->st, MPI_ERR_ARG, "negative blocklength %d",
                       blocklength);
        goto done;
    }
    ierr = MPI_Type_create_hindexed_block(nd, blocklength, dp, self->ob_mpi,
                                          &dt);
    res = new_derived(self, ierr, dt);
done:
    PyMem_Free(dp);
    return res;
}

#if CMPI_HAVE_TYPE_CREATE_C
/* Create_struct's large-count form (see dt_count_big). */
static PyObject *
struct_large(cmpi_state *st, PyObject **a, const MPI_Datatype *types, int nt)
{
    MPI_Count *bl = NULL, *dp = NULL;
    int nb = 0, nd = 0;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (count_array(a[0], &bl, &nb, "blocklengths") < 0 ||
        count_array(a[1], &dp, &nd, "displacements") < 0 ||
        check_same_length(nb, "blocklengths", nd, "displacements") < 0 ||
        check_same_length(nb, "blocklengths", nt, "datatypes") < 0) {
        goto done;
    }
    for (int i = 0; i < nb; i++) {
        if (bl[i] < 0) {
            cmpi_raise_msg(st, MPI_ERR_ARG,
                           "blocklengths[%d]=%lld, expected "
                           ">= 0",
                           i, (long long)bl[i]);
            goto done;
        }
        if (types[i] == MPI_DATATYPE_NULL) {
            cmpi_raise_msg(st, MPI_ERR_TYPE, "datatypes[%d] is DATATYPE_NULL",
                           i);
            goto done;
        }
    }
    int ierr = MPI_Type_create_struct_c(nb, bl, dp, types, &dt);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
    }
    else {
        res = cmpi_datatype_new(st, dt, 0);
    }
done:
    PyMem_Free(bl);
    PyMem_Free(dp);
    return res;
}
#else
#define struct_large(st, a, types, nt) NULL
#endif

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
    int *bl = NULL, nb = 0, nd = 0, nt = 0, ierr, big = 0;
    MPI_Aint *dp = NULL;
    MPI_Datatype *types = NULL, dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL) {
        return NULL;
    }
    if (cmpi_parse("Create_struct", args, nargs, kwnames, kw, 3, a) < 0 ||
        DT_COUNT_ARRAY(st, a[0], &bl, &nb, "blocklengths", &big) < 0 ||
        aint_array(a[1], &dp, &nd) < 0 ||
        dtype_array(st, a[2], &types, &nt) < 0) {
        goto done;
    }
    if (big) {
        res = struct_large(st, a, types, nt);
        goto done;
    }
    if (check_same_length(nb, "blocklengths", nd, "displacements") < 0 ||
        check_same_length(nb, "blocklengths", nt, "datatypes") < 0 ||
        check_min(st, bl, nb, 0, "blocklengths") < 0) {
        goto done;
    }
    for (int i = 0; i < nt; i++) {
        if (types[i] == MPI_DATATYPE_NULL) {
            cmpi_raise_msg(st, MPI_ERR_TYPE, "datatypes[%d] is DATATYPE_NULL",
                           i);
            goto done;
        }
    }
    ierr = MPI_Type_create_struct(nb, bl, dp, types, &dt);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
    }
    else {
        res = cmpi_datatype_new(st, dt, 0);
    }
done:
    PyMem_Free(bl);
    PyMem_Free(dp);
    PyMem_Free(types);
    return res;
}

static int
check_order(cmpi_state *st, int order)
{
    if (order == MPI_ORDER_C || order == MPI_ORDER_FORTRAN) {
        return 0;
    }
    cmpi_raise_msg(st, MPI_ERR_ARG,
                   "order=%d, expected ORDER_C or ORDER_FORTRAN", order);
    return -1;
}

CMPI_DOC(Datatype_Create_subarray_doc,
         "Create_subarray($self, sizes, subsizes, starts, "
         "order=cmpi.MPI.ORDER_C)",
         "Create a datatype for a subarray of a multidimensional array.");
static PyObject *
Datatype_Create_subarray(DatatypeObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"sizes", "subsizes", "starts", "order",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int *sizes = NULL, *subsizes = NULL, *starts = NULL;
    int n1 = 0, n2 = 0, n3 = 0, order, ierr, big = 0;
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    PyObject *res = NULL;
    if (cmpi_parse("Create_subarray", args, nargs, kwnames, kw, 3, a) < 0 ||
        DT_COUNT_ARRAY(self->st, a[0], &sizes, &n1, "sizes", &big) < 0 ||
        DT_COUNT_ARRAY(self->st, a[1], &subsizes, &n2, "subsizes", &big) < 0 ||
        DT_COUNT_ARRAY(self->st, a[2], &starts, &n3, "starts", &big) < 0 ||
        cmpi_opt_int(a[3], &order, MPI_ORDER_C, "order") < 0) {
        goto done;
    }
    if (big) {
        res = derived_large(self, DT_SUBARRAY, a);
        goto done;
    }
    if (check_same_length(n1, "sizes", n2, "subsizes") < 0 ||
        check_same_length(n1, "sizes", n3, "starts") < 0 ||
        check_order(self->st, order) < 0) {
        goto done;
    }
    if (n1 < 1) {
        PyErr_SetString(PyExc_ValueError, "sizes: at least one dimension");
        goto done;
    }
    /* MPICH accepts a subarray that does not fit in the array. */
    for (int i = 0; i < n1; i++) {
        if (sizes[i] < 1 || subsizes[i] < 1 || subsizes[i] > sizes[i] ||
            starts[i] < 0 || starts[i] > sizes[i] - subsizes[i]) {
            cmpi_raise_msg(self->st, MPI_ERR_ARG,
                           "dimension %d: subsize %d at start %d does not "
                           "fit in size %d",
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

CMPI_DOC(Datatype_Create_darray_doc,
         "Create_darray($self, size, rank, gsizes, distribs, dargs, psizes, "
         "order=cmpi.MPI.ORDER_C)",
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
        DT_INT_ARRAY(self->st, a[2], &gsizes, &n1, "gsizes") < 0 ||
        cmpi_int_array(a[3], &distribs, &n2, "distribs") < 0 ||
        cmpi_int_array(a[4], &dargs, &n3, "dargs") < 0 ||
        cmpi_int_array(a[5], &psizes, &n4, "psizes") < 0 ||
        cmpi_opt_int(a[6], &order, MPI_ORDER_C, "order") < 0) {
        goto done;
    }
    if (check_same_length(n1, "gsizes", n2, "distribs") < 0 ||
        check_same_length(n1, "gsizes", n3, "dargs") < 0 ||
        check_same_length(n1, "gsizes", n4, "psizes") < 0 ||
        check_order(self->st, order) < 0 ||
        check_min(self->st, gsizes, n1, 1, "gsizes") < 0 ||
        check_min(self->st, psizes, n4, 1, "psizes") < 0) {
        goto done;
    }
    if (size < 1 || rank < 0 || rank >= size) {
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "rank=%d is not in a group of size=%d", rank, size);
        goto done;
    }
    long long prod = 1;
    for (int i = 0; i < n4 && prod <= size; i++) {
        prod *= psizes[i];
    }
    if (prod != size) {
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "the product of psizes is not size=%d", size);
        goto done;
    }
    for (int i = 0; i < n2; i++) {
        if (distribs[i] != MPI_DISTRIBUTE_BLOCK &&
            distribs[i] != MPI_DISTRIBUTE_CYCLIC &&
            distribs[i] != MPI_DISTRIBUTE_NONE) {
            cmpi_raise_msg(self->st, MPI_ERR_ARG,
                           "distribs[%d]=%d is not a DISTRIBUTE_ constant", i,
                           distribs[i]);
            goto done;
        }
        if (dargs[i] != MPI_DISTRIBUTE_DFLT_DARG && dargs[i] < 1) {
            cmpi_raise_msg(self->st, MPI_ERR_ARG,
                           "dargs[%d]=%d, expected >= 1 or "
                           "DISTRIBUTE_DFLT_DARG",
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
    if (st == NULL) {
        return NULL;
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
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
        cmpi_as_int(a[0], &r, "r") < 0) {
        return NULL;
    }
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
        cmpi_as_int(a[0], &p, "p") < 0 || cmpi_as_int(a[1], &r, "r") < 0) {
        return NULL;
    }
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
        cmpi_as_int(a[0], &p, "p") < 0 || cmpi_as_int(a[1], &r, "r") < 0) {
        return NULL;
    }
    int ierr = MPI_Type_create_f90_complex(p, r, &dt);
    return new_f90(cls, ierr, dt);
}

#undef DT_INT
#undef DT_COUNT
#undef DT_COUNT_ARRAY
#ifdef derived_large
#undef derived_large
#undef struct_large
#endif
#undef DT_INT_ARRAY
