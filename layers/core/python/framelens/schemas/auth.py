"""API keys, tenants and plans. Only a key's hash is ever stored."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from framelens.schemas.common import utcnow

__all__ = ["KeyRecord", "Plan", "Tenant"]


class Plan(BaseModel):
    """Limits a tenant's keys share. Defaults follow seed 000 (60 GET / 10 POST per minute)."""

    name: str = "default"
    get_per_minute: int = 60
    post_per_minute: int = 10
    concurrent_jobs: int = 4
    media_seconds_per_month: float = 36_000.0


class Tenant(BaseModel):
    """An isolated customer: jobs, files and identities never cross tenants."""

    tenant_id: str
    plan: Plan = Field(default_factory=Plan)
    critical_tags: list[str] = Field(default_factory=list)
    time_created: datetime = Field(default_factory=utcnow)


class KeyRecord(BaseModel):
    """A stored API key: ``key_hash`` is the SHA-256 of the secret; the secret is never kept."""

    key_id: str
    key_hash: str
    tenant_id: str
    prefix: str  # first characters of the key, so people can tell keys apart in `keys list`
    revoked: bool = False
    time_created: datetime = Field(default_factory=utcnow)
