"""A job's face identities through HTTP: named from the galleries as they are now.

Real models and real faces: ``two_people_clip`` shows the astronaut and the violinist together,
then the astronaut alone. The astronaut is enrolled from her representative face (the link the
identity list gives), linked to the job's identity, renamed and deleted; the job's list, its
timeline's faces lane and its overlays follow each change. Clients' mistakes are 400/404/422.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import build_services
from tests.e2e.conftest import TERMINAL
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import httpx

pytestmark = pytest.mark.slow
pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")
if not (MODELS / "face_detection_yunet_2026may.onnx").is_file():
    pytest.skip(f"{MODELS} lacks the face models", allow_module_level=True)


class Client:
    def __init__(self, client: TestClient, key: str) -> None:
        self.client, self.headers = client, {"X-API-Key": key}

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.get(url, headers=self.headers, **kw)

    def put(self, url: str, body: Any) -> httpx.Response:
        return self.client.put(url, headers=self.headers, json=body)

    def send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.client.request(method, url, headers=self.headers, **kw)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    tmp = tmp_path_factory.mktemp("job-identities")
    services = build_services(Settings(data_dir=tmp / "data", model_dir=MODELS))
    with TestClient(create_app(services)) as client:
        yield client, services
    services.close()


@pytest.fixture(scope="module")
def acme(app: tuple[TestClient, Any]) -> Client:
    client, services = app
    return Client(client, services.keys.create("acme", "pro")[0])


@pytest.fixture(scope="module")
def job(acme: Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A finished faces job over 2 s of both people, then 1 s of the astronaut alone."""
    from tests.media_faces import two_people_clip

    clip: Path = two_people_clip(
        tmp_path_factory.mktemp("clips") / "two.mp4", both_seconds=2, alone_seconds=1
    )
    up = acme.send("POST", "/v1/media", files={"file": (clip.name, clip.read_bytes(), "video/mp4")})
    assert up.status_code == 201, up.text
    body = {"sources": [up.json()["url"]], "modules": {"faces": {}}}
    made = acme.send("POST", "/v1/jobs", json=body)
    assert made.status_code == 202, made.text
    deadline = time.monotonic() + 180
    while (state := acme.get(f"/v1/jobs/{made.json()['id']}").json())["state"] not in TERMINAL:
        assert time.monotonic() < deadline, state
        time.sleep(0.2)
    assert state["state"] == "finished", state
    return dict(state)


VIEWS = ("list", "lane", "overlay")


def _shown(acme: Client, job_id: str) -> dict[str, set[str]]:
    """The names the list, the timeline's faces lane and the overlays show."""
    listed = acme.get(f"/v1/jobs/{job_id}/identities").json()["data"]
    lanes = acme.get(f"/v1/jobs/{job_id}/timeline").json()["lanes"]
    (faces,) = [lane for lane in lanes if lane["name"] == "faces"]
    window = acme.get(f"/v1/jobs/{job_id}/overlays", params={"start": 0, "end": 10}).json()
    return {
        "list": {i["name"] or "unknown" for i in listed},
        "lane": {i["label"] for i in faces["items"]},
        "overlay": {b["label"] for f in window["frames"] for b in f["boxes"]},
    }


def test_enrol_link_rename_and_delete_follow_in_every_view(acme: Client, job: dict) -> None:
    # GIVEN the job's two identities, both unknown, the astronaut first seen at 0 s and last
    listed = acme.get(f"/v1/jobs/{job['id']}/identities").json()
    assert len(listed["data"]) == 2
    assert all(i["name"] is None and i["gallery_identity_id"] is None for i in listed["data"])
    woman = max(listed["data"], key=lambda i: i["last_timestamp"])
    assert woman["last_timestamp"] > 2.0  # she stays alone after the violinist leaves
    # WHEN she is enrolled from her representative face (the link needs no key)
    face = acme.client.get(woman["thumbnail"])
    assert face.status_code == 200 and face.headers["content-type"] == "image/jpeg"
    enrolled = acme.send(
        "POST",
        "/v1/galleries/crew/identities",
        data={"name": "Eileen"},
        files=[("images", ("face.jpg", face.content, "image/jpeg"))],
    )
    assert enrolled.status_code == 201, enrolled.text
    gallery_id = enrolled.json()["id"]
    # AND linked to the job's identity
    url = f"/v1/jobs/{job['id']}/identities/{woman['identity_uuid']}"
    linked = acme.put(url, {"gallery_identity_id": gallery_id})
    # THEN every view names her, the violinist stays unknown
    assert linked.status_code == 200, linked.text
    assert linked.json()["name"] == "Eileen" and linked.json()["linked"] is True
    assert linked.json()["gallery"] == "crew"
    assert _shown(acme, job["id"]) == {k: {"Eileen", "unknown"} for k in VIEWS}
    # WHEN the gallery identity is renamed THEN the job's views follow
    renamed = acme.send("PATCH", f"/v1/identities/{gallery_id}", json={"name": "Ann"})
    assert renamed.status_code == 200
    assert _shown(acme, job["id"]) == {k: {"Ann", "unknown"} for k in VIEWS}
    # WHEN it is deleted THEN she is unknown again everywhere
    assert acme.send("DELETE", f"/v1/identities/{gallery_id}").status_code == 204
    assert _shown(acme, job["id"]) == {k: {"unknown"} for k in VIEWS}


def test_link_mistakes_are_refused_saying_what_to_fix(
    acme: Client, app: tuple[TestClient, Any], job: dict
) -> None:
    uuid = acme.get(f"/v1/jobs/{job['id']}/identities").json()["data"][0]["identity_uuid"]
    # an identity that does not exist in any gallery: 400 naming it and how to make one
    resp = acme.put(f"/v1/jobs/{job['id']}/identities/{uuid}", {"gallery_identity_id": "id_nope"})
    assert resp.status_code == 400
    assert "id_nope does not exist" in resp.json()["error"]["message"]
    assert "POST /v1/galleries/{gallery}/identities" in resp.json()["error"]["message"]
    # a job identity that does not exist: 404
    resp = acme.put(f"/v1/jobs/{job['id']}/identities/nope", {"gallery_identity_id": None})
    assert resp.status_code == 404 and "no face identity nope" in resp.json()["error"]["message"]
    # forgetting a link that was never made is harmless: the job's own (unknown) name stays
    resp = acme.put(f"/v1/jobs/{job['id']}/identities/{uuid}", {"gallery_identity_id": None})
    assert resp.status_code == 200 and resp.json()["linked"] is False
    assert resp.json()["name"] is None
    # a body without the field: 422
    resp = acme.put(f"/v1/jobs/{job['id']}/identities/{uuid}", {})
    assert resp.status_code == 422
    # another tenant sees no such job
    client, services = app
    other = Client(client, services.keys.create("other", "pro")[0])
    assert other.get(f"/v1/jobs/{job['id']}/identities").status_code == 404
    # and another tenant's gallery identity cannot be linked (its name would leak): 400
    from tests.media_faces import astronaut, encode

    photo = [("images", ("a.png", encode(astronaut()), "image/png"))]
    theirs = other.send("POST", "/v1/galleries/g/identities", data={"name": "X"}, files=photo)
    assert theirs.status_code == 201, theirs.text
    resp = acme.put(
        f"/v1/jobs/{job['id']}/identities/{uuid}", {"gallery_identity_id": theirs.json()["id"]}
    )
    assert resp.status_code == 400 and "does not exist" in resp.json()["error"]["message"]
    resp = other.put(f"/v1/jobs/{job['id']}/identities/{uuid}", {"gallery_identity_id": None})
    assert resp.status_code == 404


def test_an_unknown_source_is_404_and_the_routes_are_documented(acme: Client, job: dict) -> None:
    resp = acme.get(f"/v1/jobs/{job['id']}/identities", params={"source": 1})
    assert resp.status_code == 404  # no such source
    doc = acme.get("/openapi.json").json()["paths"]["/v1/jobs/{job_id}/identities/{identity_uuid}"]
    assert doc["put"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/JobIdentity"
    )
