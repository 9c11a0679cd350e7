"""Schemathesis against the OpenAPI schema, in-process on the ASGI app: no request gives a 5xx.

Jobs are accepted but not executed (``execute_jobs=False``), so fuzzing checks the HTTP
layer (validation, bounds, error handling) without starting simulations. Besides the
schema's own cases, every POST case is sent again with one of its values (or keys) replaced
by what strict JSON forbids: NaN, Infinity, -Infinity, a number that overflows (1e400), a
lone surrogate (escaped, or UTF-8-encoded); each must be a 422 whose body is strict JSON.
"""

from __future__ import annotations

import json
import tempfile
from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from painsim.web import create_app
from painsim.web.security import LOCAL_HOSTS

# schemathesis calls the app as host "testserver"
APP = create_app(tempfile.mkdtemp(prefix="painsim-fuzz-store-"), execute_jobs=False, max_pending=1000,
                 hosts=[*LOCAL_HOSTS, "testserver"])
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
CLIENT = TestClient(APP, base_url="http://localhost")
FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

OVERFLOW = "__overflowing_number__"  # written as 1e400 in the body
POISON: list[Any] = [float("nan"), float("inf"), float("-inf"), OVERFLOW, "\ud800", "pain\udfff", "x\udc00y"]


@schema.parametrize()
@FUZZ
def test_api_never_errors(case):
    case.call_and_validate(checks=[not_a_server_error])


def _leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Paths to every value in a JSON document (keys and list positions), the root included."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _leaves(item, (*path, key))
    elif isinstance(value, list):
        for k, item in enumerate(value):
            out += _leaves(item, (*path, k))
    return out


def _poisoned(body: Any, where: int, poison: Any, as_key: bool) -> Any:
    """``body`` with the ``where``-th value (or, for strings, a key next to it) replaced by ``poison``."""
    as_key = as_key and isinstance(poison, str)  # a number as a key would be written as a string
    if not isinstance(body, dict | list):
        return {poison: 1} if as_key else {"x": poison}
    leaves = _leaves(body)
    path = leaves[where % len(leaves)]
    if not path:
        return {poison: 1} if as_key else {"x": poison}
    *parents, last = path
    target = body
    for step in parents:
        target = target[step]
    if as_key and isinstance(target, dict):
        target[poison] = target.pop(last)
    else:
        target[last] = poison
    return body


def _encode(body: Any, utf8_surrogates: bool) -> bytes:
    text = json.dumps(body, allow_nan=True, ensure_ascii=not utf8_surrogates)
    text = text.replace(json.dumps(OVERFLOW), "1e400")
    return text.encode("utf-8", "surrogatepass")


@schema.include(method="POST").parametrize()
@schema.given(poison=st.sampled_from(POISON), where=st.integers(0, 50), as_key=st.booleans(),
              utf8=st.booleans())
@FUZZ
def test_non_finite_numbers_and_lone_surrogates_are_422(case, poison, where, as_key, utf8):
    body = case.body if isinstance(case.body, dict | list) else None
    content = _encode(_poisoned(json.loads(json.dumps(body)), where, poison, as_key), utf8)
    response = CLIENT.request(case.method, case.formatted_path, content=content,
                              headers={"content-type": "application/json"})
    assert response.status_code == 422, (content[:200], response.text[:300])
    detail = json.loads(response.text, parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))
    assert detail["detail"][0]["type"] == "json_invalid"


@given(field=st.sampled_from(["measure", "method", "test", "level"]),
       poison=st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "\ud800", "x\udfff"]))
@FUZZ
def test_evidence_form_fields_with_non_finite_or_surrogate_values_never_error(field, poison):
    fields = {"measure": "GEN", "method": "REML", "test": "z", "level": "95", field: poison}
    files = {"file": ("f.csv", b"study,yi,vi\nA,0.1,0.01\nB,0.2,0.02\n", "text/csv")}
    data = {k: v.encode("utf-8", "surrogatepass") for k, v in fields.items()}
    response = CLIENT.post("/api/evidence", files=files, data=data)
    assert response.status_code == 422, response.text
    json.loads(response.text, parse_constant=lambda name: (_ for _ in ()).throw(AssertionError(name)))
