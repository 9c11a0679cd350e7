"""Running a virtual trial: screen, randomise, simulate each arm, follow up at the visits.

Each participant is simulated only in the arm they were allocated to, from the state at the
end of the screening run-in; the same participant (same id, same seed) would meet the same
life events in any arm (common random numbers), so differences between arms come from care
and from who was allocated where, as in a real trial.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from painsim.engine import Cohort, Record, rng, simulate
from painsim.engine.screening import EntryScreen, ScreeningError, entry_screens
from painsim.limits import DEFAULT_LIMITS, Limits, screening_cannot_fill
from painsim.outcomes.care_outcomes import care_summary
from painsim.trials.randomise import allocate, strata_of
from painsim.trials.spec import OUTCOMES, TrialSpec

# Tags of the trial's own random streams (randomisation, follow-up, imputation).
RANDOMISATION, FOLLOW_UP, IMPUTATION = 0x7A11, 0x7A12, 0x7A13
BASELINE_VISIT = 0

Progress = Callable[[str, int, int], None]


@dataclass
class TrialData:
    """One virtual trial: who was screened and randomised, and what was measured.

    Attributes
    ----------
    spec, seed : what was run.
    frame : one row per randomised participant (enrolment order): ``id``, ``arm``, ``stratum``,
        ``baseline_<outcome>``, ``<outcome>_<week>`` (the value whether or not it was observed),
        ``observed_<week>``, ``sessions_attended``, ``care_dropout_day`` (NaN: did not stop).
    flow : CONSORT counts (see :func:`consort`).
    duration_days : int64 per participant (rows of ``frame``): days of pain at screening,
        within the eligibility's ``min_duration_*`` and ``max_duration_*`` (0: an acute
        entry, at onset); at randomisation add ``eligibility.screening_days``.
    """

    spec: TrialSpec
    seed: int
    frame: pd.DataFrame
    flow: dict[str, Any] = field(default_factory=dict)
    duration_days: np.ndarray | None = None

    @property
    def weeks(self) -> tuple[int, ...]:
        """The visit weeks of the trial."""
        return self.spec.visits.weeks

    def observed(self, outcome: str, week: int) -> pd.Series:
        """The outcome at a visit, NaN where the visit was missed."""
        return self.frame[f"{outcome}_{week}"].where(self.frame[f"observed_{week}"])

    def long(self) -> pd.DataFrame:
        """Observed visits in long form: participant, arm, week, baseline_*, outcomes and change."""
        rows = []
        base = ["id", "arm", *[f"baseline_{o}" for o in OUTCOMES]]
        for week in self.weeks:
            part = self.frame.loc[self.frame[f"observed_{week}"], base].copy()
            part["week"] = week
            for outcome in OUTCOMES:
                part[outcome] = self.frame.loc[part.index, f"{outcome}_{week}"]
                part[f"change_{outcome}"] = part[outcome] - part[f"baseline_{outcome}"]
            rows.append(part)
        return pd.concat(rows, ignore_index=True)


def screen(spec: TrialSpec, seed: int, progress: Progress | None = None,
           limits: Limits = DEFAULT_LIMITS, n_jobs: int = 1) -> tuple[Cohort, dict[str, np.ndarray], dict]:
    """Screen candidates in id order until ``spec.n_total`` are eligible.

    Candidates of the population screened (``spec.screening_population()``: the spec's entry,
    its durations of pain bounded by eligibility) come in batches of bounded size
    (painsim.engine.screening); each batch has its run-in and baseline, and
    ``progress("screening", eligible, needed)`` is called after it (an exception it raises
    stops screening). Participants are the first eligible in id order, whatever the batches;
    a consulter mixture fills each band of duration with its share of the participants. At
    most :func:`painsim.limits.screening_candidate_limit` candidates are screened per band
    (with ``limits``); when they cannot fill the trial,
    :class:`~painsim.engine.screening.ScreeningError` says how many met each criterion and
    which field to relax.

    Candidates and run-ins are simulated on ``n_jobs`` threads (the same participants for
    any value).

    Returns the enrolled cohort (state at the end of the run-in; each participant's duration
    of pain at screening in ``cohort.duration_days``), their baseline values and the
    screening counts (screened, excluded by reason, eligible).
    """
    elig = spec.eligibility
    population = spec.screening_population()
    need = spec.n_total
    screens = entry_screens(population, need, population.entry_day + elig.screening_days, seed, spec.model, limits,
                            n_jobs)
    parts: list[tuple[Cohort, dict[str, np.ndarray]]] = []
    tallies: list[_EligibilityTally] = []
    enrolled = 0
    for entry, quota in screens:
        tallies.append(_EligibilityTally())
        parts += _enrol(spec, seed, entry, tallies[-1], quota, progress, enrolled)
        enrolled += quota
    seen = sum(t.seen for t in tallies)
    reasons = {label: sum(t.reasons()[label] for t in tallies) for label in _EXCLUSIONS.values()}
    counts = {"screened": seen, "excluded": seen - need, "excluded_reasons": reasons, "eligible": need}
    cohort = Cohort.concat([cohort for cohort, _ in parts if len(cohort)])
    baseline = {o: np.concatenate([b[o] for _, b in parts]) for o in OUTCOMES}
    if len(screens) > 1:  # bands of a mixture: enrolment in id order
        order = np.argsort(cohort.ids, kind="stable")
        cohort, baseline = cohort.subset(order), {o: b[order] for o, b in baseline.items()}
    return cohort, baseline, counts


def _enrol(spec: TrialSpec, seed: int, entry: EntryScreen, tally: _EligibilityTally, quota: int,
           progress: Progress | None, enrolled: int) -> list[tuple[Cohort, dict[str, np.ndarray]]]:
    """The first ``quota`` eligible candidates of one entry window (batches of cohorts at the
    end of the run-in, with their baselines); ``progress("screening", enrolled + found,
    n_total)`` after each batch (``enrolled``: in the windows before this one)."""
    elig = spec.eligibility
    parts: list[tuple[Cohort, dict[str, np.ndarray]]] = []
    found = 0
    while found < quota:
        if screening_cannot_fill(found, quota, entry.counts.screened, entry.limit):
            raise ScreeningError(_screening_failure(spec, entry, tally, found, quota))
        still = quota - found
        rate = found / tally.seen if found else 0.625  # eligible per candidate in pain (first guess: 1/1.6)
        batch = entry.next_batch(math.ceil(still / rate) + 16, extra_days=elig.screening_days)
        if len(batch):
            run_in = simulate(batch, elig.screening_days,
                              Record(variables=("pain", "disability"), every=elig.screening_days), n_jobs=entry.n_jobs)
            base = {o: run_in.trajectories[v][0].astype(np.float64) for o, v in OUTCOMES.items()}
            base["rmdq"] = rdq_score(base["rmdq"], spec.outcomes.rmdq_measurement_sd, seed, BASELINE_VISIT,
                                     batch.ids)
            eligible = tally.add(base, elig, still)
            chosen = np.flatnonzero(eligible)[:still]
            parts.append((run_in.cohort.subset(chosen), {o: b[chosen] for o, b in base.items()}))
            found += chosen.size
        if progress is not None:
            progress("screening", enrolled + found, spec.n_total)
    return parts


_EXCLUSIONS = {"low_pain": "pain below minimum", "high_pain": "pain above maximum",
               "low_rmdq": "rmdq below minimum", "high_rmdq": "rmdq above maximum"}


class _EligibilityTally:
    """Counts of the chronic candidates screened up to the last one enrolled: how many fell
    below or above each eligibility bound."""

    def __init__(self) -> None:
        self.seen = 0
        self.excluded = dict.fromkeys(_EXCLUSIONS, 0)

    def add(self, base: dict[str, np.ndarray], elig, still: int) -> np.ndarray:
        """Eligibility of one batch; counts the batch through its ``still``-th eligible
        candidate (all of it if it has fewer)."""
        out = {"low_pain": base["pain"] < elig.min_pain, "high_pain": base["pain"] > elig.max_pain,
               "low_rmdq": base["rmdq"] < elig.min_rmdq, "high_rmdq": base["rmdq"] > elig.max_rmdq}
        eligible = ~(out["low_pain"] | out["high_pain"] | out["low_rmdq"] | out["high_rmdq"])
        positions = np.flatnonzero(eligible)
        seen = int(positions[still - 1]) + 1 if positions.size >= still else eligible.size
        self.seen += seen
        for name, excluded in out.items():
            self.excluded[name] += int(excluded[:seen].sum())
        return eligible

    def reasons(self) -> dict[str, int]:
        """Excluded candidates by reason (the CONSORT flow's ``excluded_reasons``)."""
        return {label: self.excluded[name] for name, label in _EXCLUSIONS.items()}


def _screening_failure(spec: TrialSpec, entry: EntryScreen, tally: _EligibilityTally, found: int,
                       need: int) -> str:
    """Why screening could not fill the trial: counts per criterion and the field to relax."""
    elig = spec.eligibility
    met = {"eligibility.min_pain": (f"pain >= {elig.min_pain:g}", tally.seen - tally.excluded["low_pain"]),
           "eligibility.max_pain": (f"pain <= {elig.max_pain:g}", tally.seen - tally.excluded["high_pain"]),
           "eligibility.min_rmdq": (f"RMDQ >= {elig.min_rmdq:g}", tally.seen - tally.excluded["low_rmdq"]),
           "eligibility.max_rmdq": (f"RMDQ <= {elig.max_rmdq:g}", tally.seen - tally.excluded["high_rmdq"])}
    criteria = "; ".join(f"{text} ({field}): {count:,}" for field, (text, count) in met.items())
    days_field = _duration_fields(spec, entry)
    if entry.counts.chronic < need:
        relax = f"relax {entry.pain_fields()} or the duration of pain ({days_field}: {entry.window.describe()})"
    else:
        fewest = min(count for _, count in met.values())
        fields = [f"{field} ({getattr(elig, field.split('.')[1]):g})" for field, (_, count) in met.items()
                  if count == fewest]
        relax = f"relax {' or '.join(fields)}, met by the fewest ({fewest:,})"
    band = f" with pain for {entry.window.describe()}" if entry.strata > 1 else ""
    kept = "at onset" if entry.window.max_days == 0 else (
        "with chronic pain" if entry.population.entry == "chronic" else "still in pain")
    return (f"eligibility: {entry.stop_reason()}, {found:,} of the {need:,} participants wanted{band} eligible. "
            f"{entry.describe(days_field)}. Of the {tally.seen:,} {kept}, at the run-in baseline: "
            f"{criteria}; all criteria: {found:,}. To fill the trial, {relax}, or randomise fewer participants")


def _duration_fields(spec: TrialSpec, entry: EntryScreen) -> str:
    """The fields that set the durations screened for, for messages."""
    if spec.population.entry == "chronic" and entry.window.min_days == entry.window.max_days:
        return "population.chronic_min_days / eligibility.min_duration_months"
    if spec.population.entry == "acute":
        return "population.entry"
    return f"{entry.window.fields} within eligibility.min_duration_* / max_duration_*"


def run_trial(spec: TrialSpec, seed: int | None = None, progress: Progress | None = None,
              n_jobs: int = 1) -> TrialData:
    """Screen, randomise, simulate every arm on its own participants, and follow them up.

    Raises :class:`painsim.limits.LimitError` if the trial would exceed a documented limit
    and :class:`painsim.engine.screening.ScreeningError` if screening cannot fill it.
    """
    spec.cost()  # a spec changed without validation (e.g. TrialSpec.with_n) is checked here
    seed = spec.seed if seed is None else int(seed)
    report = progress or (lambda stage, done, total: None)
    cohort, baseline, counts = screen(spec, seed, progress, n_jobs=n_jobs)
    names = list(spec.arms)
    arms = list(spec.arms.values())
    rand = spec.randomisation
    strata = strata_of(baseline, rand.strata) if rand.strata else np.zeros(len(cohort), dtype=np.int64)
    allocation = allocate(rand.scheme, [a.n for a in arms], [a.ratio for a in arms], spec.block_sizes,
                          np.random.default_rng([seed, RANDOMISATION]), strata)
    weeks = spec.visits.weeks
    horizon = spec.horizon_days
    record = Record(variables=tuple(OUTCOMES.values()), every=7)
    frame = pd.DataFrame({"id": cohort.ids, "arm": [names[k] for k in allocation], "stratum": strata})
    for outcome, values in baseline.items():
        frame[f"baseline_{outcome}"] = values
    values = {f"{o}_{w}": np.full(len(cohort), np.nan) for o in OUTCOMES for w in weeks}
    attended = np.zeros(len(cohort), dtype=np.int64)
    care_dropout = np.full(len(cohort), np.nan)
    for k, (name, arm) in enumerate(spec.arms.items()):
        report(f"arm {name}", k, len(arms))
        members = np.flatnonzero(allocation == k)
        if members.size == 0:
            continue
        result = simulate(cohort.subset(members), horizon, record, n_jobs=n_jobs, care=arm.plan(),
                          care_params=spec.care_params)
        for outcome, variable in OUTCOMES.items():
            for week in weeks:
                values[f"{outcome}_{week}"][members] = result.trajectories[variable][week - 1]
        if result.care_outcomes.shape[0]:
            care = care_summary(result)
            attended[members] = care["sessions_attended"].to_numpy()
            care_dropout[members] = care["dropout_day"].to_numpy()
        report(f"arm {name}", k + 1, len(arms))
    for j, week in enumerate(weeks):
        values[f"rmdq_{week}"] = rdq_score(values[f"rmdq_{week}"], spec.outcomes.rmdq_measurement_sd, seed,
                                           j + 1, cohort.ids)
    frame = pd.concat([frame, pd.DataFrame(values)], axis=1)
    frame["sessions_attended"] = attended
    frame["care_dropout_day"] = care_dropout
    observed = follow_up(spec, seed, care_dropout)
    for j, week in enumerate(weeks):
        frame[f"observed_{week}"] = observed[:, j]
    data = TrialData(spec=spec, seed=seed, frame=frame, duration_days=cohort.duration_days.copy())
    data.flow = consort(data, counts)
    return data


def rdq_score(disability: np.ndarray, sd: float, seed: int, visit: int, ids: np.ndarray) -> np.ndarray:
    """What the RDQ questionnaire reads at one visit: the model's disability plus measurement
    error (normal, SD ``sd`` points), rounded to whole items and kept in 0-24.

    The error is a common random number keyed by (seed, participant id, visit), so it does
    not depend on arm sizes, the order of simulation or how many candidates were screened.
    """
    if sd == 0:
        return disability
    error = rng.normals_for(seed, np.asarray(ids, dtype=np.int64), rng.QUESTIONNAIRE_A, rng.QUESTIONNAIRE_B, visit)
    return np.clip(np.round(disability + sd * error), 0.0, 24.0)


def follow_up(spec: TrialSpec, seed: int, care_dropout: np.ndarray) -> np.ndarray:
    """Which visits are attended (participants x visits, bool).

    At each visit a participant still in follow-up is lost with ``loss_per_visit``; one who
    stopped the allocated care before the visit (attendance model) is lost, once, with
    ``loss_after_care_dropout``; loss is permanent. Participants not lost miss a single
    visit with ``missed_visit``.
    """
    fu = spec.follow_up
    weeks = spec.visits.weeks
    n = care_dropout.size
    rng = np.random.default_rng([seed, FOLLOW_UP])
    u_loss, u_after, u_miss = rng.random((3, n, len(weeks)))
    lost = np.zeros(n, dtype=bool)
    judged = np.zeros(n, dtype=bool)  # the care drop-out has been followed by a loss decision
    observed = np.zeros((n, len(weeks)), dtype=bool)
    for j, week in enumerate(weeks):
        lost |= u_loss[:, j] < fu.loss_per_visit
        stopped = np.nan_to_num(care_dropout, nan=np.inf) < 7 * week
        decide = stopped & ~judged & ~lost
        lost |= decide & (u_after[:, j] < fu.loss_after_care_dropout)
        judged |= stopped
        observed[:, j] = ~lost & (u_miss[:, j] >= fu.missed_visit)
    return observed


def consort(data: TrialData, counts: dict[str, Any]) -> dict[str, Any]:
    """CONSORT-style flow: screened, excluded (with reasons), randomised, and per arm
    allocated, received the allocated care, stopped care, followed up and lost per visit."""
    frame = data.frame
    arms: dict[str, Any] = {}
    for name, arm in data.spec.arms.items():
        rows = frame[frame["arm"] == name]
        visits = (arm.massage or arm.sham) is not None
        arms[name] = {
            "allocated": len(rows),
            "received_allocated_care": int((rows["sessions_attended"] > 0).sum()) if visits else len(rows),
            "stopped_care": int(rows["care_dropout_day"].notna().sum()),
            "followed_up": {str(w): int(rows[f"observed_{w}"].sum()) for w in data.weeks},
            "not_followed_up": {str(w): int((~rows[f"observed_{w}"]).sum()) for w in data.weeks},
        }
    return {**counts, "randomised": len(frame), "arms": arms}
