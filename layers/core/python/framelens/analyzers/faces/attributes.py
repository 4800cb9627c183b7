"""Age and gender of a face: Intel Open Model Zoo ``age-gender-recognition-retail-0013``.

Owns: cutting the model's input (a square 62x62 BGR crop around the YuNet box, padded by
``PADDING`` of its side on each edge, black outside the image), reading its outputs (``prob`` =
[female, male], ``age_conv3`` x 100) and the gender decision. Does not own the session
(``framelens.models``).

Gender: ``"female"`` or ``"male"`` when that probability is at least ``0.5 + margin`` (default
margin 0.2, so 0.7), else ``"unidentified"`` (seed 001's word). Age is an estimate: the model
card gives a mean error of 6.99 years on ages 18-75; MANIFEST.md saw the astronaut's age move
from 26 to 46 with the crop's padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy.typing as npt

    from framelens.schemas.results_faces import Gender

__all__ = ["DEFAULT_GENDER_MARGIN", "PADDING", "AgeGender", "AgeGenderEstimator", "gender_of"]

DEFAULT_GENDER_MARGIN = 0.2
PADDING = 0.15
_SIDE = 62


@dataclass(frozen=True, slots=True)
class AgeGender:
    """The model's reading of one face.

    Attributes:
        age: estimated age in years.
        female_probability: P(female) in [0, 1] (P(male) is its complement).
    """

    age: float
    female_probability: float


def gender_of(female_probability: float, margin: float = DEFAULT_GENDER_MARGIN) -> Gender:
    """``"female"``/``"male"`` when that side reaches ``0.5 + margin``, else ``"unidentified"``."""
    if female_probability >= 0.5 + margin:
        return "female"
    if female_probability <= 0.5 - margin:
        return "male"
    return "unidentified"


def square_crop(
    image: npt.NDArray[np.uint8],
    box: tuple[float, float, float, float],
    padding: float,
    side: int,
) -> npt.NDArray[np.uint8]:
    """A ``side x side`` crop of the square around ``box`` grown by ``padding`` per edge."""
    import cv2

    x, y, w, h = box
    half = max(w, h) * (0.5 + padding)
    cx, cy = x + w / 2.0, y + h / 2.0
    x0, y0 = round(cx - half), round(cy - half)
    x1, y1 = round(cx + half), round(cy + half)
    ih, iw = image.shape[:2]
    inside = image[max(0, y0) : min(ih, y1), max(0, x0) : min(iw, x1)]
    if inside.size == 0:
        return np.zeros((side, side, 3), dtype=np.uint8)
    crop = cv2.copyMakeBorder(
        inside,
        max(0, -y0),
        max(0, y1 - ih),
        max(0, -x0),
        max(0, x1 - iw),
        cv2.BORDER_CONSTANT,
        value=(0, 0, 0),
    )
    return np.asarray(cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA), np.uint8)


class AgeGenderEstimator:
    """Age and P(female) of faces in a BGR image.

    Args:
        session: the model's ``onnxruntime.InferenceSession``.
        name: its registry name.
    """

    def __init__(self, session: Any, name: str) -> None:
        self.name = name
        self._session = session
        self._input = session.get_inputs()[0].name
        self._outputs = [o.name for o in session.get_outputs()]

    def estimate(
        self, image: npt.NDArray[np.uint8], boxes: Sequence[tuple[float, float, float, float]]
    ) -> list[AgeGender]:
        """One reading per box (``(x, y, w, h)`` in ``image`` pixels)."""
        readings: list[AgeGender] = []
        for box in boxes:
            crop = square_crop(image, box, PADDING, _SIDE)
            blob = np.ascontiguousarray(crop.astype(np.float32).transpose(2, 0, 1)[None])
            values = dict(
                zip(self._outputs, self._session.run(None, {self._input: blob}), strict=True)
            )
            prob = np.asarray(values["prob"], dtype=np.float64).reshape(-1)
            age = float(np.asarray(values["age_conv3"]).reshape(-1)[0]) * 100.0
            female = float(prob[0] / max(prob.sum(), 1e-9))
            readings.append(AgeGender(age=age, female_probability=female))
        return readings
