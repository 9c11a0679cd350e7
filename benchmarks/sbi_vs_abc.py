"""sbi's neural posterior estimation against painsim's ABC-SMC on the toy (issue 16 item 1).

The toy of benchmarks/abc_toy.py and benchmarks/abc_sbc.py (imported from there: the model,
the prior U(-4, 4), the standard error 0.2 and the synthetic datasets): a normal mean, one
observed mean of standard error 0.2, so the posterior is N(obs, 0.2^2) truncated to (-4, 4).
Both methods are measured in the same run, on the same ``--datasets`` synthetic datasets
(true mean drawn from the prior, one observed mean simulated from it, seeded as abc_sbc.py
seeds them):

* ABC-SMC (``painsim.calibration.abc_smc``, pyabc) at ``--abc-population`` and
  ``--abc-generations`` (default 150 and 4, as abc_sbc.py), one run per dataset, the datasets
  spread over ``--jobs`` processes, as abc_sbc.py does.
* NPE (sbi's ``NPE``, i.e. SNPE-C / APT, with a masked autoregressive flow, ``--estimator``)
  trained once on N prior simulations for each N of ``--simulations``. NPE is amortised: one
  trained network gives the posterior of every dataset, so the N simulations and the
  training time serve all datasets at once; the time per dataset beyond training is the
  sampling time. torch and numpy seeds are fixed (``--seed``).

For each method and setting the script reports simulations needed (per calibration and for all
datasets), wall time (with the 1-minute load average read before and after it: the machine is
shared), simulation-based calibration (Talts et al. 2018, arXiv:1804.06788): coverage of the
central 90% credible interval (aim 90 +- 5%), the posterior mass below the truth in 10 bins
and a Kolmogorov-Smirnov test of its uniformity; and, for the fixed observation 0.7, the error
of the posterior mean and SD against the analytic posterior. It prints a table and writes
benchmarks/results/sbi_vs_abc.json.

Install (a separate venv; sbi 0.24.0 and 0.25.0 require torch<2.6, so they cannot run on the
torch 2.13.0 CPU build that lies on this machine's disk; sbi 0.27.0 takes it):

    python3.11 -m venv /work/sbi-venv
    /work/sbi-venv/bin/pip install -c constraints.txt -e .
    /work/sbi-venv/bin/pip install -c constraints.txt -r benchmarks/requirements-sbi.txt

Run:

    /work/sbi-venv/bin/python benchmarks/sbi_vs_abc.py [--datasets 100] \
        [--simulations 500 1000 2000 4000] [--jobs 2]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))

from abc_sbc import HIGH, LOW, SE, _distance, _model, coverage
from painsim.calibration.abc_smc import UniformPrior, abc_smc

OBSERVED = 0.7
RESULTS = Path(__file__).resolve().parent / "results" / "sbi_vs_abc.json"


def dataset(index: int) -> tuple[float, float]:
    """True mean and observed mean of synthetic dataset ``index``, drawn as abc_sbc.py draws them."""
    rng = np.random.default_rng([2018, index])
    truth = rng.uniform(LOW, HIGH)
    return float(truth), float(truth + SE * rng.normal())


def analytic_posterior(observed: float) -> tuple[float, float]:
    """Mean and SD of the exact posterior: N(observed, SE^2) truncated to the prior's (LOW, HIGH)."""
    a, b = (LOW - observed) / SE, (HIGH - observed) / SE
    return float(stats.truncnorm.mean(a, b, observed, SE)), float(stats.truncnorm.std(a, b, observed, SE))


def sbc_summary(masses: np.ndarray) -> dict[str, object]:
    counts, _ = np.histogram(masses, bins=10, range=(0, 1))
    return {"coverage_90": coverage(masses), "rank_histogram_10_bins": counts.tolist(),
            "ks_p": float(stats.kstest(masses, "uniform").pvalue)}


def load() -> float:
    return round(os.getloadavg()[0], 2)


# --- ABC-SMC -----------------------------------------------------------------------------------

def abc_run(observed: float, seed: int, population: int, generations: int) -> tuple[np.ndarray, np.ndarray, int]:
    with tempfile.TemporaryDirectory() as folder:
        post = abc_smc(_model, {"mu": UniformPrior(LOW, HIGH)}, {"mean": observed}, _distance,
                       Path(folder) / "abc.db", population_size=population, generations=generations, seed=seed)
    return post.draws["mu"].to_numpy(), post.weights, post.evaluations


def abc_dataset(index: int, population: int, generations: int) -> tuple[float, int, float]:
    """Weighted posterior mass below the truth, evaluations and seconds for dataset ``index``
    (the same run as abc_sbc.mass_below_truth: seed = index)."""
    truth, observed = dataset(index)
    start = time.perf_counter()
    draws, weights, evaluations = abc_run(observed, index, population, generations)
    return float(weights[draws < truth].sum()), evaluations, time.perf_counter() - start


def measure_abc(datasets: int, population: int, generations: int, jobs: int, seed: int) -> dict[str, object]:
    load_before, start = load(), time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        rows = list(pool.map(abc_dataset, range(datasets), [population] * datasets, [generations] * datasets))
    wall = time.perf_counter() - start
    load_after = load()
    masses = np.array([r[0] for r in rows])
    evaluations = np.array([r[1] for r in rows])
    start = time.perf_counter()
    draws, weights, fixed_evaluations = abc_run(OBSERVED, seed, population, generations)
    fixed_seconds = time.perf_counter() - start
    mean = float(np.sum(weights * draws))
    sd = float(np.sqrt(np.sum(weights * (draws - mean) ** 2)))
    exact_mean, exact_sd = analytic_posterior(OBSERVED)
    return {
        "method": "ABC-SMC", "setting": f"population {population}, {generations} generations",
        "simulations_per_calibration": float(evaluations.mean()),
        "simulations_per_calibration_range": [int(evaluations.min()), int(evaluations.max())],
        "simulations_all_datasets": int(evaluations.sum()),
        "wall_seconds_all_datasets": wall, "processes": jobs,
        "seconds_per_dataset_one_process": float(np.mean([r[2] for r in rows])),
        "load_average_1min_before_after": [load_before, load_after],
        **sbc_summary(masses),
        "fixed_observation": {"observed": OBSERVED, "mean": mean, "sd": sd, "mean_error": mean - exact_mean,
                              "sd_error": sd - exact_sd, "simulations": fixed_evaluations,
                              "seconds": fixed_seconds, "seed": seed},
    }


# --- NPE (sbi) ---------------------------------------------------------------------------------

def measure_npe(simulations: int, datasets: int, estimator: str, seed: int, samples: int,
                threads: int) -> dict[str, object]:
    import torch
    from sbi.inference import NPE
    from sbi.utils import BoxUniform
    from torch.utils.tensorboard import SummaryWriter

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    np.random.seed(seed)
    load_before, start = load(), time.perf_counter()
    prior = BoxUniform(low=torch.tensor([LOW]), high=torch.tensor([HIGH]))
    theta = prior.sample((simulations,))
    x = torch.tensor([[_model({"mu": float(t)})["mean"]] for t in theta[:, 0]], dtype=torch.float32)
    simulate_seconds = time.perf_counter() - start
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as logs:  # sbi's training log, not ./sbi-logs
        inference = NPE(prior=prior, density_estimator=estimator, show_progress_bars=False,
                        summary_writer=SummaryWriter(logs))
        inference.append_simulations(theta, x).train(show_train_summary=False)
    posterior = inference.build_posterior()
    train_seconds = time.perf_counter() - start
    summary = getattr(inference, "_summary", {})
    epochs = summary.get("epochs_trained", [None])[-1]
    best = summary.get("best_validation_loss", summary.get("best_validation_log_prob", [None]))[-1]

    truths, observations = zip(*(dataset(i) for i in range(datasets)), strict=True)
    start = time.perf_counter()
    masses = np.array([
        float((posterior.sample((samples,), x=torch.tensor([obs]), show_progress_bars=False)[:, 0] < truth)
              .float().mean())
        for truth, obs in zip(truths, observations, strict=True)])
    sample_seconds = time.perf_counter() - start
    load_after = load()

    start = time.perf_counter()
    fixed = posterior.sample((20 * samples,), x=torch.tensor([OBSERVED]), show_progress_bars=False)[:, 0].numpy()
    fixed_seconds = time.perf_counter() - start
    exact_mean, exact_sd = analytic_posterior(OBSERVED)
    mean, sd = float(fixed.mean()), float(fixed.std())
    return {
        "method": "NPE (sbi)", "setting": f"{estimator}, N = {simulations}",
        "simulations_per_calibration": simulations, "simulations_all_datasets": simulations,
        "amortised": True,
        "wall_seconds_all_datasets": simulate_seconds + train_seconds + sample_seconds,
        "simulate_seconds": simulate_seconds, "train_seconds": train_seconds,
        "sample_seconds_per_dataset": sample_seconds / datasets, "posterior_samples_per_dataset": samples,
        "torch_threads": threads, "epochs_trained": epochs,
        "best_validation_loss": None if best is None else float(best),
        "load_average_1min_before_after": [load_before, load_after],
        **sbc_summary(masses),
        "fixed_observation": {"observed": OBSERVED, "mean": mean, "sd": sd, "mean_error": mean - exact_mean,
                              "sd_error": sd - exact_sd, "samples": len(fixed), "seconds": fixed_seconds,
                              "seed": seed},
    }


def version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def table(rows: list[dict[str, object]]) -> str:
    head = (f"{'method':<10} {'setting':<30} {'sims/calib':>10} {'sims all':>9} {'wall s':>7} {'s/dataset':>9} "
            f"{'cover90':>7} {'KS p':>6} {'mean err':>8} {'SD err':>7} {'load':>11}  rank histogram")
    lines = [head, "-" * len(head)]
    for r in rows:
        fixed = r["fixed_observation"]
        per_dataset = (r["sample_seconds_per_dataset"] if r["method"].startswith("NPE")
                       else r["seconds_per_dataset_one_process"])
        before, after = r["load_average_1min_before_after"]
        lines.append(
            f"{r['method']:<10} {r['setting']:<30} {r['simulations_per_calibration']:>10,.0f} "
            f"{r['simulations_all_datasets']:>9,} {r['wall_seconds_all_datasets']:>7.1f} {per_dataset:>9.3f} "
            f"{r['coverage_90']:>7.1%} {r['ks_p']:>6.3f} {fixed['mean_error']:>+8.3f} {fixed['sd_error']:>+7.3f} "
            f"{before:>5.2f}/{after:<5.2f}  {r['rank_histogram_10_bins']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--simulations", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--estimator", default="maf", help="sbi density estimator (maf, nsf, mdn, ...)")
    parser.add_argument("--samples", type=int, default=1000, help="NPE posterior samples per dataset")
    parser.add_argument("--abc-population", type=int, default=150)
    parser.add_argument("--abc-generations", type=int, default=4)
    parser.add_argument("--no-abc", action="store_true", help="measure NPE only")
    parser.add_argument("--jobs", type=int, default=2, help="ABC-SMC processes")
    parser.add_argument("--torch-threads", type=int, default=1,
                        help="torch threads for NPE (1: on this loaded 2-core machine 2 threads trained 4x slower)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    rows = []
    if not args.no_abc:  # first, before torch starts threads in this process, since the pool forks it
        rows.append(measure_abc(args.datasets, args.abc_population, args.abc_generations, args.jobs, args.seed))
        print(table(rows[-1:]).splitlines()[-1], flush=True)
    for n in args.simulations:
        rows.append(measure_npe(n, args.datasets, args.estimator, args.seed, args.samples, args.torch_threads))
        print(table(rows[-1:]).splitlines()[-1], flush=True)

    exact_mean, exact_sd = analytic_posterior(OBSERVED)
    print(f"\n{args.datasets} datasets; fixed observation {OBSERVED}: analytic posterior mean {exact_mean:.3f}, "
          f"SD {exact_sd:.3f}; load = 1-minute load average before/after, on {os.cpu_count()} cores")
    print(table(rows))
    result = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "versions": {p: version(p) for p in ("sbi", "torch", "pyabc", "numpy", "scipy", "painsim")},
        "toy": {"prior": [LOW, HIGH], "se": SE, "datasets": args.datasets, "fixed_observation": OBSERVED,
                "analytic_posterior_mean_sd": [exact_mean, exact_sd]},
        "notes": ("NPE is amortised: one training on N prior simulations serves every dataset, so its "
                  "simulations and training time are counted once; ABC-SMC runs once per dataset. "
                  "Times are wall seconds on a shared machine: see load_average_1min_before_after."),
        "results": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
