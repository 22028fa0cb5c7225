"""Small-cell suppression (evaltools.suppression): the min_cell, complementary and nested rules, on every table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltools.suppression import small_cells, suppress_small_cells


def test_suppression_keeps_keys_and_hides_the_next_smallest_group():
    df = pd.DataFrame({"instrument": "x", "scale": "s", "group": ["all", "family_support", "G1", "G2", "G3"],
                       "n_pairs": [30, 4, 3, 12, 15], "mean_diff": [0.1, 0.2, 0.3, 0.4, 0.5]})
    out = suppress_small_cells(df, n_col="n_pairs", min_cell=5, keys=("instrument", "scale", "group"),
                               partition_groups={"G1", "G2", "G3"})
    assert out["suppressed"].tolist() == [False, True, True, True, False]  # G2 hidden so G1 = all - G2 - G3 fails
    assert out["n_pairs"].tolist() == [30, 4, 3, 12, 15]
    assert out.loc[out["suppressed"], "mean_diff"].isna().all()
    assert df["mean_diff"].notna().all()


def test_two_suppressed_partition_groups_need_no_third():
    df = pd.DataFrame({"instrument": "x", "scale": "s", "group": ["all", "G1", "G2", "G3"],
                       "n_pairs": [30, 3, 4, 23], "mean_diff": [0.1, 0.2, 0.3, 0.4]})
    out = suppress_small_cells(df, n_col="n_pairs", min_cell=5, keys=("instrument", "scale", "group"),
                               partition_groups={"G1", "G2", "G3"})
    assert out["suppressed"].tolist() == [False, True, True, False]


# --------------------------------------------------------------------------- nested rows (issue 13)

def test_nested_rule_hides_the_smaller_of_two_nested_rows():
    # all holds P0-P11; youth P0-P9 (2 fewer: hidden); G1 P0-P5 and G2 P6-P11 are within all but 6 apart
    df = pd.DataFrame({"instrument": "x", "scale": "s", "group": ["all", "youth", "G1", "G2"],
                       "n_pairs": [12, 10, 6, 6], "mean_diff": [0.1, 0.2, 0.3, 0.4]})
    people = [frozenset(range(12)), frozenset(range(10)), frozenset(range(6)), frozenset(range(6, 12))]
    out = suppress_small_cells(df, n_col="n_pairs", min_cell=5, keys=("instrument", "scale", "group"),
                               partition_groups={"G1", "G2"}, people=people)
    assert out["suppressed"].tolist() == [False, True, False, False]
    assert out["n_pairs"].tolist() == [12, 10, 6, 6] and np.isnan(out.loc[1, "mean_diff"])


def test_nested_rule_needs_nesting_not_close_counts():
    # youth (10) and legal (9) differ by one person but neither holds the other: nothing to subtract
    df = pd.DataFrame({"scale": "s", "group": ["youth", "legal"], "n": [10, 9]})
    people = [frozenset(range(10)), frozenset(range(5, 14))]
    assert not small_cells(df, n_col="n", min_cell=5, family=["scale"], people=people).any()


def test_nested_rule_uses_every_people_count_but_not_outcome_counts():
    # attrition-like rows: baseline people nested, completers 28 apart but dropouts 6 vs 5 (issue 13)
    df = pd.DataFrame({"scale": "s", "group": ["all", "self_help"], "n_baseline": [39, 25], "n_completers": [33, 20],
                       "n_dropouts": [6, 5], "n_improved": [10, 9], "_n": [6, 5]})
    people = [frozenset(range(39)), frozenset(range(25))]
    assert small_cells(df, n_col="_n", min_cell=5, family=["scale"], people=people).tolist() == [False, True]
    # only an outcome count 1 apart: shown
    df2 = df.assign(n_dropouts=[10, 5], n_completers=[29, 20])
    assert small_cells(df2, n_col="_n", min_cell=5, family=["scale"], people=people).tolist() == [False, False]


def test_nested_and_complementary_rules_repeat_until_stable():
    # G1 sits within legal, one person fewer: G1 hidden by the nested rule, then G2 by the complementary one
    df = pd.DataFrame({"scale": "s", "group": ["all", "legal", "G1", "G2", "G3"], "n": [40, 10, 9, 11, 20]})
    people = [frozenset(range(40)), frozenset(range(10)), frozenset(range(9)), frozenset(range(9, 20)),
              frozenset(range(20, 40))]
    got = small_cells(df, n_col="n", min_cell=5, family=["scale"], partition_groups={"G1", "G2", "G3"},
                      people=people)
    assert got.tolist() == [False, False, True, True, False]


def _tempting_data(seed: int):
    """30 people whose groups are built to invite subtraction: nested components and groups a few apart."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"P{i:02d}" for i in rng.permutation(30)])
    comps = [set() for _ in ids]
    for k in range(26):
        comps[k].add("family_support")
    for k in range(12):
        comps[k].add("self_help")
    for k in range(12 - rng.integers(1, 5)):         # legal within self_help, 1-4 fewer
        comps[k].add("legal")
    for k in rng.choice(30, 15, replace=False):
        comps[k].add("community")
    for k in range(24, 30):
        comps[k].add("youth")
    cut = 12 - rng.integers(1, 4)                     # G1 within self_help, 1-3 fewer
    group = ["G1"] * cut + ["G2"] * (20 - cut) + ["G3"] * 10
    participants = pd.DataFrame({"participant_id": ids, "components": [";".join(sorted(c)) for c in comps],
                                 "group": group})
    rows = []
    for scale in ("agency", "voice"):
        dropouts = set(rng.choice(ids, rng.integers(2, 7), replace=False))
        for pid in ids:
            pre = float(rng.integers(4, 17)) / 4
            rows.append((pid, "baseline", "empowerment", scale, pre))
            if pid not in dropouts:
                rows.append((pid, "endline", "empowerment", scale, min(5.0, pre + float(rng.integers(-2, 5)) / 4)))
    scores = pd.DataFrame(rows, columns=["participant_id", "wave", "instrument", "scale", "score"])
    return participants, scores


def _members(participants: pd.DataFrame) -> dict:
    """Who is in each group, read straight from the participants table (not from evaltools.groups)."""
    out = {"all": set(participants["participant_id"])}
    for pid, comps, group in participants[["participant_id", "components", "group"]].itertuples(index=False):
        for g in [*comps.split(";"), group]:
            if g:
                out.setdefault(g, set()).add(pid)
    return out


def _nested_violations(table, people, family, min_cell, shown=None):
    """Shown rows of one family, the smaller's people within the larger's, a people count 1..min_cell-1 apart."""
    from itertools import permutations

    from evaltools.suppression import PEOPLE_COUNT_COLUMNS

    cols = [c for c in PEOPLE_COUNT_COLUMNS if c in table.columns]
    shown = ~table["suppressed"] if shown is None else shown
    bad = []
    for _, fam in table[shown].groupby(family):
        for i, j in permutations(fam.index, 2):
            gaps = fam.loc[j, cols].astype(float) - fam.loc[i, cols].astype(float)
            if people[i] < people[j] and ((gaps >= 1) & (gaps <= min_cell - 1)).any():
                bad.append((fam.loc[i, "group"], fam.loc[j, "group"]))
    return bad


@pytest.mark.parametrize("seed", range(4))
def test_no_table_leaves_nested_rows_a_few_people_apart(seed):
    from evaltools.attrition import attrition, sensitivity
    from evaltools.change import paired_change
    from evaltools.groups import group_membership
    from evaltools.instruments import LIBRARY, load_instrument
    from evaltools.reliable_change import reliable_change

    min_cell = 5
    participants, scores = _tempting_data(seed)
    members = _members(participants)
    wide = scores.pivot_table(index=["scale", "participant_id"], columns="wave", values="score")
    base = {s: set(w.index.get_level_values(1)) for s, w in wide.groupby(level=0)}
    pairs = {s: set(w.dropna().index.get_level_values(1)) for s, w in wide.groupby(level=0)}
    membership = group_membership(participants)
    inst = {"empowerment": load_instrument(LIBRARY / "empowerment.yaml")}
    tables = {
        "change": (paired_change(scores, membership=membership, min_cell=min_cell), pairs, ["scale"]),
        "reliable_change": (reliable_change(scores, instruments=inst, membership=membership, min_cell=min_cell),
                            pairs, ["scale"]),
        "attrition": (attrition(scores, participants, membership=membership, min_cell=min_cell), base, ["scale"]),
        "sensitivity": (sensitivity(scores, participants, membership=membership, min_cell=min_cell), None,
                        ["scale", "method"]),
    }
    tempted = 0
    for name, (table, sets, family) in tables.items():
        if sets is None:     # sensitivity: complete-case rows describe the pairs, the others everyone at baseline
            people = [members[g] & (pairs if m == "complete_case" else base)[s]
                      for s, g, m in table[["scale", "group", "method"]].itertuples(index=False)]
        else:
            people = [members[g] & sets[s] for s, g in table[["scale", "group"]].itertuples(index=False)]
        assert _nested_violations(table, people, family, min_cell) == [], name
        n_col = "n_baseline" if name == "attrition" else "n_pairs"
        tempted += len(_nested_violations(table, people, family, min_cell, shown=table[n_col] >= min_cell))
        # the complementary rule still holds: never exactly one of G1-G3 hidden
        for _, fam in table.groupby(family):
            assert fam.loc[fam["group"].isin(["G1", "G2", "G3"]), "suppressed"].sum() != 1, name
    assert tempted > 0       # the data did invite subtraction, so the assertions above could fail


def test_profile_hides_a_component_nested_in_another():
    from evaltools.plots.profile import participant_profile

    # legal (P0-P5) lies within self_help (P0-P7): 2 apart, legal hidden; youth (P8-P13) is not nested
    people = pd.DataFrame({"participant_id": [f"P{i}" for i in range(14)],
                           "components": ["self_help;legal"] * 6 + ["self_help"] * 2 + ["youth"] * 6,
                           "role": "adult", "sex": ["F", "M"] * 7, "birth_year": 1980.0})
    prof = participant_profile(people, min_cell=5, at=pd.Timestamp("2021-01-01")).set_index(["dimension", "category"])
    assert prof.loc[("component", "legal"), "suppressed"] and np.isnan(prof.loc[("component", "legal"), "n"])
    assert not prof.loc[("component", "self_help"), "suppressed"] and not prof.loc[("component", "youth"), "suppressed"]


def test_issue_13_examples_from_the_demo(tmp_path):
    # issue 13, on `evaltools demo-data --seed 0` (75 people): attrition empowerment/agency shows n_dropouts 6
    # for all and 5 for self_help (the one other dropout's baseline score could be subtracted out), and change
    # recovery/crisis_coping shows 28 pairs for all and 24 for family_support; both smaller rows are now hidden
    from evaltools.attrition import attrition
    from evaltools.change import paired_change
    from evaltools.groups import group_membership
    from evaltools.project import load_project
    from evaltools.scoring import score_all
    from evaltools.synth import write_demo_data

    project = load_project(write_demo_data(tmp_path / "demo", seed=0))
    scores = score_all(project.questionnaires, project.instruments)
    membership = group_membership(project.participants)
    att = attrition(scores, project.participants, membership=membership, min_cell=5)
    att = att[(att["instrument"] == "empowerment") & (att["scale"] == "agency")].set_index("group")
    assert att.loc["all", "n_dropouts"] == 6 and att.loc["self_help", "n_dropouts"] == 5
    assert not att.loc["all", "suppressed"] and att.loc["self_help", "suppressed"]
    assert np.isnan(att.loc["self_help", "mean_dropouts"])
    change = paired_change(scores, membership=membership, min_cell=5, instruments=project.instruments)
    change = change[(change["instrument"] == "recovery") & (change["scale"] == "crisis_coping")].set_index("group")
    assert change.loc["all", "n_pairs"] == 28 and change.loc["family_support", "n_pairs"] == 24
    assert not change.loc["all", "suppressed"] and change.loc["family_support", "suppressed"]
    assert np.isnan(change.loc["family_support", "mean_diff"])


def test_nested_pairs_by_blocks_match_the_pairwise_definition():
    # the definition written as the plain double loop (the code before it was vectorised, issue 18), on a family
    # larger than one block of 256 rows, with nested, equal and unrelated sets and counts near each other
    import numpy as np

    from evaltools.suppression import _nested_pairs

    rng = np.random.default_rng(1)
    people = [frozenset(rng.choice(40, size=rng.integers(0, 30), replace=False).tolist()) for _ in range(300)]
    people += [frozenset(range(k)) for k in range(20)]
    df = pd.DataFrame({"n": [len(p) for p in people], "n_pairs": [max(len(p) - 2, 0) for p in people]})
    families = [np.arange(0, 300), np.arange(300, len(people))]

    def plain(min_cell):
        counts = df[["n", "n_pairs"]].to_numpy(dtype="float64")
        out = []
        for rows in families:
            for i in rows:
                for j in rows:
                    gap = counts[j] - counts[i]
                    if i != j and ((gap >= 1) & (gap <= min_cell - 1)).any() and people[i] < people[j]:
                        out.append((i, j))
        return out

    for min_cell in (2, 5):
        expected = plain(min_cell)
        assert expected  # the case is there
        assert _nested_pairs(families, people, df, None, min_cell) == expected


def test_nested_pairs_of_large_families_match_the_pairwise_definition():
    # families of more than 256 rows take candidates from shared people (issue 18): the same pairs in the same
    # order as the plain double loop, with empty sets, equal sets, nested chains and partitions
    import numpy as np

    from evaltools.suppression import _nested_pairs

    rng = np.random.default_rng(2)
    people = [frozenset(f"P{x}" for x in rng.choice(60, size=rng.integers(0, 12), replace=False)) for _ in range(250)]
    people += [frozenset(f"P{x}" for x in range(k)) for k in range(0, 40)]            # a chain, the empty set
    people += [frozenset(f"P{x}" for x in range(k, k + 3)) for k in range(0, 60, 3)]  # a partition
    people += [frozenset(f"P{x}" for x in range(5))] * 3                              # equal sets
    order = rng.permutation(len(people))
    people = [people[k] for k in order]
    df = pd.DataFrame({"n": [len(p) for p in people], "n_pairs": [max(len(p) - 1, 0) for p in people]})
    families = [np.arange(len(people))]
    assert len(people) > 256

    def plain(min_cell):
        counts = df[["n", "n_pairs"]].to_numpy(dtype="float64")
        return [(i, j) for i in families[0] for j in families[0]
                if i != j and ((counts[j] - counts[i] >= 1) & (counts[j] - counts[i] <= min_cell - 1)).any()
                and people[i] < people[j]]

    for min_cell in (2, 5, 11):
        expected = plain(min_cell)
        assert len(expected) > 20
        assert _nested_pairs(families, people, df, None, min_cell) == expected


def test_nested_pairs_large_family_same_with_integer_codes_as_with_ids():
    """A family of more than 256 rows takes the candidate search; people as int codes or as ids give the same pairs."""
    import numpy as np

    from evaltools.suppression import small_cells

    rng = np.random.default_rng(3)
    ids = np.array([f"P{i:03d}" for i in range(60)])
    sets = [frozenset(rng.choice(60, size=int(rng.integers(0, 12)), replace=False).tolist()) for _ in range(300)]
    sets += [frozenset(list(s)[:-1]) for s in sets[:50] if len(s) > 1]  # nested one person apart
    df = pd.DataFrame({"scale": "s", "group": [f"g{i}" for i in range(len(sets))], "n": [len(s) for s in sets]})
    by_code = small_cells(df, n_col="n", min_cell=2, family=["scale"], people=sets)
    by_id = small_cells(df, n_col="n", min_cell=2, family=["scale"], people=[frozenset(ids[list(s)]) for s in sets])
    assert by_code.tolist() == by_id.tolist()
    assert by_code.sum() > (df["n"] < 2).sum()


def test_coded_people_compare_like_frozensets():
    # CodedPeople (people_by_cell's sets, issue 18) against the frozensets of the same codes, written beside them
    import itertools

    import numpy as np

    from evaltools.suppression import CodedPeople

    rng = np.random.default_rng(4)
    sets = [frozenset(rng.choice(12, size=int(rng.integers(0, 6)), replace=False).tolist()) for _ in range(40)]
    sets += [frozenset(), frozenset({3}), frozenset({3, 5}), frozenset({3, 5})]
    coded = [CodedPeople(sorted(s)) for s in sets]
    for (a, ca), (b, cb) in itertools.product(zip(sets, coded), repeat=2):
        assert (ca < cb, ca <= cb, ca == cb) == (a < b, a <= b, a == b)
        assert (ca == b, ca < b, ca <= b) == (a == b, a < b, a <= b)  # against a frozenset too
    for s, c in zip(sets, coded):
        assert len(c) == len(s) and set(c) == s and hash(c) == hash(s)
        assert [x in c for x in range(-1, 13)] == [x in s for x in range(-1, 13)] and "3" not in c


def test_small_cells_same_with_coded_people_as_with_frozensets():
    # the large-family path reads CodedPeople's codes directly: the same rows as with frozensets of the same people
    import numpy as np

    from evaltools.suppression import CodedPeople, small_cells

    rng = np.random.default_rng(5)
    sets = [frozenset(rng.choice(80, size=int(rng.integers(0, 15)), replace=False).tolist()) for _ in range(320)]
    sets += [frozenset(list(s)[:-1]) for s in sets[:60] if len(s) > 1] + [frozenset()]
    df = pd.DataFrame({"scale": "s", "group": [f"g{i}" for i in range(len(sets))], "n": [len(s) for s in sets]})
    for min_cell in (2, 4):
        plain = small_cells(df, n_col="n", min_cell=min_cell, family=["scale"], people=sets)
        coded = small_cells(df, n_col="n", min_cell=min_cell, family=["scale"],
                            people=[CodedPeople(sorted(s)) for s in sets])
        assert coded.tolist() == plain.tolist()
        assert plain.sum() > (df["n"] < min_cell).sum()  # the nested rule hid rows


def test_nested_pairs_from_flat_coded_people_equal_the_frozenset_comparisons():
    # CodedPeople are searched as one flat array (issue 18 wave 2), in small (blocks) and large families: the same
    # pairs in the same order as with frozensets of the same codes (compared one pair at a time); the subset test
    # in small chunks gives what it gives in one
    import numpy as np

    from evaltools.suppression import CodedPeople, _FlatPeople, _nested_pairs

    rng = np.random.default_rng(6)
    sets = [frozenset(rng.choice(50, size=int(rng.integers(0, 14)), replace=False).tolist()) for _ in range(400)]
    sets += [frozenset(list(s)[:-1]) for s in sets[:80] if len(s) > 1] + [frozenset(), frozenset()]
    sets += [frozenset(range(k)) for k in range(12)] + sets[:120]
    shared: dict = {}  # equal sets as one object (as a table repeating a row's people under several methods)
    coded = [shared.setdefault(s, CodedPeople(sorted(s))) if k % 2 else CodedPeople(sorted(s))
             for k, s in enumerate(sets)]
    assert len({id(c) for c in coded}) < len(coded)
    df = pd.DataFrame({"n": [len(s) for s in sets], "n_pairs": [max(len(s) - 1, 0) for s in sets]})
    families = [np.arange(0, 300), np.arange(300, 420), np.arange(420, len(sets))]  # one large, two small
    for min_cell in (2, 5):
        expected = _nested_pairs(families, sets, df, None, min_cell)
        assert len(expected) > 30
        assert _nested_pairs(families, coded, df, None, min_cell) == expected
    flat = _FlatPeople.of(coded)
    i, j = np.array([a for a, _ in expected]), np.array([b for _, b in expected])
    i, j = np.r_[i, j, 0, 3], np.r_[j, i, 0, 5]  # and the reversed pairs, a set with itself
    truth = [sets[a] < sets[b] for a, b in zip(i, j)]
    assert flat.within(i, j).tolist() == truth == flat.within(i, j, chunk=7).tolist()
    assert any(truth) and not all(truth)
