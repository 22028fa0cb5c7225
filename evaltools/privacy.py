"""Privacy by default: personal data recognised and refused, CSV injection neutralised.

What counts as personal data is decided here: a header (:func:`looks_personal`),
a PESEL anywhere in a value (:func:`holds_pesel`, :func:`mask_pesel`; the one
test :func:`evaltools.errors.quoted` applies before any value is printed) and
free text that looks like a phone number, an e-mail address or a person's
name (:func:`personal_kind`). A text cell is made safe for a spreadsheet by
:func:`neutralise`. Small cells are suppressed in :mod:`evaltools.suppression`.

Examples
--------
>>> is_pesel("44051401359")      # the checksum example of the PESEL rules
True
>>> is_pesel("44051401358")
False
>>> holds_pesel(44051401359.0), holds_pesel("tel. 44051401359"), mask_pesel("Kowalski_44051401359.csv")
(True, True, 'Kowalski_[PESEL].csv')
>>> personal_kind("Jan Kowalski"), personal_kind("tel. 600 123 456"), personal_kind("Grupa Samopomocowa")
('name', 'phone', None)
>>> looks_personal("Nazwisko")
True
>>> neutralise("=HYPERLINK(1)")
"'=HYPERLINK(1)"
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

PERSONAL_HEADERS = ("imie", "imię", "nazwisko", "name", "surname", "firstname", "first_name", "last_name",
                    "lastname", "pesel", "adres", "address", "telefon", "phone", "tel", "email", "e_mail",
                    "mail", "ulica", "street", "telefonu", "telephone", "prenom", "adresse",
                    # Ukrainian and Russian: name, surname, phone, address, email
                    "ім'я", "імя", "прізвище", "телефон", "адреса", "пошта", "имя", "фамилия", "адрес", "почта")
#: Contract columns that merely contain one of the words above.
ALLOWED_HEADERS = {"participant_id", "family_id", "session_id", "alter", "alter_participant_id"}
_WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)


def _fold(text: str) -> str:
    """A header reduced to its words, in any script: case folded, accents gone, words joined by ``_``.

    Letters of every script stay (``прізвище`` is not folded to nothing);
    Polish ``ł``, which has no decomposition, becomes ``l``; an apostrophe
    inside a word (``ім'я``) is dropped.

    >>> _fold("  NAZWISKO / Imię ")
    'nazwisko_imie'
    >>> _fold("Прізвище (ПІБ)"), _fold("Ім’я"), _fold("Téléphone")
    ('прізвище_піб', 'імя', 'telephone')
    """
    text = unicodedata.normalize("NFKD", str(text).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("ł", "l")
    text = re.sub(r"(?<=\w)['’ʼ`](?=\w)", "", text)
    return re.sub(r"[\W_]+", "_", text).strip("_")


_PERSONAL_WORDS = frozenset(_fold(h) for h in PERSONAL_HEADERS)


def looks_personal(header: str) -> bool:
    """Whether a column header names personal data (imię, nazwisko, pesel, adres, email, прізвище, ...).

    >>> looks_personal("Téléphone"), looks_personal("телефон"), looks_personal("participant_id")
    (True, True, False)
    """
    folded = _fold(header)
    if folded in ALLOWED_HEADERS:
        return False
    words = set(folded.split("_")) | {folded}
    return bool(words & _PERSONAL_WORDS)


def is_pesel(text: str) -> bool:
    """A valid PESEL: 11 digits, a real birth date (month encodes the century) and the checksum."""
    text = str(text).strip()
    if not re.fullmatch(r"\d{11}", text):
        return False
    digits = [int(c) for c in text]
    check = (10 - sum(w * d for w, d in zip(_WEIGHTS, digits)) % 10) % 10
    if check != digits[10]:
        return False
    month = int(text[2:4])
    day = int(text[4:6])
    return month % 20 in range(1, 13) and 1 <= day <= 31


#: A run of digits that may be a PESEL: 11 digits, or 10 when a spreadsheet dropped the leading zero
#: (people born 2000–2009 have PESELs starting with 0).
PESEL_CANDIDATE = re.compile(r"(?<!\d)\d{10,11}(?!\d)")


def _pesel_run(run: str) -> bool:
    return is_pesel(run) if len(run) == 11 else run[0] != "0" and is_pesel("0" + run)


def holds_pesel(value) -> bool:
    """Whether ``value`` holds a valid PESEL: as text anywhere inside it, or as the number a cell holds.

    A number keeps its digits (``44051401359.0``, and ``2270803624`` for a
    PESEL whose leading zero a spreadsheet dropped), however it would later
    be formatted (``4.40514e+10``): the test is made on the value, not on a
    printed form of it.

    >>> holds_pesel("PESEL: 44051401359"), holds_pesel(2270803624), holds_pesel("2021-03-15"), holds_pesel(None)
    (True, True, False, False)
    """
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, (int, np.integer)):
        return 0 < value < 10**11 and _pesel_run(str(int(value)))
    if isinstance(value, (float, np.floating)):
        return math.isfinite(value) and value.is_integer() and holds_pesel(int(value))
    text = str(value)
    return len(text) >= 10 and any(_pesel_run(run) for run in PESEL_CANDIDATE.findall(text))


def mask_pesel(text: str) -> str:
    """``text`` with every valid PESEL inside it replaced by ``[PESEL]`` (a file or sheet name keeps the rest).

    >>> mask_pesel("notatki 44051401359 i 12345678901.txt")
    'notatki [PESEL] i 12345678901.txt'
    """
    text = str(text)
    return PESEL_CANDIDATE.sub(lambda m: "[PESEL]" if _pesel_run(m.group()) else m.group(), text)


# --------------------------------------------------------------------------- personal data in free text

_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)48[ -]?)?"           # optional country code
    r"(?:\d{3}[ -]?\d{3}[ -]?\d{3}"              # a mobile: 600 123 456, 600-123-456, 600123456
    r"|\(?\d{2}\)?[ -]?\d{3}[ -]?\d{2}[ -]?\d{2})"  # a landline: (22) 123 45 67, 22 123-45-67
    r"(?![\w])")
_MAYBE_PERSONAL = re.compile(r"[\s@().-]|\d{9}")  # what any of the three needs: a separator, an @ or 9 digits
#: The ASCII characters :data:`_MAYBE_PERSONAL` matches besides digits (white space as ``\\s`` knows it, @ ( ) . -).
_MAYBE_PERSONAL_ASCII = bytes(i for i in range(128) if _MAYBE_PERSONAL.match(chr(i)) and not chr(i).isdigit())
#: ASCII bytes -> b"1" for a digit, b"0" for anything else (digit runs found by a plain substring search).
_DIGIT_MARKS = bytes(0x31 if 0x30 <= i <= 0x39 else 0x30 for i in range(256))


def _ascii_may_match(cells, chars: bytes, digits: int) -> bool:
    """Whether a pattern needing one of ``chars`` or a run of ``digits`` ASCII digits may match one of
    ``cells`` (text); False is certain, True means: look at each value.

    Text that is not all ASCII is always looked at (``\\d`` and ``\\s`` know more than ASCII). The
    cells are joined by NUL, which is neither a digit nor one of ``chars``, so no run spans two cells.

    >>> _ascii_may_match(["P0001", "S12"], b"-", 9), _ascii_may_match(["P-1"], b"-", 9)
    (False, True)
    >>> _ascii_may_match(["x123456789"], b"-", 9), _ascii_may_match(["Łódź"], b"-", 9)
    (True, True)
    """
    joined = "\x00".join(cells)
    if not joined.isascii():
        return True
    data = joined.encode("ascii")
    others = bytes(i for i in range(256) if i not in chars)
    return bool(data.translate(None, others)) or b"1" * digits in data.translate(_DIGIT_MARKS)


def may_hold_pesel(cells) -> bool:
    """Whether any of ``cells`` (text) may hold a PESEL (:data:`PESEL_CANDIDATE`); False is certain.

    One look at the joined text: ASCII text without a run of 10 digits holds none.

    >>> may_hold_pesel(["2021-03-15", "P0001"]), may_hold_pesel(["tel 44051401359"])
    (False, True)
    """
    return _ascii_may_match(cells, b"", 10)


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CAPITALISED = re.compile(r"\b[^\W\d_][^\W\d_]+(?:-[^\W\d_]+)?\b")


@cache
def first_names() -> frozenset[str]:
    """Common first names and their case forms (``evaltools/privacy_names.txt``), case folded."""
    text = files("evaltools").joinpath("privacy_names.txt").read_text(encoding="utf-8")
    return frozenset(word.casefold() for line in text.splitlines() if not line.startswith("#")
                     for word in line.split())


def looks_like_name(text: str) -> bool:
    """Two capitalised words in a row, one of them a common first name: a first name and a surname.

    >>> looks_like_name("wyjazd – Anna Nowak"), looks_like_name("Kowalski Jan"), looks_like_name("Grupa Samopomocowa")
    (True, True, False)
    >>> looks_like_name("ANNA NOWAK"), looks_like_name("Anna"), looks_like_name("anna nowak")
    (True, False, False)
    """
    words = [m.group() for m in _CAPITALISED.finditer(str(text))]
    names = first_names()
    for a, b in zip(words, words[1:]):
        if a[0].isupper() and b[0].isupper() and (a.casefold() in names or b.casefold() in names):
            return True
    return False


def personal_kind(text) -> str | None:
    """What personal data a free-text cell seems to hold: ``"phone"``, ``"email"``, ``"name"`` or None.

    A phone number is a Polish one (9 digits, a mobile in threes or a
    landline with its 2-digit area code, optionally after +48); a name is
    what :func:`looks_like_name` says. A PESEL is not this function's
    business (:func:`holds_pesel`: an error, not a warning).

    >>> [personal_kind(v) for v in ("+48 600-123-456", "(22) 123 45 67", "a.b@example.org", "A1", "2021-03-15")]
    ['phone', 'phone', 'email', None, None]
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    text = str(text)
    if len(text) < 5 or not _MAYBE_PERSONAL.search(text):  # codes and identifiers (P0001) stop here
        return None
    if _EMAIL.search(text):
        return "email"
    if _PHONE.search(text):
        return "phone"
    if looks_like_name(text):
        return "name"
    return None


def personal_kinds_of(values) -> list[str | None]:
    """:func:`personal_kind` of each of ``values`` (distinct texts), in their order.

    Values of ASCII letters and digits only (identifiers, codes) are passed
    together in one look at their joined text (:func:`_ascii_may_match`).

    >>> personal_kinds_of(["P0001", "P0002"]), personal_kinds_of(["A1", "jan@example.org", "Anna Nowak"])
    ([None, None], [None, 'email', 'name'])
    """
    if not _ascii_may_match(values, _MAYBE_PERSONAL_ASCII, 9):
        return [None] * len(values)
    return [personal_kind(v) for v in values]


def neutralise(value):
    """Make a text cell safe for Excel: a leading = + - @ becomes literal (CSV injection).

    Numbers stay numbers; a text that is a plain number (``-3``) is left alone.
    """
    if not isinstance(value, str) or not value or value[0] not in "=+-@\t\r":
        return value
    try:
        float(value.replace(",", "."))
        return value
    except ValueError:
        return "'" + value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell neutralised (see :func:`neutralise`)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out
