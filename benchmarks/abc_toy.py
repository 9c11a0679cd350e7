"""ABC-SMC on a toy problem with a known posterior (docs/calibration.md, issue 16).

A normal mean, flat prior U(-4, 4), one observed mean 0.7 of standard error 0.2: the posterior
is N(0.7, 0.2^2), widened by ABC at tolerance eps to an SD of sqrt(0.2^2 + eps^2 / 3). Prints,
for each seed, the time, evaluations, final tolerance, posterior mean and SD beside the
expected SD, the effective sample size and the acceptance by generation.

    python benchmarks/abc_toy.py [--population 300] [--generations 5] [--seeds 3 1 2]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from painsim.calibration.abc_smc import UniformPrior, abc_smc

SE, OBSERVED = 0.2, 0.7


def _model(parameters: dict[str, float]) -> dict[str, float]:
    return {"mean": parameters["mu"] + SE * np.random.normal()}


def _distance(a: dict[str, float], b: dict[str, float]) -> float:
    return abs(a["mean"] - b["mean"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=300)
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[3, 1, 2])
    args = parser.parse_args()
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            post = abc_smc(_model, {"mu": UniformPrior(-4.0, 4.0)}, {"mean": OBSERVED}, _distance,
                           Path(folder) / "toy.db", population_size=args.population, generations=args.generations,
                           seed=seed)
            seconds = time.perf_counter() - start
        eps = float(post.generations["epsilon"].iloc[-1])
        acceptance = ", ".join(f"{a:.2f}" for a in post.generations["acceptance"])
        print(f"seed {seed}: {seconds:.1f} s, {post.evaluations:,} evaluations, final eps {eps:.3f}, "
              f"mean {float(post.mean()['mu']):.3f}, SD {float(post.sd()['mu']):.3f} "
              f"(expected {np.sqrt(SE**2 + eps**2 / 3):.3f}), ESS {post.ess:.0f}; acceptance {acceptance}")


if __name__ == "__main__":
    main()
