"""Make the posterior that ships with painsim (``--posterior default``): one command.

    python scripts/default_posterior.py [--population 300] [--generations 4] [--kernel-scale 2] [--workers 2]

It runs ``painsim calibrate src/painsim/data/default_posterior_targets.toml --method
abc-smc`` (the real command: its results folder in the store, so an interrupted run
continues where it stopped), then writes the stored posterior, with the model version it
was calibrated on, to ``src/painsim/data/default_posterior.json``. docs/calibration.md
("The default posterior") records what it cost and what it found.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "src/painsim/data/default_posterior_targets.toml"
OUTPUT = ROOT / "src/painsim/data/default_posterior.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--population", type=int, default=300, help="particles per generation")
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--kernel-scale", type=float, default=2.0,
                        help="width of the perturbation kernel: 2 keeps the weights of 15 parameters even")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument("--store", type=Path, default=None, help="store folder (default: painsim's)")
    args = parser.parse_args()

    command = [sys.executable, "-m", "painsim", "calibrate", str(TARGETS), "--method", "abc-smc",
               "--population", str(args.population), "--generations", str(args.generations),
               "--seed", str(args.seed), "--workers", str(args.workers), "--kernel-scale", str(args.kernel_scale),
               "--json"]
    if args.store is not None:
        command += ["--store", str(args.store)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        sys.exit(done.returncode)
    summary = json.loads(done.stdout)
    export(summary["run_id"], args, summary)


def database_wall_seconds(database: Path) -> float:
    """From the start of the calibration to the end of its last generation, over every
    session that worked on it (an interrupted run resumes): the run's own clock in pyabc's
    database, since this command's time covers only its last session."""
    import sqlite3
    from datetime import datetime

    with sqlite3.connect(database) as db:
        start = db.execute("select min(start_time) from abc_smc").fetchone()[0]
        end = db.execute("select max(population_end_time) from populations").fetchone()[0]
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1)


def export(run_id: str, args: argparse.Namespace, summary: dict) -> None:
    """Write the stored posterior ``run_id`` as the shipped file, with how it was made."""
    from painsim import __version__
    from painsim.app.posterior import load_posterior, posterior_file_json
    from painsim.calibration import load_targets
    from painsim.calibration.model_version import model_version

    post = load_posterior(run_id, args.store)
    if post.model_version is None:  # stored by a painsim that did not record it
        post = type(post)(**{**post.__dict__, "model_version": model_version()})
    targets, _ = load_targets(TARGETS)
    settings = {"command": "python scripts/default_posterior.py", "targets_hash": targets.text_hash,
                "calibration_wall_seconds": database_wall_seconds(Path(summary["results"]) / "abc.db"),
                "population": args.population,
                "generations": args.generations, "seed": args.seed, "workers": args.workers,
                "kernel_scale": args.kernel_scale,
                "evaluations": summary["evaluations"], "ess": summary["ess"],
                "final_epsilon": summary["final_epsilon"], "painsim_version": __version__,
                "made": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "stored_run": run_id}
    OUTPUT.write_text(json.dumps(posterior_file_json(post, settings), indent=1) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(post.draws)} draws of {post.draws.shape[1]} parameters, "
          f"ESS {post.ess:.0f}, model version {post.model_version}; {summary['evaluations']:,} evaluations "
          f"in {settings['calibration_wall_seconds']:.0f} s of calibration")


if __name__ == "__main__":
    main()
