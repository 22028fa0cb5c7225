"""Attrition: who dropped out, whether they differed, and change that does not drop them silently.

docs/statistics.md#attrition-and-sensitivity. For each instrument × scale × group, a
*completer* has a score at both waves and a *dropout* has a baseline score
but none at endline.

:func:`attrition` compares their baseline scores: means and SDs, Welch's t
(``scipy.stats.ttest_ind(dropouts, completers, equal_var=False)``) and the
standardised difference (mean_dropouts − mean_completers) / √((sd_c² + sd_d²)/2)
(Austin 2009); |smd| above 0.1–0.2 is a difference worth a sentence.

:func:`sensitivity` puts beside the complete-case mean change an estimate
that keeps the dropouts, and says how far it could be wrong:

- ``complete_case``: the mean change of complete pairs (as in change.csv);
- ``multiple_imputation``: the mean change (endline − baseline) of everyone
  with a baseline score, the dropouts' endline scores imputed m = 20 times
  (:func:`evaltools.imputation.impute_endline`) and the m estimates pooled by
  Rubin's rules with the Barnard–Rubin degrees of freedom
  (:func:`evaltools.imputation.rubin_pool`). Valid when
  dropping out depends only on what the model sees (missing at random);
- ``tipping_point``: the shift δ added to every imputed dropout's endline at
  which the pooled CI first includes 0 (:func:`evaltools.imputation.tipping_point`): how much
  worse than the model predicts the dropouts would have to have fared for
  the conclusion to go. ``mean_diff`` holds δ; the CI columns are empty.

Carrying the baseline forward (every dropout unchanged) is not offered: it
invents certainty, its CI being narrower than the complete cases'.

This module codes who completed (:func:`status_codes`, also read by
:mod:`evaltools.clustering`) and builds both tables; the imputation model,
Rubin's rules and the tipping-point search live in :mod:`evaltools.imputation`.

All CIs have ``ci_level`` = 1 − ``alpha``. Small cells: a row is suppressed
when its group has fewer than ``min_cell`` completers or (in
:func:`attrition`, and for the two rows that rest on the dropouts) dropouts,
with the complementary and nested rules of
:func:`evaltools.suppression.suppress_small_cells`: a row whose people lie within
another shown row's is hidden when any of its people counts (baseline,
completers, dropouts, n) is 1 to ``min_cell`` − 1 below the other's.

``note`` holds codes, ``;``-joined (their text is in the label catalogue
under ``outcomes.note.<code>``): ``no_dropouts``, ``not_estimable``,
``ci_includes_zero``, ``no_tipping_point``, ``model_largest_groups`` (more
than :data:`~evaltools.imputation.MODEL_GROUPS` groups: the imputation model has indicators of
the largest :data:`~evaltools.imputation.MODEL_GROUPS` only, so that it stays a small regression
at 100,000 people and thousands of groups).

Examples
--------
>>> s = pd.DataFrame({"participant_id": list("ABCDEFGH") + list("ABCDEF"),
...                   "wave": ["baseline"] * 8 + ["endline"] * 6, "instrument": "x", "scale": "s",
...                   "score": [2, 3, 3, 4, 2, 3, 1, 3] + [3, 5, 4, 5, 2, 4.0]})
>>> p = pd.DataFrame({"participant_id": list("ABCDEFGH"), "components": "community", "group": None})
>>> a = attrition(s, p, min_cell=2)
>>> a.loc[a["group"] == "all", ["n_completers", "n_dropouts", "mean_completers", "mean_dropouts"]]
   n_completers  n_dropouts  mean_completers  mean_dropouts
0             6           2         2.833333            2.0
>>> sens = sensitivity(s, p, min_cell=2)
>>> cols = ["method", "n", "mean_diff", "ci_low", "note"]
>>> sens.loc[sens["group"] == "all", cols].round(2)  # doctest: +NORMALIZE_WHITESPACE
                method  n  mean_diff  ci_low              note
0        complete_case  6       1.00    0.34
1  multiple_imputation  8       1.02   -0.29
2        tipping_point  8       0.00     NaN  ci_includes_zero
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import sparse, stats

from evaltools.pairing import KEY, cell_grid
from evaltools.groups import cell_codes, coded_members, coded_sets, grid_of_all, group_membership, member_rows
from evaltools.groups import partition, repeats_of_all, text_codes
from evaltools.imputation import MODEL_GROUPS, N_IMPUTATIONS, impute_dropouts, pooled_ci, tipping_point
from evaltools.suppression import suppress_small_cells

ATTRITION_COLUMNS = ["instrument", "scale", "group", "n_baseline", "n_completers", "n_dropouts",
                     "mean_completers", "sd_completers", "mean_dropouts", "sd_dropouts", "mean_diff",
                     "t", "df", "p_welch", "smd", "suppressed"]
SENSITIVITY_COLUMNS = ["instrument", "scale", "group", "method", "n_pairs", "n_dropouts", "n", "mean_diff",
                       "ci_low", "ci_high", "ci_level", "suppressed", "note"]
METHODS = ("complete_case", "multiple_imputation", "tipping_point")


def baseline_status(scores: pd.DataFrame, *, pre_wave: str = "baseline", post_wave: str = "endline") -> pd.DataFrame:
    """Everyone with a baseline score: ``instrument, scale, participant_id, pre, post, completer``.

    ``post`` is NaN for a dropout (no endline score on that scale). One row
    per instrument × scale × person (the first baseline score, the first
    endline score), in the order of the baseline scores.
    """
    status = status_codes(scores, pre_wave=pre_wave, post_wave=post_wave)
    out = scores[["instrument", "scale", "participant_id"]].iloc[status.rows].reset_index(drop=True)
    return out.assign(pre=status.pre, post=status.post, completer=status.done)


def status_codes(scores: pd.DataFrame, *, pre_wave: str = "baseline", post_wave: str = "endline") -> SimpleNamespace:
    """:func:`baseline_status` as integer codes: the text columns hashed once however many tables ask (issue 18).

    ``keys``: the instrument × scale pairs of ``scores`` in order of first
    appearance (as ``drop_duplicates``); ``people``: the ids as text
    (:func:`evaltools.groups.text_codes` of ``scores["participant_id"]``);
    per row of the status: ``rows`` (its baseline row in ``scores``),
    ``key`` (into ``keys``), ``person`` (into ``people``), ``pre``, ``post``
    and ``done`` (a completer). The completers' rows are the pairs of
    :func:`evaltools.pairing.paired_scores`, in its order.

    >>> s = pd.DataFrame({"participant_id": ["A", "B", "A"], "wave": ["baseline", "baseline", "endline"],
    ...                   "instrument": "x", "scale": "s", "score": [2.0, 3.0, 3.5]})
    >>> st = status_codes(s)
    >>> st.rows.tolist(), st.person.tolist(), st.post.tolist(), st.done.tolist()
    ([0, 1], [0, 1], [3.5, nan], [True, False])
    """
    (inst, n_inst), (scale, _) = ((c, len(t)) for c, t in (text_codes(scores[k]) for k in KEY))
    key_code = pd.factorize(inst * (scale.max(initial=0) + 1) + scale)[0]          # in order of first appearance
    first = np.flatnonzero(np.r_[True, key_code[1:] > np.maximum.accumulate(key_code)[:-1]]) if len(key_code) else []
    keys = scores[KEY].iloc[first].astype("str")
    valid = scores["score"].notna().to_numpy()
    wave_code, waves = text_codes(scores["wave"])
    is_pre = valid & (wave_code == waves.get_indexer([pre_wave])[0])
    is_post = valid & (wave_code == waves.get_indexer([post_wave])[0])
    person, people = text_codes(scores["participant_id"])
    used = np.flatnonzero(is_pre | is_post)
    pair = key_code[used].astype("int64") * len(people) + person[used]    # one code per instrument × scale × person
    first_pre, first_post, at = _first_rows(pair, is_pre[used], is_post[used], len(keys) * len(people))
    score = scores["score"].to_numpy(dtype="float64")
    post = np.where(at >= 0, score[used[first_post]][at], np.nan)
    rows = used[first_pre]
    return SimpleNamespace(keys=keys, rows=rows, key=key_code[rows], person=person[rows], people=people,
                           pre=score[rows], post=post, done=at >= 0)


def _first_rows(pair: np.ndarray, pre_at: np.ndarray, post_at: np.ndarray,
                span: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first baseline and the first endline row of each ``pair`` code (0 … ``span`` − 1), and how they match.

    Returns ``first_pre`` and ``first_post`` (boolean, per row) and ``at``:
    for each first baseline row, the position of its pair's first endline
    row among the first endline rows (-1 for none). With codes dense enough,
    by arrays indexed by code (no hashing); else by hashing.
    """
    if span > 4 * len(pair) + 1024:
        first_pre = pre_at & ~pd.Series(np.where(pre_at, pair, -1)).duplicated().to_numpy()
        first_post = post_at & ~pd.Series(np.where(post_at, pair, -1)).duplicated().to_numpy()
        return first_pre, first_post, pd.Index(pair[first_post]).get_indexer(pair[first_pre])
    row = np.arange(len(pair))
    firsts = []
    for at_wave in (pre_at, post_at):
        first = np.full(span, len(pair))
        np.minimum.at(first, pair[at_wave], row[at_wave])
        firsts.append(at_wave & (first[pair] == row))
    where = np.full(span, -1)
    where[pair[firsts[1]]] = np.arange(int(firsts[1].sum()))
    return firsts[0], firsts[1], where[pair[firsts[0]]]


def _coded(scores, participants, membership, pre_wave, post_wave) -> SimpleNamespace:
    """The status of :func:`status_codes` under ``all`` and each group, as integer codes.

    The rows are those of :func:`evaltools.groups.by_group` (every status row
    under ``all``, then under each group of its person, in the status order).

    Adds ``membership`` (as given, or :func:`group_membership`), ``groups`` (:func:`group_order`), ``member_person`` and
    ``member_group`` (:func:`coded_members`), ``grid`` (keys × groups, groups
    varying fastest: cell = key · len(groups) + group), and per row of the
    long table: ``row`` (into the status) and ``cell``; ``kept`` (the cells
    not repeating their ``all`` row), ``cell_sets`` (every cell's set of
    person codes, as :func:`grid_people`) and the same as flat integers,
    ``cell_code`` and ``cell_bounds`` (:func:`cell_codes`).
    """
    if membership is None:
        membership = group_membership(participants)
    st = status_codes(scores, pre_wave=pre_wave, post_wave=post_wave)
    groups, member_person, member_group = coded_members(membership, st.people)
    grid = cell_grid(st.keys, groups)
    row, g = member_rows(st.person, member_person, member_group)
    cell = st.key[row].astype("int64") * len(groups) + g
    code, bounds = cell_codes(cell, st.person[row], len(grid))
    sets = coded_sets(code, bounds)
    kept = np.flatnonzero(~repeats_of_all(sets, grid_of_all(len(st.keys), groups)))
    return SimpleNamespace(**vars(st), membership=membership, groups=groups, member_person=member_person,
                           member_group=member_group, grid=grid, row=row, cell=cell, kept=kept, cell_sets=sets,
                           cell_code=code, cell_bounds=bounds)


def _completer_sets(c: SimpleNamespace) -> np.ndarray:
    """:func:`evaltools.groups.cell_people` of the completers' rows, from the cells' codes (no second sort).

    Whether a person completed depends on the instrument × scale only, so
    each cell's completers are its people (sorted already) who completed
    its key.
    """
    n_people = int(max(c.person.max(initial=-1), c.cell_code.max(initial=-1))) + 1
    done = np.zeros(len(c.keys) * n_people, dtype=bool)
    done[c.key.astype("int64") * n_people + c.person] = c.done
    key = np.repeat(np.arange(len(c.grid)) // len(c.groups), np.diff(c.cell_bounds))
    keep = done[key * n_people + c.cell_code]
    return coded_sets(c.cell_code[keep], np.r_[0, np.cumsum(keep)][c.cell_bounds])


def _partition(c: SimpleNamespace, groups: Iterable | None) -> frozenset:
    """:func:`evaltools.groups.partition` of the membership, from its groups (the column is not read again)."""
    return partition(pd.DataFrame({"group": c.groups}), groups)


def attrition(
    scores: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    membership: pd.DataFrame | None = None,
    min_cell: int = 5,
    partition_groups: Iterable | None = None,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
) -> pd.DataFrame:
    """Completers vs dropouts at baseline, per instrument × scale × group.

    Parameters
    ----------
    scores : DataFrame
        Long scores (``participant_id, wave, instrument, scale, score``).
    participants : DataFrame
        Gives the groups (:func:`evaltools.change.group_membership`) unless
        ``membership`` is given.

    Returns
    -------
    DataFrame
        ``instrument, scale, group, n_baseline, n_completers, n_dropouts,
        mean_completers, sd_completers, mean_dropouts, sd_dropouts, mean_diff,
        t, df, p_welch, smd, suppressed``; ``mean_diff`` = dropouts − completers.
    """
    c = _coded(scores, participants, membership, pre_wave, post_wave)
    pre, done = c.pre[c.row], c.done[c.row]
    long = pd.DataFrame({"cell": c.cell, "pre": pre, "_c": np.where(done, pre, np.nan),
                         "_d": np.where(done, np.nan, pre)})
    agg = long.groupby("cell", sort=False).agg(
        n_baseline=("pre", "size"), n_completers=("_c", "count"), n_dropouts=("_d", "count"),
        mean_completers=("_c", "mean"), sd_completers=("_c", "std"),
        mean_dropouts=("_d", "mean"), sd_dropouts=("_d", "std"))
    out = c.grid.iloc[c.kept].reset_index(drop=True)
    out = pd.concat([out, agg.reindex(c.kept).reset_index(drop=True)], axis=1)
    for col in ("n_baseline", "n_completers", "n_dropouts"):
        out[col] = out[col].fillna(0).astype("int64")
    nc, nd = out["n_completers"].to_numpy(float), out["n_dropouts"].to_numpy(float)
    vc, vd = out["sd_completers"].to_numpy(float) ** 2, out["sd_dropouts"].to_numpy(float) ** 2
    diff = out["mean_dropouts"].to_numpy(float) - out["mean_completers"].to_numpy(float)
    with np.errstate(all="ignore"):
        se2 = vc / nc + vd / nd
        t = np.where(se2 > 0, diff / np.sqrt(se2), np.nan)
        df = se2**2 / ((vc / nc) ** 2 / (nc - 1) + (vd / nd) ** 2 / (nd - 1))
        df = np.where(np.isfinite(t), df, np.nan)
        pooled = np.sqrt((vc + vd) / 2)
        smd = np.where(pooled > 0, diff / pooled, np.nan)
    out["mean_diff"] = diff
    out["t"] = t
    out["df"] = df
    out["p_welch"] = np.where(np.isfinite(t), 2 * stats.t.sf(np.abs(t), df), np.nan)
    out["smd"] = smd
    out["suppressed"] = False
    # a group with no dropout is judged on its completers alone (nothing to hide about dropouts)
    out["_n_min"] = np.where(out["n_dropouts"] > 0, np.minimum(out["n_completers"], out["n_dropouts"]),
                             out["n_completers"])
    out = suppress_small_cells(out[[*ATTRITION_COLUMNS, "_n_min"]], n_col="_n_min", min_cell=min_cell,
                               keys=("instrument", "scale", "group", "n_baseline", "n_completers", "n_dropouts"),
                               partition_groups=_partition(c, partition_groups),
                               people=c.cell_sets[c.kept])
    floats = ATTRITION_COLUMNS[6:-1]
    return out[ATTRITION_COLUMNS].astype({**{c: "float64" for c in floats}, "suppressed": "bool"})


def _cell_sums(c: SimpleNamespace, imputed: np.ndarray) -> SimpleNamespace:
    """Per cell: counts, sums of the completers' change once and of the dropouts' per imputation."""
    n_cells = len(c.grid)
    diff = np.where(c.done, np.round(c.post - c.pre, 10), 0.0)
    is_done = c.done[c.row]
    cell_done, d_done = c.cell[is_done], diff[c.row[is_done]]
    n_pairs = np.bincount(cell_done, minlength=n_cells).astype("float64")
    n_drop = np.bincount(c.cell[~is_done], minlength=n_cells).astype("float64")
    s1_obs = np.bincount(cell_done, weights=d_done, minlength=n_cells)
    s2_obs = np.bincount(cell_done, weights=d_done ** 2, minlength=n_cells)
    drop_pos = np.cumsum(~c.done) - 1
    to_cell = sparse.csr_matrix((np.ones(int((~is_done).sum())), (c.cell[~is_done], drop_pos[c.row[~is_done]])),
                                shape=(n_cells, len(imputed)))
    filled = np.nan_to_num(imputed)
    sd, sd2 = to_cell @ filled, to_cell @ filled**2
    with np.errstate(all="ignore"):
        cc_mean = s1_obs / n_pairs
        centred = np.bincount(cell_done, weights=(d_done - cc_mean[cell_done]) ** 2, minlength=n_cells)
    return SimpleNamespace(n_pairs=n_pairs, n_drop=n_drop, n_all=n_pairs + n_drop, s1_obs=s1_obs, centred=centred,
                           s1=s1_obs[:, None] + sd, s2=s2_obs[:, None] + sd2, sd=sd, is_done=is_done)


def _complete_case(t: SimpleNamespace, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The one-sample t CI of the complete pairs per cell: (mean, low, high)."""
    n_pairs = t.n_pairs
    with np.errstate(all="ignore"):
        cc_mean = t.s1_obs / n_pairs
        half = stats.t.isf(alpha / 2, n_pairs - 1) * (np.sqrt(t.centred * n_pairs / (n_pairs - 1)) / n_pairs)
    cc_mean, half = np.where(n_pairs > 0, cc_mean, np.nan), np.where(n_pairs >= 2, half, np.nan)
    return cc_mean, cc_mean - half, cc_mean + half


def _estimates(c: SimpleNamespace, t: SimpleNamespace, estimable, span, alpha: float, min_cell: int) -> dict:
    """Per cell the three methods' estimates and notes.

    The imputation estimates are pooled, and the tipping point searched,
    only in the cells shown (not repeating ``all``) whose rows are not
    certain to be suppressed (fewer than ``min_cell`` completers or
    dropouts): elsewhere they would be blanked.
    """
    n_cells = len(c.grid)
    key_cell = np.repeat(np.arange(len(c.keys)), len(c.groups))
    cc = _complete_case(t, alpha)
    usable = estimable[key_cell] & (t.n_drop > 0)
    n_min = np.minimum(t.n_pairs, t.n_drop)
    shown = np.zeros(n_cells, dtype=bool)
    shown[c.kept] = True
    search = np.flatnonzero(usable & shown & (n_min >= min_cell) & (n_min > 0))
    mi = tuple(np.full(n_cells, np.nan) for _ in range(3))
    for whole, part in zip(mi, pooled_ci(t.s1[search], t.s2[search], t.n_all[search], alpha)):
        whole[search] = part
    no_drop = (t.n_drop == 0) & (t.n_pairs > 0)
    mi = tuple(np.where(no_drop, a, b) for a, b in zip(cc, mi))
    tip = np.full(n_cells, np.nan)
    tip[search] = tipping_point(t.s1[search], t.s2[search], t.sd[search], t.n_all[search], t.n_drop[search],
                                span[key_cell][search], alpha=alpha)
    # notes as Python strings (object arrays): a suffix is one concatenation per cell, not a fixed-width copy
    mi_note = np.where(no_drop, "no_dropouts",
                       np.where(~estimable[key_cell] & (t.n_drop > 0), "not_estimable", "")).astype(object)
    tip_note = np.where(~usable | np.isnan(mi[1]), mi_note,
                        np.where(tip == 0, "ci_includes_zero", np.where(np.isnan(tip), "no_tipping_point", "")))
    if len(c.groups) - 1 > MODEL_GROUPS:
        mi_note, tip_note = (np.where(usable, np.where(note == "", "model_largest_groups",
                                                       note + ";model_largest_groups"), note)
                             for note in (mi_note, tip_note.astype(object)))
    return {"complete_case": (cc, np.where(no_drop, "no_dropouts", "").astype(object)),
            "multiple_imputation": (mi, mi_note),
            "tipping_point": ((tip, np.full(n_cells, np.nan), np.full(n_cells, np.nan)), tip_note)}


def _sensitivity_rows(c: SimpleNamespace, t: SimpleNamespace, est: dict, alpha: float) -> pd.DataFrame:
    """The rows of the shown cells, three per cell (the methods in order), with ``_n_min`` for the suppression."""
    kept = c.kept
    n_pairs, n_drop = t.n_pairs[kept], t.n_drop[kept]
    counts = {"complete_case": (n_pairs, np.zeros(len(kept))), "multiple_imputation": (t.n_all[kept], n_drop),
              "tipping_point": (t.n_all[kept], n_drop)}

    def interleave(parts):
        return np.column_stack(parts).ravel()

    n_min = {mth: np.where(d > 0, np.minimum(n_pairs, d), n_pairs) for mth, (_, d) in counts.items()}
    out = c.grid.iloc[np.repeat(kept, len(METHODS))].reset_index(drop=True)
    out = out.assign(method=np.tile(np.array(METHODS, dtype=object), len(kept)),
                     n_pairs=np.repeat(n_pairs, len(METHODS)).astype("int64"),
                     n_dropouts=interleave([counts[mth][1] for mth in METHODS]).astype("int64"),
                     n=interleave([counts[mth][0] for mth in METHODS]).astype("int64"),
                     mean_diff=interleave([est[mth][0][0][kept] for mth in METHODS]),
                     ci_low=interleave([est[mth][0][1][kept] for mth in METHODS]),
                     ci_high=interleave([est[mth][0][2][kept] for mth in METHODS]),
                     ci_level=1.0 - alpha, suppressed=False,
                     note=interleave([est[mth][1][kept] for mth in METHODS]),
                     _n_min=interleave([n_min[mth] for mth in METHODS]).astype("int64"))
    return out[[*SENSITIVITY_COLUMNS, "_n_min"]].astype(
        {"instrument": "str", "scale": "str", "group": "str", "method": "str", "note": "str"})


def sensitivity(
    scores: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    membership: pd.DataFrame | None = None,
    min_cell: int = 5,
    alpha: float = 0.05,
    seed: int = 0,
    dose: pd.DataFrame | None = None,
    m: int = N_IMPUTATIONS,
    partition_groups: Iterable | None = None,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
) -> pd.DataFrame:
    """Mean change with and without the dropouts, and the shift that would overturn it.

    The imputation model is fitted once per instrument × scale on everyone
    with a baseline score (not per group): endline score ~ baseline score +
    sessions attended (when ``dose`` is given) + one indicator per group of
    ``membership`` other than ``all`` (programme components and
    ``participants.group`` values). Every group's estimate then uses the same
    m imputed data sets, drawn with ``numpy.random.default_rng(seed)``.

    Parameters
    ----------
    scores : DataFrame
        Long scores (``participant_id, wave, instrument, scale, score``).
    participants : DataFrame
        Gives the groups (:func:`evaltools.groups.group_membership`) unless
        ``membership`` is given.
    seed : int
        Seed of the imputations.
    dose : DataFrame, optional
        ``participant_id, sessions`` (:func:`evaltools.dose_response.dose_from_attendance`);
        a person without a row attended 0 sessions.
    m : int
        Number of imputations (20).

    Returns
    -------
    DataFrame
        ``instrument, scale, group, method, n_pairs, n_dropouts, n, mean_diff,
        ci_low, ci_high, ci_level, suppressed, note``: three rows (``method``
        complete_case, multiple_imputation, tipping_point) per instrument ×
        scale × group. ``n`` is the number of people the estimate rests on
        (pairs; everyone with a baseline score for the two others). For
        ``tipping_point``, ``mean_diff`` is δ, signed (negative when the
        estimate is a rise: the dropouts would have to have changed δ less
        than imputed); it is 0 (note ``ci_includes_zero``) when the pooled CI
        already includes 0, and empty (``no_tipping_point``) when no shift
        within the scale's observed range reaches 0.
    """
    c = _coded(scores, participants, membership, pre_wave, post_wave)
    imputed, estimable, span = impute_dropouts(c, dose, m, seed)
    sums = _cell_sums(c, imputed)
    out = _sensitivity_rows(c, sums, _estimates(c, sums, estimable, span, alpha, min_cell), alpha)
    # a complete-case row describes the completers, the two others everyone with a baseline score; these rest
    # on the dropouts too, so they are hidden when either the completers or the dropouts are few (as in attrition)
    completers = _completer_sets(c)[c.kept]
    people = np.where((out["method"] == "complete_case").to_numpy(),
                      np.repeat(completers, len(METHODS)), np.repeat(c.cell_sets[c.kept], len(METHODS)))
    out = suppress_small_cells(out, n_col="_n_min", min_cell=min_cell,
                               keys=("instrument", "scale", "group", "method", "n_pairs", "n_dropouts", "n"),
                               family=("instrument", "scale", "method"),
                               partition_groups=_partition(c, partition_groups), people=people)
    out["note"] = out["note"].where(~out["suppressed"], "").astype("str")
    floats = ["mean_diff", "ci_low", "ci_high", "ci_level"]
    return out[SENSITIVITY_COLUMNS].astype({**{col: "float64" for col in floats}, "suppressed": "bool"})
