"""The demo's ego networks: alters, relations, contact and support per person and wave."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.synth.plan import CONTACTS, KIND_ADULT, KIND_YOUTH, SUPPORTS


# By relation (family, neighbour, friend, professional, other):
_RELATION_P = np.array([0.35, 0.2, 0.2, 0.15, 0.1])
_CONTACT_P = np.array([[0.4, 0.35, 0.15, 0.1], [0.3, 0.45, 0.15, 0.1], [0.2, 0.45, 0.25, 0.1],
                       [0.05, 0.45, 0.4, 0.1], [0.1, 0.3, 0.3, 0.3]])
_ON_ESTATE_P = np.array([0.5, 1.0, 0.55, 0.25, 0.4])
_SUPPORT_P = np.array([[0.7, 0.6, 0.3], [0.35, 0.5, 0.3], [0.7, 0.4, 0.35], [0.4, 0.35, 0.8], [0.3, 0.3, 0.3]])


def draw_ties(rng, people, dose) -> pd.DataFrame:
    """Ego networks at baseline and endline: (ego, wave, alter number, alter person, relation index)."""
    n = len(people["kind"])
    kind, fam, group, site = people["kind"], people["fam"], people["group"], people["site"]
    egos = np.flatnonzero(people["respondent"])
    endline = people["endline"]
    if not len(egos):
        return pd.DataFrame(columns=["ego", "wave", "num", "alter_p", "relation", "new"])

    # Candidate participant alters, ranked at random per ego: spouse; fellow group members; other youth.
    spouse = _pairs(egos, np.where((kind == KIND_ADULT) & (fam >= 0), fam, -1), np.arange(n) * 0 - 1, rng)
    fellow = _pairs(egos, group, fam, rng)
    peers = _pairs(egos, np.where(kind == KIND_YOUTH, site, -1), fam, rng)
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

    endline_t = _endline_ties(rng, baseline, new_p, endline, n)
    return pd.concat([baseline, endline_t], ignore_index=True)[
        ["ego", "wave", "num", "alter", "relation", "support", "contact", "on_estate"]]


def _endline_ties(rng, baseline: pd.DataFrame, new_p: pd.DataFrame, endline, n: int) -> pd.DataFrame:
    """The endline networks: of those who answered it, most baseline alters kept and new ones added."""
    # more new alters for group members (new_p)
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
    return endline_t


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
    labels = np.array(SUPPORTS, dtype=object)
    return np.array([";".join(labels[row]) if row.any() else None for row in has], dtype=object)


def _draw_contact(rng, relation) -> np.ndarray:
    cum = np.cumsum(_CONTACT_P[relation], axis=1)
    pick = (rng.random(len(relation))[:, None] > cum).sum(axis=1).clip(0, 3)
    return np.array(CONTACTS, dtype=object)[pick]
