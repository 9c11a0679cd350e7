"""Property-based tests: random and mutated scenario files never crash the parser.

Every input either validates or raises ScenarioError with a message that names the source.
"""

import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from painsim.scenario import Scenario, ScenarioError, parse_scenario, scenario_json_schema

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = tomllib.loads((ROOT / "examples" / "massage_question.toml").read_text())

values = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
    st.booleans(), st.lists(st.integers(-5, 400), max_size=5), st.just({}), st.just({"x": 1}),
)


def _paths(tree, prefix=()):
    for key, value in tree.items():
        yield (*prefix, key)
        if isinstance(value, dict):
            yield from _paths(value, (*prefix, key))


PATHS = list(_paths(FLAGSHIP))


def _dump(tree) -> str:
    import json

    def literal(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return "nan" if v != v else ("inf" if v == float("inf") else "-inf" if v == float("-inf") else repr(v))
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {literal(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(literal(x) for x in v) + "]"
        return json.dumps(v)

    return "\n".join(f"{json.dumps(k)} = {literal(v)}" for k, v in tree.items())


def _mutate(tree, path, action, value):
    import copy

    tree = copy.deepcopy(tree)
    node = tree
    for key in path[:-1]:
        node = node[key]
    if action == "delete":
        node.pop(path[-1], None)
    elif action == "rename":
        node[path[-1] + "x"] = node.pop(path[-1])
    else:
        node[path[-1]] = value
    return tree


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), action=st.sampled_from(["delete", "rename", "replace"]), value=values)
def test_mutated_flagship_validates_or_explains(path, action, value):
    text = _dump(_mutate(FLAGSHIP, path, action, value))
    try:
        scenario = parse_scenario(text, source="mutant.toml")
    except ScenarioError as err:
        assert str(err).startswith("mutant.toml")
        assert "Traceback" not in str(err)
    else:
        assert isinstance(scenario, Scenario)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_random_text_validates_or_explains(text):
    try:
        parse_scenario(text, source="random.toml")
    except ScenarioError as err:
        assert str(err).startswith("random.toml")


def test_published_schema_is_current():
    assert (ROOT / "docs" / "scenario.schema.json").read_text().strip() == scenario_json_schema(builtin_only=True)
