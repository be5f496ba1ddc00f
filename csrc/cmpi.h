/*
 * cmpi.h -- the one internal header of the cmpi.MPI extension.
 *
 * The extension is a single translation unit: MPI.c includes every area
 * file (env.c, errors.c, buffer.c, ...), so all functions are static and
 * only PyInit_MPI is exported.  Each area file also includes this header
 * (it is include-guarded) so that editors and linters can analyse the
 * file on its own.  What one area uses of another is declared here, with
 * the cmpi_ prefix; a macro local to an area file ends with that file
 * (#undef, checked by tests/launch/test_symbols.py).
 *
 * The areas, in MPI.c's include order:
 *   errors.c        MPI.Exception, Errhandler, the ERR_* constants
 *   args.c          METH_FASTCALL argument parsing, rank and tag checks
 *   buffer.c        message specifications ([buf, count, datatype], ...)
 *   objcodec.c      the lowercase calls' own encoding of common objects
 *   pickle.c        MPI.pickle: objects to bytes and back
 *   datatype_derived.c  Datatype constructors (vector, struct, darray ...)
 *   pack.c          Pack, Unpack and their sizes
 *   typecode.c      fromcode, tocode, typechar, typestr
 *   datatype.c      MPI.Datatype: the object, introspection, decode()
 *   op.c            MPI.Op
 *   status.c        MPI.Status
 *   profile.c       the profile and timeline: MPI._prof_*, call wrappers
 *   wait.c          every blocking wait: polling, Ctrl-C, hang reports
 *   request_lists.c Waitall, Testany, Waitsome ... on lists of requests
 *   request.c       MPI.Request
 *   partitioned.c   partitioned point-to-point: Psend_init, Pready ...
 *   prequest.c      MPI.Prequest: persistent requests
 *   grequest.c      MPI.Grequest: generalized requests
 *   group.c         MPI.Group
 *   info.c          MPI.Info
 *   memory.c        MPI.buffer (MPI.memory), Alloc_mem
 *   rma.c           one-sided access: Put, Get, Accumulate ...
 *   win.c           MPI.Win: windows, synchronization
 *   file.c          MPI.File: parallel I/O
 *   p2p_buf.c       point-to-point on buffers: Send, Recv, Probe ...
 *   p2p_obj.c       point-to-point on objects: send, recv, isend ...
 *   coll_buf.c      collectives on buffers: Bcast, Allreduce ...
 *   comm_lock.c     mpi4py's per-communicator lock table
 *   coll_obj.c      collectives on objects: bcast, allreduce ...
 *   message.c       MPI.Message: matched probes
 *   neighbor.c      neighborhood collectives of a Topocomm
 *   topology.c      Topocomm, Cartcomm, Graphcomm, Distgraphcomm
 *   keyval.c        attribute caching on communicators
 *   dynproc.c       Spawn, Accept, Connect, ports and names
 *   comm.c          MPI.Comm, Intracomm, Intercomm: their method tables
 *   env.c           Init, Finalize, Wtime, the library's version
 *   session.c       MPI.Session
 *   handle.c        what every handle class shares: compare, bool,
 *                   null check, toint/fromint, free, the constants
 */
#ifndef CMPI_H
#define CMPI_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <mpi.h>

/* CMPI_HAVE_<CALL>: the optional MPI calls this library has, found by
 * meson.build at build time (not by MPI_VERSION: Open MPI 5.0 reports
 * MPI 3.1 and has most of MPI-4). */
#include "cmpi_config.h"

/* Optional Fortran types: absent from some MPI builds (MPICH has no
 * LOGICALn); mpi4py then exposes them as DATATYPE_NULL, and so do we. */

#ifndef MPI_LOGICAL1
#define MPI_LOGICAL1 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL2
#define MPI_LOGICAL2 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL4
#define MPI_LOGICAL4 MPI_DATATYPE_NULL
#endif
#ifndef MPI_LOGICAL8
#define MPI_LOGICAL8 MPI_DATATYPE_NULL
#endif
/* Fortran kinds and MPI-4.1/5.0 fixed-size floating types that an MPI
 * library may lack: DATATYPE_NULL then, as in mpi4py. */
#ifndef MPI_LOGICAL16
#define MPI_LOGICAL16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_INTEGER16
#define MPI_INTEGER16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_REAL2
#define MPI_REAL2 MPI_DATATYPE_NULL
#endif
#ifndef MPI_REAL16
#define MPI_REAL16 MPI_DATATYPE_NULL
#endif
#ifndef MPI_COMPLEX4
#define MPI_COMPLEX4 MPI_DATATYPE_NULL
#endif
#ifndef MPI_COMPLEX32
#define MPI_COMPLEX32 MPI_DATATYPE_NULL
#endif
#ifndef MPI_FLOAT16_T
#define MPI_FLOAT16_T MPI_DATATYPE_NULL
#endif
#ifndef MPI_FLOAT32_T
#define MPI_FLOAT32_T MPI_DATATYPE_NULL
#endif
#ifndef MPI_FLOAT64_T
#define MPI_FLOAT64_T MPI_DATATYPE_NULL
#endif
#ifndef MPI_BFLOAT16_T
#define MPI_BFLOAT16_T MPI_DATATYPE_NULL
#endif

/* MPI-4.0/4.1 constants and the fault-tolerance error classes (ULFM:
 * MPI_ in Open MPI 5, MPIX_ in MPICH) a library may lack: mpi4py's
 * stand-in values then, so that the names exist and compare as there. */
#if !CMPI_HAVE_COMBINER_VALUE_INDEX
#define MPI_COMBINER_VALUE_INDEX MPI_COMBINER_NAMED
#endif
#if !CMPI_HAVE_MAX_PSET_NAME_LEN
#define MPI_MAX_PSET_NAME_LEN 1
#endif
#if !CMPI_HAVE_MAX_STRINGTAG_LEN
#define MPI_MAX_STRINGTAG_LEN 1
#endif
#if !CMPI_HAVE_ERR_REVOKED
#if CMPI_HAVE_X_ERR_REVOKED
#define MPI_ERR_REVOKED MPIX_ERR_REVOKED
#else
#define MPI_ERR_REVOKED MPI_ERR_UNKNOWN
#endif
#endif
#if !CMPI_HAVE_ERR_PROC_FAILED
#if CMPI_HAVE_X_ERR_PROC_FAILED
#define MPI_ERR_PROC_FAILED MPIX_ERR_PROC_FAILED
#else
#define MPI_ERR_PROC_FAILED MPI_ERR_UNKNOWN
#endif
#endif
#if !CMPI_HAVE_ERR_PROC_FAILED_PENDING
#if CMPI_HAVE_X_ERR_PROC_FAILED_PENDING
#define MPI_ERR_PROC_FAILED_PENDING MPIX_ERR_PROC_FAILED_PENDING
#else
#define MPI_ERR_PROC_FAILED_PENDING MPI_ERR_UNKNOWN
#endif
#endif

#include <limits.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define CMPI_LIKELY(x) __builtin_expect(!!(x), 1)
#define CMPI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CMPI_NOINLINE __attribute__((noinline))
#define CMPI_ALWAYS_INLINE inline __attribute__((always_inline))
#define CMPI_UNUSED __attribute__((unused))
#else
#define CMPI_LIKELY(x) (x)
#define CMPI_UNLIKELY(x) (x)
#define CMPI_NOINLINE
#define CMPI_ALWAYS_INLINE inline
#define CMPI_UNUSED
#endif

/* Docstrings carry a text signature in CPython's Clinic format, so that
 * inspect.signature() and help() show mpi4py's argument names. */
#define CMPI_DOC(name, sig, text) PyDoc_STRVAR(name, sig "\n--\n\n" text)
/* For defaults that are objects (op=SUM, datatype=BYTE), which a text
 * signature cannot express: the signature is shown in the text only. */
#define CMPI_DOC_NOSIG(name, sig, text) PyDoc_STRVAR(name, sig "\n\n" text)

/* One thin communicator method: the docstring <Class>_<Name>_doc and the
 * METH_FASTCALL | METH_KEYWORDS function <Class>_<Name>, which calls the
 * area's shared implementation `impl` with the method's name and then
 * the named constants (enums) that say what to do.  #Name is the one name
 * string of the call: the text signature `sig`, "(...)", follows it;
 * argument errors name it ("Send() missing required argument 'dest'");
 * hang and Ctrl-C reports show it ("comm.Send(dest=1, tag=0) on
 * COMM_WORLD": wait.c adds the "comm."); and the MPI function it stands
 * for is "MPI_" #Name (cmpi_not_implemented_call).  A string literal
 * costs nothing at run time, and the wrapper is static: the compiler
 * inlines `impl` into it or makes the call a jump. */
#define CMPI_COMM_METHOD(Class, Name, DOC, sig, text, impl, ...)             \
    DOC(Class##_##Name##_doc, #Name sig, text);                              \
    static PyObject *Class##_##Name(CommObject *self, PyObject *const *args, \
                                    Py_ssize_t nargs, PyObject *kwnames)     \
    {                                                                        \
        return impl(self, args, nargs, kwnames, #Name, __VA_ARGS__);         \
    }

/* Run an MPI call with the GIL released.  Every call that can block
 * goes through this, so other Python threads keep running. */
#define CMPI_NOGIL(...)        \
    do {                       \
        Py_BEGIN_ALLOW_THREADS \
        __VA_ARGS__;           \
        Py_END_ALLOW_THREADS   \
    } while (0)

/* Method-table shorthands for METH_FASTCALL functions. */
#define FASTKW (METH_FASTCALL | METH_KEYWORDS)
#define CLSFASTKW (METH_FASTCALL | METH_KEYWORDS | METH_CLASS)
#define FN(f) ((PyCFunction)(void (*)(void))(f))

/* A one-argument method that mpi4py lets be called by keyword (name(x) or
 * name(kw=x)), written as a METH_O body `body`: defines body##_kw, the
 * FASTKW function for the method table.  The usual positional call goes
 * straight to the body; only a keyword goes through cmpi_parse. */
#define CMPI_ONE_ARG_KW(body, SelfType, fname, kwname)                      \
    static PyObject *body##_kw(SelfType *self, PyObject *const *args,       \
                               Py_ssize_t nargs, PyObject *kwnames)         \
    {                                                                       \
        if (CMPI_LIKELY(nargs == 1 && kwnames == NULL)) {                   \
            return body(self, args[0]);                                     \
        }                                                                   \
        static const char *const names_[] = {kwname, NULL};                 \
        PyObject *arg_[1] = {NULL};                                         \
        if (cmpi_parse(fname, args, nargs, kwnames, names_, 1, arg_) < 0) { \
            return NULL;                                                    \
        }                                                                   \
        return body(self, arg_[0]);                                         \
    }

/* Handle flags (mpi4py's object model). */
#define CMPI_CONST 0x1u /* predefined constant: never freed, never changed */
#define CMPI_PERSISTENT 0x2u /* a persistent request (Prequest) */
/* A request object that shares a handle it does not own (a copy, or one
 * made by fromhandle/fromint/f2py): dropping it completes or frees
 * nothing. */
#define CMPI_REQ_NOT_OWNER 0x10u
/* The handle was freed (completed, closed...) through another object that
 * shared it, and this object's handle was nulled then (handle.c): using
 * it raises MPI.Exception saying so. */
#define CMPI_STALE 0x8u
/* A derived datatype not yet seen committed: Open MPI crashes in several
 * calls (Allgather, Neighbor_allgather, Pack_size ...) on an uncommitted
 * one, so a message spec checks it once (cmpi_datatype_check_committed). */
#define CMPI_DT_UNVERIFIED 0x40u
/* A predefined datatype's object whose cmpi_type_facts are read. */
#define CMPI_DT_FACTS 0x200u

/* The objects that share one MPI handle because one was made from the
 * other (Comm(c), Request(r), Group(g) ...) form a ring through their
 * `copies` fields; NULL when an object shares its handle with no other.
 * Freeing the handle through one of them nulls it in the others
 * (cmpi_handle_freed, handle.c), so that none passes a dead handle to
 * MPI.  The pointers are borrowed: each object unlinks itself when it
 * goes. */
typedef struct {
    PyObject *next, *prev;
} cmpi_copies;

/* ---------------------------------------------------------------------
 * Module state: every type, exception and cached object lives here.
 *
 * CMPI_STATE_OBJECTS lists every Python object the state holds, as
 * X(C type, field).  The struct's fields, cmpi_traverse and cmpi_clear
 * (MPI.c) are all generated from this one list, so no field can be left
 * out of traverse or clear.  Fields that hold no Python object (ints)
 * follow the list in the struct.
 */
#define CMPI_STATE_OBJECTS(X)                                                \
    X(PyTypeObject, Exception_Type)                                          \
    X(PyTypeObject, Datatype_Type)                                           \
    X(PyTypeObject, Op_Type)                                                 \
    X(PyTypeObject, Status_Type)                                             \
    X(PyTypeObject, Request_Type)                                            \
    X(PyTypeObject, Prequest_Type)                                           \
    X(PyTypeObject, Group_Type)                                              \
    X(PyTypeObject, Message_Type)                                            \
    X(PyTypeObject, Comm_Type)                                               \
    X(PyTypeObject, Intracomm_Type)                                          \
    X(PyTypeObject, Intercomm_Type)                                          \
    X(PyTypeObject, BottomType)                                              \
    X(PyTypeObject, InPlaceType)                                             \
    X(PyTypeObject, BufferAutomaticType)                                     \
                                                                             \
    X(PyObject, BOTTOM)           /* MPI.BOTTOM sentinel */                  \
    X(PyObject, IN_PLACE)         /* MPI.IN_PLACE sentinel */                \
    X(PyObject, BUFFER_AUTOMATIC) /* MPI.BUFFER_AUTOMATIC sentinel */        \
    X(PyObject, COMM_NULL)                                                   \
    X(PyObject, COMM_SELF)                                                   \
    X(PyObject, COMM_WORLD)                                                  \
    X(PyObject, REQUEST_NULL)                                                \
    X(PyObject, typecodes) /* dict: typecode str -> Datatype */              \
                                                                             \
    X(PyTypeObject, Pickle_Type)                                             \
    /* MPI.pickle: what the lowercase calls use */                           \
    X(PyObject, pickle)                                                      \
    X(PyObject, stdlib_dumps)       /* pickle.dumps */                       \
    X(PyObject, stdlib_loads)       /* pickle.loads */                       \
    X(PyObject, stdlib_protocol)    /* pickle.HIGHEST_PROTOCOL */            \
    X(PyObject, kw_buffer_callback) /* ("buffer_callback",) */               \
    X(PyObject, kw_buffers)         /* ("buffers",) */                       \
    /* objcodec.c: numpy.ndarray and numpy.generic once NumPy is loaded,     \
     * the dtype caches (dtype or scalar type -> (key, dtype string);        \
     * dtype string -> dtype), the interned name "dtype" */                  \
    X(PyObject, objcodec_ndarray)                                            \
    X(PyObject, objcodec_generic)                                            \
    X(PyObject, objcodec_descrs)                                             \
    X(PyObject, objcodec_dtypes)                                             \
    X(PyObject, objcodec_str_dtype)                                          \
                                                                             \
    /* info.c, win.c, file.c, memory.c (one-sided, I/O, memory) */           \
    X(PyTypeObject, Info_Type)                                               \
    X(PyTypeObject, Buffer_Type) /* MPI.buffer, alias MPI.memory */          \
    X(PyTypeObject, Win_Type)                                                \
    X(PyTypeObject, File_Type)                                               \
                                                                             \
    /* errors.c, topology.c: error handlers and topology communicators */    \
    X(PyTypeObject, Errhandler_Type)                                         \
    X(PyTypeObject, Topocomm_Type)                                           \
    X(PyTypeObject, Cartcomm_Type)                                           \
    X(PyTypeObject, Graphcomm_Type)                                          \
    X(PyTypeObject, Distgraphcomm_Type)                                      \
                                                                             \
    /* comm_lock.c: _comm_lock_table, {communicator handle: {key: Lock}},    \
     * NULL until first asked for */                                         \
    X(PyObject, comm_locks)                                                  \
    X(PyTypeObject, Grequest_Type) /* grequest.c */                          \
    X(PyTypeObject, Session_Type)  /* session.c */                           \
                                                                             \
    /* keyval.c: the addresses (ints) of attribute values whose delete_fn    \
     * raised, a set, NULL until the first such failure (see                 \
     * keyval_delete_cb) */                                                  \
    X(PyObject, keyval_failed)                                               \
    /* handle.c: the predefined constants, a list of (kind, object, name)    \
     * triples (pickling names them) */                                      \
    X(PyObject, handle_consts)                                               \
    /* p2p_obj.c: one receive buffer (bytes, CMPI_OBJ_EAGER long) lent to    \
     * each irecv() given no buffer while nothing else holds it; made by     \
     * the first such irecv and kept, never swapped for another */           \
    X(PyObject, irecv_buffer)                                                \
    /* p2p_buf.c: what Attach_buffer was given, returned by Detach_buffer */ \
    X(PyObject, bsend_object)                                                \
    /* buffer.c: numpy.ndarray once a message was one, and a list holding    \
     * the dtypes of array_cache (below) */                                  \
    X(PyTypeObject, ndarray_type)                                            \
    X(PyObject, array_descrs)

typedef struct cmpi_state {
#define CMPI_STATE_FIELD(type, name) type *name;
    CMPI_STATE_OBJECTS(CMPI_STATE_FIELD)
#undef CMPI_STATE_FIELD

    int tag_ub;           /* MPI_TAG_UB of COMM_WORLD, read once at init */
    int shadow_keyval;    /* attribute: a communicator's shadow (p2p_obj.c) */
    unsigned payload_seq; /* tags of large-object payloads (p2p_obj.c) */
    /* buffer.c: the MPI datatype and item size of an exact ndarray's
     * dtype, by the dtype object (held by array_descrs) */
    int array_ncached;
    struct {
        PyObject *descr;
        MPI_Datatype dtype;
        Py_ssize_t itemsize;
    } array_cache[8];
} cmpi_state;

extern PyModuleDef cmpi_module;

/* ---------------------------------------------------------------------
 * CPython versions.  cmpi builds on 3.10 and later with the public C API
 * only (no _Py* name: tests/launch/test_distribution.py and CI check the
 * built extension's undefined symbols).  Each shim below gives an older
 * CPython the public function a newer one has.
 */
#if PY_VERSION_HEX < 0x030B0000
/* PyType_GetModuleByDef is 3.11's.  On 3.10, walk the MRO for the first
 * heap type created by a module with definition `def`, as 3.11 does. */
static inline PyObject *
cmpi_type_module_by_def(PyTypeObject *type, PyModuleDef *def)
{
    PyObject *mro = type->tp_mro;
    Py_ssize_t n = mro ? PyTuple_GET_SIZE(mro) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTypeObject *base = (PyTypeObject *)PyTuple_GET_ITEM(mro, i);
        if (!(base->tp_flags & Py_TPFLAGS_HEAPTYPE)) {
            continue;
        }
        PyObject *m = PyType_GetModule(base);
        if (m == NULL) {
            PyErr_Clear(); /* a heap type made without a module */
            continue;
        }
        if (PyModule_GetDef(m) == def) {
            return m;
        }
    }
    PyErr_Format(PyExc_TypeError,
                 "PyType_GetModuleByDef: no superclass of '%s' has the given "
                 "module",
                 type->tp_name);
    return NULL;
}
#define PyType_GetModuleByDef cmpi_type_module_by_def
#endif

/* Py_IsFinalizing is public from 3.13 on; before, the module notes when
 * the interpreter starts to end (an atexit callback, env.c), which is
 * before any module or object is torn down. */
#if PY_VERSION_HEX >= 0x030D0000
#define cmpi_python_finalizing() Py_IsFinalizing()
#else
extern int cmpi_python_ending;
#define cmpi_python_finalizing() (cmpi_python_ending != 0)
#endif

static inline cmpi_state *
cmpi_get_state(PyObject *module)
{
    void *st = PyModule_GetState(module);
    assert(st != NULL);
    return (cmpi_state *)st;
}

/* State of the module that defined the type of `obj` (slots only; methods
 * receive their defining class or cache the state in the object). */
static inline cmpi_state *
cmpi_state_of(PyObject *obj)
{
    PyObject *m = PyType_GetModuleByDef(Py_TYPE(obj), &cmpi_module);
    return m ? cmpi_get_state(m) : NULL;
}

/* Add `obj` to module `m` under `name`, stealing the reference (also
 * when it is NULL, i.e. its creation failed). */
static inline int
cmpi_add(PyObject *m, const char *name, PyObject *obj)
{
    if (obj == NULL) {
        return -1;
    }
    int rc = PyModule_AddObjectRef(m, name, obj);
    Py_DECREF(obj);
    return rc;
}

/* Python 3.12's PyErr_GetRaisedException / PyErr_SetRaisedException, for
 * 3.11: hold an exception while a collective completes, then re-raise. */
static inline PyObject *
PyErr_GetRaisedException_compat(void)
{
    PyObject *t, *v, *tb;
    PyErr_Fetch(&t, &v, &tb);
    if (t == NULL) {
        return NULL;
    }
    PyErr_NormalizeException(&t, &v, &tb);
    if (tb != NULL && v != NULL) {
        PyException_SetTraceback(v, tb);
    }
    Py_XDECREF(t);
    Py_XDECREF(tb);
    return v;
}

/* Print an exception and its traceback on sys.stderr (3.12's
 * PyErr_DisplayException), without the exit SystemExit would cause. */
static inline void
PyErr_DisplayException_compat(PyObject *exc)
{
    PyObject *tb = PyException_GetTraceback(exc);
    PyErr_Display((PyObject *)Py_TYPE(exc), exc, tb);
    Py_XDECREF(tb);
}

static inline void
PyErr_SetRaisedException_compat(PyObject *exc)
{
    PyErr_Restore(Py_NewRef((PyObject *)Py_TYPE(exc)), exc,
                  PyException_GetTraceback(exc));
}

/* An empty status, as MPI returns for PROC_NULL: MPI sets MPI_ERROR only
 * for multiple completions, so every status starts from this. */
static inline void
cmpi_status_clear(MPI_Status *s)
{
    memset(s, 0, sizeof(*s));
    s->MPI_SOURCE = MPI_ANY_SOURCE;
    s->MPI_TAG = MPI_ANY_TAG;
    s->MPI_ERROR = MPI_SUCCESS;
}

/* The bytes a status says a message has, read from the status's own
 * fields where the library's mpi.h shows them (Open MPI, MPICH and its
 * derivatives): 1 and *n set, or 0 where they cannot be read so (another
 * library, the standard ABI, a count above INT_MAX), and then
 * MPI_Get_count(s, MPI_BYTE, ...) tells.  MPI_Get_count costs 44
 * instructions a receive. */
static inline int
cmpi_status_bytes_read(const MPI_Status *s, int *n)
{
#if !defined(MPI_ABI_VERSION) && defined(OPEN_MPI)
    if (CMPI_LIKELY(s->_ucount <= (size_t)INT_MAX)) {
        *n = (int)s->_ucount;
        return 1;
    }
#elif !defined(MPI_ABI_VERSION) && defined(MPICH)
    /* the count's high bits are above the cancelled bit */
    if (CMPI_LIKELY(s->count_lo >= 0 &&
                    (s->count_hi_and_cancelled >> 1) == 0)) {
        *n = s->count_lo;
        return 1;
    }
#else
    (void)s;
    (void)n;
#endif
    return 0;
}

/* MPI_Get_count(s, MPI_BYTE, n), through the status's fields when it can */
static inline int
cmpi_status_bytes(const MPI_Status *s, int *n)
{
    if (CMPI_LIKELY(cmpi_status_bytes_read(s, n))) {
        return MPI_SUCCESS;
    }
    return MPI_Get_count(s, MPI_BYTE, n);
}

/* MPI_Waitall without statuses.  One MPI_Wait each: gcc's
 * -Wstringop-overflow misreads MPICH's MPI_STATUSES_IGNORE in a Waitall.
 * Call without the GIL. */
static inline int
cmpi_waitall(int n, MPI_Request *reqs)
{
    int ierr = MPI_SUCCESS;
    for (int i = 0; i < n; i++) {
        int rc = MPI_Wait(&reqs[i], MPI_STATUS_IGNORE);
        if (ierr == MPI_SUCCESS) {
            ierr = rc;
        }
    }
    return ierr;
}

/* Hash of an MPI handle (a pointer in Open MPI, an int in MPICH). */
static inline Py_hash_t
cmpi_hash_handle(intptr_t h)
{
    Py_hash_t v = (Py_hash_t)h;
    return v == -1 ? -2 : v;
}

/* State of the module defining `type` or one of its bases (works for
 * Python subclasses of cmpi's types too). */
static inline cmpi_state *
cmpi_type_state(PyTypeObject *type)
{
    PyObject *m = PyType_GetModuleByDef(type, &cmpi_module);
    return m ? cmpi_get_state(m) : NULL;
}

/* ---------------------------------------------------------------------
 * Objects.  Every handle object caches the module state: the instance
 * holds its heap type, which holds the module, so the pointer stays valid.
 */

/* Handle objects take weak references, as mpi4py's do: each struct has a
 * `PyObject *weakreflist`, its type's Py_tp_members lists
 * CMPI_WEAKLIST_MEMBER(struct) (the way to set tp_weaklistoffset with
 * PyType_FromSpec before 3.12), and its dealloc calls cmpi_clear_weakrefs
 * first.  Subtypes inherit the offset. */
#define CMPI_WEAKLIST_MEMBER(type)                                            \
    {"__weaklistoffset__", T_PYSSIZET, offsetof(type, weakreflist), READONLY, \
     NULL}

static inline void
cmpi_clear_weakrefs(PyObject *self, PyObject *weakreflist)
{
    if (weakreflist != NULL) {
        PyObject_ClearWeakRefs(self);
    }
}

/* What a message reads of the datatype it names (MPI_Type_size,
 * MPI_Type_get_extent, MPI_Type_get_true_extent): three MPI calls, about
 * 190 instructions, at every [buf, MPI.DOUBLE].  A predefined datatype's
 * object (CMPI_CONST) keeps them from its first message on: its handle
 * never changes and is never freed, so they cannot go stale.  `handle`
 * is the handle they were read of (checked at each use all the same). */
typedef struct {
    MPI_Datatype handle;
    int size;
    MPI_Aint extent, true_lb, true_extent;
} cmpi_type_facts;

typedef struct {
    PyObject_HEAD
    MPI_Datatype ob_mpi;
    unsigned flags;
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
    cmpi_type_facts facts; /* valid under CMPI_DT_FACTS */
} DatatypeObject;

typedef struct {
    PyObject_HEAD
    MPI_Op ob_mpi;
    unsigned flags;
    int slot; /* user-defined op: its trampoline slot, else -1 */
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} OpObject;

typedef struct {
    PyObject_HEAD
    MPI_Message ob_mpi;
    unsigned flags;
    MPI_Comm shadow;  /* of the communicator it was probed on */
    MPI_Status probe; /* the envelope: its byte count sizes recv() */
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} MessageObject;

typedef struct {
    PyObject_HEAD
    MPI_Group ob_mpi;
    unsigned flags;
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} GroupObject;

typedef struct {
    PyObject_HEAD
    MPI_Status ob_mpi;
    PyObject *weakreflist;
} StatusObject;

typedef struct {
    PyObject_HEAD
    MPI_Comm ob_mpi;
    unsigned flags;
    int size;        /* local group size, cached: it never changes */
    int peers;       /* ranks a point-to-point call may name (remote size) */
    int inter;       /* intercommunicator? */
    MPI_Comm shadow; /* private duplicate for large-object payloads */
    /* this process's rank in ob_mpi, once asked for, while ob_mpi is still
     * rank_of (a zeroed handle is none: no MPI's handle is all zeros) */
    MPI_Comm rank_of;
    int rank;
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} CommObject;

/* The class of a communicator made by Create, Split, Split_type and
 * Shrink: a plain Intracomm or Intercomm, as in mpi4py (a topology is not
 * inherited, nor a Python subclass; Dup and Clone keep type(self)). */
static inline PyTypeObject *
cmpi_comm_plain_type(CommObject *c)
{
    if (PyObject_TypeCheck((PyObject *)c, c->st->Intracomm_Type)) {
        return c->st->Intracomm_Type;
    }
    if (PyObject_TypeCheck((PyObject *)c, c->st->Intercomm_Type)) {
        return c->st->Intercomm_Type;
    }
    return c->st->Comm_Type;
}

/* What a request is waiting for, and so what completing it produces. */
enum cmpi_req_kind {
    CMPI_REQ_PLAIN = 0, /* a buffer operation, or nothing: result None */
    CMPI_REQ_OBJ_SEND,  /* lowercase isend: owns the pickled bytes */
    CMPI_REQ_OBJ_RECV,  /* lowercase irecv: unpickles on completion, and
                           fetches a large object's payload (p2p_obj.c) */
};

/* Lowercase messages larger than this, or holding out-of-band buffers,
 * travel as an envelope on the user's communicator announcing pieces sent
 * on its shadow (p2p_obj.c), so an irecv() can post a receive of this size and
 * still take any object. */
#define CMPI_OBJ_EAGER 32768

typedef struct {
    PyObject_HEAD
    MPI_Request ob_mpi;
    unsigned flags;
    int kind;
    int pactive; /* persistent request: started and not yet complete */
    /* Buffer operations: the exported views, released on completion. */
    Py_buffer views[2];
    int nviews;
    /* Vector collectives: the counts, displacements (and datatypes) MPI
     * reads until completion; PyMem blocks, freed on completion. */
    void *mem[2];
    int nmem;
    PyObject *keep;  /* pickled bytes being sent, or the receive buffer */
    char *rbuf;      /* lowercase irecv: where the message lands */
    MPI_Comm shadow; /* lowercase irecv: where a payload comes from */
    MPI_Status status;
    PyObject *result;
    /* A copy (Request(other)) shares the handle without owning it, and
     * keeps the owning object alive. */
    PyObject *owner;
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
    /* profile.c: what each Start of this persistent request moves, as
     * its *_init counted it (prof_kept: counted while a profile ran) */
    long long prof_sent, prof_received;
    int prof_peer, prof_tag, prof_kept;
} RequestObject;

typedef struct {
    PyObject_HEAD
    MPI_Info ob_mpi;
    unsigned flags;
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} InfoObject;

/* MPI.Win (win.c, rma.c) */
typedef struct {
    int rank; /* target: completing it releases the buffer */
    Py_buffer view;
} win_held;

typedef struct {
    PyObject_HEAD
    MPI_Win ob_mpi;
    unsigned flags;
    int gsize;        /* processes in the window's group */
    MPI_Aint *tsize;  /* bytes of window memory of each rank, or NULL */
    int *tunit;       /* displacement unit of each rank */
    Py_buffer memory; /* Create: the window memory, held until Free */
    win_held *held;   /* origin/result buffers of RMA calls in flight */
    Py_ssize_t nheld, capheld;
    Py_buffer *attached; /* Create_dynamic: memory attached */
    Py_ssize_t nattached, capattached;
    PyObject *memories; /* list: buffers tomemory()/Shared_query gave */
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} WinObject;

/* ---------------------------------------------------------------------
 * Cross-area helpers (defined in the area named in the comment).
 */

/* errors.c */
static PyObject *
cmpi_raise(cmpi_state *st, int ierr);
static PyObject *
cmpi_raise_msg(cmpi_state *st, int errclass, const char *fmt, ...);
#define CMPI_CHK(st, call)                         \
    do {                                           \
        int ierr_ = (call);                        \
        if (CMPI_UNLIKELY(ierr_ != MPI_SUCCESS)) { \
            cmpi_raise((st), ierr_);               \
            goto error;                            \
        }                                          \
    } while (0)

/* args.c: FASTCALL argument parsing */
static int
cmpi_parse(const char *fname, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames, const char *const *names, int nrequired,
           PyObject **out);
static int
cmpi_as_int(PyObject *obj, int *out, const char *what);
static int
cmpi_item_as_int(PyObject *obj, int *out, const char *what);
static int
cmpi_as_ssize(PyObject *obj, Py_ssize_t *out, const char *what);
static const char *
cmpi_as_mpistr(PyObject *obj, Py_ssize_t *len, const char *what);
static int
cmpi_as_llong(PyObject *obj, long long *out, const char *what);
static int
cmpi_opt_int(PyObject *obj, int *out, int dflt, const char *what);
static int
cmpi_check_dest(CommObject *c, int rank, const char *what);
static int
cmpi_check_source(CommObject *c, int rank, const char *what);
static int
cmpi_check_send_tag(CommObject *c, int tag);
static int
cmpi_check_recv_tag(CommObject *c, int tag);
static int
cmpi_check_root(CommObject *c, int root);
static int
cmpi_send_args(CommObject *c, PyObject *dest_o, PyObject *tag_o, int *dest,
               int *tag);
static int
cmpi_sendrecv_args(CommObject *c, PyObject *dest_o, PyObject *sendtag_o,
                   PyObject *source_o, PyObject *recvtag_o, int *dest,
                   int *sendtag, int *source, int *recvtag);
static int
cmpi_recv_args(CommObject *c, PyObject *source_o, PyObject *tag_o, int *source,
               int *tag);

/* env.c: the buffer export of MPI.BOTTOM, MPI.IN_PLACE and
 * MPI.BUFFER_AUTOMATIC, which tells them apart from other exporters */
static int
cmpi_sentinel_getbuffer(PyObject *self, Py_buffer *view, int flags);

/* buffer.c: whether an object exports a read-only buffer */
static int
cmpi_exporter_read_only(PyObject *obj);

/* buffer.c: message specifications */
typedef struct {
    Py_buffer view; /* view.obj != NULL while a buffer is held */
    void *addr;
    int count;
    MPI_Datatype dtype;
    MPI_Aint extent;
    MPI_Datatype big;  /* derived type made for > 2**31-1 elements, or NULL */
    MPI_Datatype base; /* with big: the element type, and */
    MPI_Aint nbig;     /* how many elements big stands for */
    int counted;       /* the spec gave the count */
} cmpi_msg;

/* A message not parsed (yet): safe to release. */
#define CMPI_MSG_INIT {.view = {.obj = NULL}, .big = MPI_DATATYPE_NULL}

/* A vector message: one block per rank of a communicator. */
typedef struct {
    Py_buffer view;
    void *addr;
    int *counts; /* size entries, then displs: one allocation */
    int *displs;
    MPI_Datatype *types; /* Alltoallw: one per rank, in the counts block */
    MPI_Datatype dtype;
    MPI_Aint extent;
} cmpi_msgv;

enum {
    CMPI_MSG_SEND = 0,
    CMPI_MSG_RECV = 1
};
/* `recv`: CMPI_MSG_SEND or CMPI_MSG_RECV.  None is an empty buffer, as in
 * mpi4py. */
static int
cmpi_msg_parse(cmpi_state *st, PyObject *spec, cmpi_msg *m, int recv);
static void
cmpi_msg_release(cmpi_msg *m);
static void
cmpi_msg_give(RequestObject *r, cmpi_msg *m);
static int
cmpi_buffer_datatype(cmpi_state *st, const Py_buffer *view, MPI_Datatype *dt);
static int
cmpi_dtype_from_object(cmpi_state *st, PyObject *obj, MPI_Datatype *dt);
static int
cmpi_dtype_for_data(cmpi_state *st, PyObject *obj, MPI_Datatype *dt);
static int
cmpi_dtype_arg(cmpi_state *st, PyObject *obj, MPI_Datatype *dt,
               const char *what);

/* profile.c: the MPI profile and timeline (MPI._prof_*).  While a
 * profiled call runs on the main thread, cmpi_prof_cur is its frame, and
 * these hooks add to it what the call sends and receives (payload bytes),
 * its peer and tag, and the time it waits.  Off, each is one predictable
 * branch. */
typedef struct cmpi_prof_frame cmpi_prof_frame;
static cmpi_prof_frame *cmpi_prof_cur;
static void
cmpi_prof_bytes_slow(long long sent, long long received);
static void
cmpi_prof_msg_slow(int dir, long long count, MPI_Datatype dtype);
static void
cmpi_prof_peer_slow(int peer, int tag);
static void
cmpi_prof_status_slow(const MPI_Status *s);
static void
cmpi_prof_wait_begin_slow(void);
static void
cmpi_prof_wait_end_slow(void);
/* whether a profiled call is running: for hooks that must add figures up
 * first */
static inline int
cmpi_prof_on(void)
{
    return CMPI_UNLIKELY(cmpi_prof_cur != NULL);
}
/* bytes of an object message (a pickle and its out-of-band buffers) */
static inline void
cmpi_prof_bytes(long long sent, long long received)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_bytes_slow(sent, received);
    }
}
/* count elements of dtype, sent (CMPI_MSG_SEND) or received */
static inline void
cmpi_prof_msg(int dir, long long count, MPI_Datatype dtype)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_msg_slow(dir, count, dtype);
    }
}
/* a point-to-point message to or from `peer` (none with PROC_NULL) */
static void
cmpi_prof_p2p_slow(int dir, long long count, MPI_Datatype dtype, int peer,
                   int tag);
static inline void
cmpi_prof_p2p(int dir, long long count, MPI_Datatype dtype, int peer, int tag)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_p2p_slow(dir, count, dtype, peer, tag);
    }
}
/* dest, source or root; tag or -1 */
static inline void
cmpi_prof_peer(int peer, int tag)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_peer_slow(peer, tag);
    }
}
/* a completed receive: its size, actual source and tag */
static inline void
cmpi_prof_status(const MPI_Status *s)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_status_slow(s);
    }
}
static void
cmpi_prof_recv_slow(int source, int tag, const MPI_Status *s);
/* a completed receive from (source, tag) as asked: cmpi_prof_peer and
 * cmpi_prof_status in one */
static inline void
cmpi_prof_recv(int source, int tag, const MPI_Status *s)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_recv_slow(source, tag, s);
    }
}
/* n blocks of counts[i] elements (or `count` each) of types[i] (or
 * dtype): a vector collective's message; with `nb`, a topology
 * communicator, block i goes to (or comes from) neighbour i, and the blocks
 * of PROC_NULL neighbours move nothing */
static void
cmpi_prof_blocks_slow(CommObject *nb, int dir, int n, const int *counts,
                      int count, MPI_Datatype dtype,
                      const MPI_Datatype *types);
static inline void
cmpi_prof_blocks(CommObject *nb, int dir, int n, const int *counts, int count,
                 MPI_Datatype dtype, const MPI_Datatype *types)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_blocks_slow(nb, dir, n, counts, count, dtype, types);
    }
}
/* Persistent requests: a *_init call gives the bytes its hooks counted to
 * the request it made (r NULL, it failed: they are dropped), and each
 * Start of the request counts them (`peer`: set its peer and tag too).
 * What the call counted before cmpi_prof_mark (a Python wrapper's own
 * exchange: the collective checker's) stays the call's. */
static void
cmpi_prof_mark_slow(void);
static inline void
cmpi_prof_mark(void)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_mark_slow();
    }
}
static void
cmpi_prof_keep_slow(RequestObject *r);
static inline void
cmpi_prof_keep(RequestObject *r)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_keep_slow(r);
    }
}
/* Send_init, Recv_init: their message, kept for each Start */
static inline void
cmpi_prof_p2p_keep(RequestObject *r, int dir, long long count,
                   MPI_Datatype dtype, int peer, int tag)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_mark_slow();
        cmpi_prof_p2p_slow(dir, count, dtype, peer, tag);
        cmpi_prof_keep_slow(r);
    }
}
static void
cmpi_prof_start_slow(RequestObject *r, int peer);
static inline void
cmpi_prof_start(RequestObject *r, int peer)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_start_slow(r, peer);
    }
}
static inline void
cmpi_prof_wait_begin(void)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_wait_begin_slow();
    }
}
static inline void
cmpi_prof_wait_end(void)
{
    if (CMPI_UNLIKELY(cmpi_prof_cur != NULL)) {
        cmpi_prof_wait_end_slow();
    }
}

/* grequest.c: the MPI error code for the Python exception a callback
 * MPI called (Grequest query/free/cancel, Register_datarep's functions)
 * raised; the exception is printed and cleared */
static int
cmpi_callback_error(cmpi_state *st);

/* objcodec.c: the lowercase calls' own encoding of common objects */
static PyObject *
cmpi_objcodec_encode(cmpi_state *st, PyObject *obj, Py_ssize_t threshold);
/* a message encoded for a send that completes before its caller returns:
 * in stackbuf when it fits, else on the heap */
#define CMPI_OBJMSG_STACK 512
typedef struct {
    char *buf;
    Py_ssize_t len;
    char stackbuf[CMPI_OBJMSG_STACK];
} cmpi_objmsg;
static int
cmpi_objcodec_encode_msg(cmpi_state *st, PyObject *obj, Py_ssize_t threshold,
                         cmpi_objmsg *m);
static void
cmpi_objmsg_release(cmpi_objmsg *m);
static PyObject *
cmpi_objcodec_decode(cmpi_state *st, const char *buf, Py_ssize_t n);
static inline int
cmpi_objcodec_is_message(const char *buf, Py_ssize_t n);

/* pickle.c */
#define CMPI_MAX_OOB_BUFFERS 1024
static int
cmpi_pickle_uses_codec(cmpi_state *st, Py_ssize_t *threshold);
static int
cmpi_pickle_loads_is_standard(cmpi_state *st);
static PyObject *
cmpi_dumps_oob(cmpi_state *st, PyObject *obj, PyObject **buffers);
static PyObject *
cmpi_loads(cmpi_state *st, const char *buf, Py_ssize_t n);
static PyObject *
cmpi_loads_bytes(cmpi_state *st, PyObject *data);
static PyObject *
cmpi_loads_oob(cmpi_state *st, const char *buf, Py_ssize_t n,
               PyObject *buffers);
/* A new object exporting n writable bytes at *addr, for the receive of an
 * out-of-band buffer: the unpickled object owns it (large ones come from
 * a cache of huge-page-aligned blocks they return to when freed). */
static PyObject *
cmpi_oob_recv_buffer(cmpi_state *st, Py_ssize_t n, char **addr);
static int
cmpi_size_to_int(Py_ssize_t n, int *out);

/* datatype.c: a datatype's envelope and contents, the combiners of named
 * types, and freeing the derived handles of a get_contents result (file.c,
 * handle.c, pack.c and typecode.c use them).  nc is the number of large
 * counts (MPI-4): a datatype built by a large-count constructor keeps its
 * counts and displacements there, and MPICH refuses the int-count
 * MPI_Type_get_envelope/get_contents for it. */
typedef struct {
    int ni, na, nc, nd, combiner;
    int *i;
    MPI_Aint *a;
    MPI_Count *c;
    MPI_Datatype *d;
} cmpi_type_contents;
static int
cmpi_type_envelope(MPI_Datatype dt, int *ni, int *na, int *nc, int *nd,
                   int *combiner);
static int
cmpi_type_contents_get(MPI_Datatype dt, cmpi_type_contents *c);
static void
cmpi_type_contents_release(cmpi_type_contents *c);
static int
cmpi_is_named_combiner(int combiner);
static void
cmpi_free_contents_types(MPI_Datatype *d, int n);

/* datatype.c / op.c / status.c */
static PyObject *
cmpi_datatype_new(cmpi_state *st, MPI_Datatype dt, unsigned flags);
/* 0 when `dt` is committed (asked of MPI itself), else -1 with
 * MPI.Exception; `what` names the argument. */
static int
cmpi_datatype_check_committed(cmpi_state *st, MPI_Datatype dt,
                              const char *what);
static int
cmpi_op_from_object(cmpi_state *st, PyObject *obj, MPI_Op *op);
static PyObject *
cmpi_op_apply(cmpi_state *st, PyObject *op, PyObject *x, PyObject *y);
static int
cmpi_status_store(cmpi_state *st, PyObject *status, const MPI_Status *s);
static int
cmpi_status_check(cmpi_state *st, PyObject *status);

/* request.c */
static RequestObject *
cmpi_request_new(cmpi_state *st, int kind);
static void
cmpi_request_release(RequestObject *r);
static RequestObject *
cmpi_prequest_new(cmpi_state *st);
/* request.c, for prequest.c: the copies of a persistent request share
 * its active state (pactive). */
static void
cmpi_request_share_pactive(RequestObject *r);
/* request.c, for request_lists.c: is the request active, complete it
 * (wait or test one), store what MPI returned, hand over its result. */
static int
cmpi_request_active(RequestObject *r);
static int
cmpi_request_wait1(RequestObject *r);
static int
cmpi_request_test1(RequestObject *r);
static int
cmpi_request_after_mpi(RequestObject *r, const MPI_Status *s);
static PyObject *
cmpi_request_take_result(RequestObject *r);
/* request.c, for p2p_obj.c: let go of the requests Request.Free kept in
 * flight (MPICH): cancelled first before Comm.Disconnect, freed before
 * MPI_Finalize. */
static void
cmpi_request_free_kept(int cancel);

/* wait.c: every blocking wait polls, so Ctrl-C and the hang timeout work */
enum cmpi_wait_mode {
    CMPI_WAIT_ONE,   /* MPI_Test on reqs[0] */
    CMPI_WAIT_ALL,   /* MPI_Testall on n reqs */
    CMPI_WAIT_ANY,   /* MPI_Testany on n reqs; *index */
    CMPI_WAIT_PROBE, /* MPI_Iprobe(source, tag, comm) */
    CMPI_WAIT_MPROBE /* MPI_Improbe(source, tag, comm) into *msg */
};
#define CMPI_WAIT_RAISED (-1) /* a Python exception is set */
enum cmpi_wait_interrupt {
    CMPI_INT_RETURN, /* raise at once: the requests stay pending (a Request
                        object holds them and their buffers) */
    CMPI_INT_CANCEL, /* the call's own requests: cancel, wait, then raise */
    CMPI_INT_FINISH  /* cannot be cancelled (collectives): finish, then
                        raise */
};
typedef struct {
    int mode;
    int n;
    MPI_Request *reqs;
    MPI_Status *status; /* or MPI_STATUS(ES)_IGNORE */
    int *index;
    int on_interrupt; /* what a signal handler's exception does */
    int source, tag;
    MPI_Comm comm; /* probes; the communicator named in a hang report */
    MPI_Message *msg;
    /* a hang report names "call(argfmt % (arg0, arg1)) on comm" */
    const char *call;
    const char *argfmt;
    int arg0, arg1;
} cmpi_wait_t;
static int
cmpi_wait_slow(cmpi_wait_t *w);
static int
cmpi_wait_req(MPI_Request *req, MPI_Status *s, const char *call,
              const char *argfmt, int arg0, int arg1, MPI_Comm comm);
static int
cmpi_wait_reqs(int n, MPI_Request *reqs, MPI_Status *statuses,
               const char *call, const char *argfmt, int arg0, int arg1,
               MPI_Comm comm);
static int
cmpi_wait_coll(MPI_Request *req, const char *call, MPI_Comm comm);
static int
cmpi_wait_probe(int source, int tag, MPI_Comm comm, MPI_Message *msg,
                MPI_Status *s, const char *call);
static int
cmpi_wait_startup(void);
static void
cmpi_comm_label(MPI_Comm comm, char *out, size_t size);
static inline int
cmpi_coll_polling(void);
static inline int
cmpi_coll_blocking_only(MPI_Comm comm);
/* A blocking MPI call that does not poll (a blocking collective,
 * Sendrecv_replace, Mrecv, ...) cannot see Ctrl-C.  While the main thread
 * is inside one, wait.c's SIGINT watcher knows it: if the call has not
 * returned soon after a SIGINT, the watcher reports the call and aborts
 * the job with status 130.  Marking costs two stores. */
static inline int
cmpi_block_enter(const char *call, MPI_Comm comm);
static inline void
cmpi_block_leave(int token);
#define CMPI_NOGIL_CALL(call, comm, ...)             \
    do {                                             \
        int blk_ = cmpi_block_enter((call), (comm)); \
        CMPI_NOGIL(__VA_ARGS__);                     \
        cmpi_block_leave(blk_);                      \
    } while (0)
/* A blocking collective: MPI's blocking call (fastest), or, when a hang
 * timeout is set, its nonblocking form waited for by polling.  `ierr`
 * receives the error code or CMPI_WAIT_RAISED; `args` is the blocking
 * call's parenthesised argument list. */
#define CMPI_REQ_ARG_(...) (__VA_ARGS__, &creq_)
#define CMPI_COLL(ierr, comm, call, blocking, nonblocking, args) \
    do {                                                         \
        if (CMPI_LIKELY(!cmpi_coll_polling()) ||                 \
            cmpi_coll_blocking_only(comm)) {                     \
            CMPI_NOGIL_CALL(call, comm, (ierr) = blocking args); \
        }                                                        \
        else {                                                   \
            MPI_Request creq_ = MPI_REQUEST_NULL;                \
            (ierr) = nonblocking CMPI_REQ_ARG_ args;             \
            if ((ierr) == MPI_SUCCESS)                           \
                (ierr) = cmpi_wait_coll(&creq_, call, (comm));   \
        }                                                        \
    } while (0)

/* p2p_buf.c, p2p_obj.c */
/* Truncated receives (p2p_buf.c): does a message probed with status s fit
 * count elements of dtype (else *nbytes and *cap say its size and the
 * buffer's); receive a matched message that does not, without writing
 * past the buffer, and raise ERR_TRUNCATE (returns NULL). */
static inline int
cmpi_recv_fits(int count, MPI_Datatype dtype, const MPI_Status *s,
               MPI_Count *nbytes, MPI_Count *cap);
static PyObject *
cmpi_recv_truncated(cmpi_state *st, void *addr, int count, MPI_Datatype dtype,
                    MPI_Message *msg, MPI_Count nbytes, MPI_Count cap,
                    const char *call, MPI_Comm comm);
/* MPI_BYTE counts above INT_MAX travel as a derived type of n bytes. */
static int
cmpi_bytes_type(long long n, int *count, MPI_Datatype *type);
static void
cmpi_bytes_type_free(MPI_Datatype *type);
static PyObject *
cmpi_obj_from_message(cmpi_state *st, MPI_Comm shadow, const char *buf,
                      Py_ssize_t count, const MPI_Status *s);
/* Whether cmpi_detached_complete runs with the GIL held (Finalize)
 * or without it (the Py_AtExit finalize). */
enum cmpi_gil {
    CMPI_WITHOUT_GIL,
    CMPI_WITH_GIL
};
/* Before MPI_Finalize: a bounded wait (CMPI_EXIT_WAIT) for the detached
 * sends; 1 when MPI_Finalize must then be skipped (MPICH: it would wait
 * for a send never received forever). */
static int
cmpi_detached_complete(enum cmpi_gil gil);
static int
cmpi_detached_wait_comm(cmpi_state *st, MPI_Comm comm, const char *call);
static void
cmpi_detached_add(MPI_Request req, PyObject *keep);
static PyObject cmpi_orphan_marker_;
#define CMPI_ORPHAN (&cmpi_orphan_marker_)

/* info.c: an `info` argument (an Info, or None/not given: INFO_NULL);
 * a new Info object owning an MPI_Info (Get_info results). */
static int
cmpi_info_arg(cmpi_state *st, PyObject *obj, MPI_Info *out);
static PyObject *
cmpi_info_new(cmpi_state *st, MPI_Info h);

/* memory.c: an MPI.buffer over [addr, addr+n), kept alive by `owner`,
 * that Python code may write to or only read. */
enum cmpi_buffer_access {
    CMPI_BUFFER_WRITABLE,
    CMPI_BUFFER_READONLY
};
static PyObject *
cmpi_buffer_new(cmpi_state *st, void *addr, Py_ssize_t n,
                enum cmpi_buffer_access access, PyObject *owner);

/* handle.c: what every handle class shares.  A class is known by its kind,
 * its row in handle.c's table, which says where its handle is, how large,
 * what the null handle is and which error a null one raises. */
enum cmpi_handle_kind {
    CMPI_HK_DATATYPE,
    CMPI_HK_OP,
    CMPI_HK_REQUEST,
    CMPI_HK_MESSAGE,
    CMPI_HK_GROUP,
    CMPI_HK_INFO,
    CMPI_HK_ERRHANDLER,
    CMPI_HK_COMM,
    CMPI_HK_WIN,
    CMPI_HK_FILE,
    CMPI_HK_SESSION,
    CMPI_HK_COUNT
};
/* == and != compare the handles; an object of another class gives
 * NotImplemented, so Python falls back to identity (mpi4py does the same). */
static inline PyObject *
cmpi_handle_richcompare(PyObject *self, PyObject *other, int op,
                        enum cmpi_handle_kind kind);
/* A handle object is true unless it holds the null handle. */
static inline int
cmpi_handle_bool(PyObject *self, enum cmpi_handle_kind kind);
/* 0, or -1 with MPI.Exception saying the handle is null.  Every Send, Recv
 * and bcast checks its communicator.  (All three are inline so that each
 * class's copy knows its handle's size: a compare, not a memcmp call.) */
static inline int
cmpi_handle_check(PyObject *self, enum cmpi_handle_kind kind);
/* Copies (cmpi.h, cmpi_copies): `copy`, just made from `orig`, shares its
 * handle (nothing for a null or predefined one); `obj` is going; `obj` has
 * just freed its handle: the others get the null handle, the CMPI_STALE
 * mark and `forget(other)` (if not NULL), which drops what they held for
 * the handle.  An object made by fromhandle/fromint/f2py is not linked:
 * it cannot be told. */
static void
cmpi_handle_link(PyObject *copy, PyObject *orig, enum cmpi_handle_kind kind);
static void
cmpi_handle_unlink(PyObject *obj, enum cmpi_handle_kind kind);
static void
cmpi_handle_freed(PyObject *obj, enum cmpi_handle_kind kind,
                  void (*forget)(PyObject *));
/* MPI.Exception (the error class of the kind) saying that `self`'s handle
 * was freed through another object; returns -1. */
static int
cmpi_handle_stale_error(PyObject *self, enum cmpi_handle_kind kind);
/* Return NULL from the calling method if `obj` is stale: for calls that
 * do not check for the null handle (Free of a Datatype, Group, Op). */
#define CMPI_STALE_CHECK(obj, kind)                             \
    do {                                                        \
        if ((obj)->flags & CMPI_STALE) {                        \
            cmpi_handle_stale_error((PyObject *)(obj), (kind)); \
            return NULL;                                        \
        }                                                       \
    } while (0)
/* Return NULL from the calling method if `obj`'s handle is null. */
#define CMPI_HANDLE_CHECK(obj, kind)                          \
    do {                                                      \
        if (cmpi_handle_check((PyObject *)(obj), (kind)) < 0) \
            return NULL;                                      \
    } while (0)
/* A handle class's tp_richcompare and nb_bool slots, named `richcompare`
 * and `truth`: the shared bodies above with the class's kind. */
#define CMPI_HANDLE_SLOTS(richcompare, truth, kind)                       \
    static PyObject *richcompare(PyObject *self, PyObject *other, int op) \
    {                                                                     \
        return cmpi_handle_richcompare(self, other, op, (kind));          \
    }                                                                     \
    static int truth(PyObject *self) { return cmpi_handle_bool(self, (kind)); }

/* comm.c */
static PyObject *
cmpi_comm_new(cmpi_state *st, PyTypeObject *type, MPI_Comm handle,
              unsigned flags);
static int
cmpi_comm_check(CommObject *c);
/* Return NULL from a method when `self` is not a usable communicator. */
#define CMPI_COMM_CHECK(self)                           \
    do {                                                \
        if (CMPI_UNLIKELY(cmpi_comm_check(self) < 0)) { \
            return NULL;                                \
        }                                               \
    } while (0)
static PyObject *
cmpi_comm_wrap_new(CommObject *parent, PyTypeObject *type, MPI_Comm h);
static PyObject *
cmpi_comm_wrap_st(cmpi_state *st, PyTypeObject *type, MPI_Comm h);
static PyTypeObject *
cmpi_comm_type_for(cmpi_state *st, MPI_Comm h);
/* comm.c's shadows (keyval.c and dynproc.c use them): set while a shadow
 * is being made, so that attribute copy callbacks copy nothing; the
 * shadow of a handle; making one; setting a Comm object's handle. */
static _Thread_local int cmpi_making_shadow;
static MPI_Comm
cmpi_shadow_of(cmpi_state *st, MPI_Comm h);
static int
cmpi_shadow_create(cmpi_state *st, MPI_Comm h);
static void
cmpi_comm_set_handle(CommObject *c, MPI_Comm handle);
/* comm.c: `c` freed its handle (Free, Disconnect): it and its copies
 * become COMM_NULL, the copies stale (handle.c). */
static void
cmpi_comm_freed(CommObject *c);

/* topology.c: a sequence of ints as a PyMem array; a topology's in and
 * out degrees; its in and out neighbors (PyMem arrays).  neighbor.c uses
 * them. */
static int
cmpi_topo_ints(PyObject *obj, int **out, int *n, const char *what);
static int
cmpi_topo_degrees(CommObject *c, int *indeg, int *outdeg);
static int
cmpi_topo_edges(CommObject *c, int **in, int *nin, int **out, int *nout);

/* p2p_buf.c: where the MPI library lacks a function (MPI-4 on Open MPI 4.1):
 * NotImplementedError naming `what`, or "MPI_" + the method `name`. */
static PyObject *
cmpi_not_implemented(const char *what);
static PyObject *
cmpi_not_implemented_call(const char *name);

/* keyval.c: attribute caching with Python objects, shared by Comm's,
 * Datatype's (datatype.c) and Win's (win.c) methods; `h` points to the
 * handle of the kind named. */
enum cmpi_keyval_kind {
    CMPI_KEYVAL_COMM,
    CMPI_KEYVAL_TYPE,
    CMPI_KEYVAL_WIN
};
static PyObject *
cmpi_keyval_create(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames, enum cmpi_keyval_kind kind);
static PyObject *
cmpi_keyval_free(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames, enum cmpi_keyval_kind kind);
static PyObject *
cmpi_keyval_set_attr(cmpi_state *st, enum cmpi_keyval_kind kind, const void *h,
                     PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames);
static PyObject *
cmpi_keyval_get_attr(cmpi_state *st, enum cmpi_keyval_kind kind, const void *h,
                     PyObject *arg);
static PyObject *
cmpi_keyval_delete_attr(cmpi_state *st, enum cmpi_keyval_kind kind,
                        const void *h, PyObject *const *args, Py_ssize_t nargs,
                        PyObject *kwnames);
/* the Python value of an attribute of a keyval Create_keyval made */
static PyObject *
cmpi_keyval_value(int keyval, void *value);

/* win.c, file.c: a Win or File object over a handle (errors.c's Python
 * error handlers and keyval.c's callbacks get one flagged CMPI_CONST). */
static PyObject *
cmpi_win_alloc(cmpi_state *st, PyTypeObject *type, MPI_Win h, unsigned flags);
static PyObject *
cmpi_file_alloc(cmpi_state *st, PyTypeObject *type, MPI_File h,
                unsigned flags);

/* p2p_buf.c, message.c: a probe waits for a message (Probe, Mprobe) or says at
 * once whether one is there (Iprobe, Improbe). */
enum cmpi_probe_mode {
    CMPI_PROBE_TEST,
    CMPI_PROBE_WAIT
};
#ifdef MPI_ABI_VERSION
/* env.c: the vendor of the library found at run time ("MPICH", ...). */
static const char *
cmpi_abi_vendor(int version[3]);
#endif

#endif /* CMPI_H */
