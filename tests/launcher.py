"""How the test suite starts MPI jobs, for Open MPI and MPICH alike.

The suite is run once per MPI library, each with its own virtual
environment in which cmpi was built against that library:

    .venv/openmpi/bin/python     cmpi built with mpicc.openmpi
    .venv/mpich/bin/python       cmpi built with mpicc.mpich

``CMPI_MPI`` (``openmpi`` or ``mpich``) names the library under test;
``mpiexec(n)`` returns the launcher command for it and ``mpi_env()`` the
environment that lets it run as root and oversubscribe the two cores.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLAVORS = ("openmpi", "mpich")


def flavor():
    """The MPI library under test: ``CMPI_MPI``, default ``openmpi``."""
    name = os.environ.get("CMPI_MPI", "openmpi")
    if name not in FLAVORS:
        raise ValueError(f"CMPI_MPI={name!r}: expected one of {FLAVORS}")
    return name


def python(name=None):
    """The interpreter whose cmpi is built against MPI library ``name``."""
    venv = ROOT / ".venv" / (name or flavor()) / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def mpi_env(name=None, base=None):
    """Environment for running jobs of library ``name`` on this machine."""
    env = dict(os.environ if base is None else base)
    env["CMPI_MPI"] = name or flavor()
    # Open MPI refuses root and more ranks than cores unless told; both
    # are harmless to MPICH.  Yielding keeps oversubscribed ranks from
    # burning each other's time slices in busy-poll loops.
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    env.setdefault("OMPI_MCA_mpi_yield_when_idle", "1")
    # The psm/psm2 transports probe for absent hardware and cost ~200 ms
    # per MPI_Init; ob1 is what gets selected anyway.
    env.setdefault("OMPI_MCA_pml", "ob1")
    env.setdefault("OMPI_MCA_btl", "self,vader,tcp")
    return env


def mpiexec(n, name=None):
    """Launcher command prefix for ``n`` ranks of library ``name``."""
    name = name or flavor()
    if name == "openmpi":
        return ["mpiexec.openmpi", "--oversubscribe", "-n", str(n)]
    return ["mpiexec.mpich", "-n", str(n)]
