"""Client input never causes a 500: each case a defect found by trying (issue 16's list)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.media import solid_cuts_clip

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Api, Env


@pytest.fixture
def source(api: Api, tmp_path: Path) -> str:
    clip = solid_cuts_clip(tmp_path / "c.mp4")
    return str(api.upload(clip.path)["url"])


@pytest.mark.parametrize(
    "value",
    [b"99999999999999999999", "²".encode(), "٣".encode(), b"-1", b"1e3", b" 12x"],
    ids=["overflow", "superscript", "arabic-indic", "negative", "exponent", "junk"],
)
def test_max_processing_time_is_a_400_never_a_500(api: Api, source: str, value: bytes) -> None:
    resp = api.create_job([source], headers={"Max-Processing-Time": value})  # type: ignore[dict-item]
    assert resp.status_code == 400, resp.text
    assert "Max-Processing-Time" in resp.json()["error"]["message"]


def test_max_processing_time_on_videos_is_checked_before_the_upload(
    env: Env, api: Api, tmp_path: Path
) -> None:
    clip = solid_cuts_clip(tmp_path / "c.mp4")
    resp = api.post(
        "/v1/videos", content=clip.path.read_bytes(), headers={"Max-Processing-Time": "²".encode()}
    )
    assert resp.status_code == 400
    # nothing was stored for the refused request
    assert env.services.stores.files.list("acme")[0] == []


@pytest.mark.parametrize("cursor", ["WyJhIl0", "WyJhIiwiYiIsImMiXQ", "%%", "bnVsbA", "e30"])
def test_cursors_this_api_did_not_return_are_a_400(api: Api, cursor: str) -> None:
    resp = api.get("/v1/jobs", params={"cursor": cursor})
    assert resp.status_code == 400, resp.text
    assert "cursor" in resp.json()["error"]["message"]


def test_a_non_ascii_upload_token_is_a_401(env: Env) -> None:
    resp = env.client.put("/v1/uploads/x?token=%C3%A9", content=b"abc")
    assert resp.status_code == 401


def test_openapi_declares_the_three_key_styles_on_authenticated_routes(env: Env) -> None:
    doc = env.client.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert {s.get("name") for s in schemes.values() if s["type"] == "apiKey"} == {
        "X-API-Key",
        "Authorization",
    }
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    assert doc["paths"]["/v1/jobs"]["post"]["security"]
    assert "security" not in doc["paths"]["/health"]["get"]


def test_an_empty_upload_is_a_422_saying_it_is_empty(api: Api) -> None:
    resp = api.post("/v1/media", files={"file": ("empty.mp4", b"", "video/mp4")})
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "unprocessable_media"
    assert "The file is empty (0 bytes)" in resp.json()["error"]["message"]
