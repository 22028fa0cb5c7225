"""Three or more waves (evaltools/trajectory.py, docs/statistics.md#more-waves-and-a-comparison-arm).

References: means, SDs and t intervals from pandas and scipy; wave effects from statsmodels
``smf.mixedlm("score ~ C(wave, Treatment('baseline'))", groups=participant_id).fit(reml=True)`` fitted here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from evaltools.change import group_membership, paired_change
from evaltools.trajectory import TRAJECTORY_COLUMNS, has_extra_waves, ordered_waves, trajectory, wave_effects

WAVES = ["baseline", "midline", "endline", "followup"]


@pytest.fixture(scope="module")
def four_waves():
    """80 people with a random intercept; fewer at each later wave; two groups of a partition."""
    rng = np.random.default_rng(11)
    n = 80
    person = rng.normal(0, 0.6, n)
    shift = {"baseline": 0.0, "midline": 0.2, "endline": 0.45, "followup": 0.35}
    present = {"baseline": np.ones(n, bool), "midline": rng.random(n) < 0.85, "endline": rng.random(n) < 0.8,
               "followup": rng.random(n) < 0.6}
    rows = []
    for w in ["endline", "baseline", "followup", "midline"]:  # not in time order on purpose
        for i in np.flatnonzero(present[w]):
            rows.append({"participant_id": f"P{i:03d}", "wave": w, "instrument": "x", "scale": "s",
                         "score": 3 + person[i] + shift[w] + rng.normal(0, 0.5)})
    scores = pd.DataFrame(rows)
    people = pd.DataFrame({"participant_id": [f"P{i:03d}" for i in range(n)],
                           "components": np.where(np.arange(n) % 3 == 0, "self_help", "legal"),
                           "group": np.where(np.arange(n) < 50, "G1", "G2")})
    return scores, people


def _mixedlm(data: pd.DataFrame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return smf.mixedlm("score ~ C(wave, Treatment('baseline'))", data, groups=data["participant_id"]).fit(reml=True)


def test_means_by_wave_against_pandas_and_scipy(four_waves):
    scores, people = four_waves
    out = trajectory(scores, membership=group_membership(people), min_cell=5)
    assert list(out.columns) == TRAJECTORY_COLUMNS
    assert out.loc[out["group"] == "all", "wave"].tolist() == WAVES  # time order, whatever the input order
    assert list(dict.fromkeys(out["group"])) == ["all", "self_help", "legal", "G1", "G2"]
    g1 = scores[scores["participant_id"].isin(people.loc[people["group"] == "G1", "participant_id"])]
    for group, data in (("all", scores), ("G1", g1)):
        ref = data.groupby("wave")["score"].agg(["size", "mean", "std"])
        for _, row in out[out["group"] == group].iterrows():
            n, mean, sd = ref.loc[row["wave"]]
            lo, hi = stats.t.interval(0.95, n - 1, loc=mean, scale=sd / np.sqrt(n))
            assert row["n"] == n
            assert row[["mean", "sd", "ci_low", "ci_high"]].tolist() == pytest.approx([mean, sd, lo, hi], abs=1e-12)


def test_wave_effects_against_mixedlm(four_waves):
    scores, people = four_waves
    out = trajectory(scores, membership=group_membership(people), min_cell=5, alpha=0.1)
    g2 = people.loc[people["group"] == "G2", "participant_id"]
    for group, ids in (("all", people["participant_id"]), ("G2", g2)):
        data = scores[scores["participant_id"].isin(ids)]  # everyone, people measured once included
        fit = _mixedlm(data)
        ci = fit.conf_int(alpha=0.1)
        rows = out[out["group"] == group].set_index("wave")
        assert rows.loc["baseline", ["estimate", "estimate_ci_low", "estimate_ci_high", "estimate_p"]].isna().all()
        for w in WAVES[1:]:
            name = f"C(wave, Treatment('baseline'))[T.{w}]"
            # two optimisers stop within their tolerance of the same REML optimum
            assert rows.loc[w, "estimate"] == pytest.approx(fit.fe_params[name], abs=1e-5)
            assert rows.loc[w, "estimate_ci_low"] == pytest.approx(ci.loc[name, 0], abs=1e-5)
            assert rows.loc[w, "estimate_ci_high"] == pytest.approx(ci.loc[name, 1], abs=1e-5)
            assert rows.loc[w, "estimate_p"] == pytest.approx(fit.pvalues[name], rel=1e-3, abs=1e-8)


def test_balanced_effects_are_mean_differences():
    # Every person at every wave: the REML fixed effects equal the differences of the wave means.
    scores = pd.DataFrame({"participant_id": list("ABCDEF") * 3,
                           "wave": np.repeat(["baseline", "midline", "endline"], 6),
                           "instrument": "x", "scale": "s",
                           "score": [1, 2, 3, 2, 3, 4, 2, 2, 4, 3, 3, 5, 3, 3, 4, 4, 4, 6.0]})
    eff = wave_effects(scores).set_index("wave")["estimate"]
    means = scores.groupby("wave")["score"].mean()
    assert eff["midline"] == pytest.approx(means["midline"] - means["baseline"], abs=1e-6)
    assert eff["endline"] == pytest.approx(means["endline"] - means["baseline"], abs=1e-6)


def test_small_cells_are_suppressed(four_waves):
    scores, people = four_waves
    membership = group_membership(people)
    out = trajectory(scores, membership=membership, min_cell=40)
    g2 = out[out["group"] == "G2"]
    assert g2["suppressed"].all()  # 30 people: every wave is below 40
    assert g2.drop(columns=["instrument", "scale", "group", "wave", "n", "suppressed"]).isna().all(axis=None)
    # G1 (50 people) would be the only other group of the partition: suppressed too at every wave
    assert out.loc[out["group"] == "G1", "suppressed"].all()
    allrows = out[out["group"] == "all"].set_index("wave")
    assert not allrows.loc["baseline", "suppressed"]
    assert allrows.loc["followup", "suppressed"] == (allrows.loc["followup", "n"] < 40)
    # a suppressed baseline empties the group's estimates
    few = scores[(scores["wave"] != "baseline") | (scores["participant_id"] < "P004")]
    out = trajectory(few, min_cell=5)
    assert out.loc[out["wave"] == "baseline", "suppressed"].all()
    assert out["estimate"].isna().all()


def test_a_midline_leaves_the_baseline_endline_change_unchanged(four_waves):
    scores, people = four_waves
    membership = group_membership(people)
    with_midline = paired_change(scores, membership=membership, min_cell=5)
    without = paired_change(scores[scores["wave"].isin(["baseline", "endline"])], membership=membership, min_cell=5)
    pd.testing.assert_frame_equal(with_midline, without)
    assert with_midline.loc[0, "n_pairs"] == ((scores["wave"] == "endline").sum())


def test_no_later_wave_no_effect_and_wave_helpers():
    one = pd.DataFrame({"participant_id": ["A", "B"], "wave": "baseline", "instrument": "x", "scale": "s",
                        "score": [1.0, 2.0]})
    assert wave_effects(one).empty
    out = trajectory(one, min_cell=1)
    assert out["estimate"].isna().all() and out["n"].tolist() == [2]
    assert ordered_waves(["followup", "endline", "midline", "baseline"]) == WAVES
    assert has_extra_waves(["baseline", "endline", "followup"]) and not has_extra_waves(["endline", "baseline"])
    empty = trajectory(one.iloc[:0], min_cell=5)
    assert list(empty.columns) == TRAJECTORY_COLUMNS and empty.empty


def test_figures_leave_out_small_cells(four_waves):
    from evaltools.plots.trajectory import trajectory_figure
    scores, people = four_waves
    out = trajectory(scores, min_cell=45)  # followup (about 48) shown or not, midline/endline shown
    fig = trajectory_figure(out, "x", lang="en", min_cell=45)
    drawn = sum(len(line.get_xdata()) for line in fig.axes[0].lines if line.get_marker() == "o")
    assert drawn == int((~out["suppressed"]).sum())
    ticks = [tick.get_text() for tick in fig.axes[0].get_xticklabels()]
    assert ticks[-1] == "follow-up\n(after the programme)"
