"""One plain-language verdict per instrument × scale, for the index page."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from evaltools.certainty.cells import as_float, is_true, lookup_scale
from evaltools.certainty.phrases import p_text, scale_title, signed_number
from evaltools.certainty.words import effect_size_range, effect_size_word, significance_word
from evaltools.labels import fmt_number, t
from evaltools.power import mdes_of_paired_t

VERDICT_COLUMNS = ("instrument", "scale", "verdict")


def verdicts(change: pd.DataFrame, reliable_change: pd.DataFrame | None, *, lang: str, alpha: float = 0.05,
             instrument_titles: Mapping | None = None, scale_titles: Mapping | None = None,
             higher_is_better: Mapping | None = None, min_cell: int | None = None) -> pd.DataFrame:
    """One plain-language line per instrument × scale (group ``all``) for the index page.

    Each line gives the direction, the mean change with its CI, the effect size
    in words (g_av, which Lakens 2013 recommends for comparison with Cohen's
    between-groups benchmarks; d_z when g_av is missing) with its CI and,
    when they differ, the words of both ends of that CI
    (:func:`effect_size_range`: "large, but the data are consistent with
    anything from no change to a large one"), whether it survives Holm
    (:func:`significance_word`), the share of people reliably improved
    (``reliable_change``: n_improved / n_pairs of group ``all``, and how many
    reliably deteriorated) and, when the change is not significant and its
    |d_z| is below ``mdes_dz``, that this is not evidence of no change.

    The direction is "improvement"/"deterioration" when ``higher_is_better``
    ({(instrument, scale): bool} or {instrument: bool}) says which way is
    better, else "scores rose"/"fell". A direction is claimed only when the
    CI of the mean change excludes 0 and p < ``alpha``: firmly when the
    change survives Holm, "possible …" when only the unadjusted p is below
    ``alpha``; "no clear change" otherwise. When everyone changed by the same
    amount (zero variance of the differences: the CI is one point) the line
    says so and claims no test. A row without pairs is "not measured"; a
    suppressed row is "hidden", with ``min_cell`` (the run's) saying why:
    fewer people than ``min_cell``, or hidden so that a smaller group cannot
    be recovered by subtraction; a row with one pair says nothing can be
    estimated.

    ``instrument_titles`` maps instrument → title, ``scale_titles`` maps
    (instrument, scale) or scale → title (already in ``lang``); ids are shown
    otherwise. Returns columns instrument, scale, verdict.

    Examples
    --------
    >>> ch = pd.DataFrame({"instrument": ["x"], "scale": ["total"], "group": ["all"], "n_pairs": [3],
    ...                    "suppressed": [True]})
    >>> verdicts(ch, None, lang="en")["verdict"].iloc[0]
    'x – total: hidden – only 3 people have both waves, fewer than the minimum group size for reporting (privacy protection).'
    >>> verdicts(ch.assign(n_pairs=0), None, lang="en", min_cell=5)["verdict"].iloc[0]
    'x – total: not measured – nobody has scores at both waves.'
    """
    if "group" in change:
        rows = change[(change["group"] == "all").to_numpy()]
    else:
        rows = change
    out = []
    for _, row in rows.iterrows():
        title = scale_title(row["instrument"], row["scale"], instrument_titles, scale_titles)
        rc = _reliable_row(reliable_change, row["instrument"], row["scale"])
        hib = lookup_scale(higher_is_better, row["instrument"], row["scale"])
        out.append({"instrument": row["instrument"], "scale": row["scale"],
                    "verdict": _verdict_line(row, rc, title, hib, lang, alpha, min_cell)})
    return pd.DataFrame(out, columns=list(VERDICT_COLUMNS))


def _verdict_line(row: pd.Series, rc: pd.Series | None, title: str, hib: bool | None,
                  lang: str, alpha: float, min_cell: int | None = None) -> str:
    n = as_float(row.get("n_pairs"))
    n_text = fmt_number(0 if math.isnan(n) else int(n), lang)
    if not n > 0:  # nobody has both waves: nothing was measured, nothing is hidden
        return t("certainty.verdict.not_measured", lang, title=title)
    if is_true(row.get("suppressed")):
        if min_cell is None:
            return t("certainty.verdict.suppressed", lang, title=title, n=n_text)
        key = "suppressed_below" if n < min_cell else "suppressed_complement"
        return t(f"certainty.verdict.{key}", lang, title=title, n=n_text, min_cell=fmt_number(int(min_cell), lang))
    diff = as_float(row.get("mean_diff"))
    if n < 2 or math.isnan(diff):
        return t("certainty.verdict.no_pairs", lang, title=title, n=n_text)

    lo, hi = as_float(row.get("ci_low")), as_float(row.get("ci_high"))
    if lo == hi:  # sd of the differences is 0: everyone changed by the same amount, which is no test
        key = "no_change_at_all" if diff == 0 else "same_change"
        return t(f"certainty.verdict.{key}", lang, title=title, n=n_text, diff=signed_number(diff, lang))

    # a direction only when the CI excludes 0 (and p < alpha); firmly only when it survives Holm
    p_t, p_holm = as_float(row.get("p_t")), as_float(row.get("p_holm"))
    if not (lo > 0 or hi < 0) or not p_t < alpha or diff == 0:
        direction = t("certainty.verdict.unclear", lang)
    else:
        strength = "" if p_holm < alpha else "possible_"
        rose = diff > 0
        word = ("rose" if rose else "fell") if hib is None else ("improved" if rose == hib else "worsened")
        direction = t(f"certainty.verdict.{strength}{word}", lang)

    level = as_float(row.get("ci_level"))
    level = 1 - alpha if math.isnan(level) else level
    ci_zero = t("certainty.verdict.ci_zero", lang) if lo <= 0 <= hi else ""

    g_av, d_z = as_float(row.get("g_av")), as_float(row.get("d_z"))
    if math.isfinite(g_av):
        es_name, es = "g_av", g_av
        es_lo, es_hi = as_float(row.get("g_av_ci_low")), as_float(row.get("g_av_ci_high"))
    else:
        es_name, es, es_lo, es_hi = "d_z", d_z, math.nan, math.nan
    es_ci = ""
    if math.isfinite(es_lo) and math.isfinite(es_hi):
        es_ci = t("certainty.verdict.es_ci", lang, ci_level=f"{level * 100:g}", lo=fmt_number(es_lo, lang),
                  hi=fmt_number(es_hi, lang))

    if math.isnan(p_holm):
        p_name, p = "p", p_t
    else:
        p_name, p = "p (Holm)", p_holm

    rc_text = ""
    if rc is not None:
        n_rc = int(rc["n_pairs"])
        k = int(rc["n_improved"])
        rc_text = t("certainty.verdict.reliable", lang, k=k, n=n_rc, pct=round(100 * k / n_rc))
        worse = as_float(rc.get("n_deteriorated"))
        if worse > 0:
            rc_text += t("certainty.verdict.reliable_worse", lang, k=int(worse))

    power_text = ""
    mdes = as_float(row.get("mdes_dz"))
    if math.isnan(mdes):
        mdes = mdes_of_paired_t(n, alpha)
    if not p_holm < alpha and math.isfinite(d_z) and round(abs(d_z), 2) < round(mdes, 2):
        power_text = "; " + t("certainty.sensitivity.underpowered_short", lang, n=n_text,
                              mdes=fmt_number(mdes, lang))

    return t("certainty.verdict.line", lang, title=title, direction=direction, diff=signed_number(diff, lang),
             ci_level=f"{level * 100:g}", lo=fmt_number(lo, lang), hi=fmt_number(hi, lang), ci_zero=ci_zero,
             size=effect_size_word(es, lang), es_name=es_name, es=fmt_number(es, lang), es_ci=es_ci,
             size_range=effect_size_range(es, es_lo, es_hi, lang),
             significance=significance_word(p_t, p_holm, alpha, lang), p_name=p_name, p=p_text(p, lang),
             rc=rc_text, power=power_text)


def _reliable_row(reliable_change: pd.DataFrame | None, instrument: str, scale: str) -> pd.Series | None:
    if reliable_change is None or reliable_change.empty:
        return None
    rc = reliable_change
    mask = (rc["instrument"] == instrument) & (rc["scale"] == scale)
    if "group" in rc:
        mask &= rc["group"] == "all"
    hits = rc[mask.to_numpy()]
    if hits.empty:
        return None
    row = hits.iloc[0]
    if (is_true(row.get("suppressed")) or not as_float(row.get("n_pairs")) > 0
            or math.isnan(as_float(row.get("n_improved")))):
        return None
    return row
