"""Attrition bias in one sentence: who was lost, did they differ, does it change the conclusion."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaltools.certainty.cells import as_float, float_column, rows_of_all, suppressed_mask
from evaltools.certainty.phrases import scale_title
from evaltools.certainty.words import COHEN_1988
from evaltools.labels import fmt_number, t

_REFERENCE_METHOD = "complete_case"


def attrition_sentence(attrition_df: pd.DataFrame | None, sensitivity_df: pd.DataFrame | None,
                       lang: str, *, alpha: float = 0.05, instrument_titles: Mapping | None = None,
                       scale_titles: Mapping | None = None) -> str:
    """Attrition bias in one sentence: who was lost, did they differ, does it change the conclusion.

    Inputs (:func:`evaltools.attrition.attrition` and ``.sensitivity``):

    - ``attrition_df``: instrument, scale, n_completers, n_dropouts,
      mean_completers, mean_dropouts, the p-value of the baseline comparison
      (``p_welch``, or ``p_value``) and the standardised difference (``smd``,
      or ``std_diff``); optional ``group`` (only ``all`` is read) and
      ``suppressed`` (suppressed rows are not compared). Dropouts "differed"
      on a scale when its p < ``alpha``; the largest |smd| is named with both
      means, so no sign convention is assumed. When no test is below
      ``alpha`` but |smd| ≥ 0.2 the difference is called worth noting (a
      test on a handful of dropouts can neither confirm nor rule it out);
    - ``sensitivity_df``: instrument, scale, method, ci_low, ci_high
      (optional ``group``, ``suppressed`` as above). A method's conclusion on
      a scale is the CI's verdict: rise (ci_low > 0), fall (ci_high < 0) or
      unclear; the reference method is ``complete_case`` (else the first
      method listed), and the conclusion "changes" on a scale when any other
      method's verdict differs from it (``tipping_point`` rows are not read).

    ``None``, an empty frame or missing columns are handled: the sentence
    then says what could not be assessed.

    Examples
    --------
    >>> att = pd.DataFrame({"instrument": ["x"], "scale": ["total"], "n_completers": [16],
    ...     "n_dropouts": [0], "mean_completers": [3.0], "mean_dropouts": [float("nan")],
    ...     "p_value": [float("nan")], "std_diff": [float("nan")]})
    >>> attrition_sentence(att, None, "en")
    'Everyone measured at baseline was also measured at endline, so attrition cannot bias the comparison.'
    """
    need = {"instrument", "scale", "n_completers", "n_dropouts"}
    if attrition_df is None or not need <= set(attrition_df.columns) or attrition_df.empty:
        return t("certainty.attrition.not_available", lang)
    att = rows_of_all(attrition_df)
    if att.empty:
        return t("certainty.attrition.not_available", lang)
    completers, dropouts = float_column(att, "n_completers"), float_column(att, "n_dropouts")
    if dropouts.fillna(0).max() <= 0:
        return t("certainty.attrition.none_lost", lang)
    parts = [_lost_part(completers, dropouts, lang)]
    parts.append(_baseline_difference_part(att, lang, alpha, instrument_titles, scale_titles))
    parts.append(_sensitivity_part(sensitivity_df, lang, instrument_titles, scale_titles))
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]


def _lost_part(completers: pd.Series, dropouts: pd.Series, lang: str) -> str:
    lost = dropouts.dropna().astype(int)
    if lost.nunique() == 1:
        d = int(lost.iloc[0])
        total = int((completers.fillna(0) + dropouts.fillna(0)).max())
        pct = round(100 * d / total) if total else 0
        return t("certainty.attrition.lost", lang, d=d, n=total, pct=pct)
    return t("certainty.attrition.lost_range", lang, dmin=int(lost.min()), dmax=int(lost.max()))


def _baseline_difference_part(att: pd.DataFrame, lang: str, alpha: float, instrument_titles, scale_titles) -> str:
    p = float_column(att, "p_value" if "p_value" in att else "p_welch")
    dropouts = float_column(att, "n_dropouts")
    hidden = suppressed_mask(att)
    testable = p.notna() & (dropouts > 0) & ~hidden
    if not testable.any():
        key = "difference_suppressed" if (hidden & (dropouts > 0)).any() else "not_tested"
        return t(f"certainty.attrition.{key}", lang)
    tested = att[testable.to_numpy()]
    p = p[testable]
    std_name = "std_diff" if "std_diff" in tested else "smd"
    std = float_column(tested, std_name).abs()
    if std.notna().any():
        biggest = tested.iloc[int(np.nanargmax(std.to_numpy()))]
    else:
        biggest = tested.iloc[int(np.argmin(p.to_numpy()))]
    fields = dict(m=len(tested), sd=fmt_number(abs(as_float(biggest.get(std_name))), lang),
                  scale=scale_title(biggest["instrument"], biggest["scale"], instrument_titles, scale_titles),
                  md=fmt_number(as_float(biggest.get("mean_dropouts")), lang),
                  mc=fmt_number(as_float(biggest.get("mean_completers")), lang))
    differed = tested[(p < alpha).to_numpy()]
    if differed.empty:
        text = t("certainty.attrition.no_difference", lang, **fields)
        if std.max() >= COHEN_1988[0]:
            text += t("certainty.attrition.notable_difference", lang)
        elif float_column(tested, "n_dropouts").max() < 10:
            text += t("certainty.attrition.few_dropouts", lang)
        return text
    names = ", ".join(scale_title(r["instrument"], r["scale"], instrument_titles, scale_titles)
                      for _, r in differed.iterrows())
    return t("certainty.attrition.difference", lang, k=len(differed), names=names, **fields)


def _sensitivity_part(sens: pd.DataFrame | None, lang: str, instrument_titles, scale_titles) -> str:
    need = {"instrument", "scale", "method", "ci_low", "ci_high"}
    if sens is None or not need <= set(sens.columns):
        return t("certainty.attrition.sensitivity_missing", lang)
    sens = rows_of_all(sens)
    # a tipping point is a shift, not an estimate of change with a CI: it has no verdict
    sens = sens[~suppressed_mask(sens).to_numpy() & (sens["method"].astype(str) != "tipping_point").to_numpy()]
    if sens.empty:
        return t("certainty.attrition.sensitivity_missing", lang)
    methods = list(dict.fromkeys(sens["method"].astype(str)))
    reference = _REFERENCE_METHOD if _REFERENCE_METHOD in methods else methods[0]
    others = [m for m in methods if m != reference]
    if not others:
        return t("certainty.attrition.sensitivity_missing", lang)
    lo, hi = float_column(sens, "ci_low"), float_column(sens, "ci_high")
    verdict = np.where(lo > 0, 1, np.where(hi < 0, -1, 0)).astype(float)
    verdict[(lo.isna() | hi.isna()).to_numpy()] = np.nan
    frame = pd.DataFrame({"instrument": sens["instrument"].to_numpy(), "scale": sens["scale"].to_numpy(),
                          "method": sens["method"].astype(str).to_numpy(), "verdict": verdict})
    moved, compared = [], 0
    for (instrument, scale), part in frame.groupby(["instrument", "scale"], sort=False):
        ref = part.loc[part["method"] == reference, "verdict"]
        alt = part.loc[part["method"] != reference, "verdict"].dropna()
        if ref.empty or ref.isna().all() or alt.empty:
            continue
        compared += 1
        if (alt != ref.iloc[0]).any():
            moved.append(scale_title(instrument, scale, instrument_titles, scale_titles))
    if compared == 0:
        return t("certainty.attrition.sensitivity_missing", lang)
    names = "; ".join(_method_label(m, lang) for m in others)
    if not moved:
        return t("certainty.attrition.sensitivity_same", lang, methods=names)
    return t("certainty.attrition.sensitivity_moves", lang, methods=names, k=len(moved), m=compared,
             names=", ".join(moved))


def _method_label(method: str, lang: str) -> str:
    try:
        return t(f"certainty.method.{method}", lang)
    except KeyError:
        return method
