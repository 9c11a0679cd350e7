"""Error messages point at the line that sets the field: arrays of tables by their index,
inline tables by their keys, a field that is not written by its nearest enclosing one."""

from pathlib import Path

import pytest

from painsim.calibration.targets import TargetsError, load_targets
from painsim.tomlfiles import key_lines, line_of

TARGETS = Path(__file__).resolve().parents[1] / "data" / "targets.toml"

DOC = """horizon_days = 30
[population]
correlations = { "catastrophizing~self_efficacy" = -0.4 }
consulter_durations = [{min_days = 1, max_days = 2, share = 1}]
[arms.massage]
massage = { schedule = { count = 10, every_days = 7 }, dose = 2 }  # a comment = not a key
[[targets]]
name = "a"
source = { kind = "scenario", reps = 4 }
[[targets]]
name = "b"
source = { kind = "scenario", reps = 0 }
[targets.statistic]
name = "mean"
[model]
a.b = 3
"""


@pytest.mark.parametrize(("loc", "line"), [
    (["horizon_days"], 1),
    (["population", "correlations", "catastrophizing~self_efficacy"], 3),
    (["population", "consulter_durations", "0", "share"], 4),  # an inline array's element: its key's line
    (["arms", "massage", "massage", "schedule", "every_days"], 6),
    (["arms", "massage", "massage", "dose"], 6),
    (["targets", "0", "source", "reps"], 9),
    (["targets", "1", "source", "reps"], 12),  # the second [[targets]], not the first "reps ="
    (["targets", "1", "statistic", "name"], 14),
    (["targets", "1", "statistic", "day"], 13),  # not written: its table's header
    (["model", "a", "b"], 16),
    (["arms", "massage", "function-after[check]", "massage"], 6),  # a validator's tag is passed over
])
def test_a_field_is_found_on_its_own_line(loc, line):
    assert line_of(DOC, loc) == f" (line {line})"


def test_what_is_not_in_the_file_has_no_line():
    assert line_of(DOC, ["nothing", "here"]) == ""
    assert "comment" not in {k[-1] for k in key_lines(DOC)}


def test_each_bad_target_of_a_targets_file_names_its_own_line(tmp_path):
    good, _ = load_targets(TARGETS)
    text = TARGETS.read_text(encoding="utf-8").replace("reps = 4 }", "reps = 0 }")
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    kongsted = [k for k, t in enumerate(good.targets) if t.name.startswith("kongsted")]
    lines = {int(part.split(")")[0]) for part in str(err.value).split("(line ")[1:]}
    expected = {number for number, row in enumerate(text.splitlines(), start=1) if "reps = 0 }" in row}
    assert len(kongsted) == 5 and lines == expected and len(expected) == 5
