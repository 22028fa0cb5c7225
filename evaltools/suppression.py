"""Small-cell suppression: which rows of a table describe too few people, and blanking them.

Every table and figure hides small cells through :func:`suppress_small_cells`
(the one suppression path; docs/statistics.md#small-cells), which takes its
rows from :func:`small_cells`: below ``min_cell``, complementary within a
partition of the groups, and nested rows whose people differ by a few. The
people behind a row are given as sets, cheaply as :class:`CodedPeople`
(sorted integer codes, from :func:`evaltools.groups.people_by_cell`); the
nested pairs are searched on them as one flat array.

Examples
--------
>>> df = pd.DataFrame({"group": ["all", "A", "B"], "n": [9, 3, 6], "mean": [1.0, 2.0, 3.0]})
>>> suppress_small_cells(df, n_col="n", min_cell=5, keys=("group",), family=(),
...                      partition_groups={"A", "B"})["suppressed"].tolist()
[False, True, True]
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Sequence, Set

import numpy as np
import pandas as pd


#: Columns that count the people a row describes (not outcome counts such as ``n_improved``).
PEOPLE_COUNT_COLUMNS = ("n", "n_pairs", "n_baseline", "n_completers", "n_dropouts")


class CodedPeople(Set):
    """The people behind a table row as sorted distinct integer codes: a read-only set, cheap at 100,000 people.

    What :func:`evaltools.groups.people_by_cell` gives for :func:`small_cells`:
    a set like a ``frozenset`` of ints (``len``, ``in``, iteration, ``<``,
    ``<=``, ``==`` with any set), whose comparisons with another
    :class:`CodedPeople` are done by numpy on the codes, and whose codes
    :func:`small_cells` reads at once (``codes``: sorted, distinct int64).

    >>> a, b = CodedPeople([1, 4]), CodedPeople([0, 1, 4])
    >>> a < b, b <= a, a == frozenset({4, 1}), sorted(b), 4 in a
    (True, False, True, [0, 1, 4], True)
    """

    __slots__ = ("codes",)

    def __init__(self, codes: Iterable[int]):
        self.codes = codes if type(codes) is np.ndarray and codes.dtype == np.int64 else np.asarray(codes, "int64")

    @classmethod
    def _from_iterable(cls, it):
        return frozenset(it)

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self):
        return iter(self.codes.tolist())

    def __contains__(self, code) -> bool:
        if not isinstance(code, (int, np.integer)) or isinstance(code, bool) or not len(self.codes):
            return False
        i = min(int(np.searchsorted(self.codes, code)), len(self.codes) - 1)
        return bool(self.codes[i] == code)

    def __le__(self, other) -> bool:
        if not isinstance(other, CodedPeople):
            return Set.__le__(self, other)
        if len(self) > len(other):
            return False
        if not len(self):
            return True
        i = np.minimum(np.searchsorted(other.codes, self.codes), len(other) - 1)
        return bool((other.codes[i] == self.codes).all())

    def __lt__(self, other) -> bool:
        if not isinstance(other, CodedPeople):
            return Set.__lt__(self, other)
        return len(self) < len(other) and self <= other

    def __eq__(self, other) -> bool:
        if not isinstance(other, CodedPeople):
            return Set.__eq__(self, other)
        return bool(np.array_equal(self.codes, other.codes))

    __hash__ = Set._hash

    def __repr__(self) -> str:
        return f"CodedPeople({self.codes.tolist()})"


def small_cells(
    df: pd.DataFrame,
    *,
    n_col: str,
    min_cell: int,
    family: Sequence[str] = ("instrument", "scale"),
    partition_groups: Iterable = frozenset(),
    group_col: str = "group",
    people: Sequence[frozenset] | None = None,
    count_cols: Sequence[str] | None = None,
) -> np.ndarray:
    """Which rows of a table to suppress (docs/statistics.md#small-cells): a boolean array aligned with ``df``.

    Three rules, applied until nothing changes:

    1. a row whose ``n_col`` is below ``min_cell``, or 0, is suppressed;
    2. complementary: within one ``family`` (e.g. one instrument × scale),
       where exactly one of the ``partition_groups`` (values of ``group_col``
       that partition the people of ``all``) is suppressed, the next smallest
       of them is suppressed too, so that it cannot be recovered by
       subtracting the others from ``all``;
    3. nested (when ``people`` is given: the set of participant ids each row
       describes, in the order of the rows, e.g. from
       :func:`evaltools.groups.people_by_cell`): for every pair of shown rows of one family whose
       people are nested (the smaller's within the larger's), when in any of
       ``count_cols`` (columns counting the row's people; by default those of
       :data:`PEOPLE_COUNT_COLUMNS` in ``df``) the larger holds 1 to
       ``min_cell`` − 1 people more, the smaller row is suppressed: its
       numbers could otherwise be subtracted from the larger's to describe
       those few people.

    Nesting is decided from the people (sets of ids), never from the counts.
    Rows are only ever added, so the rows hidden by rules 1–2 alone stay hidden.

    Examples
    --------
    >>> df = pd.DataFrame({"scale": "s", "group": ["all", "youth", "G1", "G2"], "n_pairs": [12, 10, 6, 6]})
    >>> ids = [frozenset(range(12)), frozenset(range(10)), frozenset(range(6)), frozenset(range(6, 12))]
    >>> small_cells(df, n_col="n_pairs", min_cell=5, family=["scale"], people=ids).tolist()
    [False, True, False, False]
    """
    n = pd.to_numeric(df[n_col], errors="coerce").fillna(0).to_numpy(dtype="float64")
    small = (n < min_cell) | (n == 0)
    fam_cols = [c for c in family if c in df.columns]
    if fam_cols and len(df):
        fam = df[fam_cols].astype(object).where(df[fam_cols].notna(), "").groupby(fam_cols, sort=False).ngroup()
        fam = fam.to_numpy()
    else:
        fam = np.zeros(len(df), dtype="int64")
    families = [np.flatnonzero(fam == f) for f in pd.unique(fam)]
    partition_groups = frozenset(partition_groups)
    in_partition = (df[group_col].isin(partition_groups).to_numpy() if partition_groups and group_col in df.columns
                    else np.zeros(len(df), dtype=bool))
    nested = _nested_pairs(families, list(people), df, count_cols, min_cell) if people is not None else []

    changed = True
    while changed:
        changed = False
        for rows in families:
            part = rows[in_partition[rows]]
            if small[part].sum() == 1 and len(part) > 1:
                rest = part[~small[part]]
                small[rest[np.argsort(n[rest], kind="stable")[0]]] = True
                changed = True
        for smaller, larger in nested:
            if not small[smaller] and not small[larger]:
                small[smaller] = True
                changed = True
    return small


def _nested_pairs(families: list, people: list, df: pd.DataFrame, count_cols: Sequence[str] | None,
                  min_cell: int) -> list[tuple[int, int]]:
    """(smaller, larger) row pairs of one family with nested people and a count 1 to min_cell − 1 apart."""
    cols = [c for c in (PEOPLE_COUNT_COLUMNS if count_cols is None else count_cols) if c in df.columns]
    if not cols:
        return []
    counts = df[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64")
    flat = _FlatPeople.of(people)
    sizes = flat.lengths if flat is not None else np.array([len(p) for p in people], dtype="int64")
    pairs = []
    block = 256  # rows i at a time: the gap array is block × family size × columns
    for rows in families:
        rows = np.asarray(rows)
        if len(rows) > block:  # thousands of groups: candidates from shared people, not from every pair of rows
            i, j = _nested_candidates_large(rows, people, sizes, counts, min_cell, flat)
        else:
            i, j = _nested_candidates(rows, sizes, counts, min_cell, block)
        pairs += _strictly_within(i, j, people, flat)
    return pairs


def _nested_candidates(rows: np.ndarray, sizes: np.ndarray, counts: np.ndarray, min_cell: int,
                       block: int) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (i, j) of ``rows`` (ordered by i, then j) with a count 1 to min_cell − 1 apart and i the smaller."""
    found = []
    for start in range(0, len(rows), block):
        ii = rows[start:start + block]
        gap = counts[rows][None, :, :] - counts[ii][:, None, :]
        near = ((gap >= 1) & (gap <= min_cell - 1)).any(axis=2)
        # a strict subset has fewer people: only those pairs need the set comparison (row-major: i, then j)
        near &= sizes[ii][:, None] < sizes[rows][None, :]
        a, b = np.nonzero(near)
        found.append((ii[a], rows[b]))
    if not found:
        return np.zeros(0, dtype="int64"), np.zeros(0, dtype="int64")
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def _strictly_within(i: np.ndarray, j: np.ndarray, people: list, flat: _FlatPeople | None) -> list[tuple[int, int]]:
    """The pairs (i, j) whose people ``people[i] < people[j]``, in the order given."""
    if flat is None:
        return [(a, b) for a, b in zip(i.tolist(), j.tolist()) if people[a] < people[b]]
    keep = flat.within(i, j)
    return list(zip(i[keep].tolist(), j[keep].tolist()))


class _FlatPeople:
    """Every row's :class:`CodedPeople` as one array: each distinct set's codes once, sorted by (set, code).

    ``which`` gives each row's set (rows sharing one object share its codes: a table that repeats a row's people
    under several methods flattens them once), ``starts`` and ``lengths`` each row's slice of ``codes``.
    """

    def __init__(self, arrays: list, which: np.ndarray):
        lengths = np.fromiter(map(len, arrays), dtype="int64", count=len(arrays))
        self.which = which
        self.lengths = lengths[which]
        self.starts = (np.cumsum(lengths) - lengths)[which]
        self.codes = np.concatenate(arrays).astype("int64", copy=False) if arrays else np.zeros(0, dtype="int64")
        self._set_lengths = lengths

    @functools.cached_property
    def base(self) -> int:
        return int(self.codes.max(initial=-1)) + 1

    @functools.cached_property
    def key(self) -> np.ndarray:
        """One sorted key per member: set × base + code (the codes are sorted within each set)."""
        sets = np.repeat(np.arange(len(self._set_lengths), dtype="int64"), self._set_lengths)
        return sets * self.base + self.codes

    @classmethod
    def of(cls, people) -> _FlatPeople | None:
        """The people as one array when every one is a :class:`CodedPeople`, else None."""
        people = list(people)
        try:
            which, ids = pd.factorize(np.fromiter(map(id, people), dtype="uint64", count=len(people)))
        except OverflowError:  # pragma: no cover - an id beyond 64 bits
            return None
        one = np.zeros(len(ids), dtype="int64")
        one[which] = np.arange(len(people))  # a row of each distinct object (any: they are the same object)
        distinct = [people[k] for k in one.tolist()]
        if set(map(type, distinct)) - {CodedPeople}:
            return None
        return cls([p.codes for p in distinct], which.astype("int64"))

    def members(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The members of ``rows``: each one's place in ``rows`` and its code, by (place, code)."""
        lengths = self.lengths[rows]
        owner = np.repeat(np.arange(len(rows)), lengths)
        at = np.repeat(self.starts[rows] - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        return owner, self.codes[at]

    def within(self, i: np.ndarray, j: np.ndarray, chunk: int = 4_000_000) -> np.ndarray:
        """Whether the people of row i are a strict subset of those of row j, for each pair (a boolean array)."""
        keep = np.zeros(len(i), dtype=bool)
        smaller = self.lengths[i] < self.lengths[j]
        pending = np.flatnonzero(smaller)
        while len(pending):
            size = np.cumsum(self.lengths[i[pending]])
            take = pending[:max(int(np.searchsorted(size, chunk, "right")), 1)]
            pending = pending[len(take):]
            owner, code = self.members(i[take])
            target = self.which[j[take]][owner] * self.base + code
            pos = np.minimum(np.searchsorted(self.key, target), len(self.key) - 1)
            missing = np.bincount(owner[self.key[pos] != target], minlength=len(take)) if len(owner) else 0
            keep[take] = missing == 0
        return keep


def _nested_candidates_large(rows: np.ndarray, people: list, sizes: np.ndarray, counts: np.ndarray, min_cell: int,
                             flat: _FlatPeople | None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_nested_candidates` of one large family: the pairs that may nest, ordered by i, then j.

    A row's people lie within another's only if its smallest person (by
    code: the integers of :func:`evaltools.groups.people_by_cell` as they
    are, other ids factorised) is among the other's: rows sharing that person are found by one
    sorted search over (row, person) codes, and only they are kept.
    """
    if flat is not None:  # people_by_cell's sets: their codes, sorted already
        owner, codes = flat.members(rows)
        return _nested_by_first(rows, owner, codes, flat.lengths[rows], sizes, counts, min_cell)
    members = [people[r] for r in rows]
    lengths = np.array([len(m) for m in members], dtype="int64")
    flat_members = itertools.chain.from_iterable(members)
    first = next((next(iter(m)) for m in members if len(m)), None)
    if isinstance(first, (int, np.integer)) and not isinstance(first, bool):  # integer codes
        try:
            codes = np.fromiter(flat_members, dtype="int64", count=int(lengths.sum()))
        except (TypeError, ValueError, OverflowError):  # not all integers after all
            codes = pd.factorize(np.fromiter(itertools.chain.from_iterable(members), dtype=object,
                                             count=int(lengths.sum())))[0]
    else:
        codes = pd.factorize(np.fromiter(flat_members, dtype=object, count=int(lengths.sum())))[0]
    owner = np.repeat(np.arange(len(rows)), lengths)
    order = np.lexsort((codes, owner))
    return _nested_by_first(rows, owner[order], codes[order], lengths, sizes, counts, min_cell)


def _nested_by_first(rows: np.ndarray, owner: np.ndarray, codes: np.ndarray, lengths: np.ndarray,
                     sizes: np.ndarray, counts: np.ndarray, min_cell: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_nested_candidates_large` given each row's people as codes sorted by (row, code): ``owner``, ``codes``."""
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    full = lengths > 0
    rep = np.full(len(rows), -1, dtype="int64")
    rep[full] = codes[starts[full]]
    # (row j, person c) for every member, sorted by c; rows i whose smallest person is c: pairs i → j sharing it
    by_code = np.argsort(codes, kind="stable")
    sorted_codes, holder = codes[by_code], owner[by_code]
    first_i = np.flatnonzero(full)
    start = np.searchsorted(sorted_codes, rep[full], "left")
    n_j = np.searchsorted(sorted_codes, rep[full], "right") - start
    at = np.repeat(start - (np.cumsum(n_j) - n_j), n_j) + np.arange(int(n_j.sum()))
    cand = np.column_stack([np.repeat(first_i, n_j), holder[at]])
    empty = np.flatnonzero(~full)  # nobody: within every row that has people
    if len(empty):
        cand = np.r_[cand, np.array(np.meshgrid(empty, np.flatnonzero(full), indexing="ij")).reshape(2, -1).T]
    i, j = cand[:, 0], cand[:, 1]
    gap = counts[rows[j]] - counts[rows[i]]
    keep = (sizes[rows[i]] < sizes[rows[j]]) & ((gap >= 1) & (gap <= min_cell - 1)).any(axis=1)
    i, j = i[keep], j[keep]
    sort = np.lexsort((j, i))
    return rows[i[sort]], rows[j[sort]]


def suppress_small_cells(
    df: pd.DataFrame,
    *,
    n_col: str,
    min_cell: int,
    keys: Sequence[str],
    family: Sequence[str] = ("instrument", "scale"),
    partition_groups: Iterable = frozenset(),
    group_col: str = "group",
    people: Sequence[frozenset] | None = None,
    count_cols: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Blank the small cells of a table (docs/statistics.md#small-cells): the one suppression path of every table.

    Rows are chosen by :func:`small_cells` (below ``min_cell``, complementary
    within ``partition_groups``, nested rows given ``people``). Every table
    and figure hides small cells through it, a table without groups too
    (``family=()`` and no ``people``: only the ``min_cell`` rule). A suppressed
    row keeps ``keys``, ``n_col`` and ``suppressed = True``; every other
    column is emptied. ``suppressed`` keeps its place when ``df`` has one.

    Examples
    --------
    >>> df = pd.DataFrame({"instrument": "x", "scale": "s", "group": ["all", "A", "B", "C"],
    ...                    "n_pairs": [30, 3, 12, 15], "mean_diff": [0.1, 0.2, 0.3, 0.4]})
    >>> out = suppress_small_cells(df, n_col="n_pairs", min_cell=5, keys=("instrument", "scale", "group"),
    ...                            partition_groups={"A", "B", "C"})
    >>> out["suppressed"].tolist()
    [False, True, True, False]
    >>> out["mean_diff"].isna().tolist()
    [False, True, True, False]
    """
    out = df.copy()
    small = small_cells(out, n_col=n_col, min_cell=min_cell, family=family, partition_groups=partition_groups,
                        group_col=group_col, people=people, count_cols=count_cols)
    keep = set(keys) | {n_col, "suppressed"}
    if small.any():
        for col in out.columns:
            if col in keep:
                continue
            if pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
                out[col] = out[col].astype("float64")
            else:
                out[col] = out[col].astype(object)
            out.loc[small, col] = np.nan
    out["suppressed"] = small
    return out
