"""The ``GET /health`` body: the server's state, for load balancers and operators.

Owns the response model only; ``api.routers.health`` fills it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = ["Health", "StorageDown"]


class Health(BaseModel):
    """``ok``, or ``degraded`` with ``reasons`` (a 503 when storage cannot be used)."""

    status: Literal["ok", "degraded"]
    version: str
    backend: str
    stores: dict[str, str] = Field(
        description="each store's read probe and, on the embedded backend, `metadata_write` and "
        '`blob_write`: `"ok"` or what failed (e.g. "the disk is full")'
    )
    models: dict[str, Any]
    reasons: list[str] | None = Field(
        default=None, description="what is wrong, in words, when `status` is `degraded`"
    )


class StorageDown(BaseModel):
    """A seed health route's 503 while storage cannot be used (a full disk, a read-only
    database); ``reasons`` say why."""

    status: Literal["degraded"] = "degraded"
    stores: dict[str, str]
    reasons: list[str]
