"""Tests of evaltools/labels: the catalogue, locales as data, and the one formatting layer."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from evaltools import labels
from evaltools.labels import (LANGS, catalogue, check_lang, code_label, coverage, fmt_date, fmt_datetime, fmt_number,
                              fmt_p, get_locale, p_phrase, pick, plural, plural_form, raw_catalogue, t)


# --------------------------------------------------------------------------- catalogue


def test_langs_are_the_locale_files():
    shipped = sorted(p.stem for p in (Path(labels.__file__).parent / "locales").glob("*.yaml"))
    assert sorted(LANGS) == shipped == ["en", "pl"]
    assert LANGS == ("pl", "en")  # order from the files' `order`, as the templates list them


@pytest.mark.parametrize("lang", ["pl", "en"])
def test_pl_and_en_are_complete(lang):
    present, total, missing = coverage(lang)
    print(f"catalogue coverage {lang}: {present}/{total} ({100 * present / total:.1f}%)")
    assert total > 600
    assert missing == []


def test_old_api_unchanged():
    assert t("wave.baseline", "pl") == "pomiar początkowy"
    assert t("wave.baseline") == "baseline"
    assert code_label("sex", "F", "pl") == "kobieta" and code_label("sex", "zz", "pl") == "zz"
    assert labels.has("wave.endline") and not labels.has("no.such.key")
    assert check_lang(None) == "en" and check_lang(" PL ") == "pl"
    with pytest.raises(ValueError, match="expected pl or en"):
        check_lang("xx")
    entry = catalogue()["wave.baseline"]
    assert set(entry) == set(LANGS)


def test_no_bracketed_plurals_left():
    """Issue 16: 'problem(ów)', 'wynik(ów)', 'part(s)' are counts written without a plural rule."""
    bad = {key: text for key, entry in raw_catalogue().items() for text in entry.values()
           if isinstance(text, str) and any(s in text for s in ("(ów)", "(s) ", "(y) ", "(a) "))}
    assert bad == {}


# --------------------------------------------------------------------------- plurals


def polish_form(n: int) -> int:
    """Polish plural by hand, from a grammar (Nagórko, Zarys gramatyki polskiej; = CLDR 'pl' for integers):
    1 -> one; last digit 2-4 unless the last two are 12-14 -> few; otherwise -> many."""
    if n == 1:
        return 0
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return 1
    return 2


@pytest.mark.parametrize("n", [*range(0, 40), 101, 102, 111, 112, 122, 1000, 1001, 1002])
def test_polish_plural_rule_matches_grammar(n):
    assert get_locale("pl").plural_index(n) == polish_form(n)
    assert get_locale("en").plural_index(n) == (0 if n == 1 else 1)


def test_plural_nouns():
    assert [plural(n, "noun.notebook", "pl") for n in (1, 4, 5, 12, 22)] == [
        "1 notatnik", "4 notatniki", "5 notatników", "12 notatników", "22 notatniki"]
    assert [plural(n, "noun.notebook", "en") for n in (1, 4)] == ["1 notebook", "4 notebooks"]
    assert plural_form("34", "noun.row", "pl") == "wiersze"  # counts arrive as text from Problem fields
    assert plural(1.5, "noun.row", "en") == "1.50 rows"  # fractions take the last form


def test_issue16_messages():
    """The sentences issue 16 quotes: 'Wykonuję 4 notatników', '34 wierszy', 'problem(ów)'."""
    assert t("report.progress.parallel", "pl", n=4, workers=2) == "Wykonuję 4 notatniki, po 2 naraz…"
    assert t("report.progress.parallel", "pl", n=5, workers=2) == "Wykonuję 5 notatników, po 2 naraz…"
    assert t("report.progress.parallel", "en", n=1, workers=1) == "Running 1 notebook, 1 at a time…"
    assert t("validate.summary_table", "pl", table="sessions", n=34, place="x") == "  sessions: 34 wiersze (x)"
    assert "Znaleziono 3 problemy w danych" in t("validate.summary_errors", "pl", n=3, folder="d")
    assert "Znaleziono 1 problem w danych" in t("validate.summary_errors", "pl", n=1, folder="d")
    assert "Found 1 problem in" in t("validate.summary_errors", "en", n=1, folder="d")


def test_plural_forms_count_checked(tmp_path):
    write_extra(tmp_path, catalogue_text="x:\n  bad: {de: [eins]}\n")
    try:
        labels.register_locales(tmp_path)
        with pytest.raises(ValueError, match="has 1 plural forms in de; expected 2"):
            raw_catalogue()
    finally:
        labels.reset_locales()


# --------------------------------------------------------------------------- formatting


def test_fmt_number_unchanged():
    # the values the report has always shown
    assert fmt_number(0.456, "pl") == "0,46" and fmt_number(0.456, "en") == "0.46"
    assert fmt_number(1234, "pl") == "1\u00a0234" and fmt_number(1234, "en") == "1,234"
    assert fmt_number(1234.0, "pl") == "1\u00a0234" and fmt_number(12.0, "en") == "12.00"
    assert fmt_number(float("nan"), "pl") == "–" and fmt_number(None, "en") == "–"
    assert fmt_number(True, "en") == "True" and fmt_number("abc", "en") == "abc"


def test_fmt_p_writes_the_sign_once():
    """Issue 16: the report showed 'p = <0,001'."""
    assert fmt_p(0.00002, "pl") == "< 0,001" and fmt_p(0.0431, "pl") == "0,043"
    assert p_phrase(0.00002, "pl") == "p < 0,001" and p_phrase(0.0431, "pl") == "p = 0,043"
    assert p_phrase(0.0431, "en") == "p = 0.043" and p_phrase(math.nan, "en") == "p = –"
    assert p_phrase(0.0001, "pl", name="p (Holm)") == "p (Holm) < 0,001"
    assert fmt_p(0.001, "en") == "0.001" and fmt_p(0.00099, "en") == "< 0.001"
    for p in (0.0, 1e-9, 0.0004, 0.2, 1.0):
        assert "= <" not in p_phrase(p, "pl") and "<<" not in p_phrase(p, "en")


def test_dates():
    assert fmt_date("2021-03-15", "pl") == "15.03.2021" and fmt_date("2021-03-15", "en") == "2021-03-15"
    assert fmt_date(dt.date(2021, 3, 5), "pl") == "05.03.2021" and fmt_date(None, "pl") == "–"
    assert fmt_datetime("2021-03-15T14:05:09", "pl") == "15.03.2021 14:05"
    assert fmt_datetime(dt.datetime(2021, 3, 15, 14, 5), "en") == "2021-03-15 14:05"
    import pandas as pd
    assert fmt_date(pd.NaT, "en") == "–" and fmt_date(pd.Timestamp("2020-01-02"), "pl") == "02.01.2020"


def test_pick_follows_fallbacks():
    assert pick({"pl": "Rodziny", "en": "Families"}, "en") == "Families"
    assert pick({"pl": "Rodziny", "en": " "}, "en") == "Rodziny"
    assert pick({"en": "Families"}, "pl") == "Families"
    assert pick({"pl": float("nan")}, "pl", default="id") == "id"
    assert pick("plain", "pl") == "plain" and pick(None, "pl", default="d") == "d"


def test_plural_rules_are_data_not_code(tmp_path):
    write_extra(tmp_path, plural='["__import__(\'os\').system(\'true\')"]')
    try:
        with pytest.raises(ValueError, match="plural rule .* uses Call"):
            labels.register_locales(tmp_path)
    finally:
        labels.reset_locales()


# --------------------------------------------------------------------------- a third language from data alone

DE_LOCALE = """\
code: de
name: Deutsch
fallback: en
decimal: ","
thousands: "."
date: "%d.%m.%Y"
datetime: "%d.%m.%Y, %H:%M Uhr"
plural: {plural}
"""

DE_CATALOGUE = """\
wave:
  baseline: {de: Eingangsmessung}
noun:
  notebook: {de: [Notizbuch, Notizbücher]}
report:
  progress:
    parallel: {de: "Führe {n:plural:noun.notebook} aus, {workers} gleichzeitig…"}
cli:
  description: {de: "Evaluation eines Programms zur sozialen Inklusion."}
"""


def write_extra(folder: Path, *, plural: str = '["n == 1"]', catalogue_text: str = DE_CATALOGUE) -> Path:
    (folder / "locales").mkdir(parents=True, exist_ok=True)
    (folder / "locales" / "de.yaml").write_text(DE_LOCALE.format(plural=plural), encoding="utf-8")
    (folder / "de_labels.yaml").write_text(catalogue_text, encoding="utf-8")
    return folder


@pytest.fixture
def german(tmp_path):
    labels.register_locales(write_extra(tmp_path))
    yield tmp_path
    labels.reset_locales()


def test_third_locale_from_data(german):
    assert labels.LANGS == ("pl", "en", "de")
    assert t("wave.baseline", "de") == "Eingangsmessung"
    assert t("wave.endline", "de") == "endline"  # no German text: falls back to English
    present, total, _ = coverage("de")
    print(f"catalogue coverage de: {present}/{total}")
    assert 0 < present < total
    assert t("report.progress.parallel", "de", n=3, workers=2) == "Führe 3 Notizbücher aus, 2 gleichzeitig…"
    assert plural(1, "noun.notebook", "de") == "1 Notizbuch"
    assert plural(5, "noun.row", "de") == "5 rows"  # forms from the English fallback, with English rules
    assert fmt_number(1234567, "de") == "1.234.567" and fmt_number(0.456, "de") == "0,46"
    assert p_phrase(0.0001, "de") == "p < 0,001"
    assert fmt_date("2021-03-15", "de") == "15.03.2021"
    assert fmt_datetime("2021-03-15 14:05", "de") == "15.03.2021, 14:05 Uhr"
    assert pick({"pl": "Rodziny", "en": "Families"}, "de") == "Families"
    assert catalogue()["wave.endline"]["de"] == "endline"


def test_third_locale_leaves_others_alone(german):
    assert t("wave.baseline", "pl") == "pomiar początkowy"
    assert get_locale("pl").fallback == "en"


def test_third_locale_through_environment(tmp_path):
    """EVALTOOLS_LOCALES adds the language in a new process: the CLI offers it and speaks it."""
    write_extra(tmp_path)
    env = {"EVALTOOLS_LOCALES": str(tmp_path), "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "evaltools", "--lang", "de", "--help"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Evaluation eines Programms zur sozialen Inklusion." in out.stdout
    assert "(pl, en, de)" in out.stdout
    code = textwrap.dedent("""
        from evaltools.labels import LANGS, t
        print(LANGS, t("wave.baseline", "de"))
    """)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "('pl', 'en', 'de') Eingangsmessung", out.stderr


def test_network_sentence_has_one_sign():
    """Issue 16: the index printed 'p = <0,001'; network_change takes the whole phrase from p_phrase."""
    text = t("report.index.network_change", "pl", measure="gęstość", before="0,10", after="0,20",
             p=p_phrase(0.00002, "pl"))
    assert text == "gęstość: 0,10 → 0,20 (test permutacyjny, p < 0,001)."
