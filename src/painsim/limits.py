"""What a run may cost: the documented limits, and the cost estimate that validation checks.

Every input that validates finishes in bounded time and memory. Before anything runs,
:func:`check_scenario_cost`, :func:`check_trial_cost` and :func:`check_power_cost` compute
what the run will cost (candidates screened, patient-days simulated, memory of the cohort,
results and recordings, randomisation blocks, arms) and raise :class:`LimitError`, naming
the field and the limit, when the cost is above a limit of :class:`Limits`. Scenario files
and trial specs call them while they validate, so ``painsim validate``, ``painsim run``,
``painsim trial`` and the web app refuse the same inputs with the same message; the web app
passes stricter :class:`Limits` of its own. The limits and why each has its value are in
docs/scenarios.md and docs/trials.md ("Limits").

Screening is bounded too: chronic cohorts and trial participants are screened from at most
:func:`screening_candidate_limit` candidates, in batches of bounded size (progress, and so
cancellation, is reported after each batch); a screening that cannot fill its cohort stops
with an error saying how many candidates met each criterion (``painsim.engine.screening``).

This module is a leaf: it imports nothing from painsim, so the engine can use it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "DEFAULT_LIMITS",
    "Cost",
    "LimitError",
    "Limits",
    "check_arm_count",
    "check_power_cost",
    "check_scenario_cost",
    "check_sweep_tasks",
    "check_trial_cost",
    "power_cost",
    "range_size",
    "scenario_cost",
    "screening_batch_size",
    "screening_candidate_limit",
    "screening_cannot_fill",
    "trial_cost",
]

GiB = 2**30


@dataclass(frozen=True)
class Limits:
    """The limits a run must stay within (defaults: :data:`DEFAULT_LIMITS`; docs/scenarios.md)."""

    max_arms: int = 100
    """Arms of a scenario or a trial."""
    max_simulated_patient_days: int = 20_000_000_000
    """Patient-days simulated after screening by one scenario run (all arms) or one trial."""
    max_screening_patient_days: int = 10_000_000_000
    """Patient-days spent screening candidates for one cohort (or one trial)."""
    screening_candidates_per_place: int = 1000
    """Candidates screened per patient wanted, at most (the rarest eligibility that can fill: 0.1%)."""
    screening_min_candidates: int = 100_000
    """Candidates a screening may always examine, however small the cohort."""
    max_screening_candidates: int = 100_000_000
    """Candidates screened for one cohort or trial, at most."""
    screening_batch_patient_days: int = 20_000_000
    """Patient-days of one screening batch, at most (progress and cancellation come per batch)."""
    max_recording_bytes: int = 1 * GiB
    """Recorded trajectories of all arms of a scenario (4 bytes a value)."""
    max_memory_bytes: int = 8 * GiB
    """Memory a run is estimated to need (cohort, per-arm results, recordings, analysis)."""
    max_block_size: int = 10_000
    """Participants in one randomisation block."""
    max_power_points: int = 1000
    """Values of n in one power curve."""
    max_power_trials: int = 1_000_000
    """Virtual trials in one power curve (points x reps)."""
    max_power_patient_days: int = 100_000_000_000
    """Patient-days one power curve simulates at least (all its virtual trials, screening included)."""
    max_sweep_tasks: int = 100_000
    """Tasks of one sweep: samples of a sensitivity analysis, trials of a calibration (a grid
    sweep has at most 10,000 points); each task is one run, checked as a scenario or a trial."""


DEFAULT_LIMITS = Limits()

# Memory model (bytes), measured with /usr/bin/time on `painsim run` (docs/scenarios.md, "Limits"):
# a fixed part (interpreter, numba, pandas), per patient (the cohort), per patient and arm
# (the arm's copy of the cohort, summaries, tables and their storing), per patient, arm and
# scheduled session (relief per session and its table), and recorded bytes times a factor
# (the long table of trajectories and its storing).
MEMORY_FIXED = 400 * 2**20
MEMORY_PER_PATIENT = 200
MEMORY_PER_PATIENT_ARM = 600
MEMORY_PER_PATIENT_SESSION = 80
MEMORY_PER_RECORDED_BYTE = 5
# A trial keeps, per participant, a row of baseline and visit values, and the analysis holds
# each imputed data set of each (outcome, visit): bytes per analysed row.
MEMORY_PER_ANALYSED_ROW = 50

# Screening batches: the sizes of the original rounds (4 candidates per patient still wanted,
# 256 to 200,000), within the batch limit in patient-days.
SCREEN_BATCH_MIN, SCREEN_BATCH_MAX, SCREEN_BATCH_PER_WANTED = 256, 200_000, 4
# Odds below which screening gives up early: it stops when, even at the upper end of a
# one-in-a-million confidence interval for the share found so far, the candidates left
# could not fill the cohort.
SCREEN_GIVE_UP_ODDS = 1e-6


class LimitError(ValueError):
    """An input whose run would exceed a limit; ``field`` is the field to change."""

    def __init__(self, field: str, message: str):
        self.field, self.detail = field, message
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Cost:
    """What a run will cost, computed before it starts (bounds where the yield of screening is
    unknown: screening costs at least ``screening_patient_days_min`` and at most
    ``screening_patient_days_max``)."""

    arms: int
    patients: int
    """Patients per arm (scenario) or participants randomised (trial), for one run."""
    screening_candidates_max: int
    screening_patient_days_min: int
    screening_patient_days_max: int
    simulated_patient_days: int
    """Patient-days simulated after screening (every arm; a trial's run-in is in screening)."""
    recording_bytes: int
    memory_bytes: int
    largest_block: int = 0
    trials: int = 1
    """Runs in the estimate (virtual trials of a power curve); the other figures add them up,
    except memory (one run at a time)."""

    @property
    def patient_days_min(self) -> int:
        """Patient-days at least: screening if every candidate qualified, plus everything after it."""
        return self.screening_patient_days_min + self.simulated_patient_days

    @property
    def patient_days_max(self) -> int:
        """Patient-days at most: screening at its limit plus everything simulated after it."""
        return self.screening_patient_days_max + self.simulated_patient_days

    def as_dict(self) -> dict[str, Any]:
        """The cost as a JSON-friendly dict (with ``patient_days_min`` and ``patient_days_max``)."""
        return {**asdict(self), "patient_days_min": self.patient_days_min, "patient_days_max": self.patient_days_max}

    def describe(self) -> str:
        """One line for people, e.g. for ``painsim validate``."""
        parts = [f"{self.simulated_patient_days:,} patient-days simulated"]
        if self.screening_candidates_max:
            parts.append(f"screening {self.screening_patient_days_min:,} to {self.screening_patient_days_max:,} "
                         f"patient-days (at most {self.screening_candidates_max:,} candidates)")
        if self.recording_bytes:
            parts.append(f"recordings {_size(self.recording_bytes)}")
        parts.append(f"memory about {_size(self.memory_bytes)}")
        if self.trials > 1:
            parts.insert(0, f"{self.trials:,} virtual trials")
        return "cost: " + "; ".join(parts)


# --- screening ----------------------------------------------------------------------------

def screening_candidate_limit(n: int, days_per_candidate: int, limits: Limits = DEFAULT_LIMITS) -> int:
    """Candidates that screening for ``n`` patients may examine, each simulated for
    ``days_per_candidate`` days: ``screening_candidates_per_place`` per patient (at least
    ``screening_min_candidates``), at most ``max_screening_candidates`` and at most what
    ``max_screening_patient_days`` allows."""
    by_places = max(limits.screening_candidates_per_place * n, limits.screening_min_candidates)
    by_days = limits.max_screening_patient_days // max(days_per_candidate, 1)
    return int(min(by_places, limits.max_screening_candidates, by_days))


def screening_batch_size(wanted: int, days_per_candidate: int, remaining: int,
                         limits: Limits = DEFAULT_LIMITS) -> int:
    """Candidates in the next screening batch when ``wanted`` patients are still wanted and
    ``remaining`` candidates are left within the limit (at least 1 while any remain)."""
    size = max(SCREEN_BATCH_MIN, min(SCREEN_BATCH_MAX, SCREEN_BATCH_PER_WANTED * wanted))
    size = min(size, max(SCREEN_BATCH_MIN, limits.screening_batch_patient_days // max(days_per_candidate, 1)))
    return int(max(0, min(size, remaining)))


def screening_cannot_fill(found: int, need: int, screened: int, limit: int) -> bool:
    """Whether screening should stop: ``need`` patients cannot be found within ``limit``
    candidates, having found ``found`` among the first ``screened``.

    True when no candidates are left, or when even the upper end of a one-in-a-million
    (Clopper-Pearson) interval for the share found so far would not fill the rest.
    """
    if found >= need:
        return False
    remaining = limit - screened
    if remaining <= 0:
        return True
    if screened == 0 or found == screened:
        return False
    from scipy.stats import beta

    optimistic = float(beta.ppf(1.0 - SCREEN_GIVE_UP_ODDS, found + 1, screened - found))
    return found + optimistic * remaining < need


def _screening(n: int, days: int, run_in_days: int, limits: Limits) -> tuple[int, int, int]:
    """(candidate limit, patient-days at least, patient-days at most) of screening ``n``."""
    per_candidate = days + run_in_days
    limit = screening_candidate_limit(n, per_candidate, limits)
    return limit, n * per_candidate, limit * per_candidate


def _population_screening(population: Any, n: int, run_in_days: int, limits: Limits) -> tuple[int, int, int]:
    """:func:`_screening` summed over the entry windows of ``population`` (each screens for its
    quota of ``n``, every candidate simulated to the population's entry day)."""
    parts = [_screening(quota, population.entry_day, run_in_days, limits) for quota in population.quotas(n) if quota]
    return sum(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts)


# --- scenarios ----------------------------------------------------------------------------

def scenario_cost(scenario: Any, n: int | None = None, limits: Limits = DEFAULT_LIMITS) -> Cost:
    """The cost of running ``scenario`` (a :class:`painsim.scenario.Scenario`) with ``n``
    patients per arm (default: its own ``n``)."""
    n = scenario.n if n is None else int(n)
    arms = len(scenario.arms)
    horizon = scenario.horizon_days
    if scenario.population.screened:
        candidates, days_min, days_max = _population_screening(scenario.population, n, 0, limits)
        batch = _batch_memory(scenario.population.entry_day, limits)
    else:
        candidates = days_min = days_max = batch = 0
    record = scenario.record
    recorded = min(record.patients, n) if record.variables else 0
    recording = 4 * len(record.variables) * math.ceil(horizon / record.every) * recorded * arms
    sessions = sum(plan.compile(horizon, scenario.care_params).n_sessions for plan in scenario.arms.values())
    memory = (MEMORY_FIXED + n * (MEMORY_PER_PATIENT + arms * MEMORY_PER_PATIENT_ARM
                                  + sessions * MEMORY_PER_PATIENT_SESSION)
              + recording * MEMORY_PER_RECORDED_BYTE + batch)
    return Cost(arms=arms, patients=n, screening_candidates_max=candidates, screening_patient_days_min=days_min,
                screening_patient_days_max=days_max, simulated_patient_days=n * horizon * arms,
                recording_bytes=recording, memory_bytes=memory)


def check_scenario_cost(scenario: Any, n: int | None = None, limits: Limits = DEFAULT_LIMITS) -> Cost:
    """The cost of ``scenario`` (with ``n`` per arm, default its own), or :class:`LimitError`
    naming the field and the limit it would exceed."""
    check_arm_count(len(scenario.arms), limits)
    cost = scenario_cost(scenario, n, limits)
    n_field = "n" if n is None else "n (--n)"
    population = scenario.population
    if population.screened:
        _check_screening(cost, population.entry_day, population.entry_day_field, n_field, limits)
    if cost.recording_bytes > limits.max_recording_bytes:
        record = scenario.record
        raise LimitError("record.patients", (
            f"recording {len(record.variables)} variable(s) every {record.every} day(s) for "
            f"{min(record.patients, cost.patients):,} patients in {cost.arms} arm(s) needs "
            f"{_size(cost.recording_bytes)}; the limit is {_size(limits.max_recording_bytes)}: record fewer "
            "patients (record.patients), less often (record.every) or fewer variables (record.variables)"))
    if cost.simulated_patient_days > limits.max_simulated_patient_days:
        raise LimitError(n_field, (
            f"{cost.patients:,} patients x {scenario.horizon_days:,} days (horizon_days) x {cost.arms} arm(s) = "
            f"{cost.simulated_patient_days:,} patient-days to simulate; the limit is "
            f"{limits.max_simulated_patient_days:,}: lower n, horizon_days or the number of arms"))
    _check_memory(cost, n_field, "n, the number of arms or the sessions", limits)
    return cost


# --- trials -------------------------------------------------------------------------------

def trial_cost(spec: Any, limits: Limits = DEFAULT_LIMITS) -> Cost:
    """The cost of one run of trial ``spec`` (a :class:`painsim.trials.TrialSpec`)."""
    need = spec.n_total
    population = spec.screening_population()
    days = population.entry_day
    candidates, days_min, days_max = _population_screening(population, need, spec.eligibility.screening_days, limits)
    horizon = spec.horizon_days
    sessions = sum(arm.plan().compile(horizon, spec.care_params).n_sessions * arm.n for arm in spec.arms.values())
    weeks, measures = len(spec.visits.weeks), len(spec.outcomes.measures)
    imputed = spec.analysis.imputations if spec.analysis.missing == "mi" else 1
    memory = (MEMORY_FIXED + need * (MEMORY_PER_PATIENT + MEMORY_PER_PATIENT_ARM)
              + sessions * MEMORY_PER_PATIENT_SESSION + need * weeks * measures * imputed * MEMORY_PER_ANALYSED_ROW
              + _batch_memory(days, limits))
    return Cost(arms=len(spec.arms), patients=need, screening_candidates_max=candidates,
                screening_patient_days_min=days_min, screening_patient_days_max=days_max,
                simulated_patient_days=need * horizon, recording_bytes=0, memory_bytes=memory,
                largest_block=max(spec.block_sizes) if spec.randomisation.scheme in ("blocks", "stratified") else 0)


def check_trial_cost(spec: Any, limits: Limits = DEFAULT_LIMITS) -> Cost:
    """The cost of one run of trial ``spec``, or :class:`LimitError` naming the field and the
    limit it would exceed."""
    check_arm_count(len(spec.arms), limits)
    _check_blocks(spec, limits)
    cost = trial_cost(spec, limits)
    population = spec.screening_population()
    largest = max(spec.arms, key=lambda name: spec.arms[name].n)
    n_field = f"arms.{largest}.n"
    _check_screening(cost, population.entry_day + spec.eligibility.screening_days, spec.entry_day_field(), n_field,
                     limits)
    if cost.simulated_patient_days > limits.max_simulated_patient_days:
        raise LimitError(n_field, (
            f"{cost.patients:,} participants x {spec.horizon_days:,} days (through the last of visits.weeks) = "
            f"{cost.simulated_patient_days:,} patient-days to simulate; the limit is "
            f"{limits.max_simulated_patient_days:,}: lower the arms' n or the last visit week"))
    _check_memory(cost, n_field, "the arms' n, analysis.imputations or the visits", limits)
    return cost


def range_size(start: int, stop: int, step: int) -> int:
    """Values in the inclusive range START:STOP:STEP, without listing them."""
    return 0 if stop < start or step <= 0 else (stop - start) // step + 1


def power_cost(spec: Any, ns: list[int], reps: int, limits: Limits = DEFAULT_LIMITS) -> Cost:
    """The cost of a power curve: ``reps`` virtual trials of ``spec`` at each n per arm in ``ns``."""
    costs = [trial_cost(spec.with_n(n), limits) for n in sorted(set(ns))]
    by_n = {n: c for n, c in zip(sorted(set(ns)), costs, strict=True)}
    per_point = [by_n[n] for n in ns]
    return Cost(arms=len(spec.arms), patients=max(c.patients for c in costs),
                screening_candidates_max=reps * sum(c.screening_candidates_max for c in per_point),
                screening_patient_days_min=reps * sum(c.screening_patient_days_min for c in per_point),
                screening_patient_days_max=reps * sum(c.screening_patient_days_max for c in per_point),
                simulated_patient_days=reps * sum(c.simulated_patient_days for c in per_point), recording_bytes=0,
                memory_bytes=max(c.memory_bytes for c in costs), largest_block=max(c.largest_block for c in costs),
                trials=len(ns) * reps)


def check_power_cost(spec: Any, ns: list[int], reps: int, limits: Limits = DEFAULT_LIMITS,
                     n_option: str = "--n", reps_option: str = "--reps") -> Cost:
    """The cost of a power curve, or :class:`LimitError` naming the option (``n_option``,
    ``reps_option``: how the caller names them) and the limit it would exceed."""
    if len(ns) > limits.max_power_points:
        raise LimitError(n_option, f"{len(ns):,} values of n per arm; at most {limits.max_power_points:,} "
                                   "(use a larger step)")
    trials = len(ns) * reps
    if trials > limits.max_power_trials:
        raise LimitError(reps_option, f"{len(ns):,} values of n x {reps:,} reps = {trials:,} virtual trials; at "
                                      f"most {limits.max_power_trials:,}")
    try:
        check_trial_cost(spec.with_n(max(ns)), limits)
    except LimitError as err:
        raise LimitError(n_option, f"at n = {max(ns):,} per arm, {err}") from None
    cost = power_cost(spec, ns, reps, limits)
    if cost.patient_days_min > limits.max_power_patient_days:
        raise LimitError(n_option, (
            f"{trials:,} virtual trials simulate at least {cost.patient_days_min:,} patient-days (screening "
            f"included); the limit is {limits.max_power_patient_days:,}: fewer or smaller n, or fewer reps "
            f"({reps_option})"))
    return cost


# --- sweeps -------------------------------------------------------------------------------

def check_sweep_tasks(tasks: int, option: str, what: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`LimitError` (field ``option``) if a sweep has more than
    ``limits.max_sweep_tasks`` tasks; ``what`` says how they were counted."""
    if tasks > limits.max_sweep_tasks:
        raise LimitError(option, f"{what} = {tasks:,} runs; a sweep runs at most {limits.max_sweep_tasks:,}")


# --- the checks ---------------------------------------------------------------------------

def check_arm_count(arms: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise :class:`LimitError` (field ``arms``) if there are more than ``limits.max_arms`` arms."""
    if arms > limits.max_arms:
        raise LimitError("arms", f"{arms:,} arms; at most {limits.max_arms:,}")


def _check_blocks(spec: Any, limits: Limits) -> None:
    sizes = spec.randomisation.block_sizes or ()
    big = [s for s in sizes if s > limits.max_block_size]
    if big:
        raise LimitError("randomisation.block_sizes", (
            f"{', '.join(f'{s:,}' for s in big)} participants per block; a block holds at most "
            f"{limits.max_block_size:,} (trials use blocks of a few participants)"))


def _check_screening(cost: Cost, days: int, days_field: str, n_field: str, limits: Limits) -> None:
    if cost.screening_candidates_max < cost.patients:
        raise LimitError(days_field, (
            f"screening {cost.patients:,} patients, each candidate simulated for {days:,} days, costs at least "
            f"{cost.screening_patient_days_min:,} patient-days; the limit is {limits.max_screening_patient_days:,} "
            f"({limits.max_screening_patient_days // max(days, 1):,} candidates at {days:,} days): shorten "
            f"{days_field} or lower {n_field}"))


def _check_memory(cost: Cost, n_field: str, what: str, limits: Limits) -> None:
    if cost.memory_bytes > limits.max_memory_bytes:
        raise LimitError(n_field, f"the run needs about {_size(cost.memory_bytes)} of memory; the limit is "
                                  f"{_size(limits.max_memory_bytes)}: lower {what}")


def _batch_memory(days: int, limits: Limits) -> int:
    """Memory of one screening batch at most (its candidates and their weekly pain)."""
    batch = screening_batch_size(SCREEN_BATCH_MAX, days, SCREEN_BATCH_MAX, limits)
    return batch * (MEMORY_PER_PATIENT_ARM + 4 * math.ceil(days / 7))


def _size(nbytes: int) -> str:
    return f"{nbytes / GiB:.1f} GiB" if nbytes >= GiB / 10 else f"{nbytes / 2**20:.1f} MiB"
