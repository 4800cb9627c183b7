"""Licence plates: LPD-YuNet (opencv_zoo, Apache-2.0) as a detector of ``car license plate``.

Owns: the model's priors, decoding (four corners and a score per prior), NMS and
``PlateDetector``, which answers like every other detector (``supervision.Detections`` in source
pixels with ``data["class_name"]``), so ``objects``, ``tags``, ``tracking`` and seed 000's
detection route select it with ``model``. Does not own: the session (``framelens.models``).

The network takes exactly 320x240 BGR, raw 0-255: frames are resized to that (no letterbox, so
the full height is kept for small plates) and boxes scaled back. Outputs per prior: ``loc``
(14 values; 4-5, 6-7, 10-11 and 12-13 are the plate's four corners as offsets from the prior
centre in units of 0.1 prior size), ``conf`` (2-way softmax, [1] = plate) and ``iou`` (predicted
box quality). Score = sqrt(conf * clip(iou, 0, 1)), as opencv_zoo's ``lpd_yunet.py`` describes.
The reported box is the corners' bounding box. Trained on Chinese plates: weak on others.

Scores below ``MIN_SCORE`` (0.5) are never reported, whatever ``confidence`` asks: below it the
model fires on whole frames (0.30-0.49 on the car and violinist clips), never on a plate.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import supervision as sv

from framelens.errors import ModelError, ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import numpy.typing as npt

    from framelens.engine.base import Frame
    from framelens.models.manifests import ModelManifest

__all__ = ["MIN_SCORE", "PlateDetector", "decode_plates", "plate_priors"]

STEPS = (8, 16, 32, 64)
MIN_SIZES = ((10.0, 16.0, 24.0), (32.0, 48.0), (64.0, 96.0), (128.0, 192.0, 256.0))
VARIANCE = 0.1
CORNERS = ((4, 5), (6, 7), (10, 11), (12, 13))
NMS_IOU = 0.3
MIN_SCORE = 0.5


@lru_cache(maxsize=4)
def plate_priors(width: int, height: int) -> npt.NDArray[np.float32]:
    """Prior boxes ``[N, 4]`` as ``(cx, cy, w, h)`` in input pixels, in the network's order.

    Feature maps are the input halved 3, 4, 5 and 6 times (each halving rounds down after
    ``(n + 1) // 2`` for the first two); per map, rows then columns then ``MIN_SIZES``. For
    320x240 that is 30x40x3 + 15x20x2 + 7x10x2 + 3x5x3 = 4385 priors.
    """
    fh, fw = (height + 1) // 2 // 2, (width + 1) // 2 // 2
    rows: list[tuple[float, float, float, float]] = []
    for step, sizes in zip(STEPS, MIN_SIZES, strict=True):
        fh, fw = fh // 2, fw // 2
        for i in range(fh):
            for j in range(fw):
                cx, cy = (j + 0.5) * step, (i + 0.5) * step
                rows.extend((cx, cy, s, s) for s in sizes)
    return np.asarray(rows, dtype=np.float32)


def decode_plates(
    loc: npt.NDArray[np.float32],
    conf: npt.NDArray[np.float32],
    iou: npt.NDArray[np.float32],
    priors: npt.NDArray[np.float32],
    *,
    threshold: float,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Corners and scores of the priors scoring at least ``threshold``, after NMS.

    Args:
        loc: ``[N, 14]`` regression output.
        conf: ``[N, 2]`` class probabilities (column 1 = plate).
        iou: ``[N, 1]`` predicted IoU.
        priors: ``plate_priors`` of the input size.
        threshold: minimum score.

    Returns:
        ``(corners [M, 4, 2], scores [M])`` in input pixels, best first.
    """
    if not (len(loc) == len(conf) == len(iou) == len(priors)):
        raise ModelError(f"plate outputs disagree with {len(priors)} priors")
    scores = np.sqrt(conf[:, 1] * np.clip(iou[:, 0], 0.0, 1.0)).astype(np.float32)
    keep = np.flatnonzero(scores >= threshold)
    if not len(keep):
        return np.zeros((0, 4, 2), np.float32), np.zeros(0, np.float32)
    centre, size = priors[keep, None, :2], priors[keep, None, 2:]
    offsets = np.stack([loc[keep][:, list(c)] for c in CORNERS], axis=1)
    corners = (centre + offsets * VARIANCE * size).astype(np.float32)
    x0, y0 = corners[..., 0].min(axis=1), corners[..., 1].min(axis=1)
    x1, y1 = corners[..., 0].max(axis=1), corners[..., 1].max(axis=1)
    xywh = np.stack((x0, y0, x1 - x0, y1 - y0), axis=1)
    picked = cv2.dnn.NMSBoxes(xywh.tolist(), scores[keep].tolist(), float(threshold), NMS_IOU)
    idx = np.asarray(picked, dtype=np.int64).reshape(-1)
    # Best first, then left to right, so the order never depends on NMS internals.
    idx = idx[np.lexsort((x0[idx], -scores[keep][idx]))]
    return corners[idx], scores[keep][idx]


class PlateDetector:
    """LPD-YuNet behind the detector interface (see ``detections.ObjectDetector``).

    Args:
        session: an ``onnxruntime.InferenceSession`` of the LPD-YuNet export.
        manifest: its manifest (``format="lpd_yunet"``, input 320x240).
        class_names: one name, ``("car license plate",)``.
    """

    def __init__(self, session: Any, manifest: ModelManifest, class_names: Sequence[str]) -> None:
        if manifest.format != "lpd_yunet" or manifest.input.size is None:
            raise ModelError(f"model {manifest.name!r} is not an LPD-YuNet plate detector")
        self.session = session
        self.manifest = manifest
        self.class_names = tuple(class_names)
        self._input = session.get_inputs()[0].name
        self._size = manifest.input.size
        self._priors = plate_priors(*self._size)

    @property
    def name(self) -> str:
        """The registry name of the model."""
        return self.manifest.name

    @property
    def input_side(self) -> int:
        """The longer side of the network input."""
        return max(self._size)

    def class_ids(self, names: Iterable[str] | None) -> set[int] | None:
        """``{0}`` for ``car license plate``; ``None`` keeps everything.

        Raises:
            ValidationError: another class name.
        """
        if names is None:
            return None
        unknown = [n for n in names if n not in self.class_names]
        if unknown:
            raise ValidationError(
                f"model {self.name!r} has no class {', '.join(map(repr, unknown))}",
                details={"classes": unknown, "model": self.name},
            )
        return {0}

    def infer(
        self, image: npt.NDArray[np.uint8]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
        """``(loc, conf, iou)`` for one BGR image (resized to the network input)."""
        resized = cv2.resize(image, self._size, interpolation=cv2.INTER_AREA)
        blob = resized.transpose(2, 0, 1)[None].astype(np.float32)
        loc, conf, iou = self.session.run(["loc", "conf", "iou"], {self._input: blob})
        return loc, conf, iou

    def detect(
        self,
        image: npt.NDArray[np.uint8],
        *,
        confidence: float = 0.3,
        class_ids: set[int] | None = None,
        scale: float = 1.0,
        agnostic: bool = False,
    ) -> sv.Detections:
        """Plates in one BGR image at working size; boxes in source pixels.

        Scores below ``MIN_SCORE`` are dropped even when ``confidence`` is lower. ``agnostic``
        is accepted for the common interface (there is one class).
        """
        if class_ids is not None and 0 not in class_ids:
            return _empty()
        h, w = image.shape[:2]
        corners, scores = decode_plates(
            *self.infer(image), self._priors, threshold=max(confidence, MIN_SCORE)
        )
        if not len(scores):
            return _empty()
        fx, fy = w / self._size[0] / scale, h / self._size[1] / scale
        corners = corners * np.asarray([fx, fy], dtype=np.float32)
        xyxy = np.concatenate((corners.min(axis=1), corners.max(axis=1)), axis=1)
        xyxy[:, 0::2] = np.clip(xyxy[:, 0::2], 0, w / scale)
        xyxy[:, 1::2] = np.clip(xyxy[:, 1::2], 0, h / scale)
        n = len(scores)
        return sv.Detections(
            xyxy=xyxy.astype(np.float32),
            confidence=scores.astype(np.float32),
            class_id=np.zeros(n, dtype=int),
            data={"class_name": np.array([self.class_names[0]] * n, dtype=object)},
        )

    def detect_frame(
        self,
        frame: Frame,
        *,
        confidence: float = 0.3,
        class_ids: set[int] | None = None,
        agnostic: bool = False,
    ) -> sv.Detections:
        """``detect`` on an engine ``Frame`` (uses its ``scale``)."""
        return self.detect(
            frame.image, confidence=confidence, class_ids=class_ids, scale=frame.scale
        )


def _empty() -> sv.Detections:
    det = sv.Detections.empty()
    det.data["class_name"] = np.array([], dtype=object)
    return det
