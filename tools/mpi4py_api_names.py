"""List the public names of mpi4py's MPI module, from its type stub.

    python3 tools/mpi4py_api_names.py [MPI.pyi] > src/cmpi/mpi4py-api.txt

Without an argument the stub comes from the mpi4py sdist that
tests/compat/run-mpi4py-suite fetches (build/compat/).  Output: one name
a line, ``<kind> <name>``, kind one of ``class``, ``function``, ``data``
(module level) and ``method``, ``attribute`` (``Class.name``).  Class members
starting with an underscore and dunder names are left out.
"""

import ast
import importlib.machinery
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def stub_path():
    if len(sys.argv) > 1:
        return Path(sys.argv[1])
    loader = importlib.machinery.SourceFileLoader("run_mpi4py_suite", str(ROOT / "tests/compat/run-mpi4py-suite"))
    spec = importlib.util.spec_from_loader("run_mpi4py_suite", loader)
    harness = importlib.util.module_from_spec(spec)
    loader.exec_module(harness)
    return harness.fetch_sdist() / "src" / "mpi4py" / "MPI.pyi"


def public(name):
    return not name.startswith("_")


def module_level(name):
    # mpi4py.util and mpi4py's tests use a few of the module's private
    # helpers (_typecode, _comm_lock_table, _sizeof ...): cmpi offers them too.
    return not name.startswith("__")


def names(tree):
    out = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and public(node.name):
            out.append(("class", node.name))
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and public(item.name):
                    decorators = {getattr(d, "id", getattr(d, "attr", "")) for d in item.decorator_list}
                    kind = "attribute" if "property" in decorators or any(
                        isinstance(d, ast.Attribute) and d.attr == "setter" for d in item.decorator_list
                    ) else "method"
                    out.append((kind, f"{node.name}.{item.name}"))
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and public(item.target.id):
                    out.append(("attribute", f"{node.name}.{item.target.id}"))
        elif isinstance(node, ast.FunctionDef) and module_level(node.name):
            out.append(("function", node.name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and module_level(node.target.id):
            out.append(("data", node.target.id))
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and module_level(target.id):
                    out.append(("data", target.id))
    seen, unique = set(), []
    for kind, name in out:
        if name not in seen:
            seen.add(name)
            unique.append((kind, name))
    return unique


def main():
    tree = ast.parse(stub_path().read_text())
    sys.stdout.write("# Public names of mpi4py 4.1.2's MPI module (from its MPI.pyi), by\n")
    sys.stdout.write("# tools/mpi4py_api_names.py: '<kind> <name>' a line.\n")
    for kind, name in names(tree):
        sys.stdout.write(f"{kind} {name}\n")


if __name__ == "__main__":
    main()
