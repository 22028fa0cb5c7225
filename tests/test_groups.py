"""Group membership, the partition and rows by group (evaltools.groups).

References are hand-made: every expected list is written out from the inputs beside it.
"""

from __future__ import annotations

import pandas as pd

from evaltools import change, groups
from evaltools.groups import (MEMBERSHIP_COLUMNS, as_membership, by_group, group_membership, group_order,
                              partition, people_by_cell)

PEOPLE = pd.DataFrame({"participant_id": ["P1", "P2", "P3"], "components": ["legal;family_support", "youth", None],
                       "group": ["G2", None, "G1"]})


def test_group_membership():
    m = group_membership(PEOPLE)
    assert m.columns.tolist() == MEMBERSHIP_COLUMNS
    # all first (people in order), then components in the contract's order, then group values sorted
    assert m.values.tolist() == [["P1", "all"], ["P2", "all"], ["P3", "all"], ["P1", "family_support"],
                                 ["P2", "youth"], ["P1", "legal"], ["P3", "G1"], ["P1", "G2"]]


def test_old_import_path_still_works():
    assert change.group_membership is groups.group_membership
    assert change.MEMBERSHIP_COLUMNS is groups.MEMBERSHIP_COLUMNS


def test_order_and_partition():
    m = group_membership(PEOPLE)
    assert group_order(m) == ["all", "family_support", "youth", "legal", "G1", "G2"]
    assert partition(m) == frozenset({"G1", "G2"})               # components overlap: not a partition
    assert partition(m, ["G1"]) == frozenset({"G1"})
    assert group_order(pd.DataFrame(columns=MEMBERSHIP_COLUMNS)) == ["all"]


def test_by_group_and_people_by_cell():
    m = as_membership(group_membership(PEOPLE))
    rows = pd.DataFrame({"scale": ["s", "s", "t"], "participant_id": ["P1", "P3", "P1"], "x": [1, 2, 3]})
    long = by_group(rows, m)
    # under all: the three rows; P1 also under family_support, legal, G2 (twice: scales s and t); P3 under G1
    assert long.groupby("group", sort=False).size().to_dict() == {"all": 3, "family_support": 2, "legal": 2,
                                                                  "G1": 1, "G2": 2}
    cells = pd.DataFrame({"scale": ["s", "s", "t", "t"], "group": ["all", "G1", "all", "youth"]})
    got = people_by_cell(long, cells, keys=["scale", "group"])
    assert got.tolist() == [frozenset({"P1", "P3"}), frozenset({"P3"}), frozenset({"P1"}), frozenset()]
    assert people_by_cell(long.iloc[:0], cells, keys=["scale", "group"]).tolist() == [frozenset()] * 4
