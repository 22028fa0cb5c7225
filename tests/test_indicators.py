"""Indicators against targets (DESIGN.md §5), dose, and the indicators figure.

What is wrong with a target's definition is tested with the validator (tests/test_validate_targets.py).

One small fixture whose every count is worked out by hand beside the test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaltools.errors import ProjectError
from evaltools.indicators import DOSE_COLUMNS, INDICATOR_COLUMNS, dose, indicators

NA = pd.NA

# P01-P03: one family (F1) of three; P04: in two components, no family_id; P07 enrolled, never attended
# (except a staff training, which has no participants).
PARTICIPANTS = pd.DataFrame({
    "participant_id": ["P01", "P02", "P03", "P04", "P05", "P06", "P07"],
    "family_id": ["F1", "F1", "F1", NA, "", "F2", "F2"],
    "components": ["family_support;legal", "family_support", "family_support", "self_help;community",
                   "self_help", "youth", "community"],
    "group": [NA, NA, NA, "G1", "G1", NA, NA],
    "role": ["adult", "child", "youth", "adult", "adult", "youth", "adult"],
}, dtype="str")

SESSIONS = pd.DataFrame({
    "session_id": ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10"],
    "date": pd.to_datetime(["2021-02-01", "2021-03-01", "2021-02-10", "2021-03-10", "2021-04-10",
                            "2021-05-01", "2021-06-01", "2021-02-15", "2021-03-15", "2021-04-01"]),
    "activity": ["family_visit", "family_visit", "self_help_meeting", "self_help_meeting", "self_help_meeting",
                 "community_event", "neighbourhood_meeting", "staff_training", "supervision", "legal_advice"],
    "group": [NA, NA, "G1", "G1", "G2", NA, NA, NA, NA, NA],
    "duration_min": [60.0, 60.0, 90.0, 90.0, 90.0, 120.0, 90.0, 240.0, 120.0, np.nan],
    "headcount": [0.0, 0.0, 0.0, 0.0, 0.0, 40.0, 25.0, 3.0, 2.0, np.nan],  # S07: a headcount only
}).astype({"session_id": "str", "activity": "str", "group": "str"})

ATTENDANCE = pd.DataFrame([
    ("S01", "P01"), ("S01", "P02"), ("S02", "P01"), ("S02", "P03"),
    ("S03", "P04"), ("S03", "P05"), ("S04", "P04"), ("S05", "P04"),
    ("S06", "P04"), ("S06", "P06"), ("S08", "P07"), ("S10", "P01"), ("S10", "P01"),  # a duplicated row
], columns=["session_id", "participant_id"], dtype="str")

IMPROVED = pd.DataFrame({
    "participant_id": ["P01", "P02", "P04", "P05", "P06", "P07"],
    "instrument": ["empowerment"] * 5 + ["recovery"],
    "scale": ["agency", "agency", "agency", "voice", "agency", "total"],
    "category": ["improved", "unchanged", "improved", "improved", "improved", "improved"],
}, dtype="str")


def target(id_, count, goal, **kw):
    return {"id": id_, "label": {"pl": f"PL {id_}", "en": f"EN {id_}"}, "count": count, "target": goal, **kw}


# (target, expected value, hand calculation)
CASES = [
    (target("people", "participants", 6),  # exactly met
     6, "P01-P06 attended a non-staff session; P07 only a staff training"),
    (target("people_enrolled", "participants", 7, min_sessions=0),
     7, "min_sessions 0: all 7 enrolled"),
    (target("community_enrolled", "participants", 1, min_sessions=0, where={"component": "community"}),
     2, "P04 (self_help;community) and P07: exceeded, ratio 2"),
    (target("self_help_2", "participants", 3, min_sessions=2, where={"activity": "self_help_meeting"}),
     1, "self-help meetings: P04 3 (S03 S04 S05), P05 1 -> only P04 has >= 2: 1/3, not met"),
    (target("families_visited", "families", 1, where={"activity": "family_visit"}),
     1, "P01 P02 P03 all of F1 -> one family"),
    (target("families_all", "families", 8),
     4, "F1 (P01-03), P04 alone, P05 alone (blank family_id), F2 (P06): 4/8 = 50 % -> partly"),
    (target("families_2", "families", 2, min_sessions=2),
     2, "P01 has 3 sessions (F1), P04 has 4 (own family); the rest have 1"),
    (target("reach_all", "reach", 150),
     71, "6 people (P01-P06) + headcounts 40 + 25; staff headcounts 3 and 2 and P07 excluded: 71/150 not met"),
    (target("reach_meeting", "reach", 5, where={"activity": "neighbourhood_meeting"}),
     25, "S07 has no registered attendee, only headcount 25"),
    (target("reach_community", "reach", 60, where={"activity": ["community_event", "neighbourhood_meeting"]}),
     67, "P04 and P06 at S06 + 40 + 25"),
    (target("reach_staff", "reach", 1, where={"activity": "staff_training"}),
     0, "a staff training reaches nobody: neither P07 nor its headcount 3"),
    (target("sessions_all", "sessions", 10),
     10, "every session, staff ones included"),
    (target("staff_sessions", "sessions", 1, where={"activity": ["staff_training", "supervision"]}),
     2, "S08, S09"),
    (target("groups", "groups", 3, where={"activity": "self_help_meeting"}),
     2, "G1, G2: 2/3 partly"),
    (target("adults_fs_or_sh", "participants", 3,
            where={"role": "adult", "component": ["family_support", "self_help"]}),
     3, "adults P01 P04 P05 P07; of those in family_support or self_help: P01 P04 P05; all attended"),
    (target("legal_visits", "participants", 1, where={"activity": "family_visit", "component": "legal"}),
     1, "legal component: P01 only; P01 had a family visit"),
    (target("group_g2", "participants", 1, where={"group": "G2"}),
     1, "sessions of group G2: S05, attended by P04"),
    (target("improved_agency", "improved", 2, instrument="empowerment", scale="agency"),
     3, "P01 P04 P06 improved on empowerment/agency; P02 unchanged; P05 and P07 on other scales"),
    (target("improved_adults", "improved", 2, instrument="empowerment", scale="agency", where={"role": "adult"}),
     2, "adults among P01 P04 P06: P01 P04"),
]


@pytest.fixture(scope="module")
def table():
    targets = [c[0] for c in CASES]
    return indicators(targets, participants=PARTICIPANTS, sessions=SESSIONS, attendance=ATTENDANCE,
                      improved=IMPROVED).set_index("indicator_id")


@pytest.mark.parametrize("case", CASES, ids=[c[0]["id"] for c in CASES])
def test_indicator_values_by_hand(table, case):
    spec, expected, _why = case
    assert table.loc[spec["id"], "value"] == expected


def test_ratio_status_and_columns(table):
    assert tuple(table.reset_index().columns) == INDICATOR_COLUMNS
    assert list(table.index) == [c[0]["id"] for c in CASES]  # the order of project.yaml
    # exactly met -> met, ratio 1; exceeded -> met, ratio 2; exactly 50 % -> partly; 1/3 -> not met
    assert (table.loc["people", "ratio"], table.loc["people", "status"]) == (1.0, "met")
    assert (table.loc["community_enrolled", "ratio"], table.loc["community_enrolled", "status"]) == (2.0, "met")
    assert (table.loc["families_all", "ratio"], table.loc["families_all", "status"]) == (0.5, "partly")
    assert table.loc["self_help_2", "ratio"] == pytest.approx(1 / 3)
    assert table.loc["self_help_2", "status"] == "not met"
    assert table.loc["reach_all", "ratio"] == pytest.approx(71 / 150)
    assert table.loc["reach_staff", "status"] == "not met"  # 0 of 1
    assert table.loc["people", "label"] == "EN people"
    assert str(table["value"].dtype) == "Int64"


def test_improved_without_results_is_empty_and_labels_follow_lang():
    targets = [target("imp", "improved", 5, instrument="empowerment", scale="agency"),
               {"id": "plain", "label": {"en": "Only English"}, "count": "sessions", "target": 4}]
    out = indicators(targets, participants=PARTICIPANTS, sessions=SESSIONS, attendance=ATTENDANCE, lang="pl")
    assert out["label"].tolist() == ["PL imp", "Only English"]  # missing pl falls back to en
    assert pd.isna(out.loc[0, "value"]) and np.isnan(out.loc[0, "ratio"]) and pd.isna(out.loc[0, "status"])
    assert out.loc[1, "value"] == 10 and out.loc[1, "status"] == "met"


def test_improved_on_a_scale_without_reliable_change_is_not_measured():
    # issue 14 item 6: a scale whose reliability is `none` (or with no complete pairs) classifies nobody; its
    # target is "not measured" with value and ratio empty, never "not met" with value 0 (DESIGN §5)
    unclassified = pd.concat([IMPROVED, pd.DataFrame({
        "participant_id": ["P01", "P04"], "instrument": "independence", "scale": "housing",
        "category": pd.Series([NA, NA], dtype="str")})], ignore_index=True)
    targets = [target("housing", "improved", 2, instrument="independence", scale="housing"),
               target("nobody_paired", "improved", 2, instrument="independence", scale="budgeting"),
               target("agency", "improved", 2, instrument="empowerment", scale="agency")]
    out = indicators(targets, participants=PARTICIPANTS, sessions=SESSIONS, attendance=ATTENDANCE,
                     improved=unclassified).set_index("indicator_id")
    for tid in ("housing", "nobody_paired"):
        assert out.loc[tid, "status"] == "not measured"
        assert pd.isna(out.loc[tid, "value"]) and np.isnan(out.loc[tid, "ratio"])
    # a measured scale with nobody of P improved is 0 and "not met", not "not measured"
    assert out.loc["agency", "value"] == 3 and out.loc["agency", "status"] == "met"   # P01 P04 P06
    nobody = IMPROVED.assign(category="unchanged")
    row = indicators(targets[2:], participants=PARTICIPANTS, sessions=SESSIONS, attendance=ATTENDANCE,
                     improved=nobody).iloc[0]
    assert row["value"] == 0 and row["status"] == "not met"


def test_no_targets_keeps_columns():
    out = indicators([], participants=PARTICIPANTS, sessions=SESSIONS, attendance=ATTENDANCE)
    assert tuple(out.columns) == INDICATOR_COLUMNS and len(out) == 0


def test_targets_that_cannot_be_computed_raise_with_every_message():
    with pytest.raises(ProjectError, match="famlies.*\n.*must be a number greater than 0\n.*needs instrument"):
        indicators([target("a", "famlies", 0), target("b", "improved", 3)], participants=PARTICIPANTS,
                   sessions=SESSIONS, attendance=ATTENDANCE)


# --------------------------------------------------------------------------- dose

def test_dose_by_hand():
    d = dose(ATTENDANCE, SESSIONS, participants=PARTICIPANTS).set_index("participant_id")
    assert tuple(d.reset_index().columns) == DOSE_COLUMNS
    # P01: S01 S02 (60 + 60 min) + S10 (no duration; duplicate row once) -> 3 sessions, 2.0 h
    assert (d.loc["P01", "sessions"], d.loc["P01", "hours"]) == (3, 2.0)
    assert (d.loc["P01", "sessions_family_visit"], d.loc["P01", "sessions_legal_advice"]) == (2, 1)
    # P04: S03 S04 S05 (3 x 90) + S06 (120) = 390 min = 6.5 h
    assert (d.loc["P04", "sessions"], d.loc["P04", "hours"], d.loc["P04", "sessions_self_help_meeting"]) == (4, 6.5, 3)
    # P07 attended only a staff training: a row of zeros
    assert (d.loc["P07", "sessions"], d.loc["P07", "hours"]) == (0, 0.0)
    without = dose(ATTENDANCE, SESSIONS)
    assert "P07" not in set(without["participant_id"]) and len(without) == 6
    empty = dose(ATTENDANCE.iloc[0:0], SESSIONS)
    assert tuple(empty.columns) == DOSE_COLUMNS and len(empty) == 0


# --------------------------------------------------------------------------- figure

def test_indicators_figure_bars_and_status_colours(table):
    from evaltools.plots.indicators import STATUS_COLOURS, indicators_figure
    shown = table.reset_index().iloc[[0, 3, 5]]  # met, not met, partly
    fig = indicators_figure(shown, lang="pl")
    assert isinstance(fig, Figure)
    bars = fig.axes[0].patches
    assert [round(b.get_width(), 6) for b in bars] == [100.0, round(100 / 3, 6), 50.0]
    from matplotlib.colors import to_hex
    assert [to_hex(b.get_facecolor()) for b in bars] == [
        STATUS_COLOURS["met"].lower(), STATUS_COLOURS["not met"].lower(), STATUS_COLOURS["partly"].lower()]
    assert fig.axes[0].get_title() == "Realizacja wskaźników produktu"
    assert any(line.get_xdata()[0] == 100 for line in fig.axes[0].lines)  # the 100 % line


def test_inputs_are_not_mutated():
    frames = [PARTICIPANTS.copy(), SESSIONS.copy(), ATTENDANCE.copy(), IMPROVED.copy()]
    indicators([c[0] for c in CASES], participants=frames[0], sessions=frames[1], attendance=frames[2],
               improved=frames[3])
    dose(frames[2], frames[1], participants=frames[0])
    for frame, original in zip(frames, [PARTICIPANTS, SESSIONS, ATTENDANCE, IMPROVED]):
        pd.testing.assert_frame_equal(frame, original)


# --------------------------------------------------------------------------- rows matched by position
# indicators and dose match attendance to sessions and people by row position (issue 18); these pin
# what a join on the ids meant.

def test_attendance_with_missing_or_unknown_ids_counts_nowhere():
    sessions = pd.concat([SESSIONS, pd.DataFrame({"session_id": [NA], "activity": ["family_visit"],
                                                  "duration_min": [600.0]})], ignore_index=True)
    attendance = pd.concat([ATTENDANCE, pd.DataFrame({"session_id": [NA, "S99", "S01", NA],
                                                      "participant_id": ["P07", "P07", "P99", NA]})],
                           ignore_index=True)
    d = dose(attendance, sessions, participants=PARTICIPANTS).set_index("participant_id")
    # P07's attendance of a session with no id, and of an unknown session, adds nothing (as before: 0, 0 h)
    assert (d.loc["P07", "sessions"], d.loc["P07", "hours"]) == (0, 0.0) and "P99" not in d.index
    pd.testing.assert_frame_equal(dose(attendance, sessions, participants=PARTICIPANTS),
                                  dose(ATTENDANCE, SESSIONS, participants=PARTICIPANTS))
    assert "P99" in set(dose(attendance, sessions)["participant_id"])  # without participants: whoever attended
    targets = [c[0] for c in CASES]
    pd.testing.assert_frame_equal(
        indicators(targets, participants=PARTICIPANTS, sessions=sessions, attendance=attendance, improved=IMPROVED),
        indicators(targets, participants=PARTICIPANTS, sessions=SESSIONS, attendance=ATTENDANCE, improved=IMPROVED))


def test_component_target_with_nobody_registered_is_zero():
    # it raised KeyError before issue 18: filtering no people by component selected no columns
    nobody = PARTICIPANTS.iloc[0:0]
    out = indicators([target("fam", "participants", 2, where={"component": "family_support"})],
                     participants=nobody, sessions=SESSIONS, attendance=ATTENDANCE)
    assert out["value"].tolist() == [0] and out["status"].tolist() == ["not met"]


@pytest.mark.parametrize("sessions_kind", ["distinct", "with_empty_id", "repeated_id"])
def test_dose_matches_a_pandas_join_on_messy_random_attendance(sessions_kind):
    # positions come from one hash pass over ids (or pandas' get_indexer when ids are empty); the reference
    # here is a plain join: distinct (session, person) pairs of known sessions, non-staff, registered people
    rng = np.random.default_rng(5)
    ids = [f"P{i:02d}" for i in range(40)]
    sids = [f"S{i:03d}" for i in range(60)]
    sessions = pd.DataFrame({"session_id": sids, "activity": rng.choice(
        ["family_visit", "self_help_meeting", "supervision", "community_event"], 60),
        "duration_min": rng.choice([30.0, 45.0, np.nan, 90.0], 60)}).astype({"session_id": "str", "activity": "str"})
    if sessions_kind == "with_empty_id":
        sessions.loc[3, "session_id"] = np.nan
    if sessions_kind == "repeated_id":  # not a valid table: each listing joins, as a merge does
        sessions.loc[3, "session_id"] = sessions.loc[4, "session_id"]
    attendance = pd.DataFrame({"session_id": rng.choice(sids + ["S999", None], 500),
                               "participant_id": rng.choice(ids + ["X1", None], 500)}, dtype="str")
    got = dose(attendance, sessions, participants=pd.DataFrame({"participant_id": ids[:35]}, dtype="str"))
    staff = sessions["activity"] == "supervision"
    pairs = attendance.dropna().drop_duplicates().merge(sessions[~staff].dropna(subset=["session_id"]),
                                                        on="session_id")
    pairs = pairs[pairs["participant_id"].isin(ids[:35])]
    by = pairs.groupby("participant_id")
    expected = pd.DataFrame({"participant_id": sorted(ids[:35])}).set_index("participant_id")
    expected["sessions"] = by.size().reindex(expected.index, fill_value=0)
    expected["hours"] = (by["duration_min"].sum() / 60).reindex(expected.index, fill_value=0.0)
    expected["sessions_family_visit"] = (pairs[pairs["activity"] == "family_visit"].groupby("participant_id")
                                         .size().reindex(expected.index, fill_value=0))
    assert got["participant_id"].tolist() == expected.index.tolist()
    assert got["sessions"].tolist() == expected["sessions"].tolist()
    assert got["hours"].to_numpy() == pytest.approx(expected["hours"].to_numpy())
    assert got["sessions_family_visit"].tolist() == expected["sessions_family_visit"].tolist()
    assert got["sessions"].sum() > 100  # the fixture does attend


def _dose_by_join(attendance, sessions, people):
    """The reference: distinct (session, person) pairs as text, joined with non-staff sessions, of ``people``."""
    att = attendance.dropna().astype("str").drop_duplicates()
    s = sessions[sessions["activity"] != "supervision"].astype({"session_id": "str"})
    pairs = att.merge(s, on="session_id")
    pairs = pairs[pairs["participant_id"].isin(people)]
    by = pairs.groupby("participant_id")
    out = pd.DataFrame(index=pd.Index(sorted(people), name="participant_id"))
    out["sessions"] = by.size().reindex(out.index, fill_value=0)
    out["hours"] = (by["duration_min"].sum() / 60).reindex(out.index, fill_value=0.0)
    return out


def test_dose_at_scale_matches_a_join_in_any_row_order_and_twice():
    # 60,000 attendance rows: the ids are coded once (evaltools.codes remembers columns this long) and
    # looked up once; the second call must give the same; ids typed as numbers are the same ids as text
    rng = np.random.default_rng(18)
    n_people, n_sessions = 3000, 2000
    sids = np.array([f"S{i:05d}" for i in range(n_sessions)], dtype=object)
    sessions = pd.DataFrame({"session_id": sids, "activity": rng.choice(
        ["family_visit", "self_help_meeting", "supervision"], n_sessions),
        "duration_min": rng.choice([30.0, 60.0, 90.0], n_sessions)})
    people = np.array([str(i) for i in range(n_people)], dtype=object)
    who = rng.integers(0, n_people + 50, 60_000)  # 50 unregistered
    attendance = pd.DataFrame({"session_id": rng.choice(np.append(sids, "S-none"), 60_000),
                               "participant_id": np.array([int(w) if w % 7 == 0 else str(w) for w in who],
                                                          dtype=object)})
    attendance.loc[::997, "participant_id"] = None
    participants = pd.DataFrame({"participant_id": people})
    expected = _dose_by_join(attendance, sessions, people)
    ordered = attendance.sort_values("session_id", kind="stable", ignore_index=True)
    for att in (attendance, attendance, ordered):
        got = dose(att, sessions, participants=participants).set_index("participant_id")
        assert got.index.tolist() == expected.index.tolist()
        assert got["sessions"].tolist() == expected["sessions"].tolist()
        assert got["hours"].to_numpy() == pytest.approx(expected["hours"].to_numpy(), rel=1e-12)
    unregistered = dose(attendance, sessions).set_index("participant_id")  # whoever attended a known session
    assert set(unregistered.index) == set(attendance.dropna().astype("str").merge(
        sessions[sessions["activity"] != "supervision"], on="session_id")["participant_id"])


def test_id_codes_never_serve_another_columns_lookup():
    # the lookup between two columns' distinct ids is remembered; a new column (even at a recycled
    # address) gets its own
    from evaltools.indicators import id_codes
    for shift in range(3):
        table = pd.Series([f"S{i}" for i in range(60_000)], dtype="str")
        ids = pd.Series([f"S{(i + shift) % 70_000}" for i in range(60_000)], dtype="str")
        own, cells, n = id_codes(table, ids)
        expected = pd.Index(table).get_indexer(ids)
        assert n == 60_000 and own.tolist() == list(range(60_000)) and cells.tolist() == expected.tolist()
        del table, ids
