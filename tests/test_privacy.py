"""Privacy helpers: personal-data headers, PESEL, CSV injection, small-cell suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltools.privacy import is_pesel, looks_personal, neutralise, neutralise_frame, small_cells, suppress_small_cells


@pytest.mark.parametrize("header", ["Imię", "imie", "NAZWISKO", "name", "Surname", "pesel", "adres", "Address",
                                    "telefon", "phone", "e-mail", "email", "first name"])
def test_personal_headers_are_recognised(header):
    assert looks_personal(header)


# Headers in other scripts and with diacritics: folding to ASCII used to turn прізвище and телефон
# into nothing, so they passed.
@pytest.mark.parametrize("header", ["прізвище", "Прізвище", "ім'я", "Ім’я", "ІМ'Я", "телефон", "Телефон", "адреса",
                                    "имя", "Фамилия", "АДРЕС", "e-mail", "пошта", "Imię", "IMIĘ", "NAZWISKO",
                                    "Nazwisko i imię", "Téléphone", "Prénom", "Adresse", "numer telefonu", "Ulica"])
def test_personal_headers_in_any_script(header):
    assert looks_personal(header)


@pytest.mark.parametrize("header", ["група", "хвиля", "вік", "Ocena", "zajęcia", "über", "emp_01", "стать"])
def test_other_headers_in_any_script_are_not_personal(header):
    assert not looks_personal(header)


@pytest.mark.parametrize("header", ["participant_id", "family_id", "alter", "group", "exit_reason", "wave"])
def test_contract_headers_are_not_personal(header):
    assert not looks_personal(header)


def test_pesel_checksum_and_date():
    # 44051401359: the worked example of the PESEL checksum (weights 1-3-7-9, control digit 9),
    # born 14 May 1944; changing any digit breaks it.
    assert is_pesel("44051401359")
    assert not is_pesel("44051401358")
    assert not is_pesel("12345678901")
    # 0227080362?: born 8 July 2002 (month + 20 for the 2000s); control digit by hand:
    # 0*1+2*3+2*7+7*9+0*1+8*3+0*7+3*9+6*1+2*3 = 146 -> (10 - 6) % 10 = 4, so 02270803624 is valid
    digits = [0, 2, 2, 7, 0, 8, 0, 3, 6, 2]
    control = (10 - sum(w * d for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), digits)) % 10) % 10
    assert control == 4
    assert is_pesel("02270803624") and not is_pesel("02270803628")


def test_csv_injection_is_neutralised_numbers_stay_numbers():
    df = pd.DataFrame({"label": ["=cmd|' /C calc'!A0", "+1+2", "@SUM(A1)", "-x", "ok", "-3"], "value": [1, 2, 3, 4, 5, 6]})
    out = neutralise_frame(df)
    assert out["label"].tolist() == ["'=cmd|' /C calc'!A0", "'+1+2", "'@SUM(A1)", "'-x", "ok", "-3"]
    assert out["value"].tolist() == [1, 2, 3, 4, 5, 6]
    assert neutralise(-3.5) == -3.5
    assert df["label"][0].startswith("=")  # the argument is not mutated


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

    from evaltools.privacy import PEOPLE_COUNT_COLUMNS

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


# --------------------------------------------------------------------------- issue 13: personal data never echoed

from evaltools.errors import Problem, quoted  # noqa: E402
from evaltools.privacy import first_names, holds_pesel, looks_like_name, mask_pesel, personal_kind  # noqa: E402


@pytest.mark.parametrize("value", ["44051401359", " 44051401359 ", "PESEL: 44051401359", "Jan44051401359x",
                                   "44051401359.0", 44051401359, 44051401359.0, np.float64(44051401359),
                                   np.int64(44051401359), "02270803624", "2270803624", 2270803624.0])
def test_a_pesel_is_found_as_text_and_as_the_number_a_cell_holds(value):
    # 2270803624: the PESEL 02270803624 (born 2002) after a spreadsheet dropped its leading zero
    assert holds_pesel(value)


@pytest.mark.parametrize("value", ["44051401358", "440514013590", "4.40514e+10", 4.4051401359e10 + 0.5, 1988, None,
                                   True, float("nan"), float("inf"), "2021-03-15", "600 123 456", "P001", "",
                                   "02270803624"[1:] + "8", -44051401359])
def test_other_values_hold_no_pesel(value):
    assert not holds_pesel(value)


def test_the_pesel_in_a_file_name_is_masked_and_the_rest_kept():
    assert mask_pesel("Kowalski_Jan_44051401359.csv") == "Kowalski_Jan_[PESEL].csv"
    assert mask_pesel("a 44051401359 b 02270803624") == "a [PESEL] b [PESEL]"
    assert mask_pesel("12345678901 stays") == "12345678901 stays"  # not a valid PESEL


def test_quoting_hides_a_pesel_in_every_field_and_place_of_a_message():
    forms = ("44051401359", "4.40514e+10", "44051401359.0")
    p = Problem("out_of_range", {"value": 44051401359.0, "lo": 1900, "hi": 2030}, file="Nowak_44051401359.csv",
                sheet="arkusz 44051401359", row=3, column="44051401359")
    for lang in ("en", "pl"):
        text = p.text(lang)
        assert not any(f in text for f in forms), text
    assert p.text("en") == ("Nowak_[PESEL].csv, sheet arkusz [PESEL], row 3, column (hidden): "
                            "(hidden) is outside the range 1900–2030.")
    assert quoted(44051401359.0, "pl") == "(ukryto)"
    assert quoted(7.0) == "7" and quoted(4.5) == "4.5"  # numbers in the short form of every message


@pytest.mark.parametrize("text, kind", [
    ("600 123 456", "phone"), ("600-123-456", "phone"), ("600123456", "phone"), ("+48 600 123 456", "phone"),
    ("+48600123456", "phone"), ("0048 600 123 456", "phone"), ("tel. (22) 123 45 67", "phone"),
    ("22 123-45-67", "phone"), ("kontakt: jan.kowalski@example.com", "email"), ("Jan Kowalski", "name"),
    ("Kowalski Jan", "name"), ("u Anny Nowak", "name"), ("Grupa Marka Kowalskiego", "name"),
    ("Olena Shevchenko", "name"), ("ANNA NOWAK", "name"),
])
def test_personal_data_in_free_text(text, kind):
    assert personal_kind(text) == kind


@pytest.mark.parametrize("text", ["Grupa Samopomocowa", "Klub Seniora", "A1", "G1", "przeprowadzka", "2021-03-15",
                                  "15.03.2021", "P0001", "S0002", "Anna", "anna nowak", "MOPS", "Dzień Matki",
                                  "spotkanie z Anną", "koszt 1500 zł", "12:30-14:00", "rok 2021, 12 osób"])
def test_ordinary_text_is_not_personal(text):
    assert personal_kind(text) is None


def test_the_first_names_are_shipped_with_their_case_forms():
    names = first_names()
    assert {"anna", "anny", "annę", "jan", "jana", "janem", "marek", "marka", "małgorzata", "olena"} <= names
    assert not {"grupa", "klub", "samopomocowa", "seniora"} & names
    assert looks_like_name("Pani Małgorzata Nowak") and not looks_like_name("Grupa Samopomocowa")


def test_nested_pairs_by_blocks_match_the_pairwise_definition():
    # the definition written as the plain double loop (the code before it was vectorised, issue 18), on a family
    # larger than one block of 256 rows, with nested, equal and unrelated sets and counts near each other
    import numpy as np

    from evaltools.privacy import _nested_pairs

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

    from evaltools.privacy import _nested_pairs

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

    from evaltools.privacy import small_cells

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

    from evaltools.privacy import CodedPeople

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

    from evaltools.privacy import CodedPeople, small_cells

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


def test_column_prefilters_never_hide_what_the_per_value_checks_find():
    # personal_kinds_of / may_hold_pesel look at a whole column's joined text first; whatever personal_kind or
    # holds_pesel finds in any one value, the column-wide look must let through (and judge the same)
    import random
    from evaltools.privacy import holds_pesel, may_hold_pesel, personal_kind, personal_kinds_of
    random.seed(7)
    alphabet = list("P0123456789AaNn@.-() _/\t\x1c\u00a0\u2003٣ół") + ["44051401359", "600123456", "Anna", "Nowak "]
    for _ in range(400):
        values = ["".join(random.choice(alphabet) for _ in range(random.randint(0, 6))) for _ in range(5)]
        ids = [f"P{i:05d}" for i in range(50)]
        column = ids + values
        assert personal_kinds_of(column) == [personal_kind(v) for v in column]
        if any(holds_pesel(v) for v in column):
            assert may_hold_pesel(column)
    assert personal_kinds_of([f"P{i:05d}" for i in range(50)]) == [None] * 50
    assert not may_hold_pesel([f"P{i:09d}" for i in range(50)])  # runs of 9 digits: no PESEL possible


def test_nested_pairs_from_flat_coded_people_equal_the_frozenset_comparisons():
    # CodedPeople are searched as one flat array (issue 18 wave 2), in small (blocks) and large families: the same
    # pairs in the same order as with frozensets of the same codes (compared one pair at a time); the subset test
    # in small chunks gives what it gives in one
    import numpy as np

    from evaltools.privacy import CodedPeople, _FlatPeople, _nested_pairs

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
