"""The demo's people: families, young people, residents, self-help groups, who leaves and when."""

from __future__ import annotations

import numpy as np

from evaltools.schema import CODES
from evaltools.synth.plan import EXIT_REASONS, KIND_ADULT, KIND_CHILD, KIND_RESIDENT, KIND_YOUTH, Plan, round_half_up


def draw_people(rng, plan: Plan) -> dict[str, np.ndarray]:
    """Everyone, as arrays; row order = participant_id order (families, youth, residents)."""
    F = plan.families
    fam_adults, fam_children, assisted_family = _families(rng, plan)

    fam_of_adult = np.repeat(np.arange(F), fam_adults)
    fam_of_child = np.repeat(np.arange(F), fam_children)
    fam = np.concatenate([fam_of_adult, fam_of_child])
    kind = np.concatenate([np.full(len(fam_of_adult), KIND_ADULT), np.full(len(fam_of_child), KIND_CHILD)])
    order = np.lexsort((kind, fam))  # by family, adults first
    fam, kind = fam[order], kind[order]
    n_fam_members = len(fam)
    kind = np.concatenate([kind, np.full(plan.youth, KIND_YOUTH), np.full(plan.residents, KIND_RESIDENT)])
    fam = np.concatenate([fam, np.full(plan.youth + plan.residents, -1)])
    n = len(kind)
    idx = np.arange(n)

    # rank of an adult within the family (0 = the first adult)
    first_of_fam = np.r_[True, fam[1:] != fam[:-1]]
    run_start = np.maximum.accumulate(np.where(first_of_fam, idx, 0))
    rank = idx - run_start
    adult = kind == KIND_ADULT
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
    resident = kind == KIND_RESIDENT
    sex[resident] = np.where(rng.random(resident.sum()) < 0.6, "F", "M")
    sex[rng.random(n) < 0.01] = "unknown"

    birth = _birth_years(rng, kind, fam, rank, F)
    child, youth = kind == KIND_CHILD, kind == KIND_YOUTH

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


def _families(rng, plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per family: the number of adults (1 or 2), of children, and whether it has a family assistant."""
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
    return fam_adults, fam_children, assisted_family


def _birth_years(rng, kind: np.ndarray, fam: np.ndarray, rank: np.ndarray, F: int) -> np.ndarray:
    """Years of birth: adults 1966-1998, children after their family's first adult turned 19, youth 13-20 in 2021."""
    adult, resident = kind == KIND_ADULT, kind == KIND_RESIDENT
    birth = np.empty(len(kind), dtype=int)
    birth[adult] = rng.integers(1966, 1999, adult.sum())
    first_adult_birth = np.zeros(max(F, 1), dtype=int)
    first_adult_birth[fam[adult & (rank == 0)]] = birth[adult & (rank == 0)]
    child = kind == KIND_CHILD
    lo = np.minimum(np.maximum(2009, first_adult_birth[fam[child]] + 19), 2018)
    birth[child] = lo + (rng.random(child.sum()) * (2019 - lo)).astype(int)
    youth = kind == KIND_YOUTH
    birth[youth] = rng.integers(2001, 2009, youth.sum())  # 13-20 years old in 2021
    birth[resident] = rng.integers(1950, 2001, resident.sum())
    return birth


def _self_help_groups(rng, plan: Plan, kind, site, assisted) -> np.ndarray:
    """Group index of each person (-1 = none): 8-12 adults per group, from the group's site.

    Adults of families without a family assistant come first (the group is
    their way into the programme), then other family adults and residents.
    """
    n = len(kind)
    group = np.full(n, -1)
    if not plan.groups:
        return group
    eligible = np.flatnonzero((kind == KIND_ADULT) | (kind == KIND_RESIDENT))
    key = rng.random(len(eligible))
    key = np.where((kind[eligible] == KIND_ADULT) & ~assisted[eligible], key - 2.0, key)
    key = np.where(kind[eligible] == KIND_RESIDENT, key + 0.35, key)
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


def _exits(rng, plan: Plan, kind, fam, respondent, enrolled, propensity):
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

    n_moved = round_half_up(F * 0.05)
    if n_moved:
        moved_fams = rng.choice(F, n_moved, replace=False)
        move_day = np.full(max(F, 1), np.nan)
        move_day[moved_fams] = rng.integers(91, 305, n_moved)
        moved = (fam >= 0) & np.isin(fam, moved_fams)
        exited[moved] = move_day[fam[moved]]
        reason[moved] = "moved"
        no_endline[moved & respondent] = True

    resp = np.flatnonzero(respondent & ~no_endline)
    wanted = round_half_up(0.125 * respondent.sum()) - int((no_endline & respondent).sum())
    if wanted > 0 and len(resp):
        weight = (1.0 - propensity[resp]) ** 2
        drop = rng.choice(resp, min(wanted, len(resp)), replace=False, p=weight / weight.sum())
        no_endline[drop] = True
        stay = drop[: round_half_up(len(drop) * 0.2)]  # stayed in the programme, missed the endline
        leave = drop[len(stay):]
        exited[leave] = rng.integers(91, 305, len(leave))
        reason[leave] = rng.choice(EXIT_REASONS, len(leave), p=[0.35, 0.25, 0.15, 0.1, 0.15])

    more = round_half_up(0.12 * n) - int(np.isfinite(exited).sum())
    others = np.flatnonzero(~respondent & ~np.isfinite(exited))
    if more > 0 and len(others):
        pick = rng.choice(others, min(more, len(others)), replace=False)
        exited[pick] = rng.integers(60, 330, len(pick))
        reason[pick] = rng.choice(("moved", "no_contact", "withdrew"), len(pick))
    exited = np.where(np.isfinite(exited), np.maximum(exited, enrolled + 30), np.nan)
    exited = np.minimum(exited, 330)
    endline = respondent & ~no_endline
    return exited, reason, endline
