"""The words of the template workbook: the instructions sheet, the codebook's rows, each header's comment.

Text only, from :mod:`evaltools.schema`, the instrument and the label
catalogue; :mod:`evaltools.templates` writes it into the workbook.

Examples
--------
>>> from evaltools.schema import TABLES
>>> col = TABLES["participants"].columns[0]
>>> codebook_texts(TABLES["participants"], col, None, "en")[-2:]
['yes', '']
>>> shortest_number(3.0, "pl"), shortest_number(0.5, "pl")
('3', '0,5')
"""

from __future__ import annotations

import numpy as np

from evaltools.instruments import Instrument
from evaltools.labels import code_label, get_locale, t
from evaltools.schema import QUESTIONNAIRE_COLUMNS, Column, Table

#: The codebook sheet's columns (their headers are ``templates.codebook.<key>``) and widths.
CODEBOOK_KEYS = ("table", "column", "label_pl", "label_en", "help_pl", "help_en", "type", "required", "allowed")
CODEBOOK_WIDTHS = (14, 22, 30, 30, 45, 45, 24, 10, 60)

_KEY_COLUMNS = {c.name for c in QUESTIONNAIRE_COLUMNS}


def instruction_paragraphs(sheets: list[tuple[Table, Instrument | None]], lang: str) -> list[tuple[str, str]]:
    """The instructions sheet, one row a paragraph: (text, ``title`` | ``heading`` | ``para``); "" is an empty row.

    ``sheets`` are the workbook's data sheets: (table, None) for a table of
    the contract, (questionnaire table, instrument) for a questionnaire.
    """
    rows: list[tuple[str, str]] = [(t("templates.title", lang), "title"), ("", "para")]

    def section(key, paragraphs):
        rows.append((t(f"templates.heading.{key}", lang), "heading"))
        rows.extend((p, "para") for p in paragraphs)
        rows.append(("", "para"))

    section("general", [t(f"templates.para.{k}", lang)
                        for k in ("intro", "header", "example", "required", "codes", "saving")])
    section("privacy", [t("templates.para.privacy", lang), t("templates.para.key_list", lang)])
    section("dates", [t("templates.para.dates", lang), t("templates.para.numbers", lang)])
    tables = []
    for table, inst in sheets:
        if inst is None:
            text = t("templates.para.table", lang, sheet=table.name, label=table.label(lang),
                     help=table.help(lang), required=", ".join(table.required_columns))
            if not table.required:
                text += " " + t("templates.para.optional_table", lang)
        else:
            text = t("templates.para.questionnaire", lang, sheet=table.name, title=inst.title_in(lang),
                     help=table.help(lang), lo=shortest_number(inst.response_min, lang),
                     hi=shortest_number(inst.response_max, lang),
                     missing=missing_codes_text(inst, lang, "templates.para.missing"))
        tables.append(text)
    if not any(inst is not None for _, inst in sheets):
        tables.append(t("templates.para.no_questionnaires", lang))
    section("tables", tables)
    return rows


def codebook_texts(table: Table, col: Column, inst: Instrument | None, lang: str) -> list[str]:
    """A column's codebook row after table and column: labels, helps (pl, en), type, required, allowed values."""
    kind = t(f"templates.kind.{col.kind}", lang)
    required = code_label("yesno", "yes" if col.required else "no", lang)
    if is_item_column(col, inst):
        item = next(it for it in inst.items if it.id == col.name)
        title = {lg: inst.title.get(lg) or inst.title_in(lg) for lg in ("pl", "en")}
        allowed = f"{shortest_number(col.min, lang)}–{shortest_number(col.max, lang)}"
        if inst.missing_codes:
            allowed += "; " + t("templates.codebook.missing", lang,
                                codes=", ".join(shortest_number(m, lang) for m in inst.missing_codes))
        labels = inst.response_labels.get(lang) or []
        if len(labels) == int(col.max - col.min + 1):
            allowed += "\n" + "\n".join(f"{shortest_number(col.min + i, lang)} = {lab}"
                                         for i, lab in enumerate(labels))
        texts = [item.text.get(lg) or t("templates.comment.no_text", lg) for lg in ("pl", "en")]
        return [*texts, title["pl"], title["en"], kind, required, allowed]
    owner = "questionnaire" if inst is not None else table.name
    if col.codes:
        allowed = "\n".join(f"{code} = {code_label(col.codes, code, 'pl')} / {code_label(col.codes, code, 'en')}"
                            for code in col.allowed())
    elif col.min is not None or col.max is not None:
        allowed = f"{shortest_number(col.min, lang)}–{shortest_number(col.max, lang)}"
    else:
        allowed = ""
    return [col.label("pl", owner), col.label("en", owner), col.help("pl", owner), col.help("en", owner),
            kind, required, allowed]


def column_comment(table: Table, col: Column, inst: Instrument | None, lang: str) -> str:
    """The comment on a column's header: an item's text and answers, or the column's label, help and codes."""
    if is_item_column(col, inst):
        item = next(it for it in inst.items if it.id == col.name)
        text = item.text.get(lang) or t("templates.comment.no_text", lang)
        lines = [f"{col.name}: {text}",
                 t("templates.comment.answer", lang, lo=shortest_number(col.min, lang),
                   hi=shortest_number(col.max, lang),
                   missing=missing_codes_text(inst, lang, "templates.para.missing"))]
        labels = inst.response_labels.get(lang) or []
        if len(labels) == int(col.max - col.min + 1):
            lines += [f"{shortest_number(col.min + i, lang)} = {lab}" for i, lab in enumerate(labels)]
        return "\n".join(lines)
    owner = "questionnaire" if inst is not None else table.name
    lines = [col.label(lang, owner), col.help(lang, owner)]
    if col.required:
        lines.append(t("templates.comment.required", lang))
    if col.codes:
        lines.append(t("templates.comment.codes", lang))
        lines += [f"{code} = {code_label(col.codes, code, lang)}" for code in col.allowed()]
        if col.kind == "codes":
            lines.append(t("templates.comment.several", lang, example=col.example or ";".join(col.allowed()[:2])))
    elif col.min is not None and col.max is not None:
        lines.append(t("templates.comment.range", lang, lo=shortest_number(col.min, lang),
                       hi=shortest_number(col.max, lang)))
    return "\n".join(lines)


def is_item_column(col: Column, inst: Instrument | None) -> bool:
    """Whether a column of a questionnaire sheet is one of its items (not participant_id, wave or date)."""
    return inst is not None and col.name not in _KEY_COLUMNS


def plain_number(x):
    """A number as int when it is whole (1.0 -> 1), else unchanged."""
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return int(x)
    if isinstance(x, np.integer):
        return int(x)
    return x


def shortest_number(x, lang: str) -> str:
    """A number as short as it goes (3, 0.5, not 3.0), with ``lang``'s decimal sign: limits in the sheets' texts."""
    x = plain_number(x)
    text = f"{x:g}" if isinstance(x, float) else str(x)
    return text.replace(".", get_locale(lang).decimal)


def missing_codes_text(inst: Instrument, lang: str, key: str) -> str:
    """The catalogue sentence ``key`` naming an instrument's missing codes; "" when it has none."""
    if not inst.missing_codes:
        return ""
    return t(key, lang, codes=", ".join(shortest_number(m, lang) for m in inst.missing_codes))
