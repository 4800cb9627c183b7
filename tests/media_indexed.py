"""Generated clips whose every frame carries its own index, with or without an audio track.

Each frame shows its zero-based display index as 16 black/white blocks (two rows of eight, bit
``k`` at row ``k // 8``, column ``k % 8``, white = 1) across the top ``BAND`` rows, above a
colour gradient that drifts with the index. ``read_index`` decodes the number back from any
decoded picture of the same size, so a test can tell which frame a thumbnail, clip or span holds
without trusting any timestamp. Blocks are large, so compression never flips a bit.

Wire-up: ``tests/conftest.py`` lists this module in ``pytest_plugins``; tests use the fixtures by
name (``indexed_video``, ``long_gop_video``, ``indexed_av_video``, ``vfr_indexed_video``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import av
import numpy as np
import pytest

from tests.media import Generated, write_video

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

BITS = 16
COLUMNS = 8


def band_height(height: int) -> int:
    """Rows of the index band for a frame ``height`` pixels tall."""
    return max(16, height // 4) // 2 * 2


def indexed_frame(index: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """The BGR picture of frame ``index``: the index band above a drifting gradient."""
    width, height = size
    band = band_height(height)
    xs = np.arange(width, dtype=np.int32)[None, :]
    ys = np.arange(height, dtype=np.int32)[:, None]
    image = np.empty((height, width, 3), np.uint8)
    image[..., 0] = (xs * 200 // width + index) % 256
    image[..., 1] = ys * 200 // height
    image[..., 2] = 120
    row_h, col_w = band // 2, width // COLUMNS
    image[:band] = 0
    for bit in range(BITS):
        if index >> bit & 1:
            r, c = divmod(bit, COLUMNS)
            image[r * row_h : (r + 1) * row_h, c * col_w : (c + 1) * col_w] = 255
    return image


def read_index(image: np.ndarray) -> int:
    """Decode the index band of a decoded BGR picture (``indexed_frame``'s inverse)."""
    height, width = image.shape[:2]
    band = band_height(height)
    row_h, col_w = band // 2, width // COLUMNS
    value = 0
    for bit in range(BITS):
        r, c = divmod(bit, COLUMNS)
        block = image[r * row_h : (r + 1) * row_h, c * col_w : (c + 1) * col_w]
        inner = block[row_h // 4 : -row_h // 4 or None, col_w // 4 : -col_w // 4 or None]
        if inner.mean() > 128:
            value |= 1 << bit
    return value


def _tone(seconds: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def indexed_av_clip(
    path: Path,
    frames: int = 100,
    fps: int = 25,
    size: tuple[int, int] = (160, 120),
    keyint: int = 25,
    rate: int = 48000,
) -> Generated:
    """An H.264 + AAC MP4: indexed frames (``keyint`` GOP, two B-frames) and a 440 Hz tone.

    Truth: ``truth["keyframes"]`` = display indices of keyframes (every ``keyint``);
    ``truth["audio_seconds"]`` = length of the tone (the video's duration).
    """
    container = av.open(str(path), "w")
    video = container.add_stream("libx264", rate=fps)
    video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
    params = f"keyint={keyint}:min-keyint={keyint}:scenecut=0:bframes=2"
    video.options = {"preset": "ultrafast", "x264-params": params}
    audio = container.add_stream("aac", rate=rate)
    audio.layout = "mono"
    tone = _tone(frames / fps, rate)
    samples_per_frame = rate // fps
    sent = 0
    for i in range(frames):
        picture = av.VideoFrame.from_ndarray(indexed_frame(i, size), format="bgr24")
        picture.pts = i
        container.mux(video.encode(picture))
        upto = min(len(tone), (i + 1) * samples_per_frame)
        while sent + 1024 <= upto or (i == frames - 1 and sent < len(tone)):
            chunk = tone[sent : sent + 1024].reshape(1, -1)
            sound = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            sound.sample_rate, sound.pts = rate, sent
            container.mux(audio.encode(sound))
            sent += chunk.shape[1]
    container.mux(video.encode())
    container.mux(audio.encode())
    container.close()
    truth = {"keyframes": list(range(0, frames, keyint)), "audio_seconds": frames / fps}
    return Generated(path, frames, Fraction(fps), size[0], size[1], truth)


def indexed_clip(
    path: Path,
    frames: int = 120,
    fps: int = 25,
    size: tuple[int, int] = (160, 120),
    keyint: int = 50,
    bframes: int = 3,
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
) -> Generated:
    """Indexed frames, H.264 with keyframes exactly every ``keyint`` and ``bframes`` B-frames.

    Truth: ``truth["keyframes"]`` = display indices of keyframes; with ``pts``/``time_base``
    (VFR) ``truth["times"]`` = each frame's time in seconds from the first.
    """

    def images() -> Iterator[np.ndarray]:
        for i in range(frames):
            yield indexed_frame(i, size)

    count = write_video(
        path,
        images(),
        fps=fps,
        pts=pts,
        time_base=time_base,
        keyint=keyint,
        bframes=bframes,
        x264_extra=f"min-keyint={keyint}:scenecut=0",
    )
    truth: dict[str, object] = {"keyframes": list(range(0, frames, keyint))}
    if pts is not None and time_base is not None:
        truth["times"] = [(p - pts[0]) * time_base for p in pts]
    return Generated(path, count, Fraction(fps), size[0], size[1], truth)


@pytest.fixture(scope="session")
def indexed_video(media_dir: Path) -> Generated:
    """``indexed_clip``: 120 frames at 25 fps, keyframes at 0, 50, 100, three B-frames."""
    return indexed_clip(media_dir / "indexed.mp4")


@pytest.fixture(scope="session")
def long_gop_video(media_dir: Path) -> Generated:
    """``indexed_clip``: 300 frames, one keyframe every 250 (0 and 250), three B-frames."""
    return indexed_clip(media_dir / "long_gop.mp4", frames=300, keyint=250)


@pytest.fixture(scope="session")
def indexed_av_video(media_dir: Path) -> Generated:
    """``indexed_av_clip``: 100 frames (4 s) at 25 fps with AAC audio, keyframes every 25."""
    return indexed_av_clip(media_dir / "indexed_av.mp4")


VFR_PTS_MS = (0, 40, 80, 200, 240, 400, 440, 480, 600, 1000, 1040, 1080, 1120, 1500, 1540, 1580)


@pytest.fixture(scope="session")
def vfr_indexed_video(media_dir: Path) -> Generated:
    """``indexed_clip`` at variable frame rate (``VFR_PTS_MS``), keyframes every 6."""
    return indexed_clip(
        media_dir / "vfr_indexed.mp4",
        frames=len(VFR_PTS_MS),
        keyint=6,
        bframes=2,
        pts=VFR_PTS_MS,
        time_base=Fraction(1, 1000),
    )
