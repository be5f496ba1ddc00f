"""cmpi as a distribution: ``python -m build --sdist`` makes the sdist;
the sdist builds a wheel with a plain ``pip wheel`` in a fresh venv (build
isolation on, ``MPICC=mpicc.openmpi``: the build ``pip install`` of the sdist
makes), which installs there and runs a 2-rank job; the installed
cmpi reports its build (``get_config()``), its header folder
(``get_include()``) and the runner's diagnostics (``--version``,
``--prefix``, ``--mpi-library``, ``--mpi-std-version``,
``--mpi-lib-version``).

The sdist is made by ``meson dist``, from the last commit of this checkout
(uncommitted changes are not in it).  Everything here is skipped, with the
reason, only when the package index cannot be reached (the isolated builds
need meson-python and meson from it) or Open MPI is not installed.  About
a minute on two cores (one build of the extension).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

ROOT = lu.ROOT
STEP_TIMEOUT = 300
JOB_TIMEOUT = 60
MPICC = "mpicc.openmpi"
MPIEXEC = "mpiexec.openmpi"

pytestmark = [
    pytest.mark.skipif(
        lu.REFERENCE, reason="CMPI_TEST_RUNNER set: checks of cmpi's own packaging"),
    # The sdist is built against Debian's Open MPI whatever the configuration
    # under test, so it runs once, in the openmpi configuration's launch run.
    pytest.mark.skipif(
        lu.launcher.config() != "openmpi",
        reason="packaging is tested once, under the openmpi configuration"),
]

# Words of pip's errors when no index can be reached.
NETWORK_ERRORS = (
    "Could not find a version", "No matching distribution",
    "NewConnectionError", "Failed to establish a new connection",
    "Temporary failure in name resolution", "Network is unreachable",
    "ConnectTimeoutError", "Max retries exceeded", "ProxyError",
    "Read timed out", "SSLError",
)


def _version():
    text = (ROOT / "src" / "cmpi" / "__init__.py").read_text()
    return re.search(r'__version__ = "(.*)"', text).group(1)


VERSION = _version()


def _env():
    """Environment for pip and the builds: nothing of this checkout on
    sys.path, no user site."""
    env = lu.launcher.mpi_env("openmpi")
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPICC", "PIP_NO_BUILD_ISOLATION"):
        env.pop(name, None)
    env["PYTHONNOUSERSITE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _step(cmd, *, env=None, cwd=None, timeout=STEP_TIMEOUT):
    job = lu.run([str(c) for c in cmd], timeout=timeout,
                 env=_env() if env is None else env, cwd=cwd)
    job.check_ok()
    return job


def _venv(path):
    _step([sys.executable, "-m", "venv", path])
    return path / "bin" / "python"


def _skip_if_unreachable(job, what):
    text = job.stdout + job.stderr
    if job.returncode != 0 and any(word in text for word in NETWORK_ERRORS):
        last = [line for line in text.splitlines() if line.strip()][-1:]
        pytest.skip(f"package index unreachable ({what}): {' '.join(last)}")


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """Build the sdist and wheel, install the sdist in a fresh venv; the
    paths of all three."""
    for program in (MPICC, MPIEXEC):
        if shutil.which(program) is None:
            pytest.skip(f"{program} not installed")
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout: meson dist cannot make the sdist")
    top = tmp_path_factory.mktemp("dist")

    # A venv with the `build` frontend; also the check that the index is up.
    tools = _venv(top / "tools")
    job = lu.run([str(tools), "-m", "pip", "install", "build"],
                 timeout=STEP_TIMEOUT, env=_env())
    _skip_if_unreachable(job, "pip install build")
    job.check_ok()
    probe = lu.run([str(tools), "-m", "pip", "download", "--no-deps", "-d",
                    str(top / "probe"), "meson-python", "meson"],
                   timeout=STEP_TIMEOUT, env=_env())
    _skip_if_unreachable(probe, "pip download meson-python meson")
    probe.check_ok()

    # python -m build --sdist: the sdist (meson dist, no compiling).
    out = top / "out"
    env = _env()
    env["MPICC"] = MPICC
    _step([tools, "-m", "build", "--sdist", "-o", out, ROOT], env=env)
    sdist = out / f"cmpi-{VERSION}.tar.gz"
    assert sdist.is_file(), sorted(p.name for p in out.iterdir())

    # A fresh venv; its pip builds the wheel from the sdist the plain way
    # (build isolation on), which is what `pip install cmpi-*.tar.gz` does
    # before installing, and installs that wheel.  One compile of the
    # extension, not two (python -m build's wheel and pip's were the same
    # build from the same sdist, a minute each on two cores).
    venv = top / "venv"
    python = _venv(venv)
    _step([python, "-m", "pip", "wheel", "--no-deps", "-w", out, sdist], env=env)
    wheels = sorted(out.glob(f"cmpi-{VERSION}-*.whl"))
    assert len(wheels) == 1, sorted(p.name for p in out.iterdir())
    _step([python, "-m", "pip", "install", "--no-index", wheels[0]], env=env)
    return {"sdist": sdist, "wheel": wheels[0], "venv": venv, "python": python}


def _run_cmpi(dist, *args, timeout=JOB_TIMEOUT):
    return _step([dist["python"], "-m", "cmpi", *args], timeout=timeout,
                 cwd=dist["venv"])


def test_sdist_contents(dist):
    with tarfile.open(dist["sdist"]) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    top = f"cmpi-{VERSION}/"
    for needed in ("pyproject.toml", "meson.build", "meson.options", "LICENSE",
                   "README.md", "PKG-INFO", "tools/mpicc_flags.py",
                   "tools/mpi_build_config.py", "csrc/MPI.c", "csrc/cmpi.h",
                   "src/cmpi/__init__.py", "src/cmpi/include/cmpi/cmpi.h.in",
                   "src/cmpi/include/cmpi/meson.build"):
        assert needed in names, f"{top}{needed} missing from the sdist"
    with tarfile.open(dist["sdist"]) as tar:
        info = tar.extractfile(top + "PKG-INFO").read().decode()
    assert "License-Expression: BSD-3-Clause" in info
    assert "Requires-Python: >=3.10" in info
    assert "Classifier: Programming Language :: Python :: 3.10" in info
    assert "Project-URL: Homepage, https://pypi.org/project/cmpi/" in info
    assert not re.search(r"Requires-Dist: numpy(?!.*extra ==)", info), \
        "numpy must not be a dependency (nor needed to build)"


def test_wheel_contents(dist):
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = set(whl.namelist())
    for needed in ("cmpi/_config.py", "cmpi/_config.pyi", "cmpi/include/cmpi/cmpi.h",
                   "cmpi/run.py", "cmpi/py.typed", f"cmpi-{VERSION}.dist-info/licenses/LICENSE"):
        assert needed in names, f"{needed} missing from {dist['wheel'].name}"
    assert any(re.fullmatch(r"cmpi/MPI\..*\.so", n) for n in names)


def test_two_ranks(dist, tmp_path):
    prog = tmp_path / "prog.py"
    prog.write_text(textwrap.dedent("""\
        import cmpi
        from mpi4py import MPI
        comm = MPI.COMM_WORLD
        total = comm.allreduce(comm.Get_rank() + 1)
        print(f"rank {comm.Get_rank()}/{comm.Get_size()} total {total}"
              f" from {cmpi.__file__}", flush=True)
    """))
    job = lu.run([MPIEXEC, "--oversubscribe", "-n", "2", str(dist["python"]),
                  "-m", "cmpi", str(prog)], timeout=JOB_TIMEOUT,
                 env=_env(), cwd=tmp_path)
    job.check_ok()
    site = str(dist["venv"])
    for rank in (0, 1):
        # searched in the whole output: the two ranks' lines may interleave
        # (print writes the text and the newline apart)
        found = re.findall(rf"rank {rank}/(\d+) total (\d+) from (\S+)", job.stdout)
        assert len(found) == 1, job
        size, total, path = found[0]
        assert (size, total) == ("2", "3") and path.startswith(site), job


def test_runner_diagnostics(dist):
    python = dist["python"]
    prefix = _run_cmpi(dist, "--prefix").stdout.strip()
    assert Path(prefix).is_dir()
    assert Path(prefix).resolve().parent.name == "site-packages"
    assert Path(prefix).name == "cmpi"
    assert str(Path(prefix).resolve()).startswith(str(dist["venv"].resolve()))

    assert _run_cmpi(dist, "--version").stdout == f"cmpi {VERSION}\n"

    library = _run_cmpi(dist, "--mpi-library").stdout.strip()
    assert os.path.isfile(library), library
    assert os.path.basename(library).startswith("libmpi"), library

    std = _run_cmpi(dist, "--mpi-std-version").stdout.strip()
    assert re.fullmatch(r"MPI \d+\.\d+( \(runtime: MPI \d+\.\d+\))?", std), std

    libversion = _run_cmpi(dist, "--mpi-lib-version").stdout
    assert libversion.startswith("Open MPI v"), libversion

    # Combined: one answer each, in the order asked.
    combined = _run_cmpi(dist, "--version", "--prefix", "--mpi-library",
                         "--mpi-std-version", "--mpi-lib-version").stdout
    assert combined == f"cmpi {VERSION}\n{prefix}\n{library}\n{std}\n{libversion}"
    reordered = _run_cmpi(dist, "--mpi-std-version", "--version").stdout
    assert reordered == f"{std}\ncmpi {VERSION}\n"

    # They end the runner before a program would start...
    assert _run_cmpi(dist, "--version", "-c", "print('ran')").stdout == f"cmpi {VERSION}\n"
    # ...but after the program they are the program's arguments.
    job = _run_cmpi(dist, "-c", "import sys; print(sys.argv)", "--version", "--prefix")
    assert job.stdout == "['-c', '--version', '--prefix']\n"
    job = _run_cmpi(dist, "-m", "platform", "--terse")
    assert job.stdout.strip() and "cmpi" not in job.stdout
    assert "--mpi-library" in _run_cmpi(dist, "--help").stdout

    # The library the runner names is the one the build recorded.
    config = _config(python)
    if config["mpi_library"]:
        assert os.path.realpath(library) == os.path.realpath(config["mpi_library"])


def _config(python):
    job = _step([python, "-c", "import cmpi, json; print(json.dumps(cmpi.get_config()))"],
                timeout=JOB_TIMEOUT)
    return json.loads(job.stdout)


def test_get_config(dist):
    config = _config(dist["python"])
    assert config["mpicc"] == os.path.realpath(shutil.which(MPICC)) or \
        config["mpicc"] == shutil.which(MPICC), config
    assert config["mpicc_command"] == MPICC
    assert config["mpi_source"] == "MPICC"
    assert any(flag.startswith("-I") for flag in config["compile_args"]), config
    assert "-lmpi" in config["link_args"], config
    assert config["mpi_abi"] is False
    assert config["mpi_library"] == "" or os.path.isfile(config["mpi_library"])
    # A copy each time: changing it changes nothing in cmpi.
    job = _step([dist["python"], "-c",
                 "import cmpi; c = cmpi.get_config(); c['link_args'].append('x');"
                 " c['mpicc'] = 'y'; print(cmpi.get_config() != c)"], timeout=JOB_TIMEOUT)
    assert job.stdout == "True\n"


def test_get_include(dist, tmp_path):
    include = _step([dist["python"], "-c", "import cmpi; print(cmpi.get_include())"],
                    timeout=JOB_TIMEOUT).stdout.strip()
    header = Path(include) / "cmpi" / "cmpi.h"
    assert header.is_file(), include
    text = header.read_text()
    assert f'#define CMPI_VERSION "{VERSION}"' in text
    assert "#define CMPI_HAVE_C_API 0" in text
    # A C file compiles against it and sees the version.
    source = tmp_path / "use.c"
    source.write_text(textwrap.dedent("""\
        #include <cmpi/cmpi.h>
        #if CMPI_HAVE_C_API
        #error "no C API expected"
        #endif
        int major = CMPI_VERSION_MAJOR, minor = CMPI_VERSION_MINOR;
    """))
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler:
        _step([compiler, "-fsyntax-only", f"-I{include}", source], timeout=JOB_TIMEOUT)


def test_every_module_has_a_stub(dist):
    prefix = Path(_run_cmpi(dist, "--prefix").stdout.strip())
    missing = [str(p.relative_to(prefix)) for p in prefix.rglob("*.py")
               if not p.with_suffix(".pyi").exists()]
    assert not missing, f"installed modules without a .pyi stub: {missing}"
