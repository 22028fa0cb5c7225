"""Attrition (DESIGN.md §4): completers vs dropouts at baseline, and change that keeps the dropouts.

References: scipy.stats.ttest_ind(equal_var=False), statsmodels' logistic GLM
for the completion weights, and hand arithmetic beside each assertion.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaltools.attrition import (
    ATTRITION_COLUMNS,
    SENSITIVITY_COLUMNS,
    attrition,
    baseline_status,
    completion_weights,
    sensitivity,
)


def make(n_complete=20, n_drop=6, seed=0, group=None):
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n_complete + n_drop)]
    pre = np.round(rng.normal(3, 0.8, len(ids)), 2)
    pre[n_complete:] -= 0.5                                      # dropouts start lower
    post = np.round(pre[:n_complete] + rng.normal(0.4, 0.5, n_complete), 2)
    scores = pd.DataFrame({"participant_id": ids + ids[:n_complete],
                           "wave": ["baseline"] * len(ids) + ["endline"] * n_complete,
                           "instrument": "x", "scale": "s", "score": np.r_[pre, post]})
    participants = pd.DataFrame({"participant_id": ids, "components": "community",
                                 "group": group if group is not None else [None] * len(ids)})
    return scores, participants, pre, post


def test_attrition_against_scipy_welch():
    scores, participants, pre, _ = make()
    row = attrition(scores, participants).set_index("group").loc["all"]
    comp, drop = pre[:20], pre[20:]
    assert (row["n_baseline"], row["n_completers"], row["n_dropouts"]) == (26, 20, 6)
    assert row["mean_completers"] == pytest.approx(comp.mean())
    assert row["sd_dropouts"] == pytest.approx(drop.std(ddof=1))
    ref = stats.ttest_ind(drop, comp, equal_var=False)
    assert row["t"] == pytest.approx(ref.statistic, rel=1e-10)
    assert row["p_welch"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert row["df"] == pytest.approx(ref.df, rel=1e-10)
    smd = (drop.mean() - comp.mean()) / np.sqrt((comp.var(ddof=1) + drop.var(ddof=1)) / 2)   # Austin (2009)
    assert row["smd"] == pytest.approx(smd) and row["mean_diff"] == pytest.approx(drop.mean() - comp.mean())


def test_attrition_small_cells_and_columns():
    group = ["G1"] * 12 + ["G2"] * 8 + ["G1"] * 4 + ["G2"] * 2
    scores, participants, _, _ = make(group=group)
    out = attrition(scores, participants, min_cell=5)
    assert out.columns.tolist() == ATTRITION_COLUMNS
    by = out.set_index("group")
    # G1 has 4 dropouts and G2 2: both hidden (their statistics, not their counts)
    assert by.loc["G1", "suppressed"] and by.loc["G2", "suppressed"] and not by.loc["all", "suppressed"]
    assert by.loc["G1", "n_dropouts"] == 4 and np.isnan(by.loc["G1", "mean_dropouts"])
    no_drop = attrition(make(n_drop=0)[0], make(n_drop=0)[1]).set_index("group").loc["all"]
    assert not no_drop["suppressed"] and no_drop["n_dropouts"] == 0 and np.isnan(no_drop["mean_dropouts"])
    empty = attrition(scores.iloc[:0], participants)
    assert empty.columns.tolist() == ATTRITION_COLUMNS and empty.empty


def test_sensitivity_methods_by_hand():
    scores, participants, pre, post = make()
    out = sensitivity(scores, participants)
    assert out.columns.tolist() == SENSITIVITY_COLUMNS
    rows = out[out["group"] == "all"].set_index("method")
    assert rows.index.tolist() == ["complete_case", "baseline_carried_forward", "inverse_probability"]
    d = np.round(post - pre[:20], 10)
    cc = rows.loc["complete_case"]
    ci = stats.ttest_1samp(d, 0).confidence_interval(0.95)
    assert cc["mean_diff"] == pytest.approx(d.mean())
    assert (cc["ci_low"], cc["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert (cc["n"], cc["n_pairs"], cc["n_dropouts"]) == (20, 20, 0)
    bocf = rows.loc["baseline_carried_forward"]
    aug = np.r_[d, np.zeros(6)]                                # dropouts: no change
    ci = stats.ttest_1samp(aug, 0).confidence_interval(0.95)
    assert bocf["mean_diff"] == pytest.approx(aug.mean()) and bocf["ci_low"] == pytest.approx(ci.low)
    assert (bocf["n"], bocf["n_dropouts"]) == (26, 6)
    # inverse probability: logistic regression of completion on the baseline score (statsmodels GLM)
    import statsmodels.api as sm
    y = np.r_[np.ones(20), np.zeros(6)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, sm.add_constant(pre), family=sm.families.Binomial()).fit()
    w = 1 / fit.predict(sm.add_constant(pre))[:20]
    hajek = np.sum(w * d) / np.sum(w)
    ipw = rows.loc["inverse_probability"]
    assert ipw["mean_diff"] == pytest.approx(hajek, rel=1e-8)
    se = np.sqrt(np.sum(w**2 * (d - hajek) ** 2) * 20 / 19) / np.sum(w)
    assert ipw["ci_high"] - ipw["mean_diff"] == pytest.approx(stats.t.isf(0.025, 19) * se, rel=1e-8)
    assert (rows["note"] == "").all() and (rows["ci_level"] == 0.95).all()


def test_sensitivity_no_dropouts_separation_and_suppression():
    scores, participants, _, _ = make(n_drop=0)
    rows = sensitivity(scores, participants)
    rows = rows[rows["group"] == "all"].set_index("method")
    assert (rows["note"] == "no_dropouts").all()
    assert rows["mean_diff"].nunique() == 1                     # all three agree
    # complete separation: every dropout started below every completer
    pre = np.r_[np.linspace(3, 4, 10), [1.0, 1.5]]
    ids = [f"P{i:02d}" for i in range(12)]
    sep = pd.DataFrame({"participant_id": ids + ids[:10], "wave": ["baseline"] * 12 + ["endline"] * 10,
                        "instrument": "x", "scale": "s", "score": np.r_[pre, pre[:10] + 0.3]})
    people = pd.DataFrame({"participant_id": ids, "components": "community", "group": None})
    ipw = sensitivity(sep, people).query("group == 'all'").set_index("method").loc["inverse_probability"]
    assert ipw["note"] == "model_not_converged" and np.isnan(ipw["mean_diff"])
    small = sensitivity(*make(n_complete=4, n_drop=3)[:2])
    assert small["suppressed"].all() and small["mean_diff"].isna().all() and (small["note"] == "").all()
    assert (small["n_pairs"] == 4).all()


def test_completion_weights_score_equations():
    rng = np.random.default_rng(2)
    pre = rng.normal(3, 1, 200)
    done = (rng.random(200) < 1 / (1 + np.exp(-(pre - 2.5)))).astype(float)
    cell = np.repeat([0, 1], 100)
    w, ok = completion_weights(pre, done, cell, 2)
    assert ok.all()
    p = 1 / w
    for c in (0, 1):                                          # ML: Σ(y − p) = 0 and Σ(y − p)·x = 0 in each cell
        m = cell == c
        assert np.sum(done[m] - p[m]) == pytest.approx(0, abs=1e-8)
        assert np.sum((done[m] - p[m]) * pre[m]) == pytest.approx(0, abs=1e-7)


def test_baseline_status():
    scores, _, _, _ = make(n_complete=3, n_drop=2)
    status = baseline_status(scores)
    assert status["completer"].tolist() == [True, True, True, False, False]
    assert status["post"].isna().tolist() == [False, False, False, True, True]
