"""Reading the sheets of an OpenDocument spreadsheet (``.ods``, LibreOffice) as rows of typed cells.

An ``.ods`` file is a zip holding ``content.xml``; every sheet is a
``table:table`` of ``table:table-row`` elements of ``table:table-cell``
elements. A cell's type is in ``office:value-type`` (``float``, ``date``,
``boolean``, ``string`` …) and its value in ``office:value`` /
``office:date-value`` / ``office:boolean-value``, or in its ``text:p``
paragraphs for text. Runs of identical rows or cells are written once with
``table:number-rows-repeated`` / ``table:number-columns-repeated`` (a
sheet's blank tail is typically one row "repeated" a million times), so the
work here is bounded by the cells that exist: blank repeats only advance the
row or column number, and a repeated non-blank cell or row is expanded only
up to the width a caller asks for and the largest sheet LibreOffice makes.

The XML is parsed with :mod:`defusedxml` (no entities, no DTD) as a stream,
each row dropped from the tree once read (memory stays flat; about as fast as
openpyxl reads the same workbook saved as xlsx); the zip is checked for size and compression
ratio by the caller (:func:`evaltools.io.check_workbook_zip`).

Cells come back as the xlsx reader gives them: ``float``, ``bool``,
:class:`datetime.datetime`, ``str`` or None, so both formats read to the
same data (:mod:`evaltools.io` builds the tables).

Examples
--------
>>> _date_value("2021-03-15"), _date_value("2021-03-15T08:30:00")
(datetime.datetime(2021, 3, 15, 0, 0), datetime.datetime(2021, 3, 15, 8, 30))
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from defusedxml.ElementTree import iterparse

MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
#: No sheet has more rows than this (LibreOffice's and Excel's limit); repeats beyond it are not expanded.
MAX_ROWS = 1_048_576
#: ... nor more columns than this.
MAX_COLUMNS = 16_384
#: A file whose repeated non-blank rows and cells expand to more cells than this is refused.
MAX_REPEATED_CELLS = 5_000_000

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"

_T_TABLE, _T_ROW = f"{{{_TABLE}}}table", f"{{{_TABLE}}}table-row"
_T_CELL, _T_COVERED = f"{{{_TABLE}}}table-cell", f"{{{_TABLE}}}covered-table-cell"
_T_COLUMN = f"{{{_TABLE}}}table-column"
_NAME, _STYLE_NAME = f"{{{_TABLE}}}name", f"{{{_TABLE}}}style-name"
_DEFAULT_CELL_STYLE = f"{{{_TABLE}}}default-cell-style-name"
_ROWS_REPEATED, _COLS_REPEATED = f"{{{_TABLE}}}number-rows-repeated", f"{{{_TABLE}}}number-columns-repeated"
_VALUE_TYPE, _VALUE = f"{{{_OFFICE}}}value-type", f"{{{_OFFICE}}}value"
_DATE_VALUE, _BOOLEAN_VALUE = f"{{{_OFFICE}}}date-value", f"{{{_OFFICE}}}boolean-value"
_STRING_VALUE = f"{{{_OFFICE}}}string-value"
_P, _S, _TAB, _BREAK = f"{{{_TEXT}}}p", f"{{{_TEXT}}}s", f"{{{_TEXT}}}tab", f"{{{_TEXT}}}line-break"
_C = f"{{{_TEXT}}}c"
_S_STYLE, _S_NAME = f"{{{_STYLE}}}style", f"{{{_STYLE}}}name"
_S_CELL_PROPS = f"{{{_STYLE}}}table-cell-properties"
_BACKGROUND = f"{{{_FO}}}background-color"


class OdsError(ValueError):
    """The file is not a readable OpenDocument spreadsheet."""


@dataclass
class Row:
    """One row of a sheet: the row number a person sees, its cell values, whether its first cell is filled."""

    number: int
    values: list
    filled: bool


def is_ods(path: str | Path) -> bool:
    """Whether ``path`` is a zip whose ``mimetype`` says OpenDocument spreadsheet."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.read("mimetype").decode("ascii", "replace").strip() == MIMETYPE
    except (KeyError, zipfile.BadZipFile, OSError, ValueError):
        return False


def read_sheets(path: str | Path, wanted: Callable[[str], bool],
                width: Callable[[list], int] | None = None) -> Iterator[tuple[str, Iterator[Row]]]:
    """Every sheet whose name ``wanted`` accepts, as ``(name, rows)``; rows of blank cells are left out.

    Each sheet's rows must be consumed before the next sheet is asked for
    (the file is read once, as a stream). ``width(header_values)`` says how
    many cells of the following rows are wanted (default: as many as the
    header row has); the header row itself comes back with its trailing
    blank cells removed.
    """
    if not is_ods(path):
        raise OdsError("not an OpenDocument spreadsheet")
    try:
        with zipfile.ZipFile(path) as zf, zf.open("content.xml") as stream:
            yield from _Parser(stream, wanted, width).sheets()
    except KeyError as e:
        raise OdsError(f"no {e.args[0]}") from None


class _Parser:
    """One pass over content.xml with :func:`defusedxml.ElementTree.iterparse`."""

    def __init__(self, stream, wanted, width):
        self.events = iterparse(stream, events=("start", "end"))
        self.wanted = wanted
        self.width = width or len
        self.filled_styles: set[str] = set()
        self.budget = MAX_REPEATED_CELLS  # cells that repeats may still add

    def sheets(self) -> Iterator[tuple[str, Iterator[Row]]]:
        for event, elem in self.events:
            if event == "start":
                if elem.tag == _T_TABLE:
                    name = (elem.get(_NAME) or "").strip()
                    keep = self.wanted(name)
                    rows = self._rows(elem, keep)
                    if keep:
                        yield name, rows
                    for _ in rows:  # a sheet nobody wants, or the caller stopped early: read to its end
                        pass
            elif elem.tag == _S_STYLE:
                props = elem.find(_S_CELL_PROPS)
                background = props.get(_BACKGROUND) if props is not None else None
                if background and background.lower() not in ("transparent", "#ffffff"):
                    self.filled_styles.add(elem.get(_S_NAME))
                elem.clear()

    def _rows(self, table, keep: bool) -> Iterator[Row]:
        """The rows of ``table`` (none when not ``keep``); each row is dropped from the tree once read."""
        number = 0  # rows seen so far, repeats included
        limit: int | None = None  # cells wanted per row, once the header is read
        column_styles: list[str | None] = []
        for event, elem in self.events:
            if event == "start":
                continue
            tag = elem.tag
            if tag == _T_ROW:
                if keep:
                    repeat = _repeat(elem, _ROWS_REPEATED, MAX_ROWS)
                    values, first_style, added = _row_values(elem, MAX_COLUMNS if limit is None else limit)
                    self.budget -= added + (0 if all(_blank(v) for v in values) else (repeat - 1) * len(values))
                    if self.budget < 0:
                        raise OdsError(f"repeated rows and cells expand to more than {MAX_REPEATED_CELLS} cells")
                elem.clear()
                del table[:]  # rows read (and columns, already seen) leave the tree: memory stays flat
                if not keep:
                    continue
                if first_style is None and column_styles:
                    first_style = column_styles[0]
                filled = first_style in self.filled_styles
                if limit is None:  # the header row
                    while values and _blank(values[-1]):
                        values.pop()
                    limit = min(self.width(values), MAX_COLUMNS)
                    number += 1
                    yield Row(number, values, filled)
                    number += repeat - 1
                    continue
                if all(_blank(v) for v in values):
                    number += repeat
                    continue
                for _ in range(min(repeat, MAX_ROWS - number)):
                    number += 1
                    yield Row(number, list(values), filled)
                number = min(number, MAX_ROWS)
            elif tag == _T_COLUMN:
                column_styles.append(elem.get(_DEFAULT_CELL_STYLE))
            elif tag == _T_TABLE:
                elem.clear()
                return


def _repeat(elem, attr: str, cap: int) -> int:
    try:
        return max(1, min(int(elem.get(attr) or 1), cap))
    except ValueError:
        return 1


def _row_values(row, limit: int) -> tuple[list, str | None, int]:
    """The first ``limit`` cell values of a row, the first cell's style, how many cells repeats added.

    Blank cells past the last value are never expanded.
    """
    values: list = []
    pending = 0  # blank cells not yet written (they matter only when a value follows)
    first_style, first, elements = None, True, 0
    for cell in row:
        if cell.tag not in (_T_CELL, _T_COVERED):
            continue
        elements += 1
        if first:
            first_style, first = cell.get(_STYLE_NAME), False
        repeat = _repeat(cell, _COLS_REPEATED, MAX_COLUMNS)
        value = _cell_value(cell)
        if value is None:  # empty: written only if a value follows (text of spaces is kept, as in an xlsx)
            pending += repeat
            continue
        room = limit - len(values)
        if pending >= room:
            break
        values.extend([None] * pending)
        pending = 0
        values.extend([value] * min(repeat, limit - len(values)))
        if len(values) >= limit:
            break
    return values, first_style, max(0, len(values) - elements)


def _cell_value(cell):
    kind = cell.get(_VALUE_TYPE)
    if kind in ("float", "percentage", "currency"):
        return _number(cell.get(_VALUE)) if cell.get(_VALUE) is not None else _text(cell)
    if kind == "date":
        try:
            return _date_value(cell.get(_DATE_VALUE))
        except (TypeError, ValueError):
            return _text(cell)
    if kind == "boolean":
        return (cell.get(_BOOLEAN_VALUE) or "").strip().lower() == "true"
    if kind == "string" and cell.get(_STRING_VALUE) is not None:
        return cell.get(_STRING_VALUE)
    text = _text(cell)
    return text if text or kind == "string" else None


def _number(text: str) -> int | float | str:
    """``office:value`` as openpyxl reads an xlsx number: int when written without a point or exponent.

    >>> _number("1980"), _number("45.5"), _number("1E-3"), _number("x")
    (1980, 45.5, 0.001, 'x')
    """
    text = text.strip()
    try:
        return float(text) if any(ch in text for ch in ".eE") else int(text)
    except ValueError:
        return text


def _date_value(text: str) -> dt.datetime:
    """``office:date-value``: ``2021-03-15`` or ``2021-03-15T08:30:00[.fff]``."""
    text = text.strip()
    if "T" not in text:
        return dt.datetime.strptime(text, "%Y-%m-%d")
    return dt.datetime.fromisoformat(text.rstrip("Z"))


def _text(cell) -> str:
    """The cell's own paragraphs (not those of a comment), lines joined with a line break."""
    return "\n".join(_paragraph(p) for p in cell if p.tag == _P)


def _paragraph(elem) -> str:
    parts = [elem.text or ""]
    for child in elem:
        if child.tag == _S:
            parts.append(" " * _repeat(child, _C, 1000))
        elif child.tag == _TAB:
            parts.append("\t")
        elif child.tag == _BREAK:
            parts.append("\n")
        else:  # text:span, text:a …: their text
            parts.append(_paragraph(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
