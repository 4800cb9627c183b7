"""Seed 000 "OCR API": ``POST /ocr/api/ocr`` (field ``file``: an image or a DOCX document).

Paths, fields and the error table follow seed 000: JPG, PNG, BMP, TIFF, WebP and DOCX up to
10 MB, recognised by content (magic bytes and a real decode, never the file name); 400 for an
unsupported type, a file over 10 MB, one that does not decode or a DOCX refused as unsafe; 401
without a valid key; 422 without a file in the field ``file``; 429 over the key's rate limit
(60 GET / 10 POST a minute).

The answer is the seed's body at once where this server runs jobs in-process (the local
server); elsewhere (AWS) 202 with ``status_url`` (``GET /ocr/api/ocr/{job_id}``), which answers
the same body once the job is finished. The job's ``ocr`` results (lines, boxes, languages) are
also at ``/v1/jobs/{job_id}/results?module=ocr``.

``GET /ocr/health`` (no key): 200 ``{"status": "ok", "model": "loaded"}`` once the OCR engine is
loaded in this process (the first call loads it); 503 ``{"status": "error", "model":
"unavailable", "detail"}`` when it cannot be (a load balancer takes the instance out); 200
``{"status": "ok", "model": "remote"}`` where analysis runs in other processes (AWS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from framelens.api.deps import CurrentPrincipal, ServicesDep
from framelens.api.seeds._flow import SeedFlow, read_result, receive_and_answer
from framelens.api.seeds._polling import accepted_response, finished_job, pending_response
from framelens.api.uploads import multipart_doc
from framelens.errors import FramelensError
from framelens.schemas import ErrorEnvelope
from framelens.schemas.results_ocr import OcrResult
from framelens.schemas.seeds.accepted import Accepted, Pending
from framelens.schemas.seeds.ocr import OcrHealth, OcrResponse, ocr_response, saved_filename

if TYPE_CHECKING:
    from framelens.api.deps import AppServices
    from framelens.schemas import FileRecord, JobRecord

PREFIX = "/ocr"
KIND = "ocr"
router = APIRouter(
    prefix=PREFIX,
    tags=["seed 000: OCR"],
    responses={code: {"model": ErrorEnvelope} for code in (400, 401, 404, 422, 429, 500)},
)
health_router = APIRouter(prefix=PREFIX, tags=["seed 000: OCR"])

# Seed 000's OCR table: 400 for an unsupported type or a file over 10 MB; a file that does not
# decode, and a DOCX refused as unsafe (zip bomb, entity expansion, path tricks), are "invalid or
# malformed requests" too. 422 stays for a missing file or field.
_UNDECODABLE = (
    "unprocessable_media",
    "media_too_long",
    "unsafe_document",
    "document_too_large_uncompressed",
    "document_xml_entities",
    "document_member_path",
)
FLOW = SeedFlow(
    form_field="file",
    media_types=("image", "document"),
    modules={"ocr": {}},
    kind=KIND,
    inline_max_seconds=0.0,  # images and documents have no duration: inline where possible
    status_map={413: 400, 415: 400, **dict.fromkeys(_UNDECODABLE, 400)},
    wrong_media="send an image (JPG, PNG, BMP, TIFF or WebP) or a DOCX document",
    containers=("jpeg", "png", "bmp", "tiff", "webp", "docx"),
)


def status_path(job_id: str) -> str:
    """Where a 202'd OCR request's body appears."""
    return f"{PREFIX}/api/ocr/{job_id}"


@health_router.get(
    "/health",
    response_model=OcrHealth,
    response_model_exclude_none=True,
    responses={
        503: {
            "model": OcrHealth,
            "description": "The OCR engine cannot be loaded, or storage cannot be used",
        }
    },
    summary="Liveness and whether the OCR models are loaded (no auth)",
)
def ocr_health(services: ServicesDep) -> OcrHealth | JSONResponse:
    """Loads the engine on the first call (about a second) where this process runs OCR."""
    dispatcher = services.jobs.dispatcher
    if dispatcher is None or not dispatcher.runs_inline:
        down = _storage_down(services, "remote")
        return down or OcrHealth(model="remote", detail="OCR runs in the analysis workers")
    from framelens.models.ocr import ocr_engine  # heavy: only when asked

    try:
        ocr_engine()
    except FramelensError as exc:
        body = OcrHealth(status="error", model="unavailable", detail=exc.message)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=503)
    return _storage_down(services, "loaded") or OcrHealth()


def _storage_down(services: AppServices, model: Literal["loaded", "remote"]) -> JSONResponse | None:
    """OCR's own 503 body while storage cannot be used (a full disk, a read-only database)."""
    storage = services.storage.check()
    if storage.ok:
        return None
    detail = "storage cannot be used: " + "; ".join(storage.reasons)
    body = OcrHealth(status="error", model=model, detail=detail)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=503)


@router.post(
    "/api/ocr",
    response_model=OcrResponse,
    responses={202: {"model": Accepted}},
    summary="Read the text of an image or a DOCX document (multipart field `file`)",
    openapi_extra=multipart_doc("file"),
)
async def read_text(
    request: Request, principal: CurrentPrincipal, services: ServicesDep
) -> OcrResponse | JSONResponse:
    """``output`` has one ``{"text"}`` per line of an image, per block of a document (paragraph,
    table cell, header, footer) and per line of each image embedded in it, in reading order."""
    answer = await receive_and_answer(request, principal, services, FLOW)
    if not answer.inline:
        return accepted_response(answer.job.id, status_path(answer.job.id))
    return _body(services, answer.job, answer.record)


@router.get(
    "/api/ocr/{job_id}",
    response_model=OcrResponse,
    responses={202: {"model": Pending}},
    summary="The text of a file answered with 202, once its job is finished",
)
def ocr_status(
    job_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> OcrResponse | JSONResponse:
    """202 ``Pending`` until the job is finished, then the same body ``POST`` answers inline."""
    job = finished_job(services, principal.tenant_id, job_id, KIND)
    pending = pending_response(job, status_path(job.id))
    if pending is not None:
        return pending
    record = services.stores.files.get(
        principal.tenant_id, job.sources[0].removeprefix("storage://")
    )
    return _body(services, job, record)


def _body(services: AppServices, job: JobRecord, record: FileRecord) -> OcrResponse:
    result = read_result(services, job, "ocr", OcrResult) or OcrResult(
        media_type="document" if record.media_type == "document" else "image"
    )
    return ocr_response(
        result,
        original_filename=record.name or saved_filename(record.file_id, record.probe.container),
        saved_filename=saved_filename(record.file_id, record.probe.container),
    )
