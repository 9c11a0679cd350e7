"""``painsim trajectories SCENARIO|RUN_ID``: scenario and stored-run input, JSON, figure,
the report's section, and exit code 2 with a clear message on bad input."""

import json

import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.store import Store

SCENARIO = """\
name = "traj_cli"
n = 150
seed = 6
horizon_days = 119

[population]
entry = "chronic"

[record]
every = 7
patients = 150

[arms.massage_weekly]
massage = { schedule = { count = 4, every_days = 7 } }

[arms.no_care]
"""


def invoke(*args):
    return CliRunner().invoke(app, ["trajectories", *map(str, args)])


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trajectories")
    (folder / "scenario.toml").write_text(SCENARIO)
    (folder / "no_trajectories.toml").write_text(SCENARIO.replace("patients = 150", "patients = 0"))
    (folder / "fortnightly.toml").write_text(SCENARIO.replace("every = 7", "every = 14"))
    return folder


@pytest.fixture(scope="module")
def stored_runs(folder):
    """Run ids of the scenario stored as `painsim run` stores it, and of two runs lacking weekly pain."""
    ids = {}
    for name in ("scenario", "no_trajectories", "fortnightly"):
        store = folder / f"store_{name}"
        result = CliRunner().invoke(app, ["run", str(folder / f"{name}.toml"), "--json", "--out", str(folder / "run"),
                                          "--store", str(store), "--jobs", "1"])
        assert result.exit_code == 0, result.output
        ids[name] = (json.loads(result.output)["run_id"], store)
    return ids


def test_scenario_input_json_and_figure(folder):
    out = folder / "from_scenario"
    result = invoke(folder / "scenario.toml", "--months", 3, "--n", 200, "--json", "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["arm"] == "no_care"  # the first arm without care is the default
    assert summary["n"] == 200 and summary["weeks"] == 13 and summary["selected_by"] == "bic"
    assert sum(c["share"] for c in summary["classes"]) == pytest.approx(1.0)
    assert all(len(c["mean"]) == 13 for c in summary["classes"])
    assert summary["kongsted_2015_shares"]["recovery"] == 0.26
    assert (out / "traj_cli_trajectories.png").stat().st_size > 10_000
    assert json.loads((out / "traj_cli_trajectories.json").read_text())["classes"] == summary["classes"]


def test_stored_run_table_and_same_result_every_time(folder, stored_runs):
    run_id, store = stored_runs["scenario"]
    args = (run_id, "--store", store, "--months", 3, "--arm", "massage_weekly", "--classes", 2, "--out", folder / "o")
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    assert "Trajectory classes of massage_weekly" in first.output and "Kongsted 2015" in first.output
    assert "wk 13" in first.output and "2 classes (fixed by --classes" in first.output
    assert (folder / "o" / f"traj_cli-{run_id}_trajectories.png").exists()
    as_json = [json.loads(invoke(*args, "--json").output) for _ in range(2)]
    assert as_json[0]["classes"] == as_json[1]["classes"] and as_json[0]["k"] == 2
    assert as_json[0]["run_id"] == run_id and as_json[0]["n"] == 150
    monthly = json.loads(invoke(*args, "--period", "month", "--json").output)
    assert monthly["period"] == "month" and len(monthly["classes"][0]["mean"]) == 3


def test_the_report_shows_the_trajectory_classes(stored_runs):
    from painsim.report import render_report

    run_id, store = stored_runs["scenario"]
    html = render_report(Store(store).get(run_id))
    assert 'id="trajectories"' in html and "Kongsted 2015" in html
    section = html.split('id="trajectories"')[1].split("</section>")[0]
    assert "data:image/png;base64," in section and "recovery" in section
    without = render_report(Store(stored_runs["no_trajectories"][1]).get(stored_runs["no_trajectories"][0]))
    assert "This run has no weekly pain" in without.split('id="trajectories"')[1].split("</section>")[0]


@pytest.mark.parametrize(("args", "expected"), [
    (["--months", 6], "--months: 6 months need 26 whole weeks (182 days) but scenario traj_cli follows 119 days"),
    (["--months", 0.2], "--months: must cover at least 2 whole weeks"),
    (["--classes", 0], "--classes: must be 'auto'"),
    (["--classes", 8], "a whole number from 1 to 7; got '8'"),
    (["--classes", "many"], "got 'many'"),
    (["--arm", "exercise"], "--arm: scenario traj_cli has no arm 'exercise'; its arms: massage_weekly, no_care"),
    (["--period", "year"], "--period: must be week or month"),
])
def test_bad_options_exit_2_before_simulating(folder, args, expected):
    result = invoke(folder / "scenario.toml", *args, "--out", folder / "bad")
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and expected in " ".join(result.output.split())
    assert not (folder / "bad" / "traj_cli_trajectories.png").exists()


def test_bad_run_input_exits_2_and_says_what_to_record(folder, stored_runs):
    run_id, store = stored_runs["scenario"]
    unknown = invoke("20990101-000000", "--store", store)
    assert unknown.exit_code == 2 and "no run '20990101-000000'" in unknown.output
    assert "neither a scenario file nor a stored run" in " ".join(unknown.output.split())
    beyond = invoke(run_id, "--store", store, "--months", 12)
    assert beyond.exit_code == 2 and f"run {run_id} follows 119 days" in " ".join(beyond.output.split())
    missing = invoke(*stored_runs["no_trajectories"][:1], "--store", stored_runs["no_trajectories"][1])
    assert missing.exit_code == 2 and "has no per-patient trajectories" in missing.output
    assert 'variables including "pain", every = 7' in " ".join(missing.output.split())
    fortnightly = invoke(stored_runs["fortnightly"][0], "--store", stored_runs["fortnightly"][1], "--months", 3)
    assert fortnightly.exit_code == 2 and "recorded every 14 days" in " ".join(fortnightly.output.split())
    no_file = invoke(folder / "missing.toml")
    assert no_file.exit_code == 2 and "missing.toml" in no_file.output
