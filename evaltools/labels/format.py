"""One formatting layer: numbers, p-values and dates as a person reads them.

Everything language-specific comes from the locale files
(:mod:`evaltools.labels.locale`); a missing value is shown as '–'.

Examples
--------
>>> fmt_number(1234567, "pl"), fmt_number(0.5, "pl"), fmt_number(1234567, "en")
('1\\xa0234\\xa0567', '0,50', '1,234,567')
>>> fmt_p(0.00002, "pl"), fmt_p(0.0431, "en"), p_phrase(0.00002, "pl"), p_phrase(0.0431, "pl")
('< 0,001', '0.043', 'p < 0,001', 'p = 0,043')
>>> fmt_date("2021-03-15", "pl"), fmt_date("2021-03-15", "en"), fmt_datetime("2021-03-15T14:05:09", "pl")
('15.03.2021', '2021-03-15', '15.03.2021 14:05')
"""

from __future__ import annotations

import datetime as _dt

from evaltools.labels.locale import DEFAULT_LANG, get_locale, langs

try:  # pandas' missing value and timestamps, when pandas is there
    import pandas as _pd
    from pandas import NA as _NA
except ImportError:  # pragma: no cover
    _pd = None
    _NA = object()

MISSING = "–"


def check_lang(lang: str) -> str:
    """``lang`` as a known language code (lower case; '' or None is English), else ValueError.

    >>> check_lang(" PL ")
    'pl'
    """
    lang = (lang or DEFAULT_LANG).strip().lower()
    if lang not in langs():
        get_locale(lang)  # raises the error that lists the languages known
    return lang


def _is_missing(x) -> bool:
    if x is None or x is _NA:
        return True
    try:
        return bool(x != x)
    except (TypeError, ValueError):
        return False


def fmt_number(x, lang: str = "en", digits: int = 2) -> str:
    """A number for a person to read: rounded, the language's separators, '–' for missing.

    Whole numbers (and whole floats from 1000 up) get thousands separators and
    no decimals; other numbers ``digits`` decimals.

    >>> fmt_number(0.456, "pl")
    '0,46'
    >>> fmt_number(float("nan"), "en")
    '–'
    """
    if x is None or x is _NA or (isinstance(x, float) and x != x):
        return MISSING
    if not isinstance(x, (int, float)):
        try:
            x = int(x) if getattr(getattr(x, "dtype", None), "kind", "") in ("i", "u") else float(x)  # numpy scalars
        except (TypeError, ValueError):
            return str(x)
        if x != x:
            return MISSING
    if isinstance(x, bool):
        return str(x)
    loc = get_locale(check_lang(lang))
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) >= 1000):
        return f"{int(x):,}".replace(",", loc.thousands)
    return f"{x:.{digits}f}".replace(".", loc.decimal)


def fmt_p(p, lang: str = "en", digits: int = 3) -> str:
    """A p-value: ``digits`` decimals, '< 0,001' below that, '–' when missing (no '=' or 'p').

    >>> fmt_p(0.0004, "pl"), fmt_p(0.001, "pl"), fmt_p(0.5, "en"), fmt_p(None, "en")
    ('< 0,001', '0,001', '0.500', '–')
    """
    if _is_missing(p):
        return MISSING
    p = float(p)
    floor = 10.0 ** -digits
    if p < floor:
        return "< " + fmt_number(floor, lang, digits)
    return fmt_number(p, lang, digits)


def p_phrase(p, lang: str = "en", *, name: str = "p", digits: int = 3) -> str:
    """'p = 0,043' or 'p < 0,001': the comparison sign is written once.

    >>> p_phrase(0.0001, "en", name="p (Holm)"), p_phrase(float("nan"), "en")
    ('p (Holm) < 0.001', 'p = –')
    """
    text = fmt_p(p, lang, digits)
    return f"{name} {text}" if text.startswith("<") else f"{name} = {text}"


def _timestamp(d):
    if _is_missing(d):
        return None
    if isinstance(d, (_dt.date, _dt.datetime)):
        return d
    if _pd is not None:
        stamp = _pd.Timestamp(d)
        return None if _pd.isna(stamp) else stamp
    return _dt.datetime.fromisoformat(str(d))  # pragma: no cover


def fmt_date(d, lang: str = "en") -> str:
    """A date in the language's format (a date, datetime, Timestamp or ISO text); '–' when missing.

    >>> import datetime
    >>> fmt_date(datetime.date(2021, 3, 5), "pl"), fmt_date(None, "pl")
    ('05.03.2021', '–')
    """
    d = _timestamp(d)
    return MISSING if d is None else d.strftime(get_locale(check_lang(lang)).date)


def fmt_datetime(d, lang: str = "en") -> str:
    """A date and time (to the minute) in the language's format; '–' when missing.

    >>> fmt_datetime("2026-11-29 03:02:14", "en")
    '2026-11-29 03:02'
    """
    d = _timestamp(d)
    return MISSING if d is None else d.strftime(get_locale(check_lang(lang)).datetime)
