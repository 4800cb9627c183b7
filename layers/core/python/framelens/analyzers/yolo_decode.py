"""YOLO-family pre- and post-processing: letterbox in, ``supervision.Detections`` out.

Owns: the letterbox transform (and its inverse), decoding YOLOX ``[1,N,5+C]`` grid outputs and
YOLOv8 ``[1,4+C,N]`` outputs, confidence filtering and class-wise NMS. Does not own: sessions
(``framelens.models``) or what analyzers do with the boxes.

The conventions are those of ``../shared/models/MANIFEST.md``: YOLOX-nano wants BGR, raw 0-255,
top-left letterbox padded with 114; its obj/class outputs are already sigmoid-ed and boxes decode as
``cx=(dx+gx)*s, w=exp(dw)*s``. Ultralytics YOLOv8 exports want RGB in 0-1 with a centred
letterbox, and emit ``cx,cy,w,h`` in input pixels followed by per-class scores (no objectness).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt
import supervision as sv

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.models.manifests import InputSpec

__all__ = [
    "Letterbox",
    "from_yolov8",
    "from_yolox",
    "letterbox",
    "yolox_grid",
]

NMS_IOU = 0.45


@dataclass(frozen=True, slots=True)
class Letterbox:
    """Where the source image went inside the network input: ``net = src * ratio + (dx, dy)``."""

    ratio: float
    dx: float
    dy: float


def letterbox(
    image: npt.NDArray[np.uint8], spec: InputSpec
) -> tuple[npt.NDArray[np.float32], Letterbox]:
    """Build the ``[1,3,H,W]`` float32 input tensor for ``image`` (HxWx3 BGR uint8).

    Args:
        image: BGR image at any size.
        spec: the model's input spec (size, colour order, scale, mean/std, letterbox mode).

    Returns:
        The tensor and the transform to map network coordinates back to ``image`` pixels.
    """
    if spec.size is None:
        raise ValueError("letterbox needs a fixed input size")
    net_w, net_h = spec.size
    h, w = image.shape[:2]
    if spec.letterbox == "none":
        raise ValueError("YOLO detectors need a letterboxed input")
    r = min(net_w / w, net_h / h)
    new_w, new_h = int(w * r), int(h * r)
    # INTER_LINEAR and int() truncation match YOLOX's own preproc (yolox/data/data_augment.py).
    resized = (
        image
        if (new_w, new_h) == (w, h)
        else cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    )
    canvas = np.full((net_h, net_w, 3), spec.pad_value, dtype=np.uint8)
    if spec.letterbox == "center":
        # Ultralytics rounds the half-padding the same way (round(dw - 0.1)).
        dx, dy = round((net_w - new_w) / 2 - 0.1), round((net_h - new_h) / 2 - 0.1)
    else:
        dx, dy = 0, 0
    canvas[dy : dy + new_h, dx : dx + new_w] = resized
    box = Letterbox(ratio=r, dx=float(dx), dy=float(dy))
    # HWC -> CHW in the network's channel order, then (x - mean) * scale / std like OpenCV's
    # blobFromImage; numpy does it several times faster for these small fixed-size inputs.
    chw = canvas.transpose(2, 0, 1)
    if spec.colour == "rgb":
        chw = chw[::-1]
    blob = chw.astype(np.float32)
    if any(spec.mean):
        blob -= np.asarray(spec.mean, dtype=np.float32)[:, None, None]
    factor = spec.scale / spec.std[0]
    if factor != 1.0:
        blob *= np.float32(factor)
    return blob[None], box


@lru_cache(maxsize=8)
def yolox_grid(
    width: int, height: int, strides: tuple[int, ...] = (8, 16, 32)
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Grid offsets ``(gx, gy)`` per row and the stride per row of a YOLOX output, row-major.

    Returns:
        ``grids`` of shape ``(N, 2)`` and ``strides`` of shape ``(N, 1)``.
    """
    grids, strides_out = [], []
    for s in strides:
        gh, gw = height // s, width // s
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        grids.append(np.stack((xs, ys), axis=-1).reshape(-1, 2))
        strides_out.append(np.full((gh * gw, 1), s))
    return (
        np.concatenate(grids).astype(np.float32),
        np.concatenate(strides_out).astype(np.float32),
    )


def _finish(
    boxes_cxcywh: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    box: Letterbox,
    *,
    confidence: float,
    class_names: Sequence[str],
    class_ids: set[int] | None,
    source_scale: float,
    source_size: tuple[int, int] | None,
    agnostic: bool = False,
) -> sv.Detections:
    """Best class per row, threshold, NMS, undo letterbox and working scale."""
    cls = scores.argmax(axis=1)
    conf = scores[np.arange(len(scores)), cls]
    keep = conf >= confidence
    if class_ids is not None:
        keep &= np.isin(cls, list(class_ids))
    if not keep.any():
        return _empty()
    boxes_cxcywh, conf, cls = boxes_cxcywh[keep], conf[keep], cls[keep]
    xywh = boxes_cxcywh.copy()
    xywh[:, :2] -= xywh[:, 2:] / 2
    # Batched NMS suppresses only within a class (YOLOX's multiclass_nms class-aware mode);
    # agnostic NMS (one box per object whatever its class) suits trackers, which ignore classes.
    groups = np.zeros_like(cls) if agnostic else cls
    picked = cv2.dnn.NMSBoxesBatched(
        xywh.tolist(), conf.tolist(), groups.tolist(), float(confidence), NMS_IOU
    )
    idx = np.asarray(picked, dtype=np.int64).reshape(-1)
    # Sorted by confidence, then box, so output order never depends on NMS internals.
    idx = idx[np.lexsort((xywh[idx, 0], -conf[idx]))]
    xyxy = np.concatenate((xywh[idx, :2], xywh[idx, :2] + xywh[idx, 2:]), axis=1)
    xyxy[:, [0, 2]] -= box.dx
    xyxy[:, [1, 3]] -= box.dy
    xyxy /= box.ratio * source_scale
    if source_size is not None:
        xyxy[:, 0::2] = np.clip(xyxy[:, 0::2], 0, source_size[0])
        xyxy[:, 1::2] = np.clip(xyxy[:, 1::2], 0, source_size[1])
    class_id = cls[idx].astype(int)
    names = np.array(
        [class_names[c] if c < len(class_names) else str(c) for c in class_id], dtype=object
    )
    return sv.Detections(
        xyxy=xyxy.astype(np.float32),
        confidence=conf[idx].astype(np.float32),
        class_id=class_id,
        data={"class_name": names},
    )


def _empty() -> sv.Detections:
    det = sv.Detections.empty()
    det.data["class_name"] = np.array([], dtype=object)
    return det


def from_yolox(
    output: npt.NDArray[np.float32],
    box: Letterbox,
    spec: InputSpec,
    class_names: Sequence[str],
    *,
    confidence: float = 0.3,
    class_ids: set[int] | None = None,
    source_scale: float = 1.0,
    source_size: tuple[int, int] | None = None,
    agnostic: bool = False,
) -> sv.Detections:
    """Decode a YOLOX output ``[1,N,5+C]`` (raw grid offsets, sigmoid-ed scores).

    Args:
        output: the session output.
        box: letterbox transform returned by ``letterbox``.
        spec: input spec (its ``size`` fixes the grid).
        class_names: names by class id, copied into ``data["class_name"]``.
        confidence: minimum ``obj * class`` score.
        class_ids: keep only these class ids (``None`` = all).
        source_scale: ``Frame.scale`` (working size / source size); boxes are divided by it.
        source_size: ``(width, height)`` of the source to clip boxes to, if known.
        agnostic: NMS across classes (default: class-wise, IoU 0.45).

    Returns:
        Detections in source pixels, sorted by confidence.
    """
    assert spec.size is not None
    rows = output.reshape(-1, output.shape[-1])
    grids, strides = yolox_grid(spec.size[0], spec.size[1])
    if len(grids) != len(rows):
        raise ValueError(f"YOLOX output has {len(rows)} rows, grid expects {len(grids)}")
    # Class probabilities are <= 1, so obj * class < confidence wherever obj < confidence:
    # filtering on objectness first skips the 80-class product for almost every row.
    rows_idx = np.flatnonzero(rows[:, 4] >= confidence)
    scores = rows[rows_idx, 5:] * rows[rows_idx, 4:5]
    passing = scores.max(axis=1) >= confidence if len(rows_idx) else np.zeros(0, dtype=bool)
    cand, scores = rows_idx[passing], scores[passing]
    xy = (rows[cand, :2] + grids[cand]) * strides[cand]
    wh = np.exp(rows[cand, 2:4]) * strides[cand]
    return _finish(
        np.concatenate((xy, wh), axis=1),
        scores,
        box,
        confidence=confidence,
        class_names=class_names,
        class_ids=class_ids,
        source_scale=source_scale,
        source_size=source_size,
        agnostic=agnostic,
    )


def from_yolov8(
    output: npt.NDArray[np.float32],
    box: Letterbox,
    class_names: Sequence[str],
    *,
    confidence: float = 0.3,
    class_ids: set[int] | None = None,
    source_scale: float = 1.0,
    source_size: tuple[int, int] | None = None,
    agnostic: bool = False,
) -> sv.Detections:
    """Decode a YOLOv8 output ``[1,4+C,N]`` (``cx,cy,w,h`` in input pixels, then class scores).

    Args and returns as ``from_yolox``.
    """
    rows = output.reshape(output.shape[-2], output.shape[-1]).T
    scores = rows[:, 4:]
    cand = scores.max(axis=1) >= confidence
    return _finish(
        np.ascontiguousarray(rows[cand, :4]),
        scores[cand],
        box,
        confidence=confidence,
        class_names=class_names,
        class_ids=class_ids,
        source_scale=source_scale,
        source_size=source_size,
        agnostic=agnostic,
    )
