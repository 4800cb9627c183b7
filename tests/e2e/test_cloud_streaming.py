"""Seed 002 in AWS, on moto: API Gateway events → the API function → S3 / the render worker.

API Gateway caps a response at 10 MB and 29 s, so the stored video is a 307 to a short-lived
presigned S3 GET (S3 answers Range itself), renders are made by the render worker (a 202 with
``Retry-After`` until they are in S3, then a 307 to them) and thumbnails are answered inline by
the API function. moto runs an ``InvocationType=Event`` invoke before it returns, so the worker
has finished by the time the API answers 202: the retry finds the render.
"""

from __future__ import annotations

import base64
import io
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

import av
import cv2
import numpy as np
import pytest
from urllib3 import encode_multipart_formdata

from tests.e2e.cloud import TENANT, CloudEnv, LambdaContext, apigw_event, handler_module
from tests.media_indexed import read_index

if TYPE_CHECKING:
    from tests.media import Generated

pytestmark = pytest.mark.slow


class Gateway:
    """The API function behind API Gateway's proxy integration, raw responses."""

    def __init__(self, cloud: CloudEnv, key: str) -> None:
        self.cloud, self.key = cloud, key

    def call(
        self, method: str, path: str, body: bytes | None = None, **headers: str
    ) -> dict[str, Any]:
        name = self.cloud.function("ApiFunction")
        headers = {"X-API-Key": self.key, **headers}
        path, _, query = path.partition("?")
        params = {k: v[0] for k, v in parse_qs(query).items()} or None
        context = {"tenant_id": TENANT, "principalId": "k"}
        event = apigw_event(
            method, path, headers=headers, body=body, authorizer=context, query=params
        )
        module = handler_module("api")
        response: dict[str, Any] = module.handler(event, LambdaContext(name, name))
        raw = response.get("body") or ""
        response["bytes"] = base64.b64decode(raw) if response.get("isBase64Encoded") else raw
        response["headers"] = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        return response

    def upload(self, clip: Generated) -> str:
        body, content_type = encode_multipart_formdata(
            {"file": (clip.path.name, clip.path.read_bytes(), "video/mp4")}
        )
        answer = self.call("POST", "/v1/media", body, **{"Content-Type": content_type})
        assert answer["statusCode"] == 201, answer["bytes"]
        return str(json.loads(answer["bytes"])["file_id"])


@pytest.fixture
def gateway(cloud: CloudEnv) -> Gateway:
    secret, _ = cloud.services().keys.create(TENANT)
    return Gateway(cloud, secret)


def _object(cloud: CloudEnv, url: str) -> tuple[str, dict[str, list[str]]]:
    """The S3 key a presigned URL of the media bucket names, and its query."""
    parsed = urlparse(url)
    path = parsed.path.lstrip("/")
    key = path.removeprefix(f"{cloud.bucket}/") if path.startswith(cloud.bucket) else path
    assert cloud.bucket in parsed.netloc or path.startswith(cloud.bucket), url
    return key, parse_qs(parsed.query)


def test_video_is_a_redirect_to_a_short_lived_presigned_s3_get(
    cloud: CloudEnv, gateway: Gateway, indexed_av_video: Generated
) -> None:
    # GIVEN an uploaded video
    file_id = gateway.upload(indexed_av_video)
    # WHEN the whole video is asked for, with a Range
    answer = gateway.call("GET", f"/api/v1/file/{file_id}/video", Range="bytes=0-99")
    # THEN API Gateway gets a 307 to the stored object, valid for the presign expiry only,
    # never cached by the client, and S3 serves that object's bytes (and the Range) itself
    assert answer["statusCode"] == 307
    assert answer["headers"]["cache-control"] == "no-store"
    key, query = _object(cloud, answer["headers"]["location"])
    assert key == f"media/{TENANT}/{file_id}"
    assert int(query["X-Amz-Expires"][0]) <= 3600
    stored = cloud.s3.get_object(Bucket=cloud.bucket, Key=key, Range="bytes=0-99")
    assert stored["Body"].read() == indexed_av_video.path.read_bytes()[:100]
    # AND another tenant gets 404
    other = Gateway(cloud, cloud.services().keys.create("globex")[0])
    other_answer = other.call("GET", f"/api/v1/file/{file_id}/video")
    assert other_answer["statusCode"] == 404


def test_thumbnail_is_answered_inline_by_the_api_function(
    gateway: Gateway, indexed_av_video: Generated
) -> None:
    file_id = gateway.upload(indexed_av_video)
    answer = gateway.call("GET", f"/api/v1/file/{file_id}/thumbnail?frame=37")
    assert answer["statusCode"] == 200, answer["bytes"]
    assert answer["headers"]["content-type"] == "image/jpeg"
    assert answer["headers"]["cache-control"] == "public, max-age=86400"
    image = cv2.imdecode(np.frombuffer(answer["bytes"], np.uint8), cv2.IMREAD_COLOR)
    assert read_index(image) == 37


def test_a_clip_is_rendered_by_the_worker_then_redirected_to(
    cloud: CloudEnv, gateway: Gateway, indexed_av_video: Generated
) -> None:
    # GIVEN an uploaded video
    file_id = gateway.upload(indexed_av_video)
    path = f"/api/v1/file/{file_id}/clip?start_frame=10&end_frame=19&audio=off"
    # WHEN a clip is asked for
    first = gateway.call("GET", path)
    # THEN 202 with a retry hint, and the render worker was sent the task (once)
    assert first["statusCode"] == 202
    assert int(first["headers"]["retry-after"]) > 0
    assert json.loads(first["bytes"])["status"] == "rendering"
    render = cloud.wait_invocation("RenderFunction")
    assert render.error is None, render.error
    assert render.event["file_id"] == file_id and render.event["render"]["kind"] == "clip"
    # WHEN asked again THEN a 307 to the render in S3, which holds exactly the 10 frames
    second = gateway.call("GET", path)
    assert second["statusCode"] == 307
    key, _ = _object(cloud, second["headers"]["location"])
    assert key.startswith(f"renders/{TENANT}/{file_id}/clip-") and key.endswith(".ts")
    data = cloud.s3.get_object(Bucket=cloud.bucket, Key=key)["Body"].read()
    with av.open(io.BytesIO(data)) as container:
        assert container.format.name == "mpegts"
        indices = [read_index(f.to_ndarray(format="bgr24")) for f in container.decode(video=0)]
    assert indices == list(range(10, 20))
    # AND the pending marker is gone, and only one render was asked for
    listed = cloud.s3.list_objects_v2(Bucket=cloud.bucket, Prefix=f"renders/{TENANT}/{file_id}/")
    assert not [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(".pending.json")]
    renders = [i for i in cloud.invocations if i.function == cloud.function("RenderFunction")]
    assert len(renders) == 1


def test_a_large_file_is_indexed_by_the_worker_before_its_first_thumbnail(
    cloud: CloudEnv, gateway: Gateway, indexed_av_video: Generated, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a deployment that demuxes nothing over 1 KB inside a request
    from tests.e2e.cloud import reset_handler_caches

    monkeypatch.setenv("FRAMELENS_INLINE_INDEX_MAX_BYTES", "1024")
    reset_handler_caches()
    file_id = gateway.upload(indexed_av_video)
    # WHEN its first thumbnail is asked for THEN 202 while the worker builds the frame index
    first = gateway.call("GET", f"/api/v1/file/{file_id}/thumbnail?frame=60")
    assert first["statusCode"] == 202
    task = cloud.wait_invocation("RenderFunction").event
    assert task["render"]["kind"] == "index"
    # AND then the thumbnail is answered inline, exactly frame 60
    second = gateway.call("GET", f"/api/v1/file/{file_id}/thumbnail?frame=60")
    assert second["statusCode"] == 200
    image = cv2.imdecode(np.frombuffer(second["bytes"], np.uint8), cv2.IMREAD_COLOR)
    assert read_index(image) == 60


def test_overlay_without_an_analysis_is_404_before_any_render(
    cloud: CloudEnv, gateway: Gateway, indexed_av_video: Generated
) -> None:
    file_id = gateway.upload(indexed_av_video)
    answer = gateway.call("GET", f"/api/v1/file/{file_id}/video/bbox")
    assert answer["statusCode"] == 404
    assert "objects" in json.loads(answer["bytes"])["error"]["message"]
    assert not [i for i in cloud.invocations if i.function == cloud.function("RenderFunction")]
