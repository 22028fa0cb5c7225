"""Figures of social ties: the network at two waves, and ego networks before and after.

Each function returns a :class:`matplotlib.figure.Figure` (no pyplot state:
safe in notebooks and in tests); every word on it comes from the label
catalogue (``ties.*`` keys) in the requested language.

Small cells (docs/statistics.md#small-cells): no mark stands for fewer than ``min_cell``
people. Ego measures are shown as means with their CI and as a
distribution of change whose bars hold at least ``min_cell`` people each;
in a network drawing, whose nodes are people by nature, nodes carry no
label and no colour of a group smaller than ``min_cell`` (such groups are
drawn as "other"); the degree distribution merges bars below ``min_cell``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evaltools.labels import code_label, fmt_number, pick, t
from evaltools.sociometric import network_edges
from evaltools.ties import participant_groups, participant_ids, tie_waves
from evaltools.plots.literal import literal_text
from evaltools.plots.grid import Margins, line_height, panel_row

#: Okabe–Ito colours (safe for colour-blind readers), then a grey for "other" / "no group".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NO_GROUP = "#BBBBBB"


@literal_text
def network_figure(ties: pd.DataFrame, participants: pd.DataFrame, *,
                   waves: Sequence[str] = ("baseline", "endline"), lang: str = "en",
                   max_nodes: int = 500, seed: int = 0, group_labels: Mapping | None = None,
                   min_cell: int = 5) -> Figure:
    """The network among participants at two waves, side by side.

    Both panels share one layout (computed on the union of the waves' ties,
    ``networkx.spring_layout`` with ``seed``; people linked at neither wave
    sit on a ring around it), so a person stays in place and what changed
    is the lines. Nodes carry no label; they are coloured by
    ``participants.group`` only for groups of at least ``min_cell``
    participants. Smaller groups and people without a group are one grey
    "other" (or "no group") colour; when that set itself has fewer than
    ``min_cell`` people, the smallest coloured group joins it (repeatedly),
    so that no colour marks fewer than ``min_cell`` people. Isolates are
    drawn with a dark outline and counted in the panel title. With more
    than ``max_nodes`` participants a drawing would be unreadable: the
    figure shows the degree distribution of each wave instead, its bars
    merged so that each holds 0 or at least ``min_cell`` people.

    Parameters
    ----------
    ties, participants : DataFrame
        The ``ties`` and ``participants`` tables.
    waves : sequence of str
        The waves drawn, left to right (a wave with no ties rows is left out).
    lang : {"en", "pl"}
    max_nodes : int
        Above this many participants, draw degree distributions.
    seed : int
        Seed of the layout.
    group_labels : mapping, optional
        ``project.groups``: {group value: {pl, en} or text} for the legend.
    min_cell : int
        The smallest number of people a colour or a bar may stand for.

    Examples
    --------
    G2 has two people, so it is drawn as "other" with the four without a group:

    >>> participants = pd.DataFrame({"participant_id": list("ABCDEFGHIJKL"),
    ...                              "group": ["G1"] * 6 + ["G2"] * 2 + [pd.NA] * 4})
    >>> ties = pd.DataFrame({"participant_id": ["A", "A"], "wave": ["baseline", "endline"],
    ...                      "alter": ["1", "1"], "alter_participant_id": ["B", "G"]})
    >>> fig = network_figure(ties, participants, min_cell=5)
    >>> len(fig.axes), [h.get_text() for h in fig.legends[0].get_texts()][:2]
    (2, ['G1', 'other (small groups, no group)'])
    """
    ids = participant_ids(participants)
    present = [w for w in waves if w in set(tie_waves(ties))]
    fig = Figure(figsize=(5.5 * max(len(present), 1) if len(ids) <= max_nodes else 8, 5.5), layout="constrained")
    if not present or not ids:
        return _no_network(fig, lang)
    edges = {w: network_edges(ties, participants, wave=w) for w in present}
    if len(ids) > max_nodes:
        return _degree_figure(fig, ids, edges, present, lang, max_nodes, min_cell)
    pos = _layout(_union_graph(ids, edges.values()), seed)
    group = participant_groups(participants)
    shown, rest_label = shown_groups([group.get(pid) for pid in ids], min_cell=min_cell)
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(shown)}
    node_colour = [colour.get(group.get(pid), NO_GROUP) for pid in ids]
    for ax, wave in zip(fig.subplots(1, len(present), squeeze=False)[0], present):
        _network_panel(ax, _union_graph(ids, [edges[wave]]), pos, node_colour, wave=wave, lang=lang)
    fig.legend(handles=_network_handles(shown, colour, rest_label, group_labels, lang), loc="outside lower center",
               ncols=min(len(shown) + bool(rest_label) + 1, 5), frameon=False, title=t("ties.network.legend", lang))
    fig.suptitle(t("ties.network.title", lang))
    return fig


def _no_network(fig: Figure, lang: str) -> Figure:
    """The figure when there is no participant or no wave with ties: one sentence."""
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, t("ties.network.no_data", lang), ha="center", va="center", wrap=True)
    return fig


def _union_graph(ids, edge_frames) -> nx.Graph:
    """Every participant as a node, linked by the ties of all ``edge_frames`` (columns ``a``, ``b``)."""
    g = nx.Graph()
    g.add_nodes_from(ids)
    for e in edge_frames:
        g.add_edges_from(zip(e["a"], e["b"]))
    return g


def _network_panel(ax, g: nx.Graph, pos: dict, node_colour: list, *, wave: str, lang: str) -> None:
    """One wave's network on the shared layout ``pos``: isolates outlined, ties and isolates counted in the title."""
    isolated = {n for n in g if g.degree(n) == 0}
    nx.draw_networkx_edges(g, pos, ax=ax, edge_color="#555555", alpha=0.6, width=1.0)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=node_colour, node_size=_node_size(len(node_colour)),
                           edgecolors=["#222222" if n in isolated else "white" for n in g], linewidths=1.2)
    ax.set_title(t("ties.network.panel", lang, wave=_capital(code_label("wave", wave, lang)),
                   edges=g.number_of_edges(), isolates=len(isolated)))
    ax.set_axis_off()


def _network_handles(shown: list, colour: dict, rest_label: str | None, group_labels: Mapping | None,
                     lang: str) -> list:
    """Legend entries: each coloured group, the grey rest (when any), the outlined isolate."""
    def dot(face: str, edge: str, label: str) -> Line2D:
        return Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=face, markeredgecolor=edge,
                      label=label)

    handles = [dot(colour[g], "white", _group_label(g, group_labels, lang)) for g in shown]
    if rest_label:
        handles.append(dot(NO_GROUP, "white", t(f"ties.network.{rest_label}", lang)))
    return handles + [dot("white", "#222222", t("ties.network.isolate", lang))]


def shown_groups(groups: Sequence[str | None], *, min_cell: int) -> tuple[list[str], str | None]:
    """Which groups a figure may colour and name, and what the grey rest is called.

    A group is shown when it has at least ``min_cell`` people. The rest —
    smaller groups and people without a group (``None``) — share one grey;
    when the rest has 1 to min_cell − 1 people, the smallest shown group
    joins it, again until the rest is empty or large enough (or nothing is
    left to show), so that no colour stands for fewer than ``min_cell``
    people (docs/statistics.md#small-cells, Small cells).

    Parameters
    ----------
    groups : sequence of str or None
        Each person's group.
    min_cell : int

    Returns
    -------
    (list of str, str or None)
        The shown groups, sorted; and the label key of the rest: ``None``
        when nobody is left, ``"no_group"`` when the rest are only people
        without a group, else ``"other"``.

    Examples
    --------
    >>> shown_groups(["G1"] * 6 + ["G2"] * 3 + [None] * 2, min_cell=5)
    (['G1'], 'other')
    >>> shown_groups(["G1"] * 6 + ["G2"] * 7 + [None] * 2, min_cell=5)  # 2 alone would show: G1 joins them
    (['G2'], 'other')
    >>> shown_groups(["G1"] * 6 + ["G2"] * 7, min_cell=5)
    (['G1', 'G2'], None)
    """
    size = Counter(g for g in groups if g is not None)
    shown = {g for g, k in size.items() if k >= min_cell}
    rest = len(groups) - sum(size[g] for g in shown)
    while 0 < rest < min_cell and shown:
        smallest = min(shown, key=lambda g: (size[g], g))
        shown.discard(smallest)
        rest += size[smallest]
    if rest == 0:
        return sorted(shown), None
    only_none = all(g is None for g in groups if g not in shown)
    return sorted(shown), "no_group" if only_none else "other"


def merged_bins(counts: np.ndarray, *, min_cell: int) -> list[tuple[int, int]]:
    """Merge adjacent bins until every bin holds 0 or at least ``min_cell`` people in every row.

    Parameters
    ----------
    counts : array, shape (bins,) or (rows, bins)
        People per bin (one row per wave, say); bins in their natural order.
    min_cell : int

    Returns
    -------
    list of (int, int)
        ``(first, last)`` indices (inclusive) of the original bins in each
        merged bin, in order. Empty bins at either end are dropped. A bin
        that is too small in some row is merged with the neighbour holding
        fewer people (the left one on a tie); a single bin is returned as
        is, whatever its count.

    Examples
    --------
    >>> merged_bins(np.array([1, 6, 9, 2, 0, 3]), min_cell=5)
    [(0, 1), (2, 2), (3, 5)]
    """
    c = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    filled = np.flatnonzero(c.sum(axis=0) > 0)
    if not len(filled):
        return []
    bins = [(i, i) for i in range(filled[0], filled[-1] + 1)]
    sums = [c[:, i].copy() for i in range(filled[0], filled[-1] + 1)]
    while len(bins) > 1:
        small = [k for k, s in enumerate(sums) if ((s > 0) & (s < min_cell)).any()]
        if not small:
            break
        k = min(small, key=lambda k: (sums[k][sums[k] > 0].min(), k))
        left = sums[k - 1].sum() if k > 0 else None
        right = sums[k + 1].sum() if k + 1 < len(sums) else None
        j = k - 1 if right is None or (left is not None and left <= right) else k + 1
        a, b = min(j, k), max(j, k)
        bins[a:b + 1] = [(bins[a][0], bins[b][1])]
        sums[a:b + 1] = [sums[a] + sums[b]]
    return bins


def _degree_figure(fig: Figure, ids, edges: dict, waves, lang: str, max_nodes: int, min_cell: int) -> Figure:
    ax = fig.add_subplot()
    degrees = []
    for wave in waves:
        e = edges[wave]
        degrees.append(pd.concat([e["a"], e["b"]]).value_counts().reindex(ids, fill_value=0).to_numpy())
    top = max(int(d.max()) for d in degrees)
    counts = np.array([np.bincount(d, minlength=top + 1) for d in degrees])
    bins = merged_bins(counts, min_cell=min_cell)
    heights = np.array([[counts[:, a:b + 1].sum(axis=1) for a, b in bins]]).reshape(len(bins), len(waves)).T
    width = 0.8 / len(waves)
    x = np.arange(len(bins))
    for i, wave in enumerate(waves):
        ax.bar(x + (i - (len(waves) - 1) / 2) * width, heights[i], width=width,
               color=PALETTE[i % len(PALETTE)], label=code_label("wave", wave, lang))
    ax.set_xlabel(t("ties.degree.xlabel", lang))
    ax.set_ylabel(t("ties.degree.ylabel", lang))
    step = max(1, len(bins) // 15)
    ax.set_xticks(x[::step], [str(a) if a == b else f"{a}–{b}" for a, b in bins][::step])
    ax.legend(frameon=False)
    ax.set_title(t("ties.degree.title", lang))
    fig.supxlabel(t("ties.degree.note", lang, n=fmt_number(len(ids), lang), max=max_nodes) + "\n"
                  + t("ties.merged_note", lang, min_cell=min_cell), fontsize=8, style="italic")
    return fig


@literal_text
def ego_slope_figure(ego: pd.DataFrame, *, measure: str = "size",
                     waves: tuple[str, str] = ("baseline", "endline"), lang: str = "en",
                     min_cell: int = 5) -> Figure:
    """An ego measure before and after: the mean with its CI, and how much people changed.

    Only people with the measure at both waves count (n). The left panel
    shows the mean at each wave with its 95 % t-based confidence interval,
    joined by a line; the right panel the distribution of the change
    (second wave − first) per person, one bar per value (or per range of
    values for a measure that is not a whole number), neighbouring bars
    merged until each holds at least ``min_cell`` people. No mark stands
    for one person. With fewer than ``min_cell`` people (or fewer than 2)
    nothing is drawn but a note (small cells, docs/statistics.md#small-cells).

    Parameters
    ----------
    ego : DataFrame
        The result of :func:`evaltools.ties.ego_networks`.
    measure : str
        A column of ``ego`` (:data:`evaltools.ties.EGO_MEASURES`).
    waves : (str, str)
    lang : {"en", "pl"}
    min_cell : int
        The smallest number of people a mark may stand for.

    Examples
    --------
    >>> ego = pd.DataFrame({"participant_id": np.repeat(list("ABCDEFGHIJ"), 2),
    ...                     "wave": ["baseline", "endline"] * 10,
    ...                     "size": [1, 3, 2, 2, 0, 1, 4, 3, 2, 5, 1, 1, 2, 4, 3, 3, 0, 2, 5, 5]})
    >>> fig = ego_slope_figure(ego, min_cell=5)
    >>> [int(p.get_height()) for p in fig.axes[1].patches]
    [5, 5]
    """
    from scipy import stats

    pre, post = waves
    label = t(f"ties.measure.{measure}", lang)
    wide = (ego[ego["wave"].isin(waves)].pivot_table(index="participant_id", columns="wave", values=measure,
                                                     aggfunc="first")
            .reindex(columns=list(waves)).dropna())
    n = len(wide)
    if n < max(min_cell, 2):
        fig = Figure(figsize=(5.5, 4), layout="constrained")
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, t("ties.ego.too_few", lang, n=n, min_cell=min_cell), transform=ax.transAxes,
                ha="center", va="center", wrap=True)
        ax.set_title(t("ties.ego.title", lang, measure=label))
        return fig
    axis_room = 2 * line_height(10) + 0.25  # tick labels and the axis label
    margins = Margins(left=EGO_AXIS_ROOM, wspace=EGO_AXIS_ROOM, right=0.25,
                      top=2 * line_height(11) + line_height(10) + 0.35,
                      bottom=axis_room + line_height(8) + 0.15)
    fig, (ax, hist) = panel_row([3.16, 4.74], height=2.75, margins=margins)
    a, b = wide[pre].to_numpy(float), wide[post].to_numpy(float)
    means = np.array([a.mean(), b.mean()])
    half = np.array([stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n) for x in (a, b)])
    ax.errorbar([0, 1], means, yerr=half, color="black", linewidth=2.5, marker="o", capsize=6)
    ax.set_xticks([0, 1], [code_label("wave", pre, lang), code_label("wave", post, lang)])
    ax.set_xlim(-0.4, 1.4)
    ax.set_ylabel(label)
    ax.set_title(t("ties.ego.mean_ci", lang), fontsize=10, y=1.0)  # placed: not re-measured at draw

    _change_histogram(hist, b - a, min_cell=min_cell)
    hist.set_xlabel(t("ties.ego.change_xlabel", lang, first=code_label("wave", pre, lang),
                      second=code_label("wave", post, lang)))
    hist.set_ylabel(t("ties.ego.people", lang))
    fig_h = fig.get_figheight()
    fig.suptitle(t("ties.ego.title", lang, measure=label) + "\n" + t("ties.ego.n", lang, n=fmt_number(n, lang)),
                 fontsize=11, y=1 - 0.1 / fig_h, va="top")
    fig.supxlabel(t("ties.merged_note", lang, min_cell=min_cell), fontsize=8, style="italic", y=0.1 / fig_h,
                  va="bottom")
    return fig


def _change_histogram(ax, change: np.ndarray, *, min_cell: int) -> None:
    """People by their change, neighbouring bars merged until each holds at least ``min_cell``; zero dotted."""
    edges = _change_edges(change)
    counts = np.histogram(change, bins=edges)[0]
    for lo, hi in merged_bins(counts, min_cell=min_cell):
        height = int(counts[lo:hi + 1].sum())
        if height:
            ax.bar(edges[lo], height, width=edges[hi + 1] - edges[lo], align="edge", color="#56B4E9",
                   edgecolor="white")
    ax.axvline(0, color="#555555", linewidth=1, linestyle=":")


#: Inches left of each panel of :func:`ego_slope_figure` for its tick labels and axis label.
EGO_AXIS_ROOM = 1.0


def _change_edges(change: np.ndarray) -> np.ndarray:
    """Bin edges: one bin per whole number when the changes are whole and span at most 40, else 12 bins."""
    lo, hi = float(change.min()), float(change.max())
    if np.all(change == np.round(change)) and hi - lo <= 40:
        return np.arange(lo - 0.5, hi + 1.5)
    return np.histogram_bin_edges(change, bins=12 if hi > lo else 1)


def _layout(g: nx.Graph, seed: int) -> dict:
    """Connected people by a seeded spring layout in the middle; people never linked on a ring around."""
    alone = [n for n in g if g.degree(n) == 0]
    linked = g.subgraph([n for n in g if g.degree(n) > 0])
    # a larger optimal distance than the default 1/sqrt(n) keeps separate clusters from shrinking to dots
    pos = nx.spring_layout(linked, seed=seed, k=4 / np.sqrt(len(linked)), iterations=100) if len(linked) else {}
    angles = np.linspace(0, 2 * np.pi, len(alone), endpoint=False) + np.pi / 2
    radius = 1.35 if pos else 1.0
    pos.update({n: np.array([radius * np.cos(a), radius * np.sin(a)]) for n, a in zip(alone, angles)})
    return pos


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _node_size(n: int) -> float:
    return float(np.clip(3000 / max(n, 1), 12, 160))


def _group_label(value: str, group_labels: Mapping | None, lang: str) -> str:
    entry = (group_labels or {}).get(value)
    if isinstance(entry, Mapping):
        return str(pick(entry, lang, default=value))
    return str(entry) if entry else str(value)
