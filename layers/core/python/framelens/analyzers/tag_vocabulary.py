"""Tag words: ImageNet-1k classes and COCO detections as human-friendly tags.

Owns: the broader words ImageNet's fine classes add up to (``GROUPS``) and turning one frame's
class probabilities and detections into ``{tag: probability}``. Does not own: running the models
(``_classifier``, ``detections``) or aggregating frames (``tags``).

Names: an ImageNet class is tagged with its label as packaged (``imagenet1k_labels.txt`` already
holds the first WordNet synonym: "tabby", "espresso", "violin"; the two classes named "crane" and
the two named "maillot" add up). Where a broader word is obvious the fine classes also add up to
it (``GROUPS``: 118 dog breeds → "dog", 5 house cats → "cat", ...); softmax classes are exclusive,
so a group's probability is the sum of its members'. Group words that are COCO class names ("dog",
"cat", "bird", "car", "truck") meet the detector's tags: a tag's probability is the larger of the
two. COCO detections are tagged with their class names at their best confidence in the frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import numpy as np
    import numpy.typing as npt

__all__ = ["GROUPS", "frame_tags"]


def _span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


# Broader word -> ImageNet-1k class ids (0-based, order of imagenet1k_labels.txt). Reviewed by
# hand against the label list; only groups whose members are plainly that thing.
GROUPS: dict[str, tuple[int, ...]] = {
    "fish": (*_span(0, 6), *_span(389, 397)),
    "bird": (*_span(7, 24), *_span(80, 100), *_span(127, 146)),
    "frog": _span(30, 32),
    "turtle": _span(33, 37),
    "lizard": _span(38, 48),
    "snake": _span(52, 68),
    "spider": _span(72, 77),
    "crab": (*_span(118, 121), 125),
    "dog": _span(151, 268),
    "cat": _span(281, 285),
    "big cat": _span(286, 293),
    "bear": _span(294, 297),
    "beetle": _span(300, 307),
    "butterfly": _span(321, 326),
    "primate": _span(365, 382),
    "car": (436, 468, 511, 609, 627, 656, 661, 717, 751, 817),
    "truck": (555, 569, 675, 864, 867),
    "gun": (413, 763, 764),
    "guitar": (402, 546),
    "musical instrument": (
        401, 402, 420, 432, 486, 494, 513, 541, 546, 558, 566, 577, 579, 593, 594, 641, 642,
        683, 684, 687, 699, 776, 822, 875, 881, 889,
    ),
}  # fmt: skip


def frame_tags(
    probs: npt.NDArray[np.float64],
    labels: Sequence[str],
    detections: Iterable[tuple[str, float]],
    floor: float,
) -> dict[str, float]:
    """One frame's tags: ImageNet classes and groups at or above ``floor``, plus detections.

    Args:
        probs: the classifier's probabilities, aligned with ``labels``.
        labels: ImageNet class names.
        detections: ``(class name, confidence)`` of the frame's detections.
        floor: classifier probabilities below this are dropped (keeps results small).

    Returns:
        ``{tag: probability}``; a name found both ways keeps the larger probability.

    Examples:
        >>> import numpy as np
        >>> p = np.zeros(1000); p[281], p[282], p[967] = 0.3, 0.4, 0.3
        >>> labels = [str(i) for i in range(1000)]
        >>> sorted(frame_tags(p, labels, [("cat", 0.62)], 0.05).items())
        [('281', 0.3), ('282', 0.4), ('967', 0.3), ('cat', 0.7)]
    """
    tags: dict[str, float] = {}
    for i in (int(j) for j in (probs >= floor).nonzero()[0]):
        tags[labels[i]] = tags.get(labels[i], 0.0) + float(probs[i])
    for word, members in GROUPS.items():
        total = float(sum(probs[i] for i in members))
        if total >= floor:
            tags[word] = max(tags.get(word, 0.0), total)
    for name, confidence in detections:
        tags[name] = max(tags.get(name, 0.0), float(confidence))
    return {name: min(1.0, p) for name, p in tags.items()}
