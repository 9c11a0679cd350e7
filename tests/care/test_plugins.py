"""Treatments as plug-ins: the registry, the entry-point plug-in under tests/plugins, and bad plug-ins.

The heat-wrap plug-in (tests/plugins/heat_wrap) is installed by .ci/run with
``pip install -e tests/plugins/heat_wrap``; it registers through the ``painsim.care``
entry-point group, as a third-party package would.
"""

import json
from typing import ClassVar

import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, Field
from typer.testing import CliRunner

import painsim as ps
from painsim.care import REGISTRY, CareParams, CarePlan, Effect, Kick, PluginError, Registry, Treatment
from painsim.cli import app
from painsim.engine.params import parameter
from painsim.outcomes.care_outcomes import care_summary
from painsim.scenario import ScenarioError, parse_scenario, scenario_json_schema

INSTALL_HINT = "the test plug-in is not installed: pip install -e tests/plugins/heat_wrap (as .ci/run does)"

HEAT_SCENARIO = """
name = "heat"
n = 300
seed = 5
horizon_days = 60

[population]
chronic_min_days = 90

[arms.no_care]

[arms.heat]
heat_wrap = { schedule = { count = 14, every_days = 1 } }
"""


def test_the_entry_point_plugin_is_registered_beside_the_builtins():
    assert "heat_wrap" in REGISTRY, INSTALL_HINT
    assert not REGISTRY.is_builtin("heat_wrap")
    assert all(REGISTRY.is_builtin(name) for name in ("massage", "sham", "exercise", "education", "sleep_stress"))
    assert {"heat_wrap_decay", "heat_wrap_nociception"} <= set(CareParams.model_fields)
    assert "heat_wrap" in CarePlan.model_fields
    assert REGISTRY.stream("heat_wrap") >= 1_000_000  # never one of painsim's own random streams


def test_a_scenario_uses_the_plugin_and_its_effect_shows_in_the_results():
    assert "heat_wrap" in REGISTRY, INSTALL_HINT
    scenario = parse_scenario(HEAT_SCENARIO)
    cohort = ps.Cohort.build(scenario.population, n=300, seed=5)
    record = ps.Record.summaries()
    none = ps.simulate(cohort, 60, record)
    heat = ps.simulate(cohort, 60, record, care=scenario.arms["heat"])
    pain_none, pain_heat = none.daily()["pain_mean"], heat.daily()["pain_mean"]
    # relief while the wraps are worn (days 0-13), fading within days after the last wrap
    assert (pain_none.iloc[1:14] - pain_heat.iloc[1:14]).mean() > 0.1
    assert abs(pain_none.iloc[40:] - pain_heat.iloc[40:]).mean() < (pain_none.iloc[1:14] - pain_heat.iloc[1:14]).mean()
    summary = care_summary(heat)
    assert (summary["heat_wrap_days"] == 14).all()
    assert np.allclose(summary["cost"], 14 * 4.0)
    assert "exercise_sessions_done" in summary  # columns of built-ins stay as they were


def test_the_cli_validates_runs_and_publishes_the_plugin(tmp_path):
    assert "heat_wrap" in REGISTRY, INSTALL_HINT
    path = tmp_path / "heat.toml"
    path.write_text(HEAT_SCENARIO)
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(path)])
    assert ok.exit_code == 0, ok.output
    schema = runner.invoke(app, ["schema"])
    assert schema.exit_code == 0
    assert "heat_wrap" in json.loads(schema.output)["$defs"]["CarePlan"]["properties"]
    run = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "--json"])
    assert run.exit_code == 0, run.output
    arms = json.loads(run.output[run.output.index("{"):])
    arms = arms.get("arms", arms)
    assert arms["heat"]["cost_mean"] == pytest.approx(56.0)


def test_the_published_schema_and_docs_hold_only_builtin_treatments():
    builtin = json.loads(scenario_json_schema(builtin_only=True))
    assert "heat_wrap" not in builtin["$defs"]["CarePlan"]["properties"]
    assert "HeatWrap" not in builtin["$defs"]
    assert "heat_wrap_decay" not in builtin["$defs"]["CareParams"]["properties"]
    assert "massage" in builtin["$defs"]["CarePlan"]["properties"]


def test_an_unknown_treatment_lists_the_registered_ones():
    with pytest.raises(ScenarioError) as err:
        parse_scenario(HEAT_SCENARIO.replace("heat_wrap = {", "massge = {"))
    message = str(err.value)
    assert "massge" in message and "did you mean 'massage'" in message
    assert "sleep_stress" in message  # the registered treatments are listed


# --- refused at registration ------------------------------------------------------------


class _GoodParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    toy_decay: float = parameter(0.5, "daily decay", "test", ge=0.0, le=1.0)
    toy_gain: float = parameter(0.1, "cut of nociception", "test", ge=0.0, le=1.0)


def _toy(**declarations):
    attrs = {"name": "toy", "label": "Toy", "Params": _GoodParams, "exposure": "impulse", "decay": "toy_decay",
             "effects": (Effect("nociception", "reduce", "toy_gain"),)}
    attrs.update(declarations)
    annotations = {key: ClassVar for key in attrs}
    return type("Toy", (Treatment,), {"__annotations__": annotations, **attrs,
                                      "__module__": __name__})


def test_a_valid_toy_registers():
    registry = Registry()
    registry.register(_toy())
    assert registry.names == ("toy",)


def test_parameters_without_bounds_are_refused():
    class NoUpper(BaseModel):
        toy_decay: float = parameter(0.5, "daily decay", "test", ge=0.0)
        toy_gain: float = parameter(0.1, "cut", "test", ge=0.0, le=1.0)

    with pytest.raises(PluginError, match=r"treatment 'toy': parameter 'toy_decay' needs both bounds"):
        Registry().register(_toy(Params=NoUpper))

    class NoSource(BaseModel):
        toy_decay: float = Field(0.5, ge=0.0, le=1.0, description="decay")
        toy_gain: float = parameter(0.1, "cut", "test", ge=0.0, le=1.0)

    with pytest.raises(PluginError, match=r"parameter 'toy_decay' needs a source"):
        Registry().register(_toy(Params=NoSource))


def test_an_unknown_lever_is_refused_with_the_levers_listed():
    with pytest.raises(PluginError) as err:
        Registry().register(_toy(effects=(Effect("nociceptoin", "reduce", "toy_gain"),)))
    message = str(err.value)
    assert "treatment 'toy'" in message and "effects[0].lever 'nociceptoin'" in message
    assert "did you mean 'nociception'" in message and "guarding_target" in message


@pytest.mark.parametrize(("declarations", "expected"), [
    ({"effects": (Effect("inhibition", "reduce", "toy_gain"),)}, "does not apply to the 'inhibition' lever"),
    ({"effects": (Effect("nociception", "reduce", "no_such_gain"),)}, "names parameter 'no_such_gain'"),
    ({"kicks": (Kick("tissue", "toward_one", "toy_gain"),)}, "kicks[0].state 'tissue' cannot be kicked"),
    ({"kicks": (Kick("activity", "add_capped", "toy_gain"),), "timing": "before_observation"},
     "needs timing 'after_observation'"),
    ({"attendance": "sometimes"}, "attendance 'sometimes' is not allowed"),
    ({"exposure": "impulse", "decay": None}, "needs 'decay'"),
    ({"name": "Toy Two"}, "must be a lower-case identifier"),
    ({"name": "relationship"}, "the name is already taken"),
])
def test_bad_declarations_are_refused_naming_the_field(declarations, expected):
    with pytest.raises(PluginError) as err:
        Registry().register(_toy(**declarations))
    assert expected in str(err.value)


def test_the_global_registry_refuses_late_registration():
    with pytest.raises(PluginError, match="entry-point group"):
        REGISTRY.register(_toy())


def test_composed_plans_and_parameters_pickle_for_worker_processes():
    import pickle

    plan = CarePlan(massage={"schedule": {"count": 3}}, relationship={"alliance": 0.8})
    assert pickle.loads(pickle.dumps(plan)) == plan
    params = CareParams(massage_decay=0.3)
    assert pickle.loads(pickle.dumps(params)) == params
