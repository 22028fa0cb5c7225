"""evaltools.codes: pd.factorize remembered per array, never stale (reference: pandas.factorize itself)."""

import numpy as np
import pandas as pd
import pytest

from evaltools import codes


@pytest.fixture(autouse=True)
def _fresh():
    codes.forget()
    yield
    codes.forget()


def _ids(n=60_000, seed=0):
    rng = np.random.default_rng(seed)
    values = np.array([f"P{i:06d}" for i in rng.integers(0, 9_000, n)], dtype=object)
    values[rng.integers(0, n, 50)] = None
    return pd.Series(values, dtype="str")


@pytest.mark.parametrize("sort", [False, True])
@pytest.mark.parametrize("use_na_sentinel", [True, False])
def test_same_as_pandas_factorize(sort, use_na_sentinel):
    s = _ids()
    got = codes.factorize(s, sort=sort, use_na_sentinel=use_na_sentinel)
    want = pd.factorize(s, sort=sort, use_na_sentinel=use_na_sentinel)
    np.testing.assert_array_equal(got[0], want[0])
    pd.testing.assert_index_equal(got[1], want[1])
    again = codes.factorize(s, sort=sort, use_na_sentinel=use_na_sentinel)
    assert again[0] is got[0]


def test_a_column_edited_in_place_is_hashed_again():
    s = _ids()
    first, _ = codes.factorize(s)
    array = s.array
    array[0] = "NEW-ID"             # an edit that keeps the array object
    assert s.array is array
    second, uniques = codes.factorize(s)
    assert second is not first
    np.testing.assert_array_equal(second, pd.factorize(s)[0])
    assert uniques[second[0]] == "NEW-ID"


def test_codes_are_read_only_and_small_or_numeric_columns_are_not_kept():
    s = _ids()
    c, _ = codes.factorize(s)
    with pytest.raises(ValueError):
        c[0] = 5
    small = pd.Series(["a", "b"], dtype="str")
    assert codes.factorize(small)[0] is not codes.factorize(small)[0]
    numbers = pd.Series(np.arange(60_000) % 7)
    assert codes.factorize(numbers)[0] is not codes.factorize(numbers)[0]


def test_another_column_with_equal_values_is_not_confused_and_dead_columns_are_forgotten():
    s = _ids()
    t = s.copy()
    assert codes.factorize(t)[0] is not codes.factorize(s)[0]
    del t
    codes.factorize(s)
    assert all(e.ref() is not None for e in codes._memo.values())


def test_wrappers_of_one_column_share_its_codes():
    s = _ids()
    first, _ = codes.factorize(s)
    assert codes.factorize(s.astype("str"))[0] is first


@pytest.mark.parametrize("sort", [False, True])
@pytest.mark.parametrize("use_na_sentinel", [True, False])
def test_a_column_of_long_runs_gets_factorizes_codes(sort, use_na_sentinel):
    # runs of equal neighbours are hashed once each; the result must still be pandas.factorize's
    rng = np.random.default_rng(3)
    values = np.repeat(np.array(["wave_b", "wave_a", None, "wave_c", "wave_a"], dtype=object)[rng.integers(0, 5, 900)],
                       rng.integers(1, 200, 900))
    for s in (pd.Series(values, dtype="str"), pd.Index(values, dtype="str"), pd.array(values, dtype="str")):
        got = codes.factorize(s, sort=sort, use_na_sentinel=use_na_sentinel)
        want = pd.factorize(s, sort=sort, use_na_sentinel=use_na_sentinel)
        np.testing.assert_array_equal(got[0], want[0])
        assert list(got[1]) == list(want[1]) and type(got[1]) is type(want[1])
