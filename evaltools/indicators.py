"""Outputs against the logframe's targets (docs/targets.md) and each person's dose.

A target in project.yaml counts something and compares it with a number::

    - {id: families_assisted, label: {pl: Rodziny z asystą, en: Families assisted},
       count: families, where: {activity: family_visit}, target: 15}

:func:`indicators` computes ``indicators.csv`` and :func:`dose` counts each
person's sessions and hours. What is wrong with a target's definition is the
validator's to say (:func:`evaltools.validate.check_targets`).

Vocabulary (docs/targets.md, implemented exactly):

- ``where`` selects sessions S by ``activity`` and ``group`` (the session's
  group) and people P by ``component`` and ``role``; keys combine with AND, a
  list within a key with OR; no key selects all.
- Sessions of staff activities (staff_training, supervision) have no
  participants: they never count towards ``participants``, ``families`` or
  ``reach`` (neither their attendance nor their headcount).
- ``participants``: people of P who attended at least ``min_sessions``
  (default 1) sessions of S; ``min_sessions: 0`` counts enrolment alone;
- ``families``: distinct ``family_id`` of those people; a person with no
  ``family_id`` is a family of one;
- ``sessions``: |S|; ``groups``: distinct non-empty ``group`` values of S;
- ``reach``: distinct people of P who attended a session of S, plus the sum
  of the ``headcount`` of S (anonymous people, added, never matched).
  ``min_sessions`` applies here too (default 1, so exactly the definition;
  ``0`` adds every person of P, attended or not);
- ``improved``: people of P reliably improved on the target's
  ``instrument`` and ``scale``; when that scale has no reliable change (no
  complete pairs, or reliability ``none``: nobody could be classified) the
  target is ``not measured``, with value and ratio empty.

Examples
--------
>>> participants = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "family_id": ["F1", "F1", pd.NA],
...                              "components": ["family_support", "family_support", "legal"],
...                              "role": ["adult", "child", "adult"]})
>>> sessions = pd.DataFrame({"session_id": ["S1", "S2"], "activity": ["family_visit", "community_event"],
...                          "group": [pd.NA, pd.NA], "headcount": [0.0, 40.0], "duration_min": [60.0, 120.0]})
>>> attendance = pd.DataFrame({"session_id": ["S1", "S1", "S2"], "participant_id": ["P1", "P2", "P3"]})
>>> targets = [{"id": "families", "label": {"pl": "Rodziny", "en": "Families"}, "count": "families",
...             "where": {"activity": "family_visit"}, "target": 2},
...            {"id": "reach", "label": {"pl": "Zasięg", "en": "Reach"}, "count": "reach", "target": 50}]
>>> print(indicators(targets, participants=participants, sessions=sessions,
...                  attendance=attendance).to_string(index=False))
indicator_id    label  target  value  ratio status
    families Families     2.0      1   0.50 partly
       reach    Reach    50.0     43   0.86 partly
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaltools import codes
from evaltools.errors import ProjectError
from evaltools.labels import pick
from evaltools.schema import (CODES, STAFF_ACTIVITIES, TARGET_COUNTS, TARGET_SESSION_KEYS, is_filled, is_finite_number,
                              split_codes)

#: Columns of ``indicators.csv``.
INDICATOR_COLUMNS = ("indicator_id", "label", "target", "value", "ratio", "status")
#: Status codes, from best to worst (labels: ``indicators.status.<code with _>``).
STATUSES = ("met", "partly", "not met", "not measured")
#: Activities of sessions with participants, in the contract's order (the columns of :func:`dose`).
PARTICIPANT_ACTIVITIES = tuple(a for a in CODES["activity"] if a not in STAFF_ACTIVITIES)
DOSE_COLUMNS = ("participant_id", "sessions", "hours", *(f"sessions_{a}" for a in PARTICIPANT_ACTIVITIES))


# --------------------------------------------------------------------------- indicators

def indicators(targets: list[dict], *, participants: pd.DataFrame, sessions: pd.DataFrame,
               attendance: pd.DataFrame, improved: pd.DataFrame | None = None,
               lang: str = "en") -> pd.DataFrame:
    """Each target's value, ratio and status (``indicators.csv``).

    Parameters
    ----------
    targets : list of dict
        The ``targets`` of project.yaml (see the module docstring).
    participants, sessions, attendance : DataFrame
        The typed tables of the project.
    improved : DataFrame, optional
        Person-level reliable change with columns participant_id,
        instrument, scale, category — the table of
        :func:`evaltools.reliable_change.reliable_change_people`; a person
        counts when ``category`` is ``improved``. Without it (at
        baseline, for instance) an ``improved`` target has an empty value,
        ratio and status.
    lang : {"en", "pl"}
        Which text of each target's ``label`` goes into ``label`` (the other
        language, then the id, when it is missing). The label is the
        user's own text from project.yaml, not a catalogue entry.

    Returns
    -------
    DataFrame
        Columns :data:`INDICATOR_COLUMNS`, one row per target in the given
        order: ``target`` (float), ``value`` (a count, Int64; empty when
        unknown), ``ratio`` = value / target, ``status`` = ``met`` when
        value ≥ target, ``partly`` when value ≥ 50 % of target, else
        ``not met`` (empty when value is); ``not measured`` for an
        ``improved`` target whose scale has no reliable change. Counts of activity are never
        suppressed (docs/statistics.md#small-cells).

    Raises
    ------
    ProjectError
        When a target cannot be computed: an unknown ``count``, a ``target``
        that is not a number > 0, or ``improved`` without ``instrument`` and
        ``scale`` (the validator reports these, and every other problem of a
        target, to the user first; this guards direct calls).
    """
    problems = [m for pos, target in enumerate(targets or [], start=1) for m in _not_computable(target, pos)]
    if problems:
        raise ProjectError("invalid targets:\n" + "\n".join(f"- {p}" for p in problems))
    people = _people(participants)
    sess, kept = _sessions(sessions)
    pairs = _attended(attendance, people, sessions["session_id"], kept)
    rows = []
    for target in targets or []:
        value = _value(target, people, sess, pairs, improved)
        unmeasured = target["count"] == "improved" and improved is not None and not _classified(target, improved)
        value = None if unmeasured else value
        goal = float(target["target"])
        ratio = value / goal if value is not None else np.nan
        status = ("not measured" if unmeasured else None if value is None else "met" if value >= goal
                  else "partly" if value >= 0.5 * goal else "not met")
        rows.append({"indicator_id": str(target["id"]), "label": _label(target, lang), "target": goal,
                     "value": value, "ratio": ratio, "status": status})
    out = pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))
    return out.astype({"indicator_id": "str", "label": "str", "target": "float64", "value": "Int64",
                       "ratio": "float64", "status": "str"})


def _value(target: dict, people: pd.DataFrame, sess: pd.DataFrame, pairs: tuple[np.ndarray, np.ndarray],
           improved: pd.DataFrame | None) -> int | None:
    """One target's count, from masks over the (distinct) sessions and people."""
    count = target["count"]
    where = target.get("where") or {}
    in_s = np.ones(len(sess), dtype=bool)
    for key in TARGET_SESSION_KEYS:
        if key in where:
            in_s &= sess[key].isin(_values(where[key])).to_numpy()
    in_p = np.ones(len(people), dtype=bool)
    if "component" in where:
        wanted = set(_values(where["component"]))
        positions, found = pd.factorize(people["components"].to_numpy(dtype=object), use_na_sentinel=False)
        in_p &= np.array([bool(wanted & set(split_codes(codes))) for codes in found], dtype=bool)[positions]
    if "role" in where:
        in_p &= people["role"].isin(_values(where["role"])).to_numpy()

    if count == "sessions":
        return int(in_s.sum())
    if count == "groups":
        return int(sess["group"][in_s].dropna().loc[lambda g: g != ""].nunique())
    if count == "improved":
        if improved is None:
            return None
        imp = improved[(improved["instrument"].astype("str") == str(target["instrument"]))
                       & (improved["scale"].astype("str") == str(target["scale"]))
                       & (improved["category"] == "improved").fillna(False)]
        return int(imp["participant_id"].astype("str").loc[lambda x: x.isin(people["participant_id"][in_p])]
                   .nunique())

    with_people = in_s & ~sess["activity"].isin(STAFF_ACTIVITIES).to_numpy()
    min_sessions = int(target.get("min_sessions", 1))
    if min_sessions == 0:
        counted = in_p
    else:
        session, person = pairs
        n = np.bincount(person[with_people[session] & in_p[person]], minlength=len(people))
        counted = in_p & (n >= min_sessions)
    if count == "participants":
        return int(counted.sum())
    if count == "families":
        return int(people["family"][counted].nunique())
    if count == "reach":
        return int(counted.sum()) + int(sess["headcount"][with_people].fillna(0).sum())
    raise AssertionError(count)  # pragma: no cover - validation refused it


def _classified(target: dict, improved: pd.DataFrame) -> bool:
    """Whether anyone has a reliable-change category on the target's scale (else it has no reliable change)."""
    on_scale = ((improved["instrument"].astype("str") == str(target["instrument"]))
                & (improved["scale"].astype("str") == str(target["scale"])))
    return bool(improved.loc[on_scale, "category"].notna().any())


def _attended(attendance: pd.DataFrame, people: pd.DataFrame, session_ids: pd.Series,
              kept: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Who attended what, once per session and person: row positions in ``session_ids[kept]`` (the rows of
    :func:`_sessions`) and ``people``.

    Attendance of a session or a person not in those tables counts for no target, so it is left out.
    """
    session = _row_positions(session_ids, kept, attendance["session_id"])
    person = _positions(people["participant_id"], attendance["participant_id"])
    known = (session >= 0) & (person >= 0)
    pair = _first(session[known].astype("int64") * max(len(people), 1) + person[known])
    return pair // max(len(people), 1), pair % max(len(people), 1)


def text_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Per cell of ``column`` the code of its value as text (−1: missing), and the distinct texts.

    The column itself is coded (:func:`evaltools.codes.factorize`, remembered: attendance's millions of
    ids are hashed once however many analyses ask). Values that are not text are first written as text,
    as ``.astype("str")`` does, so ``1`` and ``"1"`` are one id.

    >>> cells, texts = text_codes(pd.Series(["S2", 1, None, "1"], dtype=object))
    >>> cells.tolist(), list(texts)
    ([0, 1, -1, 1], ['S2', '1'])
    """
    cells, uniques = codes.factorize(column)
    if isinstance(column.dtype, pd.StringDtype) or pd.api.types.infer_dtype(uniques, skipna=False) in (
            "string", "empty"):
        return cells, uniques if isinstance(uniques, pd.Index) else pd.Index(np.asarray(uniques, dtype=object))
    cells, uniques = pd.factorize(column.astype("str").to_numpy(dtype=object))
    return cells, pd.Index(uniques)


#: (id of one column's distinct texts, id of another's) -> (their weak references, where each of the
#: second is among the first): the distinct values :func:`evaltools.codes.factorize` hands out are
#: immutable and handed out again for the same column, so the lookup between two is done once.
_found: dict[tuple[int, int], tuple] = {}


def id_codes(table_ids: pd.Series, ids: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Two id columns (e.g. ``sessions.session_id`` and ``attendance.session_id``) as codes of the first's
    distinct texts (:func:`text_codes`): per row of ``table_ids`` its code, per cell of ``ids`` the code
    of the same text (−1: missing, or not in ``table_ids``), and the number of distinct ``table_ids``.

    Each distinct id of ``ids`` is looked up once, and once a run for the same two columns.

    >>> own, cells, n = id_codes(pd.Series(["S1", "S2", "S1"]), pd.Series(["S2", "S9", None, "S1"]))
    >>> own.tolist(), cells.tolist(), n
    ([0, 1, 0], [1, -1, -1, 0], 2)
    """
    own, known = text_codes(table_ids)
    cells, uniques = text_codes(ids)
    for key in [k for k, (a, b, _) in _found.items() if a() is None or b() is None]:
        del _found[key]
    hit = _found.get((id(known), id(uniques)))
    if hit is not None and hit[0]() is known and hit[1]() is uniques:
        where = hit[2]
    else:
        where = np.append(known.get_indexer(uniques), -1)  # a missing cell (−1) is found nowhere
        where.flags.writeable = False
        if len(uniques) >= codes.MIN_SIZE:
            _found[(id(known), id(uniques))] = (weakref.ref(known), weakref.ref(uniques), where)
    return own, where[cells], len(known)


def _positions(index, values: pd.Series) -> np.ndarray:
    """Where each of ``values`` is in ``index`` as text, −1 when absent or empty:
    ``pd.Index(index).get_indexer(values.astype("str"))``.

    With distinct, non-empty ``index`` values (the usual case) each distinct value of ``values`` is looked
    up once; ``values`` is coded by :func:`_text_codes` (millions of attendance rows hashed once a run).
    """
    known = pd.Index(np.asarray(index, dtype=object))
    if not known.is_unique or known.hasnans:  # repeated or empty ids: as pandas does, but an empty value
        values = values.astype("str")        # is found nowhere
        return np.where(values.isna().to_numpy(dtype=bool), -1, known.get_indexer(values))
    cells, uniques = text_codes(values)
    return np.append(known.get_indexer(uniques), -1)[cells]  # a missing cell (−1) is found nowhere


def _row_positions(column: pd.Series, rows: np.ndarray, values: pd.Series) -> np.ndarray | None:
    """:func:`_positions` of ``values`` in ``column[rows]`` (a boolean mask), both columns coded once
    (:func:`id_codes`) instead of hashing their rows again; None when an id is there twice
    (two empty ones too: ``pd.Index.is_unique``)."""
    own, cells, n = id_codes(column, values)
    mine = own[rows]
    empty = int((mine < 0).sum())
    if empty > 1 or (len(mine) > empty and np.bincount(mine[mine >= 0]).max() > 1):
        return None
    if empty:
        return _positions(column[rows].astype("str"), values)
    where = np.full(n + 1, -1, dtype=np.int64)  # per distinct id: its position among the kept rows
    where[mine] = np.arange(len(mine))
    return where[cells]  # not found (−1): the last place


def _activity_kinds(activity: pd.Series) -> np.ndarray:
    """Each session's position in :data:`PARTICIPANT_ACTIVITIES` (−1: other or none), looked up per distinct value
    (the column coded once, :func:`evaltools.codes.factorize`)."""
    cells, found = codes.factorize(activity)
    return np.append(pd.Index(PARTICIPANT_ACTIVITIES).get_indexer(np.asarray(found, dtype=object)), -1)[cells]


def _first(keys: np.ndarray) -> np.ndarray:
    """Each distinct key once, in the order of first appearance.

    Attendance listed session by session, person by person gives increasing keys: already distinct, in
    order (one comparison pass); otherwise ``pd.unique`` (a hash of integers).

    >>> _first(np.array([3, 1, 3, 2])).tolist(), _first(np.array([1, 2, 5])).tolist()
    ([3, 1, 2], [1, 2, 5])
    """
    if len(keys) < 2 or bool((keys[1:] > keys[:-1]).all()):
        return keys
    return pd.unique(keys)


def _people(participants: pd.DataFrame) -> pd.DataFrame:
    p = pd.DataFrame({"participant_id": participants["participant_id"].astype("str")})
    for col in ("components", "role", "family_id"):
        p[col] = (participants[col].astype("str") if col in participants
                  else pd.Series(pd.NA, index=participants.index, dtype="str"))
    p = p.dropna(subset=["participant_id"]).drop_duplicates("participant_id")
    codes, found = pd.factorize(p["family_id"].to_numpy(dtype=object))  # each distinct id stripped once
    blank = np.append(np.array([v.strip() == "" for v in found], dtype=bool), True)[codes]
    family = p["family_id"].where(~blank)
    # a family of one is keyed by its person, in a space that cannot collide with a family_id
    p["family"] = ("family:" + family).fillna("person:" + p["participant_id"])
    return p.reset_index(drop=True)


def _sessions(sessions: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The sessions with an id, each id once (its first row), and which rows of ``sessions`` they are."""
    own, _ = text_codes(sessions["session_id"])
    kept = (own >= 0) & ~pd.Series(own).duplicated().to_numpy()
    chosen = sessions[kept]
    s = pd.DataFrame({"session_id": chosen["session_id"].astype("str"),
                      "activity": chosen["activity"].astype("str")})
    if "group" in sessions:  # a few groups over many sessions: trim each distinct value once
        positions, found = codes.factorize(sessions["group"])
        trimmed = np.array([str(v).strip() for v in found] + [np.nan], dtype=object)
        s["group"] = pd.Series(trimmed[positions[kept]], index=s.index, dtype="str")
    else:
        s["group"] = pd.Series(pd.NA, index=s.index, dtype="str")
    s["headcount"] = (pd.to_numeric(chosen["headcount"], errors="coerce").astype("float64")
                      if "headcount" in sessions else 0.0)
    return s.reset_index(drop=True), kept


def _label(target: dict, lang: str) -> str:
    label = target.get("label")
    if isinstance(label, Mapping):
        return str(pick(label, lang, default=target["id"]))
    return str(label) if is_filled(label) else str(target["id"])


# --------------------------------------------------------------------------- dose

def dose(attendance: pd.DataFrame, sessions: pd.DataFrame, *,
         participants: pd.DataFrame | None = None) -> pd.DataFrame:
    """How much of the programme each person received: sessions and hours.

    Sessions of staff activities (staff_training, supervision) are left out;
    so are attendance rows whose session is not in ``sessions``.

    Parameters
    ----------
    attendance, sessions : DataFrame
        The typed tables.
    participants : DataFrame, optional
        When given, every registered person gets a row (zeros for those who
        attended nothing) and attendance of unregistered ids is left out;
        otherwise a row per person who attended a session.

    Returns
    -------
    DataFrame
        Columns :data:`DOSE_COLUMNS`: participant_id, ``sessions`` (distinct
        sessions attended), ``hours`` (sum of ``duration_min`` / 60; a
        session with no duration adds no hours), then
        ``sessions_<activity>`` for each activity of
        :data:`PARTICIPANT_ACTIVITIES`, sorted by participant_id.

    Examples
    --------
    >>> sessions = pd.DataFrame({"session_id": ["S1", "S2", "S3"], "activity": ["family_visit",
    ...                          "self_help_meeting", "supervision"], "duration_min": [60.0, 90.0, 120.0]})
    >>> attendance = pd.DataFrame({"session_id": ["S1", "S2", "S3"], "participant_id": ["P1", "P1", "P2"]})
    >>> dose(attendance, sessions)[["participant_id", "sessions", "hours", "sessions_family_visit"]]
      participant_id  sessions  hours  sessions_family_visit
    0             P1         2    2.5                      1
    """
    kept = _participant_sessions(sessions)
    s = sessions[kept][["session_id", "activity", "duration_min"]].astype({"session_id": "str"})
    if participants is not None:
        ids = participants["participant_id"].dropna().astype("str").drop_duplicates()
    session = _row_positions(sessions["session_id"], kept, attendance["session_id"])
    if session is None:  # not a valid table (a session twice): matched as a join would
        a = attendance[["session_id", "participant_id"]].dropna().astype("str").drop_duplicates()
        a = a.merge(s, on="session_id", how="inner")
        if participants is not None:
            a = a[a["participant_id"].isin(ids)]
        people = sorted(np.asarray(ids if participants is not None else a["participant_id"].drop_duplicates(),
                                   dtype=object).tolist())
        person = pd.Index(people).get_indexer(a["participant_id"])
        kind = pd.Index(PARTICIPANT_ACTIVITIES).get_indexer(a["activity"].astype("object"))
        duration = a["duration_min"]
    else:  # the usual case: row positions instead of joins on text
        people, person = _dose_people(attendance["participant_id"], session >= 0,
                                      ids if participants is not None else None)
        known = (session >= 0) & (person >= 0)
        pair = _first(session[known].astype("int64") * max(len(people), 1) + person[known])  # once per pair
        session, person = pair // max(len(people), 1), pair % max(len(people), 1)
        kind = _activity_kinds(sessions["activity"])[kept][session]
        duration = pd.Series(s["duration_min"].to_numpy()[session], dtype="float64")
    out = pd.DataFrame({"participant_id": people}, dtype="str")
    out["sessions"] = np.bincount(person, minlength=len(people)).astype("int64")
    hours = (pd.Series(np.asarray(duration, dtype="float64")).groupby(person).sum(min_count=1) / 60
             if len(person) else pd.Series(dtype="float64"))
    out["hours"] = hours.reindex(range(len(people))).fillna(0.0).astype("float64").to_numpy()
    done = kind >= 0  # an activity of the contract's list
    per_activity = np.bincount(person[done] * len(PARTICIPANT_ACTIVITIES) + kind[done],
                               minlength=len(people) * len(PARTICIPANT_ACTIVITIES))
    per_activity = per_activity.reshape(len(people), len(PARTICIPANT_ACTIVITIES)).astype("int64")
    for j, name in enumerate(PARTICIPANT_ACTIVITIES):
        out[f"sessions_{name}"] = per_activity[:, j]
    return out[list(DOSE_COLUMNS)]


# --------------------------------------------------------------------------- helpers

def _participant_sessions(sessions: pd.DataFrame) -> np.ndarray:
    """Whether each session is of a participant activity (not a staff one), each distinct activity looked up once."""
    cells, uniques = codes.factorize(sessions["activity"])
    return ~np.append(pd.Index(uniques).isin(STAFF_ACTIVITIES), False)[cells]


def _dose_people(participant_id: pd.Series, attended: np.ndarray, ids: pd.Series | None) -> tuple[list, np.ndarray]:
    """The people of :func:`dose` (``ids``, else everyone with a row in ``attended``), sorted, and per
    attendance row the person's position among them (−1: not one of them, or no id)."""
    cells, uniques = text_codes(participant_id)
    if ids is None:
        used = np.zeros(len(uniques) + 1, dtype=bool)
        used[cells[attended]] = True
        ids = uniques[used[:-1]]
    people = sorted(np.asarray(ids, dtype=object).tolist())
    return people, np.append(pd.Index(people).get_indexer(uniques), -1)[cells]



def _not_computable(target, pos: int) -> list[str]:
    """Why a target cannot be computed at all (a guard for direct calls; the validator words these for users)."""
    if not isinstance(target, Mapping):
        return [f"#{pos}: a target is a mapping, found {target!r}"]
    name = target.get("id", f"#{pos}")
    out = []
    if target.get("count") not in TARGET_COUNTS:
        out.append(f"{name}: count {target.get('count')!r} is not one of {', '.join(TARGET_COUNTS)}")
    goal = target.get("target")
    if not is_finite_number(goal) or goal <= 0:
        out.append(f"{name}: target {goal!r} must be a number greater than 0")
    if target.get("count") == "improved" and not (is_filled(target.get("instrument"))
                                                   and is_filled(target.get("scale"))):
        out.append(f"{name}: count improved needs instrument and scale")
    return out


def _values(values) -> list[str]:
    return [str(v).strip() for v in _as_list(values)]


def _as_list(values) -> list:
    if isinstance(values, (list, tuple)):
        return list(values)
    return [values] if values is not None else []
