# Training "Programming ML Algorithms for HPC - MPI4py", slide "Collective Communication: Scattering example"; launch: mpiexec -n 10 python collective_comm2.py
from mpi4py import MPI

comm = MPI.COMM_WORLD
size = comm.Get_size()
rank = comm.Get_rank()

if rank == 0:
    data = [(i+1)**2 for i in range(size)]
else:
    data = None
data = comm.scatter(data, root=0)
print(f"rank {rank} has {data}")
