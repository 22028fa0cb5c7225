"""Tests of evaltools/exports.py: KoboToolbox and ODK Central exports read as q_<id> tables.

The fixtures are written the way each platform writes its exports of a form
made by ``evaltools xlsform`` (group ``items``):

- KoboToolbox, "XML values and headers", CSV: ``;``-separated, every field
  quoted, group paths joined with ``/``, the form's metadata first (start,
  end, today, deviceid) and Kobo's own after the answers (_id, _uuid,
  _submission_time, _validation_status, _notes, _status, _submitted_by,
  __version__, _tags, _index); XLSX: the same columns on one sheet named
  after the form's title (cut at Excel's 31 characters).
- ODK Central, CSV: ``,``-separated, ``SubmissionDate`` first, group paths
  joined with ``-``, then meta-instanceID, KEY, SubmitterID, SubmitterName,
  AttachmentsPresent, AttachmentsExpected, Status, ReviewState, DeviceID,
  Edits, FormVersion.

Timestamps carry their time zone (``2021-03-15T10:12:33.000+01:00``).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evaltools.exports import normalise_export, platform, strip_group
from evaltools.scoring import score_all
from evaltools.project import Project
from evaltools.validate import validate_folder

KOBO_TAIL = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
             "__version__", "_tags", "_index"]
ODK_TAIL = ["meta-instanceID", "meta-instanceName", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
            "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from evaltools.synth import write_demo_data
    return write_demo_data(tmp_path_factory.mktemp("ex") / "demo", seed=2)


@pytest.fixture(scope="module")
def template(demo):
    report = validate_folder(demo)
    assert not report.errors, [str(p) for p in report.errors]
    return Project.from_validation(report)


def _answers(q: pd.DataFrame, items) -> pd.DataFrame:
    """The template's typed answers as an export's text (codes, blanks, tz dates on every third row)."""
    out = pd.DataFrame({"participant_id": q["participant_id"], "wave": q["wave"]})
    day = q["date"].dt.strftime("%Y-%m-%d").fillna("")
    tz = q["date"].dt.strftime("%Y-%m-%dT09:15:00.000+02:00").fillna("")
    out["date"] = [z if i % 3 == 0 else d for i, (d, z) in enumerate(zip(day, tz))]
    for item in items:
        out[item] = q[item].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return out.reset_index(drop=True)


def kobo_export(q: pd.DataFrame, items) -> pd.DataFrame:
    ans = _answers(q, items)
    n = len(ans)
    stamp = [f"{d[:10] or '2021-03-15'}T10:{i % 60:02d}:33.000+01:00" for i, d in enumerate(ans["date"])]
    out = pd.DataFrame({"start": stamp, "end": stamp, "today": [s[:10] for s in stamp],
                        "deviceid": "collect:Xb21kZ3a9Lq0",
                        "participant_id": ans["participant_id"], "wave": ans["wave"], "date": ans["date"]})
    for item in items:
        out[f"items/{item}"] = ans[item]
    out["_id"] = [str(40000 + i) for i in range(n)]
    out["_uuid"] = [f"6f1c2e1a-0000-4000-8000-{i:012d}" for i in range(n)]
    out["_submission_time"] = [s[:19] for s in stamp]
    out["_validation_status"] = ["validation_status_approved" if i % 4 == 0 else "" for i in range(n)]
    out["_notes"], out["_status"], out["_submitted_by"] = "", "submitted_via_web", ""
    out["__version__"], out["_tags"] = "vKJ6bWzV2pX7mUdfc8Rk2A", ""
    out["_index"] = [str(i + 1) for i in range(n)]
    return out


def odk_export(q: pd.DataFrame, items) -> pd.DataFrame:
    ans = _answers(q, items)
    n = len(ans)
    stamp = [f"{d[:10] or '2021-03-15'}T10:{i % 60:02d}:33.000+01:00" for i, d in enumerate(ans["date"])]
    out = pd.DataFrame({"SubmissionDate": [s[:19] + ".000Z" for s in stamp], "start": stamp, "end": stamp,
                        "today": [s[:10] for s in stamp], "deviceid": "collect:Xb21kZ3a9Lq0",
                        "participant_id": ans["participant_id"], "wave": ans["wave"], "date": ans["date"]})
    for item in items:
        out[f"items-{item}"] = ans[item]
    ids = [f"uuid:5c0a8d6e-0000-4000-8000-{i:012d}" for i in range(n)]
    tail = {"meta-instanceID": ids, "meta-instanceName": ans["participant_id"] + " " + ans["wave"], "KEY": ids,
            "SubmitterID": "5", "SubmitterName": "tablet 1", "AttachmentsPresent": "0", "AttachmentsExpected": "0",
            "Status": "", "ReviewState": ["approved" if i % 5 == 0 else "" for i in range(n)],
            "DeviceID": "collect:Xb21kZ3a9Lq0", "Edits": "0", "FormVersion": "3f9a0c1d2e"}
    for col in ODK_TAIL:
        out[col] = tail[col]
    return out


def _with_trouble(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Append a repeated submission (same instance id) and a rejected one that would break the table."""
    repeat = frame.iloc[[0]]
    rejected = frame.iloc[[1]].copy()
    item_cols = [c for c in frame.columns if c.startswith(("items/", "items-"))]
    rejected[item_cols[0]] = "1"
    if kind == "kobo":
        rejected["_uuid"] = "6f1c2e1a-ffff-4000-8000-000000000001"
        rejected["_validation_status"] = "validation_status_not_approved"
    else:
        rejected["meta-instanceID"] = rejected["KEY"] = "uuid:5c0a8d6e-ffff-4000-8000-000000000001"
        rejected["ReviewState"] = "rejected"
    return pd.concat([frame, repeat, rejected], ignore_index=True)


def _write_kobo_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep=";", index=False, quoting=csv.QUOTE_ALL, encoding="utf-8")


def _write_odk_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8")


def _write_kobo_xlsx(frame: pd.DataFrame, path: Path, title: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([int(v) if c in ("_id", "_index") else (v or None) for c, v in zip(frame.columns, row)])
    wb.save(path)


def _export_folder(demo, template, tmp_path, route: str) -> Path:
    folder = tmp_path / route
    shutil.copytree(demo, folder)
    for inst_id, q in template.questionnaires.items():
        items = template.instruments[inst_id].item_ids
        (folder / f"q_{inst_id}.csv").unlink()
        if route == "odk":
            _write_odk_csv(_with_trouble(odk_export(q, items), "odk"), folder / f"q_{inst_id}.csv")
        elif route == "kobo_csv":
            _write_kobo_csv(_with_trouble(kobo_export(q, items), "kobo"), folder / f"q_{inst_id}.csv")
        else:
            _write_kobo_xlsx(_with_trouble(kobo_export(q, items), "kobo"), folder / f"q_{inst_id}.xlsx",
                             template.instruments[inst_id].title_in("pl") + " – Razem zmieniamy jutro")
    return folder


@pytest.mark.parametrize("route", ["kobo_csv", "kobo_xlsx", "odk"])
def test_exports_read_to_the_template_tables_and_scores(demo, template, tmp_path, route):
    folder = _export_folder(demo, template, tmp_path, route)
    report = validate_folder(folder)
    assert not report.errors, [str(p) for p in report.errors[:10]]
    project = Project.from_validation(report)
    for inst_id, q in template.questionnaires.items():
        got = project.questionnaires[inst_id]
        pd.testing.assert_frame_equal(got.drop(columns="_row"), q.drop(columns="_row"))
        # rows are named as the export shows them: header row 1, first submission row 2
        assert got["_row"].tolist() == list(range(2, len(q) + 2))
    pd.testing.assert_frame_equal(score_all(project.questionnaires, project.instruments),
                                  score_all(template.questionnaires, template.instruments))
    # each export's repeated and rejected submission is reported, with the rows of the export
    for inst_id, q in template.questionnaires.items():
        n = len(q)
        dup = [p for p in report.warnings if p.key == "export_duplicate" and p.table == f"q_{inst_id}"]
        assert [(p.row, p.fields["first"]) for p in dup] == [(n + 2, 2)]
        rejected = [p for p in report.warnings if p.key == "export_rejected" and p.table == f"q_{inst_id}"]
        assert [(p.fields["n"], p.fields["rows"]) for p in rejected] == [(1, str(n + 3))]
    # and counted in the data-quality table
    from evaltools.validate import data_quality
    dq = data_quality(project)
    assert set(dq.loc[dq["check"] == "export_duplicate", "n_rows_affected"]) == {1}


def test_export_values_are_checked_like_the_template(demo, template, tmp_path):
    folder = _export_folder(demo, template, tmp_path, "kobo_csv")
    path = folder / "q_empowerment.csv"
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    frame.loc[3, "items/emp_02"] = "7"  # out of the 1-5 scale, not a missing code
    frame.loc[5, "wave"] = "endlin"
    _write_kobo_csv(frame, path)
    report = validate_folder(folder)
    found = {(p.key, p.row, p.column) for p in report.errors}
    assert ("answer_out_of_scale", 5, "emp_02") in found  # row 5 of the export: header + 4th submission
    assert ("not_a_code", 7, "wave") in found


def test_label_headers_and_label_values_say_which_option_to_choose(template, tmp_path):
    q = template.questionnaires["empowerment"]
    inst = template.instruments["empowerment"]
    labels = kobo_export(q, inst.item_ids).rename(columns={
        "participant_id": "Identyfikator uczestnika", "wave": "Pomiar", "date": "Data wypełnienia",
        **{f"items/{i}": f"Poczucie sprawczości/{item.text['pl']}" for i, item in zip(inst.item_ids, inst.items)}})
    frame = pd.concat([labels, pd.DataFrame({"_row": range(2, len(labels) + 2)})], axis=1)
    _, problems = normalise_export(frame, file="q_empowerment.csv", table="q_empowerment")
    assert [p.key for p in problems] == ["export_label_headers"]
    assert "XML values and headers" in problems[0].text("en") and "XML values and headers" in problems[0].text("pl")

    values = kobo_export(q, inst.item_ids)
    codes = {str(k + 1): label for k, label in enumerate(inst.response_labels["pl"])}
    for item in inst.item_ids:
        values[f"items/{item}"] = values[f"items/{item}"].map(lambda v: codes.get(v, v))
    frame = pd.concat([values, pd.DataFrame({"_row": range(2, len(values) + 2)})], axis=1)
    _, problems = normalise_export(frame, file="q_empowerment.csv", table="q_empowerment")
    assert [(p.key, p.column) for p in problems] == [("export_label_values", "emp_01")]
    assert problems[0].severity == "error"


def test_platform_file_names_say_what_to_rename_to(demo, template, tmp_path):
    folder = tmp_path / "named"
    shutil.copytree(demo, folder)
    q = template.questionnaires["empowerment"]
    items = template.instruments["empowerment"].item_ids
    (folder / "q_empowerment.csv").unlink()
    (folder / "q_recovery.csv").unlink()
    (folder / "q_independence.csv").rename(folder / "independence.csv.zip")
    _write_kobo_xlsx(kobo_export(q, items), folder / "empowerment_-_all_versions_-_False_-_2021-03-15-10-12-33.xlsx",
                     "Poczucie sprawczości")
    rq = template.questionnaires["recovery"]
    _write_odk_csv(odk_export(rq, template.instruments["recovery"].item_ids), folder / "recovery.csv")
    report = validate_folder(folder)
    hints = {p.file: p.fields["target"] for p in report.problems if p.key in ("export_rename", "export_unzip")}
    assert hints == {"empowerment_-_all_versions_-_False_-_2021-03-15-10-12-33.xlsx": "q_empowerment.xlsx",
                     "recovery.csv": "q_recovery.csv", "independence.csv.zip": "q_independence.csv"}
    # the questionnaires are still missing, so the folder is not valid until they are renamed
    assert {p.fields.get("instrument") for p in report.errors if p.key == "questionnaire_missing"} == {
        "empowerment", "recovery", "independence"}
    text = next(p for p in report.problems if p.file == "recovery.csv").text("pl")
    assert "q_recovery.csv" in text
    # a Kobo name from a form title that does not hold the id lists the names to choose from
    from evaltools.exports import export_file_hint
    p = export_file_hint("Poczucie_sprawczości_-_latest_version_-_labels_-_2021-03-15-10-12-33.csv",
                         {"q_empowerment", "q_recovery"})
    assert p.fields["target"] == "q_empowerment.csv / q_recovery.csv"


def test_tz_dates_read_as_local_dates():
    frame = pd.DataFrame({"participant_id": ["P001", "P002", "P003"], "wave": ["baseline"] * 3,
                          "date": ["2021-03-15T10:12:33.000+01:00", "2021-03-15T23:59:00.000-05:00", "2021-03-16"],
                          "_uuid": ["a", "b", "c"], "_row": [2, 3, 4]})
    out, problems = normalise_export(frame, file="q_x.csv", table="q_x")
    from evaltools.io import parse_column
    values, bad = parse_column(out["date"], kind="date")
    # the date of the interview where it took place, not converted to UTC (23:59 at -05:00 stays the 15th)
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2021-03-15", "2021-03-15", "2021-03-16"]
    assert not bad.any() and problems == []


def test_group_paths_metadata_and_platforms():
    assert platform(["participant_id", "wave", "emp_01"]) is None
    assert platform(["start", "participant_id", "_uuid"]) == "kobo"
    assert platform(["SubmissionDate", "participant_id", "KEY"]) == "odk"
    assert strip_group("grp/sub/emp_01", "kobo") == "emp_01"
    assert strip_group("items-emp_01", "odk") == "emp_01"
    assert strip_group("emp-01", "odk") == "emp-01"  # ODK names may hold "-": only evaltools' groups are stripped
    frame = pd.DataFrame({"SubmissionDate": ["x"], "participant_id": ["P1"], "wave": ["baseline"],
                          "items-emp_01": ["3"], "meta-instanceID": ["uuid:1"], "KEY": ["uuid:1"],
                          "ReviewState": ["hasIssues"], "_row": [2]})
    out, problems = normalise_export(frame, file="q_e.csv", table="q_e")
    assert list(out.columns) == ["participant_id", "wave", "emp_01", "_row"] and problems == []
    # a template's table is returned untouched
    plain = pd.DataFrame({"participant_id": ["P1"], "wave": ["baseline"], "start": ["x"], "_row": [2]})
    same, problems = normalise_export(plain, file="q_e.csv")
    assert same is plain and problems == []
