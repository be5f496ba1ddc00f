# Training "Meluxina: Accelerating Python ... MPI for Python", slide "3: Mpi4py example sending numpy arrays" (described, not shown); launch: sbatch 3_batch_mpi4py_np.sh (e.g. srun -n 4 python -u 3_mpi_np.py [size])
from mpi4py import MPI
import sys
import time

import numpy as np

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
size = comm.Get_size()

# Size of the data (optional first argument)
n = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000

# Note: check that the data is divisible by the number of processes
if n % size != 0:
    if rank == 0:
        print(f"Data size {n} is not divisible by {size} processes, "
              f"using {n + size - n % size} instead")
    n += size - n % size
chunk = n // size

# Step 1: Create a Python list and a NumPy array on rank 0
if rank == 0:
    data_list = [float(i) for i in range(n)]
    data_np = np.arange(n, dtype=np.float64)
    print(f"Rank 0 created a list and a NumPy array of {n} elements "
          f"for {size} processes")
else:
    data_list = None
    data_np = np.empty(n, dtype=np.float64)

# --- Standard communication (pickled Python objects, lowercase methods) ---
comm.barrier()
t0 = time.perf_counter()
# Step 2a: Broadcast the whole list, then scatter chunks of it
data_list = comm.bcast(data_list, root=0)
if rank == 0:
    chunks = [data_list[i * chunk:(i + 1) * chunk] for i in range(size)]
else:
    chunks = None
local_list = comm.scatter(chunks, root=0)
# Step 3a: Dummy computation: square the values
local_list = [x * x for x in local_list]
# Step 4a: Gather the results on rank 0
gathered = comm.gather(local_list, root=0)
if rank == 0:
    result_list = [x for part in gathered for x in part]
comm.barrier()
time_list = time.perf_counter() - t0

# --- Buffered communication (NumPy buffers, uppercase methods) ---
comm.Barrier()
t0 = time.perf_counter()
# Step 2b: Broadcast the whole array, then scatter chunks of it
comm.Bcast(data_np, root=0)
local_np = np.empty(chunk, dtype=np.float64)
comm.Scatter(data_np, local_np, root=0)
# Step 3b: Dummy computation: square the values
local_np = local_np ** 2
# Step 4b: Gather the results on rank 0
result_np = np.empty(n, dtype=np.float64) if rank == 0 else None
comm.Gather(local_np, result_np, root=0)
comm.Barrier()
time_np = time.perf_counter() - t0

# Every rank received the same data through both broadcasts
assert len(data_list) == n and data_np[-1] == n - 1

# Step 5: Compare the execution time (and the results)
if rank == 0:
    print(f"Standard communication (list, bcast/scatter/gather): {time_list:.4f} s")
    print(f"Buffered communication (NumPy, Bcast/Scatter/Gather): {time_np:.4f} s")
    if time_np > 0:
        print(f"Speedup of buffered communication: {time_list / time_np:.1f}x")
    match = np.array_equal(np.array(result_list), result_np)  # type: ignore[arg-type]
    print(f"results match: {match}")
