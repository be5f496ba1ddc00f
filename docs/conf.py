"""Sphinx configuration of cmpi's documentation (built by ``make docs``).

The build imports the installed cmpi (``.venv/<config>``): the API reference
is generated from the module itself (``_ext/cmpi_apiref.py``) and the
tutorial's outputs come from running the training programs under mpiexec
(``_ext/cmpi_run.py``).
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

import cmpi  # noqa: E402  (the installed package, not the source tree)

project = "cmpi"
author = "the cmpi authors"
copyright = "the cmpi authors"
release = cmpi.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "cmpi_apiref",
    "cmpi_run",
    "myst_parser",
]

# docs/details/ holds the longer notes in Markdown (they were the README's
# sections, moved as they were).
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"cmpi {release}"
html_static_path = []
templates_path = []
exclude_patterns = ["_build"]

# Callables of the C extension carry __text_signature__; the few that
# cannot (CMPI_DOC_NOSIG) put their signature on the docstring's first
# line, which autodoc reads.
autodoc_docstring_signature = True
autodoc_member_order = "alphabetical"
autodoc_typehints = "signature"
autosummary_generate = False

# Doctests run in one process (a world of one rank) with cmpi importable.
doctest_global_setup = "from cmpi import MPI"
doctest_test_doctest_blocks = "default"

# No network at build time: no intersphinx inventories are fetched.
