"""Change with people nested in families (docs/statistics.md#people-nested-in-families).

Members of one family do not change independently of each other, and the
paired tests of :mod:`evaltools.change` treat them as if they did. Random
intercepts on the scores cancel out of within-person change, so clustering
is modelled on the change scores themselves: :func:`clustered_change`
(``clustered_change.csv``) gives, beside the paired test, the
cluster-robust mean change, the analysis of family means, the intra-family
correlation of change and the design effect.

The three-wave trajectory's mixed model lives in :mod:`evaltools.trajectory`.

Clustered change
----------------
Complete pairs only, d = round(endline − baseline, 10) as in
:func:`evaltools.pairing.paired_scores`. Families j = 1..G of sizes n_j
(a person without ``family_id`` is a family of one), N = Σ n_j = ``n_pairs``:

- ``mean_diff`` = d̄, the mean of d;
- ``se_robust``: the CR1 cluster-robust standard error of the intercept of
  OLS d ~ 1, as statsmodels' ``OLS(d, 1).fit(cov_type="cluster")`` with its
  default small-sample factor G/(G − 1)·(N − 1)/(N − k), k = 1. With
  X = 1 the sandwich (X'X)⁻¹ (Σ_j u_j²) (X'X)⁻¹ is Σ_j u_j² / N², u_j the
  sum of the family's residuals d − d̄, so in closed form

      se_robust² = G/(G − 1) · Σ_j (Σ_{i∈j} (d_i − d̄))² / N²;

  ``ci_low``, ``ci_high`` and ``p`` from t = d̄ / se_robust with G − 1 df
  (statsmodels with ``use_t=True``);
- ``family_mean_diff``, ``family_ci_low``, ``family_ci_high``, ``family_p``:
  the one-sample t on the G family means of d (``scipy.stats.ttest_1samp``),
  the analysis recommended when families are few;
- ``icc``: the one-way ANOVA estimator of the intra-family correlation of d,
  (MSB − MSW) / (MSB + (n₀ − 1)·MSW), n₀ = (N − Σ n_j²/N)/(G − 1),
  truncated at 0; empty when it cannot be estimated (G < 2, no family of
  two, or no variance of d at all);
- ``design_effect`` = 1 + (m̄ − 1)·icc with m̄ = N/G (exactly 1 when every
  family has one person).

The CI and p columns are empty where G < 3, and p is empty where the
standard error is 0 (everyone, or every family, changed by the same amount:
there is no test, not a significant one). Rows, groups and the small-cell
rule as in :func:`evaltools.change.paired_change`.

Examples
--------
>>> scores = pd.DataFrame({"participant_id": ["A", "B", "C", "D"] * 2,
...                        "wave": ["baseline"] * 4 + ["endline"] * 4, "instrument": "x", "scale": "s",
...                        "score": [2.0, 2.0, 3.0, 3.0, 3.0, 3.5, 3.0, 4.0]})
>>> participants = pd.DataFrame({"participant_id": ["A", "B", "C", "D"], "family_id": ["F1", "F1", "F2", None]})
>>> row = clustered_change(scores, participants, min_cell=1).iloc[0]
>>> int(row["n_pairs"]), int(row["n_families"]), float(row["mean_diff"]), float(row["family_mean_diff"])
(4, 3, 0.875, 0.75)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.attrition import status_codes
from evaltools.pairing import KEY, cell_grid, scale_keys
from evaltools.groups import coded_members, grid_people, group_membership, member_rows, partition
from evaltools.suppression import suppress_small_cells

CLUSTERED_COLUMNS = ["instrument", "scale", "group", "n_pairs", "n_families", "mean_diff", "se_robust", "ci_low",
                     "ci_high", "ci_level", "p", "family_mean_diff", "family_ci_low", "family_ci_high", "family_p",
                     "icc", "design_effect", "suppressed"]


def _families(participants: pd.DataFrame) -> pd.Series:
    fam = participants.set_index(participants["participant_id"].astype("str"))["family_id"] \
        if "family_id" in participants.columns else pd.Series(dtype="str")
    return fam[~fam.index.duplicated()].astype("str")


def _family_of(participant_id: pd.Series, participants: pd.DataFrame) -> pd.Series:
    """Each person's family; a person without ``family_id`` is a family of one of their own."""
    fam = participant_id.map(_families(participants)).astype("str")  # one row a person: cheap
    return fam.where(fam.notna() & (fam.str.strip() != ""), "\x00" + participant_id)


def _empty_clustered() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series([], dtype="float64") for c in CLUSTERED_COLUMNS})
    return out.astype({"instrument": "str", "scale": "str", "group": "str", "n_pairs": "int64", "suppressed": "bool"})


def _all_equal(values: np.ndarray, group: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group, whether all its ``values`` are equal (min = max; False for an empty group), and one of them.

    The value is any one of the group's (NaN for an empty group): where they
    are all equal, their common value.
    """
    one = np.full(n_groups, np.nan)
    one[group] = values                                      # some value of each group (which one does not matter)
    differ = np.bincount(group, weights=values != one[group], minlength=n_groups)
    return (differ == 0) & (np.bincount(group, minlength=n_groups) > 0), one


def _coded_pairs(st: SimpleNamespace, key_of: np.ndarray, participants: pd.DataFrame,
                 membership: pd.DataFrame) -> SimpleNamespace:
    """The complete pairs of ``st`` (:func:`evaltools.attrition.status_codes`) under ``all`` and each group, as codes.

    ``key_of`` maps the status' keys to the table's (``scale_keys``). Per row
    of the long table: ``key``, ``person``, ``cell`` = key · len(groups) +
    group, ``d`` (the pair's change) and ``family``: the person's family
    within the cell (a code over all cells, in order of first appearance),
    with ``fam_cell``, the cell of each family; ``groups`` (:func:`group_order`).
    """
    pairs = np.flatnonzero(st.done)                                   # the rows of paired_scores, in its order
    groups, member_person, member_group = coded_members(membership, st.people)
    n_groups = len(groups)
    family = pd.factorize(_family_of(pd.Series(st.people, dtype="str"), participants))[0]
    row, g = member_rows(st.person[pairs], member_person, member_group)
    person = st.person[pairs][row]
    key = key_of[st.key[pairs][row]].astype("int64")
    cell = key * n_groups + g
    fam_code, _ = pd.factorize(cell * (int(family.max(initial=0)) + 1) + family[person])
    fam_cell = np.zeros(int(fam_code.max(initial=-1)) + 1, dtype="int64")
    fam_cell[fam_code] = cell
    d = np.round(st.post[pairs] - st.pre[pairs], 10)[row]
    return SimpleNamespace(key=key, person=person, cell=cell, family=fam_code, fam_cell=fam_cell, d=d, groups=groups)


def _cluster_statistics(d: np.ndarray, c: SimpleNamespace, n_cells: int, alpha: float) -> dict[str, np.ndarray]:
    """The columns from ``n_pairs`` to ``design_effect`` per cell (definitions in the module docstring)."""
    cell, fam_code, fam_cell = c.cell, c.family, c.fam_cell
    n_fam_all = len(fam_cell)
    n = np.bincount(cell, minlength=n_cells).astype("float64")
    g = np.bincount(fam_cell, minlength=n_cells).astype("float64")
    const, common = _all_equal(d, cell, n_cells)              # a cell whose d are all equal: exact zeros, not noise
    with np.errstate(all="ignore"):
        mean = np.bincount(cell, weights=d, minlength=n_cells) / n
        e = np.where(const[cell], 0.0, d - mean[cell])
        n_j = np.bincount(fam_code, minlength=n_fam_all).astype("float64")
        fam_mean = np.where(const[fam_cell], common[fam_cell],
                            np.bincount(fam_code, weights=d, minlength=n_fam_all) / n_j)

        # CR1 cluster-robust SE of the intercept of d ~ 1: families' sums of residuals, summed per cell
        u_j = np.bincount(fam_code, weights=e, minlength=n_fam_all)
        se = np.sqrt(g / (g - 1) * np.bincount(fam_cell, weights=u_j ** 2, minlength=n_cells) / n ** 2)
        se = np.where(g >= 2, se, np.nan)
        df = np.where(g >= 3, g - 1, np.nan)
        t_crit = stats.t.isf(alpha / 2, df)
        p_rob = np.where(se > 0, 2 * stats.t.sf(np.abs(mean / se), df), np.nan)

        # one-sample t on the family means
        f_mean = np.bincount(fam_cell, weights=fam_mean, minlength=n_cells) / g
        f_dev = fam_mean - f_mean[fam_cell]
        f_const = _all_equal(fam_mean, fam_cell, n_cells)[0]
        f_sd = np.where(f_const, 0.0, np.sqrt(np.bincount(fam_cell, weights=f_dev ** 2, minlength=n_cells) / (g - 1)))
        f_se = f_sd / np.sqrt(g)
        p_fam = np.where(f_se > 0, 2 * stats.t.sf(np.abs(f_mean / f_se), df), np.nan)

        # one-way ANOVA estimator of the intra-family correlation of d
        ssb = np.bincount(fam_cell, weights=n_j * (fam_mean - mean[fam_cell]) ** 2, minlength=n_cells)
        ssw = np.bincount(cell, weights=np.where(const[cell], 0.0, d - fam_mean[fam_code]) ** 2, minlength=n_cells)
        msb, msw = ssb / (g - 1), ssw / (n - g)
        n0 = (n - np.bincount(fam_cell, weights=n_j ** 2, minlength=n_cells) / n) / (g - 1)
        denom = msb + (n0 - 1) * msw
        icc = np.where((g >= 2) & (n > g) & (denom > 0), np.maximum((msb - msw) / denom, 0.0), np.nan)
        m_bar = n / g
        return {"n_pairs": n.astype("int64"), "n_families": pd.array(g.astype("int64"), dtype="Int64"),
                "mean_diff": mean, "se_robust": se, "ci_low": mean - t_crit * se, "ci_high": mean + t_crit * se,
                "ci_level": 1.0 - alpha, "p": p_rob, "family_mean_diff": f_mean,
                "family_ci_low": f_mean - t_crit * f_se, "family_ci_high": f_mean + t_crit * f_se,
                "family_p": p_fam, "icc": icc, "design_effect": np.where(m_bar == 1, 1.0, 1 + (m_bar - 1) * icc),
                "suppressed": False}


def clustered_change(
    scores: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    membership: pd.DataFrame | None = None,
    min_cell: int,
    alpha: float = 0.05,
    instruments: Mapping | None = None,
    partition_groups: Iterable | None = None,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
) -> pd.DataFrame:
    """Change with families as clusters per instrument × scale × group: the ``clustered_change.csv`` table.

    Definitions in the module docstring. Computed for every cell at once
    (sums over families with ``numpy.bincount``, no Python loop over cells
    or families).

    Parameters
    ----------
    scores : DataFrame
        Long scores: ``participant_id, wave, instrument, scale, score``.
    participants : DataFrame
        ``participant_id`` and ``family_id`` (missing or blank: a family of
        one); without ``membership`` also what
        :func:`evaltools.change.group_membership` needs.
    membership : DataFrame, optional
        ``participant_id, group``; by default ``group_membership(participants)``.
        ``all`` always means every person with a pair.
    min_cell : int
        Rows with fewer pairs keep only their keys, ``n_pairs`` and
        ``suppressed`` (the rule of :func:`evaltools.change.paired_change`).
    alpha : float
        1 − ``ci_level``.
    instruments : mapping of id to Instrument, optional
        Their scales get rows even when nobody answered them, and give the
        row order (as in ``change.csv``).
    partition_groups : iterable, optional
        The ``participants.group`` values, as in :func:`~evaltools.change.paired_change`.
    pre_wave, post_wave : str
        The two waves compared.

    Returns
    -------
    DataFrame
        ``instrument, scale, group, n_pairs, n_families, mean_diff,
        se_robust, ci_low, ci_high, ci_level, p, family_mean_diff,
        family_ci_low, family_ci_high, family_p, icc, design_effect,
        suppressed``.
    """
    st = status_codes(scores, pre_wave=pre_wave, post_wave=post_wave)
    keys = scale_keys(st.keys, instruments)           # the keys of scores are those of the status, in order
    if len(keys) == 0:
        return _empty_clustered()
    if membership is None:
        membership = group_membership(participants)
    key_of = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(st.keys))
    c = _coded_pairs(st, key_of, participants, membership)
    groups = c.groups
    out = cell_grid(keys, groups).reset_index(drop=True)      # keys × groups, groups varying fastest
    out = out.assign(**_cluster_statistics(c.d, c, len(out), alpha))
    people, repeat = grid_people(c.cell, c.person, len(keys), groups)
    out, people = out[~repeat], people[~repeat]
    out = suppress_small_cells(out[CLUSTERED_COLUMNS], n_col="n_pairs", min_cell=min_cell, keys=(*KEY, "group"),
                               partition_groups=partition(pd.DataFrame({"group": groups}), partition_groups),
                               people=people)
    floats = [c for c in CLUSTERED_COLUMNS
              if c not in ("instrument", "scale", "group", "n_pairs", "n_families", "suppressed")]
    # a count, empty on suppressed rows: nullable integers, written 27 (not 27.0) and empty
    return out.astype({**{c: "float64" for c in floats}, "n_families": "Int64", "suppressed": "bool"}) \
        .reset_index(drop=True)
