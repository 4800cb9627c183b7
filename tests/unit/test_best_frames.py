"""Best frames: the score ranks clean over blurred and noisy; winners are stored as images."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import cv2
import numpy as np

from framelens.analyzers.best_frames import BestFramesAnalyzer, frame_scores
from framelens.engine.base import ArtifactSink, RunContext
from framelens.engine.exports import analyze_media
from framelens.schemas.parts_video import BestFrameCandidate, BestFramesPart
from tests.media_scenes import make_scene_clip

if TYPE_CHECKING:
    from pathlib import Path


class MemorySink(ArtifactSink):
    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}

    def put(self, name: str, data: bytes, content_type: str) -> str:
        self.blobs[name] = (data, content_type)
        return f"mem/{name}"


def _textured() -> np.ndarray:
    rng = np.random.default_rng(7)
    small = rng.integers(0, 256, (24, 32), dtype=np.uint8)
    img = cv2.resize(small, (320, 240), interpolation=cv2.INTER_NEAREST)
    return cv2.GaussianBlur(img, (3, 3), 0)


def test_clean_ranks_above_blurred_and_noisy() -> None:
    # GIVEN a clean frame, a blurred copy and a noisy copy
    clean = _textured()
    blurred = cv2.GaussianBlur(clean, (0, 0), 3)
    noise = np.random.default_rng(1).normal(0, 20, clean.shape)
    noisy = np.clip(clean + noise, 0, 255).astype(np.uint8)
    # WHEN scored
    scores = {
        n: frame_scores(img).score
        for n, img in [("clean", clean), ("blurred", blurred), ("noisy", noisy)]
    }
    # THEN clean is first
    assert max(scores, key=scores.__getitem__) == "clean"
    assert scores["clean"] > scores["blurred"] and scores["clean"] > scores["noisy"]


def test_motion_lowers_the_score() -> None:
    img = _textured()
    assert frame_scores(img, motion=0.0).score > frame_scores(img, motion=0.05).score


def test_top_k_are_diverse_and_stored_as_jpeg(tmp_path: Path) -> None:
    # GIVEN a 6 s clip  WHEN best_frames runs with k=3
    clip = make_scene_clip(tmp_path / "s.mp4", [(None, 50), ("cut", 50), ("cut", 50)])
    sink = MemorySink()
    result = analyze_media(clip.path, [BestFramesAnalyzer({"k": 3})], RunContext(artifacts=sink))
    frames = result["best_frames"].frames  # type: ignore[attr-defined]
    # THEN three frames at least 1 s apart, sorted by score, each stored as a decodable JPEG
    assert len(frames) == 3
    times = sorted(f.timestamp for f in frames)
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))
    assert [f.scores.score for f in frames] == sorted(
        (f.scores.score for f in frames), reverse=True
    )
    for f in frames:
        data, ctype = sink.blobs[f.artifact_key.removeprefix("mem/")]
        assert ctype == "image/jpeg" and data[:2] == b"\xff\xd8"
        assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR).shape == (96, 160, 3)


def test_png_on_request(tmp_path: Path) -> None:
    clip = make_scene_clip(tmp_path / "s.mp4", [(None, 30)])
    sink = MemorySink()
    analyze_media(
        clip.path, [BestFramesAnalyzer({"k": 1, "format": "png"})], RunContext(artifacts=sink)
    )
    [(data, ctype)] = sink.blobs.values()
    assert ctype == "image/png" and data[:4] == b"\x89PNG"


def test_merge_reselects_from_all_candidates() -> None:
    # GIVEN two segment results whose best candidates are 0.5 s apart
    base = frame_scores(_textured())
    worse = base.model_copy(update={"score": base.score - 0.1})
    opts = {"k": 2, "min_gap_seconds": 1.0}
    p1 = BestFramesPart(
        candidates=[BestFrameCandidate(frame_index=10, timestamp=1.0, scores=base)], options=opts
    )
    p2 = BestFramesPart(
        candidates=[
            BestFrameCandidate(frame_index=22, timestamp=1.5, scores=worse),
            BestFrameCandidate(frame_index=60, timestamp=4.0, scores=worse),
        ],
        options=opts,
    )
    # WHEN merged  THEN the candidate within the gap of the best is skipped
    merged = BestFramesAnalyzer.merge([p1, p2])
    assert [f.frame_index for f in merged.frames] == [10, 60]


def _shots_clip(path: Path) -> list[int]:
    """Four shots of different textures: a sharp 4 s first shot, then three softer 1.5 s shots.

    Truth: the first frame index of each shot (25 fps); every frame of shot 0 outscores every
    frame of the others, and shot 0 is long enough to hold 3 picks 1 s apart.
    """
    from tests.media import write_video

    rng = np.random.default_rng(3)
    lengths, blurs = [100, 38, 38, 38], [0.0, 1.2, 1.2, 1.2]
    images = []
    for length, blur in zip(lengths, blurs, strict=True):
        small = rng.integers(0, 256, (24, 32), dtype=np.uint8)
        base = cv2.resize(small, (320, 240), interpolation=cv2.INTER_NEAREST)
        if blur:
            base = cv2.GaussianBlur(base, (0, 0), blur)
        images += [cv2.cvtColor(base, cv2.COLOR_GRAY2BGR)] * length
    write_video(path, images, fps=25)
    return [0, 100, 138, 176]


def _shot_of(frame: int, starts: list[int]) -> int:
    return max(i for i, s in enumerate(starts) if frame >= s)


def test_top_3_come_from_different_shots_unless_diversity_is_off(tmp_path: Path) -> None:
    # GIVEN a 4-shot clip whose first shot is the sharpest throughout
    path = tmp_path / "shots.mp4"
    starts = _shots_clip(path)

    def shots(options: dict[str, object]) -> list[int]:
        out = analyze_media(path, [BestFramesAnalyzer(options)], RunContext())["best_frames"]
        return [_shot_of(f.frame_index, starts) for f in out.frames]  # type: ignore[attr-defined]

    # WHEN best_frames runs by default THEN the 3 picks come from 3 different shots
    assert len(set(shots({"k": 3}))) == 3
    # AND with diversity off, quality alone puts all three in the sharp first shot
    assert shots({"k": 3, "diversity": "none"}) == [0, 0, 0]


def test_violinist_best_frames_span_the_shots() -> None:
    # GIVEN the violinist clip (4 shots: cuts at 223, 403, 584)
    from tests.shared import media

    clip = media("violinist_faces_cuts_640x360.mp4")
    if not clip.exists():
        import pytest

        pytest.skip("shared media not present")
    out = analyze_media(clip, [BestFramesAnalyzer({"k": 3})], RunContext())["best_frames"]
    # THEN the top 3 are from 3 different shots
    starts = [0, 223, 403, 584]
    picked = {_shot_of(f.frame_index, starts) for f in out.frames}  # type: ignore[attr-defined]
    assert len(picked) == 3


def test_other_shots_are_picked_only_when_their_frames_are_good_enough(tmp_path: Path) -> None:
    # GIVEN the 4-shot clip whose first shot outscores every frame of the others
    path = tmp_path / "shots.mp4"
    starts = _shots_clip(path)

    def shots(floor: float) -> list[int]:
        options = {"k": 3, "min_relative_score": floor}
        out = analyze_media(path, [BestFramesAnalyzer(options)], RunContext())["best_frames"]
        return [_shot_of(f.frame_index, starts) for f in out.frames]  # type: ignore[attr-defined]

    # WHEN no other shot's frames reach the floor (the best score itself)
    # THEN the picks fall back to quality alone: all from the sharp first shot
    assert shots(1.0) == [0, 0, 0]
    # AND with a floor every frame clears, each pick comes from a shot of its own
    assert len(set(shots(0.0))) == 3
