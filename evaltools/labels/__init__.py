"""One catalogue for every word a person reads, in every language evaltools speaks.

Entries live in the YAML files of this folder (split by area only so that
they stay readable; keys are global and must be unique across files).
Each entry maps a dotted key to ``{pl: ..., en: ...}``; ``{name}`` fields are
filled with :meth:`str.format`. An entry may leave a language out: it then
shows the text of the language's fallback (see :mod:`evaltools.labels.locale`).

A count with a noun is written ``{n:plural:noun.notebook}`` in a text and
gives "4 notatniki" / "4 notebooks": entries with plural forms list them in
the order of the locale's plural rules, e.g. ``{pl: [notatnik, notatniki,
notatników], en: [notebook, notebooks]}``.

The languages (``LANGS``) are the locale files found; numbers, p-values and
dates are formatted by :mod:`evaltools.labels.format`, re-exported here.

Examples
--------
>>> t("wave.baseline", "pl")
'pomiar początkowy'
>>> t("wave.baseline", "en")
'baseline'
>>> code_label("sex", "F", "pl")
'kobieta'
>>> plural(4, "noun.notebook", "pl"), plural(12, "noun.notebook", "pl"), plural(1, "noun.notebook", "en")
('4 notatniki', '12 notatników', '1 notebook')
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping

import yaml

from evaltools.labels.format import (MISSING, check_lang, fmt_date, fmt_datetime, fmt_number, fmt_p,
                                     p_phrase)
from evaltools.labels.locale import (DEFAULT_LANG, Locale, fallback_chain, get_locale, label_dirs, langs,
                                     on_locales_changed, register_locales, reset_locales, system_lang)

__all__ = ["LANGS", "DEFAULT_LANG", "Locale", "catalogue", "raw_catalogue", "coverage", "t", "has", "code_label",
           "plural", "plural_form", "pick", "check_lang", "fmt_number", "fmt_p", "p_phrase", "fmt_date",
           "fmt_datetime", "get_locale", "langs", "fallback_chain", "register_locales", "reset_locales",
           "system_lang", "MISSING"]

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster
_PLURAL = "plural:"


def __getattr__(name: str):
    if name == "LANGS":  # live: follows languages registered after import
        return langs()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def raw_catalogue() -> dict[str, dict[str, str | tuple[str, ...]]]:
    """Entries as written, merged from every catalogue folder; a key or language defined twice is an error."""
    known = set(langs())
    merged: dict[str, dict] = {}
    for folder in label_dirs():
        for path in sorted(folder.glob("*.yaml")):
            entries = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader) or {}
            for key, value in _flatten(entries, known):
                if not isinstance(value, dict) or not value:
                    raise ValueError(f"{path.name}: label {key!r} needs texts by language "
                                     f"({', '.join(sorted(known))}), got {value!r}")
                entry = merged.setdefault(key, {})
                for lang, text in value.items():
                    if lang in entry:
                        raise KeyError(f"label {key!r} is defined twice (second time in {path.name})")
                    entry[lang] = _text(text, key, lang, path.name)
    return merged


def _text(text, key: str, lang: str, where: str):
    if isinstance(text, list):
        forms = get_locale(lang).n_forms
        if len(text) != forms:
            raise ValueError(f"{where}: label {key!r} has {len(text)} plural forms in {lang}; expected {forms}")
        return tuple(str(x) for x in text)
    return str(text)


def _flatten(node: dict, known: set, prefix: str = ""):
    for key, value in node.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict) and not set(value) <= known:
            yield from _flatten(value, known, full + ".")
        else:
            yield full, value


@functools.cache
def catalogue() -> dict[str, dict[str, str | tuple[str, ...]]]:
    """All entries with a text in every language of LANGS, missing ones filled through the fallbacks."""
    chains = {lang: fallback_chain(lang) for lang in langs()}
    out = {}
    for key, entry in raw_catalogue().items():
        out[key] = {lang: entry[next(c for c in chain if c in entry)] for lang, chain in chains.items()}
    return out


on_locales_changed(catalogue.cache_clear)
on_locales_changed(raw_catalogue.cache_clear)


def coverage(lang: str) -> tuple[int, int, list[str]]:
    """How many catalogue keys have their own text in ``lang``: (present, total, missing keys)."""
    raw = raw_catalogue()
    missing = sorted(k for k, entry in raw.items() if lang not in entry)
    return len(raw) - len(missing), len(raw), missing


class _Formatter(string.Formatter):
    """str.format, plus ``{n:plural:key}`` for a count with its noun."""

    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value, format_spec):
        if format_spec.startswith(_PLURAL):
            return plural(value, format_spec[len(_PLURAL):], self.lang)
        return super().format_field(value, format_spec)


def t(key: str, lang: str = "en", /, **fields) -> str:
    """The text of ``key`` in ``lang``, with ``fields`` filled in."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no label {key!r} in the catalogue")
    lang = check_lang(lang)
    text = entry[lang]
    if isinstance(text, tuple):
        raise TypeError(f"label {key!r} has plural forms; use plural(n, {key!r}, lang)")
    if not fields:
        return text
    return _Formatter(lang).format(text, **fields) if _PLURAL in text else text.format(**fields)


def has(key: str) -> bool:
    return key in catalogue()


def code_label(kind: str, code: str, lang: str = "en") -> str:
    """The label of a contract code (``component``/``self_help``), or the code itself."""
    key = f"code.{kind}.{code}"
    return t(key, lang) if has(key) else str(code)


def _count(n):
    if isinstance(n, str):
        n = n.strip().replace("\u00a0", "").replace(",", ".")
        n = float(n) if any(c in n for c in ".eE") else int(n)
    return n


def plural_form(n, key: str, lang: str = "en") -> str:
    """The form of the noun of ``key`` that goes with the count ``n`` (the noun alone).

    >>> [plural_form(n, "noun.notebook", "pl") for n in (1, 2, 5, 22, 112, 0)]
    ['notatnik', 'notatniki', 'notatników', 'notatniki', 'notatników', 'notatników']
    """
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no label {key!r} in the catalogue")
    lang = check_lang(lang)
    raw = raw_catalogue()[key]
    code = next(c for c in fallback_chain(lang) if c in raw)  # forms from a fallback follow its rules
    forms = raw[code]
    if isinstance(forms, str):
        return forms
    return forms[get_locale(code).plural_index(_count(n))]


def plural(n, key: str, lang: str = "en") -> str:
    """The count ``n`` and the noun of ``key`` in the form that goes with it: '4 notatniki', '34 rows'.

    >>> plural(34, "noun.row", "pl"), plural(35, "noun.row", "pl"), plural(1234, "noun.row", "en")
    ('34 wiersze', '35 wierszy', '1,234 rows')
    """
    return f"{fmt_number(_count(n), lang)} {plural_form(n, key, lang)}"


def pick(texts, lang: str = "en", default=None):
    """The text for ``lang`` of a ``{lang: text}`` mapping (a project's labels), through the fallbacks.

    Blank or missing texts are skipped; a plain string is returned as it is.

    >>> pick({"pl": "Rodziny", "en": "Families"}, "pl"), pick({"pl": "Rodziny", "en": ""}, "en")
    ('Rodziny', 'Rodziny')
    >>> pick(None, "pl", default="families")
    'families'
    """
    if not isinstance(texts, Mapping):
        return default if texts is None or str(texts).strip() == "" else texts
    lang = (lang or DEFAULT_LANG).strip().lower()
    chain = fallback_chain(lang) if lang in langs() else [lang, *langs()]
    for code in chain:
        value = texts.get(code)
        if value is not None and not _blank(value):
            return value
    return default


def _blank(value) -> bool:
    try:
        if value != value:  # NaN / NA
            return True
    except (TypeError, ValueError):
        return True
    return isinstance(value, str) and not value.strip()
