"""Schemathesis against the OpenAPI schema, in-process on the ASGI app: no request gives a 5xx.

Jobs are accepted but not executed (``execute_jobs=False``), so fuzzing checks the HTTP
layer (validation, bounds, error handling) without starting simulations.
"""

from __future__ import annotations

import tempfile

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from painsim.web import create_app

APP = create_app(tempfile.mkdtemp(prefix="painsim-fuzz-store-"), execute_jobs=False, max_pending=1000)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_errors(case):
    case.call_and_validate(checks=[not_a_server_error])
