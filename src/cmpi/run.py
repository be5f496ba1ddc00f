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

import io
import os
import runpy
import sys

from cmpi import _jobsafety

INFO_OPTIONS = ("--version", "--prefix", "--mpi-library", "--mpi-std-version", "--mpi-lib-version")

USAGE = """\
usage: python -m cmpi [options] <pyfile> [arg] ...
   or: python -m cmpi [options] -m <module> [arg] ...
   or: python -m cmpi [options] -c <command> [arg] ...
options:
  -h, --help            show this help and exit
  --version             show cmpi's version and exit
  --prefix              show the folder cmpi is installed in and exit
  --mpi-library         show the path of the MPI library cmpi uses and exit
  --mpi-std-version     show the MPI standard version and exit
  --mpi-lib-version     show the MPI library's version string and exit
  --hang-timeout SECS   report a rank that waits SECS seconds in one blocking
                        call (the call, its arguments and its Python stack);
                        same as CMPI_HANG_TIMEOUT=SECS
  --hang-abort          abort the job after such a report (CMPI_HANG_ABORT=1)
  --check-collectives   before each collective, check that every rank calls
                        the same one with the same root, op and size; raise
                        cmpi.CollectiveMismatchError on every rank if not
                        (CMPI_CHECK_COLLECTIVES=1; timeout CMPI_CHECK_TIMEOUT)
  --profile             count each rank's MPI calls, time, waiting and bytes;
                        at exit rank 0 prints one table and writes
                        cmpi-profile.json (CMPI_PROFILE=1; file
                        CMPI_PROFILE_FILE); see python -m cmpi.profile
  --trace FILE          write every MPI call to FILE as a timeline in the
                        Chrome trace event format (CMPI_TRACE=FILE; at most
                        CMPI_TRACE_EVENTS events per rank, default 1000000)
  --tag-output          prefix every line of output with [rank N]
  -rc <key=value,...>   set cmpi.rc.key=value (as mpi4py's runner does;
                        each value is a Python literal, or else a string)
--version, --prefix and the --mpi-* options combine: each prints its line,
in the order given, and the runner then exits without running a program
(MPI is not initialized for them).
"""


def _mpi_module():
    """cmpi.MPI, imported without initializing MPI (MPI_Get_version and
    MPI_Get_library_version may be called before MPI_Init)."""
    import cmpi

    if "cmpi.MPI" not in sys.modules:
        cmpi.rc.initialize = False
        cmpi.rc.finalize = False
    try:
        from cmpi import MPI
    except ImportError as exc:
        sys.stdout.flush()
        sys.stderr.write(f"cmpi: cannot load cmpi.MPI: {exc}\n")
        sys.exit(1)
    return MPI


def _mpi_library_path():
    """File of the shared library that defines MPI_Init in this process
    (asked of the dynamic linker with dladdr), or None."""
    import ctypes

    mpi = _mpi_module()

    class _DlInfo(ctypes.Structure):
        _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p),
                    ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]

    try:
        # dlsym through the extension's handle searches the libraries it
        # was linked with, so this finds the MPI cmpi.MPI actually uses.
        address = ctypes.cast(ctypes.CDLL(mpi.__file__).MPI_Init, ctypes.c_void_p)
        dladdr = ctypes.CDLL(None).dladdr
    except (OSError, AttributeError):
        return None
    dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(_DlInfo)]
    dladdr.restype = ctypes.c_int
    info = _DlInfo()
    if not dladdr(address, ctypes.byref(info)) or not info.fname:
        return None
    return os.path.realpath(os.fsdecode(info.fname))


def _info_line(option):
    import cmpi

    if option == "--version":
        return f"cmpi {cmpi.__version__}"
    if option == "--prefix":
        return os.path.dirname(os.path.abspath(cmpi.__file__))
    if option == "--mpi-library":
        path = _mpi_library_path()
        if path is None:
            sys.stderr.write("cmpi: cannot tell which file holds the MPI library\n")
            sys.exit(1)
        return path
    mpi = _mpi_module()
    if option == "--mpi-std-version":
        built = f"{mpi.VERSION}.{mpi.SUBVERSION}"
        running = "{}.{}".format(*mpi.Get_version())
        note = "" if running == built else f" (runtime: MPI {running})"
        return f"MPI {built}{note}"
    return mpi.Get_library_version().rstrip("\n")


def _info_exit(options):
    """Print what the info options asked for, in order, and exit; nothing
    when none was given."""
    if not options.get("info"):
        return
    for option in options["info"]:
        sys.stdout.write(_info_line(option) + "\n")
    sys.stdout.flush()
    sys.exit(0)


def _usage_error(message):
    sys.stderr.write(f"cmpi: {message}\n{USAGE}")
    sys.exit(2)


# mpi4py's runner also takes its long options with one dash.
SINGLE_DASH = {"-help", "-version", "-prefix", "-mpi-library", "-mpi-std-version",
               "-mpi-lib-version"}


def _parse_rc(text, options):
    """``-rc key=value,...`` into ``options["rc"]``: each value a Python
    literal, or else the string as given (mpi4py's rules)."""
    from ast import literal_eval

    for entry in text.split(","):
        key, _, value = entry.partition("=")
        if not key or not value:
            _usage_error(f"cannot parse rc option: {entry}")
        try:
            value = literal_eval(value)
        except (ValueError, SyntaxError):
            pass
        options.setdefault("rc", {})[key] = value


def _option_value(argv, i, name):
    """The value of the option at argv[i], given as ``name=value`` or as
    the next argument: (index of the value's argument, value)."""
    if "=" in argv[i]:
        return i, argv[i].split("=", 1)[1]
    if i + 1 < len(argv):
        return i + 1, argv[i + 1]
    _usage_error(f"argument expected for {name}")


def _parse(argv, options=None):
    """Split argv into (kind, target, program argv); runner options go into
    the dict ``options``."""
    options = {} if options is None else options
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in SINGLE_DASH:
            arg = "-" + arg
        if arg in ("-rc", "--rc") or arg.startswith("--rc="):
            if "=" in arg:
                value = arg.split("=", 1)[1]
            elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                i += 1
                value = argv[i]
            else:
                _usage_error(f"argument expected for {arg}")
            _parse_rc(value, options)
            i += 1
            continue
        if arg == "--hang-timeout" or arg.startswith("--hang-timeout="):
            i, value = _option_value(argv, i, "--hang-timeout")
            try:
                options["hang_timeout"] = float(value)
            except ValueError:
                _usage_error(f"--hang-timeout: not a number of seconds: {value!r}")
            i += 1
            continue
        if arg == "--trace" or arg.startswith("--trace="):
            i, value = _option_value(argv, i, "--trace")
            if not value:
                _usage_error("--trace: empty file name")
            options["trace"] = value
            i += 1
            continue
        if arg in ("--hang-abort", "--tag-output", "--check-collectives", "--profile"):
            options[arg[2:].replace("-", "_")] = True
            i += 1
            continue
        if arg in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if arg in INFO_OPTIONS:
            options.setdefault("info", []).append(arg)
            i += 1
            continue
        if arg in ("-m", "-c"):
            _info_exit(options)
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
    _info_exit(options)
    if i >= len(argv):
        _usage_error("no program given")
    target = argv[i]
    if target == "-":
        return "command", sys.stdin.read(), ["-"] + argv[i + 1:]
    return "path", target, argv[i:]


def _world():
    """(rank, size) if cmpi.MPI is imported and MPI is running, else None."""
    return _jobsafety.world()


def _flush():
    _jobsafety.flush()


def _abort(code):
    """Abort every rank of the job (when there are others to stop)."""
    _jobsafety.abort(code)


def _report(exc):
    skip = (__file__, runpy.__file__)
    _jobsafety.report_exception(type(exc), exc, exc.__traceback__, skip)


def _line_buffered():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True)
        except Exception:
            pass


def _launcher_rank():
    """This process's rank as the launcher's environment says, before MPI
    is initialized."""
    for name in ("OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"):
        value = os.environ.get(name)
        if value is not None and value.isdigit():
            return int(value)
    return 0


class _TaggedStream(io.TextIOBase):
    """A text stream that writes each complete line to ``stream`` with the
    rank in front, one write per line (so lines of ranks never mix)."""

    def __init__(self, stream):
        self._stream = stream
        self._partial = ""

    def _prefix(self):
        found = _jobsafety.world()
        return f"[rank {found[0] if found else _launcher_rank()}] "

    def write(self, text):
        text = self._partial + text
        lines = text.split("\n")
        self._partial = lines.pop()
        if lines:
            prefix = self._prefix()
            self._stream.write("".join(prefix + line + "\n" for line in lines))
            self._stream.flush()
        return len(text)

    def flush(self):
        if self._partial:
            self._stream.write(self._prefix() + self._partial)
            self._partial = ""
        self._stream.flush()

    def writable(self):
        return True

    def fileno(self):
        return self._stream.fileno()

    def isatty(self):
        return self._stream.isatty()

    @property
    def encoding(self):
        return self._stream.encoding

    @property
    def errors(self):
        return self._stream.errors


def _tag_output():
    sys.stdout = _TaggedStream(sys.stdout)
    sys.stderr = _TaggedStream(sys.stderr)


def _apply(options):
    """Runner options become rc settings before the program imports MPI."""
    import cmpi

    try:
        cmpi.rc(**options.get("rc", {}))
    except TypeError as exc:
        _usage_error(str(exc))
    if "hang_timeout" in options:
        cmpi.rc.hang_timeout = options["hang_timeout"]
        os.environ["CMPI_HANG_TIMEOUT"] = repr(options["hang_timeout"])
    if options.get("hang_abort"):
        cmpi.rc.hang_abort = True
        os.environ["CMPI_HANG_ABORT"] = "1"
    if options.get("check_collectives"):
        cmpi.rc.check_collectives = True
        os.environ["CMPI_CHECK_COLLECTIVES"] = "1"
    if options.get("profile"):
        cmpi.rc.profile = True
        os.environ["CMPI_PROFILE"] = "1"
    if options.get("trace"):
        cmpi.rc.trace = options["trace"]
        os.environ["CMPI_TRACE"] = options["trace"]
    if options.get("tag_output"):
        _tag_output()


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

    options = {}
    kind, target, prog_argv = _parse(sys.argv[1:] if argv is None else argv, options)
    cmpi.install_as_mpi4py()
    _line_buffered()
    _apply(options)
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
