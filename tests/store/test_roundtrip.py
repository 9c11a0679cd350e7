"""Writing a run and reading it back: tables, metadata, hash, listing, lookups, export."""

import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

import painsim
from painsim.store import (
    AmbiguousRunError,
    RunNotFoundError,
    Store,
    StoreError,
    StoreInputError,
    default_root,
    new_run_id,
)


def test_round_trip_tables_metadata_and_hash(store, frames, write_run, SCENARIO):
    before = dt.datetime.now(dt.UTC)
    run_id = write_run(store, frames, seed=42, name="baseline", summary={"pain_mean": np.float64(5.5), "k": [1, 2]})
    after = dt.datetime.now(dt.UTC)

    run = store.get(run_id)
    for name, df in frames.items():
        pd.testing.assert_frame_equal(run.table(name), df)
    meta = run.metadata
    assert meta["run_id"] == run_id and meta["name"] == "baseline" and meta["seed"] == 42
    assert meta["version"] == painsim.__version__ and meta["status"] == "complete"
    assert meta["scenario_hash"] == hashlib.sha256(SCENARIO.encode()).hexdigest()
    assert before <= meta["started"] <= meta["finished"] <= after
    assert meta["started"].tzinfo is not None
    assert meta["tables"] == ["trajectories", "patients"] == run.tables
    assert meta["meta"] == {"n": 200}
    assert run.scenario_text == SCENARIO
    assert run.summary == {"pain_mean": 5.5, "k": [1, 2]}
    assert run.table_rows() == {"trajectories": 12, "patients": 3}
    # the run folder holds the tables and a self-describing manifest, no writer record
    files = sorted(p.name for p in (store.root / "runs" / run_id).iterdir())
    assert files == ["_run.json", "patients.parquet", "trajectories.parquet"]
    assert json.loads((store.root / "runs" / run_id / "_run.json").read_text())["seed"] == 42
    assert list((store.root / "staging").iterdir()) == []


def test_runs_listing_newest_first(store, write_run):
    assert store.runs().empty and len(store) == 0
    ids = [write_run(store, seed=s, name=f"r{s}") for s in range(3)]
    listing = store.runs()
    assert list(listing.columns) == ["run_id", "name", "seed", "version", "started", "finished",
                                     "scenario_hash", "tables"]
    assert list(listing.run_id) == ids[::-1]
    assert list(listing.seed) == [2, 1, 0]
    assert str(listing.started.dt.tz) == "UTC"
    assert len(store) == 3
    # a second Store object on the same root sees the same runs
    assert list(Store(store.root).runs().run_id) == ids[::-1]


def test_run_ids_sortable_and_unique():
    t = dt.datetime(2026, 5, 8, 14, 23, 1, 123456, tzinfo=dt.UTC)
    ids = {new_run_id(t) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("20260508-142301-123-") for i in ids)
    assert new_run_id(t) < new_run_id(t + dt.timedelta(milliseconds=1))


def test_prefix_lookup_and_ambiguity(store, write_run):
    ids = [write_run(store, seed=s) for s in range(2)]
    assert store.get(ids[0]).run_id == ids[0]
    unique = next(n for n in range(1, len(ids[0]) + 1) if ids[0][:n] != ids[1][:n])
    assert store.get(ids[1][:unique]).run_id == ids[1]
    common = ids[0][: unique - 1] or ids[0][:1]
    with pytest.raises(AmbiguousRunError) as info:
        store.get(common)
    assert set(info.value.candidates) == set(ids)
    assert all(i in str(info.value) for i in ids)
    with pytest.raises(RunNotFoundError, match=f"no run 'nope' in {store.root}"):
        store.get("nope")
    assert issubclass(RunNotFoundError, StoreInputError) and issubclass(RunNotFoundError, StoreError)
    assert issubclass(AmbiguousRunError, StoreInputError)


def test_unknown_table_is_a_clear_error(store, frames, write_run):
    run = store.get(write_run(store, frames))
    with pytest.raises(StoreError, match="has no table 'missing'; its tables are: trajectories, patients"):
        run.table("missing")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export(store, frames, tmp_path, fmt, write_run, SCENARIO):
    run_id = write_run(store, frames)
    dest = tmp_path / "out" / fmt
    paths = store.export(run_id[:15], fmt, dest)
    assert sorted(p.name for p in paths) == sorted(
        [f"trajectories.{fmt}", f"patients.{fmt}", "scenario.toml", "summary.json"])
    assert all(p.parent == dest and p.exists() for p in paths)
    assert (dest / "scenario.toml").read_text() == SCENARIO
    assert json.loads((dest / "summary.json").read_text()) == {"pain_mean": 5.25, "n": 200}
    if fmt == "parquet":
        for name, df in frames.items():
            pd.testing.assert_frame_equal(pd.read_parquet(dest / f"{name}.parquet"), df)
    else:
        traj = pd.read_csv(dest / "trajectories.csv")
        assert list(traj.columns) == ["day", "patient", "pain", "state"]
        np.testing.assert_allclose(traj.pain, frames["trajectories"].pain)
        patients = pd.read_csv(dest / "patients.csv", index_col="patient_id")
        assert list(patients.index) == [10, 11, 12]


def test_exception_inside_block_leaves_nothing(store, frames, write_run, SCENARIO):
    earlier = write_run(store, frames)
    with pytest.raises(RuntimeError, match="boom"), store.new_run(SCENARIO, seed=9) as run:
        run.write_table("trajectories", frames["trajectories"])
        raise RuntimeError("boom")
    assert list(store.runs().run_id) == [earlier]
    assert list((store.root / "staging").iterdir()) == []
    assert sorted(p.name for p in (store.root / "runs").iterdir()) == [earlier]
    with pytest.raises(RunNotFoundError):
        store.get(run.run_id)


def test_bad_inputs_fail_early_and_leave_nothing(store, frames, SCENARIO):
    with pytest.raises(TypeError, match="JSON serialisable"), store.new_run(SCENARIO, seed=1) as run:
        run.set_summary({"bad": object()})
    with pytest.raises(ValueError, match="already written"), store.new_run(SCENARIO, seed=1) as run:
        run.write_table("t", frames["patients"])
        run.write_table("t", frames["patients"])
    with pytest.raises(ValueError, match="table name"), store.new_run(SCENARIO, seed=1) as run:
        run.write_table("../escape", frames["patients"])
    with pytest.raises(StoreError, match="not open for writing"):
        run.write_table("late", frames["patients"])
    assert store.runs().empty
    assert list((store.root / "staging").iterdir()) == []


def test_default_root_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("PAINSIM_STORE", str(tmp_path / "envstore"))
    assert default_root() == tmp_path / "envstore"
    assert Store().root == tmp_path / "envstore"
    monkeypatch.delenv("PAINSIM_STORE")
    assert default_root().name == "store" and "painsim" in str(default_root())
