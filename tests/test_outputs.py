"""The results contract (evaltools/outputs.py): every table a run writes is declared, and matches its declaration.

The analysis is run once per module on the session's demo data (tests/conftest.py, ``demo_data``), calling the
same functions with the same arguments as the notebooks do; the slow test reads the tables of the session's shared
baseline and endline runs (``runs``), so no run of its own is made.
"""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from evaltools import outputs
from evaltools.outputs import TABLES, check, conform, empty_frame

WRITTEN = [name for name, table in TABLES.items() if not table.conditional]


@pytest.fixture(scope="module")
def tables(demo_data) -> dict[str, pd.DataFrame]:
    """Every table the notebooks write, computed in this process (the calls of evaltools/notebooks/*.ipynb, written
    once in :func:`evaltools.bench.analysis_tables`, which ``make bench`` times)."""
    from evaltools.bench import analysis_tables

    return analysis_tables(demo_data, lang="en", seed=0)


def test_every_written_table_is_computed_here(tables):
    # the fixture mirrors the notebooks: a table declared as written and not computed above is a gap in this test
    assert sorted(tables) == sorted(WRITTEN)


@pytest.mark.parametrize("name", WRITTEN)
def test_each_table_matches_its_declaration(tables, name):
    assert len(tables[name]) > 0, f"the demo data should fill {name}"
    assert check(tables[name], name) == []


@pytest.mark.parametrize("name", WRITTEN)
def test_conform_writes_the_same_csv(tables, name):
    df = tables[name]
    assert conform(df, name).to_csv(index=False) == df.to_csv(index=False)
    shuffled = df[list(reversed(df.columns))]
    assert conform(shuffled, name).to_csv(index=False) == df.to_csv(index=False)


def test_nullable_counts_write_whole_numbers_beside_suppressed_rows(tables):
    df = tables["reliable_change"]
    assert df["suppressed"].any() and df["n_improved"].isna().any()  # the case the option is for
    written = conform(df, "reliable_change", nullable_counts=True)
    assert str(written["n_improved"].dtype) == "Int64"
    text = written.to_csv(index=False)
    rows = list(csv.DictReader(text.splitlines()))
    for col in ("n_improved", "n_unchanged", "n_deteriorated", "n_recovered"):
        assert all(re.fullmatch(r"\d*", r[col]) for r in rows), col
    # the numbers themselves are unchanged
    pd.testing.assert_series_equal(written["n_improved"].astype("float64"), df["n_improved"])
    # a table whose counts are integers already does not change at all
    assert conform(tables["change"], "change", nullable_counts=True).to_csv(index=False) == \
        tables["change"].to_csv(index=False)


@pytest.mark.parametrize("name", list(TABLES))
def test_empty_frame_has_the_declared_columns_and_dtypes(name):
    df = empty_frame(name)
    assert list(df.columns) == list(TABLES[name].column_names) and len(df) == 0
    assert {c: str(t) for c, t in df.dtypes.items()} == TABLES[name].dtypes
    assert check(df, name) == []


def test_check_names_missing_extra_misordered_and_mistyped_columns():
    good = pd.DataFrame({"table": ["participants"], "check": ["never_attended"], "n_rows_affected": [3],
                         "severity": ["info"]})
    assert check(good, "data_quality") == []
    assert check(good.drop(columns="severity"), "data_quality") == ["data_quality: missing columns 'severity'"]
    assert check(good.assign(extra=1), "data_quality") == ["data_quality: undeclared columns 'extra'"]
    assert check(good[["check", "table", "n_rows_affected", "severity"]], "data_quality") == [
        "data_quality: columns out of order: 'check' before 'table'"]
    # a count written as float would print 3.0 where today's tables print 3
    assert check(good.astype({"n_rows_affected": "float64"}), "data_quality") == [
        "data_quality, column n_rows_affected: dtype float64, expected int64"]
    assert check(good.assign(table=[1]), "data_quality") == [
        "data_quality, column table: dtype int64, expected str"]
    # a column with no value writes the same whatever its dtype
    assert check(good.assign(severity=[None]), "data_quality") == []


def test_conform_refuses_a_frame_that_is_not_the_table():
    df = empty_frame("network").drop(columns="density")
    with pytest.raises(ValueError, match="missing columns 'density'"):
        conform(df, "network")
    with pytest.raises(KeyError, match="no output table 'networks'"):
        conform(df, "networks")


def test_kinds_follow_the_naming_conventions():
    for table in TABLES.values():
        for col in table.columns:
            where = f"{table.name}.{col.name}"
            if col.name.endswith(("ci_low", "ci_high")):
                assert col.kind == "ci", where
            if col.name.startswith("p_") or col.name.endswith("_p") or col.name == "p":
                assert col.kind == "p" and col.dtype == "float64", where
            if col.name == "n" or col.name.startswith("n_"):
                assert col.kind == "count", where
            if col.name == "suppressed":
                assert col.kind == "flag" and col.dtype == "bool", where
        assert table.key, table.name
        assert len(set(table.column_names)) == len(table.columns), table.name
        assert all(c in table.column_names for c in (table.view or ())), table.name


def test_views_are_the_reports_views():
    from evaltools import report

    if hasattr(report, "VIEWS"):  # until report reads outputs.VIEWS, the two copies must agree
        assert {k: list(v) for k, v in report.VIEWS.items()} == outputs.VIEWS


@pytest.mark.slow
def test_every_table_of_a_run_is_declared_and_written_as_declared(runs):
    for result, phase in ((runs.baseline, "baseline"), (runs.endline, "endline")):
        folder = result.run_dir / "tables"
        written = {p.stem: p for p in folder.glob("*.csv")}
        assert set(written) <= set(WRITTEN), f"{phase}: undeclared tables {set(written) - set(WRITTEN)}"
        expected = {n for n in WRITTEN if phase == "endline" or TABLES[n].when.startswith("baseline")}
        assert set(written) == expected, phase
        for name, path in written.items():
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.reader(fh))
            assert tuple(rows[0]) == TABLES[name].column_names, f"{phase}: {name}"
            for i, col in enumerate(TABLES[name].columns):
                if col.dtype in ("int64", "Int64"):  # whole numbers, never 6.0
                    assert all(re.fullmatch(r"-?\d*", r[i]) for r in rows[1:]), f"{phase}: {name}.{col.name}"
