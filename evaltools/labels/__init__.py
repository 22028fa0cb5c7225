"""One Polish/English catalogue for every word a person reads.

Entries live in the YAML files of this folder (split by area only so that
they stay readable; keys are global and must be unique across files).
Each entry maps a dotted key to ``{pl: ..., en: ...}``; ``{name}`` fields are
filled with :meth:`str.format`.

Examples
--------
>>> t("wave.baseline", "pl")
'pomiar początkowy'
>>> t("wave.baseline", "en")
'baseline'
>>> code_label("sex", "F", "pl")
'kobieta'
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster

try:  # pandas' missing value, without importing pandas here
    from pandas import NA as _NA
except ImportError:  # pragma: no cover
    _NA = object()

LANGS = ("pl", "en")
_HERE = Path(__file__).parent


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """All entries, merged from ``labels/*.yaml``; a key defined twice is an error."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(_HERE.glob("*.yaml")):
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader) or {}
        for key, value in _flatten(entries):
            if key in merged:
                raise KeyError(f"label {key!r} is defined twice (second time in {path.name})")
            if not isinstance(value, dict) or set(value) != set(LANGS):
                raise ValueError(f"{path.name}: label {key!r} needs exactly pl and en, got {value!r}")
            merged[key] = {lang: str(value[lang]) for lang in LANGS}
    return merged


def _flatten(node: dict, prefix: str = ""):
    for key, value in node.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict) and not set(value) <= set(LANGS):
            yield from _flatten(value, full + ".")
        else:
            yield full, value


def check_lang(lang: str) -> str:
    lang = (lang or "en").strip().lower()
    if lang not in LANGS:
        raise ValueError(f"language {lang!r} is not supported; expected pl or en")
    return lang


def t(key: str, lang: str = "en", /, **fields) -> str:
    """The text of ``key`` in ``lang``, with ``fields`` filled in."""
    entry = catalogue().get(key)
    if entry is None:
        raise KeyError(f"no label {key!r} in the catalogue")
    text = entry[check_lang(lang)]
    return text.format(**fields) if fields else text


def has(key: str) -> bool:
    return key in catalogue()


def code_label(kind: str, code: str, lang: str = "en") -> str:
    """The label of a contract code (``component``/``self_help``), or the code itself."""
    key = f"code.{kind}.{code}"
    return t(key, lang) if has(key) else str(code)


def fmt_number(x, lang: str = "en", digits: int = 2) -> str:
    """A number for a person to read: rounded, decimal comma in Polish, '–' for missing.

    >>> fmt_number(0.456, "pl")
    '0,46'
    >>> fmt_number(float("nan"), "en")
    '–'
    """
    if x is None or x is _NA or (isinstance(x, float) and x != x):
        return "–"
    if not isinstance(x, (int, float)):
        try:
            x = int(x) if getattr(getattr(x, "dtype", None), "kind", "") in ("i", "u") else float(x)  # numpy scalars
        except (TypeError, ValueError):
            return str(x)
        if x != x:
            return "–"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 1000):
        text = f"{int(x):,}".replace(",", "\u00a0" if check_lang(lang) == "pl" else ",")
        return text
    text = f"{x:.{digits}f}"
    return text.replace(".", ",") if check_lang(lang) == "pl" else text
