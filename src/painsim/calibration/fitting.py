"""Fit model and care parameters to calibration targets by Bayesian optimisation (Optuna TPE).

Trials are asked from the optimiser in batches; each batch is one sweep (painsim.sweeps)
run on Dask, its results kept in a resumable results folder, then told to the optimiser in
the order asked. With a seeded sampler the sequence of trials is deterministic, so a killed
calibration rerun with the same command asks the same parameters again and finds the
finished trials in the results folder.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from painsim.calibration import statistics
from painsim.calibration.targets import ScenarioSource, Target, TargetsFile, TrialSource, split_params
from painsim.scenario import RecordSpec, run_scenario
from painsim.sweeps import ResultsFolder, Sweep, run_sweep
from painsim.trials import TrialSpec, analyse, replicate_seed, run_trial

#: How ``painsim calibrate`` fits: one best set by Bayesian optimisation (this module) or a
#: posterior by ABC-SMC (painsim.calibration.abc_smc).
METHODS: tuple[str, ...] = ("optimise", "abc-smc")


def evaluate(values: dict[str, float], targets: TargetsFile, names: list[str] | None = None) -> dict[str, float]:
    """Simulate the scenarios the targets need with ``values`` and return each target's value."""
    chosen = [t for t in targets.targets if names is None or t.name in names]
    model, care = split_params(values)
    fit = targets.fit
    out: dict[str, float] = {}
    for trial_name in dict.fromkeys(t.source.trial for t in chosen if isinstance(t.source, TrialSource)):
        spec = _with_params(targets.trials[trial_name], model, care)
        of_trial = [t for t in chosen if isinstance(t.source, TrialSource) and t.source.trial == trial_name]
        out.update(_trial_targets(spec, of_trial))
    for scenario_name in dict.fromkeys(t.source.scenario for t in chosen if isinstance(t.source, ScenarioSource)):
        scenario = targets.scenarios[scenario_name]
        of_scenario = [t for t in chosen if isinstance(t.source, ScenarioSource) and t.source.scenario == scenario_name]
        needed = {a for t in of_scenario for a in (t.source.arm, t.source.contrast) if a is not None}
        daily = any(t.statistic.name in statistics.DIARY_STATISTICS for t in of_scenario)
        scenario = _with_params(scenario, model, care).model_copy(update={
            "record": RecordSpec(variables=("pain",), every=1 if daily else 7, patients=fit.n),
            "arms": {k: v for k, v in scenario.arms.items() if k in needed},
        })
        replicates: dict[str, list[float]] = {t.name: [] for t in of_scenario}
        for rep in range(max(t.source.reps for t in of_scenario)):
            result = run_scenario(scenario, n=fit.n, seed=fit.seed + rep)
            for target in of_scenario:
                if rep < target.source.reps:
                    replicates[target.name].append(_target_value(target, result.arms))
            del result  # one replicate cohort in memory at a time
        out.update({name: math.fsum(v) / len(v) for name, v in replicates.items()})
    return {t.name: out[t.name] for t in chosen}


def _with_params(holder: Any, model: dict[str, float], care: dict[str, float]) -> Any:
    """A scenario or trial spec with the given model and care parameter values (validated)."""
    updated = holder.model_copy(update={"model": holder.model.model_copy(update=model),
                                        "care_params": holder.care_params.model_copy(update=care)})
    # model_copy skips validation: validate the updated parameters once.
    type(updated.model).model_validate(updated.model.model_dump())
    type(updated.care_params).model_validate(updated.care_params.model_dump())
    return updated


def _trial_targets(spec: TrialSpec, chosen: list[Target]) -> dict[str, float]:
    """Run the replicate trials the targets need (once each) and average each target's statistic."""
    pairs = list(dict.fromkeys((t.source.arm, t.source.comparator) for t in chosen))
    outcomes = tuple(dict.fromkeys(t.source.outcome for t in chosen))
    weeks = tuple(sorted({t.source.week for t in chosen}))
    rows = []
    for rep in range(max(t.source.reps for t in chosen)):
        data = run_trial(spec, seed=replicate_seed(spec.seed, spec.n_total, rep))
        result = analyse(data, pairs=pairs, outcomes=outcomes, weeks=weeks, responders=False)
        rows.append(result.comparisons.assign(rep=rep))
    frame = pd.concat(rows, ignore_index=True)
    out = {}
    for target in chosen:
        s = target.source
        sel = frame[(frame.outcome == s.outcome) & (frame.week == s.week) & (frame.arm == s.arm)
                    & (frame.comparator == s.comparator) & (frame.rep < s.reps)]
        out[target.name] = statistics.trial_statistic(target.statistic.name, sel)
    return out


def _target_value(target: Target, arms: dict[str, Any]) -> float:
    spec = target.statistic
    kwargs = {"day": spec.day, "window": spec.window, "baseline_window": spec.baseline_window,
              "responder_class": spec.responder_class, "trajectory_class": spec.trajectory_class,
              "classes": spec.classes, "threshold": spec.threshold, "run_days": spec.run_days,
              "recovery_pain": spec.recovery_pain, "recovery_days": spec.recovery_days}
    value = statistics.compute(spec.name, arms[target.source.arm], **kwargs)
    if target.source.contrast is not None:
        value -= statistics.compute(spec.name, arms[target.source.contrast], **kwargs)
    return float(value)


def trial_task(params: dict, targets: TargetsFile) -> dict:
    """Sweep task of a calibration: simulate every target at ``params["values"]``."""
    return evaluate(params["values"], targets)


def total_loss(simulated: dict[str, float], targets: TargetsFile, fitted: list[str]) -> float:
    return sum(targets.target(name).loss(simulated[name]) for name in fitted) / max(1, len(fitted))


@dataclass
class CalibrationResult:
    """All trials (parameters, loss, simulated targets), the best ones, and the fit table."""

    targets: TargetsFile
    trials: pd.DataFrame
    fitted: list[str]
    holdout: list[str]
    ran: int
    reused: int

    @property
    def best(self) -> pd.Series:
        """The trial with the lowest loss (parameters, loss, simulated targets)."""
        return self.trials.loc[self.trials["loss"].idxmin()]

    @property
    def best_values(self) -> dict[str, float]:
        """The fitted parameters of the best trial."""
        return {name: float(self.best[f"param.{name}"]) for name in self.targets.parameters}

    def top(self, k: int = 5) -> pd.DataFrame:
        """The ``k`` trials with the lowest loss."""
        return self.trials.nsmallest(k, "loss").reset_index(drop=True)

    def fit_table(self) -> pd.DataFrame:
        """One row per target at the best parameters: value, band, simulated, within, role."""
        best = self.best
        rows = []
        for target in self.targets.targets:
            simulated = float(best[f"sim.{target.name}"])
            rows.append({
                "target": target.name, "role": "holdout" if target.name in self.holdout else "fit",
                "statistic": target.describe(), "value": target.value, "band_low": target.band[0],
                "band_high": target.band[1], "simulated": simulated, "within": target.within(simulated),
                "citation": target.citation,
            })
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """Best parameters, loss and the fit target by target, as plain Python types."""
        table = self.fit_table()
        fit, hold = table[table.role == "fit"], table[table.role == "holdout"]
        return {
            "best_params": self.best_values, "best_loss": float(self.best["loss"]), "trials": len(self.trials),
            "fit_within": f"{int(fit.within.sum())}/{len(fit)}",
            "holdout_within": f"{int(hold.within.sum())}/{len(hold)}" if len(hold) else None,
            "targets": {r.target: {"simulated": r.simulated, "value": r.value, "band": [r.band_low, r.band_high],
                                   "within": bool(r.within), "role": r.role} for r in table.itertuples()},
        }


def calibrate(targets: TargetsFile, budget: int, results: ResultsFolder, client: Any, holdout: list[str] | None = None,
              n_workers: int = 1, progress: Callable[[int, int], None] | None = None,
              include_defaults: bool = True) -> CalibrationResult:
    """Run ``budget`` trials of the optimiser (the first at the current defaults when
    ``include_defaults``); every trial simulates every target, holdouts included, but only
    the others enter the loss."""
    import optuna

    if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
        raise ValueError(f"budget must be a positive number of trials, got {budget!r}")
    if not targets.parameters:
        raise ValueError("the targets file names no [parameters] to fit")
    holdout = list(holdout or [])
    fitted = [t.name for t in targets.targets if t.name not in holdout]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=targets.fit.sampler_seed, n_startup_trials=10)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    distributions = {name: optuna.distributions.FloatDistribution(r.low, r.high, log=r.log)
                     for name, r in targets.parameters.items()}
    if include_defaults:
        defaults = _defaults(targets)
        if all(r.low <= defaults[n] <= r.high for n, r in targets.parameters.items()):
            study.enqueue_trial(defaults)
    batch = targets.fit.batch or max(2, 2 * n_workers)
    spec = {"targets": targets.model_dump(mode="json", exclude={"parameters", "targets", "name", "title"}),
            "target_defs": [t.model_dump(mode="json") for t in targets.targets]}
    rows: list[dict] = []
    ran = reused = 0
    while len(rows) < budget:
        asked = [study.ask(distributions) for _ in range(min(batch, budget - len(rows)))]
        tasks = [{"values": {name: float(trial.params[name]) for name in targets.parameters}} for trial in asked]
        sweep = Sweep("calibration", trial_task, tasks, spec=spec, seed=targets.fit.seed, common=targets)
        outcome = run_sweep(sweep, results, client, progress=_offset(progress, len(rows), budget))
        ran, reused = ran + outcome.ran, reused + outcome.reused
        for trial, task, simulated in zip(asked, tasks, outcome.results, strict=True):
            loss = total_loss(simulated, targets, fitted)
            study.tell(trial, loss if math.isfinite(loss) else 1e6)
            rows.append({"trial": trial.number, "loss": loss,
                         **{f"param.{k}": v for k, v in task["values"].items()},
                         **{f"sim.{k}": v for k, v in simulated.items()}})
    return CalibrationResult(targets=targets, trials=pd.DataFrame(rows), fitted=fitted, holdout=holdout,
                             ran=ran, reused=reused)


def _offset(progress: Callable[[int, int], None] | None, base: int, total: int) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, _: progress(base + done, total)


def _defaults(targets: TargetsFile) -> dict[str, float]:
    """Current values of the fitted parameters (in the first scenario of the file, else its first trial)."""
    scenario = next(iter(targets.scenarios.values()), None) or next(iter(targets.trials.values()))
    out = {}
    for name in targets.parameters:
        holder = scenario.model if name in type(scenario.model).model_fields else scenario.care_params
        out[name] = float(getattr(holder, name))
    return out
