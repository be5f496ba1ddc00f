"""The reference binding: mpi4py 4.1.2, built from its checked sdist
against the MPI under test, in a venv of its own.

    python tests/differential/reference.py openmpi   # prints its python

``build/differential/venv-<mpi>`` holds mpi4py (``pip install
--no-binary mpi4py`` of the sdist tests/compat/run-mpi4py-suite fetches
and checks into build/compat/, built with ``mpicc.openmpi`` or
``mpicc.mpich``) and numpy.  It is a test tool, never a dependency of
cmpi.  Creating it takes a few minutes (Cython and the C build); later
calls only check it.  ``CMPI_DIFF_MPI4PY_PYTHON`` names an existing
interpreter with mpi4py 4.1.2 instead (for development, e.g.
benchmarks/.venv-mpi4py-openmpi/bin/python, which benchmarks/compare.py
builds the same way from PyPI).
"""

import importlib.machinery
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BUILD = ROOT / "build" / "differential"
VERSION = "4.1.2"
#: The shared library each MPI's mpi4py must link (pip's cache may hold
#: a wheel built against the other MPI).
LIBRARY = {"openmpi": "libmpi.so.40", "mpich": "libmpich"}


def _compat_module():
    """tests/compat/run-mpi4py-suite (a script without .py) as a module:
    its fetch_sdist() downloads and checks the sdist once."""
    path = ROOT / "tests" / "compat" / "run-mpi4py-suite"
    loader = importlib.machinery.SourceFileLoader("cmpi_compat_suite", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def sdist():
    """(archive, extracted tree) of the checked mpi4py sdist."""
    compat = _compat_module()
    tree = compat.fetch_sdist()
    archive = compat.CACHE / compat.SDIST
    if not archive.exists() or compat._sha256(archive) != compat.SDIST_SHA256:
        compat._pip_download(archive)
    return archive, tree


def stub_path():
    """mpi4py 4.1.2's own MPI.pyi: the list of callables and their types."""
    return sdist()[1] / "src" / "mpi4py" / "MPI.pyi"


def _usable(python, mpi):
    """True if ``python`` imports mpi4py VERSION linked with ``mpi``'s library."""
    probe = ("import importlib.util, numpy, mpi4py; "
             "print(mpi4py.__version__); print(importlib.util.find_spec('mpi4py.MPI').origin)")
    proc = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    lines = proc.stdout.split()
    if proc.returncode != 0 or len(lines) != 2 or lines[0] != VERSION:
        return False
    ldd = subprocess.run(["ldd", lines[1]], capture_output=True, text=True).stdout
    return LIBRARY[mpi] in ldd


def python(mpi, log=print):
    """The reference interpreter for ``mpi`` ('openmpi' or 'mpich'),
    created if missing or unusable."""
    override = os.environ.get("CMPI_DIFF_MPI4PY_PYTHON")
    if override:
        if not _usable(override, mpi):
            raise SystemExit(f"CMPI_DIFF_MPI4PY_PYTHON={override}: no mpi4py {VERSION} "
                             f"linked with {LIBRARY[mpi]}")
        return override
    venv = BUILD / f"venv-{mpi}"
    py = venv / "bin" / "python"
    if py.exists() and _usable(py, mpi):
        return str(py)
    archive, _ = sdist()
    if venv.exists():
        shutil.rmtree(venv)
    log(f"[differential] creating {venv}: mpi4py {VERSION} from {archive.name} "
        f"built with mpicc.{mpi}, and numpy (a few minutes)")
    BUILD.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = dict(os.environ, MPICC=f"mpicc.{mpi}")
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-cache-dir", "numpy"],
                   env=env, check=True)
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-cache-dir",
                    "--no-binary", "mpi4py", str(archive)], env=env, check=True)
    if not _usable(py, mpi):
        raise SystemExit(f"[differential] {venv}: mpi4py {VERSION} not usable after the build")
    return str(py)


if __name__ == "__main__":
    print(python(sys.argv[1] if len(sys.argv) > 1 else "openmpi"))
