"""Frame pictures through FFmpeg alone (``media.av_images``): what the API Lambda can run.

The API Lambda's layer has PyAV but no numpy or OpenCV, and it answers thumbnails, face
thumbnails and representative faces inline: these run in a child interpreter where importing
numpy or cv2 fails, as it would there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import cv2
import numpy as np

from framelens.media import build_frame_index
from framelens.media.thumbnails import thumbnail
from tests.media_indexed import read_index

if TYPE_CHECKING:
    from tests.media import Generated

_WITHOUT_NUMPY = """
import json, sys
sys.modules["numpy"] = None  # import numpy -> ImportError, as in the Lambda layer
sys.modules["cv2"] = None
from framelens.media import FaceSighting, build_frame_index
from framelens.media.faces import face_thumbnail, representative_face
from framelens.media.thumbnails import Crop, thumbnail
path = sys.argv[1]
index = build_frame_index(path)
out = {
    "thumb": thumbnail(path, index, frame=251).hex(),
    "crop": thumbnail(path, index, frame=251, crop=Crop(10, 20, 31, 17)).hex(),
    "face": face_thumbnail(path, index, 100, (60, 40, 40, 40)).hex(),
}
chosen = representative_face(path, index, [FaceSighting(f, (20, 0, 80, 60), 0.9) for f in (5, 250)])
out["rep"] = [chosen.sighting.frame, chosen.blur_score]
out["loaded"] = sorted(m for m in ("numpy", "cv2") if sys.modules.get(m) is not None)
print(json.dumps(out))
"""


def _image(hex_jpeg: str) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(bytes.fromhex(hex_jpeg), np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


def test_thumbnails_and_faces_run_without_numpy_or_opencv(long_gop_video: Generated) -> None:
    # GIVEN a child interpreter in which numpy and cv2 cannot be imported
    out = subprocess.run(
        [sys.executable, "-c", _WITHOUT_NUMPY, str(long_gop_video.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    answers = json.loads(out.stdout.strip().splitlines()[-1])
    # THEN frame-exact JPEGs, crops, 320x320 faces and the blur choice all came out of FFmpeg
    assert answers["loaded"] == []
    assert read_index(_image(answers["thumb"])) == 251
    assert _image(answers["crop"]).shape == (17, 31, 3)
    assert _image(answers["face"]).shape == (320, 320, 3)
    assert answers["rep"][0] in (5, 250) and answers["rep"][1] >= 0


def test_a_rotated_video_is_shown_upright(rotated_video: Generated) -> None:
    # GIVEN a 160x120 picture stored with a 90 degree display rotation
    index = build_frame_index(rotated_video.path)
    jpeg = thumbnail(rotated_video.path, index, frame=3)
    # THEN the thumbnail has the display size, as a player shows it, and OpenCV's rotation of
    # the stored picture agrees with it
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (rotated_video.height, rotated_video.width) == (160, 120)
    from framelens.media.av_images import read_frame_exact

    upright = read_frame_exact(rotated_video.path, 3, index)
    assert np.abs(image.astype(int) - upright.astype(int)).mean() < 4
