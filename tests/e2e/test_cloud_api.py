"""The API on moto as API Gateway runs it: REQUEST authorizer → api function (Mangum) → the
state machine → polling, all through API Gateway-shaped events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from urllib3 import encode_multipart_formdata

from tests.e2e.cloud import (
    TENANT,
    CloudEnv,
    LambdaContext,
    apigw_event,
    authorizer_event,
    handler_module,
)

if TYPE_CHECKING:
    from tests.media import Generated

pytestmark = pytest.mark.slow


class Gateway:
    """API Gateway in front of the two functions: authorize, then proxy with the context."""

    def __init__(self, cloud: CloudEnv, key: str) -> None:
        self.cloud = cloud
        self.key = key
        self.authorizations: list[dict[str, Any]] = []

    def _call(self, prefix: str, event: dict[str, Any]) -> Any:
        name = self.cloud.function(prefix)
        module = handler_module(self.cloud.function_handlers[name])
        return module.handler(event, LambdaContext(name, name))

    def request(
        self, method: str, path: str, body: bytes | str | None = None, **headers: str
    ) -> tuple[int, Any]:
        headers = {"X-API-Key": self.key, **headers}
        policy = self._call("ApiAuthorizerFunction", authorizer_event(method, path, headers))
        self.authorizations.append(policy)
        context = {**policy["context"], "principalId": policy["principalId"]}
        event = apigw_event(method, path, headers=headers, body=body, authorizer=context)
        response = self._call("ApiFunction", event)
        text = response["body"]
        return response["statusCode"], json.loads(text) if text else None

    def upload(self, clip: Generated) -> str:
        body, content_type = encode_multipart_formdata(
            {"file": (clip.path.name, clip.path.read_bytes(), "video/mp4")}
        )
        status, doc = self.request("POST", "/v1/media", body, **{"Content-Type": content_type})
        assert status == 201, doc
        return str(doc["url"])

    def create_job(self, source: str, modules: dict[str, Any], **headers: str) -> dict[str, Any]:
        payload = json.dumps({"sources": [source], "modules": modules})
        status, doc = self.request(
            "POST", "/v1/jobs", payload, **{"Content-Type": "application/json", **headers}
        )
        assert status in (201, 202), doc
        return dict(doc)


@pytest.fixture
def gateway(cloud: CloudEnv) -> Gateway:
    secret, _ = cloud.services().keys.create(TENANT)
    return Gateway(cloud, secret)


def test_api_job_runs_on_the_state_machine_and_polls_to_finished(
    cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated
):
    # GIVEN a clip uploaded through the gateway
    source = gateway.upload(cuts_clip)

    # WHEN a job is created through the gateway and its execution completes
    job = gateway.create_job(source, {"scenes": {}})
    execution = cloud.wait_execution(job["id"])

    # THEN the authorizer allowed the stage for the key's tenant with the usage plan's key,
    # and polling through the gateway shows the finished job and its results
    policy = gateway.authorizations[0]
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert policy["context"]["tenant_id"] == TENANT
    assert policy["usageIdentifierKey"] != gateway.key  # a hash, never the secret
    assert execution["status"] == "SUCCEEDED"
    status, polled = gateway.request("GET", f"/v1/jobs/{job['id']}")
    assert status == 200
    assert polled["state"] == "finished"
    status, page = gateway.request("GET", f"/v1/jobs/{job['id']}/results")
    assert status == 200
    assert page["total"] >= 1


def test_unknown_key_is_refused_by_the_authorizer(cloud: CloudEnv):
    # GIVEN a key no tenant owns
    gateway = Gateway(cloud, "fl_not_a_key")

    # WHEN it calls the API
    # THEN the authorizer answers API Gateway's 401, so the api function is never invoked
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        gateway.request("GET", "/v1/jobs")
    assert gateway.authorizations == []


@pytest.mark.expected_errors
def test_job_past_its_deadline_ends_failed_with_deadline_exceeded(
    cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated
):
    # GIVEN a job allowed one second, whose analysis starts after that second
    source = gateway.upload(cuts_clip)
    cloud.faults.delay("analyze", 1.5)

    # WHEN it runs on the state machine
    job = gateway.create_job(source, {"scenes": {}}, **{"Max-Processing-Time": "1"})
    execution = cloud.wait_execution(job["id"])

    # THEN the Catch took it through MarkFailed, and the API shows it failed on its deadline
    assert execution["status"] == "FAILED"
    assert "MarkFailed" in cloud.entered_states(job["id"])
    status, polled = gateway.request("GET", f"/v1/jobs/{job['id']}")
    assert status == 200
    assert polled["state"] == "failed"
    assert polled["error"]["code"] == "deadline_exceeded"
