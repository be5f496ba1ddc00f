"""Error handlers: the predefined ones, Get/Set/Call_errhandler, and
handlers made from Python functions with Comm.Create_errhandler."""

import sys

import pytest

from mpiimpl import MPI
from mpitestutil import MPICH_50


def test_predefined():
    for name in ("ERRHANDLER_NULL", "ERRORS_RETURN", "ERRORS_ARE_FATAL", "ERRORS_ABORT"):
        assert isinstance(getattr(MPI, name), MPI.Errhandler)
    assert not MPI.ERRHANDLER_NULL
    assert MPI.ERRORS_RETURN and MPI.ERRORS_ARE_FATAL
    assert MPI.ERRORS_RETURN != MPI.ERRORS_ARE_FATAL
    assert MPI.Errhandler(MPI.ERRORS_RETURN) == MPI.ERRORS_RETURN
    assert MPI.Errhandler() == MPI.ERRHANDLER_NULL
    with pytest.raises(MPI.Exception):
        MPI.ERRORS_RETURN.Free()


def test_default_is_errors_return():
    # cmpi installs ERRORS_RETURN so that failures become exceptions
    for comm in (MPI.COMM_WORLD, MPI.COMM_SELF):
        eh = comm.Get_errhandler()
        try:
            assert eh == MPI.ERRORS_RETURN
        finally:
            eh.Free()
    dup = MPI.COMM_WORLD.Dup()
    try:
        eh = dup.Get_errhandler()
        assert eh == MPI.ERRORS_RETURN
        eh.Free()
        with pytest.raises(MPI.Exception):
            dup.Send(b"x", dest=dup.size)
    finally:
        dup.Free()


def test_set_and_restore():
    comm = MPI.COMM_SELF.Dup()
    try:
        comm.Set_errhandler(MPI.ERRORS_ARE_FATAL)
        eh = comm.Get_errhandler()
        assert eh == MPI.ERRORS_ARE_FATAL
        eh.Free()
        comm.Set_errhandler(MPI.ERRORS_RETURN)
        comm.Call_errhandler(MPI.ERR_OTHER)  # returns: nothing happens
        with pytest.raises(MPI.Exception) as e:
            comm.Set_errhandler(MPI.ERRHANDLER_NULL)
        assert e.value.Get_error_class() == MPI.ERR_ARG
        with pytest.raises(TypeError):
            comm.Set_errhandler(None)
    finally:
        comm.Free()


def test_errors_abort():
    # ERRORS_ABORT is MPI-4; cmpi emulates it where the library lacks it
    comm = MPI.COMM_SELF.Dup()
    try:
        comm.Set_errhandler(MPI.ERRORS_ABORT)
        eh = comm.Get_errhandler()
        assert eh == MPI.ERRORS_ABORT
        assert eh != MPI.ERRORS_RETURN and eh != MPI.ERRORS_ARE_FATAL
        eh.Free()
        comm.Set_errhandler(MPI.ERRORS_RETURN)
    finally:
        comm.Free()


def test_python_errhandler(comm):
    calls = []

    def handler(c, code):
        calls.append((type(c), c.Get_size(), MPI.Get_error_class(code)))

    eh = MPI.Comm.Create_errhandler(handler)
    dup = comm.Dup()
    try:
        dup.Set_errhandler(eh)
        got = dup.Get_errhandler()
        assert got == eh
        got.Free()
        dup.Call_errhandler(MPI.ERR_OTHER)
        # a failing MPI call runs the handler, then still raises
        if MPICH_50:
            # MPICH 5.0.2 behind libmpi_abi.so returns MPI_SUCCESS once a
            # user handler has returned (nothing to raise); its own
            # libmpi.so returns the error.  The handler ran either way.
            try:
                _fail(dup)
            except MPI.Exception as exc:
                assert exc.Get_error_class() != MPI.SUCCESS
        else:
            with pytest.raises(MPI.Exception):
                _fail(dup)
        dup.Set_errhandler(MPI.ERRORS_RETURN)
    finally:
        dup.Free()
        eh.Free()
    assert calls[0] == (MPI.Intracomm, comm.Get_size(), MPI.ERR_OTHER)
    assert len(calls) == 2
    assert calls[1][0] is MPI.Intracomm


def _fail(comm):
    # an error only MPI detects (cmpi checks ranks, tags and datatypes
    # itself, without the communicator's handler): a keyval never created
    comm.Get_attr(999999)


def test_python_errhandler_exception_is_reported(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(u.exc_value))

    def handler(c, code):
        raise RuntimeError("from the handler")

    eh = MPI.Comm.Create_errhandler(handler)
    comm = MPI.COMM_SELF.Dup()
    try:
        comm.Set_errhandler(eh)
        comm.Call_errhandler(MPI.ERR_OTHER)  # unraisable, not fatal
        comm.Set_errhandler(MPI.ERRORS_RETURN)
    finally:
        comm.Free()
        eh.Free()
    assert len(seen) == 1 and str(seen[0]) == "from the handler"


def test_bad_input():
    with pytest.raises(TypeError):
        MPI.Comm.Create_errhandler(42)
    with pytest.raises(MPI.Exception):
        MPI.ERRHANDLER_NULL.Free()
    with pytest.raises(MPI.Exception):
        MPI.COMM_NULL.Get_errhandler()
