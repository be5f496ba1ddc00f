/*
 * profile.c -- the C side of the MPI profile and timeline (issue 19):
 * per-call counters (calls, time, wait, bytes) and a ring of trace events,
 * read by cmpi.profile through the private MPI._prof_* functions.
 *
 * MPI._prof_install() replaces every public callable of cmpi.MPI (methods,
 * classmethods and staticmethods of its classes, module functions) with a
 * profiled wrapper that forwards to the original: for the instance methods
 * of its C classes, a direct method (a method descriptor of its own whose C
 * function is a trampoline, see "Direct methods"), for the others a wrapper
 * object (ProfWrapper).  While profiling is off, most direct methods
 * call the original's C function itself (prof_direct_set) and the other
 * wrappers cost one predictable branch.  While it is on, a call reads no
 * clock: it counts itself and publishes which wrapper is running
 * (prof_running), and a sampler thread adds the time between its ticks to
 * the wrapper running at each tick (see "time" below).  Tracing, and the
 * exact timing (_prof_start(exact=True), CMPI_PROFILE_TIMING=exact), read
 * a cheap clock (prof_ticks) at the start and the end of each call.  The
 * wrapped call's frame
 * (cmpi_prof_cur) is where the hooks in the area files (cmpi_prof_msg,
 * cmpi_prof_status, cmpi_prof_wait_begin/end, ...) add the bytes it moves,
 * its peer and tag, and the time it waits.
 *
 * The state is process-wide, as MPI is: the counters live in the wrappers,
 * the ring and the main thread's current frame in this file's statics.
 * Every update happens with the GIL held (the wrappers and the hooks run
 * with it), so counting needs no lock; the sampler thread never takes the
 * GIL nor touches Python objects: it reads prof_running and adds to
 * prof_sampled, both atomic.  Only the thread that called _prof_start (the
 * main thread) has frames and is sampled: calls from other threads are
 * counted (calls only; with exact timing also their time) but have no
 * bytes, wait or trace events.
 *
 * What the figures mean:
 * - time (sampled, the default): statistical.  Every CMPI_PROFILE_INTERVAL
 *   microseconds (default 10000, 50 to 1000000) the sampler thread adds the
 *   real time elapsed since its previous tick (CLOCK_MONOTONIC) to the
 *   call running on the main thread at that moment, if any: the innermost
 *   one when calls nest (a Python callback's MPI call: a Grequest query, a
 *   user Op, the collective checker's own calls), so nested time is not
 *   counted twice.  A call's figure is its true time within about one
 *   interval per stretch the call runs (more if the machine is loaded and
 *   the sampler wakes late); calls much shorter than the interval get
 *   time only in proportion to how often they run, which is right on
 *   average over many calls.  The sampler runs while counting is on
 *   (started by _prof_start, stopped by _prof_stop, by _prof_reset while
 *   stopped and at exit).
 * - time (exact): wall time inside each call, read with prof_ticks at
 *   its start and end (an outer call's time includes its inner calls').
 * - wait: the part of the time spent in cmpi's polling wait (wait.c,
 *   cmpi_wait_slow: a wait that did not complete at its first test) and
 *   in blocking calls made with the GIL released (CMPI_NOGIL_CALL,
 *   CMPI_COLL: blocking collectives, Sendrecv_replace, ...).  Sampled: the
 *   hooks set a flag in prof_running and the ticks that see it count as
 *   wait too (so wait <= time); exact: clock reads at the hooks.
 * - bytes: payload.  Buffers: count times the datatype's size of the
 *   message spec sent, and of the message received (the status's count
 *   where there is one: Recv, Sendrecv; the spec otherwise: Irecv counts
 *   its buffer when it posts it, Request.Wait counts nothing).  Nothing to
 *   or from PROC_NULL.  Objects: the pickle (or cmpi's objcodec message)
 *   and its out-of-band buffers; irecv's object is counted by the call
 *   that completes it (Request.wait ...).  Collectives: what this rank
 *   contributes (sent) and gets (received): Bcast/bcast, the root sends
 *   and the others receive; Allreduce/Reduce/Scan, the buffer sent and
 *   received; Gather/Scatter/Allgather/Alltoall, one block sent and one
 *   per rank received (or the other way round); gather/allgather/reduce/
 *   allreduce of objects, this rank's pickle sent and the other ranks'
 *   pickles received (their out-of-band buffers not counted).  The
 *   vector collectives count their message specs the same way, block by
 *   block: Gatherv one block sent and, at the root, its receive spec's
 *   counts; Scatterv the send spec's counts at the root and one block
 *   received; Allgatherv and Alltoallv their specs' counts; Alltoallw
 *   each block's count times its own datatype's size; IN_PLACE sends
 *   nothing of its own (as Allgather); on an intercommunicator, the
 *   MPI.ROOT rank of Gatherv only receives, of Scatterv only sends, and
 *   the PROC_NULL ranks count nothing.  Reduce_scatter
 *   and Reduce_scatter_block, as the reductions: the whole contribution
 *   sent (the receive buffer's, in place), this rank's block received.
 *   Neighborhood collectives (Neighbor_*, Ineighbor_*, neighbor_allgather
 *   and neighbor_alltoall of objects): one block (a pickle) to each
 *   outgoing and from each incoming neighbour of the topology, nothing
 *   to or from a PROC_NULL neighbour (a Cartcomm's edges).  scatter and
 *   alltoall of objects: the pickles this rank sends (to itself too) and
 *   those it receives from the other ranks, so a rank's own pickle counts
 *   as sent and not received, as in gather (out-of-band buffers not
 *   counted).  Persistent requests (Send_init, Bsend_init, Ssend_init,
 *   Rsend_init, Recv_init, the persistent collectives and neighborhood
 *   collectives): *_init counts nothing; it hands the bytes its message
 *   moves to the request, and each Prequest.Start or Startall of it
 *   counts them once (with its peer and tag, for Start and a Startall of
 *   one request; the collective checker's own exchange stays with
 *   *_init).  A request made while no profile ran (or on another thread)
 *   counts no bytes when started.  Win.Put, Accumulate ... send
 *   their origin buffer, Win.Get receives it; File reads and writes count
 *   their buffer, the split collectives at _begin (the _end counts
 *   nothing); Message.Recv and Message.recv what they receive.  Calls
 *   not named here count calls, time and wait, and no bytes; of those
 *   that move data, that leaves the partitioned requests (Psend_init,
 *   Precv_init: partitioned.c has no hooks yet, and their Start counts
 *   nothing).
 * - trace events: (name, start, duration, peer, tag, bytes, comm name);
 *   start on CLOCK_MONOTONIC (time.monotonic_ns()); peer the dest, source
 *   (the status's where known) or root, else -1; the communicator's name
 *   as MPI_Comm_get_name gives it (cached per handle; Open MPI names some
 *   communicators itself), None for an empty name or a call not on a
 *   communicator.  A full ring overwrites its oldest events.
 * - the clock of trace events and exact timing (prof_ticks): the x86-64
 *   time stamp counter where the CPU says it is invariant (CPUID
 *   0x80000007 EDX bit 8, or constant_tsc and nonstop_tsc in
 *   /proc/cpuinfo), aarch64's virtual counter, else CLOCK_MONOTONIC.
 *   Counter ticks become CLOCK_MONOTONIC nanoseconds by a line through
 *   two (ticks, ns) pairs: one taken at the first _prof_start, one at
 *   each _prof_data/_prof_trace (at least 1 ms after the first: the call
 *   waits for the rest of that millisecond once).  Each pair brackets the
 *   counter read between two clock reads (the best of five), so it is
 *   right within about 0.1 us on a quiet machine; between the two pairs
 *   the line is right within about twice that, plus CLOCK_MONOTONIC's own
 *   slewing (NTP, at most 500 ppm) over the interval, which the line
 *   averages.  Durations are exact to a counter tick (under 1 ns).
 */
#include "cmpi.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/mman.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

/* Counting on (cmpi_prof_active: PROF_SAMPLED, or PROF_COUNTED when
 * tracing or exact timing is on too: one load tells a call its path),
 * tracing on (cmpi_prof_tracing), and exact per-call timing instead of
 * sampling (prof_exact). */
enum {
    PROF_OFF = 0,
    PROF_SAMPLED = 1,
    PROF_COUNTED = 2
};
static int cmpi_prof_active = 0;
static int cmpi_prof_tracing = 0;
static int prof_exact = 0;

/* The main thread is the one whose prof_thread_gen equals prof_main_gen
 * (a thread-local flag is cheaper than pthread_self and pthread_equal per
 * call; _prof_start from another thread makes it the main one).  Initial
 * exec: one load from the thread pointer, no __tls_get_addr call. */
#if defined(__GNUC__)
#define PROF_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define PROF_TLS_MODEL
#endif
static _Thread_local unsigned prof_thread_gen PROF_TLS_MODEL = 0;
static unsigned prof_main_gen = 0;

static inline int
prof_on_main(void)
{
    return prof_thread_gen == prof_main_gen;
}

/* What the wrappers keep per call name: time and wait in prof_ticks
 * units (exact timing only; the sampled figures are in prof_sampled). */
typedef struct {
    long long calls, time_ticks, wait_ticks, sent, received;
} prof_counts;

/* One trace event (40 bytes: a ring of a million is 40 MB); start and
 * duration in prof_ticks units. */
typedef struct {
    long long start, duration, nbytes;
    int peer, tag;
    int name; /* index into prof_wrappers */
    int comm; /* index into prof_comm_names, or -1: no name */
} prof_event;

/* The ring keeps the newest events: a full ring overwrites the oldest, so
 * that a job that crashes leaves its last calls. */
static prof_event *prof_ring = NULL;
static long long prof_ring_size = 0;
static long long prof_ring_written = 0; /* events since the last reset */
/* prof_ring_written % prof_ring_size, counted on: the division was a
 * quarter of what recording an event cost */
static long long prof_ring_next = 0;

static PyObject *prof_wrappers = NULL;        /* list: every wrapper made */
static PyObject *prof_comm_names = NULL;      /* list: names seen, once each */
static PyTypeObject *prof_method_type = NULL; /* instance methods */
static PyTypeObject *prof_call_type = NULL;   /* the other callables */
static PyTypeObject *prof_comm_type = NULL;   /* MPI.Comm */

/* Communicator names by handle: a few communicators carry most calls.
 * Emptied by the calls that change or end a name (Set_name, Free,
 * Disconnect). */
#define PROF_COMM_CACHE 16
static struct {
    MPI_Comm comm;
    int name;
} prof_comm_cache[PROF_COMM_CACHE];
static int prof_comm_cached = 0;

/* A clock's time in ns: CLOCK_MONOTONIC for durations, CLOCK_REALTIME
 * where another process compares it with its own wall clock. */
static inline long long
prof_clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long long
prof_mono_ns(void)
{
    return prof_clock_ns(CLOCK_MONOTONIC);
}

/* ------------------------------------------------------------------ */
/* The trace clock: a counter read where there is an invariant one (a few
 * ns), CLOCK_MONOTONIC ns otherwise; see the header for the calibration. */

static int prof_counter = -1; /* 1: counter ticks; 0: ns; -1: not probed */

typedef struct {
    long long ticks, ns;
} prof_pair;
static prof_pair prof_cal_first, prof_cal_last;
static double prof_ns_per_tick = 1.0;

static inline long long
prof_ticks(void)
{
#if defined(__x86_64__)
    if (CMPI_LIKELY(prof_counter > 0)) {
        return (long long)__rdtsc();
    }
#elif defined(__aarch64__)
    if (CMPI_LIKELY(prof_counter > 0)) {
        uint64_t v;
        __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
        return (long long)v;
    }
#endif
    return prof_mono_ns();
}

#if defined(__x86_64__)
/* Whether /proc/cpuinfo's flags say the TSC is invariant (some virtual
 * machines hide CPUID's bit but the kernel still knows). */
static int
prof_cpuinfo_invariant_tsc(void)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) {
        return 0;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "flags", 5) == 0) {
            found = strstr(line, " constant_tsc") != NULL &&
                    strstr(line, " nonstop_tsc") != NULL;
            break;
        }
    }
    fclose(f);
    return found;
}
#endif

static prof_pair
prof_pair_now(void)
{
    prof_pair best = {0, 0};
    long long gap = LLONG_MAX;
    for (int i = 0; i < 5; i++) {
        long long a = prof_mono_ns();
        long long t = prof_ticks();
        long long b = prof_mono_ns();
        if (b - a < gap) {
            gap = b - a;
            best.ticks = t;
            best.ns = a + (b - a) / 2;
        }
    }
    return best;
}

/* Called by _prof_start: chooses the clock and takes the first pair. */
static void
prof_clock_init(void)
{
    if (prof_counter >= 0) {
        return;
    }
    prof_counter = 0;
#if defined(__x86_64__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if ((__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000007u &&
         __get_cpuid(0x80000007u, &a, &b, &c, &d) && (d & (1u << 8)) != 0) ||
        prof_cpuinfo_invariant_tsc()) {
        prof_counter = 1;
    }
#elif defined(__aarch64__)
    prof_counter = 1;
#endif
    if (prof_counter > 0) {
        prof_cal_first = prof_pair_now();
        prof_cal_last = prof_cal_first;
    }
}

/* Called before ticks are turned into ns: a newer second pair, at least
 * 1 ms after the first one. */
static void
prof_calibrate(void)
{
    if (prof_counter <= 0) {
        return;
    }
    prof_pair p = prof_pair_now();
    long long rest = 1000000 - (p.ns - prof_cal_first.ns);
    if (rest > 0) {
        struct timespec ts = {0, (long)rest};
        Py_BEGIN_ALLOW_THREADS
        nanosleep(&ts, NULL);
        Py_END_ALLOW_THREADS
        p = prof_pair_now();
    }
    if (p.ticks > prof_cal_first.ticks && p.ns > prof_cal_first.ns) {
        prof_cal_last = p;
        prof_ns_per_tick = (double)(p.ns - prof_cal_first.ns) /
                           (double)(p.ticks - prof_cal_first.ticks);
    }
}

static inline long long
prof_ticks_to_ns(long long ticks)
{
    if (prof_counter <= 0) {
        return ticks;
    }
    return (long long)((double)ticks * prof_ns_per_tick + 0.5);
}

/* A prof_ticks reading as CLOCK_MONOTONIC ns. */
static inline long long
prof_ticks_to_mono(long long t)
{
    if (prof_counter <= 0) {
        return t;
    }
    return prof_cal_first.ns + prof_ticks_to_ns(t - prof_cal_first.ticks);
}

/* The live file's head (see "The live file" below). */
typedef struct {
    char magic[8]; /* "CMPILIV1" */
    uint32_t header_len, nwrappers, names_len, data_offset;
    _Atomic long long updated_ns; /* CLOCK_REALTIME of the last update */
    double ns_per_tick;           /* prof_counts' tick unit, in ns */
} prof_live_head;

static prof_live_head *prof_live = NULL;
static size_t prof_live_len = 0;

static void
prof_live_detach(void);

/* ------------------------------------------------------------------ */
/* The sampler.  prof_running is (wrapper id << 1 | in a wait) of the
 * main thread's innermost profiled call, -1 when none runs; written by
 * the main thread only, read by the sampler.  prof_sampled holds per
 * wrapper id [2 id] the sampled time and [2 id + 1] the sampled wait, in
 * ns. */

static _Atomic int prof_running = -1;
static _Atomic long long *prof_sampled = NULL;
static Py_ssize_t prof_sampled_n = 0; /* wrappers it has room for */

static pthread_mutex_t prof_sampler_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t prof_sampler_wake;
static int prof_sampler_cond_made = 0;
static int prof_sampler_quit = 0; /* under prof_sampler_lock */
static int prof_sampler_live = 0; /* main thread only */
static long long prof_interval_ns = 10000000;
static pthread_t prof_sampler;

static void *
prof_sampler_main(void *Py_UNUSED(arg))
{
    long long last = prof_mono_ns(), next = last;
#if defined(__linux__)
    /* named, so that tools and the tests can tell it from MPI's threads */
    (void)prctl(PR_SET_NAME, "cmpi-sampler", 0, 0, 0);
    /* the lowest priority (Linux nice is per thread): a tick then rarely
     * preempts a rank that spins in MPI on a busy core */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0) {
        errno = 0;
    }
#endif
    pthread_mutex_lock(&prof_sampler_lock);
    while (!prof_sampler_quit) {
        next += prof_interval_ns;
        struct timespec ts = {(time_t)(next / 1000000000LL),
                              (long)(next % 1000000000LL)};
        pthread_cond_timedwait(&prof_sampler_wake, &prof_sampler_lock, &ts);
        if (prof_sampler_quit) {
            break;
        }
        long long now = prof_mono_ns();
        int running =
                atomic_load_explicit(&prof_running, memory_order_relaxed);
        if (running >= 0 && (running >> 1) < prof_sampled_n) {
            int id = running >> 1;
            atomic_fetch_add_explicit(&prof_sampled[2 * id], now - last,
                                      memory_order_relaxed);
            if (running & 1) {
                atomic_fetch_add_explicit(&prof_sampled[2 * id + 1],
                                          now - last, memory_order_relaxed);
            }
        }
        if (prof_live != NULL) { /* how long the rank ran, if it dies */
            atomic_store_explicit(&prof_live->updated_ns,
                                  prof_clock_ns(CLOCK_REALTIME),
                                  memory_order_relaxed);
        }
        last = now;
        if (next < now) { /* woke late: no burst of ticks to catch up */
            next = now;
        }
    }
    pthread_mutex_unlock(&prof_sampler_lock);
    return NULL;
}

/* Stops and joins the sampler (it never waits for the GIL: no deadlock
 * with the GIL held). */
static void
prof_sampler_stop(void)
{
    if (!prof_sampler_live) {
        return;
    }
    pthread_mutex_lock(&prof_sampler_lock);
    prof_sampler_quit = 1;
    pthread_cond_signal(&prof_sampler_wake);
    pthread_mutex_unlock(&prof_sampler_lock);
    pthread_join(prof_sampler, NULL);
    prof_sampler_live = 0;
}

/* A forked child has no sampler thread (and its lock may be held). */
static void
prof_sampler_forked(void)
{
    pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
    prof_sampler_lock = fresh;
    prof_sampler_live = 0;
    prof_live_detach();
}

/* Returns 0, or -1 with an exception. */
static int
prof_sampler_start(void)
{
    static int hooks_done = 0;
    sigset_t all, old;
    if (prof_sampler_live) {
        return 0;
    }
    if (!prof_sampler_cond_made) {
        pthread_condattr_t attr;
        if (pthread_condattr_init(&attr) != 0 ||
            pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0 ||
            pthread_cond_init(&prof_sampler_wake, &attr) != 0) {
            PyErr_SetString(PyExc_RuntimeError,
                            "cannot make the profile sampler's condition");
            return -1;
        }
        pthread_condattr_destroy(&attr);
        prof_sampler_cond_made = 1;
    }
    if (!hooks_done) {
        if (Py_AtExit(prof_sampler_stop) < 0 ||
            pthread_atfork(NULL, NULL, prof_sampler_forked) != 0) {
            PyErr_SetString(PyExc_RuntimeError,
                            "cannot register the profile sampler's exit");
            return -1;
        }
        hooks_done = 1;
    }
    prof_sampler_quit = 0;
    /* signals go to the other threads (Python handles them on the main
     * one) */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&prof_sampler, NULL, prof_sampler_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "cannot start the profile sampler thread");
        return -1;
    }
    prof_sampler_live = 1;
    return 0;
}

/* ------------------------------------------------------------------ */
/* The hooks' side: the main thread's current call. */

/* acc: where the hooks add the bytes the call moves.  The sampled
 * profile adds them straight to the wrapper's counters (no per-call sum to
 * set up and fold in: 11 instructions a call); the trace and exact timing
 * to a prof_counts of the call's own, which gives its event's bytes, added
 * to the wrapper's after the call.  wait_ns and wait_start: exact timing
 * only, in prof_ticks units; mark_sent, mark_received: acc's bytes when a
 * *_init call's own hooks began (cmpi_prof_mark): what they add after is
 * handed to the request it makes, and taken back out of acc */
struct cmpi_prof_frame {
    prof_counts *acc;
    long long wait_ns, wait_start;
    int peer, tag;
    long long mark_sent, mark_received;
};
static cmpi_prof_frame *cmpi_prof_cur = NULL;

/* Hooks run with the GIL held, in any thread: only the main thread's own
 * calls have a frame. */
static inline cmpi_prof_frame *
prof_frame(void)
{
    return prof_on_main() ? cmpi_prof_cur : NULL;
}

static CMPI_NOINLINE void
cmpi_prof_bytes_slow(long long sent, long long received)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL) {
        f->acc->sent += sent;
        f->acc->received += received;
    }
}

/* A message of count elements of a type that is not one byte long. */
static CMPI_NOINLINE void
prof_add_msg_sized(cmpi_prof_frame *f, int dir, long long count,
                   MPI_Datatype dtype)
{
    MPI_Count size = 0;
    if (dtype == MPI_DATATYPE_NULL ||
        MPI_Type_size_x(dtype, &size) != MPI_SUCCESS || size < 0) {
        return;
    }
    if (dir == CMPI_MSG_SEND) {
        f->acc->sent += count * (long long)size;
    }
    else {
        f->acc->received += count * (long long)size;
    }
}

/* A message's payload; the one-byte types (the buffers of bytes-like
 * objects, MPI_BYTE first) without a call into the MPI library.  The
 * other types in a function of their own, called last: a hook that ends
 * with this one then needs no stack frame of its own. */
static inline void
prof_add_msg(cmpi_prof_frame *f, int dir, long long count, MPI_Datatype dtype)
{
    if (count <= 0) {
        return;
    }
    if (CMPI_UNLIKELY(dtype != MPI_BYTE) && dtype != MPI_UNSIGNED_CHAR &&
        dtype != MPI_CHAR && dtype != MPI_SIGNED_CHAR) {
        prof_add_msg_sized(f, dir, count, dtype);
        return;
    }
    if (dir == CMPI_MSG_SEND) {
        f->acc->sent += count;
    }
    else {
        f->acc->received += count;
    }
}

static CMPI_NOINLINE void
cmpi_prof_msg_slow(int dir, long long count, MPI_Datatype dtype)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL) {
        prof_add_msg(f, dir, count, dtype);
    }
}

static CMPI_NOINLINE void
cmpi_prof_peer_slow(int peer, int tag)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL) {
        f->peer = peer;
        f->tag = tag;
    }
}

static CMPI_NOINLINE void
cmpi_prof_p2p_slow(int dir, long long count, MPI_Datatype dtype, int peer,
                   int tag)
{
    cmpi_prof_frame *f = prof_frame();
    if (f == NULL) {
        return;
    }
    f->peer = peer;
    f->tag = tag;
    if (peer != MPI_PROC_NULL) {
        prof_add_msg(f, dir, count, dtype);
    }
}

/* The bytes a status says were received, as MPI_Get_count(s, MPI_BYTE)
 * gives them (none above INT_MAX: MPI_UNDEFINED). */
static CMPI_NOINLINE void
prof_add_status_counted(cmpi_prof_frame *f, const MPI_Status *s)
{
    int n = 0;
    if (MPI_Get_count(s, MPI_BYTE, &n) == MPI_SUCCESS && n > 0) {
        f->acc->received += n;
    }
}

/* The bytes received, read from the status's own fields where it can
 * (cmpi_status_bytes_read): MPI_Get_count was a fifth of what the profile
 * added to a Send/Recv pair.  Elsewhere MPI_Get_count, in a function of
 * its own called last, as in prof_add_msg. */
static inline void
prof_add_status(cmpi_prof_frame *f, const MPI_Status *s)
{
    if (s->MPI_SOURCE != MPI_PROC_NULL && s->MPI_SOURCE != MPI_ANY_SOURCE) {
        f->peer = s->MPI_SOURCE;
        f->tag = s->MPI_TAG;
    }
    int n;
    if (CMPI_LIKELY(cmpi_status_bytes_read(s, &n))) {
        f->acc->received += n;
        return;
    }
    prof_add_status_counted(f, s);
}

static CMPI_NOINLINE void
cmpi_prof_status_slow(const MPI_Status *s)
{
    cmpi_prof_frame *f = prof_frame();
    if (f == NULL || s == MPI_STATUS_IGNORE) {
        return;
    }
    prof_add_status(f, s);
}

static CMPI_NOINLINE void
cmpi_prof_recv_slow(int source, int tag, const MPI_Status *s)
{
    cmpi_prof_frame *f = prof_frame();
    if (f == NULL) {
        return;
    }
    f->peer = source;
    f->tag = tag;
    if (s != MPI_STATUS_IGNORE) {
        prof_add_status(f, s);
    }
}

/* A hook may run on an error path, with the caller's exception pending:
 * its own bookkeeping (which may fail: no memory, a topology it cannot
 * read) keeps that exception aside and puts it back after, dropping only
 * its own errors. */
typedef struct {
#if PY_VERSION_HEX >= 0x030C0000
    PyObject *exc;
#else
    PyObject *type, *value, *tb;
#endif
} prof_pending_error;

static inline void
prof_error_aside(prof_pending_error *p)
{
#if PY_VERSION_HEX >= 0x030C0000
    p->exc = PyErr_GetRaisedException();
#else
    PyErr_Fetch(&p->type, &p->value, &p->tb);
#endif
}

/* The caller's exception (or none) is the pending one again. */
static inline void
prof_error_back(prof_pending_error *p)
{
#if PY_VERSION_HEX >= 0x030C0000
    PyErr_SetRaisedException(p->exc);
#else
    PyErr_Restore(p->type, p->value, p->tb);
#endif
}

static CMPI_NOINLINE void
cmpi_prof_blocks_slow(CommObject *nb, int dir, int n, const int *counts,
                      int count, MPI_Datatype dtype, const MPI_Datatype *types)
{
    cmpi_prof_frame *f = prof_frame();
    int *in = NULL, *out = NULL, nin = 0, nout = 0;
    const int *peers = NULL;
    long long same = 0;
    if (f == NULL || n <= 0) {
        return;
    }
    if (nb != NULL) {
        prof_pending_error pending;
        prof_error_aside(&pending);
        /* (neighbour lists it cannot read: every block counts) */
        if (cmpi_topo_edges(nb, &in, &nin, &out, &nout) < 0) {
            in = out = NULL;
            nin = nout = 0;
        }
        else if ((dir == CMPI_MSG_SEND ? nout : nin) >= n) {
            peers = dir == CMPI_MSG_SEND ? out : in;
        }
        prof_error_back(&pending); /* (drops cmpi_topo_edges' error) */
    }
    for (int i = 0; i < n; i++) {
        long long c = counts != NULL ? counts[i] : count;
        if (c <= 0 || (peers != NULL && peers[i] == MPI_PROC_NULL)) {
            continue;
        }
        if (types != NULL) {
            prof_add_msg(f, dir, c, types[i]);
        }
        else {
            same += c;
        }
    }
    if (types == NULL) {
        prof_add_msg(f, dir, same, dtype);
    }
    PyMem_Free(in);
    PyMem_Free(out);
}

/* What each Start of a persistent request moves is kept in the request
 * (its owner's, for a copy made by Prequest(other)) by its *_init call. */
static RequestObject *
prof_request_owner(RequestObject *r)
{
    return r->owner != NULL ? (RequestObject *)r->owner : r;
}

static CMPI_NOINLINE void
cmpi_prof_mark_slow(void)
{
    cmpi_prof_frame *f = prof_frame();
    if (f != NULL) {
        f->mark_sent = f->acc->sent;
        f->mark_received = f->acc->received;
    }
}

static CMPI_NOINLINE void
cmpi_prof_keep_slow(RequestObject *r)
{
    cmpi_prof_frame *f = prof_frame();
    if (f == NULL) {
        return;
    }
    /* counted at each Start, not here (a _prof_reset by a callback during
     * the call may have emptied acc since the mark) */
    long long sent = f->acc->sent - f->mark_sent;
    long long received = f->acc->received - f->mark_received;
    sent = sent > 0 ? sent : 0;
    received = received > 0 ? received : 0;
    f->acc->sent -= sent;
    f->acc->received -= received;
    if (r == NULL) {
        return;
    }
    RequestObject *owner = prof_request_owner(r);
    owner->prof_sent = sent;
    owner->prof_received = received;
    owner->prof_peer = f->peer;
    owner->prof_tag = f->tag;
    owner->prof_kept = 1;
}

static CMPI_NOINLINE void
cmpi_prof_start_slow(RequestObject *r, int peer)
{
    cmpi_prof_frame *f = prof_frame();
    if (f == NULL) {
        return;
    }
    RequestObject *owner = prof_request_owner(r);
    if (!owner->prof_kept) {
        return; /* made while no profile ran, or on another thread */
    }
    f->acc->sent += owner->prof_sent;
    f->acc->received += owner->prof_received;
    if (peer) {
        f->peer = owner->prof_peer;
        f->tag = owner->prof_tag;
    }
}

static CMPI_NOINLINE void
cmpi_prof_wait_begin_slow(void)
{
    cmpi_prof_frame *f = prof_frame();
    if (f == NULL) {
        return;
    }
    if (!prof_exact) { /* the frame's call is the running one */
        int running =
                atomic_load_explicit(&prof_running, memory_order_relaxed);
        atomic_store_explicit(&prof_running, running | 1,
                              memory_order_relaxed);
    }
    else if (f->wait_start == 0) {
        f->wait_start = prof_ticks();
    }
}

static CMPI_NOINLINE void
cmpi_prof_wait_end_slow(void)
{
    cmpi_prof_frame *f = prof_frame();
    if (f == NULL) {
        return;
    }
    if (!prof_exact) {
        int running =
                atomic_load_explicit(&prof_running, memory_order_relaxed);
        atomic_store_explicit(&prof_running, running & ~1,
                              memory_order_relaxed);
    }
    else if (f->wait_start != 0) {
        f->wait_ns += prof_ticks() - f->wait_start;
        f->wait_start = 0;
    }
}

/* ------------------------------------------------------------------ */
/* The wrappers. */

enum prof_kind {
    PROF_METHOD,      /* bound to an instance: called with self first */
    PROF_CLASSMETHOD, /* bound to the class: called with the class first */
    PROF_STATIC       /* a staticmethod's function, or a module function */
};

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *orig;   /* what the dict held */
    PyObject *target; /* what is called: orig, or a staticmethod's function */
    vectorcallfunc target_call; /* target's vectorcall, or NULL */
    PyObject *name;             /* "Comm.Send" */
    int id;                     /* its index in prof_wrappers */
    int kind;
    int on_comm;      /* self is a communicator: its name goes in events */
    int forgets_name; /* Set_name, Free, Disconnect: the cache is stale */
    prof_counts *cnt; /* &counts, or its slot in the live file */
    prof_counts counts;
    /* a direct method (see "Direct methods" below): the original's C
     * function and calling convention, else NULL */
    PyCFunction meth;
    int meth_flags;
} ProfWrapper;

typedef PyObject *(*prof_fastcall)(PyObject *, PyObject *const *, Py_ssize_t);
typedef PyObject *(*prof_fastcall_kw)(PyObject *, PyObject *const *,
                                      Py_ssize_t, PyObject *);

/* A direct method called in a way its own convention does not take (a
 * METH_NOARGS method given arguments ...): the original descriptor is
 * called, with self in front, so that it raises what it raises. */
static CMPI_NOINLINE PyObject *
prof_meth_misfit(ProfWrapper *w, PyObject *self, PyObject *const *args,
                 Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t n = nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    PyObject **all = PyMem_Malloc((size_t)(n + 1) * sizeof(PyObject *));
    if (all == NULL) {
        return PyErr_NoMemory();
    }
    all[0] = self;
    for (Py_ssize_t i = 0; i < n; i++) {
        all[i + 1] = args[i];
    }
    PyObject *r =
            PyObject_Vectorcall(w->target, all, (size_t)nargs + 1, kwnames);
    PyMem_Free(all);
    return r;
}

/* Calls what the wrapper stands for: a direct method with self apart
 * (self != NULL), anything else with self, if any, first in args. */
static inline PyObject *
prof_forward(ProfWrapper *w, PyObject *self, PyObject *const *args,
             size_t nargsf, PyObject *kwnames)
{
    /* most of cmpi's methods (Send, Recv ... every one with keywords):
     * tested first, the switch cost 4 more instructions a call */
    if (CMPI_LIKELY(w->meth_flags == (METH_FASTCALL | METH_KEYWORDS)) &&
        self != NULL) {
        return ((prof_fastcall_kw)(void (*)(void))w->meth)(
                self, args, PyVectorcall_NARGS(nargsf), kwnames);
    }
    if (self != NULL) {
        Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
        switch (w->meth_flags) {
            case METH_FASTCALL | METH_KEYWORDS:
                return ((prof_fastcall_kw)(void (*)(void))w->meth)(
                        self, args, nargs, kwnames);
            case METH_NOARGS:
                if (nargs == 0 && kwnames == NULL) {
                    return w->meth(self, NULL);
                }
                break;
            case METH_O:
                if (nargs == 1 && kwnames == NULL) {
                    return w->meth(self, args[0]);
                }
                break;
            case METH_FASTCALL:
                if (kwnames == NULL) {
                    return ((prof_fastcall)(void (*)(void))w->meth)(self, args,
                                                                    nargs);
                }
                break;
            default: break;
        }
        return prof_meth_misfit(w, self, args, nargs, kwnames);
    }
    if (CMPI_LIKELY(w->target_call != NULL)) {
        return w->target_call(w->target, args, nargsf, kwnames);
    }
    return PyObject_Vectorcall(w->target, args, nargsf, kwnames);
}

/* The index of a communicator's name in prof_comm_names, -1 for none.
 * Looked up before the call (Free ends the handle). */
static int
prof_comm_name(MPI_Comm comm)
{
    for (int i = 0; i < prof_comm_cached; i++) {
        if (prof_comm_cache[i].comm == comm) {
            return prof_comm_cache[i].name;
        }
    }
    int id = -1, fin = 1, len = 0;
    char name[MPI_MAX_OBJECT_NAME + 1];
    name[0] = '\0';
    if (comm != MPI_COMM_NULL && MPI_Finalized(&fin) == MPI_SUCCESS && !fin &&
        MPI_Comm_get_name(comm, name, &len) == MPI_SUCCESS && len > 0) {
        name[len < MPI_MAX_OBJECT_NAME ? len : MPI_MAX_OBJECT_NAME] = '\0';
        prof_pending_error pending;
        prof_error_aside(&pending);
        PyObject *s = PyUnicode_FromString(name);
        if (s == NULL) {
            prof_error_back(&pending);
            return -1;
        }
        Py_ssize_t n = PyList_GET_SIZE(prof_comm_names);
        for (Py_ssize_t i = 0; i < n && id < 0; i++) {
            int eq = PyUnicode_Compare(s, PyList_GET_ITEM(prof_comm_names, i));
            if (eq == 0) {
                id = (int)i;
            }
        }
        if (id < 0) {
            if (PyList_Append(prof_comm_names, s) < 0) {
                Py_DECREF(s);
                prof_error_back(&pending);
                return -1;
            }
            id = (int)n;
        }
        Py_DECREF(s);
        prof_error_back(&pending);
    }
    if (prof_comm_cached == PROF_COMM_CACHE) {
        prof_comm_cached = 0; /* full: start again */
    }
    prof_comm_cache[prof_comm_cached].comm = comm;
    prof_comm_cache[prof_comm_cached].name = id;
    prof_comm_cached++;
    return id;
}

static void
prof_record(ProfWrapper *w, long long start, long long duration,
            const cmpi_prof_frame *f, int comm)
{
    prof_event *e = &prof_ring[prof_ring_next];
    e->start = start;
    e->duration = duration;
    e->nbytes = f->acc->sent + f->acc->received;
    e->peer = f->peer;
    e->tag = f->tag;
    e->name = w->id;
    e->comm = comm;
    if (++prof_ring_next == prof_ring_size) {
        prof_ring_next = 0;
    }
    prof_ring_written++;
}

static CMPI_NOINLINE PyObject *
prof_call_counted(ProfWrapper *w, PyObject *self, PyObject *const *args,
                  size_t nargsf, PyObject *kwnames)
{
    if (CMPI_UNLIKELY(!prof_on_main())) {
        if (!prof_exact) {
            w->cnt->calls++;
            return prof_forward(w, self, args, nargsf, kwnames);
        }
        long long t0 = prof_ticks();
        PyObject *r = prof_forward(w, self, args, nargsf, kwnames);
        w->cnt->calls++;
        w->cnt->time_ticks += prof_ticks() - t0;
        return r;
    }
    int comm = -1;
    PyObject *first = self != NULL                     ? self
                      : PyVectorcall_NARGS(nargsf) > 0 ? args[0]
                                                       : NULL;
    if (cmpi_prof_tracing && w->on_comm && first != NULL &&
        PyObject_TypeCheck(first, prof_comm_type)) {
        comm = prof_comm_name(((CommObject *)first)->ob_mpi);
    }
    if (w->forgets_name) {
        prof_comm_cached = 0;
    }
    prof_counts moved = {0, 0, 0, 0, 0};
    cmpi_prof_frame f = {&moved, 0, 0, -1, -1, 0, 0};
    cmpi_prof_frame *outer = cmpi_prof_cur;
    int exact = prof_exact; /* (a callback may restart the profile) */
    int timed = cmpi_prof_tracing || exact;
    int outer_running = -1;
    long long t0 = 0, t1 = 0;
    cmpi_prof_cur = &f;
    if (!exact) {
        outer_running =
                atomic_load_explicit(&prof_running, memory_order_relaxed);
        atomic_store_explicit(&prof_running, w->id << 1, memory_order_relaxed);
    }
    if (timed) {
        t0 = prof_ticks();
    }
    PyObject *r = prof_forward(w, self, args, nargsf, kwnames);
    if (timed) {
        t1 = prof_ticks();
    }
    if (!exact) {
        atomic_store_explicit(&prof_running, outer_running,
                              memory_order_relaxed);
    }
    cmpi_prof_cur = outer;
    w->cnt->calls++;
    w->cnt->sent += moved.sent;
    w->cnt->received += moved.received;
    if (exact) {
        if (f.wait_start != 0) { /* an exception left a wait open */
            f.wait_ns += t1 - f.wait_start;
        }
        w->cnt->time_ticks += t1 - t0;
        w->cnt->wait_ticks += f.wait_ns < t1 - t0 ? f.wait_ns : t1 - t0;
    }
    if (cmpi_prof_tracing && prof_ring != NULL) {
        prof_record(w, t0, t1 - t0, &f, comm);
    }
    return r;
}

/* The sampled profile's path (the main thread, no trace, no exact
 * timing): count, publish the running call, no clock.  Apart from
 * prof_call_counted so that it stays short.  fkw: w is a direct method
 * whose original takes METH_FASTCALL | METH_KEYWORDS, called straight
 * (prof_direct_sampled); else through prof_forward (prof_call_sampled). */
static CMPI_ALWAYS_INLINE PyObject *
prof_sampled_run(ProfWrapper *w, PyObject *self, PyObject *const *args,
                 size_t nargsf, PyObject *kwnames, int fkw)
{
    /* the bytes go to the wrapper's counters as the hooks count them; the
     * mark is set before it is read (cmpi_prof_mark); wait_ns and
     * wait_start serve exact timing, which a callback may turn on during
     * the call; peer and tag a request's later Start; the names of
     * communicators only the trace, whose _prof_start empties their cache
     * (so Set_name, Free ... need not here) */
    cmpi_prof_frame f;
    f.acc = w->cnt;
    f.wait_ns = f.wait_start = 0;
    f.peer = f.tag = -1;
    cmpi_prof_frame *outer = cmpi_prof_cur;
    int outer_running =
            atomic_load_explicit(&prof_running, memory_order_relaxed);
    cmpi_prof_cur = &f;
    atomic_store_explicit(&prof_running, w->id << 1, memory_order_relaxed);
    PyObject *r =
            fkw ? ((prof_fastcall_kw)(void (*)(void))w->meth)(
                          self, args, PyVectorcall_NARGS(nargsf), kwnames)
                : prof_forward(w, self, args, nargsf, kwnames);
    atomic_store_explicit(&prof_running, outer_running, memory_order_relaxed);
    cmpi_prof_cur = outer;
    w->cnt->calls++;
    return r;
}

static CMPI_NOINLINE PyObject *
prof_call_sampled(ProfWrapper *w, PyObject *self, PyObject *const *args,
                  size_t nargsf, PyObject *kwnames)
{
    return prof_sampled_run(w, self, args, nargsf, kwnames, 0);
}

static PyObject *
prof_call(PyObject *self, PyObject *const *args, size_t nargsf,
          PyObject *kwnames)
{
    ProfWrapper *w = (ProfWrapper *)self;
    int mode = cmpi_prof_active;
    if (CMPI_LIKELY(mode == PROF_OFF)) {
        return prof_forward(w, NULL, args, nargsf, kwnames);
    }
    if (mode == PROF_SAMPLED && prof_on_main()) {
        return prof_call_sampled(w, NULL, args, nargsf, kwnames);
    }
    return prof_call_counted(w, NULL, args, nargsf, kwnames);
}

/* Direct methods.  A wrapper object in a class's dict costs every call
 * the interpreter's generic call path and then the original descriptor's
 * own (its recursion check, its test of self's class): 316 instructions
 * of a Send + Recv pair of 4,040, more than the profile itself.  So an
 * instance method of a C class (a method descriptor) is replaced by
 * another method descriptor of the same name, docstring and class, whose
 * C function is a trampoline: the interpreter calls it as it called the
 * original, and the trampoline knows its wrapper by its number.  The
 * trampolines are made here by the preprocessor, as many as
 * PROF_DIRECT_MAX; methods past that (none today: the test
 * test_every_method_is_direct says so) keep a wrapper object. */
#define PROF_DIRECT_MAX 1024
static ProfWrapper *prof_direct_wrapper[PROF_DIRECT_MAX];
static PyMethodDef prof_direct_def[PROF_DIRECT_MAX];
/* the original method each trampoline stands for (for the subclasses'
 * copies of it, MPI._method_copies) */
static PyMethodDef *prof_direct_orig[PROF_DIRECT_MAX];
static int prof_direct_count = 0;

/* Not inlined: inlined into each of the 1,024 trampolines it used up
 * the compiler's inlining budget for the whole module, and cmpi_as_int,
 * cmpi_wait ... stopped being inlined into everything else (+100
 * instructions a Send + Recv pair, profile or not). */
static CMPI_NOINLINE PyObject *
prof_direct(int k, PyObject *self, PyObject *const *args, Py_ssize_t nargs,
            PyObject *kwnames)
{
    ProfWrapper *w = prof_direct_wrapper[k];
    int mode = cmpi_prof_active;
    if (CMPI_LIKELY(mode == PROF_OFF)) {
        return prof_forward(w, self, args, (size_t)nargs, kwnames);
    }
    if (mode == PROF_SAMPLED && prof_on_main()) {
        return prof_call_sampled(w, self, args, (size_t)nargs, kwnames);
    }
    return prof_call_counted(w, self, args, (size_t)nargs, kwnames);
}

/* The sampled profile's direct path, which a direct method whose original
 * takes METH_FASTCALL | METH_KEYWORDS calls while the sampled profile runs
 * (prof_direct_set): prof_direct and prof_call_sampled in one call,
 * without their tests of the mode and of the calling convention (28
 * instructions of a Send + Recv pair).  A call from another thread goes
 * the general way. */
static CMPI_NOINLINE PyObject *
prof_direct_sampled(int k, PyObject *self, PyObject *const *args,
                    Py_ssize_t nargs, PyObject *kwnames)
{
    if (CMPI_UNLIKELY(!prof_on_main() || cmpi_prof_active != PROF_SAMPLED)) {
        return prof_direct(k, self, args, nargs, kwnames);
    }
    return prof_sampled_run(prof_direct_wrapper[k], self, args, (size_t)nargs,
                            kwnames, 1);
}

/* PROF_TRAMP(n) with n three or four octal digits defines trampolines
 * number 0n (an octal literal): prof_tramp_n to prof_direct, and
 * prof_stramp_n to prof_direct_sampled */
#define PROF_TRAMP(n)                                                       \
    static PyObject *prof_tramp_##n(PyObject *self, PyObject *const *args,  \
                                    Py_ssize_t nargs, PyObject *kwnames)    \
    {                                                                       \
        return prof_direct(0##n, self, args, nargs, kwnames);               \
    }                                                                       \
    static PyObject *prof_stramp_##n(PyObject *self, PyObject *const *args, \
                                     Py_ssize_t nargs, PyObject *kwnames)   \
    {                                                                       \
        return prof_direct_sampled(0##n, self, args, nargs, kwnames);       \
    }
/* (clang-format does not settle on one layout for these three) */
/* clang-format off */
#define PROF_TRAMP8(n) \
    PROF_TRAMP(n##0) PROF_TRAMP(n##1) PROF_TRAMP(n##2) PROF_TRAMP(n##3) \
    PROF_TRAMP(n##4) PROF_TRAMP(n##5) PROF_TRAMP(n##6) PROF_TRAMP(n##7)
#define PROF_TRAMP64(n) \
    PROF_TRAMP8(n##0) PROF_TRAMP8(n##1) PROF_TRAMP8(n##2) PROF_TRAMP8(n##3) \
    PROF_TRAMP8(n##4) PROF_TRAMP8(n##5) PROF_TRAMP8(n##6) PROF_TRAMP8(n##7)
#define PROF_TRAMP512(n) \
    PROF_TRAMP64(n##0) PROF_TRAMP64(n##1) PROF_TRAMP64(n##2) \
    PROF_TRAMP64(n##3) PROF_TRAMP64(n##4) PROF_TRAMP64(n##5) \
    PROF_TRAMP64(n##6) PROF_TRAMP64(n##7)
/* clang-format on */
PROF_TRAMP512(0)
PROF_TRAMP512(1)
#undef PROF_TRAMP
#define PROF_TRAMP(n) prof_tramp_##n,
static const prof_fastcall_kw prof_tramps[PROF_DIRECT_MAX] = {
        PROF_TRAMP512(0) PROF_TRAMP512(1)};
#undef PROF_TRAMP
#define PROF_TRAMP(n) prof_stramp_##n,
static const prof_fastcall_kw prof_stramps[PROF_DIRECT_MAX] = {
        PROF_TRAMP512(0) PROF_TRAMP512(1)};
#undef PROF_TRAMP
#undef PROF_TRAMP8
#undef PROF_TRAMP64
#undef PROF_TRAMP512

/* What direct method k's C function is in profile mode `mode`: its
 * trampoline to prof_direct, except where the original takes
 * METH_FASTCALL | METH_KEYWORDS (Send, Recv and most of cmpi's methods):
 * then, while counting is off, the original's own function, so that an
 * installed but stopped profile (before _prof_start, after
 * cmpi.profiling()'s region) costs those calls nothing (the trampoline
 * and prof_direct's test of the mode were 50 instructions of a Send + Recv
 * pair), and while the sampled profile runs, its trampoline to
 * prof_direct_sampled.  The interpreter reads a method descriptor's
 * ml_meth at each call (the descriptor's own call, the bound method
 * objects made from it, the specialized call instructions of 3.11 to
 * 3.13, which test ml_flags, left as it is), so the switch takes effect at
 * the next call; a call that began before it runs as it began. */
static void
prof_direct_set(int k, int mode)
{
    ProfWrapper *w = prof_direct_wrapper[k];
    PyCFunction f = (PyCFunction)(void (*)(void))prof_tramps[k];
    if (w->meth_flags == (METH_FASTCALL | METH_KEYWORDS)) {
        if (mode == PROF_OFF) {
            f = w->meth;
        }
        else if (mode == PROF_SAMPLED) {
            f = (PyCFunction)(void (*)(void))prof_stramps[k];
        }
    }
    prof_direct_def[k].ml_meth = f;
}

static void
prof_direct_switch(int mode)
{
    for (int k = 0; k < prof_direct_count; k++) {
        prof_direct_set(k, mode);
    }
}

/* Wrapper objects of instance methods (those that are not direct
 * methods: Python functions, such as the collective checker's): in the
 * class's dict the wrapper, bound a method object (the interpreter calls
 * the wrapper with self first without making one:
 * Py_TPFLAGS_METHOD_DESCRIPTOR). */
static PyObject *
prof_get(PyObject *self, PyObject *obj, PyObject *type)
{
    ProfWrapper *w = (ProfWrapper *)self;
    switch (w->kind) {
        case PROF_METHOD:
            if (obj == NULL || obj == Py_None) {
                return Py_NewRef(self);
            }
            return PyMethod_New(self, obj);
        case PROF_CLASSMETHOD:
            return PyMethod_New(
                    self, type != NULL ? type : (PyObject *)Py_TYPE(obj));
        default: return Py_NewRef(self);
    }
}

/* The wrapper looks like what it wraps: its name, qualified name,
 * docstring and text signature, and any other attribute, are the
 * original's; __wrapped__ leads inspect.signature to it. */
static PyObject *
prof_getattro(PyObject *self, PyObject *name)
{
    ProfWrapper *w = (ProfWrapper *)self;
    PyObject *r = PyObject_GenericGetAttr(self, name);
    if (r != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return r;
    }
    PyErr_Clear();
    return PyObject_GetAttr(w->target, name);
}

static PyObject *
prof_get_forwarded(PyObject *self, void *attr)
{
    return PyObject_GetAttrString(((ProfWrapper *)self)->target,
                                  (const char *)attr);
}

static PyObject *
prof_get_wrapped(PyObject *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(((ProfWrapper *)self)->target);
}

/* A classmethod's wrapper is bound to the class as a method object,
 * whose signature is its function's without the first parameter: the
 * wrapper's own signature is the original's with `cls` put first.  Other
 * wrappers have none (inspect then follows __wrapped__). */
static PyObject *
prof_get_signature(PyObject *self, void *Py_UNUSED(closure))
{
    ProfWrapper *w = (ProfWrapper *)self;
    PyObject *inspect = NULL, *sig = NULL, *param = NULL, *kind = NULL;
    PyObject *params = NULL, *all = NULL, *r = NULL;
    if (w->kind != PROF_CLASSMETHOD) {
        PyErr_SetString(PyExc_AttributeError, "__signature__");
        return NULL;
    }
    inspect = PyImport_ImportModule("inspect");
    sig = inspect ? PyObject_CallMethod(inspect, "signature", "O", w->target)
                  : NULL;
    if (sig == NULL) {
        /* no signature to show: as if there were no attribute */
        if (PyErr_ExceptionMatches(PyExc_ValueError) ||
            PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_SetString(PyExc_AttributeError, "__signature__");
        }
        goto done;
    }
    PyObject *ptype = PyObject_GetAttrString(inspect, "Parameter");
    kind = ptype ? PyObject_GetAttrString(ptype, "POSITIONAL_ONLY") : NULL;
    param = kind ? PyObject_CallFunction(ptype, "sO", "cls", kind) : NULL;
    Py_XDECREF(ptype);
    PyObject *values =
            param ? PyObject_GetAttrString(sig, "parameters") : NULL;
    params = values ? PyObject_CallMethod(values, "values", NULL) : NULL;
    Py_XDECREF(values);
    all = params ? PySequence_List(params) : NULL;
    if (all == NULL || PyList_Insert(all, 0, param) < 0) {
        goto done;
    }
    PyObject *empty = PyTuple_New(0);
    PyObject *kw = empty ? Py_BuildValue("{sO}", "parameters", all) : NULL;
    PyObject *replace = kw ? PyObject_GetAttrString(sig, "replace") : NULL;
    r = replace ? PyObject_Call(replace, empty, kw) : NULL;
    Py_XDECREF(replace);
    Py_XDECREF(kw);
    Py_XDECREF(empty);
done:
    Py_XDECREF(inspect);
    Py_XDECREF(sig);
    Py_XDECREF(kind);
    Py_XDECREF(param);
    Py_XDECREF(params);
    Py_XDECREF(all);
    return r;
}

/* Pickled as the original is: by name (pickle finds the wrapper there). */
static PyObject *
prof_reduce(PyObject *self, PyObject *Py_UNUSED(a))
{
    return PyObject_CallMethod(((ProfWrapper *)self)->orig, "__reduce__",
                               NULL);
}

static PyMethodDef prof_methods[] = {
        {"__reduce__", prof_reduce, METH_NOARGS, NULL},
        {NULL, NULL, 0, NULL},
};

static PyObject *
prof_repr(PyObject *self)
{
    return PyObject_Repr(((ProfWrapper *)self)->orig);
}

static int
prof_traverse(PyObject *self, visitproc visit, void *arg)
{
    ProfWrapper *w = (ProfWrapper *)self;
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(w->orig);
    Py_VISIT(w->target);
    Py_VISIT(w->name);
    return 0;
}

static int
prof_clear(PyObject *self)
{
    ProfWrapper *w = (ProfWrapper *)self;
    Py_CLEAR(w->orig);
    Py_CLEAR(w->target);
    Py_CLEAR(w->name);
    w->target_call = NULL;
    return 0;
}

static void
prof_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    prof_clear(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

static PyGetSetDef prof_getset[] = {
        {"__doc__", prof_get_forwarded, NULL, NULL, "__doc__"},
        {"__name__", prof_get_forwarded, NULL, NULL, "__name__"},
        {"__qualname__", prof_get_forwarded, NULL, NULL, "__qualname__"},
        {"__text_signature__", prof_get_forwarded, NULL, NULL,
         "__text_signature__"},
        {"__module__", prof_get_forwarded, NULL, NULL, "__module__"},
        {"__wrapped__", prof_get_wrapped, NULL, NULL, NULL},
        {"__signature__", prof_get_signature, NULL, NULL, NULL},
        {NULL, NULL, NULL, NULL, NULL},
};

static PyMemberDef prof_members[] = {
        {"__vectorcalloffset__", T_PYSSIZET, offsetof(ProfWrapper, vectorcall),
         READONLY, NULL},
        {NULL, 0, 0, 0, NULL},
};

static PyType_Slot prof_slots[] = {
        {Py_tp_call, PyVectorcall_Call},
        {Py_tp_descr_get, prof_get},
        {Py_tp_getattro, prof_getattro},
        {Py_tp_getset, prof_getset},
        {Py_tp_members, prof_members},
        {Py_tp_methods, prof_methods},
        {Py_tp_repr, prof_repr},
        {Py_tp_traverse, prof_traverse},
        {Py_tp_clear, prof_clear},
        {Py_tp_dealloc, prof_dealloc},
        {0, NULL},
};

/* The wrappers answer __module__ with the original's (a __module__ in
 * the type's dict keeps PyType_FromSpec from setting its own). */
static PyType_Spec prof_method_spec = {
        .name = "cmpi.MPI._profiled_method",
        .basicsize = sizeof(ProfWrapper),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                 Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_METHOD_DESCRIPTOR,
        .slots = prof_slots,
};

static PyType_Spec prof_call_spec = {
        .name = "cmpi.MPI._profiled_call",
        .basicsize = sizeof(ProfWrapper),
        .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC |
                 Py_TPFLAGS_HAVE_VECTORCALL,
        .slots = prof_slots,
};

static ProfWrapper *
prof_wrap(PyObject *orig, PyObject *target, int kind, const char *owner,
          PyObject *attr, int on_comm)
{
    PyTypeObject *tp = kind == PROF_METHOD ? prof_method_type : prof_call_type;
    ProfWrapper *w = PyObject_GC_New(ProfWrapper, tp);
    if (w == NULL) {
        return NULL;
    }
    w->vectorcall = prof_call;
    w->orig = Py_NewRef(orig);
    w->target = Py_NewRef(target);
    w->target_call = PyVectorcall_Function(target);
    w->meth = NULL;
    w->meth_flags = 0;
    w->kind = kind;
    w->on_comm = on_comm;
    w->id = (int)PyList_GET_SIZE(prof_wrappers);
    memset(&w->counts, 0, sizeof(w->counts));
    w->cnt = &w->counts;
    w->name = PyUnicode_FromFormat("%s.%U", owner, attr);
    PyObject_GC_Track(w);
    if (w->name == NULL || PyList_Append(prof_wrappers, (PyObject *)w) < 0) {
        Py_DECREF(w);
        return NULL;
    }
    w->forgets_name =
            on_comm &&
            (PyUnicode_CompareWithASCIIString(attr, "Set_name") == 0 ||
             PyUnicode_CompareWithASCIIString(attr, "Free") == 0 ||
             PyUnicode_CompareWithASCIIString(attr, "Disconnect") == 0);
    return w;
}

/* What goes in the class's dict for v: a direct method (a new method
 * descriptor calling a trampoline) for a method descriptor whose calling
 * convention prof_forward knows, while trampolines are left; the wrapper
 * object otherwise.  A new reference, or NULL. */
static PyObject *
prof_direct_method(PyTypeObject *cls, PyObject *v, ProfWrapper *w)
{
    if (!Py_IS_TYPE(v, &PyMethodDescr_Type) || PyDescr_TYPE(v) != cls ||
        prof_direct_count == PROF_DIRECT_MAX) {
        return Py_NewRef((PyObject *)w);
    }
    PyMethodDef *def = ((PyMethodDescrObject *)v)->d_method;
    int flags = def->ml_flags;
    if (flags != (METH_FASTCALL | METH_KEYWORDS) && flags != METH_NOARGS &&
        flags != METH_O && flags != METH_FASTCALL) {
        return Py_NewRef((PyObject *)w);
    }
    int k = prof_direct_count;
    /* prof_wrappers keeps the wrapper for good */
    prof_direct_wrapper[k] = w;
    prof_direct_orig[k] = def;
    w->meth = def->ml_meth;
    w->meth_flags = flags;
    prof_direct_def[k].ml_name = def->ml_name;
    prof_direct_set(k, cmpi_prof_active);
    prof_direct_def[k].ml_flags = METH_FASTCALL | METH_KEYWORDS;
    prof_direct_def[k].ml_doc = def->ml_doc;
    PyObject *descr = PyDescr_NewMethod(cls, &prof_direct_def[k]);
    if (descr == NULL) {
        return NULL;
    }
    prof_direct_count++;
    return descr;
}

/* What goes in a subclass's dict for its copy of an inherited method
 * (MPI._method_copies, see MPI.c): what its base class holds now, so that
 * the call counts under the name of the class that defines the method
 * (the base is wrapped first).  For a direct method, a method descriptor
 * of the subclass's own with the same trampoline.  A new reference. */
static PyObject *
prof_copy_method(PyTypeObject *cls, PyObject *v, PyObject *attr)
{
    if (Py_IS_TYPE(v, &PyMethodDescr_Type)) {
        PyMethodDef *def = ((PyMethodDescrObject *)v)->d_method;
        for (int k = 0; k < prof_direct_count; k++) {
            if (prof_direct_orig[k] == def) {
                return PyDescr_NewMethod(cls, &prof_direct_def[k]);
            }
        }
    }
    PyObject *base_dict =
            PyObject_GetAttrString((PyObject *)cls->tp_base, "__dict__");
    if (base_dict == NULL) {
        return NULL;
    }
    PyObject *put = PyObject_GetItem(base_dict, attr);
    Py_DECREF(base_dict);
    return put;
}

/* Wrap the public callables a class defines itself (not those it
 * inherits: they are wrapped where they are defined).  Returns how many,
 * or -1. */
static int
prof_wrap_class(PyTypeObject *cls, const char *owner, int on_comm,
                PyObject *copies)
{
    /* a type's __dict__ is a read-only mapping proxy: a list of its
     * items, since setting an attribute changes the dict */
    PyObject *dict = PyObject_GetAttrString((PyObject *)cls, "__dict__");
    PyObject *items = dict ? PyMapping_Items(dict) : NULL;
    int count = 0;
    Py_XDECREF(dict);
    if (items == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        PyObject *attr = PyTuple_GET_ITEM(item, 0);
        PyObject *v = PyTuple_GET_ITEM(item, 1);
        PyObject *target = v;
        int kind;
        if (!PyUnicode_Check(attr) || PyUnicode_READ_CHAR(attr, 0) == '_') {
            continue;
        }
        int copy = copies != NULL ? PySet_Contains(copies, attr) : 0;
        if (copy != 0) {
            PyObject *put = copy > 0 ? prof_copy_method(cls, v, attr) : NULL;
            if (put == NULL ||
                PyObject_SetAttr((PyObject *)cls, attr, put) < 0) {
                Py_XDECREF(put);
                goto error;
            }
            Py_DECREF(put);
            continue; /* counted where it is defined */
        }
        if (PyObject_TypeCheck(v, &PyMethodDescr_Type) ||
            PyFunction_Check(v)) {
            kind = PROF_METHOD;
        }
        else if (PyObject_TypeCheck(v, &PyClassMethodDescr_Type)) {
            kind = PROF_CLASSMETHOD;
        }
        else if (PyObject_TypeCheck(v, &PyClassMethod_Type) ||
                 PyObject_TypeCheck(v, &PyStaticMethod_Type)) {
            kind = PyObject_TypeCheck(v, &PyClassMethod_Type)
                           ? PROF_CLASSMETHOD
                           : PROF_STATIC;
            target = PyObject_GetAttrString(v, "__func__");
            if (target == NULL) {
                goto error;
            }
            Py_DECREF(target); /* v holds it */
        }
        else {
            continue; /* properties, constants, nested classes */
        }
        ProfWrapper *w = prof_wrap(v, target, kind, owner, attr, on_comm);
        if (w == NULL) {
            goto error;
        }
        PyObject *put = prof_direct_method(cls, v, w);
        if (put == NULL) {
            Py_DECREF(w);
            goto error;
        }
        int rc = PyObject_SetAttr((PyObject *)cls, attr, put);
        Py_DECREF(put);
        Py_DECREF(w);
        if (rc < 0) {
            goto error;
        }
        count++;
    }
    Py_DECREF(items);
    return count;
error:
    Py_DECREF(items);
    return -1;
}

/* Wrap the callables of class v, a class cmpi.MPI defines (once each:
 * some have two names; not the buffer helper), base class first: a
 * class's copies of inherited methods (MPI._method_copies) take what its
 * base holds once wrapped.  Returns how many it wrapped, or -1. */
static int
prof_install_class(cmpi_state *st, PyObject *v, PyObject *seen,
                   PyObject *copies_by_class)
{
    PyObject *mod = PyObject_GetAttrString(v, "__module__");
    int ours = mod != NULL && PyUnicode_Check(mod) &&
               PyUnicode_CompareWithASCIIString(mod, "cmpi.MPI") == 0;
    Py_XDECREF(mod);
    PyErr_Clear();
    const char *tname = ((PyTypeObject *)v)->tp_name;
    const char *dot = strrchr(tname, '.');
    const char *owner = dot ? dot + 1 : tname;
    if (!ours || strcmp(owner, "buffer") == 0 ||
        strcmp(owner, "memory") == 0) {
        return 0;
    }
    int known = PySet_Contains(seen, v);
    if (known != 0) {
        return known < 0 ? -1 : 0;
    }
    if (PySet_Add(seen, v) < 0) {
        return -1;
    }
    PyObject *copies = copies_by_class != NULL
                               ? PyDict_GetItemWithError(copies_by_class, v)
                               : NULL; /* borrowed */
    int before = 0;
    if (copies == NULL && PyErr_Occurred()) {
        return -1;
    }
    if (copies != NULL) {
        before = prof_install_class(st,
                                    (PyObject *)((PyTypeObject *)v)->tp_base,
                                    seen, copies_by_class);
        if (before < 0) {
            return -1;
        }
    }
    int n = prof_wrap_class((PyTypeObject *)v, owner,
                            PyType_IsSubtype((PyTypeObject *)v, st->Comm_Type),
                            copies);
    return n < 0 ? -1 : before + n;
}

static PyObject *
mod_prof_install(PyObject *m, PyObject *Py_UNUSED(a))
{
    cmpi_state *st = cmpi_get_state(m);
    PyObject *mdict = PyModule_GetDict(m); /* borrowed */
    PyObject *items = NULL, *seen = NULL;
    long total = 0;
    if (prof_wrappers != NULL) {
        return PyLong_FromLong(0);
    }
    prof_method_type = (PyTypeObject *)PyType_FromSpec(&prof_method_spec);
    prof_call_type = (PyTypeObject *)PyType_FromSpec(&prof_call_spec);
    prof_wrappers = PyList_New(0);
    prof_comm_names = PyList_New(0);
    items = PyDict_Items(mdict);
    seen = PySet_New(NULL);
    if (prof_method_type == NULL || prof_call_type == NULL ||
        prof_wrappers == NULL || prof_comm_names == NULL || items == NULL ||
        seen == NULL) {
        goto error;
    }
    prof_comm_type = (PyTypeObject *)Py_NewRef(st->Comm_Type);
    PyObject *copies_by_class = PyDict_GetItemString(mdict, "_method_copies");
    PyObject *pickle_type = NULL,
             *pickle_obj = PyDict_GetItemString(mdict, "pickle");
    if (pickle_obj != NULL) {
        pickle_type = (PyObject *)Py_TYPE(pickle_obj);
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        PyObject *name = PyTuple_GET_ITEM(item, 0);
        PyObject *v = PyTuple_GET_ITEM(item, 1);
        if (!PyUnicode_Check(name) || PyUnicode_READ_CHAR(name, 0) == '_') {
            continue;
        }
        if (PyCFunction_Check(v)) {
            ProfWrapper *w = prof_wrap(v, v, PROF_STATIC, "MPI", name, 0);
            if (w == NULL) {
                goto error;
            }
            int rc = PyDict_SetItem(mdict, name, (PyObject *)w);
            Py_DECREF(w);
            if (rc < 0) {
                goto error;
            }
            total++;
            continue;
        }
        if (!PyType_Check(v) || v == pickle_type) {
            continue;
        }
        int n = prof_install_class(st, v, seen, copies_by_class);
        if (n < 0) {
            goto error;
        }
        total += n;
    }
    Py_DECREF(items);
    Py_DECREF(seen);
    return PyLong_FromLong(total);
error:
    /* what was wrapped stays wrapped (and working); a later call does
     * nothing */
    Py_XDECREF(items);
    Py_XDECREF(seen);
    if (prof_wrappers == NULL) {
        prof_wrappers = PyList_New(0);
    }
    return NULL;
}

static PyObject *
mod_prof_start(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    static const char *const kw[] = {"trace_events", "exact", NULL};
    PyObject *a[2] = {NULL, NULL};
    long long n = 0;
    int exact = 0;
    if (cmpi_parse("_prof_start", args, nargs, kwnames, kw, 0, a) < 0 ||
        (a[0] != NULL && cmpi_as_llong(a[0], &n, "trace_events") < 0)) {
        return NULL;
    }
    if (a[1] != NULL && (exact = PyObject_IsTrue(a[1])) < 0) {
        return NULL;
    }
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "trace_events must be >= 0");
        return NULL;
    }
    if (prof_wrappers == NULL || prof_comm_names == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_prof_install() first");
        return NULL;
    }
    /* 100 ticks a second, as gprof: each tick takes a core from a rank
     * for a moment, which a spinning rank on a full node pays for */
    long long interval_us = 10000;
    const char *env = getenv("CMPI_PROFILE_INTERVAL");
    if (!exact && env != NULL && env[0] != '\0') {
        char *end = NULL;
        double v = strtod(env, &end);
        while (end != NULL && (*end == ' ' || *end == '\t')) {
            end++;
        }
        if (end == env || end == NULL || *end != '\0' || !(v >= 50) ||
            !(v <= 1e6)) {
            PyErr_Format(PyExc_ValueError,
                         "CMPI_PROFILE_INTERVAL must be a number of "
                         "microseconds from 50 to 1000000, not '%s'",
                         env);
            return NULL;
        }
        interval_us = (long long)v;
    }
    Py_ssize_t nwrappers = PyList_GET_SIZE(prof_wrappers);
    if (prof_sampled == NULL || prof_sampled_n < nwrappers) {
        /* install wraps once: made once, at the first start */
        prof_sampler_stop();
        _Atomic long long *sampled =
                PyMem_RawCalloc((size_t)(nwrappers > 0 ? nwrappers : 1) * 2,
                                sizeof(_Atomic long long));
        if (sampled == NULL) {
            return PyErr_NoMemory();
        }
        if (prof_live != NULL) {
            prof_live_detach(); /* (not reached: install wraps once) */
        }
        PyMem_RawFree((void *)prof_sampled);
        prof_sampled = sampled;
        prof_sampled_n = nwrappers;
    }
    if (n > 0 && prof_ring == NULL) {
        if ((unsigned long long)n > SIZE_MAX / sizeof(prof_event)) {
            return PyErr_NoMemory();
        }
        prof_ring = PyMem_RawCalloc((size_t)n, sizeof(prof_event));
        if (prof_ring == NULL) {
            return PyErr_NoMemory();
        }
        prof_ring_size = n;
        prof_ring_written = prof_ring_next = 0;
    }
    prof_clock_init();
    if (!prof_on_main() || prof_main_gen == 0) {
        prof_thread_gen = ++prof_main_gen; /* this thread is the main one */
    }
    if (exact) {
        prof_sampler_stop();
    }
    else {
        if (prof_sampler_live && prof_interval_ns != interval_us * 1000) {
            prof_sampler_stop();
        }
        prof_interval_ns = interval_us * 1000;
        if (prof_sampler_start() < 0) {
            return NULL;
        }
    }
    prof_comm_cached = 0; /* handles freed while stopped may be reused */
    prof_exact = exact;
    cmpi_prof_tracing = n > 0;
    cmpi_prof_active = exact || n > 0 ? PROF_COUNTED : PROF_SAMPLED;
    prof_direct_switch(cmpi_prof_active);
    Py_RETURN_NONE;
}

static PyObject *
mod_prof_stop(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    cmpi_prof_active = PROF_OFF;
    cmpi_prof_tracing = 0;
    prof_direct_switch(PROF_OFF);
    prof_sampler_stop();
    Py_RETURN_NONE;
}

/* Whether the sampler thread runs (for the tests). */
static PyObject *
mod_prof_sampling(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    return PyBool_FromLong(prof_sampler_live);
}

static PyObject *
mod_prof_reset(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    Py_ssize_t n = prof_wrappers ? PyList_GET_SIZE(prof_wrappers) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        ProfWrapper *w = (ProfWrapper *)PyList_GET_ITEM(prof_wrappers, i);
        memset(w->cnt, 0, sizeof(*w->cnt));
    }
    for (Py_ssize_t i = 0; i < 2 * prof_sampled_n; i++) {
        atomic_store_explicit(&prof_sampled[i], 0, memory_order_relaxed);
    }
    if (!cmpi_prof_active) {
        prof_sampler_stop();
    }
    prof_ring_written = prof_ring_next = 0;
    prof_comm_cached = 0;
    Py_RETURN_NONE;
}

static PyObject *
mod_prof_data(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    PyObject *d = PyDict_New();
    Py_ssize_t n = prof_wrappers ? PyList_GET_SIZE(prof_wrappers) : 0;
    if (d == NULL) {
        return NULL;
    }
    prof_calibrate();
    for (Py_ssize_t i = 0; i < n; i++) {
        ProfWrapper *w = (ProfWrapper *)PyList_GET_ITEM(prof_wrappers, i);
        prof_counts c = *w->cnt;
        if (c.calls == 0) {
            continue;
        }
        /* in ns: the exact figures, and the sampled ones (one of the two
         * is 0 unless the timing changed without a reset) */
        c.time_ticks = prof_ticks_to_ns(c.time_ticks);
        c.wait_ticks = prof_ticks_to_ns(c.wait_ticks);
        if (i < prof_sampled_n) {
            c.time_ticks += atomic_load_explicit(&prof_sampled[2 * i],
                                                 memory_order_relaxed);
            c.wait_ticks += atomic_load_explicit(&prof_sampled[2 * i + 1],
                                                 memory_order_relaxed);
        }
        /* two wrappers of one name (a class reached twice): one entry */
        PyObject *had = PyDict_GetItemWithError(d, w->name);
        if (had != NULL) {
            long long v[5];
            for (int k = 0; k < 5; k++) {
                v[k] = PyLong_AsLongLong(PyTuple_GET_ITEM(had, k));
            }
            c.calls += v[0], c.time_ticks += v[1], c.wait_ticks += v[2];
            c.sent += v[3], c.received += v[4];
        }
        else if (PyErr_Occurred()) {
            goto error;
        }
        PyObject *t = Py_BuildValue("(LLLLL)", c.calls, c.time_ticks,
                                    c.wait_ticks, c.sent, c.received);
        if (t == NULL || PyDict_SetItem(d, w->name, t) < 0) {
            Py_XDECREF(t);
            goto error;
        }
        Py_DECREF(t);
    }
    return d;
error:
    Py_DECREF(d);
    return NULL;
}

/* Start order; an event that contains another (same start, longer) first. */
static int
prof_event_order(const void *pa, const void *pb)
{
    const prof_event *a = pa, *b = pb;
    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    if (a->duration != b->duration) {
        return a->duration > b->duration ? -1 : 1;
    }
    return 0;
}

static PyObject *
mod_prof_trace(PyObject *Py_UNUSED(m), PyObject *Py_UNUSED(a))
{
    long long kept = prof_ring_written < prof_ring_size ? prof_ring_written
                                                        : prof_ring_size;
    long long dropped = prof_ring_written - kept;
    prof_event *ev = NULL;
    PyObject *list = PyList_New((Py_ssize_t)kept);
    if (list == NULL) {
        return NULL;
    }
    if (kept > 0) {
        ev = PyMem_RawMalloc((size_t)kept * sizeof(prof_event));
        if (ev == NULL) {
            Py_DECREF(list);
            return PyErr_NoMemory();
        }
        memcpy(ev, prof_ring, (size_t)kept * sizeof(prof_event));
        qsort(ev, (size_t)kept, sizeof(prof_event), prof_event_order);
        prof_calibrate();
    }
    for (long long i = 0; i < kept; i++) {
        const prof_event *e = &ev[i];
        PyObject *name = PyList_GET_ITEM(prof_wrappers, e->name);
        PyObject *comm = e->comm >= 0
                                 ? PyList_GET_ITEM(prof_comm_names, e->comm)
                                 : Py_None;
        PyObject *t = Py_BuildValue("(OLLiiLO)", ((ProfWrapper *)name)->name,
                                    prof_ticks_to_mono(e->start),
                                    prof_ticks_to_ns(e->duration), e->peer,
                                    e->tag, e->nbytes, comm);
        if (t == NULL) {
            PyMem_RawFree(ev);
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    PyMem_RawFree(ev);
    PyObject *r = Py_BuildValue("(NL)", list, dropped);
    return r;
}

/* ------------------------------------------------------------------ */
/* The live file: a rank's counters kept in a shared file mapping, so that
 * a process killed without warning (MPICH's Hydra sends SIGKILL to every
 * rank when one calls MPI_Abort) still leaves its figures on disk, as of
 * the moment it died, for cmpi.profile to read.  Writing a mapped page
 * costs what writing the wrapper's own field did: no system call, no
 * thread; the kernel writes the pages back.  Layout (native byte order):
 * prof_live_head, the JSON header cmpi.profile passes (rank, host ...),
 * the wrappers' names each ended by '\n', zero bytes up to a multiple of
 * 8, then per wrapper id its prof_counts, then prof_sampled (2 per id). */

/* A mapping of the live file that is replaced or given up.  A sampled
 * call in flight on the main thread adds its bytes through a pointer into
 * it (its frame's acc), and another thread may switch the live file while
 * the main thread waits inside such a call: then the mapping stays until
 * a later switch finds no call in flight (what that call still adds goes
 * to the old file, not to the counters: a few bytes lost, no fault).  At
 * most PROF_RETIRED_MAX are kept; past that, they stay mapped. */
#define PROF_RETIRED_MAX 8
static struct {
    void *addr;
    size_t len;
} prof_retired[PROF_RETIRED_MAX];
static int prof_retired_n = 0;

static void
prof_live_unmap(void *addr, size_t len)
{
    if (cmpi_prof_cur != NULL) {
        if (prof_retired_n < PROF_RETIRED_MAX) {
            prof_retired[prof_retired_n].addr = addr;
            prof_retired[prof_retired_n].len = len;
            prof_retired_n++;
        }
        return;
    }
    for (int i = 0; i < prof_retired_n; i++) {
        munmap(prof_retired[i].addr, prof_retired[i].len);
    }
    prof_retired_n = 0;
    munmap(addr, len);
}

/* The counters back in the process's own memory, the mapping gone (the
 * file stays as it is).  Also in a forked child, whose counts must not go
 * into the parent's file: no Python call, only memory. */
static void
prof_live_detach(void)
{
    if (prof_live == NULL) {
        return;
    }
    Py_ssize_t n = prof_wrappers ? PyList_GET_SIZE(prof_wrappers) : 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        ProfWrapper *w = (ProfWrapper *)PyList_GET_ITEM(prof_wrappers, i);
        w->counts = *w->cnt;
        w->cnt = &w->counts;
    }
    _Atomic long long *sampled = PyMem_RawCalloc(
            (size_t)(prof_sampled_n > 0 ? prof_sampled_n : 1) * 2,
            sizeof(_Atomic long long));
    if (sampled != NULL) {
        for (Py_ssize_t i = 0; i < 2 * prof_sampled_n; i++) {
            atomic_store_explicit(&sampled[i],
                                  atomic_load_explicit(&prof_sampled[i],
                                                       memory_order_relaxed),
                                  memory_order_relaxed);
        }
    }
    else {
        prof_sampled_n = 0; /* the sampler then adds nothing */
    }
    prof_sampled = sampled;
    prof_live_unmap((void *)prof_live, prof_live_len);
    prof_live = NULL;
    prof_live_len = 0;
}

static PyObject *
mod_prof_live(PyObject *Py_UNUSED(m), PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *path = NULL, *names = NULL;
    Py_buffer header = {0};
    int fd = -1, was_sampling = prof_sampler_live;
    void *map = MAP_FAILED;
    size_t len = 0;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError,
                        "_prof_live() takes a path and a header");
        return NULL;
    }
    if (prof_wrappers == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "_prof_install() first");
        return NULL;
    }
    if (args[0] == Py_None) {
        prof_sampler_stop();
        prof_live_detach();
        if (was_sampling && prof_sampler_start() < 0) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    static int fork_hook = 0; /* (exact timing starts no sampler, whose
                                 fork hook detaches too) */
    if (!fork_hook) {
        if (pthread_atfork(NULL, NULL, prof_live_detach) != 0) {
            PyErr_SetString(PyExc_RuntimeError,
                            "cannot register the live file's fork hook");
            return NULL;
        }
        fork_hook = 1;
    }
    if (!PyUnicode_FSConverter(args[0], &path) ||
        PyObject_GetBuffer(args[1], &header, PyBUF_SIMPLE) < 0) {
        goto error;
    }
    Py_ssize_t n = PyList_GET_SIZE(prof_wrappers);
    names = PyUnicode_FromString("");
    for (Py_ssize_t i = 0; names != NULL && i < n; i++) {
        ProfWrapper *w = (ProfWrapper *)PyList_GET_ITEM(prof_wrappers, i);
        PyObject *line = PyUnicode_FromFormat("%U%U\n", names, w->name);
        Py_SETREF(names, line);
    }
    Py_ssize_t names_len = 0;
    const char *names_utf8 =
            names ? PyUnicode_AsUTF8AndSize(names, &names_len) : NULL;
    if (names_utf8 == NULL) {
        goto error;
    }
    size_t data_offset =
            sizeof(prof_live_head) + (size_t)header.len + (size_t)names_len;
    data_offset = (data_offset + 7) & ~(size_t)7;
    len = data_offset + (size_t)n * sizeof(prof_counts) +
          (size_t)(2 * (n > 0 ? n : 1)) * sizeof(long long);
    if (data_offset > UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "_prof_live(): header too long");
        goto error;
    }
    fd = open(PyBytes_AS_STRING(path), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
              0644);
    if (fd < 0 || ftruncate(fd, (off_t)len) != 0 ||
        (map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
                MAP_FAILED) {
        PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, args[0]);
        goto error;
    }
    close(fd);
    fd = -1;
    prof_live_head *head = map;
    char *base = map;
    memcpy(head->magic, "CMPILIV1", 8);
    head->header_len = (uint32_t)header.len;
    head->nwrappers = (uint32_t)n;
    head->names_len = (uint32_t)names_len;
    head->data_offset = (uint32_t)data_offset;
    memcpy(base + sizeof(prof_live_head), header.buf, (size_t)header.len);
    memcpy(base + sizeof(prof_live_head) + header.len, names_utf8,
           (size_t)names_len);
    prof_calibrate();
    head->ns_per_tick = prof_counter > 0 ? prof_ns_per_tick : 1.0;
    /* the sampler must not add to an array being replaced */
    prof_sampler_stop();
    prof_counts *slots = (prof_counts *)(base + data_offset);
    _Atomic long long *sampled = (_Atomic long long *)(slots + n);
    for (Py_ssize_t i = 0; i < n; i++) {
        ProfWrapper *w = (ProfWrapper *)PyList_GET_ITEM(prof_wrappers, i);
        slots[i] = *w->cnt;
        w->cnt = &slots[i];
    }
    for (Py_ssize_t i = 0; i < 2 * prof_sampled_n && i < 2 * n; i++) {
        atomic_store_explicit(
                &sampled[i],
                atomic_load_explicit(&prof_sampled[i], memory_order_relaxed),
                memory_order_relaxed);
    }
    if (prof_live != NULL) {
        prof_live_unmap((void *)prof_live, prof_live_len);
    }
    else {
        PyMem_RawFree((void *)prof_sampled);
    }
    prof_sampled = sampled;
    prof_sampled_n = n;
    prof_live = head;
    prof_live_len = len;
    atomic_store_explicit(&head->updated_ns, prof_clock_ns(CLOCK_REALTIME),
                          memory_order_relaxed);
    Py_DECREF(path);
    Py_DECREF(names);
    PyBuffer_Release(&header);
    if (was_sampling && prof_sampler_start() < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
error:
    if (map != MAP_FAILED) {
        munmap(map, len);
    }
    if (fd >= 0) {
        close(fd);
    }
    Py_XDECREF(path);
    Py_XDECREF(names);
    if (header.obj != NULL) {
        PyBuffer_Release(&header);
    }
    return NULL;
}

#define CMPI_PROFILE_METHODS                                                \
    {"_prof_install", (PyCFunction)mod_prof_install, METH_NOARGS,           \
     "_prof_install($module, /)\n--\n\nWrap every public callable (once): " \
     "returns how many."},                                                  \
            {"_prof_start", (PyCFunction)(void (*)(void))mod_prof_start,    \
             METH_FASTCALL | METH_KEYWORDS,                                 \
             "_prof_start($module, /, trace_events=0, exact=False)\n--\n\n" \
             "Start counting (and tracing into a ring of trace_events); "   \
             "time sampled, or exact (a clock read per call)."},            \
            {"_prof_stop", (PyCFunction)mod_prof_stop, METH_NOARGS,         \
             "_prof_stop($module, /)\n--\n\nStop counting and tracing."},   \
            {"_prof_reset", (PyCFunction)mod_prof_reset, METH_NOARGS,       \
             "_prof_reset($module, /)\n--\n\nZero the counters, empty the " \
             "ring."},                                                      \
            {"_prof_data", (PyCFunction)mod_prof_data, METH_NOARGS,         \
             "_prof_data($module, /)\n--\n\nCall name -> (calls, time_ns, " \
             "wait_ns, bytes_sent, bytes_received).  time_ns and wait_ns "  \
             "are sampled every CMPI_PROFILE_INTERVAL us (statistical, "    \
             "the innermost call's) unless _prof_start(exact=True)."},      \
            {"_prof_sampling", (PyCFunction)mod_prof_sampling, METH_NOARGS, \
             "_prof_sampling($module, /)\n--\n\nWhether the sampler "       \
             "thread runs."},                                               \
            {"_prof_live", (PyCFunction)(void (*)(void))mod_prof_live,      \
             METH_FASTCALL,                                                 \
             "_prof_live($module, path, header, /)\n--\n\nKeep the "        \
             "counters in a file mapped at path (header: bytes it "         \
             "starts with), or, with None, in memory again."},              \
            {"_prof_trace", (PyCFunction)mod_prof_trace, METH_NOARGS,       \
             "_prof_trace($module, /)\n--\n\n(events in time order, "       \
             "dropped)."},

#undef PROF_COMM_CACHE
#undef PROF_DIRECT_MAX
#undef PROF_TLS_MODEL
#undef PROF_RETIRED_MAX
