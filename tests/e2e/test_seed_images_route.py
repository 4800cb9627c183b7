"""Seed 001 image batch through HTTP with the real models: tags, persons and texts per image,
items that fail alone, the caps, webhooks, latency per image, and items analysed in parallel."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from typing import TYPE_CHECKING, Any

import cv2
import pytest

from tests.e2e.seed_clients import SeedApi, seed_api
from tests.media_text import fonts, png_bytes, text_image
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator

    import httpx

    from tests.e2e.conftest import Receiver

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytestmark = pytest.mark.slow
if not (MODELS / "efficientnet_lite0_imagenet1k.onnx").is_file():
    pytest.skip("FRAMELENS_MODEL_DIR lacks the tag models", allow_module_level=True)


def photo(name: str) -> str:
    """A scikit-image photo as raw base64 JPEG."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(getattr(skimage_data, name)(), cv2.COLOR_RGB2BGR))
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


def done(resp: httpx.Response) -> bool:
    return resp.json()["status"] in ("finished", "failed", "cancelled")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedApi]:
    made = seed_api(tmp_path_factory.mktemp("images"), workers=2)
    yield made
    made.close()


@pytest.fixture(scope="module")
def batch(api: SeedApi) -> dict[str, Any]:
    """One batch: three photos, a sign, and three items that cannot be analysed."""
    sign = base64.b64encode(png_bytes(text_image("Kitchen", fonts()[1], 48))).decode()
    images = [
        {"external_id": "coffee", "data_base64": photo("coffee")},
        {"external_id": "cat", "data_base64": photo("chelsea")},
        {"external_id": "uri", "data_base64": "data:image/jpeg;base64," + photo("coffee")},
        {"external_id": "astronaut", "data_base64": photo("astronaut")},
        {"external_id": "bad64", "data_base64": "not base64 at all!"},
        {"external_id": "text", "data_base64": base64.b64encode(b"plain words " * 20).decode()},
        {"external_id": "sign", "data_base64": sign},
    ]
    resp = api.post("/v1/images?critical=Cat", json={"images": images})
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["job_id"]
    assert resp.headers["Location"] == f"/v1/images/{job_id}"
    body = api.poll(resp.headers["Location"], done).json()
    assert body["status"] == "finished", body
    return body


def _item(body: dict[str, Any], external_id: str) -> dict[str, Any]:
    return next(i for i in body["items"] if i["external_id"] == external_id)


def test_items_come_back_in_order_sent(batch: dict[str, Any]) -> None:
    ids = [i["external_id"] for i in batch["items"]]
    assert ids == ["coffee", "cat", "uri", "astronaut", "bad64", "text", "sign"]


def test_coffee_is_espresso_in_a_cup(batch: dict[str, Any]) -> None:
    item = _item(batch, "coffee")
    assert item["status"] == "finished"
    tags = [t["tag"] for t in item["result"]["tags"]]
    assert {"espresso", "cup"} <= set(tags[:3])
    assert all(set(t) == {"tag", "probability", "is_critical"} for t in item["result"]["tags"])


def test_chelsea_is_a_cat_and_critical_when_asked(batch: dict[str, Any]) -> None:
    tags = {t["tag"]: t for t in _item(batch, "cat")["result"]["tags"]}
    assert tags["cat"]["probability"] > 0.5
    assert tags["cat"]["is_critical"] is True  # `critical=Cat`: case-insensitive
    assert not any(t["is_critical"] for name, t in tags.items() if name != "cat")
    assert not any(t["is_critical"] for t in _item(batch, "coffee")["result"]["tags"])


def test_the_astronaut_is_a_person_without_an_embedding_by_default(
    api: SeedApi, batch: dict[str, Any]
) -> None:
    (person,) = _item(batch, "astronaut")["result"]["person_ids"]
    assert person["face_embedding"] is None
    assert person["relative_prominence"] == 1.0
    assert 10 < person["age"] < 80
    assert person["gender"] in ("female", "male", "unidentified")
    # AND its thumbnail is a URL serving a JPEG of the face
    thumb = api.get(person["face_thumbnail"])
    assert thumb.status_code == 200
    assert thumb.content[:3] == b"\xff\xd8\xff"
    assert _item(batch, "coffee")["result"]["person_ids"] == []


def test_the_sign_is_read(batch: dict[str, Any]) -> None:
    (text,) = _item(batch, "sign")["result"]["ocr_results"]
    assert text["full_text"] == "Kitchen"
    assert set(text) == {"language_code", "full_text"}  # seed 001: images have no time_segment
    assert text["language_code"] == "und" or len(text["language_code"]) == 2


@pytest.mark.parametrize(
    ("external_id", "code"),
    [("uri", "data_uri"), ("bad64", "invalid_base64"), ("text", "unsupported_media_type")],
)
def test_an_item_that_cannot_be_analysed_fails_alone(
    batch: dict[str, Any], external_id: str, code: str
) -> None:
    item = _item(batch, external_id)
    assert item["status"] == "failed"
    assert item["result"] is None
    assert item["error"]["code"] == code
    assert item["error"]["message"]


def test_latency_per_image_is_observed(api: SeedApi, batch: dict[str, Any]) -> None:
    body = api.get("/v1/latency?media_type=image").json()
    assert body["unit"] == "image"
    assert body["latency_ms_per_unit"] > 0


def test_embeddings_only_when_asked(api: SeedApi) -> None:
    images = [{"external_id": "a", "data_base64": photo("astronaut")}]
    resp = api.post("/v1/images?include_embeddings=true", json={"images": images})
    body = api.poll(resp.headers["Location"], done).json()
    (person,) = body["items"][0]["result"]["person_ids"]
    assert len(person["face_embedding"]) == 128


def test_a_batch_with_no_readable_image_is_422_with_each_reason(api: SeedApi) -> None:
    images = [{"external_id": "x", "data_base64": "@@"}, {"external_id": "y", "data_base64": ""}]
    resp = api.post("/v1/images", json={"images": images})
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["code"] == "no_valid_images"
    assert [i["error"]["code"] for i in error["details"]["items"]] == [
        "invalid_base64",
        "empty_image",
    ]


@pytest.mark.parametrize(
    "body",
    [{"images": []}, {"images": [{"external_id": "a"}]}, {"pictures": []}, "not json"],
)
def test_a_malformed_body_is_422(api: SeedApi, body: Any) -> None:
    if isinstance(body, str):
        resp = api.post("/v1/images", content=body.encode())
    else:
        resp = api.post("/v1/images", json=body)
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "validation_error"


def test_the_caps_on_items_and_bytes(tmp_path_factory: pytest.TempPathFactory) -> None:
    made = seed_api(
        tmp_path_factory.mktemp("caps"), image_batch_max_items=2, image_batch_max_bytes=180_000
    )
    try:
        tiny = base64.b64encode(png_bytes(text_image("a", fonts()[0], 8, size=(16, 16))))
        # more items than the cap: 422 naming it
        resp = made.post(
            "/v1/images", json={"images": [{"external_id": "t", "data_base64": tiny.decode()}] * 3}
        )
        assert resp.status_code == 422
        assert resp.json()["error"]["code"] == "too_many_images"
        assert "at most 2" in resp.json()["error"]["message"]
        # images adding up to more than the byte cap (2 x ~105 kB): 413 saying to split the batch
        small = {"external_id": "c", "data_base64": photo("coffee")}
        assert 90_000 < len(base64.b64decode(small["data_base64"])) < 180_000
        resp = made.post("/v1/images", json={"images": [small, small]})
        assert resp.status_code == 413
        assert "split" in resp.json()["error"]["message"]
        # a body far larger than the cap is refused before it is parsed
        resp = made.post("/v1/images", content=b"{" + b" " * 400_000 + b"}")
        assert resp.status_code == 413
    finally:
        made.close()


def test_a_signed_webhook_is_sent_when_the_batch_ends(
    tmp_path_factory: pytest.TempPathFactory, receiver: Receiver
) -> None:
    made = seed_api(
        tmp_path_factory.mktemp("hook"), allow_private_network=True, webhook_backoff_s=0.02
    )
    try:
        images = [{"external_id": "c", "data_base64": photo("coffee")}]
        webhook = {"url": receiver.url, "secret": "s3cret"}
        resp = made.post("/v1/images", json={"images": images, "webhook": webhook})
        assert resp.status_code == 202, resp.text
        receiver.wait_calls(1, timeout_s=60)
        headers, body = receiver.calls[0]
        expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        assert headers["X-Webhook-Signature"] == expected
        assert receiver.bodies()[0]["id"] == resp.json()["job_id"]
    finally:
        made.close()


def test_items_of_a_batch_are_analysed_in_parallel(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # GIVEN two workers, and an analyze stage that only goes on once two items are inside it
    made = seed_api(tmp_path_factory.mktemp("parallel"), workers=2)
    barrier = threading.Barrier(2, timeout=20)

    def hook(stage: str) -> None:
        if stage == "analyze":
            barrier.wait()  # one item at a time would break the barrier: that item fails

    try:
        assert made.services.runner is not None
        made.services.runner.stage_hook = hook
        images = [{"external_id": n, "data_base64": photo(n)} for n in ("coffee", "chelsea")]
        resp = made.post("/v1/images", json={"images": images})
        # THEN the batch finishes: both items were in the stage at the same time
        body = made.poll(resp.headers["Location"], done).json()
        assert body["status"] == "finished", body
        assert [i["status"] for i in body["items"]] == ["finished", "finished"]
    finally:
        if made.services.runner is not None:
            made.services.runner.stage_hook = None
        made.close()


def test_another_tenant_and_another_kind_of_job_are_404(
    api: SeedApi, batch: dict[str, Any]
) -> None:
    other, _ = api.services.keys.create("othertenant")
    resp = api.client.get(f"/v1/images/{batch['job_id']}", headers={"X-API-Key": other})
    assert resp.status_code == 404
    url = api.post("/v1/media", files={"file": ("c.jpg", base64.b64decode(photo("coffee")))})
    job = api.post("/v1/jobs", json={"sources": [url.json()["url"]], "modules": {"probe": {}}})
    assert api.get(f"/v1/images/{job.json()['id']}").status_code == 404
    assert api.get("/v1/images/no-such-job").status_code == 404
