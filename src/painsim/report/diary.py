"""The HTML report of a stored diary fit (``painsim diary --store``, docs/diary.md): the diary
with the fit's band, each plan's fan chart of weekly pain and its figures, the loops that
hold the client's pain up and the traits, from the run's tables alone."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from painsim.report import figures
from painsim.texts import DISCLAIMER

if TYPE_CHECKING:
    from painsim.store import StoredRun

#: The tables a stored fit has (painsim.app.diary.DIARY_TABLES).
DIARY_TABLES = ("diary_days", "diary_forecasts", "diary_plans", "diary_traits", "diary_loops")


def is_diary_run(tables: list[str]) -> bool:
    """True for a stored diary fit."""
    return all(t in tables for t in DIARY_TABLES)


def fan_charts(days: pd.DataFrame, fans: pd.DataFrame) -> bytes:
    """One panel per plan: the diary's weekly mean pain, then the plan's median and its 50% and
    80% bands of weekly pain."""
    plans = list(pd.unique(fans["plan"]))
    rows, cols = figures._grid(len(plans), 3)
    pain = days["pain"].to_numpy(dtype=float)
    weeks = -(-pain.size // 7)
    padded = np.full(weeks * 7, np.nan)
    padded[: pain.size] = pain
    with np.errstate(invalid="ignore"):
        diary_weeks = np.nanmean(padded.reshape(weeks, 7), axis=1)
    with figures._figure(rows, cols, figsize=(figures.WIDTH_IN, 2.9 * rows), squeeze=False, sharey=True) as (fig, ax):
        for k, plan in enumerate(plans):
            a = ax.flat[k]
            f = fans[fans["plan"] == plan]
            a.plot(np.arange(-weeks + 1, 1), diary_weeks, color="#333", marker="o", ms=3, label="diary")
            a.fill_between(f["week"], f["p10"], f["p90"], color="#1f5fa8", alpha=0.18, label="80%")
            a.fill_between(f["week"], f["p25"], f["p75"], color="#1f5fa8", alpha=0.3, label="50%")
            a.plot(f["week"], f["p50"], color="#1f5fa8", label="median")
            a.set_title(str(plan), fontsize=10)
            a.set_ylim(0, 10)
            a.axvline(0.5, color="#999", lw=0.8)
        figures._hide_unused(ax, len(plans))
        ax.flat[0].legend(fontsize=8, loc="upper right")
        fig.supxlabel("weeks (diary before 0, forecast after)")
        fig.supylabel("weekly mean pain (0-10)")
        fig.tight_layout()
        return figures._png(fig)


def _table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for label, _ in columns.values())
    body = []
    for _, row in frame.iterrows():
        cells = []
        for key, (_, spec) in columns.items():
            value: Any = row[key]
            blank = value is None or (isinstance(value, float) and value != value)
            cells.append(f"<td>{'&ndash;' if blank else escape(format(value, spec))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table class="answer"><tr>{head}</tr>{"".join(body)}</table></div>'


def sections(run: StoredRun, img: Any) -> list[str]:
    """The report's sections (HTML); ``img(png, alt)`` embeds a figure."""
    summary = run.summary or {}
    diary, fit = summary.get("diary", {}), summary.get("fit", {})
    days, fans = run.table("diary_days"), run.table("diary_forecasts")
    plans, traits, loops = run.table("diary_plans"), run.table("diary_traits"), run.table("diary_loops")
    facts = [("diary", escape(str(diary.get("name", "-")))), ("run", f"<code>{escape(run.run_id)}</code>"),
             ("dates", escape(f"{diary.get('start', '?')} to {diary.get('end', '?')}")),
             ("ratings", escape(str(diary.get("ratings", "-")))),
             ("last two weeks", escape(f"{diary.get('baseline', float('nan')):.1f}")),
             ("particles", escape(f"{fit.get('particles', 0):,}")),
             ("ESS (lowest)", escape(f"{fit.get('ess', 0):,.0f} ({fit.get('min_ess', 0):,.0f})")),
             ("seed", escape(str(fit.get("seed", "-"))))]
    header = ('<header>\n<p class="kicker">painsim report</p>\n<h1>A client\'s diary</h1>\n'
              f'<p class="disclaimer" role="note"><strong>{escape(DISCLAIMER)}</strong> The forecasts are what '
              "painsim's virtual patients who kept the same diary went on to do; they are not a prognosis.</p>\n"
              f'<dl class="facts">{"".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)}</dl>\n'
              "</header>")
    plan_table = _table(plans, {"plan": ("plan", "s"), "p_improvement": ("P(30% better at 12 weeks)", ".0%"),
                                "p_responder": ("P(responds to the course)", ".0%"),
                                "relief_days": ("relief days", ".1f"), "cost": ("cost (USD)", ",.0f"),
                                "sessions": ("sessions", "d")})
    forecast = (f'<section id="forecast">\n<h2>Forecast under each plan</h2>\n{plan_table}\n'
                f"<figure>{img(fan_charts(days, fans), 'fan charts of weekly pain by plan')}<figcaption>Weekly mean "
                "pain: the diary, then each plan's median, 50% and 80% bands.</figcaption></figure>\n</section>")
    loop_table = _table(loops, {"label": ("loop", "s"), "pain_drop": ("mean drop of pain", ".2f"),
                                "p10": ("10%", ".2f"), "p90": ("90%", ".2f"),
                                "share_drop_1": ("share dropping 1 point or more", ".0%")})
    loops_html = (f'<section id="loops">\n<h2>Which loops hold the pain up</h2>\n<p>Each reinforcing loop '
                  "switched off over the fitted particles for 12 weeks without care: the drop in mean pain.</p>\n"
                  f"{loop_table}\n</section>")
    trait_table = _table(traits, {"trait": ("trait", "s"), "prior_p10": ("population 10%", ".2f"),
                                  "prior_p90": ("population 90%", ".2f"), "p10": ("client 10%", ".2f"),
                                  "p50": ("client median", ".2f"), "p90": ("client 90%", ".2f")})
    traits_html = f'<section id="traits">\n<h2>Traits</h2>\n{trait_table}\n</section>'
    diary_html = (f'<section id="diary">\n<h2>The diary</h2>\n<pre>{escape(run.scenario_text)}</pre>\n</section>')
    footer = (f"<footer><p><strong>{escape(DISCLAIMER)}</strong></p><p>From run <code>{escape(run.run_id)}</code> "
              f"(<code>painsim report {escape(run.run_id)}</code>).</p></footer>")
    return [header, forecast, loops_html, traits_html, diary_html, footer]
