"""Text and rich reports of a fitted model in the layout of metafor's ``print.rma.uni``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from painsim.evidence.effect_sizes import LOG_MEASURES

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Group

    from painsim.evidence.rma import RMAResult

METHOD_NAMES: dict[str, str] = {
    "FE": "fixed-effect",
    "DL": "DerSimonian-Laird",
    "HE": "Hedges",
    "SJ": "Sidik-Jonkman",
    "ML": "maximum-likelihood",
    "REML": "restricted maximum-likelihood",
    "EB": "empirical Bayes",
    "PM": "Paule-Mandel",
}


def json_safe(obj: Any) -> Any:
    """Replace NaN and infinities by None (recursively) so that the output is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def fmt_p(p: float | None) -> str:
    """Format a p-value like metafor (``<.0001`` for tiny values).

    Examples
    --------
    >>> fmt_p(0.5), fmt_p(1e-7)
    ('0.5000', '<.0001')
    """
    if p is None or np.isnan(p):
        return "NA"
    return "<.0001" if p < 1e-4 else f"{p:.4f}"


def title(fit: RMAResult) -> str:
    """Model title line."""
    if fit.int_only:
        kind = "Fixed-Effects Model" if fit.is_fixed else "Random-Effects Model"
    else:
        kind = "Fixed-Effects with Moderators Model" if fit.is_fixed else "Mixed-Effects Model"
    est = "" if fit.is_fixed else f"; tau^2 estimator: {fit.method}"
    return f"{kind} (k = {fit.k}{est})"


def heterogeneity_lines(fit: RMAResult) -> list[str]:
    """Lines describing tau^2, I^2, H^2 (and R^2 for meta-regression)."""
    res = "" if fit.int_only else "residual "
    out: list[str] = []
    if not fit.is_fixed:
        out.append(
            f"tau^2 (estimated amount of {res}heterogeneity): {fit.tau2:.4f} "
            f"(SE = {fit.se_tau2:.4f})"
        )
        out.append(f"tau (square root of estimated tau^2 value): {fit.tau:.4f}")
        if fit.tau2_ci is not None:
            out.append(
                f"{fit.level:g}% CI for tau^2 (Q-profile): "
                f"[{fit.tau2_ci.lower:.4f}, {fit.tau2_ci.upper:.4f}]"
            )
    if fit.int_only:
        i2_what, h2_what = "total heterogeneity / total variability", "total variability"
    else:
        i2_what, h2_what = (
            "residual heterogeneity / unaccounted variability",
            ("unaccounted variability"),
        )
    out.append(f"I^2 ({i2_what}): {fit.i2:.2f}%")
    out.append(f"H^2 ({h2_what} / sampling variability): {fit.h2:.2f}")
    if fit.r2 is not None:
        out.append(f"R^2 (amount of heterogeneity accounted for): {fit.r2:.2f}%")
    return out


def test_lines(fit: RMAResult) -> list[str]:
    """Heterogeneity test and (for meta-regression) the omnibus moderator test."""
    out = []
    qname = "Q" if fit.int_only else "QE"
    what = "Heterogeneity" if fit.int_only else "Residual Heterogeneity"
    out.append(f"Test for {what}: {qname}(df = {fit.q_df}) = {fit.q:.4f}, p-val {_pv(fit.q_p)}")
    if not fit.int_only:
        coefs = f"coefficients 2:{fit.p}"
        if fit.test == "knha":
            out.append(
                f"Test of Moderators ({coefs}): F(df1 = {fit.qm_df[0]}, df2 = {fit.qm_df[1]}) "
                f"= {fit.qm:.4f}, p-val {_pv(fit.qm_p)}"
            )
        else:
            out.append(
                f"Test of Moderators ({coefs}): QM(df = {fit.qm_df[0]}) = {fit.qm:.4f}, "
                f"p-val {_pv(fit.qm_p)}"
            )
    return out


def _pv(p: float) -> str:
    s = fmt_p(p)
    return s if s.startswith("<") else f"= {s}"


def coef_rows(fit: RMAResult) -> tuple[list[str], list[list[str]]]:
    """Header and formatted rows of the coefficient table."""
    stat = "tval" if fit.test == "knha" else "zval"
    header = ["", "estimate", "se", stat]
    if fit.test == "knha":
        header.append("df")
    header += ["pval", "ci.lb", "ci.ub"]
    rows = []
    for j, name in enumerate(fit.coef_names):
        row = [name, f"{fit.beta[j]:.4f}", f"{fit.se[j]:.4f}", f"{fit.zval[j]:.4f}"]
        if fit.test == "knha":
            row.append(str(fit.ddf))
        row += [fmt_p(fit.pval[j]), f"{fit.ci_lb[j]:.4f}", f"{fit.ci_ub[j]:.4f}"]
        rows.append(row)
    return header, rows


def footer_lines(fit: RMAResult) -> list[str]:
    """Prediction interval and back-transformed pooled effect."""
    out = []
    if fit.int_only and fit.pi_lb is not None:
        out.append(f"Prediction interval ({fit.level:g}%): [{fit.pi_lb:.4f}, {fit.pi_ub:.4f}]")
    if fit.measure in LOG_MEASURES and fit.int_only:
        name = fit.measure
        txt = (
            f"Pooled {name} (exp scale): {np.exp(fit.estimate):.4f} "
            f"[{np.exp(fit.ci_lb[0]):.4f}, {np.exp(fit.ci_ub[0]):.4f}]"
        )
        if fit.pi_lb is not None:
            txt += f"; prediction interval [{np.exp(fit.pi_lb):.4f}, {np.exp(fit.pi_ub):.4f}]"
        out.append(txt)
    return out


def format_summary(fit: RMAResult) -> str:
    """Return the multi-line plain-text summary of ``fit``."""
    header, rows = coef_rows(fit)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    table = []
    for r in [header, *rows]:
        cells = [
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        table.append("  ".join(cells))
    parts: list[Any] = [title(fit), "", *heterogeneity_lines(fit), "", *test_lines(fit), ""]
    parts += ["Model Results:", "", *table]
    foot = footer_lines(fit)
    if foot:
        parts += ["", *foot]
    return "\n".join(parts)


def rich_summary(fit: RMAResult) -> Group:
    """A ``rich`` renderable of ``fit``: a panel with the heterogeneity
    statistics, the coefficient table and the prediction interval."""
    from rich import box
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    header, rows = coef_rows(fit)
    tab = Table(title="Model results", box=box.SIMPLE_HEAD, header_style="bold")
    for i, h in enumerate(header):
        tab.add_column(h or "coef", justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        tab.add_row(*r)
    het = Table.grid(padding=(0, 1))
    het.add_column()
    for line in heterogeneity_lines(fit) + test_lines(fit):
        het.add_row(line)
    items: list[Any] = [Panel(het, title=title(fit), expand=False), tab]
    items += [Text(f) for f in footer_lines(fit)]
    return Group(*items)
