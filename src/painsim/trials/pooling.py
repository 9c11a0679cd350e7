"""Pooling virtual trials: run several trials and meta-analyse one comparison across them.

Real reviews of massage for low-back pain pool trials that differ in who was eligible,
what the comparator was and what else participants received; the pooled estimate then
carries between-trial heterogeneity. Running the same question through differently
designed virtual trials shows where that heterogeneity comes from, because here every
difference between the trials is known.

>>> from painsim.trials import VirtualTrial, load_trial, pool_trials   # doctest: +SKIP
>>> spec = load_trial("examples/trials/cherkin2011.toml")                # doctest: +SKIP
>>> trials = [VirtualTrial(spec, "relaxation", "usual_care", label="Cherkin-like"),
...           VirtualTrial(spec, "structural", "usual_care", label="structural")]  # doctest: +SKIP
>>> pooled = pool_trials(trials, outcome="rmdq", week=10)                # doctest: +SKIP
>>> pooled.fit.i2                                                        # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from painsim.evidence import EffectSizes, RMAResult, escalc, rma
from painsim.trials.analysis import TrialResult, analyse
from painsim.trials.run import run_trial
from painsim.trials.spec import TrialSpec

MEASURES: tuple[str, ...] = ("SMD", "MD", "ADJ")


@dataclass(frozen=True)
class VirtualTrial:
    """One trial of a pooled set: a spec, the arm and comparator to compare, a label and
    optionally a seed (default: the spec's)."""

    spec: TrialSpec
    arm: str
    comparator: str
    label: str = ""
    seed: int | None = None

    def __post_init__(self) -> None:
        for role, name in (("arm", self.arm), ("comparator", self.comparator)):
            if name not in self.spec.arms:
                raise ValueError(f"trial {self.label or self.spec.name!r}: unknown {role} {name!r}; "
                                 f"arms: {', '.join(self.spec.arms)}")


@dataclass(frozen=True)
class PooledTrials:
    """The per-trial data (``table``), their effect sizes and the meta-analysis."""

    table: pd.DataFrame
    effects: EffectSizes
    fit: RMAResult
    results: tuple[TrialResult, ...]


def pool_trials(trials: Sequence[VirtualTrial], outcome: str = "rmdq", week: int = 10, measure: str = "SMD",
                method: str = "REML", test: str = "z",
                progress: Callable[[int, int], None] | None = None) -> PooledTrials:
    """Run every trial, take ``outcome`` at visit ``week`` (arm vs comparator) and pool them.

    ``measure``: ``"SMD"`` (Hedges' g) or ``"MD"`` from each trial's observed means, SDs and
    numbers at the visit (what a reviewer extracts from a paper), or ``"ADJ"``: each trial's
    own adjusted difference (ANCOVA, its missing-data method) with its standard error,
    pooled by generic inverse variance. ``method`` and ``test`` are those of
    :func:`painsim.evidence.rma`.
    """
    measure = measure.upper()
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; allowed: {', '.join(MEASURES)}")
    if len(trials) < 2:
        raise ValueError(f"pooling needs at least 2 trials, got {len(trials)}")
    rows, results = [], []
    for k, trial in enumerate(trials):
        if week not in trial.spec.visits.weeks:
            raise ValueError(f"trial {trial.label or k + 1}: no visit at week {week} "
                             f"(visits: {', '.join(map(str, trial.spec.visits.weeks))})")
        if progress is not None:
            progress(k, len(trials))
        result = analyse(run_trial(trial.spec, seed=trial.seed), pairs=[(trial.arm, trial.comparator)],
                         outcomes=(outcome,), weeks=(week,), responders=False)
        results.append(result)
        rows.append({"study": trial.label or f"trial {k + 1}", **_extract(result, trial, outcome, week)})
    if progress is not None:
        progress(len(trials), len(trials))
    table = pd.DataFrame(rows)
    if measure == "ADJ":
        effects = escalc("GEN", {"yi": table["md"], "vi": table["md_se"] ** 2}, labels=table["study"])
    else:
        effects = escalc(measure, table[["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]], labels=table["study"])
    fit = rma(effects, method=method, test=test)
    return PooledTrials(table=table, effects=effects, fit=fit, results=tuple(results))


def _extract(result: TrialResult, trial: VirtualTrial, outcome: str, week: int) -> dict[str, float]:
    """Observed means, SDs and numbers at the visit, and the trial's adjusted difference."""
    data = result.data
    observed = data.observed(outcome, week)
    out: dict[str, float] = {}
    for suffix, name in (("1i", trial.arm), ("2i", trial.comparator)):
        values = observed[data.frame["arm"] == name].dropna().to_numpy(dtype=float)
        out[f"m{suffix}"], out[f"sd{suffix}"], out[f"n{suffix}"] = float(np.mean(values)), \
            float(np.std(values, ddof=1)), int(values.size)
    comp = result.comparisons
    row = comp[(comp.outcome == outcome) & (comp.week == week) & (comp.arm == trial.arm)
               & (comp.comparator == trial.comparator)].iloc[0]
    out.update(md=float(row.md), md_se=float(row.se), ci_lb=float(row.ci_lb), ci_ub=float(row.ci_ub))
    return out
