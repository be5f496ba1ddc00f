"""Every public callable has a docstring whose first line is its signature,
with mpi4py's argument names; the type stubs list every public name."""

import ast
import inspect
import os
import re

import pytest

from mpiimpl import MPI, IS_CMPI

pytestmark = pytest.mark.skipif(not IS_CMPI, reason="checks cmpi's own docs")


def public_callables():
    for name in sorted(dir(MPI)):
        obj = getattr(MPI, name)
        if name.startswith("_"):
            continue
        if isinstance(obj, type):
            yield name, obj
            copies = getattr(MPI, "_method_copies", {}).get(obj, ())  # checked in the base
            for attr, value in sorted(vars(obj).items()):
                if attr not in copies and not attr.startswith("_") and callable(getattr(obj, attr)):
                    yield f"{name}.{attr}", getattr(obj, attr)
        elif callable(obj) and not isinstance(obj, MPI.Op):
            yield name, obj


CALLABLES = list(public_callables())


@pytest.mark.parametrize("name,obj", CALLABLES, ids=[n for n, _ in CALLABLES])
def test_docstring_starts_with_signature(name, obj):
    doc = obj.__doc__ or ""
    assert doc.strip(), f"{name} has no docstring"
    if isinstance(obj, type):
        return
    short = name.rsplit(".", 1)[-1]
    text_sig = getattr(obj, "__text_signature__", None)
    first = doc.splitlines()[0]
    assert text_sig is not None or re.match(rf"{short}\(.*\)$", first), (
        f"{name}: no text signature and first doc line is {first!r}")
    if text_sig is not None:
        inspect.signature(obj)  # parses


# mpi4py's argument names for the calls people use most.
EXPECTED = {
    "Comm.send": ["obj", "dest", "tag"],
    "Comm.recv": ["buf", "source", "tag", "status"],
    "Comm.isend": ["obj", "dest", "tag"],
    "Comm.irecv": ["buf", "source", "tag"],
    "Comm.sendrecv": ["sendobj", "dest", "sendtag", "recvbuf", "source", "recvtag", "status"],
    "Comm.Send": ["buf", "dest", "tag"],
    "Comm.Recv": ["buf", "source", "tag", "status"],
    "Comm.Sendrecv": ["sendbuf", "dest", "sendtag", "recvbuf", "source", "recvtag", "status"],
    "Comm.bcast": ["obj", "root"],
    "Comm.scatter": ["sendobj", "root"],
    "Comm.gather": ["sendobj", "root"],
    "Comm.Bcast": ["buf", "root"],
    "Comm.Gather": ["sendbuf", "recvbuf", "root"],
    "Comm.Split": ["color", "key"],
    "Request.Wait": ["status"],
    "Request.Waitall": ["requests", "statuses"],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_argument_names_match_mpi4py(name):
    cls, attr = name.split(".")
    sig = inspect.signature(getattr(getattr(MPI, cls), attr))
    params = [p for p in sig.parameters if p not in ("self", "cls")]
    assert params == EXPECTED[name]


def stub_names():
    path = os.path.join(os.path.dirname(MPI.__file__), "MPI.pyi")
    tree = ast.parse(open(path).read())
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = {
                n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AnnAssign))
                for n in [n] if not isinstance(n, ast.AnnAssign)
            }
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = None  # type: ignore[assignment]
        elif isinstance(node, ast.AnnAssign):
            names[node.target.id] = None  # type: ignore[assignment, union-attr]
        elif isinstance(node, ast.Assign):  # an alias: memory = buffer
            for target in node.targets:
                names[target.id] = None  # type: ignore[assignment, attr-defined]
    return names


def _stand_in(obj):
    return getattr(getattr(obj, "fget", obj), "__cmpi_missing__", False)


def test_stubs_cover_the_module():
    stubs = stub_names()
    # Stand-ins for names cmpi lacks (they raise NotImplementedError) are
    # left out of the stubs: a type checker should not offer them.
    public = {n for n in dir(MPI) if not n.startswith("_") and not _stand_in(getattr(MPI, n))}
    assert public - set(stubs) == set(), "names missing from MPI.pyi"
    for name, members in stubs.items():
        if members is None or name not in public:
            continue
        cls = getattr(MPI, name)
        copies = getattr(MPI, "_method_copies", {}).get(cls, ())
        runtime = {a for a, v in vars(cls).items()
                   if not a.startswith("_") and not _stand_in(v) and a not in copies}
        assert runtime - members == set(), f"{name} members missing from MPI.pyi"
