/*
 * topology.c -- process topologies: MPI.Topocomm and its Cartesian, graph
 * and distributed-graph kinds, and Compute_dims.  Topocomm's neighborhood
 * collectives are neighbor.c's.
 *
 * The constructors are Intracomm methods (Create_cart, ...); their
 * method-table entries are assembled in comm.c.  New communicators go
 * through cmpi_comm_wrap_new, so they have a shadow like any other.
 */
#include "cmpi.h"

/* A sequence of ints as a PyMem array (empty: a 1-element allocation). */
static int
cmpi_topo_ints(PyObject *obj, int **out, int *n, const char *what)
{
    *out = NULL;
    *n = 0;
    if (PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of integers",
                     what);
        return -1;
    }
    PyObject *seq = PySequence_Fast(obj, "expected a sequence of integers");
    if (seq == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "%s must be a sequence of integers, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    if (len > INT_MAX) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_OverflowError, "%s is too long", what);
        return -1;
    }
    int *arr = PyMem_New(int, len > 0 ? len : 1);
    if (arr == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *x = PySequence_Fast_GET_ITEM(seq, i);
        int v;
        if (PyBool_Check(x)) {
            v = x == Py_True;
        }
        else if (cmpi_item_as_int(x, &v, what) < 0) {
            PyMem_Free(arr);
            Py_DECREF(seq);
            return -1;
        }
        arr[i] = v;
    }
    Py_DECREF(seq);
    *out = arr;
    *n = (int)len;
    return 0;
}

static PyObject *
topo_list(const int *v, int n)
{
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++) {
        PyObject *x = PyLong_FromLong(v[i]);
        if (x == NULL) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, i, x);
    }
    return l;
}

static int
topo_opt_bool(PyObject *obj, int *out)
{
    *out = 0;
    if (obj == NULL) {
        return 0;
    }
    int v = PyObject_IsTrue(obj);
    if (v < 0) {
        return -1;
    }
    *out = v;
    return 0;
}

/* dims of a grid for a communicator of `size` processes. */
static int
cart_check_dims(CommObject *c, const int *dims, int ndims)
{
    long long prod = 1;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] <= 0) {
            cmpi_raise_msg(c->st, MPI_ERR_DIMS,
                           "invalid dims: dims[%d]=%d, every dimension must "
                           "be positive",
                           i, dims[i]);
            return -1;
        }
        prod *= dims[i];
        if (prod > INT_MAX) {
            break;
        }
    }
    if (prod > c->size) {
        cmpi_raise_msg(c->st, MPI_ERR_DIMS,
                       "invalid dims: the grid has %lld processes, more "
                       "than the communicator's %d",
                       prod, c->size);
        return -1;
    }
    return 0;
}

/* dims and periods of Create_cart / Cart_map; *periods_out has ndims
 * entries. */
static int
cart_args(CommObject *c, PyObject *odims, PyObject *operiods, int **dims,
          int **periods, int *ndims)
{
    int np = 0;
    *periods = NULL;
    if (cmpi_topo_ints(odims, dims, ndims, "dims") < 0) {
        return -1;
    }
    if (cart_check_dims(c, *dims, *ndims) < 0) {
        goto error;
    }
    /* None is no dimension periodic, and, as in mpi4py, a bool is that
     * value for every dimension (an int is not) */
    if (operiods == NULL || operiods == Py_None || PyBool_Check(operiods)) {
        *periods = PyMem_New(int, *ndims > 0 ? *ndims : 1);
        if (*periods == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        for (int i = 0; i < *ndims; i++) {
            (*periods)[i] = operiods == Py_True;
        }
        return 0;
    }
    if (cmpi_topo_ints(operiods, periods, &np, "periods") < 0) {
        goto error;
    }
    if (np != *ndims) {
        PyErr_Format(PyExc_ValueError,
                     "periods has %d entries, dims has %d: expected one "
                     "per dimension",
                     np, *ndims);
        goto error;
    }
    return 0;
error:
    PyMem_Free(*dims);
    PyMem_Free(*periods);
    *dims = *periods = NULL;
    return -1;
}

CMPI_DOC(Intracomm_Create_cart_doc,
         "Create_cart($self, dims, periods=None, reorder=False)",
         "Create a Cartesian topology communicator (COMM_NULL on processes "
         "left out of the grid).");
static PyObject *
Intracomm_Create_cart(CommObject *self, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"dims", "periods", "reorder", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int *dims = NULL, *periods = NULL, ndims = 0, reorder, ierr;
    MPI_Comm h;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Create_cart", args, nargs, kwnames, kw, 1, a) < 0 ||
        topo_opt_bool(a[2], &reorder) < 0 ||
        cart_args(self, a[0], a[1], &dims, &periods, &ndims) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Create_cart", self->ob_mpi,
                    ierr = MPI_Cart_create(self->ob_mpi, ndims, dims, periods,
                                           reorder, &h));
    PyMem_Free(dims);
    PyMem_Free(periods);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, self->st->Cartcomm_Type, h);
}

CMPI_DOC(Intracomm_Cart_map_doc, "Cart_map($self, dims, periods=None)",
         "Return an optimal placement for the calling process on the "
         "physical machine.");
static PyObject *
Intracomm_Cart_map(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    static const char *const kw[] = {"dims", "periods", NULL};
    PyObject *a[2] = {NULL, NULL};
    int *dims = NULL, *periods = NULL, ndims = 0, rank;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Cart_map", args, nargs, kwnames, kw, 1, a) < 0 ||
        cart_args(self, a[0], a[1], &dims, &periods, &ndims) < 0) {
        return NULL;
    }
    int ierr = MPI_Cart_map(self->ob_mpi, ndims, dims, periods, &rank);
    PyMem_Free(dims);
    PyMem_Free(periods);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(rank);
}

/* index and edges of a graph over the communicator's processes. */
static int
graph_args(CommObject *c, PyObject *oindex, PyObject *oedges, int **index,
           int **edges, int *nnodes)
{
    int nedges = 0;
    *edges = NULL;
    if (cmpi_topo_ints(oindex, index, nnodes, "index") < 0) {
        return -1;
    }
    if (cmpi_topo_ints(oedges, edges, &nedges, "edges") < 0) {
        goto error;
    }
    /* An adjacency index with a leading 0 (nnodes + 1 entries, the last
     * being len(edges)) is accepted too, as mpi4py does. */
    if (*nnodes >= 2 && (*index)[0] == 0 && (*index)[*nnodes - 1] == nedges) {
        memmove(*index, *index + 1, (size_t)(*nnodes - 1) * sizeof(int));
        *nnodes -= 1;
    }
    if (*nnodes > c->size) {
        cmpi_raise_msg(c->st, MPI_ERR_ARG,
                       "invalid index: the graph has %d nodes, more than "
                       "the communicator's %d processes",
                       *nnodes, c->size);
        goto error;
    }
    for (int i = 0; i < *nnodes; i++) {
        if ((*index)[i] < (i ? (*index)[i - 1] : 0) || (*index)[i] > nedges) {
            cmpi_raise_msg(c->st, MPI_ERR_ARG,
                           "invalid index: index[%d]=%d, index must be "
                           "non-decreasing cumulative degrees up to "
                           "len(edges)=%d",
                           i, (*index)[i], nedges);
            goto error;
        }
    }
    /* MPI reads edges[:index[nnodes-1]] only; entries past it are unused,
     * as in mpi4py */
    int used = *nnodes > 0 ? (*index)[*nnodes - 1] : 0;
    for (int i = 0; i < used; i++) {
        if ((*edges)[i] < 0 || (*edges)[i] >= *nnodes) {
            cmpi_raise_msg(c->st, MPI_ERR_RANK,
                           "invalid rank: edges[%d]=%d, the graph has %d "
                           "nodes",
                           i, (*edges)[i], *nnodes);
            goto error;
        }
    }
    return 0;
error:
    PyMem_Free(*index);
    PyMem_Free(*edges);
    *index = *edges = NULL;
    return -1;
}

CMPI_DOC(Intracomm_Create_graph_doc,
         "Create_graph($self, index, edges, reorder=False)",
         "Create a graph topology communicator: node i's neighbors are "
         "edges[index[i-1]:index[i]].");
static PyObject *
Intracomm_Create_graph(CommObject *self, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"index", "edges", "reorder", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int *index = NULL, *edges = NULL, nnodes = 0, reorder, ierr;
    MPI_Comm h;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Create_graph", args, nargs, kwnames, kw, 2, a) < 0 ||
        topo_opt_bool(a[2], &reorder) < 0 ||
        graph_args(self, a[0], a[1], &index, &edges, &nnodes) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Create_graph", self->ob_mpi,
                    ierr = MPI_Graph_create(self->ob_mpi, nnodes, index, edges,
                                            reorder, &h));
    PyMem_Free(index);
    PyMem_Free(edges);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, self->st->Graphcomm_Type, h);
}

CMPI_DOC(Intracomm_Graph_map_doc, "Graph_map($self, index, edges)",
         "Return an optimal placement for the calling process on the "
         "physical machine.");
static PyObject *
Intracomm_Graph_map(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const kw[] = {"index", "edges", NULL};
    PyObject *a[2] = {NULL, NULL};
    int *index = NULL, *edges = NULL, nnodes = 0, rank;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Graph_map", args, nargs, kwnames, kw, 2, a) < 0 ||
        graph_args(self, a[0], a[1], &index, &edges, &nnodes) < 0) {
        return NULL;
    }
    int ierr = MPI_Graph_map(self->ob_mpi, nnodes, index, edges, &rank);
    PyMem_Free(index);
    PyMem_Free(edges);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(rank);
}

/* Ranks of a distributed graph, each a rank of the communicator. */
/* Each of ranks[:n] is a rank of the communicator. */
static int
dist_check_ranks(CommObject *c, const int *ranks, int n, const char *what)
{
    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= c->size) {
            cmpi_raise_msg(c->st, MPI_ERR_RANK,
                           "invalid rank: %s[%d]=%d, the communicator has "
                           "%d rank%s",
                           what, i, ranks[i], c->size,
                           c->size == 1 ? "" : "s");
            return -1;
        }
    }
    return 0;
}

static int
dist_ranks(CommObject *c, PyObject *obj, int **out, int *n, const char *what)
{
    if (obj == Py_None) { /* no neighbors */
        *n = 0;
        *out = PyMem_New(int, 1);
        if (*out == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        return 0;
    }
    if (cmpi_topo_ints(obj, out, n, what) < 0) {
        return -1;
    }
    if (dist_check_ranks(c, *out, *n, what) < 0) {
        PyMem_Free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* weights: None (MPI_UNWEIGHTED), the UNWEIGHTED / WEIGHTS_EMPTY
 * constants, or n integers. */
static int
dist_weights(PyObject *obj, int n, int **out, int **use, const char *what)
{
    *out = NULL;
    *use = MPI_UNWEIGHTED;
    if (obj == NULL || obj == Py_None) {
        return 0;
    }
    if (PyLong_Check(obj)) {
        void *p = PyLong_AsVoidPtr(obj);
        if (p == NULL && PyErr_Occurred()) {
            return -1;
        }
        if ((int *)p == MPI_UNWEIGHTED) {
            return 0;
        }
        if ((int *)p == MPI_WEIGHTS_EMPTY) {
            if (n != 0) {
                PyErr_Format(PyExc_ValueError,
                             "%s: WEIGHTS_EMPTY stands for no edges, but "
                             "there are %d",
                             what, n);
                return -1;
            }
            *use = MPI_WEIGHTS_EMPTY;
            return 0;
        }
        PyErr_Format(PyExc_TypeError,
                     "%s must be a sequence of integers, UNWEIGHTED or "
                     "WEIGHTS_EMPTY",
                     what);
        return -1;
    }
    int m = 0;
    if (cmpi_topo_ints(obj, out, &m, what) < 0) {
        return -1;
    }
    if (m != n) {
        PyErr_Format(PyExc_ValueError,
                     "%s has %d entries, expected %d (one per edge)", what, m,
                     n);
        PyMem_Free(*out);
        *out = NULL;
        return -1;
    }
    *use = *out;
    return 0;
}

CMPI_DOC_NOSIG(
        Intracomm_Create_dist_graph_adjacent_doc,
        "Create_dist_graph_adjacent(self, sources, destinations, "
        "sourceweights=None, destweights=None, info=INFO_NULL, "
        "reorder=False)",
        "Create a distributed graph communicator from each process's own "
        "incoming and outgoing neighbors.");
static PyObject *
Intracomm_Create_dist_graph_adjacent(CommObject *self, PyObject *const *args,
                                     Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {
            "sources",     "destinations", "sourceweights",
            "destweights", "info",         "reorder",
            NULL};
    PyObject *a[6] = {NULL};
    int *src = NULL, *dst = NULL, *sw = NULL, *dw = NULL, *swu, *dwu;
    int nsrc = 0, ndst = 0, reorder, ierr;
    MPI_Info info;
    MPI_Comm h;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Create_dist_graph_adjacent", args, nargs, kwnames, kw, 2,
                   a) < 0 ||
        cmpi_info_arg(self->st, a[4], &info) < 0 ||
        topo_opt_bool(a[5], &reorder) < 0) {
        return NULL;
    }
    if (dist_ranks(self, a[0], &src, &nsrc, "sources") < 0 ||
        dist_ranks(self, a[1], &dst, &ndst, "destinations") < 0 ||
        dist_weights(a[2], nsrc, &sw, &swu, "sourceweights") < 0 ||
        dist_weights(a[3], ndst, &dw, &dwu, "destweights") < 0) {
        goto done;
    }
    if ((swu == MPI_UNWEIGHTED) != (dwu == MPI_UNWEIGHTED)) {
        PyErr_SetString(PyExc_ValueError,
                        "sourceweights and destweights must be both given "
                        "or both omitted");
        goto done;
    }
    CMPI_NOGIL_CALL("Create_dist_graph_adjacent", self->ob_mpi,
                    ierr = MPI_Dist_graph_create_adjacent(
                            self->ob_mpi, nsrc, src, swu, ndst, dst, dwu, info,
                            reorder, &h));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = cmpi_comm_wrap_new(self, self->st->Distgraphcomm_Type, h);
done:
    PyMem_Free(src);
    PyMem_Free(dst);
    PyMem_Free(sw);
    PyMem_Free(dw);
    return res;
}

CMPI_DOC_NOSIG(
        Intracomm_Create_dist_graph_doc,
        "Create_dist_graph(self, sources, degrees, destinations, "
        "weights=None, info=INFO_NULL, reorder=False)",
        "Create a distributed graph communicator from edges given by any "
        "process: sources[i] has degrees[i] edges to the next entries of "
        "destinations.");
static PyObject *
Intracomm_Create_dist_graph(CommObject *self, PyObject *const *args,
                            Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"sources", "degrees", "destinations",
                                     "weights", "info",    "reorder",
                                     NULL};
    PyObject *a[6] = {NULL};
    int *src = NULL, *deg = NULL, *dst = NULL, *w = NULL, *wu;
    int nsrc = 0, ndeg = 0, ndst = 0, reorder, ierr;
    MPI_Info info;
    MPI_Comm h;
    PyObject *res = NULL;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Create_dist_graph", args, nargs, kwnames, kw, 3, a) < 0 ||
        cmpi_info_arg(self->st, a[4], &info) < 0 ||
        topo_opt_bool(a[5], &reorder) < 0) {
        return NULL;
    }
    /* None for "no neighbors" is Create_dist_graph_adjacent's only, as in
     * mpi4py */
    if (a[0] == Py_None || a[2] == Py_None) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a sequence of integers, not None",
                     a[0] == Py_None ? "sources" : "destinations");
        goto done;
    }
    /* the lengths are checked before the ranks, as mpi4py does */
    if (cmpi_topo_ints(a[0], &src, &nsrc, "sources") < 0 ||
        cmpi_topo_ints(a[1], &deg, &ndeg, "degrees") < 0 ||
        cmpi_topo_ints(a[2], &dst, &ndst, "destinations") < 0) {
        goto done;
    }
    long long sum = 0;
    for (int i = 0; i < ndeg; i++) {
        if (deg[i] < 0) {
            PyErr_Format(PyExc_ValueError, "degrees[%d]=%d is negative", i,
                         deg[i]);
            goto done;
        }
        sum += deg[i];
    }
    if (ndeg != nsrc || sum != ndst) {
        PyErr_Format(PyExc_ValueError,
                     "Create_dist_graph: %d sources and %d degrees summing "
                     "to %lld, but %d destinations: expected one degree per "
                     "source, summing to len(destinations)",
                     nsrc, ndeg, sum, ndst);
        goto done;
    }
    if (dist_check_ranks(self, src, nsrc, "sources") < 0 ||
        dist_check_ranks(self, dst, ndst, "destinations") < 0 ||
        dist_weights(a[3], ndst, &w, &wu, "weights") < 0) {
        goto done;
    }
    CMPI_NOGIL_CALL("Create_dist_graph", self->ob_mpi,
                    ierr = MPI_Dist_graph_create(self->ob_mpi, nsrc, src, deg,
                                                 dst, wu, info, reorder, &h));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = cmpi_comm_wrap_new(self, self->st->Distgraphcomm_Type, h);
done:
    PyMem_Free(src);
    PyMem_Free(deg);
    PyMem_Free(dst);
    PyMem_Free(w);
    return res;
}

#define CMPI_TOPO_INTRA_METHODS                                            \
    {"Create_cart", FN(Intracomm_Create_cart), FASTKW,                     \
     Intracomm_Create_cart_doc},                                           \
            {"Cart_map", FN(Intracomm_Cart_map), FASTKW,                   \
             Intracomm_Cart_map_doc},                                      \
            {"Create_graph", FN(Intracomm_Create_graph), FASTKW,           \
             Intracomm_Create_graph_doc},                                  \
            {"Graph_map", FN(Intracomm_Graph_map), FASTKW,                 \
             Intracomm_Graph_map_doc},                                     \
            {"Create_dist_graph_adjacent",                                 \
             FN(Intracomm_Create_dist_graph_adjacent), FASTKW,             \
             Intracomm_Create_dist_graph_adjacent_doc},                    \
            {"Create_dist_graph", FN(Intracomm_Create_dist_graph), FASTKW, \
             Intracomm_Create_dist_graph_doc},

/* ---------------------------------------------------------------------
 * Topocomm: what every topology has -- incoming and outgoing neighbors.
 */

static int
topo_kind(CommObject *c, int *kind)
{
    if (cmpi_comm_check(c) < 0) {
        return -1;
    }
    *kind = MPI_UNDEFINED;
    if (!c->inter) {
        MPI_Topo_test(c->ob_mpi, kind);
    }
    if (*kind == MPI_UNDEFINED) {
        cmpi_raise_msg(c->st, MPI_ERR_TOPOLOGY,
                       "invalid topology: the communicator has no "
                       "topology");
        return -1;
    }
    return 0;
}

static int
cmpi_topo_degrees(CommObject *c, int *indeg, int *outdeg)
{
    int kind, ierr = MPI_SUCCESS;
    if (topo_kind(c, &kind) < 0) {
        return -1;
    }
    if (kind == MPI_CART) {
        int nd = 0;
        ierr = MPI_Cartdim_get(c->ob_mpi, &nd);
        *indeg = *outdeg = 2 * nd;
    }
    else if (kind == MPI_GRAPH) {
        int rank = 0, n = 0;
        MPI_Comm_rank(c->ob_mpi, &rank);
        ierr = MPI_Graph_neighbors_count(c->ob_mpi, rank, &n);
        *indeg = *outdeg = n;
    }
    else {
        int weighted;
        ierr = MPI_Dist_graph_neighbors_count(c->ob_mpi, indeg, outdeg,
                                              &weighted);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(c->st, ierr);
        return -1;
    }
    return 0;
}

/* The neighbor lists, as PyMem arrays (*in, *out: free both). */
static int
cmpi_topo_edges(CommObject *c, int **in, int *nin, int **out, int *nout)
{
    int kind, ierr = MPI_SUCCESS;
    *in = *out = NULL;
    if (cmpi_topo_degrees(c, nin, nout) < 0 || topo_kind(c, &kind) < 0) {
        return -1;
    }
    *in = PyMem_New(int, *nin > 0 ? *nin : 1);
    *out = PyMem_New(int, *nout > 0 ? *nout : 1);
    if (*in == NULL || *out == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    if (kind == MPI_CART) {
        for (int d = 0; ierr == MPI_SUCCESS && d < *nin / 2; d++) {
            int s, t;
            ierr = MPI_Cart_shift(c->ob_mpi, d, 1, &s, &t);
            (*in)[2 * d] = (*out)[2 * d] = s;
            (*in)[2 * d + 1] = (*out)[2 * d + 1] = t;
        }
    }
    else if (kind == MPI_GRAPH) {
        int rank = 0;
        MPI_Comm_rank(c->ob_mpi, &rank);
        ierr = MPI_Graph_neighbors(c->ob_mpi, rank, *nin, *in);
        for (int i = 0; i < *nin; i++) {
            (*out)[i] = (*in)[i];
        }
    }
    else {
        int *w = PyMem_New(int, (*nin + *nout) > 0 ? *nin + *nout : 1);
        if (w == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        ierr = MPI_Dist_graph_neighbors(c->ob_mpi, *nin, *in, w, *nout, *out,
                                        w + *nin);
        PyMem_Free(w);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(c->st, ierr);
        goto error;
    }
    return 0;
error:
    PyMem_Free(*in);
    PyMem_Free(*out);
    *in = *out = NULL;
    return -1;
}

static PyObject *
Topocomm_get_degrees(CommObject *self, void *Py_UNUSED(c))
{
    int in, out;
    if (cmpi_topo_degrees(self, &in, &out) < 0) {
        return NULL;
    }
    return Py_BuildValue("(ii)", in, out);
}

static PyObject *
Topocomm_get_indegree(CommObject *self, void *Py_UNUSED(c))
{
    int in, out;
    if (cmpi_topo_degrees(self, &in, &out) < 0) {
        return NULL;
    }
    return PyLong_FromLong(in);
}

static PyObject *
Topocomm_get_outdegree(CommObject *self, void *Py_UNUSED(c))
{
    int in, out;
    if (cmpi_topo_degrees(self, &in, &out) < 0) {
        return NULL;
    }
    return PyLong_FromLong(out);
}

/* Which of a topology's edge lists a property returns: inedges,
 * outedges, or both as a pair (inoutedges). */
enum topo_edges {
    TOPO_INEDGES,
    TOPO_OUTEDGES,
    TOPO_INOUTEDGES
};

static PyObject *
topo_edges_get(CommObject *self, enum topo_edges which)
{
    int *in, *out, nin, nout;
    if (cmpi_topo_edges(self, &in, &nin, &out, &nout) < 0) {
        return NULL;
    }
    PyObject *res;
    if (which == TOPO_INEDGES) {
        res = topo_list(in, nin);
    }
    else if (which == TOPO_OUTEDGES) {
        res = topo_list(out, nout);
    }
    else {
        res = Py_BuildValue("(NN)", topo_list(in, nin), topo_list(out, nout));
    }
    PyMem_Free(in);
    PyMem_Free(out);
    return res;
}

static PyObject *
Topocomm_get_inedges(CommObject *self, void *Py_UNUSED(c))
{
    return topo_edges_get(self, TOPO_INEDGES);
}

static PyObject *
Topocomm_get_outedges(CommObject *self, void *Py_UNUSED(c))
{
    return topo_edges_get(self, TOPO_OUTEDGES);
}

static PyObject *
Topocomm_get_inoutedges(CommObject *self, void *Py_UNUSED(c))
{
    return topo_edges_get(self, TOPO_INOUTEDGES);
}

static PyMethodDef Topocomm_methods[] = {
        CMPI_NEIGHBOR_METHODS{NULL, NULL, 0, NULL},
};

static PyGetSetDef Topocomm_getset[] = {
        {"degrees", (getter)Topocomm_get_degrees, NULL,
         "Number of incoming and outgoing neighbors.", NULL},
        {"indegree", (getter)Topocomm_get_indegree, NULL,
         "Number of incoming neighbors.", NULL},
        {"outdegree", (getter)Topocomm_get_outdegree, NULL,
         "Number of outgoing neighbors.", NULL},
        {"inedges", (getter)Topocomm_get_inedges, NULL, "Incoming neighbors.",
         NULL},
        {"outedges", (getter)Topocomm_get_outedges, NULL,
         "Outgoing neighbors.", NULL},
        {"inoutedges", (getter)Topocomm_get_inoutedges, NULL,
         "Incoming and outgoing neighbors.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

/* ---------------------------------------------------------------------
 * Cartcomm.
 */

static int
cart_check(CommObject *c, int *ndims)
{
    int kind;
    if (topo_kind(c, &kind) < 0) {
        return -1;
    }
    if (kind != MPI_CART) {
        cmpi_raise_msg(c->st, MPI_ERR_TOPOLOGY,
                       "invalid topology: not a Cartesian communicator");
        return -1;
    }
    int ierr = MPI_Cartdim_get(c->ob_mpi, ndims);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(c->st, ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Cartcomm_Get_dim_doc, "Get_dim($self)",
         "Return the number of dimensions of the Cartesian topology.");
static PyObject *
Cartcomm_Get_dim(CommObject *self, PyObject *Py_UNUSED(a))
{
    int nd;
    if (cart_check(self, &nd) < 0) {
        return NULL;
    }
    return PyLong_FromLong(nd);
}

/* What cart_topo returns: Get_topo's (dims, periods, coords), or one
 * of them (the dims, periods and coords properties). */
enum cart_part {
    CART_TOPO,
    CART_DIMS,
    CART_PERIODS,
    CART_COORDS
};

static PyObject *
cart_topo(CommObject *self, enum cart_part which)
{
    int nd;
    if (cart_check(self, &nd) < 0) {
        return NULL;
    }
    int *buf = PyMem_New(int, 3 * (size_t)nd + 1);
    if (buf == NULL) {
        return PyErr_NoMemory();
    }
    int ierr = MPI_Cart_get(self->ob_mpi, nd, buf, buf + nd, buf + 2 * nd);
    PyObject *res = NULL;
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
    }
    else if (which == CART_DIMS) {
        res = topo_list(buf, nd);
    }
    else if (which == CART_PERIODS) {
        res = topo_list(buf + nd, nd);
    }
    else if (which == CART_COORDS) {
        res = topo_list(buf + 2 * nd, nd);
    }
    else {
        res = Py_BuildValue("(NNN)", topo_list(buf, nd),
                            topo_list(buf + nd, nd),
                            topo_list(buf + 2 * nd, nd));
    }
    PyMem_Free(buf);
    return res;
}

CMPI_DOC(Cartcomm_Get_topo_doc, "Get_topo($self)",
         "Return (dims, periods, coords) of the Cartesian topology.");
static PyObject *
Cartcomm_Get_topo(CommObject *self, PyObject *Py_UNUSED(a))
{
    return cart_topo(self, CART_TOPO);
}

static PyObject *
Cartcomm_get_topo(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, CART_TOPO);
}

static PyObject *
Cartcomm_get_dims(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, CART_DIMS);
}

static PyObject *
Cartcomm_get_periods(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, CART_PERIODS);
}

static PyObject *
Cartcomm_get_coords(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, CART_COORDS);
}

static PyObject *
Cartcomm_get_dim(CommObject *self, void *Py_UNUSED(c))
{
    return Cartcomm_Get_dim(self, NULL);
}

CMPI_DOC(Cartcomm_Get_cart_rank_doc, "Get_cart_rank($self, coords)",
         "Translate Cartesian coordinates into a rank.");
static PyObject *
Cartcomm_Get_cart_rank(CommObject *self, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"coords", NULL};
    PyObject *a[1] = {NULL};
    int nd, n, *coords = NULL, *buf = NULL, rank;
    if (cart_check(self, &nd) < 0 ||
        cmpi_parse("Get_cart_rank", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_topo_ints(a[0], &coords, &n, "coords") < 0) {
        return NULL;
    }
    PyObject *res = NULL;
    if (n != nd) { /* ValueError, as in mpi4py */
        PyErr_Format(PyExc_ValueError,
                     "invalid coords: %d coordinates for a %d-dimensional "
                     "grid",
                     n, nd);
        goto done;
    }
    buf = PyMem_New(int, 3 * (size_t)nd + 1);
    if (buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    MPI_Cart_get(self->ob_mpi, nd, buf, buf + nd, buf + 2 * nd);
    for (int i = 0; i < nd; i++) {
        if (!buf[nd + i] && (coords[i] < 0 || coords[i] >= buf[i])) {
            cmpi_raise_msg(self->st, MPI_ERR_ARG,
                           "invalid coords: coords[%d]=%d is outside the "
                           "non-periodic dimension of size %d",
                           i, coords[i], buf[i]);
            goto done;
        }
    }
    int ierr = MPI_Cart_rank(self->ob_mpi, coords, &rank);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
    }
    else {
        res = PyLong_FromLong(rank);
    }
done:
    PyMem_Free(coords);
    PyMem_Free(buf);
    return res;
}

CMPI_DOC(Cartcomm_Get_coords_doc, "Get_coords($self, rank)",
         "Translate a rank into Cartesian coordinates.");
static PyObject *
Cartcomm_Get_coords(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    static const char *const kw[] = {"rank", NULL};
    PyObject *a[1] = {NULL};
    int nd, rank;
    if (cart_check(self, &nd) < 0 ||
        cmpi_parse("Get_coords", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &rank, "rank") < 0) {
        return NULL;
    }
    if ((unsigned)rank >= (unsigned)self->size) {
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: rank=%d, the communicator has "
                              "%d rank%s",
                              rank, self->size, self->size == 1 ? "" : "s");
    }
    int *coords = PyMem_New(int, (size_t)nd + 1);
    if (coords == NULL) {
        return PyErr_NoMemory();
    }
    int ierr = MPI_Cart_coords(self->ob_mpi, rank, nd, coords);
    PyObject *res = ierr == MPI_SUCCESS ? topo_list(coords, nd)
                                        : cmpi_raise(self->st, ierr);
    PyMem_Free(coords);
    return res;
}

CMPI_DOC(Cartcomm_Shift_doc, "Shift($self, direction, disp)",
         "Return (source, dest) ranks for a shift along a direction.");
static PyObject *
Cartcomm_Shift(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"direction", "disp", NULL};
    PyObject *a[2] = {NULL, NULL};
    int nd, direction, disp, src, dst;
    if (cart_check(self, &nd) < 0 ||
        cmpi_parse("Shift", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &direction, "direction") < 0 ||
        cmpi_as_int(a[1], &disp, "disp") < 0) {
        return NULL;
    }
    if (direction < 0 || direction >= nd) {
        return cmpi_raise_msg(self->st, MPI_ERR_DIMS,
                              "invalid direction: direction=%d, the grid "
                              "has %d dimension%s",
                              direction, nd, nd == 1 ? "" : "s");
    }
    int ierr = MPI_Cart_shift(self->ob_mpi, direction, disp, &src, &dst);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return Py_BuildValue("(ii)", src, dst);
}

CMPI_DOC(Cartcomm_Sub_doc, "Sub($self, remain_dims)",
         "Return a lower-dimensional Cartesian topology keeping the "
         "dimensions flagged in remain_dims.");
static PyObject *
Cartcomm_Sub(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"remain_dims", NULL};
    PyObject *a[1] = {NULL};
    int nd, n, *remain = NULL, ierr;
    MPI_Comm h;
    if (cart_check(self, &nd) < 0 ||
        cmpi_parse("Sub", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_topo_ints(a[0], &remain, &n, "remain_dims") < 0) {
        return NULL;
    }
    if (n != nd) {
        PyMem_Free(remain); /* ValueError, as in mpi4py */
        return PyErr_Format(PyExc_ValueError,
                            "invalid remain_dims: %d entries for a "
                            "%d-dimensional grid",
                            n, nd);
    }
    CMPI_NOGIL_CALL("Sub", self->ob_mpi,
                    ierr = MPI_Cart_sub(self->ob_mpi, remain, &h));
    PyMem_Free(remain);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, self->st->Cartcomm_Type, h);
}

static PyMethodDef Cartcomm_methods[] = {
        {"Get_dim", (PyCFunction)Cartcomm_Get_dim, METH_NOARGS,
         Cartcomm_Get_dim_doc},
        {"Get_topo", (PyCFunction)Cartcomm_Get_topo, METH_NOARGS,
         Cartcomm_Get_topo_doc},
        {"Get_cart_rank", FN(Cartcomm_Get_cart_rank), FASTKW,
         Cartcomm_Get_cart_rank_doc},
        {"Get_coords", FN(Cartcomm_Get_coords), FASTKW,
         Cartcomm_Get_coords_doc},
        {"Shift", FN(Cartcomm_Shift), FASTKW, Cartcomm_Shift_doc},
        {"Sub", FN(Cartcomm_Sub), FASTKW, Cartcomm_Sub_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Cartcomm_getset[] = {
        {"dim", (getter)Cartcomm_get_dim, NULL, "Number of dimensions.", NULL},
        {"ndim", (getter)Cartcomm_get_dim, NULL, "Number of dimensions.",
         NULL},
        {"topo", (getter)Cartcomm_get_topo, NULL, "(dims, periods, coords).",
         NULL},
        {"dims", (getter)Cartcomm_get_dims, NULL, "Grid dimensions.", NULL},
        {"periods", (getter)Cartcomm_get_periods, NULL, "Periodicity.", NULL},
        {"coords", (getter)Cartcomm_get_coords, NULL,
         "Coordinates of this process.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

/* ---------------------------------------------------------------------
 * Graphcomm.
 */

static int
graph_check(CommObject *c, int *nnodes, int *nedges)
{
    int kind;
    if (topo_kind(c, &kind) < 0) {
        return -1;
    }
    if (kind != MPI_GRAPH) {
        cmpi_raise_msg(c->st, MPI_ERR_TOPOLOGY,
                       "invalid topology: not a graph communicator");
        return -1;
    }
    int ierr = MPI_Graphdims_get(c->ob_mpi, nnodes, nedges);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(c->st, ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Graphcomm_Get_dims_doc, "Get_dims($self)",
         "Return (nnodes, nedges) of the graph.");
static PyObject *
Graphcomm_Get_dims(CommObject *self, PyObject *Py_UNUSED(a))
{
    int nn, ne;
    if (graph_check(self, &nn, &ne) < 0) {
        return NULL;
    }
    return Py_BuildValue("(ii)", nn, ne);
}

/* What graph_topo returns: Get_topo's (index, edges), or one of them
 * (the index and edges properties). */
enum graph_part {
    GRAPH_TOPO,
    GRAPH_INDEX,
    GRAPH_EDGES
};

static PyObject *
graph_topo(CommObject *self, enum graph_part which)
{
    int nn, ne;
    if (graph_check(self, &nn, &ne) < 0) {
        return NULL;
    }
    int *buf = PyMem_New(int, (size_t)nn + (size_t)ne + 1);
    if (buf == NULL) {
        return PyErr_NoMemory();
    }
    int ierr = MPI_Graph_get(self->ob_mpi, nn, ne, buf, buf + nn);
    PyObject *res = NULL;
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
    }
    else if (which == GRAPH_INDEX) {
        res = topo_list(buf, nn);
    }
    else if (which == GRAPH_EDGES) {
        res = topo_list(buf + nn, ne);
    }
    else {
        res = Py_BuildValue("(NN)", topo_list(buf, nn),
                            topo_list(buf + nn, ne));
    }
    PyMem_Free(buf);
    return res;
}

CMPI_DOC(Graphcomm_Get_topo_doc, "Get_topo($self)",
         "Return (index, edges) of the graph.");
static PyObject *
Graphcomm_Get_topo(CommObject *self, PyObject *Py_UNUSED(a))
{
    return graph_topo(self, GRAPH_TOPO);
}

/* Whether graph_neighbors returns a node's neighbors or only their
 * number. */
enum graph_neighbors_result {
    GRAPH_NEIGHBORS_LIST,
    GRAPH_NEIGHBORS_COUNT
};

static PyObject *
graph_neighbors(CommObject *self, int rank, enum graph_neighbors_result result)
{
    int nn, ne, n;
    if (graph_check(self, &nn, &ne) < 0) {
        return NULL;
    }
    if (rank < 0 || rank >= nn) {
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: rank=%d, the graph has %d "
                              "node%s",
                              rank, nn, nn == 1 ? "" : "s");
    }
    int ierr = MPI_Graph_neighbors_count(self->ob_mpi, rank, &n);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (result == GRAPH_NEIGHBORS_COUNT) {
        return PyLong_FromLong(n);
    }
    int *nb = PyMem_New(int, (size_t)n + 1);
    if (nb == NULL) {
        return PyErr_NoMemory();
    }
    ierr = MPI_Graph_neighbors(self->ob_mpi, rank, n, nb);
    PyObject *res = ierr == MPI_SUCCESS ? topo_list(nb, n)
                                        : cmpi_raise(self->st, ierr);
    PyMem_Free(nb);
    return res;
}

CMPI_DOC(Graphcomm_Get_neighbors_count_doc, "Get_neighbors_count($self, rank)",
         "Return the number of neighbors of a node.");
static PyObject *
Graphcomm_Get_neighbors_count(CommObject *self, PyObject *const *args,
                              Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"rank", NULL};
    PyObject *a[1] = {NULL};
    int rank;
    if (cmpi_parse("Get_neighbors_count", args, nargs, kwnames, kw, 1, a) <
                0 ||
        cmpi_as_int(a[0], &rank, "rank") < 0) {
        return NULL;
    }
    return graph_neighbors(self, rank, GRAPH_NEIGHBORS_COUNT);
}

CMPI_DOC(Graphcomm_Get_neighbors_doc, "Get_neighbors($self, rank)",
         "Return the neighbors of a node.");
static PyObject *
Graphcomm_Get_neighbors(CommObject *self, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"rank", NULL};
    PyObject *a[1] = {NULL};
    int rank;
    if (cmpi_parse("Get_neighbors", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &rank, "rank") < 0) {
        return NULL;
    }
    return graph_neighbors(self, rank, GRAPH_NEIGHBORS_LIST);
}

static PyObject *
Graphcomm_get_dims(CommObject *self, void *Py_UNUSED(c))
{
    return Graphcomm_Get_dims(self, NULL);
}

static PyObject *
Graphcomm_get_nnodes(CommObject *self, void *Py_UNUSED(c))
{
    int nn, ne;
    if (graph_check(self, &nn, &ne) < 0) {
        return NULL;
    }
    return PyLong_FromLong(nn);
}

static PyObject *
Graphcomm_get_nedges(CommObject *self, void *Py_UNUSED(c))
{
    int nn, ne;
    if (graph_check(self, &nn, &ne) < 0) {
        return NULL;
    }
    return PyLong_FromLong(ne);
}

static PyObject *
Graphcomm_get_topo(CommObject *self, void *Py_UNUSED(c))
{
    return graph_topo(self, GRAPH_TOPO);
}

static PyObject *
Graphcomm_get_index(CommObject *self, void *Py_UNUSED(c))
{
    return graph_topo(self, GRAPH_INDEX);
}

static PyObject *
Graphcomm_get_edges(CommObject *self, void *Py_UNUSED(c))
{
    return graph_topo(self, GRAPH_EDGES);
}

static PyObject *
Graphcomm_get_nneighbors(CommObject *self, void *Py_UNUSED(c))
{
    int rank = 0;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    return graph_neighbors(self, rank, GRAPH_NEIGHBORS_COUNT);
}

static PyObject *
Graphcomm_get_neighbors(CommObject *self, void *Py_UNUSED(c))
{
    int rank = 0;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    return graph_neighbors(self, rank, GRAPH_NEIGHBORS_LIST);
}

static PyMethodDef Graphcomm_methods[] = {
        {"Get_dims", (PyCFunction)Graphcomm_Get_dims, METH_NOARGS,
         Graphcomm_Get_dims_doc},
        {"Get_topo", (PyCFunction)Graphcomm_Get_topo, METH_NOARGS,
         Graphcomm_Get_topo_doc},
        {"Get_neighbors_count", FN(Graphcomm_Get_neighbors_count), FASTKW,
         Graphcomm_Get_neighbors_count_doc},
        {"Get_neighbors", FN(Graphcomm_Get_neighbors), FASTKW,
         Graphcomm_Get_neighbors_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Graphcomm_getset[] = {
        {"dims", (getter)Graphcomm_get_dims, NULL, "(nnodes, nedges).", NULL},
        {"nnodes", (getter)Graphcomm_get_nnodes, NULL, "Number of nodes.",
         NULL},
        {"nedges", (getter)Graphcomm_get_nedges, NULL, "Number of edges.",
         NULL},
        {"topo", (getter)Graphcomm_get_topo, NULL, "(index, edges).", NULL},
        {"index", (getter)Graphcomm_get_index, NULL, "Index.", NULL},
        {"edges", (getter)Graphcomm_get_edges, NULL, "Edges.", NULL},
        {"nneighbors", (getter)Graphcomm_get_nneighbors, NULL,
         "Number of neighbors of this process.", NULL},
        {"neighbors", (getter)Graphcomm_get_neighbors, NULL,
         "Neighbors of this process.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

/* ---------------------------------------------------------------------
 * Distgraphcomm.
 */

static int
dist_check(CommObject *c, int *in, int *out, int *weighted)
{
    int kind;
    if (topo_kind(c, &kind) < 0) {
        return -1;
    }
    if (kind != MPI_DIST_GRAPH) {
        cmpi_raise_msg(c->st, MPI_ERR_TOPOLOGY,
                       "invalid topology: not a distributed graph "
                       "communicator");
        return -1;
    }
    int ierr = MPI_Dist_graph_neighbors_count(c->ob_mpi, in, out, weighted);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(c->st, ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Distgraphcomm_Get_dist_neighbors_count_doc,
         "Get_dist_neighbors_count($self)",
         "Return (indegree, outdegree, weighted).");
static PyObject *
Distgraphcomm_Get_dist_neighbors_count(CommObject *self,
                                       PyObject *Py_UNUSED(a))
{
    int in, out, weighted;
    if (dist_check(self, &in, &out, &weighted) < 0) {
        return NULL;
    }
    return Py_BuildValue("(iiO)", in, out, weighted ? Py_True : Py_False);
}

CMPI_DOC(Distgraphcomm_Get_dist_neighbors_doc, "Get_dist_neighbors($self)",
         "Return (sources, destinations, weights): weights is "
         "(sourceweights, destweights), or None if unweighted.");
static PyObject *
Distgraphcomm_Get_dist_neighbors(CommObject *self, PyObject *Py_UNUSED(a))
{
    int in, out, weighted;
    if (dist_check(self, &in, &out, &weighted) < 0) {
        return NULL;
    }
    int *buf = PyMem_New(int, 2 * ((size_t)in + (size_t)out) + 1);
    if (buf == NULL) {
        return PyErr_NoMemory();
    }
    int *src = buf, *sw = buf + in, *dst = buf + 2 * in,
        *dw = buf + 2 * in + out;
    int ierr =
            MPI_Dist_graph_neighbors(self->ob_mpi, in, src, sw, out, dst, dw);
    PyObject *res = NULL;
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
    }
    else if (weighted) {
        res = Py_BuildValue("(NN(NN))", topo_list(src, in),
                            topo_list(dst, out), topo_list(sw, in),
                            topo_list(dw, out));
    }
    else {
        res = Py_BuildValue("(NNO)", topo_list(src, in), topo_list(dst, out),
                            Py_None);
    }
    PyMem_Free(buf);
    return res;
}

static PyMethodDef Distgraphcomm_methods[] = {
        {"Get_dist_neighbors_count",
         (PyCFunction)Distgraphcomm_Get_dist_neighbors_count, METH_NOARGS,
         Distgraphcomm_Get_dist_neighbors_count_doc},
        {"Get_dist_neighbors", (PyCFunction)Distgraphcomm_Get_dist_neighbors,
         METH_NOARGS, Distgraphcomm_Get_dist_neighbors_doc},
        {NULL, NULL, 0, NULL},
};

/* ---------------------------------------------------------------------
 * Compute_dims and the types.
 */

/* Only Omega(n) free dimensions (n's prime factors counted with their
 * multiplicity, at most 30) can get more than 1.  MPI limits ndims (MPICH
 * and Intel MPI refuse more than 20) or is slow on many (Open MPI 4.1 is
 * quadratic: 10**6 dimensions took 6 minutes), so past DIMS_MPI_MAX free
 * dimensions MPI distributes `free_nodes` (nnodes over the fixed ones) over
 * the first max(DIMS_MPI_MAX, Omega) free ones, in order, and the others get
 * 1: the same balanced, non-increasing result, as any more free dimensions
 * can only be 1. */
#define DIMS_MPI_MAX 20
#define DIMS_LIMIT (1 << 24)

static int
prime_factor_count(int n)
{
    int count = 0;
    for (int p = 2; (long long)p * p <= n; p++) {
        while (n % p == 0) {
            n /= p;
            count++;
        }
    }
    return count + (n > 1);
}

static int
dims_create_many(int free_nodes, int nd, int *dims)
{
    int sub[32] = {0}, k = 0, kmax = prime_factor_count(free_nodes);
    if (kmax < DIMS_MPI_MAX) {
        kmax = DIMS_MPI_MAX;
    }
    for (int i = 0; i < nd && k < kmax; i++) {
        k += dims[i] == 0;
    }
    int ierr = MPI_Dims_create(free_nodes, k, sub);
    if (ierr != MPI_SUCCESS) {
        return ierr;
    }
    for (int i = 0, j = 0; i < nd; i++) {
        if (dims[i] == 0) {
            dims[i] = j < k ? sub[j++] : 1;
        }
    }
    return MPI_SUCCESS;
}

/* MPICH's MPI_Dims_create (4.0 and 5.0, and Intel MPI's; not Open MPI's)
 * divides by zero (SIGFPE) when two or more dimensions are free and the
 * nodes left for them are a prime above 46337**2 (measured: 2147117563
 * passes, 2147117617 crashes).  46337 is the largest prime whose square
 * fits in an int; the next one's square, as a trial divisor, does not.  A
 * prime has one balanced distribution, the prime and then ones, so cmpi
 * gives it without calling MPI there. */
#define DIMS_LARGE_PRIME ((long long)46337 * 46337)

/* Fills the free entries of dims and returns 1 when free_nodes is a prime
 * MPICH cannot distribute; returns 0 and leaves dims alone otherwise. */
static int
dims_fill_large_prime(int free_nodes, int nd, int *dims)
{
    int free_dims = 0;
    for (int i = 0; i < nd; i++) {
        free_dims += dims[i] == 0;
    }
    if (free_dims < 2 || free_nodes <= DIMS_LARGE_PRIME ||
        prime_factor_count(free_nodes) != 1) {
        return 0;
    }
    int first = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] == 0) {
            dims[i] = first ? free_nodes : 1;
            first = 0;
        }
    }
    return 1;
}

CMPI_DOC(Compute_dims_doc, "Compute_dims(nnodes, dims)",
         "Return a balanced distribution of nnodes processes over a grid; "
         "dims is the number of dimensions, or a list where nonzero entries "
         "are fixed.");
static PyObject *
mod_Compute_dims(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const kw[] = {"nnodes", "dims", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_get_state(m);
    int nnodes, nd = 0, *dims = NULL;
    if (cmpi_parse("Compute_dims", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &nnodes, "nnodes") < 0) {
        return NULL;
    }
    if (nnodes < 1) {
        return cmpi_raise_msg(st, MPI_ERR_DIMS,
                              "invalid nnodes: nnodes=%d, must be positive",
                              nnodes);
    }
    if (PyLong_Check(a[1]) ||
        (PyIndex_Check(a[1]) && !PySequence_Check(a[1]))) {
        if (cmpi_as_int(a[1], &nd, "dims") < 0) {
            return NULL;
        }
        if (nd < 0) {
            return cmpi_raise_msg(st, MPI_ERR_DIMS,
                                  "invalid dims: dims=%d, the number of "
                                  "dimensions must be >= 0",
                                  nd);
        }
        if (nd > DIMS_LIMIT) {
            /* its list alone would take gigabytes (2**31 - 1 dimensions:
             * 16 GiB), enough to bring a node down */
            return cmpi_raise_msg(st, MPI_ERR_DIMS,
                                  "invalid dims: dims=%d dimensions, more "
                                  "than cmpi's limit of %d",
                                  nd, DIMS_LIMIT);
        }
        dims = PyMem_New(int, (size_t)nd + 1);
        if (dims == NULL) {
            return PyErr_NoMemory();
        }
        for (int i = 0; i < nd; i++) {
            dims[i] = 0;
        }
    }
    else if (cmpi_topo_ints(a[1], &dims, &nd, "dims") < 0) {
        return NULL;
    }
    PyObject *res = NULL;
    long long fixed = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] < 0) {
            cmpi_raise_msg(st, MPI_ERR_DIMS,
                           "invalid dims: dims[%d]=%d is negative", i,
                           dims[i]);
            goto done;
        }
        if (dims[i] > 0 && fixed <= nnodes) {
            fixed *= dims[i]; /* < 2**62: stops growing past nnodes */
        }
    }
    if (nd > 0 && fixed > nnodes) {
        cmpi_raise_msg(st, MPI_ERR_DIMS,
                       "invalid dims: the product of the fixed dimensions "
                       "is more than nnodes=%d",
                       nnodes);
        goto done;
    }
    if (nd > 0 && nnodes % fixed != 0) {
        cmpi_raise_msg(st, MPI_ERR_DIMS,
                       "invalid dims: nnodes=%d is not a multiple of the "
                       "product %lld of the fixed dimensions",
                       nnodes, fixed);
        goto done;
    }
    int ierr = MPI_SUCCESS, free_nodes = nnodes / (int)fixed;
    if (dims_fill_large_prime(free_nodes, nd, dims)) {
        /* answered without MPI */
    }
    else if (nd <= DIMS_MPI_MAX) {
        ierr = MPI_Dims_create(nnodes, nd, dims);
    }
    else {
        ierr = dims_create_many(free_nodes, nd, dims);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
    }
    else {
        res = topo_list(dims, nd);
    }
done:
    PyMem_Free(dims);
    return res;
}

#undef DIMS_MPI_MAX
#undef DIMS_LIMIT
#undef DIMS_LARGE_PRIME

#define CMPI_TOPO_MODULE_METHODS \
    {"Compute_dims", FN(mod_Compute_dims), FASTKW, Compute_dims_doc},

PyDoc_STRVAR(Topocomm_doc,
             "Topocomm(comm=None)\n--\n\nTopology intracommunicator.");
PyDoc_STRVAR(Cartcomm_doc,
             "Cartcomm(comm=None)\n--\n\nCartesian topology "
             "intracommunicator.");
PyDoc_STRVAR(Graphcomm_doc,
             "Graphcomm(comm=None)\n--\n\nGeneral graph topology "
             "intracommunicator.");
PyDoc_STRVAR(Distgraphcomm_doc,
             "Distgraphcomm(comm=None)\n--\n\nDistributed graph topology "
             "intracommunicator.");

static PyType_Slot Topocomm_slots[] = {
        {Py_tp_doc, (void *)Topocomm_doc},
        {Py_tp_methods, Topocomm_methods},
        {Py_tp_getset, Topocomm_getset},
        {0, NULL},
};
static PyType_Slot Cartcomm_slots[] = {
        {Py_tp_doc, (void *)Cartcomm_doc},
        {Py_tp_methods, Cartcomm_methods},
        {Py_tp_getset, Cartcomm_getset},
        {0, NULL},
};
static PyType_Slot Graphcomm_slots[] = {
        {Py_tp_doc, (void *)Graphcomm_doc},
        {Py_tp_methods, Graphcomm_methods},
        {Py_tp_getset, Graphcomm_getset},
        {0, NULL},
};
static PyType_Slot Distgraphcomm_slots[] = {
        {Py_tp_doc, (void *)Distgraphcomm_doc},
        {Py_tp_methods, Distgraphcomm_methods},
        {0, NULL},
};

#define TOPO_SPEC(var, pyname, slotsvar)                       \
    static PyType_Spec var = {                                 \
            .name = "cmpi.MPI." pyname,                        \
            .basicsize = sizeof(CommObject),                   \
            .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, \
            .slots = slotsvar,                                 \
    };
TOPO_SPEC(Topocomm_spec, "Topocomm", Topocomm_slots)
TOPO_SPEC(Cartcomm_spec, "Cartcomm", Cartcomm_slots)
TOPO_SPEC(Graphcomm_spec, "Graphcomm", Graphcomm_slots)
TOPO_SPEC(Distgraphcomm_spec, "Distgraphcomm", Distgraphcomm_slots)

static PyTypeObject *
topo_type(PyObject *m, PyType_Spec *spec, PyTypeObject *base)
{
    PyTypeObject *t = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, spec, (PyObject *)base);
    if (t == NULL || PyModule_AddType(m, t) < 0) {
        return NULL;
    }
    return t;
}

static int
cmpi_topology_init(PyObject *m, cmpi_state *st)
{
    if ((st->Topocomm_Type =
                 topo_type(m, &Topocomm_spec, st->Intracomm_Type)) == NULL ||
        (st->Cartcomm_Type =
                 topo_type(m, &Cartcomm_spec, st->Topocomm_Type)) == NULL ||
        (st->Graphcomm_Type =
                 topo_type(m, &Graphcomm_spec, st->Topocomm_Type)) == NULL ||
        (st->Distgraphcomm_Type = topo_type(m, &Distgraphcomm_spec,
                                            st->Topocomm_Type)) == NULL) {
        return -1;
    }
    /* Split types MPI lacks are UNDEFINED (Split_type then gives
     * COMM_NULL, as MPI does for MPI_UNDEFINED). */
#if CMPI_HAVE_COMM_TYPE_HW_GUIDED
    int hw_guided = MPI_COMM_TYPE_HW_GUIDED;
#else
    int hw_guided = MPI_UNDEFINED;
#endif
#if CMPI_HAVE_COMM_TYPE_HW_UNGUIDED
    int hw_unguided = MPI_COMM_TYPE_HW_UNGUIDED;
#else
    int hw_unguided = MPI_UNDEFINED;
#endif
#ifdef MPI_COMM_TYPE_RESOURCE_GUIDED
    int resource_guided = MPI_COMM_TYPE_RESOURCE_GUIDED;
#else
    int resource_guided = MPI_UNDEFINED;
#endif
    if (PyModule_AddIntConstant(m, "COMM_TYPE_SHARED", MPI_COMM_TYPE_SHARED) <
                0 ||
        PyModule_AddIntConstant(m, "COMM_TYPE_HW_GUIDED", hw_guided) < 0 ||
        PyModule_AddIntConstant(m, "COMM_TYPE_HW_UNGUIDED", hw_unguided) < 0 ||
        PyModule_AddIntConstant(m, "COMM_TYPE_RESOURCE_GUIDED",
                                resource_guided) < 0 ||
        cmpi_add(m, "UNWEIGHTED", PyLong_FromVoidPtr((void *)MPI_UNWEIGHTED)) <
                0 ||
        cmpi_add(m, "WEIGHTS_EMPTY",
                 PyLong_FromVoidPtr((void *)MPI_WEIGHTS_EMPTY)) < 0) {
        return -1;
    }
    return 0;
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef TOPO_SPEC
