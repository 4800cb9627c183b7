"""The viewer's API: timeline lanes, overlay windows and signed media links, through HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.media import solid_cuts_clip

if TYPE_CHECKING:
    from pathlib import Path

    from tests.e2e.conftest import Api, Env


def _finished(api: Api, tmp_path: Path, modules: dict[str, dict[str, object]]) -> dict:
    clip = solid_cuts_clip(tmp_path / "c.mp4")
    file = api.upload(clip.path)
    job = api.create_job([file["url"]], modules).json()
    done = api.wait(job["id"], timeout_s=60)
    assert done["state"] == "finished", done
    return done


def test_timeline_lays_scenes_out_and_links_the_media(env: Env, api: Api, tmp_path: Path) -> None:
    # GIVEN a finished scenes job on a clip with 3 hard cuts
    job = _finished(api, tmp_path, {"scenes": {}})
    # WHEN its timeline is read
    body = api.get(f"/v1/jobs/{job['id']}/timeline").json()
    # THEN the scenes lane has 4 intervals, and the media link streams the stored file by range
    (lane,) = [lane for lane in body["lanes"] if lane["name"] == "scenes"]
    assert [round(i["start"], 2) for i in lane["items"]] == [0.0, 1.0, 2.0, 3.0]
    link = body["media_url"]
    assert link.startswith("/v1/links/")
    ranged = env.client.get(link, headers={"Range": "bytes=0-9"})  # no key: the link is one
    assert ranged.status_code == 206 and len(ranged.content) == 10
    assert ranged.headers["content-type"] == "video/mp4"
    whole = env.client.get(link)
    assert whole.status_code == 200 and whole.content[:10] == ranged.content


def test_tampered_or_expired_links_are_refused(env: Env, api: Api, tmp_path: Path) -> None:
    job = _finished(api, tmp_path, {"scenes": {}})
    link = api.get(f"/v1/jobs/{job['id']}/timeline").json()["media_url"]
    payload, _, signature = link.removeprefix("/v1/links/").partition(".")
    forged = f"/v1/links/{payload}.{signature[:-2]}xx"
    resp = env.client.get(forged)
    assert resp.status_code == 401 and "not valid" in resp.json()["error"]["message"]
    services = env.services
    services.links._clock = lambda: 4_102_444_800.0  # 2100: every link has expired
    resp = env.client.get(link)
    assert resp.status_code == 401 and "expired" in resp.json()["error"]["message"]


def test_overlay_windows_are_bounded_and_validated(api: Api, tmp_path: Path) -> None:
    job = _finished(api, tmp_path, {"scenes": {}})
    url = f"/v1/jobs/{job['id']}/overlays"
    ok = api.get(url, params={"start": 0, "end": 4})
    assert ok.status_code == 200 and ok.json()["frames"] == []  # scenes draw no boxes
    too_long = api.get(url, params={"start": 0, "end": 500})
    assert too_long.status_code == 400
    assert "120" in too_long.json()["error"]["message"]
    reversed_ = api.get(url, params={"start": 3, "end": 2})
    assert reversed_.status_code == 400


def test_insights_of_another_tenants_or_unfinished_job(env: Env, api: Api, tmp_path: Path) -> None:
    job = _finished(api, tmp_path, {"scenes": {}})
    other = env.api(env.key("other"))
    assert other.get(f"/v1/jobs/{job['id']}/timeline").status_code == 404
    assert api.get(f"/v1/jobs/{job['id']}/timeline", params={"source": 3}).status_code == 404


def test_modules_lists_what_a_job_may_run(api: Api) -> None:
    names = api.get("/v1/modules").json()
    assert {"scenes", "objects", "faces", "ocr", "probe"} <= set(names)
