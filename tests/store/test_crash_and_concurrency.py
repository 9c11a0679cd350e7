"""Killed writers leave nothing visible and damage nothing; concurrent writers all land."""

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from painsim.store import Store, StoreError

CHILD = Path(__file__).with_name("_child.py")


# A signalled writer exits in about a second; a timeout fails with the writer's stderr.
EXIT_TIMEOUT = 30


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_ready(proc: subprocess.Popen) -> str:
    line = proc.stdout.readline()
    assert line.startswith("READY"), line + proc.stderr.read()
    return line.split()[1] if len(line.split()) > 1 else ""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_killed_writer_leaves_no_visible_run(store, frames, write_run, sig):
    earlier = write_run(store, frames, name="earlier")
    proc = _spawn(str(store.root), "hang")
    try:
        doomed = _wait_ready(proc)
        staged = store.root / "staging" / doomed
        assert (staged / "trajectories.parquet").exists()
        assert list(store.runs().run_id) == [earlier]  # in progress: not visible
        proc.send_signal(sig)
        try:
            proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"the writer did not exit within {EXIT_TIMEOUT} s of {sig.name}; its stderr:\n{err}")
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode != 0
    if sig == signal.SIGINT:
        assert not staged.exists()  # KeyboardInterrupt path: the writer removed its own staging folder
    else:
        assert staged.exists()  # kill -9: the folder is left behind ...
    # ... invisible, earlier runs intact and readable
    assert list(store.runs().run_id) == [earlier]
    pd.testing.assert_frame_equal(store.get(earlier).table("trajectories"), frames["trajectories"])
    assert not (store.root / "runs" / doomed).exists()
    # the next open removes the dead writer's staging folder
    reopened = Store(store.root)
    assert not staged.exists()
    assert list((store.root / "staging").iterdir()) == []
    assert list(reopened.runs().run_id) == [earlier]
    write_run(reopened, frames, name="after")  # and the store keeps working
    assert len(reopened) == 2


def test_live_writer_staging_is_kept(store):
    proc = _spawn(str(store.root), "hang")
    try:
        run_id = _wait_ready(proc)
        assert Store(store.root).cleanup() == []
        assert (store.root / "staging" / run_id).exists()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert Store(store.root).cleanup() == [] and not (store.root / "staging" / run_id).exists()


def test_orphan_run_folder_without_row_is_removed(store, frames, write_run):
    """A writer killed between the rename and the database insert leaves a folder no one lists."""
    keep = write_run(store, frames)
    orphan = store.root / "runs" / "20000101-000000-000-deadbeef"
    orphan.mkdir()
    record = {"pid": 999_999_999, "host": socket.gethostname(), "started": 0}
    (orphan / "_writer.json").write_text(json.dumps(record))
    (orphan / "trajectories.parquet").write_bytes(b"partial")
    assert Store(store.root).cleanup() == []  # already removed by the constructor's cleanup
    assert not orphan.exists()
    assert (store.root / "runs" / keep).exists() and list(store.runs().run_id) == [keep]


def test_two_processes_writing_concurrently_all_land(store, tmp_path):
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [_spawn(str(store.root), "many", "5", str(sync), str(k)) for k in range(2)]
    try:
        deadline = time.monotonic() + 60
        while not all((sync / f"ready-{k}").exists() for k in range(2)):
            assert time.monotonic() < deadline and all(p.poll() is None for p in procs)
            time.sleep(0.01)
        (sync / "go").touch()
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.wait()
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, err
    ids = [line for out, _ in outputs for line in out.split()]
    assert len(ids) == 10 and len(set(ids)) == 10
    listing = store.runs()
    assert sorted(listing.run_id) == sorted(ids)
    assert sorted(listing.name) == sorted(f"p{k}-{i}" for k in range(2) for i in range(5))
    spans = {}
    for run_id in ids:
        run = store.get(run_id)
        assert run.table("trajectories").pain.iloc[0] == run.summary["i"]
        first, last = spans.get(run.summary["writer"], (run.metadata["started"], run.metadata["finished"]))
        spans[run.summary["writer"]] = (min(first, run.metadata["started"]), max(last, run.metadata["finished"]))
    assert spans["0"][0] < spans["1"][1] and spans["1"][0] < spans["0"][1]  # the two writers overlapped
    assert list((store.root / "staging").iterdir()) == []


def test_locked_database_is_waited_for_then_a_clear_error(store, frames, write_run):
    write_run(store, frames)  # creates the database
    proc = _spawn(str(store.root), "lock", "1.0")
    try:
        _wait_ready(proc)
        t0 = time.monotonic()
        run_id = write_run(Store(store.root, lock_timeout=20), frames)  # waits for the lock, then lands
        assert time.monotonic() - t0 > 0.3
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert store.get(run_id).table_rows()["trajectories"] == 12

    proc = _spawn(str(store.root), "lock", "30")
    try:
        _wait_ready(proc)
        impatient = Store(store.root, lock_timeout=0.3)
        with pytest.raises(StoreError, match=r"stayed locked by another process.*PAINSIM_STORE"):
            write_run(impatient, frames, name="never")
        with pytest.raises(StoreError, match="stayed locked"):
            impatient.runs()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert "never" not in set(store.runs().name)
    assert len(store) == 2
    assert sorted(p.name for p in (store.root / "runs").iterdir()) == sorted(store.runs().run_id)
    assert list((store.root / "staging").iterdir()) == []
