# Training "Meluxina: Accelerating Python with Multiple Nodes with MPI for Python", slide "Installation and code example"; launch: mpirun -n 4 python script.py
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

print(f"Hello from rank {rank} out of {size}")
