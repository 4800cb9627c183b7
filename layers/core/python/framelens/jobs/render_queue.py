"""Renders a worker makes (AWS): the task it is sent, the queue port, and the markers beside a
render that say it was asked for or why it failed.

Owns: ``RenderTask`` (what a worker needs to rebuild a render: the file, the resolved
``RenderRequest`` and the cache key the API answered 202 for), the ``RenderQueue`` port (AWS: an
asynchronous Lambda invoke, ``stores.aws.render_queue``), and ``RenderTickets``: asking once per
render (a ``.pending.json`` marker beside its key, renewed when older than the worker's timeout,
so a client polling every few seconds does not start a render per poll) and the ``.error.json``
a worker leaves when the render cannot be made (answered as that error from then on). Does not
own rendering (``jobs.media_service``) or when to render on a worker (``jobs.file_media``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from framelens.errors import FramelensError, StoreError
from framelens.jobs.render_cache import RenderRequest
from framelens.schemas import utcnow
from framelens.stores import layout

if TYPE_CHECKING:
    from collections.abc import Callable

    from framelens.jobs.media_answers import PendingAnswer
    from framelens.schemas import FileRecord
    from framelens.stores import BlobStore

__all__ = ["RenderFailedError", "RenderQueue", "RenderTask", "RenderTickets"]


class RenderQueue(Protocol):
    """Hands a render to a worker and returns at once (AWS: Lambda ``InvocationType=Event``)."""

    def submit(self, task: dict[str, Any]) -> None:
        """Queue ``task`` (``RenderTask.to_dict()``). Raises ``StoreError`` when refused."""
        ...


@dataclass(frozen=True, slots=True)
class RenderTask:
    """One render for a worker: small enough for any queue (a few hundred bytes)."""

    tenant_id: str
    file_id: str
    render: RenderRequest
    key: str

    def to_dict(self) -> dict[str, Any]:
        """The queued payload."""
        return {
            "tenant_id": self.tenant_id,
            "file_id": self.file_id,
            "render": self.render.to_dict(),
            "key": self.key,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderTask:
        """Inverse of ``to_dict``. Raises ``KeyError``/``TypeError`` for another shape."""
        return cls(
            tenant_id=str(data["tenant_id"]),
            file_id=str(data["file_id"]),
            render=RenderRequest.from_dict(dict(data["render"])),
            key=str(data["key"]),
        )


class RenderFailedError(FramelensError):
    """A worker could not make the render; carries the code and status it failed with."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[misc]
        self.http_status = http_status  # type: ignore[misc]


class RenderTickets:
    """Markers beside a render's cache key: asked for (pending) or failed (error).

    Args:
        blobs: the blob store the renders live in.
        queue: where tasks go; ``None`` where renders are made inline (local).
        renew_after_s: a pending marker older than this is renewed and the task sent again
            (the worker's timeout: it has died or given up).
        now: the clock.
    """

    def __init__(
        self,
        blobs: BlobStore,
        queue: RenderQueue | None,
        *,
        renew_after_s: int = 900,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._blobs = blobs
        self._queue = queue
        self._renew = timedelta(seconds=renew_after_s)
        self._now = now

    def ask(self, record: FileRecord, pending: PendingAnswer) -> None:
        """Make sure a worker renders ``pending`` (once per ``renew_after_s``).

        Raises:
            RenderFailedError: a worker already failed on it for a reason a retry cannot fix.
            StoreError: this deployment has no render worker.
        """
        self.raise_failure(pending.key)
        marker = layout.render_pending_key(pending.key)
        asked = self._asked_at(marker)
        if asked is not None and self._now() - asked < self._renew:
            return
        if self._queue is None:
            raise StoreError(
                "This deployment renders media on a worker, and none is configured "
                "(FRAMELENS_RENDER_FUNCTION).",
            )
        stamp = json.dumps({"requested_at": self._now().isoformat()}).encode()
        self._blobs.put(marker, stamp, "application/json")
        task = RenderTask(record.tenant_id, record.file_id, pending.render, pending.key)
        self._queue.submit(task.to_dict())

    def _asked_at(self, marker: str) -> datetime | None:
        if not self._blobs.exists(marker):
            return None
        try:
            return datetime.fromisoformat(json.loads(self._blobs.get(marker))["requested_at"])
        except (ValueError, KeyError, TypeError, FramelensError):
            return None  # unreadable or gone meanwhile: ask again

    def raise_failure(self, key: str) -> None:
        """Raise the error a worker recorded for render ``key``, if any."""
        error_key = layout.render_error_key(key)
        if not self._blobs.exists(error_key):
            return
        try:
            doc = json.loads(self._blobs.get(error_key))
            failure = RenderFailedError(doc["code"], doc["message"], int(doc["status"]))
        except (ValueError, KeyError, TypeError, FramelensError):
            return
        raise failure

    def failed(self, key: str, error: FramelensError) -> None:
        """Record why render ``key`` cannot be made (the worker, for client-caused errors)."""
        doc = {"code": error.code, "message": error.message, "status": error.http_status}
        self._blobs.put(layout.render_error_key(key), json.dumps(doc).encode(), "application/json")

    def done(self, key: str) -> None:
        """The worker finished with ``key`` (made, failed or gave up): the next ask re-sends."""
        self._blobs.delete(layout.render_pending_key(key))
