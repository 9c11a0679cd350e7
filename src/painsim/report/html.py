"""The HTML report of a stored run: one self-contained file (inline CSS, figures as data: URIs, no JS)."""

from __future__ import annotations

import base64
import os
import tempfile
import tomllib
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from painsim.report import diary, economics, figures
from painsim.texts import DISCLAIMER

if TYPE_CHECKING:
    from painsim.store import StoredRun

ANSWER_DAYS = ("0", "70", "365", "729")
DAY_NOTES = {"0": "start", "70": "week 10", "182": "6 months", "365": "1 year", "547": "18 months", "729": "2 years"}
REFERENCE_ARM = "no_care"


def write_report(stored_run: StoredRun, path: str | os.PathLike[str]) -> Path:
    """Render the report of ``stored_run`` and write it to ``path`` (folders are created); return the path."""
    path = Path(path).expanduser()
    html = render_report(stored_run)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def render_report(stored_run: StoredRun) -> str:
    """The report of ``stored_run`` as one self-contained HTML document."""
    if diary.is_diary_run(stored_run.tables):
        return _page(f"A client's diary - painsim report {stored_run.run_id}", diary.sections(stored_run, _img))
    data = _RunData(stored_run)
    if economics.is_cea_run(stored_run.tables):
        return _document(data, [_header(data), _economics_section(data, stored_run), _scenario_section(data),
                                _footer(data)])
    sections = [
        _header(data),
        _answer_section(data),
        _intervals_section(data),
        _how_to_read(data),
        _over_time_section(data, "pain", "Pain over time", "pain (0-10)", 10.0, "pain_mean"),
        _over_time_section(data, "disability", "Disability over time", "disability (RMDQ, 0-24)", 24.0,
                           "disability_mean"),
        _trajectory_section(data),
        _relief_section(data),
        _responder_section(data),
        _attendance_section(data),
        _cost_section(data),
        _diagram_section(),
        _scenario_section(data),
        _footer(data),
    ]
    return _document(data, sections)


def _document(data: _RunData, sections: list[str]) -> str:
    return _page(f"{data.title} - painsim report {data.run_id}", sections)


def _page(title: str, sections: list[str]) -> str:
    body = "\n".join(s for s in sections if s)
    title = escape(title)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            f"</body>\n</html>\n")


class _RunData:
    """What the report needs from a stored run, read once."""

    def __init__(self, run: StoredRun):
        self.run_id = run.run_id
        self.metadata = run.metadata
        self.summary: dict[str, dict[str, Any]] = run.summary or {}
        self.cea: dict[str, Any] | None = None
        if economics.is_cea_run(run.tables):  # its summary is the analysis's; the arms are its keys
            self.cea = self.summary
            self.summary = {str(arm): {"n": self.cea.get("n")} for arm in self.cea.get("arms", {})}
        self.scenario_text = run.scenario_text
        self.scenario = _parse_toml(self.scenario_text)
        names = set(run.tables)
        self.daily = run.table("daily") if "daily" in names else None
        self.trajectories = run.table("trajectories") if "trajectories" in names else None
        self.sessions = run.table("sessions") if "sessions" in names else None
        self.intervals = run.table("intervals") if "intervals" in names else None
        arms = list(self.summary)
        for frame in (self.daily, self.trajectories, self.sessions):
            if frame is not None and "arm" in frame:
                arms += [a for a in pd.unique(frame["arm"]) if a not in arms]
        self.arms: list[str] = [str(a) for a in arms]
        self.title = str(self.scenario.get("title") or self.metadata.get("name") or self.scenario.get("name")
                         or "painsim scenario")
        self.name = str(self.metadata.get("name") or self.scenario.get("name") or "")
        self.horizon = self._horizon()
        self.reference = self._reference()
        self.colours = figures.arm_colours(self.arms, self.reference)
        self.session_arms = ([a for a in self.arms if a in set(self.sessions["arm"])]
                             if self.sessions is not None and len(self.sessions) else [])

    def _horizon(self) -> int:
        for frame in (self.daily, self.trajectories):
            if frame is not None and len(frame):
                return int(frame["day"].max()) + 1
        return int(self.scenario.get("horizon_days", 730))

    def _reference(self) -> str | None:
        if REFERENCE_ARM in self.arms:
            return REFERENCE_ARM
        untreated = [a for a in self.arms if self.summary.get(a) and "cost_mean" not in self.summary[a]]
        return untreated[0] if len(untreated) == 1 else None

    def arm_label(self, name: str) -> str:
        colour = self.colours.get(name, "#333")
        return f'<span class="arm"><span class="swatch" style="background:{colour}"></span>{escape(name)}</span>'

    def care_spans(self) -> dict[str, tuple[int, int]]:
        if self.sessions is None or not len(self.sessions):
            return {}
        days = self.sessions.groupby("arm")["day"].agg(["min", "max"])
        return {str(arm): (int(row["min"]), int(row["max"]) + 1) for arm, row in days.iterrows()}

    def n_per_arm(self) -> str:
        counts = sorted({int(arm["n"]) for arm in self.summary.values() if "n" in arm})
        if not counts and self.metadata.get("meta", {}).get("n"):
            counts = [int(self.metadata["meta"]["n"])]
        if not counts:
            return "unknown"
        return f"{counts[0]:,}" if len(counts) == 1 else f"{counts[0]:,}-{counts[-1]:,}"


def _parse_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError):
        return {}


def _img(png: bytes, alt: str) -> str:
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{escape(alt)}">'


def _figure(png: bytes, alt: str, caption: str) -> str:
    return f"<figure>{_img(png, alt)}<figcaption>{caption}</figcaption></figure>"


def _section(anchor: str, title: str, content: str) -> str:
    return f'<section id="{anchor}">\n<h2>{escape(title)}</h2>\n{content}\n</section>'


def _missing(what: str) -> str:
    return f'<p class="note">This run has no {escape(what)}.</p>'


# ---------------------------------------------------------------------------------------------- sections
def _header(data: _RunData) -> str:
    meta = data.metadata
    started = meta.get("started")
    when = f"{started:%d %b %Y, %H:%M} UTC" if started is not None else "unknown"
    overrides = {k: v for k, v in (meta.get("meta", {}).get("overrides") or {}).items() if v is not None}
    facts = [
        ("scenario", escape(data.name) or "-"),
        ("run", f"<code>{escape(data.run_id)}</code>"),
        ("date", escape(when)),
        ("patients per arm", escape(data.n_per_arm())),
        ("arms", str(len(data.arms))),
        ("follow-up", f"{data.horizon:,} days"),
        ("seed", escape(str(meta.get("seed", "-")))),
        ("painsim", escape(str(meta.get("version", "-")))),
    ]
    if overrides:
        facts.append(("overrides", escape(", ".join(f"{k} = {v}" for k, v in overrides.items()))))
    items = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in facts)
    toc = "".join(f'<li><a href="#{a}">{t}</a></li>' for a, t in (
        ("answer", "Answer"), ("how-to-read", "How to read this"), ("pain", "Pain"), ("disability", "Disability"),
        ("trajectories", "Trajectory classes"), ("relief", "Relief"), ("responders", "Responders"),
        ("attendance", "Attendance"), ("cost", "Cost"),
        ("diagram", "Causal loops"), ("scenario", "Scenario")))
    return (f'<header>\n<p class="kicker">painsim report</p>\n<h1>{escape(data.title)}</h1>\n'
            f'<p class="disclaimer" role="note"><strong>{escape(DISCLAIMER)}</strong> These are virtual patients '
            "in a simulation; the numbers describe the model, not any real person.</p>\n"
            f'<dl class="facts">{items}</dl>\n<nav><ul>{toc}</ul></nav>\n</header>')


def _fmt(value: Any, spec: str, default: str = "&ndash;") -> str:
    if value is None or (isinstance(value, float) and value != value):
        return default
    return format(value, spec)


def _answer_section(data: _RunData) -> str:
    days = [d for d in ANSWER_DAYS if any(d in arm.get("pain_mean", {}) for arm in data.summary.values())]
    care = any("cost_mean" in arm for arm in data.summary.values())
    classes = any("responder_classes" in arm for arm in data.summary.values())
    head = ['<th class="left">arm</th>']
    head += [f'<th>pain<br>day {d}<span class="sub">{DAY_NOTES.get(d, "")}</span></th>' for d in days]
    if classes:
        head += ['<th>non-<br>responders</th>', "<th>transient<br>responders</th>", "<th>lasting<br>responders</th>"]
    if care:
        head += ["<th>median relief<br>(days)</th>", "<th>sessions<br>attended</th>", "<th>cost per<br>client</th>",
                 "<th>cost per<br>relief-day</th>"]
    rows = []
    for name in data.arms:
        arm = data.summary.get(name, {})
        pain = arm.get("pain_mean", {})
        cells = [f'<td class="left">{data.arm_label(name)}</td>']
        base = pain.get("0")
        for d in days:
            value = pain.get(d)
            change = ""
            if value is not None and base is not None and d != "0":
                change = f'<span class="delta">{value - base:+.1f}</span>'
            cells.append(f"<td>{_fmt(value, '.1f')}{change}</td>")
        if classes:
            shares = arm.get("responder_classes") or {}
            cells += [f"<td>{_fmt(shares.get(c), '.0%')}</td>" for c in ("non_responder", "transient", "lasting")]
        if care:
            per_day = arm.get("cost_per_relief_day")
            cells += [f"<td>{_fmt(arm.get('relief_days_median'), '.0f')}</td>",
                      f"<td>{_fmt(arm.get('sessions_attended_mean'), '.1f')}</td>",
                      "<td>" + (f"${arm['cost_mean']:,.0f}" if arm.get("cost_mean") is not None else "&ndash;")
                      + "</td>",
                      "<td>" + (f"${per_day:,.0f}" if per_day else "&ndash;") + "</td>"]
        cls = ' class="reference"' if name == data.reference else ""
        rows.append(f"<tr{cls}>{''.join(cells)}</tr>")
    if not rows:
        return _section("answer", "Answer", _missing("summary"))
    note = ("Pain: cohort mean on a 0-10 scale (small numbers: change since the start). Responder classes, "
            "relief, sessions and cost are shown for arms with sessions; sessions attended and cost are means "
            "per client; cost per relief-day is the arm's total cost divided by its total days of relief.")
    narrow = " narrow" if not (care or classes) else ""
    table = f'<div class="scroll"><table class="answer{narrow}"><thead><tr>{"".join(head)}</tr></thead>' \
            f'<tbody>{"".join(rows)}</tbody></table></div>'
    return _section("answer", "Answer", f"{table}\n<p class=\"note\">{escape(note)}</p>")


#: The answer's numbers shown with their credible intervals: (quantity, column heading, format).
_INTERVAL_COLUMNS = (("pain_mean.70", "pain day 70", ".1f"), ("pain_mean.365", "pain day 365", ".1f"),
                     ("responder_classes.lasting", "lasting responders", ".0%"),
                     ("relief_days_median", "median relief (days)", ".0f"), ("cost_mean", "cost per client", ",.0f"))


def _intervals_section(data: _RunData) -> str:
    """The posterior's 95% credible intervals of the answer's numbers (``painsim run --posterior``)."""
    frame = data.intervals
    if frame is None or not len(frame):
        return ""
    posterior = data.metadata.get("meta", {}).get("posterior", {})
    by_key = frame.set_index(["arm", "quantity"])
    columns = [c for c in _INTERVAL_COLUMNS if c[0] in set(frame["quantity"])]
    head = '<th class="left">arm</th>' + "".join(f"<th>{escape(label)}</th>" for _, label, _ in columns)
    rows = []
    for name in data.arms:
        cells = [f'<td class="left">{data.arm_label(name)}</td>']
        for quantity, _, spec in columns:
            if (name, quantity) not in by_key.index:
                cells.append("<td>&ndash;</td>")
                continue
            row = by_key.loc[(name, quantity)]
            cells.append(f"<td>{_fmt(row['mean'], spec)}<span class=\"sub\">{_fmt(row['low'], spec)}&ndash;"
                         f"{_fmt(row['high'], spec)}</span></td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    note = (f"Posterior mean over {posterior.get('draws', '?')} draws of posterior {posterior.get('posterior', '?')} "
            f"({posterior.get('patients_per_draw', '?')} patients per arm and draw) and, beneath it, the 95% "
            "credible interval of parameter uncertainty, Monte Carlo noise removed (docs/calibration.md, "
            "'Uncertainty in every answer'). Every number of the answer, with its Monte Carlo SD, is in the run's "
            "intervals table.")
    table = f'<div class="scroll"><table class="answer"><thead><tr>{head}</tr></thead>' \
            f'<tbody>{"".join(rows)}</tbody></table></div>'
    return _section("intervals", "How sure: credible intervals", f"{table}\n<p class=\"note\">{escape(note)}</p>")


def _how_to_read(data: _RunData) -> str:
    reference = (f" The arm <strong>{escape(data.reference)}</strong> is the comparison: the same people "
                 "without care; it is drawn as a grey dashed line.") if data.reference else ""
    return _section("how-to-read", "How to read this", f"""
<p>Every arm is <strong>the same group of virtual people</strong> with chronic low back pain, followed for
{data.horizon:,} days under a different plan of care, so differences between arms come from the care alone,
not from who happened to be in each group.{reference} Pain is on the usual 0-10 scale; disability is the
Roland-Morris questionnaire (0-24, higher is worse). In the charts over time the line is the <em>typical</em>
(median) person and the coloured band holds the middle half of people: a wide band means people fare very
differently under the same care. A <strong>relief episode</strong> is a clear drop in pain (30% or 2 points)
starting within two days of a session; its length is how many days it lasts. A <strong>non-responder</strong>
had no relief after either of the first two sessions, a <strong>transient responder</strong> had relief that
wore off, and a <strong>lasting responder</strong> stayed in the recovered range for a year after the course.
Averages describe a group: they do not predict what will happen to one person.</p>
<p class="note">{escape(DISCLAIMER)}</p>""")


def _over_time_section(data: _RunData, variable: str, title: str, ylabel: str, ymax: float,
                       daily_column: str) -> str:
    bands = None
    if data.trajectories is not None and variable in data.trajectories and len(data.trajectories):
        bands = figures.trajectory_bands(data.trajectories, variable)
    daily = data.daily if data.daily is not None and daily_column in data.daily else None
    if bands is None and daily is None:
        return _section(variable, title, _missing(f"{variable} over time (no trajectories or daily table)"))
    png = figures.over_time(bands, daily, data.arms, data.colours, data.reference, data.horizon,
                            data.care_spans(), ylabel=ylabel, ymax=ymax, daily_column=daily_column)
    if bands is not None:
        sample = data.trajectories.groupby("arm")["patient"].nunique()
        how = (f"Weekly {variable} of a sample of {int(sample.max()):,} people per arm: the line is the median, "
               "the band the 25th to 75th percentile.")
    else:
        how = f"Daily cohort mean {variable} (no per-person trajectories were recorded in this run)."
    caption = f"{how} The shaded strip marks the course of sessions (first to last)."
    return _section(variable, title, _figure(png, f"{title} per arm", escape(caption)))


def _trajectory_section(data: _RunData) -> str:
    """Latent trajectory classes of the weekly pain of the reference (else the first) arm,
    over its first year at most (docs/trajectories.md)."""
    from painsim.outcomes import trajectories as tc

    title = "Trajectory classes"
    arm = data.reference or (data.arms[0] if data.arms else None)
    weeks = min(tc.weeks_in_months(12), data.horizon // 7)
    if data.trajectories is None or not len(data.trajectories) or arm is None or weeks < tc.MIN_WEEKS:
        return _section("trajectories", title, _missing(f"weekly pain of {tc.MIN_WEEKS} weeks or more"))
    try:
        weekly = tc.weekly_pain_from_table(data.trajectories, arm, data.horizon)
        fit = tc.fit_trajectory_classes(tc.pain_curves(weekly, weeks), "auto", seed=0)
    except tc.TrajectoryInputError as err:
        return _section("trajectories", title, f'<p class="note">No trajectory classes: {escape(str(err))}.</p>')
    png = figures.trajectory_classes(fit, f"{arm}: {fit.k} classes over {weeks} weeks (number by BIC)")
    published = tc.KONGSTED_2015_SHARES
    rows = "".join(f'<tr><td class="left">{escape(tc.LABELS[label])}</td><td>{share:.0%}</td>'
                   f"<td>{published[label]:.0%}</td></tr>" for label, share in fit.label_shares().items())
    table = ('<div class="scroll"><table class="answer narrow"><thead><tr><th class="left">pattern</th>'
             f"<th>{escape(arm)}</th><th>Kongsted 2015</th></tr></thead><tbody>{rows}</tbody></table></div>")
    caption = (f"Latent classes of the weekly pain of {fit.n:,} people of arm {arm} (a Gaussian mixture, the number "
               "of classes by BIC over 1-7), each line a class's mean pain, named by the rule of docs/trajectories.md; "
               "the table adds up classes of the same pattern, beside the shares Kongsted et al. found in 1,082 "
               "primary-care patients over a year (Spine J 2015).")
    return _section("trajectories", title, _figure(png, "Trajectory classes", escape(caption)) + "\n" + table)


def _relief_section(data: _RunData) -> str:
    if not data.session_arms:
        return _section("relief", "How long relief lasts", _missing("sessions (no arm had massage or sham)"))
    png = figures.relief_histograms(data.sessions, data.session_arms, data.colours)
    caption = ("Each bar is the share of relief episodes lasting that many days (30+ pooled in the last bar); "
               "the green band marks 2-14 days. Sessions without relief are not in the bars; the share of "
               "attended sessions that gave relief is printed in each panel.")
    return _section("relief", "How long relief lasts", _figure(png, "Relief duration histograms", escape(caption)))


def _responder_section(data: _RunData) -> str:
    shares = {a: data.summary[a]["responder_classes"] for a in data.arms
              if (data.summary.get(a) or {}).get("responder_classes")}
    if not shares:
        return _section("responders", "Responder classes", _missing("responder classes"))
    png = figures.responder_classes(shares, data.colours)
    caption = ("Share of clients in each responder class per arm: non-responders (no relief after either of the "
               "first two sessions), transient responders (relief that wore off) and lasting responders "
               "(recovered range held for a year after the course).")
    return _section("responders", "Responder classes", _figure(png, "Responder classes", escape(caption)))


def _attendance_section(data: _RunData) -> str:
    if not data.session_arms:
        return _section("attendance", "Attendance", _missing("sessions"))
    png = figures.attendance(data.sessions, data.session_arms, data.colours)
    caption = ("Left: share of clients who came to each scheduled session (people who drop out stop coming). "
               "Right: sessions attended per client on average, out of those scheduled.")
    return _section("attendance", "Attendance", _figure(png, "Attendance", escape(caption)))


def _cost_section(data: _RunData) -> str:
    values = {a: data.summary[a].get("cost_per_relief_day") for a in data.arms
              if "cost_per_relief_day" in (data.summary.get(a) or {})}
    if not values:
        return _section("cost", "Cost per relief-day", _missing("costs"))
    costs = {a: data.summary[a].get("cost_mean") for a in values}
    png = figures.cost_per_relief_day(values, costs, data.colours)
    caption = ("What one day of relief costs: the arm's total cost of care divided by the total days of relief "
               "after its sessions. Lower is better value; it says nothing about pain beyond the relief days.")
    return _section("cost", "Cost per relief-day", _figure(png, "Cost per relief-day", escape(caption)))


def _economics_section(data: _RunData, run: StoredRun) -> str:
    content = economics.economics_section(run, data.cea or {}, lambda arms: figures.arm_colours(arms, data.reference))
    return _section("economics", "Is it worth it? Costs and QALYs", content)


def _diagram_section() -> str:
    from painsim.engine.diagram import draw

    with tempfile.TemporaryDirectory(prefix="painsim-report-") as folder:
        png = draw(Path(folder) / "causal_loops.png").read_bytes()
    caption = ("How the model works: pain emerges from biological, psychological and social feedback loops. "
               "Blue arrows push in the same direction, red dashed arrows in the opposite direction; care acts on "
               "these loops.")
    figure = _figure(png, "Causal-loop diagram", escape(caption)).replace("<figure>", '<figure class="diagram">')
    return _section("diagram", "The model: causal loops", figure)


def _scenario_section(data: _RunData) -> str:
    sha = data.metadata.get("scenario_hash", "")
    note = (f'<p class="note">The scenario file as run (sha256 <code>{escape(sha[:16])}&hellip;</code>); '
            "save it as a .toml file and run it with <code>painsim run</code> to reproduce this run.</p>")
    return _section("scenario", "The scenario", f"{note}\n<pre>{escape(data.scenario_text)}</pre>")


def _footer(data: _RunData) -> str:
    return (f"<footer><p><strong>{escape(DISCLAIMER)}</strong></p><p>Made with painsim "
            f"{escape(str(data.metadata.get('version', '')))} from run <code>{escape(data.run_id)}</code> "
            f"(<code>painsim report {escape(data.run_id)}</code>).</p></footer>")


_CSS = """
:root { --ink: #1d2733; --muted: #5d6b7a; --line: #dde3ea; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: var(--ink);
  font: 16px/1.55 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 36px 48px; background: #fff; }
h1 { font-size: 2rem; line-height: 1.2; margin: 0 0 14px; }
h2 { font-size: 1.35rem; margin: 0 0 10px; padding-bottom: 6px; border-bottom: 2px solid var(--line); }
section { margin: 34px 0 0; }
.kicker { margin: 0; color: var(--accent); font-weight: 600; letter-spacing: .08em; text-transform: uppercase;
  font-size: .8rem; }
.disclaimer { margin: 0 0 16px; padding: 10px 14px; background: #fff4d6; border-left: 5px solid #e0a100;
  border-radius: 4px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 28px; margin: 0 0 14px; }
.facts div { min-width: 90px; }
.facts dt { color: var(--muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .05em; }
.facts dd { margin: 0; font-weight: 600; }
nav ul { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 6px; }
nav a { display: inline-block; padding: 2px 10px; border: 1px solid var(--line); border-radius: 12px;
  color: var(--accent); text-decoration: none; font-size: .85rem; }
.scroll { overflow-x: auto; }
table.answer { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: .95rem; }
table.answer.narrow { width: auto; min-width: 50%; }
table.answer th { font-size: .78rem; font-weight: 600; color: var(--muted); text-align: right;
  vertical-align: bottom; padding: 6px 8px; border-bottom: 2px solid var(--ink); line-height: 1.25; }
table.answer td { text-align: right; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.answer .left { text-align: left; }
table.answer tbody tr:nth-child(even) { background: #f8fafc; }
table.answer tr.reference td { color: var(--muted); font-style: italic; }
.sub { display: block; font-weight: 400; font-size: .72rem; }
.delta { display: inline-block; min-width: 2.6em; margin-left: 4px; color: var(--muted); font-size: .75rem; }
.arm { font-weight: 600; white-space: nowrap; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 7px;
  vertical-align: -1px; }
figure { margin: 8px 0 0; }
figure img { display: block; width: auto; height: auto; max-width: 100%; }
figure.diagram img { width: 100%; max-width: 880px; margin: 0 auto; }
figcaption, .note { color: var(--muted); font-size: .9rem; margin: 6px 0 0; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 4px; padding: 12px 14px; overflow-x: auto;
  font-size: .85rem; line-height: 1.45; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted);
  font-size: .9rem; }
@media print { body { background: #fff; } main { padding: 0; } nav { display: none; }
  section { break-inside: avoid; } }
"""
