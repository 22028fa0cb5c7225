"""Fixed figure geometry (evaltools/plots/grid.py): panels placed in inches, every text inside the canvas."""

from __future__ import annotations

import io

import pandas as pd
from PIL import Image

from evaltools.plots.forest import claims_forest
from evaltools.plots.grid import FixedFigure, Margins, panel_column, panel_grid, text_width
from evaltools.report.claims import forest_png


def _assert_texts_inside(fig) -> None:
    """Everything ``fig`` draws lies inside its canvas: a tight crop would not reach beyond it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    box = fig.get_tightbbox(renderer)  # inches, of the artists as drawn
    width, height = fig.get_size_inches()
    assert box.x0 >= -0.01 and box.y0 >= -0.01 and box.x1 <= width + 0.01 and box.y1 <= height + 0.01, box


def test_panel_grid_places_panels_in_inches():
    margins = Margins(left=1.0, right=0.5, top=0.25, bottom=0.75, wspace=0.4, hspace=0.3)
    fig, axes = panel_grid(4, cols=3, width=2.0, height=1.5, margins=margins)
    # by hand: 1 + 3 * 2 + 2 * 0.4 + 0.5 wide, 0.25 + 2 * 1.5 + 0.3 + 0.75 high
    assert fig.get_size_inches().tolist() == [8.3, 4.3]
    box = axes[3].get_position()                     # second row, first column
    assert round(box.x0 * 8.3, 9) == 1.0 and round(box.y0 * 4.3, 9) == 0.75
    box = axes[2].get_position()                     # first row, third column
    assert round(box.x0 * 8.3, 9) == 1.0 + 2 * 2.4 and round(box.y1 * 4.3, 9) == 4.3 - 0.25


def test_text_width_grows_with_the_text_and_the_font():
    assert 0 < text_width(["ab"], 10) < text_width(["abab"], 10) < text_width(["abab"], 20)
    assert text_width([], 10) == 0.0


def test_claims_forest_fits_long_labels_and_is_saved_uncropped():
    n = 12
    rows = pd.DataFrame({"label": [f"Instrument {i} – " + "a rather long scale name " * 4 for i in range(n)],
                         "g_av": 0.3, "g_av_ci_low": -0.1, "g_av_ci_high": 0.7, "n_pairs": 123456, "ci_level": 0.95,
                         "primary": [i < 3 for i in range(n)], "suppressed": [i == 5 for i in range(n)]})
    fig = claims_forest(rows, lang="pl", min_cell=5)
    assert isinstance(fig, FixedFigure)
    assert len(fig.axes[0].get_yticklabels()) == n - 1
    _assert_texts_inside(fig)
    summary = {"forest": rows.to_dict("records"), "min_cell": 5, "alpha": 0.05}
    size = Image.open(io.BytesIO(forest_png(summary, "pl"))).size
    width, height = claims_forest(rows, lang="pl", min_cell=5).get_size_inches()
    assert abs(size[0] - width * 100) <= 1 and abs(size[1] - height * 100) <= 1   # dpi 100, no tight crop


def test_panel_column_shares_x_and_labels_only_the_bottom():
    fig, axes = panel_column([1.0, 1.0, 2.0], width=3.0, sharex=True)
    assert [ax.xaxis.get_major_ticks()[0].label1.get_visible() for ax in axes] == [False, False, True]
    assert all(ax.get_shared_x_axes().joined(ax, axes[0]) for ax in axes)


def test_distribution_figure_fits_long_labels_and_the_note_of_hidden_scales():
    import numpy as np

    from evaltools.plots.profile import distribution_figure

    rng = np.random.default_rng(1)
    frames = [pd.DataFrame({"instrument": "inst", "scale": f"scale {k} " + "with a long name " * 3,
                            "wave": "baseline", "score": rng.normal(3, 1, 40 if k else 3)}) for k in range(6)]
    fig = distribution_figure(pd.concat(frames, ignore_index=True), min_cell=5, lang="en")
    assert isinstance(fig, FixedFigure) and len(fig.axes[0].get_yticklabels()) == 5   # scale 0 (3 people) not drawn
    assert any("scale 0" in x.get_text() for x in fig.texts)                         # ... but named in the note
    _assert_texts_inside(fig)


def test_reliable_change_bars_fit_long_labels_and_keep_the_legend_off_the_note():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from evaltools.plots.outcomes import reliable_change_bars

    k = 7
    rc = pd.DataFrame({"instrument": "inst", "scale": [f"scale {i} " + "with a long name " * 3 for i in range(k)],
                       "group": "all", "n_pairs": 123456, "n_improved": 40000, "n_unchanged": 80000,
                       "n_deteriorated": 3456, "suppressed": [i == 0 for i in range(k)]})
    rc.loc[1, ["n_improved", "n_unchanged", "n_deteriorated"]] = None   # no reliability: named in the note
    fig = reliable_change_bars(rc, lang="pl")
    assert isinstance(fig, FixedFigure) and len(fig.axes[0].get_yticklabels()) == k - 2
    _assert_texts_inside(fig)
    renderer = FigureCanvasAgg(fig).get_renderer()
    (note,) = fig.texts
    legend = fig.legends[0].get_window_extent(renderer)
    assert legend.y0 > note.get_window_extent(renderer).y1               # the legend sits above the note
    assert legend.y1 < fig.axes[0].xaxis.get_tightbbox(renderer).y0       # ... and below the axis label


def test_indicators_figure_fits_long_labels_and_values():
    from evaltools.plots.indicators import indicators_figure

    k = 6
    table = pd.DataFrame({"indicator_id": [f"i{i}" for i in range(k)],
                          "label": [f"Indicator {i} " + "with a rather long name " * 3 for i in range(k)],
                          "target": 150000.0, "value": pd.array([123456] * (k - 1) + [None], dtype="Int64"),
                          "ratio": [0.823] * (k - 1) + [None], "status": ["partly"] * (k - 1) + [None]})
    fig = indicators_figure(table, lang="pl")
    assert isinstance(fig, FixedFigure) and len(fig.axes[0].get_yticklabels()) == k
    assert [round(p.get_width(), 1) for p in fig.axes[0].patches] == [82.3] * (k - 1) + [0.0]
    _assert_texts_inside(fig)


def test_ego_slope_figure_fits_large_counts_and_long_axis_labels():
    import numpy as np

    from evaltools.plots.ties import ego_slope_figure

    rng = np.random.default_rng(2)
    n = 20_000
    ego = pd.DataFrame({"participant_id": np.repeat(np.arange(n), 2), "wave": ["baseline", "endline"] * n,
                        "size": rng.poisson(40, 2 * n) * 1000})   # tick labels of 5-6 digits on both axes
    fig = ego_slope_figure(ego, lang="pl", min_cell=5)
    assert isinstance(fig, FixedFigure) and len(fig.axes) == 2
    assert sum(p.get_height() for p in fig.axes[1].patches) == n
    _assert_texts_inside(fig)


def test_profile_figure_fits_long_category_names_and_titles_and_draws_no_hidden_bar():
    from evaltools.plots.profile import profile_figure

    comps = [f"component {i} " + "with a long name " * 2 for i in range(4)]
    profile = pd.DataFrame({"dimension": ["component"] * 4 + ["age_band"] * 3,
                            "category": comps + ["0–12", "13–20", "21–34"],
                            "n": [12345.0, None, 4321.0, 99999.0, 40000.0, None, 50000.0],
                            "share": 0.1, "suppressed": [False, True, False, False, False, True, False]})
    fig = profile_figure(profile, lang="pl", min_cell=5)
    assert isinstance(fig, FixedFigure) and len(fig.axes) == 2
    assert [p.get_width() for p in fig.axes[0].patches] == [12345.0, 0.0, 4321.0, 99999.0]   # hidden: no bar
    assert "programu" in fig.axes[1].get_title()              # "Wiek na początku programu", wrapped, not cut
    _assert_texts_inside(fig)
    left = fig.axes[0].get_position().x1 * fig.get_figwidth()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    names = fig.axes[1].yaxis.get_tightbbox(FigureCanvasAgg(fig).get_renderer())
    assert names.x0 / fig.dpi > left                           # the second panel's names clear the first panel
