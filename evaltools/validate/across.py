"""Checks across the tables of a data folder: identifiers, dates, staff sessions (docs/data.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.errors import Problem
from evaltools.schema import STAFF_ACTIVITIES
from evaltools.validate.tables import MAX_PER_COLUMN, at, capped


def check_across_tables(typed, raws, instruments, config, problems, *, ids: dict | None = None) -> None:
    """Identifiers known to the tables they point at, dates within the period, no attendance at staff sessions.

    ``ids`` (table -> identifier column -> per row the position of its value, and the distinct values;
    :func:`evaltools.validate.tables.check_table` fills it) lets each distinct identifier be looked up once.
    """
    ids = ids or {}
    people = typed.get("participants")
    sessions = typed.get("sessions")
    people_ids = _ids(people, ids.get("participants", {}), "participant_id")
    period = config.get("period") if isinstance(config.get("period"), dict) else None
    start = pd.Timestamp(period["start"]) if period and "start" in period else None
    end = pd.Timestamp(period["end"]) if period and "end" in period else None

    def unknown(name, column, known, key="unknown_participant"):
        df = typed.get(name)
        if df is None or known is None or column not in df:
            return
        bad = ~_known_cells(df, ids.get(name, {}), column, known)
        if bad.any():
            capped(problems, raws[name], key, df["_row"][bad], df[column][bad], column)

    unknown("attendance", "participant_id", people_ids)
    unknown("attendance", "session_id", _ids(sessions, ids.get("sessions", {}), "session_id"), "unknown_session")
    unknown("ties", "participant_id", people_ids)
    unknown("ties", "alter_participant_id", people_ids)
    for inst_id in instruments:
        unknown(f"q_{inst_id}", "participant_id", people_ids)

    ties = typed.get("ties")
    if ties is not None:
        own = ties["alter_participant_id"].notna() & (ties["alter_participant_id"] == ties["participant_id"])
        if own.any():
            capped(problems, raws["ties"], "self_tie", ties["_row"][own], ties["alter_participant_id"][own],
                    "alter_participant_id")

    if start is not None and end is not None:
        def outside(name, column, severity="error"):
            df = typed.get(name)
            if df is None or column not in df:
                return
            bad = df[column].notna() & ((df[column] < start) | (df[column] > end))
            if "wave" in df:  # a follow-up is dated after the programme's end: that is its point
                bad &= ~(df["wave"].eq("followup").fillna(False) & (df[column] > end))
            if bad.any():
                rows, values = df["_row"][bad], df[column][bad].dt.strftime("%Y-%m-%d")
                for row, value in list(zip(rows, values))[:MAX_PER_COLUMN]:
                    problems.append(Problem("date_outside_period",
                                            {"value": value, "start": start.date(), "end": end.date()},
                                            **at(raws[name], row, column, severity)))
        outside("sessions", "date")
        for inst_id in instruments:
            outside(f"q_{inst_id}", "date")
        outside("participants", "enrolled_on", "warning")
        outside("participants", "exited_on", "warning")

    if people is not None:
        bad = people["exited_on"].notna() & people["enrolled_on"].notna() & (people["exited_on"] < people["enrolled_on"])
        for _, r in people[bad].head(MAX_PER_COLUMN).iterrows():
            problems.append(Problem("exit_before_enrolment",
                                    {"value": r["exited_on"].date(), "enrolled": r["enrolled_on"].date()},
                                    **at(raws["participants"], r["_row"], "exited_on")))

    attendance = typed.get("attendance")
    if attendance is not None and sessions is not None:
        staff = sessions.loc[sessions["activity"].isin(STAFF_ACTIVITIES), "session_id"].dropna()
        staff = pd.unique(staff.to_numpy(dtype=object))
        bad = ((_known_cells(attendance, ids.get("attendance", {}), "session_id", staff)
                & attendance["session_id"].notna().to_numpy(dtype=bool)) if len(staff) else np.zeros(0, dtype=bool))
        if bad.any():
            rows = attendance["_row"][bad]
            for row, value in list(zip(rows, attendance["session_id"][bad]))[:MAX_PER_COLUMN]:
                problems.append(Problem("staff_attendance", {"value": value},
                                        **at(raws["attendance"], row, "session_id", "warning")))


def _ids(df: pd.DataFrame | None, distinct: dict, column: str) -> np.ndarray | None:
    """The distinct identifiers of a table's ``column`` (missing left out), or None without that table.

    ``distinct``: the table's identifier columns as :func:`evaltools.validate.tables.check_table` gives them.
    """
    if df is None:
        return None
    if column in distinct:
        positions, values = distinct[column]
        used = np.bincount(positions[positions >= 0], minlength=len(values)) > 0  # a value of no cell (a PESEL
        return np.asarray(values, dtype=object)[used]  # read as empty) is no identifier
    return pd.unique(df[column].dropna().to_numpy(dtype=object))


def _known_cells(df: pd.DataFrame, distinct: dict, column: str, known: np.ndarray) -> np.ndarray:
    """Per row of ``df``: whether its ``column`` is missing or one of ``known`` (each distinct value looked up once
    when ``distinct`` has the column, see :func:`_ids`)."""
    if column not in distinct:
        return known_ids(df[column], known)
    positions, values = distinct[column]
    return np.append(known_ids(pd.Series(values, dtype=object), known), True)[positions]  # -1: missing


def known_ids(values: pd.Series, known: np.ndarray) -> np.ndarray:
    """Whether each of ``values`` is missing or one of ``known``: a boolean array aligned with ``values``.

    One factorisation of both together (each id hashed once): a value is
    known when its code is one the known ids were given first.

    >>> known_ids(pd.Series(["P1", None, "P9", "P2"], dtype="str"), np.array(["P2", "P1"], dtype=object)).tolist()
    [True, True, False, True]
    """
    if not len(known):
        return values.isna().to_numpy(dtype=bool)
    codes, _ = pd.factorize(np.concatenate([known, values.to_numpy(dtype=object)]), use_na_sentinel=True)
    n_known = codes[:len(known)].max() + 1
    return codes[len(known):] < n_known  # a missing value's code is -1
