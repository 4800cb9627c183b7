"""Every native route through HTTP: success and error paths, in the one error shape."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from pathlib import Path

    from tests.e2e.conftest import Api, Env
    from tests.media import Generated


def assert_error(resp: Any, status: int, code: str) -> dict[str, Any]:
    """The response is ``status`` with the one error shape and ``code``; returns ``error``."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert body["detail"] == body["error"]["message"]
    return body["error"]


# ---- health and auth -------------------------------------------------------------------------


def test_health_needs_no_key_and_reports_stores(env: Env) -> None:
    resp = env.client.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok", body
    assert body["stores"] and all(v == "ok" for v in body["stores"].values())


HEADER_STYLES: dict[str, Callable[[str], dict[str, str]]] = {
    "x-api-key": lambda k: {"X-API-Key": k},
    "authorization-key": lambda k: {"Authorization": f"Key {k}"},
    "authorization-bearer": lambda k: {"Authorization": f"Bearer {k}"},
}


@pytest.mark.parametrize("style", HEADER_STYLES)
def test_valid_key_is_accepted_in_every_header_style(env: Env, style: str) -> None:
    key = env.key()
    resp = env.client.get("/v1/jobs", headers=HEADER_STYLES[style](key))
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"] == []


def test_missing_key_is_401(env: Env) -> None:
    error = assert_error(env.client.get("/v1/jobs"), 401, "unauthorized")
    assert "X-API-Key" in error["message"]


@pytest.mark.parametrize("style", HEADER_STYLES)
def test_invalid_key_is_401_in_every_header_style(env: Env, style: str) -> None:
    env.key()
    resp = env.client.get("/v1/jobs", headers=HEADER_STYLES[style]("fl_not-a-real-key"))
    assert "invalid" in assert_error(resp, 401, "unauthorized")["message"]


@pytest.mark.parametrize("style", HEADER_STYLES)
def test_revoked_key_is_401_in_every_header_style(env: Env, style: str) -> None:
    # GIVEN a key that worked, then was revoked
    key = env.key()
    assert env.client.get("/v1/jobs", headers=HEADER_STYLES[style](key)).status_code == 200
    (record,) = env.services.keys.list("acme")
    env.services.keys.revoke(record.key_id)
    # WHEN it is used again THEN 401 saying it was revoked
    resp = env.client.get("/v1/jobs", headers=HEADER_STYLES[style](key))
    assert "revoked" in assert_error(resp, 401, "unauthorized")["message"]


def test_unknown_route_is_404_in_the_error_shape(api: Api) -> None:
    assert_error(api.get("/v1/nothing-here"), 404, "not_found")


# ---- media -----------------------------------------------------------------------------------


def test_multipart_upload_is_201_with_probe(api: Api, cuts_clip: Generated) -> None:
    body = api.upload(cuts_clip.path)
    assert body["url"] == f"storage://{body['file_id']}"
    assert body["media_type"] == "video"
    assert body["size"] == cuts_clip.path.stat().st_size
    probe = body["probe"]
    assert (probe["width"], probe["height"], probe["frames"]) == (160, 120, cuts_clip.frames)
    assert probe["duration_s"] == pytest.approx(4.0, abs=0.1)
    assert probe["codec"] == "h264"
    # AND it can be read back
    again = api.get(f"/v1/media/{body['file_id']}")
    assert again.status_code == 200
    assert again.json()["probe"] == probe


def test_raw_body_upload_is_201(api: Api, jpeg_file: Generated) -> None:
    resp = api.post(
        "/v1/media",
        content=jpeg_file.path.read_bytes(),
        headers={"Content-Type": "image/jpeg"},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["media_type"] == "image"
    assert (body["probe"]["width"], body["probe"]["height"]) == (320, 240)


def test_unknown_file_is_404(api: Api) -> None:
    assert_error(api.get("/v1/media/f_doesnotexist"), 404, "not_found")


@dataclass(frozen=True)
class BadUpload:
    name: str
    status: int
    code: str


BAD_UPLOADS = [
    BadUpload("empty", 422, "unprocessable_media"),
    BadUpload("truncated", 422, "unprocessable_media"),
    BadUpload("corrupt", 422, "unprocessable_media"),
    BadUpload("text_as_mp4", 415, "unsupported_media_type"),
]


@pytest.mark.parametrize("case", BAD_UPLOADS, ids=lambda c: c.name)
def test_bad_media_is_refused_with_the_seed_status(
    api: Api, bad_media: dict[str, Path], case: BadUpload
) -> None:
    path = bad_media[case.name]
    resp = api.post("/v1/media", files={"file": (path.name, path.read_bytes(), "video/mp4")})
    assert_error(resp, case.status, case.code)


def test_huge_dimensions_are_422_media_too_long(api: Api, huge_png: Generated) -> None:
    resp = api.post("/v1/media", files={"file": ("huge.png", huge_png.path.read_bytes())})
    assert_error(resp, 422, "media_too_long")


@pytest.mark.parametrize("multipart", [True, False], ids=["multipart", "raw"])
def test_upload_over_the_size_limit_is_413(
    make_env: Callable[..., Env], cuts_clip: Generated, multipart: bool
) -> None:
    # GIVEN a server whose upload limit is smaller than the clip
    api = make_env(max_upload_bytes=1024).api()
    data = cuts_clip.path.read_bytes()
    assert len(data) > 1024
    # WHEN the clip is sent THEN 413, pointing at the large-upload route
    if multipart:
        resp = api.post("/v1/media", files={"file": ("c.mp4", data, "video/mp4")})
    else:
        resp = api.post("/v1/media", content=data, headers={"Content-Type": "video/mp4"})
    assert "/v1/uploads" in assert_error(resp, 413, "payload_too_large")["message"]


def test_multipart_without_the_file_field_is_422_naming_it(api: Api, cuts_clip: Generated) -> None:
    resp = api.post("/v1/media", files={"video": ("c.mp4", cuts_clip.path.read_bytes())})
    error = assert_error(resp, 422, "missing_file")
    assert "'file'" in error["message"]
    assert error["details"]["field"] == "file"


# ---- large uploads ---------------------------------------------------------------------------


def test_large_upload_flow_makes_a_usable_job_source(api: Api, cuts_clip: Generated) -> None:
    # GIVEN an upload target
    resp = api.post("/v1/uploads", json={"name": "c.mp4", "content_type": "video/mp4"})
    assert resp.status_code == 201, resp.text
    target = resp.json()
    # WHEN the bytes are PUT (no API key: the URL's token is the credential) and completed
    put = api.client.put(
        target["upload_url"], content=cuts_clip.path.read_bytes(), headers=target["headers"]
    )
    assert put.status_code == 204, put.text
    done = api.post(target["complete_url"])
    assert done.status_code == 200, done.text
    record = done.json()
    assert record["file_id"] == target["file_id"]
    assert record["probe"]["frames"] == cuts_clip.frames
    # THEN it is a job source like any upload
    job = api.create_job([record["url"]])
    assert job.status_code == 202, job.text
    assert api.wait(job.json()["id"])["state"] == "finished"


def test_upload_put_with_a_bad_token_is_401(api: Api) -> None:
    target = api.post("/v1/uploads", json={"content_type": "video/mp4"}).json()
    url = target["upload_url"].split("?token=")[0] + "?token=bm9ib2R5.forged"
    assert_error(api.client.put(url, content=b"bytes"), 401, "unauthorized")


def test_complete_before_put_is_409(api: Api) -> None:
    target = api.post("/v1/uploads", json={"content_type": "video/mp4"}).json()
    error = assert_error(api.post(target["complete_url"]), 409, "invalid_job_state")
    assert "PUT" in error["message"]


def test_pending_upload_is_not_a_job_source(api: Api) -> None:
    target = api.post("/v1/uploads", json={"content_type": "video/mp4"}).json()
    resp = api.create_job([f"storage://{target['file_id']}"])
    assert "complete the upload" in assert_error(resp, 400, "bad_request")["message"]


# ---- jobs ------------------------------------------------------------------------------------


@pytest.fixture
def source(api: Api, cuts_clip: Generated) -> str:
    """The ``storage://`` url of an uploaded clip."""
    return str(api.upload(cuts_clip.path)["url"])


def test_job_is_202_with_location_and_finishes_with_probe(api: Api, source: str) -> None:
    resp = api.create_job([source], tag="t1")
    assert resp.status_code == 202, resp.text
    created = resp.json()
    assert resp.headers["Location"] == f"/v1/jobs/{created['id']}"
    assert created["state"] in ("queued", "running")
    job = api.wait(created["id"])
    assert job["state"] == "finished"
    assert job["progress"] == 1.0
    assert job["tag"] == "t1"
    assert job["time_started"] and job["time_completed"]
    (summary,) = job["result"]["summary"]
    assert summary["info"]["frames"] == 100
    assert job["result"]["detailed_link"] == f"/v1/jobs/{created['id']}/results"


def test_results_are_paged_with_a_cursor(api: Api, source: str) -> None:
    # GIVEN a finished job over three sources (one probe item each)
    job_id = api.create_job([source, source, source]).json()["id"]
    assert api.wait(job_id)["state"] == "finished"
    # WHEN results are read two at a time
    first = api.get(f"/v1/jobs/{job_id}/results", params={"module": "probe", "limit": 2}).json()
    assert first["total"] == 3
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = api.get(
        f"/v1/jobs/{job_id}/results",
        params={"module": "probe", "limit": 2, "cursor": first["next_cursor"]},
    ).json()
    # THEN the second page holds the rest and ends the paging
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert all(item["frames"] == 100 for item in first["items"] + second["items"])


def test_results_of_an_unknown_module_are_404(api: Api, source: str) -> None:
    job_id = api.create_job([source]).json()["id"]
    api.wait(job_id)
    resp = api.get(f"/v1/jobs/{job_id}/results", params={"module": "scenes"})
    assert "probe" in assert_error(resp, 404, "not_found")["message"]


def test_results_before_finished_are_409(api: Api, source: str, gate: threading.Event) -> None:
    job_id = api.create_job([source]).json()["id"]
    assert_error(api.get(f"/v1/jobs/{job_id}/results"), 409, "invalid_job_state")


@dataclass(frozen=True)
class BadJob:
    name: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    needle: str


BAD_JOBS = [
    BadJob("unknown-module", {"modules": {"telepathy": {}}}, {}, 400, "telepathy"),
    BadJob("unknown-storage-id", {"sources": ["storage://f_nope"]}, {}, 400, "storage://f_nope"),
    BadJob("bad-max-time", {}, {"Max-Processing-Time": "soon"}, 400, "Max-Processing-Time"),
    BadJob("negative-max-time", {}, {"Max-Processing-Time": "-5"}, 400, "Max-Processing-Time"),
    BadJob("no-sources", {"sources": []}, {}, 422, "sources"),
    BadJob("bad-scheme", {"sources": ["ftp://x/y"]}, {}, 422, "storage://"),
]


@pytest.mark.parametrize("case", BAD_JOBS, ids=lambda c: c.name)
def test_bad_job_requests_are_refused_naming_the_problem(
    api: Api, source: str, case: BadJob
) -> None:
    body = {"sources": [source], "modules": {"probe": {}}, **case.body}
    resp = api.post("/v1/jobs", json=body, headers=case.headers)
    assert resp.status_code == case.status, resp.text
    assert case.needle in resp.json()["error"]["message"]
    assert api.get("/v1/jobs").json()["data"] == []


def test_unknown_job_is_404(api: Api) -> None:
    assert_error(api.get("/v1/jobs/00000000-0000-0000-0000-000000000000"), 404, "not_found")
    assert_error(api.delete("/v1/jobs/nope"), 404, "not_found")


def test_cancel_ends_the_job_and_a_second_cancel_is_409(
    api: Api, source: str, gate: threading.Event
) -> None:
    # GIVEN a job held before its first stage
    job_id = api.create_job([source]).json()["id"]
    # WHEN it is cancelled
    resp = api.delete(f"/v1/jobs/{job_id}")
    assert resp.status_code == 200, resp.text
    assert resp.json()["state"] == "cancelled"
    assert resp.json()["error"]["code"] == "cancelled"
    # THEN cancelling again is a conflict, and releasing the pipeline does not revive it
    assert_error(api.delete(f"/v1/jobs/{job_id}"), 409, "invalid_job_state")
    gate.set()
    time.sleep(0.3)
    assert api.job(job_id)["state"] == "cancelled"


def test_jobs_are_listed_newest_first_with_a_cursor(api: Api, source: str) -> None:
    ids = [api.create_job([source], tag=f"n{i}").json()["id"] for i in range(3)]
    first = api.get("/v1/jobs", params={"limit": 2}).json()
    assert [j["id"] for j in first["data"]] == ids[::-1][:2]
    assert first["next_cursor"]
    second = api.get("/v1/jobs", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [j["id"] for j in second["data"]] == [ids[0]]
    assert second["next_cursor"] is None


def test_latency_is_null_before_and_measured_after_a_finished_job(api: Api, source: str) -> None:
    before = api.get("/v1/latency", params={"media_type": "video"})
    assert before.status_code == 200
    assert before.json() == {"media_type": "video", "unit": "second", "latency_ms_per_unit": None}
    job_id = api.create_job([source]).json()["id"]
    assert api.wait(job_id)["state"] == "finished"
    after = api.get("/v1/latency", params={"media_type": "video"}).json()
    assert after["latency_ms_per_unit"] is not None
    assert after["latency_ms_per_unit"] >= 0
    # AND images have no observations yet
    image = api.get("/v1/latency", params={"media_type": "image"}).json()
    assert image["latency_ms_per_unit"] is None


def test_latency_with_a_bad_media_type_is_422(api: Api) -> None:
    assert_error(api.get("/v1/latency", params={"media_type": "audio"}), 422, "validation_error")


def test_results_with_a_forged_cursor_are_400(api: Api, source: str) -> None:
    job_id = api.create_job([source]).json()["id"]
    api.wait(job_id)
    resp = api.get(f"/v1/jobs/{job_id}/results", params={"cursor": "not-a-cursor"})
    assert "cursor" in assert_error(resp, 400, "bad_request")["message"]


def test_artifact_path_escaping_the_job_is_404(api: Api, source: str) -> None:
    job_id = api.create_job([source]).json()["id"]
    api.wait(job_id)
    resp = api.get(f"/v1/jobs/{job_id}/artifacts/a/%2E%2E/%2E%2E/results/{job_id}/probe.json")
    assert_error(resp, 404, "not_found")
