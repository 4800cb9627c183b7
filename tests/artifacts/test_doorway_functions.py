"""The two event doorways run from their artifacts: the JobEvents function (zip, the layer) on
an EventBridge execution-status-change event, and the render worker (the inference image's
``render_handler.handler``, as its template ``ImageConfig`` names it) on the task the API
function sends it for a clip, each in its own CPython 3.12 process against the moto server.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pytest
from urllib3 import encode_multipart_formdata

from framelens.jobs.files import FileService
from framelens.schemas import JobCreate, JobState
from tests.e2e.cloud import ACCOUNT, REGION, TENANT, apigw_event
from tests.shared import media

if TYPE_CHECKING:
    from tests.artifacts.conftest import ArtifactCloud

pytestmark = pytest.mark.slow
VIDEO = media("car_traffic_bridge_640x360.mp4")


def _status_change(state_machine_arn: str, job_id: str, status: str) -> dict[str, Any]:
    """The "Step Functions Execution Status Change" event EventBridge sends the rule's target."""
    execution = state_machine_arn.replace(":stateMachine:", ":execution:") + f":{job_id}"
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "time": "2026-12-02T10:00:00Z",
        "region": REGION,
        "resources": [execution],
        "detail": {
            "executionArn": execution,
            "stateMachineArn": state_machine_arn,
            "name": job_id,
            "status": status,
            "startDate": 1764669600000,
            "stopDate": 1764670500000,
            "input": json.dumps({"job_id": job_id}),
            "output": None,
            "error": "States.Timeout" if status == "TIMED_OUT" else None,
            "cause": None,
        },
    }


def test_job_events_artifact_fails_a_running_job_whose_execution_timed_out(
    cloud_artifacts: ArtifactCloud,
) -> None:
    # GIVEN a running job (its execution started by hand: the test plays Step Functions)
    env = cloud_artifacts.env
    services = env.services()
    secret, _ = services.keys.create(TENANT)
    principal = services.keys.authenticate(secret)
    record = FileService(services.stores, services.settings).ingest(TENANT, VIDEO, name="c.mp4")
    job, _ = services.jobs.create(
        principal,
        JobCreate(sources=[f"storage://{record.file_id}"], modules={"scenes": {}}),
        dispatch=False,
    )
    services.jobs.start(job.id)
    assert env.job_item(job.id).state == JobState.running
    # WHEN EventBridge delivers its execution's TIMED_OUT to the rule's function artifact
    event = _status_change(env.state_machine_arn, job.id, "TIMED_OUT")
    answer = cloud_artifacts.invoke("JobEventsFunction", event).ok()
    # THEN the job is failed, saying why
    assert answer == {"ended": job.id, "status": "TIMED_OUT"}
    ended = env.job_item(job.id)
    assert ended.state == JobState.failed
    assert ended.error is not None and ended.error.code == "execution_timed_out"
    assert "time limit" in ended.error.message


def test_render_worker_artifact_renders_the_clip_the_api_asked_for(
    cloud_artifacts: ArtifactCloud,
) -> None:
    # GIVEN a real clip uploaded through the API function's artifact
    env = cloud_artifacts.env
    secret, _ = env.services().keys.create(TENANT)
    body, content_type = encode_multipart_formdata(
        {"file": ("bridge.mp4", VIDEO.read_bytes(), "video/mp4")}
    )
    headers = {"content-type": content_type, "x-api-key": secret}
    uploaded = cloud_artifacts.invoke(
        "ApiFunction", apigw_event("POST", "/v1/media", headers=headers, body=body)
    ).ok()
    assert uploaded["statusCode"] == 201, uploaded["body"][:500]
    file_id = json.loads(uploaded["body"])["file_id"]
    # WHEN a clip is asked for: the API answers 202 and invokes the render worker (moto → the
    # inference image's render_handler in its own process)
    query = {"start_frame": "10", "end_frame": "34", "audio": "off"}
    clip = apigw_event(
        "GET", f"/api/v1/file/{file_id}/clip", headers={"x-api-key": secret}, query=query
    )
    first = cloud_artifacts.invoke("ApiFunction", clip).ok()
    assert first["statusCode"] == 202, first["body"][:500]
    render = env.wait_invocation("RenderFunction", timeout_s=180)
    # THEN the worker stored the render, and the API now redirects to it: 25 frames
    assert render.error is None, render.error
    assert render.result["kind"] == "clip" and render.result["key"].startswith("renders/")
    second = cloud_artifacts.invoke("ApiFunction", clip).ok()
    assert second["statusCode"] == 307, second.get("body", "")[:500]
    # (the child presigns against the moto server: path-style, /<bucket>/<key>)
    key = unquote(urlsplit(second["headers"]["location"]).path.split("/", 2)[2])
    data = env.s3.get_object(Bucket=env.bucket, Key=key)["Body"].read()
    import av

    with av.open(io.BytesIO(data)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 25
