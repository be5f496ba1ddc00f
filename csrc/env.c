/*
 * env.c -- the MPI execution environment: initialization at import (as
 * cmpi.rc says), finalization at interpreter exit, and the module-level
 * environment functions (Init, Finalize, Wtime, Get_version, ...).
 */
#include "cmpi.h"

#include <stdio.h>

/* MPI is per process, so this is process state, not module state: should
 * cmpi call MPI_Finalize at exit (it initialized MPI, or rc said so)? */
static int cmpi_finalize_at_exit = 0;

#if PY_VERSION_HEX < 0x030D0000
/* Set when Python's atexit callbacks run, the first step of ending the
 * interpreter (cmpi.h: cmpi_python_finalizing, for CPython < 3.13). */
int cmpi_python_ending = 0;

static PyObject *
note_python_ending(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    cmpi_python_ending = 1;
    Py_RETURN_NONE;
}

static PyMethodDef note_python_ending_def = {
        "_note_python_ending", note_python_ending, METH_NOARGS, NULL};

static int
register_python_ending(void)
{
    PyObject *fn = PyCFunction_New(&note_python_ending_def, NULL);
    if (fn == NULL) {
        return -1;
    }
    PyObject *atexit = PyImport_ImportModule("atexit");
    PyObject *r =
            atexit ? PyObject_CallMethod(atexit, "register", "O", fn) : NULL;
    Py_XDECREF(atexit);
    Py_DECREF(fn);
    Py_XDECREF(r);
    return r ? 0 : -1;
}
#else
static int
register_python_ending(void)
{
    return 0;
}
#endif

static void
cmpi_atexit(void)
{
    int initialized = 0, finalized = 1;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    /* The user's script may have called MPI.Finalize() already. */
    if (cmpi_finalize_at_exit && initialized && !finalized) {
        fflush(stdout);
        fflush(stderr);
        if (cmpi_detached_complete(CMPI_WITHOUT_GIL) == 0) {
            MPI_Finalize();
        }
    }
}

static int
thread_level_from_name(PyObject *obj, int *level)
{
    if (PyLong_Check(obj)) {
        return cmpi_as_int(obj, level, "rc.thread_level");
    }
    const char *s = PyUnicode_Check(obj) ? PyUnicode_AsUTF8(obj) : NULL;
    if (s == NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "rc.thread_level must be 'single', 'funneled', "
                        "'serialized' or 'multiple'");
        return -1;
    }
    if (strcmp(s, "single") == 0) {
        *level = MPI_THREAD_SINGLE;
    }
    else if (strcmp(s, "funneled") == 0) {
        *level = MPI_THREAD_FUNNELED;
    }
    else if (strcmp(s, "serialized") == 0) {
        *level = MPI_THREAD_SERIALIZED;
    }
    else if (strcmp(s, "multiple") == 0) {
        *level = MPI_THREAD_MULTIPLE;
    }
    else {
        PyErr_Format(PyExc_ValueError,
                     "rc.thread_level=%R: expected 'single', 'funneled', "
                     "'serialized' or 'multiple'",
                     obj);
        return -1;
    }
    return 0;
}

/* Once MPI is up: failures on the predefined communicators raise instead
 * of aborting, and the tag limit is known for argument checks. */
static int
cmpi_env_after_init(cmpi_state *st)
{
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
    if (st->shadow_keyval == MPI_KEYVAL_INVALID &&
        (cmpi_shadow_keyval_init(st) < 0 ||
         cmpi_shadow_create(st, MPI_COMM_WORLD) < 0 ||
         cmpi_shadow_create(st, MPI_COMM_SELF) < 0)) {
        return -1;
    }
    int *ub = NULL, flag = 0;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &ub, &flag);
    st->tag_ub = (flag && ub) ? *ub : 32767;
    if (st->COMM_WORLD != NULL) {
        cmpi_comm_constants_attach(st);
    }
    if (cmpi_dynproc_after_init(st) < 0) { /* a spawned child's parent */
        return -1;
    }
    return cmpi_wait_startup();
}

static int
init_thread(cmpi_state *st, int required, int *provided)
{
    int ierr = MPI_Init_thread(NULL, NULL, required, provided);
    if (ierr != MPI_SUCCESS) {
        PyErr_Format(PyExc_RuntimeError,
                     "MPI_Init_thread failed with error code %d", ierr);
        return -1;
    }
    cmpi_finalize_at_exit = 1;
    return cmpi_env_after_init(st);
}

/* Read cmpi.rc and initialize MPI if asked to (the default). */
static int
cmpi_env_startup(PyObject *Py_UNUSED(m), cmpi_state *st)
{
    int initialize = 1, threads = 1, level = MPI_THREAD_MULTIPLE;
    int finalize = -1; /* None: finalize if we initialized */
    PyObject *pkg = PyImport_ImportModule("cmpi");
    PyObject *rc = pkg ? PyObject_GetAttrString(pkg, "rc") : NULL;
    Py_XDECREF(pkg);
    if (rc == NULL) {
        PyErr_Clear(); /* no package around us: use the defaults */
    }
    else {
        PyObject *v;
        if ((v = PyObject_GetAttrString(rc, "initialize")) != NULL) {
            initialize = PyObject_IsTrue(v);
            Py_DECREF(v);
        }
        if (v && (v = PyObject_GetAttrString(rc, "threads")) != NULL) {
            threads = PyObject_IsTrue(v);
            Py_DECREF(v);
        }
        if (v && (v = PyObject_GetAttrString(rc, "thread_level")) != NULL) {
            int r = thread_level_from_name(v, &level);
            Py_DECREF(v);
            if (r < 0) {
                Py_DECREF(rc);
                return -1;
            }
        }
        if (v && (v = PyObject_GetAttrString(rc, "finalize")) != NULL) {
            finalize = v == Py_None ? -1 : PyObject_IsTrue(v);
            Py_DECREF(v);
        }
        Py_DECREF(rc);
        if (v == NULL || initialize < 0 || threads < 0) {
            return -1;
        }
    }
    if (!threads) {
        level = MPI_THREAD_SINGLE;
    }

    int initialized = 0, finalized = 0, provided = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialize && !initialized) {
        if (init_thread(st, level, &provided) < 0) {
            return -1;
        }
    }
    else if (initialized && !finalized) {
        if (cmpi_env_after_init(st) < 0) {
            return -1;
        }
    }
    if (finalize >= 0) {
        cmpi_finalize_at_exit = finalize;
    }
    if (register_python_ending() < 0) {
        return -1;
    }
    if (Py_AtExit(cmpi_atexit) < 0) {
        PyErr_SetString(PyExc_RuntimeError, "cannot register MPI_Finalize");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ */

CMPI_DOC(Init_doc, "Init()", "Initialize the MPI execution environment.");
static PyObject *
mod_Init(PyObject *m, PyObject *Py_UNUSED(a))
{
    cmpi_state *st = cmpi_get_state(m);
    int ierr = MPI_Init(NULL, NULL);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    cmpi_finalize_at_exit = 1;
    if (cmpi_env_after_init(st) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Init_thread_doc, "Init_thread(required=cmpi.MPI.THREAD_MULTIPLE)",
         "Initialize the MPI execution environment with a thread support "
         "level; return the level provided.");
static PyObject *
mod_Init_thread(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"required", NULL};
    PyObject *a[1] = {NULL};
    int required, provided = MPI_THREAD_SINGLE;
    cmpi_state *st = cmpi_get_state(m);
    if (cmpi_parse("Init_thread", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_opt_int(a[0], &required, MPI_THREAD_MULTIPLE, "required") < 0) {
        return NULL;
    }
    int ierr = MPI_Init_thread(NULL, NULL, required, &provided);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    cmpi_finalize_at_exit = 1;
    if (cmpi_env_after_init(st) < 0) {
        return NULL;
    }
    return PyLong_FromLong(provided);
}

CMPI_DOC(Finalize_doc, "Finalize()",
         "Terminate the MPI execution environment.");
static PyObject *
mod_Finalize(PyObject *m, PyObject *Py_UNUSED(a))
{
    int ierr;
    fflush(stdout);
    if (cmpi_detached_complete(CMPI_WITH_GIL) != 0) {
        /* sends nobody receives: this library's MPI_Finalize would not
         * return (p2p_obj.c, reported), nor may the one at exit be tried */
        cmpi_finalize_at_exit = 0;
        Py_RETURN_NONE;
    }
    CMPI_NOGIL(ierr = MPI_Finalize());
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Is_initialized_doc, "Is_initialized()",
         "Indicates whether Init has been called.");
static PyObject *
mod_Is_initialized(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    int flag = 0;
    MPI_Initialized(&flag);
    return PyBool_FromLong(flag);
}

CMPI_DOC(Is_finalized_doc, "Is_finalized()",
         "Indicates whether Finalize has completed.");
static PyObject *
mod_Is_finalized(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    int flag = 0;
    MPI_Finalized(&flag);
    return PyBool_FromLong(flag);
}

CMPI_DOC(Query_thread_doc, "Query_thread()",
         "Return the level of thread support provided by the MPI library.");
static PyObject *
mod_Query_thread(PyObject *m, PyObject *Py_UNUSED(a))
{
    int level = MPI_THREAD_SINGLE;
    int ierr = MPI_Query_thread(&level);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    return PyLong_FromLong(level);
}

CMPI_DOC(Is_thread_main_doc, "Is_thread_main()",
         "Indicate whether this thread called Init or Init_thread.");
static PyObject *
mod_Is_thread_main(PyObject *m, PyObject *Py_UNUSED(a))
{
    int flag = 0;
    int ierr = MPI_Is_thread_main(&flag);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    return PyBool_FromLong(flag);
}

CMPI_DOC(Get_version_doc, "Get_version()",
         "Obtain the version number of the MPI standard supported by the "
         "implementation as a tuple (version, subversion).");
static PyObject *
mod_Get_version(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    int version = MPI_VERSION, subversion = MPI_SUBVERSION;
    MPI_Get_version(&version, &subversion);
    return Py_BuildValue("(ii)", version, subversion);
}

CMPI_DOC(Get_library_version_doc, "Get_library_version()",
         "Obtain the version string of the MPI library.");
static PyObject *
mod_Get_library_version(PyObject *m, PyObject *Py_UNUSED(a))
{
    char buf[MPI_MAX_LIBRARY_VERSION_STRING + 1];
    int len = 0;
    int ierr = MPI_Get_library_version(buf, &len);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\0')) {
        len--;
    }
    return PyUnicode_FromStringAndSize(buf, len);
}

CMPI_DOC(Get_processor_name_doc, "Get_processor_name()",
         "Obtain the name of the calling processor.");
static PyObject *
mod_Get_processor_name(PyObject *m, PyObject *Py_UNUSED(a))
{
    char buf[MPI_MAX_PROCESSOR_NAME + 1];
    int len = 0;
    int ierr = MPI_Get_processor_name(buf, &len);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    return PyUnicode_FromStringAndSize(buf, len);
}

CMPI_DOC(Wtime_doc, "Wtime()",
         "Return an elapsed time on the calling "
         "processor.");
static PyObject *
mod_Wtime(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    return PyFloat_FromDouble(MPI_Wtime());
}

CMPI_DOC(Wtick_doc, "Wtick()", "Return the resolution of Wtime.");
static PyObject *
mod_Wtick(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    return PyFloat_FromDouble(MPI_Wtick());
}

#ifdef MPI_ABI_VERSION
/* MPI-5 standard ABI: one binary runs on whichever library implements the
 * ABI (libmpi_abi.so found at run time), and mpi_abi.h names no vendor (no
 * OPEN_MPI, MPICH_NAME...), so the vendor is read once from the library's
 * version string: "MPICH Version:      5.0.2..." or "Open MPI v6.0.0...".
 * Callable before MPI_Init and after MPI_Finalize (MPI-4).  Returns
 * "MPICH", "Open MPI" or "unknown"; `version` (may be NULL) gets the
 * major, minor and micro numbers. */
static const char *
cmpi_abi_vendor(int version[3])
{
    static const char *name = NULL;
    static int v[3] = {0, 0, 0};
    if (name == NULL) { /* first called from module init, with the GIL */
        char buf[MPI_MAX_LIBRARY_VERSION_STRING + 1] = {0};
        int len = 0;
        const char *found = "unknown";
        if (MPI_Get_library_version(buf, &len) == MPI_SUCCESS) {
            if (strncmp(buf, "MPICH Version:", 14) == 0) {
                found = "MPICH";
                sscanf(buf + 14, " %d.%d.%d", &v[0], &v[1], &v[2]);
            }
            else if (strncmp(buf, "Open MPI v", 10) == 0) {
                found = "Open MPI";
                sscanf(buf + 10, "%d.%d.%d", &v[0], &v[1], &v[2]);
            }
        }
        name = found;
    }
    if (version != NULL) {
        memcpy(version, v, sizeof(v));
    }
    return name;
}
#endif

CMPI_DOC(get_vendor_doc, "get_vendor()",
         "Information about the underlying MPI implementation: a tuple "
         "(name, (major, minor, micro)).");
static PyObject *
mod_get_vendor(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
#if defined(MPI_ABI_VERSION)
    int v[3];
    const char *name = cmpi_abi_vendor(v);
    return Py_BuildValue("(s(iii))", name, v[0], v[1], v[2]);
#elif defined(OPEN_MPI)
    return Py_BuildValue("(s(iii))", "Open MPI", OMPI_MAJOR_VERSION,
                         OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION);
#elif defined(I_MPI_VERSION)
    /* Intel MPI also defines MPICH_VERSION (that of its MPICH base). */
    int major = 0, minor = 0, micro = 0;
    sscanf(I_MPI_VERSION, "%d.%d.%d", &major, &minor, &micro);
    return Py_BuildValue("(s(iii))", "Intel MPI", major, minor, micro);
#elif defined(MPICH_NAME)
    int major = 0, minor = 0, micro = 0;
    sscanf(MPICH_VERSION, "%d.%d.%d", &major, &minor, &micro);
    return Py_BuildValue("(s(iii))", "MPICH", major, minor, micro);
#else
    return Py_BuildValue("(s(iii))", "unknown", 0, 0, 0);
#endif
}

CMPI_DOC(Pcontrol_doc, "Pcontrol(level)", "Control profiling.");
static PyObject *
mod_Pcontrol(PyObject *m, PyObject *arg)
{
    int level;
    if (cmpi_as_int(arg, &level, "level") < 0) {
        return NULL;
    }
    if (level < 0 || level > 2) { /* the levels MPI defines, as mpi4py */
        return cmpi_raise_msg(cmpi_get_state(m), MPI_ERR_ARG,
                              "invalid argument: level=%d, must be 0, 1 or 2",
                              level);
    }
    int ierr = MPI_Pcontrol(level);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(cmpi_get_state(m), ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(mod_Pcontrol, PyObject, "Pcontrol", "level")

/* The MPI ABI queries (MPI-5).  Libraries without the standard ABI
 * answer as mpi4py does for them: version (-1, -1), an info with the
 * sizes of the C integer types, no Fortran info (INFO_NULL). */
CMPI_DOC(Get_abi_version_doc, "Get_abi_version()",
         "Return MPI ABI version as (major, minor); (-1, -1) when the "
         "library does not implement the standard ABI.");
static PyObject *
mod_Get_abi_version(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    return Py_BuildValue("(ii)", -1, -1);
}

CMPI_DOC(Get_abi_info_doc, "Get_abi_info()",
         "Return an info object with the sizes of MPI's integer types "
         "(mpi_aint_size, mpi_count_size, mpi_offset_size).");
static PyObject *
mod_Get_abi_info(PyObject *m, PyObject *Py_UNUSED(a))
{
    cmpi_state *st = cmpi_get_state(m);
    MPI_Info h = MPI_INFO_NULL;
    int ierr = MPI_Info_create(&h);
    char v[32];
    snprintf(v, sizeof(v), "%d", (int)sizeof(MPI_Aint));
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Info_set(h, "mpi_aint_size", v);
    }
    snprintf(v, sizeof(v), "%d", (int)sizeof(MPI_Count));
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Info_set(h, "mpi_count_size", v);
    }
    snprintf(v, sizeof(v), "%d", (int)sizeof(MPI_Offset));
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Info_set(h, "mpi_offset_size", v);
    }
    if (ierr != MPI_SUCCESS) {
        if (h != MPI_INFO_NULL) {
            MPI_Info_free(&h);
        }
        return cmpi_raise(st, ierr);
    }
    return cmpi_info_new(st, h);
}

CMPI_DOC(Get_abi_fortran_info_doc, "Get_abi_fortran_info()",
         "Return an info object with the Fortran ABI details; INFO_NULL "
         "when the library does not give them.");
static PyObject *
mod_Get_abi_fortran_info(PyObject *m, PyObject *Py_UNUSED(a))
{
    return PyObject_GetAttrString(m, "INFO_NULL");
}

#define CMPI_ENV_METHODS                                                     \
    {"Init", (PyCFunction)mod_Init, METH_NOARGS, Init_doc},                  \
            {"Get_abi_version", (PyCFunction)mod_Get_abi_version,            \
             METH_NOARGS, Get_abi_version_doc},                              \
            {"Get_abi_info", (PyCFunction)mod_Get_abi_info, METH_NOARGS,     \
             Get_abi_info_doc},                                              \
            {"Get_abi_fortran_info", (PyCFunction)mod_Get_abi_fortran_info,  \
             METH_NOARGS, Get_abi_fortran_info_doc},                         \
            {"Init_thread", (PyCFunction)(void (*)(void))mod_Init_thread,    \
             METH_FASTCALL | METH_KEYWORDS, Init_thread_doc},                \
            {"Finalize", (PyCFunction)mod_Finalize, METH_NOARGS,             \
             Finalize_doc},                                                  \
            {"Is_initialized", (PyCFunction)mod_Is_initialized, METH_NOARGS, \
             Is_initialized_doc},                                            \
            {"Is_finalized", (PyCFunction)mod_Is_finalized, METH_NOARGS,     \
             Is_finalized_doc},                                              \
            {"Query_thread", (PyCFunction)mod_Query_thread, METH_NOARGS,     \
             Query_thread_doc},                                              \
            {"Is_thread_main", (PyCFunction)mod_Is_thread_main, METH_NOARGS, \
             Is_thread_main_doc},                                            \
            {"Get_version", (PyCFunction)mod_Get_version, METH_NOARGS,       \
             Get_version_doc},                                               \
            {"Get_library_version", (PyCFunction)mod_Get_library_version,    \
             METH_NOARGS, Get_library_version_doc},                          \
            {"Get_processor_name", (PyCFunction)mod_Get_processor_name,      \
             METH_NOARGS, Get_processor_name_doc},                           \
            {"Wtime", (PyCFunction)mod_Wtime, METH_NOARGS, Wtime_doc},       \
            {"Wtick", (PyCFunction)mod_Wtick, METH_NOARGS, Wtick_doc},       \
            {"get_vendor", (PyCFunction)mod_get_vendor, METH_NOARGS,         \
             get_vendor_doc},                                                \
            {"Pcontrol", FN(mod_Pcontrol_kw), FASTKW, Pcontrol_doc},

/* Sentinels MPI.BOTTOM, MPI.IN_PLACE and MPI.BUFFER_AUTOMATIC, as in
 * mpi4py: not ints (BOTTOM + 1 is a TypeError) but equal to, and hashing as,
 * the int of their MPI constant's address; each exports an empty writable
 * buffer at that address with no owner (memoryview(BOTTOM).obj is None), so
 * MPI.Get_address and MPI.buffer take them; each is the only instance of its
 * type (calling the type returns it, pickling goes by name).  Message
 * specifications recognise them by identity before asking for a buffer. */
typedef struct {
    PyObject_HEAD
    Py_ssize_t address; /* (intptr_t) of MPI_BOTTOM, MPI_IN_PLACE or
                           MPI_BUFFER_AUTOMATIC (0 without it, as mpi4py) */
} SentinelObject;

static PyObject *
Sentinel_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)args;
    (void)kwds;
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    return Py_NewRef(type == st->BottomType    ? st->BOTTOM
                     : type == st->InPlaceType ? st->IN_PLACE
                                               : st->BUFFER_AUTOMATIC);
}

static void
Sentinel_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyObject *
Sentinel_repr(PyObject *self)
{
    const char *tn = Py_TYPE(self)->tp_name;
    return PyUnicode_FromString(strstr(tn, "InPlace") ? "IN_PLACE"
                                : strstr(tn, "BufferAutomatic")
                                        ? "BUFFER_AUTOMATIC"
                                        : "BOTTOM");
}

static PyObject *
Sentinel_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    /* a name: pickle stores a reference to the module's constant */
    return Sentinel_repr(self);
}

static PyObject *
Sentinel_int(PyObject *self)
{
    return PyLong_FromSsize_t(((SentinelObject *)self)->address);
}

static int
Sentinel_bool(PyObject *self)
{
    return ((SentinelObject *)self)->address != 0;
}

static Py_hash_t
Sentinel_hash(PyObject *self)
{
    PyObject *value = Sentinel_int(self);
    if (value == NULL) {
        return -1;
    }
    Py_hash_t hash = PyObject_Hash(value);
    Py_DECREF(value);
    return hash;
}

static PyObject *
Sentinel_richcompare(PyObject *self, PyObject *other, int op)
{
    /* == and != against integers (anything with __index__, as in mpi4py);
     * the same sentinel is equal by identity, and anything else (orderings
     * included) is not comparable */
    if ((op != Py_EQ && op != Py_NE) || !PyIndex_Check(other)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *index = PyNumber_Index(other);
    if (index == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) {
            return NULL;
        }
        PyErr_Clear(); /* e.g. a NumPy array of several items */
        Py_RETURN_NOTIMPLEMENTED;
    }
    PyObject *value = Sentinel_int(self);
    PyObject *result =
            value == NULL ? NULL : PyObject_RichCompare(value, index, op);
    Py_XDECREF(value);
    Py_DECREF(index);
    return result;
}

static int
cmpi_sentinel_getbuffer(PyObject *self, Py_buffer *view, int flags)
{
    void *address = (void *)(intptr_t)((SentinelObject *)self)->address;
    return PyBuffer_FillInfo(view, NULL, address, 0, 0, flags);
}

static PyMethodDef Sentinel_methods[] = {
        {"__reduce__", Sentinel_reduce, METH_NOARGS, NULL},
        {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(BottomType_doc, "Type of `BOTTOM`.");
PyDoc_STRVAR(InPlaceType_doc, "Type of `IN_PLACE`.");
PyDoc_STRVAR(BufferAutomaticType_doc, "Type of `BUFFER_AUTOMATIC`.");

/* Only BOTTOM is an index (mpi4py's IN_PLACE has no __index__). */
static PyType_Slot BottomType_slots[] = {
        {Py_tp_new, Sentinel_new},
        {Py_tp_dealloc, Sentinel_dealloc},
        {Py_tp_repr, Sentinel_repr},
        {Py_tp_hash, Sentinel_hash},
        {Py_tp_richcompare, Sentinel_richcompare},
        {Py_tp_methods, Sentinel_methods},
        {Py_nb_int, Sentinel_int},
        {Py_nb_index, Sentinel_int},
        {Py_nb_bool, Sentinel_bool},
        {Py_bf_getbuffer, cmpi_sentinel_getbuffer},
        {Py_tp_doc, (void *)BottomType_doc},
        {0, NULL},
};

static PyType_Slot InPlaceType_slots[] = {
        {Py_tp_new, Sentinel_new},
        {Py_tp_dealloc, Sentinel_dealloc},
        {Py_tp_repr, Sentinel_repr},
        {Py_tp_hash, Sentinel_hash},
        {Py_tp_richcompare, Sentinel_richcompare},
        {Py_tp_methods, Sentinel_methods},
        {Py_nb_int, Sentinel_int},
        {Py_nb_bool, Sentinel_bool},
        {Py_bf_getbuffer, cmpi_sentinel_getbuffer},
        {Py_tp_doc, (void *)InPlaceType_doc},
        {0, NULL},
};

/* MPI-4.1's MPI_BUFFER_AUTOMATIC (for Attach_buffer): no index either. */
static PyType_Slot BufferAutomaticType_slots[] = {
        {Py_tp_new, Sentinel_new},
        {Py_tp_dealloc, Sentinel_dealloc},
        {Py_tp_repr, Sentinel_repr},
        {Py_tp_hash, Sentinel_hash},
        {Py_tp_richcompare, Sentinel_richcompare},
        {Py_tp_methods, Sentinel_methods},
        {Py_nb_int, Sentinel_int},
        {Py_nb_bool, Sentinel_bool},
        {Py_bf_getbuffer, cmpi_sentinel_getbuffer},
        {Py_tp_doc, (void *)BufferAutomaticType_doc},
        {0, NULL},
};

static PyType_Spec BottomType_spec = {
        .name = "cmpi.MPI.BottomType",
        .basicsize = sizeof(SentinelObject),
        .flags = Py_TPFLAGS_DEFAULT,
        .slots = BottomType_slots,
};

static PyType_Spec InPlaceType_spec = {
        .name = "cmpi.MPI.InPlaceType",
        .basicsize = sizeof(SentinelObject),
        .flags = Py_TPFLAGS_DEFAULT,
        .slots = InPlaceType_slots,
};

static PyType_Spec BufferAutomaticType_spec = {
        .name = "cmpi.MPI.BufferAutomaticType",
        .basicsize = sizeof(SentinelObject),
        .flags = Py_TPFLAGS_DEFAULT,
        .slots = BufferAutomaticType_slots,
};

/* The one instance of a sentinel type (its tp_new returns it once made). */
static PyObject *
sentinel_make(PyTypeObject *type, void *address)
{
    SentinelObject *self = (SentinelObject *)type->tp_alloc(type, 0);
    if (self != NULL) {
        self->address = (Py_ssize_t)(intptr_t)address;
    }
    return (PyObject *)self;
}

static int
cmpi_env_init(PyObject *m, cmpi_state *st)
{
    static const struct {
        const char *name;
        int value;
    } ints[] = {
            {"UNDEFINED", MPI_UNDEFINED},
            {"ANY_SOURCE", MPI_ANY_SOURCE},
            {"ANY_TAG", MPI_ANY_TAG},
            {"PROC_NULL", MPI_PROC_NULL},
            {"ROOT", MPI_ROOT},
            {"KEYVAL_INVALID", MPI_KEYVAL_INVALID},
            {"TAG_UB", MPI_TAG_UB},
            {"HOST", MPI_HOST},
            {"IO", MPI_IO},
            {"WTIME_IS_GLOBAL", MPI_WTIME_IS_GLOBAL},
            {"UNIVERSE_SIZE", MPI_UNIVERSE_SIZE},
            {"APPNUM", MPI_APPNUM},
            {"LASTUSEDCODE", MPI_LASTUSEDCODE},
            {"THREAD_SINGLE", MPI_THREAD_SINGLE},
            {"THREAD_FUNNELED", MPI_THREAD_FUNNELED},
            {"THREAD_SERIALIZED", MPI_THREAD_SERIALIZED},
            {"THREAD_MULTIPLE", MPI_THREAD_MULTIPLE},
            {"IDENT", MPI_IDENT},
            {"CONGRUENT", MPI_CONGRUENT},
            {"SIMILAR", MPI_SIMILAR},
            {"UNEQUAL", MPI_UNEQUAL},
            {"CART", MPI_CART},
            {"GRAPH", MPI_GRAPH},
            {"DIST_GRAPH", MPI_DIST_GRAPH},
            {"VERSION", MPI_VERSION},
            {"SUBVERSION", MPI_SUBVERSION},
            {"MAX_PROCESSOR_NAME", MPI_MAX_PROCESSOR_NAME},
            {"MAX_ERROR_STRING", MPI_MAX_ERROR_STRING},
            {"MAX_OBJECT_NAME", MPI_MAX_OBJECT_NAME},
            {"MAX_LIBRARY_VERSION_STRING", MPI_MAX_LIBRARY_VERSION_STRING},
            {"MAX_PORT_NAME", MPI_MAX_PORT_NAME},
            {"MAX_INFO_KEY", MPI_MAX_INFO_KEY},
            {"MAX_INFO_VAL", MPI_MAX_INFO_VAL},
            {"MAX_PSET_NAME_LEN", MPI_MAX_PSET_NAME_LEN},
            {"MAX_STRINGTAG_LEN", MPI_MAX_STRINGTAG_LEN},
            {"BSEND_OVERHEAD", MPI_BSEND_OVERHEAD},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (PyModule_AddIntConstant(m, ints[i].name, ints[i].value) < 0) {
            return -1;
        }
    }
    /* MPI._ABI_VERSION: (MPI_ABI_VERSION, MPI_ABI_SUBVERSION) of the
     * standard ABI header cmpi was built with (mpicc_abi), else None. */
#ifdef MPI_ABI_VERSION
    PyObject *abi = Py_BuildValue("(ii)", MPI_ABI_VERSION, MPI_ABI_SUBVERSION);
#else
    PyObject *abi = Py_NewRef(Py_None);
#endif
    if (abi == NULL || PyModule_AddObjectRef(m, "_ABI_VERSION", abi) < 0) {
        Py_XDECREF(abi);
        return -1;
    }
    Py_DECREF(abi);
    st->BottomType = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &BottomType_spec, NULL);
    st->InPlaceType = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &InPlaceType_spec, NULL);
    st->BufferAutomaticType = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &BufferAutomaticType_spec, NULL);
    if (st->BottomType == NULL || st->InPlaceType == NULL ||
        st->BufferAutomaticType == NULL ||
        PyModule_AddType(m, st->BottomType) < 0 ||
        PyModule_AddType(m, st->InPlaceType) < 0 ||
        PyModule_AddType(m, st->BufferAutomaticType) < 0) {
        return -1;
    }
    st->BOTTOM = sentinel_make(st->BottomType, MPI_BOTTOM);
    st->IN_PLACE = sentinel_make(st->InPlaceType, MPI_IN_PLACE);
#ifdef MPI_BUFFER_AUTOMATIC
    st->BUFFER_AUTOMATIC =
            sentinel_make(st->BufferAutomaticType, MPI_BUFFER_AUTOMATIC);
#else
    st->BUFFER_AUTOMATIC = sentinel_make(st->BufferAutomaticType, NULL);
#endif
    if (st->BOTTOM == NULL || st->IN_PLACE == NULL ||
        st->BUFFER_AUTOMATIC == NULL ||
        PyModule_AddObjectRef(m, "BOTTOM", st->BOTTOM) < 0 ||
        PyModule_AddObjectRef(m, "IN_PLACE", st->IN_PLACE) < 0 ||
        PyModule_AddObjectRef(m, "BUFFER_AUTOMATIC", st->BUFFER_AUTOMATIC) <
                0) {
        return -1;
    }
    return 0;
}

/* Runs after every area has added its names (the last Py_mod_exec slot):
 * each name of mpi4py's API that cmpi.MPI still lacks gets a stand-in that
 * raises NotImplementedError naming the MPI function (cmpi/_mpi4py_api.py),
 * so a program meets a clear error rather than an AttributeError. */
static int
cmpi_fill_missing(PyObject *m)
{
    PyObject *api = PyImport_ImportModule("cmpi._mpi4py_api");
    if (api == NULL) {
        return -1;
    }
    PyObject *res = PyObject_CallMethod(api, "fill", "O", m);
    Py_DECREF(api);
    if (res == NULL) {
        return -1;
    }
    Py_DECREF(res);
    return 0;
}
