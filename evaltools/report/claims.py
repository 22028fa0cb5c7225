"""The head of a run's index: one row per claim of the programme, a forest figure of effect sizes, a glossary.

:func:`claims` picks the evidence of each claim from the tables a run wrote
(the primary outcomes of project.yaml, social ties, outputs against targets);
:func:`head_html` lays it out for :mod:`evaltools.report.summary`. Nothing
here computes a statistic: verdict words come from :mod:`evaltools.certainty`.
"""

from __future__ import annotations

import datetime as _dt
import html
import re

import pandas as pd

from evaltools.labels import has, p_phrase, pick, t
from evaltools.report.html import html_table, notebook_title
from evaltools.report.page import cell_text, count_or_share_text, number_text, titles

#: The class of the report's tables: text left-aligned, numbers right-aligned, on the index and on notebook pages.
TABLE_CLASS = "evaltools-table"


def inline_markdown(text: str) -> str:
    r"""A little markdown (``**bold**``, ``*italic*``, backslash escapes) as escaped HTML.

    An escaped character (``\*``, ``\<``: text from the data, see
    :func:`plain_markdown`) is shown as itself and starts no emphasis.

    >>> inline_markdown(r"**Bold** \*not\* \<b\>")
    '<strong>Bold</strong> *not* &lt;b&gt;'
    """
    escaped: list[str] = []

    def keep(m):
        escaped.append(m.group(1))
        return f"\x00{len(escaped) - 1}\x00"

    out = re.sub(r"\\([!-/:-@\[-`{-~])", keep, text.strip())
    out = html.escape(out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<!\*)\*(?!\s)(.+?)(?<!\s)\*(?!\*)", r"<em>\1</em>", out)
    out = re.sub(r"^#+\s*", "", out)
    out = re.sub(r"\x00(\d+)\x00", lambda m: html.escape(escaped[int(m.group(1))]), out)
    return out.replace("\n", "<br>")


def json_value(v):
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, _dt.date)):
        return v.isoformat()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v


def higher_is_better_of(project) -> dict:
    return {(i, s.id): s.higher_is_better for i, ins in project.instruments.items() for s in ins.scales}


def has_comparison(summary: dict) -> bool:
    """Whether the head speaks of change compared with a comparison group."""
    return any(c.get("measure") == "did" for c in summary.get("claims") or [])


# --------------------------------------------------------------------------- the index's head: claims and forest

#: The notebook pages that hold the evidence of each kind of claim (links relative to ``html/``).
EVIDENCE = {"outcome": "20_outcomes_change.html", "ties": "30_social_ties.html",
            "activities": "40_outputs_targets.html", "people": "40_outputs_targets.html",
            "reach": "40_outputs_targets.html"}
#: Which ``count`` of a target (project.yaml) makes it an activity, a count of people, or reach.
TARGET_KINDS = {"sessions": "activities", "groups": "activities", "participants": "people", "families": "people",
                "improved": "people", "reach": "reach"}


def outcome_anchor(instrument: str, scale: str) -> str:
    """The in-page anchor of an outcome's conclusion on the outcomes page (``html/20_outcomes_change.html``).

    Made of lower-case letters, digits and hyphens only, whatever the ids hold.

    >>> outcome_anchor("empowerment", "agency"), outcome_anchor("Moja skala", "łącznie")
    ('outcome-empowerment-agency', 'outcome-moja-skala-cznie')
    """
    return "outcome-" + re.sub(r"[^a-z0-9]+", "-", f"{instrument}-{scale}".lower()).strip("-")


def claim_outcomes(project, change: pd.DataFrame | None) -> list[tuple[str, str]]:
    """The outcomes the programme claims to change: project.yaml's ``primary_outcomes`` as (instrument, scale).

    Without ``primary_outcomes``, the first scale of each instrument (the
    instruments in project.yaml's order).

    >>> from types import SimpleNamespace
    >>> scales = [SimpleNamespace(id="a"), SimpleNamespace(id="b")]
    >>> p = SimpleNamespace(config={}, instruments={"x": SimpleNamespace(scales=scales)})
    >>> claim_outcomes(p, None), claim_outcomes(SimpleNamespace(config={"primary_outcomes": ["x/b"]}), None)
    ([('x', 'a')], [('x', 'b')])
    """
    named = project.config.get("primary_outcomes") or []
    if named:
        return [tuple(str(p).split("/", 1)) for p in named if "/" in str(p)]
    return [(i, ins.scales[0].id) for i, ins in project.instruments.items() if ins.scales]


def change_direction(row, *, higher_is_better: bool | None = None, alpha: float = 0.05) -> str:
    """A change row's verdict as a code: the rule of :func:`evaltools.certainty.verdicts`, in one word.

    ``not_measured`` (no pairs), ``hidden`` (suppressed), ``no_estimate``
    (fewer than 2 pairs), ``same`` (everyone changed by the same amount);
    else a direction only when the CI excludes 0 and ``p_t`` < ``alpha``,
    firmly when ``p_holm`` < ``alpha`` too (``improved``, ``worsened``, or
    ``rose``/``fell`` when no direction is better), ``possible_…`` when only
    the unadjusted p is below ``alpha``, and ``unclear`` otherwise. The
    codes are keys of ``certainty.verdict`` or ``report.claims.verdict``.

    >>> row = {"n_pairs": 30, "mean_diff": 0.4, "ci_low": 0.1, "ci_high": 0.7, "p_t": 0.01, "p_holm": 0.03}
    >>> change_direction(row, higher_is_better=True), change_direction({**row, "p_holm": 0.2})
    ('improved', 'possible_rose')
    >>> change_direction({**row, "ci_low": -0.1}), change_direction({"n_pairs": 3, "suppressed": True})
    ('unclear', 'hidden')
    """
    n = _float(row.get("n_pairs"))
    if not n > 0:
        return "not_measured"
    if row.get("suppressed") is True or str(row.get("suppressed")).lower() == "true":
        return "hidden"
    diff = _float(row.get("mean_diff"))
    if n < 2 or diff != diff:
        return "no_estimate"
    lo, hi = _float(row.get("ci_low")), _float(row.get("ci_high"))
    if lo == hi:
        return "same"
    p_t, p_holm = _float(row.get("p_t")), _float(row.get("p_holm"))
    if not (lo > 0 or hi < 0) or not p_t < alpha or diff == 0:
        return "unclear"
    rose = diff > 0
    word = ("rose" if rose else "fell") if higher_is_better is None else (
        "improved" if rose == higher_is_better else "worsened")
    return word if p_holm < alpha else f"possible_{word}"


def comparison_direction(row, *, higher_is_better: bool | None = None, alpha: float = 0.05) -> str:
    """A ``comparison.csv`` row's verdict as a code: a direction only when the CI of ``did`` excludes 0 and p < alpha.

    >>> row = {"did": 0.3, "did_ci_low": 0.1, "did_ci_high": 0.5, "did_p": 0.01}
    >>> comparison_direction(row, higher_is_better=True), comparison_direction({**row, "did_ci_low": -0.1})
    ('better_than_comparison', 'unclear_vs_comparison')
    """
    if row.get("suppressed") is True or str(row.get("suppressed")).lower() == "true":
        return "hidden"
    did, lo, hi, p = (_float(row.get(k)) for k in ("did", "did_ci_low", "did_ci_high", "did_p"))
    if did != did:
        return "no_estimate"
    if not (lo > 0 or hi < 0) or not p < alpha:
        return "unclear_vs_comparison"
    if higher_is_better is None:
        return "more_than_comparison" if did > 0 else "less_than_comparison"
    return "better_than_comparison" if (did > 0) == higher_is_better else "worse_than_comparison"


def _float(x) -> float:
    try:
        return float("nan") if x is None or x is pd.NA else float(x)
    except (TypeError, ValueError):
        return float("nan")


def _row(df: pd.DataFrame | None, **keys) -> dict | None:
    """The first row of ``df`` whose columns equal ``keys`` (as a dict), or None."""
    if df is None or df.empty:
        return None
    mask = pd.Series(True, index=df.index)
    for k, v in keys.items():
        if k not in df.columns:
            return None
        mask &= df[k] == v
    hits = df[mask.to_numpy()]
    return None if hits.empty else {k: json_value(v) for k, v in hits.iloc[0].items()}


def claims(project, *, change: pd.DataFrame | None, reliable_change: pd.DataFrame | None = None,
           indicators: pd.DataFrame | None, network_change: pd.DataFrame | None = None,
           comparison: pd.DataFrame | None = None, lang: str, alpha: float = 0.05) -> list[dict]:
    """One record per claim of the programme, for the head of the index: codes and numbers, no sentences.

    - each outcome of :func:`claim_outcomes`: the ``all`` row of
      ``change.csv`` (its mean change with CI and the verdict code of
      :func:`change_direction`), or, with a comparison arm, the row of
      ``comparison.csv`` (``did`` with its CI, :func:`comparison_direction`);
    - social ties: the ``ego_network``/``size`` change row (more people named counts as better) and the
      ``density`` row of ``network_change.csv``;
    - activities, people and families, reach: the rows of ``indicators.csv``
      by their target's ``count`` (:data:`TARGET_KINDS`): how many targets
      are met, partly met, not met, not measured; reach also the value of
      its first target against that target.

    ``label`` is in ``lang`` (the scale's or the target's title); verdicts
    and numbers are worded when the page is drawn.
    """
    _, scale_titles = titles(project, lang)
    inst_titles = titles(project, lang)[0]
    hib = higher_is_better_of(project)
    primary = bool(project.config.get("primary_outcomes"))
    out: list[dict] = []
    for inst, scale in claim_outcomes(project, change):
        label = f"{inst_titles.get(inst, inst)} – {scale_titles.get((inst, scale), scale)}"
        rec = {"kind": "outcome", "instrument": inst, "scale": scale, "label": label, "primary": primary,
               "link": f"{EVIDENCE['outcome']}#{outcome_anchor(inst, scale)}"}
        out.append(_outcome_claim(rec, change, comparison, higher_is_better=hib.get((inst, scale)), alpha=alpha))
    ties = _ties_claim(change, network_change, lang=lang, alpha=alpha)
    if ties is not None:
        out.append(ties)
    if indicators is not None and len(indicators):
        out += _indicator_claims(project, indicators, lang)
    return out


def _outcome_claim(rec: dict, change: pd.DataFrame | None, comparison: pd.DataFrame | None, *,
                   higher_is_better: bool | None, alpha: float) -> dict:
    """``rec`` (an outcome's claim) with its measure, verdict and numbers, from comparison.csv or change.csv."""
    inst, scale = rec["instrument"], rec["scale"]
    row = _row(change, instrument=inst, scale=scale, group="all")
    versus = _row(comparison, instrument=inst, scale=scale)
    if versus is not None:
        rec.update(measure="did", verdict=comparison_direction(versus, higher_is_better=higher_is_better,
                                                               alpha=alpha),
                   estimate=versus.get("did"), ci_low=versus.get("did_ci_low"),
                   ci_high=versus.get("did_ci_high"), n=versus.get("n_programme"),
                   suppressed=bool(versus.get("suppressed")))
    elif row is not None:
        rec.update(measure="mean_diff", verdict=change_direction(row, higher_is_better=higher_is_better,
                                                                 alpha=alpha),
                   estimate=row.get("mean_diff"), ci_low=row.get("ci_low"), ci_high=row.get("ci_high"),
                   g_av=row.get("g_av"), g_av_ci_low=row.get("g_av_ci_low"),
                   g_av_ci_high=row.get("g_av_ci_high"), n=row.get("n_pairs"),
                   suppressed=bool(row.get("suppressed")))
    elif change is None:  # the outcomes page did not run: nothing is known, which is not "not measured"
        rec.update(measure="mean_diff", verdict="no_result")
    else:
        rec.update(measure="mean_diff", verdict="not_measured", n=0)
    return rec


def _ties_claim(change: pd.DataFrame | None, network_change: pd.DataFrame | None, *, lang: str,
                alpha: float) -> dict | None:
    """The social-ties claim: the ego_network/size change row and the density row; None without either."""
    ties = _row(change, instrument="ego_network", scale="size", group="all")
    density = _row(network_change, measure="density")
    if ties is None and density is None:
        return None
    rec = {"kind": "ties", "label": t("report.claims.ties", lang), "link": EVIDENCE["ties"], "measure": "size"}
    if change is None:
        rec["verdict"] = "no_result"
    elif ties is not None:
        rec.update(verdict=change_direction(ties, higher_is_better=True, alpha=alpha),
                   estimate=ties.get("mean_diff"),
                   ci_low=ties.get("ci_low"), ci_high=ties.get("ci_high"), g_av=ties.get("g_av"),
                   g_av_ci_low=ties.get("g_av_ci_low"), g_av_ci_high=ties.get("g_av_ci_high"),
                   n=ties.get("n_pairs"), suppressed=bool(ties.get("suppressed")))
    if density is not None:
        rec["density"] = {k: density.get(k) for k in ("baseline", "endline", "p_value")}
    return rec


def _indicator_claims(project, indicators: pd.DataFrame, lang: str) -> list[dict]:
    """One claim per kind of target (activities, people, reach) present in ``indicators``: status counts."""
    by_id = {str(tg.get("id")): tg for tg in project.targets}
    kinds = {i: TARGET_KINDS.get(str(tg.get("count")), "people") for i, tg in by_id.items()}
    ind = indicators.assign(kind=indicators["indicator_id"].astype(str).map(kinds).fillna("people"))
    # the reach of the whole programme (a reach target without `where`) first, then the others
    ind = ind.assign(_narrow=[bool(by_id.get(str(i), {}).get("where")) for i in ind["indicator_id"]])
    ind = ind.sort_values("_narrow", kind="stable")
    out = []
    for kind in ("activities", "people", "reach"):
        part = ind[ind["kind"] == kind]
        if part.empty:
            continue
        counts = {s.replace(" ", "_"): int((part["status"] == s).sum())
                  for s in ("met", "partly", "not met", "not measured")}
        rec = {"kind": kind, "link": EVIDENCE[kind], "n": int(len(part)), **counts,
               "label": t(f"report.claims.{kind}", lang, label="")}
        if kind == "reach":
            first = part.iloc[0]
            name = pick(by_id.get(str(first["indicator_id"]), {}).get("label"), lang, default=first["label"])
            rec.update(label=t("report.claims.reach", lang, label=str(name)),
                       value=json_value(first["value"]), target=json_value(first["target"]),
                       status=str(first["status"]))
        out.append(rec)
    return out


def forest_rows(project, change: pd.DataFrame, *, lang: str) -> list[dict]:
    """The rows of the index's forest figure: every instrument scale of group ``all`` and the ego network's size.

    The claimed outcomes (:func:`claim_outcomes`) are marked ``primary``
    when project.yaml names ``primary_outcomes``; columns are those of
    :data:`evaltools.plots.forest.FOREST_COLUMNS`.
    """
    inst_titles, scale_titles = titles(project, lang)
    primary = set(claim_outcomes(project, change)) if project.config.get("primary_outcomes") else set()
    rows = change[(change["group"] == "all") & ((change["instrument"] != "ego_network") | (change["scale"] == "size"))]
    out = []
    for r in rows.to_dict("records"):
        key = (r["instrument"], r["scale"])
        out.append({"label": f"{inst_titles.get(key[0], key[0])} – {scale_titles.get(key, key[1])}",
                    "primary": key in primary, "ci_level": json_value(r.get("ci_level")),
                    **{k: json_value(r.get(k)) for k in ("g_av", "g_av_ci_low", "g_av_ci_high", "n_pairs",
                                                            "suppressed")}})
    return out


def forest_png(summary: dict, lang: str) -> bytes | None:
    """The forest figure of ``summary["forest"]`` as PNG bytes (texts drawn as text), or None when there is none."""
    rows = summary.get("forest")
    if not rows:
        return None
    import io

    import matplotlib as mpl

    from evaltools.plots.forest import claims_forest
    from evaltools.plots.grid import FixedFigure
    from evaltools.plots.literal import LITERAL_RC, plain_texts

    frame = pd.DataFrame(rows)
    level = pd.to_numeric(frame.get("ci_level"), errors="coerce").dropna()
    fig = claims_forest(frame, lang=lang, min_cell=int(summary.get("min_cell") or 5),
                        ci_level=float(level.iloc[0]) if len(level) else 1 - float(summary.get("alpha", 0.05)))
    buffer = io.BytesIO()
    with mpl.rc_context(LITERAL_RC):
        plain_texts(fig).savefig(buffer, format="png", dpi=100,
                                 bbox_inches=None if isinstance(fig, FixedFigure) else "tight")
    return buffer.getvalue()


def head_html(summary: dict, lang: str, *, base: str = "html/") -> list[str]:
    """The head of the index: one row per claim (verdict in words, one number with its CI, a link) and the forest.

    ``base`` is the path from the page to the notebook pages (``html/`` on
    the run's index, empty on the summary notebook's own page).
    """
    import base64

    e = html.escape
    rows = [claim_cells(c, lang, base) for c in summary.get("claims") or []]
    if not rows:
        return []
    parts = [f"<h2>{e(t('report.claims.title', lang))}</h2>", f"<p>{e(t('report.claims.intro', lang))}</p>"]
    if has_comparison(summary):
        parts.append(f"<p>{e(t('report.claims.intro_comparison', lang))}</p>")
    parts.append(html_table([t(f"report.claims.col_{k}", lang) for k in ("claim", "verdict", "number", "evidence")],
                        rows, css="evaltools-table claims"))
    png = forest_png(summary, lang)
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<p><img class='forest' src='data:image/png;base64,{data}' "
                     f"alt='{e(t('report.forest.alt', lang))}'></p>")
    parts.append(f"<p>{e(t('report.index.how_sure_link', lang))} "
                 f"<a href='{e(base)}20_outcomes_change.html'>{e(notebook_title('20_outcomes_change', lang))}</a></p>")
    return parts


def claim_cells(c: dict, lang: str, base: str) -> list[str]:
    """The four cells of one claim: what was claimed, the verdict in words, the number, the link."""
    from evaltools import certainty

    e = html.escape
    label = e(str(c.get("label", "")))
    if c.get("kind") == "outcome" and c.get("primary"):
        label += f" <span class='note'>{e(t('report.claims.primary', lang))}</span>"
    link = f"<a href='{e(base + str(c['link']))}'>{e(t('report.claims.evidence', lang))}</a>"
    if c["kind"] in ("activities", "people", "reach"):
        counts = {k: c.get(k, 0) for k in ("met", "partly", "not_met", "not_measured")}
        if c["kind"] == "reach":
            verdict = cell_text("status", c.get("status"), lang, None, 2)
            value, target = c.get("value"), c.get("target")
            pct = round(100 * value / target) if value is not None and target else 0
            number = t("report.claims.reach_number", lang, value=number_text(value, lang, 0), target=number_text(target, lang, 0),
                       pct=pct)
        else:
            key = "all_met" if counts["met"] == c["n"] else "some_met"
            verdict = t(f"report.claims.verdict.{key}", lang, met=counts["met"], n=c["n"])
            number = t("report.claims.targets_number", lang, n=c["n"], **counts)
        return [label, e(verdict), e(number), link]
    code = c.get("verdict")
    number = ""
    if code is not None:
        verdict = t(f"certainty.verdict.{code}", lang) if has(f"certainty.verdict.{code}") and code not in (
            "not_measured", "same") else t(f"report.claims.verdict.{code}", lang)
        if c.get("g_av") is not None and code not in ("hidden", "not_measured", "no_estimate", "same", "no_result"):
            # the size word with the words of both ends of its CI when they differ (Cohen 1988; docs/statistics.md)
            size = certainty.effect_size_word(c["g_av"], lang) + certainty.effect_size_range(
                c["g_av"], _float(c.get("g_av_ci_low")), _float(c.get("g_av_ci_high")), lang)
            verdict = t("report.claims.size", lang, direction=verdict, size=size)
        if code == "hidden":
            number = t("report.claims.hidden_number", lang, n=number_text(c.get("n"), lang, 0))
        elif code == "not_measured":
            number = t("report.claims.not_measured_number", lang)
        elif c.get("estimate") is not None:
            key = {"did": "change_vs_comparison", "size": "ties_number"}.get(c.get("measure"), "change")
            number = t(f"report.claims.{key}", lang, diff=_signed(c["estimate"], lang), lo=number_text(c.get("ci_low"), lang),
                       hi=number_text(c.get("ci_high"), lang), n=number_text(c.get("n"), lang, 0))
    else:
        verdict = ""
    density = c.get("density")
    if density and density.get("p_value") is not None:
        number += ("; " if number else "") + t("report.claims.density", lang, before=count_or_share_text(density["baseline"], lang),
                                               after=count_or_share_text(density["endline"], lang),
                                               p=p_phrase(density["p_value"], lang))
    return [label, e(verdict), e(number), link]


def _signed(x, lang: str) -> str:
    """A number with its sign (+0.35, −0.10)."""
    text_ = number_text(x, lang)
    return text_ if text_.startswith(("-", "−", "–")) or _float(x) == 0 else "+" + text_


def glossary_html(lang: str, *, comparison: bool = False) -> list[str]:
    """The glossary: the words of the page (mean change, CI, effect size g, Holm, reliable change) in ``lang``.

    ``comparison`` adds the change compared with a comparison group.
    """
    keys = ("mean_change", "ci", "g", "holm", "reliable") + (("comparison",) if comparison else ())
    items = "".join(f"<li>{inline_markdown(t(f'report.glossary.{k}', lang))}</li>" for k in keys)
    return [f"<h2 id='glossary'>{html.escape(t('report.glossary.title', lang))}</h2><ul class='glossary'>{items}</ul>"]
