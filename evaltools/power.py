"""Power of the two-sided paired t-test, and the smallest effect it detects (docs/outputs.md#change, ``mdes_dz``).

One noncentral-t power function serves every caller: ``change.csv``'s
``mdes_dz`` column (:func:`mdes_dz`, vectorised over cells) and the words of
:mod:`evaltools.certainty` (:func:`power_of_paired_t`, :func:`mdes_of_paired_t`, :func:`pairs_needed`).
With df = n − 1, λ = d_z·√n and c = t(1 − alpha/2; df),

    power(n, d_z) = P(T > c) + P(T < −c),  T ~ t(df, λ),

which is what ``statsmodels.stats.power.TTestPower`` computes.

Examples
--------
>>> round(power_of_paired_t(15, 0.8), 3)        # statsmodels TTestPower gives 0.821
0.821
>>> round(float(mdes_dz(14)[0]), 3)             # TTestPower().solve_power(nobs=14, alpha=.05, power=.8)
0.81
>>> round(pairs_needed(0.8), 2)
14.3
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import optimize, stats

#: Power for which ``mdes_dz`` is given.
MDES_POWER = 0.8


def paired_t_power(n, d_z, alpha: float = 0.05) -> np.ndarray:
    """Power of the two-sided paired t-test with ``n`` pairs for a true effect ``d_z`` (arrays broadcast).

    ``n`` may be fractional (for :func:`pairs_needed`); fewer than two pairs
    give NaN. The test is two-sided, so power is symmetric in ``d_z``. SciPy's
    noncentral t returns NaN far in a tail (e.g. ``cdf(-2.06, 25, 20)``);
    such a tail is taken as 0.

    >>> paired_t_power([14, 1], 0.0).round(3).tolist()      # no effect: power = alpha
    [0.05, nan]
    """
    n, d = np.broadcast_arrays(np.asarray(n, dtype="float64"), np.asarray(d_z, dtype="float64"))
    ok = (n > 1) & np.isfinite(d)
    df = np.where(ok, n - 1, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crit = stats.t.isf(alpha / 2, df)
        nc = np.abs(d) * np.sqrt(n)
        upper = stats.nct.sf(crit, df, nc)
        upper = np.where(np.isnan(upper), 1 - stats.nct.cdf(crit, df, nc), upper)
        upper = np.where(np.isnan(upper), np.where(nc > crit, 1.0, 0.0), upper)
        lower = np.nan_to_num(stats.nct.cdf(-crit, df, nc), nan=0.0)
    return np.where(ok, upper + lower, np.nan)


def power_of_paired_t(n: float, d_z: float, alpha: float = 0.05) -> float:
    """:func:`paired_t_power` for one n and one d_z, as a float.

    Examples
    --------
    >>> round(power_of_paired_t(14, 0.810), 3)
    0.8
    >>> round(power_of_paired_t(20, 0.0), 3)     # no effect: power = alpha
    0.05
    """
    return float(paired_t_power(float(n), float(d_z), alpha))


def mdes_dz(n_pairs, *, alpha: float = 0.05, power: float = MDES_POWER) -> np.ndarray:
    """Smallest d_z that a two-sided paired t-test on ``n_pairs`` detects with ``power`` (NaN for n < 2).

    Solves :func:`paired_t_power` (n, d) = ``power`` for d by bisection, all
    cells at once; equal to ``statsmodels.stats.power.TTestPower().solve_power(
    nobs=n, alpha=alpha, power=power)``.

    >>> np.round(mdes_dz([14, 1]), 3)
    array([0.81,  nan])
    """
    n = np.atleast_1d(np.asarray(n_pairs, dtype="float64"))
    out = np.full(n.shape, np.nan)
    ok = np.isfinite(n) & (n >= 2)
    if not ok.any():
        return out
    uniq, inverse = np.unique(n[ok], return_inverse=True)

    def excess(d):
        return paired_t_power(uniq, d, alpha) - power

    lo = np.zeros(uniq.shape)
    hi = np.ones(uniq.shape)
    for _ in range(30):  # widen until the root is bracketed (d at most 2**30)
        below = excess(hi) < 0
        if not below.any():
            break
        lo = np.where(below, hi, lo)
        hi = np.where(below, 2 * hi, hi)
    for _ in range(64):  # bisection: the bracket shrinks to hi · 2**-64
        mid = (lo + hi) / 2
        below = excess(mid) < 0
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    out[ok] = ((lo + hi) / 2)[inverse]
    return out


def mdes_of_paired_t(n: float, alpha: float = 0.05, power: float = MDES_POWER) -> float:
    """:func:`mdes_dz` for one n, as a float (for words where no change row gives ``mdes_dz``).

    >>> round(mdes_of_paired_t(14), 3)
    0.81
    """
    return float(mdes_dz(n, alpha=alpha, power=power)[0])


def pairs_needed(d_z: float, alpha: float = 0.05, power: float = MDES_POWER) -> float:
    """Number of pairs (fractional) at which the paired t-test reaches ``power`` for ``d_z``.

    Solves :func:`power_of_paired_t` (n, |d_z|) = ``power`` for n. A t-test
    needs at least two pairs, so the answer is never below 2.0 (an effect so
    large that two pairs suffice gives 2.0). d_z = 0 gives ``inf``; NaN gives NaN.

    Examples
    --------
    >>> round(pairs_needed(0.5), 2)              # statsmodels TTestPower: 33.37
    33.37
    >>> pairs_needed(0.0)
    inf
    """
    d = abs(float(d_z))
    if math.isnan(d):
        return math.nan
    if d == 0:
        return math.inf

    def gap(n: float) -> float:
        return power_of_paired_t(n, d, alpha) - power

    low, high = 2.0, 4.0
    if gap(low) >= 0:
        return low
    while gap(high) < 0:
        low, high = high, high * 2
        if high > 1e9:
            return math.inf
    return float(optimize.brentq(gap, low, high, xtol=1e-10))
