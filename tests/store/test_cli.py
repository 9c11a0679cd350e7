"""painsim runs / show / export through the CLI, including error exits."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from painsim.cli import app


@pytest.fixture
def cli():
    return CliRunner()


def _stderr(result) -> str:
    try:
        return result.stderr
    except ValueError:  # older runners mix the streams
        return result.output


def test_runs_empty_then_listed(cli, store, frames, write_run):
    result = cli.invoke(app, ["runs", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert "no runs yet in" in result.output and store.root.name in result.output
    ids = [write_run(store, frames, seed=s, name=f"run{s}") for s in range(2)]
    result = cli.invoke(app, ["runs", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert all(i in result.output for i in ids) and "run1" in result.output
    assert result.output.index(ids[1]) < result.output.index(ids[0])  # newest first
    listed = json.loads(cli.invoke(app, ["runs", "--store", str(store.root), "--json"]).output)
    assert [r["run_id"] for r in listed] == ids[::-1]
    assert listed[0]["tables"] == ["trajectories", "patients"] and listed[0]["seed"] == 1
    assert listed[0]["started"].endswith("+00:00")


def test_runs_uses_painsim_store_env(cli, store, write_run, monkeypatch):
    run_id = write_run(store)
    monkeypatch.setenv("PAINSIM_STORE", str(store.root))
    result = cli.invoke(app, ["runs", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["run_id"] for r in json.loads(result.output)] == [run_id]


def test_show(cli, store, frames, write_run, SCENARIO):
    run_id = write_run(store, frames, seed=7, name="baseline", summary={"pain_mean": 5.123456789, "n": 200})
    result = cli.invoke(app, ["show", run_id[:22], "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    for text in (run_id, "baseline", "5.12346", "trajectories", "patients", "12", "sha256"):
        assert text in result.output, text
    shown = json.loads(cli.invoke(app, ["show", run_id, "--store", str(store.root), "--json"]).output)
    assert shown["metadata"]["run_id"] == run_id and shown["metadata"]["seed"] == 7
    assert shown["summary"] == {"pain_mean": 5.123456789, "n": 200}
    assert shown["tables"] == {"trajectories": 12, "patients": 3}
    assert shown["scenario_text"] == SCENARIO


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export(cli, store, frames, write_run, tmp_path, fmt):
    run_id = write_run(store, frames)
    out = tmp_path / "exported"
    result = cli.invoke(app, ["export", run_id[:22], "--format", fmt, "--out", str(out), "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["patients." + fmt, "trajectories." + fmt, "scenario.toml", "summary.json"])
    reader = pd.read_parquet if fmt == "parquet" else pd.read_csv
    assert len(reader(out / f"trajectories.{fmt}")) == 12


def test_export_default_destination(cli, store, write_run, tmp_path, monkeypatch):
    run_id = write_run(store)
    monkeypatch.chdir(tmp_path)
    result = cli.invoke(app, ["export", run_id, "--format", "csv", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "painsim-export" / run_id / "summary.json").exists()


def test_unknown_and_ambiguous_runs_exit_2_without_traceback(cli, store, write_run):
    """A run id no run has is bad input (docs/store.md, "Exit codes"): exit 2 naming the id."""
    ids = [write_run(store, seed=s) for s in range(2)]
    for args in (["show", "nope"], ["export", "nope", "--format", "csv"], ["report", "nope"]):
        result = cli.invoke(app, [*args, "--store", str(store.root)])
        assert result.exit_code == 2, result.output
        assert f"no run 'nope' in {store.root}" in _stderr(result) and "painsim runs" in _stderr(result)
        assert "Traceback" not in result.output
    result = cli.invoke(app, ["show", ids[0][:8], "--store", str(store.root)])
    assert result.exit_code == 2
    assert "matches 2 runs" in _stderr(result) and all(i in _stderr(result) for i in ids)


def test_a_mistyped_run_id_suggests_the_closest_ids(cli, store, write_run):
    run_id = write_run(store)
    typo = run_id[:-1] + ("0" if run_id[-1] != "0" else "1")  # the last character wrong
    result = cli.invoke(app, ["show", typo, "--store", str(store.root)])
    assert result.exit_code == 2, result.output
    assert f"no run {typo!r}" in _stderr(result) and f"Did you mean {run_id}?" in _stderr(result)


def test_a_blank_run_id_exits_2(cli, store, write_run):
    write_run(store)
    for run in ("", " "):
        result = cli.invoke(app, ["show", run, "--store", str(store.root)])
        assert result.exit_code == 2, result.output
        assert "no run id given" in _stderr(result) and "painsim runs" in _stderr(result)


def test_usage_errors_exit_2(cli, store, write_run):
    run_id = write_run(store)
    assert cli.invoke(app, ["export", run_id, "--store", str(store.root)]).exit_code == 2  # --format missing
    result = cli.invoke(app, ["export", run_id, "--format", "xlsx", "--store", str(store.root)])
    assert result.exit_code == 2 and "xlsx" in result.output
    assert cli.invoke(app, ["show", "--store", str(store.root)]).exit_code == 2


@pytest.mark.parametrize("where", ["under-a-file", "a-file"])
def test_a_store_path_that_is_no_folder_exits_2(cli, tmp_path, where):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    path = blocker / "store" if where == "under-a-file" else blocker
    for argv in (["runs"], ["show", "x"], ["store", "check"], ["store", "rebuild"]):
        result = cli.invoke(app, [*argv, "--store", str(path)])
        assert result.exit_code == 2, result.output
        message = _stderr(result)
        assert f"no store at {path}" in message and "PAINSIM_STORE" in message and "--store" in message
        assert "Traceback" not in result.output
    assert blocker.read_text() == "not a folder"


def test_runs_in_an_80_column_terminal_keeps_each_run_on_one_line(cli, store, frames, write_run, monkeypatch):
    long_name = "a much longer scenario name for the massage question, weekly sessions"
    ids = [write_run(store, frames, name=long_name), write_run(store, frames, name="baseline")]
    monkeypatch.setenv("COLUMNS", "80")
    result = cli.invoke(app, ["runs", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = [line for line in lines if any(i in line for i in ids)]
    assert len(rows) == 2 and "baseline" in rows[0] and "a much long" in rows[1] and "…" in rows[1]
    body = lines[lines.index(rows[0]):lines.index(rows[1]) + 2]
    assert len(body) == 3 and body[-1].startswith("└")  # no row continues on a second line
    assert "hidden at 80 columns" in result.output  # and says what was left out
    monkeypatch.setenv("COLUMNS", "200")
    wide = cli.invoke(app, ["runs", "--store", str(store.root)]).output
    assert long_name in wide and "trajectories, patients" in wide and "hidden" not in wide


def test_export_to_a_place_that_cannot_be_written_exits_2_before_writing(cli, store, write_run, tmp_path):
    run_id = write_run(store)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = cli.invoke(app, ["export", run_id, "--format", "csv", "--out", str(blocker / "e"),
                              "--store", str(store.root)])
    assert result.exit_code == 2, result.output
    assert "--out" in _stderr(result) and str(blocker / "e") in _stderr(result)
    assert blocker.read_text() == "x"
