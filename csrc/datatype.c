/*
 * datatype.c -- MPI.Datatype and the predefined datatypes.
 */
#include "cmpi.h"

/* A datatype that decode() handed out: freed when the object goes. */
#define CMPI_DT_TEMP 0x100u

static PyObject *
cmpi_datatype_new(cmpi_state *st, MPI_Datatype dt, unsigned flags)
{
    DatatypeObject *self = PyObject_New(DatatypeObject, st->Datatype_Type);
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = dt;
    if (!(flags & CMPI_CONST) && dt != MPI_DATATYPE_NULL) {
        flags |= CMPI_DT_UNVERIFIED;
    }
    self->flags = flags;
    self->copies.next = self->copies.prev = NULL;
    self->st = st;
    self->weakreflist = NULL; /* PyObject_New does not zero it */
    return (PyObject *)self;
}

/* MPI has no query for commitment, but both MPIs check it in MPI_Pack:
 * an empty one answers. */
static int
cmpi_datatype_check_committed(cmpi_state *st, MPI_Datatype dt,
                              const char *what)
{
    char in = 0, out = 0;
    int pos = 0;
    if (dt == MPI_DATATYPE_NULL) {
        cmpi_raise_msg(st, MPI_ERR_TYPE, "%s is DATATYPE_NULL", what);
        return -1;
    }
    int ierr = MPI_Pack(&in, 0, dt, &out, 0, &pos, MPI_COMM_SELF);
    if (ierr != MPI_SUCCESS) {
        int cls = MPI_ERR_TYPE;
        MPI_Error_class(ierr, &cls);
        cmpi_raise_msg(st, cls,
                       "%s is not usable here: not committed? (call "
                       "Commit() first)",
                       what);
        return -1;
    }
    return 0;
}

static PyObject *
Datatype_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"datatype", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Datatype", kwlist,
                                     &other)) {
        return NULL;
    }
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
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = h;
    /* a copy is as committed as what it copies */
    self->flags =
            other != NULL && other != Py_None
                    ? ((DatatypeObject *)other)->flags & CMPI_DT_UNVERIFIED
                    : 0;
    self->st = st;
    if (other != NULL && other != Py_None) {
        cmpi_handle_link((PyObject *)self, other, CMPI_HK_DATATYPE);
    }
    return (PyObject *)self;
}

static void
Datatype_dealloc(DatatypeObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    if ((self->flags & CMPI_DT_TEMP) && self->ob_mpi != MPI_DATATYPE_NULL) {
        int finalized = 1;
        MPI_Finalized(&finalized);
        if (!finalized) {
            MPI_Type_free(&self->ob_mpi);
            cmpi_handle_freed((PyObject *)self, CMPI_HK_DATATYPE, NULL);
        }
    }
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_DATATYPE);
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
    if (self->ob_mpi != MPI_DATATYPE_NULL) {
        MPI_Type_get_name(self->ob_mpi, name, &len);
    }
    if (len > 4 && strncmp(name, "MPI_", 4) == 0 &&
        (self->flags & CMPI_CONST)) {
        return PyUnicode_FromFormat("<%s: %s>", "Datatype", name + 4);
    }
    return PyUnicode_FromFormat("<Datatype object at %p>", self);
}

CMPI_DOC(Datatype_Get_size_doc, "Get_size($self)",
         "Return the number of bytes occupied by entries in the datatype.");
static PyObject *
Datatype_Get_size(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Count size = 0;
    int ierr = MPI_Type_size_x(self->ob_mpi, &size);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLongLong((long long)size);
}

CMPI_DOC(Datatype_Get_extent_doc, "Get_extent($self)",
         "Return lower bound and extent of datatype.");
static PyObject *
Datatype_Get_extent(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return Py_BuildValue("(LL)", (long long)lb, (long long)extent);
}

CMPI_DOC(Datatype_Get_name_doc, "Get_name($self)",
         "Get the print name for this datatype.");
static PyObject *
Datatype_Get_name(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    char name[MPI_MAX_OBJECT_NAME + 1];
    int len = 0;
    if (self->ob_mpi == MPI_DATATYPE_NULL) { /* MPI has no name for it */
        return PyUnicode_FromString("MPI_DATATYPE_NULL");
    }
    int ierr = MPI_Type_get_name(self->ob_mpi, name, &len);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyUnicode_FromStringAndSize(name, len);
}

CMPI_DOC(Datatype_Set_name_doc, "Set_name($self, name)",
         "Set the print name for this datatype.");
static PyObject *
Datatype_Set_name(DatatypeObject *self, PyObject *arg)
{
    Py_ssize_t len;
    const char *name = cmpi_as_mpistr(arg, &len, "name");
    if (name == NULL) {
        return NULL;
    }
    int ierr = MPI_Type_set_name(self->ob_mpi, (char *)name);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Datatype_Set_name, DatatypeObject, "Set_name", "name")

CMPI_DOC(Datatype_Dup_doc, "Dup($self)", "Duplicate a datatype.");
static PyObject *
Datatype_Dup(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Datatype dt;
    int ierr = MPI_Type_dup(self->ob_mpi, &dt);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_datatype_new(self->st, dt, 0);
}

CMPI_DOC(Datatype_Commit_doc, "Commit($self)", "Commit the datatype.");
static PyObject *
Datatype_Commit(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    int ierr = MPI_Type_commit(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    self->flags &= ~CMPI_DT_UNVERIFIED;
    return Py_NewRef(self);
}

CMPI_DOC(Datatype_Free_doc, "Free($self)", "Free the datatype.");
static PyObject *
Datatype_Free(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    if (self->flags & CMPI_CONST) {
        return cmpi_raise_msg(self->st, MPI_ERR_TYPE,
                              "cannot free a predefined datatype");
    }
    CMPI_STALE_CHECK(self, CMPI_HK_DATATYPE);
    int ierr = MPI_Type_free(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_handle_freed((PyObject *)self, CMPI_HK_DATATYPE, NULL);
    Py_RETURN_NONE;
}

CMPI_DOC(Datatype_Get_true_extent_doc, "Get_true_extent($self)",
         "Return the true lower bound and extent of a datatype.");
static PyObject *
Datatype_Get_true_extent(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_true_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return Py_BuildValue("(LL)", (long long)lb, (long long)extent);
}

/* Which number of a (true) extent a property returns: its lower bound,
 * its extent, or its upper bound (lb + extent). */
enum extent_part {
    EXTENT_LB,
    EXTENT_EXTENT,
    EXTENT_UB
};

static PyObject *
true_extent_part(DatatypeObject *self, enum extent_part which)
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_true_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    long long v = which == EXTENT_LB       ? lb
                  : which == EXTENT_EXTENT ? extent
                                           : lb + extent;
    return PyLong_FromLongLong(v);
}

static PyObject *
Datatype_get_true_lb(DatatypeObject *self, void *Py_UNUSED(c))
{
    return true_extent_part(self, EXTENT_LB);
}

static PyObject *
Datatype_get_true_extent(DatatypeObject *self, void *Py_UNUSED(c))
{
    return true_extent_part(self, EXTENT_EXTENT);
}

static PyObject *
Datatype_get_true_ub(DatatypeObject *self, void *Py_UNUSED(c))
{
    return true_extent_part(self, EXTENT_UB);
}

static PyObject *
Datatype_get_size(DatatypeObject *self, void *Py_UNUSED(c))
{
    return Datatype_Get_size(self, NULL);
}

static PyObject *
extent_part(DatatypeObject *self, enum extent_part which)
{
    MPI_Count lb = 0, extent = 0;
    int ierr = MPI_Type_get_extent_x(self->ob_mpi, &lb, &extent);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    long long v = which == EXTENT_LB       ? lb
                  : which == EXTENT_EXTENT ? extent
                                           : lb + extent;
    return PyLong_FromLongLong(v);
}

static PyObject *
Datatype_get_lb(DatatypeObject *self, void *Py_UNUSED(c))
{
    return extent_part(self, EXTENT_LB);
}

static PyObject *
Datatype_get_extent(DatatypeObject *self, void *Py_UNUSED(c))
{
    return extent_part(self, EXTENT_EXTENT);
}

static PyObject *
Datatype_get_ub(DatatypeObject *self, void *Py_UNUSED(c))
{
    return extent_part(self, EXTENT_UB);
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
    int ni, na, nc, nd, combiner;
    if (self->ob_mpi == MPI_DATATYPE_NULL) {
        Py_RETURN_TRUE;
    }
    int ierr = cmpi_type_envelope(self->ob_mpi, &ni, &na, &nc, &nd, &combiner);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyBool_FromLong(cmpi_is_named_combiner(combiner));
}

/* ---------------------------------------------------------------------
 * Decoding: envelope, contents, decode().
 */

static int
cmpi_type_envelope(MPI_Datatype dt, int *ni, int *na, int *nc, int *nd,
                   int *combiner)
{
#if CMPI_HAVE_TYPE_GET_CONTENTS_C
    MPI_Count cni = 0, cna = 0, cnc = 0, cnd = 0;
    int ierr = MPI_Type_get_envelope_c(dt, &cni, &cna, &cnc, &cnd, combiner);
    if (ierr == MPI_SUCCESS &&
        (cni > INT_MAX || cna > INT_MAX || cnc > INT_MAX || cnd > INT_MAX)) {
        return MPI_ERR_COUNT; /* no datatype Python can build has as many */
    }
    *ni = (int)cni;
    *na = (int)cna;
    *nc = (int)cnc;
    *nd = (int)cnd;
    return ierr;
#else
    *nc = 0;
    return MPI_Type_get_envelope(dt, ni, na, nd, combiner);
#endif
}

static void
cmpi_type_contents_release(cmpi_type_contents *c)
{
    PyMem_Free(c->i);
    PyMem_Free(c->a);
    PyMem_Free(c->c);
    PyMem_Free(c->d);
    c->i = NULL;
    c->a = NULL;
    c->c = NULL;
    c->d = NULL;
}

/* The envelope and contents of a derived datatype: 0, -1 with a
 * MemoryError set, or an MPI error code (nothing set). */
static int
cmpi_type_contents_get(MPI_Datatype dt, cmpi_type_contents *c)
{
    memset(c, 0, sizeof(*c));
    int ierr = cmpi_type_envelope(dt, &c->ni, &c->na, &c->nc, &c->nd,
                                  &c->combiner);
    if (ierr != MPI_SUCCESS || c->combiner == MPI_COMBINER_NAMED) {
        return ierr;
    }
    c->i = PyMem_New(int, c->ni + 1);
    c->a = PyMem_New(MPI_Aint, c->na + 1);
    c->c = PyMem_New(MPI_Count, c->nc + 1);
    c->d = PyMem_New(MPI_Datatype, c->nd + 1);
    if (c->i == NULL || c->a == NULL || c->c == NULL || c->d == NULL) {
        cmpi_type_contents_release(c);
        PyErr_NoMemory();
        return -1;
    }
#if CMPI_HAVE_TYPE_GET_CONTENTS_C
    ierr = MPI_Type_get_contents_c(dt, c->ni, c->na, c->nc, c->nd, c->i, c->a,
                                   c->c, c->d);
#else
    ierr = MPI_Type_get_contents(dt, c->ni, c->na, c->nd, c->i, c->a, c->d);
#endif
    if (ierr != MPI_SUCCESS) {
        cmpi_type_contents_release(c);
    }
    return ierr;
}

static int
cmpi_is_named_combiner(int combiner)
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
        if (names[i].value == combiner) {
            return names[i].name;
        }
    }
    return NULL;
}

/* Who frees the derived datatypes a get_contents result wraps: the
 * caller (Get_contents: they are new handles to Free), or the object
 * itself when it goes (decode). */
enum contents_owner {
    CONTENTS_CALLER_FREES,
    CONTENTS_OBJECT_FREES
};

/* A Datatype object for a handle MPI_Type_get_contents returned: named
 * ones are constants; derived ones are freed by `owner`. */
static PyObject *
wrap_contents_type(cmpi_state *st, MPI_Datatype dt, enum contents_owner owner)
{
    int ni, na, nc, nd, combiner = MPI_COMBINER_NAMED;
    cmpi_type_envelope(dt, &ni, &na, &nc, &nd, &combiner);
    if (cmpi_is_named_combiner(combiner)) {
        return cmpi_datatype_new(st, dt, CMPI_CONST);
    }
    return cmpi_datatype_new(
            st, dt, owner == CONTENTS_OBJECT_FREES ? CMPI_DT_TEMP : 0);
}

/* Free the derived handles of a get_contents result (on an error path). */
static void
cmpi_free_contents_types(MPI_Datatype *d, int n)
{
    for (int k = 0; k < n; k++) {
        int ni, na, nc, nd, combiner = MPI_COMBINER_NAMED;
        if (d[k] == MPI_DATATYPE_NULL) {
            continue;
        }
        cmpi_type_envelope(d[k], &ni, &na, &nc, &nd, &combiner);
        if (!cmpi_is_named_combiner(combiner)) {
            MPI_Type_free(&d[k]);
        }
    }
}

typedef cmpi_type_contents contents;

/* The envelope and contents of a derived datatype, or an exception. */
static int
contents_get(DatatypeObject *self, contents *c)
{
    int ierr = cmpi_type_contents_get(self->ob_mpi, c);
    if (ierr == -1) {
        return -1;
    }
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
    return 0;
}

static PyObject *
int_list(const int *p, int n)
{
    PyObject *l = PyList_New(n > 0 ? n : 0);
    for (int k = 0; l != NULL && k < n; k++) {
        PyObject *v = PyLong_FromLong(p[k]);
        if (v == NULL) {
            Py_CLEAR(l);
        }
        else {
            PyList_SET_ITEM(l, k, v);
        }
    }
    return l;
}

static PyObject *
aint_list(const MPI_Aint *p, int n)
{
    PyObject *l = PyList_New(n > 0 ? n : 0);
    for (int k = 0; l != NULL && k < n; k++) {
        PyObject *v = PyLong_FromSsize_t((Py_ssize_t)p[k]);
        if (v == NULL) {
            Py_CLEAR(l);
        }
        else {
            PyList_SET_ITEM(l, k, v);
        }
    }
    return l;
}

static PyObject *
count_list(const MPI_Count *p, int n)
{
    PyObject *l = PyList_New(n > 0 ? n : 0);
    for (int k = 0; l != NULL && k < n; k++) {
        PyObject *v = PyLong_FromLongLong((long long)p[k]);
        if (v == NULL) {
            Py_CLEAR(l);
        }
        else {
            PyList_SET_ITEM(l, k, v);
        }
    }
    return l;
}

/* Datatype objects for d[0..n); on failure the remaining handles are
 * freed. */
static PyObject *
dtype_list(cmpi_state *st, MPI_Datatype *d, int n, enum contents_owner owner)
{
    PyObject *l = PyList_New(n);
    if (l == NULL) {
        cmpi_free_contents_types(d, n);
        return NULL;
    }
    for (int k = 0; k < n; k++) {
        PyObject *o = wrap_contents_type(st, d[k], owner);
        if (o == NULL) {
            cmpi_free_contents_types(d + k, n - k);
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
    int ni = 0, na = 0, nc = 0, nd = 0, combiner = MPI_COMBINER_NAMED;
    int ierr = cmpi_type_envelope(self->ob_mpi, &ni, &na, &nc, &nd, &combiner);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return Py_BuildValue("(iiiii)", ni, na, nc, nd, combiner);
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
    if (contents_get(self, &c) < 0) {
        return NULL;
    }
    ld = dtype_list(self->st, c.d, c.nd, CONTENTS_CALLER_FREES);
    if (ld == NULL) {
        goto error;
    }
    li = int_list(c.i, c.ni);
    la = aint_list(c.a, c.na);
    lc = count_list(c.c, c.nc);
    if (li == NULL || la == NULL || lc == NULL) {
        goto error;
    }
    cmpi_type_contents_release(&c);
    return Py_BuildValue("(NNNN)", li, la, lc, ld);
error:
    cmpi_type_contents_release(&c);
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
        if (val == NULL || d == NULL ||
            PyDict_SetItemString(d, key, val) < 0) {
            Py_CLEAR(d);
        }
        Py_XDECREF(val);
    }
    va_end(va);
    return d;
}

static PyObject *
count_at(const MPI_Count *p, int k)
{
    return PyLong_FromLongLong((long long)p[k]);
}

/* decode()'s parameters for a datatype from a large-count constructor:
 * its counts and displacements are all in the large-count array, in the
 * order the int-count form keeps them in its int and address arrays
 * (MPI-4.0, 5.1.13); only SUBARRAY's and DARRAY's other integers stay in
 * the int array. */
static PyObject *
decode_params_large(const contents *c, PyObject *types)
{
    const int *i = c->i;
    const MPI_Count *L = c->c;
    int n, nl = c->nc, ni = c->ni;
    /* the layout's length, checked before any read */
#define NEED(ints, larges)              \
    if ((ints) > ni || (larges) > nl) { \
        goto bad_layout;                \
    }
    switch (c->combiner) {
        case MPI_COMBINER_CONTIGUOUS:
            NEED(0, 1);
            return params_dict(1, "count", count_at(L, 0));
        case MPI_COMBINER_VECTOR:
        case MPI_COMBINER_HVECTOR:
            NEED(0, 3);
            return params_dict(3, "count", count_at(L, 0), "blocklength",
                               count_at(L, 1), "stride", count_at(L, 2));
        case MPI_COMBINER_INDEXED:
        case MPI_COMBINER_HINDEXED:
        case MPI_COMBINER_STRUCT:
            NEED(0, 1);
            if (L[0] < 0 || L[0] > (nl - 1) / 2) {
                goto bad_layout;
            }
            n = (int)L[0];
            if (c->combiner == MPI_COMBINER_STRUCT) {
                return params_dict(3, "blocklengths", count_list(L + 1, n),
                                   "displacements", count_list(L + 1 + n, n),
                                   "datatypes", Py_NewRef(types));
            }
            return params_dict(2, "blocklengths", count_list(L + 1, n),
                               "displacements", count_list(L + 1 + n, n));
        case MPI_COMBINER_INDEXED_BLOCK:
        case MPI_COMBINER_HINDEXED_BLOCK:
            NEED(0, 2);
            if (L[0] < 0 || L[0] > nl - 2) {
                goto bad_layout;
            }
            n = (int)L[0];
            return params_dict(2, "blocklength", count_at(L, 1),
                               "displacements", count_list(L + 2, n));
        case MPI_COMBINER_SUBARRAY:
            NEED(2, 0);
            n = i[0];
            if (n < 0) {
                goto bad_layout;
            }
            NEED(2, 3 * (long long)n);
            return params_dict(4, "sizes", count_list(L, n), "subsizes",
                               count_list(L + n, n), "starts",
                               count_list(L + 2 * n, n), "order",
                               PyLong_FromLong(i[1]));
        case MPI_COMBINER_DARRAY:
            NEED(3, 0);
            n = i[2];
            if (n < 0) {
                goto bad_layout;
            }
            NEED(4 + 3 * (long long)n, n);
            return params_dict(7, "size", PyLong_FromLong(i[0]), "rank",
                               PyLong_FromLong(i[1]), "gsizes",
                               count_list(L, n), "distribs",
                               int_list(i + 3, n), "dargs",
                               int_list(i + 3 + n, n), "psizes",
                               int_list(i + 3 + 2 * n, n), "order",
                               PyLong_FromLong(i[3 + 3 * n]));
        case MPI_COMBINER_RESIZED:
            NEED(0, 2);
            return params_dict(2, "lb", count_at(L, 0), "extent",
                               count_at(L, 1));
        default: break;
    }
#undef NEED
bad_layout:
    PyErr_Format(PyExc_ValueError,
                 "unexpected large-count contents for combiner %d "
                 "(%d integers, %d large counts)",
                 c->combiner, ni, nl);
    return NULL;
}

/* decode()'s parameters for a combiner, from MPI's int/address arrays. */
static PyObject *
decode_params(const contents *c, PyObject *types)
{
    const int *i = c->i;
    const MPI_Aint *a = c->a;
    int n;
    if (c->combiner == MPI_COMBINER_DUP) {
        return PyDict_New();
    }
    if (c->nc > 0) {
        return decode_params_large(c, types);
    }
    if (c->combiner == MPI_COMBINER_CONTIGUOUS) {
        return params_dict(1, "count", PyLong_FromLong(i[0]));
    }
    if (c->combiner == MPI_COMBINER_VECTOR) {
        return params_dict(3, "count", PyLong_FromLong(i[0]), "blocklength",
                           PyLong_FromLong(i[1]), "stride",
                           PyLong_FromLong(i[2]));
    }
    if (c->combiner == MPI_COMBINER_HVECTOR) {
        return params_dict(3, "count", PyLong_FromLong(i[0]), "blocklength",
                           PyLong_FromLong(i[1]), "stride",
                           PyLong_FromSsize_t(a[0]));
    }
    if (c->combiner == MPI_COMBINER_INDEXED) {
        return params_dict(2, "blocklengths", int_list(i + 1, i[0]),
                           "displacements", int_list(i + 1 + i[0], i[0]));
    }
    if (c->combiner == MPI_COMBINER_HINDEXED) {
        return params_dict(2, "blocklengths", int_list(i + 1, i[0]),
                           "displacements", aint_list(a, i[0]));
    }
    if (c->combiner == MPI_COMBINER_INDEXED_BLOCK) {
        return params_dict(2, "blocklength", PyLong_FromLong(i[1]),
                           "displacements", int_list(i + 2, i[0]));
    }
    if (c->combiner == MPI_COMBINER_HINDEXED_BLOCK) {
        return params_dict(2, "blocklength", PyLong_FromLong(i[1]),
                           "displacements", aint_list(a, i[0]));
    }
    if (c->combiner == MPI_COMBINER_STRUCT) {
        return params_dict(3, "blocklengths", int_list(i + 1, i[0]),
                           "displacements", aint_list(a, i[0]), "datatypes",
                           Py_NewRef(types));
    }
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
    if (c->combiner == MPI_COMBINER_RESIZED) {
        return params_dict(2, "lb", PyLong_FromSsize_t(a[0]), "extent",
                           PyLong_FromSsize_t(a[1]));
    }
    if (c->combiner == MPI_COMBINER_F90_INTEGER) {
        return params_dict(1, "r", PyLong_FromLong(i[0]));
    }
    if (c->combiner == MPI_COMBINER_F90_REAL ||
        c->combiner == MPI_COMBINER_F90_COMPLEX) {
        return params_dict(2, "p", PyLong_FromLong(i[0]), "r",
                           PyLong_FromLong(i[1]));
    }
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
    int ni = 0, na = 0, nc = 0, nd = 0, combiner = MPI_COMBINER_NAMED;
    int ierr = cmpi_type_envelope(self->ob_mpi, &ni, &na, &nc, &nd, &combiner);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (combiner == MPI_COMBINER_NAMED) {
        return Py_BuildValue("(Os{})", (PyObject *)self, "NAMED");
    }
    const char *name = combiner_name(combiner);
    if (name == NULL) {
        PyErr_Format(PyExc_ValueError, "unknown combiner value %d", combiner);
        return NULL;
    }
    contents c;
    PyObject *types = NULL, *base = NULL, *params = NULL;
    if (contents_get(self, &c) < 0) {
        return NULL;
    }
    types = dtype_list(self->st, c.d, c.nd, CONTENTS_OBJECT_FREES);
    if (types == NULL) {
        goto error;
    }
    if (combiner != MPI_COMBINER_STRUCT && c.nd == 1) {
        base = Py_NewRef(PyList_GET_ITEM(types, 0));
    }
    else {
        base = cmpi_datatype_new(self->st, MPI_DATATYPE_NULL, CMPI_CONST);
    }
    if (base == NULL) {
        goto error;
    }
    params = decode_params(&c, types);
    if (params == NULL) {
        goto error;
    }
    cmpi_type_contents_release(&c);
    Py_DECREF(types);
    return Py_BuildValue("(NsN)", base, name, params);
error:
    cmpi_type_contents_release(&c);
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
    int ni, na, nc, nd, combiner = MPI_COMBINER_NAMED;
    int ierr = cmpi_type_envelope(self->ob_mpi, &ni, &na, &nc, &nd, &combiner);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(combiner);
}

static PyObject *
Datatype_get_is_named(DatatypeObject *self, void *Py_UNUSED(c))
{
    int ni, na, nc, nd, combiner = MPI_COMBINER_NAMED;
    int ierr = cmpi_type_envelope(self->ob_mpi, &ni, &na, &nc, &nd, &combiner);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyBool_FromLong(combiner == MPI_COMBINER_NAMED);
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
        cmpi_as_int(a[1], &size, "size") < 0) {
        return NULL;
    }
    MPI_Datatype dt = MPI_DATATYPE_NULL;
    int ierr = MPI_Type_match_size(typeclass, size, &dt);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
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
        cmpi_parse("Get_value_index", args, nargs, kwnames, kw, 2, a) < 0) {
        return NULL;
    }
    MPI_Datatype t[2];
    for (int i = 0; i < 2; i++) {
        if (!PyObject_TypeCheck(a[i], st->Datatype_Type)) {
            PyErr_Format(PyExc_TypeError, "%s must be a Datatype, not %.100s",
                         kw[i], Py_TYPE(a[i])->tp_name);
            return NULL;
        }
        t[i] = ((DatatypeObject *)a[i])->ob_mpi;
        if (t[i] == MPI_DATATYPE_NULL) {
            return cmpi_raise_msg(st, MPI_ERR_TYPE,
                                  "invalid datatype: %s is DATATYPE_NULL",
                                  kw[i]);
        }
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

/* Attribute caching (keyval.c's shared implementation). */

CMPI_DOC(Datatype_Create_keyval_doc,
         "Create_keyval(copy_fn=None, delete_fn=None, nopython=False)",
         "Create a new attribute key for datatypes.  copy_fn(datatype, "
         "keyval, value) gives the value for a duplicate (None: not copied, "
         "True: the same object, NotImplemented: not copied); "
         "delete_fn(datatype, keyval, value) runs when a value is deleted.");
static PyObject *
Datatype_Create_keyval(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    return cmpi_keyval_create(cls, args, nargs, kwnames, CMPI_KEYVAL_TYPE);
}

CMPI_DOC(Datatype_Free_keyval_doc, "Free_keyval(keyval)",
         "Free an attribute key for datatypes; return KEYVAL_INVALID.");
static PyObject *
Datatype_Free_keyval(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return cmpi_keyval_free(cls, args, nargs, kwnames, CMPI_KEYVAL_TYPE);
}

CMPI_DOC(Datatype_Set_attr_doc, "Set_attr($self, keyval, attrval)",
         "Store an attribute value associated with a key.");
static PyObject *
Datatype_Set_attr(DatatypeObject *self, PyObject *const *args,
                  Py_ssize_t nargs, PyObject *kwnames)
{
    return cmpi_keyval_set_attr(self->st, CMPI_KEYVAL_TYPE, &self->ob_mpi,
                                args, nargs, kwnames);
}

CMPI_DOC(Datatype_Get_attr_doc, "Get_attr($self, keyval)",
         "Retrieve attribute value by key (None if not set).");
static PyObject *
Datatype_Get_attr(DatatypeObject *self, PyObject *arg)
{
    return cmpi_keyval_get_attr(self->st, CMPI_KEYVAL_TYPE, &self->ob_mpi,
                                arg);
}

CMPI_ONE_ARG_KW(Datatype_Get_attr, DatatypeObject, "Get_attr", "keyval")

CMPI_DOC(Datatype_Delete_attr_doc, "Delete_attr($self, keyval)",
         "Delete an attribute value associated with a key.");
static PyObject *
Datatype_Delete_attr(DatatypeObject *self, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return cmpi_keyval_delete_attr(self->st, CMPI_KEYVAL_TYPE, &self->ob_mpi,
                                   args, nargs, kwnames);
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
        {"Set_name", FN(Datatype_Set_name_kw), FASTKW, Datatype_Set_name_doc},
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
        {"Create_keyval", FN(Datatype_Create_keyval), CLSFASTKW,
         Datatype_Create_keyval_doc},
        {"Free_keyval", FN(Datatype_Free_keyval), CLSFASTKW,
         Datatype_Free_keyval_doc},
        {"Set_attr", FN(Datatype_Set_attr), FASTKW, Datatype_Set_attr_doc},
        {"Get_attr", FN(Datatype_Get_attr_kw), FASTKW, Datatype_Get_attr_doc},
        {"Delete_attr", FN(Datatype_Delete_attr), FASTKW,
         Datatype_Delete_attr_doc},
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

static PyMemberDef Datatype_members[] = {
        CMPI_WEAKLIST_MEMBER(DatatypeObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Datatype_slots[] = {
        {Py_tp_members, Datatype_members},
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
        PyModule_AddType(m, st->Datatype_Type) < 0) {
        return -1;
    }

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
                     cmpi_datatype_new(st, named[i].dt, CMPI_CONST)) < 0) {
            return -1;
        }
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
            {"COMBINER_VALUE_INDEX", MPI_COMBINER_VALUE_INDEX},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (PyModule_AddIntConstant(m, ints[i].name, ints[i].value) < 0) {
            return -1;
        }
    }

    st->typecodes = PyDict_New();
    if (st->typecodes == NULL) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        PyObject *o = cmpi_datatype_new(st, codes[i].dt, CMPI_CONST);
        if (o == NULL) {
            return -1;
        }
        int rc = PyDict_SetItemString(st->typecodes, codes[i].code, o);
        Py_DECREF(o);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}
