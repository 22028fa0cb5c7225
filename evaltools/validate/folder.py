"""Validation of a whole data folder against the contract (docs/data.md, docs/instruments.md, docs/targets.md).

:func:`validate_folder` reads everything and collects *every* problem in one
round (project.yaml, instrument files, targets, tables and the checks across
tables); it never writes into the data folder. :mod:`evaltools.project`
turns a result without errors into the :class:`~evaltools.project.Project`
the analysis receives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evaltools.errors import Problem, quoted
from evaltools.instruments import Instrument, read_instrument
from evaltools.io import leaves_folder, read_folder
from evaltools.labels import DEFAULT_LANG, LANGS, t
from evaltools.schema import TABLES, questionnaire_table
from evaltools.validate.across import check_across_tables
from evaltools.validate.project_yaml import check_primary_outcomes, read_project_yaml
from evaltools.validate.tables import check_table, empty_typed
from evaltools.validate.targets import check_targets


@dataclass
class ValidationResult:
    """What validation found: every problem, the inputs' fingerprints and the typed tables.

    ``frames`` holds each typed table that could be read (see
    :mod:`evaltools.project` for the types), the core tables always when
    there are no errors (empty when the folder has none); ``instruments``
    each instrument as far as its file could be parsed.
    """

    data_dir: Path
    problems: list[Problem] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    tables: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (rows, where)
    config: dict = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    instruments: dict[str, Instrument] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # table -> template example rows left out

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]

    @property
    def language(self) -> str:
        lang = str(self.config.get("language") or DEFAULT_LANG).lower()
        return lang if lang in LANGS else DEFAULT_LANG


def fingerprint_files(data_dir: Path) -> list[dict]:
    """sha256 and size of every file below ``data_dir`` (read-only)."""
    out = []
    for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
        if leaves_folder(path, data_dir):
            continue  # a link out of the folder is never read (validate names it)
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        out.append({"file": path.relative_to(data_dir).as_posix(), "sha256": digest.hexdigest(),
                    "bytes": path.stat().st_size})
    return out


def validate_folder(data_dir: str | Path) -> ValidationResult:
    """Check a data folder; every problem of every file, in one round."""
    data_dir = Path(data_dir)
    result = ValidationResult(data_dir)
    if not data_dir.is_dir():
        result.problems.append(Problem("table_missing", {"table": str(data_dir)}))
        return result
    result.inputs = fingerprint_files(data_dir)
    config = read_project_yaml(data_dir, result.problems)
    result.config = config
    broken: set[str] = set()
    instruments = _read_instruments(config, data_dir, result.problems, broken)
    result.instruments = instruments
    check_primary_outcomes(config, {i: v for i, v in instruments.items() if i not in broken}, result.problems)

    wanted = set(TABLES) | {f"q_{i}" for i in instruments}
    readout = read_folder(data_dir, table_names=wanted)
    result.problems.extend(readout.problems)

    typed = result.frames
    ids: dict[str, dict] = {}  # table -> identifier column -> its distinct values (check_table)
    for name, table_def in [(n, TABLES[n]) for n in TABLES] + [
            (f"q_{i}", questionnaire_table(inst)) for i, inst in instruments.items()]:
        raw = readout.tables.get(name)
        if raw is None:
            if name.startswith("q_"):
                result.problems.append(Problem("questionnaire_missing", {"instrument": name[2:]}, table=name))
            elif table_def.required:
                result.problems.append(Problem("table_missing", {"table": name}, table=name))
            continue
        result.tables[name] = (len(raw.frame), raw.file + (f" [{raw.sheet}]" if raw.sheet else ""))
        result.skipped[name] = raw.skipped
        frame = check_table(raw, table_def, result.problems, instrument=instruments.get(name[2:]),
                            ids=ids.setdefault(name, {}))
        if frame is not None:
            typed[name] = frame
    for name, raw in readout.tables.items():
        if name.startswith("q_") and name not in wanted and name[2:] not in (config.get("instruments") or []):
            result.problems.append(Problem("questionnaire_unlisted", {"table": name}, file=raw.file,
                                           sheet=raw.sheet, severity="warning", table=name))

    check_across_tables(typed, readout.tables, instruments, config, result.problems, ids=ids)
    result.problems.extend(check_targets(config.get("targets")))
    if not result.errors:
        for name, table_def in TABLES.items():
            typed.setdefault(name, empty_typed(table_def))
    return result


def _read_instruments(config: dict, data_dir: Path, problems: list[Problem],
                      broken: set[str] | None = None) -> dict[str, Instrument]:
    """Each listed instrument as far as its file parses; its problems (file and key) go to ``problems``.

    The ids of instruments with an error are added to ``broken``.
    """
    out = {}
    for inst_id in config.get("instruments") or []:
        inst, found = read_instrument(inst_id, data_dir)
        problems.extend(found)
        if broken is not None and any(p.severity == "error" for p in found):
            broken.add(inst_id)
        if inst is not None:
            out[inst_id] = inst
    return out


# --------------------------------------------------------------------------- reporting

def format_problems(problems: list[Problem], lang: str | None = None, *, folder: str = "") -> str:
    """All errors (then warnings) as lines a staff member can act on."""
    lang = lang if lang in LANGS else DEFAULT_LANG
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    head = t("validate.summary_errors", lang, n=len(errors), folder=quoted(folder, lang, whole=False))
    lines = [head.replace("  ", " ")] if errors else []
    lines += [f"- {p.text(lang)}" for p in errors]
    if warnings:
        lines.append(t("validate.summary_warnings", lang, n=len(warnings)))
        lines += [f"- {p.text(lang)}" for p in warnings]
    return "\n".join(lines)


def summary(report: ValidationResult, lang: str | None = None) -> str:
    """What a valid folder holds, table by table, plus any warnings."""
    lang = lang or report.language
    lines = [t("validate.summary_ok", lang, folder=quoted(report.data_dir, lang, whole=False))]
    for name, (n, place) in sorted(report.tables.items()):
        lines.append(t("validate.summary_table", lang, table=name, n=n, place=quoted(place, lang, whole=False)))
        if report.skipped.get(name):
            lines.append(t("validate.summary_skipped", lang, n=report.skipped[name]))
    if report.warnings:
        lines.append(t("validate.summary_warnings", lang, n=len(report.warnings)))
        lines += [f"- {p.text(lang)}" for p in report.warnings]
    return "\n".join(lines)


