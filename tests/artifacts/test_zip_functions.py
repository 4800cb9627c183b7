"""The zip functions run from their artifact: the layer built from its lock, for Lambda's
Python, with nothing else on the path, on real media and real events against moto.

A dependency the layer forgets (PyAV, say) fails these tests: the upload and the S3 drop
probe and check media by content inside the function.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import TYPE_CHECKING

import pytest

from infra.artifacts import ARTIFACTS, read_lock
from tests.artifacts.build import FUNCTIONS, LAMBDA_UNZIPPED_LIMIT, tree_bytes
from tests.artifacts.runtime import ArtifactFunction
from tests.e2e.cloud import TENANT, apigw_event, authorizer_event
from tests.shared import media

if TYPE_CHECKING:
    from tests.artifacts.conftest import ArtifactCloud

pytestmark = pytest.mark.slow
VIDEO = media("car_traffic_bridge_640x360.mp4")
HEAVY = ("cv2", "numpy", "onnxruntime")


def _multipart(field: str, name: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return (
        head + data + f"\r\n--{boundary}--\r\n".encode(),
        f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture(scope="module")
def key(cloud_artifacts: ArtifactCloud) -> str:
    secret, _ = cloud_artifacts.env.services().keys.create(TENANT)
    return str(secret)


def _upload(cloud: ArtifactCloud, key: str, name: str, data: bytes, content_type: str):
    body, header = _multipart("file", name, data, content_type)
    event = apigw_event(
        "POST", "/v1/media", headers={"content-type": header, "x-api-key": key}, body=body
    )
    return cloud.invoke("ApiFunction", event).ok()


def test_layer_with_library_and_largest_function_fits_lambdas_unzipped_limit(
    layer_packages, library
):
    # GIVEN the layer built from its lock, the core layer and the biggest function folder
    code = max(tree_bytes(FUNCTIONS / name) for name in ("api", "authorizer", "ingest"))
    total = tree_bytes(layer_packages) + tree_bytes(library) + code
    # THEN Lambda accepts them together (250 MB unzipped)
    assert total <= LAMBDA_UNZIPPED_LIMIT, f"{total / 2**20:.0f} MiB"


def test_api_uploads_a_real_video_and_probes_it(cloud_artifacts, key):
    # GIVEN a real H.264 clip sent as multipart through API Gateway's proxy event
    # WHEN the API function (layer artifact) handles it
    response = _upload(cloud_artifacts, key, "bridge.mp4", VIDEO.read_bytes(), "video/mp4")
    # THEN it is stored and probed by content (PyAV inside the layer)
    assert response["statusCode"] == 201, response["body"][:500]
    body = json.loads(response["body"])
    assert body["media_type"] == "video"
    assert body["probe"]["width"] == 640 and body["probe"]["height"] == 360
    assert 29 < body["probe"]["duration_s"] < 32


def test_api_uploads_a_real_image_and_probes_it_without_opencv(cloud_artifacts, key):
    import av

    with av.open(str(VIDEO)) as container:
        frame = next(container.decode(video=0))
    jpeg = io.BytesIO()
    frame.to_image().save(jpeg, format="JPEG")
    response = _upload(cloud_artifacts, key, "frame.jpg", jpeg.getvalue(), "image/jpeg")
    assert response["statusCode"] == 201, response["body"][:500]
    body = json.loads(response["body"])
    assert (body["media_type"], body["probe"]["width"], body["probe"]["height"]) == (
        "image",
        640,
        360,
    )


def test_api_cold_path_loads_no_analysis_package(cloud_artifacts):
    loaded = set(cloud_artifacts.function("ApiFunction").modules)
    assert not loaded & set(HEAVY)


def test_an_s3_drop_becomes_a_job_through_the_ingest_artifact(cloud_artifacts):
    # GIVEN a real clip dropped under uploads/ with the tenant and modules as metadata
    env = cloud_artifacts.env
    key = f"uploads/{uuid.uuid4().hex}/bridge.mp4"
    env.s3.put_object(
        Bucket=env.bucket,
        Key=key,
        Body=VIDEO.read_bytes(),
        Metadata={"tenant": TENANT, "modules": "scenes"},
    )
    # WHEN S3's notification invokes the ingest function (moto → the artifact process)
    invocation = env.wait_ingest(key, timeout_s=90)
    # THEN a job exists for it and its pipeline was started
    assert invocation.error is None, invocation.error
    (job_id,) = invocation.result["created"]
    assert env.job_item(job_id).tenant_id == TENANT
    executions = env.sfn.list_executions(stateMachineArn=env.state_machine_arn)["executions"]
    assert job_id in {e["name"] for e in executions}
    listed = env.s3.list_objects_v2(Bucket=env.bucket, Prefix="ingest-errors/")
    assert listed.get("KeyCount", 0) == 0


def test_an_s3_drop_that_is_not_media_is_recorded_not_retried(cloud_artifacts):
    env = cloud_artifacts.env
    folder = uuid.uuid4().hex
    key = f"uploads/{folder}/notes.mp4"
    env.s3.put_object(
        Bucket=env.bucket, Key=key, Body=b"not a video at all" * 100,
        Metadata={"tenant": TENANT, "modules": "scenes"},
    )  # fmt: skip
    invocation = env.wait_ingest(key, timeout_s=90)
    assert invocation.error is None  # a FramelensError: recorded, never a retry into the DLQ
    assert invocation.result["refused"]
    listed = env.s3.list_objects_v2(Bucket=env.bucket, Prefix="ingest-errors/")
    keys = [o["Key"] for o in listed.get("Contents", [])]
    # (the record is named after the key as the event spells it: moto encodes "/" too)
    assert any(folder in k and k.endswith("notes.mp4.json") for k in keys), keys


def test_authorizer_artifact_allows_a_key_and_refuses_others(cloud_artifacts, key):
    allowed = cloud_artifacts.invoke(
        "ApiAuthorizerFunction", authorizer_event("GET", "/v1/jobs", {"x-api-key": key})
    ).ok()
    assert allowed["context"]["tenant_id"] == TENANT
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    refused = cloud_artifacts.invoke(
        "ApiAuthorizerFunction", authorizer_event("GET", "/v1/jobs", {"x-api-key": "fl_nope"})
    )
    assert (refused.error_type, refused.error_message) == ("Exception", "Unauthorized")


# A handler that reports what the layer's packages are, from inside the artifact's process.
_VERSIONS_HANDLER = """
import importlib


def handler(event, context):
    found = {}
    for name in event["modules"]:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found[name] = [module.__version__, module.__file__]
    return found
"""


def test_the_layer_lock_is_what_the_artifact_runs(
    python312, layer_packages, library, tmp_path, cloud_artifacts
):
    # GIVEN a process laid out as the API function is (its layer built from the lock, the
    # library), with a handler that imports av (and numpy, if the layer had it)
    code = tmp_path / "code"
    code.mkdir()
    (code / "versions.py").write_text(_VERSIONS_HANDLER, encoding="utf-8")
    api_paths = cloud_artifacts.paths["ApiFunction"][1:]
    assert api_paths == [layer_packages, library]
    process = ArtifactFunction(
        "LayerVersions", python=python312, paths=[code, *api_paths], environment={},
        tmp_dir=tmp_path / "tmp", handler="versions.handler",
    )  # fmt: skip
    try:
        # WHEN it reports the versions it imported
        found = process.invoke({"modules": ["av", "numpy"]}).ok()
    finally:
        process.close()
    # THEN av comes from the layer at the lock's version; numpy only if the lock pins it
    pins = read_lock(ARTIFACTS["layer"].lock)
    version, where = found["av"]
    assert version == pins["av"]
    assert where.startswith(str(layer_packages))
    assert ("numpy" in found) == ("numpy" in pins)
    if "numpy" in pins:
        assert found["numpy"][0] == pins["numpy"]


def test_a_request_over_lambdas_6mb_payload_never_reaches_the_function(cloud_artifacts, key):
    # API Gateway accepts 10 MB, but the base64 event of a 5 MB body is over Lambda's 6 MB.
    data = b"\0" * (5 * 1024 * 1024)
    body, header = _multipart("file", "big.mp4", data, "video/mp4")
    event = apigw_event(
        "POST", "/v1/media", headers={"content-type": header, "x-api-key": key}, body=body
    )
    answer = cloud_artifacts.invoke("ApiFunction", event)
    assert answer.error_type == "RequestEntityTooLargeException"


def test_an_upload_over_the_direct_limit_gets_a_413_naming_uploads(cloud_artifacts, key):
    # GIVEN a body just over the API's direct-upload limit (still under the 6 MB event)
    env = cloud_artifacts.env.function_env[cloud_artifacts.env.function("ApiFunction")]
    limit = int(env["FRAMELENS_MAX_UPLOAD_BYTES"])
    body, header = _multipart("file", "big.mp4", b"\0" * (limit + 1024), "video/mp4")
    assert len(base64.b64encode(body)) < 6 * 1024 * 1024 - 64 * 1024
    event = apigw_event(
        "POST", "/v1/media", headers={"content-type": header, "x-api-key": key}, body=body
    )
    # WHEN the API function handles it THEN a 413 says where large files go
    response = cloud_artifacts.invoke("ApiFunction", event).ok()
    assert response["statusCode"] == 413
    assert "/v1/uploads" in json.loads(response["body"])["error"]["message"]


def test_api_answers_a_frame_exact_thumbnail_from_the_layer_without_numpy(cloud_artifacts, key):
    # GIVEN a real clip uploaded through the API artifact, whose layer has PyAV but neither
    # numpy nor OpenCV (Lambda's 250 MB)
    import av
    import cv2
    import numpy as np

    assert not {"numpy", "opencv-python-headless"} & set(read_lock(ARTIFACTS["layer"].lock))
    uploaded = _upload(cloud_artifacts, key, "bridge.mp4", VIDEO.read_bytes(), "video/mp4")
    file_id = json.loads(uploaded["body"])["file_id"]
    # WHEN seed 002 asks it for frame 100, then for a face-sized crop of it
    frames = {}
    for name, query in (("full", {"frame": "100"}), ("crop", {"frame": "100", "x": "101",
                        "y": "51", "w": "161", "h": "121"})):  # fmt: skip
        event = apigw_event(
            "GET", f"/api/v1/file/{file_id}/thumbnail", headers={"x-api-key": key}, query=query
        )
        answer = cloud_artifacts.invoke("ApiFunction", event).ok()
        assert answer["statusCode"] == 200, answer["body"][:500]
        assert answer["headers"]["content-type"] == "image/jpeg"
        data = base64.b64decode(answer["body"]) if answer["isBase64Encoded"] else answer["body"]
        frames[name] = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).astype(int)
    # THEN they are frame 100 (as this process decodes it) and the crop of it, answered inline
    with av.open(str(VIDEO)) as container:
        truth = (
            next(f for i, f in enumerate(container.decode(video=0)) if i == 100)
            .to_ndarray(format="bgr24")
            .astype(int)
        )
    assert frames["full"].shape == truth.shape
    assert np.abs(frames["full"] - truth).mean() < 4
    assert np.abs(frames["crop"] - truth[51:172, 101:262]).mean() < 4


def test_the_delivery_function_opens_sealed_secrets_with_the_layers_cryptography(
    cloud_artifacts,
):
    # GIVEN a job webhook queued with its secret sealed (the key from Secrets Manager)
    from framelens.schemas import JobRecord, JobState, WebhookConfig, utcnow

    services = cloud_artifacts.env.services()
    job = JobRecord(
        id=uuid.uuid4().hex,
        tenant_id=TENANT,
        state=JobState.finished,
        sources=["storage://f"],
        modules={},
        webhook=WebhookConfig(url="https://127.0.0.1:9/hook", secret="s3cret"),
        time_completed=utcnow(),
    )
    record = services.deliveries.enqueue_job(job, b'{"id": "j"}')
    assert record is not None and record.secret and record.secret.startswith("fernet:")
    # WHEN the delivery function artifact runs (woken on enqueue, and once more here)
    answer = cloud_artifacts.invoke("WebhooksFunction", {}).ok()
    assert answer["sent"] in (0, 1)
    # THEN it opened the secret and made its attempt: refused for good (a loopback receiver)
    done = services.deliveries.get(TENANT, record.delivery_id)
    assert done.state == "failed" and done.attempts == 1, done
    assert done.last_error is not None and "loopback" in done.last_error
