"""The study figures are for a reader: every panel titled, the shared legend outside the data, no dot on another."""
import copy
import json
from pathlib import Path

import pytest

from scripts_loader import load_script

matplotlib = pytest.importorskip("matplotlib", reason="the figures need the plot extra (pip install -e '.[plot]')")
from matplotlib.figure import Figure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def drawn(monkeypatch):
    """The figures saved while the test runs (saved for real, kept open for inspection)."""
    figures, save = [], Figure.savefig

    def keep(fig, *args, **kwargs):
        figures.append(fig)
        result = save(fig, *args, **kwargs)
        fig.test_renderer = fig.canvas.get_renderer()  # laid out as saved (the figure is closed afterwards)
        return result
    monkeypatch.setattr(Figure, "savefig", keep)
    return figures


def overlaps(a, b):
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_landscape_figure_titles_every_panel_and_keeps_its_legend_off_the_data(drawn, tmp_path):
    result = json.loads((ROOT / "docs" / "bn_landscape.json").read_text())
    assert load_script("bn_landscape").plot(result, tmp_path / "bn_landscape.png")
    fig, = drawn
    assert "Does BatchNorm smooth the loss landscape?" in fig._suptitle.get_text()
    axes = fig.get_axes()
    assert len(axes) == 8 and all(ax.get_title() for ax in axes)
    assert all(ax.get_legend() is None for ax in axes[:4])  # the measures' legend is the figure's own
    legend, = fig.legends
    labels = [t.get_text() for t in legend.get_texts()]
    assert [run["name"] for run in result["landscape"]] == labels[:2] and "λ_min (Lanczos)" in labels
    renderer = fig.test_renderer
    box = legend.get_window_extent(renderer)
    assert not any(overlaps(box, ax.get_tightbbox(renderer)) for ax in axes)  # nor titles, labels, ticks


def test_gradient_flow_figure_shows_equal_accuracies_side_by_side(drawn, tmp_path):
    runs = json.loads((ROOT / "docs" / "gradient_flow.json").read_text())["runs"]
    one_epoch = []
    for rec in runs:  # a 1-epoch run where every network ends at the same test accuracy
        rec = copy.deepcopy(rec)
        rec["epochs"] = [dict(rec["epochs"][0], test_acc=0.5)]
        one_epoch.append(rec)
    assert load_script("gradient_flow").plot(one_epoch, tmp_path / "gradient_flow.png")
    fig, = drawn
    assert fig._suptitle.get_text().startswith("Gradient flow, LeNet vs LeNet-BN")
    assert all(ax.get_title() for ax in fig.get_axes())
    acc_ax, = [ax for ax in fig.get_axes() if ax.get_title() == "test accuracy"]
    renderer = fig.test_renderer
    dots = [line.get_window_extent(renderer) for line in acc_ax.get_lines()]
    assert len(dots) == len(runs) >= 2
    assert not any(overlaps(a, b) for i, a in enumerate(dots) for b in dots[i + 1:])
