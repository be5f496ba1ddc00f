"""What the API-wide fuzzer never calls, which calls may block, and the known
crash and hang classes it does not fail on: every entry with its reason.
"""

import os

#: Seconds a call may run before the soft watchdog sends SIGINT: short for
#: a call that documentedly waits for a peer (it is interrupted often),
#: long for every other call (they return in microseconds; the margin is
#: for a loaded 2-core machine).
SOFT_BLOCKING = 0.3
SOFT_OTHER = 4.0
#: Seconds after which faulthandler ends the process (a call that neither
#: returns nor takes the SIGINT): soft limit + cmpi's 1 s interrupt grace
#: + margin.
HARD_LIMIT = float(os.environ.get("CMPI_FUZZ_HARD_LIMIT") or 10.0)

#: Largest buffer the fuzzer makes, in bytes.  Open MPI 4.1 writes a
#: truncated message past the receive buffer once it is above its 4 KiB
#: eager limit; cmpi guards its blocking receives against it, but a
#: nonblocking Irecv/Recv_init cannot be guarded (README, "Reliability"),
#: so every message stays below the limit.
MAX_MESSAGE = 1024

#: A tag no fuzzed call is expected to send (the pool's pending receive).
NEVER_TAG = 32000


def raising(*args, **kwargs):
    raise RuntimeError("raised by a fuzzed callback")


#: Never called, with the reason.
NEVER_CALL = {
    "Init": "MPI's process state: once per process",
    "Init_thread": "MPI's process state: once per process",
    "Finalize": "ends MPI for the rest of the batch",
    "Session.Init": "Open MPI 4.1 aborts in MPI_Session_init (no sessions); MPICH 4.0 starts a second MPI",
    "Session.Finalize": "pairs with Session.Init",
    "Comm.Abort": "ends the job by design",
    "Intracomm.Spawn": "starts processes, and blocks until they connect",
    "Intracomm.Spawn_multiple": "starts processes, and blocks until they connect",
    "Intracomm.Accept": "blocks until another job connects (no timeout in MPI)",
    "Intracomm.Connect": "blocks until another job accepts",
    "Comm.Join": "takes a socket file descriptor: any fd (stdin...) would do",
    "Open_port": "a global port (Open MPI needs its ompi-server for it)",
    "Close_port": "pairs with Open_port",
    "Publish_name": "a global name service (Open MPI: ompi-server)",
    "Unpublish_name": "a global name service",
    "Lookup_name": "a global name service",
    # raw-pointer APIs: they take any address or handle value by design
    "Comm.fromhandle": "a raw handle the caller vouches for: a plausible foreign pointer still crashes (README, Reliability)",
    "Datatype.fromhandle": "raw handle, as Comm.fromhandle",
    "Errhandler.fromhandle": "raw handle, as Comm.fromhandle",
    "File.fromhandle": "raw handle, as Comm.fromhandle",
    "Group.fromhandle": "raw handle, as Comm.fromhandle",
    "Info.fromhandle": "raw handle, as Comm.fromhandle",
    "Message.fromhandle": "raw handle, as Comm.fromhandle",
    "Op.fromhandle": "raw handle, as Comm.fromhandle",
    "Request.fromhandle": "raw handle, as Comm.fromhandle",
    "Session.fromhandle": "raw handle, as Comm.fromhandle",
    "Win.fromhandle": "raw handle, as Comm.fromhandle",
    "memory.fromaddress": "raw address: reads any memory by design",
    "buffer.fromaddress": "raw address: reads any memory by design",
}

#: Values never passed (they are absent from the pool).
NEVER_VALUE = {
    "ERRORS_ARE_FATAL": "ends the job on the next error, by design",
    "ERRORS_ABORT": "ends the job on the next error, by design",
}

_P2P_WAIT = "waits for a matching message or receive from a peer that may never come"
_COLL = ("collective: waits for every rank; at 2 ranks, a rank that raised on an "
         "argument only it checks (a root's buffer) leaves the other waiting")
_REQ_WAIT = "waits for a request that may never complete (a receive nobody sends to, a Grequest)"

#: Calls that may legitimately block: interrupted by the soft watchdog they
#: count as "blocking, interrupted"; any other call that is interrupted is
#: an unexplained hang.
BLOCKING = {}
for _name in ["Recv", "recv", "Probe", "probe", "Mprobe", "mprobe", "Sendrecv", "sendrecv",
              "Sendrecv_replace", "Ssend", "ssend", "Send", "send", "Bsend", "bsend",
              "Rsend"]:
    BLOCKING[f"Comm.{_name}"] = _P2P_WAIT
for _name in ["Recv", "recv", "Probe", "probe"]:
    BLOCKING[f"Message.{_name}"] = _P2P_WAIT
for _name in ["Wait", "wait", "Waitall", "waitall", "Waitany", "waitany", "Waitsome",
              "waitsome"]:
    BLOCKING[f"Request.{_name}"] = _REQ_WAIT
for _name in ["Barrier", "barrier", "Bcast", "bcast", "Gather", "gather", "Gatherv",
              "Scatter", "scatter", "Scatterv", "Allgather", "allgather", "Allgatherv",
              "Alltoall", "alltoall", "Alltoallv", "Alltoallw", "Reduce", "reduce",
              "Allreduce", "allreduce", "Reduce_scatter", "Reduce_scatter_block",
              "Dup", "Dup_with_info", "Clone", "Split", "Split_type", "Create",
              "Create_group", "Disconnect", "Agree", "Shrink", "Free", "Idup",
              "Idup_with_info", "Set_info"]:
    BLOCKING[f"Comm.{_name}"] = _COLL
for _name in ["Scan", "scan", "Exscan", "exscan", "Create_intercomm", "Create_cart",
              "Create_graph", "Create_dist_graph", "Create_dist_graph_adjacent",
              "Create_from_group"]:
    BLOCKING[f"Intracomm.{_name}"] = _COLL
for _name in ["Merge", "Create_from_groups"]:
    BLOCKING[f"Intercomm.{_name}"] = _COLL
for _name in ["Neighbor_allgather", "Neighbor_allgatherv", "Neighbor_alltoall",
              "Neighbor_alltoallv", "Neighbor_alltoallw", "neighbor_allgather",
              "neighbor_alltoall", "Sub"]:
    BLOCKING[f"Topocomm.{_name}"] = _COLL
    BLOCKING[f"Cartcomm.{_name}"] = _COLL
for _name in ["Create", "Allocate", "Allocate_shared", "Create_dynamic", "Fence", "Start",
              "Complete", "Post", "Wait", "Free", "Set_info", "Lock", "Lock_all"]:
    BLOCKING[f"Win.{_name}"] = _COLL + "; or an access epoch waits for its peer"
for _name in ["Open", "Close", "Delete", "Set_size", "Preallocate", "Sync", "Set_info",
              "Set_view", "Set_atomicity", "Read_at_all", "Write_at_all", "Read_all",
              "Write_all", "Read_ordered", "Write_ordered", "Read_at_all_begin",
              "Write_at_all_begin", "Read_all_begin", "Write_all_begin",
              "Read_ordered_begin", "Write_ordered_begin", "Read_at_all_end",
              "Write_at_all_end", "Read_all_end", "Write_all_end", "Read_ordered_end",
              "Write_ordered_end", "Seek_shared"]:
    BLOCKING[f"File.{_name}"] = _COLL
BLOCKING["Grequest.Wait"] = _REQ_WAIT
BLOCKING["Prequest.Wait"] = _REQ_WAIT

#: Nonblocking collectives whose request the harness completes at once
#: (Test, for at most COMPLETE_SECONDS) instead of dropping it.  With
#: receive sizes that disagree with the senders' (erroneous, and a rank
#: cannot check its peers), Open MPI 4.1 writes past the receive buffer
#: while it progresses the operation.  Dropped, the request was progressed
#: by the harness's next Allgather, which found its own array overwritten
#: and failed outside any call (seed 1785279560, call 387:
#: distgraph.Ineighbor_allgatherv(bytearray(1024), np.zeros((4, 4),
#: order='F')), 1 KiB into 128 bytes).  Completed in the call, the
#: truncation is reported by that call, as for a blocking collective.
#: Point-to-point requests are still dropped (cmpi keeps their buffers).
NONBLOCKING_COLLECTIVES = frozenset(
    "I" + name for name in [
        "barrier", "bcast", "gather", "gatherv", "scatter", "scatterv", "allgather",
        "allgatherv", "alltoall", "alltoallv", "alltoallw", "reduce", "allreduce",
        "reduce_scatter", "reduce_scatter_block", "scan", "exscan",
        "neighbor_allgather", "neighbor_allgatherv", "neighbor_alltoall",
        "neighbor_alltoallv", "neighbor_alltoallw"])
COMPLETE_SECONDS = 1.0

#: After MPI reports a truncated message (MPI.ERR_TRUNCATE) the batch ends
#: at once, and a crash or hang later in that job is counted as known.  In
#: a collective, a rank's receive counts must match its peers' send counts;
#: a rank cannot check that alone, and Open MPI 4.1 writes past the
#: receive buffer before it reports the truncation (found by this fuzzer:
#: at 1 rank, cart.Ineighbor_allgatherv(sendbuf=bytearray(1024),
#: recvbuf=[bytearray(0), None, None]) overwrote CPython's own data, which
#: crashed the garbage collector at exit).  cmpi guards its blocking
#: point-to-point receives against this (README, "Reliability").
#: The same, reported by the MPI library while it progressed a nonblocking
#: collective whose request the fuzzed call dropped (Open MPI: error 15 is
#: MPI_ERR_TRUNCATE), or, in MPICH, while a later collective of the harness
#: progressed it.
TRUNCATED_OUTPUT = (r"NBC_Progress: an error 15 was found|MPI_ERR_TRUNCATE|"
                    r"Message truncated; \d+ bytes received")
TRUNCATED = (
    "MPI reported a truncation (ERR_TRUNCATE) earlier in this job: in an "
    "erroneous collective, whose receive sizes disagree with the senders', "
    "the MPI library may write past a receive buffer before it reports it")

#: Known crash and hang classes this fuzzer found that are still open: a
#: failure whose call matches one of these is counted as "known", listed in
#: the summary, and does not fail the test.  (qualified call name, "*" for
#: any call, "<exit>" for after the last call, "<job>" for between calls;
#: "crash" or "hang", reason[, a regular expression the job's output must
#: contain])
KNOWN = [
    ("*", "crash",
     "OPEN, found by this fuzzer (MPICH, 2 of 20,000 calls): a bytearray is "
     "deallocated while cmpi still holds a buffer view of it (CPython prints "
     "'SystemError: deallocated bytearray object has exported buffers' "
     "through sys.excepthook, and cmpi's abort-on-error ends the job); seen "
     "during memory.allocate(WEIGHTS_EMPTY), the view's owner not yet found",
     r"deallocated bytearray object has exported buffers"),
    ("Status.Get_elements", "hang",
     "MPICH 4.0's MPI_Get_elements walks a derived type element by element: "
     "after Set_elements(INT, 2**31 - 1), Get_elements(a struct type) runs for "
     "minutes, holding the GIL (the MPI library's time, not a cmpi loop)"),
    ("Comm.Create_group", "crash",
     "OPEN, found by this fuzzer (MPICH 4.0 and Open MPI 4.1, 2 ranks): Create_group on a "
     "graph-topology communicator segfaults inside the MPI library (C = COMM_WORLD; "
     "g = C.Create_graph([1, 1], [0, 1]); g.Create_group(C.Get_group()))"),
    ("*", "crash",
     "OPEN, found by this fuzzer (MPICH 4.0, 1 rank): a collective whose send "
     "and receive type signatures do not match makes MPICH abort with "
     "'Internal error' instead of returning an error (erroneous in MPI, and "
     "a rank cannot see its peers' signatures): graph.Alltoallv("
     "np.zeros((), 'f8'), np.zeros(4, 'c16')), distgraph.Neighbor_allgatherv("
     "b'abc', np.zeros(3))",
     r"Abort\(\d+\) on node \d+: Internal error"),
    ("<job>", "crash",
     "OPEN, the same class (MPICH 4.0, 2 ranks): a nonblocking collective "
     "with mismatched type signatures fails while MPICH progresses it during "
     "a later call, and the job ends outside any fuzzed call",
     r"signature does not match that of the sending datatype"),
    ("Win.Allocate_shared", "crash",
     "OPEN, found by this fuzzer (MPICH 4.0): after earlier failed shared "
     "allocations in the same process, Allocate_shared of a huge size "
     "(MPI.UNWEIGHTED's address, about 2**47 bytes) segfaults inside MPICH; "
     "alone it raises MPI.Exception (sizes above 2**62 are refused by cmpi)"),
    ("Win.Allocate", "crash",
     "OPEN, the same class (MPICH 4.0, seed 27163806): Win.Allocate of about "
     "2**47 bytes (MPI.WEIGHTS_EMPTY's address, an integer since the "
     "address constants convert as in mpi4py) after earlier failed "
     "allocations segfaults inside MPICH's shared-memory window code"),
    ("<exit>", "crash",
     "OPEN, found by this fuzzer (MPICH 4.0): a window dropped without Free() "
     "(w = MPI.Win.Allocate(64, comm=MPI.COMM_SELF); del w) makes MPI_Finalize "
     "abort the process at exit (UCX: 'destroying inuse region', SIGABRT): "
     "cmpi never frees a user's handle implicitly, and MPICH wants every "
     "window freed before MPI_Finalize",
     r"destroying inuse region"),
]
