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


def suppress_small_cells(
    df: pd.DataFrame,
    *,
    n_col: str,
    min_cell: int,
    keys: tuple[str, ...],
    family: tuple[str, ...] = ("instrument", "scale"),
    partition_groups: set | frozenset = frozenset(),
    group_col: str = "group",
) -> pd.DataFrame:
    """Blank every row whose ``n_col`` is below ``min_cell`` (docs/statistics.md#small-cells).

    A suppressed row keeps ``keys``, ``n_col`` and ``suppressed = True``; every
    other column is emptied. Within one ``family`` (e.g. one instrument × scale),
    where exactly one of the ``partition_groups`` is suppressed, the next
    smallest of them is suppressed too, so that it cannot be recovered by
    subtracting the others from ``all``.

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
    n = pd.to_numeric(out[n_col], errors="coerce").fillna(0)
    small = n < min_cell
    if partition_groups and group_col in out.columns:
        fam_cols = [c for c in family if c in out.columns]
        in_partition = out[group_col].isin(partition_groups)
        grouped = out[in_partition].groupby(fam_cols, dropna=False, sort=False) if fam_cols else [(None, out[in_partition])]
        for _, part in grouped:
            hidden = small[part.index]
            if hidden.sum() == 1 and len(part) > 1:
                candidates = n[part.index][~hidden]
                small[candidates.sort_values(kind="stable").index[0]] = True
    keep = set(keys) | {n_col, "suppressed"}
    for col in out.columns:
        if col not in keep:
            if small.any():
                if pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col]):
                    out[col] = out[col].astype("float64")
                else:
                    out[col] = out[col].astype(object)
                out.loc[small, col] = np.nan
    out["suppressed"] = small.to_numpy(dtype=bool)
    return out
