"""One table of a data folder: header, cells, values and keys (docs/data.md).

Cells are parsed by :mod:`evaltools.io`; values are checked against
:mod:`evaltools.schema` (required cells, ranges, an instrument's scale), one
vectorised comparison per check. Every problem is collected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.errors import Phrase, Problem
from evaltools.io import RawTable, code_choices, parse_column, year_out_of_range
from evaltools.parsing import text_by_value
from evaltools.labels import LANGS
from evaltools.privacy import holds_pesel, looks_personal, may_hold_pesel, personal_kinds_of
from evaltools.schema import Column, Table

#: At most this many problems of one kind are listed per column; the rest are counted.
MAX_PER_COLUMN = 20


def at(raw: RawTable, row=None, column=None, severity="error"):
    return dict(file=raw.file, sheet=raw.sheet, row=None if row is None else int(row), column=column,
                severity=severity, table=raw.name)


def capped(problems, raw, key, rows, values, column, fields=None):
    """Add one problem per row (at most MAX_PER_COLUMN), then a count of the rest."""
    rows, values = list(rows), list(values)
    for row, value in zip(rows[:MAX_PER_COLUMN], values[:MAX_PER_COLUMN]):
        f = {"value": value}
        f.update(fields or {})
        problems.append(Problem(key, f, **at(raw, row, column)))
    if len(rows) > MAX_PER_COLUMN:
        problems.append(Problem("too_many_problems", {"n": len(rows) - MAX_PER_COLUMN},
                                **at(raw, None, column)))


def check_table(raw: RawTable, table: Table, problems: list[Problem], *, instrument=None,
                ids: dict[str, tuple[np.ndarray, list[str]]] | None = None) -> pd.DataFrame | None:
    """The typed table (see :mod:`evaltools.project`), or None when its header makes it unusable.

    Every problem of the header, the cells, the values and the keys goes to
    ``problems``; a valid PESEL anywhere is an error whose value is never shown,
    and a cell holding one is read as empty, so that no later check quotes it
    (codes, ranges, identifiers across tables). A header holding a PESEL is
    named by its position. Free text that looks like a phone number, an
    e-mail address or a name is a warning (:func:`_check_free_text`).

    Each column's text is factorised once (:func:`evaltools.parsing.by_value`):
    the PESEL and free-text checks judge each distinct value once, parsing
    reads each once, and the keys are compared as integer codes. When
    ``ids`` is a dict, it receives those of the identifier columns, aligned
    with the typed table (for :func:`evaltools.validate.across.check_across_tables`).
    """
    header, usable = _check_header(raw, table, problems, instrument)
    first = {}  # a column named twice (an unusable header): its first one is checked
    for i, col in enumerate(raw.frame.columns):
        if col in header and col and col not in first:
            first[col] = text_by_value(raw.frame.iloc[:, i])
    frame, texts, distinct = _without_blank_rows(raw.frame, {c: t for c, (t, _) in first.items()},
                                                 {c: d for c, (_, d) in first.items()})
    hidden = _check_pesel(raw, frame, texts, problems, distinct)
    _check_free_text(raw, table, frame, texts, hidden, problems, distinct)
    if not usable:
        return None
    if len(frame) == 0:
        problems.append(Problem("empty_table", {"table": raw.name}, **at(raw, severity="warning")))
    typed, unreadable_cells = _typed(raw, table, frame, texts, distinct, hidden, problems, instrument)
    for col, pesel in hidden.items():  # a cell holding a PESEL is read as empty: no value
        distinct[col] = (np.where(pesel.to_numpy(dtype=bool), -1, distinct[col][0]), distinct[col][1])
    missing = {c.name: distinct[c.name][0] < 0 for c in table.columns  # an id or text is its trimmed text
               if c.kind in ("id", "text") and c.required and c.name in distinct}
    _check_schema(raw, table, typed, problems, instrument, unreadable_cells, missing)
    _check_keys(raw, table, typed, problems, distinct)
    if ids is not None:
        ids.update({c.name: distinct[c.name] for c in table.columns if c.kind == "id" and c.name in distinct})
    return typed.reset_index(drop=True)


def _check_header(raw: RawTable, table: Table, problems: list[Problem], instrument) -> tuple[list[str], bool]:
    """The header's columns (one holding a PESEL left out) and whether the table is usable; its problems."""
    header = [c for c in raw.frame.columns if c != "_row"]
    for position, col in enumerate(header, start=1):
        if holds_pesel(col):
            problems.append(Problem("header_pesel", {"position": position}, **at(raw, 1)))
    header = [c for c in header if not holds_pesel(c)]
    known = set(table.column_names)
    usable = True
    seen = set()
    for col in header:
        if col in seen:
            problems.append(Problem("column_twice", {"column": col}, **at(raw, 1, col)))
            usable = False
        seen.add(col)
        if not col:
            continue
        if col not in known and looks_personal(col):
            problems.append(Problem("column_personal", {"column": col}, **at(raw, 1, col)))
        elif col not in known:
            if instrument is not None:
                problems.append(Problem("column_unknown_item",
                                        {"column": col, "instrument": instrument.id,
                                         "expected": ", ".join(instrument.item_ids)}, **at(raw, 1, col)))
            else:
                problems.append(Problem("column_unknown", {"column": col}, **at(raw, 1, col, severity="warning")))
    for col in table.columns:
        if col.name not in header and (col.required or (instrument is not None and col.name in instrument.item_ids)):
            key = "item_missing" if instrument is not None and col.name in instrument.item_ids else "column_missing"
            problems.append(Problem(key, {"column": col.name, "instrument": getattr(instrument, "id", "")},
                                    **at(raw, 1, col.name)))
            usable = usable and key == "item_missing"  # a missing item leaves the rest checkable
    return header, usable


def _without_blank_rows(frame: pd.DataFrame, texts: dict[str, pd.Series], distinct: dict) -> tuple:
    """``frame``, its columns' ``texts`` and their ``distinct`` values (:func:`evaltools.parsing.by_value`)
    without the rows of nothing but spaces (blank rows too). A blank cell holds no value, so the
    distinct values stay those of the rows kept; only the positions are cut."""
    if not texts:
        return frame, texts, distinct
    blank = np.ones(len(frame), dtype=bool)
    for positions, _ in distinct.values():  # a row stays a candidate while every cell so far is empty
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        blank[rows] = positions[rows] < 0
    if not blank.any():
        return frame, texts, distinct
    keep = ~blank
    return (frame[keep], {col: text[keep] for col, text in texts.items()},
            {col: (positions[keep], values) for col, (positions, values) in distinct.items()})


def _typed(raw: RawTable, table: Table, frame: pd.DataFrame, texts: dict, distinct: dict, hidden: dict,
           problems: list[Problem], instrument) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Each column parsed to its kind, and per column the cells that could not be read (reported here)."""
    typed = pd.DataFrame(index=frame.index)
    unreadable_cells: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in frame.columns:
            typed[col.name] = _empty_column(col, len(frame), frame.index)
            continue
        values, bad = parse_column(frame[col.name], kind=col.kind, codes=col.codes, text=texts[col.name],
                                   distinct=distinct[col.name])
        if col.name in hidden:  # reported once as a PESEL; read as empty so that nothing quotes it again
            pesel = hidden[col.name].to_numpy(dtype=bool)
            values = values.mask(pesel)
            bad = bad & ~pesel
            unreadable_cells[col.name] = bad | pesel
        if bad.any():
            _report_unreadable(raw, col, frame, texts[col.name], bad, problems, instrument)
            unreadable_cells[col.name] = bad | unreadable_cells.get(col.name, False)
        typed[col.name] = values
    typed["_row"] = frame["_row"].to_numpy()
    return typed, unreadable_cells


def _report_unreadable(raw: RawTable, col: Column, frame: pd.DataFrame, text: pd.Series, bad: pd.Series,
                       problems: list[Problem], instrument) -> None:
    """A problem for each cell of ``col`` that could not be read as its kind (capped)."""
    key = {"code": "not_a_code", "codes": "not_a_code", "int": "not_an_integer", "number": "not_a_number",
           "date": "not_a_date"}[col.kind]
    if instrument is not None and col.kind == "number":
        key = "not_a_number"
    fields = {}
    if col.codes:  # in each language, what that language's template offers
        fields["expected"] = {lang: ", ".join(code_choices(col.codes, lang)) for lang in LANGS}
    shown = as_typed(frame[col.name][bad], text[bad])
    if col.kind == "date":  # a date with an impossible year says so, not "not a date"
        far = year_out_of_range(text[bad])
        capped(problems, raw, "date_year_unreadable", frame["_row"][bad][far], shown[far], col.name)
        bad_rows, shown = frame["_row"][bad][~far], shown[~far]
    else:
        bad_rows = frame["_row"][bad]
    capped(problems, raw, key, bad_rows, shown, col.name, fields)


def as_typed(raw: pd.Series, text: pd.Series) -> pd.Series:
    """Cells as a person sees them in the sheet: a TRUE/FALSE cell as Excel shows it in the reader's language
    (TRUE, PRAWDA), everything else as its text."""
    flags = raw.map(lambda v: isinstance(v, (bool, np.bool_)))
    if not flags.any():
        return text
    out = text.astype(object).copy()
    out[flags] = raw[flags].map(lambda v: Phrase("cell_true" if v else "cell_false"))
    return out


def _check_pesel(raw: RawTable, frame: pd.DataFrame, texts: dict[str, pd.Series], problems: list[Problem],
                 distinct: dict[str, tuple[np.ndarray, list[str]]]) -> dict[str, pd.Series]:
    """Any valid PESEL in any cell is an error; the value itself is never repeated.

    Each distinct value (``distinct``: :func:`evaltools.parsing.by_value` of
    each column's text) is judged once. Returns, per column holding one, the
    mask of its cells holding a PESEL (aligned with ``frame``).
    """
    found = {}
    for col, text in texts.items():
        positions, values = distinct[col]
        if not may_hold_pesel(values):  # most columns (codes, ids, dates) have no run of 10 digits: skip the regex
            continue
        pesel = [i for i, v in enumerate(values) if holds_pesel(v)]
        if not pesel:
            continue
        hits = pd.Series(np.isin(positions, pesel), index=text.index)
        found[col] = hits
        rows = frame["_row"][hits.to_numpy(dtype=bool)]
        for row in rows[:MAX_PER_COLUMN]:
            problems.append(Problem("pesel", {}, **at(raw, row, col)))
        if len(rows) > MAX_PER_COLUMN:
            problems.append(Problem("too_many_problems", {"n": len(rows) - MAX_PER_COLUMN}, **at(raw, None, col)))
    return found


def _check_free_text(raw: RawTable, table: Table, frame: pd.DataFrame, texts: dict[str, pd.Series],
                     hidden: dict[str, pd.Series], problems: list[Problem],
                     distinct: dict[str, tuple[np.ndarray, list[str]]]) -> None:
    """Text and identifier cells that look like a phone number, an e-mail address or a name: a warning each.

    The value is never quoted (the message names the cell and what it looks
    like); in ``alter`` the message asks for a label such as A1. Each distinct
    value is judged once (:func:`evaltools.privacy.personal_kinds_of`).
    """
    for col in table.columns:
        if col.kind not in ("text", "id") or col.name not in texts:
            continue
        positions, values = distinct[col.name]
        kinds = personal_kinds_of(values)
        if not any(kinds):
            continue
        which = np.array(kinds + [None], dtype=object)[positions]
        if col.name in hidden:  # a PESEL is reported as one, not again as a phone number
            which[hidden[col.name].to_numpy(dtype=bool)] = None
        flagged = which != None  # noqa: E711
        if not flagged.any():
            continue
        key = "personal_alter" if col.name == "alter" else "personal_text"
        rows, what = frame["_row"][flagged], which[flagged]
        for row, kind in list(zip(rows, what))[:MAX_PER_COLUMN]:
            problems.append(Problem(key, {"what": Phrase(f"personal.{kind}")},
                                    **at(raw, row, col.name, severity="warning")))
        if len(rows) > MAX_PER_COLUMN:
            problems.append(Problem("too_many_problems", {"n": len(rows) - MAX_PER_COLUMN},
                                    **at(raw, None, col.name, severity="warning")))


def _check_schema(raw: RawTable, table: Table, typed: pd.DataFrame, problems: list[Problem], instrument,
                  unreadable_cells: dict[str, pd.Series], missing: dict[str, np.ndarray] | None = None) -> None:
    """Required cells and ranges of :mod:`evaltools.schema` (an instrument's items: its scale and steps).

    Each check's failing cells (:func:`schema_failures`; ``missing``: its columns' empty cells, when
    known) are capped at :data:`MAX_PER_COLUMN`. A cell already reported as unreadable is not reported
    again as empty.
    """
    for col, key, positions in schema_failures(table, typed, instrument, missing):
        if col.name in unreadable_cells:  # already reported as unreadable, not as empty
            positions = positions[~unreadable_cells[col.name].to_numpy(dtype=bool)[positions]]
        if table.name == "participants" and col.name == "components" and "arm" in typed:
            # a person of the comparison arm takes part in no component (docs/data.md)
            positions = positions[~typed["arm"].eq("comparison").fillna(False).to_numpy(dtype=bool)[positions]]
        if not len(positions):
            continue
        rows = typed["_row"].iloc[positions]
        if key == "empty_required":
            for row in rows[:MAX_PER_COLUMN]:
                problems.append(Problem("empty_required", {}, **at(raw, row, col.name)))
            if len(rows) > MAX_PER_COLUMN:
                problems.append(Problem("too_many_problems", {"n": len(rows) - MAX_PER_COLUMN},
                                        **at(raw, None, col.name)))
        else:
            capped(problems, raw, "out_of_range", rows, typed[col.name].iloc[positions].astype(float),
                   col.name, {"lo": f"{col.min:g}", "hi": f"{col.max:g}"})
    if instrument is not None:
        _check_answers(raw, instrument, typed, problems)


def schema_failures(table: Table, typed: pd.DataFrame, instrument=None, missing: dict[str, np.ndarray] | None = None
                    ) -> list[tuple[Column, str, np.ndarray]]:
    """The cells failing each required or range check of ``table`` (an instrument's items left out):
    (column, problem key, row positions in ``typed``), one entry per check that fails somewhere.
    ``missing`` may give some columns' empty cells (a boolean array each), else they are looked for.

    The order is the one in which earlier versions (a pandera schema) listed them, so that the same
    cells are quoted: every failing cell, column by column and check by check, then permuted as
    :func:`_listing_order` does; the checks in the order of their first cell, each check's cells in
    that order too.

    >>> from evaltools.schema import TABLES
    >>> typed = pd.DataFrame({"participant_id": ["P1", None, "P3"], "birth_year": [1850.0, 1990.0, None]})
    >>> [(c.name, k, p.tolist()) for c, k, p in schema_failures(TABLES["participants"], typed)]
    [('participant_id', 'empty_required', [1]), ('birth_year', 'out_of_range', [0])]
    """
    checks, ids, cells = [], [], []
    for col in table.columns:
        if col.name not in typed.columns or (instrument is not None and col.name in instrument.item_ids):
            continue
        for key, bad in _failing_cells(col, typed[col.name], (missing or {}).get(col.name)):
            positions = np.flatnonzero(bad)
            ids.append(np.full(len(positions), len(checks)))
            cells.append(positions)
            checks.append((col, key))
    if not checks:
        return []
    ids, cells = np.concatenate(ids), np.concatenate(cells)
    order = _listing_order(len(ids))
    ids, cells = ids[order], cells[order]
    return [(*checks[i], cells[ids == i]) for i in pd.unique(ids)]


def _listing_order(n: int) -> np.ndarray:
    """The order in which pandera listed ``n`` failing cells: it sorted them by a key that is the same for
    all (``schema_context``, descending, pandas' default quicksort, which is not stable), scrambling them
    deterministically; the same sort of the same key gives the same order."""
    frame = pd.DataFrame({"failure_case": np.zeros(n)}).assign(schema_context="Column")
    return frame.sort_values("schema_context", ascending=False).index.to_numpy()


def _failing_cells(col: Column, values: pd.Series, missing: np.ndarray | None = None) -> list[tuple[str, np.ndarray]]:
    """Per check of ``col`` (required, minimum, maximum), the key of its problem and the cells failing it.

    A missing value fails only the required check.

    >>> col = Column("birth_year", "int", min=1900, max=2030)
    >>> [(k, b.tolist()) for k, b in _failing_cells(col, pd.Series([1800.0, None, 2100.0]))]
    [('out_of_range', [True, False, False]), ('out_of_range', [False, False, True])]
    """
    failing = []
    if col.required:
        failing.append(("empty_required", values.isna().to_numpy(dtype=bool) if missing is None else missing))
    if col.kind in ("int", "number"):
        if col.min is not None:
            failing.append(("out_of_range", (values < col.min).to_numpy(dtype=bool)))
        if col.max is not None:
            failing.append(("out_of_range", (values > col.max).to_numpy(dtype=bool)))
    return failing


def _check_answers(raw: RawTable, instrument, typed: pd.DataFrame, problems: list[Problem]) -> None:
    """Answers on the instrument's scale (or one of its missing codes) and on its steps (numpy, per item)."""
    allowed_missing = np.asarray(instrument.missing_codes, dtype=float)
    lo, hi = instrument.response_min, instrument.response_max
    for item in instrument.item_ids:
        if item not in typed.columns:
            continue
        values = typed[item].to_numpy(dtype=float)
        coded = np.isin(values, allowed_missing) | (np.isnan(values) & np.isnan(allowed_missing).any())
        outside = ~np.isnan(values) & ((values < lo) | (values > hi)) & ~coded
        _check_step(raw, instrument, typed, item, ~outside & ~coded, problems)
        if outside.any():
            capped(problems, raw, "answer_out_of_scale", typed["_row"][outside],
                   typed[item][outside].astype(float), item,
                   {"lo": f"{lo:g}", "hi": f"{hi:g}",
                    "missing": ", ".join(f"{m:g}" for m in instrument.missing_codes) or "–"})


def _check_step(raw: RawTable, instrument, typed: pd.DataFrame, item: str, inside: np.ndarray,
                problems: list[Problem]) -> None:
    """Answers lie on the instrument's steps (whole numbers on a 1–5 scale: ``4,5`` is a typo)."""
    step = getattr(instrument, "response_step", None)
    if not step or not inside.any():
        return
    values = typed[item].to_numpy(dtype=float)
    k = (values - instrument.response_min) / step
    with np.errstate(invalid="ignore"):
        off = inside & ~np.isnan(values) & (np.abs(k - np.round(k)) > 1e-9)
    if off.any():
        lo, hi = instrument.response_min, instrument.response_max
        capped(problems, raw, "answer_not_whole", typed["_row"][off], typed[item][off].astype(float), item,
               {"lo": f"{lo:g}", "hi": f"{hi:g}"})


def _check_keys(raw: RawTable, table: Table, typed: pd.DataFrame, problems: list[Problem],
                distinct: dict[str, tuple[np.ndarray, list[str]]] | None = None) -> None:
    """A key (e.g. participant_id + wave) twice is an error on each later row, naming the first one's row.

    An identifier's codes are those of ``distinct`` (its text, factorised once, without the cells read
    as empty), the same values as ``typed`` holds."""
    keys = list(table.key)
    known = {}
    for key in keys:
        column = table.column(key)
        if distinct and key in distinct and column is not None and column.kind == "id":
            positions, values = distinct[key]
            known[key] = (positions, len(values))
    group = key_groups(typed, keys, known, renumber=False)
    complete = np.flatnonzero(group >= 0)
    numbers = group[complete]
    ordered = np.sort(numbers, kind="stable")  # adaptive: rows listed roughly in key order sort in a pass
    if not (ordered[1:] == ordered[:-1]).any():  # no key twice (the usual case)
        return
    later = complete[pd.Series(numbers).duplicated(keep="first").to_numpy()]
    rows = typed["_row"].to_numpy()
    first = pd.Series(rows[complete]).groupby(group[complete], sort=False).min()  # per key: its first row
    for i, position in enumerate(later):
        if i == MAX_PER_COLUMN:
            problems.append(Problem("too_many_problems", {"n": len(later) - MAX_PER_COLUMN},
                                    **at(raw, None, keys[-1])))
            break
        r = typed.iloc[position]
        fields = {"key": " + ".join(keys), "value": " / ".join(str(r[k]) for k in keys),
                  "first": int(first[group[position]])}
        problems.append(Problem("duplicate_key", fields, **at(raw, r["_row"], keys[-1])))


def key_groups(typed: pd.DataFrame, keys: list[str], codes: dict[str, tuple[np.ndarray, int]] | None = None,
               *, renumber: bool = True) -> np.ndarray:
    """Per row, a number naming its key (the same for the same values of ``keys``); -1 where a key cell is missing.

    Each key column is factorised once (or its ``codes`` given: per row the
    code of its value, -1 if missing, and the number of values); the codes
    are combined into one integer, renumbered whenever it could outgrow int64. With ``renumber=False``
    the numbers of several keys are those combined integers (the same for the same values, not 0, 1, …).

    >>> df = pd.DataFrame({"p": ["a", "b", "a", None], "w": ["x", "x", "x", "y"]})
    >>> key_groups(df, ["p", "w"]).tolist()
    [0, 1, 0, -1]
    """
    group = np.zeros(len(typed), dtype=np.int64)
    missing = np.zeros(len(typed), dtype=bool)
    bound = 1
    for key in keys:
        if codes and key in codes:
            code, n = codes[key]
        else:
            code, uniques = pd.factorize(typed[key], use_na_sentinel=True)
            n = len(uniques)
        missing |= code < 0
        if bound * (n + 1) >= 2**62:
            group, values = pd.factorize(group)
            bound = len(values)
        group = group * (n + 1) + code + 1
        bound *= n + 1
    group = pd.factorize(group)[0] if len(keys) > 1 and renumber else group - 1
    group[missing] = -1
    return group


def _empty_column(col: Column, n: int, index) -> pd.Series:
    if col.kind in ("int", "number"):
        return pd.Series(np.nan, index=index, dtype="float64")
    if col.kind == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    return pd.Series([None] * n, index=index, dtype="str")


def empty_typed(table: Table) -> pd.DataFrame:
    out = pd.DataFrame({c.name: _empty_column(c, 0, pd.RangeIndex(0)) for c in table.columns})
    out["_row"] = pd.Series([], dtype="int64")
    return out
