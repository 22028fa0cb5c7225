"""data_quality's completeness counts against plain-Python set arithmetic (evaltools.validate.quality)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from evaltools.validate import data_quality


def test_completeness_counts_match_set_arithmetic():
    rng = np.random.default_rng(5)
    people = [f"P{i:03d}" for i in range(300)]
    arm = rng.choice(["programme", "comparison"], 300, p=[0.8, 0.2])
    attended = [people[i] for i in rng.integers(0, 300, 2000)]
    waves = rng.choice(["baseline", "endline", "midline"], 900)
    who = [people[i] for i in rng.integers(0, 300, 900)]
    answers = rng.choice([1.0, 2.0, 3.0, 9.0, np.nan], (900, 2))
    q = pd.DataFrame({"participant_id": pd.Series(who, dtype="str"), "wave": pd.Series(waves, dtype="str"),
                      "a1": answers[:, 0], "a2": answers[:, 1]})
    project = SimpleNamespace(
        problems=[], questionnaires={"x": q},
        instruments={"x": SimpleNamespace(item_ids=("a1", "a2"), missing_codes=(9.0,))},
        attendance=pd.DataFrame({"participant_id": pd.Series(attended, dtype="str")}),
        participants=pd.DataFrame({"participant_id": pd.Series(people, dtype="str"),
                                   "arm": pd.Series(arm, dtype="str")}))
    got = {r.check: r.n_rows_affected for r in data_quality(project).itertuples()}
    base = {p for p, w in zip(who, waves) if w == "baseline"}
    endl = {p for p, w in zip(who, waves) if w == "endline"}
    programme = [p for p, a in zip(people, arm) if a != "comparison"]
    assert got["no_endline"] == len(base - endl)
    assert got["never_attended"] == sum(p not in set(attended) for p in programme)
    assert got["missing_items"] == int(sum(any(np.isnan(v) or v == 9.0 for v in row) for row in answers))
