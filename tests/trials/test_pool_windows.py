"""painsim trial pool: each trial's primary comparison at its own week, or all in a follow-up window."""

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from painsim import app as painsim_app
from painsim.cli import app
from painsim.trials import VirtualTrial, parse_trial
from painsim.trials.pooling import end_of_care_day, window_week

SPEC = """
name = "{name}"
title = "{name}"
seed = {seed}
[population]
entry = "chronic"
[arms.massage]
n = 14
massage = {{ schedule = {{ count = {count}, every_days = 7 }} }}
[arms.usual_care]
n = 14
usual_care = {{}}
[randomisation]
scheme = "complete"
[visits]
weeks = {weeks}
[outcomes]
primary = {{ outcome = "{outcome}", week = {week}, arm = "massage", comparator = "usual_care" }}
[analysis]
missing = "complete_case"
"""


def _spec(tmp_path: Path, name: str, weeks: list[int], week: int, count: int = 4, seed: int = 1,
          outcome: str = "rmdq") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(SPEC.format(name=name, seed=seed, count=count, weeks=weeks, week=week, outcome=outcome))
    return str(path)


def _pool(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["trial", "pool", *args])
    return result.exit_code, result.stdout, result.stderr


def test_each_trial_contributes_its_primary_comparison_at_its_own_week(tmp_path):
    early = _spec(tmp_path, "early", [4, 8], 4, seed=1)
    late = _spec(tmp_path, "late", [4, 8], 8, seed=2)
    code, out, err = _pool(early, late, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert [(t["study"], t["week"]) for t in result["trials"]] == [("early", 4), ("late", 8)]
    assert result["week"] is None and result["outcome"] == "rmdq"
    code, text, err = _pool(early, late)
    assert code == 0, err
    assert "each trial's primary week" in text
    rows = {line.split("│")[1].strip(): line.split("│")[4].strip() for line in text.splitlines()
            if line.count("│") > 5 and line.split("│")[1].strip() in ("early", "late")}
    assert rows == {"early": "4", "late": "8"}  # the week column of the table


def test_the_numbers_of_each_trial_are_read_at_its_own_week(tmp_path):
    from painsim.trials import pool_trials

    specs = [parse_trial(Path(_spec(tmp_path, f"t{k}", [4, 8], week, seed=k)).read_text()) for k, week in
             ((1, 4), (2, 8))]
    pooled = pool_trials([VirtualTrial.primary(spec, label=spec.name) for spec in specs])
    for row, result in zip(pooled.table.itertuples(), pooled.results, strict=True):
        data = result.data
        seen = data.frame[data.frame[f"observed_{row.week}"]]
        massage = seen.loc[seen.arm == "massage", f"rmdq_{row.week}"]
        assert row.m1i == pytest.approx(massage.mean()) and row.n1i == massage.size
    assert list(pooled.table.week) == [4, 8]


def test_one_week_for_all_still_works(tmp_path):
    code, out, err = _pool(_spec(tmp_path, "a", [4, 8], 4), _spec(tmp_path, "b", [4, 8], 8, seed=2),
                           "--week", "8", "--json")
    assert code == 0, err
    assert [t["week"] for t in json.loads(out)["trials"]] == [8, 8] and json.loads(out)["week"] == 8


def test_window_rules_pick_the_documented_visit(tmp_path):
    four = VirtualTrial.primary(parse_trial(Path(_spec(tmp_path, "four", [2, 4, 8, 26, 40], 2, count=4)).read_text()))
    eight = VirtualTrial.primary(parse_trial(Path(_spec(tmp_path, "eight", [4, 12, 30, 52, 60], 4, count=8))
                                             .read_text()))
    assert end_of_care_day(four) == 21 and end_of_care_day(eight) == 49  # last weekly session
    assert window_week(four, "short") == 4  # the first visit on or after the end of care (week 2 is day 14)
    assert window_week(eight, "short") == 12
    assert window_week(four, "long") == 40 and window_week(eight, "long") == 52  # nearest 12 months
    ties = VirtualTrial.primary(parse_trial(Path(_spec(tmp_path, "ties", [4, 48, 56], 4)).read_text()))
    assert window_week(ties, "long") == 56  # the later on a tie
    late = VirtualTrial.primary(parse_trial(Path(_spec(tmp_path, "late", [2, 20], 2, count=4)).read_text()))
    assert window_week(late, "short") is None and window_week(late, "long") is None


def test_a_window_skips_trials_without_a_visit_there_and_says_so(tmp_path):
    specs = [_spec(tmp_path, "a", [4, 26], 4, seed=1), _spec(tmp_path, "b", [4, 30], 4, seed=2),
             _spec(tmp_path, "short_only", [4, 8], 4, seed=3)]
    code, out, err = _pool(*specs, "--window", "long", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert [(t["study"], t["week"]) for t in result["trials"]] == [("a", 26), ("b", 30)]
    assert result["window"]["name"] == "long" and result["window"]["definition"].startswith("6 months or later")
    assert len(result["skipped"]) == 1 and "short_only.toml: no visit in the long-term window" in result["skipped"][0]
    assert "skipped" in err and "short_only.toml" in err
    code, out, err = _pool(*specs, "--window", "short", "--json")
    assert code == 0, err
    assert [t["week"] for t in json.loads(out)["trials"]] == [4, 4, 4]


def test_no_trial_left_in_the_window_exits_2(tmp_path):
    specs = [_spec(tmp_path, "a", [4, 8], 4), _spec(tmp_path, "b", [2, 8], 2, seed=2)]
    code, out, err = _pool(*specs, "--window", "long")
    assert code == 2 and out == ""
    assert "no trial has a visit in the long-term window" in err and "a.toml" in err and "b.toml" in err


@pytest.mark.parametrize(("extra", "words"), [
    (["--window", "medium"], "--window must be one of short, long (got 'medium')"),
    (["--window", "short", "--week", "4"], "--week and --window cannot be combined"),
])
def test_bad_window_options_exit_2_before_any_trial_runs(tmp_path, extra, words):
    code, _, err = _pool(_spec(tmp_path, "a", [4, 8], 4), _spec(tmp_path, "b", [4, 8], 4), *extra)
    assert code == 2 and words in " ".join(err.split())


def test_different_outcomes_pool_only_as_smd(tmp_path):
    specs = [_spec(tmp_path, "a", [4, 8], 4), _spec(tmp_path, "b", [4, 8], 4, seed=2, outcome="pain")]
    code, _, err = _pool(*specs, "--measure", "MD")
    assert code == 2 and "outcomes differ" in err
    with pytest.raises(painsim_app.AppInputError, match="outcomes differ"):
        painsim_app.pool_virtual_trials([(p, parse_trial(Path(p).read_text())) for p in specs], measure="ADJ")


def test_json_carries_the_certainty_summary_that_painsim_meta_gives(tmp_path):
    specs = [_spec(tmp_path, f"t{k}", [4, 8], 4 + 4 * (k % 2), seed=k, count=2 + k) for k in range(3)]
    code, out, err = _pool(*specs, "--json")
    assert code == 0, err
    pooled = json.loads(out)
    columns = ["study", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"]
    table = tmp_path / "extracted.csv"
    pd.DataFrame(pooled["trials"])[columns].to_csv(table, index=False)
    meta = CliRunner().invoke(app, ["meta", str(table), "--measure", "SMD", "--json"])
    assert meta.exit_code == 0, meta.output
    meta = json.loads(meta.stdout)
    assert pooled["certainty"] == meta["certainty"] and pooled["certainty"]["overall"]
    assert pooled["egger"] == meta["egger"] and pooled["egger"] is not None
    assert pooled["estimate"] == pytest.approx(meta["estimate"], rel=1e-9)
