"""``CombinedDetector``: several detectors asked as one (``model: "a+b"``).

Owns: the joined class list (each member's classes in order, member after member), mapping
``classes`` and class ids onto the members, and concatenating their detections. Does not own:
any model (each member is a detector from ``detections.load_detector``).

Why: seed 000's detection API lists COCO classes and ``car license plate`` side by side. Asking
``model="yolox_nano_coco80+lpd_yunet_2023mar"`` (or with ``,`` between the names) runs both on
each frame and returns both kinds of boxes, with every member's own NMS and no suppression across
members (a plate lies inside a car).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import supervision as sv

from framelens.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import numpy.typing as npt

    from framelens.analyzers.detector import ObjectDetector
    from framelens.engine.base import Frame

__all__ = ["SEPARATOR", "CombinedDetector", "member_names"]

SEPARATOR = "+"
# "+" is what results carry; "," and spaces are accepted too, because a "+" in a URL query
# string arrives as a space unless the client writes %2B. Model names never contain them.
_SPLIT = re.compile(r"[+,\s]+")


def member_names(model: str) -> list[str]:
    """The member names of a combined ``model`` option (one name for a plain model).

    Examples:
        >>> member_names("yolox_nano_coco80+lpd_yunet_2023mar")
        ['yolox_nano_coco80', 'lpd_yunet_2023mar']
        >>> member_names("yolox_nano_coco80 lpd_yunet_2023mar")
        ['yolox_nano_coco80', 'lpd_yunet_2023mar']
    """
    return [n for n in _SPLIT.split(model.strip()) if n]


class CombinedDetector:
    """Detections of every member detector, class ids offset member by member.

    Args:
        members: two or more detectors, in the order their classes are numbered.

    Examples:
        >>> det = load_detector(registry, "yolox_nano_coco80+lpd_yunet_2023mar")  # doctest: +SKIP
        >>> det.class_names[-1]  # doctest: +SKIP
        'car license plate'
    """

    def __init__(self, members: Sequence[ObjectDetector]) -> None:
        if len(members) < 2:
            raise ValidationError("a combined detector needs at least two models")
        self.members = tuple(members)
        self._offsets: list[int] = []
        names: list[str] = []
        for member in self.members:
            self._offsets.append(len(names))
            names.extend(member.class_names)
        self.class_names = tuple(names)

    @property
    def name(self) -> str:
        """The members' names joined with ``+`` (what results carry)."""
        return SEPARATOR.join(m.name for m in self.members)

    @property
    def input_side(self) -> int:
        """The largest member input: smaller members shrink the frame themselves."""
        return max(m.input_side for m in self.members)

    def class_ids(self, names: Iterable[str] | None) -> set[int] | None:
        """Joined class ids of ``names`` (a name any member has); ``None`` keeps all.

        Raises:
            ValidationError: no member has one of the names.
        """
        if names is None:
            return None
        wanted = list(names)
        unknown = [n for n in wanted if n not in self.class_names]
        if unknown:
            raise ValidationError(
                f"model {self.name!r} has no class {', '.join(map(repr, unknown))}",
                details={"classes": unknown, "model": self.name},
            )
        return {i for i, n in enumerate(self.class_names) if n in wanted}

    def detect(
        self,
        image: npt.NDArray[np.uint8],
        *,
        confidence: float = 0.3,
        class_ids: set[int] | None = None,
        scale: float = 1.0,
        agnostic: bool = False,
    ) -> sv.Detections:
        """Every member's detections on one BGR image, best first, in joined class ids."""
        found = []
        for member, offset in zip(self.members, self._offsets, strict=True):
            ids = None
            if class_ids is not None:
                ids = {i - offset for i in class_ids if 0 <= i - offset < len(member.class_names)}
                if not ids:
                    continue
            det = member.detect(
                image, confidence=confidence, class_ids=ids, scale=scale, agnostic=agnostic
            )
            if det.class_id is not None and len(det):
                det.class_id = det.class_id + offset
            found.append(_only_names(det))
        if not found:
            return _only_names(sv.Detections.empty())
        merged = sv.Detections.merge(found)
        if len(merged) and merged.confidence is not None:
            ordered = merged[np.argsort(-merged.confidence, kind="stable")]
            assert isinstance(ordered, sv.Detections)
            return ordered
        return merged

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


def _only_names(det: sv.Detections) -> sv.Detections:
    """Keep only ``data["class_name"]``: ``merge`` needs the same data keys on every member."""
    names = det.data.get("class_name", np.array([], dtype=object))
    det.data = {"class_name": np.asarray(names, dtype=object)}
    return det
