"""Commands that only read the store never create one (docs/store.md, "Reading a store"):
an explicit --store that does not exist is bad input (exit 2, "no store at PATH"); the default
store ($PAINSIM_STORE, else the user data folder) not made yet reads as a store without runs.
Only commands that store a run create the store."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.store import Store, StoreNotFoundError

READERS = {
    "runs": ["runs"], "runs --json": ["runs", "--json"], "show": ["show", "20261201"],
    "export": ["export", "20261201", "--format", "csv"], "report": ["report", "20261201"],
    "store check": ["store", "check"], "store rebuild": ["store", "rebuild"],
}


@pytest.mark.parametrize("command", sorted(READERS))
def test_an_explicit_store_that_does_not_exist_is_bad_input(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)  # export and report would write here by default
    missing = tmp_path / "no" / "such" / "store"
    result = CliRunner().invoke(app, [*READERS[command], "--store", str(missing)])
    assert result.exit_code == 2, result.output
    assert f"no store at {missing}" in result.output and "--store" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == [], "a reading command created something"


@pytest.mark.parametrize("command", sorted(READERS))
def test_the_default_store_not_made_yet_is_not_created(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    default = tmp_path / "default-store"
    monkeypatch.setenv("PAINSIM_STORE", str(default))
    result = CliRunner().invoke(app, READERS[command])
    expected = {"runs": 0, "runs --json": 0, "store check": 0}.get(command, 2)
    assert result.exit_code == expected, result.output
    assert "Traceback" not in result.output
    if command == "runs":
        assert f"no runs yet in {default}" in result.output
    if command in ("show", "export", "report"):
        assert "no run '20261201'" in result.output and "no runs yet" in result.output
    if command == "store rebuild":
        assert f"no store at {default}" in result.output
    assert not default.exists()
    assert list(tmp_path.iterdir()) == []


def test_a_writing_command_creates_the_store(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "s"\nn = 10\nseed = 1\nhorizon_days = 30\n[population]\nentry = "acute"\n'
                        "[arms.no_care]\n")
    store = tmp_path / "new" / "store"
    result = CliRunner().invoke(app, ["run", str(scenario), "--store", str(store), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert len(Store.existing(store).runs()) == 1


def test_store_existing_and_create_false(tmp_path):
    with pytest.raises(StoreNotFoundError, match="no store at"):
        Store.existing(tmp_path / "missing")
    reader = Store(tmp_path / "missing", create=False)
    assert reader.runs().empty and len(reader) == 0 and reader.check().ok
    assert not (tmp_path / "missing").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreNotFoundError, match="it is a file"):
        Store(tmp_path / "file", create=False)
