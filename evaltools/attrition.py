"""Attrition: who dropped out, whether they differed, and change that does not drop them silently.

docs/statistics.md#attrition-and-sensitivity. For each instrument × scale × group, a
*completer* has a score at both waves and a *dropout* has a baseline score
but none at endline.

:func:`attrition` compares their baseline scores: means and SDs, Welch's t
(``scipy.stats.ttest_ind(dropouts, completers, equal_var=False)``) and the
standardised difference (mean_dropouts − mean_completers) / √((sd_c² + sd_d²)/2)
(Austin 2009); |smd| above 0.1–0.2 is a difference worth a sentence.

:func:`sensitivity` puts beside the complete-case mean change two estimates
that keep the dropouts:

- ``complete_case``: the mean change of complete pairs (as in change.csv);
- ``baseline_carried_forward``: every dropout is counted with no change
  (endline = baseline, d = 0); a conservative estimate when the programme
  helps, since it assumes it did nothing for those who left;
- ``inverse_probability``: completers weighted by 1/p̂, p̂ being the
  probability of completing given the baseline score (a logistic
  regression within the cell), so completers who resemble the dropouts
  count more. Valid when dropping out depends on the baseline score only
  (missing at random). The CI treats the weights as known, which is
  conservative for estimated weights (Robins, Rotnitzky & Zhao 1994).

All CIs are t-based with ``ci_level`` = 1 − ``alpha``. Small cells: a row is
suppressed when its group has fewer than ``min_cell`` completers or (in
:func:`attrition`) dropouts, with the complementary and nested rules of
:func:`evaltools.privacy.suppress_small_cells`: a row whose people lie within
another shown row's is hidden when any of its people counts (baseline,
completers, dropouts, n) is 1 to ``min_cell`` − 1 below the other's.

``note`` holds codes, ``;``-joined (their text is in the label catalogue
under ``outcomes.note.<code>``): ``no_dropouts``, ``model_not_converged``.

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
>>> sens.loc[sens["group"] == "all", ["method", "n", "mean_diff"]]
                     method  n  mean_diff
0             complete_case  6   1.000000
1  baseline_carried_forward  8   0.750000
2       inverse_probability  8   0.947614
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.change import KEY
from evaltools.groups import as_membership, by_group, group_membership, group_order, partition, people_by_cell
from evaltools.groups import without_repeats_of_all
from evaltools.privacy import suppress_small_cells

ATTRITION_COLUMNS = ["instrument", "scale", "group", "n_baseline", "n_completers", "n_dropouts",
                     "mean_completers", "sd_completers", "mean_dropouts", "sd_dropouts", "mean_diff",
                     "t", "df", "p_welch", "smd", "suppressed"]
SENSITIVITY_COLUMNS = ["instrument", "scale", "group", "method", "n_pairs", "n_dropouts", "n", "mean_diff",
                       "ci_low", "ci_high", "ci_level", "suppressed", "note"]
METHODS = ("complete_case", "baseline_carried_forward", "inverse_probability")


def baseline_status(scores: pd.DataFrame, *, pre_wave: str = "baseline", post_wave: str = "endline") -> pd.DataFrame:
    """Everyone with a baseline score: ``instrument, scale, participant_id, pre, post, completer``.

    ``post`` is NaN for a dropout (no endline score on that scale).
    """
    cols = ["instrument", "scale", "participant_id", "score"]
    valid = scores["score"].notna()
    pre = scores.loc[valid & (scores["wave"] == pre_wave), cols].drop_duplicates(cols[:3])
    post = scores.loc[valid & (scores["wave"] == post_wave), cols].drop_duplicates(cols[:3])
    out = pre.merge(post, on=cols[:3], how="left", suffixes=("_pre", "_post"), sort=False)
    out = out.rename(columns={"score_pre": "pre", "score_post": "post"}).astype({"pre": "float64", "post": "float64"})
    out["completer"] = out["post"].notna()
    return out.reset_index(drop=True)


def _setup(scores, participants, membership, pre_wave, post_wave):
    if membership is None:
        membership = group_membership(participants)
    membership = as_membership(membership)
    status = baseline_status(scores, pre_wave=pre_wave, post_wave=post_wave)
    keys = scores[KEY].drop_duplicates().astype("str")
    groups = group_order(membership)
    grid = keys.merge(pd.DataFrame({"group": pd.Series(groups, dtype="str")}), how="cross")
    long = by_group(status, membership)
    # a group holding exactly the people of `all` (for a scale) is not shown twice: its cells and rows go
    grid = without_repeats_of_all(grid, long, keys=[*KEY, "group"])[0].reset_index(drop=True)
    long = long.merge(grid, on=[*KEY, "group"], how="inner", sort=False)
    return membership, long, grid


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
    membership, long, grid = _setup(scores, participants, membership, pre_wave, post_wave)
    long = long.assign(_c=long["pre"].where(long["completer"]), _d=long["pre"].where(~long["completer"]))
    agg = long.groupby([*KEY, "group"], sort=False).agg(
        n_baseline=("pre", "size"), n_completers=("_c", "count"), n_dropouts=("_d", "count"),
        mean_completers=("_c", "mean"), sd_completers=("_c", "std"),
        mean_dropouts=("_d", "mean"), sd_dropouts=("_d", "std")).reset_index()
    out = grid.merge(agg, on=[*KEY, "group"], how="left", sort=False)
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
                               partition_groups=partition(membership, partition_groups),
                               people=people_by_cell(long, out, keys=[*KEY, "group"]))
    floats = ATTRITION_COLUMNS[6:-1]
    return out[ATTRITION_COLUMNS].astype({**{c: "float64" for c in floats}, "suppressed": "bool"})


def completion_weights(pre: np.ndarray, completer: np.ndarray, cell: np.ndarray, n_cells: int,
                       max_iter: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """1/p̂ of completing, from a logistic regression of completion on the baseline score in each cell.

    All cells are fitted at once by Newton–Raphson (intercept + standardised
    baseline score; intercept only where the baseline score does not vary).
    Returns ``(weights per row, converged per cell)``; a cell without
    dropouts, or without completers, or whose fit diverges (separation) is
    not converged and its rows get NaN weights.

    >>> pre = np.array([2, 3, 3, 4, 2, 3, 1, 3.0]); done = np.array([1, 1, 1, 1, 1, 1, 0, 0.0])
    >>> w, ok = completion_weights(pre, done, np.zeros(8, dtype=int), 1)
    >>> bool(ok[0]), round(float((1 / w).sum()), 6)     # the ML fit gives Σ p̂ = number of completers
    (True, 6.0)
    """
    y = completer.astype("float64")
    n = np.bincount(cell, minlength=n_cells).astype("float64")
    n_done = np.bincount(cell, weights=y, minlength=n_cells)
    mean = np.bincount(cell, weights=pre, minlength=n_cells) / np.maximum(n, 1)
    var = np.bincount(cell, weights=(pre - mean[cell]) ** 2, minlength=n_cells) / np.maximum(n - 1, 1)
    sd = np.sqrt(var)
    with np.errstate(all="ignore"):
        z = np.where(sd[cell] > 1e-12, (pre - mean[cell]) / sd[cell], 0.0)
    slope = sd > 1e-12
    active = (n_done > 0) & (n_done < n)
    b0 = np.zeros(n_cells)
    b1 = np.zeros(n_cells)
    converged = np.zeros(n_cells, dtype=bool)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(b0[cell] + b1[cell] * z)))
        w = p * (1 - p)
        r = y - p
        g0 = np.bincount(cell, weights=r, minlength=n_cells)
        g1 = np.bincount(cell, weights=r * z, minlength=n_cells)
        h00 = np.bincount(cell, weights=w, minlength=n_cells)
        h01 = np.bincount(cell, weights=w * z, minlength=n_cells)
        h11 = np.bincount(cell, weights=w * z * z, minlength=n_cells)
        with np.errstate(all="ignore"):
            det = h00 * h11 - h01**2
            s0 = np.where(slope, (h11 * g0 - h01 * g1) / det, g0 / h00)
            s1 = np.where(slope, (h00 * g1 - h01 * g0) / det, 0.0)
        moving = active & ~converged
        b0 = np.where(moving, b0 + s0, b0)
        b1 = np.where(moving, b1 + s1, b1)
        diverged = ~np.isfinite(b0) | ~np.isfinite(b1) | (np.abs(b0) > 30) | (np.abs(b1) > 30)
        active &= ~diverged
        converged |= active & (np.maximum(np.abs(s0), np.abs(s1)) < 1e-10)
        b0 = np.where(active, b0, 0.0)
        b1 = np.where(active, b1, 0.0)
        if not (active & ~converged).any():
            break
    p = 1.0 / (1.0 + np.exp(-(b0[cell] + b1[cell] * z)))
    return np.where(converged[cell], 1.0 / p, np.nan), converged


def _mean_ci(total_w, sum_wd, sum_w2d2_centered, n, alpha):
    with np.errstate(all="ignore"):
        m = sum_wd / total_w
        se = np.sqrt(sum_w2d2_centered * n / (n - 1)) / total_w
        half = stats.t.isf(alpha / 2, n - 1) * se
    m = np.where(n > 0, m, np.nan)
    half = np.where(n >= 2, half, np.nan)
    return m, m - half, m + half


def _weighted(cell, d, w, n_cells, alpha):
    """Hajek mean of d with weights w per cell, its SE treating w as known, and a t CI (df = n − 1)."""
    n = np.bincount(cell, minlength=n_cells).astype("float64")
    total_w = np.bincount(cell, weights=w, minlength=n_cells)
    sum_wd = np.bincount(cell, weights=w * d, minlength=n_cells)
    with np.errstate(all="ignore"):
        m = sum_wd / total_w
    centered = np.bincount(cell, weights=w**2 * (d - m[cell]) ** 2, minlength=n_cells)
    return n, _mean_ci(total_w, sum_wd, centered, n, alpha)


def sensitivity(
    scores: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    membership: pd.DataFrame | None = None,
    min_cell: int = 5,
    alpha: float = 0.05,
    partition_groups: Iterable | None = None,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
) -> pd.DataFrame:
    """Mean change three ways, so that dropouts are never dropped silently.

    Returns
    -------
    DataFrame
        ``instrument, scale, group, method, n_pairs, n_dropouts, n, mean_diff,
        ci_low, ci_high, ci_level, suppressed, note``: three rows (``method``
        complete_case, baseline_carried_forward, inverse_probability) per
        instrument × scale × group. ``n`` is the number of people the estimate
        rests on (pairs, plus dropouts for the two other methods).
    """
    membership, long, grid = _setup(scores, participants, membership, pre_wave, post_wave)
    n_cells = len(grid)
    cell = pd.MultiIndex.from_frame(grid).get_indexer(pd.MultiIndex.from_frame(long[[*KEY, "group"]]))
    done = long["completer"].to_numpy(bool)
    pre = long["pre"].to_numpy("float64")
    d_all = np.where(done, np.round(long["post"].to_numpy("float64") - pre, 10), 0.0)
    ones = np.ones(len(long))
    n_pairs, cc = _weighted(cell[done], d_all[done], ones[done], n_cells, alpha)
    n_all, bocf = _weighted(cell, d_all, ones, n_cells, alpha)
    weights, converged = completion_weights(pre, done, cell, n_cells)
    _, ipw = _weighted(cell[done], d_all[done], np.nan_to_num(weights[done], nan=1.0), n_cells, alpha)
    n_drop = n_all - n_pairs
    no_drop = (n_drop == 0) & (n_pairs > 0)
    # without dropouts the three estimates agree; a cell whose model diverged gets none
    ipw = tuple(np.where(no_drop, c, np.where(converged, i, np.nan)) for c, i in zip(cc, ipw))
    ipw_note = np.where(no_drop, "no_dropouts", np.where(~converged & (n_pairs > 0), "model_not_converged", ""))
    note = np.where(no_drop, "no_dropouts", "")
    frames = []
    for method, est, n, dropouts, notes in (("complete_case", cc, n_pairs, np.zeros(n_cells), note),
                                            ("baseline_carried_forward", bocf, n_all, n_drop, note),
                                            ("inverse_probability", ipw, n_all, n_drop, ipw_note)):
        frames.append(grid.assign(method=method, n_pairs=n_pairs.astype("int64"),
                                  n_dropouts=dropouts.astype("int64"), n=n.astype("int64"), mean_diff=est[0],
                                  ci_low=est[1], ci_high=est[2], ci_level=1.0 - alpha, suppressed=False,
                                  note=notes, _cell=np.arange(n_cells)))
    out = pd.concat(frames, ignore_index=True).sort_values(["_cell"], kind="stable")
    cells = out["_cell"].to_numpy()
    out = out[SENSITIVITY_COLUMNS].astype({"instrument": "str", "scale": "str", "group": "str", "method": "str",
                                           "note": "str"}).reset_index(drop=True)
    # a complete-case row describes the completers, the two others everyone with a baseline score
    everyone = people_by_cell(long, grid, keys=[*KEY, "group"]).to_numpy()[cells]
    completers = people_by_cell(long[done], grid, keys=[*KEY, "group"]).to_numpy()[cells]
    people = np.where((out["method"] == "complete_case").to_numpy(), completers, everyone)
    out = suppress_small_cells(out, n_col="n_pairs", min_cell=min_cell,
                               keys=("instrument", "scale", "group", "method", "n_pairs", "n_dropouts", "n"),
                               family=("instrument", "scale", "method"),
                               partition_groups=partition(membership, partition_groups), people=people)
    out["note"] = out["note"].where(~out["suppressed"], "").astype("str")
    floats = ["mean_diff", "ci_low", "ci_high", "ci_level"]
    return out[SENSITIVITY_COLUMNS].astype({**{c: "float64" for c in floats}, "suppressed": "bool"})
