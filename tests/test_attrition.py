"""Attrition (DESIGN.md §4): completers vs dropouts at baseline, and change that keeps the dropouts.

References: scipy.stats.ttest_ind(equal_var=False); Rubin's rules and the
Barnard–Rubin df written out from van Buuren, Flexible Imputation of Missing
Data, 2nd ed. (2018), eqs. 2.16–2.32, and statsmodels' MICE.combine; the
posterior predictive of the imputation model against statsmodels OLS
get_prediction; hand arithmetic beside each assertion.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaltools.attrition import ATTRITION_COLUMNS, SENSITIVITY_COLUMNS, attrition, baseline_status, sensitivity
from evaltools.imputation import impute_endline, rubin_pool, tipping_point


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


# --------------------------------------------------------------------------- Rubin's rules

def test_rubin_pool_by_hand():
    # van Buuren (2018) §2.3: m = 5 estimates and their squared standard errors, ν_com = 29
    q = np.array([1.2, 1.5, 0.9, 1.4, 1.0])
    u = np.array([0.04, 0.05, 0.045, 0.05, 0.04])
    qbar, ubar, b, t, df = rubin_pool(q, u, n_com=29)
    assert qbar == pytest.approx(6.0 / 5)                                  # (2.16)
    assert ubar == pytest.approx(0.225 / 5)                                # (2.18)
    assert b == pytest.approx((0 + 0.09 + 0.09 + 0.04 + 0.04) / 4)          # (2.19): 0.065
    assert t == pytest.approx(0.045 + 1.2 * 0.065)                         # (2.20): 0.123
    lam = 1.2 * 0.065 / 0.123                                              # (2.24)
    nu_old = 4 / lam**2                                                    # (2.30)
    nu_obs = 30 / 32 * 29 * (1 - lam)                                      # (2.31)
    assert df == pytest.approx(nu_old * nu_obs / (nu_old + nu_obs))        # (2.32)
    assert df == pytest.approx(4.9733, abs=1e-4)   # by calculator: λ = 0.63415, ν_old = 9.9467, ν_obs = 9.9467
    # no between-imputation variance: ν_old is infinite and df = ν_obs
    assert rubin_pool(np.ones(5), u, n_com=29)[4] == pytest.approx(30 / 32 * 29)
    # vectorised over leading axes (cells)
    many = rubin_pool(np.stack([q, q + 1]), np.stack([u, u]), n_com=np.array([29, 29]))
    assert many[0].tolist() == pytest.approx([1.2, 2.2]) and many[4][1] == pytest.approx(df)


def test_rubin_pool_against_statsmodels_mice_combine():
    import statsmodels.api as sm
    from statsmodels.imputation.mice import MICE

    rng = np.random.default_rng(0)
    x = sm.add_constant(rng.normal(size=30))
    fits = [sm.OLS(rng.normal(1, 1, 30), x).fit() for _ in range(5)]
    pooled = MICE.combine(SimpleNamespace(results_list=fits, exog_names=["const", "x"], endog_names="y",
                                          model_class=sm.OLS))
    q = np.array([f.params[0] for f in fits])
    u = np.array([f.cov_params()[0, 0] for f in fits])
    qbar, _, _, t, _ = rubin_pool(q, u, n_com=28)
    assert qbar == pytest.approx(pooled.params[0], rel=1e-12)
    assert t == pytest.approx(pooled.cov_params()[0, 0], rel=1e-12)
    _, _, b, _, _ = rubin_pool(q, u, n_com=28)
    assert (1 + 1 / 5) * b / t == pytest.approx(pooled.frac_miss_info[0], rel=1e-12)   # λ


# --------------------------------------------------------------------------- imputation model

def test_impute_endline_posterior_predictive_against_statsmodels():
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    x = sm.add_constant(rng.normal(3, 1, 25))
    y = 1 + 0.8 * x[:, 1] + rng.normal(0, 0.5, 25)
    x_new = np.array([[1.0, 2.0], [1.0, 4.5]])
    draws = impute_endline(x, y, x_new, 40_000, np.random.default_rng(4))
    pred = sm.OLS(y, x).fit().get_prediction(x_new)
    # posterior predictive of the normal linear model with the reference prior: t with n − p df,
    # centre x·β̂, scale se_obs, so variance se_obs² · df / (df − 2)
    df = 25 - 2
    assert draws.mean(axis=1) == pytest.approx(pred.predicted_mean, abs=0.01)
    assert draws.var(axis=1) == pytest.approx(pred.se_obs**2 * df / (df - 2), rel=0.03)
    # a column that repeats another (a partition of groups beside the intercept) is dropped, not fatal
    twin = np.c_[x, x[:, :1]]
    assert impute_endline(twin, y, np.c_[x_new, x_new[:, :1]], 5, np.random.default_rng(0)).shape == (2, 5)
    assert impute_endline(x[:2], y[:2], x_new, 5, np.random.default_rng(0)) is None   # no residual df


# --------------------------------------------------------------------------- sensitivity

def _manual_pool(d_obs, d_imp, alpha=0.05):
    """Pooled mean change and CI from m completed data sets, each analysed by scipy's one-sample t."""
    q, u = [], []
    for k in range(d_imp.shape[1]):
        full = np.r_[d_obs, d_imp[:, k]]
        q.append(full.mean())
        u.append(stats.sem(full) ** 2)
    qbar, _, _, t, df = rubin_pool(np.array(q), np.array(u), n_com=len(full) - 1)
    half = stats.t.isf(alpha / 2, df) * np.sqrt(t)
    return qbar, qbar - half, qbar + half


def test_sensitivity_complete_case_and_imputation_by_hand():
    scores, participants, pre, post = make()
    dose = pd.DataFrame({"participant_id": participants["participant_id"], "sessions": np.arange(26) % 7})
    out = sensitivity(scores, participants, seed=5, dose=dose)
    assert out.columns.tolist() == SENSITIVITY_COLUMNS
    rows = out[out["group"] == "all"].set_index("method")
    assert rows.index.tolist() == ["complete_case", "multiple_imputation", "tipping_point"]
    d = np.round(post - pre[:20], 10)
    cc = rows.loc["complete_case"]
    ci = stats.ttest_1samp(d, 0).confidence_interval(0.95)
    assert cc["mean_diff"] == pytest.approx(d.mean())
    assert (cc["ci_low"], cc["ci_high"]) == pytest.approx((ci.low, ci.high))
    assert (cc["n"], cc["n_pairs"], cc["n_dropouts"]) == (20, 20, 0)
    # the same imputations by hand: endline ~ 1 + sessions + baseline (no groups here), m = 20, seed 5
    x = np.c_[np.ones(26), np.arange(26) % 7, pre]
    draws = impute_endline(x[:20], post, x[20:], 20, np.random.default_rng(5))
    mean, low, high = _manual_pool(d, draws - pre[20:, None])
    mi = rows.loc["multiple_imputation"]
    assert (mi["mean_diff"], mi["ci_low"], mi["ci_high"]) == pytest.approx((mean, low, high), rel=1e-9)
    assert (mi["n"], mi["n_pairs"], mi["n_dropouts"]) == (26, 20, 6)
    assert (rows["ci_level"] == 0.95).all() and (rows["note"] == "").all()
    # reproducible by seed, and another seed gives other imputations
    assert sensitivity(scores, participants, seed=5, dose=dose).equals(out)
    assert sensitivity(scores, participants, seed=6, dose=dose)["mean_diff"].iloc[1] != mi["mean_diff"]


def test_sensitivity_tipping_point_by_brute_force():
    scores, participants, pre, post = make(seed=1)
    out = sensitivity(scores, participants).query("group == 'all'").set_index("method")
    d = np.round(post - pre[:20], 10)
    x = np.c_[np.ones(26), pre]
    imputed = impute_endline(x[:20], post, x[20:], 20, np.random.default_rng(0)) - pre[20:, None]
    mean, low, _ = _manual_pool(d, imputed)
    assert out.loc["multiple_imputation", "mean_diff"] == pytest.approx(mean, rel=1e-9) and low > 0
    delta = out.loc["tipping_point", "mean_diff"]
    assert delta < 0 and round(delta / 0.05, 6) == round(delta / 0.05)        # a whole number of steps, downwards
    _, low_at, high_at = _manual_pool(d, imputed + delta)                      # every imputed dropout shifted
    _, low_before, _ = _manual_pool(d, imputed + delta + 0.05)
    assert low_at <= 0 <= high_at and low_before > 0
    assert np.isnan(out.loc["tipping_point", ["ci_low", "ci_high"]].astype(float)).all()
    assert out.loc["tipping_point", "note"] == "" and out.loc["tipping_point", "n"] == 26


def test_tipping_point_edges():
    # the CI includes 0 already at δ = 0: δ = 0
    s1, s2 = np.full((1, 20), 0.2), np.full((1, 20), 4.0)
    assert tipping_point(s1, s2, s1, np.array([4.0]), np.array([2.0]), np.array([3.0])).tolist() == [0.0]
    # a fall is searched upwards: Σd = −4.2, 4 dropouts, mean −1.05, CI half-width 0.373 (df 2)
    s1, s2 = np.full((1, 20), -4.2), np.full((1, 20), 4.5)
    assert tipping_point(s1, s2, s1, np.array([4.0]), np.array([4.0]), np.array([3.0])).tolist() == [0.7]
    # not within the span searched, or no dropout: NaN
    assert np.isnan(tipping_point(s1, s2, s1, np.array([4.0]), np.array([4.0]), np.array([0.5]))).all()
    assert np.isnan(tipping_point(s1, s2, s1 * 0, np.array([4.0]), np.array([0.0]), np.array([3.0]))).all()


def test_sensitivity_recovers_mcar_change_with_nominal_coverage():
    # 300 independent replicates as 300 scales of one call: 60 people, true mean change 0.4, endline missing
    # completely at random for 30 %; the pooled 95 % CI should cover 0.4 in about 95 % of replicates
    rng = np.random.default_rng(11)
    n, reps = 60, 300
    ids = [f"P{i:02d}" for i in range(n)]
    frames = []
    for r in range(reps):
        pre = rng.normal(3, 1, n)
        post = 0.7 + 0.9 * pre + rng.normal(0, 0.6, n)                  # E[post − pre] = 0.7 − 0.1·3 = 0.4
        seen = rng.random(n) > 0.3
        frames.append(pd.DataFrame({"participant_id": ids + [i for i, s in zip(ids, seen) if s],
                                    "wave": ["baseline"] * n + ["endline"] * int(seen.sum()),
                                    "instrument": "x", "scale": f"s{r}", "score": np.r_[pre, post[seen]]}))
    people = pd.DataFrame({"participant_id": ids, "components": None, "group": None})
    mi = sensitivity(pd.concat(frames, ignore_index=True), people).query("method == 'multiple_imputation'")
    covered = ((mi["ci_low"] <= 0.4) & (mi["ci_high"] >= 0.4)).mean()
    assert 0.92 <= covered <= 0.98
    assert mi["mean_diff"].mean() == pytest.approx(0.4, abs=0.02)


def test_sensitivity_suppression_no_dropouts_and_not_estimable():
    group = ["G1"] * 12 + ["G2"] * 8 + ["G1"] * 4 + ["G2"] * 2
    scores, participants, _, _ = make(group=group)
    out = sensitivity(scores, participants, min_cell=5).set_index(["group", "method"])
    # complete pairs: G1 12, G2 8, shown; the imputation rows rest on 4 and 2 dropouts: hidden (as in attrition)
    assert not out.loc[("G1", "complete_case"), "suppressed"] and not out.loc[("G2", "complete_case"), "suppressed"]
    for g in ("G1", "G2"):
        for method in ("multiple_imputation", "tipping_point"):
            row = out.loc[(g, method)]
            assert row["suppressed"] and np.isnan(row["mean_diff"]) and row["note"] == ""
    assert not out.loc[("all", "multiple_imputation"), "suppressed"]       # 6 dropouts
    assert out.loc[("G1", "multiple_imputation"), "n"] == 16              # counts stay
    # nobody lost: the imputation row is the complete-case row, no tipping point
    rows = sensitivity(*make(n_drop=0)[:2]).query("group == 'all'").set_index("method")
    assert (rows["note"] == "no_dropouts").all()
    assert rows.loc["multiple_imputation", "ci_low"] == rows.loc["complete_case", "ci_low"]
    assert np.isnan(rows.loc["tipping_point", "mean_diff"])
    # two completers cannot fit endline ~ 1 + baseline with residual df: no imputation
    lone = sensitivity(*make(n_complete=2, n_drop=3)[:2], min_cell=1).query("group == 'all'").set_index("method")
    assert (lone.loc[["multiple_imputation", "tipping_point"], "note"] == "not_estimable").all()
    assert lone.loc[["multiple_imputation", "tipping_point"], "mean_diff"].isna().all()
    empty = sensitivity(scores.iloc[:0], participants)
    assert empty.columns.tolist() == SENSITIVITY_COLUMNS and empty.empty


def test_sensitivity_no_tipping_point_within_the_range():
    # a large rise on a short scale: shifting 2 of 22 dropouts by the whole range cannot reach 0
    rng = np.random.default_rng(0)
    ids = [f"P{i:02d}" for i in range(22)]
    pre = np.round(rng.uniform(1, 1.5, 22), 2)
    post = np.round(pre[:20] + 3 + rng.normal(0, 0.1, 20), 2)
    scores = pd.DataFrame({"participant_id": ids + ids[:20], "wave": ["baseline"] * 22 + ["endline"] * 20,
                           "instrument": "x", "scale": "s", "score": np.r_[pre, post]})
    people = pd.DataFrame({"participant_id": ids, "components": None, "group": None})
    tip = sensitivity(scores, people, min_cell=2).set_index("method").loc["tipping_point"]
    assert np.isnan(tip["mean_diff"]) and tip["note"] == "no_tipping_point"


def test_baseline_status():
    scores, _, _, _ = make(n_complete=3, n_drop=2)
    status = baseline_status(scores)
    assert status["completer"].tolist() == [True, True, True, False, False]
    assert status["post"].isna().tolist() == [False, False, False, True, True]


def test_attrition_sentence_reads_imputation_not_tipping_point():
    # the tipping point is a shift without a CI: the certainty sentence compares complete pairs with MI only
    from evaltools.certainty import attrition_sentence

    scores, participants, _, _ = make(seed=1)
    sentence = attrition_sentence(attrition(scores, participants), sensitivity(scores, participants), "en")
    assert "(multiple imputation of the missing scores of those lost) does not change the conclusion" in sentence
    assert "tipping" not in sentence


def test_tipping_point_in_chunks_of_cells_equals_each_cell_alone():
    # more cells than one chunk (2000): every cell's δ is the one it has when computed alone (issue 18)
    rng = np.random.default_rng(3)
    cells, m = 2100, 5
    n_drop = rng.integers(0, 4, cells).astype("float64")
    n = n_drop + rng.integers(2, 20, cells)
    s1 = rng.normal(0.5, 1.0, (cells, m)) * n[:, None] / 4
    s2 = s1**2 / n[:, None] + rng.uniform(0.5, 3.0, (cells, m)) * n[:, None]
    sd = s1 * (n_drop / n)[:, None]
    span = np.full(cells, 4.0)
    whole = tipping_point(s1, s2, sd, n, n_drop, span)
    for i in [0, 1, 1999, 2000, 2001, 2099, *rng.integers(0, cells, 20)]:
        alone = tipping_point(s1[i:i + 1], s2[i:i + 1], sd[i:i + 1], n[i:i + 1], n_drop[i:i + 1], span[i:i + 1])
        np.testing.assert_array_equal(whole[i:i + 1], alone)
    assert np.isfinite(whole).sum() > 100


def test_imputation_model_keeps_the_largest_groups_beyond_model_groups():
    from evaltools.attrition import _coded
    from evaltools.imputation import MODEL_GROUPS, design_matrix
    from evaltools.labels import t

    people = [f"P{i:03d}" for i in range(300)]
    group = [f"G{i % 40}" if i < 240 else f"G{40 + i % 20}" for i in range(300)]  # 40 groups of 6, 20 of 3
    p = pd.DataFrame({"participant_id": people, "components": "community", "group": group})
    rng = np.random.default_rng(0)
    pre = rng.normal(3, 1, 300)
    s = pd.DataFrame({"participant_id": people * 2, "wave": ["baseline"] * 300 + ["endline"] * 300,
                      "instrument": "x", "scale": "s", "score": np.r_[pre, pre + 0.3 + rng.normal(0, 0.5, 300)]})
    s = s.drop(index=range(300, 330))  # 30 dropouts
    from evaltools.change import group_membership

    membership = group_membership(p)
    c = _coded(s, p, membership, "baseline", "endline")
    assert c.people.tolist() == people
    x = design_matrix(c, None)
    # intercept, then the 50 largest of 61 groups: the component "community" (everyone), the 40 groups of 6 and
    # 9 of the groups of 3 (the first listed)
    assert x.shape[1] == 1 + MODEL_GROUPS
    assert sorted(x[:, 1:].sum(axis=0).tolist(), reverse=True) == [300] + [6] * 40 + [3] * 9
    assert (x[:240, 1:].sum(axis=1) == 2).all() and (x[240:, 1:].sum(axis=1) == 2).sum() == 9 * 3
    out = sensitivity(s, p, min_cell=1)
    mi = out[(out["method"] == "multiple_imputation") & (out["group"] == "all")]
    assert mi["note"].str.contains("model_largest_groups").all()
    assert str(MODEL_GROUPS) in t("outcomes.note.model_largest_groups", "en")
    cc = out[out["method"] == "complete_case"]
    assert not cc["note"].str.contains("model_largest_groups").any()


def test_first_rows_by_code_arrays_and_by_hashing_agree_with_pandas():
    # issue 18: the first baseline/endline row of each pair code, by arrays indexed by code (dense codes) and by
    # hashing (sparse codes); reference: pandas drop_duplicates (keep="first") and a merge of the two waves
    from evaltools.attrition import _first_rows

    rng = np.random.default_rng(3)
    pair = rng.integers(0, 40, 300)
    wave = rng.choice(["pre", "post", "other"], 300)
    frame = pd.DataFrame({"pair": pair, "wave": wave, "row": np.arange(300)})
    first_pre = frame[frame["wave"] == "pre"].drop_duplicates("pair")
    first_post = frame[frame["wave"] == "post"].drop_duplicates("pair").reset_index(drop=True)
    matched = first_pre.merge(first_post.reset_index(), on="pair", how="left")["index"].fillna(-1).astype(int)
    for span in (40, 10_000):  # dense: arrays by code; sparse: hashing
        fp, fq, at = _first_rows(pair, wave == "pre", wave == "post", span)
        assert np.flatnonzero(fp).tolist() == first_pre["row"].tolist()
        assert np.flatnonzero(fq).tolist() == first_post["row"].tolist()
        assert at.tolist() == matched.tolist()


def test_completers_sets_are_the_cells_people_who_completed():
    # the completers' sets of sensitivity's suppression, filtered from the cells' codes, equal cell_people of the
    # completers' rows of the long table (the way they were built before, one more sort)
    from evaltools.attrition import _coded, _completer_sets
    from evaltools.groups import cell_people, group_membership

    rng = np.random.default_rng(5)
    ids = [f"P{i}" for i in range(60)]
    p = pd.DataFrame({"participant_id": ids, "components": rng.choice(["youth", "legal", "youth;legal"], 60),
                      "group": rng.choice(["G1", "G2", None], 60)})
    rows = [(i, w, inst, sc, float(rng.integers(1, 5))) for i in ids for w in ("baseline", "endline")
            for inst, sc in (("x", "a"), ("x", "b"), ("y", "a")) if w == "baseline" or rng.random() < 0.7]
    s = pd.DataFrame(rows, columns=["participant_id", "wave", "instrument", "scale", "score"])
    c = _coded(s, p, group_membership(p), "baseline", "endline")
    done = c.done[c.row]
    expected = cell_people(c.cell[done], c.person[c.row[done]], len(c.grid))
    got = _completer_sets(c)
    assert [sorted(x) for x in got] == [sorted(x) for x in expected]
    assert sum(len(x) for x in got) < sum(len(x) for x in c.cell_sets)  # some dropouts were left out
