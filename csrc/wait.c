/*
 * wait.c -- the one place where cmpi waits for MPI.
 *
 * Every blocking call (receive, send that cannot complete at once, probe,
 * Wait/Waitall/Waitany, and collectives when a hang timeout is set) waits
 * here by polling (MPI_Test*, MPI_Iprobe/MPI_Improbe) instead of inside one
 * blocking MPI call, so that a rank blocked in MPI still
 *   - sees Ctrl-C: Python's signal handlers run between polls (with the
 *     GIL), and KeyboardInterrupt is raised from the call;
 *   - reports a wait longer than rc.hang_timeout: the call, its arguments,
 *     how long it has waited and its Python stack, once; then aborts the
 *     job if rc.hang_abort.
 * The GIL is released between polls.  A request the caller owns only for
 * the call (the receive inside Recv) is cancelled on an interrupt and
 * waited for until it completes or the cancel takes, so MPI never writes
 * into memory that was given back; a Request object's request is left
 * pending, as the Request still holds its buffers.
 */
#include "cmpi.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Intel MPI 2021: once a persistent collective request has been freed, an
 * RMA request (Win.Rput...) that takes its place crashes MPI_Test and
 * MPI_Request_get_status (a stale function pointer), while MPI_Wait,
 * MPI_Testany and MPI_Request_get_status_any on that one request work.
 * cmpi tests and queries single requests through these. */
#ifdef I_MPI_VERSION
static int
cmpi_test1(MPI_Request *req, int *flag, MPI_Status *status)
{
    int index;
    return MPI_Testany(1, req, &index, flag, status);
}
#else
#define cmpi_test1 MPI_Test
#endif
#if defined(I_MPI_VERSION) && (MPI_VERSION > 4 || MPI_SUBVERSION >= 1)
static int
cmpi_get_status1(MPI_Request req, int *flag, MPI_Status *status)
{
    int index;
    return MPI_Request_get_status_any(1, &req, &index, flag, status);
}
#else
#define cmpi_get_status1 MPI_Request_get_status
#endif

/* Process state (MPI is per process): set once when MPI starts. */
static double cmpi_hang_timeout = 0.0; /* seconds; 0: never report */
static int cmpi_hang_abort = 0;
static int cmpi_world_rank = 0;
/* More ranks on this node than cores (or rc.yield_when_idle): every wait
 * yields the core at each poll, and blocking collectives poll too. */
static int cmpi_yield_when_idle = 0;

/* Polling schedule.  Without the GIL: spin on MPI_Test* (MPI's own
 * blocking calls busy-poll too), then yield the core between polls once
 * the wait is no longer short, as Open MPI's mpi_yield_when_idle does (no
 * sleeping: a large transfer progresses only while MPI is polled).  With
 * the GIL, every CMPI_CHECK_EVERY seconds: signals and the hang timeout. */
#define CMPI_SPIN_FOR 0.001
#define CMPI_CHECK_EVERY 0.01
/* Tests made with the GIL held before it is released (see cmpi_wait_slow) */
#define CMPI_GIL_HELD_TESTS 32

static double
cmpi_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* gcc's -Wstringop-overflow misreads MPICH's MPI_STATUSES_IGNORE (a
 * constant pointer) passed on to MPI_Testall once inlined. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

/* Tests the requests one by one: each completed one becomes
 * MPI_REQUEST_NULL with its status stored.  MPICH 4.0's MPI_Testall,
 * called again and again, trips an assertion on ROMIO's generalized
 * requests (nonblocking file I/O) and mishandles persistent collectives;
 * MPI_Request_get_status never sees a generalized request complete. */
static int
test_all(cmpi_wait_t *w, int *done)
{
    int all = 1;
    for (int i = 0; i < w->n; i++) {
        int flag = 1;
        if (w->reqs[i] == MPI_REQUEST_NULL) {
            continue;
        }
        int ierr =
                cmpi_test1(&w->reqs[i], &flag,
                           w->status == MPI_STATUSES_IGNORE ? MPI_STATUS_IGNORE
                                                            : &w->status[i]);
        if (ierr != MPI_SUCCESS) {
            if (w->status != MPI_STATUSES_IGNORE) {
                w->status[i].MPI_ERROR = ierr;
            }
            *done = 1;
            return MPI_ERR_IN_STATUS;
        }
        /* a completed persistent request stays non-null but inactive */
        if (flag && w->reqs[i] != MPI_REQUEST_NULL) {
            w->reqs[i] = MPI_REQUEST_NULL;
        }
        if (!flag) {
            all = 0;
        }
    }
    *done = all;
    return MPI_SUCCESS;
}

static int
cmpi_wait_test(cmpi_wait_t *w, int *done)
{
    switch (w->mode) {
        case CMPI_WAIT_ONE: return cmpi_test1(w->reqs, done, w->status);
        case CMPI_WAIT_ALL: return test_all(w, done);
        case CMPI_WAIT_ANY:
            return MPI_Testany(w->n, w->reqs, w->index, done, w->status);
        case CMPI_WAIT_PROBE:
            return MPI_Iprobe(w->source, w->tag, w->comm, done, w->status);
        default: /* CMPI_WAIT_MPROBE */
            return MPI_Improbe(w->source, w->tag, w->comm, done, w->msg,
                               w->status);
    }
}

/* "COMM_WORLD", the name MPI gives a communicator, or "a communicator of
 * size 4", for reports. */
static void
cmpi_comm_label(MPI_Comm comm, char *out, size_t size)
{
    char name[MPI_MAX_OBJECT_NAME + 1] = "";
    int len = 0, csize = 0;
    if (comm == MPI_COMM_WORLD) {
        strcpy(name, "COMM_WORLD");
    }
    else if (comm == MPI_COMM_SELF) {
        strcpy(name, "COMM_SELF");
    }
    else if (MPI_Comm_get_name(comm, name, &len) != MPI_SUCCESS || len == 0) {
        MPI_Comm_size(comm, &csize);
        snprintf(name, sizeof(name), "a communicator of size %d", csize);
    }
    snprintf(out, size, "%s", name);
}

/* "comm.recv(source=0, tag=11) on COMM_WORLD" */
static void
cmpi_wait_describe(const cmpi_wait_t *w, char *out, size_t size)
{
    char args[128] = "";
    if (w->argfmt != NULL) {
        snprintf(args, sizeof(args), w->argfmt, w->arg0, w->arg1);
    }
    /* Calls named without their object are communicator methods (when
     * there is a communicator: File I/O names none). */
    const char *obj =
            strchr(w->call, '.') || w->comm == MPI_COMM_NULL ? "" : "comm.";
    if (w->comm == MPI_COMM_NULL) {
        snprintf(out, size, "%s%s(%s)", obj, w->call, args);
        return;
    }
    char name[MPI_MAX_OBJECT_NAME + 1];
    cmpi_comm_label(w->comm, name, sizeof(name));
    snprintf(out, size, "%s%s(%s) on %s", obj, w->call, args, name);
}

/* "comm.allreduce() on COMM_WORLD" for a call that does not poll. */
static void
cmpi_describe_call(const char *call, MPI_Comm comm, char *out, size_t size)
{
    cmpi_wait_t w = {.comm = comm, .call = call};
    cmpi_wait_describe(&w, out, size);
}

/* Ctrl-C reached a call that cannot give up its operation (a collective,
 * a send MPI cannot cancel): waiting on would leave the job stuck, so
 * say where this rank was and end the job with Ctrl-C's status. */
static void
cmpi_interrupt_message(const char *what)
{
    fprintf(stderr,
            "[rank %d] KeyboardInterrupt in %s: the MPI call cannot be "
            "interrupted; aborting the job\n",
            cmpi_world_rank, what);
    fflush(stderr);
}

/* From a polled wait on the main thread, GIL held: the message, the
 * Python stack of the call (as the SIGINT watcher prints for a blocking
 * one), then the abort. */
static void
cmpi_interrupt_abort(const char *what)
{
    cmpi_interrupt_message(what);
    PyObject *mod = PyImport_ImportModule("cmpi._jobsafety");
    PyObject *r = mod ? PyObject_CallMethod(mod, "interrupt_report", "sk",
                                            what, PyThread_get_thread_ident())
                      : NULL;
    if (r == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
    Py_XDECREF(mod);
    /* the launcher forwards output asynchronously and stops forwarding
     * once the abort kills the job: give it time to pass the message on */
    struct timespec pause = {0, 200 * 1000 * 1000};
    nanosleep(&pause, NULL);
    cmpi_abort_job(MPI_COMM_WORLD, 130);
}

/* How long a call that cannot be interrupted has to finish after Ctrl-C
 * before the job is aborted (then KeyboardInterrupt follows as usual). */
#define CMPI_INTERRUPT_GRACE 1.0

/* With the GIL: the once-per-call report of a long wait. */
static void
cmpi_wait_report(const cmpi_wait_t *w, double waited)
{
    char what[512], text[700];
    cmpi_wait_describe(w, what, sizeof(what));
    snprintf(text, sizeof(text),
             "still waiting after %.1f s (hang timeout %g s) in %s%s", waited,
             cmpi_hang_timeout, what,
             cmpi_hang_abort ? "; the job will be aborted (hang_abort)" : "");
    PyObject *exc = PyErr_GetRaisedException_compat();
    PyObject *mod = PyImport_ImportModule("cmpi._jobsafety");
    PyObject *r =
            mod ? PyObject_CallMethod(mod, "hang_report", "s", text) : NULL;
    if (r == NULL) {
        /* No Python around to show the stack: the call is still worth
         * knowing. */
        PyErr_Clear();
        fprintf(stderr, "[rank %d] cmpi: %s\n", cmpi_world_rank, text);
    }
    Py_XDECREF(r);
    Py_XDECREF(mod);
    if (exc != NULL) {
        PyErr_SetRaisedException_compat(exc);
    }
}

/* rc.hang_abort: the job ends this long after the report, so that the
 * other ranks stuck with this one have reported too. */
static double
cmpi_hang_abort_grace(void)
{
    return cmpi_hang_timeout < 5.0 ? cmpi_hang_timeout : 5.0;
}

static void
cmpi_hang_abort_now(void)
{
    fprintf(stderr, "[rank %d] cmpi: aborting the job (hang_abort)\n",
            cmpi_world_rank);
    cmpi_abort_job(MPI_COMM_WORLD, 1);
}

static void
cmpi_wait_cancel(cmpi_wait_t *w)
{
    int n = w->mode == CMPI_WAIT_ONE ? 1 : w->n;
    for (int i = 0; i < n; i++) {
        if (w->reqs[i] != MPI_REQUEST_NULL) {
            MPI_Cancel(&w->reqs[i]);
        }
    }
}

/* The wait that did not complete at the first test.  Kept out of line so
 * the fast path stays small. */
static CMPI_NOINLINE int
cmpi_wait_slow(cmpi_wait_t *w)
{
    const double start = cmpi_now();
    double next_check = start + CMPI_CHECK_EVERY;
    int done = 0, ierr = MPI_SUCCESS, reported = 0;
    PyObject *interrupted = NULL; /* held until a cancelled wait ends */
    double interrupted_at = 0.0;  /* when a KeyboardInterrupt came */
    cmpi_prof_wait_begin();
    if (!cmpi_yield_when_idle) {
        /* A message or completion due within microseconds (a ping-pong
         * partner's reply) is waited for with the GIL held: releasing it
         * and taking it back cost more than such a wait (about 1,200
         * instructions, on the critical path of every round trip).  Other
         * threads wait for at most these few tests, far below the
         * interpreter's own switch interval (5 ms). */
        for (int i = 0; i < CMPI_GIL_HELD_TESTS; i++) {
            ierr = cmpi_wait_test(w, &done);
            if (ierr != MPI_SUCCESS || done) {
                cmpi_prof_wait_end();
                return ierr;
            }
        }
    }
    for (;;) {
        Py_BEGIN_ALLOW_THREADS
        for (unsigned i = 1;; i++) {
            ierr = cmpi_wait_test(w, &done);
            if (ierr != MPI_SUCCESS || done) {
                break;
            }
            if ((i & 15u) == 0) {
                double t = cmpi_now();
                if (t >= next_check) {
                    break;
                }
                if (t - start >= CMPI_SPIN_FOR) {
                    sched_yield();
                }
            }
            else if (cmpi_yield_when_idle) {
                /* A rank that spins holds a core that a rank it waits
                 * for may need: give it up at once. */
                sched_yield();
            }
        }
        Py_END_ALLOW_THREADS
        if (ierr != MPI_SUCCESS || done) {
            break;
        }
        if (PyErr_CheckSignals() < 0) {
            if (w->mode == CMPI_WAIT_PROBE || w->mode == CMPI_WAIT_MPROBE ||
                w->on_interrupt == CMPI_INT_RETURN) {
                /* Nothing posted that needs undoing. */
                return CMPI_WAIT_RAISED;
            }
            if (interrupted != NULL) {
                /* Interrupted again while a cancelled operation still
                 * runs: its memory cannot be given back, so end the job. */
                fprintf(stderr,
                        "[rank %d] cmpi: interrupted again while a "
                        "cancelled MPI operation is still pending: "
                        "aborting\n",
                        cmpi_world_rank);
                cmpi_abort_job(MPI_COMM_WORLD, 130);
            }
            interrupted = PyErr_GetRaisedException_compat();
            if (PyErr_GivenExceptionMatches(interrupted,
                                            PyExc_KeyboardInterrupt)) {
                interrupted_at = cmpi_now();
            }
            if (w->on_interrupt == CMPI_INT_CANCEL) {
                cmpi_wait_cancel(w);
            }
        }
        double t = cmpi_now();
        if (interrupted_at > 0 && t - interrupted_at >= CMPI_INTERRUPT_GRACE) {
            /* Ctrl-C, and the operation neither completes nor cancels
             * (a collective the other ranks never join) */
            char what[512];
            cmpi_wait_describe(w, what, sizeof(what));
            cmpi_interrupt_abort(what);
        }
        if (!reported && cmpi_hang_timeout > 0 &&
            t - start >= cmpi_hang_timeout) {
            reported = 1;
            cmpi_wait_report(w, t - start);
        }
        else if (reported && cmpi_hang_abort &&
                 t - start >= cmpi_hang_timeout + cmpi_hang_abort_grace()) {
            cmpi_hang_abort_now();
        }
        next_check = t + CMPI_CHECK_EVERY;
    }
    cmpi_prof_wait_end();
    if (interrupted != NULL) {
        PyErr_SetRaisedException_compat(interrupted);
        return CMPI_WAIT_RAISED;
    }
    return ierr;
}

/* Wait as `w` says, GIL held.  Returns an MPI error code (MPI_SUCCESS when
 * done), or CMPI_WAIT_RAISED with a Python exception set (a signal
 * handler raised, e.g. KeyboardInterrupt). */
static inline int
cmpi_wait(cmpi_wait_t *w)
{
    int done = 0;
    int ierr = cmpi_wait_test(w, &done);
    if (CMPI_LIKELY(ierr != MPI_SUCCESS || done)) {
        return ierr;
    }
    return cmpi_wait_slow(w);
}

/* One request the caller posted for this call only (cancelled if
 * interrupted). */
static int
cmpi_wait_req(MPI_Request *req, MPI_Status *s, const char *call,
              const char *argfmt, int arg0, int arg1, MPI_Comm comm)
{
    cmpi_wait_t w = {.mode = CMPI_WAIT_ONE,
                     .n = 1,
                     .reqs = req,
                     .status = s,
                     .on_interrupt = CMPI_INT_CANCEL,
                     .comm = comm,
                     .call = call,
                     .argfmt = argfmt,
                     .arg0 = arg0,
                     .arg1 = arg1};
    return cmpi_wait(&w);
}

/* Several requests posted for this call only; statuses may be
 * MPI_STATUSES_IGNORE. */
static int
cmpi_wait_reqs(int n, MPI_Request *reqs, MPI_Status *statuses,
               const char *call, const char *argfmt, int arg0, int arg1,
               MPI_Comm comm)
{
    cmpi_wait_t w = {.mode = CMPI_WAIT_ALL,
                     .n = n,
                     .reqs = reqs,
                     .status = statuses,
                     .on_interrupt = CMPI_INT_CANCEL,
                     .comm = comm,
                     .call = call,
                     .argfmt = argfmt,
                     .arg0 = arg0,
                     .arg1 = arg1};
    return cmpi_wait(&w);
}

/* A nonblocking collective started for a blocking one (CMPI_COLL). */
static int
cmpi_wait_coll(MPI_Request *req, const char *call, MPI_Comm comm)
{
    cmpi_wait_t w = {.mode = CMPI_WAIT_ONE,
                     .n = 1,
                     .reqs = req,
                     .status = MPI_STATUS_IGNORE,
                     .on_interrupt = CMPI_INT_FINISH,
                     .comm = comm,
                     .call = call};
    return cmpi_wait(&w);
}

/* A probe (msg == NULL) or a matched probe. */
static int
cmpi_wait_probe(int source, int tag, MPI_Comm comm, MPI_Message *msg,
                MPI_Status *s, const char *call)
{
    cmpi_wait_t w = {.mode = msg ? CMPI_WAIT_MPROBE : CMPI_WAIT_PROBE,
                     .source = source,
                     .tag = tag,
                     .comm = comm,
                     .msg = msg,
                     .status = s,
                     .call = call,
                     .argfmt = "source=%d, tag=%d",
                     .arg0 = source,
                     .arg1 = tag};
    return cmpi_wait(&w);
}

/* Collectives use the blocking MPI call unless a hang timeout is set or
 * the node is oversubscribed: the nonblocking collectives are slower than
 * the tuned blocking ones, but MPI's blocking calls busy-poll, and with
 * more ranks than cores (MPICH never yields) each step of a collective
 * then waits for the scheduler to preempt a spinning rank: milliseconds
 * instead of microseconds. */
static inline int
cmpi_coll_polling(void)
{
    return cmpi_hang_timeout > 0 || cmpi_yield_when_idle;
}

/* Collectives that stay blocking even when cmpi polls: those on an
 * intercommunicator.  Both MPI libraries' nonblocking collectives go wrong
 * there: MPICH 4.0's MPI_Ibcast from a root other than rank 0 of a
 * two-rank group completes without delivering the data, and Open MPI's
 * return at once for a count of 0 without taking their turn in the
 * communicator's sequence, so a PROC_NULL rank's next one pairs with the
 * wrong operation.  The tick (MPICH) still makes the blocking ones yield;
 * they cannot report a hang or take Ctrl-C. */
static inline int
cmpi_coll_blocking_only(MPI_Comm comm)
{
    int inter = 0;
    MPI_Comm_test_inter(comm, &inter);
    return inter;
}

#ifndef OPEN_MPI
/* How many ranks of this job the launcher started on this node, from its
 * environment (Open MPI, MPICH's Hydra, SLURM's srun); 0 when unknown.
 * Read from the environment rather than MPI_Comm_split_type so that
 * startup stays free of collectives. */
static long
cmpi_local_ranks(void)
{
    static const char *const names[] = {"OMPI_COMM_WORLD_LOCAL_SIZE",
                                        "MPI_LOCALNRANKS", "PMI_LOCAL_SIZE",
                                        "PALS_LOCAL_SIZE"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = getenv(names[i]);
        if (v != NULL && *v != '\0') {
            return strtol(v, NULL, 10);
        }
    }
    /* srun: SLURM_STEP_TASKS_PER_NODE is "4", or "2(x3),1": this node's
     * entry is the SLURM_NODEID-th. */
    const char *tasks = getenv("SLURM_STEP_TASKS_PER_NODE");
    const char *nodeid = getenv("SLURM_NODEID");
    if (tasks == NULL || nodeid == NULL) {
        return 0;
    }
    long node = strtol(nodeid, NULL, 10);
    const char *p = tasks;
    while (*p != '\0') {
        char *end;
        long n = strtol(p, &end, 10), repeat = 1;
        if (end == p) {
            return 0;
        }
        if (strncmp(end, "(x", 2) == 0) {
            repeat = strtol(end + 2, &end, 10), end++;
        }
        if (node < repeat) {
            return n;
        }
        node -= repeat;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}
#endif

/* rc.yield_when_idle: None (automatic: more ranks on this node than cores
 * this process may run on, with an MPI library that does not yield by
 * itself), or true/false. */
static int
cmpi_decide_yield(PyObject *rc)
{
    PyObject *v = rc ? PyObject_GetAttrString(rc, "yield_when_idle") : NULL;
    if (v == NULL) {
        PyErr_Clear();
    }
    else if (v != Py_None) {
        int yes = PyObject_IsTrue(v);
        Py_DECREF(v);
        return yes;
    }
    Py_XDECREF(v);
#ifdef OPEN_MPI
    /* Open MPI yields by itself when its launcher oversubscribes a node,
     * and its tuned blocking collectives then beat polled nonblocking
     * ones (Barrier 5 vs 9 us at 4 ranks on 2 cores). */
    return 0;
#else
#ifdef MPI_ABI_VERSION
    /* ABI build: the same holds when the library found at run time is
     * Open MPI (env.c reads it from the library's version string). */
    if (strcmp(cmpi_abi_vendor(NULL), "Open MPI") == 0) {
        return 0;
    }
#endif
    long local = cmpi_local_ranks();
    long online = sysconf(_SC_NPROCESSORS_ONLN), mine = online;
#ifdef CPU_COUNT
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        mine = CPU_COUNT(&set);
    }
#endif
    /* A rank bound to one core (Open MPI's --bind-to core) says nothing
     * about the others: then only the node's core count counts. */
    long cores = mine > 1 ? mine : online;
    return local > 1 && cores > 0 && local > cores;
#endif
}

/* ------------------------------------------------------------------ */
/* A blocking MPICH call that cmpi cannot poll (Win.Fence, Win.Lock, the
 * communicator constructors, ...) spins inside MPICH without yielding.
 * With more ranks than cores, the rank it waits for then runs only when
 * the kernel preempts a spinning one, at the next scheduler tick (4 ms at
 * HZ=250), and a Fence takes about 12 ms.  In yield mode, such a call runs
 * with a per-thread interval timer whose signal handler yields the core:
 * about 0.3 ms per Fence with 3 ranks on 2 cores.  Open MPI yields on its
 * own when oversubscribed (mpi_yield_when_idle), so only MPICH needs it.
 * The handler is SA_RESTART, and a spinning call makes no system calls
 * that a signal would cut short. */
/* An ABI build compiles it in too: it is armed only in yield mode, which
 * cmpi_decide_yield leaves off when the run-time library is Open MPI. */
#if (defined(MPICH_NAME) || defined(MPI_ABI_VERSION)) && \
        defined(__linux__) && defined(SIGEV_THREAD_ID)
#define CMPI_TICK_YIELD 1
#define CMPI_TICK_NS 50000L      /* 50 us: measured best for Fence at 3 on 2 */
static int cmpi_tick_signal = 0; /* 0: no tick (not in yield mode) */
static pthread_key_t cmpi_tick_key;
static _Thread_local timer_t *cmpi_tick_timer = NULL;
static _Thread_local int cmpi_tick_failed = 0;

static void
cmpi_on_tick(int sig)
{
    (void)sig;
    int saved = errno;
    sched_yield();
    errno = saved;
}

static void
cmpi_tick_free(void *timer)
{
    timer_delete(*(timer_t *)timer);
    free(timer);
}

/* In yield mode: a real-time signal nobody else handles, and its
 * handler.  Without one, no tick (the calls still work, slowly). */
static void
cmpi_tick_install(void)
{
    for (int sig = SIGRTMAX - 2; sig > SIGRTMIN + 4; sig--) {
        struct sigaction old, sa;
        if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
            old.sa_handler != SIG_DFL) {
            continue;
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = cmpi_on_tick;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (pthread_key_create(&cmpi_tick_key, cmpi_tick_free) != 0) {
            return;
        }
        if (sigaction(sig, &sa, NULL) == 0) {
            cmpi_tick_signal = sig;
        }
        return;
    }
}

/* Arm this thread's timer (made on first use); 0 when there is none. */
static int
cmpi_tick_start(void)
{
    if (cmpi_tick_timer == NULL) {
        if (cmpi_tick_failed) {
            return 0;
        }
        timer_t *t = malloc(sizeof(timer_t));
        struct sigevent ev;
        memset(&ev, 0, sizeof(ev));
        ev.sigev_notify = SIGEV_THREAD_ID;
        ev.sigev_signo = cmpi_tick_signal;
        ev._sigev_un._tid = gettid();
        if (t == NULL || timer_create(CLOCK_MONOTONIC, &ev, t) != 0) {
            free(t);
            cmpi_tick_failed = 1;
            return 0;
        }
        cmpi_tick_timer = t;
        pthread_setspecific(cmpi_tick_key, t); /* deleted at thread exit */
    }
    struct itimerspec on = {{0, CMPI_TICK_NS}, {0, CMPI_TICK_NS}};
    return timer_settime(*cmpi_tick_timer, 0, &on, NULL) == 0;
}

static void
cmpi_tick_stop(void)
{
    struct itimerspec off;
    memset(&off, 0, sizeof(off));
    timer_settime(*cmpi_tick_timer, 0, &off, NULL);
}
#else
#define CMPI_TICK_YIELD 0
static const int cmpi_tick_signal = 0;
static void
cmpi_tick_install(void)
{
}
static int
cmpi_tick_start(void)
{
    return 0;
}
static void
cmpi_tick_stop(void)
{
}
#endif

/* ------------------------------------------------------------------ */
/* SIGINT while the main thread is inside a blocking MPI call that does not
 * poll (CMPI_NOGIL_CALL).  Python's own SIGINT handler only sets a flag
 * that the main thread looks at once the call returns, which it may never
 * do.  cmpi's handler runs first: when the main thread is inside such a
 * call it wakes the watcher thread, then hands the signal on to Python's
 * handler.  The watcher gives the call CMPI_INTERRUPT_GRACE seconds to
 * return (then KeyboardInterrupt is raised as usual), else it prints the
 * call and the main thread's Python stack and aborts the job (status
 * 130).  A program that sets its own SIGINT handler (signal.signal)
 * replaces cmpi's, and with it the watcher. */

static _Atomic(const char *) cmpi_block_call = NULL; /* NULL: not inside */
static MPI_Comm cmpi_block_comm = MPI_COMM_NULL;
static atomic_uint cmpi_block_seq = 0; /* calls left so far */
static int cmpi_watch_on = 0;
static pthread_t cmpi_main_thread;
static unsigned long cmpi_main_ident;
static sem_t cmpi_watch_sem;
static struct sigaction cmpi_sigint_next;

/* The token says what to undo: 1, the watcher's mark; 2, the tick. */
static inline int
cmpi_block_enter(const char *call, MPI_Comm comm)
{
    int token = 0;
    cmpi_prof_wait_begin();
    if (CMPI_UNLIKELY(cmpi_tick_signal != 0) && cmpi_tick_start()) {
        token = 2;
    }
    if (!cmpi_watch_on || !pthread_equal(pthread_self(), cmpi_main_thread)) {
        return token;
    }
    cmpi_block_comm = comm;
    atomic_store_explicit(&cmpi_block_call, call, memory_order_release);
    return token | 1;
}

static inline void
cmpi_block_leave(int token)
{
    cmpi_prof_wait_end();
    if (CMPI_UNLIKELY(token & 2)) {
        cmpi_tick_stop();
    }
    if (!(token & 1)) {
        return;
    }
    atomic_store_explicit(&cmpi_block_call, NULL, memory_order_release);
    /* only the main thread writes: no read-modify-write needed */
    atomic_store_explicit(
            &cmpi_block_seq,
            atomic_load_explicit(&cmpi_block_seq, memory_order_relaxed) + 1,
            memory_order_release);
}

static void
cmpi_on_sigint(int sig, siginfo_t *info, void *ctx)
{
    int saved = errno;
    if (atomic_load_explicit(&cmpi_block_call, memory_order_acquire) != NULL) {
        sem_post(&cmpi_watch_sem);
    }
    errno = saved;
    if (cmpi_sigint_next.sa_flags & SA_SIGINFO) {
        cmpi_sigint_next.sa_sigaction(sig, info, ctx);
    }
    else if (cmpi_sigint_next.sa_handler != SIG_DFL &&
             cmpi_sigint_next.sa_handler != SIG_IGN) {
        cmpi_sigint_next.sa_handler(sig);
    }
}

/* The main thread's Python stack, from the watcher thread (the main thread
 * has released the GIL inside the call). */
static void
cmpi_watch_stack(const char *what)
{
    if (!Py_IsInitialized()) {
        return;
    }
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *mod = PyImport_ImportModule("cmpi._jobsafety");
    PyObject *r = mod ? PyObject_CallMethod(mod, "interrupt_report", "sk",
                                            what, cmpi_main_ident)
                      : NULL;
    if (r == NULL) {
        PyErr_Clear();
    }
    Py_XDECREF(r);
    Py_XDECREF(mod);
    PyGILState_Release(g);
}

static void *
cmpi_watch_main(void *arg)
{
    (void)arg;
    for (;;) {
        if (sem_wait(&cmpi_watch_sem) != 0) {
            continue; /* EINTR */
        }
        const char *call =
                atomic_load_explicit(&cmpi_block_call, memory_order_acquire);
        unsigned seq =
                atomic_load_explicit(&cmpi_block_seq, memory_order_acquire);
        MPI_Comm comm = cmpi_block_comm;
        if (call == NULL) {
            continue;
        }
        /* Give the call a moment: a slow collective that completes gets
         * its KeyboardInterrupt from Python as usual. */
        int left = 0;
        const struct timespec step = {0, 10 * 1000 * 1000};
        for (int i = 0; i < (int)(CMPI_INTERRUPT_GRACE * 100); i++) {
            nanosleep(&step, NULL);
            if (atomic_load_explicit(&cmpi_block_seq, memory_order_acquire) !=
                seq) {
                left = 1;
                break;
            }
        }
        /* further SIGINTs during the grace period: already handled */
        while (sem_trywait(&cmpi_watch_sem) == 0);
        if (left) {
            continue;
        }
        char what[512];
        cmpi_describe_call(call, comm, what, sizeof(what));
        cmpi_interrupt_message(what);
        cmpi_watch_stack(what);
        cmpi_abort_job(MPI_COMM_WORLD, 130);
    }
    return NULL;
}

/* From the main thread, once MPI is up, when SIGINT has a handler
 * (Python's). */
static void
cmpi_sigint_watch(void)
{
    struct sigaction sa, cur;
    pthread_t tid;
    if (cmpi_watch_on) {
        return;
    }
    if (sigaction(SIGINT, NULL, &cur) != 0 ||
        (!(cur.sa_flags & SA_SIGINFO) &&
         (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN))) {
        return; /* default: Ctrl-C ends the process anyway */
    }
    if (sem_init(&cmpi_watch_sem, 0, 0) != 0) {
        return;
    }
    /* the watcher takes no signals: they go to the main thread */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int err = pthread_create(&tid, NULL, cmpi_watch_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        sem_destroy(&cmpi_watch_sem);
        return;
    }
    pthread_detach(tid);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = cmpi_on_sigint;
    sa.sa_flags = SA_SIGINFO | (cur.sa_flags & SA_RESTART);
    sigemptyset(&sa.sa_mask);
    cmpi_main_thread = pthread_self();
    cmpi_main_ident = PyThread_get_thread_ident();
    if (sigaction(SIGINT, &sa, &cmpi_sigint_next) != 0) {
        return;
    }
    cmpi_watch_on = 1;
}

/* ------------------------------------------------------------------ */
/* SIGTERM: name the rank before faulthandler prints the Python stacks. */

static struct sigaction cmpi_sigterm_next;
static char cmpi_sigterm_msg[96];
static size_t cmpi_sigterm_len;

static void
cmpi_on_sigterm(int sig, siginfo_t *info, void *ctx)
{
    ssize_t CMPI_UNUSED w = write(2, cmpi_sigterm_msg, cmpi_sigterm_len);
    if (cmpi_sigterm_next.sa_flags & SA_SIGINFO) {
        cmpi_sigterm_next.sa_sigaction(sig, info, ctx);
    }
    else if (cmpi_sigterm_next.sa_handler != SIG_DFL &&
             cmpi_sigterm_next.sa_handler != SIG_IGN) {
        cmpi_sigterm_next.sa_handler(sig);
    }
    else {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

static void
cmpi_sigterm_header(void)
{
    static int installed = 0;
    struct sigaction sa;
    if (installed++) { /* chaining to itself would recurse */
        return;
    }
    snprintf(cmpi_sigterm_msg, sizeof(cmpi_sigterm_msg),
             "[rank %d] cmpi: terminated by SIGTERM; Python stack:\n",
             cmpi_world_rank);
    cmpi_sigterm_len = strlen(cmpi_sigterm_msg);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = cmpi_on_sigterm;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, &cmpi_sigterm_next);
}

/* ------------------------------------------------------------------ */

static int
cmpi_rc_number(PyObject *rc, const char *name, double *out)
{
    PyObject *v = PyObject_GetAttrString(rc, name);
    if (v == NULL) {
        return -1;
    }
    if (v == Py_None) {
        *out = 0.0;
        Py_DECREF(v);
        return 0;
    }
    PyObject *f = PyNumber_Float(v);
    Py_DECREF(v);
    if (f == NULL) {
        PyErr_Format(PyExc_ValueError,
                     "rc.%s (or its environment variable) must be a number "
                     "of seconds",
                     name);
        return -1;
    }
    *out = PyFloat_AS_DOUBLE(f);
    Py_DECREF(f);
    return 0;
}

static int
cmpi_on_main_thread(void)
{
    PyObject *mod = PyImport_ImportModule("threading");
    PyObject *main =
            mod ? PyObject_CallMethod(mod, "main_thread", NULL) : NULL;
    PyObject *ident = main ? PyObject_GetAttrString(main, "ident") : NULL;
    int yes = ident != NULL && PyLong_Check(ident) &&
              PyLong_AsUnsignedLong(ident) == PyThread_get_thread_ident();
    Py_XDECREF(ident);
    Py_XDECREF(main);
    Py_XDECREF(mod);
    PyErr_Clear();
    return yes;
}

/* Once MPI is up: read rc.hang_timeout / rc.hang_abort, and install the
 * job-safety hooks of cmpi._jobsafety (abort on an uncaught exception,
 * SIGTERM stack dump, launch-mismatch warning). */
static int
cmpi_wait_startup(void)
{
    int size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &cmpi_world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    PyObject *pkg = PyImport_ImportModule("cmpi");
    PyObject *rc = pkg ? PyObject_GetAttrString(pkg, "rc") : NULL;
    Py_XDECREF(pkg);
    if (rc == NULL) {
        PyErr_Clear(); /* a bare extension: rc's defaults */
    }
    else {
        int bad = 0;
        PyObject *v = NULL;
        if (cmpi_rc_number(rc, "hang_timeout", &cmpi_hang_timeout) < 0 ||
            (v = PyObject_GetAttrString(rc, "hang_abort")) == NULL ||
            (cmpi_hang_abort = PyObject_IsTrue(v)) < 0) {
            bad = 1;
        }
        Py_XDECREF(v);
        if (bad) {
            Py_DECREF(rc);
            return -1;
        }
    }
    cmpi_yield_when_idle = cmpi_decide_yield(rc);
    Py_XDECREF(rc);
    if (cmpi_yield_when_idle < 0) {
        return -1;
    }
    if (cmpi_yield_when_idle) {
        cmpi_tick_install();
    }
    if (cmpi_hang_timeout < 0) {
        cmpi_hang_timeout = 0;
    }
#if defined(MPI_ABI_VERSION)
    /* ABI build: whichever library libmpi_abi.so turned out to be */
    const char *vendor = cmpi_abi_vendor(NULL);
    const char *library = strcmp(vendor, "MPICH") == 0      ? "mpich"
                          : strcmp(vendor, "Open MPI") == 0 ? "openmpi"
                                                            : "unknown";
#elif defined(OPEN_MPI)
    const char *library = "openmpi";
#elif defined(MPICH_NAME)
    const char *library = "mpich";
#else
    const char *library = "unknown";
#endif
    PyObject *mod = PyImport_ImportModule("cmpi._jobsafety");
    PyObject *r = mod ? PyObject_CallMethod(mod, "install", "iis",
                                            cmpi_world_rank, size, library)
                      : NULL;
    Py_XDECREF(mod);
    if (r == NULL) {
        /* Outside the cmpi package (a bare extension): no hooks. */
        PyErr_Clear();
        return 0;
    }
    if (r == Py_True) {
        cmpi_sigterm_header();
    }
    Py_DECREF(r);
    if (cmpi_on_main_thread()) {
        cmpi_sigint_watch();
    }
    return 0;
}

CMPI_DOC(mod_wait_mode_doc, "_wait_mode()",
         "How this process waits in blocking calls (set when MPI starts): "
         "a dict with 'yield_when_idle' (waits yield the core between "
         "polls), 'collectives_poll' (blocking collectives run as "
         "nonblocking ones, polled) and 'tick_signal' (the signal that "
         "makes MPICH's own blocking calls yield; 0: none).");
static PyObject *
mod_wait_mode(PyObject *m, PyObject *Py_UNUSED(a))
{
    (void)m;
    return Py_BuildValue("{s:O,s:O,s:i}", "yield_when_idle",
                         cmpi_yield_when_idle ? Py_True : Py_False,
                         "collectives_poll",
                         cmpi_coll_polling() ? Py_True : Py_False,
                         "tick_signal", cmpi_tick_signal);
}

#define CMPI_WAIT_METHODS \
    {"_wait_mode", (PyCFunction)mod_wait_mode, METH_NOARGS, mod_wait_mode_doc},
