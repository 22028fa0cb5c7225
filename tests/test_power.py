"""Power of the paired t-test and the smallest detectable effect (evaltools.power).

Reference numbers come from statsmodels' power solver
(``statsmodels.stats.power.TTestPower``), from numerical integration of the
noncentral t written out here (without scipy's nct), and from the numbers of
issue 19 (14 pairs → mdes_dz 0.810; d_z 0.8 → 14.30 pairs; 15 pairs at d_z 0.8 → power 0.821).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize, stats
from statsmodels.stats.power import TTestPower

from evaltools.power import mdes_dz, paired_t_power, pairs_needed, power_of_paired_t


def _mdes(n, alpha=0.05):
    return float(mdes_dz(n, alpha=alpha)[0])


def power_by_integration(n: int, d: float, alpha: float) -> float:
    """Power of the two-sided paired t-test without scipy's nct: T = (Z + λ)/√(V/df), V ~ χ²(df)."""
    df = n - 1
    crit = stats.t.ppf(1 - alpha / 2, df)
    lam = d * math.sqrt(n)

    def density(v):
        scale = math.sqrt(v / df)
        return (stats.norm.sf(crit * scale - lam) + stats.norm.cdf(-crit * scale - lam)) * stats.chi2.pdf(v, df)

    return integrate.quad(density, 0, np.inf, limit=200)[0]


# --------------------------------------------------------------------------- power and MDES

def test_issue_reference_numbers():
    # statsmodels TTestPower().solve_power(nobs=14, alpha=.05, power=.8) = 0.8101466710235102
    assert _mdes(14) == pytest.approx(0.8101466710235102, abs=1e-5)
    assert round(_mdes(14), 3) == 0.810
    # TTestPower().solve_power(effect_size=.8, alpha=.05, power=.8) = 14.30276455812943
    assert pairs_needed(0.8) == pytest.approx(14.30276455812943, abs=1e-4)
    # TTestPower().power(effect_size=.8, nobs=15, alpha=.05) = 0.8213105387241096
    assert power_of_paired_t(15, 0.8) == pytest.approx(0.8213105387241096, abs=1e-10)
    assert round(power_of_paired_t(15, 0.8), 3) == 0.821


@pytest.mark.parametrize("alpha", [0.05, 0.10])
def test_power_and_mdes_match_statsmodels(alpha):
    solver = TTestPower()
    for n in range(2, 61):
        # statsmodels' own solver stops at about 2e-6
        assert _mdes(n, alpha) == pytest.approx(solver.solve_power(nobs=n, alpha=alpha, power=0.8), abs=1e-5)
        for d in (0.1, 0.45, 0.8):  # statsmodels' power is NaN far in the tail (e.g. n 60, d 1.5)
            assert power_of_paired_t(n, d, alpha) == pytest.approx(solver.power(effect_size=d, nobs=n, alpha=alpha),
                                                                   abs=1e-12)


@pytest.mark.parametrize("n, d, alpha", [(14, 0.8101466710235102, 0.05), (15, 0.8, 0.05), (6, 1.2, 0.05),
                                         (3, 7.32, 0.01), (2, 57.69, 0.01)])
def test_power_matches_numerical_integration(n, d, alpha):
    # (3, 7.32, .01) and (2, 57.69, .01): scipy's nct.cdf(-crit) is NaN there and statsmodels' power
    # returns NaN; the integral is the independent reference (0.80 at both, the MDES of those n).
    assert power_of_paired_t(n, d, alpha) == pytest.approx(power_by_integration(n, d, alpha), abs=1e-8)


def test_power_edges():
    assert power_of_paired_t(20, 0.0) == pytest.approx(0.05)       # no effect: power = alpha
    assert power_of_paired_t(20, -0.6) == power_of_paired_t(20, 0.6)  # two-sided: symmetric
    assert math.isnan(power_of_paired_t(1, 0.5))
    assert pairs_needed(0.0) == math.inf
    assert math.isnan(pairs_needed(float("nan")))
    assert pairs_needed(20.0) == 2.0                               # two pairs are the floor of a t-test
    for d in (0.2, 0.5, 1.0):
        assert power_of_paired_t(pairs_needed(d), d) == pytest.approx(0.8, abs=1e-8)
    assert math.isnan(_mdes(1))


def test_mdes_dz_is_where_power_reaches_80_percent():
    ns = np.arange(2, 61)
    for alpha in (0.05, 0.01):
        for n, m in zip(ns, mdes_dz(ns, alpha=alpha)):
            assert power_of_paired_t(n, m, alpha) == pytest.approx(0.8, abs=1e-8)


def test_mdes_dz_against_root_of_the_integrated_power():
    # independent of evaltools.power: brentq on the power written out by numerical integration
    for n in (2, 5, 14, 40):
        for alpha in (0.05, 0.01):
            ref = optimize.brentq(lambda d: power_by_integration(n, d, alpha) - 0.8, 1e-6, 200, xtol=1e-12)
            assert _mdes(n, alpha) == pytest.approx(ref, abs=1e-7)


def test_vectorised_power_equals_the_scalar_one():
    n = np.array([2, 5, 14, 15, 60, 1])
    d = np.array([3.0, 0.9, 0.81, 0.8, -0.3, 0.5])
    got = paired_t_power(n, d)
    want = [power_of_paired_t(k, v) for k, v in zip(n, d)]
    np.testing.assert_array_equal(got[:-1], want[:-1])
    assert math.isnan(got[-1]) and math.isnan(want[-1])
    assert np.isnan(mdes_dz([0, 1, np.nan])).all()
