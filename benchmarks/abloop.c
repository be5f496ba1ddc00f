/* The C reference loops of the in-process A/B benchmark
 * (src/cmpi/bench_ab.py).
 *
 * Loaded with ctypes into the same MPI processes that time mpi4py and cmpi,
 * so the C figure shares the machine state of the two bindings' figures
 * (launch-to-launch drift on these machines is 30% or more).  Each loop runs
 * `iters` operations on MPI_COMM_WORLD and returns the seconds it took; MPI
 * is already initialized by the bindings.  Built by benchmarks/ab.py with
 * the MPI's own mpicc. */
#include <mpi.h>

/* Ranks 0 and 1 bounce `n` bytes; other ranks return at once. */
double
ab_pingpong(void *buf, int n, int iters)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank > 1) {
        return 0.0;
    }
    int peer = 1 - rank;
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) {
        if (rank == 0) {
            MPI_Send(buf, n, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
            MPI_Recv(buf, n, MPI_BYTE, peer, 1, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        }
        else {
            MPI_Recv(buf, n, MPI_BYTE, peer, 1, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            MPI_Send(buf, n, MPI_BYTE, peer, 1, MPI_COMM_WORLD);
        }
    }
    return MPI_Wtime() - t0;
}

double
ab_bcast(void *buf, int n, int iters)
{
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) {
        MPI_Bcast(buf, n, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
    return MPI_Wtime() - t0;
}

/* `n` doubles, summed in place. */
double
ab_allreduce(double *buf, int n, int iters)
{
    double t0 = MPI_Wtime();
    for (int i = 0; i < iters; i++) {
        MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM,
                      MPI_COMM_WORLD);
    }
    return MPI_Wtime() - t0;
}
