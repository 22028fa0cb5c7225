"""One table's checks (evaltools.validate.tables), called directly, against plain-Python references.

The checks work on distinct values and integer codes; these tests pin the behaviour on many rows:
which rows are reported, in which order, with which values (never a PESEL).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evaltools.io import RawTable
from evaltools.schema import TABLES, Table
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


def _participants(ids, **cols):
    n = len(ids)
    base = {"participant_id": ids, "family_id": ["F1"] * n, "components": ["self_help"] * n, "group": ["G1"] * n,
            "role": ["adult"] * n, "sex": ["F"] * n, "birth_year": ["1980"] * n, "enrolled_on": ["2021-01-04"] * n,
            "exited_on": [""] * n, "exit_reason": [""] * n}
    base.update(cols)
    frame = pd.DataFrame(base, dtype=object)
    frame["_row"] = np.arange(2, n + 2)
    return RawTable("participants", frame, "participants.csv")


def test_a_pesel_key_is_reported_once_and_never_as_a_duplicate():
    from evaltools.validate.tables import check_table
    ids = [f"P{i:04d}" for i in range(200)]
    ids[150] = ids[170] = " 44051401359"  # the same PESEL twice (one with a stray space), as an identifier
    problems = []
    typed = check_table(_participants(ids), TABLES["participants"], problems)
    keys = sorted((p.key, p.row) for p in problems)
    assert keys == [("pesel", 152), ("pesel", 172)]  # read as empty, but said once: as a PESEL
    assert typed["participant_id"].isna().sum() == 2
    assert not any("44051401359" in p.text("en") for p in problems)


def test_trimmed_values_are_one_value_and_blank_rows_go():
    from evaltools.validate.tables import check_table
    ids = [f"P{i:04d}" for i in range(100)] + ["P0001 ", "  ", ""]
    raw = _participants(ids, exit_reason=[""] * 101 + ["  ", ""], family_id=["F1"] * 101 + [" ", ""],
                        components=["self_help"] * 101 + ["", ""], group=["G1"] * 101 + ["", ""],
                        role=["adult"] * 101 + ["", ""], sex=["F"] * 101 + ["", ""],
                        birth_year=["1980"] * 101 + ["", ""], enrolled_on=["2021-01-04"] * 101 + ["", ""])
    problems = []
    typed = check_table(raw, TABLES["participants"], problems)
    assert len(typed) == 101  # the two rows of nothing but spaces are blank rows
    assert [(p.key, p.row, p.fields["first"]) for p in problems] == [("duplicate_key", 102, 3)]
    assert typed["participant_id"].iloc[-1] == "P0001"


def test_a_column_named_twice_in_a_sheet_is_reported_not_a_crash():
    from evaltools.validate.tables import check_table
    raw = _participants(["P1", "P2"])
    frame = raw.frame
    raw.frame = pd.concat([frame.drop(columns="_row"), frame[["sex"]], frame[["_row"]]], axis=1)  # sex, sex
    problems = []
    assert check_table(raw, TABLES["participants"], problems) is None
    assert [(p.key, p.column) for p in problems] == [("column_twice", "sex")]


def _pandera_schema(table: Table):
    """The reference: the pandera schema validation used before issue 18 (evaltools.schema.pandera_schema then)."""
    import pandera.pandas as pa

    columns = {}
    for col in table.columns:
        checks = []
        if col.kind == "code":
            checks.append(pa.Check.isin(col.allowed()))
        if col.kind in ("int", "number"):
            if col.min is not None:
                checks.append(pa.Check.ge(col.min))
            if col.max is not None:
                checks.append(pa.Check.le(col.max))
        dtype = {"int": "Float64", "number": "Float64", "date": "datetime64[ns]"}.get(col.kind)
        columns[col.name] = pa.Column(dtype, checks=checks, nullable=not col.required, required=False, coerce=False)
    return pa.DataFrameSchema(columns, strict=False, name=table.name)


def test_schema_failures_are_pandera_s_failure_cases_in_pandera_s_order():
    # the required and range checks replaced a pandera schema (issue 18: ~1 s at 100,000 people); the cells
    # found, and the order in which they are listed (which cells the capped messages quote), stay pandera's
    import pandera.errors
    from evaltools.validate.tables import schema_failures
    rng = np.random.default_rng(18)
    for name in ("participants", "sessions", "attendance"):
        table = TABLES[name]
        for n in (1, 7, 40, 2500):
            typed = pd.DataFrame(index=pd.RangeIndex(n))
            for col in table.columns:
                if col.kind in ("int", "number"):
                    lo, hi = col.min if col.min is not None else 0, col.max if col.max is not None else 100
                    typed[col.name] = np.where(rng.random(n) < 0.3, np.nan, rng.uniform(lo - 50, hi + 50, n))
                elif col.kind == "date":
                    typed[col.name] = pd.Series(pd.to_datetime("2021-01-01"), index=typed.index).where(
                        rng.random(n) < 0.8)
                else:
                    value = col.allowed()[0] if col.allowed() else "x"
                    typed[col.name] = pd.Series(np.where(rng.random(n) < 0.2, None, value), dtype="str")
            got = [(c.name, i) for c, _, positions in schema_failures(table, typed) for i in positions.tolist()]
            try:
                _pandera_schema(table).validate(typed, lazy=True)
                expected = []
            except pandera.errors.SchemaErrors as exc:
                cases = exc.failure_cases
                expected = [(c, int(i)) for (c, _), g in cases.groupby(["column", "check"], sort=False)
                            for c, i in zip(g["column"], g["index"])]
            assert got == expected, (name, n)
            assert n < 2500 or len(got) > 500  # the fixture does fail
