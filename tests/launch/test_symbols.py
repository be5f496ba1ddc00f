"""cmpi uses only CPython's public C API, so it builds and loads on every
CPython from 3.10 on (a private function can vanish in any release, as
``_Py_IsFinalizing`` did in 3.13 and broke the import).

Two checks: the C sources name no ``_Py*`` identifier, and the built
extension of the configuration under test needs no ``_Py*`` symbol beyond
the ones CPython's own public macros and inline functions expand to.

A third keeps the single translation unit clean: MPI.c includes every area
file, so a macro one file defines is seen by every file after it.  An area
file's macro is either ``CMPI_``-prefixed (shared, or at least named as
cmpi's) or ``#undef``-ed before the file ends.  A helper one area file
uses of another carries the ``cmpi_`` prefix (declared in cmpi.h), and
MPI.c and cmpi.h's table of areas name every area file.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

CSRC = lu.ROOT / "csrc"

#: Undefined symbols that public API expands to in CPython's headers, each
#: with the public name that brings it in.
PUBLIC_EXPANSIONS = {
    "_Py_Dealloc": "Py_DECREF",
    "_Py_NoneStruct": "Py_None",
    "_Py_TrueStruct": "Py_True",
    "_Py_FalseStruct": "Py_False",
    "_Py_NotImplementedStruct": "Py_NotImplemented",
    "_Py_EllipsisObject": "Py_Ellipsis",
    "_PyObject_New": "PyObject_New",
    "_PyObject_GC_New": "PyObject_GC_New",
    "_PyByteArray_empty_string": "PyByteArray_AS_STRING",
    # PY_SSIZE_T_CLEAN renames these (CPython < 3.13)
    "_PyArg_ParseTuple_SizeT": "PyArg_ParseTuple",
    "_PyArg_ParseTupleAndKeywords_SizeT": "PyArg_ParseTupleAndKeywords",
    "_Py_BuildValue_SizeT": "Py_BuildValue",
    "_PyObject_CallFunction_SizeT": "PyObject_CallFunction",
    "_PyObject_CallMethod_SizeT": "PyObject_CallMethod",
    # CPython 3.10's inline PyObject_Vectorcall
    "_PyObject_MakeTpCall": "PyObject_Vectorcall",
    "_Py_CheckFunctionResult": "PyObject_Vectorcall",
}


def strip_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)


def test_sources_name_no_private_cpython_api():
    found = []
    for path in sorted(CSRC.glob("*.[ch]")):
        code = strip_comments_and_strings(path.read_text())
        for m in re.finditer(r"\b_Py[A-Za-z_0-9]*", code):
            line = code.count("\n", 0, m.start()) + 1
            found.append(f"{path.name}:{line}: {m.group()}")
    assert not found, "private CPython names in csrc/:\n" + "\n".join(found)


def test_extension_needs_no_private_cpython_symbol():
    nm = shutil.which("nm")
    if nm is None:
        pytest.skip("nm (binutils) is not installed")
    so = subprocess.run(
        [lu.python(), "-c",
         "import cmpi, glob, os; "
         "print(glob.glob(os.path.join(os.path.dirname(cmpi.__file__), 'MPI.*.so'))[0])"],
        capture_output=True, text=True, timeout=60, check=True).stdout.strip()
    out = subprocess.run([nm, "-D", "--undefined-only", so], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    symbols = {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}
    assert "PyInit_MPI" not in symbols and symbols, f"cannot read the symbols of {so}"
    private = sorted(s for s in symbols
                     if s.startswith("_Py") and s not in PUBLIC_EXPANSIONS)
    assert not private, f"{so} needs private CPython symbols: {private}"


#: MPI's own names that a library may lack (MPI_LOGICAL16, MPI_ERR_SESSION,
#: ...): area files define them under ``#ifndef`` as the value MPI would
#: report instead; they are MPI's names, meant for every later file.
MPI_NAME = re.compile(r"MPI_[A-Z0-9_]+$")


def macros_left_defined(code):
    """Names a C file #defines and does not #undef after that, in order."""
    defined = {}
    for m in re.finditer(r"^[ \t]*#[ \t]*(define|undef)[ \t]+([A-Za-z_][A-Za-z_0-9]*)",
                         code, flags=re.M):
        directive, name = m.groups()
        if directive == "define":
            defined.setdefault(name, code.count("\n", 0, m.start()) + 1)
        else:
            defined.pop(name, None)
    return defined


def blank_comments_and_strings(text):
    """Comments and string literals blanked, line numbers kept."""
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"',
                  lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)


def unprefixed_macros(path, code=None):
    code = blank_comments_and_strings(path.read_text() if code is None else code)
    return [f"{path.name}:{line}: {name}"
            for name, line in macros_left_defined(code).items()
            if not name.startswith(("CMPI_", "cmpi_")) and not MPI_NAME.match(name)]


def test_area_macros_are_prefixed_or_undefined():
    found = []
    for path in sorted(CSRC.glob("*.c")):
        found += unprefixed_macros(path)
    assert not found, (
        "macros that leak into the rest of the translation unit (prefix them "
        "CMPI_ or #undef them at the end of the file):\n" + "\n".join(found))


def test_macro_check_fails_on_a_leaking_macro():
    """The check above can fail: a planted macro is found, an #undef-ed or
    prefixed one is not."""
    path = CSRC / "args.c"
    code = path.read_text()
    assert unprefixed_macros(path, code) == []
    planted = code + "\n#define PLANTED_MACRO 1\n#  define PLANTED_TOO(x) \\\n    (x)\n"
    found = unprefixed_macros(path, planted)
    assert [f.split(": ")[1] for f in found] == ["PLANTED_MACRO", "PLANTED_TOO"], found
    undone = planted + "#undef PLANTED_MACRO\n# undef PLANTED_TOO\n"
    assert unprefixed_macros(path, undone) == []
    assert unprefixed_macros(path, code + "#define CMPI_PLANTED 1\n") == []
    # in a comment or a string it is no definition
    assert unprefixed_macros(path, code + '/*\n#define PLANTED 1\n*/\n') == []


def test_every_area_file_is_included_and_listed():
    """MPI.c includes each csrc/*.c file once, and cmpi.h's table of areas
    names each one: a new or renamed file cannot be left out of either."""
    files = sorted(p.name for p in CSRC.glob("*.c") if p.name != "MPI.c")
    included = re.findall(r'^#include "([a-z0-9_]+\.c)"$',
                          (CSRC / "MPI.c").read_text(), re.M)
    header = (CSRC / "cmpi.h").read_text()
    table = header[: header.index("*/")]
    listed = re.findall(r"^ \*   ([a-z0-9_]+\.c)\b", table, re.M)
    assert sorted(included) == files and len(set(included)) == len(included)
    assert listed == included, "cmpi.h's table of areas is out of MPI.c's order"


def _c_code(text):
    """The text without comments and string literals."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def cross_area_names_without_prefix(sources):
    """Helpers (lower-case names: functions, static variables, types) that
    one area file defines and another uses, without the cmpi_ prefix.
    Method implementations (Comm_Send) and object structs (CommObject) are
    named after their class instead, so they are not counted."""
    code = {name: _c_code(text) for name, text in sources.items()}
    defined = {}
    for name, text in code.items():
        for pattern in (r"^([a-z][A-Za-z0-9_]*)\(",
                        r"^} ([a-z][A-Za-z0-9_]*);",
                        r"^(?:typedef )?(?:struct|enum) ([a-z][A-Za-z0-9_]*) \{",
                        r"^static [^(=;]*?\b([a-z][A-Za-z0-9_]*)(?:\[[^]]*\])? (?:=|;)"):
            for ident in re.findall(pattern, text, re.M):
                defined.setdefault(ident, name)
    # each file's words, once: a name is used where it is a whole word (as
    # \bname\b finds it), and a set answers that for thousands of names
    # at once (one regular expression per name and file took 25 s)
    words = {name: set(re.findall(r"\w+", text)) for name, text in code.items()}
    found = []
    for ident, home in sorted(defined.items()):
        if ident.startswith("cmpi_"):
            continue
        users = [n for n in code
                 if n not in (home, "MPI.c") and ident in words[n]]
        if users:
            found.append(f"{ident} ({home}, used in {', '.join(sorted(users))})")
    return found


def test_cross_area_names_are_prefixed():
    sources = {p.name: p.read_text() for p in CSRC.glob("*.c")}
    assert cross_area_names_without_prefix(sources) == []


def test_cross_area_check_fails_on_an_unprefixed_helper():
    sources = {
        "one.c": "static int\nshared_helper(int x)\n{\n    return x;\n}\n",
        "two.c": "static int\nuser(void)\n{\n    return shared_helper(1); /* ok */\n}\n",
    }
    assert cross_area_names_without_prefix(sources) == [
        "shared_helper (one.c, used in two.c)"]
