"""The blob layout: every key Framelens writes, and how long each kind lives.

Owns: key names under the media bucket (and the embedded blob folder) and their expiry. The
pipeline, the API, the CLI and the AWS adapter build keys only through these functions; the CDK
construct derives the bucket's lifecycle rules from ``EXPIRIES`` and the embedded backend's
sweeper applies the same table, so the two can never drift. Does not own reading or writing
(``BlobStore`` adapters).

Prefixes (``<job>`` is a job id, ``<tenant>`` a tenant id):

- ``media/<tenant>/<file>``: files stored on request (``POST /v1/media``, uploads). Kept.
- ``uploads/<any>``: S3 drops that start jobs (AWS only).
- ``ingest-errors/<drop key>.json``: why a drop did not become a job.
- ``fetched/<tenant>/<job>/<source>``: copies of ``https://`` sources; deleted when the job ends.
- ``health/probe``: a few bytes the embedded backend's storage health probe rewrites. One key.
- ``work/<job>/...``: pipeline parts (probe output, per-segment parts, manifests).
- ``results/<job>/<module>.json``: result documents.
- ``artifacts/<job>/<source>/...``: frame images, annotated videos named in results.
- ``renders/<tenant>/<file>/<kind>-<digest>.<ext>``: cached media renders (clips, overlays,
  thumbnails, frame indexes), with ``.pending.json`` (a worker was asked to render it, AWS) and
  ``.error.json`` (why it could not be rendered) beside a render's key.
- ``webhooks/<tenant>/<delivery>.json``: the exact body of a webhook delivery (its record names
  it).
- ``records/...``: job bodies too large for a DynamoDB item (AWS adapter).
- ``models/<file>``: model files for the models bucket fetcher. Kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "ARTIFACTS_PREFIX",
    "EXPIRIES",
    "FETCHED_PREFIX",
    "INGEST_ERRORS_PREFIX",
    "MEDIA_PREFIX",
    "MODELS_PREFIX",
    "RECORDS_PREFIX",
    "RENDERS_PREFIX",
    "RESULTS_PREFIX",
    "UPLOADS_PREFIX",
    "WEBHOOKS_PREFIX",
    "WORK_PREFIX",
    "Expiry",
    "artifact_key",
    "artifact_name",
    "artifact_prefix",
    "fetched_key",
    "identity_links_key",
    "ingest_error_key",
    "item_error_key",
    "items_key",
    "manifest_key",
    "media_key",
    "page_prefix",
    "part_key",
    "probe_key",
    "record_key",
    "render_error_key",
    "render_key",
    "render_pending_key",
    "result_key",
    "webhook_body_key",
    "work_prefix",
]

JOB_TTL_DAYS = 30  # Settings.job_ttl_days: results and artifacts live as long as the job record


@dataclass(frozen=True, slots=True)
class Expiry:
    """Objects under ``prefix`` are deleted ``days`` after they were written."""

    prefix: str
    days: int
    why: str


MEDIA_PREFIX = "media/"
UPLOADS_PREFIX = "uploads/"
INGEST_ERRORS_PREFIX = "ingest-errors/"
MODELS_PREFIX = "models/"
FETCHED_PREFIX = "fetched/"
WORK_PREFIX = "work/"
RESULTS_PREFIX = "results/"
ARTIFACTS_PREFIX = "artifacts/"
RENDERS_PREFIX = "renders/"
WEBHOOKS_PREFIX = "webhooks/"
RECORDS_PREFIX = "records/"

EXPIRIES: tuple[Expiry, ...] = (
    Expiry(UPLOADS_PREFIX, JOB_TTL_DAYS, "an S3 drop is its file's bytes: kept as long as its job"),
    Expiry(INGEST_ERRORS_PREFIX, JOB_TTL_DAYS, "diagnostics of refused drops"),
    Expiry(FETCHED_PREFIX, 7, "copies of https:// sources; deleted at job end, this is a backstop"),
    Expiry(WORK_PREFIX, 7, "pipeline parts, needed only until aggregation"),
    Expiry(RESULTS_PREFIX, JOB_TTL_DAYS, "a job's results live as long as its record"),
    Expiry(ARTIFACTS_PREFIX, JOB_TTL_DAYS, "a job's images and videos live as long as its record"),
    Expiry(RENDERS_PREFIX, 7, "a cache: a render asked for again is re-made"),
    Expiry(WEBHOOKS_PREFIX, JOB_TTL_DAYS, "webhook bodies live as long as their delivery records"),
    Expiry(RECORDS_PREFIX, JOB_TTL_DAYS + 5, "oversized job bodies outlive their item a little"),
)


def media_key(tenant_id: str, file_id: str) -> str:
    """Where a stored file's bytes live."""
    return f"{MEDIA_PREFIX}{tenant_id}/{file_id}"


def ingest_error_key(drop_key: str) -> str:
    """Where the reason a dropped object did not become a job is written."""
    return f"{INGEST_ERRORS_PREFIX}{drop_key}.json"


def fetched_key(tenant_id: str, job_id: str, source_index: int) -> str:
    """The copy of an ``https://`` source of a job."""
    return f"{FETCHED_PREFIX}{tenant_id}/{job_id}/{source_index}"


def health_probe_key() -> str:
    """The one blob the storage health probe rewrites to learn whether blobs can be written."""
    return "health/probe"


def work_prefix(job_id: str) -> str:
    """Everything the pipeline writes for a job before its results."""
    return f"{WORK_PREFIX}{job_id}/"


def probe_key(job_id: str) -> str:
    """The probe stage's output: the job's sources described."""
    return f"{work_prefix(job_id)}probe.json"


def items_key(job_id: str) -> str:
    """The plan stage's work items (a JSON array the Distributed Map reads)."""
    return f"{work_prefix(job_id)}items.json"


# The Distributed Map's own result export (the pipeline reads part manifests, not this).
MAP_RESULTS_PREFIX = f"{WORK_PREFIX}map-results/"


def _segment(job_id: str, source_index: int, start_s: float) -> str:
    return f"{work_prefix(job_id)}{source_index}/{round(start_s * 1000)}"


def part_key(job_id: str, source_index: int, start_s: float, module: str) -> str:
    """One analyzer's part for one segment of one source."""
    return f"{_segment(job_id, source_index, start_s)}/{module}.json"


def page_prefix(job_id: str, source_index: int, start_s: float) -> str:
    """Pages of per-frame results of one segment of one source (``<module>/<frame>_<n>.json``
    below it; ``work/``'s expiry; aggregate deletes them once the documents are written)."""
    return f"{_segment(job_id, source_index, start_s)}/pages"


def manifest_key(job_id: str, source_index: int, start_s: float, runtime: str) -> str:
    """The manifest of one work item (which parts it wrote, which modules it skipped)."""
    return f"{_segment(job_id, source_index, start_s)}/{runtime}.manifest.json"


def item_error_key(manifest: str) -> str:
    """Why the work item whose manifest key is ``manifest`` failed (its last failed attempt)."""
    return f"{manifest}.error.json"


def result_key(job_id: str, module: str) -> str:
    """The result document of one module of a job."""
    return f"{RESULTS_PREFIX}{job_id}/{module}.json"


def identity_links_key(job_id: str) -> str:
    """The links a user made from a job's face identities to gallery identities (beside, and
    expiring with, the job's results)."""
    return f"{RESULTS_PREFIX}{job_id}/identity-links.json"


def artifact_prefix(job_id: str, source_index: int | None = None, part: str | None = None) -> str:
    """Artifacts of a job, optionally of one source and one segment (``part``)."""
    prefix = f"{ARTIFACTS_PREFIX}{job_id}/"
    if source_index is not None:
        prefix += f"{source_index}/"
        if part is not None:
            prefix += f"{part}/"
    return prefix


def artifact_key(job_id: str, name: str) -> str:
    """The blob key of artifact ``name`` (a relative path) of a job."""
    return f"{artifact_prefix(job_id)}{name}"


def artifact_name(job_id: str, key: str) -> str | None:
    """The artifact name of a blob key of ``job_id`` (``None`` if the key is not one)."""
    prefix = artifact_prefix(job_id)
    if not key.startswith(prefix) or key == prefix:
        return None
    return key.removeprefix(prefix)


def render_key(tenant_id: str, file_id: str, kind: str, params: str, extension: str) -> str:
    """A cached render of a file; the digest covers its parameters (and the analysis drawn).

    Examples:
        >>> render_key("acme", "f_1", "clip", "start=0;end=9", "ts")[:29]
        'renders/acme/f_1/clip-0d400f7'
    """
    digest = hashlib.sha256(params.encode()).hexdigest()[:24]
    return f"{RENDERS_PREFIX}{tenant_id}/{file_id}/{kind}-{digest}.{extension}"


def render_pending_key(key: str) -> str:
    """Beside render ``key``: when a worker was asked to render it (AWS)."""
    return f"{key}.pending.json"


def render_error_key(key: str) -> str:
    """Beside render ``key``: why the worker could not render it."""
    return f"{key}.error.json"


def record_key(table: str, item_id: str) -> str:
    """An oversized job body of the AWS records adapter."""
    return f"{RECORDS_PREFIX}{table}/{item_id}.json"


def webhook_body_key(tenant_id: str, delivery_id: str) -> str:
    """The exact bytes a webhook delivery POSTs (the signature covers them)."""
    return f"{WEBHOOKS_PREFIX}{tenant_id}/{delivery_id}.json"
