"""Tenant isolation and SSRF refusals at job creation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.test_api_routes import assert_error

if TYPE_CHECKING:
    from tests.e2e.conftest import Api, Env
    from tests.media import Generated


def test_another_tenants_job_file_results_and_artifacts_are_404(
    env: Env, cuts_clip: Generated
) -> None:
    # GIVEN tenant A with a file and a finished job
    a = env.api(env.key("tenant-a"))
    b = env.api(env.key("tenant-b"))
    file = a.upload(cuts_clip.path)
    job_id = a.create_job([file["url"]]).json()["id"]
    assert a.wait(job_id)["state"] == "finished"
    assert a.get(f"/v1/jobs/{job_id}/results").status_code == 200
    # WHEN tenant B asks for any of it THEN 404, exactly as for ids that do not exist
    for url in (
        f"/v1/jobs/{job_id}",
        f"/v1/jobs/{job_id}/results",
        f"/v1/jobs/{job_id}/artifacts/0/0/frame.jpg",
        f"/v1/media/{file['file_id']}",
    ):
        assert_error(b.get(url), 404, "not_found")
    assert_error(b.delete(f"/v1/jobs/{job_id}"), 404, "not_found")
    # AND B cannot use A's file as a source, nor see A's job in its list
    assert_error(b.create_job([file["url"]]), 400, "bad_request")
    assert b.get("/v1/jobs").json()["data"] == []
    assert [j["id"] for j in a.get("/v1/jobs").json()["data"]] == [job_id]
    # AND A's job was left untouched
    assert a.job(job_id)["state"] == "finished"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/x", "loopback"),
        ("https://10.0.0.5/x", "private address"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://[::1]/x", "loopback"),
    ],
)
def test_private_sources_are_refused_at_creation_naming_the_reason(
    api: Api, url: str, reason: str
) -> None:
    resp = api.create_job([url])
    assert reason in assert_error(resp, 400, "source_refused")["message"]
    assert api.get("/v1/jobs").json()["data"] == []


def test_plain_http_source_is_400_naming_https(api: Api) -> None:
    resp = api.create_job(["http://example.com/video.mp4"])
    assert "https://" in assert_error(resp, 400, "source_refused")["message"]


def test_plain_http_source_is_refused_naming_https(api: Api) -> None:
    resp = api.create_job(["http://example.com/video.mp4"])
    assert resp.status_code in (400, 422)
    assert "https://" in resp.json()["error"]["message"]
    assert api.get("/v1/jobs").json()["data"] == []


def test_same_idempotency_key_in_two_tenants_makes_two_jobs(env: Env, cuts_clip: Generated) -> None:
    a = env.api(env.key("tenant-a"))
    b = env.api(env.key("tenant-b"))
    headers = {"Idempotency-Key": "shared-1"}
    job_a = a.create_job([a.upload(cuts_clip.path)["url"]], headers=headers)
    job_b = b.create_job([b.upload(cuts_clip.path)["url"]], headers=headers)
    assert job_a.status_code == job_b.status_code == 202
    assert job_a.json()["id"] != job_b.json()["id"]
    assert "Idempotent-Replayed" not in job_b.headers


def test_another_tenants_upload_cannot_be_completed(env: Env, cuts_clip: Generated) -> None:
    a = env.api(env.key("tenant-a"))
    b = env.api(env.key("tenant-b"))
    target = a.post("/v1/uploads", json={"content_type": "video/mp4"}).json()
    a.client.put(target["upload_url"], content=cuts_clip.path.read_bytes())
    assert_error(b.post(target["complete_url"]), 404, "not_found")
    assert a.post(target["complete_url"]).status_code == 200
