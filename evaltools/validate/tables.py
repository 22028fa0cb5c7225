"""One table of a data folder: header, cells, values and keys (docs/data.md).

Cells are parsed by :mod:`evaltools.io`; values are checked by the pandera
schema generated from :mod:`evaltools.schema`. Every problem is collected.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from evaltools.errors import Problem
from evaltools.io import RawTable, code_choices, parse_column, text_series
from evaltools.labels import LANGS
from evaltools.privacy import is_pesel, looks_personal
from evaltools.schema import Column, Table, pandera_schema

ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")
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


def check_table(raw: RawTable, table: Table, problems: list[Problem], *, instrument=None) -> pd.DataFrame | None:
    """The typed table (see :mod:`evaltools.project`), or None when its header makes it unusable.

    Every problem of the header, the cells, the values and the keys goes to
    ``problems``; a valid PESEL anywhere is an error whose value is never shown.
    """
    frame = raw.frame
    header = [c for c in frame.columns if c != "_row"]
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
    texts = {col: text_series(frame[col]) for col in header if col}
    if texts:  # rows of nothing but spaces are blank rows too
        blank = np.ones(len(frame), dtype=bool)
        for text in texts.values():  # a row stays a candidate while every cell so far is empty
            rows = np.flatnonzero(blank)
            if not len(rows):
                break
            blank[rows] = text.iloc[rows].isna().to_numpy()
        blank = pd.Series(blank, index=frame.index)
        if blank.any():
            frame = frame[~blank]
            texts = {col: text[~blank] for col, text in texts.items()}
    _check_pesel(raw, texts, problems)
    if not usable:
        return None
    if len(frame) == 0:
        problems.append(Problem("empty_table", {"table": raw.name}, **at(raw, severity="warning")))

    typed = pd.DataFrame(index=frame.index)
    unreadable_cells: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in frame.columns:
            typed[col.name] = _empty_column(col, len(frame), frame.index)
            continue
        values, bad = parse_column(frame[col.name], kind=col.kind, codes=col.codes, text=texts[col.name])
        if bad.any():
            shown = texts[col.name][bad]
            key = {"code": "not_a_code", "codes": "not_a_code", "int": "not_an_integer", "number": "not_a_number",
                   "date": "not_a_date"}[col.kind]
            if instrument is not None and col.kind == "number":
                key = "not_a_number"
            fields = {}
            if col.codes:  # in each language, what that language's template offers
                fields["expected"] = {lang: ", ".join(code_choices(col.codes, lang)) for lang in LANGS}
            capped(problems, raw, key, frame["_row"][bad], shown, col.name, fields)
            unreadable_cells[col.name] = bad
        typed[col.name] = values
    typed["_row"] = frame["_row"].to_numpy()

    _check_schema(raw, table, typed, problems, instrument, unreadable_cells)
    _check_keys(raw, table, typed, problems)
    return typed.reset_index(drop=True)


def _check_pesel(raw: RawTable, texts: dict[str, pd.Series], problems: list[Problem]) -> None:
    """Any valid PESEL in any cell is an error; the value itself is never repeated."""
    for col, text in texts.items():
        cells = text.to_numpy(dtype=object, na_value="")
        if max(map(len, cells), default=0) < 11:  # most columns (codes, ids, dates) are shorter: skip the regex
            continue
        if not any(ELEVEN_DIGITS.search(v) for v in pd.unique(cells)):  # codes repeat: search each value once
            continue
        candidates = text.str.contains(ELEVEN_DIGITS, regex=True, na=False)
        if not candidates.any():
            continue
        hits = text[candidates].map(lambda v: any(is_pesel(m) for m in ELEVEN_DIGITS.findall(v)))
        rows = raw.frame["_row"][candidates][hits.to_numpy(dtype=bool)]
        for row in rows[:MAX_PER_COLUMN]:
            problems.append(Problem("pesel", {}, **at(raw, row, col)))


def _check_schema(raw: RawTable, table: Table, typed: pd.DataFrame, problems: list[Problem], instrument,
                  unreadable_cells: dict[str, pd.Series]) -> None:
    """Required cells and ranges, checked by the pandera schema generated from :mod:`evaltools.schema`."""
    import pandera.errors

    value_cols = [c for c in table.columns if not (instrument is not None and c.name in instrument.item_ids)]
    sub = Table(table.name, table.required, tuple(value_cols), table.key)
    try:
        pandera_schema(sub).validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
            idx = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int)
            idx = idx[idx.isin(typed.index)]
            if column in unreadable_cells:  # already reported as unreadable, not as empty
                idx = idx[~unreadable_cells[column].reindex(idx).fillna(False).to_numpy(dtype=bool)]
            if not len(idx):
                continue
            if table.name == "participants" and column == "components" and "arm" in typed:
                # a person of the comparison arm takes part in no component (docs/data.md)
                idx = idx[~typed.loc[idx, "arm"].eq("comparison").fillna(False).to_numpy(dtype=bool)]
                if not len(idx):
                    continue
            rows = typed.loc[idx, "_row"]
            col = sub.column(column)
            if str(check).startswith("not_nullable"):
                for row in rows[:MAX_PER_COLUMN]:
                    problems.append(Problem("empty_required", {}, **at(raw, row, column)))
                if len(rows) > MAX_PER_COLUMN:
                    problems.append(Problem("too_many_problems", {"n": len(rows) - MAX_PER_COLUMN},
                                            **at(raw, None, column)))
            elif col is not None and col.kind in ("int", "number"):
                capped(problems, raw, "out_of_range", rows, typed.loc[idx, column].map(lambda v: f"{v:g}"),
                        column, {"lo": f"{col.min:g}", "hi": f"{col.max:g}"})
    if instrument is not None:
        allowed_missing = np.asarray(instrument.missing_codes, dtype=float)
        lo, hi = instrument.response_min, instrument.response_max
        for item in instrument.item_ids:
            if item not in typed.columns:
                continue
            values = typed[item]
            outside = values.notna() & ((values < lo) | (values > hi)) & ~values.isin(allowed_missing)
            if outside.any():
                capped(problems, raw, "answer_out_of_scale", typed["_row"][outside],
                        values[outside].map(lambda v: f"{v:g}"), item,
                        {"lo": f"{lo:g}", "hi": f"{hi:g}",
                         "missing": ", ".join(f"{m:g}" for m in instrument.missing_codes) or "–"})


def _check_keys(raw: RawTable, table: Table, typed: pd.DataFrame, problems: list[Problem]) -> None:
    keys = list(table.key)
    complete = typed[typed[keys].notna().all(axis=1)]
    dup = complete.duplicated(keys, keep="first")
    if not dup.any():
        return
    first = complete.groupby(keys, sort=False)["_row"].transform("min")
    later = complete[dup]
    for i, (idx, r) in enumerate(later.iterrows()):
        if i == MAX_PER_COLUMN:
            problems.append(Problem("too_many_problems", {"n": len(later) - MAX_PER_COLUMN},
                                    **at(raw, None, keys[-1])))
            break
        problems.append(Problem("duplicate_key", {"key": " + ".join(keys),
                                                  "value": " / ".join(str(r[k]) for k in keys),
                                                  "first": int(first[idx])}, **at(raw, r["_row"], keys[-1])))


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
