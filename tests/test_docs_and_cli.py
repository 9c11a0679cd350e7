"""The README's API example runs, generated docs are current, and the CLI behaves."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert {"cohort", "result", "df"} <= set(namespace)
    assert len(namespace["df"]) == namespace["result"].trajectories["pain"].size


def test_generated_model_docs_are_up_to_date():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_model_docs.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_api_reference_is_up_to_date():
    check = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_api_docs.py"), "--check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_demo_json_outputs_and_store(tmp_path):
    args = ["demo", "--n", "200", "--draws", "0", "--json", "--out", str(tmp_path), "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["scenario"] == "massage_question"
    assert len(summary["arms"]) == 8 and all(arm["n"] == 200 for arm in summary["arms"].values())
    stem = f"massage_question-{summary['run_id']}"  # files are named after the scenario and the run
    assert summary["figure"] == str(tmp_path / f"{stem}.png")
    assert (tmp_path / f"{stem}.png").stat().st_size > 10_000
    assert json.loads((tmp_path / f"{stem}.json").read_text()) == summary["arms"]
    assert summary["run_id"] in CliRunner().invoke(app, ["runs", "--store", str(tmp_path / "store")]).output


@pytest.mark.skipif(not (ROOT / "src/painsim/data/default_posterior.json").is_file(),
                    reason="no default posterior shipped yet")
def test_the_demo_gives_intervals_over_the_shipped_posterior(tmp_path):
    args = ["demo", "--n", "100", "--draws", "2", "--draw-patients", "40", "--json", "--out", str(tmp_path),
            "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    intervals = json.loads(result.output)["uncertainty"]
    assert intervals["posterior"] == "default" and intervals["draws"] == 2
    assert len(intervals["arms"]) == 8
    assert all(row["low"] <= row["high"] for arm in intervals["arms"].values() for row in arm.values()
               if row["low"] is not None)


def test_the_demo_without_a_usable_posterior_says_why_and_still_answers(tmp_path, monkeypatch):
    import painsim.app.posterior as posterior_module

    monkeypatch.setattr(posterior_module, "default_posterior_note", lambda: "posterior default is stale")
    args = ["demo", "--n", "100", "--json", "--out", str(tmp_path), "--store", str(tmp_path / "store")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "note: no credible intervals: posterior default is stale" in result.stderr
    assert "uncertainty" not in json.loads(result.stdout)


def test_natural_history_json(tmp_path):
    args = ["natural-history", "--n", "300", "--days", "56", "--json", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["n"] == 300
    assert 0.0 <= summary["recovered_share"] <= 1.0
    assert set(summary["chronic_share_by_loop_off"]) >= {"none", "all", "wind_up"}
    assert (tmp_path / "natural_history.png").stat().st_size > 10_000
    assert (tmp_path / "natural_history.csv").read_text().startswith("day,pain_mean")


def test_demo_rejects_bad_input_with_a_clear_message():
    result = CliRunner().invoke(app, ["demo", "--n", "0"])
    assert result.exit_code == 2
    assert "--n" in result.output and "greater than or equal to 1" in result.output


def test_version_and_help():
    runner = CliRunner()
    assert "painsim 0.1.0" in runner.invoke(app, ["--version"]).output
    assert "demo" in runner.invoke(app, ["--help"]).output
