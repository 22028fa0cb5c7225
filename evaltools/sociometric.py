"""The sociometric network among participants and the test of its change (docs/statistics.md#social-ties).

The network *among participants*: an undirected graph per wave whose nodes are
the registered participants and whose edges are ties naming another registered
participant (``alter_participant_id``).

- :func:`network_by_wave` describes it, one row per wave (``network.csv``);
- :func:`network_change_test` tests the change of its density and number of
  isolates between two waves by a dyad-level permutation test;
- :func:`network_edges` lists its edges at one wave (for the figures).

Each person's own ego network is in :mod:`evaltools.ties`, which also reads
the tables for both (:func:`~evaltools.ties.tie_rows`); the co-attendance
network is in :mod:`evaltools.coattendance`.

Examples
--------
>>> participants = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "group": ["G1", "G2", "G1"]})
>>> ties = pd.DataFrame({"participant_id": ["P1", "P1"], "wave": ["baseline", "baseline"],
...                      "alter": ["A1", "A2"], "alter_participant_id": ["P2", pd.NA]})
>>> network_by_wave(ties, participants)[["wave", "n_nodes", "n_edges", "isolates", "cross_group_ties"]]
       wave  n_nodes  n_edges  isolates  cross_group_ties
0  baseline        3        1         1                 1
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse import csgraph

from evaltools.ties import participant_groups, participant_ids, tie_rows, tie_waves

NETWORK_COLUMNS = ("wave", "n_nodes", "n_edges", "density", "mean_degree", "components",
                   "largest_component_share", "isolates", "transitivity", "cross_group_ties")
NETWORK_TEST_COLUMNS = ("measure", "baseline", "endline", "diff", "p_value", "method")
#: Measures tested by :func:`network_change_test`, in row order.
NETWORK_TEST_MEASURES = ("density", "isolates")


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
    ids = participant_ids(participants)
    t = tie_rows(ties)
    if waves is None:
        waves = tie_waves(t)  # t is already normalised: tie_rows(t) == t
    index = pd.Index(ids, dtype=object)
    group = _node_groups(participants, index)
    rows = []
    for wave in waves:
        key = _pair_keys(t[t["wave"] == wave], index)
        lo, hi = key // max(len(ids), 1), key % max(len(ids), 1)
        rows.append({"wave": wave, **_describe_graph(len(ids), lo, hi, group)})
    return _frame(rows, NETWORK_COLUMNS, {"wave": "str", "n_nodes": "int64", "n_edges": "int64",
                                          "components": "int64", "isolates": "int64",
                                          "cross_group_ties": "int64"})


def network_change_test(ties: pd.DataFrame, participants: pd.DataFrame, *, n_perm: int = 4999,
                        seed: int = 0, waves: tuple[str, str] = ("baseline", "endline")) -> pd.DataFrame:
    """Did the network's density and number of isolates change? A dyad-level permutation test.

    The unit measured twice is the *dyad*, the unordered pair of
    participants: at each wave it is tied (either named the other) or not.
    Under the null hypothesis of no change, which of a pair's two tie states
    is the baseline one is a coin toss. The test swaps the two states of
    each pair with probability ½ (``numpy.random.default_rng(seed)``,
    ``n_perm`` times), recomputes the statistic S = endline − baseline and
    gives the two-sided Monte Carlo p-value (Phipson & Smyth 2010)

        p = (1 + #{|S*| ≥ |S_obs|}) / (1 + n_perm),

    which is never 0 (docs/statistics.md). Permuting dyads keeps a reciprocated
    tie (A names B and B names A) one unit; swapping each respondent's tie
    list on its own, as an earlier version did, splits it, breaks
    exchangeability and rejects a true null far too often.

    Only pairs tied at exactly one wave change under a swap, so the work is
    proportional to them (times ``n_perm``), never to all n(n − 1)/2 pairs:
    100,000 participants are fine. Both statistics are counts (edges,
    isolates), so ties of |S*| and |S_obs| are exact.

    Parameters
    ----------
    ties, participants : DataFrame
        The ``ties`` and ``participants`` tables (every registered
        participant is a node, as in :func:`network_by_wave`).
    n_perm : int
        Random swaps of all pairs (default 4999).
    seed : int
        Seed of the swaps.
    waves : (str, str)
        The two waves compared; ``baseline`` and ``endline`` name the
        result's columns whatever they are.

    Returns
    -------
    DataFrame
        Columns :data:`NETWORK_TEST_COLUMNS`, one row per measure of
        :data:`NETWORK_TEST_MEASURES` (density, isolates): the value at each
        wave (those of :func:`network_by_wave`), ``diff`` = endline −
        baseline, ``p_value`` and ``method`` (``dyad_permutation``). When a
        wave has no ties rows at all, its value, ``diff`` and ``p_value``
        are empty and ``method`` is ``not_tested``; with fewer than two
        participants density has no test (empty ``p_value``).

    Examples
    --------
    Four pairs tied only at endline: S* = 4 only when no pair is swapped,
    −4 only when all are, so p ≈ 2/16.

    >>> participants = pd.DataFrame({"participant_id": list("ABCDEFGH")})
    >>> ties = pd.DataFrame({"participant_id": ["A", "C", "E", "G", "A"],
    ...                      "wave": ["endline"] * 4 + ["baseline"], "alter": ["1"] * 4 + [pd.NA],
    ...                      "alter_participant_id": ["B", "D", "F", "H", pd.NA]})
    >>> network_change_test(ties, participants)[["measure", "baseline", "endline", "diff", "p_value"]]
        measure  baseline   endline      diff  p_value
    0   density       0.0  0.142857  0.142857   0.1222
    1  isolates       8.0  0.000000 -8.000000   0.1222
    """
    pre, post = waves
    ids = participant_ids(participants)
    t = tie_rows(ties)
    present = set(t["wave"].dropna().unique())
    if pre not in present or post not in present or not ids:
        return _untested_change(t, participants, waves, present)
    n = len(ids)
    index = pd.Index(ids, dtype=object)
    keys = {w: _pair_keys(t[t["wave"] == w], index) for w in waves}
    swing = _swing_pairs(keys[pre], keys[post], n)
    observed_bits = np.where(swing.at_pre, np.uint64(2 ** 64 - 1), np.uint64(0)).astype(np.uint64)[:, None]
    observed = _swap_statistics(observed_bits, 1, swing)[0]
    p = (1 + _permutation_hits(swing, observed_bits, observed, n_perm, seed)) / (1 + n_perm)
    return _tested_change([keys[w] for w in waves], n, observed, p)


def _tested_change(keys: list[np.ndarray], n: int, observed: np.ndarray, p: np.ndarray) -> pd.DataFrame:
    """The rows of :func:`network_change_test` from both waves' pair keys, S_obs and the p-values."""
    n_dyads = n * (n - 1) / 2
    density = [len(k) / n_dyads if n > 1 else np.nan for k in keys]
    isolates = [n - len(np.unique(np.r_[k // n, k % n])) for k in keys]
    values = {"density": (density, observed[0] / n_dyads if n > 1 else np.nan, p[0] if n > 1 else np.nan),
              "isolates": (isolates, observed[1], p[1])}
    rows = [{"measure": m, "baseline": values[m][0][0], "endline": values[m][0][1], "diff": values[m][1],
             "p_value": float(values[m][2]), "method": "dyad_permutation"} for m in NETWORK_TEST_MEASURES]
    return _frame(rows, NETWORK_TEST_COLUMNS, {"measure": "str", "method": "str"})


def _untested_change(t: pd.DataFrame, participants: pd.DataFrame, waves: tuple[str, str],
                     present: set[str]) -> pd.DataFrame:
    """The rows of :func:`network_change_test` when a wave has no ties rows or nobody is registered."""
    pre, post = waves
    net = network_by_wave(t, participants, waves=[w for w in (pre, post) if w in present]).set_index("wave")
    rows = [{"measure": m,
             "baseline": float(net.loc[pre, m]) if pre in net.index else np.nan,
             "endline": float(net.loc[post, m]) if post in net.index else np.nan,
             "diff": np.nan, "p_value": np.nan, "method": "not_tested"} for m in NETWORK_TEST_MEASURES]
    return _frame(rows, NETWORK_TEST_COLUMNS, {"measure": "str", "method": "str"})


class _Swing(NamedTuple):
    """Pairs tied at exactly one wave (``at_pre``: tied at baseline) and the "open" people a swap can isolate.

    ``swing_of_end``: the swing pair of each open person's end, grouped by person; ``starts``: where each
    person's run begins. Stably tied people are linked at both waves, people on no swing pair at neither.
    """

    at_pre: np.ndarray
    swing_of_end: np.ndarray
    starts: np.ndarray


def _swing_pairs(pre_keys: np.ndarray, post_keys: np.ndarray, n: int) -> _Swing:
    """The :class:`_Swing` of two waves' pair keys lo · n + hi (sorted, distinct)."""
    stable = np.intersect1d(pre_keys, post_keys, assume_unique=True)
    lost = np.setdiff1d(pre_keys, post_keys, assume_unique=True)
    gained = np.setdiff1d(post_keys, pre_keys, assume_unique=True)
    swing = np.concatenate([lost, gained])  # the pairs a swap changes: tied at exactly one wave
    at_pre = np.r_[np.ones(len(lost), bool), np.zeros(len(gained), bool)]
    linked_both = np.zeros(n, bool)
    linked_both[stable // n] = True
    linked_both[stable % n] = True
    ends = np.concatenate([swing // n, swing % n])
    swing_of_end = np.tile(np.arange(len(swing)), 2)
    open_end = ~linked_both[ends]
    order = np.argsort(ends[open_end], kind="stable")
    open_person, swing_of_end = ends[open_end][order], swing_of_end[open_end][order]
    starts = np.flatnonzero(np.r_[True, open_person[1:] != open_person[:-1]]) if len(order) else order
    return _Swing(at_pre, swing_of_end, starts)


def _swap_statistics(pre_bits: np.ndarray, b: int, swing: _Swing) -> np.ndarray:
    """Tie states at pre, packed 64 swaps to a word: (swing pairs, words) -> (b, 2): S of edges, isolates.

    The bits of one swap run down a column, so "is this person linked" is an OR over the
    rows of their pairs, done on 64 swaps at a time.
    """
    edges = len(swing.at_pre) - 2 * _column_bit_counts(pre_bits, b)  # edges_post - edges_pre
    if not len(swing.starts):
        return np.column_stack([edges, np.zeros(b, np.int64)])
    at_ends = pre_bits[swing.swing_of_end]
    linked_pre = np.bitwise_or.reduceat(at_ends, swing.starts, axis=0)
    linked_post = ~np.bitwise_and.reduceat(at_ends, swing.starts, axis=0)  # some pair not at pre is at post
    return np.column_stack([edges, _column_bit_counts(linked_pre, b) - _column_bit_counts(linked_post, b)])


def _permutation_hits(swing: _Swing, observed_bits: np.ndarray, observed: np.ndarray, n_perm: int,
                      seed: int) -> np.ndarray:
    """#{|S*| ≥ |S_obs|} per statistic over ``n_perm`` random swaps, drawn as packed bits in chunks."""
    n_swing = len(swing.at_pre)
    rng = np.random.default_rng(seed)
    hits = np.zeros(2, np.int64)
    chunk = 64 * max(1, 2 ** 20 // max(len(swing.swing_of_end) + n_swing, 1))  # ~8 MB of packed swaps per chunk
    for start in range(0, n_perm, chunk):
        b = min(chunk, n_perm - start)
        words = (b + 63) // 64
        swaps = np.frombuffer(rng.bytes(8 * n_swing * words), dtype=np.uint64).reshape(n_swing, words)
        hits += (np.abs(_swap_statistics(swaps ^ observed_bits, b, swing)) >= np.abs(observed)).sum(axis=0)
    return hits


def network_edges(ties: pd.DataFrame, participants: pd.DataFrame, *, wave: str) -> pd.DataFrame:
    """The edges of the network among participants at one wave, as in :func:`network_by_wave`.

    An edge joins two registered participants when either named the other
    (``alter_participant_id``) at ``wave``; self-ties, alters who are not
    registered and rows without ``alter`` (named nobody) give none, and a
    pair named twice is one edge.

    Returns
    -------
    DataFrame
        Columns ``a``, ``b`` (participant ids, ``a < b``), one row per edge.

    Examples
    --------
    >>> participants = pd.DataFrame({"participant_id": ["A", "B", "C"]})
    >>> ties = pd.DataFrame({"participant_id": ["B", "A", "C"], "wave": ["endline"] * 3,
    ...                      "alter": ["1", "1", "1"], "alter_participant_id": ["A", "B", "X"]})
    >>> network_edges(ties, participants, wave="endline")
       a  b
    0  A  B
    """
    t = tie_rows(ties)
    return _edges(t[t["wave"] == wave], participant_ids(participants))


# --------------------------------------------------------------------------- helpers

def _edges(t: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    """Distinct undirected edges (a < b) among registered participants, from normalised tie rows."""
    known = set(ids)
    e = t.dropna(subset=["alter", "alter_participant_id"])
    e = e[e["participant_id"].isin(known) & e["alter_participant_id"].isin(known)
          & (e["participant_id"] != e["alter_participant_id"])]
    a, b = e["participant_id"].to_numpy(dtype=object), e["alter_participant_id"].to_numpy(dtype=object)
    lo = np.where(a < b, a, b) if len(e) else a
    hi = np.where(a < b, b, a) if len(e) else b
    return pd.DataFrame({"a": lo, "b": hi}).drop_duplicates().reset_index(drop=True)


def _column_bit_counts(words: np.ndarray, b: int) -> np.ndarray:
    """For bit j of a (rows, w) uint64 array (bit k of word i is j = 64i + k), the rows where it is set; j < b."""
    rows, w = words.shape
    # lay the bytes out with the rows contiguous, so that one uint64 holds byte i of 8 rows ...
    padded = np.zeros((8 * w, -(-rows // 8) * 8), np.uint8)
    padded[:, :rows] = words.view(np.uint8).T  # little-endian: byte i of a word holds its bits 8i..8i+7
    eight_rows = padded.view(np.uint64)
    counts = np.empty((8 * w, 8), np.int64)
    for k in range(8):  # ... and a popcount of bit k of each byte counts it over those 8 rows
        counts[:, k] = np.bitwise_count(eight_rows & np.uint64(0x0101010101010101 << k)).sum(axis=1)
    return counts.ravel()[:b]


def _pair_keys(t: pd.DataFrame, index: pd.Index) -> np.ndarray:
    """Distinct undirected edges among participants (as :func:`_edges`), sorted, as keys lo · n + hi.

    lo < hi are positions in ``index`` (the participants, n of them).
    """
    e = t[t["alter"].notna().to_numpy() & t["alter_participant_id"].notna().to_numpy()]
    ego = index.get_indexer(e["participant_id"].to_numpy(dtype=object))
    alter = index.get_indexer(e["alter_participant_id"].to_numpy(dtype=object))
    real = (ego >= 0) & (alter >= 0) & (ego != alter)
    n = np.int64(max(len(index), 1))
    return np.unique(np.minimum(ego, alter)[real].astype(np.int64) * n + np.maximum(ego, alter)[real])


def _node_groups(participants: pd.DataFrame, index: pd.Index) -> np.ndarray:
    """Each node's group as an integer code (−1: none), from :func:`participant_groups`."""
    group = participant_groups(participants)
    if not group:
        return np.full(len(index), -1, np.int64)
    of_node = pd.Series(group, dtype=object).reindex(index).to_numpy(dtype=object)
    return pd.factorize(of_node)[0].astype(np.int64)


def _describe_graph(n: int, lo: np.ndarray, hi: np.ndarray, group: np.ndarray) -> dict:
    """The measures of :data:`NETWORK_COLUMNS` of a graph on nodes 0..n−1 with edges (lo, hi), lo < hi.

    Sparse-matrix arithmetic on the same definitions as networkx: components by
    :func:`scipy.sparse.csgraph.connected_components`; transitivity as
    :func:`networkx.transitivity`, 6 × triangles / Σ deg·(deg − 1) in exact integers, 0 without triangles.
    """
    m = len(lo)
    degree = np.bincount(lo, minlength=n) + np.bincount(hi, minlength=n)
    if n:
        upper = sparse.csr_matrix((np.ones(m, np.int64), (lo, hi)), shape=(n, n))
        n_comp, labels = csgraph.connected_components(upper, directed=False)
        largest = int(np.bincount(labels).max())
        # a triangle a < b < c is the one path a→b→c of the upper triangle closed by a→c
        triangles = int((upper @ upper).multiply(upper).sum())
        triples = int((degree * (degree - 1)).sum())
    gl, gh = group[lo], group[hi]
    return {"n_nodes": n, "n_edges": m,
            "density": 2 * m / (n * (n - 1)) if n > 1 else np.nan,
            "mean_degree": 2 * m / n if n else np.nan,
            "components": int(n_comp) if n else 0,
            "largest_component_share": largest / n if n else np.nan,
            "isolates": int((degree == 0).sum()),
            "transitivity": (6 * triangles / triples if triangles else 0) if n else np.nan,
            "cross_group_ties": int(((gl >= 0) & (gh >= 0) & (gl != gh)).sum())}


def _frame(rows: list[dict], columns: Sequence[str], dtypes: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=list(columns))
    for col in columns:
        out[col] = out[col].astype(dtypes.get(col, "float64"))
    return out
