"""Checks across tables (evaltools.validate.across), called directly on typed tables.

The identifiers are checked by one factorisation of known and found ids together
(:func:`known_ids`); these tests pin what that must keep: missing ids are never unknown, every
unknown cell is reported by its own row (capped), and staff sessions are found among many.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.io import RawTable
from evaltools.validate.across import check_across_tables, known_ids
from evaltools.validate.tables import MAX_PER_COLUMN


def _typed(n_people=50, n_sessions=30, n_rows=400):
    rng = np.random.default_rng(3)
    people = pd.DataFrame({"participant_id": pd.Series([f"P{i:03d}" for i in range(n_people)], dtype="str"),
                           "enrolled_on": pd.NaT, "exited_on": pd.NaT, "_row": np.arange(2, n_people + 2)})
    sessions = pd.DataFrame({"session_id": pd.Series([f"S{i:03d}" for i in range(n_sessions)], dtype="str"),
                             "activity": pd.Series(["group"] * n_sessions, dtype="str"),
                             "_row": np.arange(2, n_sessions + 2)})
    att = pd.DataFrame({"session_id": pd.Series([f"S{i:03d}" for i in rng.integers(0, n_sessions, n_rows)],
                                                dtype="str"),
                        "participant_id": pd.Series([f"P{i:03d}" for i in rng.integers(0, n_people, n_rows)],
                                                    dtype="str"),
                        "_row": np.arange(2, n_rows + 2)})
    return {"participants": people, "sessions": sessions, "attendance": att}


def _raws(typed):
    return {name: RawTable(name, df, f"{name}.csv") for name, df in typed.items()}


def test_known_ids_against_a_set_reference():
    rng = np.random.default_rng(0)
    known = np.array([f"K{i}" for i in rng.integers(0, 500, 300)], dtype=object)  # repeats among the known
    found = [f"K{i}" if i % 7 else None for i in rng.integers(0, 800, 5000)]
    got = known_ids(pd.Series(found, dtype="str"), known)
    want = [v is None or v in set(known) for v in found]  # the plain definition
    assert got.tolist() == want
    assert known_ids(pd.Series(["a", None], dtype="str"), np.array([], dtype=object)).tolist() == [False, True]


def test_unknown_ids_are_reported_row_by_row_and_missing_ones_never():
    typed = _typed()
    att = typed["attendance"]
    att.loc[[5, 250, 399], "participant_id"] = ["P_NOPE", "P_GONE", "P_NOPE"]
    att.loc[[7, 8], "participant_id"] = None  # missing: reported by the table's own check, not here
    att.loc[[100], "session_id"] = "S_NOPE"
    problems = []
    check_across_tables(typed, _raws(typed), {}, {}, problems)
    found = sorted((p.key, p.row, p.column, p.fields["value"]) for p in problems)
    assert found == [("unknown_participant", 7, "participant_id", "P_NOPE"),
                     ("unknown_participant", 252, "participant_id", "P_GONE"),
                     ("unknown_participant", 401, "participant_id", "P_NOPE"),
                     ("unknown_session", 102, "session_id", "S_NOPE")]


def test_unknown_ids_are_capped_per_column():
    typed = _typed()
    typed["attendance"]["participant_id"] = pd.Series([f"X{i}" for i in range(400)], dtype="str")
    problems = []
    check_across_tables(typed, _raws(typed), {}, {}, problems)
    assert [p.key for p in problems].count("unknown_participant") == MAX_PER_COLUMN
    assert problems[MAX_PER_COLUMN].key == "too_many_problems"
    assert problems[MAX_PER_COLUMN].fields["n"] == 400 - MAX_PER_COLUMN


def test_attendance_at_a_staff_session_is_a_warning_on_each_row():
    typed = _typed()
    typed["sessions"].loc[4, "activity"] = "supervision"
    att = typed["attendance"]
    att.loc[3, "session_id"] = None
    want = sorted(att.loc[att["session_id"].eq("S004").fillna(False), "_row"].tolist())[:MAX_PER_COLUMN]
    problems = []
    check_across_tables(typed, _raws(typed), {}, {}, problems)
    staff = [p for p in problems if p.key == "staff_attendance"]
    assert want and sorted(p.row for p in staff) == want
    assert all(p.severity == "warning" and p.fields["value"] == "S004" for p in staff)


def test_distinct_ids_from_check_table_give_the_same_problems():
    # validate_folder hands check_table's distinct identifiers on; the result must be that of the plain path,
    # and a participant id read as empty (its cells held a PESEL) is known to no other table
    from evaltools.parsing import by_value
    typed = _typed()
    typed["participants"].loc[7, "participant_id"] = None  # P007: its only cell held a PESEL
    typed["attendance"].loc[[5, 6], "participant_id"] = ["P_NOPE", "P007"]
    typed["attendance"].loc[9, "session_id"] = None
    typed["sessions"].loc[4, "activity"] = "supervision"
    ids = {name: {col: by_value(df[col]) for col in df if col.endswith("_id")} for name, df in typed.items()}
    positions, values = ids["participants"]["participant_id"]
    ids["participants"]["participant_id"] = (positions, values + ["P007"])  # a value no cell holds any more
    plain, fast = [], []
    check_across_tables(typed, _raws(typed), {}, {}, plain)
    check_across_tables(typed, _raws(typed), {}, {}, fast, ids=ids)
    as_tuples = lambda ps: [(p.key, p.row, p.column, p.fields.get("value")) for p in ps]  # noqa: E731
    assert as_tuples(fast) == as_tuples(plain)
    assert ("unknown_participant", 8, "participant_id", "P007") in as_tuples(fast)
    assert any(p.key == "staff_attendance" for p in fast)
