"""Timing of painsim.evidence: ``python benchmarks/bench_meta.py [--repeat N]``.

Prints the median wall time of typical operations (effect sizes, every tau^2
estimator with the Q-profile CI, leave-one-out, trim-and-fill, a forest plot)
on simulated datasets of increasing size.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from painsim.evidence import METHODS, escalc, rma


def _time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _data(k: int, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n1 = rng.integers(20, 200, k)
    n2 = rng.integers(20, 200, k)
    m2 = rng.normal(5.0, 1.0, k)
    return {
        "m1i": m2 + rng.normal(-0.4, 0.3, k),
        "sd1i": rng.uniform(1.0, 2.0, k),
        "n1i": n1,
        "m2i": m2,
        "sd2i": rng.uniform(1.0, 2.0, k),
        "n2i": n2,
    }


def main() -> None:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'operation':<34} {'k':>5} {'median s':>10}")
    for k in (10, 50, 200):
        data = _data(k)
        es = escalc("SMD", data)
        rows: list[tuple[str, Callable[[], object]]] = [
            ("escalc SMD", lambda d=data: escalc("SMD", d))
        ]
        for method in METHODS:
            rows.append((f"rma {method} + Q-profile CI", lambda m=method, e=es: rma(e, method=m)))
        fit = rma(es, method="REML")
        rows.append(("leave1out REML", fit.leave1out))
        rows.append(("trimfill REML", fit.trimfill))
        rows.append(("regtest REML", fit.regtest))
        if k <= 50:
            import matplotlib.pyplot as plt

            from painsim.evidence.plots import forest_plot

            rows.append(("forest plot (render)", lambda f=fit: plt.close(forest_plot(f))))
        for name, fn in rows:
            print(f"{name:<34} {k:>5} {_time(fn, args.repeat):>10.4f}")


if __name__ == "__main__":
    main()
