"""Who are the model's persistent moderate-severe consulters (docs/validation.md, "Four more probes")?

    python scripts/consulter_setpoints.py [--n 3000] [--seed 1]

Builds untreated primary-care consulters (the IMPaCT Back mixture of durations), simulates a
year, fits the trajectory classes (painsim.outcomes.trajectories) and prints, by band of
duration of pain at entry, the share that ends in a moderate-severe class, the mean pain at
entry and over weeks 40-52; then, for the moderate-severe patients alone, the share still at
pain 4 or more over weeks 40-52 with every loop on and with each loop switched off in turn.
"""

from __future__ import annotations

import argparse

import numpy as np

import painsim as ps
from painsim.engine.loops import LOOP_NAMES
from painsim.engine.population import IMPACT_BACK_DURATIONS
from painsim.outcomes.trajectories import fit_trajectory_classes, pain_curves

WEEKLY = ps.Record(variables=("pain",), every=7)


def late_pain(cohort: ps.Cohort, loops: dict[str, float] | None = None) -> np.ndarray:
    """Each patient's mean weekly pain over weeks 40-52 of an untreated year."""
    return ps.simulate(cohort, 364, WEEKLY, loops=loops).trajectories["pain"][39:].mean(axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    cohort = ps.Cohort.build("consulters", n=args.n, seed=args.seed)
    weekly = ps.simulate(cohort, 364, WEEKLY).trajectories["pain"]
    fit = fit_trajectory_classes(pain_curves(weekly, 52), seed=0)
    print("pattern shares:", {k: round(v, 3) for k, v in fit.label_shares().items()})
    severe = np.array(fit.labels)[fit.assignment] == "moderate_severe"
    for band in IMPACT_BACK_DURATIONS:
        inside = (cohort.duration_days >= band.min_days) & (cohort.duration_days <= band.max_days)
        print(f"pain for {band.min_days:>4}-{band.max_days:>4} days: n {inside.sum():>4}, moderate-severe "
              f"{severe[inside].mean():.2f}, pain at entry {weekly[0, inside].mean():.2f}, "
              f"weeks 40-52 {weekly[39:, inside].mean():.2f}")
    # a patient's history depends only on its id and the seed, so the subset's run with every
    # loop on is the full run's: read it from there
    print("moderate-severe patients still at pain >= 4 in weeks 40-52: "
          f"{(weekly[39:, severe].mean(axis=0) >= 4).mean():.2f}")
    held = cohort.subset(np.flatnonzero(severe))
    for loop in LOOP_NAMES:
        print(f"  with the {loop} loop off: {(late_pain(held, {loop: 0.0}) >= 4).mean():.2f}")


if __name__ == "__main__":
    main()
