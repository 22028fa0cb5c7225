"""project.yaml (docs/data.md): its keys and values, every problem collected."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evaltools.errors import Phrase, Problem
from evaltools.instruments import YamlAliasBomb, plain_id, read_yaml
from evaltools.io import leaves_folder
from evaltools.labels import DEFAULT_LANG, LANGS
from evaltools.privacy import PESEL_CANDIDATE, holds_pesel

#: The keys project.yaml may hold.
PROJECT_KEYS = {"name", "period", "language", "instruments", "min_cell", "targets", "groups", "primary_outcomes"}


def read_project_yaml(data_dir: Path, problems: list[Problem]) -> dict:
    """project.yaml as a checked (and normalised) mapping; ``{}`` when it cannot be read.

    Every problem goes to ``problems``; the period becomes ISO dates and the
    language lower case.
    """
    path = Path(data_dir) / "project.yaml"
    if not path.is_file():
        problems.append(Problem("project_missing", {}, file="project.yaml"))
        return {}
    if leaves_folder(path, data_dir):
        problems.append(Problem("link_outside", {}, file="project.yaml"))
        return {}
    try:
        config = read_yaml(path) or {}
    except YamlAliasBomb as e:
        problems.append(Problem("yaml_aliases", {"limit": e.limit}, file="project.yaml"))
        return {}
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        problems.append(Problem("project_broken", {"detail": str(e).replace("\n", " ")}, file="project.yaml"))
        return {}
    if not isinstance(config, dict):
        problems.append(Problem("project_not_mapping", {}, file="project.yaml"))
        return {}
    _check_pesel(config, "", problems)

    def bad(key, value, expected):
        problems.append(Problem("project_bad_value", {"key": key, "value": repr(value),
                                                      "expected": Phrase(f"expected.{expected}")},
                                file="project.yaml", entry=key))

    for key in config:
        if key not in PROJECT_KEYS:
            problems.append(Problem("project_key_unknown", {"key": key, "allowed": ", ".join(sorted(PROJECT_KEYS))},
                                    file="project.yaml", entry=str(key)))
    for key in ("name", "period"):
        if key not in config:
            problems.append(Problem("project_key_missing", {"key": key}, file="project.yaml"))
    _check_period(config, bad)
    lang = config.get("language", DEFAULT_LANG)
    if str(lang).lower() not in LANGS:
        bad("language", lang, "language")
    else:
        config["language"] = str(lang).lower()
    min_cell = config.get("min_cell", 5)
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 1:
        bad("min_cell", min_cell, "min_cell")
    insts = config.get("instruments", [])
    if not isinstance(insts, list) or not all(isinstance(i, str) for i in insts):
        bad("instruments", insts, "instruments")
        config["instruments"] = []
    elif not all(plain_id(i) for i in insts):  # an id is a file name inside the folder, never a path
        for i in insts:
            if not plain_id(i):
                problems.append(Problem("instrument.bad_id", {"id": i}, file="project.yaml", entry="instruments"))
        config["instruments"] = [i for i in insts if plain_id(i)]
    groups = config.get("groups")
    if groups is not None and not isinstance(groups, dict):
        bad("groups", groups, "groups")
    targets = config.get("targets")
    if targets is not None and not isinstance(targets, list):
        bad("targets", targets, "targets")
        config["targets"] = []
    primary = config.get("primary_outcomes")
    if primary is not None and (not isinstance(primary, list)
                                or not all(isinstance(p, str) and p.count("/") == 1 for p in primary)):
        bad("primary_outcomes", primary, "primary_outcomes")
        config["primary_outcomes"] = []
    return config


def check_primary_outcomes(config: dict, instruments: Mapping, problems: list[Problem]) -> None:
    """Each ``primary_outcomes`` entry must name an instrument of the project and a scale of it.

    ``instruments`` are the project's instruments that were read without
    error (one that was not has its own problem already and is not judged
    here).

    >>> from evaltools.instruments import LIBRARY, load_instrument
    >>> found = []
    >>> check_primary_outcomes({"instruments": ["empowerment"], "primary_outcomes": ["empowerment/agency",
    ...                         "empowerment/agensy", "recovery/parenting"]},
    ...                        {"empowerment": load_instrument(LIBRARY / "empowerment.yaml")}, found)
    >>> for p in found:
    ...     print(p)  # doctest: +NORMALIZE_WHITESPACE
    project.yaml, key primary_outcomes: 'empowerment/agensy': empowerment has no scale agensy;
        its scales: agency, voice.
    project.yaml, key primary_outcomes: 'recovery/parenting': recovery is not an instrument of the project;
        its instruments: empowerment.
    """
    listed = [str(i) for i in config.get("instruments") or []]
    for entry in config.get("primary_outcomes") or []:
        inst_id, _, scale = str(entry).partition("/")
        if inst_id not in listed:
            problems.append(Problem("project_primary_instrument", {"value": entry, "instrument": inst_id,
                                                                   "allowed": ", ".join(listed)},
                                    file="project.yaml", entry="primary_outcomes"))
        elif inst_id in instruments:
            scales = [s.id for s in instruments[inst_id].scales]
            if scale not in scales:
                problems.append(Problem("project_primary_scale", {"value": entry, "instrument": inst_id,
                                                                  "scale": scale, "allowed": ", ".join(scales)},
                                        file="project.yaml", entry="primary_outcomes"))


def _check_pesel(node, entry: str, problems: list[Problem]) -> None:
    """A PESEL in any key or value of project.yaml is an error naming the key (its own value never shown).

    >>> found = []
    >>> _check_pesel({"name": "x", "groups": {"G1": {"pl": "Anna 44051401359"}}, "targets": [{"n": 44051401359}]},
    ...              "", found)
    >>> [p.entry for p in found]
    ['groups.G1.pl', 'targets[0].n']
    """
    if not entry and not _may_hold_pesel(node):  # one look at all of it (thousands of groups' labels)
        return
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{entry}.{key}" if entry else str(key)
            if holds_pesel(key):
                problems.append(Problem("project_pesel", {}, file="project.yaml", entry=path))
            _check_pesel(value, path, problems)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_pesel(value, f"{entry}[{i}]", problems)
    elif holds_pesel(node):
        problems.append(Problem("project_pesel", {}, file="project.yaml", entry=entry))


def _may_hold_pesel(node) -> bool:
    """Whether any key or value of ``node`` may hold a PESEL (:func:`evaltools.privacy.holds_pesel`);
    False is certain. Numbers are judged one by one, texts by one search for a run of digits
    (:data:`evaltools.privacy.PESEL_CANDIDATE`) over all of them.

    >>> _may_hold_pesel({"a": ["x", 1, {"b": 2.5}]}), _may_hold_pesel({"a": [{"b": "tel. 44051401359"}]})
    (False, True)
    >>> _may_hold_pesel({44051401359: "x"}), _may_hold_pesel([44051401359.0])
    (True, True)
    >>> _may_hold_pesel({"name": "Białystok – 2021", "n": 12345}), _may_hold_pesel({"Łódź 44051401359": 1})
    (False, True)
    """
    texts, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif item is None or isinstance(item, bool):
            continue
        elif isinstance(item, (int, float, np.integer, np.floating)):
            if holds_pesel(item):
                return True
        else:
            texts.append(str(item))
    return PESEL_CANDIDATE.search("\x00".join(texts)) is not None  # NUL: no digit run spans two texts


def _check_period(config: dict, bad) -> None:
    period = config.get("period")
    if period is None:
        return
    if not isinstance(period, dict) or not {"start", "end"} <= set(period):
        bad("period", period, "period_mapping")
        return
    start, end = (pd.to_datetime(str(period[k]), errors="coerce") for k in ("start", "end"))
    if pd.isna(start) or pd.isna(end):
        bad("period", period, "period_dates")
    elif start > end:
        bad("period", period, "period_order")
    else:
        config["period"] = {"start": start.date().isoformat(), "end": end.date().isoformat()}
