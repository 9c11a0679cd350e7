"""Figures of a weighted posterior (docs/calibration.md, ``painsim posterior``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd


def pair_plot(draws: pd.DataFrame, weights: np.ndarray, priors: Mapping[str, tuple[float, float, bool]],
              title: str = "") -> Any:
    """A matplotlib Figure: on the diagonal each parameter's weighted histogram with its prior
    density (uniform, or log-uniform on a log axis), below it the pairwise scatter of the
    draws (point size by weight)."""
    import matplotlib.pyplot as plt

    names = list(draws.columns)
    k = len(names)
    figure, axes = plt.subplots(k, k, figsize=(2.6 * k + 1.2, 2.4 * k + 0.8), squeeze=False)
    size = 6 + 60 * np.asarray(weights) / np.max(weights)
    for i, row in enumerate(names):
        for j, column in enumerate(names):
            ax = axes[i, j]
            low, high, log = priors[column]
            if j > i:
                ax.set_axis_off()
                continue
            if i == j:
                bins = np.geomspace(low, high, 21) if log else np.linspace(low, high, 21)
                ax.hist(draws[column], bins=bins, weights=weights, density=True, color="tab:blue", alpha=0.7,
                        label="posterior")
                grid = np.geomspace(low, high, 200) if log else np.linspace(low, high, 200)
                density = 1 / (grid * np.log(high / low)) if log else np.full_like(grid, 1 / (high - low))
                ax.plot(grid, density, color="tab:orange", lw=1.5, label="prior")
                ax.set_yticks([])
                if i == 0:
                    ax.legend(fontsize=7, frameon=False)
            else:
                ax.scatter(draws[column], draws[row], s=size, alpha=0.5, color="tab:blue", lw=0)
                r_low, r_high, r_log = priors[row]
                ax.set_ylim(r_low, r_high)
                if r_log:
                    ax.set_yscale("log")
                if j == 0:
                    ax.set_ylabel(row, fontsize=8)
            ax.set_xlim(low, high)
            if log:
                ax.set_xscale("log")
            if i == k - 1:
                ax.set_xlabel(column, fontsize=8)
            ax.tick_params(labelsize=7)
    figure.suptitle(title or "Posterior and prior", fontsize=10)
    figure.tight_layout()
    return figure
