"""Social ties: each person's ego network, and the tie rows as the analysis sees them (docs/statistics.md#social-ties).

Three views of the same question — did people's ties grow?

- :func:`ego_networks` describes each person's own network per wave (how many
  people they named, of which kind, giving which support, living on the
  estate); :func:`ego_scores` turns it into the long ``scores`` shape so that
  the paired-change machinery treats it as the instrument ``ego_network``.
- the sociometric network *among participants* (:func:`~evaltools.sociometric.network_by_wave`,
  its change test :func:`~evaltools.sociometric.network_change_test` and
  :func:`~evaltools.sociometric.network_edges`) is in :mod:`evaltools.sociometric`.
- the co-attendance network (people at the same session, per calendar quarter)
  is in :mod:`evaltools.coattendance`.

The tables as both ego and sociometric views read them (:func:`tie_rows`,
:func:`tie_waves`, :func:`participant_ids`, :func:`participant_groups`) live here.

Every function takes the typed tables of a :class:`~evaltools.project.Project`
and returns a DataFrame whose columns are fixed (module constants below),
whatever the input, empty input included.

Examples
--------
>>> ties = pd.DataFrame({"participant_id": ["P1", "P1"], "wave": ["baseline", "baseline"],
...                      "alter": ["A1", "A2"], "alter_participant_id": ["P2", pd.NA],
...                      "relation": ["neighbour", "family"], "support": ["emotional;practical", "practical"],
...                      "contact": ["daily", "weekly"], "on_estate": ["yes", "no"]})
>>> ego_networks(ties)[["participant_id", "size", "relation_family", "support_practical", "diversity"]]
  participant_id  size  relation_family  support_practical  diversity
0             P1     2                1                  2          2
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools.schema import CODES, WAVE_ORDER

#: Ego-network measures, in column order; each is a ``scale`` of the instrument ``ego_network``.
RELATION_COLUMNS = tuple(f"relation_{code}" for code in CODES["relation"])
SUPPORT_COLUMNS = tuple(f"support_{code}" for code in CODES["support"])
EGO_MEASURES = ("size", *RELATION_COLUMNS, *SUPPORT_COLUMNS, "on_estate_share", "diversity")
EGO_COLUMNS = ("participant_id", "wave", *EGO_MEASURES)

#: The instrument id under which ego measures enter the change tables.
EGO_INSTRUMENT = "ego_network"
SCORE_COLUMNS = ("participant_id", "wave", "instrument", "scale", "score", "n_items")

#: Columns of :func:`tie_rows`.
TIE_ROW_COLUMNS = ("participant_id", "wave", "alter", "alter_participant_id", "relation", "support", "on_estate")


# --------------------------------------------------------------------------- ego networks

def ego_networks(ties: pd.DataFrame, *, participants: pd.DataFrame | None = None,
                 respondents: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each person's ego network per wave: size, kinds of tie, support, estate, diversity.

    Parameters
    ----------
    ties : DataFrame
        The ``ties`` table (participant_id, wave, alter, relation, support,
        on_estate; one row per ego × alter × wave). A row with no ``alter``
        records that the person was asked at that wave and named nobody
        (docs/data.md, docs/statistics.md): that person gets a row with ``size`` 0, so a
        person who named people at baseline and nobody at endline counts
        as a loss in the paired change, not as a dropout. A person not
        asked at a wave has no row there.
    participants : DataFrame, optional
        When given, egos that are not registered participants are dropped.
    respondents : DataFrame, optional
        ``participant_id`` and ``wave`` of everyone who answered the ties
        interview, for data that do not record "named nobody" rows: each
        such person × wave without ties also gets a row with ``size`` 0.

    Returns
    -------
    DataFrame
        Columns :data:`EGO_COLUMNS`, one row per person × wave, sorted by
        participant_id and wave (in time order):

        - ``size``: number of alters named (distinct ``alter`` labels);
        - ``relation_family``, ``relation_neighbour``, ``relation_friend``,
          ``relation_professional``, ``relation_other``: alters of that
          relation (an alter with no relation counts in ``size`` only);
        - ``support_emotional``, ``support_practical``,
          ``support_informational``: alters giving that kind of support (an
          alter may give several);
        - ``on_estate_share``: alters living on the estate / alters whose
          ``on_estate`` is known (empty when none is known);
        - ``diversity``: number of distinct relation types among the alters,
          0–5 — the "network diversity" of Cohen et al. (1997, JAMA 277:1940),
          a count of the social roles in which a person has someone.

    Examples
    --------
    P2 was asked and named nobody (a row without ``alter``):

    >>> ties = pd.DataFrame({"participant_id": ["P1", "P1", "P1", "P2"], "wave": ["baseline"] * 4,
    ...                      "alter": ["A1", "A2", "A3", pd.NA], "relation": ["friend", "friend", pd.NA, pd.NA],
    ...                      "support": ["emotional", pd.NA, "emotional;informational", pd.NA],
    ...                      "on_estate": ["yes", "no", pd.NA, pd.NA]})
    >>> ego = ego_networks(ties)
    >>> cols = ["participant_id", "size", "relation_friend", "support_emotional", "on_estate_share", "diversity"]
    >>> print(ego[cols].to_string(index=False))
    participant_id  size  relation_friend  support_emotional  on_estate_share  diversity
                P1     3                2                  2              0.5          1
                P2     0                0                  0              NaN          0
    """
    t = tie_rows(ties)
    if participants is not None:
        t = t[t["participant_id"].isin(participant_ids(participants))]
    keys = ["participant_id", "wave"]
    asked = t[keys].drop_duplicates()  # a row without alter: asked, named nobody
    sums = _ego_sums(t.dropna(subset=["alter"]).drop_duplicates(["participant_id", "wave", "alter"]))
    if len(asked) > len(sums):
        sums = asked.merge(sums, on=keys, how="left")
    if respondents is not None and len(respondents):
        resp = respondents[keys].dropna().drop_duplicates().astype({"participant_id": "str", "wave": "str"})
        if participants is not None:
            resp = resp[resp["participant_id"].isin(participant_ids(participants))]
        sums = resp.merge(sums, on=keys, how="outer")
    return _ego_frame(sums)


def _ego_sums(t: pd.DataFrame) -> pd.DataFrame:
    """Per person × wave (columns participant_id, wave), from one row per alter: the counts of :func:`ego_networks`.

    Columns ``size``, the relation and support counts, ``diversity``, ``_estate_yes`` and ``_estate_known``.
    A few distinct relation, support and on_estate texts recur over many rows: each is read once.
    """
    keys = ["participant_id", "wave"]
    counts = t[keys].assign(size=1)
    for code, col in zip(CODES["relation"], RELATION_COLUMNS):
        counts[col] = _per_value(t["relation"], lambda v, code=code: v == code)
    for code, col in zip(CODES["support"], SUPPORT_COLUMNS):
        # the typed table holds a normalised ";"-list (evaltools.schema.split_codes)
        given = re.compile(rf"(?:^|[;,])\s*{code}\s*(?:[;,]|$)")
        counts[col] = _per_value(t["support"], lambda v, given=given: given.search(v) is not None)
    counts["_estate_yes"] = _per_value(t["on_estate"], lambda v: v == "yes")
    counts["_estate_known"] = _per_value(t["on_estate"], lambda v: v in ("yes", "no"))
    sums = counts.groupby(keys, sort=False)[["size", *RELATION_COLUMNS, *SUPPORT_COLUMNS,
                                              "_estate_yes", "_estate_known"]].sum()
    sums["diversity"] = t.dropna(subset=["relation"]).groupby(keys, sort=False)["relation"].nunique()
    return sums.reset_index()


def _per_value(values: pd.Series, test) -> np.ndarray:
    """``test`` (text -> bool) of each value as 0/1, evaluated once per distinct value; empty values give 0."""
    codes, found = pd.factorize(values.to_numpy(dtype=object))
    return np.append(np.array([bool(test(v)) for v in found], dtype=np.int64), 0)[codes]


def _ego_frame(sums: pd.DataFrame) -> pd.DataFrame:
    """The :data:`EGO_COLUMNS` of the per person × wave sums (empty counts are 0), sorted."""
    keys = ["participant_id", "wave"]
    out = pd.DataFrame({k: sums[k].astype("str") for k in keys})
    for col in ("size", *RELATION_COLUMNS, *SUPPORT_COLUMNS, "diversity"):
        out[col] = sums[col].fillna(0).astype("int64") if len(sums) else pd.Series(dtype="int64")
    known_n = sums["_estate_known"].fillna(0).to_numpy(dtype=float)
    yes_n = sums["_estate_yes"].fillna(0).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["on_estate_share"] = np.where(known_n > 0, yes_n / np.where(known_n > 0, known_n, 1), np.nan)
    out = out[list(EGO_COLUMNS)]
    return _sort_waves(out, ["participant_id", "wave"])


def ego_scores(ego: pd.DataFrame) -> pd.DataFrame:
    """Ego measures in the long ``scores`` shape, as the instrument ``ego_network``.

    Parameters
    ----------
    ego : DataFrame
        The result of :func:`ego_networks`.

    Returns
    -------
    DataFrame
        Columns :data:`SCORE_COLUMNS` (participant_id, wave, instrument,
        scale, score, n_items): one row per person × wave × measure, with
        ``instrument`` = ``ego_network``, ``scale`` = the measure's column
        name (:data:`EGO_MEASURES`), ``score`` its value and ``n_items`` the
        number of alters named (``size``). A missing ``on_estate_share``
        stays a row with an empty score.

    Examples
    --------
    >>> ego = ego_networks(pd.DataFrame({"participant_id": ["P1"], "wave": ["endline"], "alter": ["A1"],
    ...                                  "relation": ["friend"], "on_estate": ["yes"]}))
    >>> scores = ego_scores(ego)
    >>> scores.loc[scores["scale"].isin(["size", "relation_friend", "on_estate_share"])]
      participant_id     wave   instrument            scale  score  n_items
    0             P1  endline  ego_network             size    1.0        1
    3             P1  endline  ego_network  relation_friend    1.0        1
    9             P1  endline  ego_network  on_estate_share    1.0        1
    """
    if ego is None or not len(ego):
        return _empty(SCORE_COLUMNS, {"score": "float64", "n_items": "int64"})
    rank = {w: i for i, w in enumerate(WAVE_ORDER)}
    person = pd.factorize(ego["participant_id"], sort=True)[0]
    person = np.where(person < 0, person.max() + 1, person)  # no id: last, as sorting puts it
    wave = ego["wave"].map(rank).fillna(len(rank)).to_numpy(dtype=float)
    m, r = len(EGO_MEASURES), len(ego)
    # as a melt (measure after measure, rows in order) sorted stably by participant, wave in time order, measure
    row, measure = np.tile(np.arange(r), m), np.repeat(np.arange(m), r)
    order = np.lexsort((measure, wave[row], person[row]))
    row, measure = row[order], measure[order]
    long = pd.DataFrame({
        "participant_id": ego["participant_id"].to_numpy()[row],
        "wave": ego["wave"].to_numpy()[row],
        "instrument": EGO_INSTRUMENT,
        "scale": pd.Series(np.array(EGO_MEASURES, dtype=object)[measure], dtype="str"),
        "score": ego[list(EGO_MEASURES)].to_numpy(dtype="float64")[row, measure],
        "n_items": ego["size"].to_numpy()[row].astype("int64")})
    return long.astype({"participant_id": ego["participant_id"].dtype, "wave": ego["wave"].dtype,
                        "instrument": "str"})[list(SCORE_COLUMNS)]


# --------------------------------------------------------------------------- tables as the analysis sees them

def tie_rows(ties: pd.DataFrame | None) -> pd.DataFrame:
    """The ties table's columns used here, as strings, whatever was given.

    Parameters
    ----------
    ties : DataFrame or None
        The ``ties`` table; missing columns become empty, ``None`` an empty
        table.

    Returns
    -------
    DataFrame
        Columns :data:`TIE_ROW_COLUMNS` (string dtype), rows without
        ``participant_id`` or ``wave`` dropped, index 0..n−1. A row whose
        ``alter`` is empty records that the person was asked at that wave
        and named nobody (docs/data.md): it counts as an answer, never as a
        tie.

    Examples
    --------
    >>> rows = tie_rows(pd.DataFrame({"participant_id": ["P1", None], "wave": ["baseline"] * 2}))
    >>> rows.columns.tolist()[:4], len(rows), rows["alter"].isna().all()
    (['participant_id', 'wave', 'alter', 'alter_participant_id'], 1, np.True_)
    """
    if ties is None:
        ties = pd.DataFrame()
    out = pd.DataFrame(index=ties.index)
    for col in TIE_ROW_COLUMNS:
        out[col] = ties[col].astype("str") if col in ties else pd.Series(pd.NA, index=ties.index, dtype="str")
    return out.dropna(subset=["participant_id", "wave"]).reset_index(drop=True)


def tie_waves(ties: pd.DataFrame | None) -> list[str]:
    """The waves present in ``ties``, in time order (:data:`WAVE_ORDER`, then any other alphabetically).

    Examples
    --------
    >>> tie_waves(pd.DataFrame({"participant_id": ["P1", "P1"], "wave": ["endline", "baseline"]}))
    ['baseline', 'endline']
    """
    return _waves_of(tie_rows(ties))


def participant_ids(participants: pd.DataFrame) -> list[str]:
    """Registered participant ids as strings, in table order, each once: the nodes of the network.

    Examples
    --------
    >>> participant_ids(pd.DataFrame({"participant_id": ["P2", "P1", "P2", None]}))
    ['P2', 'P1']
    """
    return participants["participant_id"].dropna().astype("str").drop_duplicates().tolist()


def participant_groups(participants: pd.DataFrame) -> dict[str, str]:
    """{participant_id: group} for participants with a non-empty ``group`` (empty without the column).

    Examples
    --------
    >>> participant_groups(pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "group": ["G1", " ", None]}))
    {'P1': 'G1'}
    """
    if "group" not in participants:
        return {}
    g = participants[["participant_id", "group"]].dropna()
    g = g[g["group"].astype("str").str.strip() != ""]
    return dict(zip(g["participant_id"].astype("str").to_numpy(dtype=object),
                    g["group"].astype("str").to_numpy(dtype=object)))


# --------------------------------------------------------------------------- helpers

def _waves_of(t: pd.DataFrame) -> list[str]:
    """The waves of normalised tie rows, in time order (:data:`WAVE_ORDER`, then any other alphabetically)."""
    present = set(t["wave"].dropna().unique())
    return [w for w in WAVE_ORDER if w in present] + sorted(present - set(WAVE_ORDER))


def _empty(columns: Sequence[str], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "str")) for c in columns})


def _sort_waves(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rank = {w: i for i, w in enumerate(WAVE_ORDER)}
    out = df.assign(_w=df["wave"].map(rank).fillna(len(rank)))
    by = ["_w" if c == "wave" else c for c in by]
    return out.sort_values(by, kind="stable").drop(columns="_w").reset_index(drop=True)
