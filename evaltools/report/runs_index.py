"""``<out>/index.html``: every run in the folder, newest first (docs/index.md)."""

from __future__ import annotations

import html
from pathlib import Path

from evaltools.labels import LANGS, check_lang, t
from evaltools.report.html import html_page, html_table
from evaltools.report.manifest import RUN_NAME, list_runs, read_json_or_none, run_sort_key, run_state
from evaltools.report.page import datetime_text


def render_runs_index(out: Path, *, lang: str | None = None) -> str:
    """``<out>/index.html``: every run in the folder, newest first, with phase, time, language, data fingerprint, status.

    The page's own words are in ``lang`` (default: the newest run's
    language); each row says its run's language. A run whose process died
    before it finished is ``incomplete`` (:func:`~evaltools.report.manifest.run_state`).
    """
    e = html.escape
    folders = sorted(list_runs(out), key=run_sort_key, reverse=True)
    manifests = [(folder, read_json_or_none(folder / "manifest.json")) for folder in folders]
    if lang is None:
        lang = next((_run_lang(m) for _, m in manifests if _run_lang(m)), "en")
    lang = check_lang(lang)
    rows = [_row(folder, m, lang) for folder, m in manifests]
    body = [f"<h1>{e(t('report.runs.title', lang))}</h1>", f"<p class='meta'>{e(t('report.runs.intro', lang))}</p>"]
    body.append(html_table([t(f"report.runs.{k}", lang) for k in ("run", "phase", "time", "language", "project",
                                                               "fingerprint", "status")], rows))
    return html_page(t("report.runs.title", lang), "\n".join(body), lang)


def _run_lang(manifest: dict | None) -> str | None:
    lang = ((manifest or {}).get("parameters") or {}).get("lang")
    return lang if lang in LANGS else None


def _row(folder: Path, m: dict | None, lang: str) -> list[str]:
    e = html.escape
    state = run_state(m)
    m = m or {}
    if state == "failed":
        failed = [s for s in m.get("notebooks", []) if s.get("status") != "ok"]
        status = f"<span class='bad'>{e(t('report.runs.failed', lang, n=len(failed)))}</span>"
    elif state == "ok":
        status = f"<span class='ok'>{e(t('report.status_ok', lang))}</span>"
    else:
        status = f"<span class='{'bad' if state == 'incomplete' else 'meta'}'>{e(t(f'report.runs.{state}', lang))}</span>"
    run_lang = _run_lang(m)
    phase = m.get("phase") or RUN_NAME.match(folder.name)["phase"]
    linked = state != "incomplete" or (folder / "index.html").is_file()  # a run killed early has no page
    return [f"<a href='{e(folder.name)}/index.html'>{e(folder.name)}</a>" if linked else e(folder.name),
            e(t(f"report.phase.{phase}", lang)),
            e(datetime_text(m["started"], lang)) if m.get("started") else "–",
            f"<span lang='{run_lang}'>{e(t(f'report.runs.lang_{run_lang}', lang))}</span>" if run_lang else "–",
            e(str(m.get("project", {}).get("name", ""))),
            f"<code>{e(str(m.get('fingerprint', ''))[:12])}</code>", status]


def write_runs_index(out: str | Path, *, lang: str | None = None) -> Path:
    """Regenerate ``<out>/index.html`` (in ``lang``, default the newest run's language)."""
    path = Path(out) / "index.html"
    path.write_text(render_runs_index(Path(out), lang=lang), encoding="utf-8")
    return path
