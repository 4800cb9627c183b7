"""Job state transitions: conditional writes that move a job through its lifecycle.

Owns: ``queued → running → finished | failed | cancelled`` (and ``running → queued`` after an
interruption), releasing the tenant's concurrent-job slot exactly once — by whoever makes the
transition to a terminal state —, the job webhook's delivery view, the ``Dispatcher`` protocol
(what runs the pipeline) and telling the ``JobEventSink`` (tenants' webhook subscriptions) that a
job started, finished, failed or was cancelled. Does not own: creating jobs or reading them
(``jobs.service``, whose ``JobService`` is built on this class).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from framelens.errors import ConflictError, FramelensError, JobStateError
from framelens.schemas import (
    TERMINAL_STATES,
    JobError,
    JobRecord,
    JobState,
    WebhookDelivery,
)
from framelens.schemas.subscriptions import JobEvent

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from framelens.auth import Quotas
    from framelens.stores import Stores

__all__ = ["Dispatcher", "JobEventSink", "JobTransitions"]

_MAX_TRANSITION_RETRIES = 20


class Dispatcher(Protocol):
    """Starts the pipeline for a job: the local runner, or a Step Functions execution."""

    def submit(self, job_id: str, deadline_s: int | None) -> object:
        """Queue ``job_id`` for processing; ``deadline_s`` is its remaining time budget.

        Whatever it returns (an execution ARN, say) is ignored.
        """
        ...

    @property
    def runs_inline(self) -> bool:
        """Whether ``run_job`` can run a job to its end in the calling thread."""
        ...

    def run_job(self, job_id: str) -> None:
        """Run every stage of a job now, in this thread (only when ``runs_inline``)."""
        ...

    def cancel(self, job_id: str) -> None:
        """The job was cancelled: stop its processing and/or notify, as the backend needs."""
        ...


class JobEventSink(Protocol):
    """Told what happens to jobs (``jobs.event_fanout.EventFanout``); must never raise."""

    def emit(self, job: JobRecord, event: JobEvent) -> object:
        """Record ``event`` of ``job`` for whoever subscribed to it; returns quickly."""
        ...


class JobTransitions:
    """State changes of stored jobs; ``JobService`` adds creation and reads."""

    _stores: Stores
    _quotas: Quotas
    _now: Callable[[], datetime]
    dispatcher: Dispatcher | None
    events: JobEventSink | None = None

    def _emit(self, job: JobRecord, event: JobEvent) -> None:
        if self.events is not None:
            self.events.emit(job, event)

    def transition(
        self,
        job_id: str,
        mutate: Callable[[JobRecord], None],
        allowed_from: frozenset[JobState] | None = None,
    ) -> JobRecord:
        """Apply ``mutate`` to the stored job with a conditional write, re-reading on conflicts.

        Raises:
            JobStateError: the job is not in one of ``allowed_from``.
        """
        for _ in range(_MAX_TRANSITION_RETRIES):
            job = self._stores.jobs.get(job_id)
            if allowed_from is not None and job.state not in allowed_from:
                raise JobStateError(
                    f"job {job_id} is {job.state.value}", details={"state": job.state.value}
                )
            mutate(job)
            try:
                return self._stores.jobs.update(job)
            except ConflictError:
                continue
        raise ConflictError(f"job {job_id} is being changed by too many writers; try again")

    def start(self, job_id: str) -> JobRecord:
        """queued → running. Raises ``JobStateError`` if it was cancelled or already ended."""

        def mutate(job: JobRecord) -> None:
            job.state = JobState.running
            job.time_started = job.time_started or self._now()
            job.progress = 0.0

        job = self.transition(job_id, mutate, frozenset({JobState.queued}))
        self._emit(job, JobEvent.started)
        return job

    def requeue(self, job_id: str, reason: str) -> JobRecord:
        """running → queued after an interruption (server restart), counting the restarts."""

        def mutate(job: JobRecord) -> None:
            job.state = JobState.queued
            job.progress = 0.0
            job.extra["restarts"] = int(job.extra.get("restarts", 0)) + 1
            job.extra["last_interruption"] = reason

        return self.transition(job_id, mutate, frozenset({JobState.running}))

    def set_progress(self, job_id: str, progress: float) -> JobRecord:
        """Record progress (0..1, never backwards) of a running job."""

        def mutate(job: JobRecord) -> None:
            job.progress = round(max(job.progress, min(1.0, max(0.0, progress))), 4)

        return self.transition(job_id, mutate, frozenset({JobState.running}))

    def complete(
        self,
        job_id: str,
        *,
        summary: list[dict[str, Any]],
        result_keys: dict[str, str],
        media_seconds: float,
        media_units: int,
    ) -> JobRecord:
        """running → finished with its results; releases the tenant's job slot."""

        def mutate(job: JobRecord) -> None:
            job.state = JobState.finished
            job.progress = 1.0
            job.time_completed = self._now()
            job.summary = summary
            job.result_keys = result_keys
            job.media_seconds = media_seconds
            job.media_units = media_units

        job = self.transition(job_id, mutate, frozenset({JobState.running}))
        self._quotas.release_job_slot(job.tenant_id)
        self._emit(job, JobEvent.completed)
        return job

    def fail(self, job_id: str, error: FramelensError | JobError) -> JobRecord | None:
        """queued/running → failed with ``error``; releases the slot.

        Returns ``None`` (and changes nothing) when the job already ended, e.g. was cancelled.
        """
        body = error if isinstance(error, JobError) else JobError(**error.to_dict())

        def mutate(job: JobRecord) -> None:
            job.state = JobState.failed
            job.time_completed = self._now()
            job.error = body

        try:
            job = self.transition(job_id, mutate, frozenset({JobState.queued, JobState.running}))
        except JobStateError:
            return None
        self._quotas.release_job_slot(job.tenant_id)
        self._emit(job, JobEvent.failed)
        return job

    def cancel(self, tenant_id: str, job_id: str) -> JobRecord:
        """queued/running → cancelled (``DELETE /v1/jobs/{id}``); releases the slot.

        Raises:
            NotFoundError: unknown or foreign job.
            JobStateError: the job already ended.
        """
        self._stores.jobs.get(job_id, tenant_id)  # 404 for unknown and foreign ids alike

        def mutate(job: JobRecord) -> None:
            job.state = JobState.cancelled
            job.time_completed = self._now()
            job.error = JobError(code="cancelled", message="the job was cancelled by the client")

        job = self.transition(job_id, mutate, frozenset({JobState.queued, JobState.running}))
        self._quotas.release_job_slot(job.tenant_id)
        self._emit(job, JobEvent.cancelled)
        if self.dispatcher is not None:
            self.dispatcher.cancel(job.id)
        return job

    def record_webhook(self, job_id: str, delivery: WebhookDelivery) -> JobRecord:
        """Mirror the job webhook's delivery record on the job (``webhook_delivery``)."""

        def mutate(job: JobRecord) -> None:
            job.webhook_delivery = delivery

        return self.transition(job_id, mutate)

    def set_extra(self, job_id: str, **values: Any) -> JobRecord:
        """Merge ``values`` into the job's ``extra`` (pipeline bookkeeping)."""

        def mutate(job: JobRecord) -> None:
            job.extra.update(values)

        return self.transition(job_id, mutate)

    def is_terminal(self, job_id: str) -> bool:
        """Whether the job has ended (finished, failed or cancelled)."""
        return self._stores.jobs.get(job_id).state in TERMINAL_STATES
