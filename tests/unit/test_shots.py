"""ShotWatcher: the causal cut test analyzers run on their own sampled frames."""

from __future__ import annotations

from typing import TYPE_CHECKING

import av
import pytest

from framelens.analyzers._shots import ShotWatcher
from tests.media import solid_cuts_clip
from tests.shared import media

if TYPE_CHECKING:
    from pathlib import Path

VIOLINIST = media("violinist_faces_cuts_640x360.mp4")
CARS = media("car_traffic_bridge_640x360.mp4")


def _cuts_at_5fps(path: Path) -> list[int]:
    """Frame indexes where the watcher saw a new shot, sampling 5 frames per second."""
    watcher, cuts, last = ShotWatcher(), [], -1
    with av.open(str(path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            tick = int((frame.time or 0.0) * 5)
            if tick == last:
                continue
            last = tick
            if watcher.update(frame.to_ndarray(format="bgr24")):
                cuts.append(index)
    assert watcher.shot == len(cuts)
    return cuts


@pytest.mark.skipif(not VIOLINIST.exists(), reason="shared media not present")
def test_violinist_cuts_found_at_the_next_sample() -> None:
    # GIVEN the violinist clip (hard cuts at frames 223, 403, 584) sampled at 5 fps
    cuts = _cuts_at_5fps(VIOLINIST)
    # THEN each cut is reported at the first sample after it (6 frames apart at 29.97 fps)
    assert len(cuts) == 3
    assert all(0 <= c - t < 7 for c, t in zip(cuts, [223, 403, 584], strict=True))


@pytest.mark.skipif(not CARS.exists(), reason="shared media not present")
def test_one_moving_shot_has_no_cut() -> None:
    # GIVEN a fixed camera over moving traffic  THEN one shot
    assert _cuts_at_5fps(CARS) == []


def test_generated_cuts(tmp_path: Path) -> None:
    # GIVEN solid-colour segments joined by hard cuts
    clip = solid_cuts_clip(tmp_path / "cuts.mp4")
    truth = clip.truth["cuts"]
    # THEN the watcher finds one cut per true cut, no later than the next sample
    cuts = _cuts_at_5fps(clip.path)
    assert len(cuts) == len(truth)
    assert all(0 <= c - t <= 5 for c, t in zip(cuts, truth, strict=True))
