"""Scenario files (TOML): population, arms (care plans), horizon, n, seed, recording.

A scenario is validated with pydantic; an error names the file, the field path, what was
given and what is allowed, and unknown keys are errors with a "did you mean" when one is
close. ``run_scenario`` simulates every arm on the same cohort (common random numbers), so
differences between arms are due to care alone.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from painsim.care import CareParams, CarePlan
from painsim.engine import Cohort, ModelParams, Population, Record, SimulationResult, simulate

REPORT_DAYS = (0, 70, 182, 365, 547, 729)


class RecordSpec(BaseModel):
    """What to keep per arm: weekly means of ``variables`` for a sample of ``patients``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variables: tuple[str, ...] = ("pain", "disability", "pain_worst")
    every: int = Field(7, ge=1, le=365)
    patients: int = Field(2000, ge=0)


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

    @model_validator(mode="after")
    def _schedules_fit_horizon(self) -> Scenario:
        for name, plan in self.arms.items():
            try:
                plan.compile(self.horizon_days, self.care_params)
            except ValueError as err:
                raise ValueError(f"arms.{name}.{err}") from None
        return self

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def scenario_json_schema() -> str:
    """The JSON Schema of scenario files (validation mode), as indented JSON text."""
    import json

    schema = Scenario.model_json_schema()
    schema["title"] = "painsim scenario"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True)


class ScenarioError(ValueError):
    """A scenario file that cannot be read or is not valid; the message is for people."""


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise ScenarioError with a readable message."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as err:
        raise ScenarioError(f"{path}: cannot read the scenario file ({err.strerror})") from None
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, source: str = "<scenario>") -> Scenario:
    """Validate scenario TOML text (``source`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{source}: not valid TOML: {err}") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_explain(err, text, source)) from None


def _explain(err: ValidationError, text: str, source: str) -> str:
    lines = [f"{source}: {err.error_count()} problem(s) in the scenario:"]
    for problem in err.errors():
        loc = [str(part) for part in problem["loc"]]
        path = ".".join(loc) or "(top level)"
        where = _line_of(text, loc)
        given = problem.get("input")
        if problem["type"] == "extra_forbidden":
            hint = _did_you_mean(loc, problem)
            message = f"unknown key '{loc[-1]}'{hint}"
        else:
            message = problem["msg"]
            if not isinstance(given, dict | list):
                message += f" (given: {given!r})"
        lines.append(f"  - {path}{where}: {message}")
    return "\n".join(lines)


def _line_of(text: str, loc: list[str]) -> str:
    key = loc[-1] if loc else ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(f"{key} ") or stripped.startswith(f"{key}=") or stripped.endswith(f".{key}]") \
                or stripped == f"[{key}]" or f" {key} =" in stripped or f"{{{key} =" in stripped:
            return f" (line {number})"
    return ""


def _did_you_mean(loc: list[str], problem: dict[str, Any]) -> str:
    allowed = _allowed_keys(loc[:-1])
    key = loc[-1]
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6) or [a for a in allowed if key in a]
    options = f"; allowed: {', '.join(sorted(allowed))}" if allowed else ""
    return f" (did you mean '{close[0]}'?){options}" if close else options


def _allowed_keys(parent: list[str]) -> list[str]:
    model: Any = Scenario
    for part in parent:
        if model is Scenario and part == "arms":
            model = dict
            continue
        if model is dict:
            model = CarePlan
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
        model = args[0] if args else annotation
    return list(getattr(model, "model_fields", {}))


@dataclass
class ScenarioResult:
    """Every arm of a scenario, simulated on the same cohort."""

    scenario: Scenario
    cohort: Cohort
    arms: dict[str, SimulationResult]

    def summary(self) -> dict[str, Any]:
        """The per-arm summary object printed by ``painsim run --json`` (docs/cli.md)."""
        from painsim.outcomes.care_outcomes import class_shares, relief_durations

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
                care = result.care_summary()
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
    """Build the cohort once and simulate every arm on it."""
    n = n or scenario.n
    seed = scenario.seed if seed is None else seed
    report = progress or (lambda stage, done, total: None)
    cohort = Cohort.build(scenario.population, n=n, seed=seed, params=scenario.model,
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
