#!/usr/bin/env python3
"""Print the compile or link flags of an MPI compiler wrapper, one per line.

    mpicc_flags.py MPICC compile|link

meson's own MPI lookup tries every wrapper on PATH and keeps the one with
the highest version, so with Open MPI 4.1 and MPICH 4.0 side by side it
picks Open MPI even when MPICC names MPICH.  meson.build asks this script
instead whenever MPICC is set, so the wrapper the user names is the one
used.  Open MPI (--showme:*), MPICH and Intel MPI (-show-*-info, -show) are
understood.
"""

import shlex
import subprocess
import sys

QUERIES = {
    "compile": [["--showme:compile"], ["-show-compile-info"], ["-compile_info"], ["-show"]],
    "link": [["--showme:link"], ["-show-link-info"], ["-link_info"], ["-show"]],
}


def query(mpicc, args):
    try:
        proc = subprocess.run(shlex.split(mpicc) + args, capture_output=True, text=True)
    except OSError:
        return None
    if proc.returncode != 0 or not proc.stdout.strip():
        return None
    return shlex.split(proc.stdout.strip().splitlines()[0])


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
        for flag in words:
            if keep(flag, stage):
                print(flag)
        return 0
    sys.stderr.write(f"cannot get {stage} flags from MPI compiler wrapper {mpicc!r}\n")
    return 1


if __name__ == "__main__":
    sys.exit(main())
