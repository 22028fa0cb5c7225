"""What a notebook calls: paragraphs, tables and figures for people, and the labels they use.

:func:`say` (a paragraph from the label catalogue), :func:`show` and
:func:`show_by_group` (tables for people: labelled, rounded, suppressed
cells marked, no ids and no free text), :func:`save_table` and
:func:`save_figure` (the run folder's ``tables/`` and ``figures/``). Nothing
here computes a statistic: it writes, labels and displays.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import re
from pathlib import Path

import pandas as pd

from evaltools.labels import check_lang, code_label, fmt_date, fmt_datetime, fmt_number, fmt_p, has, t
from evaltools.outputs import VIEWS as _OUTPUT_VIEWS
from evaltools.privacy import neutralise_frame
from evaltools.report.html import html_table


#: Columns never rendered for people: identifiers and free text (they stay in tables/*.csv where the contract has them).
PRIVATE_COLUMNS = ("participant_id", "family_id", "alter", "alter_participant_id", "session_id", "exit_reason",
                   "_row")

_SNAKE = re.compile(r"[a-z0-9_]+")

# =========================================================================== notebook side

def say(key: str, lang: str, /, **fields):
    """A paragraph of the report from the catalogue, as markdown in ``lang``.

    Numbers among ``fields`` are formatted for ``lang`` (decimal comma in
    Polish); text among them (a project's name, titles) is shown as that
    text, never read as markdown, HTML or a link (:func:`plain_markdown`). Returns an :class:`IPython.display.Markdown` object, so that
    the last line of a notebook cell renders it.
    """
    from IPython.display import Markdown

    formatted = {k: (fmt_number(v, lang) if isinstance(v, float) else v) for k, v in fields.items()}
    return Markdown(t(key, lang, **{k: plain_markdown(v) if isinstance(v, str) else v
                                    for k, v in formatted.items()}))


def text(key: str, lang: str, /, **fields) -> str:
    """The catalogue's text of ``key`` with ``fields`` formatted for ``lang``.

    >>> text("report.hidden", "en")
    'hidden'
    """
    formatted = {k: (fmt_number(v, lang) if isinstance(v, float) else v) for k, v in fields.items()}
    return t(key, lang, **formatted)


def plain_markdown(value) -> str:
    r"""``value`` as markdown that renders as exactly that text: no element, link, emphasis or math of its making.

    Every ASCII punctuation character is escaped with a backslash (CommonMark
    renders ``\<`` as ``<``); line breaks become spaces, so the text stays
    inside the sentence it is put in.

    >>> print(plain_markdown('<img src=x onerror="f()"> [a](javascript:f) $x$'))
    \<img src\=x onerror\=\"f\(\)\"\> \[a\]\(javascript\:f\) \$x\$
    >>> print(plain_markdown("Anna\n# Nowak"))
    Anna \# Nowak
    """
    text_ = re.sub(r"\s+", " ", str(value))
    return _MD_PUNCT.sub(r"\\\g<0>", text_)


_MD_PUNCT = re.compile(r"[!-/:-@\[-`{-~]")


def save_table(df: pd.DataFrame, name: str, out_dir: str | Path) -> Path:
    """Write ``df`` to ``<out_dir>/tables/<name>.csv``: UTF-8, point decimal, unrounded, text neutralised.

    Text cells that a spreadsheet would run as a formula (``=…``) are made
    literal (:func:`evaltools.privacy.neutralise_frame`); numbers keep their
    full precision; missing values are empty cells.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_table(pd.DataFrame({"label": ["=1+1"], "value": [1 / 3]}), "demo", d)
    ...     print(p.read_text(encoding="utf-8"))
    label,value
    '=1+1,0.3333333333333333
    <BLANKLINE>
    """
    if not _SNAKE.fullmatch(name):
        raise ValueError(f"table name {name!r}: use snake_case (a-z, 0-9, _)")
    path = Path(out_dir) / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    neutralise_frame(df).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def save_figure(fig, name: str, out_dir: str | Path, *, dpi: int = 110):
    """Write ``fig`` to ``<out_dir>/figures/<name>.png`` and return it as an image to display.

    ``fig`` is a matplotlib Figure (or ``None`` when there was nothing to
    draw: then nothing is written and an empty output is returned). A
    :class:`~evaltools.plots.grid.FixedFigure` (panels placed in inches,
    every text inside its canvas) is saved as it is, drawn once; any other
    figure is cropped to a tight bounding box (a constrained layout can
    leave a wide legend outside the canvas). Its texts are drawn as text,
    never as mathtext. The figure is closed, so that a notebook holds no
    pyplot state.
    """
    from IPython.display import Image, Markdown

    if fig is None:
        return Markdown("")
    if not _SNAKE.fullmatch(name):
        raise ValueError(f"figure name {name!r}: use snake_case (a-z, 0-9, _)")
    import matplotlib as mpl

    from evaltools.plots.grid import FixedFigure
    from evaltools.plots.literal import LITERAL_RC, plain_texts

    path = Path(out_dir) / "figures" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context(LITERAL_RC):  # a label from the data is text, never mathtext (evaltools.plots.literal)
        plain_texts(fig).savefig(path, dpi=dpi, bbox_inches=None if isinstance(fig, FixedFigure) else "tight")
    alt = _figure_title(fig) or name.replace("_", " ")
    try:
        import matplotlib.pyplot as plt
        plt.close(fig)
    except Exception:  # a Figure made without pyplot is simply dropped
        pass
    return Image(data=path.read_bytes(), format="png", alt=alt)


def _figure_title(fig) -> str:
    """The figure's title, or its first panel's, as the image's alternative text."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.get_axes():
        if ax.get_title():
            return ax.get_title()
    return ""


#: Columns shown for a table kind (the CSV keeps all of them): declared once, in :mod:`evaltools.outputs`.
VIEWS = _OUTPUT_VIEWS


def display_frame(df: pd.DataFrame, *, lang: str, project=None, digits: int = 2, max_rows: int = 60,
                  view: str | None = None, only: dict | None = None) -> pd.DataFrame:
    """A copy of ``df`` for people to read: every cell a string, in ``lang``.

    Identifier and free-text columns (:data:`PRIVATE_COLUMNS`) are dropped;
    ``view`` keeps the columns of :data:`VIEWS` (those present) and ``only``
    keeps the rows whose column equals the value (or is in the list);
    codes get their labels (waves, components, groups, statuses, instrument
    and scale titles); numbers are rounded (``p`` values to 3 places), with
    a decimal comma in Polish; the cells of a suppressed row read "hidden";
    column headers are labelled. At most ``max_rows`` rows are kept.

    Examples
    --------
    >>> df = pd.DataFrame({"participant_id": ["P1", "P2"], "group": ["all", "youth"],
    ...                    "n_pairs": [12, 3], "mean_diff": [0.4567, None], "suppressed": [False, True]})
    >>> display_frame(df, lang="pl").to_dict("list")   # doctest: +NORMALIZE_WHITESPACE
    {'Grupa': ['wszyscy', 'program usamodzielnienia młodzieży'], 'Liczba par pomiarów': ['12', '3'],
     'Średnia zmiana': ['0,46', 'ukryte']}
    """
    return _prepare(df, lang=lang, project=project, digits=digits, max_rows=max_rows, view=view, only=only)[0]


def _select(df: pd.DataFrame, *, view: str | None, only: dict | None) -> pd.DataFrame:
    out = df
    for col, value in (only or {}).items():
        if col in out.columns:
            values = value if isinstance(value, (list, tuple, set)) else [value]
            out = out[out[col].isin(values)]
    if view is not None:
        out = out[[c for c in VIEWS[view] if c in out.columns]]
    single = [c for c, v in (only or {}).items() if c in out.columns and not isinstance(v, (list, tuple, set))]
    out = out.drop(columns=single)  # every row has that value: the page's text says which
    if "measure" in out.columns and out["measure"].nunique() == 1 and len(out) > 1:
        out = out.drop(columns="measure")
    return out.drop(columns=[c for c in out.columns if c in PRIVATE_COLUMNS])


def _prepare(df, *, lang, project, digits, max_rows, view, only) -> tuple[pd.DataFrame, set[int], int]:
    lang = check_lang(lang)
    selected = _select(df, view=view, only=only)
    out = selected.head(max_rows)
    hidden = out["suppressed"].fillna(False).astype(bool).to_numpy() if "suppressed" in out.columns else None
    if hidden is not None:
        out = out.drop(columns="suppressed")
    cells = {}
    for col in out.columns:
        values = out[col]
        if col == "scale" and "instrument" in out.columns:
            cells[col] = [scale_label(i, s, lang, project) for i, s in zip(out["instrument"], values)]
        elif col == "category" and "dimension" in out.columns:
            from evaltools.plots.profile import category_label
            cells[col] = [category_label(d, c, lang) for d, c in zip(out["dimension"], values)]
        else:
            cells[col] = [cell_text(col, v, lang, project, digits) for v in values]
        if hidden is not None and col not in _KEY_COLUMNS:
            cells[col] = [t("report.hidden", lang) if h and pd.isna(v) else c
                          for h, v, c in zip(hidden, values, cells[col])]
    shown = pd.DataFrame(cells, columns=list(out.columns), dtype=object)
    numeric = {i for i, c in enumerate(out.columns)
               if pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c])}
    shown.columns = [column_label(c, lang) for c in out.columns]
    return shown, numeric, len(selected)


def show(df: pd.DataFrame, *, lang: str, project=None, digits: int = 2, max_rows: int = 60,
         view: str | None = None, only: dict | None = None):
    """Render ``df`` as an HTML table for people (see :func:`display_frame`)."""
    from IPython.display import HTML

    shown, numeric, n_rows = _prepare(df, lang=lang, project=project, digits=digits, max_rows=max_rows, view=view,
                                      only=only)
    if shown.empty:
        return HTML(f"<p class='evaltools-empty'>{html.escape(t('report.no_rows', lang))}</p>")
    body = html_table(list(shown.columns), [[html.escape(str(v)) for v in row] for row in shown.itertuples(index=False)],
                  numeric, css="evaltools-table")
    more = ""
    if n_rows > max_rows:
        more = f"<p class='evaltools-note'>{html.escape(t('report.more_rows', lang, n=n_rows - max_rows))}</p>"
    return HTML(f"<div class='evaltools-scroll'>{body}</div>{more}")


def show_by_group(df: pd.DataFrame, *, lang: str, project=None, value: str = "mean_diff", n: str = "n_pairs",
                  digits: int = 2, max_groups: int = 12):
    """One row per instrument × scale, one column per group: ``value (n = …)``, hidden cells marked.

    The compact view of a change table across groups; a group with no pair
    on a scale is left blank (–). Everyone and the components are always
    shown; the ``participants.group`` values only when there are at most
    ``max_groups`` of them (a large programme's groups stay in the CSV, and
    a note says so).

    >>> df = pd.DataFrame({"instrument": "x", "scale": "s", "group": ["all", "youth", "G1"],
    ...                    "n_pairs": [12, 3, 0], "mean_diff": [0.456, float("nan"), float("nan")],
    ...                    "suppressed": [False, True, True]})
    >>> by_group_frame(df, lang="en").iloc[0].tolist()
    ['x', 's', '0.46 (n = 12)', 'hidden (n = 3)', '–']
    """
    from IPython.display import HTML

    groups = list(dict.fromkeys(df["group"]))
    other = [g for g in groups if g != "all" and not has(f"code.component.{g}")]
    note = ""
    if len(other) > max_groups:
        df = df[~df["group"].isin(other)]
        note = f"<p class='evaltools-note'>{html.escape(t('report.groups_left_out', lang, n=len(other)))}</p>"
    shown = by_group_frame(df, lang=lang, project=project, value=value, n=n, digits=digits)
    if shown.empty:
        return HTML(f"<p class='evaltools-empty'>{html.escape(t('report.no_rows', lang))}</p>")
    body = html_table(list(shown.columns), [[html.escape(str(v)) for v in row] for row in shown.itertuples(index=False)],
                  set(range(2, shown.shape[1])), css="evaltools-table")
    return HTML(f"<div class='evaltools-scroll'>{body}</div>{note}")


def by_group_frame(df: pd.DataFrame, *, lang: str, project=None, value: str = "mean_diff", n: str = "n_pairs",
                   digits: int = 2) -> pd.DataFrame:
    """The strings of :func:`show_by_group`: instrument, scale, then one column per group."""
    lang = check_lang(lang)
    groups = list(dict.fromkeys(df["group"]))
    rows = []
    for (inst, scale), part in df.groupby(["instrument", "scale"], sort=False):
        row = [cell_text("instrument", inst, lang, project, digits), scale_label(inst, scale, lang, project)]
        cells = {g: "–" for g in groups}
        for r in part.to_dict("records"):
            count = r.get(n)
            if count is None or count != count or int(count) == 0:
                continue
            hidden = bool(r.get("suppressed"))
            shown = t("report.hidden", lang) if hidden else cell_text(value, r.get(value), lang, project, digits)
            cells[r["group"]] = f"{shown} (n = {int(count)})"
        rows.append(row + [cells[g] for g in groups])
    columns = [column_label("instrument", lang), column_label("scale", lang)] + [
        group_label(g, lang, project) for g in groups]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def markdown(text_: str):
    """Markdown made elsewhere (e.g. :mod:`evaltools.certainty`'s sentences) as a notebook output."""
    from IPython.display import Markdown

    return Markdown(str(text_))


def scale_label(instrument: str, scale: str, lang: str, project=None) -> str:
    """A scale's title for people (the scale id when the instrument gives none)."""
    if project is not None and instrument in getattr(project, "instruments", {}):
        inst = project.instruments[instrument]
        sc = next((s for s in inst.scales if s.id == scale), None)
        if sc is not None and sc.title:
            return str(sc.title.get(lang) or sc.title.get("en") or scale)
    key = f"report.col.{scale}"
    return t(key, lang) if has(key) else str(scale)


def reliability_warning(table: pd.DataFrame, *, lang: str, project=None, threshold: float = 0.70):
    """Say which scales have a Cronbach's alpha below ``threshold`` at some wave (or that none has)."""
    from evaltools.reliability import low_alpha

    weak = low_alpha(table, threshold=threshold)
    if weak.empty:
        return say("report.nb10.alpha_ok", lang, threshold=threshold)
    inst, _ = titles(project, lang) if project is not None else ({}, {})
    names = [f"{inst.get(r.instrument, r.instrument)} – {scale_label(r.instrument, r.scale, lang, project)} "
             f"({code_label('wave', r.wave, lang)}: α = {fmt_number(r.alpha, lang)})" for r in weak.itertuples()]
    return say("report.nb10.alpha_low", lang, n=len(weak), threshold=threshold, scales="; ".join(names))


def titles(project, lang: str) -> tuple[dict, dict]:
    """Instrument titles ``{id: title}`` and scale titles ``{(id, scale): title}`` in ``lang``, ego network included."""
    from evaltools.ties import EGO_MEASURES

    inst = {i: ins.title_in(lang) for i, ins in project.instruments.items()}
    inst["ego_network"] = t("report.ego_network", lang)
    scales = {(i, s.id): scale_label(i, s.id, lang, project)
              for i, ins in project.instruments.items() for s in ins.scales}
    scales.update({("ego_network", m): scale_label("ego_network", m, lang) for m in EGO_MEASURES})
    return inst, scales


def inventory(project) -> pd.DataFrame:
    """How much data each table holds: ``table, wave, n_rows, n_people`` (waves for questionnaires and ties)."""
    rows = []
    for name in ("participants", "sessions", "attendance"):
        df = getattr(project, name)
        people = df["participant_id"].nunique() if "participant_id" in df.columns else None
        rows.append({"table": name, "wave": None, "n_rows": len(df), "n_people": people})
    waved = [(f"q_{i}", q) for i, q in project.questionnaires.items()] + [("ties", project.ties)]
    for name, df in waved:
        if not len(df):
            rows.append({"table": name, "wave": None, "n_rows": 0, "n_people": 0})
            continue
        for wave, part in df.groupby("wave", sort=False):
            rows.append({"table": name, "wave": wave, "n_rows": len(part), "n_people": part["participant_id"].nunique()})
    return pd.DataFrame(rows, columns=["table", "wave", "n_rows", "n_people"])


def phase_waves(phase: str) -> tuple[str, ...] | None:
    """The waves a phase analyses: baseline only at baseline; every wave (``None``) at endline."""
    return ("baseline",) if phase == "baseline" else None


def column_label(column: str, lang: str) -> str:
    """The header people read for a table column (the column name itself when it has no label)."""
    key = f"report.col.{column}"
    return t(key, lang) if has(key) else column


_KEY_COLUMNS = {"instrument", "scale", "group", "wave", "n_pairs", "n", "dimension", "category", "measure"}
COUNT_COLUMNS = {"n", "n_pairs", "n_items", "k_items", "n_rows_affected", "n_improved", "n_unchanged", "n_rows",
                "n_people", "n_completers", "n_dropouts", "n_obs", "n_families",
                "n_deteriorated", "n_recovered", "n_nodes", "n_edges", "components", "isolates", "cross_group_ties",
                "df", "value", "target", "sessions", "n_baseline", "n_endline", "n_lost", "size"}
#: Columns holding counts in some rows and proportions in others (network_change.csv): whole numbers shown whole.
_AUTO_COLUMNS = {"baseline", "endline", "diff"}
#: Proportions that can be tiny (a network of 10 000 people): shown with two significant digits.
_SMALL_COLUMNS = {"density", "largest_component_share", "transitivity", "baseline", "endline", "diff"}
_P_COLUMNS = {"p", "p_t", "p_wilcoxon", "p_holm", "p_value"}
_CODE_KINDS = {"wave": "wave", "status": "status", "severity": "severity", "relation": "relation",
               "support": "support", "activity": "activity", "role": "role", "sex": "sex", "method": "method",
               "reliability_source": "reliability_source"}


def cell_text(col: str, v, lang: str, project, digits: int) -> str:
    """One cell of an output table as people read it: codes as labels, counts whole, p to 3 places."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return "–"
    if isinstance(v, str):
        if col == "group":
            return group_label(v, lang, project)
        if col == "instrument" and project is not None and v in getattr(project, "instruments", {}):
            return project.instruments[v].title_in(lang)
        if col == "instrument" and v == "ego_network":
            return t("report.ego_network", lang)
        if col in _CODE_KINDS:
            key = f"report.{_CODE_KINDS[col]}.{v}"
            return t(key, lang) if has(key) else code_label(_CODE_KINDS[col], v, lang)
        if col == "check":
            key = f"report.check.{v}"
            return t(key, lang) if has(key) else v
        if col == "measure":
            return column_label(v, lang)
        if col == "dimension":
            key = f"report.dimension.{v}"
            return t(key, lang) if has(key) else v
        return v
    if isinstance(v, bool):
        return t("report.yes" if v else "report.no", lang)
    if isinstance(v, (pd.Timestamp, _dt.date)):
        return fmt_date(v, lang)
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if col in _P_COLUMNS:
        return ("<" + fmt_number(0.001, lang, 3)) if x < 0.001 else fmt_number(x, lang, 3)
    if (col in COUNT_COLUMNS or col in _AUTO_COLUMNS) and x.is_integer():
        return fmt_number(int(x), lang)
    if col in _SMALL_COLUMNS and 0 < abs(x) < 10 ** -digits:  # a sparse network's density: two significant digits
        return fmt_number(x, lang, int(-math.floor(math.log10(abs(x)))) + 1)
    return fmt_number(x, lang, digits)


def group_label(group: str, lang: str, project=None) -> str:
    """The label of an output table's ``group``: everyone, a component, or a ``participants.group`` value.

    >>> group_label("all", "pl"), group_label("self_help", "en")
    ('wszyscy', 'self-help group')
    """
    if group == "all":
        return t("report.group_all", lang)
    if has(f"code.component.{group}"):
        return code_label("component", group, lang)
    labels = getattr(project, "groups", None) or {}
    entry = labels.get(group)
    if isinstance(entry, dict):
        return str(entry.get(lang) or entry.get("en") or group)
    return str(entry) if entry else group


def number_text(x, lang: str, digits: int = 2) -> str:
    """A number in ``lang`` with ``digits`` places (a bool as yes/no)."""
    if isinstance(x, bool):
        return t("report.yes" if x else "report.no", lang)
    if isinstance(x, float) and x.is_integer() and digits == 0:
        x = int(x)
    return fmt_number(x, lang, digits)


def p_value_text(p, lang: str) -> str:
    """A p-value for people: 3 places, ``< 0.001`` below that.

    >>> p_value_text(0.00002, "pl"), p_value_text(0.0431, "en"), p_value_text(None, "en")
    ('< 0,001', '0.043', '–')
    """
    return fmt_p(p, lang)


def count_or_share_text(x, lang: str) -> str:
    """A count as a whole number, anything else to 3 places."""
    if isinstance(x, (int, float)) and not isinstance(x, bool) and float(x).is_integer():
        return fmt_number(int(x), lang)
    return fmt_number(x, lang, 3)


def date_text(iso: str, lang: str) -> str:
    """An ISO date as written in ``lang``."""
    return fmt_date(pd.Timestamp(iso), lang)


def datetime_text(iso: str, lang: str) -> str:
    """An ISO date and time as written in ``lang``."""
    return fmt_datetime(pd.Timestamp(iso), lang)
