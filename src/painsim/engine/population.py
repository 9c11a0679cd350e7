"""Populations: who the virtual patients are when they enter.

Traits are drawn once per patient from a Gaussian copula with logit-normal marginals:
``z ~ N(0, R)``, ``trait_k = expit(logit(median_k) + spread_k * z_k)``. Each patient's
normal draws are keyed by (seed, patient id), so patient *i* is the same person in a
cohort of 100 or of 1,000,000, and in every chunk.

Entry (docs/model.md, "Populations"): a patient with duration *d* of pain at entry is a
patient whose acute episode started *d* days ago and who still meets the pain criterion at
day *d*. Every population but the acute one is built from that one mechanism
(:mod:`painsim.engine.screening`): candidates are simulated from onset for their drawn
duration and those still in pain are kept, so the model's own natural history decides who
is still in pain. The entries:

* ``"acute"`` (:func:`acute_episode`): at onset, duration 0;
* ``"subacute"`` (:func:`subacute_low_back_pain`): a window of durations, by default 2-12
  weeks (``subacute_min_days``, ``subacute_max_days``);
* ``"chronic"`` (:func:`chronic_low_back_pain`): pain persisting for ``chronic_min_days``
  (>= 90), or for a duration in ``chronic_min_days``-``chronic_max_days``;
* ``"consulters"`` (:func:`primary_care_consulters`): a mixture of durations at
  consultation in primary care (``consulter_durations``; default: the IMPaCT Back cohort,
  Foster et al. 2014).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy.special import expit, logit

from painsim.engine import rng
from painsim.engine.variables import TRAITS


class TraitMarginal(BaseModel):
    """Logit-normal marginal of a trait on 0-1: its median and its spread (logit-scale SD)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    median: float = Field(gt=0.0, lt=1.0, description="median of the trait, in (0, 1)")
    spread: float = Field(ge=0.0, le=5.0, description="SD on the logit scale, in [0, 5]")


# Defaults: medians at 0.5 (the trait scales its process by 1 at the median) except where a
# population mean is known on a 0-1 rescaled instrument; spreads give a 10-90% range of
# roughly 0.25-0.75 (spread 0.85).
DEFAULT_MARGINALS: dict[str, TraitMarginal] = {
    name: TraitMarginal(median=0.5, spread=0.85) for name in TRAITS
}
DEFAULT_MARGINALS["self_efficacy"] = TraitMarginal(median=0.6, spread=0.85)
DEFAULT_MARGINALS["social_support"] = TraitMarginal(median=0.6, spread=0.85)
DEFAULT_MARGINALS["work_strain"] = TraitMarginal(median=0.35, spread=0.85)
# Skewed: most backs carry little persistent drive, a minority much (docs/model.md, "Set-points").
DEFAULT_MARGINALS["tissue_vulnerability"] = TraitMarginal(median=0.3, spread=1.2)

# Correlations on the normal scale (documented with sources in docs/model.md).
DEFAULT_CORRELATIONS: dict[tuple[str, str], float] = {
    ("catastrophizing", "stress_reactivity"): 0.4,
    ("catastrophizing", "self_efficacy"): -0.4,
    ("catastrophizing", "pain_sensitivity"): 0.3,
    ("sleep_vulnerability", "stress_reactivity"): 0.3,
    ("social_support", "resources"): 0.3,
    ("work_strain", "resources"): -0.3,
    ("social_support", "catastrophizing"): -0.2,
    ("self_efficacy", "resources"): 0.2,
}


#: The entries a population can have (docs/model.md, "Populations").
ENTRIES: tuple[str, ...] = ("acute", "subacute", "chronic", "consulters")
Entry = Literal["acute", "subacute", "chronic", "consulters"]
#: Shortest duration of chronic pain (days): three months.
CHRONIC_DAYS = 90
#: Longest duration of pain at entry (days): ten years.
MAX_DURATION_DAYS = 3650


class DurationShare(BaseModel):
    """One band of durations of pain at entry and its share of the population."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    min_days: int = Field(ge=1, le=MAX_DURATION_DAYS, description="shortest duration of pain in the band (days)")
    max_days: int = Field(ge=1, le=MAX_DURATION_DAYS, description="longest duration of pain in the band (days)")
    share: float = Field(gt=0, le=1e6, description="share of the population (shares are normalised to sum 1)")

    @model_validator(mode="after")
    def _ordered(self) -> DurationShare:
        if self.min_days > self.max_days:
            raise ValueError(f"min_days ({self.min_days}) is above max_days ({self.max_days})")
        return self


# Duration of the back-pain episode of adults consulting their family physician (IMPaCT Back:
# Foster et al. 2014, Ann Fam Med 12:102-111, table 1, both phases pooled, n = 922): < 1 month
# 169 (18.3%), 1-3 months 164 (17.8%), 3-6 months 186 (20.2%), 6 months to 3 years 212 (23.0%),
# > 3 years 191 (20.7%). The upper end of the last band (10 years) is painsim's assumption.
IMPACT_BACK_DURATIONS: tuple[DurationShare, ...] = (
    DurationShare(min_days=1, max_days=30, share=0.183),
    DurationShare(min_days=31, max_days=91, share=0.178),
    DurationShare(min_days=92, max_days=182, share=0.202),
    DurationShare(min_days=183, max_days=1095, share=0.230),
    DurationShare(min_days=1096, max_days=MAX_DURATION_DAYS, share=0.207),
)


@dataclass(frozen=True)
class EntryWindow:
    """Durations of pain at entry a population's patients are drawn from (days), their share
    of the population, and the fields of the population that set them (for messages)."""

    min_days: int
    max_days: int
    share: float = 1.0
    fields: str = ""

    def durations(self) -> np.ndarray:
        """The durations a candidate can have: ``max_days``, ``max_days - 7``, ... down to
        ``min_days`` (whole weeks below the longest, so that every candidate's weeks since
        onset line up with its entry day: docs/model.md, "Populations")."""
        return np.arange(self.max_days, self.min_days - 1, -7, dtype=np.int64)

    def describe(self) -> str:
        """The window in words: ``"90 days"`` or ``"14 to 84 days"``."""
        if self.min_days == self.max_days:
            return f"{self.max_days:,} days"
        return f"{self.min_days:,} to {self.max_days:,} days"


#: The pain criteria at entry (docs/model.md, "Entry"). Screened cohorts and trials: moderate
#: pain (>= 4) in the week of screening, after an episode that never fell to mild (a 4-week
#: mean of 2 or less). Consulters: the cohorts of primary-care consulters (IMPaCT Back, Foster
#: et al. 2014; Kongsted et al. 2015) set no minimum pain, so a consulter has pain above the
#: recovered range (``recovered_pain``, 2) in the week of consulting, in an episode that
#: never had a pain-free month (a 4-week mean of 1 or less; an episode ends after a month
#: without pain: de Vet et al. 2002, Spine 27:2409).
ENTRY_PAIN: dict[str, float] = {"chronic_min_pain": 4.0, "persistent_min_pain": 2.0}
#: Consulting in a worse spell: people seek care, and enrol in trials, when pain "flares up or
#: exceeds its characteristic severity", so part of the improvement after entry is regression
#: to the mean (Whitney & Von Korff 1992, Pain 50:281-285). A screened candidate's weekly mean
#: pain in the week before entry must be at least ``entry_rise`` above the mean of the
#: ``entry_rise_weeks`` weeks before it, in an episode of chronic duration (>= 90 days: a
#: usual level to exceed; shorter episodes are consulted for at onset). The size of the rise
#: is calibrated (docs/validation.md); the 4-week comparison is an assumption.
ENTRY_RISE = 1.0
ENTRY_RISE_WEEKS = 4
CONSULTER_ENTRY_PAIN: dict[str, float] = {"chronic_min_pain": 2.0, "persistent_min_pain": 1.0}


class Population(BaseModel):
    """A population of virtual patients: trait distribution and entry condition.

    Examples
    --------
    >>> from painsim.engine.population import chronic_low_back_pain
    >>> pop = chronic_low_back_pain()
    >>> pop.entry
    'chronic'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = "population"
    entry: Entry = Field("chronic", description="acute (at onset), subacute (a window of durations), chronic "
                                                "(pain for >= 90 days) or consulters (primary-care mixture)")
    marginals: dict[str, TraitMarginal] = Field(default_factory=lambda: dict(DEFAULT_MARGINALS))
    correlations: dict[str, float] = Field(
        default_factory=lambda: {f"{a}~{b}": r for (a, b), r in DEFAULT_CORRELATIONS.items()},
        description="pairwise correlations on the normal scale, keyed 'trait_a~trait_b'",
    )
    chronic_min_pain: float = Field(
        ENTRY_PAIN["chronic_min_pain"], ge=0.0, le=10.0,
        description="the pain at entry of every entry but acute: weekly mean pain at least this in the last week "
                    "before entry (when a person consults or is screened); default 4, consulters "
                    f"{CONSULTER_ENTRY_PAIN['chronic_min_pain']:g}")
    persistent_min_pain: float = Field(
        ENTRY_PAIN["persistent_min_pain"], ge=0.0, le=10.0,
        description="pain persisting since onset, for every entry but acute: mean pain above this in every 4-week "
                    "block of the episode before the last week; default 2, consulters "
                    f"{CONSULTER_ENTRY_PAIN['persistent_min_pain']:g}")
    entry_rise: float = Field(
        ENTRY_RISE, ge=-10.0, le=10.0,
        description="every entry but acute, for episodes of 90 days or more: weekly mean pain in the last week before "
                    "entry at least this many points above the mean of the entry_rise_weeks weeks before it (people "
                    "consult in a worse spell: Whitney & Von Korff 1992); calibrated, default 1")
    entry_rise_weeks: int = Field(
        ENTRY_RISE_WEEKS, ge=0, le=52,
        description="weeks before the last that entry_rise compares with; 0 switches the comparison off")
    chronic_min_days: int = Field(CHRONIC_DAYS, ge=7, le=MAX_DURATION_DAYS,
                                  description="chronic entry: days of persistent pain, at least 90")
    chronic_max_days: int | None = Field(
        None, ge=CHRONIC_DAYS, le=MAX_DURATION_DAYS,
        description="chronic entry: longest duration (days); default: every patient enters at chronic_min_days")
    subacute_min_days: int = Field(14, ge=1, lt=CHRONIC_DAYS, description="subacute entry: shortest duration (days)")
    subacute_max_days: int = Field(84, ge=1, lt=CHRONIC_DAYS, description="subacute entry: longest duration (days)")
    consulter_durations: tuple[DurationShare, ...] = Field(
        IMPACT_BACK_DURATIONS, min_length=1, max_length=20,
        description="consulters entry: bands of duration and their shares (default: IMPaCT Back, Foster et al. 2014)")

    @model_validator(mode="before")
    @classmethod
    def _entry_pain_defaults(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("entry") == "consulters":
            return {**CONSULTER_ENTRY_PAIN, **data}
        return data

    @field_validator("marginals")
    @classmethod
    def _known_traits(cls, marginals: dict[str, TraitMarginal]) -> dict[str, TraitMarginal]:
        unknown = sorted(set(marginals) - set(TRAITS))
        if unknown:
            raise ValueError(f"unknown trait(s) {unknown}; allowed: {list(TRAITS)}")
        return {**DEFAULT_MARGINALS, **marginals}

    @field_validator("correlations")
    @classmethod
    def _valid_pairs(cls, correlations: dict[str, float]) -> dict[str, float]:
        for pair, r in correlations.items():
            parts = pair.split("~")
            if len(parts) != 2 or any(p not in TRAITS for p in parts) or parts[0] == parts[1]:
                raise ValueError(
                    f"correlation key {pair!r} must be 'trait_a~trait_b' with two different "
                    f"traits from {list(TRAITS)}"
                )
            if not -1.0 < r < 1.0:
                raise ValueError(f"correlation {pair!r} = {r} must lie in (-1, 1)")
        return correlations

    @model_validator(mode="after")
    def _durations(self) -> Population:
        if self.entry == "chronic" and self.chronic_min_days < CHRONIC_DAYS:
            raise ValueError(f"chronic_min_days: {self.chronic_min_days} days is not chronic pain (at least "
                             f"{CHRONIC_DAYS} days); for shorter durations use entry = \"subacute\" with "
                             "subacute_min_days and subacute_max_days")
        if self.chronic_max_days is not None and self.chronic_max_days < self.chronic_min_days:
            raise ValueError(f"chronic_max_days ({self.chronic_max_days}) is below chronic_min_days "
                             f"({self.chronic_min_days})")
        if self.subacute_min_days > self.subacute_max_days:
            raise ValueError(f"subacute_min_days ({self.subacute_min_days}) is above subacute_max_days "
                             f"({self.subacute_max_days})")
        return self

    @model_validator(mode="after")
    def _positive_definite(self) -> Population:
        try:
            np.linalg.cholesky(self.correlation_matrix())
        except np.linalg.LinAlgError:
            raise ValueError(
                "correlations: the trait correlations do not form a valid (positive definite) "
                "correlation matrix; weaken the strongest ones"
            ) from None
        return self

    def compares_rise(self, duration: int) -> bool:
        """Whether an episode of ``duration`` days must show ``entry_rise`` at entry: only
        episodes of chronic duration have a usual level to exceed."""
        return bool(self.entry_rise_weeks) and duration >= CHRONIC_DAYS

    @property
    def screened(self) -> bool:
        """Whether patients are screened from simulated episodes (every entry but acute)."""
        return self.entry != "acute"

    def entry_windows(self) -> tuple[EntryWindow, ...]:
        """The windows of duration of pain at entry (days) and their shares: one window,
        except for consulters (one per band of ``consulter_durations``)."""
        if self.entry == "acute":
            return (EntryWindow(0, 0, 1.0, "population.entry"),)
        if self.entry == "subacute":
            return (EntryWindow(self.subacute_min_days, self.subacute_max_days, 1.0,
                                "population.subacute_min_days / population.subacute_max_days"),)
        if self.entry == "chronic":
            if self.chronic_max_days is None:
                return (EntryWindow(self.chronic_min_days, self.chronic_min_days, 1.0, "population.chronic_min_days"),)
            return (EntryWindow(self.chronic_min_days, self.chronic_max_days, 1.0,
                                "population.chronic_min_days / population.chronic_max_days"),)
        total = sum(band.share for band in self.consulter_durations)
        return tuple(EntryWindow(band.min_days, band.max_days, band.share / total,
                                 f"population.consulter_durations[{k}]")
                     for k, band in enumerate(self.consulter_durations))

    @property
    def entry_day(self) -> int:
        """The day of entry counted from the onset of the longest possible episode: every
        candidate's episode starts ``entry_day - duration`` days into the simulation."""
        return max(window.max_days for window in self.entry_windows())

    @property
    def entry_day_field(self) -> str:
        """The field that sets the longest duration of pain at entry (for messages)."""
        if self.entry == "chronic":
            return "population.chronic_min_days" if self.chronic_max_days is None else "population.chronic_max_days"
        return {"acute": "population.entry", "subacute": "population.subacute_max_days",
                "consulters": "population.consulter_durations"}[self.entry]

    def quotas(self, n: int) -> list[int]:
        """Patients of a cohort of ``n`` in each entry window: ``n`` times the shares, rounded
        by largest remainder (so that they add up to ``n``)."""
        windows = self.entry_windows()
        exact = [n * w.share for w in windows]
        quotas = [math.floor(x) for x in exact]
        by_remainder = sorted(range(len(windows)), key=lambda k: (-(exact[k] - quotas[k]), k))
        for k in by_remainder[: n - sum(quotas)]:
            quotas[k] += 1
        return quotas

    def correlation_matrix(self) -> np.ndarray:
        """The full trait correlation matrix on the normal scale."""
        R = np.eye(len(TRAITS))
        for pair, r in self.correlations.items():
            a, b = (TRAITS.index(t) for t in pair.split("~"))
            R[a, b] = R[b, a] = r
        return R

    def draw_traits(self, ids: np.ndarray, seed: int) -> np.ndarray:
        """Traits (float32, traits x patients) of the patients with the given ids."""
        ids = np.asarray(ids, dtype=np.int64)
        z = np.empty((len(TRAITS), ids.size))
        for k in range(len(TRAITS)):
            a = rng.TRAITS_BASE + 2 * k
            z[k] = rng.normals_for(seed, ids, a, a + 1, 0)
        z = np.linalg.cholesky(self.correlation_matrix()) @ z
        med = np.array([self.marginals[t].median for t in TRAITS])[:, None]
        spread = np.array([self.marginals[t].spread for t in TRAITS])[:, None]
        return expit(logit(med) + spread * z).astype(np.float32)


def acute_episode() -> Population:
    """Adults at the first day of an acute episode of low back pain."""
    return Population(name="acute low back pain episode", entry="acute")


def subacute_low_back_pain() -> Population:
    """Adults whose episode of low back pain started 2-12 weeks ago and who still have pain."""
    return Population(name="subacute low back pain", entry="subacute")


def chronic_low_back_pain() -> Population:
    """Adults with chronic low back pain: >= 4/10 for >= 3 months at entry."""
    return Population(name="chronic low back pain", entry="chronic")


def primary_care_consulters() -> Population:
    """Adults consulting primary care for low back pain, with the durations of pain of the
    IMPaCT Back cohort (Foster et al. 2014)."""
    return Population(name="primary-care consulters with low back pain", entry="consulters")


#: The named populations: ``Cohort.build("subacute", ...)``.
NAMED_POPULATIONS = {"acute": acute_episode, "subacute": subacute_low_back_pain, "chronic": chronic_low_back_pain,
                     "consulters": primary_care_consulters}
