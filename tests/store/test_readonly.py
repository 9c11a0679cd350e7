"""A store root that cannot be created or written gives a StoreError that says what to do."""

import os
import stat

import pandas as pd
import pytest
from typer.testing import CliRunner

from painsim.cli import app
from painsim.store import Store, StoreError


def _make_read_only(*paths):
    for path in paths:
        path.chmod(0o555)
    if os.access(paths[0], os.W_OK):  # root ignores permission bits
        for path in paths:
            path.chmod(0o755)
        pytest.skip("running as root: chmod cannot make a folder read-only")


@pytest.fixture
def restore_modes():
    changed = []
    yield changed
    for path in changed:
        if path.exists():
            path.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def test_root_that_cannot_be_created(tmp_path, restore_modes):
    parent = tmp_path / "locked"
    parent.mkdir()
    restore_modes.append(parent)
    _make_read_only(parent)
    with pytest.raises(StoreError) as info:
        Store(parent / "store")
    message = str(info.value)
    assert str(parent / "store") in message and "PAINSIM_STORE" in message and "--store" in message
    result = CliRunner().invoke(app, ["runs", "--store", str(parent / "store")])  # reading never creates
    assert result.exit_code == 2 and "Traceback" not in result.output and "no store at" in result.output


def test_read_only_store_can_be_read_but_not_written(store, frames, write_run, restore_modes):
    run_id = write_run(store, frames)
    tree = [store.root, store.root / "runs", store.root / "staging"]
    restore_modes.extend(tree)
    _make_read_only(*tree)
    reopened = Store(store.root)
    assert list(reopened.runs().run_id) == [run_id]  # reading still works
    pd.testing.assert_frame_equal(reopened.get(run_id).table("patients"), frames["patients"])
    with pytest.raises(StoreError, match=r"cannot create or write .*staging.*PAINSIM_STORE"):
        write_run(reopened, frames)
    result = CliRunner().invoke(app, ["runs", "--store", str(store.root)])
    assert result.exit_code == 0 and run_id in result.output
    assert list(reopened.runs().run_id) == [run_id]


def test_read_only_root_folder_fails_at_commit_and_leaves_nothing(store, frames, write_run, restore_modes):
    """Staging and runs/ writable but the root (where the database keeps its journal) is not."""
    run_id = write_run(store, frames)
    restore_modes.append(store.root)
    _make_read_only(store.root)
    with pytest.raises(StoreError, match="PAINSIM_STORE"):
        write_run(Store(store.root), frames, name="never")
    assert list(store.runs().run_id) == [run_id]
    assert sorted(p.name for p in (store.root / "runs").iterdir()) == [run_id]
    assert list((store.root / "staging").iterdir()) == []
