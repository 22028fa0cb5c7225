"""Change with people nested in families (docs/statistics.md#people-nested-in-families).

Members of one family do not change independently of each other, and the
paired tests of :mod:`evaltools.change` treat them as if they did. Random
intercepts on the scores cancel out of within-person change, so clustering
is modelled on the change scores themselves: :func:`clustered_change`
(``clustered_change.csv``) gives, beside the paired test, the
cluster-robust mean change, the analysis of family means, the intra-family
correlation of change and the design effect.

:func:`mixed_model` (statsmodels ``MixedLM`` of score ~ wave, people nested
in families) is kept for the three-wave trajectory; it does not model
clustered change and is not used for it.

Clustered change
----------------
Complete pairs only, d = round(endline − baseline, 10) as in
:func:`evaltools.change.paired_scores`. Families j = 1..G of sizes n_j
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

import warnings
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaltools.change import KEY, cell_grid, scale_keys, paired_scores
from evaltools.groups import MEMBERSHIP_COLUMNS, by_group, group_membership, group_order, partition
from evaltools.groups import without_repeats_of_all
from evaltools.privacy import suppress_small_cells

CLUSTERED_COLUMNS = ["instrument", "scale", "group", "n_pairs", "n_families", "mean_diff", "se_robust", "ci_low",
                     "ci_high", "ci_level", "p", "family_mean_diff", "family_ci_low", "family_ci_high", "family_p",
                     "icc", "design_effect", "suppressed"]
MIXED_COLUMNS = ["instrument", "scale", "n_obs", "n_people", "n_families", "estimate", "se", "ci_low", "ci_high",
                 "p", "converged", "note"]


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
    (sums over families with ``numpy.bincount``), so 100 000 people take
    well under a second.

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
    keys = scale_keys(scores, instruments)
    if len(keys) == 0:
        return _empty_clustered()
    if membership is None:
        membership = group_membership(participants)
    membership = membership[MEMBERSHIP_COLUMNS].astype({"participant_id": "str", "group": "str"})
    groups = group_order(membership)
    partition_ = partition(membership, partition_groups)

    pairs = paired_scores(scores, pre_wave=pre_wave, post_wave=post_wave)
    out = cell_grid(keys, groups).reset_index(drop=True)      # keys × groups, groups varying fastest
    n_cells, n_groups = len(out), len(groups)
    # integer codes throughout: scale k, person, family, group g; cell = k·n_groups + g
    key_code = pd.MultiIndex.from_frame(keys).get_indexer(pd.MultiIndex.from_frame(pairs[KEY]))
    person, people = pd.factorize(pairs["participant_id"].astype("str"))
    family = pd.factorize(_family_of(pd.Series(people, dtype="str"), participants))[0]
    extra = membership[membership["group"] != "all"]
    member = pd.DataFrame({"person": pd.Index(people).get_indexer(extra["participant_id"]),
                           "g": pd.Index(groups).get_indexer(extra["group"])})
    member = member[member["person"] >= 0].drop_duplicates()
    rows = pd.DataFrame({"row": np.arange(len(pairs)), "person": person})
    in_group = rows.merge(member, on="person", how="inner", sort=False)
    row = np.r_[np.arange(len(pairs)), in_group["row"].to_numpy()]
    cell = key_code[row].astype("int64") * n_groups + np.r_[np.zeros(len(pairs), "int64"), in_group["g"].to_numpy()]

    d = pairs["diff"].to_numpy(dtype="float64")[row]
    fam_code, _ = pd.factorize(cell * (int(family.max(initial=0)) + 1) + family[person[row]])
    n_fam_all = int(fam_code.max(initial=-1)) + 1
    fam_cell = np.zeros(n_fam_all, dtype="int64")
    fam_cell[fam_code] = cell

    n = np.bincount(cell, minlength=n_cells).astype("float64")
    g = np.bincount(fam_cell, minlength=n_cells).astype("float64")
    # a cell whose d are all equal: exact zeros below, not rounding noise
    spread = pd.Series(d).groupby(cell).agg(["min", "max"]).reindex(range(n_cells))
    const = (spread["min"] == spread["max"]).to_numpy()
    with np.errstate(all="ignore"):
        mean = np.bincount(cell, weights=d, minlength=n_cells) / n
        e = np.where(const[cell], 0.0, d - mean[cell])
        n_j = np.bincount(fam_code, minlength=n_fam_all).astype("float64")
        fam_mean = np.where(const[fam_cell], spread["min"].to_numpy()[fam_cell],
                            np.bincount(fam_code, weights=d, minlength=n_fam_all) / n_j)

        # CR1 cluster-robust SE of the intercept of d ~ 1 (closed form, see the module docstring)
        u_j = np.bincount(fam_code, weights=e, minlength=n_fam_all)
        se = np.sqrt(g / (g - 1) * np.bincount(fam_cell, weights=u_j ** 2, minlength=n_cells) / n ** 2)
        se = np.where(g >= 2, se, np.nan)
        df = np.where(g >= 3, g - 1, np.nan)
        t_crit = stats.t.isf(alpha / 2, df)
        t_rob = mean / se
        p_rob = np.where(se > 0, 2 * stats.t.sf(np.abs(t_rob), df), np.nan)

        # one-sample t on the family means
        f_mean = np.bincount(fam_cell, weights=fam_mean, minlength=n_cells) / g
        f_dev = fam_mean - f_mean[fam_cell]
        f_spread = pd.Series(fam_mean).groupby(fam_cell).agg(["min", "max"]).reindex(range(n_cells))
        f_const = (f_spread["min"] == f_spread["max"]).to_numpy()
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
        design_effect = np.where(m_bar == 1, 1.0, 1 + (m_bar - 1) * icc)

    out["n_pairs"] = n.astype("int64")
    out["n_families"] = pd.array(g.astype("int64"), dtype="Int64")
    out["mean_diff"] = mean
    out["se_robust"] = se
    out["ci_low"] = mean - t_crit * se
    out["ci_high"] = mean + t_crit * se
    out["ci_level"] = 1.0 - alpha
    out["p"] = p_rob
    out["family_mean_diff"] = f_mean
    out["family_ci_low"] = f_mean - t_crit * f_se
    out["family_ci_high"] = f_mean + t_crit * f_se
    out["family_p"] = p_fam
    out["icc"] = icc
    out["design_effect"] = design_effect
    out["suppressed"] = False
    out, people = without_repeats_of_all(out[CLUSTERED_COLUMNS], by_group(pairs, membership), keys=[*KEY, "group"])
    out = suppress_small_cells(out, n_col="n_pairs", min_cell=min_cell, keys=(*KEY, "group"),
                               partition_groups=partition_, people=people)
    floats = [c for c in CLUSTERED_COLUMNS
              if c not in ("instrument", "scale", "group", "n_pairs", "n_families", "suppressed")]
    # a count, empty on suppressed rows: nullable integers, written 27 (not 27.0) and empty
    return out.astype({**{c: "float64" for c in floats}, "n_families": "Int64", "suppressed": "bool"}) \
        .reset_index(drop=True)


def reml_start(y: np.ndarray, post: np.ndarray, person: np.ndarray, family: np.ndarray | None):
    """Quick REML estimates of (β₀, β₁, σ²_family, σ²_person, σ²_residual) for nested random intercepts.

    ``person`` and ``family`` are integer codes (``family`` None: no family
    level). V⁻¹ of each family is written in closed form (Woodbury twice:
    person blocks σ²I + σ²_p J, then the family's σ²_f J), so the restricted
    likelihood is a few ``bincount`` sums over all rows, whatever the number
    of families. Used only as MixedLM's starting point: statsmodels does the
    fit that is reported, in a few iterations instead of dozens.
    """
    n_person = int(person.max()) + 1
    fam_of_person = np.zeros(n_person, dtype=int)  # without a family level: one dummy family, σ²_f = 0
    if family is not None:
        fam_of_person[person] = family
    n_family = int(fam_of_person.max()) + 1
    cols = np.column_stack([np.ones_like(y), post, y])
    m = np.bincount(person, minlength=n_person).astype(float)
    s = np.column_stack([np.bincount(person, weights=cols[:, j], minlength=n_person) for j in range(3)])
    ss = np.stack([np.stack([np.bincount(person, weights=cols[:, i] * cols[:, j], minlength=n_person)
                             for j in range(3)], axis=-1) for i in range(3)], axis=-1)

    def neg2ll(theta):
        e, p = np.exp(theta[0]), np.exp(theta[1])
        f = np.exp(theta[2]) if family is not None else 0.0
        a = e + m * p
        q = (ss.sum(axis=0) - np.einsum("i,ij,ik->jk", p / a, s, s)) / e
        u = np.stack([np.bincount(fam_of_person, weights=s[:, j] / a, minlength=n_family) for j in range(3)], 1)
        w = np.bincount(fam_of_person, weights=m / a, minlength=n_family)
        q = q - np.einsum("f,fj,fk->jk", f / (1 + f * w), u, u)
        logdet_v = np.sum((m - 1) * np.log(e) + np.log(a)) + np.sum(np.log1p(f * w))
        xtx, xty = q[:2, :2], q[:2, 2]
        sign, logdet_x = np.linalg.slogdet(xtx)
        if sign <= 0:
            return np.inf
        beta = np.linalg.solve(xtx, xty)
        return logdet_v + logdet_x + q[2, 2] - xty @ beta

    var = float(np.var(y)) or 1.0
    theta0 = np.log(np.full(3 if family is not None else 2, var / 3))
    with np.errstate(all="ignore"):
        res = optimize.minimize(neg2ll, theta0, method="Nelder-Mead",
                                options={"xatol": 1e-4, "fatol": 1e-8, "maxiter": 2000})
    e, p = np.exp(res.x[0]), np.exp(res.x[1])
    f = float(np.exp(res.x[2])) if family is not None else 0.0
    a = e + m * p
    q = (ss.sum(axis=0) - np.einsum("i,ij,ik->jk", p / a, s, s)) / e
    u = np.stack([np.bincount(fam_of_person, weights=s[:, j] / a, minlength=n_family) for j in range(3)], 1)
    w = np.bincount(fam_of_person, weights=m / a, minlength=n_family)
    q = q - np.einsum("f,fj,fk->jk", f / (1 + f * w), u, u)
    beta = np.linalg.solve(q[:2, :2], q[:2, 2])
    return float(beta[0]), float(beta[1]), f, float(p), float(e)


def _fit(data: pd.DataFrame, nested: bool):
    """Fit one model; returns (params, bse, pvalues, converged, notes) or raises."""
    from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams, VCSpec

    data = data.sort_values(["family", "participant_id"], kind="stable")
    y = data["score"].to_numpy(float)
    exog = np.column_stack([np.ones(len(data)), data["post"].to_numpy(float)])
    groups = (data["family"] if nested else data["participant_id"]).to_numpy()
    exog_vc = None
    if nested:
        pid = data["participant_id"].to_numpy()
        mats, names = [], []
        for idx in data.groupby("family", sort=False).indices.values():
            uniq, inv = np.unique(pid[idx], return_inverse=True)
            m = np.zeros((len(idx), len(uniq)))
            m[np.arange(len(idx)), inv] = 1.0
            mats.append(m)
            names.append(list(uniq))
        exog_vc = VCSpec(["person"], [names], [mats])
    notes = []
    person = pd.factorize(data["participant_id"])[0]
    b0, b1, var_f, var_p, var_e = reml_start(y, exog[:, 1], person,
                                             pd.factorize(data["family"])[0] if nested else None)
    ratios = [var_f / var_e, var_p / var_e] if nested else [var_p / var_e]
    start = None
    # near a boundary (a variance ≈ 0) statsmodels does better from its own start
    if np.all(np.isfinite(ratios)) and min(ratios) > 0.01:
        start = MixedLMParams.from_components(np.array([b0, b1]), cov_re=np.array([[ratios[0]]]),
                                              vcomp=np.array(ratios[1:]))
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        model = MixedLM(y, exog, groups, exog_re=np.ones((len(y), 1)), exog_vc=exog_vc)
        res = model.fit(reml=True, start_params=start)
        params, bse, pvalues = np.asarray(res.fe_params), np.asarray(res.bse_fe), np.asarray(res.pvalues)[:2]
    messages = " ".join(str(w.message).lower() for w in caught)
    if "boundary" in messages:
        notes.append("boundary")
    if "hessian" in messages:
        notes.append("hessian_not_pd")
    variances = [float(np.asarray(res.cov_re).ravel()[0])]
    if nested:
        variances.append(float(np.asarray(res.vcomp).ravel()[0]))
    if "boundary" not in notes and any(v <= 1e-8 * max(res.scale, 1e-12) for v in variances):
        notes.append("boundary")
    converged = bool(res.converged) and "convergence" not in messages and "failed" not in messages
    if not converged:
        notes.append("not_converged")
    return float(params[1]), float(bse[1]), float(pvalues[1]), converged, notes


def _try_fit(data: pd.DataFrame, *, nested: bool):
    try:
        return _fit(data, nested)
    except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, FloatingPointError, IndexError):
        return None


def mixed_model(
    scores: pd.DataFrame,
    participants: pd.DataFrame,
    *,
    alpha: float = 0.05,
    min_cell: int = 5,
    max_people: int = 200,
    seed: int = 0,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
) -> pd.DataFrame:
    """MixedLM of score on wave per instrument × scale, people nested in families.

    Not used for clustered change (:func:`clustered_change` is): kept for the
    three-wave trajectory. For each instrument × scale, statsmodels
    ``MixedLM`` (REML) fits

        score ~ 1 + endline,   random intercept of the family,
                               variance component of the person within the family

    on every baseline and endline score (people with one wave included). A
    person without ``family_id`` is a family of one. ``estimate`` is the
    endline − baseline difference with its standard error, Wald CI (at level
    1 − ``alpha``) and p-value.

    MixedLM starts from a closed-form REML fit of the same model
    (:func:`reml_start`, vectorised over families), so that statsmodels needs
    a few iterations rather than dozens; near a boundary (a variance ≈ 0) it
    starts from its own default.

    When every family has one person, family and person variances cannot be
    told apart: the model falls back to a person random intercept. It also
    falls back, and says so, when the family model fails or does not converge.
    Above ``max_people`` (200) people the model is fitted to a seeded random
    sample of whole families of about that many people (statsmodels loops over
    families in Python; a full fit at 10 000 people takes seconds per scale).

    ``note`` holds codes, ``;``-joined (text in the label catalogue under
    ``outcomes.note.<code>``):

    - ``subsample``: fitted to a random sample of families (the n columns are the sample's);
    - ``families_all_single_person``: no family has two people;
    - ``nested_model_failed``: the family model failed or did not converge;
    - ``person_intercept_only``: fitted with a person random intercept only;
    - ``not_converged``: the optimiser did not converge (the estimate is not trustworthy);
    - ``boundary``: a variance was estimated at 0 (a singular fit);
    - ``hessian_not_pd``: the Hessian is not positive definite (standard errors doubtful);
    - ``fit_failed``: statsmodels raised an error; nothing estimated;
    - ``too_few_people``: fewer than ``min_cell`` people, or nothing to compare;
    - ``one_wave_only``: there are no scores at one of the two waves.

    Parameters
    ----------
    scores : DataFrame
        Long scores (``participant_id, wave, instrument, scale, score``).
    participants : DataFrame
        ``participant_id, family_id`` (a missing family_id: a family of one).
    alpha : float
        1 − the confidence level of the CI.
    min_cell : int
        Fewer people than this: nothing is fitted (``too_few_people``).
    max_people : int
        Above this many people, fit a seeded random sample of whole families.
    seed : int
        Seed of that sample.

    Returns
    -------
    DataFrame
        ``instrument, scale, n_obs, n_people, n_families, estimate, se,
        ci_low, ci_high, p, converged, note`` (``converged`` is NA where
        nothing was fitted).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> people = [f"P{i}" for i in range(60)]
    >>> participants = pd.DataFrame({"participant_id": people, "family_id": [f"F{i // 3}" for i in range(60)]})
    >>> family = np.repeat(rng.normal(0, 0.5, 20), 3)
    >>> person = rng.normal(0, 0.5, 60)
    >>> scores = pd.DataFrame({"participant_id": people * 2, "wave": ["baseline"] * 60 + ["endline"] * 60,
    ...                        "instrument": "x", "scale": "s",
    ...                        "score": np.r_[3 + family + person + rng.normal(0, 0.3, 60),
    ...                                       3.5 + family + person + rng.normal(0, 0.3, 60)]})
    >>> row = mixed_model(scores, participants).iloc[0]
    >>> int(row["n_obs"]), int(row["n_people"]), int(row["n_families"]), bool(0.3 < row["estimate"] < 0.7)
    (120, 60, 20, True)
    """
    fam = _families(participants)
    data = scores.loc[scores["wave"].isin([pre_wave, post_wave]) & scores["score"].notna(),
                      [*KEY, "participant_id", "wave", "score"]]
    data = data.drop_duplicates([*KEY, "participant_id", "wave"])
    data = data.assign(participant_id=data["participant_id"].astype("str"),
                       post=(data["wave"] == post_wave).astype(float))
    family = data["participant_id"].map(fam)
    data["family"] = family.where(family.notna() & (family.str.strip() != ""), "\x00" + data["participant_id"])
    z = stats.norm.isf(alpha / 2)
    rows = []
    keys = scores[KEY].drop_duplicates().itertuples(index=False, name=None)
    parts = {k: p for k, p in data.groupby(KEY, sort=False)}
    for key in keys:
        part = parts.get(key, data.iloc[:0])
        notes = []
        n_people_all = part["participant_id"].nunique()
        if n_people_all > max_people:
            fams = part.drop_duplicates("participant_id")["family"]
            sizes = fams.value_counts().sort_index()
            order = np.random.default_rng(seed).permutation(len(sizes))
            cum = np.cumsum(sizes.to_numpy()[order])
            keep = set(sizes.index[order[: int(np.searchsorted(cum, max_people)) + 1]])
            part = part[part["family"].isin(keep)]
            notes.append("subsample")
        n_obs, n_people, n_fam = len(part), part["participant_id"].nunique(), part["family"].nunique()
        est = se = p = np.nan
        converged = pd.NA
        if n_people < max(min_cell, 2):
            notes.append("too_few_people")
        elif part["post"].nunique() < 2:
            notes.append("one_wave_only")
        else:
            nested = n_fam < n_people
            fit = _try_fit(part, nested=True) if nested else None
            if nested and (fit is None or not fit[3]):
                notes.append("nested_model_failed")
            if not nested:
                notes.append("families_all_single_person")
            if fit is None or not fit[3]:
                notes.append("person_intercept_only")
                fit = _try_fit(part, nested=False)
            if fit is None:
                notes.append("fit_failed")
            else:
                est, se, p, converged, fit_notes = fit
                notes += fit_notes
        notes = list(dict.fromkeys(notes))
        rows.append((*key, n_obs, n_people, n_fam, est, se, est - z * se, est + z * se, p, converged,
                     ";".join(notes)))
    out = pd.DataFrame(rows, columns=MIXED_COLUMNS)
    return out.astype({"instrument": "str", "scale": "str", "n_obs": "int64", "n_people": "int64",
                       "n_families": "int64", "estimate": "float64", "se": "float64", "ci_low": "float64",
                       "ci_high": "float64", "p": "float64", "converged": "boolean", "note": "str"})
