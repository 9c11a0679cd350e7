"""Sequential Monte Carlo over painsim's own model: one client's traits and state from a diary.

The particles are virtual patients of a population (by default chronic low back pain at
entry: docs/model.md, "Populations"), each with its traits, state and random streams. The
filter advances them with the engine day by day through the diary (a session on its day), weights
each particle by the likelihood of the client's ratings under the measurement model below,
resamples when the effective sample size (ESS) falls below a share of the particles and then
rejuvenates the traits and the slow states (a Liu-West kernel).

Measurement model (docs/diary.md): the engine's reported pain is the latent pain ``P`` plus
a rating error of SD ``measurement_noise * min(1, P / measurement_noise_pain)``, clipped to
0-10 (docs/model.md, "The daily update"); a client writes it rounded to the diary's step
(whole points, or halves), so a rating ``r`` has likelihood ``P(r - step/2 <= P_obs < r +
step/2)``; with probability ``lapse`` a rating is a slip, uniform over the possible ratings
(a rating the model cannot reach never zeroes every particle).

Resampled copies of a particle get fresh ids, so that their futures differ (the engine's
random numbers are keyed by patient id and day: engine/rng.py).

Examples
--------
>>> from painsim.diary.reading import diary_from_ratings
>>> fit = fit_diary(diary_from_ratings([6, 6, 5, 7, 6, 5, 6, 6]), particles=300, seed=2)
>>> fit.n_particles, 0 < fit.ess <= 300
(300, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy.special import expit, logit, ndtr

from painsim.engine import Cohort, ModelParams, Population, Record, simulate
from painsim.engine.variables import S_C, S_E, S_K, S_T, S_W, TRAITS

#: The slow states (memory of a month or more: tissue, sensitization, conditioning, strain,
#: self-efficacy) that rejuvenation moves with the traits: copies of one ancestor share them,
#: and they set the course for weeks, so without a move a long diary leaves too few values.
SLOW_STATES = (S_T, S_C, S_K, S_W, S_E)

Progress = Callable[[str, int, int], None]

#: Stages reported to ``progress(stage, done, total)``.
STAGE_PRIOR = "drawing the particles from the population"
STAGE_FILTER = "reading the diary day by day"
#: Particle ids start here: far above the ids of screened candidates, so fresh ids never
#: meet a population's own.
FIRST_PARTICLE_ID = 1 << 40
#: Resample when the ESS falls below this share of the particles.
ESS_FRACTION = 0.5
#: Liu-West rejuvenation: the share of the particles' trait variance (logit scale) that a
#: resampled particle's traits are moved by; its mean and variance are kept.
JITTER = 0.05
#: Probability that a rating is a slip (uniform over the possible ratings).
LAPSE = 0.02
#: The longest step of the filter. The engine keeps a session's decaying relief only within
#: one call of simulate, so a step from a session to the next would keep more of it, but the
#: ratings of a whole step weigh the particles at once: a week of them left an ESS of 1 of
#: 10,000 on examples/diary/example_diary.csv, two days 5-18, and the forecasts then hung on
#: a handful of ancestors (P(30% better) 0.36-0.52 over three seeds); one day gives 466-488
#: and 0.54-0.59 (scripts/diary_seed_stability.py; docs/diary.md).
MAX_STEP_DAYS = 1
#: Distinct patients screened per particle by default (each is copied, with fresh ids and
#: so its own future, into particles): screening is the costly part of the prior.
PRIOR_SHARE = 0.25


def rating_likelihood(rating: float, latent: np.ndarray, params: ModelParams, step: float = 1.0,
                      lapse: float = LAPSE) -> np.ndarray:
    """Likelihood of a diary rating given each particle's latent pain (the measurement model
    of the module docstring).

    Examples
    --------
    >>> lik = rating_likelihood(5.0, np.array([5.0, 5.4, 8.0]), ModelParams())
    >>> bool(lik[0] > lik[1] > lik[2])
    True
    """
    half = step / 2.0
    sd = np.maximum(params.measurement_noise * np.minimum(1.0, latent / params.measurement_noise_pain), 1e-4)
    upper = np.ones_like(latent) if rating + half > 10.0 else ndtr((rating + half - latent) / sd)
    lower = np.zeros_like(latent) if rating - half < 0.0 else ndtr((rating - half - latent) / sd)
    levels = 10.0 / step + 1.0
    return (1.0 - lapse) * np.clip(upper - lower, 0.0, 1.0) + lapse / levels


@dataclass
class Particles:
    """A weighted cloud of virtual patients: one cohort per parameter draw (a cohort carries
    its ModelParams; ``care_params`` the draw's CareParams, one per group, empty: the
    defaults), with normalised weights over the concatenated particles."""

    groups: list[Cohort]
    weights: np.ndarray
    next_id: int = FIRST_PARTICLE_ID
    care_params: list[Any] = field(default_factory=list)

    def care_of(self, k: int) -> Any:
        """The care gains of group ``k`` (None: the defaults)."""
        return self.care_params[k] if self.care_params else None

    def __len__(self) -> int:
        return int(sum(len(g) for g in self.groups))

    @property
    def traits(self) -> np.ndarray:
        """Traits of every particle (traits x particles), in group order."""
        return np.concatenate([g.traits for g in self.groups], axis=1)

    @property
    def ess(self) -> float:
        """Kish effective sample size of the weights."""
        return float(1.0 / np.sum(self.weights**2))

    def fresh_ids(self, n: int) -> np.ndarray:
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        return ids

    def step(self, days: int, record: Record, care: Any = None) -> list[Any]:
        """Advance every group ``days`` days in place; the engine's results per group."""
        results = []
        for k, group in enumerate(self.groups):
            result = simulate(group, days, record, care=care, care_params=self.care_of(k))
            self.groups[k] = result.cohort
            results.append(result)
        return results

    def resample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """Systematic resampling to ``n`` equally weighted particles with fresh ids; returns
        the positions drawn (into the old cloud)."""
        positions = np.searchsorted(np.cumsum(self.weights), (rng.random() + np.arange(n)) / n)
        positions = np.minimum(positions, len(self) - 1)
        bounds = np.cumsum([0] + [len(g) for g in self.groups])
        groups, care = [], []
        for k, group in enumerate(self.groups):
            mine = positions[(positions >= bounds[k]) & (positions < bounds[k + 1])] - bounds[k]
            if mine.size:
                copy = group.subset(mine)
                copy.ids = self.fresh_ids(mine.size)
                groups.append(copy)
                care.append(self.care_of(k))
        self.groups = groups
        self.care_params = care if self.care_params else []
        self.weights = np.full(n, 1.0 / n)
        return positions

    def set_traits(self, traits: np.ndarray) -> None:
        start = 0
        for group in self.groups:
            group.traits = np.ascontiguousarray(traits[:, start:start + len(group)], dtype=np.float32)
            start += len(group)

    @property
    def slow_states(self) -> np.ndarray:
        """The :data:`SLOW_STATES` of every particle (states x particles), in group order."""
        return np.concatenate([g.state[list(SLOW_STATES)] for g in self.groups], axis=1)

    def set_slow_states(self, values: np.ndarray) -> None:
        start = 0
        for group in self.groups:
            group.state[list(SLOW_STATES)] = values[:, start:start + len(group)]
            start += len(group)

    def copy(self) -> Particles:
        return replace(self, groups=[g.copy() for g in self.groups], weights=self.weights.copy(),
                       care_params=list(self.care_params))


def jitter_traits(traits: np.ndarray, weights: np.ndarray, h2: float, rng: np.random.Generator) -> np.ndarray:
    """Liu-West kernel on the logit scale (Liu & West 2001): each particle's traits shrink
    toward the weighted mean by ``a = sqrt(1 - h2)`` and move by a normal draw of covariance
    ``h2`` times the weighted covariance, which keeps the cloud's mean and covariance.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = expit(rng.normal(size=(3, 4000)))
    >>> moved = jitter_traits(t, np.full(4000, 1 / 4000), 0.1, rng)
    >>> bool(np.allclose(logit(moved).std(axis=1), logit(t).std(axis=1), rtol=0.1))
    True
    """
    if h2 <= 0:
        return traits
    x = logit(np.clip(traits.astype(np.float64), 1e-6, 1 - 1e-6))
    mean = x @ weights
    centred = x - mean[:, None]
    # the weighted covariance by hand: np.cov with aweights took 23 ms for 11 x 10,000
    cov = (centred * weights) @ centred.T / max(1.0 - float(weights @ weights), 1e-12) + 1e-9 * np.eye(x.shape[0])
    a = math.sqrt(1.0 - h2)
    noise = np.linalg.cholesky(h2 * cov) @ rng.standard_normal(x.shape)
    return expit(a * x + (1.0 - a) * mean[:, None] + noise).astype(np.float32)


@dataclass
class DiaryFit:
    """The filter's answer: the weighted particles at the end of the diary and what it saw.

    ``ess_history``: ESS after each step's weighting (before any resampling), ``steps``: the
    first day of each step, ``resampled_days``: the steps that resampled; ``fitted``: per
    diary day the weighted 10/50/90% of the particles' reported pain after weighting (how
    well the model follows the diary); ``prior_traits``: traits of the prior particles.
    """

    particles: Particles
    diary: Any
    ess_history: list[float]
    steps: list[int]
    resampled_days: list[int]
    fitted: dict[str, list[float]]
    prior_traits: np.ndarray
    log_evidence: float
    seed: int
    conditioned: bool = True
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_particles(self) -> int:
        """Particles in the cloud."""
        return len(self.particles)

    @property
    def ess(self) -> float:
        """Effective sample size at the end of the diary (after the last step)."""
        return self.particles.ess

    @property
    def min_ess(self) -> float:
        """Smallest ESS of any step."""
        return float(min(self.ess_history)) if self.ess_history else float(self.n_particles)

    def trait_table(self) -> list[dict[str, Any]]:
        """Per trait: prior mean and 10/90%, posterior mean, SD and 10/50/90% (weighted)."""
        post, w = self.particles.traits.astype(np.float64), self.particles.weights
        prior = self.prior_traits.astype(np.float64)
        rows = []
        for k, name in enumerate(TRAITS):
            q = weighted_quantiles(post[k], w, (0.1, 0.5, 0.9))
            mean = float(post[k] @ w)
            rows.append({
                "trait": name, "prior_mean": round(float(prior[k].mean()), 4),
                "prior_p10": round(float(np.quantile(prior[k], 0.1)), 4),
                "prior_p90": round(float(np.quantile(prior[k], 0.9)), 4),
                "mean": round(mean, 4), "sd": round(float(np.sqrt(((post[k] - mean) ** 2) @ w)), 4),
                "p10": round(q[0], 4), "p50": round(q[1], 4), "p90": round(q[2], 4),
            })
        return rows


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list[float]:
    """Quantiles of a weighted sample (the inverse of its weighted empirical CDF, midpoints).

    Examples
    --------
    >>> weighted_quantiles(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0]), [0.5])
    [2.0]
    """
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cdf = np.cumsum(w) - 0.5 * w
    cdf /= max(float(np.sum(w)), 1e-300)
    return [float(np.interp(q, cdf, v)) for q in qs]


def filter_steps(diary: Any) -> list[tuple[int, int]]:
    """The filter's steps as (first day, days): one day each, except that a day with a session
    starts a step lasting to the day before the next session, at most :data:`MAX_STEP_DAYS`
    (one day: every step is a day).

    Examples
    --------
    >>> from painsim.diary.reading import diary_from_ratings
    >>> filter_steps(diary_from_ratings([5] * 4, sessions={"massage": (2,)}))
    [(0, 1), (1, 1), (2, 1), (3, 1)]
    """
    starts = sorted({d for days in diary.sessions.values() for d in days})
    steps, day = [], 0
    while day < diary.n_days:
        if day in starts:
            later = [d for d in starts if d > day]
            length = min(MAX_STEP_DAYS, (later[0] if later else diary.n_days) - day, diary.n_days - day)
        else:
            length = 1
        steps.append((day, length))
        day += length
    return steps


def step_care(diary: Any, day: int, days: int) -> Any:
    """The care plan of the sessions the diary records on days ``day`` .. ``day + days - 1``
    (days counted from the step's first day), or None."""
    from painsim.care import REGISTRY, CarePlan, Schedule

    treatments = {}
    for name, session_days in diary.sessions.items():
        inside = tuple(d - day for d in session_days if day <= d < day + days)
        if inside:
            treatments[name] = REGISTRY.get(name)(schedule=Schedule(days=inside))
    return CarePlan(**treatments) if treatments else None


def prior_particles(particles: int, seed: int, population: Population | str = "chronic",
                    params_draws: Sequence[ModelParams] | None = None,
                    draw_weights: Sequence[float] | None = None, prior_patients: int | None = None,
                    progress: Progress | None = None, care_draws: Sequence[Any] | None = None) -> Particles:
    """``particles`` equally weighted particles from ``population``: ``prior_patients``
    (default :data:`PRIOR_SHARE` of the particles) screened patients, each copied with fresh
    ids into particles. With ``params_draws`` (weighted draws of a posterior over ModelParams,
    ``draw_weights`` summing to anything positive; default equal) the particles are shared
    among the draws in proportion to their weights (largest remainder), each draw's own
    patients screened under its parameters; ``care_draws`` (CareParams, one per draw) are
    the draws' care gains, which every later simulation of their particles uses."""
    report = progress or (lambda stage, done, total: None)
    draws = list(params_draws) if params_draws else [ModelParams()]
    if care_draws is not None and len(care_draws) != len(draws):
        raise ValueError(f"care_draws must be one per parameter draw ({len(draws)}), got {len(care_draws)}")
    w = np.ones(len(draws)) if draw_weights is None else np.asarray(draw_weights, dtype=np.float64)
    if w.shape != (len(draws),) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"draw_weights must be {len(draws)} finite non-negative numbers with a positive sum")
    exact = particles * w / w.sum()
    counts = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - counts), kind="stable")[: particles - counts.sum()]:
        counts[k] += 1
    distinct = prior_patients or max(1, round(particles * PRIOR_SHARE))
    cloud = Particles(groups=[], weights=np.empty(0))
    done = 0
    for g, (draw, count) in enumerate(zip(draws, counts, strict=True)):
        if count == 0:
            continue
        n = max(1, min(count, math.ceil(count * distinct / particles)))
        cohort = Cohort.build(population, n=n, seed=seed + 7919 * g, params=draw)
        copies = cohort.subset(np.arange(count) % n)
        copies.ids = cloud.fresh_ids(count)
        cloud.groups.append(copies)
        if care_draws is not None:
            cloud.care_params.append(care_draws[g])
        done += count
        report(STAGE_PRIOR, done, particles)
    cloud.weights = np.full(len(cloud), 1.0 / len(cloud))
    return cloud


def fit_diary(diary: Any, *, particles: int = 10_000, seed: int = 1, population: Population | str = "chronic",
              params_draws: Sequence[ModelParams] | None = None, draw_weights: Sequence[float] | None = None,
              prior_patients: int | None = None, ess_fraction: float = ESS_FRACTION, jitter: float = JITTER,
              lapse: float = LAPSE, condition: bool = True, prior: Particles | None = None,
              progress: Progress | None = None, care_draws: Sequence[Any] | None = None) -> DiaryFit:
    """Fit a diary (:class:`painsim.diary.reading.Diary`) by sequential Monte Carlo.

    Parameters
    ----------
    diary : the client's checked diary.
    particles : virtual patients in the cloud.
    seed : seeds the population's draws and the resampling.
    population : where the particles come from (a Population or its name; default chronic).
    params_draws, draw_weights : weighted draws of the model's parameters (a posterior);
        default: the defaults, ``ModelParams()``.
    care_draws : the care gains (CareParams) of each of ``params_draws``, for posteriors
        that also cover care; default: the defaults.
    prior_patients : distinct patients screened for the prior (default a quarter of the
        particles; each copied with its own future).
    ess_fraction, jitter, lapse : resampling threshold (share of particles), Liu-West
        rejuvenation (share of the trait variance), probability of a slip in a rating.
    condition : False propagates the prior through the diary's days without weighting (the
        population-only prediction the validation compares with).
    prior : particles to start from instead of drawing them (copied; for validation runs
        that fit many diaries from one population).
    progress : ``progress(stage, done, total)``.

    Examples
    --------
    >>> from painsim.diary.reading import diary_from_ratings
    >>> fit = fit_diary(diary_from_ratings([3, 3, 2, 3, 3, 2, 3, 3, 2, 3]), particles=400, seed=1)
    >>> fit.trait_table()[0]["trait"]
    'pain_sensitivity'
    """
    if particles < 10:
        raise ValueError(f"particles must be at least 10, got {particles}")
    report = progress or (lambda stage, done, total: None)
    rng = np.random.default_rng([seed, 19])
    if prior is not None:
        cloud = prior.copy()
        cloud.groups = [g.copy() for g in cloud.groups]
        extra = np.random.default_rng([seed, 23]).integers(1 << 20) << 20
        cloud.next_id += int(extra) + len(cloud)
        for group in cloud.groups:  # fresh ids: two fits from one prior have their own futures
            group.ids = cloud.fresh_ids(len(group))
    else:
        cloud = prior_particles(particles, seed, population, params_draws, draw_weights, prior_patients, report,
                                care_draws)
    prior_traits = cloud.traits.copy()
    record = Record.daily("pain_latent", "pain")
    ess_history, steps, resampled = [], [], []
    fitted = {"p10": [], "p50": [], "p90": []}
    log_evidence = 0.0
    plan_steps = filter_steps(diary)
    for s, (day, days) in enumerate(plan_steps):
        results = cloud.step(days, record, care=step_care(diary, day, days))
        latent = np.concatenate([r.trajectories["pain_latent"] for r in results], axis=1)  # days x particles
        reported = np.concatenate([r.trajectories["pain"] for r in results], axis=1)
        loglik = np.zeros(len(cloud))
        if condition:
            group_params = np.concatenate([np.full(len(g), k) for k, g in enumerate(cloud.groups)])
            for t in range(days):
                rating = diary.pain[day + t]
                if not np.isfinite(rating):
                    continue
                for k, group in enumerate(cloud.groups):
                    mine = group_params == k
                    loglik[mine] += np.log(rating_likelihood(rating, latent[t, mine].astype(np.float64),
                                                             group.params, diary.step, lapse))
        shift = float(loglik.max())
        w = cloud.weights * np.exp(loglik - shift)
        total = float(w.sum())
        log_evidence += math.log(total) + shift
        cloud.weights = w / total
        for t in range(days):
            q = weighted_quantiles(reported[t].astype(np.float64), cloud.weights, (0.1, 0.5, 0.9))
            for key, value in zip(fitted, q, strict=True):
                fitted[key].append(round(value, 3))
        ess_history.append(cloud.ess)
        steps.append(day)
        if condition and cloud.ess < ess_fraction * len(cloud):
            cloud.resample(len(cloud), rng)
            if jitter > 0:
                # traits and slow states in one kernel: it keeps their joint covariance (two
                # kernels would shrink the correlations between them by 1 - h2 at every move)
                equal = np.full(len(cloud), 1.0 / len(cloud))
                both = jitter_traits(np.concatenate([cloud.traits, cloud.slow_states]), equal, jitter, rng)
                cloud.set_traits(both[: len(TRAITS)])
                cloud.set_slow_states(both[len(TRAITS):])
            resampled.append(day)
        report(STAGE_FILTER, s + 1, len(plan_steps))
    return DiaryFit(particles=cloud, diary=diary, ess_history=ess_history, steps=steps, resampled_days=resampled,
                    fitted=fitted, prior_traits=prior_traits, log_evidence=log_evidence, seed=seed,
                    conditioned=condition)
