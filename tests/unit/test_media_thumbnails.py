"""Frame index, frame-exact seeking and thumbnails on clips whose frames carry their own index."""

from __future__ import annotations

import io
from fractions import Fraction
from typing import TYPE_CHECKING

import av
import cv2
import numpy as np
import pytest

from framelens.errors import ValidationError
from framelens.media.av_images import read_frame_exact
from framelens.media.frame_index import FrameIndex, build_frame_index
from framelens.media.thumbnails import Crop, thumbnail
from tests.media_indexed import indexed_frame, read_index
from tests.shared import MEDIA

if TYPE_CHECKING:
    from tests.media import Generated


def _jpeg(data: bytes) -> np.ndarray:
    assert data[:3] == b"\xff\xd8\xff", "not a JPEG"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_index_lists_every_frame_and_the_keyframes(long_gop_video: Generated) -> None:
    # GIVEN 300 frames with keyframes at 0 and 250 only, three B-frames
    index = build_frame_index(long_gop_video.path)
    # THEN the index has every frame in display order and exactly those keyframes
    assert index.frames == 300
    assert index.keyframes == (0, 250)
    assert list(index.pts) == sorted(index.pts) and len(set(index.pts)) == 300
    assert index.keyframe_at_or_before(249) == 0 and index.keyframe_at_or_before(250) == 250
    assert index.time_of(25) == Fraction(1)
    assert index.index_at_time(Fraction(1)) == 25
    assert index.index_at_time(Fraction(1039, 1000)) == 25
    assert index.duration() == Fraction(12)


def test_index_round_trips_through_bytes(vfr_indexed_video: Generated) -> None:
    index = build_frame_index(vfr_indexed_video.path)
    assert FrameIndex.from_bytes(index.to_bytes()) == index
    with pytest.raises(ValueError, match="frame index"):
        FrameIndex.from_bytes(b"not an index")


@pytest.mark.parametrize("frame", [0, 1, 2, 3, 49, 50, 51, 60, 99, 100, 101, 119])
def test_thumbnail_is_that_frame(indexed_video: Generated, frame: int) -> None:
    # GIVEN keyframes at 0, 50, 100 and B-frames; frames at and around each keyframe boundary
    index = build_frame_index(indexed_video.path)
    # WHEN frame N is asked for
    image = _jpeg(thumbnail(indexed_video.path, index, frame=frame))
    # THEN the picture is frame N, read back from the index band it carries
    assert image.shape == (120, 160, 3)
    assert read_index(image) == frame


@pytest.mark.parametrize("frame", [0, 1, 124, 248, 249, 250, 251, 299])
def test_long_gop_frames_are_exact(long_gop_video: Generated, frame: int) -> None:
    # GIVEN a GOP of 250 frames: frame 249 is 249 frames after its keyframe
    index = build_frame_index(long_gop_video.path)
    # THEN seeking to the keyframe and decoding forward lands on exactly frame N
    assert read_index(read_frame_exact(long_gop_video.path, frame, index)) == frame


def test_every_frame_of_the_long_gop_clip_is_exact(long_gop_video: Generated) -> None:
    index = build_frame_index(long_gop_video.path)
    wrong = [
        f
        for f in range(0, 300, 7)
        if read_index(read_frame_exact(long_gop_video.path, f, index)) != f
    ]
    assert wrong == []


def test_vfr_frames_by_number_and_by_time(vfr_indexed_video: Generated) -> None:
    # GIVEN frames at irregular times (gaps from 40 ms to 400 ms)
    index = build_frame_index(vfr_indexed_video.path)
    times = vfr_indexed_video.truth["times"]
    assert [index.time_of(i) for i in range(index.frames)] == times
    for frame in range(index.frames):
        # WHEN each frame is asked for by number, and by a time inside its display interval
        by_number = _jpeg(thumbnail(vfr_indexed_video.path, index, frame=frame))
        later = times[frame] + Fraction(1, 100)
        by_time = _jpeg(thumbnail(vfr_indexed_video.path, index, time=later))
        # THEN both are that frame (index / fps would be wrong here)
        assert read_index(by_number) == frame
        assert read_index(by_time) == frame


def test_crop_matches_the_frames_pixels(indexed_video: Generated) -> None:
    # GIVEN frame 77 and a crop below the index band
    index = build_frame_index(indexed_video.path)
    crop = Crop(x=30, y=50, w=64, h=40)
    # WHEN cropped by the thumbnail and by slicing the decoded frame
    cropped = _jpeg(thumbnail(indexed_video.path, index, frame=77, crop=crop, quality=100))
    whole = read_frame_exact(indexed_video.path, 77, index)
    # THEN the crop has the asked size and the same pixels (JPEG within a few levels)
    assert cropped.shape == (40, 64, 3)
    expected = whole[50:90, 30:94].astype(int)
    assert np.abs(cropped.astype(int) - expected).mean() < 3
    # AND matches what was drawn into the source frame
    truth = indexed_frame(77)[50:90, 30:94].astype(int)
    assert np.abs(cropped.astype(int) - truth).mean() < 6


def test_frame_past_the_end_is_a_validation_error(indexed_video: Generated) -> None:
    index = build_frame_index(indexed_video.path)
    with pytest.raises(ValidationError, match="has 120 frames") as info:
        thumbnail(indexed_video.path, index, frame=120)
    assert info.value.http_status == 400 and info.value.details["frames"] == 120
    with pytest.raises(ValidationError, match="start at 0"):
        thumbnail(indexed_video.path, index, frame=-1)
    with pytest.raises(ValidationError, match="outside the video"):
        thumbnail(indexed_video.path, index, time=4.8)
    with pytest.raises(ValidationError, match="not both"):
        thumbnail(indexed_video.path, index, frame=1, time=0.0)
    with pytest.raises(ValidationError, match="not both"):
        thumbnail(indexed_video.path, index)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ((1, None, None, None), "missing: y, w, h"),
        ((1, 2, 3, None), "missing: h"),
        ((-1, 0, 10, 10), "0 or more"),
        ((0, 0, 0, 10), "at least 1"),
    ],
)
def test_crop_needs_all_four_valid_values(params: tuple, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Crop.from_params(*params)


def test_no_crop_values_is_no_crop() -> None:
    assert Crop.from_params(None, None, None, None) is None
    assert Crop.from_params(1, 2, 3, 4) == Crop(1, 2, 3, 4)


@pytest.mark.parametrize(
    ("crop", "edge"),
    [
        (Crop(100, 0, 61, 10), "x \\+ w = 161 is past the frame width 160"),
        (Crop(0, 100, 10, 21), "y \\+ h = 121 is past the frame height 120"),
    ],
)
def test_crop_outside_the_frame_names_the_edge(
    indexed_video: Generated, crop: Crop, edge: str
) -> None:
    index = build_frame_index(indexed_video.path)
    with pytest.raises(ValidationError, match=edge):
        thumbnail(indexed_video.path, index, frame=0, crop=crop)


def test_thumbnail_from_a_file_object(indexed_video: Generated) -> None:
    # GIVEN the clip's bytes in memory (as a ranged blob reader would give them)
    source = io.BytesIO(indexed_video.path.read_bytes())
    index = build_frame_index(source)
    # THEN the index and frame-exact seeking work without a path
    assert index == build_frame_index(indexed_video.path)
    assert read_index(_jpeg(thumbnail(source, index, frame=63))) == 63


def test_real_clip_frames_equal_sequential_decode() -> None:
    # GIVEN the violinist clip (H.264 with B-frames and cuts), frames decoded in sequence
    path = MEDIA / "violinist_faces_cuts_640x360.mp4"
    if not path.exists():
        pytest.skip(f"{path} not present")
    wanted = {0, 1, 2, 3, 100, 249, 250, 251, 300, 611, 1000}
    expected = {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                expected[i] = frame.to_ndarray(format="bgr24")
            if i >= max(wanted):
                break
    index = build_frame_index(path)
    # WHEN each is read by seeking (non-reference frames before it skipped)
    for frame, pixels in expected.items():
        # THEN it is pixel-identical
        assert np.array_equal(read_frame_exact(path, frame, index), pixels), frame
