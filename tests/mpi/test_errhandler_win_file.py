"""Error handlers made from Python functions for windows and files
(Win.Create_errhandler, File.Create_errhandler), as Comm.Create_errhandler
makes them for communicators (test_errhandler.py)."""

import os
import tempfile

import pytest

from mpiimpl import MPI


def test_win_handler_called():
    calls = []
    eh = MPI.Win.Create_errhandler(lambda win, code: calls.append((win, code)))
    win = MPI.Win.Allocate(8, comm=MPI.COMM_WORLD)
    try:
        win.Set_errhandler(eh)
        got = win.Get_errhandler()
        assert got == eh
        got.Free()
        win.Call_errhandler(MPI.ERR_OTHER)
        assert len(calls) == 1
        assert isinstance(calls[0][0], MPI.Win) and calls[0][0] == win
        assert calls[0][1] == MPI.ERR_OTHER
        win.Set_errhandler(MPI.ERRORS_RETURN)
        win.Call_errhandler(MPI.ERR_OTHER)  # no longer the Python handler
        assert len(calls) == 1
    finally:
        win.Free()
        eh.Free()


def test_file_handler_called():
    comm = MPI.COMM_SELF
    calls = []
    eh = MPI.File.Create_errhandler(lambda f, code: calls.append((f, code)))
    fd, path = tempfile.mkstemp(prefix="cmpi-eh-")
    os.close(fd)
    fh = MPI.File.Open(comm, path, MPI.MODE_RDWR)
    try:
        fh.Set_errhandler(eh)
        fh.Call_errhandler(MPI.ERR_IO)
        assert len(calls) == 1
        assert isinstance(calls[0][0], MPI.File) and calls[0][0] == fh
        assert calls[0][1] == MPI.ERR_IO
    finally:
        fh.Close()
        os.unlink(path)
        eh.Free()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_handler_that_raises_is_reported():
    def handler(win, code):
        raise ValueError("from the handler")

    eh = MPI.Win.Create_errhandler(handler)
    win = MPI.Win.Allocate(8, comm=MPI.COMM_WORLD)
    try:
        win.Set_errhandler(eh)
        win.Call_errhandler(MPI.ERR_OTHER)  # reported, not raised: as mpi4py
    finally:
        win.Free()
        eh.Free()


def test_not_callable():
    for cls in (MPI.Win, MPI.File):
        with pytest.raises(TypeError):
            cls.Create_errhandler(42)
