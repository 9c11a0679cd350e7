"""A diary fit from a posterior: its draws' model and care parameters reach every particle's
simulation (the fit, the resampling and the forecasts), and a bad posterior is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from painsim.app.diary import posterior_diary_draws, run_diary
from painsim.app.errors import AppInputError
from painsim.app.posterior import StoredPosterior
from painsim.calibration.model_version import model_version
from painsim.care import CareParams, CarePlan
from painsim.care.schedule import Schedule
from painsim.care.treatments import Massage
from painsim.cli import app
from painsim.diary.inference import prior_particles
from painsim.engine import ModelParams

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "diary" / "example_diary.csv"
WEEKLY_MASSAGE = CarePlan(massage=Massage(schedule=Schedule(count=6, every_days=7)))


def _posterior(nociception: list[float], version: str | None = "current") -> StoredPosterior:
    n = len(nociception)
    draws = pd.DataFrame({"massage_nociception": nociception, "heal_rate": 0.4 + np.asarray(nociception) / 2})
    return StoredPosterior("toy", "toy", draws, np.full(n, 1 / n), pd.DataFrame(),
                           {"massage_nociception": (0.0, 1.0, False), "heal_rate": (0.2, 0.8, False)}, [],
                           model_version=model_version() if version == "current" else version)


def test_repeated_draws_merge_into_one_weighted_draw():
    models, cares, weights = posterior_diary_draws(_posterior([0.1, 0.1, 0.4, 0.4]), 8, seed=2)
    assert len(models) == 2 and sum(weights) == 8
    assert sorted(c.massage_nociception for c in cares) == [0.1, 0.4]
    assert all(isinstance(m, ModelParams) for m in models)


def test_each_group_keeps_its_care_gains_through_resampling():
    cloud = prior_particles(120, seed=3, params_draws=[ModelParams(), ModelParams()],
                            care_draws=[CareParams(massage_nociception=0.1), CareParams(massage_nociception=0.4)],
                            prior_patients=30)
    cloud.weights = np.r_[np.zeros(60), np.full(60, 1 / 60)]  # only the second draw survives
    cloud.resample(120, np.random.default_rng(0))
    assert len(cloud.groups) == 1 and cloud.care_of(0).massage_nociception == 0.4
    with pytest.raises(ValueError, match="one per parameter draw"):
        prior_particles(10, seed=3, params_draws=[ModelParams()], care_draws=[])


def test_a_posterior_with_stronger_massage_forecasts_more_relief():
    def relief(nociception: float) -> float:
        answer = run_diary(EXAMPLE, particles=400, weeks=6, plans={"massage": WEEKLY_MASSAGE}, seed=5,
                           posterior=_posterior([nociception] * 2), posterior_draws=2)
        assert answer.fit["posterior"] == {"id": "toy", "draws": 2, "distinct": 1}
        return answer.forecasts["massage"].relief_days

    assert relief(0.45) > relief(0.1)


def test_a_posterior_of_another_model_version_is_refused():
    with pytest.raises(AppInputError, match="model version"):
        run_diary(EXAMPLE, particles=200, weeks=4, plans={}, posterior=_posterior([0.2], version="0" * 12))
    with pytest.raises(AppInputError, match="posterior draws"):
        posterior_diary_draws(_posterior([0.2]), 0, seed=1)


def test_cli_reads_the_posterior_and_refuses_a_missing_one(monkeypatch, tmp_path):
    import painsim.app.posterior as posterior_module

    monkeypatch.setattr(posterior_module, "shipped_posterior", lambda: _posterior([0.2, 0.3]))
    ok = CliRunner().invoke(app, ["diary", str(EXAMPLE), "--particles", "200", "--weeks", "4", "--json",
                                  "--posterior", "default", "--posterior-draws", "4"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output)["fit"]["posterior"]["draws"] == 4
    missing = CliRunner().invoke(app, ["diary", str(EXAMPLE), "--posterior", "nosuchrun", "--store",
                                       str(tmp_path / "store")])
    assert missing.exit_code == 2 and "--posterior nosuchrun" in missing.output
    assert "Traceback" not in missing.output
