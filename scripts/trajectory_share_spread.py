"""How much a trajectory-pattern share moves between cohorts (docs/validation.md, "How precise").

    python scripts/trajectory_share_spread.py [--n 2000] [--seeds 1-6] [--jobs 2]
    python scripts/trajectory_share_spread.py --loops [--n 2000]

Evaluates the five Kongsted targets of data/targets.toml (scenario ``consulters_natural``,
statistic ``trajectory_share``) on one cohort per seed, with the calibration's own code
(``painsim.calibration.fitting.evaluate``), and prints each seed's pattern shares with
their range across seeds: the Monte Carlo spread of the statistic at that cohort size, to
set beside the targets' bands. ``--loops`` instead prints, for the first seed, the share
whose mean pain over the last 13 weeks is 4 or more with every loop on, with each loop
switched off in turn, and with all five off: which loops hold consulters in pain.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from painsim.calibration import load_targets
from painsim.calibration.fitting import evaluate
from painsim.engine import Cohort, ModelParams, Record, primary_care_consulters, simulate
from painsim.engine.loops import LOOP_NAMES
from painsim.outcomes.trajectories import KONGSTED_2015_SHARES, LABELS

TARGETS = Path(__file__).resolve().parents[1] / "data" / "targets.toml"
WEEKS = 52


def pattern_shares(n: int, seed: int) -> dict[str, float]:
    """Pattern shares of one untreated consulter cohort of ``n`` (cohort seed ``seed``): the
    Kongsted targets' values on that one cohort."""
    targets, _ = load_targets(TARGETS)
    kongsted = [t for t in targets.targets if t.statistic.name == "trajectory_share"]
    one_cohort = targets.model_copy(update={
        "fit": targets.fit.model_copy(update={"n": n, "seed": seed}),
        "targets": [t.model_copy(update={"source": t.source.model_copy(update={"reps": 1})}) for t in kongsted]})
    values = evaluate({}, one_cohort)
    return {t.statistic.trajectory_class: values[t.name] for t in kongsted}


def high_pain_share(cohort: Cohort, off: tuple[str, ...]) -> float:
    """Share of ``cohort`` with mean weekly pain >= 4 over weeks 40-52 with loops ``off`` switched off."""
    result = simulate(cohort, 7 * WEEKS, Record(variables=("pain",), every=7), loops=dict.fromkeys(off, 0.0))
    return float((result.trajectories["pain"][WEEKS - 13:WEEKS].mean(axis=0) >= 4.0).mean())


def _print_loop_shares(n: int, seed: int, jobs: int) -> None:
    cases = [(), *[(name,) for name in LOOP_NAMES], tuple(LOOP_NAMES)]
    cohort = Cohort.build(primary_care_consulters(), n=n, seed=seed, params=ModelParams())  # once: the slow part
    with ProcessPoolExecutor(jobs) as pool:
        shares = list(pool.map(high_pain_share, [cohort] * len(cases), cases))
    print(f"| loops switched off (consulters, n = {n:,}, seed {seed}) | share with pain >= 4 in weeks 40-52 |")
    print("|---|---:|")
    for off, share in zip(cases, shares, strict=True):
        label = "none" if not off else ("all five" if len(off) > 1 else off[0])
        print(f"| {label} | {share:.0%} |")


def _seeds(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="patients per cohort (the targets use 2000)")
    parser.add_argument("--seeds", default="1-6", help="cohort seeds, e.g. 1-6")
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    parser.add_argument("--loops", action="store_true", help="which loops hold consulters in pain (first seed)")
    args = parser.parse_args()
    seeds = _seeds(args.seeds)
    if args.loops:
        _print_loop_shares(args.n, seeds[0], args.jobs)
        return
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(pattern_shares, [args.n] * len(seeds), seeds))
    print("| cohort seed | " + " | ".join(LABELS) + " |")
    print("|---:|" + "---:|" * len(LABELS))
    for seed, shares in zip(seeds, rows, strict=True):
        print(f"| {seed} | " + " | ".join(f"{shares[k]:.3f}" for k in LABELS) + " |")
    spread = {k: (min(r[k] for r in rows), max(r[k] for r in rows), float(np.std([r[k] for r in rows], ddof=1)))
              for k in LABELS}
    print("| range | " + " | ".join(f"{lo:.2f}-{hi:.2f}" for lo, hi, _ in spread.values()) + " |")
    print("| SD | " + " | ".join(f"{sd:.3f}" for *_, sd in spread.values()) + " |")
    print("| Kongsted 2015 | " + " | ".join(f"{KONGSTED_2015_SHARES[k]:.2f}" for k in LABELS) + " |")


if __name__ == "__main__":
    main()
