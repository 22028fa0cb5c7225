"""Figures of social ties (evaltools/plots/ties.py): no mark stands for fewer than min_cell people.

The checks read the matplotlib artists themselves: colours of the node collections, heights of the
bars, the Line2D objects, texts and legend entries. Means and CIs are checked against numpy/scipy.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from scipy import stats

from evaltools.plots.ties import ego_slope_figure, merged_bins, network_figure, shown_groups

NA = pd.NA


def ties_frame(rows):
    """rows: (ego, wave, alter, alter_participant_id)."""
    return pd.DataFrame(rows, columns=["participant_id", "wave", "alter", "alter_participant_id"], dtype="str")


def people(ids, groups):
    return pd.DataFrame({"participant_id": ids, "group": groups}, dtype="str")


def node_colour_counts(fig: Figure) -> list[Counter]:
    """Per panel: how many nodes carry each face colour."""
    out = []
    for ax in fig.axes:
        for coll in ax.collections:
            if isinstance(coll, PathCollection):
                out.append(Counter(tuple(np.round(c, 3)) for c in coll.get_facecolors()))
    return out


def bar_heights(ax) -> list[float]:
    return [p.get_height() for p in ax.patches]


# --------------------------------------------------------------------------- helpers

def test_merged_bins_hand_cases():
    # [1, 6, 9, 2, 0, 3]: the 1 joins the 6 (its only neighbour); then 2 (smallest) joins the 0 (fewer
    # people than the 9), and that bin of 2 joins the 3.
    assert merged_bins(np.array([1, 6, 9, 2, 0, 3]), min_cell=5) == [(0, 1), (2, 2), (3, 5)]
    assert merged_bins(np.array([0, 0, 7, 0]), min_cell=5) == [(2, 2)]  # empty ends dropped
    assert merged_bins(np.array([2, 2]), min_cell=5) == [(0, 1)]  # one bin left, whatever its count
    assert merged_bins(np.array([0, 0]), min_cell=5) == []
    # two rows (waves): a bin small in either row merges; zero stays allowed
    two = np.array([[5, 0, 6, 1], [5, 7, 2, 5]])
    bins = merged_bins(two, min_cell=5)
    sums = np.array([[two[r, a:b + 1].sum() for a, b in bins] for r in range(2)])
    assert ((sums == 0) | (sums >= 5)).all() and bins[0][0] == 0 and bins[-1][1] == 3


def test_shown_groups_merge_small_groups_and_a_small_rest():
    assert shown_groups(["G1"] * 5 + ["G2"] * 5, min_cell=5) == (["G1", "G2"], None)
    assert shown_groups(["G1"] * 5 + [None] * 5, min_cell=5) == (["G1"], "no_group")
    # G3 (3) is too small: with the 2 without a group it makes an "other" of 5
    assert shown_groups(["G1"] * 6 + ["G2"] * 6 + ["G3"] * 3 + [None] * 2, min_cell=5) == (["G1", "G2"], "other")
    # the rest (3) would stand for fewer than 5: the smallest shown group (G1, 6) joins it
    assert shown_groups(["G1"] * 6 + ["G2"] * 8 + ["G3"] * 3, min_cell=5) == (["G2"], "other")
    # everyone grey when no group can be shown
    assert shown_groups(["G1"] * 10 + ["G2"] * 3, min_cell=5) == ([], "other")


# --------------------------------------------------------------------------- network drawing

IDS = [f"P{i:02d}" for i in range(17)]
GROUPS = ["G1"] * 6 + ["G2"] * 6 + ["G3"] * 3 + [NA] * 2  # G3 has 3 people
TIES = ties_frame([(IDS[i], w, "1", IDS[(i * 5 + 1) % 17]) for i in range(12) for w in ("baseline", "endline")
                   if w == "endline" or i % 2])


def test_network_figure_colours_no_group_smaller_than_min_cell_and_names_it_other():
    fig = network_figure(TIES, people(IDS, GROUPS), min_cell=5)
    panels = node_colour_counts(fig)
    assert len(panels) == 2 and all(sum(c.values()) == 17 for c in panels)
    for counts in panels:
        assert min(counts.values()) >= 5  # every colour stands for at least min_cell people
        assert sorted(counts.values()) == [5, 6, 6]  # G1, G2, and G3 + no group as "other"
    legend = [x.get_text() for x in fig.legends[0].get_texts()]
    assert "G3" not in legend and "other (small groups, no group)" in legend
    texts = {x.get_text() for ax in fig.axes for x in ax.texts}
    assert not texts & set(IDS)  # nodes are never labelled
    # the old figure coloured G3 (3 people) on its own and named it in the legend


def test_network_figure_small_rest_takes_the_smallest_group_with_it():
    groups = ["G1"] * 6 + ["G2"] * 8 + ["G3"] * 3  # rest = G3 = 3 < 5: G1 joins it
    fig = network_figure(TIES, people(IDS, groups), min_cell=5)
    for counts in node_colour_counts(fig):
        assert sorted(counts.values()) == [8, 9]
    legend = [x.get_text() for x in fig.legends[0].get_texts()]
    assert "G1" not in legend and "G3" not in legend and "G2" in legend


def test_network_figure_has_no_show_ids_option():
    with pytest.raises(TypeError):
        network_figure(TIES, people(IDS, GROUPS), show_ids=True)


def test_degree_distribution_merges_bars_below_min_cell_in_polish():
    ids = [f"P{i:04d}" for i in range(600)]
    # a star: P0000 linked to 30 people (one person of degree 30), plus a chain of 40 at endline
    rows = [(ids[0], w, f"a{k}", ids[k]) for k in range(1, 31) for w in ("baseline", "endline")]
    rows += [(ids[k], "endline", "1", ids[k + 1]) for k in range(100, 140)]
    fig = network_figure(ties_frame(rows), people(ids, [NA] * 600), lang="pl", max_nodes=500, min_cell=5)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Liczba powiązań osoby z innymi uczestnikami"
    heights = bar_heights(ax)
    assert all(h == 0 or h >= 5 for h in heights)
    # each wave's bars still count all 600 people
    half = len(heights) // 2
    assert sum(heights[:half]) == 600 and sum(heights[half:]) == 600
    # the hub (degree 30) is not a bar of its own: the last bin is a merged range
    assert "–" in [x.get_text() for x in ax.get_xticklabels()][-1]
    assert any("600" in x.get_text() for x in fig.texts)  # the note says why


# --------------------------------------------------------------------------- ego figure

def ego_frame(pre, post):
    n = len(pre)
    return pd.DataFrame({"participant_id": np.repeat([f"P{i}" for i in range(n)], 2),
                         "wave": ["baseline", "endline"] * n,
                         "size": np.column_stack([pre, post]).ravel()})


def test_ego_slope_figure_draws_means_and_merged_change_bars_not_people():
    rng = np.random.default_rng(0)
    pre = rng.integers(0, 8, 30)
    post = np.clip(pre + rng.integers(-3, 5, 30), 0, None)
    post[0] = pre[0] + 20  # one person with an extreme change must not get a bar of their own
    fig = ego_slope_figure(ego_frame(pre, post), min_cell=5)
    means_ax, hist = fig.axes
    # no line per person (the old figure drew 30 + 1): only the error bar's line and caps
    assert len(means_ax.lines) <= 3
    x, y = means_ax.lines[0].get_data()
    assert np.allclose(y, [pre.mean(), post.mean()])
    # CI half-width: scipy's t interval
    lo, hi = stats.t.interval(0.95, 29, loc=post.mean(), scale=stats.sem(post))
    caps = np.concatenate([line.get_ydata() for line in means_ax.lines[1:]])
    assert np.isclose(caps, hi).any() and np.isclose(caps, lo).any()
    heights = bar_heights(hist)
    assert all(h >= 5 for h in heights) and sum(heights) == 30
    # the bars cover the changes: the extreme +20 falls inside the last (merged, wide) bar
    last = hist.patches[-1]
    assert last.get_x() <= 20 <= last.get_x() + last.get_width() and last.get_width() > 1


def test_ego_slope_figure_non_integer_measure_and_too_few_people():
    rng = np.random.default_rng(1)
    ego = ego_frame(rng.random(40), rng.random(40)).rename(columns={"size": "on_estate_share"})
    fig = ego_slope_figure(ego, measure="on_estate_share", min_cell=5)
    heights = bar_heights(fig.axes[1])
    assert all(h >= 5 for h in heights) and sum(heights) == 40
    few = ego_slope_figure(ego_frame([1, 2, 3], [2, 2, 2]), min_cell=5)
    assert all(not ax.lines and not ax.patches and not ax.collections for ax in few.axes)
    assert any("3" in x.get_text() for ax in few.axes for x in ax.texts)
