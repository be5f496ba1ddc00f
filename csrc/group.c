/*
 * group.c -- MPI.Group: ordered sets of processes, and the communicator
 * calls that take or give one (Comm.Get_group, Comm.Create).
 */
#include "cmpi.h"

static PyObject *
cmpi_group_new(cmpi_state *st, PyTypeObject *type, MPI_Group g, unsigned flags)
{
    GroupObject *self = (GroupObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->ob_mpi = g;
    self->flags = flags;
    self->st = st;
    return (PyObject *)self;
}

static PyObject *
Group_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"group", NULL};
    PyObject *other = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O:Group", kwlist, &other)) {
        return NULL;
    }
    cmpi_state *st = cmpi_type_state(type);
    if (st == NULL) {
        return NULL;
    }
    MPI_Group g = MPI_GROUP_NULL;
    if (other != NULL && other != Py_None) {
        if (!PyObject_TypeCheck(other, st->Group_Type)) {
            PyErr_Format(PyExc_TypeError, "expected a Group, got %.100s",
                         Py_TYPE(other)->tp_name);
            return NULL;
        }
        g = ((GroupObject *)other)->ob_mpi;
    }
    PyObject *self = cmpi_group_new(st, type, g, 0);
    if (self != NULL && other != NULL && other != Py_None) {
        cmpi_handle_link(self, other, CMPI_HK_GROUP);
    }
    return self;
}

static void
Group_dealloc(GroupObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    cmpi_clear_weakrefs((PyObject *)self, self->weakreflist);
    cmpi_handle_unlink((PyObject *)self, CMPI_HK_GROUP);
    tp->tp_free(self);
    Py_DECREF(tp);
}

CMPI_HANDLE_SLOTS(Group_richcompare, Group_bool, CMPI_HK_GROUP)

static Py_hash_t
Group_hash(GroupObject *self)
{
    return cmpi_hash_handle((intptr_t)self->ob_mpi);
}

static int
cmpi_group_arg(cmpi_state *st, PyObject *obj, MPI_Group *g, const char *what)
{
    if (!PyObject_TypeCheck(obj, st->Group_Type)) {
        PyErr_Format(PyExc_TypeError, "%s must be a Group, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    *g = ((GroupObject *)obj)->ob_mpi;
    return 0;
}

static PyObject *
group_result(GroupObject *self, int ierr, MPI_Group g)
{
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_group_new(self->st, self->st->Group_Type, g, 0);
}

CMPI_DOC(Group_Get_size_doc, "Get_size($self)",
         "Return the number of processes in a group.");
static PyObject *
Group_Get_size(GroupObject *self, PyObject *Py_UNUSED(a))
{
    int size;
    int ierr = MPI_Group_size(self->ob_mpi, &size);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(size);
}

CMPI_DOC(Group_Get_rank_doc, "Get_rank($self)",
         "Return the rank of this process in a group (UNDEFINED if not a "
         "member).");
static PyObject *
Group_Get_rank(GroupObject *self, PyObject *Py_UNUSED(a))
{
    int rank;
    int ierr = MPI_Group_rank(self->ob_mpi, &rank);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(rank);
}

static PyObject *
Group_get_size(GroupObject *self, void *Py_UNUSED(c))
{
    return Group_Get_size(self, NULL);
}

static PyObject *
Group_get_rank(GroupObject *self, void *Py_UNUSED(c))
{
    return Group_Get_rank(self, NULL);
}

/* Whether a list of ranks may hold PROC_NULL (Translate_ranks' ranks1
 * may, as in MPI) or only members' ranks. */
enum group_proc_null {
    GROUP_MEMBERS_ONLY,
    GROUP_PROC_NULL_OK
};

/* A list of ranks of this group; each must be a member's rank (or
 * PROC_NULL, where `proc_null` says it may be). */
static int
group_ranks_(GroupObject *self, PyObject *obj, int **out, int *n,
             enum group_proc_null proc_null)
{
    if (cmpi_int_array(obj, out, n, "ranks") < 0) {
        return -1;
    }
    int size = 0;
    MPI_Group_size(self->ob_mpi, &size);
    for (int i = 0; i < *n; i++) {
        if (proc_null == GROUP_PROC_NULL_OK && (*out)[i] == MPI_PROC_NULL) {
            continue;
        }
        if ((*out)[i] < 0 || (*out)[i] >= size) {
            cmpi_raise_msg(self->st, MPI_ERR_RANK,
                           "invalid rank: ranks[%d]=%d, the group has %d "
                           "process%s",
                           i, (*out)[i], size, size == 1 ? "" : "es");
            PyMem_Free(*out);
            *out = NULL;
            return -1;
        }
    }
    return 0;
}

static int
group_ranks(GroupObject *self, PyObject *obj, int **out, int *n)
{
    return group_ranks_(self, obj, out, n, GROUP_MEMBERS_ONLY);
}

/* Whether Incl/Range_incl (keep the ranks named) or Excl/Range_excl
 * (keep the others) makes the new group. */
enum group_pick {
    GROUP_INCL,
    GROUP_EXCL
};

static PyObject *
incl_excl(GroupObject *self, PyObject *arg, enum group_pick pick)
{
    int *ranks = NULL, n = 0;
    MPI_Group g = MPI_GROUP_NULL;
    if (group_ranks(self, arg, &ranks, &n) < 0) {
        return NULL;
    }
    int ierr = pick == GROUP_INCL ? MPI_Group_incl(self->ob_mpi, n, ranks, &g)
                                  : MPI_Group_excl(self->ob_mpi, n, ranks, &g);
    PyMem_Free(ranks);
    return group_result(self, ierr, g);
}

CMPI_DOC(Group_Incl_doc, "Incl($self, ranks)",
         "Create a new group from members of an existing group.");
static PyObject *
Group_Incl(GroupObject *self, PyObject *arg)
{
    return incl_excl(self, arg, GROUP_INCL);
}

CMPI_ONE_ARG_KW(Group_Incl, GroupObject, "Incl", "ranks")

CMPI_DOC(Group_Excl_doc, "Excl($self, ranks)",
         "Create a new group by excluding listed members.");
static PyObject *
Group_Excl(GroupObject *self, PyObject *arg)
{
    return incl_excl(self, arg, GROUP_EXCL);
}

CMPI_ONE_ARG_KW(Group_Excl, GroupObject, "Excl", "ranks")

static PyObject *
range_incl_excl(GroupObject *self, PyObject *arg, enum group_pick pick)
{
    PyObject *seq = PySequence_Fast(arg,
                                    "ranks must be a sequence of "
                                    "(first, last, stride) triplets");
    if (seq == NULL) {
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    int(*ranges)[3] = PyMem_Malloc(sizeof(int[3]) * (size_t)(n ? n : 1));
    PyObject *res = NULL;
    if (ranges == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *t = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *tri = NULL;
        /* a str item is unpacked as mpi4py unpacks it (ValueError for
         * the wrong length, then TypeError for its characters) */
        if (PySequence_Check(t) && !PyBytes_Check(t)) {
            tri = PySequence_Fast(t, "");
        }
        else {
            PyErr_Clear();
        }
        Py_ssize_t k = tri ? PySequence_Fast_GET_SIZE(tri) : -1;
        if (k != 2 && k != 3) {
            Py_XDECREF(tri);
            PyErr_Clear();
            PyErr_Format(k < 0 ? PyExc_TypeError : PyExc_ValueError,
                         "ranks[%zd] must be a (first, last, stride) "
                         "triple, not %.100s%s",
                         i, Py_TYPE(t)->tp_name,
                         k < 0 ? "" : " of another length");
            goto done;
        }
        ranges[i][2] = 1;
        for (Py_ssize_t j = 0; j < k; j++) {
            static const char *const what[] = {
                    "ranks[i] first", "ranks[i] last", "ranks[i] stride"};
            if (cmpi_item_as_int(PySequence_Fast_GET_ITEM(tri, j),
                                 &ranges[i][j], what[j]) < 0) {
                Py_DECREF(tri);
                goto done;
            }
        }
        Py_DECREF(tri);
        int size = 0;
        MPI_Group_size(self->ob_mpi, &size);
        int first = ranges[i][0], last = ranges[i][1], stride = ranges[i][2];
        if (first < 0 || first >= size || last < 0 || last >= size) {
            cmpi_raise_msg(self->st, MPI_ERR_RANK,
                           "invalid rank: ranks[%zd]=(%d, %d, %d) names a "
                           "rank outside the group of %d process%s",
                           i, first, last, stride, size,
                           size == 1 ? "" : "es");
            goto done;
        }
        if (stride == 0 || (last - first) / stride < 0) {
            cmpi_raise_msg(self->st, MPI_ERR_ARG,
                           "invalid range: ranks[%zd]=(%d, %d, %d), the "
                           "stride must be nonzero and lead from first to "
                           "last",
                           i, first, last, stride);
            goto done;
        }
    }
    MPI_Group g = MPI_GROUP_NULL;
    int ierr =
            pick == GROUP_INCL
                    ? MPI_Group_range_incl(self->ob_mpi, (int)n, ranges, &g)
                    : MPI_Group_range_excl(self->ob_mpi, (int)n, ranges, &g);
    res = group_result(self, ierr, g);
done:
    PyMem_Free(ranges);
    Py_DECREF(seq);
    return res;
}

CMPI_DOC(Group_Range_incl_doc, "Range_incl($self, ranks)",
         "Create a new group from ranges of members.");
static PyObject *
Group_Range_incl(GroupObject *self, PyObject *arg)
{
    return range_incl_excl(self, arg, GROUP_INCL);
}

CMPI_ONE_ARG_KW(Group_Range_incl, GroupObject, "Range_incl", "ranks")

CMPI_DOC(Group_Range_excl_doc, "Range_excl($self, ranks)",
         "Create a new group by excluding ranges of members.");
static PyObject *
Group_Range_excl(GroupObject *self, PyObject *arg)
{
    return range_incl_excl(self, arg, GROUP_EXCL);
}

CMPI_ONE_ARG_KW(Group_Range_excl, GroupObject, "Range_excl", "ranks")

static PyObject *
set_op(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
       PyObject *kwnames, const char *fname,
       int (*fn)(MPI_Group, MPI_Group, MPI_Group *))
{
    static const char *const kw[] = {"group1", "group2", NULL};
    PyObject *a[2] = {NULL, NULL};
    cmpi_state *st = cmpi_type_state(cls);
    MPI_Group g1, g2, g = MPI_GROUP_NULL;
    if (st == NULL || cmpi_parse(fname, args, nargs, kwnames, kw, 2, a) < 0 ||
        cmpi_group_arg(st, a[0], &g1, "group1") < 0 ||
        cmpi_group_arg(st, a[1], &g2, "group2") < 0) {
        return NULL;
    }
    int ierr = fn(g1, g2, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    return cmpi_group_new(st, st->Group_Type, g, 0);
}

CMPI_DOC(Group_Union_doc, "Union(group1, group2)",
         "Create a new group from the union of two existing groups.");
static PyObject *
Group_Union(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    return set_op(cls, args, nargs, kwnames, "Union", MPI_Group_union);
}

CMPI_DOC(Group_Intersection_doc, "Intersection(group1, group2)",
         "Create a new group from the intersection of two existing groups.");
static PyObject *
Group_Intersection(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                   PyObject *kwnames)
{
    return set_op(cls, args, nargs, kwnames, "Intersection",
                  MPI_Group_intersection);
}

CMPI_DOC(Group_Intersect_doc, "Intersect(group1, group2)",
         "Create a new group from the intersection of two existing groups "
         "(alias of Intersection).");

CMPI_DOC(Group_Difference_doc, "Difference(group1, group2)",
         "Create a new group from the difference of two existing groups.");
static PyObject *
Group_Difference(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
    return set_op(cls, args, nargs, kwnames, "Difference",
                  MPI_Group_difference);
}

CMPI_DOC(Group_Translate_ranks_doc,
         "Translate_ranks($self, ranks=None, group=None)",
         "Translate ranks in this group to the corresponding ranks in "
         "another group.");
static PyObject *
Group_Translate_ranks(GroupObject *self, PyObject *const *args,
                      Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const kw[] = {"ranks", "group", NULL};
    PyObject *a[2] = {NULL, NULL};
    int *r1 = NULL, *r2 = NULL, n = 0;
    MPI_Group other = MPI_GROUP_EMPTY;
    PyObject *res = NULL;
    if (cmpi_parse("Translate_ranks", args, nargs, kwnames, kw, 0, a) < 0) {
        return NULL;
    }
    if (a[1] != NULL && a[1] != Py_None &&
        cmpi_group_arg(self->st, a[1], &other, "group") < 0) {
        return NULL;
    }
    if (a[0] == NULL || a[0] == Py_None) {
        MPI_Group_size(self->ob_mpi, &n);
        r1 = PyMem_New(int, n ? n : 1);
        if (r1 == NULL) {
            return PyErr_NoMemory();
        }
        for (int i = 0; i < n; i++) {
            r1[i] = i;
        }
    }
    else if (group_ranks_(self, a[0], &r1, &n, GROUP_PROC_NULL_OK) < 0) {
        return NULL;
    }
    r2 = PyMem_New(int, n ? n : 1);
    if (r2 == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* no group: the ranks in COMM_WORLD */
    MPI_Group world = MPI_GROUP_NULL;
    if (a[1] == NULL || a[1] == Py_None) {
        int ierr = MPI_Comm_group(MPI_COMM_WORLD, &world);
        if (ierr != MPI_SUCCESS) {
            cmpi_raise(self->st, ierr);
            goto done;
        }
        other = world;
    }
    int ierr = MPI_Group_translate_ranks(self->ob_mpi, n, r1, other, r2);
    if (world != MPI_GROUP_NULL) {
        MPI_Group_free(&world);
    }
    if (ierr != MPI_SUCCESS) {
        cmpi_raise(self->st, ierr);
        goto done;
    }
    res = PyList_New(n);
    for (int i = 0; res && i < n; i++) {
        PyList_SET_ITEM(res, i, PyLong_FromLong(r2[i]));
    }
done:
    PyMem_Free(r1);
    PyMem_Free(r2);
    return res;
}

CMPI_DOC(Group_Compare_doc, "Compare($self, group)",
         "Compare two groups: IDENT, SIMILAR or UNEQUAL.");
static PyObject *
Group_Compare(GroupObject *self, PyObject *arg)
{
    MPI_Group other;
    int result;
    if (cmpi_group_arg(self->st, arg, &other, "group") < 0) {
        return NULL;
    }
    int ierr = MPI_Group_compare(self->ob_mpi, other, &result);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return PyLong_FromLong(result);
}

CMPI_ONE_ARG_KW(Group_Compare, GroupObject, "Compare", "group")

CMPI_DOC(Group_Dup_doc, "Dup($self)", "Duplicate a group.");
static PyObject *
Group_Dup(GroupObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Group g = MPI_GROUP_NULL;
    int none = 0;
    int ierr = MPI_Group_excl(self->ob_mpi, 0, &none, &g);
    return group_result(self, ierr, g);
}

static PyObject *
Group_get_handle(GroupObject *self, void *Py_UNUSED(c))
{
    return PyLong_FromVoidPtr((void *)(intptr_t)self->ob_mpi);
}

CMPI_DOC(Group_Free_doc, "Free($self)", "Free a group.");
static PyObject *
Group_Free(GroupObject *self, PyObject *Py_UNUSED(a))
{
    if (self->flags & CMPI_CONST) {
        return cmpi_raise_msg(self->st, MPI_ERR_GROUP,
                              "cannot free a predefined group");
    }
    CMPI_STALE_CHECK(self, CMPI_HK_GROUP);
    int ierr = MPI_Group_free(&self->ob_mpi);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    cmpi_handle_freed((PyObject *)self, CMPI_HK_GROUP, NULL);
    Py_RETURN_NONE;
}

static PyMethodDef Group_methods[] = {
        {"Get_size", (PyCFunction)Group_Get_size, METH_NOARGS,
         Group_Get_size_doc},
        {"Get_rank", (PyCFunction)Group_Get_rank, METH_NOARGS,
         Group_Get_rank_doc},
        {"Incl", FN(Group_Incl_kw), FASTKW, Group_Incl_doc},
        {"Excl", FN(Group_Excl_kw), FASTKW, Group_Excl_doc},
        {"Range_incl", FN(Group_Range_incl_kw), FASTKW, Group_Range_incl_doc},
        {"Range_excl", FN(Group_Range_excl_kw), FASTKW, Group_Range_excl_doc},
        {"Union", FN(Group_Union), CLSFASTKW, Group_Union_doc},
        {"Intersection", FN(Group_Intersection), CLSFASTKW,
         Group_Intersection_doc},
        {"Difference", FN(Group_Difference), CLSFASTKW, Group_Difference_doc},
        {"Translate_ranks", FN(Group_Translate_ranks), FASTKW,
         Group_Translate_ranks_doc},
        {"Compare", FN(Group_Compare_kw), FASTKW, Group_Compare_doc},
        {"Dup", (PyCFunction)Group_Dup, METH_NOARGS, Group_Dup_doc},
        {"Intersect", FN(Group_Intersection), CLSFASTKW, Group_Intersect_doc},
        {"Free", (PyCFunction)Group_Free, METH_NOARGS, Group_Free_doc},
        {NULL, NULL, 0, NULL},
};

static PyGetSetDef Group_getset[] = {
        {"size", (getter)Group_get_size, NULL, "Number of processes.", NULL},
        {"rank", (getter)Group_get_rank, NULL, "Rank of this process.", NULL},
        {"handle", (getter)Group_get_handle, NULL, "MPI handle.", NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

PyDoc_STRVAR(Group_doc, "Group(group=None)\n--\n\nGroup of processes.");

static PyMemberDef Group_members[] = {
        CMPI_WEAKLIST_MEMBER(GroupObject),
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot Group_slots[] = {
        {Py_tp_members, Group_members},
        {Py_tp_doc, (void *)Group_doc},
        {Py_tp_new, Group_new},
        {Py_tp_dealloc, Group_dealloc},
        {Py_tp_richcompare, Group_richcompare},
        {Py_tp_hash, Group_hash},
        {Py_nb_bool, Group_bool},
        {Py_tp_methods, Group_methods},
        {Py_tp_getset, Group_getset},
        {0, NULL},
};

static PyType_Spec Group_spec = {
        .name = "cmpi.MPI.Group",
        .basicsize = sizeof(GroupObject),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
        .slots = Group_slots,
};

/* Communicator calls that deal in groups. */

CMPI_DOC(Comm_Get_group_doc, "Get_group($self)",
         "Access the group associated with a communicator.");
static PyObject *
Comm_Get_group(CommObject *self, PyObject *Py_UNUSED(a))
{
    MPI_Group g;
    if (cmpi_comm_check(self) < 0) {
        return NULL;
    }
    int ierr = MPI_Comm_group(self->ob_mpi, &g);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_group_new(self->st, self->st->Group_Type, g, 0);
}

static PyObject *
Comm_get_group(CommObject *self, void *Py_UNUSED(c))
{
    return Comm_Get_group(self, NULL);
}

CMPI_DOC(Comm_Create_doc, "Create($self, group)",
         "Create a communicator from a group (collective over this "
         "communicator).");
static PyObject *
Comm_Create(CommObject *self, PyObject *arg)
{
    MPI_Group g;
    MPI_Comm h;
    int ierr;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_group_arg(self->st, arg, &g, "group") < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Create", self->ob_mpi,
                    ierr = MPI_Comm_create(self->ob_mpi, g, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, cmpi_comm_plain_type(self), h);
}

CMPI_ONE_ARG_KW(Comm_Create, CommObject, "Create", "group")

CMPI_DOC(Comm_Create_group_doc, "Create_group($self, group, tag=0)",
         "Create a communicator from a group (collective over the group "
         "only).");
static PyObject *
Comm_Create_group(CommObject *self, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"group", "tag", NULL};
    PyObject *a[2] = {NULL, NULL};
    MPI_Group g;
    MPI_Comm h;
    int tag, ierr;
    if (cmpi_comm_check(self) < 0 ||
        cmpi_parse("Create_group", args, nargs, kwnames, kw, 1, a) < 0 ||
        cmpi_group_arg(self->st, a[0], &g, "group") < 0 ||
        cmpi_opt_int(a[1], &tag, 0, "tag") < 0) {
        return NULL;
    }
    CMPI_NOGIL_CALL("Create_group", self->ob_mpi,
                    ierr = MPI_Comm_create_group(self->ob_mpi, g, tag, &h));
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(self->st, ierr);
    }
    return cmpi_comm_wrap_new(self, Py_TYPE(self), h);
}

#define CMPI_GROUP_COMM_METHODS                                      \
    {"Get_group", (PyCFunction)Comm_Get_group, METH_NOARGS,          \
     Comm_Get_group_doc},                                            \
            {"Create", FN(Comm_Create_kw), FASTKW, Comm_Create_doc}, \
            {"Create_group", FN(Comm_Create_group), FASTKW,          \
             Comm_Create_group_doc},

static int
cmpi_group_init(PyObject *m, cmpi_state *st)
{
    st->Group_Type =
            (PyTypeObject *)PyType_FromModuleAndSpec(m, &Group_spec, NULL);
    if (st->Group_Type == NULL || PyModule_AddType(m, st->Group_Type) < 0) {
        return -1;
    }
    if (cmpi_add(m, "GROUP_NULL",
                 cmpi_group_new(st, st->Group_Type, MPI_GROUP_NULL,
                                CMPI_CONST)) < 0 ||
        cmpi_add(m, "GROUP_EMPTY",
                 cmpi_group_new(st, st->Group_Type, MPI_GROUP_EMPTY,
                                CMPI_CONST)) < 0) {
        return -1;
    }
    return 0;
}
