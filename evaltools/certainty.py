"""How sure can we be: the methodologist's layer of the report.

A programme of 20 families and 6 young people measured before and after,
without a comparison group, cannot prove much. This module puts next to
every result what the data can and cannot support:

- sensitivity: the power of the paired t-test (:mod:`evaltools.power`) and,
  in words, the smallest change it could detect (``change.csv``'s ``mdes_dz``);
- regression to the mean: whether the change is carried by those who started
  lowest (:func:`regression_to_mean`);
- attrition bias in one sentence (:func:`attrition_sentence`);
- multiplicity: how many tests were made and which survive Holm
  (:func:`multiplicity`, :func:`significance_word`);
- the design statement (:func:`design_statement`), its sensitivity resting
  on the people measured at baseline (:func:`respondents`);
- one plain-language verdict per instrument × scale (:func:`verdicts`).

Unlike the analysis modules this layer produces words; it takes the language
as an argument and finds every word in the catalogue (:mod:`evaltools.labels`,
file ``labels/certainty.yaml``). It reads no file and computes no statistic
that :mod:`evaltools.change` already reports.

Examples
--------
>>> round(power_of_paired_t(15, 0.8), 3)     # statsmodels TTestPower gives 0.821
0.821
>>> round(pairs_needed(0.8), 1)
14.3
>>> effect_size_word(0.45, "en"), effect_size_word(-0.9, "pl")
('small', 'duża')
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.labels import code_label, fmt_number, get_locale, p_phrase, t
from evaltools.power import MDES_POWER, mdes_dz, pairs_needed, power_of_paired_t  # noqa: F401  (public here too)
from evaltools.schema import ordered_waves

#: Cohen (1988) benchmarks for a standardised mean difference d: small, medium, large.
COHEN_1988 = (0.2, 0.5, 0.8)

VERDICT_COLUMNS = ("instrument", "scale", "verdict")

_REFERENCE_METHOD = "complete_case"


# --------------------------------------------------------------------------- power

def _mdes_dz(n: float, alpha: float = 0.05, power: float = MDES_POWER) -> float:
    """:func:`evaltools.power.mdes_dz` for one n, as a float (where no change row gives ``mdes_dz``)."""
    return float(mdes_dz(n, alpha=alpha, power=power)[0])


# --------------------------------------------------------------------------- words for numbers

def effect_size_word(d: float, lang: str) -> str:
    """The size of a standardised mean difference in words, by Cohen's (1988) benchmarks.

    |d| < 0.2 negligible, < 0.5 small, < 0.8 medium, else large
    (:data:`COHEN_1988`; Cohen, J. 1988, *Statistical power analysis for the
    behavioral sciences*, 2nd ed., pp. 25–27). The sign is ignored. In Polish
    the word agrees with "wielkość (efektu)" (feminine). Missing → "unknown".
    :func:`benchmark_note` states the benchmarks and their source for a report;
    :func:`effect_size_range` adds the words of the ends of its CI.

    Examples
    --------
    >>> [effect_size_word(x, "en") for x in (0.1, 0.2, 0.5, -0.8)]
    ['negligible', 'small', 'medium', 'large']
    >>> effect_size_word(float("nan"), "pl")
    'nieznana'
    """
    d = _num(d)
    if math.isnan(d):
        return t("certainty.size.unknown", lang)
    return t(f"certainty.size.{_size_key(d)}", lang)


def effect_size_range(es: float, ci_low: float, ci_high: float, lang: str) -> str:
    """The words of both ends of an effect size's CI, when they differ from the estimate's word.

    An estimate's size word alone ("large") claims more than a wide interval
    supports, so the words of both ends (Cohen 1988, :func:`effect_size_word`)
    are added whenever one of them differs from the estimate's: ", but the
    data are consistent with anything from no change to a large one". An end
    on the other side of 0 from the estimate is "in the opposite direction";
    a negligible end (|d| < 0.2) of an interval that includes 0 is "no
    change". The end nearer to (or beyond) 0 is named first. Empty when the
    interval is missing or both ends have the estimate's word (and side).

    Examples
    --------
    >>> effect_size_range(0.94, -0.10, 1.92, "en")   # n = 6 (issue 14): "large" alone would overstate it
    ', but the data are consistent with anything from no change to a large one'
    >>> effect_size_range(-0.6, -1.3, 0.4, "pl")
    ', ale dane są zgodne ze wszystkim od małej zmiany w przeciwną stronę do dużej zmiany'
    >>> effect_size_range(0.9, 0.85, 1.2, "en")
    ''
    """
    es, lo, hi = _num(es), _num(ci_low), _num(ci_high)
    if not (math.isfinite(es) and math.isfinite(lo) and math.isfinite(hi)):
        return ""
    side = -1.0 if es < 0 else 1.0
    includes_zero = lo <= 0 <= hi
    ends = sorted((lo, hi), key=lambda e: e * side)          # nearer to (or beyond) 0 first
    kinds = [_end_kind(e, side) for e in ends]
    if all(k == _end_kind(es, side) for k in kinds):
        return ""
    words = [_end_words(k, includes_zero, lang) for k in kinds]
    return t("certainty.size_range.range", lang, lo=words[0], hi=words[1])


def _size_key(d: float) -> str:
    small, medium, large = COHEN_1988
    size = abs(d)
    return ("negligible" if size < small else "small" if size < medium
            else "medium" if size < large else "large")


def _end_kind(e: float, side: float) -> tuple[str, bool]:
    """(size word, opposite side) of one end; a negligible end has no side."""
    key = _size_key(e)
    return key, key != "negligible" and e * side < 0


def _end_words(kind: tuple[str, bool], includes_zero: bool, lang: str) -> str:
    key, opposite = kind
    if key == "negligible":
        return t("certainty.size_range.none" if includes_zero else "certainty.size_range.negligible", lang)
    words = t(f"certainty.size_range.{key}", lang)
    return t("certainty.size_range.opposite", lang, end=words) if opposite else words


def benchmark_note(lang: str) -> str:
    """One sentence naming the effect-size benchmarks and their source (Cohen 1988)."""
    return t("certainty.benchmark_note", lang)


def significance_word(p_t: float, p_holm: float, alpha: float, lang: str) -> str:
    """What a result may be called: "significant" only when the Holm-adjusted p is below ``alpha``.

    An unadjusted p below ``alpha`` whose adjusted value is not (or is
    missing) is said to be so, and is never called significant.

    Examples
    --------
    >>> significance_word(0.003, 0.009, 0.05, "en")
    'statistically significant after Holm correction'
    >>> significance_word(0.03, 0.09, 0.05, "en")
    'p < 0.05 only before correction for multiple tests; not statistically significant after Holm correction'
    >>> significance_word(0.2, 0.4, 0.05, "pl")
    'zmiana nieistotna statystycznie'
    """
    p_t, p_holm = _num(p_t), _num(p_holm)
    if math.isnan(p_t) and math.isnan(p_holm):
        return t("certainty.significance.not_tested", lang)
    if p_holm < alpha:
        return t("certainty.significance.holm", lang)
    if p_t < alpha:
        key = "no_holm" if math.isnan(p_holm) else "unadjusted_only"
        return t(f"certainty.significance.{key}", lang, alpha=_fmt_alpha(alpha, lang))
    return t("certainty.significance.not_significant", lang)


# --------------------------------------------------------------------------- sensitivity

def sensitivity_sentence(row: Mapping, lang: str, alpha: float = 0.05, *, power: float = 0.8) -> str:
    """The minimal detectable effect of one change row, read in words.

    ``row`` is a row of ``change.csv`` (a Series or dict) with ``n_pairs``,
    ``d_z``, ``mdes_dz``, ``p_holm`` and ``suppressed``. Three readings: the
    observed |d_z| is at least the MDES (the study was sensitive enough); it
    is below and not significant after Holm ("no significant change" is not
    evidence of no change); it is below yet significant (its size may be
    overestimated). The comparison uses the two-decimal values the sentence
    shows, so words and numbers agree. Without an ``mdes_dz`` value it is
    computed from ``n_pairs`` (:func:`power_of_paired_t` inverted).

    Examples
    --------
    >>> row = {"n_pairs": 14, "d_z": 0.45, "mdes_dz": 0.8101, "p_t": 0.11, "p_holm": 0.2}
    >>> sensitivity_sentence(row, "en")
    'With 14 pairs, only changes of d_z ≥ 0.81 could be detected reliably (80% power at α = 0.05); the observed d_z = 0.45 is below that in size, so “no significant change” here is not evidence of no change.'
    """
    if _is_true(_get(row, "suppressed")):
        return t("certainty.sensitivity.suppressed", lang)
    n = _num(_get(row, "n_pairs"))
    if math.isnan(n) or n < 2:
        return t("certainty.sensitivity.too_few", lang)
    mdes = _num(_get(row, "mdes_dz"))
    if math.isnan(mdes):
        mdes = _mdes_dz(n, alpha, power)
    d = _num(_get(row, "d_z"))
    fields = dict(n=fmt_number(int(n), lang), mdes=fmt_number(mdes, lang), alpha=_fmt_alpha(alpha, lang),
                  power=f"{power * 100:g}", d=fmt_number(d, lang))
    if not math.isfinite(d):
        return t("certainty.sensitivity.no_effect_size", lang, **fields)
    if round(abs(d), 2) >= round(mdes, 2):
        return t("certainty.sensitivity.above", lang, **fields)
    significant = _num(_get(row, "p_holm")) < alpha
    key = "below_significant" if significant else "below_not_significant"
    return t(f"certainty.sensitivity.{key}", lang, **fields)


# --------------------------------------------------------------------------- multiplicity

def multiplicity(change: pd.DataFrame, *, alpha: float = 0.05) -> dict:
    """How many tests the run made and which survive Holm.

    A test is a shown row of ``change.csv`` (not suppressed) with a ``p_t``,
    in any group and instrument. Returns a dict:

    - ``alpha``, ``n_tests``, ``n_families`` (distinct group × instrument
      among them: the Holm families of docs/statistics.md);
    - ``n_p_below_alpha``: unadjusted p_t < alpha;
    - ``n_surviving_holm``: p_holm < alpha;
    - ``n_lost_to_holm``: p_t < alpha but not p_holm;
    - ``surviving`` and ``lost``: lists of dicts (instrument, scale, group, p_t, p_holm), in table order.

    Examples
    --------
    >>> ch = pd.DataFrame({"instrument": "x", "scale": ["a", "b", "c"], "group": "all",
    ...                    "p_t": [0.01, 0.04, 0.5], "p_holm": [0.03, 0.08, 0.5], "suppressed": False})
    >>> m = multiplicity(ch)
    >>> m["n_tests"], m["n_p_below_alpha"], m["n_surviving_holm"], [r["scale"] for r in m["surviving"]]
    (3, 2, 1, ['a'])
    """
    p_t = _numeric(change, "p_t")
    p_holm = _numeric(change, "p_holm")
    shown = ~_suppressed_mask(change)
    tested = shown & p_t.notna()
    below = tested & (p_t < alpha)
    surviving = tested & (p_holm < alpha)
    lost = below & ~surviving

    def records(mask: pd.Series) -> list[dict]:
        return [{"instrument": change["instrument"].iloc[i], "scale": change["scale"].iloc[i],
                 "group": change["group"].iloc[i] if "group" in change else "all",
                 "p_t": float(p_t.iloc[i]), "p_holm": float(p_holm.iloc[i])}
                for i in np.flatnonzero(mask.to_numpy())]

    families = set()
    if "group" in change and len(change):
        families = set(zip(change["group"][tested], change["instrument"][tested]))
    elif len(change):
        families = set(change["instrument"][tested])
    return {"alpha": alpha, "n_tests": int(tested.sum()), "n_families": len(families),
            "n_p_below_alpha": int(below.sum()), "n_surviving_holm": int(surviving.sum()),
            "n_lost_to_holm": int(lost.sum()), "surviving": records(surviving), "lost": records(lost)}


def multiplicity_sentence(summary: dict, lang: str, *, instrument_titles: Mapping | None = None,
                          scale_titles: Mapping | None = None) -> str:
    """:func:`multiplicity`'s dict in words: the number of tests and what survives Holm."""
    if not summary.get("n_tests"):
        return t("certainty.multiplicity.none", lang)
    alpha = summary.get("alpha", 0.05)
    text = t("certainty.multiplicity.summary", lang, n_tests=summary["n_tests"],
             n_families=summary["n_families"], alpha=_fmt_alpha(alpha, lang),
             n_below=summary["n_p_below_alpha"], n_holm=summary["n_surviving_holm"])
    if summary.get("surviving"):
        rows = "; ".join(f"{_title(r['instrument'], r['scale'], instrument_titles, scale_titles)} "
                         f"({_group_label(r['group'], lang)})" for r in summary["surviving"])
        text += " " + t("certainty.multiplicity.surviving", lang, rows=rows)
    return text


# --------------------------------------------------------------------------- attrition

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
    att = _group_all(attrition_df)
    if att.empty:
        return t("certainty.attrition.not_available", lang)
    completers, dropouts = _numeric(att, "n_completers"), _numeric(att, "n_dropouts")
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
    p = _numeric(att, "p_value" if "p_value" in att else "p_welch")
    dropouts = _numeric(att, "n_dropouts")
    hidden = _suppressed_mask(att)
    testable = p.notna() & (dropouts > 0) & ~hidden
    if not testable.any():
        key = "difference_suppressed" if (hidden & (dropouts > 0)).any() else "not_tested"
        return t(f"certainty.attrition.{key}", lang)
    tested = att[testable.to_numpy()]
    p = p[testable]
    std_name = "std_diff" if "std_diff" in tested else "smd"
    std = _numeric(tested, std_name).abs()
    if std.notna().any():
        biggest = tested.iloc[int(np.nanargmax(std.to_numpy()))]
    else:
        biggest = tested.iloc[int(np.argmin(p.to_numpy()))]
    fields = dict(m=len(tested), sd=fmt_number(abs(_num(biggest.get(std_name))), lang),
                  scale=_title(biggest["instrument"], biggest["scale"], instrument_titles, scale_titles),
                  md=fmt_number(_num(biggest.get("mean_dropouts")), lang),
                  mc=fmt_number(_num(biggest.get("mean_completers")), lang))
    differed = tested[(p < alpha).to_numpy()]
    if differed.empty:
        text = t("certainty.attrition.no_difference", lang, **fields)
        if std.max() >= COHEN_1988[0]:
            text += t("certainty.attrition.notable_difference", lang)
        elif _numeric(tested, "n_dropouts").max() < 10:
            text += t("certainty.attrition.few_dropouts", lang)
        return text
    names = ", ".join(_title(r["instrument"], r["scale"], instrument_titles, scale_titles)
                      for _, r in differed.iterrows())
    return t("certainty.attrition.difference", lang, k=len(differed), names=names, **fields)


def _sensitivity_part(sens: pd.DataFrame | None, lang: str, instrument_titles, scale_titles) -> str:
    need = {"instrument", "scale", "method", "ci_low", "ci_high"}
    if sens is None or not need <= set(sens.columns):
        return t("certainty.attrition.sensitivity_missing", lang)
    sens = _group_all(sens)
    # a tipping point is a shift, not an estimate of change with a CI: it has no verdict
    sens = sens[~_suppressed_mask(sens).to_numpy() & (sens["method"].astype(str) != "tipping_point").to_numpy()]
    if sens.empty:
        return t("certainty.attrition.sensitivity_missing", lang)
    methods = list(dict.fromkeys(sens["method"].astype(str)))
    reference = _REFERENCE_METHOD if _REFERENCE_METHOD in methods else methods[0]
    others = [m for m in methods if m != reference]
    if not others:
        return t("certainty.attrition.sensitivity_missing", lang)
    lo, hi = _numeric(sens, "ci_low"), _numeric(sens, "ci_high")
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
            moved.append(_title(instrument, scale, instrument_titles, scale_titles))
    if compared == 0:
        return t("certainty.attrition.sensitivity_missing", lang)
    names = "; ".join(_method_label(m, lang) for m in others)
    if not moved:
        return t("certainty.attrition.sensitivity_same", lang, methods=names)
    return t("certainty.attrition.sensitivity_moves", lang, methods=names, k=len(moved), m=compared,
             names=", ".join(moved))


def _group_all(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of group ``all`` when the frame has a ``group`` column, else all rows."""
    if "group" not in df:
        return df
    return df[(df["group"] == "all").to_numpy()]


def _method_label(method: str, lang: str) -> str:
    try:
        return t(f"certainty.method.{method}", lang)
    except KeyError:
        return method


# --------------------------------------------------------------------------- design statement

def design_statement(*, waves: list[str], n_per_group: Mapping[str, int], period_start, period_end,
                     first_wave_date=None, last_wave_date=None, comparison_group: bool = False,
                     lang: str, alpha: float = 0.05, n_respondents: Mapping[str, int] | None = None) -> str:
    """What this design can and cannot show, generated from the data (markdown).

    Parameters
    ----------
    waves : list of str
        The waves present (any order; shown in time order).
    n_per_group : mapping of str to int
        People per ``group`` value (``"all"`` first; component codes and
        participants.group values as in the output tables).
    period_start, period_end : date-like
        The programme period (project.yaml).
    first_wave_date, last_wave_date : date-like, optional
        When the first and the last wave were measured (e.g. the median
        questionnaire date of each); with both, the time between them is
        stated. A first wave more than 30 days after the programme began is
        flagged.
    comparison_group : bool
        Whether the data hold a comparison group.
    lang : {"pl", "en"}
    alpha : float
        Significance level for the sensitivity paragraph.
    n_respondents : mapping of str to int, optional
        People per group measured at baseline (at least one questionnaire
        score: :func:`respondents`, :func:`group_sizes`). The sensitivity
        rests on them: people never surveyed can form no pair. Without it
        the sensitivity uses ``n_per_group``.

    Returns three paragraphs: the facts (design name, waves, comparison group,
    n per group, period), what the design can and cannot show with the usual
    alternative explanations (maturation, regression to the mean,
    seasonality and outside events, measurement reactivity), and the
    sensitivity that the numbers of people allow (80 % power at ``alpha``).

    Examples
    --------
    >>> text = design_statement(waves=["baseline"], n_per_group={"all": 26, "youth": 6},
    ...                         period_start="2021-01-01", period_end="2021-12-31", lang="en")
    >>> text.splitlines()[0]
    '**Baseline description (one measurement, no change yet).** Waves: baseline. Comparison group: none. People: everyone 26, youth independence programme 6. Programme period: 2021-01-01 – 2021-12-31 (about 12 months).'
    """
    ordered = ordered_waves(waves)
    start, end = _date(period_start), _date(period_end)
    first, last = _date(first_wave_date), _date(last_wave_date)

    if len(ordered) >= 2:
        kind = "comparison" if comparison_group else "pre_post"
        name = t(f"certainty.design.name.{kind}", lang)
    elif ordered == ["baseline"]:
        kind = "baseline_only"
        name = t("certainty.design.name.baseline_only", lang)
    else:
        kind = "single_wave"
        wave = code_label("wave", ordered[0], lang) if ordered else "–"
        name = t("certainty.design.name.single_wave", lang, wave=wave)

    if len(ordered) >= 2 and first is not None and last is not None:
        span = t("certainty.design.span", lang, months=_months(first, last))
    elif start is not None and end is not None:
        span = t("certainty.design.period_span", lang, months=_months(start, end))
    else:
        span = ""
    groups = ", ".join(f"{_group_label(g, lang)} {fmt_number(int(n), lang)}" for g, n in n_per_group.items()
                       if not pd.isna(n))
    comparison = t(f"certainty.design.comparison_{'present' if comparison_group else 'absent'}", lang)
    facts = t("certainty.design.facts", lang, name=name,
              waves=", ".join(code_label("wave", w, lang) for w in ordered) or "–",
              comparison=comparison, groups=groups or "–",
              start=_date_text(start), end=_date_text(end), span=span)
    if first is not None and start is not None and (first - start).days > 30:
        facts += " " + t("certainty.design.late_baseline", lang, days=(first - start).days)

    paragraphs = [facts, t(f"certainty.design.{kind}", lang)]
    if n_respondents is not None:
        sensitivity = _design_sensitivity(n_respondents, kind, lang, alpha, measured=True)
    else:
        sensitivity = _design_sensitivity(n_per_group, kind, lang, alpha)
    if sensitivity:
        paragraphs.append(sensitivity)
    return "\n\n".join(paragraphs)


def _design_sensitivity(n_per_group: Mapping[str, int], kind: str, lang: str, alpha: float,
                        measured: bool = False) -> str:
    if kind == "single_wave":
        return ""
    sizes = {g: int(n) for g, n in n_per_group.items() if n is not None and not pd.isna(n)}
    n_all = sizes.get("all", max(sizes.values(), default=0))
    if n_all < 2:
        return ""
    key = "sensitivity_planned" if kind == "baseline_only" else "sensitivity_done"
    key += "_measured" if measured else ""
    text = t(f"certainty.design.{key}", lang, n=fmt_number(n_all, lang), alpha=_fmt_alpha(alpha, lang),
             mdes=fmt_number(_mdes_dz(n_all, alpha), lang))
    others = {g: n for g, n in sizes.items() if g != "all" and n >= 2}
    if others:
        group = min(others, key=others.get)
        text += t("certainty.design.sensitivity_smallest", lang, group=_group_label(group, lang),
                  n=fmt_number(others[group], lang), mdes=fmt_number(_mdes_dz(others[group], alpha), lang))
    return text + "."


# --------------------------------------------------------------------------- verdicts

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
        title = _title(row["instrument"], row["scale"], instrument_titles, scale_titles)
        rc = _reliable_row(reliable_change, row["instrument"], row["scale"])
        hib = _lookup(higher_is_better, row["instrument"], row["scale"])
        out.append({"instrument": row["instrument"], "scale": row["scale"],
                    "verdict": _verdict_line(row, rc, title, hib, lang, alpha, min_cell)})
    return pd.DataFrame(out, columns=list(VERDICT_COLUMNS))


def _verdict_line(row: pd.Series, rc: pd.Series | None, title: str, hib: bool | None,
                  lang: str, alpha: float, min_cell: int | None = None) -> str:
    n = _num(row.get("n_pairs"))
    n_text = fmt_number(0 if math.isnan(n) else int(n), lang)
    if not n > 0:  # nobody has both waves: nothing was measured, nothing is hidden
        return t("certainty.verdict.not_measured", lang, title=title)
    if _is_true(row.get("suppressed")):
        if min_cell is None:
            return t("certainty.verdict.suppressed", lang, title=title, n=n_text)
        key = "suppressed_below" if n < min_cell else "suppressed_complement"
        return t(f"certainty.verdict.{key}", lang, title=title, n=n_text, min_cell=fmt_number(int(min_cell), lang))
    diff = _num(row.get("mean_diff"))
    if n < 2 or math.isnan(diff):
        return t("certainty.verdict.no_pairs", lang, title=title, n=n_text)

    lo, hi = _num(row.get("ci_low")), _num(row.get("ci_high"))
    if lo == hi:  # sd of the differences is 0: everyone changed by the same amount, which is no test
        key = "no_change_at_all" if diff == 0 else "same_change"
        return t(f"certainty.verdict.{key}", lang, title=title, n=n_text, diff=_fmt_signed(diff, lang))

    # a direction only when the CI excludes 0 (and p < alpha); firmly only when it survives Holm
    p_t, p_holm = _num(row.get("p_t")), _num(row.get("p_holm"))
    if not (lo > 0 or hi < 0) or not p_t < alpha or diff == 0:
        direction = t("certainty.verdict.unclear", lang)
    else:
        strength = "" if p_holm < alpha else "possible_"
        rose = diff > 0
        word = ("rose" if rose else "fell") if hib is None else ("improved" if rose == hib else "worsened")
        direction = t(f"certainty.verdict.{strength}{word}", lang)

    level = _num(row.get("ci_level"))
    level = 1 - alpha if math.isnan(level) else level
    ci_zero = t("certainty.verdict.ci_zero", lang) if lo <= 0 <= hi else ""

    g_av, d_z = _num(row.get("g_av")), _num(row.get("d_z"))
    if math.isfinite(g_av):
        es_name, es = "g_av", g_av
        es_lo, es_hi = _num(row.get("g_av_ci_low")), _num(row.get("g_av_ci_high"))
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
        worse = _num(rc.get("n_deteriorated"))
        if worse > 0:
            rc_text += t("certainty.verdict.reliable_worse", lang, k=int(worse))

    power_text = ""
    mdes = _num(row.get("mdes_dz"))
    if math.isnan(mdes):
        mdes = _mdes_dz(n, alpha)
    if not p_holm < alpha and math.isfinite(d_z) and round(abs(d_z), 2) < round(mdes, 2):
        power_text = "; " + t("certainty.sensitivity.underpowered_short", lang, n=n_text,
                              mdes=fmt_number(mdes, lang))

    return t("certainty.verdict.line", lang, title=title, direction=direction, diff=_fmt_signed(diff, lang),
             ci_level=f"{level * 100:g}", lo=fmt_number(lo, lang), hi=fmt_number(hi, lang), ci_zero=ci_zero,
             size=effect_size_word(es, lang), es_name=es_name, es=fmt_number(es, lang), es_ci=es_ci,
             size_range=effect_size_range(es, es_lo, es_hi, lang),
             significance=significance_word(p_t, p_holm, alpha, lang), p_name=p_name, p=_fmt_p(p, lang),
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
    if _is_true(row.get("suppressed")) or not _num(row.get("n_pairs")) > 0 or math.isnan(_num(row.get("n_improved"))):
        return None
    return row


# --------------------------------------------------------------------------- small helpers

def _get(row, key):
    try:
        return row.get(key)
    except AttributeError:
        return getattr(row, key, None)


def _num(x) -> float:
    """A float, NaN for anything missing (None, pd.NA, NaT, text)."""
    if x is None or x is pd.NA:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _numeric(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df:
        return pd.Series(np.nan, index=df.index, dtype="float64")
    return pd.to_numeric(df[column], errors="coerce").astype("float64")


def _is_true(x) -> bool:
    """``suppressed`` as read from memory (bool) or from a CSV ("True", "true", 1)."""
    if x is None or x is pd.NA:
        return False
    if isinstance(x, str):
        return x.strip().lower() in {"true", "1", "yes"}
    try:
        return bool(x) and not (isinstance(x, float) and math.isnan(x))
    except (TypeError, ValueError):
        return False


def _suppressed_mask(df: pd.DataFrame) -> pd.Series:
    if "suppressed" not in df:
        return pd.Series(False, index=df.index)
    return df["suppressed"].map(_is_true).astype(bool)


def _lookup(mapping: Mapping | None, instrument: str, scale: str):
    if not mapping:
        return None
    for key in ((instrument, scale), scale, instrument):
        if key in mapping:
            return mapping[key]
    return None


def _title(instrument: str, scale: str, instrument_titles: Mapping | None, scale_titles: Mapping | None) -> str:
    inst = (instrument_titles or {}).get(instrument, instrument)
    titles = scale_titles or {}
    sc = titles.get((instrument, scale)) or titles.get(scale) or scale
    return f"{inst} – {sc}"


def _group_label(group: str, lang: str) -> str:
    if group == "all":
        return t("certainty.group_all", lang)
    return code_label("component", group, lang)


def _fmt_alpha(alpha: float, lang: str) -> str:
    return f"{alpha:g}".replace(".", get_locale(lang).decimal)


def _fmt_signed(x: float, lang: str) -> str:
    x = _num(x)
    text = fmt_number(x, lang)
    return "+" + text if x > 0 and text != "–" else text


def _fmt_p(p, lang: str) -> str:
    """'= 0.012' or '< 0.001' (three decimals), '= –' when missing."""
    return p_phrase(_num(p), lang, name="").lstrip()


def _date(x) -> pd.Timestamp | None:
    if x is None:
        return None
    try:
        stamp = pd.Timestamp(x)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(stamp) else stamp


def _date_text(x: pd.Timestamp | None) -> str:
    return "–" if x is None else x.strftime("%Y-%m-%d")


def _months(a: pd.Timestamp, b: pd.Timestamp) -> int:
    return max(0, round((b - a).days / 30.44))


# --------------------------------------------------------------------------- clustered change, regression to the mean

def _row_title(row, title: str | None) -> str:
    return title or f"{_get(row, 'instrument')} – {_get(row, 'scale')}"


def _count(row, key) -> int:
    n = _num(_get(row, key))
    return 0 if math.isnan(n) else int(n)


def clustered_sentence(row: Mapping, paired_row: Mapping, lang: str, *, alpha: float = 0.05,
                       title: str | None = None) -> str:
    """Which conclusion changes when family clustering is taken into account, for one row.

    ``row`` is a row of :func:`evaltools.clustering.clustered_change`,
    ``paired_row`` the row of ``change.csv`` with the same instrument, scale
    and group. The paired t-test's ``p_t`` and the family-clustered ``p``
    are compared at ``alpha``; the test on family means is quoted beside
    them. Words in ``labels/clustering.yaml``.

    Examples
    --------
    >>> row = {"instrument": "x", "scale": "s", "n_pairs": 30, "n_families": 12, "p": 0.21, "family_p": 0.25,
    ...        "icc": 0.41, "design_effect": 1.62, "mean_diff": 0.3, "se_robust": 0.2}
    >>> print(clustered_sentence(row, {"p_t": 0.03}, "en"))  # doctest: +NORMALIZE_WHITESPACE
    x – s (30 people in 12 families, intra-family correlation of change 0.41, design effect 1.62;
    paired t-test p = 0.030, family-clustered test p = 0.210, test on family means p = 0.250):
    the conclusion changes – the paired test finds the change significant (p < 0.05), but once family
    members are allowed to change alike it is not; it should not be presented as established.
    """
    title = _row_title(row, title)
    n, g = _count(row, "n_pairs"), _count(row, "n_families")
    if n == 0:
        return t("clustering.not_measured", lang, title=title)
    if _is_true(_get(row, "suppressed")):
        return t("clustering.suppressed", lang, title=title, n=fmt_number(n, lang))
    p_paired, p_cluster = _num(_get(paired_row, "p_t")), _num(_get(row, "p"))
    if g == n:
        return t("clustering.one_per_family", lang, title=title, g=fmt_number(g, lang))
    if g < 3:
        return t("clustering.too_few_families", lang, title=title, g=fmt_number(g, lang),
                 p_paired=_fmt_p(p_paired, lang))
    if _num(_get(row, "se_robust")) == 0:
        return t("clustering.no_variance", lang, title=title, diff=_fmt_signed(_get(row, "mean_diff"), lang))
    numbers = t("clustering.numbers", lang, n=fmt_number(n, lang), g=fmt_number(g, lang),
                icc=fmt_number(_num(_get(row, "icc")), lang), deff=fmt_number(_num(_get(row, "design_effect")), lang),
                p_paired=_fmt_p(p_paired, lang), p_cluster=_fmt_p(p_cluster, lang),
                p_family=_fmt_p(_get(row, "family_p"), lang))
    paired_sig, cluster_sig = p_paired < alpha, p_cluster < alpha
    key = ("both_significant" if paired_sig and cluster_sig else "lost" if paired_sig
           else "gained" if cluster_sig else "neither")
    return t(f"clustering.{key}", lang, title=title, numbers=numbers, alpha=_fmt_alpha(alpha, lang))


def rtm_sentence(row: Mapping, lang: str, *, title: str | None = None) -> str:
    """A row of :func:`evaltools.regression_to_mean.regression_to_mean` in words.

    Without a reference mean (or without a reliability) it says that a
    one-group design can neither estimate nor rule out regression to the
    mean; with both it gives ``expected_rtm`` and the change beyond it, as an
    estimate resting on the norms. It never reassures on the strength of the
    baseline–change correlation or of a subgroup's change. Words in
    ``labels/clustering.yaml``.

    Examples
    --------
    >>> row = {"instrument": "x", "scale": "s", "n_pairs": 35, "baseline_mean": 2.21, "mean_diff": 0.35,
    ...        "reference_mean": None, "reliability": 0.75, "expected_rtm": None}
    >>> print(rtm_sentence(row, "en").split(". ")[1])  # doctest: +NORMALIZE_WHITESPACE
    A one-group before–after design can neither estimate nor rule out regression to the mean:
    without a reference mean from published norms it is unknown how much of this change would
    have happened anyway in people enrolled because they were struggling
    """
    title = _row_title(row, title)
    n = _count(row, "n_pairs")
    if n == 0:
        return t("regression_to_mean.not_measured", lang, title=title)
    if _is_true(_get(row, "suppressed")):
        return t("regression_to_mean.suppressed", lang, title=title, n=fmt_number(n, lang))
    fields = dict(title=title, n=fmt_number(n, lang), diff=_fmt_signed(_get(row, "mean_diff"), lang))
    reference, r = _num(_get(row, "reference_mean")), _num(_get(row, "reliability"))
    expected = _num(_get(row, "expected_rtm"))
    if math.isnan(reference):
        return t("regression_to_mean.no_reference", lang, **fields)
    if math.isnan(r) or math.isnan(expected):
        return t("regression_to_mean.no_reliability", lang, reference=fmt_number(reference, lang), **fields)
    return t("regression_to_mean.estimated", lang, baseline=fmt_number(_num(_get(row, "baseline_mean")), lang),
             reference=fmt_number(reference, lang), r=fmt_number(r, lang), expected=_fmt_signed(expected, lang),
             beyond=_fmt_signed(_get(row, "change_beyond_rtm"), lang), **fields)


def clustered_sentences(clustered: pd.DataFrame, change: pd.DataFrame, lang: str, *, alpha: float = 0.05,
                        group: str = "all", instrument_titles: Mapping | None = None,
                        scale_titles: Mapping | None = None) -> list[str]:
    """:func:`clustered_sentence` for every ``group`` row of ``clustered_change.csv``, beside ``change.csv``.

    >>> clustered_sentences(pd.DataFrame(columns=["instrument", "scale", "group"]),
    ...                     pd.DataFrame(columns=["instrument", "scale", "group", "p_t"]), "en")
    []
    """
    paired = {(i, s, g): p for i, s, g, p in change[["instrument", "scale", "group", "p_t"]].itertuples(index=False)}
    out = []
    for _, row in clustered[clustered["group"] == group].iterrows():
        key = (row["instrument"], row["scale"])
        out.append(clustered_sentence(row, {"p_t": paired.get((*key, group))}, lang, alpha=alpha,
                                      title=_title(*key, instrument_titles, scale_titles)))
    return out


def rtm_sentences(rtm: pd.DataFrame, lang: str, *, instrument_titles: Mapping | None = None,
                  scale_titles: Mapping | None = None) -> list[str]:
    """:func:`rtm_sentence` for every row of ``regression_to_mean.csv``.

    >>> rtm_sentences(pd.DataFrame(columns=["instrument", "scale"]), "pl")
    []
    """
    return [rtm_sentence(row, lang, title=_title(row["instrument"], row["scale"], instrument_titles, scale_titles))
            for _, row in rtm.iterrows()]


# --------------------------------------------------------------------------- tables the report's words are made of

def wave_dates(questionnaires: Mapping[str, pd.DataFrame], *, waves: list[str]) -> pd.DataFrame:
    """The date of each wave: the median of its questionnaires' ``date`` (``wave, date``).

    A wave with no readable date is left out; waves come in the order of
    ``waves``. Feeds ``first_wave_date``/``last_wave_date`` of
    :func:`design_statement`.

    >>> q = pd.DataFrame({"wave": ["baseline", "baseline", "endline"],
    ...                   "date": ["2021-01-01", "2021-01-03", "not a date"]})
    >>> wave_dates({"x": q}, waves=["baseline", "endline"]).to_dict("list")
    {'wave': ['baseline'], 'date': [Timestamp('2021-01-02 00:00:00')]}
    """
    frames = [q[["wave", "date"]] for q in questionnaires.values() if "date" in q.columns]
    dated = pd.concat(frames) if frames else pd.DataFrame(columns=["wave", "date"])
    dated = dated.assign(date=pd.to_datetime(dated["date"], errors="coerce")).dropna()
    medians = [(w, dated.loc[dated["wave"] == w, "date"].median()) for w in waves]
    rows = [(w, d) for w, d in medians if pd.notna(d)]
    return pd.DataFrame(rows, columns=["wave", "date"])


def respondents(scores: pd.DataFrame, *, wave: str = "baseline") -> list[str]:
    """The people with at least one questionnaire score at ``wave`` (sorted ids).

    ``scores`` is the long table of :func:`evaltools.scoring.score_all`. Only
    they can form a pair, so the design's sensitivity rests on them
    (``respondents`` of :func:`group_sizes`), not on everyone registered.

    >>> s = pd.DataFrame({"participant_id": ["P2", "P1", "P3", "P1"], "wave": ["baseline", "baseline", "baseline",
    ...                   "endline"], "score": [2.0, 3.0, None, 3.5]})
    >>> respondents(s)
    ['P1', 'P2']
    """
    measured = scores.loc[(scores["wave"] == wave) & scores["score"].notna(), "participant_id"]
    return sorted(measured.dropna().astype("str").unique())


def group_sizes(participants: pd.DataFrame, *, respondents: list[str] | None = None) -> pd.DataFrame:
    """People per output group (``group, n``): ``all`` first, then as :func:`evaltools.change.group_membership`.

    Feeds ``n_per_group`` of :func:`design_statement`; with ``respondents``
    (ids, e.g. :func:`respondents`) only those registered people count, which
    feeds its ``n_respondents``. The groups stay the same.

    >>> p = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "components": ["youth", "youth;legal", None],
    ...                   "group": ["G1", None, "G1"]})
    >>> group_sizes(p).to_dict("list")
    {'group': ['all', 'youth', 'legal', 'G1'], 'n': [3, 2, 1, 2]}
    >>> group_sizes(p, respondents=["P1", "P3", "P9"]).to_dict("list")
    {'group': ['all', 'youth', 'legal', 'G1'], 'n': [2, 1, 0, 2]}
    """
    from evaltools.change import group_membership

    if respondents is not None:
        counted = set(map(str, respondents))
        groups = group_sizes(participants)
        people = participants[participants["participant_id"].astype("str").isin(counted)]
        sizes = dict(group_sizes(people).itertuples(index=False))
        return groups.assign(n=[int(sizes.get(g, 0)) for g in groups["group"]])
    membership = group_membership(participants)
    counts = membership.groupby("group", sort=False)["participant_id"].nunique()
    rows = [("all", int(participants["participant_id"].nunique()))]
    rows += [(str(g), int(n)) for g, n in counts.items() if g != "all"]
    return pd.DataFrame(rows, columns=["group", "n"])


def reportable_change(change: pd.DataFrame) -> pd.DataFrame:
    """The rows of a change table that the words speak of: group ``all``, not suppressed.

    >>> ch = pd.DataFrame({"group": ["all", "all", "G1"], "suppressed": [False, True, False]})
    >>> len(reportable_change(ch))
    1
    """
    return change[(change["group"] == "all") & ~_suppressed_mask(change)]


# --------------------------------------------------------------------------- Holm families

#: The ``holm_family`` of the confirmatory tests (:data:`evaltools.change.PRIMARY_FAMILY`).
PRIMARY_HOLM_FAMILY = "primary"


def _holm_tests(change: pd.DataFrame) -> pd.DataFrame:
    """The rows Holm adjusted: shown, with a ``p_t`` and a ``holm_family``."""
    if "holm_family" not in change or len(change) == 0:
        return change.iloc[0:0]
    family = change["holm_family"]
    tested = ~_suppressed_mask(change) & _numeric(change, "p_t").notna() & family.notna() & (family != "")
    return change[tested.to_numpy()]


def holm_family_phrase(change: pd.DataFrame, family: str, lang: str, *,
                       instrument_titles: Mapping | None = None) -> str:
    """Which tests one Holm correction of ``change.csv`` covered, as a phrase for a sentence.

    ``family`` is a ``holm_family`` value: ``primary`` gives "across the 4
    primary outcomes", an exploratory family "within the 3 scales of
    Empowerment" (with "in the group …" for a group other than ``all``). The
    count is of the family's tests (shown rows with a p_t).

    Examples
    --------
    >>> ch = pd.DataFrame({"instrument": ["emp", "emp", "emp", "rec"], "scale": ["a", "v", "v", "c"],
    ...                    "group": ["all", "all", "G1", "all"], "p_t": [0.01, 0.2, 0.3, 0.04],
    ...                    "suppressed": False, "holm_family": ["primary", "emp/all", "emp/G1", "primary"]})
    >>> holm_family_phrase(ch, "primary", "en"), holm_family_phrase(ch, "primary", "pl")
    ('across the 2 primary outcomes', 'łącznie dla 2 wyników głównych')
    >>> holm_family_phrase(ch, "emp/G1", "en", instrument_titles={"emp": "Empowerment"})
    'within the 1 scale of Empowerment in the group G1'
    """
    rows = _holm_tests(change)
    rows = rows[(rows["holm_family"] == family).to_numpy()]
    n = len(rows)
    if family == PRIMARY_HOLM_FAMILY:
        return t("holm.across_primary", lang, n=n)
    first = rows.iloc[0] if n else None
    instrument = str(first["instrument"]) if first is not None else family.split("/", 1)[0]
    group = str(first["group"]) if first is not None and "group" in rows else "all"
    title = (instrument_titles or {}).get(instrument, instrument)
    if group == "all":
        return t("holm.within_instrument", lang, n=n, instrument=title)
    return t("holm.within_instrument_group", lang, n=n, instrument=title, group=_group_label(group, lang))


def holm_families_sentence(change: pd.DataFrame, lang: str, *, alpha: float = 0.05,
                           instrument_titles: Mapping | None = None) -> str:
    """Which family each Holm correction covered, and that only primary results are confirmatory.

    With a ``primary`` family (project.yaml's ``primary_outcomes``): the
    correction across the primary outcomes, how many of them are
    significant after it, and that every other result is exploratory,
    corrected within the scales of one instrument in one group (the first
    exploratory family of group ``all`` as the example). Without one: every
    result is exploratory. A table without tests (or without
    ``holm_family``) says that no test was made.

    Examples
    --------
    >>> ch = pd.DataFrame({"instrument": ["emp", "emp", "rec"], "scale": ["a", "v", "c"], "group": "all",
    ...                    "p_t": [0.01, 0.2, 0.04], "p_holm": [0.02, 0.2, 0.04], "suppressed": False,
    ...                    "holm_family": ["primary", "emp/all", "primary"]})
    >>> print(holm_families_sentence(ch, "en", instrument_titles={"emp": "Empowerment"}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Confirmatory results: the Holm correction was applied across the 2 primary outcomes named in project.yaml
    before the endline (group: everyone); significant after the correction: 2. Only these results confirm
    (or fail to confirm) the change the programme set out to make. Every other result is exploratory: it was
    corrected within the scales of one instrument in one group (e.g. within the 1 scale of Empowerment).
    Such results point to where change may lie; they do not confirm it.
    """
    rows = _holm_tests(change)
    if len(rows) == 0:
        return t("certainty.multiplicity.none", lang)
    family = rows["holm_family"].astype("str")
    primary = (family == PRIMARY_HOLM_FAMILY).to_numpy()
    exploratory = rows[~primary]
    example = ""
    if len(exploratory):
        of_all = exploratory[(exploratory["group"] == "all").to_numpy()] if "group" in exploratory else exploratory
        pick = of_all if len(of_all) else exploratory
        example = holm_family_phrase(change, str(pick["holm_family"].iloc[0]), lang,
                                     instrument_titles=instrument_titles)
    if not primary.any():
        return t("holm.exploratory_only", lang, example=example)
    n_significant = int((_numeric(rows, "p_holm")[primary] < alpha).sum())
    text = t("holm.confirmatory", lang, across=holm_family_phrase(change, PRIMARY_HOLM_FAMILY, lang),
             n_significant=n_significant)
    if len(exploratory):
        text += " " + t("holm.exploratory_rest", lang, example=example)
    return text
