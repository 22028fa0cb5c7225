"""Reliability (DESIGN.md §4): alpha with Feldt's CI, omega from a one-factor ML model, item–rest.

References: the real-statistics.com example that pingouin checks against R
psych (alpha .592, CI .195–.840; tests/results/outcome_references.py),
Hoyt's (1941) ANOVA identity, scipy.stats.f, statsmodels' ML factor analysis.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaltools.instruments import LIBRARY, load_instrument, parse_instrument
from evaltools.reliability import (
    ITEM_REST_COLUMNS,
    RELIABILITY_COLUMNS,
    cronbach_alpha,
    feldt_ci,
    item_rest,
    low_alpha,
    omega_total,
    one_factor_ml,
    reliability,
)

REAL_STATISTICS = np.array([  # pingouin/datasets/cronbach_alpha.csv: 15 people × Q1..Q10, answers 1..7
    [3, 2, 4, 1, 4, 5, 1, 4, 3, 2], [5, 4, 6, 3, 5, 1, 2, 5, 5, 5], [7, 3, 5, 5, 6, 4, 3, 3, 6, 5],
    [2, 4, 3, 3, 2, 2, 2, 6, 6, 3], [6, 5, 6, 5, 4, 4, 4, 6, 7, 5], [1, 2, 3, 4, 2, 5, 2, 3, 5, 2],
    [4, 3, 5, 3, 5, 2, 1, 2, 4, 3], [2, 4, 4, 3, 7, 2, 2, 4, 6, 5], [6, 5, 5, 5, 1, 6, 5, 2, 3, 2],
    [5, 4, 6, 4, 3, 5, 3, 1, 7, 2], [4, 3, 5, 2, 5, 3, 2, 3, 4, 1], [4, 2, 3, 2, 5, 3, 4, 2, 3, 4],
    [5, 5, 6, 2, 3, 3, 2, 4, 4, 5], [6, 5, 5, 4, 2, 2, 1, 4, 6, 5], [4, 3, 5, 5, 3, 1, 3, 2, 3, 4],
], dtype=float)


def instrument(k: int, *, reversed_=(), lo=1, hi=7, inst_id="t", extra_scales=()):
    items = [f"q{j + 1}" for j in range(k)]
    scales = [{"id": "s", "items": items, "reversed": [items[j] for j in reversed_], "min_items": 1}]
    scales += list(extra_scales)
    return parse_instrument({"id": inst_id, "title": "T", "response": {"min": lo, "max": hi},
                             "missing_codes": [99], "items": [{"id": i} for i in items], "subscales": scales})


def questionnaire(x: np.ndarray, wave="baseline", prefix="P"):
    return pd.DataFrame({"participant_id": [f"{prefix}{i:03d}" for i in range(len(x))], "wave": wave,
                         **{f"q{j + 1}": x[:, j] for j in range(x.shape[1])}})


def one_row(x, **kw):
    inst = instrument(x.shape[1])
    return reliability({"t": questionnaire(x)}, {"t": inst}, **kw).iloc[0]


def test_alpha_and_feldt_ci_match_published_example():
    row = one_row(REAL_STATISTICS)
    assert (row["n"], row["k_items"]) == (15, 10)
    assert round(row["alpha"], 3) == 0.592            # R psych via pingouin's tests
    assert round(row["alpha_ci_low"], 3) == 0.195
    assert round(row["alpha_ci_high"], 3) == 0.840


def test_alpha_equals_hoyt_anova_and_feldt_equals_scipy_f():
    x = REAL_STATISTICS
    n, k = x.shape
    # Hoyt (1941): alpha = 1 − MS_residual / MS_persons of the persons × items ANOVA
    grand = x.mean()
    ss_person = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_item = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_resid = ((x - grand) ** 2).sum() - ss_person - ss_item
    hoyt = 1 - (ss_resid / ((n - 1) * (k - 1))) / (ss_person / (n - 1))
    row = one_row(x)
    assert row["alpha"] == pytest.approx(hoyt, abs=1e-12)
    # Feldt et al. (1987), formulas 6-7, by hand with scipy.stats.f
    f_hi, f_lo = stats.f.ppf(0.975, n - 1, (n - 1) * (k - 1)), stats.f.ppf(0.025, n - 1, (n - 1) * (k - 1))
    assert row["alpha_ci_low"] == pytest.approx(1 - (1 - hoyt) * f_hi, abs=1e-12)
    assert row["alpha_ci_high"] == pytest.approx(1 - (1 - hoyt) * f_lo, abs=1e-12)
    # a 90 % CI from alpha_level = 0.10
    row90 = one_row(x, alpha_level=0.10)
    assert row90["alpha_ci_low"] == pytest.approx(1 - (1 - hoyt) * stats.f.ppf(0.95, 14, 126), abs=1e-12)


def test_omega_matches_statsmodels_ml_factor_analysis():
    from statsmodels.multivariate.factor import Factor

    rng = np.random.default_rng(11)
    lam = np.array([0.8, 0.7, 0.6, 0.5, 0.75])
    f = rng.normal(size=300)
    x = f[:, None] * lam + rng.normal(size=(300, 5)) * np.sqrt(1 - lam**2)
    x = x * np.array([1.0, 2.0, 0.5, 1.5, 1.0]) + 3       # unequal variances: omega is on the covariance scale
    cov = np.cov(x, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa = Factor(x, n_factor=1, method="ml").fit()
    sd = np.sqrt(np.diag(cov))
    load_sm = np.abs(fa.loadings.ravel()) * sd             # statsmodels fits the correlation matrix
    uniq_sm = fa.uniqueness * sd**2
    omega_sm = load_sm.sum() ** 2 / (load_sm.sum() ** 2 + uniq_sm.sum())
    load, psi, ok = one_factor_ml(cov)
    assert ok
    np.testing.assert_allclose(load, load_sm, rtol=1e-4)
    np.testing.assert_allclose(psi, uniq_sm, rtol=1e-4)
    assert omega_total(cov) == pytest.approx(omega_sm, rel=1e-5)


def test_omega_of_an_exact_one_factor_matrix():
    lam = np.array([0.9, 0.8, 0.7, 0.6])
    cov = np.outer(lam, lam) + np.diag(1 - lam**2)
    # (Σλ)² / ((Σλ)² + Σψ) = 3.0² / (9 + 0.19 + 0.36 + 0.51 + 0.64), by hand
    assert omega_total(cov) == pytest.approx(9 / (9 + 1.7), abs=1e-7)


def test_omega_empty_for_heywood_singular_and_k_below_3():
    heywood = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, 0.5], [0.9, 0.5, 1.0]])  # λ1² = .9·.9/.5 = 1.62 > 1
    assert math.isnan(omega_total(heywood))
    singular = np.ones((3, 3))
    assert math.isnan(omega_total(singular))
    assert math.isnan(omega_total(np.array([[1.0, 0.5], [0.5, 1.0]])))


def test_edge_cases_give_empty_values_not_errors():
    assert math.isnan(cronbach_alpha(np.array([[1.0]])))               # k = 1
    assert math.isnan(cronbach_alpha(np.zeros((3, 3))))                # no variance
    assert all(math.isnan(v) for v in feldt_ci(float("nan"), 10, 3))
    inst = instrument(3)
    one = reliability({"t": questionnaire(np.array([[1.0, 2, 3]]))}, {"t": inst}, min_cell=0).iloc[0]
    assert one["n"] == 1 and math.isnan(one["alpha"]) and math.isnan(one["omega"])
    flat = reliability({"t": questionnaire(np.full((6, 3), 4.0))}, {"t": inst}, min_cell=0).iloc[0]
    assert flat["n"] == 6 and math.isnan(flat["alpha"]) and math.isnan(flat["alpha_ci_low"])


def test_one_row_per_instrument_scale_wave_always():
    inst = instrument(3, extra_scales=[{"id": "pair", "items": ["q1", "q2"]}])
    base = questionnaire(REAL_STATISTICS[:, :3])
    end = questionnaire(np.full((4, 3), 99.0), wave="endline")          # nobody answered at endline
    table = reliability({"t": pd.concat([end, base])}, {"t": inst}, min_cell=0)
    assert table.columns.tolist() == RELIABILITY_COLUMNS
    assert list(zip(table["scale"], table["wave"], table["n"])) == [
        ("s", "baseline", 15), ("s", "endline", 0), ("pair", "baseline", 15), ("pair", "endline", 0)]
    assert table.loc[1, ["alpha", "omega"]].isna().all()
    assert table.loc[2, "k_items"] == 2 and math.isnan(table.loc[2, "omega"])      # k < 3: no omega
    empty = reliability({}, {})
    assert empty.columns.tolist() == RELIABILITY_COLUMNS and len(empty) == 0


def test_complete_cases_and_reversed_items():
    x = REAL_STATISTICS[:, :4].copy()
    gappy = x.copy()
    gappy[0, 1] = np.nan
    gappy[1, 2] = 99                                                     # a missing code
    row = reliability({"t": questionnaire(gappy)}, {"t": instrument(4)}, min_cell=0).iloc[0]
    expected = cronbach_alpha(np.cov(x[2:], rowvar=False))              # the 13 complete people
    assert row["n"] == 13 and row["alpha"] == pytest.approx(expected, abs=1e-12)
    flipped = x.copy()
    flipped[:, 3] = 8 - flipped[:, 3]                                    # answered the other way round (1..7)
    rev = reliability({"t": questionnaire(flipped)}, {"t": instrument(4, reversed_=[3])}, min_cell=0).iloc[0]
    assert rev["alpha"] == pytest.approx(one_row(x)["alpha"], abs=1e-12)


def test_small_cells_are_suppressed():
    table = reliability({"t": questionnaire(REAL_STATISTICS[:4])}, {"t": instrument(10)}, min_cell=5)
    row = table.iloc[0]
    assert row["suppressed"] and row["n"] == 4
    # DESIGN §4: a suppressed row keeps its keys, its n and suppressed; every other column is empty
    assert row[["k_items", "alpha", "alpha_ci_low", "alpha_ci_high", "omega"]].isna().all()
    assert not reliability({"t": questionnaire(REAL_STATISTICS)}, {"t": instrument(10)}).iloc[0]["suppressed"]


def test_item_rest_by_hand():
    x = REAL_STATISTICS[:, :4]
    table = item_rest({"t": questionnaire(x)}, {"t": instrument(4)})
    assert table.columns.tolist() == ITEM_REST_COLUMNS and table["item"].tolist() == ["q1", "q2", "q3", "q4"]
    for j in range(4):
        rest = np.delete(x, j, axis=1)
        r = np.corrcoef(x[:, j], rest.sum(axis=1))[0, 1]
        assert table.loc[j, "item_rest_r"] == pytest.approx(r, abs=1e-12)
        assert table.loc[j, "alpha_if_deleted"] == pytest.approx(
            cronbach_alpha(np.cov(rest, rowvar=False)), abs=1e-12)


def test_low_alpha_lists_scales_below_threshold():
    table = reliability({"t": questionnaire(REAL_STATISTICS)}, {"t": instrument(10)})   # alpha .59
    warn = low_alpha(table)
    assert warn[["scale", "wave"]].values.tolist() == [["s", "baseline"]] and warn["threshold"].iloc[0] == 0.70
    assert low_alpha(table, threshold=0.5).empty


def test_library_instrument_runs():
    emp = load_instrument(LIBRARY / "empowerment.yaml")
    rng = np.random.default_rng(3)
    trait = rng.normal(size=50)
    data = {f"emp_0{i}": np.clip(np.round(3 + trait + rng.normal(size=50)), 1, 5) for i in range(1, 7)}
    data["emp_02"] = 6 - data["emp_02"]
    q = pd.DataFrame({"participant_id": [f"P{i}" for i in range(50)], "wave": "baseline", **data})
    table = reliability({"empowerment": q}, {"empowerment": emp})
    assert table["scale"].tolist() == ["agency", "voice"] and (table["alpha"] > 0.6).all()


def test_omega_for_three_items_equals_the_closed_form():
    # with k = 3 the one-factor model is just identified: λ_i² = r_ij·r_ik / r_jk (on the correlation scale)
    rng = np.random.default_rng(21)
    for _ in range(5):
        lam = rng.uniform(0.4, 0.85, 3)
        x = rng.normal(size=(60, 1)) * lam + rng.normal(size=(60, 3)) * np.sqrt(1 - lam**2)
        cov = np.cov(x * rng.uniform(0.5, 2, 3), rowvar=False)
        sd = np.sqrt(np.diag(cov))
        r = cov / np.outer(sd, sd)
        l2 = np.array([r[0, 1] * r[0, 2] / r[1, 2], r[0, 1] * r[1, 2] / r[0, 2], r[0, 2] * r[1, 2] / r[0, 1]])
        if np.any(l2 >= 1) or np.any(l2 <= 0):
            assert math.isnan(omega_total(cov))          # a Heywood case
            continue
        load, uniq = np.sqrt(l2) * sd, (1 - l2) * sd**2
        assert omega_total(cov) == pytest.approx(load.sum() ** 2 / (load.sum() ** 2 + uniq.sum()), rel=1e-7)
