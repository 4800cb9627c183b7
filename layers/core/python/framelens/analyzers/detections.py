"""Object detection shared by the ``objects``, ``tracking`` and ``tags`` analyzers.

Owns: ``Detector`` (a model's session + input spec + class names → ``supervision.Detections`` in
source pixels), resolving the ``model``/``classes``/``confidence`` options, and turning
``Detections`` into seed 000 detection dicts. Does not own: sessions and files
(``framelens.models``) or decode maths (``yolo_decode``).

``supervision.Detections`` is the one container (STYLE 1.2): ``xyxy``, ``confidence``,
``class_id``, ``tracker_id`` and ``data["class_name"]`` (the model's own class names).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from framelens.analyzers.detector import ObjectDetector
from framelens.analyzers.yolo_decode import from_yolov8, from_yolox, letterbox
from framelens.errors import ModelError, ValidationError
from framelens.models.manifests import BUILTIN_MANIFESTS, DEFAULT_DETECTOR, ModelManifest

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import numpy.typing as npt
    import supervision as sv

    from framelens.engine.base import Frame
    from framelens.models.provider import ModelProvider

__all__ = [
    "Detector",
    "ObjectDetector",
    "detection_dicts",
    "load_detector",
    "option_float",
    "parse_classes",
    "working_side",
]


class Detector:
    """One YOLOX/YOLOv8 ONNX detector: ``detect(image) -> Detections`` in source pixels.

    Args:
        session: an ``onnxruntime.InferenceSession`` (or anything with ``run``/``get_inputs``).
        manifest: the model's manifest (input spec, format, name).
        class_names: names by class id.

    Examples:
        >>> det = load_detector(registry)  # doctest: +SKIP
        >>> det.detect(bgr_image, confidence=0.3).data["class_name"]  # doctest: +SKIP
    """

    def __init__(self, session: Any, manifest: ModelManifest, class_names: Sequence[str]) -> None:
        if manifest.format not in ("yolox", "yolov8"):
            raise ModelError(f"model {manifest.name!r} is not a YOLOX/YOLOv8 detector")
        self.session = session
        self.manifest = manifest
        self.class_names = tuple(class_names)
        self._input = session.get_inputs()[0].name
        self._by_name = {n: i for i, n in enumerate(self.class_names)}

    @property
    def name(self) -> str:
        """The registry name of the model (results carry it)."""
        return self.manifest.name

    @property
    def input_side(self) -> int:
        """The longer side of the network input: frames bigger than this are wasted work."""
        assert self.manifest.input.size is not None
        return max(self.manifest.input.size)

    def class_ids(self, names: Iterable[str] | None) -> set[int] | None:
        """Class ids for a ``classes`` option; ``None`` keeps every class.

        Raises:
            ValidationError: a name is not one of this model's classes.
        """
        if names is None:
            return None
        wanted = list(names)
        unknown = [n for n in wanted if n not in self._by_name]
        if unknown:
            raise ValidationError(
                f"model {self.name!r} has no class {', '.join(map(repr, unknown))}",
                details={"classes": unknown, "model": self.name},
            )
        return {self._by_name[n] for n in wanted}

    def infer(self, blob: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The bare session call (benchmarks compare ``detect`` against this)."""
        out: npt.NDArray[np.float32] = self.session.run(None, {self._input: blob})[0]
        return out

    def detect(
        self,
        image: npt.NDArray[np.uint8],
        *,
        confidence: float = 0.3,
        class_ids: set[int] | None = None,
        scale: float = 1.0,
        agnostic: bool = False,
    ) -> sv.Detections:
        """Detect objects in one BGR image.

        Args:
            image: HxWx3 BGR uint8 at working size.
            confidence: minimum score.
            class_ids: keep only these ids (see ``class_ids``).
            scale: working size / source size (``Frame.scale``); boxes come back in source pixels.
            agnostic: class-agnostic NMS (trackers want one box per object).

        Returns:
            ``Detections`` sorted by confidence with ``data["class_name"]``.
        """
        spec = self.manifest.input
        blob, box = letterbox(image, spec)
        output = self.infer(blob)
        h, w = image.shape[:2]
        source_size = (round(w / scale), round(h / scale))
        kwargs = {
            "confidence": confidence,
            "class_ids": class_ids,
            "source_scale": scale,
            "source_size": source_size,
            "agnostic": agnostic,
        }
        if self.manifest.format == "yolox":
            return from_yolox(output, box, spec, self.class_names, **kwargs)  # type: ignore[arg-type]
        return from_yolov8(output, box, self.class_names, **kwargs)  # type: ignore[arg-type]

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
            frame.image,
            confidence=confidence,
            class_ids=class_ids,
            scale=frame.scale,
            agnostic=agnostic,
        )


def load_detector(models: ModelProvider | None, name: str | None = None) -> ObjectDetector:
    """The detector ``name`` (default YOLOX-nano COCO-80) from a ``ModelRegistry``.

    ``name`` may join several detectors with ``+`` or ``,`` (``"yolox_nano_coco80+
    lpd_yunet_2023mar"``): each runs on every frame and their detections are returned together.

    Raises:
        ModelError: no registry in the run context, or the model is not a detector.
        ModelMissingError: the model file is not installed.
        ValidationError: unknown model name.
    """
    if models is None:
        raise ModelError("no model registry in the run context (RunContext.models)")
    name = name or DEFAULT_DETECTOR
    from framelens.analyzers.combined_detector import CombinedDetector, member_names

    names = member_names(name)
    if len(names) > 1:
        return CombinedDetector([load_detector(models, n) for n in names])
    name = names[0] if names else DEFAULT_DETECTOR
    manifest = models.manifest(name)
    if manifest.task != "detection":
        raise ValidationError(f"model {name!r} is a {manifest.task} model, not a detector")
    if manifest.format == "lpd_yunet":
        from framelens.analyzers.plates import PlateDetector

        return PlateDetector(models.session(name), manifest, models.labels(name))
    return Detector(models.session(name), manifest, models.labels(name))


def parse_classes(value: Any) -> list[str] | None:
    """The ``classes`` option: a list of names or a comma-separated string; empty = all."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValidationError("option 'classes' must be a list of class names")


def detection_dicts(detections: sv.Detections) -> list[dict[str, Any]]:
    """Seed 000 detection dicts ``{class, confidence, bbox:[x1,y1,x2,y2]}`` (integer pixels)."""
    names = detections.data.get("class_name", np.array([], dtype=object))
    confidence = (
        detections.confidence if detections.confidence is not None else np.ones(len(detections))
    )
    return [
        {
            "class": str(names[i]),
            "confidence": round(float(confidence[i]), 4),
            "bbox": [round(float(v)) for v in detections.xyxy[i]],
        }
        for i in range(len(detections))
    ]


def option_float(
    options: dict[str, Any], key: str, default: float | None, lo: float, hi: float
) -> float | None:
    """A numeric option within ``[lo, hi]``; ``None``/absent gives ``default``.

    Raises:
        ValidationError: not a number or out of range.
    """
    value = options.get(key, default)
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"option {key!r} must be a number") from exc
    if not lo <= number <= hi:
        raise ValidationError(f"option {key!r} must be between {lo} and {hi}, got {number}")
    return number


def working_side(model: str | None) -> int:
    """``max_side`` to ask the engine for: the network input of a built-in model, else 640.

    Frames larger than the network input are shrunk by the letterbox anyway, so decoding them
    bigger only costs colour conversion. Operator models are unknown before ``start`` (the
    registry is in the run context), so they get 640, the usual YOLO input. Combined models
    (``a+b``) get their largest member's side.
    """
    from framelens.analyzers.combined_detector import member_names

    members = member_names(model) if model else []
    if len(members) > 1:
        return max(working_side(m) for m in members)
    manifest = BUILTIN_MANIFESTS.get(model or DEFAULT_DETECTOR)
    if manifest is not None and manifest.input.size is not None:
        return max(manifest.input.size)
    return 640
