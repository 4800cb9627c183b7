"""Seed 001 image batches: ``POST /v1/images`` (base64 JSON) and ``GET /v1/images/{job_id}``.

Seed 001 names no path for its image batch; ``/v1/images`` matches its ``/v1/videos``. Each
image becomes a source of one job running ``tags``, ``faces`` and ``ocr``; the job's items are
analysed in parallel (the local runner's worker pool; a Distributed Map iteration per image in
AWS). An item that cannot be analysed (a data URI instead of raw base64, bad base64, bytes that
are not a decodable image) is ``failed`` with its reason and the others go on, as the seed says;
a batch in which no item can be analysed is refused (422 ``no_valid_images``, each reason in
``details``).

Caps (``Settings``): ``image_batch_max_items`` images (100; more is 422 ``too_many_images``) and
``image_batch_max_bytes`` of decoded images in all (20 MB; more is 413); one image is at most
``max_upload_bytes`` (10 MB; a larger one fails alone). Query options as for videos:
``include_embeddings``, ``allowlist``, ``critical``; header ``Max-Processing-Time``.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.params import (
    IdempotencyKeyHeader,
    MaxProcessingTimeHeader,
    parse_max_processing_time,
)
from framelens.api.seeds._flow import idempotency_key
from framelens.api.seeds._images_out import batch_status, request_body_doc
from framelens.api.seeds._persons import Seed001Options
from framelens.api.seeds._polling import finished_job
from framelens.api.uploads import spool_body
from framelens.errors import FramelensError, MediaError, MediaTooLargeError
from framelens.schemas import ErrorEnvelope, JobCreate
from framelens.schemas.seeds.images import (
    BatchItem,
    ImageBatchAccepted,
    ImageBatchCreate,
    ImageBatchStatus,
    ImageIn,
    ItemRefusedError,
    decode_item,
)

if TYPE_CHECKING:
    from framelens.api.deps import AppServices
    from framelens.auth import Principal
    from framelens.jobs.files import FileService

__all__ = ["KIND", "router"]

KIND = "image_batch"
router = APIRouter(
    prefix="/v1/images",
    tags=["seed 001: images"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 413, 422, 429)},
)
_JSON_SLACK = 64 * 1024  # JSON framing, external ids and the webhook around the base64


class TooManyImagesError(FramelensError):
    """A batch holds more images than ``image_batch_max_items``."""

    code = "too_many_images"
    http_status = 422


class NoValidImagesError(FramelensError):
    """No image of a batch can be analysed (each item's reason is in ``details``)."""

    code = "no_valid_images"
    http_status = 422


@router.post(
    "",
    status_code=202,
    response_model=ImageBatchAccepted,
    summary="Analyse a batch of base64 images; 202 with Location",
    openapi_extra=request_body_doc(ImageBatchCreate),
)
async def submit_images(
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    services: ServicesDep,
    query: Seed001Options,
    max_processing_time: MaxProcessingTimeHeader = None,
    _idempotency_key: IdempotencyKeyHeader = None,
) -> ImageBatchAccepted:
    """Items fail alone (``status: "failed"`` with ``error``); the others are analysed."""
    deadline = parse_max_processing_time(max_processing_time)
    modules = {"tags": query.tags(), "faces": query.faces(), "ocr": {}}
    key = idempotency_key(request)
    batch = await _read_batch(request, services)
    items, sources = await run_in_threadpool(_intake, services, principal, batch.images)
    if not sources:
        raise NoValidImagesError(
            "no image of the batch could be read; fix the items and send them again",
            details={"items": [i.model_dump(exclude_none=True) for i in items]},
        )
    # Each request stores its images anew: a replay is the same batch with the same options.
    digest = hashlib.sha256(batch.model_dump_json().encode()).hexdigest()
    job, created = services.jobs.create(
        principal,
        JobCreate(sources=sources, modules=modules, webhook=batch.webhook),
        kind=KIND,
        max_processing_time=deadline,
        extra={"images": [i.model_dump(mode="json", exclude_none=True) for i in items]},
        idempotency_key=key,
        fingerprint={"batch_sha256": digest, "modules": modules},
    )
    if not created:  # the first request's job has its own copies of the images
        await run_in_threadpool(_drop_files, services, principal, sources)
    response.headers["Location"] = f"/v1/images/{job.id}"
    return ImageBatchAccepted(job_id=job.id)


def _drop_files(services: AppServices, principal: Principal, sources: list[str]) -> None:
    from framelens.jobs.files import FileService

    files = FileService(services.stores, services.settings)
    for source in sources:
        files.delete(principal.tenant_id, source.removeprefix("storage://"))


@router.get("/{job_id}", response_model=ImageBatchStatus, summary="A batch and its items")
def get_images(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> ImageBatchStatus:
    """Every item in the order sent, with its ``result`` (``tags``, ``person_ids``,
    ``ocr_results``) once the batch is ``finished``, or its ``error``."""
    job = finished_job(services, principal.tenant_id, job_id, KIND)
    return batch_status(services, job)


async def _read_batch(request: Request, services: AppServices) -> ImageBatchCreate:
    """The JSON body, read under the batch's byte cap before anything is parsed.

    Raises:
        MediaTooLargeError: the body is larger than the images cap allows (413).
        RequestValidationError: not a batch (422, as every malformed body).
        TooManyImagesError: more images than the cap (422).
    """
    settings = services.settings
    body_limit = settings.image_batch_max_bytes * 4 // 3 + _JSON_SLACK
    try:
        async with spool_body(request, body_limit) as path:
            raw = path.read_bytes()
    except MediaTooLargeError as exc:
        raise _too_large(settings.image_batch_max_bytes) from exc
    try:
        batch = ImageBatchCreate.model_validate_json(raw)
    except PydanticValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc
    limit = settings.image_batch_max_items
    if len(batch.images) > limit:
        raise TooManyImagesError(
            f"the batch holds {len(batch.images)} images; at most {limit} per batch: split it",
            details={"images": len(batch.images), "max_items": limit},
        )
    return batch


def _too_large(limit: int) -> MediaTooLargeError:
    return MediaTooLargeError(
        f"the batch's images add up to more than {limit / 2**20:g} MB; "
        "split them into smaller batches",
        details={"max_bytes": limit},
    )


def _intake(
    services: AppServices, principal: Principal, images: list[ImageIn]
) -> tuple[list[BatchItem], list[str]]:
    """Decode and store each image; an item that cannot be analysed is refused alone.

    Returns:
        Every item (its source index, or its error) and the sources of the job.

    Raises:
        MediaTooLargeError: the decoded images add up to more than the cap.
    """
    from framelens.jobs.files import FileService

    settings = services.settings
    decoded: list[bytes | ItemRefusedError] = []
    for image in images:
        try:
            decoded.append(decode_item(image.data_base64))
        except ItemRefusedError as exc:
            decoded.append(exc)
    total = sum(len(d) for d in decoded if isinstance(d, bytes))
    if total > settings.image_batch_max_bytes:
        raise _too_large(settings.image_batch_max_bytes)
    files = FileService(services.stores, settings)
    items: list[BatchItem] = []
    sources: list[str] = []
    with tempfile.TemporaryDirectory(prefix="framelens-batch-") as tmp:
        for n, (image, data) in enumerate(zip(images, decoded, strict=True)):
            try:
                url = _store(files, principal, Path(tmp) / str(n), data, settings.max_upload_bytes)
            except ItemRefusedError as exc:
                items.append(BatchItem(external_id=image.external_id, error=exc.to_error()))
                continue
            items.append(BatchItem(external_id=image.external_id, source=len(sources)))
            sources.append(url)
    return items, sources


def _store(
    files: FileService,
    principal: Principal,
    path: Path,
    data: bytes | ItemRefusedError,
    max_bytes: int,
) -> str:
    """Check one decoded image by content and store it; its ``storage://`` URL.

    Raises:
        ItemRefusedError: the item cannot be analysed (the reason says why).
    """
    if isinstance(data, ItemRefusedError):
        raise data
    if len(data) > max_bytes:
        raise ItemRefusedError(
            "payload_too_large",
            f"the image is larger than {max_bytes / 2**20:g} MB; downscale it",
        )
    path.write_bytes(data)
    try:
        record = files.ingest(principal.tenant_id, path)
    except MediaError as exc:
        raise ItemRefusedError(exc.code, exc.message) from exc
    if record.media_type != "image":
        raise ItemRefusedError(
            "unsupported_media_type",
            f"the item is a {record.media_type}, not an image; send images only "
            "(videos go to POST /v1/videos)",
        )
    return str(record.url)
