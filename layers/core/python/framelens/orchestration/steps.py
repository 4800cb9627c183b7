"""What each pipeline stage does: one function per stage, ``(deps, payload) -> payload``.

Owns: resolving sources to blobs, probing, planning work items, running analyzers over a work item,
merging parts, webhooks, bookkeeping and the failure path. The same functions run in the local
runner and behind the Step Functions states (``functions/pipeline``, the GPU worker), all through
``Stage.run``, so payloads stay small and typed (``contract``): results live in blobs (keys from
``stores.layout``) and payloads carry keys. Does not own: stage order (``stages``), job rules
(``jobs.service``) or analysis (``engine``/``analyzers``).
"""

from __future__ import annotations

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
from framelens.jobs.results import results_link
from framelens.orchestration import sources as source_io
from framelens.orchestration.contract import (
    Failure,
    Gathered,
    JobRef,
    PartManifest,
    PartRef,
    Planned,
    Probed,
    SourceInfo,
    WorkItem,
)
from framelens.schemas import TERMINAL_STATES, JobError, JobPublic, JobRecord, JobState, utcnow
from framelens.stores import layout

if TYPE_CHECKING:
    from datetime import datetime

    from framelens.orchestration.contract import PipelineDeps

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
_PAST_DEADLINE = "the job ran past its Max-Processing-Time and was stopped"


def probe(deps: PipelineDeps, payload: JobRef) -> Probed:
    """queued → running; resolve every source to a blob and probe it."""
    job_id = payload.job_id
    job = deps.jobs.start(job_id)
    described = []
    for index, uri in enumerate(job.sources):
        described.append(source_io.resolve_and_probe(deps, job, index, uri))
        deps.jobs.set_progress(job_id, 0.05 * (index + 1) / len(job.sources))
    probed = Probed(job_id=job_id, sources=described)
    deps.stores.blobs.put(
        layout.probe_key(job_id), probed.model_dump_json().encode(), "application/json"
    )
    return probed


def plan(deps: PipelineDeps, payload: Probed) -> Planned:
    """Split the work into items: one per source × segment × runtime (cpu/gpu)."""
    from framelens.analyzers.registry import PIPELINE_MODULES, analyzer_class

    job = _running(deps, payload.job_id)
    by_runtime: dict[str, list[str]] = {}
    for name in job.modules:
        if name in PIPELINE_MODULES:
            continue
        by_runtime.setdefault(analyzer_class(name).runtime, []).append(name)
    items = [
        WorkItem(
            job_id=job.id,
            source_index=src.index,
            segment=segment,
            modules=modules,
            runtime=runtime,  # type: ignore[arg-type]
        )
        for src in payload.sources
        for segment in _segments(src, deps.pipeline_config.segment_seconds)
        for runtime, modules in sorted(by_runtime.items())
    ]
    deadline_s = None
    if job.deadline is not None:
        deadline_s = max(1, int((job.deadline - utcnow()).total_seconds()))
    return Planned(job_id=job.id, items=items, deadline_s=deadline_s)


def _segments(src: SourceInfo, segment_seconds: float) -> list[tuple[float, float | None]]:
    """Cut a long video into ``[start, end)`` spans; images and short videos are one span."""
    duration = src.probe.duration_s or 0.0
    if src.media_type != "video" or duration <= segment_seconds * 1.5:
        return [(0.0, None)]
    spans: list[tuple[float, float | None]] = []
    start = 0.0
    while start < duration:
        end = start + segment_seconds
        spans.append((start, end if end < duration - segment_seconds * 0.5 else None))
        if spans[-1][1] is None:
            break
        start = end
    return spans


def analyze(deps: PipelineDeps, payload: WorkItem) -> PartRef:
    """Run the item's analyzers over one source segment in one decode pass; store the parts."""
    from framelens.analyzers.registry import analyzer_class
    from framelens.engine.base import RunContext, Segment
    from framelens.engine.run import run_analyzers
    from framelens.media.probe import media_info

    job = _running(deps, payload.job_id)
    src = load_probed(deps, job.id).sources[payload.source_index]
    start_s, end_s = payload.segment
    analyzers = []
    manifest = PartManifest(source_index=src.index, segment=payload.segment)
    for name in payload.modules:
        cls = analyzer_class(name)
        if src.media_type not in cls.media_types:
            manifest.skipped[name] = f"{name} does not apply to {src.media_type} sources"
            continue
        analyzers.append(cls(job.modules.get(name) or {}))
    tenant = deps.stores.keys.get_tenant(job.tenant_id)
    part = str(round(start_s * 1000))
    with deps.stores.blobs.local_path(src.blob_key) as path:
        ctx = RunContext(
            job_id=job.id,
            tenant_id=job.tenant_id,
            segment=Segment(_exact(start_s), None if end_s is None else _exact(end_s)),
            artifacts=source_io.BlobArtifactSink(
                deps.stores.blobs, layout.artifact_prefix(job.id, src.index, part)
            ),
            models=deps.models,
            critical_tags=tuple(tenant.critical_tags) if tenant else (),
            on_progress=_Watcher(deps, job.id, job.deadline),
        )
        results = run_analyzers(path, analyzers, ctx, media=media_info(path)) if analyzers else {}
    for name, result in results.items():
        key = layout.part_key(job.id, src.index, start_s, name)
        deps.stores.blobs.put(key, result.model_dump_json().encode(), "application/json")
        manifest.parts[name] = key
    key = payload.result_key or layout.manifest_key(job.id, src.index, start_s, payload.runtime)
    deps.stores.blobs.put(key, manifest.model_dump_json().encode(), "application/json")
    return PartRef(key=key)


def _exact(seconds: float) -> Fraction:
    return Fraction(seconds).limit_denominator(1000)


def aggregate(deps: PipelineDeps, payload: Gathered) -> JobRef:
    """Merge the parts per source and module, write result documents, mark the job finished."""
    from framelens.orchestration.merge import merge_parts

    job = _running(deps, payload.job_id)
    blobs = deps.stores.blobs
    sources = load_probed(deps, job.id).sources
    manifests = [PartManifest.model_validate_json(blobs.get(p.key)) for p in payload.parts]
    merged = merge_parts(blobs, job, sources, manifests)
    result_keys: dict[str, str] = {}
    for module, doc in merged.documents.items():
        key = layout.result_key(job.id, module)
        blobs.put(key, doc, "application/json")
        result_keys[module] = key
    for key in merged.part_keys:  # manifests stay (tiny, and they show what ran) until expiry
        blobs.delete(key)
    deps.jobs.complete(
        job.id,
        summary=merged.summary,
        result_keys=result_keys,
        media_seconds=merged.media_seconds,
        media_units=merged.media_units,
    )
    return JobRef(job_id=job.id)


def notify(deps: PipelineDeps, payload: JobRef) -> JobRef:
    """POST the final job to its webhook (signed when it has a secret); record the outcome."""
    from framelens.jobs.webhooks import deliver

    job = deps.stores.jobs.get(payload.job_id)
    if job.webhook is None or job.state not in TERMINAL_STATES:
        return payload
    try:
        job = deps.jobs.claim_webhook(job.id)
    except JobStateError:  # another path (the deadline sweeper, a retry) already sent it
        return payload
    config = deps.pipeline_config
    body = JobPublic.from_record(job, detailed_link=results_link(job.id, config.public_base_url))
    assert job.webhook is not None
    delivery = deliver(
        str(job.webhook.url),
        body.model_dump_json(exclude={"webhook_delivery"}).encode(),
        job.webhook.secret,
        max_attempts=config.webhook_max_attempts,
        backoff_s=config.webhook_backoff_s,
        timeout_s=config.webhook_timeout_s,
        allow_private=config.allow_private_network,
    )
    deps.jobs.record_webhook(job.id, delivery)
    return payload


def finalize(deps: PipelineDeps, payload: JobRef) -> JobRef:
    """Bookkeeping of an ended job: monthly media usage, latency, removing fetched copies."""
    job = deps.stores.jobs.get(payload.job_id)
    if job.state == JobState.finished and not job.extra.get("accounted"):
        deps.quotas.add_media_seconds(job.tenant_id, job.media_seconds)
        if job.time_started and job.time_completed:
            elapsed_ms = (job.time_completed - job.time_started).total_seconds() * 1000
            if job.media_seconds > 0:
                deps.latency.record("video", job.media_seconds, elapsed_ms)
            elif job.media_units > 0:
                deps.latency.record("image", job.media_units, elapsed_ms)
        deps.jobs.set_extra(job.id, accounted=True)
    _discard_copies(deps, job.id)
    return payload


def mark_failed(deps: PipelineDeps, payload: Failure) -> JobRef:
    """The failure path: record why the job failed (a no-op if it already ended, e.g. cancelled).

    ``payload.error`` is a Step Functions error (``{"Error", "Cause"}``) or a JobError dict.
    """
    job = deps.stores.jobs.get(payload.job_id)
    deps.jobs.fail(job.id, _job_error(payload.error, job))
    _discard_copies(deps, job.id)
    return JobRef(job_id=job.id)


def error_from_exception(exc: BaseException) -> dict[str, str]:
    """The client-safe JobError body for an exception raised by a stage."""
    if isinstance(exc, FramelensError):
        return {"code": exc.code, "message": exc.message}
    log.error("stage failed", exc_info=exc)
    return {
        "code": "internal_error",
        "message": f"analysis failed unexpectedly ({type(exc).__name__}); the error was logged",
    }


def _job_error(error: dict[str, Any], job: JobRecord) -> JobError:
    if "code" in error:
        return JobError(code=str(error["code"]), message=str(error.get("message", "")))
    name = str(error.get("Error", "internal_error"))
    if name == "States.Timeout":
        if job.deadline is not None and utcnow() >= job.deadline:
            return JobError(code=DeadlineExceededError.code, message=_PAST_DEADLINE)
        return JobError(
            code="stage_timeout",
            message="a pipeline stage ran past its time limit and was stopped; try again, "
            "or split the media into shorter files",
        )
    import framelens.errors as errors_module

    cls = getattr(errors_module, name, None)
    if isinstance(cls, type) and issubclass(cls, FramelensError):
        cause = _cause(error.get("Cause"))
        return JobError(code=cls.code, message=str(cause.get("errorMessage") or cls.__doc__))
    return JobError(
        code="internal_error", message=f"analysis failed unexpectedly ({name}); it was logged"
    )


def _cause(raw: Any) -> dict[str, Any]:
    import json

    try:
        cause = json.loads(raw or "{}")
    except (TypeError, json.JSONDecodeError):
        return {}
    return cause if isinstance(cause, dict) else {}


def _running(deps: PipelineDeps, job_id: str) -> JobRecord:
    """The job, if it is still running and within its deadline (checked on entry of a stage)."""
    job = deps.stores.jobs.get(job_id)
    if job.state != JobState.running:
        raise JobStateError(f"job {job_id} is {job.state.value}; stopping its pipeline")
    if job.deadline is not None and utcnow() > job.deadline:
        raise DeadlineExceededError(_PAST_DEADLINE)
    return job


def load_probed(deps: PipelineDeps, job_id: str) -> Probed:
    """The probe stage's output, as it stored it."""
    try:
        return Probed.model_validate_json(deps.stores.blobs.get(layout.probe_key(job_id)))
    except NotFoundError as exc:
        raise ValidationError(f"job {job_id} has not been probed") from exc


def _discard_copies(deps: PipelineDeps, job_id: str) -> None:
    """Delete the job's copies of fetched sources and its probe output (nothing else needs
    them once the job ended; the layout's expiry is the backstop)."""
    blobs = deps.stores.blobs
    try:
        probed = Probed.model_validate_json(blobs.get(layout.probe_key(job_id)))
    except NotFoundError:
        return
    for src in probed.sources:
        if src.fetched:
            blobs.delete(src.blob_key)
    blobs.delete(layout.probe_key(job_id))


class _Watcher:
    """The engine's progress callback: records progress, stops on cancel or deadline."""

    def __init__(self, deps: PipelineDeps, job_id: str, deadline: datetime | None) -> None:
        self._deps = deps
        self._job_id = job_id
        self._deadline = deadline
        self._last = 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last < _PROGRESS_EVERY_S and fraction < 1.0:
            return
        self._last = now
        if self._deadline is not None and utcnow() > self._deadline:
            raise DeadlineExceededError(_PAST_DEADLINE)
        # 5% went to probing; analysis takes the job to 95%, aggregation to 100%.
        try:
            self._deps.jobs.set_progress(self._job_id, 0.05 + 0.9 * fraction)
        except JobStateError as exc:
            raise JobStateError(f"job {self._job_id} was cancelled; stopping") from exc
