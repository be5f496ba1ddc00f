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
    # -- argtypes: keyword forms, None, exception types (issue 17) --
    (r"^np=[12] (comm\.(Set_name|Compare|Create|Get_attr|Attach_buffer)|dt\.(Set_name|Get_attr)"
     r"|win\.(Set_name|Get_attr|Set_info|Set_errhandler|Attach|Detach|Shared_query|Unlock"
     r"|Flush|Flush_local)|fh\.(Set_size|Preallocate|Set_info|Set_atomicity|Get_type_extent"
     r"|Get_byte_offset|Set_errhandler)|group\.(Incl|Excl|Compare)|info\.(Get|Delete)"
     r"|status\.(Set_source|Set_tag|Set_error|Set_cancelled)|pickle\.(dumps|dumps_oob|loads)"
     r"|MPI\.(Get_address|Get_error_class|Get_error_string|Pcontrol))\(\w+=", None, None, "fixed",
     "a one-argument method called by keyword, as mpi4py allows: cmpi's were METH_O and "
     "refused the keyword with TypeError"),
    (r"^np=1 (comm\.(I?[BSR]?send|Issend|Irsend|[BSR]?send_init|Send_init)|dt\.(Pack|Unpack)"
     r"|msg\.I?[Rr]ecv|fh\.\w+)\(.*MPI\.(IN_PLACE|BOTTOM)", r"^(ok:|exc:MPI\.Exception)",
     r"^exc:TypeError$", "stricter",
     "IN_PLACE or BOTTOM as the whole buffer where MPI gives it no meaning (point-to-point, "
     "Pack/Unpack, file I/O, Message.Recv): mpi4py hands MPI the sentinel's address as a "
     "buffer, cmpi raises TypeError (README, mpi4py compatibility)"),
    (r"(\(|, )MPI\.BOTTOM(, |\))", r"^exc:KeyError$", None, "mpi4py-bug",
     "a bare MPI.BOTTOM message: mpi4py 4.1.2 raises KeyError looking up a datatype for the "
     "sentinel's empty buffer format; cmpi takes it as an empty message at MPI_BOTTOM"),
    (r"_external(_size)?\('native'", None, r"^exc:ValueError$", "stricter",
     "datarep='native' in Pack_external/Unpack_external/Pack_external_size: MPI defines only "
     "'external32' there (MPICH refuses others, Open MPI packs natively); cmpi raises "
     "ValueError before looking at the other arguments (README, mpi4py compatibility)"),
    (r"(Create_keyval\((copy_fn|delete_fn)=1\)|Grequest\.Start\((query_fn|free_fn|cancel_fn)=1\))",
     r"^ok:", r"^exc:TypeError$", "stricter",
     "a callback that is not callable: mpi4py takes it and fails later inside MPI's callback, "
     "cmpi raises TypeError at once (README, mpi4py compatibility)"),
    (r"^np=1 comm\.(reduce|allreduce|scan|exscan)\(.*op=(1|MPI\.INT|None)\)", r"^ok:",
     r"^exc:TypeError$", "stricter",
     "the op of a lowercase reduction is checked at every communicator size: mpi4py calls it "
     "only with 2 ranks or more, so a bad op passes at 1 rank (README, mpi4py compatibility)"),
    (r"^np=2 comm\.(reduce|allreduce|scan|exscan)\(.*op=None\)", r"exc:TypeError",
     r"^exc:TypeError$", "stricter",
     "op=None in a lowercase reduction: mpi4py raises TypeError where it calls the op (the "
     "root of reduce only), cmpi on every rank (README, mpi4py compatibility)"),
    (r"Index\(\d\)", r"^exc:TypeError$", r"^exc:(MPI\.Exception|ValueError)", "mpi4py-bug",
     "an object with only __index__ is refused by mpi4py 4.1.2 (its Cython conversion asks "
     "for __int__); cmpi takes the value, which MPI or cmpi's own check then refuses"),
    (r"Reduce_scatter\(MPI\.IN_PLACE, bytearray\(8 \* SIZE\)\)$", r"^exc:TypeError$", r"^ok:",
     "mpi4py-bug",
     "recvcounts left at its default None with IN_PLACE: mpi4py 4.1.2 calls len(None); cmpi "
     "takes the default (an equal share per rank)"),
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
