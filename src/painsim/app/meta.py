"""Meta-analyse a table of studies: read, effect sizes, the random-effects model and its
diagnostics, written once for ``painsim meta``, the web app's Evidence page and pooling."""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from painsim.app.choices import check_choice
from painsim.app.errors import AppInputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from painsim.evidence.certainty import CertaintySummary
    from painsim.evidence.diagnostics import LeaveOneOutResult, RegTestResult, SubgroupResult, TrimFillResult
    from painsim.evidence.effect_sizes import EffectSizes
    from painsim.evidence.rma import RMAResult


class MetaInputError(AppInputError):
    """A table or option the meta-analysis cannot use; the message says why."""


@dataclass(frozen=True)
class MetaOptions:
    """The checked options of a meta-analysis, in their declared spelling."""

    measure: str
    method: str
    test: str
    level: float


@dataclass
class MetaAnalysis:
    """A fitted meta-analysis and the diagnostics asked for (None when not asked or not
    computable, e.g. Egger's test with fewer than 3 studies)."""

    effects: EffectSizes
    fit: RMAResult
    egger: RegTestResult | None = None
    certainty: CertaintySummary | None = None
    subgroups: SubgroupResult | None = None
    leave1out: LeaveOneOutResult | None = None
    trimfill: TrimFillResult | None = None

    def certainty_json(self) -> dict[str, Any]:
        """Egger's test and the certainty hints as plain JSON (``painsim meta --json`` and
        ``painsim trial pool --json``): ``{"egger": ..., "certainty": ...}``, None where absent."""
        return {"egger": self.egger.to_dict() if self.egger is not None else None,
                "certainty": self.certainty.to_dict() if self.certainty is not None else None}

    def studies(self) -> list[dict[str, Any]]:
        """One record per study: label, effect ``yi``, variance ``vi`` and weight (%)."""
        es = self.effects
        return [{"study": lab, "yi": float(y), "vi": float(v), "weight": float(w)}
                for lab, y, v, w in zip(es.labels, es.yi, es.vi, self.fit.weights, strict=True)]


def meta_options(measure: str = "GEN", method: str = "REML", test: str = "z", level: float = 95.0) -> MetaOptions:
    """Check the options against their declared lists (case-insensitively) and the level
    against [50, 100); raise :class:`painsim.app.ChoiceError` / :class:`MetaInputError`."""
    options = MetaOptions(check_choice("effect_size_measures", measure, "--measure"),
                          check_choice("tau2_methods", method, "--method"),
                          check_choice("tests", test, "--test"), level)
    if not 50.0 <= level < 100.0:
        raise MetaInputError(f"--level must be in [50, 100) (got {level:g})")
    return options


def read_meta_table(source: str | Path | bytes, *, max_bytes: int | None = None, max_studies: int | None = None,
                    name: str = "upload.csv") -> pd.DataFrame:
    """The table of studies in the CSV file ``source`` (a path, or the bytes of an upload
    called ``name`` in messages); at most ``max_bytes`` and ``max_studies`` rows when given.
    Raise :class:`MetaInputError`."""
    from painsim.evidence.io import InputError, read_table

    if not isinstance(source, bytes):
        try:
            return _at_most(read_table(source), max_studies)
        except InputError as err:
            raise MetaInputError(str(err)) from None
    if max_bytes is not None and len(source) > max_bytes:
        raise MetaInputError(f"the file is {len(source):,} bytes; at most {max_bytes:,} are accepted")
    try:
        text = source.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MetaInputError("the file is not UTF-8 text; upload a CSV file") from None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        try:
            return _at_most(read_table(path), max_studies)
        except InputError as err:
            raise MetaInputError(str(err).replace(str(path), name)) from None


def _at_most(table: pd.DataFrame, max_studies: int | None) -> pd.DataFrame:
    from painsim.evidence.io import InputError

    if max_studies is not None and len(table) > max_studies:
        raise InputError(f"{len(table)} rows; at most {max_studies} studies are accepted")
    return table


def meta_analyse(table: pd.DataFrame, measure: str = "GEN", method: str = "REML", test: str = "z",
                 level: float = 95.0, *, mods: Sequence[str] = (), subgroup: str | None = None,
                 leave1out: bool = False, trimfill: bool = False, forest: bool = False) -> MetaAnalysis:
    """Fit the meta-analysis (numerically equal to metafor's ``rma``) of ``table``.

    Egger's test and the certainty hints come with every intercept-only model of 3+ studies;
    ``mods`` are numeric columns of a meta-regression; ``subgroup`` a column to split by;
    ``trimfill`` adds Duval & Tweedie's trim-and-fill; ``forest`` checks that a forest plot
    can draw the studies. Raise :class:`MetaInputError` (bad table, column or option, or a
    model that cannot be fitted)."""
    from painsim.evidence.heterogeneity import ConvergenceError
    from painsim.evidence.io import InputError

    options = meta_options(measure, method, test, level)
    try:
        return _analyse(table, options, list(mods), subgroup, leave1out, trimfill, forest)
    except InputError as exc:
        raise MetaInputError(str(exc)) from None
    except (ValueError, ConvergenceError) as exc:
        raise MetaInputError(f"cannot fit the model: {exc}") from None
    except (ArithmeticError, FloatingPointError) as exc:  # e.g. a division by zero deep in an estimator
        raise MetaInputError(f"cannot fit the model: the numbers are too large or too far apart to compute with "
                             f"({type(exc).__name__}: {exc}); see the input limits in docs/evidence.md") from None


def with_certainty(effects: EffectSizes, fit: RMAResult) -> MetaAnalysis:
    """``fit`` of ``effects`` with Egger's test (an intercept-only model of 3+ studies) and the
    GRADE-style certainty hints (any intercept-only model): what every meta-analysis of
    painsim reports (``painsim meta``, the Evidence page, ``painsim trial pool``)."""
    from painsim.evidence.certainty import assess_certainty

    out = MetaAnalysis(effects, fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fit.k >= 3 and fit.int_only:
            out.egger = _diagnostic("regtest", fit)
        if fit.int_only:
            out.certainty = assess_certainty(fit, out.egger.pval if out.egger is not None else None)
    return out


def _analyse(df: pd.DataFrame, options: MetaOptions, mods: list[str], subgroup: str | None, leave1out: bool,
             trimfill: bool, forest: bool) -> MetaAnalysis:
    from painsim.evidence.diagnostics import leave1out as do_leave1out
    from painsim.evidence.diagnostics import subgroup_analysis
    from painsim.evidence.io import MAX_FOREST_STUDIES, InputError, effect_sizes_from_frame, numeric_column
    from painsim.evidence.rma import rma

    measure, method, test, level = options.measure, options.method, options.test, options.level
    es = effect_sizes_from_frame(df, measure, min_k=2)
    if forest and es.k > MAX_FOREST_STUDIES:
        raise InputError(f"--forest: {es.k:,} studies are more than a forest plot draws "
                         f"({MAX_FOREST_STUDIES:,}); leave out --forest")
    missing = [m for m in mods if m not in df.columns]
    if missing:
        raise InputError(f"--mods column(s) {', '.join(missing)} not found; columns are {', '.join(df.columns)}")
    mod_values = {m: numeric_column(df, m) for m in mods}
    if subgroup is not None and subgroup not in df.columns:
        raise InputError(f"--subgroup column {subgroup!r} not found; columns are {', '.join(df.columns)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = rma(es, method=method, test=test, level=level, mods=mod_values or None)
        out = with_certainty(es, fit)
        if subgroup is not None:
            groups = [str(g).strip() for g in df[subgroup].tolist()]
            out.subgroups = subgroup_analysis(es.yi, es.vi, groups, method=method, test=test, level=level,
                                              measure=measure, labels=list(es.labels))
        out.leave1out = do_leave1out(fit) if leave1out else None
        if trimfill and fit.k >= 3:
            out.trimfill = _diagnostic("trimfill", fit)
    return out


def _diagnostic(name: str, fit: RMAResult) -> Any:
    """Egger's test or trim-and-fill of ``fit``; None where it cannot be computed (e.g. all
    standard errors equal)."""
    from painsim.evidence import diagnostics
    from painsim.evidence.heterogeneity import ConvergenceError

    try:
        return getattr(diagnostics, name)(fit)
    except (ValueError, RuntimeError, ConvergenceError, ArithmeticError):
        return None
