"""The targets file format, the published targets and readable errors."""

from pathlib import Path

import pytest

from painsim.calibration import TargetsError, load_targets, parse_targets

ROOT = Path(__file__).resolve().parents[2]
TARGETS = ROOT / "data" / "targets.toml"

MINIMAL = """
[fit]
n = 50
[parameters]
heal_rate = { low = 0.05, high = 0.08 }
[scenarios.chronic]
horizon_days = 365
arms.no_care = {}
[[targets]]
name = "recovered"
citation = "Costa et al. 2009, BMJ 339:b3829"
source = { kind = "scenario", scenario = "chronic", arm = "no_care" }
statistic = { name = "recovered_fraction", day = 364 }
value = 0.42
band = [0.25, 0.45]
"""


def test_published_targets_load_with_sources():
    targets, _ = load_targets(TARGETS)
    names = {t.name for t in targets.targets}
    assert {"acute_pain_6w", "pace_median_recovery", "chronic_pain_1y", "chronic_recovered_1y", "recurrence_any_1y",
            "within_person_sd", "suri_flare_share", "cherkin_rmdq_10w", "hayden_exercise_pain", "education_alone_pain",
            "placebo_vs_none_pain", "cft_rmdq_3y", "massage_transient", "massage_non_responders",
            "massage_lasting", "massage_relief_days"} <= names
    cited = " ".join(t.citation for t in targets.targets)
    for source in ("Costa LdCM et al. 2012", "Costa LdCM et al. 2009", "Henschke", "da Silva", "Cherkin", "Williams",
                   "Pagé", "Suri", "Hayden", "Wood", "Strijkers", "Hancock"):
        assert source in cited
    cherkin = targets.target("cherkin_rmdq_10w")
    assert cherkin.source.kind == "trial" and cherkin.source.comparator == "usual_care" and cherkin.source.week == 10
    assert cherkin.statistic.name == "md" and cherkin.band == (-4.0, -1.4)
    assert targets.target("cherkin_rmdq_10w_ci").statistic.name == "ci_halfwidth"


def test_every_band_contains_its_published_value_and_is_explained():
    """Issue 15: every band contains the published value and comes from the source's own
    uncertainty, which each target's note states (a CI, a binomial CI, a scale's resolution)."""
    targets, _ = load_targets(TARGETS)
    assert len(targets.targets) >= 30
    for target in targets.targets:
        low, high = target.band
        assert low <= target.value <= high, target.name
        assert target.citation and target.note, target.name


def test_every_treatment_target_reads_a_virtual_trial_and_a_holdout_set_is_declared():
    targets, _ = load_targets(TARGETS)
    seed = {"massage_transient", "massage_non_responders", "massage_lasting", "massage_relief_days"}
    for target in targets.targets:
        if target.name in seed:
            continue  # the seed question's classes are read from a course of massage in a scenario
        if target.source.kind == "scenario":
            assert targets.scenarios[target.source.scenario].arms[target.source.arm].is_empty, target.name
    assert len(targets.holdout) >= 5
    kinds = {targets.target(name).source.kind for name in targets.holdout}
    assert kinds == {"scenario", "trial"}


def test_the_calibration_trial_has_the_example_trials_design():
    from painsim.trials import load_trial

    targets, _ = load_targets(TARGETS)
    example = load_trial(ROOT / "examples" / "trials" / "cherkin2011.toml")
    design = {"population", "eligibility", "arms", "randomisation", "visits", "follow_up", "model", "care_params"}
    assert targets.trials["cherkin2011"].model_dump(include=design) == example.model_dump(include=design)


def test_packaged_copy_is_identical():
    packaged = ROOT / "src" / "painsim" / "data" / "targets.toml"
    assert packaged.read_text() == TARGETS.read_text()


def test_minimal_file_and_statistic_description():
    targets = parse_targets(MINIMAL)
    assert targets.fit.n == 50
    target = targets.target("recovered")
    assert target.within(0.3) and not target.within(0.5)
    assert target.loss(0.35) < target.loss(0.6)
    assert target.statistic.describe() == "recovered_fraction day 364"


def test_a_scenario_target_averages_its_replicate_cohorts():
    """``reps`` cohorts (seeds fit.seed, fit.seed + 1, ...) are read and averaged; one
    replicate is the cohort of fit.seed as before."""
    from painsim.calibration.fitting import evaluate

    small = MINIMAL.replace("n = 50", "n = 60\nseed = 3").replace("horizon_days = 365", "horizon_days = 91").replace(
        "day = 364", "day = 90")
    three = small.replace('arm = "no_care" }', 'arm = "no_care", reps = 3 }')
    assert parse_targets(three).target("recovered").describe() == "recovered_fraction day 90 (3 cohorts)"
    averaged = evaluate({}, parse_targets(three))["recovered"]
    single = [evaluate({}, parse_targets(small.replace("seed = 3", f"seed = {seed}")))["recovered"]
              for seed in (3, 4, 5)]
    assert averaged == pytest.approx(sum(single) / 3)
    assert evaluate({}, parse_targets(small))["recovered"] == single[0]


@pytest.mark.parametrize(("change", "expected"), [
    (("value = 0.42", "valu = 0.42"), ["targets.0.valu", "unknown key 'valu'", "did you mean 'value'", "allowed:"]),
    (("heal_rate = {", "heal_rat = {"), ["unknown parameter 'heal_rat'", "did you mean 'heal_rate'", "allowed:",
                                         "massage_decay"]),
    (('scenario = "chronic"', 'scenario = "chronik"'), ["targets.0.source.scenario", "unknown scenario 'chronik'",
                                                         "scenarios in this file: chronic"]),
    (('kind = "scenario"', 'kind = "trail"'), ["targets.0.source", "'scenario'"]),
    (("day = 364", "day = 400"), ["targets.0.statistic.day", "outside the horizon"]),
    (('name = "recovered_fraction"', 'name = "recovery"'), ["targets.0.statistic.name", "recovered_fraction"]),
    (("band = [0.25, 0.45]", "band = [0.45, 0.25]"), ["targets.0.band", "low < high"]),
    (('arm = "no_care" }', 'arm = "no_care", reps = 0 }'), ["targets.0.source.scenario.reps",
                                                            "greater than or equal to 1"]),
    (("low = 0.05, high = 0.08", "low = -0.1, high = 0.08"), ["heal_rate", "allowed range [0.0, inf]"]),
])
def test_errors_name_file_field_and_what_is_allowed(tmp_path, change, expected):
    path = tmp_path / "bad.toml"
    path.write_text(MINIMAL.replace(*change))
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    message = str(err.value)
    assert message.startswith(f"{path}:")
    for part in expected:
        assert part in message, message


def test_unreadable_and_invalid_toml(tmp_path):
    with pytest.raises(TargetsError, match="cannot read the targets file"):
        load_targets(tmp_path / "missing.toml")
    (tmp_path / "broken.toml").write_text("[fit\n")
    with pytest.raises(TargetsError, match="not valid TOML"):
        load_targets(tmp_path / "broken.toml")


def test_holdout_names_are_checked():
    targets = parse_targets(MINIMAL)
    with pytest.raises(TargetsError, match=r"unknown target.*nope.*targets: recovered"):
        targets.check_holdout(["nope"])
    with pytest.raises(TargetsError, match="at least one target"):
        targets.check_holdout(["recovered"])


TRIAL_TARGETS = """
[fit]
n = 50
[parameters]
massage_decay = { low = 0.15, high = 0.32 }
[trials.small]
seed = 3
[trials.small.arms.massage]
n = 30
massage = { schedule = { count = 4 } }
[trials.small.arms.usual_care]
n = 30
usual_care = {}
[trials.small.visits]
weeks = [4, 12]
[trials.small.analysis]
missing = "complete_case"
[[targets]]
name = "md_4w"
citation = "a trial"
source = { kind = "trial", trial = "small", week = 4, arm = "massage", comparator = "usual_care", reps = 2 }
statistic = { name = "md" }
value = -2.0
band = [-4.0, 0.0]
[[targets]]
name = "ci_4w"
citation = "a trial"
source = { kind = "trial", trial = "small", week = 4, arm = "massage", comparator = "usual_care", reps = 2 }
statistic = { name = "ci_halfwidth" }
value = 2.0
band = [1.0, 3.0]
"""


@pytest.mark.parametrize(("change", "expected"), [
    (('trial = "small", week', 'trial = "smal", week'), ["targets.0.source.trial", "unknown trial 'smal'",
                                                               "trials in this file: small"]),
    (("week = 4, arm", "week = 5, arm"), ["targets.0.source.week", "no visit at week 5", "visits: 4, 12"]),
    (('comparator = "usual_care", reps = 2 }\nstatistic = { name = "md" }',
      'comparator = "usual", reps = 2 }\nstatistic = { name = "md" }'),
     ["targets.0.source.comparator", "unknown arm 'usual'", "massage, usual_care"]),
    (('statistic = { name = "md" }', 'statistic = { name = "recovered_fraction", day = 10 }'),
     ["targets.0.statistic.name", "md, smd, ci_halfwidth"]),
    (("reps = 2 }\nstatistic = { name = \"md\" }", "reps = 0 }\nstatistic = { name = \"md\" }"),
     ["targets.0.source.trial.reps", "greater than or equal to 1"]),
])
def test_trial_target_errors(change, expected):
    assert change[0] in TRIAL_TARGETS
    with pytest.raises(TargetsError) as err:
        parse_targets(TRIAL_TARGETS.replace(*change, 1))
    for part in expected:
        assert part in str(err.value), str(err.value)


def test_a_scenario_target_cannot_use_a_trial_statistic():
    bad = MINIMAL.replace('statistic = { name = "recovered_fraction", day = 364 }', 'statistic = { name = "md" }')
    with pytest.raises(TargetsError, match=r"targets.0.statistic.name.*statistic of a trial comparison"):
        parse_targets(bad)


def test_trial_targets_equal_the_trials_own_analysis():
    from painsim.calibration import evaluate
    from painsim.trials import analyse, replicate_seed, run_trial

    targets = parse_targets(TRIAL_TARGETS)
    values = evaluate({"massage_decay": 0.23}, targets)
    spec = targets.trials["small"].model_copy(update={"care_params": targets.trials["small"].care_params.model_copy(
        update={"massage_decay": 0.23})})
    rows = [analyse(run_trial(spec, seed=replicate_seed(spec.seed, spec.n_total, rep))).comparisons
            for rep in range(2)]
    mine = [r[(r.outcome == "rmdq") & (r.week == 4) & (r.arm == "massage")].iloc[0] for r in rows]
    assert values["md_4w"] == pytest.approx(sum(r.md for r in mine) / 2, rel=1e-12)
    assert values["ci_4w"] == pytest.approx(sum((r.ci_ub - r.ci_lb) / 2 for r in mine) / 2, rel=1e-12)
    slower = evaluate({"massage_decay": 0.15}, targets)  # relief decays more slowly: a larger benefit
    assert slower["md_4w"] < values["md_4w"]
