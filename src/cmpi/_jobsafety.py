"""Keep a failing MPI job from hanging silently.

``cmpi.MPI`` calls ``install(rank, size, library)`` once MPI is up:

- an uncaught exception on one rank of a multi-rank job prints that rank's
  traceback, every line prefixed with ``[rank N] ``, and aborts the whole
  job (``rc.abort_on_error``), so the other ranks do not wait forever for
  it in a receive or a collective;
- SIGTERM (what ``scancel``, time limits and launchers send) prints each
  thread's Python stack before the process ends (``faulthandler``);
- a launcher that started N > 1 processes which each see a world of one
  process (a launcher of another MPI) is reported once.

The C side calls ``hang_report(text)`` when a blocking call has waited
longer than ``rc.hang_timeout``.
"""

import os
import sys
import threading
import traceback

_rank = 0
_size = 1
_previous_excepthook = None
_previous_thread_excepthook = None
_sigterm_dump = False


def _mpi():
    """``cmpi.MPI`` while MPI is running, else None."""
    mpi = sys.modules.get("cmpi.MPI")
    try:
        if mpi is None or not mpi.Is_initialized() or mpi.Is_finalized():
            return None
    except Exception:
        return None
    return mpi


def world():
    """(rank, size) of COMM_WORLD while MPI is running, else None."""
    mpi = _mpi()
    if mpi is None:
        return None
    try:
        return mpi.COMM_WORLD.Get_rank(), mpi.COMM_WORLD.Get_size()
    except Exception:
        return None


def rank_prefix():
    found = world()
    rank = found[0] if found else _rank
    return f"[rank {rank}] "


def flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def write_prefixed(text):
    """Write ``text`` to stderr with the rank before every line, in one
    write, so that lines of several ranks do not interleave."""
    prefix = rank_prefix()
    lines = [prefix + line for line in text.splitlines()]
    try:
        sys.stderr.write("\n".join(lines) + "\n")
    except Exception:
        os.write(2, ("\n".join(lines) + "\n").encode(errors="replace"))
    flush()


def report_exception(exc_type, exc, tb, skip_files=()):
    """Print an exception's traceback with the rank prefix, leaving out the
    leading frames that belong to ``skip_files`` (a runner's own)."""
    skip = {os.path.abspath(f) for f in skip_files}

    def skipped(name):
        return name.startswith("<frozen runpy") or os.path.abspath(name) in skip

    while skip and tb is not None and skipped(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    write_prefixed("".join(traceback.format_exception(exc_type, exc, tb)))


def abort(code):
    """End the job: MPI_Abort when other ranks would wait for this one,
    else just this process."""
    found = world()
    flush()
    _profile_partial("abort")
    if found is not None and found[1] > 1:
        sys.modules["cmpi.MPI"].COMM_WORLD.Abort(code)
    os._exit(code)


def _interactive():
    return hasattr(sys, "ps1") or bool(sys.flags.interactive)


def abort_wanted():
    """Should an uncaught exception abort the job?  Only with rc saying so,
    in a multi-rank world, outside an interactive session."""
    import cmpi

    if not cmpi.rc.abort_on_error or _interactive():
        return False
    found = world()
    return found is not None and found[1] > 1


def _excepthook(exc_type, exc, tb):
    if not abort_wanted():
        return _previous_excepthook(exc_type, exc, tb)
    report_exception(exc_type, exc, tb)
    abort(130 if issubclass(exc_type, KeyboardInterrupt) else 1)


def _thread_excepthook(args):
    # A thread that dies may be the one the other ranks wait for.
    if args.exc_type is SystemExit or not abort_wanted():
        return _previous_thread_excepthook(args)
    name = args.thread.name if args.thread is not None else "?"
    write_prefixed(f"uncaught exception in thread {name}:")
    report_exception(args.exc_type, args.exc_value, args.exc_traceback)
    abort(1)


def hang_report(text):
    """Called by a blocking call that has waited ``rc.hang_timeout``: what
    it waits for (``text``) and the Python stack that called it."""
    frames = traceback.extract_stack(sys._getframe(1))
    # Leave out the runner's frames (python -m cmpi, runpy) before the
    # program's own.
    here = os.path.dirname(os.path.abspath(__file__))
    while len(frames) > 1 and (frames[0].filename.startswith("<frozen")
                               or os.path.dirname(os.path.abspath(frames[0].filename)) == here):
        frames.pop(0)
    stack = "".join(traceback.format_list(frames))
    write_prefixed(f"cmpi: {text}\nPython stack (most recent call last):\n{stack}")
    _profile_partial("hang report")


def interrupt_report(what, ident):
    """Called from cmpi's SIGINT watcher thread when Ctrl-C reached the main
    thread (``ident``) inside an MPI call that cannot be interrupted
    (``what``), just before the job is aborted: the main thread's stack."""
    frame = sys._current_frames().get(ident)
    if frame is None:
        return
    frames = traceback.extract_stack(frame)
    here = os.path.dirname(os.path.abspath(__file__))
    while len(frames) > 1 and (frames[0].filename.startswith("<frozen")
                               or os.path.dirname(os.path.abspath(frames[0].filename)) == here):
        frames.pop(0)
    stack = "".join(traceback.format_list(frames))
    write_prefixed(f"Python stack of the interrupted call (most recent call last):\n{stack}")


# Environment variables by which launchers tell a process the job's size,
# and the launchers that set them.
_LAUNCH_SIZE_VARS = (
    ("OMPI_COMM_WORLD_SIZE", "Open MPI's mpirun/mpiexec", "openmpi"),
    ("PMI_SIZE", "MPICH's hydra mpiexec or Slurm's srun --mpi=pmi2", "mpich"),
    ("MPI_LOCALNRANKS", "MPICH's hydra mpiexec", "mpich"),
    ("SLURM_STEP_NUM_TASKS", "srun", None),
)
_LAUNCHER_OF = {
    "openmpi": "mpiexec.openmpi (Open MPI) or srun --mpi=pmix",
    "mpich": "mpiexec.mpich (MPICH hydra) or srun --mpi=pmi2",
}


def launch_mismatch(size, library, environ=None):
    """The warning to give when the environment says the job has more than
    one process but MPI sees a world of ``size`` == 1, else None."""
    env = os.environ if environ is None else environ
    if size != 1:
        return None
    for name, launcher, lib in _LAUNCH_SIZE_VARS:
        raw = env.get(name)
        try:
            n = int(raw)
        except (TypeError, ValueError):
            continue
        if n <= 1:
            # That launcher says one process: trust it over later ones
            # (Open MPI's orteds run as a Slurm step of their own).
            return None
        if name == "SLURM_STEP_NUM_TASKS":
            cause = ("srun's --mpi plugin (or SLURM_MPI_TYPE / MpiDefault) does not "
                     "match the MPI library cmpi is built against")
        elif lib == library:
            cause = "MPI failed to join the launcher's job"
        else:
            cause = f"this launcher belongs to another MPI than the one cmpi is built against"
        wanted = _LAUNCHER_OF.get(library, "the launcher of that MPI library")
        return (f"cmpi: warning: {name}={raw} says this job has {n} processes, but "
                f"MPI reports a world of 1 process, so each process runs alone. "
                f"Likely cause: {cause} (the variable is set by {launcher}; cmpi is "
                f"built against {library}). Start the job with {wanted}.")
    return None


def install(rank, size, library):
    """Hooks for a process whose MPI has just started (called by cmpi.MPI)."""
    global _rank, _size, _previous_excepthook, _previous_thread_excepthook
    _rank, _size = rank, size
    if _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _excepthook
        _previous_thread_excepthook = threading.excepthook
        threading.excepthook = _thread_excepthook
    message = launch_mismatch(size, library)
    if message is not None:
        sys.stderr.write(message + "\n")
        flush()
    _install_collective_checker()
    _install_profile(rank, size)
    return _install_sigterm_dump()


def _install_collective_checker():
    """rc.check_collectives: wrap the collective methods (cmpi._collcheck)."""
    try:
        import cmpi

        wanted = cmpi.rc.check_collectives
    except (ImportError, AttributeError):
        return
    if not wanted:
        return
    try:
        from cmpi import _collcheck

        _collcheck.enable()
    except Exception as exc:  # the caller would drop the error silently
        sys.stderr.write(f"cmpi: cannot enable the collective checker: {exc!r}\n")
        flush()


def _install_profile(rank, size):
    """rc.profile / rc.trace: count every MPI call (cmpi.profile)."""
    try:
        import cmpi

        profile, trace = cmpi.rc.profile, cmpi.rc.trace
    except (ImportError, AttributeError):
        return
    if not profile and not trace:
        return
    try:
        import importlib

        # not ``from cmpi import profile``: that is mpi4py's function
        _profile = importlib.import_module("cmpi.profile")
        _profile.enable(rank, size, profile=bool(profile), trace=trace)
    except Exception as exc:  # the caller would drop the error silently
        sys.stderr.write(f"cmpi: cannot enable the profile: {exc!r}\n")
        flush()


def _profile_partial(reason):
    """This rank's profile so far to its own file, when the process is
    about to end (abort) or may be (hang report)."""
    module = sys.modules.get("cmpi.profile")
    if module is not None:
        module.write_partial(reason)


def _install_sigterm_dump():
    """On SIGTERM, print every thread's Python stack, then terminate as
    before.  faulthandler does it from the C signal handler, so it works
    while the rank is blocked inside MPI too.  Not when the program set its
    own handler.  Returns True when installed."""
    import faulthandler
    import signal

    global _sigterm_dump
    if _sigterm_dump or threading.current_thread() is not threading.main_thread():
        return False
    try:
        handler = signal.getsignal(signal.SIGTERM)
        # cmpi.profile's handler (writes the rank's figures) is chained
        if handler is not signal.SIG_DFL and not getattr(handler, "cmpi_profile", False):
            return False
        fd = sys.stderr.fileno()
        faulthandler.register(signal.SIGTERM, file=fd, all_threads=True, chain=True)
    except Exception:
        return False
    _sigterm_dump = True
    return True
