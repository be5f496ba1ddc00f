/*
 * errors.c -- MPI.Exception and the ERR_* constants.
 *
 * MPI.Exception is a RuntimeError carrying an MPI error code.  Every
 * communicator cmpi touches has MPI_ERRORS_RETURN installed, so a failing
 * call returns its code here instead of aborting the job.
 */
#include "cmpi.h"

#include <stdarg.h>

typedef struct {
    PyBaseExceptionObject base;
    int ierr;
    PyObject *message; /* an explanation naming the argument at fault */
} ExceptionObject;

static int
Exception_init(ExceptionObject *self, PyObject *args, PyObject *kwds)
{
    int ierr = MPI_SUCCESS;
    if (((PyTypeObject *)PyExc_RuntimeError)
                ->tp_init((PyObject *)self, args, kwds) < 0)
        return -1;
    if (PyTuple_GET_SIZE(args) > 0) {
        PyObject *a = PyTuple_GET_ITEM(args, 0);
        if (cmpi_as_int(a, &ierr, "ierr") < 0)
            return -1;
    }
    self->ierr = ierr;
    if (PyTuple_GET_SIZE(args) > 1 &&
        PyUnicode_Check(PyTuple_GET_ITEM(args, 1))) {
        Py_XSETREF(self->message, Py_NewRef(PyTuple_GET_ITEM(args, 1)));
    }
    return 0;
}

static int
Exception_traverse(ExceptionObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->message);
    Py_VISIT(Py_TYPE(self));
    return ((PyTypeObject *)PyExc_RuntimeError)
            ->tp_traverse((PyObject *)self, visit, arg);
}

static int
Exception_clear(ExceptionObject *self)
{
    Py_CLEAR(self->message);
    return ((PyTypeObject *)PyExc_RuntimeError)->tp_clear((PyObject *)self);
}

static void
Exception_dealloc(ExceptionObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->message);
    ((PyTypeObject *)PyExc_RuntimeError)->tp_dealloc((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
error_string(int ierr)
{
    /* Zeroed, and the length taken with a bound: MPICH 4.0 fills all
     * MPI_MAX_ERROR_STRING bytes of a long error stack without a
     * terminating NUL, then runs strlen over it (and returns that length). */
    char buf[MPI_MAX_ERROR_STRING + 1] = {0};
    int len = 0;
    if (MPI_Error_string(ierr, buf, &len) != MPI_SUCCESS)
        return PyUnicode_FromFormat("unknown error code %d", ierr);
    if (len < 0 || len > MPI_MAX_ERROR_STRING)
        len = MPI_MAX_ERROR_STRING;
    len = (int)strnlen(buf, (size_t)len);
    return PyUnicode_FromStringAndSize(buf, len);
}

static int
error_class(int ierr)
{
    int cls = ierr;
    if (MPI_Error_class(ierr, &cls) != MPI_SUCCESS)
        cls = MPI_ERR_UNKNOWN;
    return cls;
}

static PyObject *
Exception_str(ExceptionObject *self)
{
    if (self->message != NULL)
        return Py_NewRef(self->message);
    return error_string(self->ierr);
}

static PyObject *
Exception_repr(ExceptionObject *self)
{
    return PyUnicode_FromFormat("MPI.Exception(%d)", self->ierr);
}

static PyObject *
Exception_richcompare(ExceptionObject *self, PyObject *other, int op)
{
    if (op != Py_EQ && op != Py_NE)
        Py_RETURN_NOTIMPLEMENTED;
    long value;
    if (PyLong_Check(other)) {
        value = PyLong_AsLong(other);
        if (value == -1 && PyErr_Occurred())
            return NULL;
    }
    else if (PyObject_TypeCheck(other, Py_TYPE(self))) {
        value = ((ExceptionObject *)other)->ierr;
    }
    else {
        Py_RETURN_NOTIMPLEMENTED;
    }
    int eq = (value == self->ierr);
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static Py_hash_t
Exception_hash(ExceptionObject *self)
{
    return self->ierr == -1 ? -2 : self->ierr;
}

static PyObject *
Exception_int(ExceptionObject *self)
{
    return PyLong_FromLong(self->ierr);
}

static int
Exception_bool(ExceptionObject *self)
{
    return self->ierr != MPI_SUCCESS;
}

CMPI_DOC(Exception_Get_error_code_doc, "Get_error_code($self)", "Error code.");
static PyObject *
Exception_Get_error_code(ExceptionObject *self, PyObject *Py_UNUSED(a))
{
    return PyLong_FromLong(self->ierr);
}

CMPI_DOC(Exception_Get_error_class_doc, "Get_error_class($self)",
         "Error class of the error code.");
static PyObject *
Exception_Get_error_class(ExceptionObject *self, PyObject *Py_UNUSED(a))
{
    return PyLong_FromLong(error_class(self->ierr));
}

CMPI_DOC(Exception_Get_error_string_doc, "Get_error_string($self)",
         "Error string of the error code.");
static PyObject *
Exception_Get_error_string(ExceptionObject *self, PyObject *Py_UNUSED(a))
{
    return error_string(self->ierr);
}

static PyObject *
Exception_get_error_code(ExceptionObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromLong(self->ierr);
}

static PyObject *
Exception_get_error_class(ExceptionObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromLong(error_class(self->ierr));
}

static PyObject *
Exception_get_error_string(ExceptionObject *self, void *Py_UNUSED(c))
{
    return error_string(self->ierr);
}

static PyMethodDef Exception_methods[] = {
        {"Get_error_code", (PyCFunction)Exception_Get_error_code, METH_NOARGS,
         Exception_Get_error_code_doc},
        {"Get_error_class", (PyCFunction)Exception_Get_error_class,
         METH_NOARGS, Exception_Get_error_class_doc},
        {"Get_error_string", (PyCFunction)Exception_Get_error_string,
         METH_NOARGS, Exception_Get_error_string_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Exception_getset[] = {
        {"error_code", (getter)Exception_get_error_code, NULL, "Error code.",
         NULL},
        {"error_class", (getter)Exception_get_error_class, NULL,
         "Error class.", NULL},
        {"error_string", (getter)Exception_get_error_string, NULL,
         "Error string.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Exception_doc,
             "Exception(ierr=cmpi.MPI.SUCCESS)\n--\n\n"
             "Exception raised when an MPI call fails; carries the MPI error "
             "code.");

static PyType_Slot Exception_slots[] = {
        {Py_tp_doc, (void *)Exception_doc},
        {Py_tp_init, Exception_init},
        {Py_tp_traverse, Exception_traverse},
        {Py_tp_clear, Exception_clear},
        {Py_tp_dealloc, Exception_dealloc},
        {Py_tp_str, Exception_str},
        {Py_tp_repr, Exception_repr},
        {Py_tp_richcompare, Exception_richcompare},
        {Py_tp_hash, Exception_hash},
        {Py_nb_int, Exception_int},
        {Py_nb_index, Exception_int},
        {Py_nb_bool, Exception_bool},
        {Py_tp_methods, Exception_methods},
        {Py_tp_getset, Exception_getset},
        {0, NULL},
};

static PyType_Spec Exception_spec = {
        .name = "cmpi.MPI.Exception",
        .basicsize = sizeof(ExceptionObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
        .slots = Exception_slots,
};

/* Raise MPI.Exception(ierr).  Always returns NULL. */
static PyObject *
cmpi_raise(cmpi_state *st, int ierr)
{
    PyObject *exc =
            PyObject_CallFunction((PyObject *)st->Exception_Type, "i", ierr);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)st->Exception_Type, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* Raise MPI.Exception(errclass) with a message that says what was wrong:
 * "MPI_ERR_RANK: invalid rank: dest=4 ..." Always returns NULL. */
static PyObject *
cmpi_raise_msg(cmpi_state *st, int errclass, const char *fmt, ...)
{
    va_list va;
    va_start(va, fmt);
    PyObject *detail = PyUnicode_FromFormatV(fmt, va);
    va_end(va);
    if (detail == NULL)
        return NULL;
    PyObject *text = error_string(errclass);
    PyObject *msg = NULL, *exc = NULL;
    if (text == NULL)
        goto done;
    msg = PyUnicode_FromFormat("%U (%U)", detail, text);
    if (msg == NULL)
        goto done;
    exc = PyObject_CallFunction((PyObject *)st->Exception_Type, "iO", errclass,
                                msg);
    if (exc != NULL)
        PyErr_SetObject((PyObject *)st->Exception_Type, exc);
done:
    Py_XDECREF(exc);
    Py_XDECREF(msg);
    Py_XDECREF(text);
    Py_DECREF(detail);
    return NULL;
}

static int
cmpi_errors_init(PyObject *m, cmpi_state *st)
{
    st->Exception_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Exception_spec, PyExc_RuntimeError);
    if (st->Exception_Type == NULL)
        return -1;
    if (PyModule_AddType(m, st->Exception_Type) < 0)
        return -1;

    static const struct {
        const char *name;
        int value;
    } codes[] = {
            {"SUCCESS", MPI_SUCCESS},
            {"ERR_LASTCODE", MPI_ERR_LASTCODE},
            {"ERR_BUFFER", MPI_ERR_BUFFER},
            {"ERR_COUNT", MPI_ERR_COUNT},
            {"ERR_TYPE", MPI_ERR_TYPE},
            {"ERR_TAG", MPI_ERR_TAG},
            {"ERR_COMM", MPI_ERR_COMM},
            {"ERR_RANK", MPI_ERR_RANK},
            {"ERR_REQUEST", MPI_ERR_REQUEST},
            {"ERR_ROOT", MPI_ERR_ROOT},
            {"ERR_GROUP", MPI_ERR_GROUP},
            {"ERR_OP", MPI_ERR_OP},
            {"ERR_TOPOLOGY", MPI_ERR_TOPOLOGY},
            {"ERR_DIMS", MPI_ERR_DIMS},
            {"ERR_ARG", MPI_ERR_ARG},
            {"ERR_UNKNOWN", MPI_ERR_UNKNOWN},
            {"ERR_TRUNCATE", MPI_ERR_TRUNCATE},
            {"ERR_OTHER", MPI_ERR_OTHER},
            {"ERR_INTERN", MPI_ERR_INTERN},
            {"ERR_IN_STATUS", MPI_ERR_IN_STATUS},
            {"ERR_PENDING", MPI_ERR_PENDING},
            {"ERR_ACCESS", MPI_ERR_ACCESS},
            {"ERR_AMODE", MPI_ERR_AMODE},
            {"ERR_ASSERT", MPI_ERR_ASSERT},
            {"ERR_BAD_FILE", MPI_ERR_BAD_FILE},
            {"ERR_BASE", MPI_ERR_BASE},
            {"ERR_CONVERSION", MPI_ERR_CONVERSION},
            {"ERR_DISP", MPI_ERR_DISP},
            {"ERR_DUP_DATAREP", MPI_ERR_DUP_DATAREP},
            {"ERR_FILE_EXISTS", MPI_ERR_FILE_EXISTS},
            {"ERR_FILE_IN_USE", MPI_ERR_FILE_IN_USE},
            {"ERR_FILE", MPI_ERR_FILE},
            {"ERR_INFO_KEY", MPI_ERR_INFO_KEY},
            {"ERR_INFO_NOKEY", MPI_ERR_INFO_NOKEY},
            {"ERR_INFO_VALUE", MPI_ERR_INFO_VALUE},
            {"ERR_INFO", MPI_ERR_INFO},
            {"ERR_IO", MPI_ERR_IO},
            {"ERR_KEYVAL", MPI_ERR_KEYVAL},
            {"ERR_LOCKTYPE", MPI_ERR_LOCKTYPE},
            {"ERR_NAME", MPI_ERR_NAME},
            {"ERR_NO_MEM", MPI_ERR_NO_MEM},
            {"ERR_NOT_SAME", MPI_ERR_NOT_SAME},
            {"ERR_NO_SPACE", MPI_ERR_NO_SPACE},
            {"ERR_NO_SUCH_FILE", MPI_ERR_NO_SUCH_FILE},
            {"ERR_PORT", MPI_ERR_PORT},
            {"ERR_QUOTA", MPI_ERR_QUOTA},
            {"ERR_READ_ONLY", MPI_ERR_READ_ONLY},
            {"ERR_RMA_CONFLICT", MPI_ERR_RMA_CONFLICT},
            {"ERR_RMA_SYNC", MPI_ERR_RMA_SYNC},
            {"ERR_SERVICE", MPI_ERR_SERVICE},
            {"ERR_SIZE", MPI_ERR_SIZE},
            {"ERR_SPAWN", MPI_ERR_SPAWN},
            {"ERR_UNSUPPORTED_DATAREP", MPI_ERR_UNSUPPORTED_DATAREP},
            {"ERR_UNSUPPORTED_OPERATION", MPI_ERR_UNSUPPORTED_OPERATION},
            {"ERR_WIN", MPI_ERR_WIN},
            {"ERR_RMA_RANGE", MPI_ERR_RMA_RANGE},
            {"ERR_RMA_ATTACH", MPI_ERR_RMA_ATTACH},
            {"ERR_RMA_SHARED", MPI_ERR_RMA_SHARED},
            {"ERR_RMA_FLAVOR", MPI_ERR_RMA_FLAVOR},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (PyModule_AddIntConstant(m, codes[i].name, codes[i].value) < 0)
            return -1;
    }
    return 0;
}

/* Module-level error functions. */
CMPI_DOC(Get_error_class_doc, "Get_error_class(errorcode)",
         "Convert an error code into an error class.");
static PyObject *
mod_Get_error_class(PyObject *m, PyObject *arg)
{
    int code;
    if (cmpi_as_int(arg, &code, "errorcode") < 0)
        return NULL;
    int cls;
    int ierr = MPI_Error_class(code, &cls);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(cmpi_get_state(m), ierr);
    return PyLong_FromLong(cls);
}

CMPI_DOC(Get_error_string_doc, "Get_error_string(errorcode)",
         "Return the error string for a given error class or error code.");
static PyObject *
mod_Get_error_string(PyObject *Py_UNUSED(m), PyObject *arg)
{
    int code;
    if (cmpi_as_int(arg, &code, "errorcode") < 0)
        return NULL;
    return error_string(code);
}

#define CMPI_ERRORS_METHODS                                                 \
    {"Get_error_class", (PyCFunction)mod_Get_error_class, METH_O,           \
     Get_error_class_doc},                                                  \
            {"Get_error_string", (PyCFunction)mod_Get_error_string, METH_O, \
             Get_error_string_doc},
