"""Attrition and sensitivity from integer codes (issue 18): the same tables as the text-based definitions.

References written here: baseline_status as the pandas merge of the first
valid baseline and endline rows (its definition before issue 18); the
groups of each row counted and averaged by hand from the people's
components.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaltools.attrition import attrition, baseline_status, sensitivity


def status_by_merge(scores, pre_wave="baseline", post_wave="endline"):
    # the definition: first valid baseline row per instrument × scale × person, left-joined to the first endline
    cols = ["instrument", "scale", "participant_id", "score"]
    valid = scores["score"].notna()
    pre = scores.loc[valid & (scores["wave"] == pre_wave), cols].drop_duplicates(cols[:3])
    post = scores.loc[valid & (scores["wave"] == post_wave), cols].drop_duplicates(cols[:3])
    out = pre.merge(post, on=cols[:3], how="left", suffixes=("_pre", "_post"), sort=False)
    out = out.rename(columns={"score_pre": "pre", "score_post": "post"}).astype({"pre": "float64", "post": "float64"})
    out["completer"] = out["post"].notna()
    return out.reset_index(drop=True)


def untidy_scores():
    # repeated rows (the first counts), missing scores (skipped, a later valid row counts), a third wave,
    # a scale only ever missing, people interleaved across scales
    rows = [
        ("B", "baseline", "x", "s", 2.0), ("A", "baseline", "x", "s", np.nan), ("A", "baseline", "x", "s", 3.0),
        ("A", "baseline", "y", "t", 1.0), ("B", "endline", "x", "s", 4.0), ("B", "endline", "x", "s", 9.0),
        ("C", "baseline", "x", "s", 5.0), ("C", "midline", "x", "s", 4.5), ("A", "endline", "y", "t", np.nan),
        ("C", "baseline", "x", "s", 7.0), ("D", "baseline", "z", "u", np.nan), ("C", "endline", "y", "t", 2.0),
        ("A", "endline", "x", "s", 3.5), ("B", "baseline", "y", "t", 2.5), ("B", "endline", "y", "t", 3.0),
    ]
    return pd.DataFrame(rows, columns=["participant_id", "wave", "instrument", "scale", "score"])


def test_baseline_status_equals_the_merge_definition():
    scores = untidy_scores()
    got, ref = baseline_status(scores), status_by_merge(scores)
    pd.testing.assert_frame_equal(got, ref)
    # A's first valid baseline on x/s is 3.0, B's first endline 4.0; C has no endline on x/s (midline is not one)
    by = got.set_index(["participant_id", "instrument"])
    assert by.loc[("A", "x"), "pre"] == 3.0 and by.loc[("B", "x"), "post"] == 4.0
    assert not by.loc[("C", "x"), "completer"] and not by.loc[("A", "y"), "completer"]
    pd.testing.assert_frame_equal(baseline_status(scores, pre_wave="midline"), status_by_merge(scores, "midline"))
    empty = baseline_status(scores.iloc[:0])
    assert empty.columns.tolist() == ref.columns.tolist() and empty.empty


def overlapping_groups(seed=0):
    # 60 people: community 0–19, legal 20–39, youth 40–59; 15 of them (community and youth) in legal too
    rng = np.random.default_rng(seed)
    ids = [f"P{i:02d}" for i in range(60)]
    comps = ["community"] * 20 + ["legal"] * 20 + ["youth"] * 20
    comps = [c + (";legal" if i % 4 == 0 and c != "legal" else "") for i, c in enumerate(comps)]
    pre = np.round(rng.normal(3, 0.7, 60), 2)
    drop = np.zeros(60, dtype=bool)
    drop[[1, 2, 3, 5, 21, 22, 23, 24, 41, 42, 43, 45, 46, 47, 49, 50]] = True   # community 4, legal 4, youth 8
    post = np.round(pre + 0.4 + rng.normal(0, 0.5, 60), 2)
    keep = ~drop
    scores = pd.DataFrame({"participant_id": ids + [i for i, k in zip(ids, keep) if k],
                           "wave": ["baseline"] * 60 + ["endline"] * int(keep.sum()), "instrument": "x", "scale": "s",
                           "score": np.r_[pre, post[keep]]})
    people = pd.DataFrame({"participant_id": ids, "components": comps, "group": None})
    return scores, people, pre, drop, comps


def test_attrition_by_group_by_hand_with_overlapping_components():
    scores, people, pre, drop, comps = overlapping_groups()
    out = attrition(scores, people, min_cell=1).set_index("group")
    assert sorted(out.index) == ["all", "community", "legal", "youth"]      # components in the contract's order
    for group in out.index:
        member = np.array([group == "all" or group in c.split(";") for c in comps])
        comp, gone = pre[member & ~drop], pre[member & drop]
        row = out.loc[group]
        assert (row["n_baseline"], row["n_completers"], row["n_dropouts"]) == (member.sum(), len(comp), len(gone))
        assert row["mean_completers"] == pytest.approx(comp.mean(), rel=1e-12)
        assert row["sd_dropouts"] == pytest.approx(gone.std(ddof=1), rel=1e-12)
        assert row["t"] == pytest.approx(stats.ttest_ind(gone, comp, equal_var=False).statistic, rel=1e-10)


def test_sensitivity_shown_rows_do_not_depend_on_min_cell():
    # the tipping point is searched only where a row can be shown: rows shown at min_cell 4 are those of min_cell 1
    scores, people, _, _, _ = overlapping_groups()
    every = sensitivity(scores, people, min_cell=1).set_index(["group", "method"])
    some = sensitivity(scores, people, min_cell=4).set_index(["group", "method"])
    shown = some[~some["suppressed"]]
    pd.testing.assert_frame_equal(shown, every.loc[shown.index])
    # community rests on exactly 4 dropouts: shown, with its tipping point
    tip = shown.loc[("community", "tipping_point")]
    assert tip["n_dropouts"] == 4 and np.isfinite(tip["mean_diff"]) and tip["mean_diff"] < 0
    assert sorted(shown.xs("tipping_point", level="method").index) == ["all", "community", "legal", "youth"]
    few = sensitivity(scores, people, min_cell=5).set_index(["group", "method"])
    assert few.loc[("community", "tipping_point"), "suppressed"]
    assert np.isnan(few.loc[("community", "tipping_point"), "mean_diff"])


def test_membership_rows_without_a_group_are_ignored():
    # a membership row whose group is missing puts its person in no group row (not in another group's cell)
    from evaltools.clustering import clustered_change

    scores, people, _, _, _ = overlapping_groups()
    members = pd.DataFrame({"participant_id": [f"P{i:02d}" for i in range(60)] + ["P00", "P01", "P02", "P05"],
                            "group": ["all"] * 60 + ["G1", None, "G1", None]})
    clean = members.dropna()
    for table in (attrition, sensitivity):
        pd.testing.assert_frame_equal(table(scores, people, membership=members, min_cell=1),
                                      table(scores, people, membership=clean, min_cell=1))
    people = people.assign(family_id=None)
    pd.testing.assert_frame_equal(clustered_change(scores, people, membership=members, min_cell=1),
                                  clustered_change(scores, people, membership=clean, min_cell=1))
    g1 = attrition(scores, people, membership=members, min_cell=1).set_index("group").loc["G1"]
    assert (g1["n_baseline"], g1["n_dropouts"]) == (2, 1)
