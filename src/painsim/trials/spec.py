"""Trial specifications (TOML): eligibility, arms, randomisation, visits, outcomes, follow-up
and analysis of a parallel-group randomised trial run on virtual patients.

A spec is validated with pydantic; errors name the file, the field path (with its line when
it can be found), what was given and what is allowed, as scenario files do
(:mod:`painsim.scenario`). See docs/trials.md for a complete example.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from painsim.care import CareParams, CarePlan, check_plans_fit_horizon
from painsim.engine import ModelParams, Population
from painsim.engine.population import DurationShare
from painsim.limits import Cost, LimitError, check_arm_count, check_trial_cost
from painsim.scenario import ScenarioError
from painsim.tomlfiles import load_toml_model, parse_toml_model

#: Outcome names of a trial and the engine variable each is read from (docs/model.md).
OUTCOMES: dict[str, str] = {"rmdq": "disability", "pain": "pain"}
SCHEMES: tuple[str, ...] = ("simple", "complete", "blocks", "stratified")
MISSING: tuple[str, ...] = ("mi", "mixed", "complete_case")
MAX_N_PER_ARM = 1_000_000
_FROZEN = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class TrialSpecError(ScenarioError):
    """A trial spec that cannot be read or is not valid; the message is for people."""


#: Days in each unit of a duration of pain (eligibility.min_duration_* / max_duration_*).
DURATION_UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12}
#: Minimum duration of a chronic entry when eligibility gives none: 3 months.
DEFAULT_CHRONIC_MONTHS = 3.0


class Eligibility(BaseModel):
    """Who is randomised: baseline (run-in) pain and RMDQ ranges and duration of pain.

    The duration of pain at screening is bounded by at most one ``min_duration_*`` and one
    ``max_duration_*`` (days, weeks or months; a month is 365.25 / 12 days, a minimum is
    rounded up and a maximum down to whole days). Together with the population's entry they
    set who is screened (:meth:`TrialSpec.screening_population`).
    """

    model_config = _FROZEN

    min_pain: float = Field(4.0, ge=0, le=10, description="baseline mean pain NRS >= this")
    max_pain: float = Field(10.0, ge=0, le=10, description="baseline mean pain NRS <= this")
    min_rmdq: float = Field(3.0, ge=0, le=24, description="baseline RMDQ-like disability >= this")
    max_rmdq: float = Field(24.0, ge=0, le=24, description="baseline RMDQ-like disability <= this")
    min_duration_days: int | None = Field(None, ge=0, le=3650, description="pain for at least this many days")
    min_duration_weeks: float | None = Field(None, ge=0, le=521, description="pain for at least this many weeks")
    min_duration_months: float | None = Field(
        None, ge=0, le=120, description="pain for at least this many months (chronic entry default: 3)")
    max_duration_days: int | None = Field(None, ge=0, le=3650, description="pain for at most this many days")
    max_duration_weeks: float | None = Field(None, ge=0, le=521, description="pain for at most this many weeks")
    max_duration_months: float | None = Field(None, ge=0, le=120, description="pain for at most this many months")
    screening_days: int = Field(7, ge=1, le=28, description="run-in days over which baseline is measured")

    @model_validator(mode="after")
    def _ranges(self) -> Eligibility:
        if self.min_pain > self.max_pain:
            raise ValueError(f"min_pain ({self.min_pain}) is above max_pain ({self.max_pain})")
        if self.min_rmdq > self.max_rmdq:
            raise ValueError(f"min_rmdq ({self.min_rmdq}) is above max_rmdq ({self.max_rmdq})")
        for bound in ("min", "max"):
            given = [f"{bound}_duration_{unit}" for unit in DURATION_UNITS if getattr(self, f"{bound}_duration_{unit}")
                     is not None]
            if len(given) > 1:
                raise ValueError(f"{' and '.join(given)} both bound the duration of pain from "
                                 f"{'below' if bound == 'min' else 'above'}; give one of them")
        if self.min_days is not None and self.max_days is not None and self.max_days < self.min_days:
            raise ValueError(f"{self.max_duration_field} ({self.describe_bound('max')}) is below "
                             f"{self.min_duration_field} ({self.describe_bound('min')}): no duration of pain is "
                             "in that range")
        return self

    def _bound(self, bound: str) -> tuple[str, float] | None:
        for unit in DURATION_UNITS:
            value = getattr(self, f"{bound}_duration_{unit}")
            if value is not None:
                return unit, value
        return None

    @property
    def min_duration_field(self) -> str | None:
        """The field that gives the minimum duration (``min_duration_weeks`` ...), if any."""
        given = self._bound("min")
        return f"min_duration_{given[0]}" if given else None

    @property
    def max_duration_field(self) -> str | None:
        """The field that gives the maximum duration, if any."""
        given = self._bound("max")
        return f"max_duration_{given[0]}" if given else None

    @property
    def min_days(self) -> int | None:
        """The minimum duration of pain in whole days (rounded up), if one is given."""
        given = self._bound("min")
        return None if given is None else math.ceil(given[1] * DURATION_UNITS[given[0]] - 1e-9)

    @property
    def max_days(self) -> int | None:
        """The maximum duration of pain in whole days (rounded down), if one is given."""
        given = self._bound("max")
        return None if given is None else math.floor(given[1] * DURATION_UNITS[given[0]] + 1e-9)

    def describe_bound(self, bound: str) -> str:
        """A bound as given and in days, e.g. ``"8 months = 243 days"``."""
        unit, value = self._bound(bound)  # type: ignore[misc]
        days = self.min_days if bound == "min" else self.max_days
        return f"{value:g} {unit}" if unit == "days" else f"{value:g} {unit} = {days:,} days"


class Arm(CarePlan):
    """One arm: a care plan (any care modules, sham or usual care) plus its size.

    ``n`` is the target number randomised; ``ratio`` is the arm's share in each block of the
    permuted-block schemes (simple randomisation allocates with probabilities proportional
    to ``n``; complete randomisation allocates exactly ``n``).
    """

    n: int = Field(ge=2, le=MAX_N_PER_ARM, description="participants randomised to this arm")
    ratio: int = Field(1, ge=1, le=20, description="allocation ratio in permuted blocks")
    label: str = ""

    def plan(self) -> CarePlan:
        """The care plan of this arm (without trial fields)."""
        return CarePlan(**{k: getattr(self, k) for k in CarePlan.model_fields})


class Randomisation(BaseModel):
    """How participants are allocated (in enrolment order)."""

    model_config = _FROZEN

    scheme: Literal["simple", "complete", "blocks", "stratified"] = "blocks"
    block_sizes: tuple[int, ...] | None = Field(
        None, min_length=1, description="block sizes, chosen at random per block (multiples of the sum of the "
                                        "ratios; default: once and twice the sum)")
    strata: dict[Literal["pain", "rmdq"], tuple[float, ...]] = Field(
        default_factory=dict, description="stratified: baseline cut points, e.g. {rmdq = [12]}")

    @field_validator("block_sizes")
    @classmethod
    def _positive(cls, sizes: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if sizes is not None and any(s < 1 for s in sizes):
            raise ValueError(f"block sizes must be positive integers, got {list(sizes)}")
        return sizes

    @field_validator("strata")
    @classmethod
    def _cuts(cls, strata: dict[str, tuple[float, ...]]) -> dict[str, tuple[float, ...]]:
        for name, cuts in strata.items():
            if not cuts or list(cuts) != sorted(set(cuts)):
                raise ValueError(f"strata.{name}: cut points must be a non-empty increasing list, got {list(cuts)}")
        return strata

    @model_validator(mode="after")
    def _stratified_needs_strata(self) -> Randomisation:
        if self.scheme == "stratified" and not self.strata:
            raise ValueError("scheme 'stratified' needs strata, e.g. strata = { rmdq = [12] }")
        return self


class Visits(BaseModel):
    """Follow-up visits, in weeks after randomisation (baseline is week 0)."""

    model_config = _FROZEN

    weeks: tuple[int, ...] = Field(min_length=1, description="visit weeks after randomisation (>= 1)")

    @field_validator("weeks")
    @classmethod
    def _increasing(cls, weeks: tuple[int, ...]) -> tuple[int, ...]:
        if any(w < 1 or w > 520 for w in weeks) or list(weeks) != sorted(set(weeks)):
            raise ValueError(f"visit weeks must be strictly increasing integers in 1-520, got {list(weeks)}")
        return weeks


class Primary(BaseModel):
    """The primary comparison (used by ``painsim trial power``)."""

    model_config = _FROZEN

    outcome: Literal["rmdq", "pain"] = "rmdq"
    week: int | None = Field(None, description="default: the first visit")
    arm: str | None = Field(None, description="default: the first arm that is not the comparator")
    comparator: str | None = Field(None, description="default: the first comparator")


class Outcomes(BaseModel):
    """Outcomes measured at each visit and responder definitions."""

    model_config = _FROZEN

    measures: tuple[Literal["rmdq", "pain"], ...] = Field(("rmdq", "pain"), min_length=1)
    responder_thresholds: tuple[float, ...] = Field(
        (0.3, 0.5), description="responder: improvement from baseline of at least this share")
    primary: Primary = Field(default_factory=Primary)
    rmdq_measurement_sd: float = Field(
        2.0, ge=0, le=6,
        description="SD of the RDQ questionnaire's measurement error at baseline and at each visit (points); "
                    "the score is then rounded to whole items and kept in 0-24. Default: a minimum detectable "
                    "change (90%) of 4-5 points (Stratford et al. 1996, Phys Ther 76:359), i.e. a standard "
                    "error of measurement of about 4.5 / (1.645 sqrt 2) = 1.9. 0 reads the model's disability "
                    "without error.")

    @field_validator("responder_thresholds")
    @classmethod
    def _shares(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        if any(not 0 < v <= 1 for v in values):
            raise ValueError(f"responder thresholds are shares in (0, 1], got {list(values)}")
        return values


class FollowUp(BaseModel):
    """Loss to follow-up. Stopping care is decided by the attendance model in the kernel;
    clients who stopped are then more often lost to follow-up."""

    model_config = _FROZEN

    loss_per_visit: float = Field(0.02, ge=0, le=1, description="chance of being lost at each visit (everyone)")
    loss_after_care_dropout: float = Field(
        0.3, ge=0, le=1, description="chance of being lost once, after stopping the allocated care")
    missed_visit: float = Field(0.02, ge=0, le=1, description="chance of missing one visit (intermittent)")


class Analysis(BaseModel):
    """How the trial is analysed (intention to treat: everyone as randomised)."""

    model_config = _FROZEN

    comparators: tuple[str, ...] = Field((), description="each other arm is compared with each of these")
    comparisons: tuple[tuple[str, str], ...] = Field(
        (), description="explicit [arm, comparator] pairs (added to those from comparators)")
    missing: Literal["mi", "mixed", "complete_case"] = "mi"
    imputations: int = Field(20, ge=2, le=500, description="multiple imputation: number of imputed data sets")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="two-sided level; CIs are 1 - alpha")


class Power(BaseModel):
    """Defaults of ``painsim trial power``."""

    model_config = _FROZEN

    reps: int = Field(200, ge=1, le=100_000)
    missing: Literal["mi", "mixed", "complete_case"] | None = Field(
        None, description="analysis used for power (default: the trial's)")


class TrialSpec(BaseModel):
    """A parallel-group randomised trial on virtual patients."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("trial", min_length=1)
    title: str = ""
    source: str = Field("", description="the trial this spec replicates (citation)")
    seed: int = Field(1, ge=0, lt=2**63)
    population: Population = Field(default_factory=Population)
    model: ModelParams = Field(default_factory=ModelParams)
    care_params: CareParams = Field(default_factory=CareParams)
    eligibility: Eligibility = Field(default_factory=Eligibility)
    arms: dict[str, Arm] = Field(min_length=2)
    randomisation: Randomisation = Field(default_factory=Randomisation)
    visits: Visits
    outcomes: Outcomes = Field(default_factory=Outcomes)
    follow_up: FollowUp = Field(default_factory=FollowUp)
    analysis: Analysis = Field(default_factory=Analysis)
    power: Power = Field(default_factory=Power)

    @field_validator("arms")
    @classmethod
    def _not_too_many(cls, arms: dict[str, Arm]) -> dict[str, Arm]:
        try:
            check_arm_count(len(arms))
        except LimitError as err:
            raise ValueError(err.detail) from None  # the error's location already names the field
        return arms

    @model_validator(mode="after")
    def _consistent(self) -> TrialSpec:
        names = list(self.arms)
        horizon = self.horizon_days
        check_plans_fit_horizon({name: arm.plan() for name, arm in self.arms.items()}, horizon, self.care_params)
        for where, arm_name in self._named_arms():
            if arm_name not in self.arms:
                raise ValueError(f"{where}: unknown arm {arm_name!r}; arms: {names}")
        for arm, comparator in self.analysis.comparisons:
            if arm == comparator:
                raise ValueError(f"analysis.comparisons: [{arm!r}, {comparator!r}] compares an arm with itself")
        primary = self.outcomes.primary
        if primary.week is not None and primary.week not in self.visits.weeks:
            raise ValueError(f"outcomes.primary.week: {primary.week} is not a visit week; visits: "
                             f"{list(self.visits.weeks)}")
        if primary.outcome not in self.outcomes.measures:
            raise ValueError(f"outcomes.primary.outcome: {primary.outcome!r} is not measured; measures: "
                             f"{list(self.outcomes.measures)}")
        ratio_sum = sum(a.ratio for a in self.arms.values())
        if self.randomisation.scheme in ("blocks", "stratified") and self.randomisation.block_sizes is not None:
            bad = [s for s in self.randomisation.block_sizes if s % ratio_sum]
            if bad:
                raise ValueError(f"randomisation.block_sizes: {bad} not a multiple of the sum of the arm ratios "
                                 f"({ratio_sum})")
        self._entry()  # an entry and eligibility that cannot be had together are an error
        self.cost()  # refuse what cannot finish within the limits (painsim.limits)
        return self

    def cost(self) -> Cost:
        """What one run of this trial will cost; raises :class:`painsim.limits.LimitError`
        when that is above a documented limit."""
        return check_trial_cost(self)

    def _named_arms(self) -> list[tuple[str, str]]:
        named = [("analysis.comparators", c) for c in self.analysis.comparators]
        for arm, comparator in self.analysis.comparisons:
            named += [("analysis.comparisons", arm), ("analysis.comparisons", comparator)]
        primary = self.outcomes.primary
        named += [("outcomes.primary.arm", a) for a in (primary.arm,) if a is not None]
        named += [("outcomes.primary.comparator", c) for c in (primary.comparator,) if c is not None]
        return named

    @property
    def block_sizes(self) -> tuple[int, ...]:
        """Block sizes used (default: once and twice the sum of the ratios)."""
        ratio_sum = sum(a.ratio for a in self.arms.values())
        return self.randomisation.block_sizes or (ratio_sum, 2 * ratio_sum)

    @property
    def horizon_days(self) -> int:
        """Days simulated after randomisation: through the last visit week."""
        return 7 * max(self.visits.weeks)

    @property
    def n_total(self) -> int:
        """Participants randomised in all arms together."""
        return sum(a.n for a in self.arms.values())

    def screening_population(self) -> Population:
        """The population screened: the spec's population (its entry kept) with its durations
        of pain bounded by the eligibility's ``min_duration_*`` and ``max_duration_*``.

        A chronic entry has pain for at least 3 months unless eligibility says otherwise, and
        enters at its minimum duration unless a maximum is given (population.chronic_max_days
        or eligibility.max_duration_*); a subacute window and the bands of a consulter mixture
        are cut to the eligibility's range (a band's share in proportion to the days left).
        """
        return self._entry()[0]

    def entry_day_field(self) -> str:
        """The field that sets the longest duration of pain screened for (for messages)."""
        return self._entry()[1]

    def _entry(self) -> tuple[Population, str]:
        """(the population screened, the field that sets its longest duration); ValueError
        naming the field when the entry and the eligibility's durations cannot be had together."""
        population, elig = self.population, self.eligibility
        low, high = elig.min_days, elig.max_days
        low_field = f"eligibility.{elig.min_duration_field}"
        high_field = f"eligibility.{elig.max_duration_field}"
        if population.entry == "acute":
            if low:
                raise ValueError(f"{low_field}: an acute entry (population.entry = \"acute\") enrols patients at the "
                                 f"onset of their episode (0 days of pain); a minimum of {elig.describe_bound('min')} "
                                 "cannot be had: remove it, or choose entry \"subacute\", \"chronic\" or "
                                 "\"consulters\"")
            return population, "population.entry"
        if population.entry == "chronic":
            return self._chronic_entry(low, high, low_field, high_field)
        if population.entry == "subacute":
            return self._subacute_entry(low, high, low_field, high_field)
        return self._consulter_entry(low, high, low_field, high_field)

    def _chronic_entry(self, low: int | None, high: int | None, low_field: str,
                       high_field: str) -> tuple[Population, str]:
        population = self.population
        if low is None:
            low, low_field = math.ceil(DEFAULT_CHRONIC_MONTHS * 365.25 / 12), "eligibility.min_duration_months"
            low_text = f"{low_field}, default {DEFAULT_CHRONIC_MONTHS:g}"
        else:
            low_text = f"{low_field} = {self.eligibility.describe_bound('min')}"
        if population.chronic_min_days >= low:
            low, low_field = population.chronic_min_days, "population.chronic_min_days"
            low_text = low_field
        longest, longest_field = population.chronic_max_days, "population.chronic_max_days"
        if high is not None and (longest is None or high < longest):
            longest, longest_field = high, high_field
        if longest is None:
            return population.model_copy(update={"chronic_min_days": low}), low_field
        if longest < low:
            raise ValueError(f"{longest_field}: a chronic entry has pain for at least {low:,} days ({low_text}); a "
                             f"maximum of {longest:,} days cannot be had: raise it, or choose entry \"subacute\" or "
                             "\"consulters\" for shorter durations")
        return population.model_copy(update={"chronic_min_days": low, "chronic_max_days": longest}), longest_field

    def _subacute_entry(self, low: int | None, high: int | None, low_field: str,
                        high_field: str) -> tuple[Population, str]:
        population = self.population
        shortest, longest, longest_field = population.subacute_min_days, population.subacute_max_days, \
            "population.subacute_max_days"
        if low is not None and low > shortest:
            shortest = low
        if high is not None and high < longest:
            longest, longest_field = high, high_field
        if longest < shortest:
            bounds = self._bounds_text(low, high, low_field, high_field)
            raise ValueError(f"{low_field if low is not None and low > longest else high_field}: a subacute entry has "
                             f"pain for {population.subacute_min_days:,} to {population.subacute_max_days:,} days "
                             f"(population.subacute_min_days, population.subacute_max_days); with {bounds} no "
                             "duration is left: widen them, or choose entry \"chronic\" or \"consulters\"")
        return (population.model_copy(update={"subacute_min_days": shortest, "subacute_max_days": longest}),
                longest_field)

    def _bounds_text(self, low: int | None, high: int | None, low_field: str, high_field: str) -> str:
        elig = self.eligibility
        given = [(low_field, "min", low), (high_field, "max", high)]
        return " and ".join(f"{field} ({elig.describe_bound(bound)})" for field, bound, v in given if v is not None)

    def _consulter_entry(self, low: int | None, high: int | None, low_field: str,
                         high_field: str) -> tuple[Population, str]:
        bands = []
        for band in self.population.consulter_durations:
            shortest = max(band.min_days, low or 0)
            longest = band.max_days if high is None else min(band.max_days, high)
            if shortest <= longest:  # the share of the band's days left
                share = band.share * (longest - shortest + 1) / (band.max_days - band.min_days + 1)
                bands.append(DurationShare(min_days=shortest, max_days=longest, share=share))
        if not bands:
            bounds = self._bounds_text(low, high, low_field, high_field)
            raise ValueError(f"{low_field if low is not None else high_field}: no band of "
                             f"population.consulter_durations has a duration of pain allowed by {bounds}")
        return self.population.model_copy(update={"consulter_durations": tuple(bands)}), \
            "population.consulter_durations"

    def comparison_pairs(self) -> list[tuple[str, str]]:
        """(arm, comparator) pairs analysed: explicit pairs, then every arm vs each comparator.
        With neither given, the comparators are the arms without added care (usual care or
        none), else the sham arms, else the last arm."""
        names = list(self.arms)
        comparators = list(self.analysis.comparators) or ([] if self.analysis.comparisons else self.default_controls())
        pairs = list(self.analysis.comparisons)
        for comparator in comparators:
            for arm in names:
                if arm != comparator and (arm, comparator) not in pairs and (comparator, arm) not in pairs:
                    pairs.append((arm, comparator))
        return pairs

    def default_controls(self) -> list[str]:
        """Arms without added care, else sham arms, else the last arm."""
        controls = [name for name, arm in self.arms.items() if arm.plan().is_empty]
        controls = controls or [name for name, arm in self.arms.items() if arm.sham is not None and arm.massage is None]
        return controls or [list(self.arms)[-1]]

    def primary(self) -> tuple[str, int, str, str]:
        """(outcome, week, arm, comparator) of the primary comparison."""
        p = self.outcomes.primary
        pairs = self.comparison_pairs()
        comparator = p.comparator or pairs[0][1]
        arm = p.arm or next((a for a, c in pairs if c == comparator), pairs[0][0])
        if arm == comparator:
            arm = next(a for a in self.arms if a != comparator)
        return p.outcome, p.week or self.visits.weeks[0], arm, comparator

    def with_n(self, n: int) -> TrialSpec:
        """The same trial with ``n`` participants per arm."""
        arms = {name: arm.model_copy(update={"n": n}) for name, arm in self.arms.items()}
        return self.model_copy(update={"arms": arms})


#: Top-level tables that only a trial spec has (a scenario file has none of them).
TRIAL_ONLY_KEYS: tuple[str, ...] = ("eligibility", "randomisation", "visits", "outcomes", "follow_up", "analysis",
                                    "power", "source")


def is_trial_spec(text: str) -> bool:
    """Whether TOML ``text`` is a trial spec rather than a scenario file: it has a top-level key
    only trial specs have (``[visits]``, ``[eligibility]``, ``[randomisation]``, ...). Text
    that is not valid TOML is not a trial spec (the scenario reader then explains the error)."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return False
    return any(key in data for key in TRIAL_ONLY_KEYS)


def load_trial(path: str | Path) -> TrialSpec:
    """Read and validate a trial spec; raise TrialSpecError with a readable message."""
    return load_toml_model(path, TrialSpec, TrialSpecError, "trial spec")


def parse_trial(text: str, source: str = "<trial>") -> TrialSpec:
    """Validate trial spec TOML text (``source`` names it in errors)."""
    return parse_toml_model(text, TrialSpec, TrialSpecError, "trial spec", source)
