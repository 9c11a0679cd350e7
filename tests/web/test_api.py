"""API tests of the web app (FastAPI TestClient): jobs, validation, cancellation, store safety."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest

import painsim
from painsim.web.jobs import JobManager

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "evidence"


def test_health_openapi_and_front_end(client):
    assert client.get("/api/health").json()["status"] == "ok"
    schema = client.get("/openapi.json").json()
    for path in ("/api/patient", "/api/massage", "/api/trial", "/api/evidence", "/api/jobs/{job_id}",
                 "/api/jobs/{job_id}/cancel", "/api/runs", "/api/runs/{run_id}"):
        assert path in schema["paths"], path
    page = client.get("/")
    assert page.status_code == 200 and "research model, not medical advice" in page.text
    assert client.get("/static/app.js").status_code == 200
    docs = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
    assert assets and all(a.startswith("/") for a in assets)  # shipped with painsim, no CDN
    assert all(client.get(a).status_code == 200 for a in assets)
    diagram = client.get("/api/diagram").json()
    assert {loop["name"] for loop in diagram["loops"]} >= {"wind_up", "sleep", "fear_avoidance", "strain", "guarding"}


def test_patient_job_gives_fan_chart_loops_and_responder_odds(client, wait_job):
    job = client.post("/api/patient", json={"twins": 40, "horizon_days": 365,
                                            "profile": {"catastrophizing": 0.9}}).json()
    job = wait_job(client, job["id"])
    assert job["status"] == "done", job
    r = job["result"]
    weeks = len(r["weeks"])
    assert weeks == 53 and all(len(r["fan"][q]) == weeks for q in ("p5", "p50", "p95"))
    assert all(lo <= mid <= hi for lo, mid, hi in zip(r["fan"]["p10"], r["fan"]["p50"], r["fan"]["p90"], strict=True))
    assert [lp["name"] for lp in r["loops"]] == ["wind_up", "sleep", "fear_avoidance", "strain", "guarding"]
    assert set(r["strongest_loops"]) <= {lp["name"] for lp in r["loops"]}
    assert pytest.approx(sum(c["share"] for c in r["responder_classes"].values()), abs=1e-6) == 1.0


def test_patient_without_massage_has_no_responder_classes(client, wait_job):
    body = {"twins": 20, "horizon_days": 90, "plan": {"exercise": {"weeks": 4}}}
    r = wait_job(client, client.post("/api/patient", json=body).json()["id"])["result"]
    assert r["responder_classes"] is None and "massage" in r["responder_note"]


@pytest.mark.parametrize("body, where", [
    ({"twins": 5}, "twins"),
    ({"twins": 10**7}, "twins"),
    ({"horizon_days": 5000}, "horizon_days"),
    ({"profile": {"catastrophizing": 1.5}}, "catastrophizing"),
    ({"profile": {"unknown_trait": 0.5}}, "unknown_trait"),
    ({"plan": {"relationship": {"framing": "cure"}}}, "framing"),
    ({"plan": {"massage": {"schedule": {"count": -1}}}}, "count"),
    ({"plan": {"acupuncture": {}}}, "acupuncture"),
    ({"plan": {"massage": {}, "sham": {}}}, "one kind of visit"),
    ({"plan": {"massage": {"schedule": {"days": [10**30]}}}}, "horizon"),
])
def test_patient_bounds_are_422(client, body, where):
    res = client.post("/api/patient", json=body)
    assert res.status_code == 422
    assert where in res.text


def test_plan_longer_than_horizon_is_422(client):
    res = client.post("/api/patient", json={"horizon_days": 60, "plan": {"massage": {"schedule": {"count": 20}}}})
    assert res.status_code == 422 and "horizon" in res.json()["detail"] and "plan.massage" in res.json()["detail"]


def _small_spec(n: int = 20, imputations: int = 5) -> str:
    from painsim.web.trials import DEFAULT_SPEC

    return DEFAULT_SPEC.replace("n = 40", f"n = {n}").replace("imputations = 10", f"imputations = {imputations}")


def test_default_trial_spec_is_cherkin2011_with_small_arms(client):
    from painsim.trials import load_trial, parse_trial

    body = client.get("/api/trial/default").json()
    small, full = parse_trial(body["spec"]), load_trial(EXAMPLES.parent / "trials" / "cherkin2011.toml")
    assert [a.n for a in small.arms.values()] == [40, 40, 40] and body["bounds"]["n_per_arm"] == 500
    assert {k: a.plan() for k, a in small.arms.items()} == {k: a.plan() for k, a in full.arms.items()}
    for part in ("eligibility", "visits", "outcomes", "follow_up", "randomisation", "population", "model"):
        assert getattr(small, part) == getattr(full, part), part
    assert small.comparison_pairs() == full.comparison_pairs() and small.primary() == full.primary()


def test_trial_job_is_painsim_trials(client, wait_job):
    from painsim.trials import analyse, parse_trial, run_trial

    text = _small_spec()
    job = wait_job(client, client.post("/api/trial", json={"spec": text}).json()["id"])
    assert job["status"] == "done", job
    r = job["result"]
    flow = r["flow"]
    assert flow["randomised"] == 60 and flow["screened"] == flow["excluded"] + flow["eligible"]
    assert set(r["arms"]) == {"structural", "relaxation", "usual_care"} and r["weeks"] == [10, 26, 52]
    assert all(set(a["n_followed_up"]) == {"10", "26", "52"} and a["n_randomised"] == 20 for a in r["arms"].values())
    assert len(r["comparisons"]) == 3 * 3 * 2  # pairs x visits x outcomes
    c = r["primary"]["comparison"]
    assert (c["outcome"], c["week"], c["arm"], c["comparator"]) == ("rmdq", 10, "relaxation", "usual_care")
    assert c["ci_lb"] < c["md"] < c["ci_ub"] and 0 <= c["p"] <= 1 and c["smd"] is not None
    assert r["figure_png"].startswith("data:image/png;base64,")
    assert {m["week"] for m in r["means"]} == {0, 10, 26, 52}
    # the same numbers as painsim.trials (and `painsim trial --json`) on the same spec
    expected = analyse(run_trial(parse_trial(text))).to_json()
    assert r["flow"] == expected["flow"]
    assert [x["md"] for x in r["comparisons"]] == pytest.approx([x["md"] for x in expected["comparisons"]])


def test_trial_method_override(client, wait_job):
    body = {"spec": _small_spec(), "method": "complete_case"}
    job = wait_job(client, client.post("/api/trial", json=body).json()["id"])
    assert job["status"] == "done" and job["result"]["method"] == "complete_case"
    assert isinstance(job["result"]["arms"]["usual_care"]["n_analysed"], dict)


@pytest.mark.skipif(not (Path(painsim.__file__).parent / "data/default_posterior.json").exists(),
                    reason="no default posterior shipped yet (tests/calibration/test_default_posterior.py)")
def test_trial_power_job_with_assurance_gives_both_curves(client, wait_job):
    body = {"spec": _small_spec(), "n_min": 10, "n_max": 20, "n_step": 10, "reps": 3, "assurance": True}
    job = wait_job(client, client.post("/api/trial/power", json=body).json()["id"])
    assert job["status"] == "done", job
    r = job["result"]
    assert r["posterior"] == "default" and [q["n"] for q in r["curve"]] == [10, 20]
    for q in r["curve"]:
        assert q["draws"] == 3 and q["power_reps"] == 3
        assert q["assurance_lb"] <= q["assurance"] <= q["assurance_ub"] and 0 <= q["power"] <= 1


def test_trial_power_job_uses_power_curve(client, wait_job):
    from painsim.trials import parse_trial, power_curve

    text = _small_spec()
    body = {"spec": text, "n_min": 10, "n_max": 20, "n_step": 10, "reps": 3}
    job = wait_job(client, client.post("/api/trial/power", json=body).json()["id"])
    assert job["status"] == "done", job
    r = job["result"]
    assert (r["outcome"], r["week"], r["arm"], r["comparator"], r["method"]) == \
        ("rmdq", 10, "relaxation", "usual_care", "complete_case")
    assert [q["n"] for q in r["curve"]] == [10, 20] and all(q["reps"] == 3 for q in r["curve"])
    assert all(q["power_lb"] <= q["power"] <= q["power_ub"] for q in r["curve"])
    curve, _ = power_curve(parse_trial(text), [10, 20], reps=3)
    assert [q["power"] for q in r["curve"]] == curve["power"].tolist()


@pytest.mark.parametrize("edit, words", [
    (lambda t: "[visits\n", "not valid TOML"),
    (lambda t: t.replace("weeks = [10, 26, 52]", "weeks = [26, 10]"), "visits.weeks"),
    (lambda t: t.replace('scheme = "complete"', 'scheme = "coin"'), "randomisation.scheme"),
    (lambda t: t + "\nnonsense = 1\n", "nonsense"),
    (lambda t: t.replace('comparator = "usual_care" }', 'comparator = "placebo" }'), "unknown arm 'placebo'"),
])
def test_trial_spec_errors_are_422_with_the_message(client, edit, words):
    res = client.post("/api/trial", json={"spec": edit(_small_spec())})
    assert res.status_code == 422, res.text
    detail = res.json()["detail"]
    assert isinstance(detail, str) and words in detail and detail.startswith("trial spec")
    power = client.post("/api/trial/power", json={"spec": edit(_small_spec())})
    assert power.status_code == 422 and words in power.json()["detail"]


@pytest.mark.parametrize("edit, words", [
    (lambda t: t.replace("n = 20", "n = 900", 1), "n per arm at most 500"),
    (lambda t: t.replace("n = 20", "n = 400") + '[arms.extra]\nn = 400\n', "1600 participants in all; at most 1500"),
    (lambda t: t.replace("weeks = [10, 26, 52]", "weeks = [10, 26, 156]"), "at most week 104"),
    (lambda t: t.replace("imputations = 5", "imputations = 200"), "imputations"),
])
def test_trial_bounds_are_422(client, edit, words):
    res = client.post("/api/trial", json={"spec": edit(_small_spec())})
    assert res.status_code == 422 and words in res.json()["detail"], res.text


@pytest.mark.parametrize("body, words", [
    ({"spec": ""}, "spec"),
    ({"spec": "x" * 50_001}, "spec"),
    ({"nonsense": 1}, "nonsense"),
    ({"seed": -1}, "seed"),
    ({"method": "lvcf"}, "method"),
])
def test_trial_request_bounds_are_422(client, body, words):
    res = client.post("/api/trial", json={"spec": _small_spec(), **body})
    assert res.status_code == 422 and words in res.text


@pytest.mark.parametrize("body, words", [
    ({"n_min": 50, "n_max": 20}, "below n_min"),
    ({"n_min": 10, "n_max": 300, "n_step": 5}, "at most 10"),
    ({"n_min": 20, "n_max": 200, "n_step": 20, "reps": 200}, "at most 1,000"),
    ({"reps": 0}, "reps"),
    ({"reps": 10**6}, "reps"),
    ({"n_max": 5000}, "n_max"),
    ({"n_min": 1}, "n_min"),
])
def test_power_bounds_are_422(client, body, words):
    res = client.post("/api/trial/power", json={"spec": _small_spec(), **body})
    assert res.status_code == 422 and words in res.text, res.text


def test_trial_job_can_be_cancelled(client, wait_job):
    job = client.post("/api/trial", json={"spec": _small_spec(n=400)}).json()
    client.post(f"/api/jobs/{job['id']}/cancel")
    job = wait_job(client, job["id"])
    assert job["status"] == "cancelled" and job["result"] is None


def test_massage_job_is_stored_and_downloadable(client, wait_job):
    job = wait_job(client, client.post("/api/massage", json={"n": 50, "horizon_days": 365}).json()["id"])
    assert job["status"] == "done", job
    r = job["result"]
    assert set(r["arms"]) == {"no_care", "massage_weekly", "massage_spread", "combined", "alliance_poor",
                              "alliance_good", "framing_fix", "framing_manage"}
    run_id = r["run_id"]
    runs = client.get("/api/runs").json()
    assert [run["run_id"] for run in runs] == [run_id]
    detail = client.get(f"/api/runs/{run_id[:15]}").json()
    assert detail["metadata"]["run_id"] == run_id and detail["table_rows"]["daily"] == 8 * 365
    csv = client.get(f"/api/runs/{run_id}/tables/daily.csv")
    assert csv.status_code == 200 and csv.text.startswith("arm,day,pain_mean")
    names = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run_id}/export.zip").content)).namelist()
    assert {"daily.csv", "patients.csv", "scenario.toml", "summary.json"} <= set(names)
    assert "<html" in client.get(f"/api/runs/{run_id}/report").text.lower()
    assert client.get(f"/api/runs/{run_id}/tables/nope.csv").status_code == 404
    assert client.get("/api/runs/19990101").status_code == 404


@pytest.mark.skipif(not (Path(painsim.__file__).parent / "data/default_posterior.json").exists(),
                    reason="no default posterior shipped yet (tests/calibration/test_default_posterior.py)")
def test_massage_with_posterior_draws_gives_intervals_and_stores_them(client, wait_job):
    job = wait_job(client, client.post("/api/massage", json={"n": 50, "horizon_days": 365, "draws": 2}).json()["id"])
    assert job["status"] == "done", job
    u = job["result"]["uncertainty"]
    assert u["posterior"] == "default" and u["draws"] == 2 and set(u["arms"]) == set(job["result"]["arms"])
    lasting = u["arms"]["massage_weekly"]["responder_classes.lasting"]
    assert 0 <= lasting["low"] <= lasting["high"] <= 1
    detail = client.get(f"/api/runs/{job['result']['run_id']}").json()
    assert "intervals" in detail["table_rows"]
    without = wait_job(client, client.post("/api/massage", json={"n": 50, "horizon_days": 182}).json()["id"])
    assert without["result"]["uncertainty"] is None


def test_massage_bounds_are_422(client):
    assert client.post("/api/massage", json={"n": 10**6}).status_code == 422
    assert client.post("/api/massage", json={"horizon_days": 30}).status_code == 422
    assert client.post("/api/massage", json={"draws": 500}).status_code == 422


def test_cancelled_and_failed_jobs_store_nothing(thread_client, store_dir, monkeypatch, wait_job):
    client = thread_client  # the patch below must reach the job: jobs on threads
    # a run that finished before keeps its place
    done = wait_job(client, client.post("/api/massage", json={"n": 50, "horizon_days": 182}).json()["id"])
    assert done["status"] == "done"
    before = client.get("/api/runs").json()
    # cancel at once: the job stops at its first progress report
    job = client.post("/api/massage", json={"n": 2000, "horizon_days": 730}).json()
    client.post(f"/api/jobs/{job['id']}/cancel")
    job = wait_job(client, job["id"])
    assert job["status"] == "cancelled" and job["result"] is None
    # a job that fails while writing its tables leaves no partial run
    import painsim.outcomes.tables as tables

    def broken(result):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(tables, "scenario_tables", broken)
    failed = wait_job(client, client.post("/api/massage", json={"n": 50, "horizon_days": 182}).json()["id"])
    assert failed["status"] == "failed" and "disk full" in failed["error"]
    assert client.get("/api/runs").json() == before
    assert not any((store_dir / "staging").glob("*")) if (store_dir / "staging").exists() else True
    run_id = before[0]["run_id"]
    assert client.get(f"/api/runs/{run_id}/tables/daily.csv").status_code == 200


def test_unknown_job_is_404(client):
    assert client.get("/api/jobs/abcdef").status_code == 404
    assert client.post("/api/jobs/abcdef/cancel").status_code == 404
    assert client.get("/api/jobs/not-hex!").status_code == 422


def test_queue_limit_is_429():
    manager = JobManager(max_pending=2, execute=False)
    manager.submit("x", lambda job: {}, {})
    manager.submit("x", lambda job: {}, {})
    from painsim.web.jobs import TooManyJobsError

    with pytest.raises(TooManyJobsError):
        manager.submit("x", lambda job: {}, {})
    manager.cancel(manager.list()[0].id)
    manager.submit("x", lambda job: {}, {})  # a cancelled job frees its place


def test_job_progress_and_cancel_while_running():
    manager = JobManager()

    def slow(job):
        for i in range(200):
            job.report("working", i, 200)
            time.sleep(0.01)
        return {"ok": True}

    job = manager.submit("slow", slow, {})
    time.sleep(0.2)
    assert 0 < job.progress < 1 and job.status == "running"
    manager.cancel(job.id)
    assert manager.wait(job.id).status == "cancelled"
    manager.shutdown()


def test_evidence_upload(client):
    with open(EXAMPLES / "bcg_rr.csv", "rb") as fh:
        res = client.post("/api/evidence", files={"file": ("bcg.csv", fh, "text/csv")},
                          data={"measure": "RR", "method": "REML"})
    assert res.status_code == 200
    r = res.json()
    assert r["fit"]["k"] == 13 and r["fit"]["estimate"] == pytest.approx(-0.7145, abs=1e-3)  # metafor: -0.7145
    assert r["forest_png"].startswith("data:image/png;base64,") and r["funnel_png"].startswith("data:image/png")
    assert r["certainty"]["overall"] in {"high", "moderate", "low", "very low"}


@pytest.mark.parametrize("content, data, status, words", [
    (b"", {"measure": "GEN"}, 422, "empty"),
    (b"study,yi\nA,1\nB,2\n", {"measure": "GEN"}, 422, "vi"),
    (b"\xff\xfe\x00", {"measure": "GEN"}, 422, "UTF-8"),
    (b"study,yi,vi\nA,0.1,0.01\nB,0.2,0.02\n", {"measure": "XYZ"}, 422, "measure"),
    (b"study,yi,vi\nA,0.1,0.01\nB,0.2,0.02\n", {"method": "REML", "level": "120"}, 422, "level"),
    (b"x" * 1_000_001, {"measure": "GEN"}, 413, "too large"),
])
def test_evidence_bad_uploads_are_4xx(client, content, data, status, words):
    res = client.post("/api/evidence", files={"file": ("f.csv", content, "text/csv")}, data=data)
    assert res.status_code == status, res.text
    assert words in res.text


def test_a_posterior_draw_request_without_a_usable_default_posterior_is_422(client, monkeypatch):
    import painsim.app.posterior as posterior_module
    from painsim.app import AppInputError

    def missing(ref, store=None):
        raise AppInputError("no default posterior ships with this painsim")

    monkeypatch.setattr(posterior_module, "load_posterior", missing)
    for path, body in (("/api/massage", {"n": 50, "draws": 2}), ("/api/patient", {"draws": 10})):
        res = client.post(path, json=body)
        assert res.status_code == 422 and "no default posterior" in res.json()["detail"], path
