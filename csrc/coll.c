/*
 * coll.c -- collective communication on a Comm: buffers (Bcast, Gather,
 * Reduce, ...) and pickled Python objects (bcast, gather, reduce, ...).
 *
 * A lowercase collective never leaves the other ranks waiting when one
 * rank cannot take part (an object that cannot be pickled, a scatter
 * sequence of the wrong length): that rank sends a size of -1 instead of
 * its data, and the ranks that receive it raise too.
 */
#include "cmpi.h"

#define FAILED_SIZE (-1)

static int
coll_inplace(cmpi_state *st, PyObject *obj)
{
    return obj == st->IN_PLACE;
}

static int
coll_per_rank(const char *fname, const char *which, int count, int size,
              int *out)
{
    if (size <= 0 || count % size != 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s: %s has %d elements, not a multiple of the %d ranks "
                     "of the communicator",
                     fname, which, count, size);
        return -1;
    }
    *out = count / size;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Buffers */

CMPI_DOC(Comm_Barrier_doc, "Barrier($self)", "Barrier synchronization.");
static PyObject *
Comm_Barrier(CommObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    CMPI_COLL(ierr, self->ob_mpi, "Barrier", MPI_Barrier, MPI_Ibarrier,
              (self->ob_mpi));
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

CMPI_DOC(Comm_barrier_doc, "barrier($self)", "Barrier synchronization.");

CMPI_DOC(Comm_Bcast_doc, "Bcast($self, buf, root=0)",
         "Broadcast data from one process to all other processes.");
static PyObject *
Comm_Bcast(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "root", NULL};
    PyObject *a[2] = {NULL, NULL};
    int root, ierr;
    cmpi_msg m;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Bcast", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[1], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0)
        return NULL;
    int rank = 0;
    MPI_Comm_rank(self->ob_mpi, &rank);
    int sending = self->inter ? root == MPI_ROOT : rank == root;
    if (cmpi_msg_parse(self->st, a[0], &m,
                       sending ? CMPI_MSG_SEND : CMPI_MSG_RECV, 0) < 0)
        return NULL;
    CMPI_COLL(ierr, self->ob_mpi, "Bcast", MPI_Bcast, MPI_Ibcast,
              (m.addr, m.count, m.dtype, root, self->ob_mpi));
    cmpi_msg_release(&m);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    Py_RETURN_NONE;
}

enum {
    GATHER,
    SCATTER,
    ALLGATHER,
    ALLTOALL
};

/* Gather, Scatter, Allgather, Alltoall: one function, four shapes. */
static PyObject *
coll_buf_move(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames, int kind)
{
    static const char *const kw_root[] = {"sendbuf", "recvbuf", "root", NULL};
    static const char *const kw_all[] = {"sendbuf", "recvbuf", NULL};
    static const char *const names[] = {"Gather", "Scatter", "Allgather",
                                        "Alltoall"};
    const char *fname = names[kind];
    int rooted = (kind == GATHER || kind == SCATTER);
    PyObject *a[3] = {NULL, NULL, NULL};
    int root = 0, rank = 0, size = self->size, ierr;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames, rooted ? kw_root : kw_all, 2,
                   a) < 0 ||
        cmpi_opt_int(rooted ? a[2] : NULL, &root, 0, "root") < 0 ||
        (rooted && cmpi_check_root(self, root) < 0))
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (self->inter)
        size = self->peers;
    int is_root = self->inter ? root == MPI_ROOT : rank == root;
    int send_inplace = coll_inplace(self->st, a[0]);
    int recv_inplace = coll_inplace(self->st, a[1]);
    void *sbuf = MPI_IN_PLACE, *rbuf = MPI_IN_PLACE;
    int scount = 0, rcount = 0;
    MPI_Datatype stype = MPI_BYTE, rtype = MPI_BYTE;

    /* Which side of the call carries data on this rank. */
    int send_used = 1, recv_used = 1;
    if (kind == GATHER)
        recv_used = is_root || self->inter;
    if (kind == SCATTER)
        send_used = is_root || self->inter;
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

    if (send_used && !send_inplace) {
        if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND, 0) < 0)
            goto done;
        sbuf = sm.addr;
        stype = sm.dtype;
        scount = sm.count;
        if ((kind == SCATTER || kind == ALLTOALL) &&
            coll_per_rank(fname, "sendbuf", sm.count, size, &scount) < 0)
            goto done;
    }
    else if (!send_inplace) {
        sbuf = NULL;
    }
    if (recv_used && !recv_inplace) {
        if (cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV, 0) < 0)
            goto done;
        rbuf = rm.addr;
        rtype = rm.dtype;
        rcount = rm.count;
        if ((kind == GATHER || kind == ALLGATHER || kind == ALLTOALL) &&
            coll_per_rank(fname, "recvbuf", rm.count, size, &rcount) < 0)
            goto done;
    }
    else if (!recv_inplace) {
        rbuf = NULL;
    }
    if (send_inplace && kind == ALLTOALL) {
        scount = rcount;
        stype = rtype;
    }

    switch (kind) {
        case GATHER:
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Gather, MPI_Igather,
                      (sbuf, scount, stype, rbuf, rcount, rtype, root,
                       self->ob_mpi));
            break;
        case SCATTER:
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Scatter, MPI_Iscatter,
                      (sbuf, scount, stype, rbuf, rcount, rtype, root,
                       self->ob_mpi));
            break;
        case ALLGATHER:
            CMPI_COLL(
                    ierr, self->ob_mpi, fname, MPI_Allgather, MPI_Iallgather,
                    (sbuf, scount, stype, rbuf, rcount, rtype, self->ob_mpi));
            break;
        default:
            CMPI_COLL(
                    ierr, self->ob_mpi, fname, MPI_Alltoall, MPI_Ialltoall,
                    (sbuf, scount, stype, rbuf, rcount, rtype, self->ob_mpi));
            break;
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    return res;
}

CMPI_DOC(Comm_Gather_doc, "Gather($self, sendbuf, recvbuf, root=0)",
         "Gather data to one process from all other processes.");
static PyObject *
Comm_Gather(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return coll_buf_move(self, args, nargs, kwnames, GATHER);
}

CMPI_DOC(Comm_Scatter_doc, "Scatter($self, sendbuf, recvbuf, root=0)",
         "Scatter data from one process to all other processes.");
static PyObject *
Comm_Scatter(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    return coll_buf_move(self, args, nargs, kwnames, SCATTER);
}

CMPI_DOC(Comm_Allgather_doc, "Allgather($self, sendbuf, recvbuf)",
         "Gather to All, gather data from all processes and distribute it "
         "to all other processes.");
static PyObject *
Comm_Allgather(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return coll_buf_move(self, args, nargs, kwnames, ALLGATHER);
}

CMPI_DOC(Comm_Alltoall_doc, "Alltoall($self, sendbuf, recvbuf)",
         "All to All Scatter/Gather, send data from all to all processes "
         "in a group.");
static PyObject *
Comm_Alltoall(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    return coll_buf_move(self, args, nargs, kwnames, ALLTOALL);
}

enum {
    REDUCE,
    ALLREDUCE,
    SCAN,
    EXSCAN
};

static PyObject *
coll_buf_reduce(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames, int kind)
{
    static const char *const kw_root[] = {"sendbuf", "recvbuf", "op", "root",
                                          NULL};
    static const char *const kw_all[] = {"sendbuf", "recvbuf", "op", NULL};
    static const char *const names[] = {"Reduce", "Allreduce", "Scan",
                                        "Exscan"};
    const char *fname = names[kind];
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    int root = 0, rank = 0, ierr;
    MPI_Op op = MPI_SUM;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames,
                   kind == REDUCE ? kw_root : kw_all, 2, a) < 0 ||
        cmpi_opt_int(kind == REDUCE ? a[3] : NULL, &root, 0, "root") < 0 ||
        (kind == REDUCE && cmpi_check_root(self, root) < 0) ||
        (a[2] != NULL && a[2] != Py_None &&
         cmpi_op_from_object(self->st, a[2], &op) < 0))
        return NULL;
    if ((kind == SCAN || kind == EXSCAN) && self->inter) {
        PyErr_Format(PyExc_TypeError,
                     "%s is not defined on intercommunicators", fname);
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    int is_root = self->inter ? root == MPI_ROOT : rank == root;
    int send_inplace = coll_inplace(self->st, a[0]);
    int recv_used = kind != REDUCE || is_root;
    void *sbuf = MPI_IN_PLACE, *rbuf = NULL;
    int count = 0;
    MPI_Datatype dtype = MPI_BYTE;

    if (send_inplace && kind == REDUCE && !is_root) {
        PyErr_Format(PyExc_ValueError,
                     "%s: IN_PLACE is only valid at the root", fname);
        return NULL;
    }
    if (recv_used) {
        if (coll_inplace(self->st, a[1])) {
            PyErr_Format(PyExc_ValueError,
                         "%s: pass IN_PLACE as sendbuf, not recvbuf", fname);
            return NULL;
        }
        if (cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV, 0) < 0)
            goto done;
        rbuf = rm.addr;
        count = rm.count;
        dtype = rm.dtype;
    }
    if (!send_inplace) {
        if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND, 0) < 0)
            goto done;
        sbuf = sm.addr;
        if (recv_used && sm.count > rm.count) {
            PyErr_Format(PyExc_ValueError,
                         "%s: recvbuf has %d elements, fewer than the %d of "
                         "sendbuf",
                         fname, rm.count, sm.count);
            goto done;
        }
        count = sm.count;
        dtype = sm.dtype;
    }
    switch (kind) {
        case REDUCE:
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Reduce, MPI_Ireduce,
                      (sbuf, rbuf, count, dtype, op, root, self->ob_mpi));
            break;
        case ALLREDUCE:
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Allreduce, MPI_Iallreduce,
                      (sbuf, rbuf, count, dtype, op, self->ob_mpi));
            break;
        case SCAN:
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Scan, MPI_Iscan,
                      (sbuf, rbuf, count, dtype, op, self->ob_mpi));
            break;
        default:
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Exscan, MPI_Iexscan,
                      (sbuf, rbuf, count, dtype, op, self->ob_mpi));
            break;
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    return res;
}

CMPI_DOC_NOSIG(Comm_Reduce_doc,
               "Reduce(self, sendbuf, recvbuf, op=SUM, root=0)",
               "Reduce to Root.");
static PyObject *
Comm_Reduce(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return coll_buf_reduce(self, args, nargs, kwnames, REDUCE);
}

CMPI_DOC_NOSIG(Comm_Allreduce_doc, "Allreduce(self, sendbuf, recvbuf, op=SUM)",
               "Reduce to All.");
static PyObject *
Comm_Allreduce(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return coll_buf_reduce(self, args, nargs, kwnames, ALLREDUCE);
}

CMPI_DOC_NOSIG(Intracomm_Scan_doc, "Scan(self, sendbuf, recvbuf, op=SUM)",
               "Inclusive Scan.");
static PyObject *
Intracomm_Scan(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return coll_buf_reduce(self, args, nargs, kwnames, SCAN);
}

CMPI_DOC_NOSIG(Intracomm_Exscan_doc, "Exscan(self, sendbuf, recvbuf, op=SUM)",
               "Exclusive Scan.");
static PyObject *
Intracomm_Exscan(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return coll_buf_reduce(self, args, nargs, kwnames, EXSCAN);
}

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
                PyObject *kwnames, int kind)
{
    static const char *const kw_root[] = {"sendbuf", "recvbuf", "root", NULL};
    static const char *const kw_all[] = {"sendbuf", "recvbuf", NULL};
    static const char *const names[] = {"Gatherv", "Scatterv", "Allgatherv",
                                        "Alltoallv"};
    const char *fname = names[kind];
    int rooted = (kind == GATHERV || kind == SCATTERV);
    PyObject *a[3] = {NULL, NULL, NULL};
    int root = 0, rank = 0, ierr, size;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    cmpi_msgv sv, rv;
    memset(&sv, 0, sizeof(sv));
    memset(&rv, 0, sizeof(rv));
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames, rooted ? kw_root : kw_all, 2,
                   a) < 0 ||
        cmpi_opt_int(rooted ? a[2] : NULL, &root, 0, "root") < 0 ||
        (rooted && cmpi_check_root(self, root) < 0))
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    size = self->inter ? self->peers : self->size;
    int is_root = self->inter ? root == MPI_ROOT : rank == root;
    int send_inplace = coll_inplace(self->st, a[0]);
    int recv_inplace = coll_inplace(self->st, a[1]);
    if ((send_inplace &&
         ((kind == GATHERV && !is_root) || kind == SCATTERV)) ||
        (recv_inplace && !(kind == SCATTERV && is_root))) {
        PyErr_Format(PyExc_ValueError,
                     "%s: IN_PLACE is not valid for this argument on this "
                     "rank",
                     fname);
        return NULL;
    }
    switch (kind) {
        case GATHERV:
            if (!send_inplace &&
                cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND,
                               self->inter && root != MPI_ROOT ? 0 : 1) < 0)
                goto done;
            if (is_root || (self->inter && root == MPI_ROOT)) {
                if (cmpi_msgv_parse(self->st, a[1], &rv, size, CMPI_MSG_RECV,
                                    0) < 0)
                    goto done;
            }
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Gatherv, MPI_Igatherv,
                      (send_inplace ? MPI_IN_PLACE : sm.addr, sm.count,
                       sm.dtype, rv.addr, rv.counts, rv.displs, rv.dtype, root,
                       self->ob_mpi));
            break;
        case SCATTERV:
            if (is_root) {
                if (cmpi_msgv_parse(self->st, a[0], &sv, size, CMPI_MSG_SEND,
                                    0) < 0)
                    goto done;
            }
            if (!recv_inplace &&
                cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV, 1) < 0)
                goto done;
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Scatterv, MPI_Iscatterv,
                      (sv.addr, sv.counts, sv.displs, sv.dtype,
                       recv_inplace ? MPI_IN_PLACE : rm.addr, rm.count,
                       rm.dtype, root, self->ob_mpi));
            break;
        case ALLGATHERV:
            if (!send_inplace &&
                cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND, 0) < 0)
                goto done;
            if (cmpi_msgv_parse(self->st, a[1], &rv, size, CMPI_MSG_RECV, 0) <
                0)
                goto done;
            CMPI_COLL(
                    ierr, self->ob_mpi, fname, MPI_Allgatherv, MPI_Iallgatherv,
                    (send_inplace ? MPI_IN_PLACE : sm.addr, sm.count, sm.dtype,
                     rv.addr, rv.counts, rv.displs, rv.dtype, self->ob_mpi));
            break;
        default:
            if (!send_inplace && cmpi_msgv_parse(self->st, a[0], &sv, size,
                                                 CMPI_MSG_SEND, 0) < 0)
                goto done;
            if (cmpi_msgv_parse(self->st, a[1], &rv, size, CMPI_MSG_RECV, 0) <
                0)
                goto done;
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Alltoallv, MPI_Ialltoallv,
                      (send_inplace ? MPI_IN_PLACE : sv.addr, sv.counts,
                       sv.displs, sv.dtype, rv.addr, rv.counts, rv.displs,
                       rv.dtype, self->ob_mpi));
            break;
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    cmpi_msgv_release(&sv);
    cmpi_msgv_release(&rv);
    return res;
}

CMPI_DOC(Comm_Gatherv_doc, "Gatherv($self, sendbuf, recvbuf, root=0)",
         "Gather Vector, gather data to one process from all other "
         "processes providing different amounts of data and displacements.");
static PyObject *
Comm_Gatherv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    return coll_buf_vector(self, args, nargs, kwnames, GATHERV);
}

CMPI_DOC(Comm_Scatterv_doc, "Scatterv($self, sendbuf, recvbuf, root=0)",
         "Scatter Vector, scatter data from one process to all other "
         "processes providing different amounts of data and displacements.");
static PyObject *
Comm_Scatterv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    return coll_buf_vector(self, args, nargs, kwnames, SCATTERV);
}

CMPI_DOC(Comm_Allgatherv_doc, "Allgatherv($self, sendbuf, recvbuf)",
         "Gather to All Vector, gather data from all processes and send it "
         "to all other processes providing different amounts of data and "
         "displacements.");
static PyObject *
Comm_Allgatherv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return coll_buf_vector(self, args, nargs, kwnames, ALLGATHERV);
}

CMPI_DOC(Comm_Alltoallv_doc, "Alltoallv($self, sendbuf, recvbuf)",
         "All to All Scatter/Gather Vector, send data from all to all "
         "processes in a group providing different amounts of data and "
         "displacements.");
static PyObject *
Comm_Alltoallv(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return coll_buf_vector(self, args, nargs, kwnames, ALLTOALLV);
}

static PyObject *
reduce_scatter_impl(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames, int block)
{
    static const char *const kw_block[] = {"sendbuf", "recvbuf", "op", NULL};
    static const char *const kw_v[] = {"sendbuf", "recvbuf", "recvcounts",
                                       "op", NULL};
    const char *fname = block ? "Reduce_scatter_block" : "Reduce_scatter";
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    PyObject *oop;
    MPI_Op op = MPI_SUM;
    int size = self->size, ierr;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    int *counts = NULL;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames, block ? kw_block : kw_v, 2,
                   a) < 0)
        return NULL;
    oop = block ? a[2] : a[3];
    if (oop != NULL && oop != Py_None &&
        cmpi_op_from_object(self->st, oop, &op) < 0)
        return NULL;
    int send_inplace = coll_inplace(self->st, a[0]);
    if (cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV, 0) < 0)
        return NULL;
    if (!send_inplace &&
        cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND, 0) < 0)
        goto done;
    if (block) {
        int count = rm.count;
        if (send_inplace) {
            if (coll_per_rank(fname, "recvbuf", rm.count, size, &count) < 0)
                goto done;
        }
        else if ((long long)sm.count != (long long)count * size) {
            PyErr_Format(PyExc_ValueError,
                         "%s: sendbuf has %d elements, expected %d (recvbuf's "
                         "%d times %d ranks)",
                         fname, sm.count, count * size, count, size);
            goto done;
        }
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Reduce_scatter_block,
                  MPI_Ireduce_scatter_block,
                  (send_inplace ? MPI_IN_PLACE : sm.addr, rm.addr, count,
                   rm.dtype, op, self->ob_mpi));
    }
    else {
        counts = PyMem_New(int, size);
        if (counts == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        if (a[2] != NULL && a[2] != Py_None) {
            if (msgv_ints(a[2], size, counts, "recvcounts") < 0)
                goto done;
        }
        else {
            int mine = rm.count;
            CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Allgather, MPI_Iallgather,
                      (&mine, 1, MPI_INT, counts, 1, MPI_INT, self->ob_mpi));
            if (ierr != MPI_SUCCESS) {
                cmpi_raise(self->st, ierr);
                goto done;
            }
        }
        long long total = 0;
        int rank = 0;
        MPI_Comm_rank(self->ob_mpi, &rank);
        for (int i = 0; i < size; i++) total += counts[i];
        if (!send_inplace && sm.count != total) {
            PyErr_Format(PyExc_ValueError,
                         "%s: sendbuf has %d elements, but recvcounts add up "
                         "to %lld",
                         fname, sm.count, total);
            goto done;
        }
        if (!send_inplace && rm.count < counts[rank]) {
            PyErr_Format(PyExc_ValueError,
                         "%s: recvbuf has %d elements, fewer than "
                         "recvcounts[%d]=%d",
                         fname, rm.count, rank, counts[rank]);
            goto done;
        }
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Reduce_scatter,
                  MPI_Ireduce_scatter,
                  (send_inplace ? MPI_IN_PLACE : sm.addr, rm.addr, counts,
                   rm.dtype, op, self->ob_mpi));
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = Py_NewRef(Py_None);
done:
    PyMem_Free(counts);
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    return res;
}

CMPI_DOC_NOSIG(Comm_Reduce_scatter_block_doc,
               "Reduce_scatter_block(self, sendbuf, recvbuf, op=SUM)",
               "Reduce-Scatter Block (regular, non-vector version).");
static PyObject *
Comm_Reduce_scatter_block(CommObject *self, PyObject *const *args,
                          Py_ssize_t nargs, PyObject *kwnames)
{
    return reduce_scatter_impl(self, args, nargs, kwnames, 1);
}

CMPI_DOC_NOSIG(Comm_Reduce_scatter_doc,
               "Reduce_scatter(self, sendbuf, recvbuf, recvcounts=None, "
               "op=SUM)",
               "Reduce-Scatter (vector version).");
static PyObject *
Comm_Reduce_scatter(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    return reduce_scatter_impl(self, args, nargs, kwnames, 0);
}

/* ------------------------------------------------------------------ */
/* Python objects */

static int
obj_coll_check(CommObject *self, const char *fname)
{
    if (cmpi_comm_check(self) < 0)
        return -1;
    if (self->inter) {
        PyErr_Format(PyExc_NotImplementedError,
                     "%s on an intercommunicator is not supported yet", fname);
        return -1;
    }
    return 0;
}

static PyObject *
remote_failure(CommObject *self, const char *fname, int rank)
{
    return cmpi_raise_msg(self->st, MPI_ERR_OTHER,
                          "%s: rank %d could not take part (its object could "
                          "not be pickled, or its arguments were invalid)",
                          fname, rank);
}

/* Out-of-band buffers of the lowercase collectives (NumPy arrays inside
 * the objects) travel point to point on the communicator's shadow, tag 0
 * (large point-to-point payloads use tags from 1), from their own memory
 * into memory the received object owns.  Each rank sends to each rank d
 * the buffers of the list send_lists[d] (NULL: nothing); for each source
 * r with nbufs[r] > 0 it receives a list of bytearrays into got[r].  First the
 * lengths, then the buffers: each source sends in the order its receivers
 * post, so MPI's non-overtaking rule pairs them even across consecutive
 * collectives. */
static int
oob_exchange(CommObject *self, PyObject **send_lists, const int *nbufs,
             PyObject **got)
{
    cmpi_state *st = self->st;
    int size = self->size, nreq = 0, ierr = MPI_SUCCESS, rc = -1;
    long long **mylens = NULL, **lens = NULL;
    PyObject **views = NULL;
    MPI_Request *reqs = NULL;
    long long maxreq = 0;
    for (int r = 0; r < size; r++) {
        maxreq += nbufs[r] + 1;
        if (send_lists[r] != NULL)
            maxreq += PyList_GET_SIZE(send_lists[r]) + 1;
    }
    reqs = PyMem_New(MPI_Request, maxreq > 0 ? maxreq : 1);
    lens = PyMem_Calloc(size, sizeof(*lens));
    mylens = PyMem_Calloc(size, sizeof(*mylens));
    views = PyMem_Calloc(size, sizeof(*views));
    if (!reqs || !lens || !mylens || !views) {
        PyErr_NoMemory();
        goto done;
    }
    /* the lengths */
    for (int d = 0; d < size && ierr == MPI_SUCCESS; d++) {
        if (send_lists[d] == NULL)
            continue;
        Py_ssize_t n = PyList_GET_SIZE(send_lists[d]);
        views[d] = PyList_New(n);
        mylens[d] = PyMem_New(long long, n > 0 ? n : 1);
        if (views[d] == NULL || mylens[d] == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            /* a memoryview holds each buffer exported while MPI reads */
            PyObject *mv =
                    PyMemoryView_FromObject(PyList_GET_ITEM(send_lists[d], i));
            if (mv == NULL)
                goto done;
            PyList_SET_ITEM(views[d], i, mv);
            mylens[d][i] = PyMemoryView_GET_BUFFER(mv)->len;
        }
        ierr = MPI_Isend(mylens[d], (int)(8 * n), MPI_BYTE, d, 0, self->shadow,
                         &reqs[nreq++]);
    }
    for (int r = 0; r < size && ierr == MPI_SUCCESS; r++) {
        if (nbufs[r] <= 0)
            continue;
        lens[r] = PyMem_New(long long, nbufs[r]);
        if (lens[r] == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        ierr = MPI_Irecv(lens[r], 8 * nbufs[r], MPI_BYTE, r, 0, self->shadow,
                         &reqs[nreq++]);
    }
    if (ierr == MPI_SUCCESS)
        CMPI_NOGIL(ierr = cmpi_waitall(nreq, reqs));
    nreq = 0;
    /* the buffers */
    for (int d = 0; d < size && ierr == MPI_SUCCESS; d++) {
        if (views[d] == NULL)
            continue;
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(views[d]); i++) {
            Py_buffer *v =
                    PyMemoryView_GET_BUFFER(PyList_GET_ITEM(views[d], i));
            ierr = isend_bytes(v->buf, v->len, d, 0, self->shadow,
                               &reqs[nreq++]);
            if (ierr != MPI_SUCCESS)
                break;
        }
    }
    for (int r = 0; r < size && ierr == MPI_SUCCESS; r++) {
        if (nbufs[r] <= 0)
            continue;
        got[r] = PyList_New(nbufs[r]);
        if (got[r] == NULL)
            goto done;
        for (int i = 0; i < nbufs[r] && ierr == MPI_SUCCESS; i++) {
            PyObject *b = PyByteArray_FromStringAndSize(
                    NULL, (Py_ssize_t)lens[r][i]);
            if (b == NULL)
                goto done;
            PyList_SET_ITEM(got[r], i, b);
            ierr = irecv_bytes(PyByteArray_AS_STRING(b), lens[r][i], r, 0,
                               self->shadow, &reqs[nreq++]);
        }
    }
    if (ierr == MPI_SUCCESS)
        CMPI_NOGIL(ierr = cmpi_waitall(nreq, reqs));
    if (ierr != MPI_SUCCESS)
        cmpi_raise(st, ierr);
    else
        rc = 0;
done:
    if (rc < 0 && nreq > 0) {
        /* never leave posted operations on memory about to be freed */
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        CMPI_NOGIL(cmpi_waitall(nreq, reqs));
        PyErr_Restore(et, ev, tb);
    }
    for (int r = 0; r < size; r++) {
        if (lens)
            PyMem_Free(lens[r]);
        if (mylens)
            PyMem_Free(mylens[r]);
        if (views)
            Py_XDECREF(views[r]);
    }
    PyMem_Free(lens);
    PyMem_Free(mylens);
    PyMem_Free(views);
    PyMem_Free(reqs);
    return rc;
}

/* Copies of this rank's own out-of-band buffers, for its own result. */
static PyObject *
oob_copies(PyObject *mine)
{
    Py_ssize_t n = PyList_GET_SIZE(mine);
    PyObject *list = PyList_New(n);
    for (Py_ssize_t i = 0; list && i < n; i++) {
        PyObject *c = PyByteArray_FromObject(PyList_GET_ITEM(mine, i));
        if (c == NULL)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, i, c);
    }
    return list;
}

/* Objects per rank, exchanged as pickles.  `data` is this rank's pickle
 * (NULL if it failed: its size is sent as -1) and `mine` its out-of-band
 * buffers (or NULL).  Gathers at `root`, or at every rank if root < 0.
 * Returns the list of unpickled objects at the receiving ranks, None
 * elsewhere. */
static PyObject *
gather_pickles(CommObject *self, const char *fname, PyObject *data,
               PyObject *mine, int root)
{
    cmpi_state *st = self->st;
    int size = self->size, rank = 0, ierr;
    int me[2] = {FAILED_SIZE, mine ? (int)PyList_GET_SIZE(mine) : 0};
    int *info = NULL, *counts = NULL, *displs = NULL, *nbufs = NULL;
    PyObject *recv = NULL, *list = NULL, **got = NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    int receiving = root < 0 || rank == root;

    if (data != NULL && cmpi_size_to_int(PyBytes_GET_SIZE(data), &me[0]) < 0)
        PyErr_Clear(); /* too large: sent as a failure, raised below */
    if (me[0] < 0)
        me[1] = 0;
    info = PyMem_New(int, 5 * (size_t)size);
    got = PyMem_New(PyObject *, size);
    if (info == NULL || got == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    counts = info + 2 * size;
    displs = info + 3 * size;
    nbufs = info + 4 * size;
    for (int i = 0; i < size; i++) {
        got[i] = NULL;
        nbufs[i] = 0;
    }
    if (root < 0)
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Allgather, MPI_Iallgather,
                  (me, 2, MPI_INT, info, 2, MPI_INT, self->ob_mpi));
    else
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Gather, MPI_Igather,
                  (me, 2, MPI_INT, info, 2, MPI_INT, root, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        goto error;
    }
    long long total = 0;
    int failed = -1;
    if (receiving) {
        for (int i = 0; i < size; i++) {
            counts[i] = info[2 * i];
            nbufs[i] = i == rank ? 0 : info[2 * i + 1];
            if (counts[i] < 0) {
                if (failed < 0)
                    failed = i;
                counts[i] = 0;
            }
            displs[i] = (int)total;
            total += counts[i];
        }
        if (total > INT_MAX) {
            /* every rank still has to complete the Gatherv below */
            for (int i = 0; i < size; i++) counts[i] = 0;
            failed = -2;
            total = 0;
        }
        recv = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
        if (recv == NULL)
            goto error;
    }
    int sendcount = me[0] < 0 ? 0 : me[0];
    if (failed == -2)
        sendcount = 0; /* only receivers know; all raise below */
    const char *sbuf = data ? PyBytes_AS_STRING(data) : NULL;
    char *rbuf = recv ? PyBytes_AS_STRING(recv) : NULL;
    if (root < 0)
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Allgatherv, MPI_Iallgatherv,
                  (sbuf, sendcount, MPI_BYTE, rbuf, counts, displs, MPI_BYTE,
                   self->ob_mpi));
    else
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Gatherv, MPI_Igatherv,
                  (sbuf, sendcount, MPI_BYTE, rbuf, counts, displs, MPI_BYTE,
                   root, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        goto error;
    }
    /* Then the out-of-band buffers, to the receiving ranks. */
    {
        PyObject **send_lists =
                (PyObject **)PyMem_Calloc(size, sizeof(PyObject *));
        if (send_lists == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        for (int d = 0; me[1] > 0 && d < size; d++)
            if (d != rank && (root < 0 || d == root))
                send_lists[d] = mine;
        if (!receiving)
            for (int i = 0; i < size; i++) nbufs[i] = 0;
        int rc = oob_exchange(self, send_lists, nbufs, got);
        PyMem_Free(send_lists);
        if (rc < 0)
            goto error;
    }
    if (me[0] < 0) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_OverflowError,
                         "%s: pickled object exceeds 2**31-1 bytes", fname);
        goto error;
    }
    if (!receiving) {
        list = Py_NewRef(Py_None);
        goto done;
    }
    if (failed == -2) {
        PyErr_Format(PyExc_OverflowError,
                     "%s: the pickled objects exceed 2**31-1 bytes in total",
                     fname);
        goto error;
    }
    if (failed >= 0) {
        remote_failure(self, fname, failed);
        goto error;
    }
    if (me[1] > 0 && (got[rank] = oob_copies(mine)) == NULL)
        goto error;
    list = PyList_New(size);
    if (list == NULL)
        goto error;
    for (int i = 0; i < size; i++) {
        PyObject *o = cmpi_loads_oob(st, rbuf + displs[i], counts[i], got[i]);
        if (o == NULL)
            goto error;
        PyList_SET_ITEM(list, i, o);
    }
    goto done;
error:
    Py_CLEAR(list);
done:
    if (got != NULL)
        for (int i = 0; i < size; i++) Py_XDECREF(got[i]);
    PyMem_Free(got);
    Py_XDECREF(recv);
    PyMem_Free(info);
    return list;
}

CMPI_DOC(Comm_bcast_doc, "bcast($self, obj, root=0)",
         "Broadcast a Python object from one process to all processes.");

/* Small pickles travel inside the first broadcast, with their size, so a
 * small object costs one collective instead of two. */
#define BCAST_HEAD 256

/* Broadcast n bytes at buf (any n: large counts use a derived type). */
static int
bcast_bytes(CommObject *self, void *buf, long long n, int root)
{
    int count, ierr;
    MPI_Datatype type;
    ierr = bytes_type(n, &count, &type);
    if (ierr == MPI_SUCCESS)
        CMPI_COLL(ierr, self->ob_mpi, "bcast", MPI_Bcast, MPI_Ibcast,
                  (buf, count, type, root, self->ob_mpi));
    bytes_type_free(&type);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

/* A small pickle travels inside the first broadcast, with its size, so a
 * small object costs one collective instead of two.  Large buffers inside
 * the object (NumPy arrays) are broadcast from their own memory into
 * memory the received object owns: no copies (pickle protocol 5). */
static PyObject *
Comm_bcast(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames)
{
    static const char *const kw[] = {"obj", "root", NULL};
    PyObject *a[2] = {NULL, NULL};
    int root, rank = 0, ierr;
    if (obj_coll_check(self, "bcast") < 0 ||
        cmpi_parse("bcast", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_opt_int(a[1], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    PyObject *sendobj = a[0] ? a[0] : Py_None;
    struct {
        long long len;
        int nbuf;
        int pad;
        char data[BCAST_HEAD - 16];
    } head;
    const Py_ssize_t room = (Py_ssize_t)sizeof(head.data);
    PyObject *data = NULL, *exc = NULL, *buffers = NULL, *obj = NULL;
    long long *lens = NULL;
    int nbuf = 0;
    memset(&head, 0, 16);
    if (rank == root) {
        data = cmpi_dumps_oob(self->st, sendobj, &buffers);
        if (data == NULL)
            exc = PyErr_GetRaisedException_compat();
        head.len = data ? (long long)PyBytes_GET_SIZE(data) : FAILED_SIZE;
        head.nbuf = buffers ? (int)PyList_GET_SIZE(buffers) : 0;
        if (data && head.len <= room)
            memcpy(head.data, PyBytes_AS_STRING(data), (size_t)head.len);
    }
    CMPI_COLL(ierr, self->ob_mpi, "bcast", MPI_Bcast, MPI_Ibcast,
              (&head, BCAST_HEAD, MPI_BYTE, root, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    if (head.len == FAILED_SIZE) {
        if (exc != NULL) {
            PyErr_SetRaisedException_compat(exc);
            exc = NULL;
        }
        else {
            remote_failure(self, "bcast", root);
        }
        goto done;
    }
    nbuf = head.nbuf;
    /* Every rank, the root too, gets its own copy, as in mpi4py. */
    if (head.len <= room && nbuf == 0) {
        obj = cmpi_loads(self->st, head.data, (Py_ssize_t)head.len);
        goto done;
    }
    /* The buffers' sizes, then the stream, then each buffer. */
    if (nbuf > 0) {
        lens = PyMem_New(long long, nbuf);
        if (lens == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        if (rank == root) {
            for (int i = 0; i < nbuf; i++) {
                Py_buffer v;
                if (PyObject_GetBuffer(PyList_GET_ITEM(buffers, i), &v,
                                       PyBUF_ANY_CONTIGUOUS) < 0)
                    goto done; /* cannot happen: checked when pickling */
                lens[i] = v.len;
                PyBuffer_Release(&v);
            }
        }
        if (bcast_bytes(self, lens, 8LL * nbuf, root) < 0)
            goto done;
    }
    if (rank != root) {
        data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)head.len);
        buffers = nbuf ? PyList_New(nbuf) : NULL;
        if (data == NULL || (nbuf && buffers == NULL))
            goto done;
    }
    if (head.len > room &&
        bcast_bytes(self, PyBytes_AS_STRING(data), head.len, root) < 0)
        goto done;
    for (int i = 0; i < nbuf; i++) {
        Py_buffer v;
        if (rank == root) {
            if (PyObject_GetBuffer(PyList_GET_ITEM(buffers, i), &v,
                                   PyBUF_ANY_CONTIGUOUS) < 0)
                goto done;
        }
        else {
            PyObject *b =
                    PyByteArray_FromStringAndSize(NULL, (Py_ssize_t)lens[i]);
            if (b == NULL)
                goto done;
            PyList_SET_ITEM(buffers, i, b);
            if (PyObject_GetBuffer(b, &v, PyBUF_WRITABLE) < 0)
                goto done;
        }
        int rc = bcast_bytes(self, v.buf, lens[i], root);
        PyBuffer_Release(&v);
        if (rc < 0)
            goto done;
    }
    if (rank == root) {
        /* the root's copy must not share the original's memory */
        for (int i = 0; i < nbuf; i++) {
            PyObject *copy =
                    PyByteArray_FromObject(PyList_GET_ITEM(buffers, i));
            if (copy == NULL || PyList_SetItem(buffers, i, copy) < 0)
                goto done;
        }
    }
    obj = cmpi_loads_oob(
            self->st, head.len <= room ? head.data : PyBytes_AS_STRING(data),
            (Py_ssize_t)head.len, buffers);
done:
    PyMem_Free(lens);
    Py_XDECREF(exc);
    Py_XDECREF(data);
    Py_XDECREF(buffers);
    return obj;
}

static PyObject *
gather_like(CommObject *self, PyObject *obj, int root, const char *fname)
{
    PyObject *exc = NULL, *mine = NULL;
    PyObject *data = cmpi_dumps_oob(
            self->st, obj, self->shadow != MPI_COMM_NULL ? &mine : NULL);
    if (data == NULL)
        exc = PyErr_GetRaisedException_compat();
    PyObject *res = gather_pickles(self, fname, data, mine, root);
    Py_XDECREF(data);
    Py_XDECREF(mine);
    if (exc != NULL) {
        Py_XDECREF(res);
        PyErr_SetRaisedException_compat(exc);
        return NULL;
    }
    return res;
}

CMPI_DOC(Comm_gather_doc, "gather($self, sendobj, root=0)",
         "Gather Python objects to one process from all processes.");
static PyObject *
Comm_gather(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", "root", NULL};
    PyObject *a[2] = {NULL, NULL};
    int root;
    if (obj_coll_check(self, "gather") < 0 ||
        cmpi_parse("gather", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[1], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0)
        return NULL;
    return gather_like(self, a[0], root, "gather");
}

CMPI_DOC(Comm_allgather_doc, "allgather($self, sendobj)",
         "Gather Python objects to all processes.");
static PyObject *
Comm_allgather(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", NULL};
    PyObject *a[1] = {NULL};
    if (obj_coll_check(self, "allgather") < 0 ||
        cmpi_parse("allgather", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    return gather_like(self, a[0], -1, "allgather");
}

/* Pickle each item of a sequence of `size` objects into one buffer.
 * On failure returns -1 with the exception set. */
static int
dumps_each(cmpi_state *st, const char *fname, PyObject *seqobj, int size,
           PyObject **out_buf, int *counts, int *displs, PyObject **oob)
{
    PyObject *seq = NULL, *parts = NULL;
    *out_buf = NULL;
    if (seqobj == Py_None || !PySequence_Check(seqobj)) {
        PyErr_Format(PyExc_TypeError,
                     "%s: expected a sequence of %d objects at the sending "
                     "rank, got %.100s",
                     fname, size, Py_TYPE(seqobj)->tp_name);
        return -1;
    }
    seq = PySequence_Fast(seqobj, "expected a sequence");
    if (seq == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(seq) != size) {
        PyErr_Format(PyExc_ValueError,
                     "%s: expected a sequence of %d objects (one per rank), "
                     "got %zd",
                     fname, size, PySequence_Fast_GET_SIZE(seq));
        goto error;
    }
    parts = PyList_New(size);
    if (parts == NULL)
        goto error;
    long long total = 0;
    for (int i = 0; i < size; i++) {
        PyObject *d = cmpi_dumps_oob(st, PySequence_Fast_GET_ITEM(seq, i),
                                     oob ? &oob[i] : NULL);
        if (d == NULL)
            goto error;
        PyList_SET_ITEM(parts, i, d);
        counts[i] = (int)PyBytes_GET_SIZE(d);
        displs[i] = (int)total;
        total += PyBytes_GET_SIZE(d);
        if (total > INT_MAX) {
            PyErr_Format(PyExc_OverflowError,
                         "%s: the pickled objects exceed 2**31-1 bytes",
                         fname);
            goto error;
        }
    }
    PyObject *buf = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (buf == NULL)
        goto error;
    for (int i = 0; i < size; i++)
        memcpy(PyBytes_AS_STRING(buf) + displs[i],
               PyBytes_AS_STRING(PyList_GET_ITEM(parts, i)),
               (size_t)counts[i]);
    *out_buf = buf;
    Py_DECREF(parts);
    Py_DECREF(seq);
    return 0;
error:
    Py_XDECREF(parts);
    Py_XDECREF(seq);
    return -1;
}

CMPI_DOC(Comm_scatter_doc, "scatter($self, sendobj, root=0)",
         "Scatter Python objects from one process to all processes.");
static PyObject *
Comm_scatter(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", "root", NULL};
    PyObject *a[2] = {NULL, NULL};
    int root, rank = 0, size = self->size, ierr, my[2] = {0, 0};
    if (obj_coll_check(self, "scatter") < 0 ||
        cmpi_parse("scatter", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[1], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    int *info = PyMem_Calloc(5 * (size_t)size, sizeof(int));
    PyObject **oob = PyMem_Calloc(3 * (size_t)size, sizeof(PyObject *));
    if (info == NULL || oob == NULL) {
        PyMem_Free(info);
        PyMem_Free(oob);
        return PyErr_NoMemory();
    }
    /* info: (count, nbuf) pairs, then counts, displs, nbufs */
    int *counts = info + 2 * size, *displs = info + 3 * size,
        *nbufs = info + 4 * size;
    PyObject **got = oob + size, **send_lists = oob + 2 * size;
    PyObject *sendbuf = NULL, *exc = NULL, *recv = NULL, *res = NULL;
    int use_oob = self->shadow != MPI_COMM_NULL;
    if (rank == root) {
        if (dumps_each(self->st, "scatter", a[0], size, &sendbuf, counts,
                       displs, use_oob ? oob : NULL) < 0) {
            exc = PyErr_GetRaisedException_compat();
            for (int i = 0; i < size; i++) {
                counts[i] = FAILED_SIZE;
                displs[i] = 0;
            }
        }
        for (int i = 0; i < size; i++) {
            info[2 * i] = counts[i];
            info[2 * i + 1] = oob[i] ? (int)PyList_GET_SIZE(oob[i]) : 0;
            if (i != root)
                send_lists[i] = oob[i];
        }
    }
    CMPI_COLL(ierr, self->ob_mpi, "scatter", MPI_Scatter, MPI_Iscatter,
              (info, 2, MPI_INT, my, 2, MPI_INT, root, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    if (my[0] == FAILED_SIZE) {
        if (exc != NULL) {
            PyErr_SetRaisedException_compat(exc);
            exc = NULL;
        }
        else {
            remote_failure(self, "scatter", root);
        }
        goto done;
    }
    recv = PyBytes_FromStringAndSize(NULL, my[0]);
    if (recv == NULL)
        goto done; /* out of memory */
    CMPI_COLL(ierr, self->ob_mpi, "scatter", MPI_Scatterv, MPI_Iscatterv,
              (sendbuf ? PyBytes_AS_STRING(sendbuf) : NULL, counts, displs,
               MPI_BYTE, PyBytes_AS_STRING(recv), my[0], MPI_BYTE, root,
               self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    /* out-of-band buffers: from the root to each rank, point to point */
    if (rank != root)
        nbufs[root] = my[1];
    if (oob_exchange(self, send_lists, nbufs, got) < 0)
        goto done;
    if (rank == root && oob[root] != NULL &&
        (got[root] = oob_copies(oob[root])) == NULL)
        goto done;
    res = cmpi_loads_oob(self->st, PyBytes_AS_STRING(recv), my[0], got[root]);
done:
    for (int i = 0; i < size; i++) {
        Py_XDECREF(oob[i]);
        Py_XDECREF(got[i]);
    }
    PyMem_Free(oob);
    PyMem_Free(info);
    Py_XDECREF(exc);
    Py_XDECREF(recv);
    Py_XDECREF(sendbuf);
    return res;
}

CMPI_DOC(Comm_alltoall_doc, "alltoall($self, sendobj)",
         "All to All Scatter/Gather, send Python objects from all to all "
         "processes.");
static PyObject *
Comm_alltoall(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", NULL};
    PyObject *a[1] = {NULL};
    int size = self->size, rank = 0, ierr;
    if (obj_coll_check(self, "alltoall") < 0 ||
        cmpi_parse("alltoall", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    int *buf = PyMem_Calloc(8 * (size_t)size, sizeof(int));
    PyObject **oob = PyMem_Calloc(2 * (size_t)size, sizeof(PyObject *));
    if (buf == NULL || oob == NULL) {
        PyMem_Free(buf);
        PyMem_Free(oob);
        return PyErr_NoMemory();
    }
    int *scounts = buf, *sdispls = buf + size, *rcounts = buf + 2 * size,
        *rdispls = buf + 3 * size, *spairs = buf + 4 * size,
        *rpairs = buf + 6 * size, *nbufs = rpairs;
    PyObject **got = oob + size;
    PyObject *sendbuf = NULL, *exc = NULL, *recv = NULL, *res = NULL;
    if (dumps_each(self->st, "alltoall", a[0], size, &sendbuf, scounts,
                   sdispls, self->shadow != MPI_COMM_NULL ? oob : NULL) < 0) {
        exc = PyErr_GetRaisedException_compat();
        for (int i = 0; i < size; i++) {
            scounts[i] = FAILED_SIZE;
            sdispls[i] = 0;
            Py_CLEAR(oob[i]);
        }
    }
    for (int i = 0; i < size; i++) {
        spairs[2 * i] = scounts[i];
        spairs[2 * i + 1] = oob[i] ? (int)PyList_GET_SIZE(oob[i]) : 0;
    }
    CMPI_COLL(ierr, self->ob_mpi, "alltoall", MPI_Alltoall, MPI_Ialltoall,
              (spairs, 2, MPI_INT, rpairs, 2, MPI_INT, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    int failed = -1;
    long long total = 0;
    for (int i = 0; i < size; i++) {
        rcounts[i] = rpairs[2 * i];
        nbufs[i] = i == rank ? 0 : rpairs[2 * i + 1];
        if (rcounts[i] < 0) {
            if (failed < 0)
                failed = i;
            rcounts[i] = 0;
        }
        if (scounts[i] < 0)
            scounts[i] = 0;
        rdispls[i] = (int)total;
        total += rcounts[i];
    }
    if (total > INT_MAX) {
        for (int i = 0; i < size; i++) rcounts[i] = 0;
        failed = -2;
        total = 0;
    }
    recv = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (recv == NULL)
        goto done;
    /* Data is exchanged even when some rank failed, so no rank is left
     * waiting in the collective. */
    CMPI_COLL(ierr, self->ob_mpi, "alltoall", MPI_Alltoallv, MPI_Ialltoallv,
              (sendbuf ? PyBytes_AS_STRING(sendbuf) : NULL, scounts, sdispls,
               MPI_BYTE, PyBytes_AS_STRING(recv), rcounts, rdispls, MPI_BYTE,
               self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    {
        /* out-of-band buffers, pairwise; not to this rank itself */
        PyObject *own = oob[rank];
        oob[rank] = NULL;
        int rc = oob_exchange(self, oob, nbufs, got);
        oob[rank] = own;
        if (rc < 0)
            goto done;
    }
    if (exc != NULL) {
        PyErr_SetRaisedException_compat(exc);
        exc = NULL;
        goto done;
    }
    if (failed == -2) {
        PyErr_SetString(PyExc_OverflowError,
                        "alltoall: received objects exceed 2**31-1 bytes");
        goto done;
    }
    if (failed >= 0) {
        remote_failure(self, "alltoall", failed);
        goto done;
    }
    if (oob[rank] != NULL && (got[rank] = oob_copies(oob[rank])) == NULL)
        goto done;
    res = PyList_New(size);
    if (res == NULL)
        goto done;
    for (int i = 0; i < size; i++) {
        PyObject *o =
                cmpi_loads_oob(self->st, PyBytes_AS_STRING(recv) + rdispls[i],
                               rcounts[i], got[i]);
        if (o == NULL) {
            Py_CLEAR(res);
            goto done;
        }
        PyList_SET_ITEM(res, i, o);
    }
done:
    for (int i = 0; i < size; i++) {
        Py_XDECREF(oob[i]);
        Py_XDECREF(got[i]);
    }
    PyMem_Free(oob);
    Py_XDECREF(exc);
    Py_XDECREF(recv);
    Py_XDECREF(sendbuf);
    PyMem_Free(buf);
    return res;
}

/* Fold items[lo:hi] with op, in rank order. */
static PyObject *
fold(cmpi_state *st, PyObject *op, PyObject *list, Py_ssize_t lo,
     Py_ssize_t hi)
{
    PyObject *acc = Py_NewRef(PyList_GET_ITEM(list, lo));
    for (Py_ssize_t i = lo + 1; i < hi; i++) {
        PyObject *next = cmpi_op_apply(st, op, acc, PyList_GET_ITEM(list, i));
        Py_DECREF(acc);
        if (next == NULL)
            return NULL;
        acc = next;
    }
    return acc;
}

static PyObject *
reduce_objects(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames, int kind)
{
    static const char *const kw_root[] = {"sendobj", "op", "root", NULL};
    static const char *const kw_all[] = {"sendobj", "op", NULL};
    static const char *const names[] = {"reduce", "allreduce", "scan",
                                        "exscan"};
    const char *fname = names[kind];
    PyObject *a[3] = {NULL, NULL, NULL};
    int root = 0, rank = 0;
    if (obj_coll_check(self, fname) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames,
                   kind == REDUCE ? kw_root : kw_all, 1, a) < 0 ||
        cmpi_opt_int(kind == REDUCE ? a[2] : NULL, &root, 0, "root") < 0 ||
        (kind == REDUCE && cmpi_check_root(self, root) < 0))
        return NULL;
    PyObject *op = a[1];
    if (op == NULL || op == Py_None) {
        op = PyObject_GetAttrString(
                PyType_GetModuleByDef(Py_TYPE(self), &cmpi_module), "SUM");
        if (op == NULL)
            return NULL;
    }
    else {
        Py_INCREF(op);
        if (!PyCallable_Check(op)) {
            PyErr_Format(PyExc_TypeError,
                         "%s: op must be an MPI.Op or a callable, got %.100s",
                         fname, Py_TYPE(op)->tp_name);
            Py_DECREF(op);
            return NULL;
        }
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    PyObject *list =
            gather_like(self, a[0], kind == REDUCE ? root : -1, fname);
    PyObject *res = NULL;
    if (list == NULL || list == Py_None) {
        res = list;
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (kind == REDUCE || kind == ALLREDUCE)
        res = fold(self->st, op, list, 0, n);
    else if (kind == SCAN)
        res = fold(self->st, op, list, 0, rank + 1);
    else
        res = rank == 0 ? Py_NewRef(Py_None)
                        : fold(self->st, op, list, 0, rank);
    Py_DECREF(list);
done:
    Py_DECREF(op);
    return res;
}

CMPI_DOC_NOSIG(Comm_reduce_doc, "reduce(self, sendobj, op=SUM, root=0)",
               "Reduce Python objects to the root.");
static PyObject *
Comm_reduce(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return reduce_objects(self, args, nargs, kwnames, REDUCE);
}

CMPI_DOC_NOSIG(Comm_allreduce_doc, "allreduce(self, sendobj, op=SUM)",
               "Reduce Python objects to all processes.");
static PyObject *
Comm_allreduce(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return reduce_objects(self, args, nargs, kwnames, ALLREDUCE);
}

CMPI_DOC_NOSIG(Intracomm_scan_doc, "scan(self, sendobj, op=SUM)",
               "Inclusive Scan of Python objects.");
static PyObject *
Intracomm_scan(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return reduce_objects(self, args, nargs, kwnames, SCAN);
}

CMPI_DOC_NOSIG(Intracomm_exscan_doc, "exscan(self, sendobj, op=SUM)",
               "Exclusive Scan of Python objects.");
static PyObject *
Intracomm_exscan(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return reduce_objects(self, args, nargs, kwnames, EXSCAN);
}

#define CMPI_COLL_METHODS                                                     \
    {"Barrier", (PyCFunction)Comm_Barrier, METH_NOARGS, Comm_Barrier_doc},    \
            {"barrier", (PyCFunction)Comm_Barrier, METH_NOARGS,               \
             Comm_barrier_doc},                                               \
            {"Bcast", FN(Comm_Bcast), FASTKW, Comm_Bcast_doc},                \
            {"Gather", FN(Comm_Gather), FASTKW, Comm_Gather_doc},             \
            {"Scatter", FN(Comm_Scatter), FASTKW, Comm_Scatter_doc},          \
            {"Allgather", FN(Comm_Allgather), FASTKW, Comm_Allgather_doc},    \
            {"Alltoall", FN(Comm_Alltoall), FASTKW, Comm_Alltoall_doc},       \
            {"Gatherv", FN(Comm_Gatherv), FASTKW, Comm_Gatherv_doc},          \
            {"Scatterv", FN(Comm_Scatterv), FASTKW, Comm_Scatterv_doc},       \
            {"Allgatherv", FN(Comm_Allgatherv), FASTKW, Comm_Allgatherv_doc}, \
            {"Alltoallv", FN(Comm_Alltoallv), FASTKW, Comm_Alltoallv_doc},    \
            {"Reduce_scatter_block", FN(Comm_Reduce_scatter_block), FASTKW,   \
             Comm_Reduce_scatter_block_doc},                                  \
            {"Reduce_scatter", FN(Comm_Reduce_scatter), FASTKW,               \
             Comm_Reduce_scatter_doc},                                        \
            {"Reduce", FN(Comm_Reduce), FASTKW, Comm_Reduce_doc},             \
            {"Allreduce", FN(Comm_Allreduce), FASTKW, Comm_Allreduce_doc},    \
            {"bcast", FN(Comm_bcast), FASTKW, Comm_bcast_doc},                \
            {"gather", FN(Comm_gather), FASTKW, Comm_gather_doc},             \
            {"scatter", FN(Comm_scatter), FASTKW, Comm_scatter_doc},          \
            {"allgather", FN(Comm_allgather), FASTKW, Comm_allgather_doc},    \
            {"alltoall", FN(Comm_alltoall), FASTKW, Comm_alltoall_doc},       \
            {"reduce", FN(Comm_reduce), FASTKW, Comm_reduce_doc},             \
            {"allreduce", FN(Comm_allreduce), FASTKW, Comm_allreduce_doc},

#define CMPI_INTRA_COLL_METHODS                                             \
    {"Scan", FN(Intracomm_Scan), FASTKW, Intracomm_Scan_doc},               \
            {"Exscan", FN(Intracomm_Exscan), FASTKW, Intracomm_Exscan_doc}, \
            {"scan", FN(Intracomm_scan), FASTKW, Intracomm_scan_doc},       \
            {"exscan", FN(Intracomm_exscan), FASTKW, Intracomm_exscan_doc},
