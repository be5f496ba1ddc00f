"""Data the tests rely on is found where it is, or the tests fail.

A test whose data exists but is looked for in the wrong place must not
pass as skipped.  The trainings' string-matching data (two TSV files of
1,725 sentences) is in ``../shared/data`` beside the checkout wherever the
test environment is set up, or where ``STRMATCH_DATA`` says;
``lu.trainings_data()`` skips only on a machine that has neither, and fails
on a folder that is named or present but incomplete.  The training programs
(examples/seeds) are part of the repository: missing ones fail.  These
checks need neither MPI nor the examples' requirements (test_usecases.py,
which runs the programs on the data, is skipped without those).
"""

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launchutil as lu  # noqa: E402


def test_trainings_data_found_and_whole():
    folder = Path(lu.trainings_data())
    for name, side in zip(lu.DATA_FILES, ("left", "right")):
        with open(folder / name, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        assert rows[0] == [f"id_{side}", f"string_{side}"], (name, rows[0])
        assert len(rows) - 1 == 1725, f"{folder / name}: {len(rows) - 1} rows, expected 1725"


def test_trainings_data_misplaced_fails(monkeypatch, tmp_path):
    (tmp_path / "left_data.tsv").write_text("id_left\tstring_left\n")
    monkeypatch.setenv("STRMATCH_DATA", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="lacks right_data.tsv"):
        lu.trainings_data()
    monkeypatch.setenv("STRMATCH_DATA", str(tmp_path / "no-such-folder"))
    with pytest.raises(pytest.fail.Exception, match="lacks left_data.tsv, right_data.tsv"):
        lu.trainings_data()


def test_trainings_data_absent_skips(monkeypatch, tmp_path):
    monkeypatch.delenv("STRMATCH_DATA", raising=False)
    monkeypatch.setattr(lu, "SHARED_DATA", tmp_path / "shared" / "data")
    with pytest.raises(pytest.skip.Exception, match="not on this machine"):
        lu.trainings_data()


def test_seed_programs_in_repository():
    assert lu.SEEDS.is_dir(), f"{lu.SEEDS} is missing from the checkout"
    programs = sorted(p.name for p in lu.SEEDS.glob("*.py"))
    assert len(programs) >= 11, programs
