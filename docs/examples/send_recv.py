from cmpi import MPI            # or, unchanged: from mpi4py import MPI

comm = MPI.COMM_WORLD
if comm.Get_rank() == 0:
    comm.send({'a': 7, 'b': 3.14}, dest=1, tag=11)
elif comm.Get_rank() == 1:
    print(comm.recv(source=0, tag=11))
