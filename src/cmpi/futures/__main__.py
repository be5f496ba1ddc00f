"""``mpiexec -n N python -m cmpi.futures prog.py``: rank 0 runs the program,
ranks 1..N-1 serve the MPIPoolExecutors it makes (no Spawn needed).

``python -m cmpi.futures [--] <pyfile> [arg] ...``
``python -m cmpi.futures -m <module> [arg] ...``
``python -m cmpi.futures -c <command> [arg] ...``

As under ``python -m cmpi``, ``mpi4py`` resolves to cmpi, and an uncaught
exception on rank 0 prints its traceback and aborts the whole job.  The
workers import the program as ``__mp_main__`` (its ``if __name__ ==
"__main__":`` part does not run there), so functions it defines can be
sent to them.
"""

import os
import sys
import traceback


def _release(comm, workers):
    from . import pool

    pool._shutdown_all()
    for w in workers:
        comm.send(("exit",), dest=w, tag=1)


def _import_main_on_worker(kind, target, argv):
    from . import _core

    sys.argv[:] = argv
    if kind == "path":
        _core.import_main(("path", os.path.abspath(target)))
    elif kind == "module":
        _core.import_main(("module", target))
    else:
        import types

        mod = types.ModuleType("__mp_main__")
        sys.modules["__mp_main__"] = sys.modules["__main__"] = mod
        exec(compile(target, "<string>", "exec"), mod.__dict__)


def _run_program(kind, target, argv):
    """Run the program as ``__main__`` in a module that stays in
    sys.modules after it returns (runpy would restore the previous one),
    so the work of executors still running at the end can be pickled."""
    import importlib.util
    import types

    sys.argv[:] = argv
    mod = types.ModuleType("__main__")
    mod.__builtins__ = __builtins__
    if kind == "path":
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
        mod.__file__ = target
        with open(target, "rb") as f:
            code = compile(f.read(), target, "exec")
    elif kind == "module":
        sys.path.insert(0, "")
        spec = importlib.util.find_spec(target)
        if spec is None:
            raise ImportError(f"No module named {target!r}")
        if spec.submodule_search_locations is not None:
            spec = importlib.util.find_spec(target + ".__main__")
        code = spec.loader.get_code(spec.name)
        mod.__spec__ = spec
        mod.__file__ = spec.origin
        sys.argv[0] = spec.origin or target
    else:
        sys.path.insert(0, "")
        code = compile(target, "<string>", "exec")
    sys.modules["__main__"] = mod
    exec(code, mod.__dict__)


def _report(exc):
    """The program's traceback on stderr, without this runner's frames,
    each line prefixed ``[rank 0] ``."""
    here = os.path.abspath(__file__)
    tb = exc.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) == here:
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    sys.stderr.write("".join(f"[rank 0] {line}\n" for line in text.splitlines()))
    sys.stderr.flush()


def main(argv=None):
    import cmpi
    from cmpi import run as runner

    options = {}
    kind, target, prog_argv = runner._parse(sys.argv[1:] if argv is None else argv, options)
    cmpi.install_as_mpi4py()
    runner._line_buffered()
    if options.get("rc"):
        # Importing this package imported cmpi.MPI, which read cmpi.rc.
        runner._usage_error("-rc comes too late here: MPI is initialized when cmpi.futures is "
                            "imported; set CMPI_RC_<NAME>=value, or run "
                            "python -m cmpi -rc key=value -m cmpi.futures ...")
    from cmpi import MPI

    from . import _core, pool

    comm = MPI.COMM_WORLD.Dup()
    rank, size = comm.Get_rank(), comm.Get_size()
    workers_comm = comm.Split(0 if rank != 0 else MPI.UNDEFINED, rank)
    if rank != 0:
        import faulthandler

        faulthandler.enable()
        try:
            _import_main_on_worker(kind, target, prog_argv)
        except BaseException as exc:
            skip = {os.path.abspath(__file__), os.path.abspath(_core.__file__)}
            tb = exc.__traceback__
            while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) in skip:
                tb = tb.tb_next
            text = "".join(traceback.format_exception(type(exc), exc, tb))
            sys.stderr.write("".join(f"[rank {rank}] {line}\n" for line in text.splitlines()))
            sys.stderr.write(f"[rank {rank}] (the worker serves on; tasks that need "
                             "the program's __main__ will fail)\n")
        _core.serve(comm, 0, workers_comm, apply_main=False)
        sys.stdout.flush()
        return
    workers = list(range(1, size))
    if workers:
        pool._set_static_world(comm)
    try:
        _run_program(kind, target, prog_argv)
    except SystemExit as exc:
        code = exc.code
        if code is None or code == 0:
            _release(comm, workers)
            raise
        if not isinstance(code, int):
            sys.stderr.write(f"{code}\n")
            code = 1
        if size > 1:
            runner._abort(code)
        raise
    except KeyboardInterrupt as exc:
        _report(exc)
        runner._abort(130)
    except BaseException as exc:
        _report(exc)
        runner._abort(1)
    else:
        _release(comm, workers)


if __name__ == "__main__":
    main()
