"""How predictable is a client's pain at all? The oracle: each synthetic client's own twins (the
client's true traits and state at the end of the diary, fresh ids: other futures) give the
best possible forecast; its error at weeks 1, 4 and 12 under weekly massage and the AUC of
its chance of a 30% improvement at week 12 are the ceiling for any fit of the diary
(docs/diary.md, "Validation").

    python scripts/diary_oracle_auc.py --clients 300 --twins 500
"""

from __future__ import annotations

import argparse

import numpy as np

from painsim.care import CarePlan, Massage
from painsim.diary.forecast import IMPROVEMENT, IMPROVEMENT_WEEK
from painsim.diary.validation import auc
from painsim.engine import Cohort, Record, simulate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--twins", type=int, default=500)
    parser.add_argument("--diary-days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=401)
    args = parser.parse_args()
    plan = CarePlan(massage=Massage())
    days = 7 * IMPROVEMENT_WEEK
    clients = Cohort.build("chronic", n=args.clients, seed=args.seed)
    diary = simulate(clients, args.diary_days, Record.daily("pain"))
    baseline = np.round(diary.trajectories["pain"][-14:].astype(np.float64)).mean(axis=0)
    weekly = simulate(diary.cohort, days, Record.weekly("pain"), care=plan).trajectories["pain"]
    truth = weekly[IMPROVEMENT_WEEK - 1]
    improved = (truth <= (1 - IMPROVEMENT) * baseline).astype(int)
    twins = diary.cohort.subset(np.repeat(np.arange(args.clients), args.twins))
    twins.ids = np.arange(1 << 41, (1 << 41) + len(twins), dtype=np.int64)
    every = simulate(twins, days, Record.weekly("pain"), care=plan).trajectories["pain"]
    every = every.reshape(every.shape[0], args.clients, args.twins)
    for week in (1, 4, 12):
        lo, mid, hi = np.percentile(every[week - 1], (10, 50, 90), axis=1)
        print(f"week {week}: oracle MAE {np.abs(mid - weekly[week - 1]).mean():.2f}, persistence "
              f"{np.abs(baseline - weekly[week - 1]).mean():.2f}; oracle 80% interval covers "
              f"{np.mean((lo <= weekly[week - 1]) & (weekly[week - 1] <= hi)):.3f}")
    pain = every[IMPROVEMENT_WEEK - 1]
    chance = (pain <= (1 - IMPROVEMENT) * baseline[:, None]).mean(axis=1)
    print(f"{args.clients} clients ({improved.sum()} improved 30% at week {IMPROVEMENT_WEEK} under weekly massage), "
          f"{args.twins} twins each: oracle AUC {auc(chance, improved):.3f}; baseline alone "
          f"{auc(baseline, improved):.3f}")


if __name__ == "__main__":
    main()
