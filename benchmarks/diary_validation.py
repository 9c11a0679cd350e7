"""Validation of the diary fit on synthetic clients (docs/diary.md, "Validation").

Clients are virtual patients of the chronic population drawn with their own seed (never
the fit's), one set per diary length; each keeps a diary without care, then lives on with
no care and with weekly massage. Prints the coverage of the 80% forecast intervals, the
MAE of the median forecast and of persistence at weeks 1, 4 and 12, and the AUC of the
predicted chance of a 30% improvement under massage (fitted and population-only).

    python benchmarks/diary_validation.py --clients 100 --lengths 14,28,56 --particles 2000
"""

from __future__ import annotations

import argparse
import json
import time

from painsim.care import NO_CARE, CarePlan, Massage
from painsim.diary.inference import prior_particles
from painsim.diary.validation import pooled, validate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100, help="synthetic clients per diary length")
    parser.add_argument("--lengths", default="14,28,56", help="diary lengths (days), comma-separated")
    parser.add_argument("--particles", type=int, default=2000)
    parser.add_argument("--forecast-particles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=101, help="seed of the clients (the fit's is --fit-seed)")
    parser.add_argument("--fit-seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    plans = {"no_care": NO_CARE, "massage_weekly": CarePlan(massage=Massage())}
    start = time.perf_counter()
    prior = prior_particles(args.particles, args.fit_seed, "chronic")
    results = []
    for k, length in enumerate(int(x) for x in args.lengths.split(",")):
        results.append(validate(args.clients, seed=args.seed + k, fit_seed=args.fit_seed, diary_days=length,
                                plans=plans, response_plan="massage_weekly", particles=args.particles,
                                forecast_particles=args.forecast_particles, prior=prior))
    out = {"by_length": results, "pooled": pooled(results), "seconds": round(time.perf_counter() - start, 1)}
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for r in [*results, {**out["pooled"], "diary_days": "all"}]:
        print(f"diary {r['diary_days']} days, {r['clients']} clients")
        for plan in plans:
            cov = r["coverage_80"][plan]
            mm, mp = r["mae_model"][plan], r["mae_persistence"][plan]
            print(f"  {plan:15s} coverage 80%: " + ", ".join(f"w{w} {cov[w]:.3f}" for w in cov)
                  + " | MAE model/persistence: " + ", ".join(f"w{w} {mm[w]:.2f}/{mp[w]:.2f} "
                                                              f"({1 - mm[w] / mp[w]:+.0%})" for w in mm))
        if "auc_fit" in r:
            print(f"  AUC of P(30% better at 12 weeks, massage): fitted {r['auc_fit']:.3f}, population-only "
                  f"{r['auc_population']:.3f} ({r['responders']} responders)")
            print(f"  AUC of P(responding to the course, massage): fitted {r['auc_course_fit']:.3f}, "
                  f"population-only {r['auc_course_population']:.3f} ({r['course_responders']} responders); "
                  f"median lowest ESS {r['min_ess_median']:.0f}")
    print(f"{out['seconds']} s")


if __name__ == "__main__":
    main()
