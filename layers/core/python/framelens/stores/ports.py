"""Storage ports: what the rest of Framelens may ask of state, independent of where it lives.

Every adapter (``embedded``, ``aws``) passes the same contract suite in ``tests/contract``.
Adapters translate backend errors at once: a lost conditional write is ``ConflictError``,
a missing or foreign record is ``NotFoundError``. No caller ever sees sqlite3 or botocore.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO, Protocol

if TYPE_CHECKING:
    import builtins
    from collections.abc import Iterator
    from contextlib import AbstractContextManager
    from datetime import datetime
    from pathlib import Path

    from framelens.schemas import FileRecord, JobRecord, KeyRecord, Tenant
    from framelens.schemas.deliveries import Delivery
    from framelens.schemas.identities import IdentityRecord
    from framelens.schemas.subscriptions import WebhookSubscription

__all__ = [
    "BlobStore",
    "CounterStore",
    "DeliveryStore",
    "FileStore",
    "IdentityStore",
    "JobStore",
    "KeyStore",
    "PresignedUpload",
    "Stores",
    "WebhookStore",
]


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """A backend-native upload target (S3 presigned PUT)."""

    url: str
    method: str = "PUT"
    headers: dict[str, str] = field(default_factory=dict)


class BlobStore(Protocol):
    """Bytes by key: uploaded media, derived artifacts (frames, videos) and result documents.

    Keys are ``/``-separated relative paths such as ``media/<tenant>/<file_id>``.
    """

    def put(self, key: str, data: bytes | BinaryIO, content_type: str) -> int:
        """Store ``data`` under ``key`` (overwriting) and return its size in bytes."""
        ...

    def get(self, key: str) -> bytes:
        """All bytes of ``key``. Raises ``NotFoundError``."""
        ...

    def get_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive (HTTP Range semantics). Raises ``NotFoundError``."""
        ...

    def iter_range(self, key: str, start: int, end: int, chunk: int = 1 << 20) -> Iterator[bytes]:
        """Stream bytes ``start..end`` inclusive in chunks. Raises ``NotFoundError``."""
        ...

    def size(self, key: str) -> int:
        """Size in bytes. Raises ``NotFoundError``."""
        ...

    def exists(self, key: str) -> bool:
        """Whether ``key`` holds an object."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; removing a missing key is not an error."""
        ...

    def metadata(self, key: str) -> dict[str, str]:
        """The object's user metadata (names lower case, without ``x-amz-meta-``).

        Embedded blobs have none: ``{}``. Raises ``NotFoundError`` for a missing key.
        """
        ...

    def delete_older_than(self, prefix: str, cutoff: datetime) -> int:
        """Remove blobs under ``prefix`` last written before ``cutoff``; returns how many.

        Applies ``stores.layout.EXPIRIES`` where no lifecycle rules do (the embedded backend).
        """
        ...

    def local_path(self, key: str) -> AbstractContextManager[Path]:
        """A local file with the object's bytes, for decoders that need a path.

        Embedded: the stored file itself. AWS: a temporary download removed on exit.
        """
        ...

    def presign_put(self, key: str, *, content_type: str, expires_s: int) -> PresignedUpload | None:
        """A backend-native upload URL, or ``None`` when the backend has none (embedded)."""
        ...

    def presign_get(
        self, key: str, *, expires_s: int, content_type: str | None = None
    ) -> str | None:
        """A short-lived backend-native download URL (it serves ``Range`` itself), or ``None``.

        ``content_type`` overrides the ``Content-Type`` the URL answers with. Embedded: ``None``
        (the local server streams the bytes). Raises ``NotFoundError`` when ``key`` is missing.
        """
        ...


class FileStore(Protocol):
    """Media file records."""

    def put(self, record: FileRecord) -> None:
        """Create or replace a file record."""
        ...

    def get(self, tenant_id: str, file_id: str) -> FileRecord:
        """The tenant's file. Raises ``NotFoundError`` for unknown ids and other tenants' ids."""
        ...

    def list(
        self,
        tenant_id: str,
        limit: int = 50,
        cursor: str | None = None,
        folder: str | None = None,
    ) -> tuple[list[FileRecord], str | None]:
        """The tenant's files newest first (only ``folder``'s when given, matched exactly), and
        the cursor of the next page (or ``None``)."""
        ...

    def delete(self, tenant_id: str, file_id: str) -> None:
        """Remove the record. Raises ``NotFoundError``."""
        ...


class JobStore(Protocol):
    """Jobs, with conditional writes for every state change."""

    def create(self, job: JobRecord) -> tuple[JobRecord, bool]:
        """Insert ``job``; returns ``(job, True)``.

        When ``job.idempotency_key`` is set and the tenant already has a job with that key,
        nothing is written: returns ``(existing, False)`` if ``request_hash`` matches and raises
        ``IdempotencyConflictError`` otherwise. Two concurrent creates with one key make one job.
        """
        ...

    def get(self, job_id: str, tenant_id: str | None = None) -> JobRecord:
        """The job. With ``tenant_id``, another tenant's job raises ``NotFoundError`` too."""
        ...

    def list(
        self, tenant_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[JobRecord], str | None]:
        """The tenant's jobs newest first, and the cursor of the next page (or ``None``)."""
        ...

    def list_for_file(
        self, tenant_id: str, file_id: str, limit: int = 50, cursor: str | None = None
    ) -> tuple[builtins.list[JobRecord], str | None]:
        """The tenant's jobs that have ``storage://<file_id>`` among their sources, newest first
        (by creation), and the cursor of the next page (or ``None``).

        An index kept by ``create``: one query per page whatever else the tenant ran. A page may
        hold fewer than ``limit`` jobs when an indexed job was never written (a failed create).
        """
        ...

    def update(self, job: JobRecord) -> JobRecord:
        """Write ``job`` if the stored version equals ``job.version``; returns it at version+1.

        Raises ``ConflictError`` when another writer got there first (re-read and retry), and
        ``NotFoundError`` when the job does not exist.
        """
        ...

    def list_active(self) -> builtins.list[JobRecord]:
        """Every queued or running job of every tenant (restart recovery, deadline sweeps)."""
        ...


class KeyStore(Protocol):
    """API keys (hashed) and tenants."""

    def put_key(self, key: KeyRecord) -> None:
        """Create or replace a key record."""
        ...

    def get_key_by_hash(self, key_hash: str) -> KeyRecord | None:
        """The key whose secret hashes to ``key_hash``, revoked or not; ``None`` if unknown."""
        ...

    def get_key(self, key_id: str) -> KeyRecord:
        """A key by id. Raises ``NotFoundError``."""
        ...

    def list_keys(self, tenant_id: str | None = None) -> list[KeyRecord]:
        """Keys of one tenant, or of all tenants, oldest first."""
        ...

    def put_tenant(self, tenant: Tenant) -> None:
        """Create or replace a tenant."""
        ...

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """The tenant, or ``None``."""
        ...


class CounterStore(Protocol):
    """Atomic numeric counters: rate-limit windows, usage, concurrency, latency sums."""

    def incr(
        self, name: str, amount: float, *, limit: float | None = None, ttl_s: int | None = None
    ) -> float | None:
        """Atomically add ``amount`` unless the result would exceed ``limit``.

        Returns the new value, or ``None`` when refused (the counter is unchanged). Exact under
        concurrent callers: N racing increments against limit L grant at most L. ``ttl_s`` marks
        the counter for expiry (rate-limit windows); an expired counter reads as 0.
        """
        ...

    def get(self, name: str) -> float:
        """The counter's value; 0 when missing or expired."""
        ...


class IdentityStore(Protocol):
    """Gallery identities of each tenant, with their face embeddings (stored as binary).

    Every method is scoped to ``tenant_id``: another tenant's identity id raises
    ``NotFoundError`` exactly like an unknown one. Deleting an identity deletes its embeddings.
    """

    def create(self, record: IdentityRecord) -> IdentityRecord:
        """Insert ``record``. Raises ``ConflictError`` if its id exists."""
        ...

    def get(self, tenant_id: str, identity_id: str) -> IdentityRecord:
        """The tenant's identity with its embeddings. Raises ``NotFoundError``."""
        ...

    def list(self, tenant_id: str, gallery: str | None = None) -> builtins.list[IdentityRecord]:
        """The tenant's identities (of one gallery, or all), oldest first, with embeddings."""
        ...

    def rename(self, tenant_id: str, identity_id: str, name: str) -> IdentityRecord:
        """Change the name. Raises ``NotFoundError``."""
        ...

    def add_embeddings(
        self, tenant_id: str, identity_id: str, embeddings: builtins.list[builtins.list[float]]
    ) -> IdentityRecord:
        """Append embeddings atomically. Raises ``NotFoundError``."""
        ...

    def set_allowlisted(
        self, tenant_id: str, identity_id: str, allowlisted: bool
    ) -> IdentityRecord:
        """Set the ``allowlisted`` flag. Raises ``NotFoundError``."""
        ...

    def merge(self, tenant_id: str, keep_id: str, other_id: str) -> IdentityRecord:
        """Move ``other_id``'s embeddings to ``keep_id`` and delete ``other_id``, atomically.

        Raises ``NotFoundError`` if either is missing; ``ValidationError`` if they are the same
        identity or in different galleries.
        """
        ...

    def delete(self, tenant_id: str, identity_id: str) -> None:
        """Remove the identity and its embeddings. Raises ``NotFoundError``."""
        ...


class WebhookStore(Protocol):
    """Tenants' webhook subscriptions (their deliveries are ``DeliveryStore`` records).

    Every read names the tenant: another tenant's id raises ``NotFoundError`` like an unknown one.
    """

    def put_subscription(self, subscription: WebhookSubscription) -> None:
        """Create or replace a subscription."""
        ...

    def get_subscription(self, tenant_id: str, subscription_id: str) -> WebhookSubscription:
        """The tenant's subscription. Raises ``NotFoundError``."""
        ...

    def list_subscriptions(self, tenant_id: str) -> builtins.list[WebhookSubscription]:
        """The tenant's subscriptions, oldest first."""
        ...

    def delete_subscription(self, tenant_id: str, subscription_id: str) -> None:
        """Remove the subscription (its deliveries stop: they are not sent without it). Raises
        ``NotFoundError``."""
        ...


class DeliveryStore(Protocol):
    """Webhook deliveries: the durable records that are also the delivery queue.

    Reads that name a tenant raise ``NotFoundError`` for another tenant's id like an unknown one.
    Every write after ``create`` is conditional on the record's ``version``.
    """

    def create(self, delivery: Delivery) -> bool:
        """Store a new record; False (and nothing written) when its id exists already."""
        ...

    def get(self, tenant_id: str, delivery_id: str) -> Delivery:
        """The tenant's delivery. Raises ``NotFoundError``."""
        ...

    def update(self, delivery: Delivery) -> Delivery:
        """Write ``delivery`` if the stored version is still ``delivery.version``; returns it with
        the version incremented. Raises ``ConflictError`` (another writer won) or
        ``NotFoundError``."""
        ...

    def due(self, now: datetime, limit: int = 100) -> builtins.list[Delivery]:
        """Records of every tenant whose ``due_at`` is at or before ``now``, earliest first."""
        ...

    def list(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        subscription_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[builtins.list[Delivery], str | None]:
        """The tenant's deliveries newest first (optionally of one state or subscription), and
        the cursor of the next page (``None`` on the last)."""
        ...


@dataclass(frozen=True, slots=True)
class Stores:
    """One set of adapters, built by ``framelens.runtime``."""

    blobs: BlobStore
    files: FileStore
    jobs: JobStore
    keys: KeyStore
    counters: CounterStore
    identities: IdentityStore | None = None
    webhooks: WebhookStore | None = None
    deliveries: DeliveryStore | None = None

    def health(self) -> dict[str, str]:
        """Name → ``"ok"`` or the error class for each store that answers a cheap probe."""
        out: dict[str, str] = {}
        names = ["blobs", "files", "jobs", "keys", "counters"]
        if self.identities is not None:
            names.append("identities")
        for name in names:
            store = getattr(self, name)
            probe = getattr(store, "ping", None)
            try:
                if probe is not None:
                    probe()
                out[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - health reports, never raises
                out[name] = type(exc).__name__
        return out
