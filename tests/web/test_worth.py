"""The "Is it worth it?" page's API: a job through the application layer's analysis, stored;
bounds and a bad perspective refused with 422 before any work."""

from __future__ import annotations

import pytest


def test_worth_job_compares_the_massage_arms_and_is_stored(client, wait_job):
    job = wait_job(client, client.post("/api/worth", json={"n": 50, "psa": 2, "wtp_max": 50000}).json()["id"])
    assert job["status"] == "done", job
    r = job["result"]
    arms = {"no_care", "massage_weekly", "massage_spread", "combined", "alliance_poor", "alliance_good",
            "framing_fix", "framing_manage"}
    assert set(r["arms"]) == arms and {row["strategy"] for row in r["incremental"]} == arms
    assert r["psa"]["draws"] == 2 and r["wtp"] == {"start": 0.0, "stop": 50000.0, "points": 101}
    assert r["figures"]["ce_plane"].startswith("data:image/png;base64,") and r["figures"]["ceac"]
    assert "not medical advice" in r["disclaimer"]
    stored = client.get(f"/api/runs/{r['run_id']}")
    assert stored.status_code == 200


def test_worth_base_case_only_has_no_curves(client, wait_job):
    job = wait_job(client, client.post("/api/worth", json={"n": 50, "psa": 0, "store": False}).json()["id"])
    r = job["result"]
    assert job["status"] == "done" and "psa" not in r and "ceac" not in r["figures"] and r["run_id"] is None


@pytest.mark.parametrize(("body", "field"), [
    ({"n": 10**6}, "n"), ({"psa": 1000}, "psa"), ({"wtp_max": -1}, "wtp_max"),
    ({"perspective": "patient"}, "perspective"), ({"unknown": 1}, "unknown"),
])
def test_worth_bounds_are_422(client, body, field):
    res = client.post("/api/worth", json=body)
    assert res.status_code == 422
    assert field in str(res.json()["detail"])


def test_the_page_reads_its_choices_from_the_api(client):
    choices = client.get("/api/choices").json()
    assert choices["perspectives"]["values"] == ["payer", "societal"]
    assert {"worth_n", "worth_psa", "worth_wtp_max"} <= set(choices)
    html = client.get("/").text
    for name in ("worth_n", "worth_psa", "perspectives", "worth_wtp_max"):
        assert f'data-choices="{name}"' in html
    assert 'href="#/worth"' in html and 'id="page-worth"' in html
