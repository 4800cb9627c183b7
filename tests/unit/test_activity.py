"""``activity``: MoViNet per shot on real footage, duration-weighted ranking, segment merge."""

from __future__ import annotations

from fractions import Fraction

import pytest

from framelens.analyzers.activity import ActivityAnalyzer, summarize
from framelens.analyzers.kinetics import kinetics400_name
from framelens.engine.base import RunContext, Segment
from framelens.engine.run import run_analyzers
from framelens.models import BUILTIN_MANIFESTS, ModelRegistry, load_labels
from framelens.schemas.results_activity import ActivityLabel, ActivityResult, ShotActivity
from tests.shared import MODELS, media

VIOLINIST = media("violinist_faces_cuts_640x360.mp4")
CUTS = [223, 403, 584]  # MANIFEST.md: the clip's hard cuts, 29.97 fps
FPS = 30000 / 1001
MODEL = "movinet_a0_stream_kinetics600_int8"
LABELS = load_labels(BUILTIN_MANIFESTS[MODEL])


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ModelRegistry:
    if not (MODELS / f"{MODEL}.onnx").is_file() or not VIOLINIST.exists():
        pytest.skip("../shared models or media are absent")
    return ModelRegistry(MODELS, tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def whole(registry: ModelRegistry) -> ActivityResult:
    result = run_analyzers(VIOLINIST, [ActivityAnalyzer()], RunContext(models=registry))
    assert isinstance(result["activity"], ActivityResult)
    return result["activity"]


def test_violinist_plays_violin_in_the_video_and_in_each_of_its_four_shots(
    whole: ActivityResult,
) -> None:
    # THEN the dominant activity is the Kinetics-400 label seed 000 promises
    assert whole.activity is not None and whole.activity.label == "playing violin"
    assert whole.activity_kinetics400 == "playing violin"
    assert whole.activity.probability > 0.8
    # AND the stream was reset at each cut: four shots, each starting at most one 5-fps sample
    # after a true cut, each classified as playing violin on its own
    assert len(whole.shots) == 4
    starts = [s.start_seconds for s in whole.shots[1:]]
    assert all(0 <= s - c / FPS <= 0.25 for s, c in zip(starts, CUTS, strict=True))
    assert [s.activities[0].label for s in whole.shots] == ["playing violin"] * 4
    assert all(s.activities[0].probability > 0.7 for s in whole.shots)
    assert whole.shots[-1].end_seconds == pytest.approx(654 / FPS, abs=0.05)
    # AND no merge state is left in a whole video's result
    assert all(s.probabilities is None and not s.has_open_edge for s in whole.shots)


def test_segments_merge_to_the_same_shots(registry: ModelRegistry, whole: ActivityResult) -> None:
    # GIVEN the clip analyzed as two segments, split at 10 s inside the second shot
    parts = [
        run_analyzers(VIOLINIST, [ActivityAnalyzer()], RunContext(models=registry, segment=seg))[
            "activity"
        ]
        for seg in (Segment(Fraction(0), Fraction(10)), Segment(Fraction(10), None))
    ]
    # THEN the second segment knows its first shot began before it
    assert isinstance(parts[1], ActivityResult) and parts[1].shots[0].continues_previous
    # WHEN merged
    merged = ActivityAnalyzer.merge(parts)
    # THEN the same four shots, boundaries and sample counts as the single pass
    spans = [(s.start_seconds, s.end_seconds, s.samples) for s in merged.shots]
    assert spans == [(s.start_seconds, s.end_seconds, s.samples) for s in whole.shots]
    # AND shots that no boundary crosses are identical; the split one is still playing violin
    for i in (0, 2, 3):
        assert merged.shots[i] == whole.shots[i]
    assert merged.shots[1].activities[0].label == "playing violin"
    assert merged.activity is not None and merged.activity.label == "playing violin"
    assert all(s.probabilities is None for s in merged.shots)


def _shot(start: float, end: float, probs: dict[str, float], **kw: object) -> ShotActivity:
    dense = [probs.get(label, 0.0) for label in LABELS]
    top = sorted(probs.items(), key=lambda kv: -kv[1])
    return ShotActivity(
        start_seconds=start,
        end_seconds=end,
        start_frame=int(start * 10),
        last_frame=int(end * 10) - 1,
        samples=int((end - start) * 5),
        activities=[
            ActivityLabel(label=k, kinetics400=kinetics400_name(k), probability=p) for k, p in top
        ],
        probabilities=dense if (kw.get("continues_previous") or kw.get("open_end")) else None,
        **kw,
    )


def test_merge_averages_a_split_shot_by_samples() -> None:
    # GIVEN a shot split by a segment edge: 2 s "juggling balls" then 6 s "dribbling basketball"
    a = summarize(MODEL, 5.0, 5, [_shot(0, 2, {"juggling balls": 0.8, "dribbling basketball": 0.2},
                                        open_end=True)])  # fmt: skip
    b = summarize(MODEL, 5.0, 5, [
        _shot(2, 8, {"dribbling basketball": 0.9, "juggling balls": 0.1}, continues_previous=True),
        _shot(8, 9, {"playing violin": 1.0}),
    ])  # fmt: skip
    # WHEN merged
    merged = ActivityAnalyzer.merge([a, b])
    # THEN one 8 s shot whose probabilities are the sample-weighted mean (10 and 30 samples)
    assert [(s.start_seconds, s.end_seconds, s.samples) for s in merged.shots] == [
        (0, 8, 40),
        (8, 9, 5),
    ]
    top = {x.label: x.probability for x in merged.shots[0].activities}
    assert top["dribbling basketball"] == pytest.approx((0.2 * 10 + 0.9 * 30) / 40, abs=1e-4)
    assert top["juggling balls"] == pytest.approx((0.8 * 10 + 0.1 * 30) / 40, abs=1e-4)
    assert merged.shots[0].activities[0].kinetics400 == "dribbling basketball"
    # AND the merge state is gone once the shot touches no open edge
    assert all(s.probabilities is None for s in merged.shots)


def test_dominant_activity_weighs_shots_by_duration() -> None:
    # GIVEN a short sure shot and a long less sure one
    short = _shot(0, 1, {"waking up": 0.95})
    long = _shot(1, 4, {"dribbling basketball": 0.6})
    # WHEN ranked
    result = summarize(MODEL, 5.0, 5, [short, long])
    # THEN the long shot dominates (3 x 0.6 > 1 x 0.95), normalised by the 4 s
    assert result.activity is not None
    assert result.activity.label == "dribbling basketball"
    assert result.activity.probability == pytest.approx(0.45)
    # AND seed 000's label skips classes that have no Kinetics-400 name
    ranked = summarize(MODEL, 5.0, 5, [_shot(0, 4, {"waking up": 0.9, "yawning": 0.1})])
    assert ranked.activity is not None and ranked.activity.label == "waking up"
    assert ranked.activity_kinetics400 == "yawning"


def test_no_frames_give_no_activity() -> None:
    assert summarize(MODEL, 5.0, 5, []).activity is None
    assert ActivityAnalyzer.merge([]) == ActivityResult()
