"""Figures of a scenario: pain by arm over time, responder classes, relief durations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from painsim.outcomes.care_outcomes import CLASSES, care_summary, class_shares, relief_durations

if TYPE_CHECKING:
    from painsim.scenario import ScenarioResult

CLASS_COLOURS = {"non_responder": "#c0392b", "transient": "#f0ad4e", "lasting": "#2e8b57"}


def scenario_figure(result: ScenarioResult, path: str | Path) -> Path:
    """Three panels: weekly mean pain per arm; responder classes; relief durations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(16, 5), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    colours = plt.get_cmap("tab10")
    for k, (name, arm) in enumerate(result.arms.items()):
        daily = arm.daily()["pain_mean"]
        weekly = daily.groupby(daily.index // 7).mean()
        axes[0].plot(weekly.index * 7, weekly.to_numpy(), color=colours(k % 10), lw=2 if name == "no_care" else 1.4,
                     ls="--" if name == "no_care" else "-", label=name)
    axes[0].set_xlabel("day")
    axes[0].set_ylabel("mean pain (0-10)")
    axes[0].set_title(result.scenario.title or result.scenario.name)
    axes[0].legend(frameon=False, fontsize=8, ncol=2)
    treated = {n: a for n, a in result.arms.items() if a.session_days.size}
    names = list(treated)
    left = np.zeros(len(names))
    for cls in CLASSES:
        shares = np.array([class_shares(care_summary(a))[cls] for a in treated.values()])
        axes[1].barh(names, shares, left=left, color=CLASS_COLOURS[cls], label=cls.replace("_", "-"))
        left += shares
    axes[1].invert_yaxis()
    axes[1].set_xlim(0, 1)
    axes[1].set_xlabel("share of clients")
    axes[1].set_title("Responder classes")
    axes[1].legend(frameon=False, fontsize=8, loc="lower right")
    for name, arm in treated.items():
        durations = relief_durations(arm)
        if durations.size:
            axes[2].hist(np.minimum(durations, 30), bins=np.arange(1, 32), histtype="step", lw=1.4,
                         density=True, color=colours(list(result.arms).index(name) % 10), label=name)
    axes[2].axvspan(2, 14, color="0.9", zorder=0, label="2-14 days")
    axes[2].set_xlabel("relief duration after a session (days, 30 = 30+)")
    axes[2].set_ylabel("share of relief episodes")
    axes[2].set_title("How long relief lasts")
    axes[2].legend(frameon=False, fontsize=7)
    return save_figure(fig, path)


def save_figure(fig: Any, path: str | Path) -> Path:
    """Add the research-model line, lay out, save (creating folders) and close ``fig``."""
    import matplotlib.pyplot as plt

    fig.text(0.99, 0.01, "painsim: a research model, not medical advice", ha="right", fontsize=8, color="0.4")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
