"""The detector protocol: what the ``objects``, ``tracking``, ``tags`` and plate analyzers need
from a detector, whether one model (``detections.Detector``, ``plates``) or several
(``combined_detector``). Its own module so that both sides can name it without importing each
other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable

    import numpy as np
    import numpy.typing as npt
    import supervision as sv

    from framelens.engine.base import Frame

__all__ = ["ObjectDetector"]


class ObjectDetector(Protocol):
    """What analyzers need from a detector: YOLO (``Detector``), plates (``plates``) or a
    combination of several (``combined_detector``)."""

    @property
    def name(self) -> str: ...

    @property
    def input_side(self) -> int: ...

    @property
    def class_names(self) -> tuple[str, ...]: ...

    def class_ids(self, names: Iterable[str] | None) -> set[int] | None: ...

    def detect(
        self,
        image: npt.NDArray[np.uint8],
        *,
        confidence: float = ...,
        class_ids: set[int] | None = ...,
        scale: float = ...,
        agnostic: bool = ...,
    ) -> sv.Detections: ...

    def detect_frame(
        self,
        frame: Frame,
        *,
        confidence: float = ...,
        class_ids: set[int] | None = ...,
        agnostic: bool = ...,
    ) -> sv.Detections: ...
