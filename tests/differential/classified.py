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

#: An integer variant with a fractional part (variants.int_values).
_FRACTION = r"[(, =\[]-?\d+\.5\b"

#: A method whose MPI function Open MPI 4.1 lacks (part standins2).
_STANDIN = (r"^np=\d ((comm|cart|graph|distgraph|preq)\.(\w+_init|Isendrecv(_replace)?|"
            r"Pready(_range|_list)?|Parrived)|MPI\.Intercomm\.Create_from_groups|"
            r"MPI\.Intracomm\.Create_from_group|MPI\.Remove_error_(class|code|string))(?=\()")

ENTRIES = [
    # (variant id regex, mpi4py outcome regex or None, cmpi outcome regex or None, class, why)
    (r".", r"^crash", r"^(exc:|ok:)", "mpi4py-bug",
     "mpi4py passes the value on to MPI unchecked and the process dies (signal or "
     "MPI abort); cmpi raises or copes"),
    (r"^np=2 ", r"blocks", r"^exc:[^/]*( / exc:[^/]*)*$", "stricter",
     "a collective in which one rank raises (the root on its argument, or MPI on one rank): "
     "mpi4py raises there and leaves the other rank waiting; cmpi raises on every rank "
     "(README, mpi4py compatibility)"),
    (_FRACTION, r"^ok:", r"^exc:ValueError$", "stricter",
     "a float with a fractional part where an integer is expected: mpi4py truncates it "
     "(Cython's __int__), cmpi raises ValueError naming the argument and its value "
     "(README, mpi4py compatibility)"),
    (r"\[bytearray\(8\), 9, MPI\.BYTE\]", r"^ok:", r"^exc:ValueError$", "stricter",
     "a message spec whose count needs more bytes than its buffer holds: mpi4py gives MPI "
     "the count and MPI reads or writes past the buffer; cmpi raises ValueError "
     "(README, mpi4py compatibility)"),
    (r"graph\.Get_neighbors(_count)?\(SIZE\)", r"^ok:", r"^exc:MPI\.Exception\(ERR_RANK\)$",
     "mpi4py-bug",
     "a rank past the communicator's size: mpi4py hands it to MPI, and Open MPI 4.1 reads "
     "past its graph arrays and returns whatever memory is there (other values each run); "
     "cmpi raises ERR_RANK"),
    (r"Index\(\d\)", r"^exc:TypeError$", r"^ok:", "mpi4py-bug",
     "an object with only __index__ (Python's integer protocol, which int(), range() and "
     "numpy take) is refused by mpi4py 4.1.2, whose Cython conversion asks for __int__; "
     "cmpi takes both (issue 17)"),
    # standins2: the methods whose MPI function Open MPI 4.1 lacks (the MPI-4
    # persistent and partitioned calls, Isendrecv) check their arguments as
    # their available form does, then raise NotImplementedError; mpi4py checks
    # less and reaches the missing function where cmpi refuses.
    (_STANDIN + r".*" + _FRACTION, r"^exc:NotImplementedError$", r"^exc:ValueError$",
     "stricter",
     "a float with a fractional part where an integer is expected: mpi4py truncates it "
     "and reaches the MPI function the library lacks; cmpi raises ValueError naming the "
     "argument and its value, as where the library has the function (README, mpi4py "
     "compatibility)"),
    (_STANDIN, r"^exc:NotImplementedError$", r"^exc:MPI\.Exception\(ERR_(RANK|ROOT|TAG)\)$",
     "stricter",
     "a rank, root or tag out of range: mpi4py passes it on unchecked and reaches the MPI "
     "function the library lacks; cmpi checks it before any MPI call, as where the library "
     "has the function, and raises the MPI error class (README, mpi4py compatibility)"),
    (r"^np=\d comm\.P(send|recv)_init\(bytearray\(8\), -\d", r"^exc:NotImplementedError$",
     r"^exc:MPI\.Exception\(ERR_ARG\)$", "stricter",
     "partitions below 1: mpi4py passes it on unchecked and reaches the MPI function the "
     "library lacks; cmpi raises ERR_ARG before any MPI call (README, mpi4py compatibility)"),
    (_STANDIN + r".*\[bytearray\(8\), 9, MPI\.BYTE\]", r"^exc:NotImplementedError$",
     r"^exc:ValueError$", "stricter",
     "a message spec whose count needs more bytes than its buffer holds: mpi4py reaches "
     "the MPI function the library lacks (where the library has it, MPI reads or writes "
     "past the buffer); cmpi raises ValueError (README, mpi4py compatibility)"),
    (_STANDIN + r".*Index\(\d\)", r"^exc:TypeError$", r"^exc:NotImplementedError$",
     "mpi4py-bug",
     "an object with only __index__ is refused by mpi4py 4.1.2, whose Cython conversion "
     "asks for __int__; cmpi takes it, checks the other arguments and reaches the MPI "
     "function the library lacks (issue 17)"),
    (r"^np=1 MPI\.Request\.[Gg]et_status_(all|any|some)\((?!.*statuses=(1|'x'))",
     r"^exc:NotImplementedError$", r"^ok:", "mpi4py-bug",
     "mpi4py 4.1.2 raises NotImplementedError where the library lacks MPI-4.1's "
     "MPI_Request_get_status_all/any/some (Open MPI 4.1), although each is defined by "
     "MPI_Request_get_status on every request, which every MPI has: cmpi builds them "
     "from it (csrc/request_lists.c) and answers"),
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
