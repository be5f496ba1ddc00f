"""Every argument mpi4py 4.1.2 takes by keyword, the binding takes by
keyword too (issue 17: ``comm.Set_name(name='x')`` or
``group.Incl(ranks=[0])`` raised TypeError in cmpi, whose one-argument
methods were METH_O).

The reference is mpi4py's own MPI.pyi (the sdist tests/compat fetches);
the binding's side is what ``inspect.signature`` says of its callables.
For that to mean anything the text signatures must say the truth:
test_one_argument_c_methods_say_positional_only checks, in cmpi's C
source, that every method still written METH_O or METH_NOARGS (which
CPython refuses keywords for) has a signature saying so.
"""

import ast
import inspect
import re
import sys
from pathlib import Path

import pytest

from mpiimpl import MPI, IS_CMPI

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "differential"))
import reference  # type: ignore[import-not-found]  # noqa: E402

KEYWORD = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def reference_keywords():
    """{qualname: set of parameter names mpi4py takes by keyword}, from
    mpi4py 4.1.2's MPI.pyi (overloads merged)."""
    tree = ast.parse(Path(reference.stub_path()).read_text())
    found: dict[str, set[str]] = {}

    def add(qual, fn, skip_first):
        a = fn.args
        plain = a.args[1:] if skip_first else a.args
        names = {p.arg for p in plain} | {p.arg for p in a.kwonlyargs}
        found.setdefault(qual, set()).update(names)

    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            add(node.name, node, False)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef) or item.name.startswith("_"):
                    continue
                decos = {ast.unparse(d) for d in item.decorator_list}
                if "property" in decos or any(d.endswith(".setter") for d in decos):
                    continue
                static = "staticmethod" in decos
                add(f"{node.name}.{item.name}", item, not static)
    return found


REFERENCE = reference_keywords()


def lookup(qual):
    obj = MPI
    for part in qual.split("."):
        obj = getattr(obj, part)
    return obj


def signature_of(obj):
    """The callable's parameters: inspect.signature, or for a signature a
    text signature cannot express (object defaults such as op=SUM, which
    cmpi shows in the docstring's first line only) that first line."""
    try:
        return inspect.signature(obj).parameters
    except ValueError:
        pass
    first = (obj.__doc__ or "").lstrip().splitlines()[0]
    match = re.match(r"\w+\((.*)\)", first)
    assert match, f"{obj!r}: no signature and no signature line in its docstring: {first!r}"
    text = match.group(1).replace("$self", "self").replace("$type", "cls")
    fn = ast.parse(f"def f({text}): pass").body[0]
    assert isinstance(fn, ast.FunctionDef)
    params = [inspect.Parameter(p.arg, inspect.Parameter.POSITIONAL_ONLY) for p in fn.args.posonlyargs]
    params += [inspect.Parameter(p.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in fn.args.args]
    if fn.args.vararg:
        params.append(inspect.Parameter(fn.args.vararg.arg, inspect.Parameter.VAR_POSITIONAL))
    params += [inspect.Parameter(p.arg, inspect.Parameter.KEYWORD_ONLY) for p in fn.args.kwonlyargs]
    if fn.args.kwarg:
        params.append(inspect.Parameter(fn.args.kwarg.arg, inspect.Parameter.VAR_KEYWORD))
    return {p.name: p for p in params}


def test_reference_stub_is_mpi4py_sized():
    # A broken parse would make the walk below check nothing.
    assert len(REFERENCE) > 500
    assert REFERENCE["Comm.Set_name"] == {"name"}
    assert REFERENCE["Group.Incl"] == {"ranks"}


def test_keywords_mpi4py_takes_are_taken():
    refused = []
    for qual, names in sorted(REFERENCE.items()):
        try:
            obj = lookup(qual)
        except (AttributeError, NotImplementedError):
            continue  # test_api_surface checks every name resolves
        if getattr(obj, "__cmpi_missing__", False) or not callable(obj):
            continue  # a stand-in raising NotImplementedError
        params = signature_of(obj)
        if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values()):
            continue
        for name in sorted(names):
            param = params.get(name)
            if param is None or param.kind not in KEYWORD:
                refused.append(f"{qual}({name}=...): {'missing' if param is None else param.kind.name}")
    assert not refused, f"{len(refused)} keyword arguments mpi4py takes are refused:\n" + "\n".join(refused)


@pytest.mark.parametrize("call", [
    "comm.Set_name(name='kw')", "comm.Compare(comm=comm)", "comm.Get_attr(keyval=MPI.TAG_UB)",
    "group.Incl(ranks=[0])", "group.Excl(ranks=[0])", "group.Compare(group=group)",
    "comm.Create(group=group)", "MPI.Get_error_string(errorcode=0)",
    "MPI.Get_error_class(errorcode=0)", "MPI.Pcontrol(level=0)",
    "MPI.Get_address(location=buf)", "status.Set_source(source=0)",
    "status.Set_tag(tag=0)", "status.Set_error(error=0)", "status.Set_cancelled(flag=False)",
    "info.Get(key='k')", "info.Delete(key='k')",
    "info.pop(key='k')", "MPI.pickle.loads_oob(data=MPI.pickle.dumps(1), buffers=[])", "MPI.Datatype.f2py(arg=MPI.INT.py2f())",
    "MPI.Status.f2py(arg=status.py2f())", "MPI.pickle.loads(data=MPI.pickle.dumps(obj=1))",
])
def test_keyword_forms_run(call):
    comm = MPI.COMM_WORLD.Dup()
    group = comm.Get_group()
    status = MPI.Status()
    info = MPI.Info.Create()
    info.Set("k", "v")
    try:
        # one buffer for both forms: Get_address of two fresh bytearrays
        # differs once the allocator does not reuse the first (ASan)
        scope = {"MPI": MPI, "comm": comm, "group": group, "status": status, "info": info,
                 "buf": bytearray(8)}
        positional = re.sub(r"\b\w+=", "", call)
        if call.startswith(("info.Delete", "info.pop")):
            eval(call, scope)
            info.Set("k", "v")
            eval(positional, scope)
        elif call.startswith("comm.Create(") or call.startswith("group."):
            for text in (call, positional):
                result = eval(text, scope)
                if hasattr(result, "Free") and result not in (MPI.COMM_NULL, MPI.GROUP_NULL):
                    result.Free()
        else:
            by_keyword, by_position = eval(call, scope), eval(positional, scope)
            assert type(by_keyword) is type(by_position)
            if not isinstance(by_keyword, MPI.Status):  # Status has no ==
                assert by_keyword == by_position
    finally:
        info.Free()
        group.Free()
        comm.Free()


def test_wrong_keyword_and_missing_argument_are_type_errors():
    comm = MPI.COMM_WORLD
    with pytest.raises(TypeError):
        comm.Set_name(nam="x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        comm.Set_name()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        comm.Set_name("x", "y")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        comm.Set_name("x", name="y")  # type: ignore[misc]


def test_same_call_site_matches_its_keywords_each_time():
    # cmpi remembers, per names list, the last keyword tuple a call site
    # passed and where its names go: the second and later calls of a call
    # site take that path, and must still refuse a name given twice,
    # still tell two call sites' tuples apart, and still match a tuple
    # built at run time
    # (each receive posted before its send: an MPICH singleton may not
    # complete a send to itself before the receive is there)
    comm = MPI.COMM_SELF
    buf = bytearray(b"abcdefgh")
    for k in range(3):
        with pytest.raises(TypeError, match="multiple values"):
            comm.Send(buf, 0, dest=0)  # type: ignore[misc]
        out = bytearray(8)
        req = comm.Irecv(out, source=0, tag=5)
        comm.Send(buf, dest=0, tag=5)
        req.Wait()
        assert out == buf
        out = bytearray(8)
        req = comm.Irecv(buf=out, tag=6, source=0)  # another order
        comm.Send(buf, tag=6, dest=0)
        req.Wait()
        assert out == buf
        out = bytearray(8)
        req = comm.Irecv(out, **{"source": 0, "tag": 7})  # a new tuple each call
        comm.Send(buf, 0, **{"tag": 7})
        req.Wait()
        assert out == buf
    with pytest.raises(TypeError, match="multiple values"):
        comm.Irecv(bytearray(8), 0, source=0)  # type: ignore[misc]


@pytest.mark.skipif(not IS_CMPI, reason="reads cmpi's C source")
def test_c_methods_without_keywords_say_positional_only():
    """A METH_O, METH_NOARGS, METH_FASTCALL or METH_VARARGS method without
    METH_KEYWORDS refuses keywords whatever its text signature says: the
    signature must then say positional-only (``/`` after every named
    parameter), or the walk above would believe a keyword is taken."""
    sources = {p.name: p.read_text().replace("\\\n", "\n") for p in sorted((ROOT / "csrc").glob("*.c"))}
    docs = {}
    for text in sources.values():
        for m in re.finditer(r'CMPI_DOC(?:_NOSIG)?\(\s*(\w+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', text):
            docs[m.group(1)] = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(2)))
    entry = re.compile(r'\{\s*"(\w+)",\s*(?:FN\(\w+\)|\(PyCFunction\)(?:\(void \(\*\)\(void\)\))?\s*\w+),'
                       r'\s*([A-Z_| ]+?),\s*(\w+)\s*\}')
    checked, wrong = 0, []
    for fname, text in sources.items():
        for m in entry.finditer(text):
            name, flags, doc = m.groups()
            if name.startswith("_") or doc not in docs or "KW" in flags or "KEYWORDS" in flags:
                continue
            sig = docs[doc].split("\n", 1)[0]
            inner = sig[sig.index("(") + 1:sig.rindex(")")]
            params = [p.strip() for p in inner.split(",") if p.strip()]
            params = [p for p in params if p not in ("$self", "$type", "$module")]
            named = [i for i, p in enumerate(params) if p != "/" and not p.startswith("*")]
            checked += 1
            if named and ("/" not in params or params.index("/") < named[-1]):
                wrong.append(f"{fname}: {name} ({flags}) takes no keywords but says {sig}")
    assert checked > 100, checked
    assert not wrong, "\n".join(wrong)
