"""The small tables the report's words are made of: wave dates, group sizes, respondents, reportable rows."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from evaltools.certainty.cells import suppressed_mask


def wave_dates(questionnaires: Mapping[str, pd.DataFrame], *, waves: list[str]) -> pd.DataFrame:
    """The date of each wave: the median of its questionnaires' ``date`` (``wave, date``).

    A wave with no readable date is left out; waves come in the order of
    ``waves``. Feeds ``first_wave_date``/``last_wave_date`` of
    :func:`design_statement`.

    >>> q = pd.DataFrame({"wave": ["baseline", "baseline", "endline"],
    ...                   "date": ["2021-01-01", "2021-01-03", "not a date"]})
    >>> wave_dates({"x": q}, waves=["baseline", "endline"]).to_dict("list")
    {'wave': ['baseline'], 'date': [Timestamp('2021-01-02 00:00:00')]}
    """
    frames = [q[["wave", "date"]] for q in questionnaires.values() if "date" in q.columns]
    dated = pd.concat(frames) if frames else pd.DataFrame(columns=["wave", "date"])
    dated = dated.assign(date=pd.to_datetime(dated["date"], errors="coerce")).dropna()
    medians = [(w, dated.loc[dated["wave"] == w, "date"].median()) for w in waves]
    rows = [(w, d) for w, d in medians if pd.notna(d)]
    return pd.DataFrame(rows, columns=["wave", "date"])


def respondents(scores: pd.DataFrame, *, wave: str = "baseline") -> list[str]:
    """The people with at least one questionnaire score at ``wave`` (sorted ids).

    ``scores`` is the long table of :func:`evaltools.scoring.score_all`. Only
    they can form a pair, so the design's sensitivity rests on them
    (``respondents`` of :func:`group_sizes`), not on everyone registered.

    >>> s = pd.DataFrame({"participant_id": ["P2", "P1", "P3", "P1"], "wave": ["baseline", "baseline", "baseline",
    ...                   "endline"], "score": [2.0, 3.0, None, 3.5]})
    >>> respondents(s)
    ['P1', 'P2']
    """
    measured = scores.loc[(scores["wave"] == wave) & scores["score"].notna(), "participant_id"]
    return sorted(measured.dropna().astype("str").unique())


def group_sizes(participants: pd.DataFrame, *, respondents: list[str] | None = None) -> pd.DataFrame:
    """People per output group (``group, n``): ``all`` first, then as :func:`evaltools.change.group_membership`.

    Feeds ``n_per_group`` of :func:`design_statement`; with ``respondents``
    (ids, e.g. :func:`respondents`) only those registered people count, which
    feeds its ``n_respondents``. The groups stay the same.

    >>> p = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "components": ["youth", "youth;legal", None],
    ...                   "group": ["G1", None, "G1"]})
    >>> group_sizes(p).to_dict("list")
    {'group': ['all', 'youth', 'legal', 'G1'], 'n': [3, 2, 1, 2]}
    >>> group_sizes(p, respondents=["P1", "P3", "P9"]).to_dict("list")
    {'group': ['all', 'youth', 'legal', 'G1'], 'n': [2, 1, 0, 2]}
    """
    from evaltools.groups import group_membership

    if respondents is not None:
        counted = set(map(str, respondents))
        groups = group_sizes(participants)
        people = participants[participants["participant_id"].astype("str").isin(counted)]
        sizes = dict(group_sizes(people).itertuples(index=False))
        return groups.assign(n=[int(sizes.get(g, 0)) for g in groups["group"]])
    membership = group_membership(participants)
    counts = membership.groupby("group", sort=False)["participant_id"].nunique()
    rows = [("all", int(participants["participant_id"].nunique()))]
    rows += [(str(g), int(n)) for g, n in counts.items() if g != "all"]
    return pd.DataFrame(rows, columns=["group", "n"])


def reportable_change(change: pd.DataFrame) -> pd.DataFrame:
    """The rows of a change table that the words speak of: group ``all``, not suppressed.

    >>> ch = pd.DataFrame({"group": ["all", "all", "G1"], "suppressed": [False, True, False]})
    >>> len(reportable_change(ch))
    1
    """
    return change[(change["group"] == "all") & ~suppressed_mask(change)]
