/*
 * p2p_obj.c -- point-to-point communication of pickled Python objects on
 * a Comm: send, recv, sendrecv, their modes and nonblocking forms, the
 * envelope protocol of large objects, and the detached sends that carry
 * their pieces (waited for, boundedly, at Disconnect and at exit).
 *
 * Object receives size themselves by matched probe (MPI_Mprobe, then
 * MPI_Mrecv into a bytes object of exactly the message's size), so an
 * object of any size arrives whole.
 */
#include "cmpi.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/* Python objects
 *
 * A pickle of up to CMPI_OBJ_EAGER bytes, with no out-of-band buffers, is
 * sent as one message.  Anything else travels as an envelope on the
 * user's communicator and tag, announcing the pieces that follow on the
 * communicator's shadow (a private duplicate) under a tag unique to the
 * message: the pickle stream, then each out-of-band buffer (a NumPy
 * array's memory, sent from where it is).  The envelope:
 *
 *   0  "\0CMP"    (no pickle stream starts with a zero byte)
 *   4  int32      tag of the pieces on the shadow
 *   8  int32      number of out-of-band buffers, k
 *   16 int64      length of the pickle stream
 *   24 int64 * k  length of each buffer
 *
 * The envelope is matched like any message, in order; the pieces are then
 * received from the one source and tag it names, where no user receive
 * can take them.  So irecv() can post a real receive of CMPI_OBJ_EAGER
 * bytes, keeping MPI's matching order and progress, and still take an
 * object of any size.  The pieces are sent "detached" (below) before the
 * envelope, so their receives never wait on the sender. */

#define ENV_HEAD 24

typedef int (*mpi_send_fn)(const void *, int, MPI_Datatype, int, int,
                           MPI_Comm);
typedef int (*mpi_isend_fn)(const void *, int, MPI_Datatype, int, int,
                            MPI_Comm, MPI_Request *);

/* The send mode of a lowercase send (send, ssend, bsend, isend, ...):
 * which MPI send posts the message, and, for buffered mode, that the
 * object travels as one message (obj_send_start). */
enum obj_send_mode {
    OBJ_SEND_STANDARD,
    OBJ_SEND_SYNCHRONOUS,
    OBJ_SEND_BUFFERED
};

static inline mpi_isend_fn
obj_send_isend(enum obj_send_mode mode)
{
    switch (mode) {
        case OBJ_SEND_SYNCHRONOUS: return MPI_Issend;
        case OBJ_SEND_BUFFERED: return MPI_Ibsend;
        default: return MPI_Isend;
    }
}

/* Is this message an envelope?  Then give its number of buffers. */
static int
envelope_parse(const char *buf, Py_ssize_t count, int *ptag, int *nbuf,
               long long *plen)
{
    if (count < ENV_HEAD || memcmp(buf, "\0CMP", 4) != 0) {
        return 0;
    }
    memcpy(ptag, buf + 4, 4);
    memcpy(nbuf, buf + 8, 4);
    memcpy(plen, buf + 16, 8);
    return *nbuf >= 0 && count == ENV_HEAD + 8 * (Py_ssize_t)*nbuf;
}

/* The tag of the next pieces this process sends. */
static int
payload_tag(cmpi_state *st)
{
    /* 1..tag_ub: tag 0 is the collectives' (coll_obj.c) */
    st->payload_seq = st->payload_seq % (unsigned)st->tag_ub + 1;
    return (int)st->payload_seq;
}

/* n bytes as (count, datatype): MPI_BYTE up to 2**31-1, beyond that a
 * derived type (freed by the caller with cmpi_bytes_type_free) that covers
 * them, so no message has a size limit. */
static int
cmpi_bytes_type(long long n, int *count, MPI_Datatype *type)
{
    const long long chunk = 1LL << 30;
    if (n <= INT_MAX) {
        *count = (int)n;
        *type = MPI_BYTE;
        return MPI_SUCCESS;
    }
    MPI_Datatype block;
    int ierr = MPI_Type_contiguous((int)chunk, MPI_BYTE, &block);
    if (ierr != MPI_SUCCESS) {
        return ierr;
    }
    int q = (int)(n / chunk), r = (int)(n % chunk);
    if (r == 0) {
        ierr = MPI_Type_contiguous(q, block, type);
    }
    else {
        int lens[2] = {q, r};
        MPI_Aint displs[2] = {0, (MPI_Aint)(q * chunk)};
        MPI_Datatype types[2] = {block, MPI_BYTE};
        ierr = MPI_Type_create_struct(2, lens, displs, types, type);
    }
    MPI_Type_free(&block);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Type_commit(type);
    }
    *count = 1;
    return ierr;
}

static void
cmpi_bytes_type_free(MPI_Datatype *type)
{
    if (*type != MPI_BYTE) {
        MPI_Type_free(type);
    }
}

static int
cmpi_isend_bytes(const void *buf, long long n, int dest, int tag,
                 MPI_Comm comm, MPI_Request *req)
{
    int count;
    MPI_Datatype type;
    int ierr = cmpi_bytes_type(n, &count, &type);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Isend(buf, count, type, dest, tag, comm, req);
    }
    cmpi_bytes_type_free(&type);
    return ierr;
}

static int
cmpi_irecv_bytes(void *buf, long long n, int source, int tag, MPI_Comm comm,
                 MPI_Request *req)
{
    int count;
    MPI_Datatype type;
    int ierr = cmpi_bytes_type(n, &count, &type);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Irecv(buf, count, type, source, tag, comm, req);
    }
    cmpi_bytes_type_free(&type);
    return ierr;
}

/* Sends that the caller does not wait for: the pieces that follow an
 * envelope.  The sending call (send, isend, ...) completes with its
 * envelope; a piece's send is kept here until MPI completes it, with the
 * memory it reads from.  A sender so never waits for the receiver to come
 * back from Python and post the pieces' receives -- which, after an
 * irecv()/send() exchange, it might only do once its own send returned.
 * The pickled bytes are ours and the buffers are held, so returning early
 * is within MPI's semantics of a send.  Kept per process, like MPI's own
 * requests; waited for (a bounded time) before MPI_Finalize, and those of
 * a communicator before it is disconnected. */
struct detached_op {
    MPI_Request req;
    PyObject *keep; /* what the operation uses; CMPI_ORPHAN (below) */
    /* Where a piece goes, for Disconnect and the exit report: the user's
     * communicator (MPI_COMM_NULL for an orphan), its name when the piece
     * was sent (it may be freed by the time of the report), the user's
     * destination and tag, the message's own tag on the shadow (the
     * pieces of one object share it) and the piece's size. */
    MPI_Comm comm;
    char comm_name[MPI_MAX_OBJECT_NAME + 1];
    int dest, tag, ptag;
    long long bytes;
};

static struct {
    struct detached_op *ops;
    int n, cap;
} detached;

/* A request the user dropped while it was in flight (Request_dealloc).
 * It may never complete (a receive nobody sends to, a send nobody
 * receives), so at exit it is freed instead of waited for; its memory is
 * kept for good by the request. */

/* Forget the detached sends that have completed. */
static void
detached_reap(void)
{
    int j = 0;
    for (int i = 0; i < detached.n; i++) {
        int flag = 0;
        MPI_Test(&detached.ops[i].req, &flag, MPI_STATUS_IGNORE);
        if (flag) {
            if (detached.ops[i].keep != CMPI_ORPHAN) {
                Py_CLEAR(detached.ops[i].keep);
            }
            continue;
        }
        if (j != i) {
            detached.ops[j] = detached.ops[i];
        }
        j++;
    }
    detached.n = j;
}

/* Keep `op` (its keep a new reference, or CMPI_ORPHAN) until it
 * completes. */
static void
detached_push(const struct detached_op *op)
{
    /* Reap early: a completed send keeps its pickle alive until reaped. */
    if (detached.n >= 8) {
        detached_reap();
    }
    if (detached.n == detached.cap) {
        int cap = detached.cap ? 2 * detached.cap : 16;
        struct detached_op *ops =
                PyMem_Realloc(detached.ops, sizeof(*ops) * cap);
        if (ops == NULL) {
            /* Cannot track it: wait for it here instead. */
            MPI_Request req = op->req;
            CMPI_NOGIL(MPI_Wait(&req, MPI_STATUS_IGNORE));
            if (op->keep != CMPI_ORPHAN) {
                Py_DECREF(op->keep);
            }
            return;
        }
        detached.ops = ops;
        detached.cap = cap;
    }
    detached.ops[detached.n++] = *op;
}

static void
cmpi_detached_add(MPI_Request req, PyObject *keep)
{
    struct detached_op op = {
            .req = req,
            .keep = keep == CMPI_ORPHAN ? keep : Py_NewRef(keep),
            .comm = MPI_COMM_NULL};
    detached_push(&op);
}

/* A piece of the object `self` sends to `dest` under `tag`. */
static void
detached_add_piece(CommObject *self, MPI_Request req, PyObject *keep, int dest,
                   int tag, int ptag, long long bytes)
{
    struct detached_op op = {.req = req,
                             .keep = Py_NewRef(keep),
                             .comm = self->ob_mpi,
                             .dest = dest,
                             .tag = tag,
                             .ptag = ptag,
                             .bytes = bytes};
    cmpi_comm_label(self->ob_mpi, op.comm_name, sizeof(op.comm_name));
    detached_push(&op);
}

/* Wait for the detached sends of `comm` (before it is disconnected: Open
 * MPI disconnects in a runtime fence that does not progress them), not
 * for those of other communicators, which may never be received.  The
 * wait polls (wait.c), so Ctrl-C and the hang timeout reach it; then the
 * sends not yet complete stay detached.  Returns 0, or -1 with an
 * exception set. */
static int
cmpi_detached_wait_comm(cmpi_state *st, MPI_Comm comm, const char *call)
{
    int m = 0;
    /* MPI_Comm_disconnect waits for every request of the communicator
     * not freed: those Request.Free kept go now. */
    cmpi_request_free_kept(1);
    for (int i = 0; i < detached.n; i++) {
        m += detached.ops[i].keep != CMPI_ORPHAN &&
             detached.ops[i].comm == comm;
    }
    if (m == 0) {
        return 0;
    }
    /* Taken out of the list while waiting without the GIL, where another
     * thread's send may reap or grow it. */
    struct detached_op *mine = PyMem_Malloc(sizeof(*mine) * m);
    MPI_Request *reqs = PyMem_Malloc(sizeof(*reqs) * m);
    if (mine == NULL || reqs == NULL) {
        PyMem_Free(mine);
        PyMem_Free(reqs);
        PyErr_NoMemory();
        return -1;
    }
    int j = 0, k = 0;
    for (int i = 0; i < detached.n; i++) {
        if (detached.ops[i].keep != CMPI_ORPHAN &&
            detached.ops[i].comm == comm) {
            reqs[k] = detached.ops[i].req;
            mine[k++] = detached.ops[i];
        }
        else {
            detached.ops[j++] = detached.ops[i];
        }
    }
    detached.n = j;
    cmpi_wait_t w = {.mode = CMPI_WAIT_ALL,
                     .n = m,
                     .reqs = reqs,
                     .status = MPI_STATUSES_IGNORE,
                     .on_interrupt = CMPI_INT_RETURN,
                     .comm = comm,
                     .call = call};
    int ierr = cmpi_wait(&w);
    for (k = 0; k < m; k++) {
        if (reqs[k] == MPI_REQUEST_NULL) {
            Py_CLEAR(mine[k].keep);
        }
        else {
            mine[k].req = reqs[k];
            detached_push(&mine[k]);
        }
    }
    PyMem_Free(mine);
    PyMem_Free(reqs);
    if (ierr == CMPI_WAIT_RAISED) {
        return -1;
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        return -1;
    }
    return 0;
}

/* How long the detached sends get at exit (CMPI_EXIT_WAIT, seconds):
 * long enough for a receiver that is about to take them, short enough
 * that a job whose receiver never comes still ends.  "inf" waits as long
 * as it takes. */
#define DETACHED_EXIT_WAIT 5.0

static double
detached_exit_wait(int rank)
{
    const char *text = getenv("CMPI_EXIT_WAIT");
    if (text == NULL || *text == '\0') {
        return DETACHED_EXIT_WAIT;
    }
    char *end = NULL;
    double seconds = strtod(text, &end);
    while (end != NULL && *end == ' ') {
        end++;
    }
    if (end == text || *end != '\0' || !(seconds >= 0)) {
        fprintf(stderr,
                "[rank %d] cmpi: CMPI_EXIT_WAIT=%s is not a number of "
                "seconds >= 0 (or inf); waiting %g s\n",
                rank, text, DETACHED_EXIT_WAIT);
        return DETACHED_EXIT_WAIT;
    }
    return seconds;
}

/* Poll ops[0..n) until each has completed (then its request is
 * MPI_REQUEST_NULL) or `seconds` have passed; how many are left.  Needs
 * no GIL. */
static int
detached_poll(struct detached_op *ops, int n, double seconds)
{
    const double deadline = MPI_Wtime() + seconds;
    for (;;) {
        int left = 0;
        for (int i = 0; i < n; i++) {
            if (ops[i].req == MPI_REQUEST_NULL) {
                continue;
            }
            int flag = 0;
            if (MPI_Test(&ops[i].req, &flag, MPI_STATUS_IGNORE) !=
                MPI_SUCCESS) {
                /* a failed send will not complete: nothing to wait for */
                ops[i].req = MPI_REQUEST_NULL;
            }
            else if (!flag) {
                left++;
            }
        }
        if (left == 0 || MPI_Wtime() >= deadline) {
            return left;
        }
        sched_yield();
    }
}

/* Does this MPI library's MPI_Finalize return with a freed send that is
 * never received?  Open MPI 4.1's and 5.0's do, and still deliver it to a
 * receiver that comes later.  MPICH 4.0's (UCX) may wait for it forever:
 * it flushes the connection to a peer that sits in the finalize barrier
 * and no longer progresses (MPI_Cancel does not cancel the send either).
 * Skipping it has a price there: when a rank ends without MPI_Finalize,
 * MPICH's launcher ends every other rank of the job, those waiting in the
 * finalize barrier and those still working alike, and reports status 0
 * or the one of a rank it ended. */
static int
detached_finalize_returns(void)
{
#if defined(MPI_ABI_VERSION)
    return strcmp(cmpi_abi_vendor(NULL), "Open MPI") == 0;
#elif defined(OPEN_MPI)
    return 1;
#else
    return 0;
#endif
}

/* The exit report: one line per object whose pieces are still pending
 * (its pieces are consecutive and share their tag on the shadow). */
static void
detached_exit_report(const struct detached_op *ops, int n, int rank,
                     double waited, int finalize)
{
    int objects = 0;
    for (int i = 0; i < n; i++) {
        if (ops[i].req != MPI_REQUEST_NULL &&
            !(i > 0 && ops[i - 1].req != MPI_REQUEST_NULL &&
              ops[i - 1].ptag == ops[i].ptag)) {
            objects++;
        }
    }
    fprintf(stderr,
            "[rank %d] cmpi: %d object send%s not received after %g s at "
            "exit (CMPI_EXIT_WAIT); not waiting longer%s:\n",
            rank, objects, objects == 1 ? "" : "s", waited,
            finalize ? " (MPI_Finalize still delivers to a late receiver)"
                     : " (nor calling MPI_Finalize, which would wait for "
                       "them forever with this MPI library)");
    int shown = 0;
    for (int i = 0; i < n;) {
        if (ops[i].req == MPI_REQUEST_NULL) {
            i++;
            continue;
        }
        long long bytes = 0;
        int j = i;
        for (; j < n && ops[j].req != MPI_REQUEST_NULL &&
               ops[j].ptag == ops[i].ptag;
             j++) {
            bytes += ops[j].bytes;
        }
        if (shown++ < 10) {
            fprintf(stderr,
                    "[rank %d] cmpi:   to rank %d, tag %d, on %s: %lld "
                    "bytes\n",
                    rank, ops[i].dest, ops[i].tag, ops[i].comm_name, bytes);
        }
        i = j;
    }
    if (shown > 10) {
        fprintf(stderr, "[rank %d] cmpi:   ... and %d more\n", rank,
                shown - 10);
    }
    fflush(stderr);
}

/* Before MPI_Finalize: wait for the detached sends, at most
 * CMPI_EXIT_WAIT seconds, so that a job whose receiver never comes still
 * ends.  Those still pending then are reported and freed.  Returns 1 when
 * MPI_Finalize must not be called (detached_finalize_returns: the job
 * then ends without it, as the launchers of MPICH accept), else 0.
 * Orphans are freed without waiting: they may be receives.  The memory of
 * a freed send is kept for good; without the GIL (at interpreter exit)
 * all of it is left to the process's end. */
static int
cmpi_detached_complete(enum cmpi_gil gil)
{
    /* The whole list, taken: a thread that sends while this one waits
     * without the GIL starts a new one. */
    struct detached_op *ops = detached.ops;
    int n = detached.n, skip_finalize = 0;
    detached.ops = NULL;
    detached.n = detached.cap = 0;
    cmpi_request_free_kept(0);
    for (int i = 0; i < n; i++) {
        if (ops[i].keep != CMPI_ORPHAN) {
            continue;
        }
        int flag = 0;
        MPI_Test(&ops[i].req, &flag, MPI_STATUS_IGNORE);
        if (!flag) {
            MPI_Request_free(&ops[i].req);
        }
        ops[i].req = MPI_REQUEST_NULL;
        ops[i].keep = NULL;
    }
    int rank = 0, left = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* CMPI_EXIT_WAIT is read (and a bad value reported) only by a rank
     * that has sends to wait for: the other ranks have nothing to say. */
    double seconds = n > 0 ? detached_exit_wait(rank) : 0.0;
    if (gil == CMPI_WITH_GIL) {
        CMPI_NOGIL(left = detached_poll(ops, n, seconds));
    }
    else {
        left = detached_poll(ops, n, seconds);
    }
    if (left > 0) {
        skip_finalize = !detached_finalize_returns();
        detached_exit_report(ops, n, rank, seconds, !skip_finalize);
        for (int i = 0; i < n; i++) {
            if (ops[i].req != MPI_REQUEST_NULL) {
                MPI_Request_free(&ops[i].req);
                ops[i].keep = NULL; /* MPI may still read it: kept */
            }
        }
    }
    if (gil == CMPI_WITH_GIL) {
        for (int i = 0; i < n; i++) {
            Py_CLEAR(ops[i].keep);
        }
        PyMem_Free(ops);
    }
    return skip_finalize;
}

/* Buffered mode sends the whole stream as one message: it must fit the
 * attached buffer (ERR_BUFFER now if not), and it completes locally,
 * which pieces sent in standard mode would not.  Nor can a communicator
 * cmpi did not create (no shadow for the pieces) take them. */
static inline int
obj_send_whole(CommObject *self, enum obj_send_mode mode)
{
    return self->shadow == MPI_COMM_NULL || mode == OBJ_SEND_BUFFERED;
}

static int
obj_send_data(CommObject *self, PyObject *data, PyObject *buffers, int dest,
              int tag, enum obj_send_mode mode, MPI_Request *req,
              PyObject **keep);

/* Start sending `obj`: pickle it, and post one send -- the message itself,
 * or the envelope after its pieces went out detached.  *req is the
 * caller's to wait for; *keep the memory it reads until then. */
static int
obj_send_start(CommObject *self, PyObject *obj, int dest, int tag,
               enum obj_send_mode mode, MPI_Request *req, PyObject **keep)
{
    PyObject *buffers = NULL;
    PyObject *data = cmpi_dumps_oob(
            self->st, obj, obj_send_whole(self, mode) ? NULL : &buffers);
    if (data == NULL) {
        *req = MPI_REQUEST_NULL;
        *keep = NULL;
        return -1;
    }
    return obj_send_data(self, data, buffers, dest, tag, mode, req, keep);
}

/* obj_send_start's sending, of the pickle `data` and its out-of-band
 * `buffers` (or NULL), both of which it takes. */
static int
obj_send_data(CommObject *self, PyObject *data, PyObject *buffers, int dest,
              int tag, enum obj_send_mode mode, MPI_Request *req,
              PyObject **keep)
{
    cmpi_state *st = self->st;
    PyObject *env = NULL;
    int ierr = MPI_SUCCESS, ptag = 0;
    *req = MPI_REQUEST_NULL;
    *keep = NULL;
    mpi_isend_fn mpi_isend = obj_send_isend(mode);
    int whole = obj_send_whole(self, mode);
    Py_ssize_t n = PyBytes_GET_SIZE(data);
    cmpi_prof_peer(dest, tag);
    cmpi_prof_bytes(n, 0);
    if (buffers == NULL && (n <= CMPI_OBJ_EAGER || whole)) {
        int count;
        if (cmpi_size_to_int(n, &count) < 0) {
            goto error;
        }
        ierr = mpi_isend(PyBytes_AS_STRING(data), count, MPI_BYTE, dest, tag,
                         self->ob_mpi, req);
        if (ierr != MPI_SUCCESS) {
            goto mpierror;
        }
        *keep = data;
        return 0;
    }
    /* The pieces of earlier sends are usually done by now: let go of
     * their memory (a pickle stream may be large) before holding more, so
     * that what is held stays within the sends still in flight. */
    if (detached.n > 0) {
        detached_reap();
    }
    int nbuf = buffers ? (int)PyList_GET_SIZE(buffers) : 0;
    env = PyBytes_FromStringAndSize(NULL, ENV_HEAD + 8 * (Py_ssize_t)nbuf);
    if (env == NULL) {
        goto error;
    }
    char *e = PyBytes_AS_STRING(env);
    long long plen = n;
    ptag = payload_tag(st);
    memset(e, 0, ENV_HEAD);
    memcpy(e, "\0CMP", 4);
    memcpy(e + 4, &ptag, 4);
    memcpy(e + 8, &nbuf, 4);
    memcpy(e + 16, &plen, 8);
    MPI_Request piece;
    ierr = cmpi_isend_bytes(PyBytes_AS_STRING(data), n, dest, ptag,
                            self->shadow, &piece);
    if (ierr != MPI_SUCCESS) {
        goto mpierror;
    }
    detached_add_piece(self, piece, data, dest, tag, ptag, n);
    for (int i = 0; i < nbuf; i++) {
        /* A memoryview holds the buffer exported while the send reads. */
        PyObject *mv = PyMemoryView_FromObject(PyList_GET_ITEM(buffers, i));
        if (mv == NULL) {
            goto error;
        }
        Py_buffer *v = PyMemoryView_GET_BUFFER(mv);
        long long blen = v->len;
        cmpi_prof_bytes(blen, 0);
        memcpy(e + ENV_HEAD + 8 * i, &blen, 8);
        ierr = cmpi_isend_bytes(v->buf, blen, dest, ptag, self->shadow,
                                &piece);
        if (ierr == MPI_SUCCESS) {
            detached_add_piece(self, piece, mv, dest, tag, ptag, blen);
        }
        Py_DECREF(mv);
        if (ierr != MPI_SUCCESS) {
            goto mpierror;
        }
    }
    ierr = mpi_isend(e, (int)PyBytes_GET_SIZE(env), MPI_BYTE, dest, tag,
                     self->ob_mpi, req);
    if (ierr != MPI_SUCCESS) {
        goto mpierror;
    }
    *keep = env;
    Py_DECREF(data);
    Py_XDECREF(buffers);
    return 0;
mpierror:
    cmpi_raise(st, ierr);
error:
    Py_XDECREF(env);
    Py_XDECREF(buffers);
    Py_DECREF(data);
    return -1;
}

static PyObject *
obj_from_envelope(cmpi_state *st, MPI_Comm shadow, const char *buf,
                  const MPI_Status *s, int ptag, int nbuf, long long plen);

/* The message in buf[0:count] arrived with status s on a communicator
 * whose shadow is `shadow`: unpickle it, or receive and unpickle the
 * pieces its envelope announces. */
static PyObject *
cmpi_obj_from_message(cmpi_state *st, MPI_Comm shadow, const char *buf,
                      Py_ssize_t count, const MPI_Status *s)
{
    int ptag, nbuf;
    long long plen;
    if (count <= 0 || s->MPI_SOURCE == MPI_PROC_NULL) {
        return Py_NewRef(Py_None);
    }
    if (!envelope_parse(buf, count, &ptag, &nbuf, &plen)) {
        cmpi_prof_bytes(0, count);
        return cmpi_loads(st, buf, count);
    }
    return obj_from_envelope(st, shadow, buf, s, ptag, nbuf, plen);
}

/* The same, for a message received into a bytes object of its exact
 * size: unpickled from the bytes themselves, without a view. */
static PyObject *
cmpi_obj_from_bytes(cmpi_state *st, MPI_Comm shadow, PyObject *bytes,
                    const MPI_Status *s)
{
    const char *buf = PyBytes_AS_STRING(bytes);
    Py_ssize_t count = PyBytes_GET_SIZE(bytes);
    int ptag, nbuf;
    long long plen;
    if (count <= 0 || s->MPI_SOURCE == MPI_PROC_NULL) {
        return Py_NewRef(Py_None);
    }
    if (!envelope_parse(buf, count, &ptag, &nbuf, &plen)) {
        cmpi_prof_bytes(0, count);
        return cmpi_loads_bytes(st, bytes);
    }
    return obj_from_envelope(st, shadow, buf, s, ptag, nbuf, plen);
}

/* Receive and unpickle the pieces an envelope announces. */
static PyObject *
obj_from_envelope(cmpi_state *st, MPI_Comm shadow, const char *buf,
                  const MPI_Status *s, int ptag, int nbuf, long long plen)
{
    int ierr = MPI_SUCCESS;
    if (shadow == MPI_COMM_NULL) {
        return cmpi_raise_msg(st, MPI_ERR_COMM,
                              "received a large-object envelope on a "
                              "communicator cmpi did not create");
    }
    PyObject *stream = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)plen);
    PyObject *buffers = nbuf ? PyList_New(nbuf) : NULL;
    MPI_Request *reqs = PyMem_New(MPI_Request, nbuf + 1);
    PyObject *obj = NULL;
    int posted = 0;
    if (stream == NULL || (nbuf && buffers == NULL) || reqs == NULL) {
        if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        goto done;
    }
    cmpi_prof_bytes(0, plen);
    ierr = cmpi_irecv_bytes(PyBytes_AS_STRING(stream), plen, s->MPI_SOURCE,
                            ptag, shadow, &reqs[posted]);
    if (ierr == MPI_SUCCESS) {
        posted++;
    }
    for (int i = 0; i < nbuf && ierr == MPI_SUCCESS; i++) {
        long long blen;
        memcpy(&blen, buf + ENV_HEAD + 8 * i, 8);
        cmpi_prof_bytes(0, blen);
        /* The unpickled object owns this memory: no copy on this side. */
        char *mem;
        PyObject *b = cmpi_oob_recv_buffer(st, (Py_ssize_t)blen, &mem);
        if (b == NULL) {
            break;
        }
        PyList_SET_ITEM(buffers, i, b);
        ierr = cmpi_irecv_bytes(mem, blen, s->MPI_SOURCE, ptag, shadow,
                                &reqs[posted]);
        if (ierr == MPI_SUCCESS) {
            posted++;
        }
    }
    /* The pieces were sent before the envelope: this wait is only the
     * transfer, never a wait for the sender. */
    if (posted > 0) {
        PyObject *exc = PyErr_GetRaisedException_compat();
        int rc = cmpi_wait_reqs(posted, reqs, MPI_STATUSES_IGNORE,
                                "comm.recv (large object's payload)", NULL, 0,
                                0, shadow);
        if (exc != NULL) {
            PyErr_Clear();
            PyErr_SetRaisedException_compat(exc);
        }
        if (ierr == MPI_SUCCESS) {
            ierr = rc;
        }
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        goto done;
    }
    if (PyErr_Occurred()) {
        goto done;
    }
    obj = cmpi_loads_oob(st, PyBytes_AS_STRING(stream), (Py_ssize_t)plen,
                         buffers);
done:
    PyMem_Free(reqs);
    Py_XDECREF(stream);
    Py_XDECREF(buffers);
    return obj;
}

/* send_obj's start of a codec message m that goes as one message; m is
 * released here if that fails, else by the caller once the send is done. */
static int
objmsg_send_start(CommObject *self, cmpi_objmsg *m, int dest, int tag,
                  enum obj_send_mode mode, MPI_Request *req)
{
    int count;
    *req = MPI_REQUEST_NULL;
    if (cmpi_size_to_int(m->len, &count) < 0) {
        cmpi_objmsg_release(m);
        return -1;
    }
    cmpi_prof_peer(dest, tag);
    cmpi_prof_bytes(m->len, 0);
    int ierr = obj_send_isend(mode)(m->buf, count, MPI_BYTE, dest, tag,
                                    self->ob_mpi, req);
    if (ierr != MPI_SUCCESS) {
        cmpi_objmsg_release(m);
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

static PyObject *
send_obj(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames, const char *fname, enum obj_send_mode mode)
{
    static const char *const kw[] = {"obj", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag, ierr;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_send_args(self, a[1], a[2], &dest, &tag) < 0) {
        return NULL;
    }
    if (dest == MPI_PROC_NULL) {
        Py_RETURN_NONE;
    }
    MPI_Request req;
    PyObject *keep = NULL;
    cmpi_objmsg m;
    int sent_m = 0; /* m holds the message (not keep) */
    Py_ssize_t threshold;
    if (cmpi_pickle_uses_codec(self->st, &threshold)) {
        /* The codec's message goes out from this frame's memory, which
         * outlives the send: the wait below returns only once the send
         * is done or cancelled (cmpi_wait_req). */
        int r = cmpi_objcodec_encode_msg(self->st, a[0], threshold, &m);
        if (r < 0) {
            return NULL;
        }
        if (r > 0 && (m.len <= CMPI_OBJ_EAGER || obj_send_whole(self, mode))) {
            if (objmsg_send_start(self, &m, dest, tag, mode, &req) < 0) {
                return NULL;
            }
            sent_m = 1;
        }
        else if (r > 0) { /* large: in pieces, as a pickle's stream */
            PyObject *data = PyBytes_FromStringAndSize(m.buf, m.len);
            cmpi_objmsg_release(&m);
            if (data == NULL || obj_send_data(self, data, NULL, dest, tag,
                                              mode, &req, &keep) < 0) {
                return NULL;
            }
        }
        else if (obj_send_start(self, a[0], dest, tag, mode, &req, &keep) <
                 0) {
            return NULL;
        }
    }
    else if (obj_send_start(self, a[0], dest, tag, mode, &req, &keep) < 0) {
        return NULL;
    }
    /* An eager send is done at the first test: then the GIL is never
     * released. */
    ierr = cmpi_wait_req(&req, MPI_STATUS_IGNORE, fname, "dest=%d, tag=%d",
                         dest, tag, self->ob_mpi);
    if (sent_m) {
        cmpi_objmsg_release(&m);
    }
    else {
        Py_DECREF(keep);
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_COMM_METHOD(Comm, send, CMPI_DOC, "($self, obj, dest, tag=0)",
                 "Send in standard mode.", send_obj, OBJ_SEND_STANDARD)

CMPI_COMM_METHOD(Comm, ssend, CMPI_DOC, "($self, obj, dest, tag=0)",
                 "Send in synchronous mode.", send_obj, OBJ_SEND_SYNCHRONOUS)

CMPI_COMM_METHOD(Comm, bsend, CMPI_DOC, "($self, obj, dest, tag=0)",
                 "Send in buffered mode (the buffer given to Attach_buffer).",
                 send_obj, OBJ_SEND_BUFFERED)

/* recv_obj_probed's receive of a small message: into this frame's
 * memory, and a codec message decoded from there, without a bytes object
 * made and freed per message.  Anything else is copied into bytes first:
 * a pickle's loads (the user's own, maybe) may keep what it was given. */
static PyObject *
recv_obj_small(CommObject *self, MPI_Message *msg, int count, MPI_Status *s)
{
    char buf[CMPI_OBJMSG_STACK];
    int ierr = MPI_Mrecv(buf, count, MPI_BYTE, msg, s);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_state *st = self->st;
    if (count > 0 && s->MPI_SOURCE != MPI_PROC_NULL &&
        cmpi_pickle_loads_is_standard(st) &&
        cmpi_objcodec_is_message(buf, count)) {
        cmpi_prof_bytes(0, count);
        return cmpi_objcodec_decode(st, buf, count);
    }
    PyObject *bytes = PyBytes_FromStringAndSize(buf, count);
    if (bytes == NULL) {
        return NULL;
    }
    PyObject *obj = cmpi_obj_from_bytes(st, self->shadow, bytes, s);
    Py_DECREF(bytes);
    return obj;
}

/* Receive one pickled object matching (source, tag): probe for its size,
 * allocate exactly that, receive, unpickle. */
static PyObject *
recv_obj_probed(CommObject *self, int source, int tag, MPI_Status *s)
{
    MPI_Message msg;
    MPI_Status probe;
    cmpi_status_clear(&probe);
    int ierr, count = 0, found = 0;
    /* A message already there is taken without releasing the GIL. */
    ierr = MPI_Improbe(source, tag, self->ob_mpi, &found, &msg, &probe);
    if (ierr == MPI_SUCCESS && !found) {
        ierr = cmpi_wait_probe(source, tag, self->ob_mpi, &msg, &probe,
                               "comm.recv");
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    ierr = cmpi_status_bytes(&probe, &count);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (count >= 0 && count <= CMPI_OBJMSG_STACK) {
        return recv_obj_small(self, &msg, count, s);
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, count);
    if (bytes == NULL) {
        return NULL;
    }
    char *buf = PyBytes_AS_STRING(bytes);
    if (count > 65536) {
        CMPI_NOGIL_CALL("recv", MPI_COMM_NULL,
                        ierr = MPI_Mrecv(buf, count, MPI_BYTE, &msg, s));
    }
    else {
        ierr = MPI_Mrecv(buf, count, MPI_BYTE, &msg, s);
    }
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(bytes);
        return cmpi_raise(self->st, ierr);
    }
    PyObject *obj = cmpi_obj_from_bytes(self->st, self->shadow, bytes, s);
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
    /* as mpi4py 4 */
    if (PyErr_WarnEx(PyExc_UserWarning, "the 'buf' argument is deprecated",
                     1) < 0) {
        return NULL;
    }
    /* a size (mpi4py allocates that much): any size is received here */
    if (PyLong_Check(buf)) {
        return recv_obj_probed(self, source, tag, s);
    }
    if (PyObject_GetBuffer(buf, &view, PyBUF_WRITABLE | PyBUF_ANY_CONTIGUOUS) <
        0) {
        return NULL;
    }
    if (cmpi_size_to_int(view.len, &n) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    /* matched before it is received: its size is checked (truncated
     * receives) */
    MPI_Message msg;
    MPI_Request req;
    MPI_Count nbytes = 0, cap = 0;
    int found = 0;
    ierr = MPI_Improbe(source, tag, self->ob_mpi, &found, &msg, s);
    if (ierr == MPI_SUCCESS && !found) {
        ierr = cmpi_wait_probe(source, tag, self->ob_mpi, &msg, s,
                               "comm.recv");
    }
    if (ierr == MPI_SUCCESS &&
        !cmpi_recv_fits(n, MPI_BYTE, s, &nbytes, &cap)) {
        cmpi_recv_truncated(self->st, view.buf, n, MPI_BYTE, &msg, nbytes, cap,
                            "comm.recv", self->ob_mpi);
        PyBuffer_Release(&view);
        return NULL;
    }
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Imrecv(view.buf, n, MPI_BYTE, &msg, &req);
    }
    if (ierr == MPI_SUCCESS) {
        ierr = cmpi_wait_req(&req, s, "comm.recv", "source=%d, tag=%d", source,
                             tag, self->ob_mpi);
    }
    if (ierr != MPI_SUCCESS) {
        PyBuffer_Release(&view);
        return cmpi_raise(self->st, ierr);
    }
    cmpi_status_bytes(s, &count);
    PyObject *obj =
            cmpi_obj_from_message(self->st, self->shadow, view.buf, count, s);
    PyBuffer_Release(&view);
    return obj;
}

CMPI_DOC(Comm_recv_doc,
         "recv($self, buf=None, source=cmpi.MPI.ANY_SOURCE, "
         "tag=cmpi.MPI.ANY_TAG, status=None)",
         "Receive a Python object; its size need not be known.");
static PyObject *
Comm_recv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "source", "tag", "status", NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int source, tag;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("recv", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_recv_args(self, a[1], a[2], &source, &tag) < 0 ||
        cmpi_status_check(self->st, a[3]) < 0) {
        return NULL;
    }
    MPI_Status s;
    cmpi_status_clear(&s);
    PyObject *obj;
    if (a[0] == NULL || a[0] == Py_None) {
        obj = recv_obj_probed(self, source, tag, &s);
    }
    else {
        obj = recv_obj_into(self, a[0], source, tag, &s);
    }
    if (obj == NULL) {
        return NULL;
    }
    cmpi_prof_peer(s.MPI_SOURCE, s.MPI_TAG);
    if (a[3] != NULL && cmpi_status_store(self->st, a[3], &s) < 0) {
        Py_DECREF(obj);
        return NULL;
    }
    return obj;
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
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("sendrecv", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_sendrecv_args(self, a[1], a[2], a[4], a[5], &dest, &sendtag,
                           &source, &recvtag) < 0 ||
        cmpi_status_check(self->st, a[6]) < 0) {
        return NULL;
    }
    PyObject *keep = NULL, *obj = NULL;
    MPI_Request sreq = MPI_REQUEST_NULL;
    MPI_Status s;
    cmpi_status_clear(&s);
    /* Post the send first: both sides can then receive without waiting
     * for each other, whatever the message sizes. */
    if (dest != MPI_PROC_NULL &&
        obj_send_start(self, a[0], dest, sendtag, OBJ_SEND_STANDARD, &sreq,
                       &keep) < 0) {
        return NULL;
    }
    if (a[3] == NULL || a[3] == Py_None) {
        obj = recv_obj_probed(self, source, recvtag, &s);
    }
    else {
        obj = recv_obj_into(self, a[3], source, recvtag, &s);
    }
    if (obj == NULL) {
        /* The send reads `keep` until it is done or cancelled.  Cancelled
         * first, as Sendrecv's: MPICH completes a send to this same
         * process only once it is matched, so an interrupted receive
         * would leave the call waiting for good. */
        PyObject *exc = PyErr_GetRaisedException_compat();
        if (sreq != MPI_REQUEST_NULL) {
            MPI_Cancel(&sreq);
        }
        cmpi_wait_req(&sreq, MPI_STATUS_IGNORE, "comm.sendrecv",
                      "dest=%d, tag=%d", dest, sendtag, self->ob_mpi);
        PyErr_Clear();
        PyErr_SetRaisedException_compat(exc);
        Py_XDECREF(keep);
        return NULL;
    }
    ierr = cmpi_wait_req(&sreq, MPI_STATUS_IGNORE, "comm.sendrecv",
                         "dest=%d, tag=%d", dest, sendtag, self->ob_mpi);
    Py_XDECREF(keep);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(obj);
        return cmpi_raise(self->st, ierr);
    }
    if (a[6] != NULL && cmpi_status_store(self->st, a[6], &s) < 0) {
        Py_DECREF(obj);
        return NULL;
    }
    return obj;
}

static PyObject *
isend_obj(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, const char *fname, enum obj_send_mode mode)
{
    static const char *const kw[] = {"obj", "dest", "tag", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int dest, tag;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_send_args(self, a[1], a[2], &dest, &tag) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_OBJ_SEND);
    if (r == NULL) {
        return NULL;
    }
    if (dest == MPI_PROC_NULL) {
        /* an active request that completes at once, as MPI makes one */
        int ierr = obj_send_isend(mode)(NULL, 0, MPI_BYTE, MPI_PROC_NULL, tag,
                                        self->ob_mpi, &r->ob_mpi);
        if (ierr != MPI_SUCCESS) {
            Py_DECREF(r);
            return cmpi_raise(self->st, ierr);
        }
        return (PyObject *)r;
    }
    if (obj_send_start(self, a[0], dest, tag, mode, &r->ob_mpi, &r->keep) <
        0) {
        Py_DECREF(r);
        return NULL;
    }
    return (PyObject *)r;
}

CMPI_COMM_METHOD(Comm, isend, CMPI_DOC, "($self, obj, dest, tag=0)",
                 "Nonblocking send of a Python object.", isend_obj,
                 OBJ_SEND_STANDARD)

CMPI_COMM_METHOD(Comm, issend, CMPI_DOC, "($self, obj, dest, tag=0)",
                 "Nonblocking send of a Python object in synchronous mode.",
                 isend_obj, OBJ_SEND_SYNCHRONOUS)

CMPI_COMM_METHOD(Comm, ibsend, CMPI_DOC, "($self, obj, dest, tag=0)",
                 "Nonblocking send of a Python object in buffered mode.",
                 isend_obj, OBJ_SEND_BUFFERED)

/* A new reference to a bytes object of n bytes for irecv() to receive
 * into.  The usual size gets the module's one kept buffer when nothing
 * else holds it (the request that had it has let go; no decoded object
 * refers to it): a malloc and free of 32 KiB cost about 280 instructions
 * an irecv.  The kept buffer is never replaced, so the memory a process
 * holds does not change with the order its receives complete in. */
static PyObject *
irecv_buffer(cmpi_state *st, int n)
{
    if (n != CMPI_OBJ_EAGER) {
        return PyBytes_FromStringAndSize(NULL, n);
    }
    if (st->irecv_buffer == NULL) {
        st->irecv_buffer = PyBytes_FromStringAndSize(NULL, n);
        if (st->irecv_buffer == NULL) {
            return NULL;
        }
    }
    else if (Py_REFCNT(st->irecv_buffer) != 1) {
        return PyBytes_FromStringAndSize(NULL, n); /* lent out */
    }
    return Py_NewRef(st->irecv_buffer);
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
    CMPI_COMM_CHECK(self);
    if (cmpi_parse("irecv", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_recv_args(self, a[1], a[2], &source, &tag) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_OBJ_RECV);
    if (r == NULL) {
        return NULL;
    }
    r->shadow = self->shadow;
    if (a[0] == NULL || a[0] == Py_None || PyLong_Check(a[0])) {
        /* A buffer of this many bytes (mpi4py's irecv(512)), or one that
         * holds any eager message: larger objects arrive as an envelope
         * that fits here. */
        n = CMPI_OBJ_EAGER;
        if (a[0] != NULL && a[0] != Py_None &&
            (cmpi_as_int(a[0], &n, "buf") < 0 || n < 0)) {
            if (!PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError,
                                "irecv: a negative buffer size");
            }
            Py_DECREF(r);
            return NULL;
        }
        r->keep = irecv_buffer(self->st, n);
        if (r->keep == NULL) {
            Py_DECREF(r);
            return NULL;
        }
        r->rbuf = PyBytes_AS_STRING(r->keep);
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

/* comm.c's Comm method table expands this. */
#define CMPI_P2P_OBJ_METHODS                                            \
    {"send", FN(Comm_send), FASTKW, Comm_send_doc},                     \
            {"bsend", FN(Comm_bsend), FASTKW, Comm_bsend_doc},          \
            {"ibsend", FN(Comm_ibsend), FASTKW, Comm_ibsend_doc},       \
            {"ssend", FN(Comm_ssend), FASTKW, Comm_ssend_doc},          \
            {"recv", FN(Comm_recv), FASTKW, Comm_recv_doc},             \
            {"sendrecv", FN(Comm_sendrecv), FASTKW, Comm_sendrecv_doc}, \
            {"isend", FN(Comm_isend), FASTKW, Comm_isend_doc},          \
            {"issend", FN(Comm_issend), FASTKW, Comm_issend_doc},       \
            {"irecv", FN(Comm_irecv), FASTKW, Comm_irecv_doc},

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef ENV_HEAD
#undef DETACHED_EXIT_WAIT
