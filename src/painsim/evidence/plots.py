"""Forest and funnel plots following metafor / RevMan conventions (matplotlib, Agg).

Forest plot: one row per study with its label, weight (%), square (area
proportional to the weight) and confidence interval, the effect with CI as
text on the right; the pooled estimate as a diamond spanning its CI; the
prediction interval (random-effects models) as a line with end ticks below
the diamond; a vertical line at "no effect"; ratio measures (RR, OR) on a
logarithmic axis labelled on the ratio scale; heterogeneity statistics and
the test for the overall effect in the footer, as in RevMan.

Funnel plot: effect sizes against their standard errors (inverted axis) with
the pseudo confidence region ``estimate +/- z * SE`` around the pooled
estimate (metafor ``funnel``); studies imputed by trim-and-fill are drawn as
open circles.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Polygon
from scipy import stats

from painsim.evidence.effect_sizes import LOG_MEASURES, MEASURE_LABELS
from painsim.evidence.report import fmt_p
from painsim.evidence.rma import RMAResult

_RATIO_TICKS = (0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 1000)
_EXP_LABELS = {"RR": "Risk Ratio", "OR": "Odds Ratio"}
_COLUMN_LABELS = {
    "GEN": "Estimate",
    "SMD": "Hedges' g",
    "MD": "Mean Diff.",
    "RR": "Risk Ratio",
    "OR": "Odds Ratio",
    "RD": "Risk Diff.",
}


def _ratio_ticks(lo: float, hi: float, max_ticks: int = 8) -> list[float]:
    """Readable ticks for a log-scaled ratio axis between ``lo`` and ``hi``."""
    ticks = [t for t in _RATIO_TICKS if lo <= t <= hi]
    if len(ticks) > max_ticks:
        ticks = [t for t in ticks if t in (0.001, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1000)]
    if len(ticks) > max_ticks:
        ticks = [t for t in ticks if t in (0.001, 0.01, 0.1, 1, 10, 100, 1000)]
    return ticks


def _ci_text(est: float, lo: float, hi: float, width: int = 5) -> str:
    return f"{est:{width}.2f} [{lo:{width}.2f}, {hi:{width}.2f}]"


def _num_width(*arrays: np.ndarray) -> int:
    vals = np.concatenate([np.atleast_1d(np.asarray(a, dtype=float)) for a in arrays])
    vals = vals[np.isfinite(vals)]
    return max(len(f"{v:.2f}") for v in vals) if vals.size else 5


def _pooled_label(fit: RMAResult) -> str:
    if fit.is_fixed:
        return "Total (fixed-effect model)"
    return f"Total (random-effects model, {fit.method})"


def forest_plot(
    fit: RMAResult,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    favours: Sequence[str] | None = None,
    show_pi: bool = True,
    dpi: int = 200,
) -> Figure:
    """Draw a forest plot of an intercept-only model.

    Parameters
    ----------
    fit
        Fitted intercept-only model (``rma``).
    path
        If given, the figure is saved there (PNG recommended).
    title
        Optional title.
    favours
        Labels under the axis for effects below / above the null, e.g.
        ``("Favours treatment", "Favours control")``.
    show_pi
        Draw the prediction interval (random-effects models).
    dpi
        Resolution of the saved image.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from painsim.evidence import rma
    >>> fig = forest_plot(rma([0.1, 0.4, 0.3], [0.02, 0.03, 0.01], method="DL"))
    >>> fig.axes[1].get_xlabel()
    'Effect size'
    """
    if not fit.int_only:
        raise ValueError("forest plots are drawn for models without moderators")
    ratio = fit.measure in LOG_MEASURES
    k = fit.k
    crit = float(stats.norm.isf((1 - fit.level / 100) / 2))
    sei = np.sqrt(fit.vi)
    lo, hi = fit.yi - crit * sei, fit.yi + crit * sei
    tr = np.exp if ratio else (lambda v: v)
    pred = fit.predict()
    has_pi = show_pi and pred.pi_lb is not None
    # vertical layout (row units): studies at k..1, gap, pooled at -0.5, PI at -1.3
    y_study = np.arange(k, 0, -1, dtype=float)
    y_pool = -0.6
    y_pi = -1.5
    y_bottom = (y_pi if has_pi else y_pool) - 0.9

    height = 1.6 + 0.28 * (k + 4)
    fig = plt.figure(figsize=(10.5, height))
    gs = fig.add_gridspec(1, 3, width_ratios=[3.6, 4.2, 2.6], wspace=0.02)
    ax_l = fig.add_subplot(gs[0])
    ax = fig.add_subplot(gs[1], sharey=ax_l)
    ax_r = fig.add_subplot(gs[2], sharey=ax_l)
    # final geometry first: marker sizes below are computed from it
    fig.subplots_adjust(
        left=0.02,
        right=0.99,
        top=1 - 0.25 / height - (0.3 / height if title else 0),
        bottom=(0.95 + (0.25 if favours else 0)) / height,
    )
    top = k + 1.2
    for a in (ax_l, ax_r):
        a.set_xlim(0, 1)
        a.axis("off")
    ax.set_ylim(y_bottom, top)

    # x range on the analysis scale
    # CIs much wider than the typical one are clipped (drawn with arrow heads)
    # so that a single tiny study cannot squeeze the rest of the plot.
    widths = hi - lo
    keep = widths <= 4.0 * float(np.median(widths))
    pieces = [lo[keep], hi[keep], fit.yi, fit.ci_lb, fit.ci_ub, np.zeros(1)]
    if has_pi:
        pieces += [pred.pi_lb, pred.pi_ub]
    xmin = float(min(np.min(p) for p in pieces if p.size))
    xmax = float(max(np.max(p) for p in pieces if p.size))
    span = xmax - xmin or 1.0
    xmin -= 0.04 * span
    xmax += 0.04 * span
    ax.set_xlim(tr(xmin), tr(xmax))
    if ratio:
        ax.set_xscale("log")
        ticks = _ratio_ticks(tr(xmin), tr(xmax))
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t:g}" for t in ticks])
        ax.minorticks_off()

    # null line
    ax.axvline(tr(0.0), color="black", lw=0.8, zorder=1)

    # studies
    wmax = float(np.max(fit.weights))
    x_lo_lim, x_hi_lim = tr(xmin), tr(xmax)
    for i in range(k):
        y = y_study[i]
        a, b = tr(lo[i]), tr(hi[i])
        ax.plot([max(a, x_lo_lim), min(b, x_hi_lim)], [y, y], color="black", lw=0.9, zorder=2)
        if a < x_lo_lim:
            ax.plot([x_lo_lim], [y], marker="<", color="black", ms=4, clip_on=False)
        if b > x_hi_lim:
            ax.plot([x_hi_lim], [y], marker=">", color="black", ms=4, clip_on=False)
        # square: side proportional to sqrt(weight)
        side = 0.62 * np.sqrt(fit.weights[i] / wmax)
        _square(ax, tr(fit.yi[i]), y, side, ratio, x_lo_lim, x_hi_lim)

    # pooled diamond
    d_x = [tr(fit.ci_lb[0]), tr(fit.estimate), tr(fit.ci_ub[0]), tr(fit.estimate)]
    d_y = [y_pool, y_pool + 0.32, y_pool, y_pool - 0.32]
    ax.add_patch(
        Polygon(
            list(zip(d_x, d_y, strict=True)),
            closed=True,
            facecolor="black",
            edgecolor="black",
            zorder=3,
        )
    )
    ax.axvline(
        tr(fit.estimate),
        color="0.45",
        lw=0.7,
        ls=(0, (3, 3)),
        ymin=0.0,
        ymax=(k + 0.5 - y_bottom) / (top - y_bottom),
        zorder=1,
    )
    if has_pi:
        a, b = tr(float(pred.pi_lb[0])), tr(float(pred.pi_ub[0]))
        ax.plot([a, b], [y_pi, y_pi], color="black", lw=1.0)
        for xe in (a, b):
            ax.plot([xe, xe], [y_pi - 0.18, y_pi + 0.18], color="black", lw=1.0)

    # columns of text
    fs = 8.5
    head_y = k + 0.85
    ax_l.text(0.0, head_y, "Study", fontsize=fs, fontweight="bold", va="center")
    ax_l.text(0.98, head_y, "Weight", fontsize=fs, fontweight="bold", va="center", ha="right")
    meas = _COLUMN_LABELS.get(fit.measure, "Estimate")
    ax_r.text(
        0.04, head_y, f"{meas} [{fit.level:g}% CI]", fontsize=fs, fontweight="bold", va="center"
    )
    nw = _num_width(
        tr(lo),
        tr(hi),
        tr(fit.yi),
        tr(fit.ci_lb),
        tr(fit.ci_ub),
        *([tr(pred.pi_lb), tr(pred.pi_ub)] if has_pi else []),
    )
    for i in range(k):
        y = y_study[i]
        label = fit.labels[i]
        if len(label) > 34:
            label = label[:33] + "…"
        ax_l.text(0.0, y, label, fontsize=fs, va="center")
        ax_l.text(0.98, y, f"{fit.weights[i]:.1f}%", fontsize=fs, va="center", ha="right")
        ax_r.text(
            0.04,
            y,
            _ci_text(tr(fit.yi[i]), tr(lo[i]), tr(hi[i]), nw),
            fontsize=fs,
            va="center",
            family="monospace",
        )
    ax_l.text(0.0, y_pool, _pooled_label(fit), fontsize=fs, fontweight="bold", va="center")
    ax_l.text(0.98, y_pool, "100.0%", fontsize=fs, fontweight="bold", va="center", ha="right")
    ax_r.text(
        0.04,
        y_pool,
        _ci_text(tr(fit.estimate), tr(fit.ci_lb[0]), tr(fit.ci_ub[0]), nw),
        fontsize=fs,
        fontweight="bold",
        va="center",
        family="monospace",
    )
    if has_pi:
        ax_l.text(
            0.0,
            y_pi,
            f"Prediction interval ({fit.level:g}%)",
            fontsize=fs,
            va="center",
            style="italic",
        )
        ax_r.text(
            0.04,
            y_pi,
            " " * (nw + 1)
            + f"[{tr(float(pred.pi_lb[0])):{nw}.2f}, {tr(float(pred.pi_ub[0])):{nw}.2f}]",
            fontsize=fs,
            va="center",
            family="monospace",
        )
    # separator lines
    for a in (ax_l, ax, ax_r):
        a.axhline(k + 0.5, color="black", lw=0.6)
        a.axhline(0.2, color="0.6", lw=0.5)

    # footer: heterogeneity & overall test (RevMan wording)
    stat = "t" if fit.test == "knha" else "Z"
    het = (
        "Heterogeneity: "
        + ("" if fit.is_fixed else f"Tau² = {fit.tau2:.2f}; ")
        + f"Chi² = {fit.q:.2f}, df = {fit.q_df} (P {_p_eq(fit.q_p)}); I² = {fit.i2:.0f}%"
    )
    overall = f"Test for overall effect: {stat} = {abs(fit.zval[0]):.2f} (P {_p_eq(fit.pval[0])})"
    if fit.test == "knha":
        overall += f"; Hartung-Knapp, df = {fit.ddf}"
    fig.text(0.02, 0.02 + 0.22 / height, het, fontsize=fs - 0.5)
    fig.text(0.02, 0.02, overall, fontsize=fs - 0.5)

    xlabel = _EXP_LABELS.get(fit.measure, MEASURE_LABELS.get(fit.measure, "Effect size"))
    if fit.measure == "GEN":
        xlabel = "Effect size"
    ax.set_xlabel(xlabel + (" (log scale)" if ratio else ""), fontsize=fs)
    ax.tick_params(axis="x", labelsize=fs)
    ax.tick_params(axis="y", left=False, labelleft=False)
    for s in ("left", "right", "top"):
        ax.spines[s].set_visible(False)
    if favours:
        for text, dx, ha in ((favours[0], -6, "right"), (favours[1], 6, "left")):
            ax.annotate(
                text,
                xy=(tr(0.0), 0.0),
                xycoords=("data", "axes fraction"),
                xytext=(dx, -20),
                textcoords="offset points",
                ha=ha,
                va="top",
                fontsize=fs - 0.5,
                style="italic",
            )
        ax.xaxis.labelpad = 22
    if title:
        fig.suptitle(title, fontsize=fs + 2, fontweight="bold")
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig


def _p_eq(p: float) -> str:
    s = fmt_p(p)
    return s.replace("<.", "< 0.") if s.startswith("<") else f"= {s}"


def _square(ax, x: float, y: float, side: float, ratio: bool, lo: float, hi: float) -> None:
    """A square of height ``side`` rows, made square in display space."""
    if not (lo <= x <= hi):
        return
    fig = ax.figure
    # size in points from the row height
    ax_h_in = ax.get_position().height * fig.get_figheight()
    ylim = ax.get_ylim()
    row_pts = ax_h_in * 72.0 / (ylim[1] - ylim[0])
    ms = max(2.5, side * row_pts)
    ax.plot([x], [y], marker="s", ms=ms, color="black", mec="black", zorder=3)


def funnel_plot(
    fit: RMAResult,
    path: str | Path | None = None,
    *,
    fill: np.ndarray | None = None,
    title: str | None = None,
    dpi: int = 200,
) -> Figure:
    """Draw a funnel plot (effect size against standard error).

    Parameters
    ----------
    fit
        Fitted intercept-only model; for trim-and-fill pass the filled model
        (``trimfill(fit).fit``) and its ``fill`` mask, as metafor's
        ``funnel(trimfill(res))`` does.
    path
        If given, the figure is saved there.
    fill
        Boolean mask of studies imputed by trim-and-fill (drawn as open circles).
    title
        Optional title.
    dpi
        Resolution of the saved image.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from painsim.evidence import rma
    >>> fig = funnel_plot(rma([0.1, 0.4, 0.3], [0.02, 0.03, 0.01], method="FE"))
    >>> fig.axes[0].get_ylabel()
    'Standard error'
    """
    if not fit.int_only:
        raise ValueError("funnel plots are drawn for models without moderators")
    sei = np.sqrt(fit.vi)
    imputed = np.zeros(fit.k, dtype=bool) if fill is None else np.asarray(fill, dtype=bool)
    if imputed.size != fit.k:
        raise ValueError("fill must have one entry per study")
    crit = float(stats.norm.isf((1 - fit.level / 100) / 2))
    se_max = float(np.max(sei)) * 1.08
    est = fit.estimate
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    x_lo = min(float(np.min(fit.yi)), est - crit * se_max)
    x_hi = max(float(np.max(fit.yi)), est + crit * se_max)
    pad = 0.06 * (x_hi - x_lo)
    ax.set_xlim(x_lo - pad, x_hi + pad)
    ax.set_ylim(se_max, 0)
    ax.set_facecolor("0.93")
    tri = Polygon(
        [(est - crit * se_max, se_max), (est, 0.0), (est + crit * se_max, se_max)],
        closed=True,
        facecolor="white",
        edgecolor="0.3",
        lw=0.8,
        ls="--",
        zorder=1,
    )
    ax.add_patch(tri)
    ax.plot([est, est], [0, se_max], color="0.2", lw=0.9, zorder=2)
    ax.axvline(0.0, color="0.6", lw=0.6, ls=":", zorder=1)
    ax.scatter(
        fit.yi[~imputed], sei[~imputed], s=28, color="black", zorder=3, label="Observed studies"
    )
    if imputed.any():
        ax.scatter(
            fit.yi[imputed],
            sei[imputed],
            s=28,
            facecolor="white",
            edgecolor="black",
            zorder=3,
            label="Imputed (trim-and-fill)",
        )
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8, frameon=False
        )
    ax.set_xlabel(MEASURE_LABELS.get(fit.measure, "Effect size"))
    ax.set_ylabel("Standard error")
    model = "fixed-effect" if fit.is_fixed else f"random-effects ({fit.method})"
    what = "adjusted " if imputed.any() else ""
    ax.set_title(title or f"Funnel plot: {what}pooled {model} estimate {est:.3f}", fontsize=10)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=dpi)
    return fig
