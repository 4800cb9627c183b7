"""Storage ports and their adapters: the only I/O to state.

``ports`` defines the Protocols; ``embedded`` (SQLite WAL + a folder) and ``aws`` (DynamoDB + S3)
implement them. Only ``framelens.runtime`` imports an adapter.
"""

from __future__ import annotations

from framelens.stores.ports import (
    BlobStore,
    CounterStore,
    DeliveryStore,
    FileStore,
    IdentityStore,
    JobStore,
    KeyStore,
    PresignedUpload,
    Stores,
    WebhookStore,
)

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
