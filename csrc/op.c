/*
 * op.c -- MPI.Op and the predefined reduction operations.
 *
 * A predefined Op is also callable on Python objects, op(x, y), with
 * mpi4py's meaning; the lowercase reductions (reduce, allreduce, scan,
 * exscan) use it, or any Python callable taking two arguments.
 */
#include "cmpi.h"

static PyObject *
cmpi_op_new(cmpi_state *st, MPI_Op op, unsigned flags)
{
    OpObject *self = PyObject_New(OpObject, st->Op_Type);
    if (self == NULL)
        return NULL;
    self->ob_mpi = op;
    self->flags = flags;
    self->st = st;
    return (PyObject *)self;
}

static PyObject *
Op_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"op", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Op", kwlist, &other))
        return NULL;
    cmpi_state *st = cmpi_type_state(type);
    MPI_Op h = MPI_OP_NULL;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Op_Type)) {
            PyErr_Format(PyExc_TypeError, "expected an Op, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        h = ((OpObject *)other)->ob_mpi;
    }
    OpObject *self = (OpObject *)type->tp_alloc(type, 0);
    if (self == NULL)
        return NULL;
    self->ob_mpi = h;
    self->flags = 0;
    self->st = st;
    return (PyObject *)self;
}

static void
Op_dealloc(OpObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
Op_richcompare(OpObject *self, PyObject *other, int op)
{
    if ((op != Py_EQ && op != Py_NE) ||
        !PyObject_TypeCheck(other, self->st->Op_Type))
        Py_RETURN_NOTIMPLEMENTED;
    int eq = self->ob_mpi == ((OpObject *)other)->ob_mpi;
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t
Op_hash(OpObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
}

static int
Op_bool(OpObject *self)
{
    return self->ob_mpi != MPI_OP_NULL;
}

/* MAXLOC / MINLOC on (value, index) pairs: the better value wins, and on
 * a tie the lower index. */
static PyObject *
op_loc(PyObject *x, PyObject *y, int cmp)
{
    PyObject *u, *i, *v, *j;
    if (!PyTuple_Check(x) || PyTuple_GET_SIZE(x) != 2 || !PyTuple_Check(y) ||
        PyTuple_GET_SIZE(y) != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "MAXLOC/MINLOC operate on (value, index) tuples");
        return NULL;
    }
    u = PyTuple_GET_ITEM(x, 0);
    i = PyTuple_GET_ITEM(x, 1);
    v = PyTuple_GET_ITEM(y, 0);
    j = PyTuple_GET_ITEM(y, 1);
    int r = PyObject_RichCompareBool(u, v, cmp);
    if (r < 0)
        return NULL;
    if (r)
        return Py_NewRef(x);
    r = PyObject_RichCompareBool(v, u, cmp);
    if (r < 0)
        return NULL;
    if (r)
        return Py_NewRef(y);
    r = PyObject_RichCompareBool(j, i, Py_LT);
    if (r < 0)
        return NULL;
    return Py_NewRef(r ? y : x);
}

/* Apply a predefined op to two Python objects. */
static PyObject *
op_apply_predefined(MPI_Op op, PyObject *x, PyObject *y)
{
    int r;
    if (op == MPI_SUM)
        return PyNumber_Add(x, y);
    if (op == MPI_PROD)
        return PyNumber_Multiply(x, y);
    if (op == MPI_MAX || op == MPI_MIN) {
        r = PyObject_RichCompareBool(y, x, op == MPI_MAX ? Py_GT : Py_LT);
        if (r < 0)
            return NULL;
        return Py_NewRef(r ? y : x);
    }
    if (op == MPI_LAND || op == MPI_LOR) {
        r = PyObject_IsTrue(x);
        if (r < 0)
            return NULL;
        if (op == MPI_LAND)
            return Py_NewRef(r ? y : x);
        return Py_NewRef(r ? x : y);
    }
    if (op == MPI_LXOR) {
        /* (x or y) and not (x and y) */
        int tx = PyObject_IsTrue(x);
        if (tx < 0)
            return NULL;
        PyObject *x_or_y = tx ? x : y;
        int t = PyObject_IsTrue(x_or_y);
        if (t < 0)
            return NULL;
        if (!t)
            return Py_NewRef(x_or_y);
        PyObject *x_and_y = tx ? y : x;
        t = PyObject_IsTrue(x_and_y);
        if (t < 0)
            return NULL;
        return PyBool_FromLong(!t);
    }
    if (op == MPI_BAND)
        return PyNumber_And(x, y);
    if (op == MPI_BOR)
        return PyNumber_Or(x, y);
    if (op == MPI_BXOR)
        return PyNumber_Xor(x, y);
    if (op == MPI_MAXLOC)
        return op_loc(x, y, Py_GT);
    if (op == MPI_MINLOC)
        return op_loc(x, y, Py_LT);
    if (op == MPI_REPLACE)
        return Py_NewRef(y);
    if (op == MPI_NO_OP)
        return Py_NewRef(x);
    PyErr_SetString(PyExc_ValueError,
                    "this Op cannot be applied to Python objects");
    return NULL;
}

/* op(x, y) for the lowercase reductions: an Op or any callable. */
static PyObject *
cmpi_op_apply(cmpi_state *st, PyObject *op, PyObject *x, PyObject *y)
{
    if (PyObject_TypeCheck(op, st->Op_Type))
        return op_apply_predefined(((OpObject *)op)->ob_mpi, x, y);
    PyObject *args[2] = {x, y};
    return PyObject_Vectorcall(op, args, 2, NULL);
}

/* The MPI handle of an Op argument of a buffer reduction. */
static int
cmpi_op_from_object(cmpi_state *st, PyObject *obj, MPI_Op *op)
{
    if (CMPI_LIKELY(PyObject_TypeCheck(obj, st->Op_Type))) {
        *op = ((OpObject *)obj)->ob_mpi;
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "op must be an MPI.Op for buffer reductions, got %.100s",
                 Py_TYPE(obj)->tp_name);
    return -1;
}

static PyObject *
Op_call(OpObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"x", "y", NULL};
    PyObject *x, *y;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:Op", kwlist, &x, &y))
        return NULL;
    return op_apply_predefined(self->ob_mpi, x, y);
}

CMPI_DOC(Op_Is_commutative_doc, "Is_commutative($self)",
         "Query reduction operations for their commutativity.");
static PyObject *
Op_Is_commutative(OpObject *self, PyObject *Py_UNUSED(a))
{
    int flag = 0;
    int ierr = MPI_Op_commutative(self->ob_mpi, &flag);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyBool_FromLong(flag);
}

static PyObject *
Op_get_is_commutative(OpObject *self, void *Py_UNUSED(c))
{
    return Op_Is_commutative(self, NULL);
}

static PyObject *
Op_get_is_predefined(OpObject *self, void *Py_UNUSED(c))
{
    return PyBool_FromLong(self->ob_mpi == MPI_OP_NULL ||
                           (self->flags & CMPI_CONST));
}

static PyObject *
Op_get_handle(OpObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

static PyMethodDef Op_methods[] = {
        {"Is_commutative", (PyCFunction)Op_Is_commutative, METH_NOARGS,
         Op_Is_commutative_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Op_getset[] = {
        {"is_commutative", (getter)Op_get_is_commutative, NULL,
         "Is a commutative operation.", NULL},
        {"is_predefined", (getter)Op_get_is_predefined, NULL,
         "Is a predefined operation.", NULL},
        {"handle", (getter)Op_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Op_doc, "Op(op=None)\n--\n\nReduction operation.");

static PyType_Slot Op_slots[] = {
        {Py_tp_doc, (void *)Op_doc}, {Py_tp_new, Op_new},
        {Py_tp_dealloc, Op_dealloc}, {Py_tp_richcompare, Op_richcompare},
        {Py_tp_hash, Op_hash},       {Py_tp_call, Op_call},
        {Py_nb_bool, Op_bool},       {Py_tp_methods, Op_methods},
        {Py_tp_getset, Op_getset},   {0, NULL},
};

static PyType_Spec Op_spec = {
        .name = "cmpi.MPI.Op",
        .basicsize = sizeof(OpObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Op_slots,
};

static int
cmpi_op_init(PyObject *m, cmpi_state *st)
{
    st->Op_Type = (PyTypeObject *)PyType_FromModuleAndSpec(m, &Op_spec, NULL);
    if (st->Op_Type == NULL || PyModule_AddType(m, st->Op_Type) < 0)
        return -1;
    static const struct {
        const char *name;
        MPI_Op op;
    } named[] = {
            {"OP_NULL", MPI_OP_NULL}, {"MAX", MPI_MAX},
            {"MIN", MPI_MIN},         {"SUM", MPI_SUM},
            {"PROD", MPI_PROD},       {"LAND", MPI_LAND},
            {"BAND", MPI_BAND},       {"LOR", MPI_LOR},
            {"BOR", MPI_BOR},         {"LXOR", MPI_LXOR},
            {"BXOR", MPI_BXOR},       {"MAXLOC", MPI_MAXLOC},
            {"MINLOC", MPI_MINLOC},   {"REPLACE", MPI_REPLACE},
            {"NO_OP", MPI_NO_OP},
    };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        if (cmpi_add(m, named[i].name,
                     cmpi_op_new(st, named[i].op, CMPI_CONST)) < 0)
            return -1;
    }
    return 0;
}
