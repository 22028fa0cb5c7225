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
  (:func:`impute_endline`) and the m estimates pooled by Rubin's rules with
  the Barnard–Rubin degrees of freedom (:func:`rubin_pool`). Valid when
  dropping out depends only on what the model sees (missing at random);
- ``tipping_point``: the shift δ added to every imputed dropout's endline at
  which the pooled CI first includes 0 (:func:`tipping_point`): how much
  worse than the model predicts the dropouts would have to have fared for
  the conclusion to go. ``mean_diff`` holds δ; the CI columns are empty.

Carrying the baseline forward (every dropout unchanged) is not offered: it
invents certainty, its CI being narrower than the complete cases'.

All CIs have ``ci_level`` = 1 − ``alpha``. Small cells: a row is suppressed
when its group has fewer than ``min_cell`` completers or (in
:func:`attrition`, and for the two rows that rest on the dropouts) dropouts,
with the complementary and nested rules of
:func:`evaltools.privacy.suppress_small_cells`: a row whose people lie within
another shown row's is hidden when any of its people counts (baseline,
completers, dropouts, n) is 1 to ``min_cell`` − 1 below the other's.

``note`` holds codes, ``;``-joined (their text is in the label catalogue
under ``outcomes.note.<code>``): ``no_dropouts``, ``not_estimable``,
``ci_includes_zero``, ``no_tipping_point``, ``model_largest_groups`` (more
than :data:`MODEL_GROUPS` groups: the imputation model has indicators of
the largest :data:`MODEL_GROUPS` only, so that it stays a small regression
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

import numpy as np
import pandas as pd
from scipy import linalg, sparse, stats

from evaltools.change import KEY
from evaltools.groups import ALL, as_membership, by_group, group_membership, group_order, partition, people_by_cell
from evaltools.groups import without_repeats_of_all
from evaltools.privacy import suppress_small_cells

ATTRITION_COLUMNS = ["instrument", "scale", "group", "n_baseline", "n_completers", "n_dropouts",
                     "mean_completers", "sd_completers", "mean_dropouts", "sd_dropouts", "mean_diff",
                     "t", "df", "p_welch", "smd", "suppressed"]
SENSITIVITY_COLUMNS = ["instrument", "scale", "group", "method", "n_pairs", "n_dropouts", "n", "mean_diff",
                       "ci_low", "ci_high", "ci_level", "suppressed", "note"]
METHODS = ("complete_case", "multiple_imputation", "tipping_point")
#: Imputations per estimate.
N_IMPUTATIONS = 20
#: Most group indicators in the imputation model (the largest groups; note ``model_largest_groups`` beyond).
MODEL_GROUPS = 50
#: Step of the tipping-point search, in scale points.
TIPPING_STEP = 0.05


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


def rubin_pool(q: np.ndarray, u: np.ndarray, *, n_com: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """Rubin's rules over the last axis (the m imputations): ``(q̄, ū, b, t, df)``.

    ``q`` holds the m estimates and ``u`` their squared standard errors;
    ``n_com`` is the complete-data degrees of freedom ν_com (n − 1 for a
    mean). Following van Buuren, *Flexible Imputation of Missing Data*, 2nd
    ed. (2018), §2.3.2–2.3.6: q̄ = mean of q (2.16), ū = mean of u (2.18),
    b = variance of q with m − 1 in the denominator (2.19),
    t = ū + (1 + 1/m)·b (2.20); λ = (1 + 1/m)·b / t (2.24),
    ν_old = (m − 1)/λ² (2.30), ν_obs = (ν_com + 1)/(ν_com + 3)·ν_com·(1 − λ)
    (2.31) and the Barnard–Rubin (1999) df = ν_old·ν_obs / (ν_old + ν_obs)
    (2.32), which is ν_obs when b = 0.

    >>> q̄, ū, b, t, df = rubin_pool(np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.5, 0.5]), n_com=9)
    >>> float(q̄), float(ū), float(b), round(float(t), 4), round(float(df), 4)
    (2.0, 0.5, 1.0, 1.8333, 1.3274)
    """
    q = np.asarray(q, dtype="float64")
    u = np.asarray(u, dtype="float64")
    m = q.shape[-1]
    qbar, ubar = q.mean(axis=-1), u.mean(axis=-1)
    b = q.var(axis=-1, ddof=1)
    total = ubar + (1 + 1 / m) * b
    with np.errstate(all="ignore"):
        lam = np.where(total > 0, (1 + 1 / m) * b / total, 0.0)
        nu_com = np.asarray(n_com, dtype="float64")
        nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lam)
        # 1/ν = 1/ν_obs + 1/ν_old with 1/ν_old = λ²/(m − 1): ν_old·ν_obs/(ν_old + ν_obs), finite at λ = 0
        df = nu_obs / (1 + nu_obs * lam**2 / (m - 1))
    return qbar, ubar, b, total, df


def impute_endline(x_obs: np.ndarray, y_obs: np.ndarray, x_mis: np.ndarray, m: int,
                   rng: np.random.Generator) -> np.ndarray | None:
    """m draws of the missing ``y`` from the posterior predictive of a normal linear regression: (n_mis, m).

    Bayesian linear regression imputation (van Buuren 2018, §3.2.2,
    Algorithm 3.1, ``mice.impute.norm`` without its ridge): with β̂ and the
    residual sum of squares RSS of ``y_obs ~ x_obs``, each draw takes
    σ̇² = RSS / g, g ~ χ²(n_obs − p), β̇ ~ N(β̂, σ̇²(XᵀX)⁻¹) and
    y* = x_mis·β̇ + σ̇·ε, ε ~ N(0, 1). Columns of ``x_obs`` that are linear
    combinations of others (e.g. groups that partition the people, beside
    the intercept) are dropped first (pivoted QR of the scaled XᵀX). With one variable missing
    and the predictors complete, chained equations reduce to this one step.
    ``None`` when fewer than p + 1 rows are observed (no residual df).

    >>> rng = np.random.default_rng(0)
    >>> x = np.c_[np.ones(5), [1.0, 2, 3, 4, 5]]
    >>> impute_endline(x, 2 * x[:, 1], x[:2], 3, rng).shape
    (2, 3)
    """
    gram = x_obs.T @ x_obs
    scale = np.sqrt(np.diag(gram))
    scale[scale == 0] = 1.0
    _, r, piv = linalg.qr(gram / np.outer(scale, scale), pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > 1e-9 * diag[0])) if len(diag) and diag[0] > 0 else 0
    df = len(y_obs) - rank
    if rank == 0 or df < 1:
        return None
    cols = np.sort(piv[:rank])
    unit = np.outer(scale[cols], scale[cols])
    inverse = np.linalg.inv(gram[np.ix_(cols, cols)] / unit) / unit                # (XᵀX)⁻¹, columns scaled
    beta_hat = inverse @ (x_obs[:, cols].T @ y_obs)
    rss = float(np.sum((y_obs - x_obs[:, cols] @ beta_hat) ** 2))
    sigma = np.sqrt(rss / rng.chisquare(df, size=m))
    root = np.linalg.cholesky(inverse)                                               # root·rootᵀ = (XᵀX)⁻¹
    beta = beta_hat[:, None] + sigma[None, :] * (root @ rng.standard_normal((rank, m)))
    return x_mis[:, cols] @ beta + sigma[None, :] * rng.standard_normal((len(x_mis), m))


def _moments(s1: np.ndarray, s2: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and squared SE of the mean from Σx, Σx² and n (broadcast over trailing axes)."""
    with np.errstate(all="ignore"):
        mean = s1 / n
        var = np.maximum(s2 - s1 * mean, 0.0) / (n - 1)
        return mean, var / n


def _pooled_ci(s1, s2, n, alpha):
    """Rubin-pooled mean and CI from per-imputation sums (..., m); n broadcast without the m axis."""
    q, u = _moments(s1, s2, n[..., None])
    qbar, _, _, total, df = rubin_pool(q, u, n_com=n - 1)
    with np.errstate(all="ignore"):
        half = stats.t.isf(alpha / 2, df) * np.sqrt(total)
    ok = (n >= 2) & np.isfinite(half)
    return np.where(n > 0, qbar, np.nan), np.where(ok, qbar - half, np.nan), np.where(ok, qbar + half, np.nan)


def tipping_point(s1: np.ndarray, s2: np.ndarray, sd: np.ndarray, n: np.ndarray, n_drop: np.ndarray,
                  span: np.ndarray, *, alpha: float = 0.05, step: float = TIPPING_STEP) -> np.ndarray:
    """Per cell, the shift δ of every imputed dropout's change at which the pooled CI first includes 0.

    ``s1``, ``s2``: Σd and Σd² of each cell's people per imputation (cells × m);
    ``sd``: Σd over the cell's dropouts (cells × m); ``n``, ``n_drop``: people and
    dropouts per cell; ``span``: how far to search (the scale's observed range).
    Adding δ to the n_d imputed values gives Σd + n_d·δ and
    Σd² + 2δ·Σd_dropouts + n_d·δ², so every δ is pooled anew (Rubin's rules
    with its own Barnard–Rubin df) without imputing again. δ is searched from 0
    in steps of ``step`` towards 0 change (against the sign of the pooled
    estimate: downwards for a rise), up to ``span``. Returns δ (signed, in the
    change's units): 0 where the CI includes 0 already, NaN where no δ within
    ``span`` reaches it (or the cell has no dropout or no estimate).

    One cell of 4 dropouts imputed alike 20 times (Σd = 4.2, Σd² = 4.5: mean 1.05,
    SE 0.0866, df 2, CI 1.05 ± 0.373): the CI reaches 0 once δ ≤ −0.677.

    >>> s1, s2 = np.full((1, 20), 4.2), np.full((1, 20), 4.5)
    >>> float(tipping_point(s1, s2, s1, np.array([4.0]), np.array([4.0]), np.array([3.0]))[0])
    -0.7
    """
    chunk = 2000  # cells at a time: each step block holds cells × 200 steps × m values
    if len(n) > chunk:
        return np.concatenate([tipping_point(s1[i:i + chunk], s2[i:i + chunk], sd[i:i + chunk], n[i:i + chunk],
                                             n_drop[i:i + chunk], np.broadcast_to(span, n.shape)[i:i + chunk],
                                             alpha=alpha, step=step) for i in range(0, len(n), chunk)])
    qbar, lo, hi = _pooled_ci(s1, s2, n, alpha)
    out = np.where(np.isfinite(lo) & (lo <= 0) & (hi >= 0), 0.0, np.nan)
    todo = np.flatnonzero(np.isfinite(lo) & np.isnan(out) & (n_drop > 0))
    direction = -np.sign(qbar)
    steps_max = np.floor(np.round(np.asarray(span, dtype="float64") / step, 9))
    start, block = 1, 200
    while len(todo):
        j = np.arange(start, start + block, dtype="float64")
        delta = direction[todo, None] * step * j[None, :]                                  # cells × steps
        nd = n_drop[todo, None, None]
        t1 = s1[todo, None, :] + nd * delta[..., None]
        t2 = s2[todo, None, :] + 2 * delta[..., None] * sd[todo, None, :] + nd * delta[..., None] ** 2
        _, lo_j, hi_j = _pooled_ci(t1, t2, np.broadcast_to(n[todo, None], delta.shape), alpha)
        hit = (lo_j <= 0) & (hi_j >= 0) & (j[None, :] <= steps_max[todo, None])
        first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
        found = first >= 0
        out[todo[found]] = np.round(delta[found, first[found]], 10)
        start += block
        todo = todo[~found & (start <= steps_max[todo])]
    return out


def _design(people: pd.Index, membership: pd.DataFrame, dose: pd.DataFrame | None) -> np.ndarray:
    """Predictors of the endline score besides the baseline, one row per person of ``people``.

    Intercept, sessions attended (when ``dose`` is given; 0 without a row)
    and one indicator per group of ``membership`` other than ``all``; of
    more than :data:`MODEL_GROUPS` groups, the :data:`MODEL_GROUPS` with
    the most members (ties: first listed) only.
    """
    cols = [np.ones(len(people))]
    if dose is not None:
        sessions = dose[["participant_id", "sessions"]].astype({"participant_id": "str"})
        sessions = sessions.drop_duplicates("participant_id")
        at = people.get_indexer(sessions["participant_id"])
        attended = np.zeros(len(people))
        attended[at[at >= 0]] = pd.to_numeric(sessions["sessions"], errors="coerce").fillna(0).to_numpy()[at >= 0]
        cols.append(attended)
    members = membership[membership["group"] != ALL]
    groups = pd.Index(pd.unique(members["group"]))
    if len(groups) > MODEL_GROUPS:
        size = members["group"].value_counts(sort=False).reindex(groups).to_numpy()
        groups = groups[np.sort(np.argsort(-size, kind="stable")[:MODEL_GROUPS])]
        members = members[members["group"].isin(groups)]
    who = people.get_indexer(members["participant_id"])
    dummies = np.zeros((len(people), len(groups)))
    dummies[who[who >= 0], groups.get_indexer(members["group"])[who >= 0]] = 1.0
    return np.column_stack([*cols, dummies])


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
    if membership is None:
        membership = group_membership(participants)
    membership = as_membership(membership)
    status = baseline_status(scores, pre_wave=pre_wave, post_wave=post_wave)
    keys = scores[KEY].drop_duplicates().astype("str")
    grid = keys.merge(pd.DataFrame({"group": pd.Series(group_order(membership), dtype="str")}), how="cross")
    n_cells = len(grid)
    done = status["completer"].to_numpy(bool)
    pre, post = status["pre"].to_numpy("float64"), status["post"].to_numpy("float64")
    diff = np.where(done, np.round(post - pre, 10), 0.0)

    # imputation: one model per instrument × scale, m draws of every dropout's endline at once
    key_of = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(status[KEY].astype("str")))
    person_codes, people = pd.factorize(status["participant_id"].astype("str"))
    x = np.column_stack([_design(pd.Index(people), membership, dose)[person_codes], pre])
    drop_rows = np.flatnonzero(~done)
    drop_pos = np.full(len(status), -1)
    drop_pos[drop_rows] = np.arange(len(drop_rows))
    imputed = np.full((len(drop_rows), m), np.nan)
    rng = np.random.default_rng(seed)
    estimable = np.zeros(len(keys), dtype=bool)
    span = np.zeros(len(keys))
    for k in range(len(keys)):
        rows = key_of == k
        obs, mis = rows & done, rows & ~done
        values = np.r_[pre[rows], post[obs]]
        span[k] = values.max() - values.min() if len(values) else 0.0
        if not mis.any():
            estimable[k] = True
            continue
        draws = impute_endline(x[obs], post[obs], x[mis], m, rng)
        if draws is not None:
            estimable[k] = True
            imputed[drop_pos[mis]] = draws - pre[mis, None]

    # per cell: sums over the completers once, over the dropouts per imputation
    long = by_group(status.assign(_row=np.arange(len(status))), membership)
    row = long["_row"].to_numpy()
    groups = pd.Index(grid["group"].iloc[:n_cells // max(len(keys), 1)])
    cell = key_of[row] * len(groups) + groups.get_indexer(long["group"])
    is_done = done[row]
    n_pairs = np.bincount(cell[is_done], minlength=n_cells).astype("float64")
    n_drop = np.bincount(cell[~is_done], minlength=n_cells).astype("float64")
    s1_obs = np.bincount(cell[is_done], weights=diff[row[is_done]], minlength=n_cells)
    s2_obs = np.bincount(cell[is_done], weights=diff[row[is_done]] ** 2, minlength=n_cells)
    to_cell = sparse.csr_matrix((np.ones(int((~is_done).sum())), (cell[~is_done], drop_pos[row[~is_done]])),
                                shape=(n_cells, len(drop_rows)))
    filled = np.nan_to_num(imputed)
    sd, sd2 = to_cell @ filled, to_cell @ filled**2
    n_all = n_pairs + n_drop
    s1, s2 = s1_obs[:, None] + sd, s2_obs[:, None] + sd2

    with np.errstate(all="ignore"):                                  # complete pairs: the one-sample t CI
        cc_mean = s1_obs / n_pairs
        centred = np.bincount(cell[is_done], weights=(diff[row[is_done]] - cc_mean[cell[is_done]]) ** 2,
                              minlength=n_cells)
        half = stats.t.isf(alpha / 2, n_pairs - 1) * (np.sqrt(centred * n_pairs / (n_pairs - 1)) / n_pairs)
    cc_mean, half = np.where(n_pairs > 0, cc_mean, np.nan), np.where(n_pairs >= 2, half, np.nan)
    cc = (cc_mean, cc_mean - half, cc_mean + half)
    key_cell = np.repeat(np.arange(len(keys)), n_cells // max(len(keys), 1))
    usable = estimable[key_cell] & (n_drop > 0)
    mi = tuple(np.where(usable, est, np.nan) for est in _pooled_ci(s1, s2, n_all, alpha))
    no_drop = (n_drop == 0) & (n_pairs > 0)
    mi = tuple(np.where(no_drop, c, i) for c, i in zip(cc, mi))
    tip = np.where(usable, tipping_point(s1, s2, sd, n_all, n_drop, span[key_cell], alpha=alpha), np.nan)
    nan = np.full(n_cells, np.nan)
    mi_note = np.where(no_drop, "no_dropouts", np.where(~estimable[key_cell] & (n_drop > 0), "not_estimable", ""))
    tip_note = np.where(~usable | np.isnan(mi[1]), mi_note,
                        np.where(tip == 0, "ci_includes_zero", np.where(np.isnan(tip), "no_tipping_point", "")))
    if membership.loc[membership["group"] != ALL, "group"].nunique() > MODEL_GROUPS:
        mi_note, tip_note = (np.where(usable, np.char.add(np.where(note == "", note, np.char.add(note, ";")),
                                                          "model_largest_groups"), note)
                             for note in (mi_note.astype("U64"), tip_note.astype("U64")))
    frames = []
    for method, est, n, dropouts, note in (
            ("complete_case", cc, n_pairs, np.zeros(n_cells), np.where(no_drop, "no_dropouts", "")),
            ("multiple_imputation", mi, n_all, n_drop, mi_note),
            ("tipping_point", (tip, nan, nan), n_all, n_drop, tip_note)):
        n_min = np.where(dropouts > 0, np.minimum(n_pairs, dropouts), n_pairs)
        frames.append(grid.assign(method=method, n_pairs=n_pairs.astype("int64"),
                                  n_dropouts=dropouts.astype("int64"), n=n.astype("int64"), mean_diff=est[0],
                                  ci_low=est[1], ci_high=est[2], ci_level=1.0 - alpha, suppressed=False,
                                  note=note, _cell=np.arange(n_cells), _n_min=n_min.astype("int64")))
    out = pd.concat(frames, ignore_index=True).sort_values(["_cell"], kind="stable")
    cells = out["_cell"].to_numpy()
    out = out[[*SENSITIVITY_COLUMNS, "_n_min"]].astype(
        {"instrument": "str", "scale": "str", "group": "str", "method": "str", "note": "str"}).reset_index(drop=True)
    # a group holding exactly the people of `all` (for a scale) is not shown twice
    shown = np.isin(cells, without_repeats_of_all(grid, long, keys=[*KEY, "group"])[0].index.to_numpy())
    out, cells = out[shown].reset_index(drop=True), cells[shown]
    # a complete-case row describes the completers, the two others everyone with a baseline score; these rest
    # on the dropouts too, so they are hidden when either the completers or the dropouts are few (as in attrition)
    coded = long.assign(participant_id=pd.factorize(long["participant_id"].astype("str"))[0])  # one coding for both
    everyone = people_by_cell(coded, grid, keys=[*KEY, "group"]).to_numpy()[cells]
    completers = people_by_cell(coded[is_done], grid, keys=[*KEY, "group"]).to_numpy()[cells]
    people = np.where((out["method"] == "complete_case").to_numpy(), completers, everyone)
    out = suppress_small_cells(out, n_col="_n_min", min_cell=min_cell,
                               keys=("instrument", "scale", "group", "method", "n_pairs", "n_dropouts", "n"),
                               family=("instrument", "scale", "method"),
                               partition_groups=partition(membership, partition_groups), people=people)
    out["note"] = out["note"].where(~out["suppressed"], "").astype("str")
    floats = ["mean_diff", "ci_low", "ci_high", "ci_level"]
    return out[SENSITIVITY_COLUMNS].astype({**{c: "float64" for c in floats}, "suppressed": "bool"})
