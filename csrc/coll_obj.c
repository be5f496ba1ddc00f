/*
 * coll_obj.c -- collective communication of pickled Python objects (bcast,
 * gather, scatter, allgather, alltoall, reduce, allreduce, scan, exscan).
 *
 * A lowercase collective never leaves the other ranks waiting when one
 * rank cannot take part (an object that cannot be pickled, a scatter
 * sequence of the wrong length): that rank sends a size of -1 instead of
 * its data, and the ranks that receive it raise too.
 */
#include "cmpi.h"

#define FAILED_SIZE (-1)
/* The "root" of the gathers that deliver to every rank (MPI_ROOT and
 * MPI_PROC_NULL are negative too). */
#define ALL_RANKS INT_MIN

/* ------------------------------------------------------------------ */
/* Python objects */

static int
obj_coll_check(CommObject *self, const char *Py_UNUSED(fname))
{
    return cmpi_comm_check(self);
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
oob_exchange(CommObject *self, const char *fname, PyObject **send_lists,
             const int *nbufs, PyObject **got)
{
    cmpi_state *st = self->st;
    /* ranks this rank can address: the remote group of an intercomm */
    int size = self->peers, nreq = 0, ierr = MPI_SUCCESS, rc = -1;
    long long **mylens = NULL, **lens = NULL;
    PyObject **views = NULL;
    MPI_Request *reqs = NULL;
    long long maxreq = 0;
    for (int r = 0; r < size; r++) {
        maxreq += nbufs[r] + 1;
        if (send_lists[r] != NULL) {
            maxreq += PyList_GET_SIZE(send_lists[r]) + 1;
        }
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
        if (send_lists[d] == NULL) {
            continue;
        }
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
            if (mv == NULL) {
                goto done;
            }
            PyList_SET_ITEM(views[d], i, mv);
            mylens[d][i] = PyMemoryView_GET_BUFFER(mv)->len;
        }
        ierr = MPI_Isend(mylens[d], (int)(8 * n), MPI_BYTE, d, 0, self->shadow,
                         &reqs[nreq++]);
    }
    for (int r = 0; r < size && ierr == MPI_SUCCESS; r++) {
        if (nbufs[r] <= 0) {
            continue;
        }
        lens[r] = PyMem_New(long long, nbufs[r]);
        if (lens[r] == NULL) {
            PyErr_NoMemory();
            goto done;
        }
        ierr = MPI_Irecv(lens[r], 8 * nbufs[r], MPI_BYTE, r, 0, self->shadow,
                         &reqs[nreq++]);
    }
    if (ierr == MPI_SUCCESS) {
        CMPI_NOGIL_CALL(fname, self->ob_mpi, ierr = cmpi_waitall(nreq, reqs));
    }
    nreq = 0;
    /* the buffers */
    for (int d = 0; d < size && ierr == MPI_SUCCESS; d++) {
        if (views[d] == NULL) {
            continue;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(views[d]); i++) {
            Py_buffer *v =
                    PyMemoryView_GET_BUFFER(PyList_GET_ITEM(views[d], i));
            ierr = cmpi_isend_bytes(v->buf, v->len, d, 0, self->shadow,
                                    &reqs[nreq++]);
            if (ierr != MPI_SUCCESS) {
                break;
            }
        }
    }
    for (int r = 0; r < size && ierr == MPI_SUCCESS; r++) {
        if (nbufs[r] <= 0) {
            continue;
        }
        got[r] = PyList_New(nbufs[r]);
        if (got[r] == NULL) {
            goto done;
        }
        for (int i = 0; i < nbufs[r] && ierr == MPI_SUCCESS; i++) {
            char *mem;
            PyObject *b =
                    cmpi_oob_recv_buffer(st, (Py_ssize_t)lens[r][i], &mem);
            if (b == NULL) {
                goto done;
            }
            PyList_SET_ITEM(got[r], i, b);
            ierr = cmpi_irecv_bytes(mem, lens[r][i], r, 0, self->shadow,
                                    &reqs[nreq++]);
        }
    }
    if (ierr == MPI_SUCCESS) {
        CMPI_NOGIL_CALL(fname, self->ob_mpi, ierr = cmpi_waitall(nreq, reqs));
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
    }
    else {
        rc = 0;
    }
done:
    if (rc < 0 && nreq > 0) {
        /* never leave posted operations on memory about to be freed */
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        CMPI_NOGIL(cmpi_waitall(nreq, reqs));
        PyErr_Restore(et, ev, tb);
    }
    for (int r = 0; r < size; r++) {
        if (lens) {
            PyMem_Free(lens[r]);
        }
        if (mylens) {
            PyMem_Free(mylens[r]);
        }
        if (views) {
            Py_XDECREF(views[r]);
        }
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
        if (c == NULL) {
            Py_CLEAR(list);
        }
        else {
            PyList_SET_ITEM(list, i, c);
        }
    }
    return list;
}

/* Pickle streams up to this size travel inside the collective's Gatherv,
 * Scatterv or Alltoallv, which then never exceeds 2**31-1 bytes; a larger
 * stream travels point to point as the first of its object's out-of-band
 * buffers, so an object of any size gets through. */
static long long
inband_limit(CommObject *self)
{
    int n = self->size > self->peers ? self->size : self->peers;
    long long limit = INT_MAX / (n > 0 ? n : 1);
    return limit < (64LL << 20) ? limit : (64LL << 20);
}

/* The out-of-band list that carries `data` too, when its stream is too
 * large to travel in band (a new reference; `mine` may be NULL). */
static PyObject *
oob_with_stream(PyObject *data, PyObject *mine)
{
    Py_ssize_t n = mine ? PyList_GET_SIZE(mine) : 0;
    PyObject *list = PyList_New(n + 1);
    if (list == NULL) {
        return NULL;
    }
    PyList_SET_ITEM(list, 0, Py_NewRef(data));
    for (Py_ssize_t i = 0; i < n; i++) {
        PyList_SET_ITEM(list, i + 1, Py_NewRef(PyList_GET_ITEM(mine, i)));
    }
    return list;
}

/* Where one rank's pickle stream arrived: in band, among the gathered
 * bytes, or as the first of its out-of-band buffers.  The values are
 * the 0/1 "streamed?" the ranks exchange. */
enum part_stream {
    PART_IN_BAND = 0,
    PART_STREAMED = 1
};

/* Unpickle what one rank sent: its stream is in band (buf, n), or, when
 * PART_STREAMED, the first of the out-of-band buffers `got`. */
static PyObject *
loads_part(cmpi_state *st, const char *buf, Py_ssize_t n, PyObject *got,
           enum part_stream where)
{
    if (where == PART_IN_BAND) {
        return cmpi_loads_oob(st, buf, n, got);
    }
    /* a bytearray, or for 1 MiB and more the MPI.buffer over the reused
     * receive memory (cmpi_oob_recv_buffer): read it as a buffer */
    Py_buffer stream;
    if (PyObject_GetBuffer(PyList_GET_ITEM(got, 0), &stream, PyBUF_SIMPLE) <
        0) {
        return NULL;
    }
    PyObject *rest = PyList_GetSlice(got, 1, PyList_GET_SIZE(got));
    if (rest == NULL) {
        PyBuffer_Release(&stream);
        return NULL;
    }
    PyObject *o = cmpi_loads_oob(st, stream.buf, stream.len,
                                 PyList_GET_SIZE(rest) ? rest : NULL);
    Py_DECREF(rest);
    PyBuffer_Release(&stream);
    return o;
}

/* What each rank announces before a gather of pickles: its stream length
 * (or FAILED_SIZE), its number of out-of-band buffers, where its stream
 * travels, and, when the stream is small, the stream itself.  Small objects
 * (the int of an allreduce, a short dict) thus cost a single Allgather. */
enum {
    STREAM_IN_BAND = 0,
    STREAM_SEPARATE = 1,
    STREAM_IN_HEAD = 2
};
#define HEAD_WORDS 8
#define HEAD_INLINE ((HEAD_WORDS - 3) * (int)sizeof(long long))

/* Total pickle bytes of an allreduce above which its objects are reduced
 * along a tree rather than gathered at every rank. */
#define TREE_MIN_BYTES (256 * 1024)

static PyObject *
reduce_tree(CommObject *self, const char *fname, PyObject *data,
            PyObject *mine, PyObject *op);

/* Whether an allreduce moves enough data that a tree beats gathering every
 * object at every rank (which moves size**2 objects in all). */
static int
tree_pays(CommObject *self, const long long *info)
{
    long long total = 0;
    if (self->size <= 2) {
        return 0;
    }
    for (int i = 0; i < self->size; i++) {
        const long long *head = info + HEAD_WORDS * i;
        if (head[1] > 0 || head[2] == STREAM_SEPARATE) {
            return 1; /* out-of-band buffers: NumPy arrays */
        }
        total += head[0];
    }
    return total > TREE_MIN_BYTES;
}

/* Objects per rank, exchanged as pickles.  `data` is this rank's pickle
 * (NULL if it failed: its size is sent as -1) and `mine` its out-of-band
 * buffers (or NULL).  Gathers at `root`, or at every rank if ALL_RANKS.
 * Returns the list of unpickled objects at the receiving ranks, None
 * elsewhere.  On an intercommunicator the objects come from the remote
 * group: at the root (root=MPI.ROOT), or at every rank (ALL_RANKS).
 * When `reduce_op` is given (an allreduce on an intracommunicator) and the
 * objects are large, they are reduced along a tree instead, and the result
 * is the reduced object itself (*reduced set to 1). */
/* The profile's figures of a gather of pickles: this rank's pickle sent,
 * the other ranks' pickles received (out-of-band buffers are not counted:
 * the headers do not carry their sizes). */
static CMPI_NOINLINE void
prof_gathered(CommObject *self, const long long *me, const long long *info,
              int sending, int receiving, int root)
{
    long long sent = 0, received = 0;
    int rank = 0;
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (sending && me[0] > 0) {
        sent = me[0];
    }
    for (int i = 0; receiving && i < self->peers; i++) {
        if ((self->inter || i != rank) && info[HEAD_WORDS * i] > 0) {
            received += info[HEAD_WORDS * i];
        }
    }
    cmpi_prof_peer(root, -1);
    cmpi_prof_bytes(sent, received);
}

static PyObject *
gather_pickles(CommObject *self, const char *fname, PyObject *data,
               PyObject *mine, int root, PyObject *reduce_op, int *reduced)
{
    cmpi_state *st = self->st;
    int nrecv = self->peers, rank = 0, ierr, inter = self->inter;
    long long me[HEAD_WORDS] = {0};
    long long *info = NULL;
    int *counts = NULL, *displs = NULL, *nbufs = NULL;
    PyObject *recv = NULL, *list = NULL, **got = NULL, *outgoing = NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    int all = root == ALL_RANKS;
    int receiving = all || (inter ? root == MPI_ROOT : rank == root);
    int sending = !inter || all || (root != MPI_ROOT && root != MPI_PROC_NULL);
    int self_in = !inter; /* this rank's object is in its own result */

    me[0] = data ? (long long)PyBytes_GET_SIZE(data) : FAILED_SIZE;
    me[1] = data && mine ? PyList_GET_SIZE(mine) : 0;
    if (me[0] > inband_limit(self)) {
        me[2] = STREAM_SEPARATE;
    }
    else if (me[0] >= 0 && me[0] <= HEAD_INLINE) {
        me[2] = STREAM_IN_HEAD;
        memcpy(me + 3, PyBytes_AS_STRING(data), (size_t)me[0]);
    }
    info = PyMem_New(long long, HEAD_WORDS *(size_t)nrecv + 1);
    counts = PyMem_New(int, 3 * (size_t)nrecv + 1);
    got = PyMem_Calloc(nrecv + 1, sizeof(PyObject *));
    if (info == NULL || counts == NULL || got == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    displs = counts + nrecv;
    nbufs = counts + 2 * nrecv;
    for (int i = 0; i < nrecv; i++) {
        nbufs[i] = 0;
    }
    if (all) {
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Allgather, MPI_Iallgather,
                  (me, HEAD_WORDS, MPI_LONG_LONG, info, HEAD_WORDS,
                   MPI_LONG_LONG, self->ob_mpi));
    }
    else {
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Gather, MPI_Igather,
                  (me, HEAD_WORDS, MPI_LONG_LONG, info, HEAD_WORDS,
                   MPI_LONG_LONG, root, self->ob_mpi));
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        goto error;
    }
    if (cmpi_prof_on()) {
        prof_gathered(self, me, info, sending, receiving, all ? -1 : root);
    }
    long long total = 0;
    int failed = -1, any_in_band = 0, any_oob = 0;
    if (reduce_op != NULL && all && self_in) {
        int ok = 1;
        for (int i = 0; i < nrecv; i++) {
            ok &= info[HEAD_WORDS * i] >= 0;
        }
        if (ok && tree_pays(self, info)) {
            *reduced = 1;
            list = reduce_tree(self, fname, data, mine, reduce_op);
            goto done;
        }
    }
    if (receiving) {
        for (int i = 0; i < nrecv; i++) {
            long long *head = info + HEAD_WORDS * i;
            long long len = head[0];
            counts[i] = len < 0 || head[2] != STREAM_IN_BAND ? 0 : (int)len;
            nbufs[i] = self_in && i == rank
                               ? 0
                               : (int)head[1] + (head[2] == STREAM_SEPARATE);
            if (len < 0 && failed < 0) {
                failed = i;
            }
            any_in_band |= counts[i] > 0;
            any_oob |= nbufs[i] > 0;
            displs[i] = (int)total;
            total += counts[i];
        }
        recv = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
        if (recv == NULL) {
            goto error;
        }
    }
    int sendcount = me[0] < 0 || me[2] != STREAM_IN_BAND ? 0 : (int)me[0];
    const char *sbuf = data ? PyBytes_AS_STRING(data) : NULL;
    char *rbuf = recv ? PyBytes_AS_STRING(recv) : NULL;
    /* On an intracommunicator every rank of an all-gather sees every
     * header, so all agree to skip the second step when no stream needs
     * it.  (Across an intercommunicator each group sees only the other's
     * headers, and a rooted gather's senders see none.) */
    int second_step = !(all && self_in) || any_in_band;
    if (second_step && all) {
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Allgatherv, MPI_Iallgatherv,
                  (sbuf, sendcount, MPI_BYTE, rbuf, counts, displs, MPI_BYTE,
                   self->ob_mpi));
    }
    else if (second_step) {
        CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Gatherv, MPI_Igatherv,
                  (sbuf, sendcount, MPI_BYTE, rbuf, counts, displs, MPI_BYTE,
                   root, self->ob_mpi));
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        goto error;
    }
    /* Then the out-of-band buffers (and a large stream), to the receiving
     * ranks.  Each rank knows what it receives from the headers, and what
     * it sends from its own. */
    outgoing = me[2] == STREAM_SEPARATE ? oob_with_stream(data, mine)
                                        : Py_XNewRef(mine);
    if (me[2] == STREAM_SEPARATE && outgoing == NULL) {
        goto error;
    }
    int sends_oob = sending && me[0] >= 0 && outgoing &&
                    PyList_GET_SIZE(outgoing) > 0 && !(self_in && nrecv == 1);
    if (sends_oob || any_oob) {
        PyObject **send_lists =
                (PyObject **)PyMem_Calloc(nrecv + 1, sizeof(PyObject *));
        if (send_lists == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        for (int d = 0; sends_oob && d < nrecv; d++) {
            if (!(self_in && d == rank) && (all || d == root)) {
                send_lists[d] = outgoing;
            }
        }
        int rc = oob_exchange(self, fname, send_lists, nbufs, got);
        PyMem_Free(send_lists);
        if (rc < 0) {
            goto error;
        }
    }
    if (me[0] < 0 && sending) {
        /* this rank's own pickling error: the caller raises it */
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_RuntimeError, "%s: could not pickle", fname);
        }
        goto error;
    }
    if (!receiving) {
        list = Py_NewRef(Py_None);
        goto done;
    }
    if (failed >= 0) {
        remote_failure(self, fname, failed);
        goto error;
    }
    if (self_in && me[1] > 0 && (got[rank] = oob_copies(mine)) == NULL) {
        goto error;
    }
    list = PyList_New(nrecv);
    if (list == NULL) {
        goto error;
    }
    for (int i = 0; i < nrecv; i++) {
        long long *head = info + HEAD_WORDS * i;
        PyObject *o;
        if (self_in && i == rank) {
            o = cmpi_loads_oob(st, PyBytes_AS_STRING(data),
                               PyBytes_GET_SIZE(data), got[i]);
        }
        else if (head[2] == STREAM_IN_HEAD) {
            o = cmpi_loads_oob(st, (const char *)(head + 3),
                               (Py_ssize_t)head[0], got[i]);
        }
        else {
            o = loads_part(
                    st, rbuf + displs[i], counts[i], got[i],
                    head[2] == STREAM_SEPARATE ? PART_STREAMED : PART_IN_BAND);
        }
        if (o == NULL) {
            goto error;
        }
        PyList_SET_ITEM(list, i, o);
    }
    goto done;
error:
    Py_CLEAR(list);
done:
    if (got != NULL) {
        for (int i = 0; i < nrecv; i++) {
            Py_XDECREF(got[i]);
        }
    }
    PyMem_Free(got);
    Py_XDECREF(outgoing);
    Py_XDECREF(recv);
    PyMem_Free(info);
    PyMem_Free(counts);
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
    ierr = cmpi_bytes_type(n, &count, &type);
    if (ierr == MPI_SUCCESS) {
        CMPI_COLL(ierr, self->ob_mpi, "bcast", MPI_Bcast, MPI_Ibcast,
                  (buf, count, type, root, self->ob_mpi));
    }
    cmpi_bytes_type_free(&type);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

/* bcast on an intercommunicator.  Every process of both groups makes the
 * same two collective calls (the size, then the pickle), as MPI requires:
 * the root group's PROC_NULL ranks never see the size, so the number of
 * calls cannot depend on it.  The pickle travels in band. */
static PyObject *
inter_bcast(CommObject *self, PyObject *sendobj, int root, int sending,
            int receiving)
{
    long long len = 0;
    int ierr;
    PyObject *data = NULL, *exc = NULL, *obj = NULL;
    if (sending) {
        data = cmpi_dumps_oob(self->st, sendobj, NULL);
        if (data == NULL) {
            exc = PyErr_GetRaisedException_compat();
        }
        len = data ? (long long)PyBytes_GET_SIZE(data) : FAILED_SIZE;
    }
    CMPI_COLL(ierr, self->ob_mpi, "bcast", MPI_Bcast, MPI_Ibcast,
              (&len, 1, MPI_LONG_LONG, root, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    cmpi_prof_peer(root, -1);
    cmpi_prof_bytes(sending && len > 0 ? len : 0,
                    receiving && len > 0 ? len : 0);
    if (receiving && len >= 0 &&
        (data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)len)) == NULL) {
        goto done; /* out of memory: the root still waits for this rank */
    }
    long long n = (sending || receiving) && len > 0 ? len : 0;
    if (bcast_bytes(self, n ? PyBytes_AS_STRING(data) : NULL, n, root) < 0) {
        goto done;
    }
    if (exc != NULL) {
        PyErr_SetRaisedException_compat(exc);
        exc = NULL;
    }
    else if (receiving && len < 0) {
        remote_failure(self, "bcast", root);
    }
    else if (receiving) {
        obj = cmpi_loads(self->st, PyBytes_AS_STRING(data), (Py_ssize_t)len);
    }
    else {
        obj = Py_NewRef(Py_None);
    }
done:
    Py_XDECREF(exc);
    Py_XDECREF(data);
    return obj;
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
        cmpi_parse("bcast", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[1], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0) {
        return NULL;
    }
    cmpi_comm_lock_note(self, "bcast");
    MPI_Comm_rank(self->ob_mpi, &rank);
    PyObject *sendobj = a[0] ? a[0] : Py_None;
    if (self->inter) { /* MPI.ROOT sends, the remote group receives */
        return inter_bcast(self, sendobj, root, root == MPI_ROOT, root >= 0);
    }
    int sending = rank == root;
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
    if (sending) {
        data = cmpi_dumps_oob(self->st, sendobj, &buffers);
        if (data == NULL) {
            exc = PyErr_GetRaisedException_compat();
        }
        head.len = data ? (long long)PyBytes_GET_SIZE(data) : FAILED_SIZE;
        head.nbuf = buffers ? (int)PyList_GET_SIZE(buffers) : 0;
        if (data && head.len <= room) {
            memcpy(head.data, PyBytes_AS_STRING(data), (size_t)head.len);
        }
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
    cmpi_prof_peer(root, -1);
    cmpi_prof_bytes(sending ? head.len : 0, sending ? 0 : head.len);
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
        if (sending) {
            for (int i = 0; i < nbuf; i++) {
                Py_buffer v;
                if (PyObject_GetBuffer(PyList_GET_ITEM(buffers, i), &v,
                                       PyBUF_ANY_CONTIGUOUS) < 0) {
                    goto done; /* cannot happen: checked when pickling */
                }
                lens[i] = v.len;
                PyBuffer_Release(&v);
            }
        }
        if (bcast_bytes(self, lens, 8LL * nbuf, root) < 0) {
            goto done;
        }
    }
    if (!sending) {
        data = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)head.len);
        buffers = nbuf ? PyList_New(nbuf) : NULL;
        if (data == NULL || (nbuf && buffers == NULL)) {
            goto done;
        }
    }
    if (head.len > room &&
        bcast_bytes(self, PyBytes_AS_STRING(data), head.len, root) < 0) {
        goto done;
    }
    for (int i = 0; i < nbuf; i++) {
        Py_buffer v;
        if (sending) {
            if (PyObject_GetBuffer(PyList_GET_ITEM(buffers, i), &v,
                                   PyBUF_ANY_CONTIGUOUS) < 0) {
                goto done;
            }
        }
        else {
            char *mem;
            PyObject *b =
                    cmpi_oob_recv_buffer(self->st, (Py_ssize_t)lens[i], &mem);
            if (b == NULL) {
                goto done;
            }
            PyList_SET_ITEM(buffers, i, b);
            if (PyObject_GetBuffer(b, &v, PyBUF_WRITABLE) < 0) {
                goto done;
            }
        }
        cmpi_prof_bytes(sending ? lens[i] : 0, sending ? 0 : lens[i]);
        int rc = bcast_bytes(self, v.buf, lens[i], root);
        PyBuffer_Release(&v);
        if (rc < 0) {
            goto done;
        }
    }
    if (sending) {
        /* the root's copy must not share the original's memory */
        for (int i = 0; i < nbuf; i++) {
            PyObject *copy =
                    PyByteArray_FromObject(PyList_GET_ITEM(buffers, i));
            if (copy == NULL || PyList_SetItem(buffers, i, copy) < 0) {
                goto done;
            }
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

/* Send this rank's partial result (or its failure) up the tree: its length
 * and buffer count, then the stream and its out-of-band buffers. */
static int
tree_send(CommObject *self, PyObject *acc, int dest)
{
    PyObject *mine = NULL, *data = NULL;
    long long head[2] = {FAILED_SIZE, 0};
    int ierr, rc = -1, size = self->size;
    if (acc != NULL) {
        data = cmpi_dumps_oob(self->st, acc, &mine);
        if (data == NULL) {
            return -1; /* the caller sends the failure */
        }
        head[0] = PyBytes_GET_SIZE(data);
        head[1] = mine ? PyList_GET_SIZE(mine) : 0;
    }
    CMPI_NOGIL_CALL(
            "allreduce", self->ob_mpi,
            ierr = MPI_Send(head, 2, MPI_LONG_LONG, dest, 0, self->shadow));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    if (data != NULL) {
        PyObject **send_lists = PyMem_Calloc(size, sizeof(PyObject *));
        int *none = PyMem_Calloc(size, sizeof(int));
        PyObject **got = PyMem_Calloc(size, sizeof(PyObject *));
        PyObject *outgoing = oob_with_stream(data, mine);
        if (send_lists && none && got && outgoing) {
            send_lists[dest] = outgoing;
            rc = oob_exchange(self, "allreduce", send_lists, none, got);
        }
        else if (!PyErr_Occurred()) {
            PyErr_NoMemory();
        }
        Py_XDECREF(outgoing);
        PyMem_Free(send_lists);
        PyMem_Free(none);
        PyMem_Free(got);
    }
    else {
        rc = 0;
    }
done:
    Py_XDECREF(data);
    Py_XDECREF(mine);
    return rc;
}

/* Receive the partial result of `source` (a new reference; NULL with
 * *remote_failed set when that subtree failed, NULL with an exception on a
 * local error). */
static PyObject *
tree_recv(CommObject *self, int source, int *remote_failed)
{
    long long head[2];
    int ierr, size = self->size;
    CMPI_NOGIL_CALL("allreduce", self->ob_mpi,
                    ierr = MPI_Recv(head, 2, MPI_LONG_LONG, source, 0,
                                    self->shadow, MPI_STATUS_IGNORE));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return NULL;
    }
    if (head[0] < 0) {
        *remote_failed = 1;
        return NULL;
    }
    PyObject *obj = NULL,
             **send_lists = PyMem_Calloc(size, sizeof(PyObject *));
    int *nbufs = PyMem_Calloc(size, sizeof(int));
    PyObject **got = PyMem_Calloc(size, sizeof(PyObject *));
    if (send_lists == NULL || nbufs == NULL || got == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    nbufs[source] = 1 + (int)head[1]; /* the stream, then the buffers */
    if (oob_exchange(self, "allreduce", send_lists, nbufs, got) == 0) {
        obj = loads_part(self->st, NULL, 0, got[source], PART_STREAMED);
    }
done:
    if (got != NULL) {
        Py_XDECREF(got[source]);
    }
    PyMem_Free(send_lists);
    PyMem_Free(nbufs);
    PyMem_Free(got);
    return obj;
}

/* Allreduce of large objects along a binomial tree that keeps the ranks'
 * order (each step folds a block of ranks with the block right after it,
 * so non-commutative operations see rank order), then a broadcast from
 * rank 0.  Each rank sends and receives O(log size) objects, where
 * gathering every object at every rank moves size**2 of them.  A failure
 * anywhere (an operation that raises) travels up the tree, and every rank
 * raises. */
static PyObject *
reduce_tree(CommObject *self, const char *fname, PyObject *data,
            PyObject *mine, PyObject *op)
{
    cmpi_state *st = self->st;
    int rank = 0, size = self->size, remote_failed = 0, ierr;
    PyObject *acc = NULL, *exc = NULL, *copies = NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    /* a copy of this rank's own object, as the other ranks see it */
    if (mine != NULL && (copies = oob_copies(mine)) == NULL) {
        exc = PyErr_GetRaisedException_compat();
    }
    else {
        acc = cmpi_loads_oob(st, PyBytes_AS_STRING(data),
                             PyBytes_GET_SIZE(data), copies);
        if (acc == NULL) {
            exc = PyErr_GetRaisedException_compat();
        }
    }
    Py_XDECREF(copies);
    for (int step = 1; step < size; step <<= 1) {
        if (rank % (2 * step) != 0) {
            if (tree_send(self, exc ? NULL : acc, rank - step) < 0) {
                if (exc == NULL) {
                    /* could not pickle: tell the parent, keep the error */
                    exc = PyErr_GetRaisedException_compat();
                    if (tree_send(self, NULL, rank - step) < 0) {
                        PyErr_Clear();
                    }
                }
                else {
                    PyErr_Clear();
                }
            }
            break;
        }
        if (rank + step >= size) {
            continue;
        }
        PyObject *other = tree_recv(self, rank + step, &remote_failed);
        if (other == NULL && !remote_failed && exc == NULL) {
            exc = PyErr_GetRaisedException_compat();
        }
        else if (other == NULL) {
            PyErr_Clear();
        }
        if (other != NULL && exc == NULL && !remote_failed) {
            PyObject *next = cmpi_op_apply(st, op, acc, other);
            Py_SETREF(acc, next);
            if (next == NULL) {
                exc = PyErr_GetRaisedException_compat();
            }
        }
        Py_XDECREF(other);
    }
    /* rank 0 tells everyone whether the reduction worked, then sends it */
    int ok = rank == 0 ? (exc == NULL && !remote_failed) : 0;
    CMPI_COLL(ierr, self->ob_mpi, fname, MPI_Bcast, MPI_Ibcast,
              (&ok, 1, MPI_INT, 0, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        Py_XDECREF(exc);
        Py_XDECREF(acc);
        return cmpi_raise(st, ierr);
    }
    if (!ok) {
        Py_XDECREF(acc);
        if (exc != NULL) {
            PyErr_SetRaisedException_compat(exc);
            return NULL;
        }
        return cmpi_raise_msg(st, MPI_ERR_OTHER,
                              "%s: the reduction failed on another rank "
                              "(its operation raised, or its result could "
                              "not be pickled)",
                              fname);
    }
    Py_XDECREF(exc); /* a rank that failed after sending: not possible */
    PyObject *args[2] = {rank == 0 ? acc : Py_None, NULL};
    args[1] = PyLong_FromLong(0);
    if (args[1] == NULL) {
        Py_XDECREF(acc);
        return NULL;
    }
    PyObject *res = Comm_bcast(self, args, 2, NULL);
    Py_DECREF(args[1]);
    Py_XDECREF(acc);
    return res;
}

/* Pickle obj and gather the objects (see gather_pickles); with `op` (an
 * allreduce), large objects may come back already reduced (*reduced). */
static PyObject *
gather_like_reduce(CommObject *self, PyObject *obj, int root,
                   const char *fname, PyObject *op, int *reduced)
{
    PyObject *exc = NULL, *mine = NULL;
    if (self->inter && (root == MPI_ROOT || root == MPI_PROC_NULL)) {
        obj = Py_None; /* sends nothing: the remote group does */
    }
    PyObject *data = cmpi_dumps_oob(
            self->st, obj, self->shadow != MPI_COMM_NULL ? &mine : NULL);
    if (data == NULL) {
        exc = PyErr_GetRaisedException_compat();
    }
    PyObject *res = gather_pickles(self, fname, data, mine, root, op, reduced);
    Py_XDECREF(data);
    Py_XDECREF(mine);
    if (exc != NULL) {
        Py_XDECREF(res);
        PyErr_SetRaisedException_compat(exc);
        return NULL;
    }
    return res;
}

static PyObject *
gather_like(CommObject *self, PyObject *obj, int root, const char *fname)
{
    int reduced = 0;
    return gather_like_reduce(self, obj, root, fname, NULL, &reduced);
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
        cmpi_check_root(self, root) < 0) {
        return NULL;
    }
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
        cmpi_parse("allgather", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    return gather_like(self, a[0], ALL_RANKS, "allgather");
}

/* Pickle each item of a sequence of `size` objects, for rank i: lens[i]
 * bytes of stream, in band at displs[i] of *out_buf (counts[i] bytes), or,
 * when longer than inband_limit(), as the first of the out-of-band
 * buffers oob[i] (counts[i] = 0).  On failure returns -1 with the
 * exception set. */
static int
dumps_each(CommObject *self, const char *fname, PyObject *seqobj, int size,
           PyObject **out_buf, int *counts, int *displs, long long *lens,
           PyObject **oob)
{
    cmpi_state *st = self->st;
    long long limit = inband_limit(self);
    PyObject *seq = NULL, *parts = NULL;
    *out_buf = NULL;
    if (seqobj == Py_None) {
        /* as in mpi4py: None sends None to every rank */
        seq = PyList_New(size);
        for (int i = 0; seq && i < size; i++) {
            PyList_SET_ITEM(seq, i, Py_NewRef(Py_None));
        }
    }
    else if (!PySequence_Check(seqobj) && !PyIter_Check(seqobj)) {
        PyErr_Format(PyExc_TypeError,
                     "%s: expected a sequence of %d objects at the sending "
                     "rank, got %.100s",
                     fname, size, Py_TYPE(seqobj)->tp_name);
        return -1;
    }
    else {
        seq = PySequence_Fast(seqobj, "expected a sequence");
    }
    if (seq == NULL) {
        return -1;
    }
    if (PySequence_Fast_GET_SIZE(seq) != size) {
        PyErr_Format(PyExc_ValueError,
                     "%s: expected a sequence of %d objects (one per rank), "
                     "got %zd",
                     fname, size, PySequence_Fast_GET_SIZE(seq));
        goto error;
    }
    parts = PyList_New(size);
    if (parts == NULL) {
        goto error;
    }
    long long total = 0;
    for (int i = 0; i < size; i++) {
        PyObject *d = cmpi_dumps_oob(st, PySequence_Fast_GET_ITEM(seq, i),
                                     oob ? &oob[i] : NULL);
        if (d == NULL) {
            goto error;
        }
        PyList_SET_ITEM(parts, i, d);
        lens[i] = PyBytes_GET_SIZE(d);
        counts[i] = 0;
        displs[i] = (int)total;
        if (lens[i] > limit && oob != NULL) {
            PyObject *with = oob_with_stream(d, oob[i]);
            if (with == NULL) {
                goto error;
            }
            Py_XSETREF(oob[i], with);
            continue;
        }
        if (lens[i] > limit || total + lens[i] > INT_MAX) {
            PyErr_Format(PyExc_OverflowError,
                         "%s: the pickled objects exceed 2**31-1 bytes",
                         fname);
            goto error;
        }
        counts[i] = (int)lens[i];
        total += lens[i];
    }
    PyObject *buf = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (buf == NULL) {
        goto error;
    }
    for (int i = 0; i < size; i++) {
        memcpy(PyBytes_AS_STRING(buf) + displs[i],
               PyBytes_AS_STRING(PyList_GET_ITEM(parts, i)),
               (size_t)counts[i]);
    }
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

/* What the root of a scatter sends each rank first: the stream's length
 * (or FAILED_SIZE), its number of out-of-band buffers, whether the stream
 * travels separately, whether every rank's stream is in its head, and
 * then (if so) the stream itself.  On an intracommunicator a scatter of
 * small objects so costs one MPI_Scatter: the root writes the same answer
 * into every head, so all ranks agree to skip the Scatterv.  (Across an
 * intercommunicator the root's own group sees no head: they always make
 * the second call.) */
#define SCATTER_WORDS 10
#define SCATTER_INLINE ((SCATTER_WORDS - 4) * (int)sizeof(long long))
static PyObject *
Comm_scatter(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", "root", NULL};
    PyObject *a[2] = {NULL, NULL};
    int root, rank = 0, size = self->peers, ierr;
    long long my[SCATTER_WORDS] = {0};
    if (obj_coll_check(self, "scatter") < 0 ||
        cmpi_parse("scatter", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[1], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    /* sending: this rank (or MPI.ROOT on an intercomm); receiving: the
     * others (the remote group on an intercomm) */
    int inter = self->inter;
    int sending = inter ? root == MPI_ROOT : rank == root;
    int receiving = inter ? root >= 0 : 1;
    /* info: the heads (SCATTER_WORDS), one per rank */
    long long *info = PyMem_Calloc((SCATTER_WORDS + 1) * (size_t)size,
                                   sizeof(long long));
    int *counts = PyMem_Calloc(3 * (size_t)size, sizeof(int));
    PyObject **oob = PyMem_Calloc(3 * (size_t)size, sizeof(PyObject *));
    if (info == NULL || counts == NULL || oob == NULL) {
        PyMem_Free(info);
        PyMem_Free(counts);
        PyMem_Free(oob);
        return PyErr_NoMemory();
    }
    long long *lens = info + SCATTER_WORDS * (size_t)size;
    int *displs = counts + size, *nbufs = counts + 2 * size;
    PyObject **got = oob + size, **send_lists = oob + 2 * size;
    PyObject *sendbuf = NULL, *exc = NULL, *recv = NULL, *res = NULL;
    int use_oob = self->shadow != MPI_COMM_NULL;
    if (sending) {
        if (dumps_each(self, "scatter", a[0], size, &sendbuf, counts, displs,
                       lens, use_oob ? oob : NULL) < 0) {
            exc = PyErr_GetRaisedException_compat();
            for (int i = 0; i < size; i++) {
                lens[i] = FAILED_SIZE;
                counts[i] = displs[i] = 0;
                Py_CLEAR(oob[i]);
            }
        }
        int in_heads = !inter && exc == NULL;
        for (int i = 0; i < size; i++) {
            in_heads &= lens[i] >= 0 && lens[i] <= SCATTER_INLINE &&
                        counts[i] == lens[i] && oob[i] == NULL;
        }
        for (int i = 0; i < size; i++) {
            long long *head = info + SCATTER_WORDS * (size_t)i;
            head[0] = lens[i];
            head[1] = oob[i] ? PyList_GET_SIZE(oob[i]) : 0;
            head[2] = lens[i] > 0 && counts[i] == 0;
            head[3] = in_heads;
            if (in_heads && lens[i] > 0) {
                memcpy(head + 4, PyBytes_AS_STRING(sendbuf) + displs[i],
                       (size_t)lens[i]);
            }
            if (inter || i != root) {
                send_lists[i] = oob[i];
            }
        }
    }
    CMPI_COLL(ierr, self->ob_mpi, "scatter", MPI_Scatter, MPI_Iscatter,
              (info, SCATTER_WORDS, MPI_LONG_LONG, my, SCATTER_WORDS,
               MPI_LONG_LONG, root, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    if (cmpi_prof_on()) {
        /* the pickles (not their out-of-band buffers, as gather's); the
         * root's own counts as sent, not received, as in gather */
        long long sent = 0;
        for (int i = 0; sending && i < size; i++) {
            sent += lens[i] > 0 ? lens[i] : 0;
        }
        cmpi_prof_peer(root, -1);
        cmpi_prof_bytes(sent, receiving && (inter || rank != root) && my[0] > 0
                                      ? my[0]
                                      : 0);
    }
    if (!receiving) {
        /* the root of an intercomm (or PROC_NULL): it sent, or had no part */
        int n = 0;
        for (int i = 0; i < size; i++) {
            nbufs[i] = 0;
        }
        if (sending && exc != NULL) {
            /* the receivers saw the failure: an empty Scatterv, as the
             * PROC_NULL ranks cannot know of it (every process makes the
             * same collective calls) */
            CMPI_COLL(ierr, self->ob_mpi, "scatter", MPI_Scatterv,
                      MPI_Iscatterv,
                      (NULL, counts, counts, MPI_BYTE, NULL, 0, MPI_BYTE, root,
                       self->ob_mpi));
            PyErr_SetRaisedException_compat(exc);
            exc = NULL;
            goto done;
        }
        if (sending) {
            CMPI_COLL(
                    ierr, self->ob_mpi, "scatter", MPI_Scatterv, MPI_Iscatterv,
                    (sendbuf ? PyBytes_AS_STRING(sendbuf) : NULL, counts,
                     displs, MPI_BYTE, NULL, 0, MPI_BYTE, root, self->ob_mpi));
            if (ierr != MPI_SUCCESS) {
                cmpi_raise(self->st, ierr);
                goto done;
            }
            if (oob_exchange(self, "scatter", send_lists, nbufs, got) < 0) {
                goto done;
            }
        }
        else {
            CMPI_COLL(ierr, self->ob_mpi, "scatter", MPI_Scatterv,
                      MPI_Iscatterv,
                      (NULL, &n, &n, MPI_BYTE, NULL, 0, MPI_BYTE, root,
                       self->ob_mpi));
            if (ierr != MPI_SUCCESS) {
                cmpi_raise(self->st, ierr);
                goto done;
            }
        }
        res = Py_NewRef(Py_None);
        goto done;
    }
    if (my[0] == FAILED_SIZE) {
        if (inter) { /* the root's group makes the Scatterv call anyway */
            CMPI_COLL(ierr, self->ob_mpi, "scatter", MPI_Scatterv,
                      MPI_Iscatterv,
                      (NULL, NULL, NULL, MPI_BYTE, NULL, 0, MPI_BYTE, root,
                       self->ob_mpi));
        }
        if (exc != NULL) {
            PyErr_SetRaisedException_compat(exc);
            exc = NULL;
        }
        else {
            remote_failure(self, "scatter", root);
        }
        goto done;
    }
    if (!inter && my[3]) {
        /* every stream came in its head: no second call anywhere */
        res = loads_part(self->st, (const char *)(my + 4), (Py_ssize_t)my[0],
                         NULL, PART_IN_BAND);
        goto done;
    }
    int streamed = (int)my[2];
    int inband = streamed ? 0 : (int)my[0];
    recv = PyBytes_FromStringAndSize(NULL, inband);
    if (recv == NULL) {
        goto done; /* out of memory */
    }
    CMPI_COLL(ierr, self->ob_mpi, "scatter", MPI_Scatterv, MPI_Iscatterv,
              (sendbuf ? PyBytes_AS_STRING(sendbuf) : NULL, counts, displs,
               MPI_BYTE, PyBytes_AS_STRING(recv), inband, MPI_BYTE, root,
               self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    /* out-of-band buffers (and large streams): from the root to each
     * rank, point to point */
    if (rank != root || inter) {
        nbufs[root] = (int)my[1];
    }
    if (oob_exchange(self, "scatter", send_lists, nbufs, got) < 0) {
        goto done;
    }
    if (sending && oob[root] != NULL &&
        (got[root] = oob_copies(oob[root])) == NULL) {
        goto done;
    }
    res = loads_part(self->st, PyBytes_AS_STRING(recv), inband, got[root],
                     streamed ? PART_STREAMED : PART_IN_BAND);
done:
    for (int i = 0; i < size; i++) {
        Py_XDECREF(oob[i]);
        Py_XDECREF(got[i]);
    }
    PyMem_Free(oob);
    PyMem_Free(info);
    PyMem_Free(counts);
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
    /* on an intercomm: to and from each rank of the remote group */
    int size = self->peers, rank = 0, ierr, self_in = !self->inter;
    if (obj_coll_check(self, "alltoall") < 0 ||
        cmpi_parse("alltoall", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    int *buf = PyMem_Calloc(5 * (size_t)size, sizeof(int));
    long long *pairs = PyMem_Calloc(7 * (size_t)size, sizeof(long long));
    PyObject **oob = PyMem_Calloc(2 * (size_t)size, sizeof(PyObject *));
    char *streamed = PyMem_Calloc(size, 1);
    if (buf == NULL || pairs == NULL || oob == NULL || streamed == NULL) {
        PyMem_Free(buf);
        PyMem_Free(pairs);
        PyMem_Free(oob);
        PyMem_Free(streamed);
        return PyErr_NoMemory();
    }
    int *scounts = buf, *sdispls = buf + size, *rcounts = buf + 2 * size,
        *rdispls = buf + 3 * size, *nbufs = buf + 4 * size;
    /* (stream length, out-of-band buffers, streamed?) to and from each */
    long long *spairs = pairs, *rpairs = pairs + 3 * size,
              *lens = pairs + 6 * size;
    PyObject **got = oob + size;
    PyObject *sendbuf = NULL, *exc = NULL, *recv = NULL, *res = NULL;
    if (dumps_each(self, "alltoall", a[0], size, &sendbuf, scounts, sdispls,
                   lens, self->shadow != MPI_COMM_NULL ? oob : NULL) < 0) {
        exc = PyErr_GetRaisedException_compat();
        for (int i = 0; i < size; i++) {
            lens[i] = FAILED_SIZE;
            scounts[i] = sdispls[i] = 0;
            Py_CLEAR(oob[i]);
        }
    }
    for (int i = 0; i < size; i++) {
        spairs[3 * i] = lens[i];
        spairs[3 * i + 1] = oob[i] ? PyList_GET_SIZE(oob[i]) : 0;
        spairs[3 * i + 2] = lens[i] > 0 && scounts[i] == 0;
    }
    CMPI_COLL(ierr, self->ob_mpi, "alltoall", MPI_Alltoall, MPI_Ialltoall,
              (spairs, 3, MPI_LONG_LONG, rpairs, 3, MPI_LONG_LONG,
               self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    if (cmpi_prof_on()) {
        /* as allgather's: every pickle sent, this rank's own to itself
         * too, and the other ranks' received */
        long long sent = 0, received = 0;
        for (int i = 0; i < size; i++) {
            sent += lens[i] > 0 ? lens[i] : 0;
            if (!(self_in && i == rank) && rpairs[3 * i] > 0) {
                received += rpairs[3 * i];
            }
        }
        cmpi_prof_bytes(sent, received);
    }
    int failed = -1;
    long long total = 0;
    for (int i = 0; i < size; i++) {
        long long len = rpairs[3 * i];
        streamed[i] = (char)rpairs[3 * i + 2];
        rcounts[i] = len < 0 || streamed[i] ? 0 : (int)len;
        nbufs[i] = self_in && i == rank ? 0 : (int)rpairs[3 * i + 1];
        if (len < 0 && failed < 0) {
            failed = i;
        }
        rdispls[i] = (int)total;
        total += rcounts[i];
    }
    recv = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total);
    if (recv == NULL) {
        goto done;
    }
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
        PyObject *own = self_in ? oob[rank] : NULL;
        if (self_in) {
            oob[rank] = NULL;
        }
        int rc = oob_exchange(self, "alltoall", oob, nbufs, got);
        if (self_in) {
            oob[rank] = own;
        }
        if (rc < 0) {
            goto done;
        }
    }
    if (exc != NULL) {
        PyErr_SetRaisedException_compat(exc);
        exc = NULL;
        goto done;
    }
    if (failed >= 0) {
        remote_failure(self, "alltoall", failed);
        goto done;
    }
    if (self_in && oob[rank] != NULL &&
        (got[rank] = oob_copies(oob[rank])) == NULL) {
        goto done;
    }
    res = PyList_New(size);
    if (res == NULL) {
        goto done;
    }
    for (int i = 0; i < size; i++) {
        PyObject *o = loads_part(
                self->st, PyBytes_AS_STRING(recv) + rdispls[i], rcounts[i],
                got[i], streamed[i] ? PART_STREAMED : PART_IN_BAND);
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
    PyMem_Free(streamed);
    PyMem_Free(pairs);
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
        if (next == NULL) {
            return NULL;
        }
        acc = next;
    }
    return acc;
}

static PyObject *
reduce_objects(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames, const char *fname, int kind)
{
    static const char *const kw_root[] = {"sendobj", "op", "root", NULL};
    static const char *const kw_all[] = {"sendobj", "op", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int root = 0, rank = 0;
    if (obj_coll_check(self, fname) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames,
                   kind == REDUCE ? kw_root : kw_all, 1, a) < 0 ||
        cmpi_opt_int(kind == REDUCE ? a[2] : NULL, &root, 0, "root") < 0 ||
        (kind == REDUCE && cmpi_check_root(self, root) < 0)) {
        return NULL;
    }
    PyObject *op = a[1];
    /* op=None is a TypeError, as in mpi4py (which raises it where it
     * calls the op: at 2 ranks or more only) */
    if (op == NULL) {
        op = PyObject_GetAttrString(
                PyType_GetModuleByDef(Py_TYPE(self), &cmpi_module), "SUM");
        if (op == NULL) {
            return NULL;
        }
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
    int reduced = 0;
    PyObject *list = gather_like_reduce(
            self, a[0], kind == REDUCE ? root : ALL_RANKS, fname,
            kind == ALLREDUCE && !self->inter && self->shadow != MPI_COMM_NULL
                    ? op
                    : NULL,
            &reduced);
    PyObject *res = NULL;
    if (list == NULL || list == Py_None || reduced) {
        res = list;
        goto done;
    }
    Py_ssize_t n = PyList_GET_SIZE(list);
    if (kind == REDUCE || kind == ALLREDUCE) {
        res = fold(self->st, op, list, 0, n);
    }
    else if (kind == SCAN) {
        res = fold(self->st, op, list, 0, rank + 1);
    }
    else {
        res = rank == 0 ? Py_NewRef(Py_None)
                        : fold(self->st, op, list, 0, rank);
    }
    Py_DECREF(list);
done:
    Py_DECREF(op);
    return res;
}

CMPI_COMM_METHOD(Comm, reduce, CMPI_DOC_NOSIG,
                 "(self, sendobj, op=SUM, root=0)",
                 "Reduce Python objects to the root.", reduce_objects, REDUCE)

CMPI_COMM_METHOD(Comm, allreduce, CMPI_DOC_NOSIG, "(self, sendobj, op=SUM)",
                 "Reduce Python objects to all processes.", reduce_objects,
                 ALLREDUCE)

CMPI_COMM_METHOD(Intracomm, scan, CMPI_DOC_NOSIG, "(self, sendobj, op=SUM)",
                 "Inclusive Scan of Python objects.", reduce_objects, SCAN)

CMPI_COMM_METHOD(Intracomm, exscan, CMPI_DOC_NOSIG, "(self, sendobj, op=SUM)",
                 "Exclusive Scan of Python objects.", reduce_objects, EXSCAN)

/* comm.c's Comm and Intracomm method tables expand these. */
#define CMPI_COLL_OBJ_METHODS                                              \
    {"bcast", FN(Comm_bcast), FASTKW, Comm_bcast_doc},                     \
            {"gather", FN(Comm_gather), FASTKW, Comm_gather_doc},          \
            {"scatter", FN(Comm_scatter), FASTKW, Comm_scatter_doc},       \
            {"allgather", FN(Comm_allgather), FASTKW, Comm_allgather_doc}, \
            {"alltoall", FN(Comm_alltoall), FASTKW, Comm_alltoall_doc},    \
            {"reduce", FN(Comm_reduce), FASTKW, Comm_reduce_doc},          \
            {"allreduce", FN(Comm_allreduce), FASTKW, Comm_allreduce_doc},

#define CMPI_INTRA_COLL_OBJ_METHODS                           \
    {"scan", FN(Intracomm_scan), FASTKW, Intracomm_scan_doc}, \
            {"exscan", FN(Intracomm_exscan), FASTKW, Intracomm_exscan_doc},

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef FAILED_SIZE
#undef ALL_RANKS
#undef HEAD_WORDS
#undef HEAD_INLINE
#undef TREE_MIN_BYTES
#undef BCAST_HEAD
#undef SCATTER_WORDS
#undef SCATTER_INLINE
