"""Overlay videos (boxes where the detections are, every frame present), trace highlight, face
thumbnails and the representative face."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np
import pytest

from framelens.errors import NotFoundError, ValidationError
from framelens.media.faces import (
    BLUR_WITHOUT_EDGES,
    FaceSighting,
    blur_score,
    face_thumbnail,
    representative_face,
)
from framelens.media.frame_index import build_frame_index
from framelens.media.overlay import DIMMED, HIGHLIGHT, OverlayBox, colour_for, draw_boxes
from framelens.media.overlay_video import render_overlay_video, track_span
from framelens.media.selection import FrameSpan
from tests.media import write_video
from tests.media_indexed import indexed_frame, read_index

if TYPE_CHECKING:
    from pathlib import Path

    from tests.media import Generated

CAR = OverlayBox((20, 60, 90, 110), "car", colour_key="car", track_id=3)
DOG = OverlayBox((100, 60, 150, 100), "dog", colour_key="dog")


def _frames(data: bytes) -> tuple[str, list[np.ndarray]]:
    with av.open(io.BytesIO(data)) as container:
        codec = container.streams.video[0].codec_context.name
        return codec, [f.to_ndarray(format="bgr24") for f in container.decode(video=0)]


def _edge_colour(image: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    """Mean colour of the left edge line of ``box`` (2 px wide), away from the label."""
    x1, y1, _, y2 = (int(v) for v in box)
    return image[int(y1) + 10 : int(y2) - 5, x1 : x1 + 2].reshape(-1, 3).mean(axis=0)


def _close(colour: np.ndarray, expected: tuple[int, int, int], tolerance: float = 60) -> bool:
    return bool(np.abs(colour - np.array(expected)).max() <= tolerance)


def test_draw_boxes_uses_the_key_colour_and_keeps_the_input() -> None:
    image = np.zeros((120, 160, 3), np.uint8)
    drawn = draw_boxes(image, [CAR, DOG])
    assert image.max() == 0  # not modified
    assert tuple(drawn[80, 20]) == colour_for("car")
    assert tuple(drawn[80, 100]) == colour_for("dog")
    assert colour_for("car") == colour_for("car") and colour_for("car") != colour_for("dog")
    assert CAR.text() == "#3 car" and DOG.text() == "dog"


def test_overlay_video_draws_boxes_where_the_detections_are(indexed_video: Generated) -> None:
    # GIVEN a car and a dog on frames 10..20 only
    index = build_frame_index(indexed_video.path)
    boxes = {i: [CAR, DOG] for i in range(10, 21)}
    # WHEN the whole video is rendered with the overlay
    codec, frames = _frames(b"".join(render_overlay_video(indexed_video.path, index, boxes)))
    # THEN H.264 with every frame present, in order
    assert codec == "h264"
    assert [read_index(f) for f in frames] == list(range(120))
    # AND boxes in their colours where the detections are, only on their frames
    for i in (10, 15, 20):
        assert _close(_edge_colour(frames[i], CAR.box), colour_for("car")), i
        assert _close(_edge_colour(frames[i], DOG.box), colour_for("dog")), i
    source = indexed_frame(25).astype(int)
    assert np.abs(frames[25].astype(int) - source).mean() < 4  # passed through


def test_hold_keeps_boxes_over_unsampled_frames_until_cleared(indexed_video: Generated) -> None:
    # GIVEN a detection on frame 40, nothing sampled on 41..43, an empty sample on 44
    index = build_frame_index(indexed_video.path)
    boxes: dict[int, list[OverlayBox]] = {40: [CAR], 44: []}
    span = FrameSpan(39, 46)
    held = _frames(
        b"".join(render_overlay_video(indexed_video.path, index, boxes, span=span, hold=2))
    )[1]
    plain = _frames(b"".join(render_overlay_video(indexed_video.path, index, boxes, span=span)))[1]
    drawn = [_close(_edge_colour(f, CAR.box), colour_for("car")) for f in held]
    # THEN with hold=2 the box stays on 41 and 42, not 43; without hold only on 40
    assert drawn == [False, True, True, True, False, False, False, False]
    assert [_close(_edge_colour(f, CAR.box), colour_for("car")) for f in plain] == [
        False, True, False, False, False, False, False, False
    ]  # fmt: skip


def test_trace_video_is_the_trace_span_with_its_face_highlighted(
    indexed_video: Generated,
) -> None:
    # GIVEN trace 7 on frames 30..40 next to another face (trace 8)
    index = build_frame_index(indexed_video.path)
    face7 = OverlayBox((20, 50, 70, 100), "face", track_id=7)
    face8 = OverlayBox((100, 50, 150, 100), "face", track_id=8)
    boxes = {i: [face7, face8] for i in range(30, 41)} | {50: [face8]}
    span = track_span(boxes, 7)
    # WHEN the trace video is rendered
    chunks = render_overlay_video(indexed_video.path, index, boxes, span=span, highlight=7)
    codec, frames = _frames(b"".join(chunks))
    # THEN it covers exactly the trace's frames, the trace thick in the highlight colour,
    # the other face thin and grey
    assert span == FrameSpan(30, 40) and codec == "h264"
    assert [read_index(f) for f in frames] == list(range(30, 41))
    assert _close(_edge_colour(frames[5], face7.box), HIGHLIGHT)
    assert _close(frames[5][60:90, 21].mean(axis=0), HIGHLIGHT)  # 4 px thick
    assert _close(frames[5][60:90, 100].mean(axis=0), DIMMED, 70)
    with pytest.raises(NotFoundError):
        track_span(boxes, 99)


# --- faces -------------------------------------------------------------------------------------


def test_face_thumbnail_is_320_square_around_the_face(indexed_video: Generated) -> None:
    # GIVEN a face box of 40x40 at (60, 50) on frame 30
    index = build_frame_index(indexed_video.path)
    jpeg = face_thumbnail(indexed_video.path, index, 30, (60, 50, 40, 40))
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    # THEN 320x320, showing the box with a quarter of margin: the 60x60 square at (50, 40)
    assert image.shape == (320, 320, 3)
    region = indexed_frame(30)[40:100, 50:110].astype(int)
    shrunk = cv2.resize(image, (60, 60), interpolation=cv2.INTER_AREA).astype(int)
    assert np.abs(shrunk - region).mean() < 8


def test_face_at_the_edge_is_shifted_inside_and_outside_is_refused(
    indexed_video: Generated,
) -> None:
    index = build_frame_index(indexed_video.path)
    corner = face_thumbnail(indexed_video.path, index, 0, (0, 90, 30, 30))
    assert cv2.imdecode(np.frombuffer(corner, np.uint8), cv2.IMREAD_COLOR).shape == (320, 320, 3)
    with pytest.raises(ValidationError, match="outside"):
        face_thumbnail(indexed_video.path, index, 0, (170, 10, 20, 20))
    with pytest.raises(ValidationError, match="has 120 frames"):
        face_thumbnail(indexed_video.path, index, 500, (10, 10, 20, 20))


@pytest.fixture(scope="module")
def sharpness_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 frames of one textured 'face' at (40, 20, 80, 80); only frames 2 and 13 are sharp,
    the others blurred (sigma 3)."""
    texture = np.random.default_rng(3).integers(0, 2, (10, 10), dtype=np.uint8) * 255
    face = cv2.resize(texture, (80, 80), interpolation=cv2.INTER_NEAREST)
    images = []
    for i in range(20):
        image = np.full((120, 160, 3), 90, np.uint8)
        patch = face if i in (2, 13) else cv2.GaussianBlur(face, (0, 0), 3)
        image[20:100, 40:120] = patch[..., None]
        images.append(image)
    path = tmp_path_factory.mktemp("faces") / "sharpness.mp4"
    write_video(path, images, fps=10)
    return path


def test_representative_face_is_the_sharpest_of_the_top_ten(sharpness_clip: Path) -> None:
    # GIVEN sightings on every frame: frames 4..13 rank highest by area x confidence,
    # frame 2 is sharp too but ranks low (small confidence)
    index = build_frame_index(sharpness_clip)
    sightings = [FaceSighting(i, (40, 20, 80, 80), 0.9 if 4 <= i <= 13 else 0.3) for i in range(20)]
    # WHEN the representative face is chosen
    chosen = representative_face(sharpness_clip, index, sightings)
    # THEN it is the sharp frame among the top ten (lower blur score), not the excluded one
    assert chosen.sighting.frame == 13
    assert chosen.quality_score == pytest.approx(80 * 80 * 0.9)
    assert float(chosen.timestamp) == pytest.approx(1.3)
    blurred = representative_face(sharpness_clip, index, [s for s in sightings if s.frame != 13])
    assert blurred.sighting.frame != 2 and blurred.blur_score > chosen.blur_score
    with pytest.raises(NotFoundError):
        representative_face(sharpness_clip, index, [])


def test_a_face_without_edges_scores_as_blurriest() -> None:
    flat = np.full((80, 80, 3), 90, np.uint8)
    edged = flat.copy()
    edged[20:60, 20:60] = 250
    assert blur_score(flat) == BLUR_WITHOUT_EDGES
    assert blur_score(edged) < BLUR_WITHOUT_EDGES
