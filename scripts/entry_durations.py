"""Durations of pain at entry of the screened populations (docs/model.md, "Populations").

    python scripts/entry_durations.py [--n 1000] [--seed 1]

Builds a cohort of each entry (painsim.engine.screening) and prints the share of candidates
still in pain at entry, the quartiles of the enrolled durations and the time taken.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from painsim.engine import Cohort, Population
from painsim.engine.population import NAMED_POPULATIONS

EXTRA = {"chronic 90-365 days": Population(entry="chronic", chronic_max_days=365)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    populations = {name: make() for name, make in NAMED_POPULATIONS.items() if name != "acute"} | EXTRA
    print("| population | kept per candidate | duration quartiles (days) | seconds |")
    print("|---|---:|---|---:|")
    for name, population in populations.items():
        start = time.perf_counter()
        cohort = Cohort.build(population, n=args.n, seed=args.seed)
        seconds = time.perf_counter() - start
        screened = _screened(cohort, population)
        q = np.percentile(cohort.duration_days, [25, 50, 75]).astype(int)
        print(f"| {name} | {args.n / screened:.1%} | {q[0]:,} / {q[1]:,} / {q[2]:,} | {seconds:.1f} |")


def _screened(cohort: Cohort, population: Population) -> int:
    """Candidates examined up to the last one kept, over every entry window."""
    strata = len(population.entry_windows())
    return sum(int(cohort.ids[cohort.ids % strata == k].max()) // strata + 1 for k in range(strata)
               if np.any(cohort.ids % strata == k))


if __name__ == "__main__":
    main()
