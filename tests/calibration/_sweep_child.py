"""A sweep run in a child process (killed by tests/calibration/test_sweeps.py)."""

import sys

from painsim.app import grid_sweep
from painsim.scenario import parse_scenario
from painsim.sweeps import ResultsFolder, sweep_client

SCENARIO = """
name = "kill"
horizon_days = 365
[population]
entry = "chronic"
[arms.no_care]
"""
GRID = {"heal_rate": [0.05, 0.06, 0.07, 0.08], "sensitization_up": [0.009, 0.011, 0.013], "loop.sleep": [0.5, 1.0]}

if __name__ == "__main__":
    folder, mode = sys.argv[1], sys.argv[2]
    with sweep_client("serial" if mode == "serial" else None, n_workers=2) as client:
        frame, outcome = grid_sweep(parse_scenario(SCENARIO), GRID, ResultsFolder(folder), client, n=400, seed=9)
    print(f"ran={outcome.ran} reused={outcome.reused}")
