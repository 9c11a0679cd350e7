"""``painsim meta``: meta-analysis of a CSV file (numerically equal to metafor)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from painsim.cli.common import (
    EXIT_BAD_INPUT,
    BadInputError,
    check_png_target,
    choices_metavar,
    described,
    plain_text_figures,
)
from painsim.evidence.report import json_safe

if TYPE_CHECKING:  # pragma: no cover
    from painsim.evidence.certainty import CertaintySummary
    from painsim.evidence.diagnostics import (
        LeaveOneOutResult,
        RegTestResult,
        SubgroupResult,
        TrimFillResult,
    )
    from painsim.evidence.effect_sizes import EffectSizes
    from painsim.evidence.rma import RMAResult

app = typer.Typer()


def _run(
    file: str,
    measure: str,
    method: str,
    test: str,
    as_json: bool,
    forest: str | None,
    funnel: str | None,
    level: float,
    subgroup: str | None,
    leave1out: bool,
    trimfill: bool,
    mods: str | None = None,
) -> None:
    from painsim.app import meta_analyse, meta_options, read_meta_table

    options = meta_options(measure, method, test, level)
    forest_path = check_png_target(forest, "--forest") if forest else None
    funnel_path = check_png_target(funnel, "--funnel") if funnel else None
    mod_names = [m.strip() for m in mods.split(",") if m.strip()] if mods else []
    if mods is not None and not mod_names:
        raise BadInputError("--mods needs one or more column names, e.g. --mods year,dose")
    if mod_names:
        used = {"--forest": forest, "--funnel": funnel, "--subgroup": subgroup, "--leave1out": leave1out,
                "--trimfill": trimfill}
        clash = [option for option, value in used.items() if value]
        if clash:
            raise BadInputError(f"{', '.join(clash)} cannot be combined with --mods")
    analysis = meta_analyse(read_meta_table(file), options.measure, options.method, options.test, options.level,
                            mods=mod_names, subgroup=subgroup, leave1out=leave1out,
                            trimfill=trimfill or funnel_path is not None, forest=forest_path is not None)
    fit, tf = analysis.fit, analysis.trimfill
    if forest_path is not None or funnel_path is not None:
        import matplotlib.pyplot as plt

        from painsim.evidence.plots import forest_plot, funnel_plot

        try:
            with plain_text_figures():
                if forest_path is not None:
                    plt.close(forest_plot(fit, forest_path))
                if funnel_path is not None:
                    plt.close(funnel_plot(tf.fit, funnel_path, fill=tf.fill) if tf is not None and tf.k0 > 0
                              else funnel_plot(fit, funnel_path))
        except (OSError, ValueError) as exc:
            raise BadInputError(f"cannot write plot: {exc}") from None

    if as_json:
        out = fit.to_dict()
        out["studies"] = analysis.studies()
        out.update(analysis.certainty_json())
        if analysis.subgroups is not None:
            out["subgroups"] = analysis.subgroups.to_dict()
        if analysis.leave1out is not None:
            out["leave1out"] = analysis.leave1out.to_records()
        if trimfill:
            out["trimfill"] = tf.to_dict() if tf is not None else None
        typer.echo(json.dumps(json_safe(out), indent=2, allow_nan=False))
        return
    _print_rich(fit, analysis.effects, analysis.egger, analysis.certainty, analysis.subgroups, analysis.leave1out,
                tf if trimfill else None, forest_path, funnel_path)



def _print_rich(
    fit: RMAResult,
    es: EffectSizes,
    egger: RegTestResult | None,
    cert: CertaintySummary | None,
    sub: SubgroupResult | None,
    l1o: LeaveOneOutResult | None,
    tf: TrimFillResult | None,
    forest_path: Path | None,
    funnel_path: Path | None,
) -> None:
    import numpy as np
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from painsim.evidence.effect_sizes import LOG_MEASURES
    from painsim.evidence.report import fmt_p, rich_summary

    console = Console()
    ratio = fit.measure in LOG_MEASURES
    crit = 1.959963984540054 if fit.level == 95 else None
    if crit is None:
        from scipy import stats

        crit = float(stats.norm.isf((1 - fit.level / 100) / 2))
    tab = Table(
        title=f"Studies ({fit.measure}{', exp scale' if ratio else ''})", header_style="bold"
    )
    for col, just in (
        ("study", "left"),
        ("estimate", "right"),
        (f"{fit.level:g}% CI", "right"),
        ("weight", "right"),
    ):
        tab.add_column(col, justify=just)
    for lab, y, v, w in zip(es.labels, es.yi, es.vi, fit.weights, strict=True):
        lo, hi = y - crit * np.sqrt(v), y + crit * np.sqrt(v)
        if ratio:
            y, lo, hi = np.exp(y), np.exp(lo), np.exp(hi)
        tab.add_row(escape(lab), f"{y:.3f}", f"[{lo:.3f}, {hi:.3f}]", f"{w:.1f}%")
    console.print(tab)
    console.print(rich_summary(fit))
    if egger is not None:
        stat = "t" if fit.test == "knha" else "z"
        console.print(
            f"Egger's regression test for funnel plot asymmetry: {stat} = {egger.zval:.4f}, "
            f"p = {fmt_p(egger.pval)}" + (f" (df = {egger.dfs})" if egger.dfs is not None else "")
        )
    if sub is not None:
        st = Table(title="Subgroups", header_style="bold")
        for col in ("group", "k", "estimate", "CI", "tau^2", "I^2"):
            st.add_column(col, justify="left" if col == "group" else "right")
        for g, f in zip(sub.groups, sub.fits, strict=True):
            st.add_row(
                escape(g),
                str(f.k),
                f"{f.estimate:.4f}",
                f"[{f.ci_lb[0]:.4f}, {f.ci_ub[0]:.4f}]",
                f"{f.tau2:.4f}",
                f"{f.i2:.1f}%",
            )
        console.print(st)
        console.print(
            f"Test for subgroup differences (separate tau^2): Q = {sub.q_between:.4f}, "
            f"df = {sub.q_between_df}, p = {fmt_p(sub.q_between_p)}"
        )
        if sub.mixed is not None:
            console.print(
                f"Mixed-effects moderator test (common tau^2): QM = {sub.mixed.qm:.4f}, "
                f"p = {fmt_p(sub.mixed.qm_p)}"
            )
    if l1o is not None:
        lt = Table(title="Leave-one-out", header_style="bold")
        for col in ("omitted", "estimate", "CI", "tau^2", "I^2"):
            lt.add_column(col, justify="left" if col == "omitted" else "right")
        for r in l1o.to_records():
            if r["estimate"] is None:
                lt.add_row(escape(r["study"]), "NA", "", "", "")
                continue
            lt.add_row(
                escape(r["study"]),
                f"{r['estimate']:.4f}",
                f"[{r['ci_lb']:.4f}, {r['ci_ub']:.4f}]",
                f"{r['tau2']:.4f}",
                f"{r['i2']:.1f}%",
            )
        console.print(lt)
    if tf is not None:
        console.print(
            f"Trim-and-fill (L0): estimated {tf.k0} missing stud{'y' if tf.k0 == 1 else 'ies'} "
            f"on the {tf.side} side; adjusted estimate {tf.fit.estimate:.4f} "
            f"[{tf.fit.ci_lb[0]:.4f}, {tf.fit.ci_ub[0]:.4f}]"
        )
    if cert is not None:
        for line in cert.lines():
            console.print(line, highlight=False)
    for p, what in ((forest_path, "forest"), (funnel_path, "funnel")):
        if p is not None:
            console.print(f"Wrote {what} plot to {escape(str(p))}")


@app.command("meta")
def meta(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE.csv", help="CSV file, one row per study (metafor column names)."
        ),
    ],
    measure: Annotated[
        str,
        typer.Option(
            "--measure", "-m", metavar=choices_metavar("effect_size_measures"), help="Effect-size measure."
        ),
    ] = "GEN",
    method: Annotated[
        str,
        typer.Option(
            "--method", metavar=choices_metavar("tau2_methods"), help="tau^2 estimator (FE: none)."
        ),
    ] = "REML",
    test: Annotated[
        str,
        typer.Option(
            "--test", metavar=choices_metavar("tests"), help=f"Inference: {described('tests')}."
        ),
    ] = "z",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    forest: Annotated[
        str | None, typer.Option("--forest", metavar="PNG", help="Write a forest plot.")
    ] = None,
    funnel: Annotated[
        str | None, typer.Option("--funnel", metavar="PNG", help="Write a funnel plot.")
    ] = None,
    level: Annotated[float, typer.Option("--level", help="Confidence level in percent.")] = 95.0,
    subgroup: Annotated[
        str | None,
        typer.Option("--subgroup", metavar="COLUMN", help="Subgroup analysis by this column."),
    ] = None,
    leave1out: Annotated[
        bool, typer.Option("--leave1out", help="Add a leave-one-out analysis.")
    ] = False,
    trimfill: Annotated[
        bool, typer.Option("--trimfill", help="Add Duval & Tweedie's trim-and-fill.")
    ] = False,
    mods: Annotated[
        str | None,
        typer.Option(
            "--mods",
            metavar="COL[,COL...]",
            help="Meta-regression on these numeric columns (an intercept is added).",
        ),
    ] = None,
) -> None:
    """Meta-analysis of FILE.csv, numerically equal to R's metafor::rma().

    Columns (as in metafor): yi, vi (GEN); m1i, sd1i, n1i, m2i, sd2i, n2i (SMD, MD);
    ai, bi, ci, di (RR, OR, RD); optional study labels in 'study'.
    Estimates are on the analysis scale (log scale for RR and OR).
    """
    try:
        _run(
            file,
            measure,
            method,
            test,
            as_json,
            forest,
            funnel,
            level,
            subgroup,
            leave1out,
            trimfill,
            mods,
        )
    except BadInputError as exc:
        typer.echo(f"painsim meta: error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
