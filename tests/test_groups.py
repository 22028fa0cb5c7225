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
    # people as codes, in order of first appearance in long: P1 is 0, P3 is 1
    assert got.tolist() == [frozenset({0, 1}), frozenset({1}), frozenset({0}), frozenset()]
    assert people_by_cell(long.iloc[:0], cells, keys=["scale", "group"]).tolist() == [frozenset()] * 4


def test_without_repeats_of_all_drops_only_non_empty_repeats():
    from evaltools.groups import without_repeats_of_all

    long = pd.DataFrame({"instrument": "i", "scale": ["s"] * 4 + ["t"] * 3,
                         "participant_id": list("ABAB") + list("AAB"),
                         "group": ["all", "all", "youth", "youth", "all", "youth", "all"]})
    cells = pd.DataFrame({"instrument": "i", "scale": list("sssttt"), "group": ["all", "youth", "G1"] * 2})
    kept, people = without_repeats_of_all(cells, long, keys=["instrument", "scale", "group"])
    # s: youth holds A and B = all -> dropped; G1 holds nobody -> kept (suppressed later); t: youth holds A of A, B
    assert kept.index.tolist() == [0, 2, 3, 4, 5]
    a, b = 0, 1  # people as codes in order of first appearance
    assert people.tolist() == [frozenset({a, b}), frozenset(), frozenset({a, b}), frozenset({a}), frozenset()]


def test_every_group_table_drops_a_group_that_repeats_all():
    """independence answered by the youth only (all = youth); empowerment by everyone: youth kept there."""
    import numpy as np

    from evaltools.attrition import attrition, sensitivity
    from evaltools.change import paired_change
    from evaltools.clustering import clustered_change
    from evaltools.instruments import LIBRARY, load_instrument
    from evaltools.reliable_change import reliable_change

    insts = {i: load_instrument(LIBRARY / f"{i}.yaml") for i in ("empowerment", "independence")}
    ids = [f"P{i:02d}" for i in range(24)]
    participants = pd.DataFrame({"participant_id": ids, "family_id": [f"F{i // 2}" for i in range(24)],
                                 "components": ["youth"] * 12 + ["self_help"] * 12,
                                 "group": (["G1"] * 6 + ["G2"] * 6) * 2})
    rng = np.random.default_rng(0)
    rows = []
    for inst_id, people in (("empowerment", ids), ("independence", ids[:12])):
        for scale in insts[inst_id].scales:
            for pid in people:
                pre = float(rng.integers(1, 4))
                rows.append((pid, "baseline", inst_id, scale.id, pre))
                if pid not in ("P03", "P20"):                         # two dropouts
                    rows.append((pid, "endline", inst_id, scale.id, pre + float(rng.integers(0, 2))))
    scores = pd.DataFrame(rows, columns=["participant_id", "wave", "instrument", "scale", "score"])
    membership = group_membership(participants)
    tables = {
        "change": paired_change(scores, membership=membership, instruments=insts),
        "reliable_change": reliable_change(scores, instruments=insts, membership=membership),
        "attrition": attrition(scores, participants, membership=membership),
        "sensitivity": sensitivity(scores, participants, membership=membership),
        "clustered_change": clustered_change(scores, participants, membership=membership, min_cell=5,
                                             instruments=insts),
    }
    for name, table in tables.items():
        emp = set(table.loc[table["instrument"] == "empowerment", "group"])
        ind = set(table.loc[table["instrument"] == "independence", "group"])
        assert emp == {"all", "youth", "self_help", "G1", "G2"}, name
        assert ind == {"all", "self_help", "G1", "G2"}, name          # self_help holds nobody: kept, suppressed
        assert table.loc[(table["instrument"] == "independence") & (table["group"] == "self_help"),
                         "suppressed"].all(), name


def test_people_of_parts_of_one_coded_table_compare():
    # attrition.sensitivity compares the completers of a cell with everyone of it: one coding for both calls
    from evaltools.groups import people_by_cell

    long = pd.DataFrame({"group": ["all"] * 4, "participant_id": ["D", "C", "B", "A"]})
    coded = long.assign(participant_id=pd.factorize(long["participant_id"])[0])
    cells = pd.DataFrame({"group": ["all"]})
    everyone = people_by_cell(coded, cells, keys=["group"]).iloc[0]
    later = people_by_cell(coded.iloc[2:], cells, keys=["group"]).iloc[0]  # B and A only
    assert later < everyone and later == frozenset({2, 3})
    # text ids are coded afresh per call: the same two people, numbered from 0
    assert people_by_cell(long.iloc[2:], cells, keys=["group"]).iloc[0] == frozenset({0, 1})


def test_group_rows_are_the_rows_of_by_group_as_integers():
    # group_rows (issue 18) against by_group: the same rows in the same order, a person without a group, a person
    # in two groups, an id missing from membership, a repeated membership row
    import numpy as np

    from evaltools.groups import group_rows

    m = pd.DataFrame({"participant_id": ["A", "B", "C", "A", "A", "B", "A"],
                      "group": ["all", "all", "all", "G1", "youth", "G2", "G1"]})
    frame = pd.DataFrame({"participant_id": ["B", "A", "C", "Z", "A"], "x": [1, 2, 3, 4, 5]})
    groups = group_order(m)
    row, group, person = group_rows(frame["participant_id"], m, groups)
    expected = by_group(frame, m)
    assert frame["x"].to_numpy()[row].tolist() == expected["x"].tolist() == [1, 2, 3, 4, 5, 1, 2, 2, 5, 5]
    assert np.array(groups)[group].tolist() == expected["group"].tolist()
    assert person.tolist() == [0, 1, 2, 3, 1, 0, 1, 1, 1, 1]  # B, A, C, Z coded in order of first appearance


def test_cell_people_grid_people_and_repeats_of_all():
    import numpy as np

    from evaltools.groups import cell_people, grid_people, repeats_of_all

    # rows: (cell, person); cell 1 holds 4 and 2 (twice), cell 3 nobody
    people = cell_people(np.array([1, 0, 1, 1, 2]), np.array([4, 4, 2, 4, 9]), 4)
    assert [sorted(p) for p in people] == [[4], [2, 4], [9], []]
    assert people[1] == frozenset({2, 4}) and people[0] < people[1]
    # grid of 2 scales × (all, G1, G2): G1 repeats `all` of scale 0; G2 of scale 1 too; an empty G2 is no repeat
    cell = np.array([0, 0, 1, 1, 2, 3, 3, 5, 5])
    person = np.array([1, 2, 1, 2, 1, 7, 8, 7, 8])
    got, repeat = grid_people(cell, person, 2, ["all", "G1", "G2"])
    assert [sorted(p) for p in got] == [[1, 2], [1, 2], [1], [7, 8], [], [7, 8]]
    assert repeat.tolist() == [False, True, False, False, False, True]
    assert repeats_of_all(got, np.array([0, 0, 0, 3, 3, -1])).tolist() == [False, True, False, False, False, False]


def test_coded_members_and_member_rows_are_by_group_as_integers():
    # issue 18: coded_members + member_rows against by_group on text: the same rows in the same order, with a
    # repeated membership row, a member absent from the table, a person without a group, ids that are not text
    import numpy as np

    from evaltools.groups import coded_members, member_rows, text_codes

    m = pd.DataFrame({"participant_id": [1, 2, 3, 1, 1, 2, 1, 9], "group": ["all", "all", "all", "G1", "youth", "G2",
                                                                          "G1", "G1"]})
    frame = pd.DataFrame({"participant_id": ["2", "1", "3", "1"], "x": [1, 2, 3, 4]})
    person, people = text_codes(frame["participant_id"])
    assert person.tolist() == [0, 1, 2, 1] and people.tolist() == ["2", "1", "3"]
    groups, member_person, member_group = coded_members(m, people)
    assert groups == group_order(as_membership(m)) == ["all", "G1", "youth", "G2"]
    row, group = member_rows(person, member_person, member_group)
    expected = by_group(frame, as_membership(m))
    assert frame["x"].to_numpy()[row].tolist() == expected["x"].tolist() == [1, 2, 3, 4, 1, 2, 2, 4, 4]
    assert np.array(groups)[group].tolist() == expected["group"].tolist()


def test_text_codes_missing_values_and_ids_spelled_alike():
    import numpy as np

    from evaltools.groups import text_codes

    codes, text = text_codes(pd.Series([None, "7", 7, "a", None], dtype=object))
    # "7" and 7 are one id as text; a missing id is one more code, standing for NaN (last)
    assert codes.tolist() == [2, 0, 0, 1, 2]
    assert text[:2].tolist() == ["7", "a"] and pd.isna(text[2])
    codes, text = text_codes(pd.Series(["b", "a", "b"] * 30_000, dtype="str"))  # long enough to be remembered
    assert codes[:3].tolist() == [0, 1, 0] and text.tolist() == ["b", "a"]
    assert text_codes(pd.Series(np.array([3, 1, 3])))[1].tolist() == ["3", "1"]
