"""sweep, sensitivity and calibrate check what their runs will cost before any work (as
`painsim run` and `painsim trial` do, painsim.limits): a run over a limit, or more tasks than
a sweep may run, is bad input (exit 2, the limit's message) before any folder is written; the
application layer (painsim.app) raises the same LimitError, so the web app gets it too."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.app import check_calibration_cost, check_grid_sweep, check_sensitivity_cost, run_grid_sweep
from painsim.calibration import parse_targets
from painsim.cli import app
from painsim.limits import DEFAULT_LIMITS, LimitError
from painsim.scenario import parse_scenario
from painsim.sweeps import ResultsFolder

ROOT = Path(__file__).resolve().parents[2]
FLAGSHIP = ROOT / "examples" / "massage_question.toml"
LONG = """name = "long"
n = 20
seed = 3
horizon_days = 3650
[population]
entry = "acute"
[arms.no_care]
"""
TARGETS = """name = "t"
[fit]
n = {n}
seed = 4
batch = 1
[parameters]
heal_rate = {{ low = 0.03, high = 0.12 }}
[scenarios.long]
horizon_days = 3650
population = {{ entry = "acute" }}
arms.no_care = {{}}
[[targets]]
name = "still_chronic"
citation = "a test"
source = {{ kind = "scenario", scenario = "long", arm = "no_care" }}
statistic = {{ name = "chronic_share", day = 50 }}
value = 0.55
band = [0.40, 0.70]
"""


def invoke(tmp_path: Path, *argv: str):
    result = CliRunner().invoke(app, [*argv, "--scheduler", "serial", "--store", str(tmp_path / "store")])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def nothing_written(tmp_path: Path, *inputs: str) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(inputs), "a folder was written before the check"


def test_a_sweep_whose_points_exceed_a_limit_exits_2_before_any_folder(tmp_path):
    """Found: `painsim sweep ... --n 1000000` raised LimitError inside the sweep (internal error, exit 1)."""
    result = invoke(tmp_path, "sweep", str(FLAGSHIP), "--grid", "loop.sleep=0.5", "--n", "1000000",
                    "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: n (--n): the run needs about") and "the limit is 8.0 GiB" in result.output
    nothing_written(tmp_path)


def test_sensitivity_samples_beyond_the_sweep_limit_exit_2(tmp_path):
    """Found with it: --budget 1000000000 ran out of memory while sampling (internal error, exit 1)."""
    (tmp_path / "s.toml").write_text(LONG)
    result = invoke(tmp_path, "sensitivity", str(tmp_path / "s.toml"), "--budget", "1000000000", "--n", "10",
                    "--outputs", "chronic_365", "--plot", str(tmp_path / "out" / "p.png"))
    assert result.exit_code == 2, result.output
    assert "--budget: 1,000,000,000 base samples x 7 (sobol with 5 inputs) = 7,000,000,000 runs" in result.output
    assert f"at most {DEFAULT_LIMITS.max_sweep_tasks:,}" in result.output
    nothing_written(tmp_path, "s.toml")


def test_a_sensitivity_sample_over_the_recording_limit_exits_2(tmp_path):
    (tmp_path / "s.toml").write_text(LONG)
    result = invoke(tmp_path, "sensitivity", str(tmp_path / "s.toml"), "--budget", "2", "--n", "1000000",
                    "--outputs", "chronic_365@no_care", "--plot", str(tmp_path / "out" / "p.png"))
    assert result.exit_code == 2, result.output
    assert "--n: each sobol sample records the weekly pain of all 1,000,000 patients" in result.output
    assert "the limit is 1.0 GiB" in result.output
    nothing_written(tmp_path, "s.toml")


def test_sensitivity_loop_max_that_is_not_a_positive_number_exits_2(tmp_path):
    """Found with it: --loop-max nan was a ValueError from the SALib problem (internal error, exit 1)."""
    (tmp_path / "s.toml").write_text(LONG)
    for value in ("nan", "0", "-1", "inf"):
        result = invoke(tmp_path, "sensitivity", str(tmp_path / "s.toml"), "--budget", "2", "--n", "10",
                        "--outputs", "chronic_365", "--loop-max", value, "--plot", str(tmp_path / "out" / "p.png"))
        assert result.exit_code == 2, result.output
        assert "--loop-max must be a finite number above 0" in result.output
    nothing_written(tmp_path, "s.toml")


@pytest.mark.parametrize(("n", "budget", "expected"), [
    (20, "200000", "--budget: 200,000 calibration trials = 200,000 runs; a sweep runs at most 100,000"),
    (1_000_000, "2", "fit.n: scenario 'long' of every trial records the weekly pain of all 1,000,000 patients"),
], ids=["budget", "fit.n"])
def test_calibration_beyond_a_limit_exits_2(tmp_path, n, budget, expected):
    (tmp_path / "t.toml").write_text(TARGETS.format(n=n))
    result = invoke(tmp_path, "calibrate", str(tmp_path / "t.toml"), "--budget", budget)
    assert result.exit_code == 2, result.output
    assert expected in result.output
    nothing_written(tmp_path, "t.toml")


def test_the_application_layer_raises_the_same_limit_error(tmp_path):
    scenario = parse_scenario(FLAGSHIP.read_text())
    with pytest.raises(LimitError, match=r"^n \(--n\): the run needs about") as checked:
        check_grid_sweep(scenario, 1_000_000)
    results = ResultsFolder(tmp_path / "results")
    with pytest.raises(LimitError) as raised:  # before any task: no client is needed, no folder made
        run_grid_sweep(scenario, {"loop.sleep": [0.5]}, results, client=None, n=1_000_000)
    assert str(raised.value) == str(checked.value)
    assert not (tmp_path / "results").exists()
    assert check_grid_sweep(scenario).patients == scenario.n  # the scenario's own n is within the limits
    long = parse_scenario(LONG)
    with pytest.raises(LimitError, match="--budget"):
        check_sensitivity_cost(long, "morris", ["no_care"], 5, 20_000, 10)  # 20,000 x 6 samples
    assert check_sensitivity_cost(long, "morris", ["no_care"], 5, 2, 10).patients == 10
    with pytest.raises(LimitError, match=r"^fit\.n: "):
        check_calibration_cost(parse_targets(TARGETS.format(n=1_000_000)), 2)
    assert len(check_calibration_cost(parse_targets(TARGETS.format(n=20)), 2)) == 1
