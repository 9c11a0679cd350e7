"""The web app under hostile and careless use (issue 14): no traceback or server path reaches a
client, malformed JSON is a 422, a damaged store is a clear error, hosts are checked, security
headers are set, one client cannot take every job slot, downloads are bounded, cancel is prompt."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from painsim.web import create_app
from painsim.web.jobs import JobManager

STATIC = Path(__file__).resolve().parents[2] / "src" / "painsim" / "web" / "static"
LOCAL = "http://localhost"


def strict_json(text: str):
    """Parse as strict JSON (what a browser's JSON.parse accepts): no NaN or Infinity."""
    def refuse(name):
        raise AssertionError(f"{name} in a response body")

    return json.loads(text, parse_constant=refuse)


def assert_no_leak(text: str, *paths: Path) -> None:
    """No traceback, no source file, no absolute path of ours in a client-visible text."""
    assert "Traceback" not in text and ".py" not in text and "_trace" not in text, text
    for path in paths:
        assert str(path) not in text, text
    assert not re.search(r"(?<![\w/.:<-])/(?:tmp|home|root|usr|work|var)/", text), text


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def template_store(tmp_path_factory):
    """A store holding one small massage run (made once; tests copy it before damaging it)."""
    from painsim.web.massage import MassageRequest, run_massage

    root = tmp_path_factory.mktemp("template") / "store"
    run_id = run_massage(MassageRequest(n=50, horizon_days=182), root)["run_id"]
    return root, run_id


@pytest.fixture
def stored(template_store, tmp_path):
    """(client, store root, run id) on a fresh copy of the template store."""
    root, run_id = template_store
    copy = tmp_path / "store"
    shutil.copytree(root, copy)
    with TestClient(create_app(copy, execute_jobs=False), base_url=LOCAL) as client:
        yield client, copy, run_id


def _bad_store(tmp_path: Path) -> Path:
    """A store path that cannot be created: its parent is a file."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    return blocker / "store"


# ---------------------------------------------------------------------- item 5: no tracebacks, no paths
@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_failed_job_shows_a_message_only_and_logs_the_traceback(tmp_path, caplog, wait_job, isolation):
    store = _bad_store(tmp_path)
    with TestClient(create_app(store, isolation=isolation), base_url=LOCAL) as client, \
            caplog.at_level(logging.ERROR, logger="painsim.web"):
        job = wait_job(client, client.post("/api/massage", json={"n": 50, "horizon_days": 182}).json()["id"])
        listed = client.get("/api/jobs").text
        one = client.get(f"/api/jobs/{job['id']}").text
    assert job["status"] == "failed" and job["progress"] == 0  # the store is checked before simulating
    assert "_trace" not in job["params"]
    assert "cannot create or write <store>" in job["error"]
    error_id = re.search(r"error id ([0-9a-f]{12})", job["error"]).group(1)
    for text in (listed, one):
        assert_no_leak(text, store, tmp_path)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert error_id in logged and "Traceback" in logged and str(store) in logged  # the details stay on the server


def test_store_that_cannot_be_opened_is_409_without_its_path(tmp_path):
    store = _bad_store(tmp_path)
    with TestClient(create_app(store, execute_jobs=False), base_url=LOCAL) as client:
        res = client.get("/api/runs")
    assert res.status_code == 409 and "the results store cannot be opened" in res.json()["detail"]
    assert_no_leak(res.text, store, tmp_path)


def test_ambiguous_run_prefix_is_409_without_the_store_path(stored):
    client, root, run_id = stored
    from painsim.store import Store

    with Store(root).new_run("x = 1\n", seed=1, name="second") as run:
        run.set_summary({})
    prefix = next(run_id[:k] for k in range(len(run_id), 0, -1) if run.run_id.startswith(run_id[:k]))
    assert prefix, (run_id, run.run_id)
    res = client.get(f"/api/runs/{prefix}")
    assert res.status_code == 409 and "matches 2 runs" in res.json()["detail"]
    assert_no_leak(res.text, root)


def test_unexpected_error_is_a_neutral_500_with_a_logged_error_id(monkeypatch, caplog, tmp_path):
    import painsim.web.meta as web_meta

    def broken():
        raise RuntimeError(f"secret detail in {tmp_path}/config.py")

    app = create_app(tmp_path / "store", execute_jobs=False)
    monkeypatch.setattr(web_meta, "version", broken)  # /api/health now fails
    with TestClient(app, base_url=LOCAL) as client, caplog.at_level(logging.ERROR, logger="painsim.web"):
        res = client.get("/api/health")
    assert res.status_code == 500
    body = res.json()
    assert "secret" not in res.text and "RuntimeError" not in res.text
    assert_no_leak(res.text, tmp_path)
    assert re.fullmatch(r"[0-9a-f]{12}", body["error_id"]) and body["error_id"] in body["detail"]
    record = next(r for r in caplog.records if body["error_id"] in r.getMessage())
    assert "secret detail" in (record.exc_text or "")


# ---------------------------------------------------------------------- item 6: malformed JSON
JSON_ENDPOINTS = [("/api/patient", "spread"), ("/api/massage", "n"), ("/api/trial", "seed"),
                  ("/api/trial/power", "reps"), ("/api/jobs/0123abcd/cancel", "x")]
BAD_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"]


@pytest.mark.parametrize("path, field", JSON_ENDPOINTS)
@pytest.mark.parametrize("number", BAD_NUMBERS)
def test_non_finite_json_numbers_are_422_in_strict_json(path, field, number, tmp_path):
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        res = client.post(path, content=f'{{"{field}": {number}}}', headers={"content-type": "application/json"})
    assert res.status_code == 422, res.text
    detail = strict_json(res.text)["detail"]
    assert detail[0]["loc"] == ["body"] and ("finite" in detail[0]["msg"] or "too large" in detail[0]["msg"])


@pytest.mark.parametrize("body", [
    b'{"spec": "\\ud800"}',  # escaped, as the reproducer
    b'{"spec": "a\\udfffb", "seed": 1}',
    b'{"plan": {"framing": "\\ud800"}}',
    b'{"profile": {"x\\udc00": 1}}',  # in a key
    b'{"spec": "\xed\xa0\x80"}',  # the surrogate UTF-8-encoded: not UTF-8
])
@pytest.mark.parametrize("path", ["/api/patient", "/api/massage", "/api/trial", "/api/trial/power"])
def test_lone_surrogates_are_422(path, body, tmp_path):
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        res = client.post(path, content=body, headers={"content-type": "application/json"})
    assert res.status_code == 422, res.text
    assert strict_json(res.text)["detail"][0]["type"] == "json_invalid"


def test_json_without_content_type_is_checked_too(tmp_path):
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        res = client.post("/api/patient", content=b'{"twins": NaN}')
    assert res.status_code == 422 and "NaN is not a JSON number" in res.text


def test_oversized_and_deeply_nested_json(tmp_path):
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        big = client.post("/api/trial", content=b'{"spec": "' + b"x" * 1_100_000 + b'"}',
                          headers={"content-type": "application/json"})
        deep = client.post("/api/trial", content=b"[" * 100_000 + b"]" * 100_000,
                           headers={"content-type": "application/json"})
    assert big.status_code == 413 and "at most" in big.json()["detail"]
    assert deep.status_code == 422 and "nested too deeply" in deep.text


@pytest.mark.parametrize("level", ["NaN", "Infinity", "-inf", "1e400"])
def test_evidence_form_with_non_finite_level_is_422(level, tmp_path):
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        res = client.post("/api/evidence", files={"file": ("f.csv", b"study,yi,vi\nA,1,1\nB,2,1\n", "text/csv")},
                          data={"level": level})
    assert res.status_code == 422 and "level" in strict_json(res.text)["detail"][0]["loc"]


def test_validation_errors_with_unencodable_input_are_made_printable():
    from painsim.web.security import json_safe

    errors = [{"input": float("nan"), "ctx": {"error": ValueError("bad")}, "loc": ("body", "x\ud800"),
               "raw": b"\xff", "n": [float("inf"), 1, None, True]}]
    safe = json_safe(errors)
    text = json.dumps(safe, allow_nan=False)
    assert strict_json(text) == [{"input": "nan", "ctx": {"error": "bad"}, "loc": ["body", "x\\ud800"],
                                  "raw": "\ufffd", "n": ["inf", 1, None, True]}]


# ---------------------------------------------------------------------- item 6: damaged stores
RUN_URLS = ["/api/runs/{id}", "/api/runs/{id}/tables/daily.csv", "/api/runs/{id}/export.zip", "/api/runs/{id}/report"]


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 3: len(data) // 3 + 64] = b"\x00" * 64  # a page in the middle
    data[-12:] = b"\xff" * 12  # and the footer
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("url", RUN_URLS)
@pytest.mark.parametrize("how", ["damaged", "missing"])
def test_damaged_or_missing_table_is_a_clear_error_naming_run_and_table(stored, url, how, caplog):
    client, root, run_id = stored
    table = root / "runs" / run_id / "daily.parquet"
    _damage(table) if how == "damaged" else table.unlink()
    with caplog.at_level(logging.ERROR, logger="painsim.web"):
        res = client.get(url.format(id=run_id))
    assert res.status_code == 500, res.text
    body = strict_json(res.text)
    assert body["run_id"] == run_id and body["table"] == "daily"
    assert f"table 'daily' of run {run_id} is damaged" in body["detail"]
    assert ("does not exist" in body["detail"]) if how == "missing" else ("checksum" in body["detail"])
    assert_no_leak(res.text, root)
    assert any(body["error_id"] in r.getMessage() and str(root) in (r.exc_text or "") for r in caplog.records)


def test_flipped_byte_fails_the_checksum_before_any_download(stored):
    """A change pyarrow would read back as other numbers (not a broken file) is caught by the checksum."""
    client, root, run_id = stored
    path = root / "runs" / run_id / "daily.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    for url in RUN_URLS:
        res = client.get(url.format(id=run_id))
        assert res.status_code == 500 and res.json()["table"] == "daily" and "checksum" in res.json()["detail"]


def test_damaged_table_the_page_does_not_read_still_fails_the_zip(stored):
    client, root, run_id = stored
    _damage(root / "runs" / run_id / "sessions.parquet")
    assert client.get(f"/api/runs/{run_id}/tables/daily.csv").status_code == 200
    res = client.get(f"/api/runs/{run_id}/export.zip")
    assert res.status_code == 500 and res.json()["table"] == "sessions"


@pytest.mark.parametrize("url", ["/api/runs", *RUN_URLS])
@pytest.mark.parametrize("how", ["damaged", "missing"])
def test_damaged_or_missing_database_is_a_clear_error(stored, url, how):
    client, root, run_id = stored
    index = root / "painsim.duckdb"
    index.write_bytes(b"this is not a database" * 100) if how == "damaged" else index.unlink()
    res = client.get(url.format(id=run_id))
    assert res.status_code == 500, res.text
    detail = strict_json(res.text)["detail"]
    assert "the results store cannot be read" in detail and "error id" in detail
    assert "painsim store rebuild" in detail and ("missing" if how == "missing" else "damaged") in detail
    assert_no_leak(res.text, root)


# ---------------------------------------------------------------------- item 7: hosts and headers
@pytest.mark.parametrize("host, status", [
    ("localhost", 200), ("localhost:8000", 200), ("127.0.0.1:8000", 200), ("[::1]:8000", 200),
    ("evil.example", 400), ("evil.example:8000", 400), ("localhost.evil.example", 400), ("", 400),
])
def test_host_header_is_checked(host, status, tmp_path):
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        assert client.get("/api/health", headers={"host": host}).status_code == status


def test_allowed_hosts_from_environment_and_options(tmp_path, monkeypatch):
    from painsim.web.security import allowed_hosts

    monkeypatch.setenv("PAINSIM_WEB_ALLOWED_HOSTS", "lab.example, *.ward.example")
    assert allowed_hosts(["Other.Example"]) == ["localhost", "127.0.0.1", "[::1]", "lab.example",
                                                "*.ward.example", "other.example"]
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        for host, status in [("lab.example", 200), ("a.ward.example", 200), ("other.example", 400)]:
            assert client.get("/api/health", headers={"host": host}).status_code == status
    for bad in ["localhost:8000", "::1", "*evil", "a*.b", "http://x"]:
        with pytest.raises(ValueError, match="allowed host"):
            allowed_hosts([bad])


def test_serve_allowed_host_option(tmp_path, monkeypatch):
    import uvicorn
    from typer.testing import CliRunner

    from painsim.cli.app import app as cli

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    result = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path), "--allowed-host", "lab.example",
                                      "--allowed-host", "*.ward.example", "--jobs-per-client", "2"])
    assert result.exit_code == 0, result.output
    assert "lab.example" in result.output
    with TestClient(served["app"], base_url=LOCAL) as client:
        assert client.get("/api/health", headers={"host": "lab.example"}).status_code == 200
        assert client.get("/api/health", headers={"host": "x.ward.example:80"}).status_code == 200
        assert client.get("/api/health", headers={"host": "evil.example"}).status_code == 400
    bad = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path), "--allowed-host", "a:b:c"])
    assert bad.exit_code == 2 and "allowed host" in bad.output


def test_security_headers(stored):
    client, _, run_id = stored
    for url in ["/", "/api/health", "/static/app.js", "/api/runs/nope", f"/api/runs/{run_id}"]:
        headers = client.get(url).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    report = client.get(f"/api/runs/{run_id}/report")
    assert report.status_code == 200
    policy = report.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy and "script-src" not in policy
    assert "<script" not in report.text.lower()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_allow_exactly_their_inline_scripts(page, tmp_path):
    import base64
    import hashlib

    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        res = client.get(page)
    policy = res.headers["content-security-policy"]
    inline = re.findall(r"<script>(.*?)</script>", res.text, re.S)
    script_src = re.search(r"script-src ([^;]*)", policy).group(1).split()
    expected = {f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline}
    assert set(script_src) == {"'self'", *expected} and "'unsafe-inline'" not in script_src


def test_front_end_has_no_inline_script_style_or_handlers():
    html = (STATIC / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", html) and not re.search(r"\son[a-z]+=", html)
    assert "style=" not in html and "<style" not in html
    js = (STATIC / "app.js").read_text()
    assert not re.search(r"style=|\bon[a-z]+=|eval\(|new Function", js)


# ---------------------------------------------------------------------- item 10: fairness, bounded downloads
def test_one_client_cannot_take_every_job_slot(tmp_path):
    app = create_app(tmp_path, execute_jobs=False, max_pending=8)
    body = {"n": 50, "horizon_days": 182}
    with TestClient(app, base_url=LOCAL, client=("10.0.0.1", 1000)) as greedy, \
            TestClient(app, base_url=LOCAL, client=("10.0.0.2", 1000)) as other:
        assert [greedy.post("/api/massage", json=body).status_code for _ in range(4)] == [202] * 4
        refused = greedy.post("/api/massage", json=body)
        assert refused.status_code == 429 and "at most 4 per client" in refused.json()["detail"]
        assert other.post("/api/massage", json=body).status_code == 202
        first = greedy.get("/api/jobs").json()[-1]
        greedy.post(f"/api/jobs/{first['id']}/cancel")  # a cancelled job frees the client's place
        assert greedy.post("/api/massage", json=body).status_code == 202
        assert all("client" not in job and "10.0.0" not in json.dumps(job) for job in other.get("/api/jobs").json())


def test_free_worker_takes_turns_between_clients():
    import threading

    manager = JobManager(workers=1)
    release, started = threading.Event(), []

    def job_of(name):
        def run(job):
            started.append(name)
            if name == "a1":
                release.wait(30)
            return {}
        return run

    first = manager.submit("x", job_of("a1"), {}, client="a")
    while not started:
        time.sleep(0.01)
    for name, client in [("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c"), ("b2", "b")]:
        manager.submit("x", job_of(name), {}, client=client)
    release.set()
    for job in manager.list():
        manager.wait(job.id)
    assert manager.get(first.id).status == "done"
    assert started == ["a1", "b1", "c1", "a2", "b2", "a3"]
    manager.shutdown()


def test_downloads_have_the_same_bytes_as_before(stored):
    """Streamed CSVs and zip members equal what the whole-table conversion gave."""
    client, root, run_id = stored
    from painsim.store import Store

    run = Store(root).get(run_id)
    for name in run.tables:
        frame = run.table(name)
        plain = frame.index.equals(__import__("pandas").RangeIndex(len(frame))) and frame.index.name is None
        res = client.get(f"/api/runs/{run_id}/tables/{name}.csv")
        assert res.status_code == 200 and res.content == frame.to_csv(index=not plain).encode()
    exported = {Path(f).name: Path(f).read_bytes() for f in run.export("csv", root.parent / "exported")}
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run_id}/export.zip").content))
    assert {n: archive.read(n) for n in archive.namelist()} == exported


def test_busy_export_slots_give_429_and_large_downloads_413(stored, monkeypatch):
    client, _, run_id = stored
    slots = client.app.state.export_slots
    slots.wait = 0.3
    with slots, slots:  # both slots taken (two downloads being prepared)
        res = client.get(f"/api/runs/{run_id}/export.zip")
        assert res.status_code == 429 and "at most 2 at a time" in res.json()["detail"]
        assert client.get(f"/api/runs/{run_id}/report").status_code == 429
        assert client.get(f"/api/runs/{run_id}/tables/daily.csv").status_code == 429
        assert client.get(f"/api/runs/{run_id}").status_code == 200  # the rest of the app is served meanwhile
    import painsim.web.exports as exports

    monkeypatch.setattr(exports, "MAX_EXPORT_BYTES", 10_000)
    res = client.get(f"/api/runs/{run_id}/export.zip")
    assert res.status_code == 413 and "painsim export" in res.json()["detail"]
    assert client.get(f"/api/runs/{run_id}/export.zip").status_code == 413
    monkeypatch.undo()
    assert client.get(f"/api/runs/{run_id}/export.zip").status_code == 200


# ---------------------------------------------------------------------- item 1 (web): prompt cancel
def never_reports(job):
    """A job step that runs long without a progress report (as screening between rounds did)."""
    time.sleep(600)
    return {}


def stores_inside_uninterruptible(job, marker):
    job.report("working", 0, 1)
    with job.uninterruptible():
        time.sleep(3)  # longer than the cancel grace
        Path(marker).write_text("committed")
    return {}


def test_cancel_stops_a_job_that_never_reports():
    manager = JobManager(isolation="process", cancel_grace=0.5)
    job = manager.submit("slow", never_reports, {})
    while job.status == "queued" or manager.get(job.id).started is None:
        time.sleep(0.05)
    manager.cancel(job.id)
    assert manager.wait(job.id, timeout=60).status == "cancelled"
    manager.shutdown()


def test_cancel_waits_for_an_uninterruptible_block(tmp_path):
    from functools import partial

    marker = tmp_path / "marker"
    manager = JobManager(isolation="process", cancel_grace=0.2)
    job = manager.submit("store", partial(stores_inside_uninterruptible, marker=str(marker)), {})
    while manager.get(job.id).stage != "working":
        time.sleep(0.02)
    time.sleep(0.3)  # inside the block now
    manager.cancel(job.id)
    assert manager.wait(job.id, timeout=60).status in ("cancelled", "done")
    assert marker.read_text() == "committed"
    manager.shutdown()


def test_trial_job_cancelled_while_screening_stops(tmp_path, wait_job):
    """The issue's reproducer: eligibility no candidate meets; screening never reports progress."""
    from painsim.web.trials import DEFAULT_SPEC

    spec = (DEFAULT_SPEC.replace("n = 40", "n = 20").replace("min_pain = 3", "min_pain = 10")
            .replace("min_rmdq = 3", "min_rmdq = 24"))
    with TestClient(create_app(tmp_path), base_url=LOCAL) as client:
        res = client.post("/api/trial", json={"spec": spec})
        if res.status_code == 422:  # the library's limits refuse it up front: nothing to cancel
            pytest.skip(f"refused by validation: {res.json()['detail']}")
        job = res.json()
        while client.get(f"/api/jobs/{job['id']}").json()["stage"] in ("queued", "starting"):
            time.sleep(0.05)
        time.sleep(1.0)  # deep in screening now
        client.post(f"/api/jobs/{job['id']}/cancel")
        job = wait_job(client, job["id"], timeout=60)
    assert job["status"] in ("cancelled", "failed")  # failed: the library's screening limit stopped it first
    assert job["status"] == "cancelled" or "eligib" in job["error"]


# ---------------------------------------------------------------------- item 1/3 (web): the library's limits
@pytest.mark.parametrize("blocks, words", [
    ("[4000000002]", "randomisation.block_sizes"),  # the reproducer: refused by the library's own limit
    ("[3000]", "a block holds at most 1,500"),  # within the command line's limit, above the web's
])
def test_trial_limits_come_from_the_library(blocks, words, tmp_path):
    from painsim.web.trials import DEFAULT_SPEC

    spec = DEFAULT_SPEC.replace('scheme = "complete"', f'scheme = "blocks"\nblock_sizes = {blocks}')
    with TestClient(create_app(tmp_path, execute_jobs=False), base_url=LOCAL) as client:
        for path in ("/api/trial", "/api/trial/power"):
            res = client.post(path, json={"spec": spec})
            assert res.status_code == 422 and words in res.json()["detail"], res.text


def test_web_limits_are_the_librarys_made_stricter():
    from painsim.limits import DEFAULT_LIMITS
    from painsim.web.trials import WEB_LIMITS

    assert type(WEB_LIMITS) is type(DEFAULT_LIMITS)
    looser = [f for f, value in vars(WEB_LIMITS).items() if value > getattr(DEFAULT_LIMITS, f)]
    assert looser == [] and WEB_LIMITS != DEFAULT_LIMITS
