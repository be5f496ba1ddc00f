"""Synchronization across processes (as :mod:`mpi4py.util.sync`): not yet
available in cmpi -- it needs one-sided communication (MPI.Win)."""
