"""How many tests a run made, and which Holm correction covered which of them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaltools.certainty.cells import float_column, suppressed_mask
from evaltools.certainty.phrases import alpha_text, group_label, scale_title
from evaltools.labels import t


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
    p_t = float_column(change, "p_t")
    p_holm = float_column(change, "p_holm")
    shown = ~suppressed_mask(change)
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
             n_families=summary["n_families"], alpha=alpha_text(alpha, lang),
             n_below=summary["n_p_below_alpha"], n_holm=summary["n_surviving_holm"])
    if summary.get("surviving"):
        rows = "; ".join(f"{scale_title(r['instrument'], r['scale'], instrument_titles, scale_titles)} "
                         f"({group_label(r['group'], lang)})" for r in summary["surviving"])
        text += " " + t("certainty.multiplicity.surviving", lang, rows=rows)
    return text


#: The ``holm_family`` of the confirmatory tests (:data:`evaltools.change.PRIMARY_FAMILY`).
PRIMARY_HOLM_FAMILY = "primary"


def _holm_tests(change: pd.DataFrame) -> pd.DataFrame:
    """The rows Holm adjusted: shown, with a ``p_t`` and a ``holm_family``."""
    if "holm_family" not in change or len(change) == 0:
        return change.iloc[0:0]
    family = change["holm_family"]
    tested = ~suppressed_mask(change) & float_column(change, "p_t").notna() & family.notna() & (family != "")
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
    return t("holm.within_instrument_group", lang, n=n, instrument=title, group=group_label(group, lang))


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
    n_significant = int((float_column(rows, "p_holm")[primary] < alpha).sum())
    text = t("holm.confirmatory", lang, across=holm_family_phrase(change, PRIMARY_HOLM_FAMILY, lang),
             n_significant=n_significant)
    if len(exploratory):
        text += " " + t("holm.exploratory_rest", lang, example=example)
    return text
