"""Seed 000 "Human Activity Recognition API" bodies and their builder from an ``activity`` result.

Owns: ``ActivityResponse`` (the seed's ``{"activity": "<Kinetics-400 label>"}`` first, then our
richer fields) and ``activity_response``. Does not own: the route or the Kinetics table
(``analyzers.kinetics``; the README's "Kinetics-400 names").

``activity`` is a Kinetics-400 name, as the seed promises: the best-ranked activity of the video
that has one. Where none of the ranked activities has a Kinetics-400 name (the 216
Kinetics-600-only classes), ``activity`` is the Kinetics-600 name and ``kinetics400`` is false.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from framelens.schemas.results_activity import ActivityLabel

if TYPE_CHECKING:
    from collections.abc import Sequence

    from framelens.schemas.results_activity import ActivityResult

__all__ = ["ActivityResponse", "ShotActivityOut", "activity_response"]


class ShotActivityOut(BaseModel):
    """One shot (the model's stream state is reset at every cut) and its activity."""

    start_seconds: float
    end_seconds: float
    activity: str | None = Field(description="Kinetics-400 name where one exists.")
    kinetics600: str | None = Field(description="The model's own (Kinetics-600) top class.")
    probability: float | None = Field(description="Probability of ``activity``.")


class ActivityResponse(BaseModel):
    """``POST /human_activity/activity-prediction``: seed 000's ``activity`` and more."""

    activity: str | None = Field(
        examples=["playing violin"], description="One of the Kinetics-400 labels (seed 000)."
    )
    kinetics400: bool = Field(
        default=True, description="False when ``activity`` is a Kinetics-600-only name."
    )
    kinetics600: str | None = Field(
        default=None, description="The dominant activity in the model's own Kinetics-600 names."
    )
    probability: float | None = Field(
        default=None, description="Duration-weighted probability of ``activity``."
    )
    ranking: list[ActivityLabel] = Field(
        default_factory=list, description="The video's top activities, duration-weighted."
    )
    shots: list[ShotActivityOut] = Field(default_factory=list)


def _seed_label(labels: Sequence[ActivityLabel]) -> ActivityLabel | None:
    """The best-ranked label with a Kinetics-400 name, else the best one."""
    return next((a for a in labels if a.kinetics400), labels[0] if labels else None)


def activity_response(result: ActivityResult) -> ActivityResponse:
    """Seed 000's body for an ``activity`` result.

    Examples:
        >>> from framelens.schemas.results_activity import ActivityResult
        >>> label = ActivityLabel(label="dyeing hair", kinetics400="dying hair", probability=0.8)
        >>> result = ActivityResult(
        ...     activity=label, activity_kinetics400="dying hair", activities=[label])
        >>> activity_response(result).activity
        'dying hair'
    """
    k400 = result.activity_kinetics400
    # The probability of the seed's label: from the ranking when it is there (a Kinetics-400
    # label ranked past ``top_k`` has none), else the dominant activity's own.
    chosen = (
        next((a for a in result.activities if a.kinetics400 == k400), None)
        if k400
        else result.activity
    )
    shots = []
    for shot in result.shots:
        best = _seed_label(shot.activities)
        shots.append(
            ShotActivityOut(
                start_seconds=shot.start_seconds,
                end_seconds=shot.end_seconds,
                activity=(best.kinetics400 or best.label) if best else None,
                kinetics600=shot.activities[0].label if shot.activities else None,
                probability=best.probability if best else None,
            )
        )
    return ActivityResponse(
        activity=k400 or (result.activity.label if result.activity else None),
        kinetics400=k400 is not None or result.activity is None,
        kinetics600=result.activity.label if result.activity else None,
        probability=chosen.probability if chosen else None,
        ranking=result.activities,
        shots=shots,
    )
