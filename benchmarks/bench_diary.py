"""What fitting a diary and forecasting its plans costs (issue 19: an 8-week diary, 10,000
particles, four plans, in under 10 seconds on one core).

The fit is timed by stage (drawing the prior particles, which screens chronic patients; the
filter through the diary; the loop knock-outs; the forecasts) after a warm-up that compiles
the kernels, as the median of ``--repeats`` runs. The baseline, measured in the same process
and run, is the plain engine simulating the same patient-days in single calls: the
particles through the diary's days, and the forecast particles through every plan's
horizon (the knock-outs' days included). The ratio says what the filter's day-by-day steps,
weighting, resampling and rejuvenation add to the engine; the prior's screening is shown
apart (it is the engine's own cost of building a chronic cohort).

    python benchmarks/bench_diary.py                 # 10,000 particles, 56 days, 4 plans
    python benchmarks/bench_diary.py --quick --out diary.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from painsim.app.diary import massage_question_plans
from painsim.care import NO_CARE
from painsim.diary import diary_from_ratings, fit_diary, forecast_cloud, forecast_plans, loop_knockouts
from painsim.diary.forecast import KNOCKOUT_WEEKS, horizon_weeks
from painsim.diary.inference import prior_particles
from painsim.engine import LOOP_NAMES, Cohort, Record, simulate

PLANS = ("no_care", "massage_weekly", "massage_spread", "combined")


def example_diary(days: int):
    """A synthetic client's diary: a chronic patient (seed 7) rated in whole points."""
    cohort = Cohort.build("chronic", n=1, seed=7)
    pain = simulate(cohort, days, Record.daily("pain")).trajectories["pain"][:, 0]
    return diary_from_ratings(np.round(pain.astype(np.float64)))


def run_once(diary, particles: int, forecast_particles: int, weeks: int, plans: dict) -> dict[str, float]:
    times = {}
    start = time.perf_counter()
    prior = prior_particles(particles, seed=1)
    times["prior"] = time.perf_counter() - start
    start = time.perf_counter()
    fit = fit_diary(diary, seed=1, prior=prior)
    times["filter"] = time.perf_counter() - start
    start = time.perf_counter()
    cloud = forecast_cloud(fit, forecast_particles)
    loop_knockouts(cloud)
    times["loops"] = time.perf_counter() - start
    start = time.perf_counter()
    forecast_plans(fit, plans, weeks=weeks, cloud=cloud)
    times["forecasts"] = time.perf_counter() - start
    times["total"] = sum(times.values())
    return times


def baseline_once(prior_cohort: Cohort, days: int, forecast_particles: int, horizon: int, plans: dict) -> float:
    start = time.perf_counter()
    simulate(prior_cohort, days, Record.daily("pain_latent", "pain"))
    small = prior_cohort.subset(slice(0, forecast_particles))
    for _ in range(1 + len(LOOP_NAMES)):
        simulate(small, 7 * KNOCKOUT_WEEKS, Record.summaries())
    for plan in plans.values():
        simulate(small, 7 * horizon, Record.weekly("pain"), care=None if plan.is_empty else plan)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--particles", type=int, default=10_000)
    parser.add_argument("--forecast-particles", type=int, default=2000)
    parser.add_argument("--days", type=int, default=56, help="diary length (days)")
    parser.add_argument("--weeks", type=int, default=12, help="weeks forecast")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 particles, 200 forecast particles, 1 repeat")
    parser.add_argument("--out", type=Path, help="write the results as JSON")
    args = parser.parse_args()
    if args.quick:
        args.particles, args.forecast_particles, args.repeats = 1000, 200, 1
    question = massage_question_plans()
    plans = {name: question.get(name, NO_CARE) for name in PLANS}
    diary = example_diary(args.days)
    run_once(diary_from_ratings(diary.pain[:7]), 200, 50, 4, plans)  # compile every kernel first
    runs = [run_once(diary, args.particles, args.forecast_particles, args.weeks, plans) for _ in range(args.repeats)]
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    prior = prior_particles(args.particles, seed=1).groups[0]
    horizon = horizon_weeks(args.weeks, plans)
    base = statistics.median(baseline_once(prior, args.days, args.forecast_particles, horizon, plans)
                             for _ in range(args.repeats))
    without_prior = median["total"] - median["prior"]
    patient_days = (args.particles * args.days
                    + args.forecast_particles * (7 * KNOCKOUT_WEEKS * (1 + len(LOOP_NAMES)) + 7 * horizon * len(plans)))
    out = {
        "particles": args.particles, "forecast_particles": args.forecast_particles, "diary_days": args.days,
        "weeks": args.weeks, "horizon_weeks": horizon, "plans": list(plans), "repeats": args.repeats,
        "seconds": {k: round(v, 3) for k, v in median.items()},
        "baseline_seconds": round(base, 3), "patient_days": patient_days,
        "ratio_fit_and_forecasts_to_engine": round(without_prior / base, 2),
        "ratio_total_to_engine": round(median["total"] / base, 2),
        "under_10_s": median["total"] < 10.0,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load": os.getloadavg()},
    }
    if args.out:
        args.out.write_text(json.dumps(out, indent=2))
    s = out["seconds"]
    print(f"diary of {args.days} days, {args.particles:,} particles, {len(plans)} plans "
          f"({args.forecast_particles:,} forecast particles, {horizon} weeks), median of {args.repeats}:")
    print(f"  prior {s['prior']:.2f} s, filter {s['filter']:.2f} s, loops {s['loops']:.2f} s, forecasts "
          f"{s['forecasts']:.2f} s: total {s['total']:.2f} s ({'under' if out['under_10_s'] else 'over'} 10 s)")
    print(f"  plain engine, same {patient_days:,} patient-days: {base:.2f} s; fit and forecasts / engine "
          f"{out['ratio_fit_and_forecasts_to_engine']:.2f}, with the prior {out['ratio_total_to_engine']:.2f}")
    print(f"  load average {out['machine']['load'][0]:.2f} on {out['machine']['cpus']} cores")


if __name__ == "__main__":
    main()
