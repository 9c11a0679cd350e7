"""Bugs the fuzz suite found (tests/fuzz/test_cli_fuzz.py): regression tests for the ones
fixed, and strict xfails (minimal reproducers) for any routed to other owners (none left).

When a routed bug is fixed its xfail starts passing, fails as XPASS, and must be turned into
a plain test; drop the matching entry of ``KNOWN_ROUTED`` in test_cli_fuzz.py at the same time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.cli import app

SMALL = """name = "small"
n = 20
seed = 3
horizon_days = 30
[population]
entry = "acute"
[arms.no_care]
"""


@pytest.fixture(scope="module")
def stored_run(tmp_path_factory) -> tuple[Path, str]:
    """A store holding one small run, and the run's id."""
    root = tmp_path_factory.mktemp("found")
    (root / "s.toml").write_text(SMALL)
    result = CliRunner().invoke(app, ["run", str(root / "s.toml"), "--store", str(root / "store"),
                                      "--out", str(root / "out"), "--json"])
    assert result.exit_code == 0, result.output
    return root / "store", json.loads(result.stdout)["run_id"]


def test_store_check_names_a_run_json_that_nests_too_deeply(stored_run, tmp_path):
    """Found: `painsim store check` ended in an internal error (RecursionError, exit 1) when a
    run's _run.json was "[" * 100000; now the run is reported damaged (exit 2)."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(stored_run[0], store)
    (store / "runs" / stored_run[1] / "_run.json").write_text("[" * 100_000)
    result = CliRunner().invoke(app, ["store", "check", "--store", str(store)])
    assert result.exit_code == 2, result.output
    assert stored_run[1] in result.output and "too deeply" in result.output
    shown = CliRunner().invoke(app, ["show", stored_run[1], "--store", str(store)])
    assert shown.exit_code == 2, shown.output


def test_a_plot_name_too_long_is_bad_input(tmp_path):
    """Found: `painsim meta --forest DIR/<300 bytes>.png` ended in an internal error (OSError
    ENAMETOOLONG from Path.is_dir in check_png_target, exit 1); now exit 2 naming the option
    and the limit (every output option: tests/cli/test_output_path_limits.py)."""
    data = Path(__file__).resolve().parents[1] / "evidence" / "data" / "bcg.csv"
    result = CliRunner().invoke(app, ["meta", str(data), "--measure", "RR", "--forest",
                                      str(tmp_path / ("g" * 300 + ".png"))])
    assert result.exit_code == 2, result.output
    assert "--forest" in result.output and "at most 255 bytes" in result.output


def test_reading_a_missing_store_does_not_create_it(tmp_path):
    """Found: `painsim runs --store /no/such/dir` created the folders; now exit 2 "no store at"
    and nothing is created (docs/store.md, "Reading a store")."""
    result = CliRunner().invoke(app, ["runs", "--store", str(tmp_path / "no" / "such" / "store")])
    assert result.exit_code == 2, result.output
    assert "no store at" in result.output
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("argv", [["show", "no-such-run"], ["export", " ", "--format", "csv"],
                                  ["store", "check", "--store", "@FILE@"]],
                         ids=["unknown-run", "blank-run", "store-file"])
def test_store_input_errors_exit_2(stored_run, tmp_path, argv):
    """Found: an unknown or blank run id and a --store that is a file exited 1 (docs/store.md
    said 1, docs/cli.md 2); bad input is exit 2 everywhere now."""
    (tmp_path / "f").write_text("x")
    argv = [a.replace("@FILE@", str(tmp_path / "f")) for a in argv]
    if "--store" not in argv:
        argv += ["--store", str(stored_run[0])]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
