"""Seed 003 (DeepVA): the document's own curl and Python examples, run verbatim against
``framelens serve`` with only the host and the key swapped.

The examples below are copied from ``../shared/seeds/003_*.txt``; ``_swap`` replaces
``https://api.deepva.com`` with the local server and the key placeholders with a real key,
nothing else. The storage snippet is a function body in the document (it ends in ``return``), so
it runs inside a function. The face comes from scikit-image's astronaut photo: the gallery
``celebrities`` (the document's model) is enrolled from a mirrored, half-size copy, and the job
runs on the original.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.e2e.test_server_restart import Server
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow

FRAMELENS = str(Path(sys.executable).with_name("framelens"))
NAME = "Eileen Collins"

# ---- the document's examples, verbatim ------------------------------------------------------

CURL_LIST_JOBS = (
    'curl -v -H "Authorization: Key {your-api-key}" https://api.deepva.com/api/v1/jobs/'
)
PY_LIST_JOBS = """
import requests

headers = {"Content-Type": "application/json",
               "Authorization": f"Key {your-api-key}"}       
response = requests.get("https://api.deepva.com/api/v1/jobs/",
                        headers=headers)               
if response.status_code == 200:
    response_json = response.json()
    jobs = response_json['data']
    print(jobs)
else:
    print(f"Error: {response.status_code}")
"""  # noqa: W291 - the document's trailing spaces, kept verbatim
JOB_BODY = """{
  "sources": [
    "{url-to-your-image}"
  ],
  "modules": {
    "face_recognition": {
      "model": "celebrities"
    }
  }
}"""
CURL_GET_JOB = (
    'curl -v -H "Authorization: Key {your-api-key}" https://api.deepva.com/api/v1/jobs/{job_id}/'
)
PY_GET_JOB = """
import requests

headers = {"Content-Type": "application/json",
               "Authorization": f"Key {your_api_key}"}       
response = requests.get(f"https://api.deepva.com/api/v1/jobs/{job_id}",
                        headers=headers)               
if response.status_code == 200:
    job_object = response.json()
    print(job_object)
else:
    print(f"Error: {response.status_code}")
"""  # noqa: W291 - the document's trailing spaces, kept verbatim
CURL_UPLOAD = (
    'curl -H "Authorization: Key {api-key}" -F "folder=/" -F "file=@{path-to-file}" '
    "https://api.deepva.com/api/v1/storage/"
)
PY_UPLOAD = """
API_KEY = "{api-key}"
multipart_form_data = {
    'file': (os.path.basename(file), open("example.jpg", 'rb'))
}
response = requests.post("https://api.deepva.com/api/v1/storage/",
                         files=multipart_form_data,
                         data={'folder': "/"},
                         headers={'Authorization': 'Key {0}'.format(API_KEY)}
                         )
if response.status_code == 201:
    return response.json()['url']   # storage url (e.g. storage://uo7hRJfapCQKZnhXGl78)
else:
    raise RuntimeError("Upload failed!")
"""


def _swap(text: str, server: Server, key: str) -> str:
    """The host and the key, and nothing else."""
    text = text.replace("https://api.deepva.com", server.url)
    for placeholder in ("{your-api-key}", "{your_api_key}", "{api-key}"):
        text = text.replace(placeholder, key)
    return text


def _curl(command: str, cwd: Path) -> dict[str, Any]:
    out = subprocess.run(shlex.split(command), cwd=cwd, capture_output=True, check=True)
    # -v writes the exchange to stderr: the status line proves there was no redirect
    assert b"< HTTP/1.1 30" not in out.stderr
    body: dict[str, Any] = json.loads(out.stdout)
    return body


def _python(code: str, namespace: dict[str, Any]) -> dict[str, Any]:
    exec(compile(code, "<seed 003 example>", "exec"), namespace)
    return namespace


# ---- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faces(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[float]]:
    """The astronaut photo (BGR) and an embedding of her face from a mirrored, half-size copy."""
    skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (test extra)")
    pytest.importorskip("dlib", reason="dlib-bin is needed for the face embedder")
    if not (MODELS / "face_detection_yunet_2026may.onnx").is_file():
        pytest.skip(f"{MODELS} lacks the face models: set FRAMELENS_MODEL_DIR")
    import cv2

    from framelens.analyzers.faces import faces_in_image, load_face_models
    from framelens.models import ModelRegistry

    photo = cv2.cvtColor(skimage_data.astronaut(), cv2.COLOR_RGB2BGR)
    copy = cv2.resize(cv2.flip(photo, 1), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    registry = ModelRegistry(MODELS, tmp_path_factory.mktemp("model-cache"))
    (face,) = faces_in_image(copy, load_face_models(registry))
    return photo, face.embedding


@pytest.fixture
def deepva(tmp_path: Path, faces: tuple[Any, list[float]]) -> Iterator[tuple[Server, str, Path]]:
    """A running server, a key of tenant acme, its ``celebrities`` gallery, and a folder
    holding ``example.jpg`` (the photo)."""
    import cv2

    from framelens.jobs.galleries import GalleryService
    from framelens.stores.embedded import build_embedded_stores, close_embedded_stores

    photo, embedding = faces
    server = Server(tmp_path / "data", tmp_path / "server.log")
    key = subprocess.run(
        [FRAMELENS, "keys", "create", "--tenant", "acme", "--data-dir", str(server.data_dir)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    stores = build_embedded_stores(server.data_dir)
    assert stores.identities is not None
    GalleryService(stores.identities).create("acme", "celebrities", NAME, [embedding])
    close_embedded_stores(stores)
    work = tmp_path / "client"
    work.mkdir()
    assert cv2.imwrite(str(work / "example.jpg"), photo)
    server.start()
    yield server, key, work
    server.stop()


# ---- the walkthrough -----------------------------------------------------------------------


def test_document_examples_work_with_only_host_and_key_changed(
    deepva: tuple[Server, str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import requests

    server, key, work = deepva
    monkeypatch.chdir(work)  # the upload snippet opens "example.jpg" from the working directory

    # 1. upload with curl (folder=/), then with the Python snippet: 201, storage:// urls
    curl_upload = _swap(CURL_UPLOAD, server, key).replace("{path-to-file}", "example.jpg")
    uploaded = _curl(curl_upload, work)
    assert uploaded["url"].startswith("storage://")
    assert uploaded["is_image"] is True and uploaded["is_folder"] is False
    assert uploaded["name"] == "example.jpg"
    upload_fn = "def upload(file):\n" + textwrap.indent(_swap(PY_UPLOAD, server, key), "    ")
    ns = _python(upload_fn, {"os": os, "requests": requests})
    url = ns["upload"](str(work / "example.jpg"))
    assert url.startswith("storage://") and url != uploaded["url"]

    # 2. create the face_recognition job on the gallery, with the document's body
    body = json.loads(JOB_BODY.replace("{url-to-your-image}", url))
    created = requests.post(
        f"{server.url}/api/v1/jobs/", json=body, headers={"Authorization": f"Key {key}"}
    )
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["state"] == "waiting" or job["state"] == "running"
    assert job["tag"] == "" and job["sources"] == [url] and job["modules"] == body["modules"]
    assert job["result"]["detailed_link"] == (
        f"{server.url}/api/v1/jobs/{job['id']}/detailed-results"
    )
    time.strptime(job["time_created"].split(".")[0], "%Y-%m-%d %H:%M:%S")

    # 3. poll it with the curl example (with the slash) until it is completed
    curl_get = _swap(CURL_GET_JOB, server, key).replace("{job_id}", job["id"])
    deadline = time.monotonic() + 60
    while (polled := _curl(curl_get, work))["state"] not in ("completed", "failed"):
        assert time.monotonic() < deadline, polled
        time.sleep(0.2)
    assert polled["state"] == "completed", polled
    assert polled["progress"] == 1.0 and polled["duration"] > 0
    assert polled["time_started"] and polled["time_completed"]
    (summary,) = polled["result"]["summary"]
    assert summary["source"] == url and summary["media_type"] == "image"
    assert {"type": "face", "label": NAME} in summary["items"]

    # 4. and with the Python example (no slash): 200 at once, no redirect
    ns = _python(_swap(PY_GET_JOB, server, key), {"job_id": job["id"]})
    assert ns["response"].status_code == 200 and ns["response"].history == []
    assert ns["job_object"] == polled

    # 5. the detailed results: her face with its box and 5 landmarks
    detailed = requests.get(
        polled["result"]["detailed_link"], headers={"Authorization": f"Key {key}"}
    )
    assert detailed.status_code == 200, detailed.text
    (item,) = [d for d in detailed.json()["data"] if d["type"] == "face"]
    assert item["label"] == NAME and item["confidence"] >= 0.88
    (seen,) = item["occurrences"]
    box = seen["bounding_box"]
    assert 0 <= box["x"] < box["x"] + box["width"] <= 512
    assert 0 <= box["y"] < box["y"] + box["height"] <= 512
    assert len(seen["landmarks"]) == 5
    assert all(box["x"] <= x <= box["x"] + box["width"] for x, _ in seen["landmarks"])

    # 6. list jobs from "data": curl and Python
    assert [j["id"] for j in _curl(_swap(CURL_LIST_JOBS, server, key), work)["data"]] == [job["id"]]
    ns = _python(_swap(PY_LIST_JOBS, server, key), {})
    assert [j["id"] for j in ns["jobs"]] == [job["id"]]


def test_an_unknown_model_names_the_galleries_that_exist(deepva: tuple[Server, str, Path]) -> None:
    import requests

    server, key, _ = deepva
    body = {"sources": ["storage://f_x"], "modules": {"face_recognition": {"model": "athletes"}}}
    resp = requests.post(
        f"{server.url}/api/v1/jobs/", json=body, headers={"Authorization": f"Key {key}"}
    )
    assert resp.status_code == 400
    assert resp.json()["type"] == "BadRequest"
    assert "'athletes' does not exist" in resp.json()["detail"]
    assert resp.json()["error"]["details"]["galleries"] == ["celebrities"]
