"""Figures of change in outcomes: suppressed rows never drawn, words from the catalogue, no ids, large data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from matplotlib.figure import Figure

from evaltools.change import paired_change
from evaltools.dose_response import dose_points, dose_response
from evaltools.instruments import LIBRARY, load_instrument
from evaltools.labels import t
from evaltools.plots.outcomes import change_forest, dose_bins, dose_response_panels, reliable_change_bars
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


def test_dose_panels_draw_no_mark_for_fewer_than_min_cell_people(big):
    scores, _, dose = big
    table = dose_response(scores, dose)
    points = dose_points(scores, dose)
    assert "participant_id" not in points.columns
    fig = dose_response_panels(points, table, lang="pl", instruments={"empowerment": EMP}, min_cell=5)
    assert len(fig.axes) == 2
    for ax, (_, row) in zip(fig.axes, table.iterrows()):
        part = points[(points["instrument"] == row["instrument"]) & (points["scale"] == row["scale"])]
        assert not any(len(c.get_offsets()) > 8 for c in ax.collections if hasattr(c, "get_offsets")), "no dots"
        means = ax.lines[0].get_ydata()
        assert 2 <= len(means) <= 8
        # each mark is the mean of an attendance range holding >= min_cell people (recomputed by hand)
        bins = dose_bins(part["sessions"].to_numpy(float), part["diff"].to_numpy(float), min_cell=5)
        assert (bins["n"] >= 5).all() and bins["n"].sum() == part["diff"].notna().sum()
        for b in bins.itertuples():
            inside = part[(part["sessions"] >= b.x_low) & (part["sessions"] <= b.x_high)]
            assert b.mean == pytest.approx(inside["diff"].mean())
            half = stats.t.isf(0.025, len(inside) - 1) * inside["diff"].std() / np.sqrt(len(inside))
            assert b.hi - b.mean == pytest.approx(half)
        np.testing.assert_allclose(np.asarray(means, dtype=float), bins["mean"].to_numpy())


def test_dose_bins_never_stand_for_fewer_than_min_cell():
    rng = np.random.default_rng(3)
    for n in (3, 4, 7, 12, 40):
        x = rng.integers(0, 6, n).astype(float)
        bins = dose_bins(x, rng.normal(size=n), min_cell=5)
        assert (bins["n"] >= 5).all()
        assert bins.empty == (n < 5)
    # one person far out is merged with others, not drawn alone
    x = np.r_[np.zeros(10), 1.0 * np.ones(10), [40.0]]
    bins = dose_bins(x, np.arange(21.0), min_cell=5)
    assert bins["x_high"].max() == 40 and (bins["n"] >= 5).all()


def test_dose_panels_hidden_rows_draw_nothing(big):
    scores, _, dose = big
    points, table = dose_points(scores, dose), dose_response(scores, dose)
    hidden = dose_response_panels(points, table.assign(suppressed=True))
    assert t("outcomes.plot.nothing", "en") in _texts(hidden)


def test_dose_panels_fixed_geometry_keeps_every_text_inside_and_saves_once(big, tmp_path):
    """27 panels with long scale names: one shared sessions axis, every text inside the canvas, no tight crop."""
    from PIL import Image

    from evaltools.plots.grid import FixedFigure
    from evaltools.report import save_figure

    scores, _, dose = big
    points, table = dose_points(scores, dose), dose_response(scores, dose)
    many_points = pd.concat([points.assign(scale=f"s{i}") for i in range(27)], ignore_index=True)
    many = pd.concat([table.iloc[:1].assign(scale=f"s{i}") for i in range(27)], ignore_index=True)
    long_name = {"title": {"pl": "Bardzo długa nazwa skali " * 4}}
    inst = type("I", (), {"scales": [type("S", (), {"id": f"s{i}", **long_name})() for i in range(27)],
                          "title_in": lambda self, lang: "x"})()
    fig = dose_response_panels(many_points, many, lang="pl", instruments={"empowerment": inst}, min_cell=5)
    assert isinstance(fig, FixedFigure) and len(fig.axes) == 27
    assert all(ax.get_shared_x_axes().joined(ax, fig.axes[0]) for ax in fig.axes)
    _assert_texts_inside(fig)
    width, height = fig.get_size_inches()
    save_figure(fig, "dose", tmp_path, dpi=50)
    # saved as made (no tight crop): the image is the figure's size at the dpi
    size = Image.open(tmp_path / "figures" / "dose.png").size
    assert abs(size[0] - width * 50) <= 1 and abs(size[1] - height * 50) <= 1


def _assert_texts_inside(fig) -> None:
    """Everything ``fig`` draws lies inside its canvas: a tight crop would not reach beyond it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    box = fig.get_tightbbox(renderer)  # inches, of the artists as drawn
    width, height = fig.get_size_inches()
    assert box.x0 >= -0.01 and box.y0 >= -0.01 and box.x1 <= width + 0.01 and box.y1 <= height + 0.01, box


@pytest.mark.parametrize("measure", ["g_av", "mean_diff"])
def test_forest_fixed_geometry_fits_long_names_and_large_n(big, measure):
    """Long scale names (shortened), 5-digit n and a footnote all stay inside the canvas; rows keep their order."""
    from evaltools.plots.grid import FixedFigure

    scores, members, _ = big
    change = paired_change(scores, membership=members, instruments={"empowerment": EMP})
    rows = change[change["group"] == "all"]
    many = pd.concat([rows.assign(instrument=f"i{k}", n_pairs=12345) for k in range(3)], ignore_index=True)
    many.loc[0, "suppressed"] = True
    long = {f"i{k}": type("I", (), {"scales": [type("S", (), {"id": s, "title": {"en": f"{s} " + "very long " * 12}})()
                                               for s in ("agency", "voice")],
                                    "title_in": lambda self, lang: "An instrument"})() for k in range(3)}
    fig = change_forest(many, instruments=long, measure=measure)
    assert isinstance(fig, FixedFigure) and len(fig.axes) == 3
    assert [lab.get_text().split()[0] for lab in fig.axes[1].get_yticklabels()] == ["agency", "voice"]
    assert t("outcomes.plot.hidden_rows", "en", n=1) in _texts(fig)
    _assert_texts_inside(fig)
