"""The application layer (painsim.app): each job once, each list of choices from its one declaration."""

import re
from pathlib import Path

import pytest

from painsim import app

BCG = Path(__file__).parent / "evidence" / "data" / "bcg.csv"


def test_each_list_of_choices_is_read_from_its_declaration():
    from typing import get_args

    from painsim.calibration import sensitivity
    from painsim.care import REGISTRY
    from painsim.economics.spec import PERSPECTIVES
    from painsim.economics.utilities import MAPPINGS
    from painsim.engine import LOOP_NAMES
    from painsim.evidence.effect_sizes import MEASURES
    from painsim.evidence.heterogeneity import METHODS
    from painsim.evidence.rma import TESTS
    from painsim.outcomes.care_outcomes import CLASSES
    from painsim.store import EXPORT_FORMATS
    from painsim.trials import pooling, spec

    declared = {"effect_size_measures": MEASURES, "tau2_methods": METHODS, "tests": TESTS,
                "pooling_measures": pooling.MEASURES,
                "follow_up_windows": tuple(pooling.WINDOWS), "missing_data": spec.MISSING,
                "outcomes": tuple(spec.OUTCOMES), "treatments": REGISTRY.names, "loops": LOOP_NAMES,
                "populations": ("acute", "subacute", "chronic", "consulters"), "responder_classes": CLASSES,
                "calibration_methods": ("optimise", "abc-smc"),
                "sensitivity_methods": get_args(sensitivity.Method), "sensitivity_outputs": tuple(sensitivity.OUTPUTS),
                "export_formats": EXPORT_FORMATS, "perspectives": PERSPECTIVES, "utility_mappings": tuple(MAPPINGS)}
    assert {name: app.values(name) for name in app.CHOICE_LISTS} == declared
    assert all(c.label for items in app.choices().values() for c in items)
    assert app.choices_json()["tau2_methods"][0] == {"value": "FE", "label": "fixed (common) effect: no tau^2"}


def test_a_choice_is_matched_case_insensitively_and_a_wrong_one_lists_the_allowed():
    assert app.check_choice("tau2_methods", "reml", "--method") == "REML"
    from painsim.evidence.heterogeneity import METHODS

    allowed = re.escape(", ".join(METHODS))
    with pytest.raises(app.ChoiceError, match=rf"--method must be one of {allowed} \(got 'XX'\)"):
        app.check_choice("tau2_methods", "XX", "--method")
    with pytest.raises(KeyError, match="lists: effect_size_measures"):
        app.values("nope")


def test_the_cli_has_no_copy_of_a_list_of_choices():
    cli = Path(app.__file__).parents[1] / "cli"
    for path in cli.glob("*.py"):
        text = path.read_text()
        assert '"REML", "EB", "PM"' not in text and '"mi", "mixed", "complete_case"' not in text, path


def test_meta_analyse_reads_a_path_or_the_bytes_of_an_upload_the_same():
    by_path = app.meta_analyse(app.read_meta_table(BCG), "RR", "reml", trimfill=True)
    by_bytes = app.meta_analyse(app.read_meta_table(BCG.read_bytes(), max_bytes=100_000), "RR", "REML",
                                trimfill=True)
    assert by_path.fit.to_dict() == by_bytes.fit.to_dict()
    assert by_path.egger is not None and by_path.certainty is not None and by_path.trimfill is not None
    assert [s["study"] for s in by_path.studies()] == list(by_path.effects.labels)
    assert abs(sum(s["weight"] for s in by_path.studies()) - 100) < 1e-9


def test_meta_analyse_says_what_is_wrong():
    with pytest.raises(app.MetaInputError, match="bytes; at most 10 are accepted"):
        app.read_meta_table(BCG.read_bytes(), max_bytes=10)
    with pytest.raises(app.MetaInputError, match="at most 3 studies"):
        app.read_meta_table(BCG, max_studies=3)
    with pytest.raises(app.MetaInputError, match=r"--mods column\(s\) dose not found"):
        app.meta_analyse(app.read_meta_table(BCG), "RR", mods=["dose"])
    with pytest.raises(app.MetaInputError, match=r"--level must be in \[50, 100\)"):
        app.meta_options(level=100)


def test_run_and_store_scenario_stores_once_and_a_cancelled_job_stores_nothing(tmp_path):
    from painsim.store import Store

    scenario, text = app.demo_scenario()
    scenario = scenario.model_copy(update={"horizon_days": 182})
    stages = []
    run = app.run_and_store_scenario(scenario, text, n=30, seed=3, store=tmp_path, source="test",
                                     progress=lambda stage, done, total: stages.append(stage))
    stored = Store(tmp_path).get(run.run_id)
    assert stored.summary == run.summary and stages
    assert stored.metadata["meta"]["n"] == 30 and stored.metadata["meta"]["source"] == "test"

    class CancelledError(Exception):
        pass

    def cancel():
        raise CancelledError

    with pytest.raises(CancelledError):
        app.run_and_store_scenario(scenario, text, n=30, seed=3, store=tmp_path, cancel=cancel)
    assert list(Store(tmp_path).runs()["run_id"]) == [run.run_id]
