"""Both ranks receive first, so nobody sends (docs/guide/troubleshooting.rst)."""

from cmpi import MPI

comm = MPI.COMM_WORLD
other = 1 - comm.Get_rank()
data = comm.recv(source=other, tag=7)
comm.send(data, dest=other, tag=7)
