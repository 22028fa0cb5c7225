"""Reading a data folder's tables from Excel or LibreOffice sheets or CSV files (docs/data.md).

This module only reads: files are opened read-only and nothing is written.
:func:`read_folder` finds every table and returns it *raw* (cells as found,
with the row number a person sees); :func:`parse_column`
(:mod:`evaltools.parsing`, importable from here too) turns raw cells into
typed values, forgiving what the contract forgives (stray spaces, letter case
of codes, decimal comma, Polish or ISO dates, real Excel dates, numbers typed
as text) and reporting everything else.

Examples
--------
>>> sniff_separator("participant_id;wave;date")     # a CSV saved by Polish Excel
';'
>>> parse_column(pd.Series(["3,5", "4", " 2.0 "]), kind="number")[0].tolist()
[3.5, 4.0, 2.0]
"""

from __future__ import annotations

import csv
import functools
import io as _io
import re
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.errors import Problem
from evaltools.exports import export_file_hint, normalise_export
from evaltools.labels import LANGS, t
from evaltools.parsing import (FIRST_DATE, LAST_DATE, code_choices, code_lookup, is_blank, parse_column,  # noqa: F401
                               text_series, year_out_of_range)  # (public here too)
from evaltools.schema import QUESTIONNAIRE_COLUMNS, TABLES

#: An xlsx whose parts unpack to more than this is refused before parsing.
MAX_UNCOMPRESSED = 512 * 1024 * 1024
#: ... and so is one that unpacks to more than this many times its size (a zip bomb).
MAX_RATIO = 200
#: Columns that identify a row: the example marker is looked for in these.
_ID_COLUMNS = {c.name for table in TABLES.values() for c in table.columns if c.kind == "id"} | {
    c.name for c in QUESTIONNAIRE_COLUMNS if c.kind == "id"}
NOT_TABLE_SHEETS = {"instructions", "instrukcja", "codebook", "słownik", "slownik", "lists", "listy", "_lists"}


@dataclass
class RawTable:
    """A table as found: every cell as typed (str, number, datetime or None)."""

    name: str
    frame: pd.DataFrame  # raw cells, object dtype, plus "_row"
    file: str
    sheet: str | None = None
    skipped: int = 0  # template example rows left out (see :func:`drop_example_rows`)


@dataclass
class Readout:
    tables: dict[str, RawTable] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    near_misses: list[tuple[str, Problem]] = field(default_factory=list)  # (table, "rename it") until settled


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
        if leaves_folder(path, data_dir):
            out.problems.append(Problem("link_outside", {}, file=path.name))
            continue
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
            name = table_name_for(path.stem, wanted, out, file=path.name)
            if name in wanted or name.startswith("q_"):
                _add(out, _read_csv(path, name, out.problems))
            elif hint := export_file_hint(path.name, wanted):  # a platform's export: its own, sharper message
                out.near_misses[:] = [(t, p) for t, p in out.near_misses if p.file != path.name]
                out.problems.append(hint)
            elif not any(p.file == path.name for _, p in out.near_misses):
                out.problems.append(Problem("unknown_file", {"name": path.name}, file=path.name, severity="warning"))
        elif suffix == ".zip" and (hint := export_file_hint(path.name, wanted)):
            out.problems.append(hint)
    _settle_names(out)
    return out


def leaves_folder(path: Path, folder: Path) -> bool:
    """Whether ``path`` (a link, or inside a linked folder) leads out of ``folder``; such a file is never read."""
    try:
        return not Path(path).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, RuntimeError):  # a loop of links
        return True


def _add(out: Readout, table: RawTable | None) -> None:
    if table is None:
        return
    table.frame, table.skipped = drop_example_rows(table.frame)
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


# --------------------------------------------------------------------------- names of sheets and files

#: What staff call the fixed tables in Polish (a sheet named so is a near miss: it is never guessed).
_TABLE_WORDS = {"uczestnicy": "participants", "uczestnik": "participants", "zajecia": "sessions",
                "spotkania": "sessions", "sesje": "sessions", "obecnosc": "attendance", "obecnosci": "attendance",
                "obecnosci_na_zajeciach": "attendance", "wiezi": "ties", "relacje": "ties", "siec": "ties"}


def _fold_name(name: str) -> str:
    """``' Q Empowerment '`` -> ``q_empowerment``: letter case, spaces and dashes folded."""
    return re.sub(r"[\s\-]+", "_", str(name).strip()).strip("_").lower()


def table_name_for(name: str, wanted: set[str], out: Readout, *, file: str, sheet: str | None = None) -> str:
    """The table a sheet (or a CSV file's stem) ``name`` holds: itself, or a table it differs from only in
    letter case or spaces (read, with a warning); a near miss (``Uczestnicy``, ``dane-participants``,
    ``atendance``) is remembered in ``out`` and ``name`` returned unchanged.

    >>> out = Readout()
    >>> [table_name_for(n, {"participants", "ties"}, out, file="f.xlsx", sheet=n)
    ...  for n in ["participants", " Participants", "Uczestnicy"]]
    ['participants', 'participants', 'Uczestnicy']
    >>> [p.key for p in out.problems], [(t, p.key) for t, p in out.near_misses]
    (['sheet_read_as'], [('participants', 'sheet_near_miss')])
    """
    plain = name.strip()
    if plain in wanted or plain.startswith("q_") or plain.lower() in NOT_TABLE_SHEETS:
        return plain
    folded = _fold_name(name)
    if folded in wanted or (folded.startswith("q_") and folded[2:].isidentifier()):
        key = "sheet_read_as" if sheet is not None else "file_read_as"
        out.problems.append(Problem(key, {"sheet": name, "table": folded, "name": file}, file=file, sheet=sheet,
                                    table=folded, severity="warning"))
        return folded
    near = _near_table(folded, wanted)
    if near:
        key = "sheet_near_miss" if sheet is not None else "file_near_miss"
        out.near_misses.append((near, Problem(key, {"sheet": name, "table": near, "name": file}, file=file,
                                              sheet=sheet, table=near)))
    return plain


def _near_table(folded: str, wanted: set[str]) -> str | None:
    """The one table ``folded`` (see :func:`_fold_name`) most likely means, or None."""
    import difflib
    ascii_name = _fold(folded).lower()
    if ascii_name in _TABLE_WORDS:
        return _TABLE_WORDS[ascii_name]
    ends = [t for t in wanted if ascii_name.endswith("_" + t) or ascii_name.endswith("-" + t)]
    if len(ends) == 1:  # LibreOffice's per-sheet CSV: <workbook>-<sheet>.csv
        return ends[0]
    close = difflib.get_close_matches(ascii_name, sorted(wanted), n=2, cutoff=0.85)
    return close[0] if len(close) == 1 else None


def _settle_names(out: Readout) -> None:
    """After the whole folder is read: a near miss of a table still missing is an error (it says what to
    rename); one of a table found elsewhere is left out. A workbook copy (``dane - kopia.xlsx``) that repeats
    several tables of another file is said once, naming both files."""
    for table, problem in out.near_misses:
        if table not in out.tables:
            out.problems.append(problem)
    twice: dict[tuple[str, str], list[Problem]] = {}
    for p in out.problems:
        if p.key == "table_twice" and p.table in out.tables:
            twice.setdefault((p.file, out.tables[p.table].file), []).append(p)
    for (file, first), found in twice.items():
        if len(found) > 1 and file != first:
            at = out.problems.index(found[0])
            out.problems = [p for p in out.problems if not any(p is f for f in found)]
            out.problems.insert(at, Problem("file_twice", {"file": file, "first": first,
                                                           "tables": ", ".join(p.table for p in found)},
                                            file=file))


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


def _refused_as_zip_bomb(path: Path, out: Readout) -> bool:
    """Whether a workbook is refused unread (:func:`check_workbook_zip`); the problem is added to ``out``."""
    why = check_workbook_zip(path)
    if why:
        out.problems.append(Problem(why, {"limit_mb": MAX_UNCOMPRESSED // 2**20, "ratio": MAX_RATIO},
                                    file=path.name))
    return bool(why)


def _read_workbook(path: Path, wanted: set[str], out: Readout) -> None:
    import openpyxl  # openpyxl parses with defusedxml when it is installed (it is a dependency)

    if _refused_as_zip_bomb(path, out):
        return
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)  # formulas: cached values only
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        out.problems.append(Problem("not_a_workbook", {"detail": type(e).__name__}, file=path.name))
        return
    try:
        for ws in wb.worksheets:
            name = table_name_for(ws.title, wanted, out, file=path.name, sheet=ws.title)
            if name.lower() in NOT_TABLE_SHEETS:
                continue
            if name in wanted or name.startswith("q_"):
                _read_sheet(ws, name, path.name, out)
        if path.stem.startswith("q_") and not any(t.file == path.name for t in out.tables.values()):
            table = _sheet_table(wb.worksheets[0], path.stem, path.name)  # q_<id>.xlsx: a Kobo export's sheet
            table.sheet = wb.worksheets[0].title
            _add(out, table)
    except _SheetBroken as e:  # the first sheet of a Kobo export, read whole
        out.problems.append(Problem("cell_broken", {"detail": e.detail}, file=path.name, row=e.row))
    finally:
        wb.close()


def _sheet_table(ws, name: str, file: str) -> RawTable:
    def rows():
        for cells in _sheet_rows(ws):
            number = next((c.row for c in cells if getattr(c, "row", None)), None)
            yield number, [getattr(c, "value", None) for c in cells]
    return _rows_table(rows(), name, file)


def _rows_table(rows, name: str, file: str) -> RawTable:
    """A sheet's table from its rows ``(row number, cell values)``, header first.

    Shared by the xlsx and ods readers: blank rows are skipped the same way
    (the example row is recognised by its marker, :func:`drop_example_rows`).
    """
    _, header_values = next(rows, (None, []))
    header = [_header_text(v) for v in header_values]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    records, numbers = [], []
    for row_number, values in rows:
        values = list(values[:width])
        values += [None] * (width - len(values))
        if all(is_blank(v) for v in values):
            continue
        records.append(values)
        numbers.append(row_number)
    frame = pd.DataFrame(records, columns=header if width else [], dtype=object)
    frame["_row"] = np.asarray(numbers, dtype="int64") if numbers else np.array([], dtype="int64")
    return RawTable(name, frame, file, name)


def _read_ods(path: Path, wanted: set[str], out: Readout) -> None:
    """The tables of a LibreOffice workbook (:mod:`evaltools.io_ods`), read like an xlsx's."""
    from evaltools.io_ods import OdsError, read_sheets

    if _refused_as_zip_bomb(path, out):
        return
    keep = lambda name: name.lower() not in NOT_TABLE_SHEETS and (name in wanted or name.startswith("q_"))  # noqa: E731
    tables = []
    try:
        for name, rows in read_sheets(path, keep):
            tables.append(_rows_table(((r.number, r.values) for r in rows), name, path.name))
    except Exception as e:  # a damaged or encrypted file: XML, zip and value errors of many kinds
        detail = type(e).__name__ if not isinstance(e, OdsError) else str(e)
        out.problems.append(Problem("not_a_workbook", {"detail": detail}, file=path.name))
        return
    for table in tables:
        _add(out, table)


class _SheetBroken(Exception):
    """A cell openpyxl cannot convert (``t="d"`` holding ``15000-01-01``, a number that is not one)."""

    def __init__(self, row: int, detail: str):
        super().__init__(detail)
        self.row, self.detail = row, detail


def _read_sheet(ws, name: str, file: str, out: Readout) -> None:
    """One sheet as a table; a cell that cannot be converted is a problem naming file, sheet and row."""
    try:
        _add(out, _sheet_table(ws, name, file))
    except _SheetBroken as e:
        out.problems.append(Problem("cell_broken", {"detail": e.detail}, file=file, sheet=ws.title, row=e.row,
                                    table=name))


def _sheet_rows(ws):
    """The rows of a sheet that hold cells, whatever size the sheet's ``<dimension>`` claims.

    openpyxl's read-only mode trusts that header: too small, and rows are
    lost; too large, and it pads millions of empty rows. Forgetting it reads
    exactly the rows written, and the empty rows between them (an empty
    tuple each) are passed over here, so the work follows the cells that exist.
    """
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    row = 0
    try:
        for row, cells in enumerate(ws.iter_rows(values_only=False), 1):
            if cells:
                yield cells
    except (ValueError, TypeError, OverflowError, KeyError, IndexError, SyntaxError, EOFError, OSError,
            zipfile.BadZipFile, zlib.error) as e:  # SyntaxError: the XML parser's ParseError
        raise _SheetBroken(row + 1, str(e) or type(e).__name__) from None


def _header_text(value) -> str:
    return "" if value is None else str(value).strip()


# --------------------------------------------------------------------------- the template's example row

def example_id(lang: str) -> str:
    """The identifier of a template's example row in ``lang``, a value no real row can have.

    >>> example_id("pl"), example_id("en")
    ('PRZYKŁAD-1', 'EXAMPLE-1')
    """
    return f"{t('validate.example_marker', lang)}-1"


@functools.cache
def _example_markers() -> tuple[str, ...]:
    """The example marker of every language, folded (:func:`_fold`): ``('EXAMPLE', 'PRZYKLAD')``."""
    return tuple(sorted({_fold(t("validate.example_marker", lang)) for lang in LANGS}))


def _example_pattern() -> re.Pattern:
    return re.compile(r"^(?:" + "|".join(map(re.escape, _example_markers())) + r")-\d+$")


def _holds_marker_letters(text: str) -> bool:
    """Whether upper-cased ``text`` holds a marker that is ASCII: true of every ASCII text carrying the
    marker, as :func:`_fold` of an ASCII text only trims and upper-cases it."""
    upper = text.upper()
    return any(m in upper for m in _example_markers() if m.isascii())


def _fold(text: str) -> str:
    """Upper case without diacritics (``Przykład`` -> ``PRZYKLAD``), so a retyped marker is still one."""
    text = unicodedata.normalize("NFKD", str(text).strip().replace("ł", "l").replace("Ł", "L"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).upper()


def drop_example_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """``frame`` without the rows whose identifier carries the example marker, and how many there were.

    Only the marker counts (in any language, any letter case), in any
    identifier column and any row: a real row is never taken for the example
    because its values resemble it.

    >>> f = pd.DataFrame({"participant_id": ["Przykład-1", "P001"], "sex": ["F", "F"], "_row": [2, 3]})
    >>> kept, n = drop_example_rows(f)
    >>> kept["participant_id"].tolist(), n
    (['P001'], 1)
    """
    columns = [c for c in frame.columns if c in _ID_COLUMNS]
    if not columns or frame.empty:
        return frame, 0
    marked = np.zeros(len(frame), dtype=bool)
    for col in columns:
        values = marked_values(frame[col].to_numpy(dtype=object))
        if values:
            marked |= frame[col].isin(values).to_numpy(dtype=bool)
    if not marked.any():
        return frame, 0
    return frame[~marked].reset_index(drop=True), int(marked.sum())


def marked_values(cells: np.ndarray) -> set[str]:
    """The text cells of ``cells`` that carry the example marker (see :func:`drop_example_rows`).

    A column of ASCII text that nowhere holds a marker's letters (any case) is
    passed in one search over its joined text; otherwise each distinct
    value is folded once, only if it could be a marker (not ASCII, or holding
    a marker's letters).

    >>> sorted(marked_values(np.array(["P1", " przykład-2 ", "EXAMPLE-1x", 3, None], dtype=object)))
    [' przykład-2 ']
    """
    try:
        joined = "\n".join(cells)
    except TypeError:  # Excel cells: numbers, dates, blanks among the text
        cells = np.array([v for v in cells if isinstance(v, str)], dtype=object)
        joined = "\n".join(cells)
    if joined.isascii() and not _holds_marker_letters(joined):
        return set()
    pattern = _example_pattern()
    return {v for v in pd.unique(cells) if (not v.isascii() or _holds_marker_letters(v)) and pattern.match(_fold(v))}


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
        frame = pd.read_csv(_io.StringIO(text), sep=sep, dtype=object, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False, engine="c")  # every cell a str (object: no string array built)
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
