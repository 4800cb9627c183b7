"""S3 drops: an object under ``uploads/`` becomes a file record and a job of its tenant.

Owns: reading who the upload belongs to and what to run on it (object metadata
``x-amz-meta-tenant`` / ``x-amz-meta-modules`` / ``x-amz-meta-webhook``, or a sidecar
``<key>.json`` uploaded *before* the media: ``{"tenant", "modules", "webhook"?}``), checking the
object by content, and creating the job through ``JobService.create``. Does not own parsing the
S3 event (``functions/ingest``) nor running the job (the dispatcher).

Every refusal is a ``FramelensError`` with a message that says what to fix; the ingest handler
records it (``ingest-errors/``), so no drop fails silently. A drop delivered twice (S3 events are
at-least-once) makes one job: the file id and the Idempotency-Key derive from key and ETag.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from framelens.auth import Principal
from framelens.errors import AuthError, NotFoundError, ValidationError
from framelens.schemas import FileRecord, JobCreate
from framelens.stores.layout import UPLOADS_PREFIX

if TYPE_CHECKING:
    from framelens.jobs.service import JobService
    from framelens.schemas import JobRecord
    from framelens.stores import BlobStore, Stores

__all__ = ["UPLOADS_PREFIX", "create_job_from_upload", "drop_file_id", "upload_request"]

SIDECAR_SUFFIX = ".json"
_META_PREFIX = "x-amz-meta-"
_PRINCIPAL_KEY_ID = "s3-upload"  # jobs from drops are not made with an API key


def _parse_modules(raw: Any, source: str) -> dict[str, dict[str, Any]]:
    """``"scenes,probe"``, ``'["scenes"]'``, ``'{"scenes": {}}'`` or the decoded JSON value."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith(("[", "{")):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"{source}: modules is not valid JSON ({exc.msg}); "
                    "use a comma list such as 'scenes,probe' or a JSON list/object"
                ) from exc
        else:
            raw = [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(raw, list) and all(isinstance(m, str) for m in raw):
        modules: dict[str, dict[str, Any]] = {m: {} for m in raw}
    elif isinstance(raw, dict) and all(isinstance(v, dict) for v in raw.values()):
        modules = {str(k): dict(v) for k, v in raw.items()}
    else:
        raise ValidationError(
            f"{source}: modules must be a comma list, a JSON list of names or a JSON object "
            "of module options"
        )
    if not modules:
        raise ValidationError(f"{source}: name at least one module (for example 'scenes')")
    return modules


def _read_request(
    blobs: BlobStore, key: str, metadata: dict[str, str]
) -> tuple[str, dict[str, Any], str]:
    """``(tenant, {"modules", "webhook"?}, where it came from)`` from metadata or the sidecar."""
    meta = {k.lower().removeprefix(_META_PREFIX): v for k, v in metadata.items()}
    if meta.get("tenant"):
        source = f"metadata of {key!r}"
        fields: dict[str, Any] = {"modules": meta.get("modules", "")}
        if meta.get("webhook"):
            fields["webhook"] = {"url": meta["webhook"]}
        return meta["tenant"], fields, source
    sidecar = key + SIDECAR_SUFFIX
    source = f"sidecar {sidecar!r}"
    try:
        raw = blobs.get(sidecar)
    except NotFoundError as exc:
        raise ValidationError(
            f"upload {key!r} names no tenant: set the x-amz-meta-tenant and x-amz-meta-modules "
            f"metadata, or upload the sidecar {sidecar!r} first",
            details={"key": key},
        ) from exc
    try:
        doc = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{source} is not JSON", details={"key": key}) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("tenant"), str) or not doc["tenant"]:
        raise ValidationError(f'{source} must be {{"tenant": "...", "modules": ...}}')
    fields = {"modules": doc.get("modules", "")}
    if doc.get("webhook") is not None:
        webhook = doc["webhook"]
        fields["webhook"] = {"url": webhook} if isinstance(webhook, str) else webhook
    return doc["tenant"], fields, source


def upload_request(
    blobs: BlobStore, key: str, metadata: dict[str, str]
) -> tuple[str, dict[str, dict[str, Any]], dict[str, Any] | None]:
    """The tenant, modules and webhook an upload asks for.

    Raises:
        ValidationError: no tenant named, or modules/webhook that do not decode.
    """
    tenant, fields, source = _read_request(blobs, key, metadata)
    return tenant, _parse_modules(fields["modules"], source), fields.get("webhook")


def drop_file_id(key: str, etag: str | None) -> str:
    """The file id a drop of ``key`` with ``etag`` (as S3's event gives it, unquoted) becomes.

    Deterministic, so a replayed event is a no-op, and a client that dropped the object can find
    its job by the source ``storage://<file id>`` (``make smoke`` does).

    Examples:
        >>> drop_file_id("uploads/cam1.mp4", "9b2c")
        'f_s34f066a4f805553bf5e16'
    """
    return f"f_s3{_drop_digest(key, etag)[:20]}"


def _drop_digest(key: str, etag: str | None) -> str:
    return hashlib.sha256(f"{key}\n{etag or ''}".encode()).hexdigest()


def create_job_from_upload(
    stores: Stores,
    jobs: JobService,
    key: str,
    *,
    size: int,
    etag: str | None,
    limits: tuple[int, float],
) -> JobRecord:
    """Turn the object at ``key`` (already URL-decoded) into a ``storage://`` file and a job.

    Args:
        stores: The store adapters.
        jobs: The job service that creates (and dispatches) the job.
        key: The object key, under ``uploads/``.
        size: The object size from the event (the stored size wins when it differs).
        etag: The object ETag from the event; with the key it makes a replayed event a no-op.
        limits: ``(max image pixels, max video seconds)`` of media the pipeline accepts.

    Returns:
        The job (the existing one when this drop was already turned into a job).

    Raises:
        ValidationError: the key is outside ``uploads/``, no tenant or undecodable modules.
        AuthError: the tenant does not exist.
        MediaError: the object is not media Framelens can analyse.
        QuotaExceededError: the tenant is at its job or media limits.

    Examples:
        >>> job = create_job_from_upload(stores, jobs, "uploads/cam1.mp4", size=1234,
        ...     etag="9b2c", limits=(50_000_000, 21600.0))  # doctest: +SKIP
    """
    from framelens.media.validate import inspect_media

    if not key.startswith(UPLOADS_PREFIX) or key.endswith(SIDECAR_SUFFIX):
        raise ValidationError(f"{key!r} is not a media upload under {UPLOADS_PREFIX!r}")
    blobs = stores.blobs
    tenant_id, modules, webhook = upload_request(blobs, key, blobs.metadata(key))
    tenant = stores.keys.get_tenant(tenant_id)
    if tenant is None:
        raise AuthError(
            f"upload {key!r} names tenant {tenant_id!r}, which does not exist; "
            "create it with `framelens keys create` first",
            details={"key": key, "tenant": tenant_id},
        )
    try:
        request = JobCreate.model_validate(
            {"sources": ["storage://pending"], "modules": modules, "webhook": webhook}
        )
    except ValueError as exc:  # pydantic: a webhook that is not a URL
        raise ValidationError(f"upload {key!r}: {exc}") from exc

    digest = _drop_digest(key, etag)
    file_id = drop_file_id(key, etag)
    with blobs.local_path(key) as path:
        stored_size = path.stat().st_size
        info = inspect_media(path, max_image_pixels=limits[0], max_video_seconds=limits[1])
    record = FileRecord(
        file_id=file_id,
        tenant_id=tenant_id,
        url=f"storage://{file_id}",
        media_type=info.media_type,
        content_type=info.content_type,
        size=stored_size or size,
        name=PurePosixPath(key).name,
        probe=info.probe,
        blob_key=key,  # the drop stays where it landed; no copy
    )
    stores.files.put(record)
    request = request.model_copy(update={"sources": [record.url]})
    principal = Principal(
        key_id=_PRINCIPAL_KEY_ID,
        tenant_id=tenant_id,
        plan=tenant.plan,
        critical_tags=tuple(tenant.critical_tags),
    )
    job, _ = jobs.create(
        principal,
        request,
        idempotency_key=f"s3:{digest[:40]}",
        extra={"s3_key": key, "etag": etag},
    )
    return job
