"""Error classes, codes and strings a program adds: Add_error_class,
Add_error_code, Add_error_string, and how Get_error_class,
Get_error_string and MPI.Exception see them."""

import pytest

from mpiimpl import MPI


def test_add_class_code_string():
    errclass = MPI.Add_error_class()
    assert errclass != MPI.Add_error_class()  # a new one each time
    code = MPI.Add_error_code(errclass)
    assert code != errclass
    assert MPI.Get_error_class(code) == errclass
    MPI.Add_error_string(errclass, "a class of my own")
    MPI.Add_error_string(code, "a code of my own")
    assert MPI.Get_error_string(errclass) == "a class of my own"
    assert MPI.Get_error_string(code) == "a code of my own"
    exc = MPI.Exception(code)
    assert exc.Get_error_code() == code
    assert exc.Get_error_class() == errclass
    assert exc.Get_error_string() == "a code of my own"
    assert "a code of my own" in str(exc)


def test_passed_to_an_error_handler():
    errclass = MPI.Add_error_class()
    code = MPI.Add_error_code(errclass)
    MPI.Add_error_string(code, "raised by the program")
    seen = []

    def handler(comm, error_code):
        seen.append((error_code, MPI.Get_error_class(error_code), MPI.Get_error_string(error_code)))

    eh = MPI.Comm.Create_errhandler(handler)
    comm = MPI.COMM_SELF.Dup()
    try:
        comm.Set_errhandler(eh)
        comm.Call_errhandler(code)
    finally:
        comm.Free()
        eh.Free()
    assert seen == [(code, errclass, "raised by the program")]


def test_invalid_arguments():
    # (MPICH 4.0 accepts any class in Add_error_code: not checked here)
    with pytest.raises(MPI.Exception):
        MPI.Add_error_string(MPI.ERR_LASTCODE + 10**6, "no such code")
    with pytest.raises(TypeError):
        MPI.Add_error_string(MPI.Add_error_class(), 1)  # type: ignore[arg-type]
    # bytes are taken, as mpi4py takes them
    errclass = MPI.Add_error_class()
    MPI.Add_error_string(errclass, b"set from bytes")  # type: ignore[arg-type]
    assert MPI.Get_error_string(errclass) == "set from bytes"
    with pytest.raises(TypeError):
        MPI.Add_error_code()  # type: ignore[call-arg]
