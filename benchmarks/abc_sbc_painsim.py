"""Simulation-based calibration (Talts et al. 2018, arXiv:1804.06788) of ``painsim calibrate
--method abc-smc`` on painsim's own targets, with a reduced cohort (docs/calibration.md,
issue 16 item 3).

The code path is the real one: a targets file (acute episodes, 150 patients, 120 days; the
ratio of pain to baseline at 6 and 17 weeks, the share recovered by day 119 and the
within-person SD of daily pain) is read by ``parse_targets`` and calibrated by
``calibrate_abc`` over two parameters, ``heal_rate`` and ``fluctuation_sd``, with uniform
priors. For each synthetic dataset the true parameters are drawn from the prior and the
"published" values are simulated from them on a cohort of another seed (so the data carry
sampling noise, as real data do); the ABC then runs on its own cohorts. Each statistic's
stated uncertainty (its sd in the distance, as a published target's is its source's) is
measured, not guessed: sqrt(2) times its SD over 40 cohorts (:func:`noise_sds`), since the
data and the fit each carry one cohort's noise. The posterior mass below the truth is
uniform when the posteriors are calibrated; the script prints, per parameter, the coverage
of the central 90% credible intervals (aim: 90 +- 5%), a 10-bin histogram of that mass and a
Kolmogorov-Smirnov test of uniformity, and writes them to benchmarks/results/abc_sbc_painsim.json.

    python benchmarks/abc_sbc_painsim.py [--datasets 100] [--population 60] [--generations 3] [--jobs 2] \
        [--kernel-scale 2]
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from scipy import stats

PRIORS = {"heal_rate": (0.3, 0.8), "fluctuation_sd": (0.3, 0.7)}
#: Priors ``--parameters`` may add: each within its range in data/default_posterior_targets.toml.
MORE_PRIORS = {"heal_spread": (1.5, 3.0), "tissue_floor": (0.03, 0.5), "sensitization_gain": (0.3, 2.5)}
STATISTICS = {
    "pain_6w": '{ name = "pain_ratio", day = 41, window = 7, baseline_window = 7 }',
    "pain_17w": '{ name = "pain_ratio", day = 119, window = 7, baseline_window = 7 }',
    "recovered_119": '{ name = "recovered_fraction", day = 119 }',
    "within_sd": '{ name = "within_person_sd", day = 119, window = 28 }',
}
#: Cohorts whose spread of each statistic gives its stated uncertainty (:func:`noise_sds`).
NOISE_COHORTS = 40


def noise_sds(cohorts: int = NOISE_COHORTS, priors: dict[str, tuple[float, float]] | None = None) -> dict[str, float]:
    """Each statistic's stated uncertainty, as a real target's is its source's: the data
    (one cohort of 150) and the fit (another) each carry a cohort's sampling noise, so the sd
    is sqrt(2) times the SD of the statistic over ``cohorts`` cohorts of 150 at the centre
    of the prior."""
    from painsim.calibration import evaluate, parse_targets

    priors = priors or PRIORS
    centre = {name: (low + high) / 2 for name, (low, high) in priors.items()}
    placeholder = {name: 0.1 for name in STATISTICS}
    values = [evaluate(centre, parse_targets(targets_text({}, seed=30_000 + k, sds=placeholder, priors=priors)))
              for k in range(cohorts)]
    return {name: float(np.sqrt(2) * np.std([v[name] for v in values], ddof=1)) for name in STATISTICS}


def targets_text(observed: dict[str, float], seed: int, sds: dict[str, float],
                 priors: dict[str, tuple[float, float]] | None = None) -> str:
    """A targets file whose published values are ``observed`` with uncertainty ``sds``,
    simulated on cohorts of ``seed``."""
    lines = ['name = "sbc"', "[fit]", "n = 150", f"seed = {seed}", "[parameters]"]
    lines += [f"{name} = {{ low = {low}, high = {high} }}" for name, (low, high) in (priors or PRIORS).items()]
    lines += ["[scenarios.acute]", "horizon_days = 120", 'population = { entry = "acute" }', "arms.no_care = {}"]
    for name, statistic in STATISTICS.items():
        sd = sds[name]
        value = observed.get(name, 0.5)
        lines += ["[[targets]]", f'name = "{name}"', 'citation = "synthetic (simulation-based calibration)"',
                  'source = { kind = "scenario", scenario = "acute", arm = "no_care" }', f"statistic = {statistic}",
                  f"value = {value!r}", f"band = [{value - 2 * sd!r}, {value + 2 * sd!r}]"]
    return "\n".join(lines) + "\n"


def masses_below_truth(dataset: int, population: int = 60, generations: int = 3, sds: dict[str, float] | None = None,
                       kernel_scale: float = 1.0, priors: dict[str, tuple[float, float]] | None = None
                       ) -> dict[str, float]:
    """Per parameter, the weighted posterior mass below the true value of dataset ``dataset``."""
    from painsim.calibration import evaluate, parse_targets
    from painsim.calibration.abc_smc import calibrate_abc

    priors = priors or PRIORS
    sds = sds or noise_sds(priors=priors)
    rng = np.random.default_rng([1804, dataset])
    truth = {name: float(rng.uniform(low, high)) for name, (low, high) in priors.items()}
    observed = evaluate(truth, parse_targets(targets_text({}, seed=10_000 + dataset, sds=sds, priors=priors)))
    targets = parse_targets(targets_text(observed, seed=20_000 + dataset, sds=sds, priors=priors))
    with tempfile.TemporaryDirectory() as folder:
        post = calibrate_abc(targets, Path(folder) / "sbc.db", population_size=population, generations=generations,
                             seed=dataset, kernel_scale=kernel_scale)
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
    parser.add_argument("--kernel-scale", type=float, default=1.0)
    parser.add_argument("--parameters", default=",".join(PRIORS),
                        help=f"parameters to infer (NAME[,NAME]): of {', '.join([*PRIORS, *MORE_PRIORS])}")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "abc_sbc_painsim.json",
                        help="where the results are written (JSON)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    n = args.datasets
    known = {**PRIORS, **MORE_PRIORS}
    names = [name.strip() for name in args.parameters.split(",") if name.strip()]
    if not names or set(names) - set(known):
        parser.error(f"--parameters: names from {', '.join(known)} (given {args.parameters!r})")
    priors = {name: known[name] for name in names}
    sds = noise_sds(priors=priors)
    print("stated uncertainty of each statistic (sqrt(2) x its SD over cohorts of 150):",
          {k: round(v, 4) for k, v in sds.items()})
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(masses_below_truth, range(n), [args.population] * n, [args.generations] * n,
                             [sds] * n, [args.kernel_scale] * n, [priors] * n))
    seconds = time.perf_counter() - start
    print(f"{n} datasets, population {args.population}, {args.generations} generations, "
          f"{seconds:.0f} s on {args.jobs} processes")
    results = {"command": f"python benchmarks/abc_sbc_painsim.py --datasets {n} --population {args.population} "
                          f"--generations {args.generations} --jobs {args.jobs} --kernel-scale {args.kernel_scale:g}"
                          f" --parameters {','.join(priors)}",
               "seconds": round(seconds, 1), "load_average_1min_before_after": [load_before, os.getloadavg()[0]],
               "stated_sd": sds, "kernel_scale": args.kernel_scale, "parameters": {}}
    for name in priors:
        masses = np.array([row[name] for row in rows])
        counts, _ = np.histogram(masses, bins=10, range=(0, 1))
        ks_p = float(stats.kstest(masses, "uniform").pvalue)
        print(f"{name}: coverage of the central 90% intervals {coverage(masses):.1%} (aim 90 +- 5%); mass below "
              f"the truth, 10 bins {counts.tolist()}; KS p = {ks_p:.3f}")
        results["parameters"][name] = {"coverage_90": coverage(masses), "rank_histogram_10_bins": counts.tolist(),
                                       "ks_p": ks_p, "masses_below_truth": masses.round(4).tolist()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
