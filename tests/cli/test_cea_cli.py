"""`painsim cea`: the answer table, --json, and bad input refused with exit code 2 before any work."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from painsim.cli import app

SCENARIO = """name = "cea_cli"
n = 40
seed = 2
horizon_days = 60
[population]
entry = "chronic"
chronic_min_days = 90
[arms.no_care]
[arms.massage]
massage = { schedule = { count = 3, every_days = 7 } }
"""


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO)
    return path


def _run(*argv):
    return CliRunner().invoke(app, ["cea", *map(str, argv)])


def test_the_table_names_every_arm_and_the_disclaimer(scenario, tmp_path):
    result = _run(scenario, "--store", tmp_path / "store", "--psa", "2")
    assert result.exit_code == 0, result.output
    assert "no_care" in result.output and "massage" in result.output and "ICER" in result.output
    assert "research model, not medical advice" in result.output
    assert "probability cost-effective" in result.output


def test_json_summary(scenario, tmp_path):
    result = _run(scenario, "--store", tmp_path / "store", "--json", "--perspective", "societal",
                  "--wtp", "0:50000:10000")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["perspective"] == "societal" and set(summary["arms"]) == {"no_care", "massage"}
    assert summary["wtp"] == {"start": 0.0, "stop": 50000.0, "points": 6}
    assert summary["run_id"] and "psa" not in summary


@pytest.mark.parametrize(("argv", "message"), [
    (["--wtp", "100:0:10"], "--wtp"),
    (["--perspective", "patient"], "--perspective must be one of payer, societal"),
    (["--posterior", "abc"], "posterior 'abc': no run 'abc'"),
    (["--n", "9000000"], "--n"),
    (["--psa", "100000"], "--psa"),
])
def test_bad_options_exit_2_naming_the_option(scenario, tmp_path, argv, message):
    result = _run(scenario, "--store", tmp_path / "store", *argv)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_a_bad_economics_field_exits_2_naming_it(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO + "[economics.discount]\ncosts = 0.5\n")
    result = _run(path, "--store", tmp_path / "store")
    assert result.exit_code == 2
    assert "economics.discount.costs" in result.output
