"""Tests of evaltools/templates.py: the Excel workbooks staff fill in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from evaltools import templates
from evaltools.errors import InstrumentError, ProjectError
from evaltools.instruments import find_instrument
from evaltools.labels import code_label, t
from evaltools.schema import CODES, QUESTIONNAIRE_COLUMNS, TABLES
from evaltools.templates import (
    CODEBOOK_SHEET, LISTS_SHEET, example_values, instructions_sheet, write_filled_workbook, write_templates,
)

REPO = Path(__file__).resolve().parents[1]
GREY = "00D9D9D9"  # templates._GREY as openpyxl reads it back (ARGB)

CUSTOM = """\
id: mood
title: {pl: Nastrój, en: Mood}
source: test
licence: CC0
response: {min: 0, max: 10}
missing_codes: [99]
items:
  - {id: mood_1, text: {pl: "Jak się dziś czujesz?", en: "How do you feel today?"}}
  - {id: mood_2, text: {pl: "=cmd|' /C calc'!A0", en: "@SUM(1+1)"}}
subscales:
  - {id: mood, items: [mood_1, mood_2]}
"""


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """The two templates without a project, opened with openpyxl."""
    out = tmp_path_factory.mktemp("tpl")
    return {lang: openpyxl.load_workbook(write_templates(out / lang, lang=lang)[0]) for lang in ("pl", "en")}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    (data / "project.yaml").write_text(
        "name: test\nperiod: {start: 2021-01-01, end: 2021-12-31}\ninstruments: [empowerment, mood]\n",
        encoding="utf-8")
    (data / "instruments").mkdir()
    (data / "instruments" / "mood.yaml").write_text(CUSTOM, encoding="utf-8")
    return data


@pytest.fixture(scope="module")
def qbook(project, tmp_path_factory):
    path, = write_templates(tmp_path_factory.mktemp("q") / "a" / "b", lang="en", data_dir=project)
    return openpyxl.load_workbook(path)


def validations(ws) -> dict[str, object]:
    """Column letter -> its data validation (each column has at most one)."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_col == rng.max_col
            out[openpyxl.utils.get_column_letter(rng.min_col)] = dv
    return out


def dropdown(wb, dv) -> list[str]:
    """The entries a list validation offers: inline (``"a,b"``) or a range of the hidden lists sheet."""
    if dv.formula1.startswith('"'):
        return dv.formula1.strip('"').split(",")
    sheet, ref = dv.formula1.split("!")
    return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_sheet_names(books, lang):
    wb = books[lang]
    # the Polish activity labels (> 255 characters) need the hidden lists sheet
    lists = [LISTS_SHEET] if lang == "pl" else []
    assert wb.sheetnames == [instructions_sheet(lang), *TABLES, CODEBOOK_SHEET, *lists]
    assert all(wb[name].sheet_state == "hidden" for name in lists)
    assert instructions_sheet("pl") == "instrukcja" and instructions_sheet("en") == "instructions"
    for name in (instructions_sheet(lang), CODEBOOK_SHEET, LISTS_SHEET):  # never read as a table
        assert name not in TABLES and not name.startswith("q_")


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_headers_are_contract_names_with_comments_in_language(books, lang):
    for name, table in TABLES.items():
        ws = books[lang][name]
        header = [c.value for c in ws[1]]
        assert header == list(table.column_names)
        for cell, col in zip(ws[1], table.columns):
            assert cell.font.b
            assert cell.comment is not None
            assert col.label(lang, name) in cell.comment.text
            assert col.help(lang, name) in cell.comment.text
            other = "en" if lang == "pl" else "pl"
            if col.label(other, name) != col.label(lang, name):
                assert col.label(other, name) not in cell.comment.text
            for code in col.allowed():
                assert f"{code} = {code_label(col.codes, code, lang)}" in cell.comment.text


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_frozen_protected_header_locked_data_unlocked(books, lang):
    for name, table in TABLES.items():
        ws = books[lang][name]
        assert ws.freeze_panes == "A2"
        assert ws.protection.sheet
        assert not ws.protection.insertRows and not ws.protection.deleteRows  # rows may be added/removed
        assert ws.protection.insertColumns  # columns may not
        for idx in range(1, len(table.columns) + 1):
            letter = openpyxl.utils.get_column_letter(idx)
            assert ws.cell(1, idx).protection.locked
            assert not ws.cell(2, idx).protection.locked
            assert not ws.column_dimensions[letter].protection.locked  # every empty cell below is typeable
            assert ws.column_dimensions[letter].width >= 10


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_example_row_is_schema_example_and_grey(books, lang):
    for name, table in TABLES.items():
        ws = books[lang][name]
        assert [c.value for c in ws[2]] == list(example_values(table, lang=lang).values())
        assert ws["A2"].value == {"pl": "PRZYKŁAD-1", "en": "EXAMPLE-1"}[lang]  # the marker the reader skips
        for cell in ws[2]:
            assert cell.fill.fgColor.rgb == GREY
            assert cell.font.i
        assert ws.max_row == 2  # nothing below the example


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_validations_follow_the_schema(books, lang):
    date_format = {"pl": "dd.mm.yyyy", "en": "yyyy-mm-dd"}[lang]  # locales/<lang>.yaml: excel_date
    for name, table in TABLES.items():
        ws = books[lang][name]
        dvs = validations(ws)
        for idx, col in enumerate(table.columns, 1):
            letter = openpyxl.utils.get_column_letter(idx)
            dv = dvs.get(letter)
            if col.kind in ("id", "text"):
                assert dv is None, (name, col.name)
                assert ws.column_dimensions[letter].number_format == "@"
                continue
            assert str(dv.sqref) == f"{letter}2:{letter}10002", (name, col.name)  # example + 10 000 rows
            if col.kind in ("code", "codes"):
                assert dv.type == "list"
                offered = dropdown(books[lang], dv)
                if lang == "en":
                    assert offered == list(CODES[col.codes])
                else:  # Polish labels first, then the codes (the reader takes both)
                    labels = [code_label(col.codes, c, "pl") for c in CODES[col.codes]]
                    assert offered == labels + list(CODES[col.codes])
                # a ;-list cell (components, support) must stay typeable: no error, a prompt instead
                assert bool(dv.showErrorMessage) is (col.kind == "code")
                assert not dv.showDropDown  # (True would *hide* the in-cell dropdown)
            elif col.kind == "date":
                assert dv.type == "date" and dv.operator == "between"
                assert (dv.formula1, dv.formula2) == ("32874", "73050")  # Excel serials of 1990-01-01, 2099-12-31
                assert ws.column_dimensions[letter].number_format == date_format
            else:
                assert dv.type == {"int": "whole", "number": "decimal"}[col.kind]
                assert (float(dv.formula1), float(dv.formula2)) == (col.min, col.max)
            assert dv.allow_blank


def test_number_validation_values():
    # hand-written: birth_year is whole 1900..2030, duration_min a decimal 0..1440 (schema.py)
    wb = openpyxl.load_workbook(REPO / "data_templates" / "en" / "evaltools_en.xlsx")
    dvs = validations(wb["participants"])
    assert (dvs["G"].type, dvs["G"].formula1, dvs["G"].formula2) == ("whole", "1900", "2030")
    dvs = validations(wb["sessions"])
    assert (dvs["E"].type, dvs["E"].formula1, dvs["E"].formula2) == ("decimal", "0", "1440")


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_instructions_and_codebook(books, lang):
    wb = books[lang]
    text = "\n".join(str(v) for row in wb[instructions_sheet(lang)].iter_rows(values_only=True) for v in row if v)
    assert "PESEL" in text
    assert t("templates.para.example", lang) in text
    assert t("templates.para.dates", lang) in text
    for name, table in TABLES.items():  # one paragraph per table
        assert f"{name} – {table.label(lang)}" in text
    rows = list(wb[CODEBOOK_SHEET].iter_rows(values_only=True))
    assert rows[0][0] == t("templates.codebook.table", lang)
    listed = [(r[0], r[1]) for r in rows[1:]]
    assert listed == [(name, c.name) for name, table in TABLES.items() for c in table.columns]
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    sex = by_key[("participants", "sex")]
    assert sex[2:4] == ("Płeć", "Sex")
    assert "F = kobieta / female" in sex[8]  # codes.yaml: code.sex.F
    assert by_key[("participants", "participant_id")][7] == code_label("yesno", "yes", lang)


# --------------------------------------------------------------------------- questionnaires


def test_q_sheets_for_project_instruments_custom_included(qbook):
    assert qbook.sheetnames == ["instructions", *TABLES, "q_empowerment", "q_mood", CODEBOOK_SHEET]
    ws = qbook["q_mood"]
    assert [c.value for c in ws[1]] == ["participant_id", "wave", "date", "mood_1", "mood_2"]
    assert "How do you feel today?" in ws["D1"].comment.text
    assert "Jak się" not in ws["D1"].comment.text
    assert ws.freeze_panes == "A2" and ws.protection.sheet
    # row 2: the example marker, baseline, the schema's questionnaire date, the response minimum (0) in each item
    marker = qbook["q_mood"]["A2"].value
    assert marker in ("PRZYKŁAD-1", "EXAMPLE-1")
    assert [c.value for c in ws[2]] == [marker, "baseline", "2021-01-20", 0, 0]
    assert [c.value for c in qbook["q_empowerment"][2]] == [marker, "baseline", "2021-01-20", 1, 1, 1, 1, 1, 1]
    assert {c.name: c.example for c in QUESTIONNAIRE_COLUMNS}["date"] == "2021-01-20"
    paragraph = "\n".join(str(v[0]) for v in qbook["instructions"].iter_rows(values_only=True) if v and v[0])
    assert "q_mood – Mood." in paragraph


def _excel_eval(formula: str, ref: str, x) -> bool:
    """Evaluate the few Excel functions of an item validation formula for one cell value."""
    class Text(str):  # Excel compares any text as greater than any number
        __ge__ = __gt__ = lambda self, other: True
        __le__ = __lt__ = lambda self, other: False

    expr = formula.replace(ref, "x").replace("=", "==").replace(">==", ">=").replace("<==", "<=")
    env = {"OR": lambda *a: any(a), "AND": lambda *a: all(a),
           "ISNUMBER": lambda v: isinstance(v, (int, float)), "x": Text(x) if isinstance(x, str) else x}
    return bool(eval(expr, {"__builtins__": {}}, env))  # noqa: S307 - our own formula, test only


def test_item_validation_rejects_out_of_scale(qbook):
    dvs = validations(qbook["q_empowerment"])
    dv = dvs["D"]
    assert dv.type == "custom"
    assert str(dv.sqref) == "D2:D10002"
    # empowerment.yaml: response 1..5, missing_codes [9, 99]
    assert dv.formula1 == "OR(AND(ISNUMBER(D2),D2>=1,D2<=5),D2=9,D2=99)"
    assert dv.showErrorMessage and "9, 99" in dv.error and "1" in dv.error and "5" in dv.error
    assert not _excel_eval(dv.formula1, "D2", 7)
    assert not _excel_eval(dv.formula1, "D2", 0)
    assert not _excel_eval(dv.formula1, "D2", "x")
    assert all(_excel_eval(dv.formula1, "D2", v) for v in (1, 3, 5, 9, 99))
    mood = validations(qbook["q_mood"])
    assert mood["E"].formula1 == "OR(AND(ISNUMBER(E2),E2>=0,E2<=10),E2=99)"
    assert mood["B"].formula1 == '"baseline,endline,midline,followup"'
    assert mood["C"].type == "date"


def test_item_text_is_neutralised(qbook):
    rows = {(r[0], r[1]): r for r in qbook[CODEBOOK_SHEET].iter_rows(values_only=True)}
    mood_2 = rows[("q_mood", "mood_2")]
    assert mood_2[2] == "'=cmd|' /C calc'!A0" and mood_2[3] == "'@SUM(1+1)"
    for row in qbook[CODEBOOK_SHEET].iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_project_errors(tmp_path):
    with pytest.raises(ProjectError, match="project.yaml"):
        write_templates(tmp_path / "out", data_dir=tmp_path)
    (tmp_path / "project.yaml").write_text("instruments: empowerment\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="list"):
        write_templates(tmp_path / "out", data_dir=tmp_path)
    (tmp_path / "project.yaml").write_text("instruments: [nosuch]\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="nosuch"):
        write_templates(tmp_path / "out", data_dir=tmp_path)
    long_id = "a" * 30
    (tmp_path / "instruments").mkdir()
    (tmp_path / "instruments" / f"{long_id}.yaml").write_text(CUSTOM.replace("id: mood\n", f"id: {long_id}\n"),
                                                              encoding="utf-8")
    (tmp_path / "project.yaml").write_text(f"instruments: [{long_id}]\n", encoding="utf-8")
    with pytest.raises(ProjectError, match="31 characters"):
        write_templates(tmp_path / "out", data_dir=tmp_path)


# --------------------------------------------------------------------------- long lists, determinism, staleness


def test_long_code_list_goes_to_hidden_sheet(tmp_path, monkeypatch):
    long_codes = tuple(f"activity_code_number_{i:02d}" for i in range(12))  # 12 × 24 + 11 commas > 255
    monkeypatch.setitem(CODES, "activity", long_codes)
    wb = openpyxl.load_workbook(write_templates(tmp_path, lang="en")[0])
    assert wb[LISTS_SHEET].sheet_state == "hidden"
    dv = validations(wb["sessions"])["C"]
    assert dv.formula1 == f"{LISTS_SHEET}!$A$1:$A$12"
    assert [r[0] for r in wb[LISTS_SHEET].iter_rows(values_only=True)] == list(long_codes)
    assert validations(wb["participants"])["E"].formula1 == '"adult,youth,child"'  # short lists stay inline


def test_same_content_gives_same_bytes(tmp_path):
    a, = write_templates(tmp_path / "a", lang="pl")
    b, = write_templates(tmp_path / "b", lang="pl")
    assert a.name == "evaltools_pl.xlsx"
    assert a.read_bytes() == b.read_bytes()
    props = openpyxl.load_workbook(a).properties
    assert props.created == props.modified == templates.FIXED_TIME


def _digest(path: Path) -> dict:
    """Everything a staff member sees in a workbook (not its zip bytes)."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": [(ws.title, ws.sheet_state) for ws in wb]}
    for ws in wb:
        out[ws.title] = {
            "cells": [[(c.value, c.comment.text if c.comment else None, c.font.b, c.font.i, c.fill.fgColor.rgb,
                        c.protection.locked, c.number_format) for c in row] for row in ws.iter_rows()],
            "validations": sorted((str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2, dv.error,
                                   dv.prompt, bool(dv.showErrorMessage)) for dv in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes,
            "protected": ws.protection.sheet,
            "columns": sorted((k, d.width, d.protection.locked, d.number_format)
                              for k, d in ws.column_dimensions.items()),
        }
    return out


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_committed_templates_are_up_to_date(tmp_path, lang):
    committed = REPO / "data_templates" / lang / f"evaltools_{lang}.xlsx"
    fresh, = write_templates(tmp_path, lang=lang)
    assert committed.is_file(), f"{committed} is missing: run `make templates`"
    assert _digest(fresh) == _digest(committed), f"{committed} is out of date with the schema: run `make templates`"


# --------------------------------------------------------------------------- filled workbooks


def _tables():
    participants = pd.DataFrame({
        "participant_id": ["P101", "P102", "P103"],
        "family_id": ["F1", None, "F1"],
        "components": ["family_support;legal", "youth", "self_help"],
        "group": ["=HYPERLINK(\"http://x\")", "+1+2", "@SUM(A1)"],
        "role": ["adult", "youth", "adult"],
        "sex": ["F", "M", "unknown"],
        "birth_year": [1980.0, 2005.0, np.nan],
        "enrolled_on": pd.to_datetime(["2021-02-01", "2021-03-15", None]),
        "exited_on": ["2021-06-30", None, "15.07.2021"],
        "exit_reason": [None, None, "-moved"],
        "_row": [3, 4, 5],
    })
    sessions = pd.DataFrame({"session_id": ["S1", "S2"], "date": ["2021-02-03", "2021-02-10"],
                             "activity": ["family_visit", "legal_advice"], "group": [None, "G1"],
                             "duration_min": [60.0, 45.5], "headcount": [0, 12]})
    attendance = pd.DataFrame({"session_id": ["S1", "S2"], "participant_id": ["P101", "P102"]})
    q = pd.DataFrame({"participant_id": ["P101", "P101"], "wave": ["baseline", "endline"],
                      "date": ["2021-02-01", "2021-11-30"], "mood_1": [3.0, 99.0], "mood_2": [np.nan, 7.0]})
    return {"participants": participants, "sessions": sessions, "attendance": attendance, "q_mood": q}


def test_filled_workbook_round_trips(tmp_path, project):
    mood = find_instrument("mood", project)
    path = write_filled_workbook(tmp_path / "x" / "demo.xlsx", _tables(), lang="pl", instruments=[mood])
    assert path == tmp_path / "x" / "demo.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["instrukcja", *TABLES, "q_mood", CODEBOOK_SHEET, LISTS_SHEET]
    ws = wb["participants"]
    assert [c.value for c in ws[1]] == list(TABLES["participants"].column_names)
    assert [c.value for c in ws[2]] == list(example_values(TABLES["participants"], lang="pl").values())  # kept
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert rows[0] == ["P101", "F1", "family_support;legal", "'=HYPERLINK(\"http://x\")", "adult", "F", 1980,
                       dt.datetime(2021, 2, 1), dt.datetime(2021, 6, 30), None, None]  # arm: empty
    assert rows[1][1] is None and rows[1][3] == "'+1+2" and rows[1][8] is None
    assert rows[2][3] == "'@SUM(A1)" and rows[2][6] is None and rows[2][7] is None
    assert rows[2][8] == dt.datetime(2021, 7, 15)  # Polish date text -> real date
    assert rows[2][9] == "'-moved"
    assert ws["H3"].number_format == "dd.mm.yyyy" and ws["H3"].is_date
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            assert cell.data_type != "f"
            assert cell.value is None or not cell.protection.locked  # typed data stays editable
    sessions = [[c.value for c in row] for row in wb["sessions"].iter_rows(min_row=3)]
    assert sessions == [["S1", dt.datetime(2021, 2, 3), "family_visit", None, 60, 0],
                        ["S2", dt.datetime(2021, 2, 10), "legal_advice", "G1", 45.5, 12]]
    assert [[c.value for c in row] for row in wb["attendance"].iter_rows(min_row=3)] == [["S1", "P101"],
                                                                                          ["S2", "P102"]]
    assert wb["ties"].max_row == 2  # a table not given keeps header and example
    q = [[c.value for c in row] for row in wb["q_mood"].iter_rows(min_row=2)]
    assert q == [["PRZYKŁAD-1", "baseline", "2021-01-20", 0, 0],
                 ["P101", "baseline", dt.datetime(2021, 2, 1), 3, None],
                 ["P101", "endline", dt.datetime(2021, 11, 30), 99, 7]]
    # validations reach beyond the data: rows 2 .. 2 + 10 000 + number of data rows
    assert str(validations(wb["participants"])["E"].sqref) == "E2:E10005"
    assert wb["participants"].protection.sheet and wb["participants"].freeze_panes == "A2"


def test_filled_workbook_reads_with_pandas(tmp_path, project):
    path = write_filled_workbook(tmp_path / "d.xlsx", _tables(), lang="en",
                                 instruments=[find_instrument("mood", project)])
    df = pd.read_excel(path, sheet_name="sessions").iloc[1:]  # skip the example row
    assert df["session_id"].tolist() == ["S1", "S2"]
    assert pd.to_datetime(df["date"]).tolist() == [pd.Timestamp("2021-02-03"), pd.Timestamp("2021-02-10")]


def test_filled_workbook_escapes_xml(tmp_path):
    tables = {"attendance": pd.DataFrame({"session_id": ["S<1>&\x01", " S2 "], "participant_id": ["P1", "P2"]})}
    wb = openpyxl.load_workbook(write_filled_workbook(tmp_path / "e.xlsx", tables, instruments=[]))
    assert [c.value for c in wb["attendance"]["A"][2:]] == ["S<1>&", " S2 "]


def test_filled_workbook_rejects_unknown_tables_and_columns(tmp_path):
    with pytest.raises(ValueError, match="q_nosuch"):
        write_filled_workbook(tmp_path / "a.xlsx", {"q_nosuch": pd.DataFrame()}, instruments=[])
    with pytest.raises(ValueError, match="surname"):
        write_filled_workbook(tmp_path / "a.xlsx", {"attendance": pd.DataFrame(
            {"session_id": ["S1"], "participant_id": ["P1"], "surname": ["X"]})}, instruments=[])


def test_example_values_match_schema_but_ids_carry_the_marker():
    for table in TABLES.values():
        for lang, marker in (("pl", "PRZYKŁAD-1"), ("en", "EXAMPLE-1")):
            expected = {c.name: marker if c.kind == "id" and c.example is not None else c.example
                        for c in table.columns}
            assert example_values(table, lang=lang) == expected


# --------------------------------------------------------------------------- Polish labels in the Polish template


def test_polish_dropdown_labels_read_back_as_codes(tmp_path):
    """Each Polish label a dropdown offers, typed into its coded column, reads back as its code."""
    from evaltools.io import parse_column, read_folder

    wb = openpyxl.load_workbook(REPO / "data_templates" / "pl" / "evaltools_pl.xlsx")
    expected = {}
    for name, table in TABLES.items():
        ws = wb[name]
        dvs = validations(ws)
        for idx, col in enumerate(table.columns, 1):
            if col.kind not in ("code", "codes"):
                continue
            codes = list(CODES[col.codes])
            labels = dropdown(wb, dvs[openpyxl.utils.get_column_letter(idx)])[:len(codes)]
            # hand-checked against codes.yaml: the labels are Polish words, not the codes
            assert not set(labels) & set(codes) or col.codes == "yesno" and labels == ["tak", "nie"]
            for row, label in enumerate(labels, 3):
                ws.cell(row, idx, label)
            expected[(name, col.name)] = codes
    assert len(expected) == 10  # components, role, sex, arm, activity, wave, relation, support, contact, on_estate
    (tmp_path / "d").mkdir()
    wb.save(tmp_path / "d" / "staff.xlsx")
    out = read_folder(tmp_path / "d")
    for (name, column), codes in expected.items():
        table = TABLES[name]
        col = next(c for c in table.columns if c.name == column)
        raw = out.tables[name].frame[column]
        values, bad = parse_column(raw, kind=col.kind, codes=col.codes)
        assert not bad.any(), (name, column)
        assert values.tolist()[:len(codes)] == codes, (name, column)
    assert out.tables["participants"].frame["sex"].tolist()[:4] == ["kobieta", "mężczyzna", "inna", "nieznana"]


def test_expected_codes_listed_in_the_readers_language(tmp_path):
    """`oczekiwano jednego z: self_help_meeting, …` was the bug: Polish messages list the Polish labels."""
    from evaltools.synth import write_demo_data
    from evaltools.validate import validate_folder

    data = write_demo_data(tmp_path / "d", seed=0, participants=12)
    for table, column, value in (("participants", "sex", "K"), ("sessions", "activity", "spotkanie")):
        df = pd.read_csv(data / f"{table}.csv", dtype=str, keep_default_na=False)
        df.loc[0, column] = value
        df.to_csv(data / f"{table}.csv", index=False)
    problems = {p.column: p for p in validate_folder(data).problems if p.key == "not_a_code"}
    assert problems["sex"].text("pl").endswith(
        "'K' nie jest dozwolonym kodem; oczekiwano jednego z: kobieta, mężczyzna, inna, nieznana.")
    assert problems["sex"].text("en").endswith("'K' is not an allowed code; expected one of: F, M, other, unknown.")
    pl = problems["activity"].text("pl")
    assert "oczekiwano jednego z: spotkanie grupy samopomocowej, wizyta asystenta rodziny," in pl
    assert "self_help_meeting" not in pl
    assert "expected one of: self_help_meeting, family_visit," in problems["activity"].text("en")
