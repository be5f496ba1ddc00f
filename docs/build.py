#!/usr/bin/env python3
"""Build the documentation, run its doctests and take its screenshots.

    .venv/openmpi/bin/python docs/build.py [--no-screenshots]

Run with the Python of the venv whose cmpi is documented (``make docs``
does, after tools/setup-docs.sh).  Steps, each failing the build on a
warning (``sphinx-build -W --keep-going``):

1. the HTML site into build/docs/html (the API reference is generated from
   cmpi.MPI, the tutorial's outputs come from runs under mpiexec);
2. the doctest builder: every ``>>>`` block runs in one process, a world of
   one rank;
3. headless Chromium screenshots of the front page and one API page into
   build/docs/screenshots/ (skipped with a note when chromium is missing;
   tests/launch/test_docs.py then fails).
"""

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
OUT = ROOT / "build" / "docs"
#: The pages screenshotted, and the file each goes to.
SCREENSHOTS = {"index.png": "index.html", "api-comm.png": "api/mpi/Comm.html"}


def launcher_env():
    spec = importlib.util.spec_from_file_location("cmpi_docs_launcher", ROOT / "tests" / "launcher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.mpi_env()


def sphinx(builder, env, fresh=False):
    warnings = OUT / f"warnings-{builder}.txt"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", builder] + (["-E"] if fresh else []) + [
           "-d", str(OUT / "doctrees"), "-w", str(warnings), str(DOCS), str(OUT / builder)]
    start = time.monotonic()
    status = subprocess.call(cmd, env=env, cwd=ROOT)
    count = len([line for line in warnings.read_text().splitlines() if "WARNING" in line or "ERROR" in line]) if warnings.exists() else 0
    print(f"[docs] {builder}: {time.monotonic() - start:.1f} s, {count} warnings, status {status}", flush=True)
    return status


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshots(env):
    browser = chromium()
    if browser is None:
        print("[docs] no chromium: screenshots skipped (tools/setup-docs.sh installs it)", flush=True)
        return 0
    folder = OUT / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    status = 0
    for png, page in SCREENSHOTS.items():
        target = folder / png
        target.unlink(missing_ok=True)
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--user-data-dir=" + str(OUT / "chromium-profile"),
               f"--screenshot={target}", "--window-size=1280,900",
               (OUT / "html" / page).as_uri()]
        try:
            subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
        except subprocess.TimeoutExpired:
            pass
        if not target.exists():
            print(f"[docs] screenshot of {page} failed", flush=True)
            status = 1
    print(f"[docs] screenshots in {folder}", flush=True)
    return status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-screenshots", action="store_true")
    args = parser.parse_args(argv)
    env = launcher_env()
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    # The HTML build reads every page afresh, so the tutorial's programs run
    # again and the reference follows the installed cmpi; the doctest
    # builder reuses what it read.
    status = sphinx("html", env, fresh=True) or sphinx("doctest", env)
    if status == 0 and not args.no_screenshots:
        status = screenshots(env)
    print(f"[docs] {'done' if status == 0 else 'FAILED'} in {time.monotonic() - start:.1f} s: "
          f"{OUT / 'html' / 'index.html'}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
