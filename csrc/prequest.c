/*
 * prequest.c -- MPI.Prequest: persistent requests (Send_init, Recv_init,
 * the persistent collectives), started by Start and Startall.
 */
#include "cmpi.h"

static RequestObject *
cmpi_prequest_new(cmpi_state *st)
{
    RequestObject *r =
            cmpi_request_alloc(st, st->Prequest_Type, CMPI_REQ_PLAIN);
    if (r == NULL) {
        return NULL;
    }
    r->flags |= CMPI_PERSISTENT;
    return r;
}

static int
prequest_start_check(RequestObject *r)
{
    if (r->flags & CMPI_STALE) {
        return cmpi_handle_stale_error((PyObject *)r, CMPI_HK_REQUEST);
    }
    if (!(r->flags & CMPI_PERSISTENT) || r->ob_mpi == MPI_REQUEST_NULL) {
        cmpi_raise_msg(r->st, MPI_ERR_REQUEST,
                       "Start: not a persistent request, or freed");
        return -1;
    }
    if (r->pactive) {
        cmpi_raise_msg(r->st, MPI_ERR_REQUEST,
                       "Start: the persistent request is already active; "
                       "wait for it first");
        return -1;
    }
    return 0;
}

CMPI_DOC(Prequest_Start_doc, "Start($self)",
         "Initiate a communication with a persistent request.");
static PyObject *
Prequest_Start(RequestObject *self, PyObject *Py_UNUSED(a))
{
    if (prequest_start_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Start(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    self->pactive = 1;
    cmpi_request_share_pactive(self);
    cmpi_prof_start(self, 1);
    Py_RETURN_NONE;
}

CMPI_DOC(Prequest_Startall_doc, "Startall(requests)",
         "Start a collection of persistent requests.");
static PyObject *
Prequest_Startall(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"requests", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("Startall", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    cmpi_reqlist rl;
    if (cmpi_reqlist_get(st, a[0], &rl) < 0) {
        return NULL;
    }
    /* Check them all first, so either all start or none does. */
    for (Py_ssize_t i = 0; i < rl.n; i++) {
        if (prequest_start_check(rl.reqs[i]) < 0) {
            Py_DECREF(rl.seq);
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < rl.n; i++) {
        int ierr = MPI_Start(&rl.reqs[i]->ob_mpi);
        if (ierr != MPI_SUCCESS) {
            Py_DECREF(rl.seq);
            return cmpi_raise(st, ierr);
        }
        rl.reqs[i]->pactive = 1;
        cmpi_request_share_pactive(rl.reqs[i]);
        /* the peer of one request; of several, none */
        cmpi_prof_start(rl.reqs[i], rl.n == 1);
    }
    Py_DECREF(rl.seq);
    Py_RETURN_NONE;
}

static PyMethodDef Prequest_methods[] = {
        {"Start", (PyCFunction)Prequest_Start, METH_NOARGS,
         Prequest_Start_doc},
        {"Startall", FN(Prequest_Startall), CLSFASTKW, Prequest_Startall_doc},
        {"Pready", FN(Prequest_Pready), FASTKW, Prequest_Pready_doc},
        {"Pready_range", FN(Prequest_Pready_range), FASTKW,
         Prequest_Pready_range_doc},
        {"Pready_list", FN(Prequest_Pready_list), FASTKW,
         Prequest_Pready_list_doc},
        {"Parrived", FN(Prequest_Parrived), FASTKW, Prequest_Parrived_doc},
        {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Prequest_doc,
             "Prequest(request=None)\n--\n\nPersistent request handler.");

static PyType_Slot Prequest_slots[] = {
        {Py_tp_doc, (void *)Prequest_doc},
        {Py_tp_methods, Prequest_methods},
        {0, NULL},
};

static PyType_Spec Prequest_spec = {
        .name = "cmpi.MPI.Prequest",
        .basicsize = sizeof(RequestObject),
        /* GC, traverse and clear are inherited from Request */
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Prequest_slots,
};

/* After cmpi_request_init: Prequest derives from Request. */
static int
cmpi_prequest_init(PyObject *m, cmpi_state *st)
{
    st->Prequest_Type = (PyTypeObject *)PyType_FromModuleAndSpec(
            m, &Prequest_spec, (PyObject *)st->Request_Type);
    if (st->Prequest_Type == NULL ||
        PyModule_AddType(m, st->Prequest_Type) < 0) {
        return -1;
    }
    return 0;
}
