"""The Excel workbooks staff fill in (docs/data.md; ``evaltools templates``).

Everything is generated from :mod:`evaltools.schema` and the label
catalogue, so a column is described once. One workbook per language holds:

- an instructions sheet (``instrukcja`` / ``instructions``): how to fill in,
  one paragraph per sheet, the privacy rules, how dates are typed;
- one sheet per table of the contract, named exactly after the table
  (``participants``, ``sessions``, ``attendance``, ``ties``, and ``q_<id>``
  for each instrument of a project). Row 1 holds the contract's column names
  (the same in every language) with the label and help as the header's
  comment; it is bold, frozen and locked (sheet protection without a
  password), while every data cell stays editable. Row 2 is a grey, italic
  example row (:func:`example_values`), which the reader never takes as data.
  Coded columns have a dropdown of the contract's codes, date and number
  columns a validation that refuses what is not a date or is out of range,
  and questionnaire items accept only the response range or a missing code;
- a ``codebook`` sheet: every sheet's columns with Polish and English label
  and help, type, whether required, and the allowed codes with both labels.

The reader (:mod:`evaltools.io`) ignores every sheet not named after a table,
so the instructions, codebook and (hidden) ``lists`` sheets never collide
with data. Saved workbooks are deterministic: fixed document times and zip
entry times, so regenerating an unchanged template gives identical bytes.

Examples
--------
>>> from evaltools.schema import TABLES
>>> example_values(TABLES["attendance"])
{'session_id': 'EXAMPLE-1', 'participant_id': 'EXAMPLE-1'}
>>> workbook_name("en")
'evaltools_en.xlsx'
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.protection import SheetProtection
from openpyxl.xml.functions import tostring

from evaltools.errors import ProjectError
from evaltools.instruments import Instrument, find_instrument
from evaltools.io import code_choices
from evaltools.labels import check_lang, get_locale, t
from evaltools.privacy import neutralise
from evaltools.schema import QUESTIONNAIRE_COLUMNS, TABLES, Column, Table, questionnaire_table
from evaltools.template_texts import (CODEBOOK_KEYS, CODEBOOK_WIDTHS, codebook_texts, column_comment,
                                      instruction_paragraphs, is_item_column, missing_codes_text, plain_number,
                                      shortest_number)

#: The example row and DATA_ROWS rows below it carry the validations (a
#: filled workbook adds its number of data rows).
DATA_ROWS = 10_000
CODEBOOK_SHEET = "codebook"
#: Hidden sheet holding dropdown lists too long (> 255 characters) to be written inline.
LISTS_SHEET = "lists"
#: Document and zip-entry time of every workbook written here (stable regeneration).
FIXED_TIME = dt.datetime(2021, 1, 1)
#: Dates outside this range are refused by the date validation (typos such as 2201).
DATE_RANGE = (dt.datetime(1990, 1, 1), dt.datetime(2099, 12, 31))
#: Example of a questionnaire row: participant and wave of the schema; items get the response minimum.
Q_EXAMPLE = {c.name: c.example for c in QUESTIONNAIRE_COLUMNS}

_GREY = "D9D9D9"
_REQUIRED_FILL = "F8CBAD"
_HEADER_FILL = "DDEBF7"
_INLINE_LIST_MAX = 255
_AUTHOR = "evaltools"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # characters XML 1.0 cannot hold


def workbook_name(lang: str) -> str:
    """File name of the template workbook in ``lang``: ``evaltools_<lang>.xlsx``."""
    return f"evaltools_{check_lang(lang)}.xlsx"


def instructions_sheet(lang: str) -> str:
    """Name of the instructions sheet (``instrukcja`` / ``instructions``)."""
    return t("templates.sheet.instructions", lang)


def example_values(table: Table, instrument: Instrument | None = None, *, lang: str = "en") -> dict[str, object]:
    """What row 2 (the grey example row) of a table's sheet holds, column by column.

    Contract tables: each :attr:`Column.example` as written in the schema
    (dates as ISO text, ``None`` = blank cell), except that every identifier
    carries the example marker (``EXAMPLE-1`` / ``PRZYKŁAD-1``,
    :func:`evaltools.io.example_id`), which no real row can have: the reader
    skips the row by that marker and never by values that merely resemble it.
    ``q_<id>`` sheets: participant_id the marker, wave ``baseline``, date
    ``2021-01-20`` and the response minimum in every item.

    >>> from evaltools.instruments import LIBRARY, load_instrument
    >>> inst = load_instrument(LIBRARY / "empowerment.yaml")
    >>> example_values(questionnaire_table(inst), inst)["emp_01"]
    1
    >>> example_values(TABLES["attendance"], lang="pl")["participant_id"]
    'PRZYKŁAD-1'
    """
    from evaltools.io import example_id
    if instrument is None:
        values = {c.name: c.example for c in table.columns}
    else:
        values = {c.name: Q_EXAMPLE[c.name] if c.name in Q_EXAMPLE else plain_number(instrument.response_min)
                  for c in table.columns}
    return {c.name: example_id(lang) if c.kind == "id" and values[c.name] is not None else values[c.name]
            for c in table.columns}


def project_instruments(data_dir: str | Path) -> list[Instrument]:
    """The instruments listed in ``DATA/project.yaml`` (custom ones in ``DATA/instruments/`` win)."""
    path = Path(data_dir) / "project.yaml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise ProjectError(f"{path}: cannot be read: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ProjectError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(config, dict):
        raise ProjectError(f"{path}: expected a mapping of keys")
    ids = config.get("instruments") or []
    if isinstance(ids, str) or not isinstance(ids, list):
        raise ProjectError(f"{path}: instruments: expected a list of instrument ids, found {ids!r}")
    return [find_instrument(str(inst_id), data_dir) for inst_id in ids]


def write_templates(out: str | Path, *, lang: str = "pl", data_dir: str | Path | None = None) -> list[Path]:
    """Write the template workbook ``OUT/evaltools_<lang>.xlsx`` (``evaltools templates``).

    Parameters
    ----------
    out
        Folder to write into; created with its parents when missing.
    lang
        ``pl`` or ``en``: the language of the instructions, comments,
        codebook and messages (sheet and column names never change).
    data_dir
        A project's data folder: adds a ``q_<id>`` sheet for every instrument
        listed in its ``project.yaml``, custom instruments included.

    Returns
    -------
    list of Path
        The workbooks written (one).
    """
    lang = check_lang(lang)
    instruments = project_instruments(data_dir) if data_dir is not None else []
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / workbook_name(lang)
    _Builder(lang, instruments).build({}, path)
    return [path]


def write_filled_workbook(path: str | Path, tables: Mapping[str, pd.DataFrame], *, lang: str = "pl",
                          instruments: Iterable[Instrument] = ()) -> Path:
    """The template with each table's rows typed in from row 3 on, as staff would.

    Dates become real Excel dates, numbers numbers, codes their code strings;
    the example row stays in place. Text that Excel would run as a formula is
    neutralised (:func:`evaltools.privacy.neutralise`).

    Parameters
    ----------
    path
        The ``.xlsx`` file to write (its folder is created when missing).
    tables
        ``{table name: DataFrame}`` with the contract's column names; keys are
        ``participants``, ``sessions``, ``attendance``, ``ties`` and ``q_<id>``
        (one per instrument). Dates may be ISO text or datetime64. Columns
        starting with ``_`` (such as ``_row``) are left out; a table may be
        missing (its sheet keeps only the header and the example).
    lang
        Language of the template.
    instruments
        Instruments whose ``q_<id>`` sheets the workbook holds.
    """
    lang = check_lang(lang)
    instruments = list(instruments)
    known = set(TABLES) | {f"q_{inst.id}" for inst in instruments}
    unknown = sorted(set(tables) - known)
    if unknown:
        raise ValueError(f"tables {unknown} are not sheets of the template; expected some of {sorted(known)}")
    builder = _Builder(lang, instruments)
    for table, _ in builder.sheets:  # checked before any sheet is written
        df = tables.get(table.name)
        extra = [] if df is None else [c for c in df.columns
                                       if c not in table.column_names and not str(c).startswith("_")]
        if extra:
            raise ValueError(f"table {table.name}: columns {extra} are not in the contract")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    builder.build(tables, path)
    return path


# --------------------------------------------------------------------------- building


class _Builder:
    """Writes one workbook in openpyxl's write-only (streaming) mode: fast for 10 000s of rows."""

    def __init__(self, lang: str, instruments: list[Instrument]):
        self.lang = lang
        self.instruments = instruments
        for inst in instruments:
            if len(f"q_{inst.id}") > 31:
                raise ProjectError(f"instrument {inst.id!r}: the sheet name q_{inst.id} is longer than the "
                                   "31 characters Excel allows; shorten the id or use q_<id>.csv")
        self.sheets: list[tuple[Table, Instrument | None]] = (
            [(table, None) for table in TABLES.values()]
            + [(questionnaire_table(inst), inst) for inst in instruments])
        self.lists: dict[str, tuple[str, ...]] = {}  # codes kind -> codes, written to the hidden sheet
        self.rows_xml: list[tuple[object, str, bytes]] = []  # (worksheet, used range, <row>s of its data)
        self.wb = Workbook(write_only=True)
        self._styles: dict[tuple, StyleArray] = {}

    # ---- styles: one StyleArray per look, copied onto cells (much faster than setting attributes per cell)
    def _style(self, ws, *, number_format="General", bold=False, italic=False, fill=None, locked=True,
               wrap=False, size=None, color=None) -> StyleArray:
        key = (number_format, bold, italic, fill, locked, wrap, size, color)
        if key not in self._styles:
            cell = WriteOnlyCell(ws)
            cell.font = Font(bold=bold, italic=italic, size=size, color=color)
            if fill:
                cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
            cell.protection = Protection(locked=locked)
            cell.number_format = number_format
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            self._styles[key] = StyleArray(cell._style)
        return self._styles[key]

    def _cell(self, ws, value, style: StyleArray, comment: str | None = None) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, _safe(value))
        cell._style = StyleArray(style)
        if comment:
            lines = sum(max(1, math.ceil(len(line) / 48)) for line in comment.split("\n"))
            cell.comment = Comment(comment, _AUTHOR, height=min(600, 16 * lines + 24), width=320)
        return cell

    # ---- whole workbook
    def build(self, tables: Mapping[str, pd.DataFrame], path: Path) -> None:
        self._instructions()
        for table, inst in self.sheets:
            self._data_sheet(table, inst, tables.get(table.name))
        self._codebook()
        if self.lists:
            ws = self.wb.create_sheet(LISTS_SHEET)
            ws.sheet_state = "hidden"
            columns = list(self.lists.values())
            for i in range(max(len(c) for c in columns)):
                ws.append([c[i] if i < len(c) else None for c in columns])
        props = self.wb.properties
        props.creator = props.lastModifiedBy = _AUTHOR
        props.title = t("templates.title", self.lang)
        props.created = FIXED_TIME
        _save_deterministic(self.wb, path, self.rows_xml)

    def _instructions(self) -> None:
        ws = self.wb.create_sheet(instructions_sheet(self.lang))
        ws.column_dimensions["A"].width = 110
        styles = {"title": self._style(ws, bold=True, size=14), "heading": self._style(ws, bold=True, size=12),
                  "para": self._style(ws, wrap=True)}
        for i, (text, kind) in enumerate(instruction_paragraphs(self.sheets, self.lang), 1):
            if kind == "para" and text:
                ws.row_dimensions[i].height = 15 * max(1, math.ceil(len(text) / 105)) + 3
            ws.append([self._cell(ws, text, styles[kind])] if text else [])

    def _data_sheet(self, table: Table, inst: Instrument | None, df: pd.DataFrame | None) -> None:
        lang = self.lang
        ws = self.wb.create_sheet(table.name)
        ws.freeze_panes = "A2"
        # Protection on: the header (locked) cannot be changed; data cells and whole columns are unlocked.
        # Rows may be inserted and deleted (the example row too); columns may not.
        ws.protection = SheetProtection(sheet=True, objects=True, formatColumns=False, formatRows=False,
                                        insertRows=False, deleteRows=False, sort=False)
        n_rows = 0 if df is None else len(df)
        last = 2 + DATA_ROWS + n_rows
        examples = example_values(table, inst, lang=lang)
        header, example, data_styles = [], [], []
        for idx, col in enumerate(table.columns, 1):
            letter = get_column_letter(idx)
            fmt = self._number_format(col)
            dim = ws.column_dimensions[letter]
            dim.width = self._width(col, examples[col.name])
            dim.protection = Protection(locked=False)
            dim.number_format = fmt
            fill = _REQUIRED_FILL if col.required else _HEADER_FILL
            header.append(self._cell(ws, col.name, self._style(ws, bold=True, fill=fill),
                                     column_comment(table, col, inst, lang)))
            example.append(self._cell(ws, examples[col.name], self._style(
                ws, number_format=fmt, italic=True, fill=_GREY, locked=False, color="595959")))
            data_styles.append(self._style(ws, number_format=fmt, locked=False))
            dv = self._validation(table, col, inst, f"{letter}2:{letter}{last}")
            if dv is not None:
                ws.data_validations.append(dv)
        ws.append(header)
        ws.append(example)
        if df is not None and n_rows:
            columns = [_cell_values(df[col.name], col) if col.name in df.columns else [None] * n_rows
                       for col in table.columns]
            style_ids = []
            for style in data_styles:
                probe = WriteOnlyCell(ws)
                probe._style = StyleArray(style)
                style_ids.append(probe.style_id)  # registers the style in the workbook
            rows = _rows_xml(columns, style_ids, first_row=3)
        else:
            rows = b""
        self.rows_xml.append((ws, f"A1:{get_column_letter(len(table.columns))}{2 + n_rows}", rows))

    def _codebook(self) -> None:
        ws = self.wb.create_sheet(CODEBOOK_SHEET)
        ws.freeze_panes = "A2"
        for i, width in enumerate(CODEBOOK_WIDTHS, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        bold = self._style(ws, bold=True, fill=_HEADER_FILL)
        wrap = self._style(ws, wrap=True)
        ws.append([self._cell(ws, t(f"templates.codebook.{k}", self.lang), bold) for k in CODEBOOK_KEYS])
        for table, inst in self.sheets:
            for col in table.columns:
                values = [table.name, col.name, *codebook_texts(table, col, inst, self.lang)]
                ws.append([self._cell(ws, v, wrap) for v in values])

    # ---- per column
    def _number_format(self, col: Column) -> str:
        if col.kind == "date":
            return get_locale(self.lang).excel_date
        if col.kind in ("int", "number"):
            return "General"
        return "@"  # text: an id typed as 001 stays 001, a typed formula is not run

    def _width(self, col: Column, example) -> float:
        if col.kind == "date":
            return 13
        return min(40, max(10, len(col.name), len(str(example or ""))) + 3)

    def _validation(self, table: Table, col: Column, inst: Instrument | None, sqref: str) -> DataValidation | None:
        lang = self.lang
        title = t("templates.dv.error_title", lang)
        if col.kind in ("code", "codes"):
            codes = col.allowed()
            offered = code_choices(col.codes, lang)
            dv = DataValidation(type="list", formula1=self._list_formula(col.codes, _dropdown(offered, codes)),
                                allow_blank=True)
            if col.kind == "code":
                dv.error = _limit(t("templates.dv.code", lang, codes=", ".join(offered)))
                dv.errorTitle = title
                dv.showErrorMessage = True
            else:  # a ;-list: the dropdown offers single codes, typing several must stay possible
                dv.showErrorMessage = False
                dv.promptTitle = t("templates.dv.codes_title", lang)
                example = [offered[codes.index(c)] for c in (col.example or codes[0]).split(";")]
                dv.prompt = _limit(t("templates.dv.codes", lang, example=";".join(example)))
                dv.showInputMessage = True
        elif col.kind == "date":
            lo, hi = DATE_RANGE
            dv = DataValidation(type="date", operator="between", formula1=str(int(to_excel(lo))),
                                formula2=str(int(to_excel(hi))), allow_blank=True, showErrorMessage=True)
            fmt = get_locale(lang).date
            example = pd.Timestamp(col.example or "2021-01-15").strftime(fmt)
            dv.error = t("templates.dv.date", lang, lo=lo.strftime(fmt), hi=hi.strftime(fmt), example=example)
            dv.errorTitle = title
        elif is_item_column(col, inst):
            first = f"{sqref.split(':')[0]}"
            lo, hi = _formula_number(col.min), _formula_number(col.max)
            terms = [f"AND(ISNUMBER({first}),{first}>={lo},{first}<={hi})"]
            terms += [f"{first}={_formula_number(m)}" for m in inst.missing_codes]
            dv = DataValidation(type="custom", formula1=f"OR({','.join(terms)})", allow_blank=True,
                                showErrorMessage=True)
            dv.error = _limit(t("templates.dv.answer", lang, lo=shortest_number(col.min, lang),
                                hi=shortest_number(col.max, lang),
                                missing=missing_codes_text(inst, lang, "templates.dv.missing")))
            dv.errorTitle = title
        elif col.kind in ("int", "number"):
            lo = col.min if col.min is not None else -1e15
            hi = col.max if col.max is not None else 1e15
            dv = DataValidation(type="whole" if col.kind == "int" else "decimal", operator="between",
                                formula1=_formula_number(lo), formula2=_formula_number(hi), allow_blank=True,
                                showErrorMessage=True)
            dv.error = t(f"templates.dv.{col.kind}", lang, lo=shortest_number(lo, lang), hi=shortest_number(hi, lang))
            dv.errorTitle = title
        else:
            return None
        dv.add(sqref)
        return dv

    def _list_formula(self, kind: str, codes: tuple[str, ...]) -> str:
        inline = ",".join(codes)
        if len(inline) <= _INLINE_LIST_MAX and not any("," in c or '"' in c for c in codes):
            return f'"{inline}"'
        if kind not in self.lists:
            self.lists[kind] = codes
        letter = get_column_letter(list(self.lists).index(kind) + 1)
        return f"{LISTS_SHEET}!${letter}$1:${letter}${len(codes)}"


# --------------------------------------------------------------------------- cell values


def _dropdown(offered: list[str], codes: tuple[str, ...]) -> tuple[str, ...]:
    """A coded column's dropdown: what the language offers (labels or codes), then any code not among them.

    Typing a code stays possible in a template that offers labels (the reader takes both).

    >>> _dropdown(["tak", "nie"], ("yes", "no")), _dropdown(["yes", "no"], ("yes", "no"))
    (('tak', 'nie', 'yes', 'no'), ('yes', 'no'))
    """
    seen = {o.lower() for o in offered}
    return (*offered, *(c for c in codes if c.lower() not in seen))


def _formula_number(x) -> str:
    x = plain_number(x)
    return repr(x) if isinstance(x, float) else str(x)


def _limit(text: str, n: int = 255) -> str:
    """Excel refuses validation messages longer than 255 characters."""
    return text if len(text) <= n else text[: n - 1] + "…"


def _safe(value):
    return neutralise(value) if isinstance(value, str) else value


def _is_missing(value) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _text_value(value, col: Column):
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)) and col.codes == "yesno":
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating, np.integer)):
        value = plain_number(value)
    return neutralise(str(value))


def _cell_values(series: pd.Series, col: Column) -> list:
    """One column's values as staff would type them: datetime, int/float, or (neutralised) text."""
    values = series.tolist()
    if col.kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series):
            parsed = series
        else:
            text = series.map(lambda v: v.strip() if isinstance(v, str) else v)
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
            polish = pd.to_datetime(text.where(parsed.isna()), errors="coerce", format="%d.%m.%Y")
            parsed = parsed.fillna(polish)
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
        out = []
        for orig, ts in zip(values, parsed.tolist()):
            if not _is_missing(ts):
                out.append(ts.to_pydatetime())
            else:
                out.append(_text_value(orig, col))  # not a date: typed as it came, the validator will say so
        return out
    if col.kind in ("int", "number"):
        numbers = pd.to_numeric(series, errors="coerce").astype("float64").tolist()
        return [plain_number(num) if num == num else _text_value(orig, col) for orig, num in zip(values, numbers)]
    return [_text_value(v, col) for v in values]


def _rows_xml(columns: list[list], style_ids: list[int], *, first_row: int) -> bytes:
    """The ``<row>`` elements of data rows, written straight as sheet XML.

    openpyxl's own streaming writer needs ~15 µs a cell without lxml (absent
    here); building the few kinds of cell this module writes (inline text,
    number, date serial) directly is ~10 times faster, which matters for the
    1–2 million cells of a 10 000-participant demo. Values come from
    :func:`_cell_values` (None, str, int, float, datetime).

    >>> _rows_xml([["P1", None], [1.5, dt.datetime(2021, 1, 1)]], [3, 4], first_row=3).decode()
    '<row r="3"><c r="A3" s="3" t="inlineStr"><is><t>P1</t></is></c><c r="B3" s="4"><v>1.5</v></c></row><row r="4"><c r="B4" s="4"><v>44197</v></c></row>'
    """
    cells = []
    for idx, (values, sid) in enumerate(zip(columns, style_ids), 1):
        letter = get_column_letter(idx)
        cells.append([_cell_xml(value, f"{letter}{row}", sid) for row, value in enumerate(values, first_row)])
    rows = [f'<row r="{row}">{"".join(parts)}</row>' for row, parts in enumerate(zip(*cells), first_row)]
    return "".join(rows).encode("utf-8")


def _cell_xml(value, ref: str, sid: int) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_excel(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return f'<c r="{ref}" s="{sid}"><v>{_formula_number(value)}</v></c>'
    text = _ILLEGAL_XML.sub("", str(value))
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" s="{sid}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _save_deterministic(wb: Workbook, path: Path, rows_xml: list[tuple[object, str, bytes]] = ()) -> None:
    """Save with fixed document times and zip entry times: the same content gives the same bytes.

    ``rows_xml`` holds, per data sheet, its used range (written as the ``<dimension>`` that
    openpyxl's streaming writer leaves out and some readers rely on) and the data rows to
    append to its ``<sheetData>`` (see :func:`_rows_xml`).
    """
    buffer = io.BytesIO()
    wb.save(buffer)  # sets properties.modified to now; replaced below
    wb.properties.modified = FIXED_TIME
    core = tostring(wb.properties.to_tree())
    inserts = {ws.path.lstrip("/"): (ref, xml) for ws, ref, xml in rows_xml}
    buffer.seek(0)
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(buffer) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = core if info.filename == "docProps/core.xml" else zin.read(info)
            if info.filename in inserts:
                ref, xml = inserts[info.filename]
                head, tail = data.rsplit(b"</sheetData>", 1)
                data = head + xml + b"</sheetData>" + tail
                data = data.replace(b"<sheetViews>", f'<dimension ref="{ref}" /><sheetViews>'.encode(), 1)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            zout.writestr(entry, data)
    tmp.replace(path)
