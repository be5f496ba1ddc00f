/*
 * win.c -- MPI.Win: windows for one-sided communication (RMA), their
 * memory, attributes, synchronization and error handlers.  The access
 * calls (Put, Get, Accumulate, ...) are rma.c's.
 *
 * Safety rules this file keeps, beyond what MPI promises:
 * - Every window learns, when it is made (collectively, so one allgather
 *   more is cheap), the size and displacement unit of every rank's memory.
 *   Each Put/Get/Accumulate/... is checked against them, so an access out
 *   of bounds raises MPI.Exception(ERR_RMA_RANGE) instead of corrupting or
 *   crashing a process (MPI libraries mostly do not check).  Dynamic
 *   windows have no sizes: there MPI's own checks are all there is.
 * - RMA calls return before the data moved: the origin (and result)
 *   buffers are held by the window until a synchronization call that
 *   completes them (Fence, Complete, Unlock, Flush...), so dropping the
 *   last Python reference to an array cannot free memory MPI still reads.
 *   Request-based calls (Rput...) hold them in the Request instead.
 * - Window memory given by Create or Attach is held until Free / Detach.
 */
#include "cmpi.h"

#define WIN_ALL_RANKS INT_MIN
/* Largest window memory Allocate and Allocate_shared ask MPI for. */
#define WIN_SIZE_MAX ((MPI_Aint)1 << 62)

static PyObject *
cmpi_win_alloc(cmpi_state *st, PyTypeObject *type, MPI_Win h, unsigned flags)
{
    WinObject *w = (WinObject *)type->tp_alloc(type, 0);
    if (w == NULL) {
        return NULL;
    }
    w->ob_mpi = h;
    w->flags = flags;
    w->gsize = 0;
    w->tsize = NULL;
    w->tunit = NULL;
    w->memory.obj = NULL;
    w->held = NULL;
    w->nheld = w->capheld = 0;
    w->attached = NULL;
    w->nattached = w->capattached = 0;
    w->memories = NULL;
    w->st = st;
    return (PyObject *)w;
}

static PyObject *
Win_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"win", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Win", kwlist, &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    MPI_Win h = MPI_WIN_NULL;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Win_Type)) {
            PyErr_Format(PyExc_TypeError, "expected a Win, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        h = ((WinObject *)other)->ob_mpi;
    }
    WinObject *w = (WinObject *)cmpi_win_alloc(st, type, h, 0);
    if (w != NULL && h != MPI_WIN_NULL) {
        /* a second reference to the same window: same checks */
        WinObject *o = (WinObject *)other;
        w->gsize = o->gsize;
        if (o->tsize != NULL) {
            w->tsize = PyMem_New(MPI_Aint, (size_t)o->gsize);
            w->tunit = PyMem_New(int, (size_t)o->gsize);
            if (w->tsize == NULL || w->tunit == NULL) {
                Py_DECREF(w);
                return PyErr_NoMemory();
            }
            memcpy(w->tsize, o->tsize, sizeof(MPI_Aint) * (size_t)o->gsize);
            memcpy(w->tunit, o->tunit, sizeof(int) * (size_t)o->gsize);
        }
        cmpi_handle_link((PyObject *)w, other, CMPI_HK_WIN);
    }
    return (PyObject *)w;
}

static void
win_release_held(WinObject *w, int rank)
{
    Py_ssize_t j = 0;
    for (Py_ssize_t i = 0; i < w->nheld; i++) {
        if (rank == WIN_ALL_RANKS || w->held[i].rank == rank) {
            PyBuffer_Release(&w->held[i].view);
        }
        else {
            w->held[j++] = w->held[i];
        }
    }
    w->nheld = j;
}

/* Empty the buffers tomemory()/Shared_query gave, then drop their list:
 * none may point at the window's memory once the window lets go of it. */
static void
win_drop_memories(WinObject *w)
{
    if (w->memories != NULL) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(w->memories); i++) {
            BufferObject *b = (BufferObject *)PyList_GET_ITEM(w->memories, i);
            b->buf = cmpi_buffer_empty;
            b->len = 0;
        }
        Py_CLEAR(w->memories);
    }
}

/* The window is gone: drop what it held, empty the buffers it gave. */
static void
win_forget(WinObject *w)
{
    win_release_held(w, WIN_ALL_RANKS);
    PyMem_Free(w->held);
    w->held = NULL;
    w->capheld = 0;
    if (w->memory.obj != NULL) {
        PyBuffer_Release(&w->memory);
    }
    for (Py_ssize_t i = 0; i < w->nattached; i++) {
        PyBuffer_Release(&w->attached[i]);
    }
    PyMem_Free(w->attached);
    w->attached = NULL;
    w->nattached = w->capattached = 0;
    win_drop_memories(w);
    PyMem_Free(w->tsize);
    PyMem_Free(w->tunit);
    w->tsize = NULL;
    w->tunit = NULL;
    w->gsize = 0;
}

/* Only the list of buffers given out is visited.  The window memory, the
 * RMA buffers in flight and the attached memory are MPI's until Free or
 * completion: like a Request's buffers (request.c) they are not visited,
 * so a cycle through them is never collected. */
static int
Win_traverse(WinObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->memories);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

/* Breaks window -> memories -> buffer -> window (each buffer keeps its
 * window as owner), a cycle that only Free() broke before.  Python
 * references only: the window handle and the memory MPI may use stay, as
 * in Win_dealloc, and the buffers are emptied, as Free empties them, so
 * that a Free after a clear leaves none over freed memory. */
static int
Win_clear(WinObject *self)
{
    win_drop_memories(self);
    return 0;
}

static void
Win_dealloc(WinObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    int finalized = 1;
    MPI_Finalized(&finalized);
    if (self->ob_mpi != MPI_WIN_NULL && !finalized &&
        !(self->flags & CMPI_CONST)) {
        /* Not freed (MPI_Win_free is collective): MPI may still touch the
         * memory, so whatever it uses stays alive for good. */
        self->memory.obj = NULL;
        self->nheld = 0;
        self->nattached = 0;
    }
    win_forget(self);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_WIN);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Win_richcompare, Win_bool, CMPI_HK_WIN)

#define WIN_CHECK(w) CMPI_HANDLE_CHECK(w, CMPI_HK_WIN)

/* ---- creation ---- */

static int
win_comm_arg(cmpi_state *st, PyObject *obj, CommObject **out)
{
    if (obj == NULL) {
        *out = (CommObject *)st->COMM_SELF;
    }
    else if (PyObject_TypeCheck(obj, st->Intracomm_Type)) {
        *out = (CommObject *)obj;
    }
    else { /* COMM_NULL (a Comm) too, as in mpi4py */
        PyErr_Format(PyExc_TypeError, "comm must be an Intracomm, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (cmpi_comm_check(*out) < 0) {
        return -1;
    }
    if ((*out)->inter) {
        cmpi_raise_msg(st, MPI_ERR_COMM,
                       "invalid communicator: windows need an "
                       "intracommunicator");
        return -1;
    }
    return 0;
}

/* A bad disp_unit or size raises the MPI error class MPI gives it
 * (ERR_DISP, ERR_SIZE; ERR_ARG past C int), as in mpi4py. */
static int
win_disp_unit_arg(cmpi_state *st, PyObject *obj, int *out)
{
    Py_ssize_t v = 1;
    if (obj != NULL && cmpi_as_ssize(obj, &v, "disp_unit") < 0) {
        return -1;
    }
    if (v <= 0) {
        cmpi_raise_msg(st, MPI_ERR_DISP,
                       "invalid displacement unit: disp_unit=%zd, must be "
                       "positive",
                       v);
        return -1;
    }
    if (v > INT_MAX) {
        cmpi_raise_msg(st, MPI_ERR_ARG,
                       "invalid argument: disp_unit=%zd does not fit in a C "
                       "int",
                       v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int
win_size_arg(cmpi_state *st, PyObject *obj, MPI_Aint *out)
{
    Py_ssize_t v;
    if (cmpi_as_ssize(obj, &v, "size") < 0) {
        return -1;
    }
    if (v < 0) {
        cmpi_raise_msg(st, MPI_ERR_SIZE,
                       "invalid size: size=%zd, must be >= 0", v);
        return -1;
    }
    *out = (MPI_Aint)v;
    return 0;
}

/* Whether a window's memory is fixed when it is made (Create, Allocate,
 * Allocate_shared) or attached later (Create_dynamic). */
enum win_memory {
    WIN_MEMORY_FIXED,
    WIN_MEMORY_DYNAMIC
};

/* The new window: errors return, and every rank's (size, disp_unit) is
 * known for the bounds checks (unless the window is dynamic). */
static PyObject *
win_made(cmpi_state *st, PyTypeObject *type, MPI_Win h, CommObject *comm,
         MPI_Aint size, int disp_unit, enum win_memory memory)
{
    MPI_Win_set_errhandler(h, MPI_ERRORS_RETURN);
    WinObject *w = (WinObject *)cmpi_win_alloc(st, type, h, 0);
    if (w == NULL) {
        goto fail;
    }
    w->gsize = comm->size;
    if (memory == WIN_MEMORY_FIXED) {
        MPI_Aint mine[2] = {size, disp_unit};
        MPI_Aint *all = PyMem_New(MPI_Aint, 2 * (size_t)comm->size);
        w->tsize = PyMem_New(MPI_Aint, (size_t)comm->size);
        w->tunit = PyMem_New(int, (size_t)comm->size);
        if (all == NULL || w->tsize == NULL || w->tunit == NULL) {
            PyMem_Free(all);
            PyErr_NoMemory();
            goto fail;
        }
        int ierr;
        CMPI_NOGIL(ierr = MPI_Allgather(mine, 2, MPI_AINT, all, 2, MPI_AINT,
                                        comm->ob_mpi));
        for (int i = 0; ierr == MPI_SUCCESS && i < comm->size; i++) {
            w->tsize[i] = all[2 * i];
            w->tunit[i] = (int)all[2 * i + 1];
        }
        PyMem_Free(all);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(st, ierr);
            goto fail;
        }
    }
    return (PyObject *)w;
fail:
    if (w != NULL) {
        w->ob_mpi = MPI_WIN_NULL;
        Py_DECREF(w);
    }
    MPI_Win_free(&h);
    return NULL;
}

/* NumPy refuses a contiguous export of a strided array with ValueError;
 * it is a BufferError, as in mpi4py and Python's own exporters. */
static void
win_export_refused(PyObject *obj)
{
    if (PyObject_CheckBuffer(obj) &&
        PyErr_ExceptionMatches(PyExc_ValueError)) {
        PyObject *exc = PyErr_GetRaisedException_compat();
        PyErr_Format(PyExc_BufferError, "%S", exc);
        Py_DECREF(exc);
    }
}

/* Window memory: a writable, contiguous buffer. */
static int
win_get_memory(PyObject *obj, Py_buffer *view)
{
    if (PyObject_GetBuffer(obj, view, PyBUF_ANY_CONTIGUOUS | PyBUF_WRITABLE) <
        0) {
        win_export_refused(obj);
        if (!PyObject_CheckBuffer(obj)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "memory must be a writable buffer, not %.100s",
                         Py_TYPE(obj)->tp_name);
        }
        else if (PyErr_ExceptionMatches(PyExc_BufferError) &&
                 cmpi_exporter_read_only(obj)) {
            PyErr_Clear();
            PyErr_Format(PyExc_BufferError,
                         "memory must be a writable buffer, got a "
                         "read-only %.100s",
                         Py_TYPE(obj)->tp_name);
        }
        return -1;
    }
    return 0;
}

/* Open MPI 4.1 has two one-sided components here: osc/sm (Allocate and
 * Allocate_shared only) and osc/rdma, which cannot make a window over a
 * single process; osc/pt2pt is disabled by Debian's configuration and
 * refuses THREAD_MULTIPLE anyway.  Say so instead of "invalid window". */
static PyObject *
win_create_error(cmpi_state *st, int ierr, CommObject *comm, const char *fn)
{
#ifdef OPEN_MPI
    int cls = ierr;
    MPI_Error_class(ierr, &cls);
    if (comm->size == 1 && cls == MPI_ERR_WIN) {
        return cmpi_raise_msg(st, cls,
                              "%s failed: Open MPI %d.%d cannot create or "
                              "attach window memory for a single process "
                              "(its osc/rdma component needs peers; osc/pt2pt "
                              "does not support THREAD_MULTIPLE); use "
                              "Win.Allocate, or a communicator of two or more "
                              "processes",
                              fn, OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION);
    }
#else
    (void)comm;
    (void)fn;
#endif
    return cmpi_raise(st, ierr);
}

CMPI_DOC_NOSIG(
        Win_Create_doc,
        "Create(memory, disp_unit=1, info=INFO_NULL, comm=COMM_SELF)",
        "Create a window over `memory` (a writable buffer, or BOTTOM for "
        "none): collective over `comm`.");
static PyObject *
Win_Create(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"memory", "disp_unit", "info", "comm",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    CommObject *comm;
    MPI_Info info;
    int disp_unit, ierr;
    Py_buffer view;
    view.obj = NULL;
    if (st == NULL ||
        cmpi_parse("Create", args, nargs, kwnames, kw, 1, a) < 0 ||
        win_disp_unit_arg(st, a[1], &disp_unit) < 0 ||
        cmpi_info_arg(st, a[2], &info) < 0 ||
        win_comm_arg(st, a[3], &comm) < 0) {
        return NULL;
    }
    void *base = NULL;
    MPI_Aint size = 0;
    if (a[0] != Py_None && a[0] != st->BOTTOM) {
        if (win_get_memory(a[0], &view) < 0) {
            return NULL;
        }
        base = view.buf;
        size = (MPI_Aint)view.len;
    }
    MPI_Win h;
    CMPI_NOGIL_CALL("Win.Create", comm->ob_mpi,
                    ierr = MPI_Win_create(base, size, disp_unit, info,
                                          comm->ob_mpi, &h));
    if (ierr != MPI_SUCCESS) {
        if (view.obj != NULL) {
            PyBuffer_Release(&view);
        }
        return win_create_error(st, ierr, comm, "MPI_Win_create");
    }
    WinObject *w = (WinObject *)win_made(st, cls, h, comm, size, disp_unit,
                                         WIN_MEMORY_FIXED);
    if (w == NULL) {
        if (view.obj != NULL) {
            PyBuffer_Release(&view);
        }
        return NULL;
    }
    w->memory = view;
    return (PyObject *)w;
}

/* Whether Allocate's memory is the process's own or shared with the
 * other processes of a node (Allocate_shared). */
enum win_alloc {
    WIN_ALLOC_PRIVATE,
    WIN_ALLOC_SHARED
};

static PyObject *
win_allocate(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, enum win_alloc alloc)
{
    int shared = alloc == WIN_ALLOC_SHARED;
    static const char *const kw[] = {"size", "disp_unit", "info", "comm",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    CommObject *comm;
    MPI_Info info;
    MPI_Aint size;
    int disp_unit, ierr;
    const char *fname = shared ? "Allocate_shared" : "Allocate";
    if (st == NULL || cmpi_parse(fname, args, nargs, kwnames, kw, 1, a) < 0 ||
        win_size_arg(st, a[0], &size) < 0 ||
        win_disp_unit_arg(st, a[1], &disp_unit) < 0 ||
        cmpi_info_arg(st, a[2], &info) < 0 ||
        win_comm_arg(st, a[3], &comm) < 0) {
        return NULL;
    }
    /* No memory is that large, and MPICH 4.0 overflows on sizes near
     * 2**63 (Allocate_shared segfaulted; found by the API fuzzer). */
    if (size > WIN_SIZE_MAX) {
        return cmpi_raise_msg(st, MPI_ERR_SIZE,
                              "Win.%s: size=%zd bytes is more than any memory "
                              "(at most 2**62)",
                              fname, (Py_ssize_t)size);
    }
    void *base = NULL;
    MPI_Win h;
    if (shared) {
        CMPI_NOGIL_CALL(
                "Win.Allocate_shared", comm->ob_mpi,
                ierr = MPI_Win_allocate_shared(size, disp_unit, info,
                                               comm->ob_mpi, &base, &h));
    }
    else {
        CMPI_NOGIL_CALL("Win.Allocate", comm->ob_mpi,
                        ierr = MPI_Win_allocate(size, disp_unit, info,
                                                comm->ob_mpi, &base, &h));
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return win_made(st, cls, h, comm, size, disp_unit, WIN_MEMORY_FIXED);
}

CMPI_DOC_NOSIG(Win_Allocate_doc,
               "Allocate(size, disp_unit=1, info=INFO_NULL, comm=COMM_SELF)",
               "Create a window over `size` bytes of new memory that MPI "
               "allocates: collective over `comm`.");
static PyObject *
Win_Allocate(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    return win_allocate(cls, args, nargs, kwnames, WIN_ALLOC_PRIVATE);
}

CMPI_DOC_NOSIG(
        Win_Allocate_shared_doc,
        "Allocate_shared(size, disp_unit=1, info=INFO_NULL, comm=COMM_SELF)",
        "Create a window over new memory that every process of `comm` can "
        "address directly (see Shared_query); `comm` must be within a "
        "node.");
static PyObject *
Win_Allocate_shared(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    return win_allocate(cls, args, nargs, kwnames, WIN_ALLOC_SHARED);
}

CMPI_DOC_NOSIG(Win_Create_dynamic_doc,
               "Create_dynamic(info=INFO_NULL, comm=COMM_SELF)",
               "Create a window without memory; memory is added with "
               "Attach().");
static PyObject *
Win_Create_dynamic(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const kw[] = {"info", "comm", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    CommObject *comm;
    MPI_Info info;
    int ierr;
    if (st == NULL ||
        cmpi_parse("Create_dynamic", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_info_arg(st, a[0], &info) < 0 ||
        win_comm_arg(st, a[1], &comm) < 0) {
        return NULL;
    }
    MPI_Win h;
    CMPI_NOGIL_CALL("Win.Create_dynamic", comm->ob_mpi,
                    ierr = MPI_Win_create_dynamic(info, comm->ob_mpi, &h));
    if (ierr != MPI_SUCCESS) {
        return win_create_error(st, ierr, comm, "MPI_Win_create_dynamic");
    }
    return win_made(st, cls, h, comm, 0, 1, WIN_MEMORY_DYNAMIC);
}

/* A copy of a freed window: what it held for the window goes too. */
static void
win_forget_copy(PyObject *copy)
{
    win_forget((WinObject *)copy);
}

CMPI_DOC(Win_Free_doc, "Free($self)", "Free a window (collective).");
static PyObject *
Win_Free(WinObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    WIN_CHECK(self);
    if (self->flags & CMPI_CONST) {
        return cmpi_raise_msg(self->st, MPI_ERR_WIN,
                              "cannot free a predefined window");
    }
    CMPI_NOGIL_CALL("win.Free", MPI_COMM_NULL,
                    ierr = MPI_Win_free(&self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    self->ob_mpi = MPI_WIN_NULL;
    win_forget(self);
    cmpi_handle_freed((PyObject *)self, CMPI_HK_WIN, win_forget_copy);
    Py_RETURN_NONE;
}

CMPI_DOC(Win_free_doc, "free($self)",
         "Call Free() if the window is neither null nor predefined.");
static PyObject *
Win_free_method(WinObject *self, PyObject *Py_UNUSED(a))
{
    if (self->ob_mpi == MPI_WIN_NULL || (self->flags & CMPI_CONST)) {
        Py_RETURN_NONE;
    }
    return Win_Free(self, NULL);
}

CMPI_DOC(Win_Attach_doc, "Attach($self, memory)",
         "Attach memory to a dynamic window.");
static PyObject *
Win_Attach(WinObject *self, PyObject *arg)
{
    Py_buffer view;
    WIN_CHECK(self);
    if (win_get_memory(arg, &view) < 0) {
        return NULL;
    }
    if (self->nattached == self->capattached) {
        Py_ssize_t cap = self->capattached ? 2 * self->capattached : 4;
        Py_buffer *p = PyMem_Realloc(self->attached, sizeof(Py_buffer) * cap);
        if (p == NULL) {
            PyBuffer_Release(&view);
            return PyErr_NoMemory();
        }
        self->attached = p;
        self->capattached = cap;
    }
    int ierr = MPI_Win_attach(self->ob_mpi, view.buf, (MPI_Aint)view.len);
    if (ierr != MPI_SUCCESS) {
        PyBuffer_Release(&view);
        return cmpi_raise(self->st, ierr);
    }
    self->attached[self->nattached++] = view;
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Win_Attach, WinObject, "Attach", "memory")

CMPI_DOC(Win_Detach_doc, "Detach($self, memory)",
         "Detach memory from a dynamic window.");
static PyObject *
Win_Detach(WinObject *self, PyObject *arg)
{
    Py_buffer view;
    WIN_CHECK(self);
    /* writable, as what was attached was (mpi4py asks the same) */
    if (PyObject_GetBuffer(arg, &view, PyBUF_ANY_CONTIGUOUS | PyBUF_WRITABLE) <
        0) {
        win_export_refused(arg);
        if (!PyObject_CheckBuffer(arg)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError,
                         "memory must be a buffer, not %.100s",
                         Py_TYPE(arg)->tp_name);
        }
        return NULL;
    }
    void *base = view.buf;
    PyBuffer_Release(&view);
    int ierr = MPI_Win_detach(self->ob_mpi, base);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    for (Py_ssize_t i = 0; i < self->nattached; i++) {
        if (self->attached[i].buf == base) {
            PyBuffer_Release(&self->attached[i]);
            self->attached[i] = self->attached[--self->nattached];
            break;
        }
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Win_Detach, WinObject, "Detach", "memory")

/* ---- memory and attributes ---- */

static PyObject *
win_memory(WinObject *self, void *base, MPI_Aint size)
{
    PyObject *b = cmpi_buffer_new(self->st, base, (Py_ssize_t)size,
                                  CMPI_BUFFER_WRITABLE, (PyObject *)self);
    if (b == NULL) {
        return NULL;
    }
    if (self->memories == NULL && (self->memories = PyList_New(0)) == NULL) {
        Py_DECREF(b);
        return NULL;
    }
    if (PyList_Append(self->memories, b) < 0) {
        Py_DECREF(b);
        return NULL;
    }
    return b;
}

static int
win_attr_ptr(WinObject *self, int keyval, void **out)
{
    int flag = 0;
    *out = NULL;
    int ierr = MPI_Win_get_attr(self->ob_mpi, keyval, out, &flag);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    if (!flag) {
        *out = NULL;
    }
    return flag;
}

CMPI_DOC(Win_tomemory_doc, "tomemory($self)",
         "Return the window's local memory as a writable MPI.buffer (use "
         "numpy.frombuffer() for an array over it).");
static PyObject *
Win_tomemory(WinObject *self, PyObject *Py_UNUSED(a))
{
    void *base, *psize;
    WIN_CHECK(self);
    if (win_attr_ptr(self, MPI_WIN_BASE, &base) < 0 ||
        win_attr_ptr(self, MPI_WIN_SIZE, &psize) < 0) {
        return NULL;
    }
    MPI_Aint size = psize ? *(MPI_Aint *)psize : 0;
    return win_memory(self, base, size);
}

CMPI_DOC(Win_Shared_query_doc, "Shared_query($self, rank)",
         "Return (memory, disp_unit) of `rank`'s part of a shared window, "
         "directly addressable by this process.");
static PyObject *
Win_Shared_query(WinObject *self, PyObject *arg)
{
    int rank, disp_unit = 1;
    MPI_Aint size = 0;
    void *base = NULL;
    WIN_CHECK(self);
    if (cmpi_as_int(arg, &rank, "rank") < 0) {
        return NULL;
    }
    if ((rank < 0 || rank >= self->gsize) && rank != MPI_PROC_NULL) {
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: rank=%d, the window's group has "
                              "%d process%s",
                              rank, self->gsize, self->gsize == 1 ? "" : "es");
    }
    int ierr =
            MPI_Win_shared_query(self->ob_mpi, rank, &size, &disp_unit, &base);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    PyObject *mem = win_memory(self, base, size);
    if (mem == NULL) {
        return NULL;
    }
    return Py_BuildValue("(Ni)", mem, disp_unit);
}

CMPI_ONE_ARG_KW(Win_Shared_query, WinObject, "Shared_query", "rank")

CMPI_DOC(Win_Get_attr_doc, "Get_attr($self, keyval)",
         "Return the value of a window attribute (WIN_BASE, WIN_SIZE, "
         "WIN_DISP_UNIT, WIN_CREATE_FLAVOR, WIN_MODEL, or the value "
         "Set_attr stored under a key Create_keyval made), or None.");
static PyObject *
Win_Get_attr(WinObject *self, PyObject *arg)
{
    int keyval;
    void *p;
    WIN_CHECK(self);
    if (cmpi_as_int(arg, &keyval, "keyval") < 0) {
        return NULL;
    }
    int flag = win_attr_ptr(self, keyval, &p);
    if (flag < 0) {
        return NULL;
    }
    if (!flag) {
        Py_RETURN_NONE;
    }
    if (keyval == MPI_WIN_BASE) {
        return PyLong_FromVoidPtr(p);
    }
    if (keyval == MPI_WIN_SIZE) {
        return PyLong_FromSsize_t((Py_ssize_t) * (MPI_Aint *)p);
    }
    if (keyval == MPI_WIN_DISP_UNIT || keyval == MPI_WIN_CREATE_FLAVOR ||
        keyval == MPI_WIN_MODEL) {
        return PyLong_FromLong(*(int *)p);
    }
    return cmpi_keyval_value(keyval, p);
}

CMPI_ONE_ARG_KW(Win_Get_attr, WinObject, "Get_attr", "keyval")

/* Attribute caching (keyval.c's shared implementation). */

CMPI_DOC(Win_Create_keyval_doc,
         "Create_keyval(copy_fn=None, delete_fn=None, nopython=False)",
         "Create a new attribute key for windows.  copy_fn is kept, as in "
         "mpi4py, though MPI never copies a window; delete_fn(win, keyval, "
         "value) runs when a value is deleted.");
static PyObject *
Win_Create_keyval(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    return cmpi_keyval_create(cls, args, nargs, kwnames, CMPI_KEYVAL_WIN);
}

CMPI_DOC(Win_Free_keyval_doc, "Free_keyval(keyval)",
         "Free an attribute key for windows; return KEYVAL_INVALID.");
static PyObject *
Win_Free_keyval(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return cmpi_keyval_free(cls, args, nargs, kwnames, CMPI_KEYVAL_WIN);
}

CMPI_DOC(Win_Set_attr_doc, "Set_attr($self, keyval, attrval)",
         "Store an attribute value associated with a key.");
static PyObject *
Win_Set_attr(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    WIN_CHECK(self);
    return cmpi_keyval_set_attr(self->st, CMPI_KEYVAL_WIN, &self->ob_mpi, args,
                                nargs, kwnames);
}

CMPI_DOC(Win_Delete_attr_doc, "Delete_attr($self, keyval)",
         "Delete an attribute value associated with a key.");
static PyObject *
Win_Delete_attr(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    WIN_CHECK(self);
    return cmpi_keyval_delete_attr(self->st, CMPI_KEYVAL_WIN, &self->ob_mpi,
                                   args, nargs, kwnames);
}

static PyObject *
win_int_attr(WinObject *self, int keyval)
{
    void *p;
    WIN_CHECK(self);
    int flag = win_attr_ptr(self, keyval, &p);
    if (flag < 0) {
        return NULL;
    }
    return PyLong_FromLong(flag ? *(int *)p : MPI_UNDEFINED);
}

static PyObject *
Win_get_attrs(WinObject *self, void *Py_UNUSED(c))
{
    void *base, *size, *unit;
    WIN_CHECK(self);
    if (win_attr_ptr(self, MPI_WIN_BASE, &base) < 0 ||
        win_attr_ptr(self, MPI_WIN_SIZE, &size) < 0 ||
        win_attr_ptr(self, MPI_WIN_DISP_UNIT, &unit) < 0) {
        return NULL;
    }
    return Py_BuildValue("(Nni)", PyLong_FromVoidPtr(base),
                         (Py_ssize_t)(size ? *(MPI_Aint *)size : 0),
                         unit ? *(int *)unit : 1);
}

static PyObject *
Win_get_flavor(WinObject *self, void *Py_UNUSED(c))
{
    return win_int_attr(self, MPI_WIN_CREATE_FLAVOR);
}

static PyObject *
Win_get_model(WinObject *self, void *Py_UNUSED(c))
{
    return win_int_attr(self, MPI_WIN_MODEL);
}

CMPI_DOC(Win_Get_group_doc, "Get_group($self)",
         "Return the group of the processes sharing the window.");
static PyObject *
Win_Get_group(WinObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Group g;
    WIN_CHECK(self);
    int ierr = MPI_Win_get_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_group_new(self->st, self->st->Group_Type, g, 0);
}

static PyObject *
Win_get_group(WinObject *self, void *Py_UNUSED(c))
{
    return Win_Get_group(self, NULL);
}

/* What the group_size and group_rank properties read of the window's
 * group: its size, or this process's rank in it. */
enum win_group_part {
    WIN_GROUP_SIZE,
    WIN_GROUP_RANK
};

static PyObject *
win_group_int(WinObject *self, enum win_group_part which)
{
    MPI_Group g;
    int n = 0, ierr;
    WIN_CHECK(self);
    ierr = MPI_Win_get_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    ierr = which == WIN_GROUP_RANK ? MPI_Group_rank(g, &n)
                                   : MPI_Group_size(g, &n);
    MPI_Group_free(&g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(n);
}

static PyObject *
Win_get_group_size(WinObject *self, void *Py_UNUSED(c))
{
    return win_group_int(self, WIN_GROUP_SIZE);
}

static PyObject *
Win_get_group_rank(WinObject *self, void *Py_UNUSED(c))
{
    return win_group_int(self, WIN_GROUP_RANK);
}

CMPI_DOC(Win_Get_info_doc, "Get_info($self)",
         "Return the hints the window uses, as a new Info.");
static PyObject *
Win_Get_info(WinObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Info h;
    WIN_CHECK(self);
    int ierr = MPI_Win_get_info(self->ob_mpi, &h);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_info_new(self->st, h);
}

CMPI_DOC(Win_Set_info_doc, "Set_info($self, info)",
         "Set new hints for the window.");
static PyObject *
Win_Set_info(WinObject *self, PyObject *arg)
{
    MPI_Info info;
    WIN_CHECK(self);
    if (cmpi_info_arg(self->st, arg, &info) < 0) {
        return NULL;
    }
    int ierr;
    CMPI_NOGIL(ierr = MPI_Win_set_info(self->ob_mpi, info));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Win_Set_info, WinObject, "Set_info", "info")

static PyObject *
Win_get_info(WinObject *self, void *Py_UNUSED(c))
{
    return Win_Get_info(self, NULL);
}

static int
Win_set_info(WinObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete info");
        return -1;
    }
    PyObject *r = Win_Set_info(self, value);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

CMPI_DOC(Win_Get_name_doc, "Get_name($self)", "Return the window's name.");
static PyObject *
Win_Get_name(WinObject *self, PyObject *Py_UNUSED(a))
{
    char name[MPI_MAX_OBJECT_NAME + 1];
    int len = 0;
    if (self->ob_mpi == MPI_WIN_NULL) { /* MPI has no call for its name */
        return PyUnicode_FromString("MPI_WIN_NULL");
    }
    int ierr = MPI_Win_get_name(self->ob_mpi, name, &len);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    name[len] = '\0';
    return PyUnicode_FromString(name);
}

CMPI_DOC(Win_Set_name_doc, "Set_name($self, name)", "Name the window.");
static PyObject *
Win_Set_name(WinObject *self, PyObject *arg)
{
    WIN_CHECK(self);
    Py_ssize_t len;
    const char *s = cmpi_as_mpistr(arg, &len, "name");
    if (s == NULL) {
        return NULL;
    }
    int ierr = MPI_Win_set_name(self->ob_mpi, s);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Win_Set_name, WinObject, "Set_name", "name")

static PyObject *
Win_get_name(WinObject *self, void *Py_UNUSED(c))
{
    return Win_Get_name(self, NULL);
}

static int
Win_set_name(WinObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete name");
        return -1;
    }
    PyObject *r = Win_Set_name(self, value);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyObject *
Win_get_handle(WinObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

/* ---- synchronization ---- */

static PyObject *
win_sync_result(WinObject *self, int ierr, int release_rank)
{
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (release_rank != MPI_PROC_NULL) {
        win_release_held(self, release_rank);
    }
    Py_RETURN_NONE;
}

static int
win_assertion(PyObject *obj, int *out)
{
    return cmpi_opt_int(obj, out, 0, "assertion");
}

CMPI_DOC(Win_Fence_doc, "Fence($self, assertion=0)",
         "Synchronize the window: end the previous epoch, start the next "
         "(collective).");
static PyObject *
Win_Fence(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"assertion", NULL};
    PyObject *a[1] = {NULL};
    int assertion, ierr;
    WIN_CHECK(self);
    if (cmpi_parse("Fence", args, nargs, kwnames, kw, 0, a) < 0 ||
        win_assertion(a[0], &assertion) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("win.Fence", MPI_COMM_NULL,
                    ierr = MPI_Win_fence(assertion, self->ob_mpi));
    return win_sync_result(self, ierr, WIN_ALL_RANKS);
}

/* Which epoch win_group_epoch opens towards a group: access (Start) or
 * exposure (Post). */
enum win_epoch {
    WIN_EPOCH_ACCESS,
    WIN_EPOCH_EXPOSURE
};

/* Are all processes of `g` in the window's group?  MPI does not check:
 * Post or Start towards a process outside the window crashes Open MPI 4.1
 * and MPICH 4.0 (found by the API fuzzer). */
static int
win_group_inside(WinObject *self, MPI_Group g, const char *fname)
{
    int n = 0, wsize = 0, bad = -1, ierr;
    MPI_Group wg = MPI_GROUP_NULL;
    int *ranks = NULL;
    ierr = MPI_Group_size(g, &n);
    if (ierr == MPI_SUCCESS && n > 0) {
        ierr = MPI_Win_get_group(self->ob_mpi, &wg);
    }
    if (ierr == MPI_SUCCESS && n > 0) {
        ierr = MPI_Group_size(wg, &wsize);
    }
    if (ierr == MPI_SUCCESS && n > 0) {
        ranks = PyMem_New(int, 2 * (size_t)n);
        if (ranks == NULL) {
            MPI_Group_free(&wg);
            PyErr_NoMemory();
            return -1;
        }
        for (int i = 0; i < n; i++) {
            ranks[i] = i;
        }
        ierr = MPI_Group_translate_ranks(g, n, ranks, wg, ranks + n);
        for (int i = 0; ierr == MPI_SUCCESS && i < n && bad < 0; i++) {
            if (ranks[n + i] == MPI_UNDEFINED) {
                bad = i;
            }
        }
        PyMem_Free(ranks);
    }
    if (wg != MPI_GROUP_NULL) {
        MPI_Group_free(&wg);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    if (bad >= 0) {
        cmpi_raise_msg(self->st, MPI_ERR_GROUP,
                       "win.%s: rank %d of the group (of %d processes) is not "
                       "in the window's group of %d process%s",
                       fname, bad, n, wsize, wsize == 1 ? "" : "es");
        return -1;
    }
    return 0;
}

static PyObject *
win_group_epoch(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames, const char *fname, enum win_epoch epoch)
{
    static const char *const kw[] = {"group", "assertion", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Group g;
    int assertion, ierr;
    WIN_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_group_arg(self->st, a[0], &g, "group") < 0 ||
        win_assertion(a[1], &assertion) < 0 ||
        win_group_inside(self, g, fname) < 0) {
        return NULL;
    }
    if (epoch == WIN_EPOCH_ACCESS) {
        CMPI_NOGIL_CALL("win.Start", MPI_COMM_NULL,
                        ierr = MPI_Win_start(g, assertion, self->ob_mpi));
    }
    else {
        CMPI_NOGIL_CALL("win.Post", MPI_COMM_NULL,
                        ierr = MPI_Win_post(g, assertion, self->ob_mpi));
    }
    return win_sync_result(self, ierr, MPI_PROC_NULL);
}

CMPI_DOC(Win_Start_doc, "Start($self, group, assertion=0)",
         "Start an access epoch to the processes of `group`.");
static PyObject *
Win_Start(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    return win_group_epoch(self, args, nargs, kwnames, "Start",
                           WIN_EPOCH_ACCESS);
}

CMPI_DOC(Win_Post_doc, "Post($self, group, assertion=0)",
         "Start an exposure epoch to the processes of `group`.");
static PyObject *
Win_Post(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    return win_group_epoch(self, args, nargs, kwnames, "Post",
                           WIN_EPOCH_EXPOSURE);
}

CMPI_DOC(Win_Complete_doc, "Complete($self)",
         "End the access epoch started by Start().");
static PyObject *
Win_Complete(WinObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    WIN_CHECK(self);
    CMPI_NOGIL_CALL("win.Complete", MPI_COMM_NULL,
                    ierr = MPI_Win_complete(self->ob_mpi));
    return win_sync_result(self, ierr, WIN_ALL_RANKS);
}

CMPI_DOC(Win_Wait_doc, "Wait($self)",
         "End the exposure epoch started by Post(), once every origin "
         "has completed.");
static PyObject *
Win_Wait(WinObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    WIN_CHECK(self);
    CMPI_NOGIL_CALL("win.Wait", MPI_COMM_NULL,
                    ierr = MPI_Win_wait(self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_TRUE;
}

CMPI_DOC(Win_Test_doc, "Test($self)",
         "End the exposure epoch started by Post() if every origin has "
         "completed; return whether it did.");
static PyObject *
Win_Test(WinObject *self, PyObject *Py_UNUSED(a))
{
    int ierr, flag = 0;
    WIN_CHECK(self);
    CMPI_NOGIL(ierr = MPI_Win_test(self->ob_mpi, &flag));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyBool_FromLong(flag);
}

CMPI_DOC(Win_Lock_doc,
         "Lock($self, rank, lock_type=cmpi.MPI.LOCK_EXCLUSIVE, assertion=0)",
         "Start a passive-target access epoch to `rank`.");
static PyObject *
Win_Lock(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    static const char *const kw[] = {"rank", "lock_type", "assertion", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int rank, lock_type, assertion, ierr;
    WIN_CHECK(self);
    if (cmpi_parse("Lock", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &rank, "rank") < 0 ||
        cmpi_win_check_rank(self, rank, "rank") < 0 ||
        cmpi_opt_int(a[1], &lock_type, MPI_LOCK_EXCLUSIVE, "lock_type") < 0 ||
        win_assertion(a[2], &assertion) < 0) {
        return NULL;
    }
    if (lock_type != MPI_LOCK_EXCLUSIVE && lock_type != MPI_LOCK_SHARED) {
        return cmpi_raise_msg(self->st, MPI_ERR_LOCKTYPE,
                              "invalid lock_type=%d: expected LOCK_EXCLUSIVE "
                              "or LOCK_SHARED",
                              lock_type);
    }
    CMPI_NOGIL_CALL(
            "win.Lock", MPI_COMM_NULL,
            ierr = MPI_Win_lock(lock_type, rank, assertion, self->ob_mpi));
    return win_sync_result(self, ierr, MPI_PROC_NULL);
}

/* Unlock, Flush, Flush_local: one target rank. */
static PyObject *
win_rank_sync(WinObject *self, PyObject *arg, int (*fn)(int, MPI_Win),
              const char *name)
{
    int rank, ierr;
    WIN_CHECK(self);
    if (cmpi_as_int(arg, &rank, "rank") < 0 ||
        cmpi_win_check_rank(self, rank, "rank") < 0) {
        return NULL;
    }
    /* PROC_NULL is a target of RMA calls (a no-op), not of these: Open MPI
     * 4.1 crashes after a Flush(PROC_NULL) inside Lock_all */
    if (rank == MPI_PROC_NULL) {
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: %s(PROC_NULL), a process of "
                              "the window's group is needed",
                              name);
    }
    CMPI_NOGIL_CALL(name, MPI_COMM_NULL, ierr = fn(rank, self->ob_mpi));
    return win_sync_result(self, ierr, rank);
}

static PyObject *
win_all_sync(WinObject *self, int (*fn)(MPI_Win), const char *name)
{
    int ierr;
    WIN_CHECK(self);
    CMPI_NOGIL_CALL(name, MPI_COMM_NULL, ierr = fn(self->ob_mpi));
    return win_sync_result(self, ierr, WIN_ALL_RANKS);
}

CMPI_DOC(Win_Unlock_doc, "Unlock($self, rank)",
         "End the passive-target access epoch to `rank`.");
static PyObject *
Win_Unlock(WinObject *self, PyObject *arg)
{
    return win_rank_sync(self, arg, MPI_Win_unlock, "win.Unlock");
}

CMPI_ONE_ARG_KW(Win_Unlock, WinObject, "Unlock", "rank")

CMPI_DOC(Win_Lock_all_doc, "Lock_all($self, assertion=0)",
         "Start a shared passive-target access epoch to every process.");
static PyObject *
Win_Lock_all(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"assertion", NULL};
    PyObject *a[1] = {NULL};
    int assertion, ierr;
    WIN_CHECK(self);
    if (cmpi_parse("Lock_all", args, nargs, kwnames, kw, 0, a) < 0 ||
        win_assertion(a[0], &assertion) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("win.Lock_all", MPI_COMM_NULL,
                    ierr = MPI_Win_lock_all(assertion, self->ob_mpi));
    return win_sync_result(self, ierr, MPI_PROC_NULL);
}

CMPI_DOC(Win_Unlock_all_doc, "Unlock_all($self)",
         "End the access epoch started by Lock_all().");
static PyObject *
Win_Unlock_all(WinObject *self, PyObject *Py_UNUSED(a))
{
    return win_all_sync(self, MPI_Win_unlock_all, "win.Unlock_all");
}

CMPI_DOC(Win_Flush_doc, "Flush($self, rank)",
         "Complete every RMA call to `rank`, at origin and target.");
static PyObject *
Win_Flush(WinObject *self, PyObject *arg)
{
    return win_rank_sync(self, arg, MPI_Win_flush, "win.Flush");
}

CMPI_ONE_ARG_KW(Win_Flush, WinObject, "Flush", "rank")

CMPI_DOC(Win_Flush_all_doc, "Flush_all($self)",
         "Complete every RMA call, at origin and target.");
static PyObject *
Win_Flush_all(WinObject *self, PyObject *Py_UNUSED(a))
{
    return win_all_sync(self, MPI_Win_flush_all, "win.Flush_all");
}

CMPI_DOC(Win_Flush_local_doc, "Flush_local($self, rank)",
         "Complete every RMA call to `rank` at the origin.");
static PyObject *
Win_Flush_local(WinObject *self, PyObject *arg)
{
    return win_rank_sync(self, arg, MPI_Win_flush_local, "win.Flush_local");
}

CMPI_ONE_ARG_KW(Win_Flush_local, WinObject, "Flush_local", "rank")

CMPI_DOC(Win_Flush_local_all_doc, "Flush_local_all($self)",
         "Complete every RMA call at the origin.");
static PyObject *
Win_Flush_local_all(WinObject *self, PyObject *Py_UNUSED(a))
{
    return win_all_sync(self, MPI_Win_flush_local_all, "win.Flush_local_all");
}

CMPI_DOC(Win_Sync_doc, "Sync($self)",
         "Synchronize the public and private copies of the window.");
static PyObject *
Win_Sync(WinObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    WIN_CHECK(self);
    CMPI_NOGIL(ierr = MPI_Win_sync(self->ob_mpi));
    return win_sync_result(self, ierr, MPI_PROC_NULL);
}

/* ---------------------------------------------------------------------
 * Error handlers of windows and files (the Errhandler type is errors.c's;
 * file.c uses these helpers too).  An emulated ERRORS_ABORT (where MPI
 * lacks it) is a communicator handler and cannot be set on a window or a
 * file: each kind gets its own aborting handler.
 */
static MPI_Errhandler cmpi_win_abort_eh = MPI_ERRHANDLER_NULL;
static MPI_Errhandler cmpi_file_abort_eh = MPI_ERRHANDLER_NULL;

static void
win_abort_fn(MPI_Win *Py_UNUSED(win), int *code, ...)
{
    cmpi_abort_job(MPI_COMM_WORLD, *code);
}

static void
file_abort_fn(MPI_File *Py_UNUSED(file), int *code, ...)
{
    cmpi_abort_job(MPI_COMM_WORLD, *code);
}

/* What cmpi_handle_errhandler_arg's handler is installed on: a window
 * or (file.c) a file; an emulated handler differs for each. */
enum cmpi_errhandler_target {
    CMPI_ERRHANDLER_OF_WIN,
    CMPI_ERRHANDLER_OF_FILE
};

/* The handler to install for an Errhandler object on `target`. */
static int
cmpi_handle_errhandler_arg(cmpi_state *st, PyObject *obj,
                           enum cmpi_errhandler_target target,
                           MPI_Errhandler *eh)
{
    int file = target == CMPI_ERRHANDLER_OF_FILE;
    if (!PyObject_TypeCheck(obj, st->Errhandler_Type)) {
        PyErr_Format(PyExc_TypeError,
                     "errhandler must be an Errhandler, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (((ErrhandlerObject *)obj)->flags & CMPI_EMULATED) {
        MPI_Errhandler *p = file ? &cmpi_file_abort_eh : &cmpi_win_abort_eh;
        if (*p == MPI_ERRHANDLER_NULL) {
            int ierr = file ? MPI_File_create_errhandler(file_abort_fn, p)
                            : MPI_Win_create_errhandler(win_abort_fn, p);
            if (ierr != MPI_SUCCESS) {
                *p = MPI_ERRHANDLER_NULL;
                cmpi_raise(st, ierr);
                return -1;
            }
        }
        *eh = *p;
        return 0;
    }
    *eh = ((ErrhandlerObject *)obj)->ob_mpi;
    if (*eh == MPI_ERRHANDLER_NULL) {
        cmpi_raise_msg(st, MPI_ERR_ARG,
                       "invalid error handler: ERRHANDLER_NULL");
        return -1;
    }
    return 0;
}

static PyObject *
cmpi_handle_errhandler_result(cmpi_state *st, int ierr, MPI_Errhandler eh)
{
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    if (eh != MPI_ERRHANDLER_NULL &&
        (eh == cmpi_win_abort_eh || eh == cmpi_file_abort_eh)) {
        MPI_Errhandler_free(&eh);
        return cmpi_errhandler_new(st, MPI_ERRHANDLER_NULL, CMPI_EMULATED);
    }
    return cmpi_errhandler_new(st, eh, 0);
}

CMPI_DOC(Win_Get_errhandler_doc, "Get_errhandler($self)",
         "Get the error handler for a window.");
static PyObject *
Win_Get_errhandler(WinObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
    WIN_CHECK(self);
    int ierr = MPI_Win_get_errhandler(self->ob_mpi, &eh);
    return cmpi_handle_errhandler_result(self->st, ierr, eh);
}

CMPI_DOC(Win_Set_errhandler_doc, "Set_errhandler($self, errhandler)",
         "Set the error handler for a window.");
static PyObject *
Win_Set_errhandler(WinObject *self, PyObject *arg)
{
    MPI_Errhandler eh;
    WIN_CHECK(self);
    if (cmpi_handle_errhandler_arg(self->st, arg, CMPI_ERRHANDLER_OF_WIN,
                                   &eh) < 0) {
        return NULL;
    }
    int ierr = MPI_Win_set_errhandler(self->ob_mpi, eh);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Win_Set_errhandler, WinObject, "Set_errhandler", "errhandler")

CMPI_DOC(Win_Call_errhandler_doc, "Call_errhandler($self, errorcode)",
         "Call the error handler installed on a window.");
static PyObject *
Win_Call_errhandler(WinObject *self, PyObject *arg)
{
    int code, ierr;
    WIN_CHECK(self);
    if (cmpi_as_int(arg, &code, "errorcode") < 0) {
        return NULL;
    }
    CMPI_NOGIL(ierr = MPI_Win_call_errhandler(self->ob_mpi, code));
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(Win_Call_errhandler, WinObject, "Call_errhandler", "errorcode")

static PyObject *
Win_repr(WinObject *self)
{
    if (self->ob_mpi == MPI_WIN_NULL) {
        return PyUnicode_FromString("<MPI.Win: WIN_NULL>");
    }
    return PyUnicode_FromFormat("<MPI.Win object at %p>", (void *)self);
}

static PyMethodDef Win_methods[] = {
        {"Create", FN(Win_Create), CLSFASTKW, Win_Create_doc},
        {"Allocate", FN(Win_Allocate), CLSFASTKW, Win_Allocate_doc},
        {"Allocate_shared", FN(Win_Allocate_shared), CLSFASTKW,
         Win_Allocate_shared_doc},
        {"Create_dynamic", FN(Win_Create_dynamic), CLSFASTKW,
         Win_Create_dynamic_doc},
        {"Free", (PyCFunction)Win_Free, METH_NOARGS, Win_Free_doc},
        {"free", (PyCFunction)Win_free_method, METH_NOARGS, Win_free_doc},
        {"Attach", FN(Win_Attach_kw), FASTKW, Win_Attach_doc},
        {"Detach", FN(Win_Detach_kw), FASTKW, Win_Detach_doc},
        {"tomemory", (PyCFunction)Win_tomemory, METH_NOARGS, Win_tomemory_doc},
        {"Shared_query", FN(Win_Shared_query_kw), FASTKW,
         Win_Shared_query_doc},
        {"Get_attr", FN(Win_Get_attr_kw), FASTKW, Win_Get_attr_doc},
        {"Set_attr", FN(Win_Set_attr), FASTKW, Win_Set_attr_doc},
        {"Delete_attr", FN(Win_Delete_attr), FASTKW, Win_Delete_attr_doc},
        {"Create_keyval", FN(Win_Create_keyval), CLSFASTKW,
         Win_Create_keyval_doc},
        {"Free_keyval", FN(Win_Free_keyval), CLSFASTKW, Win_Free_keyval_doc},
        {"Get_group", (PyCFunction)Win_Get_group, METH_NOARGS,
         Win_Get_group_doc},
        {"Get_info", (PyCFunction)Win_Get_info, METH_NOARGS, Win_Get_info_doc},
        {"Set_info", FN(Win_Set_info_kw), FASTKW, Win_Set_info_doc},
        {"Get_name", (PyCFunction)Win_Get_name, METH_NOARGS, Win_Get_name_doc},
        {"Set_name", FN(Win_Set_name_kw), FASTKW, Win_Set_name_doc},
        {"Put", FN(Win_Put), FASTKW, Win_Put_doc},
        {"Get", FN(Win_Get), FASTKW, Win_Get_doc},
        {"Accumulate", FN(Win_Accumulate), FASTKW, Win_Accumulate_doc},
        {"Get_accumulate", FN(Win_Get_accumulate), FASTKW,
         Win_Get_accumulate_doc},
        {"Fetch_and_op", FN(Win_Fetch_and_op), FASTKW, Win_Fetch_and_op_doc},
        {"Compare_and_swap", FN(Win_Compare_and_swap), FASTKW,
         Win_Compare_and_swap_doc},
        {"Rput", FN(Win_Rput), FASTKW, Win_Rput_doc},
        {"Rget", FN(Win_Rget), FASTKW, Win_Rget_doc},
        {"Raccumulate", FN(Win_Raccumulate), FASTKW, Win_Raccumulate_doc},
        {"Rget_accumulate", FN(Win_Rget_accumulate), FASTKW,
         Win_Rget_accumulate_doc},
        {"Fence", FN(Win_Fence), FASTKW, Win_Fence_doc},
        {"Start", FN(Win_Start), FASTKW, Win_Start_doc},
        {"Complete", (PyCFunction)Win_Complete, METH_NOARGS, Win_Complete_doc},
        {"Post", FN(Win_Post), FASTKW, Win_Post_doc},
        {"Wait", (PyCFunction)Win_Wait, METH_NOARGS, Win_Wait_doc},
        {"Test", (PyCFunction)Win_Test, METH_NOARGS, Win_Test_doc},
        {"Lock", FN(Win_Lock), FASTKW, Win_Lock_doc},
        {"Unlock", FN(Win_Unlock_kw), FASTKW, Win_Unlock_doc},
        {"Lock_all", FN(Win_Lock_all), FASTKW, Win_Lock_all_doc},
        {"Unlock_all", (PyCFunction)Win_Unlock_all, METH_NOARGS,
         Win_Unlock_all_doc},
        {"Flush", FN(Win_Flush_kw), FASTKW, Win_Flush_doc},
        {"Flush_all", (PyCFunction)Win_Flush_all, METH_NOARGS,
         Win_Flush_all_doc},
        {"Flush_local", FN(Win_Flush_local_kw), FASTKW, Win_Flush_local_doc},
        {"Flush_local_all", (PyCFunction)Win_Flush_local_all, METH_NOARGS,
         Win_Flush_local_all_doc},
        {"Sync", (PyCFunction)Win_Sync, METH_NOARGS, Win_Sync_doc},
        {"Get_errhandler", (PyCFunction)Win_Get_errhandler, METH_NOARGS,
         Win_Get_errhandler_doc},
        {"Create_errhandler", FN(Win_Create_errhandler), CLSFASTKW,
         Win_Create_errhandler_doc},
        {"Set_errhandler", FN(Win_Set_errhandler_kw), FASTKW,
         Win_Set_errhandler_doc},
        {"Call_errhandler", FN(Win_Call_errhandler_kw), FASTKW,
         Win_Call_errhandler_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Win_getset[] = {
        {"attrs", (getter)Win_get_attrs, NULL,
         "(base address, size in bytes, displacement unit).", NULL},
        {"flavor", (getter)Win_get_flavor, NULL, "Create flavor.", NULL},
        {"model", (getter)Win_get_model, NULL, "Memory model.", NULL},
        {"group", (getter)Win_get_group, NULL, "Group.", NULL},
        {"group_size", (getter)Win_get_group_size, NULL,
         "Number of processes in group.", NULL},
        {"group_rank", (getter)Win_get_group_rank, NULL,
         "Rank of this process in group.", NULL},
        {"info", (getter)Win_get_info, (setter)Win_set_info, "Info hints.",
         NULL},
        {"name", (getter)Win_get_name, (setter)Win_set_name, "Print name.",
         NULL},
        {"handle", (getter)Win_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Win_doc,
             "Win(win=None)\n--\n\n"
             "Window: memory exposed to one-sided communication.");

static PyMemberDef Win_members[] = {
        CMPI_WEAKLIST_MEMBER(WinObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Win_slots[] = {
        {Py_tp_members, Win_members},
        {Py_tp_doc, (void *)Win_doc},
        {Py_tp_new, Win_new},
        {Py_tp_dealloc, Win_dealloc},
        {Py_tp_traverse, Win_traverse},
        {Py_tp_clear, Win_clear},
        {Py_tp_richcompare, Win_richcompare},
        {Py_tp_repr, Win_repr},
        {Py_nb_bool, Win_bool},
        {Py_tp_methods, Win_methods},
        {Py_tp_getset, Win_getset},
        {0, NULL},
};

static PyType_Spec Win_spec = {
        .name = "cmpi.MPI.Win",
        .basicsize = sizeof(WinObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
        .slots = Win_slots,
};

static int
cmpi_win_init(PyObject *m, cmpi_state *st)
{
    st->Win_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Win_spec, NULL);
    if (st->Win_Type == NULL || PyModule_AddType(m, st->Win_Type) < 0) {
        return -1;
    }
    if (cmpi_add(m, "WIN_NULL",
                 cmpi_win_alloc(st, st->Win_Type, MPI_WIN_NULL, CMPI_CONST)) <
        0) {
        return -1;
    }
    static const struct {
        const char *name;
        int value;
    } consts[] = {
            {"WIN_BASE", MPI_WIN_BASE},
            {"WIN_SIZE", MPI_WIN_SIZE},
            {"WIN_DISP_UNIT", MPI_WIN_DISP_UNIT},
            {"WIN_CREATE_FLAVOR", MPI_WIN_CREATE_FLAVOR},
            {"WIN_FLAVOR", MPI_WIN_CREATE_FLAVOR}, /* mpi4py's other name */
            {"WIN_MODEL", MPI_WIN_MODEL},
            {"WIN_FLAVOR_CREATE", MPI_WIN_FLAVOR_CREATE},
            {"WIN_FLAVOR_ALLOCATE", MPI_WIN_FLAVOR_ALLOCATE},
            {"WIN_FLAVOR_DYNAMIC", MPI_WIN_FLAVOR_DYNAMIC},
            {"WIN_FLAVOR_SHARED", MPI_WIN_FLAVOR_SHARED},
            {"WIN_SEPARATE", MPI_WIN_SEPARATE},
            {"WIN_UNIFIED", MPI_WIN_UNIFIED},
            {"LOCK_EXCLUSIVE", MPI_LOCK_EXCLUSIVE},
            {"LOCK_SHARED", MPI_LOCK_SHARED},
            {"MODE_NOCHECK", MPI_MODE_NOCHECK},
            {"MODE_NOSTORE", MPI_MODE_NOSTORE},
            {"MODE_NOPUT", MPI_MODE_NOPUT},
            {"MODE_NOPRECEDE", MPI_MODE_NOPRECEDE},
            {"MODE_NOSUCCEED", MPI_MODE_NOSUCCEED},
    };
    for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++) {
        if (PyModule_AddIntConstant(m, consts[i].name, consts[i].value) < 0) {
            return -1;
        }
    }
    return 0;
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef WIN_ALL_RANKS
#undef WIN_SIZE_MAX
#undef WIN_CHECK
