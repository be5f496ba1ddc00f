"""Run an mpi4py program on cmpi, and never leave a job hanging.

``python -m cmpi [--] <pyfile> [arg] ...``
``python -m cmpi -m <module> [arg] ...``
``python -m cmpi -c <command> [arg] ...``

``import mpi4py`` and ``from mpi4py import MPI`` resolve to cmpi for the
run.  When the program ends with an uncaught exception on any rank of a
multi-rank job, that rank prints its traceback, every line prefixed with
``[rank N] ``, and the whole job is aborted with a non-zero status, so the
other ranks do not wait forever in a receive or a collective.
"""

import os
import runpy
import sys
import traceback

USAGE = """\
usage: python -m cmpi [options] <pyfile> [arg] ...
   or: python -m cmpi [options] -m <module> [arg] ...
   or: python -m cmpi [options] -c <command> [arg] ...
options:
  -h, --help     show this help and exit
  --version      show cmpi's version and exit
"""


def _usage_error(message):
    sys.stderr.write(f"cmpi: {message}\n{USAGE}")
    sys.exit(2)


def _parse(argv):
    """Split argv into (kind, target, program argv)."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if arg == "--version":
            import cmpi

            sys.stdout.write(f"cmpi {cmpi.__version__}\n")
            sys.exit(0)
        if arg in ("-m", "-c"):
            if i + 1 >= len(argv):
                _usage_error(f"argument expected for {arg}")
            kind = "module" if arg == "-m" else "command"
            rest = argv[i + 2:]
            argv0 = "-c" if kind == "command" else argv[i + 1]
            return kind, argv[i + 1], [argv0] + rest
        if arg == "--":
            i += 1
            break
        if arg.startswith("-") and arg != "-":
            _usage_error(f"unknown option {arg}")
        break
    if i >= len(argv):
        _usage_error("no program given")
    target = argv[i]
    if target == "-":
        return "command", sys.stdin.read(), ["-"] + argv[i + 1:]
    return "path", target, argv[i:]


def _world():
    """(rank, size) if cmpi.MPI is imported and MPI is running, else None."""
    mpi = sys.modules.get("cmpi.MPI")
    if mpi is None:
        return None
    try:
        if not mpi.Is_initialized() or mpi.Is_finalized():
            return None
        return mpi.COMM_WORLD.Get_rank(), mpi.COMM_WORLD.Get_size()
    except Exception:
        return None


def _user_traceback(exc):
    """The exception's traceback without the runner's own frames."""
    tb = exc.__traceback__
    skip = {os.path.abspath(__file__), os.path.abspath(runpy.__file__)}
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) in skip:
        tb = tb.tb_next
    return traceback.format_exception(type(exc), exc, tb)


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _abort(code):
    """Abort every rank of the job (when there are others to stop)."""
    world = _world()
    _flush()
    if world is not None and world[1] > 1:
        sys.modules["cmpi.MPI"].COMM_WORLD.Abort(code)
    os._exit(code)


def _report(exc):
    world = _world()
    rank = world[0] if world else int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("PMI_RANK", "0")))
    prefix = f"[rank {rank}] "
    text = "".join(_user_traceback(exc))
    lines = [prefix + line for line in text.splitlines()]
    # One write, so the lines of one rank are not interleaved with others.
    sys.stderr.write("\n".join(lines) + "\n")
    _flush()


def _line_buffered():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except Exception:
            pass


def run(kind, target, argv):
    """Run the program as __main__ with the given sys.argv."""
    sys.argv[:] = argv
    if kind == "path":
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
        runpy.run_path(target, run_name="__main__")
    elif kind == "module":
        sys.path.insert(0, "")
        runpy.run_module(target, run_name="__main__", alter_sys=True)
    else:
        sys.path.insert(0, "")
        import __main__

        code = compile(target, "<string>", "exec")
        exec(code, __main__.__dict__)


def main(argv=None):
    import cmpi

    kind, target, prog_argv = _parse(sys.argv[1:] if argv is None else argv)
    cmpi.install_as_mpi4py()
    _line_buffered()
    try:
        run(kind, target, prog_argv)
    except SystemExit as exc:
        code = exc.code
        if code is None or code == 0:
            raise
        if not isinstance(code, int):
            sys.stderr.write(f"{code}\n")
            code = 1
        world = _world()
        if world is not None and world[1] > 1:
            _abort(code)
        raise
    except KeyboardInterrupt as exc:
        _report(exc)
        _abort(130)
    except BaseException as exc:
        _report(exc)
        _abort(1)


if __name__ == "__main__":
    main()
