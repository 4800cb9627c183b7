"""The Framelens error hierarchy: every error the library raises, with code and HTTP status.

Owns: error classes and their client-safe messages. Does not own: mapping to HTTP responses
(``framelens.api.errors``), Step Functions error names or CLI exit codes (each boundary maps once).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AuthError",
    "ConflictError",
    "DeadlineExceededError",
    "FetchRefusedError",
    "FramelensError",
    "IdempotencyConflictError",
    "JobStateError",
    "MediaError",
    "MediaTooLargeError",
    "MediaTooLongError",
    "ModelError",
    "ModelMissingError",
    "NotFoundError",
    "QuotaExceededError",
    "RateLimitedError",
    "StoreError",
    "UnprocessableMediaError",
    "UnsupportedMediaError",
    "ValidationError",
]


class FramelensError(Exception):
    """Base of every error the library raises; carries a stable code and a client-safe message."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        """The error as the one JSON shape the API and job records share."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class ValidationError(FramelensError):
    """A request is malformed or names options that do not exist."""

    code = "bad_request"
    http_status = 400


class AuthError(FramelensError):
    """An API key is missing, unknown or revoked."""

    code = "unauthorized"
    http_status = 401


class NotFoundError(FramelensError):
    """The resource does not exist, or belongs to another tenant (both look the same)."""

    code = "not_found"
    http_status = 404


class ConflictError(FramelensError):
    """A conditional write lost: the record changed or already exists."""

    code = "conflict"
    http_status = 409


class IdempotencyConflictError(ConflictError):
    """An Idempotency-Key was reused with a different request body."""

    code = "idempotency_key_reused"
    http_status = 422


class JobStateError(ConflictError):
    """The job is not in a state that allows the requested transition."""

    code = "invalid_job_state"
    http_status = 409


class RateLimitedError(FramelensError):
    """A key sent more requests than its plan allows in the current window."""

    code = "rate_limited"
    http_status = 429

    def __init__(
        self, message: str, *, retry_after: int, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, details={"retry_after": retry_after, **(details or {})})
        self.retry_after = retry_after


class QuotaExceededError(FramelensError):
    """A tenant quota (concurrent jobs, media seconds per month) would be exceeded."""

    code = "quota_exceeded"
    http_status = 429

    def __init__(
        self,
        message: str,
        *,
        quota: str,
        retry_after: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details={"quota": quota, **(details or {})})
        self.quota = quota
        self.retry_after = retry_after


class MediaError(FramelensError):
    """Base of errors about media a client sent."""

    code = "invalid_media"
    http_status = 400


class UnsupportedMediaError(MediaError):
    """The media's content is not a supported image, video or document format."""

    code = "unsupported_media_type"
    http_status = 415


class UnprocessableMediaError(MediaError):
    """The media looks like a supported format but is empty, truncated or cannot be decoded."""

    code = "unprocessable_media"
    http_status = 422


class MediaTooLargeError(MediaError):
    """The media is larger than the configured size limit."""

    code = "payload_too_large"
    http_status = 413


class MediaTooLongError(MediaError):
    """The media's duration or dimensions exceed the configured limits."""

    code = "media_too_long"
    http_status = 422


class FetchRefusedError(ValidationError):
    """A remote source URL was refused (private address, bad scheme, too large, too slow)."""

    code = "source_refused"
    http_status = 400


class DeadlineExceededError(FramelensError):
    """A job ran past its Max-Processing-Time."""

    code = "deadline_exceeded"
    http_status = 408


class ModelError(FramelensError):
    """A model failed to load or run."""

    code = "model_error"
    http_status = 500


class ModelMissingError(ModelError):
    """A required model is not installed; the message names the command that installs it."""

    code = "model_missing"
    http_status = 503


class StoreError(FramelensError):
    """A storage backend failed in a way the caller cannot fix (a full disk, a read-only
    database, an unreachable service); answered 503 with ``Retry-After``."""

    code = "store_error"
    http_status = 503
    # Storage failures are usually transient (space is freed, a service comes back).
    retry_after: ClassVar[int] = 30
