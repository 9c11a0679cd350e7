"""``painsim diary``: the answer with its disclaimer, and bad input as exit 2 with no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from painsim.cli import app

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "diary" / "example_diary.csv"
runner = CliRunner()


def test_the_example_diary_gives_every_plan_and_the_disclaimer(tmp_path):
    plan = tmp_path / "weekly_exercise.toml"
    plan.write_text('exercise = { weeks = 8, sessions_per_week = 2 }\n')
    result = runner.invoke(app, ["diary", str(EXAMPLE), "--particles", "300", "--weeks", "6", "--json",
                                 "--plan", str(plan)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["disclaimer"] == "painsim is a research model, not medical advice."
    forecasts = answer["forecasts"]
    assert {"no_care", "current", "massage_weekly", "massage_spread", "combined",
            "file:weekly_exercise"} <= set(forecasts)
    assert forecasts["current"]["sessions"] > 0  # the diary's weekly massage goes on
    assert len(forecasts["no_care"]["fan"]["p50"]) == 6
    assert answer["fit"]["particles"] == 300 and 0 < answer["fit"]["min_ess"] <= 300
    assert len(answer["loops"]) == 5 and len(answer["traits"]) == 11


def test_the_table_ends_with_the_disclaimer():
    result = runner.invoke(app, ["diary", str(EXAMPLE), "--particles", "200", "--weeks", "4"])
    assert result.exit_code == 0, result.output
    assert "which loops hold the pain up" in result.output
    assert result.output.strip().endswith("painsim is a research model, not medical advice.")


@pytest.mark.parametrize(("text", "args", "expected"), [
    ("date,pain\n2026-01-01,5\n2026-01-02,5\n", [], "2 pain rating(s); at least 7"),
    ("date,pain\n" + "".join(f"2026-01-{d:02d},\n" for d in range(1, 9)), [], "no rating"),
    ("date,pain\n" + "".join(f"2099-01-{d:02d},5\n" for d in range(1, 9)), [], "is in the future"),
    ("date,pain\n2026-01-02,5\n2026-01-01,5\n", [], "must be in order"),
    ("date,pain\n2026-01-01,12\n", [], "12 is out of range"),
    ("date,pain\n" + "".join(f"2026-01-{d:02d},5\n" for d in range(1, 9)), ["--weeks", "30"], "4 to 26 weeks"),
    ("date,pain\n" + "".join(f"2026-01-{d:02d},5\n" for d in range(1, 9)), ["--particles", "5"], "100 to 100,000"),
])
def test_bad_input_is_exit_2_with_a_clear_message(tmp_path, text, args, expected):
    diary = tmp_path / "bad.csv"
    diary.write_text(text)
    result = runner.invoke(app, ["diary", str(diary), *args])
    assert result.exit_code == 2, result.output
    assert expected in " ".join(result.output.split()) and "Traceback" not in result.output


def test_a_large_file_and_a_bad_plan_are_exit_2(tmp_path):
    big = tmp_path / "big.csv"
    big.write_text("date,pain\n" + "2026-01-01,5\n" * 20_000)
    result = runner.invoke(app, ["diary", str(big)])
    assert result.exit_code == 2 and "larger than the limit" in result.output
    plan = tmp_path / "plan.toml"
    plan.write_text("massage = { shedule = { count = 3 } }\n")
    result = runner.invoke(app, ["diary", str(EXAMPLE), "--plan", str(plan)])
    assert result.exit_code == 2 and "plan.toml" in result.output and "Traceback" not in result.output


def test_nothing_is_stored_unless_asked_and_a_kept_fit_has_a_report(tmp_path):
    from painsim.store import Store

    store = tmp_path / "store"
    result = runner.invoke(app, ["diary", str(EXAMPLE), "--particles", "200", "--weeks", "4", "--store", str(store)])
    assert result.exit_code == 0 and (not store.exists() or Store(store).runs().empty)
    result = runner.invoke(app, ["diary", str(EXAMPLE), "--particles", "200", "--weeks", "4", "--keep", "--json",
                                 "--store", str(store)])
    assert result.exit_code == 0, result.output
    run_id = json.loads(result.output)["run_id"]
    report = tmp_path / "r.html"
    result = runner.invoke(app, ["report", run_id, "--store", str(store), "--out", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text()
    assert "A client&#x27;s diary" in html or "A client's diary" in html
    assert "painsim is a research model, not medical advice." in html and "massage_weekly" in html
    assert html.count("data:image/png;base64") == 1
