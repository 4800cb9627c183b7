"""Pydantic models of every request, job, result and error: the single source of truth for the API.

Owns: field names (taken from the seed documents exactly) and validation at the boundaries.
Does not own: behaviour. The OpenAPI document at ``/docs`` is generated from these models.
"""

from __future__ import annotations

from framelens.schemas.auth import KeyRecord, Plan, Tenant
from framelens.schemas.common import ErrorBody, ErrorEnvelope, TimeSegment, utcnow
from framelens.schemas.jobs import (
    TERMINAL_STATES,
    JobCreate,
    JobError,
    JobList,
    JobPublic,
    JobRecord,
    JobResultRef,
    JobState,
    ResultPage,
    WebhookConfig,
    WebhookDelivery,
)
from framelens.schemas.media import (
    FilePublic,
    FileRecord,
    MediaProbe,
    MediaType,
    UploadRequest,
    UploadTarget,
)

__all__ = [
    "TERMINAL_STATES",
    "ErrorBody",
    "ErrorEnvelope",
    "FilePublic",
    "FileRecord",
    "JobCreate",
    "JobError",
    "JobList",
    "JobPublic",
    "JobRecord",
    "JobResultRef",
    "JobState",
    "KeyRecord",
    "MediaProbe",
    "MediaType",
    "Plan",
    "ResultPage",
    "Tenant",
    "TimeSegment",
    "UploadRequest",
    "UploadTarget",
    "WebhookConfig",
    "WebhookDelivery",
    "utcnow",
]
