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

Which visit each trial contributes: by default its own primary comparison's outcome and
week (``VirtualTrial.outcome`` / ``.week``, else the spec's primary); ``week=`` takes every
trial at one week; :func:`window_week` picks a trial's visit in a follow-up window of
:data:`WINDOWS` (the back-pain review convention, docs/trials.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from painsim.evidence import EffectSizes, RMAResult, escalc, rma
from painsim.trials.analysis import TrialResult, analyse
from painsim.trials.run import run_trial
from painsim.trials.spec import OUTCOMES, TrialSpec

MEASURES: tuple[str, ...] = ("SMD", "MD", "ADJ")

SHORT_TERM_LAST_WEEK = 13
"""Short-term follow-up ends at 3 months (week 13)."""
LONG_TERM_FIRST_WEEK = 26
"""Long-term follow-up starts at 6 months (week 26)."""
LONG_TERM_TARGET_WEEK = 52
"""In the long-term window a trial contributes the visit nearest 12 months."""
WINDOWS: dict[str, str] = {
    "short": f"end of care to 3 months: the first visit on or after the last day of care, by week "
             f"{SHORT_TERM_LAST_WEEK}",
    "long": f"6 months or later: of the visits at week {LONG_TERM_FIRST_WEEK} or later, the one nearest week "
            f"{LONG_TERM_TARGET_WEEK} (the later on a tie)",
}
"""The follow-up windows of ``painsim trial pool --window``, each with its visit rule."""


@dataclass(frozen=True)
class VirtualTrial:
    """One trial of a pooled set: a spec, the arm and comparator to compare, a label and
    optionally a seed (default: the spec's)."""

    spec: TrialSpec
    arm: str
    comparator: str
    label: str = ""
    seed: int | None = None
    outcome: str | None = None
    week: int | None = None

    def __post_init__(self) -> None:
        name = repr(self.label or self.spec.name)
        for role, arm in (("arm", self.arm), ("comparator", self.comparator)):
            if arm not in self.spec.arms:
                raise ValueError(f"trial {name}: unknown {role} {arm!r}; arms: {', '.join(self.spec.arms)}")
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"trial {name}: unknown outcome {self.outcome!r}; outcomes: {', '.join(OUTCOMES)}")
        if self.week is not None and self.week not in self.spec.visits.weeks:
            raise ValueError(f"trial {name}: no visit at week {self.week} "
                             f"(visits: {', '.join(map(str, self.spec.visits.weeks))})")

    @classmethod
    def primary(cls, spec: TrialSpec, label: str = "", seed: int | None = None) -> VirtualTrial:
        """The spec's primary comparison: its arm and comparator, outcome and week."""
        outcome, week, arm, comparator = spec.primary()
        return cls(spec, arm, comparator, label=label, seed=seed, outcome=outcome, week=week)

    def own_outcome(self) -> str:
        """The outcome this trial contributes unless one is chosen for all: its own, else the spec's primary."""
        return self.outcome or self.spec.primary()[0]

    def own_week(self) -> int:
        """The visit week this trial contributes unless one is chosen for all: its own, else the spec's primary."""
        return self.week if self.week is not None else self.spec.primary()[1]


def end_of_care_day(trial: VirtualTrial) -> int:
    """The last day of care in the trial's arm or comparator (days from randomisation): the
    last session, or the end of a course (e.g. sleep and stress care); 0 without care."""
    last = 0
    for name in (trial.arm, trial.comparator):
        for treatment in trial.spec.arms[name].plan().treatments():
            days = treatment.session_days()
            if days.size:
                last = max(last, int(days.max()))
            start, end, _ = treatment.course_window()
            if end > start:
                last = max(last, int(np.ceil(end)))
    return last


def window_week(trial: VirtualTrial, window: str) -> int | None:
    """The visit week ``trial`` contributes in the follow-up ``window`` (a key of :data:`WINDOWS`),
    or None when it has no visit there."""
    weeks = trial.spec.visits.weeks
    if window == "short":
        care_ends = end_of_care_day(trial)
        inside = [w for w in weeks if 7 * w >= care_ends and w <= SHORT_TERM_LAST_WEEK]
        return min(inside, default=None)
    if window == "long":
        inside = [w for w in weeks if w >= LONG_TERM_FIRST_WEEK]
        return min(inside, key=lambda w: (abs(w - LONG_TERM_TARGET_WEEK), -w), default=None)
    raise ValueError(f"unknown follow-up window {window!r}; windows: {', '.join(WINDOWS)}")


@dataclass(frozen=True)
class PooledTrials:
    """The per-trial data (``table``), their effect sizes and the meta-analysis."""

    table: pd.DataFrame
    effects: EffectSizes
    fit: RMAResult
    results: tuple[TrialResult, ...]


def pool_trials(trials: Sequence[VirtualTrial], outcome: str | None = None, week: int | None = None,
                measure: str = "SMD", method: str = "REML", test: str = "z",
                progress: Callable[[int, int], None] | None = None) -> PooledTrials:
    """Run every trial, take an outcome at a visit (arm vs comparator) from each and pool them.

    Each trial contributes its own outcome and week (:meth:`VirtualTrial.own_outcome`,
    :meth:`VirtualTrial.own_week`: its primary comparison) unless ``outcome`` or ``week``
    chooses one for all; the ``table`` has a row per trial with the ``outcome`` and ``week``
    it contributed. Different outcomes pool only as SMDs. ``measure``: ``"SMD"`` (Hedges' g)
    or ``"MD"`` from each trial's observed means, SDs and numbers at the visit (what a
    reviewer extracts from a paper), or ``"ADJ"``: each trial's own adjusted difference
    (ANCOVA, its missing-data method) with its standard error, pooled by generic inverse
    variance. ``method`` and ``test`` are those of :func:`painsim.evidence.rma`.
    """
    measure = measure.upper()
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; allowed: {', '.join(MEASURES)}")
    if len(trials) < 2:
        raise ValueError(f"pooling needs at least 2 trials, got {len(trials)}")
    chosen = [(outcome or trial.own_outcome(), week if week is not None else trial.own_week()) for trial in trials]
    _check_comparable(trials, chosen, measure)
    rows, results = [], []
    for k, (trial, (its_outcome, its_week)) in enumerate(zip(trials, chosen, strict=True)):
        if its_week not in trial.spec.visits.weeks:
            raise ValueError(f"trial {trial.label or k + 1}: no visit at week {its_week} "
                             f"(visits: {', '.join(map(str, trial.spec.visits.weeks))})")
        if progress is not None:
            progress(k, len(trials))
        result = analyse(run_trial(trial.spec, seed=trial.seed), pairs=[(trial.arm, trial.comparator)],
                         outcomes=(its_outcome,), weeks=(its_week,), responders=False)
        results.append(result)
        rows.append({"study": trial.label or f"trial {k + 1}", "outcome": its_outcome, "week": its_week,
                     **_extract(result, trial, its_outcome, its_week)})
    if progress is not None:
        progress(len(trials), len(trials))
    table = pd.DataFrame(rows)
    if measure == "ADJ":
        effects = escalc("GEN", {"yi": table["md"], "vi": table["md_se"] ** 2}, labels=table["study"])
    else:
        effects = escalc(measure, table[["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]], labels=table["study"])
    fit = rma(effects, method=method, test=test)
    return PooledTrials(table=table, effects=effects, fit=fit, results=tuple(results))


def _check_comparable(trials: Sequence[VirtualTrial], chosen: list[tuple[str, int]], measure: str) -> None:
    """Differences on different scales (RMDQ 0-24, pain 0-10) pool only when standardised."""
    outcomes = {its_outcome for its_outcome, _ in chosen}
    if len(outcomes) > 1 and measure != "SMD":
        which = ", ".join(f"{t.label or k + 1}: {o}" for k, (t, (o, _)) in enumerate(zip(trials, chosen, strict=True)))
        raise ValueError(f"the trials' outcomes differ ({which}): {measure} needs one scale; pool them as SMD "
                         "or choose one outcome for all")


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
