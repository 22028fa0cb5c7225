"""Instrument definitions (docs/instruments.md): the YAML library and its loader.

An instrument is declared in one YAML file; the loader checks every key and
names the file and the key of everything it cannot use, so a typo such as
``revesed`` never passes: :func:`load_instrument` raises
:class:`~evaltools.errors.InstrumentError` listing every error, and
:func:`read_instrument` (what validation uses) returns them as
:class:`~evaltools.errors.Problem` objects beside whatever of the file parsed.

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
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: same result, faster

from evaltools.errors import InstrumentError, Problem
from evaltools.labels import langs

LIBRARY = Path(__file__).parent / "instruments"

TOP_KEYS = {"id", "title", "source", "licence", "response", "missing_codes", "scoring", "min_items",
            "higher_is_better", "reliability", "reliability_source", "norms", "items", "subscales"}
REQUIRED_KEYS = {"id", "title", "response", "items", "subscales"}
SCALE_KEYS = {"id", "items", "reversed", "min_items", "reliability", "reliability_source", "norms", "higher_is_better",
              "title"}
ITEM_KEYS = {"id", "text"}
RESPONSE_KEYS = {"min", "max", "labels", "step"}
NORM_KEYS = {"source", "functional", "dysfunctional", "cutoff"}


@dataclass(frozen=True)
class Norms:
    """A scale's norms: functional and dysfunctional populations, or a cutoff, and where they come from.

    Norms are used (for the clinical cutoff, the RCI's SD and the reference
    mean of regression to the mean) only when they carry a ``source``, a
    citation; norms without one are kept, so that validation can warn about
    them, and used nowhere (:attr:`sourced`).

    >>> Norms(3.9, 0.6, 2.6, 0.7).sourced, Norms(cutoff=3.0, source="Author 2019, Table 3").sourced
    (False, True)
    """

    functional_mean: float | None = None
    functional_sd: float | None = None
    dysfunctional_mean: float | None = None
    dysfunctional_sd: float | None = None
    cutoff: float | None = None
    source: str | None = None

    @property
    def sourced(self) -> bool:
        """Whether the norms name their source (only then are they used)."""
        return bool(self.source and self.source.strip())

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
    #: Where ``reliability`` was published; without it the RCI does not use ``reliability``.
    reliability_source: str | None = None


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
    #: Answers lie on min + k × step; None takes any number in the range (see :func:`_response_step`).
    response_step: float | None = 1.0

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)

    def scale(self, scale_id: str) -> Scale:
        return next(s for s in self.scales if s.id == scale_id)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get("en") or self.id


class _Findings:
    """The problems of one instrument file, each naming the file and the key."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def add(self, message: str, entry: str | None = None, /, **fields) -> None:
        self.problems.append(Problem(f"instrument.{message}", fields, file=self.path, entry=entry or None))

    def warn(self, message: str, entry: str | None = None, /, **fields) -> None:
        """A problem that does not stop the instrument from being used (``severity = "warning"``)."""
        self.problems.append(Problem(f"instrument.{message}", fields, file=self.path, entry=entry or None,
                                     severity="warning"))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def citation(self, key: str, value) -> str | None:
        """A citation (non-empty text), or None: absent, blank, or not text (a problem)."""
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.add("source_not_text", key, value=repr(value))
            return None
        text = str(value).strip()
        return text or None

    def keys(self, where: str, mapping, allowed) -> bool:
        """Whether ``mapping`` is a mapping; each unknown key (with the closest known one) is a problem."""
        if not isinstance(mapping, dict):
            self.add("not_mapping", where or None, found=type(mapping).__name__)
            return False
        for key in mapping:
            if key not in allowed:
                hint = _closest(key, allowed)
                entry = f"{where}.{key}" if where else str(key)
                if hint:
                    self.add("unknown_key_hint", entry, key=repr(key), hint=repr(hint), allowed=", ".join(sorted(allowed)))
                else:
                    self.add("unknown_key", entry, key=repr(key), allowed=", ".join(sorted(allowed)))
        return True

    def text(self, key: str, value, *, allow_blank: bool = False) -> dict | None:
        """A {pl, en} text; YAML's unquoted yes/no (read as booleans) is named."""
        if isinstance(value, str):
            value = {lang: value for lang in langs()}
        if not isinstance(value, dict):
            self.add("text_expected", key, value=repr(value))
            return None
        out = {}
        for lang, text in value.items():
            if isinstance(text, bool):
                self.add("text_boolean", f"{key}.{lang}", value=repr(text))
                return None
            if text is None:
                if not allow_blank:
                    self.add("text_empty", f"{key}.{lang}")
                    return None
                text = ""
            out[lang] = str(text)
        return out

    def number(self, key: str, value, *, lo=None, hi=None):
        """``value`` when it is a number within [lo, hi]; else a problem and None."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add("not_a_number", key, value=repr(value))
            return None
        if lo is not None and hi is not None and not lo <= value <= hi:
            self.add("number_outside", key, value=repr(value), lo=lo, hi=hi)
            return None
        if lo is not None and value < lo:
            self.add("number_too_small", key, value=repr(value), lo=lo)
            return None
        return value

    def flag(self, key: str, value) -> bool | None:
        if not isinstance(value, bool):
            self.add("not_true_false", key, value=repr(value))
            return None
        return value


def _closest(key, allowed):
    import difflib
    match = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
    return match[0] if match else None


def _norms(found: _Findings, key: str, value) -> Norms | None:
    if value is None or not found.keys(key, value, NORM_KEYS):
        return None
    source = found.citation(f"{key}.source", value.get("source"))
    if "cutoff" in value:
        cutoff = found.number(f"{key}.cutoff", value["cutoff"])
        norms = None if cutoff is None else Norms(cutoff=float(cutoff), source=source)
    else:
        parts = {}
        for side in ("functional", "dysfunctional"):
            if side not in value:
                found.add("norms_incomplete", key)
                return None
            if not found.keys(f"{key}.{side}", value[side], {"mean", "sd"}):
                return None
            mean = found.number(f"{key}.{side}.mean", value[side].get("mean"))
            sd = found.number(f"{key}.{side}.sd", value[side].get("sd"), lo=0)
            if mean is None or sd is None:
                return None
            parts[side] = (float(mean), float(sd))
        norms = Norms(*parts["functional"], *parts["dysfunctional"], source=source)
    if norms is not None and not norms.sourced:
        found.warn("norms_unsourced", key)
    return norms


def parse_instrument(data: dict, path: str | Path = "<instrument>", *, expect_id: str | None = None,
                     problems: list[Problem] | None = None) -> Instrument | None:
    """Check a loaded YAML mapping against docs/instruments.md and build the Instrument.

    Every problem is found in one pass. Without ``problems`` any error
    raises :class:`~evaltools.errors.InstrumentError` listing them all
    (warnings, such as norms without a ``source``, do not stop it). With
    a ``problems`` list they are appended to it and the instrument is built
    from whatever parsed (the response range is NaN when it is broken, a
    broken subscale is left out), so that a questionnaire can still be
    checked against its items; None when not even the items parsed.
    """
    found = _Findings(str(path))
    inst = _parse(data, found, expect_id)
    if problems is None:
        if found.errors:
            raise InstrumentError("\n".join(p.text("en") for p in found.errors), found.errors)
        return inst
    problems.extend(found.problems)
    return inst


def _parse(data, found: _Findings, expect_id: str | None) -> Instrument | None:
    if not isinstance(data, dict):
        found.add("file_not_mapping")
        return None
    found.keys("", data, TOP_KEYS)
    for key in sorted(REQUIRED_KEYS - set(data)):
        found.add("key_required", key)
    inst_id = str(data["id"]) if "id" in data else expect_id
    if inst_id is not None and "id" in data:
        if expect_id is not None and inst_id != expect_id:
            found.add("id_not_file_name", "id", value=repr(inst_id), expected=repr(expect_id))
        if not inst_id.replace("_", "").isalnum() or not inst_id[0].isalpha():
            found.add("id_bad", "id", value=repr(inst_id))
    title = found.text("title", data["title"]) if "title" in data else None
    lo, hi, labels = _response(found, data.get("response"))
    missing = _missing_codes(found, data.get("missing_codes") or [], lo, hi)
    scoring = data.get("scoring", "mean")
    if scoring not in ("mean", "sum"):
        found.add("scoring_bad", "scoring", value=repr(scoring))
        scoring = "mean"
    items = _items(found, data.get("items"))
    top = {"min_items": data.get("min_items"), "reliability": data.get("reliability"),
           "reliability_source": found.citation("reliability_source", data.get("reliability_source")),
           "higher_is_better": found.flag("higher_is_better", data.get("higher_is_better", True)),
           "norms": _norms(found, "norms", data.get("norms"))}
    scales = _scales(found, data.get("subscales"), [it.id for it in items or ()], top)
    if inst_id is None or items is None:
        return None
    return Instrument(
        id=inst_id, title=title or {}, source=str(data.get("source") or ""), licence=str(data.get("licence") or ""),
        response_min=lo, response_max=hi, response_labels=labels, missing_codes=missing, scoring=scoring,
        items=tuple(items), scales=tuple(scales), higher_is_better=top["higher_is_better"] is not False,
        path=found.path, response_step=_response_step(found, data.get("response"), lo, hi),
    )


def _response(found: _Findings, response) -> tuple[float, float, dict]:
    """min, max (NaN when broken) and the labels of the response scale."""
    nan = float("nan")
    if response is None or not found.keys("response", response, RESPONSE_KEYS):
        return nan, nan, {}
    lo = found.number("response.min", response.get("min"))
    hi = found.number("response.max", response.get("max"))
    if lo is not None and hi is not None and lo > hi:
        found.add("min_above_max", "response", lo=lo, hi=hi)
        lo = hi = None
    labels = {}
    for lang, values in (response.get("labels") or {}).items():
        if not isinstance(values, list):
            found.add("labels_not_list", f"response.labels.{lang}")
            continue
        for i, v in enumerate(values):
            if isinstance(v, bool):
                found.add("text_boolean", f"response.labels.{lang}[{i}]", value=repr(v))
        labels[lang] = [str(v) for v in values]
    return (nan if lo is None else lo), (nan if hi is None else hi), labels


def _response_step(found: _Findings, response, lo: float, hi: float) -> float | None:
    """The step between answers: ``response.step`` when given; else 1 on a scale of whole numbers
    (a ``4,5`` on a 1–5 scale is a typo, not an answer), and none on a scale with fractional ends."""
    step = response.get("step") if isinstance(response, dict) else None
    if step is not None:
        return found.number("response.step", step, lo=1e-9)
    whole = all(isinstance(v, (int, float)) and math.isfinite(v) and float(v).is_integer() for v in (lo, hi))
    return 1.0 if whole else None


def _missing_codes(found: _Findings, missing, lo: float, hi: float) -> tuple[float, ...]:
    if not isinstance(missing, list):
        found.add("missing_codes_not_list", "missing_codes")
        return ()
    out = []
    for m in missing:
        m = found.number("missing_codes", m)
        if m is None:
            continue
        if lo <= m <= hi:
            found.add("missing_inside_scale", "missing_codes", value=f"{m:g}", lo=lo, hi=hi)
            continue
        out.append(float(m))
    return tuple(out)


def _items(found: _Findings, raw_items) -> list[Item] | None:
    if raw_items is None:
        return None
    if not isinstance(raw_items, list) or not raw_items:
        found.add("items_empty", "items")
        return None
    items = []
    for i, item in enumerate(raw_items):
        if not found.keys(f"items[{i}]", item, ITEM_KEYS):
            continue
        if "id" not in item:
            found.add("item_no_id", f"items[{i}]")
            continue
        text = found.text(f"items[{i}].text", item.get("text") or {}, allow_blank=True)
        items.append(Item(str(item["id"]), text or {}))
    ids = [it.id for it in items]
    dupes = sorted({x for x in ids if ids.count(x) > 1})
    if dupes:
        found.add("items_repeated", "items", ids=", ".join(dupes))
    return items


def _scales(found: _Findings, raw_scales, item_ids: list[str], top: dict) -> list[Scale]:
    if raw_scales is None:
        return []
    if not isinstance(raw_scales, list) or not raw_scales:
        found.add("subscales_empty", "subscales")
        return []
    scales = []
    for i, sc in enumerate(raw_scales):
        before = len(found.errors)
        scale = _scale(found, i, sc, item_ids, top)
        if scale is not None and len(found.errors) == before:
            scales.append(scale)
    ids = [s.id for s in scales]
    if len(set(ids)) != len(ids):
        found.add("subscale_ids_repeated", "subscales")
    return scales


def _scale(found: _Findings, i: int, sc, item_ids: list[str], top: dict) -> Scale | None:
    where = f"subscales[{i}]"
    if not found.keys(where, sc, SCALE_KEYS):
        return None
    if "id" not in sc:
        found.add("subscale_no_id", where)
        return None
    where = f"subscales.{sc['id']}"
    sitems = sc.get("items") or []
    if not isinstance(sitems, list) or not sitems:
        found.add("subscale_empty", f"{where}.items")
        return None
    sitems = tuple(str(x) for x in sitems)
    for x in sitems:
        if item_ids and x not in item_ids:
            found.add("item_unknown", f"{where}.items", value=repr(x))
    rev = tuple(str(x) for x in (sc.get("reversed") or []))
    for x in rev:
        if x not in sitems:
            found.add("reversed_outside", f"{where}.reversed", value=repr(x))
    k = len(sitems)
    min_items = sc.get("min_items", top["min_items"])
    key = f"{where}.min_items" if "min_items" in sc else "min_items"
    if min_items is None:
        min_items = math.ceil(0.8 * k)
    elif found.number(key, min_items, lo=1) is not None:
        if int(min_items) != min_items:
            found.add("not_whole", key, value=repr(min_items))
        elif min_items > k:
            found.add("min_items_too_large", key, value=min_items, scale=repr(sc["id"]), k=k)
    rel = sc.get("reliability", top["reliability"])
    if rel is not None:
        rel = found.number(f"{where}.reliability", rel, lo=0, hi=0.9999)
    # a source describes one number: a subscale's own reliability takes only the subscale's own source
    if "reliability" in sc or "reliability_source" in sc:
        rel_source = found.citation(f"{where}.reliability_source", sc.get("reliability_source"))
    else:
        rel_source = top["reliability_source"]
    hib = found.flag(f"{where}.higher_is_better", sc["higher_is_better"]) if "higher_is_better" in sc \
        else top["higher_is_better"]
    norms = _norms(found, f"{where}.norms", sc["norms"]) if "norms" in sc else top["norms"]
    stitle = found.text(f"{where}.title", sc["title"]) if "title" in sc else None
    if not isinstance(min_items, (int, float)) or isinstance(min_items, bool):
        return None
    return Scale(str(sc["id"]), sitems, rev, int(min_items), None if rel is None else float(rel), norms,
                 hib is not False, stitle, rel_source)


def load_instrument(path: str | Path) -> Instrument:
    """Read and check one instrument YAML file; raise :class:`~evaltools.errors.InstrumentError` naming every problem."""
    inst, problems = _read(Path(path), str(path))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InstrumentError("\n".join(p.text("en") for p in errors), errors)
    return inst


def _read(path: Path, shown: str) -> tuple[Instrument | None, list[Problem]]:
    """The instrument of one file as far as it parses, and its problems (``shown`` names the file)."""
    problems: list[Problem] = []
    try:
        data = read_yaml(path)
    except YamlAliasBomb as e:
        return None, [Problem("yaml_aliases", {"limit": e.limit}, file=shown)]
    except yaml.YAMLError as e:
        return None, [Problem("instrument.not_yaml", {"detail": str(e).replace("\n", " ")}, file=shown)]
    except (OSError, UnicodeDecodeError) as e:
        return None, [Problem("instrument.unreadable", {"detail": getattr(e, "strerror", None) or str(e)},
                              file=shown)]
    inst = parse_instrument(data, shown, expect_id=path.stem, problems=problems)
    return inst, problems


#: A YAML file whose aliases (``*name``) would expand to more values than this is refused before loading.
MAX_YAML_VALUES = 100_000


class YamlAliasBomb(Exception):
    """A YAML file's aliases would expand beyond :data:`MAX_YAML_VALUES` ("billion laughs")."""

    def __init__(self, limit: int):
        super().__init__(f"YAML aliases would expand to more than {limit} values")
        self.limit = limit


def read_yaml(path: str | Path):
    """A YAML file of a data folder (project.yaml, instruments/*.yaml), safely.

    Text is UTF-8 (with or without BOM) or Windows-1250, as Notepad saves it
    (:func:`evaltools.io.decode_text`). Only plain YAML is built (safe
    loader), and a file whose aliases would expand to more than
    :data:`MAX_YAML_VALUES` values raises :class:`YamlAliasBomb` before
    anything is built; a syntax error raises :class:`yaml.YAMLError`.
    """
    from evaltools.io import decode_text
    text = decode_text(Path(path).read_bytes())
    _count_values(text, MAX_YAML_VALUES)
    return yaml.load(text, Loader=_SafeLoader)


def _count_values(text: str, limit: int) -> int:
    r"""How many values ``text`` holds once every alias is expanded; :class:`YamlAliasBomb` past ``limit``.

    Parsing events costs time in the size of the text, not of its expansion.

    >>> _count_values("a: &x [1, 2]\nb: *x\n", 100)
    9
    >>> bomb = "a: &a [x, x]\n" + "".join(f"{c}: &{c} [*{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    >>> _count_values(bomb, 1000)
    Traceback (most recent call last):
    ...
    evaltools.instruments.YamlAliasBomb: YAML aliases would expand to more than 1000 values
    """
    sizes: dict[str, int] = {}
    open_nodes: list[list] = []  # [anchor, values so far]
    total = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            n = 1 if isinstance(event, yaml.ScalarEvent) else sizes.get(event.anchor, 1)
            if isinstance(event, yaml.ScalarEvent) and event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            open_nodes.append([event.anchor, 1])
            total += 1
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, n_inside = open_nodes.pop()
            if anchor:
                sizes[anchor] = n_inside
            if open_nodes:
                open_nodes[-1][1] += n_inside
            continue
        else:
            continue
        total += n
        if open_nodes:
            open_nodes[-1][1] += n
        if total > limit or n > limit:
            raise YamlAliasBomb(limit)
    return total


def plain_id(inst_id) -> bool:
    """An instrument id is a plain name (letters, digits, ``_``), never a path.

    >>> plain_id("empowerment"), plain_id("../../outside/evil"), plain_id("a.b")
    (True, False, False)
    """
    return isinstance(inst_id, str) and bool(re.fullmatch(r"[A-Za-z0-9_]+", inst_id))


def _read_custom(path: Path, data_dir: Path, shown: str) -> tuple[Instrument | None, list[Problem]]:
    """A custom instrument file, refused unread when it is a link leading out of the data folder."""
    from evaltools.io import leaves_folder
    if leaves_folder(path, data_dir):
        return None, [Problem("link_outside", {}, file=shown)]
    return _read(path, shown)


def library() -> dict[str, Path]:
    """The built-in instruments: id -> YAML path."""
    return {p.stem: p for p in sorted(LIBRARY.glob("*.yaml"))}


def find_instrument(inst_id: str, data_dir: str | Path | None = None) -> Instrument:
    """A custom instrument in ``DATA/instruments/<id>.yaml`` wins over the library's.

    Raises :class:`~evaltools.errors.InstrumentError` naming every problem of the file.
    """
    inst, problems = read_instrument(inst_id, data_dir)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InstrumentError("\n".join(p.text("en") for p in errors), errors)
    return inst


def read_instrument(inst_id: str, data_dir: str | Path | None = None) -> tuple[Instrument | None, list[Problem]]:
    """Like :func:`find_instrument`, but returns the problems instead of raising.

    The instrument is whatever of the file parsed (see :func:`parse_instrument`),
    None when nothing usable; a custom file is named relative to ``data_dir``
    (``instruments/<id>.yaml``), as the person who wrote it sees it.
    """
    if not plain_id(inst_id):
        return None, [Problem("instrument.bad_id", {"id": inst_id}, file="project.yaml", entry="instruments")]
    if data_dir is not None:
        custom = Path(data_dir) / "instruments" / f"{inst_id}.yaml"
        if custom.is_file():
            return _read_custom(custom, Path(data_dir), f"instruments/{inst_id}.yaml")
    lib = library()
    if inst_id not in lib:
        where = (Path(data_dir) if data_dir is not None else Path(".")) / "instruments" / f"{inst_id}.yaml"
        return None, [Problem("instrument.unknown", {"id": inst_id, "library": ", ".join(lib), "path": str(where)},
                              file="project.yaml", entry="instruments")]
    return _read(lib[inst_id], str(lib[inst_id]))
