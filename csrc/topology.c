/*
 * topology.c -- process topologies: MPI.Topocomm and its Cartesian, graph
 * and distributed-graph kinds, Compute_dims, and the neighborhood
 * collectives (Neighbor_*, Ineighbor_*, Neighbor_*_init and the pickling
 * neighbor_allgather / neighbor_alltoall).
 *
 * The constructors are Intracomm methods (Create_cart, ...); their
 * method-table entries are assembled in comm.c.  New communicators go
 * through cmpi_comm_wrap_new, so they have a shadow like any other.
 */
#include "cmpi.h"

/* A sequence of ints as a PyMem array (empty: a 1-element allocation). */
static int
topo_ints(PyObject *obj, int **out, int *n, const char *what)
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
        else if (cmpi_as_int(x, &v, what) < 0) {
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

static PyObject *
topo_bool_list(const int *v, int n)
{
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++)
        PyList_SET_ITEM(l, i, PyBool_FromLong(v[i] != 0));
    return l;
}

static int
topo_opt_bool(PyObject *obj, int *out)
{
    *out = 0;
    if (obj == NULL)
        return 0;
    int v = PyObject_IsTrue(obj);
    if (v < 0)
        return -1;
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
        if (prod > INT_MAX)
            break;
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
    if (topo_ints(odims, dims, ndims, "dims") < 0)
        return -1;
    if (cart_check_dims(c, *dims, *ndims) < 0)
        goto error;
    if (operiods == NULL || operiods == Py_None) {
        *periods = PyMem_New(int, *ndims > 0 ? *ndims : 1);
        if (*periods == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        for (int i = 0; i < *ndims; i++) (*periods)[i] = 0;
        return 0;
    }
    if (PyBool_Check(operiods) || PyLong_Check(operiods)) {
        int v = PyObject_IsTrue(operiods);
        *periods = PyMem_New(int, *ndims > 0 ? *ndims : 1);
        if (*periods == NULL) {
            PyErr_NoMemory();
            goto error;
        }
        for (int i = 0; i < *ndims; i++) (*periods)[i] = v;
        return 0;
    }
    if (topo_ints(operiods, periods, &np, "periods") < 0)
        goto error;
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
        cart_args(self, a[0], a[1], &dims, &periods, &ndims) < 0)
        return NULL;
    CMPI_NOGIL_CALL("Create_cart", self->ob_mpi,
                    ierr = MPI_Cart_create(self->ob_mpi, ndims, dims, periods,
                                           reorder, &h));
    PyMem_Free(dims);
    PyMem_Free(periods);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
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
        cart_args(self, a[0], a[1], &dims, &periods, &ndims) < 0)
        return NULL;
    int ierr = MPI_Cart_map(self->ob_mpi, ndims, dims, periods, &rank);
    PyMem_Free(dims);
    PyMem_Free(periods);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(rank);
}

/* index and edges of a graph over the communicator's processes. */
static int
graph_args(CommObject *c, PyObject *oindex, PyObject *oedges, int **index,
           int **edges, int *nnodes)
{
    int nedges = 0;
    *edges = NULL;
    if (topo_ints(oindex, index, nnodes, "index") < 0)
        return -1;
    if (topo_ints(oedges, edges, &nedges, "edges") < 0)
        goto error;
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
    for (int i = 0; i < nedges; i++) {
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
        graph_args(self, a[0], a[1], &index, &edges, &nnodes) < 0)
        return NULL;
    CMPI_NOGIL_CALL("Create_graph", self->ob_mpi,
                    ierr = MPI_Graph_create(self->ob_mpi, nnodes, index, edges,
                                            reorder, &h));
    PyMem_Free(index);
    PyMem_Free(edges);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
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
        graph_args(self, a[0], a[1], &index, &edges, &nnodes) < 0)
        return NULL;
    int ierr = MPI_Graph_map(self->ob_mpi, nnodes, index, edges, &rank);
    PyMem_Free(index);
    PyMem_Free(edges);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    return PyLong_FromLong(rank);
}

/* Ranks of a distributed graph, each a rank of the communicator. */
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
    if (topo_ints(obj, out, n, what) < 0)
        return -1;
    for (int i = 0; i < *n; i++) {
        if ((*out)[i] < 0 || (*out)[i] >= c->size) {
            cmpi_raise_msg(c->st, MPI_ERR_RANK,
                           "invalid rank: %s[%d]=%d, the communicator has "
                           "%d rank%s",
                           what, i, (*out)[i], c->size,
                           c->size == 1 ? "" : "s");
            PyMem_Free(*out);
            *out = NULL;
            return -1;
        }
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
    if (obj == NULL || obj == Py_None)
        return 0;
    if (PyLong_Check(obj)) {
        void *p = PyLong_AsVoidPtr(obj);
        if (p == NULL && PyErr_Occurred())
            return -1;
        if ((int *)p == MPI_UNWEIGHTED)
            return 0;
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
    if (topo_ints(obj, out, &m, what) < 0)
        return -1;
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
        topo_opt_bool(a[5], &reorder) < 0)
        return NULL;
    if (dist_ranks(self, a[0], &src, &nsrc, "sources") < 0 ||
        dist_ranks(self, a[1], &dst, &ndst, "destinations") < 0 ||
        dist_weights(a[2], nsrc, &sw, &swu, "sourceweights") < 0 ||
        dist_weights(a[3], ndst, &dw, &dwu, "destweights") < 0)
        goto done;
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
        topo_opt_bool(a[5], &reorder) < 0)
        return NULL;
    if (dist_ranks(self, a[0], &src, &nsrc, "sources") < 0 ||
        topo_ints(a[1], &deg, &ndeg, "degrees") < 0 ||
        dist_ranks(self, a[2], &dst, &ndst, "destinations") < 0)
        goto done;
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
    if (dist_weights(a[3], ndst, &w, &wu, "weights") < 0)
        goto done;
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
    if (cmpi_comm_check(c) < 0)
        return -1;
    *kind = MPI_UNDEFINED;
    if (!c->inter)
        MPI_Topo_test(c->ob_mpi, kind);
    if (*kind == MPI_UNDEFINED) {
        cmpi_raise_msg(c->st, MPI_ERR_TOPOLOGY,
                       "invalid topology: the communicator has no "
                       "topology");
        return -1;
    }
    return 0;
}

static int
topo_degrees(CommObject *c, int *indeg, int *outdeg)
{
    int kind, ierr = MPI_SUCCESS;
    if (topo_kind(c, &kind) < 0)
        return -1;
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
topo_edges(CommObject *c, int **in, int *nin, int **out, int *nout)
{
    int kind, ierr = MPI_SUCCESS;
    *in = *out = NULL;
    if (topo_degrees(c, nin, nout) < 0 || topo_kind(c, &kind) < 0)
        return -1;
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
        for (int i = 0; i < *nin; i++) (*out)[i] = (*in)[i];
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
    if (topo_degrees(self, &in, &out) < 0)
        return NULL;
    return Py_BuildValue("(ii)", in, out);
}

static PyObject *
Topocomm_get_indegree(CommObject *self, void *Py_UNUSED(c))
{
    int in, out;
    if (topo_degrees(self, &in, &out) < 0)
        return NULL;
    return PyLong_FromLong(in);
}

static PyObject *
Topocomm_get_outdegree(CommObject *self, void *Py_UNUSED(c))
{
    int in, out;
    if (topo_degrees(self, &in, &out) < 0)
        return NULL;
    return PyLong_FromLong(out);
}

static PyObject *
topo_edges_get(CommObject *self, int which)
{
    int *in, *out, nin, nout;
    if (topo_edges(self, &in, &nin, &out, &nout) < 0)
        return NULL;
    PyObject *res;
    if (which == 0)
        res = topo_list(in, nin);
    else if (which == 1)
        res = topo_list(out, nout);
    else
        res = Py_BuildValue("(NN)", topo_list(in, nin), topo_list(out, nout));
    PyMem_Free(in);
    PyMem_Free(out);
    return res;
}

static PyObject *
Topocomm_get_inedges(CommObject *self, void *Py_UNUSED(c))
{
    return topo_edges_get(self, 0);
}

static PyObject *
Topocomm_get_outedges(CommObject *self, void *Py_UNUSED(c))
{
    return topo_edges_get(self, 1);
}

static PyObject *
Topocomm_get_inoutedges(CommObject *self, void *Py_UNUSED(c))
{
    return topo_edges_get(self, 2);
}

/* ---------------------------------------------------------------------
 * Neighborhood collectives on buffers.  Blocking, nonblocking (the
 * request holds the buffers and the count arrays until it completes) and
 * persistent (MPI-4).
 */
enum {
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
    if (p == NULL)
        return 0;
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
    if (view->obj != NULL)
        r->views[r->nviews++] = *view;
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
    if (m->view.obj != NULL)
        PyBuffer_Release(&m->view);
    PyMem_Free(m->counts);
    PyMem_Free(m->displs);
    PyMem_Free(m->types);
    m->counts = NULL;
    m->displs = NULL;
    m->types = NULL;
}

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
    else {
        PyErr_SetString(PyExc_TypeError,
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
    if (topo_ints(oc, &tmp, &k, "counts") < 0)
        goto error;
    for (int i = 0; i < k && i < n; i++) m->counts[i] = tmp[i];
    PyMem_Free(tmp);
    if (k != n) {
        PyErr_Format(PyExc_ValueError,
                     "message: counts has %d entries, expected %d (one per "
                     "neighbor)",
                     k, n);
        goto error;
    }
    seq = PySequence_Fast(ot, "message: datatypes must be a sequence");
    if (seq == NULL)
        goto error;
    if (PySequence_Fast_GET_SIZE(seq) != n) {
        PyErr_Format(PyExc_ValueError,
                     "message: datatypes has %zd entries, expected %d",
                     PySequence_Fast_GET_SIZE(seq), n);
        goto error;
    }
    for (int i = 0; i < n; i++) {
        if (cmpi_dtype_from_object(st, PySequence_Fast_GET_ITEM(seq, i),
                                   &m->types[i]) < 0)
            goto error;
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
        if (dseq == NULL)
            goto error;
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
        if (buf == Py_None && cmpi_none_counts(m->counts, n) < 0)
            goto error;
        m->addr = buf == Py_None ? NULL : MPI_BOTTOM;
    }
    else {
        int flags = PyBUF_ANY_CONTIGUOUS | (recv ? PyBUF_WRITABLE : 0);
        if (cmpi_get_buffer(buf, &m->view, flags) < 0)
            goto error;
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
    if (!PyList_Check(spec) && !PyTuple_Check(spec))
        return 0;
    Py_ssize_t n = PySequence_Size(spec);
    if (n < 2 || n > 4)
        return 0;
    PyObject *c = PySequence_GetItem(spec, 1);
    if (c == NULL) {
        PyErr_Clear();
        return 0;
    }
    int has = 0;
    if (PyTuple_Check(c) && PyTuple_GET_SIZE(c) == 2)
        has = PyTuple_GET_ITEM(c, 0) != Py_None;
    else if (n > 2 || PyLong_Check(c))
        has = c != Py_None;
    Py_DECREF(c);
    return has;
}

/* The per-neighbor count of a Neighbor_allgather/alltoall message. */
static int
nb_count(const char *fname, const char *which, PyObject *spec,
         const cmpi_msg *m, int n, int *out)
{
    if (!nb_spec_has_count(spec))
        return nb_per_neighbor(fname, which, m->count, n, out);
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
        topo_degrees(self, &indeg, &outdeg) < 0 ||
        cmpi_recvbuf_required(fname, a[1]) < 0)
        return NULL;
#if !CMPI_HAVE_PERSISTENT_NEIGHBOR
    if (mode == NB_PERSISTENT)
        return cmpi_not_implemented_call(fname);
#endif
    if (mode != NB_BLOCKING) {
        r = mode == NB_PERSISTENT ? cmpi_prequest_new(self->st)
                                  : cmpi_request_new(self->st, CMPI_REQ_PLAIN);
        if (r == NULL)
            return NULL;
    }
    MPI_Request *req = r ? &r->ob_mpi : NULL;
    MPI_Comm comm = self->ob_mpi;
    int scount = 0, rcount = 0;
    switch (kind) {
        case NB_ALLGATHER:
        case NB_ALLTOALL:
            if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0 ||
                cmpi_msg_parse(self->st, a[1], &rm, CMPI_MSG_RECV) < 0)
                goto done;
            scount = sm.count;
            if (kind == NB_ALLTOALL &&
                nb_count(fname, "sendbuf", a[0], &sm, outdeg, &scount) < 0)
                goto done;
            if (nb_count(fname, "recvbuf", a[1], &rm, indeg, &rcount) < 0)
                goto done;
            break;
        case NB_ALLGATHERV:
            if (cmpi_msg_parse(self->st, a[0], &sm, CMPI_MSG_SEND) < 0 ||
                cmpi_msgv_parse(self->st, a[1], &rv, indeg, CMPI_MSG_RECV) < 0)
                goto done;
            break;
        case NB_ALLTOALLV:
            if (cmpi_msgv_parse(self->st, a[0], &sv, outdeg, CMPI_MSG_SEND) <
                        0 ||
                cmpi_msgv_parse(self->st, a[1], &rv, indeg, CMPI_MSG_RECV) < 0)
                goto done;
            break;
        default:
            if (nb_msgw_parse(self->st, a[0], &sw, outdeg, 0) < 0 ||
                nb_msgw_parse(self->st, a[1], &rw, indeg, 1) < 0)
                goto done;
            break;
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

static PyObject *
neighbor_objects(CommObject *self, PyObject *sendobj, int alltoall)
{
    const char *fname = alltoall ? "neighbor_alltoall" : "neighbor_allgather";
    int indeg = 0, outdeg = 0, ierr;
    int *ssize = NULL, *sdispl = NULL, *rsize = NULL, *rdispl = NULL;
    int *rcount = NULL;
    PyObject **pickles = NULL, *seq = NULL, *res = NULL, *mine = NULL;
    char *sbuf = NULL, *rbuf = NULL;
    if (topo_degrees(self, &indeg, &outdeg) < 0)
        return NULL;
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
    for (int i = 0; i < outdeg; i++) pickles[i] = NULL;
    for (int i = 0; i < indeg; i++) rsize[i] = NB_NOTHING;

    /* Pickle; on failure keep the exception and send NB_FAILED. */
    long long stotal = 0;
    if (alltoall) {
        seq = PySequence_Fast(sendobj,
                              "neighbor_alltoall: sendobj must be "
                              "a sequence");
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
            if (pickles[i] == NULL)
                break;
        }
    }
    else if (outdeg > 0) {
        mine = cmpi_dumps_oob(self->st, sendobj, NULL);
        for (int i = 0; mine && i < outdeg; i++) pickles[i] = Py_NewRef(mine);
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
    CMPI_NOGIL_CALL(fname, self->ob_mpi,
                    ierr = MPI_Neighbor_alltoall(ssize, 1, MPI_INT, rsize, 1,
                                                 MPI_INT, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        Py_XDECREF(exc);
        cmpi_raise(self->st, ierr);
        goto done;
    }
    sbuf = PyMem_Malloc(stotal > 0 ? (size_t)stotal : 1);
    long long rtotal = 0;
    for (int i = 0; i < indeg; i++) {
        rcount[i] = rsize[i] > 0 ? rsize[i] : 0;
        rdispl[i] = (int)(rtotal < INT_MAX ? rtotal : 0);
        rtotal += rcount[i];
    }
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
        if (!failed)
            memcpy(sbuf + sdispl[i], PyBytes_AS_STRING(pickles[i]),
                   (size_t)ssize[i]);
        else
            ssize[i] = 0;
    }
    CMPI_NOGIL_CALL(fname, self->ob_mpi,
                    ierr = MPI_Neighbor_alltoallv(
                            sbuf, ssize, sdispl, MPI_BYTE, rbuf, rcount,
                            rdispl, MPI_BYTE, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        Py_XDECREF(exc);
        cmpi_raise(self->st, ierr);
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
            if (topo_edges(self, &in, &nin, &out, &nout) == 0) {
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
    if (pickles)
        for (int i = 0; i < outdeg; i++) Py_XDECREF(pickles[i]);
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
        cmpi_parse("neighbor_allgather", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    return neighbor_objects(self, a[0], 0);
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
        cmpi_parse("neighbor_alltoall", args, nargs, kwnames, kw, 1, a) < 0)
        return NULL;
    return neighbor_objects(self, a[0], 1);
}

#define NB_ENTRY(name)                                            \
    {                                                             \
#name, FN(Topocomm_##name), FASTKW, Topocomm_##name##_doc \
    }

static PyMethodDef Topocomm_methods[] = {
        NB_ENTRY(Neighbor_allgather),      NB_ENTRY(Neighbor_allgatherv),
        NB_ENTRY(Neighbor_alltoall),       NB_ENTRY(Neighbor_alltoallv),
        NB_ENTRY(Neighbor_alltoallw),      NB_ENTRY(Ineighbor_allgather),
        NB_ENTRY(Ineighbor_allgatherv),    NB_ENTRY(Ineighbor_alltoall),
        NB_ENTRY(Ineighbor_alltoallv),     NB_ENTRY(Ineighbor_alltoallw),
        NB_ENTRY(Neighbor_allgather_init), NB_ENTRY(Neighbor_allgatherv_init),
        NB_ENTRY(Neighbor_alltoall_init),  NB_ENTRY(Neighbor_alltoallv_init),
        NB_ENTRY(Neighbor_alltoallw_init), NB_ENTRY(neighbor_allgather),
        NB_ENTRY(neighbor_alltoall),       {NULL, NULL, 0, NULL},
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
    if (topo_kind(c, &kind) < 0)
        return -1;
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
    if (cart_check(self, &nd) < 0)
        return NULL;
    return PyLong_FromLong(nd);
}

/* which: 0 (dims, periods, coords), 1 dims, 2 periods, 3 coords */
static PyObject *
cart_topo(CommObject *self, int which)
{
    int nd;
    if (cart_check(self, &nd) < 0)
        return NULL;
    int *buf = PyMem_New(int, 3 * (size_t)nd + 1);
    if (buf == NULL)
        return PyErr_NoMemory();
    int ierr = MPI_Cart_get(self->ob_mpi, nd, buf, buf + nd, buf + 2 * nd);
    PyObject *res = NULL;
    if (ierr != MPI_SUCCESS)
        cmpi_raise(self->st, ierr);
    else if (which == 1)
        res = topo_list(buf, nd);
    else if (which == 2)
        res = topo_bool_list(buf + nd, nd);
    else if (which == 3)
        res = topo_list(buf + 2 * nd, nd);
    else
        res = Py_BuildValue("(NNN)", topo_list(buf, nd),
                            topo_bool_list(buf + nd, nd),
                            topo_list(buf + 2 * nd, nd));
    PyMem_Free(buf);
    return res;
}

CMPI_DOC(Cartcomm_Get_topo_doc, "Get_topo($self)",
         "Return (dims, periods, coords) of the Cartesian topology.");
static PyObject *
Cartcomm_Get_topo(CommObject *self, PyObject *Py_UNUSED(a))
{
    return cart_topo(self, 0);
}

static PyObject *
Cartcomm_get_topo(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, 0);
}

static PyObject *
Cartcomm_get_dims(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, 1);
}

static PyObject *
Cartcomm_get_periods(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, 2);
}

static PyObject *
Cartcomm_get_coords(CommObject *self, void *Py_UNUSED(c))
{
    return cart_topo(self, 3);
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
        topo_ints(a[0], &coords, &n, "coords") < 0)
        return NULL;
    PyObject *res = NULL;
    if (n != nd) {
        cmpi_raise_msg(self->st, MPI_ERR_DIMS,
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
    if (ierr != MPI_SUCCESS)
        cmpi_raise(self->st, ierr);
    else
        res = PyLong_FromLong(rank);
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
        cmpi_as_int(a[0], &rank, "rank") < 0)
        return NULL;
    if ((unsigned)rank >= (unsigned)self->size)
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: rank=%d, the communicator has "
                              "%d rank%s",
                              rank, self->size, self->size == 1 ? "" : "s");
    int *coords = PyMem_New(int, (size_t)nd + 1);
    if (coords == NULL)
        return PyErr_NoMemory();
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
        cmpi_as_int(a[1], &disp, "disp") < 0)
        return NULL;
    if (direction < 0 || direction >= nd)
        return cmpi_raise_msg(self->st, MPI_ERR_DIMS,
                              "invalid direction: direction=%d, the grid "
                              "has %d dimension%s",
                              direction, nd, nd == 1 ? "" : "s");
    int ierr = MPI_Cart_shift(self->ob_mpi, direction, disp, &src, &dst);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
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
        topo_ints(a[0], &remain, &n, "remain_dims") < 0)
        return NULL;
    if (n != nd) {
        PyMem_Free(remain);
        return cmpi_raise_msg(self->st, MPI_ERR_DIMS,
                              "invalid remain_dims: %d entries for a "
                              "%d-dimensional grid",
                              n, nd);
    }
    CMPI_NOGIL_CALL("Sub", self->ob_mpi,
                    ierr = MPI_Cart_sub(self->ob_mpi, remain, &h));
    PyMem_Free(remain);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
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
    if (topo_kind(c, &kind) < 0)
        return -1;
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
    if (graph_check(self, &nn, &ne) < 0)
        return NULL;
    return Py_BuildValue("(ii)", nn, ne);
}

/* which: 0 (index, edges), 1 index, 2 edges */
static PyObject *
graph_topo(CommObject *self, int which)
{
    int nn, ne;
    if (graph_check(self, &nn, &ne) < 0)
        return NULL;
    int *buf = PyMem_New(int, (size_t)nn + (size_t)ne + 1);
    if (buf == NULL)
        return PyErr_NoMemory();
    int ierr = MPI_Graph_get(self->ob_mpi, nn, ne, buf, buf + nn);
    PyObject *res = NULL;
    if (ierr != MPI_SUCCESS)
        cmpi_raise(self->st, ierr);
    else if (which == 1)
        res = topo_list(buf, nn);
    else if (which == 2)
        res = topo_list(buf + nn, ne);
    else
        res = Py_BuildValue("(NN)", topo_list(buf, nn),
                            topo_list(buf + nn, ne));
    PyMem_Free(buf);
    return res;
}

CMPI_DOC(Graphcomm_Get_topo_doc, "Get_topo($self)",
         "Return (index, edges) of the graph.");
static PyObject *
Graphcomm_Get_topo(CommObject *self, PyObject *Py_UNUSED(a))
{
    return graph_topo(self, 0);
}

static PyObject *
graph_neighbors(CommObject *self, int rank, int count_only)
{
    int nn, ne, n;
    if (graph_check(self, &nn, &ne) < 0)
        return NULL;
    if (rank < 0 || rank >= nn)
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: rank=%d, the graph has %d "
                              "node%s",
                              rank, nn, nn == 1 ? "" : "s");
    int ierr = MPI_Graph_neighbors_count(self->ob_mpi, rank, &n);
    if (ierr != MPI_SUCCESS)
        return cmpi_raise(self->st, ierr);
    if (count_only)
        return PyLong_FromLong(n);
    int *nb = PyMem_New(int, (size_t)n + 1);
    if (nb == NULL)
        return PyErr_NoMemory();
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
        cmpi_as_int(a[0], &rank, "rank") < 0)
        return NULL;
    return graph_neighbors(self, rank, 1);
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
        cmpi_as_int(a[0], &rank, "rank") < 0)
        return NULL;
    return graph_neighbors(self, rank, 0);
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
    if (graph_check(self, &nn, &ne) < 0)
        return NULL;
    return PyLong_FromLong(nn);
}

static PyObject *
Graphcomm_get_nedges(CommObject *self, void *Py_UNUSED(c))
{
    int nn, ne;
    if (graph_check(self, &nn, &ne) < 0)
        return NULL;
    return PyLong_FromLong(ne);
}

static PyObject *
Graphcomm_get_topo(CommObject *self, void *Py_UNUSED(c))
{
    return graph_topo(self, 0);
}

static PyObject *
Graphcomm_get_index(CommObject *self, void *Py_UNUSED(c))
{
    return graph_topo(self, 1);
}

static PyObject *
Graphcomm_get_edges(CommObject *self, void *Py_UNUSED(c))
{
    return graph_topo(self, 2);
}

static PyObject *
Graphcomm_get_nneighbors(CommObject *self, void *Py_UNUSED(c))
{
    int rank = 0;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    return graph_neighbors(self, rank, 1);
}

static PyObject *
Graphcomm_get_neighbors(CommObject *self, void *Py_UNUSED(c))
{
    int rank = 0;
    if (cmpi_comm_check(self) < 0)
        return NULL;
    MPI_Comm_rank(self->ob_mpi, &rank);
    return graph_neighbors(self, rank, 0);
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
    if (topo_kind(c, &kind) < 0)
        return -1;
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
    if (dist_check(self, &in, &out, &weighted) < 0)
        return NULL;
    return Py_BuildValue("(iiO)", in, out, weighted ? Py_True : Py_False);
}

CMPI_DOC(Distgraphcomm_Get_dist_neighbors_doc, "Get_dist_neighbors($self)",
         "Return (sources, destinations, weights): weights is "
         "(sourceweights, destweights), or None if unweighted.");
static PyObject *
Distgraphcomm_Get_dist_neighbors(CommObject *self, PyObject *Py_UNUSED(a))
{
    int in, out, weighted;
    if (dist_check(self, &in, &out, &weighted) < 0)
        return NULL;
    int *buf = PyMem_New(int, 2 * ((size_t)in + (size_t)out) + 1);
    if (buf == NULL)
        return PyErr_NoMemory();
    int *src = buf, *sw = buf + in, *dst = buf + 2 * in,
        *dw = buf + 2 * in + out;
    int ierr =
            MPI_Dist_graph_neighbors(self->ob_mpi, in, src, sw, out, dst, dw);
    PyObject *res = NULL;
    if (ierr != MPI_SUCCESS)
        cmpi_raise(self->st, ierr);
    else if (weighted)
        res = Py_BuildValue("(NN(NN))", topo_list(src, in),
                            topo_list(dst, out), topo_list(sw, in),
                            topo_list(dw, out));
    else
        res = Py_BuildValue("(NNO)", topo_list(src, in), topo_list(dst, out),
                            Py_None);
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
        cmpi_as_int(a[0], &nnodes, "nnodes") < 0)
        return NULL;
    if (nnodes < 1)
        return cmpi_raise_msg(st, MPI_ERR_ARG,
                              "invalid nnodes: nnodes=%d, must be positive",
                              nnodes);
    if (PyLong_Check(a[1])) {
        if (cmpi_as_int(a[1], &nd, "dims") < 0)
            return NULL;
        if (nd < 0)
            return cmpi_raise_msg(st, MPI_ERR_DIMS,
                                  "invalid dims: dims=%d, the number of "
                                  "dimensions must be >= 0",
                                  nd);
        dims = PyMem_New(int, (size_t)nd + 1);
        if (dims == NULL)
            return PyErr_NoMemory();
        for (int i = 0; i < nd; i++) dims[i] = 0;
    }
    else if (topo_ints(a[1], &dims, &nd, "dims") < 0) {
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
        if (dims[i] > 0)
            fixed *= dims[i];
    }
    if (nd > 0 && nnodes % fixed != 0) {
        cmpi_raise_msg(st, MPI_ERR_DIMS,
                       "invalid dims: nnodes=%d is not a multiple of the "
                       "product %lld of the fixed dimensions",
                       nnodes, fixed);
        goto done;
    }
    int ierr = MPI_Dims_create(nnodes, nd, dims);
    if (ierr != MPI_SUCCESS)
        cmpi_raise(st, ierr);
    else
        res = topo_list(dims, nd);
done:
    PyMem_Free(dims);
    return res;
}

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
    if (t == NULL || PyModule_AddType(m, t) < 0)
        return NULL;
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
        (st->Distgraphcomm_Type =
                 topo_type(m, &Distgraphcomm_spec, st->Topocomm_Type)) == NULL)
        return -1;
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
                 PyLong_FromVoidPtr((void *)MPI_WEIGHTS_EMPTY)) < 0)
        return -1;
    return 0;
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef NB_FAILED
#undef NB_NOTHING
#undef NB_ENTRY
#undef TOPO_SPEC
