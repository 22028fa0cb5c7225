"""Reliable change and clinical significance (Jacobson & Truax 1991; DESIGN.md §4, §7 reliable_change.csv).

Every S_diff, RC and cutoff below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import yaml

from evaltools.instruments import LIBRARY, parse_instrument
from evaltools.reliability import reliability
from evaltools.reliable_change import (
    PEOPLE_COLUMNS,
    RC_COLUMNS,
    reliable_change,
    reliable_change_people,
    scale_parameters,
)


def _empowerment_with_sources():
    """The library's empowerment scale with a (fictitious, test-only) published reliability and sourced norms."""
    data = yaml.safe_load((LIBRARY / "empowerment.yaml").read_text(encoding="utf-8"))
    data.update(reliability=0.80, reliability_source="Test 2019, n = 412",
                norms={"source": "Test 2019, Table 3", "functional": {"mean": 3.9, "sd": 0.6},
                       "dysfunctional": {"mean": 2.6, "sd": 0.7}})
    data["subscales"][1].update(reliability=0.78, reliability_source="Test 2019, n = 412")
    return parse_instrument(data, "empowerment.yaml")


EMP = _empowerment_with_sources()
# empowerment here: reliability 0.80 (agency inherits it; voice has 0.78), both sourced; sourced norms
# f 3.9 (0.6), d 2.6 (0.7) → c = 3.3
NO_GROUPS = pd.DataFrame({"participant_id": pd.Series([], dtype="str"), "group": pd.Series([], dtype="str")})


def long_scores(pre, post, *, instrument="empowerment", scale="agency", ids=None):
    ids = ids or [f"P{i:03d}" for i in range(len(pre))]
    return pd.DataFrame({"participant_id": list(ids) * 2, "wave": ["baseline"] * len(ids) + ["endline"] * len(ids),
                         "instrument": instrument, "scale": scale, "score": list(pre) + list(post)})


def custom(*, hib=True, norms=None, reliability_=None, items=3, source="Test 2019, n = 412"):
    ids = [f"c{j}" for j in range(items)]
    scale = {"id": "s", "items": ids, "higher_is_better": hib}
    if norms is not None:
        scale["norms"] = norms
    if reliability_ is not None:
        scale["reliability"] = reliability_
        if source is not None:
            scale["reliability_source"] = source
    return parse_instrument({"id": "cus", "title": "C", "response": {"min": 1, "max": 5},
                             "items": [{"id": i} for i in ids], "subscales": [scale]})


def test_hand_worked_rci_with_norms():
    # S_diff = √2 · 0.7 · √(1 − 0.80) = 0.442719; c = (0.6·2.6 + 0.7·3.9)/1.3 = 3.3
    pre = [2.5, 3.0, 2.0, 3.5, 3.0]
    post = [3.8, 2.0, 2.8, 3.7, 3.4]
    people = reliable_change_people(long_scores(pre, post), instruments={"empowerment": EMP})
    assert people.columns.tolist() == PEOPLE_COLUMNS
    s_diff = math.sqrt(2) * 0.7 * math.sqrt(0.2)
    np.testing.assert_allclose(people["rc"], np.round(np.subtract(post, pre), 10) / s_diff)
    # RC: 1.3/0.4427 = 2.94 improved; −2.26 deteriorated; 0.8/0.4427 = 1.81 unchanged; 0.45; 0.90
    assert people["category"].tolist() == ["improved", "deteriorated", "unchanged", "unchanged", "unchanged"]
    # recovered: improved, from below 3.3 to above it — only the first person
    assert people["recovered"].tolist() == [True, False, False, False, False]
    table = reliable_change(long_scores(pre, post), instruments={"empowerment": EMP}, membership=NO_GROUPS,
                            min_cell=5)
    assert table.columns.tolist() == RC_COLUMNS
    row = table.set_index("scale").loc["agency"]
    assert row["reliability"] == 0.80 and row["sd_baseline"] == 0.7 and row["s_diff"] == pytest.approx(s_diff)
    assert (row["n_pairs"], row["n_improved"], row["n_unchanged"], row["n_deteriorated"], row["n_recovered"]) \
        == (5, 1, 3, 1, 1)
    voice = table.set_index("scale").loc["voice"]            # nobody answered: a suppressed row, n 0
    assert voice["n_pairs"] == 0 and voice["suppressed"]


def test_lower_is_better_swaps_the_signs():
    inst = custom(hib=False, norms={"cutoff": 3.0, "source": "Test 2019"}, reliability_=0.75)
    # SD₁ = SD of every baseline score (no dysfunctional norm): sd(2, 3, 4, 5) = 1.290994; r = 0.75
    # S_diff = √2 · 1.290994 · 0.5 = 0.912871
    # d = −1.5 → RC = −1.64 (unchanged); d = −2 → RC = −2.19 (improved, lower being better)
    pre, post = [4.0, 5.0, 3.0, 2.0], [2.5, 3.0, 3.0, 4.0]
    people = reliable_change_people(long_scores(pre, post, instrument="cus", scale="s"), instruments={"cus": inst})
    assert people["rc"].tolist() == pytest.approx([-1.5 / 0.912871, -2 / 0.912871, 0, 2 / 0.912871], rel=1e-6)
    assert people["category"].tolist() == ["unchanged", "improved", "unchanged", "deteriorated"]
    # recovered (lower is better): improved, from above 3.0 to below it — the second person (5 → 3.0) ends on c
    assert people["recovered"].tolist() == [False, False, False, False]


def test_sd_baseline_includes_dropouts_and_r_from_baseline_alpha():
    inst = custom()                                            # no norms, no published reliability
    rng = np.random.default_rng(3)
    trait = rng.normal(3, 0.8, 30)
    items = np.clip(np.round(trait[:, None] + rng.normal(0, 0.6, (30, 3))), 1, 5)
    ids = [f"P{i:03d}" for i in range(30)]
    q = pd.DataFrame({"participant_id": ids, "wave": "baseline", **{f"c{j}": items[:, j] for j in range(3)}})
    pre = items.mean(axis=1)
    scores = pd.concat([long_scores(pre[:20], pre[:20] + 0.5, instrument="cus", scale="s", ids=ids[:20]),
                        pd.DataFrame({"participant_id": ids[20:], "wave": "baseline", "instrument": "cus",
                                      "scale": "s", "score": pre[20:]})])    # 10 dropouts: baseline only
    alpha = reliability({"cus": q}, {"cus": inst}, min_cell=0).iloc[0]["alpha"]
    params = scale_parameters(scores, instruments={"cus": inst}, questionnaires={"cus": q}).iloc[0]
    assert params["sd_baseline"] == pytest.approx(np.std(pre, ddof=1))            # all 30, dropouts included
    assert params["reliability"] == pytest.approx(alpha) and params["reliability_source"] == "sample"  # n = 30
    assert params["s_diff"] == pytest.approx(math.sqrt(2) * np.std(pre, ddof=1) * math.sqrt(1 - alpha))
    table = pd.DataFrame({"instrument": ["cus"], "scale": ["s"], "wave": ["baseline"], "n": [30], "alpha": [0.64]})
    passed = scale_parameters(scores, instruments={"cus": inst}, reliability_table=table).iloc[0]
    assert passed["reliability"] == 0.64                                      # the table passed in is used
    out = reliable_change(scores, instruments={"cus": inst}, membership=NO_GROUPS, reliability_table=table).iloc[0]
    assert out["n_pairs"] == 20 and math.isnan(out["n_recovered"])            # no norms, no cutoff: empty
    assert out["n_improved"] + out["n_unchanged"] + out["n_deteriorated"] == 20


def test_without_reliability_categories_are_empty():
    inst = custom()
    scores = long_scores([1, 2, 3, 4, 5.0], [2, 3, 4, 5, 5.0], instrument="cus", scale="s")
    people = reliable_change_people(scores, instruments={"cus": inst})
    assert people["rc"].isna().all() and people["category"].isna().all()
    row = reliable_change(scores, instruments={"cus": inst}, membership=NO_GROUPS).iloc[0]
    assert row["n_pairs"] == 5 and not row["suppressed"]
    assert row[["reliability", "s_diff", "n_improved", "n_unchanged", "n_deteriorated"]].isna().all()


def test_groups_same_s_diff_suppression_and_ego_network_ignored():
    participants = pd.DataFrame({"participant_id": [f"P{i:03d}" for i in range(12)],
                                 "group": ["A"] * 9 + ["B"] * 3})
    members = pd.concat([pd.DataFrame({"participant_id": participants["participant_id"], "group": "all"}),
                         participants[["participant_id", "group"]]])
    rng = np.random.default_rng(5)
    pre = rng.normal(3, 0.6, 12)
    scores = pd.concat([long_scores(pre, pre + rng.normal(0.4, 0.5, 12)),
                        long_scores(pre, pre, instrument="ego_network", scale="size")])
    shown = reliable_change(scores, instruments={"empowerment": EMP}, membership=members, min_cell=3)
    shown = shown[shown["scale"] == "agency"].set_index("group")
    assert shown.index.tolist() == ["all", "A", "B"] and not shown["suppressed"].any()
    assert shown.loc["A", "s_diff"] == shown.loc["B", "s_diff"] == shown.loc["all", "s_diff"]
    assert shown.loc["A", "n_pairs"] + shown.loc["B", "n_pairs"] == shown.loc["all", "n_pairs"] == 12
    out = reliable_change(scores, instruments={"empowerment": EMP}, membership=members, min_cell=5)
    agency = out[out["scale"] == "agency"].set_index("group")
    assert agency.loc["B", "suppressed"] and agency.loc["A", "suppressed"]    # B < 5, then A (complement)
    keep = ["instrument", "scale", "group", "n_pairs", "suppressed"]
    assert agency.reset_index().loc[1:, :].drop(columns=keep).isna().all().all()
    assert "ego_network" not in set(out["instrument"])


def test_empty_scores():
    empty = pd.DataFrame(columns=["participant_id", "wave", "instrument", "scale", "score"])
    out = reliable_change(empty, instruments={"empowerment": EMP}, membership=NO_GROUPS)
    assert out.columns.tolist() == RC_COLUMNS and out["suppressed"].all() and (out["n_pairs"] == 0).all()
    people = reliable_change_people(empty, instruments={"empowerment": EMP})
    assert people.columns.tolist() == PEOPLE_COLUMNS and people.empty


# --------------------------------------------------------------------------- where r comes from (issue 14, 3 and 6)

def _alphas(**by_scale):
    """A reliability table: scale -> (n complete cases, alpha) at baseline."""
    return pd.DataFrame({"instrument": "cus", "scale": list(by_scale), "wave": "baseline",
                         "n": [n for n, _ in by_scale.values()], "alpha": [a for _, a in by_scale.values()]})


def test_published_r_only_with_its_source_else_the_sample_alpha():
    # pre 1..5, post = pre + (1.2, 0.6, 0, -0.6, 1.2); SD₁ = sd(1, 2, 3, 4, 5) = √2.5 = 1.581139
    pre, post = [1.0, 2.0, 3.0, 4.0, 5.0], [2.2, 2.6, 3.0, 3.4, 6.2]
    scores = long_scores(pre, post, instrument="cus", scale="s")
    table = _alphas(s=(40, 0.64))
    # published .95 with its source: S_diff = √2 · 1.581139 · √0.05 = 0.5; RC = 2.4, 1.2, 0, −1.2, 2.4
    published = reliable_change(scores, instruments={"cus": custom(reliability_=0.95)}, membership=NO_GROUPS,
                                reliability_table=table, min_cell=1).iloc[0]
    assert published["reliability"] == 0.95 and published["reliability_source"] == "published"
    assert published["s_diff"] == pytest.approx(0.5)
    assert (published["n_improved"], published["n_unchanged"], published["n_deteriorated"]) == (2, 3, 0)
    # the same .95 without a source is not used: the sample's alpha .64 of 40 cases is;
    # S_diff = √2 · 1.581139 · √0.36 = 1.341641; RC = 0.89, 0.45, 0, −0.45, 0.89: nobody improved
    sample = reliable_change(scores, instruments={"cus": custom(reliability_=0.95, source=None)},
                             membership=NO_GROUPS, reliability_table=table, min_cell=1).iloc[0]
    assert sample["reliability"] == 0.64 and sample["reliability_source"] == "sample"
    assert sample["s_diff"] == pytest.approx(math.sqrt(2) * math.sqrt(2.5) * 0.6)
    assert (sample["n_improved"], sample["n_unchanged"], sample["n_deteriorated"]) == (0, 5, 0)
    assert RC_COLUMNS[-1] == "reliability_source"                             # new columns go at the end


@pytest.mark.parametrize("n, alpha, min_n_alpha, expected", [
    (29, 0.80, 30, "none"),       # one case short of the default
    (30, 0.80, 30, "sample"),
    (3, 0.70, 30, "none"),        # issue 14: n = 3 (α .70) was used
    (4, 0.60, 30, "none"),        # n = 4 (α .60)
    (5, 0.97, 30, "none"),        # official_matters: α .97 from 5 people
    (6, 0.0, 30, "none"),         # housing: r = 0.000 (S_diff = √2 · SD: nobody could ever change reliably)
    (50, -0.25, 30, "none"),      # a negative alpha is never a reliability, however many cases
    (5, 0.97, 5, "sample"),       # min_n_alpha is the caller's (run parameter)
])
def test_sample_alpha_needs_min_n_alpha_cases_and_a_positive_value(n, alpha, min_n_alpha, expected):
    scores = long_scores([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3.0, 4.0, 5.0, 5.0], instrument="cus", scale="s")
    params = scale_parameters(scores, instruments={"cus": custom()}, reliability_table=_alphas(s=(n, alpha)),
                              min_n_alpha=min_n_alpha).iloc[0]
    assert params["reliability_source"] == expected
    row = reliable_change(scores, instruments={"cus": custom()}, membership=NO_GROUPS, min_cell=1,
                          reliability_table=_alphas(s=(n, alpha)), min_n_alpha=min_n_alpha).iloc[0]
    assert row["reliability_source"] == expected and not row["suppressed"]
    counts = row[["reliability", "s_diff", "n_improved", "n_unchanged", "n_deteriorated"]]
    if expected == "none":
        assert counts.isna().all()                                        # counts empty, never zeros
    else:
        assert row["reliability"] == alpha and counts.notna().all()


def test_issue_example_small_alpha_no_longer_inflates_improvement():
    # issue 14 item 6 on synthetic data: 6 young people, a 3-item scale whose baseline alpha (from 5 complete
    # cases) is .97. With it, S_diff = √2 · SD₁ · √0.03 is tiny and half the group "reliably improved";
    # under the rule (min_n_alpha 30) the scale has no reliable change at all.
    ids = [f"Y{i}" for i in range(6)]
    items = np.array([[1, 1, 1], [2, 2, 2], [3, 3, 2], [4, 4, 4], [2, 2, 3], [3, np.nan, 3]])
    q = pd.DataFrame({"participant_id": ids, "wave": "baseline", **{f"c{j}": items[:, j] for j in range(3)}})
    inst = custom()
    alpha = reliability({"cus": q}, {"cus": inst}, min_cell=0).iloc[0]
    assert alpha["n"] == 5 and alpha["alpha"] > 0.9                           # a high alpha of 5 people
    pre = np.nanmean(items, axis=1)
    # α = .953271 (5 cases), SD₁ = sd(1, 2, 2.667, 4, 2.333, 3) = 1.005540, S_diff = √2 · 1.005540 · √.046729
    # = 0.307403: a change of 0.7 gives RC = 2.28, "reliably improved" — three of six
    post = pre + np.array([0.7, 0.7, 0.0, 0.7, 0.3, 0.0])
    scores = long_scores(pre, post, instrument="cus", scale="s", ids=ids)
    old = reliable_change(scores, instruments={"cus": inst}, membership=NO_GROUPS, questionnaires={"cus": q},
                          min_cell=1, min_n_alpha=0).iloc[0]
    assert old["n_improved"] == 3                                             # what the run used to report
    new = reliable_change(scores, instruments={"cus": inst}, membership=NO_GROUPS, questionnaires={"cus": q},
                          min_cell=1).iloc[0]
    assert new["reliability_source"] == "none" and np.isnan(new["n_improved"])
    people = reliable_change_people(scores, instruments={"cus": inst}, questionnaires={"cus": q})
    assert people["category"].isna().all()                                    # feeds "not measured" targets


def test_norms_without_source_give_no_recovered_and_no_norm_sd():
    # the same data with the same norms, once unsourced and once sourced
    norms = {"functional": {"mean": 3.9, "sd": 0.6}, "dysfunctional": {"mean": 2.6, "sd": 0.7}}
    pre, post = [2.5, 3.0, 2.0, 3.5, 3.0], [3.8, 2.0, 2.8, 3.7, 3.4]
    scores = long_scores(pre, post, instrument="cus", scale="s")
    unsourced = reliable_change(scores, instruments={"cus": custom(reliability_=0.8, norms=norms)},
                                membership=NO_GROUPS, min_cell=1).iloc[0]
    # SD₁ = sd of the baseline scores (2.5, 3, 2, 3.5, 3) = 0.570088, not the norm's 0.7;
    # S_diff = √2 · 0.570088 · √0.2 = 0.360555: RC = 3.61, −2.77, 2.22, 0.55, 1.11; no cutoff: no recovered
    assert unsourced["sd_baseline"] == pytest.approx(np.std(pre, ddof=1))
    assert np.isnan(unsourced["n_recovered"]) and unsourced["n_improved"] == 2
    sourced = reliable_change(scores, instruments={"cus": custom(reliability_=0.8,
                                                                 norms={**norms, "source": "Test 2019, Table 3"})},
                              membership=NO_GROUPS, min_cell=1).iloc[0]
    assert sourced["sd_baseline"] == 0.7 and sourced["n_recovered"] == 1          # as in the hand-worked test


def test_reliability_source_is_the_scales_on_every_row_and_blank_when_suppressed():
    members = pd.DataFrame({"participant_id": [f"P{i:03d}" for i in range(12)], "group": ["A"] * 9 + ["B"] * 3})
    rng = np.random.default_rng(5)
    pre = rng.normal(3, 0.6, 12)
    out = reliable_change(long_scores(pre, pre + rng.normal(0.4, 0.5, 12)), instruments={"empowerment": EMP},
                          membership=members, min_cell=5)
    agency = out[out["scale"] == "agency"].set_index("group")
    assert agency.loc["all", "reliability_source"] == "published"
    assert agency.loc[["A", "B"], "suppressed"].all() and agency.loc[["A", "B"], "reliability_source"].isna().all()


def test_people_by_position_equal_a_merge_of_pairs_and_scale_parameters():
    # reliable_change_people finds each pair's scale by codes (issue 18 wave 2): the same rows as the merge of
    # paired_scores with scale_parameters on the text keys, with scales of other instruments left out
    from evaltools.pairing import paired_scores
    from evaltools.reliable_change import baseline_sds

    rng = np.random.default_rng(8)
    n = 300
    frames = [long_scores(rng.integers(4, 21, n) / 4, rng.integers(4, 21, n) / 4, scale=s,
                          ids=[f"P{i:03d}" for i in rng.permutation(n)]) for s in ("agency", "voice")]
    frames.append(long_scores([1.0] * 5, [2.0] * 5, instrument="ego_network", scale="degree"))
    scores = pd.concat(frames).sample(frac=1.0, random_state=1).reset_index(drop=True)
    scores.loc[scores.index[:40], "score"] = np.nan
    people = reliable_change_people(scores, instruments={"empowerment": EMP})
    params = scale_parameters(scores, instruments={"empowerment": EMP})
    ref = paired_scores(scores).merge(params, on=["instrument", "scale"], how="inner", sort=False)
    assert people[["participant_id", "instrument", "scale", "pre", "post", "diff"]].values.tolist() == \
        ref[["participant_id", "instrument", "scale", "pre", "post", "diff"]].values.tolist()
    sign = np.where(ref["higher_is_better"], 1.0, -1.0)
    assert people["rc"].tolist() == (ref["diff"] / ref["s_diff"]).tolist()
    assert set(people["category"]) == {"improved", "unchanged", "deteriorated"} and len(people) > 400
    assert people["category"].eq("improved").tolist() == (ref["diff"] / ref["s_diff"] * sign > 1.96).tolist()
    baseline = scores[(scores["wave"] == "baseline") & scores["score"].notna()]
    assert baseline_sds(scores) == baseline.groupby(["instrument", "scale"], sort=False)["score"].std().to_dict()
