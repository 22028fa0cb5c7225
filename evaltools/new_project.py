"""A new project folder (``evaltools init``): a commented project.yaml and the blank workbook with its q_ sheets.

The project.yaml has the programme's shape as its example (docs/data.md,
docs/targets.md): the instruments, one target per kind of count with its
``where``, the primary outcomes (when the contract knows them) and
``min_cell``; a comment in the chosen language says what each key means.
Staff then type the tables into the workbook; until they do, validation
finds only empty tables.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import yaml

from evaltools.errors import UsageError
from evaltools.labels import check_lang, t
from evaltools.validate.project_yaml import PROJECT_KEYS

#: The example instruments (the demo's), and the outcomes a programme like it names before the endline.
INSTRUMENTS = ("empowerment", "recovery", "independence", "social_support", "civic_activity")
PRIMARY_OUTCOMES = ("empowerment/agency", "recovery/crisis_coping", "independence/total",
                    "social_support/perceived_support", "civic_activity/total")
GROUPS = {"G1": {"pl": "Grupa samopomocowa 1", "en": "Self-help group 1"}}
TARGETS = (
    {"id": "families_assisted",
     "label": {"pl": "Rodziny z asystą rodzinną", "en": "Families with a family assistant"},
     "count": "families", "where": {"activity": "family_visit"}, "target": 15},
    {"id": "youth_independence",
     "label": {"pl": "Młodzież w programie usamodzielnienia", "en": "Young people in the independence programme"},
     "count": "participants", "where": {"component": "youth"}, "min_sessions": 5, "target": 6},
    {"id": "self_help_groups",
     "label": {"pl": "Grupy samopomocowe dla dorosłych", "en": "Self-help groups for adults"},
     "count": "groups", "where": {"activity": "self_help_meeting"}, "target": 3},
    {"id": "community_actions",
     "label": {"pl": "Akcje aktywizujące społeczność lokalną", "en": "Community activation actions"},
     "count": "sessions", "where": {"activity": "community_event"}, "target": 8},
    {"id": "reach_all",
     "label": {"pl": "Osoby, które skorzystały z działań", "en": "People reached by the programme"},
     "count": "reach", "target": 150},
    {"id": "empowerment_improved",
     "label": {"pl": "Osoby z rzetelną poprawą poczucia sprawczości", "en": "People with a reliable gain in agency"},
     "count": "improved", "instrument": "empowerment", "scale": "agency", "target": 5},
)


def project_yaml(name: str, *, lang: str = "pl", year: int | None = None) -> str:
    """The commented project.yaml of a new project called ``name``, its comments in ``lang``.

    The period is the calendar ``year`` (default: this one). Every key is
    one project.yaml may hold (``PROJECT_KEYS``); ``primary_outcomes`` is
    written as a comment only where validation does not know it yet.

    >>> import yaml
    >>> config = yaml.safe_load(project_yaml("Aktywne osiedle", lang="pl", year=2027))
    >>> config["name"], config["period"], config["min_cell"]
    ('Aktywne osiedle', {'start': '2027-01-01', 'end': '2027-12-31'}, 5)
    """
    lang = check_lang(lang)
    year = year or _dt.date.today().year

    def flow(value) -> str:
        return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                              width=10_000).strip().removesuffix("...").strip()

    def key(name_: str, value) -> list[str]:
        comment = [f"# {line}" for line in t(f"init.comment.{name_}", lang).splitlines()]
        line = f"{name_}: {flow(value)}"
        return ["", *comment, line if name_ in PROJECT_KEYS else f"# {line}"]

    lines = [f"# {line}" for line in t("init.comment.head", lang).splitlines()]
    lines += key("name", name)
    lines += key("period", {"start": f"{year}-01-01", "end": f"{year}-12-31"})
    lines += key("language", lang)
    lines += key("min_cell", 5)
    lines += key("instruments", list(INSTRUMENTS))
    lines += key("primary_outcomes", list(PRIMARY_OUTCOMES))
    lines += ["", *(f"# {line}" for line in t("init.comment.groups", lang).splitlines()), "groups:"]
    lines += [f"  {g}: {flow(label)}" for g, label in GROUPS.items()]
    lines += ["", *(f"# {line}" for line in t("init.comment.targets", lang).splitlines()), "targets:"]
    lines += [f"  - {flow(target)}" for target in TARGETS]
    return "\n".join(lines) + "\n"


def write_new_project(data_dir: str | Path, *, lang: str = "pl") -> list[Path]:
    """Write ``DATA/project.yaml`` and the blank workbook with one q_ sheet per instrument; return both paths.

    ``data_dir`` may exist, but must hold neither a project.yaml nor the
    workbook: nothing is overwritten (a :class:`~evaltools.errors.UsageError`
    says which file is in the way).
    """
    from evaltools.templates import workbook_name, write_templates

    lang = check_lang(lang)
    data_dir = Path(data_dir)
    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(t("init.error.file", lang, path=data_dir))
    for name in ("project.yaml", workbook_name(lang)):
        if (data_dir / name).exists():
            raise UsageError(t("init.error.exists", lang, path=data_dir / name))
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "project.yaml"
    path.write_text(project_yaml(data_dir.resolve().name, lang=lang), encoding="utf-8")
    return [path, *write_templates(data_dir, lang=lang, data_dir=data_dir)]
