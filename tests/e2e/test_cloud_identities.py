"""Enrolment in AWS, on moto: the API function (no dlib, no OpenCV there) answers 202 with a job;
the state machine finds the face on the CPU branch and its Aggregate state makes the identity.

A photo with no face fails the job with the error naming it, which the client reads by polling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from urllib3 import encode_multipart_formdata

from tests.e2e.cloud import TENANT, CloudEnv
from tests.e2e.test_cloud_api import Gateway
from tests.media_faces import astronaut, coffee, encode
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow
pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")
if not (MODELS / "face_detection_yunet_2026may.onnx").is_file():
    pytest.skip(f"{MODELS} lacks the face models", allow_module_level=True)


@pytest.fixture
def gateway(cloud: CloudEnv) -> Iterator[Gateway]:
    secret, _ = cloud.services().keys.create(TENANT)
    yield Gateway(cloud, secret)


def _enrol(gateway: Gateway, name: str, photo: str, data: bytes) -> tuple[int, Any]:
    body, content_type = encode_multipart_formdata(
        [("name", name), ("images", (photo, data, "image/png"))]
    )
    return gateway.request(
        "POST", "/v1/galleries/crew/identities", body, **{"Content-Type": content_type}
    )


def test_enrolment_is_a_job_after_which_the_identity_exists(cloud: CloudEnv, gateway: Gateway):
    # GIVEN a photo of one person, sent to the API function through the gateway
    status, accepted = _enrol(gateway, "Ann", "astronaut.png", encode(astronaut()))

    # THEN it is accepted as a job (the faces are found by the pipeline, not the API)
    assert status == 202, accepted
    identity_id = accepted["identity_id"]
    assert accepted["status_url"] == f"/v1/jobs/{accepted['job_id']}"
    assert gateway.request("GET", f"/v1/identities/{identity_id}")[0] == 404  # not yet

    # WHEN its execution runs
    execution = cloud.wait_execution(accepted["job_id"])

    # THEN the photo was analyzed on the CPU branch (no GPU instance for one photo), the job
    # finished naming the identity, and the identity exists with the photo's one face
    assert execution["status"] == "SUCCEEDED", cloud.history(accepted["job_id"])[-3:]
    inference = cloud.function("PipelineInference")
    assert [i.event["stage"] for i in cloud.invocations if i.function == inference] == ["analyze"]
    assert cloud.gpu_tasks == []
    status, job = gateway.request("GET", accepted["status_url"])
    assert status == 200 and job["state"] == "finished", job
    assert job["result"]["summary"][0]["identity_id"] == identity_id
    status, identity = gateway.request("GET", accepted["identity_url"])
    assert status == 200, identity
    assert (identity["name"], identity["gallery"], identity["faces"]) == ("Ann", "crew", 1)
    status, listed = gateway.request("GET", "/v1/galleries/crew/identities")
    assert [i["id"] for i in listed["data"]] == [identity_id]


def test_a_photo_without_a_face_fails_the_job_naming_it(cloud: CloudEnv, gateway: Gateway):
    # GIVEN a photo of a cup of coffee
    status, accepted = _enrol(gateway, "Nobody", "coffee.png", encode(coffee()))
    assert status == 202, accepted

    # WHEN the job runs
    execution = cloud.wait_execution(accepted["job_id"])

    # THEN it failed through the failure path with the error naming the photo, and no
    # identity was made
    assert execution["status"] == "FAILED"
    assert "MarkFailed" in cloud.entered_states(accepted["job_id"])
    status, job = gateway.request("GET", accepted["status_url"])
    assert job["state"] == "failed"
    assert job["error"]["code"] == "bad_request"
    assert "no face was found in coffee.png" in job["error"]["message"]
    assert gateway.request("GET", accepted["identity_url"])[0] == 404
