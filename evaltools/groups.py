"""Who is in which output ``group``: membership, the partition, and rows by group.

Every outcome table (change, reliable change, attrition, sensitivity) has one
row per instrument × scale × group: ``all`` (everyone), each programme
component, each ``participants.group`` value. This module decides who
belongs to each group, once, so that the tables and the suppression of small
cells (:func:`evaltools.suppression.suppress_small_cells`) agree on it:

- :func:`group_membership`: one row per person × group;
- :func:`group_order`: the order of group rows (``all`` first);
- :func:`partition`: the groups that partition the people (the
  ``participants.group`` values; components overlap and do not);
- :func:`by_group`: a per-person table repeated under ``all`` and each of the
  person's groups, ready for ``groupby([..., "group"])``;
- :func:`text_codes` and :func:`coded_members`: ids and membership as
  integers, each big column hashed once however many tables ask
  (:func:`evaltools.codes.factorize`), and :func:`member_rows`: the rows of
  :func:`by_group` from those integers;
- :func:`people_by_cell`: the set of people behind each row of a table (as
  integer codes), from which the suppression decides which rows are nested
  in which;
- :func:`without_repeats_of_all`: a table without the group rows that hold
  exactly the people of their ``all`` row (the same data are not shown, nor
  tested, twice: an instrument only the youth answered has ``all`` = ``youth``).

Examples
--------
>>> p = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "components": ["youth", "youth;legal", None],
...                   "group": ["G1", "G1", "G2"]})
>>> m = group_membership(p)
>>> group_order(m), sorted(partition(m))
(['all', 'youth', 'legal', 'G1', 'G2'], ['G1', 'G2'])
>>> pairs = pd.DataFrame({"scale": "s", "participant_id": ["P1", "P2"], "diff": [1.0, 2.0]})
>>> long = by_group(pairs, m)
>>> cells = pd.DataFrame({"scale": "s", "group": ["all", "legal", "G2"]})
>>> [sorted(s) for s in people_by_cell(long, cells, keys=["scale", "group"])]   # P1 is 0, P2 is 1
[[0, 1], [1], []]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from evaltools.codes import factorize
from evaltools.schema import CODES, split_codes
from evaltools.suppression import CodedPeople

MEMBERSHIP_COLUMNS = ["participant_id", "group"]
#: The group every person belongs to.
ALL = "all"
_NOBODY = CodedPeople([])


def text_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of ``column`` and the text each stands for: ``column.astype("str")`` factorised, hashed once.

    Codes are 0, 1, ... in order of first appearance; a missing value is
    one more code (the last), standing for NaN in the returned Index, as
    ``pd.factorize(column.astype("str"), use_na_sentinel=False)`` would
    treat it (only its number may differ). The hashing is
    :func:`evaltools.codes.factorize` of the column itself, so a second
    caller with the same column hashes nothing.

    >>> c, text = text_codes(pd.Series(["b", None, 3, "b"], dtype=object))
    >>> c.tolist(), text.tolist()
    ([0, 2, 1, 0], ['b', '3', nan])
    """
    codes, uniques = factorize(column)
    text = pd.Index(uniques).astype("str")
    if not text.is_unique:  # distinct values spelled alike as text (1 and "1"): one code
        merged, text = pd.factorize(text)
        codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
    missing = codes < 0
    if missing.any():
        return np.where(missing, len(text), codes), text.append(pd.Index([np.nan], dtype=text.dtype))
    return np.asarray(codes, dtype="int64"), text


def group_membership(participants: pd.DataFrame) -> pd.DataFrame:
    """Who belongs to which output ``group``: ``all``, each component, each ``participants.group`` value.

    A person appears once under ``all``, once under each of their components
    and once under their ``group`` (when they have one, as written). Groups
    come in that order (components in the contract's order, group values
    sorted), people in the order of ``participants``. A ``group`` value
    spelled like ``all`` or a component code is merged with it (name
    groups distinctly, e.g. ``G1``).

    Examples
    --------
    >>> p = pd.DataFrame({"participant_id": ["P1", "P2"], "components": ["self_help;legal", "youth"],
    ...                   "group": ["G2", None]})
    >>> group_membership(p).groupby("group", sort=False).size().to_dict()
    {'all': 2, 'youth': 1, 'self_help': 1, 'legal': 1, 'G2': 1}
    """
    pid = participants["participant_id"].astype("str").reset_index(drop=True)
    frames = [pd.DataFrame({"participant_id": pid, "group": ALL, "_o": 0})]
    comps = participants.get("components", pd.Series([None] * len(pid))).reset_index(drop=True)
    comp = pd.DataFrame({"participant_id": pid, "group": comps.map(split_codes)}).explode("group").dropna()
    rank = {c: i + 1 for i, c in enumerate(CODES["component"])}
    comp["_o"] = comp["group"].map(rank).fillna(len(rank) + 1)
    frames.append(comp)
    grp = participants.get("group", pd.Series([None] * len(pid))).reset_index(drop=True)
    grp = pd.DataFrame({"participant_id": pid, "group": grp.astype("str")}).dropna()
    grp = grp[grp["group"].str.strip() != ""]
    grp["_o"] = len(rank) + 2
    frames.append(grp)
    out = pd.concat([f for f in frames if len(f)], ignore_index=True)
    out["_i"] = np.arange(len(out))
    out = out.sort_values(["_o", "group", "_i"], kind="stable") if len(out) else out
    out = out.drop_duplicates(MEMBERSHIP_COLUMNS)
    return out[MEMBERSHIP_COLUMNS].reset_index(drop=True).astype({"participant_id": "str", "group": "str"})


def as_membership(membership: pd.DataFrame) -> pd.DataFrame:
    """``membership`` reduced to its two columns as text (the form every function here expects)."""
    return membership[MEMBERSHIP_COLUMNS].astype({"participant_id": "str", "group": "str"})


def group_order(membership: pd.DataFrame) -> list[str]:
    """The order of a table's group rows: ``all``, then the groups of ``membership`` as they come.

    >>> group_order(pd.DataFrame({"participant_id": ["A", "A"], "group": ["G1", "all"]}))
    ['all', 'G1']
    """
    groups = [g for g in pd.unique(membership["group"].dropna()) if g != ALL]
    return [ALL, *groups]


def partition(membership: pd.DataFrame, groups: Iterable | None = None) -> frozenset:
    """The groups that partition the people: ``groups`` when given, else every group neither ``all`` nor a component.

    >>> sorted(partition(pd.DataFrame({"participant_id": list("ABC"), "group": ["all", "youth", "G1"]})))
    ['G1']
    """
    if groups is not None:
        return frozenset(groups)
    return frozenset(g for g in membership["group"].dropna().unique() if g != ALL and g not in CODES["component"])


def coded_members(membership: pd.DataFrame, people: pd.Index) -> tuple[list[str], np.ndarray, np.ndarray]:
    """:func:`group_order` of ``membership`` and its members beyond ``all`` as integers, for a table of ``people``.

    Returns ``(groups, person, group)``: per distinct person × group of
    ``membership`` other than ``all`` whose person is in ``people`` (text
    ids, as from :func:`text_codes`), in the order of ``membership``: the
    person's position in ``people`` and the group's in ``groups``. The id
    and group columns are compared as text (as :func:`as_membership`) and
    hashed once however many tables ask (:func:`text_codes`).

    >>> m = pd.DataFrame({"participant_id": ["A", "B", "A", "C", "B", "A"],
    ...                   "group": ["all", "all", "G1", "G1", "youth", "G1"]})
    >>> groups, person, group = coded_members(m, pd.Index(["B", "A"]))
    >>> groups, person.tolist(), group.tolist()
    (['all', 'G1', 'youth'], [1, 0], [1, 2])
    """
    id_code, ids = text_codes(membership["participant_id"])
    group_code, names = text_codes(membership["group"])
    groups = group_order(pd.DataFrame({"group": names}))
    person = people.get_indexer(ids)[id_code]
    group = pd.Index(groups).get_indexer(names)[group_code]
    pair = person.astype("int64") * (len(groups) + 1) + group
    known = (person >= 0) & (group >= 0) & (group != groups.index(ALL)) & ~pd.Series(pair).duplicated().to_numpy()
    return groups, person[known], group[known]


def member_rows(person: np.ndarray, member_person: np.ndarray, member_group: np.ndarray, *,
                all_group: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The rows of :func:`by_group` as integers, from a per-person table's person codes and :func:`coded_members`.

    ``person`` is each row's person (non-negative codes), ``member_person``
    and ``member_group`` the members beyond ``all``. Returns ``(row, group)``:
    every row under ``all_group`` first, then each row under each of its
    person's groups (rows in order, each one's groups in the members' order).

    >>> [x.tolist() for x in member_rows(np.array([1, 0, 1]), np.array([0, 1, 0]), np.array([2, 1, 1]))]
    [[0, 1, 2, 0, 1, 1, 2], [0, 0, 0, 1, 2, 1, 1]]
    """
    person = np.asarray(person, dtype="int64")
    n_people = int(max(person.max(initial=-1), np.max(member_person, initial=-1))) + 1
    order = np.argsort(member_person, kind="stable")               # each person's groups, in the members' order
    count = np.bincount(member_person, minlength=n_people)
    start = np.cumsum(count) - count
    times = count[person]
    rep = np.repeat(np.arange(len(person)), times)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(times) - times, times)
    group = np.asarray(member_group, dtype="int64")[order[start[person[rep]] + within]]
    return np.r_[np.arange(len(person)), rep], np.r_[np.full(len(person), all_group, dtype="int64"), group]


def by_group(frame: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (one row per person × anything, with ``participant_id``) under ``all`` and each group of its person.

    Rows of ``all`` come first, then the group rows (each row of ``frame``
    under its person's groups in the order of ``membership``); a ``group``
    column is added.
    """
    members = membership.loc[membership["group"] != ALL, MEMBERSHIP_COLUMNS].drop_duplicates()
    in_groups = frame.merge(members, on="participant_id", how="inner", sort=False)
    return pd.concat([frame.assign(group=ALL), in_groups], ignore_index=True)


def group_rows(participant_id: pd.Series, membership: pd.DataFrame,
               groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of :func:`by_group` as integers: each one's row of the frame, group and person.

    For a frame whose ``participant_id`` is given: ``row`` (its position in
    the frame), ``group`` (the position of its group in ``groups``, which
    holds every group of ``membership``) and ``person`` (a code of its id:
    0, 1, ... in order of first appearance in ``participant_id``; -1 for a
    missing id), in the order of :func:`by_group`'s rows. Computed on
    integer codes (:func:`coded_members`, :func:`member_rows`; ids compared
    as text): no join of text ids, one pass at 100,000 people.

    >>> m = pd.DataFrame({"participant_id": ["A", "B", "A", "B"], "group": ["all", "all", "G1", "youth"]})
    >>> [x.tolist() for x in group_rows(pd.Series(["B", "A", "B"]), m, ["all", "youth", "G1"])]
    [[0, 1, 2, 0, 1, 2], [0, 0, 0, 1, 2, 1], [0, 1, 0, 0, 1, 0]]
    """
    person, people = text_codes(participant_id)
    if len(people) and pd.isna(people[-1]):  # a missing id: a person of no group, coded -1
        person, people = np.where(person == len(people) - 1, -1, person), people[:-1]
    order, member_person, member_group = coded_members(membership, people)
    member_group = pd.Index(groups).get_indexer(order)[member_group]
    row, group = member_rows(np.where(person >= 0, person, len(people)), member_person, member_group,
                             all_group=list(groups).index(ALL))
    return row, group, person[row]


def people_by_cell(long: pd.DataFrame, cells: pd.DataFrame, *, keys: Sequence[str]) -> pd.Series:
    """The set of ``participant_id`` of ``long`` behind each row of ``cells`` (matched on ``keys``), as integer codes.

    Returns a Series of sets (:class:`evaltools.suppression.CodedPeople`, which
    compare like frozensets of ints) aligned with ``cells`` (empty where no row
    of ``long`` matches): the people a table row describes, which
    :func:`evaltools.suppression.suppress_small_cells` compares to find nested rows.
    A person is the code of their id in ``long``: its rank in order of first
    appearance (0, 1, ...), so that the sets are cheap to build and compare at
    100,000 people. Codes are comparable only among the sets of one call
    (another ``long``, even a subset of this one, codes its people afresh),
    unless the ids are already small non-negative integer codes: those are
    kept as they are, so that calls on parts of one coded table compare.

    >>> long = pd.DataFrame({"group": ["all", "all", "G1"], "participant_id": ["B", "A", "B"]})
    >>> people_by_cell(long, pd.DataFrame({"group": ["all", "G1", "G2"]}), keys=["group"]).tolist()
    [CodedPeople([0, 1]), CodedPeople([0]), CodedPeople([])]
    """
    keys = list(keys)
    if len(long) == 0 or len(cells) == 0:
        return pd.Series([_NOBODY] * len(cells), index=cells.index, dtype=object)
    # split by cell with numpy, not one pandas call per cell: a table of 100,000 people has cells of tens of thousands
    group = long.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    ids = long["participant_id"]
    if pd.api.types.is_integer_dtype(ids) and ids.min() >= 0 and ids.max() < 4 * len(ids) + 1024:
        codes = ids.to_numpy(dtype="int64")  # already codes (e.g. of a whole table of which ``long`` is a part)
    else:
        codes, uniques = pd.factorize(ids if pd.api.types.is_integer_dtype(ids) else ids.astype("str"))
        codes = np.where(codes < 0, len(uniques), codes)  # a missing id: one more person
    values = cell_people(group, codes, int(group.max()) + 1)
    first_row = np.full(len(values), len(long), dtype="int64")
    np.minimum.at(first_row, group, np.arange(len(long)))
    firsts = long.iloc[first_row][keys]
    index = pd.MultiIndex.from_frame(firsts) if len(keys) > 1 else pd.Index(firsts[keys[0]])
    where = index.get_indexer(pd.MultiIndex.from_frame(cells[keys]) if len(keys) > 1 else cells[keys[0]])
    return pd.Series([values[i] if i >= 0 else _NOBODY for i in where], index=cells.index, dtype=object)


def cell_people(cell: np.ndarray, person: np.ndarray, n_cells: int) -> np.ndarray:
    """The people of each cell 0 … ``n_cells`` − 1, given each row's ``cell`` and ``person`` (non-negative integers).

    An object array of :class:`evaltools.suppression.CodedPeople` (a cell
    without rows: nobody), from one sort of (cell, person) integers: what
    :func:`people_by_cell` gives when the cells are already numbered
    (:func:`coded_sets` of :func:`cell_codes`).

    >>> cell_people(np.array([1, 0, 1, 1]), np.array([5, 2, 3, 5]), 3).tolist()
    [CodedPeople([2]), CodedPeople([3, 5]), CodedPeople([])]
    """
    return coded_sets(*cell_codes(cell, person, n_cells))


def cell_codes(cell: np.ndarray, person: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cell_people` as flat integers: each cell's distinct people, sorted, one cell after another.

    Returns ``(code, bounds)``: cell ``i`` holds ``code[bounds[i]:bounds[i + 1]]``.

    >>> [x.tolist() for x in cell_codes(np.array([1, 0, 1, 1]), np.array([5, 2, 3, 5]), 3)]
    [[2, 3, 5], [0, 1, 3, 3]]
    """
    cell, person = np.asarray(cell, dtype="int64"), np.asarray(person, dtype="int64")
    n_codes = max(int(person.max(initial=-1)) + 1, 1)
    # (np.unique hashes: slower at this size); a stable sort (timsort) finds the runs of a table in order: 4x faster
    both = np.sort(cell * n_codes + person, kind="stable")
    both = both[np.r_[True, both[1:] != both[:-1]]] if len(both) else both
    bounds = np.searchsorted(both, np.arange(n_cells + 1) * n_codes, side="left")
    return both - np.repeat(np.arange(n_cells) * n_codes, np.diff(bounds)), bounds


def coded_sets(code: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """The sets of :func:`cell_codes`: an object array of :class:`evaltools.suppression.CodedPeople`, one per cell."""
    out = np.empty(len(bounds) - 1, dtype=object)
    out[:] = [CodedPeople(code[a:b]) for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]
    return out


def grid_of_all(n_keys: int, groups: Sequence[str]) -> np.ndarray:
    """For each cell of a grid of ``n_keys`` keys × ``groups`` (groups fastest), the cell of its ``all`` group.

    >>> grid_of_all(2, ["all", "G1"]).tolist()
    [0, 0, 2, 2]
    """
    groups = list(groups)
    return np.repeat(np.arange(n_keys) * len(groups) + groups.index(ALL), len(groups))


def repeats_of_all(people: Sequence, of_all: np.ndarray) -> np.ndarray:
    """Which cells hold exactly the people of their ``all`` cell (and somebody): a boolean array.

    ``people`` are the sets of the cells (e.g. :func:`cell_people`),
    ``of_all[i]`` the position of the ``all`` cell of cell ``i`` (``i``
    itself for an ``all`` cell, -1 for none): the rows
    :func:`without_repeats_of_all` drops.

    >>> repeats_of_all([frozenset({1, 2}), frozenset({1, 2}), frozenset({1}), frozenset()], np.array([0, 0, 0, 0]))
    array([False,  True, False, False])
    """
    of_all = np.asarray(of_all, dtype="int64")
    sizes = np.fromiter(map(len, people), dtype="int64", count=len(people))
    here = np.arange(len(people))
    maybe = (of_all >= 0) & (of_all != here) & (sizes > 0)
    maybe[maybe] = sizes[maybe] == sizes[of_all[maybe]]
    out = np.zeros(len(people), dtype=bool)
    for i in np.flatnonzero(maybe).tolist():  # only cells as large as their `all` cell are compared
        out[i] = people[i] == people[of_all[i]]
    return out


def grid_people(cell: np.ndarray, person: np.ndarray, n_keys: int,
                groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The people of each cell of a grid of ``n_keys`` keys × ``groups`` (groups fastest), and its repeats of ``all``.

    ``cell`` and ``person`` say, for each row of a :func:`group_rows` table,
    its cell of the grid (key × len(groups) + group) and its person. Returns
    :func:`cell_people` of the grid and :func:`repeats_of_all` (the cells
    :func:`without_repeats_of_all` drops), on integers throughout.

    >>> people, repeat = grid_people(np.array([0, 1, 2, 3, 5]), np.array([7, 7, 7, 8, 8]), 2, ["all", "G1", "G2"])
    >>> [sorted(p) for p in people], repeat.tolist()
    ([[7], [7], [7], [8], [], [8]], [False, True, True, False, False, True])
    """
    people = cell_people(cell, person, n_keys * len(groups))
    return people, repeats_of_all(people, grid_of_all(n_keys, groups))


def without_repeats_of_all(cells: pd.DataFrame, long: pd.DataFrame, *,
                           keys: Sequence[str]) -> tuple[pd.DataFrame, pd.Series]:
    """``cells`` without the group rows that hold exactly the people of their ``all`` row, and each kept row's people.

    Every outcome table drops these rows here, before suppression: a group
    whose people (within one instrument × scale, or whatever ``keys`` name
    besides ``group``) are the very people of ``all`` would repeat the
    ``all`` row and count its test twice. A row of nobody is kept (it
    repeats no data; it is suppressed).

    Parameters
    ----------
    cells : DataFrame
        The table's rows, with the columns ``keys`` (one of them ``group``).
    long : DataFrame
        One row per person behind a cell: ``participant_id`` and ``keys``
        (:func:`by_group` of a per-person table).
    keys : sequence of str
        The columns that identify a cell, ``group`` among them.

    Returns
    -------
    (DataFrame, Series)
        The kept rows of ``cells`` (index unchanged) and their
        :func:`people_by_cell` sets, ready for
        :func:`evaltools.suppression.suppress_small_cells`.

    Examples
    --------
    Only the youth A and B answered scale ``s``; A (youth) and B (G1) answered ``t``:

    >>> long = pd.DataFrame({"scale": list("sssstttt"), "participant_id": list("ABABABAB"),
    ...                      "group": ["all", "all", "youth", "youth", "all", "all", "youth", "G1"]})
    >>> cells = pd.DataFrame({"scale": list("sssttt"), "group": ["all", "youth", "G1"] * 2})
    >>> kept, people = without_repeats_of_all(cells, long, keys=["scale", "group"])
    >>> kept.to_numpy().tolist()
    [['s', 'all'], ['s', 'G1'], ['t', 'all'], ['t', 'youth'], ['t', 'G1']]
    >>> [sorted(p) for p in people]   # A is 0, B is 1
    [[0, 1], [], [0, 1], [0], [1]]
    """
    keys = list(keys)
    people = people_by_cell(long, cells, keys=keys)
    others = [k for k in keys if k != "group"]
    is_all = (cells["group"] == ALL).to_numpy()
    key = (cells[others].groupby(others, sort=False, dropna=False).ngroup().to_numpy() if others
           else np.zeros(len(cells), dtype="int64"))
    all_of_key = np.full(int(key.max(initial=-1)) + 1, -1, dtype="int64")
    all_of_key[key[is_all]] = np.flatnonzero(is_all)  # the (last) `all` row of each key
    repeat = repeats_of_all(people.to_numpy(), np.where(is_all, np.arange(len(cells)), all_of_key[key]))
    return cells[~repeat], people[~repeat]
