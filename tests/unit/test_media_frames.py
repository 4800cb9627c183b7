"""Frame extraction: the exact frame by index (seek + decode forward), cropped, as JPEG or PNG."""

from __future__ import annotations

from typing import TYPE_CHECKING

import av
import cv2
import numpy as np
import pytest

from framelens.errors import ValidationError
from framelens.media import encode_image, extract_frame
from tests.shared import MEDIA

if TYPE_CHECKING:
    from tests.media import Generated

SHARED = MEDIA


def _decode(data: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


@pytest.mark.parametrize("index", [0, 24, 25, 49, 50, 74, 75, 99])
def test_frame_has_its_segments_colour(cuts_clip: Generated, index: int) -> None:
    # GIVEN solid segments of 25 frames (keyframes every 12, B-frames) and a frame at a boundary
    expected = cuts_clip.truth["colours"][index // cuts_clip.truth["per_segment"]]
    # WHEN that frame is extracted
    image = _decode(extract_frame(cuts_clip.path, index, fmt="png"))
    # THEN it has its own segment's colour, not a neighbour's
    assert image.shape == (120, 160, 3)
    assert np.abs(image[60, 80].astype(int) - expected).max() <= 8


def test_vfr_frames_by_index(vfr_video: Generated) -> None:
    # GIVEN a VFR clip where frame i is grey 20*i WHEN each frame is extracted
    greys = [
        int(_decode(extract_frame(vfr_video.path, i, fmt="png"))[60, 80, 1]) for i in range(12)
    ]
    # THEN every index gives its own frame
    assert all(abs(g - 20 * i) <= 8 for i, g in enumerate(greys)), greys


def test_rotation_and_crop(rotated_video: Generated) -> None:
    # GIVEN a stored red block at top-left, displayed rotated 90° clockwise
    # WHEN the frame is extracted whole and cropped to the display's top-right corner
    whole = _decode(extract_frame(rotated_video.path, 3, fmt="png"))
    corner = _decode(extract_frame(rotated_video.path, 3, crop=(95, 0, 120, 35), fmt="png"))
    # THEN the image is in display orientation and the red block is where a player shows it
    assert whole.shape == (160, 120, 3)
    assert whole[5, 115, 2] > 200 and whole[5, 115, 0] < 50
    assert whole[5, 5, 2] < 160
    assert corner.shape == (35, 25, 3)
    assert corner[..., 2].mean() > 200


def test_moving_box_follows_truth(box_clip: Generated) -> None:
    # GIVEN a white box with known per-frame position WHEN frames 0, 20, 49 are extracted
    for index in (0, 20, 49):
        gray = cv2.cvtColor(
            _decode(extract_frame(box_clip.path, index, fmt="png")), cv2.COLOR_BGR2GRAY
        )
        ys, xs = np.nonzero(gray > 150)
        x1, y1, x2, y2 = box_clip.truth[index]
        # THEN the bright pixels are the box, within a pixel of compression blur
        assert abs(xs.min() - x1) <= 1 and abs(xs.max() - (x2 - 1)) <= 1
        assert abs(ys.min() - y1) <= 1 and abs(ys.max() - (y2 - 1)) <= 1


def test_index_out_of_range_names_frame_count(cuts_clip: Generated) -> None:
    with pytest.raises(ValidationError, match="has 100 frames"):
        extract_frame(cuts_clip.path, 100)
    with pytest.raises(ValidationError, match="0 or more"):
        extract_frame(cuts_clip.path, -1)


def test_empty_crop_is_refused(cuts_clip: Generated) -> None:
    with pytest.raises(ValidationError, match="empty"):
        extract_frame(cuts_clip.path, 0, crop=(50, 50, 50, 60))


def test_encode_image_formats_and_quality() -> None:
    # GIVEN a noisy image WHEN encoded as PNG and as JPEG at two qualities
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    png = encode_image(image, "png")
    high, low = encode_image(image, "jpeg", 95), encode_image(image, "jpeg", 20)
    # THEN PNG is lossless, JPEG is JPEG and lower quality is smaller
    assert np.array_equal(_decode(png), image)
    assert high[:3] == b"\xff\xd8\xff"
    assert len(low) < len(high)
    with pytest.raises(ValidationError):
        encode_image(image, "gif")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        encode_image(image, "jpeg", 0)


def test_real_clip_frame_equals_sequential_decode() -> None:
    # GIVEN the violinist clip (H.264 with B-frames), frame 300 decoded sequentially
    path = SHARED / "violinist_faces_cuts_640x360.mp4"
    if not path.exists():
        pytest.skip(f"{path} not present")
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == 300:
                expected = frame.to_ndarray(format="bgr24")
                break
    # WHEN frame 300 is extracted by seeking
    image = _decode(extract_frame(path, 300, fmt="png"))
    # THEN it is pixel-identical
    assert np.array_equal(image, expected)
