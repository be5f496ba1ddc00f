"""The hand-kept classification of the differences the differential test
finds (tests/differential/run.py): each entry is a regular expression
over the variant's id (``np=N call text``), optional regular expressions
the mpi4py and cmpi outcomes must match, the class, and why.

Classes:
  fixed         cmpi behaved differently and now behaves as mpi4py (the
                report keeps listing these variants; differing again is a
                regression and fails CI)
  stricter      cmpi refuses on purpose what mpi4py accepts or garbles:
                listed in the README's differences, with why
  mpi4py-bug    mpi4py's outcome is wrong (the reason says why)
  library       both refuse, and the MPI library's own answer (what mpi4py
                surfaces) differs from the answer of cmpi's check, which is
                the same on every library (error class, or which of two bad
                arguments is reported)
Anything else is "unclassified".  The first entry that matches wins.
"""

import re

#: An integer variant with a fractional part (variants.int_values).
_FRACTION = r"[(, =\[]-?\d+\.5\b"

#: A method whose MPI function Open MPI 4.1 lacks (part standins2).
_STANDIN = (r"^np=\d ((comm|cart|graph|distgraph|preq)\.(\w+_init|Isendrecv(_replace)?|"
            r"Pready(_range|_list)?|Parrived)|MPI\.Intercomm\.Create_from_groups|"
            r"MPI\.Intracomm\.Create_from_group|MPI\.Remove_error_(class|code|string))(?=\()")
#: argtypes: the variants fixed by making cmpi take or refuse arguments as
#: mpi4py does (issue 17), by fix; exact variant ids (see ENTRIES).
_ARGTYPES_FIXED = {
    'buffer': (
        'a buffer that cannot be exported as asked (read-only where it is written, a '
        "strided NumPy array) is a BufferError, as in mpi4py and Python's buffer protocol "
        "(cmpi raised TypeError, or passed on NumPy's ValueError)",
        [
            'np=1 MPI.Win.Create(bytes(8))',
            'np=1 cart.Ineighbor_allgather(bytearray(8), memoryview(bytes(8)))',
            "np=1 cart.Ineighbor_alltoallv(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            "np=1 cart.Neighbor_alltoall(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            'np=1 cart.Neighbor_alltoallv(bytearray(8 * SIZE), bytes(8))',
            "np=1 cart.Neighbor_alltoallv(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            "np=1 comm.Allgather(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            "np=1 comm.Allgatherv(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            'np=1 comm.Allreduce(bytearray(8), memoryview(bytes(8)))',
            "np=1 comm.Allreduce(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            "np=1 comm.Bcast(np.zeros(4, 'i4')[::2])",
            "np=1 comm.Exscan(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            'np=1 comm.Gatherv(bytearray(8), memoryview(bytes(8)))',
            "np=1 comm.Iallgatherv(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            'np=1 comm.Ialltoall(bytearray(8), memoryview(bytes(8)))',
            "np=1 comm.Ialltoall(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            'np=1 comm.Ialltoallv(bytearray(8 * SIZE), memoryview(bytes(8)))',
            'np=1 comm.Igatherv(bytearray(8), memoryview(bytes(8)))',
            'np=1 comm.Irecv(bytes(8))',
            'np=1 comm.Irecv(memoryview(bytes(8)))',
            'np=1 comm.Ireduce_scatter_block(bytearray(8), bytes(8))',
            "np=1 comm.Ireduce_scatter_block(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            'np=1 comm.Iscatter(bytearray(8), memoryview(bytes(8)))',
            'np=1 comm.Iscatterv(bytearray(8 * SIZE), bytes(8))',
            'np=1 comm.Recv(bytes(8))',
            'np=1 comm.Recv_init(bytes(8))',
            "np=1 comm.Recv_init(np.zeros(4, 'i4')[::2])",
            'np=1 comm.Reduce(bytearray(8), memoryview(bytes(8)))',
            "np=1 comm.Reduce(bytearray(8), np.zeros(4, 'i4')[::2])",
            'np=1 comm.Reduce_scatter_block(bytearray(8), memoryview(bytes(8)))',
            "np=1 comm.Reduce_scatter_block(bytearray(8), np.zeros(4, 'i4')[::2])",
            "np=1 comm.Rsend(np.zeros(4, 'i4')[::2], 0)",
            "np=1 comm.Rsend_init(np.zeros(4, 'i4')[::2], 0)",
            "np=1 comm.Scan(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            "np=1 comm.Scatter(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            "np=1 comm.Send(np.zeros(4, 'i4')[::2], 0)",
            "np=1 comm.Sendrecv(np.zeros(4, 'i4')[::2], 0)",
            'np=1 comm.Sendrecv_replace(bytes(8), 0)',
            'np=1 comm.Sendrecv_replace(memoryview(bytes(8)), 0)',
            "np=1 comm.Ssend(np.zeros(4, 'i4')[::2], 0)",
            "np=1 dt.Pack(np.zeros(4, 'i4')[::2], bytearray(8), 1, comm)",
            "np=1 dt.Unpack(np.zeros(4, 'i4')[::2], 1, bytearray(8), comm)",
            "np=1 fh.Iread(np.zeros(4, 'i4')[::2])",
            "np=1 fh.Iread_at(0, np.zeros(4, 'i4')[::2])",
            'np=1 fh.Iread_at_all(0, memoryview(bytes(8)))',
            'np=1 fh.Iread_shared(memoryview(bytes(8)))',
            "np=1 fh.Iread_shared(np.zeros(4, 'i4')[::2])",
            'np=1 fh.Read(bytes(8))',
            'np=1 fh.Read(memoryview(bytes(8)))',
            'np=1 fh.Read_all(memoryview(bytes(8)))',
            "np=1 fh.Read_all(np.zeros(4, 'i4')[::2])",
            'np=1 fh.Read_all_begin(bytes(8))',
            'np=1 fh.Read_all_end(memoryview(bytes(8)))',
            "np=1 fh.Read_all_end(np.zeros(4, 'i4')[::2])",
            'np=1 fh.Read_at(0, memoryview(bytes(8)))',
            'np=1 fh.Read_at_all_begin(0, bytes(8))',
            'np=1 fh.Read_at_all_begin(0, memoryview(bytes(8)))',
            'np=1 fh.Read_at_all_end(bytes(8))',
            'np=1 fh.Read_at_all_end(memoryview(bytes(8)))',
            'np=1 fh.Read_ordered_begin(bytes(8))',
            "np=1 fh.Read_ordered_begin(np.zeros(4, 'i4')[::2])",
            'np=1 fh.Read_shared(bytes(8))',
            "np=1 fh.Write(np.zeros(4, 'i4')[::2])",
            "np=1 fh.Write_all(np.zeros(4, 'i4')[::2])",
            "np=1 fh.Write_all_begin(np.zeros(4, 'i4')[::2])",
            "np=1 fh.Write_all_end(np.zeros(4, 'i4')[::2])",
            "np=1 fh.Write_at_all(0, np.zeros(4, 'i4')[::2])",
            "np=1 fh.Write_at_all_end(np.zeros(4, 'i4')[::2])",
            "np=1 fh.Write_ordered_end(np.zeros(4, 'i4')[::2])",
            "np=1 fh.Write_shared(np.zeros(4, 'i4')[::2])",
            'np=1 msg.Irecv(memoryview(bytes(8)))',
            "np=1 msg.Irecv(np.zeros(4, 'i4')[::2])",
            'np=1 win.Fetch_and_op(bytearray(8), bytes(8), 0)',
            'np=1 win.Get(memoryview(bytes(8)), 0)',
            "np=1 win.Get_accumulate(np.zeros(4, 'i4')[::2], bytearray(8), 0)",
            'np=1 win.Rget(memoryview(bytes(8)), 0)',
            "np=1 win.Rget(np.zeros(4, 'i4')[::2], 0)",
            "np=1 win.Rput(np.zeros(4, 'i4')[::2], 0)",
        ]),
    'op': (
        'op=None is a TypeError, as in mpi4py (cmpi took it for the default SUM)',
        [
            'np=1 comm.Allreduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Allreduce_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Exscan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Exscan_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Iallreduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Iexscan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Ireduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Ireduce_scatter_block(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Iscan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Reduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Reduce_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Reduce_scatter_block(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Reduce_scatter_block_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Scan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=1 comm.Scan_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Allreduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Allreduce_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Exscan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Exscan_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Iallreduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Iexscan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Ireduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Ireduce_scatter_block(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Iscan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Reduce(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Reduce_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Reduce_scatter_block(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Reduce_scatter_block_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Scan(bytearray(8), bytearray(8 * SIZE), op=None)',
            'np=2 comm.Scan_init(bytearray(8), bytearray(8 * SIZE), op=None)',
            "np=2 comm.exscan([1, 'a'], op=None)",
            "np=2 comm.scan([1, 'a'], op=None)",
        ]),
    'info': (
        'info=None is a TypeError where mpi4py requires an Info (only Dup, Idup and '
        'Info() take None), and Dup(info=...) checks and uses its info, as in mpi4py',
        [
            'np=1 MPI.Alloc_mem(1, info=None)',
            "np=1 MPI.File.Delete('diff.dat', info=None)",
            "np=1 MPI.File.Open(comm, 'diff.dat', info=None)",
            'np=1 MPI.Intercomm.Create_from_groups(group, 0, group, 0, info=None)',
            'np=1 MPI.Intracomm.Create_from_group(group, info=None)',
            'np=1 MPI.Win.Allocate(1, info=None)',
            'np=1 MPI.Win.Allocate_shared(1, info=None)',
            'np=1 MPI.Win.Create(bytearray(8), info=None)',
            'np=1 MPI.Win.Create_dynamic(info=None)',
            'np=1 cart.Neighbor_allgather_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 cart.Neighbor_allgatherv_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 cart.Neighbor_alltoall_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 cart.Neighbor_alltoallv_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=1 cart.Neighbor_alltoallw_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Create_dist_graph([0], [0], [0], info=None)',
            'np=1 comm.Create_dist_graph_adjacent([0], [0], info=None)',
            'np=1 comm.Dup(info=1)',
            'np=1 comm.Dup(info=MPI.INT)',
            "np=1 comm.Dup(info={'a': '1'})",
            'np=1 comm.Dup_with_info(None)',
            'np=1 comm.Idup_with_info(None)',
            'np=1 comm.Set_info(None)',
            'np=1 comm.Split_type(1, info=None)',
            'np=1 fh.Set_info(None)',
            'np=1 fh.Set_view(info=None)',
            'np=1 win.Set_info(None)',
            'np=2 MPI.Intracomm.Create_from_group(group, info=None)',
            'np=2 cart.Neighbor_allgather_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 cart.Neighbor_allgatherv_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 cart.Neighbor_alltoall_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 cart.Neighbor_alltoallv_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=2 cart.Neighbor_alltoallw_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Create_dist_graph([0], [0], [0], info=None)',
            'np=2 comm.Create_dist_graph_adjacent([0], [0], info=None)',
            'np=2 comm.Dup(info=1)',
            'np=2 comm.Dup(info=MPI.INT)',
            "np=2 comm.Dup(info={'a': '1'})",
            'np=2 comm.Dup_with_info(None)',
            'np=2 comm.Idup_with_info(None)',
            'np=2 comm.Set_info(None)',
            'np=2 comm.Split_type(1, info=None)',
        ]),
    'derived': (
        'a derived-datatype value MPI refuses is MPI.Exception(ERR_ARG), as mpi4py gets '
        "from MPI (cmpi's own check raised ValueError; its message is kept)",
        [
            'np=1 MPI.Datatype.Create_struct([-1], [0], [MPI.INT])',
            'np=1 dt.Create_darray(-1, 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(-7, 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, -1, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, -7, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, 0, (1,), [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, 0, [-1], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, 0, [Index(1)], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, 0, [SIZE], [-1], [0], [SIZE])',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], (1,))',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [-1])',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [Index(1)])',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], MPI.ORDER_C)',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=-1)',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=-7)',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=1)',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=1.0)',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=Int(1))',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=SIZE)',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=True)',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=np.float64(1.0))',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=np.int32(1))',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=np.int64(1))',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [SIZE], order=np.uint8(1))',
            'np=1 dt.Create_darray(1, 0, [SIZE], [0], [0], [np.int32(1)])',
            'np=1 dt.Create_darray(1, 0, [np.int32(1)], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, 0.0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, False, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, Int(0), [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, SIZE, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, np.float64(0.0), [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, np.int32(0), [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, np.int64(0), [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1, np.uint8(0), [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(1.0, 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(Int(1), 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(SIZE, 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(True, 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(np.float64(1.0), 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(np.int32(1), 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(np.int64(1), 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(np.uint8(1), 0, [SIZE], [0], [0], [SIZE])',
            'np=1 dt.Create_darray(size=1, rank=0, gsizes=[SIZE], distribs=[0], dargs=[0], psizes=[SIZE])',
            'np=1 dt.Create_hindexed_block(-1, [0])',
            'np=1 dt.Create_hindexed_block(-7, [0])',
            'np=1 dt.Create_subarray((1,), [0], [0])',
            'np=1 dt.Create_subarray([-1], [0], [0])',
            'np=1 dt.Create_subarray([Index(1)], [0], [0])',
            'np=1 dt.Create_subarray([SIZE], [-1], [0])',
            'np=1 dt.Create_subarray([SIZE], [0], (1,))',
            'np=1 dt.Create_subarray([SIZE], [0], [-1])',
            'np=1 dt.Create_subarray([SIZE], [0], [0])',
            'np=1 dt.Create_subarray([SIZE], [0], [0], MPI.ORDER_C)',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=-1)',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=-7)',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=1)',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=1.0)',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=Int(1))',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=SIZE)',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=True)',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=np.float64(1.0))',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=np.int32(1))',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=np.int64(1))',
            'np=1 dt.Create_subarray([SIZE], [0], [0], order=np.uint8(1))',
            'np=1 dt.Create_subarray([SIZE], [0], [Index(1)])',
            'np=1 dt.Create_subarray([SIZE], [0], [np.int32(1)])',
            'np=1 dt.Create_subarray([np.int32(1)], [0], [0])',
            'np=1 dt.Create_subarray(sizes=[SIZE], subsizes=[0], starts=[0])',
        ]),
    'bytes': (
        "bytes as a name, info key or value, datarep or error string, as mpi4py's string "
        'conversion takes them',
        [
            "np=1 MPI.Add_error_string(0, b'x')",
            "np=1 comm.Set_name(b'x')",
            "np=1 dt.Set_name(b'x')",
            "np=1 fh.Set_view(datarep=b'x')",
            "np=1 info.Delete(b'x')",
            "np=1 info.Get(b'x')",
            "np=1 info.Set('k', b'x')",
            "np=1 info.Set(b'x', 'v')",
            "np=1 info.get(b'x')",
            "np=1 info.pop(b'x')",
            "np=1 win.Set_name(b'x')",
        ]),
    'dtype': (
        'a datatype argument outside a message spec must be a Datatype (no typecode '
        'string, no None), as in mpi4py',
        [
            "np=1 MPI.Datatype.Create_struct([0], [0], ['i'])",
            "np=1 fh.Get_type_extent('i')",
            "np=1 fh.Set_view(etype='i')",
            'np=1 fh.Set_view(etype=None)',
            "np=1 fh.Set_view(filetype='i')",
            "np=1 status.Get_count(datatype='i')",
            'np=1 status.Get_count(datatype=None)',
            "np=1 status.Get_elements('i')",
            'np=1 status.Get_elements(None)',
            "np=1 status.Set_elements('i', 1)",
            'np=1 status.Set_elements(None, 1)',
        ]),
    'p2p': (
        'a bare None message is the empty message only with PROC_NULL, a TypeError '
        "elsewhere (Sendrecv's default recvbuf too), as in mpi4py 4",
        [
            'np=1 comm.Isend(None, 0)',
            'np=1 comm.Issend(None, 0)',
            'np=1 comm.Recv(None)',
            'np=1 comm.Sendrecv(None, 0)',
            'np=1 comm.Sendrecv([bytearray(8), (8, 0), MPI.BYTE], 0)',
            'np=1 comm.Sendrecv([bytearray(8), 2, MPI.INT], 0)',
            'np=1 comm.Sendrecv([bytearray(8), MPI.BYTE], 0)',
            'np=1 comm.Sendrecv([bytearray(8), None, MPI.BYTE], 0)',
            'np=1 comm.Sendrecv(bytearray(8), 0)',
            'np=1 comm.Sendrecv(bytearray(8), 0, 0, None, MPI.ANY_SOURCE, MPI.ANY_TAG, None)',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=-1)',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=0)',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=0.0)',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=False)',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=Index(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=Int(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=SIZE)',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=np.float64(0.0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=np.int32(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=np.int64(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=np.uint8(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=0)',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=0.0)',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=False)',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=Index(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=Int(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=SIZE)',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=np.float64(0.0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=np.int32(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=np.int64(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=np.uint8(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=-1)',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=0)',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=0.0)',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=False)',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=Index(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=Int(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=np.float64(0.0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=np.int32(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=np.int64(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=np.uint8(0))',
            'np=1 comm.Sendrecv(bytearray(8), 0, status=MPI.Status())',
            'np=1 comm.Sendrecv(bytearray(8), 0, status=None)',
            'np=1 comm.Sendrecv(bytearray(8), 0.0)',
            'np=1 comm.Sendrecv(bytearray(8), False)',
            'np=1 comm.Sendrecv(bytearray(8), Index(0))',
            'np=1 comm.Sendrecv(bytearray(8), Int(0))',
            'np=1 comm.Sendrecv(bytearray(8), np.float64(0.0))',
            'np=1 comm.Sendrecv(bytearray(8), np.int32(0))',
            'np=1 comm.Sendrecv(bytearray(8), np.int64(0))',
            'np=1 comm.Sendrecv(bytearray(8), np.uint8(0))',
            "np=1 comm.Sendrecv(np.zeros((), 'f8'), 0)",
            'np=1 comm.Sendrecv(np.zeros(0), 0)',
            "np=1 comm.Sendrecv(np.zeros(1, 'i8'), 0)",
            'np=1 comm.Sendrecv(sendbuf=bytearray(8), dest=0)',
            'np=1 comm.Ssend(None, 0)',
        ]),
    'misc': (
        'as in mpi4py: Prequest/Grequest are not made from a plain non-null Request, '
        'Create_cart/Cart_map take no scalar periods, Create_dist_graph no None '
        'sources/destinations, bcast needs its object, Info.pop takes key=',
        [
            'np=1 MPI.Grequest(request=req)',
            'np=1 MPI.Prequest(request=req)',
            'np=1 comm.Cart_map([SIZE], periods=1)',
            'np=1 comm.Create_cart([SIZE], periods=1)',
            'np=1 comm.Create_dist_graph(None, [0], [0])',
            'np=1 comm.Create_dist_graph([0], [0], None)',
            'np=1 comm.bcast()',
            "np=1 info.pop(key='k')",
            'np=2 comm.Create_cart([SIZE], periods=1)',
            'np=2 comm.Create_dist_graph(None, [0], [0])',
            'np=2 comm.Create_dist_graph([0], [0], None)',
            'np=2 comm.bcast()',
        ]),
    'wspec': (
        'an Alltoallw or neighborhood w-message that is not a list (or a list of the '
        'wrong form for a neighborhood call) is a ValueError, as in mpi4py (cmpi raised '
        'TypeError; its message is kept)',
        [
            'np=1 cart.Ineighbor_alltoallw(MPI.BOTTOM, bytearray(8 * SIZE))',
            "np=1 cart.Ineighbor_alltoallw([bytearray(8), 'i'], bytearray(8 * SIZE))",
            'np=1 cart.Ineighbor_alltoallw(bytearray(8 * SIZE), [bytearray(8 * SIZE), [8] * SIZE, [8 * i for i in range(SIZE)], MPI.BYTE])',
            "np=1 cart.Ineighbor_alltoallw(bytearray(8 * SIZE), [bytearray(8), 'q'])",
            'np=1 cart.Ineighbor_alltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            "np=1 cart.Ineighbor_alltoallw(bytearray(8 * SIZE), np.zeros(1, 'c8'))",
            "np=1 cart.Ineighbor_alltoallw(bytearray(8 * SIZE), np.zeros(8, '?'))",
            'np=1 cart.Ineighbor_alltoallw(memoryview(bytes(8)), bytearray(8 * SIZE))',
            "np=1 cart.Ineighbor_alltoallw(np.zeros(4, 'i2'), bytearray(8 * SIZE))",
            "np=1 cart.Ineighbor_alltoallw(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            "np=1 cart.Ineighbor_alltoallw(np.zeros(8, '?'), bytearray(8 * SIZE))",
            'np=1 cart.Ineighbor_alltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw(MPI.BOTTOM, bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw(MPI.IN_PLACE, bytearray(8 * SIZE))',
            "np=1 cart.Neighbor_alltoallw([bytearray(8), 'q'], bytearray(8 * SIZE))",
            'np=1 cart.Neighbor_alltoallw([bytearray(8), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([8] * SIZE, [8 * i for i in range(SIZE)]), MPI.BYTE])',
            'np=1 cart.Neighbor_alltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw(bytearray(8 * SIZE), memoryview(bytearray(8)))',
            "np=1 cart.Neighbor_alltoallw(np.zeros((), 'f8'), bytearray(8 * SIZE))",
            "np=1 cart.Neighbor_alltoallw(np.zeros(2, 'i4'), bytearray(8 * SIZE))",
            "np=1 cart.Neighbor_alltoallw(np.zeros(8, 'u1'), bytearray(8 * SIZE))",
            'np=1 cart.Neighbor_alltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw((bytearray(8), MPI.BYTE), bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw([bytearray(8 * SIZE), ([8] * SIZE, None), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw([bytearray(8 * SIZE), [8] * SIZE, [8 * i for i in range(SIZE)], MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw([bytearray(8), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw([bytearray(8), None, MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw(bytearray(8 * SIZE), [bytearray(8), ([4, 4, 4], [0]), MPI.BYTE])',
            'np=1 comm.Alltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw(bytearray(8 * SIZE), memoryview(bytearray(8)))',
            'np=1 comm.Alltoallw(memoryview(bytes(8)), bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw(np.zeros(0), bytearray(8 * SIZE))',
            "np=1 comm.Alltoallw(np.zeros(1, 'f8'), bytearray(8 * SIZE))",
            "np=1 comm.Alltoallw(np.zeros(4, 'i2'), bytearray(8 * SIZE))",
            "np=1 comm.Alltoallw(np.zeros(8, '?'), bytearray(8 * SIZE))",
            "np=1 comm.Alltoallw(np.zeros(8, 'u1'), bytearray(8 * SIZE))",
            'np=1 comm.Alltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
            'np=1 comm.Ialltoallw(None, bytearray(8 * SIZE))',
            'np=1 comm.Ialltoallw([bytearray(8 * SIZE), ([8] * SIZE, [8 * i for i in range(SIZE)]), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 comm.Ialltoallw([bytearray(8 * SIZE), [8], [0], [MPI.BYTE]], bytearray(8 * SIZE))',
            "np=1 comm.Ialltoallw([bytearray(8), 'i'], bytearray(8 * SIZE))",
            "np=1 comm.Ialltoallw([bytearray(8), 'q'], bytearray(8 * SIZE))",
            'np=1 comm.Ialltoallw([bytearray(8), (8, 0), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 comm.Ialltoallw([bytearray(8), None, MPI.BYTE], bytearray(8 * SIZE))',
            "np=1 comm.Ialltoallw(array.array('i', [0, 0]), bytearray(8 * SIZE))",
            'np=1 comm.Ialltoallw(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([8] * (SIZE + 1), [0] * (SIZE + 1)), MPI.BYTE])',
            'np=1 comm.Ialltoallw(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([8] * SIZE, [8 * i for i in range(SIZE)]), [MPI.BYTE] * SIZE])',
            'np=1 comm.Ialltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            'np=1 comm.Ialltoallw(bytearray(8 * SIZE), memoryview(bytearray(8)))',
            'np=1 comm.Ialltoallw(bytes(8), bytearray(8 * SIZE))',
            "np=1 comm.Ialltoallw(np.zeros((2, 2), 'i2', order='F'), bytearray(8 * SIZE))",
            "np=1 comm.Ialltoallw(np.zeros(1, 'c8'), bytearray(8 * SIZE))",
            "np=1 comm.Ialltoallw(np.zeros(4, 'i4')[::2], bytearray(8 * SIZE))",
            'np=1 comm.Ialltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
            'np=2 cart.Ineighbor_alltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            'np=2 cart.Ineighbor_alltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
            'np=2 cart.Neighbor_alltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            'np=2 cart.Neighbor_alltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
            'np=2 comm.Alltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            'np=2 comm.Alltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
            'np=2 comm.Ialltoallw(bytearray(8 * SIZE), bytearray(8 * SIZE))',
            'np=2 comm.Ialltoallw(sendbuf=bytearray(8 * SIZE), recvbuf=bytearray(8 * SIZE))',
        ]),
    'string1': (
        "NumPy S1/U1 arrays (formats '1s', '1w') map to MPI_CHAR/MPI_WCHAR as in mpi4py "
        '(cmpi asked for an explicit datatype)',
        [
            "np=1 cart.Ineighbor_alltoall(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 cart.Ineighbor_alltoallv(bytearray(8 * SIZE), np.zeros(2, 'U1'))",
            "np=1 cart.Neighbor_alltoall(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Alltoall(bytearray(8), np.zeros(2, 'U1'))",
            "np=1 comm.Alltoall(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Bcast(np.zeros(2, 'U1'))",
            "np=1 comm.Bsend_init(np.zeros(2, 'U1'), 0)",
            "np=1 comm.Exscan(bytearray(8), np.zeros(2, 'U1'))",
            "np=1 comm.Gather(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Iallgather(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Ibcast(np.zeros(2, 'U1'))",
            "np=1 comm.Igatherv(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Ireduce(bytearray(8), np.zeros(2, 'U1'))",
            "np=1 comm.Ireduce_scatter(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Iscatterv(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Recv_init(np.zeros(2, 'U1'))",
            "np=1 comm.Reduce(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Rsend(np.zeros(2, 'U1'), 0)",
            "np=1 comm.Rsend_init(np.zeros(2, 'U1'), 0)",
            "np=1 comm.Scatter(np.zeros(2, 'U1'), bytearray(8 * SIZE))",
            "np=1 comm.Scatterv(bytearray(8 * SIZE), np.zeros(2, 'U1'))",
            "np=1 comm.Send(np.zeros(2, 'U1'), 0)",
            "np=1 comm.Sendrecv_replace(np.zeros(2, 'U1'), 0)",
            "np=1 fh.Iread_all(np.zeros(2, 'U1'))",
            "np=1 fh.Iread_shared(np.zeros(2, 'U1'))",
            "np=1 fh.Iwrite_all(np.zeros(2, 'U1'))",
            "np=1 fh.Iwrite_at(0, np.zeros(2, 'U1'))",
            "np=1 fh.Iwrite_shared(np.zeros(2, 'U1'))",
            "np=1 fh.Read_all(np.zeros(2, 'U1'))",
            "np=1 fh.Read_all_end(np.zeros(2, 'U1'))",
            "np=1 fh.Read_at_all(0, np.zeros(2, 'U1'))",
            "np=1 fh.Read_ordered_begin(np.zeros(2, 'U1'))",
            "np=1 fh.Read_ordered_end(np.zeros(2, 'U1'))",
            "np=1 fh.Write(np.zeros(2, 'U1'))",
            "np=1 fh.Write_all_begin(np.zeros(2, 'U1'))",
            "np=1 fh.Write_at_all_end(np.zeros(2, 'U1'))",
            "np=1 fh.Write_ordered(np.zeros(2, 'U1'))",
            "np=1 fh.Write_ordered_begin(np.zeros(2, 'U1'))",
            "np=1 msg.Recv(np.zeros(2, 'U1'))",
            "np=1 win.Accumulate(np.zeros(2, 'U1'), 0)",
            "np=1 win.Raccumulate(np.zeros(2, 'U1'), 0)",
            "np=1 win.Rput(np.zeros(2, 'U1'), 0)",
        ]),
}

ENTRIES = [
    # (variant id regex, mpi4py outcome regex or None, cmpi outcome regex or None, class, why)
    (r".", r"^crash", r"^(exc:|ok:)", "mpi4py-bug",
     "mpi4py passes the value on to MPI unchecked and the process dies (signal or "
     "MPI abort); cmpi raises or copes"),
    (r"^np=2 ", r"blocks", r"^exc:[^/]*( / exc:[^/]*)*$", "stricter",
     "a collective in which one rank raises (the root on its argument, or MPI on one rank): "
     "mpi4py raises there and leaves the other rank waiting; cmpi raises on every rank "
     "(README, mpi4py compatibility)"),
    (_FRACTION, r"^ok:", r"^exc:ValueError$", "stricter",
     "a float with a fractional part where an integer is expected: mpi4py truncates it "
     "(Cython's __int__), cmpi raises ValueError naming the argument and its value "
     "(README, mpi4py compatibility)"),
    (r"\[bytearray\(8\), 9, MPI\.BYTE\]", r"^ok:", r"^exc:ValueError$", "stricter",
     "a message spec whose count needs more bytes than its buffer holds: mpi4py gives MPI "
     "the count and MPI reads or writes past the buffer; cmpi raises ValueError "
     "(README, mpi4py compatibility)"),
    (r"graph\.Get_neighbors(_count)?\(SIZE\)", r"^ok:", r"^exc:MPI\.Exception\(ERR_RANK\)$",
     "mpi4py-bug",
     "a rank past the communicator's size: mpi4py hands it to MPI, and Open MPI 4.1 reads "
     "past its graph arrays and returns whatever memory is there (other values each run); "
     "cmpi raises ERR_RANK"),
    (r"Index\(\d\)", r"^exc:TypeError$", r"^ok:", "mpi4py-bug",
     "an object with only __index__ (Python's integer protocol, which int(), range() and "
     "numpy take) is refused by mpi4py 4.1.2, whose Cython conversion asks for __int__; "
     "cmpi takes both (issue 17)"),
    # standins2: the methods whose MPI function Open MPI 4.1 lacks (the MPI-4
    # persistent and partitioned calls, Isendrecv) check their arguments as
    # their available form does, then raise NotImplementedError; mpi4py checks
    # less and reaches the missing function where cmpi refuses.
    (_STANDIN + r".*" + _FRACTION, r"^exc:NotImplementedError$", r"^exc:ValueError$",
     "stricter",
     "a float with a fractional part where an integer is expected: mpi4py truncates it "
     "and reaches the MPI function the library lacks; cmpi raises ValueError naming the "
     "argument and its value, as where the library has the function (README, mpi4py "
     "compatibility)"),
    (_STANDIN, r"^exc:NotImplementedError$", r"^exc:MPI\.Exception\(ERR_(RANK|ROOT|TAG)\)$",
     "stricter",
     "a rank, root or tag out of range: mpi4py passes it on unchecked and reaches the MPI "
     "function the library lacks; cmpi checks it before any MPI call, as where the library "
     "has the function, and raises the MPI error class (README, mpi4py compatibility)"),
    (r"^np=\d comm\.P(send|recv)_init\(bytearray\(8\), -\d", r"^exc:NotImplementedError$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", "stricter",
     "partitions below 1: mpi4py passes it on unchecked and reaches the MPI function the "
     "library lacks; cmpi raises ERR_ARG before any MPI call (README, mpi4py compatibility)"),
    (_STANDIN + r".*\[bytearray\(8\), 9, MPI\.BYTE\]", r"^exc:NotImplementedError$",
     r"^exc:ValueError$", "stricter",
     "a message spec whose count needs more bytes than its buffer holds: mpi4py reaches "
     "the MPI function the library lacks (where the library has it, MPI reads or writes "
     "past the buffer); cmpi raises ValueError (README, mpi4py compatibility)"),
    (_STANDIN + r".*Index\(\d\)", r"^exc:TypeError$", r"^exc:NotImplementedError$",
     "mpi4py-bug",
     "an object with only __index__ is refused by mpi4py 4.1.2, whose Cython conversion "
     "asks for __int__; cmpi takes it, checks the other arguments and reaches the MPI "
     "function the library lacks (issue 17)"),
    (r"^np=1 MPI\.Request\.[Gg]et_status_(all|any|some)\((?!.*statuses=(1|'x'))",
     r"^exc:NotImplementedError$", r"^ok:", "mpi4py-bug",
     "mpi4py 4.1.2 raises NotImplementedError where the library lacks MPI-4.1's "
     "MPI_Request_get_status_all/any/some (Open MPI 4.1), although each is defined by "
     "MPI_Request_get_status on every request, which every MPI has: cmpi builds them "
     "from it (csrc/request_lists.c) and answers"),
    # -- argtypes: keyword forms, None, exception types (issue 17) --
    (r"^np=[12] (comm\.(Set_name|Compare|Create|Get_attr|Attach_buffer)|dt\.(Set_name|Get_attr)"
     r"|win\.(Set_name|Get_attr|Set_info|Set_errhandler|Attach|Detach|Shared_query|Unlock"
     r"|Flush|Flush_local)|fh\.(Set_size|Preallocate|Set_info|Set_atomicity|Get_type_extent"
     r"|Get_byte_offset|Set_errhandler)|group\.(Incl|Excl|Compare)|info\.(Get|Delete)"
     r"|status\.(Set_source|Set_tag|Set_error|Set_cancelled)|pickle\.(dumps|dumps_oob|loads)"
     r"|MPI\.(Get_address|Get_error_class|Get_error_string|Pcontrol))\(\w+=", None, None, "fixed",
     "a one-argument method called by keyword, as mpi4py allows: cmpi's were METH_O and "
     "refused the keyword with TypeError"),
    (r"^np=1 (comm\.(I?[BSR]?send|Issend|Irsend|[BSR]?send_init|Send_init)|dt\.(Pack|Unpack)"
     r"|msg\.I?[Rr]ecv|fh\.\w+)\(.*MPI\.(IN_PLACE|BOTTOM)", r"^(ok:|exc:MPI\.Exception)",
     r"^exc:TypeError$", "stricter",
     "IN_PLACE or BOTTOM as the whole buffer where MPI gives it no meaning (point-to-point, "
     "Pack/Unpack, file I/O, Message.Recv): mpi4py hands MPI the sentinel's address as a "
     "buffer, cmpi raises TypeError (README, mpi4py compatibility)"),
    (r"^np=1 comm\.Alltoallv\(MPI\.BOTTOM, bytearray\(8 \* SIZE\)\)$", r"^exc:KeyError$",
     r"^blocks$", "mpi4py-bug",
     "a bare MPI.BOTTOM message: mpi4py 4.1.2 raises KeyError looking up a datatype for the "
     "sentinel's empty buffer format; cmpi takes it as an empty message at MPI_BOTTOM, and "
     "MPICH 4.0.2 at one rank then never completes an Alltoallv whose 0-byte send meets an "
     "8-byte receive (Alltoallv(bytearray(8 * SIZE), np.zeros(0)) blocks in both bindings)"),
    (r"(\(|, )MPI\.BOTTOM(, |\))", r"^exc:KeyError$", None, "mpi4py-bug",
     "a bare MPI.BOTTOM message: mpi4py 4.1.2 raises KeyError looking up a datatype for the "
     "sentinel's empty buffer format; cmpi takes it as an empty message at MPI_BOTTOM"),
    (r"_external(_size)?\(b?'(?!external32')", None, r"^exc:ValueError$", "stricter",
     "a datarep other than 'external32' (such as 'native') in Pack_external/Unpack_external/Pack_external_size: MPI defines only "
     "'external32' there (MPICH refuses others, Open MPI packs natively); cmpi raises "
     "ValueError before looking at the other arguments (README, mpi4py compatibility)"),
    (r"(Create_keyval\((copy_fn|delete_fn)=1\)|Grequest\.Start\((query_fn|free_fn|cancel_fn)=1\))",
     r"^ok:", r"^exc:TypeError$", "stricter",
     "a callback that is not callable: mpi4py takes it and fails later inside MPI's callback, "
     "cmpi raises TypeError at once (README, mpi4py compatibility)"),
    (r"^np=1 comm\.(reduce|allreduce|scan|exscan)\(.*op=(1|MPI\.INT|None)\)", r"^ok:",
     r"^exc:TypeError$", "stricter",
     "the op of a lowercase reduction is checked at every communicator size: mpi4py calls it "
     "only with 2 ranks or more, so a bad op passes at 1 rank (README, mpi4py compatibility)"),
    (r"^np=2 comm\.(reduce|allreduce|scan|exscan)\(.*op=None\)", r"^exc:TypeError / ok:",
     r"^exc:TypeError$", "stricter",
     "op=None in a lowercase reduction: mpi4py raises TypeError where it calls the op (the "
     "root of reduce only), cmpi on every rank (README, mpi4py compatibility)"),
    (r"Index\(\d\)", r"^exc:TypeError$", r"^exc:(MPI\.Exception|ValueError)", "mpi4py-bug",
     "an object with only __index__ is refused by mpi4py 4.1.2 (its Cython conversion asks "
     "for __int__); cmpi takes the value, which MPI or cmpi's own check then refuses"),
    (_FRACTION, r"^exc:MPI\.Exception\(", r"^exc:ValueError$", "stricter",
     "a float with a fractional part where an integer is expected: mpi4py truncates it and "
     "MPI then refuses the truncated value; cmpi raises ValueError naming the argument and "
     "its value (README, mpi4py compatibility)"),
    (r"\[bytearray\(8\), 9, MPI\.BYTE\]", r"^exc:MPI\.Exception\(ERR_TRUNCATE\)$",
     r"^exc:ValueError$", "stricter",
     "a message spec whose count needs more bytes than its buffer holds: mpi4py gives MPI "
     "the count (here MPI notices the mismatch as a truncation); cmpi raises ValueError "
     "before MPI sees it (README, mpi4py compatibility)"),
    # round 3: dmisc
    (r"^np=1 (MPI\.(Comm|Datatype|Win)\.Free_keyval|(comm|dt|win)\.(Set_attr|Delete_attr))\(",
     r"^exc:MPI\.Exception\(ERR_OTHER\)$", r"^exc:MPI\.Exception\(ERR_KEYVAL\)$", "stricter",
     "a keyval that is invalid or was not made by this kind's Create_keyval: cmpi checks it "
     "itself and raises ERR_KEYVAL, the class MPI gives an invalid keyval, with a message "
     "naming it; mpi4py hands it to Open MPI 4.1, which answers ERR_OTHER (README, mpi4py "
     "compatibility)"),
    (r"^np=1 MPI\.Attach_buffer\((None|MPI\.BOTTOM|MPI\.IN_PLACE)\)$", r"^exc:MPI\.Exception\(",
     r"^exc:TypeError$", "stricter",
     "None (mpi4py's BUFFER_AUTOMATIC, which MPI before 4.1 lacks), BOTTOM or IN_PLACE as "
     "the buffer to attach: mpi4py hands MPI a null or sentinel address, cmpi raises "
     "TypeError (README, mpi4py compatibility)"),
    (r"^np=1 MPI\.Attach_buffer\(", r"^exc:MPI\.Exception\(ERR_PROC_FAILED\)$",
     r"^exc:MPI\.Exception\(ERR_BUFFER\)$", "mpi4py-bug",
     "a second buffer attached while one is: Open MPI 4.1's MPI_Buffer_attach returns an "
     "internal error code, not an error class (read as ERR_PROC_FAILED); cmpi checks and "
     "raises ERR_BUFFER ('a buffer is already attached')"),
    (r"^np=1 comm\.Get_attr\(SIZE\)$", r"^ok:int$", r"^ok:-2$", "mpi4py-bug",
     "keyval 1 is Open MPI's MPI_HOST, which mpi4py 4.1.2 does not count among the predefined "
     "attributes: it returns the attribute's address as an int; cmpi returns its value "
     "(PROC_NULL)"),
    (r"^np=1 comm\.Ack_failed\(num_to_ack=-\d+\)$", r"^ok:0$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", "stricter",
     "a negative num_to_ack: MPI defines it as a count of failures to acknowledge; mpi4py's "
     "stand-in without ULFM returns 0, cmpi raises ERR_ARG as an MPI with ULFM does (README, "
     "mpi4py compatibility)"),
    (r"^np=1 MPI\.((Comm|Win|File)\.Create_errhandler|Op\.Create)\((1|None)\)$",
     r"^exc:AttributeError$", r"^exc:TypeError$", "mpi4py-bug",
     "a callback that is not callable: mpi4py 4.1.2 raises AttributeError (it looks up the "
     "object's __call__); Python's exception for a non-callable is TypeError, which cmpi "
     "raises"),
    (r"^np=1 group\.Translate_ranks\(ranks=\[-1\]\)$", r"^ok:list\[-32766\]$",
     r"^exc:MPI\.Exception\(ERR_RANK\)$", "stricter",
     "rank -1 is no rank of the group (nor PROC_NULL): Open MPI 4.1 answers UNDEFINED for it "
     "unchecked, cmpi checks ranks before MPI sees them and raises ERR_RANK (README, mpi4py "
     "compatibility)"),
    ("^(?:" + "|".join(re.escape(v) for v in [
        "np=1 MPI.Attach_buffer('abc')",
        'np=1 MPI.Attach_buffer((bytearray(8), MPI.BYTE))',
        "np=1 MPI.Attach_buffer([bytearray(8), 'i'])",
        'np=1 MPI.Attach_buffer([bytearray(8), 2, MPI.INT])',
        'np=1 MPI.Attach_buffer([bytearray(8), 2.0, MPI.INT])',
        'np=1 MPI.Attach_buffer([bytearray(8), None, MPI.BYTE])',
        'np=1 MPI.Attach_buffer([bytearray(8)])',
    ]) + ")$", None, None, "fixed",
     'Attach_buffer checks its argument before whether a buffer is attached: TypeError for '
     'what is no buffer, as in mpi4py (cmpi raised ERR_BUFFER while one was attached)'),
    ("^(?:" + "|".join(re.escape(v) for v in [
        'np=1 MPI.Get_error_string(-1)',
        'np=1 MPI.Get_error_string(-7)',
        'np=1 MPI.Pcontrol(-1)',
        'np=1 MPI.Pcontrol(-7)',
        'np=1 MPI.Alloc_mem(-1)',
        'np=1 MPI.Alloc_mem(-7)',
    ]) + ")$", None, None, "fixed",
     'a negative error code, size or profiling level (or one above 2) raises '
     "MPI.Exception(ERR_ARG), as in mpi4py (cmpi returned 'unknown error code', raised "
     'ValueError, or passed the level on)'),
    ("^(?:" + "|".join(re.escape(v) for v in [
        'np=1 info.Get_nthkey(1)',
        'np=1 info.Get_nthkey(1.0)',
        'np=1 info.Get_nthkey(Int(1))',
        'np=1 info.Get_nthkey(SIZE)',
        'np=1 info.Get_nthkey(True)',
        'np=1 info.Get_nthkey(n=1)',
        'np=1 info.Get_nthkey(np.float64(1.0))',
        'np=1 info.Get_nthkey(np.int32(1))',
        'np=1 info.Get_nthkey(np.int64(1))',
        'np=1 info.Get_nthkey(np.uint8(1))',
    ]) + ")$", None, None, "fixed",
     'Info.Get_nthkey(n) past the last key raises ERR_INFO_KEY, as mpi4py gets from Open '
     'MPI (cmpi raised ERR_ARG; a negative n stays ERR_ARG)'),
    ("^(?:" + "|".join(re.escape(v) for v in [
        "np=1 group.Range_incl('x')",
        "np=1 group.Range_excl('x')",
        "np=1 comm.Iagree(np.zeros(4, 'i4')[::2])",
        "np=1 mem.cast('x', shape=None)",
    ]) + ")$", None, None, "fixed",
     "argument shapes refused with mpi4py's exception: a str item of Range_incl/Range_excl "
     'is unpacked (ValueError for its length), a strided Iagree flag is a BufferError, '
     "buffer.cast(shape=None) is memoryview's TypeError"),
    ("^(?:" + "|".join(re.escape(v) for v in [
        'np=1 MPI.BufferAutomaticType()',
        'np=1 MPI.BufferAutomaticType(bogus=1)',
    ]) + ")$", None, None, "fixed",
     'MPI.BufferAutomaticType and MPI.BUFFER_AUTOMATIC exist, a sentinel as BOTTOM and '
     'IN_PLACE (they were stand-ins)'),
]
ENTRIES += [("^(?:" + "|".join(re.escape(v) for v in ids) + ")$", None, None, "fixed", why)
            for why, ids in _ARGTYPES_FIXED.values()]

# round 3: dcomm -- point-to-point, collectives, neighborhood collectives,
# Message.recv, Get_status_some, Grequest.Start
#: round 3: dcomm: the communication variants fixed, by fix; exact variant ids.
_DCOMM_FIXED = {
    'info': (
        'info=None in a persistent collective is a TypeError checked before the buffers, as '
        "mpi4py's parser does (cmpi took None as INFO_NULL, then raised NotImplementedError or "
        'a buffer error)',
        [
            'np=1 comm.Allgather_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Allgatherv_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Allreduce_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Alltoall_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Alltoallv_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Alltoallw_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Barrier_init(info=None)',
            'np=1 comm.Bcast_init(bytearray(8), info=None)',
            'np=1 comm.Exscan_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Gather_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Gatherv_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Reduce_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Reduce_scatter_block_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Scan_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Scatter_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=1 comm.Scatterv_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Allgather_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Allgatherv_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Allreduce_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Alltoall_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Alltoallv_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Alltoallw_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Barrier_init(info=None)',
            'np=2 comm.Bcast_init(bytearray(8), info=None)',
            'np=2 comm.Exscan_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Gather_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Gatherv_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Reduce_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Reduce_scatter_block_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Scan_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Scatter_init(bytearray(8), bytearray(8 * SIZE), info=None)',
            'np=2 comm.Scatterv_init(bytearray(8 * SIZE), bytearray(8 * SIZE), info=None)',
        ],
    ),
    'sendrecv': (
        "Sendrecv/Isendrecv read their arguments in mpi4py's order: integers converted, the "
        'send message parsed, then a missing recvbuf is a TypeError before the ranks and tags '
        'are checked',
        [
            'np=1 comm.Isendrecv(bytearray(8), -1)',
            'np=1 comm.Isendrecv(bytearray(8), -7)',
            'np=1 comm.Isendrecv(bytearray(8), 0, recvtag=-7)',
            'np=1 comm.Isendrecv(bytearray(8), 0, sendtag=-1)',
            'np=1 comm.Isendrecv(bytearray(8), 0, sendtag=-7)',
            'np=1 comm.Isendrecv(bytearray(8), 0, source=-7)',
            'np=1 comm.Isendrecv(bytearray(8), 0, source=SIZE)',
            'np=1 comm.Isendrecv(bytearray(8), SIZE)',
            'np=1 comm.Sendrecv(bytearray(8), -1)',
            'np=1 comm.Sendrecv(bytearray(8), -7)',
            'np=1 comm.Sendrecv(bytearray(8), 0, recvtag=-7)',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=-1)',
            'np=1 comm.Sendrecv(bytearray(8), 0, sendtag=-7)',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=-7)',
            'np=1 comm.Sendrecv(bytearray(8), 0, source=SIZE)',
            'np=1 comm.Sendrecv(bytearray(8), SIZE)',
        ],
    ),
    'inplace_none': (
        'sendbuf=None is IN_PLACE in Scan, Exscan and Reduce_scatter(_block) on an '
        "intracommunicator, as mpi4py's is_IN_PLACE reads it (with IN_PLACE, Reduce_scatter "
        'needs recvcounts: TypeError)',
        [
            'np=1 comm.Exscan(None, bytearray(8 * SIZE))',
            'np=1 comm.Exscan_init(None, bytearray(8 * SIZE))',
            'np=1 comm.Iexscan(None, bytearray(8 * SIZE))',
            'np=1 comm.Ireduce_scatter(None, bytearray(8 * SIZE))',
            'np=1 comm.Ireduce_scatter_block(None, bytearray(8 * SIZE))',
            'np=1 comm.Scan_init(None, bytearray(8 * SIZE))',
        ],
    ),
    'recvcounts': (
        "Reduce_scatter's recvcounts are read as mpi4py reads them: a sequence of __index__ "
        'integers (a bare int, a str, a float or None is a TypeError), its length checked after'
        ' its items; required with IN_PLACE',
        [
            'np=1 comm.Ireduce_scatter(MPI.IN_PLACE, bytearray(8 * SIZE))',
            'np=1 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=1)',
            'np=1 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[2**31])',
            'np=1 comm.Reduce_scatter(MPI.IN_PLACE, bytearray(8 * SIZE))',
            'np=1 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=1)',
            'np=1 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[2**31])',
            'np=1 comm.Reduce_scatter_init(MPI.IN_PLACE, bytearray(8 * SIZE))',
            'np=1 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), recvcounts=1)',
            'np=1 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), recvcounts=[2**31])',
            "np=2 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts='1')",
            'np=2 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=1)',
            'np=2 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[0.5])',
            'np=2 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[1.0])',
            'np=2 comm.Ireduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[None])',
            "np=2 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts='1')",
            'np=2 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=1)',
            'np=2 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[0.5])',
            'np=2 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[1.0])',
            'np=2 comm.Reduce_scatter(bytearray(8), bytearray(8 * SIZE), recvcounts=[None])',
            "np=2 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), recvcounts='1')",
            'np=2 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), recvcounts=1)',
            'np=2 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), recvcounts=[0.5])',
            'np=2 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), recvcounts=[1.0])',
            'np=2 comm.Reduce_scatter_init(bytearray(8), bytearray(8 * SIZE), recvcounts=[None])',
        ],
    ),
    'none_send': (
        "a bare None where a collective sends from this rank (Bcast's buf, Scatter's sendbuf at"
        ' the root, a neighborhood sendbuf) is a TypeError as in mpi4py 4; '
        'neighbor_alltoall(None) sends None to every neighbor',
        [
            'np=1 cart.Ineighbor_allgather(None, bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_allgather_init(None, bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallv_init(None, bytearray(8 * SIZE))',
            'np=1 cart.neighbor_alltoall(None)',
            'np=1 comm.Bcast(None)',
            'np=1 comm.Scatter(None, bytearray(8 * SIZE))',
            'np=1 comm.Scatter_init(None, bytearray(8 * SIZE))',
            'np=1 comm.Scatterv_init(None, bytearray(8 * SIZE))',
            'np=2 cart.neighbor_alltoall(None)',
        ],
    ),
    'wmsg': (
        'Alltoallw and Neighbor_alltoallw read the receive message first, as mpi4py does; a '
        'w-message without a length is a TypeError; count sequences are checked item by item '
        'before their length',
        [
            'np=1 cart.Ineighbor_alltoallw([bytearray(8 * SIZE), ([1.5] * SIZE, None), MPI.INT], bytearray(8 * SIZE))',
            'np=1 cart.Ineighbor_alltoallw([bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT], bytearray(8 * SIZE))',
            'np=1 cart.Ineighbor_alltoallw([bytearray(8), (8, 0), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 cart.Ineighbor_alltoallw([bytearray(8), None, MPI.BYTE], bytearray(8 * SIZE))',
            "np=1 cart.Ineighbor_alltoallw(bytearray(8 * SIZE), np.zeros((), 'f8'))",
            'np=1 cart.Neighbor_alltoallw([bytearray(8 * SIZE), ([1.5] * SIZE, None), MPI.INT], bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw([bytearray(8 * SIZE), ([8] * (SIZE + 1), [0] * (SIZE + 1)), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw([bytearray(8), (8, 0), MPI.BYTE], bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw([bytearray(8), 2, MPI.INT], bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw(bytearray(8 * SIZE), MPI.BOTTOM)',
            'np=1 cart.Neighbor_alltoallw(bytearray(8 * SIZE), MPI.IN_PLACE)',
            'np=1 cart.Neighbor_alltoallw_init([bytearray(8), 1.5, MPI.INT], bytearray(8 * SIZE))',
            'np=1 cart.Neighbor_alltoallw_init(bytearray(8 * SIZE), [bytearray(8), 9, MPI.BYTE])',
            "np=1 cart.Neighbor_alltoallw_init(bytearray(8 * SIZE), np.zeros((), 'f8'))",
            'np=1 comm.Alltoallw([bytearray(8), 1.5, MPI.INT], bytearray(8 * SIZE))',
            'np=1 comm.Alltoallw(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT])',
            'np=1 comm.Alltoallw(bytearray(8 * SIZE), [bytearray(8), 2.0, MPI.INT])',
            'np=1 comm.Alltoallw_init([bytearray(8 * SIZE), ([1.5] * SIZE, None), MPI.INT], bytearray(8 * SIZE))',
            'np=1 comm.Ialltoallw([bytearray(8), 1.5, MPI.INT], bytearray(8 * SIZE))',
            'np=1 comm.Ialltoallw(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT])',
        ],
    ),
    'grequest': (
        'Grequest.Start reads kwargs with dict(kwargs), as mpi4py (cmpi raised AttributeError)',
        [
            "np=1 MPI.Grequest.Start(kwargs='x')",
            'np=1 MPI.Grequest.Start(kwargs=1)',
            'np=1 MPI.Grequest.Start(kwargs=[0])',
        ],
    ),
    'vector': (
        'vector messages as mpi4py reads them: count sequences checked item by item before '
        'their length ([2.0] is a TypeError), and without counts a buffer splits over the peers'
        ' unevenly (the first ones get one element more) instead of being refused',
        [
            'np=1 cart.Ineighbor_allgatherv(bytearray(8), [bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT])',
            "np=1 cart.Ineighbor_allgatherv(bytearray(8), [bytearray(8), 'q'])",
            'np=1 cart.Ineighbor_alltoallv([bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT], bytearray(8 * SIZE))',
            'np=1 cart.Ineighbor_alltoallv(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT])',
            'np=1 cart.Neighbor_alltoallv(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([2.0] * SIZE, None), MPI.INT])',
            "np=1 cart.Neighbor_alltoallv(bytearray(8 * SIZE), np.zeros(1, 'f8'))",
            "np=1 cart.Neighbor_alltoallv(np.zeros(1, 'i8'), bytearray(8 * SIZE))",
            "np=1 cart.Neighbor_alltoallv_init([bytearray(8), 'q'], bytearray(8 * SIZE))",
            "np=1 cart.Neighbor_alltoallv_init(bytearray(8 * SIZE), np.zeros((), 'f8'))",
            "np=1 cart.Neighbor_alltoallv_init(np.zeros((), 'f8'), bytearray(8 * SIZE))",
        ],
    ),
}
ENTRIES += [("^(?:" + "|".join(re.escape(v) for v in ids) + ")$", None, None, "fixed", why)
            for why, ids in _DCOMM_FIXED.values()]
ENTRIES += [
    (r"^np=[12] comm\.(Sendrecv|Isendrecv|recv|scatter|Reduce|Ireduce|Reduce_init)\(.*"
     r"(dest=|sendtag=|source=|recvtag=|tag=|root=|, )-?\d+\.5\b",
     r"^exc:(TypeError|UnpicklingError|ValueError / (ok:\w+|exc:NotImplementedError))$",
     r"^exc:ValueError$", "stricter",
     "a float with a fractional part as a rank, tag or root: mpi4py truncates it and goes on "
     "(then fails on another argument, receives at the truncated rank, or reduces on one rank "
     "only); cmpi raises ValueError naming the argument, on every rank (README, mpi4py "
     "compatibility)"),
    (r"^np=1 (cart\.I?[Nn]eighbor_\w+|comm\.Isendrecv)\(.*\[bytearray\(8\), "
     r"(2, MPI\.INT|8, MPI\.BYTE|\(8, 0\), MPI\.BYTE|9, MPI\.BYTE)\]",
     r"^(ok:Request|ok:None|exc:MPI\.Exception\(ERR_TRUNCATE\)|exc:NotImplementedError|"
     r"exc:TypeError)$", r"^exc:ValueError$", "stricter",
     "a message whose count (per neighbor, in a neighborhood collective) needs more bytes than "
     "its buffer holds: mpi4py hands MPI the count (here the neighbors are PROC_NULL, or MPI "
     "sees a truncation, or another argument fails first); cmpi raises ValueError before MPI "
     "reads or writes past the buffer (README, mpi4py compatibility)"),
    (r"^np=1 (cart\.I?[Nn]eighbor_\w+|comm\.(Psend_init|Precv_init|Isendrecv_replace))\("
     r".*MPI\.IN_PLACE", r"^exc:(MPI\.Exception\(ERR_ARG\)|NotImplementedError)$",
     r"^exc:TypeError$", "stricter",
     "IN_PLACE as a buffer of a neighborhood collective, a partitioned or an Isendrecv_replace "
     "call, where MPI gives it no meaning: mpi4py hands MPI the sentinel (ERR_ARG, or "
     "NotImplementedError where the library lacks the call), cmpi raises TypeError (README, "
     "mpi4py compatibility)"),
    (r"^np=1 comm\.(Gather|Allgather_init)\(bytearray\(8\), MPI\.IN_PLACE\)$",
     r"^exc:(MPI\.Exception\(ERR_ARG\)|NotImplementedError)$", r"^exc:ValueError$", "stricter",
     "IN_PLACE as the receive buffer of a gather, where MPI defines it only for the send buffer "
     "(and at the root of Scatter): mpi4py hands MPI the sentinel, cmpi raises ValueError "
     "(README, mpi4py compatibility)"),
    (r"^np=1 (comm\.recv\(buf=1\)|comm\.sendrecv\(\[1, 'a'\], 0, recvbuf=1\))$",
     r"^exc:MPI\.Exception\(ERR_TRUNCATE\)$", r"^exc:UnpicklingError$|^ok:", "stricter",
     "an integer buf/recvbuf in recv/sendrecv (deprecated in mpi4py): mpi4py receives into that "
     "many bytes and truncates a larger message; cmpi sizes every pickled receive by matched "
     "probe, so nothing truncates (README, mpi4py compatibility)"),
    (r"^np=1 msg\.recv\((None|status=MPI\.Status\(\)|status=None)?\)$",
     r"^exc:MPI\.Exception\(ERR_TRUNCATE\)$", r"^exc:UnpicklingError$", "mpi4py-bug",
     "Message.recv of a message matched by Mprobe (not mprobe): mpi4py 4.1.2 receives it into "
     "an empty buffer (Message.ob_buf is set by mprobe only), so any non-empty message "
     "truncates; cmpi sizes the receive from the matched message and unpickles it (here the "
     "harness's raw bytes, hence UnpicklingError)"),
    (r"^np=[12] comm\.(recv|scatter)\(.*Index\(\d\)", r"^exc:TypeError$",
     r"^exc:(UnpicklingError|TypeError / exc:MPI\.Exception\(ERR_OTHER\))$", "mpi4py-bug",
     "an object with only __index__ is refused by mpi4py 4.1.2 (its Cython conversion asks "
     "for __int__); cmpi takes the value and goes on: recv receives the harness's raw message "
     "(UnpicklingError), scatter's root refuses its non-sequence and tells the other rank"),
    (r"^np=2 comm\.reduce\(.*op=(1|MPI\.INT)\)$", r"^exc:TypeError / ok:", r"^exc:TypeError$",
     "stricter",
     "a bad op in a lowercase reduce: mpi4py raises TypeError where it calls the op (the root "
     "only), cmpi on every rank (README, mpi4py compatibility)"),
    (r"^np=2 comm\.(scan|exscan)\((None|\[1, 'a'\], op=MPI\.OP_NULL)\)$",
     r"^exc:(TypeError|ValueError)$", r"^(ok:|exc:)", "mpi4py-bug",
     "mpi4py 4.1.2's recursive-doubling scan/exscan applies the op on every rank, also where "
     "that rank's result does not need it (rank 0; exscan's rank 1 of 2), so an op that fails "
     "on these objects raises there; cmpi combines only what each rank's result needs"),
    (r"^np=1 MPI\.Request\.[Gg]et_status_some\(\[req\], statuses=(1|'x'|\[0\])\)$",
     r"^exc:NotImplementedError$", r"^exc:TypeError$", "mpi4py-bug",
     "mpi4py 4.1.2 raises NotImplementedError where the library lacks MPI-4.1's "
     "MPI_Request_get_status_some (Open MPI 4.1); cmpi builds it from MPI_Request_get_status "
     "and checks and fills statuses as Testsome does (a non-Status item is a TypeError)"),
]

# round 3: dwdf (Datatype, File, Win, Register_datarep, topology constructors, Cartcomm)
_DWDF_FIXED = {
    'topology': (
        "topology arguments checked as mpi4py does: Create_graph/Graph_map check only the "
        "edges index uses, Create_dist_graph checks lengths (ValueError) before ranks, "
        "Cartcomm periods are ints, a wrong-length coords/remain_dims is ValueError, "
        "Compute_dims nnodes < 1 is ERR_DIMS",
        [
            'np=1 comm.Create_dist_graph((1,), [0], [0])',
            'np=1 comm.Create_dist_graph([-1], [0], [0])',
            'np=1 comm.Create_dist_graph([0], [0], (1,))',
            'np=1 comm.Create_dist_graph([0], [0], [-1])',
            'np=1 comm.Create_dist_graph([0], [0], [Index(1)])',
            'np=1 comm.Create_dist_graph([0], [0], [np.int32(1)])',
            'np=1 comm.Create_dist_graph([Index(1)], [0], [0])',
            'np=1 comm.Create_dist_graph([np.int32(1)], [0], [0])',
            'np=2 comm.Create_dist_graph([-1], [0], [0])',
            'np=2 comm.Create_dist_graph([0], [0], [-1])',
            'np=1 comm.Create_graph([0], (1,))',
            'np=1 comm.Create_graph([0], [-1])',
            'np=1 comm.Create_graph([0], [Index(1)])',
            'np=1 comm.Create_graph([0], [np.int32(1)])',
            'np=1 comm.Create_graph([], [0])',
            'np=2 comm.Create_graph([0], (1,))',
            'np=2 comm.Create_graph([0], [-1])',
            'np=2 comm.Create_graph([0], [Index(1)])',
            'np=2 comm.Create_graph([0], [np.int32(1)])',
            'np=2 comm.Create_graph([], [0])',
            'np=1 comm.Graph_map([0], (1,))',
            'np=1 comm.Graph_map([0], [-1])',
            'np=1 comm.Graph_map([0], [Index(1)])',
            'np=1 comm.Graph_map([0], [np.int32(1)])',
            'np=1 comm.Graph_map([], [0])',
            'np=1 cart.Get_cart_rank([])',
            'np=1 cart.Get_topo()',
            'np=1 cart.Sub([])',
            'np=2 cart.Sub([])',
            'np=1 MPI.Compute_dims(-1, [SIZE])',
            'np=1 MPI.Compute_dims(-7, [SIZE])',
        ]),
    'register_datarep': (
        "Register_datarep calls MPI_Register_datarep with Python callbacks, as mpi4py "
        "(was a NotImplementedError stand-in)",
        [
            "np=1 MPI.Register_datarep('', lambda *args: None, lambda *args: None, "
            "lambda *args: None)",
            "np=1 MPI.Register_datarep('native', None, lambda *args: None, lambda *args: None)",
            "np=1 MPI.Register_datarep('native', lambda *args: None, None, lambda *args: None)",
            "np=1 MPI.Register_datarep('native', lambda *args: None, lambda *args: None, "
            "lambda *args: None)",
            "np=1 MPI.Register_datarep(1, lambda *args: None, lambda *args: None, "
            "lambda *args: None)",
            "np=1 MPI.Register_datarep(None, lambda *args: None, lambda *args: None, "
            "lambda *args: None)",
            "np=1 MPI.Register_datarep(b'x', lambda *args: None, lambda *args: None, "
            "lambda *args: None)",
            "np=1 MPI.Register_datarep(datarep='native', read_fn=lambda *args: None, "
            "write_fn=lambda *args: None, extent_fn=lambda *args: None)",
        ]),
    'counts': (
        "a count, block length or size past C int that MPI_Count holds raises "
        "MPI.Exception(ERR_ARG), as mpi4py 4.1.2 on a library without MPI-4 large counts "
        "(cmpi raised OverflowError); a Pack/Unpack message spec naming another datatype is "
        "TypeError (mpi4py takes no spec there)",
        [
            'np=1 dt.Create_darray(1, 0, [2**31], [0], [0], [SIZE])',
            'np=1 dt.Create_hindexed([2**31], [0])',
            'np=1 dt.Create_hindexed_block(2**31, [0])',
            'np=1 dt.Create_hvector(1, 2**31, 1)',
            'np=1 dt.Create_hvector(2**31, 1, 1)',
            'np=1 dt.Create_indexed([0], [2**31])',
            'np=1 dt.Create_indexed([2**31], [0])',
            'np=1 dt.Create_indexed_block(1, [2**31])',
            'np=1 dt.Create_indexed_block(2**31, [0])',
            'np=1 MPI.Datatype.Create_struct([2**31], [0], [MPI.INT])',
            'np=1 dt.Create_subarray([2**31], [0], [0])',
            'np=1 dt.Create_subarray([SIZE], [0], [2**31])',
            'np=1 dt.Create_subarray([SIZE], [2**31], [0])',
            'np=1 dt.Create_vector(1, 1, 2**31)',
            'np=1 dt.Create_vector(1, 2**31, 1)',
            'np=1 dt.Create_vector(2**31, 1, 1)',
            'np=1 dt.Pack_size(2**31, comm)',
            "np=1 dt.Pack([bytearray(8), 'q'], bytearray(8), 1, comm)",
            'np=1 dt.Pack([bytearray(8), ([8], [0]), MPI.BYTE], bytearray(8), 1, comm)',
            "np=1 dt.Unpack(bytearray(8), 1, [bytearray(8), 'i'], comm)",
            'np=1 dt.Unpack(bytearray(8), 1, [bytearray(8), MPI.BYTE], comm)',
        ]),
    'win_file': (
        "Win/File arguments as mpi4py: COMM_NULL (not an Intracomm) is TypeError, a bad "
        "size/disp_unit is MPI.Exception(ERR_SIZE/ERR_DISP, ERR_ARG past C int), strided or "
        "read-only window memory is BufferError, None is no buffer for file I/O and "
        "Put/Raccumulate, Fetch_and_op/Compare_and_swap parse every buffer before checking "
        "counts and then the target rank",
        [
            "np=1 MPI.File.Open(MPI.COMM_NULL, 'diff.dat')",
            'np=1 MPI.Win.Allocate(-1)',
            'np=1 MPI.Win.Allocate(-7)',
            'np=1 MPI.Win.Allocate(1, comm=MPI.COMM_NULL)',
            'np=1 MPI.Win.Allocate(1, disp_unit=-1)',
            'np=1 MPI.Win.Allocate(1, disp_unit=-7)',
            'np=1 MPI.Win.Allocate(1, disp_unit=2**31)',
            'np=1 MPI.Win.Allocate_shared(-1)',
            'np=1 MPI.Win.Allocate_shared(-7)',
            'np=1 MPI.Win.Allocate_shared(1, comm=MPI.COMM_NULL)',
            'np=1 MPI.Win.Allocate_shared(1, disp_unit=2**31)',
            'np=1 MPI.Win.Create(bytearray(8), comm=MPI.COMM_NULL)',
            'np=1 MPI.Win.Create(bytearray(8), disp_unit=-1)',
            'np=1 MPI.Win.Create(bytearray(8), disp_unit=-7)',
            'np=1 MPI.Win.Create(bytearray(8), disp_unit=2**31)',
            "np=1 MPI.Win.Create(np.zeros(4, 'i4')[::2])",
            'np=1 MPI.Win.Create_dynamic(comm=MPI.COMM_NULL)',
            'np=1 win.Detach(bytes(8))',
            'np=1 win.Detach(memoryview(bytes(8)))',
            "np=1 win.Detach(np.zeros(4, 'i4')[::2])",
            'np=1 win.Compare_and_swap(None, bytearray(8), bytearray(8), 0)',
            'np=1 win.Compare_and_swap(bytearray(8), [bytearray(8), 2.0, MPI.INT], '
            'bytearray(8), 0)',
            'np=1 win.Compare_and_swap(bytearray(8), bytearray(8), bytearray(8), -1)',
            'np=1 win.Compare_and_swap(bytearray(8), bytearray(8), bytearray(8), -7)',
            'np=1 win.Compare_and_swap(bytearray(8), bytearray(8), bytearray(8), SIZE)',
            "np=1 win.Compare_and_swap(bytearray(8), np.zeros(4, 'i4')[::2], bytearray(8), 0)",
            'np=1 win.Fetch_and_op(1, bytearray(8), 0)',
            'np=1 win.Fetch_and_op([bytearray(8), 1.5, MPI.INT], bytearray(8), 0)',
            'np=1 win.Fetch_and_op(bytearray(8), bytearray(8), -1)',
            'np=1 win.Fetch_and_op(bytearray(8), bytearray(8), -7)',
            'np=1 win.Fetch_and_op(bytearray(8), bytearray(8), SIZE)',
            "np=1 win.Fetch_and_op(np.zeros(4, 'i4')[::2], bytearray(8), 0)",
            'np=1 win.Put(None, 0)',
            'np=1 win.Raccumulate(None, 0)',
            'np=1 fh.Iread(None)',
            'np=1 fh.Iread_at_all(0, None)',
            'np=1 fh.Iwrite_at(0, None)',
            'np=1 fh.Iwrite_at_all(0, None)',
            'np=1 fh.Iwrite_shared(None)',
            'np=1 fh.Read_at_all_end(None)',
            'np=1 fh.Write_all(None)',
            'np=1 fh.Write_all_begin(None)',
            'np=1 fh.Write_all_end(None)',
            'np=1 fh.Write_ordered(None)',
        ]),
}
ENTRIES += [("^(?:" + "|".join(re.escape(v) for v in ids) + ")$", None, None, "fixed", why)
            for why, ids in _DWDF_FIXED.values()]
ENTRIES += [
    (r"^np=[12] comm\.Create_dist_graph_adjacent\(\[0\], \[0\], (source|dest)weights=",
     r"^(ok:Distgraphcomm|exc:MPI\.Exception\(ERR_ARG\))$", r"^exc:ValueError$", "stricter",
     "weights on one side only of Create_dist_graph_adjacent: MPI wants UNWEIGHTED on both "
     "sides or neither (MPICH refuses with ERR_ARG, Open MPI 4.1 takes it); cmpi raises "
     "ValueError on every MPI before looking at the weights (README, mpi4py compatibility)"),
    (r"^np=[12] comm\.Create_dist_graph_adjacent\(", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     r"^exc:MPI\.Exception\(ERR_RANK\)$", "stricter",
     "a source or destination out of the communicator's ranks: cmpi checks it before MPI "
     "and raises ERR_RANK naming it, the class MPI gives a bad rank; Open MPI 4.1 says "
     "ERR_ARG (README, mpi4py compatibility)"),
    (r"^np=[12] comm\.(Create_graph|Graph_map)\(\[-1\], \[0\]\)$",
     r"^(ok:0|exc:MPI\.Exception\(ERR_INTERN\))$", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     "stricter",
     "a graph index that decreases (a negative degree): Open MPI 4.1's Graph_map takes it "
     "and its Create_graph fails with ERR_INTERN; cmpi checks the index before MPI and "
     "raises ERR_ARG (README, mpi4py compatibility)"),
    (r"^np=1 comm\.Graph_map\(\[0\], \[\]\)$", r"^exc:MPI\.Exception\(ERR_ARG\)$", r"^ok:0$",
     "mpi4py-bug",
     "index [0] with no edges is one node without neighbours; mpi4py 4.1.2 takes a single "
     "0 for the leading 0 of an adjacency index and passes MPI zero nodes, which Open MPI "
     "refuses; cmpi maps the one node (its Create_graph([0], []) agrees with mpi4py's)"),
    (r"^np=[12] comm\.(Create_cart|Cart_map)\(\[-1\]\)$",
     r"^(ok:0|exc:MPI\.Exception\(ERR_OTHER\))$", r"^exc:MPI\.Exception\(ERR_DIMS\)$",
     "stricter",
     "a negative dimension: Open MPI 4.1's Cart_map maps it and its Create_cart fails with "
     "ERR_OTHER; cmpi checks dims before MPI and raises ERR_DIMS (README, mpi4py "
     "compatibility)"),
    (r"^np=1 cart\.Shift\(", r"^ok:tuple\[", r"^exc:MPI\.Exception\(ERR_DIMS\)$", "mpi4py-bug",
     "a direction past the grid's dimensions (1 of a 1-D grid): Open MPI 4.1 checks only "
     "direction < 0 and reads past its dims and periods arrays, answering what is there; "
     "cmpi raises ERR_DIMS"),
    (r"^np=1 cart\.Get_coords\(SIZE\)$", r"^ok:", r"^exc:MPI\.Exception\(ERR_RANK\)$",
     "mpi4py-bug",
     "a rank past the communicator's size: Open MPI 4.1 computes coordinates for it, of no "
     "process; cmpi raises ERR_RANK"),
    (r"^np=1 MPI\.Register_datarep\('native', (1|lambda \*args: None), (1|lambda \*args: None), "
     r"(1|None|lambda \*args: None)\)$", r"^exc:MPI\.Exception\(ERR_CONVERSION\)$",
     r"^exc:TypeError$", "stricter",
     "a conversion function that is neither callable nor None, or an extent_fn that is not "
     "callable: mpi4py hands MPI its trampolines and would fail inside MPI's callback (here "
     "Open MPI 4.1 refuses every user datarep first); cmpi raises TypeError at once, since "
     "a registration cannot be undone (README, mpi4py compatibility)"),
    (r"^np=1 dt\.(Pack|Unpack)\(bytearray\(8\), (bytearray\(8\), )?-\d", r"^ok:",
     r"^exc:ValueError$", "mpi4py-bug",
     "a negative position: mpi4py hands it to MPI, and Open MPI 4.1 packs or unpacks "
     "before the start of the buffer (memory that is not the buffer's); cmpi raises "
     "ValueError"),
    (r"^np=1 dt\.(Pack|Unpack)\(bytearray\(8\), (bytearray\(8\), )?2\*\*31",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", r"^exc:ValueError$", "stricter",
     "a position past the end of the packed buffer: cmpi raises ValueError naming it before "
     "MPI sees it; mpi4py passes it on and MPI refuses the value with ERR_ARG (README, "
     "mpi4py compatibility)"),
    (r"^np=1 dt\.Unpack\(np\.zeros\(0\), 1, bytearray\(8\), comm\)$", r"^ok:",
     r"^exc:ValueError$", "mpi4py-bug",
     "a position past the end of an empty packed buffer: mpi4py hands MPI the position and "
     "MPI reads past the buffer; cmpi raises ValueError"),
    (r"^np=1 dt\.Pack_size\(-\d", r"^ok:-\d+$", r"^exc:ValueError$", "mpi4py-bug",
     "a negative count: mpi4py passes it on and Open MPI 4.1 answers a negative size; cmpi "
     "raises ValueError"),
    (r"^np=1 dt\.(Pack_external|Unpack_external|Pack_external_size)\(datarep='native'",
     None, r"^exc:ValueError$", "stricter",
     "a datarep other than 'external32' (such as 'native') in Pack_external/Unpack_external/"
     "Pack_external_size, given by keyword: MPI defines only 'external32' there; cmpi "
     "raises ValueError before looking at the other arguments (README, mpi4py "
     "compatibility)"),
    (r"^np=1 fh\.(Read_at|Read_at_all|Write_at|Write_at_all|Read_at_all_begin"
     r"|Write_at_all_begin)\(-\d, ", r"^ok:None$", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     "stricter",
     "a negative file offset: Open MPI 4.1 takes it (and reads or writes nothing, or "
     "before the view); cmpi raises ERR_ARG naming it (README, mpi4py compatibility)"),
    (r"^np=1 fh\.(Preallocate|Set_size)\(-\d\)$",
     r"^(ok:None|exc:MPI\.Exception\(ERR_OTHER\))$", r"^exc:ValueError$", "stricter",
     "a negative file size: Open MPI 4.1's Preallocate takes it and its Set_size fails "
     "with ERR_OTHER; cmpi raises ValueError naming it (README, mpi4py compatibility)"),
    (r"^np=1 fh\.Iread_at(_all)?\(2\*\*31, bytearray\(8\)\)$", r"^blocks$", r"^ok:Request$",
     "mpi4py-bug",
     "a nonblocking read far past the end of the file: Open MPI 4.1 never completes it, and "
     "mpi4py's process then waits forever (closing the file); cmpi returns the request "
     "and its File.Close refuses while the read is pending instead of hanging"),
    (r"^np=1 MPI\.Win\.Allocate_shared\(1, disp_unit=-\d\)$", r"^ok:Win$",
     r"^exc:MPI\.Exception\(ERR_DISP\)$", "stricter",
     "a negative disp_unit: Open MPI 4.1's shared-memory windows take it (Create and "
     "Allocate refuse it with ERR_DISP); cmpi raises ERR_DISP for every kind of window "
     "(README, mpi4py compatibility)"),
    (r"^np=1 win\.(Compare_and_swap|Fetch_and_op)\(.*MPI\.IN_PLACE", r"^exc:ValueError$",
     r"^exc:TypeError$", "stricter",
     "IN_PLACE as a buffer of an atomic one-sided call, where MPI gives it no meaning: "
     "mpi4py takes the sentinel's empty buffer and then refuses its element count "
     "(ValueError); cmpi raises TypeError, as for every buffer that cannot be IN_PLACE "
     "(README, mpi4py compatibility)"),
    (r"^np=1 win\.Rget_accumulate\((bytes|memoryview\(bytes)\(8\)", r"^exc:BufferError$",
     r"^ok:Request$", "mpi4py-bug",
     "a read-only origin: mpi4py 4.1.2 asks Get_accumulate's origin for a writable buffer "
     "although MPI only reads it; cmpi takes it, as MPI_Rget_accumulate's const origin "
     "allows"),
    (r"^np=1 win\.Flush(_local)?\((-\d|SIZE)\)$", r"^ok:None$",
     r"^exc:MPI\.Exception\(ERR_RANK\)$", "stricter",
     "a rank out of the window's group: Open MPI 4.1 flushes nothing and returns success; "
     "cmpi raises ERR_RANK naming it, as for every rank (README, mpi4py compatibility)"),
]


# round 3: lead -- the Alltoallw message forms
ENTRIES += [
    ("^(?:" + "|".join(re.escape(v) for v in [
        "np=1 cart.Neighbor_alltoallw(bytearray(8 * SIZE), (bytearray(8), MPI.BYTE))",
        "np=1 comm.Alltoallw(bytearray(8 * SIZE), [bytearray(8), 'q'])",
        "np=1 comm.Alltoallw_init(bytearray(8 * SIZE), [bytearray(8 * SIZE), ([8] * SIZE, None), "
        "MPI.BYTE])",
        "np=1 comm.Alltoallw_init(bytearray(8 * SIZE), [bytearray(8), 2, MPI.INT])",
        "np=1 comm.Ialltoallw(bytearray(8 * SIZE), [bytearray(8 * SIZE), [8] * SIZE, "
        "[8 * i for i in range(SIZE)], MPI.BYTE])",
    ]) + ")$", None, None, "fixed",
     "an Alltoallw message takes a sequence of one Datatype per rank, and counts and "
     "displacements both or neither, as mpi4py reads it (cmpi took one Datatype or typecode "
     "for all ranks, and filled in a missing count or displacement list)"),
    (r"^np=1 comm\.Alltoallw_init\(bytearray\(8 \* SIZE\), np\.zeros\(4, 'i4'\)\[::2\]\)$",
     r"^exc:BufferError$", r"^exc:ValueError$", "mpi4py-bug",
     "a strided NumPy array as a whole Alltoallw message: mpi4py reads the array as the "
     "message list and fails on its first item (BufferError 'scalar buffer is readonly'); "
     "cmpi raises the ValueError that mpi4py itself gives for a bytearray there (a message "
     "must be [buf, counts, displs, datatypes])"),
]


# MPICH 4.0.2 (report-mpich.md): what Open MPI's rounds did not meet.  Each
# entry names MPICH's own outcome, so it matches no Open MPI run.  They are
# also consulted for a variant that an exact "fixed" entry above names but
# that differs on MPICH: those fixes made cmpi answer as mpi4py does on Open
# MPI, and MPICH answers otherwise (classify_differing_fixed).
MPICH_ENTRIES = [
    (r"^np=1 MPI\.Add_error_code\(-\d\)$", r"^ok:int$", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     "stricter",
     "a negative error class: MPICH 4.0 makes an error code for it (Open MPI refuses it); no "
     "error class is negative, and cmpi raises ERR_ARG on every library (README, mpi4py "
     "compatibility)"),
    (r"^np=1 MPI\.Get_error_string\(-\d\)$", r"^ok:'Undefined dynamic error code'$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", "stricter",
     "a negative error code: MPICH 4.0 answers a placeholder string, Open MPI ERR_ARG; cmpi "
     "raises ERR_ARG on every library, as mpi4py on Open MPI (README, mpi4py compatibility)"),
    (r"^np=[12] comm\.Split\(color=-\d\)$", r"^ok:Intracomm$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", "stricter",
     "a negative color other than UNDEFINED, which MPI does not allow: MPICH 4.0 takes it as a "
     "color of its own (Open MPI refuses it); cmpi raises ERR_ARG on every library (README, "
     "mpi4py compatibility)"),
    (r"^np=1 cart\.Shift\(", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     r"^exc:MPI\.Exception\(ERR_DIMS\)$", "library",
     "a Shift direction past the grid's dimensions: MPICH refuses it with ERR_ARG (Open MPI 4.1 "
     "reads past its arrays); cmpi's own check, the same on every library, raises ERR_DIMS "
     "(README, mpi4py compatibility)"),
    (r"^np=1 MPI\.Compute_dims\(-\d", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     r"^exc:MPI\.Exception\(ERR_DIMS\)$", "library",
     "a negative number of nodes: MPICH says ERR_ARG; cmpi's own check, the same on every "
     "library, says ERR_DIMS"),
    (r"^np=[12] comm\.(Create_cart|Cart_map)\(\[-1\]\)$", r"^ok:(Cartcomm|-32766)$",
     r"^exc:MPI\.Exception\(ERR_DIMS\)$", "stricter",
     "a negative dimension: MPICH 4.0 takes it (Create_cart makes a grid, Cart_map answers "
     "UNDEFINED); cmpi checks dims before MPI and raises ERR_DIMS (README, mpi4py "
     "compatibility)"),
    (r"^np=1 comm\.Graph_map\(\[0\], \[\]\)$", r"^ok:-32766$", r"^ok:0$", "mpi4py-bug",
     "index [0] with no edges is one node without neighbours; mpi4py 4.1.2 takes a single 0 "
     "for the leading 0 of an adjacency index and passes MPI zero nodes, for which MPICH "
     "answers UNDEFINED; cmpi maps the one node"),
    (r"^np=[12] comm\.Create_dist_graph_adjacent\(", r"^ok:Distgraphcomm$",
     r"^exc:MPI\.Exception\(ERR_RANK\)$", "stricter",
     "a source or destination out of the communicator's ranks (-1 is PROC_NULL in MPICH, "
     "which MPI does not allow here): MPICH 4.0 takes it unchecked; cmpi raises ERR_RANK "
     "naming it (README, mpi4py compatibility)"),
    (r"^np=[12] comm\.Create_dist_graph_adjacent\(\[0\], \[0\], (source|dest)weights=",
     r"^exc:MPI\.Exception\(ERR_TOPOLOGY\)$", r"^exc:ValueError$", "library",
     "weights on one side only of Create_dist_graph_adjacent: MPICH refuses them itself "
     "(ERR_TOPOLOGY); cmpi refuses them before MPI with ValueError on every library, since "
     "Open MPI 4.1 takes them (README, mpi4py compatibility)"),
    (r"^np=1 dt\.Create_darray\(1, (-\d|SIZE),", r"^exc:MPI\.Exception\(ERR_RANK\)$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", "library",
     "a darray rank outside the process grid: MPICH says ERR_RANK; cmpi's own check, the same "
     "on every library, says ERR_ARG"),
    (r"^np=1 dt\.Create_subarray\(.*2\*\*31", r"^ok:Datatype$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", "stricter",
     "a subarray past C int that does not fit in its array (a subsize of 0, or above its "
     "size): MPICH 4.0's large-count constructor builds it; cmpi's fit check, the same in "
     "the int and the large-count form, raises ERR_ARG naming the dimension (README, mpi4py "
     "compatibility)"),
    (r"^np=1 MPI\.Win\.(Create|Allocate|Allocate_shared)\(.*disp_unit=2\*\*31",
     r"^ok:Win$", r"^exc:MPI\.Exception\(ERR_ARG\)$", "stricter",
     "a disp_unit past C int: mpi4py 4.1.2 calls MPI_Win_create_c/MPI_Win_allocate_c where "
     "the library has them (MPICH 4); cmpi keeps a window's displacement unit a C int on "
     "every library (the unit is one element's size, and Win.Shared_query gives it as an "
     "int) and raises ERR_ARG naming the value (README, mpi4py compatibility)"),
    (r"^np=1 (dt\.Create_hindexed_block\(-\d|MPI\.Datatype\.Create_struct\(\[-1\]"
     r"|dt\.Create_subarray\(\[SIZE\], \[0\], \[-1\]\))",
     r"^exc:MPI\.Exception\(ERR_COUNT\)$", r"^exc:MPI\.Exception\(ERR_ARG\)$", "library",
     "a negative count or start: MPICH says ERR_COUNT; cmpi's own check, the same on every "
     "library, says ERR_ARG"),
    (r"^np=1 dt\.Create_subarray\(", r"^ok:Datatype$", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     "stricter",
     "a subarray with a subsize below 1 or that does not fit in its array (here subsizes=[0], "
     "or a negative or out-of-range value): MPI wants 1 <= subsize <= size and the start "
     "inside; MPICH 4.0 builds the type anyway; cmpi raises ERR_ARG naming the dimension "
     "(README, mpi4py compatibility)"),
    (r"^np=1 dt\.Pack_size\(-\d", r"^exc:MPI\.Exception\(ERR_COUNT\)$", r"^exc:ValueError$",
     "library",
     "a negative count: MPICH refuses it itself (ERR_COUNT), Open MPI 4.1 answers a negative "
     "size; cmpi raises ValueError on every library (README, mpi4py compatibility)"),
    (r"^np=1 dt\.(Pack|Unpack)\(", r"^ok:9$", r"^exc:MPI\.Exception\(ERR_TRUNCATE\)$",
     "stricter",
     "8 bytes packed at position 1 of an 8-byte buffer (or unpacked from it): MPICH 4.0 does "
     "not check the room and writes (or reads) one byte past the buffer, returning position "
     "9; cmpi checks first and raises ERR_TRUNCATE, the class Open MPI gives (README, mpi4py "
     "compatibility)"),
    (r"^np=1 fh\.I(read|read_at|write)\(.*MPI\.IN_PLACE", r"^blocks$", r"^exc:TypeError$",
     "stricter",
     "IN_PLACE as a file I/O buffer, where MPI gives it no meaning: mpi4py hands MPICH the "
     "sentinel's address and the request never completes; cmpi raises TypeError (README, "
     "mpi4py compatibility)"),
    (r"^np=1 (comm\.(Psend_init|Precv_init|Isendrecv_replace)|cart\.I?[Nn]eighbor_\w+)\("
     r".*MPI\.IN_PLACE", r"^(ok:|exc:MPI\.Exception\()", r"^exc:TypeError$", "stricter",
     "IN_PLACE as a buffer of a partitioned call, Isendrecv_replace or a neighborhood "
     "collective, where MPI gives it no meaning: mpi4py hands MPICH the sentinel (which takes "
     "it, or fails on another argument); cmpi raises TypeError (README, mpi4py compatibility)"),
    (r"^np=1 comm\.(Gather|Allgather_init)\(bytearray\(8\), MPI\.IN_PLACE\)$",
     r"^ok:(None|Prequest)$", r"^exc:ValueError$", "stricter",
     "IN_PLACE as the receive buffer of a gather, where MPI defines it only for the send buffer "
     "(and at the root of Scatter): MPICH takes the sentinel at one rank; cmpi raises "
     "ValueError (README, mpi4py compatibility)"),
    (r"^np=1 cart\.Neighbor_allgather_init\(bytearray\(8\), \[bytearray\(8\), 2, MPI\.INT\]\)$",
     r"^ok:Prequest$", r"^exc:ValueError$", "stricter",
     "a receive message of 2 INTs per neighbor in 8 bytes, for 2 neighbors: mpi4py hands MPI "
     "the count (the neighbors are PROC_NULL here, so nothing is written yet); cmpi raises "
     "ValueError before MPI could write past the buffer (README, mpi4py compatibility)"),
    (r"^np=1 comm\.Precv_init\(bytearray\(8\), 1, (source|tag)=-\d\)$",
     r"^exc:MPI\.Exception\(ERR_(TAG|RANK)\)$", r"^exc:MPI\.Exception\(ERR_(RANK|TAG)\)$",
     "library",
     "two bad arguments (the default ANY_SOURCE/ANY_TAG, which Precv_init does not take, and "
     "the one given): MPICH reports one, cmpi's own checks the other first"),
    (r"\[bytearray\(8\), 9, MPI\.BYTE\]", r"^exc:MPI\.Exception\(ERR_(BUFFER|RMA_SYNC)\)$",
     r"^exc:ValueError$", "stricter",
     "a message spec whose count needs more bytes than its buffer holds: mpi4py gives MPI the "
     "count (here MPICH fails on something else first: no buffer attached, no epoch); cmpi "
     "raises ValueError before MPI sees it (README, mpi4py compatibility)"),
    (r"^np=1 fh\.(Preallocate|Set_size)\(-\d\)$", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     r"^exc:ValueError$", "library",
     "a negative file size: MPICH refuses it itself (ERR_ARG), Open MPI 4.1 takes it or fails "
     "with ERR_OTHER; cmpi raises ValueError naming it on every library (README, mpi4py "
     "compatibility)"),
    (r"^np=1 info\.(Get_nthkey\(|get\(''\))", r"^exc:MPI\.Exception\(ERR_(ARG|OTHER)\)$",
     r"^exc:MPI\.Exception\(ERR_(INFO_KEY|ARG)\)$", "library",
     "a key index past the info's keys (or negative), or an empty key: MPICH says ERR_ARG or "
     "ERR_OTHER; cmpi's own check, the same on every library, says ERR_INFO_KEY (ERR_ARG "
     "for a negative index)"),
    (r"^np=1 win\.Lock\(0, lock_type=", r"^exc:MPI\.Exception\(ERR_ARG\)$",
     r"^exc:MPI\.Exception\(ERR_LOCKTYPE\)$", "library",
     "a lock_type that is neither LOCK_EXCLUSIVE nor LOCK_SHARED: MPICH says ERR_ARG; cmpi's "
     "own check, the same on every library, says ERR_LOCKTYPE"),
    (r"^np=1 win\.(Compare_and_swap|Fetch_and_op)\(.*, -1\)$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", r"^exc:ValueError$", "library",
     "an 8-element origin for an atomic call that takes one element, with target rank -1 "
     "(PROC_NULL in MPICH): MPICH refuses it with ERR_ARG; cmpi checks the origin first and "
     "raises ValueError naming it"),
    (r"^np=1 win\.Rget_accumulate\((bytes|memoryview\(bytes)\(8\)", r"^exc:BufferError$",
     r"^exc:MPI\.Exception\(ERR_RMA_SYNC\)$", "mpi4py-bug",
     "a read-only origin: mpi4py 4.1.2 asks Get_accumulate's origin for a writable buffer "
     "although MPI only reads it; cmpi takes it and reaches MPI, which refuses the call "
     "outside an epoch"),
    (r"^np=1 win\.Shared_query\((-\d|SIZE)\)$", r"^exc:MPI\.Exception\(ERR_RMA_FLAVOR\)$",
     r"^exc:MPI\.Exception\(ERR_RANK\)$", "library",
     "two bad arguments (a window that is not shared, and a rank out of its group): MPICH "
     "reports the flavor, cmpi's own check the rank first"),
    (r"^np=1 win\.Unlock\(-1\)$", r"^ok:None$", r"^exc:MPI\.Exception\(ERR_RANK\)$",
     "stricter",
     "Unlock(PROC_NULL) (-1 in MPICH): MPICH takes it as a no-op; cmpi refuses PROC_NULL in "
     "Unlock, Flush and Flush_local on every library, since Open MPI 4.1 crashes after a "
     "Flush(PROC_NULL) inside Lock_all (README, mpi4py compatibility)"),
    (r"^np=1 MPI\.Intercomm\.Create_from_groups\(group, 0, group, (-\d|SIZE)\)$",
     r"^exc:MPI\.Exception\(ERR_COMM\)$", r"^exc:MPI\.Exception\(ERR_RANK\)$", "stricter",
     "a remote leader outside the remote group: MPICH 4.0.2 does not check it and answers "
     "ERR_COMM or crashes, run by run; cmpi raises ERR_RANK naming it before MPI (README, "
     "mpi4py compatibility)"),
]

ENTRIES += MPICH_ENTRIES


def classify_differing_fixed(vid, ref, got):
    """(class, reason) of a variant a "fixed" entry names but whose outcomes
    differ, from the MPICH entries; None (a regression) if none matches."""
    for pattern, ref_re, got_re, cls, why in MPICH_ENTRIES:
        if (re.search(pattern, vid) and (not ref_re or re.search(ref_re, ref))
                and (not got_re or re.search(got_re, got))):
            return cls, why
    return None


def classify(vid, ref, got):
    """(class, reason) of a variant, ("unclassified", "") if no entry matches."""
    for pattern, ref_re, got_re, cls, why in ENTRIES:
        if not re.search(pattern, vid):
            continue
        if ref_re and not re.search(ref_re, ref):
            continue
        if got_re and not re.search(got_re, got):
            continue
        return cls, why
    return "unclassified", ""
