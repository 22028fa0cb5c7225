"""Pairing a long scores table: each person's baseline and endline score of a scale (docs/statistics.md#paired-change).

A pair is complete when both scores exist; a repeated person × wave × scale
counts once (its first row). Everything here works on the integer codes of
the full columns (:class:`ScoreCodes`, from :func:`evaltools.codes.factorize`),
so that the analyses that pair one scores table (:mod:`evaltools.change`,
:mod:`evaltools.reliable_change`, :mod:`evaltools.regression_to_mean`,
:mod:`evaltools.dose_response`, ...) hash its text columns once.

- :func:`paired_scores`: the pairs as a table, ``instrument, scale,
  participant_id, pre, post, diff``; :func:`pair_rows` their row positions,
  :func:`pair_values` their ``pre, post, diff``;
- :func:`scale_keys`, :func:`first_scale_rows`, :func:`scale_key_index`:
  the instrument × scales of a table and the scale of each row;
  :func:`cell_grid`: scales × groups, the rows of a change table.

Examples
--------
>>> s = pd.DataFrame({"participant_id": ["A", "A", "B", "B"], "wave": ["baseline", "endline"] * 2,
...                   "instrument": "x", "scale": "s", "score": [2.0, 3.5, 4.0, None]})
>>> paired_scores(s)[["participant_id", "pre", "post", "diff"]]
  participant_id  pre  post  diff
0              A  2.0   3.5   1.5
"""

from __future__ import annotations

import functools
import weakref
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaltools.codes import factorize

#: The columns of :func:`paired_scores`.
PAIR_COLUMNS = ["instrument", "scale", "participant_id", "pre", "post", "diff"]
#: The columns that name one scale.
KEY = ["instrument", "scale"]


# --------------------------------------------------------------------------- pairs

def paired_scores(scores: pd.DataFrame, *, pre_wave: str = "baseline", post_wave: str = "endline") -> pd.DataFrame:
    """Complete pairs: ``instrument, scale, participant_id, pre, post, diff`` with diff = round(post − pre, 10).

    A person × scale without a score at either wave is left out; a repeated
    person × wave × scale counts once (its first row).

    >>> s = pd.DataFrame({"participant_id": ["A", "A", "B"], "wave": ["baseline", "endline", "baseline"],
    ...                   "instrument": "x", "scale": "s", "score": [2.0, 3.5, 4.0]})
    >>> paired_scores(s)[["participant_id", "pre", "post", "diff"]]
      participant_id  pre  post  diff
    0              A  2.0   3.5   1.5
    """
    pre, post = pair_rows(scores, pre_wave=pre_wave, post_wave=post_wave)
    out = scores.iloc[pre][PAIR_COLUMNS[:3]].reset_index(drop=True)
    return pd.concat([out, pair_values(scores, pre, post)], axis=1)[PAIR_COLUMNS]


def pair_values(scores: pd.DataFrame, pre: np.ndarray, post: np.ndarray) -> pd.DataFrame:
    """``pre, post, diff`` of the pairs at the positions ``pre``, ``post`` of ``scores`` (:func:`pair_rows`)."""
    score = scores["score"].to_numpy(dtype="float64")
    return pd.DataFrame({"pre": score[pre], "post": score[post], "diff": np.round(score[post] - score[pre], 10)})


class ScoreCodes:
    """Integer codes of the rows of a long scores table, each from the remembered factorisation of a full column.

    Each is computed when first asked for and kept: an analysis makes one and hands it to :func:`pair_rows`,
    :func:`first_scale_rows`, :func:`scale_key_index`, ... so that each column is looked up (and checked against
    the remembered codes, :func:`evaltools.codes.factorize`) once per analysis.

    >>> s = pd.DataFrame({"participant_id": ["A", "B", "A"], "wave": ["endline", "baseline", None],
    ...                   "instrument": "x", "scale": ["s", "t", "s"]})
    >>> c = ScoreCodes(s)
    >>> bool(c.scale[0] == c.scale[2] != c.scale[1]), c.wave_is("baseline").tolist(), c.first_scale_rows.tolist()
    (True, [False, True, False], [0, 1])
    """

    def __init__(self, scores: pd.DataFrame):
        self.scores = scores
        self._factorized: dict = {}

    def factorized(self, column: str) -> tuple:
        """``codes.factorize(scores[column])`` (codes −1 where missing, and the distinct values), asked once."""
        if column not in self._factorized:
            self._factorized[column] = factorize(self.scores[column])
        return self._factorized[column]

    def _codes(self, column: str) -> np.ndarray:
        return self.factorized(column)[0].astype("int64") + 1  # missing values share 0

    @functools.cached_property
    def person(self) -> np.ndarray:
        """A code ≥ 0 per ``participant_id`` (missing: 0)."""
        return self._codes("participant_id")

    @functools.cached_property
    def scale(self) -> np.ndarray:
        """A code ≥ 0 per ``instrument`` × ``scale`` (equal pairs, equal codes; not in order of appearance)."""
        inst, scale = self._codes("instrument"), self._codes("scale")
        return inst * (int(scale.max(initial=0)) + 1) + scale

    @functools.cached_property
    def first_scale_rows(self) -> np.ndarray:
        """The position of the first row of each instrument × scale, in order of appearance."""
        code = self.scale
        # the first row of each instrument × scale starts a run of its code: only run starts are compared
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.zeros(0, dtype="int64")
        return starts[~pd.Index(code[starts]).duplicated()]

    def wave_is(self, value) -> np.ndarray:
        """``scores["wave"] == value`` as a boolean array (missing: False), compared once per distinct wave."""
        codes, uniques = self.factorized("wave")
        return np.r_[np.asarray(uniques == value, dtype=bool), False][codes]


#: The last few :func:`pair_rows` results: (waves, the factorised codes' ids) → (weak references to the codes,
#: has a score, pre, post).
_PAIRS: OrderedDict = OrderedDict()
#: How many :func:`pair_rows` results are remembered.
PAIRS_REMEMBERED = 4
_PAIR_COLUMNS = ("participant_id", "instrument", "scale", "wave")


def pair_rows(scores: pd.DataFrame, *, pre_wave: str = "baseline", post_wave: str = "endline",
              codes: ScoreCodes | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The positions in ``scores`` of the baseline and endline row of each complete pair (:func:`paired_scores`).

    Computed on the integer codes of the full columns (``codes``, by default :class:`ScoreCodes` of ``scores``).
    The answer is remembered (read-only) for the codes it came from: a table whose four columns give the very
    same remembered codes (:func:`evaltools.codes.factorize`: the same values) and whose scores are missing in
    the same rows gets it back without pairing again (several analyses pair one scores table).

    >>> s = pd.DataFrame({"participant_id": ["A", "B", "A", "B"], "wave": ["endline", "baseline", "baseline", "x"],
    ...                   "instrument": "x", "scale": "s", "score": [2.0, 3.5, 4.0, 1.0]})
    >>> [p.tolist() for p in pair_rows(s)]
    [[2], [0]]
    """
    codes = codes or ScoreCodes(scores)
    raw = tuple(codes.factorized(c)[0] for c in _PAIR_COLUMNS)
    has_score = scores["score"].notna().to_numpy()
    key = (pre_wave, post_wave, *map(id, raw))
    known = _PAIRS.get(key)
    if known is not None and all(a() is b for a, b in zip(known[0], raw)) and np.array_equal(known[1], has_score):
        _PAIRS.move_to_end(key)
        return known[2], known[3]
    # one integer per instrument × scale × person (not three text columns): rows are matched on it
    code = codes.scale * (int(codes.person.max(initial=0)) + 1) + codes.person
    pre, post = (_first_rows(code, has_score & codes.wave_is(w)) for w in (pre_wave, post_wave))
    match = pd.Index(code[post]).get_indexer(code[pre])
    pre, post = pre[match >= 0], post[match[match >= 0]]
    pre.flags.writeable = post.flags.writeable = False
    _PAIRS[key] = (tuple(weakref.ref(a) for a in raw), has_score, pre, post)  # weak: codes.py decides their life
    while len(_PAIRS) > PAIRS_REMEMBERED:
        _PAIRS.popitem(last=False)
    return pre, post


def _first_rows(code: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The positions where ``mask`` holds, the first of each ``code``."""
    rows = np.flatnonzero(mask)
    return rows[~pd.Index(code[rows]).duplicated()]


def scale_keys(scores: pd.DataFrame, instruments: Mapping | None, *, codes: ScoreCodes | None = None) -> pd.DataFrame:
    """``instrument, scale`` of each row of a change table: those of ``instruments``, then any other in ``scores``."""
    keys = []
    for inst_id, inst in (instruments or {}).items():
        keys.extend((inst_id, s.id) for s in inst.scales)
    seen = set(keys)
    for k in scores[KEY].iloc[first_scale_rows(scores, codes=codes)].itertuples(index=False, name=None):
        if k not in seen:
            keys.append(k)
            seen.add(k)
    return pd.DataFrame(keys, columns=KEY, dtype="str")


def first_scale_rows(scores: pd.DataFrame, *, codes: ScoreCodes | None = None) -> np.ndarray:
    """The position of the first row of each instrument × scale of ``scores``, in order of appearance.

    >>> first_scale_rows(pd.DataFrame({"instrument": ["x", "x", "y", "x"], "scale": ["s", "t", "s", "s"]})).tolist()
    [0, 1, 2]
    """
    return (codes or ScoreCodes(scores)).first_scale_rows


def scale_key_index(scores: pd.DataFrame, keys: pd.DataFrame, *, codes: ScoreCodes | None = None) -> np.ndarray:
    """The row of ``keys`` (``instrument, scale``, e.g. :func:`scale_keys`) of each row of ``scores`` (−1: none).

    >>> s = pd.DataFrame({"instrument": ["x", "x", "y", "x"], "scale": ["s", "t", "s", "s"]})
    >>> scale_key_index(s, pd.DataFrame({"instrument": ["x", "x"], "scale": ["t", "s"]})).tolist()
    [1, 0, -1, 1]
    """
    codes = codes or ScoreCodes(scores)
    code, first = codes.scale, codes.first_scale_rows
    lookup = np.full(int(code.max(initial=-1)) + 1, -1, dtype="int64")
    # one text comparison per instrument × scale (its first row), not per row
    found = pd.MultiIndex.from_frame(scores[KEY].iloc[first])
    lookup[code[first]] = pd.MultiIndex.from_frame(keys[KEY]).get_indexer(found)
    return lookup[code]


def cell_grid(keys: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """``instrument, scale, group``: every row of ``keys`` (:func:`scale_keys`) × every group, groups fastest."""
    grid = keys.merge(pd.DataFrame({"group": pd.Series(groups, dtype="str")}), how="cross")
    return grid
