"""How many people a long flare's history holds in pain: the bistable minority.

The measurement of ``tests/engine/test_emergence.py`` (hysteresis), for the defaults or for
parameter values given: acute-episode people without an injury, half of them through 90 days
of strong nociception (a long flare) and half calm, then a year of their own course; a person
is held by history when the flare leaves them at 4 or more while the calm course leaves them
below 3 (mean pain over the last 28 days).

    python scripts/hysteresis_minority.py
    python scripts/hysteresis_minority.py --params '{"sensitization_spread": 0.5}' --n 4000
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import painsim as ps
from painsim.engine.variables import M_NOCI, STATE_INDEX


def held_by_history(values: dict[str, float], n: int, seed: int) -> tuple[int, int, float]:
    """(people held in pain by the flare's history, the reverse, share at 4 or more when calm)."""
    params = ps.ModelParams(**values)
    start = ps.Cohort.build("acute", n=n, seed=seed, params=params)
    for name in ("tissue", "guarding", "inflammation"):
        start.state[STATE_INDEX[name]] = 0.0  # no injury: the same people, a calm start
    flare = start.copy()
    flare.modifiers[M_NOCI] = 4.0
    calm_then = ps.simulate(start, 90, ps.Record.summaries()).cohort
    flare_then = ps.simulate(flare, 90, ps.Record.summaries()).cohort
    flare_then.modifiers[M_NOCI] = 1.0
    calm = ps.simulate(calm_then, 365, ps.Record.summaries()).summary()["pain_last28"].to_numpy()
    after = ps.simulate(flare_then, 365, ps.Record.summaries()).summary()["pain_last28"].to_numpy()
    return int(np.sum((after >= 4) & (calm < 3))), int(np.sum((calm >= 4) & (after < 3))), float(np.mean(calm >= 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=json.loads, default={}, metavar="JSON")
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    held, reverse, calm_share = held_by_history(args.params, args.n, args.seed)
    print(f"{json.dumps(args.params)}: held in pain by history {held} of {args.n:,}, the reverse {reverse}; "
          f"at 4 or more a year on without the flare {calm_share:.1%}")


if __name__ == "__main__":
    main()
