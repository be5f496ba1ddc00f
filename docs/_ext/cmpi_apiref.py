"""Generate the API reference of ``cmpi.MPI`` from the module itself.

At ``builder-inited`` this walks the public names of ``cmpi.MPI`` (the
built extension the docs build imports) and writes one reST page per
class, one for the module functions and one for the constants into
``api/mpi/`` (generated, not committed).  Each page holds autodoc
directives, so the text and signatures come from the docstrings and
``__text_signature__``s.  A name added to the module appears in the
reference on the next build; ``tests/launch/test_docs.py`` checks the
built inventory against the module.
"""

import inspect
import re
from pathlib import Path

OUT = Path("api") / "mpi"

# Kinds of class members, as the C extension exposes them.
_METHOD_KINDS = (
    "method_descriptor",
    "classmethod_descriptor",
    "builtin_function_or_method",
    "function",
    "classmethod",
    "staticmethod",
    "wrapper_descriptor",
)
_ATTRIBUTE_KINDS = ("getset_descriptor", "member_descriptor", "property")


def public(names):
    return sorted(n for n in names if not n.startswith("_"))


def summary(obj):
    """The first line of the docstring that is not the signature line."""
    doc = inspect.getdoc(obj) or ""
    paragraphs = [p for p in doc.split("\n\n") if p.strip()]
    if paragraphs and "(" in paragraphs[0].split("\n")[0] and len(paragraphs) > 1:
        first = paragraphs[0].split("\n")[0]
        if first.split("(")[0].isidentifier():
            paragraphs = paragraphs[1:]
    return paragraphs[0].split("\n")[0].strip() if paragraphs else ""


_LITERAL = re.compile(r"``.+?``")


def escape(text):
    """Plain docstring text made safe as reST, outside its ``literals``.

    The C extension's docstrings are plain text (``Create_<combiner>(**params)``
    is not bold markup), so a lone ``*`` is escaped; a literal that ends in
    a space (not valid reST) loses the space.
    """
    out, pos = [], 0
    for match in _LITERAL.finditer(text):
        out.append(text[pos:match.start()].replace("*", r"\*"))
        out.append("``" + match.group(0)[2:-2].strip() + "``")
        pos = match.end()
    out.append(text[pos:].replace("*", r"\*"))
    return "".join(out)


def process_docstring(app, what, name, obj, options, lines):
    if name.startswith("cmpi"):
        lines[:] = [escape(line) for line in lines]


def process_signature(app, what, name, obj, options, signature, return_annotation):
    """Drop ``self`` from a method signature read off a docstring's first line.

    The callables that cannot carry a ``__text_signature__`` (CMPI_DOC_NOSIG)
    write ``Reduce(self, sendbuf, ...)`` there; the others' signatures, as
    autodoc shows them, have no ``self``.
    """
    if what == "method" and signature and signature.startswith("(self"):
        rest = signature[len("(self"):].lstrip()
        signature = "(" + (rest[1:].lstrip() if rest.startswith(",") else rest)
        return signature, return_annotation
    return None


def skip_member(app, what, name, obj, skip, options):
    """Leave out classes that cmpi's classes only re-export (Future, ...)."""
    if isinstance(obj, type) and not getattr(obj, "__module__", "").startswith("cmpi"):
        return True
    return None


def member_kind(cls, name):
    """'method', 'attribute' or 'data' for a member of cls's own dict."""
    raw = cls.__dict__[name]
    kind = type(raw).__name__
    if kind in _METHOD_KINDS:
        return "method"
    if kind in _ATTRIBUTE_KINDS:
        return "attribute"
    return "data"


def classes(mpi):
    return [n for n in public(dir(mpi)) if isinstance(getattr(mpi, n), type)]


def functions(mpi):
    return [
        n
        for n in public(dir(mpi))
        if not isinstance(getattr(mpi, n), type)
        and type(getattr(mpi, n)).__name__ in ("builtin_function_or_method", "function")
    ]


def constants(mpi):
    done = set(classes(mpi)) | set(functions(mpi))
    return [n for n in public(dir(mpi)) if n not in done]


def _heading(text, char="="):
    return f"{text}\n{char * len(text)}\n"


def _value_repr(value):
    text = repr(value)
    if len(text) > 60 or "\n" in text:
        return None
    return text


def class_page(mpi, name):
    cls = getattr(mpi, name)
    if cls.__name__ != name:
        return "\n".join([
            _heading(name), ".. currentmodule:: cmpi.MPI", "",
            f".. py:class:: {name}", "",
            f"   Another name for :class:`{cls.__name__}` (the same class object), as in mpi4py.", ""])
    # a subclass's copies of inherited methods (MPI._method_copies, kept for
    # CPython's call fast path) are documented where they are defined
    copies = getattr(mpi, "_method_copies", {}).get(cls, ())
    own = [m for m in public(cls.__dict__) if m not in copies]
    methods = [m for m in own if member_kind(cls, m) == "method"]
    attributes = [m for m in own if member_kind(cls, m) == "attribute"]
    data = [m for m in own if member_kind(cls, m) == "data"]
    lines = [_heading(name), ".. currentmodule:: cmpi.MPI", ""]
    lines += [f".. autoclass:: {name}", "   :show-inheritance:", "   :no-members:", ""]
    inherited = [b.__name__ for b in cls.__mro__[1:] if b.__module__ == mpi.__name__]
    if inherited:
        links = ", ".join(f":class:`{b}`" for b in inherited)
        lines += [f"   It also has every member of {links}.", ""]
    if methods or attributes:
        lines += ["   .. rubric:: Summary", "", "   .. list-table::", "      :widths: 30 70", ""]
        for m in methods + attributes:
            role = "meth" if m in methods else "attr"
            text = escape(summary(getattr(cls, m))).replace("|", r"\|") or " "
            lines += [f"      * - :{role}:`~{name}.{m}`", f"        - {text}"]
        lines.append("")
    if methods:
        lines += ["   .. rubric:: Methods", ""]
        for m in methods:
            lines += [f"   .. automethod:: {m}", ""]
    if attributes:
        lines += ["   .. rubric:: Attributes", ""]
        for m in attributes:
            lines += [f"   .. autoattribute:: {m}", ""]
    if data:
        lines += ["   .. rubric:: Class constants", ""]
        for m in data:
            value = _value_repr(getattr(cls, m))
            lines += [f"   .. py:attribute:: {m}"]
            if value is not None:
                lines += [f"      :value: {value}"]
            lines.append("")
    return "\n".join(lines)


def functions_page(mpi):
    lines = [_heading("Functions"), ".. currentmodule:: cmpi.MPI", ""]
    lines += ["Module-level functions of ``cmpi.MPI``, alphabetically.", ""]
    for n in functions(mpi):
        lines += [f".. autofunction:: {n}", ""]
    return "\n".join(lines)


def constants_page(mpi):
    lines = [_heading("Constants and predefined objects"), ".. currentmodule:: cmpi.MPI", ""]
    lines += [
        "Every other public name of ``cmpi.MPI``: integer constants (error",
        "classes, thread levels, modes, ...) and the predefined handles",
        "(communicators, datatypes, operations, ...), grouped by type, with",
        "the value this build of cmpi has (it depends on the MPI library).",
        "",
    ]
    groups = {}
    for n in constants(mpi):
        groups.setdefault(type(getattr(mpi, n)).__name__, []).append(n)
    order = sorted(groups, key=lambda t: (t not in ("int", "float", "str"), t))
    for type_name in order:
        lines.append(_heading(f"``{type_name}``", "-"))
        for n in groups[type_name]:
            value = _value_repr(getattr(mpi, n))
            lines += [f".. py:data:: {n}", f"   :type: {type_name}"]
            if value is not None:
                lines += [f"   :value: {value}"]
            lines.append("")
    return "\n".join(lines)


def index_page(mpi):
    lines = [_heading("cmpi.MPI"), ".. py:module:: cmpi.MPI", ""]
    lines += [
        "The extension module, with mpi4py's ``MPI`` API. The pages below",
        "are generated from the module at build time: every public class",
        "with its own methods and attributes (inherited ones are documented",
        "on the base class), the functions and the constants.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        "   functions",
        "   constants",
    ]
    lines += [f"   {n}" for n in classes(mpi)]
    return "\n".join(lines) + "\n"


def write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def generate(app):
    from cmpi import MPI

    out = Path(app.srcdir) / OUT
    pages = {"index": index_page(MPI), "functions": functions_page(MPI),
             "constants": constants_page(MPI)}
    for name in classes(MPI):
        pages[name] = class_page(MPI, name)
    for stale in out.glob("*.rst") if out.exists() else ():
        if stale.stem not in pages:
            stale.unlink()
    for name, text in pages.items():
        write_if_changed(out / f"{name}.rst", text)


def setup(app):
    app.connect("builder-inited", generate)
    app.connect("autodoc-process-docstring", process_docstring)
    app.connect("autodoc-skip-member", skip_member)
    app.connect("autodoc-process-signature", process_signature)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
