"""Uncertainty in every answer: the variance split, posterior resampling, the model-version
guard and ``painsim run --posterior`` (docs/calibration.md, "Uncertainty in every answer")."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from painsim.app import AppInputError
from painsim.app.posterior import StoredPosterior, check_model_version
from painsim.calibration import model_version as model_version_module
from painsim.calibration.model_version import model_version
from painsim.cli.app import app
from painsim.outcomes.intervals import decompose, flatten_numbers
from painsim.store import Store

TARGETS = """
name = "tiny"
[fit]
n = 200
seed = 4
[parameters]
heal_rate = { low = 0.3, high = 0.8 }
massage_nociception = { low = 0.1, high = 0.4 }
[scenarios.acute]
horizon_days = 200
population = { entry = "acute" }
arms.no_care = {}
[[targets]]
name = "acute_pain_26w"
citation = "Costa LdCM et al. 2012, CMAJ 184:E613"
source = { kind = "scenario", scenario = "acute", arm = "no_care" }
statistic = { name = "pain_ratio", day = 182, window = 7 }
value = 0.23
band = [0.17, 0.29]
"""

SCENARIO = """
name = "posterior_answer"
n = 200
seed = 3
horizon_days = 120
population = { entry = "acute" }
arms.no_care = {}
arms.massage = { massage = { schedule = { count = 4, every_days = 7 } } }
"""


def _posterior(values: dict[str, np.ndarray], weights: np.ndarray | None = None, version: str | None = None,
               run_id: str = "toy") -> StoredPosterior:
    draws = pd.DataFrame(values)
    weights = np.full(len(draws), 1 / len(draws)) if weights is None else weights
    priors = {name: (float(v.min()), float(v.max()), False) for name, v in values.items()}
    return StoredPosterior(run_id, "toy", draws, weights, pd.DataFrame(), priors, [], None, version)


@pytest.mark.parametrize(("sd_parameter", "sd_half"), [(1.0, 1.0), (0.5, 1.0), (0.0, 1.0)])
def test_the_variance_split_recovers_known_parameter_and_noise_spreads(sd_parameter, sd_half):
    rng = np.random.default_rng(11)
    theta = rng.normal(5.0, sd_parameter, 4000) if sd_parameter else np.full(4000, 5.0)
    a, b = theta + rng.normal(0, sd_half, 4000), theta + rng.normal(0, sd_half, 4000)
    row = decompose(a[:, None], b[:, None], ["q"]).iloc[0]
    assert row["sd_monte_carlo"] == pytest.approx(sd_half / np.sqrt(2), rel=0.05)
    assert row["sd_parameter"] == pytest.approx(sd_parameter, abs=0.12)
    # the interval is the parameter's, not the parameter's plus the noise
    assert row["high"] - row["low"] == pytest.approx(2 * 1.96 * sd_parameter, abs=0.3)
    assert row["mean"] == pytest.approx(5.0, abs=0.05)


def test_the_variance_split_skips_draws_without_a_number():
    a = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, 1.0]])
    table = decompose(a, a + 0.1, ["x", "y"])
    assert table.loc["x", "draws"] == 3 and table.loc["y", "draws"] == 1
    assert table.loc["y", "mean"] == pytest.approx(1.05)
    with pytest.raises(ValueError, match="half cohorts of shapes"):
        decompose(a, a[:2], ["x", "y"])


def test_flatten_numbers_keeps_numbers_only():
    flat = flatten_numbers({"a": {"b": 1, "c": {"d": 2.5}}, "e": "text", "f": True, "g": None})
    assert flat["a.b"] == 1.0 and flat["a.c.d"] == 2.5 and np.isnan(flat["g"]) and set(flat) == {"a.b", "a.c.d", "g"}


def test_sampling_a_posterior_follows_its_weights_and_its_seed():
    weights = np.array([0.5, 0.3, 0.15, 0.05])
    post = _posterior({"heal_rate": np.array([0.1, 0.2, 0.3, 0.4])}, weights)
    picked = post.sample(200, seed=1)["heal_rate"].value_counts().reindex([0.1, 0.2, 0.3, 0.4]).to_numpy()
    assert np.all(np.abs(picked - 200 * weights) <= 1)  # systematic resampling: floor or ceil of n w
    assert post.sample(50, seed=1).equals(post.sample(50, seed=1))
    assert not post.sample(50, seed=1).equals(post.sample(50, seed=2))
    with pytest.raises(AppInputError, match="at least 1 parameter set"):
        post.sample(0, seed=1)


def test_a_posterior_of_another_model_version_is_refused_with_the_command_to_remake_it():
    post = _posterior({"heal_rate": np.array([0.5, 0.6])}, version="000000000000")
    with pytest.raises(AppInputError, match=f"model version 000000000000; this painsim's model is version "
                                            f"{model_version()}.*painsim calibrate TARGETS --method abc-smc"):
        check_model_version(post)
    with pytest.raises(AppInputError, match="did not record"):
        check_model_version(_posterior({"heal_rate": np.array([0.5])}))
    check_model_version(_posterior({"heal_rate": np.array([0.5])}, version=model_version()))


def test_the_model_version_moves_with_a_default_of_the_model(monkeypatch):
    from painsim.engine.params import ModelParams

    before = model_version()
    model_version_module.model_version.cache_clear()
    field = ModelParams.model_fields["heal_rate"]
    monkeypatch.setattr(field, "default", field.default * 0.8)
    ModelParams.model_rebuild(force=True)
    try:
        assert model_version() != before
    finally:
        monkeypatch.undo()
        ModelParams.model_rebuild(force=True)
        model_version_module.model_version.cache_clear()
    assert model_version() == before


@pytest.fixture(scope="module")
def stored_posterior(tmp_path_factory):
    """A tiny real posterior (ABC-SMC, 4 particles, 1 generation) in a fresh store."""
    folder = tmp_path_factory.mktemp("posterior")
    (folder / "targets.toml").write_text(TARGETS)
    store = folder / "store"
    made = CliRunner().invoke(app, ["calibrate", str(folder / "targets.toml"), "--method", "abc-smc", "--population",
                                    "4", "--generations", "1", "--scheduler", "serial", "--store", str(store),
                                    "--json"])
    assert made.exit_code == 0, made.output
    (folder / "scenario.toml").write_text(SCENARIO)
    return folder, store, json.loads(made.output)["run_id"]


def test_run_with_a_posterior_gives_every_number_an_interval_and_stores_it(stored_posterior):
    folder, store, run_id = stored_posterior
    args = ["run", str(folder / "scenario.toml"), "--posterior", run_id, "--draws", "3", "--draw-patients", "40",
            "--store", str(store), "--out", str(folder / "out"), "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    answer = json.loads(first.output)
    intervals = answer["uncertainty"]
    assert intervals["posterior"] == run_id and intervals["draws"] == 3 and intervals["patients_per_draw"] == 40
    lasting = intervals["arms"]["massage"]["responder_classes.lasting"]
    assert lasting["low"] <= lasting["high"] and lasting["draws"] == 3 and lasting["sd_monte_carlo"] >= 0
    assert set(intervals["arms"]) == {"no_care", "massage"}
    assert "pain_mean.70" in intervals["arms"]["no_care"]
    stored = Store(store).get(answer["run_id"])
    assert "intervals" in stored.tables and stored.metadata["meta"]["posterior"]["draws"] == 3
    from painsim.report.html import render_report

    report = render_report(stored)
    assert "How sure: credible intervals" in report and f"posterior {run_id}" in report
    # same scenario, seed and posterior: the same intervals, on one thread or two
    again = json.loads(CliRunner().invoke(app, [*args, "--jobs", "2"]).output)["uncertainty"]
    assert again == intervals
    shown = CliRunner().invoke(app, args[:-1])
    assert "credible interval of parameter uncertainty over 3 draws" in " ".join(shown.output.split())


@pytest.mark.parametrize(("posterior", "patch_version", "message"), [
    ("nosuchrun", False, "--posterior nosuchrun: posterior 'nosuchrun'"),
    (None, True, "its draws describe another model"),
])
def test_run_with_a_bad_posterior_exits_2_and_stores_nothing(stored_posterior, monkeypatch, posterior,
                                                             patch_version, message):
    folder, store, run_id = stored_posterior
    if patch_version:
        monkeypatch.setattr(model_version_module, "model_version", lambda: "ffffffffffff")
    before = len(Store(store).runs())
    result = CliRunner().invoke(app, ["run", str(folder / "scenario.toml"), "--posterior", posterior or run_id,
                                      "--draws", "2", "--draw-patients", "40", "--store", str(store),
                                      "--out", str(folder / "out")])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert len(Store(store).runs()) == before


def test_draw_patients_must_split_in_two_halves(stored_posterior):
    folder, store, run_id = stored_posterior
    result = CliRunner().invoke(app, ["run", str(folder / "scenario.toml"), "--posterior", run_id, "--draws", "2",
                                      "--draw-patients", "41", "--store", str(store)])
    assert result.exit_code == 2 and "an even number of at least 20 patients" in result.output


TRIAL = """
name = "tiny_trial"
seed = 5
population = { entry = "acute" }
arms.massage = { n = 30, massage = { schedule = { count = 4, every_days = 7 } } }
arms.usual_care = { n = 30, usual_care = {} }
randomisation = { scheme = "complete" }
visits = { weeks = [4] }
outcomes = { measures = ["pain"], primary = { outcome = "pain", week = 4, arm = "massage", comparator = "usual_care" } }
analysis = { missing = "complete_case" }
"""


def _trial_spec():
    from painsim.trials.spec import parse_trial

    return parse_trial(TRIAL)


def test_assurance_over_a_posterior_at_the_defaults_is_the_power_and_grows_with_the_effect():
    from painsim.app.assurance import run_assurance
    from painsim.care import CareParams

    spec = _trial_spec()
    default = CareParams().massage_nociception
    at_defaults = _posterior({"massage_nociception": np.full(3, default)}, version=model_version())
    curve = run_assurance(spec, at_defaults, [30, 60], draws=12, power_reps=12, seed=2).curve
    # the same trials (seeds) with the same parameters: assurance is the power, trial for trial
    assert curve["assurance"].tolist() == curve["power"].tolist()
    stronger = _posterior({"massage_nociception": np.full(3, 0.45)}, version=model_version())
    strong = run_assurance(spec, stronger, [30, 60], draws=12, power_reps=12, seed=2).curve
    assert (strong["md_mean"] < curve["md_mean"]).all()  # pain: negative is better
    assert strong["assurance"].sum() >= curve["assurance"].sum()


def test_cli_trial_assurance_prints_both_curves_and_refuses_a_bad_posterior(stored_posterior, tmp_path):
    _folder, store, run_id = stored_posterior
    (tmp_path / "trial.toml").write_text(TRIAL)
    args = ["trial", "assurance", str(tmp_path / "trial.toml"), "--posterior", run_id, "--n", "20,40", "--draws", "4",
            "--reps", "4", "--jobs", "1", "--store", str(store), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["posterior"] == run_id and [row["n"] for row in payload["curve"]] == [20, 40]
    for row in payload["curve"]:
        assert 0 <= row["assurance_lb"] <= row["assurance"] <= row["assurance_ub"] <= 1 and row["draws"] == 4
        assert 0 <= row["power"] <= 1 and row["power_reps"] == 4
    assert (tmp_path / "out" / "tiny_trial_assurance.png").stat().st_size > 0
    shown = CliRunner().invoke(app, args)
    assert "Assurance over posterior" in shown.output and "power (defaults)" in shown.output
    bad = CliRunner().invoke(app, [*args[:3], "--posterior", "nosuchrun", *args[5:]])
    assert bad.exit_code == 2 and "posterior 'nosuchrun'" in bad.output


def test_twins_of_a_profile_over_posterior_draws_get_intervals():
    from painsim.app import simulate_twins
    from painsim.care import CarePlan, Massage

    post = _posterior({"massage_nociception": np.array([0.15, 0.3, 0.45]), "heal_rate": np.array([0.5, 0.6, 0.7])},
                      version=model_version())
    twins = simulate_twins({"pain_sensitivity": 0.6}, CarePlan(massage=Massage()), twins=40, horizon_days=120, seed=3,
                           posterior=post, draws=3).to_json()
    u = twins["uncertainty"]
    assert u["draws"] == 3 and u["twins_per_draw"] == 40
    assert set(u["numbers"]) == {"pain_end", "pain_mean", "recovered_share", "chronic_share_end"}
    for row in u["numbers"].values():
        assert row["low"] <= row["high"] and row["draws"] == 3
    assert len(u["weekly_mean"]["low"]) == len(twins["weeks"])
    assert "uncertainty" not in simulate_twins({"pain_sensitivity": 0.6}, CarePlan(massage=Massage()), twins=40,
                                               horizon_days=120, seed=3).to_json()
    with pytest.raises(AppInputError, match="another model"):
        simulate_twins({}, CarePlan(massage=Massage()), twins=20, horizon_days=120,
                       posterior=_posterior({"heal_rate": np.array([0.5])}, version="0" * 12), draws=2)
