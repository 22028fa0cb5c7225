"""Scale scores (DESIGN.md §4): missing codes, reversed items, min_items, mean vs prorated sum.

Hand-worked cases beside each test, then hypothesis properties: scores stay in
the response range, min_items is respected, and the score does not depend on
row order, on reversing an item twice, or on other people.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaltools.errors import InstrumentError
from evaltools.instruments import LIBRARY, load_instrument, parse_instrument
from evaltools.scoring import SCORE_COLUMNS, score, score_all

# 1..5, missing 9/99; agency (emp_02 reversed, min_items 3), voice (min_items 2)
EMP = load_instrument(LIBRARY / "empowerment.yaml")


def make_instrument(k: int, *, reversed_=(), min_items=None, scoring="mean", lo=1, hi=5, inst_id="test"):
    items = [f"i{j}" for j in range(k)]
    scale = {"id": "s", "items": items, "reversed": [items[j] for j in reversed_]}
    if min_items is not None:
        scale["min_items"] = min_items
    return parse_instrument({"id": inst_id, "title": {"pl": "T", "en": "T"}, "response": {"min": lo, "max": hi},
                             "missing_codes": [9, 99], "scoring": scoring, "items": [{"id": i} for i in items],
                             "subscales": [scale]})


def q_frame(rows, items, pids=None, wave="baseline"):
    pids = pids or [f"P{i:03d}" for i in range(len(rows))]
    return pd.DataFrame({"participant_id": pids, "wave": wave,
                         **{item: [r[j] for r in rows] for j, item in enumerate(items)}})


def test_hand_worked_empowerment():
    q = q_frame([[4, 2, 3, 5, 99, 3],       # agency: 4, 6−2=4, 3 → 11/3; voice: 5, 3 (99 missing) → 4.0
                 [4, 2, 9, 1, 2, np.nan]],  # agency: 2 answered < min 3 → NaN; voice: 1, 2 → 1.5
                [f"emp_0{i}" for i in range(1, 7)])
    out = score(q, EMP)
    assert out.columns.tolist() == SCORE_COLUMNS
    got = out.set_index(["participant_id", "scale"])
    assert got.loc[("P000", "agency"), "score"] == pytest.approx(11 / 3)
    assert got.loc[("P000", "voice"), "score"] == 4.0
    assert math.isnan(got.loc[("P001", "agency"), "score"]) and got.loc[("P001", "agency"), "n_items"] == 2
    assert got.loc[("P001", "voice"), "score"] == 1.5 and got.loc[("P001", "voice"), "n_items"] == 2
    assert out["instrument"].unique().tolist() == ["empowerment"]


def test_sum_is_prorated():
    inst = make_instrument(4, scoring="sum", min_items=3)
    out = score(q_frame([[1, 2, np.nan, 4], [1, 9, np.nan, 4]], ["i0", "i1", "i2", "i3"]), inst)
    assert out["score"].iloc[0] == pytest.approx(7 / 3 * 4)   # mean of 1, 2, 4 times k = 4
    assert math.isnan(out["score"].iloc[1])                     # 2 answered < 3


def test_out_of_range_and_absent_item_are_missing():
    inst = make_instrument(3, min_items=1)
    q = q_frame([[7, 2, 0]], ["i0", "i1", "i2"]).drop(columns="i2")   # 7 outside 1..5; i2 not in the table
    out = score(q, inst)
    assert out["score"].iloc[0] == 2.0 and out["n_items"].iloc[0] == 1


def test_default_min_items_is_ceil_80_percent():
    inst = make_instrument(5)                                  # ceil(0.8 · 5) = 4
    out = score(q_frame([[1, 2, 3, np.nan, np.nan], [1, 2, 3, 4, np.nan]], [f"i{j}" for j in range(5)]), inst)
    assert math.isnan(out["score"].iloc[0]) and out["score"].iloc[1] == 2.5


def test_types_empty_and_score_all():
    empty = score(q_frame([], ["i0"]), make_instrument(1))
    assert empty.columns.tolist() == SCORE_COLUMNS and len(empty) == 0
    assert str(empty["score"].dtype) == "float64" and str(empty["n_items"].dtype) == "int64"
    q = q_frame([[4, 2, 3, 5, 4, 3]], [f"emp_0{i}" for i in range(1, 7)])
    both = score_all({"empowerment": q}, {"empowerment": EMP})
    assert both.columns.tolist() == SCORE_COLUMNS and len(both) == 2
    with pytest.raises(InstrumentError, match="no instrument definition"):
        score_all({"nope": q}, {"empowerment": EMP})


def test_rows_sorted_by_person_wave_scale():
    q = pd.concat([q_frame([[1] * 6], [f"emp_0{i}" for i in range(1, 7)], ["B"], "endline"),
                   q_frame([[1] * 6], [f"emp_0{i}" for i in range(1, 7)], ["B"], "baseline"),
                   q_frame([[1] * 6], [f"emp_0{i}" for i in range(1, 7)], ["A"], "endline")])
    out = score(q, EMP)
    assert list(zip(out["participant_id"], out["wave"], out["scale"])) == [
        ("A", "endline", "agency"), ("A", "endline", "voice"), ("B", "baseline", "agency"),
        ("B", "baseline", "voice"), ("B", "endline", "agency"), ("B", "endline", "voice")]


# --------------------------------------------------------------------------- properties

answer = st.one_of(st.integers(1, 5).map(float), st.sampled_from([9.0, 99.0, np.nan]))


@st.composite
def instrument_and_answers(draw):
    k = draw(st.integers(1, 6))
    reversed_ = draw(st.sets(st.integers(0, k - 1)))
    min_items = draw(st.integers(1, k))
    scoring = draw(st.sampled_from(["mean", "sum"]))
    rows = draw(st.lists(st.lists(answer, min_size=k, max_size=k), min_size=1, max_size=12))
    return make_instrument(k, reversed_=sorted(reversed_), min_items=min_items, scoring=scoring), rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instrument_and_answers())
def test_scores_in_range_and_min_items_respected(case):
    inst, rows = case
    scale = inst.scales[0]
    k = len(scale.items)
    out = score(q_frame(rows, list(scale.items)), inst)
    answered = [sum(1 for v in r if v in (1, 2, 3, 4, 5)) for r in rows]
    assert out["n_items"].tolist() == answered
    lo, hi = (1, 5) if inst.scoring == "mean" else (k * 1, k * 5)
    valid = out["score"].dropna()
    assert ((valid >= lo - 1e-12) & (valid <= hi + 1e-12)).all()
    assert (out["score"].isna() == (out["n_items"] < scale.min_items)).all()


@settings(max_examples=40, deadline=None)
@given(instrument_and_answers(), st.randoms(use_true_random=False))
def test_invariant_to_row_order_and_other_people(case, rnd):
    inst, rows = case
    items = list(inst.scales[0].items)
    q = q_frame(rows, items)
    base = score(q, inst)
    shuffled = q.sample(frac=1.0, random_state=rnd.randint(0, 2**31 - 1))
    pd.testing.assert_frame_equal(score(shuffled, inst), base)
    extra = pd.concat([q, q_frame([[np.nan] * len(items)], items, ["ZZ-empty"])], ignore_index=True)
    with_extra = score(extra, inst)
    pd.testing.assert_frame_equal(with_extra[with_extra["participant_id"] != "ZZ-empty"].reset_index(drop=True),
                                  base)
    assert with_extra.loc[with_extra["participant_id"] == "ZZ-empty", "n_items"].tolist() == [0]


@settings(max_examples=40, deadline=None)
@given(instrument_and_answers())
def test_reversing_twice_changes_nothing(case):
    inst, rows = case
    items = list(inst.scales[0].items)
    plain = make_instrument(len(items), min_items=inst.scales[0].min_items, scoring=inst.scoring)
    all_reversed = make_instrument(len(items), reversed_=range(len(items)), min_items=inst.scales[0].min_items,
                                   scoring=inst.scoring)
    flipped = [[6 - v if v in (1, 2, 3, 4, 5) else v for v in r] for r in rows]   # min + max − x on 1..5
    a = score(q_frame(rows, items), plain)
    b = score(q_frame(flipped, items), all_reversed)
    pd.testing.assert_frame_equal(a, b)
