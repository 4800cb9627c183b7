"""Gallery identities through HTTP on the local server: enrol from photos, match in a job, manage.

Real models (YuNet, dlib's ResNet, the age/gender net) and real faces (``tests/media_faces``):
the violinist is enrolled from one frame of his last shot and named in a job over his whole clip
(4 shots); with only the astronaut enrolled he stays ``unknown``. A photo with no face or with two
is a 400 naming it; tenants never see each other's galleries.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

import cv2
import pytest
from fastapi.testclient import TestClient

from framelens.api import create_app
from framelens.config import Settings
from framelens.runtime import build_services
from tests.e2e.identity_client import Client
from tests.media_faces import VIOLIN, astronaut, coffee, encode, pair, violin_frame
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from framelens.runtime import Services

pytestmark = pytest.mark.slow
pytest.importorskip("skimage.data", reason="scikit-image (test extra) is needed")
pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")
if not (MODELS / "face_detection_yunet_2026may.onnx").is_file():
    pytest.skip(f"{MODELS} lacks the face models", allow_module_level=True)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Services]]:
    services = build_services(Settings(data_dir=tmp_path_factory.mktemp("identities")))
    with TestClient(create_app(services)) as client:
        yield client, services
    services.close()


@pytest.fixture(scope="module")
def acme(app: tuple[TestClient, Services]) -> Client:
    client, services = app
    secret, _ = services.keys.create("acme", "pro")
    return Client(client, secret)


@pytest.fixture(scope="module")
def other(app: tuple[TestClient, Services]) -> Client:
    client, services = app
    secret, _ = services.keys.create("other", "pro")
    return Client(client, secret)


@pytest.fixture(scope="module")
def photos() -> dict[str, bytes]:
    return {
        "violinist.png": encode(violin_frame(600)),
        "astronaut.png": encode(astronaut()),
        "astronaut-mirrored.png": encode(cv2.flip(astronaut(), 1)),
        "astronaut-small.png": encode(cv2.resize(astronaut(), (256, 256))),
        "coffee.png": encode(coffee()),
        "pair.png": encode(pair()),
    }


@pytest.fixture(scope="module")
def clip_source(acme: Client) -> str:
    """The violinist clip (4 shots, 21.8 s), uploaded by acme."""
    return f"storage://{acme.upload(VIOLIN.name, VIOLIN.read_bytes(), 'video/mp4')}"


def _identities(result: dict[str, Any]) -> list[dict[str, Any]]:
    return list(result["items"])


# --- matching a job against a gallery --------------------------------------------------------


def test_enrolled_violinist_is_named_in_a_job_on_his_clip(
    acme: Client, photos: dict[str, bytes], clip_source: str
) -> None:
    # GIVEN the violinist enrolled from one frame of his last shot, and the astronaut
    man = acme.enrol("people", "Violinist", {"violinist.png": photos["violinist.png"]})
    woman = acme.enrol("people", "Astronaut", {"astronaut.png": photos["astronaut.png"]})
    assert man.status_code == 201, man.text
    assert woman.status_code == 201, woman.text
    assert man.headers["Location"] == f"/v1/identities/{man.json()['id']}"
    assert man.json()["faces"] == 1 and man.json()["gallery"] == "people"

    # WHEN a faces job over his clip (all 4 shots) matches the gallery
    job = acme.run_job(clip_source, {"faces": {"gallery": "people"}})

    # THEN the one person in the clip is named, by the enrolled identity's id
    assert job["state"] == "finished", job
    (person,) = _identities(acme.faces(job))
    assert person["name"] == "Violinist"
    assert person["gallery_identity_id"] == man.json()["id"]
    assert person["similarity"] >= 0.88
    labels = [i["label"] for s in job["result"]["summary"] for i in s["items"]]
    assert labels == ["Violinist"]


def test_only_the_astronaut_enrolled_leaves_the_violinist_unknown(
    acme: Client, photos: dict[str, bytes], clip_source: str
) -> None:
    # GIVEN a gallery holding only the astronaut
    woman = acme.enrol("astro", "Astronaut", {"astronaut.png": photos["astronaut.png"]})
    assert woman.status_code == 201, woman.text

    # WHEN the violinist's clip is matched against it
    job = acme.run_job(clip_source, {"faces": {"gallery": "astro"}})

    # THEN he is unknown: no name, never the nearest one
    assert job["state"] == "finished", job
    (person,) = _identities(acme.faces(job))
    assert person["name"] is None and person["gallery_identity_id"] is None
    assert person["allowlisted"] is False
    labels = [i["label"] for s in job["result"]["summary"] for i in s["items"]]
    assert labels == ["unknown"]


# --- refused enrolments ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("photo", "problem"),
    [("coffee.png", "no face was found in coffee.png"), ("pair.png", "2 faces were found")],
)
def test_photo_without_exactly_one_face_is_a_400_naming_it(
    acme: Client,
    app: tuple[TestClient, Services],
    photos: dict[str, bytes],
    photo: str,
    problem: str,
) -> None:
    _, services = app
    files_before = len(services.stores.files.list("acme", limit=200)[0])
    # WHEN a person is enrolled from a photo without exactly one face (beside a good one)
    resp = acme.enrol(
        "refused", "Nobody", {"astronaut.png": photos["astronaut.png"], photo: photos[photo]}
    )
    # THEN a 400 names the problem and the photo, and nothing was enrolled
    assert resp.status_code == 400, resp.text
    error = resp.json()["error"]
    assert error["code"] == "bad_request"
    assert problem in error["message"] and photo in error["message"]
    assert acme.get("/v1/galleries/refused/identities").status_code == 404
    # AND the uploaded photos were not kept
    assert len(services.stores.files.list("acme", limit=200)[0]) == files_before


def test_enrolment_requests_that_cannot_work_say_what_to_fix(
    acme: Client, photos: dict[str, bytes], clip_source: str
) -> None:
    one = {"astronaut.png": photos["astronaut.png"]}
    cases = [
        (acme.enrol("staff", None, one), 400, "needs a 'name'"),
        (acme.enrol("bad gallery!", "Ann", one), 400, "invalid gallery name"),
        (acme.post("/v1/galleries/staff/identities", data={"name": "Ann"}), 400, "at least one"),
        (
            acme.post(
                "/v1/galleries/staff/identities", json={"name": "Ann", "images": [clip_source]}
            ),
            415,
            "enrol people from photos",
        ),
        (
            acme.post("/v1/galleries/staff/identities", json={"name": "A", "images": ["f_nope"]}),
            400,
            "does not exist",
        ),
        (acme.enrol("staff", "Ann", one, allowlisted="maybe"), 400, "true or false"),
    ]
    for resp, status, text in cases:
        assert resp.status_code == status, resp.text
        assert text in resp.json()["error"]["message"], resp.text


# --- managing identities ---------------------------------------------------------------------


def test_rename_allowlist_add_merge_list_and_delete(acme: Client, photos: dict[str, bytes]) -> None:
    # GIVEN two identities of one gallery (JSON enrolment from a stored photo for the second)
    ann = acme.enrol("crew", "Ann", {"astronaut.png": photos["astronaut.png"]}).json()
    stored = acme.upload("mirrored.png", photos["astronaut-mirrored.png"])
    bea = acme.post("/v1/galleries/crew/identities", json={"name": "Bea", "images": [stored]})
    assert bea.status_code == 201, bea.text
    bea_id = bea.json()["id"]
    listed = acme.get("/v1/galleries").json()["data"]
    assert {"gallery": "crew", "identities": 2, "allowlisted": 0} in listed

    # WHEN Ann is renamed and Bea allowlisted
    renamed = acme.patch(f"/v1/identities/{ann['id']}", {"name": "Ann Smith"})
    flagged = acme.patch(f"/v1/identities/{bea_id}", {"allowlisted": True})
    assert renamed.json()["name"] == "Ann Smith" and renamed.json()["allowlisted"] is False
    assert flagged.json()["allowlisted"] is True and flagged.json()["name"] == "Bea"
    assert acme.patch(f"/v1/identities/{bea_id}", {}).status_code == 422

    # AND a photo is added to Ann (the stored file is the client's and stays)
    added = acme.post(f"/v1/identities/{ann['id']}/faces", json={"images": [stored]})
    assert added.status_code == 200, added.text
    assert added.json()["faces"] == 2
    assert acme.get(f"/v1/media/{stored}").status_code == 200

    # AND Bea is merged into Ann
    merged = acme.post(f"/v1/identities/{ann['id']}/merge", json={"other_id": bea_id})
    assert merged.status_code == 200, merged.text
    assert merged.json()["faces"] == 3 and merged.json()["allowlisted"] is True
    assert acme.get(f"/v1/identities/{bea_id}").status_code == 404
    crew = acme.get("/v1/galleries/crew/identities").json()
    assert [i["name"] for i in crew["data"]] == ["Ann Smith"]
    assert "embeddings" not in json.dumps(crew)  # biometric data never leaves

    # WHEN Ann is deleted THEN she and her (now empty) gallery are gone
    assert acme.delete(f"/v1/identities/{ann['id']}").status_code == 204
    assert acme.get(f"/v1/identities/{ann['id']}").status_code == 404
    assert acme.get("/v1/galleries/crew/identities").status_code == 404
    assert "crew" not in [g["gallery"] for g in acme.get("/v1/galleries").json()["data"]]


def test_merging_across_galleries_or_with_itself_is_refused(
    acme: Client, photos: dict[str, bytes]
) -> None:
    one = {"astronaut.png": photos["astronaut.png"]}
    a = acme.enrol("g1", "A", one).json()["id"]
    b = acme.enrol("g2", "B", one).json()["id"]
    across = acme.post(f"/v1/identities/{a}/merge", json={"other_id": b})
    itself = acme.post(f"/v1/identities/{a}/merge", json={"other_id": a})
    assert across.status_code == 400 and "different galleries" in across.json()["error"]["message"]
    assert itself.status_code == 400 and "itself" in itself.json()["error"]["message"]


def test_other_tenants_galleries_and_identities_are_404(
    acme: Client, other: Client, photos: dict[str, bytes]
) -> None:
    # GIVEN acme's identity in acme's gallery, and one of the other tenant's own
    mine = acme.enrol("secret", "Ann", {"astronaut.png": photos["astronaut.png"]}).json()["id"]
    theirs = other.enrol("theirs", "Zed", {"astronaut.png": photos["astronaut.png"]}).json()["id"]
    # THEN for the other tenant acme's gallery and identity do not exist, whatever it tries
    assert other.get("/v1/galleries/secret/identities").status_code == 404
    assert "secret" not in [g["gallery"] for g in other.get("/v1/galleries").json()["data"]]
    for resp in (
        other.get(f"/v1/identities/{mine}"),
        other.patch(f"/v1/identities/{mine}", {"name": "Stolen"}),
        other.delete(f"/v1/identities/{mine}"),
        other.post(f"/v1/identities/{mine}/faces", json={"images": ["f_x"]}),
        other.post(f"/v1/identities/{theirs}/merge", json={"other_id": mine}),
        other.post(f"/v1/identities/{mine}/merge", json={"other_id": theirs}),
    ):
        assert resp.status_code == 404, resp.text
        assert resp.json()["error"]["code"] == "not_found"
    # AND acme's identity is untouched
    assert acme.get(f"/v1/identities/{mine}").json()["name"] == "Ann"


# --- privacy ---------------------------------------------------------------------------------


def _vector_rows(services: Services, identity_id: str) -> int:
    db = services.settings.data_dir / "framelens.db"
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT COUNT(*) FROM identity_embeddings WHERE identity_id = ?", (identity_id,)
        ).fetchone()
    return int(row[0])


def test_deleting_an_identity_deletes_its_embeddings(
    acme: Client, app: tuple[TestClient, Services], photos: dict[str, bytes]
) -> None:
    _, services = app
    # GIVEN an identity enrolled from two photos
    two = {k: photos[k] for k in ("astronaut.png", "astronaut-small.png")}
    ann = acme.enrol("erase", "Ann", two).json()["id"]
    assert _vector_rows(services, ann) == 2
    # WHEN it is deleted THEN no embedding of it is stored any more, and matching finds no one
    assert acme.delete(f"/v1/identities/{ann}").status_code == 204
    assert _vector_rows(services, ann) == 0


def test_enrolment_keeps_embeddings_only_in_the_identity(
    acme: Client, app: tuple[TestClient, Services], photos: dict[str, bytes]
) -> None:
    _, services = app
    # GIVEN an enrolment (its job found the face and kept the embedding to enrol it)
    ann = acme.enrol("jobs", "Ann", {"astronaut.png": photos["astronaut.png"]}).json()["id"]
    (job,) = [
        j for j in services.stores.jobs.list("acme", limit=200)[0]
        if j.kind == "enrolment" and j.summary and j.summary[0]["identity_id"] == ann
    ]  # fmt: skip
    # THEN the job's own results hold no embedding, and its uploaded photo is gone
    result = acme.get(f"/v1/jobs/{job.id}/results?module=faces").json()
    assert result["total"] == 1
    assert result["items"][0]["face_embedding"] is None
    assert job.summary[0]["faces"] == 1
    (file_id,) = job.extra["enrolment"]["uploaded"]
    assert acme.get(f"/v1/media/{file_id}").status_code == 404


def _holds_embedding(value: Any) -> bool:
    """Whether a JSON value has an ``embedding_sum`` or a non-null ``face_embedding``."""
    if isinstance(value, dict):
        return any(
            (k in ("embedding_sum", "face_embedding") and isinstance(v, list) and len(v) > 0)
            or _holds_embedding(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_holds_embedding(v) for v in value)
    return False


def _blobs_with_embeddings(root: Path, job_id: str) -> list[str]:
    """The job's stored JSON blobs (any prefix) that hold a face embedding."""
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.json")
        if job_id in str(p) and _holds_embedding(json.loads(p.read_bytes()))
    )


def test_unmatched_embeddings_live_only_in_results_that_expire_with_the_job(
    acme: Client, app: tuple[TestClient, Services], photos: dict[str, bytes]
) -> None:
    from framelens.stores.layout import EXPIRIES, JOB_TTL_DAYS

    _, services = app
    source = f"storage://{acme.upload('astronaut.png', photos['astronaut.png'])}"
    blobs = services.settings.data_dir / "blobs"
    # WHEN faces run without and with include_embeddings
    plain = acme.run_job(source, {"faces": {}})
    asked = acme.run_job(source, {"faces": {"include_embeddings": True}})
    # THEN by default no stored blob of the job holds an embedding (its parts were deleted)
    assert plain["state"] == asked["state"] == "finished"
    assert _blobs_with_embeddings(blobs, plain["id"]) == []
    assert acme.faces(plain)["items"][0]["face_embedding"] is None
    # AND when asked for, the 128-d embedding is in the job's results and nowhere else...
    (item,) = acme.faces(asked)["items"]
    assert len(item["face_embedding"]) == 128
    assert _blobs_with_embeddings(blobs, asked["id"]) == [f"results/{asked['id']}/faces.json"]
    # ... and results expire with the job
    expiry = {e.prefix: e.days for e in EXPIRIES}
    assert expiry["results/"] == JOB_TTL_DAYS == services.settings.job_ttl_days


def test_identity_routes_are_in_the_openapi_document(app: tuple[TestClient, Services]) -> None:
    client, _ = app
    paths = client.get("/openapi.json").json()["paths"]
    # THEN every route is documented, enrolment with both answers and both request forms
    assert set(paths["/v1/identities/{identity_id}"]) == {"get", "patch", "delete"}
    assert "get" in paths["/v1/galleries"]
    assert {"get", "post"} <= set(paths["/v1/galleries/{gallery}/identities"])
    assert "post" in paths["/v1/identities/{identity_id}/merge"]
    for path in ("/v1/galleries/{gallery}/identities", "/v1/identities/{identity_id}/faces"):
        post = paths[path]["post"]
        assert {"202", "400", "404"} <= set(post["responses"]), path
        assert {"multipart/form-data", "application/json"} == set(post["requestBody"]["content"])
    enrol = paths["/v1/galleries/{gallery}/identities"]["post"]["responses"]
    assert enrol["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/IdentityPublic")


def test_a_job_naming_a_gallery_the_tenant_lacks_is_refused_when_created(
    acme: Client, other: Client, photos: dict[str, bytes]
) -> None:
    # GIVEN acme's gallery "crew", and the other tenant's own gallery "mine"
    assert acme.enrol("crew", "Ann", {"astronaut.png": photos["astronaut.png"]}).status_code == 201
    assert other.enrol("mine", "Zed", {"astronaut.png": photos["astronaut.png"]}).status_code == 201
    source = f"storage://{other.upload('a.png', photos['astronaut.png'])}"
    jobs_before = len(other.get("/v1/jobs").json()["data"])
    # WHEN the other tenant names acme's gallery (as gallery, or as allowlist) in a job
    for option in ("gallery", "allowlist"):
        resp = other.post(
            "/v1/jobs", json={"sources": [source], "modules": {"faces": {option: "crew"}}}
        )
        # THEN it is refused before any work: 422 naming the gallery and listing its own galleries
        assert resp.status_code == 422, resp.text
        error = resp.json()["error"]
        assert error["code"] == "invalid_option"
        galleries = error["details"]["galleries"]
        assert "mine" in galleries and "crew" not in galleries  # its own, never acme's
        listed = ", ".join(galleries)
        assert (
            f"faces.{option}: gallery 'crew' does not exist; your galleries: {listed}"
            == (error["message"])
        )
    assert len(other.get("/v1/jobs").json()["data"]) == jobs_before  # no job was made
    # AND acme naming its own gallery is accepted, and matches it
    mine = f"storage://{acme.upload('a.png', photos['astronaut-mirrored.png'])}"
    job = acme.run_job(mine, {"faces": {"gallery": "crew"}})
    assert job["state"] == "finished", job
    assert [i["name"] for i in _identities(acme.faces(job))] == ["Ann"]
