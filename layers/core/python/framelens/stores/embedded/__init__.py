"""The embedded adapter: every store port on one SQLite file (WAL) and a folder of blobs.

Owns: the layout of ``<data_dir>`` (``framelens.db`` and ``blobs/<key>``; the folder is 0700, the
database 0600) and building a ``Stores`` from it. Durable across restarts and safe for the local
server's threads. Does not own recovery of interrupted jobs (``framelens.jobs`` uses
``JobStore.list_active``).

Examples:
    >>> import tempfile, pathlib
    >>> stores = build_embedded_stores(pathlib.Path(tempfile.mkdtemp()))
    >>> stores.counters.incr("demo", 1)
    1.0
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from framelens.stores.embedded._db import Database
from framelens.stores.embedded.blobs import FolderBlobStore
from framelens.stores.embedded.deliveries import SqliteDeliveryStore
from framelens.stores.embedded.identities import SqliteIdentityStore
from framelens.stores.embedded.keys import SqliteCounterStore, SqliteKeyStore
from framelens.stores.embedded.records import SqliteFileStore, SqliteJobStore
from framelens.stores.embedded.webhooks import SqliteWebhookStore
from framelens.stores.ports import Stores

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = [
    "FolderBlobStore",
    "SqliteCounterStore",
    "SqliteDeliveryStore",
    "SqliteFileStore",
    "SqliteIdentityStore",
    "SqliteJobStore",
    "SqliteKeyStore",
    "SqliteWebhookStore",
    "build_embedded_stores",
    "close_embedded_stores",
]


def build_embedded_stores(data_dir: Path, *, clock: Callable[[], float] = time.time) -> Stores:
    """Every store on ``<data_dir>/framelens.db`` and ``<data_dir>/blobs``, created if missing.

    Args:
        data_dir: The folder that holds all state (``FRAMELENS_DATA_DIR``).
        clock: Epoch seconds for counter expiry; tests inject a fake one.

    Returns:
        The stores; they share one database, closed by ``close_embedded_stores``.
    """
    # The folder holds the database, key files and every tenant's media: this user only.
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    data_dir.chmod(0o700)
    db = Database(data_dir / "framelens.db")
    return Stores(
        blobs=FolderBlobStore(data_dir / "blobs"),
        files=SqliteFileStore(db),
        jobs=SqliteJobStore(db),
        keys=SqliteKeyStore(db),
        counters=SqliteCounterStore(db, clock=clock),
        identities=SqliteIdentityStore(db),
        webhooks=SqliteWebhookStore(db),
        deliveries=SqliteDeliveryStore(db),
    )


def close_embedded_stores(stores: Stores) -> None:
    """Close the database behind stores built by ``build_embedded_stores`` (idempotent)."""
    jobs = stores.jobs
    if isinstance(jobs, SqliteJobStore):
        jobs.close()
