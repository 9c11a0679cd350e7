"""The web forms come from the library: treatments from the registry (plug-ins included),
every list of choices from its one declaration; the app is one router per page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from painsim.care import REGISTRY, CarePlan, Massage, Relationship, Schedule

WEB = Path(__file__).resolve().parents[2] / "src" / "painsim" / "web"
HEAT_WRAP = pytest.mark.skipif("heat_wrap" not in REGISTRY,
                               reason="the heat_wrap plug-in is not installed (pip install -e tests/plugins/heat_wrap)")


def test_treatments_are_the_registry_with_schemas_and_defaults(client):
    body = client.get("/api/treatments").json()
    assert [t["name"] for t in body["treatments"]] == list(REGISTRY.names)
    for t in body["treatments"]:
        cls = REGISTRY.get(t["name"])
        assert t["label"] == cls.label and t["summary"] == cls.describe()["summary"]
        assert t["schema"] == cls.model_json_schema()
        assert t["defaults"] == cls().model_dump(mode="json")
        assert t["plugin"] == (not REGISTRY.is_builtin(cls.name))
    assert body["relationship"]["schema"] == Relationship.model_json_schema()
    massage = next(t for t in body["treatments"] if t["name"] == "massage")
    count = massage["schema"]["$defs"]["Schedule"]["properties"]["count"]
    assert (count["minimum"], count["maximum"]) == (0, 1000)  # bounds reach the form


def test_default_plan_is_the_old_forms_default():
    """Before the form came from the registry the page's default was 10 massage sessions a
    week apart, alliance 0.6, 'manage' framing, nothing else: the same plan now."""
    from painsim.web.patient import PatientRequest

    old = CarePlan(massage=Massage(schedule=Schedule(count=10, every_days=7)),
                   relationship=Relationship(alliance=0.6, framing="manage"))
    assert PatientRequest().plan == old
    assert PatientRequest.model_validate({"plan": old.model_dump(mode="json", exclude_none=True)}).plan == old


def test_choices_are_the_application_layers(client):
    from painsim.app import choices
    from painsim.evidence.heterogeneity import METHODS
    from painsim.trials.spec import MISSING

    served = client.get("/api/choices").json()
    for name, items in choices().items():
        assert served[name]["values"] == [c.value for c in items], name
        assert served[name]["labels"] == {c.value: c.label for c in items}, name
    assert served["tau2_methods"]["values"] == list(METHODS) and served["missing_data"]["values"] == list(MISSING)
    assert served["treatments"]["values"] == list(REGISTRY.names)
    assert served["tau2_methods"]["default"] == "REML" and served["effect_size_measures"]["default"] == "GEN"
    assert served["effect_size_measures"]["columns"]["SMD"][0] == "m1i"
    for choice in served.values():
        assert choice["default"] in choice["values"]


def test_front_end_copies_no_list_of_choices(client):
    """index.html and app.js name their lists (data-choices) and never spell their values."""
    page, script = client.get("/").text, client.get("/static/app.js").text
    assert "<option" not in page
    names = set(re.findall(r'data-choices="([a-z_]+)"', page))
    assert names and names <= set(client.get("/api/choices").json())
    for value in ("REML", "knha", "complete_case", "m1i", "massage_sessions", "exercise_weeks", "sleep_stress"):
        assert value not in page and value not in script, value


def test_evidence_form_refuses_values_outside_the_declaration(client):
    res = client.post("/api/evidence", files={"file": ("x.csv", b"yi,vi\n1,1\n2,1\n")}, data={"method": "XYZ"})
    assert res.status_code == 422 and "REML" in res.text  # the allowed values, from METHODS


def test_patient_plan_is_validated_by_care_plan(client):
    res = client.post("/api/patient", json={"plan": {"exercise": {"weeks": 0}}})
    assert res.status_code == 422
    assert res.json()["detail"][0]["loc"] == ["body", "plan", "exercise", "weeks"]


@HEAT_WRAP
def test_plug_in_treatment_is_in_the_form_and_runs(client, wait_job):
    from painsim.web.patient import PatientRequest, simulate_patient

    forms = client.get("/api/treatments").json()
    heat = next(t for t in forms["treatments"] if t["name"] == "heat_wrap")
    assert heat["plugin"] and heat["defaults"]["schedule"]["count"] == 5
    plan = {"heat_wrap": {"schedule": {"count": 10, "every_days": 1}}}
    job = client.post("/api/patient", json={"twins": 20, "horizon_days": 60, "plan": plan}).json()
    job = wait_job(client, job["id"])
    assert job["status"] == "done", job
    assert job["params"]["plan"]["heat_wrap"]["schedule"]["count"] == 10
    none = simulate_patient(PatientRequest(twins=20, horizon_days=60, plan=CarePlan()))
    assert job["result"]["pain_mean"] < none["pain_mean"]  # the wraps lower pain on the same twins


def _imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text())
    return [(node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names]


def test_no_web_module_imports_private_names_of_another():
    for path in WEB.glob("*.py"):
        for module, name in _imports(path):
            if module.startswith("painsim.web"):
                assert not name.startswith("_"), f"{path.name} imports {module}.{name}"


def test_app_only_composes_routers(tmp_path):
    from painsim.web import create_app
    from painsim.web.app import ROUTERS

    source = (WEB / "app.py").read_text()
    assert not re.search(r"@app\.(get|post|put|delete|patch)\(", source)
    routed = {(r.path, tuple(sorted(r.methods))) for router in ROUTERS for r in router.routes}
    app_routes = {(r.path, tuple(sorted(r.methods))) for r in create_app(tmp_path, isolation="thread").routes
                  if getattr(r, "methods", None) and r.path.startswith("/api")}
    assert app_routes <= routed and len(ROUTERS) >= 7


def test_massage_job_stores_the_run_as_before(tmp_path):
    """Through painsim.app.run_and_store_scenario the web's run is stored as it was: the
    page's seed, the web's metadata, every table."""
    from painsim.store import Store
    from painsim.web.massage import MassageRequest, run_massage

    out = run_massage(MassageRequest(n=50, horizon_days=182, seed=7), tmp_path)
    stored = Store(tmp_path).get(out["run_id"])
    assert stored.metadata["seed"] == 7 and stored.metadata["name"] == "massage_question"
    assert stored.metadata["meta"] == {"painsim_version": stored.metadata["version"], "n": 50, "source": "web",
                                       "overrides": {"n": 50, "seed": 7, "horizon_days": 182}}
    assert stored.tables == ["daily", "patients", "trajectories", "sessions"] and stored.summary == out["arms"]
