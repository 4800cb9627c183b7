"""Renders a worker makes: asked once, asked again only after the worker's timeout, and a
failure recorded by the worker answered from then on. On both blob store adapters.

The queue is a list that records what it was handed (the AWS adapter is an asynchronous Lambda
invoke, exercised on moto in ``tests/e2e/test_cloud_streaming.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from framelens.errors import StoreError
from framelens.jobs import PendingAnswer, RenderRequest
from framelens.jobs.file_analyses import FileAnalyses
from framelens.jobs.file_media import FileMedia
from framelens.jobs.media_service import MediaService
from framelens.jobs.render_queue import RenderFailedError, RenderTask, RenderTickets
from framelens.schemas import FileRecord, MediaProbe, MediaType
from framelens.stores import layout

if TYPE_CHECKING:
    from framelens.stores import Stores

RECORD = FileRecord(
    file_id="f_1",
    tenant_id="acme",
    url="storage://f_1",
    media_type=MediaType.video,
    content_type="video/mp4",
    size=10,
    probe=MediaProbe(fps=25.0),
    blob_key="media/acme/f_1",
)
PENDING = PendingAnswer(RenderRequest("clip", 0, 9), "renders/acme/f_1/clip-abc.ts")


@dataclass
class Recorded:
    """A queue that keeps what it is handed."""

    tasks: list[dict[str, Any]] = field(default_factory=list)

    def submit(self, task: dict[str, Any]) -> None:
        self.tasks.append(task)


@dataclass
class Clock:
    now: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_render_is_asked_for_once_until_the_worker_times_out(stores: Stores) -> None:
    # GIVEN tickets over the store, a recording queue and a clock
    queue, clock = Recorded(), Clock()
    tickets = RenderTickets(stores.blobs, queue, renew_after_s=900, now=clock)
    # WHEN a client polls three times within the worker's timeout
    for _ in range(3):
        tickets.ask(RECORD, PENDING)
        clock.now += timedelta(seconds=60)
    # THEN one task was sent, naming the file, the render and its key
    assert len(queue.tasks) == 1
    task = RenderTask.from_dict(queue.tasks[0])
    assert (task.tenant_id, task.file_id, task.key) == ("acme", "f_1", PENDING.key)
    assert task.render == PENDING.render
    assert stores.blobs.exists(layout.render_pending_key(PENDING.key))
    # WHEN the worker has been silent past its timeout THEN the next poll asks again
    clock.now += timedelta(seconds=900)
    tickets.ask(RECORD, PENDING)
    assert len(queue.tasks) == 2
    # WHEN the worker is done THEN the marker is gone and a later poll may ask at once
    tickets.done(PENDING.key)
    assert not stores.blobs.exists(layout.render_pending_key(PENDING.key))
    tickets.ask(RECORD, PENDING)
    assert len(queue.tasks) == 3


def test_without_a_worker_a_render_is_a_clear_503(stores: Stores) -> None:
    with pytest.raises(StoreError, match="FRAMELENS_RENDER_FUNCTION"):
        RenderTickets(stores.blobs, None).ask(RECORD, PENDING)


def test_a_render_the_worker_refused_is_answered_with_its_error(stores: Stores) -> None:
    # GIVEN a worker asked to render for a file that is not there (deleted since)
    queue = Recorded()
    tickets = RenderTickets(stores.blobs, queue)
    media = MediaService(stores.blobs)
    file_media = FileMedia(
        stores.files,
        media,
        FileAnalyses(_jobs(stores), stores.blobs),
        tickets,
        cooccurrence=lambda result, a, b: None,
    )
    tickets.ask(RECORD, PENDING)
    # WHEN the worker runs the task
    outcome = file_media.render(queue.tasks[0])
    # THEN it recorded why (the file's 404) and cleared its pending marker
    assert outcome == {"key": PENDING.key, "error": "not_found"}
    assert not stores.blobs.exists(layout.render_pending_key(PENDING.key))
    # AND the next client poll is answered with that error, not sent again
    with pytest.raises(RenderFailedError) as failed:
        tickets.ask(RECORD, PENDING)
    assert failed.value.http_status == 404 and failed.value.code == "not_found"
    assert "f_1" in failed.value.message
    assert len(queue.tasks) == 1


def _jobs(stores: Stores) -> Any:
    from framelens.auth import Quotas
    from framelens.jobs.service import JobService

    return JobService(stores, Quotas(stores.counters))
