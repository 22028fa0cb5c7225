"""Regression to the mean (docs/statistics.md).

References: Barnett, van der Pols & Dobson (2005), Int J Epidemiol 34:215–220, eq. 1 — for a group selected
by a cut-off c on a normal baseline (population mean μ, total SD σ, within-person variance σ²_w), the
expected regression to the mean is σ²_w/σ · C(z) with z = (c − μ)/σ, C(z) = φ(z)/(1 − Φ(z)) for selection
above c (φ(z)/Φ(z), upwards, for selection below c); Pearson r against ``scipy.stats.pearsonr``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaltools.instruments import Norms
from evaltools.regression_to_mean import RTM_COLUMNS, reference_means, regression_to_mean


def long_scores(pre, post, scale="s", instrument="x"):
    pre, post = np.asarray(pre, float), np.asarray(post, float)
    people = [f"P{i}" for i in range(len(pre))]
    return pd.DataFrame({"participant_id": people * 2, "wave": ["baseline"] * len(pre) + ["endline"] * len(pre),
                         "instrument": instrument, "scale": scale, "score": np.r_[pre, post]})


def instrument(scale_ids, *, mean=3.5, source="Author 2019, Table 3"):
    norms = Norms(functional_mean=mean, functional_sd=0.6, dysfunctional_mean=2.6, dysfunctional_sd=0.7,
                  source=source)
    return SimpleNamespace(scales=[SimpleNamespace(id=s, norms=norms) for s in scale_ids])


def test_barnett_worked_example():
    # Population mean μ = 3.5, total SD σ = 1, reliability ρ = .75, so σ²_w = (1 − ρ)σ² = .25; people enrolled
    # when their baseline is below c = 2.8: z = −0.7, φ(−0.7) = 0.312254, Φ(−0.7) = 0.241964, φ/Φ = 1.290499.
    # Their expected baseline mean is μ − σ·φ/Φ = 2.209501, and Barnett's eq. 1 gives the expected regression to
    # the mean σ²_w/σ · φ/Φ = .25 × 1.290499 = 0.322625 (upwards) = (1 − ρ)(μ − baseline mean).
    z = (2.8 - 3.5) / 1.0
    ratio = stats.norm.pdf(z) / stats.norm.cdf(z)
    barnett = 0.25 / 1.0 * ratio
    assert barnett == pytest.approx(0.322625, abs=5e-7)
    baseline_mean = 3.5 - ratio
    pre = baseline_mean + np.array([-0.4, -0.1, 0.0, 0.2, 0.3])           # mean exactly baseline_mean
    post = pre + np.array([0.9, 0.1, 0.5, 0.4, 0.6])                       # mean change 0.5
    row = regression_to_mean(long_scores(pre, post), {"x": instrument(["s"])}, reliability={("x", "s"): 0.75},
                             min_cell=5).iloc[0]
    assert row["baseline_mean"] == pytest.approx(2.209501, abs=5e-7)
    assert row["reference_mean"] == 3.5 and row["reliability"] == 0.75
    assert row["expected_rtm"] == pytest.approx(barnett, rel=1e-12)
    assert row["mean_diff"] == pytest.approx(0.5)
    assert row["change_beyond_rtm"] == pytest.approx(0.5 - barnett, rel=1e-12)


def test_pearson_means_and_columns():
    rng = np.random.default_rng(4)
    pre = rng.normal(3, 0.7, 40)
    post = pre + rng.normal(0.2, 0.5, 40)
    scores = pd.concat([long_scores(pre, post), long_scores(pre[:3], post[:3], scale="few")], ignore_index=True)
    out = regression_to_mean(scores, {"x": instrument(["s", "unanswered"])}, reliability={("x", "s"): 0.8},
                             min_cell=5)
    assert out.columns.tolist() == RTM_COLUMNS
    assert out["scale"].tolist() == ["s", "unanswered", "few"] and (out["group"] == "all").all()
    row = out.iloc[0]
    d = np.round(post - pre, 10)
    assert row["r_baseline_change"] == pytest.approx(stats.pearsonr(pre, d).statistic, rel=1e-12)
    assert row["baseline_mean"] == pytest.approx(pre.mean()) and row["mean_diff"] == pytest.approx(d.mean())
    assert row["expected_rtm"] == pytest.approx(0.2 * (3.5 - pre.mean()))
    for scale, n in (("unanswered", 0), ("few", 3)):                     # small cells: keys, n_pairs, suppressed
        small = out[out["scale"] == scale].iloc[0]
        assert small["n_pairs"] == n and small["suppressed"]
        assert small[RTM_COLUMNS[4:-1]].isna().all()
    outputs = pytest.importorskip("evaltools.outputs")                   # the results contract, where present
    assert outputs.check(out, "regression_to_mean") == []


def test_no_reference_mean_or_no_reliability_leaves_expected_rtm_empty():
    pre, post = [2.0, 2.5, 2.2, 1.8, 2.6], [2.4, 2.7, 2.9, 2.0, 2.6]
    cases = [
        ({"x": instrument(["s"], source=None)}, {("x", "s"): 0.8}),       # norms without a source: not used
        ({"x": instrument(["s"], source="")}, {("x", "s"): 0.8}),
        ({"x": instrument(["s"])}, {("x", "s"): None}),                  # reliability `none`
        ({"x": instrument(["s"])}, {("x", "s"): float("nan")}),
        ({"x": instrument(["s"])}, None),
        ({}, None),
    ]
    for instruments, reliability in cases:
        row = regression_to_mean(long_scores(pre, post), instruments, reliability=reliability, min_cell=5).iloc[0]
        assert np.isnan(row["expected_rtm"]) and np.isnan(row["change_beyond_rtm"])
        assert row["mean_diff"] == pytest.approx(0.3)


def test_library_norms_without_source_give_no_reference():
    from evaltools.instruments import LIBRARY, load_instrument

    inst = load_instrument(LIBRARY / "empowerment.yaml")               # norms f 3.9, d 2.6, no source
    expected = {("empowerment", s.id): 3.9 for s in inst.scales} if getattr(inst.scales[0].norms, "source", None) \
        else {}
    assert reference_means({"empowerment": inst}) == expected


def test_enrolment_selection_null_is_not_taken_for_change():
    # 600 programmes of 35 people enrolled because their baseline was below 2.8, with reliability .75
    # (true-score SD √.75, error SD .5, population mean 3.5) and no programme effect. Everyone "improves"
    # (regression to the mean, about +0.32) and the baseline–change correlation is negative. Without a
    # reference mean nothing estimates it (expected_rtm empty); with μ = 3.5 and r = .75 the change beyond
    # regression to the mean is 0 on average (Barnett et al. 2005).
    rng = np.random.default_rng(2811)
    reps, n = 600, 35
    true = rng.normal(3.5, np.sqrt(0.75), (reps, 400))
    base = true + rng.normal(0, 0.5, true.shape)
    enrolled = np.argsort(base >= 2.8, axis=1, kind="stable")[:, :n]      # the first 35 below 2.8
    assert (np.take_along_axis(base, enrolled, 1) < 2.8).all()
    pre = np.take_along_axis(base, enrolled, 1)
    post = np.take_along_axis(true, enrolled, 1) + rng.normal(0, 0.5, (reps, n))
    scales = [f"r{i}" for i in range(reps)]
    scores = pd.concat([long_scores(pre[i], post[i], scale=scales[i]) for i in range(reps)], ignore_index=True)
    plain = regression_to_mean(scores, {"x": instrument(scales, source=None)},
                               reliability={("x", s): 0.75 for s in scales}, min_cell=5)
    assert plain.columns.tolist() == RTM_COLUMNS                          # no verdict of any kind here
    assert plain["expected_rtm"].isna().all() and plain["change_beyond_rtm"].isna().all()
    assert plain["mean_diff"].mean() > 0.25 and plain["r_baseline_change"].mean() < -0.1
    sourced = regression_to_mean(scores, {"x": instrument(scales)}, reliability={("x", s): 0.75 for s in scales},
                                 min_cell=5)
    from evaltools.certainty import rtm_sentence

    # ... and no sentence reassures: each says that regression to the mean can be neither estimated nor ruled out
    assert all("neither estimate nor rule out" in rtm_sentence(row, "en") for _, row in plain.iterrows())
    beyond = sourced["change_beyond_rtm"]
    assert abs(beyond.mean()) < 3 * beyond.std() / np.sqrt(reps)
    assert sourced["expected_rtm"].mean() == pytest.approx(0.3226, abs=0.02)


# --------------------------------------------------------------------------- in words (certainty.rtm_sentence)

ENGLISH_WORDS = ("regression", "mean", "change", " the ", "norms", "reliability", "not ")


def test_rtm_sentence_never_reassures_without_a_reference_mean():
    from evaltools.certainty import rtm_sentence

    base = {"instrument": "x", "scale": "s", "group": "all", "n_pairs": 35, "baseline_mean": 2.2, "mean_diff": 0.35,
            "reference_mean": float("nan"), "reliability": 0.75, "expected_rtm": float("nan"),
            "change_beyond_rtm": float("nan"), "suppressed": False}
    for lang, words in (("en", "neither estimate nor rule out"), ("pl", "ani oszacować, ani wykluczyć")):
        texts = {rtm_sentence({**base, "r_baseline_change": r}, lang) for r in (-0.8, -0.05, 0.0, 0.3, float("nan"))}
        assert len(texts) == 1                   # the baseline–change correlation changes nothing in what is said
        assert words in texts.pop()
    no_r = rtm_sentence({**base, "reference_mean": 3.5, "reliability": float("nan")}, "en")
    assert "neither estimate nor rule out" in no_r and "3.50" in no_r
    pl = rtm_sentence(base, "pl")
    assert not any(w in pl for w in ENGLISH_WORDS), pl


def test_rtm_sentence_with_a_reference_mean_gives_the_estimate():
    from evaltools.certainty import rtm_sentence

    row = {"instrument": "x", "scale": "s", "group": "all", "n_pairs": 5, "baseline_mean": 2.2095, "mean_diff": 0.5,
           "reference_mean": 3.5, "reliability": 0.75, "expected_rtm": 0.322625, "change_beyond_rtm": 0.177375,
           "r_baseline_change": -0.2, "suppressed": False}
    en, pl = rtm_sentence(row, "en"), rtm_sentence(row, "pl")
    assert "+0.32" in en and "+0.18 beyond regression to the mean" in en and "not a test" in en
    assert "+0,32" in pl and "+0,18 ponad regresję do średniej" in pl and not any(w in pl for w in ENGLISH_WORDS)
    assert "not reported" in rtm_sentence({**row, "n_pairs": 3, "suppressed": True}, "en")
    assert "not measured" in rtm_sentence({**row, "n_pairs": 0, "suppressed": True}, "en")
