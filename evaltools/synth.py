"""Synthetic demo data shaped like the Białystok programme (docs/data.md, docs/targets.md; ``evaltools demo-data``).

Everything here is invented and seeded (``numpy.random.default_rng(seed)``):
the same seed gives the same tables and the same file bytes.

What the default demo holds (75 people, the programme of
``program/``): 20 families at risk (adults and children), 15 of them with a
family assistant (``family_visit`` sessions, about three a month); 6 young
people of 13–20 in the independence programme (individual sessions and a
group every other week); 3 self-help groups (``G1``–``G3``, 8–12 adults
each, meeting weekly from February with a summer break) whose members come
from the families and from other residents; other residents registered at
community events; exactly 8 community actions and 5 neighbourhood meetings
per 75 people, with anonymous ``headcount`` chosen so that community
actions reach about 100 people and the programme about 150; legal advice,
children's activities, parent consultations, staff training and supervision
(the last two without attendance). About 12 % of the people leave before the
end (``exited_on``, ``exit_reason``); about 12.5 % of those who answered the
baseline questionnaires have no endline, mostly the ones who left.

Questionnaires (``q_<id>``) are answered at baseline (January–February) and
endline (November–December) by the people each instrument suits: adults
answer empowerment, social support and civic activity, family adults also
recovery, the young people empowerment, social support and independence.
Answers come from a latent trait per person and scale plus item noise;
endline adds a modest improvement (about 0.45 latent SD on average) that
grows with the number of sessions attended (a dose effect). Reversed items
are answered consistently (``min + max - x``); about 2 % of answers are
blank and 0.6 % carry a missing code (9, rarely 99). Ego networks (``ties``)
list 2–8 alters per person and wave, some of them other participants
(spouses, fellow group members, other young people); self-help members name
more of their group at endline.

``participants=N`` scales everything (families, groups, sessions, sites of
community activities, targets) to N people for benchmarks.

Examples
--------
>>> config, tables = demo_tables(seed=0)
>>> config["name"], len(tables["participants"])
('Razem zmieniamy jutro – Białystok 2021', 75)
>>> int((tables["sessions"]["activity"] == "community_event").sum())
8
>>> [name for name in tables if name.startswith("q_")]
['q_empowerment', 'q_recovery', 'q_independence', 'q_social_support', 'q_civic_activity']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from evaltools.errors import UsageError
from evaltools.instruments import Instrument, find_instrument
from evaltools.labels import LANGS
from evaltools.schema import CODES, TABLES

PROJECT_NAME = "Razem zmieniamy jutro – Białystok 2021"
#: People in the default demo; ``participants=N`` scales the programme to N.
N_DEFAULT = 75
#: Instruments of the demo project, in project.yaml order.
INSTRUMENTS = ("empowerment", "recovery", "independence", "social_support", "civic_activity")
FORMATS = ("csv", "xlsx")
#: Waves of the default demo; ``waves=`` may add ``midline`` and ``followup``.
WAVES_DEFAULT = ("baseline", "endline")
_WAVE_ORDER = ("baseline", "midline", "endline", "followup")
_EXTRA_STREAM = 15  # second seed word of the generator of the extras (comparison arm, midline, follow-up)

_YEAR = np.datetime64("2021-01-01", "D")
_LAST_DAY = 364  # 2021-12-31
# The default programme's make-up (per 75 people): see the module docstring.
_YOUTH, _RESIDENTS, _FAMILY_MEMBERS, _FAMILIES, _ADULTS = 6, 12, 57, 20, 32
_SUMMER = (196, 227)  # 2021-07-16 .. 2021-08-16: no self-help or youth group meetings
_KINDS = ("family_adult", "child", "youth", "resident")
_ADULT, _CHILD, _YOUTH_K, _RESIDENT = range(4)
_EXIT_REASONS = ("withdrew", "no_contact", "work", "health", "moved")
_RELATIONS = CODES["relation"]  # family, neighbour, friend, professional, other
_CONTACTS = CODES["contact"]  # daily, weekly, monthly, rarely
_SUPPORTS = CODES["support"]  # emotional, practical, informational


def _round(x) -> int:
    """Round half up (Python's round() rounds half to even)."""
    return int(np.floor(float(x) + 0.5))


def _month_day(month: int) -> int:
    """Day offset of the first of ``month`` 2021."""
    return int((np.datetime64(f"2021-{month:02d}-01", "D") - _YEAR).astype(int))


def _iso(days) -> np.ndarray:
    """Day offsets (NaN = missing) as ISO date strings (None = missing)."""
    days = np.asarray(days, dtype=float)
    out = np.full(days.shape, None, dtype=object)
    ok = ~np.isnan(days)
    out[ok] = (_YEAR + days[ok].astype(int)).astype(str)
    return out


# =========================================================================== public


def demo_tables(*, seed: int = 0, participants: int | None = None, comparison: int = 0,
                waves: Sequence[str] = WAVES_DEFAULT) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The demo project in memory: its project.yaml and its tables.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same data.
    participants
        Number of people; ``None`` is the programme's own size (75). Larger
        numbers scale families, groups, sites and sessions proportionally.
    comparison
        Number of people in a comparison arm (``arm = comparison``):
        residents of a neighbouring estate who answer the adults'
        questionnaires at baseline and endline, attend no session, have no
        components and change less than the programme's people (about 0.1
        latent SD). Their ids are ``C001``, ``C002``, ...
    waves
        The questionnaire waves, in time order: ``baseline``, optionally
        ``midline`` (June), ``endline``, optionally ``followup`` (March of
        the next year, after the period's end). The programme's people answer
        every wave; the comparison arm baseline and endline only.

    Every extra (comparison arm, midline, follow-up) is drawn from its own
    seeded generator, so the programme's baseline and endline tables are the
    same with or without them, and the default demo is unchanged.

    Returns
    -------
    config : dict
        The content of project.yaml (name, period, language ``pl``,
        instruments, min_cell, primary_outcomes, groups, targets).
    tables : dict of str to DataFrame
        ``participants``, ``sessions``, ``attendance``, ``ties`` and one
        ``q_<id>`` per instrument, with the contract's column names, as they
        are written to CSV: ids, codes and ``;``-lists as strings, dates as
        ISO strings, counts and answers as nullable integers.

    Examples
    --------
    >>> config, tables = demo_tables(seed=1, participants=150)
    >>> len(tables["participants"]), int((tables["sessions"]["activity"] == "community_event").sum())
    (150, 16)
    """
    plan = _Plan(participants)
    waves = _check_extras(comparison, waves)
    rng = np.random.default_rng(seed)
    extra = np.random.default_rng([seed, _EXTRA_STREAM])  # never the default stream: the default demo stays as it was
    instruments = {i: find_instrument(i) for i in INSTRUMENTS}

    people = _people(rng, plan)
    sessions = _sessions(rng, plan, people)
    sessions, attendance = _attendance(rng, people, sessions)
    sessions = _headcounts(rng, plan, people, sessions, attendance)
    dose = np.bincount(attendance["p"].to_numpy(), minlength=len(people["kind"]))
    questionnaires = _questionnaires(rng, people, dose, instruments, extra=extra, waves=waves)
    ties = _ties(rng, people, dose)
    if comparison:
        questionnaires = _comparison_answers(extra, len(people["kind"]), comparison, instruments, questionnaires)

    tables = _contract_tables(plan, people, sessions, attendance, ties, questionnaires,
                              comparison=_comparison_people(extra, comparison) if comparison else None)
    return _config(plan), tables


def until_baseline(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """What staff will have typed by the baseline run: the year cut after the last baseline answer.

    Questionnaires and ties keep their baseline rows; sessions, attendance and
    participants keep what happened up to that day (later exits are not known yet).

    >>> _, tables = demo_tables(seed=1)
    >>> spring = until_baseline(tables)
    >>> sorted(set(spring["q_empowerment"]["wave"]))
    ['baseline']
    """
    q_names = [n for n in tables if n.startswith("q_")]
    base_dates = pd.concat([tables[n].loc[tables[n]["wave"] == "baseline", "date"] for n in q_names])
    cut = pd.to_datetime(base_dates).max()
    out = {n: tables[n][tables[n]["wave"] == "baseline"].reset_index(drop=True) for n in q_names}
    if "ties" in tables:
        out["ties"] = tables["ties"][tables["ties"]["wave"] == "baseline"].reset_index(drop=True)
    sessions = tables["sessions"][pd.to_datetime(tables["sessions"]["date"]) <= cut].reset_index(drop=True)
    out["sessions"] = sessions
    att = tables["attendance"]
    out["attendance"] = att[att["session_id"].isin(sessions["session_id"])].reset_index(drop=True)
    people = tables["participants"].copy()
    people = people[pd.to_datetime(people["enrolled_on"]).fillna(cut) <= cut].reset_index(drop=True)
    later = pd.to_datetime(people["exited_on"]) > cut
    people.loc[later, ["exited_on", "exit_reason"]] = None
    out["participants"] = people
    keep = set(people["participant_id"])
    for name in q_names + ["ties", "attendance"]:
        if name in out:
            out[name] = out[name][out[name]["participant_id"].isin(keep)].reset_index(drop=True)
    if "ties" in out:
        alter = out["ties"]["alter_participant_id"]
        out["ties"] = out["ties"][alter.isna() | alter.isin(keep)].reset_index(drop=True)
    return {n: out[n] for n in tables}


def write_demo_data(out: str | Path, *, seed: int = 0, participants: int | None = None, fmt: str = "csv",
                    lang: str = "pl", until: str | None = None, comparison: int = 0,
                    waves: Sequence[str] = WAVES_DEFAULT) -> Path:
    """Write the demo data folder (``evaltools demo-data``) and return its path.

    Parameters
    ----------
    out
        The folder to create. It must not exist, or be empty: the demo never
        overwrites anything.
    seed, participants, comparison, waves
        As in :func:`demo_tables`.
    fmt
        ``csv``: one ``<table>.csv`` per table (UTF-8, comma-separated, ISO
        dates) beside ``project.yaml``. ``xlsx``: the tables typed into the
        Excel template (:func:`evaltools.templates.write_filled_workbook`) as
        ``<out>/<out name>.xlsx``, beside ``project.yaml``.
    lang
        ``pl`` or ``en``: the project's language and the template's.
    until
        ``"baseline"``: only what staff will have typed by the baseline run
        (:func:`until_baseline`); ``None``: the whole year.

    Raises
    ------
    UsageError
        ``out`` is a file or a folder that is not empty, or ``fmt``/``lang``
        is not known.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r} is not known; expected csv or xlsx")
    if lang not in LANGS:
        raise UsageError(f"language {lang!r} is not known; expected {' or '.join(LANGS)}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file; the demo data needs a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"{out}: the folder exists and is not empty; the demo data needs a new or empty folder")
    if until not in (None, "baseline", "endline"):
        raise UsageError(f"--until {until!r} is not known; expected baseline or endline")
    config, tables = demo_tables(seed=seed, participants=participants, comparison=comparison, waves=waves)
    if until == "baseline":
        tables = until_baseline(tables)
    config["language"] = lang
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        for name, df in tables.items():
            df.to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    else:
        from evaltools.templates import write_filled_workbook
        write_filled_workbook(out / f"{out.name}.xlsx", tables, lang=lang,
                              instruments=[find_instrument(i) for i in config["instruments"]])
    options = (f" --comparison {comparison}" if comparison else "") + (
        f" --waves {','.join(waves)}" if tuple(waves) != WAVES_DEFAULT else "")
    (out / "project.yaml").write_text(_project_yaml(config, seed=seed, n=len(tables["participants"]),
                                                    options=options), encoding="utf-8")
    return out


def _check_extras(comparison, waves) -> tuple[str, ...]:
    """The waves as a tuple, after checking both extras (a UsageError names what is wrong)."""
    if isinstance(comparison, bool) or not isinstance(comparison, (int, np.integer)) or comparison < 0:
        raise UsageError(f"comparison must be a whole number of at least 0, found {comparison!r}")
    waves = tuple(str(w).strip() for w in ([waves] if isinstance(waves, str) else waves))
    if len(waves) == 1 and "," in waves[0]:
        waves = tuple(w.strip() for w in waves[0].split(","))
    unknown = [w for w in waves if w not in _WAVE_ORDER]
    if unknown or len(set(waves)) != len(waves) or "baseline" not in waves or "endline" not in waves \
            or list(waves) != [w for w in _WAVE_ORDER if w in waves]:
        raise UsageError(f"waves {','.join(waves)!r} are not known; expected baseline,[midline,]endline[,followup]"
                         " in this order")
    return waves


# =========================================================================== the plan


class _Plan:
    """How many of everything, for N people (the default programme when N is None)."""

    def __init__(self, participants: int | None):
        n = N_DEFAULT if participants is None else participants
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise UsageError(f"participants must be a whole number of at least 1, found {participants!r}")
        n = int(n)
        self.n = n
        self.scale = n / N_DEFAULT
        self.youth = _round(n * _YOUTH / N_DEFAULT)
        self.residents = _round(n * _RESIDENTS / N_DEFAULT)
        members = n - self.youth - self.residents
        self.families = max(1, _round(members * _FAMILIES / _FAMILY_MEMBERS)) if members else 0
        self.adults = min(max(_round(members * _ADULTS / _FAMILY_MEMBERS), self.families),
                          2 * self.families, members)
        self.children = members - self.adults
        self.assisted = _round(self.families * 15 / 20)
        # Sites: one per 75 people; community-wide activities happen per site.
        self.sites = max(1, _round(self.scale))
        self.groups = max(1, _round(3 * self.scale)) if self.adults + self.residents else 0


# =========================================================================== people


def _people(rng, plan: _Plan) -> dict[str, np.ndarray]:
    """Everyone, as arrays; row order = participant_id order (families, youth, residents)."""
    F = plan.families
    fam_adults = np.ones(F, dtype=int)
    if plan.adults > F:
        fam_adults[rng.choice(F, plan.adults - F, replace=False)] += 1
    fam_children = np.zeros(F, dtype=int)
    if F:
        if plan.children >= F:
            fam_children += 1 + rng.multinomial(plan.children - F, np.full(F, 1 / F))
        elif plan.children:
            fam_children[rng.choice(F, plan.children, replace=False)] = 1
    assisted_family = np.zeros(F, dtype=bool)
    assisted_family[rng.choice(F, plan.assisted, replace=False)] = True

    fam_of_adult = np.repeat(np.arange(F), fam_adults)
    fam_of_child = np.repeat(np.arange(F), fam_children)
    fam = np.concatenate([fam_of_adult, fam_of_child])
    kind = np.concatenate([np.full(len(fam_of_adult), _ADULT), np.full(len(fam_of_child), _CHILD)])
    order = np.lexsort((kind, fam))  # by family, adults first
    fam, kind = fam[order], kind[order]
    n_fam_members = len(fam)
    kind = np.concatenate([kind, np.full(plan.youth, _YOUTH_K), np.full(plan.residents, _RESIDENT)])
    fam = np.concatenate([fam, np.full(plan.youth + plan.residents, -1)])
    n = len(kind)
    idx = np.arange(n)

    # rank of an adult within the family (0 = the first adult)
    first_of_fam = np.r_[True, fam[1:] != fam[:-1]]
    run_start = np.maximum.accumulate(np.where(first_of_fam, idx, 0))
    rank = idx - run_start
    adult = kind == _ADULT
    two_adults = np.zeros(n, dtype=bool)
    two_adults[:n_fam_members] = fam_adults[fam[:n_fam_members]] == 2

    # sites: families, youth and residents spread over the sites
    site = np.empty(n, dtype=int)
    site[:n_fam_members] = fam[:n_fam_members] % plan.sites
    site[n_fam_members:] = np.arange(n - n_fam_members) % plan.sites

    sex = np.where(rng.random(n) < 0.5, "F", "M").astype(object)
    single = adult & ~two_adults
    sex[single] = np.where(rng.random(single.sum()) < 0.85, "F", "M")
    sex[adult & two_adults] = np.where(rank[adult & two_adults] == 0, "F", "M")
    resident = kind == _RESIDENT
    sex[resident] = np.where(rng.random(resident.sum()) < 0.6, "F", "M")
    sex[rng.random(n) < 0.01] = "unknown"

    birth = np.empty(n, dtype=int)
    birth[adult] = rng.integers(1966, 1999, adult.sum())
    first_adult_birth = np.zeros(max(F, 1), dtype=int)
    first_adult_birth[fam[adult & (rank == 0)]] = birth[adult & (rank == 0)]
    child = kind == _CHILD
    lo = np.minimum(np.maximum(2009, first_adult_birth[fam[child]] + 19), 2018)
    birth[child] = lo + (rng.random(child.sum()) * (2019 - lo)).astype(int)
    youth = kind == _YOUTH_K
    birth[youth] = rng.integers(2001, 2009, youth.sum())  # 13-20 years old in 2021
    birth[resident] = rng.integers(1950, 2001, resident.sum())

    assisted = np.zeros(n, dtype=bool)
    assisted[:n_fam_members] = assisted_family[fam[:n_fam_members]]
    propensity = rng.beta(5.0, 2.2, n)  # how regularly a person comes; mean about 0.7

    group = _self_help_groups(rng, plan, kind, site, assisted)
    in_group = group >= 0
    # Components, as flags in the contract's order.
    comp = {c: np.zeros(n, dtype=bool) for c in CODES["component"]}
    comp["family_support"][assisted & (adult | child)] = True
    comp["youth"][youth] = True
    comp["self_help"][in_group] = True
    comp["legal"][adult & ~assisted] = True
    comp["legal"][adult & assisted & (rng.random(n) < 0.4)] = True
    comp["community"][resident | (child & ~assisted)] = True
    comp["community"][(adult | youth) & (rng.random(n) < 0.3)] = True

    respondent = adult | youth | (resident & in_group)

    # Enrolment (day of 2021): families together in January-February, so are the young
    # people and the self-help residents; other residents join at events through the year.
    family_day = rng.integers(3, 42, max(F, 1))
    enrolled = np.empty(n, dtype=float)
    enrolled[:n_fam_members] = family_day[fam[:n_fam_members]]
    enrolled[youth] = rng.integers(3, 45, youth.sum())
    enrolled[resident & in_group] = rng.integers(3, 42, (resident & in_group).sum())
    late = resident & ~in_group
    enrolled[late] = rng.integers(31, 273, late.sum())

    exited, reason, endline = _exits(rng, plan, kind, fam, respondent, enrolled, propensity)

    return {"kind": kind, "fam": fam, "rank": rank, "site": site, "sex": sex, "birth": birth,
            "assisted": assisted, "propensity": propensity, "group": group, "comp": comp,
            "respondent": respondent, "enrolled": enrolled, "exited": exited, "reason": reason,
            "endline": endline, "n_families": F}


def _self_help_groups(rng, plan: _Plan, kind, site, assisted) -> np.ndarray:
    """Group index of each person (-1 = none): 8-12 adults per group, from the group's site.

    Adults of families without a family assistant come first (the group is
    their way into the programme), then other family adults and residents.
    """
    n = len(kind)
    group = np.full(n, -1)
    if not plan.groups:
        return group
    eligible = np.flatnonzero((kind == _ADULT) | (kind == _RESIDENT))
    key = rng.random(len(eligible))
    key = np.where((kind[eligible] == _ADULT) & ~assisted[eligible], key - 2.0, key)
    key = np.where(kind[eligible] == _RESIDENT, key + 0.35, key)
    order = np.lexsort((key, site[eligible]))
    cand = eligible[order]
    cand_site = site[cand]
    cand_rank = np.arange(len(cand)) - np.searchsorted(cand_site, cand_site)  # rank within site

    g_site = np.arange(plan.groups) % plan.sites
    sizes = rng.integers(8, 13, plan.groups)
    # A site cannot put more than 80 % of its eligible adults into groups (small N).
    per_site_eligible = np.bincount(cand_site, minlength=plan.sites)
    per_site_slots = np.bincount(g_site, weights=sizes, minlength=plan.sites)
    factor = np.minimum(1.0, 0.8 * per_site_eligible / np.maximum(per_site_slots, 1))
    sizes = np.maximum(1, np.floor(sizes * factor[g_site] + 1e-9).astype(int))
    sizes = np.where(per_site_eligible[g_site] > 0, sizes, 0)

    g_order = np.lexsort((np.arange(plan.groups), g_site))
    cum = np.cumsum(sizes[g_order])
    site_start = np.concatenate([[0], np.cumsum(np.bincount(g_site[g_order], weights=sizes[g_order],
                                                            minlength=plan.sites))[:-1]]).astype(int)
    slots_in_site = np.bincount(g_site, weights=sizes, minlength=plan.sites).astype(int)
    member = cand_rank < slots_in_site[cand_site]
    slot = site_start[cand_site[member]] + cand_rank[member]
    group[cand[member]] = g_order[np.searchsorted(cum, slot, side="right")]
    return group


def _exits(rng, plan: _Plan, kind, fam, respondent, enrolled, propensity):
    """Who leaves (exited_on, exit_reason) and who answers the endline.

    About 12.5 % of the respondents have no endline: the members of a family
    that moved away, people who left (more often those who came rarely), and
    a few who stayed but missed the endline. Other exits (children, residents)
    bring the share of people who left to about 12 %.
    """
    n = len(kind)
    exited = np.full(n, np.nan)
    reason = np.full(n, None, dtype=object)
    no_endline = np.zeros(n, dtype=bool)
    F = plan.families

    n_moved = _round(F * 0.05)
    if n_moved:
        moved_fams = rng.choice(F, n_moved, replace=False)
        move_day = np.full(max(F, 1), np.nan)
        move_day[moved_fams] = rng.integers(91, 305, n_moved)
        moved = (fam >= 0) & np.isin(fam, moved_fams)
        exited[moved] = move_day[fam[moved]]
        reason[moved] = "moved"
        no_endline[moved & respondent] = True

    resp = np.flatnonzero(respondent & ~no_endline)
    wanted = _round(0.125 * respondent.sum()) - int((no_endline & respondent).sum())
    if wanted > 0 and len(resp):
        weight = (1.0 - propensity[resp]) ** 2
        drop = rng.choice(resp, min(wanted, len(resp)), replace=False, p=weight / weight.sum())
        no_endline[drop] = True
        stay = drop[: _round(len(drop) * 0.2)]  # stayed in the programme, missed the endline
        leave = drop[len(stay):]
        exited[leave] = rng.integers(91, 305, len(leave))
        reason[leave] = rng.choice(_EXIT_REASONS, len(leave), p=[0.35, 0.25, 0.15, 0.1, 0.15])

    more = _round(0.12 * n) - int(np.isfinite(exited).sum())
    others = np.flatnonzero(~respondent & ~np.isfinite(exited))
    if more > 0 and len(others):
        pick = rng.choice(others, min(more, len(others)), replace=False)
        exited[pick] = rng.integers(60, 330, len(pick))
        reason[pick] = rng.choice(("moved", "no_contact", "withdrew"), len(pick))
    exited = np.where(np.isfinite(exited), np.maximum(exited, enrolled + 30), np.nan)
    exited = np.minimum(exited, 330)
    endline = respondent & ~no_endline
    return exited, reason, endline


# =========================================================================== sessions


def _recurring(rng, starts, ends, gaps, nmax: int):
    """Dates from each unit's start to its end with gaps drawn from ``gaps``: (unit, day)."""
    starts = np.asarray(starts, dtype=int)
    if not len(starts):
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    step = rng.choice(np.asarray(gaps), size=(len(starts), nmax))
    step[:, 0] = 0
    days = starts[:, None] + np.cumsum(step, axis=1)
    keep = days <= np.asarray(ends)[:, None]
    unit = np.broadcast_to(np.arange(len(starts))[:, None], days.shape)
    return unit[keep], days[keep]


def _monthly(rng, n_sites: int, months: list[int], k: int, lo=0, hi=25):
    """``k`` sessions per site in ``k`` distinct months of ``months``: (site, day)."""
    if k == 0 or n_sites == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    pick = np.argsort(rng.random((n_sites, len(months))), axis=1)[:, :k]
    starts = np.array([_month_day(m) for m in months])
    days = starts[pick] + rng.integers(lo, hi + 1, size=pick.shape)
    return np.repeat(np.arange(n_sites), k), days.ravel()


def _summer(days) -> np.ndarray:
    return (days >= _SUMMER[0]) & (days <= _SUMMER[1])


def _sessions(rng, plan: _Plan, people) -> pd.DataFrame:
    """Every session: day, activity, group, duration, and the pool its attendees come from."""
    kind, fam, enrolled, exited = people["kind"], people["fam"], people["enrolled"], people["exited"]
    end_of = np.where(np.isfinite(exited), exited, 352)
    parts = []

    def add(activity, day, pool, duration, group=-1):
        day = np.asarray(day, dtype=int)
        parts.append(pd.DataFrame({
            "day": day, "activity": activity, "pool": np.asarray(pool, dtype=int),
            "group": np.broadcast_to(np.asarray(group), day.shape).astype(int),
            "duration": np.broadcast_to(np.asarray(duration), day.shape).astype(int)}))

    # Self-help groups: weekly-ish from February to mid-December, with a summer break.
    G = plan.groups
    if G:
        u, d = _recurring(rng, 35 + rng.integers(0, 14, G), np.full(G, 350), [7] * 8 + [6, 8, 14], 60)
        keep = ~_summer(d) & (rng.random(len(d)) > 0.08)
        add("self_help_meeting", d[keep], u[keep], rng.choice([90, 120], keep.sum()), u[keep])

    # Family assistant visits: every 7-16 days while a family adult is still in the programme.
    F = people["n_families"]
    adult = kind == _ADULT
    fam_ids = np.flatnonzero(np.bincount(fam[adult & people["assisted"]], minlength=F) > 0) if F else []
    if len(fam_ids):
        last = np.full(F, -1.0)
        np.maximum.at(last, fam[adult], end_of[adult])
        first = np.full(F, 400.0)
        np.minimum.at(first, fam[adult], enrolled[adult])
        u, d = _recurring(rng, first[fam_ids] + rng.integers(0, 7, len(fam_ids)), np.minimum(last[fam_ids], 352),
                          np.arange(7, 17), 60)
        add("family_visit", d, fam_ids[u], rng.choice([60, 75, 90, 120], len(d)))

    # Youth: individual sessions every 10-20 days; a group every other week per site.
    youth = np.flatnonzero(kind == _YOUTH_K)
    if len(youth):
        u, d = _recurring(rng, enrolled[youth] + rng.integers(2, 9, len(youth)), np.minimum(end_of[youth], 352),
                          np.arange(10, 21), 40)
        add("youth_individual", d, youth[u], 60)
        sites_with_youth = np.unique(people["site"][youth])
        u, d = _recurring(rng, 40 + rng.integers(0, 7, len(sites_with_youth)), np.full(len(sites_with_youth), 350),
                          [14, 14, 14, 21], 30)
        keep = ~_summer(d)
        add("youth_group", d[keep], sites_with_youth[u[keep]], 120)

    S = plan.sites
    # Exactly 8 community actions and 5 neighbourhood meetings per site.
    s, d = _monthly(rng, S, [3, 4, 5, 6, 7, 8, 9, 10, 12], 8, lo=0, hi=20)
    add("community_event", d, s, rng.choice([180, 240], len(d)))
    s, d = _monthly(rng, S, [4, 5, 6, 9, 10, 11], 5)
    add("neighbourhood_meeting", d, s, 120)
    # Children's activities in our rooms, about every ten days; parent consultations monthly.
    u, d = _recurring(rng, 10 + rng.integers(0, 7, S), np.full(S, 350), np.arange(7, 15), 60)
    add("children_activity", d, u, rng.choice([90, 120], len(d)))
    s, d = _monthly(rng, S, [2, 3, 4, 5, 6, 7, 9, 10, 11, 12], 10)
    add("parent_consultation", d, s, rng.choice([60, 90], len(d)))

    # Legal advice: 1-3 consultations for each adult with the legal component.
    legal = np.flatnonzero(people["comp"]["legal"])
    if len(legal):
        k = 1 + rng.binomial(2, 0.4, len(legal))
        who = np.repeat(legal, k)
        lo = enrolled[who] + 7
        hi = np.maximum(np.minimum(end_of[who], 345), lo + 1)
        add("legal_advice", (lo + rng.random(len(who)) * (hi - lo)).astype(int), who, rng.choice([45, 60], len(who)))

    # Staff: two training days, monthly supervision except August (no attendance).
    s, d = _monthly(rng, S, [1, 3], 2, lo=10, hi=25)
    add("staff_training", d, s, rng.choice([360, 480], len(d)))
    s, d = _monthly(rng, S, [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12], 11)
    add("supervision", d, s, rng.choice([120, 180], len(d)))

    sessions = pd.concat(parts, ignore_index=True)
    sessions["day"] = sessions["day"].clip(1, _LAST_DAY - 10)
    act_rank = sessions["activity"].map({a: i for i, a in enumerate(CODES["activity"])})
    order = np.lexsort((sessions["pool"].to_numpy(), act_rank.to_numpy(), sessions["day"].to_numpy()))
    return sessions.iloc[order].reset_index(drop=True)


# =========================================================================== attendance


def _attendance(rng, people, sessions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who attended which session: members of the session's pool, while enrolled, by their propensity."""
    kind, site, p = people["kind"], people["site"], people["propensity"]
    n = len(kind)
    idx = np.arange(n)
    in_group = people["group"] >= 0
    scaled = np.clip(p / 0.7, 0, 1.4)
    enrolled = people["enrolled"]
    end_of = np.where(np.isfinite(people["exited"]), people["exited"], 400)
    has_child = np.zeros(n, dtype=bool)
    fam = people["fam"]
    if people["n_families"]:
        fam_with_child = np.bincount(fam[kind == _CHILD], minlength=people["n_families"]) > 0
        has_child = (kind == _ADULT) & fam_with_child[np.maximum(fam, 0)]

    def pool(mask, key, prob):
        return pd.DataFrame({"p": idx[mask], "pool": np.asarray(key)[mask], "prob": np.asarray(prob)[mask]})

    comm_prob = np.select([(kind == _RESIDENT) & ~in_group, kind == _RESIDENT, kind == _ADULT, kind == _CHILD],
                          [0.32, 0.25, 0.08, 0.06], 0.08) * scaled
    nb_prob = np.select([in_group, kind == _RESIDENT, kind == _ADULT], [0.45, 0.25, 0.05], 0.05) * scaled
    pools = {
        "self_help_meeting": pool(in_group, people["group"], p),
        "family_visit": pool(kind == _ADULT, fam, np.where(people["rank"] == 0, 0.95, 0.45)),
        "youth_individual": pool(kind == _YOUTH_K, idx, np.ones(n)),
        "legal_advice": pool(people["comp"]["legal"], idx, np.ones(n)),
        "youth_group": pool(kind == _YOUTH_K, site, 0.85 * p),
        "community_event": pool(np.ones(n, dtype=bool), site, comm_prob),
        "neighbourhood_meeting": pool(kind != _CHILD, site, nb_prob),
        "children_activity": pool(kind == _CHILD, site, 0.5 * scaled),
        "parent_consultation": pool(has_child, site, 0.12 * scaled),
    }
    frames = []
    sess = sessions.assign(s=np.arange(len(sessions)))
    for activity, members in pools.items():
        m = sess.loc[sess["activity"] == activity, ["s", "day", "pool"]].merge(members, on="pool", sort=False)
        if not len(m):
            continue
        day = m["day"].to_numpy()
        who = m["p"].to_numpy()
        ok = (day >= enrolled[who]) & (day <= end_of[who]) & (rng.random(len(m)) < m["prob"].to_numpy())
        frames.append(m.loc[ok, ["s", "p"]])
    attendance = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"s": [], "p": []}, dtype=int)

    # A session nobody attended is not recorded, except community-wide ones (headcount) and staff ones.
    attended = np.bincount(attendance["s"].to_numpy(), minlength=len(sessions)) > 0
    kept = attended | sessions["activity"].isin(
        ["community_event", "neighbourhood_meeting", "staff_training", "supervision"]).to_numpy()
    new_index = np.cumsum(kept) - 1
    sessions = sessions[kept].reset_index(drop=True)
    attendance = pd.DataFrame({"s": new_index[attendance["s"].to_numpy()], "p": attendance["p"].to_numpy()})
    attendance = attendance.sort_values(["s", "p"], kind="stable").reset_index(drop=True)
    return sessions, attendance


def _headcounts(rng, plan: _Plan, people, sessions: pd.DataFrame, attendance: pd.DataFrame) -> pd.DataFrame:
    """Anonymous people present: community actions reach about 100 and the programme about 150 per site."""
    site_of = people["site"]
    per_site = np.bincount(site_of, minlength=plan.sites)
    act = sessions["activity"].to_numpy()
    a_act = act[attendance["s"].to_numpy()]
    who = attendance["p"].to_numpy()

    def distinct(mask):
        seen = np.zeros(len(site_of), dtype=bool)
        seen[who[mask]] = True
        return np.bincount(site_of[seen], minlength=plan.sites)

    comm_people = distinct(a_act == "community_event")
    all_people = distinct(~np.isin(a_act, ["staff_training", "supervision"]))
    goal_comm = np.round(100 * per_site / N_DEFAULT + rng.normal(0, 3, plan.sites))
    goal_all = np.round(150 * per_site / N_DEFAULT + rng.normal(0, 3, plan.sites))

    headcount = np.zeros(len(sessions))
    pool = sessions["pool"].to_numpy()
    for s in range(plan.sites):
        events = np.flatnonzero((act == "community_event") & (pool == s))
        meetings = np.flatnonzero((act == "neighbourhood_meeting") & (pool == s))
        hc_comm = int(max(len(events), goal_comm[s] - comm_people[s]))
        hc_nb = int(max(0, goal_all[s] - all_people[s] - hc_comm))
        for rows, total in ((events, hc_comm), (meetings, hc_nb)):
            if len(rows) and total:
                headcount[rows] = rng.multinomial(total, rng.dirichlet(np.full(len(rows), 4.0)))
    staff = np.isin(act, ["staff_training", "supervision"])
    return sessions.assign(headcount=pd.array(np.where(staff, np.nan, headcount), dtype="Int64"))


# =========================================================================== questionnaires

#: Where each instrument's answers sit at baseline: a fraction of the response range.
_CENTRE = {"empowerment": 0.47, "recovery": 0.47, "independence": 0.45, "social_support": 0.52,
           "civic_activity": 0.22}
_LOADING = 0.78  # item on its scale's latent trait
_MISSING_BLANK, _MISSING_CODE = 0.02, 0.006
#: What the comparison arm (adults of a neighbouring estate) answers.
_COMPARISON_INSTRUMENTS = ("empowerment", "social_support", "civic_activity")


def _who_answers(inst_id: str, people) -> np.ndarray:
    kind, in_group = people["kind"], people["group"] >= 0
    adults = (kind == _ADULT) | ((kind == _RESIDENT) & in_group)
    youth = kind == _YOUTH_K
    return {"empowerment": adults | youth, "social_support": adults | youth, "civic_activity": adults,
            "recovery": kind == _ADULT, "independence": youth}.get(inst_id, people["respondent"])


def _questionnaires(rng, people, dose, instruments: dict[str, Instrument], *, extra=None,
                    waves: Sequence[str] = WAVES_DEFAULT) -> dict[str, pd.DataFrame]:
    """One ``q_<id>`` table per instrument: baseline for every respondent, endline for those who stayed.

    With ``waves`` holding ``midline`` or ``followup``, those rows come from
    ``extra`` (its own generator): a midline in June for those still in the
    programme, half-way from baseline to endline; a follow-up in March of the
    next year for most of those with an endline, with part of the gain faded.
    """
    n = len(people["kind"])
    respondent = people["respondent"]
    # Dose: rank of the sessions attended among respondents of the same kind (0..1).
    dose_rank = np.zeros(n)
    for k in (_ADULT, _YOUTH_K, _RESIDENT):
        members = np.flatnonzero(respondent & (people["kind"] == k))
        if len(members) > 1:
            ranks = np.argsort(np.argsort(dose[members], kind="stable"), kind="stable")
            dose_rank[members] = ranks / (len(members) - 1)
        elif len(members):
            dose_rank[members] = 0.5
    improvement = 0.15 + 0.6 * dose_rank  # latent SD units: mean about 0.45
    general = rng.normal(0, 1, n)
    base_day = np.clip(people["enrolled"] + rng.integers(0, 12, n), 3, 58)
    end_day = rng.integers(311, 351, n)

    later = {}
    if "midline" in waves:
        mid_day = extra.integers(_month_day(6), _month_day(7), n)  # June
        stayed = ~(people["exited"] <= mid_day)  # NaN (never left) stays
        later["midline"] = (respondent & stayed & (extra.random(n) < 0.93), mid_day, 0.55)
    if "followup" in waves:
        fu_day = extra.integers(_LAST_DAY + 60, _LAST_DAY + 90, n)  # March of the next year
        later["followup"] = (people["endline"] & (extra.random(n) < 0.8), fu_day, 0.75)

    out = {}
    for inst_id, inst in instruments.items():
        who = np.flatnonzero(_who_answers(inst_id, people) & respondent)
        extra_waves = {w: (answered[who], day[who], share) for w, (answered, day, share) in later.items()}
        out[f"q_{inst_id}"] = _answers(rng, inst, who, people["endline"][who], general[who], improvement[who],
                                       base_day[who], end_day[who], _CENTRE.get(inst_id, 0.5),
                                       extra=extra, extra_waves=extra_waves)
    return out


def _comparison_answers(extra, n_programme: int, n: int, instruments: dict[str, Instrument],
                        questionnaires: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The comparison arm's baseline and endline answers appended to the adults' questionnaires.

    Residents of a neighbouring estate, as alike the programme's adults as
    a non-randomised comparison group is (a little better off at baseline),
    with a small true change (0.1 latent SD) and about 12 % without endline.
    """
    who = n_programme + np.arange(n)
    general = extra.normal(0.1, 1, n)
    has_endline = extra.random(n) >= 0.12
    base_day = extra.integers(10, 59, n)
    end_day = extra.integers(311, 351, n)
    out = dict(questionnaires)
    for inst_id, inst in instruments.items():
        if inst_id not in _COMPARISON_INSTRUMENTS:
            continue
        q = _answers(extra, inst, who, has_endline, general, np.full(n, 0.1), base_day, end_day,
                     _CENTRE.get(inst_id, 0.5))
        out[f"q_{inst_id}"] = pd.concat([questionnaires[f"q_{inst_id}"], q], ignore_index=True)
    return out


def _comparison_people(extra, n: int) -> pd.DataFrame:
    """The comparison arm's rows of ``participants``: adults, no family, no components, no enrolment."""
    return pd.DataFrame({
        "participant_id": _ids("C", n),
        "family_id": None,
        "components": "",
        "group": None,
        "role": "adult",
        "sex": np.where(extra.random(n) < 0.6, "F", "M").astype(object),
        "birth_year": pd.array(extra.integers(1955, 2001, n), dtype="Int64"),
        "enrolled_on": None,
        "exited_on": None,
        "exit_reason": None,
        "arm": "comparison",
    })


def _answers(rng, inst: Instrument, who, has_endline, general, improvement, base_day, end_day,
             centre: float, *, extra=None, extra_waves: dict | None = None) -> pd.DataFrame:
    items = inst.item_ids
    k, m = len(items), len(who)
    # Each item belongs to its smallest scale (a total scale spans the others).
    scales = sorted(inst.scales, key=lambda s: len(s.items))
    primary = np.array([next(i for i, s in enumerate(scales) if item in s.items) for item in items])
    reversed_items = np.array([any(item in s.reversed for s in inst.scales) for item in items])
    lo, hi = inst.response_min, inst.response_max
    spread = (hi - lo) / 4.2
    item_centre = lo + centre * (hi - lo) + rng.normal(0, 0.06 * (hi - lo), k)

    trait = 0.55 * general + np.sqrt(1 - 0.55 ** 2) * rng.normal(0, 1, m)
    scale_trait = 0.8 * trait[:, None] + 0.6 * rng.normal(0, 1, (m, len(scales)))
    endline_trait = scale_trait + improvement[:, None] + 0.35 * rng.normal(0, 1, (m, len(scales)))

    def wave(latent, rng=rng):
        z = _LOADING * latent[:, primary] + np.sqrt(1 - _LOADING ** 2) * rng.normal(0, 1, (len(latent), k))
        x = np.clip(np.rint(item_centre + spread * z), lo, hi)
        x = np.where(reversed_items, lo + hi - x, x)
        u = rng.random(x.shape)
        x[u < _MISSING_BLANK] = np.nan
        codes = list(inst.missing_codes)
        if codes:
            coded = (u >= _MISSING_BLANK) & (u < _MISSING_BLANK + _MISSING_CODE)
            x[coded] = codes[0]
            if len(codes) > 1:
                x[u >= 1 - 0.0008] = codes[1]
        return x

    base = wave(scale_trait)
    end = wave(endline_trait[has_endline])
    parts = [(who, "baseline", base_day, base), (who[has_endline], "endline", end_day[has_endline], end)]
    for name, (answered, day, share) in (extra_waves or {}).items():
        # midline: part of the way to the endline; follow-up: the endline with part of the gain faded
        start = scale_trait if name == "midline" else endline_trait - improvement[:, None]
        latent = start + share * improvement[:, None] + 0.35 * extra.normal(0, 1, (m, len(scales)))
        parts.append((who[answered], name, day[answered], wave(latent[answered], extra)))
    frame = pd.DataFrame({
        "p": np.concatenate([part[0] for part in parts]),
        "wave": np.concatenate([np.full(len(part[0]), part[1], dtype=object) for part in parts]),
        "date": np.concatenate([_iso(part[2]) for part in parts]),
    })
    values = np.vstack([part[3] for part in parts])
    whole = bool(np.all(np.isnan(values) | (values == np.round(values))))
    for j, item in enumerate(items):  # answers as typed: whole numbers stay whole (3, not 3.0)
        frame[item] = pd.array(values[:, j], dtype="Float64").astype("Int64") if whole else values[:, j]
    return frame


# =========================================================================== ties

# By relation (family, neighbour, friend, professional, other):
_RELATION_P = np.array([0.35, 0.2, 0.2, 0.15, 0.1])
_CONTACT_P = np.array([[0.4, 0.35, 0.15, 0.1], [0.3, 0.45, 0.15, 0.1], [0.2, 0.45, 0.25, 0.1],
                       [0.05, 0.45, 0.4, 0.1], [0.1, 0.3, 0.3, 0.3]])
_ON_ESTATE_P = np.array([0.5, 1.0, 0.55, 0.25, 0.4])
_SUPPORT_P = np.array([[0.7, 0.6, 0.3], [0.35, 0.5, 0.3], [0.7, 0.4, 0.35], [0.4, 0.35, 0.8], [0.3, 0.3, 0.3]])


def _ties(rng, people, dose) -> pd.DataFrame:
    """Ego networks at baseline and endline: (ego, wave, alter number, alter person, relation index)."""
    n = len(people["kind"])
    kind, fam, group, site = people["kind"], people["fam"], people["group"], people["site"]
    egos = np.flatnonzero(people["respondent"])
    endline = people["endline"]
    if not len(egos):
        return pd.DataFrame(columns=["ego", "wave", "num", "alter_p", "relation", "new"])

    # Candidate participant alters, ranked at random per ego: spouse; fellow group members; other youth.
    spouse = _pairs(egos, np.where((kind == _ADULT) & (fam >= 0), fam, -1), np.arange(n) * 0 - 1, rng)
    fellow = _pairs(egos, group, fam, rng)
    peers = _pairs(egos, np.where(kind == _YOUTH_K, site, -1), fam, rng)
    spouse = spouse[rng.random(len(spouse)) < 0.9]
    spouse = spouse.assign(rank=0, relation=0)
    in_group = group[egos] >= 0
    k_base = np.zeros(n, dtype=int)
    k_base[egos] = rng.binomial(2, 0.2, len(egos))
    k_new = np.zeros(n, dtype=int)
    k_new[egos] = np.where(in_group, 1 + rng.binomial(2, 0.3 + 0.4 * np.clip(dose[egos] / max(dose.max(), 1), 0, 1)), 0)
    y_base = np.zeros(n, dtype=int)
    y_base[egos] = rng.binomial(1, 0.4, len(egos))
    y_new = np.zeros(n, dtype=int)
    y_new[egos] = rng.binomial(1, 0.4, len(egos))

    def take(cand, first, count, relation_neighbour_p):
        e = cand["ego"].to_numpy()
        r = cand["rank"].to_numpy()
        sel = (r >= first[e]) & (r < first[e] + count[e])
        out = cand[sel].copy()
        out["relation"] = np.where(rng.random(len(out)) < relation_neighbour_p, 1, 2)
        return out

    zero = np.zeros(n, dtype=int)
    base_p = pd.concat([spouse.assign(new=False), take(fellow, zero, k_base, 0.6).assign(new=False),
                        take(peers, zero, y_base, 0.0).assign(new=False)], ignore_index=True)
    new_p = pd.concat([take(fellow, k_base, k_new, 0.6), take(peers, y_base, y_new, 0.0)],
                      ignore_index=True).assign(new=True)

    # Alters who are not participants fill each baseline network to 2-8.
    size = np.clip(np.rint(rng.normal(4.2, 1.4, n)), 2, 8).astype(int)
    n_p = np.bincount(base_p["ego"].to_numpy(), minlength=n)
    n_other = np.where(np.isin(np.arange(n), egos), np.maximum(size - n_p, 0), 0)
    n_other = np.where(n_p + n_other > 8, 8 - n_p, n_other).clip(0)
    ego_o = np.repeat(np.arange(n), n_other)
    base_o = pd.DataFrame({"ego": ego_o, "alter": -1, "relation": rng.choice(5, len(ego_o), p=_RELATION_P),
                           "new": False})
    baseline = pd.concat([base_p[["ego", "alter", "relation", "new"]], base_o], ignore_index=True)
    baseline = baseline.sort_values("ego", kind="stable").reset_index(drop=True)
    baseline["num"] = baseline.groupby("ego").cumcount() + 1
    baseline["support"] = _draw_support(rng, baseline["relation"].to_numpy())
    baseline["contact"] = _draw_contact(rng, baseline["relation"].to_numpy())
    baseline["on_estate"] = rng.random(len(baseline)) < _ON_ESTATE_P[baseline["relation"].to_numpy()]
    registered = baseline["alter"].to_numpy() >= 0  # participants live on the estate; spouses meet daily
    baseline.loc[registered, "on_estate"] = True
    baseline.loc[registered & (baseline["relation"].to_numpy() == 0), "contact"] = "daily"
    baseline["wave"] = "baseline"

    # Endline: those who answered it keep most alters and add new ones (more for group members).
    kept = baseline[endline[baseline["ego"].to_numpy()]].copy()
    kept = kept[rng.random(len(kept)) < np.where(kept["alter"].to_numpy() >= 0, 0.95, 0.88)]
    new_p = new_p[endline[new_p["ego"].to_numpy()]][["ego", "alter", "relation", "new"]]
    # ... and enough new neighbours that every network has at least 2 alters.
    have = np.bincount(kept["ego"].to_numpy(), minlength=n) + np.bincount(new_p["ego"].to_numpy(), minlength=n)
    k_o = np.where(endline, np.maximum(rng.poisson(0.5, n), 2 - have), 0)
    ego_n = np.repeat(np.arange(n), k_o)
    new_o = pd.DataFrame({"ego": ego_n, "alter": -1, "relation": np.where(rng.random(len(ego_n)) < 0.7, 1, 2),
                          "new": True})
    added = pd.concat([new_p, new_o], ignore_index=True)
    added["support"] = _draw_support(rng, added["relation"].to_numpy(), boost=0.15)
    added["contact"] = _draw_contact(rng, added["relation"].to_numpy())
    added["on_estate"] = np.where(added["alter"].to_numpy() >= 0, True,
                                  rng.random(len(added)) < _ON_ESTATE_P[added["relation"].to_numpy()])
    # New alters are numbered after the ego's baseline alters; a network keeps at most 8.
    last = np.zeros(n, dtype=int)
    np.maximum.at(last, baseline["ego"].to_numpy(), baseline["num"].to_numpy())
    added = added.sort_values(["ego", "new"], kind="stable").reset_index(drop=True)
    added["num"] = last[added["ego"].to_numpy()] + added.groupby("ego").cumcount().to_numpy() + 1
    endline_t = pd.concat([kept, added.assign(wave="endline")], ignore_index=True)
    endline_t = endline_t.sort_values(["ego", "num"], kind="stable").reset_index(drop=True)
    endline_t = endline_t[endline_t.groupby("ego").cumcount().to_numpy() < 8]
    endline_t["wave"] = "endline"
    return pd.concat([baseline, endline_t], ignore_index=True)[
        ["ego", "wave", "num", "alter", "relation", "support", "contact", "on_estate"]]


def _pairs(egos, key, family, rng) -> pd.DataFrame:
    """(ego, alter, rank): other people with the ego's ``key`` (not -1) outside the ego's family, randomly ranked.

    With ``family`` all -1 the alter must share the key (used for spouses: key = family).
    """
    n = len(key)
    everyone = pd.DataFrame({"alter": np.arange(n), "key": key, "alter_fam": family})
    everyone = everyone[everyone["key"] >= 0]
    ego = pd.DataFrame({"ego": egos, "key": key[egos], "ego_fam": family[egos]})
    ego = ego[ego["key"] >= 0]
    m = ego.merge(everyone, on="key", sort=False)
    m = m[(m["ego"] != m["alter"]) & ((m["ego_fam"] < 0) | (m["ego_fam"] != m["alter_fam"]))]
    m = m.assign(r=rng.random(len(m))).sort_values(["ego", "r"], kind="stable")
    m["rank"] = m.groupby("ego").cumcount().to_numpy()
    return m[["ego", "alter", "rank"]].reset_index(drop=True)


def _draw_support(rng, relation, boost: float = 0.0) -> np.ndarray:
    has = rng.random((len(relation), 3)) < np.clip(_SUPPORT_P[relation] + boost, 0, 1)
    labels = np.array(_SUPPORTS, dtype=object)
    return np.array([";".join(labels[row]) if row.any() else None for row in has], dtype=object)


def _draw_contact(rng, relation) -> np.ndarray:
    cum = np.cumsum(_CONTACT_P[relation], axis=1)
    pick = (rng.random(len(relation))[:, None] > cum).sum(axis=1).clip(0, 3)
    return np.array(_CONTACTS, dtype=object)[pick]


# =========================================================================== contract tables


def _ids(prefix: str, n: int, width_min: int = 3) -> np.ndarray:
    width = max(width_min, len(str(n)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _contract_tables(plan, people, sessions, attendance, ties, questionnaires,
                     comparison: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    n = len(people["kind"])
    pid = _ids("P", n)
    fam_id = _ids("F", max(people["n_families"], 1), 2)
    group_label = np.array([f"G{g + 1}" for g in range(max(plan.groups, 1))], dtype=object)
    fam, group = people["fam"], people["group"]

    comp = people["comp"]
    comp_text = np.full(n, "", dtype=object)
    for c in CODES["component"]:
        comp_text = np.where(comp[c], np.where(comp_text == "", c, comp_text + ";" + c), comp_text)
    participants = pd.DataFrame({
        "participant_id": pid,
        "family_id": np.where(fam >= 0, fam_id[np.maximum(fam, 0)], None),
        "components": comp_text,
        "group": np.where(group >= 0, group_label[np.maximum(group, 0)], None),
        "role": np.array(["adult", "child", "youth", "adult"], dtype=object)[people["kind"]],
        "sex": people["sex"],
        "birth_year": pd.array(people["birth"], dtype="Int64"),
        "enrolled_on": _iso(people["enrolled"]),
        "exited_on": _iso(people["exited"]),
        "exit_reason": people["reason"],
    })

    sid = _ids("S", len(sessions), 4)
    sg = sessions["group"].to_numpy()
    table_sessions = pd.DataFrame({
        "session_id": sid,
        "date": _iso(sessions["day"].to_numpy()),
        "activity": sessions["activity"].to_numpy(dtype=object),
        "group": np.where(sg >= 0, group_label[np.maximum(sg, 0)], None),
        "duration_min": pd.array(sessions["duration"].to_numpy(), dtype="Int64"),
        "headcount": sessions["headcount"].array,
    })
    table_attendance = pd.DataFrame({"session_id": sid[attendance["s"].to_numpy()],
                                     "participant_id": pid[attendance["p"].to_numpy()]})

    alter = ties["alter"].to_numpy()
    table_ties = pd.DataFrame({
        "participant_id": pid[ties["ego"].to_numpy()],
        "wave": ties["wave"].to_numpy(dtype=object),
        "alter": np.char.add("A", ties["num"].to_numpy().astype(str)).astype(object),
        "alter_participant_id": np.where(alter >= 0, pid[np.maximum(alter, 0)], None),
        "relation": np.array(_RELATIONS, dtype=object)[ties["relation"].to_numpy()],
        "support": ties["support"].to_numpy(dtype=object),
        "contact": ties["contact"].to_numpy(dtype=object),
        "on_estate": np.where(ties["on_estate"].to_numpy(dtype=bool), "yes", "no").astype(object),
    })
    tables = {"participants": participants, "sessions": table_sessions, "attendance": table_attendance,
              "ties": table_ties}
    if comparison is not None:  # the arm column is written only when there is a comparison arm
        participants = pd.concat([participants.assign(arm="programme"), comparison], ignore_index=True)
        tables["participants"] = participants
        pid = np.concatenate([pid, comparison["participant_id"].to_numpy(dtype=object)])
    for name, df in tables.items():
        contract = [c for c in TABLES[name].column_names if c != "arm" or comparison is not None]
        assert list(df.columns) == contract, name  # the contract's columns, in order
    wave_rank = {w: i for i, w in enumerate(_WAVE_ORDER)}
    for name, q in questionnaires.items():
        q = q.assign(_w=q["wave"].map(wave_rank)).sort_values(["_w", "p"], kind="stable").drop(columns="_w")
        tables[name] = pd.concat([pd.DataFrame({"participant_id": pid[q["p"].to_numpy()]}),
                                  q.drop(columns="p").reset_index(drop=True)], axis=1)
    return tables


# =========================================================================== project.yaml


def _groups(plan: _Plan) -> dict:
    topics = [("komputer i internet", "computers and the internet"), ("pisma urzędowe", "official letters"),
              ("domowy budżet", "the household budget")]
    out = {}
    for g in range(plan.groups):
        if plan.groups <= len(topics):
            pl, en = topics[g]
            out[f"G{g + 1}"] = {"pl": f"Grupa samopomocowa {g + 1} – {pl}", "en": f"Self-help group {g + 1} – {en}"}
        else:
            out[f"G{g + 1}"] = {"pl": f"Grupa samopomocowa {g + 1}", "en": f"Self-help group {g + 1}"}
    return out


def _targets(plan: _Plan) -> list[dict]:
    def scaled(x):
        return max(1, _round(x * plan.scale))

    def per_site(x):
        return x * plan.sites

    def target(id_, pl, en, count, value, **extra):
        return {"id": id_, "label": {"pl": pl, "en": en}, "count": count, **extra, "target": value}

    return [
        target("families_at_risk", "Rodziny zagrożone wykluczeniem objęte wsparciem",
               "Families at risk of exclusion supported", "families", max(1, plan.families),
               where={"component": ["family_support", "legal"]}),
        target("families_assisted", "Rodziny z asystą rodzinną", "Families with a family assistant",
               "families", max(1, plan.assisted), where={"activity": "family_visit"}),
        target("youth_independence", "Młodzież (13–20 lat) w programie usamodzielnienia",
               "Young people (13–20) in the independence programme", "participants", max(1, plan.youth),
               where={"component": "youth", "activity": ["youth_individual", "youth_group"]}),
        target("self_help_groups", "Grupy samopomocowe dla dorosłych", "Self-help groups for adults",
               "groups", max(1, plan.groups), where={"activity": "self_help_meeting"}),
        target("self_help_participants", "Uczestnicy grup samopomocowych (min. 3 spotkania)",
               "Self-help group members (3 meetings or more)", "participants", max(1, 10 * plan.groups),
               where={"activity": "self_help_meeting"}, min_sessions=3),
        target("community_actions", "Akcje aktywizujące społeczność lokalną", "Community activation actions",
               "sessions", per_site(8), where={"activity": "community_event"}),
        target("community_reach", "Osoby uczestniczące w akcjach aktywizujących",
               "People taking part in community actions", "reach", scaled(100),
               where={"activity": "community_event"}),
        target("neighbourhood_meetings", "Tematyczne spotkania sąsiedzkie", "Thematic neighbourhood meetings",
               "sessions", per_site(5), where={"activity": "neighbourhood_meeting"}),
        target("reach_all", "Osoby, które skorzystały z działań", "People reached by the programme", "reach",
               scaled(150)),
        target("staff_training", "Szkolenia kadry", "Staff training days", "sessions", per_site(2),
               where={"activity": "staff_training"}),
        target("supervision", "Superwizje kadry", "Staff supervision sessions", "sessions", per_site(10),
               where={"activity": "supervision"}),
        target("empowerment_improved", "Osoby z rzetelną poprawą poczucia sprawczości",
               "People with a reliable gain in agency", "improved", scaled(5),
               instrument="empowerment", scale="agency"),
    ]


#: The demo's primary outcomes (project.yaml): self-help's agency, the family assistants' crisis coping, the
#: youth programme's independent living, community work's neighbourhood ties.
PRIMARY_OUTCOMES = ("empowerment/agency", "recovery/crisis_coping", "independence/total",
                    "social_support/neighbourhood_ties")


def _config(plan: _Plan) -> dict:
    return {
        "name": PROJECT_NAME,
        "period": {"start": "2021-01-01", "end": "2021-12-31"},
        "language": "pl",
        "instruments": list(INSTRUMENTS),
        "min_cell": 5,
        # the programme's claims, one per core component, named before the endline: the confirmatory tests
        "primary_outcomes": list(PRIMARY_OUTCOMES),
        "groups": _groups(plan),
        "targets": _targets(plan),
    }


def _flow(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False,
                          width=10_000).strip()


def _project_yaml(config: dict, *, seed: int, n: int, options: str = "") -> str:
    """project.yaml as a person would write it: one line per group and per target."""
    lines = [f"# Synthetic demo data (evaltools demo-data --seed {seed}{options}, {n} participants).",
             "# Every person, family and answer in this folder is invented."]
    for key in ("name", "period", "language", "instruments", "min_cell", "primary_outcomes"):
        lines.append(f"{key}: {_flow(config[key]).removesuffix('...').strip()}")
    lines.append("groups:")
    lines += [f"  {g}: {_flow(label)}" for g, label in config["groups"].items()]
    lines.append("targets:")
    lines += [f"  - {_flow(t)}" for t in config["targets"]]
    return "\n".join(lines) + "\n"
