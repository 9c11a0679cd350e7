"""Fixtures of the web tests: an app on a temporary store, and a live server for the browser."""

from __future__ import annotations

import socket
import threading
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
]


@pytest.fixture
def store_dir(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def client(store_dir):
    from fastapi.testclient import TestClient

    from painsim.web import create_app

    with TestClient(create_app(store_dir), base_url="http://localhost") as c:
        yield c


@pytest.fixture
def thread_client(store_dir):
    """Jobs on threads of the test process, for tests that patch library functions a job calls."""
    from fastapi.testclient import TestClient

    from painsim.web import create_app

    with TestClient(create_app(store_dir, isolation="thread"), base_url="http://localhost") as c:
        yield c


@pytest.fixture
def wait_job():
    """``wait_job(client, job_id)``: poll a job until it has finished; return it."""
    return _wait_job


def _wait_job(client, job_id: str, timeout: float = 90.0) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """``painsim serve`` in a thread on a free port, with a fresh store; yields the base URL."""
    import uvicorn

    from painsim.web import create_app

    store = tmp_path_factory.mktemp("web-store")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the web server did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    import os

    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no system Chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=live_server)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda err: errors.append(str(err)))
    # the Content-Security-Policy must not block anything the pages use (Chromium logs each refusal);
    # ReDoc's "powered by" logo from its CDN is blocked on purpose: nothing is loaded from outside
    pg.on("console", lambda msg: errors.append(msg.text)
          if msg.type == "error" and "Content Security Policy" in msg.text and REDOC_LOGO not in msg.text else None)
    yield pg
    context.close()
    assert not errors, f"JavaScript errors or CSP refusals in the page: {errors}"
