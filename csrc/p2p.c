/*
 * p2p.c -- point-to-point communication on a Comm: buffers (Send, Recv,
 * Isend, ...) and pickled Python objects (send, recv, isend, ...).
 *
 * Object receives size themselves by matched probe (MPI_Mprobe, then
 * MPI_Mrecv into a bytes object of exactly the message's size), so an
 * object of any size arrives whole.
 */
#include "cmpi.h"

#define COMM_CHECK(self)                              \
    do {                                              \
        if (CMPI_UNLIKELY(cmpi_comm_check(self) < 0)) \
            return NULL;                              \
    } while (0)

/* ------------------------------------------------------------------ */
/* Buffers */

static PyObject *
send_buf(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames, const char *fname,
         int (*mpi_send)(const void *, int, MPI_Datatype, int, int, MPI_Comm))
{
    static const char *const kw[] = {"buf", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag;
    cmpi_msg m;
    COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &tag, 0, "tag") < 0 ||
        cmpi_check_dest(self, dest, "dest") < 0 ||
        cmpi_check_send_tag(self, tag) < 0)
        return NULL;
    if (cmpi_msg_parse(self->st, a[0], &m, CMPI_MSG_SEND, 0) < 0)
        return NULL;
    int ierr;
    CMPI_NOGIL(ierr = mpi_send(m.addr, m.count, m.dtype, dest, tag,
                               self->ob_mpi));
    cmpi_msg_release(&m);
    if (CMPI_UNLIKELY(ierr != MPI_SUCCESS))
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Send_doc, "Send($self, buf, dest, tag=0)", "Blocking send.");
static PyObject *
Comm_Send(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    return send_buf(self, args, nargs, kwnames, "Send", MPI_Send);
}

CMPI_DOC(Comm_Ssend_doc, "Ssend($self, buf, dest, tag=0)",
         "Blocking send in synchronous mode.");
static PyObject *
Comm_Ssend(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    return send_buf(self, args, nargs, kwnames, "Ssend", MPI_Ssend);
}

CMPI_DOC(Comm_Recv_doc,
         "Recv($self, buf, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Blocking receive.");
static PyObject *
Comm_Recv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "source", "tag", "status", NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int source, tag;
    cmpi_msg m;
    COMM_CHECK(self);
    if (cmpi_parse("Recv", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[1], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[2], &tag, MPI_ANY_TAG, "tag") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_recv_tag(self, tag) < 0)
        return NULL;
    if (cmpi_msg_parse(self->st, a[0], &m, CMPI_MSG_RECV, 0) < 0)
        return NULL;
    MPI_Status s;
    cmpi_status_clear(&s);
    int ierr;
    CMPI_NOGIL(ierr = MPI_Recv(m.addr, m.count, m.dtype, source, tag,
                               self->ob_mpi, &s));
    cmpi_msg_release(&m);
    if (CMPI_UNLIKELY(ierr != MPI_SUCCESS))
        return cmpi_raise(self->st, ierr);
    if (a[3] != NULL && cmpi_status_store(self->st, a[3], &s) < 0)
        return NULL;
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Sendrecv_doc,
         "Sendrecv($self, sendbuf, dest, sendtag=0, recvbuf=None, "
         "source=cmpi.MPI.ANY_SOURCE, recvtag=cmpi.MPI.ANY_TAG, status=None)",
         "Send and receive a message.");
static PyObject *
Comm_Sendrecv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"sendbuf", "dest",   "sendtag",
                                     "recvbuf", "source", "recvtag",
                                     "status",  NULL};
    PyObject *a[7] = {NULL};
    int dest, sendtag, source, recvtag;
    cmpi_msg sm, rm;
    COMM_CHECK(self);
    if (cmpi_parse("Sendrecv", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &sendtag, 0, "sendtag") < 0 ||
        cmpi_opt_int(a[4], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[5], &recvtag, MPI_ANY_TAG, "recvtag") < 0 ||
        cmpi_check_dest(self, dest, "dest") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_send_tag(self, sendtag) < 0 ||
        cmpi_check_recv_tag(self, recvtag) < 0)
        return NULL;
    if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND, 0) < 0)
        return NULL;
    if (cmpi_msg_parse(self->st, a[3] ? a[3] : Py_None, &rm, CMPI_MSG_RECV,
                       1) < 0) {
        cmpi_msg_release(&sm);
        return NULL;
    }
    MPI_Status s;
    cmpi_status_clear(&s);
    int ierr;
    CMPI_NOGIL(ierr = MPI_Sendrecv(sm.addr, sm.count, sm.dtype, dest, sendtag,
                                   rm.addr, rm.count, rm.dtype, source,
                                   recvtag, self->ob_mpi, &s));
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    if (a[6] != NULL && cmpi_status_store(self->st, a[6], &s) < 0)
        return NULL;
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_Sendrecv_replace_doc,
         "Sendrecv_replace($self, buf, dest, sendtag=0, "
         "source=cmpi.MPI.ANY_SOURCE, "
         "recvtag=cmpi.MPI.ANY_TAG, status=None)",
         "Send and receive a message, using a single buffer.");
static PyObject *
Comm_Sendrecv_replace(CommObject *self, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"buf",     "dest",   "sendtag", "source",
                                     "recvtag", "status", NULL};
    PyObject *a[6] = {NULL};
    int dest, sendtag, source, recvtag, ierr;
    cmpi_msg m;
    COMM_CHECK(self);
    if (cmpi_parse("Sendrecv_replace", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &sendtag, 0, "sendtag") < 0 ||
        cmpi_opt_int(a[3], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[4], &recvtag, MPI_ANY_TAG, "recvtag") < 0 ||
        cmpi_check_dest(self, dest, "dest") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_send_tag(self, sendtag) < 0 ||
        cmpi_check_recv_tag(self, recvtag) < 0)
        return NULL;
    if (cmpi_msg_parse(self->st, a[0], &m, CMPI_MSG_RECV, 0) < 0)
        return NULL;
    MPI_Status s;
    cmpi_status_clear(&s);
    CMPI_NOGIL(ierr = MPI_Sendrecv_replace(m.addr, m.count, m.dtype, dest,
                                           sendtag, source, recvtag,
                                           self->ob_mpi, &s));
    cmpi_msg_release(&m);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    if (a[5] != NULL && cmpi_status_store(self->st, a[5], &s) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
isend_buf(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, const char *fname,
          int (*mpi_isend)(const void *, int, MPI_Datatype, int, int, MPI_Comm,
                           MPI_Request *))
{
    static const char *const kw[] = {"buf", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag;
    cmpi_msg m;
    COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &tag, 0, "tag") < 0 ||
        cmpi_check_dest(self, dest, "dest") < 0 ||
        cmpi_check_send_tag(self, tag) < 0)
        return NULL;
    if (cmpi_msg_parse(self->st, a[0], &m, CMPI_MSG_SEND, 0) < 0)
        return NULL;
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        cmpi_msg_release(&m);
        return NULL;
    }
    int ierr = mpi_isend(m.addr, m.count, m.dtype, dest, tag, self->ob_mpi,
                         &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    if (m.view.obj != NULL) /* the request now owns the view */
        r->views[r->nviews++] = m.view;
    return (PyObject *)r;
}

CMPI_DOC(Comm_Isend_doc, "Isend($self, buf, dest, tag=0)",
         "Nonblocking send.");
static PyObject *
Comm_Isend(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    return isend_buf(self, args, nargs, kwnames, "Isend", MPI_Isend);
}

CMPI_DOC(Comm_Issend_doc, "Issend($self, buf, dest, tag=0)",
         "Nonblocking send in synchronous mode.");
static PyObject *
Comm_Issend(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return isend_buf(self, args, nargs, kwnames, "Issend", MPI_Issend);
}

CMPI_DOC(Comm_Irecv_doc,
         "Irecv($self, buf, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG)",
         "Nonblocking receive.");
static PyObject *
Comm_Irecv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "source", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int source, tag;
    cmpi_msg m;
    COMM_CHECK(self);
    if (cmpi_parse("Irecv", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[1], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[2], &tag, MPI_ANY_TAG, "tag") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_recv_tag(self, tag) < 0)
        return NULL;
    if (cmpi_msg_parse(self->st, a[0], &m, CMPI_MSG_RECV, 0) < 0)
        return NULL;
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        cmpi_msg_release(&m);
        return NULL;
    }
    int ierr = MPI_Irecv(m.addr, m.count, m.dtype, source, tag, self->ob_mpi,
                         &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    if (m.view.obj != NULL)
        r->views[r->nviews++] = m.view;
    return (PyObject *)r;
}

static PyObject *
probe_impl(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames, const char *fname, int blocking)
{
    static const char *const kw[] = {"source", "tag", "status", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int source, tag, flag = 1, ierr;
    COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_opt_int(a[0], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[1], &tag, MPI_ANY_TAG, "tag") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_recv_tag(self, tag) < 0)
        return NULL;
    MPI_Status s;
    cmpi_status_clear(&s);
    if (blocking)
        CMPI_NOGIL(ierr = MPI_Probe(source, tag, self->ob_mpi, &s));
    else
        ierr = MPI_Iprobe(source, tag, self->ob_mpi, &flag, &s);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    if (flag && a[2] != NULL && cmpi_status_store(self->st, a[2], &s) < 0)
        return NULL;
    return PyBool_FromLong(flag);
}

CMPI_DOC(Comm_Probe_doc,
         "Probe($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Blocking test for a message.");
static PyObject *
Comm_Probe(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    return probe_impl(self, args, nargs, kwnames, "Probe", 1);
}

CMPI_DOC(Comm_Iprobe_doc,
         "Iprobe($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Nonblocking test for a message.");
static PyObject *
Comm_Iprobe(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return probe_impl(self, args, nargs, kwnames, "Iprobe", 0);
}

CMPI_DOC(Comm_probe_doc,
         "probe($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Blocking test for a message.");
static PyObject *
Comm_probe(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    return probe_impl(self, args, nargs, kwnames, "probe", 1);
}

CMPI_DOC(Comm_iprobe_doc,
         "iprobe($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Nonblocking test for a message.");
static PyObject *
Comm_iprobe(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return probe_impl(self, args, nargs, kwnames, "iprobe", 0);
}

/* ------------------------------------------------------------------ */
/* Python objects
 *
 * A pickle of up to CMPI_OBJ_EAGER bytes is sent as one message.  A larger
 * one is sent as an envelope -- 16 bytes: a zero byte (no pickle starts
 * with one), "CMP", the payload's tag and its size -- on the user's
 * communicator and tag, followed by the payload itself on the
 * communicator's shadow (a private duplicate), under a tag unique to the
 * message.  The envelope is matched like any message, in order; the
 * payload is then received from the one source and tag the envelope
 * names, where no user receive can take it.  So irecv() can post a real
 * receive of CMPI_OBJ_EAGER bytes, keeping MPI's matching order and
 * progress, and still take an object of any size. */

static void
envelope_make(char *env, long long size, int tag)
{
    env[0] = 0;
    env[1] = 'C';
    env[2] = 'M';
    env[3] = 'P';
    memcpy(env + 4, &tag, 4);
    memcpy(env + 8, &size, 8);
}

/* Is this message an envelope?  If so, give the payload's size and tag. */
static int
cmpi_envelope_parse(const char *buf, int count, long long *size, int *tag)
{
    if (count != CMPI_ENVELOPE_SIZE || buf[0] != 0 || buf[1] != 'C' ||
        buf[2] != 'M' || buf[3] != 'P')
        return 0;
    memcpy(tag, buf + 4, 4);
    memcpy(size, buf + 8, 8);
    return 1;
}

/* The tag of the next payload this process sends. */
static int
payload_tag(cmpi_state *st)
{
    st->payload_seq = (st->payload_seq + 1) % (unsigned)st->tag_ub;
    return (int)st->payload_seq;
}

/* Receive a large object's payload and unpickle it. */
static PyObject *
cmpi_recv_payload(cmpi_state *st, MPI_Comm shadow, int source, long long size,
                  int tag)
{
    int ierr;
    if (shadow == MPI_COMM_NULL) {
        return cmpi_raise_msg(st, MPI_ERR_COMM,
                              "received a large-object envelope on a "
                              "communicator cmpi did not create");
    }
    if (size > INT_MAX) {
        PyErr_Format(PyExc_OverflowError,
                     "message of %lld bytes exceeds the 2**31-1 byte limit "
                     "of this operation",
                     size);
        return NULL;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (bytes == NULL)
        return NULL;
    CMPI_NOGIL(ierr = MPI_Recv(PyBytes_AS_STRING(bytes), (int)size, MPI_BYTE,
                               source, tag, shadow, MPI_STATUS_IGNORE));
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(bytes);
        return cmpi_raise(st, ierr);
    }
    PyObject *obj = cmpi_loads(st, PyBytes_AS_STRING(bytes), (Py_ssize_t)size);
    Py_DECREF(bytes);
    return obj;
}

/* The message just received into buf[0:count] (status s): unpickle it, or
 * fetch the payload it announces. */
static PyObject *
recv_obj_finish(CommObject *self, const char *buf, int count,
                const MPI_Status *s)
{
    long long size;
    int tag;
    if (count <= 0 || s->MPI_SOURCE == MPI_PROC_NULL)
        return Py_NewRef(Py_None);
    if (cmpi_envelope_parse(buf, count, &size, &tag))
        return cmpi_recv_payload(self->st, self->shadow, s->MPI_SOURCE, size,
                                 tag);
    return cmpi_loads(self->st, buf, count);
}

typedef int (*mpi_send_fn)(const void *, int, MPI_Datatype, int, int,
                           MPI_Comm);
typedef int (*mpi_isend_fn)(const void *, int, MPI_Datatype, int, int,
                            MPI_Comm, MPI_Request *);

/* Does this pickle go as envelope + payload? */
static int
obj_is_large(CommObject *self, Py_ssize_t n)
{
    return n > CMPI_OBJ_EAGER && self->shadow != MPI_COMM_NULL;
}

/* Payloads of large objects are sent "detached": the sending call (send,
 * isend, ...) completes with its envelope, the payload's send is kept here
 * until MPI completes it.  A sender therefore never waits for the
 * receiver to come back from Python and post the payload's receive --
 * which, after an irecv()/send() exchange, it might only do after its own
 * send returned.  The pickled bytes are ours, so returning early is within
 * MPI's semantics of a send.  Kept per process, like MPI's own requests;
 * completed before MPI_Finalize. */
static struct {
    MPI_Request *reqs;
    PyObject **keep;
    int n, cap;
} detached;

/* Forget the detached sends that have completed. */
static void
detached_reap(void)
{
    int j = 0;
    for (int i = 0; i < detached.n; i++) {
        int flag = 0;
        MPI_Test(&detached.reqs[i], &flag, MPI_STATUS_IGNORE);
        if (flag) {
            Py_CLEAR(detached.keep[i]);
            continue;
        }
        detached.reqs[j] = detached.reqs[i];
        detached.keep[j] = detached.keep[i];
        j++;
    }
    detached.n = j;
}

static int
detached_add(MPI_Request req, PyObject *keep)
{
    detached_reap();
    if (detached.n == detached.cap) {
        int cap = detached.cap ? 2 * detached.cap : 16;
        MPI_Request *r = PyMem_Realloc(detached.reqs, sizeof(*r) * cap);
        if (r == NULL)
            goto nomem;
        detached.reqs = r;
        PyObject **k = PyMem_Realloc(detached.keep, sizeof(*k) * cap);
        if (k == NULL)
            goto nomem;
        detached.keep = k;
        detached.cap = cap;
    }
    detached.reqs[detached.n] = req;
    detached.keep[detached.n] = Py_NewRef(keep);
    detached.n++;
    return 0;
nomem:
    /* Cannot track it: wait for it here instead. */
    CMPI_NOGIL(MPI_Wait(&req, MPI_STATUS_IGNORE));
    return 0;
}

/* Complete every detached send (before MPI_Finalize).  Without the GIL
 * (at interpreter exit) the bytes are left to the process's end. */
static void
cmpi_detached_complete(int have_gil)
{
    /* One MPI_Wait each: gcc's -Wstringop-overflow misreads MPICH's
     * MPI_STATUSES_IGNORE in an MPI_Waitall. */
    for (int i = 0; i < detached.n; i++) {
        if (have_gil) {
            CMPI_NOGIL(MPI_Wait(&detached.reqs[i], MPI_STATUS_IGNORE));
            Py_CLEAR(detached.keep[i]);
        }
        else {
            MPI_Wait(&detached.reqs[i], MPI_STATUS_IGNORE);
        }
    }
    detached.n = 0;
}

static PyObject *
send_obj(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames, const char *fname, mpi_send_fn mpi_send)
{
    static const char *const kw[] = {"obj", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag, n, ierr;
    COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &tag, 0, "tag") < 0 ||
        cmpi_check_dest(self, dest, "dest") < 0 ||
        cmpi_check_send_tag(self, tag) < 0)
        return NULL;
    if (dest == MPI_PROC_NULL)
        Py_RETURN_NONE;
    PyObject *data = cmpi_dumps(self->st, a[0]);
    if (data == NULL)
        return NULL;
    if (cmpi_size_to_int(PyBytes_GET_SIZE(data), &n) < 0) {
        Py_DECREF(data);
        return NULL;
    }
    const char *buf = PyBytes_AS_STRING(data);
    if (obj_is_large(self, n)) {
        char env[CMPI_ENVELOPE_SIZE];
        int ptag = payload_tag(self->st);
        envelope_make(env, n, ptag);
        MPI_Request payload = MPI_REQUEST_NULL;
        ierr = MPI_Isend(buf, n, MPI_BYTE, dest, ptag, self->shadow, &payload);
        if (ierr == MPI_SUCCESS)
            CMPI_NOGIL(ierr = mpi_send(env, CMPI_ENVELOPE_SIZE, MPI_BYTE,
                                       dest, tag, self->ob_mpi));
        if (payload != MPI_REQUEST_NULL)
            detached_add(payload, data);
    }
    else {
        CMPI_NOGIL(ierr = mpi_send(buf, n, MPI_BYTE, dest, tag,
                                   self->ob_mpi));
    }
    Py_DECREF(data);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_send_doc, "send($self, obj, dest, tag=0)",
         "Send in standard mode.");
static PyObject *
Comm_send(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    return send_obj(self, args, nargs, kwnames, "send", MPI_Send);
}

CMPI_DOC(Comm_ssend_doc, "ssend($self, obj, dest, tag=0)",
         "Send in synchronous mode.");
static PyObject *
Comm_ssend(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    return send_obj(self, args, nargs, kwnames, "ssend", MPI_Ssend);
}

/* Receive one pickled object matching (source, tag): probe for its size,
 * allocate exactly that, receive, unpickle. */
static PyObject *
recv_obj_probed(CommObject *self, int source, int tag, MPI_Status *s)
{
    MPI_Message msg;
    MPI_Status probe;
    cmpi_status_clear(&probe);
    int ierr, count = 0;
    CMPI_NOGIL(ierr = MPI_Mprobe(source, tag, self->ob_mpi, &msg, &probe));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    ierr = MPI_Get_count(&probe, MPI_BYTE, &count);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, count);
    if (bytes == NULL)
        return NULL;
    char *buf = PyBytes_AS_STRING(bytes);
    if (count > 65536)
        CMPI_NOGIL(ierr = MPI_Mrecv(buf, count, MPI_BYTE, &msg, s));
    else
        ierr = MPI_Mrecv(buf, count, MPI_BYTE, &msg, s);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(bytes);
        return cmpi_raise(self->st, ierr);
    }
    PyObject *obj = recv_obj_finish(self, buf, count, s);
    Py_DECREF(bytes);
    return obj;
}

/* Receive into a user-supplied buffer, then unpickle from it. */
static PyObject *
recv_obj_into(CommObject *self, PyObject *buf, int source, int tag,
              MPI_Status *s)
{
    Py_buffer view;
    int n, ierr, count = 0;
    if (PyObject_GetBuffer(buf, &view, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS) <
        0)
        return NULL;
    if (cmpi_size_to_int(view.len, &n) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    CMPI_NOGIL(ierr = MPI_Recv(view.buf, n, MPI_BYTE, source, tag,
                               self->ob_mpi, s));
    if (ierr != MPI_SUCCESS) {
        PyBuffer_Release(&view);
        return cmpi_raise(self->st, ierr);
    }
    MPI_Get_count(s, MPI_BYTE, &count);
    PyObject *obj = recv_obj_finish(self, view.buf, count, s);
    PyBuffer_Release(&view);
    return obj;
}

CMPI_DOC(Comm_recv_doc,
         "recv($self, buf=None, source=cmpi.MPI.ANY_SOURCE, "
         "tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Receive a Python object; its size need not be known.");
static PyObject *
Comm_recv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "source", "tag", "status", NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int source, tag;
    COMM_CHECK(self);
    if (cmpi_parse("recv", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_opt_int(a[1], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[2], &tag, MPI_ANY_TAG, "tag") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_recv_tag(self, tag) < 0)
        return NULL;
    MPI_Status s;
    cmpi_status_clear(&s);
    PyObject *obj;
    if (a[0] == NULL || a[0] == Py_None)
        obj = recv_obj_probed(self, source, tag, &s);
    else
        obj = recv_obj_into(self, a[0], source, tag, &s);
    if (obj == NULL)
        return NULL;
    if (a[3] != NULL && cmpi_status_store(self->st, a[3], &s) < 0) {
        Py_DECREF(obj);
        return NULL;
    }
    return obj;
}

/* Start sending the pickle `data`: one request, or for a large object the
 * envelope's request, with the payload sent detached. */
static int
isend_pickle(CommObject *self, PyObject *data, int dest, int tag,
             mpi_isend_fn mpi_isend, char *env, MPI_Request *req)
{
    int ierr, n;
    *req = MPI_REQUEST_NULL;
    if (cmpi_size_to_int(PyBytes_GET_SIZE(data), &n) < 0)
        return -1;
    const char *buf = PyBytes_AS_STRING(data);
    if (obj_is_large(self, n)) {
        MPI_Request payload = MPI_REQUEST_NULL;
        int ptag = payload_tag(self->st);
        envelope_make(env, n, ptag);
        ierr = MPI_Isend(buf, n, MPI_BYTE, dest, ptag, self->shadow, &payload);
        if (ierr == MPI_SUCCESS)
            ierr = mpi_isend(env, CMPI_ENVELOPE_SIZE, MPI_BYTE, dest, tag,
                             self->ob_mpi, req);
        if (payload != MPI_REQUEST_NULL)
            detached_add(payload, data);
    }
    else {
        ierr = mpi_isend(buf, n, MPI_BYTE, dest, tag, self->ob_mpi, req);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Comm_sendrecv_doc,
         "sendrecv($self, sendobj, dest, sendtag=0, recvbuf=None, "
         "source=cmpi.MPI.ANY_SOURCE, recvtag=cmpi.MPI.ANY_TAG, status=None)",
         "Send and receive a Python object.");
static PyObject *
Comm_sendrecv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", "dest",   "sendtag",
                                     "recvbuf", "source", "recvtag",
                                     "status",  NULL};
    PyObject *a[7] = {NULL};
    int dest, sendtag, source, recvtag, ierr = MPI_SUCCESS;
    COMM_CHECK(self);
    if (cmpi_parse("sendrecv", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &sendtag, 0, "sendtag") < 0 ||
        cmpi_opt_int(a[4], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[5], &recvtag, MPI_ANY_TAG, "recvtag") < 0 ||
        cmpi_check_dest(self, dest, "dest") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_send_tag(self, sendtag) < 0 ||
        cmpi_check_recv_tag(self, recvtag) < 0)
        return NULL;
    PyObject *data = NULL, *obj = NULL;
    MPI_Request sreq = MPI_REQUEST_NULL;
    char env[CMPI_ENVELOPE_SIZE];
    MPI_Status s;
    cmpi_status_clear(&s);
    if (dest != MPI_PROC_NULL) {
        data = cmpi_dumps(self->st, a[0]);
        if (data == NULL)
            return NULL;
        /* Post the send first: both sides can then receive without
         * waiting for each other, whatever the message sizes. */
        if (isend_pickle(self, data, dest, sendtag, MPI_Isend, env, &sreq) < 0)
            goto error;
    }
    if (a[3] == NULL || a[3] == Py_None)
        obj = recv_obj_probed(self, source, recvtag, &s);
    else
        obj = recv_obj_into(self, a[3], source, recvtag, &s);
    CMPI_NOGIL(ierr = MPI_Wait(&sreq, MPI_STATUS_IGNORE));
    if (obj == NULL)
        goto error;
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto error;
    }
    if (a[6] != NULL && cmpi_status_store(self->st, a[6], &s) < 0)
        goto error;
    Py_XDECREF(data);
    return obj;
error:
    if (sreq != MPI_REQUEST_NULL) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        CMPI_NOGIL(MPI_Wait(&sreq, MPI_STATUS_IGNORE));
        PyErr_Restore(et, ev, tb);
    }
    Py_XDECREF(data);
    Py_XDECREF(obj);
    return NULL;
}

static PyObject *
isend_obj(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, const char *fname, mpi_isend_fn mpi_isend)
{
    static const char *const kw[] = {"obj", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag;
    COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &tag, 0, "tag") < 0 ||
        cmpi_check_dest(self, dest, "dest") < 0 ||
        cmpi_check_send_tag(self, tag) < 0)
        return NULL;
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_OBJ_SEND);
    if (r == NULL)
        return NULL;
    if (dest == MPI_PROC_NULL)
        return (PyObject *)r;
    PyObject *data = cmpi_dumps(self->st, a[0]);
    if (data == NULL || isend_pickle(self, data, dest, tag, mpi_isend,
                                     r->envelope, &r->ob_mpi) < 0) {
        Py_XDECREF(data);
        Py_DECREF(r);
        return NULL;
    }
    r->keep = data; /* the pickled bytes live until the send completes */
    return (PyObject *)r;
}

CMPI_DOC(Comm_isend_doc, "isend($self, obj, dest, tag=0)",
         "Nonblocking send of a Python object.");
static PyObject *
Comm_isend(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    return isend_obj(self, args, nargs, kwnames, "isend", MPI_Isend);
}

CMPI_DOC(Comm_issend_doc, "issend($self, obj, dest, tag=0)",
         "Nonblocking send of a Python object in synchronous mode.");
static PyObject *
Comm_issend(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return isend_obj(self, args, nargs, kwnames, "issend", MPI_Issend);
}

CMPI_DOC(Comm_irecv_doc,
         "irecv($self, buf=None, source=cmpi.MPI.ANY_SOURCE, "
         "tag=cmpi.MPI.ANY_TAG)",
         "Nonblocking receive of a Python object.  Without a buffer, the "
         "object may have any size.");
static PyObject *
Comm_irecv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "source", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int source, tag, n;
    COMM_CHECK(self);
    if (cmpi_parse("irecv", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_opt_int(a[1], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[2], &tag, MPI_ANY_TAG, "tag") < 0 ||
        cmpi_check_source(self, source, "source") < 0 ||
        cmpi_check_recv_tag(self, tag) < 0)
        return NULL;
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_OBJ_RECV);
    if (r == NULL)
        return NULL;
    r->shadow = self->shadow;
    if (a[0] == NULL || a[0] == Py_None) {
        /* Large objects arrive as an envelope that fits here. */
        r->keep = PyBytes_FromStringAndSize(NULL, CMPI_OBJ_EAGER);
        if (r->keep == NULL) {
            Py_DECREF(r);
            return NULL;
        }
        r->rbuf = PyBytes_AS_STRING(r->keep);
        n = CMPI_OBJ_EAGER;
    }
    else {
        Py_buffer *v = &r->views[0];
        if (PyObject_GetBuffer(a[0], v,
                               PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS) < 0) {
            Py_DECREF(r);
            return NULL;
        }
        r->nviews = 1;
        r->rbuf = v->buf;
        if (cmpi_size_to_int(v->len, &n) < 0) {
            Py_DECREF(r);
            return NULL;
        }
    }
    int ierr = MPI_Irecv(r->rbuf, n, MPI_BYTE, source, tag, self->ob_mpi,
                         &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    return (PyObject *)r;
}

#define CMPI_P2P_METHODS                                                \
    {"Send", FN(Comm_Send), FASTKW, Comm_Send_doc},                     \
            {"Ssend", FN(Comm_Ssend), FASTKW, Comm_Ssend_doc},          \
            {"Recv", FN(Comm_Recv), FASTKW, Comm_Recv_doc},             \
            {"Sendrecv", FN(Comm_Sendrecv), FASTKW, Comm_Sendrecv_doc}, \
            {"Sendrecv_replace", FN(Comm_Sendrecv_replace), FASTKW,     \
             Comm_Sendrecv_replace_doc},                                \
            {"Isend", FN(Comm_Isend), FASTKW, Comm_Isend_doc},          \
            {"Issend", FN(Comm_Issend), FASTKW, Comm_Issend_doc},       \
            {"Irecv", FN(Comm_Irecv), FASTKW, Comm_Irecv_doc},          \
            {"Probe", FN(Comm_Probe), FASTKW, Comm_Probe_doc},          \
            {"Iprobe", FN(Comm_Iprobe), FASTKW, Comm_Iprobe_doc},       \
            {"send", FN(Comm_send), FASTKW, Comm_send_doc},             \
            {"ssend", FN(Comm_ssend), FASTKW, Comm_ssend_doc},          \
            {"recv", FN(Comm_recv), FASTKW, Comm_recv_doc},             \
            {"sendrecv", FN(Comm_sendrecv), FASTKW, Comm_sendrecv_doc}, \
            {"isend", FN(Comm_isend), FASTKW, Comm_isend_doc},          \
            {"issend", FN(Comm_issend), FASTKW, Comm_issend_doc},       \
            {"irecv", FN(Comm_irecv), FASTKW, Comm_irecv_doc},          \
            {"probe", FN(Comm_probe), FASTKW, Comm_probe_doc},          \
            {"iprobe", FN(Comm_iprobe), FASTKW, Comm_iprobe_doc},
