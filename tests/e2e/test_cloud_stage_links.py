"""Links the API returns behind API Gateway's stage: a client follows them as given.

The client knows only the stack's URL (``https://<id>.execute-api.<region>.amazonaws.com/v1``);
every absolute link and ``Location`` it gets back is turned back into the event API Gateway
would send for it (``tests/e2e/cloud/stage.py`` refuses one without the stage, as AWS does).
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

import pytest
import requests

from tests.e2e.cloud.stage import BASE_URL, Gateway, base, gateway_for

if TYPE_CHECKING:
    from tests.e2e.cloud import CloudEnv
    from tests.media import Generated

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway(cloud: CloudEnv) -> Gateway:
    return gateway_for(cloud)


def test_a_presigned_upload_completes_at_the_complete_url_it_was_given(
    cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated
):
    # GIVEN an upload started at the stack's URL
    data = cuts_clip.path.read_bytes()
    announce = json.dumps({"name": "cuts.mp4", "content_type": "video/mp4", "size": len(data)})
    status, target = gateway.call(
        "POST", "/v1/uploads", announce, **{"Content-Type": "application/json"}
    )
    assert status == 201, target
    # THEN its complete_url keeps the stage
    assert target["complete_url"] == f"{BASE_URL}/v1/uploads/{target['file_id']}/complete"
    # WHEN the bytes go to the presigned S3 URL and the client POSTs the complete_url as given
    put = requests.put(target["upload_url"], data=data, headers=target["headers"], timeout=30)
    assert put.status_code == 200, put.text
    status, done = gateway.call("POST", target["complete_url"])
    # THEN the upload is checked and usable
    assert status == 200, done
    assert (done["file_id"], done["media_type"]) == (target["file_id"], "video")
    assert done["url"] == f"storage://{target['file_id']}"


def test_a_jobs_location_resolves_to_the_job_behind_the_stage(
    cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated
):
    # GIVEN a file uploaded directly
    source = _upload(gateway, cuts_clip)
    # WHEN a job is created and the client follows its Location from the URL it called
    payload = json.dumps({"sources": [source], "modules": {"scenes": {}}})
    created_at = base("/v1/jobs")
    status, job = gateway.call("POST", created_at, payload, **{"Content-Type": "application/json"})
    assert status in (201, 202), job
    location = gateway.location(created_at)
    # THEN it names the job under the stage, and reading it there answers the job
    assert location == f"{BASE_URL}/v1/jobs/{job['id']}"
    status, polled = gateway.call("GET", location)
    assert status == 200, polled
    assert polled["id"] == job["id"]
    # AND its results link is absolute under the stage (FRAMELENS_PUBLIC_BASE_URL, set by the
    # stack to the stage's URL for every function that renders job views and webhook bodies)
    link = polled["result"]["detailed_link"]
    assert link == f"{BASE_URL}/v1/jobs/{job['id']}/results"
    assert cloud.wait_execution(job["id"])["status"] == "SUCCEEDED"
    status, page = gateway.call("GET", link)
    assert status == 200, page
    assert page["total"] >= 1


def test_a_link_without_the_stage_reaches_no_route(gateway: Gateway):
    # What a host-root link (the stage dropped) does: stage "v1", path /uploads/..., a 404.
    status, body = gateway.call("GET", BASE_URL.removesuffix("/v1") + "/v1/uploads/f_x/complete")
    assert status == 404, body


def test_an_artifact_over_the_inline_limit_is_a_307_to_a_presigned_s3_get(
    cloud: CloudEnv, gateway: Gateway, cuts_clip: Generated
):
    # GIVEN a finished job whose results name two artifacts: one just under what a Lambda
    # response carries inline (4.4 MB of bytes, base64 in a 6 MB payload), one just over
    from framelens.stores import layout

    source = _upload(gateway, cuts_clip)
    payload = json.dumps({"sources": [source], "modules": {"scenes": {}}})
    status, job = gateway.call("POST", "/v1/jobs", payload, **{"Content-Type": "application/json"})
    assert cloud.wait_execution(job["id"])["status"] == "SUCCEEDED"
    limit = cloud.services().settings.max_inline_response_bytes
    small, large = bytes(range(256)) * ((limit - 4096) // 256), b"\x01" * (limit + 4096)
    for name, data in (("0/small.mp4", small), ("0/large.mp4", large)):
        cloud.s3.put_object(
            Bucket=cloud.bucket, Key=layout.artifact_key(job["id"], name), Body=data
        )
    # WHEN the client asks the API for each
    status, _ = gateway.call("GET", f"/v1/jobs/{job['id']}/artifacts/0/small.mp4")
    inline = gateway.last
    status_large, _ = gateway.call("GET", f"/v1/jobs/{job['id']}/artifacts/0/large.mp4")
    # THEN the small one comes inline, inside Lambda's 6 MB response payload
    assert status == 200
    assert len(json.dumps(inline).encode()) <= 6 * 1024 * 1024
    assert base64.b64decode(inline["body"]) == small
    # AND the large one is a 307 to S3 (absolute, untouched by the stage), which serves it
    assert status_large == 307
    location = {k.lower(): v for k, v in gateway.last["headers"].items()}["location"]
    assert "X-Amz-Signature=" in location and not location.startswith(BASE_URL)
    fetched = requests.get(location, timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == large


def _upload(gateway: Gateway, clip: Generated) -> str:
    from urllib3 import encode_multipart_formdata

    body, content_type = encode_multipart_formdata(
        {"file": (clip.path.name, clip.path.read_bytes(), "video/mp4")}
    )
    status, uploaded = gateway.call("POST", "/v1/media", body, **{"Content-Type": content_type})
    assert status == 201, uploaded
    return str(uploaded["url"])


def test_the_viewer_page_and_its_calls_resolve_under_the_stage(gateway: Gateway) -> None:
    # WHEN the viewer is opened at the stack's URL
    status, page = gateway.call("GET", f"{BASE_URL}/")
    # THEN its <base> is the stage, and its style and modules (relative to it) load there
    assert status == 200
    assert '<base href="/v1/">' in page
    assert 'href="viewer/app.css"' in page and 'src="viewer/app.js"' in page
    status, script = gateway.call("GET", f"{BASE_URL}/viewer/api.js")
    assert status == 200 and "export async function api" in script
