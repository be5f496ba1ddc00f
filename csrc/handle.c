/*
 * handle.c -- what every MPI handle class shares (mpi4py's object model):
 * conversions to and from integers, Fortran handles and raw MPI handles
 * (toint, fromint, py2f, f2py, fromhandle, MPI._sizeof, MPI._addressof,
 * MPI._handleof), pickling (__reduce__), and comparison, truth and the
 * null check (cmpi_handle_richcompare, _bool, _check; cmpi.h).
 *
 * The methods are added to the classes after the areas have created them:
 * each handle object stores its MPI handle in `ob_mpi`, so one table says
 * where, how large it is and how MPI converts it.
 *
 * Pickling: a predefined constant (MPI.INT, MPI.COMM_WORLD, ...) pickles
 * by its module name and unpickles as that very object; another object
 * equal to a constant unpickles as a new object equal to it.  A derived
 * datatype pickles by its contents (rebuilt with the same constructor), a
 * user-defined Op by its function, an Info by its items, a Status by its
 * fields.  Other handles (communicators, groups, files, windows,
 * requests...) mean nothing in another process: pickling them raises
 * ValueError.
 */
#include "cmpi.h"

#ifdef __linux__
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

/* MPI-5 standard ABI (mpi_abi.h, which alone defines MPI_ABI_VERSION):
 * handles are pointers to incomplete structs, and the C library has no
 * Fortran support at all -- no MPI_Fint, no MPI_X_c2f/f2c, no
 * MPI_Status_c2f/f2c.  Its integer handles are the MPI-5 MPI_X_toint and
 * MPI_X_fromint (the integers a Fortran binding layered on the ABI uses),
 * so toint/fromint and py2f/f2py both use those, held in a plain int. */
#ifdef MPI_ABI_VERSION
typedef int cmpi_fint;
#else
typedef MPI_Fint cmpi_fint;
#endif

/* Open MPI 4.1 does not name the layout of a Fortran status: it is the C
 * struct seen as integers, source, tag and error first.  (The ABI names it,
 * but with enum constants, not macros: MPI_F_STATUS_SIZE is 8, the size of
 * its MPI_Status in ints.) */
#if !defined(MPI_F_STATUS_SIZE) && !defined(MPI_ABI_VERSION)
#define MPI_F_STATUS_SIZE ((int)(sizeof(MPI_Status) / sizeof(MPI_Fint)))
#define MPI_F_SOURCE 0
#define MPI_F_TAG 1
#define MPI_F_ERROR 2
#endif

/* A handle of any kind (the null handle of each kind, in the table). */
typedef union {
    MPI_Datatype dtype;
    MPI_Op op;
    MPI_Request req;
    MPI_Message msg;
    MPI_Group grp;
    MPI_Info info;
    MPI_Errhandler errh;
    MPI_Comm comm;
    MPI_Win win;
    MPI_File file;
    cmpi_session_t sess;
} handle_any;

typedef struct {
    const char *name;
    size_t type_off;   /* offsetof(cmpi_state, X_Type) */
    size_t obj_off;    /* offsetof(XObject, ob_mpi) */
    size_t hsize;      /* sizeof(MPI_X) */
    size_t flags_off;  /* offsetof(XObject, flags) */
    size_t st_off;     /* offsetof(XObject, st) */
    size_t copies_off; /* offsetof(XObject, copies) */
    handle_any null;   /* MPI_X_NULL */
    /* what cmpi_handle_check raises for a null handle (kinds whose calls
     * check it; NULL for the others) */
    int null_class;
    const char *null_text;
    /* what a stale object raises (CMPI_STALE): the error class, and what
     * happened to the handle */
    int stale_class;
    const char *stale_verb;
    cmpi_fint (*c2f)(const void *h);
    void (*f2c)(cmpi_fint f, void *h);
} handle_kind;

#ifdef MPI_ABI_VERSION
#define CMPI_TO_FINT(fn) fn##_toint
#define CMPI_FROM_FINT(fn) fn##_fromint
#else
#define CMPI_TO_FINT(fn) fn##_c2f
#define CMPI_FROM_FINT(fn) fn##_f2c
#endif

#define CMPI_C2F(kind, ctype, fn)                \
    static cmpi_fint kind##_c2f(const void *h)   \
    {                                            \
        ctype v;                                 \
        memcpy(&v, h, sizeof(v));                \
        return CMPI_TO_FINT(fn)(v);              \
    }                                            \
    static void kind##_f2c(cmpi_fint f, void *h) \
    {                                            \
        ctype v = CMPI_FROM_FINT(fn)(f);         \
        memcpy(h, &v, sizeof(v));                \
    }

CMPI_C2F(dtype, MPI_Datatype, MPI_Type)
CMPI_C2F(op, MPI_Op, MPI_Op)
CMPI_C2F(req, MPI_Request, MPI_Request)
CMPI_C2F(msg, MPI_Message, MPI_Message)
CMPI_C2F(grp, MPI_Group, MPI_Group)
CMPI_C2F(info, MPI_Info, MPI_Info)
CMPI_C2F(errh, MPI_Errhandler, MPI_Errhandler)
CMPI_C2F(comm, MPI_Comm, MPI_Comm)
CMPI_C2F(win, MPI_Win, MPI_Win)
CMPI_C2F(file, MPI_File, MPI_File)
#ifdef CMPI_HAVE_SESSION
CMPI_C2F(sess, MPI_Session, MPI_Session)
#else
static cmpi_fint
sess_c2f(const void *h)
{
    cmpi_session_t v;
    memcpy(&v, h, sizeof(v));
    return v == NULL ? 0 : -1;
}
static void
sess_f2c(cmpi_fint f, void *h)
{
    cmpi_session_t v = NULL;
    (void)f;
    memcpy(h, &v, sizeof(v));
}
#endif

#define HK(n, T, O, H, p, null_h, eclass, etext, sclass, sverb) \
    {.name = n,                                                 \
     .type_off = offsetof(cmpi_state, T),                       \
     .obj_off = offsetof(O, ob_mpi),                            \
     .hsize = sizeof(H),                                        \
     .flags_off = offsetof(O, flags),                           \
     .st_off = offsetof(O, st),                                 \
     .copies_off = offsetof(O, copies),                         \
     .null = {.p = null_h},                                     \
     .null_class = eclass,                                      \
     .null_text = etext,                                        \
     .stale_class = sclass,                                     \
     .stale_verb = sverb,                                       \
     .c2f = p##_c2f,                                            \
     .f2c = p##_f2c}
static const handle_kind handle_kinds[CMPI_HK_COUNT] = {
        [CMPI_HK_DATATYPE] =
                HK("Datatype", Datatype_Type, DatatypeObject, MPI_Datatype,
                   dtype, MPI_DATATYPE_NULL, 0, NULL, MPI_ERR_TYPE, "freed"),
        [CMPI_HK_OP] = HK("Op", Op_Type, OpObject, MPI_Op, op, MPI_OP_NULL, 0,
                          NULL, MPI_ERR_OP, "freed"),
        [CMPI_HK_REQUEST] = HK("Request", Request_Type, RequestObject,
                               MPI_Request, req, MPI_REQUEST_NULL, 0, NULL,
                               MPI_ERR_REQUEST, "completed or freed"),
        [CMPI_HK_MESSAGE] =
                HK("Message", Message_Type, MessageObject, MPI_Message, msg,
                   MPI_MESSAGE_NULL, MPI_ERR_REQUEST,
                   "invalid message: MESSAGE_NULL (a matched "
                   "message can be received only once)",
                   MPI_ERR_REQUEST, "received"),
        [CMPI_HK_GROUP] = HK("Group", Group_Type, GroupObject, MPI_Group, grp,
                             MPI_GROUP_NULL, 0, NULL, MPI_ERR_GROUP, "freed"),
        [CMPI_HK_INFO] = HK("Info", Info_Type, InfoObject, MPI_Info, info,
                            MPI_INFO_NULL, MPI_ERR_INFO,
                            "invalid info: the info is INFO_NULL (freed, or "
                            "never created)",
                            MPI_ERR_INFO, "freed"),
        [CMPI_HK_ERRHANDLER] =
                HK("Errhandler", Errhandler_Type, ErrhandlerObject,
                   MPI_Errhandler, errh, MPI_ERRHANDLER_NULL, 0, NULL,
                   MPI_ERR_ARG, "freed"),
        [CMPI_HK_COMM] = HK("Comm", Comm_Type, CommObject, MPI_Comm, comm,
                            MPI_COMM_NULL, MPI_ERR_COMM,
                            "invalid communicator: the communicator is "
                            "COMM_NULL (freed, or never created)",
                            MPI_ERR_COMM, "freed"),
        [CMPI_HK_WIN] = HK("Win", Win_Type, WinObject, MPI_Win, win,
                           MPI_WIN_NULL, MPI_ERR_WIN,
                           "invalid window: the window is WIN_NULL (freed, "
                           "or never created)",
                           MPI_ERR_WIN, "freed"),
        [CMPI_HK_FILE] = HK("File", File_Type, FileObject, MPI_File, file,
                            MPI_FILE_NULL, MPI_ERR_FILE,
                            "invalid file: the file is FILE_NULL (closed, or "
                            "never opened)",
                            MPI_ERR_FILE, "closed"),
        [CMPI_HK_SESSION] =
                HK("Session", Session_Type, SessionObject, cmpi_session_t,
                   sess, CMPI_SESSION_NULL, MPI_ERR_SESSION,
                   "invalid session: the session is SESSION_NULL",
                   MPI_ERR_SESSION, "finalized"),
};
#undef HK

static PyTypeObject *
kind_type(cmpi_state *st, int k)
{
    return *(PyTypeObject **)((char *)st + handle_kinds[k].type_off);
}

/* The handle kind of instances of `type`, or -1. */
static int
kind_of_type(cmpi_state *st, PyTypeObject *type)
{
    for (int k = 0; k < CMPI_HK_COUNT; k++) {
        PyTypeObject *t = kind_type(st, k);
        if (t != NULL && PyType_IsSubtype(type, t)) {
            return k;
        }
    }
    return -1;
}

static void *
handle_ptr(PyObject *obj, int k)
{
    return (char *)obj + handle_kinds[k].obj_off;
}

static unsigned
handle_flags(PyObject *obj, int k)
{
    unsigned flags;
    memcpy(&flags, (char *)obj + handle_kinds[k].flags_off, sizeof(flags));
    return flags;
}

static cmpi_state *
handle_state(PyObject *obj, int k)
{
    cmpi_state *st;
    memcpy(&st, (char *)obj + handle_kinds[k].st_off, sizeof(st));
    return st;
}

/* ---------------------------------------------------------------------
 * Comparison, truth and the null check: one body for every handle class
 * (each class's slots are CMPI_HANDLE_SLOTS, cmpi.h).  The kind is a
 * constant in each copy, so the table's sizes and null handles fold into
 * plain compares.
 */
static inline int
handle_is_null(PyObject *obj, int k)
{
    const handle_kind *hk = &handle_kinds[k];
    return memcmp(handle_ptr(obj, k), &hk->null, hk->hsize) == 0;
}

/* The emulated ERRORS_ABORT and its copies (errors.c) hold no MPI handle:
 * they are true, and equal only each other. */
static inline int
handle_emulated(PyObject *obj, int k)
{
    return k == CMPI_HK_ERRHANDLER && (handle_flags(obj, k) & CMPI_EMULATED);
}

static inline int
cmpi_handle_bool(PyObject *self, enum cmpi_handle_kind kind)
{
    return !handle_is_null(self, kind) || handle_emulated(self, kind);
}

static inline PyObject *
cmpi_handle_richcompare(PyObject *self, PyObject *other, int op,
                        enum cmpi_handle_kind kind)
{
    /* the class of the kind, not of self: an Intracomm equals a Comm */
    PyTypeObject *cls = kind_type(handle_state(self, kind), kind);
    if ((op != Py_EQ && op != Py_NE) || !PyObject_TypeCheck(other, cls)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    int eq = memcmp(handle_ptr(self, kind), handle_ptr(other, kind),
                    handle_kinds[kind].hsize) == 0 &&
             handle_emulated(self, kind) == handle_emulated(other, kind);
    return PyBool_FromLong(op == Py_EQ ? eq : !eq);
}

static CMPI_NOINLINE int
cmpi_handle_stale_error(PyObject *self, enum cmpi_handle_kind kind)
{
    const handle_kind *hk = &handle_kinds[kind];
    cmpi_raise_msg(handle_state(self, kind), hk->stale_class,
                   "invalid %s: its handle was %s through another %s "
                   "object sharing it (a copy made with %s(obj), or the "
                   "object it was copied from)",
                   hk->name, hk->stale_verb, hk->name, hk->name);
    return -1;
}

static CMPI_NOINLINE int
handle_null_error(PyObject *self, enum cmpi_handle_kind kind)
{
    const handle_kind *hk = &handle_kinds[kind];
    if (handle_flags(self, kind) & CMPI_STALE) {
        return cmpi_handle_stale_error(self, kind);
    }
    assert(hk->null_text != NULL);
    cmpi_raise_msg(handle_state(self, kind), hk->null_class, "%s",
                   hk->null_text);
    return -1;
}

static inline int
cmpi_handle_check(PyObject *self, enum cmpi_handle_kind kind)
{
    if (CMPI_UNLIKELY(handle_is_null(self, kind))) {
        return handle_null_error(self, kind);
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * Copies: the ring of objects sharing a handle (cmpi_copies, cmpi.h).
 * Objects made from a predefined constant are not linked: nothing frees
 * its handle.
 */
static cmpi_copies *
handle_copies(PyObject *obj, int k)
{
    return (cmpi_copies *)((char *)obj + handle_kinds[k].copies_off);
}

static void
cmpi_handle_link(PyObject *copy, PyObject *orig, enum cmpi_handle_kind kind)
{
    if (copy == orig || handle_is_null(orig, kind) ||
        (handle_flags(orig, kind) & CMPI_CONST)) {
        return;
    }
    cmpi_copies *o = handle_copies(orig, kind), *c = handle_copies(copy, kind);
    assert(c->next == NULL);
    if (o->next == NULL) {
        o->next = o->prev = orig;
    }
    c->next = o->next;
    c->prev = orig;
    handle_copies(o->next, kind)->prev = copy;
    o->next = copy;
}

static void
cmpi_handle_unlink(PyObject *obj, enum cmpi_handle_kind kind)
{
    cmpi_copies *c = handle_copies(obj, kind);
    if (c->next == NULL) {
        return;
    }
    if (c->next == c->prev) { /* the other one is left alone */
        cmpi_copies *o = handle_copies(c->next, kind);
        o->next = o->prev = NULL;
    }
    else {
        handle_copies(c->prev, kind)->next = c->next;
        handle_copies(c->next, kind)->prev = c->prev;
    }
    c->next = c->prev = NULL;
}

static void
cmpi_handle_freed(PyObject *obj, enum cmpi_handle_kind kind,
                  void (*forget)(PyObject *))
{
    cmpi_copies *c = handle_copies(obj, kind);
    if (c->next == NULL) {
        return;
    }
    const handle_kind *hk = &handle_kinds[kind];
    /* Null every other member first (no Python code runs), then undo the
     * ring, chaining the members through `prev` and holding a reference
     * to each: `forget` may release buffers, whose owners' deallocators
     * run any code, while no member can go. */
    PyObject *first = NULL;
    for (PyObject *m = c->next; m != obj;) {
        cmpi_copies *mc = handle_copies(m, kind);
        PyObject *next = mc->next;
        memcpy(handle_ptr(m, kind), &hk->null, hk->hsize);
        *(unsigned *)((char *)m + hk->flags_off) |= CMPI_STALE;
        mc->next = NULL;
        mc->prev = first;
        first = Py_NewRef(m);
        m = next;
    }
    c->next = c->prev = NULL;
    while (first != NULL) {
        cmpi_copies *mc = handle_copies(first, kind);
        PyObject *m = first;
        first = mc->prev;
        mc->prev = NULL;
        if (forget != NULL) {
            forget(m);
        }
        Py_DECREF(m);
    }
}

/* The MPI handle `obj` stands for, copied to `h`.  The emulated
 * ERRORS_ABORT (errors.c) holds none: it stands for cmpi's aborting
 * handler, made on first use. */
static int
handle_value(PyObject *obj, int k, void *h)
{
    if (k == CMPI_HK_ERRHANDLER &&
        (((ErrhandlerObject *)obj)->flags & CMPI_EMULATED)) {
        MPI_Errhandler eh;
        if (cmpi_errhandler_arg(((ErrhandlerObject *)obj)->st, obj, &eh) < 0) {
            return -1;
        }
        memcpy(h, &eh, sizeof(eh));
        return 0;
    }
    memcpy(h, handle_ptr(obj, k), handle_kinds[k].hsize);
    return 0;
}

/* An unsigned integer with the bits of the handle at `h`. */
static PyObject *
handle_bits(const void *h, size_t hsize)
{
    if (hsize == sizeof(unsigned int)) {
        unsigned int v;
        memcpy(&v, h, sizeof(v));
        return PyLong_FromUnsignedLong(v);
    }
    uintptr_t v = 0;
    memcpy(&v, h, hsize < sizeof(v) ? hsize : sizeof(v));
    return PyLong_FromUnsignedLongLong((unsigned long long)v);
}

/* The handle whose bits are the integer `obj` (masked to the handle's
 * size, so the signed value of an int handle works too). */
static int
handle_from_bits(PyObject *obj, void *h, size_t hsize)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "handle must be an int, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLongMask(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        return -1;
    }
    if (hsize == sizeof(unsigned int)) {
        unsigned int u = (unsigned int)v;
        memcpy(h, &u, sizeof(u));
    }
    else {
        uintptr_t u = (uintptr_t)v;
        memcpy(h, &u, hsize < sizeof(u) ? hsize : sizeof(u));
    }
    return 0;
}

/* A new object of class `cls` (of kind k) holding handle `h`. */
static PyObject *
handle_wrap(cmpi_state *st, PyTypeObject *cls, int k, const void *h)
{
    if (k == CMPI_HK_COMM) {
        MPI_Comm c;
        memcpy(&c, h, sizeof(c));
        if (cls == st->Comm_Type && c != MPI_COMM_NULL) {
            /* Comm.fromint() and friends give the class the handle has */
            int inter = 0, topo = MPI_UNDEFINED;
            if (MPI_Comm_test_inter(c, &inter) == MPI_SUCCESS && !inter) {
                MPI_Topo_test(c, &topo);
            }
            cls = inter                    ? st->Intercomm_Type
                  : topo == MPI_CART       ? st->Cartcomm_Type
                  : topo == MPI_GRAPH      ? st->Graphcomm_Type
                  : topo == MPI_DIST_GRAPH ? st->Distgraphcomm_Type
                                           : st->Intracomm_Type;
        }
        return cmpi_comm_new(st, cls, c, 0);
    }
    if (k == CMPI_HK_WIN) {
        MPI_Win w;
        memcpy(&w, h, sizeof(w));
        return cmpi_win_alloc(st, cls, w, 0);
    }
    if (k == CMPI_HK_FILE) {
        MPI_File f;
        memcpy(&f, h, sizeof(f));
        return cmpi_file_alloc(st, cls, f, 0);
    }
    PyObject *obj = PyObject_CallNoArgs((PyObject *)cls);
    if (obj == NULL) {
        return NULL;
    }
    if (k == CMPI_HK_ERRHANDLER) {
        MPI_Errhandler eh;
        memcpy(&eh, h, sizeof(eh));
        if (eh != MPI_ERRHANDLER_NULL && eh == cmpi_abort_eh) {
            ((ErrhandlerObject *)obj)->flags |= CMPI_EMULATED;
            return obj;
        }
    }
    memcpy(handle_ptr(obj, k), h, handle_kinds[k].hsize);
    if (k == CMPI_HK_REQUEST) { /* the object it came from still owns it */
        ((RequestObject *)obj)->flags |= CMPI_REQ_NOT_OWNER;
    }
    return obj;
}

static int
handle_self_kind(PyObject *self, cmpi_state **pst)
{
    cmpi_state *st = cmpi_type_state(Py_TYPE(self));
    int k = st ? kind_of_type(st, Py_TYPE(self)) : -1;
    if (k < 0 && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_TypeError, "not an MPI handle object");
    }
    *pst = st;
    return k;
}

static int
handle_cls_kind(PyTypeObject *cls, cmpi_state **pst)
{
    cmpi_state *st = cmpi_type_state(cls);
    int k = st ? kind_of_type(st, cls) : -1;
    if (k < 0 && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_TypeError, "not an MPI handle class");
    }
    *pst = st;
    return k;
}

CMPI_DOC(handle_toint_doc, "toint($self)",
         "Translate object to integer handle.");
static PyObject *
handle_toint(PyObject *self, PyObject *Py_UNUSED(a))
{
    cmpi_state *st;
    int k = handle_self_kind(self, &st);
    if (k < 0) {
        return NULL;
    }
    char h[sizeof(void *) > sizeof(int) ? sizeof(void *) : sizeof(int)];
    if (handle_value(self, k, h) < 0) {
        return NULL;
    }
    if (handle_kinds[k].hsize == sizeof(int)) {
        int v;
        memcpy(&v, h, sizeof(v));
        return PyLong_FromLong(v);
    }
    /* Pointer handles: the integer is the Fortran handle. */
    return PyLong_FromLong((long)handle_kinds[k].c2f(h));
}

static int
fint_arg(PyObject *arg, cmpi_fint *out)
{
    int v;
    if (cmpi_as_int(arg, &v, "arg") < 0) {
        return -1;
    }
    *out = (cmpi_fint)v;
    return 0;
}

/* fromhandle, fromint and f2py take a raw handle the caller vouches for,
 * as in mpi4py: MPI has no call that tells a valid handle from garbage
 * without crashing on it (Comm.fromhandle(3) crashed in the first MPI call
 * made on it).  What can be checked cheaply is checked:
 *  - MPICH and its derivatives (int handles): the bits that encode the
 *    kind of object (bits 26-29) must be those of the kind's null handle,
 *    and the handle kind (bits 30-31) must not be 0 ("invalid");
 *  - pointer handles (Open MPI, MPICH's files): not 0, aligned, and
 *    pointing into mapped memory (Linux: mincore).
 * A handle equal to the kind's null handle is always taken.  A plausible
 * handle can still be stale (freed) or of another object: such a handle
 * is not detected. */
static int
handle_plausible(int k, const void *h)
{
    const handle_kind *hk = &handle_kinds[k];
    if (memcmp(h, &hk->null, hk->hsize) == 0) {
        return 1;
    }
#if defined(MPICH_VERSION) && !defined(MPI_ABI_VERSION)
    if (hk->hsize == sizeof(int)) {
        unsigned int v, null;
        memcpy(&v, h, sizeof(v));
        memcpy(&null, &hk->null, sizeof(null));
        return (v >> 30) != 0 && ((v >> 26) & 0xF) == ((null >> 26) & 0xF);
    }
#endif
    if (hk->hsize != sizeof(void *)) {
        return 1;
    }
    uintptr_t p;
    memcpy(&p, h, sizeof(p));
#ifdef MPI_ABI_VERSION
    /* the ABI's predefined handles are small integers, its others opaque */
    return p != 0;
#else
    if (p < 4096 || p % sizeof(void *) != 0) {
        return 0;
    }
#ifdef __linux__
    long page = sysconf(_SC_PAGESIZE);
    unsigned char resident;
    if (page > 0 &&
        mincore((void *)(p - p % (uintptr_t)page), (size_t)page, &resident) !=
                0 &&
        errno == ENOMEM) {
        return 0;
    }
#endif
    return 1;
#endif
}

/* The handle made from argument `arg` of cls.fromhandle() (or fromint,
 * f2py), or a ValueError if it cannot be one. */
static PyObject *
handle_wrap_checked(cmpi_state *st, PyTypeObject *cls, int k, const void *h,
                    const char *method, PyObject *arg)
{
    if (!handle_plausible(k, h)) {
        PyErr_Format(PyExc_ValueError,
                     "%s.%s(%R): not a valid %s handle of this MPI library",
                     handle_kinds[k].name, method, arg, handle_kinds[k].name);
        return NULL;
    }
    return handle_wrap(st, cls, k, h);
}

CMPI_DOC(handle_fromint_doc, "fromint($type, arg, /)",
         "Translate integer handle to object.  The caller vouches for the "
         "handle (see fromhandle).");
/* What integer fromint and f2py read: fromint's is the handle itself
 * where a handle is a C int (MPICH), f2py's always a Fortran handle. */
enum fint_meaning {
    FINT_IS_FORTRAN,
    FINT_IS_HANDLE_IF_INT
};

/* An object of class cls for a Fortran integer handle, or, with
 * FINT_IS_HANDLE_IF_INT, for a handle that is a C int already. */
static PyObject *
handle_from_fint(PyTypeObject *cls, PyObject *arg, enum fint_meaning meaning)
{
    cmpi_state *st;
    int k = handle_cls_kind(cls, &st);
    if (k < 0) {
        return NULL;
    }
    cmpi_fint f;
    if (fint_arg(arg, &f) < 0) {
        return NULL;
    }
    char h[sizeof(void *) > sizeof(int) ? sizeof(void *) : sizeof(int)];
    memset(h, 0, sizeof(h));
    if (meaning == FINT_IS_HANDLE_IF_INT &&
        handle_kinds[k].hsize == sizeof(int)) {
        int v = (int)f;
        memcpy(h, &v, sizeof(v));
    }
    else {
        handle_kinds[k].f2c(f, h);
    }
    return handle_wrap_checked(
            st, cls, k, h,
            meaning == FINT_IS_HANDLE_IF_INT ? "fromint" : "f2py", arg);
}

static PyObject *
handle_fromint(PyTypeObject *cls, PyObject *arg)
{
    return handle_from_fint(cls, arg, FINT_IS_HANDLE_IF_INT);
}

CMPI_DOC(handle_py2f_doc, "py2f($self)",
         "Translate object to Fortran handle.");
static PyObject *
handle_py2f(PyObject *self, PyObject *Py_UNUSED(a))
{
    cmpi_state *st;
    int k = handle_self_kind(self, &st);
    if (k < 0) {
        return NULL;
    }
    char h[sizeof(void *) > sizeof(int) ? sizeof(void *) : sizeof(int)];
    if (handle_value(self, k, h) < 0) {
        return NULL;
    }
    return PyLong_FromLong((long)handle_kinds[k].c2f(h));
}

CMPI_DOC(handle_f2py_doc, "f2py($type, arg)",
         "Translate Fortran handle to object.  The caller vouches for the "
         "handle (see fromhandle).");
static PyObject *
handle_f2py(PyTypeObject *cls, PyObject *arg)
{
    return handle_from_fint(cls, arg, FINT_IS_FORTRAN);
}

CMPI_ONE_ARG_KW(handle_f2py, PyTypeObject, "f2py", "arg")

CMPI_DOC(handle_fromhandle_doc, "fromhandle($type, handle)",
         "Create object from MPI handle.  The handle is raw and the caller "
         "vouches for it (as in mpi4py): only what is cheap to check is "
         "checked (ValueError for 0, a misaligned or unmapped pointer, or an "
         "MPICH handle of another kind); a stale or foreign handle crashes "
         "the process when used.");
static PyObject *
handle_fromhandle(PyTypeObject *cls, PyObject *arg)
{
    cmpi_state *st;
    int k = handle_cls_kind(cls, &st);
    if (k < 0) {
        return NULL;
    }
    char h[sizeof(void *) > sizeof(int) ? sizeof(void *) : sizeof(int)];
    memset(h, 0, sizeof(h));
    if (handle_from_bits(arg, h, handle_kinds[k].hsize) < 0) {
        return NULL;
    }
    return handle_wrap_checked(st, cls, k, h, "fromhandle", arg);
}

CMPI_ONE_ARG_KW(handle_fromhandle, PyTypeObject, "fromhandle", "handle")

static int
handle_find_const(cmpi_state *st, PyObject *self, int k, PyObject **name,
                  PyObject **same);

/* Make `self` a null object (free() of a predefined handle's copy). */
static int
handle_set_null(cmpi_state *st, PyObject *self, int k)
{
    cmpi_handle_unlink(self, k); /* it forgets; the handle is not freed */
    if (k == CMPI_HK_COMM) {
        cmpi_comm_set_handle((CommObject *)self, MPI_COMM_NULL);
        return 0;
    }
    PyObject *null = PyObject_CallNoArgs((PyObject *)kind_type(st, k));
    if (null == NULL) {
        return -1;
    }
    memcpy(handle_ptr(self, k), handle_ptr(null, k), handle_kinds[k].hsize);
    Py_DECREF(null);
    return 0;
}

CMPI_DOC(handle_free_doc, "free($self)",
         "Call Free (Close for a file, Finalize for a session) if not null "
         "and not predefined.");
static PyObject *
handle_free(PyObject *self, PyObject *Py_UNUSED(a))
{
    cmpi_state *st;
    int k = handle_self_kind(self, &st);
    if (k < 0) {
        return NULL;
    }
    if (handle_flags(self, k) & (CMPI_CONST | CMPI_EMULATED)) {
        Py_RETURN_NONE;
    }
    int truth = PyObject_IsTrue(self);
    if (truth <= 0) {
        return truth < 0 ? NULL : Py_NewRef(Py_None);
    }
    /* a copy of a predefined handle: just forget it */
    PyObject *name, *same;
    int predefined = handle_find_const(st, self, k, &name, &same);
    if (!predefined && k == CMPI_HK_DATATYPE) {
        int ni, na, nc, nd, combiner = MPI_COMBINER_NAMED;
        cmpi_type_envelope(((DatatypeObject *)self)->ob_mpi, &ni, &na, &nc,
                           &nd, &combiner);
        predefined = combiner == MPI_COMBINER_NAMED;
    }
    if (predefined) {
        if (handle_set_null(st, self, k) < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    const char *meth = k == CMPI_HK_FILE      ? "Close"
                       : k == CMPI_HK_SESSION ? "Finalize"
                                              : "Free";
    return PyObject_CallMethod(self, meth, NULL);
}

/* ---------------------------------------------------------------------
 * Status: its Fortran form is a list of MPI_F_STATUS_SIZE integers.
 */
#ifdef MPI_ABI_VERSION
/* The ABI has no MPI_Status_c2f/f2c, but fixes the Fortran status to be its
 * C MPI_Status seen as MPI_F_STATUS_SIZE ints (MPI_F_SOURCE... index it). */
_Static_assert(sizeof(MPI_Status) == MPI_F_STATUS_SIZE * sizeof(cmpi_fint),
               "ABI MPI_Status is MPI_F_STATUS_SIZE ints");
static int
status_c2f(const MPI_Status *s, cmpi_fint *f)
{
    memcpy(f, s, sizeof(*s));
    return MPI_SUCCESS;
}
static int
status_f2c(const cmpi_fint *f, MPI_Status *s)
{
    memcpy(s, f, sizeof(*s));
    return MPI_SUCCESS;
}
#else
#define status_c2f MPI_Status_c2f
#define status_f2c MPI_Status_f2c
#endif

CMPI_DOC(Status_py2f_doc, "py2f($self)",
         "Translate status to a list of Fortran integers.");
static PyObject *
Status_py2f(StatusObject *self, PyObject *Py_UNUSED(a))
{
    cmpi_fint f[sizeof(MPI_Status) / sizeof(cmpi_fint) + 8];
    cmpi_state *st = cmpi_type_state(Py_TYPE(self));
    int ierr = status_c2f(&self->ob_mpi, f);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    PyObject *list = PyList_New(MPI_F_STATUS_SIZE);
    for (int i = 0; list != NULL && i < MPI_F_STATUS_SIZE; i++) {
        PyObject *v = PyLong_FromLong((long)f[i]);
        if (v == NULL) {
            Py_CLEAR(list);
        }
        else {
            PyList_SET_ITEM(list, i, v);
        }
    }
    return list;
}

CMPI_DOC(Status_f2py_doc, "f2py($type, arg)",
         "Translate a list of Fortran integers to a status.");
static PyObject *
Status_f2py(PyTypeObject *cls, PyObject *arg)
{
    cmpi_fint f[sizeof(MPI_Status) / sizeof(cmpi_fint) + 8];
    cmpi_state *st = cmpi_type_state(cls);
    PyObject *seq = PySequence_Fast(arg, "expected a sequence of int");
    if (seq == NULL) {
        return NULL;
    }
    if (PySequence_Fast_GET_SIZE(seq) != MPI_F_STATUS_SIZE) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "expected %d integers",
                     (int)MPI_F_STATUS_SIZE);
        return NULL;
    }
    for (int i = 0; i < MPI_F_STATUS_SIZE; i++) {
        if (fint_arg(PySequence_Fast_GET_ITEM(seq, i), &f[i]) < 0) {
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    PyObject *obj = PyObject_CallNoArgs((PyObject *)cls);
    if (obj == NULL) {
        return NULL;
    }
    int ierr = status_f2c(f, &((StatusObject *)obj)->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(obj);
        return cmpi_raise(st, ierr);
    }
    return obj;
}

CMPI_ONE_ARG_KW(Status_f2py, PyTypeObject, "f2py", "arg")

/* Status pickles as its Fortran form, which keeps every field. */
static PyObject *
Status_reduce(StatusObject *self, PyObject *Py_UNUSED(a))
{
    PyObject *f2py = PyObject_GetAttrString((PyObject *)Py_TYPE(self), "f2py");
    if (f2py == NULL) {
        return NULL;
    }
    return Py_BuildValue("N(N)", f2py, Status_py2f(self, NULL));
}

/* ---------------------------------------------------------------------
 * Module functions: _sizeof, _addressof, _handleof.
 */
static int
handle_of_any(PyObject *m, PyObject *obj, void **addr, size_t *size)
{
    cmpi_state *st = cmpi_get_state(m);
    PyTypeObject *t = PyType_Check(obj) ? (PyTypeObject *)obj : Py_TYPE(obj);
    if (PyType_IsSubtype(t, st->Status_Type)) {
        *size = sizeof(MPI_Status);
        *addr = PyType_Check(obj) ? NULL : &((StatusObject *)obj)->ob_mpi;
        return 0;
    }
    int k = kind_of_type(st, t);
    if (k < 0) {
        PyErr_Format(PyExc_TypeError, "expected an MPI object, got %.100s",
                     t->tp_name);
        return -1;
    }
    *size = handle_kinds[k].hsize;
    *addr = PyType_Check(obj) ? NULL : handle_ptr(obj, k);
    return 0;
}

CMPI_DOC(cmpi__sizeof_doc, "_sizeof(arg, /)",
         "Size in bytes of the underlying MPI handle.");
static PyObject *
cmpi__sizeof(PyObject *m, PyObject *arg)
{
    void *addr;
    size_t size;
    if (handle_of_any(m, arg, &addr, &size) < 0) {
        return NULL;
    }
    return PyLong_FromSize_t(size);
}

CMPI_DOC(cmpi__addressof_doc, "_addressof(arg, /)",
         "Memory address of the underlying MPI handle.");
/* handle_of_any() for an MPI object (not a type): its handle's address */
static int
handle_of_object(PyObject *m, PyObject *arg, void **addr, size_t *size)
{
    if (handle_of_any(m, arg, addr, size) < 0) {
        return -1;
    }
    if (*addr == NULL) {
        PyErr_SetString(PyExc_TypeError, "expected an MPI object, not a type");
        return -1;
    }
    return 0;
}

static PyObject *
cmpi__addressof(PyObject *m, PyObject *arg)
{
    void *addr;
    size_t size;
    if (handle_of_object(m, arg, &addr, &size) < 0) {
        return NULL;
    }
    return PyLong_FromVoidPtr(addr);
}

CMPI_DOC(cmpi__handleof_doc, "_handleof(arg, /)",
         "Unsigned integer value with the underlying MPI handle.");
static PyObject *
cmpi__handleof(PyObject *m, PyObject *arg)
{
    void *addr;
    size_t size;
    if (handle_of_object(m, arg, &addr, &size) < 0) {
        return NULL;
    }
    if (size > sizeof(uintptr_t)) { /* a Status: its address */
        return PyLong_FromVoidPtr(addr);
    }
    return handle_bits(addr, size);
}

#define CMPI_HANDLE_MODULE_METHODS                                    \
    {"_sizeof", (PyCFunction)cmpi__sizeof, METH_O, cmpi__sizeof_doc}, \
            {"_addressof", (PyCFunction)cmpi__addressof, METH_O,      \
             cmpi__addressof_doc},                                    \
            {"_handleof", (PyCFunction)cmpi__handleof, METH_O,        \
             cmpi__handleof_doc},

/* ---------------------------------------------------------------------
 * Pickling.
 */
/* The constant named by the module for `self` itself (*same == NULL), or
 * the first one with the same handle (*name == NULL): st->handle_consts
 * lists the module's predefined constants as (kind, object, name). */
static int
handle_find_const(cmpi_state *st, PyObject *self, int k, PyObject **name,
                  PyObject **same)
{
    *name = *same = NULL;
    if (st->handle_consts == NULL) {
        return 0;
    }
    const void *h = handle_ptr(self, k);
    Py_ssize_t n = PyList_GET_SIZE(st->handle_consts);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PyList_GET_ITEM(st->handle_consts, i);
        if (PyLong_AsLong(PyTuple_GET_ITEM(t, 0)) != k) {
            continue;
        }
        PyObject *c = PyTuple_GET_ITEM(t, 1);
        if (c == self) {
            *name = PyTuple_GET_ITEM(t, 2);
            *same = NULL;
            return 1;
        }
        /* the emulated ERRORS_ABORT has no handle */
        unsigned f1 = handle_flags(c, k), f2 = handle_flags(self, k);
        if (*same == NULL && ((f1 ^ f2) & CMPI_EMULATED) == 0 &&
            memcmp(handle_ptr(c, k), h, handle_kinds[k].hsize) == 0) {
            *same = c;
        }
    }
    return *same != NULL;
}

static PyObject *
datatype_reduce_contents(PyObject *self)
{
    PyObject *dec = PyObject_CallMethod(self, "decode", NULL);
    if (dec == NULL) {
        return NULL;
    }
    PyObject *base = PyTuple_GET_ITEM(dec, 0);
    PyObject *comb = PyTuple_GET_ITEM(dec, 1);
    PyObject *params = PyTuple_GET_ITEM(dec, 2);
    PyObject *result = NULL, *factory = NULL, *args = NULL;
    const char *cname = PyUnicode_AsUTF8(comb);
    if (cname == NULL) {
        goto done;
    }
    if (strcmp(cname, "DUP") == 0) {
        factory = PyObject_GetAttrString(base, "Dup");
    }
    else {
        char meth[64] = "Create_";
        size_t n = strlen(meth);
        for (const char *p = cname; *p && n < sizeof(meth) - 1; p++) {
            meth[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
        }
        meth[n] = '\0';
        factory = PyObject_GetAttrString(base, meth);
    }
    if (factory == NULL) {
        goto done;
    }
    PyObject *values = PyDict_Values(params);
    if (values == NULL) {
        goto done;
    }
    args = PyList_AsTuple(values);
    Py_DECREF(values);
    if (args == NULL) {
        goto done;
    }
    result = PyTuple_Pack(2, factory, args);
done:
    Py_XDECREF(factory);
    Py_XDECREF(args);
    Py_DECREF(dec);
    return result;
}

static PyObject *
handle_reduce(PyObject *self, PyObject *Py_UNUSED(a))
{
    cmpi_state *st;
    int k = handle_self_kind(self, &st);
    if (k < 0) {
        return NULL;
    }
    PyObject *name, *same;
    if (handle_find_const(st, self, k, &name, &same)) {
        if (name != NULL) {
            return Py_NewRef(name);
        }
        return Py_BuildValue("O(O)", (PyObject *)Py_TYPE(self), same);
    }
    if (k == CMPI_HK_DATATYPE) {
        return datatype_reduce_contents(self);
    }
    if (k == CMPI_HK_INFO) {
        PyObject *items = PyObject_CallMethod(self, "items", NULL);
        if (items == NULL) {
            return NULL;
        }
        PyObject *create =
                PyObject_GetAttrString((PyObject *)Py_TYPE(self), "Create");
        PyObject *r = create ? Py_BuildValue("O(N)", create, items) : NULL;
        Py_XDECREF(create);
        if (r == NULL && create == NULL) {
            Py_DECREF(items);
        }
        return r;
    }
    if (k == CMPI_HK_OP) {
        OpObject *op = (OpObject *)self;
        if (op->slot >= 0 && cmpi_user_ops[op->slot].func != NULL) {
            int commute = 0;
            int ierr = MPI_Op_commutative(op->ob_mpi, &commute);
            if (ierr != MPI_SUCCESS) {
                return cmpi_raise(st, ierr);
            }
            PyObject *create = PyObject_GetAttrString(
                    (PyObject *)Py_TYPE(self), "Create");
            if (create == NULL) {
                return NULL;
            }
            return Py_BuildValue("N(OO)", create, cmpi_user_ops[op->slot].func,
                                 commute ? Py_True : Py_False);
        }
    }
    PyErr_Format(PyExc_ValueError, "cannot pickle %.100s object",
                 Py_TYPE(self)->tp_name);
    return NULL;
}

/* ---------------------------------------------------------------------
 * Installation: add the methods to each handle class, and index the
 * module's predefined constants for pickling.
 */
static PyMethodDef handle_inst_methods[] = {
        {"toint", (PyCFunction)handle_toint, METH_NOARGS, handle_toint_doc},
        {"py2f", (PyCFunction)handle_py2f, METH_NOARGS, handle_py2f_doc},
        {"free", (PyCFunction)handle_free, METH_NOARGS, handle_free_doc},
        {"__reduce__", (PyCFunction)handle_reduce, METH_NOARGS, NULL},
        {NULL, NULL, 0, NULL},
};
static PyMethodDef handle_cls_methods[] = {
        {"fromint", (PyCFunction)handle_fromint, METH_O, handle_fromint_doc},
        {"f2py", FN(handle_f2py_kw), FASTKW, handle_f2py_doc},
        {"fromhandle", FN(handle_fromhandle_kw), FASTKW,
         handle_fromhandle_doc},
        {NULL, NULL, 0, NULL},
};
static PyMethodDef status_inst_methods[] = {
        {"py2f", (PyCFunction)Status_py2f, METH_NOARGS, Status_py2f_doc},
        {"__reduce__", (PyCFunction)Status_reduce, METH_NOARGS, NULL},
        {NULL, NULL, 0, NULL},
};
static PyMethodDef status_cls_methods[] = {
        {"f2py", FN(Status_f2py_kw), FASTKW, Status_f2py_doc},
        {NULL, NULL, 0, NULL},
};

/* Whether add_methods makes instance methods or class methods. */
enum method_binding {
    METHODS_OF_INSTANCE,
    METHODS_OF_CLASS
};

static int
add_methods(PyTypeObject *type, PyMethodDef *defs, enum method_binding binding)
{
    for (PyMethodDef *d = defs; d->ml_name != NULL; d++) {
        PyObject *existing = PyDict_GetItemString(type->tp_dict, d->ml_name);
        if (existing != NULL) {
            continue; /* the area defines its own */
        }
        PyObject *descr = binding == METHODS_OF_CLASS
                                  ? PyDescr_NewClassMethod(type, d)
                                  : PyDescr_NewMethod(type, d);
        if (descr == NULL) {
            return -1;
        }
        int rc = PyObject_SetAttrString((PyObject *)type, d->ml_name, descr);
        Py_DECREF(descr);
        if (rc < 0) {
            return -1;
        }
    }
    return 0;
}

/* Adds the shared handle methods (py2f, toint, free, __reduce__ ...) to
 * every handle class created so far.  Called twice: before MPI starts,
 * for the classes that exist then (Comm and Request among them, so their
 * subclasses' method copies include these: MPI.c), and from
 * cmpi_handle_init for the classes made after the start; a method a class
 * already has is left alone, so the second call adds only what is new. */
static int
cmpi_handle_add_methods(cmpi_state *st)
{
    for (int k = 0; k < CMPI_HK_COUNT; k++) {
        PyTypeObject *t = kind_type(st, k);
        if (t == NULL) {
            continue;
        }
        if (add_methods(t, handle_inst_methods, METHODS_OF_INSTANCE) < 0 ||
            add_methods(t, handle_cls_methods, METHODS_OF_CLASS) < 0) {
            return -1;
        }
    }
    if (add_methods(st->Status_Type, status_inst_methods,
                    METHODS_OF_INSTANCE) < 0 ||
        add_methods(st->Status_Type, status_cls_methods, METHODS_OF_CLASS) <
                0) {
        return -1;
    }
    return 0;
}

/* Called once every area has added its classes and constants. */
static int
cmpi_handle_init(PyObject *m, cmpi_state *st)
{
    if (cmpi_handle_add_methods(st) < 0) {
        return -1;
    }
    if (PyModule_AddIntConstant(m, "F_STATUS_SIZE", MPI_F_STATUS_SIZE) < 0 ||
        PyModule_AddIntConstant(m, "F_SOURCE", MPI_F_SOURCE) < 0 ||
        PyModule_AddIntConstant(m, "F_TAG", MPI_F_TAG) < 0 ||
        PyModule_AddIntConstant(m, "F_ERROR", MPI_F_ERROR) < 0) {
        return -1;
    }
    Py_CLEAR(st->handle_consts);
    st->handle_consts = PyList_New(0);
    if (st->handle_consts == NULL) {
        return -1;
    }
    PyObject *dict = PyModule_GetDict(m);
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || PyType_Check(value)) {
            continue;
        }
        int k = kind_of_type(st, Py_TYPE(value));
        if (k < 0) {
            continue;
        }
        PyObject *t = Py_BuildValue("iOO", k, value, key);
        if (t == NULL || PyList_Append(st->handle_consts, t) < 0) {
            Py_XDECREF(t);
            return -1;
        }
        Py_DECREF(t);
    }
    return 0;
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef status_c2f
#undef status_f2c
