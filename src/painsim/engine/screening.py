"""Screening, in bounded batches: which acute episodes are still in pain at entry.

A patient with duration *d* of pain at entry is a patient whose acute episode started *d*
days ago and who still meets the pain criterion at day *d* (docs/model.md, "Populations").
Every entry but acute is built from that one mechanism: each candidate (an acute episode of
the population, by id) draws its duration from its entry window, is simulated from onset
for that many days, and is kept if its pain persisted (mean pain above
``Population.persistent_min_pain`` in every 4-week block of the episode) and its weekly mean
pain in the last week was at least ``Population.chronic_min_pain`` and, in an episode of
chronic duration (90 days or more), at least ``Population.entry_rise`` above the mean of the
``entry_rise_weeks`` weeks before it. People consult, and are screened into trials, in a worse
spell of a persisting course (Whitney & Von Korff 1992, Pain 50:281): the entry week is
selected for high and rising pain, the weeks before only for pain that did not go away, so
pain regresses toward the person's own level after entry as it does after enrolment in
cohorts and trials.
So the model's own natural history decides who is still in pain: in a window of durations,
longer durations are kept less often, as among the people of a population who have pain of
that duration at a given time.

All candidates enter on the same day, :attr:`Population.entry_day` (the longest duration);
a candidate with duration *d* starts its episode ``entry_day - d`` days into the screening,
and the candidates of a batch are simulated together from the earliest onset, each joining
on its own onset day. Durations are whole weeks below the window's longest, so that every
candidate's weeks since onset line up. A population with one duration (the default
chronic one: ``chronic_min_days``) is simulated one 4-week block at a time, and a candidate
is not followed past its first block without persisting pain, since it can no longer be
kept (issue 17: this simulates ~60% of the patient-days of following every candidate).

A population of ``n`` is, in each entry window (one, or one per band of a consulter
mixture), the first candidates in id order that are still in pain, as many as the window's
share of ``n``; each candidate's history depends only on its id and the seed, so the
cohort does not depend on how candidates are batched. Screening examines at most
:func:`painsim.limits.screening_candidate_limit` candidates per window, in batches of
bounded size (so a progress callback, and the cancellation it may raise, runs often), and
gives up early when the candidates left could not fill the cohort
(:func:`painsim.limits.screening_cannot_fill`); then it raises :class:`ScreeningError`,
which says how many candidates met each criterion and which field to relax.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from painsim.engine import rng
from painsim.engine.params import ModelParams
from painsim.engine.population import EntryWindow, Population
from painsim.engine.recording import Record
from painsim.engine.variables import S_FIRST, S_NREC, S_REC, S_RUN
from painsim.limits import (
    DEFAULT_LIMITS,
    SCREEN_BATCH_PER_WANTED,
    Limits,
    screening_batch_size,
    screening_candidate_limit,
    screening_cannot_fill,
)

Progress = Callable[[int, int], None]


class ScreeningError(ValueError):
    """Screening stopped without filling its cohort; the message says how many candidates
    were screened, how many met each criterion and which field to relax."""


@dataclass
class EntryCounts:
    """How many candidates were screened and how many met each part of the pain criterion."""

    screened: int = 0
    persistent_blocks: int = 0
    """pain > persistent_min_pain in every 4-week block of the episode"""
    persistent_last_week: int = 0
    """pain >= chronic_min_pain in the last week, and entry_rise above the weeks before it (in
    a window of one duration, counted among the candidates followed to entry: a candidate
    is not followed past its first block without persisting pain)"""
    chronic: int = 0
    """both: still in pain at entry (kept)"""


ChronicCounts = EntryCounts  # the former name


class EntryScreen:
    """Acute episodes in id order, screened for pain that lasts to entry, in one entry window.

    Each :meth:`next_batch` simulates the next batch of candidates and returns those still in
    pain at entry, as a cohort ready to use (day and entry day :attr:`Population.entry_day`,
    each patient's duration in ``duration_days``). At most ``limit`` candidates are
    screened. ``window`` is one of ``population.entry_windows()`` (default: the first), the
    ``stratum``-th of ``strata``: its candidates are the ids ``stratum, stratum + strata,
    stratum + 2 strata, ...`` so that windows never share a patient. Candidates are simulated
    on ``n_jobs`` threads (the same candidates kept for any value).
    """

    def __init__(self, population: Population, seed: int, params: ModelParams, limit: int,
                 limits: Limits = DEFAULT_LIMITS, window: EntryWindow | None = None, stratum: int = 0,
                 strata: int = 1, n_jobs: int = 1):
        self.population, self.seed, self.params = population, seed, params
        self.n_jobs = n_jobs
        self.limit, self.limits = limit, limits
        self.window = window or population.entry_windows()[0]
        self.stratum, self.strata = stratum, strata
        self.counts = EntryCounts()

    @property
    def days(self) -> int:
        """Days simulated for the longest candidate (the entry day)."""
        return self.population.entry_day

    @property
    def remaining(self) -> int:
        """Candidates left within the limit."""
        return self.limit - self.counts.screened

    def next_batch(self, wanted: int, extra_days: int = 0):
        """The candidates still in pain among the next ones (a batch sized for ``wanted``
        more, within the batch limit in patient-days; ``extra_days`` more are simulated per
        case by the caller). Raises ScreeningError if no candidates are left within the limit."""
        from painsim.engine.cohort import Cohort

        size = screening_batch_size(wanted, self.days + extra_days, self.remaining, self.limits)
        if size <= 0:
            raise ScreeningError(f"screening has examined its limit of {self.limit:,} candidates")
        first = self.counts.screened
        ids = np.arange(first, first + size, dtype=np.int64) * self.strata + self.stratum
        if self.window.max_days == 0:  # at onset: every candidate is in pain
            cohort = Cohort._acute(self.population, ids, self.seed, self.params)
            self._count(size, np.ones(size, dtype=bool), np.ones(size, dtype=bool))
            return cohort
        durations = self._durations(ids)
        cohort, in_pain = self._simulate_episodes(ids, durations)
        cohort = cohort.subset(in_pain)
        cohort.state[[S_RUN, S_REC, S_NREC]] = 0.0
        cohort.state[S_FIRST] = -1.0
        cohort.entry_day = cohort.day
        return cohort

    def _durations(self, ids: np.ndarray) -> np.ndarray:
        """Each candidate's duration of pain at entry: one of the window's durations, drawn
        uniformly from its own stream (no draw when the window has one duration)."""
        choices = self.window.durations()
        if choices.size == 1:
            return np.full(ids.size, choices[0], dtype=np.int64)
        u = rng.uniforms_for(self.seed, ids, rng.ENTRY_DURATION, 0)
        return choices[np.minimum((u * choices.size).astype(np.int64), choices.size - 1)]

    def _simulate_episodes(self, ids: np.ndarray, durations: np.ndarray):
        """Simulate every candidate from onset to the entry day; return the cohort at entry
        (candidates by decreasing duration, then id) and the positions, in id order, of those
        still in pain."""
        from painsim.engine.cohort import Cohort, simulate

        entry = self.days
        if self.block_by_block:
            return self._simulate_block_by_block(ids, int(self.window.durations()[0]))
        # Step at every duration of the window, whether or not this batch holds it: a
        # candidate's simulation is then split at the same days in any batch, so batching
        # cannot change its float32 state (the kernel rounds the state at each step's end).
        longest_first = np.unique(self.window.durations())[::-1]
        cohort, weekly, groups = None, [], []
        for k, duration in enumerate(longest_first):
            onset = entry - int(duration)
            members = ids[durations == duration]
            start = 0 if cohort is None else len(cohort)
            if members.size:
                joining = Cohort._acute(self.population, members, self.seed, self.params)
                joining.day = joining.entry_day = onset
                joining.duration_days = np.full(len(joining), duration, dtype=np.int64)
                cohort = joining if cohort is None else Cohort.concat([cohort, joining])
            groups.append((int(duration), start, start + members.size))
            until = entry - int(longest_first[k + 1]) if k + 1 < longest_first.size else entry
            if cohort is None:  # nobody has joined yet
                weekly.append(np.zeros((-(-(until - onset) // 7), 0), dtype=np.float32))
                continue
            result = simulate(cohort, until - onset, Record(variables=("pain",), every=7), n_jobs=self.n_jobs)
            weekly.append(result.trajectories["pain"])
            cohort = result.cohort
        blocks_met = np.empty(len(cohort), dtype=bool)
        last_week_met = np.empty(len(cohort), dtype=bool)
        for k, (duration, a, b) in enumerate(groups):
            # the weeks since this group's onset: every simulation from its joining on
            series = np.concatenate([w[:, a:b] for w in weekly[k:]], axis=0)
            blocks_met[a:b], last_week_met[a:b] = self._pain_criterion(series, duration)
        in_pain = blocks_met & last_week_met
        self._count(len(cohort), blocks_met, last_week_met)
        kept = np.flatnonzero(in_pain)
        return cohort, kept[np.argsort(cohort.ids[kept], kind="stable")]

    def _simulate_block_by_block(self, ids: np.ndarray, duration: int):
        """:meth:`_simulate_episodes` for a window of one duration: the candidates are
        simulated from onset one 4-week block at a time, and a candidate whose mean pain in a
        block is not above ``persistent_min_pain`` is not followed further (it can no longer
        be kept); the rest go on to the entry day. About 57% of acute episodes pass the first
        block and 34% the first two, so this simulates ~60% of the patient-days of following
        every candidate to entry (docs/performance.md). The steps are the same days in any
        batch (the kernel rounds the state to float32 at each step's end), so batching cannot
        change a candidate's course. Returns the candidates followed to entry (in id order)
        and the positions of those still in pain."""
        from painsim.engine.cohort import Cohort, simulate

        pop = self.population
        n_blocks = _n_blocks(duration)
        record = Record(variables=("pain",), every=7)
        cohort = Cohort._acute(pop, ids, self.seed, self.params)
        cohort.day = cohort.entry_day = self.days - duration
        cohort.duration_days = np.full(len(cohort), duration, dtype=np.int64)
        weekly = np.zeros((-(-duration // 7), ids.size), dtype=np.float32)
        followed = np.arange(ids.size)
        for k in range(n_blocks):
            if not len(cohort):
                break
            result = simulate(cohort, BLOCK_DAYS, record, n_jobs=self.n_jobs)
            block = result.trajectories["pain"]
            weekly[4 * k:4 * k + 4, followed] = block
            persists = block.reshape(1, 4, block.shape[1]).mean(axis=1)[0] > pop.persistent_min_pain
            cohort = result.cohort.subset(np.flatnonzero(persists))
            followed = followed[persists]
        left = duration - BLOCK_DAYS * n_blocks
        if left > 0 and len(cohort):
            result = simulate(cohort, left, record, n_jobs=self.n_jobs)
            weekly[4 * n_blocks:, followed] = result.trajectories["pain"]
            cohort = result.cohort
        blocks_met = np.zeros(ids.size, dtype=bool)
        last_week_met = np.zeros(ids.size, dtype=bool)
        if followed.size:
            blocks_met[followed], last_week_met[followed] = self._pain_criterion(weekly[:, followed], duration)
        self._count(ids.size, blocks_met, last_week_met)
        return cohort, np.flatnonzero(blocks_met[followed] & last_week_met[followed])

    def _pain_criterion(self, weekly: np.ndarray, duration: int) -> tuple[np.ndarray, np.ndarray]:
        """(pain above ``persistent_min_pain`` in every 4-week block of the episode, pain at least
        ``chronic_min_pain`` in its last week and, in an episode of chronic duration, at least
        ``entry_rise`` above the mean of the ``entry_rise_weeks`` weeks before it) from weekly
        means since onset (weeks x candidates)."""
        pop = self.population
        n_blocks = _n_blocks(duration)
        blocks = weekly[:4 * n_blocks].reshape(n_blocks, 4, weekly.shape[1]).mean(axis=1)
        last_week = weekly[-1] >= pop.chronic_min_pain
        weeks = pop.entry_rise_weeks
        if pop.compares_rise(duration) and weekly.shape[0] > weeks:
            last_week &= weekly[-1] >= weekly[-weeks - 1:-1].mean(axis=0) + pop.entry_rise
        return np.all(blocks > pop.persistent_min_pain, axis=0), last_week

    def _count(self, size: int, blocks_met: np.ndarray, last_week_met: np.ndarray) -> None:
        self.counts.screened += size
        self.counts.persistent_blocks += int(blocks_met.sum())
        self.counts.persistent_last_week += int(last_week_met.sum())
        self.counts.chronic += int((blocks_met & last_week_met).sum())

    @property
    def kept_label(self) -> str:
        """What a kept candidate is called in messages."""
        return "chronic" if self.population.entry == "chronic" else "in pain at entry"

    def describe(self, days_field: str | None = None) -> str:
        """How many candidates met each part of the pain criterion, for error messages
        (``days_field`` names the field(s) that set the durations; default: the window's)."""
        c, pop, window = self.counts, self.population, self.window
        if window.max_days == 0:
            return f"{c.screened:,} candidates (acute episodes at onset) screened"
        # a window of one duration follows only the candidates whose pain persisted to the last week
        of_those = "of those, " if self.block_by_block else ""
        return (f"{c.screened:,} candidates (acute episodes) screened; pain > {pop.persistent_min_pain:g} "
                f"(population.persistent_min_pain) in every 4-week block of {window.describe()} "
                f"({days_field or window.fields}): {c.persistent_blocks:,}; {of_those}pain >= "
                f"{pop.chronic_min_pain:g} (population.chronic_min_pain) in the last week{self._rise_words()}: "
                f"{c.persistent_last_week:,}; both ({self.kept_label}): {c.chronic:,}")

    @property
    def block_by_block(self) -> bool:
        """Whether candidates are simulated a 4-week block at a time and dropped at their first
        block without persisting pain (a window of one duration: :meth:`_simulate_block_by_block`)."""
        durations = np.unique(self.window.durations())
        return durations.size == 1 and _n_blocks(int(durations[0])) > 0

    def relax(self) -> str:
        """Which fields to relax when too few candidates are still in pain."""
        window = self.window
        if window.min_days == window.max_days:
            durations = f"{window.fields} ({window.max_days:,})"
        else:
            durations = f"{window.fields} ({window.describe()})"
        return f"{self.pain_fields()} or {durations}"

    def pain_fields(self) -> str:
        """The population's pain criteria with their values, for messages that say what to relax."""
        pop = self.population
        rise = f", population.entry_rise ({pop.entry_rise:g})" if self._rise_words() else ""
        return (f"population.chronic_min_pain ({pop.chronic_min_pain:g}), population.persistent_min_pain "
                f"({pop.persistent_min_pain:g}){rise}")

    def _rise_words(self) -> str:
        pop = self.population
        if not pop.compares_rise(self.window.max_days):
            return ""
        return (f" and {pop.entry_rise:g} above the mean of the {pop.entry_rise_weeks} weeks before it "
                "(population.entry_rise)")

    def stop_reason(self) -> str:
        """Why screening stopped: the limit reached, or too few found to fill it."""
        if self.remaining <= 0:
            return f"screening examined its limit of {self.limit:,} candidates"
        return (f"screening stopped after {self.counts.screened:,} of at most {self.limit:,} candidates: at the "
                "share found so far the rest could not fill it")


ChronicScreen = EntryScreen  # the former name (one window: the population's first)


def entry_screens(population: Population, n: int, days_per_candidate: int, seed: int, params: ModelParams,
                  limits: Limits = DEFAULT_LIMITS, n_jobs: int = 1) -> list[tuple[EntryScreen, int]]:
    """One screen per entry window with its quota of the ``n`` patients (windows with no
    patient left out); each examines at most :func:`painsim.limits.screening_candidate_limit`
    candidates for its quota, each candidate simulated for ``days_per_candidate`` days, on
    ``n_jobs`` threads."""
    windows = population.entry_windows()
    screens = []
    for k, (window, quota) in enumerate(zip(windows, population.quotas(n), strict=True)):
        if quota:
            limit = screening_candidate_limit(quota, days_per_candidate, limits)
            screens.append((EntryScreen(population, seed, params, limit, limits, window, k, len(windows), n_jobs),
                            quota))
    return screens


def screen_chronic(population: Population, n: int, seed: int, params: ModelParams, limit: int,
                   progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS,
                   screen: EntryScreen | None = None, found_before: int = 0, total: int | None = None) -> list:
    """The first ``n`` candidates still in pain at entry, in id order, as a list of cohorts
    (one per batch), from ``screen`` (default: the population's first window with ``limit``);
    ``progress(found_before + found, total)`` after each batch. Raises ScreeningError when
    they cannot be found within the limit."""
    screen = screen or EntryScreen(population, seed, params, limit, limits)
    total = n if total is None else total
    kept, found = [], 0
    while found < n:
        if screening_cannot_fill(found, n, screen.counts.screened, screen.limit):
            raise ScreeningError(
                f"population: {screen.stop_reason()}, {found:,} of the {n:,} patients wanted"
                f"{_of_window(screen)}. {screen.describe()}. Relax {screen.relax()}, or ask for fewer patients")
        batch = screen.next_batch(_wanted(n - found, screen))
        taken = batch if len(batch) <= n - found else batch.subset(slice(0, n - found))
        if len(taken):
            kept.append(taken)
        found += len(taken)
        if progress is not None:
            progress(found_before + found, total)
    return kept


BLOCK_DAYS = 28
"""Days of a block of the persistence criterion (4 weeks)."""


def _n_blocks(duration: int) -> int:
    """The 4-week blocks of an episode of ``duration`` days that the persistence criterion
    checks: those that start at least 4 weeks before its last whole week."""
    return len(range(0, duration // 7 - 3, 4))


def _wanted(still: int, screen: EntryScreen) -> int:
    """Patients to size the next batch for: those still wanted, scaled by the share of
    candidates kept so far beyond the batch's own allowance of one in four (the batch is
    sized 4 candidates per patient wanted), so that a rare entry takes few batches."""
    c = screen.counts
    if not c.chronic or c.chronic * SCREEN_BATCH_PER_WANTED >= c.screened:
        return still
    return math.ceil(still * c.screened / (c.chronic * SCREEN_BATCH_PER_WANTED) * 1.2)


def _of_window(screen: EntryScreen) -> str:
    if screen.strata == 1:
        return ""
    return f" with pain for {screen.window.describe()} ({screen.window.fields})"


def screen_population(population: Population, n: int, seed: int, params: ModelParams,
                      progress: Progress | None = None, limits: Limits = DEFAULT_LIMITS, n_jobs: int = 1):
    """The cohort of ``n`` patients of a screened population: in each entry window its share
    of ``n``, the first candidates in id order still in pain at entry; the cohort is in id
    order (the same for any number ``n_jobs`` of threads). Raises ScreeningError when a
    window cannot be filled within its limit."""
    from painsim.engine.cohort import Cohort

    parts, found = [], 0
    for screen, quota in entry_screens(population, n, population.entry_day, seed, params, limits, n_jobs):
        parts += screen_chronic(population, quota, seed, params, screen.limit, progress, limits, screen, found, n)
        found += quota
    cohort = Cohort.concat(parts)
    if len(parts) > 1:
        cohort = cohort.subset(np.argsort(cohort.ids, kind="stable"))
    return cohort
