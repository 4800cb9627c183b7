"""Images and failed jobs in a real browser.

A two-image job (objects, faces, tags, text): the first image is the astronaut beside a line of
printed text, the second a cup of coffee (no person, no face). Each image is shown with its
boxes (a person, her face, the text line: each where it is in the image) and its tags, persons
and text lists. A job that failed shows its reason as the API words it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from tests.browser.conftest import login, screenshot
from tests.shared import MODELS

if TYPE_CHECKING:
    from tests.browser.conftest import Server

pytestmark = pytest.mark.slow
pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")
if not (MODELS / "face_detection_yunet_2026may.onnx").is_file():
    pytest.skip(f"{MODELS} lacks the face models", allow_module_level=True)

TEXT = "HELLO VIEWER"
WIDTH, PHOTO = 960, 512  # the astronaut fills x 0..512; the text is centred in x 512..960


def _astronaut_and_text() -> bytes:
    from tests.media_faces import astronaut, encode
    from tests.media_text import fonts, text_image

    canvas = np.full((PHOTO, WIDTH, 3), 255, np.uint8)
    canvas[:, :PHOTO] = astronaut()
    canvas[196:316, PHOTO:] = text_image(TEXT, fonts()[0], 40, size=(WIDTH - PHOTO, 120))
    return encode(canvas)


def _boxes(section: Any) -> list[dict[str, Any]]:
    """The drawn boxes of a source's section, in image pixels (left, right, kind, label)."""
    return list(
        section.evaluate(
            """(s) => { const img = s.querySelector('img').getBoundingClientRect();
                        const k = s.querySelector('img').naturalWidth / img.width;
                        return [...s.querySelectorAll('.box')].map((b) => {
                          const r = b.getBoundingClientRect();
                          return {kind: b.dataset.kind, label: b.dataset.label,
                                  left: (r.left - img.left) * k, right: (r.right - img.left) * k};
                        }); }"""
        )
    )


def test_an_image_batch_shows_boxes_tags_persons_and_text(page: Any, server: Server) -> None:
    from tests.media_faces import coffee, encode

    key = server.key("images-viewer")
    api = server.client(key)
    # GIVEN a finished job over two images
    urls = []
    for name, data in [("astronaut.png", _astronaut_and_text()), ("coffee.png", encode(coffee()))]:
        up = api.post("/v1/media", files={"file": (name, data, "image/png")})
        assert up.status_code == 201, up.text
        urls.append(up.json()["url"])
    modules = {m: {} for m in ("objects", "faces", "tags", "ocr")}
    job = server.wait(
        api, api.post("/v1/jobs", json={"sources": urls, "modules": modules}).json()["id"]
    )
    assert job["state"] == "finished", job
    # WHEN it is opened
    login(page, server, key, f"#/jobs/{job['id']}")
    page.wait_for_selector(
        "section.source[data-source='1'] .identities, section.source[data-source='1'] ul.ocr"
    )
    first, second = (
        page.locator("section.source[data-source='0']"),
        page.locator("section.source[data-source='1']"),
    )
    page.wait_for_function(
        "document.querySelectorAll('section.source[data-source=\"0\"] .box').length >= 3"
    )
    screenshot(page, "images")
    # THEN the first image has a person and her face on the photo, and the text line beside it
    boxes = _boxes(first)
    person = [b for b in boxes if b["kind"] == "object" and b["label"] == "person"]
    faces = [b for b in boxes if b["kind"] == "face"]
    texts = [b for b in boxes if b["kind"] == "text"]
    assert person and all(b["right"] <= PHOTO + 10 for b in person)
    assert len(faces) == 1 and faces[0]["label"] == "unknown" and faces[0]["right"] <= PHOTO
    assert any(TEXT in b["label"] for b in texts), texts
    assert all(b["left"] >= PHOTO - 10 for b in texts)
    # AND its lists: tags, one person (unknown, with the model's estimates), the text
    assert first.locator("ul.tags li:not(.muted)").count() >= 1
    assert first.locator("ul.faces li").all_inner_texts()[0].startswith("unknown, ")
    assert TEXT in first.locator("ul.ocr").inner_text()
    assert first.locator(".identity").count() == 1
    # AND the coffee has tags but no person, no face and no text
    assert second.locator("ul.tags li:not(.muted)").count() >= 1
    assert second.locator("ul.faces").inner_text() == "none"
    assert second.locator(".box.face, .box.text").count() == 0
    assert second.locator(".box[data-label=person]").count() == 0
    # WHEN the faces overlay is switched off THEN the face box goes, the others stay
    first.locator("input[data-overlay=face]").uncheck()
    assert first.locator(".box.face").count() == 0
    assert first.locator(".box.text").count() >= 1


def test_a_seed_001_image_batch_is_shown_image_by_image(page: Any, server: Server) -> None:
    import base64

    from tests.media_faces import astronaut, encode

    key = server.key("batch-viewer")
    api = server.client(key)
    # GIVEN a seed 001 batch (tags, faces, text) of the astronaut, the text and an unreadable item
    images = [
        {"external_id": "astronaut", "data_base64": base64.b64encode(encode(astronaut())).decode()},
        {"external_id": "text", "data_base64": base64.b64encode(_astronaut_and_text()).decode()},
        {"external_id": "bad", "data_base64": "not base64 at all!"},
    ]
    made = api.post("/v1/images", json={"images": images})
    assert made.status_code == 202, made.text
    job = server.wait(api, made.json()["job_id"])
    assert job["state"] == "finished" and len(job["sources"]) == 2, job
    # WHEN it is opened THEN each readable image is shown with its face box and lists
    login(page, server, key, f"#/jobs/{job['id']}")
    page.wait_for_selector("section.source[data-source='1'] .identities")
    for n in (0, 1):
        section = page.locator(f"section.source[data-source='{n}']")
        section.locator(".box.face").wait_for()
        assert section.locator("ul.tags li:not(.muted)").count() >= 1
        assert section.locator("ul.faces li").all_inner_texts()[0].startswith("unknown, ")
    assert TEXT in page.locator("section.source[data-source='1'] ul.ocr").inner_text()
    assert page.locator("#error").is_hidden()


def test_a_failed_job_shows_its_reason(page: Any, server: Server) -> None:
    from tests.media_faces import coffee, encode

    key = server.key("failed-viewer")
    api = server.client(key)
    up = api.post("/v1/media", files={"file": ("coffee.png", encode(coffee()), "image/png")})
    # GIVEN a job allowed 1 s whose plan stage takes 3 s (it runs past its deadline)
    release = threading.Event()

    def slow(stage: str) -> None:
        if stage == "plan":
            release.wait(3)

    server.services.runner.stage_hook = slow
    try:
        body = {"sources": [up.json()["url"]], "modules": {"tags": {}}}
        made = api.post("/v1/jobs", json=body, headers={"Max-Processing-Time": "1"})
        job = server.wait(api, made.json()["id"], timeout_s=30)
    finally:
        release.set()
        server.services.runner.stage_hook = None
    assert job["state"] == "failed" and job["error"]["code"] == "deadline_exceeded", job
    # WHEN it is opened THEN its state and the API's reason are shown
    login(page, server, key, f"#/jobs/{job['id']}")
    page.wait_for_selector(".job-error")
    assert page.inner_text("#job-state") == "failed"
    shown = page.inner_text(".job-error")
    assert job["error"]["message"] in shown and "Max-Processing-Time" in shown
    assert "(deadline_exceeded)" in shown
    screenshot(page, "failed")
    # AND in the job list it is marked failed
    page.goto(server.url + "/#/")
    page.wait_for_selector(f"tr[data-job-id='{job['id']}'] td.state:text('failed')")
