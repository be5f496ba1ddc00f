/*
 * coll_buf.c -- collective communication on buffers: Barrier, Bcast,
 * Gather, Scatter, Allgather, Alltoall, the reductions and their vector
 * (v/w) variants, each blocking, nonblocking (I...) and persistent
 * (..._init, MPI-4).  The pickled-object collectives are coll_obj.c's.
 */
#include "cmpi.h"

static int
coll_inplace(cmpi_state *st, PyObject *obj)
{
    return obj == st->IN_PLACE;
}

/* IN_PLACE, or None where mpi4py reads None as IN_PLACE: the send buffer
 * at the root of a Gather (and of a Reduce), the receive buffer at the
 * root of a Scatter, the send buffer of an Allgather, Alltoall or
 * Allreduce on an intracommunicator. */
static int
coll_inplace_or_none(CommObject *self, PyObject *obj, int may_be_inplace)
{
    return obj == self->st->IN_PLACE ||
           ((obj == NULL || obj == Py_None) && may_be_inplace && !self->inter);
}

/* A message's elements: how many, of which type (for a message of more
 * than 2**31-1 elements, its element type, not the derived type made for
 * it), and the extent of one. */
static void
coll_elements(const cmpi_msg *m, MPI_Aint *count, MPI_Datatype *type,
              MPI_Aint *extent)
{
    int big = m->big != MPI_DATATYPE_NULL;
    *count = big ? m->nbig : m->count;
    *type = big ? m->base : m->dtype;
    *extent = m->extent;
}

/* The per-rank part of a Scatter/Gather/Allgather/Alltoall message:
 * *count elements of *type.  As in mpi4py, a count the message gives is
 * the count per rank (the buffer holds one such block per rank); without
 * one, the buffer splits evenly over the ranks.  A part of more than
 * 2**31-1 elements gets a derived type of its own, returned in *owned for
 * the caller to free. */
static int
coll_per_rank(cmpi_state *st, const char *fname, const char *which,
              const cmpi_msg *m, int size, int *count, MPI_Datatype *type,
              MPI_Datatype *owned)
{
    MPI_Aint total, extent, piece;
    MPI_Datatype base;
    coll_elements(m, &total, &base, &extent);
    if (m->counted && size > 0) {
        if (m->view.obj != NULL && extent > 0 && total > 0) {
            MPI_Aint room = (MPI_Aint)((char *)m->view.buf + m->view.len -
                                       (char *)m->addr);
            if (total > room / extent / size) {
                PyErr_Format(PyExc_ValueError,
                             "%s: %s gives %zd elements per rank, but holds "
                             "%zd elements, fewer than for %d ranks",
                             fname, which, (Py_ssize_t)total,
                             (Py_ssize_t)(room / extent), size);
                return -1;
            }
        }
        total *= size;
    }
    if (size <= 0 || total % size != 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s: %s has %zd elements, not a multiple of the %d ranks "
                     "of the communicator",
                     fname, which, (Py_ssize_t)total, size);
        return -1;
    }
    piece = total / size;
    if (piece <= INT_MAX) {
        *count = (int)piece;
        *type = base;
        return 0;
    }
    if (cmpi_big_type(st, base, extent, piece, owned) < 0) {
        return -1;
    }
    *count = 1;
    *type = *owned;
    return 0;
}
/* ------------------------------------------------------------------ */
/* Buffers */

/* How a buffer collective runs: to completion (Bcast); started, returning
 * a Request that holds the buffers until it completes (Ibcast); or as a
 * persistent request started by Prequest.Start (Bcast_init, MPI-4). */
enum {
    COLL_BLOCKING,
    COLL_NONBLOCKING,
    COLL_PERSISTENT
};

#if CMPI_HAVE_PERSISTENT_COLL
#define COLL_INIT_CALL(call) (call)
#else
#define COLL_INIT_CALL(call) MPI_ERR_OTHER /* refused by coll_end */
#endif

/* One MPI call per mode: `args` are the blocking call's, in parentheses;
 * the nonblocking call adds the request, the persistent one the info and
 * the request.  Only the blocking call waits (CMPI_COLL: with the GIL
 * released, and polled when a hang timeout or signals need it). */
#define CMPI_ARGS_(...) __VA_ARGS__
#define COLL_CALL(ierr, mode, name, blocking, nonblocking, persistent, args)  \
    do {                                                                      \
        if ((mode) == COLL_BLOCKING)                                          \
            CMPI_COLL(ierr, self->ob_mpi, name, blocking, nonblocking, args); \
        else if ((mode) == COLL_NONBLOCKING)                                  \
            ierr = nonblocking(CMPI_ARGS_ args, run.preq);                    \
        else                                                                  \
            ierr = COLL_INIT_CALL(                                            \
                    persistent(CMPI_ARGS_ args, run.info, run.preq));         \
    } while (0)

typedef struct {
    int mode;
    RequestObject *req; /* what a nonblocking or persistent call returns */
    MPI_Request *preq;  /* where MPI writes its request (or NULL) */
    MPI_Info info;      /* persistent calls' info argument */
    const char *fname;  /* the method, named by a missing MPI function */
} coll_run;

#define COLL_RUN_INIT {.mode = COLL_BLOCKING, .req = NULL, .preq = NULL}

/* Arguments of a collective: `names` ends with "info", which only the
 * persistent form (..._init) takes.  The info is checked here, before any
 * buffer, as mpi4py's argument parser does: info=None is a TypeError
 * whatever the buffers are. */
static int
coll_parse(cmpi_state *st, const char *fname, PyObject *const *args,
           Py_ssize_t nargs, PyObject *kwnames, const char *const *names,
           int nrequired, PyObject **out, int mode)
{
    const char *subset[8];
    MPI_Info info;
    int n = 0;
    while (names[n] != NULL && n < 7) {
        subset[n] = names[n];
        n++;
    }
    subset[mode == COLL_PERSISTENT ? n : n - 1] = NULL;
    if (cmpi_parse(fname, args, nargs, kwnames, subset, nrequired, out) < 0) {
        return -1;
    }
    if (mode == COLL_PERSISTENT) {
        return cmpi_info_arg(st, out[n - 1], &info);
    }
    return 0;
}

/* Prepare a collective in `mode`: the request object it returns is made
 * before MPI starts anything, so a failed allocation never leaves an
 * operation running that nobody owns.  Where the library lacks the
 * persistent collectives, the info is still checked and every other
 * argument parsed, as mpi4py does: coll_end raises NotImplementedError
 * where the MPI call would be made, so a bad argument raises what the
 * blocking form raises. */
static int
coll_begin(CommObject *self, int mode, const char *fname, PyObject *info,
           coll_run *run)
{
    run->mode = mode;
    run->req = NULL;
    run->preq = NULL;
    run->info = MPI_INFO_NULL;
    run->fname = fname;
    if (mode == COLL_BLOCKING) {
        return 0;
    }
    if (mode == COLL_PERSISTENT && info != NULL &&
        cmpi_info_arg(self->st, info, &run->info) < 0) {
        return -1;
    }
    if (mode == COLL_PERSISTENT) {
        cmpi_prof_mark(); /* the request counts what follows, at Start */
    }
#if !CMPI_HAVE_PERSISTENT_COLL
    if (mode == COLL_PERSISTENT) {
        return 0; /* no request: coll_end raises NotImplementedError */
    }
#endif
    run->req = mode == COLL_PERSISTENT
                       ? cmpi_prequest_new(self->st)
                       : cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (run->req == NULL) {
        return -1;
    }
    run->preq = &run->req->ob_mpi;
    return 0;
}

static void
coll_give_vector(RequestObject *r, cmpi_msgv *v)
{
    if (v == NULL) {
        return;
    }
    if (v->view.obj != NULL) {
        r->views[r->nviews++] = v->view;
    }
    v->view.obj = NULL;
    if (v->counts != NULL) {
        r->mem[r->nmem++] = v->counts;
    }
    v->counts = v->displs = NULL;
}

/* After the MPI call: raise, return None (blocking), or return the
 * request, which takes over the buffers and vector arrays MPI reads or
 * writes until the operation completes. */
static PyObject *
coll_end(CommObject *self, coll_run *run, int ierr, cmpi_msg *m0, cmpi_msg *m1,
         cmpi_msgv *v0, cmpi_msgv *v1)
{
    if (run->mode == COLL_PERSISTENT) { /* counted at each Start */
        cmpi_prof_keep(ierr == MPI_SUCCESS ? run->req : NULL);
    }
#if !CMPI_HAVE_PERSISTENT_COLL
    if (run->mode == COLL_PERSISTENT) {
        return cmpi_not_implemented_call(run->fname);
    }
#endif
    if (ierr != MPI_SUCCESS) {
        Py_CLEAR(run->req);
        return cmpi_raise(self->st, ierr);
    }
    if (run->mode == COLL_BLOCKING) {
        Py_RETURN_NONE;
    }
    RequestObject *r = run->req;
    run->req = NULL;
    if (m0 != NULL) {
        cmpi_msg_give(r, m0);
    }
    if (m1 != NULL) {
        cmpi_msg_give(r, m1);
    }
    coll_give_vector(r, v0);
    coll_give_vector(r, v1);
    return (PyObject *)r;
}

/* Nonblocking and persistent calls cannot split a message of more than
 * 2**31-1 elements into several calls, as the blocking reductions do. */
static int
coll_no_big(int mode, const char *fname, const cmpi_msg *m)
{
    if (mode == COLL_BLOCKING || m->big == MPI_DATATYPE_NULL) {
        return 0;
    }
    PyErr_Format(PyExc_OverflowError,
                 "%s: more than 2**31-1 elements; use the blocking call, "
                 "which has no size limit",
                 fname);
    return -1;
}

static PyObject *
coll_barrier(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, const char *fname, int mode)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    coll_run run = COLL_RUN_INIT;
    int ierr;
    if (cmpi_comm_check(self) < 0 ||
        coll_parse(self->st, fname, args, nargs, kwnames, kw, 0, a, mode) <
                0 ||
        coll_begin(self, mode, fname, a[0], &run) < 0) {
        return NULL;
    }
    COLL_CALL(ierr, mode, fname, MPI_Barrier, MPI_Ibarrier, MPI_Barrier_init,
              (self->ob_mpi));
    return coll_end(self, &run, ierr, NULL, NULL, NULL, NULL);
}

CMPI_DOC(Comm_Barrier_doc, "Barrier($self)", "Barrier synchronization.");
static PyObject *
Comm_Barrier(CommObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    CMPI_COLL(ierr, self->ob_mpi, "Barrier", MPI_Barrier, MPI_Ibarrier,
              (self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_barrier_doc, "barrier($self)", "Barrier synchronization.");

CMPI_COMM_METHOD(Comm, Ibarrier, CMPI_DOC, "($self)", "Nonblocking Barrier.",
                 coll_barrier, COLL_NONBLOCKING)

CMPI_COMM_METHOD(Comm, Barrier_init, CMPI_DOC_NOSIG, "(self, info=INFO_NULL)",
                 "Persistent Barrier (MPI-4).", coll_barrier, COLL_PERSISTENT)

static PyObject *
coll_bcast(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames, const char *fname, int mode)
{
    static const char *const kw[] = {"buf", "root", "info", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int root, ierr, rank = 0;
    cmpi_msg m = CMPI_MSG_INIT;
    coll_run run = COLL_RUN_INIT;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        coll_parse(self->st, fname, args, nargs, kwnames, kw, 1, a, mode) <
                0 ||
        cmpi_opt_int(a[1], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    int sending = self->inter ? root == MPI_ROOT : rank == root;
    if (coll_begin(self, mode, fname, a[2], &run) < 0 ||
        (!(self->inter && root == MPI_PROC_NULL) &&
         cmpi_sendbuf_required(fname, "buf", a[0]) < 0) ||
        cmpi_msg_parse(self->st, a[0], &m,
                       sending ? CMPI_MSG_SEND : CMPI_MSG_RECV) < 0) {
        goto done;
    }
    cmpi_prof_peer(root, -1);
    cmpi_prof_msg(sending ? CMPI_MSG_SEND : CMPI_MSG_RECV, m.count, m.dtype);
    COLL_CALL(ierr, mode, fname, MPI_Bcast, MPI_Ibcast, MPI_Bcast_init,
              (m.addr, m.count, m.dtype, root, self->ob_mpi));
    res = coll_end(self, &run, ierr, &m, NULL, NULL, NULL);
done:
    cmpi_msg_release(&m);
    Py_XDECREF(run.req);
    return res;
}

CMPI_COMM_METHOD(Comm, Bcast, CMPI_DOC, "($self, buf, root=0)",
                 "Broadcast data from one process to all other processes.",
                 coll_bcast, COLL_BLOCKING)

CMPI_COMM_METHOD(Comm, Ibcast, CMPI_DOC, "($self, buf, root=0)",
                 "Nonblocking Bcast.", coll_bcast, COLL_NONBLOCKING)

CMPI_COMM_METHOD(Comm, Bcast_init, CMPI_DOC_NOSIG,
                 "(self, buf, root=0, info=INFO_NULL)",
                 "Persistent Bcast (MPI-4).", coll_bcast, COLL_PERSISTENT)

enum {
    GATHER,
    SCATTER,
    ALLGATHER,
    ALLTOALL
};

/* Gather, Scatter, Allgather, Alltoall: one function, four shapes, each
 * blocking, nonblocking or persistent. */
static PyObject *
coll_buf_move(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames, const char *fname, int kind, int mode)
{
    static const char *const kw_root[] = {"sendbuf", "recvbuf", "root", "info",
                                          NULL};
    static const char *const kw_all[] = {"sendbuf", "recvbuf", "info", NULL};
    int rooted = (kind == GATHER || kind == SCATTER);
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int root = 0, rank = 0, size = self->size, ierr;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    MPI_Datatype sown = MPI_DATATYPE_NULL, rown = MPI_DATATYPE_NULL;
    coll_run run = COLL_RUN_INIT;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        coll_parse(self->st, fname, args, nargs, kwnames,
                   rooted ? kw_root : kw_all, 2, a, mode) < 0 ||
        cmpi_opt_int(rooted ? a[2] : NULL, &root, 0, "root") < 0 ||
        (rooted && cmpi_check_root(self, root) < 0)) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (self->inter) {
        size = self->peers;
    }
    int is_root = self->inter ? root == MPI_ROOT : rank == root;
    int send_inplace =
            coll_inplace_or_none(self, a[0],
                                 kind == ALLGATHER || kind == ALLTOALL ||
                                         (kind == GATHER && is_root));
    int recv_inplace =
            coll_inplace_or_none(self, a[1], kind == SCATTER && is_root);
    void *sbuf = MPI_IN_PLACE, *rbuf = MPI_IN_PLACE;
    int scount = 0, rcount = 0;
    MPI_Datatype stype = MPI_BYTE, rtype = MPI_BYTE;

    /* Which side of the call carries data on this rank. */
    int send_used = 1, recv_used = 1;
    if (kind == GATHER) {
        recv_used = is_root || self->inter;
    }
    if (kind == SCATTER) {
        send_used = is_root || self->inter;
    }
    if (self->inter && rooted) {
        if (kind == GATHER) {
            send_used = root != MPI_ROOT && root != MPI_PROC_NULL;
            recv_used = root == MPI_ROOT;
        }
        else {
            send_used = root == MPI_ROOT;
            recv_used = root != MPI_ROOT && root != MPI_PROC_NULL;
        }
    }

    if (send_inplace && !(is_root || kind == ALLGATHER || kind == ALLTOALL) &&
        kind != SCATTER) {
        PyErr_Format(PyExc_ValueError,
                     "%s: IN_PLACE is only valid at the root", fname);
        return NULL;
    }
    if (recv_inplace && !(kind == SCATTER && is_root)) {
        PyErr_Format(PyExc_ValueError,
                     "%s: recvbuf=IN_PLACE is only valid at the root of "
                     "Scatter",
                     fname);
        return NULL;
    }
    if (coll_begin(self, mode, fname, rooted ? a[3] : a[2], &run) < 0) {
        return NULL;
    }

    if (send_used && !send_inplace) {
        if ((kind == SCATTER &&
             cmpi_sendbuf_required(fname, "sendbuf", a[0]) < 0) ||
            cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0) {
            goto done;
        }
        sbuf = sm.addr;
        stype = sm.dtype;
        scount = sm.count;
        if ((kind == SCATTER || kind == ALLTOALL) &&
            coll_per_rank(self->st, fname, "sendbuf", &sm, size, &scount,
                          &stype, &sown) < 0) {
            goto done;
        }
    }
    else if (!send_inplace) {
        sbuf = NULL;
    }
    if (recv_used && !recv_inplace) {
        if (cmpi_recvbuf_required(fname, a[1]) < 0 ||
            cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV) < 0) {
            goto done;
        }
        rbuf = rm.addr;
        rtype = rm.dtype;
        rcount = rm.count;
        if ((kind == GATHER || kind == ALLGATHER || kind == ALLTOALL) &&
            coll_per_rank(self->st, fname, "recvbuf", &rm, size, &rcount,
                          &rtype, &rown) < 0) {
            goto done;
        }
    }
    else if (!recv_inplace) {
        rbuf = NULL;
    }
    if (send_inplace && kind == ALLTOALL) {
        scount = rcount;
        stype = rtype;
    }

    MPI_Comm comm = self->ob_mpi;
    if (rooted) {
        cmpi_prof_peer(root, -1);
    }
    /* the whole buffer on the side that holds one block per rank */
    if (sbuf != MPI_IN_PLACE && sbuf != NULL) {
        cmpi_prof_msg(CMPI_MSG_SEND,
                      (long long)scount *
                              (kind == SCATTER || kind == ALLTOALL ? size : 1),
                      stype);
    }
    if (rbuf != MPI_IN_PLACE && rbuf != NULL) {
        cmpi_prof_msg(CMPI_MSG_RECV,
                      (long long)rcount * (kind == SCATTER ? 1 : size), rtype);
    }
    switch (kind) {
        case GATHER:
            COLL_CALL(ierr, mode, fname, MPI_Gather, MPI_Igather,
                      MPI_Gather_init,
                      (sbuf, scount, stype, rbuf, rcount, rtype, root, comm));
            break;
        case SCATTER:
            COLL_CALL(ierr, mode, fname, MPI_Scatter, MPI_Iscatter,
                      MPI_Scatter_init,
                      (sbuf, scount, stype, rbuf, rcount, rtype, root, comm));
            break;
        case ALLGATHER:
            COLL_CALL(ierr, mode, fname, MPI_Allgather, MPI_Iallgather,
                      MPI_Allgather_init,
                      (sbuf, scount, stype, rbuf, rcount, rtype, comm));
            break;
        default:
            COLL_CALL(ierr, mode, fname, MPI_Alltoall, MPI_Ialltoall,
                      MPI_Alltoall_init,
                      (sbuf, scount, stype, rbuf, rcount, rtype, comm));
            break;
    }
    res = coll_end(self, &run, ierr, &sm, &rm, NULL, NULL);
done:
    /* MPI keeps what a started operation needs of a freed datatype */
    if (sown != MPI_DATATYPE_NULL) {
        MPI_Type_free(&sown);
    }
    if (rown != MPI_DATATYPE_NULL) {
        MPI_Type_free(&rown);
    }
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    Py_XDECREF(run.req);
    return res;
}

CMPI_COMM_METHOD(Comm, Gather, CMPI_DOC, "($self, sendbuf, recvbuf, root=0)",
                 "Gather data to one process from all other processes.",
                 coll_buf_move, GATHER, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Igather, CMPI_DOC, "($self, sendbuf, recvbuf, root=0)",
                 "Nonblocking Gather.", coll_buf_move, GATHER,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Gather_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, root=0, info=INFO_NULL)",
                 "Persistent Gather (MPI-4).", coll_buf_move, GATHER,
                 COLL_PERSISTENT)
CMPI_COMM_METHOD(Comm, Scatter, CMPI_DOC, "($self, sendbuf, recvbuf, root=0)",
                 "Scatter data from one process to all other processes.",
                 coll_buf_move, SCATTER, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Iscatter, CMPI_DOC, "($self, sendbuf, recvbuf, root=0)",
                 "Nonblocking Scatter.", coll_buf_move, SCATTER,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Scatter_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, root=0, info=INFO_NULL)",
                 "Persistent Scatter (MPI-4).", coll_buf_move, SCATTER,
                 COLL_PERSISTENT)
CMPI_COMM_METHOD(
        Comm, Allgather, CMPI_DOC, "($self, sendbuf, recvbuf)",
        "Gather to All, gather data from all processes and distribute it "
        "to all other processes.",
        coll_buf_move, ALLGATHER, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Iallgather, CMPI_DOC, "($self, sendbuf, recvbuf)",
                 "Nonblocking Gather to All.", coll_buf_move, ALLGATHER,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Allgather_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, info=INFO_NULL)",
                 "Persistent Gather to All (MPI-4).", coll_buf_move, ALLGATHER,
                 COLL_PERSISTENT)
CMPI_COMM_METHOD(
        Comm, Alltoall, CMPI_DOC, "($self, sendbuf, recvbuf)",
        "All to All Scatter/Gather, send data from all to all processes "
        "in a group.",
        coll_buf_move, ALLTOALL, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Ialltoall, CMPI_DOC, "($self, sendbuf, recvbuf)",
                 "Nonblocking All to All Scatter/Gather.", coll_buf_move,
                 ALLTOALL, COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Alltoall_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, info=INFO_NULL)",
                 "Persistent All to All Scatter/Gather (MPI-4).",
                 coll_buf_move, ALLTOALL, COLL_PERSISTENT)

enum {
    REDUCE,
    ALLREDUCE,
    SCAN,
    EXSCAN
};

/* Elements per call when a blocking reduction splits a message of more
 * than 2**31-1 elements: reductions work element by element, so the
 * pieces can be reduced one after the other. */
#define COLL_REDUCE_PIECE ((MPI_Aint)1 << 30)

static PyObject *
coll_buf_reduce(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames, const char *fname, int kind, int mode)
{
    static const char *const kw_root[] = {"sendbuf", "recvbuf", "op",
                                          "root",    "info",    NULL};
    static const char *const kw_all[] = {"sendbuf", "recvbuf", "op", "info",
                                         NULL};
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    int root = 0, rank = 0, ierr = MPI_SUCCESS;
    static char root_unread; /* see below: never read nor written */
    MPI_Op op = MPI_SUM;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    coll_run run = COLL_RUN_INIT;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        coll_parse(self->st, fname, args, nargs, kwnames,
                   kind == REDUCE ? kw_root : kw_all, 2, a, mode) < 0 ||
        cmpi_opt_int(kind == REDUCE ? a[3] : NULL, &root, 0, "root") < 0 ||
        (kind == REDUCE && cmpi_check_root(self, root) < 0) ||
        (a[2] != NULL && cmpi_op_from_object(self->st, a[2], &op) < 0)) {
        return NULL;
    }
    if ((kind == SCAN || kind == EXSCAN) && self->inter) {
        PyErr_Format(PyExc_TypeError,
                     "%s is not defined on intercommunicators", fname);
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    int is_root = self->inter ? root == MPI_ROOT : rank == root;
    int send_inplace = coll_inplace_or_none(
            self, a[0],
            (kind == REDUCE && is_root) || kind == ALLREDUCE || kind == SCAN ||
                    kind == EXSCAN);
    int recv_used = kind != REDUCE || is_root;
    /* an intercommunicator's Reduce: the root group only receives */
    int send_used = !(self->inter && kind == REDUCE &&
                      (root == MPI_ROOT || root == MPI_PROC_NULL));
    void *sbuf = MPI_IN_PLACE, *rbuf = NULL;
    MPI_Aint count = 0, extent = 1;
    MPI_Datatype dtype = MPI_BYTE;

    if (send_inplace && kind == REDUCE && !is_root) {
        PyErr_Format(PyExc_ValueError,
                     "%s: IN_PLACE is only valid at the root", fname);
        return NULL;
    }
    if (coll_begin(self, mode, fname, kind == REDUCE ? a[4] : a[3], &run) <
        0) {
        return NULL;
    }
    if (recv_used) {
        if (coll_inplace(self->st, a[1])) {
            PyErr_Format(PyExc_ValueError,
                         "%s: pass IN_PLACE as sendbuf, not recvbuf", fname);
            goto done;
        }
        if (cmpi_recvbuf_required(fname, a[1]) < 0 ||
            cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV) < 0 ||
            coll_no_big(mode, fname, &rm) < 0) {
            goto done;
        }
        rbuf = rm.addr;
        coll_elements(&rm, &count, &dtype, &extent);
    }
    if (!send_inplace && send_used) {
        MPI_Aint scount;
        if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0 ||
            coll_no_big(mode, fname, &sm) < 0) {
            goto done;
        }
        sbuf = sm.addr;
        MPI_Datatype rtype = dtype;
        coll_elements(&sm, &scount, &dtype, &extent);
        /* as in mpi4py, both buffers hold the same elements */
        if (recv_used && dtype != rtype) {
            PyErr_Format(PyExc_ValueError,
                         "%s: sendbuf and recvbuf have different datatypes",
                         fname);
            goto done;
        }
        if (recv_used && scount != count) {
            PyErr_Format(PyExc_ValueError,
                         "%s: recvbuf has %zd elements, sendbuf %zd; they "
                         "must match",
                         fname, (Py_ssize_t)count, (Py_ssize_t)scount);
            goto done;
        }
        count = scount;
    }
    else if (!send_inplace) {
        /* the root group of an intercomm sends nothing; MPICH still
         * rejects a null (or the receive) buffer at MPI_ROOT: it is
         * given one it never reads */
        sbuf = root == MPI_ROOT ? (void *)&root_unread : NULL;
    }
    MPI_Comm comm = self->ob_mpi;
    if (kind == REDUCE) {
        cmpi_prof_peer(root, -1);
    }
    if (send_used) {
        cmpi_prof_msg(CMPI_MSG_SEND, count, dtype);
    }
    if (recv_used) {
        cmpi_prof_msg(CMPI_MSG_RECV, count, dtype);
    }
    /* A message of more than 2**31-1 elements (blocking calls only) is
     * reduced in pieces; any other is one call. */
    for (MPI_Aint done = 0; done == 0 || done < count;) {
        int n = (int)(count - done < COLL_REDUCE_PIECE ? count - done
                                                       : COLL_REDUCE_PIECE);
        char *s = sbuf == MPI_IN_PLACE || sbuf == NULL
                          ? sbuf
                          : (char *)sbuf + done * extent;
        char *r = rbuf == NULL ? NULL : (char *)rbuf + done * extent;
        switch (kind) {
            case REDUCE:
                COLL_CALL(ierr, mode, fname, MPI_Reduce, MPI_Ireduce,
                          MPI_Reduce_init, (s, r, n, dtype, op, root, comm));
                break;
            case ALLREDUCE:
                COLL_CALL(ierr, mode, fname, MPI_Allreduce, MPI_Iallreduce,
                          MPI_Allreduce_init, (s, r, n, dtype, op, comm));
                break;
            case SCAN:
                COLL_CALL(ierr, mode, fname, MPI_Scan, MPI_Iscan,
                          MPI_Scan_init, (s, r, n, dtype, op, comm));
                break;
            default:
                COLL_CALL(ierr, mode, fname, MPI_Exscan, MPI_Iexscan,
                          MPI_Exscan_init, (s, r, n, dtype, op, comm));
                break;
        }
        done += n;
        if (ierr != MPI_SUCCESS || count == 0) {
            break;
        }
    }
    res = coll_end(self, &run, ierr, &sm, &rm, NULL, NULL);
done:
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    Py_XDECREF(run.req);
    return res;
}

CMPI_COMM_METHOD(Comm, Reduce, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM, root=0)", "Reduce to Root.",
                 coll_buf_reduce, REDUCE, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Ireduce, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM, root=0)",
                 "Nonblocking Reduce to Root.", coll_buf_reduce, REDUCE,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Reduce_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM, root=0, "
                 "info=INFO_NULL)",
                 "Persistent Reduce to Root (MPI-4).", coll_buf_reduce, REDUCE,
                 COLL_PERSISTENT)
CMPI_COMM_METHOD(Comm, Allreduce, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)", "Reduce to All.",
                 coll_buf_reduce, ALLREDUCE, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Iallreduce, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)",
                 "Nonblocking Reduce to All.", coll_buf_reduce, ALLREDUCE,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Allreduce_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM, info=INFO_NULL)",
                 "Persistent Reduce to All (MPI-4).", coll_buf_reduce,
                 ALLREDUCE, COLL_PERSISTENT)
CMPI_COMM_METHOD(Comm, Scan, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)", "Inclusive Scan.",
                 coll_buf_reduce, SCAN, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Iscan, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)",
                 "Nonblocking Inclusive Scan.", coll_buf_reduce, SCAN,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Scan_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM, info=INFO_NULL)",
                 "Persistent Inclusive Scan (MPI-4).", coll_buf_reduce, SCAN,
                 COLL_PERSISTENT)
CMPI_COMM_METHOD(Comm, Exscan, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)", "Exclusive Scan.",
                 coll_buf_reduce, EXSCAN, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Iexscan, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)",
                 "Nonblocking Exclusive Scan.", coll_buf_reduce, EXSCAN,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Exscan_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM, info=INFO_NULL)",
                 "Persistent Exclusive Scan (MPI-4).", coll_buf_reduce, EXSCAN,
                 COLL_PERSISTENT)

/* ------------------------------------------------------------------ */
/* Vector variants: a count and a displacement per rank. */

enum {
    GATHERV,
    SCATTERV,
    ALLGATHERV,
    ALLTOALLV
};

static PyObject *
coll_buf_vector(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames, const char *fname, int kind, int mode)
{
    static const char *const kw_root[] = {"sendbuf", "recvbuf", "root", "info",
                                          NULL};
    static const char *const kw_all[] = {"sendbuf", "recvbuf", "info", NULL};
    int rooted = (kind == GATHERV || kind == SCATTERV);
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int root = 0, rank = 0, ierr, size;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    cmpi_msgv sv, rv;
    coll_run run = COLL_RUN_INIT;
    memset(&sv, 0, sizeof(sv));
    memset(&rv, 0, sizeof(rv));
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        coll_parse(self->st, fname, args, nargs, kwnames,
                   rooted ? kw_root : kw_all, 2, a, mode) < 0 ||
        cmpi_opt_int(rooted ? a[2] : NULL, &root, 0, "root") < 0 ||
        (rooted && cmpi_check_root(self, root) < 0)) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    size = self->inter ? self->peers : self->size;
    int is_root = self->inter ? root == MPI_ROOT : rank == root;
    int send_inplace =
            coll_inplace_or_none(self, a[0],
                                 kind == ALLGATHERV || kind == ALLTOALLV ||
                                         (kind == GATHERV && is_root));
    int recv_inplace =
            coll_inplace_or_none(self, a[1], kind == SCATTERV && is_root);
    if ((send_inplace &&
         ((kind == GATHERV && !is_root) || kind == SCATTERV)) ||
        (recv_inplace && !(kind == SCATTERV && is_root))) {
        PyErr_Format(PyExc_ValueError,
                     "%s: IN_PLACE is not valid for this argument on this "
                     "rank",
                     fname);
        return NULL;
    }
    if (coll_begin(self, mode, fname, rooted ? a[3] : a[2], &run) < 0) {
        return NULL;
    }
    MPI_Comm comm = self->ob_mpi;
    void *sbuf = send_inplace ? MPI_IN_PLACE : NULL;
    void *rbuf = recv_inplace ? MPI_IN_PLACE : NULL;
    switch (kind) {
        case GATHERV:
            if (!send_inplace &&
                cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0) {
                goto done;
            }
            if (is_root || (self->inter && root == MPI_ROOT)) {
                if (cmpi_recvbuf_required(fname, a[1]) < 0 ||
                    cmpi_msgv_parse(self->st, a[1], &rv, size, CMPI_MSG_RECV) <
                            0) {
                    goto done;
                }
            }
            if (!send_inplace) {
                sbuf = sm.addr;
            }
            cmpi_prof_peer(root, -1);
            /* an intercommunicator's root group only receives */
            if (!send_inplace && !(self->inter && (root == MPI_ROOT ||
                                                   root == MPI_PROC_NULL))) {
                cmpi_prof_msg(CMPI_MSG_SEND, sm.count, sm.dtype);
            }
            if (is_root) {
                cmpi_prof_blocks(NULL, CMPI_MSG_RECV, size, rv.counts, 0,
                                 rv.dtype, NULL);
            }
            COLL_CALL(ierr, mode, fname, MPI_Gatherv, MPI_Igatherv,
                      MPI_Gatherv_init,
                      (sbuf, sm.count, sm.dtype, rv.addr, rv.counts, rv.displs,
                       rv.dtype, root, comm));
            break;
        case SCATTERV:
            if (is_root) {
                if (cmpi_sendbuf_required(fname, "sendbuf", a[0]) < 0 ||
                    cmpi_msgv_parse(self->st, a[0], &sv, size, CMPI_MSG_SEND) <
                            0) {
                    goto done;
                }
            }
            /* The root group of an intercommunicator receives nothing. */
            if (!recv_inplace &&
                ((!(self->inter &&
                    (root == MPI_ROOT || root == MPI_PROC_NULL)) &&
                  cmpi_recvbuf_required(fname, a[1]) < 0) ||
                 cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV) < 0)) {
                goto done;
            }
            if (!recv_inplace) {
                rbuf = rm.addr;
            }
            cmpi_prof_peer(root, -1);
            if (is_root) {
                cmpi_prof_blocks(NULL, CMPI_MSG_SEND, size, sv.counts, 0,
                                 sv.dtype, NULL);
            }
            if (!recv_inplace && !(self->inter && (root == MPI_ROOT ||
                                                   root == MPI_PROC_NULL))) {
                cmpi_prof_msg(CMPI_MSG_RECV, rm.count, rm.dtype);
            }
            COLL_CALL(ierr, mode, fname, MPI_Scatterv, MPI_Iscatterv,
                      MPI_Scatterv_init,
                      (sv.addr, sv.counts, sv.displs, sv.dtype, rbuf, rm.count,
                       rm.dtype, root, comm));
            break;
        case ALLGATHERV:
            if (!send_inplace &&
                cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0) {
                goto done;
            }
            if (cmpi_recvbuf_required(fname, a[1]) < 0 ||
                cmpi_msgv_parse(self->st, a[1], &rv, size, CMPI_MSG_RECV) <
                        0) {
                goto done;
            }
            if (!send_inplace) {
                sbuf = sm.addr;
                cmpi_prof_msg(CMPI_MSG_SEND, sm.count, sm.dtype);
            }
            cmpi_prof_blocks(NULL, CMPI_MSG_RECV, size, rv.counts, 0, rv.dtype,
                             NULL);
            if (!self->inter && size == 1 && !send_inplace &&
                rv.view.obj != NULL && rv.displs[0] != 0) {
                /* MPICH 4.0's Allgatherv and Iallgatherv on a communicator
                 * of one process put the block at the start of the receive
                 * buffer whatever its displacement (checked in C); the
                 * same call with the buffer moved to the block is the
                 * same for every MPI.  (The message check has put the
                 * block inside the buffer.) */
                rv.addr = (char *)rv.addr + rv.displs[0] * rv.extent;
                rv.displs[0] = 0;
            }
            COLL_CALL(ierr, mode, fname, MPI_Allgatherv, MPI_Iallgatherv,
                      MPI_Allgatherv_init,
                      (sbuf, sm.count, sm.dtype, rv.addr, rv.counts, rv.displs,
                       rv.dtype, comm));
            break;
        default:
            if (!send_inplace && cmpi_msgv_parse(self->st, a[0], &sv, size,
                                                 CMPI_MSG_SEND) < 0) {
                goto done;
            }
            if (cmpi_recvbuf_required(fname, a[1]) < 0 ||
                cmpi_msgv_parse(self->st, a[1], &rv, size, CMPI_MSG_RECV) <
                        0) {
                goto done;
            }
            if (!send_inplace) {
                sbuf = sv.addr;
                cmpi_prof_blocks(NULL, CMPI_MSG_SEND, size, sv.counts, 0,
                                 sv.dtype, NULL);
            }
            cmpi_prof_blocks(NULL, CMPI_MSG_RECV, size, rv.counts, 0, rv.dtype,
                             NULL);
            COLL_CALL(ierr, mode, fname, MPI_Alltoallv, MPI_Ialltoallv,
                      MPI_Alltoallv_init,
                      (sbuf, sv.counts, sv.displs, sv.dtype, rv.addr,
                       rv.counts, rv.displs, rv.dtype, comm));
            break;
    }
    res = coll_end(self, &run, ierr, &sm, &rm, &sv, &rv);
done:
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    cmpi_msgv_release(&sv);
    cmpi_msgv_release(&rv);
    Py_XDECREF(run.req);
    return res;
}

CMPI_COMM_METHOD(
        Comm, Gatherv, CMPI_DOC, "($self, sendbuf, recvbuf, root=0)",
        "Gather Vector, gather data to one process from all other "
        "processes providing different amounts of data and displacements.",
        coll_buf_vector, GATHERV, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Igatherv, CMPI_DOC, "($self, sendbuf, recvbuf, root=0)",
                 "Nonblocking Gather Vector.", coll_buf_vector, GATHERV,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Gatherv_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, root=0, info=INFO_NULL)",
                 "Persistent Gather Vector (MPI-4).", coll_buf_vector, GATHERV,
                 COLL_PERSISTENT)
CMPI_COMM_METHOD(
        Comm, Scatterv, CMPI_DOC, "($self, sendbuf, recvbuf, root=0)",
        "Scatter Vector, scatter data from one process to all other "
        "processes providing different amounts of data and displacements.",
        coll_buf_vector, SCATTERV, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Iscatterv, CMPI_DOC,
                 "($self, sendbuf, recvbuf, root=0)",
                 "Nonblocking Scatter Vector.", coll_buf_vector, SCATTERV,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Scatterv_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, root=0, info=INFO_NULL)",
                 "Persistent Scatter Vector (MPI-4).", coll_buf_vector,
                 SCATTERV, COLL_PERSISTENT)
CMPI_COMM_METHOD(
        Comm, Allgatherv, CMPI_DOC, "($self, sendbuf, recvbuf)",
        "Gather to All Vector, gather data from all processes and send it "
        "to all other processes providing different amounts of data and "
        "displacements.",
        coll_buf_vector, ALLGATHERV, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Iallgatherv, CMPI_DOC, "($self, sendbuf, recvbuf)",
                 "Nonblocking Gather to All Vector.", coll_buf_vector,
                 ALLGATHERV, COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Allgatherv_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, info=INFO_NULL)",
                 "Persistent Gather to All Vector (MPI-4).", coll_buf_vector,
                 ALLGATHERV, COLL_PERSISTENT)
CMPI_COMM_METHOD(
        Comm, Alltoallv, CMPI_DOC, "($self, sendbuf, recvbuf)",
        "All to All Scatter/Gather Vector, send data from all to all "
        "processes in a group providing different amounts of data and "
        "displacements.",
        coll_buf_vector, ALLTOALLV, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Ialltoallv, CMPI_DOC, "($self, sendbuf, recvbuf)",
                 "Nonblocking All to All Scatter/Gather Vector.",
                 coll_buf_vector, ALLTOALLV, COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Alltoallv_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, info=INFO_NULL)",
                 "Persistent All to All Scatter/Gather Vector (MPI-4).",
                 coll_buf_vector, ALLTOALLV, COLL_PERSISTENT)

/* Reduce_scatter takes the counts of the blocks (recvcounts); its _block
 * form scatters blocks of one size. */
enum reduce_scatter_kind {
    REDUCE_SCATTER,
    REDUCE_SCATTER_BLOCK
};

/* Reduce_scatter's recvcounts, read as mpi4py reads them: a sequence
 * (a bare int is a TypeError) of integers proper (__index__: a float is a
 * TypeError, unlike a count in a message), checked for its length after
 * its items.  A count past 2**31-1 is more than any buffer cmpi takes
 * here holds: a ValueError, as mpi4py's check of the counts against the
 * buffers raises. */
static int
reduce_scatter_counts(const char *fname, PyObject *obj, int n, int *out)
{
    PyObject *seq = PySequence_Fast(obj,
                                    "recvcounts must be a sequence of "
                                    "integers");
    if (seq == NULL) {
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *item = PyNumber_Index(PySequence_Fast_GET_ITEM(seq, i));
        if (item == NULL) {
            goto error;
        }
        long long v = PyLong_AsLongLong(item);
        Py_DECREF(item);
        if (v == -1 && PyErr_Occurred()) {
            goto error;
        }
        if (v < 0 || v > INT_MAX) {
            PyErr_Format(PyExc_ValueError,
                         "%s: recvcounts[%zd]=%lld is not a count of elements "
                         "(0 to 2**31-1)",
                         fname, i, v);
            goto error;
        }
        if (i < n) {
            out[i] = (int)v;
        }
    }
    if (len != n) {
        PyErr_Format(PyExc_ValueError,
                     "%s: recvcounts has %zd entries, expected one per rank "
                     "(%d)",
                     fname, len, n);
        goto error;
    }
    Py_DECREF(seq);
    return 0;
error:
    Py_DECREF(seq);
    return -1;
}

static PyObject *
reduce_scatter_impl(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames, const char *fname,
                    enum reduce_scatter_kind kind, int mode)
{
    static const char *const kw_block[] = {"sendbuf", "recvbuf", "op", "info",
                                           NULL};
    static const char *const kw_v[] = {"sendbuf", "recvbuf", "recvcounts",
                                       "op",      "info",    NULL};
    int block = kind == REDUCE_SCATTER_BLOCK;
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    PyObject *oop;
    MPI_Op op = MPI_SUM;
    int size = self->size, ierr;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    coll_run run = COLL_RUN_INIT;
    int *counts = NULL;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        coll_parse(self->st, fname, args, nargs, kwnames,
                   block ? kw_block : kw_v, 2, a, mode) < 0) {
        return NULL;
    }
    oop = block ? a[2] : a[3];
    if (oop != NULL && cmpi_op_from_object(self->st, oop, &op) < 0) {
        return NULL;
    }
    if (self->inter) {
        size = self->peers;
    }
    int send_inplace = coll_inplace_or_none(self, a[0], 1);
    if (coll_begin(self, mode, fname, block ? a[3] : a[4], &run) < 0) {
        return NULL;
    }
    if (cmpi_recvbuf_required(fname, a[1]) < 0 ||
        cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV) < 0 ||
        coll_no_big(COLL_NONBLOCKING, fname, &rm) < 0) {
        goto done;
    }
    if (!send_inplace &&
        (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0 ||
         coll_no_big(COLL_NONBLOCKING, fname, &sm) < 0)) {
        goto done;
    }
    if (!send_inplace && sm.dtype != rm.dtype) {
        PyErr_Format(PyExc_ValueError,
                     "%s: sendbuf and recvbuf have different datatypes",
                     fname);
        goto done;
    }
    MPI_Comm comm = self->ob_mpi;
    void *sbuf = send_inplace ? MPI_IN_PLACE : sm.addr;
    if (block) {
        int count = rm.count;
        if (send_inplace) {
            if (rm.count % size != 0) {
                PyErr_Format(PyExc_ValueError,
                             "%s: recvbuf has %d elements, not a multiple of "
                             "the %d ranks",
                             fname, rm.count, size);
                goto done;
            }
            count = rm.count / size;
        }
        else if ((long long)sm.count != (long long)count * size) {
            PyErr_Format(PyExc_ValueError,
                         "%s: sendbuf has %d elements, expected %lld "
                         "(recvbuf's %d times %d ranks)",
                         fname, sm.count, (long long)count * size, count,
                         size);
            goto done;
        }
        /* as the reductions: the contribution sent (recvbuf's, in place) */
        cmpi_prof_msg(CMPI_MSG_SEND, send_inplace ? rm.count : sm.count,
                      rm.dtype);
        cmpi_prof_msg(CMPI_MSG_RECV, count, rm.dtype);
        COLL_CALL(ierr, mode, fname, MPI_Reduce_scatter_block,
                  MPI_Ireduce_scatter_block, MPI_Reduce_scatter_block_init,
                  (sbuf, rm.addr, count, rm.dtype, op, comm));
    }
    else {
        counts = PyMem_New(int, size);
        if (counts == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        if (a[2] != NULL && a[2] != Py_None) {
            if (reduce_scatter_counts(fname, a[2], size, counts) < 0) {
                goto done;
            }
        }
        else if (self->inter || send_inplace) {
            /* the counts cannot be gathered from the receive buffers */
            PyErr_Format(
                    PyExc_TypeError, "%s: recvcounts is required %s", fname,
                    self->inter ? "on an intercommunicator" : "with IN_PLACE");
            goto done;
        }
        else {
            int mine = rm.count;
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Allgather, MPI_Iallgather,
                      (&mine, 1, MPI_INT, counts, 1, MPI_INT, comm));
            if (ierr != MPI_SUCCESS) {
                cmpi_raise(self->st, ierr);
                goto done;
            }
        }
        long long total = 0;
        int rank = 0;
        MPI_Comm_rank(comm, &rank);
        for (int i = 0; i < size; i++) {
            total += counts[i];
        }
        if (!send_inplace && !self->inter && sm.count != total) {
            PyErr_Format(PyExc_ValueError,
                         "%s: sendbuf has %d elements, but recvcounts add up "
                         "to %lld",
                         fname, sm.count, total);
            goto done;
        }
        if (send_inplace && rm.count < total) {
            PyErr_Format(PyExc_ValueError,
                         "%s: with IN_PLACE, recvbuf has %d elements, but "
                         "recvcounts add up to %lld",
                         fname, rm.count, total);
            goto done;
        }
        if (!send_inplace && !self->inter && rm.count < counts[rank]) {
            PyErr_Format(PyExc_ValueError,
                         "%s: recvbuf has %d elements, fewer than "
                         "recvcounts[%d]=%d",
                         fname, rm.count, rank, counts[rank]);
            goto done;
        }
        cmpi_prof_msg(CMPI_MSG_SEND, send_inplace ? total : sm.count,
                      rm.dtype);
        if (rank < size) {
            cmpi_prof_msg(CMPI_MSG_RECV, counts[rank], rm.dtype);
        }
        COLL_CALL(ierr, mode, fname, MPI_Reduce_scatter, MPI_Ireduce_scatter,
                  MPI_Reduce_scatter_init,
                  (sbuf, rm.addr, counts, rm.dtype, op, comm));
    }
    res = coll_end(self, &run, ierr, &sm, &rm, NULL, NULL);
    if (res != NULL && mode != COLL_BLOCKING && counts != NULL) {
        /* MPI reads recvcounts until the operation completes */
        RequestObject *r = (RequestObject *)res;
        r->mem[r->nmem++] = counts;
        counts = NULL;
    }
done:
    PyMem_Free(counts);
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    Py_XDECREF(run.req);
    return res;
}

CMPI_COMM_METHOD(Comm, Reduce_scatter_block, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)",
                 "Reduce-Scatter Block (regular, non-vector version).",
                 reduce_scatter_impl, REDUCE_SCATTER_BLOCK, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Ireduce_scatter_block, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM)",
                 "Nonblocking Reduce-Scatter Block.", reduce_scatter_impl,
                 REDUCE_SCATTER_BLOCK, COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Reduce_scatter_block_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, op=SUM, "
                 "info=INFO_NULL)",
                 "Persistent Reduce-Scatter Block (MPI-4).",
                 reduce_scatter_impl, REDUCE_SCATTER_BLOCK, COLL_PERSISTENT)
CMPI_COMM_METHOD(Comm, Reduce_scatter, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, recvcounts=None, op=SUM)",
                 "Reduce-Scatter (vector version).", reduce_scatter_impl,
                 REDUCE_SCATTER, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Ireduce_scatter, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, recvcounts=None, op=SUM)",
                 "Nonblocking Reduce-Scatter (vector version).",
                 reduce_scatter_impl, REDUCE_SCATTER, COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Reduce_scatter_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, recvcounts=None, "
                 "op=SUM, info=INFO_NULL)",
                 "Persistent Reduce-Scatter (MPI-4).", reduce_scatter_impl,
                 REDUCE_SCATTER, COLL_PERSISTENT)

/* How many datatypes Open MPI 4.1 reads of each array of a nonblocking
 * or persistent alltoallw: on a communicator with a topology as many as
 * its neighbours (the count of a neighbourhood alltoallw), not its
 * processes, and it crashed reading past the arrays of a process that is
 * its own neighbour several times (a periodic Cartesian grid of one
 * process, checked).  So the arrays hold at least that many; the extra
 * ones are MPI_BYTE.  Elsewhere, and at any error, the processes. */
static int
coll_alltoallw_ntypes(CommObject *self, int size)
{
    int kind = MPI_UNDEFINED, in = 0, out = 0;
    if (self->inter || MPI_Topo_test(self->ob_mpi, &kind) != MPI_SUCCESS ||
        kind == MPI_UNDEFINED) {
        return size;
    }
    if (cmpi_topo_degrees(self, &in, &out) < 0) {
        PyErr_Clear(); /* the call itself will say what is wrong */
        return size;
    }
    in = in > out ? in : out;
    return in > size ? in : size;
}

static PyObject *
coll_alltoallw(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames, const char *fname, int mode)
{
    static const char *const kw[] = {"sendbuf", "recvbuf", "info", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    cmpi_msgv sw, rw;
    coll_run run = COLL_RUN_INIT;
    PyObject *res = NULL;
    int ierr;
    memset(&sw, 0, sizeof(sw));
    memset(&rw, 0, sizeof(rw));
    if (cmpi_comm_check(self) < 0 || coll_parse(self->st, fname, args, nargs,
                                                kwnames, kw, 2, a, mode) < 0) {
        return NULL;
    }
    int size = self->inter ? self->peers : self->size;
    int send_inplace = coll_inplace(self->st, a[0]);
    int ntypes =
            mode == COLL_BLOCKING ? size : coll_alltoallw_ntypes(self, size);
    if (coll_begin(self, mode, fname, a[2], &run) < 0) {
        return NULL;
    }
    /* the receive message first, as mpi4py reads them: a call with both
     * messages wrong raises what mpi4py raises */
    if (cmpi_recvbuf_required(fname, a[1]) < 0 ||
        cmpi_msgw_parse(self->st, a[1], &rw, size, ntypes, CMPI_MSG_RECV) <
                0 ||
        (!send_inplace && cmpi_msgw_parse(self->st, a[0], &sw, size, ntypes,
                                          CMPI_MSG_SEND) < 0)) {
        goto done;
    }
    void *sbuf = send_inplace ? MPI_IN_PLACE : sw.addr;
    if (!send_inplace) {
        cmpi_prof_blocks(NULL, CMPI_MSG_SEND, size, sw.counts, 0,
                         MPI_DATATYPE_NULL, sw.types);
    }
    cmpi_prof_blocks(NULL, CMPI_MSG_RECV, size, rw.counts, 0,
                     MPI_DATATYPE_NULL, rw.types);
    if (!self->inter && size == 1) {
        /* Open MPI 4.1's Alltoallw on a communicator of one process reads
         * its byte displacements as counts of elements (displacement 8 of
         * a double: byte 64), outside the block the message check has
         * put inside the buffer (checked in C).  The buffers moved to
         * their blocks, displacements 0, are the same call for every
         * MPI. */
        if (!send_inplace && sw.view.obj != NULL) {
            sbuf = (char *)sbuf + sw.displs[0];
            sw.displs[0] = 0;
        }
        if (rw.view.obj != NULL) {
            rw.addr = (char *)rw.addr + rw.displs[0];
            rw.displs[0] = 0;
        }
    }
    COLL_CALL(ierr, mode, fname, MPI_Alltoallw, MPI_Ialltoallw,
              MPI_Alltoallw_init,
              (sbuf, sw.counts, sw.displs, sw.types, rw.addr, rw.counts,
               rw.displs, rw.types, self->ob_mpi));
    res = coll_end(self, &run, ierr, NULL, NULL, &sw, &rw);
done:
    cmpi_msgv_release(&sw);
    cmpi_msgv_release(&rw);
    Py_XDECREF(run.req);
    return res;
}

CMPI_COMM_METHOD(
        Comm, Alltoallw, CMPI_DOC, "($self, sendbuf, recvbuf)",
        "Generalized All-to-All communication allowing different counts, "
        "displacements and datatypes for each partner.",
        coll_alltoallw, COLL_BLOCKING)
CMPI_COMM_METHOD(Comm, Ialltoallw, CMPI_DOC, "($self, sendbuf, recvbuf)",
                 "Nonblocking Generalized All-to-All.", coll_alltoallw,
                 COLL_NONBLOCKING)
CMPI_COMM_METHOD(Comm, Alltoallw_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, info=INFO_NULL)",
                 "Persistent Generalized All-to-All (MPI-4).", coll_alltoallw,
                 COLL_PERSISTENT)

#define CMPI_COLL_M(name)        \
    {.ml_name = #name,           \
     .ml_meth = FN(Comm_##name), \
     .ml_flags = FASTKW,         \
     .ml_doc = Comm_##name##_doc}
#define CMPI_COLL_M3(name, iname) \
    CMPI_COLL_M(name), CMPI_COLL_M(iname), CMPI_COLL_M(name##_init)

/* comm.c's Comm and Intracomm method tables expand these. */
#define CMPI_COLL_BUF_METHODS                                              \
    {"Barrier", (PyCFunction)Comm_Barrier, METH_NOARGS, Comm_Barrier_doc}, \
            {"barrier", (PyCFunction)Comm_Barrier, METH_NOARGS,            \
             Comm_barrier_doc},                                            \
            CMPI_COLL_M(Ibarrier), CMPI_COLL_M(Barrier_init),              \
            CMPI_COLL_M3(Bcast, Ibcast), CMPI_COLL_M3(Gather, Igather),    \
            CMPI_COLL_M3(Scatter, Iscatter),                               \
            CMPI_COLL_M3(Allgather, Iallgather),                           \
            CMPI_COLL_M3(Alltoall, Ialltoall),                             \
            CMPI_COLL_M3(Gatherv, Igatherv),                               \
            CMPI_COLL_M3(Scatterv, Iscatterv),                             \
            CMPI_COLL_M3(Allgatherv, Iallgatherv),                         \
            CMPI_COLL_M3(Alltoallv, Ialltoallv),                           \
            CMPI_COLL_M3(Alltoallw, Ialltoallw),                           \
            CMPI_COLL_M3(Reduce_scatter_block, Ireduce_scatter_block),     \
            CMPI_COLL_M3(Reduce_scatter, Ireduce_scatter),                 \
            CMPI_COLL_M3(Reduce, Ireduce),                                 \
            CMPI_COLL_M3(Allreduce, Iallreduce),

#define CMPI_INTRA_COLL_BUF_METHODS \
    CMPI_COLL_M3(Scan, Iscan), CMPI_COLL_M3(Exscan, Iexscan),

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef COLL_INIT_CALL
#undef COLL_CALL
#undef COLL_RUN_INIT
#undef COLL_REDUCE_PIECE
