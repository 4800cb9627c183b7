"""Pydantic models of every request, job, result and error: the single source of truth for the API.

Owns: field names (taken from the seed documents exactly) and validation at the boundaries.
Does not own: behaviour. The OpenAPI document at ``/docs`` is generated from these models.

Names are re-exported lazily (PEP 562): building pydantic models costs import time, and the
authorizer Lambda, which needs only ``schemas.auth``, must not pay for every other model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_SOURCES: dict[str, tuple[str, ...]] = {
    "auth": ("KeyRecord", "Plan", "Tenant"),
    "common": ("ErrorBody", "ErrorEnvelope", "TimeSegment", "utcnow"),
    "jobs": (
        "TERMINAL_STATES",
        "JobCreate",
        "JobError",
        "JobList",
        "JobPublic",
        "JobRecord",
        "JobResultRef",
        "JobState",
        "ResultPage",
        "WebhookConfig",
        "WebhookDelivery",
    ),
    "media": (
        "FilePublic",
        "FileRecord",
        "MediaProbe",
        "MediaType",
        "UploadRequest",
        "UploadTarget",
    ),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}

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


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'framelens.schemas' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"framelens.schemas.{module}"), name)
    globals()[name] = value
    return value
