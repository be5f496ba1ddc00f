#!/usr/bin/env python3
"""String matching, serial: one process, every left string against every
right string (the trainings' version 5, with an exact library kernel).

    python serial.py [--left L.tsv --right R.tsv] [--repeat N] [--kernel cdist]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import strmatch as sm  # noqa: E402  (sets the BLAS threads before NumPy)


def main(argv=None):
    args = sm.add_arguments(argparse.ArgumentParser(description=__doc__)).parse_args(argv)
    what, li, ls, ri, rs = sm.load(args)
    t0 = time.perf_counter()
    matcher = sm.Matcher(rs, args.threshold, args.kernel, args.workers)
    result = matcher.match(ls)
    elapsed = time.perf_counter() - t0
    sm.report("serial", what, 1, matcher.workers, args.kernel, li, ls, ri, rs,
              result, elapsed, args.threshold)


if __name__ == "__main__":
    main()
