"""The demo's questionnaire answers: a latent trait per person and scale, improving with the dose."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evaltools.instruments import Instrument
from evaltools.synth.plan import (KIND_ADULT, KIND_RESIDENT, KIND_YOUTH, LAST_DAY, WAVES_DEFAULT, iso_dates,
                                  month_start_day, numbered_ids)


#: Where each instrument's answers sit at baseline: a fraction of the response range.
_CENTRE = {"empowerment": 0.47, "recovery": 0.47, "independence": 0.45, "social_support": 0.52,
           "civic_activity": 0.22}
_LOADING = 0.78  # item on its scale's latent trait
_MISSING_BLANK, _MISSING_CODE = 0.02, 0.006
#: What the comparison arm (adults of a neighbouring estate) answers.
_COMPARISON_INSTRUMENTS = ("empowerment", "social_support", "civic_activity")


def _who_answers(inst_id: str, people) -> np.ndarray:
    kind, in_group = people["kind"], people["group"] >= 0
    adults = (kind == KIND_ADULT) | ((kind == KIND_RESIDENT) & in_group)
    youth = kind == KIND_YOUTH
    return {"empowerment": adults | youth, "social_support": adults | youth, "civic_activity": adults,
            "recovery": kind == KIND_ADULT, "independence": youth}.get(inst_id, people["respondent"])


def draw_questionnaires(rng, people, dose, instruments: dict[str, Instrument], *, extra=None,
                    waves: Sequence[str] = WAVES_DEFAULT) -> dict[str, pd.DataFrame]:
    """One ``q_<id>`` table per instrument: baseline for every respondent, endline for those who stayed.

    With ``waves`` holding ``midline`` or ``followup``, those rows come from
    ``extra`` (its own generator): a midline in June for those still in the
    programme, half-way from baseline to endline; a follow-up in March of the
    next year for most of those with an endline, with part of the gain faded.
    """
    n = len(people["kind"])
    respondent = people["respondent"]
    # Dose: rank of the sessions attended among respondents of the same kind (0..1).
    dose_rank = np.zeros(n)
    for k in (KIND_ADULT, KIND_YOUTH, KIND_RESIDENT):
        members = np.flatnonzero(respondent & (people["kind"] == k))
        if len(members) > 1:
            ranks = np.argsort(np.argsort(dose[members], kind="stable"), kind="stable")
            dose_rank[members] = ranks / (len(members) - 1)
        elif len(members):
            dose_rank[members] = 0.5
    improvement = 0.15 + 0.6 * dose_rank  # latent SD units: mean about 0.45
    general = rng.normal(0, 1, n)
    base_day = np.clip(people["enrolled"] + rng.integers(0, 12, n), 3, 58)
    end_day = rng.integers(311, 351, n)

    later = {}
    if "midline" in waves:
        mid_day = extra.integers(month_start_day(6), month_start_day(7), n)  # June
        stayed = ~(people["exited"] <= mid_day)  # NaN (never left) stays
        later["midline"] = (respondent & stayed & (extra.random(n) < 0.93), mid_day, 0.55)
    if "followup" in waves:
        fu_day = extra.integers(LAST_DAY + 60, LAST_DAY + 90, n)  # March of the next year
        later["followup"] = (people["endline"] & (extra.random(n) < 0.8), fu_day, 0.75)

    out = {}
    for inst_id, inst in instruments.items():
        who = np.flatnonzero(_who_answers(inst_id, people) & respondent)
        extra_waves = {w: (answered[who], day[who], share) for w, (answered, day, share) in later.items()}
        out[f"q_{inst_id}"] = _answers(rng, inst, who, people["endline"][who], general[who], improvement[who],
                                       base_day[who], end_day[who], _CENTRE.get(inst_id, 0.5),
                                       extra=extra, extra_waves=extra_waves)
    return out


def comparison_answers(extra, n_programme: int, n: int, instruments: dict[str, Instrument],
                        questionnaires: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The comparison arm's baseline and endline answers appended to the adults' questionnaires.

    Residents of a neighbouring estate, as alike the programme's adults as
    a non-randomised comparison group is (a little better off at baseline),
    with a small true change (0.1 latent SD) and about 12 % without endline.
    """
    who = n_programme + np.arange(n)
    general = extra.normal(0.1, 1, n)
    has_endline = extra.random(n) >= 0.12
    base_day = extra.integers(10, 59, n)
    end_day = extra.integers(311, 351, n)
    out = dict(questionnaires)
    for inst_id, inst in instruments.items():
        if inst_id not in _COMPARISON_INSTRUMENTS:
            continue
        q = _answers(extra, inst, who, has_endline, general, np.full(n, 0.1), base_day, end_day,
                     _CENTRE.get(inst_id, 0.5))
        out[f"q_{inst_id}"] = pd.concat([questionnaires[f"q_{inst_id}"], q], ignore_index=True)
    return out


def comparison_people(extra, n: int) -> pd.DataFrame:
    """The comparison arm's rows of ``participants``: adults, no family, no components, no enrolment."""
    return pd.DataFrame({
        "participant_id": numbered_ids("C", n),
        "family_id": None,
        "components": "",
        "group": None,
        "role": "adult",
        "sex": np.where(extra.random(n) < 0.6, "F", "M").astype(object),
        "birth_year": pd.array(extra.integers(1955, 2001, n), dtype="Int64"),
        "enrolled_on": None,
        "exited_on": None,
        "exit_reason": None,
        "arm": "comparison",
    })


def _answers(rng, inst: Instrument, who, has_endline, general, improvement, base_day, end_day,
             centre: float, *, extra=None, extra_waves: dict | None = None) -> pd.DataFrame:
    items = inst.item_ids
    k, m = len(items), len(who)
    # Each item belongs to its smallest scale (a total scale spans the others).
    scales = sorted(inst.scales, key=lambda s: len(s.items))
    primary = np.array([next(i for i, s in enumerate(scales) if item in s.items) for item in items])
    reversed_items = np.array([any(item in s.reversed for s in inst.scales) for item in items])
    lo, hi = inst.response_min, inst.response_max
    spread = (hi - lo) / 4.2
    item_centre = lo + centre * (hi - lo) + rng.normal(0, 0.06 * (hi - lo), k)

    trait = 0.55 * general + np.sqrt(1 - 0.55 ** 2) * rng.normal(0, 1, m)
    scale_trait = 0.8 * trait[:, None] + 0.6 * rng.normal(0, 1, (m, len(scales)))
    endline_trait = scale_trait + improvement[:, None] + 0.35 * rng.normal(0, 1, (m, len(scales)))

    def wave(latent, rng=rng):
        z = _LOADING * latent[:, primary] + np.sqrt(1 - _LOADING ** 2) * rng.normal(0, 1, (len(latent), k))
        x = np.clip(np.rint(item_centre + spread * z), lo, hi)
        x = np.where(reversed_items, lo + hi - x, x)
        u = rng.random(x.shape)
        x[u < _MISSING_BLANK] = np.nan
        codes = list(inst.missing_codes)
        if codes:
            coded = (u >= _MISSING_BLANK) & (u < _MISSING_BLANK + _MISSING_CODE)
            x[coded] = codes[0]
            if len(codes) > 1:
                x[u >= 1 - 0.0008] = codes[1]
        return x

    base = wave(scale_trait)
    end = wave(endline_trait[has_endline])
    parts = [(who, "baseline", base_day, base), (who[has_endline], "endline", end_day[has_endline], end)]
    for name, (answered, day, share) in (extra_waves or {}).items():
        # midline: part of the way to the endline; follow-up: the endline with part of the gain faded
        start = scale_trait if name == "midline" else endline_trait - improvement[:, None]
        latent = start + share * improvement[:, None] + 0.35 * extra.normal(0, 1, (m, len(scales)))
        parts.append((who[answered], name, day[answered], wave(latent[answered], extra)))
    frame = pd.DataFrame({
        "p": np.concatenate([part[0] for part in parts]),
        "wave": np.concatenate([np.full(len(part[0]), part[1], dtype=object) for part in parts]),
        "date": np.concatenate([iso_dates(part[2]) for part in parts]),
    })
    values = np.vstack([part[3] for part in parts])
    whole = bool(np.all(np.isnan(values) | (values == np.round(values))))
    for j, item in enumerate(items):  # answers as typed: whole numbers stay whole (3, not 3.0)
        frame[item] = pd.array(values[:, j], dtype="Float64").astype("Int64") if whole else values[:, j]
    return frame
