/*
 * file.c -- MPI.File: parallel I/O (MPI-IO).
 *
 * Failing file calls return their error (MPI's default error handler for
 * files is ERRORS_RETURN) and raise MPI.Exception.  Before MPI sees them,
 * cmpi refuses a write to a file opened MODE_RDONLY and a read from one
 * opened MODE_WRONLY, naming the access mode: MPI libraries report these
 * inconsistently, or not at all until the data is lost.
 *
 * Nonblocking calls give a Request that holds the buffer until it
 * completes; a split collective (_begin/_end) holds it in the file object.
 *
 * The file also keeps its nonblocking requests (shared with its copies)
 * until they complete: Close() refuses to close the file while one is
 * pending, so no request is left referring to a closed file (MPI calls
 * closing a file with requests pending erroneous, and Open MPI crashes in
 * the later MPI_Test).  Only one split collective may be outstanding per
 * file; an _end without its _begin, or a second _begin, raises instead of
 * reaching MPI (which crashes on it).
 */
#include "cmpi.h"

typedef struct {
    PyObject_HEAD
    MPI_File ob_mpi;
    unsigned flags;
    int amode;
    Py_buffer split;   /* buffer of the split collective in progress */
    int split_op;      /* 1 + where * 2 + access of that _begin, else 0 */
    PyObject *pending; /* list: its nonblocking requests, maybe done */
    cmpi_copies copies;
    cmpi_state *st;
    PyObject *weakreflist;
} FileObject;

static PyObject *
cmpi_file_alloc(cmpi_state *st, PyTypeObject *type, MPI_File h, unsigned flags)
{
    FileObject *f = (FileObject *)type->tp_alloc(type, 0);
    if (f == NULL) {
        return NULL;
    }
    f->ob_mpi = h;
    f->flags = flags;
    f->amode = 0;
    f->split.obj = NULL;
    f->split_op = 0;
    f->pending = NULL;
    f->st = st;
    return (PyObject *)f;
}

static PyObject *
File_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"file", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:File", kwlist, &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    if (other == NULL || other == Py_None) {
        return cmpi_file_alloc(st, type, MPI_FILE_NULL, 0);
    }
    if (!PyObject_TypeCheck(other, st->File_Type)) {
        PyErr_Format(PyExc_TypeError, "expected a File, got %.100s",
                     Py_TYPE(other)->tp_name);
        return NULL;
    }
    FileObject *o = (FileObject *)other;
    if (o->pending == NULL && (o->pending = PyList_New(0)) == NULL) {
        return NULL;
    }
    FileObject *f = (FileObject *)cmpi_file_alloc(st, type, o->ob_mpi, 0);
    if (f != NULL) {
        f->amode = o->amode;
        /* a copy closes the same file: it checks the same requests */
        f->pending = Py_NewRef(o->pending);
        cmpi_handle_link((PyObject *)f, other, CMPI_HK_FILE);
    }
    return (PyObject *)f;
}

/* The buffer of a split collective is MPI's until its _end: not visited,
 * as a Request's buffers (request.c).  No tp_clear: the list of requests
 * is the only way back to the file in a cycle, and the list clears
 * itself; clearing it here would let Close() pass over a request still
 * pending. */
static int
File_traverse(FileObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->pending);
    Py_VISIT(Py_TYPE(self));
    return 0;
}

static void
File_dealloc(FileObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    /* A file is not closed implicitly (MPI_File_close is collective).  A
     * split collective still in progress keeps its buffer for good. */
    int finalized = 1;
    MPI_Finalized(&finalized);
    if (self->split.obj != NULL &&
        (finalized || self->ob_mpi == MPI_FILE_NULL)) {
        PyBuffer_Release(&self->split);
    }
    /* requests still pending go to the detached operations: the file is
     * not closed, so completing them later is safe */
    Py_CLEAR(self->pending);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_FILE);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(File_richcompare, File_bool, CMPI_HK_FILE)

#define FILE_CHECK(f) CMPI_HANDLE_CHECK(f, CMPI_HK_FILE)

static PyObject *
file_result(FileObject *self, int ierr)
{
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

/* A filename: str or os.PathLike, as a new bytes object. */
static PyObject *
file_name(PyObject *obj)
{
    PyObject *path = PyOS_FSPath(obj);
    if (path == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError,
                     "filename must be a str or os.PathLike, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyObject *bytes = NULL;
    if (PyUnicode_Check(path)) {
        PyUnicode_FSConverter(path, &bytes);
    }
    else {
        bytes = Py_NewRef(path);
    }
    Py_DECREF(path);
    return bytes;
}

static int
offset_arg(PyObject *obj, MPI_Offset *out, const char *what)
{
    if (obj == NULL) {
        *out = 0;
        return 0;
    }
    long long v;
    if (cmpi_as_llong(obj, &v, what) < 0) {
        return -1;
    }
    *out = (MPI_Offset)v;
    return 0;
}

static PyObject *
file_comm_check(cmpi_state *st, PyObject *obj, CommObject **out)
{
    /* COMM_NULL (a Comm) is refused here too, as in mpi4py */
    if (!PyObject_TypeCheck(obj, st->Intracomm_Type)) {
        PyErr_Format(PyExc_TypeError, "comm must be an Intracomm, not %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    *out = (CommObject *)obj;
    if (cmpi_comm_check(*out) < 0) {
        return NULL;
    }
    return obj;
}

#ifdef OPEN_MPI
/* Open MPI crashes the process inside MPI_File_open on long names instead
 * of returning an error.  4.1's shared-file-pointer component (sharedfp/sm)
 * aborts with a fortified-libc "buffer overflow detected" from about 245
 * bytes, fewer as the rank numbers grow a digit; 4.1 and 5.0 both segfault
 * from about 4,090 bytes (found by the API fuzzer; measured on Debian's
 * 4.1.4 and PyPI's 5.0).  The limits below keep a margin, depend only on
 * arguments every rank passes alike, so all ranks refuse together. */
static int
file_name_check(cmpi_state *st, PyObject *bytes, CommObject *comm,
                PyObject *filename)
{
    Py_ssize_t len = PyBytes_GET_SIZE(bytes);
    Py_ssize_t limit = 4080;
#if OMPI_MAJOR_VERSION < 5
    Py_ssize_t digits = 1;
    for (int top = comm->size - 1; top >= 10; top /= 10) {
        digits++;
    }
    limit = 241 - digits;
#else
    (void)comm;
#endif
    if (len <= limit) {
        return 0;
    }
    cmpi_raise_msg(st, MPI_ERR_BAD_FILE,
                   "cannot open a file name of %zd bytes (%.40R...): "
                   "Open MPI %d.%d aborts the process on names longer than "
                   "%zd bytes for a communicator of this size; use a "
                   "shorter name",
                   len, filename, OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION,
                   limit);
    return -1;
}
#endif

CMPI_DOC_NOSIG(File_Open_doc,
               "Open(comm, filename, amode=MODE_RDONLY, info=INFO_NULL)",
               "Open a file on every process of `comm` (collective).");
static PyObject *
File_Open(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    static const char *const kw[] = {"comm", "filename", "amode", "info",
                                     NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    CommObject *comm;
    MPI_Info info;
    int amode, ierr;
    if (st == NULL || cmpi_parse("Open", args, nargs, kwnames, kw, 2, a) < 0 ||
        file_comm_check(st, a[0], &comm) == NULL ||
        cmpi_opt_int(a[2], &amode, MPI_MODE_RDONLY, "amode") < 0 ||
        cmpi_info_arg(st, a[3], &info) < 0) {
        return NULL;
    }
    PyObject *name = file_name(a[1]);
    if (name == NULL) {
        return NULL;
    }
#ifdef OPEN_MPI
    if (file_name_check(st, name, comm, a[1]) < 0) {
        Py_DECREF(name);
        return NULL;
    }
#endif
    MPI_File h = MPI_FILE_NULL;
    const char *cname = PyBytes_AS_STRING(name);
    CMPI_NOGIL_CALL(
            "File.Open", comm->ob_mpi,
            ierr = MPI_File_open(comm->ob_mpi, cname, amode, info, &h));
    if (ierr != MPI_SUCCESS) {
        int cls_ = ierr;
        MPI_Error_class(ierr, &cls_);
        cmpi_raise_msg(st, cls_, "cannot open %R with amode=%d", a[1], amode);
        Py_DECREF(name);
        return NULL;
    }
    Py_DECREF(name);
    FileObject *f = (FileObject *)cmpi_file_alloc(st, cls, h, 0);
    if (f == NULL) {
        MPI_File_close(&h);
        return NULL;
    }
    f->amode = amode;
    return (PyObject *)f;
}

/* Before closing: complete (as Test would) the file's nonblocking
 * requests that are done, and refuse to close while any is still pending.
 * Closing then is erroneous, and Open MPI 4.1 crashes in the next test of
 * such a request, at the latest at exit.  Waiting for them here instead
 * could hang for good: Open MPI 4.1 never completes a nonblocking read at
 * the end of a file. */
static int
file_check_pending(FileObject *self)
{
    if (self->pending == NULL) {
        return 0;
    }
    Py_ssize_t busy = 0;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(self->pending); i++) {
        RequestObject *r = (RequestObject *)PyList_GET_ITEM(self->pending, i);
        Py_INCREF(r);
        int rc = cmpi_request_test1(r);
        Py_DECREF(r);
        if (rc < 0) {
            return -1;
        }
        busy += rc == 0;
    }
    if (busy == 0) {
        return 0;
    }
    cmpi_raise_msg(self->st, MPI_ERR_PENDING,
                   "File.Close: %zd nonblocking request(s) on this file are "
                   "still pending; complete them (Request.Wait) before "
                   "closing the file",
                   busy);
    return -1;
}

/* Remember a new request of this file, forgetting the completed ones. */
static int
file_track(FileObject *self, RequestObject *r)
{
    if (self->pending == NULL && (self->pending = PyList_New(0)) == NULL) {
        return -1;
    }
    PyObject *l = self->pending;
    Py_ssize_t j = 0, n = PyList_GET_SIZE(l);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *o = PyList_GET_ITEM(l, i);
        if (!cmpi_request_active((RequestObject *)o)) {
            continue;
        }
        Py_INCREF(o);
        PyList_SetItem(l, j++, o);
    }
    if (j < n && PyList_SetSlice(l, j, n, NULL) < 0) {
        return -1;
    }
    return PyList_Append(l, (PyObject *)r);
}

/* A copy of a closed file: a split collective it began is over. */
static void
file_forget_copy(PyObject *copy)
{
    FileObject *f = (FileObject *)copy;
    f->split_op = 0;
    if (f->split.obj != NULL) {
        PyBuffer_Release(&f->split);
    }
}

CMPI_DOC(File_Close_doc, "Close($self)",
         "Close a file (collective).  Raises, leaving the file open, while "
         "one of its nonblocking requests is still pending.");
static PyObject *
File_Close(FileObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    FILE_CHECK(self);
    if (file_check_pending(self) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("file.Close", MPI_COMM_NULL,
                    ierr = MPI_File_close(&self->ob_mpi));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    self->ob_mpi = MPI_FILE_NULL;
    self->split_op = 0;
    if (self->split.obj != NULL) {
        PyBuffer_Release(&self->split);
    }
    if (self->pending != NULL) {
        PyList_SetSlice(self->pending, 0, PyList_GET_SIZE(self->pending),
                        NULL);
    }
    cmpi_handle_freed((PyObject *)self, CMPI_HK_FILE, file_forget_copy);
    Py_RETURN_NONE;
}

CMPI_DOC_NOSIG(File_Delete_doc, "Delete(filename, info=INFO_NULL)",
               "Delete a file.");
static PyObject *
File_Delete(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    static const char *const kw[] = {"filename", "info", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    MPI_Info info;
    int ierr;
    if (st == NULL ||
        cmpi_parse("Delete", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_info_arg(st, a[1], &info) < 0) {
        return NULL;
    }
    PyObject *name = file_name(a[0]);
    if (name == NULL) {
        return NULL;
    }
    const char *cname = PyBytes_AS_STRING(name);
    CMPI_NOGIL(ierr = MPI_File_delete(cname, info));
    if (ierr != MPI_SUCCESS) {
        int cls_ = ierr;
        MPI_Error_class(ierr, &cls_);
        cmpi_raise_msg(st, cls_, "cannot delete %R", a[0]);
        Py_DECREF(name);
        return NULL;
    }
    Py_DECREF(name);
    Py_RETURN_NONE;
}

/* ---- size, info, group, mode ---- */

CMPI_DOC(File_Get_size_doc, "Get_size($self)",
         "Return the size of the file in bytes.");
static PyObject *
File_Get_size(FileObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Offset size = 0;
    int ierr;
    FILE_CHECK(self);
    CMPI_NOGIL(ierr = MPI_File_get_size(self->ob_mpi, &size));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLongLong((long long)size);
}

static PyObject *
file_size_call(FileObject *self, PyObject *arg,
               int (*fn)(MPI_File, MPI_Offset), const char *what)
{
    MPI_Offset size;
    int ierr;
    FILE_CHECK(self);
    if (offset_arg(arg, &size, "size") < 0) {
        return NULL;
    }
    if (size < 0) {
        PyErr_Format(PyExc_ValueError, "size must be >= 0, got %lld",
                     (long long)size);
        return NULL;
    }
    CMPI_NOGIL_CALL(what, MPI_COMM_NULL, ierr = fn(self->ob_mpi, size));
    return file_result(self, ierr);
}

CMPI_DOC(File_Set_size_doc, "Set_size($self, size)",
         "Resize the file (collective).");
static PyObject *
File_Set_size(FileObject *self, PyObject *arg)
{
    return file_size_call(self, arg, MPI_File_set_size, "file.Set_size");
}

CMPI_ONE_ARG_KW(File_Set_size, FileObject, "Set_size", "size")

CMPI_DOC(File_Preallocate_doc, "Preallocate($self, size)",
         "Reserve storage for the first `size` bytes (collective).");
static PyObject *
File_Preallocate(FileObject *self, PyObject *arg)
{
    return file_size_call(self, arg, MPI_File_preallocate, "file.Preallocate");
}

CMPI_ONE_ARG_KW(File_Preallocate, FileObject, "Preallocate", "size")

CMPI_DOC(File_Sync_doc, "Sync($self)",
         "Flush written data to the storage device (collective).");
static PyObject *
File_Sync(FileObject *self, PyObject *Py_UNUSED(a))
{
    int ierr;
    FILE_CHECK(self);
    CMPI_NOGIL_CALL("file.Sync", MPI_COMM_NULL,
                    ierr = MPI_File_sync(self->ob_mpi));
    return file_result(self, ierr);
}

CMPI_DOC(File_Get_amode_doc, "Get_amode($self)",
         "Return the access mode the file was opened with.");
static PyObject *
File_Get_amode(FileObject *self, PyObject *Py_UNUSED(a))
{
    int amode;
    FILE_CHECK(self);
    int ierr = MPI_File_get_amode(self->ob_mpi, &amode);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(amode);
}

CMPI_DOC(File_Get_group_doc, "Get_group($self)",
         "Return the group of the processes that opened the file.");
static PyObject *
File_Get_group(FileObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Group g;
    FILE_CHECK(self);
    int ierr = MPI_File_get_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_group_new(self->st, self->st->Group_Type, g, 0);
}

CMPI_DOC(File_Get_info_doc, "Get_info($self)",
         "Return the hints the file uses, as a new Info.");
static PyObject *
File_Get_info(FileObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Info h;
    FILE_CHECK(self);
    int ierr = MPI_File_get_info(self->ob_mpi, &h);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_info_new(self->st, h);
}

CMPI_DOC(File_Set_info_doc, "Set_info($self, info)",
         "Set new hints for the file (collective).");
static PyObject *
File_Set_info(FileObject *self, PyObject *arg)
{
    MPI_Info info;
    int ierr;
    FILE_CHECK(self);
    if (cmpi_info_arg(self->st, arg, &info) < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("file.Set_info", MPI_COMM_NULL,
                    ierr = MPI_File_set_info(self->ob_mpi, info));
    return file_result(self, ierr);
}

CMPI_ONE_ARG_KW(File_Set_info, FileObject, "Set_info", "info")

CMPI_DOC(File_Set_atomicity_doc, "Set_atomicity($self, flag)",
         "Turn atomic mode on or off (collective).");
static PyObject *
File_Set_atomicity(FileObject *self, PyObject *arg)
{
    int ierr;
    FILE_CHECK(self);
    int flag = PyObject_IsTrue(arg);
    if (flag < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("file.Set_atomicity", MPI_COMM_NULL,
                    ierr = MPI_File_set_atomicity(self->ob_mpi, flag));
    return file_result(self, ierr);
}

CMPI_ONE_ARG_KW(File_Set_atomicity, FileObject, "Set_atomicity", "flag")

CMPI_DOC(File_Get_atomicity_doc, "Get_atomicity($self)",
         "Return whether atomic mode is on.");
static PyObject *
File_Get_atomicity(FileObject *self, PyObject *Py_UNUSED(a))
{
    int flag = 0;
    FILE_CHECK(self);
    int ierr = MPI_File_get_atomicity(self->ob_mpi, &flag);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyBool_FromLong(flag);
}

CMPI_DOC(File_Get_type_extent_doc, "Get_type_extent($self, datatype)",
         "Return the extent of `datatype` in the file's data "
         "representation.");
static PyObject *
File_Get_type_extent(FileObject *self, PyObject *arg)
{
    MPI_Datatype dt;
    MPI_Aint extent = 0;
    FILE_CHECK(self);
    if (cmpi_dtype_arg(self->st, arg, &dt, "datatype") < 0) {
        return NULL;
    }
    int ierr = MPI_File_get_type_extent(self->ob_mpi, dt, &extent);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromSsize_t((Py_ssize_t)extent);
}

CMPI_ONE_ARG_KW(File_Get_type_extent, FileObject, "Get_type_extent",
                "datatype")

/* ---- views and positions ---- */

CMPI_DOC_NOSIG(File_Set_view_doc,
               "Set_view(self, disp=0, etype=BYTE, filetype=None, "
               "datarep='native', info=INFO_NULL)",
               "Set the file view: where this process's data starts "
               "(`disp`, in bytes), its elementary type, and the filetype "
               "tiling the file (default: `etype`).  Collective.");
static PyObject *
File_Set_view(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
    static const char *const kw[] = {"disp",    "etype", "filetype",
                                     "datarep", "info",  NULL};
    PyObject *a[5] = {NULL, NULL, NULL, NULL, NULL};
    MPI_Offset disp;
    MPI_Datatype etype = MPI_BYTE, filetype;
    MPI_Info info;
    const char *datarep = "native";
    int ierr;
    FILE_CHECK(self);
    if (cmpi_parse("Set_view", args, nargs, kwnames, kw, 0, a) < 0 ||
        offset_arg(a[0], &disp, "disp") < 0 ||
        (a[1] != NULL &&
         (cmpi_dtype_arg(self->st, a[1], &etype, "etype") < 0 ||
          cmpi_dtype_for_data(self->st, a[1], &etype) < 0))) {
        return NULL;
    }
    filetype = etype;
    /* filetype=None is the etype, as in mpi4py (etype=None is not) */
    if ((a[2] != NULL && a[2] != Py_None &&
         (cmpi_dtype_arg(self->st, a[2], &filetype, "filetype") < 0 ||
          cmpi_dtype_for_data(self->st, a[2], &filetype) < 0)) ||
        cmpi_info_arg(self->st, a[4], &info) < 0) {
        return NULL;
    }
    if (a[3] != NULL && a[3] != Py_None) {
        Py_ssize_t len;
        if ((datarep = cmpi_as_mpistr(a[3], &len, "datarep")) == NULL) {
            return NULL;
        }
    }
    CMPI_NOGIL_CALL("file.Set_view", MPI_COMM_NULL,
                    ierr = MPI_File_set_view(self->ob_mpi, disp, etype,
                                             filetype, datarep, info));
    return file_result(self, ierr);
}

static PyObject *
view_datatype(cmpi_state *st, MPI_Datatype dt)
{
    int ni, na, nc, nd, combiner;
    if (cmpi_type_envelope(dt, &ni, &na, &nc, &nd, &combiner) == MPI_SUCCESS &&
        combiner == MPI_COMBINER_NAMED) {
        return cmpi_datatype_new(st, dt, CMPI_CONST);
    }
    return cmpi_datatype_new(st, dt, 0); /* a copy the caller may Free */
}

CMPI_DOC(File_Get_view_doc, "Get_view($self)",
         "Return the file view: (disp, etype, filetype, datarep).");
static PyObject *
File_Get_view(FileObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Offset disp = 0;
    MPI_Datatype etype, filetype;
    char datarep[MPI_MAX_DATAREP_STRING + 1];
    FILE_CHECK(self);
    datarep[0] = '\0';
    int ierr =
            MPI_File_get_view(self->ob_mpi, &disp, &etype, &filetype, datarep);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    datarep[MPI_MAX_DATAREP_STRING] = '\0';
    return Py_BuildValue("(LNNs)", (long long)disp,
                         view_datatype(self->st, etype),
                         view_datatype(self->st, filetype), datarep);
}

/* Which file pointer Seek moves: this process's own, or the one all
 * processes share (Seek_shared, collective). */
enum file_pointer {
    FILE_POINTER_INDIVIDUAL,
    FILE_POINTER_SHARED
};

static PyObject *
file_seek(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames, const char *fname, enum file_pointer pointer)
{
    static const char *const kw[] = {"offset", "whence", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Offset offset;
    int whence, ierr;
    FILE_CHECK(self);
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 1, a) < 0 ||
        offset_arg(a[0], &offset, "offset") < 0 ||
        cmpi_opt_int(a[1], &whence, MPI_SEEK_SET, "whence") < 0) {
        return NULL;
    }
    if (pointer == FILE_POINTER_SHARED) {
        CMPI_NOGIL_CALL(
                "file.Seek_shared", MPI_COMM_NULL,
                ierr = MPI_File_seek_shared(self->ob_mpi, offset, whence));
    }
    else {
        CMPI_NOGIL(ierr = MPI_File_seek(self->ob_mpi, offset, whence));
    }
    return file_result(self, ierr);
}

CMPI_DOC(File_Seek_doc, "Seek($self, offset, whence=cmpi.MPI.SEEK_SET)",
         "Move this process's file pointer (in etypes of the view).");
static PyObject *
File_Seek(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
          PyObject *kwnames)
{
    return file_seek(self, args, nargs, kwnames, "Seek",
                     FILE_POINTER_INDIVIDUAL);
}

CMPI_DOC(File_Seek_shared_doc,
         "Seek_shared($self, offset, whence=cmpi.MPI.SEEK_SET)",
         "Move the shared file pointer (collective).");
static PyObject *
File_Seek_shared(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return file_seek(self, args, nargs, kwnames, "Seek_shared",
                     FILE_POINTER_SHARED);
}

CMPI_DOC(File_Get_position_doc, "Get_position($self)",
         "Return this process's file pointer (in etypes of the view).");
static PyObject *
File_Get_position(FileObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Offset pos = 0;
    FILE_CHECK(self);
    int ierr = MPI_File_get_position(self->ob_mpi, &pos);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLongLong((long long)pos);
}

CMPI_DOC(File_Get_position_shared_doc, "Get_position_shared($self)",
         "Return the shared file pointer (in etypes of the view).");
static PyObject *
File_Get_position_shared(FileObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Offset pos = 0;
    int ierr;
    FILE_CHECK(self);
    CMPI_NOGIL(ierr = MPI_File_get_position_shared(self->ob_mpi, &pos));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLongLong((long long)pos);
}

CMPI_DOC(File_Get_byte_offset_doc, "Get_byte_offset($self, offset)",
         "Return the absolute byte position of a view-relative offset.");
static PyObject *
File_Get_byte_offset(FileObject *self, PyObject *arg)
{
    MPI_Offset offset, disp = 0;
    FILE_CHECK(self);
    if (offset_arg(arg, &offset, "offset") < 0) {
        return NULL;
    }
    int ierr = MPI_File_get_byte_offset(self->ob_mpi, offset, &disp);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLongLong((long long)disp);
}

CMPI_ONE_ARG_KW(File_Get_byte_offset, FileObject, "Get_byte_offset", "offset")

/* ---- data access ---- */

/* Where the data goes: explicit offset, individual pointer, shared
 * pointer; collective or not. */
enum io_where {
    IO_AT,
    IO_AT_ALL,
    IO_IND,
    IO_ALL,
    IO_SHARED,
    IO_ORDERED
};

/* Whether a call reads the file or writes it.  The values count: the
 * switches below and split_op index by where * 2 + access. */
enum io_access {
    IO_READ = 0,
    IO_WRITE = 1
};

/* Whether a blocking call stores an MPI.Status (status=): nonblocking
 * and split-collective _begin calls take none. */
enum io_status {
    IO_NO_STATUS,
    IO_WITH_STATUS
};

static int
io_has_offset(enum io_where where)
{
    return where == IO_AT || where == IO_AT_ALL;
}

static int
file_access_check(FileObject *self, enum io_access access)
{
    if (access == IO_WRITE && (self->amode & MPI_MODE_RDONLY)) {
        cmpi_raise_msg(self->st, MPI_ERR_READ_ONLY,
                       "cannot write: the file was opened read-only "
                       "(amode includes MODE_RDONLY)");
        return -1;
    }
    if (access == IO_READ && (self->amode & MPI_MODE_WRONLY)) {
        cmpi_raise_msg(self->st, MPI_ERR_ACCESS,
                       "cannot read: the file was opened write-only "
                       "(amode includes MODE_WRONLY)");
        return -1;
    }
    return 0;
}

/* Parse [offset,] buf [, status] and check the access mode. */
/* Open MPI 4.1 crashes later (in Close, or at exit) after a nonblocking
 * collective write at offset 2**63 - 1: its byte arithmetic overflows.
 * The data must end before 2**62 bytes (4 EiB: no file comes near it);
 * MPI itself places the offset through the view. */
static int
file_offset_in_range(FileObject *self, MPI_Offset offset, const cmpi_msg *m,
                     const char *what)
{
    const long long limit = 1LL << 62;
    MPI_Offset byte = 0;
    long long span = (long long)m->count * (long long)m->extent;
    if (offset < limit) {
        int ierr = MPI_File_get_byte_offset(self->ob_mpi, offset, &byte);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(self->st, ierr);
            return -1;
        }
    }
    if (offset >= limit || byte < 0 || span < 0 || byte > limit - span) {
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "invalid argument: %s=%lld places the data past "
                       "2**62 bytes of the file",
                       what, (long long)offset);
        return -1;
    }
    return 0;
}

/* The calls at a file pointer (individual or shared) place the data at
 * the pointer, which Seek and Seek_shared move anywhere: MPICH 4.0's ROMIO
 * then aborts the job in atomic mode (its fcntl lock range overflows off_t
 * at 2**63 - 1) and Iread waits forever at such a position (found by the
 * API fuzzer).  The pointer's position gets the explicit offsets' check.
 * A library that cannot tell the position (a sequential file, a shared
 * file pointer component without it) is left to its own checks.  Not the
 * ordered collectives: ROMIO's ranks do not always agree on the shared
 * pointer's position (a rank that has not used it yet may read 0), and
 * a rank refusing alone would leave the others in the collective; MPICH
 * returns an error for them itself. */
static int
file_position_in_range(FileObject *self, enum io_where where,
                       const cmpi_msg *m)
{
    MPI_Offset position = 0;
    int ierr;
    if (where == IO_ORDERED) {
        return 0;
    }
    if (where == IO_SHARED) {
        CMPI_NOGIL(ierr = MPI_File_get_position_shared(self->ob_mpi,
                                                       &position));
    }
    else if (self->amode & MPI_MODE_SEQUENTIAL) {
        return 0; /* no individual pointer: MPI refuses these calls */
    }
    else {
        ierr = MPI_File_get_position(self->ob_mpi, &position);
    }
    if (ierr != MPI_SUCCESS) {
        return 0;
    }
    if (position < 0) {
        /* a pointer moved past 2**63 - 1 by the data of earlier calls
         * wraps around in ROMIO */
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "invalid argument: %s=%lld places the data past "
                       "2**62 bytes of the file (it went past 2**63 - 1)",
                       where == IO_SHARED
                               ? "the shared file pointer's position"
                               : "the file pointer's position",
                       (long long)position);
        return -1;
    }
    return file_offset_in_range(self, position, m,
                                where == IO_SHARED
                                        ? "the shared file pointer's position"
                                        : "the file pointer's position");
}

/* None is no buffer for file I/O, as in mpi4py */
static int
file_buf_not_none(PyObject *buf)
{
    if (buf == Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "buf must be a buffer or a message spec, not None");
        return -1;
    }
    return 0;
}

static int
file_io_args(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames, const char *fname, enum io_where where,
             enum io_access access, enum io_status status_arg,
             MPI_Offset *offset, cmpi_msg *m, PyObject **status)
{
    static const char *const kw_off_st[] = {"offset", "buf", "status", NULL};
    static const char *const kw_off[] = {"offset", "buf", NULL};
    static const char *const kw_st[] = {"buf", "status", NULL};
    static const char *const kw_buf[] = {"buf", NULL};
    PyObject *a[3] = {NULL, NULL, NULL};
    PyObject *buf;
    *status = NULL;
    if (io_has_offset(where)) {
        if (cmpi_parse(fname, args, nargs, kwnames,
                       status_arg == IO_WITH_STATUS ? kw_off_st : kw_off, 2,
                       a) < 0 ||
            offset_arg(a[0], offset, "offset") < 0) {
            return -1;
        }
        buf = a[1];
        *status = a[2];
    }
    else {
        if (cmpi_parse(fname, args, nargs, kwnames,
                       status_arg == IO_WITH_STATUS ? kw_st : kw_buf, 1,
                       a) < 0) {
            return -1;
        }
        buf = a[0];
        *status = a[1];
        *offset = 0;
    }
    if (*status == Py_None) {
        *status = NULL;
    }
    if (cmpi_status_check(self->st, *status) < 0) {
        return -1;
    }
    if (io_has_offset(where) && *offset < 0) {
        cmpi_raise_msg(self->st, MPI_ERR_ARG,
                       "invalid argument: offset=%lld is negative",
                       (long long)*offset);
        return -1;
    }
    if (file_access_check(self, access) < 0 || file_buf_not_none(buf) < 0) {
        return -1;
    }
    if (cmpi_msg_parse(self->st, buf, m,
                       access == IO_WRITE ? CMPI_MSG_SEND : CMPI_MSG_RECV) <
        0) {
        return -1;
    }
    cmpi_prof_msg(access == IO_WRITE ? CMPI_MSG_SEND : CMPI_MSG_RECV, m->count,
                  m->dtype);
    return io_has_offset(where)
                   ? file_offset_in_range(self, *offset, m, "offset")
                   : file_position_in_range(self, where, m);
}

static int
file_io_call(MPI_File fh, enum io_where where, enum io_access access,
             MPI_Offset off, cmpi_msg *m, MPI_Status *s)
{
    void *p = m->addr;
    int n = m->count;
    MPI_Datatype t = m->dtype;
    int ierr;
    Py_BEGIN_ALLOW_THREADS
    switch (where * 2 + access) {
        case IO_AT * 2: ierr = MPI_File_read_at(fh, off, p, n, t, s); break;
        case IO_AT * 2 + 1:
            ierr = MPI_File_write_at(fh, off, p, n, t, s);
            break;
        case IO_AT_ALL * 2:
            ierr = MPI_File_read_at_all(fh, off, p, n, t, s);
            break;
        case IO_AT_ALL * 2 + 1:
            ierr = MPI_File_write_at_all(fh, off, p, n, t, s);
            break;
        case IO_IND * 2: ierr = MPI_File_read(fh, p, n, t, s); break;
        case IO_IND * 2 + 1: ierr = MPI_File_write(fh, p, n, t, s); break;
        case IO_ALL * 2: ierr = MPI_File_read_all(fh, p, n, t, s); break;
        case IO_ALL * 2 + 1: ierr = MPI_File_write_all(fh, p, n, t, s); break;
        case IO_SHARED * 2: ierr = MPI_File_read_shared(fh, p, n, t, s); break;
        case IO_SHARED * 2 + 1:
            ierr = MPI_File_write_shared(fh, p, n, t, s);
            break;
        case IO_ORDERED * 2:
            ierr = MPI_File_read_ordered(fh, p, n, t, s);
            break;
        default: ierr = MPI_File_write_ordered(fh, p, n, t, s); break;
    }
    Py_END_ALLOW_THREADS
    return ierr;
}

static int
file_iio_call(MPI_File fh, enum io_where where, enum io_access access,
              MPI_Offset off, cmpi_msg *m, MPI_Request *r)
{
    void *p = m->addr;
    int n = m->count;
    MPI_Datatype t = m->dtype;
    int ierr;
    Py_BEGIN_ALLOW_THREADS
    switch (where * 2 + access) {
        case IO_AT * 2: ierr = MPI_File_iread_at(fh, off, p, n, t, r); break;
        case IO_AT * 2 + 1:
            ierr = MPI_File_iwrite_at(fh, off, p, n, t, r);
            break;
        case IO_AT_ALL * 2:
            ierr = MPI_File_iread_at_all(fh, off, p, n, t, r);
            break;
        case IO_AT_ALL * 2 + 1:
            ierr = MPI_File_iwrite_at_all(fh, off, p, n, t, r);
            break;
        case IO_IND * 2: ierr = MPI_File_iread(fh, p, n, t, r); break;
        case IO_IND * 2 + 1: ierr = MPI_File_iwrite(fh, p, n, t, r); break;
        case IO_ALL * 2: ierr = MPI_File_iread_all(fh, p, n, t, r); break;
        case IO_ALL * 2 + 1: ierr = MPI_File_iwrite_all(fh, p, n, t, r); break;
        case IO_SHARED * 2:
            ierr = MPI_File_iread_shared(fh, p, n, t, r);
            break;
        default: ierr = MPI_File_iwrite_shared(fh, p, n, t, r); break;
    }
    Py_END_ALLOW_THREADS
    return ierr;
}

static PyObject *
file_io(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
        PyObject *kwnames, const char *fname, enum io_where where,
        enum io_access access)
{
    MPI_Offset offset;
    cmpi_msg m = CMPI_MSG_INIT;
    PyObject *status;
    MPI_Status s;
    FILE_CHECK(self);
    if (file_io_args(self, args, nargs, kwnames, fname, where, access,
                     IO_WITH_STATUS, &offset, &m, &status) < 0) {
        return NULL;
    }
    cmpi_status_clear(&s);
    /* collective ones cannot be polled: marked for Ctrl-C (and yield) */
    int blk = cmpi_block_enter(fname, MPI_COMM_NULL);
    int ierr = file_io_call(self->ob_mpi, where, access, offset, &m, &s);
    cmpi_block_leave(blk);
    cmpi_msg_release(&m);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    if (cmpi_status_store(self->st, status, &s) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
file_iio(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames, const char *fname, enum io_where where,
         enum io_access access)
{
    MPI_Offset offset;
    cmpi_msg m = CMPI_MSG_INIT;
    PyObject *status;
    FILE_CHECK(self);
    if (file_io_args(self, args, nargs, kwnames, fname, where, access,
                     IO_NO_STATUS, &offset, &m, &status) < 0) {
        return NULL;
    }
    RequestObject *r = cmpi_request_new(self->st, CMPI_REQ_PLAIN);
    if (r == NULL) {
        cmpi_msg_release(&m);
        return NULL;
    }
    int ierr =
            file_iio_call(self->ob_mpi, where, access, offset, &m, &r->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        Py_DECREF(r);
        return cmpi_raise(self->st, ierr);
    }
    cmpi_msg_give(r, &m); /* the request holds the buffer until done */
    if (file_track(self, r) < 0) {
        /* it cannot be forgotten while it runs: wait for it here */
        PyObject *exc = PyErr_GetRaisedException_compat();
        if (cmpi_request_wait1(r) < 0) {
            PyErr_Clear();
        }
        PyErr_SetRaisedException_compat(exc);
        Py_DECREF(r);
        return NULL;
    }
    return (PyObject *)r;
}

/* The _begin of each split collective, by where * 2 + access. */
static const char *const split_names[] = {
        [IO_AT_ALL * 2] = "Read_at_all_begin",
        [IO_AT_ALL * 2 + 1] = "Write_at_all_begin",
        [IO_ALL * 2] = "Read_all_begin",
        [IO_ALL * 2 + 1] = "Write_all_begin",
        [IO_ORDERED * 2] = "Read_ordered_begin",
        [IO_ORDERED * 2 + 1] = "Write_ordered_begin",
};

static PyObject *
file_begin(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames, const char *fname, enum io_where where,
           enum io_access access)
{
    MPI_Offset offset;
    cmpi_msg m = CMPI_MSG_INIT;
    PyObject *status;
    int ierr;
    FILE_CHECK(self);
    if (self->split_op != 0) {
        return cmpi_raise_msg(self->st, MPI_ERR_OTHER,
                              "File.%s: a split collective (File.%s) is "
                              "already outstanding on this file; end it "
                              "first",
                              fname, split_names[self->split_op - 1]);
    }
    if (file_io_args(self, args, nargs, kwnames, fname, where, access,
                     IO_NO_STATUS, &offset, &m, &status) < 0) {
        return NULL;
    }
    MPI_File fh = self->ob_mpi;
    void *p = m.addr;
    int n = m.count;
    MPI_Datatype t = m.dtype;
    int blk = cmpi_block_enter(fname, MPI_COMM_NULL);
    Py_BEGIN_ALLOW_THREADS
    switch (where * 2 + access) {
        case IO_AT_ALL * 2:
            ierr = MPI_File_read_at_all_begin(fh, offset, p, n, t);
            break;
        case IO_AT_ALL * 2 + 1:
            ierr = MPI_File_write_at_all_begin(fh, offset, p, n, t);
            break;
        case IO_ALL * 2: ierr = MPI_File_read_all_begin(fh, p, n, t); break;
        case IO_ALL * 2 + 1:
            ierr = MPI_File_write_all_begin(fh, p, n, t);
            break;
        case IO_ORDERED * 2:
            ierr = MPI_File_read_ordered_begin(fh, p, n, t);
            break;
        default: ierr = MPI_File_write_ordered_begin(fh, p, n, t); break;
    }
    Py_END_ALLOW_THREADS
    cmpi_block_leave(blk);
    if (ierr != MPI_SUCCESS) {
        cmpi_msg_release(&m);
        return cmpi_raise(self->st, ierr);
    }
    self->split = m.view; /* held until the _end call */
    self->split_op = 1 + where * 2 + access;
    m.view.obj = NULL;
    cmpi_msg_release(&m);
    Py_RETURN_NONE;
}

static PyObject *
file_end(FileObject *self, PyObject *const *args, Py_ssize_t nargs,
         PyObject *kwnames, const char *fname, enum io_where where,
         enum io_access access)
{
    static const char *const kw[] = {"buf", "status", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_msg m = CMPI_MSG_INIT;
    MPI_Status s;
    int ierr;
    FILE_CHECK(self);
    /* (int): the enums have no negative value, so their sum is unsigned */
    if (self->split_op != 1 + (int)(where * 2 + access)) {
        const char *begin = split_names[where * 2 + access];
        if (self->split_op == 0) {
            return cmpi_raise_msg(self->st, MPI_ERR_OTHER,
                                  "File.%s: no File.%s is outstanding on "
                                  "this file",
                                  fname, begin);
        }
        return cmpi_raise_msg(self->st, MPI_ERR_OTHER,
                              "File.%s: the split collective outstanding "
                              "on this file is File.%s, not File.%s",
                              fname, split_names[self->split_op - 1], begin);
    }
    if (cmpi_parse(fname, args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (cmpi_status_check(self->st, a[1]) < 0 || file_buf_not_none(a[0]) < 0) {
        return NULL;
    }
    if (cmpi_msg_parse(self->st, a[0], &m,
                       access == IO_WRITE ? CMPI_MSG_SEND : CMPI_MSG_RECV) <
        0) {
        return NULL;
    }
    MPI_File fh = self->ob_mpi;
    void *p = m.addr;
    cmpi_status_clear(&s);
    int blk = cmpi_block_enter(fname, MPI_COMM_NULL);
    Py_BEGIN_ALLOW_THREADS
    switch (where * 2 + access) {
        case IO_AT_ALL * 2: ierr = MPI_File_read_at_all_end(fh, p, &s); break;
        case IO_AT_ALL * 2 + 1:
            ierr = MPI_File_write_at_all_end(fh, p, &s);
            break;
        case IO_ALL * 2: ierr = MPI_File_read_all_end(fh, p, &s); break;
        case IO_ALL * 2 + 1: ierr = MPI_File_write_all_end(fh, p, &s); break;
        case IO_ORDERED * 2:
            ierr = MPI_File_read_ordered_end(fh, p, &s);
            break;
        default: ierr = MPI_File_write_ordered_end(fh, p, &s); break;
    }
    Py_END_ALLOW_THREADS
    cmpi_block_leave(blk);
    cmpi_msg_release(&m);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    self->split_op = 0;
    if (self->split.obj != NULL) {
        PyBuffer_Release(&self->split);
    }
    if (cmpi_status_store(self->st, a[1], &s) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* One wrapper per Python method: (name, where, access, form). */
#define FILE_IO(NAME, WHERE, ACCESS, FORM)                                \
    static PyObject *File_##NAME(FileObject *self, PyObject *const *args, \
                                 Py_ssize_t nargs, PyObject *kwnames)     \
    {                                                                     \
        return FORM(self, args, nargs, kwnames, #NAME, WHERE, ACCESS);    \
    }

CMPI_DOC(File_Read_at_doc, "Read_at($self, offset, buf, status=None)",
         "Read at an explicit offset.");
FILE_IO(Read_at, IO_AT, IO_READ, file_io)
CMPI_DOC(File_Read_at_all_doc, "Read_at_all($self, offset, buf, status=None)",
         "Read at an explicit offset (collective).");
FILE_IO(Read_at_all, IO_AT_ALL, IO_READ, file_io)
CMPI_DOC(File_Write_at_doc, "Write_at($self, offset, buf, status=None)",
         "Write at an explicit offset.");
FILE_IO(Write_at, IO_AT, IO_WRITE, file_io)
CMPI_DOC(File_Write_at_all_doc,
         "Write_at_all($self, offset, buf, status=None)",
         "Write at an explicit offset (collective).");
FILE_IO(Write_at_all, IO_AT_ALL, IO_WRITE, file_io)
CMPI_DOC(File_Read_doc, "Read($self, buf, status=None)",
         "Read at this process's file pointer.");
FILE_IO(Read, IO_IND, IO_READ, file_io)
CMPI_DOC(File_Read_all_doc, "Read_all($self, buf, status=None)",
         "Read at this process's file pointer (collective).");
FILE_IO(Read_all, IO_ALL, IO_READ, file_io)
CMPI_DOC(File_Write_doc, "Write($self, buf, status=None)",
         "Write at this process's file pointer.");
FILE_IO(Write, IO_IND, IO_WRITE, file_io)
CMPI_DOC(File_Write_all_doc, "Write_all($self, buf, status=None)",
         "Write at this process's file pointer (collective).");
FILE_IO(Write_all, IO_ALL, IO_WRITE, file_io)
CMPI_DOC(File_Read_shared_doc, "Read_shared($self, buf, status=None)",
         "Read at the shared file pointer.");
FILE_IO(Read_shared, IO_SHARED, IO_READ, file_io)
CMPI_DOC(File_Write_shared_doc, "Write_shared($self, buf, status=None)",
         "Write at the shared file pointer.");
FILE_IO(Write_shared, IO_SHARED, IO_WRITE, file_io)
CMPI_DOC(File_Read_ordered_doc, "Read_ordered($self, buf, status=None)",
         "Read at the shared file pointer, in rank order (collective).");
FILE_IO(Read_ordered, IO_ORDERED, IO_READ, file_io)
CMPI_DOC(File_Write_ordered_doc, "Write_ordered($self, buf, status=None)",
         "Write at the shared file pointer, in rank order (collective).");
FILE_IO(Write_ordered, IO_ORDERED, IO_WRITE, file_io)

CMPI_DOC(File_Iread_at_doc, "Iread_at($self, offset, buf)",
         "Nonblocking read at an explicit offset.");
FILE_IO(Iread_at, IO_AT, IO_READ, file_iio)
CMPI_DOC(File_Iread_at_all_doc, "Iread_at_all($self, offset, buf)",
         "Nonblocking collective read at an explicit offset.");
FILE_IO(Iread_at_all, IO_AT_ALL, IO_READ, file_iio)
CMPI_DOC(File_Iwrite_at_doc, "Iwrite_at($self, offset, buf)",
         "Nonblocking write at an explicit offset.");
FILE_IO(Iwrite_at, IO_AT, IO_WRITE, file_iio)
CMPI_DOC(File_Iwrite_at_all_doc, "Iwrite_at_all($self, offset, buf)",
         "Nonblocking collective write at an explicit offset.");
FILE_IO(Iwrite_at_all, IO_AT_ALL, IO_WRITE, file_iio)
CMPI_DOC(File_Iread_doc, "Iread($self, buf)",
         "Nonblocking read at this process's file pointer.");
FILE_IO(Iread, IO_IND, IO_READ, file_iio)
CMPI_DOC(File_Iread_all_doc, "Iread_all($self, buf)",
         "Nonblocking collective read at this process's file pointer.");
FILE_IO(Iread_all, IO_ALL, IO_READ, file_iio)
CMPI_DOC(File_Iwrite_doc, "Iwrite($self, buf)",
         "Nonblocking write at this process's file pointer.");
FILE_IO(Iwrite, IO_IND, IO_WRITE, file_iio)
CMPI_DOC(File_Iwrite_all_doc, "Iwrite_all($self, buf)",
         "Nonblocking collective write at this process's file pointer.");
FILE_IO(Iwrite_all, IO_ALL, IO_WRITE, file_iio)
CMPI_DOC(File_Iread_shared_doc, "Iread_shared($self, buf)",
         "Nonblocking read at the shared file pointer.");
FILE_IO(Iread_shared, IO_SHARED, IO_READ, file_iio)
CMPI_DOC(File_Iwrite_shared_doc, "Iwrite_shared($self, buf)",
         "Nonblocking write at the shared file pointer.");
FILE_IO(Iwrite_shared, IO_SHARED, IO_WRITE, file_iio)

CMPI_DOC(File_Read_at_all_begin_doc, "Read_at_all_begin($self, offset, buf)",
         "Start a split collective read at an explicit offset.");
FILE_IO(Read_at_all_begin, IO_AT_ALL, IO_READ, file_begin)
CMPI_DOC(File_Read_at_all_end_doc, "Read_at_all_end($self, buf, status=None)",
         "Complete a split collective read at an explicit offset.");
FILE_IO(Read_at_all_end, IO_AT_ALL, IO_READ, file_end)
CMPI_DOC(File_Write_at_all_begin_doc, "Write_at_all_begin($self, offset, buf)",
         "Start a split collective write at an explicit offset.");
FILE_IO(Write_at_all_begin, IO_AT_ALL, IO_WRITE, file_begin)
CMPI_DOC(File_Write_at_all_end_doc,
         "Write_at_all_end($self, buf, status=None)",
         "Complete a split collective write at an explicit offset.");
FILE_IO(Write_at_all_end, IO_AT_ALL, IO_WRITE, file_end)
CMPI_DOC(File_Read_all_begin_doc, "Read_all_begin($self, buf)",
         "Start a split collective read at this process's file pointer.");
FILE_IO(Read_all_begin, IO_ALL, IO_READ, file_begin)
CMPI_DOC(File_Read_all_end_doc, "Read_all_end($self, buf, status=None)",
         "Complete a split collective read at this process's file pointer.");
FILE_IO(Read_all_end, IO_ALL, IO_READ, file_end)
CMPI_DOC(File_Write_all_begin_doc, "Write_all_begin($self, buf)",
         "Start a split collective write at this process's file pointer.");
FILE_IO(Write_all_begin, IO_ALL, IO_WRITE, file_begin)
CMPI_DOC(File_Write_all_end_doc, "Write_all_end($self, buf, status=None)",
         "Complete a split collective write at this process's file "
         "pointer.");
FILE_IO(Write_all_end, IO_ALL, IO_WRITE, file_end)
CMPI_DOC(File_Read_ordered_begin_doc, "Read_ordered_begin($self, buf)",
         "Start a split collective ordered read.");
FILE_IO(Read_ordered_begin, IO_ORDERED, IO_READ, file_begin)
CMPI_DOC(File_Read_ordered_end_doc,
         "Read_ordered_end($self, buf, status=None)",
         "Complete a split collective ordered read.");
FILE_IO(Read_ordered_end, IO_ORDERED, IO_READ, file_end)
CMPI_DOC(File_Write_ordered_begin_doc, "Write_ordered_begin($self, buf)",
         "Start a split collective ordered write.");
FILE_IO(Write_ordered_begin, IO_ORDERED, IO_WRITE, file_begin)
CMPI_DOC(File_Write_ordered_end_doc,
         "Write_ordered_end($self, buf, status=None)",
         "Complete a split collective ordered write.");
FILE_IO(Write_ordered_end, IO_ORDERED, IO_WRITE, file_end)

/* ---- error handlers (helpers in win.c) ---- */

CMPI_DOC(File_Get_errhandler_doc, "Get_errhandler($self)",
         "Get the error handler for a file.");
static PyObject *
File_Get_errhandler(FileObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Errhandler eh = MPI_ERRHANDLER_NULL;
    /* FILE_NULL is valid here: its handler is the default for opens */
    int ierr = MPI_File_get_errhandler(self->ob_mpi, &eh);
    return cmpi_handle_errhandler_result(self->st, ierr, eh);
}

CMPI_DOC(File_Set_errhandler_doc, "Set_errhandler($self, errhandler)",
         "Set the error handler for a file (on FILE_NULL: the default for "
         "files opened later).");
static PyObject *
File_Set_errhandler(FileObject *self, PyObject *arg)
{
    MPI_Errhandler eh;
    if (cmpi_handle_errhandler_arg(self->st, arg, CMPI_ERRHANDLER_OF_FILE,
                                   &eh) < 0) {
        return NULL;
    }
    int ierr = MPI_File_set_errhandler(self->ob_mpi, eh);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(File_Set_errhandler, FileObject, "Set_errhandler",
                "errhandler")

CMPI_DOC(File_Call_errhandler_doc, "Call_errhandler($self, errorcode)",
         "Call the error handler installed on a file.");
static PyObject *
File_Call_errhandler(FileObject *self, PyObject *arg)
{
    int code, ierr;
    if (cmpi_as_int(arg, &code, "errorcode") < 0) {
        return NULL;
    }
    CMPI_NOGIL(ierr = MPI_File_call_errhandler(self->ob_mpi, code));
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    Py_RETURN_NONE;
}

CMPI_ONE_ARG_KW(File_Call_errhandler, FileObject, "Call_errhandler",
                "errorcode")

/* ---- properties ---- */

static PyObject *
File_get_size(FileObject *self, void *Py_UNUSED(c))
{
    return File_Get_size(self, NULL);
}

static PyObject *
File_get_amode(FileObject *self, void *Py_UNUSED(c))
{
    return File_Get_amode(self, NULL);
}

static PyObject *
File_get_group(FileObject *self, void *Py_UNUSED(c))
{
    return File_Get_group(self, NULL);
}

/* What the group_size and group_rank properties read of the file's
 * group. */
enum file_group_part {
    FILE_GROUP_SIZE,
    FILE_GROUP_RANK
};

static PyObject *
file_group_part(FileObject *self, enum file_group_part which)
{
    PyObject *g = File_Get_group(self, NULL);
    if (g == NULL) {
        return NULL;
    }
    int v = MPI_UNDEFINED;
    MPI_Group h = ((GroupObject *)g)->ob_mpi;
    int ierr = which == FILE_GROUP_RANK ? MPI_Group_rank(h, &v)
                                        : MPI_Group_size(h, &v);
    MPI_Group_free(&((GroupObject *)g)->ob_mpi);
    Py_DECREF(g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(v);
}

static PyObject *
File_get_group_size(FileObject *self, void *Py_UNUSED(c))
{
    return file_group_part(self, FILE_GROUP_SIZE);
}

static PyObject *
File_get_group_rank(FileObject *self, void *Py_UNUSED(c))
{
    return file_group_part(self, FILE_GROUP_RANK);
}

static PyObject *
File_get_info(FileObject *self, void *Py_UNUSED(c))
{
    return File_Get_info(self, NULL);
}

static int
File_set_info(FileObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete info");
        return -1;
    }
    PyObject *r = File_Set_info(self, value);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyObject *
File_get_atomicity(FileObject *self, void *Py_UNUSED(c))
{
    return File_Get_atomicity(self, NULL);
}

static int
File_set_atomicity(FileObject *self, PyObject *value, void *Py_UNUSED(c))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete atomicity");
        return -1;
    }
    PyObject *r = File_Set_atomicity(self, value);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static PyObject *
File_get_handle(FileObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

static PyObject *
File_repr(FileObject *self)
{
    if (self->ob_mpi == MPI_FILE_NULL) {
        return PyUnicode_FromString("<MPI.File: FILE_NULL>");
    }
    return PyUnicode_FromFormat("<MPI.File object at %p>", (void *)self);
}

#define FILE_M(NAME) {#NAME, FN(File_##NAME), FASTKW, File_##NAME##_doc}

static PyMethodDef File_methods[] = {
        {"Open", FN(File_Open), CLSFASTKW, File_Open_doc},
        {"Delete", FN(File_Delete), CLSFASTKW, File_Delete_doc},
        {"Close", (PyCFunction)File_Close, METH_NOARGS, File_Close_doc},
        {"Get_size", (PyCFunction)File_Get_size, METH_NOARGS,
         File_Get_size_doc},
        {"Set_size", FN(File_Set_size_kw), FASTKW, File_Set_size_doc},
        {"Preallocate", FN(File_Preallocate_kw), FASTKW, File_Preallocate_doc},
        {"Sync", (PyCFunction)File_Sync, METH_NOARGS, File_Sync_doc},
        {"Get_amode", (PyCFunction)File_Get_amode, METH_NOARGS,
         File_Get_amode_doc},
        {"Get_group", (PyCFunction)File_Get_group, METH_NOARGS,
         File_Get_group_doc},
        {"Get_info", (PyCFunction)File_Get_info, METH_NOARGS,
         File_Get_info_doc},
        {"Set_info", FN(File_Set_info_kw), FASTKW, File_Set_info_doc},
        {"Set_atomicity", FN(File_Set_atomicity_kw), FASTKW,
         File_Set_atomicity_doc},
        {"Get_atomicity", (PyCFunction)File_Get_atomicity, METH_NOARGS,
         File_Get_atomicity_doc},
        {"Get_type_extent", FN(File_Get_type_extent_kw), FASTKW,
         File_Get_type_extent_doc},
        FILE_M(Set_view),
        {"Get_view", (PyCFunction)File_Get_view, METH_NOARGS,
         File_Get_view_doc},
        FILE_M(Seek),
        FILE_M(Seek_shared),
        {"Get_position", (PyCFunction)File_Get_position, METH_NOARGS,
         File_Get_position_doc},
        {"Get_position_shared", (PyCFunction)File_Get_position_shared,
         METH_NOARGS, File_Get_position_shared_doc},
        {"Get_byte_offset", FN(File_Get_byte_offset_kw), FASTKW,
         File_Get_byte_offset_doc},
        FILE_M(Read_at),
        FILE_M(Read_at_all),
        FILE_M(Write_at),
        FILE_M(Write_at_all),
        FILE_M(Read),
        FILE_M(Read_all),
        FILE_M(Write),
        FILE_M(Write_all),
        FILE_M(Read_shared),
        FILE_M(Write_shared),
        FILE_M(Read_ordered),
        FILE_M(Write_ordered),
        FILE_M(Iread_at),
        FILE_M(Iread_at_all),
        FILE_M(Iwrite_at),
        FILE_M(Iwrite_at_all),
        FILE_M(Iread),
        FILE_M(Iread_all),
        FILE_M(Iwrite),
        FILE_M(Iwrite_all),
        FILE_M(Iread_shared),
        FILE_M(Iwrite_shared),
        FILE_M(Read_at_all_begin),
        FILE_M(Read_at_all_end),
        FILE_M(Write_at_all_begin),
        FILE_M(Write_at_all_end),
        FILE_M(Read_all_begin),
        FILE_M(Read_all_end),
        FILE_M(Write_all_begin),
        FILE_M(Write_all_end),
        FILE_M(Read_ordered_begin),
        FILE_M(Read_ordered_end),
        FILE_M(Write_ordered_begin),
        FILE_M(Write_ordered_end),
        {"Get_errhandler", (PyCFunction)File_Get_errhandler, METH_NOARGS,
         File_Get_errhandler_doc},
        {"Create_errhandler", FN(File_Create_errhandler), CLSFASTKW,
         File_Create_errhandler_doc},
        {"Set_errhandler", FN(File_Set_errhandler_kw), FASTKW,
         File_Set_errhandler_doc},
        {"Call_errhandler", FN(File_Call_errhandler_kw), FASTKW,
         File_Call_errhandler_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef File_getset[] = {
        {"size", (getter)File_get_size, NULL, "Size in bytes.", NULL},
        {"amode", (getter)File_get_amode, NULL, "Access mode.", NULL},
        {"group", (getter)File_get_group, NULL, "Group.", NULL},
        {"group_size", (getter)File_get_group_size, NULL,
         "Number of processes in group.", NULL},
        {"group_rank", (getter)File_get_group_rank, NULL,
         "Rank of this process in group.", NULL},
        {"info", (getter)File_get_info, (setter)File_set_info, "Info hints.",
         NULL},
        {"atomicity", (getter)File_get_atomicity, (setter)File_set_atomicity,
         "Atomic mode.", NULL},
        {"handle", (getter)File_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(File_doc, "File(file=None)\n--\n\nFile handle for parallel I/O.");

static PyMemberDef File_members[] = {
        CMPI_WEAKLIST_MEMBER(FileObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot File_slots[] = {
        {Py_tp_members, File_members},
        {Py_tp_doc, (void *)File_doc},
        {Py_tp_new, File_new},
        {Py_tp_dealloc, File_dealloc},
        {Py_tp_traverse, File_traverse},
        {Py_tp_richcompare, File_richcompare},
        {Py_tp_repr, File_repr},
        {Py_nb_bool, File_bool},
        {Py_tp_methods, File_methods},
        {Py_tp_getset, File_getset},
        {0, NULL},
};

static PyType_Spec File_spec = {
        .name = "cmpi.MPI.File",
        .basicsize = sizeof(FileObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
        .slots = File_slots,
};

/* ---- user-defined data representations ---- */

/* What MPI_Register_datarep keeps as extra_state for one representation.
 * MPI has no call to unregister a representation: MPI calls its functions
 * until MPI_Finalize, so this and the Python functions it holds are never
 * freed. */
typedef struct {
    cmpi_state *st;
    PyObject *read_fn;  /* a callable, or NULL for MPI_CONVERSION_FN_NULL */
    PyObject *write_fn; /* likewise */
    PyObject *extent_fn;
} datarep_fns;

/* Call read_fn or write_fn as mpi4py does: fn(userbuf, datatype, count,
 * filebuf, position), userbuf covering the first position + count items
 * of `datatype` and filebuf as long as a buffer can be, since MPI does
 * not say how many bytes the file side holds (the function knows the
 * representation).  The side converted from is read-only.  The Datatype
 * object is emptied afterwards: the handle is MPI's, valid only during
 * the call. */
static int
datarep_convert(PyObject *fn, cmpi_state *st, void *userbuf,
                MPI_Datatype datatype, int count, void *filebuf,
                MPI_Offset position, int reading)
{
    MPI_Aint lb, extent;
    int ierr = MPI_Type_get_extent(datatype, &lb, &extent);
    if (ierr != MPI_SUCCESS) {
        return ierr;
    }
    if (!Py_IsInitialized() || cmpi_python_finalizing()) {
        return MPI_ERR_INTERN;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *ubuf = PyMemoryView_FromMemory(
            userbuf, (Py_ssize_t)((position + count) * extent),
            reading ? PyBUF_WRITE : PyBUF_READ);
    PyObject *fbuf =
            ubuf ? PyMemoryView_FromMemory(filebuf, PY_SSIZE_T_MAX,
                                           reading ? PyBUF_READ : PyBUF_WRITE)
                 : NULL;
    PyObject *dt = fbuf ? cmpi_datatype_new(st, datatype, CMPI_CONST) : NULL;
    PyObject *r = dt ? PyObject_CallFunction(fn, "OOiOL", ubuf, dt, count,
                                             fbuf, (long long)position)
                     : NULL;
    ierr = r ? MPI_SUCCESS : cmpi_callback_error(st);
    if (dt != NULL) {
        ((DatatypeObject *)dt)->ob_mpi = MPI_DATATYPE_NULL;
    }
    Py_XDECREF(r);
    Py_XDECREF(dt);
    Py_XDECREF(fbuf);
    Py_XDECREF(ubuf);
    PyGILState_Release(gil);
    return ierr;
}

static int
datarep_read(void *userbuf, MPI_Datatype datatype, int count, void *filebuf,
             MPI_Offset position, void *extra_state)
{
    datarep_fns *f = extra_state;
    return datarep_convert(f->read_fn, f->st, userbuf, datatype, count,
                           filebuf, position, 1);
}

static int
datarep_write(void *userbuf, MPI_Datatype datatype, int count, void *filebuf,
              MPI_Offset position, void *extra_state)
{
    datarep_fns *f = extra_state;
    return datarep_convert(f->write_fn, f->st, userbuf, datatype, count,
                           filebuf, position, 0);
}

/* extent_fn(datatype) -> the datatype's extent in the file */
static int
datarep_extent(MPI_Datatype datatype, MPI_Aint *file_extent, void *extra_state)
{
    datarep_fns *f = extra_state;
    if (!Py_IsInitialized() || cmpi_python_finalizing()) {
        return MPI_ERR_INTERN;
    }
    PyGILState_STATE gil = PyGILState_Ensure();
    int ierr = MPI_SUCCESS;
    PyObject *dt = cmpi_datatype_new(f->st, datatype, CMPI_CONST);
    PyObject *r = dt ? PyObject_CallOneArg(f->extent_fn, dt) : NULL;
    Py_ssize_t v = r ? PyNumber_AsSsize_t(r, PyExc_OverflowError) : -1;
    if (v == -1 && PyErr_Occurred()) {
        ierr = cmpi_callback_error(f->st);
    }
    else {
        *file_extent = (MPI_Aint)v;
    }
    if (dt != NULL) {
        ((DatatypeObject *)dt)->ob_mpi = MPI_DATATYPE_NULL;
    }
    Py_XDECREF(r);
    Py_XDECREF(dt);
    PyGILState_Release(gil);
    return ierr;
}

/* A conversion function: None (MPI_CONVERSION_FN_NULL: the data is
 * copied as is) or a callable; anything else is refused at once, since a
 * registration cannot be undone. */
static int
datarep_fn_arg(PyObject *fn, const char *what, int none_ok, PyObject **out)
{
    if (none_ok && fn == Py_None) {
        *out = NULL;
        return 0;
    }
    if (!PyCallable_Check(fn)) {
        PyErr_Format(PyExc_TypeError, "%s must be callable%s, not %.100s",
                     what, none_ok ? " or None" : "", Py_TYPE(fn)->tp_name);
        return -1;
    }
    *out = fn;
    return 0;
}

CMPI_DOC(Register_datarep_doc,
         "Register_datarep(datarep, read_fn, write_fn, extent_fn)",
         "Register a user-defined data representation.  read_fn and "
         "write_fn (or None: no conversion) are called as fn(userbuf, "
         "datatype, count, filebuf, position); extent_fn(datatype) returns "
         "the datatype's extent in the file.");
static PyObject *
mod_Register_datarep(PyObject *m, PyObject *const *args, Py_ssize_t nargs,
                     PyObject *kwnames)
{
    static const char *const kw[] = {"datarep", "read_fn", "write_fn",
                                     "extent_fn", NULL};
    PyObject *a[4] = {NULL, NULL, NULL, NULL};
    PyObject *read_fn, *write_fn, *extent_fn;
    cmpi_state *st = cmpi_get_state(m);
    const char *datarep;
    Py_ssize_t len;
    if (cmpi_parse("Register_datarep", args, nargs, kwnames, kw, 4, a) < 0 ||
        (datarep = cmpi_as_mpistr(a[0], &len, "datarep")) == NULL ||
        datarep_fn_arg(a[1], "read_fn", 1, &read_fn) < 0 ||
        datarep_fn_arg(a[2], "write_fn", 1, &write_fn) < 0 ||
        datarep_fn_arg(a[3], "extent_fn", 0, &extent_fn) < 0) {
        return NULL;
    }
    datarep_fns *f = PyMem_RawMalloc(sizeof *f);
    if (f == NULL) {
        return PyErr_NoMemory();
    }
    f->st = st;
    f->read_fn = read_fn;
    f->write_fn = write_fn;
    f->extent_fn = extent_fn;
    int ierr = MPI_Register_datarep(
            (char *)datarep, read_fn ? datarep_read : MPI_CONVERSION_FN_NULL,
            write_fn ? datarep_write : MPI_CONVERSION_FN_NULL, datarep_extent,
            f);
    if (ierr != MPI_SUCCESS) {
        PyMem_RawFree(f);
        return cmpi_raise(st, ierr);
    }
    /* MPI keeps f until MPI_Finalize (see datarep_fns) */
    Py_XINCREF(read_fn);
    Py_XINCREF(write_fn);
    Py_INCREF(extent_fn);
    Py_RETURN_NONE;
}

#define CMPI_FILE_MODULE_METHODS                           \
    {"Register_datarep", FN(mod_Register_datarep), FASTKW, \
     Register_datarep_doc},

static int
cmpi_file_init(PyObject *m, cmpi_state *st)
{
    st->File_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &File_spec, NULL);
    if (st->File_Type == NULL || PyModule_AddType(m, st->File_Type) < 0) {
        return -1;
    }
    if (cmpi_add(m, "FILE_NULL",
                 cmpi_file_alloc(st, st->File_Type, MPI_FILE_NULL,
                                 CMPI_CONST)) < 0) {
        return -1;
    }
    static const struct {
        const char *name;
        int value;
    } consts[] = {
            {"MODE_RDONLY", MPI_MODE_RDONLY},
            {"MODE_WRONLY", MPI_MODE_WRONLY},
            {"MODE_RDWR", MPI_MODE_RDWR},
            {"MODE_CREATE", MPI_MODE_CREATE},
            {"MODE_EXCL", MPI_MODE_EXCL},
            {"MODE_DELETE_ON_CLOSE", MPI_MODE_DELETE_ON_CLOSE},
            {"MODE_UNIQUE_OPEN", MPI_MODE_UNIQUE_OPEN},
            {"MODE_SEQUENTIAL", MPI_MODE_SEQUENTIAL},
            {"MODE_APPEND", MPI_MODE_APPEND},
            {"SEEK_SET", MPI_SEEK_SET},
            {"SEEK_CUR", MPI_SEEK_CUR},
            {"SEEK_END", MPI_SEEK_END},
            {"MAX_DATAREP_STRING", MPI_MAX_DATAREP_STRING},
    };
    for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++) {
        if (PyModule_AddIntConstant(m, consts[i].name, consts[i].value) < 0) {
            return -1;
        }
    }
    /* DISP_CUR: mpi4py's other name */
    PyObject *dc = PyLong_FromLongLong((long long)MPI_DISPLACEMENT_CURRENT);
    if (cmpi_add(m, "DISPLACEMENT_CURRENT", Py_XNewRef(dc)) < 0) {
        Py_XDECREF(dc);
        return -1;
    }
    return cmpi_add(m, "DISP_CUR", dc);
}

/* MPI.c includes every area file into one translation unit: this
 * file's own macros end with it. */
#undef FILE_CHECK
#undef FILE_IO
#undef FILE_M
