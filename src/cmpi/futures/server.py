"""Entry point of the worker processes an MPIPoolExecutor spawns
(``python -m cmpi.futures.server``): serve the parent until told to exit."""

import sys


def main():
    import faulthandler

    import cmpi

    cmpi.install_as_mpi4py()
    from cmpi import MPI

    from . import _core

    faulthandler.enable()
    parent = MPI.Comm.Get_parent()
    if parent == MPI.COMM_NULL:
        sys.stderr.write("cmpi.futures.server: not started by Spawn (no parent)\n")
        sys.exit(2)
    _core.serve(parent, 0, MPI.COMM_WORLD, once=True)
    parent.Disconnect()


if __name__ == "__main__":
    main()
