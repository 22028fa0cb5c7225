"""Raw cells to typed values: what :func:`evaltools.io.read_folder` found, read as the contract's kinds (docs/data.md).

:func:`parse_column` forgives what the contract forgives (stray spaces,
letter case of codes, decimal comma, Polish or ISO dates, real Excel dates,
numbers typed as text) and marks everything else; the validator words the
marks for people.

Examples
--------
>>> s = pd.Series([" Baseline", "endline ", "pomiar końcowy", "endlin", None])
>>> values, bad = parse_column(s, kind="code", codes="wave")
>>> values.tolist()[:3], bad.tolist()
(['baseline', 'endline', 'endline'], [False, False, False, True, False])
>>> parse_column(pd.Series(["15.03.2021", "2021-03-16"]), kind="date")[0].dt.day.tolist()
[15, 16]
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from evaltools.labels import LANGS, catalogue, get_locale
from evaltools.schema import CODES

_SPACE = re.compile(r"\s")  # what str.strip() removes


def is_blank(v) -> bool:
    """Whether a raw cell is empty: None, NA, NaT, NaN or white space only.

    >>> [is_blank(v) for v in (None, float("nan"), " ", "0", 0)]
    [True, True, True, False, False]
    """
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float):
        return v != v
    return isinstance(v, str) and not v.strip()


def code_lookup(kind: str) -> dict[str, str]:
    """Every accepted spelling of a code (code, Polish and English label), folded, -> the code."""
    lookup = {}
    entries = catalogue()
    for code in CODES[kind]:
        lookup[code.lower()] = code
        entry = entries.get(f"code.{kind}.{code}")
        if entry:
            for lang in LANGS:
                lookup.setdefault(entry[lang].strip().lower(), code)
    return lookup


def code_choices(kind: str, lang: str) -> list[str]:
    """What a person working in ``lang`` is offered for a coded column (templates' dropdowns, messages).

    The codes' labels in ``lang`` when its locale says so (``code_labels``),
    else the codes; every choice is a spelling :func:`code_lookup` accepts.

    >>> code_choices("sex", "pl"), code_choices("sex", "en")
    (['kobieta', 'mężczyzna', 'inna', 'nieznana'], ['F', 'M', 'other', 'unknown'])
    """
    if not get_locale(lang).code_labels:
        return list(CODES[kind])
    entries = catalogue()
    return [entries[f"code.{kind}.{code}"][lang] if f"code.{kind}.{code}" in entries else code
            for code in CODES[kind]]


def _as_text(value) -> object:
    """A raw cell as trimmed text; numbers typed in Excel lose a spurious ``.0``."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def text_series(raw: pd.Series) -> pd.Series:
    """Raw cells -> trimmed text (``str`` dtype, missing as NA)."""
    cells = raw.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):  # Excel cells: one at a time
        return pd.Series([_as_text(v) for v in raw], index=raw.index, dtype="str")
    try:
        joined = "".join(cells)  # a CSV column: every cell is text
    except TypeError:  # some cells missing
        text = raw.astype("str").str.strip()
        return text.mask(text == "")
    if _SPACE.search(joined):  # trim only columns that hold white space at all
        cells = np.array([v.strip() for v in cells], dtype=object)
    blank = cells == ""
    text = pd.Series(cells, index=raw.index, dtype="str")
    return text.mask(blank) if blank.any() else text


def text_by_value(raw: pd.Series) -> tuple[pd.Series, tuple[np.ndarray, list[str]]]:
    """:func:`text_series` of ``raw`` and :func:`by_value` of that text, together.

    A column of text cells (a CSV's) is factorised once and each distinct
    value trimmed once; other columns (Excel cells) go through
    :func:`text_series` first.

    >>> text, (positions, values) = text_by_value(pd.Series([" a", "b", "a ", "  ", None], dtype=object))
    >>> text.tolist(), positions.tolist(), values
    (['a', 'b', 'a', nan, nan], [0, 1, 0, -1, -1], ['a', 'b'])
    """
    cells = raw.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):
        text = text_series(raw)
        return text, by_value(text)
    positions, found = _factorize_text(cells)
    if not _SPACE.search("".join(found)) and not (found == "").any():  # nothing to trim (the usual case)
        values = found.tolist()
    else:
        trimmed = [v.strip() or None for v in found]
        if None in trimmed or len(set(trimmed)) < len(trimmed):  # trimming emptied some values or made them equal
            inner, values = pd.factorize(np.array(trimmed, dtype=object), use_na_sentinel=True)
            positions = np.append(inner, -1)[positions]  # a missing cell (-1) stays missing
            values = list(values)
        else:
            values = trimmed
    # each distinct value checked as text once; a missing cell (-1) takes the trailing NA
    text = pd.array(np.array(values + [None], dtype=object), dtype="str").take(positions)
    return pd.Series(text, index=raw.index), (positions, values)


def _factorize_text(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(cells, use_na_sentinel=True)`` of a column of text cells.

    A long column listed in order (identifiers sorted, as exports and staff's sheets often are) holds
    each value in one run: its codes count the changes between neighbours, with no hash of millions
    of strings; any other column (or a missing cell) is factorised as usual.

    >>> [x.tolist() for x in _factorize_text(np.array(["a", "a", "b", "c", "c"] * 1, dtype=object))]
    [[0, 0, 1, 2, 2], ['a', 'b', 'c']]
    """
    n = len(cells)
    if n >= _SORTED_MIN:
        try:
            if not (cells[1:64] < cells[:63]).any() and not (cells[1:] < cells[:-1]).any():
                new = np.empty(n, dtype=bool)
                new[0] = True
                np.not_equal(cells[1:], cells[:-1], out=new[1:])
                return np.cumsum(new) - 1, cells[new]
        except TypeError:  # a missing or non-text cell: not comparable
            pass
    return pd.factorize(cells, use_na_sentinel=True)


#: Columns shorter than this are factorised without looking for order.
_SORTED_MIN = 10_000


def by_value(text: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per cell of ``text``, the position of its value (-1: missing), and the distinct values.

    Work done once per distinct value and spread back with :func:`_spread` is
    what keeps 100,000 participants' columns fast: codes, dates and answers
    repeat a few hundred values over millions of cells. The validator
    computes it once per column and hands it to every check (:func:`parse_column`'s ``distinct``).

    >>> by_value(pd.Series(["b", None, "a", "b"], dtype="str"))
    (array([ 0, -1,  1,  0]), ['b', 'a'])
    """
    positions, values = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=True)
    return positions, list(values)


def _spread(per_value: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per-value results back to one per cell; missing cells (position -1) get the dtype's NA."""
    return pd.api.extensions.take(np.asarray(per_value), positions, allow_fill=True)


def parse_column(raw: pd.Series, *, kind: str, codes: str | None = None, text: pd.Series | None = None,
                 distinct: tuple[np.ndarray, list[str]] | None = None) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of cells that could not be read (non-blank but invalid).

    ``text`` is :func:`text_series` of ``raw`` and ``distinct`` :func:`by_value`
    of ``text`` when the caller has them already. Each distinct value is parsed once.
    """
    text = text_series(raw) if text is None else text
    if kind in ("id", "text"):
        return text, pd.Series(False, index=raw.index)
    index = raw.index
    direct_cells = kind not in ("code", "codes") and not _all_text(raw)  # Excel numbers and dates come typed
    if distinct is None and not direct_cells:
        distinct = by_value(text)
    if kind == "code":
        lookup = code_lookup(codes)
        positions, found = distinct
        mapped = np.array([lookup.get(v.lower()) for v in found] + [None], dtype=object)
        values = pd.Series(mapped[positions], index=index, dtype="str")  # position -1: the trailing None
        bad = pd.Series(np.append(mapped[:-1] == None, False)[positions], index=index)  # noqa: E711
        return values, bad
    if kind == "codes":
        lookup = code_lookup(codes)
        positions, found = distinct
        out, wrong = [], []
        for value in found:
            items = [i.strip().lower() for i in value.replace(",", ";").split(";") if i.strip()]
            mapped = [lookup.get(i) for i in items]
            wrong.append(any(m is None for m in mapped))
            out.append(";".join(dict.fromkeys(m for m in mapped if m)) or None)
        values = pd.Series(np.array(out + [None], dtype=object)[positions], index=index, dtype="str")
        return values, pd.Series(np.array(wrong + [False], dtype=bool)[positions], index=index)
    if kind in ("int", "number"):
        if direct_cells:
            numeric = pd.Series([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                                 for v in raw], index=index, dtype="float64")
            rest = text.where(numeric.isna())
        else:
            numeric, rest = None, text
        positions, found = by_value(rest) if direct_cells else distinct
        normalised = pd.Series(found, dtype="str").str.replace("\u00a0", "").str.replace(" ", "").str.replace(",", ".")
        parsed = pd.to_numeric(normalised, errors="coerce").astype("float64").to_numpy()
        values = pd.Series(_spread(parsed, positions), index=index, dtype="float64")
        if numeric is not None:
            values = numeric.fillna(values)
        bad = (text.notna() if numeric is not None else pd.Series(positions >= 0, index=index)) & values.isna()
        if kind == "int":
            bad |= values.notna() & (values != values.round())
        return values.where(~bad), bad
    if kind == "date":
        if direct_cells:
            direct = pd.Series([_timestamp(v) if isinstance(v, (dt.datetime, dt.date)) else pd.NaT for v in raw],
                               index=index, dtype="datetime64[us]")
            rest = text.where(direct.isna())
        else:
            direct, rest = None, text
        positions, found = by_value(rest) if direct_cells else distinct
        found = pd.Series(found, dtype="str")
        iso = pd.to_datetime(found.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        polish = pd.to_datetime(found, format="%d.%m.%Y", errors="coerce")
        parsed = _readable_dates(iso.fillna(polish)).to_numpy()
        values = pd.Series(_spread(parsed, positions), index=index, dtype="datetime64[ns]")
        if direct is not None:
            values = _readable_dates(direct).fillna(values).astype("datetime64[ns]")
        bad = (text.notna() if direct is not None else pd.Series(positions >= 0, index=index)) & values.isna()
        return values, bad
    raise ValueError(f"unknown column kind {kind!r}")


def _all_text(raw: pd.Series) -> bool:
    """Whether every present cell is a string (a CSV column), so no cell is a typed number or date."""
    return pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty")


#: Dates a table may hold: pandas' nanosecond range, whole days.
FIRST_DATE, LAST_DATE = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
_DATE_SHAPE = r"^\s*(?:(?P<iso>\d{1,4})-\d{1,2}-\d{1,2}(?:[ T].*)?|\d{1,2}\.\d{1,2}\.(?P<pl>\d{1,4}))\s*$"


def _timestamp(value) -> pd.Timestamp:
    """A date cell as a timestamp, or NaT when its year lies outside :data:`FIRST_DATE` – :data:`LAST_DATE`."""
    stamp = pd.Timestamp(value)
    return stamp if FIRST_DATE <= stamp <= LAST_DATE else pd.NaT


def _readable_dates(values: pd.Series) -> pd.Series:
    """Parsed dates in nanoseconds; a date outside the readable range becomes NaT (reported as unreadable)."""
    values = values.astype("datetime64[us]")
    inside = values.notna() & (values >= FIRST_DATE.as_unit("us")) & (values <= LAST_DATE.as_unit("us"))
    return values.where(inside).astype("datetime64[ns]")


def year_out_of_range(text: pd.Series) -> pd.Series:
    """Which cells are shaped like a date but lie outside the years a table can hold (1678–2261).

    >>> year_out_of_range(pd.Series(["9999-12-31", "16.01.3021", "2021-03-15", "abc", None])).tolist()
    [True, True, False, False, False]
    """
    parts = text.astype("str").str.extract(_DATE_SHAPE)
    year = pd.to_numeric(parts["iso"].fillna(parts["pl"]), errors="coerce")
    return (year.notna() & ((year <= FIRST_DATE.year) | (year >= LAST_DATE.year))).reindex(text.index, fill_value=False)
