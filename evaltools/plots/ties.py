"""Figures of social ties: the network at two waves, and ego networks before and after.

Each function returns a :class:`matplotlib.figure.Figure` (no pyplot state:
safe in notebooks and in tests); every word on it comes from the label
catalogue (``ties.*`` keys) in the requested language. Participant ids are
never drawn unless ``show_ids=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evaltools.labels import code_label, fmt_number, pick, t
from evaltools.ties import _edges, _group_of, _ids, _ties_frame

#: Okabe–Ito colours (safe for colour-blind readers), then a grey for "no group".
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NO_GROUP = "#BBBBBB"


def network_figure(ties: pd.DataFrame, participants: pd.DataFrame, *,
                   waves: Sequence[str] = ("baseline", "endline"), lang: str = "en",
                   show_ids: bool = False, max_nodes: int = 500, seed: int = 0,
                   group_labels: Mapping | None = None) -> Figure:
    """The network among participants at two waves, side by side.

    Both panels share one layout (computed on the union of the waves' ties,
    ``networkx.spring_layout`` with ``seed``; people linked at neither wave
    sit on a ring around it), so a person stays in place and what changed
    is the lines. Nodes are coloured by
    ``participants.group``; isolates are drawn too, with a dark outline, and
    counted in the panel title. With more than ``max_nodes`` participants a
    drawing would be unreadable: the figure shows the degree distribution
    of each wave instead, with a note saying so.

    Parameters
    ----------
    ties, participants : DataFrame
        The ``ties`` and ``participants`` tables.
    waves : sequence of str
        The waves drawn, left to right (a wave with no ties is left out).
    lang : {"en", "pl"}
    show_ids : bool
        Write participant ids beside the nodes (for the evaluator's eyes only).
    max_nodes : int
        Above this many participants, draw degree distributions.
    seed : int
        Seed of the layout.
    group_labels : mapping, optional
        ``project.groups``: {group value: {pl, en} or text} for the legend.

    Examples
    --------
    >>> participants = pd.DataFrame({"participant_id": ["A", "B", "C"], "group": ["G1", "G1", pd.NA]})
    >>> ties = pd.DataFrame({"participant_id": ["A", "A"], "wave": ["baseline", "endline"],
    ...                      "alter": ["1", "1"], "alter_participant_id": ["B", "C"]})
    >>> fig = network_figure(ties, participants)
    >>> len(fig.axes)
    2
    """
    t_ = _ties_frame(ties)
    ids = _ids(participants)
    present = [w for w in waves if w in set(t_["wave"].dropna())]
    fig = Figure(figsize=(5.5 * max(len(present), 1) if len(ids) <= max_nodes else 8, 5.5), layout="constrained")
    if not present or not ids:
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.text(0.5, 0.5, t("ties.network.no_data", lang), ha="center", va="center", wrap=True)
        return fig
    edges = {w: _edges(t_[t_["wave"] == w], ids) for w in present}
    if len(ids) > max_nodes:
        return _degree_figure(fig, ids, edges, present, lang, max_nodes)

    union = nx.Graph()
    union.add_nodes_from(ids)
    for e in edges.values():
        union.add_edges_from(zip(e["a"], e["b"]))
    pos = _layout(union, seed)
    group = _group_of(participants)
    groups = sorted(set(group.values()))
    colour = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}
    node_colour = [colour.get(group.get(pid), NO_GROUP) for pid in ids]

    axes = fig.subplots(1, len(present), squeeze=False)[0]
    for ax, wave in zip(axes, present):
        g = nx.Graph()
        g.add_nodes_from(ids)
        g.add_edges_from(zip(edges[wave]["a"], edges[wave]["b"]))
        isolated = {n for n in g if g.degree(n) == 0}
        nx.draw_networkx_edges(g, pos, ax=ax, edge_color="#555555", alpha=0.6, width=1.0)
        nx.draw_networkx_nodes(g, pos, ax=ax, node_color=node_colour, node_size=_node_size(len(ids)),
                               edgecolors=["#222222" if n in isolated else "white" for n in ids],
                               linewidths=1.2)
        if show_ids:
            nx.draw_networkx_labels(g, pos, ax=ax, font_size=7)
        ax.set_title(t("ties.network.panel", lang, wave=_capital(code_label("wave", wave, lang)),
                       edges=g.number_of_edges(), isolates=len(isolated)))
        ax.set_axis_off()
    handles = [Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=colour[g],
                      markeredgecolor="white", label=_group_label(g, group_labels, lang)) for g in groups]
    if any(pid not in group for pid in ids):
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=NO_GROUP,
                              markeredgecolor="white", label=t("ties.network.no_group", lang)))
    handles.append(Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor="white",
                          markeredgecolor="#222222", label=t("ties.network.isolate", lang)))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5), frameon=False,
               title=t("ties.network.legend", lang))
    fig.suptitle(t("ties.network.title", lang))
    return fig


def _degree_figure(fig: Figure, ids, edges: dict, waves, lang: str, max_nodes: int) -> Figure:
    ax = fig.add_subplot()
    width = 0.8 / len(waves)
    top = 0
    for i, wave in enumerate(waves):
        e = edges[wave]
        degree = pd.concat([e["a"], e["b"]]).value_counts().reindex(ids, fill_value=0)
        dist = degree.value_counts().sort_index()
        top = max(top, int(dist.index.max()))
        ax.bar(dist.index.to_numpy() + (i - (len(waves) - 1) / 2) * width, dist.to_numpy(), width=width,
               color=PALETTE[i % len(PALETTE)], label=code_label("wave", wave, lang))
    ax.set_xlabel(t("ties.degree.xlabel", lang))
    ax.set_ylabel(t("ties.degree.ylabel", lang))
    ax.set_xticks(range(0, top + 1, max(1, (top + 1) // 15)))
    ax.legend(frameon=False)
    ax.set_title(t("ties.degree.title", lang))
    fig.supxlabel(t("ties.degree.note", lang, n=fmt_number(len(ids), lang), max=max_nodes),
                  fontsize=8, style="italic")
    return fig


def ego_slope_figure(ego: pd.DataFrame, *, measure: str = "size",
                     waves: tuple[str, str] = ("baseline", "endline"), lang: str = "en",
                     max_people: int = 60, min_cell: int = 5) -> Figure:
    """An ego measure before and after: one line per person, or the mean at large n.

    Only people with the measure at both waves are drawn. Up to
    ``max_people`` people, each is a thin line (green up, vermillion down,
    grey unchanged; slightly jittered so that equal lines stay visible) and
    the mean a thick black line. Above it, individual lines would be an
    unreadable block: the figure shows the mean with its 95 % t-based CI at
    each wave and, in the title, how many went up, stayed and went down.
    With fewer than ``min_cell`` people nothing is drawn but a note (small
    cells, docs/statistics.md#small-cells).

    Parameters
    ----------
    ego : DataFrame
        The result of :func:`evaltools.ties.ego_networks`.
    measure : str
        A column of ``ego`` (:data:`evaltools.ties.EGO_MEASURES`).

    Examples
    --------
    >>> ego = pd.DataFrame({"participant_id": list("AABBCCDDEE"), "wave": ["baseline", "endline"] * 5,
    ...                     "size": [1, 3, 2, 2, 0, 1, 4, 3, 2, 5]})
    >>> fig = ego_slope_figure(ego)
    >>> fig.axes[0].get_xticklabels()[0].get_text()
    'baseline'
    """
    from scipy import stats

    pre, post = waves
    fig = Figure(figsize=(5.5, 5), layout="constrained")
    ax = fig.add_subplot()
    label = t(f"ties.measure.{measure}", lang)
    wide = (ego[ego["wave"].isin(waves)].pivot_table(index="participant_id", columns="wave", values=measure,
                                                     aggfunc="first")
            .reindex(columns=list(waves)).dropna())
    n = len(wide)
    ax.set_xticks([0, 1], [code_label("wave", pre, lang), code_label("wave", post, lang)])
    ax.set_xlim(-0.3, 1.3)
    ax.set_ylabel(label)
    if n < max(min_cell, 1):
        ax.text(0.5, 0.5, t("ties.ego.too_few", lang, n=n, min_cell=min_cell), transform=ax.transAxes,
                ha="center", va="center", wrap=True)
        ax.set_yticks([])
        ax.set_title(t("ties.ego.title", lang, measure=label))
        return fig
    a, b = wide[pre].to_numpy(float), wide[post].to_numpy(float)
    up, down = int((b > a).sum()), int((b < a).sum())
    same = n - up - down
    if n <= max_people:
        rng = np.random.default_rng(0)
        spread = 0.02 * (np.nanmax(np.r_[a, b]) - np.nanmin(np.r_[a, b]) or 1)
        jitter = rng.uniform(-spread, spread, n)
        for x0, x1, j in zip(a, b, jitter):
            c = "#009E73" if x1 > x0 else "#D55E00" if x1 < x0 else "#999999"
            ax.plot([0, 1], [x0 + j, x1 + j], color=c, alpha=0.55, linewidth=1, marker="o", markersize=3)
        ax.plot([0, 1], [a.mean(), b.mean()], color="black", linewidth=3, marker="o",
                label=t("ties.ego.mean", lang))
        ax.legend(frameon=False, loc="best")
    else:
        means = np.array([a.mean(), b.mean()])
        half = np.array([stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / np.sqrt(n) for x in (a, b)])
        ax.errorbar([0, 1], means, yerr=half, color="black", linewidth=2.5, marker="o", capsize=6,
                    label=t("ties.ego.mean_ci", lang))
        ax.legend(frameon=False, loc="best")
        fig.supxlabel(t("ties.ego.aggregated_note", lang, n=fmt_number(n, lang)), fontsize=8, style="italic")
    ax.set_title(t("ties.ego.title", lang, measure=label) + "\n"
                 + t("ties.ego.counts", lang, n=n, up=up, same=same, down=down), fontsize=11)
    return fig


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
