"""Reading tables forgivingly: encodings, separators, decimal comma, dates, letter case.

The forgiving cases must read to exactly the same typed tables as the clean folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from evaltools.io import check_workbook_zip, decode_text, parse_column, sniff_separator
from evaltools.project import Project
from evaltools.validate import validate_folder


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from evaltools.synth import write_demo_data
    return write_demo_data(tmp_path_factory.mktemp("io") / "demo", seed=1)


@pytest.fixture(scope="module")
def clean(demo):
    report = validate_folder(demo)
    assert not report.errors, [str(p) for p in report.errors]
    return Project.from_validation(report)


def _copy(demo, tmp_path):
    dst = tmp_path / "data"
    shutil.copytree(demo, dst)
    return dst


def _same(a, b):
    for name in ("participants", "sessions", "attendance", "ties"):
        pd.testing.assert_frame_equal(getattr(a, name).drop(columns="_row"), getattr(b, name).drop(columns="_row"))
    for inst in a.questionnaires:
        pd.testing.assert_frame_equal(a.questionnaires[inst].drop(columns="_row"),
                                      b.questionnaires[inst].drop(columns="_row"))


def _rewrite(folder, fn):
    for path in folder.glob("*.csv"):
        fn(path)


def test_cp1250_semicolon_decimal_comma(demo, clean, tmp_path):
    folder = _copy(demo, tmp_path)

    def convert(path):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        text = df.to_csv(index=False, sep=";")
        if path.stem == "sessions":  # decimal comma in a number column
            df["duration_min"] = df["duration_min"].str.replace(".", ",", regex=False)
            text = df.to_csv(index=False, sep=";")
        path.write_bytes(text.encode("cp1250"))
    _rewrite(folder, convert)
    (folder / "sessions.csv").read_bytes().decode("cp1250")
    report = validate_folder(folder)
    assert not report.errors, [str(p) for p in report.errors[:5]]
    _same(clean, Project.from_validation(report))


def test_bom_and_code_case_and_spaces(demo, clean, tmp_path):
    folder = _copy(demo, tmp_path)

    def convert(path):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "wave" in df:
            df["wave"] = df["wave"].str.capitalize() + " "  # 'Baseline ' is forgiven
        if "activity" in df:
            df["activity"] = "  " + df["activity"].str.upper()
        path.write_bytes(b"\xef\xbb\xbf" + df.to_csv(index=False).encode("utf-8"))
    _rewrite(folder, convert)
    report = validate_folder(folder)
    assert not report.errors, [str(p) for p in report.errors[:5]]
    _same(clean, Project.from_validation(report))


def test_polish_dates_read_as_iso(demo, clean, tmp_path):
    folder = _copy(demo, tmp_path)
    path = folder / "sessions.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["date"] = pd.to_datetime(df["date"]).dt.strftime("%d.%m.%Y")
    df.to_csv(path, index=False)
    report = validate_folder(folder)
    assert not report.errors
    _same(clean, Project.from_validation(report))


def test_code_labels_in_either_language_are_read_as_codes():
    values, bad = parse_column(pd.Series(["kobieta", "Male", "F"]), kind="code", codes="sex")
    assert values.tolist() == ["F", "M", "F"] and not bad.any()
    values, bad = parse_column(pd.Series(["wsparcie rodzin; legal", "self_help"]), kind="codes", codes="component")
    # 'wsparcie rodzin' is not a label (the label is 'asystentura rodzinna'): reported, not guessed
    assert bad.tolist() == [True, False]


def test_numbers_typed_as_text_and_excel_numbers():
    values, bad = parse_column(pd.Series(["12", 12.0, " 7 ", "1 200"]), kind="int")
    assert values.tolist() == [12.0, 12.0, 7.0, 1200.0] and not bad.any()
    values, bad = parse_column(pd.Series(["2.5"]), kind="int")
    assert bad.tolist() == [True]


def test_ids_typed_as_numbers_lose_the_excel_float():
    values, _ = parse_column(pd.Series([101.0, "P2"], dtype=object), kind="id")
    assert values.tolist() == ["101", "P2"]


def test_encodings_and_separators():
    assert decode_text("zażółć".encode("cp1250")) == "zażółć"
    assert decode_text("zażółć".encode("utf-8")) == "zażółć"
    assert sniff_separator("a;b;c") == ";" and sniff_separator("a,b") == ","


def test_zip_bomb_is_refused_before_parsing(tmp_path):
    import zipfile
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (50 * 2**20))  # 50 MB of zeros packs to ~50 kB
    assert check_workbook_zip(bomb) == "zip_bomb"
    assert check_workbook_zip(tmp_path / "missing.xlsx") == "not_a_workbook"


def test_ods_is_a_workbook_and_old_formats_are_still_refused(tmp_path):
    """An .ods is read like an .xlsx (its table beside the same CSV is a table given twice); .xls is refused."""
    from evaltools.io import read_folder

    fixtures = Path(__file__).parent / "fixtures"
    shutil.copy(fixtures / "staff_pl.ods", tmp_path)
    (tmp_path / "attendance.csv").write_text("session_id,participant_id\nS1,P1\n", encoding="utf-8")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    out = read_folder(tmp_path)
    assert sorted((p.key, p.file) for p in out.problems) == [("table_twice", "staff_pl.ods"),
                                                            ("workbook_format", "old.xls")]
    assert out.tables["attendance"].file == "attendance.csv"  # the first found (files in name order) wins
    assert out.tables["sessions"].file == "staff_pl.ods"


# --------------------------------------------------------------------------- one parse per distinct value
# The CSV path parses each distinct value once and spreads the result back (issue 18); these pin the
# cell-by-cell meaning it must keep: white space of every kind trimmed, repeats and blanks in place.

def test_text_trims_only_white_space_and_keeps_repeats_and_blanks_in_place():
    from evaltools.io import text_series
    raw = pd.Series(["P1", "\tP2\u00a0", "P1", "   ", "", "P 3", "\u2003P4\n"], dtype=object, index=range(10, 17))
    text = text_series(raw)
    assert text.tolist()[:3] == ["P1", "P2", "P1"] and text.tolist()[5:] == ["P 3", "P4"]
    assert text.isna().tolist() == [False, False, False, True, True, False, False]
    assert text.index.tolist() == list(range(10, 17)) and str(text.dtype) == "str"
    clean = text_series(pd.Series(["P1", "", "P2"], dtype=object))  # no white space at all: nothing to trim
    assert clean.tolist()[::2] == ["P1", "P2"] and clean.isna().tolist() == [False, True, False]


def test_repeated_values_parse_alike_wherever_they_stand():
    raw = pd.Series(["3,5", "x", "3,5", "", "1 200", "x", None], dtype=object)
    values, bad = parse_column(raw, kind="number")
    assert values[[0, 2, 4]].tolist() == [3.5, 3.5, 1200.0] and values[[1, 3, 5, 6]].isna().all()
    assert bad.tolist() == [False, True, False, False, False, True, False]
    dates, bad = parse_column(pd.Series(["2021-03-16", "16.03.2021", "2021-03-16", "16.3.21", ""]), kind="date")
    assert dates[:3].dt.strftime("%Y-%m-%d").tolist() == ["2021-03-16"] * 3 and dates[3:].isna().all()
    assert bad.tolist() == [False, False, False, True, False]
    codes, bad = parse_column(pd.Series(["Baseline", "endline", "Baseline", "wave 3", None]), kind="code", codes="wave")
    assert codes.tolist()[:3] == ["baseline", "endline", "baseline"] and codes[3:].isna().all()
    assert bad.tolist() == [False, False, False, True, False]
    many, bad = parse_column(pd.Series(["legal; self_help", "", "legal; nope", "legal; self_help"]),
                             kind="codes", codes="component")
    assert many.tolist()[::3] == ["legal;self_help", "legal;self_help"] and many.isna().tolist()[1]
    assert bad.tolist() == [False, False, True, False]


def test_excel_cells_mixed_with_text_keep_their_types():
    import datetime as dt
    values, bad = parse_column(pd.Series([3.0, "3", True, "4,5"], dtype=object), kind="number")
    assert values[[0, 1, 3]].tolist() == [3.0, 3.0, 4.5] and bad.tolist() == [False, False, True, False]
    dates, bad = parse_column(pd.Series([dt.datetime(2021, 3, 1), "2021-03-01", 5.0], dtype=object), kind="date")
    assert dates[0] == dates[1] == pd.Timestamp("2021-03-01") and bad.tolist() == [False, False, True]


def test_csv_blank_rows_dropped_and_line_numbers_kept(tmp_path):
    from evaltools.io import read_folder
    (tmp_path / "sessions.csv").write_text("session_id;date\nS1;2021-01-01\n;\n\nS2;\n;2021-01-02\n", encoding="utf-8")
    frame = read_folder(tmp_path).tables["sessions"].frame
    assert frame["session_id"].tolist() == ["S1", "S2", ""] and frame["_row"].tolist() == [2, 5, 6]
    assert frame["date"].tolist() == ["2021-01-01", "", "2021-01-02"]
