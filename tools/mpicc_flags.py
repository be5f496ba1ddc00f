#!/usr/bin/env python3
"""Print the compile or link flags of an MPI compiler wrapper, one per line.

    mpicc_flags.py MPICC compile|link

meson's own MPI lookup tries every wrapper on PATH and keeps the one with
the highest version, so with Open MPI 4.1 and MPICH 4.0 side by side it
picks Open MPI even when MPICC names MPICH.  meson.build asks this script
instead whenever MPICC is set, so the wrapper the user names is the one
used.  Open MPI (--showme:*), MPICH and Intel MPI (-show-*-info, -show) are
understood.

Linker words the wrapper spells `-Xlinker X` (Intel MPI's rpath) are kept
as `-Wl,X`, so the extension finds libmpi without LD_LIBRARY_PATH.  Intel
MPI's wrapper prints I_MPI_SUBSTITUTE_INSTALLDIR placeholders unless
I_MPI_ROOT is set (the impi-devel wheel sets nothing); then I_MPI_ROOT is
set to the wrapper's prefix (the directory above its bin/) and it is asked
again.
"""

import os
import shlex
import shutil
import subprocess
import sys

QUERIES = {
    "compile": [["--showme:compile"], ["-show-compile-info"], ["-compile_info"], ["-show"]],
    "link": [["--showme:link"], ["-show-link-info"], ["-link_info"], ["-show"]],
}


PLACEHOLDER = "I_MPI_SUBSTITUTE_INSTALLDIR"


def run(mpicc, args, env=None):
    try:
        proc = subprocess.run(shlex.split(mpicc) + args, capture_output=True, text=True, env=env)
    except OSError:
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return proc.stdout.strip().splitlines()[0]


def wrapper_prefix(mpicc):
    """The directory above the wrapper's bin/, or None."""
    words = shlex.split(mpicc)
    path = shutil.which(words[0]) if words else None
    if path is None:
        return None
    return os.path.dirname(os.path.dirname(os.path.realpath(path)))


def query(mpicc, args):
    line = run(mpicc, args)
    if line is not None and PLACEHOLDER in line and not os.environ.get("I_MPI_ROOT"):
        prefix = wrapper_prefix(mpicc)
        if prefix is not None:
            line = run(mpicc, args, env=dict(os.environ, I_MPI_ROOT=prefix))
    if line is None:
        return None
    return shlex.split(line)


def linker_words(words):
    """`-Xlinker X` becomes `-Wl,X`; `-Wl,-rpath -Wl,DIR` becomes one word."""
    out = []
    i = 0
    while i < len(words):
        if words[i] == "-Xlinker" and i + 1 < len(words):
            out.append("-Wl," + words[i + 1])
            i += 2
        else:
            out.append(words[i])
            i += 1
    merged = []
    for word in out:
        if merged and merged[-1] == "-Wl,-rpath" and word.startswith("-Wl,"):
            merged[-1] += "," + word[len("-Wl,") :]
        else:
            merged.append(word)
    return merged


def keep(flag, stage):
    if stage == "compile":
        return flag.startswith(("-I", "-D")) or flag == "-pthread"
    return flag.startswith(("-L", "-l", "-Wl,")) or flag == "-pthread"


def main():
    mpicc, stage = sys.argv[1], sys.argv[2]
    for args in QUERIES[stage]:
        words = query(mpicc, args)
        if words is None:
            continue
        if args == ["-show"]:
            words = words[1:]  # the underlying compiler's name
        if stage == "link":
            words = linker_words(words)
        for flag in words:
            if keep(flag, stage):
                print(flag)
        return 0
    sys.stderr.write(f"cannot get {stage} flags from MPI compiler wrapper {mpicc!r}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
