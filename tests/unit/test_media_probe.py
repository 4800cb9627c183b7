"""Probing: generated clips' ground truth and the shared real clips, read back through the probe."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from typing import TYPE_CHECKING

import av
import numpy as np
import pytest

from framelens.errors import UnsupportedMediaError
from framelens.media import media_info, probe_image, probe_video
from tests.media import write_video
from tests.shared import MEDIA

if TYPE_CHECKING:
    from pathlib import Path

    from tests.media import Generated

SHARED = MEDIA


def test_cuts_clip_probe_matches_generator(cuts_clip: Generated) -> None:
    # GIVEN 4 segments x 25 frames at 25 fps WHEN probed
    probe = probe_video(cuts_clip.path)
    # THEN size, rate, count, duration and codec are the generator's
    assert (probe.width, probe.height) == (160, 120)
    assert probe.fps == 25.0
    assert probe.frames == 100
    assert probe.duration_s == pytest.approx(4.0)
    assert (probe.codec, probe.container) == ("h264", "mp4")
    assert probe.rotation == 0
    assert probe.has_audio is False


@pytest.mark.parametrize(
    ("suffix", "codec", "container"),
    [
        (".mkv", "libx264", "mkv"),
        (".avi", "mpeg4", "avi"),
        (".ts", "libx264", "mpegts"),
    ],
)
def test_containers_without_header_counts(
    tmp_path: Path, suffix: str, codec: str, container: str
) -> None:
    # GIVEN a 20-frame clip in a container whose header may lack a frame count
    path = tmp_path / f"clip{suffix}"
    images = [np.full((120, 160, 3), 10 * i, np.uint8) for i in range(20)]
    write_video(path, images, codec=codec)
    # WHEN probed
    probe = probe_video(path)
    # THEN the frames are counted (by demuxing when needed) and the container is named
    assert probe.frames == 20
    assert probe.container == container
    assert probe.fps == pytest.approx(25.0)


def test_rotation_is_honoured(rotated_video: Generated) -> None:
    # GIVEN a 160x120 picture stored with a 90° clockwise display matrix WHEN probed
    probe = probe_video(rotated_video.path)
    # THEN the rotation is read and the display size is swapped
    assert probe.rotation == 90
    assert (probe.width, probe.height) == (120, 160)


def test_vfr_timestamps_and_exact_media_info(vfr_video: Generated) -> None:
    # GIVEN frames at irregular times
    # WHEN decoded and probed
    with av.open(str(vfr_video.path)) as container:
        times = [frame.pts * frame.time_base for frame in container.decode(video=0)]
    info = media_info(vfr_video.path)
    # THEN the decoded timestamps are exactly the generator's, and the info is exact Fractions
    assert times == vfr_video.truth
    assert info.frames == len(vfr_video.truth)
    assert isinstance(info.fps, Fraction)
    assert isinstance(info.duration, Fraction)
    assert info.duration >= vfr_video.truth[-1]
    assert info.fps == Fraction(len(vfr_video.truth)) / info.duration


def test_media_info_of_image(png_file: Generated) -> None:
    info = media_info(png_file.path)
    assert (info.media_type, info.width, info.height) == ("image", 320, 240)
    assert info.fps is None


def test_probe_image(jpeg_file: Generated) -> None:
    probe = probe_image(jpeg_file.path)
    assert (probe.width, probe.height, probe.container) == (320, 240, "jpeg")


def test_probe_audio_only_refused(audio_only: Generated) -> None:
    with pytest.raises(UnsupportedMediaError, match="audio"):
        probe_video(audio_only.path)


def test_import_is_light() -> None:
    # GIVEN a fresh interpreter WHEN framelens.media is imported THEN av, cv2, numpy are not loaded
    code = "import sys, framelens.media; print(sorted({'av','cv2','numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("name", "size", "fps", "frames", "audio"),
    [
        ("walking_people_vtest_480x360.avi", (480, 360), 10.0, 795, True),
        ("violinist_faces_cuts_640x360.mp4", (640, 360), 30000 / 1001, 654, True),
        ("text_overlay_ac3_testcard_640x480.avi", (640, 480), 25.0, 835, True),
    ],
)
def test_shared_clips_match_manifest(
    name: str, size: tuple[int, int], fps: float, frames: int, audio: bool
) -> None:
    # GIVEN a real clip from ../shared/media (skipped when absent)
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    # WHEN probed THEN size, fps and frame count are those in MANIFEST.md
    probe = probe_video(path)
    assert (probe.width, probe.height) == size
    assert probe.fps == pytest.approx(fps, rel=1e-4)
    assert probe.frames == frames
    assert probe.has_audio is audio
