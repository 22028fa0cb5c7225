"""Reading a data folder's tables from Excel or LibreOffice sheets or CSV files (docs/data.md).

This module only reads: files are opened read-only and nothing is written.
:func:`read_folder` finds every table and returns it *raw* (cells as found,
with the row number a person sees); :func:`parse_column` turns raw cells into
typed values, forgiving what the contract forgives (stray spaces, letter case
of codes, decimal comma, Polish or ISO dates, real Excel dates, numbers typed
as text) and reporting everything else.

Examples
--------
>>> s = pd.Series([" Baseline", "endline ", "pomiar końcowy", "endlin", None])
>>> values, bad = parse_column(s, kind="code", codes="wave")
>>> values.tolist()[:3], bad.tolist()
(['baseline', 'endline', 'endline'], [False, False, False, True, False])
>>> parse_column(pd.Series(["3,5", "4", " 2.0 "]), kind="number")[0].tolist()
[3.5, 4.0, 2.0]
>>> parse_column(pd.Series(["15.03.2021", "2021-03-16"]), kind="date")[0].dt.day.tolist()
[15, 16]
"""

from __future__ import annotations

import csv
import datetime as dt
import io as _io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.errors import Problem
from evaltools.exports import export_file_hint, normalise_export
from evaltools.labels import LANGS, catalogue, get_locale
from evaltools.schema import CODES, TABLES

#: An xlsx whose parts unpack to more than this is refused before parsing.
MAX_UNCOMPRESSED = 512 * 1024 * 1024
#: ... and so is one that unpacks to more than this many times its size (a zip bomb).
MAX_RATIO = 200
_SPACE = re.compile(r"\s")  # what str.strip() removes
NOT_TABLE_SHEETS = {"instructions", "instrukcja", "codebook", "słownik", "slownik", "lists", "listy", "_lists"}


@dataclass
class RawTable:
    """A table as found: every cell as typed (str, number, datetime or None)."""

    name: str
    frame: pd.DataFrame  # raw cells, object dtype, plus "_row"
    file: str
    sheet: str | None = None


@dataclass
class Readout:
    tables: dict[str, RawTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def read_folder(data_dir: str | Path, *, table_names: set[str] | None = None) -> Readout:
    """Find and read every table of ``data_dir`` (sheets of ``*.xlsx`` / ``*.ods`` and ``<table>.csv``).

    ``table_names`` are the tables to look for (default: the contract's
    fixed tables and every ``q_*``). Files of other kinds are left alone.
    """
    data_dir = Path(data_dir)
    out = Readout()
    wanted = set(table_names) if table_names is not None else set(TABLES)
    for path in sorted(p for p in data_dir.iterdir() if p.is_file()):
        suffix = path.suffix.lower()
        if path.name.startswith(("~$", ".~lock")):
            continue  # Excel/LibreOffice lock files
        if suffix in (".xlsm", ".xls", ".xlsb"):
            out.problems.append(Problem("xlsm_refused" if suffix == ".xlsm" else "workbook_format",
                                        {"suffix": suffix}, file=path.name))
        elif suffix == ".xlsx":
            before = len(out.tables)
            _read_workbook(path, wanted, out)
            if len(out.tables) == before and (hint := export_file_hint(path.name, wanted)):
                out.problems.append(hint)  # a Kobo export under Kobo's own name
        elif suffix == ".ods":
            _read_ods(path, wanted, out)
        elif suffix == ".csv":
            name = path.stem
            if name in wanted or name.startswith("q_"):
                _add(out, _read_csv(path, name, out.problems))
            else:
                out.problems.append(export_file_hint(path.name, wanted)
                                    or Problem("unknown_file", {"name": path.name}, file=path.name, severity="warning"))
        elif suffix == ".zip" and (hint := export_file_hint(path.name, wanted)):
            out.problems.append(hint)
    return out


def _add(out: Readout, table: RawTable | None) -> None:
    if table is None:
        return
    if table.name.startswith("q_"):  # a KoboToolbox / ODK Central export becomes a plain q_ table
        table.frame, found = normalise_export(table.frame, file=table.file, sheet=table.sheet, table=table.name)
        out.problems.extend(found)
    if table.name in out.tables:
        first = out.tables[table.name]
        out.problems.append(Problem("table_twice", {"table": table.name, "first": _place(first)},
                                    file=table.file, sheet=table.sheet, table=table.name))
        return
    out.tables[table.name] = table


def _place(table: RawTable) -> str:
    return f"{table.file}" + (f" [{table.sheet}]" if table.sheet else "")


# --------------------------------------------------------------------------- Excel

def check_workbook_zip(path: Path) -> str | None:
    """Why ``path`` may not be opened as a workbook (not a zip, a zip bomb), or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "not_a_workbook"
    size = max(path.stat().st_size, 1)
    if total > MAX_UNCOMPRESSED or total / size > MAX_RATIO:
        return "zip_bomb"
    return None


def _read_workbook(path: Path, wanted: set[str], out: Readout) -> None:
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is a dependency)

    why = check_workbook_zip(path)
    if why:
        out.problems.append(Problem(why, {"limit_mb": MAX_UNCOMPRESSED // 2**20, "ratio": MAX_RATIO},
                                    file=path.name))
        return
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)  # formulas: cached values only
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        out.problems.append(Problem("not_a_workbook", {"detail": type(e).__name__}, file=path.name))
        return
    try:
        for ws in wb.worksheets:
            name = ws.title.strip()
            if name.lower() in NOT_TABLE_SHEETS:
                continue
            if name in wanted or name.startswith("q_"):
                _add(out, _sheet_table(ws, name, path.name))
        if path.stem.startswith("q_") and not any(t.file == path.name for t in out.tables.values()):
            table = _sheet_table(wb.worksheets[0], path.stem, path.name)  # q_<id>.xlsx: a Kobo export's sheet
            table.sheet = wb.worksheets[0].title
            _add(out, table)
    finally:
        wb.close()


def _sheet_table(ws, name: str, file: str) -> RawTable:
    def rows():
        for cells in ws.iter_rows(values_only=False):
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            grey = lambda cells=cells: bool(cells) and _is_grey(cells[0])  # noqa: E731
            yield number, [getattr(c, "value", None) for c in cells], grey
    return _rows_table(rows(), name, file)


def _rows_table(rows, name: str, file: str) -> RawTable:
    """A sheet's table from its rows ``(row number, cell values, is the first cell filled?)``, header first.

    Shared by the xlsx and ods readers: blank rows and the example row are skipped the same way.
    """
    _, header_values, _ = next(rows, (None, [], None))
    header = [_header_text(v) for v in header_values]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    records, numbers = [], []
    example_checked = False
    for row_number, values, grey in rows:
        values = list(values[:width])
        values += [None] * (width - len(values))
        if all(_blank(v) for v in values):
            continue
        if not example_checked:
            example_checked = True
            if row_number == 2 and _is_example_row(name, header, values, grey):
                continue
        records.append(values)
        numbers.append(row_number)
    frame = pd.DataFrame(records, columns=header if width else [], dtype=object)
    frame["_row"] = np.asarray(numbers, dtype="int64") if numbers else np.array([], dtype="int64")
    return RawTable(name, frame, file, name)


def _read_ods(path: Path, wanted: set[str], out: Readout) -> None:
    """The tables of a LibreOffice workbook (:mod:`evaltools.io_ods`), read like an xlsx's."""
    from evaltools.io_ods import OdsError, read_sheets

    why = check_workbook_zip(path)
    if why:
        out.problems.append(Problem(why, {"limit_mb": MAX_UNCOMPRESSED // 2**20, "ratio": MAX_RATIO},
                                    file=path.name))
        return
    keep = lambda name: name.lower() not in NOT_TABLE_SHEETS and (name in wanted or name.startswith("q_"))  # noqa: E731
    tables = []
    try:
        for name, rows in read_sheets(path, keep):
            tables.append(_rows_table(((r.number, r.values, lambda r=r: r.filled) for r in rows), name, path.name))
    except Exception as e:  # a damaged or encrypted file: XML, zip and value errors of many kinds
        detail = type(e).__name__ if not isinstance(e, OdsError) else str(e)
        out.problems.append(Problem("not_a_workbook", {"detail": detail}, file=path.name))
        return
    for table in tables:
        _add(out, table)


def _header_text(value) -> str:
    return "" if value is None else str(value).strip()


def _blank(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float):
        return v != v
    return isinstance(v, str) and not v.strip()


def example_values(table_name: str) -> dict[str, object]:
    """The values of a template's greyed example row (row 2), by column."""
    from evaltools.schema import QUESTIONNAIRE_COLUMNS
    cols = QUESTIONNAIRE_COLUMNS if table_name.startswith("q_") else TABLES[table_name].columns
    return {c.name: c.example for c in cols if c.example is not None}


def _is_example_row(name: str, header: list[str], values: list, grey) -> bool:
    """Row 2 is the template's example when it is greyed and holds the schema's example values."""
    try:
        examples = example_values(name)
    except KeyError:
        return False
    compared = 0
    for col, value in zip(header, values):
        if col in examples:
            compared += 1
            if _norm(value) != _norm(examples[col]):
                return False
    grey = grey()  # asked only here: looking up a cell's fill is slow
    if name.startswith("q_"):  # P001 / baseline may be real answers: the grey fill must say "example" too
        return compared >= 2 and grey
    return compared >= 2 or (compared >= 1 and grey)


def _is_grey(cell) -> bool:
    try:
        fill = cell.fill
        return fill is not None and fill.fill_type == "solid"
    except Exception:
        return False


def _norm(value) -> str:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip().lower()


# --------------------------------------------------------------------------- CSV

def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1250.

    >>> decode_text("Łódź".encode("cp1250"))
    'Łódź'
    >>> decode_text(b"\\xef\\xbb\\xbfa;b")
    'a;b'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1250", errors="replace")


def sniff_separator(first_line: str) -> str:
    """``;`` or ``,``: whichever splits the header into more columns (ties: ``,``)."""
    return ";" if first_line.count(";") > first_line.count(",") else ","


def _read_csv(path: Path, name: str, problems: list[Problem]) -> RawTable | None:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        problems.append(Problem("not_text", {}, file=path.name, table=name))
        return None
    text = decode_text(data)
    first_line = text.split("\n", 1)[0]
    sep = sniff_separator(first_line)
    fast = _read_csv_fast(text, sep)
    if fast is not None:
        frame = fast
    else:
        frame = _read_csv_rows(text, sep, path.name, name, problems)
        if frame is None:
            return None
    return RawTable(name, frame, path.name, None)


def _read_csv_fast(text: str, sep: str) -> pd.DataFrame | None:
    """pandas' C reader, when every line is one record (row number = line number); else None."""
    try:
        frame = pd.read_csv(_io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, engine="c")
    except (pd.errors.ParserError, ValueError, csv.Error):
        return None
    if any("\n" in str(c) for c in frame.columns) or frame.columns.duplicated().any():
        return None
    body_lines = text.count("\n") + (0 if text.endswith("\n") else 1) - 1
    if len(frame) > body_lines:  # quoted line breaks: line numbers would drift
        return None
    frame.columns = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    if any(c.startswith("Unnamed: ") for c in frame.columns):
        return None
    frame = frame.astype(object)
    blank = np.ones(len(frame), dtype=bool)  # rows of spaces only are dropped by validate, after trimming
    for col in frame.columns:  # a row is blank while every cell so far is empty: look only at those
        rows = np.flatnonzero(blank)
        if not len(rows):
            break
        blank[rows] = frame[col].to_numpy()[rows] == ""
    frame["_row"] = np.arange(2, len(frame) + 2, dtype="int64")
    return frame[~blank].reset_index(drop=True) if blank.any() else frame


def _read_csv_rows(text: str, sep: str, file: str, name: str, problems: list[Problem]) -> pd.DataFrame | None:
    """The careful reader: one record at a time, naming rows with too many cells."""
    reader = csv.reader(_io.StringIO(text, newline=""), delimiter=sep)
    try:
        header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    except csv.Error as e:
        problems.append(Problem("csv_broken", {"detail": str(e)}, file=file, row=1, table=name))
        return None
    width = len(header)
    records, numbers = [], []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > width and any(v.strip() for v in values[width:]):
                problems.append(Problem("too_many_cells", {"n": len(values), "width": width},
                                        file=file, row=line, table=name))
                if len(problems) > 1000:
                    break
                continue
            records.append((values + [""] * width)[:width])
            numbers.append(line)
    except csv.Error as e:
        problems.append(Problem("csv_broken", {"detail": str(e)}, file=file, row=reader.line_num, table=name))
        return None
    frame = pd.DataFrame(records, columns=header, dtype=object)
    frame["_row"] = np.asarray(numbers, dtype="int64") if numbers else np.array([], dtype="int64")
    return frame


# --------------------------------------------------------------------------- parsing cells

def code_lookup(kind: str) -> dict[str, str]:
    """Every accepted spelling of a code (code, Polish and English label), folded, -> the code."""
    lookup = {}
    entries = catalogue()
    for code in CODES[kind]:
        lookup[code.lower()] = code
        entry = entries.get(f"code.{kind}.{code}")
        if entry:
            for lang in LANGS:
                lookup.setdefault(entry[lang].strip().lower(), code)
    return lookup


def code_choices(kind: str, lang: str) -> list[str]:
    """What a person working in ``lang`` is offered for a coded column (templates' dropdowns, messages).

    The codes' labels in ``lang`` when its locale says so (``code_labels``),
    else the codes; every choice is a spelling :func:`code_lookup` accepts.

    >>> code_choices("sex", "pl"), code_choices("sex", "en")
    (['kobieta', 'mężczyzna', 'inna', 'nieznana'], ['F', 'M', 'other', 'unknown'])
    """
    if not get_locale(lang).code_labels:
        return list(CODES[kind])
    entries = catalogue()
    return [entries[f"code.{kind}.{code}"][lang] if f"code.{kind}.{code}" in entries else code
            for code in CODES[kind]]


def _as_text(value) -> object:
    """A raw cell as trimmed text; numbers typed in Excel lose a spurious ``.0``."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def text_series(raw: pd.Series) -> pd.Series:
    """Raw cells -> trimmed text (``str`` dtype, missing as NA)."""
    cells = raw.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=True) not in ("string", "empty"):  # Excel cells: one at a time
        return pd.Series([_as_text(v) for v in raw], index=raw.index, dtype="str")
    try:
        joined = "".join(cells)  # a CSV column: every cell is text
    except TypeError:  # some cells missing
        text = raw.astype("str").str.strip()
        return text.mask(text == "")
    if _SPACE.search(joined):  # trim only columns that hold white space at all
        cells = np.array([v.strip() for v in cells], dtype=object)
    blank = cells == ""
    text = pd.Series(cells, index=raw.index, dtype="str")
    return text.mask(blank) if blank.any() else text


def _by_value(text: pd.Series) -> tuple[np.ndarray, list[str]]:
    """``text``'s distinct values and, per cell, the position of its value (-1: missing).

    Work done once per distinct value and spread back with :func:`_spread` is
    what keeps 100,000 participants' columns fast: codes, dates and answers
    repeat a few hundred values over millions of cells.
    """
    positions, values = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=True)
    return positions, list(values)


def _spread(per_value: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Per-value results back to one per cell; missing cells (position -1) get the dtype's NA."""
    return pd.api.extensions.take(np.asarray(per_value), positions, allow_fill=True)


def parse_column(raw: pd.Series, *, kind: str, codes: str | None = None,
                 text: pd.Series | None = None) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of cells that could not be read (non-blank but invalid).

    ``text`` is :func:`text_series` of ``raw`` when the caller has it already.
    Each distinct value is parsed once (see :func:`_by_value`).
    """
    text = text_series(raw) if text is None else text
    if kind in ("id", "text"):
        return text, pd.Series(False, index=raw.index)
    index = raw.index
    if kind == "code":
        lookup = code_lookup(codes)
        positions, found = _by_value(text)
        mapped = np.array([lookup.get(v.lower()) for v in found] + [None], dtype=object)
        values = pd.Series(mapped[positions], index=index, dtype="str")  # position -1: the trailing None
        bad = pd.Series(np.append(mapped[:-1] == None, False)[positions], index=index)  # noqa: E711
        return values, bad
    if kind == "codes":
        lookup = code_lookup(codes)
        positions, found = _by_value(text)
        out, wrong = [], []
        for value in found:
            items = [i.strip().lower() for i in value.replace(",", ";").split(";") if i.strip()]
            mapped = [lookup.get(i) for i in items]
            wrong.append(any(m is None for m in mapped))
            out.append(";".join(dict.fromkeys(m for m in mapped if m)) or None)
        values = pd.Series(np.array(out + [None], dtype=object)[positions], index=index, dtype="str")
        return values, pd.Series(np.array(wrong + [False], dtype=bool)[positions], index=index)
    direct_cells = not _all_text(raw)  # Excel numbers and dates come typed; CSV cells never do
    if kind in ("int", "number"):
        if direct_cells:
            numeric = pd.Series([v if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan
                                 for v in raw], index=index, dtype="float64")
            rest = text.where(numeric.isna())
        else:
            numeric, rest = None, text
        positions, found = _by_value(rest)
        normalised = pd.Series(found, dtype="str").str.replace("\u00a0", "").str.replace(" ", "").str.replace(",", ".")
        parsed = pd.to_numeric(normalised, errors="coerce").astype("float64").to_numpy()
        values = pd.Series(_spread(parsed, positions), index=index, dtype="float64")
        if numeric is not None:
            values = numeric.fillna(values)
        bad = (text.notna() if numeric is not None else pd.Series(positions >= 0, index=index)) & values.isna()
        if kind == "int":
            bad |= values.notna() & (values != values.round())
        return values.where(~bad), bad
    if kind == "date":
        if direct_cells:
            direct = pd.Series([pd.Timestamp(v) if isinstance(v, (dt.datetime, dt.date)) else pd.NaT for v in raw],
                               index=index, dtype="datetime64[ns]")
            rest = text.where(direct.isna())
        else:
            direct, rest = None, text
        positions, found = _by_value(rest)
        found = pd.Series(found, dtype="str")
        iso = pd.to_datetime(found.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
        polish = pd.to_datetime(found, format="%d.%m.%Y", errors="coerce")
        parsed = iso.fillna(polish).astype("datetime64[ns]").to_numpy()
        values = pd.Series(_spread(parsed, positions), index=index, dtype="datetime64[ns]")
        if direct is not None:
            values = direct.fillna(values).astype("datetime64[ns]")
        bad = (text.notna() if direct is not None else pd.Series(positions >= 0, index=index)) & values.isna()
        return values, bad
    raise ValueError(f"unknown column kind {kind!r}")


def _all_text(raw: pd.Series) -> bool:
    """Whether every present cell is a string (a CSV column), so no cell is a typed number or date."""
    return pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty")
