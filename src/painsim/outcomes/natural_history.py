"""Natural history of untreated chronic low back pain, and what each loop contributes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from painsim.engine import LOOP_NAMES, Cohort, Record, SimulationResult, simulate
from painsim.engine.cohort import Progress
from painsim.outcomes.figures import save_figure

REPORT_DAYS = (0, 42, 91, 182, 273, 364)


@dataclass
class NaturalHistory:
    """An untreated chronic cohort followed for ``days``, and the same cohort with each
    reinforcing loop switched off in turn."""

    result: SimulationResult
    chronic_share_by_loop_off: dict[str, float]

    def table(self) -> pd.DataFrame:
        """Cohort means at chosen days: pain, worst weekly pain, disability, shares."""
        daily = self.result.daily()
        worst = self.result.trajectories["pain_worst"].mean(axis=1)
        days = [d for d in REPORT_DAYS if d < self.result.days]
        rows = daily.loc[days].copy()
        last_full_week = self.result.days // 7 - 1
        rows.insert(1, "worst_weekly_pain", [worst[min(d // 7, last_full_week)] for d in days])
        return rows.round(3)

    def headline(self) -> dict[str, float]:
        """Shares recovered, still chronic and with recurrences over the follow-up."""
        s = self.result.summary()
        recovered = s["first_recovery_day"].notna()
        return {
            "n": float(len(s)),
            "pain_mean_entry": float(self.result.daily()["pain_mean"].iloc[:7].mean()),
            "pain_mean_last28": float(s["pain_last28"].mean()),
            "recovered_share": float(recovered.mean()),
            "recurrence_share_of_recovered": float((s.loc[recovered, "recurrences"] > 0).mean())
            if recovered.any() else float("nan"),
            "chronic_share_end": float((s["pain_last28"] >= 4).mean()),
            "days_high_pain_mean": float(s["days_high_pain"].mean()),
        }

    def figure(self, path: str | Path) -> Path:
        """Pain fan chart, shares recovered and high pain, and the loop knockouts."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), gridspec_kw={"width_ratios": [1.4, 1, 1]})
        self.result.plot("pain", ax=axes[0])
        axes[0].set_ylabel("weekly mean pain (0-10)")
        axes[0].set_ylim(0, 10)
        axes[0].set_title("Untreated chronic low back pain")
        daily = self.result.daily()
        axes[1].plot(daily.index, daily["share_recovered"], label="in a recovered spell")
        axes[1].plot(daily.index, daily["share_high_pain"], label="pain >= 7 that day")
        axes[1].set_xlabel("day since entry")
        axes[1].set_ylabel("share of cohort")
        axes[1].set_ylim(0, 1)
        axes[1].legend(frameon=False)
        axes[1].set_title("Recovery and high-pain days")
        names = ["none", *LOOP_NAMES, "all"]
        shares = [self.chronic_share_by_loop_off[k] for k in names]
        colours = ["0.4", *["tab:blue"] * len(LOOP_NAMES), "tab:red"]
        axes[2].barh(names[::-1], shares[::-1], color=colours[::-1])
        axes[2].set_xlabel("share chronic at the end (pain >= 4)")
        axes[2].set_title("Loop switched off")
        return save_figure(fig, path)


def natural_history(
    n: int = 20_000, seed: int = 1, days: int = 365, n_jobs: int = 1,
    progress: Progress | None = None,
) -> NaturalHistory:
    """Build a chronic cohort, follow it untreated, and repeat with each loop switched off.

    Examples
    --------
    >>> nh = natural_history(n=200, seed=1, days=56)
    >>> sorted(nh.chronic_share_by_loop_off)[:2]
    ['all', 'fear_avoidance']
    """
    cohort = Cohort.build("chronic", n=n, seed=seed, progress=progress, n_jobs=n_jobs)
    record = Record(variables=("pain", "pain_worst", "disability"), every=7, patients=min(n, 2000))
    result = simulate(cohort, days, record, n_jobs=n_jobs)
    shares = {"none": result.chronic_share()}
    switches = {name: {name: 0.0} for name in LOOP_NAMES}
    switches["all"] = dict.fromkeys(LOOP_NAMES, 0.0)
    for label, loops in switches.items():
        off = simulate(cohort, days, Record.summaries(), loops=loops, n_jobs=n_jobs)
        shares[label] = off.chronic_share()
    return NaturalHistory(result=result, chronic_share_by_loop_off=shares)


__all__ = ["NaturalHistory", "natural_history"]
