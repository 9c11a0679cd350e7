"""Plot of outcomes by visit: observed means with 95% CIs per arm, one panel per outcome."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from painsim.trials.analysis import TrialResult

LABELS = {"rmdq": "disability (RMDQ-like, 0-24)", "pain": "pain (NRS 0-10)"}


def plot_by_visit(result: TrialResult, path: str | Path | None = None) -> Any:
    """Figure with one panel per outcome: mean (95% CI) per arm at baseline and each visit."""
    import matplotlib.pyplot as plt

    spec = result.data.spec
    outcomes = list(spec.outcomes.measures)
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5.5 * len(outcomes), 4.2), squeeze=False)
    arms = list(spec.arms)
    offsets = {a: (k - (len(arms) - 1) / 2) * 0.35 for k, a in enumerate(arms)}
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        for arm in arms:
            rows = result.means[(result.means["arm"] == arm) & (result.means["outcome"] == outcome)]
            x = rows["week"].to_numpy() + offsets[arm]
            ax.errorbar(x, rows["mean"], yerr=[rows["mean"] - rows["ci_lb"], rows["ci_ub"] - rows["mean"]],
                        marker="o", capsize=3, lw=1.5, label=spec.arms[arm].label or arm)
        ax.set_xticks([0, *spec.visits.weeks])
        ax.set_xlabel("week after randomisation")
        ax.set_ylabel(LABELS.get(outcome, outcome))
        ax.grid(alpha=0.3)
    axes[0][0].legend(frameon=False)
    fig.suptitle(f"{spec.title or spec.name}: observed means (95% CI) by visit")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig
