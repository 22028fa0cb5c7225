"""One exception family for everything a user can act on."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One problem in the input, located as precisely as we can.

    ``key`` names the message in the label catalogue (``validate.<key>``) and
    ``fields`` fill it, so the same problem reads in Polish or English;
    ``file``, ``sheet``, ``row`` (the row number a person sees in Excel or a
    text editor) and ``column`` say where; ``value`` is what was found.

    >>> p = Problem("not_a_code", {"value": "endlin", "expected": "baseline, endline"},
    ...             file="q_empowerment.csv", row=14, column="wave")
    >>> print(p.text("en"))
    q_empowerment.csv, row 14, column wave: 'endlin' is not an allowed code; expected one of: baseline, endline.
    """

    key: str
    fields: dict = field(default_factory=dict, hash=False, compare=False)
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    severity: str = "error"  # error | warning
    table: str | None = None
    entry: str | None = None  # the key inside a YAML file (``subscales[0].revesed``, ``targets[2].count``)

    def where(self, lang: str = "en") -> str:
        from evaltools.labels import t
        parts = []
        if self.file:
            parts.append(quoted(self.file, lang, whole=False))
        if self.sheet:
            parts.append(t("validate.where.sheet", lang, sheet=quoted(self.sheet, lang, whole=False)))
        if self.row is not None:
            parts.append(t("validate.where.row", lang, row=self.row))
        if self.column:
            parts.append(t("validate.where.column", lang, column=quoted(self.column, lang)))
        if self.entry:
            parts.append(t("validate.where.entry", lang, entry=quoted(self.entry, lang, whole=False)))
        return ", ".join(parts)

    def text(self, lang: str = "en") -> str:
        from evaltools.labels import t
        fields = {k: v.text(lang) if isinstance(v, Phrase)
                  else _short(quoted(_in_lang(v, lang), lang, whole=k not in NAME_FIELDS), 60 if k == "value" else 400)
                  for k, v in self.fields.items()}
        message = t(f"validate.{self.key}", lang, **fields)
        where = self.where(lang)
        return f"{where}: {message}" if where else message

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Phrase:
    """A field of a :class:`Problem` that is itself worded from the catalogue (``validate.<key>``).

    It keeps a message's ``expected`` part in the reader's language:

    >>> p = Problem("project_bad_value", {"key": "min_cell", "value": "0", "expected": Phrase("expected.min_cell")},
    ...             file="project.yaml", entry="min_cell")
    >>> print(p.text("pl"))
    project.yaml, klucz min_cell: 0 – oczekiwano: liczba całkowita ≥ 1.
    """

    key: str
    fields: dict = field(default_factory=dict, hash=False, compare=False)

    def text(self, lang: str = "en") -> str:
        from evaltools.labels import t
        return t(f"validate.{self.key}", lang, **{k: quoted(v, lang) for k, v in self.fields.items()})


def _in_lang(value, lang: str):
    """A field given in every language (``{"pl": …, "en": …}``) in ``lang``; any other value as it is."""
    if isinstance(value, dict) and lang in value:
        return value[lang]
    return value


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: Fields of a :class:`Problem` that name a file, a sheet or a folder: a PESEL inside one is masked, the rest shown.
NAME_FIELDS = frozenset({"name", "file", "first", "sheet", "folder", "place", "path"})


def quoted(value, lang: str = "en", *, whole: bool = True) -> str:
    """``value`` as a message may print it: the one place that decides whether a value may be quoted.

    A value holding a valid PESEL (as text anywhere inside it, or as the
    number a cell holds, however it would be formatted) is never printed:
    the whole value becomes "(hidden)" in ``lang``, or, with ``whole=False``
    (names of files, sheets and folders, paths of YAML keys), only the PESEL is masked. A float is
    shown in the short form of the messages (``4.5``, ``7``); everything
    passes through :func:`shown`.

    >>> quoted("'44051401359'"), quoted(44051401359.0, "pl"), quoted("Kowalski_44051401359.csv", whole=False)
    ('(hidden)', '(ukryto)', 'Kowalski_[PESEL].csv')
    >>> quoted(4.0), quoted(4.5), quoted("K")
    ('4', '4.5', 'K')
    """
    from evaltools.privacy import holds_pesel, mask_pesel
    if holds_pesel(value):
        if whole:
            from evaltools.labels import t
            return t("validate.hidden", lang)
        return shown(mask_pesel(value))
    if isinstance(value, float):
        return f"{value:g}"
    return shown(value if isinstance(value, str) else str(value))


def shown(text) -> str:
    r"""``text`` safe to print on a terminal: control and invisible formatting characters escaped.

    A cell, header or file name may hold terminal escape sequences (clearing
    the screen, faking a line of output, OSC-8 links) or bidirectional
    overrides; every message that quotes one shows them as ``\x1b``,
    ``\u202e``, never raw.

    >>> print(shown("ok\x1b[2J\rFAKE\u202e"))
    ok\x1b[2J\rFAKE\u202e
    >>> shown("Łódź, 15.03.2021")
    'Łódź, 15.03.2021'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or unicodedata.category(ch) == "Zs" else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in named:
        return named[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class EvaltoolsError(Exception):
    """Base of every error evaltools raises for a user to act on."""


class InstrumentError(EvaltoolsError):
    """An instrument definition (YAML) is broken; the message names file and key.

    ``problems`` holds every :class:`Problem` found in the file, for a caller
    that words them in another language.
    """

    def __init__(self, message: str, problems: list[Problem] | tuple = ()):
        super().__init__(message)
        self.problems = list(problems)


class ProjectError(EvaltoolsError):
    """project.yaml is missing or broken."""


class UsageError(EvaltoolsError):
    """A command was called the wrong way (exit code 2)."""


@dataclass
class DataInvalid(EvaltoolsError):
    """The data folder does not meet the contract; ``problems`` lists them all."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} problem(s) in the data"
        return head + ":\n" + "\n".join(f"- {p}" for p in errors[:50])
