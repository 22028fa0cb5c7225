"""Social ties: ego networks, the sociometric network and co-attendance (docs/statistics.md#social-ties).

Three views of the same question — did people's ties grow?

- :func:`ego_networks` describes each person's own network per wave (how many
  people they named, of which kind, giving which support, living on the
  estate); :func:`ego_scores` turns it into the long ``scores`` shape so that
  the paired-change machinery treats it as the instrument ``ego_network``.
- :func:`network_by_wave` is the sociometric network *among participants*
  (ties naming another registered participant), one row per wave, and
  :func:`network_change_test` tests its change between two waves.
- :func:`coattendance` links people who attended the same session, per
  calendar quarter.

Every function takes the typed tables of a :class:`~evaltools.project.Project`
and returns a DataFrame whose columns are fixed (module constants below),
whatever the input, empty input included.

Examples
--------
>>> participants = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "group": ["G1", "G2", "G1"]})
>>> ties = pd.DataFrame({"participant_id": ["P1", "P1"], "wave": ["baseline", "baseline"],
...                      "alter": ["A1", "A2"], "alter_participant_id": ["P2", pd.NA],
...                      "relation": ["neighbour", "family"], "support": ["emotional;practical", "practical"],
...                      "contact": ["daily", "weekly"], "on_estate": ["yes", "no"]})
>>> ego_networks(ties)[["participant_id", "size", "relation_family", "support_practical", "diversity"]]
  participant_id  size  relation_family  support_practical  diversity
0             P1     2                1                  2          2
>>> network_by_wave(ties, participants)[["wave", "n_nodes", "n_edges", "isolates", "cross_group_ties"]]
       wave  n_nodes  n_edges  isolates  cross_group_ties
0  baseline        3        1         1                 1
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from evaltools.schema import CODES, STAFF_ACTIVITIES

#: Waves in the order they happen (the contract's code list puts midline after endline).
WAVE_ORDER = ("baseline", "midline", "endline", "followup")

#: Ego-network measures, in column order; each is a ``scale`` of the instrument ``ego_network``.
RELATION_COLUMNS = tuple(f"relation_{code}" for code in CODES["relation"])
SUPPORT_COLUMNS = tuple(f"support_{code}" for code in CODES["support"])
EGO_MEASURES = ("size", *RELATION_COLUMNS, *SUPPORT_COLUMNS, "on_estate_share", "diversity")
EGO_COLUMNS = ("participant_id", "wave", *EGO_MEASURES)

#: The instrument id under which ego measures enter the change tables.
EGO_INSTRUMENT = "ego_network"
SCORE_COLUMNS = ("participant_id", "wave", "instrument", "scale", "score", "n_items")

NETWORK_COLUMNS = ("wave", "n_nodes", "n_edges", "density", "mean_degree", "components",
                   "largest_component_share", "isolates", "transitivity", "cross_group_ties")
NETWORK_TEST_COLUMNS = ("measure", "baseline", "endline", "diff", "p_value", "method")
#: Measures tested by :func:`network_change_test`, in row order.
NETWORK_TEST_MEASURES = ("density", "isolates")
COATTENDANCE_COLUMNS = ("period", "n_nodes", "n_edges", "density", "components",
                        "largest_component_share", "isolates")


# --------------------------------------------------------------------------- ego networks

def ego_networks(ties: pd.DataFrame, *, participants: pd.DataFrame | None = None,
                 respondents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each person's ego network per wave: size, kinds of tie, support, estate, diversity.

    Parameters
    ----------
    ties : DataFrame
        The ``ties`` table (participant_id, wave, alter, relation, support,
        on_estate; one row per ego × alter × wave).
    participants : DataFrame, optional
        When given, egos that are not registered participants are dropped.
    respondents : DataFrame, optional
        ``participant_id`` and ``wave`` of everyone who answered the ties
        interview at that wave. A person who named nobody leaves no row in
        ``ties`` and so is invisible without it; with it, such a person gets
        a row with ``size`` 0. Without it, a row exists only for a person
        with at least one tie at that wave — and a person who named people
        at baseline but nobody at endline drops out of the paired change
        instead of counting as a loss, so pass ``respondents`` whenever it
        is known.

    Returns
    -------
    DataFrame
        Columns :data:`EGO_COLUMNS`, one row per person × wave, sorted by
        participant_id and wave (in time order):

        - ``size``: number of alters named (distinct ``alter`` labels);
        - ``relation_family``, ``relation_neighbour``, ``relation_friend``,
          ``relation_professional``, ``relation_other``: alters of that
          relation (an alter with no relation counts in ``size`` only);
        - ``support_emotional``, ``support_practical``,
          ``support_informational``: alters giving that kind of support (an
          alter may give several);
        - ``on_estate_share``: alters living on the estate / alters whose
          ``on_estate`` is known (empty when none is known);
        - ``diversity``: number of distinct relation types among the alters,
          0–5 — the "network diversity" of Cohen et al. (1997, JAMA 277:1940),
          a count of the social roles in which a person has someone.

    Examples
    --------
    >>> ties = pd.DataFrame({"participant_id": ["P1", "P1", "P1"], "wave": ["baseline"] * 3,
    ...                      "alter": ["A1", "A2", "A3"], "relation": ["friend", "friend", pd.NA],
    ...                      "support": ["emotional", pd.NA, "emotional;informational"],
    ...                      "on_estate": ["yes", "no", pd.NA]})
    >>> resp = pd.DataFrame({"participant_id": ["P1", "P2"], "wave": ["baseline", "baseline"]})
    >>> ego = ego_networks(ties, respondents=resp)
    >>> cols = ["participant_id", "size", "relation_friend", "support_emotional", "on_estate_share", "diversity"]
    >>> print(ego[cols].to_string(index=False))
    participant_id  size  relation_friend  support_emotional  on_estate_share  diversity
                P1     3                2                  2              0.5          1
                P2     0                0                  0              NaN          0
    """
    t = _ties_frame(ties)
    if participants is not None:
        t = t[t["participant_id"].isin(_ids(participants))]
    t = t.drop_duplicates(["participant_id", "wave", "alter"])
    keys = ["participant_id", "wave"]

    counts = t.assign(size=1)
    for code, col in zip(CODES["relation"], RELATION_COLUMNS):
        counts[col] = (t["relation"] == code).fillna(False).astype(int)
    for code, col in zip(CODES["support"], SUPPORT_COLUMNS):
        # the typed table holds a normalised ";"-list (evaltools.schema.split_codes)
        given = t["support"].str.contains(rf"(?:^|[;,])\s*{code}\s*(?:[;,]|$)", regex=True)
        counts[col] = given.fillna(False).astype(int)
    known = t["on_estate"].isin(["yes", "no"])
    counts["_estate_yes"] = (t["on_estate"] == "yes").fillna(False).astype(int)
    counts["_estate_known"] = known.astype(int)
    sums = counts.groupby(keys, sort=False)[["size", *RELATION_COLUMNS, *SUPPORT_COLUMNS,
                                              "_estate_yes", "_estate_known"]].sum()
    sums["diversity"] = t.dropna(subset=["relation"]).groupby(keys, sort=False)["relation"].nunique()
    sums = sums.reset_index()

    if respondents is not None and len(respondents):
        resp = respondents[keys].dropna().drop_duplicates().astype({"participant_id": "str", "wave": "str"})
        if participants is not None:
            resp = resp[resp["participant_id"].isin(_ids(participants))]
        sums = resp.merge(sums, on=keys, how="outer")

    out = pd.DataFrame({k: sums[k].astype("str") for k in keys})
    for col in ("size", *RELATION_COLUMNS, *SUPPORT_COLUMNS, "diversity"):
        out[col] = sums[col].fillna(0).astype("int64") if len(sums) else pd.Series(dtype="int64")
    known_n = sums["_estate_known"].fillna(0).to_numpy(dtype=float)
    yes_n = sums["_estate_yes"].fillna(0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["on_estate_share"] = np.where(known_n > 0, yes_n / np.where(known_n > 0, known_n, 1), np.nan)
    out = out[list(EGO_COLUMNS)]
    return _sort_waves(out, ["participant_id", "wave"])


def ego_scores(ego: pd.DataFrame) -> pd.DataFrame:
    """Ego measures in the long ``scores`` shape, as the instrument ``ego_network``.

    Parameters
    ----------
    ego : DataFrame
        The result of :func:`ego_networks`.

    Returns
    -------
    DataFrame
        Columns :data:`SCORE_COLUMNS` (participant_id, wave, instrument,
        scale, score, n_items): one row per person × wave × measure, with
        ``instrument`` = ``ego_network``, ``scale`` = the measure's column
        name (:data:`EGO_MEASURES`), ``score`` its value and ``n_items`` the
        number of alters named (``size``). A missing ``on_estate_share``
        stays a row with an empty score.

    Examples
    --------
    >>> ego = ego_networks(pd.DataFrame({"participant_id": ["P1"], "wave": ["endline"], "alter": ["A1"],
    ...                                  "relation": ["friend"], "on_estate": ["yes"]}))
    >>> scores = ego_scores(ego)
    >>> scores.loc[scores["scale"].isin(["size", "relation_friend", "on_estate_share"])]
      participant_id     wave   instrument            scale  score  n_items
    0             P1  endline  ego_network             size    1.0        1
    3             P1  endline  ego_network  relation_friend    1.0        1
    9             P1  endline  ego_network  on_estate_share    1.0        1
    """
    if ego is None or not len(ego):
        return _empty(SCORE_COLUMNS, {"score": "float64", "n_items": "int64"})
    long = ego.melt(id_vars=["participant_id", "wave"], value_vars=list(EGO_MEASURES),
                    var_name="scale", value_name="score")
    long["n_items"] = long[["participant_id", "wave"]].merge(
        ego[["participant_id", "wave", "size"]], on=["participant_id", "wave"], how="left")["size"].to_numpy()
    long["instrument"] = EGO_INSTRUMENT
    long["score"] = long["score"].astype("float64")
    long["n_items"] = long["n_items"].astype("int64")
    order = {m: i for i, m in enumerate(EGO_MEASURES)}
    long = long.assign(_m=long["scale"].map(order))
    long = _sort_waves(long, ["participant_id", "wave", "_m"])
    return long[list(SCORE_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------- sociometric network

def network_by_wave(ties: pd.DataFrame, participants: pd.DataFrame, *,
                    waves: Sequence[str] | None = None) -> pd.DataFrame:
    """The network among participants, one row per wave (``network.csv``).

    An undirected graph per wave: every registered participant is a node (so
    a person with no tie to another participant is an isolate), and an edge
    joins two participants when either named the other as an alter
    (``alter_participant_id``) at that wave. Self-ties and alters who are not
    registered participants are ignored; a pair named twice is one edge.

    Parameters
    ----------
    ties, participants : DataFrame
        The ``ties`` and ``participants`` tables.
    waves : sequence of str, optional
        The waves to describe; default every wave present in ``ties``.

    Returns
    -------
    DataFrame
        Columns :data:`NETWORK_COLUMNS`: ``n_nodes``, ``n_edges``,
        ``density`` = 2·edges / (n·(n − 1)) (empty when n < 2),
        ``mean_degree`` = 2·edges / n, ``components`` (an isolate is a
        component of one), ``largest_component_share`` = people in the
        largest component / n, ``isolates``, ``transitivity`` =
        :func:`networkx.transitivity` (3 × triangles / connected triples; 0
        without triangles) and ``cross_group_ties``: edges whose two ends
        have different, non-empty ``participants.group``.

    Examples
    --------
    >>> participants = pd.DataFrame({"participant_id": ["A", "B", "C", "D"], "group": ["x", "x", "y", pd.NA]})
    >>> ties = pd.DataFrame({"participant_id": ["A", "B", "C", "A"], "wave": ["endline"] * 4,
    ...                      "alter": ["1", "1", "1", "2"], "alter_participant_id": ["B", "C", "A", "A"]})
    >>> row = network_by_wave(ties, participants).iloc[0]
    >>> int(row.n_edges), float(row.density), int(row.components), float(row.transitivity)
    (3, 0.5, 2, 1.0)
    """
    ids = _ids(participants)
    t = _ties_frame(ties)
    if waves is None:
        waves = [w for w in WAVE_ORDER if w in set(t["wave"].dropna())]
        waves += sorted(set(t["wave"].dropna()) - set(WAVE_ORDER))
    group = _group_of(participants)
    rows = []
    for wave in waves:
        edges = _edges(t[t["wave"] == wave], ids)
        rows.append({"wave": wave, **_describe_graph(ids, edges, group)})
    return _frame(rows, NETWORK_COLUMNS, {"wave": "str", "n_nodes": "int64", "n_edges": "int64",
                                          "components": "int64", "isolates": "int64",
                                          "cross_group_ties": "int64"})


def network_change_test(ties: pd.DataFrame, participants: pd.DataFrame, *, n_perm: int = 2000,
                        seed: int = 0, waves: tuple[str, str] = ("baseline", "endline")) -> pd.DataFrame:
    """Did the network's density and number of isolates change? A paired permutation test.

    The unit that is measured twice is the respondent: each person's list of
    ties at the first wave and at the second. Under the null hypothesis of
    no change, which of a person's two lists is the baseline one is a coin
    toss. The test swaps the two lists of each respondent with probability
    ½ (a list not given counts as an empty list), rebuilds both networks
    (every registered participant a node, as in :func:`network_by_wave`)
    and recomputes ``diff`` = second − first. The p-value is two-sided:

    - ``method = "exact_permutation"``: when 2^k relabellings of the k
      respondents are at most ``n_perm``, all of them are enumerated and
      p = share of relabellings with |diff| ≥ |observed diff|;
    - ``method = "permutation"``: otherwise ``n_perm`` random relabellings
      (``numpy.random.default_rng(seed)``) and p = (1 + hits)/(1 + n_perm)
      (Phipson & Smyth 2010), which is never 0.

    Because it conditions on the people and permutes only within a person,
    the test stays valid for the small networks of a programme (no
    large-sample approximation); with very few respondents its p-value
    cannot get small (2 respondents: p ≥ 0.5), as it should.

    Parameters
    ----------
    ties, participants : DataFrame
        The ``ties`` and ``participants`` tables.
    n_perm : int
        Random relabellings when exact enumeration would take more.
    seed : int
        Seed of the random relabellings.
    waves : (str, str)
        The two waves compared; ``baseline`` and ``endline`` name the
        result's columns whatever they are.

    Returns
    -------
    DataFrame
        Columns :data:`NETWORK_TEST_COLUMNS`, one row per measure of
        :data:`NETWORK_TEST_MEASURES` (density, isolates): the value at each
        wave, ``diff`` = endline − baseline, ``p_value`` and ``method``.
        When a wave has no ties at all, its value, ``diff`` and ``p_value``
        are empty and ``method`` is ``not_tested``.

    Examples
    --------
    >>> participants = pd.DataFrame({"participant_id": ["A", "B", "C"]})
    >>> ties = pd.DataFrame({"participant_id": ["A", "A", "B"], "wave": ["baseline", "endline", "endline"],
    ...                      "alter": ["1", "1", "1"], "alter_participant_id": ["B", "B", "C"]})
    >>> network_change_test(ties, participants)[["measure", "baseline", "endline", "p_value", "method"]]
        measure  baseline   endline  p_value             method
    0   density  0.333333  0.666667      1.0  exact_permutation
    1  isolates  1.000000  0.000000      1.0  exact_permutation
    """
    pre, post = waves
    ids = _ids(participants)
    n = len(ids)
    t = _ties_frame(ties)
    present = set(t["wave"].dropna())
    if pre not in present or post not in present or n == 0:
        net = network_by_wave(t, participants, waves=[w for w in (pre, post) if w in present]).set_index("wave")
        rows = [{"measure": m,
                 "baseline": float(net.loc[pre, m]) if pre in net.index else np.nan,
                 "endline": float(net.loc[post, m]) if post in net.index else np.nan,
                 "diff": np.nan, "p_value": np.nan, "method": "not_tested"} for m in NETWORK_TEST_MEASURES]
        return _frame(rows, NETWORK_TEST_COLUMNS, {"measure": "str", "method": "str"})

    index = {pid: i for i, pid in enumerate(ids)}
    nom = t[t["wave"].isin([pre, post]) & t["participant_id"].isin(index) & t["alter_participant_id"].isin(index)
            & (t["participant_id"] != t["alter_participant_id"])]
    nom = nom.drop_duplicates(["participant_id", "alter_participant_id", "wave"])
    ego = nom["participant_id"].map(index).to_numpy(dtype=np.int64)
    alt = nom["alter_participant_id"].map(index).to_numpy(dtype=np.int64)
    is_post = (nom["wave"] == post).to_numpy()
    lo, hi = np.minimum(ego, alt), np.maximum(ego, alt)
    pair_key = lo * n + hi
    pairs, pair_of = np.unique(pair_key, return_inverse=True)
    u, v = pairs // n, pairs % n
    # for each pair: does its low end (u) / high end (v) name the other at pre / post?
    from_u = ego == lo
    nb_u, ne_u, nb_v, ne_v = (np.zeros(len(pairs), bool) for _ in range(4))
    for flag, sel in ((nb_u, from_u & ~is_post), (ne_u, from_u & is_post),
                      (nb_v, ~from_u & ~is_post), (ne_v, ~from_u & is_post)):
        flag[pair_of[sel]] = True

    respondents = np.unique(ego)  # people whose lists decide some edge
    k = len(respondents)
    pos = np.full(n, -1, dtype=np.int64)
    pos[respondents] = np.arange(k)
    pu, pv = pos[u], pos[v]  # -1: that end named nobody here, so its flip changes nothing
    touched = np.unique(np.concatenate([u, v]))
    local = np.full(n, -1, dtype=np.int64)
    local[touched] = np.arange(len(touched))
    incidence = sparse.csr_matrix(
        (np.ones(2 * len(pairs)), (np.concatenate([np.arange(len(pairs))] * 2), np.concatenate([local[u], local[v]]))),
        shape=(len(pairs), len(touched)))
    n_dyads = n * (n - 1) / 2

    def stats(flips: np.ndarray) -> np.ndarray:
        """(B, k) bool flips -> (B, 2 measures, 2 waves)."""
        fu = flips[:, pu] & (pu >= 0)
        fv = flips[:, pv] & (pv >= 0)
        at_pre = np.where(fu, ne_u, nb_u) | np.where(fv, ne_v, nb_v)
        at_post = np.where(fu, nb_u, ne_u) | np.where(fv, nb_v, ne_v)
        out = np.empty((len(flips), 2, 2))
        for w, edge_present in enumerate((at_pre, at_post)):
            out[:, 0, w] = edge_present.sum(axis=1) / n_dyads if n > 1 else np.nan
            # degree of each touched person = present pairs incident to them: (T, P) @ (P, B)
            degree = np.asarray(incidence.T @ edge_present.T.astype(float)).T
            out[:, 1, w] = n - (degree > 0).sum(axis=1)
        return out

    observed = stats(np.zeros((1, k), bool))[0]
    obs_diff = observed[:, 1] - observed[:, 0]
    if k <= 62 and 2 ** k <= n_perm:
        method = "exact_permutation"
        codes = np.arange(2 ** k, dtype=np.int64)
        flips = ((codes[:, None] >> np.arange(k)) & 1).astype(bool)
        hits = _hits(stats, flips, obs_diff)
        p = hits / len(flips)
    else:
        method = "permutation"
        rng = np.random.default_rng(seed)
        hits = np.zeros(2)
        for start in range(0, n_perm, 256):
            flips = rng.random((min(256, n_perm - start), k)) < 0.5
            hits += _hits(stats, flips, obs_diff)
        p = (1 + hits) / (1 + n_perm)
    p = np.where(np.isnan(obs_diff), np.nan, p)  # density of a one-person network: nothing to test
    rows = [{"measure": m, "baseline": observed[i, 0], "endline": observed[i, 1], "diff": obs_diff[i],
             "p_value": float(p[i]), "method": method} for i, m in enumerate(NETWORK_TEST_MEASURES)]
    return _frame(rows, NETWORK_TEST_COLUMNS, {"measure": "str", "method": "str"})


def _hits(stats, flips: np.ndarray, obs_diff: np.ndarray) -> np.ndarray:
    hits = np.zeros(2)
    for start in range(0, len(flips), 256):
        s = stats(flips[start:start + 256])
        diff = s[:, :, 1] - s[:, :, 0]
        # a tolerance so that relabellings giving the same diff up to rounding count as ties
        hits += (np.abs(diff) >= np.abs(obs_diff) - 1e-12).sum(axis=0)
    return hits


# --------------------------------------------------------------------------- co-attendance

def coattendance(attendance: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """The co-attendance network per calendar quarter (``coattendance.csv``).

    Nodes are the people who attended at least one session in the quarter;
    two people are linked when they attended the same session (once, however
    many sessions they shared). Sessions of staff activities (staff_training,
    supervision) are left out, as are attendance rows whose session is not
    in ``sessions`` or has no date. A quarter appears when it has at least
    one non-staff session. Built with sparse matrices (people × sessions),
    so 10,000 participants take well under a second; a session of m people
    gives m(m − 1)/2 pairs, none dropped.

    Returns
    -------
    DataFrame
        Columns :data:`COATTENDANCE_COLUMNS`: ``period`` (``2021Q1``),
        ``n_nodes``, ``n_edges``, ``density`` (empty when n < 2),
        ``components`` (an isolate is a component of one),
        ``largest_component_share``, ``isolates`` (people who attended only
        sessions where no other participant was registered).

    Examples
    --------
    >>> sessions = pd.DataFrame({"session_id": ["S1", "S2", "S3"], "activity": ["self_help_meeting",
    ...     "family_visit", "supervision"], "date": pd.to_datetime(["2021-01-10", "2021-02-01", "2021-02-02"])})
    >>> attendance = pd.DataFrame({"session_id": ["S1", "S1", "S1", "S2", "S3"],
    ...                            "participant_id": ["A", "B", "C", "D", "A"]})
    >>> print(coattendance(attendance, sessions).to_string(index=False))
    period  n_nodes  n_edges  density  components  largest_component_share  isolates
    2021Q1        4        3      0.5           2                     0.75         1
    """
    s = sessions[~sessions["activity"].isin(STAFF_ACTIVITIES)].dropna(subset=["date"])
    s = s.assign(period=pd.to_datetime(s["date"]).dt.to_period("Q").astype("str"))
    a = attendance[["session_id", "participant_id"]].dropna().drop_duplicates()
    a = a.merge(s[["session_id", "period"]], on="session_id", how="inner")
    rows = []
    for period in sorted(s["period"].unique()):
        q = a[a["period"] == period]
        people, person = np.unique(q["participant_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
        sess, session = np.unique(q["session_id"].to_numpy(dtype=object).astype(str), return_inverse=True)
        n = len(people)
        if n == 0:
            rows.append({"period": period, "n_nodes": 0, "n_edges": 0, "density": np.nan, "components": 0,
                         "largest_component_share": np.nan, "isolates": 0})
            continue
        b = sparse.csr_matrix((np.ones(len(q), dtype=np.int32), (person, session)), shape=(n, len(sess)))
        co = (b @ b.T).tocsr()
        co.setdiag(0)
        co.eliminate_zeros()
        n_edges = co.nnz // 2
        n_comp, labels = csgraph.connected_components(co, directed=False)
        largest = np.bincount(labels).max()
        isolates = int((np.diff(co.indptr) == 0).sum())
        rows.append({"period": period, "n_nodes": n, "n_edges": int(n_edges),
                     "density": 2 * n_edges / (n * (n - 1)) if n > 1 else np.nan,
                     "components": int(n_comp), "largest_component_share": largest / n, "isolates": isolates})
    return _frame(rows, COATTENDANCE_COLUMNS, {"period": "str", "n_nodes": "int64", "n_edges": "int64",
                                               "components": "int64", "isolates": "int64"})


# --------------------------------------------------------------------------- helpers

def _ties_frame(ties: pd.DataFrame | None) -> pd.DataFrame:
    """The ties columns used here, as strings, whatever was given (missing columns = empty)."""
    cols = ("participant_id", "wave", "alter", "alter_participant_id", "relation", "support", "on_estate")
    if ties is None:
        ties = pd.DataFrame()
    out = pd.DataFrame(index=ties.index)
    for col in cols:
        out[col] = ties[col].astype("str") if col in ties else pd.Series(pd.NA, index=ties.index, dtype="str")
    return out.dropna(subset=["participant_id", "wave"]).reset_index(drop=True)


def _ids(participants: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(participants["participant_id"].dropna().astype("str")))


def _group_of(participants: pd.DataFrame) -> dict[str, str]:
    if "group" not in participants:
        return {}
    g = participants[["participant_id", "group"]].dropna()
    g = g[g["group"].astype("str").str.strip() != ""]
    return dict(zip(g["participant_id"].astype("str"), g["group"].astype("str")))


def _edges(t: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """Distinct undirected edges (a < b) among registered participants."""
    known = set(ids)
    e = t.dropna(subset=["alter_participant_id"])
    e = e[e["participant_id"].isin(known) & e["alter_participant_id"].isin(known)
          & (e["participant_id"] != e["alter_participant_id"])]
    a, b = e["participant_id"].to_numpy(dtype=object), e["alter_participant_id"].to_numpy(dtype=object)
    lo = np.where(a < b, a, b) if len(e) else a
    hi = np.where(a < b, b, a) if len(e) else b
    return pd.DataFrame({"a": lo, "b": hi}).drop_duplicates().reset_index(drop=True)


def _describe_graph(ids: list[str], edges: pd.DataFrame, group: dict[str, str]) -> dict:
    g = nx.Graph()
    g.add_nodes_from(ids)
    g.add_edges_from(zip(edges["a"], edges["b"]))
    n, m = g.number_of_nodes(), g.number_of_edges()
    comps = [len(c) for c in nx.connected_components(g)]
    ga, gb = edges["a"].map(group), edges["b"].map(group)
    cross = int((ga.notna() & gb.notna() & (ga != gb)).sum())
    return {"n_nodes": n, "n_edges": m,
            "density": 2 * m / (n * (n - 1)) if n > 1 else np.nan,
            "mean_degree": 2 * m / n if n else np.nan,
            "components": len(comps),
            "largest_component_share": max(comps) / n if n else np.nan,
            "isolates": nx.number_of_isolates(g),
            "transitivity": nx.transitivity(g) if n else np.nan,
            "cross_group_ties": cross}


def _frame(rows: list[dict], columns: Sequence[str], dtypes: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(columns))
    for col in columns:
        out[col] = out[col].astype(dtypes.get(col, "float64"))
    return out


def _empty(columns: Sequence[str], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in columns})


def _sort_waves(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rank = {w: i for i, w in enumerate(WAVE_ORDER)}
    out = df.assign(_w=df["wave"].map(rank).fillna(len(rank)))
    by = ["_w" if c == "wave" else c for c in by]
    return out.sort_values(by, kind="stable").drop(columns="_w").reset_index(drop=True)
