"""Languages as data: one ``locales/<code>.yaml`` file per language.

A locale file gives the language's name, decimal and thousands separators,
date and date-time formats (:meth:`datetime.strftime`), plural rules and the
language its missing catalogue entries fall back to. The languages evaltools
speaks (``LANGS``) are the locale files found: the ones shipped in
``evaltools/labels/locales/`` and those of the folders named in the
``EVALTOOLS_LOCALES`` environment variable (separated by ``os.pathsep``) or
registered with :func:`register_locales`. Such a folder is laid out like
``evaltools/labels``: ``locales/<code>.yaml`` and catalogue ``*.yaml`` files.

Plural rules are Python-like conditions on the count ``n`` using only ``n``,
whole numbers, ``%``, comparisons, ``in``/``not in`` a tuple, ``and``, ``or``,
``not``; the first rule that holds picks its form, else the last form.

Examples
--------
>>> get_locale("pl").plural_index(3), get_locale("pl").plural_index(13), get_locale("pl").plural_index(23)
(1, 2, 1)
>>> get_locale("en").plural_index(1), get_locale("en").plural_index(0)
(0, 1)
"""

from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

HERE = Path(__file__).parent
DEFAULT_LANG = "en"
ENV_VAR = "EVALTOOLS_LOCALES"
_REQUIRED = ("code", "name", "decimal", "thousands", "date", "datetime", "plural")
_registered: list[Path] = []


@dataclass(frozen=True)
class Locale:
    """How one language writes numbers, dates and plurals."""

    code: str
    name: str
    decimal: str
    thousands: str
    date: str
    datetime: str
    plural: tuple[str, ...]
    fallback: str | None = None
    order: float = 100.0
    excel_date: str = "yyyy-mm-dd"
    #: Templates' dropdowns and validation messages offer this language's labels of codes (not only the codes).
    code_labels: bool = False
    source: str = ""
    _rules: tuple[Callable[[float], bool], ...] = field(default=(), repr=False, compare=False)

    @property
    def n_forms(self) -> int:
        """How many plural forms a catalogue entry of this language lists."""
        return len(self.plural) + 1

    def plural_index(self, n) -> int:
        """Index of the plural form for the count ``n`` (the last form for fractions)."""
        n = float(n)
        if not n.is_integer():
            return self.n_forms - 1
        n = abs(int(n))
        for i, rule in enumerate(self._rules):
            if rule(n):
                return i
        return self.n_forms - 1


def locale_dirs() -> list[Path]:
    """Folders holding extra languages: ``EVALTOOLS_LOCALES`` first, then registered ones."""
    env = [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    return env + [p for p in _registered if p not in env]


def label_dirs() -> list[Path]:
    """Every folder whose ``*.yaml`` files hold catalogue entries, the shipped one first."""
    return [HERE, *locale_dirs()]


def register_locales(path: str | Path) -> tuple[str, ...]:
    """Add a folder of extra languages (``locales/<code>.yaml`` + catalogue files); returns LANGS.

    Caches are cleared, so the new languages are available at once.
    """
    path = Path(path)
    if not (path / "locales").is_dir():
        raise FileNotFoundError(f"{path}: no locales/ folder with <code>.yaml files")
    if path not in _registered:
        _registered.append(path)
    clear_caches()
    return langs()


def reset_locales() -> None:
    """Forget the folders added with :func:`register_locales`."""
    _registered.clear()
    clear_caches()


#: Caches built on the languages known (the catalogue registers its own), cleared with the locales'.
_dependent_caches: list[Callable[[], None]] = []


def on_locales_changed(clear: Callable[[], None]) -> None:
    """Have ``clear`` called whenever the known languages change (the catalogue depends on them)."""
    _dependent_caches.append(clear)


def clear_caches() -> None:
    _locales.cache_clear()
    for clear in _dependent_caches:
        clear()


@functools.cache
def _locales() -> dict[str, Locale]:
    found: dict[str, Locale] = {}
    for folder in label_dirs():
        for path in sorted((folder / "locales").glob("*.yaml")):
            loc = _read_locale(path)
            if loc.code in found:
                raise ValueError(f"{path}: language {loc.code!r} is defined twice (first in {found[loc.code].source})")
            found[loc.code] = loc
    for loc in found.values():
        if loc.fallback is not None and loc.fallback not in found:
            raise ValueError(f"{loc.source}: fallback {loc.fallback!r} is not a known language; "
                             f"expected one of {', '.join(sorted(found))}")
    return dict(sorted(found.items(), key=lambda kv: (kv[1].order, kv[0])))


def _read_locale(path: Path) -> Locale:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader) or {}
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}; a locale file needs {', '.join(_REQUIRED)}")
    code = str(data["code"]).strip().lower()
    if code != path.stem.lower():
        raise ValueError(f"{path}: code {code!r} does not match the file name; expected {path.stem!r}")
    rules = tuple(str(r) for r in (data["plural"] or []))
    fallback = data.get("fallback")
    return Locale(code=code, name=str(data["name"]), decimal=str(data["decimal"]), thousands=str(data["thousands"]),
                  date=str(data["date"]), datetime=str(data["datetime"]), plural=rules,
                  fallback=str(fallback).lower() if fallback else None, order=float(data.get("order", 100)),
                  excel_date=str(data.get("excel_date", "yyyy-mm-dd")),
                  code_labels=bool(data.get("code_labels", False)), source=str(path),
                  _rules=tuple(_compile_rule(r, path) for r in rules))


_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Compare, ast.Eq, ast.NotEq,
            ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.BinOp, ast.Mod, ast.Name, ast.Load,
            ast.Constant, ast.Tuple, ast.List)


def _compile_rule(rule: str, path: Path) -> Callable[[int], bool]:
    """A plural rule as a function of ``n``; anything beyond arithmetic on n is refused."""
    try:
        tree = ast.parse(rule, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"{path}: plural rule {rule!r} is not a condition ({e.msg}); "
                         f"expected e.g. 'n % 10 in (2, 3, 4)'") from None
    for node in ast.walk(tree):
        bad = not isinstance(node, _ALLOWED) or (isinstance(node, ast.Name) and node.id != "n") or (
            isinstance(node, ast.Constant) and (isinstance(node.value, bool) or not isinstance(node.value, int)))
        if bad:
            raise ValueError(f"{path}: plural rule {rule!r} uses {type(node).__name__}; "
                             f"expected only n, whole numbers, %, comparisons, in, and, or, not")
    code = compile(tree, str(path), "eval")
    return lambda n: bool(eval(code, {"__builtins__": {}}, {"n": n}))  # noqa: S307 - checked above


def langs() -> tuple[str, ...]:
    """The language codes evaltools speaks, from the locale files found."""
    return tuple(_locales())


def get_locale(lang: str) -> Locale:
    """The :class:`Locale` of ``lang`` (a code of :func:`langs`)."""
    try:
        return _locales()[lang]
    except KeyError:
        known = langs()
        raise ValueError(f"language {lang!r} is not supported; expected {_or(known)}") from None


def fallback_chain(lang: str) -> list[str]:
    """``lang``, then its fallbacks in turn, then every other language in LANGS order."""
    chain, code = [], lang
    while code is not None and code not in chain:
        chain.append(code)
        code = get_locale(code).fallback
    return chain + [c for c in langs() if c not in chain]


def system_lang(environ: dict | None = None) -> str | None:
    """The language of the system's locale (LC_ALL, else LC_MESSAGES, else LANG) when evaltools speaks it.

    >>> system_lang({"LANG": "pl_PL.UTF-8"}), system_lang({"LC_ALL": "C", "LANG": "pl_PL"}), system_lang({})
    ('pl', None, None)
    """
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(var) or "").strip()
        if value:  # the first one set decides, as in POSIX
            code = value.split(".")[0].split("_")[0].split("-")[0].lower()
            return code if code in langs() else None
    return None


def _or(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
