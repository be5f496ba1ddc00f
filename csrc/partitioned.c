/*
 * partitioned.c -- MPI-4 partitioned point-to-point: Comm.Psend_init,
 * Comm.Precv_init and Prequest.Pready, Pready_range, Pready_list and
 * Parrived.
 *
 * MPICH 4.0 has them; Open MPI 4.1 does not (CMPI_HAVE_PARTITIONED, found
 * by meson.build): there each method raises NotImplementedError naming the
 * MPI function it needs (MPI_Psend_init, MPI_Pready ...), as the persistent
 * collectives do, and as mpi4py built on the same library does: after
 * checking its arguments, where the MPI call would be made, so that a bad
 * argument raises what it raises where the library has them.
 */
#include "cmpi.h"

CMPI_DOC(Comm_Psend_init_doc,
         "Psend_init($self, buf, partitions, dest, tag=0, "
         "info=None)",
         "Create request for a partitioned send operation (MPI-4).  The "
         "message's count, if given, is each partition's; otherwise the "
         "buffer is divided evenly.");

CMPI_DOC(Comm_Precv_init_doc,
         "Precv_init($self, buf, partitions, source=cmpi.MPI.ANY_SOURCE, "
         "tag=cmpi.MPI.ANY_TAG, info=None)",
         "Create request for a partitioned recv operation (MPI-4).  The "
         "message's count, if given, is each partition's; otherwise the "
         "buffer is divided evenly.");

CMPI_DOC(Prequest_Pready_doc, "Pready($self, partition)",
         "Mark a given partition as ready.");

CMPI_DOC(Prequest_Pready_range_doc,
         "Pready_range($self, partition_low, partition_high)",
         "Mark a range of partitions as ready.");

CMPI_DOC(Prequest_Pready_list_doc, "Pready_list($self, partitions)",
         "Mark a sequence of partitions as ready.");

CMPI_DOC(Prequest_Parrived_doc, "Parrived($self, partition)",
         "Test partial completion of a partitioned receive operation.");

/* The MPI call of a partitioned method; where the library lacks them,
 * never reached: partitioned_init and partitioned_check raise
 * NotImplementedError first. */
#ifdef CMPI_HAVE_PARTITIONED
#define PARTITIONED_CALL(call) (call)
#else
#define PARTITIONED_CALL(call) MPI_ERR_OTHER
#endif

/* A request Psend_init or Precv_init made: only those may be given to
 * MPI_Pready and MPI_Parrived (a library need not check the kind of
 * request it is handed). */
#define CMPI_PARTITIONED 0x80u

/* The count of each partition: mpi4py's rule.  A count the message spec
 * gave ([buf, count, datatype]) is each partition's; one inferred from the
 * buffer is divided among the partitions, which must share it evenly. */
static int
partitioned_count(cmpi_msg *m, int partitions)
{
    if (m->big != MPI_DATATYPE_NULL) {
        PyErr_SetString(PyExc_OverflowError,
                        "partitioned messages of more than 2**31-1 "
                        "elements are not supported");
        return -1;
    }
    if (m->counted || partitions < 2) {
        return 0;
    }
    if (m->count % partitions != 0) {
        PyErr_Format(PyExc_ValueError,
                     "message: cannot infer count, number of entries %d is "
                     "not a multiple of required number of blocks %d",
                     m->count, partitions);
        return -1;
    }
    m->count /= partitions;
    return 0;
}

/* Psend_init (recv 0) or Precv_init (recv 1): a persistent request that
 * holds the buffer for its whole life, as Send_init's does. */
static PyObject *
partitioned_init(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames, int recv)
{
    static const char *const send_kw[] = {"buf", "partitions", "dest",
                                          "tag", "info",       NULL};
    static const char *const recv_kw[] = {"buf", "partitions", "source",
                                          "tag", "info",       NULL};
    const char *fname = recv ? "Precv_init" : "Psend_init";
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    int partitions, rank, tag;
    MPI_Info info;
    cmpi_msg m;
    CMPI_COMM_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, recv ? recv_kw : send_kw,
                   recv ? 2 : 3, a) < 0 ||
        cmpi_as_int(a[1], &partitions, "partitions") < 0 ||
        (recv ? cmpi_recv_args(self, a[2], a[3], &rank, &tag)
              : cmpi_send_args(self, a[2], a[3], &rank, &tag)) < 0 ||
        cmpi_info_arg(self->st, a[4], &info) < 0) {
        return NULL;
    }
    /* MPICH 4.0 crashes in MPI_Psend_init/MPI_Precv_init on PROC_NULL */
    if (rank == MPI_PROC_NULL) {
        return cmpi_raise_msg(self->st, MPI_ERR_RANK,
                              "invalid rank: %s=PROC_NULL, partitioned "
                              "communication needs a process",
                              recv ? "source" : "dest");
    }
    if (partitions < 1) {
        return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                              "invalid argument: partitions=%d, at least 1 "
                              "is needed",
                              partitions);
    }
    if (cmpi_msg_parse(self->st, a[0], &m,
                       recv ? CMPI_MSG_RECV : CMPI_MSG_SEND) < 0) {
        return NULL;
    }
    if (partitioned_count(&m, partitions) < 0) {
        cmpi_msg_release(&m);
        return NULL;
    }
#ifndef CMPI_HAVE_PARTITIONED
    cmpi_msg_release(&m);
    return cmpi_not_implemented_call(fname);
#endif
    RequestObject *r = cmpi_prequest_new(self->st);
    int ierr = MPI_SUCCESS;
    if (r != NULL) {
        ierr = PARTITIONED_CALL(
                recv ? MPI_Precv_init(m.addr, partitions, m.count, m.dtype,
                                      rank, tag, self->ob_mpi, info,
                                      &r->ob_mpi)
                     : MPI_Psend_init(m.addr, partitions, m.count, m.dtype,
                                      rank, tag, self->ob_mpi, info,
                                      &r->ob_mpi));
    }
    if (r == NULL || ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_XDECREF(r);
        return r ? cmpi_raise(self->st, ierr) : NULL;
    }
    r->flags |= CMPI_PARTITIONED;
    cmpi_msg_give(r, &m);
    return (PyObject *)r;
}

static PyObject *
Comm_Psend_init(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return partitioned_init(self, args, nargs, kwnames, 0);
}

static PyObject *
Comm_Precv_init(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return partitioned_init(self, args, nargs, kwnames, 1);
}

/* A request Pready and Parrived may use: one Psend_init or Precv_init
 * made, not freed; Pready also needs it started (MPI's rule). */
static int
partitioned_check(RequestObject *r, const char *fname, int started)
{
#ifndef CMPI_HAVE_PARTITIONED
    /* no request is partitioned there: the missing function says more */
    (void)r;
    (void)started;
    cmpi_not_implemented_call(fname);
    return -1;
#endif
    if (r->flags & CMPI_STALE) {
        return cmpi_handle_stale_error((PyObject *)r, CMPI_HK_REQUEST);
    }
    if (r->ob_mpi == MPI_REQUEST_NULL) {
        cmpi_raise_msg(r->st, MPI_ERR_REQUEST,
                       "invalid request: %s on REQUEST_NULL", fname);
        return -1;
    }
    if (!(r->flags & CMPI_PARTITIONED)) {
        cmpi_raise_msg(r->st, MPI_ERR_REQUEST,
                       "invalid request: %s needs a request Psend_init or "
                       "Precv_init made",
                       fname);
        return -1;
    }
    if (started && !r->pactive) {
        cmpi_raise_msg(r->st, MPI_ERR_REQUEST,
                       "invalid request: %s before Start()", fname);
        return -1;
    }
    return 0;
}

static PyObject *
Prequest_Pready(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"partition", NULL};
    PyObject *a[1] = {NULL};
    int partition;
    if (cmpi_parse("Pready", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &partition, "partition") < 0 ||
        partitioned_check(self, "Pready", 1) < 0) {
        return NULL;
    }
    int ierr = PARTITIONED_CALL(MPI_Pready(partition, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

static PyObject *
Prequest_Pready_range(RequestObject *self, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"partition_low", "partition_high", NULL};
    PyObject *a[2] = {NULL, NULL};
    int low, high;
    if (cmpi_parse("Pready_range", args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_as_int(a[0], &low, "partition_low") < 0 ||
        cmpi_as_int(a[1], &high, "partition_high") < 0 ||
        partitioned_check(self, "Pready_range", 1) < 0) {
        return NULL;
    }
    int ierr = PARTITIONED_CALL(MPI_Pready_range(low, high, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

static PyObject *
Prequest_Pready_list(RequestObject *self, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"partitions", NULL};
    PyObject *a[1] = {NULL};
    int *list = NULL, n = 0;
    if (cmpi_parse("Pready_list", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_topo_ints(a[0], &list, &n, "partitions") < 0) {
        return NULL;
    }
    if (partitioned_check(self, "Pready_list", 1) < 0) {
        PyMem_Free(list);
        return NULL;
    }
    int ierr = PARTITIONED_CALL(MPI_Pready_list(n, list, self->ob_mpi));
    PyMem_Free(list);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

static PyObject *
Prequest_Parrived(RequestObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"partition", NULL};
    PyObject *a[1] = {NULL};
    int partition, flag = 0;
    if (cmpi_parse("Parrived", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &partition, "partition") < 0 ||
        partitioned_check(self, "Parrived", 0) < 0) {
        return NULL;
    }
    int ierr = PARTITIONED_CALL(MPI_Parrived(self->ob_mpi, partition, &flag));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyBool_FromLong(flag);
}

#undef CMPI_PARTITIONED
#undef PARTITIONED_CALL

/* comm.c's and prequest.c's method tables list the methods above. */
