"""What each pipeline stage does: one function per stage, ``(services, payload) -> payload``.

Owns: resolving sources to blobs, probing, planning work items, running analyzers over a work item,
merging parts, webhooks, bookkeeping and the failure path. The same functions run in the local
runner and behind the Step Functions states (``functions/pipeline``), so payloads stay small:
results live in blobs and payloads carry keys. Does not own: stage order (``stages``), job rules
(``jobs.service``) or analysis (``engine``/``analyzers``).
"""

from __future__ import annotations

import json
import logging
import time
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from framelens.errors import (
    DeadlineExceededError,
    FramelensError,
    JobStateError,
    NotFoundError,
    ValidationError,
)
from framelens.orchestration import sources as source_io
from framelens.schemas import TERMINAL_STATES, JobError, JobPublic, JobState, utcnow

if TYPE_CHECKING:
    from framelens.runtime import Services

__all__ = [
    "aggregate",
    "analyze",
    "error_from_exception",
    "finalize",
    "mark_failed",
    "notify",
    "plan",
    "probe",
]

log = logging.getLogger(__name__)
_PROGRESS_EVERY_S = 0.5


def probe(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """queued → running; resolve every source to a blob and probe it.

    Returns ``{"job_id", "sources": [{"index", "uri", "blob_key", "media_type", "probe"}]}``.
    """
    job_id = payload["job_id"]
    job = services.jobs.start(job_id)
    described = []
    for index, uri in enumerate(job.sources):
        described.append(source_io.resolve_and_probe(services, job, index, uri))
        services.jobs.set_progress(job_id, 0.05 * (index + 1) / len(job.sources))
    services.stores.blobs.put(
        _probe_key(job_id), json.dumps(described).encode(), "application/json"
    )
    return {"job_id": job_id, "sources": described}


def plan(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """Split the work into items: one per source × segment × runtime (cpu/gpu)."""
    from framelens.analyzers.registry import PIPELINE_MODULES, analyzer_class

    job_id = payload["job_id"]
    job = _running(services, job_id)
    by_runtime: dict[str, list[str]] = {}
    for name in job.modules:
        if name in PIPELINE_MODULES:
            continue
        by_runtime.setdefault(analyzer_class(name).runtime, []).append(name)
    items = []
    for src in payload["sources"]:
        for segment in _segments(src, services.settings.segment_seconds):
            for runtime, modules in sorted(by_runtime.items()):
                items.append(
                    {
                        "job_id": job_id,
                        "source_index": src["index"],
                        "segment": segment,
                        "modules": modules,
                        "runtime": runtime,
                    }
                )
    deadline_s = None
    if job.deadline is not None:
        deadline_s = max(1, int((job.deadline - utcnow()).total_seconds()))
    return {"job_id": job_id, "items": items, "deadline_s": deadline_s}


def _segments(src: dict[str, Any], segment_seconds: float) -> list[list[float | None]]:
    """Cut a long video into ``[start, end)`` spans; images and short videos are one span."""
    duration = src["probe"].get("duration_s") or 0.0
    if src["media_type"] != "video" or duration <= segment_seconds * 1.5:
        return [[0.0, None]]
    spans: list[list[float | None]] = []
    start = 0.0
    while start < duration:
        end = start + segment_seconds
        spans.append([start, end if end < duration - segment_seconds * 0.5 else None])
        if spans[-1][1] is None:
            break
        start = end
    return spans


def analyze(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """Run the item's analyzers over one source segment in one decode pass; store the parts.

    Returns ``{"key": <blob key of the part manifest>}``.
    """
    from framelens.analyzers.registry import analyzer_class
    from framelens.engine.base import RunContext, Segment
    from framelens.engine.run import run_analyzers
    from framelens.media.probe import media_info

    job_id = payload["job_id"]
    job = _running(services, job_id)
    src = _load_sources(services, job_id)[payload["source_index"]]
    start_s, end_s = payload["segment"]
    segment = Segment(
        Fraction(start_s).limit_denominator(1000),
        None if end_s is None else Fraction(end_s).limit_denominator(1000),
    )
    analyzers = []
    skipped = {}
    for name in payload["modules"]:
        cls = analyzer_class(name)
        if src["media_type"] not in cls.media_types:
            skipped[name] = f"{name} does not apply to {src['media_type']} sources"
            continue
        analyzers.append(cls(job.modules.get(name) or {}))
    tenant = services.stores.keys.get_tenant(job.tenant_id)
    watcher = _Watcher(services, job_id, job.deadline)
    manifest: dict[str, Any] = {"source_index": src["index"], "segment": [start_s, end_s]}
    with services.stores.blobs.local_path(src["blob_key"]) as path:
        ctx = RunContext(
            job_id=job_id,
            tenant_id=job.tenant_id,
            segment=segment,
            artifacts=source_io.BlobArtifactSink(
                services.stores.blobs, f"artifacts/{job_id}/{src['index']}/{int(start_s * 1000)}"
            ),
            models=services.models,
            critical_tags=tuple(tenant.critical_tags) if tenant else (),
            on_progress=watcher,
            source_path=str(path),
        )
        results = run_analyzers(path, analyzers, ctx, media=media_info(path)) if analyzers else {}
    parts: dict[str, str] = {}
    for name, result in results.items():
        key = f"work/{job_id}/{src['index']}/{int(start_s * 1000)}/{name}.json"
        services.stores.blobs.put(key, result.model_dump_json().encode(), "application/json")
        parts[name] = key
    manifest["parts"] = parts
    manifest["skipped"] = skipped
    key = f"work/{job_id}/{src['index']}/{int(start_s * 1000)}/{payload['runtime']}.manifest.json"
    services.stores.blobs.put(key, json.dumps(manifest).encode(), "application/json")
    return {"key": key}


def aggregate(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """Merge the parts per source and module, write result documents, mark the job finished."""
    from framelens.orchestration.merge import merge_parts

    job_id = payload["job_id"]
    job = _running(services, job_id)
    sources = _load_sources(services, job_id)
    manifests = [json.loads(services.stores.blobs.get(p["key"])) for p in payload["parts"]]
    merged = merge_parts(services.stores.blobs, job, sources, manifests)
    result_keys: dict[str, str] = {}
    for module, doc in merged.documents.items():
        key = f"results/{job_id}/{module}.json"
        services.stores.blobs.put(key, json.dumps(doc).encode(), "application/json")
        result_keys[module] = key
    for key in merged.part_keys:
        services.stores.blobs.delete(key)
    services.jobs.complete(
        job_id,
        summary=merged.summary,
        result_keys=result_keys,
        media_seconds=merged.media_seconds,
        media_units=merged.media_units,
    )
    return {"job_id": job_id}


def notify(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """POST the final job to its webhook (signed when it has a secret); record the outcome."""
    from framelens.jobs.webhooks import deliver

    job_id = payload["job_id"]
    job = services.stores.jobs.get(job_id)
    if job.webhook is None or job.state not in TERMINAL_STATES:
        return {"job_id": job_id}
    try:
        job = services.jobs.claim_webhook(job_id)
    except JobStateError:  # another path (the deadline sweeper, a retry) already sent it
        return {"job_id": job_id}
    body = JobPublic.from_record(job, detailed_link=f"/v1/jobs/{job.id}/results")
    data = body.model_dump_json(exclude={"webhook_delivery"}).encode()
    settings = services.settings
    assert job.webhook is not None
    delivery = deliver(
        str(job.webhook.url),
        data,
        job.webhook.secret,
        max_attempts=settings.webhook_max_attempts,
        backoff_s=settings.webhook_backoff_s,
        timeout_s=settings.webhook_timeout_s,
        allow_private=settings.allow_private_network,
    )
    services.jobs.record_webhook(job_id, delivery)
    return {"job_id": job_id}


def finalize(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """Bookkeeping of a finished job: monthly media usage and latency statistics."""
    job_id = payload["job_id"]
    job = services.stores.jobs.get(job_id)
    if job.state == JobState.finished and not job.extra.get("accounted"):
        services.quotas.add_media_seconds(job.tenant_id, job.media_seconds)
        if job.time_started and job.time_completed:
            elapsed_ms = (job.time_completed - job.time_started).total_seconds() * 1000
            if job.media_seconds > 0:
                services.latency.record("video", job.media_seconds, elapsed_ms)
            elif job.media_units > 0:
                services.latency.record("image", job.media_units, elapsed_ms)
        services.jobs.set_extra(job_id, accounted=True)
    return {"job_id": job_id, "state": job.state.value}


def mark_failed(services: Services, payload: dict[str, Any]) -> dict[str, Any]:
    """The failure path: record why the job failed (a no-op if it already ended, e.g. cancelled).

    ``payload["error"]`` is a Step Functions error (``{"Error", "Cause"}``) or a JobError dict.
    """
    job_id = payload["job_id"]
    error = _job_error(payload.get("error") or {})
    services.jobs.fail(job_id, error)
    return {"job_id": job_id}


def error_from_exception(exc: BaseException) -> dict[str, str]:
    """The client-safe JobError body for an exception raised by a stage."""
    if isinstance(exc, FramelensError):
        return {"code": exc.code, "message": exc.message}
    log.error("stage failed", exc_info=exc)
    return {
        "code": "internal_error",
        "message": f"analysis failed unexpectedly ({type(exc).__name__}); the error was logged",
    }


def _job_error(error: dict[str, Any]) -> JobError:
    if "code" in error:
        return JobError(code=str(error["code"]), message=str(error.get("message", "")))
    name = str(error.get("Error", "internal_error"))
    if name == "States.Timeout":
        # A task's static timeout (Max-Processing-Time is checked by the steps themselves and
        # raises DeadlineExceededError), so never blame the client's deadline here.
        return JobError(
            code="stage_timeout",
            message="a pipeline stage ran past its time limit and was stopped; it was logged",
        )
    import framelens.errors as errors_module

    cls = getattr(errors_module, name, None)
    if isinstance(cls, type) and issubclass(cls, FramelensError):
        try:
            cause = json.loads(error.get("Cause") or "{}")
        except json.JSONDecodeError:
            cause = {}
        return JobError(code=cls.code, message=str(cause.get("errorMessage") or cls.__doc__))
    return JobError(
        code="internal_error", message=f"analysis failed unexpectedly ({name}); it was logged"
    )


def _running(services: Services, job_id: str) -> Any:
    """The job, if it is still running and within its deadline (checked on entry of a stage)."""
    job = services.stores.jobs.get(job_id)
    if job.state != JobState.running:
        raise JobStateError(f"job {job_id} is {job.state.value}; stopping its pipeline")
    if job.deadline is not None and utcnow() > job.deadline:
        raise DeadlineExceededError("the job ran past its Max-Processing-Time and was stopped")
    return job


def _probe_key(job_id: str) -> str:
    return f"work/{job_id}/probe.json"


def _load_sources(services: Services, job_id: str) -> list[dict[str, Any]]:
    try:
        data: list[dict[str, Any]] = json.loads(services.stores.blobs.get(_probe_key(job_id)))
    except NotFoundError as exc:
        raise ValidationError(f"job {job_id} has not been probed") from exc
    return data


class _Watcher:
    """The engine's progress callback: records progress, stops on cancel or deadline."""

    def __init__(self, services: Services, job_id: str, deadline: Any) -> None:
        self._services = services
        self._job_id = job_id
        self._deadline = deadline
        self._last = 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last < _PROGRESS_EVERY_S and fraction < 1.0:
            return
        self._last = now
        if self._deadline is not None and utcnow() > self._deadline:
            raise DeadlineExceededError("the job ran past its Max-Processing-Time and was stopped")
        # 5% went to probing; analysis takes the job to 95%, aggregation to 100%.
        try:
            self._services.jobs.set_progress(self._job_id, 0.05 + 0.9 * fraction)
        except JobStateError as exc:
            raise JobStateError(f"job {self._job_id} was cancelled; stopping") from exc
