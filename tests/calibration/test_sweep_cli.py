"""``painsim sweep``: parameter grids from the command line."""

import json

import pytest
from typer.testing import CliRunner

from painsim.cli.app import app
from painsim.cli.sweep_commands import long_format, parse_grid_option

SCENARIO = """
name = "grid"
n = 60
seed = 4
horizon_days = 60
[population]
entry = "chronic"
[arms.no_care]
[arms.massage]
massage = { schedule = { count = 3 } }
"""


def test_grid_values_lists_and_inclusive_ranges():
    assert parse_grid_option("heal_rate=0.05,0.07") == ("heal_rate", [0.05, 0.07])
    assert parse_grid_option("loop.sleep=0.5:1.5:0.5") == ("loop.sleep", [0.5, 1.0, 1.5])
    assert parse_grid_option("massage_decay=0.1:0.3:0.1") == ("massage_decay", [0.1, 0.2, 0.3])


@pytest.mark.parametrize(("text", "words"), [
    ("heal_rat=0.05", "did you mean 'heal_rate'"),
    ("loop.slep=1", "unknown loop 'slep'"),
    ("loop.sleep=-1,1", "cannot be negative"),
    ("heal_rate=0.08:0.05:0.01", "STOP >= START"),
    ("heal_rate=a,b", "must be numbers"),
    ("heal_rate", "NAME=V1,V2"),
    ("heal_rate=-0.5,0.1", "allowed range"),
])
def test_grid_errors_say_what_is_allowed(text, words):
    with pytest.raises(ValueError, match=words):
        parse_grid_option(text)


def test_sweep_json_runs_every_point_and_resumes(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(SCENARIO)
    args = ["sweep", str(path), "--grid", "loop.wind_up=0.5,1.5", "--grid", "heal_rate=0.05,0.08",
            "--scheduler", "serial", "--store", str(tmp_path / "store"), "--out", str(tmp_path), "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    out = json.loads(first.output)
    assert out["points"] == 4 and out["ran"] == 4 and len(out["rows"]) == 4
    assert {"loop.wind_up", "heal_rate", "massage.pain_end", "no_care.chronic_end"} <= set(out["rows"][0])
    weak, strong = (next(r for r in out["rows"] if r["loop.wind_up"] == g and r["heal_rate"] == 0.05)
                    for g in (0.5, 1.5))
    assert strong["no_care.pain_end"] > weak["no_care.pain_end"]  # a stronger wind-up loop keeps pain up
    again = json.loads(CliRunner().invoke(app, args).output)
    assert again["ran"] == 0 and again["reused"] == 4 and again["rows"] == out["rows"]
    rows = long_format(__import__("pandas").DataFrame(out["rows"]), ["loop.wind_up", "heal_rate"])
    assert len(rows) == 8 and set(rows["arm"]) == {"no_care", "massage"}


def test_sweep_bad_grid_exits_2(tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(SCENARIO)
    result = CliRunner().invoke(app, ["sweep", str(path), "--grid", "heal_rat=0.05", "--scheduler", "serial"])
    assert result.exit_code == 2 and "did you mean 'heal_rate'" in result.output
    result = CliRunner().invoke(app, ["sweep", str(path), "--grid", "heal_rate=0.05", "--grid", "heal_rate=0.06"])
    assert result.exit_code == 2 and "given twice" in result.output


def test_sweep_on_an_existing_cluster_by_address_equals_serial(tmp_path, cluster_client):
    path = tmp_path / "grid.toml"
    path.write_text(SCENARIO)
    common = ["sweep", str(path), "--grid", "loop.guarding=0.5,1.0,1.5", "--out", str(tmp_path), "--json"]
    address = cluster_client.scheduler.address
    assert address.startswith("tcp://")
    remote = CliRunner().invoke(app, [*common, "--scheduler", address, "--store", str(tmp_path / "a")])
    assert remote.exit_code == 0, remote.output
    serial = CliRunner().invoke(app, [*common, "--scheduler", "serial", "--store", str(tmp_path / "b")])
    assert json.loads(remote.output)["rows"] == json.loads(serial.output)["rows"]
    assert json.loads(remote.output)["ran"] == 3
