"""Scale scores from item answers (docs/statistics.md#scale-scores).

A questionnaire holds one row per person × wave and one column per item,
with the instrument's missing codes (9, 99, ...) still in place. For every
scale of the instrument:

- a missing code, an empty cell or a value outside the response range is a
  missing answer;
- a reversed item is recoded as ``min + max − x``;
- the score is the mean of the answered items when at least
  ``scale.min_items`` are answered (``scoring: sum`` gives the prorated sum,
  mean × k), else it is missing; the row is kept either way and ``n_items``
  says how many items were answered.

The result is the long ``scores.csv`` table: ``participant_id, wave,
instrument, scale, score, n_items``, sorted by participant, wave (contract
order) and scale (instrument order), whatever the order of the input rows.

Examples
--------
>>> from evaltools.instruments import LIBRARY, load_instrument
>>> inst = load_instrument(LIBRARY / "empowerment.yaml")
>>> q = pd.DataFrame({"participant_id": ["P1"], "wave": ["baseline"],
...                   "emp_01": [4.0], "emp_02": [2.0], "emp_03": [9.0],
...                   "emp_04": [5.0], "emp_05": [4.0], "emp_06": [3.0]})
>>> score(q, inst)[["scale", "score", "n_items"]]
    scale  score  n_items
0  agency    NaN        2
1   voice    4.0        3
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from evaltools.errors import InstrumentError
from evaltools.instruments import Instrument
from evaltools.schema import WAVE_ORDER

SCORE_COLUMNS = ["participant_id", "wave", "instrument", "scale", "score", "n_items"]


def empty_scores() -> pd.DataFrame:
    """A scores table with no rows (the fixed columns and dtypes)."""
    return pd.DataFrame({
        "participant_id": pd.Series([], dtype="str"),
        "wave": pd.Series([], dtype="str"),
        "instrument": pd.Series([], dtype="str"),
        "scale": pd.Series([], dtype="str"),
        "score": pd.Series([], dtype="float64"),
        "n_items": pd.Series([], dtype="int64"),
    })


def item_matrix(questionnaire: pd.DataFrame, instrument: Instrument, items) -> np.ndarray:
    """Answers to ``items`` as floats (rows × items), missing answers as NaN, reversed items recoded.

    Which items are reversed depends on the scale, so ``items`` is a
    :class:`~evaltools.instruments.Scale` or a plain sequence of item ids
    (then nothing is reversed). An item column absent from the questionnaire
    is all missing.

    >>> from evaltools.instruments import LIBRARY, load_instrument
    >>> inst = load_instrument(LIBRARY / "empowerment.yaml")
    >>> q = pd.DataFrame({"emp_01": [5.0, 99.0], "emp_02": [1.0, 4.0], "emp_03": [3.0, 7.0]})
    >>> item_matrix(q, inst, inst.scale("agency"))
    array([[ 5.,  5.,  3.],
           [nan,  2., nan]])
    """
    ids = list(getattr(items, "items", items))
    reversed_ = set(getattr(items, "reversed", ()))
    lo, hi = float(instrument.response_min), float(instrument.response_max)
    cols = []
    for item in ids:
        if item in questionnaire.columns:
            col = pd.to_numeric(questionnaire[item], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        else:
            col = np.full(len(questionnaire), np.nan)
        cols.append(col)
    x = np.column_stack(cols) if cols else np.empty((len(questionnaire), 0))
    # Missing codes lie outside the response range (the loader checks it), so one
    # range test turns both missing codes and impossible values into NaN.
    x = np.where((x >= lo) & (x <= hi), x, np.nan)
    for j, item in enumerate(ids):
        if item in reversed_:
            x[:, j] = lo + hi - x[:, j]
    return x


def _wave_rank(wave: pd.Series) -> np.ndarray:
    order = {w: i for i, w in enumerate(WAVE_ORDER)}
    return wave.map(order).fillna(len(order)).to_numpy()


def score(questionnaire: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Score every scale of ``instrument`` for every row of ``questionnaire``.

    Parameters
    ----------
    questionnaire : DataFrame
        ``participant_id``, ``wave`` and one column per item (numbers, missing
        codes allowed); other columns are ignored.
    instrument : Instrument
        The instrument's definition (response range, missing codes, scales).

    Returns
    -------
    DataFrame
        ``participant_id, wave, instrument, scale, score, n_items``; one row per
        questionnaire row × scale. ``score`` is NaN when fewer than the scale's
        ``min_items`` were answered; ``n_items`` is the number answered.

    Examples
    --------
    >>> from evaltools.instruments import LIBRARY, load_instrument
    >>> inst = load_instrument(LIBRARY / "empowerment.yaml")
    >>> q = pd.DataFrame({"participant_id": ["P1", "P1"], "wave": ["endline", "baseline"],
    ...                   "emp_01": [5.0, 3.0], "emp_02": [1.0, 3.0], "emp_03": [5.0, 3.0]})
    >>> score(q, inst).query("scale == 'agency'")[["wave", "score", "n_items"]]
           wave  score  n_items
    0  baseline    3.0        3
    2   endline    5.0        3
    """
    if len(questionnaire) == 0:
        return empty_scores()
    q = questionnaire.reset_index(drop=True)
    order = np.lexsort((_wave_rank(q["wave"]), q["participant_id"].astype("str").fillna("").to_numpy()))
    q = q.iloc[order].reset_index(drop=True)
    n_rows, n_scales = len(q), len(instrument.scales)
    scores = np.empty((n_rows, n_scales))
    answered = np.empty((n_rows, n_scales), dtype="int64")
    for j, scale in enumerate(instrument.scales):
        x = item_matrix(q, instrument, scale)
        n_ans = np.sum(~np.isnan(x), axis=1)
        total = np.nansum(x, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n_ans
        if instrument.scoring == "sum":
            mean = mean * len(scale.items)
        scores[:, j] = np.where(n_ans >= scale.min_items, mean, np.nan)
        answered[:, j] = n_ans
    # person × wave rows first, scales within them (row-major ravel)
    return pd.DataFrame({
        "participant_id": np.repeat(q["participant_id"].to_numpy(), n_scales),
        "wave": np.repeat(q["wave"].to_numpy(), n_scales),
        "instrument": instrument.id,
        "scale": np.tile(np.array([s.id for s in instrument.scales], dtype=object), n_rows),
        "score": scores.ravel(),
        "n_items": answered.ravel(),
    }).astype({"participant_id": "str", "wave": "str", "instrument": "str", "scale": "str"})


def score_all(questionnaires: Mapping[str, pd.DataFrame], instruments: Mapping[str, Instrument]) -> pd.DataFrame:
    """:func:`score` every questionnaire with its instrument; one long table.

    Instruments come in the order of ``questionnaires``. A questionnaire
    without an instrument definition is an :class:`~evaltools.errors.InstrumentError`.

    >>> score_all({}, {}).columns.tolist()
    ['participant_id', 'wave', 'instrument', 'scale', 'score', 'n_items']
    """
    frames = []
    for inst_id, q in questionnaires.items():
        if inst_id not in instruments:
            raise InstrumentError(f"questionnaire q_{inst_id} has no instrument definition {inst_id!r}")
        frames.append(score(q, instruments[inst_id]))
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_scores()
    return pd.concat(frames, ignore_index=True)
