/*
 * request_lists.c -- completing lists of requests: Request.Waitall,
 * Testall, Waitany, Testany, Waitsome, Testsome, their lowercase forms
 * that return the received objects, and Get_status_all/any/some.
 */
#include "cmpi.h"

/* What a completion call returns besides its flag or indices: the
 * uppercase calls fill statuses only, the lowercase ones also return the
 * received objects.  And whether it blocks (wait) or makes one pass
 * (test). */
enum reqs_results {
    REQS_STATUSES = 0,
    REQS_OBJECTS = 1
};
enum reqs_until {
    REQS_TEST = 0,
    REQS_WAIT = 1
};

typedef struct {
    RequestObject **reqs;
    Py_ssize_t n;
    PyObject *seq;
} cmpi_reqlist;

/* The same request twice in one list (the object twice, or an object and
 * its copy) has MPI complete, and for a generalized request free, one
 * handle twice: Open MPI crashes on it.  Equal handles alone prove
 * nothing: both MPIs give every send completed at once one shared,
 * predefined handle.  So a request is known by its handle and its ring of
 * copies (cmpi.h, cmpi_copies), named by the ring's lowest address. */
typedef struct {
    MPI_Request handle;
    uintptr_t ring;
    Py_ssize_t index;
} reqlist_key;

static void
reqlist_key_of(cmpi_reqlist *rl, Py_ssize_t i, reqlist_key *k)
{
    RequestObject *r = rl->reqs[i];
    uintptr_t ring = (uintptr_t)r;
    for (PyObject *m = r->copies.next; m != NULL && m != (PyObject *)r;
         m = ((RequestObject *)m)->copies.next) {
        if ((uintptr_t)m < ring) {
            ring = (uintptr_t)m;
        }
    }
    k->handle = r->ob_mpi;
    k->ring = ring;
    k->index = i;
}

static int
reqlist_key_order(const void *pa, const void *pb)
{
    const reqlist_key *a = pa, *b = pb;
    int c = memcmp(&a->handle, &b->handle, sizeof(MPI_Request));
    if (c != 0) {
        return c;
    }
    if (a->ring != b->ring) {
        return a->ring < b->ring ? -1 : 1;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

static int
reqlist_same(const reqlist_key *a, const reqlist_key *b)
{
    return a->handle != MPI_REQUEST_NULL && a->handle == b->handle &&
           a->ring == b->ring;
}

static int
reqlist_duplicate_error(Py_ssize_t first, Py_ssize_t again)
{
    PyErr_Format(PyExc_ValueError,
                 "requests[%zd] is the same request as requests[%zd] (the "
                 "object twice, or a copy of it): MPI can complete a request "
                 "only once",
                 again, first);
    return -1;
}

static int
reqlist_check_unique(cmpi_reqlist *rl)
{
    Py_ssize_t n = rl->n;
    reqlist_key stackkeys[32];
    reqlist_key *keys = stackkeys;
    if (n < 2) {
        return 0;
    }
    if (n <= 32) { /* the usual short list: compare the pairs */
        for (Py_ssize_t i = 0; i < n; i++) {
            reqlist_key_of(rl, i, &keys[i]);
            for (Py_ssize_t j = 0; j < i; j++) {
                if (reqlist_same(&keys[j], &keys[i])) {
                    return reqlist_duplicate_error(j, i);
                }
            }
        }
        return 0;
    }
    keys = PyMem_New(reqlist_key, n);
    if (keys == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        reqlist_key_of(rl, i, &keys[i]);
    }
    qsort(keys, (size_t)n, sizeof(reqlist_key), reqlist_key_order);
    int rc = 0;
    for (Py_ssize_t i = 1; i < n && rc == 0; i++) {
        if (reqlist_same(&keys[i - 1], &keys[i])) {
            rc = reqlist_duplicate_error(keys[i - 1].index, keys[i].index);
        }
    }
    PyMem_Free(keys);
    return rc;
}

static int
cmpi_reqlist_get(cmpi_state *st, PyObject *requests, cmpi_reqlist *rl)
{
    rl->seq = PySequence_Fast(requests, "requests must be a sequence");
    if (rl->seq == NULL) {
        return -1;
    }
    rl->n = PySequence_Fast_GET_SIZE(rl->seq);
    rl->reqs = (RequestObject **)PySequence_Fast_ITEMS(rl->seq);
    for (Py_ssize_t i = 0; i < rl->n; i++) {
        if (!PyObject_TypeCheck(rl->reqs[i], st->Request_Type)) {
            PyErr_Format(PyExc_TypeError,
                         "requests[%zd] is a %.100s, not an MPI.Request", i,
                         Py_TYPE(rl->reqs[i])->tp_name);
            Py_CLEAR(rl->seq);
            return -1;
        }
        if (CMPI_UNLIKELY(rl->reqs[i]->flags & CMPI_STALE)) {
            cmpi_handle_stale_error((PyObject *)rl->reqs[i], CMPI_HK_REQUEST);
            Py_CLEAR(rl->seq);
            return -1;
        }
    }
    if (reqlist_check_unique(rl) < 0) {
        Py_CLEAR(rl->seq);
        return -1;
    }
    return 0;
}

/* Lowercase receives may complete in two MPI steps (a large object's
 * envelope, then its payload): they are waited for by polling instead of
 * MPI_Waitany. */
static int
any_multistep(cmpi_reqlist *rl)
{
    for (Py_ssize_t i = 0; i < rl->n; i++) {
        if (rl->reqs[i]->kind == CMPI_REQ_OBJ_RECV) {
            return 1;
        }
    }
    return 0;
}

/* Let other threads run and MPI progress between polling rounds, and let
 * Ctrl-C through. */
static int
poll_pause(void)
{
    Py_BEGIN_ALLOW_THREADS
    sched_yield();
    Py_END_ALLOW_THREADS
    return PyErr_CheckSignals();
}

static int
wait_all(cmpi_state *st, cmpi_reqlist *rl)
{
    Py_ssize_t n = rl->n;
    MPI_Request stackreq[16];
    MPI_Status stackst[16];
    MPI_Request *hs = stackreq;
    MPI_Status *ss = stackst;
    if (n > 16) {
        hs = PyMem_New(MPI_Request, n);
        ss = PyMem_New(MPI_Status, n);
        if (hs == NULL || ss == NULL) {
            PyMem_Free(hs);
            PyMem_Free(ss);
            PyErr_NoMemory();
            return -1;
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        /* an inactive persistent request takes no part */
        hs[i] = cmpi_request_active(rl->reqs[i]) ? rl->reqs[i]->ob_mpi
                                                 : MPI_REQUEST_NULL;
        cmpi_status_clear(&ss[i]);
    }
    int ierr, rc = 0;
    /* MPI_Testall changes no handle until all are complete: an interrupted
     * wait leaves every request as it was. */
    cmpi_wait_t w = {.mode = CMPI_WAIT_ALL,
                     .n = (int)n,
                     .reqs = hs,
                     .status = ss,
                     .on_interrupt = CMPI_INT_RETURN,
                     .comm = MPI_COMM_NULL,
                     .call = "Request.Waitall",
                     .argfmt = "%d requests",
                     .arg0 = (int)n};
    ierr = cmpi_wait(&w);
    if (ierr == CMPI_WAIT_RAISED) {
        /* requests that completed before the interruption are done */
        PyObject *exc = PyErr_GetRaisedException_compat();
        for (Py_ssize_t i = 0; i < n; i++) {
            RequestObject *r = rl->reqs[i];
            int was_active = cmpi_request_active(r);
            if (!(r->flags & CMPI_PERSISTENT)) {
                r->ob_mpi = hs[i];
            }
            if (was_active && hs[i] == MPI_REQUEST_NULL &&
                cmpi_request_after_mpi(r, &ss[i]) < 0) {
                PyErr_Clear(); /* the interruption is what is raised */
            }
        }
        PyErr_SetRaisedException_compat(exc);
        if (n > 16) {
            PyMem_Free(hs);
            PyMem_Free(ss);
        }
        return -1;
    }
    if (ierr == MPI_ERR_IN_STATUS) {
        /* MPICH 4.0's MPI_Testall reports ERR_IN_STATUS for persistent
         * collectives whose statuses all say MPI_SUCCESS: only a status
         * with an error is one. */
        int failed = MPI_SUCCESS;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (ss[i].MPI_ERROR != MPI_SUCCESS &&
                ss[i].MPI_ERROR != MPI_ERR_PENDING) {
                failed = ss[i].MPI_ERROR;
                break;
            }
        }
        ierr = failed;
        /* ... and may leave those requests active: complete them. */
        for (Py_ssize_t i = 0; ierr == MPI_SUCCESS && i < n; i++) {
            if (hs[i] != MPI_REQUEST_NULL &&
                (rl->reqs[i]->flags & CMPI_PERSISTENT)) {
                CMPI_NOGIL(ierr = MPI_Wait(&hs[i], &ss[i]));
            }
        }
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        RequestObject *r = rl->reqs[i];
        int was_active = cmpi_request_active(r);
        if (!(r->flags & CMPI_PERSISTENT)) {
            r->ob_mpi = hs[i];
        }
        if (ierr != MPI_SUCCESS || rc < 0) {
            continue;
        }
        /* A lowercase receive may go on to fetch a large payload. */
        if (was_active && cmpi_request_after_mpi(r, &ss[i]) < 0) {
            rc = -1;
        }
        else if (cmpi_request_active(r) && cmpi_request_wait1(r) < 0) {
            rc = -1;
        }
    }
    if (n > 16) {
        PyMem_Free(hs);
        PyMem_Free(ss);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(st, ierr);
        return -1;
    }
    return rc;
}

/* MPI_Waitany by polling (wait.c); the handles of requests not completed
 * are left as they were when interrupted. */
static int
waitany_handles(int n, MPI_Request *hs, int *idx, MPI_Status *s)
{
    cmpi_wait_t w = {.mode = CMPI_WAIT_ANY,
                     .n = n,
                     .reqs = hs,
                     .status = s,
                     .index = idx,
                     .on_interrupt = CMPI_INT_RETURN,
                     .comm = MPI_COMM_NULL,
                     .call = "Request.Waitany",
                     .argfmt = "%d requests",
                     .arg0 = n};
    return cmpi_wait(&w);
}

/* Returns the index completed, MPI_UNDEFINED if none active, -2 on
 * error.  REQS_TEST: one round only, *flag says if one completed. */
static Py_ssize_t
wait_any(cmpi_reqlist *rl, enum reqs_until blocking, int *flag)
{
    for (;;) {
        int active = 0;
        for (Py_ssize_t i = 0; i < rl->n; i++) {
            RequestObject *r = rl->reqs[i];
            if (!cmpi_request_active(r)) {
                continue;
            }
            active = 1;
            int f = cmpi_request_test1(r);
            if (f < 0) {
                return -2;
            }
            if (f) {
                *flag = 1;
                return i;
            }
        }
        if (!active) {
            *flag = 1;
            return MPI_UNDEFINED;
        }
        if (!blocking) {
            *flag = 0;
            return MPI_UNDEFINED;
        }
        if (!any_multistep(rl) && rl->n <= 64) {
            MPI_Request hs[64];
            MPI_Status s;
            cmpi_status_clear(&s);
            int idx, ierr;
            for (Py_ssize_t i = 0; i < rl->n; i++) {
                hs[i] = rl->reqs[i]->ob_mpi;
            }
            ierr = waitany_handles((int)rl->n, hs, &idx, &s);
            if (ierr != MPI_SUCCESS) {
                cmpi_raise(rl->reqs[0]->st, ierr);
                return -2;
            }
            if (idx != MPI_UNDEFINED) {
                RequestObject *r = rl->reqs[idx];
                if (!(r->flags & CMPI_PERSISTENT)) {
                    r->ob_mpi = hs[idx];
                }
                if (cmpi_request_after_mpi(r, &s) < 0) {
                    return -2;
                }
                *flag = 1;
                return idx;
            }
            continue;
        }
        if (poll_pause() < 0) {
            return -2;
        }
    }
}

/* Store status `s` of request `i` into `statuses`: a list gets its item
 * `i` updated or a new Status appended; another sequence (a tuple of
 * Status objects) has its item `i` updated when it has one. */
static int
store_status_at(cmpi_state *st, PyObject *statuses, Py_ssize_t i,
                const MPI_Status *s)
{
    if (PyList_Check(statuses)) {
        if (i < PyList_GET_SIZE(statuses)) {
            return cmpi_status_store(st, PyList_GET_ITEM(statuses, i), s);
        }
        PyObject *o = PyObject_CallNoArgs((PyObject *)st->Status_Type);
        if (o == NULL) {
            return -1;
        }
        ((StatusObject *)o)->ob_mpi = *s;
        int rc = PyList_Append(statuses, o);
        Py_DECREF(o);
        return rc;
    }
    Py_ssize_t n = PySequence_Size(statuses);
    if (n < 0) {
        return -1;
    }
    if (i >= n) {
        return 0;
    }
    PyObject *o = PySequence_GetItem(statuses, i);
    if (o == NULL) {
        return -1;
    }
    int rc = cmpi_status_store(st, o, s);
    Py_DECREF(o);
    return rc;
}

static int
check_statuses(PyObject *statuses)
{
    if (statuses == NULL || statuses == Py_None || PyList_Check(statuses) ||
        PySequence_Check(statuses)) {
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "statuses must be a list or a sequence of Status, not %.100s",
                 Py_TYPE(statuses)->tp_name);
    return -1;
}

static int
store_statuses(cmpi_state *st, PyObject *statuses, cmpi_reqlist *rl)
{
    if (statuses == NULL || statuses == Py_None) {
        return 0;
    }
    if (check_statuses(statuses) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < rl->n; i++) {
        if (store_status_at(st, statuses, i, &rl->reqs[i]->status) < 0) {
            return -1;
        }
    }
    return 0;
}

static PyObject *
results_list(cmpi_reqlist *rl)
{
    PyObject *list = PyList_New(rl->n);
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < rl->n; i++) {
        PyList_SET_ITEM(list, i, cmpi_request_take_result(rl->reqs[i]));
    }
    return list;
}

static PyObject *
waitall_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, enum reqs_results objects)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (cmpi_parse(objects ? "waitall" : "Waitall", args, nargs, kwnames, kw,
                   1, a) < 0) {
        return NULL;
    }
    cmpi_reqlist rl;
    if (cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    PyObject *res = NULL;
    if (wait_all(st, &rl) < 0 || store_statuses(st, a[1], &rl) < 0) {
        goto done;
    }
    if (objects) {
        res = results_list(&rl);
    }
    else {
        for (Py_ssize_t i = 0; i < rl.n; i++) {
            Py_CLEAR(rl.reqs[i]->result);
        }
        res = Py_NewRef(Py_True);
    }
done:
    Py_DECREF(rl.seq);
    return res;
}

static PyObject *
testall_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, enum reqs_results objects)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (cmpi_parse(objects ? "testall" : "Testall", args, nargs, kwnames, kw,
                   1, a) < 0) {
        return NULL;
    }
    cmpi_reqlist rl;
    if (cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    PyObject *res = NULL;
    int all = 1;
    /* As MPI_Testall: unless every request has completed, none is
     * completed (freed) here, so a Testany after it still finds them. */
    for (Py_ssize_t i = 0; i < rl.n && all; i++) {
        RequestObject *r = rl.reqs[i];
        if (!cmpi_request_active(r) || r->ob_mpi == MPI_REQUEST_NULL) {
            continue;
        }
        int f = 0, ierr = cmpi_get_status1(r->ob_mpi, &f, MPI_STATUS_IGNORE);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(st, ierr);
            goto done;
        }
        if (!f) {
            all = 0;
        }
    }
    if (all) {
        for (Py_ssize_t i = 0; i < rl.n; i++) {
            if (cmpi_request_wait1(rl.reqs[i]) < 0) {
                goto done;
            }
        }
        if (store_statuses(st, a[1], &rl) < 0) {
            goto done;
        }
    }
    if (objects) {
        if (!all) {
            res = Py_BuildValue("(OO)", Py_False, Py_None);
        }
        else {
            PyObject *list = results_list(&rl);
            res = list ? Py_BuildValue("(ON)", Py_True, list) : NULL;
        }
    }
    else {
        if (all) {
            for (Py_ssize_t i = 0; i < rl.n; i++) {
                Py_CLEAR(rl.reqs[i]->result);
            }
        }
        res = PyBool_FromLong(all);
    }
done:
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Waitall_doc, "Waitall(requests, statuses=None)",
         "Wait for all previously initiated requests to complete.");
static PyObject *
Request_Waitall(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return waitall_impl(cls, args, nargs, kwnames, REQS_STATUSES);
}

CMPI_DOC(Request_waitall_doc, "waitall(requests, statuses=None)",
         "Wait for all previously initiated requests to complete; return "
         "the list of received objects.");
static PyObject *
Request_waitall_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return waitall_impl(cls, args, nargs, kwnames, REQS_OBJECTS);
}

CMPI_DOC(Request_Testall_doc, "Testall(requests, statuses=None)",
         "Test for completion of all previously initiated requests.");
static PyObject *
Request_Testall(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return testall_impl(cls, args, nargs, kwnames, REQS_STATUSES);
}

CMPI_DOC(Request_testall_doc, "testall(requests, statuses=None)",
         "Test for completion of all previously initiated requests; return "
         "(flag, objects).");
static PyObject *
Request_testall_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return testall_impl(cls, args, nargs, kwnames, REQS_OBJECTS);
}

static PyObject *
waitany_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, enum reqs_until blocking,
             enum reqs_results objects)
{
    static const char *const kw[] = {"requests", "status", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    const char *name = blocking ? (objects ? "waitany" : "Waitany")
                                : (objects ? "testany" : "Testany");
    if (cmpi_parse(name, args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_status_check(st, a[1]) < 0) {
        return NULL;
    }
    cmpi_reqlist rl;
    if (cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    PyObject *res = NULL;
    int flag = 0;
    Py_ssize_t idx = wait_any(&rl, blocking, &flag);
    if (idx == -2) {
        goto done;
    }
    PyObject *obj = Py_None;
    if (idx != MPI_UNDEFINED) {
        RequestObject *r = rl.reqs[idx];
        if (cmpi_status_store(st, a[1], &r->status) < 0) {
            goto done;
        }
        obj = cmpi_request_take_result(r);
    }
    else {
        Py_INCREF(obj);
        if (flag && a[1] != NULL && a[1] != Py_None) {
            MPI_Status empty;
            cmpi_status_clear(&empty);
            if (cmpi_status_store(st, a[1], &empty) < 0) {
                Py_DECREF(obj);
                goto done;
            }
        }
    }
    if (blocking && !objects) {
        Py_DECREF(obj);
        res = PyLong_FromSsize_t(idx);
    }
    else if (blocking) {
        res = Py_BuildValue("(nN)", idx, obj);
    }
    else if (!objects) {
        Py_DECREF(obj);
        res = Py_BuildValue("(nO)", idx, flag ? Py_True : Py_False);
    }
    else {
        res = Py_BuildValue("(nON)", idx, flag ? Py_True : Py_False, obj);
    }
done:
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Waitany_doc, "Waitany(requests, status=None)",
         "Wait for any previously initiated request to complete; return "
         "its index.");
static PyObject *
Request_Waitany(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, REQS_WAIT, REQS_STATUSES);
}

CMPI_DOC(Request_Testany_doc, "Testany(requests, status=None)",
         "Test for completion of any previously initiated request; return "
         "(index, flag).");
static PyObject *
Request_Testany(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, REQS_TEST, REQS_STATUSES);
}

CMPI_DOC(Request_waitany_doc, "waitany(requests, status=None)",
         "Wait for any previously initiated request to complete; return "
         "(index, object).");
static PyObject *
Request_waitany_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, REQS_WAIT, REQS_OBJECTS);
}

CMPI_DOC(Request_testany_doc, "testany(requests, status=None)",
         "Test for completion of any previously initiated request; return "
         "(index, flag, object).");
static PyObject *
Request_testany_objs(PyTypeObject *cls, PyObject *const *args,
                     Py_ssize_t nargs, PyObject *kwnames)
{
    return waitany_impl(cls, args, nargs, kwnames, REQS_TEST, REQS_OBJECTS);
}

/* Waitsome/Testsome: the indices of the requests that completed (at
 * least one when blocking), or None when none was active. */
static PyObject *
some_impl(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, enum reqs_until blocking,
          enum reqs_results objects)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    static const char *const names[2][2] = {{"Testsome", "testsome"},
                                            {"Waitsome", "waitsome"}};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL || cmpi_parse(names[blocking][objects], args, nargs,
                                 kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (check_statuses(a[1]) < 0) {
        return NULL;
    }
    cmpi_reqlist rl;
    if (cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    PyObject *indices = NULL, *objs = NULL, *res = NULL;
    for (;;) {
        int active = 0;
        indices = PyList_New(0);
        if (indices == NULL) {
            goto done;
        }
        for (Py_ssize_t i = 0; i < rl.n; i++) {
            RequestObject *r = rl.reqs[i];
            if (!cmpi_request_active(r)) {
                continue;
            }
            active = 1;
            int f = cmpi_request_test1(r);
            if (f < 0) {
                goto done;
            }
            if (f) {
                PyObject *idx = PyLong_FromSsize_t(i);
                if (idx == NULL || PyList_Append(indices, idx) < 0) {
                    Py_XDECREF(idx);
                    goto done;
                }
                Py_DECREF(idx);
            }
        }
        if (!active) {
            Py_SETREF(indices, Py_NewRef(Py_None));
            break;
        }
        if (PyList_GET_SIZE(indices) > 0 || !blocking) {
            break;
        }
        Py_CLEAR(indices);
        /* Block until one completes, then collect it and any other that
         * completed meanwhile. */
        if (any_multistep(&rl) || rl.n > 64) {
            if (poll_pause() < 0) {
                goto done;
            }
            continue;
        }
        MPI_Request hs[64];
        int idx, ierr;
        for (Py_ssize_t i = 0; i < rl.n; i++) {
            hs[i] = cmpi_request_active(rl.reqs[i]) ? rl.reqs[i]->ob_mpi
                                                    : MPI_REQUEST_NULL;
        }
        MPI_Status s;
        cmpi_status_clear(&s);
        ierr = waitany_handles((int)rl.n, hs, &idx, &s);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(st, ierr);
            goto done;
        }
        if (idx != MPI_UNDEFINED) {
            RequestObject *r = rl.reqs[idx];
            if (!(r->flags & CMPI_PERSISTENT)) {
                r->ob_mpi = hs[idx];
            }
            if (cmpi_request_after_mpi(r, &s) < 0) {
                goto done;
            }
            indices = PyList_New(0);
            PyObject *o = PyLong_FromLong(idx);
            if (indices == NULL || o == NULL ||
                PyList_Append(indices, o) < 0) {
                Py_XDECREF(o);
                goto done;
            }
            Py_DECREF(o);
            /* collect any others that are done too */
            for (Py_ssize_t i = 0; i < rl.n; i++) {
                if (i == idx || !cmpi_request_active(rl.reqs[i])) {
                    continue;
                }
                int f = cmpi_request_test1(rl.reqs[i]);
                if (f < 0) {
                    goto done;
                }
                if (f) {
                    PyObject *io = PyLong_FromSsize_t(i);
                    if (io == NULL || PyList_Append(indices, io) < 0) {
                        Py_XDECREF(io);
                        goto done;
                    }
                    Py_DECREF(io);
                }
            }
            break;
        }
    }
    if (indices != Py_None && a[1] != NULL && a[1] != Py_None) {
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(indices); k++) {
            Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(indices, k));
            if (store_status_at(st, a[1], k, &rl.reqs[i]->status) < 0) {
                goto done;
            }
        }
    }
    if (!objects) {
        if (indices != Py_None) {
            for (Py_ssize_t k = 0; k < PyList_GET_SIZE(indices); k++) {
                Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(indices, k));
                Py_CLEAR(rl.reqs[i]->result);
            }
        }
        res = Py_NewRef(indices);
        goto done;
    }
    if (indices == Py_None) {
        res = Py_BuildValue("(OO)", Py_None, Py_None);
        goto done;
    }
    objs = PyList_New(PyList_GET_SIZE(indices));
    if (objs == NULL) {
        goto done;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(indices); k++) {
        Py_ssize_t i = PyLong_AsSsize_t(PyList_GET_ITEM(indices, k));
        PyList_SET_ITEM(objs, k, cmpi_request_take_result(rl.reqs[i]));
    }
    res = Py_BuildValue("(OO)", indices, objs);
done:
    Py_XDECREF(indices);
    Py_XDECREF(objs);
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Waitsome_doc, "Waitsome(requests, statuses=None)",
         "Wait for some previously initiated requests to complete; return "
         "their indices (None if none was active).");
static PyObject *
Request_Waitsome(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, REQS_WAIT, REQS_STATUSES);
}

CMPI_DOC(Request_Testsome_doc, "Testsome(requests, statuses=None)",
         "Test for completion of some previously initiated requests; "
         "return the indices of those that completed.");
static PyObject *
Request_Testsome(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, REQS_TEST, REQS_STATUSES);
}

CMPI_DOC(Request_waitsome_doc, "waitsome(requests, statuses=None)",
         "Wait for some previously initiated requests to complete; return "
         "(indices, objects).");
static PyObject *
Request_waitsome_objs(PyTypeObject *cls, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, REQS_WAIT, REQS_OBJECTS);
}

CMPI_DOC(Request_testsome_doc, "testsome(requests, statuses=None)",
         "Test for completion of some previously initiated requests; "
         "return (indices, objects).");
static PyObject *
Request_testsome_objs(PyTypeObject *cls, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    return some_impl(cls, args, nargs, kwnames, REQS_TEST, REQS_OBJECTS);
}

/* Non-destructive status queries over lists (MPI-4.1 names), made of
 * MPI_Request_get_status, which every MPI has. */
static int
peek_status(RequestObject *r, int *flag, MPI_Status *s)
{
    cmpi_status_clear(s);
    if (!cmpi_request_active(r)) {
        *flag = 1;
        *s = r->status;
        return 0;
    }
    int ierr = cmpi_get_status1(r->ob_mpi, flag, s);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(r->st, ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Request_Get_status_any_doc, "Get_status_any(requests, status=None)",
         "Non-destructive test for the completion of any request; return "
         "(index, flag).");
static PyObject *
Request_Get_status_any(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"requests", "status", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    cmpi_reqlist rl;
    if (st == NULL ||
        cmpi_parse("Get_status_any", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_status_check(st, a[1]) < 0 ||
        cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    PyObject *res = NULL;
    int any_active = 0;
    for (Py_ssize_t i = 0; i < rl.n; i++) {
        int flag;
        MPI_Status s;
        if (!cmpi_request_active(rl.reqs[i])) {
            continue;
        }
        any_active = 1;
        if (peek_status(rl.reqs[i], &flag, &s) < 0) {
            goto done;
        }
        if (flag) {
            if (cmpi_status_store(st, a[1], &s) < 0) {
                goto done;
            }
            res = Py_BuildValue("(nO)", i, Py_True);
            goto done;
        }
    }
    if (!any_active) {
        MPI_Status s;
        cmpi_status_clear(&s);
        if (cmpi_status_store(st, a[1], &s) < 0) {
            goto done;
        }
    }
    res = Py_BuildValue("(iO)", MPI_UNDEFINED,
                        any_active ? Py_False : Py_True);
done:
    Py_DECREF(rl.seq);
    return res;
}

CMPI_DOC(Request_Get_status_all_doc, "Get_status_all(requests, statuses=None)",
         "Non-destructive test for the completion of all requests.");
static PyObject *
Request_Get_status_all(PyTypeObject *cls, PyObject *const *args,
                       Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    cmpi_reqlist rl;
    if (st == NULL ||
        cmpi_parse("Get_status_all", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    int all = 1;
    PyObject *statuses = a[1] == Py_None ? NULL : a[1];
    if (check_statuses(statuses) < 0) {
        Py_DECREF(rl.seq);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < rl.n && all; i++) {
        int flag;
        MPI_Status s;
        if (peek_status(rl.reqs[i], &flag, &s) < 0) {
            Py_DECREF(rl.seq);
            return NULL;
        }
        all = flag;
    }
    /* once all have completed, their statuses (the requests stay) */
    for (Py_ssize_t i = 0; all && statuses && i < rl.n; i++) {
        int flag;
        MPI_Status s;
        if (peek_status(rl.reqs[i], &flag, &s) < 0 ||
            store_status_at(st, statuses, i, &s) < 0) {
            Py_DECREF(rl.seq);
            return NULL;
        }
    }
    Py_DECREF(rl.seq);
    return PyBool_FromLong(all);
}

CMPI_DOC(Request_Get_status_some_doc,
         "Get_status_some(requests, statuses=None)",
         "Non-destructive test for the completion of some requests; return "
         "the indices of the complete ones (None if none was active).");
static PyObject *
Request_Get_status_some(PyTypeObject *cls, PyObject *const *args,
                        Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"requests", "statuses", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    cmpi_reqlist rl;
    if (st == NULL ||
        cmpi_parse("Get_status_some", args, nargs, kwnames, kw, 1, a) < 0 ||
        check_statuses(a[1]) < 0 || cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    PyObject *indices = PyList_New(0);
    int any_active = 0;
    for (Py_ssize_t i = 0; indices && i < rl.n; i++) {
        int flag;
        MPI_Status s;
        if (!cmpi_request_active(rl.reqs[i])) {
            continue;
        }
        any_active = 1;
        if (peek_status(rl.reqs[i], &flag, &s) < 0) {
            Py_CLEAR(indices);
            break;
        }
        if (flag) {
            /* the statuses of the complete ones, as Testsome fills them */
            PyObject *o = PyLong_FromSsize_t(i);
            if (o == NULL || PyList_Append(indices, o) < 0 ||
                (a[1] != NULL && a[1] != Py_None &&
                 store_status_at(st, a[1], i, &s) < 0)) {
                Py_CLEAR(indices);
            }
            Py_XDECREF(o);
        }
    }
    Py_DECREF(rl.seq);
    if (indices != NULL && !any_active) {
        Py_SETREF(indices, Py_NewRef(Py_None));
    }
    return indices;
}
