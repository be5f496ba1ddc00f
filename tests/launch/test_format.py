"""The C sources follow .clang-format (PEP 7: 4-space indents, 79 columns,
braces around every body), as the pinned clang-format 18.1.8 writes them:
``make format`` rewrites them, this test fails on any file it would change.

It runs once, under the openmpi configuration (whose venv tools/setup.sh
gives clang-format), and shows that it can fail on a planted one-line if.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

ROOT = lu.ROOT
VERSION = "18.1.8"  # as tools/setup.sh installs

pytestmark = [
    pytest.mark.skipif(lu.REFERENCE, reason="CMPI_TEST_RUNNER set: checks of cmpi's own sources"),
    pytest.mark.skipif(
        lu.launcher.config() != "openmpi",
        reason="the sources are checked once, under the openmpi configuration"),
]


def _clang_format():
    exe = Path(lu.python()).parent / "clang-format"
    assert exe.exists(), f"{exe} is missing: run tools/setup.sh openmpi"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=60)
    assert VERSION in out.stdout, f"{exe} is not clang-format {VERSION}: {out.stdout}"
    return str(exe)


def _check(files, cwd):
    return subprocess.run([_clang_format(), "--dry-run", "-Werror", *files], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_c_sources_are_formatted():
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "csrc").glob("*.[ch]"))
    assert len(files) > 30
    job = _check(files, ROOT)
    assert job.returncode == 0, (
        "these C sources differ from what clang-format writes (run `make format`):\n"
        + job.stderr[-4000:])


def test_format_check_fails_on_an_unbraced_if(tmp_path):
    shutil.copy(ROOT / ".clang-format", tmp_path / ".clang-format")
    (tmp_path / "planted.c").write_text(
        "static int\nf(int x)\n{\n    if (x)\n        return 1;\n    return 0;\n}\n")
    job = _check(["planted.c"], tmp_path)
    assert job.returncode != 0 and "planted.c" in job.stderr
