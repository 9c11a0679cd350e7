"""Scenario files: clear errors on bad input, and the CLI that runs them."""

import json
from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.scenario import ScenarioError, load_scenario, parse_scenario
from painsim.store import Store

ROOT = Path(__file__).resolve().parents[2]
SMALL = """
name = "small"
n = 300
seed = 3
horizon_days = 120

[population]
chronic_min_days = 90

[arms.no_care]

[arms.massage]
massage = { schedule = { count = 4, every_days = 7 } }
"""


def test_flagship_scenario_is_valid_and_embedded_copy_matches():
    scenario = load_scenario(ROOT / "examples" / "massage_question.toml")
    required = {"no_care", "massage_weekly", "massage_spread", "combined", "alliance_poor", "alliance_good",
                "framing_fix", "framing_manage"}
    assert required <= set(scenario.arms)
    assert scenario.horizon_days >= 730
    embedded = resources.files("painsim").joinpath("data/massage_question.toml").read_text()
    assert embedded == (ROOT / "examples" / "massage_question.toml").read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n = [", "not valid TOML"),
        ('n = "many"\n[arms.a]', "n (line 1): Input should be a valid integer"),
        ("n = 0\n[arms.a]", "greater than or equal to 1"),
        ("horizon = 10\n[arms.a]", "unknown key 'horizon' (did you mean 'horizon_days'?)"),
        ("[arms.a.massaj]", "unknown key 'massaj' (did you mean 'massage'?)"),
        ("[arms.a.massage]\ncost = 3", "unknown key 'cost' (did you mean 'cost_per_session'?)"),
        ("[arms.a]\nrelationship = { alliance = 2 }", "arms.a.relationship.alliance"),
        ("[arms.a]\nrelationship = { framing = 'cure' }", "'manage' or 'fix'"),
        ("horizon_days = 30\n[arms.a.massage]", "outside the horizon of 30 days"),
        ("n = 5", "arms"),
    ],
)
def test_bad_scenarios_get_clear_errors(text, expected):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, source="bad.toml")
    assert str(err.value).startswith("bad.toml")
    assert expected in str(err.value)


def test_missing_file():
    with pytest.raises(ScenarioError, match="cannot read the scenario file"):
        load_scenario("/nonexistent/scenario.toml")


def test_cli_validate_and_errors(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(SMALL)
    runner = CliRunner()
    result = runner.invoke(app, ["validate", str(good)])
    assert result.exit_code == 0 and "valid scenario 'small'" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("seed = 3", "sed = 3"))
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "did you mean 'seed'" in result.output and "Traceback" not in result.output


def test_cli_run_json_summary(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    store = tmp_path / "store"
    args = ["run", str(path), "--json", "--out", str(tmp_path / "out"), "--store", str(store)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    arms = printed["arms"]
    stored = Store(store).get(printed["run_id"])
    assert stored.summary == arms
    assert stored.scenario_text == SMALL
    assert {"daily", "patients", "sessions", "trajectories"} <= set(stored.tables)
    patients = stored.table("patients")
    assert len(patients) == 2 * 300 and set(patients["arm"]) == {"no_care", "massage"}
    assert set(arms) == {"no_care", "massage"}
    massage = arms["massage"]
    for key in ("n", "pain_mean", "rmdq_mean", "responder_classes", "relief_days_median", "sessions_attended_mean",
                "cost_mean"):
        assert key in massage
    assert set(massage["pain_mean"]) == {"0", "70"}
    assert massage["pain_mean"]["0"] == arms["no_care"]["pain_mean"]["0"]  # same patients, same baseline
    assert abs(sum(massage["responder_classes"].values()) - 1) < 1e-9
    assert "responder_classes" not in arms["no_care"]
    assert (tmp_path / "out" / f"small-{printed['run_id']}.png").exists()
