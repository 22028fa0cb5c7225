"""Clustered change, people nested in families (docs/statistics.md).

References: clustered change against statsmodels ``OLS(d, 1).fit(cov_type="cluster", use_t=True)``
(CR1, G − 1 df) and ``scipy.stats.ttest_1samp`` on the family means, computed here in the test; the ICC
against a hand calculation written out below.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from evaltools.clustering import CLUSTERED_COLUMNS, clustered_change


def simulate(n_families=25, size=3, seed=0, drop=0.15, shift=0.4):
    rng = np.random.default_rng(seed)
    rows, people = [], []
    pid = 0
    for f in range(n_families):
        fam_effect = rng.normal(0, 0.5)
        for _ in range(size if size else int(rng.integers(1, 4))):
            person = rng.normal(0, 0.5)
            ident = f"P{pid:04d}"
            people.append((ident, f"F{f:03d}"))
            rows.append((ident, "baseline", 3 + fam_effect + person + rng.normal(0, 0.3)))
            if rng.random() > drop:
                rows.append((ident, "endline", 3 + shift + fam_effect + person + rng.normal(0, 0.3)))
            pid += 1
    scores = pd.DataFrame(rows, columns=["participant_id", "wave", "score"]).assign(instrument="x", scale="s")
    participants = pd.DataFrame(people, columns=["participant_id", "family_id"])
    return scores, participants


def long_scores(pre, post, people, instrument="x", scale="s"):
    k = len(people)
    return pd.DataFrame({"participant_id": list(people) * 2, "wave": ["baseline"] * k + ["endline"] * k,
                         "instrument": instrument, "scale": scale, "score": np.r_[pre, post]})


def clustered_sample(n_families=12, seed=0, shift=0.3):
    """Families of 1 to 4 people with a shared change; a fifth of the singletons have no family_id."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, n_families)
    fam = np.repeat(np.arange(n_families), sizes)
    n = len(fam)
    people = [f"P{i:03d}" for i in range(n)]
    pre = np.round(rng.normal(3, 0.6, n), 2)
    post = np.round(pre + shift + np.repeat(rng.normal(0, 0.4, n_families), sizes) + rng.normal(0, 0.4, n), 2)
    family_id = np.array([f"F{f:02d}" for f in fam], dtype=object)
    single = np.flatnonzero(sizes[fam] == 1)
    family_id[single[: max(1, len(single) // 5)]] = None
    participants = pd.DataFrame({"participant_id": people, "family_id": family_id,
                                 "group": np.where(np.arange(n) % 3 == 0, "G1", "G2")})
    return long_scores(pre, post, people), participants, fam


def test_clustered_matches_statsmodels_cluster_ols_and_scipy_family_t():
    import statsmodels.api as sm
    from scipy import stats

    scores, participants, fam = clustered_sample()
    n = len(fam)
    other = scores.assign(scale="t", score=np.r_[scores["score"].to_numpy()[n:], scores["score"].to_numpy()[:n] ** 2])
    out = clustered_change(pd.concat([scores, other], ignore_index=True), participants, min_cell=3)
    assert out.columns.tolist() == CLUSTERED_COLUMNS
    assert out["group"].tolist()[:3] == ["all", "G1", "G2"] and out["scale"].tolist() == ["s"] * 3 + ["t"] * 3
    for scale, group in [(s, g) for s in ("s", "t") for g in ("all", "G1", "G2")]:
        keep = np.ones(n, bool) if group == "all" else (participants["group"] == group).to_numpy()
        both = (scores if scale == "s" else other)["score"].to_numpy()
        pre, post = both[:n][keep], both[n:][keep]
        d = np.round(post - pre, 10)
        clusters = fam[keep]
        ref = sm.OLS(d, np.ones(len(d))).fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
        means = pd.Series(d).groupby(clusters).mean().to_numpy()
        tt = stats.ttest_1samp(means, 0.0)
        ci = tt.confidence_interval(0.95)
        row = out[(out["scale"] == scale) & (out["group"] == group)].iloc[0]
        assert (row["n_pairs"], row["n_families"]) == (keep.sum(), len(means))
        assert row["mean_diff"] == pytest.approx(ref.params[0], rel=1e-12)
        assert row["se_robust"] == pytest.approx(ref.bse[0], rel=1e-10)
        assert row["p"] == pytest.approx(ref.pvalues[0], rel=1e-10)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(ref.conf_int(0.05)[0]), rel=1e-10)
        assert row["family_mean_diff"] == pytest.approx(means.mean(), rel=1e-12)
        assert row["family_p"] == pytest.approx(tt.pvalue, rel=1e-10)
        assert (row["family_ci_low"], row["family_ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
        assert row["ci_level"] == 0.95
    assert str(out["n_families"].dtype) == "Int64"
    outputs = pytest.importorskip("evaltools.outputs")                   # the results contract, where present
    assert outputs.check(out, "clustered_change") == []


def test_icc_design_effect_and_se_by_hand():
    # d by family: A = (1, 3), B = (2, 4, 6), C = (5); N = 6, G = 3, grand mean 3.5, family means 2, 4, 5.
    # SSB = 2(2 − 3.5)² + 3(4 − 3.5)² + (5 − 3.5)² = 7.5, MSB = 7.5/2 = 3.75
    # SSW = (1 + 1) + (4 + 0 + 4) + 0 = 10, MSW = 10/(6 − 3) = 10/3
    # n₀ = (6 − (4 + 9 + 1)/6)/2 = 11/6; icc = (3.75 − 10/3)/(3.75 + (5/6)(10/3)) = 3/47
    # design effect = 1 + (6/3 − 1)·3/47 = 50/47
    # CR1: residual sums per family −3, 1.5, 1.5; se² = 3/2 · (9 + 2.25 + 2.25)/6² = 0.5625, se = 0.75
    people = ["a1", "a2", "b1", "b2", "b3", "c1"]
    d = np.array([1.0, 3, 2, 4, 6, 5])
    scores = long_scores(np.zeros(6), d, people)
    participants = pd.DataFrame({"participant_id": people, "family_id": ["A", "A", "B", "B", "B", "C"]})
    row = clustered_change(scores, participants, min_cell=1).iloc[0]
    assert row["icc"] == pytest.approx(3 / 47, rel=1e-12)
    assert row["design_effect"] == pytest.approx(50 / 47, rel=1e-12)
    assert row["se_robust"] == pytest.approx(0.75, rel=1e-12)
    assert row["mean_diff"] == 3.5 and row["family_mean_diff"] == pytest.approx(11 / 3)


def test_icc_is_truncated_at_zero():
    # families alike, people within them far apart: MSB < MSW, the estimate is negative and shown as 0
    people = ["a1", "a2", "b1", "b2", "c1", "c2"]
    d = np.array([0.0, 4, 0, 4, 0, 4])
    participants = pd.DataFrame({"participant_id": people, "family_id": ["A", "A", "B", "B", "C", "C"]})
    row = clustered_change(long_scores(np.zeros(6), d, people), participants, min_cell=1).iloc[0]
    assert row["icc"] == 0.0 and row["design_effect"] == 1.0


def test_few_families_singletons_and_no_variance():
    people = ["a1", "a2", "b1", "b2"]
    two = pd.DataFrame({"participant_id": people, "family_id": ["A", "A", "B", "B"]})
    row = clustered_change(long_scores(np.zeros(4), [1.0, 2, 3, 5], people), two, min_cell=1).iloc[0]
    assert row["n_families"] == 2 and np.isfinite(row["se_robust"])        # SE defined with G = 2 ...
    assert row[["ci_low", "ci_high", "p", "family_ci_low", "family_ci_high", "family_p"]].isna().all()  # ... no CI, p
    one = two.assign(family_id="A")
    row = clustered_change(long_scores(np.zeros(4), [1.0, 2, 3, 5], people), one, min_cell=1).iloc[0]
    assert np.isnan(row["se_robust"]) and np.isnan(row["icc"])
    alone = two.assign(family_id=[None, "", "B", "C"])                   # missing or blank: a family of one
    row = clustered_change(long_scores(np.zeros(4), [1.0, 2, 3, 5], people), alone, min_cell=1).iloc[0]
    assert row["n_families"] == 4 and np.isnan(row["icc"]) and row["design_effect"] == 1.0
    ttest = stats_ttest([1.0, 2, 3, 5])
    assert row["p"] == pytest.approx(ttest.pvalue, rel=1e-10)             # families of one: the paired t
    same = clustered_change(long_scores([0.1, 0.2, 0.3, 0.4], [0.4, 0.5, 0.6, 0.7], people), alone,
                            min_cell=1).iloc[0]                          # everyone changed by 0.3: no test
    assert same["se_robust"] == 0 and np.isnan(same["p"]) and np.isnan(same["family_p"])
    assert same["mean_diff"] == pytest.approx(0.3)


def stats_ttest(d):
    from scipy import stats

    return stats.ttest_1samp(d, 0.0)


def test_small_cells_and_groups():
    scores, participants, fam = clustered_sample(n_families=6, seed=2)
    out = clustered_change(scores, participants, min_cell=8)
    small = out[out["n_pairs"] < 8]
    assert small["suppressed"].all() and small[CLUSTERED_COLUMNS[4:-1]].isna().all().all()
    assert not out.loc[out["group"] == "all", "suppressed"].iloc[0]
    members = pd.DataFrame({"participant_id": [], "group": []})
    only_all = clustered_change(scores, participants, membership=members, min_cell=1)
    assert only_all["group"].tolist() == ["all"]
    empty = clustered_change(scores.iloc[:0], participants, min_cell=5)
    assert empty.columns.tolist() == CLUSTERED_COLUMNS and empty.empty


def test_type_one_error_under_family_clustered_null():
    # 2000 replicates of a null change (mean 0) shared within families (icc of d ≈ .5), as 2000 scales of one
    # call: the cluster-robust and family-mean tests keep 5 % ± 2 %; the naive paired t, ignoring families, does not.
    from scipy import stats

    rng = np.random.default_rng(20261129)
    reps, n_families = 2000, 30
    sizes = rng.integers(1, 6, n_families)                                # 1 to 5 people per family
    fam = np.repeat(np.arange(n_families), sizes)
    n = len(fam)
    d = np.round(rng.normal(0, 1, (reps, n_families))[:, fam] + rng.normal(0, 1, (reps, n)), 6)
    people = [f"P{i}" for i in range(n)]
    scores = pd.DataFrame({"participant_id": np.tile(people, 2 * reps),
                           "wave": np.tile(np.repeat(["baseline", "endline"], n), reps),
                           "instrument": "sim", "scale": np.repeat([f"r{r}" for r in range(reps)], 2 * n),
                           "score": np.column_stack([np.zeros((reps, n)), d]).ravel()})
    participants = pd.DataFrame({"participant_id": people, "family_id": [f"F{f}" for f in fam]})
    out = clustered_change(scores, participants, membership=pd.DataFrame(columns=["participant_id", "group"]),
                           min_cell=5)
    assert len(out) == reps
    robust = (out["p"] < 0.05).mean()
    family = (out["family_p"] < 0.05).mean()
    naive = (stats.ttest_1samp(d, 0.0, axis=1).pvalue < 0.05).mean()
    assert 0.03 <= robust <= 0.07, robust
    assert 0.03 <= family <= 0.07, family
    assert naive > 0.09, naive


# --------------------------------------------------------------------------- in words (certainty.clustered_sentence)

ENGLISH_WORDS = ("family", "families", "paired", "test on", " the ", "people", "design effect", "not ")


def sentence_row(**changes):
    row = {"instrument": "x", "scale": "s", "group": "all", "n_pairs": 30, "n_families": 12, "mean_diff": 0.3,
           "se_robust": 0.12, "p": 0.21, "family_p": 0.25, "icc": 0.41, "design_effect": 1.62, "suppressed": False}
    return {**row, **changes}


@pytest.mark.parametrize(("p_paired", "p_cluster", "english"), [
    (0.03, 0.21, "the conclusion changes"),
    (0.01, 0.04, "remains statistically significant"),
    (0.20, 0.04, "not taken as firmer evidence"),
    (0.20, 0.30, "does not change the conclusion"),
])
def test_clustered_sentence_says_which_conclusion_changes(p_paired, p_cluster, english):
    from evaltools.certainty import clustered_sentence

    row = sentence_row(p=p_cluster)
    en = clustered_sentence(row, {"p_t": p_paired}, "en")
    pl = clustered_sentence(row, {"p_t": p_paired}, "pl")
    assert english in en and "12 families" in en
    assert "liczba rodzin 12" in pl and not any(w in pl for w in ENGLISH_WORDS)
    others = {"the conclusion changes", "remains statistically significant", "not taken as firmer evidence",
              "does not change the conclusion"} - {english}
    assert not any(o in en for o in others)


def test_clustered_sentence_special_rows():
    from evaltools.certainty import clustered_sentence

    cases = [
        (sentence_row(n_pairs=0, suppressed=True), "not measured"),
        (sentence_row(n_pairs=3, suppressed=True), "not reported"),
        (sentence_row(n_families=30), "changes nothing"),
        (sentence_row(n_families=2, p=float("nan")), "only 2 family or families"),
        (sentence_row(se_robust=0.0, p=float("nan")), "same amount"),
    ]
    for row, english in cases:
        en, pl = clustered_sentence(row, {"p_t": 0.01}, "en"), clustered_sentence(row, {"p_t": 0.01}, "pl")
        assert english in en, en
        assert pl != en and not any(w in pl for w in ENGLISH_WORDS), pl


def test_clustered_sentences_pair_each_row_with_its_paired_test():
    from evaltools.certainty import clustered_sentences

    clustered = pd.DataFrame([sentence_row(scale="a", p=0.2), sentence_row(scale="b", p=0.2),
                              sentence_row(scale="a", group="G1", p=0.01)])
    change = pd.DataFrame({"instrument": "x", "scale": ["a", "b", "a"], "group": ["all", "all", "G1"],
                           "p_t": [0.01, 0.5, 0.01]})
    lines = clustered_sentences(clustered, change, "en", scale_titles={("x", "a"): "Agency"})
    assert len(lines) == 2
    assert lines[0].startswith("x – Agency") and "the conclusion changes" in lines[0]
    assert lines[1].startswith("x – b") and "does not change the conclusion" in lines[1]


def test_all_equal_per_group_against_pandas_min_max():
    # issue 18: "every d of the cell equal" by one bincount, as pandas' groupby min == max (False when empty)
    from evaltools.clustering import _all_equal

    rng = np.random.default_rng(7)
    group = rng.integers(0, 40, 300)
    values = np.round(rng.normal(0, 1, 300), 1)
    same = rng.integers(0, 40, 10)
    values[np.isin(group, same)] = 0.5                     # some groups all 0.5
    equal, common = _all_equal(values, group, 45)          # groups 40–44 are empty
    spread = pd.Series(values).groupby(group).agg(["min", "max"]).reindex(range(45))
    np.testing.assert_array_equal(equal, (spread["min"] == spread["max"]).to_numpy())
    np.testing.assert_array_equal(common[equal], spread["min"].to_numpy()[equal])
    assert equal[np.unique(same)].all() and not equal[40:].any() and np.isnan(common[40:]).all()


def test_pairs_and_groups_match_paired_change():
    # issue 18: clustered_change takes its pairs from attrition.status_codes and its groups from integer codes; the
    # rows it shows, their n_pairs and mean change equal change.paired_change's (pairs from paired_scores, written
    # independently): a repeated baseline row (the first counts), a missing score, a dropout, two scales
    # interleaved, a member with no scores, a group that repeats `all` on one scale
    from evaltools.change import paired_change
    from evaltools.groups import group_membership

    rng = np.random.default_rng(7)
    ids = [f"P{i:02d}" for i in range(40)]
    rows = []
    for i, pid in enumerate(ids):
        for sc in ("a", "b"):
            if sc == "b" and i % 4 == 0:
                continue
            rows.append((pid, "baseline", sc, float(rng.integers(1, 6))))
            if i % 7 == 0:
                rows.append((pid, "baseline", sc, 9.0))  # a repeat: ignored
            if i % 5 != 0:
                rows.append((pid, "endline", sc, np.nan if i % 11 == 0 else float(rng.integers(1, 6))))
    scores = pd.DataFrame(rows, columns=["participant_id", "wave", "scale", "score"]).assign(instrument="x")
    scores = scores.sample(frac=1, random_state=1).reset_index(drop=True)
    participants = pd.DataFrame({"participant_id": ids + ["P99"], "family_id": [f"F{i // 3}" for i in range(41)],
                                 "components": ["youth" if i % 4 else "legal" for i in range(41)],
                                 "group": ["G1" if i % 2 else "G2" for i in range(41)]})
    got = clustered_change(scores, participants, min_cell=1)
    ref = paired_change(scores, membership=group_membership(participants), min_cell=1)
    key = ["instrument", "scale", "group"]
    merged = got.merge(ref, on=key, suffixes=("", "_ref"), validate="one_to_one")
    assert len(merged) == len(got) == len(ref)
    assert (merged["n_pairs"] == merged["n_pairs_ref"]).all()
    assert np.allclose(merged["mean_diff"], merged["mean_diff_ref"], rtol=0, atol=1e-12, equal_nan=True)
    assert "youth" in got.loc[got["scale"] == "a", "group"].tolist()
    assert "youth" not in got.loc[got["scale"] == "b", "group"].tolist()  # youth = all on scale b: not repeated
