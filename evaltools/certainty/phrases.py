"""The small phrases every sentence of :mod:`evaltools.certainty` uses: titles, group names, numbers.

Examples
--------
>>> scale_title("emp", "total", {"emp": "Empowerment"}, None)
'Empowerment – total'
>>> signed_number(0.25, "pl"), alpha_text(0.05, "pl"), p_text(0.0004, "en")
('+0,25', '0,05', '< 0.001')
"""

from __future__ import annotations

from collections.abc import Mapping

from evaltools.certainty.cells import as_float, row_value
from evaltools.labels import code_label, fmt_number, get_locale, p_phrase, t


def scale_title(instrument: str, scale: str, instrument_titles: Mapping | None, scale_titles: Mapping | None) -> str:
    """"Instrument – scale" with their titles where the mappings give them, else the ids."""
    inst = (instrument_titles or {}).get(instrument, instrument)
    titles = scale_titles or {}
    sc = titles.get((instrument, scale)) or titles.get(scale) or scale
    return f"{inst} – {sc}"


def row_title(row, title: str | None) -> str:
    """``title``, or "instrument – scale" of the row when it is not given."""
    return title or f"{row_value(row, 'instrument')} – {row_value(row, 'scale')}"


def group_label(group: str, lang: str) -> str:
    """The name of an output group: "everyone" for ``all``, else the component's label."""
    if group == "all":
        return t("certainty.group_all", lang)
    return code_label("component", group, lang)


def alpha_text(alpha: float, lang: str) -> str:
    """A significance level as written in ``lang`` (0.05 / 0,05)."""
    return f"{alpha:g}".replace(".", get_locale(lang).decimal)


def signed_number(x: float, lang: str) -> str:
    """A number with its sign: "+" before a positive one."""
    x = as_float(x)
    text = fmt_number(x, lang)
    return "+" + text if x > 0 and text != "–" else text


def p_text(p, lang: str) -> str:
    """'= 0.012' or '< 0.001' (three decimals), '= –' when missing."""
    return p_phrase(as_float(p), lang, name="").lstrip()
