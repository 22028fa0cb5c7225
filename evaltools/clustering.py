"""Change with people nested in families: a linear mixed model (docs/statistics.md#people-nested-in-families).

The paired tests treat people as independent; members of one family are
not. Beside them, for each instrument × scale, statsmodels ``MixedLM``
(REML) fits

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
Above ``max_people`` (200) people the model is fitted to a seeded random sample of
whole families of about that many people (statsmodels loops over families
in Python; a full fit at 10 000 people takes seconds per scale).

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

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import optimize, stats

from evaltools.change import KEY

MIXED_COLUMNS = ["instrument", "scale", "n_obs", "n_people", "n_families", "estimate", "se", "ci_low", "ci_high",
                 "p", "converged", "note"]


def _families(participants: pd.DataFrame) -> pd.Series:
    fam = participants.set_index(participants["participant_id"].astype("str"))["family_id"] \
        if "family_id" in participants.columns else pd.Series(dtype="str")
    return fam[~fam.index.duplicated()].astype("str")


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
