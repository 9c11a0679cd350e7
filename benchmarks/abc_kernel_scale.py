"""The width of ABC-SMC's perturbation kernel against the effective sample size, in as many
dimensions as painsim's default posterior (issue 16; docs/calibration.md).

A linear toy: 15 parameters with uniform priors on (0, 1), 25 summary statistics ``y = A
theta`` (``A`` a fixed random matrix), published values ``A theta* + N(0, 0.15^2)``, the
distance the root mean square of the standardised differences, as ``calibrate_abc`` uses.
For each ``--scales`` value, ``painsim.calibration.abc_smc.abc_smc`` runs ``--generations``
generations of ``--population`` particles, and the script prints each generation's
effective sample size (Kish), the evaluations, and the mean absolute error of the posterior
mean against theta*. The weights are prior over proposal density, and a kernel fitted to a
few hundred points in 15 dimensions is a poor proposal unless it is wide.

    python benchmarks/abc_kernel_scale.py [--scales 1 2 3] [--population 200] [--generations 5] [--seed 1]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from painsim.calibration.abc_smc import UniformPrior, abc_smc, kish_ess

DIMENSIONS, STATISTICS, SD = 15, 25, 0.15


def problem(seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """(A, theta*, observed) of the toy."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(STATISTICS, DIMENSIONS)) * rng.uniform(0.2, 2.0, size=(STATISTICS, 1))
    truth = rng.uniform(0.2, 0.8, DIMENSIONS)
    observed = a @ truth + rng.normal(0, SD, STATISTICS)
    return a, truth, {f"y{k}": float(v) for k, v in enumerate(observed)}


class LinearModel:
    """``y = A theta`` as a picklable model of parameter dicts."""

    def __init__(self, a: np.ndarray):
        self.a = a

    def __call__(self, parameters: dict[str, float]) -> dict[str, float]:
        theta = np.array([parameters[f"p{i:02d}"] for i in range(DIMENSIONS)])
        return {f"y{k}": float(v) for k, v in enumerate(self.a @ theta)}


def rms_distance(a: dict[str, float], b: dict[str, float]) -> float:
    return float(np.sqrt(np.mean([(a[k] - b[k]) ** 2 for k in b]) / SD**2))


def run(scale: float, population: int, generations: int, seed: int) -> dict[str, object]:
    """One ABC-SMC run of the toy at kernel ``scale``: ESS by generation, evaluations, error."""
    a, truth, observed = problem()
    priors = {f"p{i:02d}": UniformPrior(0.0, 1.0) for i in range(DIMENSIONS)}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        post = abc_smc(LinearModel(a), priors, observed, rms_distance, Path(folder) / "toy.db",
                       population_size=population, generations=generations, seed=seed, kernel_scale=scale)
    mean = post.weights @ post.draws[sorted(priors)].to_numpy()
    return {"scale": scale, "ess": [round(e, 1) for e in post.generations["ess"]], "final_ess": kish_ess(post.weights),
            "evaluations": post.evaluations, "mean_abs_error": float(np.abs(mean - truth).mean()),
            "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for scale in args.scales:
        r = run(scale, args.population, args.generations, args.seed)
        print(f"kernel scale {scale:g}: ESS by generation {r['ess']} of {args.population}, {r['evaluations']:,} "
              f"evaluations, posterior mean error {r['mean_abs_error']:.3f}, {r['seconds']:.0f} s")


if __name__ == "__main__":
    main()
