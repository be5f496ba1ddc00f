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
request_alloc(cmpi_state *st, PyTypeObject *type, int kind)
{
    RequestObject *r = PyObject_GC_New(RequestObject, type);
    if (r == NULL)
        return NULL;
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
    r->copied = MPI_REQUEST_NULL;
    r->st = st;
    cmpi_status_clear(&r->status);
    PyObject_GC_Track(r);
    return r;
}

static RequestObject *
cmpi_request_new(cmpi_state *st, int kind)
{
    return request_alloc(st, st->Request_Type, kind);
}

/* Drop what the operation held; called once it has completed. */
static void
cmpi_request_release(RequestObject *r)
{
    for (int i = 0; i < r->nviews; i++) PyBuffer_Release(&r->views[i]);
    r->nviews = 0;
    for (int i = 0; i < r->nmem; i++) PyMem_Free(r->mem[i]);
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

static PyObject *
Request_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"request", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Request", kwlist, &other))
        return NULL;
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL)
        return NULL;
    RequestObject *r = (RequestObject *)type->tp_alloc(type, 0);
    if (r == NULL)
        return NULL;
    r->ob_mpi = MPI_REQUEST_NULL;
    r->copied = MPI_REQUEST_NULL;
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
        /* a persistent request is not a generalized one, nor the reverse */
        if ((PyType_IsSubtype(type, st->Prequest_Type) &&
             PyObject_TypeCheck(other, st->Grequest_Type)) ||
            (PyType_IsSubtype(type, st->Grequest_Type) &&
             PyObject_TypeCheck(other, st->Prequest_Type))) {
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
        r->copied = o->ob_mpi;
        r->flags |= (o->flags & CMPI_PERSISTENT) | CMPI_REQ_NOT_OWNER;
        r->pactive = o->pactive;
        r->owner = Py_NewRef(o->owner ? o->owner : other);
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
    if (r->flags & CMPI_PERSISTENT)
        return r->pactive;
    return r->ob_mpi != MPI_REQUEST_NULL;
}

static void
Request_dealloc(RequestObject *r)
{
    PyTypeObject *tp = Py_TYPE(r);
    PyObject_GC_UnTrack(r);
    int finalized = 1;
    MPI_Finalized(&finalized);
    if (r->flags & CMPI_REQ_NOT_OWNER) {
        /* a copy: the owner frees the request, unless the copy completed
         * or freed it already (then the owner's handle is stale) */
        RequestObject *o = (RequestObject *)r->owner;
        if (o != NULL && r->ob_mpi == MPI_REQUEST_NULL &&
            r->copied != MPI_REQUEST_NULL && o->ob_mpi == r->copied &&
            (!(o->flags & CMPI_PERSISTENT) || !cmpi_request_active(r))) {
            if (!(o->flags & CMPI_PERSISTENT))
                o->ob_mpi = MPI_REQUEST_NULL;
        }
        finalized = 1;
    }
    if ((r->flags & CMPI_PERSISTENT) && !cmpi_request_active(r) &&
        !finalized && r->ob_mpi != MPI_REQUEST_NULL)
        MPI_Request_free(&r->ob_mpi);
    if (cmpi_request_active(r) && !finalized && !(r->flags & CMPI_CONST)) {
        /* Still in flight and nobody can wait for it any more.  A
         * persistent request may be freed while active; any other is
         * handed to the detached operations (p2p.c), which complete it
         * with the memory it uses (MPI_Request_free on an active send
         * crashes MPICH 4.0's UCX device later).  Its exported views stay
         * held for good. */
        if (r->ob_mpi != MPI_REQUEST_NULL) {
            if (r->flags & CMPI_PERSISTENT)
                MPI_Request_free(&r->ob_mpi);
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
    if (ierr == MPI_ERR_IN_STATUS && s != NULL)
        ierr = s->MPI_ERROR;
    cmpi_raise(r->st, ierr);
    return -1;
}

/* The lowercase receive's message has landed in r->rbuf: unpickle it
 * (receiving the pieces a large object's envelope announces). */
static int
objrecv_landed(RequestObject *r)
{
    int count = 0;
    MPI_Get_count(&r->status, MPI_BYTE, &count);
    PyObject *obj = cmpi_obj_from_message(r->st, r->shadow, r->rbuf, count,
                                          &r->status);
    cmpi_request_release(r);
    if (obj == NULL)
        return -1;
    Py_XSETREF(r->result, obj);
    return 1;
}

/* The main MPI request of `r` completed with status `s`. */
static int
request_after_mpi(RequestObject *r, const MPI_Status *s)
{
    r->status = *s;
    if (r->flags & CMPI_PERSISTENT) {
        /* inactive again; it keeps its buffers for the next Start() */
        r->pactive = 0;
        return 1;
    }
    if (r->kind == CMPI_REQ_OBJ_RECV)
        return objrecv_landed(r);
    cmpi_request_release(r);
    return 1;
}

static int
cmpi_request_wait1(RequestObject *r)
{
    int ierr;
    MPI_Status s;
    if (!cmpi_request_active(r))
        return 0;
    cmpi_status_clear(&s);
    cmpi_wait_t w = {.mode = CMPI_WAIT_ONE,
                     .n = 1,
                     .reqs = &r->ob_mpi,
                     .status = &s,
                     .on_interrupt = CMPI_INT_RETURN,
                     .comm = MPI_COMM_NULL,
                     .call = "Request.Wait"};
    ierr = cmpi_wait(&w);
    if (ierr == CMPI_WAIT_RAISED)
        return -1;
    if (ierr != MPI_SUCCESS)
        return status_error(r, ierr, &s);
    return request_after_mpi(r, &s) < 0 ? -1 : 0;
}

/* Returns 1 when complete, 0 when not, -1 on error. */
static int
cmpi_request_test1(RequestObject *r)
{
    int ierr, flag = 0;
    MPI_Status s;
    if (!cmpi_request_active(r))
        return 1;
    cmpi_status_clear(&s);
    ierr = cmpi_test1(&r->ob_mpi, &flag, &s);
    if (ierr != MPI_SUCCESS)
        return status_error(r, ierr, &s);
    if (!flag)
        return 0;
    return request_after_mpi(r, &s) < 0 ? -1 : 1;
}

static PyObject *
request_take_result(RequestObject *r)
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
        cmpi_status_check(self->st, a[0]) < 0)
        return NULL;
    if (cmpi_request_wait1(self) < 0)
        return NULL;
    if (cmpi_status_store(self->st, a[0], &self->status) < 0)
        return NULL;
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
        cmpi_status_check(self->st, a[0]) < 0)
        return NULL;
    int flag = cmpi_request_test1(self);
    if (flag < 0)
        return NULL;
    if (flag && cmpi_status_store(self->st, a[0], &self->status) < 0)
        return NULL;
    if (flag)
        Py_CLEAR(self->result);
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
        cmpi_status_check(self->st, a[0]) < 0)
        return NULL;
    int flag = 0, ierr;
    MPI_Status s;
    cmpi_status_clear(&s);
    if (self->ob_mpi == MPI_REQUEST_NULL) {
        flag = 1;
        s = self->status;
    }
    else {
        ierr = cmpi_get_status1(self->ob_mpi, &flag, &s);
        if (ierr != MPI_SUCCESS)
            return cmpi_raise(self->st, ierr);
    }
    if (flag && cmpi_status_store(self->st, a[0], &s) < 0)
        return NULL;
    return PyBool_FromLong(flag);
}

CMPI_DOC(Request_Cancel_doc, "Cancel($self)",
         "Cancel a communication request.");
static PyObject *
Request_Cancel(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if ((self->flags & CMPI_PERSISTENT) && !self->pactive)
        Py_RETURN_NONE; /* nothing in flight to cancel */
    int ierr = MPI_Cancel(&self->ob_mpi);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Request_Free_doc, "Free($self)", "Free a communication request.");
static PyObject *
Request_Free(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if (self->ob_mpi == MPI_REQUEST_NULL)
        return cmpi_raise_msg(self->st, MPI_ERR_REQUEST,
                              "cannot free REQUEST_NULL");
    int active = cmpi_request_active(self);
    int ierr = MPI_Request_free(&self->ob_mpi);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    self->pactive = 0;
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
        cmpi_status_check(self->st, a[0]) < 0)
        return NULL;
    if (cmpi_request_wait1(self) < 0)
        return NULL;
    if (cmpi_status_store(self->st, a[0], &self->status) < 0)
        return NULL;
    return request_take_result(self);
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
        cmpi_status_check(self->st, a[0]) < 0)
        return NULL;
    int flag = cmpi_request_test1(self);
    if (flag < 0)
        return NULL;
    if (!flag)
        return Py_BuildValue("(OO)", Py_False, Py_None);
    if (cmpi_status_store(self->st, a[0], &self->status) < 0)
        return NULL;
    PyObject *obj = request_take_result(self);
    PyObject *res = Py_BuildValue("(ON)", Py_True, obj);
    return res;
}

CMPI_DOC(Request_cancel_doc, "cancel($self)",
         "Cancel a communication request.");

/* ------------------------------------------------------------------ */
/* Operations on lists of requests. */

typedef struct {
    RequestObject **reqs;
    Py_ssize_t n;
    PyObject *seq;
} reqlist;

static int
reqlist_get(cmpi_state *st, PyObject *requests, reqlist *rl)
{
    rl->seq = PySequence_Fast(requests, "requests must be a sequence");
    if (rl->seq == NULL)
        return -1;
    rl->n = PySequence_Fast_GET_SIZE(rl->seq);
    rl->reqs = (RequestObject **)PySequence_Fast_ITEMS(rl->seq);
    for (Py_ssize_t i = 0; i < rl->n; i++) {
        if (!PyObject_TypeCheck(rl->reqs[i], st->Request_Type)) {
            PyErr_Format(PyExc_TypeError,
                         "requests[%zd] is a %.100s, not an MPI.Request", i,
                         Py_TYPE(rl->reqs[i])->tp_name);
            Py_CLEAR(rl->seq);
            return -1;
        }
    }
    return 0;
}

/* Lowercase receives may complete in two MPI steps (a large object's
 * envelope, then its payload): they are waited for by polling instead of
 * MPI_Waitany. */
static int
any_multistep(reqlist *rl)
{
    for (Py_ssize_t i = 0; i < rl->n; i++)
        if (rl->reqs[i]->kind == CMPI_REQ_OBJ_RECV)
            return 1;
    return 0;
}

/* Let other threads run and MPI progress between polling rounds, and let
 * Ctrl-C through. */
static int
poll_pause(void)
{
    Py_BEGIN_ALLOW_THREADS
    sched_yield();
    Py_END_ALLOW_THREADS
    return PyErr_CheckSignals();
}

static int
wait_all(cmpi_state *st, reqlist *rl)
{
    Py_ssize_t n = rl->n;
    MPI_Request stackreq[16];
    MPI_Status stackst[16];
    MPI_Request *hs = stackreq;
    MPI_Status *ss = stackst;
    if (n > 16) {
        hs = PyMem_New(MPI_Request, n);
        ss = PyMem_New(MPI_Status, n);
        if (hs == NULL || ss == NULL) {
            PyMem_Free(hs);
            PyMem_Free(ss);
            PyErr_NoMemory();
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        /* an inactive persistent request takes no part */
        hs[i] = cmpi_request_active(rl->reqs[i]) ? rl->reqs[i]->ob_mpi
                                                 : MPI_REQUEST_NULL;
        cmpi_status_clear(&ss[i]);
    }
    int ierr, rc = 0;
    /* MPI_Testall changes no handle until all are complete: an interrupted
     * wait leaves every request as it was. */
    cmpi_wait_t w = {.mode = CMPI_WAIT_ALL,
                     .n = (int)n,
                     .reqs = hs,
                     .status = ss,
                     .on_interrupt = CMPI_INT_RETURN,
                     .comm = MPI_COMM_NULL,
                     .call = "Request.Waitall",
                     .argfmt = "%d requests",
                     .arg0 = (int)n};
    ierr = cmpi_wait(&w);
    if (ierr == CMPI_WAIT_RAISED) {
        /* requests that completed before the interruption are done */
        PyObject *exc = PyErr_GetRaisedException_compat();
        for (Py_ssize_t i = 0; i < n; i++) {
            RequestObject *r = rl->reqs[i];
            int was_active = cmpi_request_active(r);
            if (!(r->flags & CMPI_PERSISTENT))
                r->ob_mpi = hs[i];
            if (was_active && hs[i] == MPI_REQUEST_NULL &&
                request_after_mpi(r, &ss[i]) < 0)
                PyErr_Clear(); /* the interruption is what is raised */
        }
        PyErr_SetRaisedException_compat(exc);
        if (n > 16) {
            PyMem_Free(hs);
            PyMem_Free(ss);
        }
        return -1;
    }
    if (ierr == MPI_ERR_IN_STATUS) {
        /* MPICH 4.0's MPI_Testall reports ERR_IN_STATUS for persistent
         * collectives whose statuses all say MPI_SUCCESS: only a status
         * with an error is one. */
        int failed = MPI_SUCCESS;
        for (Py_ssize_t i = 0; i < n; i++)
            if (ss[i].MPI_ERROR != MPI_SUCCESS &&
                ss[i].MPI_ERROR != MPI_ERR_PENDING) {
                failed = ss[i].MPI_ERROR;
                break;
            }
        ierr = failed;
        /* ... and may leave those requests active: complete them. */
        for (Py_ssize_t i = 0; ierr == MPI_SUCCESS && i < n; i++)
            if (hs[i] != MPI_REQUEST_NULL &&
                (rl->reqs[i]->flags & CMPI_PERSISTENT))
                CMPI_NOGIL(ierr = MPI_Wait(&hs[i], &ss[i]));
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        RequestObject *r = rl->reqs[i];
        int was_active = cmpi_request_active(r);
        if (!(r->flags & CMPI_PERSISTENT))
            r->ob_mpi = hs[i];
        if (ierr != MPI_SUCCESS || rc < 0)
            continue;
        /* A lowercase receive may go on to fetch a large payload. */
        if (was_active && request_after_mpi(r, &ss[i]) < 0)
            rc = -1;
        else if (cmpi_request_active(r) && cmpi_request_wait1(r) < 0)
            rc = -1;
    }
    if (n > 16) {
        PyMem_Free(hs);
        PyMem_Free(ss);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        return -1;
    }
    return rc;
}

/* MPI_Waitany by polling (wait.c); the handles of requests not completed
 * are left as they were when interrupted. */
static int
waitany_handles(int n, MPI_Request *hs, int *idx, MPI_Status *s)
{
    cmpi_wait_t w = {.mode = CMPI_WAIT_ANY,
                     .n = n,
                     .reqs = hs,
                     .status = s,
                     .index = idx,
                     .on_interrupt = CMPI_INT_RETURN,
                     .comm = MPI_COMM_NULL,
                     .call = "Request.Waitany",
                     .argfmt = "%d requests",
                     .arg0 = n};
    return cmpi_wait(&w);
}

/* Returns the index completed, MPI_UNDEFINED if none active, -2 on
 * error.  blocking=0: one round only, *flag says if one completed. */
static Py_ssize_t
wait_any(reqlist *rl, int blocking, int *flag)
{
    for (;;) {
        int active = 0;
        for (Py_ssize_t i = 0; i < rl->n; i++) {
            RequestObject *r = rl->reqs[i];
            if (!cmpi_request_active(r))
                continue;
            active = 1;
            int f = cmpi_request_test1(r);
            if (f < 0)
                return -2;
            if (f) {
                *flag = 1;
                return i;
            }
        }
        if (!active) {
            *flag = 1;
            return MPI_UNDEFINED;
        }
        if (!blocking) {
            *flag = 0;
            return MPI_UNDEFINED;
        }
        if (!any_multistep(rl) && rl->n <= 64) {
            MPI_Request hs[64];
            MPI_Status s;
            cmpi_status_clear(&s);
            int idx, ierr;
            for (Py_ssize_t i = 0; i < rl->n; i++) hs[i] = rl->reqs[i]->ob_mpi;
            ierr = waitany_handles((int)rl->n, hs, &idx, &s);
            if (ierr != MPI_SUCCESS) {
                cmpi_raise(rl->reqs[0]->st, ierr);
                return -2;
            }
            if (idx != MPI_UNDEFINED) {
                RequestObject *r = rl->reqs[idx];
                if (!(r->flags & CMPI_PERSISTENT))
                    r->ob_mpi = hs[idx];
                if (request_after_mpi(r, &s) < 0)
                    return -2;
                *flag = 1;
                return idx;
            }
            continue;
        }
        if (poll_pause() < 0)
            return -2;
    }
}

/* Store status `s` of request `i` into `statuses`: a list gets its item
 * `i` updated or a new Status appended; another sequence (a tuple of
 * Status objects) has its item `i` updated when it has one. */
static int
store_status_at(cmpi_state *st, PyObject *statuses, Py_ssize_t i,
                const MPI_Status *s)
{
    if (PyList_Check(statuses)) {
        if (i < PyList_GET_SIZE(statuses))
            return cmpi_status_store(st, PyList_GET_ITEM(statuses, i), s);
        PyObject *o = PyObject_CallNoArgs((PyObject *)st->Status_Type);
        if (o == NULL)
            return -1;
        ((StatusObject *)o)->ob_mpi = *s;
        int rc = PyList_Append(statuses, o);
        Py_DECREF(o);
        return rc;
    }
    Py_ssize_t n = PySequence_Size(statuses);
    if (n < 0)
        return -1;
    if (i >= n)
        return 0;
    PyObject *o = PySequence_GetItem(statuses, i);
    if (o == NULL)
        return -1;
    int rc = cmpi_status_store(st, o, s);
    Py_DECREF(o);
    return rc;
}

static int
check_statuses(PyObject *statuses)
{
    if (statuses == NULL || statuses == Py_None || PyList_Check(statuses) ||
        PySequence_Check(statuses))
        return 0;
    PyErr_Format(PyExc_TypeError,
                 "statuses must be a list or a sequence of Status, not %.100s",
                 Py_TYPE(statuses)->tp_name);
    return -1;
}

static int
store_statuses(cmpi_state *st, PyObject *statuses, reqlist *rl)
{
    if (statuses == NULL || statuses == Py_None)
        return 0;
    if (check_statuses(statuses) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < rl->n; i++)
        if (store_status_at(st, statuses, i, &rl->reqs[i]->status) < 0)
            return -1;
    return 0;
}

static PyObject *
results_list(reqlist *rl)
{
    PyObject *list = PyList_New(rl->n);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < rl->n; i++)
        PyList_SET_ITEM(list, i, request_take_result(rl->reqs[i]));
    return list;
}

static PyObject *
waitall_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, int objects)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (cmpi_parse(objects ? "waitall" : "Waitall", args, nargs, kwnames, kw,
                   1, a) < 0)
        return NULL;
    reqlist rl;
    if (reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    PyObject *res = NULL;
    if (wait_all(st, &rl) < 0 || store_statuses(st, a[1], &rl) < 0)
        goto done;
    if (objects) {
        res = results_list(&rl);
    }
    else {
        for (Py_ssize_t i = 0; i < rl.n; i++) Py_CLEAR(rl.reqs[i]->result);
        res = Py_NewRef(Py_True);
    }
done:
    Py_DECREF(rl.seq);
    return res;
}

static PyObject *
testall_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, int objects)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (cmpi_parse(objects ? "testall" : "Testall", args, nargs, kwnames, kw,
                   1, a) < 0)
        return NULL;
    reqlist rl;
    if (reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    PyObject *res = NULL;
    int all = 1;
    /* As MPI_Testall: unless every request has completed, none is
     * completed (freed) here, so a Testany after it still finds them. */
    for (Py_ssize_t i = 0; i < rl.n && all; i++) {
        RequestObject *r = rl.reqs[i];
        if (!cmpi_request_active(r) || r->ob_mpi == MPI_REQUEST_NULL)
            continue;
        int f = 0, ierr = cmpi_get_status1(r->ob_mpi, &f, MPI_STATUS_IGNORE);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(st, ierr);
            goto done;
        }
        if (!f)
            all = 0;
    }
    if (all) {
        for (Py_ssize_t i = 0; i < rl.n; i++)
            if (cmpi_request_wait1(rl.reqs[i]) < 0)
                goto done;
        if (store_statuses(st, a[1], &rl) < 0)
            goto done;
    }
    if (objects) {
        if (!all) {
            res = Py_BuildValue("(OO)", Py_False, Py_None);
        }
        else {
            PyObject *list = results_list(&rl);
            res = list ? Py_BuildValue("(ON)", Py_True, list) : NULL;
        }
    }
    else {
        if (all)
            for (Py_ssize_t i = 0; i < rl.n; i++) Py_CLEAR(rl.reqs[i]->result);
        res = PyBool_FromLong(all);
    }
done:
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Waitall_doc, "Waitall(requests, statuses=None)",
         "Wait for all previously initiated requests to complete.");
static PyObject *
Request_Waitall(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return waitall_impl(cls, args, nargs, kwnames, 0);
}

CMPI_DOC(Request_waitall_doc, "waitall(requests, statuses=None)",
         "Wait for all previously initiated requests to complete; return "
         "the list of received objects.");
static PyObject *
Request_waitall_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return waitall_impl(cls, args, nargs, kwnames, 1);
}

CMPI_DOC(Request_Testall_doc, "Testall(requests, statuses=None)",
         "Test for completion of all previously initiated requests.");
static PyObject *
Request_Testall(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return testall_impl(cls, args, nargs, kwnames, 0);
}

CMPI_DOC(Request_testall_doc, "testall(requests, statuses=None)",
         "Test for completion of all previously initiated requests; return "
         "(flag, objects).");
static PyObject *
Request_testall_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return testall_impl(cls, args, nargs, kwnames, 1);
}

static PyObject *
waitany_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, int blocking, int objects)
{
    static const char *const kw[] = {"requests", "status", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    const char *name = blocking ? (objects ? "waitany" : "Waitany")
                                : (objects ? "testany" : "Testany");
    if (cmpi_parse(name, args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_status_check(st, a[1]) < 0)
        return NULL;
    reqlist rl;
    if (reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    PyObject *res = NULL;
    int flag = 0;
    Py_ssize_t idx = wait_any(&rl, blocking, &flag);
    if (idx == -2)
        goto done;
    PyObject *obj = Py_None;
    if (idx != MPI_UNDEFINED) {
        RequestObject *r = rl.reqs[idx];
        if (cmpi_status_store(st, a[1], &r->status) < 0)
            goto done;
        obj = request_take_result(r);
    }
    else {
        Py_INCREF(obj);
        if (flag && a[1] != NULL && a[1] != Py_None) {
            MPI_Status empty;
            cmpi_status_clear(&empty);
            if (cmpi_status_store(st, a[1], &empty) < 0) {
                Py_DECREF(obj);
                goto done;
            }
        }
    }
    if (blocking && !objects) {
        Py_DECREF(obj);
        res = PyLong_FromSsize_t(idx);
    }
    else if (blocking) {
        res = Py_BuildValue("(nN)", idx, obj);
    }
    else if (!objects) {
        Py_DECREF(obj);
        res = Py_BuildValue("(nO)", idx, flag ? Py_True : Py_False);
    }
    else {
        res = Py_BuildValue("(nON)", idx, flag ? Py_True : Py_False, obj);
    }
done:
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Waitany_doc, "Waitany(requests, status=None)",
         "Wait for any previously initiated request to complete; return "
         "its index.");
static PyObject *
Request_Waitany(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, 1, 0);
}

CMPI_DOC(Request_Testany_doc, "Testany(requests, status=None)",
         "Test for completion of any previously initiated request; return "
         "(index, flag).");
static PyObject *
Request_Testany(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, 0, 0);
}

CMPI_DOC(Request_waitany_doc, "waitany(requests, status=None)",
         "Wait for any previously initiated request to complete; return "
         "(index, object).");
static PyObject *
Request_waitany_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, 1, 1);
}

CMPI_DOC(Request_testany_doc, "testany(requests, status=None)",
         "Test for completion of any previously initiated request; return "
         "(index, flag, object).");
static PyObject *
Request_testany_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, 0, 1);
}

/* Waitsome/Testsome: the indices of the requests that completed (at
 * least one when blocking), or None when none was active. */
static PyObject *
some_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, int blocking, int objects)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    static const char *const names[2][2] = {{"Testsome", "testsome"},
                                            {"Waitsome", "waitsome"}};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL || cmpi_parse(names[blocking][objects], args, nargs,
                                 kwnames, kw, 1, a) < 0)
        return NULL;
    if (check_statuses(a[1]) < 0)
        return NULL;
    reqlist rl;
    if (reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    PyObject *indices = NULL, *objs = NULL, *res = NULL;
    for (;;) {
        int active = 0;
        indices = PyList_New(0);
        if (indices == NULL)
            goto done;
        for (Py_ssize_t i = 0; i < rl.n; i++) {
            RequestObject *r = rl.reqs[i];
            if (!cmpi_request_active(r))
                continue;
            active = 1;
            int f = cmpi_request_test1(r);
            if (f < 0)
                goto done;
            if (f) {
                PyObject *idx = PyLong_FromSsize_t(i);
                if (idx == NULL || PyList_Append(indices, idx) < 0) {
                    Py_XDECREF(idx);
                    goto done;
                }
                Py_DECREF(idx);
            }
        }
        if (!active) {
            Py_SETREF(indices, Py_NewRef(Py_None));
            break;
        }
        if (PyList_GET_SIZE(indices) > 0 || !blocking)
            break;
        Py_CLEAR(indices);
        /* Block until one completes, then collect it and any other that
         * completed meanwhile. */
        if (any_multistep(&rl) || rl.n > 64) {
            if (poll_pause() < 0)
                goto done;
            continue;
        }
        MPI_Request hs[64];
        int idx, ierr;
        for (Py_ssize_t i = 0; i < rl.n; i++)
            hs[i] = cmpi_request_active(rl.reqs[i]) ? rl.reqs[i]->ob_mpi
                                                    : MPI_REQUEST_NULL;
        MPI_Status s;
        cmpi_status_clear(&s);
        ierr = waitany_handles((int)rl.n, hs, &idx, &s);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(st, ierr);
            goto done;
        }
        if (idx != MPI_UNDEFINED) {
            RequestObject *r = rl.reqs[idx];
            if (!(r->flags & CMPI_PERSISTENT))
                r->ob_mpi = hs[idx];
            if (request_after_mpi(r, &s) < 0)
                goto done;
            indices = PyList_New(0);
            PyObject *o = PyLong_FromLong(idx);
            if (indices == NULL || o == NULL ||
                PyList_Append(indices, o) < 0) {
                Py_XDECREF(o);
                goto done;
            }
            Py_DECREF(o);
            /* collect any others that are done too */
            for (Py_ssize_t i = 0; i < rl.n; i++) {
                if (i == idx || !cmpi_request_active(rl.reqs[i]))
                    continue;
                int f = cmpi_request_test1(rl.reqs[i]);
                if (f < 0)
                    goto done;
                if (f) {
                    PyObject *io = PyLong_FromSsize_t(i);
                    if (io == NULL || PyList_Append(indices, io) < 0) {
                        Py_XDECREF(io);
                        goto done;
                    }
                    Py_DECREF(io);
                }
            }
            break;
        }
    }
    if (indices != Py_None && a[1] != NULL && a[1] != Py_None) {
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(indices); k++) {
            Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(indices, k));
            if (store_status_at(st, a[1], k, &rl.reqs[i]->status) < 0)
                goto done;
        }
    }
    if (!objects) {
        if (indices != Py_None)
            for (Py_ssize_t k = 0; k < PyList_GET_SIZE(indices); k++) {
                Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(indices, k));
                Py_CLEAR(rl.reqs[i]->result);
            }
        res = Py_NewRef(indices);
        goto done;
    }
    if (indices == Py_None) {
        res = Py_BuildValue("(OO)", Py_None, Py_None);
        goto done;
    }
    objs = PyList_New(PyList_GET_SIZE(indices));
    if (objs == NULL)
        goto done;
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(indices); k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(indices, k));
        PyList_SET_ITEM(objs, k, request_take_result(rl.reqs[i]));
    }
    res = Py_BuildValue("(OO)", indices, objs);
done:
    Py_XDECREF(indices);
    Py_XDECREF(objs);
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Waitsome_doc, "Waitsome(requests, statuses=None)",
         "Wait for some previously initiated requests to complete; return "
         "their indices (None if none was active).");
static PyObject *
Request_Waitsome(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, 1, 0);
}

CMPI_DOC(Request_Testsome_doc, "Testsome(requests, statuses=None)",
         "Test for completion of some previously initiated requests; "
         "return the indices of those that completed.");
static PyObject *
Request_Testsome(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, 0, 0);
}

CMPI_DOC(Request_waitsome_doc, "waitsome(requests, statuses=None)",
         "Wait for some previously initiated requests to complete; return "
         "(indices, objects).");
static PyObject *
Request_waitsome_objs(PyTypeObject *cls, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, 1, 1);
}

CMPI_DOC(Request_testsome_doc, "testsome(requests, statuses=None)",
         "Test for completion of some previously initiated requests; "
         "return (indices, objects).");
static PyObject *
Request_testsome_objs(PyTypeObject *cls, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, 0, 1);
}

/* Non-destructive status queries over lists (MPI-4.1 names), made of
 * MPI_Request_get_status, which every MPI has. */
static int
peek_status(RequestObject *r, int *flag, MPI_Status *s)
{
    cmpi_status_clear(s);
    if (!cmpi_request_active(r)) {
        *flag = 1;
        *s = r->status;
        return 0;
    }
    int ierr = cmpi_get_status1(r->ob_mpi, flag, s);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(r->st, ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Request_Get_status_any_doc, "Get_status_any(requests, status=None)",
         "Non-destructive test for the completion of any request; return "
         "(index, flag).");
static PyObject *
Request_Get_status_any(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"requests", "status", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    reqlist rl;
    if (st == NULL ||
        cmpi_parse("Get_status_any", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_status_check(st, a[1]) < 0 || reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    PyObject *res = NULL;
    int any_active = 0;
    for (Py_ssize_t i = 0; i < rl.n; i++) {
        int flag;
        MPI_Status s;
        if (!cmpi_request_active(rl.reqs[i]))
            continue;
        any_active = 1;
        if (peek_status(rl.reqs[i], &flag, &s) < 0)
            goto done;
        if (flag) {
            if (cmpi_status_store(st, a[1], &s) < 0)
                goto done;
            res = Py_BuildValue("(nO)", i, Py_True);
            goto done;
        }
    }
    if (!any_active) {
        MPI_Status s;
        cmpi_status_clear(&s);
        if (cmpi_status_store(st, a[1], &s) < 0)
            goto done;
    }
    res = Py_BuildValue("(iO)", MPI_UNDEFINED,
                        any_active ? Py_False : Py_True);
done:
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Get_status_all_doc, "Get_status_all(requests, statuses=None)",
         "Non-destructive test for the completion of all requests.");
static PyObject *
Request_Get_status_all(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    reqlist rl;
    if (st == NULL ||
        cmpi_parse("Get_status_all", args, nargs, kwnames, kw, 1, a) < 0 ||
        reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    int all = 1;
    PyObject *statuses = a[1] == Py_None ? NULL : a[1];
    if (check_statuses(statuses) < 0) {
        Py_DECREF(rl.seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < rl.n && all; i++) {
        int flag;
        MPI_Status s;
        if (peek_status(rl.reqs[i], &flag, &s) < 0) {
            Py_DECREF(rl.seq);
            return NULL;
        }
        all = flag;
    }
    /* once all have completed, their statuses (the requests stay) */
    for (Py_ssize_t i = 0; all && statuses && i < rl.n; i++) {
        int flag;
        MPI_Status s;
        if (peek_status(rl.reqs[i], &flag, &s) < 0 ||
            store_status_at(st, statuses, i, &s) < 0) {
            Py_DECREF(rl.seq);
            return NULL;
        }
    }
    Py_DECREF(rl.seq);
    return PyBool_FromLong(all);
}

CMPI_DOC(Request_Get_status_some_doc,
         "Get_status_some(requests, statuses=None)",
         "Non-destructive test for the completion of some requests; return "
         "the indices of the complete ones (None if none was active).");
static PyObject *
Request_Get_status_some(PyTypeObject *cls, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    reqlist rl;
    if (st == NULL ||
        cmpi_parse("Get_status_some", args, nargs, kwnames, kw, 1, a) < 0 ||
        reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    PyObject *indices = PyList_New(0);
    int any_active = 0;
    for (Py_ssize_t i = 0; indices && i < rl.n; i++) {
        int flag;
        MPI_Status s;
        if (!cmpi_request_active(rl.reqs[i]))
            continue;
        any_active = 1;
        if (peek_status(rl.reqs[i], &flag, &s) < 0) {
            Py_CLEAR(indices);
            break;
        }
        if (flag) {
            PyObject *o = PyLong_FromSsize_t(i);
            if (o == NULL || PyList_Append(indices, o) < 0)
                Py_CLEAR(indices);
            Py_XDECREF(o);
        }
    }
    Py_DECREF(rl.seq);
    if (indices != NULL && !any_active)
        Py_SETREF(indices, Py_NewRef(Py_None));
    return indices;
}

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

static PyType_Slot Request_slots[] = {
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

/* ------------------------------------------------------------------ */
/* Persistent requests */

static RequestObject *
cmpi_prequest_new(cmpi_state *st)
{
    RequestObject *r = request_alloc(st, st->Prequest_Type, CMPI_REQ_PLAIN);
    if (r == NULL)
        return NULL;
    r->flags |= CMPI_PERSISTENT;
    return r;
}

static int
prequest_start_check(RequestObject *r)
{
    if (!(r->flags & CMPI_PERSISTENT) || r->ob_mpi == MPI_REQUEST_NULL) {
        cmpi_raise_msg(r->st, MPI_ERR_REQUEST,
                       "Start: not a persistent request, or freed");
        return -1;
    }
    if (r->pactive) {
        cmpi_raise_msg(r->st, MPI_ERR_REQUEST,
                       "Start: the persistent request is already active; "
                       "wait for it first");
        return -1;
    }
    return 0;
}

CMPI_DOC(Prequest_Start_doc, "Start($self)",
         "Initiate a communication with a persistent request.");
static PyObject *
Prequest_Start(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if (prequest_start_check(self) < 0)
        return NULL;
    int ierr = MPI_Start(&self->ob_mpi);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    self->pactive = 1;
    Py_RETURN_NONE;
}

CMPI_DOC(Prequest_Startall_doc, "Startall(requests)",
         "Start a collection of persistent requests.");
static PyObject *
Prequest_Startall(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"requests", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Startall", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    reqlist rl;
    if (reqlist_get(st, a[0], &rl) < 0)
        return NULL;
    /* Check them all first, so either all start or none does. */
    for (Py_ssize_t i = 0; i < rl.n; i++) {
        if (prequest_start_check(rl.reqs[i]) < 0) {
            Py_DECREF(rl.seq);
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < rl.n; i++) {
        int ierr = MPI_Start(&rl.reqs[i]->ob_mpi);
        if (ierr != MPI_SUCCESS) {
            Py_DECREF(rl.seq);
            return cmpi_raise(st, ierr);
        }
        rl.reqs[i]->pactive = 1;
    }
    Py_DECREF(rl.seq);
    Py_RETURN_NONE;
}

static PyMethodDef Prequest_methods[] = {
        {"Start", (PyCFunction)Prequest_Start, METH_NOARGS,
         Prequest_Start_doc},
        {"Startall", FN(Prequest_Startall), CLSFASTKW, Prequest_Startall_doc},
        {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Prequest_doc,
             "Prequest(request=None)\n--\n\nPersistent request handler.");

static PyType_Slot Prequest_slots[] = {
        {Py_tp_doc, (void *)Prequest_doc},
        {Py_tp_methods, Prequest_methods},
        {0, NULL},
};

static PyType_Spec Prequest_spec = {
        .name = "cmpi.MPI.Prequest",
        .basicsize = sizeof(RequestObject),
        /* GC, traverse and clear are inherited from Request */
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Prequest_slots,
};

/* ------------------------------------------------------------------ */
/* MPI.Grequest: generalized requests.  Start() registers C callbacks
 * with MPI_Grequest_start; each calls the Python function given for it
 * (with the GIL: MPI may call them from a wait that released it).  An
 * exception in a callback is printed and becomes the callback's error
 * code: an MPI.Exception's error class, else MPI_ERR_OTHER. */

typedef struct {
    PyObject *query, *free, *cancel, *args, *kwargs;
    cmpi_state *st;
} greq_ctx;

/* Python is gone (MPI frees a request at exit): no callback can run. */
static int
greq_no_python(void)
{
    return !Py_IsInitialized() || cmpi_python_finalizing();
}

static int
greq_error(cmpi_state *st)
{
    int code = MPI_ERR_OTHER;
    PyObject *exc = PyErr_GetRaisedException_compat();
    if (exc == NULL)
        return code;
    if (PyObject_TypeCheck(exc, st->Exception_Type)) {
        long v = PyLong_AsLong(exc);
        if (v == -1 && PyErr_Occurred())
            PyErr_Clear();
        else if (v != MPI_SUCCESS)
            code = (int)v;
    }
    PyErr_DisplayException_compat(exc);
    Py_DECREF(exc);
    return code;
}

static int
greq_call(greq_ctx *c, PyObject *fn, PyObject *first)
{
    if (fn == NULL || fn == Py_None)
        return MPI_SUCCESS;
    PyObject *args = c->args ? c->args : NULL;
    Py_ssize_t n = args ? PyTuple_GET_SIZE(args) : 0;
    PyObject *full = PyTuple_New(n + (first ? 1 : 0));
    if (full == NULL)
        return greq_error(c->st);
    Py_ssize_t k = 0;
    if (first)
        PyTuple_SET_ITEM(full, k++, Py_NewRef(first));
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(full, k++, Py_NewRef(PyTuple_GET_ITEM(args, i)));
    PyObject *r = PyObject_Call(fn, full, c->kwargs);
    Py_DECREF(full);
    if (r == NULL)
        return greq_error(c->st);
    Py_DECREF(r);
    return MPI_SUCCESS;
}

static int
greq_query_fn(void *extra, MPI_Status *status)
{
    greq_ctx *c = extra;
    if (greq_no_python())
        return MPI_SUCCESS;
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = MPI_SUCCESS;
    MPI_Status_set_elements(status, MPI_BYTE, 0);
    MPI_Status_set_cancelled(status, 0);
    status->MPI_SOURCE = MPI_ANY_SOURCE;
    status->MPI_TAG = MPI_ANY_TAG;
    status->MPI_ERROR = MPI_SUCCESS;
    if (c->query != NULL && c->query != Py_None) {
        StatusObject *so = (StatusObject *)PyObject_CallNoArgs(
                (PyObject *)c->st->Status_Type);
        if (so == NULL) {
            ierr = greq_error(c->st);
        }
        else {
            so->ob_mpi = *status;
            ierr = greq_call(c, c->query, (PyObject *)so);
            if (ierr == MPI_SUCCESS)
                *status = so->ob_mpi;
            Py_DECREF(so);
        }
    }
    PyGILState_Release(g);
    return ierr;
}

static int
greq_free_fn(void *extra)
{
    greq_ctx *c = extra;
    if (greq_no_python())
        return MPI_SUCCESS;
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = greq_call(c, c->free, NULL);
    Py_CLEAR(c->query);
    Py_CLEAR(c->free);
    Py_CLEAR(c->cancel);
    Py_CLEAR(c->args);
    Py_CLEAR(c->kwargs);
    PyMem_RawFree(c);
    PyGILState_Release(g);
    return ierr;
}

static int
greq_cancel_fn(void *extra, int complete)
{
    greq_ctx *c = extra;
    if (greq_no_python())
        return MPI_SUCCESS;
    PyGILState_STATE g = PyGILState_Ensure();
    int ierr = greq_call(c, c->cancel, complete ? Py_True : Py_False);
    PyGILState_Release(g);
    return ierr;
}

CMPI_DOC(Grequest_Start_doc,
         "Start($type, query_fn=None, free_fn=None, cancel_fn=None, "
         "args=None, kwargs=None)",
         "Create and return a user-defined (generalized) request.");
static PyObject *
Grequest_Start(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"query_fn", "free_fn", "cancel_fn",
                                     "args",     "kwargs",  NULL};
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL || cmpi_parse("Start", args, nargs, kwnames, kw, 0, a) < 0)
        return NULL;
    static const char *const what[] = {"query_fn", "free_fn", "cancel_fn"};
    for (int i = 0; i < 3; i++) {
        if (a[i] != NULL && a[i] != Py_None && !PyCallable_Check(a[i])) {
            PyErr_Format(PyExc_TypeError, "%s must be callable or None",
                         what[i]);
            return NULL;
        }
    }
    PyObject *targs = NULL, *tkw = NULL;
    if (a[3] != NULL && a[3] != Py_None) {
        targs = PySequence_Tuple(a[3]);
        if (targs == NULL)
            return NULL;
    }
    if (a[4] != NULL && a[4] != Py_None) {
        tkw = PyDict_New();
        if (tkw == NULL || PyDict_Update(tkw, a[4]) < 0) {
            Py_XDECREF(tkw);
            Py_XDECREF(targs);
            return NULL;
        }
    }
    RequestObject *r = (RequestObject *)PyObject_CallNoArgs((PyObject *)cls);
    greq_ctx *c = PyMem_RawCalloc(1, sizeof(greq_ctx));
    if (r == NULL || c == NULL) {
        Py_XDECREF(r);
        PyMem_RawFree(c);
        Py_XDECREF(targs);
        Py_XDECREF(tkw);
        return c == NULL ? PyErr_NoMemory() : NULL;
    }
    c->query = Py_XNewRef(a[0]);
    c->free = Py_XNewRef(a[1]);
    c->cancel = Py_XNewRef(a[2]);
    c->args = targs;
    c->kwargs = tkw;
    c->st = st;
    int ierr = MPI_Grequest_start(greq_query_fn, greq_free_fn, greq_cancel_fn,
                                  c, &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        Py_CLEAR(c->query);
        Py_CLEAR(c->free);
        Py_CLEAR(c->cancel);
        Py_CLEAR(c->args);
        Py_CLEAR(c->kwargs);
        PyMem_RawFree(c);
        Py_DECREF(r);
        return cmpi_raise(st, ierr);
    }
    return (PyObject *)r;
}

/* MPI_Grequest_complete may be called once per request, on a request
 * not yet freed: a second call, or one on REQUEST_NULL (waited for,
 * freed), crashes Open MPI.  The request object (and, for a copy, its
 * owner) remembers the completion so that both raise instead. */
#define CMPI_GREQ_COMPLETED 0x20u

static int
greq_complete(RequestObject *self, const char *fname)
{
    RequestObject *o = (RequestObject *)self->owner;
    if (self->ob_mpi == MPI_REQUEST_NULL) {
        cmpi_raise_msg(self->st, MPI_ERR_REQUEST,
                       "Grequest.%s: the request is REQUEST_NULL (already "
                       "completed and waited for, or freed)",
                       fname);
        return -1;
    }
    if ((self->flags & CMPI_GREQ_COMPLETED) ||
        (o != NULL && (o->flags & CMPI_GREQ_COMPLETED) &&
         o->ob_mpi == self->ob_mpi)) {
        cmpi_raise_msg(self->st, MPI_ERR_REQUEST,
                       "Grequest.%s: the request was already completed "
                       "(Complete may be called once)",
                       fname);
        return -1;
    }
    int ierr = MPI_Grequest_complete(self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    self->flags |= CMPI_GREQ_COMPLETED;
    if (o != NULL && o->ob_mpi == self->ob_mpi)
        o->flags |= CMPI_GREQ_COMPLETED;
    return 0;
}

CMPI_DOC(Grequest_Complete_doc, "Complete($self)",
         "Notify that a user-defined request is complete.");
static PyObject *
Grequest_Complete(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if (greq_complete(self, "Complete") < 0)
        return NULL;
    Py_RETURN_NONE;
}

CMPI_DOC(Grequest_complete_doc, "complete($self, obj=None)",
         "Notify that a user-defined request is complete; `obj` is what "
         "wait() and test() return.");
static PyObject *
Grequest_complete(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"obj", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_parse("complete", args, nargs, kwnames, kw, 0, a) < 0 ||
        greq_complete(self, "complete") < 0)
        return NULL;
    Py_XSETREF(self->result, Py_NewRef(a[0] ? a[0] : Py_None));
    Py_RETURN_NONE;
}

static PyMethodDef Grequest_methods[] = {
        {"Start", FN(Grequest_Start), CLSFASTKW, Grequest_Start_doc},
        {"Complete", (PyCFunction)Grequest_Complete, METH_NOARGS,
         Grequest_Complete_doc},
        {"complete", FN(Grequest_complete), FASTKW, Grequest_complete_doc},
        {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Grequest_doc,
             "Grequest(request=None)\n--\n\nGeneralized request handler.");

static PyType_Slot Grequest_slots[] = {
        {Py_tp_doc, (void *)Grequest_doc},
        {Py_tp_methods, Grequest_methods},
        {0, NULL},
};

static PyType_Spec Grequest_spec = {
        .name = "cmpi.MPI.Grequest",
        .basicsize = sizeof(RequestObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Grequest_slots,
};

static int
cmpi_request_init(PyObject *m, cmpi_state *st)
{
    st->Request_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Request_spec, NULL);
    if (st->Request_Type == NULL || PyModule_AddType(m, st->Request_Type) < 0)
        return -1;
    st->Prequest_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Prequest_spec, (PyObject *)st->Request_Type);
    if (st->Prequest_Type == NULL ||
        PyModule_AddType(m, st->Prequest_Type) < 0)
        return -1;
    st->Grequest_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Grequest_spec, (PyObject *)st->Request_Type);
    if (st->Grequest_Type == NULL ||
        PyModule_AddType(m, st->Grequest_Type) < 0)
        return -1;
    RequestObject *null = cmpi_request_new(st, CMPI_REQ_PLAIN);
    if (null == NULL)
        return -1;
    null->flags = CMPI_CONST;
    st->REQUEST_NULL = (PyObject *)null;
    if (PyModule_AddObjectRef(m, "REQUEST_NULL", st->REQUEST_NULL) < 0)
        return -1;
    return 0;
}
