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


def test_main_prints_one_line_per_measurement_and_writes_every_key(tmp_path, monkeypatch, capsys):
    # the measurements replaced by fixed numbers (no timing is asserted): main only combines them;
    # the ratios are hand calculations: run_vs_floor = 4 / 10, run_10k_vs_demo = 9 / 4
    import itertools
    import types

    import evaltools.report
    import evaltools.synth

    clock = itertools.count()
    monkeypatch.setattr(bench, "time", types.SimpleNamespace(perf_counter=lambda: float(next(clock))))
    monkeypatch.setattr(evaltools.synth, "write_demo_data", lambda d, seed=0, participants=None: Path(d))
    monkeypatch.setattr(evaltools.report, "kernel_name", lambda: "k")
    monkeypatch.setattr(bench, "analysis", lambda d, seed=0: {})
    monkeypatch.setattr(bench, "floor", lambda n, w, kernel=None: 10.0)
    monkeypatch.setattr(bench, "timed_run", lambda d, o: (4.0 if d.name == "demo" else 9.0, True))
    monkeypatch.setattr(bench, "validate_junk", lambda w: (3.0, True))
    monkeypatch.setattr(bench, "timed_analysis", lambda d: {"seconds": 40.0, "peak_bytes": 2 ** 31, "tables": {}})
    assert bench.main(["--out", str(tmp_path)]) == 1  # 40 s at 100 000 people: outside the limit
    lines = capsys.readouterr().out.splitlines()
    n = len(evaltools.report.PHASE_NOTEBOOKS["endline"])
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "analysis, demo", f"floor ({n} empty notebooks)", "endline run, demo", "analysis, 10000 people",
        "endline run, 10000 people", "validate, 50 MB junk", "analysis, 100000 people"]
    assert lines[-1] == f"OUTSIDE the limits; written to {tmp_path / 'results.json'}"
    assert "= 0.40 × floor" in lines[2] and "= 2.25 × the demo's run" in lines[4] and "peak 2.00 GiB" in lines[6]
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert list(results) == ["python", "cpus", "kernel", "limits", "analysis_demo_s", "floor_s", "run_demo_s",
                             "run_demo_ok", "run_vs_floor", "analysis_10k_s", "run_10k_s", "run_10k_ok",
                             "run_10k_vs_demo", "validate_junk_s", "validate_junk_named", "analysis_scale_people",
                             "analysis_scale_s", "analysis_scale_peak_gib", "within_limits"]
    assert results["run_vs_floor"] == 0.4 and results["run_10k_vs_demo"] == 2.25
    assert results["analysis_scale_peak_gib"] == 2.0 and results["within_limits"] is False
