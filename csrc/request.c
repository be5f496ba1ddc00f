/*
 * request.c -- MPI.Request: a nonblocking operation in flight.
 *
 * A request owns everything the operation touches until it completes:
 * the exported buffer views of Isend/Irecv, the pickled bytes of isend.
 * They are released only on completion, so dropping the user's last
 * reference to an array while the operation runs cannot free its memory.
 *
 * A lowercase irecv() without a buffer is matched lazily: completing it
 * probes for the message (MPI_Mprobe/MPI_Improbe), allocates exactly its
 * size and receives it with MPI_Mrecv.  A message of any size therefore
 * arrives whole; there is no fixed-size receive buffer to overflow.
 */
#include "cmpi.h"

#include <sched.h>

static RequestObject *
cmpi_request_alloc(cmpi_state *st, PyTypeObject *type, int kind)
{
    RequestObject *r = PyObject_GC_New(RequestObject, type);
    if (r == NULL) {
        return NULL;
    }
    r->ob_mpi = MPI_REQUEST_NULL;
    r->flags = 0;
    r->kind = kind;
    r->pactive = 0;
    r->nviews = 0;
    r->nmem = 0;
    r->keep = NULL;
    r->rbuf = NULL;
    r->shadow = MPI_COMM_NULL;
    r->result = NULL;
    r->owner = NULL;
    r->copies.next = r->copies.prev = NULL;
    r->st = st;
    r->weakreflist = NULL; /* PyObject_GC_New does not zero it */
    r->prof_kept = 0;
    cmpi_status_clear(&r->status);
    PyObject_GC_Track(r);
    return r;
}

static RequestObject *
cmpi_request_new(cmpi_state *st, int kind)
{
    return cmpi_request_alloc(st, st->Request_Type, kind);
}

/* Drop what the operation held; called once it has completed. */
static void
cmpi_request_release(RequestObject *r)
{
    for (int i = 0; i < r->nviews; i++) {
        PyBuffer_Release(&r->views[i]);
    }
    r->nviews = 0;
    for (int i = 0; i < r->nmem; i++) {
        PyMem_Free(r->mem[i]);
    }
    r->nmem = 0;
    r->rbuf = NULL;
    Py_CLEAR(r->keep);
}

/* The operation may still be running and nobody will wait for it: let
 * MPI finish it on its own and keep what it touches alive for good. */
static void
request_abandon(RequestObject *r)
{
    r->nviews = 0;
    r->nmem = 0;
    r->keep = NULL;
}

/* The copies of a request whose handle went (cmpi_handle_freed): what
 * they held for the operation is released once it has completed, kept
 * for good if it may still run (Free of an active request). */
static void
request_forget_done(PyObject *copy)
{
    ((RequestObject *)copy)->pactive = 0;
    cmpi_request_release((RequestObject *)copy);
}

static void
request_forget_running(PyObject *copy)
{
    ((RequestObject *)copy)->pactive = 0;
    request_abandon((RequestObject *)copy);
}

/* A persistent request started or completed: its copies, which share the
 * handle, are active or inactive with it. */
static void
cmpi_request_share_pactive(RequestObject *r)
{
    for (PyObject *m = r->copies.next; m != NULL && m != (PyObject *)r;
         m = ((RequestObject *)m)->copies.next) {
        ((RequestObject *)m)->pactive = r->pactive;
    }
}

static PyObject *
Request_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"request", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Request", kwlist,
                                     &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    RequestObject *r = (RequestObject *)type->tp_alloc(type, 0);
    if (r == NULL) {
        return NULL;
    }
    r->ob_mpi = MPI_REQUEST_NULL;
    r->kind = CMPI_REQ_PLAIN;
    r->shadow = MPI_COMM_NULL;
    r->st = st;
    cmpi_status_clear(&r->status);
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Request_Type)) {
            Py_DECREF(r);
            PyErr_Format(PyExc_TypeError, "expected a Request, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        /* a persistent request is not a generalized one, nor the reverse;
         * and, as in mpi4py, neither is made from a plain request other
         * than REQUEST_NULL (Start or Complete would take it for one) */
        PyTypeObject *special =
                PyType_IsSubtype(type, st->Prequest_Type)   ? st->Prequest_Type
                : PyType_IsSubtype(type, st->Grequest_Type) ? st->Grequest_Type
                                                            : NULL;
        if ((PyType_IsSubtype(type, st->Prequest_Type) &&
             PyObject_TypeCheck(other, st->Grequest_Type)) ||
            (PyType_IsSubtype(type, st->Grequest_Type) &&
             PyObject_TypeCheck(other, st->Prequest_Type)) ||
            (special != NULL && !PyObject_TypeCheck(other, special) &&
             ((RequestObject *)other)->ob_mpi != MPI_REQUEST_NULL)) {
            Py_DECREF(r);
            PyErr_Format(PyExc_TypeError, "cannot make a %.100s from a %.100s",
                         type->tp_name, Py_TYPE(other)->tp_name);
            return NULL;
        }
        RequestObject *o = (RequestObject *)other;
        /* The copy shares the handle and the owner keeps it: dropping a
         * copy frees nothing, and the owner lives as long as its copies
         * (as in mpi4py, the original stays usable). */
        r->ob_mpi = o->ob_mpi;
        r->flags |= (o->flags & CMPI_PERSISTENT) | CMPI_REQ_NOT_OWNER;
        r->pactive = o->pactive;
        r->owner = Py_NewRef(o->owner ? o->owner : other);
        /* completing or freeing it through any of them nulls the others */
        cmpi_handle_link((PyObject *)r, other, CMPI_HK_REQUEST);
    }
    return (PyObject *)r;
}

static int
Request_traverse(RequestObject *r, visitproc visit, void *arg)
{
    /* Buffers held for an operation in flight are deliberately not
     * visited: they are owned by MPI until completion and must not be
     * collected as garbage, even inside a reference cycle. */
    Py_VISIT(r->result);
    Py_VISIT(r->owner);
    Py_VISIT(Py_TYPE(r));
    return 0;
}

static int
Request_clear(RequestObject *r)
{
    Py_CLEAR(r->result);
    Py_CLEAR(r->owner);
    return 0;
}

static int
cmpi_request_active(RequestObject *r)
{
    if (r->flags & CMPI_PERSISTENT) {
        return r->pactive;
    }
    return r->ob_mpi != MPI_REQUEST_NULL;
}

static void
Request_dealloc(RequestObject *r)
{
    PyTypeObject *tp = Py_TYPE(r);
    PyObject_GC_UnTrack(r);
    cmpi_clear_weakrefs((PyObject *)r, r->weakreflist);
    cmpi_handle_unlink((PyObject *)r, CMPI_HK_REQUEST);
    /* finalized: nothing to free.  A copy: the owner frees the request (a
     * copy that completed or freed it nulled the owner's handle,
     * cmpi_handle_freed).  A request done and not persistent: nothing to
     * free either, and MPI_Finalized not asked (60 instructions, twice an
     * isend/irecv pair). */
    int finalized = 1;
    if (!(r->flags & CMPI_REQ_NOT_OWNER) &&
        (r->ob_mpi != MPI_REQUEST_NULL || cmpi_request_active(r))) {
        MPI_Finalized(&finalized);
    }
    if ((r->flags & CMPI_PERSISTENT) && !cmpi_request_active(r) &&
        !finalized && r->ob_mpi != MPI_REQUEST_NULL) {
        MPI_Request_free(&r->ob_mpi);
    }
    if (cmpi_request_active(r) && !finalized && !(r->flags & CMPI_CONST)) {
        /* Still in flight and nobody can wait for it any more.  A
         * persistent request may be freed while active; any other is
         * handed to the detached operations (p2p_obj.c), which complete it
         * with the memory it uses (MPI_Request_free on an active send
         * crashes MPICH 4.0's UCX device later).  Its exported views stay
         * held for good. */
        if (r->ob_mpi != MPI_REQUEST_NULL) {
            if (r->flags & CMPI_PERSISTENT) {
                MPI_Request_free(&r->ob_mpi);
            }
            else {
                /* its memory (views, keep) stays held for good */
                cmpi_detached_add(r->ob_mpi, CMPI_ORPHAN);
            }
            r->ob_mpi = MPI_REQUEST_NULL;
        }
        request_abandon(r);
    }
    cmpi_request_release(r);
    Py_CLEAR(r->result);
    Py_CLEAR(r->owner);
    tp->tp_free(r);
    Py_DECREF(tp);
}

/* true as MPI sees it: an inactive persistent request is still a request */
CMPI_HANDLE_SLOTS(Request_richcompare, Request_bool, CMPI_HK_REQUEST)

/* ------------------------------------------------------------------ */
/* Completion.  After it, r->status holds the status and r->result the
 * received object (None for everything but lowercase receives). */

static int
status_error(RequestObject *r, int ierr, const MPI_Status *s)
{
    if (ierr == MPI_ERR_IN_STATUS && s != NULL) {
        ierr = s->MPI_ERROR;
    }
    cmpi_raise(r->st, ierr);
    return -1;
}

/* The lowercase receive's message has landed in r->rbuf: unpickle it
 * (receiving the pieces a large object's envelope announces). */
static int
objrecv_landed(RequestObject *r)
{
    int count = 0;
    cmpi_status_bytes(&r->status, &count);
    PyObject *obj = cmpi_obj_from_message(r->st, r->shadow, r->rbuf, count,
                                          &r->status);
    cmpi_request_release(r);
    if (obj == NULL) {
        return -1;
    }
    Py_XSETREF(r->result, obj);
    return 1;
}

/* The main MPI request of `r` completed with status `s`. */
static int
cmpi_request_after_mpi(RequestObject *r, const MPI_Status *s)
{
    r->status = *s;
    if (r->flags & CMPI_PERSISTENT) {
        /* inactive again; it keeps its buffers for the next Start() */
        r->pactive = 0;
        if (CMPI_UNLIKELY(r->copies.next != NULL)) {
            cmpi_request_share_pactive(r);
        }
        return 1;
    }
    if (CMPI_UNLIKELY(r->copies.next != NULL)) {
        /* MPI freed the handle: copies sharing it must not use it */
        cmpi_handle_freed((PyObject *)r, CMPI_HK_REQUEST, request_forget_done);
    }
    if (r->kind == CMPI_REQ_OBJ_RECV) {
        return objrecv_landed(r);
    }
    cmpi_request_release(r);
    return 1;
}

static int
cmpi_request_wait1(RequestObject *r)
{
    int ierr;
    MPI_Status s;
    if (!cmpi_request_active(r)) {
        if (CMPI_UNLIKELY(r->flags & CMPI_STALE)) {
            return cmpi_handle_stale_error((PyObject *)r, CMPI_HK_REQUEST);
        }
        return 0;
    }
    cmpi_status_clear(&s);
    cmpi_wait_t w = {.mode = CMPI_WAIT_ONE,
                     .n = 1,
                     .reqs = &r->ob_mpi,
                     .status = &s,
                     .on_interrupt = CMPI_INT_RETURN,
                     .comm = MPI_COMM_NULL,
                     .call = "Request.Wait"};
    ierr = cmpi_wait(&w);
    if (ierr == CMPI_WAIT_RAISED) {
        return -1;
    }
    if (ierr != MPI_SUCCESS) {
        return status_error(r, ierr, &s);
    }
    return cmpi_request_after_mpi(r, &s) < 0 ? -1 : 0;
}

/* Returns 1 when complete, 0 when not, -1 on error. */
static int
cmpi_request_test1(RequestObject *r)
{
    int ierr, flag = 0;
    MPI_Status s;
    if (!cmpi_request_active(r)) {
        if (CMPI_UNLIKELY(r->flags & CMPI_STALE)) {
            return cmpi_handle_stale_error((PyObject *)r, CMPI_HK_REQUEST);
        }
        return 1;
    }
    cmpi_status_clear(&s);
    ierr = cmpi_test1(&r->ob_mpi, &flag, &s);
    if (ierr != MPI_SUCCESS) {
        return status_error(r, ierr, &s);
    }
    if (!flag) {
        return 0;
    }
    return cmpi_request_after_mpi(r, &s) < 0 ? -1 : 1;
}

static PyObject *
cmpi_request_take_result(RequestObject *r)
{
    PyObject *obj = r->result ? r->result : Py_None;
    Py_INCREF(obj);
    Py_CLEAR(r->result);
    return obj;
}

/* ------------------------------------------------------------------ */
/* Methods on one request. */

CMPI_DOC(Request_Wait_doc, "Wait($self, status=None)",
         "Wait for a send or receive to complete.");
static PyObject *
Request_Wait(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"status", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("Wait", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_status_check(self->st, a[0]) < 0) {
        return NULL;
    }
    if (cmpi_request_wait1(self) < 0) {
        return NULL;
    }
    if (cmpi_status_store(self->st, a[0], &self->status) < 0) {
        return NULL;
    }
    Py_CLEAR(self->result);
    Py_RETURN_TRUE;
}

CMPI_DOC(Request_Test_doc, "Test($self, status=None)",
         "Test for the completion of a send or receive.");
static PyObject *
Request_Test(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"status", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("Test", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_status_check(self->st, a[0]) < 0) {
        return NULL;
    }
    int flag = cmpi_request_test1(self);
    if (flag < 0) {
        return NULL;
    }
    if (flag && cmpi_status_store(self->st, a[0], &self->status) < 0) {
        return NULL;
    }
    if (flag) {
        Py_CLEAR(self->result);
    }
    return PyBool_FromLong(flag);
}

CMPI_DOC(Request_Get_status_doc, "Get_status($self, status=None)",
         "Non-destructive test for the completion of a request.");
static PyObject *
Request_Get_status(RequestObject *self, PyObject *const *args,
                   Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"status", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("Get_status", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_status_check(self->st, a[0]) < 0) {
        return NULL;
    }
    int flag = 0, ierr;
    MPI_Status s;
    cmpi_status_clear(&s);
    if (self->ob_mpi == MPI_REQUEST_NULL) {
        if (self->flags & CMPI_STALE) {
            cmpi_handle_stale_error((PyObject *)self, CMPI_HK_REQUEST);
            return NULL;
        }
        flag = 1;
        s = self->status;
    }
    else {
        ierr = cmpi_get_status1(self->ob_mpi, &flag, &s);
        if (ierr != MPI_SUCCESS) {
            return cmpi_raise(self->st, ierr);
        }
    }
    if (flag && cmpi_status_store(self->st, a[0], &s) < 0) {
        return NULL;
    }
    return PyBool_FromLong(flag);
}

CMPI_DOC(Request_Cancel_doc, "Cancel($self)",
         "Cancel a communication request.");
static PyObject *
Request_Cancel(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if (self->flags & CMPI_STALE) {
        cmpi_handle_stale_error((PyObject *)self, CMPI_HK_REQUEST);
        return NULL;
    }
    if ((self->flags & CMPI_PERSISTENT) && !self->pactive) {
        Py_RETURN_NONE; /* nothing in flight to cancel */
    }
    if (self->ob_mpi != MPI_REQUEST_NULL &&
        !PyObject_TypeCheck(self, self->st->Grequest_Type)) {
        /* Open MPI 4.1 segfaults on a second MPI_Cancel of a receive (the
         * first completed it); cancelling a completed operation does
         * nothing, so cmpi does not ask.  A Grequest's cancel_fn is told
         * whether it completed, so it is always called. */
        int done = 0;
        int ierr = cmpi_get_status1(self->ob_mpi, &done, MPI_STATUS_IGNORE);
        if (ierr != MPI_SUCCESS) {
            return cmpi_raise(self->st, ierr);
        }
        if (done) {
            Py_RETURN_NONE;
        }
    }
    int ierr = MPI_Cancel(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

/* MPICH 4.0 keeps a freed receive still pending on a communicator of one
 * process in its queue but recycles the request: the next operation gets
 * it, and a later matching send writes into that operation's buffer long
 * after it completed (a use-after-free, and the message is lost; fuzz
 * seed 1408917591).  So Request.Free of an operation in flight keeps its
 * request here, not freed, until it completes.  Comm.Disconnect waits
 * for every request of its communicator that is not freed (MPI): before
 * it, those still pending are cancelled (a receive leaves the queue), or
 * freed if that does not complete them; before MPI_Finalize they are
 * freed (cmpi_request_free_kept).  Open MPI builds free at once. */
#if defined(MPICH_VERSION) || defined(MPI_ABI_VERSION)
static struct {
    MPI_Request *reqs;
    int n, cap;
} freed_inflight;

/* Forget the kept requests that have completed. */
static void
request_reap_freed(void)
{
    int j = 0;
    for (int i = 0; i < freed_inflight.n; i++) {
        int flag = 0;
        MPI_Test(&freed_inflight.reqs[i], &flag, MPI_STATUS_IGNORE);
        if (!flag) {
            freed_inflight.reqs[j++] = freed_inflight.reqs[i];
        }
    }
    freed_inflight.n = j;
}

/* 0 when `req` is kept, -1 when there is no room (then it is freed). */
static int
request_keep_freed(MPI_Request req)
{
    request_reap_freed();
    if (freed_inflight.n == freed_inflight.cap) {
        int cap = freed_inflight.cap ? 2 * freed_inflight.cap : 8;
        MPI_Request *reqs = PyMem_RawRealloc(freed_inflight.reqs,
                                             sizeof(*reqs) * (size_t)cap);
        if (reqs == NULL) {
            return -1;
        }
        freed_inflight.reqs = reqs;
        freed_inflight.cap = cap;
    }
    freed_inflight.reqs[freed_inflight.n++] = req;
    return 0;
}

static void
cmpi_request_free_kept(int cancel)
{
    for (int i = 0; i < freed_inflight.n; i++) {
        int flag = 0;
        MPI_Test(&freed_inflight.reqs[i], &flag, MPI_STATUS_IGNORE);
        if (!flag && cancel) {
            /* A receive cancels at once and leaves MPI's queue for good. */
            MPI_Cancel(&freed_inflight.reqs[i]);
            MPI_Test(&freed_inflight.reqs[i], &flag, MPI_STATUS_IGNORE);
        }
        if (!flag) {
            MPI_Request_free(&freed_inflight.reqs[i]);
        }
    }
    freed_inflight.n = 0;
}
#else
static void
cmpi_request_free_kept(int Py_UNUSED(cancel))
{
}
#endif

CMPI_DOC(Request_Free_doc, "Free($self)", "Free a communication request.");
static PyObject *
Request_Free(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if (self->ob_mpi == MPI_REQUEST_NULL) {
        if (self->flags & CMPI_STALE) {
            cmpi_handle_stale_error((PyObject *)self, CMPI_HK_REQUEST);
            return NULL;
        }
        return cmpi_raise_msg(self->st, MPI_ERR_REQUEST,
                              "cannot free REQUEST_NULL");
    }
    int active = cmpi_request_active(self);
#if defined(MPICH_VERSION) || defined(MPI_ABI_VERSION)
    if (active && !(self->flags & CMPI_PERSISTENT) &&
        !PyObject_TypeCheck(self, self->st->Grequest_Type) &&
        request_keep_freed(self->ob_mpi) == 0) {
        self->ob_mpi = MPI_REQUEST_NULL;
    }
#endif
    if (self->ob_mpi != MPI_REQUEST_NULL) {
        int ierr = MPI_Request_free(&self->ob_mpi);
        if (ierr != MPI_SUCCESS) {
            return cmpi_raise(self->st, ierr);
        }
    }
    self->pactive = 0;
    cmpi_handle_freed((PyObject *)self, CMPI_HK_REQUEST,
                      active ? request_forget_running : request_forget_done);
    if (!active) {
        cmpi_request_release(self);
        Py_RETURN_NONE;
    }
    /* The operation may still be running: its buffers stay held. */
    request_abandon(self);
    Py_RETURN_NONE;
}

CMPI_DOC(Request_wait_doc, "wait($self, status=None)",
         "Wait for a send or receive to complete; return the received "
         "object (None for sends).");
static PyObject *
Request_wait(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"status", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("wait", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_status_check(self->st, a[0]) < 0) {
        return NULL;
    }
    if (cmpi_request_wait1(self) < 0) {
        return NULL;
    }
    if (cmpi_status_store(self->st, a[0], &self->status) < 0) {
        return NULL;
    }
    return cmpi_request_take_result(self);
}

CMPI_DOC(Request_test_doc, "test($self, status=None)",
         "Test for the completion of a send or receive; return (flag, "
         "object).");
static PyObject *
Request_test(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"status", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("test", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_status_check(self->st, a[0]) < 0) {
        return NULL;
    }
    int flag = cmpi_request_test1(self);
    if (flag < 0) {
        return NULL;
    }
    if (!flag) {
        return Py_BuildValue("(OO)", Py_False, Py_None);
    }
    if (cmpi_status_store(self->st, a[0], &self->status) < 0) {
        return NULL;
    }
    PyObject *obj = cmpi_request_take_result(self);
    PyObject *res = Py_BuildValue("(ON)", Py_True, obj);
    return res;
}

CMPI_DOC(Request_cancel_doc, "cancel($self)",
         "Cancel a communication request.");

CMPI_DOC(Request_get_status_doc, "get_status($self, status=None)",
         "Non-destructive test for the completion of a request.");
CMPI_DOC(Request_get_status_any_doc, "get_status_any(requests, status=None)",
         "Non-destructive test for the completion of any request; return "
         "(index, flag).");
CMPI_DOC(Request_get_status_all_doc, "get_status_all(requests, statuses=None)",
         "Non-destructive test for the completion of all requests.");
CMPI_DOC(Request_get_status_some_doc,
         "get_status_some(requests, statuses=None)",
         "Non-destructive test for the completion of some requests.");

static PyObject *
Request_get_handle(RequestObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

static PyMethodDef Request_methods[] = {
        {"Wait", FN(Request_Wait), FASTKW, Request_Wait_doc},
        {"Test", FN(Request_Test), FASTKW, Request_Test_doc},
        {"Get_status", FN(Request_Get_status), FASTKW, Request_Get_status_doc},
        {"Cancel", (PyCFunction)Request_Cancel, METH_NOARGS,
         Request_Cancel_doc},
        {"cancel", (PyCFunction)Request_Cancel, METH_NOARGS,
         Request_cancel_doc},
        {"Free", (PyCFunction)Request_Free, METH_NOARGS, Request_Free_doc},
        {"wait", FN(Request_wait), FASTKW, Request_wait_doc},
        {"test", FN(Request_test), FASTKW, Request_test_doc},
        {"Waitall", FN(Request_Waitall), CLSFASTKW, Request_Waitall_doc},
        {"Testall", FN(Request_Testall), CLSFASTKW, Request_Testall_doc},
        {"Waitany", FN(Request_Waitany), CLSFASTKW, Request_Waitany_doc},
        {"Testany", FN(Request_Testany), CLSFASTKW, Request_Testany_doc},
        {"waitall", FN(Request_waitall_objs), CLSFASTKW, Request_waitall_doc},
        {"Waitsome", FN(Request_Waitsome), CLSFASTKW, Request_Waitsome_doc},
        {"Testsome", FN(Request_Testsome), CLSFASTKW, Request_Testsome_doc},
        {"waitsome", FN(Request_waitsome_objs), CLSFASTKW,
         Request_waitsome_doc},
        {"testsome", FN(Request_testsome_objs), CLSFASTKW,
         Request_testsome_doc},
        {"Get_status_any", FN(Request_Get_status_any), CLSFASTKW,
         Request_Get_status_any_doc},
        {"Get_status_all", FN(Request_Get_status_all), CLSFASTKW,
         Request_Get_status_all_doc},
        {"Get_status_some", FN(Request_Get_status_some), CLSFASTKW,
         Request_Get_status_some_doc},
        {"get_status_any", FN(Request_Get_status_any), CLSFASTKW,
         Request_get_status_any_doc},
        {"get_status_all", FN(Request_Get_status_all), CLSFASTKW,
         Request_get_status_all_doc},
        {"get_status_some", FN(Request_Get_status_some), CLSFASTKW,
         Request_get_status_some_doc},
        {"get_status", FN(Request_Get_status), FASTKW, Request_get_status_doc},
        {"testall", FN(Request_testall_objs), CLSFASTKW, Request_testall_doc},
        {"waitany", FN(Request_waitany_objs), CLSFASTKW, Request_waitany_doc},
        {"testany", FN(Request_testany_objs), CLSFASTKW, Request_testany_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Request_getset[] = {
        {"handle", (getter)Request_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Request_doc,
             "Request(request=None)\n--\n\nRequest handler: a nonblocking "
             "operation in flight.");

static PyMemberDef Request_members[] = {
        CMPI_WEAKLIST_MEMBER(RequestObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Request_slots[] = {
        {Py_tp_members, Request_members},
        {Py_tp_doc, (void *)Request_doc},
        {Py_tp_new, Request_new},
        {Py_tp_dealloc, Request_dealloc},
        {Py_tp_traverse, Request_traverse},
        {Py_tp_clear, Request_clear},
        {Py_tp_richcompare, Request_richcompare},
        {Py_nb_bool, Request_bool},
        {Py_tp_methods, Request_methods},
        {Py_tp_getset, Request_getset},
        {0, NULL},
};

static PyType_Spec Request_spec = {
        .name = "cmpi.MPI.Request",
        .basicsize = sizeof(RequestObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
        .slots = Request_slots,
};

static int
cmpi_request_init(PyObject *m, cmpi_state *st)
{
    st->Request_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Request_spec, NULL);
    if (st->Request_Type == NULL ||
        PyModule_AddType(m, st->Request_Type) < 0) {
        return -1;
    }
    RequestObject *null = cmpi_request_new(st, CMPI_REQ_PLAIN);
    if (null == NULL) {
        return -1;
    }
    null->flags = CMPI_CONST;
    st->REQUEST_NULL = (PyObject *)null;
    if (PyModule_AddObjectRef(m, "REQUEST_NULL", st->REQUEST_NULL) < 0) {
        return -1;
    }
    return 0;
}
