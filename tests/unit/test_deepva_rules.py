"""Seed 003 rules that need no server: local-path checks, the error table, labels, folders."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from framelens.api.seeds._deepva import deepva_status
from framelens.api.seeds.deepva_storage import normalise_folder
from framelens.errors import ValidationError
from framelens.jobs.source_rules import (
    check_local_source,
    open_local_source,
    platform_refusal,
    resolve_local_path,
)
from framelens.schemas.results_base import Label, unique_labels
from framelens.schemas.results_faces import FacesResult
from framelens.schemas.results_objects import ObjectsResult
from framelens.schemas.results_ocr import OcrResult

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.mp4").write_bytes(b"x")
    (tmp_path / "outside.mp4").write_bytes(b"y")
    os.symlink(tmp_path / "outside.mp4", root / "escape.mp4")
    os.symlink(root / "sub" / "a.mp4", root / "inside.mp4")
    return root


def test_a_file_under_a_root_resolves_to_its_real_path(share: Path) -> None:
    assert (
        resolve_local_path(str(share / "inside.mp4"), [share], "embedded")
        == share / "sub" / "a.mp4"
    )
    with open_local_source(f"file://{share}/sub/a.mp4", [share], "embedded") as fh:
        assert fh.read() == b"x"


@pytest.mark.parametrize(
    ("path", "backend", "roots", "expected"),
    [
        ("{root}/sub/a.mp4", "aws", True, "read only by the local server"),
        ("{root}/sub/a.mp4", "embedded", False, "reads no local paths"),
        ("sub/a.mp4", "embedded", True, "must be absolute"),
        ("{root}/escape.mp4", "embedded", True, "outside the directories"),
        ("{root}/sub/../../outside.mp4", "embedded", True, "outside the directories"),
        ("{root}/nope.mp4", "embedded", True, "does not exist"),
    ],
)
def test_local_paths_are_refused_naming_the_setting(
    share: Path, path: str, backend: str, roots: bool, expected: str
) -> None:
    with pytest.raises(ValidationError) as err:
        resolve_local_path(path.format(root=share), [share] if roots else [], backend)
    assert expected in err.value.message
    assert err.value.details == {
        "source": path.format(root=share),
        "setting": "FRAMELENS_LOCAL_SOURCE_ROOTS",
    }
    if expected in (
        "read only by the local server",
        "reads no local paths",
        "outside the directories",
    ):
        assert "FRAMELENS_LOCAL_SOURCE_ROOTS" in err.value.message


def test_a_directory_is_not_a_file_source(share: Path) -> None:
    with pytest.raises(ValidationError, match="not a regular file"):
        check_local_source(f"file://{share}/sub", [share], "embedded")


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://www.youtube.com/watch?v=UwsrzCVZAb8", "YouTube"),
        ("https://m.youtube.com/watch?v=x", "YouTube"),
        ("https://youtu.be/x", "YouTube"),
        ("https://player.vimeo.com/video/123558737", "Vimeo"),
        ("https://notyoutube.com/a.mp4", None),
        ("https://demo.deepva.com/demo1.jpg", None),
    ],
)
def test_video_platform_links_are_told_apart(url: str, platform: str | None) -> None:
    refusal = platform_refusal(url)
    assert (refusal is None) == (platform is None)
    assert platform is None or (refusal is not None and refusal.startswith(platform))


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, 400),
        (401, 401),
        (404, 404),
        (405, 405),
        (409, 400),
        (413, 400),
        (415, 400),
        (422, 400),
        (429, 429),
        (503, 500),
    ],
)
def test_statuses_follow_the_documents_table(status: int, expected: int) -> None:
    assert deepva_status(status) == expected


@pytest.mark.parametrize(
    ("given", "expected"), [(None, "/"), ("", "/"), ("/", "/"), ("a", "/a/"), ("//a//b", "/a/b/")]
)
def test_folders_are_normalised(given: str | None, expected: str) -> None:
    assert normalise_folder(given) == expected


def test_labels_of_results_are_typed_and_unique() -> None:
    objects = ObjectsResult.model_validate(
        {
            "frames": [
                {
                    "frame": 0,
                    "timestamp": 0.0,
                    "detections": [{"class": "car", "confidence": 0.9, "bbox": [0, 0, 1, 1]}],
                },
                {
                    "frame": 5,
                    "timestamp": 0.2,
                    "detections": [
                        {"class": "person", "confidence": 0.8, "bbox": [0, 0, 1, 1]},
                        {"class": "car", "confidence": 0.7, "bbox": [0, 0, 1, 1]},
                    ],
                },
            ]
        }
    )
    assert objects.labels() == [
        Label(type="object", label="car"),
        Label(type="object", label="person"),
    ]
    ocr = OcrResult.model_validate(
        {
            "segments": [
                {"language_code": "en", "full_text": "EXIT"},
                {"language_code": "und", "full_text": " "},
            ]
        }
    )
    assert ocr.labels() == [Label(type="text", label="EXIT")]
    assert FacesResult().labels() == []
    twice = [
        Label(type="face", label="Ann"),
        Label(type="face", label="Ann"),
        Label(type="tag", label="Ann"),
    ]
    assert unique_labels(twice) == [Label(type="face", label="Ann"), Label(type="tag", label="Ann")]
