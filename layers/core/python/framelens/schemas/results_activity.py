"""Result schema of the ``activity`` analyzer (human activity recognition, seed 000).

Owns: the field names of activity labels (Kinetics-600 names from the model, with the
Kinetics-400 name seed 000 promises where one exists), per-shot activities and the activity that
dominates the video. Does not own: computing them (``framelens.analyzers.activity``) or the seed
route's ``{"activity": "<label>"}`` body (which reads ``activity_kinetics400``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from framelens.schemas.results_base import AnalyzerResult, Label
from framelens.schemas.results_shots import ShotSpan

__all__ = ["ActivityLabel", "ActivityResult", "ShotActivity"]


class ActivityLabel(BaseModel):
    """One activity class with its probability."""

    label: str = Field(description="Kinetics-600 class name (the model's own).")
    kinetics400: str | None = Field(
        description="The Kinetics-400 name of the same activity, or null where Kinetics-400 "
        "has none (see the README's Kinetics-400 table)."
    )
    probability: float = Field(ge=0.0, le=1.0)


class ShotActivity(ShotSpan):
    """The activities of one shot (the stream state is reset at every cut)."""

    activities: list[ActivityLabel] = Field(
        default_factory=list, description="Top-k classes after the shot's last sample."
    )
    probabilities: list[float] | None = Field(
        default=None,
        description=(
            "Merge state: all class probabilities, kept only for a shot that touches an open "
            "segment edge (it may continue in the neighbouring segment); null otherwise."
        ),
    )


class ActivityResult(AnalyzerResult):
    """``activity``: per-shot activities and the one that dominates the media."""

    analyzer: str = "activity"
    sample_fps: float | None = None
    top_k: int = 5
    activity: ActivityLabel | None = Field(
        default=None,
        description="The dominant activity: highest mean probability over the shots, each "
        "shot weighted by its duration.",
    )
    activity_kinetics400: str | None = Field(
        default=None,
        description="The best-ranked activity that has a Kinetics-400 name (seed 000's label).",
    )
    activities: list[ActivityLabel] = Field(
        default_factory=list, description="Duration-weighted ranking over the whole media."
    )
    shots: list[ShotActivity] = Field(default_factory=list)

    def summary(self) -> list[dict[str, Any]]:
        """The dominant activity and the number of shots."""
        if self.activity is None:
            return []
        return [
            {
                "activity": self.activity.label,
                "kinetics400": self.activity.kinetics400,
                "probability": self.activity.probability,
                "shots": len(self.shots),
            }
        ]

    def labels(self) -> list[Label]:
        """The dominant ``activity`` first, then each shot's top activity."""
        names = [self.activity.label] if self.activity else []
        names += [s.activities[0].label for s in self.shots if s.activities]
        return [Label(type="activity", label=n) for n in names]

    def items(self) -> list[Any]:
        """One item per shot."""
        return list(self.shots)
