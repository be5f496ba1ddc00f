/*
 * profile.c -- the C side of the MPI profile and timeline (issue 19):
 * per-call counters (calls, time, wait, bytes) and a ring of trace events,
 * read by cmpi.profile through the private MPI._prof_* functions.
 *
 * MPI._prof_install() replaces every public callable of cmpi.MPI (methods,
 * classmethods and staticmethods of its classes, module functions) with a
 * profiled wrapper that forwards to the original.  While profiling is off,
 * a wrapper costs one predictable branch; while it is on, two clock reads
 * and a counter update per call.  The wrapped call's frame
 * (cmpi_prof_cur) is where the hooks in the area files (cmpi_prof_msg,
 * cmpi_prof_status, cmpi_prof_wait_begin/end, ...) add the bytes it moves,
 * its peer and tag, and the time it waits.
 *
 * The state is process-wide, as MPI is: the counters live in the wrappers,
 * the ring and the main thread's current frame in this file's statics.
 * Every update happens with the GIL held (the wrappers and the hooks run
 * with it), so counting needs no lock.  Only the thread that called
 * _prof_start (the main thread) has frames: calls from other threads are
 * counted (calls and time, nothing else) but have no bytes, wait or trace
 * events.
 */
#include "cmpi.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Counting on (cmpi_prof_active) and tracing on (cmpi_prof_tracing). */
static int cmpi_prof_active = 0;
static int cmpi_prof_tracing = 0;
static pthread_t cmpi_prof_main;

/* What the wrappers keep per call name. */
typedef struct {
    long long calls, time_ns, wait_ns, sent, received;
} prof_counts;

/* One trace event (40 bytes: a ring of a million is 40 MB). */
typedef struct {
    long long start, duration, nbytes;
    int peer, tag;
    int name; /* index into prof_wrappers */
    int comm; /* index into prof_comm_names, or -1: no name */
} prof_event;

/* The ring keeps the newest events: a full ring overwrites the oldest, so
 * that a job that crashes leaves its last calls. */
static prof_event *prof_ring = NULL;
static long long prof_ring_size = 0;
static long long prof_ring_written = 0; /* events since the last reset */

static PyObject *prof_wrappers = NULL;        /* list: every wrapper made */
static PyObject *prof_comm_names = NULL;      /* list: names seen, once each */
static PyTypeObject *prof_method_type = NULL; /* instance methods */
static PyTypeObject *prof_call_type = NULL;   /* the other callables */
static PyTypeObject *prof_comm_type = NULL;   /* MPI.Comm */

/* Communicator names by handle: a few communicators carry most calls.
 * Emptied by the calls that change or end a name (Set_name, Free,
 * Disconnect). */
#define PROF_COMM_CACHE 16
static struct {
    MPI_Comm comm;
    int name;
} prof_comm_cache[PROF_COMM_CACHE];
static int prof_comm_cached = 0;

static inline long long
prof_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The hooks' side: the main thread's current call. */

struct cmpi_prof_frame {
    long long wait_ns, wait_start, sent, received;
    int peer, tag;
};
static cmpi_prof_frame *cmpi_prof_cur = NULL;

/* Hooks run with the GIL held, in any thread: only the main thread's own
 * calls have a frame. */
static inline cmpi_prof_frame *
prof_frame(void)
{
    return pthread_equal(pthread_self(), cmpi_prof_main) ? cmpi_prof_cur
                                                         : NULL;
}

static CMPI_NOINLINE void
cmpi_prof_bytes_slow(long long sent, long long received)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL) {
        f->sent += sent;
        f->received += received;
    }
}

static CMPI_NOINLINE void
cmpi_prof_msg_slow(int dir, long long count, MPI_Datatype dtype)
{
    MPI_Count size = 0;
    if (count <= 0 || dtype == MPI_DATATYPE_NULL ||
        MPI_Type_size_x(dtype, &size) != MPI_SUCCESS || size < 0) {
        return;
    }
    long long n = count * (long long)size;
    cmpi_prof_bytes_slow(dir == CMPI_MSG_SEND ? n : 0,
                         dir == CMPI_MSG_SEND ? 0 : n);
}

static CMPI_NOINLINE void
cmpi_prof_peer_slow(int peer, int tag)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL) {
        f->peer = peer;
        f->tag = tag;
    }
}

static CMPI_NOINLINE void
cmpi_prof_p2p_slow(int dir, long long count, MPI_Datatype dtype, int peer,
                   int tag)
{
    cmpi_prof_peer_slow(peer, tag);
    if (peer != MPI_PROC_NULL) {
        cmpi_prof_msg_slow(dir, count, dtype);
    }
}

static CMPI_NOINLINE void
cmpi_prof_status_slow(const MPI_Status *s)
{
    cmpi_prof_frame *f = prof_frame();
    int n = 0;
    if (f == NULL || s == MPI_STATUS_IGNORE) {
        return;
    }
    if (s->MPI_SOURCE != MPI_PROC_NULL && s->MPI_SOURCE != MPI_ANY_SOURCE) {
        f->peer = s->MPI_SOURCE;
        f->tag = s->MPI_TAG;
    }
    if (MPI_Get_count(s, MPI_BYTE, &n) == MPI_SUCCESS && n > 0) {
        f->received += n;
    }
}

static CMPI_NOINLINE void
cmpi_prof_wait_begin_slow(void)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL && f->wait_start == 0) {
        f->wait_start = prof_now();
    }
}

static CMPI_NOINLINE void
cmpi_prof_wait_end_slow(void)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL && f->wait_start != 0) {
        f->wait_ns += prof_now() - f->wait_start;
        f->wait_start = 0;
    }
}

/* ------------------------------------------------------------------ */
/* The wrappers. */

enum prof_kind {
    PROF_METHOD,      /* bound to an instance: called with self first */
    PROF_CLASSMETHOD, /* bound to the class: called with the class first */
    PROF_STATIC       /* a staticmethod's function, or a module function */
};

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *orig;   /* what the dict held */
    PyObject *target; /* what is called: orig, or a staticmethod's function */
    vectorcallfunc target_call; /* target's vectorcall, or NULL */
    PyObject *name;             /* "Comm.Send" */
    int id;                     /* its index in prof_wrappers */
    int kind;
    int on_comm;      /* self is a communicator: its name goes in events */
    int forgets_name; /* Set_name, Free, Disconnect: the cache is stale */
    prof_counts counts;
} ProfWrapper;

static inline PyObject *
prof_forward(ProfWrapper *w, PyObject *const *args, size_t nargsf,
             PyObject *kwnames)
{
    if (CMPI_LIKELY(w->target_call != NULL)) {
        return w->target_call(w->target, args, nargsf, kwnames);
    }
    return PyObject_Vectorcall(w->target, args, nargsf, kwnames);
}

/* The index of a communicator's name in prof_comm_names, -1 for none.
 * Looked up before the call (Free ends the handle). */
static int
prof_comm_name(MPI_Comm comm)
{
    for (int i = 0; i < prof_comm_cached; i++) {
        if (prof_comm_cache[i].comm == comm) {
            return prof_comm_cache[i].name;
        }
    }
    int id = -1, fin = 1, len = 0;
    char name[MPI_MAX_OBJECT_NAME + 1];
    name[0] = '\0';
    if (comm != MPI_COMM_NULL && MPI_Finalized(&fin) == MPI_SUCCESS && !fin &&
        MPI_Comm_get_name(comm, name, &len) == MPI_SUCCESS && len > 0) {
        name[len < MPI_MAX_OBJECT_NAME ? len : MPI_MAX_OBJECT_NAME] = '\0';
        PyObject *s = PyUnicode_FromString(name);
        if (s == NULL) {
            PyErr_Clear();
            return -1;
        }
        Py_ssize_t n = PyList_GET_SIZE(prof_comm_names);
        for (Py_ssize_t i = 0; i < n && id < 0; i++) {
            int eq = PyUnicode_Compare(s, PyList_GET_ITEM(prof_comm_names, i));
            if (eq == 0) {
                id = (int)i;
            }
        }
        if (id < 0) {
            if (PyList_Append(prof_comm_names, s) < 0) {
                PyErr_Clear();
                Py_DECREF(s);
                return -1;
            }
            id = (int)n;
        }
        Py_DECREF(s);
    }
    if (prof_comm_cached == PROF_COMM_CACHE) {
        prof_comm_cached = 0; /* full: start again */
    }
    prof_comm_cache[prof_comm_cached].comm = comm;
    prof_comm_cache[prof_comm_cached].name = id;
    prof_comm_cached++;
    return id;
}

static void
prof_record(ProfWrapper *w, long long start, long long duration,
            const cmpi_prof_frame *f, int comm)
{
    prof_event *e = &prof_ring[prof_ring_written % prof_ring_size];
    e->start = start;
    e->duration = duration;
    e->nbytes = f->sent + f->received;
    e->peer = f->peer;
    e->tag = f->tag;
    e->name = w->id;
    e->comm = comm;
    prof_ring_written++;
}

static CMPI_NOINLINE PyObject *
prof_call_counted(ProfWrapper *w, PyObject *const *args, size_t nargsf,
                  PyObject *kwnames)
{
    if (!pthread_equal(pthread_self(), cmpi_prof_main)) {
        long long t0 = prof_now();
        PyObject *r = prof_forward(w, args, nargsf, kwnames);
        w->counts.calls++;
        w->counts.time_ns += prof_now() - t0;
        return r;
    }
    int comm = -1;
    if (cmpi_prof_tracing && w->on_comm && PyVectorcall_NARGS(nargsf) > 0 &&
        PyObject_TypeCheck(args[0], prof_comm_type)) {
        comm = prof_comm_name(((CommObject *)args[0])->ob_mpi);
    }
    if (w->forgets_name) {
        prof_comm_cached = 0;
    }
    cmpi_prof_frame f = {0, 0, 0, 0, -1, -1};
    cmpi_prof_frame *outer = cmpi_prof_cur;
    cmpi_prof_cur = &f;
    long long t0 = prof_now();
    PyObject *r = prof_forward(w, args, nargsf, kwnames);
    long long t1 = prof_now();
    cmpi_prof_cur = outer;
    if (f.wait_start != 0) { /* an exception left a wait open */
        f.wait_ns += t1 - f.wait_start;
    }
    w->counts.calls++;
    w->counts.time_ns += t1 - t0;
    w->counts.wait_ns += f.wait_ns < t1 - t0 ? f.wait_ns : t1 - t0;
    w->counts.sent += f.sent;
    w->counts.received += f.received;
    if (cmpi_prof_tracing && prof_ring != NULL) {
        prof_record(w, t0, t1 - t0, &f, comm);
    }
    return r;
}

static PyObject *
prof_call(PyObject *self, PyObject *const *args, size_t nargsf,
          PyObject *kwnames)
{
    ProfWrapper *w = (ProfWrapper *)self;
    if (CMPI_LIKELY(!cmpi_prof_active)) {
        return prof_forward(w, args, nargsf, kwnames);
    }
    return prof_call_counted(w, args, nargsf, kwnames);
}

/* Instance methods: MPI.Comm.Send is the wrapper, comm.Send a bound method
 * (the interpreter calls the wrapper with comm first without making one:
 * Py_TPFLAGS_METHOD_DESCRIPTOR). */
static PyObject *
prof_get(PyObject *self, PyObject *obj, PyObject *type)
{
    ProfWrapper *w = (ProfWrapper *)self;
    switch (w->kind) {
        case PROF_METHOD:
            if (obj == NULL || obj == Py_None) {
                return Py_NewRef(self);
            }
            return PyMethod_New(self, obj);
        case PROF_CLASSMETHOD:
            return PyMethod_New(
                    self, type != NULL ? type : (PyObject *)Py_TYPE(obj));
        default: return Py_NewRef(self);
    }
}

/* The wrapper looks like what it wraps: its name, qualified name,
 * docstring and text signature, and any other attribute, are the
 * original's; __wrapped__ leads inspect.signature to it. */
static PyObject *
prof_getattro(PyObject *self, PyObject *name)
{
    ProfWrapper *w = (ProfWrapper *)self;
    PyObject *r = PyObject_GenericGetAttr(self, name);
    if (r != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return r;
    }
    PyErr_Clear();
    return PyObject_GetAttr(w->target, name);
}

static PyObject *
prof_get_forwarded(PyObject *self, void *attr)
{
    return PyObject_GetAttrString(((ProfWrapper *)self)->target,
                                  (const char *)attr);
}

static PyObject *
prof_get_wrapped(PyObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(((ProfWrapper *)self)->target);
}

/* A classmethod's wrapper is bound to the class as a method object,
 * whose signature is its function's without the first parameter: the
 * wrapper's own signature is the original's with `cls` put first.  Other
 * wrappers have none (inspect then follows __wrapped__). */
static PyObject *
prof_get_signature(PyObject *self, void *Py_UNUSED(closure))
{
    ProfWrapper *w = (ProfWrapper *)self;
    PyObject *inspect = NULL, *sig = NULL, *param = NULL, *kind = NULL;
    PyObject *params = NULL, *all = NULL, *r = NULL;
    if (w->kind != PROF_CLASSMETHOD) {
        PyErr_SetString(PyExc_AttributeError, "__signature__");
        return NULL;
    }
    inspect = PyImport_ImportModule("inspect");
    sig = inspect ? PyObject_CallMethod(inspect, "signature", "O", w->target)
                  : NULL;
    if (sig == NULL) {
        /* no signature to show: as if there were no attribute */
        if (PyErr_ExceptionMatches(PyExc_ValueError) ||
            PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_SetString(PyExc_AttributeError, "__signature__");
        }
        goto done;
    }
    PyObject *ptype = PyObject_GetAttrString(inspect, "Parameter");
    kind = ptype ? PyObject_GetAttrString(ptype, "POSITIONAL_ONLY") : NULL;
    param = kind ? PyObject_CallFunction(ptype, "sO", "cls", kind) : NULL;
    Py_XDECREF(ptype);
    PyObject *values =
            param ? PyObject_GetAttrString(sig, "parameters") : NULL;
    params = values ? PyObject_CallMethod(values, "values", NULL) : NULL;
    Py_XDECREF(values);
    all = params ? PySequence_List(params) : NULL;
    if (all == NULL || PyList_Insert(all, 0, param) < 0) {
        goto done;
    }
    PyObject *empty = PyTuple_New(0);
    PyObject *kw = empty ? Py_BuildValue("{sO}", "parameters", all) : NULL;
    PyObject *replace = kw ? PyObject_GetAttrString(sig, "replace") : NULL;
    r = replace ? PyObject_Call(replace, empty, kw) : NULL;
    Py_XDECREF(replace);
    Py_XDECREF(kw);
    Py_XDECREF(empty);
done:
    Py_XDECREF(inspect);
    Py_XDECREF(sig);
    Py_XDECREF(kind);
    Py_XDECREF(param);
    Py_XDECREF(params);
    Py_XDECREF(all);
    return r;
}

static PyObject *
prof_repr(PyObject *self)
{
    return PyObject_Repr(((ProfWrapper *)self)->orig);
}

static int
prof_traverse(PyObject *self, visitproc visit, void *arg)
{
    ProfWrapper *w = (ProfWrapper *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(w->orig);
    Py_VISIT(w->target);
    Py_VISIT(w->name);
    return 0;
}

static int
prof_clear(PyObject *self)
{
    ProfWrapper *w = (ProfWrapper *)self;
    Py_CLEAR(w->orig);
    Py_CLEAR(w->target);
    Py_CLEAR(w->name);
    w->target_call = NULL;
    return 0;
}

static void
prof_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    prof_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyGetSetDef prof_getset[] = {
        {"__doc__", prof_get_forwarded, NULL, NULL, "__doc__"},
        {"__name__", prof_get_forwarded, NULL, NULL, "__name__"},
        {"__qualname__", prof_get_forwarded, NULL, NULL, "__qualname__"},
        {"__text_signature__", prof_get_forwarded, NULL, NULL,
         "__text_signature__"},
        {"__module__", prof_get_forwarded, NULL, NULL, "__module__"},
        {"__wrapped__", prof_get_wrapped, NULL, NULL, NULL},
        {"__signature__", prof_get_signature, NULL, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef prof_members[] = {
        {"__vectorcalloffset__", T_PYSSIZET, offsetof(ProfWrapper, vectorcall),
         READONLY, NULL},
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot prof_slots[] = {
        {Py_tp_call, PyVectorcall_Call}, {Py_tp_descr_get, prof_get},
        {Py_tp_getattro, prof_getattro}, {Py_tp_getset, prof_getset},
        {Py_tp_members, prof_members},   {Py_tp_repr, prof_repr},
        {Py_tp_traverse, prof_traverse}, {Py_tp_clear, prof_clear},
        {Py_tp_dealloc, prof_dealloc},   {0, NULL},
};

/* The wrappers answer __module__ with the original's (a __module__ in
 * the type's dict keeps PyType_FromSpec from setting its own). */
static PyType_Spec prof_method_spec = {
        .name = "cmpi.MPI._profiled_method",
        .basicsize = sizeof(ProfWrapper),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                 Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
        .slots = prof_slots,
};

static PyType_Spec prof_call_spec = {
        .name = "cmpi.MPI._profiled_call",
        .basicsize = sizeof(ProfWrapper),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                 Py_TPFLAGS_HAVE_VECTORCALL,
        .slots = prof_slots,
};

static ProfWrapper *
prof_wrap(PyObject *orig, PyObject *target, int kind, const char *owner,
          PyObject *attr, int on_comm)
{
    PyTypeObject *tp = kind == PROF_METHOD ? prof_method_type : prof_call_type;
    ProfWrapper *w = PyObject_GC_New(ProfWrapper, tp);
    if (w == NULL) {
        return NULL;
    }
    w->vectorcall = prof_call;
    w->orig = Py_NewRef(orig);
    w->target = Py_NewRef(target);
    w->target_call = PyVectorcall_Function(target);
    w->kind = kind;
    w->on_comm = on_comm;
    w->id = (int)PyList_GET_SIZE(prof_wrappers);
    memset(&w->counts, 0, sizeof(w->counts));
    w->name = PyUnicode_FromFormat("%s.%U", owner, attr);
    PyObject_GC_Track(w);
    if (w->name == NULL || PyList_Append(prof_wrappers, (PyObject *)w) < 0) {
        Py_DECREF(w);
        return NULL;
    }
    w->forgets_name =
            on_comm &&
            (PyUnicode_CompareWithASCIIString(attr, "Set_name") == 0 ||
             PyUnicode_CompareWithASCIIString(attr, "Free") == 0 ||
             PyUnicode_CompareWithASCIIString(attr, "Disconnect") == 0);
    return w;
}

/* Wrap the public callables a class defines itself (not those it
 * inherits: they are wrapped where they are defined).  Returns how many,
 * or -1. */
static int
prof_wrap_class(PyTypeObject *cls, const char *owner, int on_comm)
{
    /* a type's __dict__ is a read-only mapping proxy: a list of its
     * items, since setting an attribute changes the dict */
    PyObject *dict = PyObject_GetAttrString((PyObject *)cls, "__dict__");
    PyObject *items = dict ? PyMapping_Items(dict) : NULL;
    int count = 0;
    Py_XDECREF(dict);
    if (items == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        PyObject *attr = PyTuple_GET_ITEM(item, 0);
        PyObject *v = PyTuple_GET_ITEM(item, 1);
        PyObject *target = v;
        int kind;
        if (!PyUnicode_Check(attr) || PyUnicode_READ_CHAR(attr, 0) == '_') {
            continue;
        }
        if (PyObject_TypeCheck(v, &PyMethodDescr_Type) ||
            PyFunction_Check(v)) {
            kind = PROF_METHOD;
        }
        else if (PyObject_TypeCheck(v, &PyClassMethodDescr_Type)) {
            kind = PROF_CLASSMETHOD;
        }
        else if (PyObject_TypeCheck(v, &PyClassMethod_Type) ||
                 PyObject_TypeCheck(v, &PyStaticMethod_Type)) {
            kind = PyObject_TypeCheck(v, &PyClassMethod_Type)
                           ? PROF_CLASSMETHOD
                           : PROF_STATIC;
            target = PyObject_GetAttrString(v, "__func__");
            if (target == NULL) {
                goto error;
            }
            Py_DECREF(target); /* v holds it */
        }
        else {
            continue; /* properties, constants, nested classes */
        }
        ProfWrapper *w = prof_wrap(v, target, kind, owner, attr, on_comm);
        if (w == NULL) {
            goto error;
        }
        int rc = PyObject_SetAttr((PyObject *)cls, attr, (PyObject *)w);
        Py_DECREF(w);
        if (rc < 0) {
            goto error;
        }
        count++;
    }
    Py_DECREF(items);
    return count;
error:
    Py_DECREF(items);
    return -1;
}

static PyObject *
mod_prof_install(PyObject *m, PyObject *Py_UNUSED(a))
{
    cmpi_state *st = cmpi_get_state(m);
    PyObject *mdict = PyModule_GetDict(m); /* borrowed */
    PyObject *items = NULL, *seen = NULL;
    long total = 0;
    if (prof_wrappers != NULL) {
        return PyLong_FromLong(0);
    }
    prof_method_type = (PyTypeObject *)PyType_FromSpec(&prof_method_spec);
    prof_call_type = (PyTypeObject *)PyType_FromSpec(&prof_call_spec);
    prof_wrappers = PyList_New(0);
    prof_comm_names = PyList_New(0);
    items = PyDict_Items(mdict);
    seen = PySet_New(NULL);
    if (prof_method_type == NULL || prof_call_type == NULL ||
        prof_wrappers == NULL || prof_comm_names == NULL || items == NULL ||
        seen == NULL) {
        goto error;
    }
    prof_comm_type = (PyTypeObject *)Py_NewRef(st->Comm_Type);
    PyObject *pickle_type = NULL,
             *pickle_obj = PyDict_GetItemString(mdict, "pickle");
    if (pickle_obj != NULL) {
        pickle_type = (PyObject *)Py_TYPE(pickle_obj);
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        PyObject *name = PyTuple_GET_ITEM(item, 0);
        PyObject *v = PyTuple_GET_ITEM(item, 1);
        if (!PyUnicode_Check(name) || PyUnicode_READ_CHAR(name, 0) == '_') {
            continue;
        }
        if (PyCFunction_Check(v)) {
            ProfWrapper *w = prof_wrap(v, v, PROF_STATIC, "MPI", name, 0);
            if (w == NULL) {
                goto error;
            }
            int rc = PyDict_SetItem(mdict, name, (PyObject *)w);
            Py_DECREF(w);
            if (rc < 0) {
                goto error;
            }
            total++;
            continue;
        }
        if (!PyType_Check(v) || v == pickle_type) {
            continue;
        }
        /* the classes cmpi.MPI defines (once each: some have two names),
         * but not the buffer helper */
        PyObject *mod = PyObject_GetAttrString(v, "__module__");
        int ours = mod != NULL && PyUnicode_Check(mod) &&
                   PyUnicode_CompareWithASCIIString(mod, "cmpi.MPI") == 0;
        Py_XDECREF(mod);
        PyErr_Clear();
        const char *tname = ((PyTypeObject *)v)->tp_name;
        const char *dot = strrchr(tname, '.');
        const char *owner = dot ? dot + 1 : tname;
        if (!ours || strcmp(owner, "buffer") == 0 ||
            strcmp(owner, "memory") == 0) {
            continue;
        }
        int known = PySet_Contains(seen, v);
        if (known != 0) {
            if (known < 0) {
                goto error;
            }
            continue;
        }
        if (PySet_Add(seen, v) < 0) {
            goto error;
        }
        int n = prof_wrap_class(
                (PyTypeObject *)v, owner,
                PyType_IsSubtype((PyTypeObject *)v, st->Comm_Type));
        if (n < 0) {
            goto error;
        }
        total += n;
    }
    Py_DECREF(items);
    Py_DECREF(seen);
    return PyLong_FromLong(total);
error:
    /* what was wrapped stays wrapped (and working); a later call does
     * nothing */
    Py_XDECREF(items);
    Py_XDECREF(seen);
    if (prof_wrappers == NULL) {
        prof_wrappers = PyList_New(0);
    }
    return NULL;
}

static PyObject *
mod_prof_start(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"trace_events", NULL};
    PyObject *a[1] = {NULL};
    long long n = 0;
    if (cmpi_parse("_prof_start", args, nargs, kwnames, kw, 0, a) < 0 ||
        (a[0] != NULL && cmpi_as_llong(a[0], &n, "trace_events") < 0)) {
        return NULL;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "trace_events must be >= 0");
        return NULL;
    }
    if (prof_wrappers == NULL || prof_comm_names == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_prof_install() first");
        return NULL;
    }
    if (n > 0 && prof_ring == NULL) {
        if ((unsigned long long)n > SIZE_MAX / sizeof(prof_event)) {
            return PyErr_NoMemory();
        }
        prof_ring = PyMem_RawCalloc((size_t)n, sizeof(prof_event));
        if (prof_ring == NULL) {
            return PyErr_NoMemory();
        }
        prof_ring_size = n;
        prof_ring_written = 0;
    }
    cmpi_prof_main = pthread_self();
    prof_comm_cached = 0; /* handles freed while stopped may be reused */
    cmpi_prof_tracing = n > 0;
    cmpi_prof_active = 1;
    Py_RETURN_NONE;
}

static PyObject *
mod_prof_stop(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    cmpi_prof_active = 0;
    cmpi_prof_tracing = 0;
    Py_RETURN_NONE;
}

static PyObject *
mod_prof_reset(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    Py_ssize_t n = prof_wrappers ? PyList_GET_SIZE(prof_wrappers) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        ProfWrapper *w = (ProfWrapper *)PyList_GET_ITEM(prof_wrappers, i);
        memset(&w->counts, 0, sizeof(w->counts));
    }
    prof_ring_written = 0;
    prof_comm_cached = 0;
    Py_RETURN_NONE;
}

static PyObject *
mod_prof_data(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    PyObject *d = PyDict_New();
    Py_ssize_t n = prof_wrappers ? PyList_GET_SIZE(prof_wrappers) : 0;
    if (d == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        ProfWrapper *w = (ProfWrapper *)PyList_GET_ITEM(prof_wrappers, i);
        prof_counts c = w->counts;
        if (c.calls == 0) {
            continue;
        }
        /* two wrappers of one name (a class reached twice): one entry */
        PyObject *had = PyDict_GetItemWithError(d, w->name);
        if (had != NULL) {
            long long v[5];
            for (int k = 0; k < 5; k++) {
                v[k] = PyLong_AsLongLong(PyTuple_GET_ITEM(had, k));
            }
            c.calls += v[0], c.time_ns += v[1], c.wait_ns += v[2];
            c.sent += v[3], c.received += v[4];
        }
        else if (PyErr_Occurred()) {
            goto error;
        }
        PyObject *t = Py_BuildValue("(LLLLL)", c.calls, c.time_ns, c.wait_ns,
                                    c.sent, c.received);
        if (t == NULL || PyDict_SetItem(d, w->name, t) < 0) {
            Py_XDECREF(t);
            goto error;
        }
        Py_DECREF(t);
    }
    return d;
error:
    Py_DECREF(d);
    return NULL;
}

/* Start order; an event that contains another (same start, longer) first. */
static int
prof_event_order(const void *pa, const void *pb)
{
    const prof_event *a = pa, *b = pb;
    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    if (a->duration != b->duration) {
        return a->duration > b->duration ? -1 : 1;
    }
    return 0;
}

static PyObject *
mod_prof_trace(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    long long kept = prof_ring_written < prof_ring_size ? prof_ring_written
                                                        : prof_ring_size;
    long long dropped = prof_ring_written - kept;
    prof_event *ev = NULL;
    PyObject *list = PyList_New((Py_ssize_t)kept);
    if (list == NULL) {
        return NULL;
    }
    if (kept > 0) {
        ev = PyMem_RawMalloc((size_t)kept * sizeof(prof_event));
        if (ev == NULL) {
            Py_DECREF(list);
            return PyErr_NoMemory();
        }
        memcpy(ev, prof_ring, (size_t)kept * sizeof(prof_event));
        qsort(ev, (size_t)kept, sizeof(prof_event), prof_event_order);
    }
    for (long long i = 0; i < kept; i++) {
        const prof_event *e = &ev[i];
        PyObject *name = PyList_GET_ITEM(prof_wrappers, e->name);
        PyObject *comm = e->comm >= 0
                                 ? PyList_GET_ITEM(prof_comm_names, e->comm)
                                 : Py_None;
        PyObject *t = Py_BuildValue("(OLLiiLO)", ((ProfWrapper *)name)->name,
                                    e->start, e->duration, e->peer, e->tag,
                                    e->nbytes, comm);
        if (t == NULL) {
            PyMem_RawFree(ev);
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    PyMem_RawFree(ev);
    PyObject *r = Py_BuildValue("(NL)", list, dropped);
    return r;
}

#define CMPI_PROFILE_METHODS                                                \
    {"_prof_install", (PyCFunction)mod_prof_install, METH_NOARGS,           \
     "_prof_install($module, /)\n--\n\nWrap every public callable (once): " \
     "returns how many."},                                                  \
            {"_prof_start", (PyCFunction)(void (*)(void))mod_prof_start,    \
             METH_FASTCALL | METH_KEYWORDS,                                 \
             "_prof_start($module, /, trace_events=0)\n--\n\nStart "        \
             "counting (and tracing into a ring of trace_events)."},        \
            {"_prof_stop", (PyCFunction)mod_prof_stop, METH_NOARGS,         \
             "_prof_stop($module, /)\n--\n\nStop counting and tracing."},   \
            {"_prof_reset", (PyCFunction)mod_prof_reset, METH_NOARGS,       \
             "_prof_reset($module, /)\n--\n\nZero the counters, empty the " \
             "ring."},                                                      \
            {"_prof_data", (PyCFunction)mod_prof_data, METH_NOARGS,         \
             "_prof_data($module, /)\n--\n\nCall name -> (calls, time_ns, " \
             "wait_ns, bytes_sent, bytes_received)."},                      \
            {"_prof_trace", (PyCFunction)mod_prof_trace, METH_NOARGS,       \
             "_prof_trace($module, /)\n--\n\n(events in time order, "       \
             "dropped)."},

#undef PROF_COMM_CACHE
