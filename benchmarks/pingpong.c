/* Plain C MPI reference for src/cmpi/bench.py: the same loops, message
 * sizes, iteration counts and buffer handling, and the same JSON output.
 *
 *   mpiexec -n 2 ./pingpong [--quick] [--reps R] [--json FILE] pingpong
 *   mpiexec -n 4 ./pingpong [--quick] [--reps R] [--json FILE] coll
 *   mpiexec -n 2 valgrind --tool=callgrind --collect-atstart=no \
 *       ./pingpong [--iters N] [--period MS] cgloop
 *
 * Buffer: one 64 MiB, 2 MiB-aligned buffer, madvised to transparent huge
 * pages and touched once; messages are its prefixes (Isend mode receives
 * into the upper half), as bench.py does with one numpy array.
 *
 * Build: mpicc.openmpi -O2 -o pingpong pingpong.c  (compare.py does it).
 */
#define _GNU_SOURCE
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <valgrind/callgrind.h>

#define MiB (1L << 20)
#define MAXREPS 64

static int rank, size, quick, reps;
static FILE *js;
static int nres;

static long sizes_full[] = {0, 8, 64, 1024, 8192, 65536, MiB, 16 * MiB};
static long sizes_quick[] = {0, 8, 65536, MiB, 16 * MiB};

static long iters_for(long n)
{
    long k = n <= 1024 ? 2000 : n <= 65536 ? 500 : n <= MiB ? 100 : 20;
    if (quick) {
        k /= 4;
        if (k < 5)
            k = 5;
    }
    return k;
}

static long warmup_for(long iters) { return iters / 10 > 2 ? iters / 10 : 2; }

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double t[MAXREPS];
    memcpy(t, v, n * sizeof *t);
    qsort(t, n, sizeof *t, cmpd);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static void json_reps(const double *v, int n)
{
    fprintf(js, ", \"reps_us\": [");
    for (int i = 0; i < n; i++)
        fprintf(js, "%s%.6g", i ? ", " : "", v[i]);
    fprintf(js, "]}");
}

static char *aligned_buffer(void)
{
    void *p = NULL;
    if (posix_memalign(&p, 2 * MiB, 64 * MiB)) {
        perror("posix_memalign");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    madvise(p, 64 * MiB, MADV_HUGEPAGE);
    memset(p, 1, 64 * MiB);
    return p;
}

static double run_pp(int mode, char *buf, char *rbuf, long n, long k)
{
    double t0 = MPI_Wtime();
    MPI_Request rq, sq;
    int peer = 1 - rank;
    for (long i = 0; i < k; i++) {
        if (mode == 0) { /* buf: Send/Recv in one buffer */
            if (rank == 0) {
                MPI_Send(buf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
                MPI_Recv(buf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
            } else {
                MPI_Recv(buf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE);
                MPI_Send(buf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
            }
        } else { /* isend: Irecv/Isend/Wait, two buffers */
            if (rank == 0) {
                MPI_Irecv(rbuf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &rq);
                MPI_Isend(buf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &sq);
                MPI_Wait(&sq, MPI_STATUS_IGNORE);
                MPI_Wait(&rq, MPI_STATUS_IGNORE);
            } else {
                MPI_Irecv(rbuf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &rq);
                MPI_Wait(&rq, MPI_STATUS_IGNORE);
                MPI_Isend(buf, n, MPI_BYTE, peer, 0, MPI_COMM_WORLD, &sq);
                MPI_Wait(&sq, MPI_STATUS_IGNORE);
            }
        }
    }
    return MPI_Wtime() - t0;
}

static void pingpong(char *buf)
{
    static const char *modes[] = {"buf", "isend"};
    long *sizes = quick ? sizes_quick : sizes_full;
    int nsizes = quick ? 5 : 8;
    if (rank == 0)
        printf("%-8s %10s %6s %10s %10s\n", "mode", "bytes", "iters",
               "lat_us", "MB/s");
    for (int m = 0; m < 2; m++)
        for (int s = 0; s < nsizes; s++) {
            long n = sizes[s], k = iters_for(n);
            double t[MAXREPS];
            MPI_Barrier(MPI_COMM_WORLD);
            if (rank < 2)
                run_pp(m, buf, buf + 32 * MiB, n, warmup_for(k));
            for (int r = 0; r < reps; r++) {
                MPI_Barrier(MPI_COMM_WORLD);
                if (rank < 2)
                    t[r] = run_pp(m, buf, buf + 32 * MiB, n, k) / (2.0 * k) * 1e6;
            }
            if (rank == 0) {
                double lat = median(t, reps);
                double bw = lat > 0 ? n / lat : 0;
                printf("%-8s %10ld %6ld %10.3f %10.1f\n", modes[m], n, k, lat,
                       bw);
                fflush(stdout);
                if (js) {
                    fprintf(js,
                            "%s\n{\"bench\": \"pingpong\", \"mode\": \"%s\", "
                            "\"bytes\": %ld, \"iters\": %ld, \"lat_us\": %.6g, "
                            "\"bw_MBps\": %.6g",
                            nres++ ? "," : "", modes[m], n, k, lat, bw);
                    json_reps(t, reps);
                }
            }
        }
}

static void coll(char *buf)
{
    static const char *calls[] = {"barrier", "Bcast_1Ki", "Bcast_1Mi",
                                  "Allreduce_1Ki", "Allreduce_1Mi"};
    double *s = (double *)buf, *rv = (double *)(buf + 32 * MiB);
    if (rank == 0)
        printf("%-14s %3s %10s %6s %10s %10s\n", "call", "np", "bytes", "iters",
               "us/call", "MB/s");
    for (int c = 0; c < 5; c++) {
        long count = c == 0 ? 0 : (c % 2 ? 1024 : MiB);
        long k = c == 0 ? 2000 : count == 1024 ? 1000 : 50;
        if (quick) {
            k /= 4;
            if (k < 3)
                k = 3;
        }
        double t[MAXREPS];
        for (int r = -1; r < reps; r++) {
            long kk = r < 0 ? warmup_for(k) : k;
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            for (long i = 0; i < kk; i++) {
                if (c == 0)
                    MPI_Barrier(MPI_COMM_WORLD);
                else if (c <= 2)
                    MPI_Bcast(s, count, MPI_DOUBLE, 0, MPI_COMM_WORLD);
                else
                    MPI_Allreduce(s, rv, count, MPI_DOUBLE, MPI_SUM,
                                  MPI_COMM_WORLD);
            }
            double us = (MPI_Wtime() - t0) / kk * 1e6, mx;
            MPI_Allreduce(&us, &mx, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (r >= 0)
                t[r] = mx;
        }
        if (rank == 0) {
            double us = median(t, reps), nb = 8.0 * count;
            printf("%-14s %3d %10ld %6ld %10.3f %10.1f\n", calls[c], size,
                   8 * count, k, us, us > 0 ? nb / us : 0);
            fflush(stdout);
            if (js) {
                fprintf(js,
                        "%s\n{\"bench\": \"coll\", \"call\": \"%s\", \"np\": %d, "
                        "\"bytes\": %ld, \"iters\": %ld, \"us\": %.6g, "
                        "\"bw_MBps\": %.6g",
                        nres++ ? "," : "", calls[c], size, 8 * count, k, us,
                        us > 0 ? nb / us : 0);
                json_reps(t, reps);
            }
        }
    }
}

/* ---- callgrind loop: the same sleep schedule as bench.py cgloop ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int misses;

static void until(double t)
{
    double d = t - now();
    if (d > 0) {
        struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
        nanosleep(&ts, NULL);
    } else
        misses++;
}

/* cgloop's measured call: "Send" (a ping-pong step) or a collective. */
static const char *cgmode = "Send";
static double *cg_big, *cg_bigout; /* 1 Mi doubles each */

/* One collective call of the cgloop modes that match bench.py's. */
static void cg_collective(void)
{
    if (!strcmp(cgmode, "allreduce")) {
        int one = 1, out;
        MPI_Allreduce(&one, &out, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    }
    else if (!strcmp(cgmode, "bcast")) {
        char msg[35] = {0}; /* the size of bench.py's pickled small dict */
        MPI_Bcast(msg, 35, MPI_BYTE, 0, MPI_COMM_WORLD);
    }
    else if (!strcmp(cgmode, "Allreduce_1Mi"))
        MPI_Allreduce(cg_big, cg_bigout, 1 << 20, MPI_DOUBLE, MPI_SUM,
                      MPI_COMM_WORLD);
}

static void cg_phase(const char *label, char *buf, int measured, long k,
                     double P)
{
    int peer = 1 - rank;
    int coll = strcmp(cgmode, "Send") != 0;
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = now() + 0.2;
    misses = 0;
    CALLGRIND_ZERO_STATS;
    CALLGRIND_TOGGLE_COLLECT;
    for (long j = 0; j < k; j++) {
        if (measured && coll) {
            /* the rank that enters late never waits: rank 0 for the
             * reductions (compare.py counts it only), rank 1 for bcast (whose
             * root's small send completes at once: both count) */
            int late = !strcmp(cgmode, "bcast") ? 1 : 0;
            until(t0 + (j + (rank == late ? 0.5 : 0.25)) * P);
            cg_collective();
            until(t0 + (j + 1) * P);
            continue;
        }
        if (measured)
            MPI_Send(buf, 8, MPI_BYTE, peer, 0, MPI_COMM_WORLD);
        until(t0 + (j + 0.5) * P);
        if (measured)
            MPI_Recv(buf, 8, MPI_BYTE, peer, 0, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        until(t0 + (j + 1) * P);
    }
    CALLGRIND_TOGGLE_COLLECT;
    CALLGRIND_DUMP_STATS_AT(label);
    if (rank == 0)
        fprintf(stderr, "%s misses %d\n", label, misses);
}

static void cgloop(long N, double P)
{
    char buf[8] = {0};
    char label_n[64], label_2n[64];
    cg_big = calloc(1 << 20, sizeof(double));
    cg_bigout = calloc(1 << 20, sizeof(double));
    snprintf(label_n, sizeof label_n, "%s_N", cgmode);
    snprintf(label_2n, sizeof label_2n, "%s_2N", cgmode);
    if (rank == 0)
        printf("{\"misses\": \"see stderr\"}\n");
    cg_phase("slow", buf, 1, 3, 0.5); /* warm-up, slow pace; dumped, unused */
    cg_phase("warm", buf, 1, 40, P);
    cg_phase("ctl_N", buf, 0, N, P);
    cg_phase("ctl_2N", buf, 0, 2 * N, P);
    cg_phase(label_n, buf, 1, N, P);
    cg_phase(label_2n, buf, 1, 2 * N, P);
    MPI_Barrier(MPI_COMM_WORLD);
    free(cg_big);
    free(cg_bigout);
}

int main(int argc, char **argv)
{
    const char *cmd = "pingpong", *jsonfile = NULL;
    long N = 100;
    double period = 20;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            jsonfile = argv[++i];
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            N = atol(argv[++i]);
        else if (!strcmp(argv[i], "--period") && i + 1 < argc)
            period = atof(argv[++i]);
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc)
            cgmode = argv[++i];
        else
            cmd = argv[i];
    }
    if (reps <= 0)
        reps = quick ? 3 : 5;
    if (reps > MAXREPS)
        reps = MAXREPS;
    if (!strcmp(cmd, "cgloop")) {
        cgloop(N, period / 1000.0);
        MPI_Finalize();
        return 0;
    }
    char *buf = aligned_buffer();
    char ver[MPI_MAX_LIBRARY_VERSION_STRING], host[MPI_MAX_PROCESSOR_NAME];
    int len;
    MPI_Get_library_version(ver, &len);
    MPI_Get_processor_name(host, &len);
    *strchrnul(ver, '\n') = 0;
    for (char *c = ver; *c; c++) /* keep the JSON string valid */
        if ((unsigned char)*c < ' ' || *c == '"' || *c == '\\')
            *c = ' ';
    if (rank == 0) {
        printf("# c %s, %d ranks, %s\n", cmd, size, ver);
        if (jsonfile && !(js = fopen(jsonfile, "w"))) {
            perror(jsonfile);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        if (js)
            fprintf(js,
                    "{\"impl\": \"c\", \"bench\": \"%s\", \"np\": %d, "
                    "\"mpi\": \"%s\", \"host\": \"%s\", \"quick\": %s, "
                    "\"results\": [",
                    cmd, size, ver, host, quick ? "true" : "false");
    }
    if (!strcmp(cmd, "coll"))
        coll(buf);
    else
        pingpong(buf);
    if (js) {
        fprintf(js, "\n]}\n");
        fclose(js);
    }
    MPI_Finalize();
    return 0;
}
