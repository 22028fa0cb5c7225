"""Reading the cells of an output table as the words need them.

A table reaches the words either from memory or read back from its CSV, so
a cell may be a float, ``None``, ``pd.NA`` or text, and ``suppressed`` a bool
or the string ``"True"``. These functions read both alike.

Examples
--------
>>> as_float("0.5"), as_float(None)
(0.5, nan)
>>> is_true("True"), is_true(float("nan"))
(True, False)
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd


def row_value(row, key):
    """``row[key]`` of a Series, a dict or a namedtuple; None when it has no such field."""
    try:
        return row.get(key)
    except AttributeError:
        return getattr(row, key, None)


def as_float(x) -> float:
    """A float, NaN for anything missing (None, pd.NA, NaT, text)."""
    if x is None or x is pd.NA:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def whole_count(row, key) -> int:
    """A count field of a row as an int, 0 when missing."""
    n = as_float(row_value(row, key))
    return 0 if math.isnan(n) else int(n)


def float_column(df: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats (NaN where it is not a number); all NaN when the frame has no such column."""
    if column not in df:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[column], errors="coerce").astype("float64")


def is_true(x) -> bool:
    """``suppressed`` as read from memory (bool) or from a CSV ("True", "true", 1)."""
    if x is None or x is pd.NA:
        return False
    if isinstance(x, str):
        return x.strip().lower() in {"true", "1", "yes"}
    try:
        return bool(x) and not (isinstance(x, float) and math.isnan(x))
    except (TypeError, ValueError):
        return False


def suppressed_mask(df: pd.DataFrame) -> pd.Series:
    """True on the rows hidden by suppression (none when the frame has no ``suppressed`` column)."""
    if "suppressed" not in df:
        return pd.Series(False, index=df.index)
    return df["suppressed"].map(is_true).astype(bool)


def rows_of_all(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of group ``all`` when the frame has a ``group`` column, else all rows."""
    if "group" not in df:
        return df
    return df[(df["group"] == "all").to_numpy()]


def lookup_scale(mapping: Mapping | None, instrument: str, scale: str):
    """The value a mapping gives a scale: keyed by (instrument, scale), else scale, else instrument; None."""
    if not mapping:
        return None
    for key in ((instrument, scale), scale, instrument):
        if key in mapping:
            return mapping[key]
    return None
