"""Reading tables forgivingly: encodings, separators, decimal comma, dates, letter case.

The forgiving cases must read to exactly the same typed tables as the clean folder.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
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


# --------------------------------------------------------------------------- issue 12: hostile input

@pytest.mark.parametrize("cell", ["16.01.3021", "9999-12-31", "31.12.9999", "1600-01-01", "0001-01-01",
                                  "2262-04-12", dt.datetime(9999, 12, 31), dt.datetime(1500, 6, 1), dt.date(1, 1, 1)])
def test_dates_outside_the_readable_years_are_unreadable_not_a_crash(cell):
    from evaltools.io import year_out_of_range
    raw = pd.Series([cell, "2021-03-15", None], dtype=object)
    values, bad = parse_column(raw, kind="date")
    assert values.dtype == "datetime64[ns]"
    assert bad.tolist() == [True, False, False]
    assert pd.isna(values[0]) and values[1] == pd.Timestamp("2021-03-15")
    from evaltools.io import text_series
    assert year_out_of_range(text_series(raw)).tolist() == [True, False, False]


def test_dates_at_the_edges_of_the_range_still_read():
    values, bad = parse_column(pd.Series(["1677-09-22", "2262-04-11", "22.09.1677"], dtype=object), kind="date")
    assert not bad.any() and values.dt.year.tolist() == [1677, 2262, 1677]


def test_example_rows_go_by_marker_only():
    from evaltools.io import drop_example_rows
    frame = pd.DataFrame({"participant_id": ["P001", "przyklad-7", " EXAMPLE-1 ", "EXAMPLE-1x", "EXAMPLE"],
                          "wave": ["baseline"] * 5, "_row": [2, 3, 4, 5, 6]})
    kept, n = drop_example_rows(frame)
    assert n == 2 and kept["_row"].tolist() == [2, 5, 6]
    assert drop_example_rows(frame.drop(columns="participant_id"))[1] == 0  # no id column, nothing dropped


def test_example_marker_found_among_many_rows_in_any_id_column_language_and_spelling():
    # the marker in a late row, in the second id column, retyped with diacritics/case, among many plain ids:
    # the fast path (one search over an ASCII column) must not hide it, and only marked rows go
    from evaltools.io import drop_example_rows, marked_values
    n = 5000
    pid = [f"P{i:05d}" for i in range(n)]
    sid = [f"S{i % 40:03d}" for i in range(n)]
    sid[4321] = "\tprzykŁad-12 "  # Polish marker, mixed case, diacritic, stray white space
    sid[4322] = "Example-3"  # English marker, ASCII, title case
    pid[17] = "ＥＸＡＭＰＬＥ-4"  # full-width letters: NFKD folds them to the marker
    pid[18] = "EXAMPLE-4-b"  # not a marker: more than the number after it
    frame = pd.DataFrame({"session_id": sid, "participant_id": pid, "_row": range(2, n + 2)}, dtype=object)
    kept, dropped = drop_example_rows(frame)
    assert dropped == 3 and len(kept) == n - 3
    assert set(frame["_row"]) - set(kept["_row"]) == {4321 + 2, 4322 + 2, 17 + 2}
    assert "EXAMPLE-4-b" in set(kept["participant_id"])
    # each marked value counted once per row that holds it
    twice = pd.DataFrame({"participant_id": ["P1", "Przykład-1", "P2", "Przykład-1"], "_row": [2, 3, 4, 5]})
    assert drop_example_rows(twice)[1] == 2
    # Excel cells: numbers and blanks among the text are passed over
    cells = np.array([1.0, None, "P1", "przyklad-9", pd.Timestamp("2021-01-01")], dtype=object)
    assert marked_values(cells) == {"przyklad-9"}
    assert marked_values(np.array([f"P{i}" for i in range(100)], dtype=object)) == set()


def test_messages_escape_control_characters():
    from evaltools.errors import Problem
    p = Problem("not_a_code", {"value": "\x1b[2JFAKE", "expected": "a"}, file="x\x1b]8;;u\x07.csv",
                sheet="s\u202e", row=2, column="c\r")
    text = p.text("en")
    assert all(ch not in text for ch in "\x1b\x07\u202e\r")
    assert "\\x1b[2JFAKE" in text and "x\\x1b]8;;u\\x07.csv" in text and "\\u202e" in text and "c\\r" in text


def test_yaml_reader_bounds_aliases_and_reads_cp1250(tmp_path):
    from evaltools.instruments import MAX_YAML_VALUES, YamlAliasBomb, plain_id, read_yaml
    ok = tmp_path / "ok.yaml"
    ok.write_bytes("title: {pl: Poczucie sprawczości}\na: &x [1, 2]\nb: *x\n".encode("cp1250"))
    assert read_yaml(ok) == {"title": {"pl": "Poczucie sprawczości"}, "a": [1, 2], "b": [1, 2]}
    bomb = tmp_path / "bomb.yaml"
    lines = ["a0: &a0 [" + ", ".join(["x"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 6)]  # 10**6 values
    bomb.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(YamlAliasBomb):
        read_yaml(bomb)
    assert MAX_YAML_VALUES < 10**6
    assert [plain_id(i) for i in ("civic_activity", "../x", "a/b", "a b", "", "ok2")] == [
        True, False, False, False, False, True]


def test_text_by_value_is_text_series_then_by_value_on_any_mix_of_spaces_and_blanks():
    # text_by_value trims each distinct value once, and skips trimming when no value has a space or is
    # empty; the reference is the cell-by-cell path (text_series, then by_value of its text)
    from evaltools.parsing import by_value, text_by_value, text_series
    rng = np.random.default_rng(18)
    pools = [["a", "b", "c"], ["a", " a", "a ", "b"], ["a", "", "b"], ["a\tb", "c"], ["", " ", "\u00a0"],
             ["x y", "x  y"]]
    for pool in pools:
        for with_none in (False, True):
            cells = rng.choice(pool + ([None] if with_none else []), 300).astype(object)
            raw = pd.Series(cells, dtype=object)
            text, (positions, values) = text_by_value(raw)
            expected = text_series(raw)
            pd.testing.assert_series_equal(text, expected)
            ref_positions, ref_values = by_value(expected)
            assert positions.tolist() == ref_positions.tolist() and values == ref_values


def test_factorize_text_of_ordered_and_unordered_columns_is_pandas_factorize():
    # a long sorted column is coded by comparing neighbours (no hash); the result must be pd.factorize's
    from evaltools.parsing import _factorize_text
    rng = np.random.default_rng(18)
    ids = np.array(sorted(f"P{i:06d}" for i in rng.integers(0, 5000, 30_000)), dtype=object)
    unsorted = ids.copy()
    unsorted[[100, 20_000]] = unsorted[[20_000, 100]]
    with_none = ids.copy()
    with_none[500] = None
    blanks = np.array([""] * 50 + list(ids), dtype=object)
    for cells in (ids, ids[::-1].copy(), unsorted, with_none, blanks, np.array(["a"] * 20_000, dtype=object)):
        codes, uniques = _factorize_text(cells)
        ref_codes, ref_uniques = pd.factorize(cells, use_na_sentinel=True)
        assert codes.tolist() == ref_codes.tolist() and list(uniques) == list(ref_uniques)
