"""Figures of the HTML report, drawn from a stored run's tables and summary; each returns PNG bytes.

Every figure uses the same colour for the same arm (:func:`arm_colours`); the reference arm
(no care) is drawn grey and dashed wherever it appears.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd

from painsim.outcomes.care_outcomes import CLASSES
from painsim.outcomes.figures import CLASS_COLOURS
from painsim.outcomes.trajectories import TrajectoryClasses, plot_trajectory_classes

DPI = 110
WIDTH_IN = 11.0
REFERENCE_COLOUR = "#5b5b5b"
# tab10 without its grey (kept for the reference arm), then tab20's lighter shades
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf",
            "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5"]
RELIEF_CAP_DAYS = 30
CLASS_LABELS = {"non_responder": "non-responder", "transient": "transient responder", "lasting": "lasting responder"}

_STYLE = {
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "legend.fontsize": 9, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.color": "0.9", "grid.linewidth": 0.8, "axes.axisbelow": True, "axes.edgecolor": "0.35",
    "figure.facecolor": "white", "savefig.facecolor": "white",
}


def arm_colours(arms: Sequence[str], reference: str | None) -> dict[str, str]:
    """One colour per arm, stable in arm order; the reference arm is grey."""
    colours: dict[str, str] = {}
    k = 0
    for name in arms:
        if name == reference:
            colours[name] = REFERENCE_COLOUR
        else:
            colours[name] = _PALETTE[k % len(_PALETTE)]
            k += 1
    return colours


@contextmanager
def _figure(*args, **kwargs) -> Iterator[tuple]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(_STYLE):
        fig, axes = plt.subplots(*args, **kwargs)
        try:
            yield fig, axes
        finally:
            plt.close(fig)


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _time_axis(horizon: int) -> tuple[list[float], list[str], str]:
    """Tick positions (days) and labels: weeks for short horizons, months for long ones."""
    if horizon <= 182:
        step = 2 if horizon <= 70 else 4
        weeks = range(0, horizon // 7 + 1, step)
        return [w * 7 for w in weeks], [str(w) for w in weeks], "weeks since the start"
    step = 3 if horizon <= 400 else 6 if horizon <= 1100 else 12
    months = range(0, int(horizon / 30.44 + 0.5) + 1, step)
    return [m * 30.44 for m in months], [str(m) for m in months], "months since the start"


def _grid(n: int, max_cols: int = 4) -> tuple[int, int]:
    cols = min(max_cols, n)
    return math.ceil(n / cols), cols


def _width(cols: int) -> float:
    """Figure width for ``cols`` small multiples: a full row holds four; one or two get half the width."""
    return WIDTH_IN * max(cols, 2) / 4 if cols < 3 else WIDTH_IN


def _hide_unused(axes: np.ndarray, used: int) -> None:
    for ax in axes.flat[used:]:
        ax.set_visible(False)


def trajectory_bands(trajectories: pd.DataFrame, variable: str) -> pd.DataFrame:
    """Per arm and recorded day: 25th, 50th and 75th percentile of ``variable`` over the sampled patients."""
    grouped = trajectories.groupby(["arm", "day"], sort=False)[variable]
    bands = grouped.quantile([0.25, 0.5, 0.75]).unstack()
    bands.columns = ["q25", "median", "q75"]
    return bands.reset_index()


def over_time(bands: pd.DataFrame | None, daily: pd.DataFrame | None, arms: Sequence[str], colours: dict[str, str],
              reference: str | None, horizon: int, care_spans: dict[str, tuple[int, int]], *, ylabel: str,
              ymax: float, daily_column: str) -> bytes:
    """Small multiples, one panel per arm: median and 25-75% band (or the cohort mean when no
    trajectories were recorded), the reference arm's median dashed grey, the course of sessions shaded."""
    rows, cols = _grid(len(arms))
    with _figure(rows, cols, figsize=(_width(cols), 0.55 + 2.45 * rows), sharex=True, sharey=True,
                 squeeze=False) as (fig, axes):
        ticks, labels, xlabel = _time_axis(horizon)
        series: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]] = {}
        for name in arms:
            if bands is not None:
                part = bands[bands["arm"] == name]
                series[name] = (part["day"].to_numpy(), part["median"].to_numpy(),
                                part["q25"].to_numpy(), part["q75"].to_numpy())
            elif daily is not None:
                part = daily[daily["arm"] == name]
                series[name] = (part["day"].to_numpy(), part[daily_column].to_numpy(), None, None)
        handles = {}
        for ax, name in zip(axes.flat, arms, strict=False):
            colour = colours[name]
            if name in care_spans:
                start, end = care_spans[name]
                handles["course of sessions"] = ax.axvspan(start, end, color="#fdf1d8", lw=0, zorder=0)
            if reference in series and name != reference:
                day, mid, _, _ = series[reference]
                kind = "median" if bands is not None else "mean"
                (handles[f"{reference} ({kind})"],) = ax.plot(day, mid, color=REFERENCE_COLOUR, lw=1.3, ls="--")
            if name in series:
                day, mid, low, high = series[name]
                if low is not None:
                    handles["middle half of patients (25-75%)"] = ax.fill_between(
                        day, low, high, color=colour, alpha=0.22, lw=0)
                (line,) = ax.plot(day, mid, color=colour, lw=2.2)
                handles["median" if low is not None else "cohort mean"] = line
            ax.set_title(name, color=colour if name != reference else "0.2", fontweight="bold", loc="left")
            ax.set_ylim(0, ymax)
            ax.set_xlim(0, max(horizon, ticks[-1]))
            ax.set_xticks(ticks, labels)
        for ax in axes[:, 0]:
            ax.set_ylabel(ylabel)
        for ax in axes[-1, :]:
            ax.set_xlabel(xlabel)
            ax.tick_params(labelbottom=True)
        _hide_unused(axes, len(arms))
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        for key in ("median", "cohort mean"):
            if key in handles:
                handles[key] = Line2D([], [], color="0.25", lw=2.2)
        if "middle half of patients (25-75%)" in handles:
            handles["middle half of patients (25-75%)"] = Patch(color="0.25", alpha=0.22, lw=0)
        order = [k for k in ("median", "cohort mean", "middle half of patients (25-75%)", f"{reference} (median)",
                             f"{reference} (mean)", "course of sessions") if k in handles]
        fig.legend([handles[k] for k in order], order, loc="upper center", ncol=len(order), frameon=False,
                   bbox_to_anchor=(0.5, 1.0))
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.42 / fig.get_figheight()))
        return _png(fig)


def relief_histograms(sessions: pd.DataFrame, arms: Sequence[str], colours: dict[str, str]) -> bytes:
    """Per arm with sessions: how long relief lasted after a session (days; the last bin is 30+)."""
    rows, cols = _grid(len(arms))
    with _figure(rows, cols, figsize=(_width(cols), 0.5 + 2.4 * rows), sharex=True, sharey=True,
                 squeeze=False) as (fig, axes):
        bins = np.arange(0.5, RELIEF_CAP_DAYS + 1.5)
        band = None
        for ax, name in zip(axes.flat, arms, strict=False):
            part = sessions.loc[sessions["arm"] == name, "relief_days"].to_numpy()
            attended = part[part >= 0]
            durations = attended[attended > 0]
            band = ax.axvspan(1.5, 14.5, color="#e4f1e4", lw=0, zorder=0)
            if durations.size:
                capped = np.minimum(durations, RELIEF_CAP_DAYS)
                weights = np.full(capped.size, 1.0 / capped.size)
                ax.hist(capped, bins=bins, weights=weights, color=colours[name], alpha=0.9, rwidth=0.85)
                median = float(np.median(durations))
                text = (f"median {median:.0f} day{'s' if median != 1 else ''}\n"
                        f"relief after {durations.size / attended.size:.0%}\nof attended sessions")
            else:
                text = "no relief episodes" if attended.size else "no sessions attended"
            ax.text(0.97, 0.95, text, transform=ax.transAxes, ha="right", va="top", fontsize=9, color="0.25")
            ax.set_title(name, color=colours[name], fontweight="bold", loc="left")
            ax.set_xlim(0.5, RELIEF_CAP_DAYS + 0.5)
            ax.set_xticks([1, 7, 14, 21, 30], ["1", "7", "14", "21", "30+"])
            ax.yaxis.set_major_formatter(_percent)
        for ax in axes[:, 0]:
            ax.set_ylabel("share of relief episodes")
        for ax in axes[-1, :]:
            ax.set_xlabel("days of relief after a session")
            ax.tick_params(labelbottom=True)
        _hide_unused(axes, len(arms))
        if band is not None:
            fig.legend([band], ["relief lasting 2-14 days"], loc="upper center",
                       frameon=False, bbox_to_anchor=(0.5, 1.0))
        fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / fig.get_figheight()))
        return _png(fig)


def _percent(value: float, _pos: int | None = None) -> str:
    return f"{value:.0%}"


def responder_classes(shares: dict[str, dict[str, float]], colours: dict[str, str]) -> bytes:
    """Stacked horizontal bars: non-responders, transient and lasting responders per arm."""
    names = list(shares)
    with _figure(figsize=(WIDTH_IN, 0.9 + 0.42 * len(names))) as (fig, ax):
        left = np.zeros(len(names))
        for cls in CLASSES:
            values = np.array([shares[n].get(cls, 0.0) for n in names])
            bars = ax.barh(names, values, left=left, color=CLASS_COLOURS[cls], label=CLASS_LABELS[cls], height=0.7)
            for bar, value in zip(bars, values, strict=True):
                if value >= 0.05:
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, f"{value:.0%}",
                            ha="center", va="center", fontsize=9, fontweight="bold",
                            color="0.15" if cls == "transient" else "white")
            left += values
        for tick in ax.get_yticklabels():
            tick.set_color(colours.get(tick.get_text(), "0.2"))
            tick.set_fontweight("bold")
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_percent)
        ax.set_xlabel("share of clients")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
        fig.tight_layout()
        return _png(fig)


def attendance(sessions: pd.DataFrame, arms: Sequence[str], colours: dict[str, str]) -> bytes:
    """Left: share of clients attending each scheduled session. Right: mean sessions attended of those scheduled."""
    with _figure(1, 2, figsize=(WIDTH_IN, 4.2), gridspec_kw={"width_ratios": [1.25, 1]}) as (fig, (left, right)):
        most = 1
        for name in arms:
            part = sessions[sessions["arm"] == name]
            share = (part["relief_days"] >= 0).groupby(part["session"]).mean()
            most = max(most, len(share))
            left.plot(share.index + 1, share.to_numpy(), color=colours[name], lw=2, marker="o", ms=4, label=name)
        left.set_ylim(0, 1.02)
        left.yaxis.set_major_formatter(_percent)
        left.set_xlabel("scheduled session")
        left.set_ylabel("share of clients attending")
        left.set_title("Who is still coming, session by session", loc="left")
        left.set_xticks(range(1, most + 1))
        # right: of the scheduled sessions, how many a client attended on average
        scheduled = [int(sessions.loc[sessions["arm"] == n, "session"].nunique()) for n in arms]
        attended = []
        for name in arms:
            part = sessions[sessions["arm"] == name]
            attended.append(float((part["relief_days"] >= 0).groupby(part["patient"]).sum().mean()))
        positions = np.arange(len(arms))
        right.barh(positions, scheduled, color="0.92", height=0.7, label="scheduled")
        right.barh(positions, attended, color=[colours[n] for n in arms], height=0.7, label="attended (mean)")
        for k, (done, planned) in enumerate(zip(attended, scheduled, strict=True)):
            right.text(planned + max(scheduled) * 0.02, k, f"{done:.1f} of {planned}", va="center", fontsize=9,
                       color="0.2")
        right.set_yticks(positions, list(arms))
        for tick, name in zip(right.get_yticklabels(), arms, strict=True):
            tick.set_color(colours[name])
            tick.set_fontweight("bold")
        right.set_ylim(max(len(arms), 6) - 0.5, -0.5)  # top to bottom; bars keep their width with few arms
        right.set_xlim(0, max(scheduled) * 1.3)
        right.set_xlabel("sessions per client")
        right.set_title("Sessions attended of those scheduled", loc="left")
        right.grid(axis="y", visible=False)
        fig.legend(*left.get_legend_handles_labels(), loc="upper center", ncol=min(len(arms), 5), frameon=False,
                   bbox_to_anchor=(0.5, 1.0))
        rows = math.ceil(len(arms) / 5)
        fig.tight_layout(rect=(0, 0, 1, 1 - (0.12 + 0.25 * rows) / fig.get_figheight()))
        return _png(fig)


def cost_per_relief_day(values: dict[str, float | None], costs: dict[str, float | None],
                        colours: dict[str, str]) -> bytes:
    """Horizontal bars of total cost over total relief-days per arm, with the mean cost per client."""
    names = list(values)
    with _figure(figsize=(WIDTH_IN, 0.9 + 0.42 * len(names))) as (fig, ax):
        heights = [values[n] or 0.0 for n in names]
        ax.barh(names, heights, color=[colours[n] for n in names], height=0.65)
        top = max(heights) if any(heights) else 1.0
        for k, name in enumerate(names):
            value, cost = values[name], costs.get(name)
            label = rf"\${value:,.0f} per relief-day" if value else "no relief-days"
            if cost is not None:
                label += rf"   (mean cost per client \${cost:,.0f})"
            ax.text((value or 0.0) + top * 0.01, k, label, va="center", fontsize=9, color="0.2")
        for tick in ax.get_yticklabels():
            tick.set_color(colours.get(tick.get_text(), "0.2"))
            tick.set_fontweight("bold")
        ax.invert_yaxis()
        ax.set_xlim(0, top * 1.55)
        ax.set_xlabel("cost per day of relief ($): total cost of care / total relief-days")
        ax.xaxis.set_major_formatter(lambda v, _pos: rf"\${v:,.0f}")
        ax.grid(axis="y", visible=False)
        fig.tight_layout()
        return _png(fig)


def trajectory_classes(fit: TrajectoryClasses, title: str) -> bytes:
    """Class mean curves of a trajectory fit (painsim.outcomes.trajectories), share in the legend."""
    import matplotlib

    with _figure(figsize=(WIDTH_IN, 4.6)) as (fig, ax), matplotlib.rc_context({"text.parse_math": False}):
        plot_trajectory_classes(fit, ax=ax, title=title)
        fig.tight_layout()
        return _png(fig)
