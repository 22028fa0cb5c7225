"""A comparison arm: who is in which arm, and the programme's change against the comparison's.

Definitions: docs/statistics.md#more-waves-and-a-comparison-arm.

``participants.arm`` is ``programme`` or ``comparison``; an empty cell (or a
table without the column) means ``programme``. Every table except
``comparison.csv`` describes the programme arm only: :func:`programme_arm`
gives the programme's participants and :func:`split_arms` splits any long
table (scores, attendance, ties, ...) by its ``participant_id``.

``comparison.csv`` (:func:`comparison`) is computed on the complete
baseline–endline pairs of both arms, one row per instrument × scale, with
d = round(endline − baseline, 10) and arm = 1 for the programme:

- ``did`` — difference in differences, the coefficient of arm in OLS
  d ~ arm, i.e. mean_change_programme − mean_change_comparison, with the
  classical (pooled-variance) SE, a t CI and p on n − 2 df;
- ``ancova`` — the coefficient of arm in OLS endline ~ baseline + arm, with
  the classical SE, a t CI and p on n − 3 df;
- ``smd_baseline`` — (programme's mean baseline − comparison's) over the
  pooled SD √(((n₁ − 1)s₁² + (n₂ − 1)s₂²)/(n₁ + n₂ − 2)), on the same pairs.

A row is suppressed when either arm has fewer than ``min_cell`` pairs: it
keeps ``instrument, scale, n_programme, n_comparison`` and
``suppressed = True``, every other column is empty.

Examples
--------
Two people per arm (a 2 × 2 difference in differences by hand): the
programme changes by +1 and +3 (mean +2), the comparison by 0 and +1
(mean +0.5), so DiD = 2 − 0.5 = 1.5.

>>> people = pd.DataFrame({"participant_id": ["A", "B", "C", "D"],
...                        "arm": ["programme", None, "comparison", "comparison"]})
>>> scores = pd.DataFrame({"participant_id": list("ABCD") * 2, "wave": ["baseline"] * 4 + ["endline"] * 4,
...                        "instrument": "x", "scale": "s", "score": [2, 3, 2, 4, 3, 6, 2, 5]})
>>> row = comparison(scores, people, min_cell=2).iloc[0]
>>> [round(float(row[c]), 10) for c in ("mean_change_programme", "mean_change_comparison", "did")]
[2.0, 0.5, 1.5]
>>> programme_arm(people)["participant_id"].tolist()
['A', 'B']
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from evaltools.change import t_interval

from evaltools.pairing import paired_scores, scale_keys
from evaltools.schema import CODES
from evaltools.suppression import suppress_small_cells

PROGRAMME, COMPARISON = CODES["arm"]
KEY = ["instrument", "scale"]
COMPARISON_COLUMNS = [
    "instrument", "scale", "n_programme", "n_comparison", "mean_change_programme", "mean_change_comparison",
    "did", "did_ci_low", "did_ci_high", "did_p", "ancova", "ancova_ci_low", "ancova_ci_high", "ancova_p",
    "smd_baseline", "suppressed",
]
BALANCE_COLUMNS = [
    "instrument", "scale", "n_programme", "n_comparison", "mean_programme", "sd_programme", "mean_comparison",
    "sd_comparison", "smd_baseline", "suppressed",
]
ARM_MEANS_COLUMNS = ["instrument", "scale", "arm", "wave", "n", "mean", "ci_low", "ci_high", "suppressed"]


# --------------------------------------------------------------------------- who is in which arm

def arm_of(participants: pd.DataFrame) -> pd.Series:
    """Each person's arm, indexed by ``participant_id``: ``programme`` (also for an empty cell) or ``comparison``.

    >>> arm_of(pd.DataFrame({"participant_id": ["A", "B"], "arm": [None, "comparison"]})).to_dict()
    {'A': 'programme', 'B': 'comparison'}
    """
    pid = participants["participant_id"].astype("str")
    raw = participants["arm"] if "arm" in participants.columns else pd.Series([None] * len(pid), index=pid.index)
    arm = raw.astype(object).where(raw.notna(), PROGRAMME).map(lambda v: str(v).strip() or PROGRAMME)
    return pd.Series(arm.to_numpy(dtype=object), index=pid.to_numpy(), name="arm")


def has_comparison(participants: pd.DataFrame) -> bool:
    """Whether anyone is in the comparison arm (then ``comparison.csv`` is written)."""
    return bool((arm_of(participants) == COMPARISON).any())


def programme_arm(participants: pd.DataFrame) -> pd.DataFrame:
    """The participants of the programme arm (a copy, in their order): everyone whose ``arm`` is not comparison."""
    keep = (arm_of(participants) != COMPARISON).to_numpy()
    return participants.loc[keep].copy()


def split_arms(table: pd.DataFrame, participants: pd.DataFrame, *,
               id_col: str = "participant_id") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``table`` whose ``id_col`` is a programme person, and those of a comparison person.

    A person not in ``participants`` counts as programme (validation reports
    unknown ids). Both parts are copies with ``table``'s index.

    >>> people = pd.DataFrame({"participant_id": ["A", "B"], "arm": ["", "comparison"]})
    >>> att = pd.DataFrame({"session_id": ["S1", "S1", "S2"], "participant_id": ["A", "B", "X"]})
    >>> [part["participant_id"].tolist() for part in split_arms(att, people)]
    [['A', 'X'], ['B']]
    """
    comparison_ids = set(arm_of(participants).loc[lambda a: a == COMPARISON].index)
    in_comparison = table[id_col].astype("str").isin(comparison_ids).to_numpy()
    return table.loc[~in_comparison].copy(), table.loc[in_comparison].copy()


# --------------------------------------------------------------------------- statistics

def _t_ci(estimate: float, se: float, df: float, alpha: float) -> tuple[float, float, float]:
    """CI and two-sided p of a coefficient from t with ``df`` degrees of freedom (NaN when df < 1)."""
    if not (df >= 1) or not np.isfinite(se):
        return np.nan, np.nan, np.nan
    with np.errstate(all="ignore"):
        half = stats.t.isf(alpha / 2, df) * se
        t = estimate / se if se > 0 else (np.sign(estimate) * np.inf if estimate != 0 else np.nan)
        p = 2 * stats.t.sf(abs(t), df) if np.isfinite(t) or np.isinf(t) else np.nan
    return estimate - half, estimate + half, p


def _ols(y: np.ndarray, x: np.ndarray, coef: int) -> tuple[float, float, float]:
    """Coefficient ``coef`` of OLS y ~ x (x with its intercept column), its classical SE and the residual df.

    NaN when the design is rank deficient or leaves no residual df.
    """
    n, k = x.shape
    if n <= k or np.linalg.matrix_rank(x) < k:
        return np.nan, np.nan, np.nan
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    s2 = float(resid @ resid) / (n - k)
    cov = s2 * np.linalg.inv(x.T @ x)
    return float(beta[coef]), float(np.sqrt(max(cov[coef, coef], 0.0))), float(n - k)


def _pooled_sd(a: np.ndarray, b: np.ndarray) -> float:
    n1, n2 = len(a), len(b)
    if n1 + n2 - 2 < 1 or n1 < 1 or n2 < 1:
        return np.nan
    ss = (n1 - 1) * (np.var(a, ddof=1) if n1 > 1 else 0.0) + (n2 - 1) * (np.var(b, ddof=1) if n2 > 1 else 0.0)
    return float(np.sqrt(ss / (n1 + n2 - 2)))


def _smd(a: np.ndarray, b: np.ndarray) -> float:
    sd = _pooled_sd(a, b)
    return float((a.mean() - b.mean()) / sd) if sd > 0 else np.nan


def _suppress(out: pd.DataFrame, *, min_cell: int, keys: list[str]) -> pd.DataFrame:
    """Suppressed when either arm has fewer than ``min_cell`` people (through the one small-cell path)."""
    out = out.assign(_n_min=np.minimum(out["n_programme"], out["n_comparison"]))
    out = suppress_small_cells(out, n_col="_n_min", min_cell=min_cell, keys=(*keys, "n_programme", "n_comparison"),
                               family=())
    return out.drop(columns="_n_min")


def comparison(scores: pd.DataFrame, participants: pd.DataFrame, *, min_cell: int, alpha: float = 0.05,
               instruments: Mapping | None = None) -> pd.DataFrame:
    """The programme's change against the comparison arm's: the ``comparison.csv`` table.

    Parameters
    ----------
    scores : DataFrame
        Long scores of both arms: ``participant_id, wave, instrument, scale, score``.
    participants : DataFrame
        ``participant_id`` and ``arm`` (empty = programme).
    min_cell : int
        A row is suppressed when either arm has fewer complete pairs.
    alpha : float
        1 − the confidence level of the CIs.
    instruments : mapping of id to Instrument, optional
        Scales of these instruments get rows even when nobody answered them,
        and give the row order (then any other instrument of ``scores``).

    Returns
    -------
    DataFrame
        ``COMPARISON_COLUMNS``: one row per instrument × scale.
    """
    keys = scale_keys(scores, instruments)
    pairs = paired_scores(scores)
    pairs["arm"] = pairs["participant_id"].astype("str").map(arm_of(participants)).fillna(PROGRAMME)
    groups = {k: g for k, g in pairs.groupby(KEY, sort=False)}
    rows = []
    for inst, scale in keys.itertuples(index=False, name=None):
        g = groups.get((inst, scale), pairs.iloc[:0])
        prog = g["arm"].to_numpy() == PROGRAMME
        d, pre, post = (g[c].to_numpy(dtype="float64") for c in ("diff", "pre", "post"))
        row = {"instrument": inst, "scale": scale, "n_programme": int(prog.sum()), "n_comparison": int((~prog).sum())}
        if prog.any() and (~prog).any():
            arm = prog.astype("float64")
            ones = np.ones(len(g))
            did, did_se, did_df = _ols(d, np.column_stack([ones, arm]), 1)
            anc, anc_se, anc_df = _ols(post, np.column_stack([ones, pre, arm]), 2)
            row.update(mean_change_programme=d[prog].mean(), mean_change_comparison=d[~prog].mean(), did=did)
            row.update(zip(("did_ci_low", "did_ci_high", "did_p"), _t_ci(did, did_se, did_df, alpha)))
            row["ancova"] = anc
            row.update(zip(("ancova_ci_low", "ancova_ci_high", "ancova_p"), _t_ci(anc, anc_se, anc_df, alpha)))
            row["smd_baseline"] = _smd(pre[prog], pre[~prog])
        rows.append(row)
    out = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    out["suppressed"] = False
    out = _suppress(out, min_cell=min_cell, keys=KEY)[COMPARISON_COLUMNS]
    floats = [c for c in COMPARISON_COLUMNS if c not in (*KEY, "n_programme", "n_comparison", "suppressed")]
    return out.astype({**{c: "float64" for c in floats}, "instrument": "str", "scale": "str",
                       "n_programme": "int64", "n_comparison": "int64", "suppressed": "bool"}).reset_index(drop=True)


def baseline_balance(scores: pd.DataFrame, participants: pd.DataFrame, *, min_cell: int,
                     instruments: Mapping | None = None, wave: str = "baseline") -> pd.DataFrame:
    """How alike the arms were at baseline, on every baseline score (for the baseline run).

    ``smd_baseline`` is as in :func:`comparison`, over everyone with a
    baseline score (no endline is needed). Suppressed when either arm has
    fewer than ``min_cell`` people.

    >>> people = pd.DataFrame({"participant_id": list("ABCD"), "arm": [None, None, "comparison", "comparison"]})
    >>> scores = pd.DataFrame({"participant_id": list("ABCD"), "wave": "baseline", "instrument": "x",
    ...                        "scale": "s", "score": [2.0, 4.0, 1.0, 3.0]})
    >>> float(baseline_balance(scores, people, min_cell=2)["smd_baseline"].iloc[0])   # (3 − 2) / √2
    0.7071067811865475
    """
    keys = scale_keys(scores, instruments)
    cols = ["instrument", "scale", "participant_id", "score"]
    base = scores.loc[(scores["wave"] == wave) & scores["score"].notna(), cols].drop_duplicates(cols[:3])
    base = base.assign(arm=base["participant_id"].astype("str").map(arm_of(participants)).fillna(PROGRAMME))
    groups = {k: g for k, g in base.groupby(KEY, sort=False)}
    rows = []
    for inst, scale in keys.itertuples(index=False, name=None):
        g = groups.get((inst, scale), base.iloc[:0])
        x = g["score"].to_numpy(dtype="float64")
        prog = g["arm"].to_numpy() == PROGRAMME
        a, b = x[prog], x[~prog]
        row = {"instrument": inst, "scale": scale, "n_programme": len(a), "n_comparison": len(b)}
        if len(a) and len(b):
            row.update(mean_programme=a.mean(), sd_programme=np.std(a, ddof=1) if len(a) > 1 else np.nan,
                       mean_comparison=b.mean(), sd_comparison=np.std(b, ddof=1) if len(b) > 1 else np.nan,
                       smd_baseline=_smd(a, b))
        rows.append(row)
    out = pd.DataFrame(rows, columns=BALANCE_COLUMNS)
    out["suppressed"] = False
    out = _suppress(out, min_cell=min_cell, keys=KEY)[BALANCE_COLUMNS]
    floats = ["mean_programme", "sd_programme", "mean_comparison", "sd_comparison", "smd_baseline"]
    return out.astype({**{c: "float64" for c in floats}, "instrument": "str", "scale": "str",
                       "n_programme": "int64", "n_comparison": "int64", "suppressed": "bool"}).reset_index(drop=True)


def arm_means(scores: pd.DataFrame, participants: pd.DataFrame, *, min_cell: int, alpha: float = 0.05,
              instruments: Mapping | None = None) -> pd.DataFrame:
    """Each arm's mean at baseline and endline on the complete pairs of :func:`comparison` (for its figure).

    One row per instrument × scale × arm × wave: ``n`` (pairs), ``mean`` and
    a t CI. All four rows of a scale are suppressed when either arm has
    fewer than ``min_cell`` pairs, as its ``comparison.csv`` row is.

    >>> people = pd.DataFrame({"participant_id": list("ABCD"), "arm": [None, None, "comparison", "comparison"]})
    >>> scores = pd.DataFrame({"participant_id": list("ABCD") * 2, "wave": ["baseline"] * 4 + ["endline"] * 4,
    ...                        "instrument": "x", "scale": "s", "score": [2, 3, 2, 4, 3, 6, 2, 5]})
    >>> arm_means(scores, people, min_cell=2)[["arm", "wave", "n", "mean"]].to_string(index=False)
    '       arm     wave  n  mean\\n programme baseline  2   2.5\\n programme  endline  2   4.5\\ncomparison baseline  2   3.0\\ncomparison  endline  2   3.5'
    """
    keys = scale_keys(scores, instruments)
    pairs = paired_scores(scores)
    pairs["arm"] = pairs["participant_id"].astype("str").map(arm_of(participants)).fillna(PROGRAMME)
    long = pd.concat([pairs.assign(wave="baseline", score=pairs["pre"]),
                      pairs.assign(wave="endline", score=pairs["post"])], ignore_index=True)
    agg = long.groupby([*KEY, "arm", "wave"], sort=False)["score"].agg(n="size", mean="mean", sd="std").reset_index()
    grid = keys.merge(pd.DataFrame({"arm": [PROGRAMME, COMPARISON]}), how="cross").merge(
        pd.DataFrame({"wave": ["baseline", "endline"]}), how="cross")
    out = grid.merge(agg, on=[*KEY, "arm", "wave"], how="left", sort=False)
    out["n"] = out["n"].fillna(0).astype("int64")
    out = t_interval(out, alpha=alpha)
    out["_n_min"] = out.groupby(KEY, sort=False)["n"].transform("min")
    out = suppress_small_cells(out[[*ARM_MEANS_COLUMNS[:-1], "_n_min"]], n_col="_n_min", min_cell=min_cell,
                               keys=(*KEY, "arm", "wave", "n"), family=())
    return out[ARM_MEANS_COLUMNS].astype({"instrument": "str", "scale": "str", "arm": "str", "wave": "str",
                                          "mean": "float64", "ci_low": "float64", "ci_high": "float64",
                                          "suppressed": "bool"}).reset_index(drop=True)
