"""Utilities on top of :mod:`cmpi.MPI` (as :mod:`mpi4py.util`)."""
