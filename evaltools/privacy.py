"""Privacy by default: personal data refused, small cells suppressed, CSV injection neutralised.

Examples
--------
>>> is_pesel("44051401359")      # the checksum example of the PESEL rules
True
>>> is_pesel("44051401358")
False
>>> looks_personal("Nazwisko")
True
>>> neutralise("=HYPERLINK(1)")
"'=HYPERLINK(1)"
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

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
    sizes = np.array([len(p) for p in people], dtype="int64")
    pairs = []
    block = 256  # rows i at a time: the gap array is block × family size × columns
    for rows in families:
        rows = np.asarray(rows)
        if len(rows) > block:  # thousands of groups: candidates from shared people, not from every pair of rows
            pairs += _nested_pairs_large(rows, people, sizes, counts, min_cell)
            continue
        for start in range(0, len(rows), block):
            ii = rows[start:start + block]
            gap = counts[rows][None, :, :] - counts[ii][:, None, :]
            near = ((gap >= 1) & (gap <= min_cell - 1)).any(axis=2)
            # a strict subset has fewer people: only those pairs need the set comparison (row-major: i, then j)
            near &= sizes[ii][:, None] < sizes[rows][None, :]
            for a, b in zip(*np.nonzero(near)):
                i, j = int(ii[a]), int(rows[b])
                if people[i] < people[j]:
                    pairs.append((i, j))
    return pairs


def _nested_pairs_large(rows: np.ndarray, people: list, sizes: np.ndarray, counts: np.ndarray,
                        min_cell: int) -> list[tuple[int, int]]:
    """:func:`_nested_pairs` of one large family: the same pairs in the same order (by i, then j).

    A row's people lie within another's only if its smallest person (by
    code) is among the other's: rows sharing that person are found by one
    sorted search over (row, person) codes, and only they are compared.
    """
    members = [people[r] for r in rows]
    lengths = np.array([len(m) for m in members], dtype="int64")
    flat = np.fromiter((x for m in members for x in m), dtype=object, count=int(lengths.sum()))
    codes, _ = pd.factorize(flat)
    owner = np.repeat(np.arange(len(rows)), lengths)
    order = np.lexsort((codes, owner))
    owner, codes = owner[order], codes[order]
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    full = lengths > 0
    rep = np.full(len(rows), -1, dtype="int64")
    rep[full] = codes[starts[full]]
    # (row j, person c) for every member; rows i whose smallest person is c: pairs i → j sharing it
    by_rep = pd.DataFrame({"i": np.flatnonzero(full), "c": rep[full]})
    cand = by_rep.merge(pd.DataFrame({"j": owner, "c": codes}), on="c")[["i", "j"]].to_numpy()
    empty = np.flatnonzero(~full)  # nobody: within every row that has people
    if len(empty):
        cand = np.r_[cand, np.array(np.meshgrid(empty, np.flatnonzero(full), indexing="ij")).reshape(2, -1).T]
    i, j = cand[:, 0], cand[:, 1]
    gap = counts[rows[j]] - counts[rows[i]]
    keep = (sizes[rows[i]] < sizes[rows[j]]) & ((gap >= 1) & (gap <= min_cell - 1)).any(axis=1)
    i, j = i[keep], j[keep]
    sort = np.lexsort((j, i))
    return [(int(rows[a]), int(rows[b])) for a, b in zip(i[sort], j[sort]) if people[rows[a]] < people[rows[b]]]


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
