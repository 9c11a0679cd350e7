"""Sensitivity analysis (SALib) over the loop gains and chosen parameters."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from painsim.calibration.sensitivity import problem, resolve_outputs, run_sensitivity
from painsim.cli.app import app
from painsim.scenario import parse_scenario
from painsim.sweeps import ResultsFolder

SCENARIO = """
name = "sens"
seed = 3
horizon_days = 430
[population]
entry = "chronic"
[arms.no_care]
[arms.massage_weekly]
massage = { schedule = { count = 10, every_days = 7 } }
"""


@pytest.fixture(scope="module")
def scenario():
    return parse_scenario(SCENARIO)


def test_outputs_and_problem(scenario):
    outputs = resolve_outputs(scenario, ["chronic_365", "relief_days", "lasting@massage_weekly"])
    assert [o.label for o in outputs] == ["chronic_365@no_care", "relief_days@massage_weekly",
                                          "lasting@massage_weekly"]
    with pytest.raises(ValueError, match=r"unknown output 'chronic'.*allowed: chronic_365"):
        resolve_outputs(scenario, ["chronic"])
    with pytest.raises(ValueError, match="no massage"):
        resolve_outputs(scenario, ["lasting@no_care"])
    with pytest.raises(ValueError, match=r"unknown parameter 'heal'.*allowed"):
        problem({"heal": (0.0, 1.0)}, 2.0)
    assert problem({"heal_rate": (0.05, 0.08)}, 2.0)["num_vars"] == 6


def test_sobol_on_cluster_equals_serial(tmp_path, scenario, cluster_client):
    kwargs = {"param_ranges": {"heal_rate": (0.05, 0.08)}, "base": 4, "n": 150}
    outputs = ["chronic_365", "relief_days", "lasting"]
    dask = run_sensitivity(scenario, "sobol", outputs, results=ResultsFolder(tmp_path / "d"),
                           client=cluster_client, **kwargs)
    serial = run_sensitivity(scenario, "sobol", outputs, results=ResultsFolder(tmp_path / "s"), client="serial",
                             **kwargs)
    assert len(dask.samples) == 4 * (6 + 2)
    assert dask.samples.equals(serial.samples)
    indices = dask.indices
    assert set(indices["output"]) == {"chronic_365@no_care", "relief_days@massage_weekly", "lasting@massage_weekly"}
    assert np.isfinite(indices[["S1", "ST"]].to_numpy()).all()


def test_morris_shows_loops_matter(tmp_path, scenario):
    result = run_sensitivity(scenario, "morris", ["chronic_365"], {}, 4, 200, ResultsFolder(tmp_path), "serial")
    rows = result.indices.set_index("input")
    assert len(result.samples) == 4 * 6
    assert (rows["mu_star"] >= 0).all() and rows["mu_star"].max() > 0.02  # the loop gains move chronicity


def test_cli_sensitivity_plot_json_and_bad_input(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    plot = tmp_path / "sens.png"
    args = ["sensitivity", str(path), "--method", "morris", "--budget", "2", "--n", "80", "--outputs",
            "chronic_365,lasting", "--params", "massage_decay=0.15:0.3", "--scheduler", "serial",
            "--plot", str(plot), "--store", str(tmp_path / "store"), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert plot.stat().st_size > 1000
    assert set(summary["outputs"]["chronic_365@no_care"]) == {
        "loop.wind_up", "loop.sleep", "loop.fear_avoidance", "loop.strain", "loop.guarding", "massage_decay"}
    bad = CliRunner().invoke(app, [*args[:-1], "--params", "massage_dekay=0.1:0.2"])
    assert bad.exit_code == 2 and "unknown parameter 'massage_dekay'" in bad.output and "allowed" in bad.output
    bad = CliRunner().invoke(app, ["sensitivity", str(path), "--budget", "0"])
    assert bad.exit_code == 2 and "--budget must be a positive" in bad.output
