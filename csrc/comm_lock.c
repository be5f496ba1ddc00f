/*
 * comm_lock.c -- mpi4py's per-communicator lock table: the module's
 * _comm_lock_table() and _comm_lock(), which mpi4py.util.sync uses.
 */
#include "cmpi.h"

/* mpi4py keeps, per communicator, a dict of threading locks that its
 * lowercase calls take; _comm_lock_table() and _comm_lock() expose it.
 * cmpi keeps the same table (keyed by the communicator handle, dropped by
 * Free) and registers the "bcast" lock when bcast runs, for code that
 * looks at it; cmpi's own calls do not need the locks. */

/* Whether looking up a communicator's lock table makes one when there
 * is none. */
enum cmpi_lock_table_lookup {
    CMPI_LOCK_TABLE_FIND,
    CMPI_LOCK_TABLE_CREATE
};

/* The table of `comm` (borrowed); NULL without an error if there is none
 * and `lookup` is CMPI_LOCK_TABLE_FIND. */
static PyObject *
cmpi_comm_lock_table(cmpi_state *st, MPI_Comm comm,
                     enum cmpi_lock_table_lookup lookup)
{
    int create = lookup == CMPI_LOCK_TABLE_CREATE;
    if (st->comm_locks == NULL) {
        if (!create) {
            return NULL;
        }
        st->comm_locks = PyDict_New();
        if (st->comm_locks == NULL) {
            return NULL;
        }
    }
    PyObject *key = PyLong_FromVoidPtr((void *)(intptr_t)comm);
    if (key == NULL) {
        return NULL;
    }
    PyObject *table = PyDict_GetItemWithError(st->comm_locks, key);
    if (table == NULL && !PyErr_Occurred() && create) {
        table = PyDict_New();
        if (table != NULL) {
            int rc = PyDict_SetItem(st->comm_locks, key, table);
            Py_DECREF(table); /* the dict holds it */
            if (rc < 0) {
                table = NULL;
            }
        }
    }
    Py_DECREF(key);
    return table;
}

static void
cmpi_comm_locks_forget(cmpi_state *st, MPI_Comm comm)
{
    if (st->comm_locks == NULL || PyDict_GET_SIZE(st->comm_locks) == 0) {
        return;
    }
    PyObject *et, *ev, *tb;
    PyErr_Fetch(&et, &ev, &tb);
    PyObject *key = PyLong_FromVoidPtr((void *)(intptr_t)comm);
    if (key != NULL && PyDict_DelItem(st->comm_locks, key) < 0) {
        PyErr_Clear();
    }
    Py_XDECREF(key);
    PyErr_Restore(et, ev, tb);
}

/* The lock for `key` in `table` (new reference), created if missing. */
static PyObject *
comm_lock_get(PyObject *table, PyObject *key)
{
    PyObject *lock = PyDict_GetItemWithError(table, key);
    if (lock != NULL) {
        return Py_NewRef(lock);
    }
    if (PyErr_Occurred()) {
        return NULL;
    }
    PyObject *thread = PyImport_ImportModule("_thread");
    if (thread == NULL) {
        return NULL;
    }
    lock = PyObject_CallMethod(thread, "allocate_lock", NULL);
    Py_DECREF(thread);
    if (lock != NULL && PyDict_SetItem(table, key, lock) < 0) {
        Py_CLEAR(lock);
    }
    return lock;
}

/* bcast's entry in a table that exists; errors are not bcast's. */
static void
cmpi_comm_lock_note(CommObject *self, const char *name)
{
    if (self->st->comm_locks == NULL ||
        PyDict_GET_SIZE(self->st->comm_locks) == 0) {
        return;
    }
    PyObject *table =
            cmpi_comm_lock_table(self->st, self->ob_mpi, CMPI_LOCK_TABLE_FIND);
    PyObject *key = table ? PyUnicode_FromString(name) : NULL;
    PyObject *lock = key ? comm_lock_get(table, key) : NULL;
    Py_XDECREF(key);
    Py_XDECREF(lock);
    PyErr_Clear();
}

static CommObject *
comm_lock_arg(cmpi_state *st, PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, st->Comm_Type)) {
        PyErr_Format(PyExc_TypeError, "comm must be a Comm, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return (CommObject *)obj;
}

CMPI_DOC(mod_comm_lock_table_doc, "_comm_lock_table(comm)",
         "The dict of locks kept for `comm` (mpi4py compatibility).");
static PyObject *
mod_comm_lock_table(PyObject *m, PyObject *arg)
{
    cmpi_state *st = cmpi_get_state(m);
    CommObject *c = comm_lock_arg(st, arg);
    if (c == NULL) {
        return NULL;
    }
    return Py_XNewRef(
            cmpi_comm_lock_table(st, c->ob_mpi, CMPI_LOCK_TABLE_CREATE));
}

CMPI_DOC(mod_comm_lock_doc, "_comm_lock(comm, key=None)",
         "The lock kept for `comm` under `key`, created if missing (mpi4py "
         "compatibility).");
static PyObject *
mod_comm_lock(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"comm", "key", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_get_state(m);
    if (cmpi_parse("_comm_lock", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    CommObject *c = comm_lock_arg(st, a[0]);
    if (c == NULL) {
        return NULL;
    }
    PyObject *table =
            cmpi_comm_lock_table(st, c->ob_mpi, CMPI_LOCK_TABLE_CREATE);
    if (table == NULL) {
        return NULL;
    }
    if (PyObject_Hash(a[1] ? a[1] : Py_None) == -1) {
        return NULL;
    }
    return comm_lock_get(table, a[1] ? a[1] : Py_None);
}

#define CMPI_COLL_MODULE_METHODS                                   \
    {"_comm_lock_table", (PyCFunction)mod_comm_lock_table, METH_O, \
     mod_comm_lock_table_doc},                                     \
            {"_comm_lock", FN(mod_comm_lock), FASTKW, mod_comm_lock_doc},
