"""Each subclass holds its own copy of the C methods it inherits.

MPI.c (cmpi_copy_inherited_methods) gives Intracomm, Cartcomm, Prequest
... a method descriptor of their own for each method of their bases:
CPython's specialized call of a method descriptor requires self's class
to be exactly the descriptor's, and COMM_WORLD is an Intracomm, so every
Comm method called on it missed that fast path.  These tests check that
the copies are there, behave as the originals, and stay out of what a
class is said to define itself (MPI._method_copies).
"""
import pytest

from mpiimpl import IS_CMPI, MPI

pytestmark = pytest.mark.skipif(not IS_CMPI, reason="cmpi's own method copies")

SUBCLASSES = ["Intracomm", "Intercomm", "Topocomm", "Cartcomm", "Graphcomm",
              "Distgraphcomm", "Prequest", "Grequest"]


def inherited_method_descriptors(cls):
    """name -> the base's method descriptor, for each C instance method
    that cls does not define itself."""
    found = {}
    for base in reversed(cls.__mro__[1:-1]):  # not object
        for name, value in vars(base).items():
            if type(value).__name__ == "method_descriptor":
                found[name] = value
    own = {name for name, value in vars(cls).items()
           if name not in MPI._method_copies[cls]}
    return {name: value for name, value in found.items() if name not in own}


@pytest.mark.parametrize("name", SUBCLASSES)
def test_every_inherited_method_has_a_copy_of_the_class(name):
    cls = getattr(MPI, name)
    inherited = inherited_method_descriptors(cls)
    copies = MPI._method_copies[cls]
    assert inherited, name
    # (with the collective checker or the profile on, some of the base's
    # methods are wrappers by now: their copies are wrapped likewise)
    assert set(inherited) <= copies
    for attr in copies:
        assert attr in vars(cls) and attr in dir(cls.__base__), attr
    for attr, base_method in inherited.items():
        copy = vars(cls)[attr]
        assert type(copy).__name__ == "method_descriptor"
        assert copy.__objclass__ is cls, attr
        assert copy.__doc__ == base_method.__doc__, attr
        assert copy.__text_signature__ == base_method.__text_signature__


def test_copies_behave_as_the_originals():
    world = MPI.COMM_WORLD
    assert vars(type(world))["Get_rank"] is not vars(MPI.Comm)["Get_rank"]
    assert world.Get_rank() == MPI.Comm.Get_rank(world) == world.rank
    assert world.Get_size() == MPI.Comm.Get_size(world) == world.size
    # the original still takes a subclass's instance; a copy, as any
    # method descriptor, only its own class's (mpi4py's Intracomm.Get_rank
    # is Comm's, and takes a Comm)
    with pytest.raises(TypeError, match="Intracomm"):
        MPI.Intracomm.Get_rank(MPI.Comm())
    dup = world.Dup()
    try:
        assert dup.Get_rank() == world.Get_rank()
    finally:
        dup.Free()


def test_overrides_are_not_copies():
    # a subclass's own methods stay its own
    assert "Create_intercomm" not in MPI._method_copies[MPI.Intracomm]
    assert "Sub" not in MPI._method_copies[MPI.Cartcomm]
    assert "Get_rank" in MPI._method_copies[MPI.Cartcomm]


def test_a_python_subclass_calls_the_copies():
    class MyComm(MPI.Intracomm):
        pass

    comm = MyComm(MPI.COMM_WORLD)
    assert comm.Get_rank() == MPI.COMM_WORLD.Get_rank()
    assert "Get_rank" not in vars(MyComm)
