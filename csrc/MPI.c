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
