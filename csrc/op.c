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
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = op;
    self->flags = flags;
    self->slot = -1;
    self->copies.next = self->copies.prev = NULL;
    self->st = st;
    self->weakreflist = NULL; /* PyObject_New does not zero it */
    return (PyObject *)self;
}

static PyObject *
Op_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"op", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Op", kwlist, &other)) {
        return NULL;
    }
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
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = h;
    self->flags = 0;
    self->slot = -1;
    self->st = st;
    if (other != NULL && other != Py_None) {
        cmpi_handle_link((PyObject *)self, other, CMPI_HK_OP);
    }
    return (PyObject *)self;
}

static void
Op_dealloc(OpObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_OP);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Op_richcompare, Op_bool, CMPI_HK_OP)

static Py_hash_t
Op_hash(OpObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
}

/* MAXLOC / MINLOC on (value, index) pairs: the better value wins, and on
 * a tie the lower index. */
static PyObject *
op_loc(PyObject *x, PyObject *y, int cmp)
{
    PyObject *u, *i, *v, *j, *res = NULL;
    PyObject *sx = NULL, *sy = NULL;
    if (PySequence_Check(x) && PySequence_Check(y)) {
        sx = PySequence_Fast(x, "");
        sy = sx ? PySequence_Fast(y, "") : NULL;
    }
    if (sx == NULL || sy == NULL || PySequence_Fast_GET_SIZE(sx) != 2 ||
        PySequence_Fast_GET_SIZE(sy) != 2) {
        Py_XDECREF(sx);
        Py_XDECREF(sy);
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError,
                        "MAXLOC/MINLOC operate on (value, index) pairs");
        return NULL;
    }
    u = PySequence_Fast_GET_ITEM(sx, 0);
    i = PySequence_Fast_GET_ITEM(sx, 1);
    v = PySequence_Fast_GET_ITEM(sy, 0);
    j = PySequence_Fast_GET_ITEM(sy, 1);
    int r = PyObject_RichCompareBool(u, v, cmp);
    if (r < 0) {
        goto done;
    }
    if (r) {
        res = Py_NewRef(x);
        goto done;
    }
    r = PyObject_RichCompareBool(v, u, cmp);
    if (r < 0) {
        goto done;
    }
    if (r) {
        res = Py_NewRef(y);
        goto done;
    }
    r = PyObject_RichCompareBool(j, i, Py_LT);
    if (r >= 0) {
        res = Py_NewRef(r ? y : x);
    }
done:
    Py_DECREF(sx);
    Py_DECREF(sy);
    return res;
}

/* Apply a predefined op to two Python objects. */
static PyObject *
op_apply_predefined(MPI_Op op, PyObject *x, PyObject *y)
{
    int r;
    if (op == MPI_SUM) {
        return PyNumber_Add(x, y);
    }
    if (op == MPI_PROD) {
        return PyNumber_Multiply(x, y);
    }
    if (op == MPI_MAX || op == MPI_MIN) {
        r = PyObject_RichCompareBool(y, x, op == MPI_MAX ? Py_GT : Py_LT);
        if (r < 0) {
            return NULL;
        }
        return Py_NewRef(r ? y : x);
    }
    if (op == MPI_LAND || op == MPI_LOR) {
        r = PyObject_IsTrue(x);
        if (r < 0) {
            return NULL;
        }
        if (op == MPI_LAND) {
            return Py_NewRef(r ? y : x);
        }
        return Py_NewRef(r ? x : y);
    }
    if (op == MPI_LXOR) {
        /* (x or y) and not (x and y) */
        int tx = PyObject_IsTrue(x);
        if (tx < 0) {
            return NULL;
        }
        PyObject *x_or_y = tx ? x : y;
        int t = PyObject_IsTrue(x_or_y);
        if (t < 0) {
            return NULL;
        }
        if (!t) {
            return Py_NewRef(x_or_y);
        }
        PyObject *x_and_y = tx ? y : x;
        t = PyObject_IsTrue(x_and_y);
        if (t < 0) {
            return NULL;
        }
        return PyBool_FromLong(!t);
    }
    if (op == MPI_BAND) {
        return PyNumber_And(x, y);
    }
    if (op == MPI_BOR) {
        return PyNumber_Or(x, y);
    }
    if (op == MPI_BXOR) {
        return PyNumber_Xor(x, y);
    }
    if (op == MPI_MAXLOC) {
        return op_loc(x, y, Py_GT);
    }
    if (op == MPI_MINLOC) {
        return op_loc(x, y, Py_LT);
    }
    if (op == MPI_REPLACE) {
        return Py_NewRef(y);
    }
    if (op == MPI_NO_OP) {
        return Py_NewRef(x);
    }
    PyErr_SetString(PyExc_ValueError,
                    "this Op cannot be applied to Python objects");
    return NULL;
}

/* op(x, y) for the lowercase reductions: an Op or any callable. */
static PyObject *
cmpi_op_apply(cmpi_state *st, PyObject *op, PyObject *x, PyObject *y)
{
    if (PyObject_TypeCheck(op, st->Op_Type)) {
        return op_apply_predefined(((OpObject *)op)->ob_mpi, x, y);
    }
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
op_user_function(OpObject *self);

static PyObject *
Op_call(OpObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"x", "y", NULL};
    PyObject *x, *y;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO:Op", kwlist, &x, &y)) {
        return NULL;
    }
    /* a user-defined op: its function, called as function(x, y, None) */
    PyObject *fn = op_user_function(self);
    if (fn != NULL) {
        return PyObject_CallFunctionObjArgs(fn, x, y, Py_None, NULL);
    }
    return op_apply_predefined(self->ob_mpi, x, y);
}

/* ------------------------------------------------------------------ */
/* User-defined reductions.  MPI calls a user function with no context
 * argument, so each Python function gets one of a fixed set of C
 * trampolines, and the trampoline's slot says which function to call.
 * This is process state, like MPI's own op table. */

#define CMPI_MAX_USER_OPS 32

static struct {
    PyObject *func;
    cmpi_state *st;
    MPI_Op op;
} cmpi_user_ops[CMPI_MAX_USER_OPS];

/* The Python function of a user-defined op (also of a copy made with
 * Op(op)), or NULL (borrowed). */
static PyObject *
op_user_function(OpObject *self)
{
    if (self->slot >= 0) {
        return cmpi_user_ops[self->slot].func;
    }
    if (self->ob_mpi == MPI_OP_NULL) {
        return NULL;
    }
    for (int i = 0; i < CMPI_MAX_USER_OPS; i++) {
        if (cmpi_user_ops[i].func != NULL &&
            cmpi_user_ops[i].op == self->ob_mpi) {
            return cmpi_user_ops[i].func;
        }
    }
    return NULL;
}

static void
user_op_call(int slot, void *in, void *inout, int *len, MPI_Datatype *dt)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *func = cmpi_user_ops[slot].func;
    cmpi_state *st = cmpi_user_ops[slot].st;
    MPI_Aint lb = 0, extent = 0;
    MPI_Type_get_extent(*dt, &lb, &extent);
    Py_ssize_t nbytes = (Py_ssize_t)*len * (Py_ssize_t)extent;
    /* MPI.buffer objects, as mpi4py passes: `b[:] = values` copies any
     * bytes-like object of the right size, whatever its format */
    PyObject *a = cmpi_buffer_new(st, in, nbytes, CMPI_BUFFER_READONLY, NULL);
    PyObject *b =
            cmpi_buffer_new(st, inout, nbytes, CMPI_BUFFER_WRITABLE, NULL);
    PyObject *d = cmpi_datatype_new(st, *dt, CMPI_CONST);
    PyObject *r = NULL;
    if (func != NULL && a != NULL && b != NULL && d != NULL) {
        PyObject *args[3] = {a, b, d};
        r = PyObject_Vectorcall(func, args, 3, NULL);
    }
    if (r == NULL) {
        /* An exception cannot cross MPI: report it here. */
        PyErr_WriteUnraisable(func ? func : Py_None);
    }
    Py_XDECREF(r);
    /* The memory belongs to MPI: views of it must not outlive the call. */
    if (a != NULL) {
        PyObject *t = PyObject_CallMethod(a, "release", NULL);
        Py_XDECREF(t);
        PyErr_Clear();
    }
    if (b != NULL) {
        PyObject *t = PyObject_CallMethod(b, "release", NULL);
        Py_XDECREF(t);
        PyErr_Clear();
    }
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(d);
    PyGILState_Release(gil);
}

#define CMPI_TRAMPOLINE(n)                                   \
    static void user_op_##n(void *in, void *inout, int *len, \
                            MPI_Datatype *dt)                \
    {                                                        \
        user_op_call(n, in, inout, len, dt);                 \
    }
CMPI_TRAMPOLINE(0)
CMPI_TRAMPOLINE(1)
CMPI_TRAMPOLINE(2)
CMPI_TRAMPOLINE(3)
CMPI_TRAMPOLINE(4)
CMPI_TRAMPOLINE(5)
CMPI_TRAMPOLINE(6)
CMPI_TRAMPOLINE(7)
CMPI_TRAMPOLINE(8)
CMPI_TRAMPOLINE(9)
CMPI_TRAMPOLINE(10)
CMPI_TRAMPOLINE(11)
CMPI_TRAMPOLINE(12)
CMPI_TRAMPOLINE(13)
CMPI_TRAMPOLINE(14)
CMPI_TRAMPOLINE(15)
CMPI_TRAMPOLINE(16)
CMPI_TRAMPOLINE(17)
CMPI_TRAMPOLINE(18)
CMPI_TRAMPOLINE(19)
CMPI_TRAMPOLINE(20)
CMPI_TRAMPOLINE(21)
CMPI_TRAMPOLINE(22)
CMPI_TRAMPOLINE(23)
CMPI_TRAMPOLINE(24)
CMPI_TRAMPOLINE(25)
CMPI_TRAMPOLINE(26)
CMPI_TRAMPOLINE(27)
CMPI_TRAMPOLINE(28)
CMPI_TRAMPOLINE(29)
CMPI_TRAMPOLINE(30)
CMPI_TRAMPOLINE(31)

static MPI_User_function *const user_op_trampolines[CMPI_MAX_USER_OPS] = {
        user_op_0,  user_op_1,  user_op_2,  user_op_3,  user_op_4,  user_op_5,
        user_op_6,  user_op_7,  user_op_8,  user_op_9,  user_op_10, user_op_11,
        user_op_12, user_op_13, user_op_14, user_op_15, user_op_16, user_op_17,
        user_op_18, user_op_19, user_op_20, user_op_21, user_op_22, user_op_23,
        user_op_24, user_op_25, user_op_26, user_op_27, user_op_28, user_op_29,
        user_op_30, user_op_31,
};

CMPI_DOC(Op_Create_doc, "Create(function, commute=False)",
         "Create a user-defined reduction operation: function(inbuf, "
         "inoutbuf, datatype) combines inbuf into inoutbuf (both buffers, "
         "e.g. for numpy.frombuffer).");
static PyObject *
Op_Create(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"function", "commute", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Create", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (!PyCallable_Check(a[0])) {
        PyErr_Format(PyExc_TypeError, "function must be callable, not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    int commute = a[1] ? PyObject_IsTrue(a[1]) : 0;
    if (commute < 0) {
        return NULL;
    }
    int slot = 0;
    while (slot < CMPI_MAX_USER_OPS && cmpi_user_ops[slot].func != NULL) {
        slot++;
    }
    if (slot == CMPI_MAX_USER_OPS) {
        PyErr_Format(PyExc_RuntimeError,
                     "Op.Create: at most %d user-defined operations can "
                     "exist at once; Free() unused ones",
                     CMPI_MAX_USER_OPS);
        return NULL;
    }
    MPI_Op h;
    int ierr = MPI_Op_create(user_op_trampolines[slot], commute, &h);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    OpObject *op = (OpObject *)cmpi_op_new(st, h, 0);
    if (op == NULL) {
        MPI_Op_free(&h);
        return NULL;
    }
    op->slot = slot;
    cmpi_user_ops[slot].func = Py_NewRef(a[0]);
    cmpi_user_ops[slot].st = st;
    cmpi_user_ops[slot].op = h;
    return (PyObject *)op;
}

/* A copy of a freed operation: its trampoline slot went with it. */
static void
op_forget(PyObject *copy)
{
    ((OpObject *)copy)->slot = -1;
}

CMPI_DOC(Op_Free_doc, "Free($self)", "Free a user-defined operation.");
static PyObject *
Op_Free(OpObject *self, PyObject *Py_UNUSED(a))
{
    if (self->flags & CMPI_CONST) {
        return cmpi_raise_msg(self->st, MPI_ERR_OP,
                              "cannot free a predefined operation");
    }
    CMPI_STALE_CHECK(self, CMPI_HK_OP);
    MPI_Op h = self->ob_mpi;
    int ierr = MPI_Op_free(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    for (int i = 0; self->slot < 0 && i < CMPI_MAX_USER_OPS; i++) {
        if (cmpi_user_ops[i].func != NULL && cmpi_user_ops[i].op == h) {
            self->slot = i; /* a copy, Op(op), freed it */
        }
    }
    if (self->slot >= 0) {
        Py_CLEAR(cmpi_user_ops[self->slot].func);
        self->slot = -1;
    }
    cmpi_handle_freed((PyObject *)self, CMPI_HK_OP, op_forget);
    Py_RETURN_NONE;
}

CMPI_DOC(Op_Is_commutative_doc, "Is_commutative($self)",
         "Query reduction operations for their commutativity.");
static PyObject *
Op_Is_commutative(OpObject *self, PyObject *Py_UNUSED(a))
{
    int flag = 0;
    int ierr = MPI_Op_commutative(self->ob_mpi, &flag);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
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
    return PyBool_FromLong(self->ob_mpi == MPI_OP_NULL || self->slot < 0);
}

static PyObject *
Op_get_handle(OpObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

CMPI_DOC(Op_Reduce_local_doc, "Reduce_local($self, inbuf, inoutbuf)",
         "Apply the operation to local data: inoutbuf[i] = inbuf[i] op "
         "inoutbuf[i], element by element.");
static PyObject *
Op_Reduce_local(OpObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"inbuf", "inoutbuf", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_msg im = CMPI_MSG_INIT, iom = CMPI_MSG_INIT;
    PyObject *res = NULL;
    int ierr;
    if (cmpi_parse("Reduce_local", args, nargs, kwnames, kw, 2, a) < 0) {
        return NULL;
    }
    if (self->ob_mpi == MPI_OP_NULL) {
        return cmpi_raise_msg(self->st, MPI_ERR_OP,
                              "Reduce_local: the operation is OP_NULL");
    }
    if (cmpi_msg_parse(self->st, a[0], &im, CMPI_MSG_SEND) < 0 ||
        cmpi_msg_parse(self->st, a[1], &iom, CMPI_MSG_RECV) < 0) {
        goto done;
    }
    if (im.count != iom.count || im.big != MPI_DATATYPE_NULL ||
        iom.big != MPI_DATATYPE_NULL) {
        if (im.big != MPI_DATATYPE_NULL || iom.big != MPI_DATATYPE_NULL) {
            PyErr_SetString(PyExc_OverflowError,
                            "Reduce_local: more than 2**31-1 elements");
        }
        else {
            PyErr_Format(PyExc_ValueError,
                         "Reduce_local: inbuf has %d elements but inoutbuf "
                         "has %d",
                         im.count, iom.count);
        }
        goto done;
    }
    if (im.dtype != iom.dtype) {
        PyErr_SetString(PyExc_ValueError,
                        "Reduce_local: inbuf and inoutbuf have different "
                        "datatypes");
        goto done;
    }
    /* a user-defined operation takes the GIL back for its callback */
    CMPI_NOGIL(ierr = MPI_Reduce_local(im.addr, iom.addr, iom.count,
                                       iom.dtype, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    cmpi_msg_release(&im);
    cmpi_msg_release(&iom);
    return res;
}

static PyMethodDef Op_methods[] = {
        {"Reduce_local", FN(Op_Reduce_local), FASTKW, Op_Reduce_local_doc},
        {"Is_commutative", (PyCFunction)Op_Is_commutative, METH_NOARGS,
         Op_Is_commutative_doc},
        {"Create", FN(Op_Create), CLSFASTKW, Op_Create_doc},
        {"Free", (PyCFunction)Op_Free, METH_NOARGS, Op_Free_doc},
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

static PyMemberDef Op_members[] = {
        CMPI_WEAKLIST_MEMBER(OpObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Op_slots[] = {
        {Py_tp_doc, (void *)Op_doc},
        {Py_tp_new, Op_new},
        {Py_tp_dealloc, Op_dealloc},
        {Py_tp_richcompare, Op_richcompare},
        {Py_tp_hash, Op_hash},
        {Py_tp_call, Op_call},
        {Py_nb_bool, Op_bool},
        {Py_tp_methods, Op_methods},
        {Py_tp_getset, Op_getset},
        {Py_tp_members, Op_members},
        {0, NULL},
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
    if (st->Op_Type == NULL || PyModule_AddType(m, st->Op_Type) < 0) {
        return -1;
    }
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
                     cmpi_op_new(st, named[i].op, CMPI_CONST)) < 0) {
            return -1;
        }
    }
    return 0;
}
