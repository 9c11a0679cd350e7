"""Run and analyse a virtual trial, a power curve, and pool virtual trials: written once for the CLI and the web app."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from painsim.app.errors import AppInputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from painsim.app.meta import MetaAnalysis
    from painsim.sweeps import ResultsFolder
    from painsim.trials import TrialResult, TrialSpec
    from painsim.trials.pooling import PooledTrials, VirtualTrial

StageProgress = Callable[[str, int, int], None]
Progress = Callable[[int, int], None]
Cancel = Callable[[], None]


def check_missing_method(method: str | None, option: str = "--method") -> str | None:
    """``method`` when it is None or one of the declared missing-data methods; AppInputError otherwise."""
    from painsim.trials.spec import MISSING

    if method is not None and method not in MISSING:
        raise AppInputError(f"{option} must be one of {', '.join(MISSING)}; got {method!r}")
    return method


def run_and_analyse_trial(spec: TrialSpec, *, seed: int | None = None, method: str | None = None, n_jobs: int = 1,
                          progress: StageProgress | None = None, cancel: Cancel | None = None) -> TrialResult:
    """Screen, randomise, simulate each arm, follow up and analyse (ITT) the trial ``spec``.

    ``method``: the missing-data handling (default: the spec's); ``cancel()`` is called
    between simulating and analysing. Raise AppInputError (method) or ScreeningError."""
    from painsim.trials import analyse, run_trial

    check_missing_method(method)
    data = run_trial(spec, seed=seed, progress=progress, n_jobs=n_jobs)
    if cancel is not None:
        cancel()
    return analyse(data, method=method)


@dataclass
class PowerCurve:
    """A power curve: one row per n per arm (``curve``) and one per virtual trial (``replicates``)."""

    spec: TrialSpec
    curve: pd.DataFrame
    replicates: pd.DataFrame
    seed: int
    method: str

    def to_json(self) -> dict[str, Any]:
        """The primary comparison, alpha, method, seed and the curve as plain JSON."""
        outcome, week, arm, comparator = self.spec.primary()
        return {"trial": self.spec.name, "outcome": outcome, "week": week, "arm": arm, "comparator": comparator,
                "alpha": self.spec.analysis.alpha, "method": self.method, "seed": self.seed,
                "curve": [{k: (int(v) if k in ("n", "reps", "rejections") else float(v)) for k, v in row.items()}
                          for row in self.curve.to_dict(orient="records")]}


def run_power_curve(spec: TrialSpec, ns: Sequence[int], *, reps: int | None = None, seed: int | None = None,
                    method: str | None = None, jobs: int = 1, client: Any = None,
                    results: ResultsFolder | None = None, progress: Progress | None = None) -> PowerCurve:
    """Power of the primary comparison at each ``n`` per arm by repeated virtual trials, as a
    resumable sweep (:func:`painsim.trials.power.power_curve`: where it runs, limits).

    Raise AppInputError (method), LimitError, SweepError or ScreeningError."""
    from painsim.trials.power import power_curve

    check_missing_method(method)
    curve, replicates = power_curve(spec, ns, reps=reps, seed=seed, jobs=jobs, method=method, client=client,
                                    results=results, progress=progress)
    return PowerCurve(spec, curve, replicates, spec.seed if seed is None else seed,
                      method or spec.power.missing or spec.analysis.missing)


@dataclass
class TrialPool:
    """Virtual trials pooled: the per-trial table and fit (``pooled``), the meta-analysis with
    its certainty hints (``analysis``, as ``painsim meta`` gives), the trials that took part
    with their sources, and why the others were left out (``skipped``)."""

    pooled: PooledTrials
    analysis: MetaAnalysis
    trials: list[VirtualTrial]
    sources: list[str]
    skipped: list[str]
    window: str | None = None

    @property
    def outcome(self) -> str | None:
        """The outcome every trial contributed, or None when they differ."""
        outcomes = set(self.pooled.table["outcome"])
        return outcomes.pop() if len(outcomes) == 1 else None

    @property
    def week(self) -> int | None:
        """The visit week every trial contributed, or None when they differ."""
        weeks = set(self.pooled.table["week"])
        return int(weeks.pop()) if len(weeks) == 1 else None

    def to_json(self) -> dict[str, Any]:
        """The fit, Egger's test and certainty (as ``painsim meta --json``), the window and one
        record per trial (source, arm, comparator, outcome, week, extracted numbers), JSON-safe."""
        from painsim.evidence.report import json_safe

        records = self.pooled.table.to_dict(orient="records")
        trials = [{"file": source, "arm": t.arm, "comparator": t.comparator, **row}
                  for source, t, row in zip(self.sources, self.trials, records, strict=True)]
        window = None if self.window is None else {"name": self.window, "definition": _window_definition(self.window)}
        return json_safe({"outcome": self.outcome, "week": self.week, "window": window, **self.pooled.fit.to_dict(),
                          **self.analysis.certainty_json(), "trials": trials, "skipped": self.skipped})


def _window_definition(window: str) -> str:
    from painsim.trials.pooling import WINDOWS

    return WINDOWS[window]


def pool_virtual_trials(specs: Sequence[tuple[str, TrialSpec]], *, outcome: str | None = None,
                        week: int | None = None, window: str | None = None, measure: str = "SMD",
                        method: str = "REML", test: str = "z", progress: Progress | None = None) -> TrialPool:
    """Run each trial spec (``(source, spec)``: a file name, say, and the spec) and meta-analyse
    its primary comparison (arm vs comparator).

    Each trial contributes its own primary outcome and week; ``outcome`` chooses one outcome
    for all; ``week`` one visit week for all (each trial must have it); ``window``
    (``"short"`` or ``"long"``, :data:`painsim.trials.pooling.WINDOWS`) the visit of each
    trial in that follow-up window, leaving out (``skipped``, with the reason) a trial with no
    visit there. Raise AppInputError: a choice outside its list, ``week`` with ``window``,
    fewer than two trials (left), a trial without the week, outcomes that cannot be pooled."""
    from painsim.app.choices import check_choice
    from painsim.app.meta import with_certainty
    from painsim.trials.pooling import VirtualTrial, pool_trials, window_week

    measure = check_choice("pooling_measures", measure, "--measure")
    method, test = check_choice("tau2_methods", method, "--method"), check_choice("tests", test, "--test")
    outcome = outcome and check_choice("outcomes", outcome, "--outcome")
    window = window and check_choice("follow_up_windows", window, "--window")
    if week is not None and window is not None:
        raise AppInputError("--week and --window cannot be combined: one visit week for all, or each trial's "
                            "visit in a follow-up window")
    if len(specs) < 2:
        raise AppInputError(f"pooling needs at least two trial specs, got {len(specs)}")
    trials, sources, skipped = [], [], []
    for source, spec in specs:
        trial = VirtualTrial.primary(spec, label=spec.title or Path(source).stem)
        if window is not None:
            in_window = window_week(trial, window)
            if in_window is None:
                weeks = ", ".join(map(str, spec.visits.weeks))
                skipped.append(f"{source}: no visit in the {window}-term window ({_window_definition(window)}); "
                               f"its visits: weeks {weeks}")
                continue
            trial = replace(trial, week=in_window)
        trials.append(trial)
        sources.append(source)
    if len(trials) < 2:
        left = "no trial" if not trials else "one trial"
        raise AppInputError(f"pooling needs at least two trials; {left} has a visit in the {window}-term window"
                            + "".join(f"\n  skipped {reason}" for reason in skipped))
    try:
        pooled = pool_trials(trials, outcome=outcome, week=week, measure=measure, method=method, test=test,
                             progress=progress)
    except ValueError as err:
        raise AppInputError(str(err)) from None
    return TrialPool(pooled, with_certainty(pooled.effects, pooled.fit), trials, sources, skipped, window)
