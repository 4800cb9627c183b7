"""Result schema of the ``tags`` analyzer (seed 001 image ``tags``, DeepVA object & scene tags).

Owns: ``Tag`` (seed 001 ``{tag, probability, is_critical}``), the per-scene tags of a video
(with the framing sections use) and ``TagsResult``. Does not own: computing them
(``framelens.analyzers.tags``) or the tag words (``analyzers.tag_vocabulary``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from framelens.schemas.results_base import AnalyzerResult, Label
from framelens.schemas.results_shots import ShotSpan

__all__ = ["Framing", "SceneTags", "Tag", "TagsResult"]

Framing = Literal["close-up", "medium shot", "wide shot"]


class Tag(BaseModel):
    """A tag with its probability (seed 001 ``tags[]``)."""

    tag: str
    probability: float = Field(ge=0.0, le=1.0)
    is_critical: bool = False


class SceneTags(ShotSpan):
    """The tags of one scene (shot) of a video: mean probability over its sampled frames."""

    tags: list[Tag] = Field(default_factory=list)
    framing: Framing | None = Field(
        default=None,
        description="Shot scale from the largest person's box (mean share of the frame): "
        "close-up >= 0.6, medium shot >= 0.2, wide shot below; null when most samples show "
        "no person.",
    )
    person_area: float | None = Field(
        default=None, description="Mean share of the frame covered by the largest person box."
    )
    person_samples: int = Field(default=0, description="Samples in which a person was found.")
    tag_sums: dict[str, float] | None = Field(
        default=None,
        description="Merge state: per-tag probability sums over the samples, kept only for a "
        "scene on an open segment edge; null otherwise.",
    )
    person_area_sum: float | None = Field(
        default=None, description="Merge state: sum of the person box shares (open edges only)."
    )


class TagsResult(AnalyzerResult):
    """``tags``: what is in the media, most probable first; per scene for videos.

    ``model`` is the classifier, ``detector`` the object detector whose classes are tags too.
    """

    analyzer: str = "tags"
    detector: str | None = None
    sample_fps: float | None = None
    min_probability: float = 0.1
    critical_tags: list[str] = Field(
        default_factory=list, description="The critical set in force (job option + tenant)."
    )
    tags: list[Tag] = Field(
        default_factory=list,
        description="Whole media: an image's tags; for a video each tag's best scene probability.",
    )
    scenes: list[SceneTags] = Field(default_factory=list)

    def summary(self) -> list[dict[str, Any]]:
        """The tags themselves."""
        return [t.model_dump() for t in self.tags]

    def labels(self) -> list[Label]:
        """One ``tag`` per tag, most probable first."""
        return [Label(type="tag", label=t.tag) for t in self.tags]

    def items(self) -> list[Any]:
        """The tags themselves."""
        return list(self.tags)
