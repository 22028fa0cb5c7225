"""Mixed model of change with people nested in families (DESIGN.md §4, clustering).

Reference: the same model written with statsmodels' formula interface
(``MixedLM.from_formula(..., vc_formula={"person": "0 + C(participant_id)"})``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from evaltools.clustering import MIXED_COLUMNS, mixed_model


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


def test_matches_statsmodels_formula_fit():
    from statsmodels.regression.mixed_linear_model import MixedLM

    scores, participants = simulate()
    row = mixed_model(scores, participants).iloc[0]
    data = scores.merge(participants, on="participant_id").assign(post=lambda d: (d["wave"] == "endline") * 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MixedLM.from_formula("score ~ post", groups="family_id", re_formula="1",
                                   vc_formula={"person": "0 + C(participant_id)"}, data=data).fit(reml=True)
    assert row["estimate"] == pytest.approx(ref.fe_params["post"], abs=1e-5)
    assert row["se"] == pytest.approx(ref.bse_fe["post"], rel=1e-3)
    assert row["p"] == pytest.approx(ref.pvalues["post"], rel=1e-2)
    ci = ref.conf_int().loc["post"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci[0], ci[1]), abs=1e-3)
    assert (row["n_obs"], row["n_people"], row["n_families"]) == (len(data), 75, 25)
    assert row["converged"] is True or row["converged"] == True  # noqa: E712 (pandas boolean)


def test_columns_and_empty_input():
    scores, participants = simulate(n_families=3)
    assert mixed_model(scores.iloc[:0], participants).columns.tolist() == MIXED_COLUMNS
    assert mixed_model(scores.iloc[:0], participants).empty


def test_singleton_families_fall_back_to_person_intercept():
    scores, participants = simulate(n_families=30, size=1)
    no_family = participants.assign(family_id=[None] * 15 + list(participants["family_id"][15:]))
    for people in (participants, no_family):                 # a missing family_id is a family of one
        row = mixed_model(scores, people).iloc[0]
        assert row["n_families"] == 30
        assert "families_all_single_person" in row["note"] and "person_intercept_only" in row["note"]
        assert np.isfinite(row["estimate"]) and abs(row["estimate"] - 0.4) < 0.3


def test_notes_for_too_few_people_and_one_wave():
    scores, participants = simulate(n_families=1, size=3)
    row = mixed_model(scores, participants, min_cell=5).iloc[0]
    assert row["note"] == "too_few_people" and np.isnan(row["estimate"]) and pd.isna(row["converged"])
    scores, participants = simulate(n_families=10, drop=1.0)  # nobody at endline
    assert mixed_model(scores, participants).iloc[0]["note"] == "one_wave_only"


def test_degenerate_data_gives_a_note_not_an_error():
    scores, participants = simulate(n_families=8)
    flat = scores.assign(score=3.0)                           # no variance at all
    row = mixed_model(flat, participants).iloc[0]
    assert isinstance(row["note"], str) and row["note"]        # explained, whatever statsmodels made of it


def test_subsample_above_max_people():
    scores, participants = simulate(n_families=60, size=3)
    row = mixed_model(scores, participants, max_people=60, seed=1).iloc[0]
    assert row["note"].startswith("subsample")
    assert 60 <= row["n_people"] <= 62 and row["n_families"] == row["n_people"] // 3
    again = mixed_model(scores.sample(frac=1.0, random_state=3), participants, max_people=60, seed=1).iloc[0]
    assert again["n_people"] == row["n_people"] and again["estimate"] == pytest.approx(row["estimate"], abs=1e-6)


def test_reml_start_is_statsmodels_optimum():
    # the closed-form REML used as MixedLM's starting point lands where statsmodels ends
    from statsmodels.regression.mixed_linear_model import MixedLM

    from evaltools.clustering import reml_start

    scores, participants = simulate(n_families=40, size=None, seed=3)
    data = (scores.merge(participants, on="participant_id").assign(post=lambda d: (d["wave"] == "endline") * 1.0)
            .sort_values(["family_id", "participant_id"]))
    b0, b1, var_f, var_p, var_e = reml_start(data["score"].to_numpy(), data["post"].to_numpy(),
                                             pd.factorize(data["participant_id"])[0],
                                             pd.factorize(data["family_id"])[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MixedLM.from_formula("score ~ post", groups="family_id", re_formula="1",
                                   vc_formula={"person": "0 + C(participant_id)"}, data=data).fit(reml=True)
    assert (b0, b1) == pytest.approx(tuple(ref.fe_params), abs=1e-4)
    assert (var_f, var_p, var_e) == pytest.approx((ref.cov_re.iloc[0, 0], ref.vcomp[0], ref.scale), rel=1e-3)
