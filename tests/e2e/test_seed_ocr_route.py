"""Seed 000 OCR API through HTTP: ``GET /ocr/health``, ``POST /ocr/api/ocr`` and its error table,
the 202 path of a backend that cannot answer inline, with the real PP-OCRv4 engine."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pytest
from PIL import Image

from tests.e2e.seed_clients import NotInline, SeedApi, seed_api
from tests.media_text import fonts, png_bytes, text_docx, text_image

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.slow
pytest.importorskip("rapidocr_onnxruntime", reason="rapidocr-onnxruntime is needed (make install)")

SIGN = "Entrance to the Lobby"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedApi]:
    made = seed_api(tmp_path_factory.mktemp("ocr"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def sign_png() -> bytes:
    return png_bytes(text_image(SIGN, fonts()[1], 40))


def _ocr(api: SeedApi, name: str, data: bytes, field: str = "file") -> tuple[int, dict]:
    resp = api.post("/ocr/api/ocr", files={field: (name, data, "application/octet-stream")})
    return resp.status_code, resp.json()


def test_health_reports_the_engine_loaded_without_a_key(api: SeedApi) -> None:
    resp = api.client.get("/ocr/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "model": "loaded"}


def test_an_image_is_read_at_once_in_the_seed_body(api: SeedApi, sign_png: bytes) -> None:
    # GIVEN a PNG of one line of text, named as a JPEG (detection is by content)
    status, body = _ocr(api, "sign.jpg", sign_png)
    # THEN seed 000's body: an image, the names as received and as stored, the line's text
    assert status == 200, body
    assert body["status"] == "success"
    assert body["detected_type"] == "image"
    assert body["input"]["original_filename"] == "sign.jpg"
    assert body["input"]["saved_filename"].endswith(".png")
    assert body["output"] == [{"text": SIGN}]


def test_a_docx_comes_back_block_by_block_with_its_image_text_in_place(
    api: SeedApi, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # GIVEN a DOCX: header, paragraphs, a table, an image of text, footer
    doc = text_docx(tmp_path_factory.mktemp("docx") / "report.docx", "Kitchen door")
    status, body = _ocr(api, "report.docx", doc.path.read_bytes())
    # THEN every block in document order, the image's text where the image is
    assert status == 200, body
    assert body["detected_type"] == "document"
    assert body["input"]["saved_filename"].endswith(".docx")
    assert [o["text"] for o in body["output"]] == [text for _, text in doc.truth]


def test_a_gif_is_an_unsupported_type_400(api: SeedApi) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(buf, format="GIF")
    status, body = _ocr(api, "pic.gif", buf.getvalue())
    assert status == 400
    assert body["error"]["code"] == "unsupported_media_type"
    assert "GIF" in body["error"]["message"] and "DOCX" in body["error"]["message"]


def test_a_video_is_400_naming_what_to_send(api: SeedApi) -> None:
    from tests.shared import media

    status, body = _ocr(api, "a.png", media("violinist_faces_cuts_640x360.mp4").read_bytes())
    assert status == 400
    assert "not an image or a document" in body["error"]["message"]


def test_a_file_over_10_mb_is_400(api: SeedApi) -> None:
    status, body = _ocr(api, "big.png", b"\x89PNG\r\n\x1a\n" + bytes(11 * 1024 * 1024))
    assert status == 400
    assert body["error"]["code"] == "payload_too_large"
    assert "10 MB" in body["error"]["message"]


def test_a_corrupt_image_is_400(api: SeedApi) -> None:
    status, body = _ocr(api, "broken.png", b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert status == 400
    assert body["error"]["code"] == "unprocessable_media"


@pytest.mark.parametrize(
    ("make", "code"),
    [("_bomb", "document_too_large_uncompressed"), ("_entities", "document_xml_entities")],
)
def test_an_unsafe_docx_is_400_never_read(
    api: SeedApi, tmp_path_factory: pytest.TempPathFactory, make: str, code: str
) -> None:
    from tests.media import docx_file
    from tests.unit import test_docx_safety

    tmp = tmp_path_factory.mktemp("unsafe")
    plain = docx_file(tmp / "plain.docx").path
    unsafe = getattr(test_docx_safety, make)(tmp, plain)
    status, body = _ocr(api, "report.docx", unsafe.read_bytes())
    assert status == 400
    assert body["error"]["code"] == code


def test_a_wrong_field_name_is_422_naming_file(api: SeedApi, sign_png: bytes) -> None:
    status, body = _ocr(api, "sign.png", sign_png, field="image")
    assert status == 422
    assert "'file'" in body["error"]["message"]


def test_no_key_is_401(api: SeedApi, sign_png: bytes) -> None:
    resp = api.client.post("/ocr/api/ocr", files={"file": ("s.png", sign_png)})
    assert resp.status_code == 401


def test_the_seed_rate_limit_applies_to_ocr_posts(
    tmp_path_factory: pytest.TempPathFactory, sign_png: bytes
) -> None:
    # GIVEN a key on the default plan (seed 000: 10 POST a minute)
    made = seed_api(tmp_path_factory.mktemp("ocr-limits"))
    try:
        key, _ = made.services.keys.create("defaultco")
        codes = [
            made.client.post(
                "/ocr/api/ocr", headers={"X-API-Key": key}, files={"image": ("s.png", sign_png)}
            ).status_code
            for _ in range(11)
        ]
        # THEN the eleventh POST of the minute is 429 (the first ten fail on the field: 422)
        assert codes == [422] * 10 + [429]
    finally:
        made.close()


def test_a_backend_that_cannot_answer_inline_gives_202_and_the_body_later(
    tmp_path_factory: pytest.TempPathFactory, sign_png: bytes
) -> None:
    # GIVEN a backend whose jobs run outside the request (as in AWS)
    made = seed_api(tmp_path_factory.mktemp("ocr-async"))
    try:
        assert made.services.runner is not None
        made.services.jobs.dispatcher = NotInline(made.services.runner)
        # WHEN an image is posted
        resp = made.post("/ocr/api/ocr", files={"file": ("sign.png", sign_png)})
        # THEN 202 with seed 000's accepted body, and the status URL gives the same body later
        assert resp.status_code == 202, resp.text
        accepted = resp.json()
        assert accepted["status"] == "accepted"
        assert resp.headers["Location"] == accepted["status_url"]
        done = made.poll(accepted["status_url"], lambda r: r.status_code != 202)
        assert done.status_code == 200, done.text
        assert done.json()["output"] == [{"text": SIGN}]
        assert done.json()["input"]["original_filename"] == "sign.png"
        # AND health says the models live elsewhere rather than claiming them loaded here
        assert made.client.get("/ocr/health").json()["model"] == "remote"
    finally:
        made.close()


def test_the_status_url_of_another_kind_of_job_is_404(api: SeedApi, sign_png: bytes) -> None:
    # GIVEN a native job (not an OCR request) of the same tenant
    url = api.post("/v1/media", files={"file": ("s.png", sign_png)}).json()["url"]
    job = api.post("/v1/jobs", json={"sources": [url], "modules": {"probe": {}}}).json()
    # THEN the OCR status URL does not know it, as it does not know a made-up id
    assert api.get(f"/ocr/api/ocr/{job['id']}").status_code == 404
    assert api.get("/ocr/api/ocr/no-such-job").status_code == 404
