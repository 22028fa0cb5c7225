"""Tests of reading LibreOffice workbooks (evaltools/io_ods.py through evaltools/io.py).

``tests/fixtures/staff_pl.ods`` was made by LibreOffice (``soffice --convert-to
ods``) from ``staff_pl.xlsx`` (tests/fixtures/make_ods_twin.py): both must read
to the same tables. Hand-written ``content.xml`` files check the ODF details
one at a time. Tests that run LibreOffice are skipped where ``soffice`` is absent.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from evaltools import io_ods
from evaltools.io import parse_column, read_folder
from evaltools.synth import write_demo_data

FIXTURES = Path(__file__).parent / "fixtures"
SOFFICE = shutil.which("soffice")
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"')


def write_ods(path: Path, tables: str, styles: str = "", prolog: str = "") -> Path:
    """An .ods holding ``tables`` (``<table:table>`` elements) in its content.xml."""
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content {NS}>'
               f"<office:automatic-styles>{styles}</office:automatic-styles>"
               f"<office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body>"
               "</office:document-content>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", io_ods.MIMETYPE, compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
    return path


def s(text: str, extra: str = "") -> str:
    return f'<table:table-cell office:value-type="string"{extra}><text:p>{text}</text:p></table:table-cell>'


def f(value: str, extra: str = "") -> str:
    return (f'<table:table-cell office:value-type="float" office:value="{value}"{extra}>'
            "<text:p>x</text:p></table:table-cell>")


def row(*cells: str, extra: str = "") -> str:
    return f"<table:table-row{extra}>{''.join(cells)}</table:table-row>"


def sheet(name: str, *rows: str) -> str:
    return f'<table:table table:name="{name}">{"".join(rows)}</table:table>'


def read_one(folder: Path, name: str) -> pd.DataFrame:
    out = read_folder(folder)
    assert [p.key for p in out.problems] == []
    return out.tables[name].frame


def types(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.map(lambda v: type(v).__name__)


def assert_same_tables(a: Path, b: Path) -> None:
    """Both folders read to the same tables: same cells, same Python types, same row numbers."""
    ra, rb = read_folder(a), read_folder(b)
    assert [p.key for p in ra.problems] == [] and [p.key for p in rb.problems] == []
    assert sorted(ra.tables) == sorted(rb.tables)
    for name, table in ra.tables.items():
        pd.testing.assert_frame_equal(table.frame, rb.tables[name].frame, obj=name)
        pd.testing.assert_frame_equal(types(table.frame), types(rb.tables[name].frame), obj=f"{name} (types)")


# --------------------------------------------------------------------------- the LibreOffice fixture


def test_libreoffice_fixture_reads_as_its_xlsx_twin(tmp_path):
    ods = FIXTURES / "staff_pl.ods"
    with zipfile.ZipFile(ods) as zf:
        assert b"LibreOffice" in zf.read("meta.xml")  # made by LibreOffice, not by this project's code
    for kind in ("xlsx", "ods"):
        (tmp_path / kind).mkdir()
        shutil.copy(FIXTURES / f"staff_pl.{kind}", tmp_path / kind)
    assert_same_tables(tmp_path / "xlsx", tmp_path / "ods")

    # what tests/fixtures/make_ods_twin.py typed, read from the ods
    out = read_folder(tmp_path / "ods")
    assert sorted(out.tables) == ["attendance", "participants", "q_empowerment", "sessions", "ties"]
    attendance = out.tables["attendance"].frame
    assert attendance["_row"].tolist() == [3, 4, 5, 6]  # the example row (2) is skipped
    assert attendance.iloc[2, :2].tolist() == attendance.iloc[3, :2].tolist()  # the repeated row, twice
    assert out.tables["ties"].frame["_row"].tolist() == [3, 4, 6, 7]  # row 5 was blank
    sessions = out.tables["sessions"].frame
    assert sessions["group"].tolist()[:2] == ["G  1   (rano)", "G1\nG2"]
    assert isinstance(sessions["date"][0], dt.datetime) and isinstance(sessions["duration_min"][0], int)
    participants = out.tables["participants"].frame
    sex, bad = parse_column(participants["sex"], kind="code", codes="sex")
    assert participants["sex"][0] == "kobieta" and sex[0] == "F" and not bad.any()
    components, bad = parse_column(participants["components"], kind="codes", codes="component")
    assert components[1] == "self_help;legal" and not bad.any()
    assert out.tables["participants"].sheet == "participants" and out.tables["participants"].file == "staff_pl.ods"


# --------------------------------------------------------------------------- ODF details, hand-written


def test_typed_cells(tmp_path):
    cells = [
        f("1980"), f("45.5"),
        '<table:table-cell office:value-type="date" office:date-value="2021-03-15"><text:p>15.03.2021</text:p>'
        "</table:table-cell>",
        '<table:table-cell office:value-type="date" office:date-value="2021-03-15T08:30:00"/>',
        '<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>PRAWDA</text:p>'
        "</table:table-cell>",
        '<table:table-cell office:value-type="percentage" office:value="0.25"/>',
        # a comment (office:annotation) is not the cell's text; text:s c="3" is three spaces
        '<table:table-cell office:value-type="string"><office:annotation><text:p>note</text:p></office:annotation>'
        '<text:p>a<text:s text:c="3"/>b<text:span>c</text:span></text:p><text:p>d</text:p></table:table-cell>',
        "<table:covered-table-cell/>",
        s("z"), s(" "),
    ]
    header = row(*(s(f"c{i}") for i in range(len(cells))))
    write_ods(tmp_path / "d" / "w.ods", sheet("q_x", header, row(*cells)))
    frame = read_one(tmp_path / "d", "q_x")
    assert frame.iloc[0, :-1].tolist() == [1980, 45.5, dt.datetime(2021, 3, 15), dt.datetime(2021, 3, 15, 8, 30),
                                           True, 0.25, "a   bc\nd", None, "z", " "]
    assert type(frame.iloc[0, 0]) is int and frame["_row"].tolist() == [2]


def test_repeats_are_bounded_by_cells_that_exist(tmp_path):
    blank_tail = row('<table:table-cell table:number-columns-repeated="16384"/>',
                     extra=' table:number-rows-repeated="1048000"')
    wide = row(s("x", ' table:number-columns-repeated="1000000000"'))  # one value "repeated" a billion times
    twice = row(s("P1"), f("3"), extra=' table:number-rows-repeated="3"')
    header = row(s("participant_id"), s("v"), '<table:table-cell table:number-columns-repeated="16382"/>')
    write_ods(tmp_path / "d" / "w.ods", sheet("q_x", header, twice, blank_tail, wide, blank_tail))
    start = time.perf_counter()
    frame = read_one(tmp_path / "d", "q_x")
    assert time.perf_counter() - start < 10  # no million-row or billion-cell expansion
    assert list(frame.columns) == ["participant_id", "v", "_row"]  # the blank header tail is dropped
    assert frame.drop(columns="_row").values.tolist() == [["P1", 3], ["P1", 3], ["P1", 3], ["x", "x"]]
    assert frame["_row"].tolist() == [2, 3, 4, 1_048_005]  # numbers as LibreOffice shows them


def test_repeated_rows_stop_at_the_sheet_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(io_ods, "MAX_ROWS", 10)
    many = row(s("v"), extra=' table:number-rows-repeated="999999999"')
    write_ods(tmp_path / "d" / "w.ods", sheet("q_x", row(s("a")), many))
    assert read_one(tmp_path / "d", "q_x")["_row"].tolist() == list(range(2, 11))


def test_repeats_beyond_the_budget_are_refused(tmp_path, monkeypatch):
    """A header of 16 384 columns and a row of them repeated a million times would be 17 billion cells."""
    monkeypatch.setattr(io_ods, "MAX_REPEATED_CELLS", 100_000)
    header = row(s("h", ' table:number-columns-repeated="16384"'))
    data = row(s("v", ' table:number-columns-repeated="16384"'), extra=' table:number-rows-repeated="1000000"')
    write_ods(tmp_path / "d" / "w.ods", sheet("q_x", header, data))
    out = read_folder(tmp_path / "d")
    assert out.tables == {} and [p.key for p in out.problems] == ["not_a_workbook"]
    assert "100000 cells" in out.problems[0].fields["detail"]
    monkeypatch.setattr(io_ods, "MAX_REPEATED_CELLS", 10_000_000)  # within the budget: read in full
    write_ods(tmp_path / "e" / "w.ods", sheet("q_x", header, data.replace("1000000", "500")))
    assert read_one(tmp_path / "e", "q_x").shape == (500, 16_385)


def test_example_row_goes_by_its_marker_not_its_look(tmp_path):
    """The example row is recognised by its marker id (docs/data.md), in an .ods as in an .xlsx; a real row that
    resembles it, grey or not, is read."""
    grey = ('<style:style style:name="ce1" style:family="table-cell"><style:table-cell-properties '
            'fo:background-color="#d9d9d9"/></style:style>')
    header = row(s("participant_id"), s("wave"), s("emp_01"))
    example = row(s("PRZYKŁAD-1", ' table:style-name="ce1"'), s("baseline", ' table:style-name="ce1"'),
                  f("1", ' table:style-name="ce1"'))
    look_alike = row(s("P001", ' table:style-name="ce1"'), s("baseline", ' table:style-name="ce1"'),
                     f("1", ' table:style-name="ce1"'))  # grey, but real answers
    data = row(s("P002"), s("baseline"), f("4"))
    write_ods(tmp_path / "a" / "w.ods", sheet("q_empowerment", header, example, data), styles=grey)
    write_ods(tmp_path / "b" / "w.ods", sheet("q_empowerment", header, look_alike, data), styles=grey)
    assert read_one(tmp_path / "a", "q_empowerment")["participant_id"].tolist() == ["P002"]
    assert read_one(tmp_path / "b", "q_empowerment")["participant_id"].tolist() == ["P001", "P002"]


def test_only_table_sheets_are_read(tmp_path):
    header = row(s("session_id"), s("participant_id"))
    write_ods(tmp_path / "d" / "w.ods", sheet("instrukcja", row(s("tekst")))
              + sheet("notes", header, row(s("a"), s("b")))
              + sheet("attendance", header, row(s("S1"), s("P1"))) + sheet("codebook", header))
    out = read_folder(tmp_path / "d")
    assert list(out.tables) == ["attendance"] and out.problems == []
    assert out.tables["attendance"].frame.iloc[0, :2].tolist() == ["S1", "P1"]


@pytest.mark.parametrize("case", ["not_zip", "no_mimetype", "entities", "broken_xml"])
def test_damaged_or_hostile_files_are_refused(tmp_path, case):
    path = tmp_path / "d" / "w.ods"
    if case == "not_zip":
        path.parent.mkdir()
        path.write_text("session_id;participant_id\n", encoding="utf-8")
    elif case == "no_mimetype":
        path.parent.mkdir()
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("content.xml", "<x/>")
    elif case == "entities":  # a billion laughs: defusedxml refuses entity declarations
        laughs = '<!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        write_ods(path, sheet("attendance", row(s("&b;"))), prolog=laughs)
    else:
        write_ods(path, sheet("attendance", row(s("a"))).replace("</table:table>", ""))
    out = read_folder(tmp_path / "d")
    assert out.tables == {}
    assert [(p.key, p.file) for p in out.problems] == [("not_a_workbook", "w.ods")]


def test_zip_bomb_is_refused(tmp_path):
    path = write_ods(tmp_path / "d" / "w.ods", sheet("attendance", row(s("a" * 50_000_000))))
    assert path.stat().st_size < 1_000_000
    out = read_folder(tmp_path / "d")
    assert out.tables == {} and [p.key for p in out.problems] == ["zip_bomb"]


# --------------------------------------------------------------------------- LibreOffice itself


def soffice_convert(source: Path, fmt: str, outdir: Path, profile: Path) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
                    "--outdir", str(outdir), str(source)], check=True, capture_output=True, timeout=600)
    return outdir / f"{source.stem}.{fmt}"


@needs_soffice
def test_libreoffice_round_trip_of_the_polish_demo_workbook(tmp_path):
    """The Polish template filled with the demo, saved by LibreOffice as .ods and again as .xlsx."""
    demo = write_demo_data(tmp_path / "demo", seed=0, fmt="xlsx", lang="pl")
    ods = soffice_convert(demo / "demo.xlsx", "ods", tmp_path / "ods", tmp_path / "profile")
    back = soffice_convert(ods, "xlsx", tmp_path / "back", tmp_path / "profile")
    for folder in (ods.parent, back.parent):
        shutil.copy(demo / "project.yaml", folder)
    assert_same_tables(demo, ods.parent)
    assert_same_tables(demo, back.parent)
    assert len(read_folder(ods.parent).tables["attendance"].frame) > 1000


@needs_soffice
@pytest.mark.parametrize("lang", ["pl", "en"])
def test_blank_templates_saved_by_libreoffice(tmp_path, lang):
    """A blank template saved as .ods holds every table, empty (the example row is not data), and its dropdowns."""
    repo = Path(__file__).resolve().parents[1]
    ods = soffice_convert(repo / "data_templates" / lang / f"evaltools_{lang}.xlsx", "ods", tmp_path / "d",
                          tmp_path / "profile")
    out = read_folder(ods.parent)
    assert out.problems == []
    assert {name: len(t.frame) for name, t in out.tables.items()} == {
        "participants": 0, "sessions": 0, "attendance": 0, "ties": 0}
    with zipfile.ZipFile(ods) as zf:
        content = zf.read("content.xml").decode("utf-8")
    offered = "&quot;kobieta&quot;;&quot;mężczyzna&quot;" if lang == "pl" else "&quot;F&quot;;&quot;M&quot;"
    assert f"of:cell-content-is-in-list({offered}" in content
