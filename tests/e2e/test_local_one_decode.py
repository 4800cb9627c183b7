"""Locally, every module of a job shares one decode per segment, and segments run in parallel.

Why (issue 17): in the cloud CPU- and GPU-runtime modules are separate work items (Lambda vs the
GPU task), so ``scenes,best_frames,objects`` decodes each segment twice there. On one machine
that split buys nothing, so the embedded backend plans one work item per segment carrying every
module (one ``run_analyzers`` pass, one decode), and the local runner runs a job's items on its
worker pool at once. These tests run the real stages through ``LocalRunner.run_job`` and read
what the job recorded: its planned work items and the manifest each item wrote.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from framelens.config import Settings
from framelens.jobs.files import FileService
from framelens.runtime import build_services
from framelens.schemas import JobCreate
from framelens.stores import layout
from tests.media import walking_people_clip
from tests.shared import MODELS

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from framelens.runtime import Services

pytestmark = pytest.mark.slow

SECONDS = 4  # of the walking clip (10 fps): with segment_seconds=1 the plan makes 4 segments
OBJECTS = {"fps": 2}  # 8 detector calls per job keep the test short
COMBINED = {"scenes": {}, "best_frames": {}, "objects": OBJECTS}


def people_clip(path: Path) -> Path:
    """The first ``SECONDS`` of the walking clip without B-frames (``walking_people_clip``): a
    run that decodes reference frames only (``scenes`` and ``best_frames`` alone) sees the frames
    a full decode (with ``objects``) sees, so the results of both plans must be equal."""
    return walking_people_clip(path, SECONDS)


@dataclass
class Run:
    """A finished job on the embedded backend, with what it recorded."""

    services: Services
    job_id: str
    state: str
    docs: dict[str, dict[str, Any]]
    items: list[dict[str, Any]]
    item_threads: set[str]
    pages_before_aggregate: list[bool]

    def page_keys(self) -> list[str]:
        """Where each segment's objects pages start (2 fps of a 10 fps clip: frame 10 s)."""
        return [
            f"{layout.page_prefix(self.job_id, 0, s)}/objects/{10 * s:09d}_00000.json"
            for s in range(SECONDS)
        ]

    def result(self, module: str) -> dict[str, Any]:
        (source,) = self.docs[module]["sources"]
        assert "result" in source, source
        result: dict[str, Any] = source["result"]
        return result

    def manifest(self, item: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.services.stores.blobs.get(item["result_key"]))
        return data


def _run(data_dir: Path, clip: Path, modules: dict[str, Any], *, parallel: bool) -> Run:
    services = build_services(
        Settings(data_dir=data_dir, model_dir=MODELS, segment_seconds=1.0, workers=2),
        start_runner=False,
    )
    secret, _ = services.keys.create("acme", "pro")
    principal = services.keys.authenticate(secret)
    record = FileService(services.stores, services.settings).ingest("acme", clip, name=clip.name)
    job, _ = services.jobs.create(
        principal, JobCreate(sources=[record.url], modules=modules), dispatch=False
    )
    threads: set[str] = set()
    pages: list[bool] = []
    blobs = services.stores.blobs
    # The first two analyze items wait for each other: if the runner ran them one after the
    # other, the barrier would break and the job would fail.
    barrier = threading.Barrier(2, timeout=60)

    def hook(stage: str) -> None:
        if stage == "aggregate":
            keys = Run(services, job.id, "", {}, [], set(), []).page_keys()
            pages.extend(blobs.exists(k) for k in keys)
        if stage == "analyze":
            threads.add(threading.current_thread().name)
            if parallel and len(threads) <= 2:
                barrier.wait()

    assert services.runner is not None
    services.runner.stage_hook = hook
    services.runner.run_job(job.id)
    done = services.stores.jobs.get(job.id)
    docs = {m: json.loads(blobs.get(k)) for m, k in done.result_keys.items()}
    items = json.loads(blobs.get(layout.items_key(job.id)))
    return Run(services, job.id, done.state.value, docs, items, threads, pages)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """The clip as one job with all three modules, and as the two jobs a per-runtime split is."""
    tmp = tmp_path_factory.mktemp("one-decode")
    clip = people_clip(tmp / "people.mp4")
    out = {
        "combined": _run(tmp / "combined", clip, COMBINED, parallel=True),
        "cpu": _run(tmp / "cpu", clip, {"scenes": {}, "best_frames": {}}, parallel=False),
        "gpu": _run(tmp / "gpu", clip, {"objects": OBJECTS}, parallel=False),
    }
    yield out
    for run in out.values():
        run.services.close()


def test_each_segment_is_one_work_item_with_every_module(runs: dict[str, Run]) -> None:
    # GIVEN a 4 s clip, segment_seconds=1 and scenes (cpu), best_frames (cpu), objects (gpu)
    run = runs["combined"]
    assert run.state == "finished"
    # THEN the plan made one work item per segment, each carrying all three modules
    assert [item["segment"][0] for item in run.items] == [0.0, 1.0, 2.0, 3.0]
    assert all(sorted(item["modules"]) == sorted(COMBINED) for item in run.items)
    # AND each item's single pass wrote a part of every module (one decode per segment)
    for item in run.items:
        assert sorted(run.manifest(item)["parts"]) == sorted(COMBINED)


def test_detections_go_through_pages_that_aggregate_reads_and_deletes(
    runs: dict[str, Run],
) -> None:
    # GIVEN the combined job, whose objects frames each segment's worker paged out
    run = runs["combined"]
    blobs = run.services.stores.blobs
    # THEN every segment left its page for aggregate to read
    assert run.pages_before_aggregate == [True] * SECONDS
    # AND the document has every sampled frame, in order, and no trace of the pages
    objects = run.result("objects")
    assert [f["frame"] for f in objects["frames"]] == list(range(0, 10 * SECONDS, 5))
    assert "pages" not in objects
    # AND the pages are gone once the documents are written
    assert not any(blobs.exists(k) for k in run.page_keys())


def test_a_jobs_segments_run_in_parallel_on_the_worker_pool(runs: dict[str, Run]) -> None:
    # GIVEN the combined job on a runner with two workers, whose first two analyze items each
    # waited until the other had started
    run = runs["combined"]
    # THEN the job finished, so two of its items ran at the same time, on two item threads
    assert run.state == "finished"
    assert len(run.item_threads) == 2
    assert all(name.startswith("framelens-item") for name in run.item_threads)


def test_one_decode_gives_the_results_of_the_split_plan(runs: dict[str, Run]) -> None:
    # GIVEN the same clip as one combined job and as a cpu job plus a gpu job
    combined, cpu, gpu = runs["combined"], runs["cpu"], runs["gpu"]
    assert (cpu.state, gpu.state) == ("finished", "finished")
    # THEN objects finds the same people on the same frames
    objects = combined.result("objects")
    assert objects == gpu.result("objects")
    assert sum(len(f["detections"]) for f in objects["frames"]) >= 8 * 3
    # AND the scenes and the best frames are the same (artifact keys name their job)
    assert combined.result("scenes") == cpu.result("scenes")

    def picks(run: Run) -> list[dict[str, Any]]:
        frames = run.result("best_frames")["frames"]
        return [{k: v for k, v in f.items() if k != "artifact_key"} for f in frames]

    assert picks(combined) == picks(cpu)
    assert len(picks(combined)) == 3
