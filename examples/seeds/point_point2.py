# Training "Programming ML Algorithms for HPC - MPI4py", slide "Point to point many tasks example"; launch: mpiexec -n 2 python point_point2.py / mpiexec -n 128 python point_point2.py
from mpi4py import MPI

comm = MPI.COMM_WORLD
size = comm.Get_size()
rank = comm.Get_rank()

if rank == 0:
    data = {'a': 7, 'b': 3.14}
    for i in range(1, size):
        comm.send(data, dest=i, tag=11)
    print(f"rank {rank} sends data")
elif rank > 0:
    data = comm.recv(source=0, tag=11)
    print(f"rank {rank} receives {data}")
