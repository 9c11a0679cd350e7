"""The default posterior's targets file and priors (docs/calibration.md, "The default posterior")."""

from importlib import resources

import pytest

from painsim.calibration import load_targets
from painsim.calibration.targets import MODEL_PARAMS
from painsim.care import CareParams
from painsim.engine import ModelParams

DATA = resources.files("painsim").joinpath("data")


@pytest.fixture(scope="module")
def files():
    default, _ = load_targets(str(DATA / "default_posterior_targets.toml"))
    published, _ = load_targets(str(DATA / "targets.toml"))
    return default, published


def test_every_target_scenario_and_trial_is_its_namesake_in_the_published_targets(files):
    default, published = files
    for target in default.targets:
        twin = published.target(target.name)
        mine, theirs = target.model_dump(), twin.model_dump()
        if target.source.kind == "trial":  # one trial of the published size: the only change
            assert target.source.reps == 1, target.name
            mine["source"].pop("reps"), theirs["source"].pop("reps")
        assert mine == theirs, f"{target.name} differs from data/targets.toml"
    for name, scenario in default.scenarios.items():
        assert scenario == published.scenarios[name], name
    for name, trial in default.trials.items():
        assert trial == published.trials[name], name
    assert set(default.holdout) <= set(published.holdout)


def test_the_priors_cover_ten_or_more_model_and_care_parameters_each_with_its_reason(files):
    default, published = files
    assert len(default.parameters) >= 10
    kinds = {"model" if p in MODEL_PARAMS else "care" for p in default.parameters}
    assert kinds == {"model", "care"}
    for name, prior in default.parameters.items():
        assert prior.reason and len(prior.reason) > 20, name
        assert (prior.low, prior.high) == (published.parameters[name].low, published.parameters[name].high), name
        value = getattr(CareParams() if name in CareParams.model_fields else ModelParams(), name)
        assert prior.low <= value <= prior.high, f"{name}: the calibrated default lies outside its prior"


SHIPPED = DATA / "default_posterior.json"


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no default posterior shipped yet")
def test_the_shipped_posterior_is_of_this_model_and_these_targets(files):
    """A model change that moves the model version must remake the shipped posterior
    (python scripts/default_posterior.py): this test fails until it is remade."""
    import json

    import numpy as np

    from painsim.app.posterior import default_posterior_note, shipped_posterior
    from painsim.calibration.model_version import model_version

    default, _ = files
    data = json.loads(SHIPPED.read_text())
    assert data["settings"]["targets_hash"] == default.text_hash, "the targets changed: remake the posterior"
    post = shipped_posterior()
    assert post.model_version == model_version(), "the model changed: python scripts/default_posterior.py"
    assert default_posterior_note() is None
    assert set(post.draws.columns) == set(default.parameters)
    assert np.isclose(post.weights.sum(), 1.0) and post.ess >= 30
    for name, rng in default.parameters.items():  # every draw inside its prior
        assert post.draws[name].between(rng.low, rng.high).all(), name
