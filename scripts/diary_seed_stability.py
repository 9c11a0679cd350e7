"""How much a diary's answer moves with the fit's seed: the example diary fitted with three
seeds (docs/diary.md, "What the fit does not use yet"): lowest ESS and the chance of a 30%
improvement at 12 weeks without care.

    python scripts/diary_seed_stability.py --particles 10000
"""

from __future__ import annotations

import argparse
from pathlib import Path

from painsim.care import NO_CARE
from painsim.diary import fit_diary, forecast_plans, read_diary

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "diary" / "example_diary.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--particles", type=int, default=10_000)
    parser.add_argument("--seeds", default="1,2,3")
    args = parser.parse_args()
    diary = read_diary(EXAMPLE)
    for seed in (int(s) for s in args.seeds.split(",")):
        fit = fit_diary(diary, particles=args.particles, seed=seed)
        forecast = forecast_plans(fit, {"no_care": NO_CARE}, weeks=12)["no_care"]
        print(f"seed {seed}: lowest ESS {fit.min_ess:,.0f} of {args.particles:,}; P(30% better at 12 weeks, no care) "
              f"{forecast.p_improvement:.3f}; median pain in week 12 {forecast.fan['p50'][11]:.2f}", flush=True)


if __name__ == "__main__":
    main()
