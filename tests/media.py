"""Generated media for tests: small clips, images and bad files whose ground truth is known.

Owns: every synthetic media generator and the session-scoped fixtures built from them. Each
generator states what it exercises and its ground truth. Everything is written with PyAV (H.264
``yuv420p``, or AAC for audio) at low resolution, so a whole session builds them in a few seconds.

Wire-up: ``tests/conftest.py`` holds ``pytest_plugins = ["tests.media"]``; tests then use the
fixtures by name (``cuts_clip``, ``vfr_video``...) or import the generators from ``tests.media``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import av
import numpy as np
import pytest

from tests.generated import Generated
from tests.media_files import (
    corrupt_copy,
    docx_file,
    huge_dimensions_png,
    jpeg_image,
    png_image,
    text_file_as_mp4,
    truncated_copy,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

SIZE = (160, 120)  # width, height of generated clips
BGR = tuple[int, int, int]
RED: BGR = (0, 0, 255)
GREEN: BGR = (0, 255, 0)
BLUE: BGR = (255, 0, 0)
WHITE: BGR = (255, 255, 255)
GREY: BGR = (128, 128, 128)


def write_video(
    path: Path,
    images: Iterable[np.ndarray],
    *,
    fps: int = 25,
    pts: Sequence[int] | None = None,
    time_base: Fraction | None = None,
    rotation: int = 0,
    codec: str = "libx264",
    keyint: int = 12,
    bframes: int = 2,
    x264_extra: str = "",
) -> int:
    """Encode BGR frames to ``path`` (container from its suffix); returns the frame count.

    Keyframes every ``keyint`` frames and ``bframes`` B-frames make seeks and PTS reordering
    real. ``rotation`` is the clockwise display rotation stored as a display matrix.
    ``x264_extra`` appends x264 parameters (``scenecut=0`` pins keyframes to every ``keyint``).
    """
    container = av.open(str(path), "w")
    stream = container.add_stream(codec, rate=fps)
    stream.pix_fmt = "yuv420p"
    if codec == "libx264":
        params = f"keyint={keyint}:bframes={bframes}" + (f":{x264_extra}" if x264_extra else "")
        stream.options = {"preset": "ultrafast", "x264-params": params}
    else:
        stream.codec_context.gop_size = keyint
    if time_base is not None:
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
    if rotation:
        stream.set_display_rotation(-rotation)  # PyAV takes counter-clockwise degrees
    count = 0
    for i, image in enumerate(images):
        if count == 0:
            stream.height, stream.width = image.shape[:2]
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        frame.pts = pts[i] if pts is not None else i
        if time_base is not None:
            frame.time_base = time_base
        container.mux(stream.encode(frame))
        count += 1
    container.mux(stream.encode())
    container.close()
    return count


def walking_people_clip(path: Path, seconds: int) -> Path:
    """The first ``seconds`` of the shared walking clip (10 fps), re-encoded without B-frames.

    Truth: 4-10 pedestrians in every frame (``shared/media/MANIFEST.md``). Without B-frames every
    frame is a reference frame, so a run that decodes reference frames only sees exactly the
    frames a full decode sees.
    """
    from tests.shared import media

    with av.open(str(media("walking_people_vtest_480x360.avi"))) as container:
        frames = [
            f.to_ndarray(format="bgr24")
            for _, f in zip(range(seconds * 10), container.decode(video=0), strict=False)
        ]
    write_video(path, frames, fps=10, keyint=10, bframes=0)
    return path


def _solid(colour: BGR, size: tuple[int, int] = SIZE) -> np.ndarray:
    return np.full((size[1], size[0], 3), colour, dtype=np.uint8)


def solid_cuts_clip(
    path: Path,
    colours: Sequence[BGR] = (RED, GREEN, BLUE, WHITE),
    seconds_each: float = 1.0,
    fps: int = 25,
    size: tuple[int, int] = SIZE,
) -> Generated:
    """Solid-colour segments joined by hard cuts (exercises cut detection and frame seeking).

    Truth: ``truth["cuts"]`` = first frame index of every segment after the first
    (``k * round(seconds_each * fps)``); ``truth["colours"]`` = each segment's BGR colour;
    frame ``i`` has colour ``colours[i // per_segment]``.
    """
    per = round(seconds_each * fps)
    images = (_solid(c, size) for c in colours for _ in range(per))
    frames = write_video(path, images, fps=fps)
    cuts = [k * per for k in range(1, len(colours))]
    truth = {"cuts": cuts, "colours": list(colours), "per_segment": per}
    return Generated(path, frames, Fraction(fps), size[0], size[1], truth)


def fade_clip(
    path: Path,
    colour_a: BGR = RED,
    colour_b: BGR = BLUE,
    hold_frames: int = 25,
    fade_frames: int = 15,
    fps: int = 25,
    size: tuple[int, int] = SIZE,
) -> Generated:
    """Colour A held, a linear cross-fade to colour B, then B held (a gradual transition).

    Truth: ``truth["fade"]`` = ``(first, last)`` frame indices of the transition: frames
    ``hold_frames .. hold_frames + fade_frames - 1`` are blends; before is pure A, after pure B.
    """
    a, b = np.array(colour_a, float), np.array(colour_b, float)
    colours = [a] * hold_frames
    colours += [a + (b - a) * (k + 1) / (fade_frames + 1) for k in range(fade_frames)]
    colours += [b] * hold_frames
    images = (_solid(tuple(round(v) for v in c), size) for c in colours)  # type: ignore[arg-type]
    frames = write_video(path, images, fps=fps)
    truth = {"fade": (hold_frames, hold_frames + fade_frames - 1)}
    return Generated(path, frames, Fraction(fps), size[0], size[1], truth)


def moving_box_clip(
    path: Path, frames: int = 50, fps: int = 25, box: int = 24, size: tuple[int, int] = SIZE
) -> Generated:
    """A white square moving left to right at constant speed on a dark grey background.

    Truth: ``truth`` = list of per-frame boxes ``(x1, y1, x2, y2)`` (exclusive x2/y2), pixel-exact
    in the source frames (compression blurs edges by about a pixel).
    """
    width, height = size
    y1 = (height - box) // 2
    boxes = [
        (x, y1, x + box, y1 + box)
        for x in (round(i * (width - box) / max(1, frames - 1)) for i in range(frames))
    ]

    def images() -> Iterable[np.ndarray]:
        for x1, top, x2, bottom in boxes:
            image = _solid((40, 40, 40), size)
            image[top:bottom, x1:x2] = WHITE
            yield image

    count = write_video(path, images(), fps=fps)
    return Generated(path, count, Fraction(fps), width, height, boxes)


def noise_clip(
    path: Path, frames: int = 25, fps: int = 25, seed: int = 0, size: tuple[int, int] = SIZE
) -> Generated:
    """Independent uniform noise every frame: maximal activity, no structure, hard to compress.

    Truth: ``truth`` = the seed; every frame differs strongly from its neighbours and no frame
    is a scene of its own (detectors must not report a cut per frame with sane thresholds).
    """
    rng = np.random.default_rng(seed)
    images = (rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8) for _ in range(frames))
    count = write_video(path, images, fps=fps)
    return Generated(path, count, Fraction(fps), size[0], size[1], seed)


VFR_TIMESTAMPS_MS = (0, 40, 80, 200, 240, 400, 440, 480, 600, 1000, 1040, 1080)


def vfr_clip(path: Path, timestamps_ms: Sequence[int] = VFR_TIMESTAMPS_MS) -> Generated:
    """Variable frame rate: frames at irregular times (gaps of 40 to 400 ms), grey levels rising.

    Truth: ``truth`` = exact frame timestamps in seconds as ``Fraction`` (first at 0); frame ``i``
    is solid grey ``20 * i``. ``index / fps`` is wrong for this clip; only PTS is right.
    """
    images = (_solid((20 * i,) * 3) for i in range(len(timestamps_ms)))  # type: ignore[arg-type]
    count = write_video(path, images, pts=timestamps_ms, time_base=Fraction(1, 1000))
    truth = [Fraction(t, 1000) for t in timestamps_ms]
    return Generated(path, count, None, SIZE[0], SIZE[1], truth)


def rotated_clip(path: Path, rotation: int = 90, frames: int = 10, fps: int = 25) -> Generated:
    """A 160x120 stored picture with display-rotation metadata (clockwise ``rotation`` degrees).

    Truth: display size is 120x160 for 90/270; the stored frame is grey with a red block in its
    top-left corner, so after a 90° clockwise turn the red block is in the display's top-right.
    ``truth`` = the rotation.
    """
    image = _solid(GREY)
    image[:30, :40] = RED
    count = write_video(path, (image for _ in range(frames)), fps=fps, rotation=rotation)
    width, height = (SIZE[1], SIZE[0]) if rotation in (90, 270) else SIZE
    return Generated(path, count, Fraction(fps), width, height, rotation)


def audio_only_file(path: Path, seconds: float = 1.0, rate: int = 48000) -> Generated:
    """An MP4/M4A with one AAC track and no video stream (``ftyp`` magic, yet not a video).

    Truth: validation must refuse it as unsupported (no picture); ``truth`` = duration in seconds.
    """
    container = av.open(str(path), "w", format="mp4")
    stream = container.add_stream("aac", rate=rate)
    stream.layout = "mono"
    samples = 1024
    tone = np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate).astype(np.float32)
    for start in range(0, len(tone), samples):
        chunk = tone[start : start + samples].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
    container.close()
    return Generated(path, truth=seconds)


# Session fixtures: each file is generated once per test session.


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session-wide folder for generated media."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def cuts_clip(media_dir: Path) -> Generated:
    """``solid_cuts_clip``: red, green, blue, white; 25 frames each at 25 fps (cuts 25, 50, 75)."""
    return solid_cuts_clip(media_dir / "cuts.mp4")


@pytest.fixture(scope="session")
def fade_video(media_dir: Path) -> Generated:
    """``fade_clip``: red 25 frames, 15-frame fade (frames 25..39), blue 25 frames."""
    return fade_clip(media_dir / "fade.mp4")


@pytest.fixture(scope="session")
def box_clip(media_dir: Path) -> Generated:
    """``moving_box_clip``: 50 frames, 24 px white box moving left to right."""
    return moving_box_clip(media_dir / "box.mp4")


@pytest.fixture(scope="session")
def noise_video(media_dir: Path) -> Generated:
    """``noise_clip``: 25 frames of uniform noise."""
    return noise_clip(media_dir / "noise.mp4")


@pytest.fixture(scope="session")
def vfr_video(media_dir: Path) -> Generated:
    """``vfr_clip`` with ``VFR_TIMESTAMPS_MS``."""
    return vfr_clip(media_dir / "vfr.mp4")


@pytest.fixture(scope="session")
def rotated_video(media_dir: Path) -> Generated:
    """``rotated_clip``: 160x120 stored, rotated 90° clockwise for display."""
    return rotated_clip(media_dir / "rotated.mp4")


@pytest.fixture(scope="session")
def audio_only(media_dir: Path) -> Generated:
    """``audio_only_file``: a 1 s AAC track in MP4, no video."""
    return audio_only_file(media_dir / "audio.m4a")


@pytest.fixture(scope="session")
def jpeg_file(media_dir: Path) -> Generated:
    """``jpeg_image``: 320x240."""
    return jpeg_image(media_dir / "image.jpg")


@pytest.fixture(scope="session")
def png_file(media_dir: Path) -> Generated:
    """``png_image``: 320x240."""
    return png_image(media_dir / "image.png")


@pytest.fixture(scope="session")
def huge_png(media_dir: Path) -> Generated:
    """``huge_dimensions_png``: header says 30000x30000."""
    return huge_dimensions_png(media_dir / "huge.png")


@pytest.fixture(scope="session")
def docx(media_dir: Path) -> Generated:
    """``docx_file`` with two paragraphs."""
    return docx_file(media_dir / "doc.docx", ("First paragraph", "Second paragraph"))


@pytest.fixture(scope="session")
def bad_media(media_dir: Path, cuts_clip: Generated) -> dict[str, Path]:
    """Bad uploads by name: ``empty``, ``truncated``, ``corrupt``, ``text_as_mp4``."""
    empty = media_dir / "empty.mp4"
    empty.write_bytes(b"")
    size = cuts_clip.path.stat().st_size
    return {
        "empty": empty,
        "truncated": truncated_copy(cuts_clip.path, media_dir / "truncated.mp4", size // 3),
        "corrupt": corrupt_copy(cuts_clip.path, media_dir / "corrupt.mp4"),
        "text_as_mp4": text_file_as_mp4(media_dir / "notes.mp4"),
    }
