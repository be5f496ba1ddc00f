/*
 * MPI.c -- the cmpi.MPI extension module.
 *
 * One translation unit: this file includes every area file, so all their
 * functions are static and inline across areas, and only PyInit_MPI is
 * exported.  The exec slot initializes the areas in dependency order.
 */
#include "cmpi.h"

#include "errors.c"
#include "args.c"
#include "buffer.c"
#include "objcodec.c"
#include "pickle.c"
#include "datatype_derived.c"
#include "pack.c"
#include "typecode.c"
#include "datatype.c"
#include "op.c"
#include "status.c"
#include "profile.c"
#include "wait.c"
#include "request_lists.c"
#include "request.c"
#include "partitioned.c"
#include "prequest.c"
#include "grequest.c"
#include "group.c"
#include "info.c"
#include "memory.c"
#include "rma.c"
#include "win.c"
#include "file.c"
#include "p2p_buf.c"
#include "p2p_obj.c"
#include "coll_buf.c"
#include "comm_lock.c"
#include "coll_obj.c"
#include "message.c"
#include "neighbor.c"
#include "topology.c"
#include "keyval.c"
#include "dynproc.c"
#include "comm.c"
#include "env.c"
#include "session.c"
#include "handle.c"

/* Each subclass's own copy of the C methods it inherits from cmpi's
 * classes: Intracomm gets a method descriptor of its own for Comm's Send,
 * calling the same C function.  Why: CPython's specialized call of a
 * method descriptor (3.11 and later) requires self's class to be the
 * descriptor's class exactly, and a miss there costs more than the
 * generic call; COMM_WORLD is an Intracomm, so every Comm method called on
 * it missed (Get_rank 15.5 ns instead of 8.5 ns, Send to PROC_NULL 43
 * instead of 34.5).  mpi4py cannot be monkeypatched (its classes are
 * static types), so no program sees the difference in lookup.  What reads
 * a class's own members (the API pages, the stubs, the profile, the docs
 * test) skips the copies through MPI._method_copies, {class: frozenset of
 * names}.  The subclasses are listed base first: each one copies from its
 * base's dict, which by then holds its base's copies too.  Called once,
 * before MPI starts (the start may install the profile's or the collective
 * checker's wrappers, cmpi._jobsafety, which then wrap the copies too),
 * after handle.c has added its shared methods to Comm and Request. */
static int
cmpi_copy_inherited_methods(PyObject *m, cmpi_state *st)
{
    PyTypeObject *subclasses[] = {
            st->Intracomm_Type, st->Intercomm_Type, st->Topocomm_Type,
            st->Cartcomm_Type,  st->Graphcomm_Type, st->Distgraphcomm_Type,
            st->Prequest_Type,  st->Grequest_Type,
    };
    PyObject *copies = PyDict_New();
    if (copies == NULL) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(subclasses) / sizeof(subclasses[0]); i++) {
        PyTypeObject *cls = subclasses[i];
        PyObject *names = PySet_New(NULL);
        int failed = names == NULL;
        PyObject *name, *v; /* borrowed */
        Py_ssize_t pos = 0;
        /* the base's dict is only read here: every write goes to cls's */
        while (!failed &&
               PyDict_Next(cls->tp_base->tp_dict, &pos, &name, &v)) {
            if (!Py_IS_TYPE(v, &PyMethodDescr_Type)) {
                continue;
            }
            int own = PyDict_Contains(cls->tp_dict, name);
            if (own != 0) {
                failed = own < 0; /* else cls's own method (an override) */
                continue;
            }
            PyObject *descr = PyDescr_NewMethod(
                    cls, ((PyMethodDescrObject *)v)->d_method);
            failed = descr == NULL ||
                     PyObject_SetAttr((PyObject *)cls, name, descr) < 0 ||
                     PySet_Add(names, name) < 0;
            Py_XDECREF(descr);
        }
        PyObject *frozen = failed ? NULL : PyFrozenSet_New(names);
        failed = frozen == NULL ||
                 PyDict_SetItem(copies, (PyObject *)cls, frozen) < 0;
        Py_XDECREF(frozen);
        Py_XDECREF(names);
        if (failed) {
            Py_DECREF(copies);
            return -1;
        }
    }
    int rc = PyObject_SetAttrString(m, "_method_copies", copies);
    Py_DECREF(copies);
    return rc;
}

static int
cmpi_exec(PyObject *m)
{
    cmpi_state *st = cmpi_get_state(m);
    st->tag_ub = 32767; /* the MPI minimum, until MPI tells us more */
    st->shadow_keyval = MPI_KEYVAL_INVALID;
    if (cmpi_errors_init(m, st) < 0 || cmpi_datatype_init(m, st) < 0 ||
        cmpi_op_init(m, st) < 0 || cmpi_status_init(m, st) < 0 ||
        cmpi_request_init(m, st) < 0 || cmpi_prequest_init(m, st) < 0 ||
        cmpi_grequest_init(m, st) < 0 || cmpi_group_init(m, st) < 0 ||
        cmpi_message_init(m, st) < 0 || cmpi_comm_init(m, st) < 0 ||
        cmpi_errhandler_init(m, st) < 0 || cmpi_topology_init(m, st) < 0 ||
        cmpi_env_init(m, st) < 0 || cmpi_pickle_init(m, st) < 0 ||
        cmpi_handle_add_methods(st) < 0 ||
        cmpi_copy_inherited_methods(m, st) < 0 ||
        cmpi_env_startup(m, st) < 0 || cmpi_comm_init_constants(m, st) < 0) {
        return -1;
    }
    /* one-sided, I/O, memory areas */
    if (cmpi_info_init(m, st) < 0 || cmpi_memory_init(m, st) < 0 ||
        cmpi_win_init(m, st) < 0 || cmpi_file_init(m, st) < 0) {
        return -1;
    }
    /* last: every handle class and constant exists */
    if (cmpi_session_init(m, st) < 0 || cmpi_handle_init(m, st) < 0) {
        return -1;
    }
    return 0;
}

/* Traverse and clear visit every object field of the state: both are
 * generated from CMPI_STATE_OBJECTS (cmpi.h), the list the fields are. */
static int
cmpi_traverse(PyObject *m, visitproc visit, void *arg)
{
    cmpi_state *st = cmpi_get_state(m);
#define CMPI_STATE_VISIT(type, name) Py_VISIT(st->name);
    CMPI_STATE_OBJECTS(CMPI_STATE_VISIT)
#undef CMPI_STATE_VISIT
    return 0;
}

static int
cmpi_clear(PyObject *m)
{
    cmpi_state *st = cmpi_get_state(m);
#define CMPI_STATE_CLEAR(type, name) Py_CLEAR(st->name);
    CMPI_STATE_OBJECTS(CMPI_STATE_CLEAR)
#undef CMPI_STATE_CLEAR
    return 0;
}

static void
cmpi_free(void *m)
{
    cmpi_clear((PyObject *)m);
}

static PyMethodDef cmpi_methods[] = {
        CMPI_ENV_METHODS CMPI_PROFILE_METHODS CMPI_WAIT_METHODS
                CMPI_ERRORS_METHODS CMPI_P2P_MODULE_METHODS
                        CMPI_TOPO_MODULE_METHODS CMPI_DYNPROC_MODULE_METHODS
                                CMPI_MEMORY_METHODS CMPI_COLL_MODULE_METHODS
                                        CMPI_FILE_MODULE_METHODS
                                                CMPI_HANDLE_MODULE_METHODS{
                                                        NULL, NULL, 0, NULL},
};

static PyModuleDef_Slot cmpi_slots[] = {
        {Py_mod_exec, (void *)cmpi_exec},
        {Py_mod_exec, (void *)cmpi_fill_missing}, /* last: see env.c */
        {0, NULL},
};

PyDoc_STRVAR(cmpi_doc, "Message Passing Interface, for Python, in C.");

PyModuleDef cmpi_module = {
        PyModuleDef_HEAD_INIT,       .m_name = "cmpi.MPI",
        .m_doc = cmpi_doc,           .m_size = sizeof(cmpi_state),
        .m_methods = cmpi_methods,   .m_slots = cmpi_slots,
        .m_traverse = cmpi_traverse, .m_clear = cmpi_clear,
        .m_free = cmpi_free,
};

PyMODINIT_FUNC
PyInit_MPI(void)
{
    return PyModuleDef_Init(&cmpi_module);
}
