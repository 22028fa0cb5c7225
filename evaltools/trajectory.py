"""Three or more waves: each wave's mean, and each later wave against baseline (``trajectory.csv``).

Definitions: docs/statistics.md#more-waves-and-a-comparison-arm.

One row per instrument × scale × group × wave, waves in time order
(baseline, midline, endline, followup; those present in the scale's scores):

- ``n``, ``mean``, ``sd`` (n − 1) and a t CI of the mean (n − 1 df) over
  everyone with a score at that wave;
- for each wave after baseline, ``estimate`` = the fixed effect of that wave
  against baseline in a linear mixed model score ~ C(wave) with a random
  intercept per person (statsmodels ``MixedLM``, REML, every score of the
  group, people measured once included), with its Wald CI
  (``estimate_ci_low``, ``estimate_ci_high``) and p (``estimate_p``) as
  statsmodels reports them; empty on the baseline row, and empty when the
  model cannot be fitted.

The scores passed in are those of the programme arm
(:func:`evaltools.comparison.split_arms`); ``change.csv`` stays
baseline → endline. A row with ``n`` below ``min_cell`` keeps its keys,
``n`` and ``suppressed = True`` (every other column empty); when a group's
baseline row is suppressed, the estimates of its other waves are emptied
too (each rests on the baseline people). Where exactly one of the
``participants.group`` groups is suppressed at a wave, the next smallest is
suppressed as well (:func:`evaltools.suppression.suppress_small_cells`).

Examples
--------
>>> scores = pd.DataFrame({"participant_id": list("ABCDEF") * 3,
...                        "wave": ["baseline"] * 6 + ["midline"] * 6 + ["endline"] * 6,
...                        "instrument": "x", "scale": "s",
...                        "score": [1, 2, 3, 2, 3, 4,  2, 2, 4, 3, 3, 5,  3, 3, 4, 4, 4, 6]})
>>> out = trajectory(scores, min_cell=5)
>>> out[["wave", "n", "mean"]].to_string(index=False)
'    wave  n     mean\\nbaseline  6 2.500000\\n midline  6 3.166667\\n endline  6 4.000000'
>>> [round(x, 4) for x in out["estimate"].iloc[1:]]   # balanced data: the mean differences
[0.6667, 1.5]
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from evaltools.change import t_interval
from evaltools.groups import partition, people_by_cell
from evaltools.schema import WAVE_ORDER, ordered_waves  # noqa: F401  (WAVE_ORDER: re-exported for readers)
from evaltools.suppression import suppress_small_cells
KEY = ["instrument", "scale"]
TRAJECTORY_COLUMNS = [
    "instrument", "scale", "group", "wave", "n", "mean", "sd", "ci_low", "ci_high", "estimate",
    "estimate_ci_low", "estimate_ci_high", "estimate_p", "suppressed",
]
EFFECT_COLUMNS = ["wave", "estimate", "estimate_ci_low", "estimate_ci_high", "estimate_p"]


def has_extra_waves(waves: Iterable[str]) -> bool:
    """Whether a project has a wave besides baseline and endline (then ``trajectory.csv`` is written)."""
    return any(w not in ("baseline", "endline") for w in waves)


def wave_effects(scores: pd.DataFrame, *, alpha: float = 0.05) -> pd.DataFrame:
    """Each later wave against baseline from MixedLM score ~ C(wave) + (1 | person), REML.

    ``scores``: ``participant_id, wave, score`` of one scale (missing scores
    are dropped). Returns one row per wave after baseline (``EFFECT_COLUMNS``);
    no rows when there is no baseline, no later wave, or the model cannot be
    fitted (singular design, fewer than two people).
    """
    data = scores.loc[scores["score"].notna(), ["participant_id", "wave", "score"]]
    waves = ordered_waves(data["wave"])
    later = [w for w in waves if w != "baseline"]
    if "baseline" not in waves or not later or data["participant_id"].nunique() < 2:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    from statsmodels.regression.mixed_linear_model import MixedLM

    wave = data["wave"].to_numpy()
    exog = np.column_stack([np.ones(len(data))] + [(wave == w).astype("float64") for w in later])
    if np.linalg.matrix_rank(exog) < exog.shape[1] or len(data) <= exog.shape[1]:
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    y = data["score"].to_numpy(dtype="float64")
    person = data["participant_id"].astype("str").to_numpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # boundary (no between-person variance) and convergence notes
            fit = MixedLM(y, exog, groups=person).fit(reml=True, start_params=_reml_start(y, exog, person))
            ci = np.asarray(fit.conf_int(alpha=alpha))
            params, p = np.asarray(fit.fe_params), np.asarray(fit.pvalues)[: exog.shape[1]]
    except (np.linalg.LinAlgError, ValueError):
        return pd.DataFrame(columns=EFFECT_COLUMNS)
    return pd.DataFrame({"wave": later, "estimate": params[1:], "estimate_ci_low": ci[1:len(later) + 1, 0],
                         "estimate_ci_high": ci[1:len(later) + 1, 1], "estimate_p": p[1:]})


def _reml_start(y: np.ndarray, exog: np.ndarray, person: np.ndarray):
    """Start values for MixedLM: the REML optimum of the random-intercept model, profiled on one ratio.

    With V_i = σ²(I + γJ) per person, β, σ² and the REML likelihood have
    closed forms given γ = τ²/σ² (sums per person); γ is found by a bounded
    one-dimensional search. Starting there, statsmodels needs a few steps
    instead of a search from scratch (about 5 × faster); the estimates and
    their CIs are statsmodels' own.
    """
    from scipy.optimize import minimize_scalar
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    _, idx = np.unique(person, return_inverse=True)
    n_i = np.bincount(idx).astype("float64")
    sx = np.zeros((len(n_i), exog.shape[1]))
    np.add.at(sx, idx, exog)
    sy = np.bincount(idx, weights=y)
    xx, xy, yy = exog.T @ exog, exog.T @ y, y @ y
    n, k = exog.shape

    def profile(log_gamma):
        gamma = np.exp(log_gamma)
        w = gamma / (1 + n_i * gamma)
        a = xx - (sx * w[:, None]).T @ sx
        b = xy - (sx * w[:, None]).T @ sy
        beta = np.linalg.solve(a, b)
        s2 = max((yy - (w * sy * sy).sum() - b @ beta) / (n - k), 1e-300)
        loglik = -0.5 * ((n - k) * np.log(s2) + np.log1p(n_i * gamma).sum() + np.linalg.slogdet(a)[1])
        return loglik, beta

    best = minimize_scalar(lambda g: -profile(g)[0], bounds=(-12.0, 8.0), method="bounded",
                           options={"xatol": 1e-8})
    beta = profile(best.x)[1]
    return MixedLMParams.from_components(fe_params=beta, cov_re=np.array([[np.exp(best.x)]]))


def trajectory(scores: pd.DataFrame, *, membership: pd.DataFrame | None = None, min_cell: int,
               alpha: float = 0.05, instruments: Mapping | None = None,
               partition_groups: Iterable | None = None) -> pd.DataFrame:
    """Means by wave and each wave's effect against baseline: the ``trajectory.csv`` table.

    Parameters
    ----------
    scores : DataFrame
        Long scores of the programme arm: ``participant_id, wave, instrument, scale, score``.
    membership : DataFrame, optional
        ``participant_id, group`` (:func:`evaltools.change.group_membership`);
        ``all`` always means every person in ``scores``.
    min_cell : int
        Rows with fewer people are suppressed.
    alpha : float
        1 − the confidence level of the CIs.
    instruments : mapping of id to Instrument, optional
        Gives the order of the instruments and scales (others follow).
    partition_groups : iterable, optional
        The ``participants.group`` values; by default every group of
        ``membership`` that is neither ``all`` nor a component code.

    Returns
    -------
    DataFrame
        ``TRAJECTORY_COLUMNS``.
    """
    cols = ["participant_id", "wave", "instrument", "scale", "score"]
    data = scores.loc[scores["score"].notna(), cols].drop_duplicates(cols[:4])
    data = data.assign(participant_id=data["participant_id"].astype("str"))
    if membership is None:
        membership = pd.DataFrame({"participant_id": pd.Series([], dtype="str"), "group": pd.Series([], dtype="str")})
    membership = membership[["participant_id", "group"]].astype("str")
    members = membership[membership["group"] != "all"].drop_duplicates()
    long = pd.concat([data.assign(group="all"), data.merge(members, on="participant_id", sort=False)],
                     ignore_index=True)
    group_rank = {g: i for i, g in enumerate(["all", *pd.unique(members["group"])])}
    inst_rank = {}
    for inst_id, inst in (instruments or {}).items():
        for s in inst.scales:
            inst_rank.setdefault((inst_id, s.id), len(inst_rank))
    for k in data[KEY].drop_duplicates().itertuples(index=False, name=None):
        inst_rank.setdefault(k, len(inst_rank))
    wave_rank = {w: i for i, w in enumerate(ordered_waves(data["wave"]))}

    rows = long.groupby([*KEY, "group", "wave"], sort=False)["score"].agg(n="size", mean="mean", sd="std")
    out = rows.reset_index()
    if len(out):
        order = np.lexsort((out["wave"].map(wave_rank), out["group"].map(group_rank),
                            [inst_rank[k] for k in zip(out["instrument"], out["scale"])]))
        out = out.iloc[order].reset_index(drop=True)
    out = t_interval(out, alpha=alpha).assign(suppressed=False)
    out = suppress_small_cells(out, n_col="n", min_cell=min_cell, keys=(*KEY, "group", "wave"),
                               family=(*KEY, "wave"), partition_groups=partition(membership, partition_groups),
                               people=people_by_cell(long, out, keys=[*KEY, "group", "wave"]))

    effects = []
    shown_base = out.loc[(out["wave"] == "baseline") & ~out["suppressed"], [*KEY, "group"]]
    wanted = set(shown_base.itertuples(index=False, name=None))
    for (inst, scale, group), g in long.groupby([*KEY, "group"], sort=False):
        if (inst, scale, group) in wanted:
            effects.append(wave_effects(g, alpha=alpha).assign(instrument=inst, scale=scale, group=group))
    eff_cols = [*KEY, "group", *EFFECT_COLUMNS]
    effects = pd.concat(effects, ignore_index=True)[eff_cols] if effects else pd.DataFrame(columns=eff_cols)
    out = out.merge(effects.astype({c: "float64" for c in EFFECT_COLUMNS[1:]}), on=[*KEY, "group", "wave"],
                    how="left", sort=False)
    out.loc[out["suppressed"].to_numpy(dtype=bool), EFFECT_COLUMNS[1:]] = np.nan
    floats = ["mean", "sd", "ci_low", "ci_high", *EFFECT_COLUMNS[1:]]
    out = out.reindex(columns=TRAJECTORY_COLUMNS)
    return out.astype({**{c: "float64" for c in floats}, "instrument": "str", "scale": "str", "group": "str",
                       "wave": "str", "n": "int64", "suppressed": "bool"}).reset_index(drop=True)
