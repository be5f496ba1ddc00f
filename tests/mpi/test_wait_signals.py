"""Blocking calls wait by polling (csrc/wait.c): a signal handler that
raises while a rank is blocked ends the call with that exception, and the
operation is left in a safe state -- a receive posted for the call is
cancelled (a message sent later is not lost), a Request object's operation
stays pending and can still complete.

Only COMM_SELF is used, so every rank runs the same tests on its own.
A timer signal (SIGALRM) stands in for Ctrl-C.  Sends to self are
nonblocking: MPICH completes a send to self only once it is matched.
"""

import signal
import threading

import pytest

from mpiimpl import MPI, IS_CMPI
from mpitestutil import Interrupted, alarm  # noqa: F401 (alarm: a fixture)

pytestmark = [
    pytest.mark.skipif(not IS_CMPI, reason="cmpi's polling wait"),
    pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs setitimer"),
]




def test_Recv_interrupted_then_message_not_lost(alarm):
    comm = MPI.COMM_SELF
    buf = bytearray(4)
    alarm(0.2)
    with pytest.raises(Interrupted):
        comm.Recv(buf, source=0, tag=41)
    # the cancelled receive did not take the next message
    sreq = comm.Isend(b"abcd", dest=0, tag=41)
    buf2 = bytearray(4)
    comm.Recv(buf2, source=0, tag=41)
    sreq.Wait()
    assert bytes(buf2) == b"abcd"
    assert bytes(buf) == b"\0\0\0\0"


def test_recv_object_interrupted(alarm):
    comm = MPI.COMM_SELF
    alarm(0.2)
    with pytest.raises(Interrupted):
        comm.recv(source=0, tag=42)
    sreq = comm.isend({"x": 1}, dest=0, tag=42)
    assert comm.recv(source=0, tag=42) == {"x": 1}
    sreq.wait()


def test_recv_into_buffer_interrupted(alarm):
    comm = MPI.COMM_SELF
    alarm(0.2)
    with pytest.raises(Interrupted):
        comm.recv(bytearray(64), source=0, tag=43)
    sreq = comm.isend("after", dest=0, tag=43)
    assert comm.recv(bytearray(64), source=0, tag=43) == "after"
    sreq.wait()


def test_Probe_and_Mprobe_interrupted(alarm):
    comm = MPI.COMM_SELF
    alarm(0.2)
    with pytest.raises(Interrupted):
        comm.Probe(source=0, tag=44)
    alarm(0.2)
    with pytest.raises(Interrupted):
        comm.Mprobe(source=0, tag=44)
    sreq = comm.isend(7, dest=0, tag=44)
    assert comm.Probe(source=0, tag=44) is True
    assert comm.recv(source=0, tag=44) == 7
    sreq.wait()


def test_Request_Wait_interrupted_request_stays_pending(alarm):
    comm = MPI.COMM_SELF
    buf = bytearray(3)
    req = comm.Irecv(buf, source=0, tag=45)
    alarm(0.2)
    with pytest.raises(Interrupted):
        req.Wait()
    # still pending, still ours: it completes when the message comes
    assert not req.Test()
    comm.Send(b"xyz", dest=0, tag=45)
    req.Wait()
    assert bytes(buf) == b"xyz"


def test_Waitall_and_Waitany_interrupted(alarm):
    comm = MPI.COMM_SELF
    bufs = [bytearray(1), bytearray(1)]
    reqs = [comm.Irecv(bufs[i], source=0, tag=46 + i) for i in range(2)]
    alarm(0.2)
    with pytest.raises(Interrupted):
        MPI.Request.Waitall(reqs)
    alarm(0.2)
    with pytest.raises(Interrupted):
        MPI.Request.Waitany(reqs)
    comm.Send(b"b", dest=0, tag=47)
    assert MPI.Request.Waitany(reqs) == 1
    comm.Send(b"a", dest=0, tag=46)
    MPI.Request.Waitall(reqs)
    assert bufs == [bytearray(b"a"), bytearray(b"b")]


def test_Sendrecv_interrupted(alarm):
    comm = MPI.COMM_SELF
    rbuf = bytearray(2)
    alarm(0.2)
    with pytest.raises(Interrupted):
        # the receive waits for a tag nobody sends
        comm.Sendrecv(b"hi", dest=0, sendtag=48, recvbuf=rbuf, source=0,
                      recvtag=49)
    # the send either went out (Open MPI: eager) or was cancelled
    if comm.Iprobe(source=0, tag=48):
        comm.Recv(rbuf, source=0, tag=48)
        assert bytes(rbuf) == b"hi"
    # and the communicator still works
    sreq = comm.Isend(b"ok", dest=0, tag=49)
    comm.Recv(rbuf, source=0, tag=49)
    sreq.Wait()
    assert bytes(rbuf) == b"ok"


def test_Ssend_interrupted_waits_for_cancel_or_match(alarm):
    # A synchronous send to self with no receive: cancelled if the library
    # can; if it cannot, the call finishes only once matched, so a receive
    # is posted from a thread after the signal.
    comm = MPI.COMM_SELF
    rbuf = bytearray(2)

    def receive_later():
        import time
        time.sleep(1.0)
        comm.Irecv(rbuf, source=0, tag=50).Wait()

    t = threading.Thread(target=receive_later)
    t.start()
    alarm(0.2)
    try:
        comm.Ssend(b"ok", dest=0, tag=50)
    except Interrupted:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    # either cancelled (the thread's receive then waits for another send)
    # or matched by the thread's receive
    if t.is_alive():
        t.join(2.0)
    if t.is_alive():
        comm.Isend(b"ok", dest=0, tag=50).Wait()
        t.join(10)
    assert not t.is_alive()
    assert bytes(rbuf) == b"ok"
