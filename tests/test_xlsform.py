"""Tests of evaltools/xlsform.py: the tablet forms, checked with pyxform (the XLSForm reference implementation)."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
from pyxform.xls2xform import convert

from evaltools.cli import main
from evaltools.instruments import find_instrument
from evaltools.labels import t
from evaltools.xlsform import ANY_ID, convert_errors, form_sheets, id_pattern, write_xlsforms

# A custom instrument unlike the library's: 0-10 answers without labels, no missing code,
# an item without wording (licence) and a label that Excel would take for a formula.
CUSTOM = """\
id: mood
title: {pl: Nastrój, en: Mood}
source: test
licence: CC0
response: {min: 0, max: 10}
items:
  - {id: mood_1, text: {pl: "Jak się dziś czujesz?", en: "How do you feel today?"}}
  - {id: mood_2, text: {pl: "=cmd|' /C calc'!A0", en: "@SUM(1+1)"}}
  - {id: mood_3, text: {pl: "", en: ""}}
subscales:
  - {id: mood, items: [mood_1, mood_2, mood_3]}
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from evaltools.synth import write_demo_data
    return write_demo_data(tmp_path_factory.mktemp("xf") / "demo", seed=0)


@pytest.fixture(scope="module")
def forms(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("forms")
    return {lang: write_xlsforms(out / lang, data_dir=demo, lang=lang) for lang in ("pl", "en")}


@pytest.fixture(scope="module")
def custom(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("custom")
    (data / "project.yaml").write_text(
        "name: test\nperiod: {start: 2021-01-01, end: 2021-12-31}\ninstruments: [mood, empowerment]\n",
        encoding="utf-8")
    (data / "instruments").mkdir()
    (data / "instruments" / "mood.yaml").write_text(CUSTOM, encoding="utf-8")
    (data / "participants.csv").write_text("participant_id,components\nR-01,youth\nR-12,youth\n", encoding="utf-8")
    return data


def _sheet(path, name):
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_one_form_per_demo_instrument_and_pyxform_converts_each_cleanly(demo, forms):
    import yaml
    ids = yaml.safe_load((demo / "project.yaml").read_text(encoding="utf-8"))["instruments"]
    for lang, paths in forms.items():
        assert [p.name for p in paths] == [f"form_{i}.xlsx" for i in ids]
        for path in paths:
            warnings: list[str] = []
            result = convert(xlsform=str(path), warnings=warnings, validate=False)  # raises on an error
            assert warnings == [], (path, warnings)
            assert 'lang="polski (pl)"' in result.xform and 'lang="English (en)"' in result.xform
            default = "polski (pl)" if lang == "pl" else "English (en)"
            assert f'<translation lang="{default}" default="true()">' in result.xform


def test_custom_instrument_form_converts_and_is_safe(custom, tmp_path):
    paths = write_xlsforms(tmp_path / "forms", data_dir=custom, lang="en")
    assert [p.name for p in paths] == ["form_mood.xlsx", "form_empowerment.xlsx"]
    assert convert_errors(paths[0]) == []
    survey = _sheet(paths[0], "survey")
    items = [r for r in survey if r["type"] == "select_one answer"]
    assert [r["name"] for r in items] == ["mood_1", "mood_2", "mood_3"]
    # no missing code: blank is "no answer", so items are optional and no extra choice is offered
    assert all(not r["required"] for r in items)
    choices = [r for r in _sheet(paths[0], "choices") if r["list_name"] == "answer"]
    assert [r["name"] for r in choices] == [str(i) for i in range(11)]
    assert [r["label::English (en)"] for r in choices] == [str(i) for i in range(11)]  # no labels: the numbers
    # the formula-looking label is text in the workbook, not a formula
    cell = openpyxl.load_workbook(paths[0])["survey"]
    texts = [c.value for row in cell.iter_rows() for c in row]
    assert "=cmd|' /C calc'!A0" in texts
    assert all(c.data_type != "f" for row in cell.iter_rows() for c in row)
    # an item without wording says where its wording is, in both languages
    assert items[2]["label::English (en)"] == t("xlsform.items.no_text", "en", n=3, item="mood_3")
    assert items[2]["label::polski (pl)"] == t("xlsform.items.no_text", "pl", n=3, item="mood_3")
    # participants: the constraint follows their shape
    pid = next(r for r in survey if r["name"] == "participant_id")
    assert pid["constraint"] == "regex(., '^R\\-[0-9]{2,}$')"
    assert "R-01" in pid["hint::English (en)"] and "R-01" in pid["hint::polski (pl)"]


def test_survey_choices_settings_of_the_empowerment_form(demo, forms):
    path = next(p for p in forms["pl"] if p.name == "form_empowerment.xlsx")
    inst = find_instrument("empowerment", demo)
    survey = _sheet(path, "survey")
    assert [r["name"] for r in survey[:7]] == ["start", "end", "today", "deviceid", "participant_id", "wave", "date"]
    assert [r["type"] for r in survey[4:7]] == ["text", "select_one wave", "date"]
    group = [r["name"] for r in survey[survey.index(next(r for r in survey if r["type"] == "begin_group")) + 1:-1]]
    assert group == list(inst.item_ids)
    for r in survey[4:]:
        if r["type"] != "end_group":
            assert r["label::polski (pl)"] and r["label::English (en)"], r
    for r in survey[4:7]:
        assert r["hint::polski (pl)"] and r["hint::English (en)"], r
    choices = _sheet(path, "choices")
    answers = [r for r in choices if r["list_name"] == "answer"]
    # the response labels of empowerment.yaml, coded 1..5, then "no answer" coded as its first missing code (9)
    assert [r["name"] for r in answers] == ["1", "2", "3", "4", "5", "9"]
    assert [r["label::polski (pl)"] for r in answers[:5]] == inst.response_labels["pl"]
    assert [r["label::English (en)"] for r in answers[:5]] == inst.response_labels["en"]
    assert answers[5]["label::polski (pl)"] == "brak odpowiedzi" and answers[5]["label::English (en)"] == "no answer"
    assert [r["name"] for r in choices if r["list_name"] == "wave"] == ["baseline", "endline", "midline", "followup"]
    settings, = _sheet(path, "settings")
    assert settings["form_id"] == "empowerment"
    assert settings["default_language"] == "polski (pl)"
    assert "(empowerment)" in settings["form_title"]
    assert re.fullmatch(r"[0-9a-f]{10}", settings["version"])


def test_participant_id_constraint_matches_the_demo_ids(demo, forms):
    import pandas as pd
    ids = pd.read_csv(demo / "participants.csv", dtype=str)["participant_id"]
    survey = _sheet(forms["en"][0], "survey")
    constraint = next(r for r in survey if r["name"] == "participant_id")["constraint"]
    regex = re.fullmatch(r"regex\(\., '(.*)'\)", constraint).group(1)
    assert all(re.search(regex, i) for i in ids)  # every real id passes (XPath regex = this subset of re)
    for wrong in ("P1", "p001", "Jan Kowalski", "P001 ", "001"):
        assert not re.search(regex, wrong), wrong


def test_id_pattern_by_hand():
    assert id_pattern(["P001", "P075", "P1000"]) == ("^P[0-9]{3,}$", "P001")
    assert id_pattern(["F1-P01", "F12-P03"]) == ("^F[0-9]{1,}\\-P[0-9]{2,}$", "F1-P01")
    assert id_pattern(["A1", "B22"]) == ("^[A-Za-z]+[0-9]{1,}$", "A1")
    assert id_pattern(["P001", "anna"])[0] == ANY_ID  # mixed shapes: any id
    assert re.search(ANY_ID, "X_1.a-2") and not re.search(ANY_ID, "two words")


def test_version_follows_the_form_and_project():
    inst = find_instrument("empowerment")
    a = form_sheets(inst, project="A")["settings"][0]["version"]
    assert a == form_sheets(inst, project="A")["settings"][0]["version"]  # deterministic
    assert a != form_sheets(inst, project="B")["settings"][0]["version"]
    assert a != form_sheets(inst, project="A", id_regex="^P[0-9]{3,}$")["settings"][0]["version"]


def test_pyxform_check_catches_a_broken_form():
    # the self-check is not vacuous: a form pyxform rejects gives an error
    sheets = form_sheets(find_instrument("empowerment"), project="A")
    sheets["survey"][5]["type"] = "select_one no_such_list"
    assert convert_errors(sheets)


def test_cli_xlsform(demo, tmp_path, capsys):
    assert main(["xlsform", str(tmp_path / "forms"), "--data", str(demo), "--lang", "en"]) == 0
    printed = capsys.readouterr().out.split()
    assert printed and all(Path(p).is_file() for p in printed)
    # never into the data folder (raw files are read-only to the toolkit)
    assert main(["xlsform", str(demo / "forms"), "--data", str(demo)]) == 2
    assert not (demo / "forms").exists()
    assert main(["xlsform", str(tmp_path / "x"), "--data", str(tmp_path / "nope")]) == 2


def test_default_language_is_the_projects(custom, tmp_path):
    # custom's project.yaml names no language: Polish; a project in English gets English forms
    path = write_xlsforms(tmp_path / "a", data_dir=custom)[0]
    assert _sheet(path, "settings")[0]["default_language"] == "polski (pl)"
    yaml_text = (custom / "project.yaml").read_text(encoding="utf-8")
    english = tmp_path / "en"
    english.mkdir()
    (english / "project.yaml").write_text(yaml_text.replace("instruments: [mood, empowerment]",
                                                            "language: en\ninstruments: [empowerment]"),
                                          encoding="utf-8")
    path = write_xlsforms(tmp_path / "b", data_dir=english)[0]
    settings = _sheet(path, "settings")[0]
    assert settings["default_language"] == "English (en)"
    assert settings["form_title"] == "Empowerment – test (empowerment)"


def test_a_form_pyxform_refuses_is_not_written_silently(custom, tmp_path, monkeypatch, capsys):
    from evaltools import xlsform
    from evaltools.errors import EvaltoolsError
    monkeypatch.setattr(xlsform, "convert_errors", lambda path: ["[row : 5] something is wrong"])
    with pytest.raises(EvaltoolsError, match="form_mood.xlsx"):
        write_xlsforms(tmp_path / "a", data_dir=custom, lang="en")
    assert main(["xlsform", str(tmp_path / "b"), "--data", str(custom)]) == 1
    assert "pyxform" in capsys.readouterr().err
