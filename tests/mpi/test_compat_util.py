"""What mpi4py's own util tests ask of cmpi: pool terminate() with results
still pending, lowercase request completion filling statuses (a list or
a tuple), Request.free, the datatype helpers dtlib relies on
(_typealign, Get_value_index, Fortran type strings) and dtlib's
conversions, with and without NumPy."""

import time

import numpy as np
import pytest

from mpiimpl import MPI, IS_CMPI

if IS_CMPI:
    from cmpi.util import dtlib, pool, sync
else:
    from mpi4py.util import dtlib, pool, sync  # type: ignore[no-redef]


def test_threadpool_terminate_gives_up_pending():
    p = pool.ThreadPool(1)
    for _ in range(20):
        p.apply_async(time.sleep, (0.01,))
    result = p.apply_async(time.sleep, (0.01,))
    p.terminate()
    p.join()
    result.wait()
    assert result.ready()
    assert not result.successful()
    with pytest.raises(TimeoutError):
        result.get()

    p = pool.ThreadPool(1)
    result = p.map_async(time.sleep, [0.01] * 20, chunksize=1)
    p.terminate()
    p.join()
    result.wait()
    assert not result.successful()
    with pytest.raises(TimeoutError):
        result.get(0.01)


def test_threadpool_results_after_close():
    with pool.ThreadPool(2) as p:
        r = p.map_async(abs, [-1, -2, 3])
        a = p.apply_async(divmod, (7, 2))
        assert r.get() == [1, 2, 3]
        assert a.get() == (3, 1)
        assert r.successful() and a.ready()


def _send_to_self(comm, n):
    rank = comm.Get_rank()
    return [comm.issend(i, rank, 5) for i in range(n)]


def test_waitall_statuses_list_and_tuple():
    comm = MPI.COMM_SELF
    reqs = _send_to_self(comm, 3)
    rreqs = [comm.irecv(source=0, tag=5) for _ in range(3)]
    statuses = []  # type: ignore[var-annotated]
    assert MPI.Request.waitall(rreqs, statuses) == [0, 1, 2]
    assert len(statuses) == 3
    assert all(isinstance(s, MPI.Status) and s.Get_tag() == 5 for s in statuses)
    statuses = (MPI.Status(),)  # type: ignore[assignment]
    MPI.Request.waitall(reqs, statuses)
    assert statuses[0].Get_error() == MPI.SUCCESS
    with pytest.raises(TypeError):
        MPI.Request.waitall([], 42)  # type: ignore[arg-type]


def test_get_status_all_fills_statuses():
    comm = MPI.COMM_SELF
    reqs = _send_to_self(comm, 2)
    assert MPI.Request.get_status_all(reqs) is False
    assert [comm.recv(source=0, tag=5) for _ in range(2)] == [0, 1]
    statuses = []  # type: ignore[var-annotated]
    while not MPI.Request.get_status_all(reqs, statuses):
        pass
    assert len(statuses) == 2
    assert all(isinstance(s, MPI.Status) for s in statuses)
    assert MPI.Request.waitall(reqs) == [None, None]


def test_request_free_lowercase():
    comm = MPI.COMM_SELF
    req = comm.isend(b"x", 0, 6)
    assert comm.recv(source=0, tag=6) == b"x"
    req.free()
    assert req == MPI.REQUEST_NULL


def test_typealign():
    for code in "bhilqfdgFDG":
        assert MPI._typealign(MPI.Datatype.fromcode(code)) == np.dtype(code).alignment
    dup = MPI.DOUBLE.Dup()
    assert MPI._typealign(dup) == np.dtype("d").alignment
    dup.Free()
    assert MPI._typealign(MPI.DOUBLE_INT) == np.dtype("d,i", align=True).alignment
    s = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.INT, MPI.DOUBLE])
    assert MPI._typealign(s) is None
    s.Free()


def test_get_value_index():
    assert MPI.Datatype.Get_value_index(MPI.DOUBLE, MPI.INT) == MPI.DOUBLE_INT
    assert MPI.Datatype.Get_value_index(MPI.INT, MPI.INT) == MPI.INT_INT
    assert MPI.Datatype.Get_value_index(MPI.FLOAT, MPI.DOUBLE) == MPI.DATATYPE_NULL


def test_fortran_typestr():
    for name, kind in [("REAL16", "f"), ("COMPLEX32", "c"), ("INTEGER16", "i")]:
        t = getattr(MPI, name)
        if t == MPI.DATATYPE_NULL:
            continue
        try:
            size = t.Get_size()
        except MPI.Exception:
            continue
        if size in (0, MPI.UNDEFINED):
            continue
        assert t.typestr == f"{kind}{size}"


DTLIB_SPECS = ["i4", "f8", "(3,)i2", "(2,3)f4", "i4,f8", "c,d,c", "i1,(2,2)f8,u2"]


@pytest.mark.parametrize("spec", DTLIB_SPECS)
@pytest.mark.parametrize("align", [False, True])
def test_dtlib_roundtrip(spec, align):
    dt1 = np.dtype(spec, align=align)
    mt1 = dtlib.from_numpy_dtype(dt1)
    dt2 = dtlib.to_numpy_dtype(mt1)
    mt2 = dtlib.from_numpy_dtype(dt2)
    try:
        assert dt2 == dt1
        assert dtlib.to_numpy_dtype(mt2) == dt1
        assert mt1.extent == dt1.itemsize == mt2.extent
        if dt1.names and align:
            assert dt2.isalignedstruct
    finally:
        mt1.Free()
        mt2.Free()


def test_dtlib_derived_with_lower_bound():
    # an indexed type starting past 0: NumPy's item reaches its upper bound
    mt = MPI.INT.Create_indexed([4] * 3, [1, 6, 12])
    dt = dtlib.to_numpy_dtype(mt)
    assert dt.itemsize == 16 * MPI.INT.extent
    assert [dt.fields[n][1] for n in dt.names] == [4, 24, 48]
    mt.Free()
    st = MPI.Datatype.Create_struct([1, 2, 3], [1, 27, 71], [MPI.INT, MPI.DOUBLE, MPI.INT])
    dt = dtlib.to_numpy_dtype(st)
    assert dt.itemsize == st.extent
    st.Free()


def test_dtlib_failures():
    endian = ">" if np.little_endian else "<"
    for bad in (endian + "i4", "O", "V", "V8"):
        with pytest.raises(ValueError):
            dtlib.from_numpy_dtype(np.dtype(bad))
    with pytest.raises(ValueError):
        dtlib.to_numpy_dtype(MPI.DATATYPE_NULL)
    for mt in (MPI.INT.Create_resized(0, 32), MPI.INT.Create_subarray([2], [1], [0])):
        with pytest.raises(ValueError):
            dtlib.to_numpy_dtype(mt)
        mt.Free()


def test_dtlib_without_numpy(monkeypatch):
    monkeypatch.setattr(dtlib, "_np_dtype", None)
    assert dtlib.to_numpy_dtype(MPI.INT) == MPI.INT.tocode()
    c = MPI.DOUBLE.Create_contiguous(7)
    assert dtlib.to_numpy_dtype(c) == (MPI.DOUBLE.tocode(), (7,))
    c.Free()
    s = MPI.Datatype.Create_struct([1, 1], [0, 8], [MPI.DOUBLE, MPI.DOUBLE])
    spec = dtlib.to_numpy_dtype(s)
    s.Free()
    assert spec["formats"] == [MPI.DOUBLE.tocode()] * 2
    assert spec["offsets"] == [0, 8] and spec["itemsize"] == 16
    assert spec["aligned"] is True
    with pytest.raises(RuntimeError):
        dtlib.from_numpy_dtype("i4")


def test_mutex_locked_means_held_here():
    comm = MPI.COMM_WORLD
    mutex = sync.Mutex(comm=comm)
    try:
        comm.Barrier()
        got = mutex.acquire(blocking=False)
        comm.Barrier()
        assert mutex.locked() == got  # another rank holding it does not count
        if got:
            mutex.release()
        assert not mutex.locked()
        assert comm.allgather(got).count(True) == 1
        comm.Barrier()
    finally:
        mutex.free()


def test_bounded_semaphore_never_passes_its_bound():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    sem = sync.Semaphore(size, comm=comm)
    try:
        for _ in range(3):
            assert sem.acquire()
            comm.Barrier()
            assert sem._counter.next(0) == 0  # type: ignore[attr-defined]
            assert not sem.acquire(blocking=False)
            comm.Barrier()
            sem.release()
            comm.Barrier()
            assert sem._counter.next(0) == size  # type: ignore[attr-defined]
            with pytest.raises(ValueError):
                sem.release()  # at its bound, whoever else tries too
            assert sem._counter.next(0) == size  # type: ignore[attr-defined]
            comm.Barrier()
    finally:
        sem.free()
