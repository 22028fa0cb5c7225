"""Paired change from baseline to endline (docs/statistics.md#paired-change, docs/outputs.md#change).

Complete pairs only: a person counts for an instrument × scale when both the
baseline and the endline score exist (the pairing: :mod:`evaltools.pairing`,
whose names stay importable from here). With d = round(endline − baseline, 10)
(so that differences of item means that are equal stay tied):

- ``mean_diff`` with a t-based CI (``ci_level`` = 1 − ``alpha``);
- paired t as ``scipy.stats.ttest_rel(post, pre)`` (computed in one pass for
  all cells; equal to SciPy's to rounding). When every d is the same (sd of
  d is 0: everyone changed by the same amount) there is no variation to
  test: t, p_t, d_z and the g_av CI are empty (SciPy gives t = ±inf, p = 0);
- Wilcoxon signed-rank on the non-zero differences (:func:`wilcoxon_cells`):
  SciPy's statistic, p exact (given the tied ranks) when at most 50
  differences are non-zero, else the normal approximation with tie correction;
- d_z = mean_diff / sd(d) (NaN when sd(d) is 0);
- g_av = mean_diff / ((sd_pre + sd_post)/2) × (1 − 3/(8n − 9)) (Lakens 2013),
  with a CI from the noncentral t: λ_L, λ_U solve
  ``nct.sf(t, n − 1, λ) = alpha/2`` and ``1 − alpha/2``; CI = g_av·λ/t
  (empty when t = 0 or not finite, or n < 3);
- p_holm: Holm's adjustment of p_t within one family of shown (not
  suppressed) rows, named in ``holm_family``: the ``all`` rows of the
  ``primary_outcomes`` (``instrument/scale``, from project.yaml) form the
  confirmatory family ``primary``; every other row is exploratory, in the
  family ``<instrument>/<group>`` (ego-network measures: ``ego_network``);
  without primary outcomes every row is exploratory;
- mdes_dz: the smallest d_z that a two-sided paired t-test at ``alpha`` on
  n_pairs people detects with 80 % power (:func:`evaltools.power.mdes_dz`,
  equal to ``statsmodels``' ``TTestPower().solve_power``).

Rows: every instrument × scale (those of ``instruments`` in their order, then
any other instrument in ``scores`` such as ``ego_network``) × every group:
``all`` always, then the groups of ``membership`` (:mod:`evaltools.groups`).
A group with no pair keeps a row with ``n_pairs`` 0, suppressed; a group
holding exactly the people of ``all`` has no row
(:func:`evaltools.groups.without_repeats_of_all`). Small cells
are suppressed with :func:`evaltools.suppression.suppress_small_cells` (below
``min_cell``, complementary within the partition, and a row whose people lie
within another row's, 1 to ``min_cell`` − 1 pairs fewer); a suppressed row
keeps only ``instrument, scale, group, n_pairs, suppressed`` (``holm_family``
empty: it is in no family).

Examples
--------
>>> movie1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]   # Lakens (2013), table 1
>>> movie2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]
>>> scores = pd.DataFrame({"participant_id": [f"P{i}" for i in range(10)] * 2,
...                        "wave": ["baseline"] * 10 + ["endline"] * 10,
...                        "instrument": "movie", "scale": "rating", "score": movie2 + movie1})
>>> members = pd.DataFrame({"participant_id": [], "group": []})
>>> row = paired_change(scores, membership=members).iloc[0]
>>> [round(float(row[c]), 2) for c in ("t", "d_z", "g_av")]
[4.74, 1.5, 1.08]
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import elementwise

# group_membership, MEMBERSHIP_COLUMNS and MDES_POWER live in groups and power; they stay importable
# from here for notebooks written before those modules existed.
from evaltools.groups import MEMBERSHIP_COLUMNS, as_membership, by_group, group_membership, group_order  # noqa: F401
from evaltools.groups import ALL, grid_people, group_rows, partition
from evaltools.pairing import KEY, ScoreCodes, cell_grid, pair_rows, pair_values, scale_key_index, scale_keys
from evaltools.power import MDES_POWER, mdes_dz  # noqa: F401
from evaltools.suppression import suppress_small_cells

CHANGE_COLUMNS = [
    "instrument", "scale", "group", "n_pairs", "mean_pre", "sd_pre", "mean_post", "sd_post", "mean_diff",
    "ci_low", "ci_high", "ci_level", "t", "df", "p_t", "w_stat", "p_wilcoxon", "d_z", "g_av", "g_av_ci_low",
    "g_av_ci_high", "p_holm", "suppressed", "mdes_dz", "holm_family",
]
#: The ``holm_family`` of the confirmatory tests: the ``all`` rows of project.yaml's ``primary_outcomes``.
PRIMARY_FAMILY = "primary"


# --------------------------------------------------------------------------- statistics

def _solve_nct_lambda(t: np.ndarray, df: np.ndarray, q: float) -> np.ndarray:
    """λ with ``nct.sf(t, df, λ) = q``, for arrays of t and df (all finite, df ≥ 1)."""
    if t.size == 0:
        return np.empty(0)

    def f(lam, t, df):
        return stats.nct.sf(t, df, lam) - q

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bracket = elementwise.bracket_root(f, t - 1.0, t + 1.0, args=(t, df))
        res = elementwise.find_root(f, bracket.bracket, args=(t, df),
                                    tolerances={"xatol": 1e-12, "xrtol": 1e-12})
    return np.where(bracket.success & res.success, res.x, np.nan)


def noncentral_t_ci(t: np.ndarray, df: np.ndarray, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """λ_L, λ_U solving ``nct.sf(t, df, λ) = alpha/2`` and ``1 − alpha/2`` (NaN where t = 0 or not finite).

    >>> lo, hi = noncentral_t_ci(np.array([4.743416]), np.array([9.0]))
    >>> bool(abs(stats.nct.sf(4.743416, 9, lo[0]) - 0.025) < 1e-9)
    True
    """
    t = np.asarray(t, dtype="float64")
    df = np.asarray(df, dtype="float64")
    ok = np.isfinite(t) & (t != 0) & np.isfinite(df) & (df >= 1)
    lo = np.full(t.shape, np.nan)
    hi = np.full(t.shape, np.nan)
    # each distinct (t, df) solved once (at 100,000 people half the cells repeat one): the solver works element by
    # element, so a value is the same whichever others are solved beside it
    pairs, inverse = np.unique(np.column_stack([t[ok], df[ok]]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    lo[ok] = _solve_nct_lambda(pairs[:, 0], pairs[:, 1], alpha / 2)[inverse]
    hi[ok] = _solve_nct_lambda(pairs[:, 0], pairs[:, 1], 1 - alpha / 2)[inverse]
    return lo, hi


@functools.cache
def _signed_rank_null(doubled_ranks: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Null distribution of 2·R⁺ when each rank counts with probability ½: (cdf, sf) indexed by 2·R⁺."""
    pmf = np.ones(1)
    for r in doubled_ranks:
        nxt = np.zeros(len(pmf) + r)
        nxt[: len(pmf)] += pmf * 0.5
        nxt[r:] += pmf * 0.5
        pmf = nxt
    return np.cumsum(pmf), np.cumsum(pmf[::-1])[::-1]


#: The largest number of non-zero differences whose Wilcoxon p-value is exact (above: normal approximation).
WILCOXON_EXACT_MAX = 50


def wilcoxon_cells(diff: np.ndarray, cell: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilcoxon signed-rank test on the non-zero differences, for many samples at once.

    ``cell`` (ints in 0..n_cells−1) says which sample each value of ``diff``
    belongs to. Zeros are dropped (``zero_method='wilcox'``) and the absolute
    non-zero differences ranked, ties getting their mean rank. The statistic
    is min(R⁺, R⁻), SciPy's. The two-sided p-value is

    - exact when at most :data:`WILCOXON_EXACT_MAX` differences are non-zero:
      2 × the smaller tail at R⁺ of the distribution of R⁺ when each
      (mid-)rank counts with probability ½, conditional on the ranks found,
      so that ties are handled (without ties this is
      ``scipy.stats.wilcoxon(d, method="exact")``; with ties SciPy's exact
      method ignores them, and its permutation test gives this value);
      a sample whose differences are all zero gets statistic 0 and p 1;
    - else the normal approximation with tie correction and no continuity
      correction (``scipy.stats.wilcoxon(d, method="approx")``).

    An empty sample gives NaN. SciPy's default (``method="auto"``) switches
    to the normal approximation as soon as there are zeros or ties among more
    than 13 values, which misstates p when most differences are 0
    (15 zeros and 1, 2, 3, 4, 5: 0.043 where the exact p is 0.0625).

    >>> d = np.array([0.0] * 15 + [1.0, 2.0, 3.0, 4.0, 5.0])
    >>> w, p = wilcoxon_cells(d, np.zeros(20, dtype=int), 1)
    >>> ref = stats.wilcoxon(d, method="exact")
    >>> bool(w[0] == ref.statistic == 0 and abs(p[0] - ref.pvalue) < 1e-15), float(p[0])
    (True, 0.0625)
    """
    diff = np.asarray(diff, dtype="float64")
    cell = np.asarray(cell, dtype="int64")
    n_total = np.bincount(cell, minlength=n_cells)
    nonzero = diff != 0
    count = np.bincount(cell[nonzero], minlength=n_cells)
    owner = cell[nonzero]
    rank, pos, tie_correct, sorted_owner, sorted_rank = _signed_ranks(owner, diff[nonzero], n_cells)
    r_plus = np.bincount(owner, weights=rank * pos, minlength=n_cells)
    r_minus = np.bincount(owner, weights=rank * ~pos, minlength=n_cells)

    defined = n_total > 0
    stat = np.where(defined, np.minimum(r_plus, r_minus), np.nan)
    asymptotic = defined & (count > WILCOXON_EXACT_MAX)
    with np.errstate(all="ignore"):
        mn = count * (count + 1.0) * 0.25
        se = np.sqrt((count * (count + 1.0) * (2.0 * count + 1.0) - tie_correct / 2) / 24)
        z = (r_plus - mn) / se
        p = np.where(asymptotic, 2 * stats.norm.sf(np.abs(z)), np.nan)
    exact = np.flatnonzero(defined & ~asymptotic)
    if len(exact):
        p[exact] = _exact_p(exact, sorted_owner, sorted_rank, np.rint(2 * r_plus[exact]).astype("int64"))
    return stat, p


def _exact_p(exact: np.ndarray, sorted_owner: np.ndarray, sorted_rank: np.ndarray,
             observed: np.ndarray) -> np.ndarray:
    """The exact two-sided p of the cells ``exact`` (at most :data:`WILCOXON_EXACT_MAX` ranks each), 2·R⁺ ``observed``.

    Cells with the same ranks share one null distribution: each cell's sorted doubled ranks (a row padded
    with 0; a doubled rank is ≥ 2) are hashed as one byte string, and each distinct one is looked up once.
    """
    # each cell's doubled ranks, sorted, as slices of one array (not one pandas group per cell)
    in_exact = np.isin(sorted_owner, exact)
    owner = sorted_owner[in_exact]
    doubled = np.rint(2 * sorted_rank[in_exact]).astype("int64")
    starts, ends = np.searchsorted(owner, exact, "left"), np.searchsorted(owner, exact, "right")
    lengths = ends - starts
    place = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    padded = np.zeros((len(exact), max(int(lengths.max(initial=0)), 1)), dtype="uint16")
    padded[np.repeat(np.arange(len(exact)), lengths), place] = doubled[np.repeat(starts, lengths) + place]
    which, distinct = pd.factorize(padded.view(f"S{2 * padded.shape[1]}").ravel())  # only the padding is stripped
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(distinct) + 1))
    p = np.empty(len(exact))
    for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        cells = order[a:b]
        cdf, sf = _signed_rank_null(tuple(r for r in padded[cells[0]].tolist() if r))
        p[cells] = np.minimum(1.0, 2 * np.minimum(cdf[observed[cells]], sf[observed[cells]]))
    return p


def _signed_ranks(cell: np.ndarray, diff: np.ndarray, n_cells: int):
    """The ranks of ``|diff|`` within each cell, ties at their mean rank (pandas' ``rank(method="average")``).

    Returns the ranks and ``diff > 0`` (in the order given), per cell the
    tie term Σ(t³ − t) over the groups of t equal ``|diff|``, and the cells
    and ranks sorted by (cell, rank). One sort of (cell, |diff|), not one
    pandas group per cell.
    """
    absd = np.abs(diff)
    # one integer key per (cell, |diff|): |diff| by its place among the distinct values (one sort, not two)
    values = np.sort(pd.unique(absd))
    order = np.argsort(cell.astype("int64") * (len(values) + 1) + np.searchsorted(values, absd), kind="stable")
    c, a = cell[order], absd[order]
    new_cell = np.r_[True, c[1:] != c[:-1]] if len(c) else np.zeros(0, dtype=bool)
    new_run = new_cell | np.r_[True, a[1:] != a[:-1]] if len(c) else new_cell
    first_of_cell = np.flatnonzero(new_cell)
    first_of_run = np.flatnonzero(new_run)
    run_len = np.diff(np.r_[first_of_run, len(c)])
    # a run's first place within its cell (0-based) + (length + 1) / 2: the mean of its ranks, exactly
    cell_start = first_of_cell[np.cumsum(new_cell)[first_of_run] - 1]
    run_rank = (first_of_run - cell_start) + (run_len + 1) / 2
    sorted_rank = np.repeat(run_rank, run_len)
    sorted_rank[np.isnan(a)] = np.nan  # a missing difference has no rank (as pandas)
    rank = np.empty(len(c))
    rank[order] = sorted_rank
    t = run_len.astype("float64")
    tie_correct = np.bincount(c[first_of_run], weights=t**3 - t, minlength=n_cells)
    return rank, diff > 0, tie_correct, c, sorted_rank


def holm(p: pd.Series, families: pd.DataFrame) -> pd.Series:
    """Holm's step-down adjustment of ``p`` within each family (rows with the same ``families`` values).

    NaN p-values stay NaN and do not count in their family.

    >>> p = pd.Series([0.01, 0.04, 0.03, 0.5])
    >>> holm(p, pd.DataFrame({"f": ["a", "a", "a", "b"]})).round(4).tolist()
    [0.03, 0.06, 0.06, 0.5]
    """
    out = pd.Series(np.nan, index=p.index, dtype="float64")
    ok = p.notna()
    if not ok.any():
        return out
    fam_cols = list(families.columns)
    work = families.loc[ok].copy()
    work["_p"] = p[ok].astype("float64")
    work = work.sort_values([*fam_cols, "_p"], kind="stable")
    g = work.groupby(fam_cols, sort=False, dropna=False)
    m = g["_p"].transform("size")
    rank = g.cumcount()
    work["_adj"] = ((m - rank) * work["_p"]).clip(upper=1.0)
    work["_adj"] = work.groupby(fam_cols, sort=False, dropna=False)["_adj"].cummax()
    out[work.index] = work["_adj"]
    return out


def _empty_change() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series([], dtype="float64") for c in CHANGE_COLUMNS})
    return out.astype({"instrument": "str", "scale": "str", "group": "str", "n_pairs": "int64", "suppressed": "bool",
                       "holm_family": "str"})


def holm_families(change: pd.DataFrame, primary_outcomes: Iterable[str] | None = None) -> pd.Series:
    """The Holm family of each row of a change table: ``primary``, ``<instrument>/<group>``, or empty.

    A shown ``all`` row of an ``instrument/scale`` named in
    ``primary_outcomes`` is in the confirmatory family ``primary``; every
    other shown row is exploratory, in the family of its instrument and
    group; a suppressed row is in none (NaN).

    >>> ch = pd.DataFrame({"instrument": ["emp", "emp", "emp", "rec"], "scale": ["agency", "voice", "agency", "coping"],
    ...                    "group": ["all", "all", "G1", "all"], "suppressed": [False, False, False, True]})
    >>> holm_families(ch, ["emp/agency", "rec/coping"]).tolist()
    ['primary', 'emp/all', 'emp/G1', nan]
    >>> holm_families(ch).tolist()
    ['emp/all', 'emp/all', 'emp/G1', nan]
    """
    instrument = change["instrument"].astype("str")
    family = (instrument + "/" + change["group"].astype("str")).astype(object)
    primary = {str(p) for p in (primary_outcomes or [])}
    if primary:
        named = (instrument + "/" + change["scale"].astype("str")).isin(primary)
        family = family.mask(named & (change["group"] == ALL), PRIMARY_FAMILY)
    return family.mask(change["suppressed"].astype(bool), np.nan)


def paired_change(
    scores: pd.DataFrame,
    *,
    membership: pd.DataFrame,
    min_cell: int = 5,
    alpha: float = 0.05,
    instruments: Mapping | None = None,
    partition_groups: Iterable | None = None,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
    primary_outcomes: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Paired change per instrument × scale × group: the ``change.csv`` table.

    Parameters
    ----------
    scores : DataFrame
        Long scores: ``participant_id, wave, instrument, scale, score`` (the
        :func:`evaltools.scoring.score_all` table, ego-network measures as
        instrument ``ego_network``, ...).
    membership : DataFrame
        ``participant_id, group`` (:func:`group_membership`); ``all`` always
        means every person with a pair, whatever ``membership`` holds.
    min_cell : int
        Rows with fewer pairs are suppressed.
    alpha : float
        1 − ``ci_level``; also the level at which ``mdes_dz`` is computed.
    instruments : mapping of id to Instrument, optional
        Scales of these instruments get rows even when nobody answered them,
        and give the row order.
    partition_groups : iterable, optional
        The ``participants.group`` values (they partition the people); by
        default every group of ``membership`` that is neither ``all`` nor a
        component code.
    pre_wave, post_wave : str
        The two waves compared.
    primary_outcomes : iterable of str, optional
        project.yaml's ``primary_outcomes`` (``instrument/scale``): their
        ``all`` rows form the confirmatory Holm family ``primary``
        (:func:`holm_families`).

    Returns
    -------
    DataFrame
        The columns of ``change.csv`` (docs/outputs.md#change), in order.
    """
    codes = ScoreCodes(scores)
    keys = scale_keys(scores, instruments, codes=codes)
    if len(keys) == 0:
        return _empty_change()
    membership = as_membership(membership)
    groups = group_order(membership)
    pre, post = pair_rows(scores, pre_wave=pre_wave, post_wave=post_wave, codes=codes)
    grid = cell_grid(keys, groups)
    # each pair under `all` and its person's groups (the rows of by_group), as integers: its grid row is its cell
    row, group, person = group_rows(scores["participant_id"].iloc[pre], membership, groups)
    key = scale_key_index(scores, keys, codes=codes)[pre]
    cell = key[row] * len(groups) + group
    values = pair_values(scores, pre, post)  # per pair, then repeated for each of its person's groups
    long = pd.DataFrame({c: values[c].to_numpy()[row] for c in values.columns})
    out = _change_statistics(grid, long, cell, alpha)
    out = _without_small_cells(out, cell, person, len(keys), groups, min_cell=min_cell,
                               partition_groups=partition(membership, partition_groups))
    out = _slow_statistics(out, long["diff"].to_numpy(), cell, alpha)
    out["holm_family"] = holm_families(out, primary_outcomes)
    shown = ~out["suppressed"]
    out["p_holm"] = holm(out.loc[shown, "p_t"], out.loc[shown, ["holm_family"]]).reindex(out.index)
    float_cols = [c for c in CHANGE_COLUMNS
                  if c not in ("instrument", "scale", "group", "n_pairs", "suppressed", "holm_family")]
    return out.astype({**{c: "float64" for c in float_cols}, "suppressed": "bool"}).reset_index(drop=True)


def _change_statistics(grid: pd.DataFrame, long: pd.DataFrame, cell: np.ndarray, alpha: float) -> pd.DataFrame:
    """The grid with the fast statistics of each cell (the pairs ``long``, ``pre, post, diff``, in ``cell``).

    The columns of ``change.csv``; Wilcoxon, the g_av CI, Holm are left empty.
    """
    stats_ = long.groupby(cell, sort=False).agg(
        n_pairs=("diff", "size"), mean_pre=("pre", "mean"), sd_pre=("pre", "std"), mean_post=("post", "mean"),
        sd_post=("post", "std"), mean_diff=("diff", "mean"), _sd_d=("diff", "std"), _min_d=("diff", "min"),
        _max_d=("diff", "max"))
    out = pd.concat([grid, stats_.reindex(np.arange(len(grid)))], axis=1)
    out["n_pairs"] = out["n_pairs"].fillna(0).astype("int64")
    n = out["n_pairs"].to_numpy(dtype="float64")
    mean_d = out["mean_diff"].to_numpy(dtype="float64")
    sd_d = out["_sd_d"].to_numpy(dtype="float64")
    sd_d = np.where(out["_min_d"].to_numpy(dtype="float64") == out["_max_d"].to_numpy(dtype="float64"), 0.0, sd_d)
    sd_d = np.where(n >= 2, sd_d, np.nan)
    df = np.where(n >= 2, n - 1, np.nan)
    with np.errstate(all="ignore"):
        se = sd_d / np.sqrt(n)
        half = stats.t.isf(alpha / 2, df) * se
        t = np.where(sd_d > 0, mean_d / se, np.nan)  # sd of d 0: nothing to test (not ±inf, p 0)
        sd_av = (out["sd_pre"].to_numpy(dtype="float64") + out["sd_post"].to_numpy(dtype="float64")) / 2
        out = out.assign(
            ci_low=mean_d - half, ci_high=mean_d + half, ci_level=1.0 - alpha, t=t, df=df,
            p_t=np.where(np.isnan(t), np.nan, 2 * stats.t.sf(np.abs(t), df)), w_stat=np.nan, p_wilcoxon=np.nan,
            d_z=np.where(sd_d > 0, mean_d / sd_d, np.nan),
            g_av=np.where(sd_av > 0, mean_d / sd_av * (1 - 3 / (8 * n - 9)), np.nan), g_av_ci_low=np.nan,
            g_av_ci_high=np.nan, p_holm=np.nan, suppressed=False, mdes_dz=mdes_dz(n, alpha=alpha), holm_family=None)
    return out[CHANGE_COLUMNS]


def _without_small_cells(out: pd.DataFrame, cell: np.ndarray, person: np.ndarray, n_keys: int, groups: list[str], *,
                         min_cell: int, partition_groups: frozenset) -> pd.DataFrame:
    """``out`` (a row per cell of the grid) without the repeats of ``all``, its small cells suppressed."""
    # the people of each cell of the grid (keys × groups, groups fastest, `all` first), found on integers
    people, repeat = grid_people(cell, person, n_keys, groups)
    kept = out.index[~repeat[out.index]]
    return suppress_small_cells(out.loc[kept], n_col="n_pairs", min_cell=min_cell, keys=(*KEY, "group"),
                                partition_groups=partition_groups, people=people[kept])


def _slow_statistics(out: pd.DataFrame, diff: np.ndarray, cell: np.ndarray, alpha: float) -> pd.DataFrame:
    """``out`` with Wilcoxon and the g_av CI of each shown row (``out``'s index is its cell, the pairs' ``diff``)."""
    # each cell's value is computed from that cell alone, so leaving out the hidden cells changes no number
    n_cells = max(int(cell.max(initial=-1)) + 1, int(out.index.max()) + 1 if len(out) else 0)
    shown = np.zeros(n_cells, dtype=bool)
    shown[out.index[~out["suppressed"].to_numpy(dtype=bool)]] = True
    in_shown = shown[cell]
    w_stat, p_w = wilcoxon_cells(diff[in_shown], cell[in_shown], n_cells)
    rows = out.index.to_numpy()
    t, g_av = out["t"].to_numpy(dtype="float64"), out["g_av"].to_numpy(dtype="float64")
    ok = shown[rows] & (out["n_pairs"].to_numpy() >= 3) & np.isfinite(g_av)
    lam_lo, lam_hi = noncentral_t_ci(np.where(ok, t, np.nan), out["df"].to_numpy(dtype="float64"), alpha=alpha)
    with np.errstate(all="ignore"):
        g_lo, g_hi = g_av * lam_lo / t, g_av * lam_hi / t
    out = out.copy()
    out["w_stat"], out["p_wilcoxon"] = (np.where(shown[rows], v[rows], np.nan) for v in (w_stat, p_w))
    out["g_av_ci_low"], out["g_av_ci_high"] = (np.where(shown[rows], v, np.nan) for v in (g_lo, g_hi))
    return out


def t_interval(frame: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """``frame`` (columns ``n``, ``mean``, ``sd``) with the t-based CI of each mean in ``ci_low``, ``ci_high``.

    The half-width is t(1 − alpha/2; n − 1) · sd / √n; empty where n < 2.

    >>> t_interval(pd.DataFrame({"n": [4, 1], "mean": [2.0, 3.0], "sd": [1.0, None]}))[["ci_low", "ci_high"]].round(4)
       ci_low  ci_high
    0  0.4088   3.5912
    1     NaN      NaN
    """
    n = frame["n"].to_numpy(dtype="float64")
    with np.errstate(all="ignore"):
        se = frame["sd"].to_numpy(dtype="float64") / np.sqrt(n)
        half = stats.t.isf(alpha / 2, np.where(n >= 2, n - 1, np.nan)) * se
    return frame.assign(ci_low=frame["mean"] - half, ci_high=frame["mean"] + half)
