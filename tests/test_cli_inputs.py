"""Every command answers bad input with exit code 2 and a message naming the file, field or
option and what is allowed, never a traceback; names are labels, never paths; output places
are checked before any simulation starts (docs/cli.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from painsim.cli import app
from painsim.evidence.io import MAX_CSV_BYTES, MAX_FOREST_STUDIES, MAX_STUDIES
from painsim.outputs import MAX_SLUG_BYTES, output_path, output_stem, slug
from painsim.tomlfiles import MAX_TOML_BYTES

ROOT = Path(__file__).resolve().parents[1]

SCENARIO = """
name = {name}
title = {title}
n = 20
seed = 3
horizon_days = {days}
[population]
entry = "chronic"
[arms.no_care]
[arms."massage $x^$ [/b]"]
massage = {{ schedule = {{ count = 2 }} }}
"""

TRIAL = """
name = {name}
title = {title}
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

TARGETS = """
name = {name}
[fit]
n = 20
seed = 4
batch = 1
[parameters]
heal_rate = {{ low = 0.03, high = 0.12 }}
[scenarios.chronic]
horizon_days = 56
arms.no_care = {{}}
[[targets]]
name = "still_chronic"
citation = "a test"
source = {{ kind = "scenario", scenario = "chronic", arm = "no_care" }}
statistic = {{ name = "chronic_share", day = 50 }}
value = 0.55
band = [0.40, 0.70]
"""

ABSOLUTE = f"/tmp/painsim-hostile-{uuid.uuid4().hex}"
HOSTILE_NAMES = [ABSOLUTE, "../../../escaped", "a/b", "caf\u00e9 \u0000 \u202e [/x] $\\frac{$", "\u00e9" * 200]
HOSTILE_IDS = ["absolute", "dotdot", "slash", "odd-unicode", "400-bytes"]  # fixed ids: pytest-xdist workers agree
TWO_NAMES, TWO_IDS = [ABSOLUTE, "../../../" + "\u00e9" * 150], ["absolute", "dotdot-300-bytes"]


def _toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string with \\uXXXX escapes is a valid TOML basic string


def _write(path: Path, template: str, name: str, days: int = 28) -> Path:
    path.write_text(template.format(name=_toml_string(name), title=_toml_string(f"title of {name}"), days=days))
    return path


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200", **(env or {})})


def _assert_bad_input(result, *fragments: str) -> str:
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in output
    for fragment in fragments:
        assert fragment in output, (fragment, output)
    return output


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A deep working folder, so that '../../..' from it or from --out stays inside tmp_path."""
    work = tmp_path / "w" / "x" / "y" / "z"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    return work


def _assert_nothing_outside(tmp_path: Path, before: set[Path], *allowed: Path) -> None:
    new = _files(tmp_path) - before
    outside = [p for p in new if not any(p.is_relative_to(folder) for folder in allowed)]
    assert outside == [], outside
    assert not list(Path("/tmp").glob(Path(ABSOLUTE).name + "*"))
    for path in new:
        assert len(path.name.encode()) <= 255


# ---------------------------------------------------------------- names are labels, never paths


@given(st.text(max_size=400))
def test_output_stem_is_always_one_safe_file_name(name):
    stem = output_stem(name)
    assert stem and stem[0] not in ".-_" and len(stem) <= MAX_SLUG_BYTES + 9
    assert stem.isascii() and all(c.isalnum() or c in "._-" for c in stem)
    path = output_path(Path("out"), name, "_trial.json", "20260508-142301-123-9f86d081")
    assert path.parent == Path("out") and path.name.startswith(stem) and len(path.name) < 255


@pytest.mark.parametrize("name", ["massage_question", "short_course", "grid", "v1.2-final"])
def test_safe_names_are_kept_as_they_are(name):
    assert slug(name) == name  # so files and sweep folders keep their names and sweeps still resume


def test_different_names_never_share_a_stem():
    names = ["a/b", "a_b", "a:b", "a b", "A/B", "\u00e9" * 200, "\u00e9" * 201, "..", "."]
    assert len({output_stem(n) for n in names}) == len(names)


@pytest.mark.filterwarnings("ignore:Glyph")  # a NUL in a title has no glyph
@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=HOSTILE_IDS)
def test_run_writes_only_into_out_and_the_store(tmp_path, workdir, name):
    scenario = _write(tmp_path / "s.toml", SCENARIO, name)
    out, store = workdir / "out", tmp_path / "store"
    before = _files(tmp_path)
    result = _invoke("run", scenario, "--out", out, "--store", store, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    _assert_nothing_outside(tmp_path, before, out, store)
    stem = output_stem(name, printed["run_id"])
    assert {p.name for p in out.iterdir()} == {f"{stem}.png", f"{stem}.json"}
    assert printed["figure"] == str(out / f"{stem}.png") and printed["scenario"] == name
    table = _invoke("run", scenario, "--out", out, "--store", store)  # the table prints names as text
    assert table.exit_code == 0 and "massage $x^$ [/b]" in table.output


@pytest.mark.parametrize("name", TWO_NAMES, ids=TWO_IDS)
def test_trial_and_power_write_only_into_out_and_the_store(tmp_path, workdir, name):
    spec = _write(tmp_path / "t.toml", TRIAL, name)
    out, store = workdir / "out", tmp_path / "store"
    before = _files(tmp_path)
    result = _invoke("trial", spec, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {f"{output_stem(name)}_by_visit.png", f"{output_stem(name)}_trial.json"}
    result = _invoke("trial", "power", spec, "--n", "4", "--reps", "1", "--jobs", "1", "--out", out,
                     "--store", store, "--json")
    assert result.exit_code == 0, result.output
    assert Path(json.loads(result.output)["replicates_csv"]) == out / f"{output_stem(name)}_power.csv"
    assert [p.parent for p in (store / "sweeps").iterdir()] == [store / "sweeps"]
    _assert_nothing_outside(tmp_path, before, out, store)


@pytest.mark.parametrize("name", TWO_NAMES, ids=TWO_IDS)
def test_sweeps_write_only_into_out_and_the_store(tmp_path, workdir, name):
    scenario = _write(tmp_path / "s.toml", SCENARIO, name)
    long_scenario = _write(tmp_path / "long.toml", SCENARIO, name, days=365)
    targets = _write(tmp_path / "targets.toml", TARGETS, name)
    out, store = workdir / "out", tmp_path / "store"
    before = _files(tmp_path)
    serial = ["--scheduler", "serial", "--store", store, "--json"]
    result = _invoke("sweep", scenario, "--grid", "heal_rate=0.05", "--n", "10", "--out", out, *serial)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert Path(printed["csv"]) == out / f"{output_stem(name, printed['run_id'])}_sweep.csv"
    assert Path(printed["csv"]).exists()
    result = _invoke("calibrate", targets, "--budget", "1", *serial)
    assert result.exit_code == 0, result.output
    result = _invoke("sensitivity", long_scenario, "--method", "morris", "--budget", "2", "--n", "10",
                     "--outputs", "chronic_365", "--plot", out / "sens.png", *serial)
    assert result.exit_code == 0, result.output
    folders = sorted(p.name for p in (store / "sweeps").iterdir())
    assert [f.split("-")[0] for f in folders] == ["calibration", "sensitivity", "sweep"]
    assert all(output_stem(name) in f for f in folders)
    _assert_nothing_outside(tmp_path, before, out, store)


def test_trial_pool_with_hostile_names_and_titles(tmp_path, workdir):
    specs = [_write(tmp_path / f"t{k}.toml", TRIAL.replace("seed = 5", f"seed = {k}"), name)
             for k, name in enumerate([ABSOLUTE, "[/x] $\\frac{$"])]
    before = _files(tmp_path)
    forest = workdir / "forest.png"
    result = _invoke("trial", "pool", *specs, "--measure", "MD", "--method", "DL", "--forest", forest)
    assert result.exit_code == 0, result.output
    assert "title of [/x] $\\frac{$" in result.output
    _assert_nothing_outside(tmp_path, before, forest)


# ---------------------------------------------------------------- output places checked before work


@pytest.fixture
def no_simulation(monkeypatch):
    """Make every simulating entry point fail the test if it is reached."""
    import painsim.app
    import painsim.calibration
    import painsim.calibration.sensitivity
    import painsim.outcomes
    import painsim.scenario
    import painsim.trials
    import painsim.trials.power

    def reached(*args, **kwargs):
        raise AssertionError("the simulation started although its output place is unusable")

    for module, name in [(painsim.scenario, "run_scenario"), (painsim.trials, "run_trial"),
                         (painsim.trials, "pool_trials"), (painsim.trials.power, "power_curve"),
                         (painsim.app, "grid_sweep"), (painsim.calibration, "calibrate"),
                         (painsim.calibration.sensitivity, "run_sensitivity"), (painsim.outcomes, "natural_history")]:
        monkeypatch.setattr(module, name, reached)


@pytest.fixture
def blocked(tmp_path) -> Path:
    """A regular file: nothing can be created below it, whoever runs the tests (even root)."""
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return path


def test_unusable_out_is_found_before_simulating(tmp_path, blocked, no_simulation):
    scenario = _write(tmp_path / "s.toml", SCENARIO, "s")
    spec = _write(tmp_path / "t.toml", TRIAL, "t")
    store, out = tmp_path / "store", blocked / "out"
    serial = ["--scheduler", "serial", "--store", store]
    for args in (["run", scenario, "--store", store], ["demo", "--store", store], ["natural-history"],
                 ["trial", spec], ["trial", "power", spec, "--n", "4", "--store", store],
                 ["sweep", scenario, "--grid", "heal_rate=0.05", *serial]):
        _assert_bad_input(_invoke(*args, "--out", out), "--out", str(out), "cannot be created")
    assert not (store / "runs").exists() or not list((store / "runs").iterdir())


def test_unusable_store_or_results_folder_is_found_before_simulating(tmp_path, blocked, no_simulation):
    scenario = _write(tmp_path / "s.toml", SCENARIO, "s")
    long_scenario = _write(tmp_path / "long.toml", SCENARIO, "s", days=365)
    targets = _write(tmp_path / "targets.toml", TARGETS, "t")
    spec = _write(tmp_path / "t.toml", TRIAL, "t")
    out = tmp_path / "out"
    sweeping = (["sweep", scenario, "--grid", "heal_rate=0.05", "--scheduler", "serial", "--out", out],
                ["calibrate", targets, "--budget", "1", "--scheduler", "serial"],
                ["sensitivity", long_scenario, "--scheduler", "serial", "--plot", out / "s.png"],
                ["trial", "power", spec, "--n", "4", "--jobs", "1", "--out", out])
    for args in (["run", scenario, "--out", out], ["demo", "--out", out], *sweeping):
        _assert_bad_input(_invoke(*args, "--store", blocked / "store"), str(blocked / "store"))
    for args in sweeping:
        _assert_bad_input(_invoke(*args, "--store", tmp_path / "store", "--results", blocked / "results"),
                          "results folder", str(blocked / "results"))
    broken = tmp_path / "broken"  # a store whose staging folder cannot be made: a file is in its place
    broken.mkdir()
    (broken / "staging").write_text("")
    _assert_bad_input(_invoke("run", scenario, "--out", out, "--store", broken), str(broken / "staging"))


def test_read_only_store_is_found_before_simulating(tmp_path, no_simulation):
    store = tmp_path / "store"
    store.mkdir()
    store.chmod(0o555)
    try:
        if os.access(store, os.W_OK):
            pytest.skip("running as root: permission bits do not stop writes")
        scenario = _write(tmp_path / "s.toml", SCENARIO, "s")
        _assert_bad_input(_invoke("run", scenario, "--out", tmp_path / "out", "--store", store), str(store))
    finally:
        store.chmod(0o755)


def test_unusable_plot_targets_are_found_before_simulating(tmp_path, blocked, no_simulation):
    long_scenario = _write(tmp_path / "long.toml", SCENARIO, "s", days=365)
    specs = [_write(tmp_path / f"t{k}.toml", TRIAL, f"t{k}") for k in range(2)]
    _assert_bad_input(_invoke("sensitivity", long_scenario, "--scheduler", "serial", "--plot", blocked / "s.png",
                              "--store", tmp_path / "store"), "--plot", str(blocked))
    _assert_bad_input(_invoke("sensitivity", long_scenario, "--scheduler", "serial", "--plot", tmp_path,
                              "--store", tmp_path / "store"), "--plot", "is a directory")
    _assert_bad_input(_invoke("trial", "pool", *specs, "--forest", blocked / "f.png"), "--forest", str(blocked))


# ---------------------------------------------------------------- files that cannot be read as TOML


def _not_utf8(path: Path) -> Path:
    path.write_bytes(b'name = "caf\xe9"\n')
    return path


def test_files_that_are_not_utf8_name_the_file_and_the_byte(tmp_path):
    bad = _not_utf8(tmp_path / "latin1.toml")
    good_spec = _write(tmp_path / "t.toml", TRIAL, "t")
    for args in (["validate", bad], ["run", bad], ["trial", bad], ["trial", "power", bad, "--n", "4"],
                 ["trial", "pool", good_spec, bad], ["calibrate", bad, "--budget", "1"],
                 ["sensitivity", bad], ["sweep", bad, "--grid", "heal_rate=0.05"]):
        _assert_bad_input(_invoke(*args), str(bad), "not UTF-8", "byte 0xe9 at offset 11 (line 1)")
    csv = tmp_path / "latin1.csv"
    csv.write_bytes(b"study,yi,vi\nM\xfcller,0.1,0.01\nB,0.2,0.02\n")
    _assert_bad_input(_invoke("meta", csv), str(csv), "not UTF-8", "byte 0xfc at offset 13 (line 2)")


def test_bad_file_in_a_subprocess_prints_no_traceback(tmp_path):
    bad = _not_utf8(tmp_path / "latin1.toml")
    done = subprocess.run([sys.executable, "-c", "from painsim.cli import main; main()", "run", str(bad)],
                          capture_output=True, text=True, cwd=tmp_path, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "not UTF-8" in done.stderr and str(bad) in done.stderr


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + SCENARIO.format(name='"bom"', title='"t"', days=28).encode())
    result = _invoke("validate", path)
    assert result.exit_code == 0 and "valid scenario 'bom'" in result.output


@pytest.mark.parametrize("deep", ["a = " + "[" * 3000 + "]" * 3000, "a = " + "{b = " * 3000 + "1" + "}" * 3000])
def test_deeply_nested_toml_exits_2(tmp_path, deep):
    path = tmp_path / "deep.toml"
    path.write_text(deep + "\n")
    for args in (["validate", path], ["trial", path], ["calibrate", path, "--budget", "1"]):
        _assert_bad_input(_invoke(*args), str(path), "too deeply")


def test_oversized_toml_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.toml"
    path.write_text("# padding\n" * (MAX_TOML_BYTES // 10 + 1))
    _assert_bad_input(_invoke("validate", path), str(path), f"{MAX_TOML_BYTES:,} bytes")


# ---------------------------------------------------------------- seeds


@pytest.mark.parametrize("seed", [str(2**63), "-1", str(10**30)])
def test_every_seed_option_names_its_range(tmp_path, seed):
    scenario = _write(tmp_path / "s.toml", SCENARIO, "s")
    spec = _write(tmp_path / "t.toml", TRIAL, "t")
    for args in (["demo"], ["run", scenario], ["natural-history"], ["trial", spec],
                 ["trial", "power", spec, "--n", "4"], ["sensitivity", scenario],
                 ["sweep", scenario, "--grid", "heal_rate=0.05"]):
        _assert_bad_input(_invoke(*args, "--seed", seed), "--seed", "0 to 9223372036854775807", seed)


# ---------------------------------------------------------------- painsim meta


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("method", ["FE", "REML", "ML", "EB", "HE", "SJ", "DL", "PM"])
def test_meta_zero_variance_names_row_and_column(tmp_path, method):
    path = _csv(tmp_path, "study,yi,vi\nA,0.1,0.02\nB,0.3,0\nC,0.2,0.03\n")
    _assert_bad_input(_invoke("meta", path, "--method", method), "column 'vi', row 2", "must be positive")


def test_meta_zero_variance_from_the_columns_names_them(tmp_path):
    path = _csv(tmp_path, "m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,2,1,10\n1,0,10,2,0,10\n")
    _assert_bad_input(_invoke("meta", path, "-m", "MD"), "row 2", "variance is zero", "sd1i", "n2i")


@pytest.mark.parametrize(("text", "fragment"), [
    ("yi,vi\n1e308,0.01\n0.3,0.02\n0.2,0.03\n", "column 'yi', row 1: '1e308' is outside"),
    ("yi,vi\n0.1,0.01\n0.3,1.7e308\n0.2,0.03\n", "column 'vi', row 2: '1.7e308' is outside"),
    ("yi,vi\n0.1,1e-300\n0.3,0.02\n", "column 'vi', row 1"),
    ("yi,vi\n0.1,1e-40\n0.3,0.02\n", "rows 1 and 2: sampling variances"),
    ("m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10.5,2,1,10\n1,1,10,2,1,10\n", "column 'n1i', row 1: a group size must be a "
                                                                    "whole number (got 10.5)"),
    ("m1i,sd1i,n1i,m2i,sd2i,n2i\n1,1,10,2,1,10\n1,1,10,2,1,9.25\n", "column 'n2i', row 2: a group size"),
    ("ai,bi,ci,di\n1,2,3,4\n1,2.5,3,4\n", "column 'bi', row 2: a count must be a whole number (got 2.5)"),
])
def test_meta_out_of_range_and_fractional_values_name_row_and_column(tmp_path, text, fragment):
    measure = "GEN" if text.startswith("yi") else "MD" if text.startswith("m1i") else "OR"
    _assert_bad_input(_invoke("meta", _csv(tmp_path, text), "--measure", measure), fragment)


def test_meta_refuses_a_file_over_the_size_limit_before_reading_it(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w") as handle:
        handle.write("yi,vi\n")
        handle.truncate(MAX_CSV_BYTES + 1)  # sparse: no need to write 10 MB
    _assert_bad_input(_invoke("meta", path), str(path), f"{MAX_CSV_BYTES:,} bytes")


def test_meta_refuses_more_studies_than_the_limit(tmp_path):
    path = _csv(tmp_path, "yi,vi\n" + "0.1,0.01\n" * (MAX_STUDIES + 1))
    _assert_bad_input(_invoke("meta", path), f"more than {MAX_STUDIES:,} studies")
    rows = "".join(f"{k % 7 / 10},{0.01 + k % 5 / 100}\n" for k in range(MAX_STUDIES))
    result = _invoke("meta", _csv(tmp_path, "yi,vi\n" + rows), "--json")
    assert result.exit_code == 0 and json.loads(result.output)["k"] == MAX_STUDIES


def test_meta_forest_plot_has_a_row_limit(tmp_path):
    rows = "".join(f"{k % 7 / 10},{0.01 + k % 5 / 100}\n" for k in range(MAX_FOREST_STUDIES + 1))
    forest = tmp_path / "f.png"
    _assert_bad_input(_invoke("meta", _csv(tmp_path, "yi,vi\n" + rows), "--forest", forest),
                      "--forest", f"({MAX_FOREST_STUDIES:,})")
    assert not forest.exists()


def test_meta_labels_are_text_in_the_table_and_the_plots(tmp_path):
    path = _csv(tmp_path, "study,yi,vi\n[/x],0.1,0.01\n$\\frac{$,0.3,0.02\n[bold]c,0.2,0.03\n")
    result = _invoke("meta", path, "--forest", tmp_path / "f.png", "--funnel", tmp_path / "u.png")
    assert result.exit_code == 0, result.output
    assert "[/x]" in result.output and "[bold]c" in result.output and (tmp_path / "f.png").exists()


# ---------------------------------------------------------------- the safety net


@pytest.fixture
def broken_validate(monkeypatch):
    import painsim.scenario

    def explode(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(painsim.scenario, "parse_scenario", explode)
    monkeypatch.delenv("PAINSIM_DEBUG", raising=False)


def test_an_unexpected_error_is_a_short_internal_error(tmp_path, broken_validate):
    scenario = _write(tmp_path / "s.toml", SCENARIO, "s")
    result = _invoke("validate", scenario)
    assert result.exit_code == 1
    assert "internal error (RuntimeError: boom)" in result.output and "--debug" in result.output
    assert "PAINSIM_DEBUG=1" in result.output and "second line" not in result.output
    assert isinstance(result.exception, SystemExit)  # handled: no traceback reaches the user


def test_debug_shows_the_traceback(tmp_path, broken_validate):
    scenario = _write(tmp_path / "s.toml", SCENARIO, "s")
    for result in (CliRunner().invoke(app, ["--debug", "validate", str(scenario)]),
                   _invoke("validate", scenario, env={"PAINSIM_DEBUG": "1"})):
        assert isinstance(result.exception, RuntimeError) and str(result.exception).startswith("boom")


def test_usage_errors_keep_exit_code_2():
    result = _invoke("run")
    assert result.exit_code == 2 and "internal error" not in result.output
    result = _invoke("no-such-command")
    assert result.exit_code == 2 and "internal error" not in result.output
