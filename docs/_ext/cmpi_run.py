"""``.. cmpi-run:: PROGRAM``: run a program under mpiexec while the docs build.

The block shows the command a user types and the output the run really
printed, so a page never shows output pasted by hand::

    .. cmpi-run:: examples/seeds/hello.py
       :np: 4
       :args: 1000
       :timeout: 120

Options for the troubleshooting pages: ``:env: NAME=VALUE ...`` (shown
before the command), ``:fails:`` (the job must end with a non-zero status),
``:launcher: other`` (start it with the other MPI library's mpiexec, the
mistake that makes every rank rank 0), ``:raw:`` (no ``--tag-output``: the
output as it came, for messages that carry their own ``[rank N]``) and
``:grep: REGEX`` (only the lines it matches; with ``:raw:`` lines are kept
whole and put in rank order by their own ``[rank N]``) and ``:lines: N``
(show the first N lines).

The job starts as tests/launcher.py starts the test suite's jobs (its
``mpiexec`` and ``mpi_env``: as root, Open MPI needs the variables it sets)
for the configuration ``CMPI_CONFIG`` (default openmpi), with the Python
running the build.  Ranks print in whatever order their lines reach the
launcher, and a line a rank writes in two pieces can be cut by another
rank's: the job runs with ``python -m cmpi --tag-output``, which writes
each line whole with a ``[rank N]`` prefix, and the page shows the lines
grouped by rank (each rank's in its own order), without the prefix, under
the command a user types (without the option).  A job that fails or
passes its timeout is a build warning, which ``sphinx-build -W`` turns
into a failed build.
"""

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]
logger = logging.getLogger(__name__)
_TAG = re.compile(r"^\[rank (\d+)\] ?(.*)$")


def _launcher():
    spec = importlib.util.spec_from_file_location("cmpi_docs_launcher", ROOT / "tests" / "launcher.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rank_of(line):
    """The N of a line's ``[rank N]`` prefix; lines without one sort last."""
    match = _TAG.match(line)
    return int(match.group(1)) if match else float("inf")


def group_by_rank(lines):
    """Lines tagged ``[rank N]`` grouped by rank, untagged ones last."""
    tagged, untagged = [], []
    for line in lines:
        match = _TAG.match(line)
        if match:
            tagged.append((int(match.group(1)), match.group(2)))
        elif line.strip():
            untagged.append(line)
    tagged.sort(key=lambda item: item[0])
    return [text for _, text in tagged] + untagged


def run_job(cmd, env, timeout):
    """Run a job with stdout and stderr merged; at the timeout end all of it."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout)
        return output, proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        return output, f"timed out after {timeout:g} s"


class CmpiRun(SphinxDirective):
    required_arguments = 1
    option_spec = {
        "np": directives.positive_int,
        "args": directives.unchanged,
        "timeout": directives.positive_int,
        "module": directives.flag,
        "env": directives.unchanged,
        "fails": directives.flag,
        "launcher": directives.unchanged,
        "raw": directives.flag,
        "lines": directives.positive_int,
        "grep": directives.unchanged,
    }

    def run(self):
        program = self.arguments[0]
        np = self.options.get("np", 4)
        args = self.options.get("args", "").split()
        timeout = self.options.get("timeout", 120)
        launcher = _launcher()
        if "module" in self.options:
            target = ["-m", program]
        else:
            path = ROOT / program
            self.env.note_dependency(str(path))
            target = [program]
        extra_env = dict(item.split("=", 1) for item in self.options.get("env", "").split())
        launcher_cmd = launcher.mpiexec(np)
        shown_launcher = ["mpiexec"]
        if self.options.get("launcher") == "other":
            other = [f for f in launcher.FLAVORS if f != launcher.flavor()][0]
            launcher_cmd = launcher.mpiexec(np, other)
            shown_launcher = [launcher_cmd[0]]
        tag = [] if "raw" in self.options else ["--tag-output"]
        shown = ([f"{k}={v}" for k, v in extra_env.items()] + shown_launcher
                 + ["-n", str(np), "python", "-m", "cmpi"] + target + args)
        cmd = launcher_cmd + [sys.executable, "-m", "cmpi"] + tag + target + args
        env = launcher.mpi_env()
        env.update(extra_env)
        output, status = run_job(cmd, env, timeout)
        if "raw" in self.options:
            lines = [line for line in output.splitlines() if line.strip()]
            if "grep" in self.options:
                wanted = re.compile(self.options["grep"])
                lines = [line for line in lines if wanted.search(line)]
            lines = sorted(lines, key=_rank_of)
        else:
            lines = group_by_rank(output.splitlines())
        if "lines" in self.options and len(lines) > self.options["lines"]:
            lines = lines[:self.options["lines"]] + ["..."]
        expect_failure = "fails" in self.options
        if isinstance(status, str) or (status != 0) != expect_failure:
            logger.warning("cmpi-run: %s %s (%s):\n%s", " ".join(cmd),
                           "succeeded, expected to fail" if status == 0 else "failed", status,
                           output, location=self.get_location())
        if expect_failure and isinstance(status, int):
            lines.append(f"$ echo $?\n{status}")
        text = "$ " + " ".join(shown) + "\n" + "\n".join(lines)
        block = nodes.literal_block(text, text)
        block["language"] = "console"
        return [block]


_CODE = re.compile(r"`([^`]+)`")


class ReadmeSection(SphinxDirective):
    """``.. cmpi-readme-section:: FILE.md`` with ``:section: Times``.

    Shows one ``##`` section of a committed Markdown README (its paragraphs
    and its tables), so the figures on a page are those of the file and
    stay in step with it.
    """

    required_arguments = 1
    option_spec = {"section": directives.unchanged_required}

    def run(self):
        path = ROOT / self.arguments[0]
        self.env.note_dependency(str(path))
        wanted = "## " + self.options["section"]
        lines, inside = [], False
        for line in path.read_text().splitlines():
            if line.startswith("## "):
                inside = line.strip() == wanted
                continue
            if inside:
                lines.append(line)
        if not lines:
            logger.warning("cmpi-readme-section: no section %r in %s", wanted, path,
                           location=self.get_location())
            return []
        result, block = [], []
        for line in lines + [""]:
            if line.strip() and (not block or block[0].startswith("|") == line.startswith("|")):
                block.append(line)
                continue
            if block:
                result.append(self._table(block) if block[0].startswith("|") else self._paragraph(block))
            block = [line] if line.strip() else []
        return result

    def _inline(self, text):
        nodes_ = []
        pos = 0
        for match in _CODE.finditer(text):
            nodes_.append(nodes.Text(text[pos:match.start()]))
            nodes_.append(nodes.literal(match.group(1), match.group(1)))
            pos = match.end()
        nodes_.append(nodes.Text(text[pos:]))
        return nodes_

    def _paragraph(self, block):
        return nodes.paragraph("", "", *self._inline(" ".join(line.strip() for line in block)))

    def _table(self, block):
        rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block]
        header, body = rows[0], [r for r in rows[2:]]
        table = nodes.table()
        group = nodes.tgroup(cols=len(header))
        table += group
        for _ in header:
            group += nodes.colspec(colwidth=1)

        def row(cells):
            entry_row = nodes.row()
            for cell in cells:
                entry = nodes.entry()
                entry += nodes.paragraph("", "", *self._inline(cell))
                entry_row += entry
            return entry_row

        head = nodes.thead()
        head += row(header)
        tbody = nodes.tbody()
        for cells in body:
            tbody += row(cells)
        group += head
        group += tbody
        return table


def setup(app):
    app.add_directive("cmpi-run", CmpiRun)
    app.add_directive("cmpi-readme-section", ReadmeSection)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
