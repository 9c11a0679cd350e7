"""Run and analyse a virtual trial, and a power curve: written once for the CLI and the web app."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from painsim.app.errors import AppInputError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from painsim.sweeps import ResultsFolder
    from painsim.trials import TrialResult, TrialSpec

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
