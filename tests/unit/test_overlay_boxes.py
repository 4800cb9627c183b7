"""Boxes drawn from analyses: held until the analyzer's next sample, merged across analyses."""

from __future__ import annotations

import pytest

from framelens.jobs.overlay_boxes import HeldBoxes, MergedBoxes, hold_frames, tracking_boxes
from framelens.media.overlay import OverlayBox
from framelens.media.overlay_video import track_span
from framelens.schemas.results_objects import Track, TrackBox, TrackingResult

CAR = OverlayBox((0, 0, 10, 10), "car")
FACE = OverlayBox((5, 5, 9, 9), "face", track_id=3)


@pytest.mark.parametrize(
    ("media", "sample", "hold"), [(25, 5, 4), (30, 10, 2), (10, 10, 0), (29.97, 5, 5), (None, 5, 0)]
)
def test_boxes_are_held_up_to_the_next_sample(media, sample, hold) -> None:
    assert hold_frames(media, sample) == hold


def test_held_boxes_answer_every_frame_but_list_only_samples() -> None:
    # GIVEN samples at 0 (a car), 5 (nothing found) and 10 (a car), held 4 frames
    boxes = HeldBoxes({0: [CAR], 5: [], 10: [CAR]}, hold=4)
    # THEN frames 0..4 show the car, 5..9 nothing (the detector looked), 10..14 the car, then none
    assert [len(boxes.get(i) or []) for i in range(16)] == [1] * 5 + [0] * 5 + [1] * 5 + [0]
    assert boxes.get(15) is None and boxes.get(-1) is None
    assert list(boxes) == [0, 5, 10] and len(boxes) == 3


def test_merged_analyses_keep_their_own_holds() -> None:
    cars = HeldBoxes({0: [CAR]}, hold=4)
    faces = HeldBoxes({2: [FACE], 6: [FACE]}, hold=1)
    merged = MergedBoxes([cars, faces])
    assert merged[0] == [CAR]
    assert merged[3] == [CAR, FACE]
    assert merged.get(5) is None  # the car expired, the face's hold ended at 3: nothing drawn
    assert merged[7] == [FACE]
    assert merged.get(8) is None
    assert list(merged) == [0, 2, 6]
    assert track_span(merged, 3).start == 2 and track_span(merged, 3).end == 6


def test_tracking_result_becomes_boxes_with_track_ids() -> None:
    result = TrackingResult(
        detect_fps=5.0,
        tracks=[
            Track(
                id=7,
                **{"class": "car"},
                first_frame=0,
                last_frame=5,
                first_timestamp=0.0,
                last_timestamp=0.2,
                frames=[
                    TrackBox(frame=f, timestamp=f / 25, bbox=[1, 2, 30, 40], confidence=0.9)
                    for f in (0, 5)
                ],
            )
        ],
    )
    boxes = tracking_boxes(result, media_fps=25.0)
    (box,) = boxes[3]
    assert box.track_id == 7 and box.box == (1, 2, 30, 40) and box.text() == "#7 car"
