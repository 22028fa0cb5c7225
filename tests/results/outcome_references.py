"""Where the reference numbers of the outcome tests come from (run by hand; prints them).

    .venv/bin/python tests/results/outcome_references.py

1. Cronbach's alpha, real-statistics.com example (15 people × 10 items, the
   ``cronbach_alpha`` data set shipped with pingouin): alpha = 0.592 with a
   95 % CI of 0.195 to 0.840, the values pingouin's own tests check against
   R psych (pingouin/tests/test_reliability.py). Recomputed here from the
   item variances and with Feldt's CI from ``scipy.stats.f``.
2. Lakens (2013), Frontiers in Psychology 4:863, table 1 (movie ratings,
   n = 10): t(9) = 4.74, d_z = 1.50, d_av = 1.13, g_av = 1.08. Recomputed
   with ``scipy.stats.ttest_rel``.
3. mdes_dz for 14 pairs at α = 0.05 and 80 % power:
   ``statsmodels.stats.power.TTestPower().solve_power`` = 0.810, and the
   power at that d from ``scipy.stats.nct`` is 0.80.
4. Reliable change, hand-worked: SD₁ = 0.7 (dysfunctional norm), r = 0.80:
   S_diff = √2 · 0.7 · √0.2 = 0.44272; c = (0.6·2.6 + 0.7·3.9)/(0.6 + 0.7) = 3.3.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats
from statsmodels.stats.power import TTestPower

#: pingouin/datasets/cronbach_alpha.csv (real-statistics.com), rows = people, columns = Q1..Q10.
REAL_STATISTICS = np.array([
    [3, 2, 4, 1, 4, 5, 1, 4, 3, 2], [5, 4, 6, 3, 5, 1, 2, 5, 5, 5], [7, 3, 5, 5, 6, 4, 3, 3, 6, 5],
    [2, 4, 3, 3, 2, 2, 2, 6, 6, 3], [6, 5, 6, 5, 4, 4, 4, 6, 7, 5], [1, 2, 3, 4, 2, 5, 2, 3, 5, 2],
    [4, 3, 5, 3, 5, 2, 1, 2, 4, 3], [2, 4, 4, 3, 7, 2, 2, 4, 6, 5], [6, 5, 5, 5, 1, 6, 5, 2, 3, 2],
    [5, 4, 6, 4, 3, 5, 3, 1, 7, 2], [4, 3, 5, 2, 5, 3, 2, 3, 4, 1], [4, 2, 3, 2, 5, 3, 4, 2, 3, 4],
    [5, 5, 6, 2, 3, 3, 2, 4, 4, 5], [6, 5, 5, 4, 2, 2, 1, 4, 6, 5], [4, 3, 5, 5, 3, 1, 3, 2, 3, 4],
], dtype=float)

#: Lakens (2013), table 1.
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]


def main() -> None:
    x = REAL_STATISTICS
    n, k = x.shape
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    alpha = k / (k - 1) * (1 - item_var / total_var)
    dfn, dfd = n - 1, (n - 1) * (k - 1)
    print(f"1. alpha = {alpha:.6f}; CI {1 - (1 - alpha) * stats.f.ppf(0.975, dfn, dfd):.6f}"
          f" to {1 - (1 - alpha) * stats.f.ppf(0.025, dfn, dfd):.6f}")

    post, pre = np.array(MOVIE_1, float), np.array(MOVIE_2, float)
    res = stats.ttest_rel(post, pre)
    d = post - pre
    d_av = d.mean() / ((pre.std(ddof=1) + post.std(ddof=1)) / 2)
    print(f"2. t({res.df}) = {res.statistic:.4f}, p = {res.pvalue:.6f}, d_z = {d.mean() / d.std(ddof=1):.4f},"
          f" d_av = {d_av:.4f}, g_av = {d_av * (1 - 3 / (8 * 10 - 9)):.4f}")

    mdes = TTestPower().solve_power(nobs=14, alpha=0.05, power=0.8)
    crit = stats.t.isf(0.025, 13)
    power = stats.nct.sf(crit, 13, mdes * math.sqrt(14)) + stats.nct.cdf(-crit, 13, mdes * math.sqrt(14))
    print(f"3. mdes_dz(14) = {mdes:.6f}; power there (scipy nct) = {power:.6f}")

    print(f"4. S_diff = {math.sqrt(2) * 0.7 * math.sqrt(1 - 0.8):.6f};"
          f" c = {(0.6 * 2.6 + 0.7 * 3.9) / (0.6 + 0.7):.4f}")


if __name__ == "__main__":
    main()
