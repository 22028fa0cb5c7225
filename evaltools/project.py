"""The validated project: what the boundary hands to the analysis.

:func:`load_project` reads and validates a data folder
(:func:`evaltools.validate.validate_folder`) and returns a :class:`Project`,
or raises :class:`~evaltools.errors.DataInvalid` listing every problem.
The dependency runs one way: this module uses :mod:`evaltools.validate`,
which knows nothing of :class:`Project`.

Typed tables (after parsing):

- ids and free text: ``str`` (missing = ``NA``); codes trimmed and in the
  contract's spelling; ``;``-lists (``components``, ``support``) as a
  normalised ``;``-joined string (see :func:`evaltools.schema.split_codes`);
- dates: ``datetime64``; numbers: ``float64`` (missing = ``NaN``);
- each table has a ``_row`` column: the row number in its file or sheet.
- questionnaires keep the answers as typed, missing codes included:
  :mod:`evaltools.scoring` turns missing codes into missing answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.errors import DataInvalid, Problem
from evaltools.instruments import Instrument
from evaltools.schema import CODES
from evaltools.validate import ValidationResult, validate_folder


@dataclass
class Project:
    data_dir: Path
    config: dict
    participants: pd.DataFrame
    sessions: pd.DataFrame
    attendance: pd.DataFrame
    ties: pd.DataFrame
    questionnaires: dict[str, pd.DataFrame]
    instruments: dict[str, Instrument]
    inputs: list[dict] = field(default_factory=list)  # {file, sha256, bytes}
    problems: list[Problem] = field(default_factory=list)  # warnings that did not stop loading
    #: People of the comparison arm (``participants.arm = comparison``) and their questionnaires. Every
    #: other field describes the programme arm only, so that no table mixes the arms (docs/statistics.md).
    comparison_participants: pd.DataFrame | None = None
    comparison_questionnaires: dict[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def from_validation(cls, result: ValidationResult) -> Project | None:
        """The project of a validation result; None when the result has errors."""
        if result.errors:
            return None
        frames = result.frames
        people = frames["participants"]
        questionnaires = {i: frames[f"q_{i}"] for i in result.instruments if f"q_{i}" in frames}
        comparison = (people["arm"].eq("comparison").fillna(False).to_numpy(dtype=bool) if "arm" in people
                      else np.zeros(len(people), dtype=bool))
        others = set(people.loc[comparison, "participant_id"])

        def programme(df: pd.DataFrame) -> pd.DataFrame:
            return df[~df["participant_id"].isin(others)] if others else df

        return cls(
            data_dir=result.data_dir,
            config=result.config,
            participants=people[~comparison] if others else people,
            sessions=frames["sessions"],
            attendance=programme(frames["attendance"]),
            ties=programme(frames["ties"]),
            questionnaires={i: programme(q) for i, q in questionnaires.items()},
            instruments=dict(result.instruments),
            inputs=result.inputs,
            problems=result.warnings,
            comparison_participants=people[comparison] if others else None,
            comparison_questionnaires=({i: q[q["participant_id"].isin(others)] for i, q in questionnaires.items()}
                                       if others else {}),
        )

    @property
    def has_comparison(self) -> bool:
        """Whether the project has people of a comparison arm."""
        return self.comparison_participants is not None and len(self.comparison_participants) > 0

    def both_arms(self) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
        """Participants and questionnaires of both arms together (for :mod:`evaltools.comparison`)."""
        if not self.has_comparison:
            return self.participants, self.questionnaires
        people = pd.concat([self.participants, self.comparison_participants], ignore_index=True)
        return people, {i: pd.concat([q, self.comparison_questionnaires.get(i, q.iloc[:0])], ignore_index=True)
                        for i, q in self.questionnaires.items()}

    @property
    def name(self) -> str:
        return str(self.config["name"])

    @property
    def period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        p = self.config["period"]
        return pd.Timestamp(p["start"]), pd.Timestamp(p["end"])

    @property
    def language(self) -> str:
        return str(self.config.get("language") or "en")

    @property
    def min_cell(self) -> int:
        return int(self.config.get("min_cell") or 5)

    @property
    def targets(self) -> list[dict]:
        return list(self.config.get("targets") or [])

    @property
    def groups(self) -> dict:
        """Optional labels of ``participants.group`` values: {value: {pl, en}}."""
        return dict(self.config.get("groups") or {})

    @property
    def waves(self) -> list[str]:
        """Waves present in any questionnaire or ties table, in time order (:data:`evaltools.schema.WAVE_ORDER`)."""
        from evaltools.schema import WAVE_ORDER
        seen = set()
        for q in self.questionnaires.values():
            seen.update(q["wave"].dropna().unique())
        if len(self.ties):
            seen.update(self.ties["wave"].dropna().unique())
        return [w for w in WAVE_ORDER if w in seen]

    def items_long(self) -> pd.DataFrame:
        """All answers, long: participant_id, wave, instrument, item, value."""
        frames = []
        for inst_id, q in self.questionnaires.items():
            items = list(self.instruments[inst_id].item_ids)
            long = q.melt(id_vars=["participant_id", "wave"], value_vars=items, var_name="item", value_name="value")
            long.insert(2, "instrument", inst_id)
            frames.append(long)
        if not frames:
            return pd.DataFrame(columns=["participant_id", "wave", "instrument", "item", "value"])
        return pd.concat(frames, ignore_index=True)


def load_project(data_dir: str | Path, *, min_cell: int | None = None, lang: str | None = None,
                 cache: str | Path | None = None) -> Project:
    """Read and validate ``data_dir``; raise :class:`~evaltools.errors.DataInvalid` if it is not valid.

    ``min_cell`` and ``lang`` override project.yaml (run parameters win).
    ``cache`` is the pickled :class:`Project` of a run that validated
    ``data_dir`` once (:mod:`evaltools.report.runner`): it is loaded instead.
    """
    if cache is not None:
        import pickle

        with open(cache, "rb") as fh:
            project = pickle.load(fh)
    else:
        result = validate_folder(data_dir)
        project = Project.from_validation(result)
        if project is None:
            raise DataInvalid(result.problems)
    if min_cell is not None:
        project.config["min_cell"] = int(min_cell)
    if lang:
        project.config["language"] = lang
    return project
