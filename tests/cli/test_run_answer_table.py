"""The answer table of `painsim run`: every cell from its own field of the summary. An arm
without care shows 0 visits and $0 (not "-"), and an arm whose care has no visits
(exercise, sleep and stress care) shows its cost: only the responder classes need visits."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from painsim.cli import app

SCENARIO = """name = "care"
n = 20
seed = 3
horizon_days = 120
[population]
entry = "acute"
[arms.no_care]
[arms.exercise_only]
exercise = { weeks = 4, sessions_per_week = 2, supervised = true, adherence = 0.7 }
[arms.massage]
massage = { schedule = { count = 3, every_days = 7 } }
"""
COLUMNS = ["arm", "pain d0", "pain d70", "non-resp", "transient", "lasting", "relief days", "visits", "cost $",
           "$/relief-day"]


def rows(output: str) -> dict[str, dict[str, str]]:
    table = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) == len(COLUMNS) and cells[0] in ("no_care", "exercise_only", "massage"):
            table[cells[0]] = dict(zip(COLUMNS, cells, strict=True))
    return table


def test_arms_without_visits_show_their_sessions_and_cost(tmp_path, monkeypatch):
    (tmp_path / "s.toml").write_text(SCENARIO)
    argv = ["run", str(tmp_path / "s.toml"), "--store", str(tmp_path / "store"), "--out", str(tmp_path / "out")]
    monkeypatch.setenv("COLUMNS", "200")
    shown = CliRunner().invoke(app, argv)
    assert shown.exit_code == 0, shown.output
    summary = json.loads(CliRunner().invoke(app, [*argv, "--json"]).stdout)["arms"]
    table = rows(shown.output)
    assert set(table) == {"no_care", "exercise_only", "massage"}, shown.output
    no_care, exercise, massage = table["no_care"], table["exercise_only"], table["massage"]
    assert "cost_mean" not in summary["no_care"]  # no care at all: nothing attended, nothing paid
    assert (no_care["visits"], no_care["cost $"]) == ("0.0", "0")
    assert no_care["non-resp"] == no_care["relief days"] == no_care["$/relief-day"] == "-"
    assert "responder_classes" not in summary["exercise_only"] and summary["exercise_only"]["cost_mean"] > 0
    assert exercise["cost $"] == f"{summary['exercise_only']['cost_mean']:,.0f}"
    assert exercise["visits"] == f"{summary['exercise_only']['sessions_attended_mean']:.1f}"
    assert exercise["relief days"] == f"{summary['exercise_only']['relief_days_median']:.0f}"
    assert exercise["non-resp"] == "-"  # responder classes need visits
    classes = summary["massage"]["responder_classes"]
    assert massage["non-resp"] == f"{classes['non_responder']:.0%}"
    assert massage["cost $"] == f"{summary['massage']['cost_mean']:,.0f}"
