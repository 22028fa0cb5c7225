"""The run's headline: ``summary.json`` (``90_summary``), the "How sure" words, and the run's ``index.html``.

:func:`summarise` reads the tables the other notebooks wrote (typed, see
:func:`read_table`) and asks :mod:`evaltools.certainty` for the words;
:func:`render_run_index` turns the manifest and the summary into the page a
supervisor opens. Nothing here computes a statistic.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from pathlib import Path

import pandas as pd

from evaltools.labels import check_lang, fmt_number, has, p_phrase, pick, t
from evaltools.report.html import _failure_text, _page, _table, notebook_title
from evaltools.report.page import (_INT_COLUMNS, _auto, _cell, _date, _num, _p, _when, column_label, markdown,
                                   plain_markdown, titles)


# --------------------------------------------------------------------------- summary.json (90_summary)

#: Columns of the result tables that hold True/False (read back as the nullable ``boolean`` dtype).
BOOL_COLUMNS = ("suppressed",)


def read_table(out_dir: str | Path, name: str) -> pd.DataFrame | None:
    """``<out_dir>/tables/<name>.csv`` as written by :func:`~evaltools.report.page.save_table`, typed; ``None`` if absent.

    True/False columns (:data:`BOOL_COLUMNS`) come back as pandas' ``boolean``
    dtype (an empty cell is ``<NA>``), numbers as numbers.

    >>> import tempfile
    >>> from evaltools.report.page import save_table
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = save_table(pd.DataFrame({"n": [1, 2], "suppressed": [True, None]}), "x", d)
    ...     read_table(d, "x")["suppressed"].tolist(), read_table(d, "y")
    ([True, <NA>], None)
    """
    path = Path(out_dir) / "tables" / f"{name}.csv"
    if not path.is_file():
        return None
    columns = pd.read_csv(path, encoding="utf-8", nrows=0).columns
    return pd.read_csv(path, encoding="utf-8", dtype={c: "boolean" for c in BOOL_COLUMNS if c in columns})


def summarise(out_dir: str | Path, *, project, phase: str, lang: str, alpha: float = 0.05) -> dict:
    """The headline numbers of a run, from its ``tables/``, written to ``<out_dir>/summary.json``.

    Reads the tables the other notebooks wrote (:func:`read_table`; a table
    that is missing leaves its part empty) and adds the plain-language
    lines of :mod:`evaltools.certainty` (verdicts, the design statement).
    Rows of group ``all`` only: the index page shows the programme as a
    whole. Nothing here is an identifier: counts, statistics and words.
    """
    from evaltools import certainty

    out_dir = Path(out_dir)
    lang = check_lang(lang)
    start, end = project.period
    summary: dict = {
        "project": {"name": project.name, "period": {"start": start.date().isoformat(), "end": end.date().isoformat()}},
        "phase": phase, "lang": lang, "alpha": alpha, "min_cell": project.min_cell,
        "participants": int(len(project.participants)),
    }
    inst_titles, scale_titles = titles(project, lang)
    md_inst, md_scales = _markdown_titles(project, lang)
    tables = {name: read_table(out_dir, name) for name in
              ("indicators", "change", "reliable_change", "network", "network_change", "data_quality")}
    ind = tables["indicators"]
    if ind is not None:
        summary["targets"] = {
            "counts": {s: int((ind["status"] == s).sum()) for s in ("met", "partly", "not met")},
            "rows": _records(ind[["indicator_id", "label", "target", "value", "ratio", "status"]]),
        }
    change, rc = tables["change"], tables["reliable_change"]
    if change is not None:
        keep = ["instrument", "scale", "n_pairs", "mean_pre", "mean_post", "mean_diff", "ci_low", "ci_high",
                "g_av", "g_av_ci_low", "g_av_ci_high", "p_t", "p_holm", "suppressed"]
        summary["change"] = _records(_titled(change, keep, inst_titles, scale_titles))
    if rc is not None:
        keep = ["instrument", "scale", "n_pairs", "n_improved", "n_unchanged", "n_deteriorated", "n_recovered",
                "suppressed"]
        summary["reliable_change"] = _records(_titled(rc, keep, inst_titles, scale_titles))
    for name in ("network", "network_change"):
        if tables[name] is not None:
            summary[name] = _records(tables[name])
    if change is not None:
        verdicts = certainty.verdicts(change, rc, lang=lang, alpha=alpha, instrument_titles=md_inst,
                                      scale_titles=md_scales, higher_is_better=_higher_is_better(project),
                                      min_cell=project.min_cell)
        summary["verdicts"] = [str(v) for v in verdicts["verdict"].dropna()]
    summary["claims"] = claims(project, change=change, reliable_change=rc, indicators=ind,
                               network_change=tables["network_change"], comparison=read_table(out_dir, "comparison"),
                               lang=lang, alpha=alpha)
    if change is not None:
        summary["forest"] = forest_rows(project, change, lang=lang)
    summary["design"] = design_text(project, lang=lang, alpha=alpha, phase=phase)
    if tables["data_quality"] is not None:
        summary["data_quality"] = _records(named_tables_only(tables["data_quality"], project))
    path = out_dir / "summary.json"
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8")
    return summary


def named_tables_only(quality: pd.DataFrame, project) -> pd.DataFrame:
    """``data_quality`` with a row about a file that is not a table counted as ``other_files``, not named.

    The name of a stray file in the data folder (``notatki Anna Nowak.txt``)
    may be a person's: it stays with whoever runs ``validate``.

    >>> from types import SimpleNamespace
    >>> q = pd.DataFrame({"table": ["participants", "Kowalski.csv", "x.txt", "q_gse"], "check": "c",
    ...                   "n_rows_affected": [1, 1, 1, 2], "severity": "warning"})
    >>> named_tables_only(q, SimpleNamespace(instruments={"gse": None}))["table"].tolist()
    ['participants', 'other_files', 'q_gse']
    """
    from evaltools.schema import TABLES

    known = set(TABLES) | {f"q_{i}" for i in getattr(project, "instruments", {})} | {"project.yaml"}
    known |= {f"instruments/{i}.yaml" for i in getattr(project, "instruments", {})}
    out = quality.assign(table=quality["table"].where(quality["table"].isin(known), "other_files"))
    keys = ["table", "check", "severity"]
    summed = out.groupby(keys, sort=False, dropna=False)["n_rows_affected"].sum().reset_index()
    return summed[[c for c in quality.columns if c in summed.columns]]


def _titled(df: pd.DataFrame, keep: list[str], inst_titles: dict, scale_titles: dict) -> pd.DataFrame:
    """The rows of group ``all``, the ``keep`` columns present, with the instrument's and scale's titles."""
    rows = df.loc[df["group"] == "all", [c for c in keep if c in df.columns]]
    return rows.assign(title=rows["instrument"].map(inst_titles).fillna(rows["instrument"]),
                       scale_title=[scale_titles.get((i, s), s) for i, s in zip(rows["instrument"], rows["scale"])])


def _markdown_titles(project, lang: str) -> tuple[dict, dict]:
    """:func:`titles` as markdown that shows them as text (:func:`plain_markdown`), for certainty's sentences."""
    inst, scales = titles(project, lang)
    return {k: plain_markdown(v) for k, v in inst.items()}, {k: plain_markdown(v) for k, v in scales.items()}


def _markdown_group(group) -> str:
    """A ``group`` value for certainty's markdown: ``all`` and component codes as they are, other values as text."""
    g = str(group)
    return g if g == "all" or has(f"code.component.{g}") else plain_markdown(g)


def design_text(project, *, lang: str, alpha: float = 0.05, phase: str = "endline") -> str:
    """The design statement of :func:`evaltools.certainty.design_statement` for this project, as markdown.

    Group names from the data are escaped (:func:`plain_markdown`): they
    read as text wherever the markdown is rendered.

    The waves are the project's (baseline only in a baseline run); the
    date of a wave is the median questionnaire date of that wave
    (:func:`evaltools.certainty.wave_dates`), the group sizes those of
    :func:`evaltools.certainty.group_sizes`; the sensitivity rests on the
    people with a baseline score (:func:`evaltools.certainty.respondents`).
    """
    from evaltools import certainty
    from evaltools.scoring import score_all

    waves = list(project.waves) if phase == "endline" else [w for w in project.waves if w == "baseline"]
    dates = dict(certainty.wave_dates(project.questionnaires, waves=waves).itertuples(index=False))
    sizes = {_markdown_group(g): n for g, n in certainty.group_sizes(project.participants).itertuples(index=False)}
    measured = certainty.respondents(score_all(project.questionnaires, project.instruments))
    n_measured = {_markdown_group(g): n for g, n in
                  certainty.group_sizes(project.participants, respondents=measured).itertuples(index=False)}
    start, end = project.period
    text = certainty.design_statement(
        waves=waves, n_per_group=sizes, n_respondents=n_measured, period_start=start, period_end=end,
        first_wave_date=dates.get(waves[0]) if waves else None,
        last_wave_date=dates.get(waves[-1]) if len(waves) > 1 else None,
        comparison_group=getattr(project, "has_comparison", False), lang=lang, alpha=alpha)
    if "followup" in waves:
        text += "\n\n" + t("arms.design.followup_after", lang)
    return text


def how_sure(project, *, scores: pd.DataFrame, change: pd.DataFrame, reliable_change: pd.DataFrame | None,
             attrition: pd.DataFrame | None, sensitivity: pd.DataFrame | None, lang: str, alpha: float = 0.05,
             clustered: pd.DataFrame | None = None, rtm: pd.DataFrame | None = None):
    """The "How sure can we be?" section: :mod:`evaltools.certainty`'s words, assembled as markdown.

    ``clustered`` (``clustered_change.csv``) adds what changes when family
    members' changes are not taken as independent; ``rtm``
    (``regression_to_mean.csv``) what can be said of regression to the mean.
    """
    from evaltools import certainty

    inst, scales = _markdown_titles(project, lang)
    named = {"instrument_titles": inst, "scale_titles": scales}
    change = change.assign(group=change["group"].map(_markdown_group)) if "group" in change else change

    def title(r) -> str:
        return f"{inst.get(r['instrument'], r['instrument'])} – {scales.get((r['instrument'], r['scale']), r['scale'])}"

    verdicts = certainty.verdicts(change, reliable_change, lang=lang, alpha=alpha,
                                  higher_is_better=_higher_is_better(project), min_cell=project.min_cell, **named)
    parts = [t("report.nb20.how_sure_title", lang), design_text(project, lang=lang, alpha=alpha),
             t("report.nb20.verdicts", lang),
             _list(f"<a id='{outcome_anchor(r.instrument, r.scale)}'></a>{r.verdict}"
                   for r in verdicts.dropna(subset=["verdict"]).itertuples(index=False)),
             certainty.multiplicity_sentence(certainty.multiplicity(change, alpha=alpha), lang, **named),
             certainty.attrition_sentence(attrition, sensitivity, lang, alpha=alpha, **named),
             _list(f"{title(r)}: {certainty.sensitivity_sentence(r, lang, alpha)}"
                   for r in certainty.reportable_change(change).to_dict("records"))]
    if clustered is not None and len(clustered):
        parts.append(t("report.nb20.clustered_title", lang))
        parts.append(_list(certainty.clustered_sentences(clustered, change, lang, alpha=alpha, **named)))
    if rtm is not None and len(rtm):
        parts.append(t("report.nb20.regression", lang))
        parts.append(_list(certainty.rtm_sentences(rtm, lang, **named)))
    parts.append(certainty.benchmark_note(lang))
    return markdown("\n\n".join(p for p in parts if p))


def _list(lines) -> str:
    """Markdown bullets of ``lines`` (empty when there is none)."""
    return "\n".join(f"- {line}" for line in lines)


def _higher_is_better(project) -> dict:
    return {(i, s.id): s.higher_is_better for i, ins in project.instruments.items() for s in ins.scales}


def show_summary(summary: dict, *, lang: str):
    """The headline numbers of :func:`summarise` as they appear on the run's index page."""
    from IPython.display import HTML

    lang = check_lang(lang)
    return HTML("\n".join(head_html(summary, lang, base="") + _headline_html(summary, lang)
                          + _glossary_html(lang, comparison=_has_comparison(summary))))


def _has_comparison(summary: dict) -> bool:
    """Whether the head speaks of change compared with a comparison group."""
    return any(c.get("measure") == "did" for c in summary.get("claims") or [])


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _json_default(v) for k, v in row.items()} for row in df.to_dict("records")]


def _json_default(v):
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
    return None if hits.empty else {k: _json_default(v) for k, v in hits.iloc[0].items()}


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
    hib = _higher_is_better(project)
    primary = bool(project.config.get("primary_outcomes"))
    out: list[dict] = []
    for inst, scale in claim_outcomes(project, change):
        label = f"{inst_titles.get(inst, inst)} – {scale_titles.get((inst, scale), scale)}"
        rec = {"kind": "outcome", "instrument": inst, "scale": scale, "label": label, "primary": primary,
               "link": f"{EVIDENCE['outcome']}#{outcome_anchor(inst, scale)}"}
        row = _row(change, instrument=inst, scale=scale, group="all")
        versus = _row(comparison, instrument=inst, scale=scale)
        if versus is not None:
            rec.update(measure="did", verdict=comparison_direction(versus, higher_is_better=hib.get((inst, scale)),
                                                                   alpha=alpha),
                       estimate=versus.get("did"), ci_low=versus.get("did_ci_low"),
                       ci_high=versus.get("did_ci_high"), n=versus.get("n_programme"),
                       suppressed=bool(versus.get("suppressed")))
        elif row is not None:
            rec.update(measure="mean_diff", verdict=change_direction(row, higher_is_better=hib.get((inst, scale)),
                                                                     alpha=alpha),
                       estimate=row.get("mean_diff"), ci_low=row.get("ci_low"), ci_high=row.get("ci_high"),
                       g_av=row.get("g_av"), g_av_ci_low=row.get("g_av_ci_low"),
                       g_av_ci_high=row.get("g_av_ci_high"), n=row.get("n_pairs"),
                       suppressed=bool(row.get("suppressed")))
        elif change is None:  # the outcomes page did not run: nothing is known, which is not "not measured"
            rec.update(measure="mean_diff", verdict="no_result")
        else:
            rec.update(measure="mean_diff", verdict="not_measured", n=0)
        out.append(rec)
    ties = _row(change, instrument="ego_network", scale="size", group="all")
    density = _row(network_change, measure="density")
    if ties is not None or density is not None:
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
        out.append(rec)
    if indicators is not None and len(indicators):
        by_id = {str(tg.get("id")): tg for tg in project.targets}
        kinds = {i: TARGET_KINDS.get(str(tg.get("count")), "people") for i, tg in by_id.items()}
        ind = indicators.assign(kind=indicators["indicator_id"].astype(str).map(kinds).fillna("people"))
        # the reach of the whole programme (a reach target without `where`) first, then the others
        ind = ind.assign(_narrow=[bool(by_id.get(str(i), {}).get("where")) for i in ind["indicator_id"]])
        ind = ind.sort_values("_narrow", kind="stable")
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
                           value=_json_default(first["value"]), target=_json_default(first["target"]),
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
                    "primary": key in primary, "ci_level": _json_default(r.get("ci_level")),
                    **{k: _json_default(r.get(k)) for k in ("g_av", "g_av_ci_low", "g_av_ci_high", "n_pairs",
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
    from evaltools.plots.literal import LITERAL_RC, plain_texts

    frame = pd.DataFrame(rows)
    level = pd.to_numeric(frame.get("ci_level"), errors="coerce").dropna()
    fig = claims_forest(frame, lang=lang, min_cell=int(summary.get("min_cell") or 5),
                        ci_level=float(level.iloc[0]) if len(level) else 1 - float(summary.get("alpha", 0.05)))
    buffer = io.BytesIO()
    with mpl.rc_context(LITERAL_RC):
        plain_texts(fig).savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def head_html(summary: dict, lang: str, *, base: str = "html/") -> list[str]:
    """The head of the index: one row per claim (verdict in words, one number with its CI, a link) and the forest.

    ``base`` is the path from the page to the notebook pages (``html/`` on
    the run's index, empty on the summary notebook's own page).
    """
    import base64

    e = html.escape
    rows = [_claim_cells(c, lang, base) for c in summary.get("claims") or []]
    if not rows:
        return []
    parts = [f"<h2>{e(t('report.claims.title', lang))}</h2>", f"<p>{e(t('report.claims.intro', lang))}</p>"]
    if _has_comparison(summary):
        parts.append(f"<p>{e(t('report.claims.intro_comparison', lang))}</p>")
    parts.append(_table([t(f"report.claims.col_{k}", lang) for k in ("claim", "verdict", "number", "evidence")],
                        rows, css="evaltools-table claims"))
    png = forest_png(summary, lang)
    if png is not None:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<p><img class='forest' src='data:image/png;base64,{data}' "
                     f"alt='{e(t('report.forest.alt', lang))}'></p>")
    parts.append(f"<p>{e(t('report.index.how_sure_link', lang))} "
                 f"<a href='{e(base)}20_outcomes_change.html'>{e(notebook_title('20_outcomes_change', lang))}</a></p>")
    return parts


def _claim_cells(c: dict, lang: str, base: str) -> list[str]:
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
            verdict = _cell("status", c.get("status"), lang, None, 2)
            value, target = c.get("value"), c.get("target")
            pct = round(100 * value / target) if value is not None and target else 0
            number = t("report.claims.reach_number", lang, value=_num(value, lang, 0), target=_num(target, lang, 0),
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
            # the size word with the words of both ends of its CI when they differ (Cohen 1988; DESIGN §4)
            size = certainty.effect_size_word(c["g_av"], lang) + certainty.effect_size_range(
                c["g_av"], _float(c.get("g_av_ci_low")), _float(c.get("g_av_ci_high")), lang)
            verdict = t("report.claims.size", lang, direction=verdict, size=size)
        if code == "hidden":
            number = t("report.claims.hidden_number", lang, n=_num(c.get("n"), lang, 0))
        elif code == "not_measured":
            number = t("report.claims.not_measured_number", lang)
        elif c.get("estimate") is not None:
            key = {"did": "change_vs_comparison", "size": "ties_number"}.get(c.get("measure"), "change")
            number = t(f"report.claims.{key}", lang, diff=_signed(c["estimate"], lang), lo=_num(c.get("ci_low"), lang),
                       hi=_num(c.get("ci_high"), lang), n=_num(c.get("n"), lang, 0))
    else:
        verdict = ""
    density = c.get("density")
    if density and density.get("p_value") is not None:
        number += ("; " if number else "") + t("report.claims.density", lang, before=_auto(density["baseline"], lang),
                                               after=_auto(density["endline"], lang),
                                               p=p_phrase(density["p_value"], lang))
    return [label, e(verdict), e(number), link]


def _signed(x, lang: str) -> str:
    """A number with its sign (+0.35, −0.10)."""
    text_ = _num(x, lang)
    return text_ if text_.startswith(("-", "−", "–")) or _float(x) == 0 else "+" + text_


def _glossary_html(lang: str, *, comparison: bool = False) -> list[str]:
    """The glossary: the words of the page (mean change, CI, effect size g, Holm, reliable change) in ``lang``.

    ``comparison`` adds the change compared with a comparison group.
    """
    keys = ("mean_change", "ci", "g", "holm", "reliable") + (("comparison",) if comparison else ())
    items = "".join(f"<li>{_md_inline(t(f'report.glossary.{k}', lang))}</li>" for k in keys)
    return [f"<h2 id='glossary'>{html.escape(t('report.glossary.title', lang))}</h2><ul class='glossary'>{items}</ul>"]


# --------------------------------------------------------------------------- the run's index.html

def render_run_index(manifest: dict, summary: dict | None, *, lang: str) -> str:
    """``index.html`` of a run: headline results, links to the notebooks, data quality, provenance."""
    e = html.escape
    project = manifest["project"]
    phase_label = t(f"report.phase.{manifest['phase']}", lang)
    title = f"{project['name']} – {phase_label}"
    parts = [f"<h1>{e(project['name'])}</h1>",
             f"<p class='meta'>{e(t('report.index.period', lang, start=_date(project['period']['start'], lang), end=_date(project['period']['end'], lang)))}"
             f" · {e(phase_label)} · {e(t('report.index.run_at', lang, when=_when(manifest['started'], lang)))}</p>"]

    failed = [s for s in manifest["notebooks"] if s["status"] != "ok"]
    if failed:
        items = "".join(f"<li>{e(notebook_title(s['notebook'], lang))}: {e(_failure_text(s))}</li>" for s in failed)
        parts.append(f"<div class='box'><p class='bad'>{e(t('report.index.failed', lang, n=len(failed)))}</p>"
                     f"<ul>{items}</ul></div>")

    if manifest["phase"] == "baseline":
        parts.append(f"<p class='box'>{e(t('report.index.baseline_note', lang))}</p>")
    else:
        parts.append(f"<p class='box'>{e(since_baseline_sentence(manifest.get('since_baseline'), lang))}</p>")

    summary = summary or {}
    parts += head_html(summary, lang)
    parts.append(f"<h2>{e(t('report.index.pages', lang))}</h2><ul>")
    for s in manifest["notebooks"]:
        mark = "" if s["status"] == "ok" else f" <span class='bad'>({e(t('report.status_failed', lang))})</span>"
        parts.append(f"<li><a href='{e(s['html'])}'>{e(notebook_title(s['notebook'], lang))}</a>{mark}</li>")
    parts.append("</ul>")
    parts.append(f"<h2>{e(t('report.index.headline', lang))}</h2>")
    if not summary:
        parts.append(f"<p class='bad'>{e(t('report.index.no_summary', lang))}</p>")
    details = _headline_html(summary, lang)
    if details:
        parts.append(f"<details><summary>{e(t('report.index.details', lang))}</summary>{''.join(details)}</details>")
    parts += _glossary_html(lang, comparison=_has_comparison(summary))

    parts.append(f"<h2>{e(t('report.index.data_quality', lang))}</h2>")
    rows = [[e(name), _num(n, lang, 0)] for name, n in manifest.get("tables", {}).items()]
    parts.append(_table([t("report.col.table", lang), t("report.index.rows", lang)], rows, {1}))
    parts.append(f"<p>{e(t('report.index.warnings', lang, n=manifest.get('validation_warnings', 0)))}</p>")
    dq = [r for r in summary.get("data_quality", []) if (r.get("n_rows_affected") or 0) > 0]
    if dq:
        rows = [[e(r["table"]), e(_cell("check", r["check"], lang, None, 2)), _num(r["n_rows_affected"], lang, 0),
                 e(_cell("severity", r["severity"], lang, None, 2))] for r in dq]
        parts.append(_table([column_label(c, lang) for c in ("table", "check", "n_rows_affected", "severity")],
                            rows, {2}))

    parts.append(f"<h2>{e(t('report.index.provenance', lang))}</h2>")
    p = manifest["parameters"]
    parts.append("<p>" + e(t("report.index.provenance_text", lang, version=manifest["toolkit"]["version"],
                                 python=manifest["python"], fingerprint=manifest["fingerprint"][:12],
                                 min_cell=p["min_cell"], alpha=fmt_number(p["alpha"], lang),
                                 seed=p["seed"], seconds=fmt_number(manifest["seconds"], lang, 0))) + "</p>")
    rows = [[f"<code>{e(f['file'])}</code>", f"<code>{f['sha256'][:16]}…</code>", _num(f["bytes"], lang, 0)]
            for f in manifest["inputs"]]
    parts.append(_table([t("report.index.file", lang), "sha256", t("report.index.bytes", lang)], rows, {2}))
    parts.append(f"<p class='note'><a href='../index.html'>{e(t('report.index.all_runs', lang))}</a> · "
                 f"<a href='manifest.json'>manifest.json</a></p>")
    return _page(title, "\n".join(parts), lang)


def _headline_html(summary: dict, lang: str) -> list[str]:
    e = html.escape
    parts = []
    targets = summary.get("targets")
    if targets:
        c = targets["counts"]
        parts.append(f"<h3>{e(t('report.index.targets', lang))}</h3>")
        parts.append(f"<p>{e(t('report.index.targets_text', lang, met=c['met'], partly=c['partly'], not_met=c['not met'], n=len(targets['rows'])))}</p>")
        rows = [[e(str(r["label"])), _num(r["value"], lang, 0), _num(r["target"], lang, 0),
                 f"<span class='status-{str(r['status']).replace(' ', '-')}'>{e(_cell('status', r['status'], lang, None, 2))}</span>"]
                for r in targets["rows"]]
        parts.append(_table([column_label(c, lang) for c in ("label", "value", "target", "status")], rows, {1, 2},
                            css=_CSS_CLASS))
    change = summary.get("change")
    if change:
        parts.append(f"<h3>{e(t('report.index.change', lang))}</h3>")
        rows = []
        for r in change:
            name = e(f"{r['title']} – {r['scale_title']}")
            if r.get("suppressed"):
                rows.append([name, _num(r["n_pairs"], lang, 0)] + [e(t("report.hidden", lang))] * 3)
                continue
            ci = t("report.index.ci", lang, low=_num(r.get("ci_low"), lang), high=_num(r.get("ci_high"), lang))
            gci = t("report.index.ci", lang, low=_num(r.get("g_av_ci_low"), lang),
                    high=_num(r.get("g_av_ci_high"), lang))
            ptxt = _p(r.get("p_holm"), lang)
            rows.append([name, _num(r["n_pairs"], lang, 0), e(f"{_num(r.get('mean_diff'), lang)} {ci}"),
                         e(f"{_num(r.get('g_av'), lang)} {gci}"), e(ptxt)])
        parts.append(_table([t(f"report.index.{k}", lang) for k in ("outcome", "n_pairs", "mean_diff_ci", "g_av_ci",
                                                                    "p_holm")], rows, {1, 2, 3, 4}, css=_CSS_CLASS))
    rc = summary.get("reliable_change")
    if rc:
        parts.append(f"<h3>{e(t('report.index.reliable_change', lang))}</h3>")
        rows = []
        for r in rc:
            name = e(f"{r['title']} – {r['scale_title']}")
            if r.get("suppressed"):
                rows.append([name, _num(r["n_pairs"], lang, 0)] + [e(t("report.hidden", lang))] * 4)
            else:
                rows.append([name] + [_num(r.get(k), lang, 0) for k in
                                      ("n_pairs", "n_improved", "n_unchanged", "n_deteriorated", "n_recovered")])
        parts.append(_table([t("report.index.outcome", lang), t("report.index.n_pairs", lang)] +
                            [column_label(k, lang) for k in ("n_improved", "n_unchanged", "n_deteriorated",
                                                             "n_recovered")], rows, {1, 2, 3, 4, 5}, css=_CSS_CLASS))
    net = summary.get("network")
    if net:
        parts.append(f"<h3>{e(t('report.index.network', lang))}</h3>")
        cols = ("n_nodes", "n_edges", "density", "mean_degree", "components", "isolates")
        rows = [[e(_cell("wave", r["wave"], lang, None, 2))] +
                [_num(r.get(k), lang, 0 if k in _INT_COLUMNS else 3) for k in cols] for r in net]
        parts.append(_table([column_label("wave", lang)] + [column_label(k, lang) for k in cols], rows,
                            set(range(1, len(cols) + 1)), css=_CSS_CLASS))
        for r in summary.get("network_change") or []:
            if r.get("p_value") is not None:
                parts.append(f"<p>{e(t('report.index.network_change', lang, measure=column_label(str(r['measure']), lang), before=_auto(r.get('baseline'), lang), after=_auto(r.get('endline'), lang), p=p_phrase(r.get('p_value'), lang)))}</p>")
    # the verdict paragraphs and the design statement are on the outcomes page (how_sure), linked from the head
    return [f"<div class='evaltools-scroll'>{p}</div>" if p.startswith("<table") else p for p in parts]


#: The class of the report's tables: text left-aligned, numbers right-aligned, on the index and on notebook pages.
_CSS_CLASS = "evaltools-table"


def _md_inline(text: str) -> str:
    r"""A little markdown (``**bold**``, ``*italic*``, backslash escapes) as escaped HTML.

    An escaped character (``\*``, ``\<``: text from the data, see
    :func:`plain_markdown`) is shown as itself and starts no emphasis.

    >>> _md_inline(r"**Bold** \*not\* \<b\>")
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


def since_baseline_sentence(change: dict | None, lang: str) -> str:
    """The one line an endline index says about the data since the baseline run.

    >>> since_baseline_sentence(None, "en")
    'There is no baseline run in this folder to compare the data with.'
    """
    if not change:
        return t("report.since.none", lang)
    if not (change["added"] or change["removed"] or change["changed"]):
        return t("report.since.same", lang, run=change["baseline_run"])
    bits = []
    for kind in ("changed", "added", "removed"):
        if change[kind]:
            bits.append(t(f"report.since.{kind}", lang, files=", ".join(change[kind])))
    for name, r in change.get("rows", {}).items():
        if r["before"] is not None and r["after"] is not None:
            bits.append(t("report.since.rows", lang, table=name, before=r["before"], after=r["after"]))
    return t("report.since.head", lang, run=change["baseline_run"]) + " " + "; ".join(bits) + "."
