"""Sweeps on a real LocalCluster: equal to serial, resumable, and safe against SIGKILL."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from painsim.app import grid_sweep, grid_task, grid_tasks
from painsim.sweeps import (
    ResultsFolder,
    SchedulerUnreachableError,
    Sweep,
    run_sweep,
    sweep_client,
    task_key,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _sweep_child import GRID, SCENARIO  # noqa: E402

GRID_SMALL = {"heal_rate": [0.05, 0.08], "loop.wind_up": [0.0, 1.0]}


def test_task_key_is_deterministic_and_sensitive():
    key = task_key({"a": 1}, {"x": 0.5}, 3)
    assert key == task_key({"a": 1}, {"x": 0.5}, 3)
    assert len({key, task_key({"a": 2}, {"x": 0.5}, 3), task_key({"a": 1}, {"x": 0.6}, 3),
                task_key({"a": 1}, {"x": 0.5}, 4)}) == 4


def test_dask_results_equal_serial(tmp_path, cluster_client, small_scenario):
    serial, s_out = grid_sweep(small_scenario, GRID_SMALL, ResultsFolder(tmp_path / "serial"), "serial")
    dask, d_out = grid_sweep(small_scenario, GRID_SMALL, ResultsFolder(tmp_path / "dask"), cluster_client)
    assert s_out.ran == d_out.ran == 4
    assert serial.equals(dask)
    workers = set(ResultsFolder(tmp_path / "dask").table()["worker"])
    assert all(w.startswith("tcp://") for w in workers)
    # switching wind-up off lowers the share still chronic (the loops are really simulated)
    off = serial[serial["loop.wind_up"] == 0]["no_care.chronic_end"].to_numpy()
    on = serial[serial["loop.wind_up"] == 1]["no_care.chronic_end"].to_numpy()
    assert (off < on).all()


def test_rerun_computes_only_missing_tasks(tmp_path, cluster_client, small_scenario):
    folder = ResultsFolder(tmp_path / "r")
    half = {"heal_rate": [0.05], "loop.wind_up": [0.0, 1.0]}
    _, first = grid_sweep(small_scenario, half, folder, cluster_client)
    frame, second = grid_sweep(small_scenario, GRID_SMALL, folder, cluster_client)
    assert (first.ran, second.ran, second.reused) == (2, 2, 2)
    _, third = grid_sweep(small_scenario, GRID_SMALL, folder, cluster_client)
    assert (third.ran, third.reused) == (0, 4)
    folder.compact()
    assert len(list(folder.path.glob("*.parquet"))) == 1
    again, fourth = grid_sweep(small_scenario, GRID_SMALL, folder, "serial")
    assert fourth.ran == 0 and again.equals(frame)


def test_a_failing_task_names_itself(tmp_path, small_scenario):
    from painsim.app.sweeps import GridCommon
    from painsim.sweeps import SweepError

    sweep = Sweep("bad", grid_task, [{"values": {"heal_rate": -1.0}}], spec={}, seed=1,
                  common=GridCommon(small_scenario, 20, 1))
    with pytest.raises(Exception, match="heal_rate"):
        run_sweep(sweep, ResultsFolder(tmp_path / "bad"), "serial")
    assert SweepError  # the Dask path wraps errors in SweepError


def test_killed_sweep_resumes_without_loss_or_recomputation(tmp_path):
    total = len(grid_tasks(GRID))
    folder = tmp_path / "killed"
    child = subprocess.Popen([sys.executable, str(HERE / "_sweep_child.py"), str(folder), "dask"],
                             start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and len(list(folder.glob("part-*.parquet"))) < 4:
            assert child.poll() is None, child.stdout.read().decode()
            time.sleep(0.02)
    finally:
        os.killpg(child.pid, signal.SIGKILL)  # the child, its cluster and its workers
        child.wait()
    kept = ResultsFolder(folder).table()
    assert 4 <= len(kept) < total
    before = dict(zip(kept["key"], kept["finished"], strict=True))

    rerun = subprocess.run([sys.executable, str(HERE / "_sweep_child.py"), str(folder), "dask"],
                           capture_output=True, text=True, timeout=180)
    assert rerun.returncode == 0, rerun.stderr
    assert f"ran={total - len(kept)} reused={len(kept)}" in rerun.stdout
    after = ResultsFolder(folder).table()
    assert len(after) == total
    assert all(dict(zip(after["key"], after["finished"], strict=True))[k] == t for k, t in before.items())

    reference = subprocess.run([sys.executable, str(HERE / "_sweep_child.py"), str(tmp_path / "serial"), "serial"],
                               capture_output=True, text=True, timeout=180)
    assert reference.returncode == 0, reference.stderr
    assert ResultsFolder(folder).done() == ResultsFolder(tmp_path / "serial").done()
    assert not list(folder.glob(".tmp-*"))


def test_unreachable_scheduler_fails_fast_with_one_paragraph():
    start = time.monotonic()
    with pytest.raises(SchedulerUnreachableError) as err, sweep_client("tcp://127.0.0.1:1", timeout=2):
        pass
    assert time.monotonic() - start < 15
    message = str(err.value)
    assert "tcp://127.0.0.1:1" in message and "--scheduler" in message and "\n" not in message


def test_unreachable_scheduler_cli_exit_1(tmp_path):
    from typer.testing import CliRunner

    from painsim.cli.app import app

    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO)
    result = CliRunner().invoke(app, ["sensitivity", str(scenario), "--scheduler", "tcp://127.0.0.1:1",
                                      "--budget", "2", "--n", "20", "--outputs", "chronic_365",
                                      "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    assert "no Dask scheduler answered at tcp://127.0.0.1:1" in result.output
