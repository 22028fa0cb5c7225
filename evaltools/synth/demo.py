"""The demo in memory and on disk: :func:`demo_tables`, :func:`until_baseline`, :func:`write_demo_data`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.errors import UsageError
from evaltools.instruments import find_instrument
from evaltools.labels import LANGS
from evaltools.synth.people import draw_people
from evaltools.synth.plan import EXTRA_STREAM, FORMATS, INSTRUMENTS, WAVES_DEFAULT, WAVE_ORDER, Plan
from evaltools.synth.questionnaires import comparison_answers, comparison_people, draw_questionnaires
from evaltools.synth.sessions import draw_attendance, draw_headcounts, draw_sessions
from evaltools.synth.ties import draw_ties
from evaltools.synth.writing import contract_tables, project_config, project_yaml_text


def demo_tables(*, seed: int = 0, participants: int | None = None, comparison: int = 0,
                waves: Sequence[str] = WAVES_DEFAULT) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The demo project in memory: its project.yaml and its tables.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the same seed gives the same data.
    participants
        Number of people; ``None`` is the programme's own size (75). Larger
        numbers scale families, groups, sites and sessions proportionally.
    comparison
        Number of people in a comparison arm (``arm = comparison``):
        residents of a neighbouring estate who answer the adults'
        questionnaires at baseline and endline, attend no session, have no
        components and change less than the programme's people (about 0.1
        latent SD). Their ids are ``C001``, ``C002``, ...
    waves
        The questionnaire waves, in time order: ``baseline``, optionally
        ``midline`` (June), ``endline``, optionally ``followup`` (March of
        the next year, after the period's end). The programme's people answer
        every wave; the comparison arm baseline and endline only.

    Every extra (comparison arm, midline, follow-up) is drawn from its own
    seeded generator, so the programme's baseline and endline tables are the
    same with or without them, and the default demo is unchanged.

    Returns
    -------
    config : dict
        The content of project.yaml (name, period, language ``pl``,
        instruments, min_cell, primary_outcomes, groups, targets).
    tables : dict of str to DataFrame
        ``participants``, ``sessions``, ``attendance``, ``ties`` and one
        ``q_<id>`` per instrument, with the contract's column names, as they
        are written to CSV: ids, codes and ``;``-lists as strings, dates as
        ISO strings, counts and answers as nullable integers.

    Examples
    --------
    >>> config, tables = demo_tables(seed=1, participants=150)
    >>> len(tables["participants"]), int((tables["sessions"]["activity"] == "community_event").sum())
    (150, 16)
    """
    plan = Plan(participants)
    waves = _check_extras(comparison, waves)
    rng = np.random.default_rng(seed)
    extra = np.random.default_rng([seed, EXTRA_STREAM])  # never the default stream: the default demo stays as it was
    instruments = {i: find_instrument(i) for i in INSTRUMENTS}

    people = draw_people(rng, plan)
    sessions = draw_sessions(rng, plan, people)
    sessions, attendance = draw_attendance(rng, people, sessions)
    sessions = draw_headcounts(rng, plan, people, sessions, attendance)
    dose = np.bincount(attendance["p"].to_numpy(), minlength=len(people["kind"]))
    questionnaires = draw_questionnaires(rng, people, dose, instruments, extra=extra, waves=waves)
    ties = draw_ties(rng, people, dose)
    if comparison:
        questionnaires = comparison_answers(extra, len(people["kind"]), comparison, instruments, questionnaires)

    tables = contract_tables(plan, people, sessions, attendance, ties, questionnaires,
                              comparison=comparison_people(extra, comparison) if comparison else None)
    return project_config(plan), tables


def until_baseline(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """What staff will have typed by the baseline run: the year cut after the last baseline answer.

    Questionnaires and ties keep their baseline rows; sessions, attendance and
    participants keep what happened up to that day (later exits are not known yet).

    >>> _, tables = demo_tables(seed=1)
    >>> spring = until_baseline(tables)
    >>> sorted(set(spring["q_empowerment"]["wave"]))
    ['baseline']
    """
    q_names = [n for n in tables if n.startswith("q_")]
    base_dates = pd.concat([tables[n].loc[tables[n]["wave"] == "baseline", "date"] for n in q_names])
    cut = pd.to_datetime(base_dates).max()
    out = {n: tables[n][tables[n]["wave"] == "baseline"].reset_index(drop=True) for n in q_names}
    if "ties" in tables:
        out["ties"] = tables["ties"][tables["ties"]["wave"] == "baseline"].reset_index(drop=True)
    sessions = tables["sessions"][pd.to_datetime(tables["sessions"]["date"]) <= cut].reset_index(drop=True)
    out["sessions"] = sessions
    att = tables["attendance"]
    out["attendance"] = att[att["session_id"].isin(sessions["session_id"])].reset_index(drop=True)
    people = tables["participants"].copy()
    people = people[pd.to_datetime(people["enrolled_on"]).fillna(cut) <= cut].reset_index(drop=True)
    later = pd.to_datetime(people["exited_on"]) > cut
    people.loc[later, ["exited_on", "exit_reason"]] = None
    out["participants"] = people
    keep = set(people["participant_id"])
    for name in q_names + ["ties", "attendance"]:
        if name in out:
            out[name] = out[name][out[name]["participant_id"].isin(keep)].reset_index(drop=True)
    if "ties" in out:
        alter = out["ties"]["alter_participant_id"]
        out["ties"] = out["ties"][alter.isna() | alter.isin(keep)].reset_index(drop=True)
    return {n: out[n] for n in tables}


def write_demo_data(out: str | Path, *, seed: int = 0, participants: int | None = None, fmt: str = "csv",
                    lang: str = "pl", until: str | None = None, comparison: int = 0,
                    waves: Sequence[str] = WAVES_DEFAULT) -> Path:
    """Write the demo data folder (``evaltools demo-data``) and return its path.

    Parameters
    ----------
    out
        The folder to create. It must not exist, or be empty: the demo never
        overwrites anything.
    seed, participants, comparison, waves
        As in :func:`demo_tables`.
    fmt
        ``csv``: one ``<table>.csv`` per table (UTF-8, comma-separated, ISO
        dates) beside ``project.yaml``. ``xlsx``: the tables typed into the
        Excel template (:func:`evaltools.templates.write_filled_workbook`) as
        ``<out>/<out name>.xlsx``, beside ``project.yaml``.
    lang
        ``pl`` or ``en``: the project's language and the template's.
    until
        ``"baseline"``: only what staff will have typed by the baseline run
        (:func:`until_baseline`); ``None``: the whole year.

    Raises
    ------
    UsageError
        ``out`` is a file or a folder that is not empty, or ``fmt``/``lang``
        is not known.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise UsageError(f"format {fmt!r} is not known; expected csv or xlsx")
    if lang not in LANGS:
        raise UsageError(f"language {lang!r} is not known; expected {' or '.join(LANGS)}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is a file; the demo data needs a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise UsageError(f"{out}: the folder exists and is not empty; the demo data needs a new or empty folder")
    if until not in (None, "baseline", "endline"):
        raise UsageError(f"--until {until!r} is not known; expected baseline or endline")
    config, tables = demo_tables(seed=seed, participants=participants, comparison=comparison, waves=waves)
    if until == "baseline":
        tables = until_baseline(tables)
    config["language"] = lang
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        for name, df in tables.items():
            df.to_csv(out / f"{name}.csv", index=False, encoding="utf-8", lineterminator="\n")
    else:
        from evaltools.templates import write_filled_workbook
        write_filled_workbook(out / f"{out.name}.xlsx", tables, lang=lang,
                              instruments=[find_instrument(i) for i in config["instruments"]])
    options = (f" --comparison {comparison}" if comparison else "") + (
        f" --waves {','.join(waves)}" if tuple(waves) != WAVES_DEFAULT else "")
    (out / "project.yaml").write_text(project_yaml_text(config, seed=seed, n=len(tables["participants"]),
                                                    options=options), encoding="utf-8")
    return out


def _check_extras(comparison, waves) -> tuple[str, ...]:
    """The waves as a tuple, after checking both extras (a UsageError names what is wrong)."""
    if isinstance(comparison, bool) or not isinstance(comparison, (int, np.integer)) or comparison < 0:
        raise UsageError(f"comparison must be a whole number of at least 0, found {comparison!r}")
    waves = tuple(str(w).strip() for w in ([waves] if isinstance(waves, str) else waves))
    if len(waves) == 1 and "," in waves[0]:
        waves = tuple(w.strip() for w in waves[0].split(","))
    unknown = [w for w in waves if w not in WAVE_ORDER]
    if unknown or len(set(waves)) != len(waves) or "baseline" not in waves or "endline" not in waves \
            or list(waves) != [w for w in WAVE_ORDER if w in waves]:
        raise UsageError(f"waves {','.join(waves)!r} are not known; expected baseline,[midline,]endline[,followup]"
                         " in this order")
    return waves
