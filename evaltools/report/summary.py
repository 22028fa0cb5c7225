"""The run's headline: ``summary.json`` (``90_summary``), the "How sure" words, and the run's ``index.html``.

:func:`summarise` reads the tables the other notebooks wrote (typed, see
:func:`read_table`) and asks :mod:`evaltools.certainty` for the words;
:func:`render_run_index` turns the manifest and the summary into the page a
supervisor opens. Nothing here computes a statistic.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from evaltools.labels import check_lang, fmt_number, has, p_phrase, t
from evaltools.report.claims import (TABLE_CLASS, claims, forest_rows, glossary_html, has_comparison, head_html,
                                     higher_is_better_of, inline_markdown, json_value, outcome_anchor)
from evaltools.report.html import failure_text, html_page, html_table, notebook_title
from evaltools.report.page import (COUNT_COLUMNS, cell_text, column_label, count_or_share_text, date_text,
                                   datetime_text, markdown, number_text, p_value_text, plain_markdown, titles)


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
                                      scale_titles=md_scales, higher_is_better=higher_is_better_of(project),
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
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=json_value), encoding="utf-8")
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
                                  higher_is_better=higher_is_better_of(project), min_cell=project.min_cell, **named)
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


def show_summary(summary: dict, *, lang: str):
    """The headline numbers of :func:`summarise` as they appear on the run's index page."""
    from IPython.display import HTML

    lang = check_lang(lang)
    return HTML("\n".join(head_html(summary, lang, base="") + _headline_html(summary, lang)
                          + glossary_html(lang, comparison=has_comparison(summary))))


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: json_value(v) for k, v in row.items()} for row in df.to_dict("records")]



# --------------------------------------------------------------------------- the run's index.html

def prepare_run_index() -> None:
    """Import what :func:`render_run_index` needs beyond this module (statistics, the claims' forest figure).

    About a second of imports: a run does it while its last notebook runs
    (one CPU is free then) rather than after it.
    """
    import evaltools.certainty  # noqa: F401
    import evaltools.plots.forest  # noqa: F401


def render_run_index(manifest: dict, summary: dict | None, *, lang: str) -> str:
    """``index.html`` of a run: headline results, links to the notebooks, data quality, provenance."""
    e = html.escape
    project = manifest["project"]
    phase_label = t(f"report.phase.{manifest['phase']}", lang)
    title = f"{project['name']} – {phase_label}"
    parts = [f"<h1>{e(project['name'])}</h1>",
             f"<p class='meta'>{e(t('report.index.period', lang, start=date_text(project['period']['start'], lang), end=date_text(project['period']['end'], lang)))}"
             f" · {e(phase_label)} · {e(t('report.index.run_at', lang, when=datetime_text(manifest['started'], lang)))}</p>"]

    failed = [s for s in manifest["notebooks"] if s["status"] != "ok"]
    if failed:
        items = "".join(f"<li>{e(notebook_title(s['notebook'], lang))}: {e(failure_text(s))}</li>" for s in failed)
        parts.append(f"<div class='box'><p class='bad'>{e(t('report.index.failed', lang, n=len(failed)))}</p>"
                     f"<ul>{items}</ul></div>")

    if manifest["phase"] == "baseline":
        parts.append(f"<p class='box'>{e(t('report.index.baseline_note', lang))}</p>")
    else:
        parts.append(f"<p class='box'>{e(since_baseline_sentence(manifest.get('since_baseline'), lang))}</p>")

    summary = summary or {}
    parts += head_html(summary, lang)
    if manifest["phase"] == "baseline" and summary.get("design"):  # no outcomes page yet: what this design can show
        parts.append("".join(f"<p>{inline_markdown(par)}</p>" for par in str(summary["design"]).split("\n\n")
                             if par.strip()))
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
    parts += glossary_html(lang, comparison=has_comparison(summary))

    parts.append(f"<h2>{e(t('report.index.data_quality', lang))}</h2>")
    rows = [[e(name), number_text(n, lang, 0)] for name, n in manifest.get("tables", {}).items()]
    parts.append(html_table([t("report.col.table", lang), t("report.index.rows", lang)], rows, {1}))
    parts.append(f"<p>{e(t('report.index.warnings', lang, n=manifest.get('validation_warnings', 0)))}</p>")
    dq = [r for r in summary.get("data_quality", []) if (r.get("n_rows_affected") or 0) > 0]
    if dq:
        rows = [[e(r["table"]), e(cell_text("check", r["check"], lang, None, 2)), number_text(r["n_rows_affected"], lang, 0),
                 e(cell_text("severity", r["severity"], lang, None, 2))] for r in dq]
        parts.append(html_table([column_label(c, lang) for c in ("table", "check", "n_rows_affected", "severity")],
                            rows, {2}))

    parts.append(f"<h2>{e(t('report.index.provenance', lang))}</h2>")
    p = manifest["parameters"]
    parts.append("<p>" + e(t("report.index.provenance_text", lang, version=manifest["toolkit"]["version"],
                                 python=manifest["python"], fingerprint=manifest["fingerprint"][:12],
                                 min_cell=p["min_cell"], alpha=fmt_number(p["alpha"], lang),
                                 seed=p["seed"], seconds=fmt_number(manifest["seconds"], lang, 0))) + "</p>")
    rows = [[f"<code>{e(f['file'])}</code>", f"<code>{f['sha256'][:16]}…</code>", number_text(f["bytes"], lang, 0)]
            for f in manifest["inputs"]]
    parts.append(html_table([t("report.index.file", lang), "sha256", t("report.index.bytes", lang)], rows, {2}))
    parts.append(f"<p class='note'><a href='../index.html'>{e(t('report.index.all_runs', lang))}</a> · "
                 f"<a href='manifest.json'>manifest.json</a></p>")
    return html_page(title, "\n".join(parts), lang)


def _headline_html(summary: dict, lang: str) -> list[str]:
    e = html.escape
    parts = []
    targets = summary.get("targets")
    if targets:
        c = targets["counts"]
        parts.append(f"<h3>{e(t('report.index.targets', lang))}</h3>")
        parts.append(f"<p>{e(t('report.index.targets_text', lang, met=c['met'], partly=c['partly'], not_met=c['not met'], n=len(targets['rows'])))}</p>")
        rows = [[e(str(r["label"])), number_text(r["value"], lang, 0), number_text(r["target"], lang, 0),
                 f"<span class='status-{str(r['status']).replace(' ', '-')}'>{e(cell_text('status', r['status'], lang, None, 2))}</span>"]
                for r in targets["rows"]]
        parts.append(html_table([column_label(c, lang) for c in ("label", "value", "target", "status")], rows, {1, 2},
                            css=TABLE_CLASS))
    change = summary.get("change")
    if change:
        parts.append(f"<h3>{e(t('report.index.change', lang))}</h3>")
        def change_cells(r: dict) -> list[str]:
            ci = t("report.index.ci", lang, low=number_text(r.get("ci_low"), lang), high=number_text(r.get("ci_high"), lang))
            gci = t("report.index.ci", lang, low=number_text(r.get("g_av_ci_low"), lang),
                    high=number_text(r.get("g_av_ci_high"), lang))
            return [e(f"{number_text(r.get('mean_diff'), lang)} {ci}"), e(f"{number_text(r.get('g_av'), lang)} {gci}"),
                    e(p_value_text(r.get("p_holm"), lang))]

        rows = _outcome_rows(change, change_cells, 3, lang)
        parts.append(html_table([t(f"report.index.{k}", lang) for k in ("outcome", "n_pairs", "mean_diff_ci", "g_av_ci",
                                                                    "p_holm")], rows, {1, 2, 3, 4}, css=TABLE_CLASS))
    rc = summary.get("reliable_change")
    if rc:
        parts.append(f"<h3>{e(t('report.index.reliable_change', lang))}</h3>")
        rows = _outcome_rows(rc, lambda r: [number_text(r.get(k), lang, 0) for k in
                                            ("n_improved", "n_unchanged", "n_deteriorated", "n_recovered")], 4, lang)
        parts.append(html_table([t("report.index.outcome", lang), t("report.index.n_pairs", lang)] +
                            [column_label(k, lang) for k in ("n_improved", "n_unchanged", "n_deteriorated",
                                                             "n_recovered")], rows, {1, 2, 3, 4, 5}, css=TABLE_CLASS))
    net = summary.get("network")
    if net:
        parts.append(f"<h3>{e(t('report.index.network', lang))}</h3>")
        cols = ("n_nodes", "n_edges", "density", "mean_degree", "components", "isolates")
        rows = [[e(cell_text("wave", r["wave"], lang, None, 2))] +
                [number_text(r.get(k), lang, 0 if k in COUNT_COLUMNS else 3) for k in cols] for r in net]
        parts.append(html_table([column_label("wave", lang)] + [column_label(k, lang) for k in cols], rows,
                            set(range(1, len(cols) + 1)), css=TABLE_CLASS))
        for r in summary.get("network_change") or []:
            if r.get("p_value") is not None:
                parts.append(f"<p>{e(t('report.index.network_change', lang, measure=column_label(str(r['measure']), lang), before=count_or_share_text(r.get('baseline'), lang), after=count_or_share_text(r.get('endline'), lang), p=p_phrase(r.get('p_value'), lang)))}</p>")
    # the verdict paragraphs and the design statement are on the outcomes page (how_sure), linked from the head
    return [f"<div class='evaltools-scroll'>{p}</div>" if p.startswith("<table") else p for p in parts]




def _outcome_rows(records: list[dict], cells, n_cells: int, lang: str) -> list[list[str]]:
    """One row per outcome of the index: its name, its pairs, then ``cells(record)`` or "hidden" ``n_cells`` times."""
    e = html.escape
    return [[e(f"{r['title']} – {r['scale_title']}"), number_text(r["n_pairs"], lang, 0)]
            + ([e(t("report.hidden", lang))] * n_cells if r.get("suppressed") else cells(r)) for r in records]


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
