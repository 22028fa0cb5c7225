"""The comparison arm (evaltools/comparison.py): DiD, ANCOVA, balance, arms.

Definitions: docs/statistics.md#more-waves-and-a-comparison-arm.

References: statsmodels OLS fitted here by formula (``smf.ols``), independently of the module's
own normal equations; a 2 × 2 example computed by hand; the pooled-SD formula of docs/statistics.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evaltools.comparison import (ARM_MEANS_COLUMNS, BALANCE_COLUMNS, COMPARISON_COLUMNS, arm_means, arm_of,
                                  baseline_balance, comparison, has_comparison, programme_arm, split_arms)
from evaltools.labels import code_label, t
from evaltools.schema import CODES, TABLES


def _long(pre, post, ids, instrument="x", scale="s"):
    return pd.DataFrame({"participant_id": list(ids) * 2, "wave": ["baseline"] * len(ids) + ["endline"] * len(ids),
                         "instrument": instrument, "scale": scale, "score": list(pre) + list(post)})


@pytest.fixture(scope="module")
def two_arms():
    """60 programme people (true change 0.5), 45 comparison (0.1), a few without endline or with a blank arm."""
    rng = np.random.default_rng(7)
    n1, n2 = 60, 45
    ids = [f"P{i}" for i in range(n1)] + [f"C{i}" for i in range(n2)]
    arm = np.r_[np.where(rng.random(n1) < 0.3, None, "programme"), np.full(n2, "comparison")]
    trait = rng.normal(3, 0.7, n1 + n2) + np.r_[np.zeros(n1), np.full(n2, 0.2)]
    pre = trait + rng.normal(0, 0.4, n1 + n2)
    post = 0.7 * trait + 0.9 + np.r_[np.full(n1, 0.5), np.full(n2, 0.1)] + rng.normal(0, 0.4, n1 + n2)
    scores = _long(pre, post, ids)
    scores = scores[~((scores["wave"] == "endline") & scores["participant_id"].isin(["P1", "P2", "C3"]))]
    people = pd.DataFrame({"participant_id": ids, "arm": arm})
    return scores.reset_index(drop=True), people


def test_against_statsmodels_ols(two_arms):
    scores, people = two_arms
    out = comparison(scores, people, min_cell=5, alpha=0.05)
    assert list(out.columns) == COMPARISON_COLUMNS and len(out) == 1
    row = out.iloc[0]
    # the reference: complete pairs, arm = 1 for the programme, statsmodels OLS with classical SEs
    wide = scores.pivot(index="participant_id", columns="wave", values="score").dropna()
    wide["d"] = (wide["endline"] - wide["baseline"]).round(10)
    wide["arm"] = (~wide.index.str.startswith("C")).astype(float)
    assert (row["n_programme"], row["n_comparison"]) == (58, 44)
    did = smf.ols("d ~ arm", data=wide).fit()
    ancova = smf.ols("endline ~ baseline + arm", data=wide).fit()
    for fit, name in ((did, "did"), (ancova, "ancova")):
        lo, hi = fit.conf_int(alpha=0.05).loc["arm"]
        assert row[name] == pytest.approx(fit.params["arm"], abs=1e-8)
        assert row[f"{name}_ci_low"] == pytest.approx(lo, abs=1e-8)
        assert row[f"{name}_ci_high"] == pytest.approx(hi, abs=1e-8)
        assert row[f"{name}_p"] == pytest.approx(fit.pvalues["arm"], abs=1e-10, rel=1e-8)
    prog, comp = wide[wide["arm"] == 1], wide[wide["arm"] == 0]
    assert row["mean_change_programme"] == pytest.approx(prog["d"].mean(), abs=1e-12)
    assert row["mean_change_comparison"] == pytest.approx(comp["d"].mean(), abs=1e-12)
    pooled = np.sqrt(((len(prog) - 1) * prog["baseline"].var() + (len(comp) - 1) * comp["baseline"].var())
                     / (len(prog) + len(comp) - 2))
    assert row["smd_baseline"] == pytest.approx((prog["baseline"].mean() - comp["baseline"].mean()) / pooled,
                                                abs=1e-12)
    assert not row["suppressed"]
    # another alpha moves only the intervals
    wider = comparison(scores, people, min_cell=5, alpha=0.01).iloc[0]
    assert wider["did_ci_low"] == pytest.approx(did.conf_int(alpha=0.01).loc["arm", 0], abs=1e-8)
    assert wider["did"] == row["did"]


def test_two_by_two_by_hand():
    # programme: 2 → 3 (+1), 3 → 6 (+3); comparison: 2 → 2 (0), 4 → 5 (+1)
    people = pd.DataFrame({"participant_id": list("ABCD"), "arm": ["programme", "", "comparison", "comparison"]})
    row = comparison(_long([2, 3, 2, 4], [3, 6, 2, 5], "ABCD"), people, min_cell=2).iloc[0]
    assert row["mean_change_programme"] == 2.0 and row["mean_change_comparison"] == 0.5
    assert row["did"] == pytest.approx(1.5, abs=1e-12)
    # d ~ arm: residuals ±1 (programme) and ±0.5 (comparison): s² = 2.5 / 2, SE = s·√(1/2 + 1/2)
    se = np.sqrt(2.5 / 2)
    t = 1.5 / se
    from scipy import stats
    assert row["did_p"] == pytest.approx(2 * stats.t.sf(t, 2), rel=1e-10)
    assert row["did_ci_high"] - row["did"] == pytest.approx(stats.t.ppf(0.975, 2) * se, rel=1e-10)
    # baseline: programme 2, 3 (mean 2.5, var 0.5); comparison 2, 4 (mean 3, var 2): pooled sd √1.25
    assert row["smd_baseline"] == pytest.approx(-0.5 / np.sqrt(1.25), rel=1e-12)
    # endline ~ baseline + arm with 4 people leaves one df: the ANCOVA is estimable
    assert np.isfinite(row["ancova"]) and np.isfinite(row["ancova_p"])


def test_suppressed_when_either_arm_is_small(two_arms):
    scores, people = two_arms
    few = people["participant_id"].isin([f"C{i}" for i in range(4)]) | ~people["arm"].eq("comparison")
    out = comparison(scores[scores["participant_id"].isin(people.loc[few, "participant_id"])], people, min_cell=5)
    row = out.iloc[0]
    assert row["suppressed"] and row["n_comparison"] == 3 and row["n_programme"] == 58
    assert out.drop(columns=["instrument", "scale", "n_programme", "n_comparison", "suppressed"]).isna().all(axis=None)
    assert not comparison(scores, people, min_cell=44).iloc[0]["suppressed"]
    assert comparison(scores, people, min_cell=45).iloc[0]["suppressed"]  # 44 comparison pairs


def test_rows_for_every_scale_of_the_instruments_in_their_order(two_arms):
    scores, people = two_arms
    from evaltools.instruments import find_instrument
    emp = find_instrument("empowerment")
    out = comparison(scores, people, min_cell=5, instruments={"empowerment": emp})
    assert list(zip(out["instrument"], out["scale"])) == [("empowerment", s.id) for s in emp.scales] + [("x", "s")]
    unanswered = out["instrument"] == "empowerment"
    assert out.loc[unanswered, "suppressed"].all()
    assert (out.loc[unanswered, ["n_programme", "n_comparison"]] == 0).all(axis=None)


def test_arms_of_people_and_tables():
    people = pd.DataFrame({"participant_id": ["A", "B", "C", "D"], "arm": [None, "", "programme", "comparison"]})
    assert arm_of(people).tolist() == ["programme", "programme", "programme", "comparison"]
    assert programme_arm(people)["participant_id"].tolist() == ["A", "B", "C"]
    assert has_comparison(people) and not has_comparison(people.iloc[:3])
    no_column = people.drop(columns="arm")
    assert programme_arm(no_column).equals(no_column) and not has_comparison(no_column)
    scores = _long([1, 2, 3, 4], [2, 3, 4, 5], "ABCD")
    before = people.copy()
    prog, comp = split_arms(scores, people)
    assert set(prog["participant_id"]) == {"A", "B", "C"} and set(comp["participant_id"]) == {"D"}
    assert len(prog) + len(comp) == len(scores)
    pd.testing.assert_frame_equal(people, before)  # arguments are never mutated


def test_baseline_balance_uses_every_baseline_score(two_arms):
    scores, people = two_arms
    out = baseline_balance(scores, people, min_cell=5)
    assert list(out.columns) == BALANCE_COLUMNS
    row = out.iloc[0]
    base = scores[scores["wave"] == "baseline"].set_index("participant_id")["score"]
    prog = base[~base.index.str.startswith("C")]
    comp = base[base.index.str.startswith("C")]
    assert (row["n_programme"], row["n_comparison"]) == (60, 45)  # people without endline included
    pooled = np.sqrt((59 * prog.var() + 44 * comp.var()) / 103)
    assert row["smd_baseline"] == pytest.approx((prog.mean() - comp.mean()) / pooled, abs=1e-12)
    assert row["sd_comparison"] == pytest.approx(comp.std(), abs=1e-12)
    assert baseline_balance(scores, people, min_cell=46).iloc[0]["suppressed"]


def test_arm_means_agree_with_the_changes(two_arms):
    scores, people = two_arms
    means = arm_means(scores, people, min_cell=5)
    assert list(means.columns) == ARM_MEANS_COLUMNS and len(means) == 4
    row = comparison(scores, people, min_cell=5).iloc[0]
    m = means.set_index(["arm", "wave"])["mean"]
    assert m["programme", "endline"] - m["programme", "baseline"] == pytest.approx(row["mean_change_programme"])
    assert m["comparison", "endline"] - m["comparison", "baseline"] == pytest.approx(row["mean_change_comparison"])
    assert arm_means(scores, people, min_cell=45)["suppressed"].all()
    assert arm_means(scores, people, min_cell=45)["mean"].isna().all()


# --------------------------------------------------------------------------- the arm column of the contract

def test_arm_is_an_optional_coded_column_with_labels():
    col = TABLES["participants"].column("arm")
    assert col is not None and not col.required and col.kind == "code" and CODES["arm"] == ("programme", "comparison")
    assert code_label("arm", "comparison", "pl") == "grupa porównawcza"
    assert code_label("arm", "programme", "pl") == "program"
    assert code_label("arm", "comparison", "en") == "comparison"
    assert t("schema.participants.arm.label", "pl") and t("schema.participants.arm.help", "en")


def test_templates_round_trip_the_arm(tmp_path):
    """A demo with a comparison arm typed into the template reads back with its arms (xlsx and csv)."""
    from evaltools.synth import demo_tables
    from evaltools.templates import write_filled_workbook
    from evaltools.instruments import find_instrument
    from evaltools.project import load_project
    import yaml

    config, tables = demo_tables(seed=2, comparison=8)  # comparison people take part in no component
    folder = tmp_path / "demo"
    folder.mkdir()
    write_filled_workbook(folder / "demo.xlsx", tables, lang="pl",
                          instruments=[find_instrument(i) for i in config["instruments"]])
    (folder / "project.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    read = load_project(folder).both_arms()[0].set_index("participant_id")["arm"]
    assert (read[read.index.str.startswith("C")] == "comparison").all() and len(read) == 75 + 8
    assert load_project(folder).participants["arm"].eq("programme").all()  # every other table: the programme arm
    assert (read[read.index.str.startswith("P")] == "programme").all()
    # staff may type the Polish label, and may leave the cell empty
    csv = tmp_path / "csv"
    csv.mkdir()
    tables["participants"]["arm"] = tables["participants"]["arm"].replace(
        {"comparison": "Grupa porównawcza", "programme": None})
    for name, df in tables.items():
        df.to_csv(csv / f"{name}.csv", index=False)
    (csv / "project.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    arms = arm_of(load_project(csv).both_arms()[0])
    assert (arms.index.str.startswith("C")).sum() == 8
    assert (arms[arms.index.str.startswith("C")] == "comparison").all()
    assert (arms[arms.index.str.startswith("P")] == "programme").all()
