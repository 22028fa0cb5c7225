"""Multiple imputation of the dropouts' endline, Rubin's rules and the tipping point.

The numerical machinery behind :func:`evaltools.attrition.sensitivity`
(docs/statistics.md#attrition-and-sensitivity); that function builds the
table, this module draws and pools:

- :func:`design_matrix` and :func:`impute_dropouts`: the imputation model
  (endline ~ baseline + sessions attended + group indicators, one per
  instrument × scale) and its m draws of every dropout's change;
- :func:`impute_endline`: one Bayesian linear regression imputation
  (van Buuren 2018, Algorithm 3.1);
- :func:`rubin_pool` and :func:`pooled_ci`: Rubin's rules with the
  Barnard–Rubin degrees of freedom, from per-imputation sums;
- :func:`tipping_point`: the shift δ of every imputed dropout at which the
  pooled CI first includes 0.

:func:`design_matrix` and :func:`impute_dropouts` read the coding of
:func:`evaltools.attrition.status_codes` under every group (a namespace with
``keys, key, person, people, pre, post, done`` and ``groups, membership,
member_person, member_group``); the rest takes plain arrays.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import linalg, stats

from evaltools.groups import text_codes

#: Imputations per estimate.
N_IMPUTATIONS = 20
#: Most group indicators in the imputation model (the largest groups; note ``model_largest_groups`` beyond).
MODEL_GROUPS = 50
#: Step of the tipping-point search, in scale points.
TIPPING_STEP = 0.05


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
    x_cols = x_obs[:, cols]                                                          # (one copy, used twice)
    beta_hat = inverse @ (x_cols.T @ y_obs)
    rss = float(np.sum((y_obs - x_cols @ beta_hat) ** 2))
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


def pooled_ci(s1: np.ndarray, s2: np.ndarray, n: np.ndarray,
              alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rubin-pooled mean and CI from per-imputation sums (..., m); n broadcast without the m axis.

    Each imputation's mean and squared SE come from Σd (``s1``), Σd² (``s2``)
    and n; :func:`rubin_pool` (ν_com = n − 1) pools them and the CI is
    q̄ ± t(1 − α/2, df)·√t. Returns ``(mean, low, high)``: NaN where n is 0
    (the mean) or below 2 (the CI).

    Four people, 20 imputations alike (b = 0): Σd = 4.2, Σd² = 4.5 give the
    mean 1.05, s² = (4.5 − 4.2·1.05)/3 = 0.03, SE² = 0.0075, df = ν_obs =
    (4/6)·3 = 2 and the half-width t(0.975, 2)·√0.0075 = 4.3027·0.0866.

    >>> mean, low, high = pooled_ci(np.full((1, 20), 4.2), np.full((1, 20), 4.5), np.array([4.0]), 0.05)
    >>> round(float(mean[0]), 4), round(float(low[0]), 4), round(float(high[0]), 4)
    (1.05, 0.6774, 1.4226)
    """
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
    qbar, lo, hi = pooled_ci(s1, s2, n, alpha)
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
        _, lo_j, hi_j = pooled_ci(t1, t2, np.broadcast_to(n[todo, None], delta.shape), alpha)
        hit = (lo_j <= 0) & (hi_j >= 0) & (j[None, :] <= steps_max[todo, None])
        first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
        found = first >= 0
        out[todo[found]] = np.round(delta[found, first[found]], 10)
        start += block
        todo = todo[~found & (start <= steps_max[todo])]
    return out


def design_matrix(c: SimpleNamespace, dose: pd.DataFrame | None) -> np.ndarray:
    """Predictors of the endline score besides the baseline, one row per person of ``c.people``.

    Intercept, sessions attended (when ``dose`` is given; 0 without a row)
    and one indicator per group of ``c.membership`` other than ``all``; of
    more than :data:`MODEL_GROUPS` groups, the :data:`MODEL_GROUPS` with
    the most members (rows of ``c.membership``; ties: first listed) only.
    """
    people = c.people
    cols = [np.ones(len(people))]
    if dose is not None:
        sessions = dose[["participant_id", "sessions"]].astype({"participant_id": "str"})
        sessions = sessions.drop_duplicates("participant_id")
        at = people.get_indexer(sessions["participant_id"])
        attended = np.zeros(len(people))
        attended[at[at >= 0]] = pd.to_numeric(sessions["sessions"], errors="coerce").fillna(0).to_numpy()[at >= 0]
        cols.append(attended)
    model = np.arange(1, len(c.groups))                                   # the groups beyond `all`, in order
    if len(model) > MODEL_GROUPS:
        group_code, names = text_codes(c.membership["group"])
        size = np.bincount(pd.Index(c.groups).get_indexer(names)[group_code] + 1, minlength=len(c.groups) + 1)[2:]
        model = model[np.sort(np.argsort(-size, kind="stable")[:MODEL_GROUPS])]
    column = np.full(len(c.groups), -1)
    column[model] = np.arange(len(model))
    picked = column[c.member_group] >= 0
    dummies = np.zeros((len(people), len(model)))
    dummies[c.member_person[picked], column[c.member_group[picked]]] = 1.0
    return np.column_stack([*cols, dummies])


def impute_dropouts(c: SimpleNamespace, dose, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The imputed change of every dropout (dropouts × m), per key whether it is estimable, and its span.

    One model per instrument × scale (:func:`impute_endline` on
    :func:`design_matrix` and the baseline score), keys in order, drawn from
    one ``numpy.random.default_rng(seed)``. ``c``: the coding named in the
    module docstring; ``dose``: as in :func:`evaltools.attrition.sensitivity`.
    """
    x_people = np.column_stack([design_matrix(c, dose), np.zeros(len(c.people))])   # the last column: the baseline
    drop_rows = np.flatnonzero(~c.done)
    drop_pos = np.full(len(c.done), -1)
    drop_pos[drop_rows] = np.arange(len(drop_rows))
    imputed = np.full((len(drop_rows), m), np.nan)
    rng = np.random.default_rng(seed)
    estimable = np.zeros(len(c.keys), dtype=bool)
    span = np.zeros(len(c.keys))
    by_key = np.argsort(c.key, kind="stable")                 # each key's rows in the order of the status
    bounds = np.searchsorted(c.key[by_key], np.arange(len(c.keys) + 1))
    for k in range(len(c.keys)):
        rows = by_key[bounds[k]:bounds[k + 1]]
        obs, mis = rows[c.done[rows]], rows[~c.done[rows]]
        values = np.r_[c.pre[rows], c.post[obs]]
        span[k] = values.max() - values.min() if len(values) else 0.0
        if not len(mis):
            estimable[k] = True
            continue
        x_obs, x_mis = x_people[c.person[obs]], x_people[c.person[mis]]             # (copies: one gather each)
        x_obs[:, -1], x_mis[:, -1] = c.pre[obs], c.pre[mis]
        draws = impute_endline(x_obs, c.post[obs], x_mis, m, rng)
        if draws is not None:
            estimable[k] = True
            imputed[drop_pos[mis]] = draws - c.pre[mis, None]
    return imputed, estimable, span
