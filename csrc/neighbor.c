/*
 * neighbor.c -- the neighborhood collectives of a Topocomm: on buffers
 * (Neighbor_allgather(v), Neighbor_alltoall(v/w), their nonblocking
 * Ineighbor_* and persistent Neighbor_*_init forms) and on pickled objects
 * (neighbor_allgather, neighbor_alltoall).
 */
#include "cmpi.h"

/* Neighborhood collectives on buffers.  Blocking, nonblocking (the
 * request holds the buffers and the count arrays until it completes) and
 * persistent (MPI-4).
 */
enum nb_kind {
    NB_ALLGATHER,
    NB_ALLGATHERV,
    NB_ALLTOALL,
    NB_ALLTOALLV,
    NB_ALLTOALLW
};
enum {
    NB_BLOCKING,
    NB_NONBLOCKING,
    NB_PERSISTENT
};

static void
nb_capsule_free(PyObject *cap)
{
    PyMem_Free(PyCapsule_GetPointer(cap, NULL));
}

/* Hand a PyMem block to a request: freed when the request lets go. */
static int
nb_keep(RequestObject *r, void *p)
{
    if (p == NULL) {
        return 0;
    }
    PyObject *cap = PyCapsule_New(p, NULL, nb_capsule_free);
    if (cap == NULL) {
        PyMem_Free(p);
        return -1;
    }
    if (r->keep == NULL && (r->keep = PyList_New(0)) == NULL) {
        Py_DECREF(cap);
        return -1;
    }
    int rc = PyList_Append(r->keep, cap);
    Py_DECREF(cap);
    return rc;
}

static void
nb_give_view(RequestObject *r, Py_buffer *view)
{
    if (view->obj != NULL) {
        r->views[r->nviews++] = *view;
    }
    view->obj = NULL;
}

/* An alltoallw message: [buf, counts, displs, datatypes] or
 * [buf, (counts, displs), datatypes]; displacements in bytes. */
typedef struct {
    Py_buffer view;
    void *addr;
    int *counts;
    MPI_Aint *displs;
    MPI_Datatype *types;
} nb_msgw;

static void
nb_msgw_release(nb_msgw *m)
{
    if (m->view.obj != NULL) {
        PyBuffer_Release(&m->view);
    }
    PyMem_Free(m->counts);
    PyMem_Free(m->displs);
    PyMem_Free(m->types);
    m->counts = NULL;
    m->displs = NULL;
    m->types = NULL;
}

/* `recv`: CMPI_MSG_SEND, or CMPI_MSG_RECV for a receive buffer (which
 * must be writable). */
static int
nb_msgw_parse(cmpi_state *st, PyObject *spec, nb_msgw *m, int n, int recv)
{
    PyObject *buf, *oc, *od = NULL, *ot, *seq = NULL;
    memset(m, 0, sizeof(*m));
    Py_ssize_t len = (PyList_Check(spec) || PyTuple_Check(spec))
                             ? PySequence_Fast_GET_SIZE(spec)
                             : -1;
    if (len == 3 || len == 4) {
        PyObject **it = PySequence_Fast_ITEMS(spec);
        buf = it[0];
        oc = it[1];
        if (len == 4) {
            od = it[2];
            ot = it[3];
        }
        else {
            ot = it[2];
            if (PyTuple_Check(oc) && PyTuple_GET_SIZE(oc) == 2) {
                od = PyTuple_GET_ITEM(oc, 1);
                oc = PyTuple_GET_ITEM(oc, 0);
            }
        }
    }
    else if (len == 2 && PyObject_TypeCheck(PySequence_Fast_GET_ITEM(spec, 1),
                                            st->Datatype_Type)) {
        /* [buf, datatype]: mpi4py takes the len() of the datatypes */
        PyErr_Format(PyExc_TypeError,
                     "message: datatypes must be a sequence of Datatype, "
                     "one per neighbor, not %.100s",
                     Py_TYPE(PySequence_Fast_GET_ITEM(spec, 1))->tp_name);
        return -1;
    }
    else if (spec == st->BOTTOM || spec == st->IN_PLACE ||
             (len < 0 && PyObject_Length(spec) < 0)) {
        /* TypeError for what has no length (a sentinel, a scalar, a 0-d
         * array), as mpi4py's len() of the message raises */
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "message: expected a list [buf, counts, displs, "
                     "datatypes], not %.100s",
                     Py_TYPE(spec)->tp_name);
        return -1;
    }
    else {
        /* ValueError, as a list of the wrong length (as in mpi4py) */
        PyErr_SetString(PyExc_ValueError,
                        "message: expected a list [buf, counts, displs, "
                        "datatypes]");
        return -1;
    }
    int k = 0;
    m->counts = PyMem_New(int, n > 0 ? n : 1);
    m->displs = PyMem_New(MPI_Aint, n > 0 ? n : 1);
    m->types = PyMem_New(MPI_Datatype, n > 0 ? n : 1);
    if (!m->counts || !m->displs || !m->types) {
        PyErr_NoMemory();
        goto error;
    }
    int *tmp = NULL;
    if (cmpi_topo_ints(oc, &tmp, &k, "counts") < 0) {
        goto error;
    }
    for (int i = 0; i < k && i < n; i++) {
        m->counts[i] = tmp[i];
    }
    PyMem_Free(tmp);
    if (k != n) {
        PyErr_Format(PyExc_ValueError,
                     "message: counts has %d entries, expected %d (one per "
                     "neighbor)",
                     k, n);
        goto error;
    }
    seq = PySequence_Fast(ot, "message: datatypes must be a sequence");
    if (seq == NULL) {
        goto error;
    }
    if (PySequence_Fast_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError,
                     "message: datatypes has %zd entries, expected %d",
                     PySequence_Fast_GET_SIZE(seq), n);
        goto error;
    }
    for (int i = 0; i < n; i++) {
        if (cmpi_dtype_for_data(st, PySequence_Fast_GET_ITEM(seq, i),
                                &m->types[i]) < 0) {
            goto error;
        }
    }
    if (od == NULL || od == Py_None) {
        MPI_Aint off = 0;
        for (int i = 0; i < n; i++) {
            MPI_Aint lb, ext;
            MPI_Type_get_extent(m->types[i], &lb, &ext);
            m->displs[i] = off;
            off += ext * m->counts[i];
        }
    }
    else {
        PyObject *dseq = PySequence_Fast(od,
                                         "message: displs must be a "
                                         "sequence");
        if (dseq == NULL) {
            goto error;
        }
        if (PySequence_Fast_GET_SIZE(dseq) != n) {
            PyErr_Format(PyExc_ValueError,
                         "message: displs has %zd entries, expected %d",
                         PySequence_Fast_GET_SIZE(dseq), n);
            Py_DECREF(dseq);
            goto error;
        }
        for (int i = 0; i < n; i++) {
            Py_ssize_t v = PyNumber_AsSsize_t(
                    PySequence_Fast_GET_ITEM(dseq, i), PyExc_OverflowError);
            if (v == -1 && PyErr_Occurred()) {
                Py_DECREF(dseq);
                goto error;
            }
            m->displs[i] = (MPI_Aint)v;
        }
        Py_DECREF(dseq);
    }
    if (buf == Py_None || buf == st->BOTTOM) {
        if (buf == Py_None && cmpi_none_counts(m->counts, n) < 0) {
            goto error;
        }
        m->addr = buf == Py_None ? NULL : MPI_BOTTOM;
    }
    else {
        int flags = PyBUF_ANY_CONTIGUOUS |
                    (recv == CMPI_MSG_RECV ? PyBUF_WRITABLE : 0);
        if (cmpi_get_buffer(buf, &m->view, flags) < 0) {
            goto error;
        }
        m->addr = m->view.buf;
        /* every block must lie inside the buffer */
        for (int i = 0; i < n; i++) {
            MPI_Aint lb, ext;
            MPI_Type_get_true_extent(m->types[i], &lb, &ext);
            if (m->counts[i] > 0 &&
                (m->displs[i] < 0 ||
                 m->displs[i] + lb + ext * m->counts[i] > m->view.len)) {
                PyErr_Format(PyExc_ValueError,
                             "message: neighbor %d's block (displacement "
                             "%zd bytes, count %d) runs past the end of a "
                             "buffer of %zd bytes",
                             i, (Py_ssize_t)m->displs[i], m->counts[i],
                             m->view.len);
                goto error;
            }
        }
    }
    Py_XDECREF(seq);
    return 0;
error:
    Py_XDECREF(seq);
    nb_msgw_release(m);
    return -1;
}

static int
nb_per_neighbor(const char *fname, const char *which, int count, int n,
                int *out)
{
    if (n == 0) {
        *out = 0;
        return 0;
    }
    if (count % n != 0) {
        PyErr_Format(PyExc_ValueError,
                     "%s: %s has %d elements, not a multiple of the %d "
                     "neighbors",
                     fname, which, count, n);
        return -1;
    }
    *out = count / n;
    return 0;
}

/* Does a message [buf, count, ...] give its count explicitly?  For
 * Neighbor_allgather/alltoall that count is per neighbor (as in mpi4py),
 * while a bare buffer is split evenly among the neighbors. */
static int
nb_spec_has_count(PyObject *spec)
{
    if (!PyList_Check(spec) && !PyTuple_Check(spec)) {
        return 0;
    }
    Py_ssize_t n = PySequence_Size(spec);
    if (n < 2 || n > 4) {
        return 0;
    }
    PyObject *c = PySequence_GetItem(spec, 1);
    if (c == NULL) {
        PyErr_Clear();
        return 0;
    }
    int has = 0;
    if (PyTuple_Check(c) && PyTuple_GET_SIZE(c) == 2) {
        has = PyTuple_GET_ITEM(c, 0) != Py_None;
    }
    else if (n > 2 || PyLong_Check(c)) {
        has = c != Py_None;
    }
    Py_DECREF(c);
    return has;
}

/* The per-neighbor count of a Neighbor_allgather/alltoall message. */
static int
nb_count(const char *fname, const char *which, PyObject *spec,
         const cmpi_msg *m, int n, int *out)
{
    if (!nb_spec_has_count(spec)) {
        return nb_per_neighbor(fname, which, m->count, n, out);
    }
    *out = m->count;
    if (m->view.obj != NULL && n > 1 && m->count > 0) {
        long long need = (long long)m->count * n * (long long)m->extent +
                         ((const char *)m->addr - (const char *)m->view.buf);
        if (need > (long long)m->view.len) {
            PyErr_Format(PyExc_ValueError,
                         "%s: %s holds %zd bytes, too few for count=%d "
                         "elements for each of the %d neighbors",
                         fname, which, m->view.len, m->count, n);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------
 * A Cartesian communicator with a periodic dimension of one or two
 * processes: a process is both neighbours of itself in that dimension
 * (one process), or both its neighbours are one process (two).  The
 * standard (MPI-4.0, errata to 3.1: MPI Forum issue 153) pairs the blocks
 * of a neighbourhood alltoall there as everywhere: block s of the sender
 * lands in block s^1 of the receiver (sent to the +1 neighbour, received
 * from the -1 one).  MPICH 4.0 (every form) and Open MPI 4.1 (the
 * nonblocking ones) put block s into block s instead (checked in C; both
 * fixed upstream in 2026), so a periodic halo exchange run on one or two
 * processes got its two halos swapped.  On such a communicator the
 * alltoall family is done by MPI_Alltoallw over the same communicator:
 * to each process one struct type of the blocks for it, in the sender's
 * order, and from each one a struct of the receive blocks they pair
 * with, in that same order.
 */

/* The blocks of one side of a neighbourhood alltoall as alltoallw names
 * them: count, byte displacement and datatype of each of n blocks. */
typedef struct {
    int *counts;
    MPI_Aint *displs;
    MPI_Datatype *types;
} nb_blocks;

static int
nb_blocks_new(nb_blocks *b, int n)
{
    size_t k = (size_t)(n > 0 ? n : 1);
    /* (one int more, so that the displacements start 8-byte aligned) */
    b->counts =
            PyMem_Malloc(sizeof(int) + k * (sizeof(int) + sizeof(MPI_Aint) +
                                            sizeof(MPI_Datatype)));
    if (b->counts == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->displs = (MPI_Aint *)(void *)(b->counts + k + (k & 1));
    b->types = (MPI_Datatype *)(void *)(b->displs + k);
    return 0;
}

/* Does comm need the pairing done by cmpi?  1 (with *ndims), 0, or -1
 * with an exception. */
static int
nb_cart_pairs_itself(CommObject *self, int *ndims)
{
    int kind = MPI_UNDEFINED, nd = 0, found = 0;
    if (self->inter || MPI_Topo_test(self->ob_mpi, &kind) != MPI_SUCCESS ||
        kind != MPI_CART ||
        MPI_Cartdim_get(self->ob_mpi, &nd) != MPI_SUCCESS || nd <= 0) {
        return 0;
    }
    int *dims = PyMem_New(int, 3 * (size_t)nd);
    if (dims == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int *periods = dims + nd, *coords = dims + 2 * nd;
    int ierr = MPI_Cart_get(self->ob_mpi, nd, dims, periods, coords);
    for (int d = 0; ierr == MPI_SUCCESS && d < nd; d++) {
        found |= periods[d] && dims[d] <= 2;
    }
    PyMem_Free(dims);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    *ndims = nd;
    return found;
}

/* What the MPI_Alltoallw of nb_cart_alltoall passes: per process a count
 * (0 or 1), a displacement (0) and a datatype (a struct, or MPI_BYTE
 * where nothing goes), for sending then receiving; one PyMem block. */
typedef struct {
    int n; /* entries in each array: the processes, or more */
    int *scounts, *rcounts, *displs;
    MPI_Datatype *stypes, *rtypes;
} nb_pairs;

static void
nb_pairs_free(nb_pairs *p)
{
    if (p == NULL) {
        return;
    }
    int finalized = 1;
    MPI_Finalized(&finalized);
    for (int i = 0; !finalized && i < 2 * p->n; i++) {
        if (p->stypes[i] != MPI_BYTE) { /* (rtypes follows stypes) */
            MPI_Type_free(&p->stypes[i]);
        }
    }
    PyMem_Free(p);
}

static void
nb_pairs_capsule_free(PyObject *cap)
{
    nb_pairs_free(PyCapsule_GetPointer(cap, NULL));
}

/* A struct of the blocks of b whose indices `idx` lists (k of them), or
 * MPI_BYTE for none. */
static int
nb_pairs_struct(const nb_blocks *b, const int *idx, int k, int *bl,
                MPI_Aint *dp, MPI_Datatype *ty, MPI_Datatype *out)
{
    *out = MPI_BYTE;
    if (k == 0) {
        return MPI_SUCCESS;
    }
    for (int j = 0; j < k; j++) {
        bl[j] = b->counts[idx[j]];
        dp[j] = b->displs[idx[j]];
        ty[j] = b->types[idx[j]];
    }
    MPI_Datatype t;
    int ierr = MPI_Type_create_struct(k, bl, dp, ty, &t);
    if (ierr == MPI_SUCCESS && (ierr = MPI_Type_commit(&t)) != MPI_SUCCESS) {
        MPI_Type_free(&t);
    }
    if (ierr == MPI_SUCCESS) {
        *out = t;
    }
    return ierr;
}

/* The neighbourhood alltoall of the 2 * nd blocks sb and rb (byte
 * displacements from sbuf and rbuf) on the Cartesian communicator comm,
 * as the standard pairs them.  mode: NB_BLOCKING (GIL released), or
 * NB_NONBLOCKING / NB_PERSISTENT starting *req, whose request object r
 * then keeps the arrays and datatypes.  An MPI error code, or
 * CMPI_WAIT_RAISED with an exception. */
static int
nb_cart_alltoall(CommObject *self, const char *fname, int nd, void *sbuf,
                 const nb_blocks *sb, void *rbuf, const nb_blocks *rb,
                 int mode, MPI_Info info, RequestObject *r)
{
    MPI_Comm comm = self->ob_mpi;
    int size, n = 2 * nd, ierr = MPI_Comm_size(comm, &size);
    if (ierr != MPI_SUCCESS) {
        return ierr;
    }
    /* nbr: block s goes to and comes from process nbr[s] (Cartesian:
     * the in and out lists are one); idx, bl, dp, ty: the blocks of one
     * process and their struct's block lengths, displacements, types */
    int *nbr = NULL, *nbr_out = NULL, nin, nout;
    if (cmpi_topo_edges(self, &nbr, &nin, &nbr_out, &nout) < 0) {
        return CMPI_WAIT_RAISED;
    }
    PyMem_Free(nbr_out);
    int *idx = PyMem_New(int, 2 * (size_t)n);
    MPI_Aint *dp = PyMem_New(MPI_Aint, (size_t)n);
    MPI_Datatype *ty = PyMem_New(MPI_Datatype, (size_t)n);
    /* Open MPI 4.1 retains the datatypes of a nonblocking alltoallw on a
     * communicator with a topology as if it were a neighbourhood one: as
     * many as the neighbours (it crashed reading past a process's one);
     * the arrays hold that many, the extra ones MPI_BYTE */
    size_t per = (size_t)(size > n ? size : n);
    nb_pairs *p =
            PyMem_Malloc(sizeof(nb_pairs) +
                         per * (3 * sizeof(int) + 2 * sizeof(MPI_Datatype)));
    if (idx == NULL || dp == NULL || ty == NULL || p == NULL) {
        PyMem_Free(nbr);
        PyMem_Free(idx);
        PyMem_Free(dp);
        PyMem_Free(ty);
        PyMem_Free(p);
        PyErr_NoMemory();
        return CMPI_WAIT_RAISED;
    }
    int *bl = idx + n;
    p->n = (int)per;
    p->stypes = (MPI_Datatype *)(void *)(p + 1);
    p->rtypes = p->stypes + per;
    p->scounts = (int *)(void *)(p->rtypes + per);
    p->rcounts = p->scounts + per;
    p->displs = p->rcounts + per;
    for (size_t i = 0; i < per; i++) {
        p->stypes[i] = p->rtypes[i] = MPI_BYTE;
        p->scounts[i] = p->rcounts[i] = p->displs[i] = 0;
    }
    for (int q = 0; ierr == MPI_SUCCESS && q < size; q++) {
        /* to q: its blocks in their order; from q: the blocks s ^ 1 of
         * the blocks s it sends here, in the order it sends them */
        int k = 0;
        for (int s = 0; s < n; s++) {
            if (nbr[s] == q) {
                idx[k++] = s;
            }
        }
        ierr = nb_pairs_struct(sb, idx, k, bl, dp, ty, &p->stypes[q]);
        p->scounts[q] = k > 0;
        k = 0;
        for (int s = 0; s < n; s++) {
            if (nbr[s ^ 1] == q) {
                idx[k++] = s ^ 1;
            }
        }
        if (ierr == MPI_SUCCESS) {
            ierr = nb_pairs_struct(rb, idx, k, bl, dp, ty, &p->rtypes[q]);
            p->rcounts[q] = k > 0;
        }
    }
    PyMem_Free(nbr);
    PyMem_Free(idx);
    PyMem_Free(dp);
    PyMem_Free(ty);
    if (ierr == MPI_SUCCESS) {
        if (mode == NB_BLOCKING) {
            CMPI_NOGIL_CALL(fname, comm,
                            ierr = MPI_Alltoallw(sbuf, p->scounts, p->displs,
                                                 p->stypes, rbuf, p->rcounts,
                                                 p->displs, p->rtypes, comm));
        }
        else if (mode == NB_NONBLOCKING) {
            ierr = MPI_Ialltoallw(sbuf, p->scounts, p->displs, p->stypes, rbuf,
                                  p->rcounts, p->displs, p->rtypes, comm,
                                  &r->ob_mpi);
        }
        else {
#if CMPI_HAVE_PERSISTENT_NEIGHBOR
            ierr = MPI_Alltoallw_init(sbuf, p->scounts, p->displs, p->stypes,
                                      rbuf, p->rcounts, p->displs, p->rtypes,
                                      comm, info, &r->ob_mpi);
#else
            (void)info;
            ierr = MPI_ERR_OTHER;
#endif
        }
    }
    if (ierr != MPI_SUCCESS || r == NULL) {
        nb_pairs_free(p);
        return ierr;
    }
    /* the operation reads the arrays and types until it is done (a
     * persistent one at every start): the request keeps them */
    PyObject *cap = PyCapsule_New(p, NULL, nb_pairs_capsule_free);
    if (cap == NULL ||
        (r->keep == NULL && (r->keep = PyList_New(0)) == NULL) ||
        PyList_Append(r->keep, cap) < 0) {
        /* never freed: the operation may still read them */
        if (cap != NULL) {
            PyCapsule_SetDestructor(cap, NULL);
        }
        PyErr_Clear();
    }
    Py_XDECREF(cap);
    return MPI_SUCCESS;
}

/* One side of a Neighbor_alltoall, alltoallv or alltoallw message as
 * n blocks with byte displacements. */
static int
nb_blocks_of(nb_blocks *b, int n, int kind, int count, const cmpi_msg *m,
             const cmpi_msgv *v, const nb_msgw *w)
{
    if (nb_blocks_new(b, n) < 0) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (kind == NB_ALLTOALL) {
            b->counts[i] = count;
            b->displs[i] = (MPI_Aint)i * count * m->extent;
            b->types[i] = m->dtype;
        }
        else if (kind == NB_ALLTOALLV) {
            b->counts[i] = v->counts[i];
            b->displs[i] = (MPI_Aint)v->displs[i] * v->extent;
            b->types[i] = v->dtype;
        }
        else {
            b->counts[i] = w->counts[i];
            b->displs[i] = w->displs[i];
            b->types[i] = w->types[i];
        }
    }
    return 0;
}

/* The object forms' exchanges on such a communicator (blocking): n = 2 *
 * nd blocks of `dtype` (MPI_INT or MPI_BYTE), counts and displacements
 * in elements; NULL counts for one element a block, block i at i. */
static int
nb_cart_exchange(CommObject *self, const char *fname, int nd, void *sbuf,
                 const int *scounts, const int *sdispls, void *rbuf,
                 const int *rcounts, const int *rdispls, MPI_Datatype dtype)
{
    int n = 2 * nd;
    MPI_Aint esize = dtype == MPI_INT ? (MPI_Aint)sizeof(int) : 1;
    nb_blocks sb = {NULL, NULL, NULL}, rb = {NULL, NULL, NULL};
    if (nb_blocks_new(&sb, n) < 0 || nb_blocks_new(&rb, n) < 0) {
        PyMem_Free(sb.counts);
        return CMPI_WAIT_RAISED;
    }
    for (int i = 0; i < n; i++) {
        sb.counts[i] = scounts != NULL ? scounts[i] : 1;
        rb.counts[i] = rcounts != NULL ? rcounts[i] : 1;
        sb.displs[i] = (sdispls != NULL ? sdispls[i] : i) * esize;
        rb.displs[i] = (rdispls != NULL ? rdispls[i] : i) * esize;
        sb.types[i] = rb.types[i] = dtype;
    }
    int ierr = nb_cart_alltoall(self, fname, nd, sbuf, &sb, rbuf, &rb,
                                NB_BLOCKING, MPI_INFO_NULL, NULL);
    PyMem_Free(sb.counts);
    PyMem_Free(rb.counts);
    return ierr;
}

static PyObject *
neighbor_impl(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames, const char *fname, int kind, int mode)
{
    static const char *const kw[] = {"sendbuf", "recvbuf", "info", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int indeg = 0, outdeg = 0, ierr = MPI_SUCCESS;
    cmpi_msg sm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    cmpi_msgv sv, rv;
    nb_msgw sw, rw;
    MPI_Info info = MPI_INFO_NULL;
    RequestObject *r = NULL;
    PyObject *res = NULL;
    memset(&sv, 0, sizeof(sv));
    memset(&rv, 0, sizeof(rv));
    memset(&sw, 0, sizeof(sw));
    memset(&rw, 0, sizeof(rw));
    static const char *const kw2[] = {"sendbuf", "recvbuf", NULL};
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames,
                   mode == NB_PERSISTENT ? kw : kw2, 2, a) < 0 ||
        (mode == NB_PERSISTENT && cmpi_info_arg(self->st, a[2], &info) < 0) ||
        cmpi_topo_degrees(self, &indeg, &outdeg) < 0 ||
        cmpi_sendbuf_required(fname, "sendbuf", a[0]) < 0 ||
        cmpi_recvbuf_required(fname, a[1]) < 0) {
        return NULL;
    }
    /* Where the library lacks the persistent neighborhood collectives, the
     * buffers are still parsed, as mpi4py does: a bad argument raises what
     * the blocking form raises, a good one NotImplementedError where the
     * MPI call would be made. */
#if CMPI_HAVE_PERSISTENT_NEIGHBOR
    const int missing = 0;
#else
    const int missing = mode == NB_PERSISTENT;
#endif
    if (mode == NB_PERSISTENT) {
        cmpi_prof_mark(); /* the request counts what follows, at Start */
    }
    if (mode != NB_BLOCKING && !missing) {
        r = mode == NB_PERSISTENT ? cmpi_prequest_new(self->st)
                                  : cmpi_request_new(self->st, CMPI_REQ_PLAIN);
        if (r == NULL) {
            return NULL;
        }
    }
    MPI_Request *req = r ? &r->ob_mpi : NULL;
    MPI_Comm comm = self->ob_mpi;
    int scount = 0, rcount = 0;
    switch (kind) {
        case NB_ALLGATHER:
        case NB_ALLTOALL:
            if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0 ||
                cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV) < 0) {
                goto done;
            }
            scount = sm.count;
            if (kind == NB_ALLTOALL &&
                nb_count(fname, "sendbuf", a[0], &sm, outdeg, &scount) < 0) {
                goto done;
            }
            if (nb_count(fname, "recvbuf", a[1], &rm, indeg, &rcount) < 0) {
                goto done;
            }
            break;
        case NB_ALLGATHERV:
            if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0 ||
                cmpi_msgv_parse(self->st, a[1], &rv, indeg, CMPI_MSG_RECV) <
                        0) {
                goto done;
            }
            break;
        case NB_ALLTOALLV:
            if (cmpi_msgv_parse(self->st, a[0], &sv, outdeg, CMPI_MSG_SEND) <
                        0 ||
                cmpi_msgv_parse(self->st, a[1], &rv, indeg, CMPI_MSG_RECV) <
                        0) {
                goto done;
            }
            break;
        default:
            /* the receive message first, as mpi4py reads them */
            if (nb_msgw_parse(self->st, a[1], &rw, indeg, CMPI_MSG_RECV) < 0 ||
                nb_msgw_parse(self->st, a[0], &sw, outdeg, CMPI_MSG_SEND) <
                        0) {
                goto done;
            }
            break;
    }
    if (missing) {
        cmpi_not_implemented_call(fname);
        goto done;
    }
    /* one block per neighbour, none to or from PROC_NULL */
    switch (kind) {
        case NB_ALLGATHER:
        case NB_ALLTOALL:
            cmpi_prof_blocks(self, CMPI_MSG_SEND, outdeg, NULL, scount,
                             sm.dtype, NULL);
            cmpi_prof_blocks(self, CMPI_MSG_RECV, indeg, NULL, rcount,
                             rm.dtype, NULL);
            break;
        case NB_ALLGATHERV:
            cmpi_prof_blocks(self, CMPI_MSG_SEND, outdeg, NULL, sm.count,
                             sm.dtype, NULL);
            cmpi_prof_blocks(self, CMPI_MSG_RECV, indeg, rv.counts, 0,
                             rv.dtype, NULL);
            break;
        case NB_ALLTOALLV:
            cmpi_prof_blocks(self, CMPI_MSG_SEND, outdeg, sv.counts, 0,
                             sv.dtype, NULL);
            cmpi_prof_blocks(self, CMPI_MSG_RECV, indeg, rv.counts, 0,
                             rv.dtype, NULL);
            break;
        default:
            cmpi_prof_blocks(self, CMPI_MSG_SEND, outdeg, sw.counts, 0,
                             MPI_DATATYPE_NULL, sw.types);
            cmpi_prof_blocks(self, CMPI_MSG_RECV, indeg, rw.counts, 0,
                             MPI_DATATYPE_NULL, rw.types);
            break;
    }
    int nd = 0, paired = 0;
    if (kind == NB_ALLTOALL || kind == NB_ALLTOALLV || kind == NB_ALLTOALLW) {
        paired = nb_cart_pairs_itself(self, &nd);
        if (paired < 0) {
            goto done;
        }
    }
    if (paired) {
        nb_blocks sb = {NULL, NULL, NULL}, rb = {NULL, NULL, NULL};
        if (nb_blocks_of(&sb, 2 * nd, kind, scount, &sm, &sv, &sw) < 0 ||
            nb_blocks_of(&rb, 2 * nd, kind, rcount, &rm, &rv, &rw) < 0) {
            PyMem_Free(sb.counts);
            goto done;
        }
        void *saddr = kind == NB_ALLTOALL    ? sm.addr
                      : kind == NB_ALLTOALLV ? sv.addr
                                             : sw.addr;
        void *raddr = kind == NB_ALLTOALL    ? rm.addr
                      : kind == NB_ALLTOALLV ? rv.addr
                                             : rw.addr;
        ierr = nb_cart_alltoall(self, fname, nd, saddr, &sb, raddr, &rb, mode,
                                info, r);
        PyMem_Free(sb.counts);
        PyMem_Free(rb.counts);
        if (ierr == CMPI_WAIT_RAISED) {
            if (mode == NB_PERSISTENT) {
                cmpi_prof_keep(NULL);
            }
            goto done;
        }
        goto called;
    }
#define NB_CALL(blocking, nonblocking, persistent, ...)                       \
    do {                                                                      \
        if (mode == NB_BLOCKING)                                              \
            CMPI_NOGIL_CALL(fname, comm, ierr = blocking(__VA_ARGS__, comm)); \
        else if (mode == NB_NONBLOCKING)                                      \
            ierr = nonblocking(__VA_ARGS__, comm, req);                       \
        else                                                                  \
            ierr = NB_PERSIST(persistent, __VA_ARGS__, comm, info, req);      \
    } while (0)
#if CMPI_HAVE_PERSISTENT_NEIGHBOR
#define NB_PERSIST(fn, ...) fn(__VA_ARGS__)
#else
#define NB_PERSIST(fn, ...) MPI_ERR_OTHER
#endif
    switch (kind) {
        case NB_ALLGATHER:
            NB_CALL(MPI_Neighbor_allgather, MPI_Ineighbor_allgather,
                    MPI_Neighbor_allgather_init, sm.addr, sm.count, sm.dtype,
                    rm.addr, rcount, rm.dtype);
            break;
        case NB_ALLTOALL:
            NB_CALL(MPI_Neighbor_alltoall, MPI_Ineighbor_alltoall,
                    MPI_Neighbor_alltoall_init, sm.addr, scount, sm.dtype,
                    rm.addr, rcount, rm.dtype);
            break;
        case NB_ALLGATHERV:
            NB_CALL(MPI_Neighbor_allgatherv, MPI_Ineighbor_allgatherv,
                    MPI_Neighbor_allgatherv_init, sm.addr, sm.count, sm.dtype,
                    rv.addr, rv.counts, rv.displs, rv.dtype);
            break;
        case NB_ALLTOALLV:
            NB_CALL(MPI_Neighbor_alltoallv, MPI_Ineighbor_alltoallv,
                    MPI_Neighbor_alltoallv_init, sv.addr, sv.counts, sv.displs,
                    sv.dtype, rv.addr, rv.counts, rv.displs, rv.dtype);
            break;
        default:
            NB_CALL(MPI_Neighbor_alltoallw, MPI_Ineighbor_alltoallw,
                    MPI_Neighbor_alltoallw_init, sw.addr, sw.counts, sw.displs,
                    sw.types, rw.addr, rw.counts, rw.displs, rw.types);
            break;
    }
#undef NB_CALL
#undef NB_PERSIST
called:
    if (mode == NB_PERSISTENT) { /* counted at each Start */
        cmpi_prof_keep(ierr == MPI_SUCCESS ? r : NULL);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    if (r == NULL) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    /* the request owns the buffers and count arrays until it is done */
    cmpi_msg_give(r, &sm);
    cmpi_msg_give(r, &rm);
    nb_give_view(r, &sv.view);
    nb_give_view(r, &rv.view);
    nb_give_view(r, &sw.view);
    nb_give_view(r, &rw.view);
    int kept = nb_keep(r, sv.counts) | nb_keep(r, rv.counts) |
               nb_keep(r, sw.counts) | nb_keep(r, sw.displs) |
               nb_keep(r, sw.types) | nb_keep(r, rw.counts) |
               nb_keep(r, rw.displs) | nb_keep(r, rw.types);
    sv.counts = rv.counts = sw.counts = rw.counts = NULL;
    sw.displs = rw.displs = NULL;
    sw.types = rw.types = NULL;
    if (kept < 0) {
        /* the operation runs; its memory must outlive it: never free */
        PyErr_Clear();
    }
    res = (PyObject *)r;
    r = NULL;
done:
    cmpi_msg_release(&sm);
    cmpi_msg_release(&rm);
    cmpi_msgv_release(&sv);
    cmpi_msgv_release(&rv);
    nb_msgw_release(&sw);
    nb_msgw_release(&rw);
    Py_XDECREF(r);
    return res;
}

CMPI_COMM_METHOD(
        Topocomm, Neighbor_allgather, CMPI_DOC, "($self, sendbuf, recvbuf)",
        "Neighbor Gather to All: receive one block from each incoming "
        "neighbor.",
        neighbor_impl, NB_ALLGATHER, NB_BLOCKING)
CMPI_COMM_METHOD(Topocomm, Neighbor_allgatherv, CMPI_DOC,
                 "($self, sendbuf, recvbuf)", "Neighbor Gather to All Vector.",
                 neighbor_impl, NB_ALLGATHERV, NB_BLOCKING)
CMPI_COMM_METHOD(
        Topocomm, Neighbor_alltoall, CMPI_DOC, "($self, sendbuf, recvbuf)",
        "Neighbor All to All: one block to each outgoing neighbor, one "
        "from each incoming neighbor.",
        neighbor_impl, NB_ALLTOALL, NB_BLOCKING)
CMPI_COMM_METHOD(Topocomm, Neighbor_alltoallv, CMPI_DOC,
                 "($self, sendbuf, recvbuf)", "Neighbor All to All Vector.",
                 neighbor_impl, NB_ALLTOALLV, NB_BLOCKING)
CMPI_COMM_METHOD(Topocomm, Neighbor_alltoallw, CMPI_DOC,
                 "($self, sendbuf, recvbuf)",
                 "Neighbor All to All General: a count, byte displacement and "
                 "datatype per neighbor.",
                 neighbor_impl, NB_ALLTOALLW, NB_BLOCKING)
CMPI_COMM_METHOD(Topocomm, Ineighbor_allgather, CMPI_DOC,
                 "($self, sendbuf, recvbuf)",
                 "Nonblocking Neighbor Gather to All.", neighbor_impl,
                 NB_ALLGATHER, NB_NONBLOCKING)
CMPI_COMM_METHOD(Topocomm, Ineighbor_allgatherv, CMPI_DOC,
                 "($self, sendbuf, recvbuf)",
                 "Nonblocking Neighbor Gather to All Vector.", neighbor_impl,
                 NB_ALLGATHERV, NB_NONBLOCKING)
CMPI_COMM_METHOD(Topocomm, Ineighbor_alltoall, CMPI_DOC,
                 "($self, sendbuf, recvbuf)",
                 "Nonblocking Neighbor All to All.", neighbor_impl,
                 NB_ALLTOALL, NB_NONBLOCKING)
CMPI_COMM_METHOD(Topocomm, Ineighbor_alltoallv, CMPI_DOC,
                 "($self, sendbuf, recvbuf)",
                 "Nonblocking Neighbor All to All Vector.", neighbor_impl,
                 NB_ALLTOALLV, NB_NONBLOCKING)
CMPI_COMM_METHOD(Topocomm, Ineighbor_alltoallw, CMPI_DOC,
                 "($self, sendbuf, recvbuf)",
                 "Nonblocking Neighbor All to All General.", neighbor_impl,
                 NB_ALLTOALLW, NB_NONBLOCKING)
CMPI_COMM_METHOD(Topocomm, Neighbor_allgather_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, "
                 "info=INFO_NULL)",
                 "Persistent Neighbor Gather to All (MPI-4).", neighbor_impl,
                 NB_ALLGATHER, NB_PERSISTENT)
CMPI_COMM_METHOD(Topocomm, Neighbor_allgatherv_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, "
                 "info=INFO_NULL)",
                 "Persistent Neighbor Gather to All Vector (MPI-4).",
                 neighbor_impl, NB_ALLGATHERV, NB_PERSISTENT)
CMPI_COMM_METHOD(Topocomm, Neighbor_alltoall_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, "
                 "info=INFO_NULL)",
                 "Persistent Neighbor All to All (MPI-4).", neighbor_impl,
                 NB_ALLTOALL, NB_PERSISTENT)
CMPI_COMM_METHOD(Topocomm, Neighbor_alltoallv_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, "
                 "info=INFO_NULL)",
                 "Persistent Neighbor All to All Vector (MPI-4).",
                 neighbor_impl, NB_ALLTOALLV, NB_PERSISTENT)
CMPI_COMM_METHOD(Topocomm, Neighbor_alltoallw_init, CMPI_DOC_NOSIG,
                 "(self, sendbuf, recvbuf, "
                 "info=INFO_NULL)",
                 "Persistent Neighbor All to All General (MPI-4).",
                 neighbor_impl, NB_ALLTOALLW, NB_PERSISTENT)

/* ---------------------------------------------------------------------
 * Pickled objects: each rank's pickle sizes go to its outgoing neighbors
 * first (Neighbor_alltoall of ints), then the pickles themselves
 * (Neighbor_alltoallv of bytes).  A rank that cannot pickle its object
 * sends NB_FAILED instead of a size and nothing after; the neighbors that
 * receive it raise too, so nobody is left waiting.
 */
#define NB_FAILED (-1)
#define NB_NOTHING (-2) /* a PROC_NULL neighbor: no message, None */

/* `kind`: NB_ALLGATHER (neighbor_allgather) or NB_ALLTOALL
 * (neighbor_alltoall). */
static PyObject *
neighbor_objects(CommObject *self, PyObject *sendobj, enum nb_kind kind)
{
    int alltoall = kind == NB_ALLTOALL;
    const char *fname = alltoall ? "neighbor_alltoall" : "neighbor_allgather";
    int indeg = 0, outdeg = 0, ierr;
    int *ssize = NULL, *sdispl = NULL, *rsize = NULL, *rdispl = NULL;
    int *rcount = NULL;
    PyObject **pickles = NULL, *seq = NULL, *res = NULL, *mine = NULL;
    char *sbuf = NULL, *rbuf = NULL;
    int nd = 0, paired;
    if (cmpi_topo_degrees(self, &indeg, &outdeg) < 0 ||
        (paired = nb_cart_pairs_itself(self, &nd)) < 0) {
        return NULL;
    }
    ssize = PyMem_New(int, 2 * (size_t)outdeg + 1);
    rsize = PyMem_New(int, 3 * (size_t)indeg + 1);
    pickles = PyMem_New(PyObject *, (size_t)outdeg + 1);
    if (!ssize || !rsize || !pickles) {
        PyErr_NoMemory();
        goto done;
    }
    sdispl = ssize + outdeg;
    rdispl = rsize + indeg;
    rcount = rdispl + indeg;
    for (int i = 0; i < outdeg; i++) {
        pickles[i] = NULL;
    }
    for (int i = 0; i < indeg; i++) {
        rsize[i] = NB_NOTHING;
    }

    /* Pickle; on failure keep the exception and send NB_FAILED. */
    long long stotal = 0;
    if (alltoall) {
        if (sendobj == Py_None) {
            /* None sends None to every neighbor, as in mpi4py */
            seq = PyList_New(outdeg);
            for (int i = 0; seq && i < outdeg; i++) {
                PyList_SET_ITEM(seq, i, Py_NewRef(Py_None));
            }
        }
        else {
            seq = PySequence_Fast(sendobj,
                                  "neighbor_alltoall: sendobj must be "
                                  "a sequence");
        }
        if (seq != NULL && PySequence_Fast_GET_SIZE(seq) != outdeg) {
            PyErr_Format(PyExc_ValueError,
                         "neighbor_alltoall: sendobj has %zd items, "
                         "expected one per outgoing neighbor (%d)",
                         PySequence_Fast_GET_SIZE(seq), outdeg);
            Py_CLEAR(seq);
        }
        for (int i = 0; seq && i < outdeg; i++) {
            pickles[i] = cmpi_dumps_oob(
                    self->st, PySequence_Fast_GET_ITEM(seq, i), NULL);
            if (pickles[i] == NULL) {
                break;
            }
        }
    }
    else if (outdeg > 0) {
        mine = cmpi_dumps_oob(self->st, sendobj, NULL);
        for (int i = 0; mine && i < outdeg; i++) {
            pickles[i] = Py_NewRef(mine);
        }
    }
    int failed = PyErr_Occurred() != NULL;
    PyObject *exc = failed ? PyErr_GetRaisedException_compat() : NULL;
    for (int i = 0; i < outdeg && !failed; i++) {
        Py_ssize_t n = PyBytes_GET_SIZE(pickles[i]);
        if (n > INT_MAX || stotal + n > INT_MAX) {
            PyErr_Format(PyExc_OverflowError,
                         "%s: pickled data beyond 2**31-1 bytes", fname);
            exc = PyErr_GetRaisedException_compat();
            failed = 1;
            break;
        }
        ssize[i] = (int)n;
        sdispl[i] = (int)stotal;
        stotal += n;
    }
    if (failed) {
        for (int i = 0; i < outdeg; i++) {
            ssize[i] = NB_FAILED;
            sdispl[i] = 0;
        }
        stotal = 0;
    }
    if (paired) {
        ierr = nb_cart_exchange(self, fname, nd, ssize, NULL, NULL, rsize,
                                NULL, NULL, MPI_INT);
    }
    else {
        CMPI_NOGIL_CALL(
                fname, self->ob_mpi,
                ierr = MPI_Neighbor_alltoall(ssize, 1, MPI_INT, rsize, 1,
                                             MPI_INT, self->ob_mpi));
    }
    if (ierr != MPI_SUCCESS) {
        Py_XDECREF(exc);
        if (ierr != CMPI_WAIT_RAISED) {
            cmpi_raise(self->st, ierr);
        }
        goto done;
    }
    sbuf = PyMem_Malloc(stotal > 0 ? (size_t)stotal : 1);
    long long rtotal = 0;
    for (int i = 0; i < indeg; i++) {
        rcount[i] = rsize[i] > 0 ? rsize[i] : 0;
        rdispl[i] = (int)(rtotal < INT_MAX ? rtotal : 0);
        rtotal += rcount[i];
    }
    /* the pickles (as gather's: not the sizes exchanged first) */
    cmpi_prof_blocks(self, CMPI_MSG_SEND, outdeg, ssize, 0, MPI_BYTE, NULL);
    cmpi_prof_blocks(self, CMPI_MSG_RECV, indeg, rcount, 0, MPI_BYTE, NULL);
    if (rtotal > INT_MAX) {
        /* cannot take part any more without a valid receive: give up the
         * data (counts are fixed by the senders, so this is fatal) */
        Py_XDECREF(exc);
        PyMem_Free(sbuf);
        sbuf = NULL;
        PyErr_Format(PyExc_OverflowError,
                     "%s: received pickles beyond 2**31-1 bytes", fname);
        goto done;
    }
    rbuf = PyMem_Malloc(rtotal > 0 ? (size_t)rtotal : 1);
    if (sbuf == NULL || rbuf == NULL) {
        Py_XDECREF(exc);
        PyErr_NoMemory();
        goto done;
    }
    for (int i = 0; i < outdeg; i++) {
        if (!failed) {
            memcpy(sbuf + sdispl[i], PyBytes_AS_STRING(pickles[i]),
                   (size_t)ssize[i]);
        }
        else {
            ssize[i] = 0;
        }
    }
    if (paired) {
        ierr = nb_cart_exchange(self, fname, nd, sbuf, ssize, sdispl, rbuf,
                                rcount, rdispl, MPI_BYTE);
    }
    else {
        CMPI_NOGIL_CALL(fname, self->ob_mpi,
                        ierr = MPI_Neighbor_alltoallv(
                                sbuf, ssize, sdispl, MPI_BYTE, rbuf, rcount,
                                rdispl, MPI_BYTE, self->ob_mpi));
    }
    if (ierr != MPI_SUCCESS) {
        Py_XDECREF(exc);
        if (ierr != CMPI_WAIT_RAISED) {
            cmpi_raise(self->st, ierr);
        }
        goto done;
    }
    if (exc != NULL) {
        PyErr_SetRaisedException_compat(exc);
        goto done;
    }
    int *in = NULL, *out = NULL, nin, nout;
    for (int i = 0; i < indeg; i++) {
        if (rsize[i] == NB_FAILED) {
            int src = -1;
            if (cmpi_topo_edges(self, &in, &nin, &out, &nout) == 0) {
                src = in[i];
                PyMem_Free(in);
                PyMem_Free(out);
            }
            cmpi_raise_msg(self->st, MPI_ERR_OTHER,
                           "%s: neighbor rank %d could not send its "
                           "object (it raised an exception)",
                           fname, src);
            goto done;
        }
    }
    res = PyList_New(indeg);
    for (int i = 0; res && i < indeg; i++) {
        PyObject *o = rsize[i] < 0 ? Py_NewRef(Py_None)
                                   : cmpi_loads(self->st, rbuf + rdispl[i],
                                                rsize[i]);
        if (o == NULL) {
            Py_CLEAR(res);
            break;
        }
        PyList_SET_ITEM(res, i, o);
    }
done:
    if (pickles) {
        for (int i = 0; i < outdeg; i++) {
            Py_XDECREF(pickles[i]);
        }
    }
    PyMem_Free(pickles);
    PyMem_Free(ssize);
    PyMem_Free(rsize);
    PyMem_Free(sbuf);
    PyMem_Free(rbuf);
    Py_XDECREF(seq);
    Py_XDECREF(mine);
    return res;
}

CMPI_DOC(Topocomm_neighbor_allgather_doc, "neighbor_allgather($self, sendobj)",
         "Neighbor Gather to All of Python objects: a list with one object "
         "per incoming neighbor (None for PROC_NULL).");
static PyObject *
Topocomm_neighbor_allgather(CommObject *self, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("neighbor_allgather", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    return neighbor_objects(self, a[0], NB_ALLGATHER);
}

CMPI_DOC(Topocomm_neighbor_alltoall_doc, "neighbor_alltoall($self, sendobj)",
         "Neighbor All to All of Python objects: sendobj has one object per "
         "outgoing neighbor; returns one per incoming neighbor.");
static PyObject *
Topocomm_neighbor_alltoall(CommObject *self, PyObject *const *args,
                           Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"sendobj", NULL};
    PyObject *a[1] = {NULL};
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("neighbor_alltoall", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    return neighbor_objects(self, a[0], NB_ALLTOALL);
}

/* topology.c's Topocomm method table expands this. */
#define CMPI_NB_ENTRY(name) \
    {#name, FN(Topocomm_##name), FASTKW, Topocomm_##name##_doc}
#define CMPI_NEIGHBOR_METHODS                                              \
    CMPI_NB_ENTRY(Neighbor_allgather), CMPI_NB_ENTRY(Neighbor_allgatherv), \
            CMPI_NB_ENTRY(Neighbor_alltoall),                              \
            CMPI_NB_ENTRY(Neighbor_alltoallv),                             \
            CMPI_NB_ENTRY(Neighbor_alltoallw),                             \
            CMPI_NB_ENTRY(Ineighbor_allgather),                            \
            CMPI_NB_ENTRY(Ineighbor_allgatherv),                           \
            CMPI_NB_ENTRY(Ineighbor_alltoall),                             \
            CMPI_NB_ENTRY(Ineighbor_alltoallv),                            \
            CMPI_NB_ENTRY(Ineighbor_alltoallw),                            \
            CMPI_NB_ENTRY(Neighbor_allgather_init),                        \
            CMPI_NB_ENTRY(Neighbor_allgatherv_init),                       \
            CMPI_NB_ENTRY(Neighbor_alltoall_init),                         \
            CMPI_NB_ENTRY(Neighbor_alltoallv_init),                        \
            CMPI_NB_ENTRY(Neighbor_alltoallw_init),                        \
            CMPI_NB_ENTRY(neighbor_allgather),                             \
            CMPI_NB_ENTRY(neighbor_alltoall),

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef NB_FAILED
#undef NB_NOTHING
