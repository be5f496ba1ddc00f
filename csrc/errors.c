/*
 * errors.c -- MPI.Exception and the ERR_* constants.
 *
 * MPI.Exception is a RuntimeError carrying an MPI error code.  Every
 * communicator cmpi touches has MPI_ERRORS_RETURN installed, so a failing
 * call returns its code here instead of aborting the job.
 */
#include "cmpi.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>

/* The MPI library cmpi is built against, as messages name it ("MPI_Foo is
 * not available in Open MPI 5.0.11"): what cmpi can call is decided by the
 * headers it was compiled with. */
#define CMPI_STR_(x) #x
#define CMPI_STR(x) CMPI_STR_(x)
#if defined(OPEN_MPI)
#define CMPI_LIBRARY_NAME                                  \
    "Open MPI " CMPI_STR(OMPI_MAJOR_VERSION) "." CMPI_STR( \
            OMPI_MINOR_VERSION) "." CMPI_STR(OMPI_RELEASE_VERSION)
#elif defined(I_MPI_VERSION)
#define CMPI_LIBRARY_NAME "Intel MPI " I_MPI_VERSION
#elif defined(MPICH_VERSION)
#define CMPI_LIBRARY_NAME "MPICH " MPICH_VERSION
#else
#define CMPI_LIBRARY_NAME "this MPI library"
#endif

/* The MPI library by name and version, for messages: from the headers
 * cmpi was compiled with, or, on the MPI-5 standard ABI (which names no
 * vendor), from the library found at run time. */
static const char *
cmpi_library_name(void)
{
#ifdef MPI_ABI_VERSION
    static char name[64];
    if (name[0] == '\0') { /* first called with the GIL held */
        int v[3];
        const char *vendor = cmpi_abi_vendor(v);
        PyOS_snprintf(name, sizeof(name), "%s %d.%d.%d", vendor, v[0], v[1],
                      v[2]);
    }
    return name;
#else
    return CMPI_LIBRARY_NAME;
#endif
}

/* The launcher's proxy reads a rank's stdout and stderr from a pipe (or a
 * pty) while it also handles MPI_Abort; when it takes the abort first it
 * kills the job and closes the pipe unread, and the message that says why
 * the job ended is lost.  So before aborting, wait -- at most a second --
 * until the reader has taken what is queued.  Only async-signal-safe calls:
 * this runs from error handlers and the watcher thread too. */
static void
cmpi_wait_output_taken(void)
{
    const struct timespec step = {0, 2 * 1000 * 1000};
    int waited_ms = 0;
    for (int fd = 1; fd <= 2; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0) {
            continue;
        }
        unsigned long request;
        if (S_ISFIFO(st.st_mode)) {
            request = FIONREAD; /* bytes not yet read from the pipe */
        }
        else if (S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)) {
            request = TIOCOUTQ; /* bytes not yet sent (SIOCOUTQ) */
        }
        else {
            continue;
        }
        int queued = 0;
        while (waited_ms < 1000 && ioctl(fd, request, &queued) == 0 &&
               queued > 0) {
            nanosleep(&step, NULL);
            waited_ms += 2;
        }
    }
}

/* Every abort cmpi makes: output flushed and read by the launcher, then
 * MPI_Abort (which returns, with an error code, only if it fails). */
static int
cmpi_abort_job(MPI_Comm comm, int code)
{
    fflush(stdout);
    fflush(stderr);
    cmpi_wait_output_taken();
    return MPI_Abort(comm, code);
}

typedef struct {
    PyBaseExceptionObject base;
    int ierr;
    PyObject *message; /* an explanation naming the argument at fault */
    PyObject *weakreflist;
} ExceptionObject;

static int
Exception_init(ExceptionObject *self, PyObject *args, PyObject *kwds)
{
    int ierr = MPI_SUCCESS;
    if (((PyTypeObject *)PyExc_RuntimeError)
                ->tp_init((PyObject *)self, args, kwds) < 0) {
        return -1;
    }
    if (PyTuple_GET_SIZE(args) > 0) {
        PyObject *a = PyTuple_GET_ITEM(args, 0);
        if (cmpi_as_int(a, &ierr, "ierr") < 0) {
            return -1;
        }
        if (ierr < MPI_SUCCESS) { /* no error code is negative */
            ierr = MPI_ERR_UNKNOWN;
        }
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
    /* Not chained to BaseException's tp_dealloc: on CPython 3.10 it
     * untracks unconditionally, which crashes on an object this function
     * has already untracked.  Its tp_clear drops the base's fields. */
    PyObject_GC_UnTrack(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    Py_CLEAR(self->message);
    ((PyTypeObject *)PyExc_RuntimeError)->tp_clear((PyObject *)self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* The error classes and codes Add_error_class and Add_error_code made.
 * Once a program has added one, MPICH 4.0 crashes in MPI_Error_string and
 * MPI_Error_class on a code with its dynamic bit (1 << 30) set that it did
 * not make (before, it answers "Undefined dynamic error code"); such a code
 * is then answered without asking MPI.  Process-wide, as MPI's table. */
static int *cmpi_added_codes = NULL;
static Py_ssize_t cmpi_added_count = 0, cmpi_added_cap = 0;

static int
error_code_added(int code)
{
    if (cmpi_added_count == cmpi_added_cap) {
        Py_ssize_t cap = cmpi_added_cap ? 2 * cmpi_added_cap : 16;
        int *grown =
                PyMem_RawRealloc(cmpi_added_codes, (size_t)cap * sizeof(int));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        cmpi_added_codes = grown;
        cmpi_added_cap = cap;
    }
    cmpi_added_codes[cmpi_added_count++] = code;
    return 0;
}

/* A dynamic code MPI did not make, after some were made: see above. */
static int
error_code_unknown(int code)
{
    if (cmpi_added_count == 0 || !(code & (1 << 30))) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < cmpi_added_count; i++) {
        if (cmpi_added_codes[i] == code) {
            return 0;
        }
    }
    return 1;
}

static PyObject *
error_string(int ierr)
{
    /* Zeroed, and the length taken with a bound: MPICH 4.0 fills all
     * MPI_MAX_ERROR_STRING bytes of a long error stack without a
     * terminating NUL, then runs strlen over it (and returns that length). */
    char buf[MPI_MAX_ERROR_STRING + 1] = {0};
    int len = 0;
    if (error_code_unknown(ierr) ||
        MPI_Error_string(ierr, buf, &len) != MPI_SUCCESS) {
        return PyUnicode_FromFormat("unknown error code %d", ierr);
    }
    if (len < 0 || len > MPI_MAX_ERROR_STRING) {
        len = MPI_MAX_ERROR_STRING;
    }
    len = (int)strnlen(buf, (size_t)len);
    return PyUnicode_FromStringAndSize(buf, len);
}

static int
error_class(int ierr)
{
    int cls = ierr;
    if (error_code_unknown(ierr) ||
        MPI_Error_class(ierr, &cls) != MPI_SUCCESS) {
        cls = MPI_ERR_UNKNOWN;
    }
    return cls;
}

static PyObject *
Exception_str(ExceptionObject *self)
{
    if (self->message != NULL) {
        return Py_NewRef(self->message);
    }
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
    long value;
    if (PyLong_Check(other)) {
        value = PyLong_AsLong(other);
        if (value == -1 && PyErr_Occurred()) {
            return NULL;
        }
    }
    else if (PyObject_TypeCheck(other, Py_TYPE(self))) {
        value = ((ExceptionObject *)other)->ierr;
    }
    else {
        Py_RETURN_NOTIMPLEMENTED;
    }
    /* compares as its error code, an int */
    long mine = self->ierr;
    Py_RETURN_RICHCOMPARE(mine, value, op);
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

static PyMemberDef Exception_members[] = {
        CMPI_WEAKLIST_MEMBER(ExceptionObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Exception_slots[] = {
        {Py_tp_members, Exception_members},
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
    /* A polling wait (wait.c) was interrupted: its exception is set. */
    if (ierr == CMPI_WAIT_RAISED && PyErr_Occurred()) {
        return NULL;
    }
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
    if (detail == NULL) {
        return NULL;
    }
    PyObject *text = error_string(errclass);
    PyObject *msg = NULL, *exc = NULL;
    if (text == NULL) {
        goto done;
    }
    msg = PyUnicode_FromFormat("%U (%U)", detail, text);
    if (msg == NULL) {
        goto done;
    }
    exc = PyObject_CallFunction((PyObject *)st->Exception_Type, "iO", errclass,
                                msg);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)st->Exception_Type, exc);
    }
done:
    Py_XDECREF(exc);
    Py_XDECREF(msg);
    Py_XDECREF(text);
    Py_DECREF(detail);
    return NULL;
}

/* Error classes newer than the library: the class it reports instead. */
#ifndef MPI_ERR_SESSION
#define MPI_ERR_SESSION MPI_ERR_ARG
#endif
#ifndef MPI_ERR_PROC_ABORTED
#define MPI_ERR_PROC_ABORTED MPI_ERR_OTHER
#endif
#ifndef MPI_ERR_VALUE_TOO_LARGE
#define MPI_ERR_VALUE_TOO_LARGE MPI_ERR_OTHER
#endif
#ifndef MPI_ERR_ERRHANDLER
#define MPI_ERR_ERRHANDLER MPI_ERR_ARG
#endif
#ifndef MPI_ERR_ABI
#define MPI_ERR_ABI MPI_ERR_OTHER
#endif

static int
cmpi_errors_init(PyObject *m, cmpi_state *st)
{
    st->Exception_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Exception_spec, PyExc_RuntimeError);
    if (st->Exception_Type == NULL) {
        return -1;
    }
    if (PyModule_AddType(m, st->Exception_Type) < 0) {
        return -1;
    }

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
            {"ERR_SESSION", MPI_ERR_SESSION},
            {"ERR_PROC_ABORTED", MPI_ERR_PROC_ABORTED},
            {"ERR_VALUE_TOO_LARGE", MPI_ERR_VALUE_TOO_LARGE},
            {"ERR_REVOKED", MPI_ERR_REVOKED},
            {"ERR_PROC_FAILED", MPI_ERR_PROC_FAILED},
            {"ERR_PROC_FAILED_PENDING", MPI_ERR_PROC_FAILED_PENDING},
            {"ERR_ERRHANDLER", MPI_ERR_ERRHANDLER},
            {"ERR_ABI", MPI_ERR_ABI},
    };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (PyModule_AddIntConstant(m, codes[i].name, codes[i].value) < 0) {
            return -1;
        }
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
    if (cmpi_as_int(arg, &code, "errorcode") < 0) {
        return NULL;
    }
    if (error_code_unknown(code)) {
        return cmpi_raise_msg(cmpi_get_state(m), MPI_ERR_ARG,
                              "invalid error code: %d", code);
    }
    int cls;
    int ierr = MPI_Error_class(code, &cls);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    return PyLong_FromLong(cls);
}

CMPI_ONE_ARG_KW(mod_Get_error_class, PyObject, "Get_error_class", "errorcode")

CMPI_DOC(Get_error_string_doc, "Get_error_string(errorcode)",
         "Return the error string for a given error class or error code.");
static PyObject *
mod_Get_error_string(PyObject *m, PyObject *arg)
{
    int code;
    if (cmpi_as_int(arg, &code, "errorcode") < 0) {
        return NULL;
    }
    if (code < 0) { /* no error code is negative: MPI's ERR_ARG, as mpi4py */
        return cmpi_raise_msg(cmpi_get_state(m), MPI_ERR_ARG,
                              "invalid argument: errorcode=%d, must be >= 0",
                              code);
    }
    return error_string(code);
}

CMPI_ONE_ARG_KW(mod_Get_error_string, PyObject, "Get_error_string",
                "errorcode")

/* Error classes, codes and strings a program adds (MPI-2.2's dynamic
 * error classes): MPI.Exception, Get_error_class and Get_error_string work
 * with them as with MPI's own, through MPI_Error_class/_string. */

CMPI_DOC(Add_error_class_doc, "Add_error_class()",
         "Add an error class to the known error classes; return it.");
static PyObject *
mod_Add_error_class(PyObject *m, PyObject *Py_UNUSED(a))
{
    int errorclass;
    int ierr = MPI_Add_error_class(&errorclass);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    if (error_code_added(errorclass) < 0) {
        return NULL;
    }
    return PyLong_FromLong(errorclass);
}

CMPI_DOC(Add_error_code_doc, "Add_error_code(errorclass)",
         "Add an error code to an error class; return it.");
static PyObject *
mod_Add_error_code(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const kw[] = {"errorclass", NULL};
    PyObject *a[1] = {NULL};
    int errorclass, errorcode;
    if (cmpi_parse("Add_error_code", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &errorclass, "errorclass") < 0) {
        return NULL;
    }
    /* MPICH 4.0 adds a code to a class it never made, too */
    if (error_code_unknown(errorclass)) {
        return cmpi_raise_msg(cmpi_get_state(m), MPI_ERR_ARG,
                              "invalid error class: %d was not made by "
                              "Add_error_class",
                              errorclass);
    }
    int ierr = MPI_Add_error_code(errorclass, &errorcode);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    if (error_code_added(errorcode) < 0) {
        return NULL;
    }
    return PyLong_FromLong(errorcode);
}

CMPI_DOC(Add_error_string_doc, "Add_error_string(errorcode, string)",
         "Associate an error string with an error class or code.");
static PyObject *
mod_Add_error_string(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    static const char *const kw[] = {"errorcode", "string", NULL};
    PyObject *a[2] = {NULL, NULL};
    int errorcode;
    if (cmpi_parse("Add_error_string", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &errorcode, "errorcode") < 0) {
        return NULL;
    }
    Py_ssize_t len;
    const char *text = cmpi_as_mpistr(a[1], &len, "string");
    if (text == NULL) {
        return NULL;
    }
    /* MPI copies at most MPI_MAX_ERROR_STRING - 1 characters; a longer
     * string would be cut short silently, or refused (MPICH) */
    if (len >= MPI_MAX_ERROR_STRING) {
        PyErr_Format(PyExc_ValueError,
                     "string is %zd bytes long, MPI keeps at most %d", len,
                     MPI_MAX_ERROR_STRING - 1);
        return NULL;
    }
    int ierr = MPI_Add_error_string(errorcode, text);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    Py_RETURN_NONE;
}

#define CMPI_ERRORS_METHODS                                           \
    {"Get_error_class", FN(mod_Get_error_class_kw), FASTKW,           \
     Get_error_class_doc},                                            \
            {"Get_error_string", FN(mod_Get_error_string_kw), FASTKW, \
             Get_error_string_doc},                                   \
            {"Add_error_class", (PyCFunction)mod_Add_error_class,     \
             METH_NOARGS, Add_error_class_doc},                       \
            {"Add_error_code", FN(mod_Add_error_code), FASTKW,        \
             Add_error_code_doc},                                     \
            {"Add_error_string", FN(mod_Add_error_string), FASTKW,    \
             Add_error_string_doc},

/* ---------------------------------------------------------------------
 * MPI.Errhandler.  cmpi installs ERRORS_RETURN on every communicator it
 * makes, so that a failing call raises MPI.Exception; a user may install
 * another handler (ERRORS_ARE_FATAL, or one made by Create_errhandler
 * from a Python function).
 *
 * MPI_ERRORS_ABORT is MPI-4.  Where the library lacks it (Open MPI 4.1)
 * or cannot install it (MPICH 4.0 fails an internal assertion in
 * MPI_Comm_set_errhandler), MPI.ERRORS_ABORT is emulated: a handle-less
 * object flagged CMPI_EMULATED, installed as a handler that calls
 * MPI_Abort on the communicator -- what ERRORS_ABORT means.
 */
#define CMPI_EMULATED 0x4u
#if !defined(MPI_ERRORS_ABORT) || \
        (defined(MPICH_NUMVERSION) && MPICH_NUMVERSION < 40100000)
#define CMPI_EMULATE_ERRORS_ABORT 1
#endif

static MPI_Errhandler cmpi_abort_eh = MPI_ERRHANDLER_NULL;
static int
cmpi_errhandler_arg(cmpi_state *st, PyObject *obj, MPI_Errhandler *eh);

static void
errhandler_abort_fn(MPI_Comm *comm, int *code, ...)
{
    cmpi_abort_job(*comm, *code);
}

typedef struct {
    PyObject_HEAD
    MPI_Errhandler ob_mpi;
    unsigned flags;
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} ErrhandlerObject;

static PyObject *
cmpi_errhandler_new(cmpi_state *st, MPI_Errhandler eh, unsigned flags)
{
    PyTypeObject *type = st->Errhandler_Type;
    ErrhandlerObject *self = (ErrhandlerObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = eh;
    self->flags = flags;
    self->st = st;
    return (PyObject *)self;
}

static PyObject *
Errhandler_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"errhandler", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Errhandler", kwlist,
                                     &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    ErrhandlerObject *self = (ErrhandlerObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = MPI_ERRHANDLER_NULL;
    self->st = st;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Errhandler_Type)) {
            Py_DECREF(self);
            PyErr_Format(PyExc_TypeError, "expected an Errhandler, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        self->ob_mpi = ((ErrhandlerObject *)other)->ob_mpi;
        self->flags = ((ErrhandlerObject *)other)->flags & CMPI_EMULATED;
        if (!(self->flags & CMPI_EMULATED)) {
            cmpi_handle_link((PyObject *)self, other, CMPI_HK_ERRHANDLER);
        }
    }
    return (PyObject *)self;
}

static void
Errhandler_dealloc(ErrhandlerObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_ERRHANDLER);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Errhandler_richcompare, Errhandler_bool, CMPI_HK_ERRHANDLER)

static Py_hash_t
Errhandler_hash(ErrhandlerObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
}

static PyObject *
Errhandler_get_handle(ErrhandlerObject *self, void *Py_UNUSED(c))
{
    MPI_Errhandler eh = self->ob_mpi;
    if (cmpi_errhandler_arg(self->st, (PyObject *)self, &eh) < 0) {
        return NULL;
    }
    return PyLong_FromVoidPtr((void *)(intptr_t)eh);
}

/* Errhandlers made from Python functions.  MPI calls back a C function
 * with only the communicator (window, file) and the error code (and MPICH
 * 4.0 forbids asking which handler is installed from inside the callback),
 * so each Python handler gets its own C trampoline: slot i's function calls
 * the Python function in slot i.  Each kind (communicators, windows, files,
 * sessions) has its own slots, as in mpi4py.  A slot stays taken until its MPI
 * handle is reused (freeing an errhandler still installed on a communicator is
 * legal, so Free cannot release it). */
#define CMPI_MAX_ERRHANDLERS 64
#define CMPI_MAX_PY_ERRHANDLERS 32

/* What a Python error handler is for: each has its own callback type. */
enum errhandler_kind {
    ERRHANDLER_OF_COMM,
    ERRHANDLER_OF_WIN,
    ERRHANDLER_OF_FILE,
    ERRHANDLER_OF_SESSION, /* used where the library has MPI-4 sessions */
    ERRHANDLER_KINDS
};

static struct {
    MPI_Errhandler eh;
    PyObject *fn;
    cmpi_state *st;
} cmpi_py_errhandlers[ERRHANDLER_KINDS][CMPI_MAX_ERRHANDLERS];

static void
errhandler_forget(MPI_Errhandler eh)
{
    for (int k = 0; k < ERRHANDLER_KINDS; k++) {
        for (int i = 0; i < CMPI_MAX_ERRHANDLERS; i++) {
            if (cmpi_py_errhandlers[k][i].fn != NULL &&
                cmpi_py_errhandlers[k][i].eh == eh) {
                Py_CLEAR(cmpi_py_errhandlers[k][i].fn);
                cmpi_py_errhandlers[k][i].eh = MPI_ERRHANDLER_NULL;
            }
        }
    }
}

/* comm.c: a Comm object for a callback, without MPI attribute calls */
static PyObject *
cmpi_comm_borrowed(cmpi_state *st, MPI_Comm h);

#ifdef CMPI_HAVE_SESSION
/* session.c: a Session object for a callback, which never finalizes it */
static PyObject *
cmpi_session_borrowed(cmpi_state *st, MPI_Session h);
#endif

/* The object a Python handler of `kind` gets for the handle `h` points
 * to: a borrowed communicator, window or file. */
static PyObject *
errhandler_owner(enum errhandler_kind kind, cmpi_state *st, const void *h)
{
    switch (kind) {
        case ERRHANDLER_OF_WIN:
            return cmpi_win_alloc(st, st->Win_Type, *(const MPI_Win *)h,
                                  CMPI_CONST);
        case ERRHANDLER_OF_FILE:
            return cmpi_file_alloc(st, st->File_Type, *(const MPI_File *)h,
                                   CMPI_CONST);
#ifdef CMPI_HAVE_SESSION
        case ERRHANDLER_OF_SESSION:
            return cmpi_session_borrowed(st, *(const MPI_Session *)h);
#endif
        default: return cmpi_comm_borrowed(st, *(const MPI_Comm *)h);
    }
}

static void
errhandler_dispatch(enum errhandler_kind kind, int slot, const void *handle,
                    int *code)
{
    if (!Py_IsInitialized()) {
        return;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *fn = cmpi_py_errhandlers[kind][slot].fn;
    if (fn != NULL) {
        Py_INCREF(fn);
        /* keep an exception already being raised by the failing call */
        PyObject *pending = PyErr_GetRaisedException_compat();
        PyObject *c = errhandler_owner(
                kind, cmpi_py_errhandlers[kind][slot].st, handle);
        PyObject *r = c ? PyObject_CallFunction(fn, "Oi", c, *code) : NULL;
        if (r == NULL) {
            PyErr_WriteUnraisable(fn);
        }
        Py_XDECREF(r);
        Py_XDECREF(c);
        Py_DECREF(fn);
        if (pending != NULL) {
            PyErr_SetRaisedException_compat(pending);
        }
    }
    PyGILState_Release(gil);
}

/* Trampolines "ab" serve slot 8*a+b (their number read as octal): one
 * for each kind of handler. */
#define EH_TRAMP(i)                                                \
    static void eh_tramp_##i(MPI_Comm *comm, int *code, ...)       \
    {                                                              \
        errhandler_dispatch(ERRHANDLER_OF_COMM, 0##i, comm, code); \
    }                                                              \
    static void eh_win_tramp_##i(MPI_Win *win, int *code, ...)     \
    {                                                              \
        errhandler_dispatch(ERRHANDLER_OF_WIN, 0##i, win, code);   \
    }                                                              \
    static void eh_file_tramp_##i(MPI_File *file, int *code, ...)  \
    {                                                              \
        errhandler_dispatch(ERRHANDLER_OF_FILE, 0##i, file, code); \
    }                                                              \
    EH_SESSION_TRAMP(i)
#ifdef CMPI_HAVE_SESSION
#define EH_SESSION_TRAMP(i)                                          \
    static void eh_session_tramp_##i(MPI_Session *s, int *code, ...) \
    {                                                                \
        errhandler_dispatch(ERRHANDLER_OF_SESSION, 0##i, s, code);   \
    }
#else
#define EH_SESSION_TRAMP(i)
#endif
#define EH_TRAMP8(a) \
    EH_TRAMP(a##0)   \
    EH_TRAMP(a##1)   \
    EH_TRAMP(a##2)   \
    EH_TRAMP(a##3) EH_TRAMP(a##4) EH_TRAMP(a##5) EH_TRAMP(a##6) EH_TRAMP(a##7)
EH_TRAMP8(0)
EH_TRAMP8(1)
EH_TRAMP8(2)
EH_TRAMP8(3)
EH_TRAMP8(4)
EH_TRAMP8(5)
EH_TRAMP8(6)
EH_TRAMP8(7)
#define EH_REF8(p, a) \
    p##a##0, p##a##1, p##a##2, p##a##3, p##a##4, p##a##5, p##a##6, p##a##7
#define EH_REF64(p)                                             \
    EH_REF8(p, 0), EH_REF8(p, 1), EH_REF8(p, 2), EH_REF8(p, 3), \
            EH_REF8(p, 4), EH_REF8(p, 5), EH_REF8(p, 6), EH_REF8(p, 7)
static MPI_Comm_errhandler_function *const
        cmpi_eh_trampolines[CMPI_MAX_ERRHANDLERS] = {EH_REF64(eh_tramp_)};
static MPI_Win_errhandler_function
        *const cmpi_eh_win_trampolines[CMPI_MAX_ERRHANDLERS] = {
                EH_REF64(eh_win_tramp_)};
static MPI_File_errhandler_function
        *const cmpi_eh_file_trampolines[CMPI_MAX_ERRHANDLERS] = {
                EH_REF64(eh_file_tramp_)};
#ifdef CMPI_HAVE_SESSION
static MPI_Session_errhandler_function
        *const cmpi_eh_session_trampolines[CMPI_MAX_ERRHANDLERS] = {
                EH_REF64(eh_session_tramp_)};
#endif

CMPI_DOC(Errhandler_Free_doc, "Free($self)", "Free an error handler.");
static PyObject *
Errhandler_Free(ErrhandlerObject *self, PyObject *Py_UNUSED(a))
{
    if (self->flags & CMPI_CONST) {
        return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                              "cannot free a predefined error handler");
    }
    if (self->flags & CMPI_EMULATED) { /* holds no MPI handle */
        Py_RETURN_NONE;
    }
    if (self->ob_mpi == MPI_ERRHANDLER_NULL) {
        if (self->flags & CMPI_STALE) {
            cmpi_handle_stale_error((PyObject *)self, CMPI_HK_ERRHANDLER);
            return NULL;
        }
        return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                              "invalid error handler: ERRHANDLER_NULL");
    }
    MPI_Errhandler eh = self->ob_mpi;
    int ierr = MPI_Errhandler_free(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    /* The Python function stays reachable while a communicator still
     * uses the handler (MPI keeps it alive until then). */
    (void)eh;
    self->ob_mpi = MPI_ERRHANDLER_NULL;
    cmpi_handle_freed((PyObject *)self, CMPI_HK_ERRHANDLER, NULL);
    Py_RETURN_NONE;
}

static PyMethodDef Errhandler_methods[] = {
        {"Free", (PyCFunction)Errhandler_Free, METH_NOARGS,
         Errhandler_Free_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Errhandler_getset[] = {
        {"handle", (getter)Errhandler_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Errhandler_doc,
             "Errhandler(errhandler=None)\n--\n\nError handler.");

static PyMemberDef Errhandler_members[] = {
        CMPI_WEAKLIST_MEMBER(ErrhandlerObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Errhandler_slots[] = {
        {Py_tp_members, Errhandler_members},
        {Py_tp_doc, (void *)Errhandler_doc},
        {Py_tp_new, Errhandler_new},
        {Py_tp_dealloc, Errhandler_dealloc},
        {Py_tp_richcompare, Errhandler_richcompare},
        {Py_tp_hash, Errhandler_hash},
        {Py_nb_bool, Errhandler_bool},
        {Py_tp_methods, Errhandler_methods},
        {Py_tp_getset, Errhandler_getset},
        {0, NULL},
};

static PyType_Spec Errhandler_spec = {
        .name = "cmpi.MPI.Errhandler",
        .basicsize = sizeof(ErrhandlerObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Errhandler_slots,
};

static int
cmpi_errhandler_arg(cmpi_state *st, PyObject *obj, MPI_Errhandler *eh)
{
    if (!PyObject_TypeCheck(obj, st->Errhandler_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "errhandler must be an Errhandler, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (((ErrhandlerObject *)obj)->flags & CMPI_EMULATED) {
        if (cmpi_abort_eh == MPI_ERRHANDLER_NULL) {
            int ierr = MPI_Comm_create_errhandler(errhandler_abort_fn,
                                                  &cmpi_abort_eh);
            if (ierr != MPI_SUCCESS) {
                cmpi_raise(st, ierr);
                return -1;
            }
        }
        *eh = cmpi_abort_eh;
        return 0;
    }
    *eh = ((ErrhandlerObject *)obj)->ob_mpi;
    return 0;
}

/* Communicator calls (their table entries go into Comm's, in comm.c). */

/* Create_errhandler of each kind: the Python function gets a free slot
 * and that slot's trampoline of the kind is the MPI handler. */
static PyObject *
cmpi_errhandler_create(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames,
                       enum errhandler_kind kind)
{
    static const char *const kw[] = {"errhandler_fn", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Create_errhandler", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (!PyCallable_Check(a[0])) {
        PyErr_Format(PyExc_TypeError,
                     "errhandler_fn must be callable, not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    int slot = -1;
    /* at most 32, as mpi4py (the trampolines are spare) */
    for (int i = 0; i < CMPI_MAX_PY_ERRHANDLERS && slot < 0; i++) {
        if (cmpi_py_errhandlers[kind][i].fn == NULL) {
            slot = i;
        }
    }
    if (slot < 0) {
        PyErr_Format(PyExc_RuntimeError,
                     "Create_errhandler: at most %d error handlers made "
                     "from Python functions can exist at once",
                     CMPI_MAX_PY_ERRHANDLERS);
        return NULL;
    }
    MPI_Errhandler eh;
    int ierr;
    switch (kind) {
        case ERRHANDLER_OF_WIN:
            ierr = MPI_Win_create_errhandler(cmpi_eh_win_trampolines[slot],
                                             &eh);
            break;
        case ERRHANDLER_OF_FILE:
            ierr = MPI_File_create_errhandler(cmpi_eh_file_trampolines[slot],
                                              &eh);
            break;
#ifdef CMPI_HAVE_SESSION
        case ERRHANDLER_OF_SESSION:
            ierr = MPI_Session_create_errhandler(
                    cmpi_eh_session_trampolines[slot], &eh);
            break;
#endif
        default:
            ierr = MPI_Comm_create_errhandler(cmpi_eh_trampolines[slot], &eh);
            break;
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    errhandler_forget(eh); /* a stale entry for a reused handle */
    cmpi_py_errhandlers[kind][slot].eh = eh;
    cmpi_py_errhandlers[kind][slot].fn = Py_NewRef(a[0]);
    cmpi_py_errhandlers[kind][slot].st = st;
    return cmpi_errhandler_new(st, eh, 0);
}

CMPI_DOC(Comm_Create_errhandler_doc, "Create_errhandler(errhandler_fn)",
         "Create a new error handler for communicators; errhandler_fn is "
         "called as errhandler_fn(comm, error_code).");
static PyObject *
Comm_Create_errhandler(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    return cmpi_errhandler_create(cls, args, nargs, kwnames,
                                  ERRHANDLER_OF_COMM);
}

/* Windows' and files' (their table entries are in win.c and file.c). */

CMPI_DOC(Win_Create_errhandler_doc, "Create_errhandler(errhandler_fn)",
         "Create a new error handler for windows; errhandler_fn is called "
         "as errhandler_fn(win, error_code).");
static PyObject *
Win_Create_errhandler(PyTypeObject *cls, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    return cmpi_errhandler_create(cls, args, nargs, kwnames,
                                  ERRHANDLER_OF_WIN);
}

CMPI_DOC(File_Create_errhandler_doc, "Create_errhandler(errhandler_fn)",
         "Create a new error handler for files; errhandler_fn is called as "
         "errhandler_fn(file, error_code).");
static PyObject *
File_Create_errhandler(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    return cmpi_errhandler_create(cls, args, nargs, kwnames,
                                  ERRHANDLER_OF_FILE);
}

CMPI_DOC(Comm_Get_errhandler_doc, "Get_errhandler($self)",
         "Get the error handler for a communicator.");
static PyObject *
Comm_Get_errhandler(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Errhandler eh;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Comm_get_errhandler(self->ob_mpi, &eh);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (eh != MPI_ERRHANDLER_NULL && eh == cmpi_abort_eh) {
        MPI_Errhandler_free(&eh);
        return cmpi_errhandler_new(self->st, MPI_ERRHANDLER_NULL,
                                   CMPI_EMULATED);
    }
    return cmpi_errhandler_new(self->st, eh, 0);
}

CMPI_DOC(Comm_Set_errhandler_doc, "Set_errhandler($self, errhandler)",
         "Set the error handler for a communicator.");
static PyObject *
Comm_Set_errhandler(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const kw[] = {"errhandler", NULL};
    PyObject *a[1] = {NULL};
    MPI_Errhandler eh;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Set_errhandler", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_errhandler_arg(self->st, a[0], &eh) < 0) {
        return NULL;
    }
    if (eh == MPI_ERRHANDLER_NULL) {
        return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                              "invalid error handler: ERRHANDLER_NULL");
    }
    int ierr = MPI_Comm_set_errhandler(self->ob_mpi, eh);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Call_errhandler_doc, "Call_errhandler($self, errorcode)",
         "Call the error handler installed on a communicator.");
static PyObject *
Comm_Call_errhandler(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    static const char *const kw[] = {"errorcode", NULL};
    PyObject *a[1] = {NULL};
    int code, ierr;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Call_errhandler", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &code, "errorcode") < 0) {
        return NULL;
    }
    /* a Python handler runs in the callback and needs the GIL back */
    CMPI_NOGIL(ierr = MPI_Comm_call_errhandler(self->ob_mpi, code));
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

#define CMPI_ERRHANDLER_COMM_METHODS                                          \
    {"Create_errhandler", FN(Comm_Create_errhandler), CLSFASTKW,              \
     Comm_Create_errhandler_doc},                                             \
            {"Get_errhandler", (PyCFunction)Comm_Get_errhandler, METH_NOARGS, \
             Comm_Get_errhandler_doc},                                        \
            {"Set_errhandler", FN(Comm_Set_errhandler), FASTKW,               \
             Comm_Set_errhandler_doc},                                        \
            {"Call_errhandler", FN(Comm_Call_errhandler), FASTKW,             \
             Comm_Call_errhandler_doc},

static int
cmpi_errhandler_init(PyObject *m, cmpi_state *st)
{
    st->Errhandler_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Errhandler_spec, NULL);
    if (st->Errhandler_Type == NULL ||
        PyModule_AddType(m, st->Errhandler_Type) < 0) {
        return -1;
    }
#ifndef CMPI_EMULATE_ERRORS_ABORT
    MPI_Errhandler abort_eh = MPI_ERRORS_ABORT;
    unsigned abort_flags = CMPI_CONST;
#else
    MPI_Errhandler abort_eh = MPI_ERRHANDLER_NULL;
    unsigned abort_flags = CMPI_CONST | CMPI_EMULATED;
#endif
    if (cmpi_add(m, "ERRHANDLER_NULL",
                 cmpi_errhandler_new(st, MPI_ERRHANDLER_NULL, CMPI_CONST)) <
                0 ||
        cmpi_add(m, "ERRORS_RETURN",
                 cmpi_errhandler_new(st, MPI_ERRORS_RETURN, CMPI_CONST)) < 0 ||
        cmpi_add(m, "ERRORS_ARE_FATAL",
                 cmpi_errhandler_new(st, MPI_ERRORS_ARE_FATAL, CMPI_CONST)) <
                0 ||
        cmpi_add(m, "ERRORS_ABORT",
                 cmpi_errhandler_new(st, abort_eh, abort_flags)) < 0) {
        return -1;
    }
    return 0;
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef EH_TRAMP
#undef EH_TRAMP8
#undef EH_REF8
#undef EH_REF64
#undef EH_SESSION_TRAMP
