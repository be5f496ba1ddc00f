/*
 * p2p_buf.c -- point-to-point communication of buffers on a Comm: Send,
 * Recv, Sendrecv, their modes (B/S/R), nonblocking (I...) and persistent
 * (..._init) forms, the attached buffer, Probe/Iprobe and probe/iprobe.
 * A blocking receive never lets MPI write past the user's buffer.
 */
#include "cmpi.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/* A bare None as the message of a point-to-point call is the empty
 * message where the peer is PROC_NULL, and a TypeError elsewhere, as in
 * mpi4py 4: None says nothing of what is sent or received. */
static int
p2p_msg_parse(CommObject *c, PyObject *spec, cmpi_msg *m, int mode, int peer)
{
    if (CMPI_UNLIKELY(spec == Py_None) && peer != MPI_PROC_NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "message: expected a buffer or a list [buf, count, "
                        "datatype], got None (an empty message only with "
                        "PROC_NULL)");
        return -1;
    }
    return cmpi_msg_parse(c->st, spec, m, mode);
}

/* The first steps of Sendrecv and Isendrecv, in mpi4py's order, so that
 * a call with several bad arguments raises what mpi4py raises: the
 * integers converted (not yet checked against the communicator), the
 * send message parsed into *sm, then a missing receive buffer refused
 * (a TypeError unless the source is PROC_NULL).  The caller checks the
 * ranks and tags next, and releases *sm. */
static int
p2p_sendrecv_begin(CommObject *c, PyObject *const *a, cmpi_msg *sm)
{
    int dest, sendtag, source, recvtag;
    *sm = (cmpi_msg)CMPI_MSG_INIT;
    if (cmpi_as_int(a[1], &dest, "dest") < 0 ||
        cmpi_opt_int(a[2], &sendtag, 0, "sendtag") < 0 ||
        cmpi_opt_int(a[4], &source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(a[5], &recvtag, MPI_ANY_TAG, "recvtag") < 0 ||
        p2p_msg_parse(c, a[0], sm, CMPI_MSG_SEND, dest) < 0) {
        return -1;
    }
    if ((a[3] == NULL || a[3] == Py_None) && source != MPI_PROC_NULL) {
        cmpi_msg none = CMPI_MSG_INIT;
        if (p2p_msg_parse(c, Py_None, &none, CMPI_MSG_RECV, source) < 0) {
            return -1;
        }
    }
    return 0;
}

static PyObject *
send_buf(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames, const char *fname,
         int (*mpi_isend)(const void *, int, MPI_Datatype, int, int, MPI_Comm,
                          MPI_Request *))
{
    static const char *const kw[] = {"buf", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag;
    cmpi_msg m;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_send_args(self, a[1], a[2], &dest, &tag) < 0) {
        return NULL;
    }
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_SEND, dest) < 0) {
        return NULL;
    }
    /* An eager send is done at the wait's first test: then the GIL is
     * never released (releasing and taking it back costs more than the
     * send). */
    MPI_Request req;
    cmpi_prof_p2p(CMPI_MSG_SEND, m.count, m.dtype, dest, tag);
    int ierr =
            mpi_isend(m.addr, m.count, m.dtype, dest, tag, self->ob_mpi, &req);
    if (ierr == MPI_SUCCESS) {
        ierr = cmpi_wait_req(&req, MPI_STATUS_IGNORE, fname, "dest=%d, tag=%d",
                             dest, tag, self->ob_mpi);
    }
    cmpi_msg_release(&m);
    if (CMPI_UNLIKELY(ierr != MPI_SUCCESS)) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_COMM_METHOD(Comm, Send, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Blocking send.", send_buf, MPI_Isend)

CMPI_COMM_METHOD(Comm, Ssend, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Blocking send in synchronous mode.", send_buf, MPI_Issend)

/* ------------------------------------------------------------------ */
/* Truncated receives: never let MPI write past a receive buffer.
 *
 * A message larger than its receive buffer is an error (ERR_TRUNCATE),
 * but Open MPI 4.1 writes the whole message before it reports the error
 * once the message is above its eager limit (4 KiB): an 8-byte buffer
 * receiving 100 kB has 99,992 bytes after it overwritten.  So every
 * receive that matches its message before receiving it (Recv, Sendrecv,
 * Message.Recv, recv with a buffer: a matched probe, which the fast path
 * does anyway) compares the sizes first.  A message that does not fit is
 * received into memory of its full size, the part that fits is copied
 * into the buffer, and ERR_TRUNCATE is raised naming both sizes: no MPI
 * library writes outside the user's buffer.
 *
 * A receive posted before its message exists (Irecv, Recv_init,
 * Isendrecv, Isendrecv_replace, Sendrecv_replace) cannot be checked: the
 * size is known only at completion, after MPI wrote it.  There the MPI
 * library's own behaviour holds (README, "Reliability"). */

/* The probed message's size in bytes, and the buffer's; 1 if the
 * message fits. */
static CMPI_NOINLINE int
recv_fits_bytes(int count, MPI_Datatype dtype, const MPI_Status *s,
                MPI_Count *nbytes, MPI_Count *cap)
{
    MPI_Count size = 0;
    *nbytes = 0;
    *cap = 0;
    if (MPI_Get_elements_x(s, MPI_BYTE, nbytes) != MPI_SUCCESS ||
        MPI_Type_size_x(dtype, &size) != MPI_SUCCESS ||
        *nbytes == MPI_UNDEFINED || size == MPI_UNDEFINED) {
        return 1; /* cannot tell: MPI's receive reports what it finds */
    }
    *cap = size * count;
    return *nbytes <= *cap;
}

/* Does the message probed with status s fit count elements of dtype?
 * The common case costs one MPI_Get_count, or for bytes a read of the
 * status's fields. */
static inline int
cmpi_recv_fits(int count, MPI_Datatype dtype, const MPI_Status *s,
               MPI_Count *nbytes, MPI_Count *cap)
{
    int n = 0;
    if (dtype == MPI_BYTE && CMPI_LIKELY(cmpi_status_bytes_read(s, &n))) {
        if (CMPI_LIKELY(n <= count)) {
            return 1;
        }
    }
    else if (CMPI_LIKELY(MPI_Get_count(s, dtype, &n) == MPI_SUCCESS &&
                         n != MPI_UNDEFINED && n <= count)) {
        return 1;
    }
    return recv_fits_bytes(count, dtype, s, nbytes, cap);
}

/* The matched message *msg of nbytes does not fit the cap bytes of
 * (addr, count, dtype): receive it into memory of its full size, copy the
 * first cap bytes into the buffer (unpacked, for a datatype with holes),
 * and raise ERR_TRUNCATE.  Returns NULL. */
static CMPI_NOINLINE PyObject *
cmpi_recv_truncated(cmpi_state *st, void *addr, int count, MPI_Datatype dtype,
                    MPI_Message *msg, MPI_Count nbytes, MPI_Count cap,
                    const char *call, MPI_Comm comm)
{
    int ierr, n = 0;
    MPI_Datatype type = MPI_BYTE;
    MPI_Request req = MPI_REQUEST_NULL;
    /* The message stays matched if this fails: a MemoryError leaves it
     * unreceived rather than let MPI write past the buffer. */
    char *scratch = PyMem_RawMalloc((size_t)nbytes);
    if (scratch == NULL) {
        return PyErr_NoMemory();
    }
    ierr = cmpi_bytes_type(nbytes, &n, &type);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Imrecv(scratch, n, type, msg, &req);
    }
    cmpi_bytes_type_free(&type);
    if (ierr == MPI_SUCCESS) {
        ierr = cmpi_wait_req(&req, MPI_STATUS_IGNORE, call, NULL, 0, 0, comm);
    }
    if (ierr == MPI_SUCCESS && cap > 0) {
        MPI_Aint lb, extent, tlb, textent;
        MPI_Count size = 0;
        MPI_Type_get_extent(dtype, &lb, &extent);
        MPI_Type_get_true_extent(dtype, &tlb, &textent);
        MPI_Type_size_x(dtype, &size);
        if (size == extent && tlb == 0 && textent == extent) {
            memcpy(addr, scratch, (size_t)cap); /* contiguous */
        }
        else if (cap <= INT_MAX) {
            int pos = 0;
            ierr = MPI_Unpack(scratch, (int)cap, &pos, addr, count, dtype,
                              MPI_COMM_SELF);
        }
    }
    PyMem_RawFree(scratch);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return cmpi_raise_msg(st, MPI_ERR_TRUNCATE,
                          "%s: a message of %lld bytes does not fit in the "
                          "receive buffer of %lld bytes (its first %lld bytes "
                          "were received)",
                          call, (long long)nbytes, (long long)cap,
                          (long long)cap);
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
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("Recv", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_recv_args(self, a[1], a[2], &source, &tag) < 0 ||
        cmpi_status_check(self->st, a[3]) < 0) {
        return NULL;
    }
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_RECV, source) < 0) {
        return NULL;
    }
    MPI_Status s;
    cmpi_status_clear(&s);
    int ierr;
    /* A message already there is matched (so no other thread can take
     * it) and received without releasing the GIL. */
    MPI_Message msg;
    MPI_Count nbytes = 0, cap = 0;
    int found = 0;
    ierr = MPI_Improbe(source, tag, self->ob_mpi, &found, &msg, &s);
    if (ierr == MPI_SUCCESS && !found) {
        /* Matched before it is received, too, so that its size is
         * checked (truncated receives, above). */
        ierr = cmpi_wait_probe(source, tag, self->ob_mpi, &msg, &s,
                               "comm.Recv");
    }
    if (ierr == MPI_SUCCESS &&
        CMPI_UNLIKELY(!cmpi_recv_fits(m.count, m.dtype, &s, &nbytes, &cap))) {
        cmpi_recv_truncated(self->st, m.addr, m.count, m.dtype, &msg, nbytes,
                            cap, "comm.Recv", self->ob_mpi);
        cmpi_msg_release(&m);
        return NULL;
    }
    if (ierr == MPI_SUCCESS && found) {
        ierr = MPI_Mrecv(m.addr, m.count, m.dtype, &msg, &s);
    }
    else if (ierr == MPI_SUCCESS) {
        /* waited for: the data may still be on its way */
        MPI_Request req;
        ierr = MPI_Imrecv(m.addr, m.count, m.dtype, &msg, &req);
        if (ierr == MPI_SUCCESS) {
            ierr = cmpi_wait_req(&req, &s, "comm.Recv", "source=%d, tag=%d",
                                 source, tag, self->ob_mpi);
        }
    }
    cmpi_msg_release(&m);
    if (CMPI_UNLIKELY(ierr != MPI_SUCCESS)) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_prof_recv(source, tag, &s);
    if (a[3] != NULL && cmpi_status_store(self->st, a[3], &s) < 0) {
        return NULL;
    }
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
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("Sendrecv", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_status_check(self->st, a[6]) < 0) {
        return NULL;
    }
    if (p2p_sendrecv_begin(self, a, &sm) < 0 ||
        cmpi_sendrecv_args(self, a[1], a[2], a[4], a[5], &dest, &sendtag,
                           &source, &recvtag) < 0) {
        cmpi_msg_release(&sm);
        return NULL;
    }
    if (p2p_msg_parse(self, a[3] ? a[3] : Py_None, &rm, CMPI_MSG_RECV,
                      source) < 0) {
        cmpi_msg_release(&sm);
        return NULL;
    }
    MPI_Status s, ss[2];
    cmpi_status_clear(&s);
    cmpi_status_clear(&ss[0]);
    cmpi_status_clear(&ss[1]);
    MPI_Request reqs[2] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL};
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Count nbytes = 0, cap = 0;
    int found = 0, too_large = 0;
    /* The send first, then the receive's message matched before it is
     * received, so that its size is checked (truncated receives). */
    int ierr = MPI_Isend(sm.addr, sm.count, sm.dtype, dest, sendtag,
                         self->ob_mpi, &reqs[1]);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Improbe(source, recvtag, self->ob_mpi, &found, &msg, &s);
    }
    if (ierr == MPI_SUCCESS && !found) {
        ierr = cmpi_wait_probe(source, recvtag, self->ob_mpi, &msg, &s,
                               "comm.Sendrecv");
    }
    if (ierr == MPI_SUCCESS &&
        CMPI_UNLIKELY(
                !cmpi_recv_fits(rm.count, rm.dtype, &s, &nbytes, &cap))) {
        cmpi_recv_truncated(self->st, rm.addr, rm.count, rm.dtype, &msg,
                            nbytes, cap, "comm.Sendrecv", self->ob_mpi);
        too_large = 1;
        ierr = CMPI_WAIT_RAISED;
    }
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Imrecv(rm.addr, rm.count, rm.dtype, &msg, &reqs[0]);
    }
    if (ierr != MPI_SUCCESS && reqs[1] != MPI_REQUEST_NULL) {
        /* The send reads sm until it is done or cancelled; after a
         * truncated receive the other side is there to take it. */
        PyObject *exc = PyErr_GetRaisedException_compat();
        if (!too_large) {
            MPI_Cancel(&reqs[1]);
        }
        cmpi_wait_req(&reqs[1], MPI_STATUS_IGNORE, "comm.Sendrecv",
                      "dest=%d, tag=%d", dest, sendtag, self->ob_mpi);
        PyErr_Clear();
        PyErr_SetRaisedException_compat(exc);
    }
    if (ierr == MPI_SUCCESS) {
        ierr = cmpi_wait_reqs(2, reqs, ss, "comm.Sendrecv",
                              "dest=%d, source=%d", dest, source,
                              self->ob_mpi);
    }
    if (ierr == MPI_ERR_IN_STATUS) {
        ierr = ss[0].MPI_ERROR != MPI_SUCCESS ? ss[0].MPI_ERROR
                                              : ss[1].MPI_ERROR;
    }
    s = ss[0];
    if (ierr == MPI_SUCCESS) {
        cmpi_prof_p2p(CMPI_MSG_SEND, sm.count, sm.dtype, dest, sendtag);
        cmpi_prof_status(&s);
    }
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (a[6] != NULL && cmpi_status_store(self->st, a[6], &s) < 0) {
        return NULL;
    }
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
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("Sendrecv_replace", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_sendrecv_args(self, a[1], a[2], a[3], a[4], &dest, &sendtag,
                           &source, &recvtag) < 0 ||
        cmpi_status_check(self->st, a[5]) < 0) {
        return NULL;
    }
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_RECV,
                      dest != MPI_PROC_NULL ? dest : source) < 0) {
        return NULL;
    }
    MPI_Status s;
    cmpi_status_clear(&s);
    CMPI_NOGIL_CALL("Sendrecv_replace", self->ob_mpi,
                    ierr = MPI_Sendrecv_replace(m.addr, m.count, m.dtype, dest,
                                                sendtag, source, recvtag,
                                                self->ob_mpi, &s));
    cmpi_msg_release(&m);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (a[5] != NULL && cmpi_status_store(self->st, a[5], &s) < 0) {
        return NULL;
    }
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
    CMPI_COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_send_args(self, a[1], a[2], &dest, &tag) < 0) {
        return NULL;
    }
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_SEND, dest) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        cmpi_msg_release(&m);
        return NULL;
    }
    cmpi_prof_p2p(CMPI_MSG_SEND, m.count, m.dtype, dest, tag);
    int ierr = mpi_isend(m.addr, m.count, m.dtype, dest, tag, self->ob_mpi,
                         &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    cmpi_msg_give(r, &m); /* the request now owns the view */
    return (PyObject *)r;
}

CMPI_COMM_METHOD(Comm, Isend, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Nonblocking send.", isend_buf, MPI_Isend)

CMPI_COMM_METHOD(Comm, Issend, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Nonblocking send in synchronous mode.", isend_buf,
                 MPI_Issend)

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
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("Irecv", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_recv_args(self, a[1], a[2], &source, &tag) < 0) {
        return NULL;
    }
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_RECV, source) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        cmpi_msg_release(&m);
        return NULL;
    }
    /* Posted before its message is known: a message larger than the
     * buffer is the MPI library's to handle (Open MPI 4.1 writes past the
     * buffer, MPICH 4.0 does not; truncated receives, above). */
    cmpi_prof_p2p(CMPI_MSG_RECV, m.count, m.dtype, source, tag);
    int ierr = MPI_Irecv(m.addr, m.count, m.dtype, source, tag, self->ob_mpi,
                         &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    cmpi_msg_give(r, &m);
    return (PyObject *)r;
}

CMPI_COMM_METHOD(Comm, Bsend, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Blocking send in buffered mode.", send_buf, MPI_Ibsend)

CMPI_COMM_METHOD(Comm, Rsend, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Blocking send in ready mode.", send_buf, MPI_Irsend)

CMPI_COMM_METHOD(Comm, Ibsend, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Nonblocking send in buffered mode.", isend_buf, MPI_Ibsend)

CMPI_COMM_METHOD(Comm, Irsend, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Nonblocking send in ready mode.", isend_buf, MPI_Irsend)

typedef int (*mpi_send_init_fn)(const void *, int, MPI_Datatype, int, int,
                                MPI_Comm, MPI_Request *);

static PyObject *
send_init(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, const char *fname, mpi_send_init_fn fn)
{
    static const char *const kw[] = {"buf", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag;
    cmpi_msg m;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_send_args(self, a[1], a[2], &dest, &tag) < 0) {
        return NULL;
    }
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_SEND, dest) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_prequest_new(self->st);
    int ierr = r ? fn(m.addr, m.count, m.dtype, dest, tag, self->ob_mpi,
                      &r->ob_mpi)
                 : MPI_SUCCESS;
    if (r == NULL || ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_XDECREF(r);
        return r ? cmpi_raise(self->st, ierr) : NULL;
    }
    /* held for the request's whole life: every Start() reads it */
    cmpi_prof_p2p_keep(r, CMPI_MSG_SEND, m.count, m.dtype, dest, tag);
    cmpi_msg_give(r, &m);
    return (PyObject *)r;
}

CMPI_COMM_METHOD(Comm, Send_init, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Create a persistent request for a standard send.", send_init,
                 MPI_Send_init)

CMPI_COMM_METHOD(Comm, Bsend_init, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Persistent request for a send in buffered mode.", send_init,
                 MPI_Bsend_init)

CMPI_COMM_METHOD(Comm, Ssend_init, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Persistent request for a send in synchronous mode.",
                 send_init, MPI_Ssend_init)

CMPI_COMM_METHOD(Comm, Rsend_init, CMPI_DOC, "($self, buf, dest, tag=0)",
                 "Persistent request for a send in ready mode.", send_init,
                 MPI_Rsend_init)

CMPI_DOC(Comm_Recv_init_doc,
         "Recv_init($self, buf, source=cmpi.MPI.ANY_SOURCE, "
         "tag=cmpi.MPI.ANY_TAG)",
         "Create a persistent request for a receive.");
static PyObject *
Comm_Recv_init(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "source", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int source, tag;
    cmpi_msg m;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("Recv_init", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_recv_args(self, a[1], a[2], &source, &tag) < 0) {
        return NULL;
    }
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_RECV, source) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_prequest_new(self->st);
    /* as Irecv: a truncated message is the MPI library's to handle */
    int ierr = r ? MPI_Recv_init(m.addr, m.count, m.dtype, source, tag,
                                 self->ob_mpi, &r->ob_mpi)
                 : MPI_SUCCESS;
    if (r == NULL || ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_XDECREF(r);
        return r ? cmpi_raise(self->st, ierr) : NULL;
    }
    cmpi_prof_p2p_keep(r, CMPI_MSG_RECV, m.count, m.dtype, source, tag);
    cmpi_msg_give(r, &m);
    return (PyObject *)r;
}

/* Isendrecv and Isendrecv_replace are MPI-4: where the library is older,
 * they raise NotImplementedError naming the missing function. */
static PyObject *
cmpi_not_implemented(const char *what)
{
    int version = 0, subversion = 0;
    MPI_Get_version(&version, &subversion);
    PyErr_Format(PyExc_NotImplementedError,
                 "%s is not available in %s (it implements MPI %d.%d)", what,
                 cmpi_library_name(), version, subversion);
    return NULL;
}

/* The same for a method `name` ("Bcast_init") that stands for the MPI
 * function "MPI_" + name.  (Unused where the library has every function
 * that may be missing.) */
static CMPI_UNUSED PyObject *
cmpi_not_implemented_call(const char *name)
{
    char what[64];
    PyOS_snprintf(what, sizeof(what), "MPI_%s", name);
    return cmpi_not_implemented(what);
}

CMPI_DOC(Comm_Isendrecv_doc,
         "Isendrecv($self, sendbuf, dest, sendtag=0, recvbuf=None, "
         "source=cmpi.MPI.ANY_SOURCE, recvtag=cmpi.MPI.ANY_TAG)",
         "Nonblocking send and receive (MPI-4).");
static PyObject *
Comm_Isendrecv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"sendbuf", "dest",   "sendtag",
                                     "recvbuf", "source", "recvtag",
                                     NULL};
    PyObject *a[6] = {NULL};
    int dest, sendtag, source, recvtag;
    CMPI_COMM_CHECK(self);
    cmpi_msg sm, rm;
    if (cmpi_parse("Isendrecv", args, nargs, kwnames, kw, 2, a) < 0) {
        return NULL;
    }
    if (p2p_sendrecv_begin(self, a, &sm) < 0 ||
        cmpi_sendrecv_args(self, a[1], a[2], a[4], a[5], &dest, &sendtag,
                           &source, &recvtag) < 0) {
        cmpi_msg_release(&sm);
        return NULL;
    }
    if (p2p_msg_parse(self, a[3] ? a[3] : Py_None, &rm, CMPI_MSG_RECV,
                      source) < 0) {
        cmpi_msg_release(&sm);
        return NULL;
    }
#if CMPI_HAVE_ISENDRECV
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    int ierr = r ? MPI_Isendrecv(sm.addr, sm.count, sm.dtype, dest, sendtag,
                                 rm.addr, rm.count, rm.dtype, source, recvtag,
                                 self->ob_mpi, &r->ob_mpi)
                 : MPI_SUCCESS;
    if (r == NULL || ierr != MPI_SUCCESS) {
        cmpi_msg_release(&sm);
        cmpi_msg_release(&rm);
        Py_XDECREF(r);
        return r ? cmpi_raise(self->st, ierr) : NULL;
    }
    cmpi_msg_give(r, &sm);
    cmpi_msg_give(r, &rm);
    return (PyObject *)r;
#else
    /* the buffers were checked, as mpi4py does before the call */
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    return cmpi_not_implemented("MPI_Isendrecv");
#endif
}

CMPI_DOC(Comm_Isendrecv_replace_doc,
         "Isendrecv_replace($self, buf, dest, sendtag=0, "
         "source=cmpi.MPI.ANY_SOURCE, recvtag=cmpi.MPI.ANY_TAG)",
         "Nonblocking send and receive in one buffer (MPI-4).");
static PyObject *
Comm_Isendrecv_replace(CommObject *self, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"buf",    "dest",    "sendtag",
                                     "source", "recvtag", NULL};
    PyObject *a[5] = {NULL};
    int dest, sendtag, source, recvtag;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("Isendrecv_replace", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_sendrecv_args(self, a[1], a[2], a[3], a[4], &dest, &sendtag,
                           &source, &recvtag) < 0) {
        return NULL;
    }
    cmpi_msg m;
    if (p2p_msg_parse(self, a[0], &m, CMPI_MSG_RECV,
                      dest != MPI_PROC_NULL ? dest : source) < 0) {
        return NULL;
    }
#if CMPI_HAVE_ISENDRECV_REPLACE
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    int ierr = r ? MPI_Isendrecv_replace(m.addr, m.count, m.dtype, dest,
                                         sendtag, source, recvtag,
                                         self->ob_mpi, &r->ob_mpi)
                 : MPI_SUCCESS;
    if (r == NULL || ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_XDECREF(r);
        return r ? cmpi_raise(self->st, ierr) : NULL;
    }
    cmpi_msg_give(r, &m);
    return (PyObject *)r;
#else
    cmpi_msg_release(&m);
    return cmpi_not_implemented("MPI_Isendrecv_replace");
#endif
}

/* The buffer for buffered-mode sends: held (exported) while attached.
 * MPI's attached buffer is process state, like MPI's, so the export stays
 * outside the module state: clearing the module must not release memory
 * MPI still uses.  What Attach_buffer was given is st->bsend_object. */
static Py_buffer cmpi_bsend_buffer;

CMPI_DOC(Attach_buffer_doc, "Attach_buffer(buf)",
         "Attach a user-provided buffer for sending in buffered mode.");
static PyObject *
mod_Attach_buffer(PyObject *m, PyObject *buf)
{
    cmpi_state *st = cmpi_get_state(m);
    /* the argument is checked first, as mpi4py checks it (TypeError for
     * what is no buffer, even while one is attached): exported into a
     * scratch view while a buffer is attached (the export may point into
     * the view it fills, so the attached one is exported in place) */
    Py_buffer scratch;
    int attached = cmpi_bsend_buffer.obj != NULL;
    if (cmpi_get_buffer(buf, attached ? &scratch : &cmpi_bsend_buffer,
                        PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS) < 0) {
        return NULL;
    }
    if (attached) {
        PyBuffer_Release(&scratch);
        return cmpi_raise_msg(st, MPI_ERR_BUFFER,
                              "a buffer is already attached; "
                              "Detach_buffer() first");
    }
    int n;
    if (cmpi_size_to_int(cmpi_bsend_buffer.len, &n) < 0) {
        PyBuffer_Release(&cmpi_bsend_buffer);
        return NULL;
    }
    int ierr = MPI_Buffer_attach(cmpi_bsend_buffer.buf, n);
    if (ierr == MPI_SUCCESS) {
        Py_XSETREF(st->bsend_object, Py_NewRef(buf));
    }
    if (ierr != MPI_SUCCESS) {
        PyBuffer_Release(&cmpi_bsend_buffer);
        return cmpi_raise(st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(mod_Attach_buffer, PyObject, "Attach_buffer", "buf")

CMPI_DOC(Detach_buffer_doc, "Detach_buffer()",
         "Remove an existing attached buffer (waiting until the buffered "
         "messages are sent); return it.");
static PyObject *
mod_Detach_buffer(PyObject *m, PyObject *Py_UNUSED(a))
{
    cmpi_state *st = cmpi_get_state(m);
    void *addr = NULL;
    int size = 0, ierr;
    CMPI_NOGIL(ierr = MPI_Buffer_detach(&addr, &size));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    if (cmpi_bsend_buffer.obj == NULL) {
        Py_RETURN_NONE;
    }
    PyObject *obj = st->bsend_object != NULL
                            ? st->bsend_object
                            : Py_NewRef(cmpi_bsend_buffer.obj);
    st->bsend_object = NULL;
    PyBuffer_Release(&cmpi_bsend_buffer);
    return obj;
}

CMPI_DOC(Comm_Attach_buffer_doc, "Attach_buffer($self, buf)",
         "Attach a buffer for buffered-mode sends on this communicator "
         "(MPI-4.1).");
static PyObject *
Comm_Attach_buffer(CommObject *self, PyObject *buf)
{
    /* the buffer is checked as MPI.Attach_buffer checks it (mpi4py does
     * so before reaching the missing function); None is mpi4py's
     * BUFFER_AUTOMATIC */
    Py_buffer view;
    if (buf != Py_None && buf != self->st->BUFFER_AUTOMATIC) {
        if (cmpi_get_buffer(buf, &view,
                            PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS) < 0) {
            return NULL;
        }
        PyBuffer_Release(&view);
    }
    return cmpi_not_implemented("MPI_Comm_attach_buffer");
}

CMPI_ONE_ARG_KW(Comm_Attach_buffer, CommObject, "Attach_buffer", "buf")

CMPI_DOC(Comm_Detach_buffer_doc, "Detach_buffer($self)",
         "Remove the buffer attached to this communicator (MPI-4.1).");
static PyObject *
Comm_Detach_buffer(CommObject *Py_UNUSED(self), PyObject *Py_UNUSED(a))
{
    return cmpi_not_implemented("MPI_Comm_detach_buffer");
}

#define CMPI_P2P_MODULE_METHODS                                             \
    {"Attach_buffer", FN(mod_Attach_buffer_kw), FASTKW, Attach_buffer_doc}, \
            {"Detach_buffer", (PyCFunction)mod_Detach_buffer, METH_NOARGS,  \
             Detach_buffer_doc},

static PyObject *
probe_impl(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames, const char *fname, enum cmpi_probe_mode mode)
{
    static const char *const kw[] = {"source", "tag", "status", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int source, tag, flag = 1, ierr;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_recv_args(self, a[0], a[1], &source, &tag) < 0 ||
        cmpi_status_check(self->st, a[2]) < 0) {
        return NULL;
    }
    MPI_Status s;
    cmpi_status_clear(&s);
    if (mode == CMPI_PROBE_WAIT) {
        ierr = cmpi_wait_probe(source, tag, self->ob_mpi, NULL, &s, fname);
    }
    else {
        ierr = MPI_Iprobe(source, tag, self->ob_mpi, &flag, &s);
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (flag && a[2] != NULL && cmpi_status_store(self->st, a[2], &s) < 0) {
        return NULL;
    }
    return PyBool_FromLong(flag);
}

CMPI_COMM_METHOD(Comm, Probe, CMPI_DOC,
                 "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
                 "status=None)",
                 "Blocking test for a message.", probe_impl, CMPI_PROBE_WAIT)

CMPI_COMM_METHOD(Comm, Iprobe, CMPI_DOC,
                 "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
                 "status=None)",
                 "Nonblocking test for a message.", probe_impl,
                 CMPI_PROBE_TEST)

CMPI_COMM_METHOD(Comm, probe, CMPI_DOC,
                 "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
                 "status=None)",
                 "Blocking test for a message.", probe_impl, CMPI_PROBE_WAIT)

CMPI_COMM_METHOD(Comm, iprobe, CMPI_DOC,
                 "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
                 "status=None)",
                 "Nonblocking test for a message.", probe_impl,
                 CMPI_PROBE_TEST)

/* comm.c's Comm method table expands this. */
#define CMPI_P2P_BUF_METHODS                                                  \
    {"Send_init", FN(Comm_Send_init), FASTKW, Comm_Send_init_doc},            \
            {"Bsend_init", FN(Comm_Bsend_init), FASTKW, Comm_Bsend_init_doc}, \
            {"Ssend_init", FN(Comm_Ssend_init), FASTKW, Comm_Ssend_init_doc}, \
            {"Rsend_init", FN(Comm_Rsend_init), FASTKW, Comm_Rsend_init_doc}, \
            {"Recv_init", FN(Comm_Recv_init), FASTKW, Comm_Recv_init_doc},    \
            {"Bsend", FN(Comm_Bsend), FASTKW, Comm_Bsend_doc},                \
            {"Rsend", FN(Comm_Rsend), FASTKW, Comm_Rsend_doc},                \
            {"Ibsend", FN(Comm_Ibsend), FASTKW, Comm_Ibsend_doc},             \
            {"Irsend", FN(Comm_Irsend), FASTKW, Comm_Irsend_doc},             \
            {"Isendrecv", FN(Comm_Isendrecv), FASTKW, Comm_Isendrecv_doc},    \
            {"Isendrecv_replace", FN(Comm_Isendrecv_replace), FASTKW,         \
             Comm_Isendrecv_replace_doc},                                     \
            {"Attach_buffer", FN(Comm_Attach_buffer_kw), FASTKW,              \
             Comm_Attach_buffer_doc},                                         \
            {"Detach_buffer", (PyCFunction)Comm_Detach_buffer, METH_NOARGS,   \
             Comm_Detach_buffer_doc},                                         \
            {"Send", FN(Comm_Send), FASTKW, Comm_Send_doc},                   \
            {"Ssend", FN(Comm_Ssend), FASTKW, Comm_Ssend_doc},                \
            {"Recv", FN(Comm_Recv), FASTKW, Comm_Recv_doc},                   \
            {"Sendrecv", FN(Comm_Sendrecv), FASTKW, Comm_Sendrecv_doc},       \
            {"Sendrecv_replace", FN(Comm_Sendrecv_replace), FASTKW,           \
             Comm_Sendrecv_replace_doc},                                      \
            {"Isend", FN(Comm_Isend), FASTKW, Comm_Isend_doc},                \
            {"Issend", FN(Comm_Issend), FASTKW, Comm_Issend_doc},             \
            {"Irecv", FN(Comm_Irecv), FASTKW, Comm_Irecv_doc},                \
            {"Probe", FN(Comm_Probe), FASTKW, Comm_Probe_doc},                \
            {"Iprobe", FN(Comm_Iprobe), FASTKW, Comm_Iprobe_doc},             \
            {"probe", FN(Comm_probe), FASTKW, Comm_probe_doc},                \
            {"iprobe", FN(Comm_iprobe), FASTKW, Comm_iprobe_doc},
