"""The status URL of a seed 000 job answered with 202: the seed's body once it is finished.

Owns: finding a tenant's job of one seed kind (another kind's id is as unknown as a foreign
one: 404) and what its status URL answers before it is finished (202 ``Pending``) or when it
failed (the job's own error code; 400 where the client's media or options caused it). Does not
own: building the finished body (each seed router).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from fastapi.responses import JSONResponse

from framelens.api.seeds._flow import job_failure
from framelens.errors import JobStateError, NotFoundError
from framelens.schemas import JobState
from framelens.schemas.seeds.accepted import Accepted, Pending

if TYPE_CHECKING:
    from framelens.api.deps import AppServices
    from framelens.schemas import JobRecord

__all__ = ["accepted_response", "finished_job", "pending_response"]


def accepted_response(job_id: str, status_url: str) -> JSONResponse:
    """Seed 000's 202 body with ``Location`` set to the status URL."""
    body = Accepted(job_id=job_id, status_url=status_url).model_dump()
    return JSONResponse(body, status_code=202, headers={"Location": status_url})


def finished_job(services: AppServices, tenant_id: str, job_id: str, kind: str) -> JobRecord:
    """The tenant's job of ``kind``.

    Raises:
        NotFoundError: unknown id, another tenant's job or a job of another kind.
    """
    job = services.jobs.get(tenant_id, job_id)
    if job.kind != kind:
        raise NotFoundError(f"no {kind} job {job_id}")
    return job


def pending_response(job: JobRecord, status_url: str) -> JSONResponse | None:
    """202 ``Pending`` while the job runs; ``None`` once it is finished.

    Raises:
        JobFailedError: the job failed (its own code; 400 for the client's media or options).
        JobStateError: the job was cancelled (409).
    """
    if job.state in (JobState.queued, JobState.running):
        state: Literal["queued", "running"] = (
            "queued" if job.state == JobState.queued else "running"
        )
        body = Pending(status=state, job_id=job.id, progress=job.progress, status_url=status_url)
        return JSONResponse(body.model_dump(), status_code=202)
    if job.state == JobState.cancelled:
        raise JobStateError(f"job {job.id} was cancelled; send the file again")
    if job.state == JobState.failed:
        raise job_failure(job)
    return None
