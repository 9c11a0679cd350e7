"""Checksums at commit, Store.check / painsim store check, Store.rebuild / painsim store rebuild."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.store import DamagedRunError, DamagedTableError, Store, integrity

CHILD = Path(__file__).with_name("_child.py")


def _stderr(result) -> str:
    try:
        return result.stderr
    except ValueError:  # older runners mix the streams
        return result.output


def _flip_one_byte(path: Path) -> None:
    """Change the lowest byte of the first value of the first float column: Parquet reads it back silently."""
    frame = pd.read_parquet(path)
    column = frame.select_dtypes("float64").columns[0]
    data = bytearray(path.read_bytes())
    at = data.find(frame[column].to_numpy()[:1].tobytes())
    assert at > 0, "the value's bytes are not stored verbatim"
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _manifest(store, run_id) -> dict:
    return json.loads((store.runs_dir / run_id / "_run.json").read_text())


def _index_contents(store) -> list[tuple]:
    return sorted(store._query("SELECT * FROM runs"))


@pytest.fixture
def two_runs(store, frames, write_run):
    return [write_run(store, frames, seed=s, name=f"run{s}", summary={"pain_mean": 5.0 + s, "nan": float("nan")})
            for s in range(2)]


# ---------------------------------------------------------------- checksums at commit
def test_every_table_checksum_is_recorded_with_the_run(store, two_runs):
    for run_id in two_runs:
        checksums = _manifest(store, run_id)["checksums"]
        assert sorted(checksums) == ["patients", "trajectories"]
        for table, recorded in checksums.items():
            data = (store.runs_dir / run_id / f"{table}.parquet").read_bytes()
            assert recorded == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        assert store.get(run_id).checksums == {t: c["sha256"] for t, c in checksums.items()}


def test_checksums_do_not_change_the_tables(store, frames, two_runs):
    for name, frame in frames.items():
        pd.testing.assert_frame_equal(store.get(two_runs[0]).table(name), frame)


def test_a_flipped_byte_is_caught_on_read(store, frames, two_runs):
    path = store.runs_dir / two_runs[0] / "trajectories.parquet"
    _flip_one_byte(path)
    run = store.get(two_runs[0])
    unverified = run.table("trajectories", verify=False)  # what a read without checksums returns
    assert not unverified.equals(frames["trajectories"])
    with pytest.raises(DamagedTableError, match="does not match the SHA-256 checksum") as info:
        run.table("trajectories")
    assert info.value.run_id == two_runs[0] and info.value.table == "trajectories"
    assert [type(p) for p in run.damage()] == [DamagedTableError]
    with pytest.raises(DamagedTableError):
        run.verify()
    assert store.get(two_runs[1]).damage() == []


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_verifies_before_copying(store, two_runs, tmp_path, fmt):
    _flip_one_byte(store.runs_dir / two_runs[0] / "trajectories.parquet")
    out = tmp_path / "out"
    with pytest.raises(DamagedTableError):
        store.export(two_runs[0], fmt, out)
    assert list(out.iterdir()) == []  # nothing half-exported
    result = CliRunner().invoke(app, ["export", two_runs[0], "--format", fmt, "--out", str(out),
                                      "--store", str(store.root)])
    assert result.exit_code == 2 and "'trajectories'" in _stderr(result) and two_runs[0] in _stderr(result)
    assert store.export(two_runs[1], fmt, tmp_path / "fine")  # the intact run still exports


def test_show_verifies_checksums(store, two_runs):
    _flip_one_byte(store.runs_dir / two_runs[1] / "patients.parquet")
    result = CliRunner().invoke(app, ["show", two_runs[1], "--store", str(store.root)])
    assert result.exit_code == 2 and "'patients'" in _stderr(result) and "Traceback" not in result.output


# ---------------------------------------------------------------- check
def test_check_clean_store(store, two_runs):
    report = store.check()
    assert report.ok and report.runs_checked == 2 and report.tables_checked == 4
    assert report.tables_without_checksum == 0 and report.problems == []
    result = CliRunner().invoke(app, ["store", "check", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert "checked 2 runs (4 tables)" in result.output and "every table matches" in result.output


def test_check_names_damaged_runs_and_tables(store, two_runs):
    _flip_one_byte(store.runs_dir / two_runs[0] / "trajectories.parquet")
    (store.runs_dir / two_runs[1] / "patients.parquet").unlink()
    report = store.check()
    assert not report.ok and report.damaged_runs == sorted(two_runs)
    assert sorted((p.run_id, p.table) for p in report.problems) == sorted(
        [(two_runs[0], "trajectories"), (two_runs[1], "patients")])
    result = CliRunner().invoke(app, ["store", "check", "--store", str(store.root)])
    assert result.exit_code == 2
    assert all(run_id in result.output for run_id in two_runs) and "table trajectories" in result.output
    listed = json.loads(CliRunner().invoke(app, ["store", "check", "--json", "--store", str(store.root)]).output)
    assert listed["ok"] is False and listed["damaged_runs"] == sorted(two_runs)
    assert {p["table"] for p in listed["problems"]} == {"trajectories", "patients"}


def test_check_finds_damaged_run_json_and_missing_folders(store, two_runs):
    (store.runs_dir / two_runs[0] / "_run.json").write_text("{not json")
    (store.runs_dir / two_runs[1]).rename(store.root / "elsewhere")
    report = store.check()
    assert {(p.kind, p.run_id) for p in report.problems} == {("run", two_runs[0]), ("run", two_runs[1])}
    with pytest.raises(DamagedRunError):
        store.get(two_runs[0]).table("patients")


def test_check_reads_older_runs_without_checksums_in_full(store, two_runs):
    for run_id in two_runs:  # as written by a painsim older than the checksums
        manifest = _manifest(store, run_id)
        del manifest["checksums"]
        (store.runs_dir / run_id / "_run.json").write_text(json.dumps(manifest))
    assert store.check().ok and store.check().tables_without_checksum == 4
    (store.runs_dir / two_runs[0] / "patients.parquet").write_bytes(b"garbage" * 100)
    assert [(p.run_id, p.table) for p in store.check().problems] == [(two_runs[0], "patients")]


def test_check_without_an_index_checks_the_run_folders(store, two_runs):
    store.db_path.write_bytes(b"garbage" * 1000)
    report = store.check()
    assert [p.kind for p in report.problems] == ["index"] and report.runs_checked == 2
    assert "painsim store rebuild" in report.problems[0].message


def test_check_reports_run_folders_missing_from_the_index(store, two_runs, write_run):
    store.rebuild()
    saved = store.db_path.read_bytes()
    later = write_run(store)
    store.db_path.write_bytes(saved)  # an index restored from an older backup
    report = store.check()
    assert [(p.kind, p.run_id) for p in report.problems] == [("unindexed", later)]
    assert "painsim store rebuild" in report.problems[0].message


# ---------------------------------------------------------------- rebuild
def test_rebuild_restores_a_lost_index_exactly(store, two_runs, SCENARIO):
    before = _index_contents(store)
    listing = store.runs()
    store.db_path.unlink()
    report = store.rebuild()
    assert report.previous_index == "missing" and report.indexed == sorted(two_runs) and report.skipped == []
    assert _index_contents(store) == before  # every field, summary and meta strings included
    pd.testing.assert_frame_equal(store.runs(), listing)
    run = store.get(two_runs[1])
    assert run.scenario_text == SCENARIO and run.summary["pain_mean"] == 6.0
    assert store.check().ok


def test_rebuild_is_idempotent_and_keeps_every_run_folder(store, two_runs):
    folders = sorted(os.listdir(store.runs_dir))
    before = _index_contents(store)
    first = store.rebuild()
    second = store.rebuild()
    assert first.indexed == second.indexed == sorted(two_runs)
    assert _index_contents(store) == before and sorted(os.listdir(store.runs_dir)) == folders
    assert Path(second.backup).name == "painsim.duckdb.before-rebuild"


def test_rebuild_replaces_a_damaged_index_and_keeps_it(store, two_runs):
    store.db_path.write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(app, ["store", "rebuild", "--store", str(store.root)])
    assert result.exit_code == 0, result.output
    assert "from 2 run folders" in result.output and "damaged" in result.output
    assert sorted(store.runs().run_id) == sorted(two_runs)
    assert (store.root / "painsim.duckdb.before-rebuild").read_bytes() == b"garbage" * 1000
    listed = json.loads(CliRunner().invoke(app, ["store", "rebuild", "--json", "--store", str(store.root)]).output)
    assert listed["previous_index"] == "ok" and listed["indexed"] == sorted(two_runs)


def test_rebuild_skips_folders_that_were_never_committed(store, two_runs):
    dead = store.runs_dir / "20200101-000000-000-deadbeef"
    dead.mkdir()
    (dead / "_writer.json").write_text(json.dumps({"pid": 2**22 + 12345, "pid_start": None,
                                                   "host": "another-host", "started": 0}))
    (dead / "_run.json").write_text(json.dumps({"run_id": dead.name}))
    os.utime(dead / "_run.json", (0, 0))
    os.utime(dead, (0, 0))
    (store.runs_dir / two_runs[0] / "_writer.json").write_text("{}")  # committed; its record left behind
    report = store.rebuild()
    assert report.indexed == sorted(two_runs)
    assert [s["run_id"] for s in report.skipped] == [dead.name] and "died" in report.skipped[0]["reason"]
    assert dead.is_dir()  # rebuild never deletes a folder


def test_losing_the_index_then_writing_keeps_old_runs_reachable(store, two_runs, write_run):
    store.db_path.unlink()
    newer = write_run(store, name="after the loss")
    assert sorted(store.runs().run_id) == sorted([*two_runs, newer])


def test_a_commit_during_a_rebuild_is_not_lost(store, two_runs, write_run, monkeypatch):
    """A writer committing while the rebuild works waits for it (store lock), then lands in the new index."""
    import fcntl

    blocked = threading.Event()
    real_flock = fcntl.flock

    def flock(fd, mode):
        try:
            return real_flock(fd, mode)
        except BlockingIOError:
            blocked.set()
            raise

    monkeypatch.setattr(fcntl, "flock", flock)
    landed: list[str] = []
    writer = threading.Thread(target=lambda: landed.append(write_run(Store(store.root), name="during")))
    real_write_index = integrity._write_index

    def write_index_while_a_run_commits(path, rows, timeout):
        writer.start()
        while not blocked.is_set() and writer.is_alive():
            blocked.wait(0.01)
        real_write_index(path, rows, timeout)

    monkeypatch.setattr(integrity, "_write_index", write_index_while_a_run_commits)
    store.rebuild()
    writer.join(timeout=60)
    assert blocked.is_set() and len(landed) == 1
    assert sorted(store.runs().run_id) == sorted([*two_runs, *landed])


def test_a_killed_rebuild_leaves_the_old_index(store, two_runs):
    before = _index_contents(store)
    proc = subprocess.Popen([sys.executable, str(CHILD), str(store.root), "rebuild-hang"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY"), line + proc.stderr.read()
        fresh = Path(line.split()[1])
        assert fresh.exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert _index_contents(store) == before
    Store(store.root)  # opening the store removes what the dead rebuild left
    assert not fresh.exists()
    assert store.rebuild().indexed == sorted(two_runs)
