"""The data contract (docs/data.md, generated from here) in one place.

Every table and column the toolkit reads is defined here once; validation
(:mod:`evaltools.validate`), the Excel templates and their codebook
(:mod:`evaltools.templates`) and the value checks (required cells, ranges)
are all generated from these definitions.

Examples
--------
>>> TABLES["attendance"].required_columns
('session_id', 'participant_id')
>>> sorted(CODES["wave"])
['baseline', 'endline', 'followup', 'midline']
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from evaltools.labels import t

# Codes of the contract. The order is the order shown in dropdowns.
CODES: dict[str, tuple[str, ...]] = {
    "component": ("family_support", "youth", "self_help", "community", "legal"),
    "role": ("adult", "youth", "child"),
    "sex": ("F", "M", "other", "unknown"),
    "wave": ("baseline", "endline", "midline", "followup"),
    "activity": (
        "self_help_meeting", "family_visit", "youth_individual", "youth_group",
        "community_event", "neighbourhood_meeting", "legal_advice",
        "children_activity", "parent_consultation", "staff_training", "supervision",
    ),
    "relation": ("family", "neighbour", "friend", "professional", "other"),
    "support": ("emotional", "practical", "informational"),
    "contact": ("daily", "weekly", "monthly", "rarely"),
    "yesno": ("yes", "no"),
    "arm": ("programme", "comparison"),
}

#: The contract's waves in the order they happen (``CODES["wave"]`` is the dropdown order).
WAVE_ORDER: tuple[str, ...] = ("baseline", "midline", "endline", "followup")


def wave_rank(wave: str) -> int:
    """A wave's place in time: its index in :data:`WAVE_ORDER`; a wave outside the contract comes after them.

    >>> [wave_rank(w) for w in ("endline", "midline", "other")]
    [2, 1, 4]
    """
    return WAVE_ORDER.index(wave) if wave in WAVE_ORDER else len(WAVE_ORDER)


def ordered_waves(waves) -> list[str]:
    """The distinct ``waves`` in time order (waves outside the contract last, in the order given).

    >>> ordered_waves(["endline", "midline", "baseline", "endline"])
    ['baseline', 'midline', 'endline']
    """
    return sorted(dict.fromkeys(waves), key=wave_rank)


#: Sessions of these activities have no participants and never count as reach.
STAFF_ACTIVITIES = ("staff_training", "supervision")

#: What a target of project.yaml may count (docs/targets.md).
TARGET_COUNTS = ("participants", "families", "sessions", "groups", "reach", "improved")
#: ``where`` keys of a target that select sessions, and those that select people.
TARGET_SESSION_KEYS = ("activity", "group")
TARGET_PERSON_KEYS = ("component", "role")
#: Keys a target may have.
TARGET_KEYS = ("id", "label", "count", "where", "min_sessions", "target", "instrument", "scale")
#: Which ``where`` keys and whether ``min_sessions`` mean something for each count.
TARGET_APPLIES = {
    "participants": {"where": TARGET_SESSION_KEYS + TARGET_PERSON_KEYS, "min_sessions": True},
    "families": {"where": TARGET_SESSION_KEYS + TARGET_PERSON_KEYS, "min_sessions": True},
    "reach": {"where": TARGET_SESSION_KEYS + TARGET_PERSON_KEYS, "min_sessions": True},
    "sessions": {"where": TARGET_SESSION_KEYS, "min_sessions": False},
    "groups": {"where": TARGET_SESSION_KEYS, "min_sessions": False},
    "improved": {"where": TARGET_PERSON_KEYS, "min_sessions": False},
}


@dataclass(frozen=True)
class Column:
    """One column of a table; ``kind`` (id, text, code, codes, int, number, date) says how a cell is read."""

    name: str
    kind: str
    required: bool = False
    codes: str | None = None  # key of CODES for kind code/codes
    min: float | None = None
    max: float | None = None
    example: object = None

    def label(self, lang: str, table: str) -> str:
        return t(f"schema.{table}.{self.name}.label", lang)

    def help(self, lang: str, table: str) -> str:
        return t(f"schema.{table}.{self.name}.help", lang)

    def allowed(self) -> tuple[str, ...]:
        return CODES[self.codes] if self.codes else ()


@dataclass(frozen=True)
class Table:
    name: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # columns that identify a row (duplicates are errors)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def label(self, lang: str) -> str:
        table = "questionnaire" if self.name.startswith("q_") else self.name
        return t(f"schema.{table}.label", lang)

    def help(self, lang: str) -> str:
        table = "questionnaire" if self.name.startswith("q_") else self.name
        return t(f"schema.{table}.help", lang)


C = Column
TABLES: dict[str, Table] = {
    "participants": Table(
        "participants", True,
        (
            C("participant_id", "id", True, example="P001"),
            C("family_id", "id", example="F01"),
            C("components", "codes", True, codes="component", example="family_support;legal"),
            C("group", "text", example="G1"),
            C("role", "code", codes="role", example="adult"),
            C("sex", "code", codes="sex", example="F"),
            C("birth_year", "int", min=1900, max=2030, example=1985),
            C("enrolled_on", "date", example="2021-01-15"),
            C("exited_on", "date"),
            C("exit_reason", "text"),
            C("arm", "code", codes="arm", example="programme"),  # empty = programme
        ),
        key=("participant_id",),
    ),
    "sessions": Table(
        "sessions", True,
        (
            C("session_id", "id", True, example="S001"),
            C("date", "date", True, example="2021-02-03"),
            C("activity", "code", True, codes="activity", example="self_help_meeting"),
            C("group", "text", example="G1"),
            C("duration_min", "number", min=0, max=24 * 60, example=90),
            C("headcount", "int", min=0, max=100_000, example=0),
        ),
        key=("session_id",),
    ),
    "attendance": Table(
        "attendance", True,
        (
            C("session_id", "id", True, example="S001"),
            C("participant_id", "id", True, example="P001"),
        ),
        key=("session_id", "participant_id"),
    ),
    "ties": Table(
        "ties", False,
        (
            C("participant_id", "id", True, example="P001"),
            C("wave", "code", True, codes="wave", example="baseline"),
            C("alter", "text", example="A1"),
            C("alter_participant_id", "id", example="P002"),
            C("relation", "code", codes="relation", example="neighbour"),
            C("support", "codes", codes="support", example="emotional;practical"),
            C("contact", "code", codes="contact", example="weekly"),
            C("on_estate", "code", codes="yesno", example="yes"),
        ),
        key=("participant_id", "wave", "alter"),
    ),
}

QUESTIONNAIRE_COLUMNS: tuple[Column, ...] = (
    C("participant_id", "id", True, example="P001"),
    C("wave", "code", True, codes="wave", example="baseline"),
    C("date", "date", example="2021-01-20"),
)


def questionnaire_table(instrument) -> Table:
    """The ``q_<id>`` table of an instrument: keys, date, one number column per item."""
    items = tuple(
        Column(item_id, "number", min=instrument.response_min, max=instrument.response_max)
        for item_id in instrument.item_ids
    )
    return Table(f"q_{instrument.id}", True, QUESTIONNAIRE_COLUMNS + items,
                 key=("participant_id", "wave"))


def split_codes(value) -> list[str]:
    """The codes of a ``;``-list cell, in order, without blanks.

    >>> split_codes("family_support; legal;")
    ['family_support', 'legal']
    """
    if value is None or (isinstance(value, float) and value != value):
        return []
    return [part.strip() for part in str(value).replace(",", ";").split(";") if part.strip()]


def is_filled(value) -> bool:
    """Whether a cell or a YAML value holds something: not None, not NaN, not blank text.

    >>> [is_filled(v) for v in (None, float("nan"), "  ", "x", 0)]
    [False, False, False, True, True]
    """
    if value is None:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and not value.strip())


def is_finite_number(value) -> bool:
    """Whether a YAML value is a finite number (a bool is not one).

    >>> [is_finite_number(v) for v in (3, 2.5, True, float("inf"), "3")]
    [True, True, False, False, False]
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
