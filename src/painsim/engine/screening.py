"""Screening for chronic pain, in bounded batches: which acute episodes persist.

A chronic cohort of ``n`` is the first ``n`` candidate ids (in id order) whose simulated
acute episode leaves pain that persists (``Population.chronic_min_pain`` and
``chronic_min_days``): each candidate's history depends only on its id and the seed, so the
cohort does not depend on how candidates are batched. Screening examines at most
:func:`painsim.limits.screening_candidate_limit` candidates, in batches of bounded size (so
a progress callback, and the cancellation it may raise, runs often), and gives up early when
the candidates left could not fill the cohort (:func:`painsim.limits.screening_cannot_fill`);
then it raises :class:`ScreeningError`, which says how many candidates met each criterion
and which field to relax.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from painsim.engine.params import ModelParams
from painsim.engine.population import Population
from painsim.engine.recording import Record
from painsim.engine.variables import S_FIRST, S_NREC, S_REC, S_RUN
from painsim.limits import DEFAULT_LIMITS, Limits, screening_batch_size, screening_cannot_fill

Progress = Callable[[int, int], None]


class ScreeningError(ValueError):
    """Screening stopped without filling its cohort; the message says how many candidates
    were screened, how many met each criterion and which field to relax."""


@dataclass
class ChronicCounts:
    """How many candidates were screened and how many met each criterion of chronicity."""

    screened: int = 0
    persistent_blocks: int = 0
    """pain >= chronic_min_pain in every 4-week block of the first chronic_min_days"""
    persistent_last_week: int = 0
    """pain >= chronic_min_pain in the last week"""
    chronic: int = 0
    """both"""


class ChronicScreen:
    """Acute episodes in id order (0, 1, 2, ...), screened for pain that persists.

    Each :meth:`next_batch` simulates the next batch of candidates and returns those whose
    pain persisted, as a cohort ready to use (entry at the end of the screening period).
    At most ``limit`` candidates are screened.
    """

    def __init__(self, population: Population, seed: int, params: ModelParams, limit: int,
                 limits: Limits = DEFAULT_LIMITS):
        self.population, self.seed, self.params = population, seed, params
        self.limit, self.limits = limit, limits
        self.counts = ChronicCounts()

    @property
    def days(self) -> int:
        return self.population.chronic_min_days

    @property
    def remaining(self) -> int:
        """Candidates left within the limit."""
        return self.limit - self.counts.screened

    def next_batch(self, wanted: int, extra_days: int = 0):
        """The persistent cases among the next candidates (a batch sized for ``wanted`` more,
        within the batch limit in patient-days; ``extra_days`` more are simulated per case
        by the caller). Raises ScreeningError if no candidates are left within the limit."""
        from painsim.engine.cohort import Cohort, simulate

        size = screening_batch_size(wanted, self.days + extra_days, self.remaining, self.limits)
        if size <= 0:
            raise ScreeningError(f"screening has examined its limit of {self.limit:,} candidates")
        first = self.counts.screened
        candidates = Cohort._acute(self.population, np.arange(first, first + size), self.seed, self.params)
        result = simulate(candidates, self.days, Record(variables=("pain",), every=7))
        weekly = result.trajectories["pain"]
        threshold = self.population.chronic_min_pain
        blocks = [weekly[w:w + 4].mean(axis=0) for w in range(0, self.days // 7 - 3, 4)]
        every_block = np.all(np.array(blocks) >= threshold, axis=0)
        last_week = weekly[-1] >= threshold
        persistent = every_block & last_week
        self.counts.screened += size
        self.counts.persistent_blocks += int(every_block.sum())
        self.counts.persistent_last_week += int(last_week.sum())
        self.counts.chronic += int(persistent.sum())
        cohort = result.cohort.subset(np.flatnonzero(persistent))
        cohort.state[[S_RUN, S_REC, S_NREC]] = 0.0
        cohort.state[S_FIRST] = -1.0
        cohort.entry_day = cohort.day
        return cohort

    def describe(self, days_field: str = "population.chronic_min_days") -> str:
        """How many candidates met each criterion of chronicity, for error messages
        (``days_field`` names the field that set the days)."""
        c, pop = self.counts, self.population
        return (f"{c.screened:,} candidates (acute episodes) screened; pain >= {pop.chronic_min_pain:g} "
                f"(population.chronic_min_pain) in every 4-week block of {pop.chronic_min_days:,} days "
                f"({days_field}): {c.persistent_blocks:,}; in the last week: "
                f"{c.persistent_last_week:,}; both (chronic): {c.chronic:,}")

    def stop_reason(self) -> str:
        """Why screening stopped: the limit reached, or too few found to fill it."""
        if self.remaining <= 0:
            return f"screening examined its limit of {self.limit:,} candidates"
        return (f"screening stopped after {self.counts.screened:,} of at most {self.limit:,} candidates: at the "
                "share found so far the rest could not fill it")


def screen_chronic(population: Population, n: int, seed: int, params: ModelParams, limit: int,
                   progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS) -> list:
    """The first ``n`` persistent cases in id order, as a list of cohorts (one per batch);
    ``progress(found, n)`` after each batch. Raises ScreeningError when they cannot be found
    within ``limit`` candidates."""
    screen = ChronicScreen(population, seed, params, limit, limits)
    kept, found = [], 0
    while found < n:
        if screening_cannot_fill(found, n, screen.counts.screened, limit):
            raise ScreeningError(
                f"population: {screen.stop_reason()}, {found:,} of the {n:,} patients wanted. "
                f"{screen.describe()}. Relax population.chronic_min_pain ({population.chronic_min_pain:g}) or "
                f"population.chronic_min_days ({population.chronic_min_days:,}), or ask for fewer patients")
        batch = screen.next_batch(n - found)
        taken = batch if len(batch) <= n - found else batch.subset(slice(0, n - found))
        if len(taken):
            kept.append(taken)
        found += len(taken)
        if progress is not None:
            progress(found, n)
    return kept
