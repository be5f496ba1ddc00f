/*
 * args.c -- argument parsing for METH_FASTCALL methods, and the checks of
 * ranks, tags and roots that turn a bad argument into a clear exception
 * naming it, before MPI sees it.
 *
 * Keyword arguments are matched against a NULL-terminated list of names;
 * no kwargs dict is ever built (that costs more than the MPI call itself).
 */
#include "cmpi.h"

#include <math.h>

/* Keyword names are (nearly always) compact ASCII strings: compare their
 * bytes directly, which costs a fraction of PyUnicode_CompareWith... */
static inline int
kw_equal(PyObject *key, const char *name)
{
    if (CMPI_LIKELY(PyUnicode_IS_COMPACT_ASCII(key))) {
        /* keyword names are short: a byte loop beats a libc call */
        Py_ssize_t n = PyUnicode_GET_LENGTH(key), i = 0;
        const char *d = (const char *)PyUnicode_DATA(key);
        while (i < n && name[i] == d[i]) {
            i++;
        }
        return i == n && name[n] == '\0';
    }
    return PyUnicode_CompareWithASCIIString(key, name) == 0;
}

/* The interned strings of a names list.  The keyword names of a call
 * site are interned (the compiler interns identifiers), so they are found
 * by comparing pointers, without reading a byte.  A names list's
 * interned strings are made once and kept in a small open-addressing
 * table keyed by the list's address and checked against its entries
 * (the name pointers): a list built on the stack (coll_parse) may sit
 * where another one was.  NULL when they cannot be had (table full, no
 * memory): the caller compares bytes. */
#define KW_TABLE_SLOTS 1024 /* a power of two; about 200 lists exist */
/* A call site passes the same keyword names tuple at every call (a
 * constant of its code object): each entry keeps the last tuple it matched
 * (a reference, so that its address stays its own) and where each of its
 * names goes, and a call with that tuple again skips the matching: about
 * 60 instructions of a call with two keywords. */
#define KW_MAP_MAX 8
typedef struct {
    const char *const *names;
    int n;
    /* n interned strings, then the n name pointers they stand for */
    PyObject **interned;
    PyObject *last_kwnames;
    signed char last_map[KW_MAP_MAX];
} kw_entry;
static kw_entry kw_table[KW_TABLE_SLOTS];

static CMPI_NOINLINE PyObject **
kw_intern(const char *const *names, int nnames, size_t slot)
{
    PyObject **interned =
            PyMem_Malloc(2 * sizeof(PyObject *) * (size_t)(nnames + 1));
    if (interned == NULL) {
        return NULL;
    }
    const char **ptrs = (const char **)(interned + nnames);
    for (int j = 0; j < nnames; j++) {
        ptrs[j] = names[j];
        interned[j] = PyUnicode_InternFromString(names[j]);
        if (interned[j] == NULL) {
            PyErr_Clear(); /* compared by bytes instead */
            while (j-- > 0) {
                Py_DECREF(interned[j]);
            }
            PyMem_Free(interned);
            return NULL;
        }
    }
    /* kept for the life of the process, as the names lists are */
    kw_table[slot].names = names;
    kw_table[slot].n = nnames;
    kw_table[slot].interned = interned;
    return interned;
}

/* Does table entry `slot` hold the names list `names` as it is now? */
static inline int
kw_entry_is(size_t slot, const char *const *names, int nnames)
{
    if (kw_table[slot].names != names || kw_table[slot].n != nnames) {
        return 0;
    }
    const char *const *ptrs =
            (const char *const *)(kw_table[slot].interned + nnames);
    for (int j = 0; j < nnames; j++) {
        if (ptrs[j] != names[j]) {
            return 0;
        }
    }
    return 1;
}

/* The first slot a names list's entry may sit in. */
static inline size_t
kw_slot(const char *const *names)
{
    return ((uintptr_t)names >> 3) & (KW_TABLE_SLOTS - 1);
}

/* The table entry of a names list, made at its first use; NULL when it
 * cannot be had (table full, no memory): the caller compares bytes. */
static inline kw_entry *
kw_lookup(const char *const *names, int nnames)
{
    size_t slot = kw_slot(names);
    for (int probe = 0; probe < 16; probe++) {
        if (kw_table[slot].names == NULL) {
            return kw_intern(names, nnames, slot) ? &kw_table[slot] : NULL;
        }
        if (CMPI_LIKELY(kw_entry_is(slot, names, nnames))) {
            return &kw_table[slot];
        }
        slot = (slot + 1) & (KW_TABLE_SLOTS - 1);
    }
    return NULL;
}

/* Match each keyword name to its place in names, and remember where they
 * went in the list's table entry (if it has one) for the next call with
 * the same tuple. */
static CMPI_NOINLINE int
match_keywords(const char *fname, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames, const char *const *names, int nnames,
               PyObject **out)
{
    Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
    kw_entry *e = kw_lookup(names, nnames);
    PyObject **interned = e != NULL ? e->interned : NULL;
    signed char map[KW_MAP_MAX];
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        int j = nnames;
        if (CMPI_LIKELY(interned != NULL)) {
            for (j = 0; j < nnames; j++) {
                if (interned[j] == key) {
                    break;
                }
            }
        }
        if (j == nnames) {
            /* a name built at run time (**kwargs), or no table */
            for (j = 0; j < nnames; j++) {
                if (kw_equal(key, names[j])) {
                    break;
                }
            }
        }
        if (j == nnames) {
            PyErr_Format(PyExc_TypeError,
                         "%s() got an unexpected keyword argument '%U'", fname,
                         key);
            return -1;
        }
        if (out[j] != NULL) {
            PyErr_Format(PyExc_TypeError,
                         "%s() got multiple values for argument '%s'", fname,
                         names[j]);
            return -1;
        }
        out[j] = args[nargs + k];
        if (k < KW_MAP_MAX) {
            map[k] = (signed char)j;
        }
    }
    if (e != NULL && e->last_kwnames != kwnames && nkw <= KW_MAP_MAX &&
        nnames <= SCHAR_MAX) {
        Py_XSETREF(e->last_kwnames, Py_NewRef(kwnames));
        memcpy(e->last_map, map, (size_t)nkw);
    }
    return 0;
}

/* The call site's tuple again, in its list's first slot (where nearly
 * every list sits): its names go where they went last time, unless one is
 * given by position too (match_keywords says which).  Apart from
 * match_keywords, which the rest goes to (a list in a later slot, another
 * tuple), so that this path stays short: with it, Send + Recv with two
 * keywords each cost about 4,000 instructions instead of 4,105. */
static CMPI_NOINLINE int
parse_keywords(const char *fname, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames, const char *const *names, int nnames,
               PyObject **out)
{
    size_t slot = kw_slot(names);
    kw_entry *e = &kw_table[slot];
    if (CMPI_LIKELY(e->last_kwnames == kwnames &&
                    kw_entry_is(slot, names, nnames))) {
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        Py_ssize_t k = 0;
        while (k < nkw && out[e->last_map[k]] == NULL) {
            k++;
        }
        if (CMPI_LIKELY(k == nkw)) {
            for (k = 0; k < nkw; k++) {
                out[e->last_map[k]] = args[nargs + k];
            }
            return 0;
        }
    }
    return match_keywords(fname, args, nargs, kwnames, names, nnames, out);
}

/* Fill out[i] with the i-th argument (borrowed) or leave it NULL when not
 * given.  The first `nrequired` names must be given. */
static int
cmpi_parse(const char *fname, PyObject *const *args, Py_ssize_t nargs,
           PyObject *kwnames, const char *const *names, int nrequired,
           PyObject **out)
{
    int nnames = 0;
    while (names[nnames] != NULL) {
        nnames++;
    }
    if (CMPI_UNLIKELY(nargs > nnames)) {
        PyErr_Format(PyExc_TypeError,
                     "%s() takes at most %d arguments (%zd given)", fname,
                     nnames, nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        out[i] = args[i];
    }
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0) {
        if (parse_keywords(fname, args, nargs, kwnames, names, nnames, out) <
            0) {
            return -1;
        }
    }
    for (int i = 0; i < nrequired; i++) {
        if (CMPI_UNLIKELY(out[i] == NULL)) {
            PyErr_Format(PyExc_TypeError,
                         "%s() missing required argument '%s' (pos %d)", fname,
                         names[i], i + 1);
            return -1;
        }
    }
    return 0;
}

/* The Python int that an integer argument (rank, tag, count, size,
 * displacement...) stands for, converted as mpi4py's Cython code converts
 * it, so that programs written for mpi4py run unchanged: an int (bool and
 * other subclasses included) or an object with __index__ (NumPy integer
 * scalars) as it is, an object with __int__ (float, NumPy floats,
 * Fraction, Decimal) through __int__, so `size / 2` is a valid rank.
 * Where that value has a fractional part, mpi4py truncates it; cmpi
 * raises ValueError instead, for a rank or a count of 2.5 is a bug in the
 * program that truncation would hide (README, differences from mpi4py).
 * NaN is a ValueError and an infinity an OverflowError, the classes
 * mpi4py raises.  A str is not converted, though int() would parse it.
 * Returns a new reference, or NULL with an exception set. */
static CMPI_NOINLINE PyObject *
cmpi_index_arg(PyObject *obj, const char *what)
{
    if (PyLong_Check(obj)) {
        return Py_NewRef(obj);
    }
    if (PyFloat_Check(obj)) {
        double d = PyFloat_AS_DOUBLE(obj);
        if (isfinite(d) && floor(d) == d) {
            return PyLong_FromDouble(d);
        }
        PyErr_Format(isinf(d) ? PyExc_OverflowError : PyExc_ValueError,
                     "%s=%R is not an integer", what, obj);
        return NULL;
    }
    int has_int = PyType_GetSlot(Py_TYPE(obj), Py_nb_int) != NULL;
    if (PyIndex_Check(obj)) {
        /* a NumPy 0-d float array has both slots and refuses __index__ */
        PyObject *v = PyNumber_Index(obj);
        if (v != NULL || !has_int ||
            !PyErr_ExceptionMatches(PyExc_TypeError)) {
            return v;
        }
        PyErr_Clear();
    }
    if (!has_int) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s",
                     what, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyObject *v = PyNumber_Long(obj); /* calls __int__ */
    if (v == NULL) {
        return NULL;
    }
    /* A fractional part is what obj - int(obj) leaves (Fraction, Decimal,
     * NumPy floats).  An object that cannot subtract is taken as its
     * __int__ says, as mpi4py takes it. */
    if (PyType_GetSlot(Py_TYPE(obj), Py_nb_subtract) == NULL) {
        return v;
    }
    PyObject *frac = PyNumber_Subtract(obj, v);
    if (frac == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            return v;
        }
        Py_DECREF(v);
        return NULL;
    }
    int fractional = PyObject_IsTrue(frac);
    Py_DECREF(frac);
    if (fractional != 0) {
        if (fractional > 0) {
            PyErr_Format(PyExc_ValueError, "%s=%R is not an integer", what,
                         obj);
        }
        Py_DECREF(v);
        return NULL;
    }
    return v;
}

/* Convert an integer argument to a C int, naming the argument on error.
 * An exact int, by far the common case, takes the fast path. */
static int
cmpi_as_int(PyObject *obj, int *out, const char *what)
{
    long v;
    if (CMPI_LIKELY(PyLong_CheckExact(obj))) {
        v = PyLong_AsLong(obj);
    }
    else {
        PyObject *idx = cmpi_index_arg(obj, what);
        if (idx == NULL) {
            return -1;
        }
        v = PyLong_AsLong(idx);
        Py_DECREF(idx);
    }
    if (v == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_OverflowError, "%s is out of range of a C int",
                         what);
        }
        return -1;
    }
    if (v < INT_MIN || v > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "%s=%ld is out of range of a C int",
                     what, v);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* An item of a sequence of integers (ranks of Group.Incl, dims of
 * Create_cart, counts and displacements of a message), or an integer in a
 * message or target specification, to a C int.  mpi4py converts these
 * with __index__ only, unlike a lone integer argument, so a float here is
 * a TypeError as in mpi4py. */
static int
cmpi_item_as_int(PyObject *obj, int *out, const char *what)
{
    if (!PyLong_CheckExact(obj) &&
        (PyFloat_Check(obj) || !PyIndex_Check(obj))) {
        PyErr_Format(PyExc_TypeError, "%s must be an integer, not %.100s",
                     what, Py_TYPE(obj)->tp_name);
        return -1;
    }
    if (PyLong_CheckExact(obj)) {
        return cmpi_as_int(obj, out, what);
    }
    /* __index__ itself, not cmpi_as_int's __int__ fallback: a 0-d NumPy
     * float array has the slot and refuses there, as in mpi4py */
    PyObject *index = PyNumber_Index(obj);
    if (index == NULL) {
        return -1;
    }
    int rc = cmpi_as_int(index, out, what);
    Py_DECREF(index);
    return rc;
}

/* A string argument (a name, an info key or value, a data
 * representation) as a C string, *len its length: a str (UTF-8) or, as
 * mpi4py takes, bytes.  The pointer lives as long as obj. */
static const char *
cmpi_as_mpistr(PyObject *obj, Py_ssize_t *len, const char *what)
{
    if (PyBytes_Check(obj)) {
        *len = PyBytes_GET_SIZE(obj);
        return PyBytes_AS_STRING(obj);
    }
    if (!PyUnicode_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str, not %.100s", what,
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyUnicode_AsUTF8AndSize(obj, len);
}

/* The same for a Py_ssize_t (MPI_Aint: addresses, displacements, sizes
 * in bytes); an int out of its range is Python's OverflowError. */
static int
cmpi_as_ssize(PyObject *obj, Py_ssize_t *out, const char *what)
{
    Py_ssize_t v;
    if (CMPI_LIKELY(PyLong_CheckExact(obj))) {
        v = PyLong_AsSsize_t(obj);
    }
    else {
        PyObject *idx = cmpi_index_arg(obj, what);
        if (idx == NULL) {
            return -1;
        }
        v = PyLong_AsSsize_t(idx);
        Py_DECREF(idx);
    }
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    *out = v;
    return 0;
}

/* The same for a long long (MPI_Offset, MPI_Count). */
static int
cmpi_as_llong(PyObject *obj, long long *out, const char *what)
{
    long long v;
    if (CMPI_LIKELY(PyLong_CheckExact(obj))) {
        v = PyLong_AsLongLong(obj);
    }
    else {
        PyObject *idx = cmpi_index_arg(obj, what);
        if (idx == NULL) {
            return -1;
        }
        v = PyLong_AsLongLong(idx);
        Py_DECREF(idx);
    }
    if (v == -1 && PyErr_Occurred()) {
        return -1;
    }
    *out = v;
    return 0;
}

static int
cmpi_opt_int(PyObject *obj, int *out, int dflt, const char *what)
{
    if (obj == NULL) {
        *out = dflt;
        return 0;
    }
    return cmpi_as_int(obj, out, what);
}

static int
cmpi_check_dest(CommObject *c, int rank, const char *what)
{
    if (CMPI_LIKELY((unsigned)rank < (unsigned)c->peers) ||
        rank == MPI_PROC_NULL) {
        return 0;
    }
    cmpi_raise_msg(c->st, MPI_ERR_RANK,
                   "invalid rank: %s=%d, the communicator has %d rank%s", what,
                   rank, c->peers, c->peers == 1 ? "" : "s");
    return -1;
}

static int
cmpi_check_source(CommObject *c, int rank, const char *what)
{
    if (CMPI_LIKELY((unsigned)rank < (unsigned)c->peers) ||
        rank == MPI_ANY_SOURCE || rank == MPI_PROC_NULL) {
        return 0;
    }
    cmpi_raise_msg(c->st, MPI_ERR_RANK,
                   "invalid rank: %s=%d, the communicator has %d rank%s", what,
                   rank, c->peers, c->peers == 1 ? "" : "s");
    return -1;
}

/* `what`: the tag's argument name (tag, or sendtag of Sendrecv) */
static int
check_send_tag_named(CommObject *c, int tag, const char *what)
{
    if (CMPI_LIKELY(tag >= 0 && tag <= c->st->tag_ub)) {
        return 0;
    }
    cmpi_raise_msg(c->st, MPI_ERR_TAG,
                   "invalid tag: %s=%d, a send tag must be in 0..%d", what,
                   tag, c->st->tag_ub);
    return -1;
}

static int
cmpi_check_send_tag(CommObject *c, int tag)
{
    return check_send_tag_named(c, tag, "tag");
}

static int
check_recv_tag_named(CommObject *c, int tag, const char *what)
{
    if (CMPI_LIKELY(tag >= 0 && tag <= c->st->tag_ub) || tag == MPI_ANY_TAG) {
        return 0;
    }
    cmpi_raise_msg(c->st, MPI_ERR_TAG,
                   "invalid tag: %s=%d, a receive tag must be ANY_TAG or "
                   "in 0..%d",
                   what, tag, c->st->tag_ub);
    return -1;
}

static int
cmpi_check_recv_tag(CommObject *c, int tag)
{
    return check_recv_tag_named(c, tag, "tag");
}

static int
cmpi_check_root(CommObject *c, int root)
{
    if (!c->inter) {
        if (CMPI_LIKELY((unsigned)root < (unsigned)c->size)) {
            return 0;
        }
        cmpi_raise_msg(c->st, MPI_ERR_ROOT,
                       "invalid root: root=%d, the communicator has %d "
                       "rank%s",
                       root, c->size, c->size == 1 ? "" : "s");
        return -1;
    }
    if ((unsigned)root < (unsigned)c->peers || root == MPI_ROOT ||
        root == MPI_PROC_NULL) {
        return 0;
    }
    cmpi_raise_msg(c->st, MPI_ERR_ROOT,
                   "invalid root: root=%d, the remote group has %d rank%s",
                   root, c->peers, c->peers == 1 ? "" : "s");
    return -1;
}

/* (dest, tag) of a send: converted and checked, naming what is wrong. */
static int
cmpi_send_args(CommObject *c, PyObject *dest_o, PyObject *tag_o, int *dest,
               int *tag)
{
    if (cmpi_as_int(dest_o, dest, "dest") < 0 ||
        cmpi_opt_int(tag_o, tag, 0, "tag") < 0 ||
        cmpi_check_dest(c, *dest, "dest") < 0 ||
        cmpi_check_send_tag(c, *tag) < 0) {
        return -1;
    }
    return 0;
}

/* (source, tag) of a receive or probe, defaults ANY_SOURCE and ANY_TAG. */
static int
cmpi_recv_args(CommObject *c, PyObject *source_o, PyObject *tag_o, int *source,
               int *tag)
{
    if (cmpi_opt_int(source_o, source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(tag_o, tag, MPI_ANY_TAG, "tag") < 0 ||
        cmpi_check_source(c, *source, "source") < 0 ||
        cmpi_check_recv_tag(c, *tag) < 0) {
        return -1;
    }
    return 0;
}

/* (dest, sendtag, source, recvtag) of Sendrecv and its variants: as
 * cmpi_send_args and cmpi_recv_args, with the tags' own names in the
 * messages. */
static int
cmpi_sendrecv_args(CommObject *c, PyObject *dest_o, PyObject *sendtag_o,
                   PyObject *source_o, PyObject *recvtag_o, int *dest,
                   int *sendtag, int *source, int *recvtag)
{
    if (cmpi_as_int(dest_o, dest, "dest") < 0 ||
        cmpi_opt_int(sendtag_o, sendtag, 0, "sendtag") < 0 ||
        cmpi_check_dest(c, *dest, "dest") < 0 ||
        check_send_tag_named(c, *sendtag, "sendtag") < 0 ||
        cmpi_opt_int(source_o, source, MPI_ANY_SOURCE, "source") < 0 ||
        cmpi_opt_int(recvtag_o, recvtag, MPI_ANY_TAG, "recvtag") < 0 ||
        cmpi_check_source(c, *source, "source") < 0 ||
        check_recv_tag_named(c, *recvtag, "recvtag") < 0) {
        return -1;
    }
    return 0;
}

#undef KW_TABLE_SLOTS
#undef KW_MAP_MAX
