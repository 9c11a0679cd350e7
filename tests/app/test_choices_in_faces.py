"""Each list of choices is declared once and the faces read it: CLI help and validation, GET /api/choices."""

import re

import pytest
from typer.testing import CliRunner

from painsim import app as painsim_app
from painsim.cli import app as cli


def _help(*command: str) -> str:
    result = CliRunner().invoke(cli, [*command, "--help"], env={"COLUMNS": "200", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    return re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", result.output))


@pytest.mark.parametrize(("command", "option", "list_name"), [
    (["sensitivity"], "--method", "sensitivity_methods"),
    (["calibrate"], "--method", "calibration_methods"),
    (["export"], "--format", "export_formats"),
    (["trial", "pool"], "--measure", "pooling_measures"),
    (["trial", "pool"], "--test", "tests"),
])
def test_cli_help_shows_the_declared_values_and_their_labels(command, option, list_name):
    text = _help(*command)
    assert "{" + ",".join(painsim_app.values(list_name)) + "}" in text
    for choice in painsim_app.choices()[list_name]:
        assert f"{choice.value}: {choice.label}" in text


def test_sensitivity_help_lists_the_declared_outputs():
    from painsim.calibration.sensitivity import OUTPUTS

    text = _help("sensitivity")
    assert all(name in text for name in OUTPUTS)


@pytest.mark.parametrize(("argv", "message"), [
    (["sensitivity", "SCENARIO", "--method", "fast"], "--method must be one of sobol, morris (got 'fast')"),
    (["export", "RUN", "--format", "xlsx"], "--format must be one of parquet, csv (got 'xlsx')"),
])
def test_a_value_outside_the_list_exits_2_naming_the_allowed(argv, message, tmp_path):
    result = CliRunner().invoke(cli, [*argv, "--store", str(tmp_path / "store")])
    assert result.exit_code == 2, result.output
    assert message in re.sub(r"\s+", " ", result.output)
    assert not (tmp_path / "store").exists()  # refused before anything is opened


def test_a_choice_is_accepted_in_any_case(tmp_path):
    from painsim.store import Store

    store = Store(tmp_path / "store")
    with store.new_run("name = 'x'\n", seed=1, name="x") as run:
        run.set_summary({"a": 1})
    result = CliRunner().invoke(cli, ["export", run.run_id, "--format", "CSV", "--out", str(tmp_path / "out"),
                                      "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "summary.json").exists()


def test_the_web_api_serves_every_declared_list_with_its_labels(tmp_path):
    from fastapi.testclient import TestClient

    from painsim.web import create_app

    with TestClient(create_app(tmp_path / "store"), base_url="http://localhost") as client:
        served = client.get("/api/choices").json()
    for name, items in painsim_app.choices().items():
        assert served[name]["values"] == [c.value for c in items]
        assert served[name]["labels"] == {c.value: c.label for c in items}


@pytest.mark.parametrize(("command", "option", "list_name"), [
    ("painsim sensitivity", "--method", "sensitivity_methods"),
    ("painsim calibrate", "--method", "calibration_methods"),
    ("painsim export", "--format", "export_formats"),
])
def test_the_cli_reference_names_the_declared_values(command, option, list_name):
    from pathlib import Path

    reference = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    synopsis = next(line for line in reference.splitlines() if line.startswith(command + " "))
    assert f"{option} {'|'.join(painsim_app.values(list_name))}" in synopsis
