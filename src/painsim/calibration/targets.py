"""Calibration targets (TOML): what is fitted, the scenarios targets are computed from, and
each published target with its source, statistic, value and uncertainty (docs/calibration.md).

A targets file has four parts::

    [fit]                       # n, seed, sampler_seed, batch
    [parameters.heal_rate]      # a model (ModelParams) or care (CareParams) parameter to fit
    low = 0.04
    high = 0.10
    [scenarios.chronic_natural] # a scenario as in scenario files (docs/scenarios.md), no n/seed
    horizon_days = 365
    arms.no_care = {}
    [[targets]]                 # one published target
    name = "chronic_recovered_1y"
    citation = "Costa et al. 2009, BMJ 339:b3829"
    source = { kind = "scenario", scenario = "chronic_natural", arm = "no_care" }
    statistic = { name = "recovered_fraction", day = 364 }
    value = 0.42
    band = [0.25, 0.45]

``source.kind`` is a tagged union: ``"scenario"`` (the default: an arm, or the difference
of two arms, of a scenario in the same file) or ``"trial"`` (one comparison of a virtual
trial of painsim.trials, given in the same file as ``[trials.NAME]``, averaged over
replicate trials)::

    [trials.cherkin2011]        # a trial spec as in trial files (docs/trials.md)
    ...
    [[targets]]
    name = "cherkin_rmdq_10w"
    source = { kind = "trial", trial = "cherkin2011", outcome = "rmdq", week = 10,
               arm = "relaxation", comparator = "usual_care", reps = 5 }
    statistic = { name = "md" }  # md, smd or ci_halfwidth
"""

from __future__ import annotations

import difflib
import hashlib
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from painsim.calibration.statistics import (
    NEEDS_CARE,
    NEEDS_DAY,
    NEEDS_THRESHOLD,
    TRAJECTORY_MIN_WEEKS,
    TRIAL_STATISTICS,
    StatisticName,
)
from painsim.care import CareParams
from painsim.engine import ModelParams
from painsim.outcomes.trajectories import CLASS_RANGE, LABELS, TrajectoryLabel
from painsim.scenario import Scenario
from painsim.tomlfiles import parse_toml_model, read_text_file
from painsim.trials.spec import TrialSpec

MODEL_PARAMS = tuple(ModelParams.model_fields)
CARE_PARAMS = tuple(CareParams.model_fields)


class TargetsError(ValueError):
    """A targets file that cannot be read or is not valid; the message is for people."""


class FitSettings(BaseModel):
    """How every trial simulates: patients per scenario, seed (the same cohorts in every trial)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int = Field(2000, ge=10, le=1_000_000, description="patients per scenario")
    seed: int = Field(1, ge=0, lt=2**63, description="seed of every scenario (common random numbers)")
    sampler_seed: int = Field(0, ge=0, lt=2**32, description="seed of the optimiser")
    batch: int = Field(0, ge=0, le=1024, description="trials per batch (0: twice the number of workers)")


class ParameterRange(BaseModel):
    """Search range of one fitted parameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float
    log: bool = False
    reason: str | None = Field(None, max_length=400,
                               description="why this range: its source, or why it is assumed (a posterior's prior)")

    @model_validator(mode="after")
    def _ordered(self) -> ParameterRange:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"low must be below high (given low = {self.low}, high = {self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"log = true needs low > 0 (given low = {self.low})")
        return self


class TargetScenario(Scenario):
    """A scenario of a targets file; its n and seed come from [fit]."""

    name: str = "target"


class ScenarioSource(BaseModel):
    """A target computed from one arm of a scenario of this file, or from the difference
    ``arm - contrast`` of two of its arms (the same patients in both), averaged over ``reps``
    replicate cohorts (seeds ``fit.seed``, ``fit.seed + 1``, ...): a statistic that moves
    between cohorts by more than its band (a trajectory share) is read over several."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["scenario"] = "scenario"
    scenario: str
    arm: str
    contrast: str | None = None
    reps: int = Field(1, ge=1, le=20, description="replicate cohorts averaged (cohort seeds seed, seed + 1, ...)")


class TrialSource(BaseModel):
    """A target computed from one comparison of a virtual trial of this file: ``outcome`` at
    visit ``week``, ``arm`` minus ``comparator``, as the trial's analysis estimates it,
    averaged over ``reps`` replicate trials (seeds as ``painsim trial power`` derives them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["trial"]
    trial: str
    outcome: Literal["rmdq", "pain"] = "rmdq"
    week: int = Field(ge=1)
    arm: str
    comparator: str
    reps: int = Field(5, ge=1, le=200, description="replicate trials averaged")


def _source_kind(value: Any) -> str:
    kind = value.get("kind", "scenario") if isinstance(value, dict) else getattr(value, "kind", "scenario")
    return kind if kind in ("scenario", "trial") else "scenario"  # an unknown kind fails as a scenario's


Source = Annotated[Annotated[ScenarioSource, Tag("scenario")] | Annotated[TrialSource, Tag("trial")],
                   Discriminator(_source_kind)]


class StatisticSpec(BaseModel):
    """Which statistic (painsim.calibration.statistics) and at which day."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: StatisticName
    day: int | None = Field(None, ge=0, description="day from entry (0 = first simulated day)")
    window: int = Field(1, ge=1, le=365, description="days averaged, ending on `day`")
    baseline_window: int = Field(1, ge=1, le=365, description="days averaged at entry (pain_ratio)")
    responder_class: Literal["non_responder", "transient", "lasting"] | None = None
    trajectory_class: TrajectoryLabel | None = Field(None, description="trajectory pattern (trajectory_share)")
    classes: int | None = Field(None, ge=CLASS_RANGE[0], le=CLASS_RANGE[1],
                                description="number of trajectory classes (trajectory_share; default: by BIC)")
    threshold: float | None = Field(None, ge=0.0, le=10.0,
                                    description="pain level (0-10) of a diary statistic (recovery, flare, recurrence)")
    run_days: int = Field(1, ge=1, le=365, description="consecutive days that make a run (diary statistics)")
    recovery_pain: float = Field(1.0, ge=0.0, le=10.0, description="recovery pain level (recurrence_within)")
    recovery_days: int = Field(7, ge=1, le=365, description="recovery run length (recurrence_within)")

    @model_validator(mode="after")
    def _complete(self) -> StatisticSpec:
        if self.name in NEEDS_DAY and self.day is None:
            raise ValueError(f"statistic {self.name!r} needs a day (e.g. day = 364)")
        if self.name in NEEDS_THRESHOLD and self.threshold is None:
            raise ValueError(f"statistic {self.name!r} needs a threshold (a pain level 0-10, e.g. threshold = 1)")
        if self.name == "responder_share" and self.responder_class is None:
            raise ValueError("statistic 'responder_share' needs responder_class "
                             "('non_responder', 'transient' or 'lasting')")
        if self.name == "trajectory_share":
            self._check_trajectory_share()
        elif self.trajectory_class is not None or self.classes is not None:
            raise ValueError(f"trajectory_class and classes belong to statistic 'trajectory_share', not {self.name!r}")
        return self

    def _check_trajectory_share(self) -> None:
        if self.trajectory_class is None:
            raise ValueError(f"statistic 'trajectory_share' needs trajectory_class ({', '.join(map(repr, LABELS))})")
        if self.day is not None and self.day < 7 * TRAJECTORY_MIN_WEEKS - 1:
            raise ValueError(f"statistic 'trajectory_share' needs at least {TRAJECTORY_MIN_WEEKS} whole weeks: "
                             f"day >= {7 * TRAJECTORY_MIN_WEEKS - 1} (given day = {self.day}; 363 is 52 weeks)")

    def describe(self) -> str:
        parts = [self.name]
        if self.responder_class:
            parts.append(self.responder_class)
        if self.trajectory_class:
            parts.append(self.trajectory_class + (f" ({self.classes} classes)" if self.classes else ""))
        if self.day is not None:
            parts.append(f"day {self.day}" + (f" ({self.window}-day mean)" if self.window > 1 else ""))
        return " ".join(parts)


class Target(BaseModel):
    """One calibration target: a published number with its source and uncertainty."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    citation: str = Field(min_length=1)
    note: str = ""
    source: Source
    statistic: StatisticSpec
    value: float
    band: tuple[float, float]
    sd: float | None = Field(None, gt=0, description="uncertainty for the loss (default: half the band)")
    weight: float = Field(1.0, ge=0)
    holdout: bool = Field(False, description="set aside before fitting: predicted, never fitted")

    @field_validator("band")
    @classmethod
    def _band(cls, band: tuple[float, float]) -> tuple[float, float]:
        if not (math.isfinite(band[0]) and math.isfinite(band[1]) and band[0] < band[1]):
            raise ValueError(f"band must be [low, high] with low < high (given {list(band)})")
        return band

    def describe(self) -> str:
        """The statistic, and for a trial target the comparison it reads."""
        if isinstance(self.source, TrialSource):
            s = self.source
            return f"{self.statistic.name}: {s.outcome} week {s.week}, {s.arm} - {s.comparator} ({s.reps} trials)"
        if self.source.reps > 1:
            return f"{self.statistic.describe()} ({self.source.reps} cohorts)"
        return self.statistic.describe()

    @property
    def scale(self) -> float:
        """The uncertainty used by the loss: ``sd``, else half the band."""
        return self.sd or (self.band[1] - self.band[0]) / 2

    def within(self, simulated: float) -> bool:
        """Whether a simulated value lies in the band (NaN never does)."""
        return bool(math.isfinite(simulated) and self.band[0] <= simulated <= self.band[1])

    def loss(self, simulated: float) -> float:
        """Squared distance outside the band plus a weak pull toward the value, in units of sd."""
        if not math.isfinite(simulated):
            return 100.0 * self.weight
        outside = max(0.0, self.band[0] - simulated, simulated - self.band[1]) / self.scale
        pull = (simulated - self.value) / self.scale
        return self.weight * (outside**2 + 0.1 * pull**2)


class TargetsFile(BaseModel):
    """A whole targets file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "targets"
    title: str = ""
    fit: FitSettings = Field(default_factory=FitSettings)
    parameters: dict[str, ParameterRange] = Field(default_factory=dict)
    scenarios: dict[str, TargetScenario] = Field(default_factory=dict)
    trials: dict[str, TrialSpec] = Field(default_factory=dict)
    targets: list[Target] = Field(min_length=1)

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, parameters: dict[str, ParameterRange]) -> dict[str, ParameterRange]:
        for name, rng in parameters.items():
            check_parameter(name, rng.low, rng.high)
        return parameters

    @model_validator(mode="after")
    def _consistent(self) -> TargetsFile:
        names = [t.name for t in self.targets]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"target names must be unique; repeated: {', '.join(duplicates)}")
        for k, target in enumerate(self.targets):
            if isinstance(target.source, TrialSource):
                self._check_trial_target(k, target)
            else:
                self._check_scenario_target(k, target)
        return self

    def _check_scenario_target(self, k: int, target: Target) -> None:
        source, where = target.source, f"targets.{k}.source"
        if source.scenario not in self.scenarios:
            raise ValueError(f"{where}.scenario: unknown scenario {source.scenario!r} (target "
                             f"{target.name}); scenarios in this file: {', '.join(self.scenarios) or 'none'}")
        scenario = self.scenarios[source.scenario]
        for field, arm in (("arm", source.arm), ("contrast", source.contrast)):
            if arm is not None and arm not in scenario.arms:
                raise ValueError(f"{where}.{field}: unknown arm {arm!r} (target {target.name}); arms of "
                                 f"scenario {source.scenario}: {', '.join(scenario.arms)}")
        if target.statistic.name in TRIAL_STATISTICS:
            raise ValueError(f"targets.{k}.statistic.name: {target.statistic.name!r} is a statistic of a trial "
                             f"comparison; use source.kind = \"trial\" (target {target.name})")
        day = target.statistic.day
        if day is not None and day >= scenario.horizon_days:
            raise ValueError(f"targets.{k}.statistic.day: day {day} is outside the horizon of scenario "
                             f"{source.scenario} ({scenario.horizon_days} days: 0-{scenario.horizon_days - 1})")
        if target.statistic.name in NEEDS_CARE and scenario.arms[source.arm].is_empty:
            raise ValueError(f"targets.{k}.statistic.name: {target.statistic.name!r} needs an arm with "
                             f"care, but arm {source.arm!r} of {source.scenario} has none")

    def _check_trial_target(self, k: int, target: Target) -> None:
        source, where = target.source, f"targets.{k}.source"
        if source.trial not in self.trials:
            raise ValueError(f"{where}.trial: unknown trial {source.trial!r} (target {target.name}); "
                             f"trials in this file: {', '.join(self.trials) or 'none'}")
        spec = self.trials[source.trial]
        for field, arm in (("arm", source.arm), ("comparator", source.comparator)):
            if arm not in spec.arms:
                raise ValueError(f"{where}.{field}: unknown arm {arm!r} (target {target.name}); arms of "
                                 f"trial {source.trial}: {', '.join(spec.arms)}")
        if source.week not in spec.visits.weeks:
            raise ValueError(f"{where}.week: trial {source.trial} has no visit at week {source.week} (target "
                             f"{target.name}); visits: {', '.join(map(str, spec.visits.weeks))}")
        if source.outcome not in spec.outcomes.measures:
            raise ValueError(f"{where}.outcome: trial {source.trial} does not measure {source.outcome!r} "
                             f"(target {target.name}); measures: {', '.join(spec.outcomes.measures)}")
        if target.statistic.name not in TRIAL_STATISTICS:
            raise ValueError(f"targets.{k}.statistic.name: a trial target needs one of "
                             f"{', '.join(TRIAL_STATISTICS)}, not {target.statistic.name!r} (target {target.name})")

    @property
    def text_hash(self) -> str:
        """A hash of the validated file (keys of the sweep results)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def target(self, name: str) -> Target:
        """The target called ``name``."""
        return next(t for t in self.targets if t.name == name)

    @property
    def holdout(self) -> list[str]:
        """The targets the file sets aside (``holdout = true``), in file order."""
        return [t.name for t in self.targets if t.holdout]

    def check_holdout(self, names: list[str]) -> list[str]:
        """Validate ``--holdout`` names (known, and at least one target left in the fit)."""
        known = [t.name for t in self.targets]
        unknown = [n for n in names if n not in known]
        if unknown:
            raise TargetsError(f"--holdout: unknown target(s) {', '.join(unknown)}; targets: {', '.join(known)}")
        if len(set(names)) >= len(known):
            raise TargetsError("--holdout: at least one target must remain in the fit")
        return names


def check_parameter(name: str, low: float | None = None, high: float | None = None) -> str:
    """Raise ValueError unless ``name`` is a model or care parameter and [low, high] is allowed."""
    if name in MODEL_PARAMS:
        field = ModelParams.model_fields[name]
    elif name in CARE_PARAMS:
        field = CareParams.model_fields[name]
    else:
        close = difflib.get_close_matches(name, MODEL_PARAMS + CARE_PARAMS, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown parameter {name!r}{hint}; allowed: model parameters "
                         f"{', '.join(MODEL_PARAMS)}; care parameters {', '.join(CARE_PARAMS)}")
    ge = next((m.ge for m in field.metadata if getattr(m, "ge", None) is not None), None)
    le = next((m.le for m in field.metadata if getattr(m, "le", None) is not None), None)
    for bound in (low, high):
        if bound is None:
            continue
        if (ge is not None and bound < ge) or (le is not None and bound > le):
            allowed = f"[{ge if ge is not None else '-inf'}, {le if le is not None else 'inf'}]"
            raise ValueError(f"parameter {name}: range [{low}, {high}] leaves its allowed range {allowed}")
    return name


def split_params(values: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(model, care) parameter values."""
    model = {k: v for k, v in values.items() if k in MODEL_PARAMS}
    care = {k: v for k, v in values.items() if k in CARE_PARAMS}
    return model, care


def params_of(values: Mapping[str, float]) -> tuple[ModelParams, CareParams]:
    """The model and care parameters of ``values`` (names of either), every other one at its
    default; a ValueError names a value that leaves its allowed range.

    >>> model, care = params_of({"heal_rate": 0.5, "massage_nociception": 0.3})
    >>> model.heal_rate, care.massage_nociception
    (0.5, 0.3)
    """
    model, care = split_params({k: float(v) for k, v in values.items()})
    return ModelParams(**model), CareParams(**care)


def with_parameters(holder: Any, values: Mapping[str, float]) -> Any:
    """A scenario or trial spec with model and care parameter ``values`` (validated; a
    ValueError names the parameter that leaves its allowed range)."""
    model, care = split_params(dict(values))
    unknown = sorted(set(values) - set(model) - set(care))
    if unknown:
        raise ValueError(f"unknown parameters {', '.join(unknown)}")
    return holder.model_copy(update={
        "model": type(holder.model).model_validate({**holder.model.model_dump(), **model}),
        "care_params": type(holder.care_params).model_validate({**holder.care_params.model_dump(), **care})})


def load_targets(path: str | Path) -> tuple[TargetsFile, str]:
    """Read and validate a targets file; return it and its text. Raise TargetsError."""
    text = read_text_file(path, TargetsError, "targets file")
    return parse_targets(text, source=str(path)), text


def parse_targets(text: str, source: str = "<targets>") -> TargetsFile:
    """Validate targets TOML text (``source`` names it in errors)."""
    return parse_toml_model(text, TargetsFile, TargetsError, "targets file", source, prepare=_name_scenarios)


def _name_scenarios(data: dict[str, Any]) -> None:
    # a scenario table's key is its name unless it says otherwise
    for section in ("scenarios", "trials"):
        if isinstance(data.get(section), dict):
            for key, table in data[section].items():
                if isinstance(table, dict):
                    table.setdefault("name", key)
