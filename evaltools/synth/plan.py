"""The plan of a demo: how many of everything for N people, and the calendar of 2021 it lives in."""

from __future__ import annotations

import numpy as np

from evaltools.errors import UsageError
from evaltools.schema import CODES


PROJECT_NAME = "Razem zmieniamy jutro – Białystok 2021"
#: People in the default demo; ``participants=N`` scales the programme to N.
N_DEFAULT = 75
#: Instruments of the demo project, in project.yaml order.
INSTRUMENTS = ("empowerment", "recovery", "independence", "social_support", "civic_activity")
FORMATS = ("csv", "xlsx")
#: Waves of the default demo; ``waves=`` may add ``midline`` and ``followup``.
WAVES_DEFAULT = ("baseline", "endline")
WAVE_ORDER = ("baseline", "midline", "endline", "followup")
EXTRA_STREAM = 15  # second seed word of the generator of the extras (comparison arm, midline, follow-up)

_YEAR = np.datetime64("2021-01-01", "D")
LAST_DAY = 364  # 2021-12-31
# The default programme's make-up (per 75 people): see the module docstring.
_YOUTH, _RESIDENTS, _FAMILY_MEMBERS, _FAMILIES, _ADULTS = 6, 12, 57, 20, 32
SUMMER_BREAK = (196, 227)  # 2021-07-16 .. 2021-08-16: no self-help or youth group meetings
_KINDS = ("family_adult", "child", "youth", "resident")
KIND_ADULT, KIND_CHILD, KIND_YOUTH, KIND_RESIDENT = range(4)
EXIT_REASONS = ("withdrew", "no_contact", "work", "health", "moved")
RELATIONS = CODES["relation"]  # family, neighbour, friend, professional, other
CONTACTS = CODES["contact"]  # daily, weekly, monthly, rarely
SUPPORTS = CODES["support"]  # emotional, practical, informational


def round_half_up(x) -> int:
    """Round half up (Python's round() rounds half to even)."""
    return int(np.floor(float(x) + 0.5))


def month_start_day(month: int) -> int:
    """Day offset of the first of ``month`` 2021."""
    return int((np.datetime64(f"2021-{month:02d}-01", "D") - _YEAR).astype(int))


def iso_dates(days) -> np.ndarray:
    """Day offsets (NaN = missing) as ISO date strings (None = missing)."""
    days = np.asarray(days, dtype=float)
    out = np.full(days.shape, None, dtype=object)
    ok = ~np.isnan(days)
    out[ok] = (_YEAR + days[ok].astype(int)).astype(str)
    return out



class Plan:
    """How many of everything, for N people (the default programme when N is None)."""

    def __init__(self, participants: int | None):
        n = N_DEFAULT if participants is None else participants
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise UsageError(f"participants must be a whole number of at least 1, found {participants!r}")
        n = int(n)
        self.n = n
        self.scale = n / N_DEFAULT
        self.youth = round_half_up(n * _YOUTH / N_DEFAULT)
        self.residents = round_half_up(n * _RESIDENTS / N_DEFAULT)
        members = n - self.youth - self.residents
        self.families = max(1, round_half_up(members * _FAMILIES / _FAMILY_MEMBERS)) if members else 0
        self.adults = min(max(round_half_up(members * _ADULTS / _FAMILY_MEMBERS), self.families),
                          2 * self.families, members)
        self.children = members - self.adults
        self.assisted = round_half_up(self.families * 15 / 20)
        # Sites: one per 75 people; community-wide activities happen per site.
        self.sites = max(1, round_half_up(self.scale))
        self.groups = max(1, round_half_up(3 * self.scale)) if self.adults + self.residents else 0




def numbered_ids(prefix: str, n: int, width_min: int = 3) -> np.ndarray:
    width = max(width_min, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)
