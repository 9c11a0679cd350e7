"""What a first build of a chronic cohort would cost if a persisting episode entered at its first
flare instead of only in week 13 (docs/performance.md, "First builds of a screened cohort").

    python benchmarks/entry_at_flare.py            # 0, 4, 8 and 13 extra weeks
    python benchmarks/entry_at_flare.py 8          # one window

A prototype, not a model: 40,000 acute episodes of the default parameters (seed 3) are
followed with weekly mean pain; an episode persists while every 4-week block's mean pain is
above 2, and enters at the first week from week 13 (day 84-90) with pain >= 4 and >= 1 above
the mean of the 4 weeks before it (the default population's criteria). It prints the share
kept and the simulated patient-days per kept patient, counting each episode up to its entry,
the end of its first block without persisting pain, or the end of the window.
"""

from __future__ import annotations

import argparse

import numpy as np

from painsim.engine.cohort import Cohort, simulate
from painsim.engine.params import ModelParams
from painsim.engine.population import acute_episode
from painsim.engine.recording import Record

N = 40_000


def measure(extra_weeks: int) -> dict[str, float]:
    weeks = 13 + extra_weeks
    cohort = Cohort._acute(acute_episode(), np.arange(N, dtype=np.int64), 3, ModelParams())
    weekly = simulate(cohort, 7 * weeks, Record(variables=("pain",), every=7)).trajectories["pain"]
    blocks = [weekly[4 * k:4 * k + 4].mean(axis=0) for k in range(weeks // 4)]
    entered = np.full(N, -1)
    for w in range(12, weeks):
        persists = np.ones(N, dtype=bool)
        for k in range(len(range(0, w + 1 - 3, 4))):
            persists &= blocks[k] > 2.0
        flare = (weekly[w] >= 4.0) & (weekly[w] >= weekly[w - 4:w].mean(axis=0) + 1.0)
        entered[persists & flare & (entered < 0)] = w
    kept = entered >= 0
    stop = np.full(N, 7 * weeks)
    for k in range(weeks // 4):
        stop[(blocks[k] <= 2.0) & (stop == 7 * weeks)] = 28 * (k + 1)
    days = np.minimum(np.where(kept, 7 * (entered + 1), stop), 7 * weeks)
    return {"extra_weeks": extra_weeks, "kept_share": float(kept.mean()),
            "patient_days_per_kept": float(days.sum() / kept.sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("extra_weeks", nargs="*", type=int, default=[0, 4, 8, 13],
                        help="weeks after week 13 in which an episode may still enter (0 to 104)")
    args = parser.parse_args()
    bad = [w for w in args.extra_weeks if not 0 <= w <= 104]
    if bad:
        parser.error(f"extra_weeks must be 0 to 104 (given {bad[0]})")
    for extra in args.extra_weeks:
        r = measure(extra)
        print(f"window of {13 + extra} weeks: kept {r['kept_share']:.1%}, {r['patient_days_per_kept']:,.0f} "
              f"patient-days per kept patient ({r['patient_days_per_kept'] / 365:.2f} years)")


if __name__ == "__main__":
    main()
