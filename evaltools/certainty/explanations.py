"""Other explanations of a change in words: family clustering and regression to the mean."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from evaltools.certainty.cells import as_float, is_true, row_value, whole_count
from evaltools.certainty.phrases import alpha_text, p_text, row_title, scale_title, signed_number
from evaltools.labels import fmt_number, t


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
    title = row_title(row, title)
    n, g = whole_count(row, "n_pairs"), whole_count(row, "n_families")
    if n == 0:
        return t("clustering.not_measured", lang, title=title)
    if is_true(row_value(row, "suppressed")):
        return t("clustering.suppressed", lang, title=title, n=fmt_number(n, lang))
    p_paired, p_cluster = as_float(row_value(paired_row, "p_t")), as_float(row_value(row, "p"))
    if g == n:
        return t("clustering.one_per_family", lang, title=title, g=fmt_number(g, lang))
    if g < 3:
        return t("clustering.too_few_families", lang, title=title, g=fmt_number(g, lang),
                 p_paired=p_text(p_paired, lang))
    if as_float(row_value(row, "se_robust")) == 0:
        return t("clustering.no_variance", lang, title=title, diff=signed_number(row_value(row, "mean_diff"), lang))
    numbers = t("clustering.numbers", lang, n=fmt_number(n, lang), g=fmt_number(g, lang),
                icc=fmt_number(as_float(row_value(row, "icc")), lang),
                deff=fmt_number(as_float(row_value(row, "design_effect")), lang),
                p_paired=p_text(p_paired, lang), p_cluster=p_text(p_cluster, lang),
                p_family=p_text(row_value(row, "family_p"), lang))
    paired_sig, cluster_sig = p_paired < alpha, p_cluster < alpha
    key = ("both_significant" if paired_sig and cluster_sig else "lost" if paired_sig
           else "gained" if cluster_sig else "neither")
    return t(f"clustering.{key}", lang, title=title, numbers=numbers, alpha=alpha_text(alpha, lang))


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
    title = row_title(row, title)
    n = whole_count(row, "n_pairs")
    if n == 0:
        return t("regression_to_mean.not_measured", lang, title=title)
    if is_true(row_value(row, "suppressed")):
        return t("regression_to_mean.suppressed", lang, title=title, n=fmt_number(n, lang))
    fields = dict(title=title, n=fmt_number(n, lang), diff=signed_number(row_value(row, "mean_diff"), lang))
    reference, r = as_float(row_value(row, "reference_mean")), as_float(row_value(row, "reliability"))
    expected = as_float(row_value(row, "expected_rtm"))
    if math.isnan(reference):
        return t("regression_to_mean.no_reference", lang, **fields)
    if math.isnan(r) or math.isnan(expected):
        return t("regression_to_mean.no_reliability", lang, reference=fmt_number(reference, lang), **fields)
    return t("regression_to_mean.estimated", lang, baseline=fmt_number(as_float(row_value(row, "baseline_mean")), lang),
             reference=fmt_number(reference, lang), r=fmt_number(r, lang), expected=signed_number(expected, lang),
             beyond=signed_number(row_value(row, "change_beyond_rtm"), lang), **fields)


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
                                      title=scale_title(*key, instrument_titles, scale_titles)))
    return out


def rtm_sentences(rtm: pd.DataFrame, lang: str, *, instrument_titles: Mapping | None = None,
                  scale_titles: Mapping | None = None) -> list[str]:
    """:func:`rtm_sentence` for every row of ``regression_to_mean.csv``.

    >>> rtm_sentences(pd.DataFrame(columns=["instrument", "scale"]), "pl")
    []
    """
    return [rtm_sentence(row, lang, title=scale_title(row["instrument"], row["scale"], instrument_titles, scale_titles))
            for _, row in rtm.iterrows()]
