"""``painsim meta``: meta-analysis of a CSV file (numerically equal to metafor)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from painsim.cli.app import app
from painsim.cli.common import EXIT_BAD_INPUT, BadInputError, check_png_target, choice, plain_text_figures
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

_MEASURES = ("GEN", "SMD", "MD", "RR", "OR", "RD")
_METHODS = ("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")
_TESTS = ("z", "knha")


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
    from painsim.evidence.certainty import assess_certainty
    from painsim.evidence.diagnostics import leave1out as do_leave1out
    from painsim.evidence.diagnostics import regtest, subgroup_analysis
    from painsim.evidence.diagnostics import trimfill as do_trimfill
    from painsim.evidence.heterogeneity import ConvergenceError
    from painsim.evidence.io import (
        MAX_FOREST_STUDIES,
        InputError,
        effect_sizes_from_frame,
        numeric_column,
        read_table,
    )
    from painsim.evidence.rma import rma

    measure = choice(measure, _MEASURES, "--measure")
    method = choice(method, _METHODS, "--method")
    test = choice(test, _TESTS, "--test")
    if not 50.0 <= level < 100.0:
        raise BadInputError(f"--level must be in [50, 100) (got {level:g})")
    forest_path = check_png_target(forest, "--forest") if forest else None
    funnel_path = check_png_target(funnel, "--funnel") if funnel else None
    mod_names = [m.strip() for m in mods.split(",") if m.strip()] if mods else []
    if mods is not None and not mod_names:
        raise BadInputError("--mods needs one or more column names, e.g. --mods year,dose")
    if mod_names:
        clash = [
            opt
            for opt, used in (
                ("--forest", forest),
                ("--funnel", funnel),
                ("--subgroup", subgroup),
                ("--leave1out", leave1out),
                ("--trimfill", trimfill),
            )
            if used
        ]
        if clash:
            raise BadInputError(f"{', '.join(clash)} cannot be combined with --mods")
    try:
        df = read_table(file)
        es = effect_sizes_from_frame(df, measure, min_k=2)
        if forest_path is not None and es.k > MAX_FOREST_STUDIES:
            raise InputError(f"--forest: {es.k:,} studies are more than a forest plot draws "
                             f"({MAX_FOREST_STUDIES:,}); leave out --forest")
        missing = [m for m in mod_names if m not in df.columns]
        if missing:
            raise InputError(
                f"--mods column(s) {', '.join(missing)} not found; columns are "
                f"{', '.join(df.columns)}"
            )
        mod_values = {m: numeric_column(df, m) for m in mod_names}
        if subgroup is not None and subgroup not in df.columns:
            raise InputError(
                f"--subgroup column {subgroup!r} not found; columns are {', '.join(df.columns)}"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = rma(es, method=method, test=test, level=level, mods=mod_values or None)
            egger = None
            if fit.k >= 3 and fit.int_only:
                try:
                    egger = regtest(fit)
                except (ValueError, ConvergenceError):  # e.g. all standard errors equal
                    egger = None
            cert = (
                assess_certainty(fit, egger.pval if egger is not None else None)
                if fit.int_only
                else None
            )
            sub = None
            if subgroup is not None:
                groups = [str(g).strip() for g in df[subgroup].tolist()]
                sub = subgroup_analysis(
                    es.yi,
                    es.vi,
                    groups,
                    method=method,
                    test=test,
                    level=level,
                    measure=measure,
                    labels=list(es.labels),
                )
            l1o = do_leave1out(fit) if leave1out else None
            tf = None
            if (trimfill or funnel_path is not None) and fit.k >= 3:
                try:
                    tf = do_trimfill(fit)
                except (ValueError, RuntimeError):
                    tf = None
    except InputError as exc:
        raise BadInputError(str(exc)) from None
    except (ValueError, ConvergenceError) as exc:
        raise BadInputError(f"cannot fit the model: {exc}") from None
    except (ArithmeticError, FloatingPointError) as exc:  # e.g. a division by zero deep in an estimator
        raise BadInputError(f"cannot fit the model: the numbers are too large or too far apart to compute with "
                            f"({type(exc).__name__}: {exc}); see the input limits in docs/evidence.md") from None

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
        out["studies"] = [
            {"study": lab, "yi": float(y), "vi": float(v), "weight": float(w)}
            for lab, y, v, w in zip(es.labels, es.yi, es.vi, fit.weights, strict=True)
        ]
        out["egger"] = egger.to_dict() if egger is not None else None
        out["certainty"] = cert.to_dict() if cert is not None else None
        if sub is not None:
            out["subgroups"] = sub.to_dict()
        if l1o is not None:
            out["leave1out"] = l1o.to_records()
        if trimfill:
            out["trimfill"] = tf.to_dict() if tf is not None else None
        typer.echo(json.dumps(json_safe(out), indent=2, allow_nan=False))
        return
    _print_rich(fit, es, egger, cert, sub, l1o, tf if trimfill else None, forest_path, funnel_path)


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
            "--measure", "-m", metavar="{GEN,SMD,MD,RR,OR,RD}", help="Effect-size measure."
        ),
    ] = "GEN",
    method: Annotated[
        str,
        typer.Option(
            "--method", metavar="{FE,DL,HE,SJ,ML,REML,EB,PM}", help="tau^2 estimator (FE: none)."
        ),
    ] = "REML",
    test: Annotated[
        str,
        typer.Option(
            "--test", metavar="{z,knha}", help="Inference: z (normal) or knha (Hartung-Knapp)."
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
