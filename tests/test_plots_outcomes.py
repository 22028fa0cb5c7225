"""Figures of change in outcomes: suppressed rows never drawn, words from the catalogue, no ids, large data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from evaltools.change import dose_points, dose_response, paired_change
from evaltools.instruments import LIBRARY, load_instrument
from evaltools.labels import t
from evaltools.plots.outcomes import change_forest, dose_response_panels, reliable_change_bars
from evaltools.reliable_change import reliable_change

EMP = load_instrument(LIBRARY / "empowerment.yaml")


def _texts(fig: Figure) -> str:
    parts = [t_.get_text() for t_ in fig.texts]
    for ax in fig.axes:
        parts += [ax.get_title(), ax.get_title(loc="left"), ax.get_xlabel()]
        parts += [lab.get_text() for lab in ax.get_yticklabels()] + [t_.get_text() for t_ in ax.texts]
    if fig._suptitle is not None:
        parts.append(fig._suptitle.get_text())
    return "\n".join(parts)


@pytest.fixture(scope="module")
def big():
    """2 000 people with ids that must never show, two groups of which one is tiny."""
    rng = np.random.default_rng(0)
    n = 2000
    ids = [f"SECRET{i:05d}" for i in range(n)]
    frames = []
    for scale in ("agency", "voice"):
        pre = np.clip(rng.normal(3, 0.7, n), 1, 5)
        post = np.clip(pre + rng.normal(0.3, 0.5, n), 1, 5)
        frames.append(pd.DataFrame({"participant_id": ids * 2, "wave": ["baseline"] * n + ["endline"] * n,
                                    "instrument": "empowerment", "scale": scale, "score": np.r_[pre, post]}))
    scores = pd.concat(frames, ignore_index=True)
    members = pd.DataFrame({"participant_id": ids[:3] + ids[3:], "group": ["tiny"] * 3 + ["big"] * (n - 3)})
    dose = pd.DataFrame({"participant_id": ids, "sessions": rng.integers(0, 40, n)})
    return scores, members, dose


def test_forest_leaves_out_suppressed_rows_and_says_so(big):
    scores, members, _ = big
    change = paired_change(scores, membership=members, instruments={"empowerment": EMP})
    fig = change_forest(change, lang="pl", instruments={"empowerment": EMP})
    text = _texts(fig)
    assert "Sprawczość" in text and "Głos" in text and "SECRET" not in text
    assert t("outcomes.plot.forest_title", "pl", group=t("outcomes.group_all", "pl")) in text
    for group in ("tiny", "big"):      # tiny (3 people) is hidden, and big with it (it is all but 3)
        assert t("outcomes.plot.nothing", "en") in _texts(change_forest(change, group=group, lang="en"))
    mixed = change.copy()
    mixed.loc[(mixed["group"] == "all") & (mixed["scale"] == "voice"), "suppressed"] = True
    fig2 = change_forest(mixed, measure="mean_diff")
    assert len(fig2.axes[0].get_yticks()) == 1
    assert t("outcomes.plot.hidden_rows", "en", n=1) in _texts(fig2)
    with pytest.raises(ValueError):
        change_forest(change, measure="d_z")


def test_reliable_change_bars_shares(big):
    scores, members, _ = big
    # the library's empowerment scale has no published reliability: give it a sample alpha of 40 cases
    alphas = pd.DataFrame({"instrument": "empowerment", "scale": ["agency", "voice"], "wave": "baseline",
                           "n": 40, "alpha": 0.8})
    rc = reliable_change(scores, instruments={"empowerment": EMP}, membership=members, reliability_table=alphas)
    fig = reliable_change_bars(rc, instruments={"empowerment": EMP})
    ax = fig.axes[0]
    all_rows = rc[rc["group"] == "all"]
    widths = [p.get_width() for p in ax.patches]                     # 3 categories × 2 scales
    assert len(widths) == 6
    expected = 100 * all_rows["n_deteriorated"].to_numpy() / all_rows["n_pairs"].to_numpy()
    assert widths[:2] == pytest.approx(list(expected))
    assert "SECRET" not in _texts(fig)


def test_dose_panels_sample_and_stay_readable(big):
    scores, _, dose = big
    table = dose_response(scores, dose)
    points = dose_points(scores, dose)
    assert "participant_id" not in points.columns
    fig = dose_response_panels(points, table, sample=250, lang="pl", instruments={"empowerment": EMP})
    assert len(fig.axes) == 2
    assert all(len(ax.collections[0].get_offsets()) == 250 for ax in fig.axes)   # a sample, not 2 000 dots
    again = dose_response_panels(points, table, sample=250, lang="pl")
    np.testing.assert_array_equal(fig.axes[0].collections[0].get_offsets(),
                                  again.axes[0].collections[0].get_offsets())    # seeded
    hidden = dose_response_panels(points, table.assign(suppressed=True))
    assert t("outcomes.plot.nothing", "en") in _texts(hidden)
