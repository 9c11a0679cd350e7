from pathlib import Path

import pytest

from painsim.trials import TrialSpecError, load_trial, parse_trial

ROOT = Path(__file__).resolve().parents[2]

MINIMAL = """
[arms.massage]
n = 20
massage = { schedule = { count = 4 } }
[arms.usual_care]
n = 20
[visits]
weeks = [4, 8]
"""


def _error(text: str, source: str = "spec.toml") -> str:
    with pytest.raises(TrialSpecError) as err:
        parse_trial(text, source=source)
    return str(err.value)


def test_examples_parse():
    spec = load_trial(ROOT / "examples/trials/cherkin2011.toml")
    assert [a.n for a in spec.arms.values()] == [132, 136, 133]
    assert spec.visits.weeks == (10, 26, 52)
    assert spec.primary() == ("rmdq", 10, "relaxation", "usual_care")
    assert ("relaxation", "structural") in spec.comparison_pairs()
    assert spec.screening_population().chronic_min_days >= 92


def test_defaults_compare_with_usual_care():
    spec = parse_trial(MINIMAL)
    assert spec.comparison_pairs() == [("massage", "usual_care")]
    assert spec.primary() == ("rmdq", 4, "massage", "usual_care")
    assert spec.horizon_days == 56
    assert spec.with_n(7).n_total == 14


def test_unknown_key_names_file_path_line_and_suggestion():
    message = _error(MINIMAL.replace("n = 20\nmassage", "n = 20\nmasage"), source="trial.toml")
    assert message.startswith("trial.toml:")
    assert "arms.massage.masage" in message
    assert "did you mean 'massage'?" in message
    assert "(line 4)" in message


def test_bad_scheme_lists_allowed_values():
    message = _error(MINIMAL + '[randomisation]\nscheme = "minimisation"\n')
    assert "randomisation.scheme" in message
    assert "'simple', 'complete', 'blocks' or 'stratified'" in message
    assert "minimisation" in message


def test_bad_outcome_and_unknown_analysis_key():
    message = _error(MINIMAL + '[outcomes]\nmeasures = ["odi"]\n[analysis]\nmising = "mi"\n')
    assert "outcomes.measures.0" in message and "'rmdq' or 'pain'" in message
    assert "analysis.mising" in message and "did you mean 'missing'?" in message


@pytest.mark.parametrize(("extra", "expected"), [
    ('[analysis]\ncomparisons = [["massage", "placebo"]]\n', "unknown arm 'placebo'; arms: ['massage', 'usual_care']"),
    ('[randomisation]\nscheme = "blocks"\nblock_sizes = [3]\n', "not a multiple of the sum of the arm ratios (2)"),
    ('[randomisation]\nscheme = "stratified"\n', "needs strata"),
    ('[outcomes]\nprimary = { week = 5 }\n', "5 is not a visit week"),
    ('[eligibility]\nmin_pain = 7\nmax_pain = 5\n', "min_pain (7.0) is above max_pain (5.0)"),
])
def test_inconsistent_specs_are_explained(extra, expected):
    assert expected in _error(MINIMAL + extra)


def test_whole_spec_checks_name_their_field():
    message = _error(MINIMAL + '[analysis]\ncomparators = ["placebo"]\n')
    assert "  - analysis.comparators (line 10): unknown arm 'placebo'" in message
    assert parse_trial(MINIMAL.replace("[arms.usual_care]", "[arms.sham]\nn = 5\n[arms.usual_care]")).block_sizes \
        == (3, 6)


def test_visits_arms_and_schedules_are_checked():
    assert "visits" in _error(MINIMAL.replace("[visits]\nweeks = [4, 8]\n", ""))
    assert "strictly increasing" in _error(MINIMAL.replace("weeks = [4, 8]", "weeks = [8, 4]"))
    late = MINIMAL.replace("count = 4", "count = 20")
    assert "arms.massage" in _error(late) and "outside the horizon" in _error(late)
    assert "arms.massage.n" in _error(MINIMAL.replace("n = 20\nmassage", "n = 0\nmassage"))
    assert "at least 2" in _error("[arms.a]\nn = 5\n[visits]\nweeks = [2]\n")


def test_unreadable_and_invalid_toml(tmp_path):
    with pytest.raises(TrialSpecError, match="cannot read the trial spec"):
        load_trial(tmp_path / "missing.toml")
    assert "not valid TOML" in _error("arms = [", source="broken.toml")


def test_the_complete_example_in_docs_parses():
    text = (ROOT / "docs/trials.md").read_text()
    block = text.split("```toml\n", 1)[1].split("```", 1)[0]
    spec = parse_trial(block, source="docs/trials.md")
    assert spec.randomisation.scheme == "stratified"
    assert spec.comparison_pairs() == [("massage", "sham"), ("massage", "usual_care"), ("sham", "usual_care")]
    assert spec.primary() == ("rmdq", 10, "massage", "usual_care")
