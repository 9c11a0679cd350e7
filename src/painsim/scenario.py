"""Scenario files (TOML): population, arms (care plans), horizon, n, seed, recording.

A scenario is validated with pydantic; an error names the file, the field path, what was
given and what is allowed, and unknown keys are errors with a "did you mean" when one is
close. ``run_scenario`` simulates every arm on the same cohort (common random numbers), so
differences between arms are due to care alone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from painsim.care import REGISTRY, CareParams, CarePlan, check_plans_fit_horizon
from painsim.economics.spec import EconomicsSpec
from painsim.engine import Cohort, ModelParams, Population, Record, SimulationResult, simulate
from painsim.engine.recording import check_recordable
from painsim.limits import Cost, LimitError, check_arm_count, check_scenario_cost
from painsim.tomlfiles import load_toml_model, parse_toml_model

REPORT_DAYS = (0, 70, 182, 365, 547, 729)


class RecordSpec(BaseModel):
    """What to keep per arm: weekly means of ``variables`` for a sample of ``patients``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variables: tuple[str, ...] = ("pain", "disability", "pain_worst")
    every: int = Field(7, ge=1, le=365)
    patients: int = Field(2000, ge=0)

    @field_validator("variables")
    @classmethod
    def _recordable(cls, variables: tuple[str, ...]) -> tuple[str, ...]:
        return check_recordable(variables)


class Scenario(BaseModel):
    """A scenario: who, which arms, for how long, how many, which seed, what to record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("scenario", min_length=1)
    title: str = ""
    n: int = Field(5000, ge=1, le=10_000_000, description="patients per arm (the same patients in every arm)")
    seed: int = Field(1, ge=0, lt=2**63)
    horizon_days: int = Field(730, ge=7, le=36500)
    population: Population = Field(default_factory=Population)
    model: ModelParams = Field(default_factory=ModelParams)
    care_params: CareParams = Field(default_factory=CareParams)
    record: RecordSpec = Field(default_factory=RecordSpec)
    arms: dict[str, CarePlan] = Field(min_length=1)
    economics: EconomicsSpec = Field(default_factory=EconomicsSpec,
                                     description="costs, utilities and discounting for painsim cea (docs/economics.md)")

    @field_validator("arms")
    @classmethod
    def _not_too_many(cls, arms: dict[str, CarePlan]) -> dict[str, CarePlan]:
        try:
            check_arm_count(len(arms))
        except LimitError as err:
            raise ValueError(err.detail) from None  # the error's location already names the field
        return arms

    @model_validator(mode="after")
    def _schedules_fit_horizon(self) -> Scenario:
        check_plans_fit_horizon(self.arms, self.horizon_days, self.care_params)
        self.cost()  # refuse what cannot finish within the limits (painsim.limits)
        return self

    def cost(self, n: int | None = None) -> Cost:
        """What running this scenario (with ``n`` per arm, default its own) will cost; raises
        :class:`painsim.limits.LimitError` when that is above a documented limit."""
        return check_scenario_cost(self, n)

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def scenario_json_schema(builtin_only: bool = False) -> str:
    """The JSON Schema of scenario files (validation mode), as indented JSON text.

    It covers every registered treatment, plug-ins included; ``builtin_only`` leaves out
    the treatments (and parameters) of plug-in packages, as docs/scenario.schema.json does.
    """
    import json

    schema = Scenario.model_json_schema()
    schema["title"] = "painsim scenario"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if builtin_only:
        _drop_plugins(schema)
    return json.dumps(schema, indent=2, sort_keys=True)


def _drop_plugins(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    for name in REGISTRY.names:
        if REGISTRY.is_builtin(name):
            continue
        defs["CarePlan"]["properties"].pop(name, None)
        defs.pop(REGISTRY.get(name).__name__, None)
        for param, owner in CareParams.owners.items():
            if owner == name:
                defs["CareParams"]["properties"].pop(param, None)


class ScenarioError(ValueError):
    """A scenario file that cannot be read or is not valid; the message is for people."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError with a readable message."""
    return load_toml_model(path, Scenario, ScenarioError, "scenario file")


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML text (``source`` names it in errors)."""
    return parse_toml_model(text, Scenario, ScenarioError, "scenario", source)


@dataclass
class ScenarioResult:
    """Every arm of a scenario, simulated on the same cohort."""

    scenario: Scenario
    cohort: Cohort
    arms: dict[str, SimulationResult]

    def summary(self) -> dict[str, Any]:
        """The per-arm summary object printed by ``painsim run --json`` (docs/cli.md)."""
        from painsim.outcomes.care_outcomes import care_summary, class_shares, relief_durations

        out: dict[str, Any] = {}
        for name, result in self.arms.items():
            daily = result.daily()
            days = [d for d in REPORT_DAYS if d < result.days]
            s = result.summary()
            first = s["first_recovery_day"].to_numpy()
            arm: dict[str, Any] = {
                "n": len(result.cohort),
                "pain_mean": {str(d): round(float(daily["pain_mean"].iloc[d]), 4) for d in days},
                "rmdq_mean": {str(d): round(float(daily["disability_mean"].iloc[d]), 4) for d in days},
                "recovered_fraction_365": float(np.mean(first <= 365)) if result.days > 365 else None,
                "chronic_fraction_end": result.chronic_share(),
            }
            if result.care_outcomes.shape[0]:
                care = care_summary(result)
                durations = relief_durations(result)
                arm["sessions_attended_mean"] = float(care["sessions_attended"].mean())
                arm["cost_mean"] = float(care["cost"].mean())
                arm["relief_days_median"] = float(np.median(durations)) if durations.size else 0.0
                arm["disappointment_mean"] = float(care["disappointment"].mean())
                if "responder_class" in care:
                    arm["responder_classes"] = class_shares(care)
                relief_total = care["relief_days"].sum()
                arm["cost_per_relief_day"] = float(care["cost"].sum() / relief_total) if relief_total else None
            out[name] = arm
        return out


def run_scenario(scenario: Scenario, n: int | None = None, seed: int | None = None, n_jobs: int = 1,
                 progress: Callable[[str, int, int], None] | None = None) -> ScenarioResult:
    """Build the cohort once and simulate every arm on it.

    Raises :class:`painsim.limits.LimitError` if the run (with this ``n``) would exceed a
    documented limit, and :class:`painsim.engine.screening.ScreeningError` if screening
    cannot find ``n`` patients of the population within its limit; ``progress`` is called
    after every screening batch and every arm (an exception it raises stops the run).
    """
    n = n or scenario.n
    seed = scenario.seed if seed is None else seed
    scenario.cost(n)
    report = progress or (lambda stage, done, total: None)
    cohort = Cohort.build(scenario.population, n=n, seed=seed, params=scenario.model, n_jobs=n_jobs,
                          progress=lambda done, total: report("building cohort", done, total))
    spec = scenario.record
    record = Record(variables=spec.variables, every=spec.every, patients=min(spec.patients, n))
    arms = {}
    for k, (name, plan) in enumerate(scenario.arms.items()):
        report(f"arm {name}", k, len(scenario.arms))
        arms[name] = simulate(cohort, scenario.horizon_days, record, n_jobs=n_jobs, care=plan,
                              care_params=scenario.care_params)
        report(f"arm {name}", k + 1, len(scenario.arms))
    return ScenarioResult(scenario=scenario, cohort=cohort, arms=arms)
