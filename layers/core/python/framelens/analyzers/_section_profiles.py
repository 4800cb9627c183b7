"""What happens in each scene, from other analyzers' results: the input of ``sections``.

Owns: ``SceneProfile`` (a scene's motion, activities, tags, framing and criticality), building
profiles by time overlap with the ``activity`` shots and ``tags`` scenes, the similarity test
that decides whether two consecutive scenes belong to one section, and blending profiles.
Does not own: the scene split (``scenes``), grouping and naming sections (``sections``).

Alignment: ``activity`` and ``tags`` find shots on their own sampled frames, so their spans lag
the exact ``scenes`` boundaries by up to one sampling interval. Each scene takes their values
weighted by time overlap (framing: from the tags scene overlapping it most).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from framelens.schemas.results_activity import ActivityResult
    from framelens.schemas.results_tags import TagsResult
    from framelens.schemas.results_video import RawScene

__all__ = ["SceneProfile", "blend", "profile_scenes", "similar"]

# A scene with no duration (one frame) still gets the values of the span it sits in.
_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class SceneProfile:
    """What one scene (or a run of scenes) shows.

    Attributes:
        start, end: media time in seconds.
        motion: mean frame activity diff of the scene (``scenes``).
        activities: activity label → probability (empty without ``activity``).
        tags: tag → probability (empty without ``tags``).
        framing: ``close-up`` / ``medium shot`` / ``wide shot`` or ``None``.
        critical: one of the scene's tags (at ``tags.min_probability``) is critical.
        people: whether people are in the scene (a framing was measured); ``None`` without
            ``tags``. Kinetics classes are human activities: without people they are guesses
            ("setting table" for a still of a cup), so ``top_activity`` ignores them then.
    """

    start: float
    end: float
    motion: float
    activities: dict[str, float] = field(default_factory=dict)
    tags: dict[str, float] = field(default_factory=dict)
    framing: str | None = None
    critical: bool = False
    people: bool | None = None

    @property
    def duration(self) -> float:
        """Length in seconds (never negative)."""
        return max(0.0, self.end - self.start)

    def top_activity(self, min_probability: float) -> tuple[str, float] | None:
        """The most probable activity if it reaches ``min_probability`` and people are seen."""
        if self.people is False:
            return None
        return _top(self.activities, min_probability)

    def top_tag(self, min_probability: float) -> tuple[str, float] | None:
        """The most probable tag if it reaches ``min_probability``."""
        return _top(self.tags, min_probability)


def profile_scenes(
    scenes: Sequence[RawScene],
    motions: Sequence[float],
    activity: ActivityResult | None,
    tags: TagsResult | None,
    critical: Iterable[str],
) -> list[SceneProfile]:
    """One profile per scene (pure); see the module docstring for the alignment."""
    critical_set = {c.strip().lower() for c in critical}
    act_spans = [
        (s.start_seconds, s.end_seconds, {a.label: a.probability for a in s.activities})
        for s in (activity.shots if activity else [])
    ]
    tag_spans = [
        (s.start_seconds, s.end_seconds, {t.tag: t.probability for t in s.tags})
        for s in (tags.scenes if tags else [])
    ]
    framings = [(s.start_seconds, s.end_seconds, s.framing) for s in (tags.scenes if tags else [])]
    min_tag = tags.min_probability if tags else 0.0
    profiles = []
    for scene, motion in zip(scenes, motions, strict=True):
        a, b = scene.start_seconds, max(scene.end_seconds, scene.start_seconds + _EPSILON)
        acts = _weighted(act_spans, a, b)
        tag_probs = _weighted(tag_spans, a, b)
        best = max(framings, key=lambda f: _overlap(f[0], f[1], a, b), default=None)
        framing = best[2] if best is not None and _overlap(best[0], best[1], a, b) > 0 else None
        hot = {k for k, p in tag_probs.items() if p >= min_tag}
        profiles.append(
            SceneProfile(
                start=scene.start_seconds,
                end=scene.end_seconds,
                motion=motion,
                activities=acts,
                tags=tag_probs,
                framing=framing,
                critical=any(k.lower() in critical_set for k in hot),
                people=framing is not None if tags is not None else None,
            )
        )
    return profiles


def similar(
    a: SceneProfile, b: SceneProfile, *, min_activity: float, min_similarity: float
) -> bool:
    """Whether ``b`` continues ``a``'s section: same confident activity (or none on both sides),
    same framing, and tags whose cosine similarity reaches ``min_similarity`` (when both have
    tags)."""
    top_a, top_b = a.top_activity(min_activity), b.top_activity(min_activity)
    if (top_a and top_a[0]) != (top_b and top_b[0]):
        return False
    if a.framing != b.framing:
        return False
    if a.tags and b.tags:
        return _cosine(a.tags, b.tags) >= min_similarity
    return bool(a.tags) == bool(b.tags)


def blend(profiles: Sequence[SceneProfile]) -> SceneProfile:
    """A run of scenes as one profile: values weighted by duration (by count if all are 0 s)."""
    weights = [p.duration for p in profiles]
    if not any(weights):
        weights = [1.0] * len(profiles)
    total = sum(weights)
    by_framing: dict[str | None, float] = {}
    for p, w in zip(profiles, weights, strict=True):
        by_framing[p.framing] = by_framing.get(p.framing, 0.0) + w
    framing = max(by_framing.items(), key=lambda kv: (kv[1], kv[0] or ""))[0]
    return SceneProfile(
        start=profiles[0].start,
        end=profiles[-1].end,
        motion=sum(p.motion * w for p, w in zip(profiles, weights, strict=True)) / total,
        activities=_mean([p.activities for p in profiles], weights),
        tags=_mean([p.tags for p in profiles], weights),
        framing=framing,
        critical=any(p.critical for p in profiles),
        people=None if profiles[0].people is None else framing is not None,
    )


def _top(values: dict[str, float], min_probability: float) -> tuple[str, float] | None:
    if not values:
        return None
    name, p = max(values.items(), key=lambda kv: (kv[1], kv[0]))
    return (name, p) if p >= min_probability else None


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def _weighted(
    spans: Sequence[tuple[float, float, dict[str, float]]], a: float, b: float
) -> dict[str, float]:
    """Values of the spans overlapping ``[a, b)``, weighted by overlap (normalised)."""
    hits = [(_overlap(s0, max(s1, s0 + _EPSILON), a, b), v) for s0, s1, v in spans]
    hits = [(w, v) for w, v in hits if w > 0]
    return _mean([v for _, v in hits], [w for w, _ in hits])


def _mean(values: Sequence[dict[str, float]], weights: Sequence[float]) -> dict[str, float]:
    total = sum(weights)
    if total <= 0:
        return {}
    out: dict[str, float] = {}
    for value, weight in zip(values, weights, strict=True):
        for key, p in value.items():
            out[key] = out.get(key, 0.0) + p * weight / total
    return out


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    dot = sum(p * b.get(k, 0.0) for k, p in a.items())
    norm = math.sqrt(sum(p * p for p in a.values())) * math.sqrt(sum(p * p for p in b.values()))
    return dot / norm if norm > 0 else 0.0
