"""evaltools.bench: what it measures runs, and reads its numbers (no timing is asserted: DESIGN §8 is measured by
``make bench``, never by a timed test)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from evaltools import bench

NOTEBOOKS = Path(bench.__file__).parent / "notebooks"


def test_the_analysis_in_a_child_process_reports_seconds_memory_and_every_table(demo_data):
    measured = bench.timed_analysis(demo_data)
    assert "error" not in measured, measured
    assert measured["seconds"] > 0
    assert measured["peak_bytes"] is None or measured["peak_bytes"] > 10 * 2**20  # pandas alone takes more
    assert set(measured["tables"]) >= {"change", "sensitivity", "clustered_change", "network_change", "indicators"}


def test_a_failing_child_reports_its_error(tmp_path):
    measured = bench.timed_analysis(tmp_path / "no-such-folder")
    assert "error" in measured


def test_peak_memory_is_bytes_of_this_process():
    peak = bench.peak_memory_bytes()
    assert peak is None or 2**20 < peak < 2**40


def test_analysis_tables_writes_every_table_the_notebooks_save(demo_data):
    # the one copy of the notebooks' sequence: any table a notebook saves unconditionally is computed here
    saved = set()
    for path in NOTEBOOKS.glob("*.ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and not source.lstrip().startswith(("if ", "#")):
                saved |= set(re.findall(r"save_table\([^\n]*?\"(\w+)\"", source, flags=re.S))
    names = set(bench.analysis_tables(demo_data))
    assert saved and saved <= names, saved - names


def test_the_cli_takes_a_scale(capsys):
    import pytest

    with pytest.raises(SystemExit):
        bench.main(["--help"])
    assert "--scale" in capsys.readouterr().out
