"""The results viewer in a real browser: upload through the page, watch the job, play, seek,
see overlays, and see the API's own error messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import pytest

from tests.browser.conftest import screenshot
from tests.media import write_video

if TYPE_CHECKING:
    from pathlib import Path

    from tests.browser.conftest import Server

skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytestmark = pytest.mark.slow

FPS, SHOT_FRAMES, SIZE = 10, 20, (480, 320)
BACKGROUNDS = [(60, 60, 60), (40, 140, 40), (150, 60, 20), (30, 90, 160)]
PERSON = (160, 160)


def person_x(frame: int) -> int:
    """Left edge of the pasted person at ``frame`` (12 px a frame from x=20)."""
    return 20 + 12 * frame


@pytest.fixture(scope="module")
def walking_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 shots of 2 s (hard cuts at frames 20, 40, 60: the background changes) with the astronaut
    (a person) sliding right across all of them at y 80..240. Truth: 4 scenes starting at 0, 2,
    4, 6 s; the person's box at frame f is x ``person_x(f)`` .. +160, y 80 .. 240."""
    face = cv2.resize(cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR), PERSON)
    images = []
    for shot, colour in enumerate(BACKGROUNDS):
        for k in range(SHOT_FRAMES):
            frame = shot * SHOT_FRAMES + k
            image = np.full((SIZE[1], SIZE[0], 3), colour, np.uint8)
            x = person_x(frame) % (SIZE[0] - PERSON[0])
            image[80:240, x : x + PERSON[0]] = face
            images.append(image)
    path = tmp_path_factory.mktemp("viewer-media") / "walking.mp4"
    write_video(path, images, fps=FPS)
    return path


def _login(page: Any, server: Server, key: str) -> None:
    page.goto(server.url + "/")
    page.fill("#key-input", key)
    page.click("#key-form button[type=submit]")


def _upload_and_open(page: Any, clip: Path, modules: set[str]) -> None:
    page.wait_for_selector("form.upload input[type=file]")
    page.set_input_files("form.upload input[type=file]", str(clip))
    for box in page.query_selector_all("input[name=module]"):
        box.set_checked(box.get_attribute("value") in modules)
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("tbody tr td.state:text('finished')", timeout=120_000)
    page.click("tbody tr:first-child a")


def test_upload_play_seek_and_overlays(page: Any, server: Server, walking_clip: Path) -> None:
    # GIVEN a key, WHEN the clip is uploaded through the page with scenes and objects
    _login(page, server, server.key())
    _upload_and_open(page, walking_clip, {"scenes", "objects"})
    page.wait_for_selector(".lane[data-lane=scenes] .item")
    screenshot(page, "job")
    # THEN the scenes lane has one block per shot
    assert page.locator(".lane[data-lane=scenes] .item").count() == len(BACKGROUNDS)
    assert page.locator(".lane[data-lane=objects] .item").count() >= 1
    # WHEN the third scene is clicked THEN the video seeks to its start (4 s)
    page.locator(".lane[data-lane=scenes] .item").nth(2).click()
    page.wait_for_function("Math.abs(document.querySelector('video').currentTime - 4.0) < 0.05")
    # WHEN the video is at 1 s THEN a person box is drawn over the generated person
    page.evaluate("document.querySelector('video').currentTime = 1.0")
    expected = {"x": person_x(10) + PERSON[0] / 2, "y": 160, "width": SIZE[0]}
    # The boxes drawn for 4 s stay until the page redraws for 1 s: wait for that redraw (the
    # box over the person at 1 s), then read where it is.
    drawn_at = """(want) => {
        const video = document.querySelector('video').getBoundingClientRect();
        const box = document.querySelector('.box.object[data-label=person]');
        if (!box) return null;
        const r = box.getBoundingClientRect(), scale = video.width / want.width;
        return [(r.x - video.x + r.width / 2) / scale, (r.y - video.y + r.height / 2) / scale];
    }"""
    page.wait_for_function(
        f"(want) => {{ const c = ({drawn_at})(want); "
        "return c && Math.abs(c[0] - want.x) < 40 && Math.abs(c[1] - want.y) < 40; }",
        arg=expected,
        timeout=15_000,
    )
    center = page.evaluate(drawn_at, expected)
    assert abs(center[0] - expected["x"]) < 40 and abs(center[1] - expected["y"]) < 40, center
    screenshot(page, "overlay")
    # WHEN the objects overlay is switched off THEN its boxes go
    page.uncheck("input[data-overlay=object]")
    page.wait_for_function("!document.querySelector('.box.object')")


def test_api_errors_are_shown_as_the_api_words_them(page: Any, server: Server) -> None:
    # GIVEN a key the server never issued
    _login(page, server, "fl_not_a_key")
    # THEN the API's 401 message is shown
    page.wait_for_selector("#error:not([hidden])")
    assert "invalid API key" in page.inner_text("#error")
    # AND with a real key, an unknown job shows the API's 404 message
    _login(page, server, server.key())
    page.goto(server.url + "/#/jobs/00000000-0000-0000-0000-000000000000")
    page.wait_for_selector("#error:not([hidden])")
    assert "not found" in page.inner_text("#error").lower()
