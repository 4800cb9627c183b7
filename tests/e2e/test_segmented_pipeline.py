"""The local pipeline over a video cut into segments: merged results and their stored artifacts.

Why: in the cloud every segment is analyzed by its own Map iteration and only ``aggregate`` sees
the whole video, so anything the merged result needs beyond the segments' parts (a best frame
that won only after merging) must be produced there. These tests run the real stages
(probe → plan → analyze × N → aggregate) through ``LocalRunner.run_job`` on the embedded backend.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import pytest

from framelens.config import Settings
from framelens.jobs.files import FileService
from framelens.runtime import build_services
from framelens.schemas import JobCreate
from tests.media import write_video

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from framelens.runtime import Services

pytestmark = pytest.mark.slow

FPS = 25
FRAMES = 100  # 4.0 s: with segment_seconds=1.0 the plan stage makes [0,1) [1,2) [2,3) [3,end)
HARD_CUTS = (50, 85)  # 50 lies exactly on the 2.0 s segment boundary, 85 inside the last segment
MODULES = {"scenes": {}, "best_frames": {}, "sections": {}}


def blur_profile_clip(path: Path) -> Path:
    """A 160x120 checkerboard whose sharpness peaks at 1.0 s, with hard cuts at ``HARD_CUTS``.

    Exercises: best-frame selection across segment boundaries and a cut on a boundary.
    Truth: Gaussian blur sigma is ``0.3 + |t - 1|`` before 1 s and ``0.3 + 1.4 |t - 1|`` after,
    so the sharpest frames sit around 1 s and the minimum-gap rule of ``best_frames`` forces
    the merge to pick frames that did not win their own segment (each 1 s segment keeps only
    one winner under the default 1 s gap). The board's two grey levels change at frames 50 and
    85 (hard cuts); the blur ramps also make the scenes analyzer report gradual transitions.
    """
    yy, xx = np.mgrid[0:120, 0:160]
    board = (((yy // 10) + (xx // 10)) % 2).astype(np.float32)

    def images() -> Iterator[np.ndarray]:
        for i in range(FRAMES):
            t = i / FPS
            lo, hi = (30, 220) if i < HARD_CUTS[0] else (200, 60) if i < HARD_CUTS[1] else (90, 250)
            d = t - 1.0
            sigma = 0.3 + abs(d) * (1.0 if d < 0 else 1.4)
            grey = cv2.GaussianBlur((lo + (hi - lo) * board).astype(np.uint8), (0, 0), sigma)
            yield cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)

    write_video(path, images(), fps=FPS)
    return path


@dataclass
class Run:
    """A finished pipeline run: its services (still open), job id and result documents."""

    services: Services
    job_id: str
    state: str
    docs: dict[str, dict[str, Any]]

    def result(self, module: str) -> dict[str, Any]:
        """The merged result of ``module`` for the only source."""
        (source,) = self.docs[module]["sources"]
        assert "result" in source, source
        result: dict[str, Any] = source["result"]
        return result


def _run(data_dir: Path, clip: Path, segment_seconds: float) -> Run:
    services = build_services(
        Settings(data_dir=data_dir, segment_seconds=segment_seconds), start_runner=False
    )
    secret, _ = services.keys.create("acme", "pro")
    principal = services.keys.authenticate(secret)
    record = FileService(services.stores, services.settings).ingest("acme", clip, name=clip.name)
    job, _ = services.jobs.create(
        principal, JobCreate(sources=[record.url], modules=MODULES), dispatch=False
    )
    assert services.runner is not None
    services.runner.run_job(job.id)
    done = services.stores.jobs.get(job.id)
    docs = {m: json.loads(services.stores.blobs.get(k)) for m, k in done.result_keys.items()}
    return Run(services, job.id, done.state.value, docs)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, Run]]:
    """The same clip through the pipeline in 1 s segments and in one segment."""
    tmp = tmp_path_factory.mktemp("segmented")
    clip = blur_profile_clip(tmp / "blur_profile.mp4")
    segmented = _run(tmp / "seg", clip, 1.0)
    single = _run(tmp / "one", clip, 10_000.0)
    yield segmented, single
    segmented.services.close()
    single.services.close()


def test_the_clip_is_analyzed_as_four_segments_and_finishes(runs: tuple[Run, Run]) -> None:
    # GIVEN a 4 s clip and segment_seconds=1.0
    segmented, single = runs
    blobs = segmented.services.stores.blobs
    # THEN both jobs finished
    assert (segmented.state, single.state) == ("finished", "finished")
    # AND the analyze stage ran once per 1 s segment (its manifests are kept after aggregate)
    manifests = [f"work/{segmented.job_id}/0/{ms}/cpu.manifest.json" for ms in range(0, 5000, 1000)]
    assert [blobs.exists(k) for k in manifests] == [True, True, True, True, False]


def test_every_merged_best_frame_has_a_stored_image(runs: tuple[Run, Run]) -> None:
    # GIVEN the segmented run, where best frames are re-selected across segments
    segmented, _ = runs
    blobs = segmented.services.stores.blobs
    frames = segmented.result("best_frames")["frames"]
    # THEN it reports the default k=3 frames, each with a stored, decodable full-size image
    assert len(frames) == 3
    for frame in frames:
        key = frame["artifact_key"]
        assert key and key.startswith(f"artifacts/{segmented.job_id}/0/"), frame
        image = cv2.imdecode(np.frombuffer(blobs.get(key), np.uint8), cv2.IMREAD_GRAYSCALE)
        assert image is not None and image.shape == (120, 160)
    # AND the images are the final result's exports (made once, after the merge), so winners
    # that came only from the merge have their images too
    exported_prefix = f"artifacts/{segmented.job_id}/0/best_frames/"
    assert all(f["artifact_key"].startswith(exported_prefix) for f in frames), frames


def test_segmented_raw_scenes_equal_the_single_pass(runs: tuple[Run, Run]) -> None:
    # GIVEN the same clip analyzed in four segments and in one
    segmented, single = runs
    seg_scenes = segmented.result("scenes")["raw_scenes"]
    one_scenes = single.result("scenes")["raw_scenes"]
    # THEN the hard cuts, including the one on the 2.0 s boundary, start scenes in both
    assert {s["start_frame"] for s in one_scenes} >= set(HARD_CUTS)
    # AND the merged scenes equal the single pass exactly
    assert seg_scenes == one_scenes


def test_segmented_best_frames_equal_the_single_pass(runs: tuple[Run, Run]) -> None:
    # GIVEN the same clip analyzed in four segments and in one
    segmented, single = runs

    def picks(run: Run) -> list[tuple[int, float]]:
        return [
            (f["frame_index"], f["scores"]["score"]) for f in run.result("best_frames")["frames"]
        ]

    # THEN the same frames win with the same scores: a segment's last sample is rescored with
    # its next neighbour from the following segment
    assert picks(segmented) == picks(single)
