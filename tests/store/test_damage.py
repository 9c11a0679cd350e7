"""Damaged or lost store data raises a specific DamagedStoreError naming the run, the table or the index."""

import os

import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.store import (
    DamagedIndexError,
    DamagedRunError,
    DamagedStoreError,
    DamagedTableError,
    MissingIndexError,
    StoreError,
)


def _stderr(result) -> str:
    try:
        return result.stderr
    except ValueError:  # older runners mix the streams
        return result.output


def _garble(path):
    path.write_bytes(b"this is not a parquet file" * 40)


def _truncate(path):
    os.truncate(path, path.stat().st_size // 2)


@pytest.fixture
def run_id(store, frames, write_run):
    return write_run(store, frames, name="damaged")


@pytest.mark.parametrize("damage", [_garble, _truncate, os.remove], ids=["garbled", "truncated", "deleted"])
def test_damaged_table_names_run_and_table(store, run_id, damage):
    path = store.runs_dir / run_id / "patients.parquet"
    damage(path)
    run = store.get(run_id)
    for read in (lambda: run.table("patients"), run.table_rows):
        with pytest.raises(DamagedTableError) as info:
            read()
        error = info.value
        assert isinstance(error, DamagedStoreError) and isinstance(error, StoreError)
        assert error.run_id == run_id and error.table == "patients" and error.path == path
        assert run_id in str(error) and "'patients'" in str(error) and "painsim store check" in str(error)
    assert len(run.table("trajectories")) == 12  # the other table is untouched and still readable


def test_missing_run_folder_is_a_damaged_run(store, run_id):
    (store.runs_dir / run_id).rename(store.root / "moved-away")
    with pytest.raises(DamagedRunError) as info:
        store.get(run_id).table("patients")
    assert info.value.run_id == run_id and run_id in str(info.value)


@pytest.mark.parametrize("content", [b"", b"garbage" * 1000], ids=["empty", "garbage"])
def test_damaged_index_says_how_to_rebuild(store, run_id, content):
    store.db_path.write_bytes(content)
    for read in (store.runs, lambda: store.get(run_id), store.check_writable):
        with pytest.raises(DamagedIndexError) as info:
            read()
        assert info.value.path == store.db_path
        assert str(store.db_path) in str(info.value) and "painsim store rebuild" in str(info.value)


def test_missing_index_with_run_folders_is_reported(store, run_id, write_run):
    write_run(store)
    store.db_path.unlink()
    with pytest.raises(MissingIndexError) as info:
        store.runs()
    assert info.value.run_folders == 2
    assert "missing" in str(info.value) and "painsim store rebuild" in str(info.value)
    with pytest.raises(MissingIndexError):
        store.get(run_id)


def test_a_fresh_store_is_not_a_missing_index(store):
    assert store.runs().empty and len(store) == 0


def test_check_writable(store, tmp_path):
    store.check_writable()  # a fresh store
    assert sorted(p.name for p in store.root.iterdir()) == ["runs", "staging"]  # the probes are gone
    store.staging_dir.rmdir()
    store.staging_dir.write_text("a file where the staging folder should be")
    with pytest.raises(StoreError, match=r"cannot create or write .*staging.*PAINSIM_STORE") as info:
        store.check_writable()
    assert not isinstance(info.value, DamagedStoreError)


# ---------------------------------------------------------------- the command line
@pytest.mark.parametrize("command", [["show"], ["export", "--format", "parquet"], ["export", "--format", "csv"]],
                         ids=["show", "export-parquet", "export-csv"])
def test_cli_damaged_table_exits_2_naming_run_and_table(store, run_id, command, tmp_path):
    _garble(store.runs_dir / run_id / "patients.parquet")
    out = tmp_path / "out"
    args = [command[0], run_id, *command[1:], "--store", str(store.root)]
    if command[0] != "show":
        args += ["--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    message = _stderr(result)
    assert message.startswith("error: ") and run_id in message and "'patients'" in message
    assert "Traceback" not in result.output
    assert not (out / "patients.parquet").exists()  # a damaged table is never exported silently


def test_cli_runs_on_damaged_or_missing_index_exits_2(store, run_id):
    store.db_path.write_bytes(b"garbage" * 1000)
    result = CliRunner().invoke(app, ["runs", "--store", str(store.root)])
    assert result.exit_code == 2 and "painsim store rebuild" in _stderr(result)
    store.db_path.unlink()
    result = CliRunner().invoke(app, ["runs", "--store", str(store.root)])
    assert result.exit_code == 2, result.output
    assert "missing" in _stderr(result) and "1 run folder" in _stderr(result)
    assert "painsim store rebuild" in _stderr(result) and "Traceback" not in result.output
