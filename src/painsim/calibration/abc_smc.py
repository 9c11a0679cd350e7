"""Approximate Bayesian computation by sequential Monte Carlo (ABC-SMC), reproducibly.

The ABC-SMC algorithm is pyabc's (Klinger, Rickert & Hasenauer 2018, Bioinformatics 34:3591;
the scheme of Toni et al. 2009, J R Soc Interface 6:187, with importance weights as in
Beaumont et al. 2009, Biometrika 96:983): a population of parameter sets (particles) is drawn
from the prior, simulated and kept if its distance to the observed summaries is within a
tolerance; each later generation perturbs particles of the one before, with a tolerance
shrunk to the median of the last generation's distances, and weighs them by prior over
proposal density. pyabc stores every generation in an SQLite database, so an interrupted run
continues from its last complete generation.

What painsim adds is the sampler. pyabc's parallel samplers accept whichever particles
finish first and seed their workers from the operating system, so their posteriors differ
from run to run. :class:`OrderedBatchSampler` proposes particles in batches, seeds particle
``k`` of batch ``b`` of generation ``t`` from ``(seed, t, b, k)``, evaluates a batch with any
``map`` (the built-in one, a process pool, a Dask client's) and accepts in proposal order:
the same seed gives the same posterior on one core or many, and after a resume. (Each task
seeds numpy's global generator, which pyabc's proposals draw from, so a ``map`` must run its
tasks in separate processes, as Dask workers and process pools do, not in threads of one.)
"""

from __future__ import annotations

import functools
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pyabc
from pyabc.sampler import Sampler

Map = Callable[[Callable[[int], Any], Iterable[int]], Iterable[Any]]
#: Called after every batch with (generation, particles accepted so far, population size);
#: generation -1 is the sample that sets the first tolerance.
Progress = Callable[[int, int, int], None]


def _particle_seed(seed: int, generation: int, batch: int, k: int) -> int:
    """The seed of one proposal: a pure function of its place in the run (generation -1 is
    pyabc's calibration sample of the first tolerance)."""
    return int(np.random.SeedSequence([seed, generation + 1, batch, k]).generate_state(1)[0])


def _simulate_seeded(simulate_one: bytes, seed: int) -> Any:
    np.random.seed(seed)
    random.seed(seed)
    return cloudpickle.loads(simulate_one)()


class OrderedBatchSampler(Sampler):
    """A pyabc sampler whose result depends on ``seed`` only, not on ``map_`` or timing.

    Each batch holds ``batch_size`` proposals (default: the population size); they are
    evaluated with ``map_`` and examined in proposal order until ``n`` are accepted. Every
    proposal examined counts as an evaluation; the rest of the last batch is discarded.

    >>> sampler = OrderedBatchSampler(seed=3)
    >>> sampler.batch_size is None
    True
    """

    def __init__(self, map_: Map = map, seed: int = 0, batch_size: int | None = None,
                 progress: Progress | None = None):
        super().__init__()
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.map_, self.seed, self.batch_size, self.progress = map_, int(seed), batch_size, progress

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                ana_vars=None):
        task = functools.partial(_simulate_seeded, cloudpickle.dumps(simulate_one))
        size = self.batch_size or n
        sample, examined, accepted, batch = self._create_empty_sample(), 0, 0, 0
        while accepted < n and examined < max_eval:
            seeds = [_particle_seed(self.seed, t, batch, k) for k in range(size)]
            for particle in self.map_(task, seeds):
                sample.append(particle)
                examined += 1
                accepted += bool(particle.accepted)
                if accepted == n or examined >= max_eval:
                    break
            batch += 1
            if self.progress is not None:
                self.progress(t, min(accepted, n), n)
        self.nr_evaluations_ = examined
        if accepted < n:
            sample.ok = False
        return sample


@dataclass(frozen=True)
class UniformPrior:
    """A uniform prior on ``[low, high]`` (on the log scale if ``log``)."""

    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        if not (np.isfinite(self.low) and np.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"a uniform prior needs finite low < high, got [{self.low}, {self.high}]")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-uniform prior needs low > 0, got {self.low}")

    def rv(self) -> Any:
        if self.log:
            return pyabc.RV("loguniform", self.low, self.high)
        return pyabc.RV("uniform", self.low, self.high - self.low)


@dataclass(frozen=True)
class ABCPosterior:
    """Weighted draws of the last generation and the run's diagnostics.

    ``draws`` has one column per parameter, ``weights`` sum to 1; ``generations`` has one row
    per generation (tolerance ``epsilon``, ``particles``, ``evaluations``, ``acceptance``,
    ``ess``); ``predictive`` holds the accepted particles' simulated summaries (one column
    per summary) with their weights ``predictive_weights``: posterior predictive draws.
    """

    draws: pd.DataFrame
    weights: np.ndarray
    generations: pd.DataFrame
    evaluations: int
    database: str
    run_id: int
    predictive: pd.DataFrame
    predictive_weights: np.ndarray

    @property
    def ess(self) -> float:
        """Effective sample size of the last generation (:func:`kish_ess`)."""
        return kish_ess(self.weights)

    def mean(self) -> pd.Series:
        """Posterior means."""
        return self.table()["mean"]

    def sd(self) -> pd.Series:
        """Posterior standard deviations."""
        return self.table()["sd"]

    def table(self) -> pd.DataFrame:
        """One row per parameter: posterior mean, SD and the 5%, 50% and 95% quantiles."""
        return weighted_table(self.draws, self.weights)

    def quantile(self, q: float) -> pd.Series:
        """Weighted posterior quantile ``q`` of every parameter."""
        return weighted_quantile(self.draws, self.weights, q)


def kish_ess(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised weights, 1 / sum(w^2)."""
    weights = np.asarray(weights, dtype=float)
    return float(1.0 / np.sum((weights / weights.sum()) ** 2))


def weighted_quantile(draws: pd.DataFrame, weights: np.ndarray, q: float) -> pd.Series:
    """The smallest draw of each column whose cumulative weight reaches ``q``."""
    out = {}
    for name in draws.columns:
        values = draws[name].to_numpy()
        order = np.argsort(values, kind="stable")
        cumulative = np.cumsum(weights[order])
        out[name] = float(values[order][min(np.searchsorted(cumulative, q * cumulative[-1]), values.size - 1)])
    return pd.Series(out)


def weighted_table(draws: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Mean, SD and the 5%, 50% and 95% quantiles of weighted draws, one row per column.

    >>> weighted_table(pd.DataFrame({"a": [0.0, 1.0]}), np.array([0.5, 0.5]))["mean"].item()
    0.5
    """
    weights = np.asarray(weights, dtype=float) / np.sum(weights)
    mean = weights @ draws.to_numpy()
    sd = np.sqrt(weights @ (draws.to_numpy() - mean) ** 2)
    return pd.DataFrame({"mean": mean, "sd": sd, "q05": weighted_quantile(draws, weights, 0.05).to_numpy(),
                         "q50": weighted_quantile(draws, weights, 0.5).to_numpy(),
                         "q95": weighted_quantile(draws, weights, 0.95).to_numpy()},
                        index=pd.Index(draws.columns, name="parameter"))


class FlooredMedianEpsilon(pyabc.QuantileEpsilon):
    """pyabc's median tolerance (each generation's tolerance is the weighted median distance
    of the one before), never below ``floor``: a run stops after its first generation at
    the floor (``min_epsilon``), instead of asking for a closer match than the data allow."""

    def __init__(self, floor: float = 0.0):
        super().__init__(alpha=0.5)
        self.floor = float(floor)

    def _update(self, t: int, weighted_distances: pd.DataFrame) -> None:
        super()._update(t, weighted_distances)
        self._look_up[t] = max(self._look_up[t], self.floor)


def noise_floor(n_targets: int, level: float = 0.95) -> float:
    """The root mean square of ``n_targets`` standardised errors that the truth stays below
    with probability ``level`` when each published value is the truth plus a normal error of
    its stated sd: sqrt(chi2_level(k) / k). A tolerance below it rejects the true parameters
    more often than 1 - ``level`` (Wilkinson 2013, Stat Appl Genet Mol Biol 12:129: ABC's
    tolerance plays the part of the data's error), so ``calibrate_abc`` stops there.

    >>> round(noise_floor(4), 3), round(noise_floor(25), 3)
    (1.54, 1.227)
    """
    from scipy.stats import chi2

    if n_targets < 1:
        raise ValueError(f"n_targets must be at least 1, got {n_targets}")
    return float(np.sqrt(chi2.ppf(level, n_targets) / n_targets))


def abc_smc(model: Callable[[dict[str, float]], Mapping[str, float]], priors: Mapping[str, UniformPrior],
            observed: Mapping[str, float], distance: Callable[[Mapping[str, float], Mapping[str, float]], float],
            database: str | Path, *, population_size: int = 200, generations: int = 8,
            min_epsilon: float = 0.0, seed: int = 0, map_: Map = map, batch_size: int | None = None,
            resume: bool = False, progress: Progress | None = None, kernel_scale: float = 1.0) -> ABCPosterior:
    """Run (or, with ``resume``, continue) ABC-SMC until ``generations`` generations exist
    or the tolerance reaches ``min_epsilon`` (the tolerance never goes below it).

    ``kernel_scale`` multiplies the covariance of the multivariate normal perturbation
    kernel (pyabc's ``scaling``; 1 = Silverman's bandwidth). In many dimensions a wider
    kernel keeps the importance weights even: on a 15-parameter linear toy with 25 targets
    and 100 particles, the effective sample size of generations 1 and 2 was 10.4 and 5.5 at
    scale 1, 25.3 and 35.5 at scale 3 (``python benchmarks/abc_kernel_scale.py --population
    100 --generations 3``; docs/calibration.md).

    ``model`` maps a parameter dict to summary statistics (a dict like ``observed``);
    ``distance`` compares two such dicts. The run is stored in ``database`` (an SQLite file):
    ``resume=True`` continues the last run found there, so an interrupted run given the
    same arguments ends where an uninterrupted one would.

    >>> import tempfile, os
    >>> def model(p): return {"y": p["mu"] + 0.1 * np.random.normal()}
    >>> db = os.path.join(tempfile.mkdtemp(), "abc.db")
    >>> post = abc_smc(model, {"mu": UniformPrior(-2, 2)}, {"y": 0.5}, lambda a, b: abs(a["y"] - b["y"]), db,
    ...                population_size=50, generations=3, seed=1)
    >>> len(post.generations), round(float(post.weights.sum()), 6)
    (3, 1.0)
    """
    if population_size < 2:
        raise ValueError(f"population_size must be at least 2, got {population_size}")
    if generations < 1:
        raise ValueError(f"generations must be at least 1, got {generations}")
    if not priors:
        raise ValueError("no parameters to infer: priors is empty")
    if not kernel_scale > 0:
        raise ValueError(f"kernel_scale must be positive, got {kernel_scale}")
    url = f"sqlite:///{Path(database).resolve()}"
    prior = pyabc.Distribution(**{name: p.rv() for name, p in priors.items()})
    sampler = OrderedBatchSampler(map_=map_, seed=seed, batch_size=batch_size, progress=progress)
    abc = pyabc.ABCSMC(lambda parameters: dict(model(dict(parameters))), prior,
                       lambda a, b: float(distance(a, b)), population_size=population_size, sampler=sampler,
                       eps=FlooredMedianEpsilon(min_epsilon),
                       transitions=pyabc.MultivariateNormalTransition(scaling=kernel_scale))
    logging.getLogger("ABC").setLevel(logging.WARNING)
    if resume and Path(database).exists():
        abc.load(url, pyabc.History(url).id)
    else:
        abc.new(url, dict(observed))
    done = abc.history.max_t + 1
    if done < generations:
        abc.run(minimum_epsilon=min_epsilon, max_nr_populations=generations - done)
    return _posterior(abc.history, str(database), abc.history.id)


def _posterior(history: Any, database: str, run_id: int) -> ABCPosterior:
    draws, weights = history.get_distribution(m=0, t=history.max_t)
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0].reset_index(drop=True)
    rows = []
    for t, samples, epsilon, particles in zip(populations["t"], populations["samples"], populations["epsilon"],
                                              populations["particles"], strict=True):
        _, w = history.get_distribution(m=0, t=int(t))
        rows.append({"generation": int(t), "epsilon": float(epsilon), "particles": int(particles),
                     "evaluations": int(samples), "acceptance": float(particles) / float(samples),
                     "ess": kish_ess(w)})
    columns = sorted(draws.columns)
    weights = np.asarray(weights, dtype=float)
    stat_weights, stats = history.get_weighted_sum_stats(t=history.max_t)
    stat_weights = np.asarray(stat_weights, dtype=float)
    return ABCPosterior(draws=draws[columns].reset_index(drop=True), weights=weights / weights.sum(),
                        generations=pd.DataFrame(rows), evaluations=int(history.total_nr_simulations),
                        database=database, run_id=int(run_id), predictive=pd.DataFrame(list(stats)),
                        predictive_weights=stat_weights / stat_weights.sum())


# --- painsim's targets as an ABC problem --------------------------------------------------


def predictive_check(targets: Any, post: ABCPosterior, holdout: Iterable[str] = (), level: float = 0.9) -> pd.DataFrame:
    """Posterior predictive check of every target: the central ``level`` interval of its
    simulated value over the accepted particles (weighted), the published value, and whether
    it lies inside. The particles share the cohorts of ``[fit]``, so the interval carries the
    parameters' uncertainty, not the sampling error of the published study."""
    holdout = set(holdout)
    tail = (1.0 - level) / 2.0
    low = weighted_quantile(post.predictive, post.predictive_weights, tail)
    high = weighted_quantile(post.predictive, post.predictive_weights, 1.0 - tail)
    rows = [{"target": t.name, "role": "holdout" if t.name in holdout else "fit", "published": float(t.value),
             "low": float(low[t.name]), "high": float(high[t.name]),
             "inside": bool(low[t.name] <= t.value <= high[t.name])} for t in targets.targets]
    return pd.DataFrame(rows)


def dask_map(client: Any) -> Map:
    """A ``map`` that runs each task on ``client``'s workers and returns results in order."""
    return lambda task, items: client.gather(client.map(task, list(items), pure=False))


def _simulate_targets(targets: Any, parameters: dict[str, float]) -> dict[str, float]:
    """Every target's simulated value; all NaN (so the particle is infinitely far and never
    accepted) when the parameters leave a scenario or trial without the cohort it needs:
    such parameters cannot have produced the published studies."""
    from painsim.calibration.fitting import evaluate
    from painsim.engine.screening import ScreeningError

    try:
        return evaluate({name: float(v) for name, v in parameters.items()}, targets)
    except ScreeningError:
        return {t.name: float("nan") for t in targets.targets}


def _standardised_distance(fitted: tuple[str, ...], sds: tuple[float, ...], simulated: Mapping[str, float],
                           observed: Mapping[str, float]) -> float:
    """Root mean square of (simulated - published) / sd over the fitted targets; a target the
    model could not compute (NaN) is infinitely far."""
    z = [(simulated[name] - observed[name]) / sd for name, sd in zip(fitted, sds, strict=True)]
    return float(np.sqrt(np.mean(np.square(z)))) if np.all(np.isfinite(z)) else float("inf")


def calibrate_abc(targets: Any, database: str | Path, *, holdout: Iterable[str] = (), population_size: int = 200,
                  generations: int = 8, min_epsilon: float | None = None, seed: int = 0, map_: Map = map,
                  resume: bool = False, progress: Progress | None = None, kernel_scale: float = 1.0) -> ABCPosterior:
    """ABC-SMC of the ``[parameters]`` of a targets file (painsim.calibration.targets).

    Priors are uniform on each parameter's range (log-uniform where ``log = true``); the
    summary statistics are every target's simulated value (:func:`painsim.calibration.evaluate`,
    the cohorts of ``[fit]``), the distance the root mean square of (simulated - published)
    / sd over the targets not held out, sd being each target's uncertainty (its ``sd``, else
    half its band). Held-out targets are simulated for every particle but never compared.
    The tolerance stops at ``min_epsilon`` (default :func:`noise_floor` of the fitted
    targets: closer than the published values' own errors would reject the truth).
    """
    holdout = set(holdout)
    unknown = sorted(holdout - {t.name for t in targets.targets})
    if unknown:
        raise ValueError(f"holdout names no target: {', '.join(unknown)}")
    fitted = tuple(t.name for t in targets.targets if t.name not in holdout)
    if not fitted:
        raise ValueError("every target is held out: nothing to calibrate against")
    if not targets.parameters:
        raise ValueError("the targets file names no [parameters] to infer")
    priors = {name: UniformPrior(r.low, r.high, r.log) for name, r in targets.parameters.items()}
    observed = {t.name: float(t.value) for t in targets.targets}
    distance = functools.partial(_standardised_distance, fitted, tuple(targets.target(n).scale for n in fitted))
    floor = noise_floor(len(fitted)) if min_epsilon is None else min_epsilon
    return abc_smc(functools.partial(_simulate_targets, targets), priors, observed, distance, database,
                   population_size=population_size, generations=generations, min_epsilon=floor, seed=seed,
                   map_=map_, resume=resume, progress=progress, kernel_scale=kernel_scale)
