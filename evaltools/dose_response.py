"""Dose and response: does change grow with the sessions a person attended? (docs/statistics.md#dose-and-response).

:func:`dose_from_attendance` counts each person's sessions (only those on or
before their own endline when ``until`` is given, :func:`endline_dates`);
:func:`dose_response` correlates the paired change of :mod:`evaltools.change`
with that count, per instrument × scale, with Holm's adjustment across its
tests. It is an association among people who chose how often to come, not an
effect of attending.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.change import holm

from evaltools.pairing import KEY, ScoreCodes, pair_rows, pair_values
from evaltools.codes import factorize
from evaltools.suppression import suppress_small_cells

DOSE_COLUMNS = ["participant_id", "sessions"]
DOSE_RESPONSE_COLUMNS = ["instrument", "scale", "n", "r", "p", "slope", "slope_ci_low", "slope_ci_high",
                         "intercept", "ci_level", "suppressed", "p_holm"]
UNTIL_COLUMNS = ["participant_id", "date"]
DOSE_POINT_COLUMNS = ["instrument", "scale", "sessions", "diff"]


def endline_dates(
    questionnaires: Mapping[str, pd.DataFrame],
    *,
    participants: pd.DataFrame | None = None,
    default=None,
    wave: str = "endline",
) -> pd.DataFrame:
    """Each person's own endline date: ``participant_id, date`` (the ``until`` of :func:`dose_from_attendance`).

    The date is the latest ``date`` among the person's questionnaires of
    ``wave``. A person without a dated questionnaire of that wave (undated,
    or measured only through the ties table) gets ``default`` (the end of the
    programme period); with ``participants`` given every registered person
    gets a row. Dates are days (times dropped).

    >>> q = pd.DataFrame({"participant_id": ["A", "A", "B", "B"], "wave": ["baseline", "endline"] * 2,
    ...                   "date": ["2021-01-05", "2021-11-20", "2021-01-07", None]})
    >>> endline_dates({"x": q}, participants=pd.DataFrame({"participant_id": ["A", "B", "C"]}),
    ...               default="2021-12-31")
      participant_id       date
    0              A 2021-11-20
    1              B 2021-12-31
    2              C 2021-12-31
    """
    frames = [q.loc[q["wave"] == wave, [c for c in UNTIL_COLUMNS if c in q.columns]]
              for q in questionnaires.values() if "participant_id" in q.columns and "wave" in q.columns]
    dated = pd.concat([f.reindex(columns=UNTIL_COLUMNS) for f in frames] or
                      [pd.DataFrame(columns=UNTIL_COLUMNS)], ignore_index=True)
    dated = dated.dropna(subset=["participant_id"]).astype({"participant_id": "str"})
    dated["date"] = pd.to_datetime(dated["date"], errors="coerce").dt.normalize()
    latest = dated.groupby("participant_id", sort=True)["date"].max()
    if participants is not None:
        people = participants["participant_id"].dropna().astype("str").drop_duplicates()
        latest = latest.reindex(sorted(set(latest.index) | set(people)))
    fallback = pd.Timestamp(default).normalize() if default is not None else pd.NaT
    out = latest.fillna(fallback).astype("datetime64[ns]").rename("date").rename_axis("participant_id").reset_index()
    return out.astype({"participant_id": "str"})[UNTIL_COLUMNS]


def dose_from_attendance(
    attendance: pd.DataFrame,
    *,
    sessions: pd.DataFrame | None = None,
    participants: pd.DataFrame | None = None,
    until: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Sessions attended per person: ``participant_id, sessions``.

    Distinct sessions. With ``sessions`` given this is the ``sessions``
    column of :func:`evaltools.indicators.dose` (staff sessions and sessions
    not in ``sessions`` do not count); with ``participants`` given, every
    registered person gets a row (0 when they attended nothing) and only
    they do.

    ``until`` (``participant_id, date``, e.g. :func:`endline_dates`) counts
    only the sessions held on or before the person's own date: a session
    after someone's endline cannot have shaped the change measured then.
    It needs ``sessions`` (their dates). A person without a date in
    ``until``, or a session without a date, is not cut.

    >>> att = pd.DataFrame({"session_id": ["S1", "S2", "S2"], "participant_id": ["A", "A", "B"]})
    >>> dose_from_attendance(att, participants=pd.DataFrame({"participant_id": ["A", "B", "C"]}))
      participant_id  sessions
    0              A         2
    1              B         1
    2              C         0
    """
    if until is not None:
        if sessions is None:
            raise ValueError("dose_from_attendance: until= needs the session dates; got sessions=None, "
                             "expected the sessions table.")
        attendance = _attended_until(attendance, sessions, until)
    if sessions is not None:
        from evaltools.indicators import dose
        return dose(attendance, sessions, participants=participants)[DOSE_COLUMNS].reset_index(drop=True)
    att = attendance[["session_id", "participant_id"]].dropna().astype("str").drop_duplicates()
    counts = att.groupby("participant_id", sort=True).size()
    if participants is not None:
        people = participants["participant_id"].dropna().astype("str").drop_duplicates()
        counts = counts.reindex(people, fill_value=0)
    out = counts.rename("sessions").rename_axis("participant_id").reset_index()
    return out.astype({"participant_id": "str", "sessions": "int64"})[DOSE_COLUMNS]


def _attended_until(attendance: pd.DataFrame, sessions: pd.DataFrame, until: pd.DataFrame) -> pd.DataFrame:
    """The attendance rows of sessions held on or before the person's ``until`` date (undated ones kept)."""
    att = attendance[["session_id", "participant_id"]].dropna().astype("str")
    held = sessions[["session_id", "date"]].dropna(subset=["session_id"]).astype({"session_id": "str"})
    held = held.drop_duplicates("session_id").assign(date=lambda d: pd.to_datetime(d["date"], errors="coerce")
                                                     .dt.normalize())
    limit = until[UNTIL_COLUMNS].dropna(subset=["participant_id"]).astype({"participant_id": "str"})
    limit = limit.drop_duplicates("participant_id").rename(columns={"date": "_until"})
    limit["_until"] = pd.to_datetime(limit["_until"], errors="coerce").dt.normalize()
    att = att.merge(held, on="session_id", how="left").merge(limit, on="participant_id", how="left")
    keep = att["date"].isna() | att["_until"].isna() | (att["date"] <= att["_until"])
    return att.loc[keep.to_numpy(), ["session_id", "participant_id"]].reset_index(drop=True)


def dose_points(scores: pd.DataFrame, dose: pd.DataFrame, *, pre_wave: str = "baseline",
                post_wave: str = "endline") -> pd.DataFrame:
    """Change and sessions attended per pair, without ids: ``instrument, scale, sessions, diff``.

    A person with a pair but no row in ``dose`` attended 0 sessions.
    """
    pre, post = pair_rows(scores, pre_wave=pre_wave, post_wave=post_wave)
    out = scores.iloc[pre][KEY].reset_index(drop=True)
    out["sessions"] = pair_sessions(scores, pre, dose)
    out["diff"] = pair_values(scores, pre, post)["diff"]
    return out[DOSE_POINT_COLUMNS]


def pair_sessions(scores: pd.DataFrame, rows: np.ndarray, dose: pd.DataFrame) -> np.ndarray:
    """The sessions (``dose``: ``participant_id, sessions``) of the person of each of ``rows`` of ``scores``.

    0 for a person without a row (or a number) in ``dose``; a person's first row counts. The ids are
    matched once per distinct id of ``scores`` (its remembered codes), not once per row.

    >>> s = pd.DataFrame({"participant_id": ["A", "B", "C", "A"]})
    >>> pair_sessions(s, np.array([3, 1, 2]), pd.DataFrame({"participant_id": ["A", "B"], "sessions": [4, 2]})).tolist()
    [4.0, 2.0, 0.0]
    """
    d = dose[DOSE_COLUMNS].astype({"participant_id": "str"}).drop_duplicates("participant_id")
    codes, uniques = factorize(scores["participant_id"])
    ids = pd.Index(d["participant_id"])
    # each distinct id's row of `dose`, then the missing id's (code −1; a merge matches it to a missing id)
    at = np.r_[ids.get_indexer(pd.Index(uniques)), np.flatnonzero(ids.isna())[:1], -1][:len(uniques) + 1]
    sessions = np.r_[d["sessions"].to_numpy(dtype="float64"), np.nan][at]  # -1: no row in dose
    return np.where(np.isnan(sessions), 0.0, sessions)[codes[rows]]


def _sums(scores: pd.DataFrame, dose: pd.DataFrame, *, pre_wave: str, post_wave: str) -> pd.DataFrame:
    """Per instrument × scale of ``scores`` (in order of appearance): ``n`` and the sums of x, y, xy, x², y².

    x is the sessions and y the change of each pair (:func:`dose_points`), grouped on integer codes.
    """
    codes = ScoreCodes(scores)
    pre, post = pair_rows(scores, pre_wave=pre_wave, post_wave=post_wave, codes=codes)
    first, code = codes.first_scale_rows, codes.scale
    place = np.zeros(int(code.max(initial=-1)) + 1, dtype="int64")
    place[code[first]] = np.arange(len(first))
    x, y = pair_sessions(scores, pre, dose), pair_values(scores, pre, post)["diff"].to_numpy()
    pts = pd.DataFrame({"sessions": x, "diff": y, "_xy": x * y, "_xx": x**2, "_yy": y**2})
    agg = pts.groupby(place[code[pre]], sort=False).agg(
        n=("diff", "size"), _sx=("sessions", "sum"), _sy=("diff", "sum"), _sxy=("_xy", "sum"), _sxx=("_xx", "sum"),
        _syy=("_yy", "sum"))
    keys = scores[KEY].iloc[first].astype("str").reset_index(drop=True)
    return pd.concat([keys, agg.reindex(np.arange(len(keys)))], axis=1)


def dose_response(
    scores: pd.DataFrame,
    dose: pd.DataFrame,
    *,
    min_cell: int = 5,
    alpha: float = 0.05,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
) -> pd.DataFrame:
    """Does change grow with sessions attended? Per instrument × scale over complete pairs.

    ``r`` is Pearson's correlation of d (endline − baseline) with sessions
    attended, ``p`` its two-sided p-value, ``slope`` the least-squares change
    per session with a t-based CI (df = n − 2) and ``intercept`` the fitted
    change at 0 sessions. NaN when n < 3 or nobody's
    dose or change varies; suppressed (stats emptied) when n < ``min_cell``.
    ``p_holm`` is Holm's adjustment of ``p`` across all the table's tests
    (the shown rows with a ``p``: one family).

    People choose how often they come, so this is an association among
    self-selected attenders, not the effect of attending. Count ``dose``
    up to each person's own endline (``until`` of :func:`dose_from_attendance`).

    Returns
    -------
    DataFrame
        ``instrument, scale, n, r, p, slope, slope_ci_low, slope_ci_high, intercept, ci_level, suppressed,
        p_holm``.

    Examples
    --------
    >>> s = pd.DataFrame({"participant_id": list("ABCDEF") * 2, "wave": ["baseline"] * 6 + ["endline"] * 6,
    ...                   "instrument": "x", "scale": "s", "score": [2.0] * 6 + [2, 3, 3, 4, 5, 5]})
    >>> dose = pd.DataFrame({"participant_id": list("ABCDEF"), "sessions": [0, 2, 3, 5, 8, 9]})
    >>> row = dose_response(s, dose).iloc[0]
    >>> int(row["n"]), round(float(row["slope"]), 3)
    (6, 0.341)
    """
    out = _sums(scores, dose, pre_wave=pre_wave, post_wave=post_wave)
    n = out["n"].fillna(0).to_numpy(dtype="float64")
    with np.errstate(all="ignore"):
        sxx = out["_sxx"].to_numpy() - out["_sx"].to_numpy() ** 2 / n
        syy = out["_syy"].to_numpy() - out["_sy"].to_numpy() ** 2 / n
        sxy = out["_sxy"].to_numpy() - out["_sx"].to_numpy() * out["_sy"].to_numpy() / n
        # a dose or a change that does not vary (up to rounding) leaves r and the slope undefined
        varies_x = sxx > 1e-12 * np.maximum(out["_sxx"].to_numpy(), 1)
        varies_y = syy > 1e-12 * np.maximum(out["_syy"].to_numpy(), 1)
        ok = (n >= 3) & varies_x & varies_y
        r = np.where(ok, np.clip(sxy / np.sqrt(sxx * syy), -1, 1), np.nan)
        df = n - 2
        t = r * np.sqrt(df / (1 - r**2))
        p = np.where(ok, 2 * stats.t.sf(np.abs(t), df), np.nan)
        slope = np.where(ok, sxy / sxx, np.nan)
        se = np.sqrt(np.maximum(syy - slope * sxy, 0) / df / sxx)
        half = stats.t.isf(alpha / 2, df) * se
    result = pd.DataFrame({
        "instrument": out["instrument"], "scale": out["scale"], "n": n.astype("int64"), "r": r, "p": p,
        "slope": slope, "slope_ci_low": slope - half, "slope_ci_high": slope + half,
        "intercept": np.where(ok, (out["_sy"].to_numpy() - slope * out["_sx"].to_numpy()) / n, np.nan),
        "ci_level": 1.0 - alpha,
        "suppressed": False,
    })
    result = suppress_small_cells(result, n_col="n", min_cell=min_cell, keys=("instrument", "scale"))
    shown = ~result["suppressed"].astype(bool)
    result["p_holm"] = holm(result.loc[shown, "p"], pd.DataFrame({"family": 0}, index=result.index[shown]))
    return result.astype({"instrument": "str", "scale": "str", "ci_level": "float64",
                          "p_holm": "float64"})[DOSE_RESPONSE_COLUMNS]
