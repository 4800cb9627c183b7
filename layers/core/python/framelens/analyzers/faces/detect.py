"""Face detection with YuNet through ``cv2.FaceDetectorYN``.

Owns: ``DetectedFace`` (box, 5 landmarks and score in the pixels of the image it ran on) and
``FaceDetector`` (one YuNet per input size, thresholds). Does not own: the model file
(``framelens.models`` verifies it) or anything after detection.

Thresholds (measured on the violinist clip, every frame at 640x360): its true faces score
0.874-0.95; YuNet also fires on the violin body at up to 0.832 on 13 of 654 frames (the
models manifest saw 0.69-0.75 on every 30th frame). ``FaceDetector.min_score`` (default 0.8) is
the floor that continues traces; ``confirm_score`` in the analyzer (default 0.86) is what a trace
or an image's face must reach once to be reported.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from pathlib import Path

    import numpy.typing as npt

__all__ = ["DEFAULT_MIN_SCORE", "DetectedFace", "FaceDetector"]

DEFAULT_MIN_SCORE = 0.8
_NMS = 0.3
_TOP_K = 5000


@dataclass(frozen=True, slots=True)
class DetectedFace:
    """One face found by YuNet, in the pixels of the image it ran on.

    Attributes:
        box: ``(x, y, width, height)``.
        landmarks: ``(5, 2)``: right eye, left eye, nose tip, right and left mouth corner.
        score: detection score in [0, 1].
    """

    box: tuple[float, float, float, float]
    landmarks: npt.NDArray[np.float64]
    score: float

    @property
    def area(self) -> float:
        """Box area in pixels."""
        return max(0.0, self.box[2]) * max(0.0, self.box[3])


class FaceDetector:
    """YuNet faces of BGR images, best score first.

    Args:
        path: the verified ONNX file (``ModelRegistry.path``).
        name: its registry name (results carry it).
        min_score: the lowest score returned.

    Examples:
        >>> path = registry.path("face_detection_yunet_2026may")  # doctest: +SKIP
        >>> detector = FaceDetector(path, "yunet")  # doctest: +SKIP
        >>> [round(f.score, 2) for f in detector.detect(astronaut_bgr)]  # doctest: +SKIP
        [0.93]
    """

    def __init__(self, path: Path, name: str, min_score: float = DEFAULT_MIN_SCORE) -> None:
        self.path = path
        self.name = name
        self.min_score = min_score
        self._nets: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    def _net(self, size: tuple[int, int]) -> Any:
        import cv2

        with self._lock:
            net = self._nets.get(size)
            if net is None:
                net = cv2.FaceDetectorYN.create(
                    str(self.path), "", size, self.min_score, _NMS, _TOP_K
                )
                self._nets[size] = net
        return net

    def detect(self, image: npt.NDArray[np.uint8]) -> list[DetectedFace]:
        """Faces of one ``HxWx3`` BGR uint8 image scoring at least ``min_score``, best first."""
        h, w = image.shape[:2]
        if h < 8 or w < 8:
            return []
        _, rows = self._net((w, h)).detect(np.ascontiguousarray(image))
        if rows is None:
            return []
        faces = [
            DetectedFace(
                box=(float(r[0]), float(r[1]), float(r[2]), float(r[3])),
                landmarks=np.asarray(r[4:14], dtype=np.float64).reshape(5, 2),
                score=float(r[14]),
            )
            for r in rows
            if float(r[14]) >= self.min_score
        ]
        return sorted(faces, key=lambda f: (-f.score, f.box[0], f.box[1]))
