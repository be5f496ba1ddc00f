"""Every name of mpi4py 4.x's MPI module resolves in cmpi.MPI: to cmpi's
own implementation, or to a stand-in that raises NotImplementedError naming
the MPI function -- never to an AttributeError."""

import os
import re

import pytest

from mpiimpl import MPI, IS_CMPI

pytestmark = pytest.mark.skipif(not IS_CMPI, reason="checks cmpi's stand-ins")

if IS_CMPI:
    from cmpi import _mpi4py_api

    NAMES = list(_mpi4py_api._names())  # type: ignore[attr-defined]
else:
    NAMES = []


def lookup(name):
    obj = MPI
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def test_list_is_mpi4py_sized():
    # mpi4py 4.1.2 has about a thousand public names; a short list would
    # mean a broken generator, and this test would check little.
    assert len(NAMES) > 900
    kinds = {kind for kind, _ in NAMES}
    assert kinds == {"class", "function", "data", "method", "attribute"}


@pytest.mark.parametrize("kind,name", NAMES, ids=[n for _, n in NAMES])
def test_name_resolves(kind, name):
    try:
        obj = lookup(name)
    except NotImplementedError as exc:
        assert "not available in cmpi" in str(exc)
        return
    except AttributeError as exc:
        pytest.fail(f"MPI.{name}: AttributeError {exc}")
    if getattr(obj, "__cmpi_missing__", False):
        try:
            obj()
        except NotImplementedError as exc:
            assert "not available in cmpi" in str(exc)
        except TypeError as exc:
            # a stand-in that checks its arguments first, as mpi4py does,
            # refuses none where it takes some (or self)
            assert getattr(obj, "__cmpi_checks_arguments__", False), exc
            assert re.search(re.escape(name.rpartition(".")[2]), str(exc)), exc
        else:
            pytest.fail(f"MPI.{name}: the stand-in returned")


def test_stand_ins_name_the_mpi_function():
    assert _mpi4py_api.mpi_function(None, "Get_address") == "MPI_Get_address"
    assert _mpi4py_api.mpi_function("Comm", "Ibarrier") == "MPI_Ibarrier"
    assert _mpi4py_api.mpi_function("Comm", "Revoke") == "MPI_Comm_revoke"
    assert _mpi4py_api.mpi_function("Session", "Init") == "MPI_Session_init"
    assert _mpi4py_api.mpi_function("Prequest", "Pready") == "MPI_Pready"
    assert _mpi4py_api.mpi_function("Intracomm", "Create_cart") == "MPI_Cart_create"
    assert _mpi4py_api.mpi_function("Info", "keys") is None


def test_implemented_names_are_not_shadowed():
    # Names cmpi implements keep their C implementation.
    for name in ("Comm.Send", "Comm.bcast", "Intracomm.Allreduce", "Wtime", "Datatype.Get_size"):
        obj = lookup(name)
        assert not getattr(obj, "__cmpi_missing__", False), name
    assert not any(n in ("Comm.Send", "Wtime") for n in _mpi4py_api.missing())


def test_unknown_name_is_attribute_error():
    with pytest.raises(AttributeError):
        MPI.No_such_function_anywhere  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(MPI, "no_such_name")


def test_missing_list_printed_for_the_record():
    # Kept visible in the test log (-s) so the list of stand-ins is seen.
    missing = _mpi4py_api.missing()
    if os.environ.get("CMPI_SHOW_MISSING"):
        print("\n".join(missing))
    assert len(missing) < len(NAMES)
