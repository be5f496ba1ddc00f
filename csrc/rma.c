/*
 * rma.c -- one-sided access to a window: Put, Get, Accumulate,
 * Get_accumulate, Fetch_and_op, Compare_and_swap and the request-based
 * Rput, Rget, Raccumulate, Rget_accumulate.  Each is checked against the
 * target's window size and holds its origin (and result) buffers until a
 * synchronization completes it (win.c's safety rules).
 */
#include "cmpi.h"

static int
cmpi_win_check_rank(WinObject *w, int rank, const char *what)
{
    if ((unsigned)rank < (unsigned)w->gsize || rank == MPI_PROC_NULL) {
        return 0;
    }
    cmpi_raise_msg(w->st, MPI_ERR_RANK,
                   "invalid rank: %s=%d, the window's group has %d "
                   "process%s",
                   what, rank, w->gsize, w->gsize == 1 ? "" : "es");
    return -1;
}

/* Does [disp*unit + span of count x dt) fit in target_rank's memory? */
static int
win_check_range(WinObject *w, int rank, MPI_Aint disp, int count,
                MPI_Datatype dt)
{
    if (rank == MPI_PROC_NULL || w->tsize == NULL || count == 0) {
        return 0;
    }
    MPI_Aint lb, extent, tlb, textent;
    int ierr = MPI_Type_get_extent(dt, &lb, &extent);
    if (ierr == MPI_SUCCESS) {
        ierr = MPI_Type_get_true_extent(dt, &tlb, &textent);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(w->st, ierr);
        return -1;
    }
    long long start, span, end;
    int bad = __builtin_mul_overflow((long long)disp,
                                     (long long)w->tunit[rank], &start) ||
              __builtin_add_overflow(start, (long long)tlb, &start) ||
              __builtin_mul_overflow((long long)(count - 1), (long long)extent,
                                     &span) ||
              __builtin_add_overflow(span, (long long)textent, &span) ||
              __builtin_add_overflow(start, span, &end);
    if (bad || disp < 0 || start < 0 || end > (long long)w->tsize[rank]) {
        cmpi_raise_msg(w->st, MPI_ERR_RMA_RANGE,
                       "window access out of bounds: target_rank=%d, "
                       "target_disp=%zd (disp_unit %d), %d element%s of "
                       "extent %zd, but the target's window has %zd bytes",
                       rank, (Py_ssize_t)disp, w->tunit[rank], count,
                       count == 1 ? "" : "s", (Py_ssize_t)extent,
                       (Py_ssize_t)w->tsize[rank]);
        return -1;
    }
    return 0;
}

/* target: None, disp, or (disp[, count[, datatype]]); count and datatype
 * default to the origin's. */
typedef struct {
    MPI_Aint disp;
    int count;
    MPI_Datatype dtype;
} win_target;

static int
win_target_arg(WinObject *w, PyObject *target, const cmpi_msg *origin,
               win_target *t)
{
    t->disp = 0;
    t->count = origin->count;
    t->dtype = origin->dtype;
    if (target == NULL || target == Py_None) {
        return 0;
    }
    PyObject *odisp = NULL, *ocount = NULL, *otype = NULL;
    if (PyIndex_Check(target) && !PyFloat_Check(target)) {
        odisp = target;
    }
    else if (PyList_Check(target) || PyTuple_Check(target)) {
        Py_ssize_t n = PySequence_Fast_GET_SIZE(target);
        PyObject **items = PySequence_Fast_ITEMS(target);
        if (n > 3) {
            PyErr_Format(PyExc_ValueError,
                         "target: expected (disp, count, datatype), got a "
                         "sequence of length %zd",
                         n);
            return -1;
        }
        odisp = n > 0 ? items[0] : NULL;
        ocount = n > 1 ? items[1] : NULL;
        otype = n > 2 ? items[2] : NULL;
    }
    else {
        PyErr_Format(PyExc_ValueError,
                     "target must be None, an int displacement or a "
                     "(disp, count, datatype) tuple, not %.100s",
                     Py_TYPE(target)->tp_name);
        return -1;
    }
    if (odisp != NULL && odisp != Py_None) {
        if (PyFloat_Check(odisp) || !PyIndex_Check(odisp)) {
            PyErr_Format(PyExc_TypeError,
                         "target displacement must be an integer, not "
                         "%.100s",
                         Py_TYPE(odisp)->tp_name);
            return -1;
        }
        Py_ssize_t d = PyNumber_AsSsize_t(odisp, PyExc_OverflowError);
        if (d == -1 && PyErr_Occurred()) {
            return -1;
        }
        t->disp = (MPI_Aint)d;
    }
    if (ocount != NULL && ocount != Py_None) {
        if (cmpi_item_as_int(ocount, &t->count, "target count") < 0) {
            return -1;
        }
        if (t->count < 0) {
            PyErr_Format(PyExc_ValueError, "target count must be >= 0, got %d",
                         t->count);
            return -1;
        }
    }
    if (otype != NULL && otype != Py_None &&
        cmpi_dtype_for_data(w->st, otype, &t->dtype) < 0) {
        return -1;
    }
    return 0;
}

/* Keep a buffer of an RMA call until an epoch completes it. */
static int
win_hold(WinObject *w, int rank, cmpi_msg *m)
{
    if (m->view.obj == NULL) {
        return 0;
    }
    if (w->nheld == w->capheld) {
        Py_ssize_t cap = w->capheld ? 2 * w->capheld : 8;
        win_held *p = PyMem_Realloc(w->held, sizeof(win_held) * cap);
        if (p == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        w->held = p;
        w->capheld = cap;
    }
    w->held[w->nheld].rank = rank;
    w->held[w->nheld].view = m->view;
    w->nheld++;
    m->view.obj = NULL;
    return 0;
}

enum rma_kind {
    RMA_PUT,
    RMA_GET,
    RMA_ACC,
    RMA_GACC
};

/* Whether an access call is the plain one, completed by the epoch's
 * synchronization, or the request-based one (Rput, Rget ...), which
 * returns a Request. */
enum rma_request {
    RMA_NO_REQUEST,
    RMA_WITH_REQUEST
};

/* Put, Get, Accumulate, Get_accumulate and their request-based forms. */
static PyObject *
win_rma(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
        PyObject *kwnames, const char *fname, enum rma_kind kind,
        enum rma_request request)
{
    int req = request == RMA_WITH_REQUEST;
    static const char *const kw_pg[] = {"origin", "target_rank", "target",
                                        NULL};
    static const char *const kw_acc[] = {"origin", "target_rank", "target",
                                         "op", NULL};
    static const char *const kw_gacc[] = {"origin", "result", "target_rank",
                                          "target", "op",     NULL};
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    PyObject *o_origin, *o_result = NULL, *o_rank, *o_target, *o_op = NULL;
    cmpi_msg om = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    win_target t;
    MPI_Op op = MPI_SUM;
    int rank, ierr;
    RequestObject *r = NULL;
    CMPI_HANDLE_CHECK(self, CMPI_HK_WIN);
    if (kind == RMA_GACC) {
        if (cmpi_parse(fname, args, nargs, kwnames, kw_gacc, 3, a) < 0) {
            return NULL;
        }
        o_origin = a[0];
        o_result = a[1];
        o_rank = a[2];
        o_target = a[3];
        o_op = a[4];
    }
    else {
        if (cmpi_parse(fname, args, nargs, kwnames,
                       kind == RMA_ACC ? kw_acc : kw_pg, 2, a) < 0) {
            return NULL;
        }
        o_origin = a[0];
        o_rank = a[1];
        o_target = a[2];
        o_op = a[3];
    }
    if (cmpi_as_int(o_rank, &rank, "target_rank") < 0 ||
        cmpi_win_check_rank(self, rank, "target_rank") < 0 ||
        (o_op != NULL && cmpi_op_from_object(self->st, o_op, &op) < 0)) {
        return NULL;
    }
    /* None is no buffer, as in mpi4py (Get_accumulate's origin may be
     * None with NO_OP: see below) */
    if (kind != RMA_GACC && o_origin == Py_None && rank != MPI_PROC_NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "origin must be a buffer or a message spec, not "
                        "None");
        return NULL;
    }
    if (cmpi_msg_parse(self->st, o_origin, &om,
                       kind == RMA_GET ? CMPI_MSG_RECV : CMPI_MSG_SEND) < 0) {
        return NULL;
    }
    if (kind == RMA_GACC &&
        cmpi_msg_parse(self->st, o_result, &rm, CMPI_MSG_RECV) < 0) {
        goto error;
    }
    /* Get_accumulate with NO_OP may have no origin: the result says */
    const cmpi_msg *shape =
            (kind == RMA_GACC && om.view.obj == NULL && om.count == 0) ? &rm
                                                                       : &om;
    if (win_target_arg(self, o_target, shape, &t) < 0 ||
        win_check_range(self, rank, t.disp, t.count, t.dtype) < 0) {
        goto error;
    }
    if (req && (r = cmpi_request_new(self->st, CMPI_REQ_PLAIN)) == NULL) {
        goto error;
    }
    cmpi_prof_p2p(kind == RMA_GET ? CMPI_MSG_RECV : CMPI_MSG_SEND, om.count,
                  om.dtype, rank, -1);
    MPI_Request *preq = req ? &r->ob_mpi : NULL;
    MPI_Win win = self->ob_mpi;
    switch (kind) {
        case RMA_PUT:
            CMPI_NOGIL(ierr = req ? MPI_Rput(om.addr, om.count, om.dtype,
                                             rank, t.disp, t.count, t.dtype,
                                             win, preq)
                                  : MPI_Put(om.addr, om.count, om.dtype, rank,
                                            t.disp, t.count, t.dtype, win));
            break;
        case RMA_GET:
            CMPI_NOGIL(ierr = req ? MPI_Rget(om.addr, om.count, om.dtype,
                                             rank, t.disp, t.count, t.dtype,
                                             win, preq)
                                  : MPI_Get(om.addr, om.count, om.dtype, rank,
                                            t.disp, t.count, t.dtype, win));
            break;
        case RMA_ACC:
            CMPI_NOGIL(ierr = req ? MPI_Raccumulate(om.addr, om.count,
                                                    om.dtype, rank, t.disp,
                                                    t.count, t.dtype, op, win,
                                                    preq)
                                  : MPI_Accumulate(om.addr, om.count, om.dtype,
                                                   rank, t.disp, t.count,
                                                   t.dtype, op, win));
            break;
        default:
            CMPI_NOGIL(
                    ierr = req ? MPI_Rget_accumulate(
                                         om.addr, om.count, om.dtype, rm.addr,
                                         rm.count, rm.dtype, rank, t.disp,
                                         t.count, t.dtype, op, win, preq)
                               : MPI_Get_accumulate(
                                         om.addr, om.count, om.dtype, rm.addr,
                                         rm.count, rm.dtype, rank, t.disp,
                                         t.count, t.dtype, op, win));
            break;
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto error;
    }
    if (req) {
        cmpi_msg_give(r, &om);
        cmpi_msg_give(r, &rm);
        return (PyObject *)r;
    }
    if (win_hold(self, rank, &om) < 0 || win_hold(self, rank, &rm) < 0) {
        /* the operation is posted: its memory must outlive it */
        om.view.obj = rm.view.obj = NULL;
        goto error;
    }
    cmpi_msg_release(&om);
    cmpi_msg_release(&rm);
    Py_RETURN_NONE;
error:
    Py_XDECREF(r);
    cmpi_msg_release(&om);
    cmpi_msg_release(&rm);
    return NULL;
}

CMPI_DOC(Win_Put_doc, "Put($self, origin, target_rank, target=None)",
         "Put data into the memory of `target_rank`.  `target` is None, "
         "a displacement, or (disp, count, datatype).");
static PyObject *
Win_Put(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
        PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Put", RMA_PUT, RMA_NO_REQUEST);
}

CMPI_DOC(Win_Get_doc, "Get($self, origin, target_rank, target=None)",
         "Get data from the memory of `target_rank` into `origin`.");
static PyObject *
Win_Get(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
        PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Get", RMA_GET, RMA_NO_REQUEST);
}

CMPI_DOC_NOSIG(Win_Accumulate_doc,
               "Accumulate(self, origin, target_rank, target=None, op=SUM)",
               "Combine data into the memory of `target_rank` with `op`.");
static PyObject *
Win_Accumulate(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Accumulate", RMA_ACC,
                   RMA_NO_REQUEST);
}

CMPI_DOC_NOSIG(Win_Get_accumulate_doc,
               "Get_accumulate(self, origin, result, target_rank, "
               "target=None, op=SUM)",
               "Fetch the target data into `result`, then combine `origin` "
               "into it with `op`, atomically.");
static PyObject *
Win_Get_accumulate(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Get_accumulate", RMA_GACC,
                   RMA_NO_REQUEST);
}

CMPI_DOC(Win_Rput_doc, "Rput($self, origin, target_rank, target=None)",
         "Put, returning a Request for its local completion.");
static PyObject *
Win_Rput(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Rput", RMA_PUT,
                   RMA_WITH_REQUEST);
}

CMPI_DOC(Win_Rget_doc, "Rget($self, origin, target_rank, target=None)",
         "Get, returning a Request for its completion.");
static PyObject *
Win_Rget(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Rget", RMA_GET,
                   RMA_WITH_REQUEST);
}

CMPI_DOC_NOSIG(Win_Raccumulate_doc,
               "Raccumulate(self, origin, target_rank, target=None, op=SUM)",
               "Accumulate, returning a Request for its local completion.");
static PyObject *
Win_Raccumulate(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Raccumulate", RMA_ACC,
                   RMA_WITH_REQUEST);
}

CMPI_DOC_NOSIG(Win_Rget_accumulate_doc,
               "Rget_accumulate(self, origin, result, target_rank, "
               "target=None, op=SUM)",
               "Get_accumulate, returning a Request for its completion.");
static PyObject *
Win_Rget_accumulate(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
                    PyObject *kwnames)
{
    return win_rma(self, args, nargs, kwnames, "Rget_accumulate", RMA_GACC,
                   RMA_WITH_REQUEST);
}

/* A buffer of Fetch_and_op or Compare_and_swap (None is none, as in
 * mpi4py). */
static int
win_atomic_msg(cmpi_state *st, PyObject *spec, cmpi_msg *m, int recv,
               const char *what)
{
    if (spec == Py_None) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a buffer or a message spec, not None", what);
        return -1;
    }
    return cmpi_msg_parse(st, spec, m, recv);
}

/* One element: Fetch_and_op and Compare_and_swap.  The buffers are all
 * parsed before their counts are checked, and the counts before the
 * target rank, in mpi4py's order. */
static int
win_single(const cmpi_msg *m, const char *what)
{
    if (m->count != 1 || m->big != MPI_DATATYPE_NULL) {
        PyErr_Format(PyExc_ValueError,
                     "%s: expected a buffer with one element, got %d", what,
                     m->count);
        return -1;
    }
    return 0;
}

/* The buffers of an atomic operation hold the same datatype. */
static int
win_same_type(const cmpi_msg *m, const cmpi_msg *ref, const char *what,
              const char *refname)
{
    if (m->dtype != ref->dtype) {
        PyErr_Format(PyExc_ValueError,
                     "%s: its datatype differs from that of %s", what,
                     refname);
        return -1;
    }
    return 0;
}

CMPI_DOC_NOSIG(Win_Fetch_and_op_doc,
               "Fetch_and_op(self, origin, result, target_rank, "
               "target_disp=0, op=SUM)",
               "Fetch one element of the target into `result` and combine "
               "`origin` into it with `op`, atomically.");
static PyObject *
Win_Fetch_and_op(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    static const char *const kw[] = {"origin",      "result", "target_rank",
                                     "target_disp", "op",     NULL};
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    cmpi_msg om = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    MPI_Op op = MPI_SUM;
    MPI_Aint disp = 0;
    int rank, ierr;
    CMPI_HANDLE_CHECK(self, CMPI_HK_WIN);
    if (cmpi_parse("Fetch_and_op", args, nargs, kwnames, kw, 3, a) < 0 ||
        cmpi_as_int(a[2], &rank, "target_rank") < 0 ||
        (a[4] != NULL && cmpi_op_from_object(self->st, a[4], &op) < 0)) {
        return NULL;
    }
    if (a[3] != NULL) {
        Py_ssize_t d;
        if (cmpi_as_ssize(a[3], &d, "target_disp") < 0) {
            return NULL;
        }
        disp = (MPI_Aint)d;
    }
    int no_origin = a[0] == Py_None && op == MPI_NO_OP;
    if ((!no_origin &&
         win_atomic_msg(self->st, a[0], &om, CMPI_MSG_SEND, "origin") < 0) ||
        win_atomic_msg(self->st, a[1], &rm, CMPI_MSG_RECV, "result") < 0) {
        goto error;
    }
    if (no_origin) {
        om.addr = NULL;
    }
    if ((!no_origin && win_single(&om, "origin") < 0) ||
        win_single(&rm, "result") < 0 ||
        cmpi_win_check_rank(self, rank, "target_rank") < 0 ||
        (om.addr != NULL && win_same_type(&om, &rm, "origin", "result") < 0) ||
        win_check_range(self, rank, disp, 1, rm.dtype) < 0) {
        goto error;
    }
    CMPI_NOGIL(ierr = MPI_Fetch_and_op(om.addr, rm.addr, rm.dtype, rank, disp,
                                       op, self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto error;
    }
    if (win_hold(self, rank, &om) < 0 || win_hold(self, rank, &rm) < 0) {
        om.view.obj = rm.view.obj = NULL;
        goto error;
    }
    Py_RETURN_NONE;
error:
    cmpi_msg_release(&om);
    cmpi_msg_release(&rm);
    return NULL;
}

CMPI_DOC(Win_Compare_and_swap_doc,
         "Compare_and_swap($self, origin, compare, result, target_rank, "
         "target_disp=0)",
         "Fetch one element of the target into `result` and replace it by "
         "`origin` if it equals `compare`, atomically.");
static PyObject *
Win_Compare_and_swap(WinObject *self, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    static const char *const kw[] = {"origin",      "compare",     "result",
                                     "target_rank", "target_disp", NULL};
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    cmpi_msg om = CMPI_MSG_INIT, cm = CMPI_MSG_INIT, rm = CMPI_MSG_INIT;
    MPI_Aint disp = 0;
    int rank, ierr;
    CMPI_HANDLE_CHECK(self, CMPI_HK_WIN);
    if (cmpi_parse("Compare_and_swap", args, nargs, kwnames, kw, 4, a) < 0 ||
        cmpi_as_int(a[3], &rank, "target_rank") < 0) {
        return NULL;
    }
    if (a[4] != NULL) {
        Py_ssize_t d;
        if (cmpi_as_ssize(a[4], &d, "target_disp") < 0) {
            return NULL;
        }
        disp = (MPI_Aint)d;
    }
    if (win_atomic_msg(self->st, a[0], &om, CMPI_MSG_SEND, "origin") < 0 ||
        win_atomic_msg(self->st, a[1], &cm, CMPI_MSG_SEND, "compare") < 0 ||
        win_atomic_msg(self->st, a[2], &rm, CMPI_MSG_RECV, "result") < 0 ||
        win_single(&om, "origin") < 0 || win_single(&cm, "compare") < 0 ||
        win_single(&rm, "result") < 0 ||
        cmpi_win_check_rank(self, rank, "target_rank") < 0 ||
        win_same_type(&cm, &om, "compare", "origin") < 0 ||
        win_same_type(&rm, &om, "result", "origin") < 0 ||
        win_check_range(self, rank, disp, 1, om.dtype) < 0) {
        goto error;
    }
    CMPI_NOGIL(ierr = MPI_Compare_and_swap(om.addr, cm.addr, rm.addr,
                                           om.dtype, rank, disp,
                                           self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto error;
    }
    if (win_hold(self, rank, &om) < 0 || win_hold(self, rank, &cm) < 0 ||
        win_hold(self, rank, &rm) < 0) {
        om.view.obj = cm.view.obj = rm.view.obj = NULL;
        goto error;
    }
    Py_RETURN_NONE;
error:
    cmpi_msg_release(&om);
    cmpi_msg_release(&cm);
    cmpi_msg_release(&rm);
    return NULL;
}
