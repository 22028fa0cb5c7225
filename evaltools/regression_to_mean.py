"""Regression to the mean expected from the reliability and a reference mean (docs/statistics.md).

People are often enrolled because they scored badly; measured again, their
scores drift back towards the mean of the population they came from even
without any programme. Barnett, van der Pols & Dobson (2005, *Int J
Epidemiol* 34:215–220, eq. 1) give the size of that drift for a group
selected on its baseline: with ρ the test–retest correlation (here the
reliability r) and μ the population mean,

    expected_rtm = (1 − r) · (μ − baseline_mean),

so the change not explained by regression to the mean is
``change_beyond_rtm`` = ``mean_diff`` − ``expected_rtm``. μ is the functional
norm's mean (``reference_mean``), taken only from norms that carry a
``source``; without it, or without r, ``expected_rtm`` and
``change_beyond_rtm`` are empty: a one-group design can then neither
estimate nor rule out regression to the mean, and no column here says
otherwise. ``r_baseline_change`` (Pearson, baseline with change) is
reported for the record; regression to the mean makes it negative without
any programme effect, and a weak one does not rule it out.

One row per instrument × scale (the scales of ``instruments`` in their
order, then any other in ``scores``), group ``all``, on the complete pairs
(d = round(endline − baseline, 10), the people of ``mean_diff`` in
``change.csv``). A row with fewer than ``min_cell`` pairs keeps its keys,
``n_pairs`` and ``suppressed = True`` (docs/statistics.md#small-cells).

Examples
--------
>>> scores = pd.DataFrame({"participant_id": ["a", "b", "c", "d"] * 2,
...                        "wave": ["baseline"] * 4 + ["endline"] * 4, "instrument": "x", "scale": "s",
...                        "score": [2.0, 2.5, 2.5, 3.0, 2.5, 3.0, 2.5, 3.2]})
>>> row = regression_to_mean(scores, {}, min_cell=1).iloc[0]
>>> float(row["baseline_mean"]), float(row["mean_diff"]), bool(np.isnan(row["expected_rtm"]))
(2.5, 0.3, True)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaltools.pairing import KEY, ScoreCodes, pair_rows, pair_values, scale_keys
from evaltools.suppression import suppress_small_cells

RTM_COLUMNS = ["instrument", "scale", "group", "n_pairs", "baseline_mean", "reference_mean", "reliability",
               "expected_rtm", "mean_diff", "change_beyond_rtm", "r_baseline_change", "suppressed"]


def reference_means(instruments: Mapping) -> dict[tuple[str, str], float]:
    """(instrument, scale) → the functional norm's mean, for scales whose norms carry a ``source``.

    >>> from evaltools.instruments import Instrument, Norms, Scale
    >>> def one(norms):
    ...     return Instrument("x", {}, "", "", 1, 5, {}, (), "mean", (), (Scale("s", ("a",), (), 1, None, norms, True),),
    ...                       True, "")
    >>> reference_means({"x": one(Norms(3.9, 0.6, 2.6, 0.7, source="Author 2019, Table 3"))})
    {('x', 's'): 3.9}
    >>> reference_means({"x": one(Norms(3.9, 0.6, 2.6, 0.7))})    # no source: not used
    {}
    """
    out = {}
    for inst_id, inst in (instruments or {}).items():
        for scale in inst.scales:
            norms = scale.norms
            if norms is None or not norms.sourced or norms.functional_mean is None:
                continue
            out[(str(inst_id), str(scale.id))] = float(norms.functional_mean)
    return out


def _scale_statistics(scores: pd.DataFrame, codes: ScoreCodes, *, pre_wave: str, post_wave: str) -> pd.DataFrame:
    """Per instrument × scale of the pairs: n, the means and SDs of pre and diff, their ranges, Σ of centred xy."""
    rows, post = pair_rows(scores, pre_wave=pre_wave, post_wave=post_wave, codes=codes)
    pairs = pair_values(scores, rows, post)
    pre = pairs["pre"].to_numpy(dtype="float64")
    d = pairs["diff"].to_numpy(dtype="float64")
    # grouped on one integer per scale (0, 1, ... in order of appearance; not two text columns): the same groups,
    # rows in the same order
    code = pd.factorize(codes.scale[rows])[0]
    stats_ = (pairs.assign(_pp=pre * pre, _dd=d * d, _pd=pre * d)
              .groupby(code, sort=False)
              .agg(n_pairs=("diff", "size"), baseline_mean=("pre", "mean"), mean_diff=("diff", "mean"),
                   _pre_sd=("pre", "std"), _d_sd=("diff", "std"), _d_min=("diff", "min"), _d_max=("diff", "max"),
                   _pre_min=("pre", "min"), _pre_max=("pre", "max")))
    # Pearson r from centred cross-products (a second pass: no cancellation in Σxy − n·x̄ȳ)
    centre = stats_.reindex(np.arange(len(stats_)))
    xy = (pre - centre["baseline_mean"].to_numpy()[code]) * (d - centre["mean_diff"].to_numpy()[code])
    stats_["_xy"] = pd.Series(xy).groupby(code, sort=False).sum()
    first = pd.Series(code).drop_duplicates().index.to_numpy()
    stats_ = pd.concat([scores[KEY].iloc[rows[first]].reset_index(drop=True), stats_.reset_index(drop=True)], axis=1)
    return stats_


def regression_to_mean(
    scores: pd.DataFrame,
    instruments: Mapping,
    *,
    reliability: Mapping | None = None,
    min_cell: int = 5,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
) -> pd.DataFrame:
    """Regression to the mean per instrument × scale: the ``regression_to_mean.csv`` table.

    Parameters
    ----------
    scores : DataFrame
        Long scores: ``participant_id, wave, instrument, scale, score``.
    instruments : mapping of id to Instrument
        Give the row order and the norms (``reference_mean`` from sourced
        functional norms only).
    reliability : mapping or DataFrame, optional
        The ``reliable_change`` table (its ``all`` rows' ``reliability``), or
        (instrument, scale) → r, the reliability reliable change used for the
        scale; None, NaN or absent: no r (``reliability`` and ``expected_rtm``
        empty).
    min_cell : int
        Rows with fewer pairs keep only their keys, ``n_pairs`` and ``suppressed``.
    pre_wave, post_wave : str
        The two waves compared.

    Returns
    -------
    DataFrame
        ``instrument, scale, group, n_pairs, baseline_mean, reference_mean,
        reliability, expected_rtm, mean_diff, change_beyond_rtm,
        r_baseline_change, suppressed``; ``group`` is ``all``.
    """
    codes = ScoreCodes(scores)
    keys = scale_keys(scores, instruments, codes=codes).reset_index(drop=True)
    stats_ = _scale_statistics(scores, codes, pre_wave=pre_wave, post_wave=post_wave)
    out = keys.merge(stats_, on=KEY, how="left", sort=False)
    out["n_pairs"] = out["n_pairs"].fillna(0).astype("int64")
    n = out["n_pairs"].to_numpy(dtype="float64")
    varies = (out["_d_min"] < out["_d_max"]).to_numpy() & (out["_pre_min"] < out["_pre_max"]).to_numpy()
    with np.errstate(all="ignore"):
        r = out["_xy"].to_numpy() / ((n - 1) * out["_pre_sd"].to_numpy() * out["_d_sd"].to_numpy())
    r = np.where(varies & (n >= 3), np.clip(r, -1.0, 1.0), np.nan)

    refs = reference_means(instruments)
    if isinstance(reliability, pd.DataFrame):  # reliable_change.csv: the r of its group-`all` rows
        rows_all = reliability[reliability["group"] == "all"] if "group" in reliability else reliability
        reliability = {(i, s): r for i, s, r in rows_all[["instrument", "scale", "reliability"]]
                       .itertuples(index=False, name=None)}
    rel = {(str(i), str(s)): (None if v is None or v != v else v) for (i, s), v in (reliability or {}).items()}
    pairs_of_keys = list(zip(out["instrument"], out["scale"]))
    out["reference_mean"] = np.array([refs.get(k, np.nan) for k in pairs_of_keys], dtype="float64")
    out["reliability"] = np.array([np.nan if rel.get(k) is None else float(rel[k]) for k in pairs_of_keys],
                                  dtype="float64")
    out["expected_rtm"] = (1 - out["reliability"]) * (out["reference_mean"] - out["baseline_mean"])
    out["change_beyond_rtm"] = out["mean_diff"] - out["expected_rtm"]
    out["r_baseline_change"] = r
    out["group"] = "all"
    out["suppressed"] = False
    out = out[RTM_COLUMNS]
    # a scale nobody has both waves of is suppressed whatever min_cell is (nothing to show)
    out = suppress_small_cells(out, n_col="n_pairs", min_cell=max(min_cell, 1), keys=("instrument", "scale", "group"))
    floats = [c for c in RTM_COLUMNS if c not in ("instrument", "scale", "group", "n_pairs", "suppressed")]
    return out.astype({"instrument": "str", "scale": "str", "group": "str",
                       **{c: "float64" for c in floats}, "suppressed": "bool"}).reset_index(drop=True)
