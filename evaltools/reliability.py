"""Internal consistency of each scale at each wave (docs/statistics.md#reliability).

For every instrument × scale × wave (always one row, the waves being those
present in that questionnaire):

- the people of that wave (dropouts included) who answered every item of the
  scale are the complete cases, ``n``; reversed items are recoded first;
- Cronbach's alpha = k/(k − 1) · (1 − Σ s²_item / s²_total), SDs with n − 1;
- its CI after Feldt, Woodruff & Salih (1987, formulas 6–7):
  ``1 − (1 − α)·F(1 − a/2; n − 1, (n − 1)(k − 1))`` to
  ``1 − (1 − α)·F(a/2; …)``, with a = ``alpha_level`` (0.05: a 95 % CI);
- ω_total = (Σλ)² / ((Σλ)² + Σψ) from a one-factor maximum-likelihood factor
  model of the same complete cases' covariance matrix.

Alpha and its CI are empty when k < 2, n < 2 or the total has no variance.
Omega is empty when k < 3, when the covariance matrix is singular (an item
with no variance, fewer people than items, collinear items), when the fit
does not converge, or when a uniqueness is ≤ 0 (a Heywood case: the
bounded fit below stops at its lower bound of 0.005).

The factor model is fitted as R's ``factanal`` does (Jöreskog 1967; Lawley &
Maxwell 1971): the uniquenesses ψ of the correlation matrix minimise the
concentrated ML discrepancy within [0.005, 1] (SLSQP; R uses L-BFGS-B, which
in SciPy is some twenty times slower here); the loadings follow
from the first eigenvector of Ψ^-½ R Ψ^-½. ML is scale-free, so λ and ψ are
then put back on the covariance scale (λ·sd, ψ·var) before ω is computed.

Rows with ``n`` below ``min_cell`` are suppressed (docs/statistics.md, small
cells): they keep their keys, ``n`` and ``k_items``; a trailing
``suppressed`` column (added after the contract's columns) says which.

Examples
--------
>>> from evaltools.instruments import LIBRARY, load_instrument
>>> inst = load_instrument(LIBRARY / "empowerment.yaml")
>>> rng = np.random.default_rng(1)
>>> trait = rng.normal(size=40)
>>> items = {f"emp_0{i}": np.clip(np.round(3 + trait + rng.normal(size=40)), 1, 5) for i in range(1, 7)}
>>> items["emp_02"] = 6 - items["emp_02"]          # a reversed item, answered the other way round
>>> q = pd.DataFrame({"participant_id": [f"P{i}" for i in range(40)], "wave": "baseline", **items})
>>> table = reliability({"empowerment": q}, {"empowerment": inst})
>>> table[["scale", "wave", "n", "k_items"]]
    scale      wave   n  k_items
0  agency  baseline  40        3
1   voice  baseline  40        3
>>> bool((table["alpha"] > 0.6).all())
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaltools.instruments import Instrument
from evaltools.schema import WAVE_ORDER
from evaltools.scoring import item_matrix

RELIABILITY_COLUMNS = ["instrument", "scale", "wave", "n", "k_items", "alpha", "alpha_ci_low", "alpha_ci_high",
                       "omega", "suppressed"]
ITEM_REST_COLUMNS = ["instrument", "scale", "wave", "item", "item_rest_r", "alpha_if_deleted"]
LOW_ALPHA_COLUMNS = ["instrument", "scale", "wave", "n", "alpha", "threshold"]

#: Lower bound of the uniquenesses in the ML fit (R's factanal default).
UNIQUENESS_LOWER = 0.005


def cronbach_alpha(cov: np.ndarray) -> float:
    """Cronbach's alpha from an item covariance matrix (k × k); NaN where undefined.

    >>> cronbach_alpha(np.array([[1.0, 0.5], [0.5, 1.0]]))   # 2·(1 − 2/3)
    0.6666666666666667
    """
    k = cov.shape[0]
    total = float(cov.sum())
    if k < 2 or not np.isfinite(total) or total <= 1e-12:
        return float("nan")
    return k / (k - 1) * (1.0 - float(np.trace(cov)) / total)


def feldt_ci(alpha: float, n: int, k: int, *, alpha_level: float = 0.05) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987) CI of Cronbach's alpha.

    >>> lo, hi = feldt_ci(0.5917188486, 15, 10)   # real-statistics.com example; R psych gives .195 to .840
    >>> round(lo, 3), round(hi, 3)
    (0.195, 0.84)
    """
    if not np.isfinite(alpha) or n < 2 or k < 2:
        return float("nan"), float("nan")
    dfn, dfd = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - alpha_level / 2, dfn, dfd)
    high = 1.0 - (1.0 - alpha) * stats.f.ppf(alpha_level / 2, dfn, dfd)
    return float(low), float(high)


def _fa_objective(psi: np.ndarray, corr: np.ndarray) -> float:
    sc = 1.0 / np.sqrt(psi)
    e = np.linalg.eigvalsh(corr * np.outer(sc, sc))[:-1]  # all but the largest (one factor)
    return float(-(np.sum(np.log(e) - e) - 1 + len(psi)))


def _fa_gradient(psi: np.ndarray, corr: np.ndarray) -> np.ndarray:
    sc = 1.0 / np.sqrt(psi)
    e, v = np.linalg.eigh(corr * np.outer(sc, sc))
    load = np.sqrt(psi) * v[:, -1] * np.sqrt(max(e[-1] - 1.0, 0.0))
    g = np.outer(load, load) + np.diag(psi) - corr
    return np.diag(g) / psi**2


def one_factor_ml(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """One-factor maximum-likelihood fit of a covariance matrix.

    Returns ``(loadings, uniquenesses, ok)`` on the covariance scale; ``ok`` is
    False when the matrix is singular, the fit does not converge, or a
    uniqueness sits at the lower bound (a Heywood case).

    >>> lam = np.array([0.8, 0.7, 0.6]); cov = np.outer(lam, lam) + np.diag(1 - lam**2)
    >>> loadings, psi, ok = one_factor_ml(cov)
    >>> ok, np.round(loadings, 4).tolist(), np.round(psi, 4).tolist()
    (True, [0.8, 0.7, 0.6], [0.36, 0.51, 0.64])
    """
    p = cov.shape[0]
    nan = np.full(p, np.nan)
    var = np.diag(cov)
    if p < 1 or not np.all(np.isfinite(cov)) or np.any(var <= 0):
        return nan, nan, False
    sd = np.sqrt(var)
    corr = cov / np.outer(sd, sd)
    if np.linalg.eigvalsh(corr)[0] <= 1e-10:
        return nan, nan, False
    start = np.clip((1 - 0.5 / p) / np.diag(np.linalg.inv(corr)), UNIQUENESS_LOWER, 1.0)
    with np.errstate(all="ignore"):
        res = optimize.minimize(_fa_objective, start, args=(corr,), jac=_fa_gradient, method="SLSQP",
                                bounds=[(UNIQUENESS_LOWER, 1.0)] * p, options={"ftol": 1e-14, "maxiter": 1000})
    psi = res.x
    if not np.all(np.isfinite(psi)) or np.any(psi <= UNIQUENESS_LOWER * (1 + 1e-6)):
        return nan, nan, False
    # the optimiser may stop "abnormally" when it sits on an exact optimum; a zero gradient is converged too
    if not res.success and not np.max(np.abs(_fa_gradient(psi, corr))) < 1e-6:
        return nan, nan, False
    sc = 1.0 / np.sqrt(psi)
    e, v = np.linalg.eigh(corr * np.outer(sc, sc))
    load = np.sqrt(psi) * v[:, -1] * np.sqrt(max(e[-1] - 1.0, 0.0))
    if load.sum() < 0:
        load = -load
    return load * sd, psi * var, True


def omega_total(cov: np.ndarray) -> float:
    """McDonald's ω_total from a one-factor ML model of ``cov``; NaN where undefined (k < 3, ...).

    >>> lam = np.array([0.8, 0.7, 0.6]); cov = np.outer(lam, lam) + np.diag(1 - lam**2)
    >>> round(omega_total(cov), 4)    # 2.1² / (2.1² + 0.36 + 0.51 + 0.64)
    0.7449
    """
    if cov.shape[0] < 3:
        return float("nan")
    load, psi, ok = one_factor_ml(cov)
    if not ok:
        return float("nan")
    common = load.sum() ** 2
    return float(common / (common + psi.sum()))


def _waves(q: pd.DataFrame) -> list:
    present = list(pd.unique(q["wave"].dropna()))
    known = [w for w in WAVE_ORDER if w in present]
    return known + sorted(w for w in present if w not in known)


def _cells(questionnaires, instruments):
    """(instrument, scale, wave, complete-case matrix) for every cell, in a fixed order."""
    for inst_id, q in questionnaires.items():
        if inst_id not in instruments:
            continue
        inst = instruments[inst_id]
        waves = _waves(q)
        wave_col = q["wave"].to_numpy(dtype=object, na_value=None)
        for scale in inst.scales:
            x = item_matrix(q, inst, scale)
            complete = ~np.isnan(x).any(axis=1)
            for wave in waves:
                yield inst_id, scale, wave, x[complete & (wave_col == wave)]


def reliability(
    questionnaires: Mapping[str, pd.DataFrame],
    instruments: Mapping[str, Instrument],
    *,
    alpha_level: float = 0.05,
    min_cell: int = 5,
) -> pd.DataFrame:
    """Alpha (with Feldt's CI) and omega per instrument × scale × wave.

    Parameters
    ----------
    questionnaires : mapping of instrument id to DataFrame
        ``participant_id, wave`` and the item columns (missing codes allowed).
    instruments : mapping of instrument id to Instrument
        A questionnaire whose instrument is absent is skipped.
    alpha_level : float
        1 − the confidence level of the alpha CI (0.05 gives a 95 % CI).
    min_cell : int
        Rows with ``n`` below it are suppressed (0: none is).

    Returns
    -------
    DataFrame
        ``instrument, scale, wave, n, k_items, alpha, alpha_ci_low,
        alpha_ci_high, omega, suppressed``.

    Examples
    --------
    >>> reliability({}, {}).columns.tolist()[-2:]
    ['omega', 'suppressed']
    """
    rows = []
    for inst_id, scale, wave, x in _cells(questionnaires, instruments):
        n, k = x.shape
        alpha = lo = hi = omega = np.nan
        if n >= 2:
            cov = np.atleast_2d(np.cov(x, rowvar=False))
            alpha = cronbach_alpha(cov)
            lo, hi = feldt_ci(alpha, n, k, alpha_level=alpha_level)
            omega = omega_total(cov)
        rows.append((inst_id, scale.id, wave, n, k, alpha, lo, hi, omega))
    out = pd.DataFrame(rows, columns=RELIABILITY_COLUMNS[:-1])
    out = out.astype({"instrument": "str", "scale": "str", "wave": "str", "n": "int64", "k_items": "int64",
                      **{c: "float64" for c in RELIABILITY_COLUMNS[5:-1]}})
    small = (out["n"] < min_cell).to_numpy()
    out["k_items"] = out["k_items"].astype("Int64")
    out.loc[small, ["alpha", "alpha_ci_low", "alpha_ci_high", "omega"]] = np.nan
    out.loc[small, "k_items"] = pd.NA  # a suppressed row keeps keys, n and suppressed only (docs/statistics.md)
    out["suppressed"] = small
    return out


def item_rest(
    questionnaires: Mapping[str, pd.DataFrame],
    instruments: Mapping[str, Instrument],
    *,
    min_cell: int = 5,
) -> pd.DataFrame:
    """Item–rest correlation and alpha-if-item-deleted, on the same complete cases as :func:`reliability`.

    Returns
    -------
    DataFrame
        ``instrument, scale, wave, item, item_rest_r, alpha_if_deleted``; one
        row per item of every instrument × scale × wave (NaN where undefined or
        where the cell's n is below ``min_cell``).

    Examples
    --------
    >>> item_rest({}, {}).columns.tolist()
    ['instrument', 'scale', 'wave', 'item', 'item_rest_r', 'alpha_if_deleted']
    """
    rows = []
    for inst_id, scale, wave, x in _cells(questionnaires, instruments):
        n, k = x.shape
        r = np.full(k, np.nan)
        a_del = np.full(k, np.nan)
        if n >= 2 and n >= min_cell:
            cov = np.atleast_2d(np.cov(x, rowvar=False))
            total = cov.sum()
            item_var = np.diag(cov)
            cov_with_total = cov.sum(axis=1)
            rest_cov = cov_with_total - item_var
            rest_var = total - 2 * cov_with_total + item_var
            with np.errstate(all="ignore"):
                r = np.where((rest_var > 1e-12) & (item_var > 1e-12), rest_cov / np.sqrt(item_var * rest_var), np.nan)
            if k >= 3:
                keep = ~np.eye(k, dtype=bool)
                a_del = np.array([cronbach_alpha(cov[np.ix_(keep[j], keep[j])]) for j in range(k)])
        rows.extend((inst_id, scale.id, wave, item, r[j], a_del[j]) for j, item in enumerate(scale.items))
    out = pd.DataFrame(rows, columns=ITEM_REST_COLUMNS)
    return out.astype({"instrument": "str", "scale": "str", "wave": "str", "item": "str",
                       "item_rest_r": "float64", "alpha_if_deleted": "float64"})


def low_alpha(table: pd.DataFrame, *, threshold: float = 0.70) -> pd.DataFrame:
    """The rows of a :func:`reliability` table whose alpha is below ``threshold`` (warnings to show).

    Rows with no alpha (empty or suppressed) are not listed.

    >>> t = pd.DataFrame({"instrument": ["a", "a"], "scale": ["x", "y"], "wave": "baseline",
    ...                   "n": [30, 30], "alpha": [0.65, 0.81]})
    >>> low_alpha(t)[["scale", "alpha", "threshold"]]
      scale  alpha  threshold
    0     x   0.65        0.7
    """
    low = table[table["alpha"].astype("float64") < threshold]
    out = low.reindex(columns=LOW_ALPHA_COLUMNS[:-1]).reset_index(drop=True)
    out["threshold"] = float(threshold)
    return out
