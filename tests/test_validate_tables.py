"""One table's checks (evaltools.validate.tables), called directly, against plain-Python references.

The checks work on distinct values and integer codes; these tests pin the behaviour on many rows:
which rows are reported, in which order, with which values (never a PESEL).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.io import RawTable
from evaltools.schema import Table
from evaltools.validate.tables import MAX_PER_COLUMN, _check_keys, key_groups


def test_key_groups_match_tuples_of_values():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"p": pd.Series([f"P{i}" if i else None for i in rng.integers(0, 30, 2000)], dtype="str"),
                       "w": pd.Series(rng.choice(["baseline", "endline", None], 2000), dtype="str"),
                       "a": pd.Series([f"A{i}" for i in rng.integers(0, 5, 2000)], dtype="str")})
    got = key_groups(df, ["p", "w", "a"])
    tuples = [None if pd.isna(p) or pd.isna(w) else (p, w, a) for p, w, a in df.itertuples(index=False)]
    assert ((got == -1) == np.array([t is None for t in tuples])).all()
    seen: dict = {}
    for g, t in zip(got, tuples):  # the same key <-> the same number
        if t is not None:
            assert seen.setdefault(t, g) == g
    assert len(set(seen.values())) == len(seen)


def test_duplicate_keys_reported_on_later_rows_naming_the_first():
    n = 300
    df = pd.DataFrame({"participant_id": pd.Series([f"P{i % 100:03d}" for i in range(n)], dtype="str"),
                       "wave": pd.Series(["baseline"] * 150 + ["endline"] * 150, dtype="str"),
                       "_row": np.arange(10, n + 10)})
    df.loc[5, "wave"] = None  # an incomplete key is never a duplicate
    raw = RawTable("q_x", df, "q_x.csv")
    problems = []
    table = Table("q_x", True, (), ("participant_id", "wave"))
    _check_keys(raw, table, df, problems)
    # reference: rows whose (participant_id, wave) was seen in an earlier complete row
    first, want = {}, []
    for pid, wave, row in df.itertuples(index=False):
        if pd.isna(wave):
            continue
        if (pid, wave) in first:
            want.append((row, f"{pid} / {wave}", first[(pid, wave)]))
        else:
            first[(pid, wave)] = row
    got = [(p.row, p.fields["value"], p.fields["first"]) for p in problems if p.key == "duplicate_key"]
    assert got == want[:MAX_PER_COLUMN] and len(want) > MAX_PER_COLUMN
    assert problems[-1].key == "too_many_problems" and problems[-1].fields["n"] == len(want) - MAX_PER_COLUMN
    assert all(p.column == "wave" and p.file == "q_x.csv" for p in problems)
