/*
 * message.c -- MPI.Message: a message matched by Mprobe/Improbe, to be
 * received by exactly one Recv/Irecv/recv/irecv.
 */
#include "cmpi.h"

static PyObject *
cmpi_message_new(cmpi_state *st, MPI_Message h, MPI_Comm shadow,
                 const MPI_Status *probe, unsigned flags)
{
    MessageObject *self = PyObject_New(MessageObject, st->Message_Type);
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = h;
    self->shadow = shadow;
    self->flags = flags;
    self->copies.next = self->copies.prev = NULL;
    self->st = st;
    self->weakreflist = NULL; /* PyObject_New does not zero it */
    if (probe != NULL) {
        self->probe = *probe;
    }
    else {
        cmpi_status_clear(&self->probe);
    }
    return (PyObject *)self;
}

static PyObject *
Message_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"message", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Message", kwlist,
                                     &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    MessageObject *self = (MessageObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = MPI_MESSAGE_NULL;
    self->shadow = MPI_COMM_NULL;
    self->st = st;
    cmpi_status_clear(&self->probe);
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Message_Type)) {
            Py_DECREF(self);
            PyErr_Format(PyExc_TypeError, "expected a Message, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        MessageObject *o = (MessageObject *)other;
        self->ob_mpi = o->ob_mpi;
        self->shadow = o->shadow;
        self->probe = o->probe;
        cmpi_handle_link((PyObject *)self, other, CMPI_HK_MESSAGE);
    }
    return (PyObject *)self;
}

static void
Message_dealloc(MessageObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_MESSAGE);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Message_richcompare, Message_bool, CMPI_HK_MESSAGE)

/* The handle a receive consumes: a predefined constant (MESSAGE_NO_PROC)
 * stays as it is, a copy of it becomes MESSAGE_NULL. */
static MPI_Message *
message_handle(MessageObject *self, MPI_Message *tmp)
{
    *tmp = self->ob_mpi;
    /* the receive consumes it: copies must not receive it again */
    cmpi_handle_freed((PyObject *)self, CMPI_HK_MESSAGE, NULL);
    return (self->flags & CMPI_CONST) ? tmp : &self->ob_mpi;
}

static int
message_check(MessageObject *self)
{
    return cmpi_handle_check((PyObject *)self, CMPI_HK_MESSAGE);
}

CMPI_DOC(Message_Recv_doc, "Recv($self, buf, status=None)",
         "Blocking receive of a matched message.");
static PyObject *
Message_Recv(MessageObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"buf", "status", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_msg m;
    int ierr;
    if (cmpi_parse("Recv", args, nargs, kwnames, kw, 1, a) < 0 ||
        message_check(self) < 0 || cmpi_status_check(self->st, a[1]) < 0 ||
        cmpi_msg_parse(self->st, a[0], &m, CMPI_MSG_RECV) < 0) {
        return NULL;
    }
    MPI_Status s;
    cmpi_status_clear(&s);
    MPI_Message tmp, *h = message_handle(self, &tmp);
    MPI_Count nbytes = 0, cap = 0;
    /* The probe gave the size: a message larger than the buffer never
     * reaches MPI's receive (truncated receives, p2p_buf.c). */
    if (CMPI_UNLIKELY(!cmpi_recv_fits(m.count, m.dtype, &self->probe, &nbytes,
                                      &cap))) {
        cmpi_recv_truncated(self->st, m.addr, m.count, m.dtype, h, nbytes, cap,
                            "message.Recv", MPI_COMM_NULL);
        cmpi_msg_release(&m);
        return NULL;
    }
    CMPI_NOGIL_CALL("message.Recv", MPI_COMM_NULL,
                    ierr = MPI_Mrecv(m.addr, m.count, m.dtype, h, &s));
    cmpi_msg_release(&m);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_prof_status(&s);
    if (cmpi_status_store(self->st, a[1], &s) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Message.Irecv of a message larger than the buffer (the probe said so):
 * the request receives it into memory of its full size that it holds,
 * with the buffer's size in bytes as the count, so that its completion
 * reports ERR_TRUNCATE as MPI's would, and the user's buffer is left as
 * it was (nothing can be copied into it at completion). */
static CMPI_NOINLINE PyObject *
message_irecv_truncated(MessageObject *self, RequestObject *r, cmpi_msg *m,
                        MPI_Message *h, MPI_Count nbytes, MPI_Count cap)
{
    cmpi_msg_release(m);
    r->keep = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)nbytes);
    if (r->keep == NULL) {
        Py_DECREF(r);
        return NULL;
    }
    int ierr = MPI_Imrecv(PyBytes_AS_STRING(r->keep),
                          cap < INT_MAX ? (int)cap : INT_MAX, MPI_BYTE, h,
                          &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    return (PyObject *)r;
}

CMPI_DOC(Message_Irecv_doc, "Irecv($self, buf)",
         "Nonblocking receive of a matched message.");
static PyObject *
Message_Irecv(MessageObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"buf", NULL};
    PyObject *a[1] = {NULL};
    cmpi_msg m;
    if (cmpi_parse("Irecv", args, nargs, kwnames, kw, 1, a) < 0 ||
        message_check(self) < 0 ||
        cmpi_msg_parse(self->st, a[0], &m, CMPI_MSG_RECV) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    MPI_Message tmp, *h = message_handle(self, &tmp);
    MPI_Count nbytes = 0, cap = 0;
    if (r != NULL && CMPI_UNLIKELY(!cmpi_recv_fits(
                             m.count, m.dtype, &self->probe, &nbytes, &cap))) {
        return message_irecv_truncated(self, r, &m, h, nbytes, cap);
    }
    int ierr = r ? MPI_Imrecv(m.addr, m.count, m.dtype, h, &r->ob_mpi)
                 : MPI_SUCCESS;
    if (r == NULL || ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_XDECREF(r);
        return r ? cmpi_raise(self->st, ierr) : NULL;
    }
    cmpi_msg_give(r, &m);
    return (PyObject *)r;
}

static int
message_count(MessageObject *self, int *count)
{
    *count = 0;
    if (self->ob_mpi == MPI_MESSAGE_NO_PROC) {
        return 0;
    }
    int ierr = cmpi_status_bytes(&self->probe, count);
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        return -1;
    }
    return 0;
}

CMPI_DOC(Message_recv_doc, "recv($self, status=None)",
         "Blocking receive of a matched message holding a Python object.");
static PyObject *
Message_recv(MessageObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    static const char *const kw[] = {"status", NULL};
    PyObject *a[1] = {NULL};
    int count, ierr;
    if (cmpi_parse("recv", args, nargs, kwnames, kw, 0, a) < 0 ||
        message_check(self) < 0 || cmpi_status_check(self->st, a[0]) < 0 ||
        message_count(self, &count) < 0) {
        return NULL;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, count);
    if (bytes == NULL) {
        return NULL;
    }
    MPI_Status s;
    MPI_Message tmp;
    cmpi_status_clear(&s);
    CMPI_NOGIL_CALL("message.recv", MPI_COMM_NULL,
                    ierr = MPI_Mrecv(PyBytes_AS_STRING(bytes), count, MPI_BYTE,
                                     message_handle(self, &tmp), &s));
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(bytes);
        return cmpi_raise(self->st, ierr);
    }
    PyObject *obj = cmpi_obj_from_bytes(self->st, self->shadow, bytes, &s);
    Py_DECREF(bytes);
    if (obj != NULL && cmpi_status_store(self->st, a[0], &s) < 0) {
        Py_CLEAR(obj);
    }
    return obj;
}

CMPI_DOC(Message_irecv_doc, "irecv($self)",
         "Nonblocking receive of a matched message holding a Python "
         "object.");
static PyObject *
Message_irecv(MessageObject *self, PyObject *Py_UNUSED(a))
{
    int count;
    if (message_check(self) < 0 || message_count(self, &count) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_OBJ_RECV);
    if (r == NULL) {
        return NULL;
    }
    r->shadow = self->shadow;
    r->keep = PyBytes_FromStringAndSize(NULL, count);
    if (r->keep == NULL) {
        Py_DECREF(r);
        return NULL;
    }
    r->rbuf = PyBytes_AS_STRING(r->keep);
    MPI_Message tmp;
    int ierr = MPI_Imrecv(r->rbuf, count, MPI_BYTE, message_handle(self, &tmp),
                          &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    return (PyObject *)r;
}

/* Comm.Mprobe / Improbe / mprobe / improbe, and Message.Probe & co. */
static PyObject *
mprobe_impl(CommObject *comm, PyObject *source_o, PyObject *tag_o,
            PyObject *status, enum cmpi_probe_mode mode)
{
    int source, tag, flag = 1, ierr;
    if (cmpi_comm_check(comm) < 0 ||
        cmpi_recv_args(comm, source_o, tag_o, &source, &tag) < 0 ||
        cmpi_status_check(comm->st, status) < 0) {
        return NULL;
    }
    MPI_Message h = MPI_MESSAGE_NULL;
    MPI_Status s;
    cmpi_status_clear(&s);
    if (mode == CMPI_PROBE_WAIT) {
        ierr = cmpi_wait_probe(source, tag, comm->ob_mpi, &h, &s,
                               "comm.Mprobe");
    }
    else {
        ierr = MPI_Improbe(source, tag, comm->ob_mpi, &flag, &h, &s);
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(comm->st, ierr);
    }
    if (!flag) {
        Py_RETURN_NONE;
    }
    if (cmpi_status_store(comm->st, status, &s) < 0) {
        return NULL;
    }
    return cmpi_message_new(comm->st, h, comm->shadow, &s, 0);
}

static PyObject *
comm_mprobe(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames, const char *fname, enum cmpi_probe_mode mode)
{
    static const char *const kw[] = {"source", "tag", "status", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    return mprobe_impl(self, a[0], a[1], a[2], mode);
}

CMPI_COMM_METHOD(Comm, Mprobe, CMPI_DOC,
                 "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
                 "status=None)",
                 "Blocking test for a matched message.", comm_mprobe,
                 CMPI_PROBE_WAIT)

CMPI_COMM_METHOD(Comm, Improbe, CMPI_DOC,
                 "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
                 "status=None)",
                 "Nonblocking test for a matched message: a Message, or None.",
                 comm_mprobe, CMPI_PROBE_TEST)

CMPI_COMM_METHOD(
        Comm, mprobe, CMPI_DOC,
        "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
        "status=None)",
        "Blocking test for a matched message holding a Python object.",
        comm_mprobe, CMPI_PROBE_WAIT)

CMPI_COMM_METHOD(
        Comm, improbe, CMPI_DOC,
        "($self, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
        "status=None)",
        "Nonblocking test for a matched message holding a Python object.",
        comm_mprobe, CMPI_PROBE_TEST)

static PyObject *
message_probe_cls(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames, const char *fname,
                  enum cmpi_probe_mode mode)
{
    static const char *const kw[] = {"comm", "source", "tag", "status", NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL || cmpi_parse(fname, args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (!PyObject_TypeCheck(a[0], st->Comm_Type)) {
        PyErr_Format(PyExc_TypeError, "comm must be a Comm, not %.100s",
                     Py_TYPE(a[0])->tp_name);
        return NULL;
    }
    return mprobe_impl((CommObject *)a[0], a[1], a[2], a[3], mode);
}

CMPI_DOC(Message_Probe_doc,
         "Probe(comm, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Blocking test for a matched message.");
static PyObject *
Message_Probe(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    return message_probe_cls(cls, args, nargs, kwnames, "Probe",
                             CMPI_PROBE_WAIT);
}

CMPI_DOC(Message_Iprobe_doc,
         "Iprobe(comm, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Nonblocking test for a matched message.");
static PyObject *
Message_Iprobe(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    return message_probe_cls(cls, args, nargs, kwnames, "Iprobe",
                             CMPI_PROBE_TEST);
}

CMPI_DOC(Message_probe_doc,
         "probe(comm, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Blocking test for a matched message holding a Python object.");

CMPI_DOC(Message_iprobe_doc,
         "iprobe(comm, source=cmpi.MPI.ANY_SOURCE, tag=cmpi.MPI.ANY_TAG, "
         "status=None)",
         "Nonblocking test for a matched message holding a Python object.");

static PyObject *
Message_get_handle(MessageObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

CMPI_DOC(Message_free_doc, "free($self, /)",
         "Do nothing to a matched message, which stays receivable (MPI has "
         "no call to free one); a copy of MESSAGE_NO_PROC becomes "
         "MESSAGE_NULL, the constant itself is kept.");
static PyObject *
Message_free(MessageObject *self, PyObject *Py_UNUSED(ignored))
{
    /* as mpi4py: forgetting a matched message's handle would leave its
       message queued in MPI for good, and its sender waiting when the
       library sends nothing eagerly (MPICH at one rank) */
    if (!(self->flags & CMPI_CONST) && self->ob_mpi == MPI_MESSAGE_NO_PROC) {
        cmpi_handle_unlink((PyObject *)self, CMPI_HK_MESSAGE);
        self->ob_mpi = MPI_MESSAGE_NULL;
    }
    Py_RETURN_NONE;
}

static PyMethodDef Message_methods[] = {
        {"free", (PyCFunction)Message_free, METH_NOARGS, Message_free_doc},
        {"Recv", FN(Message_Recv), FASTKW, Message_Recv_doc},
        {"Irecv", FN(Message_Irecv), FASTKW, Message_Irecv_doc},
        {"recv", FN(Message_recv), FASTKW, Message_recv_doc},
        {"irecv", (PyCFunction)Message_irecv, METH_NOARGS, Message_irecv_doc},
        {"Probe", FN(Message_Probe), CLSFASTKW, Message_Probe_doc},
        {"Iprobe", FN(Message_Iprobe), CLSFASTKW, Message_Iprobe_doc},
        {"probe", FN(Message_Probe), CLSFASTKW, Message_probe_doc},
        {"iprobe", FN(Message_Iprobe), CLSFASTKW, Message_iprobe_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Message_getset[] = {
        {"handle", (getter)Message_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Message_doc,
             "Message(message=None)\n--\n\nMatched message, received once.");

static PyMemberDef Message_members[] = {
        CMPI_WEAKLIST_MEMBER(MessageObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Message_slots[] = {
        {Py_tp_members, Message_members},
        {Py_tp_doc, (void *)Message_doc},
        {Py_tp_new, Message_new},
        {Py_tp_dealloc, Message_dealloc},
        {Py_tp_richcompare, Message_richcompare},
        {Py_nb_bool, Message_bool},
        {Py_tp_methods, Message_methods},
        {Py_tp_getset, Message_getset},
        {0, NULL},
};

static PyType_Spec Message_spec = {
        .name = "cmpi.MPI.Message",
        .basicsize = sizeof(MessageObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Message_slots,
};

#define CMPI_MESSAGE_COMM_METHODS                                    \
    {"Mprobe", FN(Comm_Mprobe), FASTKW, Comm_Mprobe_doc},            \
            {"Improbe", FN(Comm_Improbe), FASTKW, Comm_Improbe_doc}, \
            {"mprobe", FN(Comm_mprobe), FASTKW, Comm_mprobe_doc},    \
            {"improbe", FN(Comm_improbe), FASTKW, Comm_improbe_doc},

static int
cmpi_message_init(PyObject *m, cmpi_state *st)
{
    st->Message_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Message_spec, NULL);
    if (st->Message_Type == NULL ||
        PyModule_AddType(m, st->Message_Type) < 0) {
        return -1;
    }
    if (cmpi_add(m, "MESSAGE_NULL",
                 cmpi_message_new(st, MPI_MESSAGE_NULL, MPI_COMM_NULL, NULL,
                                  CMPI_CONST)) < 0 ||
        cmpi_add(m, "MESSAGE_NO_PROC",
                 cmpi_message_new(st, MPI_MESSAGE_NO_PROC, MPI_COMM_NULL, NULL,
                                  CMPI_CONST)) < 0) {
        return -1;
    }
    return 0;
}
