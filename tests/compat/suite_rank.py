"""One rank of a run of mpi4py's test suite against cmpi.

Started by ``run-mpi4py-suite`` under mpiexec, once per rank:

    python suite_rank.py TESTDIR OUTDIR SKIPFILE PER_TEST_SECONDS [MODULE ...]

``mpi4py`` resolves to cmpi (the import hook ``python -m cmpi`` installs).
Every rank loads the same tests in the same order, leaves out the test
ids listed in SKIPFILE (already done, hung, or not applicable), and runs
the rest, appending one JSON line per event to ``OUTDIR/rank-<r>.jsonl``:

    {"start": id}                      before a test runs
    {"id": id, "outcome": ..., ...}    after it ran (pass/fail/error/skip/standin)

so that when the job dies (a deadlock caught by the per-test watchdog, a
crash, mpiexec's time limit) the harness can tell which test was running.
The watchdog is faulthandler's: if one test takes longer than
PER_TEST_SECONDS, the rank dumps every thread's stack into
``OUTDIR/rank-<r>.hang`` and exits, which makes mpiexec end the job.

mpi4py's suite skips a test (or passes over a part of it) when a call
raises NotImplementedError, and cmpi answers each mpi4py name it lacks
with a stand-in that raises just that (cmpi/_mpi4py_api.py).  Such a skip
would hide a missing feature, so every stand-in is wrapped to note when it
raises, and a skipped test during which one raised -- or whose class or
method was marked skipped by its module's import while one raised there --
is recorded as ``standin`` (naming them), which the harness counts as a
failure in its honest pass rate.
"""

import faulthandler
import fnmatch
import json
import os
import sys
import time
import unittest


# Shorter per-test limits for tests that, when they hang, hang for good
# (Open MPI 4.1's spawn): {pattern: seconds}, from run-mpi4py-suite.
_SHORT_LIMITS = json.loads(os.environ.get("CMPI_COMPAT_SHORT_LIMITS", "{}"))


def main():
    testdir, outdir, skipfile, per_test, *modules = sys.argv[1:]
    per_test = float(per_test)
    sys.dont_write_bytecode = True
    sys.path.insert(0, testdir)

    import cmpi

    cmpi.install_as_mpi4py()
    # As mpi4py's test/main.py does by default: no GPU array backends.
    sys.modules["cupy"] = None
    sys.modules["numba"] = None
    from mpi4py import MPI

    _watch_standins(MPI)
    rank = MPI.COMM_WORLD.Get_rank()
    with open(skipfile, encoding="utf-8") as f:
        excluded = json.load(f)
    exact = {e for e in excluded if not any(c in e for c in "*?[")}
    patterns = [e for e in excluded if e not in exact]

    def skip(test_id):
        return test_id in exact or any(fnmatch.fnmatchcase(test_id, p) for p in patterns)

    log = open(os.path.join(outdir, f"rank-{rank}.jsonl"), "a", encoding="utf-8")
    hang = open(os.path.join(outdir, f"rank-{rank}.hang"), "w", encoding="utf-8")

    def emit(record):
        log.write(json.dumps(record) + "\n")
        log.flush()

    loader = unittest.TestLoader()
    tests = []
    for module in modules:
        _STANDINS_RAISED.clear()
        try:
            suite = loader.loadTestsFromName(module)
        except Exception as exc:  # the module does not import
            emit({"id": f"{module}.<import>", "outcome": "error", "detail": f"{type(exc).__name__}: {exc}"})
            continue
        finally:
            _IMPORT_STANDINS[module] = sorted(_STANDINS_RAISED)
        tests.extend(_flatten(suite))

    selected = [t for t in tests if not skip(_test_id(t))]
    emit({"order": [_test_id(t) for t in selected], "all": [_test_id(t) for t in tests]})
    selected = unittest.TestSuite(selected)
    # After each test the ranks meet on a communicator of their own, so a
    # rank that left a test early (an error before a collective call) waits
    # for the others there instead of running ahead into the next test,
    # where its calls would match those of the test the others are still in.
    # If the others never arrive, the watchdog names this test.
    sync = MPI.COMM_WORLD.Dup() if MPI.COMM_WORLD.Get_size() > 1 else None
    result = _Recorder(emit, per_test, hang, sync)
    selected.run(result)
    emit({"done": True})
    log.close()


# The stand-ins that raised NotImplementedError since the current test (or
# module import) began; and, per test module, those its import raised.
_STANDINS_RAISED = set()
_IMPORT_STANDINS = {}


def _watch_standins(MPI):
    """Wrap each of cmpi's stand-ins (cmpi._mpi4py_api.missing()) so that
    raising NotImplementedError also notes its name in _STANDINS_RAISED."""
    import functools

    from cmpi import _mpi4py_api

    def watched(name, fn):
        @functools.wraps(fn)
        def call(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except NotImplementedError:
                _STANDINS_RAISED.add(name)
                raise

        return call

    absent = []  # module-level classes and constants: raised by __getattr__
    for name in _mpi4py_api.missing():
        owner, _, attr = name.rpartition(".")
        holder = getattr(MPI, owner) if owner else MPI
        value = vars(holder).get(attr)
        if value is None:
            absent.append(name)
        elif isinstance(value, property):
            setattr(holder, attr, property(watched(name, value.fget), doc=value.__doc__))
        elif getattr(value, "__cmpi_missing__", False):
            setattr(holder, attr, watched(name, value))
    getattr_fn = vars(MPI).get("__getattr__")
    if absent and getattr_fn is not None:
        MPI.__getattr__ = watched("MPI.<absent name>", getattr_fn)


def _skipped_at_import(test):
    """The stand-ins that raised while the test's module was imported, if
    its class or method was marked skipped then (unittest.skip* decorators,
    mpi4py's unittest.disable)."""
    method = getattr(test, getattr(test, "_testMethodName", ""), None)
    if getattr(type(test), "__unittest_skip__", False) or getattr(method, "__unittest_skip__", False):
        return _IMPORT_STANDINS.get(type(test).__module__, [])
    return []


def _flatten(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


def _test_id(test):
    # unittest's ids of failed imports are "unittest.loader._FailedTest.X".
    test_id = test.id()
    if test_id.startswith("unittest.loader._FailedTest."):
        return test_id[len("unittest.loader._FailedTest."):] + ".<import>"
    return test_id


def _trace(err):
    import traceback

    text = "".join(traceback.format_exception(*err))
    return text[-2000:]


class _Recorder(unittest.TestResult):
    """Collects the outcome of each test (worst of its subtests)."""

    _rank = {"pass": 0, "skip": 1, "fail": 2, "error": 3}

    def __init__(self, emit, per_test, hang, sync):
        super().__init__()
        self._sync = sync
        self._emit = emit
        self._per_test = per_test
        self._hang = hang
        self._id = None

    def startTest(self, test):
        super().startTest(test)
        self._id = _test_id(test)
        self._outcome = None
        self._detail = ""
        _STANDINS_RAISED.clear()
        self._emit({"start": self._id})
        limit = self._per_test
        for pattern, seconds in _SHORT_LIMITS.items():
            if fnmatch.fnmatchcase(self._id, pattern):
                limit = min(limit, seconds)
        faulthandler.dump_traceback_later(limit, exit=True, file=self._hang)
        self._started = time.monotonic()

    def stopTest(self, test):
        if self._sync is not None:
            self._sync.Barrier()
        faulthandler.cancel_dump_traceback_later()
        seconds = time.monotonic() - self._started
        if self._outcome == "skip":
            standins = sorted(_STANDINS_RAISED) or _skipped_at_import(test)
            if standins:
                self._outcome = "standin"
                self._detail = (f"skipped after cmpi stand-in(s) raised NotImplementedError: {', '.join(standins)}"
                                f" (skip reason: {self._detail})")
        record = {"id": self._id, "outcome": self._outcome or "pass", "seconds": round(seconds, 3)}
        if self._detail:
            record["detail"] = self._detail
        self._emit(record)
        self._id = None
        super().stopTest(test)

    def _set(self, outcome, detail="", test=None):
        if self._id is None:
            # A class or module fixture failed or skipped, outside any test.
            self._emit({"id": str(test.id()), "outcome": outcome, "detail": detail})
            return
        if self._outcome is None or self._rank[outcome] > self._rank[self._outcome]:
            self._outcome = outcome
            self._detail = detail

    def addSuccess(self, test):
        self._set("pass")

    def addFailure(self, test, err):
        self._set("fail", _trace(err), test)

    def addError(self, test, err):
        self._set("error", _trace(err), test)

    def addSkip(self, test, reason):
        self._set("skip", str(reason), test)

    def addExpectedFailure(self, test, err):
        self._set("pass")

    def addUnexpectedSuccess(self, test):
        self._set("fail", "unexpected success")

    def addSubTest(self, test, subtest, err):
        if err is None:
            return
        if issubclass(err[0], test.failureException):
            self._set("fail", f"{subtest}: " + _trace(err))
        else:
            self._set("error", f"{subtest}: " + _trace(err))


if __name__ == "__main__":
    main()
