"""The evaluator's year end to end, through the README's own walk-through (issue 8).

The fenced block marked ``bash walkthrough`` in README.md is run as it stands
(templates -> spring data -> validate -> run baseline -> endline rows in ->
run endline -> runs/index.html), so the README cannot go stale. The Polish
report it produces is then searched for English words of the catalogue.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def walkthrough_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```bash walkthrough\n(.*?)```", text, re.S)
    assert match, "README.md has no ```bash walkthrough block"
    return match.group(1)


def tree_hash(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """Run the walk-through; remember the baseline folder's hashes before the endline run."""
    work = tmp_path_factory.mktemp("year")
    script = walkthrough_block()
    first, _, rest = script.partition("# December")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    spring = subprocess.run(["bash", "-euo", "pipefail", "-c", first], cwd=work, env=env,
                            capture_output=True, text=True)
    assert spring.returncode == 0, spring.stdout[-3000:] + spring.stderr[-3000:]
    runs = work / "work" / "runs"
    baseline = next(runs.glob("*_baseline"))
    before = tree_hash(baseline)
    december = subprocess.run(["bash", "-euo", "pipefail", "-c", "# December" + rest], cwd=work, env=env,
                              capture_output=True, text=True)
    assert december.returncode == 0, december.stdout[-3000:] + december.stderr[-3000:]
    endline = next(runs.glob("*_endline"))
    return {"runs": runs, "baseline": baseline, "endline": endline, "baseline_hashes": before,
            "stdout": spring.stdout + december.stdout}


def test_each_run_prints_its_index_path_last(year):
    lines = [line for line in year["stdout"].splitlines() if line.strip()]
    assert any(line.endswith("index.html") and Path(line).is_absolute() or line.endswith("index.html")
               for line in lines)


def test_baseline_folder_untouched_by_the_endline_run(year):
    assert tree_hash(year["baseline"]) == year["baseline_hashes"]


def test_runs_index_lists_both_runs(year):
    page = (year["runs"] / "index.html").read_text(encoding="utf-8")
    assert year["baseline"].name in page and year["endline"].name in page


def test_baseline_index_says_change_comes_at_endline(year):
    page = (year["baseline"] / "index.html").read_text(encoding="utf-8")
    assert "pomiar końcowy" in page.lower() or "endline" in page.lower()


def test_endline_manifest_records_changed_inputs(year):
    manifest = json.loads((year["endline"] / "manifest.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest)
    assert "estate.xlsx" in text and "changed" in text.lower()


def test_polish_report_has_no_english_label(year, page_words):
    """The demo is Polish (language: pl): no English heading or label of the catalogue may show."""
    labels = page_words.english_only_labels()
    assert len(labels) > 50  # the check has teeth
    leaks = {}
    for page in [year["endline"] / "index.html", *sorted((year["endline"] / "html").glob("*.html")),
                 year["runs"] / "index.html"]:
        text = page_words.visible_text(page.read_text(encoding="utf-8"))
        found = [label for label in labels if label in text]
        if found:
            leaks[page.name] = found[:10]
    assert not leaks, leaks
