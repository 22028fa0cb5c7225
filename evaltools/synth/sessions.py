"""The demo's sessions, who attended them, and the headcounts of open events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.schema import CODES
from evaltools.synth.plan import (KIND_ADULT, KIND_CHILD, KIND_RESIDENT, KIND_YOUTH, LAST_DAY, N_DEFAULT, SUMMER_BREAK,
                                  Plan, month_start_day)


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
    starts = np.array([month_start_day(m) for m in months])
    days = starts[pick] + rng.integers(lo, hi + 1, size=pick.shape)
    return np.repeat(np.arange(n_sites), k), days.ravel()


def _summer(days) -> np.ndarray:
    return (days >= SUMMER_BREAK[0]) & (days <= SUMMER_BREAK[1])


def draw_sessions(rng, plan: Plan, people) -> pd.DataFrame:
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
    adult = kind == KIND_ADULT
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
    youth = np.flatnonzero(kind == KIND_YOUTH)
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
    sessions["day"] = sessions["day"].clip(1, LAST_DAY - 10)
    act_rank = sessions["activity"].map({a: i for i, a in enumerate(CODES["activity"])})
    order = np.lexsort((sessions["pool"].to_numpy(), act_rank.to_numpy(), sessions["day"].to_numpy()))
    return sessions.iloc[order].reset_index(drop=True)


def draw_attendance(rng, people, sessions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        fam_with_child = np.bincount(fam[kind == KIND_CHILD], minlength=people["n_families"]) > 0
        has_child = (kind == KIND_ADULT) & fam_with_child[np.maximum(fam, 0)]

    def pool(mask, key, prob):
        return pd.DataFrame({"p": idx[mask], "pool": np.asarray(key)[mask], "prob": np.asarray(prob)[mask]})

    comm_prob = np.select([(kind == KIND_RESIDENT) & ~in_group, kind == KIND_RESIDENT, kind == KIND_ADULT,
                           kind == KIND_CHILD],
                          [0.32, 0.25, 0.08, 0.06], 0.08) * scaled
    nb_prob = np.select([in_group, kind == KIND_RESIDENT, kind == KIND_ADULT], [0.45, 0.25, 0.05], 0.05) * scaled
    pools = {
        "self_help_meeting": pool(in_group, people["group"], p),
        "family_visit": pool(kind == KIND_ADULT, fam, np.where(people["rank"] == 0, 0.95, 0.45)),
        "youth_individual": pool(kind == KIND_YOUTH, idx, np.ones(n)),
        "legal_advice": pool(people["comp"]["legal"], idx, np.ones(n)),
        "youth_group": pool(kind == KIND_YOUTH, site, 0.85 * p),
        "community_event": pool(np.ones(n, dtype=bool), site, comm_prob),
        "neighbourhood_meeting": pool(kind != KIND_CHILD, site, nb_prob),
        "children_activity": pool(kind == KIND_CHILD, site, 0.5 * scaled),
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


def draw_headcounts(rng, plan: Plan, people, sessions: pd.DataFrame, attendance: pd.DataFrame) -> pd.DataFrame:
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
