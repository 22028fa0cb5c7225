"""The templates are the real data path (issue 8): what staff type is read back as is."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evaltools.instruments import find_instrument
from evaltools.project import Project, load_project
from evaltools.validate import validate_folder


@pytest.fixture(scope="module")
def csv_demo(tmp_path_factory) -> Path:
    from evaltools.synth import write_demo_data
    return write_demo_data(tmp_path_factory.mktemp("csv") / "demo", seed=2)


@pytest.fixture(scope="module")
def xlsx_demo(tmp_path_factory) -> Path:
    from evaltools.synth import write_demo_data
    return write_demo_data(tmp_path_factory.mktemp("xlsx") / "demo", seed=2, fmt="xlsx")


def _tables(project):
    out = {n: getattr(project, n).drop(columns="_row") for n in ("participants", "sessions", "attendance", "ties")}
    out |= {f"q_{i}": q.drop(columns="_row") for i, q in project.questionnaires.items()}
    return out


def _assert_same(a, b):
    ta, tb = _tables(a), _tables(b)
    assert ta.keys() == tb.keys()
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_dtype=False, obj=name)


def _workbook(folder: Path) -> Path:
    return next(folder.glob("*.xlsx"))


def _copy_with_workbook(xlsx_demo: Path, tmp_path: Path, sheet: str):
    """A copy of the xlsx demo, its workbook opened for typing, and the sheet's column numbers."""
    folder = tmp_path / "data"
    shutil.copytree(xlsx_demo, folder)
    path = _workbook(folder)
    wb = openpyxl.load_workbook(path)
    col = {cell.value: i + 1 for i, cell in enumerate(wb[sheet][1])}
    return path, wb, wb[sheet], col


def test_xlsx_demo_reads_to_the_same_tables_as_csv(csv_demo, xlsx_demo):
    a, b = validate_folder(csv_demo), validate_folder(xlsx_demo)
    assert not a.errors and not b.errors, [str(p) for p in (a.errors + b.errors)[:5]]
    _assert_same(Project.from_validation(a), Project.from_validation(b))


def test_example_row_left_in_place_is_not_data(xlsx_demo):
    wb = openpyxl.load_workbook(_workbook(xlsx_demo))
    assert wb["participants"]["A2"].value == "PRZYKŁAD-1"  # the grey example (its marker) is still there
    project = load_project(xlsx_demo)
    assert project.participants["_row"].min() == 3


def test_example_row_deleted_reads_the_same(csv_demo, xlsx_demo, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(xlsx_demo, folder)
    path = _workbook(folder)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws.title in ("participants", "sessions", "attendance", "ties") or ws.title.startswith("q_"):
            ws.delete_rows(2)
    wb.save(path)
    report = validate_folder(folder)
    assert not report.errors, [str(p) for p in report.errors[:5]]
    _assert_same(load_project(csv_demo), Project.from_validation(report))


def test_blank_rows_text_numbers_and_spaces_are_forgiven(xlsx_demo, tmp_path):
    path, wb, ws, col = _copy_with_workbook(xlsx_demo, tmp_path, "participants")
    folder = path.parent
    ws.cell(3, col["birth_year"]).value = str(ws.cell(3, col["birth_year"]).value)  # "1985" typed as text
    ws.cell(4, col["sex"]).value = f"  {ws.cell(4, col['sex']).value}  "  # trailing spaces
    ws.insert_rows(6, amount=2)  # two fully blank rows in the middle
    wb.save(path)
    report = validate_folder(folder)
    assert not report.errors, [str(p) for p in report.errors[:5]]
    assert len(Project.from_validation(report).participants) == len(load_project(xlsx_demo).participants)


def test_value_outside_the_dropdown_is_reported_with_sheet_row_column(xlsx_demo, tmp_path):
    path, wb, ws, col = _copy_with_workbook(xlsx_demo, tmp_path, "sessions")
    folder = path.parent
    ws.cell(5, col["activity"]).value = "festyn"  # not a code, typed past the dropdown
    wb.save(path)
    problems = [p.text("en") for p in validate_folder(folder).errors]
    assert any(f"{path.name}, sheet sessions, row 5, column activity: 'festyn' is not an allowed code" in p
               for p in problems), problems


def test_formulas_are_read_as_cached_values_never_evaluated(xlsx_demo, tmp_path):
    path, wb, ws, col = _copy_with_workbook(xlsx_demo, tmp_path, "sessions")
    folder = path.parent
    ws.cell(3, col["headcount"]).value = "=1+1"  # openpyxl stores no cached value
    wb.save(path)
    before = path.read_bytes()
    report = validate_folder(folder)
    # no cached value -> an empty cell, not an evaluated 2
    assert Project.from_validation(report) is not None
    assert pd.isna(Project.from_validation(report).sessions.loc[0, "headcount"])
    assert path.read_bytes() == before


def test_custom_instrument_gets_a_questionnaire_sheet_with_scale_validation(csv_demo, tmp_path):
    from evaltools.templates import write_templates
    folder = tmp_path / "data"
    shutil.copytree(csv_demo, folder)
    (folder / "instruments").mkdir()
    text = (Path(find_instrument("empowerment").path).read_text(encoding="utf-8")
            .replace("id: empowerment", "id: wellbeing_local"))
    (folder / "instruments" / "wellbeing_local.yaml").write_text(text, encoding="utf-8")
    import yaml
    config = yaml.safe_load((folder / "project.yaml").read_text(encoding="utf-8"))
    config["instruments"].append("wellbeing_local")
    (folder / "project.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    paths = write_templates(tmp_path / "templates", lang="pl", data_dir=folder)
    wb = openpyxl.load_workbook(paths[0])
    assert "q_wellbeing_local" in wb.sheetnames
    ws = wb["q_wellbeing_local"]
    formulas = " ".join(str(dv.formula1) for dv in ws.data_validations.dataValidation)
    assert ">=1" in formulas and "<=5" in formulas and "=9" in formulas
