"""Every option that names an output place goes through one checker (painsim.cli.common.
check_path_fits): a file or folder name over the file system's limit (255 bytes) or a path
over its limit is bad input, exit 2 naming the option and the limit, before any work and
without creating anything (docs/cli.md, "Output places")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.cli import app

ROOT = Path(__file__).resolve().parents[2]
BCG = ROOT / "tests" / "evidence" / "data" / "bcg.csv"
LONG = "g" * 300
SMALL = """name = "small"
n = 20
seed = 3
horizon_days = 400
[population]
entry = "acute"
[arms.no_care]
[arms.massage]
massage = { schedule = { count = 2 } }
"""
TRIAL = """name = "{name}"
seed = 5
[arms.massage]
n = 6
massage = {{ schedule = {{ count = 2 }} }}
[arms.usual_care]
n = 6
usual_care = {{}}
[visits]
weeks = [2]
[analysis]
missing = "complete_case"
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> tuple[Path, str]:
    """A store with one small run, and the run's id."""
    root = tmp_path_factory.mktemp("paths")
    (root / "s.toml").write_text(SMALL)
    result = CliRunner().invoke(app, ["run", str(root / "s.toml"), "--store", str(root / "store"),
                                      "--out", str(root / "out"), "--json"])
    assert result.exit_code == 0, result.output
    return root / "store", json.loads(result.stdout)["run_id"]


def commands(tmp: Path, store: Path, run_id: str) -> dict[str, tuple[list[str], str]]:
    """(argv, option) of every command with an output place, that place named ``LONG``."""
    scenario, trial_a, trial_b = tmp / "in" / "s.toml", tmp / "in" / "a.toml", tmp / "in" / "b.toml"
    long_dir, long_png = str(tmp / "o" / LONG), str(tmp / "o" / f"{LONG}.png")
    serial = ["--scheduler", "serial"]
    return {
        "meta --forest": (["meta", str(BCG), "--measure", "RR", "--forest", long_png], "--forest"),
        "meta --funnel": (["meta", str(BCG), "--measure", "RR", "--funnel", long_png], "--funnel"),
        "trial pool --forest": (["trial", "pool", str(trial_a), str(trial_b), "--forest", long_png], "--forest"),
        "sensitivity --plot": (["sensitivity", str(scenario), "--budget", "2", "--n", "10", "--plot", long_png,
                                "--store", str(tmp / "st"), *serial], "--plot"),
        "schema --out": (["schema", "--out", str(tmp / "o" / f"{LONG}.json")], "--out"),
        "report --out": (["report", run_id, "--store", str(store), "--out", str(tmp / "o" / f"{LONG}.html")],
                         "--out"),
        "export --out": (["export", run_id, "--format", "csv", "--store", str(store), "--out", long_dir], "--out"),
        "run --out": (["run", str(scenario), "--out", long_dir, "--store", str(tmp / "st")], "--out"),
        "run --store": (["run", str(scenario), "--out", str(tmp / "o"), "--store", long_dir], "--store"),
        "demo --out": (["demo", "--n", "2", "--draws", "0", "--out", long_dir, "--store", str(tmp / "st")], "--out"),
        "trial run --out": (["trial", "run", str(trial_a), "--out", long_dir], "--out"),
        "trial power --out": (["trial", "power", str(trial_a), "--n", "6,8", "--reps", "1", "--out", long_dir,
                               "--store", str(tmp / "st"), *serial], "--out"),
        "sweep --out": (["sweep", str(scenario), "--grid", "heal_rate=0.05", "--n", "10", "--out", long_dir,
                         "--store", str(tmp / "st"), *serial], "--out"),
        "sweep --results": (["sweep", str(scenario), "--grid", "heal_rate=0.05", "--n", "10", "--out",
                             str(tmp / "o"), "--results", long_dir, "--store", str(tmp / "st"), *serial],
                            "--results"),
        "natural-history --out": (["natural-history", "--n", "50", "--out", long_dir], "--out"),
        "trajectories --out": (["trajectories", str(scenario), "--n", "10", "--out", long_dir], "--out"),
        "trajectories --store": (["trajectories", run_id, "--store", long_dir, "--out", str(tmp / "o")], "--store"),
        "runs --store": (["runs", "--store", long_dir], "--store"),
        "show --store": (["show", run_id, "--store", long_dir], "--store"),
        "store check --store": (["store", "check", "--store", long_dir], "--store"),
    }


CASES = sorted(commands(Path("/x"), Path("/s"), "r"))


@pytest.mark.parametrize("command", CASES)
def test_a_name_over_255_bytes_is_bad_input(stored, tmp_path, command):
    (tmp_path / "in").mkdir()
    (tmp_path / "o").mkdir()
    (tmp_path / "in" / "s.toml").write_text(SMALL)
    (tmp_path / "in" / "a.toml").write_text(TRIAL.format(name="a"))
    (tmp_path / "in" / "b.toml").write_text(TRIAL.format(name="b"))
    argv, option = commands(tmp_path, *stored)[command]
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert option in result.output and "at most 255 bytes" in result.output, result.output
    assert "too long (300 bytes)" in result.output or "too long (304 bytes)" in result.output or \
        "too long (305 bytes)" in result.output, result.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [], "created something for a refused name"
    assert not (tmp_path / "st").exists(), "the store was created before the check"


def test_a_path_over_the_path_limit_is_bad_input(tmp_path):
    deep = tmp_path.joinpath(*["d" * 200] * 25, "s.json")
    result = CliRunner().invoke(app, ["schema", "--out", str(deep)])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "the path is too long" in result.output and "at most 4,095" in result.output


def test_a_nul_in_an_output_path_is_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["meta", str(BCG), "--measure", "RR", "--forest", str(tmp_path / "a\0b.png")])
    assert result.exit_code == 2, result.output
    assert "--forest" in result.output and "NUL" in result.output


def test_a_name_of_255_bytes_is_accepted(tmp_path):
    """The limit is the file system's: 255 bytes still go through."""
    target = tmp_path / ("s" * 250 + ".json")
    result = CliRunner().invoke(app, ["schema", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists()
