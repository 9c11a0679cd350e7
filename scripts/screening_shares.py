"""Share of acute episodes whose pain persists, for a few entry criteria (docs/scenarios.md, "Limits").

    python scripts/screening_shares.py [--candidates 4000] [--seed 1]

Screens the first ``--candidates`` acute episodes of the default population with the
engine's own screening (painsim.engine.screening) for each (chronic_min_pain,
chronic_min_days) and prints the share that met the criteria: the yield that the limit on
candidates screened per patient wanted must allow.
"""

from __future__ import annotations

import argparse

from painsim.engine import ModelParams, chronic_low_back_pain
from painsim.engine.screening import ChronicScreen
from painsim.limits import Limits

CRITERIA = ((4, 90), (4, 180), (4, 365), (4, 730), (4, 3650), (6, 90), (7, 90), (8, 90), (6, 365))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print("| chronic_min_pain | chronic_min_days | candidates | chronic | share |")
    print("|---:|---:|---:|---:|---:|")
    for pain, days in CRITERIA:
        population = chronic_low_back_pain().model_copy(update={"chronic_min_pain": pain, "chronic_min_days": days})
        limits = Limits(screening_batch_patient_days=args.candidates * days)  # one batch
        screen = ChronicScreen(population, args.seed, ModelParams(), args.candidates, limits)
        while screen.remaining:
            screen.next_batch(args.candidates)
        c = screen.counts
        print(f"| {pain} | {days:,} | {c.screened:,} | {c.chronic:,} | {c.chronic / c.screened:.2%} |")


if __name__ == "__main__":
    main()
