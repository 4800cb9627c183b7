"""Seed 003 (DeepVA) routes through the app: the error table, paths with and without the slash,
states, modules, the source table (local paths, video platforms), detailed results (storage:
``test_seed_deepva_storage``). The document's own examples run against a real server in
``test_seed_deepva_doc``."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.deepva_client import Client, assert_deepva_error
from tests.media import solid_cuts_clip

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable
    from pathlib import Path

    from tests.e2e.conftest import Env
    from tests.media import Generated


@pytest.fixture
def client(env: Env) -> Client:
    return Client(env)


# ---- the error table -----------------------------------------------------------------------


def test_malformed_json_is_400_bad_request_not_422(client: Client) -> None:
    resp = client.call(
        "POST",
        "/api/v1/jobs/",
        content=b'{"sources": [',
        headers={"Content-Type": "application/json"},
    )
    body = assert_deepva_error(resp, 400, "BadRequest")
    assert body["error"]["code"] == "validation_error"
    assert "JSON" in body["detail"]


def test_missing_fields_are_400_naming_them(client: Client) -> None:
    body = assert_deepva_error(
        client.call("POST", "/api/v1/jobs/", json={"sources": []}), 400, "BadRequest"
    )
    assert "modules" in body["detail"]


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Key fl_not_a_key"}], ids=["none", "unknown"]
)
def test_without_a_valid_key_is_401_not_authenticated(env: Env, headers: dict[str, str]) -> None:
    assert_deepva_error(env.client.get("/api/v1/jobs/", headers=headers), 401, "NotAuthenticated")
    assert_deepva_error(
        env.client.get("/api/v1/storage/", headers=headers), 401, "NotAuthenticated"
    )


def test_unknown_and_foreign_jobs_are_404_not_found(
    env: Env, client: Client, cuts_clip: Generated
) -> None:
    url = client.upload(cuts_clip.path)["url"]
    job_id = client.job([url]).json()["id"]
    stranger = Client(env, env.key("other"))
    assert_deepva_error(stranger.call("GET", f"/api/v1/jobs/{job_id}/"), 404, "NotFound")
    assert_deepva_error(client.call("GET", "/api/v1/jobs/no-such-job/"), 404, "NotFound")
    assert_deepva_error(client.call("GET", "/api/v1/jobs/x/y/z"), 404, "NotFound")


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "/api/v1/jobs/"), ("PATCH", "/api/v1/storage/"), ("POST", "/api/v1/modules/")],
)
def test_other_methods_are_405_method_not_allowed(client: Client, method: str, path: str) -> None:
    assert_deepva_error(client.call(method, path), 405, "MethodNotAllowed")


@pytest.mark.expected_errors
def test_an_internal_failure_is_500_general_error(
    env: Env, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("disk on fire")

    from fastapi.testclient import TestClient

    monkeypatch.setattr(env.services.jobs, "list", broken)
    # A client that gets the 500 response (the default one re-raises server errors).
    http = TestClient(env.client.app, raise_server_exceptions=False)
    resp = http.get("/api/v1/jobs/", headers={"Authorization": f"Key {client.key}"})
    body = assert_deepva_error(resp, 500, "GeneralError")
    assert "disk on fire" not in body["detail"]


def test_native_and_other_seed_routes_keep_their_own_errors(env: Env, client: Client) -> None:
    native = client.call(
        "POST", "/v1/jobs", content=b"{", headers={"Content-Type": "application/json"}
    )
    assert native.status_code == 422 and "type" not in native.json()
    seed001 = env.client.get("/v1/videos/x")
    assert seed001.status_code == 401 and "type" not in seed001.json()


# ---- paths, states and the job shape -------------------------------------------------------


def test_job_paths_answer_with_and_without_the_slash(client: Client, cuts_clip: Generated) -> None:
    url = client.upload(cuts_clip.path)["url"]
    created = client.job([url], {"shot_detection": None})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert created.headers["Location"] == f"/api/v1/jobs/{job_id}/"
    for path in (
        f"/api/v1/jobs/{job_id}/",
        f"/api/v1/jobs/{job_id}",
        "/api/v1/jobs",
        "/api/v1/modules",
    ):
        assert client.call("GET", path).status_code == 200, path


def test_native_jobs_with_a_slash_answer_without_a_redirect(env: Env, cuts_clip: Generated) -> None:
    api = env.api()
    url = api.upload(cuts_clip.path)["url"]
    headers = api.headers()
    created = env.client.post(
        "/v1/jobs/",
        json={"sources": [url], "modules": {"probe": {}}},
        headers=headers,
        follow_redirects=False,
    )
    assert created.status_code == 202, created.text
    listed = env.client.get("/v1/jobs/", headers=headers, follow_redirects=False)
    assert listed.status_code == 200
    assert [j["id"] for j in listed.json()["data"]] == [created.json()["id"]]


def test_a_completed_job_in_the_documents_shape(
    make_env: Callable[..., Env], tmp_path: Path
) -> None:
    env = make_env(public_base_url="https://api.example.com/")
    client = Client(env)
    clip = solid_cuts_clip(tmp_path / "cuts.mp4")
    url = client.upload(clip.path)["url"]
    created = client.call(
        "POST",
        "/api/v1/jobs/",
        json={"sources": [url], "modules": {"shot_detection": {}}, "tag": "t1"},
    ).json()
    job = client.wait(created["id"])
    assert job["state"] == "completed" and job["tag"] == "t1" and job["progress"] == 1.0
    assert (
        job["result"]["detailed_link"]
        == f"https://api.example.com/api/v1/jobs/{job['id']}/detailed-results"
    )
    for field in ("time_created", "time_started", "time_completed"):
        time.strptime(job[field], "%Y-%m-%d %H:%M:%S.%f")
    (summary,) = job["result"]["summary"]
    assert summary["source"] == url and summary["media_type"] == "video"
    assert summary["info"]["frames"] == 100
    # 4 solid colours of 1 s each: 4 shots, each a {"type", "label"} item
    assert summary["items"] == [{"type": "shot", "label": f"{k}.000-{k + 1}.000"} for k in range(4)]
    listed = client.call("GET", "/api/v1/jobs/").json()
    assert listed["data"] == [job] and listed["next_cursor"] is None


def test_waiting_then_cancelled(
    env: Env, client: Client, gate: threading.Event, cuts_clip: Generated
) -> None:
    url = client.upload(cuts_clip.path)["url"]
    first = client.job([url]).json()  # held before its probe stage (queued) by the gate
    second = client.job([url]).json()
    assert client.call("GET", f"/api/v1/jobs/{second['id']}").json()["state"] == "waiting"
    cancelled = client.call("DELETE", f"/api/v1/jobs/{second['id']}/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert client.call("GET", f"/api/v1/jobs/{first['id']}").json()["state"] == "waiting"
    again = client.call("DELETE", f"/api/v1/jobs/{second['id']}/")
    assert "cancelled" in assert_deepva_error(again, 400, "BadRequest")["detail"]
    gate.set()
    assert client.wait(first["id"])["state"] == "completed"


def test_detailed_results_page_and_refuse_unfinished_jobs(
    env: Env, client: Client, gate: threading.Event, cuts_clip: Generated
) -> None:
    url = client.upload(cuts_clip.path)["url"]
    job_id = client.job([url]).json()["id"]
    early = client.call("GET", f"/api/v1/jobs/{job_id}/detailed-results")
    assert "completed" in assert_deepva_error(early, 400, "BadRequest")["detail"]
    gate.set()
    client.wait(job_id)
    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.call("GET", f"/api/v1/jobs/{job_id}/detailed-results", params=params).json()
        pages.append(page)
        if (cursor := page["next_cursor"]) is None:
            break
    items = [i for p in pages for i in p["data"]]
    assert [len(p["data"]) for p in pages] == [3, 1] and pages[0]["total"] == 4
    assert [(i["type"], i["start"], i["end"]) for i in items] == [
        ("shot", float(k), float(k + 1)) for k in range(4)
    ]
    assert all(i["module"] == "scenes" and i["source"] == url for i in items)
    bad = client.call("GET", f"/api/v1/jobs/{job_id}/detailed-results", params={"cursor": "x"})
    assert_deepva_error(bad, 400, "BadRequest")


# ---- modules -------------------------------------------------------------------------------


def test_modules_list_their_options_and_native_analyzers(client: Client) -> None:
    modules = {m["name"]: m for m in client.call("GET", "/api/v1/modules/").json()["data"]}
    assert modules["face_recognition"]["analyzers"] == ["faces"]
    assert {"name": "model", "required": True}.items() <= modules["face_recognition"]["options"][
        0
    ].items()
    assert modules["object_scene_recognition"]["analyzers"] == ["objects", "tags"]
    assert modules["text_recognition"]["analyzers"] == ["ocr"]
    assert modules["shot_detection"]["analyzers"] == ["scenes"]


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        ({"celebrity_detection": {}}, "known modules: face_recognition"),
        ({"shot_detection": {"fps": 3}}, "unknown option(s) fps; its options: none"),
        ({"face_recognition": {}}, "face_recognition needs the option 'model'"),
        ({"object_detection": {"min_confidence": 7}}, "must be a number between 0 and 1"),
        ({"face_recognition": {"model": "celebrities"}}, "your galleries: none yet"),
    ],
)
def test_module_mistakes_are_400_saying_what_exists(
    client: Client, cuts_clip: Generated, modules: dict[str, Any], expected: str
) -> None:
    url = client.upload(cuts_clip.path)["url"]
    assert expected in assert_deepva_error(client.job([url], modules), 400, "BadRequest")["detail"]


def test_face_recognition_model_is_one_of_the_tenants_galleries(
    env: Env, client: Client, cuts_clip: Generated
) -> None:
    from framelens.jobs.galleries import GalleryService

    assert env.services.stores.identities is not None
    GalleryService(env.services.stores.identities).create("acme", "staff", "Ann", [[1.0, 0.0, 0.0]])
    GalleryService(env.services.stores.identities).create("other", "celebrities", "X", [[1.0, 0.0]])
    url = client.upload(cuts_clip.path)["url"]
    refused = client.job([url], {"face_recognition": {"model": "celebrities"}})
    body = assert_deepva_error(refused, 400, "BadRequest")
    assert body["error"]["details"]["galleries"] == ["staff"]  # never another tenant's
    accepted = client.job([url], {"face_recognition": {"model": "staff", "threshold": 0.9}})
    assert accepted.status_code == 201, accepted.text
    job = env.services.stores.jobs.get(accepted.json()["id"])
    assert job.modules == {"faces": {"gallery": "staff", "match_threshold": 0.9}}


# ---- sources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("https://www.youtube.com/watch?v=UwsrzCVZAb8", "YouTube links are not fetched"),
        ("https://youtu.be/UwsrzCVZAb8", "YouTube links are not fetched"),
        ("https://vimeo.com/123558737", "Vimeo links are not fetched"),
        ("https://127.0.0.1/demo1.jpg", "127.0.0.1"),
        ("ftp://example.com/a.mp4", "is not supported"),
        ("/media/my-custom-video-storage/", "FRAMELENS_LOCAL_SOURCE_ROOTS"),
    ],
)
def test_sources_the_server_will_not_read_are_400_with_the_reason(
    client: Client, source: str, expected: str
) -> None:
    body = assert_deepva_error(client.job([source]), 400, "BadRequest")
    assert expected in body["detail"]


def test_local_paths_under_a_root_are_read_and_others_refused(
    make_env: Callable[..., Env], tmp_path: Path
) -> None:
    # GIVEN a root with a clip and a sub-directory of two clips, and a clip outside the root
    root, outside = tmp_path / "share", tmp_path / "private"
    (root / "dir").mkdir(parents=True)
    outside.mkdir()
    solid_cuts_clip(root / "one.mp4")
    solid_cuts_clip(root / "dir" / "a.mp4")
    solid_cuts_clip(root / "dir" / "b.mp4", colours=((0, 0, 0), (255, 255, 255)))
    solid_cuts_clip(outside / "secret.mp4")
    os.symlink(outside / "secret.mp4", root / "link.mp4")
    os.symlink(outside, root / "dirlink")
    client = Client(make_env(local_source_roots=str(root)))
    # WHEN a file and a directory under the root are sources THEN the job reads them all
    job = client.wait(client.job([str(root / "one.mp4"), f"{root}/dir/"]).json()["id"])
    assert job["state"] == "completed", job
    assert job["sources"] == [str(root / "one.mp4"), f"{root}/dir/"]
    assert [s["source"] for s in job["result"]["summary"]] == [
        str(root / "one.mp4"),
        str(root / "dir" / "a.mp4"),
        str(root / "dir" / "b.mp4"),
    ]
    assert [len(s["items"]) for s in job["result"]["summary"]] == [4, 4, 2]
    # AND paths that leave the root — by symlink or by .. — are refused, naming the setting
    for path in (
        str(root / "link.mp4"),
        f"{root}/dirlink/secret.mp4",
        f"{root}/../private/secret.mp4",
        str(outside / "secret.mp4"),
    ):
        body = assert_deepva_error(client.job([path]), 400, "BadRequest")
        assert "outside the directories" in body["detail"], path
        assert "FRAMELENS_LOCAL_SOURCE_ROOTS" in body["detail"]
    assert "does not exist" in client.job([f"{root}/missing.mp4"]).json()["detail"]
