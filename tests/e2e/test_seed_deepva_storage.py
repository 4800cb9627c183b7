"""Seed 003 (DeepVA) storage through the app: folders, reads by number and id, deletes, bad
folders, content checks shared with ``/v1/media``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.deepva_client import Client, assert_deepva_error
from tests.media import jpeg_image, text_file_as_mp4

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Env
    from tests.media import Generated


@pytest.fixture
def client(env: Env) -> Client:
    return Client(env)


# ---- storage -------------------------------------------------------------------------------


def test_storage_files_live_in_folders(
    client: Client, tmp_path: Path, cuts_clip: Generated
) -> None:
    image = jpeg_image(tmp_path / "photo.jpg")
    in_root = client.upload(image.path)
    in_sub = client.upload(cuts_clip.path, folder="my-subfolder")
    assert (in_root["id"], in_sub["id"]) == (1, 2)
    assert in_root["is_image"] is True and in_sub["is_image"] is False
    assert in_root["file_size"] == image.path.stat().st_size and in_root["uploaded"] is True
    assert in_sub["folder"] == "/my-subfolder/"
    listing = client.call("GET", "/api/v1/storage/", params={"folder": "/my-subfolder/"}).json()
    assert [f["url"] for f in listing["data"]] == [in_sub["url"]]
    assert [f["url"] for f in client.call("GET", "/api/v1/storage/").json()["data"]] == [
        in_root["url"]
    ]
    # a file reads back by its number and by its storage id
    assert client.call("GET", "/api/v1/storage/2/").json() == in_sub
    assert (
        client.call("GET", f"/api/v1/storage/{in_sub['url'].removeprefix('storage://')}").json()
        == in_sub
    )


def test_deleted_files_are_gone_and_no_longer_sources(client: Client, cuts_clip: Generated) -> None:
    file = client.upload(cuts_clip.path)
    assert client.call("DELETE", f"/api/v1/storage/{file['id']}/").status_code == 204
    assert_deepva_error(client.call("GET", f"/api/v1/storage/{file['id']}/"), 404, "NotFound")
    assert_deepva_error(client.call("DELETE", f"/api/v1/storage/{file['id']}/"), 404, "NotFound")
    assert (
        "does not exist"
        in assert_deepva_error(client.job([file["url"]]), 400, "BadRequest")["detail"]
    )


@pytest.mark.parametrize("folder", ["/../etc/", "/a/./b/", "/a\\b/"])
def test_bad_folders_are_400(client: Client, cuts_clip: Generated, folder: str) -> None:
    resp = client.call(
        "POST",
        "/api/v1/storage/",
        files={"file": ("c.mp4", cuts_clip.path.read_bytes())},
        data={"folder": folder},
    )
    assert "folder" in assert_deepva_error(resp, 400, "BadRequest")["detail"]


def test_storage_checks_files_by_content_like_v1_media(client: Client, tmp_path: Path) -> None:
    fake = text_file_as_mp4(tmp_path / "fake.mp4")
    resp = client.call(
        "POST",
        "/api/v1/storage/",
        files={"file": ("fake.mp4", fake.read_bytes())},
        data={"folder": "/"},
    )
    body = assert_deepva_error(resp, 400, "BadRequest")
    native = client.call("POST", "/v1/media", files={"file": ("fake.mp4", fake.read_bytes())})
    assert body["error"]["code"] == native.json()["error"]["code"]
    missing = client.call(
        "POST", "/api/v1/storage/", data={"folder": "/"}, files={"other": ("x", b"1")}
    )
    assert "'file'" in assert_deepva_error(missing, 400, "BadRequest")["detail"]
