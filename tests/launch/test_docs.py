"""The documentation site that ``make docs`` builds (docs/, build/docs/).

- Every public name of ``cmpi.MPI``, and every public member a class of it
  defines itself (inherited ones are documented on their base), is an
  object of the built reference: read from the HTML's ``objects.inv``.
- Every public callable has a signature (``inspect.signature``, or, for the
  CMPI_DOC_NOSIG ones, the docstring's first line) and a one-line summary.
- The build had no warnings, and the tutorial shows output from real runs.
- The headless Chromium screenshots of the front page and of one API page
  show a page (not blank), and those pages have furo's navigation and, on
  the API page, the object's signature.

The site is built by ``make docs`` (CI runs it before the suite); this test
reads what it built and fails, naming ``make docs``, when it is missing.
It runs once, under the openmpi configuration the docs are built with, and
shows that its checks can fail (a name taken out of the inventory, a blank
picture).
"""

import json
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402

ROOT = lu.ROOT
BUILD = ROOT / "build" / "docs"
HTML = BUILD / "html"
SHOTS = BUILD / "screenshots"

pytestmark = [
    pytest.mark.skipif(lu.REFERENCE, reason="CMPI_TEST_RUNNER set: checks of cmpi's own docs"),
    pytest.mark.skipif(lu.launcher.config() != "openmpi",
                       reason="the docs are built and checked once, under the openmpi configuration"),
]

# Lists cmpi.MPI's public names in a process of its own (importing cmpi.MPI
# starts MPI), independently of the generator in docs/_ext.
_LIST_NAMES = r"""
import inspect, json, re
from cmpi import MPI

names, members, nosig, nosummary = [], [], [], []

def has_signature(qual, obj):
    try:
        inspect.signature(obj)
        return True
    except (TypeError, ValueError):
        first = (obj.__doc__ or "").split("\n", 1)[0]
        return re.match(r"^%s\(.*\)$" % re.escape(qual.rsplit(".", 1)[-1]), first) is not None

def check(qual, obj):
    if not has_signature(qual, obj):
        nosig.append(qual)
    if not (obj.__doc__ or "").strip():
        nosummary.append(qual)

for name in dir(MPI):
    if name.startswith("_"):
        continue
    names.append(name)
    obj = getattr(MPI, name)
    if isinstance(obj, type):
        if obj.__name__ != name:
            continue  # an alias (memory is buffer): documented as an alias
        copies = getattr(MPI, "_method_copies", {}).get(obj, ())  # documented in the base
        for member, raw in vars(obj).items():
            if member.startswith("_") or member in copies:
                continue
            members.append(name + "." + member)
            value = getattr(obj, member)
            if callable(value) and not isinstance(value, (int, MPI.Op)):
                check(name + "." + member, value)
    elif callable(obj) and not isinstance(obj, MPI.Op):
        check(name, obj)
print(json.dumps({"names": names, "members": members, "nosig": nosig, "nosummary": nosummary}))
"""


@pytest.fixture(scope="module")
def api():
    job = lu.run([lu.python(), "-c", _LIST_NAMES], timeout=120)
    assert job.returncode == 0, job.stderr
    return json.loads(job.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def site():
    if not (HTML / "objects.inv").exists():
        pytest.fail(f"{HTML} has no built site: run `make docs` (tools/setup-docs.sh, docs/build.py)")
    return HTML


def read_inventory(path):
    """Object names of a Sphinx objects.inv (version 2): {name: uri}."""
    data = Path(path).read_bytes()
    header_end = 0
    for _ in range(4):
        header_end = data.index(b"\n", header_end) + 1
    assert data.startswith(b"# Sphinx inventory version 2"), data[:40]
    objects = {}
    for line in zlib.decompress(data[header_end:]).decode().splitlines():
        name, rest = line.split(" ", 1)
        domain_role, _priority, uri = rest.split(" ", 3)[:3]
        if domain_role.startswith("py:"):
            objects[name] = uri
    return objects


def missing_from(objects, api):
    expected = ["cmpi.MPI." + n for n in api["names"]] + ["cmpi.MPI." + m for m in api["members"]]
    return [name for name in expected if name not in objects]


def test_every_public_name_is_in_the_reference(site, api):
    objects = read_inventory(site / "objects.inv")
    assert len(api["names"]) > 300 and len(api["members"]) > 400
    missing = missing_from(objects, api)
    assert not missing, (f"{len(missing)} public names of cmpi.MPI are not in the built "
                         f"reference (run `make docs`): {', '.join(missing[:40])}")
    for module in ("cmpi.futures.MPIPoolExecutor", "cmpi.util.pkl5.Comm",
                   "cmpi.util.dtlib.from_numpy_dtype", "cmpi.run.main", "cmpi.bench.main",
                   "cmpi.get_config"):
        assert module in objects, module


def test_missing_name_is_caught(site, api):
    objects = read_inventory(site / "objects.inv")
    del objects["cmpi.MPI.Comm.Send"]
    assert missing_from(objects, api) == ["cmpi.MPI.Comm.Send"]


def test_every_callable_has_a_signature_and_a_summary(api):
    assert not api["nosig"], f"callables without a signature: {api['nosig']}"
    assert not api["nosummary"], f"callables without a docstring: {api['nosummary']}"


def test_build_had_no_warnings_and_ran_the_programs(site):
    for builder in ("html", "doctest"):
        warnings = BUILD / f"warnings-{builder}.txt"
        assert warnings.exists(), f"{warnings} missing: run `make docs`"
        assert warnings.read_text().strip() == "", warnings.read_text()[-2000:]
    hello = (site / "tutorial" / "hello.html").read_text()
    for rank in range(4):
        assert f"Hello from rank {rank} out of 4" in hello
    doctest = (BUILD / "doctest" / "output.txt").read_text()
    assert "0 failures in tests" in doctest and " tests\n" in doctest


def png_pixels(path):
    """(width, height, rows of raw pixel bytes) of an 8-bit RGB(A) PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), (depth, color)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, cur = line[0], bytearray(line[1:])
        for i in range(stride):
            a = cur[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if kind == 1:
                cur[i] = (cur[i] + a) & 255
            elif kind == 2:
                cur[i] = (cur[i] + b) & 255
            elif kind == 3:
                cur[i] = (cur[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(cur))
        prev = cur
    return width, height, channels, rows


def not_blank(path):
    """A page, not an empty one: many pixels differ from the background."""
    width, height, channels, rows = png_pixels(path)
    background = rows[-1][-channels:]
    inked = sum(1 for row in rows[::4] for x in range(0, width * channels, 4 * channels)
                if row[x:x + channels] != background)
    sampled = len(rows[::4]) * len(range(0, width * channels, 4 * channels))
    return (width, height) == (1280, 900) and inked > 0.02 * sampled


def signature_text(html, object_id):
    """The signature a page shows for an object, as text."""
    match = re.search(r'<dt class="sig sig-object py" id="%s">(.*?)</dt>' % re.escape(object_id),
                      html, re.S)
    assert match, f"no signature for {object_id}"
    text = re.sub(r"<[^>]+>", "", match.group(1)).replace("\n", "")
    return text.replace("\u00b6", "").strip()


@pytest.mark.parametrize("png,page,needles", [
    ("index.png", "index.html", ["cmpi: MPI for Python", "Troubleshooting"]),
    ("api-comm.png", "api/mpi/Comm.html", []),
])
def test_screenshot_shows_the_page(site, png, page, needles):
    shot = SHOTS / png
    assert shot.exists(), f"{shot} missing: `make docs` takes it (chromium: tools/setup-docs.sh)"
    assert not_blank(shot), f"{shot} looks blank"
    text = (site / page).read_text()
    assert 'class="sidebar-tree"' in text, "furo's navigation sidebar is missing"
    assert "Installing" in text and "API reference" in text
    for needle in needles:
        assert needle in text, needle
    if page.startswith("api/"):
        # a __text_signature__, and a CMPI_DOC_NOSIG one (docstring line)
        assert signature_text(text, "cmpi.MPI.Comm.Send") == "Send(buf, dest, tag=0)"
        assert (signature_text(text, "cmpi.MPI.Comm.Reduce")
                == "Reduce(sendbuf, recvbuf, op=SUM, root=0)")


def test_blank_picture_is_caught(tmp_path):
    width, height = 1280, 900
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    (tmp_path / "blank.png").write_bytes(png)
    assert not not_blank(tmp_path / "blank.png")
