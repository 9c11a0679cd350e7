"""Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788) of painsim's ABC-SMC
on the toy problem of benchmarks/abc_toy.py (docs/calibration.md, issue 16 item 3).

For each of ``--datasets`` synthetic datasets a true mean is drawn from the prior U(-4, 4),
one observed mean is simulated from it (standard error 0.2), and ABC-SMC (population
``--population``, ``--generations``) is run on it. The weighted posterior mass below the true
value is then uniform on (0, 1) if the posteriors are calibrated; the script prints the
coverage of the central 90% credible intervals (aim: 90 +- 5%), a histogram of that mass in
10 bins and a Kolmogorov-Smirnov test of uniformity.

    python benchmarks/abc_sbc.py [--datasets 100] [--population 150] [--generations 4] [--jobs 2]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

from painsim.calibration.abc_smc import UniformPrior, abc_smc

SE, LOW, HIGH = 0.2, -4.0, 4.0


def _model(parameters: dict[str, float]) -> dict[str, float]:
    return {"mean": parameters["mu"] + SE * np.random.normal()}


def _distance(a: dict[str, float], b: dict[str, float]) -> float:
    return abs(a["mean"] - b["mean"])


def mass_below_truth(dataset: int, population: int = 150, generations: int = 4) -> float:
    """Weighted posterior mass below the true value of synthetic dataset ``dataset``."""
    rng = np.random.default_rng([2018, dataset])
    truth = rng.uniform(LOW, HIGH)
    observed = truth + SE * rng.normal()
    with tempfile.TemporaryDirectory() as folder:
        post = abc_smc(_model, {"mu": UniformPrior(LOW, HIGH)}, {"mean": observed}, _distance,
                       Path(folder) / "sbc.db", population_size=population, generations=generations, seed=dataset)
    return float(post.weights[post.draws["mu"].to_numpy() < truth].sum())


def coverage(masses: np.ndarray, level: float = 0.9) -> float:
    """Share of datasets whose true value lies in the central ``level`` credible interval."""
    tail = (1 - level) / 2
    return float(np.mean((masses > tail) & (masses < 1 - tail)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--population", type=int, default=150)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        masses = np.array(list(pool.map(mass_below_truth, range(args.datasets),
                                        [args.population] * args.datasets, [args.generations] * args.datasets)))
    counts, _ = np.histogram(masses, bins=10, range=(0, 1))
    print(f"{args.datasets} datasets, population {args.population}, {args.generations} generations, "
          f"{time.perf_counter() - start:.0f} s on {args.jobs} processes")
    print(f"coverage of the central 90% intervals: {coverage(masses):.1%} (aim 90 +- 5%)")
    print(f"posterior mass below the truth, 10 bins: {counts.tolist()}; "
          f"KS test of uniformity p = {stats.kstest(masses, 'uniform').pvalue:.3f}")


if __name__ == "__main__":
    main()
