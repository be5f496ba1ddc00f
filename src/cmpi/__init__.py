"""cmpi: MPI for Python, written in C.

``from cmpi import MPI`` gives the MPI bindings, with mpi4py's API.
``python -m cmpi job.py`` runs an unmodified mpi4py program on cmpi.

This package module is kept thin: importing it does not initialize MPI;
importing ``cmpi.MPI`` does, as ``cmpi.rc`` says.
"""

import os as _os
import sys as _sys

__version__ = "0.1.0"
__all__ = ["MPI", "rc", "install_as_mpi4py", "get_include", "get_config", "profile",
           "profiling", "CollectiveMismatchError"]


def _parse_env(raw):
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on", "y"):
        return True
    if text in ("0", "false", "no", "off", "n"):
        return False
    if text in ("none", ""):
        return None
    return raw.strip()


def _env_value(name, default):
    """``CMPI_RC_<NAME>`` (or mpi4py's ``MPI4PY_RC_<NAME>``), parsed."""
    for prefix in ("CMPI_RC_", "MPI4PY_RC_"):
        raw = _os.environ.get(prefix + name.upper())
        if raw is not None:
            return _parse_env(raw)
    return default


class Rc:
    """Runtime configuration, read when ``cmpi.MPI`` is first imported.

    initialize
        Initialize MPI at import (default True).
    threads
        Ask for thread support (default True).
    thread_level
        'multiple' (default), 'serialized', 'funneled' or 'single'.
    finalize
        Finalize MPI at exit: None (default) finalizes if cmpi
        initialized it.
    abort_on_error
        When a program ends with an uncaught exception on one rank of a
        multi-rank job, print its traceback prefixed with the rank and
        abort the whole job (default True), so that the other ranks do not
        wait forever for it.
    hang_timeout
        Seconds a rank may wait inside one blocking call (receive, wait,
        probe, collective) before it reports the call and its Python stack
        on stderr; None (default) never reports.  Also ``CMPI_HANG_TIMEOUT``.
    hang_abort
        After such a report, abort the job (default False).  Also
        ``CMPI_HANG_ABORT``.
    check_collectives
        Check, before each collective call, that every rank of the
        communicator calls the same collective with the same root, op and
        message size, and raise ``cmpi.CollectiveMismatchError`` on every
        rank when they do not (default False).  Also
        ``CMPI_CHECK_COLLECTIVES``.
    profile
        Count, per MPI call name, each rank's calls, time, waiting time and
        bytes, and at exit print one table for the job on rank 0 and write
        ``cmpi-profile.json`` (default False; see ``cmpi.profile``).  Also
        ``CMPI_PROFILE``.
    trace
        File to write every MPI call to, as a timeline in the Chrome trace
        event format (default None: no timeline).  Also ``CMPI_TRACE``.
    yield_when_idle
        A rank waiting in a blocking call gives up its core between polls
        of MPI, and blocking collectives poll.  None (default) does so
        with MPICH when the launcher started more ranks on this node than
        it has cores: MPICH's own waits never yield, and with more ranks
        than cores each message then waits for the scheduler
        (milliseconds).  Open MPI yields by itself.
        Also ``CMPI_YIELD_WHEN_IDLE``.

    fast_reduce, recv_mprobe, irecv_bufsz, errors
        Accepted for mpi4py compatibility (defaults True, True, 32768,
        'exception'); cmpi's behaviour does not depend on them: its
        reductions, receives and error handling are always the same.

    Each can be set from the environment with ``CMPI_RC_<NAME>``, e.g.
    ``CMPI_RC_THREAD_LEVEL=funneled``.
    """

    _defaults = {
        "initialize": True,
        "threads": True,
        "thread_level": "multiple",
        "finalize": None,
        "abort_on_error": True,
        "hang_timeout": None,
        "hang_abort": False,
        "check_collectives": False,
        "profile": False,
        "trace": None,
        "yield_when_idle": None,
        "fast_reduce": True,
        "recv_mprobe": True,
        "irecv_bufsz": 32768,
        "errors": "exception",
    }
    # Shorter environment names for the job-safety options.
    _env_alias = {
        "hang_timeout": "CMPI_HANG_TIMEOUT",
        "hang_abort": "CMPI_HANG_ABORT",
        "check_collectives": "CMPI_CHECK_COLLECTIVES",
        "profile": "CMPI_PROFILE",
        "trace": "CMPI_TRACE",
        "yield_when_idle": "CMPI_YIELD_WHEN_IDLE",
    }

    def __init__(self, **kwargs):
        for name, default in self._defaults.items():
            value = _env_value(name, default)
            alias = self._env_alias.get(name)
            if value is default and alias and alias in _os.environ:
                value = _parse_env(_os.environ[alias])
            object.__setattr__(self, name, value)
        self(**kwargs)

    def __call__(self, **kwargs):
        for name, value in kwargs.items():
            setattr(self, name, value)

    def __setattr__(self, name, value):
        if name.startswith("__"):
            # Module attributes (__spec__, __loader__) that the import
            # system sets when ``import mpi4py.rc`` aliases this object.
            object.__setattr__(self, name, value)
            return
        if name not in self._defaults:
            raise TypeError(f"unexpected rc option {name!r}")
        object.__setattr__(self, name, value)

    def __repr__(self):
        opts = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._defaults)
        return f"<cmpi.rc: {opts}>"


rc = Rc()
# ``import cmpi.rc`` (and ``import mpi4py.rc``) give this object, as in mpi4py.
_sys.modules[__name__ + ".rc"] = rc


def get_include():
    """The folder of cmpi's C header, ``cmpi/cmpi.h``, for ``-I``.

    cmpi has no C API for other extension modules yet: the header only
    defines ``CMPI_VERSION`` (and its _MAJOR, _MINOR, _PATCH parts) and
    ``CMPI_HAVE_C_API`` as 0.  (mpi4py's folder holds ``mpi4py/mpi4py.h``
    with its Cython C API; cmpi does not imitate it.)"""
    folder = _os.path.join(_os.path.dirname(__file__), "include")
    if not _os.path.isfile(_os.path.join(folder, "cmpi", "cmpi.h")):
        # An editable install: the header is in the build tree, which the
        # package's resources can name.
        import importlib.resources

        try:
            header = str(importlib.resources.files(__name__) / "include" / "cmpi" / "cmpi.h")
        except (ImportError, TypeError, ValueError):
            header = ""
        if header and _os.path.isfile(header):
            folder = _os.path.dirname(_os.path.dirname(header))
    return folder


def get_config():
    """How cmpi was built, as recorded by meson at build time: a new dict.

    ``mpicc``: path of the MPI compiler wrapper used (absent when meson's
    ``dependency('mpi')`` found MPI without one); ``mpicc_command``: the
    wrapper as given ($MPICC, or ``mpicc`` found on PATH); ``mpi_source``:
    ``MPICC``, ``PATH``, ``python-bin`` (an ``mpicc`` beside the building
    Python) or ``meson dependency (...)``; ``mpi_version``: the version
    meson reports in that last case; ``compile_args`` and ``link_args``:
    the MPI flags (lists of str); ``mpi_library``: path of the MPI library
    those flags name ('' when it was not in their folders); ``mpi_abi``:
    True when built for the MPI-5 standard ABI.  An empty dict when the
    record is missing (cmpi run from a source tree without building)."""
    try:
        from cmpi._config import CONFIG
    except ImportError:
        return {}
    return {key: list(value) if isinstance(value, list) else value
            for key, value in CONFIG.items()}


def profile(name, *, path=None, logfile=None):
    """Load the MPI profiling library ``name`` (e.g. ``"vt"``, or a file
    path) into the process, before MPI is initialized, so that its MPI
    symbols take precedence.  ``path``: directories to search (a string or
    path, or a sequence of them).  ``logfile``: prefix of the profiler's log
    files (sets ``MPE_LOGFILE_PREFIX`` and ``VT_FILE_PREFIX``).

    Raises ValueError when the library is not found; warns (UserWarning)
    when it is found but cannot be loaded."""
    import ctypes
    import warnings

    if path is None:
        dirs = [""]
    elif isinstance(path, (str, bytes, _os.PathLike)):
        dirs = [_os.fsdecode(path)]
    else:
        dirs = [_os.fsdecode(p) for p in path]
    names = [name] if _os.sep in name else [f"lib{name}.so", name]
    found = None
    for directory in dirs:
        for candidate in names:
            filename = _os.path.join(directory, candidate) if directory else candidate
            if _os.path.isfile(filename):
                found = filename
                break
        if found:
            break
    if found is None and path is None:
        import ctypes.util

        found = ctypes.util.find_library(name)
    if found is None:
        raise ValueError(f"profiler {name!r} not found")
    try:
        ctypes.CDLL(found, mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        warnings.warn(f"profiler {name!r}: {exc}", UserWarning, stacklevel=2)
    if logfile:
        for var in ("MPE_LOGFILE_PREFIX", "VT_FILE_PREFIX"):
            _os.environ[var] = logfile


# ``import cmpi.profile`` (the MPI profile, cmpi/profile.py) replaces the
# attribute ``profile`` with that module, which calls this function.
_load_profiler = profile


class _Mpi4pyAlias:
    """Import hook: ``mpi4py`` and ``mpi4py.X`` resolve to ``cmpi`` and
    ``cmpi.X``, the same module objects (so MPI is initialized once).

    It is also the loader of its specs: runpy (``-m mpi4py.futures``,
    ``-m mpi4py``) does not import the module it runs but asks the loader
    for its code, which comes from the loader of ``cmpi.X``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "mpi4py" and not fullname.startswith("mpi4py."):
            return None
        import importlib.machinery
        import importlib.util

        real = self._real_name(fullname)
        if real in _sys.modules and not hasattr(_sys.modules[real], "__path__"):
            # A plain object registered as a module (cmpi.rc).
            return importlib.machinery.ModuleSpec(fullname, self)
        real_spec = importlib.util.find_spec(real)
        if real_spec is None:
            return None
        package = real_spec.submodule_search_locations is not None
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=real_spec.origin,
                                              is_package=package)
        # runpy sets __file__ and sys.argv[0] from the origin.
        spec.has_location = real_spec.has_location
        return spec

    @staticmethod
    def _real_name(fullname):
        return "cmpi" + fullname[len("mpi4py"):]

    def _real_loader(self, fullname):
        import importlib.util

        real = self._real_name(fullname)
        real_spec = importlib.util.find_spec(real)
        if real_spec is None or real_spec.loader is None:
            raise ImportError(f"no module named {real!r}", name=fullname)
        return real, real_spec.loader

    def create_module(self, spec):
        import importlib

        module = importlib.import_module(self._real_name(spec.name))
        self._saved = (module, getattr(module, "__spec__", None))
        return module

    def exec_module(self, module):
        # importlib has just pointed module.__spec__ at the alias; restore.
        saved_module, saved_spec = self._saved
        if saved_module is module:
            module.__spec__ = saved_spec

    # importlib.abc.InspectLoader, which runpy needs.
    def get_code(self, fullname):
        real, loader = self._real_loader(fullname)
        return loader.get_code(real)

    def get_source(self, fullname):
        real, loader = self._real_loader(fullname)
        return loader.get_source(real)

    def is_package(self, fullname):
        real, loader = self._real_loader(fullname)
        return loader.is_package(real)


def install_as_mpi4py():
    """Make ``import mpi4py`` and ``from mpi4py import MPI`` give cmpi."""
    for finder in _sys.meta_path:
        if isinstance(finder, _Mpi4pyAlias):
            return
    for name in [n for n in _sys.modules if n == "mpi4py" or n.startswith("mpi4py.")]:
        del _sys.modules[name]
    _sys.meta_path.insert(0, _Mpi4pyAlias())


def __getattr__(name):
    # ``cmpi.MPI`` is a submodule; ``from cmpi import MPI`` imports it.
    if name == "MPI":
        import importlib

        return importlib.import_module("cmpi.MPI")
    if name == "CollectiveMismatchError":
        # Derived from MPI.Exception, so it needs cmpi.MPI.
        from cmpi._collcheck import CollectiveMismatchError

        return CollectiveMismatchError
    if name == "profiling":
        from cmpi.profile import profiling

        return profiling
    raise AttributeError(f"module 'cmpi' has no attribute {name!r}")
