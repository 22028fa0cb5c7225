"""Privacy by default: personal data refused, small cells suppressed, CSV injection neutralised.

What counts as personal data is decided here: a header (:func:`looks_personal`),
a PESEL anywhere in a value (:func:`holds_pesel`, :func:`mask_pesel`; the one
test :func:`evaltools.errors.quoted` applies before any value is printed) and
free text that looks like a phone number, an e-mail address or a person's
name (:func:`personal_kind`).

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

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence, Set
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


def personal_kinds(text: pd.Series) -> pd.Series:
    """:func:`personal_kind` of every cell of a text column (NA where nothing personal), each value judged once.

    >>> personal_kinds(pd.Series(["A1", "Jan Kowalski", None, "A1", "600 123 456"], dtype="str")).tolist()
    [nan, 'name', nan, nan, 'phone']
    """
    positions, values = pd.factorize(text.to_numpy(dtype=object), use_na_sentinel=True)
    kinds = np.array(personal_kinds_of(values) + [np.nan], dtype=object)[positions]
    return pd.Series(kinds, index=text.index, dtype=object).where(lambda k: k.notna(), np.nan)


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
