"""Property-based fuzzing of the whole OpenAPI document with schemathesis (issue 16).

Every operation of ``/openapi.json`` is called with generated parameters and bodies and a valid
key. Each answer must be: no server error (5xx), a status the operation documents, a body that
matches the declared schema, a declared content type. The autouse ERROR-log check of
``tests/e2e/conftest.py`` also fails any case that logs an unhandled error.

Budget: ``FRAMELENS_FUZZ_EXAMPLES`` examples per operation (default 3, about a minute for the
whole document in ``make test``); raise it for a longer hunt, e.g.
``FRAMELENS_FUZZ_EXAMPLES=100 .venv/bin/pytest tests/e2e/test_fuzz.py``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import Services, build_services
from framelens.schemas.auth import Plan, Tenant

if TYPE_CHECKING:
    from collections.abc import Iterator

    from schemathesis import Case

    from framelens.api.deps import AppServices

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("FRAMELENS_FUZZ_EXAMPLES", "3"))
# Limits no fuzzing run reaches, so every answer is the route's own (429s have their own tests).
UNLIMITED = Plan(name="fuzz", get_per_minute=10**6, post_per_minute=10**6, concurrent_jobs=10**4)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]


@pytest.fixture(scope="module")
def fuzz_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = build_services(
        Settings(data_dir=tmp_path_factory.mktemp("fuzz"), workers=1, sweep_interval_s=0.5)
    )
    services.stores.keys.put_tenant(Tenant(tenant_id="fuzz", plan=UNLIMITED))
    yield services
    services.close()


@pytest.fixture(scope="module")
def fuzz_key(fuzz_services: Services) -> str:
    secret, _ = fuzz_services.keys.create("fuzz")
    return secret


# The document is read when the module is collected, from an app whose services are set by the
# fixture below before the first call (building the document needs no services).
APP = create_app(cast("AppServices", None))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(autouse=True, scope="module")
def _serve_fuzz_services(fuzz_services: Services) -> None:
    APP.state.services = fuzz_services


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every run in make test; a failure reproduces
)
def test_no_operation_answers_a_5xx_or_an_undocumented_status(case: Case, fuzz_key: str) -> None:
    case.call_and_validate(headers={"X-API-Key": fuzz_key}, checks=CHECKS)
