"""cmpi's type stubs stay true.

Three checks, in the openmpi configuration only (the stubs are the same
whatever MPI cmpi is built against):

* ``tools/gen_stubs.py`` regenerates ``src/cmpi/MPI.pyi`` byte for byte
  from the built module (every public name, parameter and type), and the
  installed stub is the committed one;
* mypy (pinned; ``tools/setup.sh openmpi`` installs it) checks examples/
  and tests/mpi/ against the installed stubs with pyproject.toml's
  ``[tool.mypy]``: wrong attribute names, argument names or counts and
  misused return values fail; missing annotations in test code do not;
* the same mypy run fails on a planted wrong stub (``toint`` typed
  ``-> None`` again), so the check itself can fail.

About 20 s on two cores (one mypy run over 70 files, one over a few lines).
"""

import shutil
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

ROOT = lu.ROOT
STUB = ROOT / "src" / "cmpi" / "MPI.pyi"
MYPY_VERSION = "2.4.1"  # as tools/setup.sh installs
TIMEOUT = 120

pytestmark = [
    pytest.mark.skipif(lu.REFERENCE, reason="CMPI_TEST_RUNNER set: checks of cmpi's own stubs"),
    pytest.mark.skipif(
        lu.launcher.config() != "openmpi",
        reason="the stubs are checked once, under the openmpi configuration"),
]


def _python(code, **kw):
    return lu.run([lu.python(), "-c", code], timeout=TIMEOUT, cwd=ROOT, **kw)


def _installed_package():
    job = _python("import cmpi, os; print(os.path.dirname(cmpi.__file__))")
    job.check_ok()
    return Path(job.stdout.strip())


def _mypy(*args, env=None):
    """Run the pinned mypy of the venv under test from the checkout."""
    job = _python("import mypy.version; print(mypy.version.__version__)")
    assert job.returncode == 0 and job.stdout.strip() == MYPY_VERSION, (
        f"mypy=={MYPY_VERSION} is not in {lu.python()}: run tools/setup.sh openmpi\n{job}")
    return lu.run([lu.python(), "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
                   *args], timeout=TIMEOUT, cwd=ROOT, env=env)


def test_generator_reproduces_committed_stub():
    job = lu.run([lu.python(), str(ROOT / "tools" / "gen_stubs.py")], timeout=TIMEOUT, cwd=ROOT)
    job.check_ok()
    assert job.stdout == STUB.read_text(), (
        "src/cmpi/MPI.pyi is not what tools/gen_stubs.py writes from the built module: "
        "regenerate it (.venv/openmpi/bin/python tools/gen_stubs.py > src/cmpi/MPI.pyi)")


def test_installed_stub_is_committed_stub():
    installed = _installed_package() / "MPI.pyi"
    assert installed.read_text() == STUB.read_text(), (
        f"{installed} differs from src/cmpi/MPI.pyi: run tools/setup.sh openmpi")


def test_examples_and_tests_typecheck(tmp_path):
    job = _mypy("--cache-dir", str(tmp_path / "cache"), "examples", "tests/mpi")
    assert job.returncode == 0 and "Success" in job.stdout, f"mypy found errors\n{job}"


def test_typecheck_fails_on_wrong_stub(tmp_path):
    """A stub that says ``toint() -> None`` (the generator's old fallback)
    makes ``comm.toint() + 1`` an error."""
    stubs = tmp_path / "stubs"
    shutil.copytree(_installed_package(), stubs / "cmpi",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__", "include"))
    wrong = stubs / "cmpi" / "MPI.pyi"
    text = wrong.read_text()
    assert "    def toint(self) -> int: ..." in text
    wrong.write_text(text.replace("    def toint(self) -> int: ...", "    def toint(self) -> None: ..."))
    program = tmp_path / "uses_toint.py"
    program.write_text(textwrap.dedent("""\
        from cmpi import MPI

        def handle_plus_one(comm: MPI.Comm) -> int:
            return comm.toint() + 1
        """))
    env = lu.job_env({"MYPYPATH": str(stubs)})
    args = ("--cache-dir", str(tmp_path / "cache"), str(program))
    bad = _mypy(*args, env=env)
    assert bad.returncode == 1 and "toint" in bad.stdout, f"mypy missed the wrong stub\n{bad}"
    good = _mypy(*args)
    assert good.returncode == 0, f"mypy rejects a correct use of toint\n{good}"
