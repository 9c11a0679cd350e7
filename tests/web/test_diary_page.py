"""The page "A client's diary": upload, the job's answer, bad uploads, nothing stored unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest

import painsim

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "diary" / "example_diary.csv"


def test_a_diary_upload_runs_as_a_job_and_stores_nothing(client, store_dir, wait_job):
    res = client.post("/api/diary", files={"file": ("mine.csv", EXAMPLE.read_bytes(), "text/csv")},
                      data={"weeks": "6", "particles": "1000"})
    assert res.status_code == 202, res.text
    job = wait_job(client, res.json()["id"])
    assert job["status"] == "done", job
    answer = job["result"]
    assert answer["disclaimer"] == "painsim is a research model, not medical advice."
    assert answer["run_id"] is None and answer["diary"]["name"] == "mine.csv"
    assert {"no_care", "current", "massage_weekly"} <= set(answer["forecasts"])
    assert len(answer["forecasts"]["no_care"]["fan"]["p50"]) == 6
    assert client.get("/api/runs").json() == []


def test_a_kept_fit_is_a_run_with_a_report(client, wait_job):
    res = client.post("/api/diary", files={"file": ("mine.csv", EXAMPLE.read_bytes(), "text/csv")},
                      data={"weeks": "4", "particles": "1000", "keep": "true"})
    job = wait_job(client, res.json()["id"])
    run_id = job["result"]["run_id"]
    assert run_id and [r["run_id"] for r in client.get("/api/runs").json()] == [run_id]
    report = client.get(f"/api/runs/{run_id}/report")
    assert report.status_code == 200 and "A client" in report.text and "not medical advice" in report.text


@pytest.mark.parametrize(("content", "data", "status", "words"), [
    (b"date,pain\n2026-01-01,5\n", {}, 422, "at least 7"),
    (b"date,pain\n" + b"".join(b"2026-01-%02d,11\n" % d for d in range(1, 9)), {}, 422, "row 2, column 'pain'"),
    (b"date,pain\n" + b"".join(b"2099-01-%02d,5\n" % d for d in range(1, 9)), {}, 422, "in the future"),
    (b"date,pain\n" + b"2026-01-01,5\n" * 30_000, {}, 413, "upload too large"),
    (EXAMPLE.read_bytes(), {"particles": "300"}, 422, "particles must be one of"),
    (EXAMPLE.read_bytes(), {"weeks": "40"}, 422, "weeks"),
])
def test_bad_uploads_are_4xx_and_start_no_job(client, content, data, status, words):
    res = client.post("/api/diary", files={"file": ("d.csv", content, "text/csv")}, data=data)
    assert res.status_code == status, res.text
    assert words in res.text
    assert client.get("/api/jobs").json() == []


def test_the_particles_choice_is_served(client):
    from painsim.web.diary import DEFAULT_PARTICLES, PARTICLES

    served = client.get("/api/choices").json()["diary_particles"]
    assert served["values"] == list(PARTICLES) and served["default"] == DEFAULT_PARTICLES



def _toy_posterior(version: str | None = None):
    import numpy as np
    import pandas as pd

    from painsim.app.posterior import StoredPosterior
    from painsim.calibration.model_version import model_version

    return StoredPosterior("default", "toy", pd.DataFrame({"massage_nociception": [0.2, 0.3]}), np.array([0.5, 0.5]),
                           pd.DataFrame(), {"massage_nociception": (0.1, 0.45, False)}, [],
                           model_version=version or model_version())


def test_the_posterior_choice_is_served_and_checked_before_a_job(client, monkeypatch):
    import painsim.app.posterior as posterior_module

    assert client.get("/api/choices").json()["diary_draws"]["values"] == [0, 20]
    bad = client.post("/api/diary", files={"file": ("mine.csv", EXAMPLE.read_bytes(), "text/csv")},
                      data={"draws": "7"})
    assert bad.status_code == 422 and "draws must be one of" in bad.text
    monkeypatch.setattr(posterior_module, "shipped_posterior", lambda: _toy_posterior("0" * 12))
    refused = client.post("/api/diary", files={"file": ("mine.csv", EXAMPLE.read_bytes(), "text/csv")},
                          data={"draws": "20"})
    assert refused.status_code == 422 and "model version" in refused.text
    assert client.get("/api/jobs").json() == []


@pytest.mark.skipif(not (Path(painsim.__file__).parent / "data/default_posterior.json").exists(),
                    reason="no default posterior shipped yet (tests/calibration/test_default_posterior.py)")
def test_the_default_posterior_carries_parameter_uncertainty_into_the_fit(client, wait_job):
    res = client.post("/api/diary", files={"file": ("mine.csv", EXAMPLE.read_bytes(), "text/csv")},
                      data={"weeks": "4", "particles": "1000", "draws": "20"})
    assert res.status_code == 202, res.text
    job = wait_job(client, res.json()["id"])
    assert job["status"] == "done", job
    posterior = job["result"]["fit"]["posterior"]
    assert posterior["id"] == "default" and posterior["draws"] == 20 and 1 <= posterior["distinct"] <= 20
