"""Calibration on a real LocalCluster: fits, holdouts, resumes, stores, and its command line."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.calibration import calibrate, evaluate, parse_targets
from painsim.cli.app import app
from painsim.engine.params import ModelParams
from painsim.store import Store
from painsim.sweeps import ResultsFolder

TARGETS = """
name = "small"
[fit]
n = 300
seed = 4
sampler_seed = 1
batch = 3
[parameters]
heal_rate = { low = 0.1, high = 0.9 }
sensitization_up = { low = 0.005, high = 0.05 }
[scenarios.chronic]
horizon_days = 365
arms.no_care = {}
[scenarios.acute]
horizon_days = 365
population = { entry = "acute" }
arms.no_care = {}
[[targets]]
name = "chronic_recovered_1y"
citation = "Costa et al. 2009, BMJ 339:b3829"
source = { kind = "scenario", scenario = "chronic", arm = "no_care" }
statistic = { name = "recovered_fraction", day = 364 }
value = 0.42
band = [0.25, 0.45]
[[targets]]
name = "chronic_still_chronic"
citation = "docs/model.md, calibration table"
source = { kind = "scenario", scenario = "chronic", arm = "no_care" }
statistic = { name = "chronic_share", day = 363 }
value = 0.55
band = [0.40, 0.70]
[[targets]]
name = "acute_recovered_1y"
citation = "Henschke et al. 2008, BMJ 337:a171"
source = { kind = "scenario", scenario = "acute", arm = "no_care" }
statistic = { name = "recovered_fraction", day = 364 }
value = 0.72
band = [0.65, 0.85]
"""


@pytest.fixture(scope="module")
def targets():
    return parse_targets(TARGETS)


def test_evaluate_moves_with_the_parameters(targets):
    slow = evaluate({"heal_rate": 0.1}, targets)
    fast = evaluate({"heal_rate": 0.9}, targets)
    assert fast["acute_recovered_1y"] > slow["acute_recovered_1y"]
    assert evaluate({"heal_rate": 0.1}, targets) == slow  # same seed, same numbers


def test_calibrate_on_cluster_with_holdout_and_resume(tmp_path, targets, cluster_client):
    folder = ResultsFolder(tmp_path / "trials")
    fit = calibrate(targets, 6, folder, cluster_client, holdout=["acute_recovered_1y"], n_workers=2)
    assert len(fit.trials) == 6 and fit.ran == 6
    assert fit.trials["loss"].min() == fit.best["loss"]
    table = fit.fit_table()
    assert table.set_index("target").loc["acute_recovered_1y", "role"] == "holdout"
    assert table["simulated"].notna().all()
    # the first trial is the current defaults
    assert fit.trials.loc[0, "param.heal_rate"] == pytest.approx(ModelParams().heal_rate)
    # same command again: the seeded optimiser asks the same trials, all found in the folder
    again = calibrate(targets, 6, folder, cluster_client, holdout=["acute_recovered_1y"], n_workers=2)
    assert (again.ran, again.reused) == (0, 6)
    assert again.trials.equals(fit.trials)
    # serial gives the same trials
    serial = calibrate(targets, 6, ResultsFolder(tmp_path / "serial"), "serial", holdout=["acute_recovered_1y"],
                       n_workers=2)
    assert serial.trials.equals(fit.trials)


def test_budget_must_be_positive(tmp_path, targets):
    with pytest.raises(ValueError, match="budget"):
        calibrate(targets, 0, ResultsFolder(tmp_path), "serial")


def test_cli_calibrate_prints_fit_and_stores(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS)
    store = tmp_path / "store"
    args = ["calibrate", str(path), "--budget", "3", "--scheduler", "serial", "--store", str(store),
            "--holdout", "acute_recovered_1y"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    for part in ("Calibration fit", "chronic_recovered_1y", "holdout", "within?", "Best parameters", "heal_rate"):
        assert part in result.output
    runs = Store(store).runs()
    assert len(runs) == 1 and set(runs.loc[0, "tables"]) == {"trials", "best", "fit"}
    stored = Store(store).get(runs.loc[0, "run_id"])
    assert stored.table("fit").shape[0] == 3
    as_json = CliRunner().invoke(app, [*args, "--json"])
    summary = json.loads(as_json.output)
    assert summary["reused"] == 3 and summary["ran"] == 0
    assert summary["targets"]["acute_recovered_1y"]["role"] == "holdout"


@pytest.mark.parametrize(("args", "message"), [
    (["--budget", "0"], "--budget must be a positive number"),
    (["--budget", "2", "--holdout", "nope"], "unknown target(s) nope"),
])
def test_cli_calibrate_bad_input_exit_2(tmp_path, args, message):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS)
    result = CliRunner().invoke(app, ["calibrate", str(path), *args, "--scheduler", "serial",
                                      "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_calibrate_bad_file_names_file_and_field(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS.replace("heal_rate = {", "heal_speed = {"))
    result = CliRunner().invoke(app, ["calibrate", str(path), "--budget", "2", "--scheduler", "serial"])
    assert result.exit_code == 2
    assert str(path) in result.output and "unknown parameter 'heal_speed'" in result.output


def test_abc_smc_of_a_targets_file_on_a_cluster_is_the_serial_posterior(tmp_path, targets, cluster_client):
    # issue 16, first slice: priors from [parameters], distance over the targets not held out
    from painsim.calibration.abc_smc import calibrate_abc, dask_map

    settings = {"holdout": ["acute_recovered_1y"], "population_size": 6, "generations": 2, "seed": 2,
                "min_epsilon": 0.0}  # two generations whatever the noise floor (tested in test_abc_smc.py)
    on_cluster = calibrate_abc(targets, tmp_path / "cluster.db", map_=dask_map(cluster_client), **settings)
    serial = calibrate_abc(targets, tmp_path / "serial.db", **settings)
    assert list(on_cluster.draws.columns) == ["heal_rate", "sensitization_up"]
    assert on_cluster.draws["heal_rate"].between(0.1, 0.9).all()
    assert on_cluster.draws["sensitization_up"].between(0.005, 0.05).all()
    assert len(on_cluster.generations) == 2 and on_cluster.generations["epsilon"].is_monotonic_decreasing
    import numpy as np

    np.testing.assert_array_equal(on_cluster.draws.to_numpy(), serial.draws.to_numpy())
    np.testing.assert_array_equal(on_cluster.weights, serial.weights)


@pytest.mark.parametrize(("holdout", "message"), [
    (["chronic_recovered_1y", "chronic_still_chronic", "acute_recovered_1y"], "every target is held out"),
    (["no_such_target"], "holdout names no target: no_such_target"),
])
def test_abc_smc_refuses_a_problem_without_targets(tmp_path, targets, holdout, message):
    from painsim.calibration.abc_smc import calibrate_abc

    with pytest.raises(ValueError, match=message):
        calibrate_abc(targets, tmp_path / "abc.db", holdout=holdout)
    assert not (tmp_path / "abc.db").exists()


def test_cli_calibrate_abc_smc_stores_a_posterior_and_resumes(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS)
    store = tmp_path / "store"
    base = ["calibrate", str(path), "--method", "abc-smc", "--population", "4", "--scheduler", "serial",
            "--store", str(store), "--holdout", "acute_recovered_1y"]
    first = CliRunner().invoke(app, [*base, "--generations", "1", "--json"])
    assert first.exit_code == 0, first.output
    one = json.loads(first.output)
    assert one["generations"] == 1 and not one["resumed"] and set(one["parameters"]) == {"heal_rate",
                                                                                        "sensitization_up"}
    assert 0.1 <= one["parameters"]["heal_rate"]["q05"] <= one["parameters"]["heal_rate"]["q95"] <= 0.9
    again = CliRunner().invoke(app, [*base, "--generations", "2"])
    assert again.exit_code == 0, again.output
    for part in ("Posterior", "heal_rate", "uniform 0.1 to 0.9", "Generations", "resumed"):
        assert part in again.output
    runs = Store(store).runs()
    assert len(runs) == 2 and set(runs.loc[0, "tables"]) == {"draws", "generations", "posterior", "predictive"}
    assert "Posterior predictive check" in again.output
    assert set(one["predictive_check"]) == {"fit", "holdout"} and one["predictive_check"]["holdout"] in ("0/1", "1/1")
    draws = Store(store).get(runs.loc[0, "run_id"]).table("draws")  # newest first
    assert len(draws) == 4 and abs(draws["weight"].sum() - 1) < 1e-9
    # painsim posterior ID: the table, the figure, the JSON; a run that is no posterior is refused
    shown = CliRunner().invoke(app, ["posterior", runs.loc[0, "run_id"], "--store", str(store),
                                     "--out", str(tmp_path / "out"), "--json"])
    assert shown.exit_code == 0, shown.output
    summary = json.loads(shown.output)
    assert summary["draws"] == 4 and summary["holdout"] == ["acute_recovered_1y"]
    assert summary["parameters"]["heal_rate"]["prior_low"] == 0.1
    check = {row["target"]: row for row in summary["predictive_check"]}
    assert check["acute_recovered_1y"]["role"] == "holdout"
    assert check["acute_recovered_1y"]["low"] <= check["acute_recovered_1y"]["high"]
    assert Path(summary["figure"]).stat().st_size > 10_000
    optimised = CliRunner().invoke(app, ["calibrate", str(path), "--budget", "1", "--scheduler", "serial",
                                         "--store", str(store), "--json"])
    other = json.loads(optimised.output)["run_id"]
    refused = CliRunner().invoke(app, ["posterior", other, "--store", str(store)])
    assert refused.exit_code == 2 and f"run {other} is not a posterior" in refused.output
    assert len(Store(store).runs()) == 3  # nothing lost


@pytest.mark.parametrize(("args", "message"), [
    (["--method", "abc"], "--method must be one of optimise, abc-smc (got 'abc')"),
    (["--method", "abc-smc", "--holdout", "chronic_recovered_1y,chronic_still_chronic,acute_recovered_1y"],
     "--holdout: at least one target must remain in the fit"),
    ([], "--budget must be a positive number of trials"),
])
def test_cli_calibrate_method_bad_input_exit_2(tmp_path, args, message):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS)
    result = CliRunner().invoke(app, ["calibrate", str(path), *args, "--scheduler", "serial",
                                      "--store", str(tmp_path / "s")])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "s" / "sweeps").exists()


def test_cli_abc_smc_refuses_a_prior_outside_the_parameter_s_bounds(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text(TARGETS.replace("heal_rate = { low = 0.1, high = 0.9 }", "tissue_floor = { low = 0.1, high = 2 }"))
    result = CliRunner().invoke(app, ["calibrate", str(path), "--method", "abc-smc", "--scheduler", "serial",
                                      "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert str(path) in result.output and "range [0.1, 2.0] leaves its allowed range [0.0, 1.0]" in result.output
    assert not (tmp_path / "s").exists()
