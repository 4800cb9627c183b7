"""The identity panel in a real browser: enrol, rename (seen after a reload), merge and delete a
job's persons, each checked on the page (panel, faces lane, overlays) and on the API's state.

Real faces (``tests.media_faces.two_people_clip``): the astronaut and the violinist side by side
for 2 s, then the astronaut alone for 1 s; the ``faces`` module finds two identities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import login, screenshot
from tests.shared import MODELS

if TYPE_CHECKING:
    from pathlib import Path

    from tests.browser.conftest import Server

pytestmark = pytest.mark.slow
pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")
if not (MODELS / "face_detection_yunet_2026may.onnx").is_file():
    pytest.skip(f"{MODELS} lacks the face models", allow_module_level=True)


@pytest.fixture(scope="module")
def two_people(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.media_faces import two_people_clip

    path = tmp_path_factory.mktemp("viewer-faces") / "two.mp4"
    return two_people_clip(path, both_seconds=2, alone_seconds=1)


def _row(page: Any, uuid: str) -> Any:
    return page.locator(f".identity[data-identity='{uuid}']")


def _enrol(page: Any, uuid: str, gallery: str, name: str) -> None:
    row = _row(page, uuid)
    row.get_by_label("Gallery", exact=True).fill(gallery)
    row.get_by_label("Name", exact=True).fill(name)
    row.get_by_role("button", name="Enrol", exact=True).click()
    page.wait_for_selector(f".identity[data-identity='{uuid}'] .name:text-is('{name}')")


def _names(page: Any) -> dict[str, list[str]]:
    """What the panel, the faces lane and the overlays at 0.5 s show."""
    page.wait_for_selector("video")
    page.evaluate("document.querySelector('video').currentTime = 0.5")
    page.wait_for_function("document.querySelectorAll('.box.face').length === 2")
    return {
        "panel": sorted(page.locator(".identity .name").all_inner_texts()),
        "lane": sorted(
            set(
                page.locator(".lane[data-lane=faces] .item").evaluate_all(
                    "items => items.map((i) => i.title.split(' ')[0])"
                )
            )
        ),
        "overlay": sorted(
            page.locator(".box.face").evaluate_all("boxes => boxes.map((b) => b.dataset.label)")
        ),
    }


def _everywhere(names: list[str]) -> dict[str, list[str]]:
    """One name per person in the panel and the overlays; the lane shows each name."""
    return {"panel": sorted(names), "lane": sorted(set(names)), "overlay": sorted(names)}


def test_enrol_rename_merge_and_delete_through_the_page(
    page: Any, server: Server, two_people: Path
) -> None:
    key = server.key("faces-viewer")
    api = server.client(key)
    # GIVEN a finished faces job on the two people's clip
    up = api.post("/v1/media", files={"file": (two_people.name, two_people.read_bytes())})
    assert up.status_code == 201, up.text
    made = api.post("/v1/jobs", json={"sources": [up.json()["url"]], "modules": {"faces": {}}})
    job = server.wait(api, made.json()["id"])
    assert job["state"] == "finished", job
    listed = api.get(f"/v1/jobs/{job['id']}/identities").json()["data"]
    woman, man = sorted(listed, key=lambda i: -i["last_timestamp"])  # she stays to the end
    page.on("dialog", lambda dialog: dialog.accept())  # the delete confirmation
    # WHEN the job is opened THEN both persons are listed, unknown, with their faces
    login(page, server, key, f"#/jobs/{job['id']}")
    page.wait_for_selector(".identity .name")
    assert _names(page) == _everywhere(["unknown", "unknown"])
    assert page.locator(".identity img").count() == 2
    # WHEN she is enrolled into "crew" and he into "cast"
    _enrol(page, woman["identity_uuid"], "crew", "Eileen")
    _enrol(page, man["identity_uuid"], "cast", "Bob")
    # THEN the gallery holds them, and the lane and overlays name them
    crew = api.get("/v1/galleries/crew/identities").json()["data"]
    assert [(i["name"], i["faces"]) for i in crew] == [("Eileen", 1)]
    assert _names(page) == _everywhere(["Bob", "Eileen"])
    page.wait_for_function("document.querySelector('video').readyState >= 2")
    screenshot(page, "identities")
    # WHEN he is merged into her across galleries THEN the API's refusal is shown as worded
    _row(page, man["identity_uuid"]).get_by_label("Merge into").select_option(label="Eileen (crew)")
    _row(page, man["identity_uuid"]).get_by_role("button", name="Merge", exact=True).click()
    page.wait_for_selector("#error:not([hidden])")
    assert "galler" in page.inner_text("#error").lower()
    # WHEN he is deleted THEN he is unknown again and the "cast" gallery is gone
    _row(page, man["identity_uuid"]).get_by_role(
        "button", name="Delete Bob from gallery cast"
    ).click()
    page.wait_for_selector(
        f".identity[data-identity='{man['identity_uuid']}'] .name:text-is('unknown')"
    )
    assert api.get("/v1/galleries/cast/identities").status_code == 404
    assert page.locator("#error").is_hidden()  # the earlier refusal is cleared
    # WHEN he is enrolled into "crew" and she is renamed with the keyboard, and the page reloaded
    _enrol(page, man["identity_uuid"], "crew", "Bob")
    rename = _row(page, woman["identity_uuid"]).get_by_label("Name", exact=True)
    rename.fill("Ann")
    rename.press("Enter")
    page.wait_for_selector(
        f".identity[data-identity='{woman['identity_uuid']}'] .name:text-is('Ann')"
    )
    # (keyboard focus is back on her row once the view has been read again)
    focused = page.evaluate("document.activeElement.closest('.identity')?.dataset.identity")
    assert focused == woman["identity_uuid"]
    page.reload()
    page.wait_for_selector(".identity .name")
    # THEN the new name is shown everywhere after the reload
    assert _names(page) == _everywhere(["Ann", "Bob"])
    # WHEN he is merged into her (same gallery now)
    now = api.get(f"/v1/jobs/{job['id']}/identities").json()["data"]
    bob_id = next(i["gallery_identity_id"] for i in now if i["name"] == "Bob")
    _row(page, man["identity_uuid"]).get_by_label("Merge into").select_option(label="Ann (crew)")
    _row(page, man["identity_uuid"]).get_by_role("button", name="Merge", exact=True).click()
    page.wait_for_selector(
        f".identity[data-identity='{man['identity_uuid']}'] .name:text-is('Ann')"
    )
    # THEN one identity holds both faces, his is gone, and both persons are named Ann
    crew = api.get("/v1/galleries/crew/identities").json()["data"]
    assert [(i["name"], i["faces"]) for i in crew] == [("Ann", 2)]
    assert api.get(f"/v1/identities/{bob_id}").status_code == 404
    assert _names(page) == _everywhere(["Ann", "Ann"])
    # WHEN Ann is deleted THEN both are unknown and the gallery is empty (gone)
    _row(page, woman["identity_uuid"]).get_by_role(
        "button", name="Delete Ann from gallery crew"
    ).click()
    every_unknown = "[...document.querySelectorAll('.identity .name')]"
    page.wait_for_function(
        f"{every_unknown}.filter((n) => n.textContent === 'unknown').length === 2"
    )
    assert api.get("/v1/galleries/crew/identities").status_code == 404
    assert _names(page) == _everywhere(["unknown", "unknown"])
