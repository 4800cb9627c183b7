"""Seed 000 detection with licence plates: ``model=yolox_nano_coco80+lpd_yunet_2023mar`` and the
``classes`` filter through ``POST /detection/detect/media``; classes no installed model has
(``helmet``: bring your own detector) are a 400 that says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.seed_clients import SeedApi, seed_api
from tests.media_text import png_bytes
from tests.shared import MODELS
from tests.unit.test_plates import plate_picture

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow
if not (MODELS / "license_plate_detection_lpd_yunet_2023mar.onnx").is_file():
    pytest.skip("FRAMELENS_MODEL_DIR lacks the plate model", allow_module_level=True)

ROUTE = "/detection/detect/media"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedApi]:
    made = seed_api(tmp_path_factory.mktemp("plates"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def plate_png() -> bytes:
    """A drawn Chinese-style plate on a car body (``tests.unit.test_plates``), 640x480."""
    return png_bytes(plate_picture(2))


def _detect(api: SeedApi, query: str, data: bytes) -> tuple[int, dict]:
    resp = api.post(f"{ROUTE}{query}", files={"file": ("car.png", data, "image/png")})
    return resp.status_code, resp.json()


@pytest.mark.parametrize(
    "model",
    ["yolox_nano_coco80%2Blpd_yunet_2023mar", "yolox_nano_coco80+lpd_yunet_2023mar"],
    ids=["plus-encoded", "plus-as-space"],
)
def test_plates_come_back_with_coco_classes(api: SeedApi, plate_png: bytes, model: str) -> None:
    # WHEN the combined model is asked for (a bare "+" arrives as a space: accepted too)
    status, body = _detect(api, f"?model={model}", plate_png)
    # THEN seed 000's body holds the plate, named as the seed names it, in source pixels
    assert status == 200, body
    (frame,) = body["data"]
    plates = [d for d in frame["detections"] if d["class"] == "car license plate"]
    assert len(plates) == 1
    x1, y1, x2, y2 = plates[0]["bbox"]
    assert abs(x1 - 210) < 20 and abs(y1 - 264) < 20 and abs(x2 - 430) < 20 and abs(y2 - 334) < 20
    assert plates[0]["confidence"] > 0.8


def test_the_classes_filter_keeps_only_plates(api: SeedApi, plate_png: bytes) -> None:
    query = "?model=yolox_nano_coco80%2Blpd_yunet_2023mar&classes=car%20license%20plate"
    status, body = _detect(api, query, plate_png)
    assert status == 200, body
    assert {d["class"] for d in body["data"][0]["detections"]} == {"car license plate"}


def test_a_class_no_installed_model_has_is_400_naming_it(api: SeedApi, plate_png: bytes) -> None:
    # helmets are bring-your-own: no shipped model detects them
    status, body = _detect(api, "?classes=helmet", plate_png)
    assert status == 400, body
    assert "helmet" in body["error"]["message"]
