"""Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788) of ``painsim calibrate
--method abc-smc`` on painsim's own targets, with a reduced cohort (docs/calibration.md,
issue 16 item 3).

The code path is the real one: a targets file (acute episodes, 150 patients, 120 days; the
ratio of pain to baseline at 6 and 17 weeks, the share recovered by day 119 and the
within-person SD of daily pain) is read by ``parse_targets`` and calibrated by
``calibrate_abc`` over two parameters, ``heal_rate`` and ``fluctuation_sd``, with uniform
priors. For each synthetic dataset the true parameters are drawn from the prior and the
"published" values are simulated from them on a cohort of another seed (so the data carry
sampling noise, as real data do); the ABC then runs on its own cohorts. The posterior mass
below the truth is uniform when the posteriors are calibrated; the script prints, per
parameter, the coverage of the central 90% credible intervals (aim: 90 +- 5%), a 10-bin
histogram of that mass and a Kolmogorov-Smirnov test of uniformity.

    python benchmarks/abc_sbc_painsim.py [--datasets 100] [--population 60] [--generations 3] [--jobs 2]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

PRIORS = {"heal_rate": (0.3, 0.8), "fluctuation_sd": (0.3, 0.7)}
#: Each target: (statistic, its sd in the distance): about the noise of a cohort of 150.
STATISTICS = {
    "pain_6w": ('{ name = "pain_ratio", day = 41, window = 7, baseline_window = 7 }', 0.04),
    "pain_17w": ('{ name = "pain_ratio", day = 119, window = 7, baseline_window = 7 }', 0.04),
    "recovered_119": ('{ name = "recovered_fraction", day = 119 }', 0.05),
    "within_sd": ('{ name = "within_person_sd", day = 119, window = 28 }', 0.05),
}


def targets_text(observed: dict[str, float], seed: int) -> str:
    """A targets file whose published values are ``observed``, simulated on cohorts of ``seed``."""
    lines = ['name = "sbc"', "[fit]", "n = 150", f"seed = {seed}", "[parameters]"]
    lines += [f"{name} = {{ low = {low}, high = {high} }}" for name, (low, high) in PRIORS.items()]
    lines += ["[scenarios.acute]", "horizon_days = 120", 'population = { entry = "acute" }', "arms.no_care = {}"]
    for name, (statistic, sd) in STATISTICS.items():
        value = observed.get(name, 0.5)
        lines += ["[[targets]]", f'name = "{name}"', 'citation = "synthetic (simulation-based calibration)"',
                  'source = { kind = "scenario", scenario = "acute", arm = "no_care" }', f"statistic = {statistic}",
                  f"value = {value!r}", f"band = [{value - 2 * sd!r}, {value + 2 * sd!r}]"]
    return "\n".join(lines) + "\n"


def masses_below_truth(dataset: int, population: int = 60, generations: int = 3) -> dict[str, float]:
    """Per parameter, the weighted posterior mass below the true value of dataset ``dataset``."""
    from painsim.calibration import evaluate, parse_targets
    from painsim.calibration.abc_smc import calibrate_abc

    rng = np.random.default_rng([1804, dataset])
    truth = {name: float(rng.uniform(low, high)) for name, (low, high) in PRIORS.items()}
    observed = evaluate(truth, parse_targets(targets_text({}, seed=10_000 + dataset)))
    targets = parse_targets(targets_text(observed, seed=20_000 + dataset))
    with tempfile.TemporaryDirectory() as folder:
        post = calibrate_abc(targets, Path(folder) / "sbc.db", population_size=population, generations=generations,
                             seed=dataset)
    return {name: float(post.weights[post.draws[name].to_numpy() < value].sum()) for name, value in truth.items()}


def coverage(masses: np.ndarray, level: float = 0.9) -> float:
    """Share of datasets whose true value lies in the central ``level`` credible interval."""
    tail = (1 - level) / 2
    return float(np.mean((masses > tail) & (masses < 1 - tail)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--population", type=int, default=60)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    start = time.perf_counter()
    n = args.datasets
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(masses_below_truth, range(n), [args.population] * n, [args.generations] * n))
    print(f"{n} datasets, population {args.population}, {args.generations} generations, "
          f"{time.perf_counter() - start:.0f} s on {args.jobs} processes")
    for name in PRIORS:
        masses = np.array([row[name] for row in rows])
        counts, _ = np.histogram(masses, bins=10, range=(0, 1))
        print(f"{name}: coverage of the central 90% intervals {coverage(masses):.1%} (aim 90 +- 5%); mass below "
              f"the truth, 10 bins {counts.tolist()}; KS p = {stats.kstest(masses, 'uniform').pvalue:.3f}")


if __name__ == "__main__":
    main()
