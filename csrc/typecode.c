/*
 * typecode.c -- Datatype.fromcode(), tocode(), typechar and typestr: the
 * NumPy/struct character codes of the predefined datatypes.
 */
#include "cmpi.h"

/* The character code of `kind` ('b'ool, 'i'nt, 'u'nsigned, 'f'loat,
 * 'c'omplex) with `size` bytes, or NULL. */
static const char *
kind_char(char kind, MPI_Count size)
{
    if (kind == 'b') {
        return size == 1 ? "?" : kind_char('i', size);
    }
    if (kind == 'i' || kind == 'u') {
        static const char *const s[] = {"b", "h", "i", "l", "q"};
        static const char *const u[] = {"B", "H", "I", "L", "Q"};
        const char *const *t = kind == 'i' ? s : u;
        if (size == 1) {
            return t[0];
        }
        if (size == sizeof(short)) {
            return t[1];
        }
        if (size == sizeof(int)) {
            return t[2];
        }
        if (size == sizeof(long)) {
            return t[3];
        }
        if (size == sizeof(long long)) {
            return t[4];
        }
        return NULL;
    }
    if (kind == 'f' || kind == 'c') {
        MPI_Count n = kind == 'c' ? size / 2 : size;
        if (n == sizeof(float)) {
            return kind == 'f' ? "f" : "F";
        }
        if (n == sizeof(double)) {
            return kind == 'f' ? "d" : "D";
        }
        if (n == sizeof(long double)) {
            return kind == 'f' ? "g" : "G";
        }
    }
    return NULL;
}

/* NumPy's type string for kind and size: "i4", "f8", "b1", ... */
static PyObject *
kind_str(char kind, MPI_Count size)
{
    if (kind == 'b' && size != 1) {
        kind = 'i';
    }
    return PyUnicode_FromFormat("%c%lld", kind, (long long)size);
}

/* A character code's kind (for its type string); 0 when it has none. */
static char
char_kind(char c)
{
    if (c == '?') {
        return 'b';
    }
    if (strchr("bhilqp", c)) {
        return 'i';
    }
    if (strchr("BHILQP", c)) {
        return 'u';
    }
    if (strchr("fdg", c)) {
        return 'f';
    }
    if (strchr("FDG", c)) {
        return 'c';
    }
    return 0;
}

typedef struct {
    const char *chr; /* character code, NULL when computed from kind */
    char kind;       /* NumPy kind: its size comes from MPI_Type_size */
    int bystr;       /* tocode() gives the type string, not the char */
} typeinfo;

/* What a named datatype is, in NumPy's terms; 0 if unknown. */
static int
named_typeinfo(MPI_Datatype dt, typeinfo *ti)
{
    static const struct {
        MPI_Datatype dt;
        typeinfo ti;
    } table[] = {
            {MPI_PACKED, {"B", 0, 0}},
            {MPI_BYTE, {"B", 0, 0}},
            {MPI_AINT, {"p", 0, 0}},
            {MPI_OFFSET, {"p", 0, 0}},
            {MPI_COUNT, {"p", 0, 0}},
            {MPI_CHAR, {"c", 0, 0}},
            {MPI_WCHAR, {"U", 0, 0}},
            {MPI_SIGNED_CHAR, {"b", 0, 0}},
            {MPI_SHORT, {"h", 0, 0}},
            {MPI_INT, {"i", 0, 0}},
            {MPI_LONG, {"l", 0, 0}},
            {MPI_LONG_LONG, {"q", 0, 0}},
            {MPI_UNSIGNED_CHAR, {"B", 0, 0}},
            {MPI_UNSIGNED_SHORT, {"H", 0, 0}},
            {MPI_UNSIGNED, {"I", 0, 0}},
            {MPI_UNSIGNED_LONG, {"L", 0, 0}},
            {MPI_UNSIGNED_LONG_LONG, {"Q", 0, 0}},
            {MPI_FLOAT, {"f", 0, 0}},
            {MPI_DOUBLE, {"d", 0, 0}},
            {MPI_LONG_DOUBLE, {"g", 0, 0}},
            {MPI_C_BOOL, {"?", 0, 1}},
            {MPI_INT8_T, {NULL, 'i', 1}},
            {MPI_INT16_T, {NULL, 'i', 1}},
            {MPI_INT32_T, {NULL, 'i', 1}},
            {MPI_INT64_T, {NULL, 'i', 1}},
            {MPI_UINT8_T, {NULL, 'u', 1}},
            {MPI_UINT16_T, {NULL, 'u', 1}},
            {MPI_UINT32_T, {NULL, 'u', 1}},
            {MPI_UINT64_T, {NULL, 'u', 1}},
            {MPI_C_COMPLEX, {"F", 0, 0}},
            {MPI_C_FLOAT_COMPLEX, {"F", 0, 0}},
            {MPI_C_DOUBLE_COMPLEX, {"D", 0, 0}},
            {MPI_C_LONG_DOUBLE_COMPLEX, {"G", 0, 0}},
            {MPI_CXX_BOOL, {"?", 0, 0}},
            {MPI_CXX_FLOAT_COMPLEX, {"F", 0, 0}},
            {MPI_CXX_DOUBLE_COMPLEX, {"D", 0, 0}},
            {MPI_CXX_LONG_DOUBLE_COMPLEX, {"G", 0, 0}},
            {MPI_CHARACTER, {"c", 0, 0}},
            {MPI_LOGICAL, {NULL, 'b', 0}},
            {MPI_INTEGER, {NULL, 'i', 0}},
            {MPI_REAL, {NULL, 'f', 0}},
            {MPI_DOUBLE_PRECISION, {NULL, 'f', 0}},
            {MPI_COMPLEX, {NULL, 'c', 0}},
            {MPI_DOUBLE_COMPLEX, {NULL, 'c', 0}},
            {MPI_LOGICAL1, {NULL, 'b', 1}},
            {MPI_LOGICAL2, {NULL, 'b', 1}},
            {MPI_LOGICAL4, {NULL, 'b', 1}},
            {MPI_LOGICAL8, {NULL, 'b', 1}},
            {MPI_INTEGER1, {NULL, 'i', 1}},
            {MPI_INTEGER2, {NULL, 'i', 1}},
            {MPI_INTEGER4, {NULL, 'i', 1}},
            {MPI_INTEGER8, {NULL, 'i', 1}},
            {MPI_REAL4, {NULL, 'f', 1}},
            {MPI_REAL8, {NULL, 'f', 1}},
            {MPI_COMPLEX8, {NULL, 'c', 1}},
            {MPI_COMPLEX16, {NULL, 'c', 1}},
            {MPI_LOGICAL16, {NULL, 'b', 1}},
            {MPI_INTEGER16, {NULL, 'i', 1}},
            {MPI_REAL2, {NULL, 'f', 1}},
            {MPI_REAL16, {NULL, 'f', 1}},
            {MPI_COMPLEX4, {NULL, 'c', 1}},
            {MPI_COMPLEX32, {NULL, 'c', 1}},
    };
    if (dt == MPI_DATATYPE_NULL) {
        return 0;
    }
    for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++) {
        if (table[k].dt == dt) {
            *ti = table[k].ti;
            return 1;
        }
    }
    return 0;
}

enum {
    TC_CHAR,
    TC_STR,
    TC_CODE
};

/* typechar, typestr or tocode() of a datatype.  Datatypes NumPy has no
 * scalar for are 'V' (void) of their extent; tocode() refuses them. */
static PyObject *
type_code(cmpi_state *st, MPI_Datatype dt, int what)
{
    typeinfo ti = {NULL, 0, 0};
    MPI_Count size = 0, lb = 0, extent = 0;
    int ni, na, nc, nd, combiner = MPI_COMBINER_NAMED, ierr;
    if (dt == MPI_DATATYPE_NULL) {
        if (what == TC_CODE) {
            goto nocode;
        }
        return PyUnicode_FromString("");
    }
    if (!named_typeinfo(dt, &ti)) {
        ierr = cmpi_type_envelope(dt, &ni, &na, &nc, &nd, &combiner);
        if (ierr != MPI_SUCCESS) {
            return cmpi_raise(st, ierr);
        }
        if (combiner == MPI_COMBINER_DUP) {
            MPI_Datatype base = MPI_DATATYPE_NULL;
            int i0 = 0;
            MPI_Aint a0 = 0;
            ierr = MPI_Type_get_contents(dt, 0, 0, 1, &i0, &a0, &base);
            if (ierr != MPI_SUCCESS) {
                return cmpi_raise(st, ierr);
            }
            PyObject *r = type_code(st, base, what);
            cmpi_free_contents_types(&base, 1);
            return r;
        }
        if (combiner == MPI_COMBINER_F90_INTEGER) {
            ti.kind = 'i';
        }
        else if (combiner == MPI_COMBINER_F90_REAL) {
            ti.kind = 'f';
        }
        else if (combiner == MPI_COMBINER_F90_COMPLEX) {
            ti.kind = 'c';
        }
    }
    ierr = MPI_Type_size_x(dt, &size);
    if (ierr != MPI_SUCCESS) {
        return cmpi_raise(st, ierr);
    }
    if (ti.chr == NULL && ti.kind != 0) {
        ti.chr = kind_char(ti.kind, size);
    }
    if (ti.chr == NULL) {
        if (what == TC_CODE) {
            goto nocode;
        }
        ierr = MPI_Type_get_extent_x(dt, &lb, &extent);
        if (ierr != MPI_SUCCESS) {
            return cmpi_raise(st, ierr);
        }
        if (what == TC_CHAR) {
            return PyUnicode_FromString("V");
        }
        /* a Fortran kind with no C type of its size: "f16", "i16" ... */
        if (ti.kind != 0 && size > 0 && size == extent) {
            return kind_str(ti.kind, size);
        }
        return PyUnicode_FromFormat("V%lld", (long long)extent);
    }
    if (what == TC_CHAR || (what == TC_CODE && !ti.bystr)) {
        return PyUnicode_FromString(ti.chr);
    }
    if (ti.kind != 0) {
        return kind_str(ti.kind, size);
    }
    if (ti.chr[0] == 'c') {
        return PyUnicode_FromString("S1");
    }
    if (ti.chr[0] == 'U') {
        return PyUnicode_FromString("U1");
    }
    return kind_str(char_kind(ti.chr[0]), size);
nocode:
    PyErr_SetString(PyExc_ValueError,
                    "cannot map to character code or type string");
    return NULL;
}

CMPI_DOC(Datatype_tocode_doc, "tocode($self)",
         "Get character code or type string from predefined MPI datatype.");
static PyObject *
Datatype_tocode(DatatypeObject *self, PyObject *Py_UNUSED(a))
{
    return type_code(self->st, self->ob_mpi, TC_CODE);
}

CMPI_DOC(Datatype_fromcode_doc, "fromcode($type, code)",
         "Get predefined MPI datatype from character code or type string.");
static PyObject *
Datatype_fromcode(PyTypeObject *cls, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames)
{
    static const char *const kw[] = {"code", NULL};
    PyObject *a[1] = {NULL};
    cmpi_state *st = cmpi_type_state(cls);
    if (st == NULL ||
        cmpi_parse("fromcode", args, nargs, kwnames, kw, 1, a) < 0) {
        return NULL;
    }
    if (PyUnicode_Check(a[0])) {
        PyObject *t = PyDict_GetItemWithError(st->typecodes, a[0]);
        if (t != NULL) {
            return Py_NewRef(t);
        }
        if (PyErr_Occurred()) {
            return NULL;
        }
    }
    PyErr_Format(PyExc_ValueError, "cannot map code %R to MPI datatype", a[0]);
    return NULL;
}

static PyObject *
Datatype_get_typechar(DatatypeObject *self, void *Py_UNUSED(c))
{
    return type_code(self->st, self->ob_mpi, TC_CHAR);
}

static PyObject *
Datatype_get_typestr(DatatypeObject *self, void *Py_UNUSED(c))
{
    return type_code(self->st, self->ob_mpi, TC_STR);
}
