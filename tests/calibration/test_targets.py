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
    assert {"acute_pain_6w", "acute_recovered_1y", "chronic_recovered_1y", "chronic_recurrence",
            "cherkin_rmdq_10w", "cherkin_rmdq_52w", "massage_transient", "massage_non_responders",
            "massage_lasting", "massage_relief_days"} <= names
    for target in targets.targets:
        assert target.citation and target.band[0] < target.band[1]
    cited = " ".join(t.citation for t in targets.targets)
    for source in ("Costa LdCM et al. 2012", "Costa LdCM et al. 2009", "Henschke", "da Silva", "Cherkin"):
        assert source in cited
    cherkin = targets.target("cherkin_rmdq_10w")
    assert cherkin.source.contrast == "usual_care" and cherkin.statistic.day == 70
    assert cherkin.band == (-4.0, -1.4)


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
