"""A send's buffer is MPI's until the send completes or is cancelled, and
the user's again afterwards: no later operation writes into it or reads
from it.

MPICH 4.0 breaks this after MPI_Request_free of a receive still pending
on a communicator of one process (COMM_SELF, any one-process
communicator): it keeps the freed request in its queue but recycles it
for the next operation, and a later matching send then writes into that
operation's buffer, long after it completed, and the message is lost
(a heap-use-after-free under ASan once the buffer is freed; fuzz seed
1408917591).  cmpi's Request.Free keeps such a request instead
(csrc/request.c, Request_Free).

The other tests cancel sends -- an interrupted blocking send, the send half
of an interrupted Sendrecv or sendrecv, Request.Cancel of an Isend -- then
write new data into the buffer and check that a later message arrives
intact and the buffer keeps what the user wrote.

Only COMM_SELF and its duplicates are used, so every rank runs the tests
on its own.  A timer signal (SIGALRM) stands in for Ctrl-C.
"""

import signal
import time

import pytest

from mpiimpl import IS_CMPI, MPI
from mpitestutil import Interrupted, alarm  # noqa: F401 (alarm: a fixture)

# Open MPI's ob1 cannot cancel a send: a synchronous send to self then
# waits for its receive.
# Intel MPI 2021 cannot either (its interrupted Ssend to self waits).
OPEN_MPI = MPI.Get_library_version().startswith("Open MPI")
SSEND_CANCELS = not OPEN_MPI and "Intel" not in MPI.Get_library_version()

# Communicators and buffers the tests leave to MPI: without cmpi's guard,
# MPICH still holds a stale receive that names them.
_KEPT: list[object] = []




def probe(comm, source, tag, status=None, seconds=0.5):
    """Iprobe until a message is there or `seconds` pass: a message to
    this same process may need a few progress calls to show (Intel MPI)."""
    deadline = time.monotonic() + seconds
    while True:
        if comm.Iprobe(source, tag, status):
            return True
        if time.monotonic() > deadline:
            return False


def later_message_arrives(comm, tag, buf, filler):
    """After a send from `buf` ended: the user fills it, a later send on
    the same communicator and tag arrives whole, and `buf` keeps what the
    user wrote."""
    buf[:] = filler * len(buf)
    payload = b"later-message-" * 4
    sreq = comm.Isend(payload, 0, tag)
    rbuf = bytearray(len(payload) + 8)
    status = MPI.Status()
    assert probe(comm, 0, tag, status, 5.0), "the later message was lost"
    assert status.Get_count(MPI.BYTE) == len(payload)
    comm.Recv(rbuf, 0, tag)
    sreq.Wait()
    assert bytes(rbuf[:len(payload)]) == payload
    assert bytes(buf) == filler * len(buf)


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's guard against an MPICH 4.0 bug")
def test_freed_pending_receive_leaves_later_sends_alone():
    freed_on = MPI.COMM_SELF.Dup()
    comm = MPI.COMM_SELF.Dup()
    req = freed_on.Irecv(bytearray(8), 0, 999)
    req.Free()
    assert req == MPI.REQUEST_NULL
    buf = bytearray(b"A" * 8)
    _KEPT.append((freed_on, comm, buf))
    # the operation after the Free: a send to self, completed by a receive
    sreq = comm.Isend([buf, MPI.BYTE], 0, 0)
    rbuf = bytearray(8)
    comm.Recv(rbuf, 0, 0)
    sreq.Wait()
    assert rbuf == bytearray(b"A" * 8)
    later_message_arrives(comm, 0, buf, b"Z")
    # the freed receive still takes its message, and is then done
    freed_on.Isend(b"complete", 0, 999).Wait()


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's guard against an MPICH 4.0 bug")
def test_disconnect_after_freeing_a_pending_receive():
    # MPI_Comm_disconnect waits for the communicator's pending requests
    # that are not freed: the one cmpi keeps must not hold it up.
    comm = MPI.COMM_SELF.Dup()
    rbuf = bytearray(8)
    _KEPT.append(rbuf)
    comm.Irecv(rbuf, 0, 996).Free()
    comm.Disconnect()
    assert comm == MPI.COMM_NULL
    other = MPI.COMM_SELF.Dup()
    _KEPT.append(other)
    later_message_arrives(other, 996, bytearray(8), b"Z")


@pytest.mark.skipif(not IS_CMPI, reason="cmpi's guard against an MPICH 4.0 bug")
def test_freed_pending_receive_still_takes_its_message():
    comm = MPI.COMM_SELF.Dup()
    rbuf = bytearray(8)
    _KEPT.append((comm, rbuf))
    req = comm.Irecv(rbuf, 0, 998)
    req.Free()
    sreq = comm.Isend(b"for-free", 0, 998)
    sreq.Wait()  # MPICH completes a send to self once it is matched
    assert not comm.Iprobe(0, 998)
    assert rbuf == bytearray(b"for-free")


@pytest.mark.parametrize("call", ["Send", "Ssend", "Rsend"])
def test_interrupted_blocking_send_leaves_buffer(alarm, call):
    comm = MPI.COMM_SELF.Dup()
    _KEPT.append(comm)
    buf = bytearray(b"S" * 8)
    if call == "Ssend" and not SSEND_CANCELS:
        pytest.skip("this MPI cannot cancel a synchronous send to self")
    alarm(0.2)
    try:
        getattr(comm, call)([buf, MPI.BYTE], 0, 1)
        interrupted = False
    except Interrupted:
        interrupted = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if probe(comm, 0, 1):
        # sent eagerly (Open MPI) before the signal: the message is whole
        rbuf = bytearray(8)
        comm.Recv(rbuf, 0, 1)
        assert rbuf == bytearray(b"S" * 8)
    else:
        assert interrupted, "the send completed but its message is gone"
    later_message_arrives(comm, 1, buf, b"Z")


@pytest.mark.parametrize("call", ["Send", "Ssend", "Rsend"])
def test_interrupted_blocking_send_of_a_temporary(alarm, call):
    # The fuzzer's sequence: the buffer goes with the call, so cmpi gives
    # it back once the send is cancelled (a use of it after that is a
    # heap-use-after-free under ASan: tests/memcheck/run-asan.sh).
    comm = MPI.COMM_SELF.Dup()
    _KEPT.append(comm)
    if call == "Ssend" and not SSEND_CANCELS:
        pytest.skip("this MPI cannot cancel a synchronous send to self")
    alarm(0.2)
    try:
        getattr(comm, call)([bytearray(b"T" * 8), MPI.BYTE], 0, 7)
    except Interrupted:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if probe(comm, 0, 7):
        rbuf = bytearray(8)
        comm.Recv(rbuf, 0, 7)
        assert rbuf == bytearray(b"T" * 8)
    for _ in range(3):
        later_message_arrives(comm, 7, bytearray(8), b"Z")
    req = comm.issend({"later": "object"}, 0, 7)
    assert comm.recv(None, 0, 7) == {"later": "object"}
    req.wait()


def test_interrupted_Sendrecv_send_half_leaves_buffer(alarm):
    comm = MPI.COMM_SELF.Dup()
    _KEPT.append(comm)
    sbuf = bytearray(b"H" * 8)
    alarm(0.2)
    with pytest.raises(Interrupted):
        # the receive waits for a tag nobody sends
        comm.Sendrecv([sbuf, MPI.BYTE], 0, 2, bytearray(8), 0, 3)
    if probe(comm, 0, 2):
        rbuf = bytearray(8)
        comm.Recv(rbuf, 0, 2)
        assert rbuf == bytearray(b"H" * 8)
    later_message_arrives(comm, 2, sbuf, b"Z")


def test_interrupted_sendrecv_of_object_ends(alarm):
    # The receive is interrupted: the send half is cancelled, not waited
    # for (MPICH completes a send to self only once it is matched).
    comm = MPI.COMM_SELF.Dup()
    _KEPT.append(comm)
    alarm(0.2)
    with pytest.raises(Interrupted):
        comm.sendrecv(b"object", 0, sendtag=4, source=0, recvtag=5)
    if probe(comm, 0, 4):
        assert comm.recv(None, 0, 4) == b"object"
    later_message_arrives(comm, 4, bytearray(8), b"Z")


@pytest.mark.parametrize("call", ["Isend", "Issend", "Irsend"])
@pytest.mark.parametrize("then", ["Wait", "Test", "Free"])
def test_cancelled_nonblocking_send_leaves_buffer(call, then):
    if call == "Issend" and not SSEND_CANCELS:
        pytest.skip("this MPI cannot cancel a synchronous send to self")
    comm = MPI.COMM_SELF.Dup()
    _KEPT.append(comm)
    buf = bytearray(b"N" * 8)
    req = getattr(comm, call)([buf, MPI.BYTE], 0, 6)
    req.Cancel()
    status = MPI.Status()
    if then == "Wait":
        req.Wait(status)
    elif then == "Test":
        while not req.Test(status):
            pass
    else:
        req.Free()
        del req
    if probe(comm, 0, 6):
        # completed before the cancel (Open MPI sends small messages to
        # itself eagerly): the message is whole
        rbuf = bytearray(8)
        comm.Recv(rbuf, 0, 6)
        assert rbuf == bytearray(b"N" * 8)
    elif then != "Free":
        assert status.Is_cancelled()
    later_message_arrives(comm, 6, buf, b"Z")
