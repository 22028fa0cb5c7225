"""Offline notebook pages: an executed notebook as one HTML page, code hidden, nothing loaded from the network.

Also the page frame (:func:`html_page`) and the table markup (:func:`html_table`)
that the index pages share.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from evaltools.labels import has, t
from evaltools.report.sanitise import sanitise


#: Jinja template for the offline notebook pages (extends nbconvert's ``lab``).
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates_html"

#: Tags of notebook cells whose output a rendered page leaves out.
HIDDEN_TAGS = ("remove_output", "parameters", "injected-parameters", "papermill-error-cell-tag")

def failure_text(status: dict) -> str:
    """One line saying which notebook failed, in which cell, with which error (from a manifest's status)."""
    e = status.get("error") or {}
    where = f"cell {e['cell']}: " if e.get("cell") is not None else ""
    return f"{status['notebook']}: {where}{e.get('type', '')}: {e.get('message', '')}"


def notebook_title(stem: str, lang: str) -> str:
    """The title of a notebook's page (its stem when the catalogue has none)."""
    key = f"report.notebook.{stem}"
    return t(key, lang) if has(key) else stem


# --------------------------------------------------------------------------- HTML export

def html_exporter(*, warm: bool = False):
    """nbconvert's HTML exporter with the evaltools template: no code, no prompts, images embedded.

    One exporter serves every page of a run (its templates load once). With
    ``warm``, the templates are loaded now rather than at the first page.
    """
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab", extra_template_paths=[str(TEMPLATE_DIR)], template_file="evaltools.html.j2",
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True,
        anchor_link_text="")
    if warm:
        exporter.template  # noqa: B018 - loading it is the point
    return exporter


def export_html(nb_path: Path, html_path: Path, *, lang: str, title: str, exporter=None,
                error: dict | None = None) -> str:
    """Render an executed notebook to one offline HTML page, code hidden; return its path in the run folder.

    Parameter cells and stderr streams are left out; nothing is loaded from
    the network (:func:`offline` makes sure). A notebook that could not be
    executed at all still gets a page that says so.
    """
    import nbformat

    exporter = exporter or html_exporter()
    if nb_path.is_file():
        nb = nbformat.read(nb_path, as_version=4)
        nb = _for_people(nb, lang=lang, log=f"logs/{nb_path.stem}.txt")
        nb.metadata["title"] = title
        resources = {"metadata": {"name": title}, "language_code": lang,
                     "evaltools": {"back": t("report.back", lang), "title": title}}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    else:
        message = html.escape(failure_text({"notebook": nb_path.stem, "error": error or {}}))
        body = html_page(title, f"<h1>{html.escape(title)}</h1><p class='bad'>{message}</p>", lang, back=True)
    html_path.write_text(offline(body), encoding="utf-8")
    return html_path.relative_to(html_path.parent.parent).as_posix()


def _for_people(nb, *, lang: str = "en", log: str = "logs"):
    """A copy of ``nb`` without what a supervisor should not read: parameter cells, stderr, tracebacks.

    An error output becomes one sentence: which cell failed, the type of
    the error and where the log is (no message, no traceback, no path).
    """
    import copy

    from nbformat.v4 import new_output

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(HIDDEN_TAGS):
            continue
        if cell.cell_type == "code":
            outputs = []
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    continue
                if o.get("output_type") == "error":
                    note = t("report.part_failed", lang, cell=cell.get("execution_count") or "?",
                             error=str(o.get("ename") or "error"), log=log)
                    o = new_output("display_data", data={
                        "text/html": f"<p class='bad evaltools-failed'>{html.escape(note)}</p>", "text/plain": note})
                outputs.append(o)
            cell.outputs = outputs
        cells.append(cell)
    nb.cells = cells
    return nb


def offline(page: str) -> str:
    """``page`` as it may leave: nothing loaded from the network, no script, no element of a user's making.

    The allowlist pass of :func:`evaltools.report.sanitise.sanitise`: what
    the report does not make itself is shown as text.

    >>> offline('<p>a</p><script src="https://cdn.example/x.js"></script><b>b</b>')
    '<p>a</p>&lt;script src="https://cdn.example/x.js"&gt;&lt;/script&gt;<b>b</b>'
    """
    return sanitise(page)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#555}.bad{color:#a4001d;font-weight:600}.ok{color:#006b3c}.note{color:#555;font-size:.92rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;
text-align:left;vertical-align:top}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f4f4f4}code{font-size:.85rem}.box{background:#f7f7f2;border-left:4px solid #c9b458;
padding:.5rem 1rem;margin:1rem 0}.status-met{color:#006b3c}.status-partly{color:#8a5a00}
.status-not-met{color:#a4001d}ul.verdicts li{margin:.3rem 0}img{max-width:100%;height:auto}
details{margin:.5rem 0}summary{cursor:pointer;font-weight:600}
"""


def html_page(title: str, body: str, lang: str, *, back: bool = False) -> str:
    """A whole HTML page around ``body`` with the report's style (and a link back to the index with ``back``)."""
    nav = f"<p><a href='../index.html'>{html.escape(t('report.back', lang))}</a></p>" if back else ""
    return offline(f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head>\n<body>{nav}{body}</body></html>\n")


def html_table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), *,
               css: str = "") -> str:
    """An HTML table: ``header`` escaped, ``rows`` already HTML; the columns in ``numeric`` right-aligned."""
    head = "".join(f"<th class='num'>{html.escape(h)}</th>" if i in numeric else f"<th>{html.escape(h)}</th>"
                   for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    cls = f" class='{css}'" if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
