"""Privacy helpers: personal-data headers, PESEL, CSV injection, small-cell suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from evaltools.privacy import is_pesel, looks_personal, neutralise, neutralise_frame, suppress_small_cells


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
