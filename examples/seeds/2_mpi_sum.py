# Training "Meluxina: Accelerating Python ... MPI for Python", slide "2: Mpi4py simple example Collective Operations: Parallel sum"; launch: sbatch 2_batch_mpi4py_sum.sh (e.g. srun -n 4 python -u 2_mpi_sum.py)
from mpi4py import MPI

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

# Step 1: Create data only on root
if rank == 0:
    data = list(range(100))
    chunks = [data[i::size] for i in range(size)]
else:
    chunks = None

# Scatter chunks
local_data = comm.scatter(chunks, root=0)

# Step 2: Local sum
local_sum = sum(local_data)

# Step 3: Reduce to total sum
total = comm.reduce(local_sum, op=MPI.SUM, root=0)

if rank == 0:
    print(f"Total sum is: {total}")
