"""The cohort (struct of arrays) and :func:`simulate`, which steps it through time."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from painsim.engine import rng
from painsim.engine.kernel import kernel_params
from painsim.engine.levers import CARE_RECORDS
from painsim.engine.loops import LOOP_NAMES
from painsim.engine.params import ModelParams
from painsim.engine.phases import OWN_KNOWLEDGE_BASE, OWN_KNOWLEDGE_RESOURCES
from painsim.engine.population import NAMED_POPULATIONS, Population
from painsim.engine.program import EMPTY_PROGRAM, CareProgram
from painsim.engine.recording import Record
from painsim.engine.result import SimulationResult
from painsim.engine.variables import (
    DAILY,
    MODIFIER_NEUTRAL,
    S_A,
    S_C,
    S_E,
    S_F,
    S_FIRST,
    S_G,
    S_H,
    S_I,
    S_K,
    S_N,
    S_PS,
    S_S,
    S_T,
    S_U,
    S_W,
    S_X,
    STATE,
    SUMMARIES,
    TR_CARE,
    TR_CAT,
    TR_RES,
    TR_SE,
    TR_SENS,
    TR_SUPPORT,
    TR_VULN,
    TR_WORK,
    TRAITS,
)  # fmt: skip
from painsim.engine.vkernel import simulate_vector, simulate_vector_with_care
from painsim.limits import DEFAULT_LIMITS, Limits

Progress = Callable[[int, int], None]


class CareSource(Protocol):
    """What ``simulate(care=...)`` accepts: a care plan (``painsim.care.CarePlan``) or anything
    that compiles to a :class:`~painsim.engine.program.CareProgram` for a horizon."""

    def compile(self, horizon: int, params: Any = None) -> CareProgram:
        """The program of this care for ``horizon`` days, with gains ``params``."""


@dataclass
class Cohort:
    """Virtual patients as a struct of arrays (one column per patient).

    Build one with :meth:`Cohort.build`; simulate it with :func:`simulate`.

    Attributes
    ----------
    population, params, seed : what the cohort was built from.
    ids : global patient ids (int64); patient *i* keeps its random streams in any chunk.
    traits : float32 (traits x patients), fixed for life.
    state : float32 (state variables x patients).
    modifiers : float32 (modifiers x patients): gains that care modules change.
    day : absolute day of the next step (each patient's streams are keyed by it).
    entry_day : absolute day of entry; results count days from it.
    duration_days : int64 per patient: days of pain at entry (0 at the onset of an acute
        episode; docs/model.md, "Populations"). It stays the duration at entry as the
        cohort is simulated.
    """

    population: Population
    params: ModelParams
    seed: int
    ids: np.ndarray
    traits: np.ndarray
    state: np.ndarray
    modifiers: np.ndarray
    day: int
    entry_day: int
    duration_days: np.ndarray = field(default=None)  # type: ignore[assignment]  # None: zeros (at onset)

    def __post_init__(self) -> None:
        if self.duration_days is None:
            self.duration_days = np.zeros(self.ids.size, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.ids.size)

    @classmethod
    def build(
        cls,
        population: Population | str = "chronic",
        n: int = 1000,
        seed: int = 0,
        params: ModelParams | None = None,
        progress: Progress | None = None,
        limits: Limits = DEFAULT_LIMITS,
        n_jobs: int = 1,
    ) -> Cohort:
        """Build ``n`` patients of ``population`` (a Population or the name of one:
        "acute", "subacute", "chronic", "consulters").

        Every entry but acute is screened from acute episodes (each simulated from onset for
        its duration of pain, kept if still in pain) in batches, ``progress(found, n)`` after
        each (an exception it raises stops screening); screening examines at most
        ``limits``' number of candidates (painsim.limits) and raises
        :class:`painsim.engine.screening.ScreeningError` when it cannot find ``n``. Each
        patient's duration of pain at entry is in ``cohort.duration_days``. A screened
        cohort is kept for reuse in this process (painsim.engine.cohort_cache): the same
        request again returns a copy of the same patients without screening. Screening
        simulates its candidates on ``n_jobs`` threads; the cohort is the same for any value.

        Examples
        --------
        >>> cohort = Cohort.build("chronic", n=200, seed=1)
        >>> len(cohort), cohort.traits.shape[0]
        (200, 11)
        """
        population = _resolve_population(population)
        _check_n_seed(n, seed)
        if n_jobs < 1:
            raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
        params = params or ModelParams()
        if not population.screened:
            return cls._acute(population, np.arange(n, dtype=np.int64), seed, params)
        from painsim.engine.cohort_cache import SCREENED_COHORTS, screened_key

        key = screened_key(population, n, seed, params, limits)
        cohort = SCREENED_COHORTS.get(key)
        if cohort is not None:  # screened before in this process: the same patients, copied
            if progress is not None:
                progress(n, n)
            return cohort
        cohort = cls._screen(population, n, seed, params, progress, limits, n_jobs)
        SCREENED_COHORTS.put(key, cohort)
        return cohort

    @classmethod
    def _acute(cls, population: Population, ids: np.ndarray, seed: int,
               params: ModelParams) -> Cohort:
        traits = population.draw_traits(ids, seed)
        injury = rng.uniforms_for(seed, ids, rng.INITIAL_STATE, 0)
        return cls(
            population=population, params=params, seed=seed, ids=ids, traits=traits,
            state=_acute_state(traits, injury, params),
            modifiers=np.repeat(np.array(MODIFIER_NEUTRAL, dtype=np.float32)[:, None],
                                ids.size, axis=1),
            day=0, entry_day=0,
        )

    @classmethod
    def _screen(cls, population: Population, n: int, seed: int, params: ModelParams,
                progress: Progress | None, limits: Limits = DEFAULT_LIMITS, n_jobs: int = 1) -> Cohort:
        """Simulate acute episodes, each for its duration of pain, and keep, in id order, the
        first ``n`` still in pain (in each entry window, its share of ``n``).

        Candidates are screened in batches of bounded size, ``progress(found, n)`` after each,
        at most :func:`painsim.limits.screening_candidate_limit` of them per window; when the
        cohort cannot be filled, :class:`painsim.engine.screening.ScreeningError` says how many
        candidates met each criterion (painsim.engine.screening).
        """
        from painsim.engine.screening import screen_population

        cohort = screen_population(population, n, seed, params, progress, limits, n_jobs)
        cohort.population = population
        return cohort


    def copy(self) -> Cohort:
        """A deep copy (arrays are copied)."""
        return replace(self, ids=self.ids.copy(), traits=self.traits.copy(),
                       state=self.state.copy(), modifiers=self.modifiers.copy(),
                       duration_days=self.duration_days.copy())

    def subset(self, positions: Sequence[int] | np.ndarray | slice) -> Cohort:
        """The patients at ``positions`` (copies): indices, a boolean mask or a slice.

        Examples
        --------
        >>> cohort = Cohort.build("acute", n=10, seed=1)
        >>> len(cohort.subset([0, 2, 4])), len(cohort.subset(slice(0, 5)))
        (3, 5)
        """
        if isinstance(positions, slice):
            def gather(a: np.ndarray) -> np.ndarray:
                return a[..., positions].copy(order="C")  # a slice is a view: copy it
        else:
            index = np.asarray(positions)
            index = np.flatnonzero(index) if index.dtype == bool else index.astype(np.intp, copy=False)

            # np.take along the patient axis gathers straight into a C-ordered array: about 5x
            # faster than a[:, index] (laid out patient-major) and a second copy to C order.
            def gather(a: np.ndarray) -> np.ndarray:
                return np.take(a, index, axis=a.ndim - 1)
        return replace(self, ids=gather(self.ids), traits=gather(self.traits), state=gather(self.state),
                       modifiers=gather(self.modifiers), duration_days=gather(self.duration_days))

    def split(self, n_chunks: int) -> list[Cohort]:
        """Disjoint consecutive chunks (for processes or workers)."""
        bounds = np.linspace(0, len(self), n_chunks + 1).astype(int)
        return [self.subset(slice(a, b)) for a, b in itertools.pairwise(bounds)]

    @staticmethod
    def concat(parts: Sequence[Cohort]) -> Cohort:
        """Join chunks built with the same population, parameters, seed and day."""
        first = parts[0]
        if any(p.day != first.day or p.seed != first.seed for p in parts):
            raise ValueError("cohorts to join must share seed and day")
        return replace(first, ids=np.concatenate([p.ids for p in parts]),
                       traits=np.concatenate([p.traits for p in parts], axis=1),
                       state=np.concatenate([p.state for p in parts], axis=1),
                       modifiers=np.concatenate([p.modifiers for p in parts], axis=1),
                       duration_days=np.concatenate([p.duration_days for p in parts]))

    def traits_frame(self):
        """Traits as a DataFrame, one row per patient."""
        import pandas as pd

        return pd.DataFrame(self.traits.T, columns=list(TRAITS), index=self.ids)

    def state_frame(self):
        """Current state as a DataFrame, one row per patient."""
        import pandas as pd

        return pd.DataFrame(self.state.T, columns=list(STATE), index=self.ids)

    @property
    def nbytes_per_patient(self) -> int:
        """Bytes of state, traits, modifiers and id held per patient."""
        return (self.state.itemsize * self.state.shape[0] + self.traits.itemsize
                * self.traits.shape[0] + self.modifiers.itemsize * self.modifiers.shape[0]
                + self.ids.itemsize)


def simulate(
    cohort: Cohort,
    days: int,
    record: Record | None = None,
    loops: Mapping[str, float] | None = None,
    n_jobs: int = 1,
    progress: Progress | None = None,
    care: CareSource | None = None,
    care_params: Any = None,
) -> SimulationResult:
    """Simulate ``cohort`` for ``days`` days; the input cohort is left unchanged.

    Parameters
    ----------
    cohort : the patients to simulate (see :meth:`Cohort.build`).
    days : number of daily steps (> 0).
    record : what to keep (default: weekly pain and disability of every patient).
    loops : gains of the reinforcing loops by name (1 = as calibrated, 0 = switched off),
        e.g. ``{"wind_up": 0}``; names: wind_up, sleep, fear_avoidance, strain, guarding.
    n_jobs : threads; results are identical for any value.
    progress : called as ``progress(done, total)`` (patients) while running.
    care : the care plan of this arm (``painsim.care.CarePlan``, or any :class:`CareSource`;
        default: none). Session days count from the first simulated day.
    care_params : gains of the care mechanisms (``painsim.care.CareParams``; default: the
        plan's defaults).

    Examples
    --------
    >>> cohort = Cohort.build("chronic", n=100, seed=1)
    >>> result = simulate(cohort, days=28)
    >>> result.daily().shape
    (28, 4)
    """
    if not isinstance(days, int | np.integer) or days <= 0:
        raise ValueError(f"days must be a positive integer, got {days!r}")
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1, got {n_jobs}")
    record = record if record is not None else Record.weekly()
    out = cohort.copy()
    n = len(out)
    positions = record.patient_positions(n, cohort.seed)
    n_periods = -(-days // record.every)
    record.check_size(n_periods, positions.size)
    rec_slot = np.full(n, -1, dtype=np.int64)
    rec_slot[positions] = np.arange(positions.size)
    rec_out = np.zeros((len(record.variables), n_periods, positions.size), dtype=np.float32)
    summaries = np.zeros((len(SUMMARIES), n), dtype=np.float64)
    summaries[SUMMARIES.index("first_recovery_day")] = -1.0
    program = care.compile(days, care_params) if care is not None else EMPTY_PROGRAM
    session_relief = np.full((program.n_sessions, n), -1.0, dtype=np.float32)
    n_records = 0 if program.is_empty else len(CARE_RECORDS) + len(program.channels)
    care_records = np.zeros((n_records, n))
    chunks = _chunk_bounds(n, n_jobs)
    daily = np.zeros((len(chunks), days, len(DAILY)), dtype=np.int64)
    arrays = (out.state, out.traits, out.modifiers, out.ids)
    gains, loop_gains = kernel_params(out.params), _loop_gains(loops)
    rec = (record.variable_codes(), record.every, rec_slot, rec_out)
    prog = program.kernel_args()

    # The vector kernel (patients in SIMD lanes, engine.vkernel), with its care phases
    # (engine.vcare) compiled in only for a run with care. It gives the scalar kernel's
    # results bit for bit (tests/engine/test_vkernel.py, test_vkernel_care.py).
    kernel = simulate_vector if program.is_empty else simulate_vector_with_care

    def run(j: int) -> int:
        a, b = chunks[j]
        kernel(arrays, gains, loop_gains, np.uint64(out.seed), out.day, days, a, b, rec, summaries,
                          daily[j], prog, (session_relief, care_records))
        return b - a

    done = 0
    for finished in _run_chunks(run, len(chunks), n_jobs):
        done += finished
        if progress is not None:
            progress(done, n)
    out.day += days
    return SimulationResult(
        cohort=out, days=days, start_day=cohort.day - cohort.entry_day, every=record.every,
        trajectories={v: rec_out[k] for k, v in enumerate(record.variables)},
        recorded=positions, summaries=summaries, daily_sums=daily.sum(axis=0),
        care=care, session_days=program.visit_days, session_relief=session_relief,
        care_outcomes=care_records, care_program=program, care_params=care_params,
    )


def _run_chunks(run: Callable[[int], int], n_chunks: int, n_jobs: int) -> Iterator[int]:
    """``run(j)`` for every chunk, in a pool of ``n_jobs`` threads when there are several; one chunk runs
    in the calling thread, since starting a worker thread costs about a millisecond, more
    than the kernel needs for a short run (screening blocks, trial arms, diary particles)."""
    if n_chunks == 1:
        yield run(0)
        return
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        yield from pool.map(run, range(n_chunks))


def _chunk_bounds(n: int, n_jobs: int) -> list[tuple[int, int]]:
    # Several chunks per thread keep both cores busy when patients differ in cost.
    size = max(1, math.ceil(n / (4 * n_jobs))) if n_jobs > 1 else max(n, 1)
    return [(a, min(n, a + size)) for a in range(0, n, size)]


def _loop_gains(loops: Mapping[str, float] | None) -> np.ndarray:
    gains = np.ones(len(LOOP_NAMES))
    for name, value in (loops or {}).items():
        if name not in LOOP_NAMES:
            raise ValueError(f"unknown loop {name!r}; loops: {list(LOOP_NAMES)}")
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"loop gain {name!r} must be finite and >= 0, got {value}")
        gains[LOOP_NAMES.index(name)] = value
    return gains


def _check_n_seed(n: int, seed: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n <= 0:
        raise ValueError(f"n (number of patients) must be a positive integer, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}")


def _resolve_population(population: Population | str) -> Population:
    if isinstance(population, Population):
        return population
    if population not in NAMED_POPULATIONS:
        raise ValueError(f"population must be a Population or one of {list(NAMED_POPULATIONS)}, "
                         f"got {population!r}")
    return NAMED_POPULATIONS[population]()


def _acute_state(traits: np.ndarray, injury: np.ndarray, params: ModelParams) -> np.ndarray:
    """State on the first day of an acute episode: the pre-injury set-points plus an injury."""
    n = traits.shape[1]
    s = np.zeros((len(STATE), n), dtype=np.float32)
    cat = 0.5 + traits[TR_CAT]
    s[S_T] = np.minimum(1.0, params.tissue_floor * traits[TR_VULN] + params.injury_size * (0.5 + injury))
    s[S_G] = np.minimum(1.0, params.guarding_tissue * s[S_T])
    s[S_C] = 0.05 + 0.1 * traits[TR_SENS]
    s[S_H] = 0.15 + 0.2 * traits[TR_WORK]
    s[S_I] = np.minimum(1.0, params.inflammation_tissue * s[S_T])
    s[S_S] = 0.85
    s[S_K] = 0.5 + 0.2 * (traits[TR_RES] - 0.5)
    s[S_A] = np.minimum(1.0, cat * params.threat_base)
    s[S_F] = 0.05 * cat
    s[S_E] = traits[TR_SE]
    s[S_X] = traits[TR_CARE]
    s[S_N] = OWN_KNOWLEDGE_BASE + OWN_KNOWLEDGE_RESOURCES * traits[TR_RES]
    s[S_W] = traits[TR_WORK]
    s[S_U] = traits[TR_SUPPORT]
    s[S_PS] = 5.0
    s[S_FIRST] = -1.0
    return s
