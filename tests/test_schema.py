"""The contract's chronological wave order (evaltools.schema.WAVE_ORDER) and where waves are ordered by it.

Reference: docs/statistics.md (three or more waves) orders waves baseline, midline, endline, followup; the
contract's code list ``CODES["wave"]`` is the dropdown order (midline after endline) and must not be used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from evaltools.project import Project
from evaltools.schema import CODES, WAVE_ORDER, ordered_waves, wave_rank


def test_wave_order_is_chronological_not_the_dropdown_order():
    assert WAVE_ORDER == ("baseline", "midline", "endline", "followup")
    assert set(WAVE_ORDER) == set(CODES["wave"])
    assert ordered_waves(["followup", "endline", "midline", "baseline", "endline"]) == list(WAVE_ORDER)
    assert ordered_waves(["pilot", "endline", "baseline"]) == ["baseline", "endline", "pilot"]
    assert wave_rank("midline") < wave_rank("endline") < wave_rank("unknown-wave")


def test_project_waves_put_the_midline_before_the_endline():
    # the design statement's last wave is waves[-1]: it must be the endline when a midline exists
    q = pd.DataFrame({"participant_id": ["A", "A", "A"], "wave": ["endline", "midline", "baseline"]})
    project = Project(data_dir=Path("."), config={}, participants=pd.DataFrame(), sessions=pd.DataFrame(),
                      attendance=pd.DataFrame(), ties=pd.DataFrame(), questionnaires={"x": q}, instruments={})
    assert project.waves == ["baseline", "midline", "endline"]


def test_scores_and_reliability_rows_follow_the_time_order():
    from evaltools.instruments import LIBRARY, load_instrument
    from evaltools.reliability import reliability
    from evaltools.scoring import score_all

    inst = load_instrument(LIBRARY / "empowerment.yaml")
    items = [i.id for i in inst.items]
    rng = np.random.default_rng(0)
    waves = ["endline", "midline", "baseline"]
    q = pd.DataFrame({"participant_id": [f"P{i}" for i in range(6)] * 3, "wave": np.repeat(waves, 6)})
    for item in items:
        q[item] = rng.integers(1, 6, len(q))
    scores = score_all({"empowerment": q}, {"empowerment": inst})
    assert list(pd.unique(scores["wave"])) == ["baseline", "midline", "endline"]
    rel = reliability({"empowerment": q}, {"empowerment": inst}, min_cell=0)
    assert list(pd.unique(rel["wave"])) == ["baseline", "midline", "endline"]
