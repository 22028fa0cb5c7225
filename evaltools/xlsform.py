"""Questionnaires on tablets: one XLSForm per instrument (``evaltools xlsform``, docs/index.md).

Each form has the three sheets of the XLSForm standard (``survey``,
``choices``, ``settings``) with labels and hints in Polish and English
(``label::polski (pl)``, ``label::English (en)``): the platform's metadata
(start, end, today, deviceid), ``participant_id`` (text, constrained to the
shape of the project's participant ids), ``wave`` (select_one), ``date``, and
in the group ``items`` one ``select_one`` per item offering the instrument's
response labels and a "no answer" choice coded as its missing code. The
choice names are the codes the ``q_<id>`` table holds, so an export with
"XML values and headers" reads back as that table
(:mod:`evaltools.exports`). Every form written is converted with pyxform,
the XLSForm reference implementation, and must convert without errors or
warnings.

Examples
--------
>>> from evaltools.instruments import LIBRARY, load_instrument
>>> sheets = form_sheets(load_instrument(LIBRARY / "empowerment.yaml"), project="Demo")
>>> [r["name"] for r in sheets["survey"]][4:8]
['participant_id', 'wave', 'date', 'items']
>>> [(c["name"], c["label::English (en)"]) for c in sheets["choices"] if c["list_name"] == "answer"][-2:]
[('5', 'strongly agree'), ('9', 'no answer')]
>>> convert_errors(sheets)
[]
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import yaml

from evaltools.errors import EvaltoolsError, UsageError
from evaltools.exports import ITEMS_GROUP
from evaltools.instruments import Instrument
from evaltools.labels import LANGS, check_lang, code_label, t
from evaltools.schema import CODES

#: An id of any shape (used when the project has no participants yet).
ANY_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
SHEETS = ("survey", "choices", "settings")


def id_pattern(ids) -> tuple[str, str]:
    """A regular expression for the shape of the project's participant ids, and an example.

    Letters that every id shares are kept, digits become ``[0-9]{n,}`` with
    ``n`` the fewest digits seen (so P1000 still passes after P999); ids of
    mixed shapes fall back to :data:`ANY_ID`. The example is made from the
    pattern, never taken from the data.

    >>> id_pattern(["P001", "P002", "P075"])
    ('^P[0-9]{3,}$', 'P001')
    >>> id_pattern(["R-01", "R-12"])
    ('^R\\\\-[0-9]{2,}$', 'R-01')
    >>> id_pattern(["P001", "Y01"])[1], id_pattern([])[0] == ANY_ID
    ('A01', True)
    """
    tokenised = [re.findall(r"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]+", str(i).strip()) for i in ids if str(i).strip()]
    if not tokenised:
        return ANY_ID, "P001"
    kinds = {tuple(_kind(tok) for tok in toks) for toks in tokenised}
    if len(kinds) != 1:
        return ANY_ID, "P001"
    regex, example = "^", ""
    for pos, kind in enumerate(next(iter(kinds))):
        tokens = {toks[pos] for toks in tokenised}
        if kind == "digits":
            width = min(len(tok) for tok in tokens)
            regex += f"[0-9]{{{width},}}"
            example += "0" * (width - 1) + "1"
        elif len(tokens) == 1:
            regex += re.escape(tokens.pop()) if kind == "other" else tokens.pop()
            example += next(iter({toks[pos] for toks in tokenised}))
        elif kind == "letters":
            regex += "[A-Za-z]+"
            example += "A"
        else:
            return ANY_ID, "P001"
    return regex + "$", example


def _kind(token: str) -> str:
    return "digits" if token.isdigit() else "letters" if token.isalpha() and token.isascii() else "other"


def _choice_name(x) -> str:
    """A number as an XLSForm choice name: 3, not 3.0; 0.5 as typed."""
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


def language_name(lang: str) -> str:
    """A language as XLSForm columns name it (``label::polski (pl)``): its name, then its code.

    >>> language_name("pl"), language_name("en")
    ('polski (pl)', 'English (en)')
    """
    return t("xlsform.language", lang)


def _both(key: str, column: str, **fields) -> dict:
    """``{column::polski (pl): ..., column::English (en): ...}`` from one catalogue entry."""
    return {f"{column}::{language_name(lang)}": t(key, lang, **fields) for lang in LANGS}


def form_sheets(instrument: Instrument, *, project: str, id_regex: str = ANY_ID, id_example: str = "P001",
                lang: str = "pl") -> dict[str, list[dict]]:
    """The rows of the ``survey``, ``choices`` and ``settings`` sheets of one instrument's form.

    Parameters
    ----------
    instrument
        The instrument (built-in or custom).
    project
        The project's name, shown in the form's title.
    id_regex, id_example
        The shape of a participant id (:func:`id_pattern`) and an example of it.
    lang
        The form's default language (the other is one tap away on the tablet).

    Returns
    -------
    dict
        Sheet name -> list of rows (column -> cell).
    """
    lang = check_lang(lang)
    survey = [{"type": kind, "name": kind} for kind in ("start", "end", "today", "deviceid")]
    survey.append({"type": "text", "name": "participant_id", "required": "yes",
                   "constraint": f"regex(., '{id_regex}')",
                   **_both("schema.questionnaire.participant_id.label", "label"),
                   **_both("xlsform.participant_id.hint", "hint", example=id_example),
                   **_both("xlsform.participant_id.constraint", "constraint_message", example=id_example)})
    survey.append({"type": "select_one wave", "name": "wave", "required": "yes",
                   **_both("schema.questionnaire.wave.label", "label"), **_both("xlsform.wave.hint", "hint")})
    survey.append({"type": "date", "name": "date", "required": "yes",
                   **_both("schema.questionnaire.date.label", "label"), **_both("xlsform.date.hint", "hint")})
    survey.append({"type": "begin_group", "name": ITEMS_GROUP,
                   **{f"label::{language_name(lg)}": instrument.title_in(lg) for lg in LANGS}})
    missing = instrument.missing_codes[0] if instrument.missing_codes else None
    hint = "xlsform.items.hint_missing" if missing is not None else "xlsform.items.hint"
    for n, item in enumerate(instrument.items, start=1):
        labels = {}
        for lg in LANGS:
            text = str((item.text or {}).get(lg) or "").strip()
            labels[f"label::{language_name(lg)}"] = text or t("xlsform.items.no_text", lg, n=n, item=item.id)
        survey.append({"type": "select_one answer", "name": item.id,
                       "required": "yes" if missing is not None else "", **labels, **_both(hint, "hint")})
    survey.append({"type": "end_group", "name": ITEMS_GROUP})

    choices = [{"list_name": "wave", "name": code,
                **{f"label::{language_name(lg)}": code_label("wave", code, lg) for lg in LANGS}}
               for code in CODES["wave"]]
    lo, hi = instrument.response_min, instrument.response_max
    values = [lo + k for k in range(int(round(hi - lo)) + 1)]
    for k, value in enumerate(values):
        row = {"list_name": "answer", "name": _choice_name(value)}
        for lg in LANGS:
            given = (instrument.response_labels or {}).get(lg) or []
            label = given[k] if k < len(given) and len(given) == len(values) else ""
            row[f"label::{language_name(lg)}"] = label or _choice_name(value)
        choices.append(row)
    if missing is not None:
        choices.append({"list_name": "answer", "name": _choice_name(missing), **_both("xlsform.no_answer", "label")})

    content = json.dumps([survey, choices], sort_keys=True, ensure_ascii=False).encode("utf-8")
    settings = [{
        "form_title": t("xlsform.title", lang, title=instrument.title_in(lang), project=project)
        + f" ({instrument.id})",
        "form_id": instrument.id,
        # a digest of the form: a changed instrument or project gives a new version, which ODK Central requires
        "version": hashlib.sha256(content + project.encode("utf-8")).hexdigest()[:10],
        "default_language": language_name(lang),
        "instance_name": "concat(${participant_id}, ' ', ${wave})",
    }]
    return {"survey": survey, "choices": choices, "settings": settings}


def _columns(rows: list[dict]) -> list[str]:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    return columns


def convert_errors(sheets: dict[str, list[dict]] | str | Path) -> list[str]:
    """pyxform's errors and warnings for a form (sheets as :func:`form_sheets` gives, or an xlsx path).

    An empty list means the form converts to an XForm cleanly. ODK Validate
    (Java) is not run.
    """
    from pyxform.errors import PyXFormError
    from pyxform.xls2xform import convert

    source = sheets if isinstance(sheets, (str, Path)) else _pyxform_dict(sheets)
    warnings: list[str] = []
    try:
        convert(xlsform=str(source) if isinstance(source, Path) else source, warnings=warnings, validate=False)
    except PyXFormError as e:
        return [str(e)]
    return warnings


def _pyxform_dict(sheets: dict[str, list[dict]]) -> dict:
    """The workbook dict pyxform reads: ``{sheet: [row dicts]}``, blank cells left out, plus headers."""
    out = {}
    for name, rows in sheets.items():
        out[name] = [{k: v for k, v in row.items() if v != ""} for row in rows]
        out[f"{name}_header"] = [dict.fromkeys(_columns(rows), None)]
    return out


def write_form(sheets: dict[str, list[dict]], path: str | Path) -> Path:
    """Write one form's sheets to ``path`` (xlsx, a header row per sheet)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name in SHEETS:
        rows = sheets[name]
        columns = _columns(rows)
        ws = wb.create_sheet(name)
        ws.append(columns)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([row.get(c, "") or None for c in columns])
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a label, never a formula
        for i, col in enumerate(columns, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = 40 if "::" in col else 18
    path = Path(path)
    wb.save(path)
    return path


def _project(data_dir: Path) -> dict:
    path = data_dir / "project.yaml"
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot be read: {e}") from None
    return config if isinstance(config, dict) else {}


def participant_ids(data_dir: str | Path) -> list[str]:
    """The participant ids of a data folder as typed (empty when there is no participants table)."""
    from evaltools.io import read_folder, text_series

    readout = read_folder(data_dir, table_names={"participants"})
    raw = readout.tables.get("participants")
    if raw is None or "participant_id" not in raw.frame.columns:
        return []
    return text_series(raw.frame["participant_id"]).dropna().tolist()


def write_xlsforms(out: str | Path, *, data_dir: str | Path, lang: str | None = None) -> list[Path]:
    """Write ``OUT/form_<id>.xlsx`` for every instrument of the project (``evaltools xlsform``).

    Parameters
    ----------
    out
        Folder to write into (created when missing); never inside the data folder.
    data_dir
        The project's data folder: its ``project.yaml`` lists the instruments
        (custom ones in ``instruments/`` included) and its participants give
        the shape of an id.
    lang
        The forms' default language (default: project.yaml's ``language``, else Polish).

    Returns
    -------
    list of Path
        The forms written, each checked with pyxform.

    Raises
    ------
    EvaltoolsError
        When pyxform finds an error or a warning in a form (a bug of ours).
    """
    from evaltools.templates import project_instruments

    data_dir, out = Path(data_dir), Path(out)
    if not (data_dir / "project.yaml").is_file():
        raise UsageError(f"{data_dir}: no project.yaml")
    if out.resolve().is_relative_to(data_dir.resolve()):
        raise UsageError(f"{out}: the forms may not be written into the data folder {data_dir}")
    config = _project(data_dir)
    own = str(config.get("language") or "").strip().lower()
    lang = check_lang(lang or (own if own in LANGS else "pl"))
    project = str(config.get("name") or data_dir.name)
    id_regex, id_example = id_pattern(participant_ids(data_dir))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for instrument in project_instruments(data_dir):
        sheets = form_sheets(instrument, project=project, id_regex=id_regex, id_example=id_example, lang=lang)
        path = write_form(sheets, out / f"form_{instrument.id}.xlsx")
        problems = convert_errors(path)
        if problems:
            raise EvaltoolsError(t("xlsform.pyxform_failed", lang, file=path.name, detail="; ".join(problems)))
        written.append(path)
    return written
