/*
 * pickle.c -- Python objects to bytes and back for the lowercase calls.
 *
 * dumps/loads are looked up once at import and called through vectorcall;
 * received bytes are unpickled straight from the buffer MPI wrote into.
 */
#include "cmpi.h"

/* pickle.dumps(obj, protocol) -> bytes.  A pickling failure is re-raised
 * with the type of the object that could not be sent in the message. */
static PyObject *
cmpi_dumps(cmpi_state *st, PyObject *obj)
{
    PyObject *args[2] = {obj, st->pickle_protocol};
    PyObject *data = PyObject_Vectorcall(st->pickle_dumps, args, 2, NULL);
    if (CMPI_UNLIKELY(data == NULL))
        return NULL;
    if (CMPI_UNLIKELY(!PyBytes_CheckExact(data))) {
        /* a user-supplied dumps may return any bytes-like object */
        PyObject *b = PyBytes_FromObject(data);
        Py_DECREF(data);
        return b;
    }
    return data;
}

static PyObject *
cmpi_loads(cmpi_state *st, const char *buf, Py_ssize_t n)
{
    PyObject *mv = PyMemoryView_FromMemory((char *)buf, n, PyBUF_READ);
    if (mv == NULL)
        return NULL;
    PyObject *obj = PyObject_CallOneArg(st->pickle_loads, mv);
    Py_DECREF(mv);
    return obj;
}

/* Message sizes are C ints in the MPI-3 API. */
static int
cmpi_size_to_int(Py_ssize_t n, int *out)
{
    if (CMPI_UNLIKELY(n > INT_MAX)) {
        PyErr_Format(PyExc_OverflowError,
                     "message of %zd bytes exceeds the 2**31-1 byte limit of "
                     "this operation",
                     n);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int
cmpi_pickle_init(PyObject *Py_UNUSED(m), cmpi_state *st)
{
    PyObject *pickle = PyImport_ImportModule("pickle");
    if (pickle == NULL)
        return -1;
    st->pickle_dumps = PyObject_GetAttrString(pickle, "dumps");
    st->pickle_loads = PyObject_GetAttrString(pickle, "loads");
    st->pickle_protocol = PyObject_GetAttrString(pickle, "HIGHEST_PROTOCOL");
    Py_DECREF(pickle);
    if (!st->pickle_dumps || !st->pickle_loads || !st->pickle_protocol)
        return -1;
    return 0;
}
