"""Pickle-based communication of Python objects with out-of-band buffers
(as :mod:`mpi4py.util.pkl5`).

In mpi4py this module exists because its lowercase methods send a pickle
as one contiguous message, limited to 2 GiB and copying every large
buffer into the pickle.  cmpi's lowercase methods already use pickle
protocol 5 with out-of-band buffers (sent zero-copy, each as its own
message) and any message size, so here :class:`Comm`, :class:`Request`
and :class:`Message` are thin wrappers that give mpi4py.util.pkl5's
interface on top of them:

- ``Comm`` (and ``Intracomm``, ``Intercomm``) wrap a communicator;
  their lowercase methods return :class:`Request` and :class:`Message`
  objects, and ``irecv`` is refused as in mpi4py (the size of the
  incoming message is not known in advance: use ``mprobe().irecv()``).
- ``Request`` and ``Message`` are tuples of MPI requests or messages.
- ``pickle`` is this module's :class:`~cmpi.MPI.Pickle` object and
  ``_bigmpi`` a helper describing a large buffer as blocks.
"""

from .. import MPI
from ..MPI import ANY_SOURCE, ANY_TAG, PROC_NULL, ROOT, Pickle, Status  # noqa: F401

__all__ = ["pickle", "Request", "Message", "Comm", "Intracomm", "Intercomm"]

#: The pickler of this module, with out-of-band buffers from 64 KiB.
pickle = Pickle()


class _BigMPI:
    """Describe a buffer of any size as ``(buf, count, datatype)`` with a
    count that fits in a C int: blocks of ``blocksize`` bytes, plus a
    remainder, as one derived datatype (cached by size)."""

    blocksize = 1 << 30

    def __init__(self):
        self.cache = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for datatype in self.cache.values():
            datatype.Free()
        self.cache.clear()

    def __call__(self, buf):
        view = memoryview(buf)
        nbytes = view.nbytes
        blocksize = self.blocksize
        if nbytes < blocksize:
            return (buf, nbytes, MPI.BYTE)
        datatype = self.cache.get(nbytes)
        if datatype is None:
            blocks, rest = divmod(nbytes, blocksize)
            block = MPI.BYTE.Create_contiguous(blocksize)
            body = block.Create_contiguous(blocks)
            block.Free()
            if rest:
                full = MPI.Datatype.Create_struct([1, rest], [0, blocks * blocksize], [body, MPI.BYTE])
                body.Free()
            else:
                full = body
            datatype = full.Commit()
            self.cache[nbytes] = datatype
        return (buf, 1, datatype)


_bigmpi = _BigMPI()


def _unwrap_requests(requests):
    return [r for request in requests for r in (request if isinstance(request, Request) else (request,))]


class Request(tuple):
    """One or more MPI requests standing for one object transfer."""

    def __new__(cls, request=None):
        if request is None:
            request = (MPI.REQUEST_NULL,)
        elif isinstance(request, MPI.Request):
            request = (request,)
        return super().__new__(cls, request)

    def __eq__(self, other):
        if isinstance(other, Request):
            return tuple.__eq__(self, other)
        if isinstance(other, MPI.Request):
            return all(r == other for r in self)
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    def __bool__(self):
        return any(self)

    def Free(self):
        """Free the requests."""
        for request in self:
            request.Free()

    free = Free

    def cancel(self):
        """Cancel the requests."""
        for request in self:
            request.Cancel()

    def get_status(self, status=None):
        """Whether the transfer has completed, without completing it."""
        return self[0].get_status(status)

    def test(self, status=None):
        """``(flag, obj)``: complete the transfer if it is done."""
        return self[0].test(status)

    def wait(self, status=None):
        """Wait for the transfer; the received object (None for a send)."""
        return self[0].wait(status)

    @classmethod
    def get_status_all(cls, requests, statuses=None):
        """Whether all transfers have completed, without completing them."""
        return MPI.Request.get_status_all(_unwrap_requests(requests), statuses)

    @classmethod
    def testall(cls, requests, statuses=None):
        """``(flag, objs)``: complete all transfers if all are done."""
        return MPI.Request.testall(_unwrap_requests(requests), statuses)

    @classmethod
    def waitall(cls, requests, statuses=None):
        """Wait for all transfers; the list of received objects."""
        return MPI.Request.waitall(_unwrap_requests(requests), statuses)


class Message(tuple):
    """A matched incoming object, to receive with ``recv`` or ``irecv``."""

    def __new__(cls, message=None):
        if message is None:
            message = (MPI.MESSAGE_NULL,)
        elif isinstance(message, MPI.Message):
            message = (message,)
        return super().__new__(cls, message)

    def __eq__(self, other):
        if isinstance(other, Message):
            return tuple.__eq__(self, other)
        if isinstance(other, MPI.Message):
            return all(m == other for m in self)
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = None

    def __bool__(self):
        return any(self)

    def free(self):
        """Free the message (receive and discard it)."""
        for message in self:
            message.free()

    def recv(self, status=None):
        """Receive the matched object."""
        return self[0].recv(status)

    def irecv(self):
        """Start receiving the matched object."""
        return Request(self[0].irecv())

    @classmethod
    def probe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Wait for a matching object and match it."""
        return cls(MPI.Comm.mprobe(comm, source, tag, status))

    @classmethod
    def iprobe(cls, comm, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Match an object if one is waiting, else return None."""
        message = MPI.Comm.improbe(comm, source, tag, status)
        return None if message is None else cls(message)


class Comm(MPI.Comm):
    """A communicator whose lowercase methods return this module's
    :class:`Request` and :class:`Message`."""

    def __new__(cls, comm=None):
        if comm is None:
            comm = MPI.COMM_NULL
        return super().__new__(cls, comm)

    def send(self, obj, dest, tag=0):
        """Send an object (blocking)."""
        MPI.Comm.send(self, obj, dest, tag)

    def bsend(self, obj, dest, tag=0):
        """Send an object in buffered mode."""
        MPI.Comm.bsend(self, obj, dest, tag)

    def ssend(self, obj, dest, tag=0):
        """Send an object in synchronous mode."""
        MPI.Comm.ssend(self, obj, dest, tag)

    def isend(self, obj, dest, tag=0):
        """Start sending an object."""
        return Request(MPI.Comm.isend(self, obj, dest, tag))

    def ibsend(self, obj, dest, tag=0):
        """Start sending an object in buffered mode."""
        return Request(MPI.Comm.ibsend(self, obj, dest, tag))

    def issend(self, obj, dest, tag=0):
        """Start sending an object in synchronous mode."""
        return Request(MPI.Comm.issend(self, obj, dest, tag))

    def recv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Receive an object (``buf`` is not needed: ignored)."""
        return MPI.Comm.recv(self, None, source, tag, status)

    def irecv(self, buf=None, source=ANY_SOURCE, tag=ANY_TAG):
        """Not supported, as in mpi4py.util.pkl5: use ``mprobe().irecv()``."""
        raise RuntimeError("unsupported: the size of the incoming object is unknown; use mprobe(...).irecv()")

    def sendrecv(self, sendobj, dest, sendtag=0, recvbuf=None, source=ANY_SOURCE, recvtag=ANY_TAG, status=None):
        """Send an object and receive one (``recvbuf`` ignored)."""
        return MPI.Comm.sendrecv(self, sendobj, dest, sendtag, None, source, recvtag, status)

    def mprobe(self, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Wait for a matching object and match it."""
        return Message.probe(self, source, tag, status)

    def improbe(self, source=ANY_SOURCE, tag=ANY_TAG, status=None):
        """Match an object if one is waiting, else return None."""
        return Message.iprobe(self, source, tag, status)

    def bcast(self, obj, root=0):
        """Broadcast an object from ``root``."""
        return MPI.Comm.bcast(self, obj, root)

    def gather(self, sendobj, root=0):
        """Gather one object from each process at ``root``."""
        return MPI.Comm.gather(self, sendobj, root)

    def scatter(self, sendobj, root=0):
        """Scatter a sequence of objects from ``root``, one per process."""
        return MPI.Comm.scatter(self, sendobj, root)

    def allgather(self, sendobj):
        """Gather one object from each process, at every process."""
        return MPI.Comm.allgather(self, sendobj)

    def alltoall(self, sendobj):
        """Send a distinct object to, and receive one from, each process."""
        return MPI.Comm.alltoall(self, sendobj)


class Intracomm(Comm, MPI.Intracomm):
    """An intracommunicator with this module's lowercase methods."""


class Intercomm(Comm, MPI.Intercomm):
    """An intercommunicator with this module's lowercase methods."""
