"""Forest and funnel plots: content checks on the matplotlib figures."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Polygon

from painsim.evidence import escalc, rma
from painsim.evidence.plots import forest_plot, funnel_plot


@pytest.fixture
def bcg_fit(datasets):
    return rma(escalc("RR", datasets["bcg"]), method="REML")


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [t.get_text() for t in fig.texts]


def test_forest_contents(bcg_fit, tmp_path):
    out = tmp_path / "forest.png"
    fig = forest_plot(bcg_fit, out, favours=("Favours vaccine", "Favours control"))
    texts = _texts(fig)
    assert "Aronson 1948" in texts and "Comstock et al 1976" in texts
    left = [t.get_text() for t in fig.axes[0].texts]
    weights = [t for t in left if t.endswith("%") and t != "100.0%"]
    assert len(weights) == 13
    assert sum(float(w[:-1]) for w in weights) == pytest.approx(100.0, abs=0.1)
    assert any(t.startswith("Heterogeneity: Tau² = 0.31") for t in texts)
    assert any("Prediction interval" in t for t in texts)
    plot_ax = fig.axes[1]
    assert plot_ax.get_xscale() == "log"  # ratio measure on a log axis
    diamonds = [p for p in plot_ax.patches if isinstance(p, Polygon)]
    assert len(diamonds) == 1
    xs = diamonds[0].get_xy()[:, 0]
    assert xs.min() == pytest.approx(np.exp(bcg_fit.ci_lb[0]))
    assert xs.max() == pytest.approx(np.exp(bcg_fit.ci_ub[0]))
    assert out.stat().st_size > 20_000
    plt.close(fig)


def test_forest_squares_scale_with_weight(bcg_fit):
    fig = forest_plot(bcg_fit)
    sizes = [ln.get_markersize() for ln in fig.axes[1].lines if ln.get_marker() == "s"]
    order = np.argsort(bcg_fit.weights)
    assert len(sizes) == bcg_fit.k
    assert np.all(np.diff(np.asarray(sizes)[order]) >= -1e-9)
    plt.close(fig)


def test_forest_fixed_effect_has_no_prediction_interval():
    fig = forest_plot(rma([0.1, 0.3, 0.2], [0.01, 0.02, 0.03], method="FE"))
    assert not any("Prediction interval" in t for t in _texts(fig))
    plt.close(fig)


def test_forest_rejects_meta_regression():
    fit = rma([0.1, 0.3, 0.2, 0.5], [0.01, 0.02, 0.03, 0.02], mods=[1, 2, 3, 4], method="FE")
    with pytest.raises(ValueError):
        forest_plot(fit)


def test_funnel_with_trimfill(datasets, tmp_path):
    fit = rma(escalc("RR", datasets["bcg"]), method="DL")
    tf = fit.trimfill()
    assert tf.k0 > 0
    fig = funnel_plot(tf.fit, tmp_path / "funnel.png", fill=tf.fill)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > ax.get_ylim()[1]  # standard error axis inverted
    assert len(ax.collections) == 2  # observed and imputed studies
    assert (tmp_path / "funnel.png").exists()
    plt.close(fig)
