"""Offline notebook pages: an executed notebook as one HTML page, code hidden, nothing loaded from the network.

Also the page frame (:func:`html_page`) and the table markup (:func:`html_table`)
that the index pages share.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from evaltools.labels import has, t


#: Jinja template for the offline notebook pages (extends nbconvert's ``lab``).
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates_html"

#: Tags of notebook cells whose output a rendered page leaves out.
HIDDEN_TAGS = ("remove_output", "parameters", "injected-parameters")
_NETWORK_LOAD = re.compile(r"""<(script|img|link|iframe|source)\b[^>]*?\b(src|href)\s*=\s*["'](https?:)?//""", re.I)

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

def html_exporter():
    """nbconvert's HTML exporter with the evaltools template: no code, no prompts, images embedded."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab", extra_template_paths=[str(TEMPLATE_DIR)], template_file="evaltools.html.j2",
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, embed_images=True,
        anchor_link_text="")


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
        nb = _for_people(nb)
        nb.metadata["title"] = title
        resources = {"metadata": {"name": title}, "language_code": lang,
                     "evaltools": {"back": t("report.back", lang), "title": title}}
        body, _ = exporter.from_notebook_node(nb, resources=resources)
    else:
        message = html.escape(failure_text({"notebook": nb_path.stem, "error": error or {}}))
        body = html_page(title, f"<h1>{html.escape(title)}</h1><p class='bad'>{message}</p>", lang, back=True)
    html_path.write_text(offline(body), encoding="utf-8")
    return html_path.relative_to(html_path.parent.parent).as_posix()


def _for_people(nb):
    """A copy of ``nb`` without what a supervisor should not read: parameter cells and stderr."""
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(HIDDEN_TAGS):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        cells.append(cell)
    nb.cells = cells
    return nb


def offline(page: str) -> str:
    """Remove anything that would load from the network (script, link, img, iframe, source with http(s)://).

    >>> offline('<p>a</p><script src="https://cdn.example/x.js"></script><b>b</b>')
    '<p>a</p><b>b</b>'
    """
    page = re.sub(r"""<script\b[^>]*\bsrc\s*=\s*["'](?:https?:)?//[^>]*>\s*</script>""", "", page, flags=re.I)
    page = re.sub(r"""<script\b[^>]*type\s*=\s*["']module["'][^>]*>.*?</script>""",
                  lambda m: "" if re.search(r"(https?:)?//", m.group(0)) else m.group(0), page, flags=re.I | re.S)
    while (hit := _NETWORK_LOAD.search(page)) is not None:
        end = page.find(">", hit.end())
        page = page[:hit.start()] + page[end + 1:]
    return page


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#555}.bad{color:#a4001d;font-weight:600}.ok{color:#006b3c}.note{color:#555;font-size:.92rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;
text-align:left;vertical-align:top}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f4f4f4}code{font-size:.85rem}.box{background:#f7f7f2;border-left:4px solid #c9b458;
padding:.5rem 1rem;margin:1rem 0}.status-met{color:#006b3c}.status-partly{color:#8a5a00}
.status-not-met{color:#a4001d}ul.verdicts li{margin:.3rem 0}
"""


def html_page(title: str, body: str, lang: str, *, back: bool = False) -> str:
    """A whole HTML page around ``body`` with the report's style (and a link back to the index with ``back``)."""
    nav = f"<p><a href='../index.html'>{html.escape(t('report.back', lang))}</a></p>" if back else ""
    return (f"<!DOCTYPE html>\n<html lang='{lang}'><head><meta charset='utf-8'>"
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
