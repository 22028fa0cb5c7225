"""Integer codes of a column, hashed once however many analyses ask for them (``pd.factorize``, remembered).

At 100,000 people one run's analyses factorise the same identifier columns
again and again: the scores' ``participant_id``, attendance's ids, millions
of strings each, ~0.3 s of hashing every time. :func:`factorize` returns
what :func:`pandas.factorize` returns and remembers it for the array object
it was given (the object array holding a text column's values, which the
column's wrappers share). The next call with the same array gets the same codes
back after an exact check that the array still holds the same values (an
elementwise comparison with a copy, a fraction of the hashing), so an array
edited in place is never served stale codes. The codes and uniques handed
out are read-only, so no caller can spoil them for the next one.

Only text (object or string) arrays of at least :data:`MIN_SIZE` values are
remembered, at most :data:`SIZE` of them (the least recently used leaves
first), each with a weak reference: a column that is gone frees its entry
at the next call.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Arrays shorter than this are factorised afresh (remembering them would cost more than it saves).
MIN_SIZE = 50_000
#: How many arrays are remembered at a time.
SIZE = 12


@dataclass
class _Entry:
    ref: weakref.ref
    snapshot: np.ndarray
    codes: np.ndarray
    uniques: object


_memo: OrderedDict[tuple, _Entry] = OrderedDict()


def factorize(values, *, sort: bool = False, use_na_sentinel: bool = True):
    """``pd.factorize(values, sort=sort, use_na_sentinel=use_na_sentinel)``, remembered for ``values``' array.

    ``values`` is a Series, an Index, a pandas array or a numpy array, as
    for :func:`pandas.factorize`; the result has the same types. Pass the
    column itself (``frame["participant_id"]``), not a converted copy
    (``.to_numpy()`` or ``.astype`` make a new array every time, which is
    never found again).

    >>> s = pd.Series(["b", "a", "b", None] * 20_000, dtype="str")
    >>> codes, uniques = factorize(s)
    >>> codes[:4].tolist(), list(uniques)
    ([0, 1, 0, -1], ['b', 'a'])
    >>> factorize(s)[0] is codes          # the same column: hashed once
    True
    >>> codes.flags.writeable
    False
    """
    array = values.array if isinstance(values, (pd.Series, pd.Index)) else values
    if not _memorable(array):
        return pd.factorize(values, sort=sort, use_na_sentinel=use_na_sentinel)
    # the object array that holds the values: shared by the wrappers of one column (``astype("str")`` of a
    # text column, a Series made from its array), so that each of them finds the codes
    array = np.asarray(array, dtype=object)
    _forget_dead()
    key = (id(array), type(values), bool(sort), bool(use_na_sentinel))
    entry = _memo.get(key)
    if entry is not None and entry.ref() is array and _same(array, entry.snapshot):
        _memo.move_to_end(key)
        return entry.codes, entry.uniques
    codes, uniques = _by_runs(values, array, sort=sort, use_na_sentinel=use_na_sentinel)
    codes.flags.writeable = False
    if isinstance(uniques, np.ndarray):
        uniques.flags.writeable = False
    _memo[key] = _Entry(weakref.ref(array), np.array(array, dtype=object, copy=True), codes, uniques)
    while len(_memo) > SIZE:
        _memo.popitem(last=False)
    return codes, uniques


def _by_runs(values, base: np.ndarray, *, sort: bool, use_na_sentinel: bool):
    """``pd.factorize(values)``, hashing only the first value of each run of equal neighbours.

    A long table repeats a text over consecutive rows (an instrument, a
    scale, a wave): comparing neighbours costs a fraction of hashing, and a
    value's first appearance always starts a run, so codes and uniques are
    factorize's own. Only for text columns (``str`` dtype: strings or
    missing, where ``==`` is factorize's equality) with few runs.
    """
    if not isinstance(getattr(values, "dtype", None), pd.StringDtype):
        return pd.factorize(values, sort=sort, use_na_sentinel=use_na_sentinel)
    starts = np.flatnonzero(np.r_[True, base[1:] != base[:-1]])
    if len(starts) > len(base) // 4:
        return pd.factorize(values, sort=sort, use_na_sentinel=use_na_sentinel)
    firsts = values.iloc[starts] if isinstance(values, pd.Series) else values[starts]
    codes, uniques = pd.factorize(firsts, sort=sort, use_na_sentinel=use_na_sentinel)
    return np.repeat(codes, np.diff(np.r_[starts, len(base)])), uniques


def forget() -> None:
    """Forget every remembered array (tests; memory)."""
    _memo.clear()


def _memorable(array) -> bool:
    if len(array) < MIN_SIZE:
        return False
    dtype = getattr(array, "dtype", None)
    if not (dtype == object or isinstance(dtype, pd.StringDtype)):
        return False
    try:
        weakref.ref(array)
    except TypeError:
        return False
    return True


def _same(array, snapshot: np.ndarray) -> bool:
    """Whether ``array`` holds exactly the values of ``snapshot`` (missing where it was missing)."""
    current = np.asarray(array, dtype=object)
    if current.shape != snapshot.shape:
        return False
    equal = current == snapshot
    if not isinstance(equal, np.ndarray):
        return False
    if equal.all():
        return True
    return bool(np.all(equal | (pd.isna(current) & pd.isna(snapshot))))


def _forget_dead() -> None:
    for key in [k for k, e in _memo.items() if e.ref() is None]:
        del _memo[key]
