"""KoboToolbox and ODK Central exports read as ``q_<id>`` tables (docs/data.md).

A questionnaire filled on a tablet with a form made by ``evaltools xlsform``
comes back as the platform's export. :func:`normalise_export` turns such an
export, as :mod:`evaltools.io` read it (raw cells plus ``_row``), into the
``q_<id>`` table the template route gives: group paths are stripped
(``items/emp_01`` in Kobo, ``items-emp_01`` in ODK Central), the platform's
metadata columns are dropped, a submission repeated with the same instance id
counts once, and rejected submissions are skipped. Every row it drops is
reported as a :class:`~evaltools.errors.Problem` naming the file and the row
as the export shows it, so the validation report counts it.

A table that is not an export (no metadata column of either platform) is
returned as it came, so the template route is untouched.

Examples
--------
>>> raw = pd.DataFrame({"start": ["2021-03-15T10:02:01.000+01:00"] * 2,
...                     "participant_id": ["P001", "P001"], "wave": ["baseline"] * 2,
...                     "date": ["2021-03-15", "2021-03-15"], "items/emp_01": ["4", "4"],
...                     "_uuid": ["a1", "a1"], "_validation_status": ["", ""], "_row": [2, 3]})
>>> table, problems = normalise_export(raw, file="q_empowerment.csv", table="q_empowerment")
>>> list(table.columns), table["_row"].tolist()
(['participant_id', 'wave', 'date', 'emp_01', '_row'], [2])
>>> print(problems[0].text("en"))
q_empowerment.csv, row 3: this submission repeats submission a1 of row 2 (same instance id); it was counted once.
"""

from __future__ import annotations

import re

import pandas as pd

from evaltools.errors import Problem

#: The group holding the items in the forms ``evaltools xlsform`` writes.
ITEMS_GROUP = "items"

#: Metadata columns of a KoboToolbox export ("XML values and headers").
KOBO_META = ("start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid",
             "audit", "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
             "_submitted_by", "__version__", "_version_", "_tags", "_index", "_attachments", "_geolocation",
             "_xform_id_string", "_parent_table_name", "_parent_index", "_submission__id",
             "_submission__uuid", "_submission__submission_time", "_submission__validation_status")
#: Metadata columns of an ODK Central CSV export.
ODK_META = ("SubmissionDate", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent",
            "AttachmentsExpected", "Status", "ReviewState", "DeviceID", "Edits", "FormVersion",
            "instanceID", "instanceName", "deprecatedID")
#: Columns whose presence says "this is an export", not a template.
_KOBO_MARKERS = {"_uuid", "_id", "_submission_time", "_index", "__version__"}
_ODK_MARKERS = {"SubmissionDate", "KEY", "meta-instanceID", "ReviewState"}
#: Columns holding the instance id a repeated submission shares.
_INSTANCE_COLUMNS = ("_uuid", "meta/instanceID", "meta-instanceID", "KEY", "instanceID")
#: The contract's own columns of a q_ table: their absence from an export means label headers.
_KEYS = ("participant_id", "wave")

PLATFORM_NAMES = {"kobo": "KoboToolbox", "odk": "ODK Central"}
#: The export option that gives names and codes instead of labels.
EXPORT_OPTION = {"kobo": "XML values and headers", "odk": "CSV (names, not labels)"}


def platform(columns) -> str | None:
    """``kobo``, ``odk`` or None (not an export), from a table's header.

    >>> platform(["participant_id", "_uuid", "_index"]), platform(["SubmissionDate", "KEY"])
    ('kobo', 'odk')
    >>> platform(["participant_id", "wave", "emp_01"]) is None
    True
    """
    names = {str(c).strip() for c in columns}
    if names & _ODK_MARKERS:
        return "odk"
    if names & _KOBO_MARKERS:
        return "kobo"
    return None


def strip_group(column: str, kind: str) -> str:
    """A column's name without its group path.

    Kobo joins groups with ``/``, which a name cannot hold, so every path is
    stripped. ODK Central joins them with ``-``, which a name may hold, so
    only the groups of evaltools' forms (``items``, ``meta``) are stripped.

    >>> strip_group("items/emp_01", "kobo"), strip_group("a/b/emp_01", "kobo")
    ('emp_01', 'emp_01')
    >>> strip_group("items-emp_01", "odk"), strip_group("emp-01", "odk")
    ('emp_01', 'emp-01')
    """
    column = str(column).strip()
    if kind == "kobo" or "/" in column:
        return column.rsplit("/", 1)[-1]
    for group in (ITEMS_GROUP, "meta"):
        if column.startswith(group + "-") and len(column) > len(group) + 1:
            return column[len(group) + 1:]
    return column


def _is_meta(column: str) -> bool:
    return (column in KOBO_META or column in ODK_META or column.startswith(("meta/", "meta-", "formhub/"))
            or column.startswith("_") and column != "_row")


def _skipped(kind: str, row: pd.Series) -> bool:
    """A submission a reviewer rejected (ODK Central) or marked "not approved" (Kobo)."""
    if kind == "odk":
        return str(row.get("ReviewState") or "").strip().lower() == "rejected"
    status = re.sub(r"[\s_-]+", "_", str(row.get("_validation_status") or "").strip().lower())
    return status.removeprefix("validation_status_") in ("not_approved", "rejected")


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def normalise_export(frame: pd.DataFrame, *, file: str, sheet: str | None = None,
                     table: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """An export as a ``q_<id>`` table, and the problems met on the way.

    Parameters
    ----------
    frame
        Raw cells as :mod:`evaltools.io` read them, with ``_row`` (the row
        number the export shows).
    file, sheet, table
        Where the frame came from, for the problems' locations.

    Returns
    -------
    (DataFrame, list of Problem)
        The frame with the contract's and the items' columns only (plus
        ``_row``), one row per submission; a frame that is no export is
        returned unchanged, with no problems.
    """
    kind = platform(frame.columns)
    if kind is None:
        return frame, []
    at = dict(file=file, sheet=sheet, table=table)
    problems: list[Problem] = []
    keep = frame
    # rejected submissions first, so that a rejected copy never hides an accepted one
    skip_col = "ReviewState" if kind == "odk" else "_validation_status"
    if skip_col in frame.columns and len(frame):
        skipped = frame.apply(lambda r: _skipped(kind, r), axis=1).astype(bool)
        if skipped.any():
            rows = frame.loc[skipped, "_row"].astype(int).tolist()
            problems.append(Problem("export_rejected", {"n": len(rows), "rows": _rows_text(rows),
                                                        "platform": PLATFORM_NAMES[kind]},
                                    severity="warning", **at))
            keep = frame[~skipped]
    instance = next((c for c in _INSTANCE_COLUMNS if c in keep.columns), None)
    if instance is not None and len(keep):
        ids = keep[instance].map(_text)
        dup = (ids != "") & ids.duplicated(keep="first")
        if dup.any():
            first_row = keep.groupby(ids, sort=False)["_row"].transform("first")
            for idx in keep.index[dup]:
                problems.append(Problem("export_duplicate", {"value": ids[idx], "first": int(first_row[idx])},
                                        row=int(keep.at[idx, "_row"]), severity="warning", **at))
            keep = keep[~dup]
    columns = {}
    for col in keep.columns:
        if col == "_row" or _is_meta(str(col).strip()):
            continue
        name = strip_group(col, kind)
        if name in columns.values() or name == "_row":
            name = str(col)  # two groups holding the same name: leave the path for validation to name
        columns[col] = name
    out = keep[list(columns)].rename(columns=columns)
    out["_row"] = keep["_row"].to_numpy()
    out = out.reset_index(drop=True)
    if not set(_KEYS) <= set(out.columns):
        problems.append(Problem("export_label_headers", {"platform": PLATFORM_NAMES[kind],
                                                         "option": EXPORT_OPTION[kind]}, row=1, **at))
        return out, problems
    labelled = _label_values_column(out)
    if labelled is not None:
        problems.append(Problem("export_label_values", {"platform": PLATFORM_NAMES[kind],
                                                        "option": EXPORT_OPTION[kind]},
                                column=labelled, **at))
    return out, problems


def _label_values_column(frame: pd.DataFrame) -> str | None:
    """The first answer column holding mostly text where codes (numbers) belong, or None."""
    for col in frame.columns:
        if col in ("participant_id", "wave", "date", "_row"):
            continue
        values = [_text(v) for v in frame[col]]
        values = [v for v in values if v]
        if values and sum(not _is_number(v) for v in values) > len(values) / 2:
            return str(col)
    return None


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def _rows_text(rows: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    return shown + (" …" if len(rows) > limit else "")


# --------------------------------------------------------------------------- file names

_KOBO_NAME = re.compile(r"_-_(?:all_versions|latest_version|latest)_-_", re.IGNORECASE)
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[-_]\d{2}-\d{2}-\d{2}")


def export_file_hint(name: str, tables: set[str] | frozenset[str]) -> Problem | None:
    """A problem saying what to rename a platform-named export to, or None.

    ``name`` is a file of the data folder that was not read as a table;
    ``tables`` are the tables the folder should hold (``q_<id>`` among them).

    >>> qs = {"q_empowerment", "q_recovery", "participants"}
    >>> print(export_file_hint("empowerment.csv", qs).text("en"))
    empowerment.csv: this looks like a form's export saved under the platform's own name; rename it to q_empowerment.csv.
    >>> p = export_file_hint("empowerment_-_all_versions_-_False_-_2021-03-15-10-12-33.xlsx", qs)
    >>> p.fields["target"]
    'q_empowerment.xlsx'
    >>> export_file_hint("notes.csv", qs) is None
    True
    """
    path_name = str(name)
    lower = path_name.lower()
    suffix = ".xlsx" if lower.endswith(".xlsx") else ".csv"
    stem = re.sub(r"(\.csv)?(\.zip|\.xlsx|\.csv)$", "", path_name, flags=re.IGNORECASE)
    ids = sorted((t[2:] for t in tables if t.startswith("q_")), key=len, reverse=True)
    platformish = bool(_KOBO_NAME.search(stem) or _STAMP.search(stem) or re.search(r"[-_]latest[-_]", lower))
    found = None
    if stem in ids:
        found = stem
    elif platformish:
        found = next((i for i in ids if re.search(rf"(?<![A-Za-z0-9]){re.escape(i)}(?![A-Za-z0-9])", stem)),
                     None)
    if found is None and not platformish:
        return None
    if lower.endswith(".zip"):
        key = "export_unzip"
    else:
        key = "export_rename"
    if found:
        target = f"q_{found}{suffix}"
    else:
        target = " / ".join(f"q_{i}{suffix}" for i in sorted(ids)) or f"q_<id>{suffix}"
    return Problem(key, {"target": target}, file=path_name, severity="warning")
