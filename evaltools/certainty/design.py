"""The design statement: what a design can and cannot show, generated from the data."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from evaltools.certainty.phrases import alpha_text, group_label
from evaltools.labels import code_label, fmt_number, t
from evaltools.power import mdes_of_paired_t
from evaltools.schema import ordered_waves


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

    kind, name = _design_name(ordered, comparison_group, lang)
    if len(ordered) >= 2 and first is not None and last is not None:
        span = t("certainty.design.span", lang, months=_months(first, last))
    elif start is not None and end is not None:
        span = t("certainty.design.period_span", lang, months=_months(start, end))
    else:
        span = ""
    groups = ", ".join(f"{group_label(g, lang)} {fmt_number(int(n), lang)}" for g, n in n_per_group.items()
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


def _design_name(ordered: list[str], comparison_group: bool, lang: str) -> tuple[str, str]:
    """The design's kind (the catalogue key) and its name in ``lang``."""
    if len(ordered) >= 2:
        kind = "comparison" if comparison_group else "pre_post"
        return kind, t(f"certainty.design.name.{kind}", lang)
    if ordered == ["baseline"]:
        return "baseline_only", t("certainty.design.name.baseline_only", lang)
    wave = code_label("wave", ordered[0], lang) if ordered else "–"
    return "single_wave", t("certainty.design.name.single_wave", lang, wave=wave)


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
    text = t(f"certainty.design.{key}", lang, n=fmt_number(n_all, lang), alpha=alpha_text(alpha, lang),
             mdes=fmt_number(mdes_of_paired_t(n_all, alpha), lang))
    others = {g: n for g, n in sizes.items() if g != "all" and n >= 2}
    if others:
        group = min(others, key=others.get)
        text += t("certainty.design.sensitivity_smallest", lang, group=group_label(group, lang),
                  n=fmt_number(others[group], lang), mdes=fmt_number(mdes_of_paired_t(others[group], alpha), lang))
    return text + "."


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
