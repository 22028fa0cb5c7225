"""Reliable and clinically significant change (Jacobson & Truax 1991; docs/statistics.md#reliable-change).

For each instrument × scale, one standard error of the difference:

    S_diff = √2 · SD₁ · √(1 − r)

- SD₁ is the dysfunctional norm's SD when the scale has sourced norms (a
  ``source`` is given) with a dysfunctional group, else the SD (n − 1) of
  every baseline score on the scale: all participants with one, dropouts
  included, all groups;
- r is, in this order (column ``reliability_source``):
  ``published`` — the scale's ``reliability`` when the instrument gives its
  ``reliability_source``; ``sample`` — the scale's baseline Cronbach's alpha
  (:func:`evaltools.reliability.reliability`, or a table passed as
  ``reliability_table``) when it is > 0 and rests on at least
  ``min_n_alpha`` complete cases (default :data:`MIN_N_ALPHA`); ``none`` —
  else: no reliable change is computed for the scale (an alpha of 3 people,
  or a negative one, says nothing about measurement error).

Per complete pair, RC = (endline − baseline) / S_diff; the person improved
when RC > 1.96 and deteriorated when RC < −1.96 (signs swapped when
``higher_is_better`` is false), else is unchanged. With a clinical cutoff c
from sourced norms (c = (s_f·M_d + s_d·M_f)/(s_f + s_d), or the given
``cutoff``), a person recovered when improved, with baseline on the
dysfunctional side of c and endline strictly on the functional side.
Without sourced norms, ``recovered`` and ``n_recovered`` are empty. Where
S_diff cannot be computed (reliability ``none``, SD₁ of 0 or undefined), RC
and the categories are empty.

Only instruments given in ``instruments`` are assessed (the RCI needs a
scale's reliability; ego-network measures have none).

Examples
--------
>>> from evaltools.instruments import Instrument, Norms, Scale
>>> norms = Norms(3.9, 0.6, 2.6, 0.7, source="Author 2019, Table 3")
>>> scale = Scale("agency", ("a1", "a2"), (), 1, 0.80, norms, True, reliability_source="Author 2019, n = 412")
>>> inst = Instrument("emp", {}, "", "", 1, 5, {}, (), "mean", (), (scale,), True, "")
>>> round(s_diff(0.7, 0.80), 6)          # √2 · 0.7 · √0.2
0.442719
>>> s = pd.DataFrame({"participant_id": ["A", "A", "B", "B"], "wave": ["baseline", "endline"] * 2,
...                   "instrument": "emp", "scale": "agency", "score": [2.5, 3.8, 3.0, 2.0]})
>>> people = reliable_change_people(s, instruments={"emp": inst})
>>> people[["participant_id", "category", "recovered"]]
  participant_id      category  recovered
0              A      improved       True
1              B  deteriorated      False
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from evaltools.pairing import KEY, ScoreCodes, pair_rows, pair_values, scale_key_index
from evaltools.groups import as_membership, grid_people, group_order, group_rows, partition
from evaltools.suppression import suppress_small_cells
from evaltools.instruments import Instrument

RC_COLUMNS = ["instrument", "scale", "group", "n_pairs", "reliability", "sd_baseline", "s_diff", "n_improved",
              "n_unchanged", "n_deteriorated", "n_recovered", "suppressed", "reliability_source"]
PEOPLE_COLUMNS = ["participant_id", "instrument", "scale", "pre", "post", "diff", "rc", "category", "recovered"]
SCALE_PARAMETER_COLUMNS = ["instrument", "scale", "reliability", "reliability_source", "sd_baseline", "s_diff",
                           "cutoff", "higher_is_better"]
#: Where r comes from (column ``reliability_source``): the instrument's sourced ``reliability``, the
#: sample's baseline alpha, or nowhere (no reliable change for the scale).
RELIABILITY_SOURCES = ("published", "sample", "none")
#: Complete baseline cases the sample's alpha must rest on to stand in for a published reliability
#: (the run parameter ``min_n_alpha``).
MIN_N_ALPHA = 30
#: |RC| beyond which a change is reliable (two-sided 5 %, Jacobson & Truax 1991).
RC_CRITICAL = 1.96
CATEGORIES = ("improved", "unchanged", "deteriorated")


def s_diff(sd1: float, r: float) -> float:
    """Standard error of the difference: √2 · SD₁ · √(1 − r) (NaN where undefined)."""
    if sd1 is None or r is None or not np.isfinite(sd1) or not np.isfinite(r) or r >= 1:
        return float("nan")
    return math.sqrt(2) * sd1 * math.sqrt(1 - r)


def scale_parameters(
    scores: pd.DataFrame,
    *,
    instruments: Mapping[str, Instrument],
    reliability_table: pd.DataFrame | None = None,
    questionnaires: Mapping[str, pd.DataFrame] | None = None,
    pre_wave: str = "baseline",
    min_n_alpha: int = MIN_N_ALPHA,
    codes: ScoreCodes | None = None,
) -> pd.DataFrame:
    """One row per instrument × scale: the r (and where it comes from), SD₁, S_diff and cutoff the RCI uses.

    ``reliability_table`` (the :func:`~evaltools.reliability.reliability`
    table, columns ``instrument, scale, wave, n, alpha``) gives the baseline
    alpha of scales without a published reliability; without it, it is
    computed from ``questionnaires`` when given. The alpha is used only when
    it is > 0 (and < 1: S_diff would be 0) and its ``n`` (complete cases) is
    at least ``min_n_alpha``. ``codes`` (:class:`evaltools.pairing.ScoreCodes` of ``scores``) spares an analysis
    that has them a second look-up.

    Returns
    -------
    DataFrame
        ``instrument, scale, reliability, reliability_source, sd_baseline,
        s_diff, cutoff, higher_is_better``; ``reliability_source`` is one of
        :data:`RELIABILITY_SOURCES` and ``reliability`` and ``s_diff`` are
        empty where it is ``none``; ``cutoff`` is empty without sourced norms.

    Examples
    --------
    >>> from evaltools.instruments import Instrument, Scale
    >>> inst = Instrument("x", {}, "", "", 1, 5, {}, (), "mean", (),
    ...                   (Scale("s", ("a", "b"), (), 1, None, None, True),), True, "")
    >>> scores = pd.DataFrame({"participant_id": list("abcd"), "wave": "baseline", "instrument": "x",
    ...                        "scale": "s", "score": [1.0, 2.0, 3.0, 4.0]})
    >>> alphas = pd.DataFrame({"instrument": ["x"], "scale": ["s"], "wave": ["baseline"], "n": [4], "alpha": [0.7]})
    >>> scale_parameters(scores, instruments={"x": inst}, reliability_table=alphas)[
    ...     ["reliability", "reliability_source", "s_diff"]]
       reliability reliability_source  s_diff
    0          NaN               none     NaN
    >>> row = scale_parameters(scores, instruments={"x": inst}, reliability_table=alphas, min_n_alpha=4).iloc[0]
    >>> row["reliability_source"], round(float(row["s_diff"]), 6)   # √2 · sd(1, 2, 3, 4) · √0.3
    ('sample', 1.0)
    """
    if reliability_table is None and questionnaires is not None:
        from evaltools.reliability import reliability
        reliability_table = reliability(questionnaires, instruments, min_cell=0)
    alphas: dict = {}
    if reliability_table is not None and len(reliability_table):
        base = reliability_table[reliability_table["wave"] == pre_wave]
        n = pd.to_numeric(base["n"], errors="coerce") if "n" in base else pd.Series(np.nan, index=base.index)
        alphas = {(str(i), str(sc)): (float(a), float(k)) for i, sc, a, k in
                  zip(base["instrument"], base["scale"], pd.to_numeric(base["alpha"], errors="coerce"), n)}
    sds = baseline_sds(scores, pre_wave, codes=codes)
    rows = []
    for inst_id, inst in instruments.items():
        for scale in inst.scales:
            alpha, n_alpha = alphas.get((str(inst_id), scale.id), (np.nan, np.nan))
            if scale.reliability is not None and scale.reliability_source:
                r, source = float(scale.reliability), "published"
            elif np.isfinite(alpha) and 0 < alpha < 1 and np.isfinite(n_alpha) and n_alpha >= min_n_alpha:
                r, source = float(alpha), "sample"
            else:
                r, source = np.nan, "none"
            norms = scale.norms if scale.norms is not None and scale.norms.sourced else None
            if norms is not None and norms.dysfunctional_sd is not None:
                sd1 = norms.dysfunctional_sd
            else:
                sd1 = sds.get((inst_id, scale.id), np.nan)
            sd1 = float(sd1)
            sd = s_diff(sd1, r)
            cutoff = norms.clinical_cutoff() if norms is not None else None
            rows.append((inst_id, scale.id, r, source, sd1, sd if sd > 0 else np.nan,
                         np.nan if cutoff is None else float(cutoff), scale.higher_is_better))
    out = pd.DataFrame(rows, columns=SCALE_PARAMETER_COLUMNS)
    return out.astype({"instrument": "str", "scale": "str", "reliability": "float64", "reliability_source": "str",
                       "sd_baseline": "float64", "s_diff": "float64", "cutoff": "float64",
                       "higher_is_better": "bool"})


def baseline_sds(scores: pd.DataFrame, pre_wave: str = "baseline", *, codes: ScoreCodes | None = None) -> dict:
    """(instrument, scale) → the SD (n − 1) of the scale's scores at ``pre_wave``, grouped on integer codes.

    >>> s = pd.DataFrame({"participant_id": list("abc"), "wave": ["baseline", "baseline", "endline"],
    ...                   "instrument": "x", "scale": "s", "score": [1.0, 3.0, 9.0]})
    >>> {k: round(v, 4) for k, v in baseline_sds(s).items()}
    {('x', 's'): 1.4142}
    """
    codes = codes or ScoreCodes(scores)
    rows = np.flatnonzero(scores["score"].notna().to_numpy() & codes.wave_is(pre_wave))
    code = codes.scale[rows]
    sds = pd.Series(scores["score"].to_numpy(dtype="float64")[rows]).groupby(code, sort=False).std()
    first = rows[~pd.Index(code).duplicated()]
    keys = scores[KEY].iloc[first].itertuples(index=False, name=None)
    return dict(zip(keys, sds.to_numpy().tolist()))


def reliable_change_people(
    scores: pd.DataFrame,
    *,
    instruments: Mapping[str, Instrument],
    reliability_table: pd.DataFrame | None = None,
    questionnaires: Mapping[str, pd.DataFrame] | None = None,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
    min_n_alpha: int = MIN_N_ALPHA,
) -> pd.DataFrame:
    """Reliable change per person (never rendered; it feeds counts and the ``improved`` targets).

    Returns
    -------
    DataFrame
        ``participant_id, instrument, scale, pre, post, diff, rc, category,
        recovered``: one row per complete pair of the instruments given.
        ``category`` is improved / unchanged / deteriorated (NA where S_diff is
        undefined, e.g. reliability ``none``: the scale has no reliable
        change); ``recovered`` is boolean, NA without a cutoff from sourced
        norms.
    """
    codes = ScoreCodes(scores)
    params = scale_parameters(scores, instruments=instruments, reliability_table=reliability_table,
                              questionnaires=questionnaires, pre_wave=pre_wave, min_n_alpha=min_n_alpha, codes=codes)
    return _people(scores, params, codes, pre_wave=pre_wave, post_wave=post_wave)[0]


def _people(scores: pd.DataFrame, params: pd.DataFrame, codes: ScoreCodes, *, pre_wave: str,
            post_wave: str) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`reliable_change_people` given the :func:`scale_parameters`, and each pair's row of ``params``."""
    pre, post = pair_rows(scores, pre_wave=pre_wave, post_wave=post_wave, codes=codes)
    at = scale_key_index(scores, params, codes=codes)[pre]  # each pair's row of `params` (−1: not assessed)
    pre, post, at = pre[at >= 0], post[at >= 0], at[at >= 0]
    values = pair_values(scores, pre, post)
    sign = np.where(params["higher_is_better"].to_numpy(dtype=bool)[at], 1.0, -1.0)
    with np.errstate(all="ignore"):
        rc = values["diff"].to_numpy() / params["s_diff"].to_numpy(dtype="float64")[at]
    oriented = rc * sign
    category = np.where(oriented > RC_CRITICAL, "improved",
                        np.where(oriented < -RC_CRITICAL, "deteriorated", "unchanged")).astype(object)
    category[np.isnan(rc)] = None
    c = params["cutoff"].to_numpy(dtype="float64")[at]
    pre_oriented = (values["pre"].to_numpy() - c) * sign
    post_oriented = (values["post"].to_numpy() - c) * sign
    recovered = pd.array((category == "improved") & (pre_oriented < 0) & (post_oriented > 0), dtype="boolean")
    recovered[np.isnan(c) | np.isnan(rc)] = pd.NA
    result = scores.iloc[pre][["participant_id", *KEY]].reset_index(drop=True)
    result = pd.concat([result, values], axis=1).assign(
        rc=rc, category=pd.array(category, dtype="str"), recovered=recovered)
    return result.astype({"participant_id": "str", "instrument": "str", "scale": "str"})[PEOPLE_COLUMNS], at


def _counts(grid: pd.DataFrame, people: pd.DataFrame, key: np.ndarray, membership: pd.DataFrame,
            groups: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``grid`` (params' scales × ``groups``) with the count columns, each pair's cell of it and its person's code.

    ``key`` is each pair's (row of ``people``) scale: its row of the :func:`scale_parameters`.
    """
    row, group, person = group_rows(people["participant_id"], membership, groups)
    cell = key[row] * len(groups) + group
    category = people["category"]
    out = grid.assign(n_pairs=np.bincount(cell, minlength=len(grid)).astype("int64"))
    for col, hit in (("n_improved", category == "improved"), ("n_unchanged", category == "unchanged"),
                     ("n_deteriorated", category == "deteriorated"), ("n_recovered", people["recovered"])):
        hit = hit.to_numpy(dtype=bool, na_value=False)[row]
        out[col] = np.bincount(cell[hit], minlength=len(grid)).astype("float64")
    return out, cell, person


def reliable_change(
    scores: pd.DataFrame,
    *,
    instruments: Mapping[str, Instrument],
    membership: pd.DataFrame,
    min_cell: int = 5,
    partition_groups: Iterable | None = None,
    reliability_table: pd.DataFrame | None = None,
    questionnaires: Mapping[str, pd.DataFrame] | None = None,
    pre_wave: str = "baseline",
    post_wave: str = "endline",
    min_n_alpha: int = MIN_N_ALPHA,
) -> pd.DataFrame:
    """Counts of reliable change per instrument × scale × group: the ``reliable_change.csv`` table.

    Groups and suppression as in :func:`evaltools.change.paired_change`:
    ``all`` always (every person with a pair), then the groups of
    ``membership``; rows with fewer than ``min_cell`` pairs, and rows hidden
    by the complementary or nested rule, keep only their keys, ``n_pairs``
    and ``suppressed``. ``reliability``, ``reliability_source``,
    ``sd_baseline`` and ``s_diff`` are the scale's (the same in every group
    row, see :func:`scale_parameters`); where ``reliability_source`` is
    ``none`` the counts are empty.

    Returns
    -------
    DataFrame
        ``instrument, scale, group, n_pairs, reliability, sd_baseline, s_diff,
        n_improved, n_unchanged, n_deteriorated, n_recovered, suppressed,
        reliability_source``.

    Examples
    --------
    >>> from evaltools.instruments import LIBRARY, load_instrument
    >>> inst = load_instrument(LIBRARY / "empowerment.yaml")
    >>> table = reliable_change(pd.DataFrame(columns=["participant_id", "wave", "instrument", "scale", "score"]),
    ...                         instruments={"empowerment": inst},
    ...                         membership=pd.DataFrame(columns=["participant_id", "group"]))
    >>> table[["scale", "group", "n_pairs", "suppressed"]]
        scale group  n_pairs  suppressed
    0  agency   all        0        True
    1   voice   all        0        True
    """
    membership = as_membership(membership)
    if reliability_table is None and questionnaires is not None:
        from evaltools.reliability import reliability
        reliability_table = reliability(questionnaires, instruments, min_cell=0)
    codes = ScoreCodes(scores)
    params = scale_parameters(scores, instruments=instruments, reliability_table=reliability_table,
                              pre_wave=pre_wave, min_n_alpha=min_n_alpha, codes=codes)
    people, key = _people(scores, params, codes, pre_wave=pre_wave, post_wave=post_wave)
    groups = group_order(membership)
    grid = params[[*KEY, "reliability", "reliability_source", "sd_baseline", "s_diff", "cutoff"]].merge(
        pd.DataFrame({"group": pd.Series(groups, dtype="str")}), how="cross")
    out, cell, person = _counts(grid, people, key, membership, groups)
    count_cols = ["n_improved", "n_unchanged", "n_deteriorated", "n_recovered"]
    no_sdiff = out["s_diff"].isna()
    out.loc[no_sdiff, count_cols] = np.nan
    out.loc[out["cutoff"].isna(), "n_recovered"] = np.nan
    out["suppressed"] = False
    # the repeats of `all` and the people of each cell, on integers (the grid: scales × groups, groups fastest)
    all_people, repeat = grid_people(cell, person, len(params), groups)
    kept = out.index[~repeat]
    out = suppress_small_cells(out.loc[kept, RC_COLUMNS], n_col="n_pairs", min_cell=min_cell, keys=(*KEY, "group"),
                               partition_groups=partition(membership, partition_groups), people=all_people[kept])
    floats = ["reliability", "sd_baseline", "s_diff", *count_cols]
    return out.astype({**{c: "float64" for c in floats}, "suppressed": "bool",
                       "reliability_source": "str"}).reset_index(drop=True)
