"""Privacy helpers: personal-data headers, PESEL, personal data in free text, CSV injection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaltools.privacy import is_pesel, looks_personal, neutralise, neutralise_frame


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
