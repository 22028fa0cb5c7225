"""Instrument definitions (docs/instruments.md): the YAML library and its loader.

An instrument is declared in one YAML file; the loader checks every key and
raises :class:`~evaltools.errors.InstrumentError` naming the file and the key
for anything it cannot use, so a typo such as ``revesed`` never passes.

Examples
--------
>>> inst = load_instrument(LIBRARY / "empowerment.yaml")
>>> inst.id, inst.response_min, inst.response_max
('empowerment', 1, 5)
>>> inst.scales[0].items[:2]
('emp_01', 'emp_02')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster

from evaltools.errors import InstrumentError

LIBRARY = Path(__file__).parent / "instruments"

TOP_KEYS = {"id", "title", "source", "licence", "response", "missing_codes", "scoring", "min_items",
            "higher_is_better", "reliability", "norms", "items", "subscales"}
REQUIRED_KEYS = {"id", "title", "response", "items", "subscales"}
SCALE_KEYS = {"id", "items", "reversed", "min_items", "reliability", "norms", "higher_is_better", "title"}
ITEM_KEYS = {"id", "text"}
RESPONSE_KEYS = {"min", "max", "labels"}
NORM_KEYS = {"functional", "dysfunctional", "cutoff"}


@dataclass(frozen=True)
class Norms:
    functional_mean: float | None = None
    functional_sd: float | None = None
    dysfunctional_mean: float | None = None
    dysfunctional_sd: float | None = None
    cutoff: float | None = None

    def clinical_cutoff(self) -> float | None:
        """Jacobson & Truax (1991) criterion c, or the given ``cutoff``.

        c = (s_f·M_d + s_d·M_f) / (s_f + s_d)

        >>> round(Norms(3.9, 0.6, 2.6, 0.7).clinical_cutoff(), 4)
        3.3
        """
        if self.cutoff is not None:
            return self.cutoff
        if None in (self.functional_mean, self.functional_sd, self.dysfunctional_mean, self.dysfunctional_sd):
            return None
        s_f, s_d = self.functional_sd, self.dysfunctional_sd
        return (s_f * self.dysfunctional_mean + s_d * self.functional_mean) / (s_f + s_d)


@dataclass(frozen=True)
class Scale:
    id: str
    items: tuple[str, ...]
    reversed: tuple[str, ...]
    min_items: int
    reliability: float | None
    norms: Norms | None
    higher_is_better: bool
    title: dict | None = None


@dataclass(frozen=True)
class Item:
    id: str
    text: dict  # {pl: ..., en: ...}; blank where the licence forbids the wording


@dataclass(frozen=True)
class Instrument:
    id: str
    title: dict
    source: str
    licence: str
    response_min: float
    response_max: float
    response_labels: dict
    missing_codes: tuple[float, ...]
    scoring: str
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    higher_is_better: bool
    path: str

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def scale(self, scale_id: str) -> Scale:
        return next(s for s in self.scales if s.id == scale_id)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.id


def _fail(path, key, message):
    raise InstrumentError(f"{path}: {key}: {message}")


def _check_keys(path, where, mapping, allowed):
    if not isinstance(mapping, dict):
        _fail(path, where, f"expected a mapping of keys, found {type(mapping).__name__}")
    for key in mapping:
        if key not in allowed:
            hint = _closest(key, allowed)
            _fail(path, f"{where}.{key}" if where else key,
                  f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                  + f"; allowed keys: {', '.join(sorted(allowed))}")


def _closest(key, allowed):
    import difflib
    match = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
    return match[0] if match else None


def _text_dict(path, key, value, *, allow_blank=False):
    """A {pl, en} text; YAML's unquoted yes/no (read as booleans) is named."""
    if isinstance(value, str):
        value = {"pl": value, "en": value}
    if not isinstance(value, dict):
        _fail(path, key, f"expected {{pl: ..., en: ...}}, found {value!r}")
    out = {}
    for lang, text in value.items():
        if isinstance(text, bool):
            _fail(path, f"{key}.{lang}", f"{text!r} was read as a boolean: quote it, e.g. 'yes' or 'no'")
        if text is None:
            if not allow_blank:
                _fail(path, f"{key}.{lang}", "is empty")
            text = ""
        out[lang] = str(text)
    return out


def _number(path, key, value, *, lo=None, hi=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, key, f"expected a number, found {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        _fail(path, key, f"{value!r} is outside {lo}..{hi}")
    return value


def _norms(path, key, value) -> Norms | None:
    if value is None:
        return None
    _check_keys(path, key, value, NORM_KEYS)
    if "cutoff" in value:
        return Norms(cutoff=float(_number(path, f"{key}.cutoff", value["cutoff"])))
    parts = {}
    for side in ("functional", "dysfunctional"):
        if side not in value:
            _fail(path, key, f"needs both functional and dysfunctional {{mean, sd}}, or cutoff")
        _check_keys(path, f"{key}.{side}", value[side], {"mean", "sd"})
        parts[side] = (float(_number(path, f"{key}.{side}.mean", value[side].get("mean"))),
                       float(_number(path, f"{key}.{side}.sd", value[side].get("sd"), lo=0)))
    return Norms(*parts["functional"], *parts["dysfunctional"])


def parse_instrument(data: dict, path: str | Path = "<instrument>", *, expect_id: str | None = None) -> Instrument:
    """Check a loaded YAML mapping against docs/instruments.md and build the Instrument."""
    path = str(path)
    if not isinstance(data, dict):
        _fail(path, "(top)", "the file does not hold a mapping of keys")
    _check_keys(path, "", data, TOP_KEYS)
    for key in sorted(REQUIRED_KEYS - set(data)):
        _fail(path, key, "is required")
    inst_id = str(data["id"])
    if expect_id is not None and inst_id != expect_id:
        _fail(path, "id", f"{inst_id!r} must equal the file name {expect_id!r}")
    if not inst_id.replace("_", "").isalnum() or not inst_id[0].isalpha():
        _fail(path, "id", f"{inst_id!r} must be letters, digits and _ (it names the table q_{inst_id})")
    title = _text_dict(path, "title", data["title"])

    response = data["response"]
    _check_keys(path, "response", response, RESPONSE_KEYS)
    lo = _number(path, "response.min", response.get("min"))
    hi = _number(path, "response.max", response.get("max"))
    if lo > hi:
        _fail(path, "response", f"min {lo} > max {hi}")
    labels = {}
    for lang, values in (response.get("labels") or {}).items():
        if not isinstance(values, list):
            _fail(path, f"response.labels.{lang}", "expected a list of labels")
        for i, v in enumerate(values):
            if isinstance(v, bool):
                _fail(path, f"response.labels.{lang}[{i}]", f"{v!r} was read as a boolean: quote it, e.g. 'yes'")
        labels[lang] = [str(v) for v in values]

    missing = data.get("missing_codes") or []
    if not isinstance(missing, list):
        _fail(path, "missing_codes", "expected a list of numbers")
    missing = tuple(float(_number(path, "missing_codes", m)) for m in missing)
    for m in missing:
        if lo <= m <= hi:
            _fail(path, "missing_codes", f"{m:g} lies inside the response scale {lo}..{hi}")

    scoring = data.get("scoring", "mean")
    if scoring not in ("mean", "sum"):
        _fail(path, "scoring", f"{scoring!r} is not mean or sum")

    items = []
    raw_items = data["items"]
    if not isinstance(raw_items, list) or not raw_items:
        _fail(path, "items", "expected a non-empty list of {id, text}")
    for i, item in enumerate(raw_items):
        _check_keys(path, f"items[{i}]", item, ITEM_KEYS)
        if "id" not in item:
            _fail(path, f"items[{i}]", "has no id")
        items.append(Item(str(item["id"]), _text_dict(path, f"items[{i}].text", item.get("text") or {}, allow_blank=True)))
    item_ids = [it.id for it in items]
    dupes = sorted({x for x in item_ids if item_ids.count(x) > 1})
    if dupes:
        _fail(path, "items", f"item ids repeated: {', '.join(dupes)}")

    top_min = data.get("min_items")
    top_rel = data.get("reliability")
    top_hib = data.get("higher_is_better", True)
    if not isinstance(top_hib, bool):
        _fail(path, "higher_is_better", f"expected true or false, found {top_hib!r}")
    top_norms = _norms(path, "norms", data.get("norms"))

    scales = []
    raw_scales = data["subscales"]
    if not isinstance(raw_scales, list) or not raw_scales:
        _fail(path, "subscales", "at least one subscale is needed (a one-scale instrument has one)")
    for i, sc in enumerate(raw_scales):
        where = f"subscales[{i}]"
        _check_keys(path, where, sc, SCALE_KEYS)
        if "id" not in sc:
            _fail(path, where, "has no id")
        where = f"subscales.{sc['id']}"
        sitems = sc.get("items") or []
        if not isinstance(sitems, list) or not sitems:
            _fail(path, f"{where}.items", "the subscale is empty")
        sitems = tuple(str(x) for x in sitems)
        for x in sitems:
            if x not in item_ids:
                _fail(path, f"{where}.items", f"{x!r} is not an item of this instrument")
        rev = tuple(str(x) for x in (sc.get("reversed") or []))
        for x in rev:
            if x not in sitems:
                _fail(path, f"{where}.reversed", f"{x!r} is reversed but not among the subscale's items")
        k = len(sitems)
        min_items = sc.get("min_items", top_min)
        key = f"{where}.min_items" if "min_items" in sc else "min_items"
        if min_items is None:
            min_items = math.ceil(0.8 * k)
        else:
            min_items = _number(path, key, min_items, lo=1)
            if int(min_items) != min_items:
                _fail(path, key, f"{min_items!r} is not a whole number")
            if min_items > k:
                _fail(path, key, f"min_items {min_items} is larger than the subscale {sc['id']!r} ({k} items)")
        rel = sc.get("reliability", top_rel)
        if rel is not None:
            rel = float(_number(path, f"{where}.reliability", rel, lo=0, hi=0.9999))
        hib = sc.get("higher_is_better", top_hib)
        if not isinstance(hib, bool):
            _fail(path, f"{where}.higher_is_better", f"expected true or false, found {hib!r}")
        norms = _norms(path, f"{where}.norms", sc["norms"]) if "norms" in sc else top_norms
        stitle = _text_dict(path, f"{where}.title", sc["title"]) if "title" in sc else None
        scales.append(Scale(str(sc["id"]), sitems, rev, int(min_items), rel, norms, hib, stitle))
    ids = [s.id for s in scales]
    if len(set(ids)) != len(ids):
        _fail(path, "subscales", "subscale ids must be unique")

    return Instrument(
        id=inst_id, title=title, source=str(data.get("source") or ""), licence=str(data.get("licence") or ""),
        response_min=lo, response_max=hi, response_labels=labels, missing_codes=missing, scoring=scoring,
        items=tuple(items), scales=tuple(scales), higher_is_better=top_hib, path=path,
    )


def load_instrument(path: str | Path) -> Instrument:
    """Read and check one instrument YAML file."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SafeLoader)
    except yaml.YAMLError as e:
        raise InstrumentError(f"{path}: not valid YAML: {e}") from None
    except OSError as e:
        raise InstrumentError(f"{path}: cannot be read: {e.strerror}") from None
    return parse_instrument(data, path, expect_id=path.stem)


def library() -> dict[str, Path]:
    """The built-in instruments: id -> YAML path."""
    return {p.stem: p for p in sorted(LIBRARY.glob("*.yaml"))}


def find_instrument(inst_id: str, data_dir: str | Path | None = None) -> Instrument:
    """A custom instrument in ``DATA/instruments/<id>.yaml`` wins over the library's."""
    if data_dir is not None:
        custom = Path(data_dir) / "instruments" / f"{inst_id}.yaml"
        if custom.is_file():
            return load_instrument(custom)
    lib = library()
    if inst_id not in lib:
        raise InstrumentError(
            f"instrument {inst_id!r} is neither in the library ({', '.join(lib)}) "
            f"nor in {Path(data_dir or '.') / 'instruments' / (inst_id + '.yaml')}")
    return load_instrument(lib[inst_id])
