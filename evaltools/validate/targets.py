"""The targets of project.yaml (docs/targets.md): every problem of their definitions.

The vocabulary (what a target may count, which ``where`` keys select what)
is the data contract's, in :mod:`evaltools.schema`; computing the
indicators is :mod:`evaltools.indicators`' job.

Examples
--------
>>> problems = check_targets([{"id": "a", "label": {"pl": "A", "en": "A"}, "count": "famlies", "target": 0}])
>>> for p in problems:
...     print(p.text("pl"))
project.yaml, klucz targets.a.count: 'famlies' nie jest znanym rodzajem liczenia; dozwolone: participants, families, sessions, groups, reach, improved.
project.yaml, klucz targets.a.target: 0 – oczekiwano liczby większej od 0.
"""

from __future__ import annotations

from collections.abc import Mapping

from evaltools.errors import Problem
from evaltools.labels import pick
from evaltools.schema import (CODES, TARGET_APPLIES, TARGET_COUNTS, TARGET_KEYS, TARGET_PERSON_KEYS,
                              TARGET_SESSION_KEYS, is_filled, is_finite_number)

_WHERE_KEYS = TARGET_SESSION_KEYS + TARGET_PERSON_KEYS
_CODE_KIND = {"activity": "activity", "component": "component", "role": "role"}


def check_targets(targets) -> list[Problem]:
    """What is wrong with the target definitions of project.yaml; empty when nothing.

    Each :class:`~evaltools.errors.Problem` points at ``project.yaml`` and
    the key (``targets.<id>.<key>``; a target without an id is
    ``targets[<position>]``). A key that changes nothing (``min_sessions``
    on a count of sessions, for instance) is a warning; the rest are errors.
    Checked: the target is a mapping with only known keys; ``id`` present
    and unique; ``label`` a text or a {pl, en} mapping; ``count`` known;
    ``where`` a mapping of known keys to a code or a list of codes; the codes
    of activity, component and role; ``min_sessions`` a whole number ≥ 0;
    ``target`` a number > 0; ``improved`` needs ``instrument`` and ``scale``.
    """
    if not isinstance(targets, list):
        return []  # project.yaml's own check reports a ``targets`` that is not a list
    problems: list[Problem] = []
    seen: set[str] = set()
    for pos, target in enumerate(targets, start=1):
        if not isinstance(target, Mapping):
            problems.append(Problem("target.not_mapping", {"value": repr(target)}, file="project.yaml",
                                    entry=f"targets[{pos}]"))
            continue
        _check_target(target, pos, seen, problems)
    return problems


def _check_target(target: Mapping, pos: int, seen: set[str], problems: list[Problem]) -> None:
    name = str(target.get("id")) if is_filled(target.get("id")) else None
    here = f"targets.{name}" if name else f"targets[{pos}]"

    def say(message, entry=None, severity="error", /, **fields):
        problems.append(Problem(f"target.{message}", fields, file="project.yaml", severity=severity,
                                entry=f"{here}.{entry}" if entry else here))

    for key in target:
        if key not in TARGET_KEYS:
            say("key_unknown", str(key), key=key, allowed=", ".join(TARGET_KEYS))
    if name is None:
        say("id_missing")
    elif name in seen:
        say("id_twice", "id", value=name)
    seen.add(name or f"#{pos}")
    label = target.get("label")
    if not is_filled(label):
        say("label_missing", "label")
    elif isinstance(label, Mapping) and pick(label) is None:
        say("label_empty", "label", value=repr(dict(label)))
    elif not isinstance(label, (str, Mapping)):
        say("label_bad", "label", value=repr(label))

    count = target.get("count")
    if count not in TARGET_COUNTS:
        if is_filled(count):
            say("count_unknown", "count", value=count, allowed=", ".join(TARGET_COUNTS))
        else:
            say("count_missing", "count", allowed=", ".join(TARGET_COUNTS))
    value = target.get("target")
    if value is None:
        say("target_missing", "target")
    elif not is_finite_number(value) or float(value) <= 0:
        say("target_bad", "target", value=repr(value))
    _check_where(target.get("where"), count, say)

    if "min_sessions" in target:
        m = target["min_sessions"]
        if not is_finite_number(m) or float(m) < 0 or float(m) != int(float(m)):
            say("min_sessions_bad", "min_sessions", value=repr(m))
        elif count in TARGET_APPLIES and not TARGET_APPLIES[count]["min_sessions"]:
            say("min_sessions_no_effect", "min_sessions", "warning", count=count)
    for key in ("instrument", "scale"):
        if count == "improved" and not is_filled(target.get(key)):
            say("improved_needs", key, key=key)
        elif count != "improved" and key in target:
            say("only_improved", key, "warning", key=key)


def _check_where(where, count, say) -> None:
    if where is None:
        return
    if not isinstance(where, Mapping):
        say("where_not_mapping", "where", value=repr(where))
        return
    for key, values in where.items():
        entry = f"where.{key}"
        if key not in _WHERE_KEYS:
            say("where_key_unknown", entry, key=key, allowed=", ".join(_WHERE_KEYS))
            continue
        if count in TARGET_APPLIES and key not in TARGET_APPLIES[count]["where"]:
            say("where_key_no_effect", entry, "warning", key=key, count=count,
                allowed=", ".join(TARGET_APPLIES[count]["where"]))
        listed = _as_list(values)
        if not listed or not all(_is_value(v) for v in listed):
            say("where_not_values", entry, key=key, value=repr(values))
            continue
        if key in _CODE_KIND:
            allowed = CODES[_CODE_KIND[key]]
            for v in (str(v).strip() for v in listed):
                if v not in allowed:
                    say("where_not_code", entry, key=key, value=v, allowed=", ".join(allowed))


def _is_value(v) -> bool:
    """A ``where`` value: a non-blank text, or a whole number (a group written as 1 in YAML)."""
    return (isinstance(v, str) and bool(v.strip())) or (isinstance(v, int) and not isinstance(v, bool))


def _as_list(values) -> list:
    if isinstance(values, (list, tuple)):
        return list(values)
    return [values] if values is not None else []
