"""Large lowercase messages: objects above the single-message size travel
as an envelope plus a payload, and must keep MPI's matching order and
progress (a posted irecv is a real receive)."""

import numpy as np
import pytest

from mpiimpl import MPI, IS_CMPI
from mpitestutil import ring

SIZES = [10, 40_000, 3 * 1024 * 1024]


def payload(rank, nbytes):
    return {"rank": rank, "blob": bytes([rank % 251]) * nbytes, "arr": np.arange(nbytes // 8)}


def same(a, b):
    return (a["rank"], a["blob"]) == (b["rank"], b["blob"]) and np.array_equal(a["arr"], b["arr"])


@pytest.mark.skipif(not IS_CMPI, reason="mpi4py's irecv has a 32 KiB limit")
@pytest.mark.parametrize("nbytes", SIZES)
def test_irecv_then_blocking_send_exchange(comm, nbytes):
    # Every rank posts its receive, then sends with a blocking send: valid
    # MPI for any size, since the receives are posted first.
    rank, size, dest, source = ring(comm)
    req = comm.irecv(source=source, tag=41)
    if size == 1:
        sreq = comm.isend(payload(rank, nbytes), dest=dest, tag=41)
        got = req.wait()
        sreq.wait()
    else:
        comm.send(payload(rank, nbytes), dest=dest, tag=41)
        got = req.wait()
    assert same(got, payload(source, nbytes))


@pytest.mark.skipif(not IS_CMPI, reason="mpi4py's irecv has a 32 KiB limit")
@pytest.mark.parametrize("nbytes", SIZES)
def test_irecv_order_is_posting_order(comm, nbytes):
    # Two receives posted for the same source and tag take the two
    # messages in the order they were sent, whatever their sizes.
    rank, size, dest, source = ring(comm)
    r1 = comm.irecv(source=source, tag=42)
    r2 = comm.irecv(source=source, tag=42)
    s1 = comm.isend(("first", payload(rank, nbytes)), dest=dest, tag=42)
    s2 = comm.isend(("second", payload(rank, 10)), dest=dest, tag=42)
    got2 = r2.wait()
    got1 = r1.wait()
    MPI.Request.waitall([s1, s2])
    assert got1[0] == "first" and same(got1[1], payload(source, nbytes))
    assert got2[0] == "second" and same(got2[1], payload(source, 10))


@pytest.mark.parametrize("nbytes", SIZES)
def test_large_objects_any_receive_path(comm, nbytes):
    rank, size, dest, source = ring(comm)
    # recv() sized by probe
    sreq = comm.isend(payload(rank, nbytes), dest=dest, tag=43)
    got = comm.recv(source=source, tag=43)
    sreq.wait()
    assert same(got, payload(source, nbytes))
    # sendrecv
    got = comm.sendrecv(payload(rank, nbytes), dest=dest, sendtag=44, source=source, recvtag=44)
    assert same(got, payload(source, nbytes))
    # waitall / testall over a mix of large and small receives
    reqs = [comm.irecv(source=source, tag=45 + i) for i in range(2)] if IS_CMPI or nbytes < 30000 else []
    if reqs:
        sends = [comm.isend(payload(rank, n), dest=dest, tag=45 + i) for i, n in enumerate([nbytes, 10])]
        objs = MPI.Request.waitall(reqs)
        MPI.Request.waitall(sends)
        assert same(objs[0], payload(source, nbytes)) and same(objs[1], payload(source, 10))


@pytest.mark.skipif(not IS_CMPI, reason="mpi4py's irecv has a 32 KiB limit")
def test_large_irecv_test_polling(comm):
    rank, size, dest, source = ring(comm)
    req = comm.irecv(source=source, tag=47)
    sreq = comm.isend(payload(rank, 200_000), dest=dest, tag=47)
    while True:
        flag, obj = req.test()
        if flag:
            break
    sreq.wait()
    assert same(obj, payload(source, 200_000))


@pytest.mark.skipif(not IS_CMPI, reason="mpi4py's irecv has a 32 KiB limit")
def test_large_waitany(comm):
    rank, size, dest, source = ring(comm)
    reqs = [comm.irecv(source=source, tag=48), comm.irecv(source=source, tag=49)]
    sends = [comm.isend(payload(rank, 100_000), dest=dest, tag=48),
             comm.isend(payload(rank, 50_000), dest=dest, tag=49)]
    seen = {}
    for _ in range(2):
        idx, obj = MPI.Request.waitany(reqs)
        seen[idx] = obj
    MPI.Request.waitall(sends)
    assert same(seen[0], payload(source, 100_000)) and same(seen[1], payload(source, 50_000))
