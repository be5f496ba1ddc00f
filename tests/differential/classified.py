"""The hand-kept classification of the differences the differential test
finds (tests/differential/run.py): each entry is a regular expression
over the variant's id (``np=N call text``), optional regular expressions
the mpi4py and cmpi outcomes must match, the class, and why.

Classes:
  fixed         cmpi behaved differently and now behaves as mpi4py (the
                report keeps listing these variants; differing again is a
                regression and fails CI)
  stricter      cmpi refuses on purpose what mpi4py accepts or garbles:
                listed in the README's differences, with why
  mpi4py-bug    mpi4py's outcome is wrong (the reason says why)
Anything else is "unclassified".  The first entry that matches wins.
"""

import re

ENTRIES = [
    # (variant id regex, mpi4py outcome regex or None, cmpi outcome regex or None, class, why)
]


def classify(vid, ref, got):
    """(class, reason) of a variant, ("unclassified", "") if no entry matches."""
    for pattern, ref_re, got_re, cls, why in ENTRIES:
        if not re.search(pattern, vid):
            continue
        if ref_re and not re.search(ref_re, ref):
            continue
        if got_re and not re.search(got_re, got):
            continue
        return cls, why
    return "unclassified", ""
