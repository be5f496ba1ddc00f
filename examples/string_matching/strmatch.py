"""String matching, the trainings' second use case: shared code.

Two lists of sentences, every left sentence against every right one; a pair
matches when its Levenshtein ratio (the normalized Indel similarity, exactly
what ``Levenshtein.ratio`` and ``rapidfuzz.distance.Indel`` compute, and
``fuzz.ratio`` scaled to 0-100) is greater than the threshold, 0.8.

The ratio is ``2 * LCS / (len(a) + len(b))`` where LCS is the longest common
subsequence.  Two kernels, both exact:

``cdist``     rapidfuzz's ``process.cdist`` over the whole block, with
              ``score_cutoff`` so rapidfuzz can skip hopeless pairs early.
``filtered``  (default) an exact necessary condition first: a common
              subsequence uses each character at most as often as it occurs in
              both strings, so ``LCS <= sum_c min(count_a(c), count_b(c))``.
              Writing every count in unary (``k`` ones for count ``k``) makes
              that sum a dot product, so one BLAS matrix product bounds every
              pair of a block at once.  Only the pairs the bound cannot rule
              out (about 3 % of the trainings' pairs) go to rapidfuzz
              (``process.cpdist``).  No Python code runs per pair.

Threads: rapidfuzz's ``workers`` and the BLAS threads come from
``SLURM_CPUS_PER_TASK`` (1 when unset), so ranks x threads match the cores
SLURM gave the job.  This module sets the BLAS thread variables, so import it
before NumPy.
"""

import csv
import heapq
import os
import random
import sys
import time
from pathlib import Path


def cpus_per_task():
    """Threads this rank may use: ``SLURM_CPUS_PER_TASK``, else 1."""
    try:
        return max(1, int(os.environ.get("SLURM_CPUS_PER_TASK", "1")))
    except ValueError:
        return 1


# BLAS reads these once, when NumPy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(cpus_per_task()))

import numpy as np  # noqa: E402
from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import Indel  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
THRESHOLD = 0.8
TOP = 10

# The trainings' table (MeluXina, 128-core nodes): (version, pairs, nodes,
# tasks, cpus per task, seconds).
TRAININGS = [
    ("Python (5), serial", 2_975_625, "-", "-", "-", 144.38),
    ("Python*, serial (extrapolated)", 297_562_500, "-", "-", "-", 14_438.00),
    ("mpi4py (6)", 2_975_625, 1, 128, 2, 6.22),
    ("mpi4py (7)", 2_975_625, 2, 256, 2, 16.67),
    ("mpi4py (8)", 297_562_500, 2, 256, 2, 68.31),
    ("mpi4py (8)", 1_190_250_000, 2, 256, 2, 263.87),
    ("mpi4py (9)", 297_562_500, 5, 256, 2, 28.82),
    ("mpi4py (9)", 1_190_250_000, 5, 256, 2, 112.78),
]


# --------------------------------------------------------------------- data

def load_tsv(path):
    """(ids, strings) of a TSV file with a header, an id and a text column.

    Quoting is off: the text holds ``"`` characters that are part of it.
    """
    ids, texts = [], []
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(rows, None)
        for row in rows:
            if len(row) >= 2:
                ids.append(row[0])
                texts.append(row[1])
    return ids, texts


def write_tsv(path, ids, texts, header):
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(f"id_{header}\tstring_{header}\n")
        for i, t in zip(ids, texts):
            f.write(f"{i}\t{t}\n")


def trainings_data_dir():
    """Where the trainings' left/right TSV files are, or None.

    ``STRMATCH_DATA`` names the folder; else ``../shared/data`` beside the
    repository is used when it holds both files.
    """
    candidates = []
    if os.environ.get("STRMATCH_DATA"):
        candidates.append(Path(os.environ["STRMATCH_DATA"]))
    candidates.append(REPO.parent / "shared" / "data")
    for d in candidates:
        if (d / "left_data.tsv").is_file() and (d / "right_data.tsv").is_file():
            return d
    return None


_SYLLABLES = ("ka ri to an el mo su ve ne la de pro con ter ist ing ment ra "
              "ba ho ul or ex in ti co me ga pe do ru sa li na mi fo").split()
_COMMON = ("the of and to a in that is was he for it with as his on be at by "
           "had from or an were which are this but not have one all their "
           "said its after new two would more last year market company shares "
           "percent government officials told reuters week on monday").split()


def _sentence(rng, vocab, length):
    words, n = [], 0
    while n <= length:          # n counts a space after every word
        w = rng.choice(_COMMON) if rng.random() < 0.3 else rng.choice(vocab)
        words.append(w)
        n += len(w) + 1
    s = " ".join(words)[:length]
    if s.endswith(" "):
        s = s[:-1] + "s"
    return s[0].upper() + s[1:-1] + "."


def _near_duplicate(rng, s):
    """``s`` with a few small edits: ratio about 0.9-0.98, always < 1."""
    chars = list(s)
    edits = max(1, len(s) // 40)
    for _ in range(edits):
        pos = rng.randrange(1, len(chars))
        op = rng.random()
        if op < 0.4:
            chars[pos] = rng.choice("abcdefghijklmnopqrstuvwxyz")
        elif op < 0.7:
            del chars[pos]
        else:
            chars.insert(pos, rng.choice("abcdefghijklmnopqrstuvwxyz,"))
    out = "".join(chars)
    return out if out != s else out + "s"


def generate(rows=1725, planted=60, seed=1):
    """Synthetic (left_ids, left, right_ids, right) with a known match count.

    Sentence lengths follow the trainings' data: 35 to 232 characters, median
    about 117.  ``planted`` right sentences are near-duplicates of left ones
    (ratio > 0.8); all other sentences are independent, so exactly
    ``planted`` pairs match (checked here with the exact kernel).
    """
    if not 0 <= planted <= rows:
        raise ValueError(f"planted={planted} must be between 0 and rows={rows}")
    rng = random.Random(seed)
    vocab = sorted({"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4)))
                    for _ in range(6000)})

    def length():
        return int(min(232, max(35, round(rng.gauss(117, 38)))))

    left = [_sentence(rng, vocab, length()) for _ in range(rows)]
    right = [_sentence(rng, vocab, length()) for _ in range(rows)]
    sources = rng.sample(range(rows), planted)
    targets = rng.sample(range(rows), planted)
    for src, dst in zip(sources, targets):
        dup = _near_duplicate(rng, left[src])
        while (Indel.normalized_similarity(left[src], dup) <= 0.85
               or not 35 <= len(dup) <= 232):
            dup = _near_duplicate(rng, left[src])
        right[dst] = dup
    left_ids = [str(100000 + i) for i in range(rows)]
    right_ids = [str(500000 + i) for i in range(rows)]
    found = Matcher(right).match(left).count
    if found != planted:
        raise RuntimeError(f"generator: {found} matches instead of {planted}; "
                           f"try another seed")
    return left_ids, left, right_ids, right


def repeat(items, n):
    """The list repeated ``n`` times, as the trainings' big runs do."""
    return list(items) * n


# ------------------------------------------------------------------- kernel

class Result:
    """Matches of a block: their count and the best ``TOP`` of them."""

    __slots__ = ("count", "top")

    def __init__(self, count=0, top=()):
        self.count = count
        self.top = list(top)    # [(score, left index, right index)]

    def merge(self, other):
        self.count += other.count
        self.top = best(self.top + list(other.top))
        return self

    def __reduce__(self):
        return (Result, (self.count, self.top))


def _rank_key(t):
    # best score first; equal scores in index order, so every version
    # prints the same top 10
    return (-t[0], t[1], t[2])


def best(items, k=TOP):
    return heapq.nsmallest(k, items, key=_rank_key)


class Matcher:
    """All left strings of a block against all right strings."""

    #: counts above this many become one extra column holding sqrt(excess),
    #: so a string of 1000 spaces does not make the matrix 1000 wide
    UNARY_CAP = 48

    def __init__(self, right, threshold=THRESHOLD, kernel="filtered",
                 workers=None, block_pairs=4_000_000):
        if kernel not in ("filtered", "cdist"):
            raise ValueError(f"kernel={kernel!r}: expected 'filtered' or 'cdist'")
        self.right = list(right)
        self.threshold = float(threshold)
        self.kernel = kernel
        self.workers = workers or cpus_per_task()
        self.block_rows = max(1, block_pairs // max(1, len(self.right)))
        if kernel == "filtered":
            self._columns()
            self.right_features = self.features(self.right).T.copy()
            self.right_len = np.fromiter((len(s) for s in self.right),
                                         np.float64, len(self.right))

    def _columns(self):
        """Column offset and width per character (from the right strings).

        Characters absent from every right string add nothing to any
        common-character count, so they get no column.
        """
        most = {}
        for s in set(self.right):
            for c in set(s):
                k = s.count(c)
                if k > most.get(c, 0):
                    most[c] = k
        self.columns = {}
        width = 0
        for c in sorted(most):
            w = min(most[c], self.UNARY_CAP)
            self.columns[c] = (width, w, most[c] > self.UNARY_CAP)
            width += w + (most[c] > self.UNARY_CAP)
        self.width = width

    def features(self, strings):
        """Unary character counts: row . row' = common character count."""
        out = np.zeros((len(strings), self.width), np.float32)
        cache = {}
        cap = self.UNARY_CAP
        for n, s in enumerate(strings):
            row = cache.get(s)
            if row is not None:
                out[n] = out[row]
                continue
            cache[s] = n
            for c in set(s):
                col = self.columns.get(c)
                if col is None:
                    continue
                off, w, tail = col
                k = s.count(c)
                out[n, off:off + min(k, w)] = 1.0
                if tail and k > cap:
                    # min(a, b) - cap <= sqrt(a - cap) * sqrt(b - cap)
                    out[n, off + cap] = (k - cap) ** 0.5
        return out

    def match(self, left, offset=0):
        """Result for ``left`` (indices numbered from ``offset``)."""
        total = Result()
        for a in range(0, len(left), self.block_rows):
            block = left[a:a + self.block_rows]
            total.merge(self._match_block(block, offset + a))
        return total

    def _match_block(self, block, offset):
        t = self.threshold
        if self.kernel == "cdist":
            scores = process.cdist(block, self.right, scorer=Indel.normalized_similarity,
                                   score_cutoff=t, dtype=np.float64, workers=self.workers)
            i, j = np.nonzero(scores > t)
            s = scores[i, j]
        else:
            common = self.features(block) @ self.right_features
            left_len = np.fromiter((len(x) for x in block), np.float64, len(block))
            # ratio > t needs 2 * common > t * (len_a + len_b); the half
            # unit of slack covers float rounding, rapidfuzz decides exactly
            ok = 2.0 * common >= t * (left_len[:, None] + self.right_len[None, :]) - 0.5
            ci, cj = np.nonzero(ok)
            if len(ci) == 0:
                return Result()
            sc = process.cpdist([block[x] for x in ci.tolist()],
                                [self.right[y] for y in cj.tolist()],
                                scorer=Indel.normalized_similarity, score_cutoff=t,
                                dtype=np.float64, workers=self.workers)
            keep = sc > t
            i, j, s = ci[keep], cj[keep], sc[keep]
        count = len(s)
        if count > TOP:
            # every pair tied with the 10th best score, so the index order
            # decides among them as in best()
            cut = np.partition(s, count - TOP)[count - TOP]
            sel = s >= cut
            i, j, s = i[sel], j[sel], s[sel]
        top = best(zip(s.tolist(), (i + offset).tolist(), j.tolist()))
        return Result(count, top)


# ---------------------------------------------------------- command line

def add_arguments(parser):
    parser.add_argument("--left", help="left TSV (id, string); default: the "
                        "trainings' data when present, else generated")
    parser.add_argument("--right", help="right TSV (id, string)")
    parser.add_argument("--generate", action="store_true",
                        help="use generated data even when the trainings' is present")
    parser.add_argument("--rows", type=int, default=1725,
                        help="generated rows per side (default 1725)")
    parser.add_argument("--planted", type=int, default=60,
                        help="generated near-duplicate pairs (default 60)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="repeat both lists N times (N*N times the pairs)")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help="keep pairs with ratio > THRESHOLD (default 0.8)")
    parser.add_argument("--kernel", choices=("filtered", "cdist"), default="filtered")
    parser.add_argument("--workers", type=int, default=None,
                        help="threads per rank (default SLURM_CPUS_PER_TASK or 1)")
    parser.add_argument("--progress", choices=("auto", "bar", "lines", "none"),
                        default="auto", help="progress display of balanced.py")
    return parser


def load(args):
    """(description, left_ids, left, right_ids, right) as the options say."""
    if args.left or args.right:
        if not (args.left and args.right):
            raise SystemExit("--left and --right go together")
        li, ls = load_tsv(args.left)
        ri, rs = load_tsv(args.right)
        what = f"{args.left} x {args.right}"
    else:
        d = None if args.generate else trainings_data_dir()
        if d is not None:
            li, ls = load_tsv(d / "left_data.tsv")
            ri, rs = load_tsv(d / "right_data.tsv")
            what = f"the trainings' data ({d})"
        else:
            li, ls, ri, rs = generate(args.rows, args.planted, args.seed)
            what = (f"generated (rows {args.rows}, planted {args.planted}, "
                    f"seed {args.seed})")
    n = args.repeat
    if n > 1:
        li, ls, ri, rs = repeat(li, n), repeat(ls, n), repeat(ri, n), repeat(rs, n)
    return what, li, ls, ri, rs


def report(version, what, nprocs, workers, kernel, li, ls, ri, rs, result,
           elapsed, threshold=THRESHOLD, out=sys.stdout):
    pairs = len(ls) * len(rs)
    lines = [
        f"string matching: {version}, {nprocs} rank(s) x {workers} thread(s), "
        f"kernel {kernel}",
        f"data: {what}: {len(ls):,} x {len(rs):,} strings",
        f"pairs compared: {pairs:,}",
        f"pairs with ratio > {threshold:g}: {result.count}",
        f"top {TOP}:",
    ]
    for k, (score, i, j) in enumerate(result.top, 1):
        lines.append(f"  {k:2d}. {score:.4f}  {li[i]} ~ {ri[j]}  "
                     f"{_short(ls[i])!r} ~ {_short(rs[j])!r}")
    rate = pairs / elapsed if elapsed > 0 else float("inf")
    lines.append(f"time: {elapsed:.2f} s  pairs/s: {rate:,.0f}")
    out.write("\n".join(lines) + "\n")
    out.flush()


def _short(s, n=48):
    return s if len(s) <= n else s[:n - 3] + "..."


class Progress:
    """Progress of a run on rank 0: a bar on a terminal, else a line now and
    then (at each further 10 %, at most one a second)."""

    def __init__(self, total, mode="auto", stream=sys.stderr, label="pairs"):
        self.total = max(1, total)
        self.done = 0
        self.stream = stream
        if mode == "auto":
            mode = "bar" if stream.isatty() else "lines"
        self.mode = mode
        self.label = label
        self.t0 = time.perf_counter()
        self.last_t = self.t0
        self.last_pct = 0

    def add(self, n):
        self.done += n
        if self.mode == "none":
            return
        now = time.perf_counter()
        pct = 100 * self.done // self.total
        el = now - self.t0
        rate = self.done / el if el > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        text = (f"{pct:3d}%  {self.done:,}/{self.total:,} {self.label}  "
                f"{rate:,.0f}/s  {el:.1f} s elapsed, ~{eta:.1f} s left")
        if self.mode == "bar":
            width = 30
            fill = width * self.done // self.total
            self.stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {text}")
            if self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif (pct >= self.last_pct + 10 and now - self.last_t >= 1) or self.done >= self.total:
            self.stream.write(f"progress: {text}\n")
            self.stream.flush()
            self.last_pct, self.last_t = pct, now
