import json
from pathlib import Path

from typer.testing import CliRunner

from painsim.cli import app

SPEC = """
name = "cli_trial"
seed = 5
[arms.massage]
n = 20
massage = { schedule = { count = 4 } }
[arms.sham]
n = 20
sham = { schedule = { count = 4 } }
[arms.usual_care]
n = 20
usual_care = {}
[visits]
weeks = [4, 8]
[analysis]
imputations = 3
"""


def _spec(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "trial.toml"
    path.write_text(text)
    return path


def test_trial_json(tmp_path):
    result = CliRunner().invoke(app, ["trial", str(_spec(tmp_path)), "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert len(out["comparisons"]) == 2 * 2 * 2  # outcomes x weeks x (arm, comparator)
    for row in out["comparisons"]:
        assert {"outcome", "week", "arm", "comparator", "md", "ci_lb", "ci_ub", "smd"} <= set(row)
        assert row["ci_lb"] < row["md"] < row["ci_ub"]
        assert row["comparator"] == "usual_care"
    for arm in out["arms"].values():
        assert arm["n_randomised"] == 20
        assert set(arm["n_followed_up"]) == {"4", "8"}
    assert out["flow"]["randomised"] == 60
    assert Path(out["figure"]).exists()
    assert {"rd", "threshold"} <= set(out["responders"][0])


def test_trial_table_output(tmp_path):
    result = CliRunner().invoke(app, ["trial", "run", str(_spec(tmp_path)), "--method", "complete_case",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "CONSORT" in result.output and "Adjusted differences" in result.output


def test_power_json(tmp_path):
    result = CliRunner().invoke(app, ["trial", "power", str(_spec(tmp_path)), "--n", "10:20:10", "--reps", "2",
                                      "--jobs", "1", "--method", "complete_case", "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [row["n"] for row in out["curve"]] == [10, 20]
    assert all(row["reps"] == 2 and 0 <= row["power"] <= 1 for row in out["curve"])
    assert (out["arm"], out["comparator"]) == ("massage", "usual_care")


def test_bad_input_exits_2_with_a_clear_message(tmp_path):
    runner = CliRunner()
    bad = _spec(tmp_path, SPEC.replace('[analysis]', '[randomisation]\nscheme = "coin"\n[analysis]'))
    result = runner.invoke(app, ["trial", str(bad)])
    output = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "trial.toml" in output and "randomisation.scheme" in output
    assert "'simple', 'complete', 'blocks' or 'stratified'" in output
    result = runner.invoke(app, ["trial", "power", str(_spec(tmp_path)), "--n", "100:50"])
    assert result.exit_code == 2 and "START:STOP:STEP" in result.output
    result = runner.invoke(app, ["trial", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "cannot read" in result.output


def test_cherkin_example_runs(tmp_path):
    root = Path(__file__).resolve().parents[2]
    result = CliRunner().invoke(app, ["trial", str(root / "examples/trials/cherkin2011.toml"), "--json",
                                      "--method", "complete_case", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert {a: v["n_randomised"] for a, v in out["arms"].items()} == {"structural": 132, "relaxation": 136,
                                                                     "usual_care": 133}
    assert len(out["comparisons"]) == 2 * 3 * 3
    assert (tmp_path / "cherkin2011_by_visit.png").exists()


def _two_specs(tmp_path: Path) -> list[str]:
    paths = []
    for k, count in enumerate((8, 2)):
        path = tmp_path / f"pool_{k}.toml"
        path.write_text(SPEC.replace('name = "cli_trial"', f'name = "pool_{k}"\ntitle = "trial {k}"')
                        .replace("seed = 5", f"seed = {5 + k}").replace("count = 4 } }\n[arms.sham]",
                                                                          f"count = {count} }} }}\n[arms.sham]"))
        paths.append(str(path))
    return paths


def test_trial_pool_json_pools_the_primary_comparisons(tmp_path):
    forest = tmp_path / "pool.png"
    result = CliRunner().invoke(app, ["trial", "pool", *_two_specs(tmp_path), "--json", "--forest", str(forest)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["k"] == 2 and out["measure"] == "SMD" and out["method"] == "REML"
    assert out["outcome"] == "rmdq" and out["week"] == 4
    assert [t["study"] for t in out["trials"]] == ["trial 0", "trial 1"]
    assert all(t["arm"] == "massage" and t["comparator"] == "usual_care" for t in out["trials"])  # the default primary
    assert out["ci_lb"] < out["estimate"] < out["ci_ub"]
    assert forest.stat().st_size > 10_000


def test_trial_pool_bad_input_exits_2(tmp_path):
    specs = _two_specs(tmp_path)
    runner = CliRunner()
    for args, words in ((["trial", "pool", specs[0]], "at least two"),
                        (["trial", "pool", *specs, "--measure", "OR"], "--measure must be one of SMD, MD, ADJ"),
                        (["trial", "pool", *specs, "--week", "6"], "no visit at week 6"),
                        (["trial", "pool", specs[0], str(tmp_path / "missing.toml")], "cannot read")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output, result.output


def test_power_resumes_from_its_results_folder(tmp_path):
    args = ["trial", "power", str(_spec(tmp_path)), "--n", "10:20:10", "--reps", "12", "--jobs", "1",
            "--method", "complete_case", "--json", "--out", str(tmp_path), "--store", str(tmp_path / "store")]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    folder = Path(json.loads(first.output)["results"])
    assert folder.is_relative_to(tmp_path / "store" / "sweeps")
    parts = sorted(folder.glob("*.parquet"))
    assert len(parts) == 4  # 2 n x (10 + 2 replicates), in batches of 10
    kept = {p.name: p.stat().st_mtime_ns for p in parts[1:]}
    parts[0].unlink()  # as if the run had been killed before this batch finished
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0, second.output
    assert json.loads(second.output)["curve"] == json.loads(first.output)["curve"]
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.parquet") if p.name in kept} == kept
    assert len(list(folder.glob("*.parquet"))) == 4
