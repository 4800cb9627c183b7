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
from typing import TYPE_CHECKING, Any, Literal

from framelens.errors import (
    DeadlineExceededError,
    JobStateError,
    NotFoundError,
    ValidationError,
)
from framelens.jobs.results import results_link
from framelens.orchestration import sources as source_io
from framelens.orchestration.contract import (
    JobRef,
    PartManifest,
    PartRef,
    Planned,
    Probed,
    SourceInfo,
    WorkItem,
    WorkItems,
)
from framelens.orchestration.failures import PAST_DEADLINE, discard_copies
from framelens.schemas import TERMINAL_STATES, JobPublic, JobRecord, JobState, utcnow
from framelens.stores import layout

if TYPE_CHECKING:
    from datetime import datetime

    from framelens.orchestration.contract import PipelineDeps
    from framelens.schemas.identities import GalleryView

__all__ = [
    "aggregate",
    "analyze",
    "finalize",
    "notify",
    "plan",
    "probe",
]

log = logging.getLogger(__name__)
_PROGRESS_EVERY_S = 0.5


def probe(deps: PipelineDeps, payload: JobRef) -> JobRef:
    """queued → running; resolve every source to a blob and probe it (``Probed`` is stored at
    ``layout.probe_key``: a hundred sources would not fit in a Step Functions state)."""
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
    return JobRef(job_id=job_id)


def plan(deps: PipelineDeps, payload: JobRef) -> Planned:
    """Split the work into items — source × segment × runtime — and store them as a JSON array
    (the Distributed Map reads it from the bucket; the state keeps only its key).

    Each item names where it leaves its manifest (``result_key``), so aggregation finds every
    part from the item list alone. On the embedded backend all modules of a segment are one
    item (one decode): CPU/GPU placement is a cloud concern.
    """
    job = _running(deps, payload.job_id)
    backend = deps.pipeline_config.backend
    items = [
        WorkItem(
            job_id=job.id,
            source_index=src.index,
            segment=segment,
            modules=modules,
            runtime=runtime,
            result_key=layout.manifest_key(job.id, src.index, segment[0], runtime),
        )
        for src in load_probed(deps, job.id).sources
        for segment in _segments(src, deps.pipeline_config.segment_seconds)
        for runtime, modules in _module_groups(job.modules, backend, src.media_type)
    ]
    key = layout.items_key(job.id)
    body = WorkItems.dump_json(items)
    deps.stores.blobs.put(key, body, "application/json")
    deadline_s = None
    if job.deadline is not None:
        deadline_s = max(1, int((job.deadline - utcnow()).total_seconds()))
    return Planned(job_id=job.id, items_key=key, count=len(items), deadline_s=deadline_s)


def _module_groups(
    modules: dict[str, Any], backend: str, media_type: str
) -> list[tuple[Literal["cpu", "gpu"], list[str]]]:
    """The modules of one work item per runtime for a ``media_type`` source (one item for all
    of them locally)."""
    from framelens.analyzers.registry import PIPELINE_MODULES, analyzer_class

    names = [m for m in modules if m not in PIPELINE_MODULES]
    if not names:
        return []
    if backend != "aws":
        return [("cpu", names)]
    by_runtime: dict[Literal["cpu", "gpu"], list[str]] = {}
    for name in names:
        by_runtime.setdefault(analyzer_class(name).runtime_for(media_type), []).append(name)
    return sorted(by_runtime.items())


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
    from framelens.analyzers.registry import analyzer_class
    from framelens.engine.base import RunContext, Segment
    from framelens.engine.run import run_analyzers
    from framelens.media.probe import media_info
    from framelens.orchestration.segment_source import segment_source

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
    results = {}
    if analyzers:  # nothing applies to this source: no download, no decode
        ctx = RunContext(
            job_id=job.id,
            tenant_id=job.tenant_id,
            segment=Segment(_exact(start_s), None if end_s is None else _exact(end_s)),
            artifacts=source_io.BlobArtifactSink(
                deps.stores.blobs,
                layout.artifact_prefix(job.id, src.index, str(round(start_s * 1000))),
            ),
            pages=source_io.BlobArtifactSink(
                deps.stores.blobs, layout.page_prefix(job.id, src.index, start_s)
            ),
            models=deps.models,
            critical_tags=_critical_tags(deps, job),
            on_progress=_Watcher(deps, job.id, job.deadline),
            gallery=_gallery(deps, job, payload.modules),
        )
        # A video segment reads its span through a presigned URL (segment_source.py).
        with segment_source(deps, src) as path:
            results = run_analyzers(path, analyzers, ctx, media=media_info(path))
    for name, result in results.items():
        key = layout.part_key(job.id, src.index, start_s, name)
        deps.stores.blobs.put(key, result.model_dump_json().encode(), "application/json")
        manifest.parts[name] = key
    key = payload.result_key or layout.manifest_key(job.id, src.index, start_s, payload.runtime)
    deps.stores.blobs.put(key, manifest.model_dump_json().encode(), "application/json")
    return PartRef(key=key)


def load_items(deps: PipelineDeps, planned: Planned) -> list[WorkItem]:
    """The work items the plan stage stored."""
    return WorkItems.validate_json(deps.stores.blobs.get(planned.items_key))


def _critical_tags(deps: PipelineDeps, job: JobRecord) -> tuple[str, ...]:
    tenant = deps.stores.keys.get_tenant(job.tenant_id)
    return tuple(tenant.critical_tags) if tenant else ()


def _gallery(deps: PipelineDeps, job: JobRecord, modules: list[str]) -> GalleryView | None:
    """The tenant's identities the ``faces`` module of this item matches against, if any."""
    options = job.modules.get("faces") or {}
    if "faces" not in modules or not (options.get("gallery") or options.get("allowlist")):
        return None
    from framelens.jobs.galleries import gallery_view

    store = deps.stores.identities
    if store is None:
        raise ValidationError("this deployment has no identity store for galleries")
    return gallery_view(store, job.tenant_id, options.get("gallery"), options.get("allowlist"))


def _exact(seconds: float) -> Fraction:
    return Fraction(seconds).limit_denominator(1000)


def aggregate(deps: PipelineDeps, payload: Planned) -> JobRef:
    """Merge the parts per source and module, write result documents, mark the job finished.

    An enrolment job makes its gallery identity here, before it is finished (``enrolment``).
    """
    from framelens.orchestration.enrolment import enrol
    from framelens.orchestration.merge import merge_parts

    job = _running(deps, payload.job_id)
    blobs = deps.stores.blobs
    sources = load_probed(deps, job.id).sources
    manifests = [
        PartManifest.model_validate_json(blobs.get(item.result_key or ""))
        for item in load_items(deps, payload)
    ]
    merged = merge_parts(blobs, job, sources, manifests)
    enrol(deps, job, merged)
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
    """Queue the final job for its webhook (a durable delivery record; the delivery worker
    sends it, signed when it has a secret). Returns at once whatever the receiver does."""
    job = deps.stores.jobs.get(payload.job_id)
    if job.webhook is None or job.state not in TERMINAL_STATES:
        return payload
    base_url = deps.pipeline_config.public_base_url
    body = JobPublic.from_record(job, detailed_link=results_link(job.id, base_url))
    # Queued once however many paths notify (pipeline, deadline sweeper, cancel): the record's
    # id comes from the job.
    deps.deliveries.enqueue_job(job, body.model_dump_json(exclude={"webhook_delivery"}).encode())
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
    discard_copies(deps, job.id)
    return payload


def _running(deps: PipelineDeps, job_id: str) -> JobRecord:
    """The job, if it is still running and within its deadline (checked on entry of a stage)."""
    job = deps.stores.jobs.get(job_id)
    if job.state != JobState.running:
        raise JobStateError(f"job {job_id} is {job.state.value}; stopping its pipeline")
    if job.deadline is not None and utcnow() > job.deadline:
        raise DeadlineExceededError(PAST_DEADLINE)
    return job


def load_probed(deps: PipelineDeps, job_id: str) -> Probed:
    """The probe stage's output, as it stored it."""
    try:
        return Probed.model_validate_json(deps.stores.blobs.get(layout.probe_key(job_id)))
    except NotFoundError as exc:
        raise ValidationError(f"job {job_id} has not been probed") from exc


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
            raise DeadlineExceededError(PAST_DEADLINE)
        # 5% went to probing; analysis takes the job to 95%, aggregation to 100%.
        try:
            self._deps.jobs.set_progress(self._job_id, 0.05 + 0.9 * fraction)
        except JobStateError as exc:
            raise JobStateError(f"job {self._job_id} was cancelled; stopping") from exc
