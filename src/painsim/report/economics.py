"""The "Is it worth it?" section of the HTML report of a stored cost-effectiveness analysis
(``painsim cea``): the frontier table, the cost-effectiveness plane and the acceptability
curves with the frontier (docs/economics.md, docs/report.md)."""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np
import pandas as pd

from painsim.report import figures

#: The tables a stored analysis has (painsim.app.economics.CeaResult.tables).
CEA_TABLES = ("cea_arms", "cea_incremental")


def is_cea_run(tables: list[str]) -> bool:
    """True for a stored cost-effectiveness analysis."""
    return all(t in tables for t in CEA_TABLES)


def ce_plane(psa: pd.DataFrame | None, base: pd.DataFrame, reference: str, colours: dict[str, str],
             currency: str) -> bytes:
    """Incremental cost against incremental QALYs of each arm versus ``reference``: the PSA
    draws as points (same draw, same reference) and the base case as a large marker."""
    with figures._figure(figsize=(figures.WIDTH_IN * 0.75, 5.2)) as (fig, ax):
        ref = base.loc[reference]
        for arm, row in base.iterrows():
            if arm == reference:
                continue
            colour = colours.get(arm, "#333")
            if psa is not None and len(psa):
                mine = psa[psa["arm"] == arm].set_index("draw")
                theirs = psa[psa["arm"] == reference].set_index("draw").loc[mine.index]
                ax.scatter(mine["qalys"] - theirs["qalys"], mine["cost"] - theirs["cost"], s=10, alpha=0.35,
                           color=colour, linewidths=0)
            ax.scatter([row["qalys"] - ref["qalys"]], [row["cost"] - ref["cost"]], s=80, color=colour,
                       edgecolors="black", linewidths=0.8, label=str(arm), zorder=3)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.axvline(0, color="0.4", lw=0.8)
        ax.set_xlabel(f"QALYs gained per patient vs {reference}")
        ax.set_ylabel(f"extra cost per patient vs {reference} ({currency})")
        ax.legend(loc="best", frameon=False, fontsize=8)
        fig.tight_layout()
        return figures._png(fig)


def acceptability(curves: pd.DataFrame, arms: list[str], colours: dict[str, str], currency: str) -> bytes:
    """The CEAC of every arm over the WTP grid, with the frontier (the optimal arm's curve) in black."""
    with figures._figure(figsize=(figures.WIDTH_IN * 0.75, 4.6)) as (fig, ax):
        wtp = curves["wtp"].to_numpy()
        for arm in arms:
            ax.plot(wtp, curves[arm], color=colours.get(arm, "#333"), lw=1.6, label=str(arm))
        ax.plot(wtp, curves["frontier_probability"], color="black", lw=3, alpha=0.35, label="frontier (CEAF)")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(f"willingness to pay per QALY ({currency})")
        ax.set_ylabel("probability cost-effective")
        ax.legend(loc="best", frameon=False, fontsize=8)
        fig.tight_layout()
        return figures._png(fig)


def _money(value: Any) -> str:
    return "&ndash;" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:,.0f}"


def frontier_table(incremental: pd.DataFrame) -> str:
    """The incremental analysis as an HTML table (rows in order of cost)."""
    head = "".join(f"<th>{h}</th>" for h in ("arm", "cost", "QALYs", "incremental cost", "incremental QALYs",
                                              "ICER (per QALY)", "status"))
    rows = []
    for _, r in incremental.iterrows():
        status = escape(str(r["status"])) + (f" by {escape(str(r['dominated_by']))}" if r["dominated_by"] else "")
        inc_q = "&ndash;" if pd.isna(r["incremental_effect"]) else f"{r['incremental_effect']:.4f}"
        rows.append(f'<tr><td class="left">{escape(str(r["strategy"]))}</td><td>{_money(r["cost"])}</td>'
                    f'<td>{r["effect"]:.4f}</td><td>{_money(r["incremental_cost"])}</td><td>{inc_q}</td>'
                    f'<td>{_money(r["icer"])}</td><td class="left">{status}</td></tr>')
    return (f'<div class="scroll"><table class="answer"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def economics_section(run: Any, summary: dict[str, Any], colours_for: Any) -> str:
    """The report section of a stored analysis ``run`` (its tables and summary)."""
    base = run.table("cea_arms").set_index("arm")
    incremental = run.table("cea_incremental")
    arms = [str(a) for a in base.index]
    colours = colours_for(arms)
    currency = escape(str(summary.get("currency", "")))
    reference = str(incremental.iloc[0]["strategy"])  # the cheapest arm
    disc = summary.get("discount") or {}
    intro = (f"<p>Per patient over the follow-up, {escape(str(summary.get('perspective', '')))} perspective, "
             f"{currency} of {escape(str(summary.get('price_year', '')))}, costs and QALYs discounted at "
             f"{float(disc.get('costs', 0)):.1%} and {float(disc.get('effects', 0)):.1%} a year; utilities from "
             f"the <code>{escape(str(summary.get('utility_mapping', '')))}</code> mapping (docs/economics.md). "
             "Arms on the frontier are the ones worth choosing between; the ICER is the extra cost of one more "
             "QALY over the previous frontier arm.</p>")
    parts = [intro, frontier_table(incremental)]
    tables = run.tables
    psa = run.table("cea_psa") if "cea_psa" in tables else None
    png = ce_plane(psa, base, reference, colours, currency)
    parts.append(figures_html(png, "Cost-effectiveness plane",
                              f"Each arm against {escape(reference)}: the base case (large markers)"
                              + (" and every PSA draw (small points)." if psa is not None else ".")))
    if "cea_curves" in tables:
        curves = run.table("cea_curves")
        parts.append(figures_html(acceptability(curves, arms, colours, currency), "Acceptability curves",
                                  "The probability that each arm is the most cost-effective, over the "
                                  "willingness to pay per QALY; the frontier follows the arm with the highest "
                                  f"expected net benefit ({int(summary.get('psa', {}).get('draws', 0))} PSA "
                                  "draws)."))
        parts.append(_decisions(summary, currency))
    else:
        parts.append('<p class="note">Base case only: run <code>painsim cea --psa N</code> for the '
                     "acceptability curves and the value of information.</p>")
    return "\n".join(parts)


def figures_html(png: bytes, alt: str, caption: str) -> str:
    import base64

    encoded = base64.b64encode(png).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{encoded}" alt="{escape(alt)}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _decisions(summary: dict[str, Any], currency: str) -> str:
    rows = summary.get("psa", {}).get("decision") or []
    if not rows:
        return ""
    items = "".join(f"<li>at {currency} {d['wtp']:,.0f} per QALY: <strong>{escape(str(d['optimal']))}</strong> "
                    f"(probability cost-effective {d['probability']:.0%}; EVPI {d['evpi']:,.2f} per patient)</li>"
                    for d in rows)
    return f"<ul>{items}</ul>"
