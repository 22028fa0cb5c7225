"""Validation of a data folder against the contract (docs/data.md, docs/instruments.md, docs/targets.md).

:func:`validate_folder` reads everything, collects *every* problem (it does
not stop at the first) and, when there are no errors, builds the
:class:`~evaltools.project.Project` the analysis receives. Nothing is ever
written into the data folder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster

from evaltools.errors import InstrumentError, Problem
from evaltools.instruments import Instrument, find_instrument
from evaltools.io import RawTable, parse_column, read_folder, text_series
from evaltools.labels import t
from evaltools.privacy import is_pesel, looks_personal
from evaltools.project import Project
from evaltools.schema import CODES, STAFF_ACTIVITIES, TABLES, Column, Table, pandera_schema, questionnaire_table

_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{11}(?!\d)")
PROJECT_KEYS = {"name", "period", "language", "instruments", "min_cell", "targets", "groups"}
#: At most this many problems of one kind are listed per column; the rest are counted.
MAX_PER_COLUMN = 20


@dataclass
class Report:
    """What validation found: every problem, the inputs' fingerprints, and the project when valid."""

    data_dir: Path
    problems: list[Problem] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (rows, where)
    config: dict = field(default_factory=dict)
    project: Project | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def language(self) -> str:
        lang = str(self.config.get("language") or "en").lower()
        return lang if lang in ("pl", "en") else "en"


def fingerprint_files(data_dir: Path) -> list[dict]:
    """sha256 and size of every file below ``data_dir`` (read-only)."""
    out = []
    for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        out.append({"file": path.relative_to(data_dir).as_posix(), "sha256": digest.hexdigest(),
                    "bytes": path.stat().st_size})
    return out


def validate_folder(data_dir: str | Path) -> Report:
    """Check a data folder; the returned report's ``project`` is set when there are no errors."""
    data_dir = Path(data_dir)
    report = Report(data_dir)
    if not data_dir.is_dir():
        report.problems.append(Problem("table_missing", {"table": str(data_dir)}))
        return report
    report.inputs = fingerprint_files(data_dir)
    config = _check_project_yaml(data_dir, report.problems)
    report.config = config
    instruments = _load_instruments(config, data_dir, report.problems)

    wanted = set(TABLES) | {f"q_{i}" for i in instruments}
    readout = read_folder(data_dir, table_names=wanted)
    report.problems.extend(readout.problems)

    typed: dict[str, pd.DataFrame] = {}
    for name, table_def in [(n, TABLES[n]) for n in TABLES] + [
            (f"q_{i}", questionnaire_table(inst)) for i, inst in instruments.items()]:
        raw = readout.tables.get(name)
        if raw is None:
            if name.startswith("q_"):
                report.problems.append(Problem("questionnaire_missing", {"instrument": name[2:]}, table=name))
            elif table_def.required:
                report.problems.append(Problem("table_missing", {"table": name}, table=name))
            continue
        report.tables[name] = (len(raw.frame), raw.file + (f" [{raw.sheet}]" if raw.sheet else ""))
        frame = _check_table(raw, table_def, report.problems, instrument=instruments.get(name[2:]))
        if frame is not None:
            typed[name] = frame
    for name, raw in readout.tables.items():
        if name.startswith("q_") and name not in wanted and name[2:] not in (config.get("instruments") or []):
            report.problems.append(Problem("questionnaire_unlisted", {"table": name}, file=raw.file,
                                           sheet=raw.sheet, severity="warning", table=name))

    _check_cross_tables(typed, readout.tables, instruments, config, report.problems)
    _check_targets(config, report.problems)

    if not report.errors:
        empty = {n: _empty_typed(TABLES[n]) for n in TABLES}
        report.project = Project(
            data_dir=data_dir,
            config=config,
            participants=typed.get("participants", empty["participants"]),
            sessions=typed.get("sessions", empty["sessions"]),
            attendance=typed.get("attendance", empty["attendance"]),
            ties=typed.get("ties", empty["ties"]),
            questionnaires={i: typed[f"q_{i}"] for i in instruments if f"q_{i}" in typed},
            instruments=instruments,
            inputs=report.inputs,
            problems=report.warnings,
        )
    return report


# --------------------------------------------------------------------------- project.yaml

def _check_project_yaml(data_dir: Path, problems: list[Problem]) -> dict:
    path = data_dir / "project.yaml"
    if not path.is_file():
        problems.append(Problem("project_missing", {}, file="project.yaml"))
        return {}
    try:
        config = yaml.load(path.read_text(encoding="utf-8-sig"), Loader=_SafeLoader) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        problems.append(Problem("project_broken", {"detail": str(e).replace("\n", " ")}, file="project.yaml"))
        return {}
    if not isinstance(config, dict):
        problems.append(Problem("project_broken", {"detail": "expected a mapping of keys"}, file="project.yaml"))
        return {}

    def bad(key, value, expected):
        problems.append(Problem("project_bad_value", {"key": key, "value": repr(value), "expected": expected},
                                file="project.yaml"))

    for key in config:
        if key not in PROJECT_KEYS:
            problems.append(Problem("project_key_unknown", {"key": key, "allowed": ", ".join(sorted(PROJECT_KEYS))},
                                    file="project.yaml"))
    for key in ("name", "period"):
        if key not in config:
            problems.append(Problem("project_key_missing", {"key": key}, file="project.yaml"))
    period = config.get("period")
    if period is not None:
        if not isinstance(period, dict) or not {"start", "end"} <= set(period):
            bad("period", period, "{start: 2021-01-01, end: 2021-12-31}")
        else:
            start, end = (pd.to_datetime(str(period[k]), errors="coerce") for k in ("start", "end"))
            if pd.isna(start) or pd.isna(end):
                bad("period", period, "ISO dates such as 2021-01-01")
            elif start > end:
                bad("period", period, "start before end")
            else:
                config["period"] = {"start": start.date().isoformat(), "end": end.date().isoformat()}
    lang = config.get("language", "en")
    if str(lang).lower() not in ("pl", "en"):
        bad("language", lang, "pl or en")
    else:
        config["language"] = str(lang).lower()
    min_cell = config.get("min_cell", 5)
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        bad("min_cell", min_cell, "a whole number ≥ 1")
    insts = config.get("instruments", [])
    if not isinstance(insts, list) or not all(isinstance(i, str) for i in insts):
        bad("instruments", insts, "a list of instrument ids")
        config["instruments"] = []
    groups = config.get("groups")
    if groups is not None and not isinstance(groups, dict):
        bad("groups", groups, "a mapping of group value -> {pl: ..., en: ...}")
    targets = config.get("targets")
    if targets is not None and not isinstance(targets, list):
        bad("targets", targets, "a list of targets")
        config["targets"] = []
    return config


def _load_instruments(config: dict, data_dir: Path, problems: list[Problem]) -> dict[str, Instrument]:
    out = {}
    for inst_id in config.get("instruments") or []:
        try:
            out[inst_id] = find_instrument(inst_id, data_dir)
        except InstrumentError as e:
            problems.append(Problem("instrument_error", {"detail": str(e)}, file="project.yaml"))
    return out


def _check_targets(config: dict, problems: list[Problem]) -> None:
    targets = config.get("targets") or []
    try:
        from evaltools.indicators import check_targets, is_warning
    except ImportError:  # pragma: no cover - indicators is part of the package
        return
    for message in check_targets(targets):
        problems.append(Problem("target_invalid", {"target": message.split(":", 1)[0],
                                                   "detail": message.split(":", 1)[-1].strip()},
                                file="project.yaml", severity="warning" if is_warning(message) else "error"))


# --------------------------------------------------------------------------- one table

def _at(raw: RawTable, row=None, column=None, severity="error"):
    return dict(file=raw.file, sheet=raw.sheet, row=None if row is None else int(row), column=column,
                severity=severity, table=raw.name)


def _capped(problems, raw, key, rows, values, column, fields=None):
    """Add one problem per row (at most MAX_PER_COLUMN), then a count of the rest."""
    rows, values = list(rows), list(values)
    for row, value in zip(rows[:MAX_PER_COLUMN], values[:MAX_PER_COLUMN]):
        f = {"value": value}
        f.update(fields or {})
        problems.append(Problem(key, f, **_at(raw, row, column)))
    if len(rows) > MAX_PER_COLUMN:
        problems.append(Problem("too_many_problems", {"n": len(rows) - MAX_PER_COLUMN},
                                **_at(raw, None, column)))


def _check_table(raw: RawTable, table: Table, problems: list[Problem], *, instrument=None) -> pd.DataFrame | None:
    frame = raw.frame
    header = [c for c in frame.columns if c != "_row"]
    known = set(table.column_names)
    usable = True
    seen = set()
    for col in header:
        if col in seen:
            problems.append(Problem("column_twice", {"column": col}, **_at(raw, 1, col)))
            usable = False
        seen.add(col)
        if not col:
            continue
        if col not in known and looks_personal(col):
            problems.append(Problem("column_personal", {"column": col}, **_at(raw, 1, col)))
        elif col not in known:
            if instrument is not None:
                problems.append(Problem("column_unknown_item",
                                        {"column": col, "instrument": instrument.id,
                                         "expected": ", ".join(instrument.item_ids)}, **_at(raw, 1, col)))
            else:
                problems.append(Problem("column_unknown", {"column": col}, **_at(raw, 1, col, severity="warning")))
    for col in table.columns:
        if col.name not in header and (col.required or (instrument is not None and col.name in instrument.item_ids)):
            key = "item_missing" if instrument is not None and col.name in instrument.item_ids else "column_missing"
            problems.append(Problem(key, {"column": col.name, "instrument": getattr(instrument, "id", "")},
                                    **_at(raw, 1, col.name)))
            usable = usable and key == "item_missing"  # a missing item leaves the rest checkable
    texts = {col: text_series(frame[col]) for col in header if col}
    if texts:  # rows of nothing but spaces are blank rows too
        blank = np.ones(len(frame), dtype=bool)
        for text in texts.values():  # a row stays a candidate while every cell so far is empty
            rows = np.flatnonzero(blank)
            if not len(rows):
                break
            blank[rows] = text.iloc[rows].isna().to_numpy()
        blank = pd.Series(blank, index=frame.index)
        if blank.any():
            frame = frame[~blank]
            texts = {col: text[~blank] for col, text in texts.items()}
    _check_pesel(raw, texts, problems)
    if not usable:
        return None
    if len(frame) == 0:
        problems.append(Problem("empty_table", {"table": raw.name}, **_at(raw, severity="warning")))

    typed = pd.DataFrame(index=frame.index)
    unreadable_cells: dict[str, pd.Series] = {}
    for col in table.columns:
        if col.name not in frame.columns:
            typed[col.name] = _empty_column(col, len(frame), frame.index)
            continue
        values, bad = parse_column(frame[col.name], kind=col.kind, codes=col.codes, text=texts[col.name])
        if bad.any():
            shown = texts[col.name][bad]
            key = {"code": "not_a_code", "codes": "not_a_code", "int": "not_an_integer", "number": "not_a_number",
                   "date": "not_a_date"}[col.kind]
            if instrument is not None and col.kind == "number":
                key = "not_a_number"
            fields = {"expected": ", ".join(col.allowed())} if col.codes else {}
            _capped(problems, raw, key, frame["_row"][bad], shown, col.name, fields)
            unreadable_cells[col.name] = bad
        typed[col.name] = values
    typed["_row"] = frame["_row"].to_numpy()

    _check_schema(raw, table, typed, problems, instrument, unreadable_cells)
    _check_keys(raw, table, typed, problems)
    return typed.reset_index(drop=True)


def _check_pesel(raw: RawTable, texts: dict[str, pd.Series], problems: list[Problem]) -> None:
    """Any valid PESEL in any cell is an error; the value itself is never repeated."""
    for col, text in texts.items():
        cells = text.to_numpy(dtype=object, na_value="")
        if max(map(len, cells), default=0) < 11:  # most columns (codes, ids, dates) are shorter: skip the regex
            continue
        if not any(_ELEVEN_DIGITS.search(v) for v in pd.unique(cells)):  # codes repeat: search each value once
            continue
        candidates = text.str.contains(_ELEVEN_DIGITS, regex=True, na=False)
        if not candidates.any():
            continue
        hits = text[candidates].map(lambda v: any(is_pesel(m) for m in _ELEVEN_DIGITS.findall(v)))
        rows = raw.frame["_row"][candidates][hits.to_numpy(dtype=bool)]
        for row in rows[:MAX_PER_COLUMN]:
            problems.append(Problem("pesel", {}, **_at(raw, row, col)))


def _check_schema(raw: RawTable, table: Table, typed: pd.DataFrame, problems: list[Problem], instrument,
                  unreadable_cells: dict[str, pd.Series]) -> None:
    """Required cells and ranges, checked by the pandera schema generated from :mod:`evaltools.schema`."""
    import pandera.errors

    value_cols = [c for c in table.columns if not (instrument is not None and c.name in instrument.item_ids)]
    sub = Table(table.name, table.required, tuple(value_cols), table.key)
    try:
        pandera_schema(sub).validate(typed, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for (column, check), group in cases.groupby(["column", "check"], sort=False, dropna=False):
            idx = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int)
            idx = idx[idx.isin(typed.index)]
            if column in unreadable_cells:  # already reported as unreadable, not as empty
                idx = idx[~unreadable_cells[column].reindex(idx).fillna(False).to_numpy(dtype=bool)]
            if not len(idx):
                continue
            rows = typed.loc[idx, "_row"]
            col = sub.column(column)
            if str(check).startswith("not_nullable"):
                for row in rows[:MAX_PER_COLUMN]:
                    problems.append(Problem("empty_required", {}, **_at(raw, row, column)))
                if len(rows) > MAX_PER_COLUMN:
                    problems.append(Problem("too_many_problems", {"n": len(rows) - MAX_PER_COLUMN},
                                            **_at(raw, None, column)))
            elif col is not None and col.kind in ("int", "number"):
                _capped(problems, raw, "out_of_range", rows, typed.loc[idx, column].map(lambda v: f"{v:g}"),
                        column, {"lo": f"{col.min:g}", "hi": f"{col.max:g}"})
    if instrument is not None:
        allowed_missing = np.asarray(instrument.missing_codes, dtype=float)
        lo, hi = instrument.response_min, instrument.response_max
        for item in instrument.item_ids:
            if item not in typed.columns:
                continue
            values = typed[item]
            outside = values.notna() & ((values < lo) | (values > hi)) & ~values.isin(allowed_missing)
            if outside.any():
                _capped(problems, raw, "answer_out_of_scale", typed["_row"][outside],
                        values[outside].map(lambda v: f"{v:g}"), item,
                        {"lo": f"{lo:g}", "hi": f"{hi:g}",
                         "missing": ", ".join(f"{m:g}" for m in instrument.missing_codes) or "–"})


def _check_keys(raw: RawTable, table: Table, typed: pd.DataFrame, problems: list[Problem]) -> None:
    keys = list(table.key)
    complete = typed[typed[keys].notna().all(axis=1)]
    dup = complete.duplicated(keys, keep="first")
    if not dup.any():
        return
    first = complete.groupby(keys, sort=False)["_row"].transform("min")
    later = complete[dup]
    for i, (idx, r) in enumerate(later.iterrows()):
        if i == MAX_PER_COLUMN:
            problems.append(Problem("too_many_problems", {"n": len(later) - MAX_PER_COLUMN},
                                    **_at(raw, None, keys[-1])))
            break
        problems.append(Problem("duplicate_key", {"key": " + ".join(keys),
                                                  "value": " / ".join(str(r[k]) for k in keys),
                                                  "first": int(first[idx])}, **_at(raw, r["_row"], keys[-1])))


def _empty_column(col: Column, n: int, index) -> pd.Series:
    if col.kind in ("int", "number"):
        return pd.Series(np.nan, index=index, dtype="float64")
    if col.kind == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    return pd.Series([None] * n, index=index, dtype="str")


def _empty_typed(table: Table) -> pd.DataFrame:
    out = pd.DataFrame({c.name: _empty_column(c, 0, pd.RangeIndex(0)) for c in table.columns})
    out["_row"] = pd.Series([], dtype="int64")
    return out


# --------------------------------------------------------------------------- across tables

def _check_cross_tables(typed, raws, instruments, config, problems) -> None:
    people = typed.get("participants")
    sessions = typed.get("sessions")
    ids = set(people["participant_id"].dropna()) if people is not None else None
    period = config.get("period") if isinstance(config.get("period"), dict) else None
    start = pd.Timestamp(period["start"]) if period and "start" in period else None
    end = pd.Timestamp(period["end"]) if period and "end" in period else None

    def unknown(name, column, known, key="unknown_participant"):
        df = typed.get(name)
        if df is None or known is None or column not in df:
            return
        bad = df[column].notna() & ~df[column].isin(known)
        if bad.any():
            _capped(problems, raws[name], key, df["_row"][bad], df[column][bad], column)

    unknown("attendance", "participant_id", ids)
    unknown("attendance", "session_id", set(sessions["session_id"].dropna()) if sessions is not None else None,
            "unknown_session")
    unknown("ties", "participant_id", ids)
    unknown("ties", "alter_participant_id", ids)
    for inst_id in instruments:
        unknown(f"q_{inst_id}", "participant_id", ids)

    ties = typed.get("ties")
    if ties is not None:
        own = ties["alter_participant_id"].notna() & (ties["alter_participant_id"] == ties["participant_id"])
        if own.any():
            _capped(problems, raws["ties"], "self_tie", ties["_row"][own], ties["alter_participant_id"][own],
                    "alter_participant_id")

    if start is not None and end is not None:
        def outside(name, column, severity="error"):
            df = typed.get(name)
            if df is None or column not in df:
                return
            bad = df[column].notna() & ((df[column] < start) | (df[column] > end))
            if bad.any():
                rows, values = df["_row"][bad], df[column][bad].dt.strftime("%Y-%m-%d")
                for row, value in list(zip(rows, values))[:MAX_PER_COLUMN]:
                    problems.append(Problem("date_outside_period",
                                            {"value": value, "start": start.date(), "end": end.date()},
                                            **_at(raws[name], row, column, severity)))
        outside("sessions", "date")
        for inst_id in instruments:
            outside(f"q_{inst_id}", "date")
        outside("participants", "enrolled_on", "warning")
        outside("participants", "exited_on", "warning")

    if people is not None:
        bad = people["exited_on"].notna() & people["enrolled_on"].notna() & (people["exited_on"] < people["enrolled_on"])
        for _, r in people[bad].head(MAX_PER_COLUMN).iterrows():
            problems.append(Problem("exit_before_enrolment",
                                    {"value": r["exited_on"].date(), "enrolled": r["enrolled_on"].date()},
                                    **_at(raws["participants"], r["_row"], "exited_on")))

    attendance = typed.get("attendance")
    if attendance is not None and sessions is not None:
        staff = set(sessions.loc[sessions["activity"].isin(STAFF_ACTIVITIES), "session_id"])
        bad = attendance["session_id"].isin(staff)
        if bad.any():
            rows = attendance["_row"][bad]
            for row, value in list(zip(rows, attendance["session_id"][bad]))[:MAX_PER_COLUMN]:
                problems.append(Problem("staff_attendance", {"value": value},
                                        **_at(raws["attendance"], row, "session_id", "warning")))


# --------------------------------------------------------------------------- reporting

def format_problems(problems: list[Problem], lang: str | None = None, *, folder: str = "") -> str:
    """All errors (then warnings) as lines a staff member can act on."""
    lang = lang if lang in ("pl", "en") else "en"
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    lines = [t("validate.summary_errors", lang, n=len(errors), folder=folder).replace("  ", " ")] if errors else []
    lines += [f"- {p.text(lang)}" for p in errors]
    if warnings:
        lines.append(t("validate.summary_warnings", lang, n=len(warnings)))
        lines += [f"- {p.text(lang)}" for p in warnings]
    return "\n".join(lines)


def summary(report: Report, lang: str | None = None) -> str:
    """What a valid folder holds, table by table, plus any warnings."""
    lang = lang or report.language
    lines = [t("validate.summary_ok", lang, folder=report.data_dir)]
    for name, (n, place) in sorted(report.tables.items()):
        lines.append(t("validate.summary_table", lang, table=name, n=n, place=place))
    if report.warnings:
        lines.append(t("validate.summary_warnings", lang, n=len(report.warnings)))
        lines += [f"- {p.text(lang)}" for p in report.warnings]
    return "\n".join(lines)


def data_quality(project: Project) -> pd.DataFrame:
    """``data_quality.csv``: table, check, n_rows_affected, severity.

    Warnings that validation let through, counted by table and check, plus
    the completeness checks an evaluator looks at first (missing item
    answers, baseline without endline, participants who never attended).
    """
    rows = []
    seen: dict[tuple, int] = {}
    for p in project.problems:
        key = (p.table or p.file or "", p.key, p.severity)
        seen[key] = seen.get(key, 0) + 1
    rows += [{"table": k[0], "check": k[1], "n_rows_affected": n, "severity": k[2]} for k, n in seen.items()]
    for inst_id, q in project.questionnaires.items():
        inst = project.instruments[inst_id]
        items = q[list(inst.item_ids)]
        missing = items.isna() | items.isin(list(inst.missing_codes))
        rows.append({"table": f"q_{inst_id}", "check": "missing_items",
                     "n_rows_affected": int(missing.any(axis=1).sum()), "severity": "info"})
        base = set(q.loc[q["wave"] == "baseline", "participant_id"])
        endl = set(q.loc[q["wave"] == "endline", "participant_id"])
        rows.append({"table": f"q_{inst_id}", "check": "no_endline", "n_rows_affected": len(base - endl),
                     "severity": "info"})
    attended = set(project.attendance["participant_id"])
    rows.append({"table": "participants", "check": "never_attended",
                 "n_rows_affected": int((~project.participants["participant_id"].isin(attended)).sum()),
                 "severity": "info"})
    return pd.DataFrame(rows, columns=["table", "check", "n_rows_affected", "severity"])
