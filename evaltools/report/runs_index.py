"""``<out>/index.html``: every run in the folder, newest first (DESIGN.md §6)."""

from __future__ import annotations

import html
from pathlib import Path

from evaltools.labels import check_lang, t
from evaltools.report.html import _page, _table
from evaltools.report.manifest import _read_json, _run_sort_key, list_runs
from evaltools.report.page import _when


def render_runs_index(out: Path, *, lang: str) -> str:
    """``<out>/index.html``: every run in the folder, newest first, with phase, time, data fingerprint, status."""
    e = html.escape
    rows = []
    for folder in sorted(list_runs(out), key=_run_sort_key, reverse=True):
        m = _read_json(folder / "manifest.json") or {}
        failed = [s for s in m.get("notebooks", []) if s.get("status") != "ok"]
        status = (f"<span class='ok'>{e(t('report.status_ok', lang))}</span>" if not failed else
                  f"<span class='bad'>{e(t('report.runs.failed', lang, n=len(failed)))}</span>")
        rows.append([f"<a href='{e(folder.name)}/index.html'>{e(folder.name)}</a>",
                     e(t(f"report.phase.{m.get('phase', 'baseline')}", lang)),
                     e(_when(m["started"], lang)) if m.get("started") else "–",
                     e(str(m.get("project", {}).get("name", ""))),
                     f"<code>{e(str(m.get('fingerprint', ''))[:12])}</code>", status])
    body = [f"<h1>{e(t('report.runs.title', lang))}</h1>", f"<p class='meta'>{e(t('report.runs.intro', lang))}</p>"]
    body.append(_table([t("report.runs.run", lang), t("report.runs.phase", lang), t("report.runs.time", lang),
                        t("report.runs.project", lang), t("report.runs.fingerprint", lang),
                        t("report.runs.status", lang)], rows))
    return _page(t("report.runs.title", lang), "\n".join(body), lang)


def write_runs_index(out: str | Path, *, lang: str = "en") -> Path:
    """Regenerate ``<out>/index.html``."""
    path = Path(out) / "index.html"
    path.write_text(render_runs_index(Path(out), lang=check_lang(lang)), encoding="utf-8")
    return path
