"""Paired change (DESIGN.md §4, §7 change.csv), groups, small cells, dose–response.

References: Lakens (2013) table 1 (tests/results/outcome_references.py),
scipy.stats.ttest_rel / wilcoxon / nct / linregress, statsmodels'
TTestPower and multipletests, and hand counts beside the tests.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from evaltools.change import (
    CHANGE_COLUMNS,
    group_membership,
    holm,
    mdes_dz,
    noncentral_t_ci,
    paired_change,
    wilcoxon_cells,
)
from evaltools.dose_response import DOSE_RESPONSE_COLUMNS, dose_from_attendance, dose_points, dose_response, endline_dates
from evaltools.instruments import LIBRARY, load_instrument
from evaltools.pairing import PAIR_COLUMNS, paired_scores

MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]   # Lakens (2013), table 1 (the later rating: endline)
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]   # (baseline)
NO_GROUPS = pd.DataFrame({"participant_id": pd.Series([], dtype="str"), "group": pd.Series([], dtype="str")})
KEEP = ["instrument", "scale", "group", "n_pairs", "suppressed"]


def long_scores(pre, post, *, instrument="x", scale="s", ids=None):
    ids = ids or [f"P{i:03d}" for i in range(len(pre))]
    return pd.DataFrame({"participant_id": list(ids) * 2, "wave": ["baseline"] * len(ids) + ["endline"] * len(ids),
                         "instrument": instrument, "scale": scale, "score": list(pre) + list(post)})


def test_lakens_movie_example():
    row = paired_change(long_scores(MOVIE_2, MOVIE_1), membership=NO_GROUPS).iloc[0]
    assert row["n_pairs"] == 10 and row["df"] == 9
    assert round(row["t"], 2) == 4.74                      # Lakens (2013): t(9) = 4.74
    assert round(row["d_z"], 2) == 1.50                    # d_z = 1.50
    j = 1 - 3 / (8 * 10 - 9)
    assert round(row["g_av"] / j, 2) == 1.13               # d_av = 1.13
    assert round(row["g_av"], 2) == 1.08                   # g_av = 1.08
    assert (round(row["mean_pre"], 1), round(row["sd_pre"], 2)) == (7.7, 0.95)     # table 1
    assert (round(row["mean_post"], 1), round(row["sd_post"], 2)) == (8.7, 0.82)
    ref = stats.ttest_rel(MOVIE_1, MOVIE_2)
    assert row["p_t"] == pytest.approx(ref.pvalue, rel=1e-12)
    ci = ref.confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert row["ci_level"] == 0.95 and not row["suppressed"]


def test_columns_exact_and_empty_input():
    out = paired_change(long_scores(MOVIE_2, MOVIE_1), membership=NO_GROUPS)
    assert out.columns.tolist() == CHANGE_COLUMNS
    assert CHANGE_COLUMNS[-3:] == ["suppressed", "mdes_dz", "holm_family"]      # new columns at the end
    empty = paired_change(long_scores([], []), membership=NO_GROUPS)
    assert empty.columns.tolist() == CHANGE_COLUMNS and len(empty) == 0


def test_matches_scipy_on_random_data():
    rng = np.random.default_rng(7)
    pre = rng.normal(3, 0.8, 40)                          # continuous: no ties, so SciPy's exact test applies
    post = pre + rng.normal(0.3, 0.6, 40)
    row = paired_change(long_scores(pre, post), membership=NO_GROUPS, alpha=0.1).iloc[0]
    ref = stats.ttest_rel(post, pre)
    assert row["t"] == pytest.approx(ref.statistic, rel=1e-9) and row["p_t"] == pytest.approx(ref.pvalue, rel=1e-9)
    ci = ref.confidence_interval(0.90)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert row["ci_level"] == pytest.approx(0.90)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = stats.wilcoxon(np.round(post - pre, 10), method="exact")
    assert row["w_stat"] == w.statistic and row["p_wilcoxon"] == pytest.approx(w.pvalue, rel=1e-12)


def test_g_av_ci_from_noncentral_t_by_brentq():
    rng = np.random.default_rng(8)
    pre = rng.normal(3, 1, 25)
    post = pre + rng.normal(0.4, 0.7, 25)
    row = paired_change(long_scores(pre, post), membership=NO_GROUPS).iloc[0]
    t, df = row["t"], row["df"]
    lam_lo = optimize.brentq(lambda lam: stats.nct.sf(t, df, lam) - 0.025, t - 20, t + 20, xtol=1e-14)
    lam_hi = optimize.brentq(lambda lam: stats.nct.sf(t, df, lam) - 0.975, t - 20, t + 20, xtol=1e-14)
    assert row["g_av_ci_low"] == pytest.approx(row["g_av"] * lam_lo / t, rel=1e-8)
    assert row["g_av_ci_high"] == pytest.approx(row["g_av"] * lam_hi / t, rel=1e-8)
    assert row["g_av_ci_low"] < row["g_av"] < row["g_av_ci_high"]


def test_mdes_dz_reference_and_statsmodels():
    from statsmodels.stats.power import TTestPower

    assert round(float(mdes_dz(14)[0]), 3) == 0.810       # TTestPower().solve_power(nobs=14, alpha=.05, power=.8)
    n = np.array([2, 3, 5, 14, 30, 100, 1000])
    expected = [TTestPower().solve_power(nobs=k, alpha=0.05, power=0.8) for k in n]
    np.testing.assert_allclose(mdes_dz(n), expected, rtol=1e-4)     # statsmodels' own root is good to ~1e-5
    crit = stats.t.isf(0.025, n - 1)
    nc = mdes_dz(n) * np.sqrt(n)
    np.testing.assert_allclose(stats.nct.sf(crit, n - 1, nc) + np.nan_to_num(stats.nct.cdf(-crit, n - 1, nc)), 0.8,
                               atol=1e-9)                          # exactly 80 % power by scipy's noncentral t
    d = mdes_dz(14)[0]                                    # cross-check: power at d from scipy's noncentral t
    crit = stats.t.isf(0.025, 13)
    power = stats.nct.sf(crit, 13, d * math.sqrt(14)) + stats.nct.cdf(-crit, 13, d * math.sqrt(14))
    assert power == pytest.approx(0.8, abs=1e-9)
    assert np.isnan(mdes_dz([0, 1])).all()
    row = paired_change(long_scores(MOVIE_2, MOVIE_1), membership=NO_GROUPS).iloc[0]
    assert row["mdes_dz"] == pytest.approx(TTestPower().solve_power(nobs=10, alpha=0.05, power=0.8), rel=1e-4)


def _one_sample(d):
    d = np.asarray(d, dtype=float)
    w, p = wilcoxon_cells(d, np.zeros(len(d), dtype=int), 1)
    return w[0], p[0]


def _brute_force_wilcoxon(d):
    """Two-sided p of the signed-rank test by enumerating all 2^n signs of the non-zero |d| (mid-ranks kept)."""
    d = np.asarray(d, dtype=float)
    d = d[d != 0]
    ranks = stats.rankdata(np.abs(d))                     # average ranks for ties
    obs = ranks[d > 0].sum()
    totals = np.array([sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(d))])
    return min(1.0, 2 * min(np.mean(totals <= obs + 1e-9), np.mean(totals >= obs - 1e-9)))


def test_wilcoxon_exact_equals_scipy_exact_without_ties():
    # scipy.stats.wilcoxon(d, method="exact"): the exact null of R+ (no ties), zeros dropped (zero_method wilcox)
    rng = np.random.default_rng(5)
    for n in (1, 2, 5, 8, 13, 14, 20, 30, 50):
        for d in (rng.normal(0.3, 1, size=n), np.r_[np.zeros(7), rng.normal(0.5, 1, size=n)]):
            w, p = _one_sample(d)
            ref = stats.wilcoxon(d, method="exact")
            assert w == ref.statistic
            assert p == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-15), n


def test_wilcoxon_exact_with_ties_equals_enumeration_of_all_signs():
    rng = np.random.default_rng(11)
    for n in (1, 2, 3, 6, 9, 12):
        for _ in range(4):
            d = rng.integers(-3, 4, size=n + 3).astype(float)      # zeros and ties
            if (d != 0).sum() > 12:
                continue
            w, p = _one_sample(d)
            nz = d[d != 0]
            r = stats.rankdata(np.abs(nz))
            assert w == min(r[nz > 0].sum(), r[nz < 0].sum())       # scipy's statistic: min(R+, R-)
            assert p == pytest.approx(_brute_force_wilcoxon(d), rel=1e-12), d.tolist()
    # ties at n ≤ 13: SciPy's default (an exhaustive permutation test) gives the same number
    d = np.array([1.0, 2.0, -0.5, 0.0, 2.0, 3.0, 1.5, -1.0])
    assert _one_sample(d)[1] == pytest.approx(stats.wilcoxon(d).pvalue, rel=1e-12)


def test_wilcoxon_many_zeros_issue_14():
    # 20 pairs, 15 zeros, 5 positive: exact two-sided p = 2 / 2^5 = 0.0625 (SciPy's default gave 0.043)
    d = [0.0] * 15 + [1.0, 2.0, 3.0, 4.0, 5.0]
    assert _one_sample(d) == (0.0, 0.0625)
    assert stats.wilcoxon(d, method="exact").pvalue == pytest.approx(0.0625)
    # relation_professional of the demo: 35 zeros and two tied -1: P(R+ = 0) = 1/4, two-sided 0.5 (was 0.157)
    assert _one_sample([0.0] * 35 + [-1.0, -1.0]) == (0.0, 0.5)
    # through paired_change: 20 pairs, 15 without change
    pre = np.arange(20, dtype=float)
    row = paired_change(long_scores(pre, pre + np.r_[np.zeros(15), 1, 2, 3, 4, 5]), membership=NO_GROUPS).iloc[0]
    assert row["w_stat"] == 0 and row["p_wilcoxon"] == 0.0625


def test_wilcoxon_normal_approximation_above_50_non_zero():
    # scipy.stats.wilcoxon(d, method="approx"): zeros dropped, tie-corrected variance, no continuity correction
    rng = np.random.default_rng(9)
    for n_nonzero in (51, 60, 200):
        nz = np.round(rng.normal(0.2, 1, size=n_nonzero) * 2) / 2
        nz[nz == 0] = 0.5
        d = np.r_[np.zeros(10), nz]
        w, p = _one_sample(d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = stats.wilcoxon(d, method="approx")
        assert w == ref.statistic and p == pytest.approx(ref.pvalue, rel=1e-10)
    # the switch counts non-zero differences: 50 of them (plus 30 zeros) are still exact
    nz = rng.normal(0.3, 1, size=50)
    assert _one_sample(np.r_[np.zeros(30), nz])[1] == pytest.approx(stats.wilcoxon(nz, method="exact").pvalue,
                                                                     rel=1e-10)


def test_wilcoxon_cells_many_samples_at_once_and_degenerate_ones():
    rng = np.random.default_rng(3)
    samples = [rng.normal(size=9), np.zeros(0), np.zeros(4), np.array([0.0]), rng.normal(size=70), np.full(6, 1.0)]
    cell = np.concatenate([np.full(len(d), i) for i, d in enumerate(samples)]).astype(int)
    w, p = wilcoxon_cells(np.concatenate(samples), cell, len(samples))
    for i, d in enumerate(samples):
        if len(d) == 0:                                       # no pair: no test
            assert np.isnan(w[i]) and np.isnan(p[i])
        elif not (d != 0).any():                              # only zeros: statistic 0, p 1 (SciPy's exact)
            assert (w[i], p[i]) == (0.0, 1.0) == tuple(stats.wilcoxon(d, method="exact"))
        else:
            assert (w[i], p[i]) == pytest.approx(_one_sample(d), rel=1e-12)
    assert p[5] == pytest.approx(2 / 2**6)                    # six equal positive d: 2 · (1/2)^6


def test_edge_cases_n_0_1_2_constant_and_zero_change():
    frames = [long_scores([1.0], [2.0], scale="n1"), long_scores([1.0, 2.0], [2.0, 2.5], scale="n2"),
              long_scores([1, 2, 3, 4, 5.0], [2, 3, 4, 5, 6.0], scale="constant"),
              long_scores([1, 2, 3, 4, 5.0], [1, 2, 3, 4, 5.0], scale="zero"),
              long_scores([1.0], [np.nan], scale="n0")]
    out = paired_change(pd.concat(frames), membership=NO_GROUPS, min_cell=0).set_index("scale")
    assert out.loc["n0", "n_pairs"] == 0 and out.loc["n0", "suppressed"]       # no pair: always suppressed
    n1 = out.loc["n1"]
    assert n1["n_pairs"] == 1 and n1["mean_diff"] == 1 and n1[["t", "p_t", "d_z", "g_av", "mdes_dz"]].isna().all()
    n2 = out.loc["n2"]
    assert n2["df"] == 1 and np.isfinite(n2["t"]) and n2[["g_av_ci_low", "g_av_ci_high"]].isna().all()  # n < 3
    # every d = 1: SciPy gives t = inf, p = 0; DESIGN §4: zero variance of d is no test, so t, p, d_z, g_av CI empty
    const = out.loc["constant"]
    assert const[["t", "p_t", "d_z", "g_av_ci_low", "g_av_ci_high", "p_holm"]].isna().all()
    assert const["ci_low"] == const["ci_high"] == 1 and const["mean_diff"] == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert stats.ttest_rel([2, 3, 4, 5, 6.0], [1, 2, 3, 4, 5.0]).statistic == np.inf
        ref_zero = stats.wilcoxon(np.zeros(5), method="exact")
        ref_const = stats.wilcoxon(np.ones(5), method="exact")   # the signed-rank test stays: 2 / 2**5
    assert const["w_stat"] == ref_const.statistic and const["p_wilcoxon"] == pytest.approx(ref_const.pvalue)
    zero = out.loc["zero"]
    assert math.isnan(zero["t"]) and math.isnan(zero["p_t"]) and math.isnan(zero["d_z"])
    assert zero["w_stat"] == ref_zero.statistic and zero["p_wilcoxon"] == ref_zero.pvalue


def test_equal_differences_of_item_means_stay_tied():
    pre = [1 / 3 + 3, 2 / 3 + 2, 4 / 3 + 1]               # 3.333…, 2.666…, 2.333…
    post = [p + 1 / 3 for p in pre]                       # each d is 1/3 up to float noise
    pairs = paired_scores(long_scores(pre, post))
    assert pairs["diff"].nunique() == 1


def test_groups_all_always_empty_groups_and_suppression():
    participants = pd.DataFrame({
        "participant_id": [f"P{i:03d}" for i in range(14)],
        "components": ["self_help"] * 8 + ["youth;legal"] * 6,
        "group": ["G1"] * 7 + ["G2"] * 4 + ["G3"] * 3})
    members = group_membership(participants)
    rng = np.random.default_rng(1)
    pre = rng.normal(3, 1, 14)
    scores = long_scores(pre, pre + rng.normal(0.5, 0.5, 14))
    out = paired_change(scores, membership=members, min_cell=5, instruments=None)
    assert out["group"].tolist() == ["all", "youth", "self_help", "legal", "G1", "G2", "G3"]
    by = out.set_index("group")
    assert by.loc["all", "n_pairs"] == 14 and not by.loc["all", "suppressed"]
    # G3 (3) and G2 (4) are below 5; with two hidden no complementary suppression is needed, but
    # G1 (P000-P006) lies within self_help (P000-P007), one person more: G1 is hidden (nested rule)
    assert by.loc["G2", "suppressed"] and by.loc["G3", "suppressed"] and by.loc["G1", "suppressed"]
    assert not by.loc["self_help", "suppressed"] and not by.loc["youth", "suppressed"]
    hidden = out[out["suppressed"]]
    assert hidden.drop(columns=KEEP).isna().all().all()
    shown = out[~out["suppressed"]]
    assert shown.drop(columns=KEEP).notna().all().all()
    # an instrument nobody answered still gets its rows, `all` included, suppressed with n 0
    emp = load_instrument(LIBRARY / "empowerment.yaml")
    out2 = paired_change(scores, membership=members, instruments={"empowerment": emp})
    rows = out2[out2["instrument"] == "empowerment"]
    assert rows["scale"].unique().tolist() == ["agency", "voice"] and (rows["n_pairs"] == 0).all()
    assert rows["suppressed"].all() and "all" in set(rows["group"])


def test_complementary_suppression_within_a_partition():
    participants = pd.DataFrame({"participant_id": [f"P{i:03d}" for i in range(24)], "components": "community",
                                 "group": ["A"] * 3 + ["B"] * 9 + ["C"] * 12})
    rng = np.random.default_rng(2)
    pre = rng.normal(3, 1, 24)
    out = paired_change(long_scores(pre, pre + rng.normal(0.5, 0.5, 24)), membership=group_membership(participants),
                        partition_groups={"A", "B", "C"}).set_index("group")
    assert out.loc["A", "suppressed"] and out.loc["B", "suppressed"]        # B is hidden so A cannot be recovered
    assert not out.loc["C", "suppressed"] and not out.loc["all", "suppressed"]
    assert "community" not in out.index                   # everyone is in community: the row would repeat `all`


def test_holm_within_group_and_instrument_over_shown_rows():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(4)
    frames = []
    for inst in ("a", "b"):
        for k, shift in enumerate([0.05, 0.2, 0.5]):
            pre = rng.normal(3, 1, 20)
            frames.append(long_scores(pre, pre + rng.normal(shift, 0.6, 20), instrument=inst, scale=f"s{k}"))
    frames.append(long_scores([1, 2, 3.0], [2, 2, 4.0], instrument="a", scale="tiny"))   # 3 pairs: suppressed
    out = paired_change(pd.concat(frames), membership=NO_GROUPS)
    for inst in ("a", "b"):
        fam = out[(out["instrument"] == inst) & ~out["suppressed"]]
        assert len(fam) == 3
        np.testing.assert_allclose(fam["p_holm"], multipletests(fam["p_t"], method="holm")[1], rtol=1e-12)
    assert math.isnan(out.loc[out["scale"] == "tiny", "p_holm"].iloc[0])
    p = pd.Series([0.01, np.nan, 0.02])
    assert holm(p, pd.DataFrame({"f": ["x", "x", "x"]})).tolist()[::2] == [0.02, 0.02]   # NaN does not count


def test_holm_primary_family_and_exploratory_families():
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(8)
    ids = [f"P{i:03d}" for i in range(30)]
    participants = pd.DataFrame({"participant_id": ids, "components": "community", "group": ["G1"] * 15 + ["G2"] * 15})
    frames = []
    for inst, scales in (("a", ["s0", "s1", "s2"]), ("b", ["s0", "s1"]), ("ego_network", ["size"])):
        for k, scale in enumerate(scales):
            pre = rng.normal(3, 1, 30)
            frames.append(long_scores(pre, pre + rng.normal(0.1 + 0.15 * k, 0.6, 30), instrument=inst, scale=scale,
                                      ids=ids))
    frames.append(long_scores([1, 2, 3.0], [2, 2, 4.0], instrument="b", scale="tiny", ids=ids[:3]))   # suppressed
    scores = pd.concat(frames)
    members = group_membership(participants)
    primary = ["a/s0", "b/s1", "ego_network/size", "b/tiny"]
    out = paired_change(scores, membership=members, primary_outcomes=primary)
    assert "community" not in set(out["group"])            # everyone: it would repeat `all`
    key = out["instrument"] + "/" + out["scale"]
    is_primary = key.isin(primary[:3]) & (out["group"] == "all")
    assert (out.loc[is_primary, "holm_family"] == "primary").all() and is_primary.sum() == 3
    # the confirmatory family: the 3 shown all-rows of the primary outcomes (b/tiny is suppressed: no family)
    fam = out[is_primary]
    np.testing.assert_allclose(fam["p_holm"], multipletests(fam["p_t"], method="holm")[1], rtol=1e-12)
    tiny = out[out["scale"] == "tiny"]
    assert tiny["suppressed"].all() and tiny["holm_family"].isna().all() and tiny["p_holm"].isna().all()
    # every other shown row is exploratory, in <instrument>/<group>: a/all holds s1 and s2 (s0 is primary)
    rest = out[~is_primary & ~out["suppressed"]]
    assert (rest["holm_family"] == rest["instrument"] + "/" + rest["group"]).all()
    a_all = out[(out["holm_family"] == "a/all")]
    assert a_all["scale"].tolist() == ["s1", "s2"]
    np.testing.assert_allclose(a_all["p_holm"], multipletests(a_all["p_t"], method="holm")[1], rtol=1e-12)
    g1 = out[out["holm_family"] == "a/G1"]
    assert g1["scale"].tolist() == ["s0", "s1", "s2"]
    np.testing.assert_allclose(g1["p_holm"], multipletests(g1["p_t"], method="holm")[1], rtol=1e-12)
    # without primary outcomes every row is exploratory, the family of its instrument and group
    plain = paired_change(scores, membership=members)
    shown = plain[~plain["suppressed"]]
    assert (shown["holm_family"] == shown["instrument"] + "/" + shown["group"]).all()
    assert set(shown["holm_family"]) == {f"{i}/{g}" for i in ("a", "b", "ego_network") for g in ("all", "G1", "G2")}
    # the columns other than p_holm and holm_family do not depend on the families
    same = [c for c in CHANGE_COLUMNS if c not in ("p_holm", "holm_family")]
    pd.testing.assert_frame_equal(plain[same], out[same])


def test_ego_network_without_instrument_object():
    rng = np.random.default_rng(6)
    pre = rng.integers(2, 8, 12).astype(float)
    scores = pd.concat([long_scores(pre, pre + rng.integers(0, 3, 12), instrument="ego_network", scale="size"),
                        long_scores(pre, pre + 1, instrument="empowerment", scale="agency")])
    emp = load_instrument(LIBRARY / "empowerment.yaml")
    out = paired_change(scores, membership=NO_GROUPS, instruments={"empowerment": emp})
    assert list(zip(out["instrument"], out["scale"])) == [("empowerment", "agency"), ("empowerment", "voice"),
                                                          ("ego_network", "size")]
    assert out.loc[2, "n_pairs"] == 12 and np.isfinite(out.loc[2, "t"])


def test_dose_response_matches_linregress():
    rng = np.random.default_rng(9)
    ids = [f"P{i:03d}" for i in range(30)]
    sessions = rng.integers(0, 40, 30)
    pre = rng.normal(3, 1, 30)
    post = pre + 0.02 * sessions + rng.normal(0, 0.4, 30)
    scores = long_scores(pre, post, ids=ids)
    dose = pd.DataFrame({"participant_id": ids[:-1], "sessions": sessions[:-1]})   # the last one attended nothing
    sessions[-1] = 0
    table = dose_response(scores, dose, alpha=0.05)
    assert table.columns.tolist() == DOSE_RESPONSE_COLUMNS
    row = table.iloc[0]
    ref = stats.linregress(sessions, np.round(post - pre, 10))
    assert row["n"] == 30
    assert (row["r"], row["p"], row["slope"], row["intercept"]) == pytest.approx(
        (ref.rvalue, ref.pvalue, ref.slope, ref.intercept), rel=1e-8)
    half = stats.t.isf(0.025, 28) * ref.stderr
    assert (row["slope_ci_low"], row["slope_ci_high"]) == pytest.approx((ref.slope - half, ref.slope + half), rel=1e-8)
    pts = dose_points(scores, dose)
    assert pts.columns.tolist() == ["instrument", "scale", "sessions", "diff"] and len(pts) == 30
    small = dose_response(long_scores(pre[:4], post[:4], ids=ids[:4]), dose, min_cell=5).iloc[0]
    assert small["suppressed"] and small[["r", "p", "slope"]].isna().all()


def test_dose_from_attendance():
    att = pd.DataFrame({"session_id": ["S1", "S2", "S2", "S3", "S3"], "participant_id": ["A", "A", "B", "A", "X"]})
    sessions = pd.DataFrame({"session_id": ["S1", "S2", "S3"], "activity": ["family_visit", "self_help_meeting",
                                                                          "staff_training"],
                             "duration_min": [60.0, 60.0, 60.0]})
    people = pd.DataFrame({"participant_id": ["A", "B", "C"]})
    out = dose_from_attendance(att, sessions=sessions, participants=people)
    assert out.values.tolist() == [["A", 2], ["B", 1], ["C", 0]]       # staff training and unregistered X left out
    assert dose_from_attendance(att).set_index("participant_id")["sessions"].to_dict() == {"A": 3, "B": 1, "X": 1}


def test_dose_counts_only_sessions_up_to_the_persons_own_endline():
    # hand example: A's endline questionnaire is dated 2021-06-10, B's is undated (→ the period end 2021-12-31),
    # C has no endline questionnaire (→ the period end); S4 (2021-06-10) is on A's endline day and counts
    sessions = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4", "S5"],
                             "date": pd.to_datetime(["2021-02-01", "2021-05-01", "2021-07-01", "2021-06-10",
                                                     "2022-01-15"]),
                             "activity": "family_visit", "duration_min": 60.0})
    att = pd.DataFrame({"session_id": ["S1", "S2", "S3", "S4", "S5", "S1", "S3", "S5", "S3"],
                        "participant_id": ["A", "A", "A", "A", "A", "B", "B", "B", "C"]})
    q = pd.DataFrame({"participant_id": ["A", "A", "B", "B"], "wave": ["baseline", "endline"] * 2,
                      "date": pd.to_datetime(["2021-01-10", "2021-06-10", "2021-01-12", None])})
    people = pd.DataFrame({"participant_id": ["A", "B", "C"]})
    until = endline_dates({"x": q}, participants=people, default=pd.Timestamp("2021-12-31"))
    assert until["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-06-10", "2021-12-31", "2021-12-31"]
    out = dose_from_attendance(att, sessions=sessions, participants=people, until=until)
    # A: S1, S2, S4 (S3 on 1 July and S5 after the endline); B: S1, S3 (S5 after the period end); C: S3
    assert out.values.tolist() == [["A", 3], ["B", 2], ["C", 1]]
    everything = dose_from_attendance(att, sessions=sessions, participants=people)
    assert everything.values.tolist() == [["A", 5], ["B", 3], ["C", 1]]   # without until: all five of A's
    with pytest.raises(ValueError, match="until= needs the session dates"):
        dose_from_attendance(att, until=until)


def test_dose_response_p_holm_is_statsmodels_holm_across_the_table():
    from statsmodels.stats.multitest import multipletests
    rng = np.random.default_rng(11)
    ids = [f"P{i:03d}" for i in range(25)]
    sessions = rng.integers(0, 30, 25)
    frames = []
    for k, slope in enumerate([0.0, 0.01, 0.03, 0.05, 0.0]):
        pre = rng.normal(3, 1, 25)
        post = pre + slope * sessions + rng.normal(0, 0.4, 25)
        frames.append(long_scores(pre, post, ids=ids, scale=f"s{k}"))
    frames.append(long_scores([1.0, 2, 3], [2.0, 2, 4], ids=ids[:3], scale="small"))   # suppressed: not a test
    table = dose_response(pd.concat(frames), pd.DataFrame({"participant_id": ids, "sessions": sessions}), min_cell=5)
    assert table.columns.tolist()[-1] == "p_holm"
    shown = table[~table["suppressed"]]
    ref = multipletests(shown["p"], method="holm")[1]     # statsmodels, one family of all shown tests
    np.testing.assert_allclose(shown["p_holm"], ref, rtol=1e-12)
    assert len(shown) == 5 and table.loc[table["scale"] == "small", "p_holm"].isna().all()


def test_wilcoxon_cells_interleaved_with_ties_equal_scipy_per_cell():
    # the ranks come from one sort of (cell, |d|) (issue 18): cells given interleaved, with ties across and within
    # cells, against scipy.stats.wilcoxon of each cell alone (approx above 50 non-zero d, exact-with-ties below)
    rng = np.random.default_rng(11)
    samples = [np.round(rng.normal(0.3, 1, size=k) * 2) / 2 for k in (80, 120, 12, 60, 7)]
    cell = np.concatenate([np.full(len(d), i) for i, d in enumerate(samples)])
    order = rng.permutation(len(cell))
    w, p = wilcoxon_cells(np.concatenate(samples)[order], cell[order], len(samples))
    for i, d in enumerate(samples):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = stats.wilcoxon(d, method="approx")
        assert w[i] == ref.statistic
        if (d != 0).sum() > 50:
            assert p[i] == pytest.approx(ref.pvalue, rel=1e-10)
        else:
            assert p[i] == pytest.approx(_one_sample(d)[1], rel=1e-12)


def test_noncentral_t_ci_repeated_cells_solved_once_same_values():
    # each distinct (t, df) is solved once (issue 18): every element equals the solve of it alone, and nct.sf at
    # the bounds gives alpha/2 and 1 - alpha/2 (the definition)
    t = np.array([2.5, -1.2, 2.5, np.nan, 0.0, 2.5, 3.1, -1.2])
    df = np.array([9.0, 4.0, 9.0, 5.0, 5.0, 12.0, 9.0, 4.0])
    lo, hi = noncentral_t_ci(t, df)
    for k in range(len(t)):
        alone = noncentral_t_ci(t[k:k + 1], df[k:k + 1])
        assert np.array_equal([lo[k], hi[k]], [alone[0][0], alone[1][0]], equal_nan=True)
    ok = np.isfinite(lo)
    assert ok.tolist() == [True, True, True, False, False, True, True, True]
    assert np.allclose(stats.nct.sf(t[ok], df[ok], lo[ok]), 0.025, atol=1e-9)
    assert np.allclose(stats.nct.sf(t[ok], df[ok], hi[ok]), 0.975, atol=1e-9)
    assert lo[0] != lo[5]  # same t, other df: another solve


def _messy_scores(n_people, seed):
    """A long scores table with what pairing must handle: interleaved scales, repeats, gaps, other waves, NA."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:05d}" for i in range(n_people)] + [None]
    rows = pd.DataFrame({"participant_id": rng.choice(ids, size=6 * n_people),
                         "wave": rng.choice(["baseline", "endline", "midline", None], size=6 * n_people),
                         "instrument": rng.choice(["x", "y", None], size=6 * n_people),
                         "scale": rng.choice(["s", "t"], size=6 * n_people),
                         "score": np.where(rng.random(6 * n_people) < 0.1, np.nan,
                                           rng.integers(0, 9, 6 * n_people) / 4)})
    return rows.astype({c: "str" for c in ("participant_id", "wave", "instrument", "scale")})


def _pairs_by_text(scores):
    # the definition on the text columns (the code before issue 18 wave 2): first scored row per person × scale × wave
    keys = ["instrument", "scale", "participant_id"]
    scored = scores[scores["score"].notna()]
    pre = scored[scored["wave"] == "baseline"].drop_duplicates(keys)
    post = scored[scored["wave"] == "endline"].drop_duplicates(keys)
    out = pre[keys + ["score"]].merge(post[keys + ["score"]], on=keys, how="inner", sort=False,
                                      suffixes=("_pre", "_post"))
    out = out.rename(columns={"score_pre": "pre", "score_post": "post"})
    out["diff"] = (out["post"] - out["pre"]).round(10)
    return out


@pytest.mark.parametrize("n_people", [40, 12_000])  # 12,000: 72,000 rows, codes remembered (evaltools.codes)
def test_paired_scores_from_codes_equal_the_text_definition(n_people):
    from evaltools.pairing import first_scale_rows, scale_key_index, scale_keys

    scores = _messy_scores(n_people, seed=n_people)
    expected = _pairs_by_text(scores)
    for _ in range(2):  # the second time from the remembered codes
        pairs = paired_scores(scores)
        pd.testing.assert_frame_equal(pairs, expected[pairs.columns.tolist()], check_dtype=False)
    first = scores[["instrument", "scale"]].drop_duplicates()
    assert first_scale_rows(scores).tolist() == first.index.tolist()
    keys = scale_keys(scores, None)
    assert keys.values.tolist() == first.values.tolist()
    picked = keys.iloc[[2, 0]].reset_index(drop=True)
    by_row = pd.MultiIndex.from_frame(scores[["instrument", "scale"]])
    expected_index = pd.MultiIndex.from_frame(picked).get_indexer(by_row)
    assert scale_key_index(scores, picked).tolist() == expected_index.tolist()


def test_dose_points_sessions_equal_a_merge_on_ids():
    scores = _messy_scores(60, seed=3)
    dose = pd.DataFrame({"participant_id": [f"P{i:05d}" for i in range(0, 60, 2)] + ["P00000", "Q1"],
                         "sessions": [float(i % 7) if i % 5 else np.nan for i in range(30)] + [99.0, 3.0]})
    pairs = paired_scores(scores)
    first_dose = dose.drop_duplicates("participant_id")
    expected = pairs.merge(first_dose, on="participant_id", how="left")["sessions"].fillna(0)
    pts = dose_points(scores, dose)
    assert pts["sessions"].tolist() == expected.tolist()
    assert pts[["instrument", "scale", "diff"]].equals(pairs[["instrument", "scale", "diff"]])
    assert 0 < (pts["sessions"] > 0).sum() < len(pts)


def test_pair_rows_remembered_only_for_the_same_values():
    # pair_rows remembers its answer for the remembered codes of the four columns and the rows with a score
    # (issue 18 wave 2): a table edited in place (a wave, a score made missing) is paired afresh
    from evaltools.pairing import pair_rows

    scores = _messy_scores(12_000, seed=5)
    first = pair_rows(scores)
    again = pair_rows(scores)
    assert again[0] is first[0] and not again[0].flags.writeable
    scores.loc[int(first[1][0]), "wave"] = "midline"
    edited = _pairs_by_text(scores)
    assert not np.array_equal(pair_rows(scores)[1], first[1])
    pd.testing.assert_frame_equal(paired_scores(scores), edited[paired_scores(scores).columns.tolist()],
                                  check_dtype=False)
    scores.loc[int(first[0][5]), "score"] = np.nan
    pd.testing.assert_frame_equal(paired_scores(scores), _pairs_by_text(scores)[PAIR_COLUMNS], check_dtype=False)
    assert len(paired_scores(scores)) == len(edited) - 1


def test_wilcoxon_exact_cells_sharing_ranks_each_get_their_own_p():
    # cells with the same ranks share one null distribution (issue 18 wave 2); each cell's p still comes from its
    # own signs: scipy's exact test (no ties, no zeros) cell by cell, in cells of 1 to 12 differences
    rng = np.random.default_rng(21)
    samples = [rng.choice([-1, 1], size=k) * rng.permutation(np.arange(1, k + 1)) * 0.25
               for k in rng.integers(1, 13, size=400)]
    cell = np.repeat(np.arange(len(samples)), [len(s) for s in samples])
    order = rng.permutation(len(cell))  # cells interleaved
    w, p = wilcoxon_cells(np.concatenate(samples)[order], cell[order], len(samples))
    for k, d in enumerate(samples):
        ref = stats.wilcoxon(d, method="exact")
        assert w[k] == ref.statistic and p[k] == pytest.approx(ref.pvalue, rel=1e-12), k
    assert len({tuple(np.sign(d)) for d in samples}) > 100 and len({len(d) for d in samples}) == 12


def test_dose_points_missing_ids_match_as_in_a_merge():
    scores = long_scores([1.0, 2.0, 3.0], [2.0, 2.0, 5.0], ids=["A", None, "C"]).astype({"participant_id": "str"})
    dose = pd.DataFrame({"participant_id": pd.Series(["C", None], dtype="str"), "sessions": [4.0, 7.0]})
    expected = paired_scores(scores).merge(dose, on="participant_id", how="left")["sessions"].fillna(0)
    assert dose_points(scores, dose)["sessions"].tolist() == expected.tolist() == [0.0, 7.0, 4.0]
    assert dose_points(scores, dose.iloc[:1])["sessions"].tolist() == [0.0, 0.0, 4.0]
