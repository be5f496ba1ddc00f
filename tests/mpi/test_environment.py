"""Environment: initialization state, versions, timers and constants."""

import threading
import time

from mpiimpl import MPI


def test_is_initialized():
    assert MPI.Is_initialized() is True


def test_is_finalized():
    assert MPI.Is_finalized() is False


def test_query_thread_default_multiple():
    assert MPI.Query_thread() == MPI.THREAD_MULTIPLE


def test_is_thread_main():
    assert MPI.Is_thread_main() is True
    seen = []
    t = threading.Thread(target=lambda: seen.append(MPI.Is_thread_main()))
    t.start()
    t.join()
    assert seen == [False]


def test_get_version():
    version = MPI.Get_version()
    assert isinstance(version, tuple)
    assert len(version) == 2
    assert all(type(v) is int for v in version)
    assert version >= (3, 0)
    assert version == (MPI.VERSION, MPI.SUBVERSION)


def test_get_library_version():
    text = MPI.Get_library_version()
    assert isinstance(text, str)
    assert text.strip()
    assert "Open MPI" in text or "MPICH" in text or "Intel(R) MPI" in text


def test_get_processor_name():
    name = MPI.Get_processor_name()
    assert isinstance(name, str)
    assert name
    assert MPI.Get_processor_name() == name


def test_wtime_monotone():
    t0 = MPI.Wtime()
    assert isinstance(t0, float)
    values = [MPI.Wtime() for _ in range(100)]
    assert all(b >= a for a, b in zip([t0] + values, values))
    time.sleep(0.02)
    t1 = MPI.Wtime()
    assert 0.01 <= t1 - t0 < 10


def test_wtick():
    tick = MPI.Wtick()
    assert isinstance(tick, float)
    assert 0 < tick < 1


def test_get_vendor():
    vendor = MPI.get_vendor()
    assert isinstance(vendor, tuple) and len(vendor) == 2
    name, version = vendor
    assert name in ("Open MPI", "MPICH", "Intel MPI")
    assert isinstance(version, tuple) and len(version) == 3
    assert all(type(v) is int for v in version)
    text = MPI.Get_library_version()
    if name == "Intel MPI":
        assert "Intel(R) MPI Library %d.%d.%d" % version in text
    else:
        assert name in text


def test_abi_flag():
    # cmpi's own flag: (MPI_ABI_VERSION, MPI_ABI_SUBVERSION) when built on
    # the MPI-5 standard ABI (mpicc_abi), else None
    abi = getattr(MPI, "_ABI_VERSION", None)
    if abi is None:
        return
    assert type(abi) is tuple and abi >= (1, 0)
    # the ABI has no Fortran handles: py2f gives MPI_Comm_toint's integer
    assert MPI.COMM_WORLD.py2f() == MPI.COMM_WORLD.toint()
    assert MPI.Comm.f2py(MPI.COMM_SELF.toint()) == MPI.COMM_SELF
    assert len(MPI.Status().py2f()) == 8  # MPI_F_STATUS_SIZE


def test_rank_constants():
    values = {MPI.ANY_SOURCE, MPI.PROC_NULL, MPI.ROOT}
    assert len(values) == 3
    for v in values:
        assert type(v) is int and v < 0
    assert type(MPI.ANY_TAG) is int and MPI.ANY_TAG < 0
    assert type(MPI.UNDEFINED) is int and MPI.UNDEFINED < 0
    assert MPI.UNDEFINED not in values


def test_buffer_constants():
    assert MPI.IN_PLACE is not None
    assert MPI.BOTTOM is not None
    assert MPI.IN_PLACE is not MPI.BOTTOM
    assert MPI.IN_PLACE != MPI.BOTTOM


def test_tag_ub():
    tag_ub = MPI.COMM_WORLD.Get_attr(MPI.TAG_UB)
    assert type(tag_ub) is int
    assert tag_ub >= 32767


def test_thread_levels():
    assert MPI.THREAD_SINGLE < MPI.THREAD_FUNNELED
    assert MPI.THREAD_FUNNELED < MPI.THREAD_SERIALIZED
    assert MPI.THREAD_SERIALIZED < MPI.THREAD_MULTIPLE


def test_compare_results():
    assert MPI.IDENT < MPI.CONGRUENT < MPI.SIMILAR < MPI.UNEQUAL


def test_world_size_consistent():
    # Every rank sees the same size and a distinct rank.
    comm = MPI.COMM_WORLD
    ranks = comm.allgather(comm.Get_rank())
    sizes = comm.allgather(comm.Get_size())
    assert ranks == list(range(comm.Get_size()))
    assert sizes == [comm.Get_size()] * comm.Get_size()
