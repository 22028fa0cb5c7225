"""Words for numbers: the size of an effect, what a p-value allows, what the study could detect."""

from __future__ import annotations

import math
from collections.abc import Mapping

from evaltools.certainty.cells import as_float, is_true, row_value
from evaltools.certainty.phrases import alpha_text
from evaltools.labels import fmt_number, t
from evaltools.power import mdes_of_paired_t

#: Cohen (1988) benchmarks for a standardised mean difference d: small, medium, large.
COHEN_1988 = (0.2, 0.5, 0.8)


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
    d = as_float(d)
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
    es, lo, hi = as_float(es), as_float(ci_low), as_float(ci_high)
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
    p_t, p_holm = as_float(p_t), as_float(p_holm)
    if math.isnan(p_t) and math.isnan(p_holm):
        return t("certainty.significance.not_tested", lang)
    if p_holm < alpha:
        return t("certainty.significance.holm", lang)
    if p_t < alpha:
        key = "no_holm" if math.isnan(p_holm) else "unadjusted_only"
        return t(f"certainty.significance.{key}", lang, alpha=alpha_text(alpha, lang))
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
    if is_true(row_value(row, "suppressed")):
        return t("certainty.sensitivity.suppressed", lang)
    n = as_float(row_value(row, "n_pairs"))
    if math.isnan(n) or n < 2:
        return t("certainty.sensitivity.too_few", lang)
    mdes = as_float(row_value(row, "mdes_dz"))
    if math.isnan(mdes):
        mdes = mdes_of_paired_t(n, alpha, power)
    d = as_float(row_value(row, "d_z"))
    fields = dict(n=fmt_number(int(n), lang), mdes=fmt_number(mdes, lang), alpha=alpha_text(alpha, lang),
                  power=f"{power * 100:g}", d=fmt_number(d, lang))
    if not math.isfinite(d):
        return t("certainty.sensitivity.no_effect_size", lang, **fields)
    if round(abs(d), 2) >= round(mdes, 2):
        return t("certainty.sensitivity.above", lang, **fields)
    significant = as_float(row_value(row, "p_holm")) < alpha
    key = "below_significant" if significant else "below_not_significant"
    return t(f"certainty.sensitivity.{key}", lang, **fields)
