"""The OCR engine: PP-OCRv4 (DB text detection, angle classifier, CRNN recognition) through
RapidOCR's onnxruntime build, loaded once per process and shared by every job in it.

Owns: loading the three models (they ship inside the ``rapidocr-onnxruntime`` wheel, so there is
nothing to pull or verify here), choosing CUDA when this onnxruntime has it, serialising calls
(RapidOCR mutates its detector's pre-processing on every call, so one call at a time), and turning
its output into ``RawLine``s with the det/cls/rec timings. Does not own: reading order, language
or time segments (``framelens.analyzers``).

``rapidocr-onnxruntime`` declares ``opencv-python``, which must not sit beside
``opencv-python-headless``: it is installed with ``--no-deps`` (see the Makefile) and its real
dependencies are listed in ``pyproject.toml``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Any, cast

from framelens.errors import ModelError, ModelMissingError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["OCR_PACKAGE", "OcrEngine", "OcrOutput", "RawLine", "load_ocr_engine", "ocr_engine"]

OCR_PACKAGE = "rapidocr-onnxruntime"
_INSTALL = f"pip install --no-deps '{OCR_PACKAGE}==1.4.4' (the Makefile does it)"

_DET_SIDE = 736  # RapidOCR's detector works with the shorter side at least this long
_MAX_UPSCALE = 3.0
_LOCK = threading.Lock()
_ENGINE: list[OcrEngine] = []  # the process-wide engine, once loaded


@dataclass(frozen=True, slots=True)
class RawLine:
    """One recognised line as the engine returns it.

    Attributes:
        text: the recognised text.
        confidence: recognition score in [0, 1].
        box: four ``(x, y)`` corners in the pixels of the image given to ``read``, clockwise
            from the top-left.
    """

    text: str
    confidence: float
    box: tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True)
class OcrOutput:
    """Lines of one image and the seconds each stage took (``cls`` is the angle classifier)."""

    lines: tuple[RawLine, ...]
    det_s: float = 0.0
    cls_s: float = 0.0
    rec_s: float = 0.0


class OcrEngine:
    """A loaded RapidOCR pipeline; ``read`` is safe to call from several threads."""

    def __init__(self, impl: Any, name: str) -> None:
        self._impl = impl
        self._lock = threading.Lock()
        self.name = name

    def read(self, image: npt.NDArray[np.uint8]) -> OcrOutput:
        """Detect and recognise the text lines of one image.

        Args:
            image: ``HxWx3`` BGR (or ``HxW`` grey) uint8.

        Returns:
            The lines (in the engine's top-to-bottom order) and stage timings.

        Raises:
            ModelError: onnxruntime failed while running a model.
        """
        from rapidocr_onnxruntime.utils.infer_engine import ONNXRuntimeError

        image, factor = _upscaled(image)
        try:
            with self._lock:
                found, elapsed = self._impl(image)
        except ONNXRuntimeError as exc:
            raise ModelError(
                "The OCR models failed while reading an image.", details={"model": self.name}
            ) from exc
        if not found:
            return OcrOutput(())
        det_s, cls_s, rec_s = [*(elapsed or []), 0.0, 0.0, 0.0][:3]
        lines = tuple(
            RawLine(str(text), float(score), tuple((x / factor, y / factor) for x, y in box))
            for box, text, score in found
        )
        return OcrOutput(lines, float(det_s), float(cls_s), float(rec_s))


def _upscaled(image: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], float]:
    """Small images enlarged so their shorter side reaches the detector's working size.

    The detector enlarges small inputs itself, but the recogniser crops lines from the image it
    was given: on a 640x360 picture, 20 px text comes out with its spaces dropped
    ("Framelensreadstext2024"); enlarged first, it reads "Framelens reads text 2024".
    """
    import cv2

    short = min(image.shape[:2])
    if short >= _DET_SIDE:
        return image, 1.0
    factor = min(_MAX_UPSCALE, _DET_SIDE / max(1, short))
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    enlarged = cast("npt.NDArray[np.uint8]", cv2.resize(image, size, interpolation=cv2.INTER_CUBIC))
    return enlarged, float(size[0] / image.shape[1])


def load_ocr_engine(**overrides: Any) -> OcrEngine:
    """Load a fresh engine (most callers want the shared ``ocr_engine()``).

    Args:
        overrides: RapidOCR settings, e.g. ``det_model_path`` (tests point it at a broken file).

    Raises:
        ModelMissingError: ``rapidocr-onnxruntime`` is not installed.
        ModelError: its models cannot be loaded.
    """
    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError as exc:
        raise ModelMissingError(
            f"OCR needs the {OCR_PACKAGE} package, which is not installed: {_INSTALL}.",
            details={"package": OCR_PACKAGE},
        ) from exc
    from framelens.models.sessions import _cpu_count, available_providers

    cuda = "CUDAExecutionProvider" in available_providers()
    settings: dict[str, Any] = {
        "det_use_cuda": cuda,
        "cls_use_cuda": cuda,
        "rec_use_cuda": cuda,
        "intra_op_num_threads": _cpu_count(),
        **overrides,
    }
    try:
        impl = RapidOCR(**settings)
    except _load_errors() as exc:
        raise ModelError(
            f"The OCR models of {OCR_PACKAGE} could not be loaded; reinstall it: {_INSTALL}.",
            details={"package": OCR_PACKAGE},
        ) from exc
    version = metadata.version(OCR_PACKAGE)
    return OcrEngine(impl, f"PP-OCRv4 ({OCR_PACKAGE} {version})")


def _load_errors() -> tuple[type[Exception], ...]:
    # onnxruntime's own load errors (InvalidProtobuf, NoSuchFile...) derive from Exception only.
    from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

    names = ("Fail", "InvalidArgument", "InvalidGraph", "InvalidProtobuf", "NoSuchFile", "NoModel")
    found = tuple(getattr(ort_state, n) for n in names if hasattr(ort_state, n))
    return (OSError, ValueError, RuntimeError, *found)


def ocr_engine() -> OcrEngine:
    """The process's engine, loaded on first use (thread-safe) and shared by every job.

    Raises:
        ModelMissingError, ModelError: as ``load_ocr_engine``; a later call tries again.

    Examples:
        >>> out = ocr_engine().read(image)  # doctest: +SKIP
        >>> [line.text for line in out.lines]
        ['Hello Framelens 2024']
    """
    if not _ENGINE:
        with _LOCK:
            if not _ENGINE:
                _ENGINE.append(load_ocr_engine())
    return _ENGINE[0]
