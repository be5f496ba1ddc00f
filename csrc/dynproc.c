/*
 * dynproc.c -- dynamic processes: Spawn, Spawn_multiple, Get_parent,
 * Accept, Connect, Join, Disconnect, and the module's port and name
 * functions (Open_port, Close_port, Publish_name, Unpublish_name,
 * Lookup_name).
 */
#include "cmpi.h"

/* Dynamic processes.
 *
 * The intercommunicator between parent and children gets its shadow like
 * any other: the parent duplicates it when Spawn returns, and a child
 * duplicates its parent communicator as cmpi initializes MPI
 * (cmpi_dynproc_after_init).  So children must be cmpi programs: a child
 * that never initializes cmpi leaves the parent waiting in Spawn.
 */

static int
cmpi_dynproc_after_init(cmpi_state *st)
{
    MPI_Comm parent = MPI_COMM_NULL;
    if (MPI_Comm_get_parent(&parent) != MPI_SUCCESS ||
        parent == MPI_COMM_NULL) {
        return 0;
    }
    MPI_Comm_set_errhandler(parent, MPI_ERRORS_RETURN);
    if (cmpi_shadow_of(st, parent) != MPI_COMM_NULL) {
        return 0;
    }
    return cmpi_shadow_create(st, parent);
}

CMPI_DOC(Comm_Get_parent_doc, "Get_parent()",
         "Return the parent intercommunicator of a process started by "
         "Spawn (COMM_NULL if it was not).");
static PyObject *
Comm_Get_parent(PyTypeObject *cls, PyObject *Py_UNUSED(a))
{
    cmpi_state *st = cmpi_type_state(cls);
    MPI_Comm parent = MPI_COMM_NULL;
    if (st == NULL) {
        return NULL;
    }
    int ierr = MPI_Comm_get_parent(&parent);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return cmpi_comm_new(st, st->Intercomm_Type, parent, 0);
}

CMPI_DOC(Comm_Disconnect_doc, "Disconnect($self)",
         "Disconnect from a communicator: wait for its pending "
         "communication, then free it.");
static PyObject *
Comm_Disconnect(CommObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    if (self->flags & CMPI_CONST) {
        return cmpi_raise_msg(self->st, MPI_ERR_COMM,
                              "cannot disconnect a predefined communicator");
    }
    /* This communicator's large-object payloads still in flight must
     * arrive first: Open MPI disconnects in a runtime fence that does not
     * progress them. */
    if (cmpi_detached_wait_comm(self->st, self->ob_mpi, "Disconnect") < 0) {
        return NULL;
    }
    MPI_Comm h = self->ob_mpi;
    MPI_Comm shadow = cmpi_shadow_of(self->st, h);
    if (shadow != MPI_COMM_NULL) {
        CMPI_NOGIL(MPI_Comm_disconnect(&shadow));
        MPI_Comm_delete_attr(h, self->st->shadow_keyval);
    }
    CMPI_NOGIL_CALL("Disconnect", h, ierr = MPI_Comm_disconnect(&h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_comm_freed(self);
    Py_RETURN_NONE;
}

/* A command or argument: str, bytes or os.PathLike, as bytes to keep
 * while MPI reads it (a new reference), or NULL with an exception. */
static PyObject *
spawn_string(PyObject *obj, const char *what, Py_ssize_t i)
{
    PyObject *p = PyOS_FSPath(obj);
    if (p == NULL) {
        PyErr_Clear();
        if (i < 0) {
            PyErr_Format(PyExc_TypeError,
                         "%s must be a str or a path, not %.100s", what,
                         Py_TYPE(obj)->tp_name);
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "%s[%zd] must be a str or a path, not %.100s", what,
                         i, Py_TYPE(obj)->tp_name);
        }
        return NULL;
    }
    if (PyUnicode_Check(p)) {
        PyObject *b = PyUnicode_AsUTF8String(p);
        Py_DECREF(p);
        return b;
    }
    return p; /* bytes */
}

/* NULL-terminated argv from a sequence of str (None: MPI_ARGV_NULL);
 * *keep holds what it points to. */
static char **
argv_from(PyObject *obj, PyObject **keep, const char *what)
{
    *keep = NULL;
    if (obj == NULL || obj == Py_None) {
        return MPI_ARGV_NULL;
    }
    if (PyUnicode_Check(obj) || PyBytes_Check(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be a sequence of str, not a single string",
                     what);
        return NULL;
    }
    PyObject *seq = PySequence_Fast(obj, "args must be a sequence of str");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject *bytes = PyBytes_FromStringAndSize(
            NULL, (n + 1) * (Py_ssize_t)sizeof(char *));
    PyObject *strs = PyList_New(n);
    if (bytes == NULL || strs == NULL) {
        goto error;
    }
    char **argv = (char **)PyBytes_AS_STRING(bytes);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *b = spawn_string(PySequence_Fast_GET_ITEM(seq, i), what, i);
        if (b == NULL) {
            goto error;
        }
        PyList_SET_ITEM(strs, i, b);
        argv[i] = PyBytes_AS_STRING(b);
    }
    argv[n] = NULL;
    Py_DECREF(seq);
    *keep = Py_BuildValue("(NN)", bytes, strs);
    return *keep ? argv : NULL;
error:
    Py_DECREF(seq);
    Py_XDECREF(bytes);
    Py_XDECREF(strs);
    return NULL;
}

static int
errcodes_store(PyObject *list, const int *codes, int n)
{
    PyObject *l = PyList_New(n);
    if (l == NULL) {
        return -1;
    }
    for (int i = 0; i < n; i++) {
        PyObject *v = PyLong_FromLong(codes[i]);
        if (v == NULL) {
            Py_DECREF(l);
            return -1;
        }
        PyList_SET_ITEM(l, i, v);
    }
    int rc = PySequence_SetSlice(list, 0, PY_SSIZE_T_MAX, l);
    Py_DECREF(l);
    return rc;
}

/* Error codes start as SUCCESS: an MPI library may fill them at the root
 * only. */
static int *
errcodes_new(int n)
{
    int *codes = PyMem_New(int, n > 0 ? n : 1);
    if (codes == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        codes[i] = MPI_SUCCESS;
    }
    return codes;
}

CMPI_DOC_NOSIG(
        Intracomm_Spawn_doc,
        "Spawn(self, command, args=None, maxprocs=1, "
        "info=INFO_NULL, root=0, errcodes=None)",
        "Spawn instances of a single MPI application; return the "
        "intercommunicator to them.  command, args and maxprocs matter at "
        "the root only.  errcodes, a list, receives one error code per "
        "process.");
static PyObject *
Intracomm_Spawn(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"command", "args",     "maxprocs", "info",
                                     "root",    "errcodes", NULL};
    PyObject *a[6] = {NULL};
    PyObject *keep = NULL, *ckeep = NULL, *res = NULL;
    int maxprocs = 1, root, rank = 0, ierr;
    MPI_Info info;
    MPI_Comm h;
    int *codes = NULL;
    char **argv = MPI_ARGV_NULL;
    char *command = "";
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Spawn", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[4], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (rank == root) {
        if (cmpi_opt_int(a[2], &maxprocs, 1, "maxprocs") < 0 ||
            cmpi_info_arg(self->st, a[3], &info) < 0) {
            return NULL;
        }
        if (maxprocs < 1) {
            return cmpi_raise_msg(self->st, MPI_ERR_ARG,
                                  "invalid maxprocs: maxprocs=%d, must be "
                                  ">= 1",
                                  maxprocs);
        }
        if ((ckeep = spawn_string(a[0], "command", -1)) == NULL) {
            return NULL;
        }
        command = PyBytes_AS_STRING(ckeep);
        argv = argv_from(a[1], &keep, "args");
        if (argv == NULL && PyErr_Occurred()) {
            goto done;
        }
    }
    else {
        /* ignored by MPI here: anything goes (None, -1, ...) */
        info = MPI_INFO_NULL;
        if (a[2] == NULL || cmpi_opt_int(a[2], &maxprocs, 1, "maxprocs") < 0) {
            maxprocs = a[2] == NULL ? 1 : 0;
        }
        PyErr_Clear();
        if (maxprocs < 0) {
            maxprocs = 0;
        }
    }
    int want_codes = a[5] != NULL && a[5] != Py_None;
    if (want_codes && (codes = errcodes_new(maxprocs)) == NULL) {
        goto done;
    }
    CMPI_NOGIL(ierr = MPI_Comm_spawn(command, argv, maxprocs, info, root,
                                     self->ob_mpi, &h,
                                     want_codes ? codes
                                                : MPI_ERRCODES_IGNORE));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = cmpi_comm_wrap_new(self, self->st->Intercomm_Type, h);
    if (res != NULL && want_codes &&
        errcodes_store(a[5], codes, maxprocs) < 0) {
        Py_CLEAR(res);
    }
done:
    PyMem_Free(codes);
    Py_XDECREF(keep);
    Py_XDECREF(ckeep);
    return res;
}

/* What Spawn_multiple passes MPI: count programs, each with its command,
 * argv, maxprocs and info. */
typedef struct {
    int count, total, argvs_null;
    char **commands;
    char ***argvs;
    int *maxprocs;
    MPI_Info *infos;
    PyObject *keeps;
} spawn_multi;

static void
spawn_multi_clear(spawn_multi *sm)
{
    PyMem_Free(sm->commands);
    PyMem_Free(sm->argvs);
    PyMem_Free(sm->maxprocs);
    PyMem_Free(sm->infos);
    Py_CLEAR(sm->keeps);
    memset(sm, 0, sizeof(*sm));
}

/* obj: None (dflt), a single value (for every program) or a sequence of
 * `count` items; *item receives the i-th (borrowed) or NULL for None. */
static int
spawn_multi_len(PyObject *obj, int count, const char *what)
{
    Py_ssize_t n = PySequence_Size(obj);
    if (n < 0) {
        return -1;
    }
    if (n != count) {
        PyErr_Format(PyExc_ValueError,
                     "Spawn_multiple: %s has %zd entries, expected one per "
                     "command (%d)",
                     what, n, count);
        return -1;
    }
    return 0;
}

static int
spawn_multi_parse(cmpi_state *st, PyObject *const a[4], spawn_multi *sm)
{
    PyObject *cmd = a[0], *argsobj = a[1], *mp = a[2], *info = a[3];
    memset(sm, 0, sizeof(*sm));
    if (cmd == NULL || PyUnicode_Check(cmd) || PyBytes_Check(cmd) ||
        !PySequence_Check(cmd)) {
        PyErr_Format(PyExc_ValueError,
                     "Spawn_multiple: command must be a sequence of "
                     "commands, not %.100s",
                     cmd ? Py_TYPE(cmd)->tp_name : "nothing");
        return -1;
    }
    Py_ssize_t n = PySequence_Size(cmd);
    if (n < 0) {
        return -1;
    }
    if (n < 1 || n > INT_MAX / 2) {
        PyErr_SetString(PyExc_ValueError,
                        "Spawn_multiple: command must name at least one "
                        "program");
        return -1;
    }
    int count = sm->count = (int)n;
    sm->commands = PyMem_New(char *, count);
    sm->argvs = PyMem_New(char **, count);
    sm->maxprocs = PyMem_New(int, count);
    sm->infos = PyMem_New(MPI_Info, count);
    sm->keeps = PyList_New(0);
    if (!sm->commands || !sm->argvs || !sm->maxprocs || !sm->infos ||
        !sm->keeps) {
        PyErr_NoMemory();
        goto error;
    }
    sm->argvs_null = argsobj == NULL || argsobj == Py_None;
    if (!sm->argvs_null &&
        (PyUnicode_Check(argsobj) || PyBytes_Check(argsobj))) {
        PyErr_SetString(PyExc_ValueError,
                        "Spawn_multiple: args must be a sequence of "
                        "argument lists, not a string");
        goto error;
    }
    if (!sm->argvs_null && spawn_multi_len(argsobj, count, "args") < 0) {
        goto error;
    }
    int mp_seq = mp != NULL && mp != Py_None && !PyLong_Check(mp) &&
                 !PyIndex_Check(mp);
    if (mp_seq && spawn_multi_len(mp, count, "maxprocs") < 0) {
        goto error;
    }
    int info_seq = info != NULL && (PyList_Check(info) || PyTuple_Check(info));
    if (info_seq && spawn_multi_len(info, count, "info") < 0) {
        goto error;
    }
    for (int i = 0; i < count; i++) {
        PyObject *item = PySequence_GetItem(cmd, i), *keep = NULL;
        if (item == NULL) {
            goto error;
        }
        PyObject *b = spawn_string(item, "command", i);
        Py_DECREF(item);
        if (b == NULL) {
            goto error;
        }
        int rc = PyList_Append(sm->keeps, b);
        Py_DECREF(b);
        if (rc < 0) {
            goto error;
        }
        sm->commands[i] = PyBytes_AS_STRING(b);
        sm->argvs[i] = MPI_ARGV_NULL;
        if (!sm->argvs_null) {
            if ((item = PySequence_GetItem(argsobj, i)) == NULL) {
                goto error;
            }
            sm->argvs[i] = argv_from(item, &keep, "args[i]");
            Py_DECREF(item);
            if (sm->argvs[i] == NULL && PyErr_Occurred()) {
                goto error;
            }
            if (keep != NULL) {
                rc = PyList_Append(sm->keeps, keep);
                Py_DECREF(keep);
                if (rc < 0) {
                    goto error;
                }
            }
        }
        item = mp_seq ? PySequence_GetItem(mp, i) : Py_XNewRef(mp);
        if (mp_seq && item == NULL) {
            goto error;
        }
        rc = cmpi_opt_int(item == Py_None ? NULL : item, &sm->maxprocs[i], 1,
                          "maxprocs");
        Py_XDECREF(item);
        if (rc < 0) {
            goto error;
        }
        if (sm->maxprocs[i] < 1) {
            cmpi_raise_msg(st, MPI_ERR_ARG,
                           "invalid maxprocs: maxprocs[%d]=%d, must be >= 1",
                           i, sm->maxprocs[i]);
            goto error;
        }
        if (sm->maxprocs[i] > INT_MAX - sm->total) {
            PyErr_SetString(PyExc_OverflowError,
                            "Spawn_multiple: too many processes");
            goto error;
        }
        sm->total += sm->maxprocs[i];
        if (info_seq) {
            if ((item = PySequence_GetItem(info, i)) == NULL) {
                goto error;
            }
            rc = cmpi_info_arg(st, item, &sm->infos[i]);
            Py_DECREF(item);
        }
        else {
            rc = cmpi_info_arg(st, info, &sm->infos[i]);
        }
        if (rc < 0) {
            goto error;
        }
    }
    return 0;
error:
    spawn_multi_clear(sm);
    return -1;
}

CMPI_DOC_NOSIG(Intracomm_Spawn_multiple_doc,
               "Spawn_multiple(self, command, args=None, maxprocs=None, "
               "info=INFO_NULL, root=0, errcodes=None)",
               "Spawn instances of several MPI applications; return the "
               "intercommunicator to them.  args, maxprocs and info are "
               "None, one value for every command, or one per command; "
               "they matter at the root only.");
static PyObject *
Intracomm_Spawn_multiple(CommObject *self, PyObject *const *args,
                         Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"command", "args",     "maxprocs", "info",
                                     "root",    "errcodes", NULL};
    PyObject *a[6] = {NULL};
    PyObject *res = NULL;
    int root, rank = 0, ierr;
    int *codes = NULL;
    spawn_multi sm;
    MPI_Comm h;
    /* what a non-root process passes: MPI ignores it */
    char *dummy_cmd[1] = {""};
    int dummy_mp[1] = {1};
    MPI_Info dummy_info[1] = {MPI_INFO_NULL};
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Spawn_multiple", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[4], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (spawn_multi_parse(self->st, a, &sm) < 0) {
        if (rank == root) {
            return NULL;
        }
        PyErr_Clear(); /* not the root: arguments are ignored */
    }
    int use = sm.count > 0;
    int want_codes = a[5] != NULL && a[5] != Py_None;
    if (want_codes && (codes = errcodes_new(sm.total)) == NULL) {
        goto done;
    }
    CMPI_NOGIL(ierr = MPI_Comm_spawn_multiple(
                       use ? sm.count : 1, use ? sm.commands : dummy_cmd,
                       !use || sm.argvs_null ? MPI_ARGVS_NULL : sm.argvs,
                       use ? sm.maxprocs : dummy_mp,
                       use ? sm.infos : dummy_info, root, self->ob_mpi, &h,
                       want_codes ? codes : MPI_ERRCODES_IGNORE));
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = cmpi_comm_wrap_new(self, self->st->Intercomm_Type, h);
    if (res != NULL && want_codes) {
        /* one list of codes per command */
        PyObject *outer = PyList_New(sm.count);
        int off = 0;
        for (int i = 0; outer && i < sm.count; i++) {
            PyObject *l = PyList_New(sm.maxprocs[i]);
            if (l == NULL) {
                Py_CLEAR(outer);
                break;
            }
            for (int j = 0; j < sm.maxprocs[i]; j++) {
                PyList_SET_ITEM(l, j, PyLong_FromLong(codes[off + j]));
            }
            off += sm.maxprocs[i];
            PyList_SET_ITEM(outer, i, l);
        }
        if (outer == NULL ||
            PySequence_SetSlice(a[5], 0, PY_SSIZE_T_MAX, outer) < 0) {
            Py_CLEAR(res);
        }
        Py_XDECREF(outer);
    }
done:
    PyMem_Free(codes);
    spawn_multi_clear(&sm);
    return res;
}

/* Which side of a connection a call is: the one that accepts it on a
 * port, or the one that connects to that port. */
enum port_side {
    PORT_ACCEPT,
    PORT_CONNECT
};

static PyObject *
accept_connect(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames, const char *fname, enum port_side side)
{
    static const char *const kw[] = {"port_name", "info", "root", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    int root, ierr;
    MPI_Info info;
    MPI_Comm h;
    int rank = 0;
    const char *port = "";
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse(fname, args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_opt_int(a[2], &root, 0, "root") < 0 ||
        cmpi_check_root(self, root) < 0) {
        return NULL;
    }
    MPI_Comm_rank(self->ob_mpi, &rank);
    if (rank == root) {
        if (cmpi_info_arg(self->st, a[1], &info) < 0 ||
            (port = PyUnicode_AsUTF8(a[0])) == NULL) {
            return NULL;
        }
    }
    else {
        /* port_name and info matter at the root only (None elsewhere) */
        info = MPI_INFO_NULL;
    }
    if (side == PORT_ACCEPT) {
        CMPI_NOGIL(ierr = MPI_Comm_accept(port, info, root, self->ob_mpi,
                                          &h));
    }
    else {
        CMPI_NOGIL(ierr = MPI_Comm_connect(port, info, root, self->ob_mpi,
                                           &h));
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, self->st->Intercomm_Type, h);
}

CMPI_COMM_METHOD(Intracomm, Accept, CMPI_DOC_NOSIG,
                 "(self, port_name, info=INFO_NULL, root=0)",
                 "Accept a request to form a new intercommunicator.",
                 accept_connect, PORT_ACCEPT)

CMPI_COMM_METHOD(Intracomm, Connect, CMPI_DOC_NOSIG,
                 "(self, port_name, info=INFO_NULL, root=0)",
                 "Make a request to form a new intercommunicator.",
                 accept_connect, PORT_CONNECT)

CMPI_DOC(Comm_Join_doc, "Join(fd)",
         "Interconnect two processes connected by a socket.");
static PyObject *
Comm_Join(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"fd", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    int fd, ierr;
    MPI_Comm h;
    if (st == NULL || cmpi_parse("Join", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_as_int(a[0], &fd, "fd") < 0) {
        return NULL;
    }
    CMPI_NOGIL(ierr = MPI_Comm_join(fd, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return cmpi_comm_wrap_st(st, st->Intercomm_Type, h);
}

/* Module functions: ports and names. */

CMPI_DOC_NOSIG(Open_port_doc, "Open_port(info=INFO_NULL)",
               "Return an address that can be used to establish connections "
               "between groups of MPI processes.");
static PyObject *
mod_Open_port(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"info", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_get_state(m);
    char port[MPI_MAX_PORT_NAME + 1];
    MPI_Info info;
    if (cmpi_parse("Open_port", args, nargs, kwnames, kw, 0, a) < 0 ||
        cmpi_info_arg(st, a[0], &info) < 0) {
        return NULL;
    }
    memset(port, 0, sizeof(port));
    int ierr = MPI_Open_port(info, port);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return PyUnicode_FromString(port);
}

CMPI_DOC(Close_port_doc, "Close_port(port_name)", "Close a port.");
static PyObject *
mod_Close_port(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"port_name", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_get_state(m);
    if (cmpi_parse("Close_port", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    const char *port = PyUnicode_AsUTF8(a[0]);
    if (port == NULL) {
        return NULL;
    }
    int ierr = MPI_Close_port(port);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    Py_RETURN_NONE;
}

/* Publish_name makes a service name known, Unpublish_name withdraws it. */
enum name_action {
    NAME_PUBLISH,
    NAME_UNPUBLISH
};

static PyObject *
name_service(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, enum name_action action)
{
    int publish = action == NAME_PUBLISH;
    static const char *const kw[] = {"service_name", "port_name", "info",
                                     NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    const char *fname = publish ? "Publish_name" : "Unpublish_name";
    cmpi_state *st = cmpi_get_state(m);
    MPI_Info info;
    int ierr;
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_info_arg(st, a[2], &info) < 0) {
        return NULL;
    }
    const char *service = PyUnicode_AsUTF8(a[0]);
    const char *port = service ? PyUnicode_AsUTF8(a[1]) : NULL;
    if (port == NULL) {
        return NULL;
    }
    if (publish) {
        CMPI_NOGIL(ierr = MPI_Publish_name(service, info, port));
    }
    else {
        CMPI_NOGIL(ierr = MPI_Unpublish_name(service, info, port));
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_DOC_NOSIG(Publish_name_doc,
               "Publish_name(service_name, port_name, info=INFO_NULL)",
               "Publish a service name.");
static PyObject *
mod_Publish_name(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return name_service(m, args, nargs, kwnames, NAME_PUBLISH);
}

CMPI_DOC_NOSIG(Unpublish_name_doc,
               "Unpublish_name(service_name, port_name, info=INFO_NULL)",
               "Unpublish a service name.");
static PyObject *
mod_Unpublish_name(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    return name_service(m, args, nargs, kwnames, NAME_UNPUBLISH);
}

CMPI_DOC_NOSIG(Lookup_name_doc, "Lookup_name(service_name, info=INFO_NULL)",
               "Lookup a port name given a service name.");
static PyObject *
mod_Lookup_name(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
    static const char *const kw[] = {"service_name", "info", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_get_state(m);
    char port[MPI_MAX_PORT_NAME + 1];
    MPI_Info info;
    int ierr;
    if (cmpi_parse("Lookup_name", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_info_arg(st, a[1], &info) < 0) {
        return NULL;
    }
    const char *service = PyUnicode_AsUTF8(a[0]);
    if (service == NULL) {
        return NULL;
    }
    memset(port, 0, sizeof(port));
    CMPI_NOGIL(ierr = MPI_Lookup_name(service, info, port));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return PyUnicode_FromString(port);
}

#define CMPI_DYNPROC_MODULE_METHODS                                           \
    {"Open_port", FN(mod_Open_port), FASTKW, Open_port_doc},                  \
            {"Close_port", FN(mod_Close_port), FASTKW, Close_port_doc},       \
            {"Publish_name", FN(mod_Publish_name), FASTKW, Publish_name_doc}, \
            {"Unpublish_name", FN(mod_Unpublish_name), FASTKW,                \
             Unpublish_name_doc},                                             \
            {"Lookup_name", FN(mod_Lookup_name), FASTKW, Lookup_name_doc},
