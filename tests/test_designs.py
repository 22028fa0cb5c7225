"""A comparison arm and four waves, end to end (issue 15): the run a supervisor of such a design opens.

``evaltools demo-data D --comparison 40 --waves baseline,midline,endline,followup`` then an endline run in
Polish: the tables of docs/outputs.md for those designs are written as declared, the design statement names
the comparison group and every wave, the figures are drawn, and no English text of the catalogue shows on
any page. The numbers themselves are checked against statsmodels in tests/test_comparison.py and
tests/test_trajectory.py.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def designed_run(tmp_path_factory):
    from evaltools.report import run
    from evaltools.synth import write_demo_data

    base = tmp_path_factory.mktemp("designs")
    data = write_demo_data(base / "estate", seed=1, comparison=40,
                           waves=("baseline", "midline", "endline", "followup"))
    return run("endline", data_dir=data, out=base / "runs", progress=False)


def test_every_part_runs_and_writes_the_design_tables(designed_run):
    from evaltools.outputs import TABLES

    assert designed_run.ok
    tables = designed_run.run_dir / "tables"
    for name in ("comparison", "trajectory", "change", "clustered_change", "regression_to_mean", "sensitivity"):
        frame = pd.read_csv(tables / f"{name}.csv")
        assert len(frame), name
        assert list(frame.columns) == list(TABLES[name].column_names), name
    traj = pd.read_csv(tables / "trajectory.csv")
    assert set(traj["wave"]) == {"baseline", "midline", "endline", "followup"}
    comp = pd.read_csv(tables / "comparison.csv")
    assert (comp.loc[comp["instrument"] == "empowerment", "n_comparison"] > 0).all()  # both arms answer it
    # every other table describes the programme arm only: no comparison person (ids C…) in the scores
    scores = pd.read_csv(tables / "scores.csv", dtype=str)
    assert not scores["participant_id"].str.startswith("C").any()
    figures = {p.name for p in (designed_run.run_dir / "figures").glob("*.png")}
    assert any(f.startswith("trajectory_") for f in figures) and any(f.startswith("comparison_") for f in figures)


def test_design_statement_names_the_comparison_group_and_every_wave(designed_run):
    from evaltools.labels import code_label, t

    summary = json.loads((designed_run.run_dir / "summary.json").read_text(encoding="utf-8"))
    design = summary["design"].replace("\\", "")
    assert t("certainty.design.name.comparison", "pl").split(" (")[0] in design
    for wave in ("baseline", "midline", "endline", "followup"):
        assert code_label("wave", wave, "pl") in design
    assert t("arms.design.followup_after", "pl") in design


def test_polish_pages_of_the_design_hold_no_english(designed_run, page_words):
    labels = page_words.english_only_labels()
    leaks = {}
    for page in [designed_run.run_dir / "index.html", *sorted((designed_run.run_dir / "html").glob("*.html"))]:
        text = page_words.visible_text(page.read_text(encoding="utf-8"))
        found = [label for label in labels if label in text]
        if found:
            leaks[page.name] = found[:5]
    assert not leaks, leaks
